// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// The differential stress test: one seeded random script of submits,
// cancels, polls, waits, asCompleted batches and shutdowns, run on both
// implementations; every observable outcome is logged and the two logs
// must be equal.  Each test target runs the script on its own
// implementation and on the other one, in a child process of this test
// binary that runs the other target's copy of this test and hands its log
// back through a file.  Workers are held on gates while the script acts, so
// outcomes depend on the script alone, not on thread timing, and any
// difference is a behaviour difference.  Each run also checks its own
// invariants: every task ran at most once, exactly once if it finished,
// never if it was cancelled; every wait returned.
#if CF_UNDER_TEST_C
import ConcurrentFutures
#else
import PureSwiftFutures
#endif
import Foundation
import XCTest

/// A small deterministic PRNG (SplitMix64), so a seed replays a script.
struct SeededRandom: RandomNumberGenerator {
  private var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

enum DifferentialScript {
  /// Runs `operations` random operations on implementation P; returns the
  /// log of outcomes.  Invariant violations are reported as XCTFails that
  /// name the seed.
  static func run(
    seed: UInt64, operations: Int
  ) throws -> [String] {
    var rng = SeededRandom(seed: seed)
    var log: [String] = []
    var done = 0
    while done < operations {
      let phaseOps = min(operations - done, Int.random(in: 50...400, using: &rng))
      try epoch(rng: &rng, operations: phaseOps, seed: seed, log: &log)
      done += phaseOps
    }
    return log
  }

  /// One pool's life: workers held on a gate, random operations, gates
  /// opened now and then, a shutdown (sometimes cancelling) at the end or
  /// midway.
  private static func epoch(
    rng: inout SeededRandom, operations: Int, seed: UInt64,
    log: inout [String]
  ) throws {
    let workers = Int.random(in: 1...4, using: &rng)
    let pool = try Impl.make(maxWorkers: workers, queueCapacity: 4096)
    log.append("pool workers=\(workers)")
    var gate = Gate()
    var blockers = try holdWorkers(pool, workers, gate: gate)
    var futures: [Impl.Fut] = []
    var ledger: [Counter] = []
    var cancelledByScript = Set<Int>()
    var isShutDown = false

    func note(_ line: String) { log.append(line) }

    for step in 0..<operations {
      let roll = Int.random(in: 0..<100, using: &rng)
      switch roll {
      case 0..<45:  // submit
        let id = futures.count
        let runs = Counter()
        let fails = Int.random(in: 0..<6, using: &rng) == 0
        do {
          let f = try pool.submitTask {
            runs.increment()
            if fails { throw Boom(id: id) }
            return id * 7
          }
          futures.append(f)
          ledger.append(runs)
          note("submit \(id) ok")
        } catch {
          note("submit \(id) \(describe(error))")
        }
      case 45..<60 where !futures.isEmpty:  // cancel
        let i = Int.random(in: 0..<futures.count, using: &rng)
        let cancelled = futures[i].cancel()
        if cancelled { cancelledByScript.insert(i) }
        note("cancel \(i) \(cancelled)")
      case 60..<72 where !futures.isEmpty:  // poll a result
        let i = Int.random(in: 0..<futures.count, using: &rng)
        note("poll \(i) \(outcome(futures[i], timeout: .zero))")
      case 72..<80 where !futures.isEmpty:  // wait on a batch, polling
        let batch = sample(futures.count, &rng)
        let conditions: [ReturnCondition] = [.firstCompleted, .firstException, .allCompleted]
        let condition = conditions[Int.random(in: 0..<3, using: &rng)]
        let (d, n) = try Impl.waitFor(
          batch.map { futures[$0] }, timeout: .zero, returnWhen: condition)
        note("wait \(condition) \(batch) done=\(d.count) notDone=\(n.count)")
      case 80..<86 where !futures.isEmpty:  // asCompleted over a batch, polling
        let batch = sample(futures.count, &rng)
        let next = try Impl.completions(batch.map { futures[$0] }, timeout: .zero)
        var yielded = 0
        var end = "end"
        do {
          while try next() != nil { yielded += 1 }
        } catch {
          end = describe(error)
        }
        note("asCompleted \(batch) yielded=\(yielded) \(end)")
      case 86..<94:  // let the workers run everything queued, then hold again
        gate.open()
        let all = futures
        let (_, notDone) = try Impl.waitFor(all, timeout: .seconds(60), returnWhen: .allCompleted)
        XCTAssertEqual(notDone.count, 0, "seed \(seed) step \(step): a wait was left hanging")
        _ = try blockers.map { try $0.result(timeout: .seconds(60)) }
        note(
          "drain \(all.count) results=\(all.map { outcome($0, timeout: .zero) }.joined(separator: ","))"
        )
        if isShutDown { break }
        gate = Gate()
        blockers = try holdWorkers(pool, workers, gate: gate)
      case 94..<96 where !isShutDown:  // shutdown, maybe cancelling
        let cancel = Bool.random(using: &rng)
        pool.shutdownPool(wait: false, cancelPending: cancel)
        isShutDown = true
        note("shutdown cancelPending=\(cancel) cancelled=\(futures.filter(\.isCancelled).count)")
      default:
        note("idle")
      }
    }
    gate.open()
    pool.shutdownPool(wait: true, cancelPending: false)
    note("end \(futures.map { outcome($0, timeout: .zero) }.joined(separator: ","))")
    for (i, future) in futures.enumerated() {
      let runs = ledger[i].value
      let ok = future.isCancelled ? runs == 0 : runs == 1
      if !ok || (cancelledByScript.contains(i) && !future.isCancelled) {
        XCTFail(
          "\(implementationName) seed \(seed): task \(i) ran \(runs) times, cancelled=\(future.isCancelled)"
        )
      }
    }
  }

