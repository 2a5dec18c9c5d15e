// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// The shared behaviour suite of the chunked maps: inputs that travel in
// chunks, the window counted in inputs, the automatic chunk size, and what
// stopping does to chunks queued and running.
#if CF_UNDER_TEST_C
import ConcurrentFutures
#else
import PureSwiftFutures
#endif
import Foundation
import XCTest

/// Fails every input x with x % 7 == 3 (Boom(id: x)); else x × 10.
private let failing: @Sendable (Int) throws -> Int = { x in
  if x % 7 == 3 { throw Boom(id: x) }
  return x * 10
}

/// What `failing` yields for 0..<n, as `describe` shows it.
private func expected(_ n: Int) -> [String] {
  (0..<n).map { $0 % 7 == 3 ? "error \($0)" : "\($0 * 10)" }
}

private func describe(_ results: [Result<Int, any Error>]) -> [String] {
  results.map { result in
    switch result {
    case .success(let v): "\(v)"
    case .failure(let e): "error \((e as? Boom)?.id ?? -1)"
    }
  }
}

/// (lookAhead, chunkSize) pairs: chunks that fill the window exactly,
/// that leave room for less than a chunk, of one input, and automatic.
private let windows: [(Int, Int?)] = [(10, 4), (10, 10), (7, 1), (64, nil), (5, nil)]

/// The iteration ended with one element: the map's `.timedOut` error naming
/// the inputs left.
private func assertEndsWithTimeout(
  _ elements: [Result<Int, any Error>], unfinished: Int, line: UInt = #line
) {
  XCTAssertEqual(elements.count, 1, line: line)
  if case .failure(let error)? = elements.first {
    assertFuturesError(
      Impl.self, error, code: "timedOut", messageContains: "with \(unfinished) inputs unfinished",
      line: line)
  } else {
    XCTFail("the map's timeout should end the iteration with an error", line: line)
  }
}

/// A map body that records every input it runs and, at `input`, says so
/// (`started`) and blocks until `gate` opens; it returns its input.
private func recording(
  _ ran: Recorder<Int>, blockingAt input: Int, _ started: Arrivals, _ gate: Gate
) -> @Sendable (Int) -> Int {
  { x in
    ran.append(x)
    if x == input { started.arrive(); gate.pass() }
    return x
  }
}

final class ChunkedMapTests: XCTestCase {
  /// A fixed chunk is one task: its inputs run one after another, in
  /// order, on one worker, with nothing else on that worker in between.
  func test_fixedChunkRunsItsInputsTogetherOnOneWorker() throws {
    let pool = try Impl.make(maxWorkers: 3)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    let chunk = 6
    let n = chunk * scaled(200, minimum: 20)
    let runs = Recorder<(input: Int, thread: UInt)>()
    let values = try pool.mapAll(Array(0..<n), timeout: nil, lookAhead: 4 * chunk, chunkSize: chunk)
    {
      runs.append(($0, UInt(pthread_self())))
      return $0 * 3
    }
    XCTAssertEqual(values, (0..<n).map { $0 * 3 })
    var byThread: [UInt: [Int]] = [:]
    for run in runs.all { byThread[run.thread, default: []].append(run.input) }
    for inputs in byThread.values {
      // On one thread, each chunk's inputs appear as one consecutive run.
      var i = 0
      while i < inputs.count {
        let first = inputs[i]
        XCTAssertEqual(first % chunk, 0, "a chunk starts at a multiple of its size")
        XCTAssertEqual(
          Array(inputs[i..<min(i + chunk, inputs.count)]), Array(first..<first + chunk))
        i += chunk
      }
    }
  }

  /// Each input's error is the element at its position, chunked or not;
  /// the eager map throws the first one in input order.
  func test_chunkedMapsKeepOrderAndErrorsInPlace() throws {
    let pool = try Impl.make(maxWorkers: 2)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    let n = scaled(3_000, minimum: 300)
    for chunkSize in [nil, 1, 5, 64] {
      let lazy = Array(
        try pool.mapLazily(0..<n, timeout: nil, lookAhead: 128, chunkSize: chunkSize, failing))
      XCTAssertEqual(
        describe(lazy), expected(n), "lazyMap, chunkSize \(String(describing: chunkSize))")
      let eager = thrownError {
        _ = try pool.mapAll(
          Array(0..<n), timeout: nil, lookAhead: nil, chunkSize: chunkSize, failing)
      }
      XCTAssertEqual(eager as? Boom, Boom(id: 3))
    }
  }

