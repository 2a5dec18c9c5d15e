// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// The soak test: many tasks through the implementation under test, with random
// cancels, zero-timeout polls, callbacks, asCompleted and wait batches, and
// a shutdown racing the submitters at the end of every pool's life.
// Counts prove that nothing is lost or doubled, that every accepted future
// ends terminal and that every worker thread is gone; RSS is sampled after
// each pool and must stay flat.
//
// Size: CF_SOAK_TASKS tasks (per implementation: each test target runs it) (default 100,000 — the
// 1/100 run of `make test`; `make soak` runs 10,000,000 in release).
#if CF_UNDER_TEST_C
import ConcurrentFutures
#else
import PureSwiftFutures
#endif
import Foundation
import XCTest

/// Run counts of one batch, guarded by a lock.
final class BatchLedger: @unchecked Sendable {
  // @unchecked: guarded by `lock`.
  private let lock = NSLock()
  private var runs: [UInt8]
  private var calls: [UInt8]
  init(_ n: Int) {
    runs = Array(repeating: 0, count: n)
    calls = Array(repeating: 0, count: n)
  }
  func ran(_ i: Int) { lock.withLock { runs[i] &+= 1 } }
  func called(_ i: Int) { lock.withLock { calls[i] &+= 1 } }
  var snapshot: (runs: [UInt8], calls: [UInt8]) { lock.withLock { (runs, calls) } }
}

/// Resident and peak memory of this process, from /proc/self/status.
func memoryKiB() -> (rss: Int, peak: Int) {
  let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
  func field(_ name: String) -> Int {
    guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name) }) else {
      return 0
    }
    return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
  }
  return (field("VmRSS:"), field("VmHWM:"))
}

enum SoakScript {
  struct Totals { var accepted = 0, ran = 0, cancelled = 0, refused = 0, callbacks = 0 }

  static func run(tasks: Int, seed: UInt64) throws -> Totals {
    var rng = SeededRandom(seed: seed)
    var totals = Totals()
    let batch = 1_000
    let batchesPerPool = 25
    var rssAfterFirstPool = 0
    var done = 0
    var poolIndex = 0
    while done < tasks {
      let prefix = "s\(poolIndex % 1000)x\(Int.random(in: 0..<100, using: &rng))"
      let pool = try Impl.make(
        maxWorkers: Int.random(in: 1...6, using: &rng),
        queueCapacity: 512, prefix: prefix)
      for b in 0..<batchesPerPool where done < tasks {
        let n = min(batch, tasks - done)
        let last = b == batchesPerPool - 1 || done + n >= tasks
        try soakBatch(pool, n: n, shutdownRace: last, rng: &rng, totals: &totals, seed: seed)
        done += n
      }
      pool.shutdownPool(wait: true, cancelPending: false)
      XCTAssertEqual(pool.workerThreads, 0)
      XCTAssertEqual(
        threadsRemaining(prefix: prefix), 0, "seed \(seed): a joined worker is still alive")
      poolIndex += 1
      if poolIndex == 1 { rssAfterFirstPool = memoryKiB().rss }
    }
    let (rss, peak) = memoryKiB()
    print(
      "soak \(implementationName): \(tasks) tasks over \(poolIndex) pools; accepted \(totals.accepted), ran \(totals.ran), cancelled \(totals.cancelled), refused at shutdown \(totals.refused), callbacks \(totals.callbacks); RSS \(rssAfterFirstPool) KiB after the first pool, \(rss) KiB at the end, peak \(peak) KiB"
    )
    XCTAssertLessThan(
      rss, rssAfterFirstPool + 64 * 1024, "seed \(seed): RSS grew by more than 64 MiB")
    return totals
  }

