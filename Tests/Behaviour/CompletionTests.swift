// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// The shared behaviour suite of asCompleted and the many-futures wait.
#if CF_UNDER_TEST_C
import ConcurrentFutures
#else
import PureSwiftFutures
#endif
import Foundation
import XCTest

/// `n` tasks, task i blocked on gates[i] until opened.
struct GatedTasks {
  let gates: [Gate]
  let futures: [Impl.Fut]
  let started: Arrivals

  init(_ pool: Impl, count: Int, failing: Set<Int> = []) throws {
    let gates = (0..<count).map { _ in Gate() }
    let started = Arrivals()
    self.gates = gates
    self.started = started
    futures = try (0..<count).map { i in
      try pool.submitTask {
        started.arrive()
        gates[i].pass()
        if failing.contains(i) { throw Boom(id: i) }
        return i
      }
    }
  }

  func openAll() { gates.forEach { $0.open() } }
}

final class CompletionTests: XCTestCase {
  func test_asCompletedYieldsInCompletionOrder() throws {
    let pool = try Impl.make(maxWorkers: 4)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    let tasks = try GatedTasks(pool, count: 4)
    XCTAssertTrue(tasks.started.waitFor(4))
    let next = try Impl.completions(tasks.futures, timeout: .seconds(30))
    for i in [2, 0, 3, 1] {
      tasks.gates[i].open()
      let future = try next()
      XCTAssertTrue(future === tasks.futures[i], "expected task \(i)")
    }
    XCTAssertNil(try next())
  }

  func test_asCompletedYieldsDoneFirstAndDuplicatesOnce() throws {
    let pool = try Impl.make(maxWorkers: 2)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    let done = try pool.submitTask { 10 }
    _ = try done.result(timeout: nil)
    let tasks = try GatedTasks(pool, count: 1)
    let next = try Impl.completions(
      [tasks.futures[0], done, tasks.futures[0], done], timeout: nil)
    XCTAssertTrue(try next() === done)
    tasks.openAll()
    XCTAssertTrue(try next() === tasks.futures[0])
    XCTAssertNil(try next(), "each future once")
    let empty = try Impl.completions([], timeout: .zero)
    XCTAssertNil(try empty())
  }

  /// Futures of different value types in one call, and futures of a value
  /// type that owns memory: each comes back as the very future given, as
  /// the caller's element type, its value intact.
  func test_asCompletedYieldsTheFuturesGivenWhateverTheirValueType() throws {
    let pool = try Impl.make(maxWorkers: 3)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    let gates = (0..<3).map { _ in Gate() }
    let started = Arrivals()
    let number = try pool.submit {
      started.arrive(); gates[0].pass(); return 7
    }
    let text = try pool.submit {
      started.arrive(); gates[1].pass(); return String(repeating: "é", count: 40)
    }
    let list = try pool.submit {
      started.arrive(); gates[2].pass(); return [1, 2, 3]
    }
    XCTAssertTrue(started.waitFor(3))
    var mixed = try asCompleted([number, text, list, number] as [AnyFuture], timeout: hangBound)
    for (gate, expected) in [(2, list as AnyFuture), (0, number), (1, text)] {
      gates[gate].open()
      XCTAssertTrue(try mixed.next() === expected, "\(implementationName): gate \(gate)")
    }
    XCTAssertNil(try mixed.next(), "each future once")
    XCTAssertEqual(try list.result(timeout: .zero), [1, 2, 3])

    let texts = try (0..<4).map { i in
      try pool.submit { String(repeating: "x", count: 20 + i) }
    }
    var typed = try asCompleted(texts + texts, timeout: hangBound)
    var lengths: [Int] = []
    while let future = try typed.next() { lengths.append(try future.result().count) }
    XCTAssertEqual(lengths.sorted(), [20, 21, 22, 23], "\(implementationName)")
  }

  func test_asCompletedTimeoutCountsUnfinished() throws {
    let pool = try Impl.make(maxWorkers: 4)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    let done = try pool.submitTask { 1 }
    _ = try done.result(timeout: nil)
    let tasks = try GatedTasks(pool, count: 2)
    let all = [done, tasks.futures[0], tasks.futures[1], tasks.futures[0]]
    let next = try Impl.completions(all, timeout: .milliseconds(150))
    XCTAssertTrue(try next() === done)
    let begin = ContinuousClock.now
    let error = thrownError { _ = try next() }
    XCTAssertGreaterThanOrEqual(ContinuousClock.now - begin, .milliseconds(100))
    assertFuturesError(
      Impl.self, error ?? Boom(id: 0), code: "timedOut",
      messageContains: "2 (of 3) futures unfinished")
    XCTAssertFalse(tasks.futures[0].isCancelled, "a timeout cancels nothing")
    tasks.openAll()
    let negative = thrownError { _ = try Impl.completions(all, timeout: .seconds(-2)) }
    assertFuturesError(Impl.self, negative ?? Boom(id: 0), code: "invalidArgument")
  }