  /// The same for the async maps.
  func test_asyncChunkedMapsKeepOrderAndErrorsInPlace() async throws {
    let pool = try Impl.make(maxWorkers: 2)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    let n = scaled(3_000, minimum: 300)
    for chunkSize in [nil, 1, 5, 64] {
      let lazy = try await pool.asyncLazyMapCollect(
        Array(0..<n), timeout: nil, lookAhead: 128, chunkSize: chunkSize, limit: nil, failing)
      XCTAssertEqual(
        describe(lazy), expected(n), "asyncLazyMap, chunkSize \(String(describing: chunkSize))")
      var eager: (any Error)?
      do {
        _ = try await pool.mapAllAsync(
          Array(0..<n), timeout: nil, lookAhead: nil, chunkSize: chunkSize, failing)
      } catch { eager = error }
      XCTAssertEqual(eager as? Boom, Boom(id: 3))
    }
  }

  /// The window is counted in inputs: inputs started minus inputs yielded
  /// never exceeds the look-ahead, whatever the chunk size.
  func test_chunkedMapNeverExceedsTheLookAheadInInputs() throws {
    let pool = try Impl.make(maxWorkers: 4)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    let n = scaled(4_000, minimum: 400)
    for (lookAhead, chunkSize) in windows {
      let started = Counter()
      let results = try pool.mapLazily(
        0..<n, timeout: nil, lookAhead: lookAhead, chunkSize: chunkSize
      ) {
        started.increment()
        return $0
      }
      var consumed = 0
      var worst = 0
      for result in results {
        XCTAssertEqual(try result.get(), consumed)
        consumed += 1
        worst = max(worst, started.value - consumed)
        XCTAssertLessThanOrEqual(results.pendingCount, lookAhead)
        XCTAssertLessThanOrEqual(results.nextChunkSize, lookAhead)
      }
      XCTAssertEqual(consumed, n)
      XCTAssertLessThanOrEqual(
        worst, lookAhead, "inputs started beyond the look-ahead \(lookAhead)")
    }
  }

  func test_asyncChunkedMapNeverExceedsTheLookAheadInInputs() async throws {
    let pool = try Impl.make(maxWorkers: 4)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    let n = scaled(4_000, minimum: 400)
    for (lookAhead, chunkSize) in windows {
      let started = Counter()
      let next = try pool.asyncLazyMapNext(
        Array(0..<n), timeout: nil, lookAhead: lookAhead, chunkSize: chunkSize
      ) {
        started.increment()
        return $0
      }
      var consumed = 0
      var worst = 0
      while let result = try await next() {
        XCTAssertEqual(try result.get(), consumed)
        consumed += 1
        worst = max(worst, started.value - consumed)
      }
      XCTAssertEqual(consumed, n)
      XCTAssertLessThanOrEqual(
        worst, lookAhead, "async: inputs started beyond the look-ahead \(lookAhead)")
    }
  }

  /// Dropping the results stops the map: the queued chunks never run, and
  /// the running chunk finishes the input it is on and skips the rest.
  func test_droppingStopsQueuedAndRunningChunks() throws {
    for _ in 0..<scaled(20, minimum: 3) {
      let pool = try Impl.make(maxWorkers: 1)
      let gate = Gate()
      let started = Arrivals()
      let ran = Recorder<Int>()
      do {
        // Chunks [0...3], [4...7], [8...11]: the first runs and blocks in
        // input 1; the other two are queued.
        let results = try pool.mapLazily(
          0..<100, timeout: nil, lookAhead: 12, chunkSize: 4,
          recording(ran, blockingAt: 1, started, gate))
        XCTAssertTrue(started.waitFor(1))
        XCTAssertEqual(results.pendingCount, 12)
      }
      gate.open()
      pool.shutdownPool(wait: true, cancelPending: false)
      XCTAssertEqual(ran.all, [0, 1], "inputs 2 and 3 are skipped, chunks 2 and 3 never run")
    }
  }