  private static func soakBatch(
    _ pool: Impl, n: Int, shutdownRace: Bool, rng: inout SeededRandom,
    totals: inout Totals, seed: UInt64
  ) throws {
    let ledger = BatchLedger(n)
    var futures: [(index: Int, future: Impl.Fut)] = []
    var callbacksAdded = [Int](repeating: 0, count: n)
    let shutdownAt = shutdownRace ? Int.random(in: 0..<n, using: &rng) : -1
    let shutdownDone = Arrivals()
    for i in 0..<n {
      if i == shutdownAt {
        let cancel = Bool.random(using: &rng)
        Thread.detachNewThread {  // races the submits that follow
          pool.shutdownPool(wait: true, cancelPending: cancel)
          shutdownDone.arrive()
        }
      }
      let fails = i % 13 == 0
      let future: Impl.Fut
      do {
        future = try pool.submitTask {
          ledger.ran(i)
          if fails { throw Boom(id: i) }
          return i
        }
      } catch {
        XCTAssertEqual(Impl.futuresError(error)?.code, "shutDown", "seed \(seed): \(error)")
        totals.refused += n - i
        break
      }
      futures.append((i, future))
      switch Int.random(in: 0..<100, using: &rng) {
      case 0..<8: future.cancel()
      case 8..<18:
        future.addCallback { _ in ledger.called(i) }
        callbacksAdded[i] += 1
      case 18..<22: _ = try? future.result(timeout: .zero)
      default: break
      }
    }
    // Gather: asCompleted or wait, chosen at random, with a generous bound.
    let all = futures.map(\.future)
    if Bool.random(using: &rng) {
      let next = try Impl.completions(all, timeout: .seconds(120))
      var seen = 0
      while try next() != nil { seen += 1 }
      XCTAssertEqual(seen, all.count, "seed \(seed): asCompleted lost futures")
    } else {
      let (_, notDone) = try Impl.waitFor(all, timeout: .seconds(120), returnWhen: .allCompleted)
      XCTAssertEqual(notDone.count, 0, "seed \(seed): wait left futures unfinished")
    }
    if shutdownRace { XCTAssertTrue(shutdownDone.waitFor(1), "seed \(seed): shutdown hung") }
    // Callbacks of a finished future may still be running on a worker for
    // a moment after the waiter woke; the pool's own completion of this
    // batch is what we wait for, by a final wait that returns only after
    // every callback added before completion has run.
    var (runs, calls) = ledger.snapshot
    let limit = Date(timeIntervalSinceNow: 60)
    while zip(calls, callbacksAdded).contains(where: { Int($0) < $1 }) && Date() < limit {
      usleep(200)
      (runs, calls) = ledger.snapshot
    }
    for (i, future) in futures {
      let expectRuns = future.isCancelled ? 0 : 1
      if !future.isDone || Int(runs[i]) != expectRuns || Int(calls[i]) != callbacksAdded[i] {
        XCTFail(
          "seed \(seed): task \(i) done=\(future.isDone) cancelled=\(future.isCancelled) ran \(runs[i]) callbacks \(calls[i])/\(callbacksAdded[i])"
        )
        return
      }
      if !future.isCancelled {
        let value = try? future.result(timeout: .zero)
        XCTAssertEqual(value, i % 13 == 0 ? nil : i, "seed \(seed): task \(i) result")
      }
    }
    totals.accepted += futures.count
    totals.ran += runs.reduce(0) { $0 + Int($1) }
    totals.cancelled += futures.filter { $0.future.isCancelled }.count
    totals.callbacks += calls.reduce(0) { $0 + Int($1) }
  }
}

final class SoakTests: XCTestCase {
  private var tasks: Int {
    ProcessInfo.processInfo.environment["CF_SOAK_TASKS"].flatMap(Int.init)
      ?? scaled(100_000, minimum: 5_000)
  }
  private var seed: UInt64 {
    ProcessInfo.processInfo.environment["CF_TEST_SEED"].flatMap(UInt64.init)
      ?? UInt64.random(in: 0..<UInt64.max)
  }

  func test_soak() throws {
    let totals = try SoakScript.run(tasks: tasks, seed: seed)
    XCTAssertEqual(totals.ran + totals.cancelled, totals.accepted)
  }
}