  /// Occupies every worker with a task blocked on `gate`.
  private static func holdWorkers(
    _ pool: Impl, _ n: Int, gate: Gate
  ) throws -> [Impl.Fut] {
    let started = Arrivals()
    let blockers = try (0..<n).map { _ in
      try pool.submitTask {
        started.arrive(); gate.pass(); return -1
      }
    }
    XCTAssertTrue(started.waitFor(n), "workers did not all start")
    return blockers
  }

  private static func sample(_ count: Int, _ rng: inout SeededRandom) -> [Int] {
    (0..<Int.random(in: 1...min(6, count), using: &rng)).map { _ in
      Int.random(in: 0..<count, using: &rng)
    }
  }

  private static func outcome(
    _ future: Impl.Fut, timeout: Duration
  ) -> String {
    do {
      return "\(try future.result(timeout: timeout))"
    } catch {
      return describe(error)
    }
  }

  private static func describe(_ error: any Error) -> String {
    if let (code, message) = Impl.futuresError(error) { return "\(code)(\(message))" }
    if error is CancellationError { return "cancelled" }
    if let boom = error as? Boom { return "boom\(boom.id)" }
    return "other(\(error))"
  }
}

final class DifferentialTests: XCTestCase {
  func test_sameScriptSameOutcomesOnTheOtherImplementation() throws {
    let environment = ProcessInfo.processInfo.environment
    let seed =
      environment["CF_TEST_SEED"].flatMap(UInt64.init)
      ?? UInt64.random(in: 0..<UInt64.max)
    let operations =
      environment["CF_DIFF_OPERATIONS"].flatMap(Int.init)
      ?? scaled(20_000, minimum: 1_000)
    let mine = try DifferentialScript.run(seed: seed, operations: operations)
    if let path = environment["CF_DIFF_LOG"] {
      // The other implementation's test asked for this log.
      try mine.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
      return
    }
    let path = NSTemporaryDirectory() + "cf-diff-\(getpid())-\(seed).log"
    defer { try? FileManager.default.removeItem(atPath: path) }
    let other =
      "\(otherTestModule).DifferentialTests/test_sameScriptSameOutcomesOnTheOtherImplementation"
    let (status, output) = try ChildProcess.run(
      test: other,
      environment: [
        "CF_DIFF_LOG": path, "CF_TEST_SEED": "\(seed)", "CF_DIFF_OPERATIONS": "\(operations)",
      ])
    XCTAssertEqual(
      status, 0, "seed \(seed): the other implementation's run failed:\n\(output.suffix(3000))")
    let theirs =
      (try? String(contentsOfFile: path, encoding: .utf8))?
      .split(separator: "\n", omittingEmptySubsequences: false).map(String.init) ?? []
    XCTAssertEqual(mine.count, theirs.count, "seed \(seed): logs differ in length")
    if let i = (0..<min(mine.count, theirs.count)).first(where: { mine[$0] != theirs[$0] }) {
      XCTFail(
        """
        seed \(seed) (rerun with CF_TEST_SEED=\(seed)): first difference at line \(i):
          \(implementationName): \(mine[i])
          \(otherTestModule): \(theirs[i])
        """)
    }
    print(
      "differential: seed \(seed), \(operations) operations, \(mine.count) log lines compared with \(otherTestModule)"
    )
  }
}