  /// Async: leaving the loop stops the map the same way.
  func test_asyncLeavingTheLoopStopsQueuedAndRunningChunks() async throws {
    let pool = try Impl.make(maxWorkers: 1)
    let gate = Gate()
    let ran = Recorder<Int>()
    // Chunks of 3 on one worker: [0...2] is yielded; [3...5] runs and
    // blocks in input 4; [6...8] is queued when the loop leaves.
    let first = try await pool.asyncLazyMapCollect(
      Array(0..<30), timeout: nil, lookAhead: 9, chunkSize: 3, limit: 1
    ) { x in
      ran.append(x)
      if x == 4 { gate.pass() }
      return x
    }
    XCTAssertEqual(try first.first?.get(), 0)
    gate.open()
    await pool.shutdownAsync(wait: true, cancelPending: false)
    let inputs = ran.all
    XCTAssertEqual(Array(inputs.prefix(3)), [0, 1, 2])
    XCTAssertFalse(inputs.contains(5), "the running chunk skips what follows the input it is on")
    XCTAssertTrue(inputs.allSatisfy { $0 < 6 }, "the queued chunk never runs: \(inputs)")
  }

  /// The timeout stops the map per chunk too, and names the inputs left.
  func test_chunkedMapTimeoutNamesTheInputsLeft() throws {
    let pool = try Impl.make(maxWorkers: 1)
    let gate = Gate()
    let ran = Counter()
    let results = try pool.mapLazily(
      0..<50, timeout: .milliseconds(150), lookAhead: 8, chunkSize: 4
    ) { x in
      if x == 1 { gate.pass() }
      ran.increment()
      return x
    }
    let elements = Array(results)
    assertEndsWithTimeout(elements, unfinished: 8)
    gate.open()
    pool.shutdownPool(wait: true, cancelPending: false)
    XCTAssertEqual(ran.value, 2, "input 1's chunk skips its rest; the queued chunk never runs")
  }

  /// The async iteration's timeout acts per chunk the same way.
  func test_asyncChunkedMapTimeoutNamesTheInputsLeft() async throws {
    let pool = try Impl.make(maxWorkers: 1)
    let gate = Gate()
    let ran = Counter()
    let elements = try await pool.asyncLazyMapCollect(
      Array(0..<50), timeout: .milliseconds(150), lookAhead: 8, chunkSize: 4, limit: nil
    ) { x in
      if x == 1 { gate.pass() }
      ran.increment()
      return x
    }
    assertEndsWithTimeout(elements, unfinished: 8)
    gate.open()
    await pool.shutdownAsync(wait: true, cancelPending: false)
    XCTAssertEqual(ran.value, 2, "input 1's chunk skips its rest; the queued chunk never runs")
  }

  /// Cancelling the Task of an async chunked map throws CancellationError
  /// at once; the queued chunks never run, and the running chunk finishes
  /// the input it is on and skips the rest of its inputs.
  func test_cancellingTheTaskStopsQueuedAndRunningChunks() async throws {
    for _ in 0..<scaled(10, minimum: 3) {
      let pool = try Impl.make(maxWorkers: 1)
      let gate = Gate()
      let started = Arrivals()
      let ran = Recorder<Int>()
      // Chunks [0...3], [4...7], [8...11]: the first blocks in input 1,
      // the other two are queued.
      let mapping = Task {
        try await pool.mapAllAsync(
          Array(0..<100), timeout: nil, lookAhead: 12, chunkSize: 4,
          recording(ran, blockingAt: 1, started, gate))
      }
      XCTAssertTrue(started.waitFor(1))
      mapping.cancel()
      let error = await thrownError { _ = try await mapping.value }
      XCTAssertTrue(error is CancellationError, "got \(String(describing: error))")
      gate.open()
      await pool.shutdownAsync(wait: true, cancelPending: false)
      XCTAssertEqual(ran.all, [0, 1], "inputs 2 and 3 are skipped, the queued chunks never run")
    }
  }