  /// A future that is done while its completer still runs a callback
  /// added earlier is done for asCompleted and wait too: with a zero
  /// timeout they report it, never "0 unfinished" and a timeout.
  func test_doneWhileEarlierCallbackRunsCountsAsDone() throws {
    for _ in 0..<scaled(20, minimum: 3) {
      let pool = try Impl.make(maxWorkers: 2)
      let tasks = try GatedTasks(pool, count: 2)
      let inCallback = Arrivals()
      let holdCallback = Gate()
      tasks.futures[0].addCallback { _ in
        inCallback.arrive()
        holdCallback.pass()
      }
      tasks.gates[0].open()
      XCTAssertTrue(inCallback.waitFor(1))  // futures[0] is done
      XCTAssertTrue(tasks.futures[0].isDone)
      let next = try Impl.completions(tasks.futures, timeout: .zero)
      XCTAssertTrue(
        try next() === tasks.futures[0], "\(implementationName): done future not yielded")
      let error = thrownError { _ = try next() }
      assertFuturesError(
        Impl.self, error ?? Boom(id: 0), code: "timedOut",
        messageContains: "1 (of 2) futures unfinished")
      let (done, notDone) = try Impl.waitFor(
        tasks.futures, timeout: .zero, returnWhen: .allCompleted)
      XCTAssertEqual(done.count, 1, "\(implementationName): wait missed the done future")
      XCTAssertTrue(done.first === tasks.futures[0])
      XCTAssertTrue(notDone.first === tasks.futures[1])
      holdCallback.open()
      tasks.openAll()
      pool.shutdownPool(wait: true, cancelPending: false)
    }
  }

  func test_cancelledFutureIsDoneAtOnce() throws {
    let pool = try Impl.make(maxWorkers: 1)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    let tasks = try GatedTasks(pool, count: 1)
    XCTAssertTrue(tasks.started.waitFor(1))
    let queued = try pool.submitTask { 5 }
    XCTAssertTrue(queued.cancel())
    // The worker has not popped it yet: still it counts as done, for both.
    let next = try Impl.completions([tasks.futures[0], queued], timeout: .seconds(30))
    XCTAssertTrue(try next() === queued)
    let (done, notDone) = try Impl.waitFor(
      [tasks.futures[0], queued], timeout: .seconds(30), returnWhen: .firstCompleted)
    XCTAssertTrue(done.count == 1 && done[0] === queued)
    XCTAssertTrue(notDone.count == 1 && notDone[0] === tasks.futures[0])
    tasks.openAll()
  }

  func test_waitAllCompleted() throws {
    let pool = try Impl.make(maxWorkers: 3)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    let tasks = try GatedTasks(pool, count: 3)
    let waiting = Arrivals()
    let result = Recorder<(Int, Int)>()
    let futures = tasks.futures + [tasks.futures[1]]
    Thread.detachNewThread {
      let (done, notDone) = try! Impl.waitFor(futures, timeout: nil, returnWhen: .allCompleted)
      result.append((done.count, notDone.count))
      waiting.arrive()
    }
    tasks.gates[0].open()
    tasks.gates[1].open()
    _ = try tasks.futures[1].result(timeout: nil)
    XCTAssertEqual(waiting.value, 0, "returned before all completed")
    tasks.gates[2].open()
    XCTAssertTrue(waiting.waitFor(1))
    XCTAssertEqual(result.all.first?.0, 3)
    XCTAssertEqual(result.all.first?.1, 0)
  }

  func test_waitFirstCompleted() throws {
    let pool = try Impl.make(maxWorkers: 3)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    let tasks = try GatedTasks(pool, count: 3)
    tasks.gates[1].open()
    let (done, notDone) = try Impl.waitFor(
      tasks.futures, timeout: .seconds(30), returnWhen: .firstCompleted)
    XCTAssertTrue(done.count == 1 && done[0] === tasks.futures[1])
    XCTAssertEqual(notDone.count, 2)
    tasks.openAll()
  }

  func test_waitFirstExceptionIgnoresCancellation() throws {
    let pool = try Impl.make(maxWorkers: 2)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    let tasks = try GatedTasks(pool, count: 3, failing: [1])
    XCTAssertTrue(tasks.started.waitFor(2))
    XCTAssertTrue(tasks.futures[2].cancel(), "the third is still queued")
    // A cancellation is not an exception: only the timeout ends this wait.
    let begin = ContinuousClock.now
    var (done, notDone) = try Impl.waitFor(
      tasks.futures, timeout: .milliseconds(150), returnWhen: .firstException)
    XCTAssertGreaterThanOrEqual(ContinuousClock.now - begin, .milliseconds(150))
    XCTAssertTrue(done.count == 1 && done[0] === tasks.futures[2])
    XCTAssertEqual(notDone.count, 2)
    tasks.gates[1].open()
    (done, notDone) = try Impl.waitFor(
      tasks.futures, timeout: .seconds(30), returnWhen: .firstException)
    XCTAssertTrue(done.contains { $0 === tasks.futures[1] })
    XCTAssertTrue(notDone.count == 1 && notDone[0] === tasks.futures[0])
    tasks.openAll()
    // With no failure left to find, firstException waits for all.
    (done, notDone) = try Impl.waitFor(
      [tasks.futures[0]], timeout: .seconds(30), returnWhen: .firstException)
    XCTAssertEqual(done.count, 1)
    XCTAssertEqual(notDone.count, 0)
  }

  func test_waitTimeoutReturnsNormally() throws {
    let pool = try Impl.make(maxWorkers: 2)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    let tasks = try GatedTasks(pool, count: 2)
    let (done, notDone) = try Impl.waitFor(
      tasks.futures, timeout: .milliseconds(50), returnWhen: .allCompleted)
    XCTAssertEqual(done.count, 0)
    XCTAssertEqual(notDone.count, 2)
    XCTAssertFalse(tasks.futures.contains { $0.isCancelled })
    let negative = thrownError {
      _ = try Impl.waitFor(tasks.futures, timeout: .seconds(-1), returnWhen: .allCompleted)
    }
    assertFuturesError(Impl.self, negative ?? Boom(id: 0), code: "invalidArgument")
    tasks.openAll()
  }
}