  /// A shutdown that cancels pending futures cancels the queued chunks:
  /// each of their inputs is yielded as CancellationError, in its place;
  /// the running chunk finishes all its inputs (the map itself was not
  /// stopped).
  func test_cancellingShutdownFailsEachInputOfAQueuedChunk() throws {
    for _ in 0..<scaled(10, minimum: 3) {
      let pool = try Impl.make(maxWorkers: 1)
      let gate = Gate()
      let started = Arrivals()
      let ran = Recorder<Int>()
      // Chunk [0...3] runs and blocks in input 0; [4...7] and [8...11]
      // are queued.
      let results = try pool.mapLazily(
        0..<12, timeout: nil, lookAhead: 12, chunkSize: 4,
        recording(ran, blockingAt: 0, started, gate))
      XCTAssertTrue(started.waitFor(1))
      pool.shutdownPool(wait: false, cancelPending: true)
      gate.open()
      let elements = Array(results)
      XCTAssertEqual(elements.count, 12)
      for (i, element) in elements.enumerated() {
        switch (i < 4, element) {
        case (true, .success(let v)): XCTAssertEqual(v, i)
        case (false, .failure(let e)): XCTAssertTrue(e is CancellationError, "input \(i): \(e)")
        default: XCTFail("input \(i): unexpected \(element)")
        }
      }
      pool.shutdownPool(wait: true, cancelPending: false)
      XCTAssertEqual(ran.all, [0, 1, 2, 3], "the queued chunks never run")
    }
  }

  /// The automatic size: tiny inputs end up in chunks; inputs slower than
  /// a chunk's target time travel alone.
  func test_automaticChunkSizeFollowsTheInputTime() throws {
    let pool = try Impl.make(maxWorkers: 2)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    let tiny = try pool.mapLazily(0..<scaled(50_000, minimum: 20_000), timeout: nil, lookAhead: 256)
    { $0 }
    XCTAssertEqual(tiny.nextChunkSize, 1, "nothing measured yet: one input per chunk")
    var largest = 0
    for result in tiny {
      _ = try result.get()
      largest = max(largest, tiny.nextChunkSize)
    }
    XCTAssertGreaterThanOrEqual(largest, 8, "tiny inputs should be chunked")
    XCTAssertLessThanOrEqual(largest, 256 / (2 * 2), "at most half the window per worker")

    let slow = try pool.mapLazily(0..<scaled(40, minimum: 12), timeout: nil, lookAhead: 256) { x in
      usleep(1_000)  // 1 ms: far above a chunk's 50 µs
      return x
    }
    for result in slow {
      _ = try result.get()
      XCTAssertEqual(slow.nextChunkSize, 1, "a slow input travels alone")
    }
  }

  func test_badChunkSizesThrow() async throws {
    let pool = try Impl.make(maxWorkers: 2)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    let calls: [(String, () throws -> Void)] = [
      (
        "chunkSize 0",
        { _ = try pool.mapAll([1], timeout: nil, lookAhead: nil, chunkSize: 0) { $0 } }
      ),
      (
        "chunkSize -1",
        { _ = try pool.mapLazily([1], timeout: nil, lookAhead: 4, chunkSize: -1) { $0 } }
      ),
      (
        "above lookAhead",
        { _ = try pool.mapLazily([1], timeout: nil, lookAhead: 4, chunkSize: 5) { $0 } }
      ),
      (
        "async above lookAhead",
        { _ = try pool.asyncLazyMapNext([1], timeout: nil, lookAhead: 2, chunkSize: 3) { $0 } }
      ),
    ]
    for (name, call) in calls {
      let error = thrownError(call)
      assertFuturesError(
        Impl.self, error ?? Boom(id: 0), code: "invalidArgument", messageContains: "chunkSize")
      XCTAssertNotNil(error, name)
    }
    // Without a look-ahead, the default grows to fit two chunks per worker.
    let big = try pool.mapLazily(0..<1_000, timeout: nil, lookAhead: nil, chunkSize: 500) { $0 }
    XCTAssertEqual(big.pendingCount, 1_000)
    XCTAssertEqual(Array(big).count, 1_000)
  }
}
