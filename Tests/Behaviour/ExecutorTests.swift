// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// The shared behaviour suite of ThreadPoolExecutor, run against each implementation by
// the test cases in ExecutorTests.swift.
#if CF_UNDER_TEST_C
import ConcurrentFutures
#else
import PureSwiftFutures
#endif
import Foundation
import XCTest

/// Per-id run counts, to prove "exactly once".  (NSLock, not
/// Synchronization.Mutex: TSan cannot see the prebuilt Mutex's futex, and
/// reports the data it guards as racing.)
final class RunLedger: @unchecked Sendable {
  // @unchecked: guarded by `lock`.
  private let lock = NSLock()
  private var counts: [Int]
  init(_ n: Int) { counts = Array(repeating: 0, count: n) }
  func ran(_ id: Int) { lock.withLock { counts[id] += 1 } }
  var snapshot: [Int] { lock.withLock { counts } }
}

/// Holds a pool so a task can drop the last reference to it.
final class PoolHolder<P: AnyObject>: @unchecked Sendable {
  // @unchecked: written before the gate opens, then only by the task.
  var pool: P?
}

final class ExecutorTests: XCTestCase {
  func test_submitReturnsValue() throws {
    let pool = try Impl.make(maxWorkers: 2)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    let futures = try (0..<50).map { i in try pool.submitTask { i * 3 } }
    XCTAssertEqual(try futures.map { try $0.result(timeout: nil) }, (0..<50).map { $0 * 3 })
  }

  func test_taskErrorRethrownAsItself() throws {
    let pool = try Impl.make(maxWorkers: 2)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    let future = try pool.submitTask { throw Boom(id: 7) }
    XCTAssertEqual(thrownError { _ = try future.result(timeout: nil) } as? Boom, Boom(id: 7))
    XCTAssertEqual(try future.error(timeout: nil) as? Boom, Boom(id: 7))
    XCTAssertFalse(future.isCancelled)
  }

  func test_manySubmittersEachTaskRunsOnce() throws {
    let perThread = scaled(25_000, minimum: 100)
    let submitters = 4
    let ledger = RunLedger(perThread * submitters)
    let pool = try Impl.make(maxWorkers: 4, queueCapacity: 1024)
    let sums = Recorder<Int>()
    onThreads(submitters) { t in
      var futures: [Impl.Fut] = []
      for i in 0..<perThread {
        let id = t * perThread + i
        futures.append(
          try! pool.submitTask {
            ledger.ran(id); return id
          })
      }
      sums.append(futures.reduce(0) { $0 + (try! $1.result(timeout: nil)) })
    }
    pool.shutdownPool(wait: true, cancelPending: false)
    let counts = ledger.snapshot
    XCTAssertEqual(
      counts.filter { $0 != 1 }.count, 0,
      "\(implementationName): tasks not run exactly once")
    let n = perThread * submitters
    XCTAssertEqual(sums.all.reduce(0, +), n * (n - 1) / 2)
  }

  func test_shutdownWaitJoinsEveryWorker() throws {
    let prefix = uniquePrefix()
    let pool = try Impl.make(maxWorkers: 4, queueCapacity: nil, prefix: prefix)
    let gate = Gate()
    let started = Arrivals()
    let futures = try (0..<4).map { i in
      try pool.submitTask {
        started.arrive(); gate.pass(); return i
      }
    }
    XCTAssertTrue(started.waitFor(4), "four workers should have started")
    XCTAssertEqual(pool.workerThreads, 4)
    XCTAssertEqual(liveThreads(prefix: prefix), 4)
    gate.open()
    pool.shutdownPool(wait: true, cancelPending: false)
    XCTAssertEqual(pool.workerThreads, 0)
    XCTAssertEqual(threadsRemaining(prefix: prefix), 0, "joined threads are gone")
    XCTAssertEqual(try futures.map { try $0.result(timeout: .zero) }, [0, 1, 2, 3])
  }

  func test_idleWorkerIsCountedOnce() throws {
    // After an idle period, n tasks that wait for each other still get n
    // workers: an idle worker must not be counted twice.
    let pool = try Impl.make(maxWorkers: 4)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    for round in 0..<scaled(20, minimum: 3) {
      XCTAssertEqual(try pool.submitTask { round }.result(timeout: nil), round)
      let tasks = try GatedTasks(pool, count: 4)
      let allStarted = tasks.started.waitFor(4)
      tasks.openAll()
      XCTAssertTrue(
        allStarted, "\(implementationName) round \(round): 4 tasks, 4 workers, not all started")
      _ = try tasks.futures.map { try $0.result(timeout: .seconds(30)) }
      if !allStarted { break }
    }
  }

  func test_cancelPendingCancelsExactlyTheUnstarted() throws {
    let pool = try Impl.make(maxWorkers: 1)
    let gate = Gate()
    let started = Arrivals()
    let ran = Counter()
    let first = try pool.submitTask {
      started.arrive(); gate.pass(); return 1
    }
    XCTAssertTrue(started.waitFor(1))
    let queued = try (0..<20).map { i in
      try pool.submitTask {
        ran.increment(); return i
      }
    }
    pool.shutdownPool(wait: false, cancelPending: true)
    XCTAssertTrue(queued.allSatisfy { $0.isCancelled && $0.isDone })
    XCTAssertFalse(first.isCancelled)
    XCTAssertTrue(first.isRunning)
    gate.open()
    XCTAssertEqual(try first.result(timeout: .seconds(30)), 1)
    pool.shutdownPool(wait: true, cancelPending: false)
    XCTAssertEqual(ran.value, 0, "a cancelled task ran")
    for future in queued {
      XCTAssertTrue(thrownError { _ = try future.result(timeout: .zero) } is CancellationError)
    }
  }

  func test_shutdownFromInsideTaskDoesNotDeadlock() throws {
    let prefix = uniquePrefix()
    let pool = try Impl.make(maxWorkers: 2, queueCapacity: nil, prefix: prefix)
    let after = Counter()
    let future = try pool.submitTask {
      pool.shutdownPool(wait: true, cancelPending: false)
      after.increment()
      return 5
    }
    XCTAssertEqual(try future.result(timeout: .seconds(30)), 5)
    XCTAssertEqual(after.value, 1)
    let error = thrownError { _ = try pool.submitTask { 0 } }
    assertFuturesError(Impl.self, error ?? Boom(id: 0), code: "shutDown")
    pool.shutdownPool(wait: true, cancelPending: false)
    XCTAssertEqual(threadsRemaining(prefix: prefix), 0)
  }

  func test_idleWorkerIsReused() throws {
    let prefix = uniquePrefix()
    let pool = try Impl.make(maxWorkers: 8, queueCapacity: nil, prefix: prefix)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    XCTAssertEqual(pool.workerThreads, 0, "threads start lazily")
    for i in 0..<scaled(2_000, minimum: 50) {
      XCTAssertEqual(try pool.submitTask { i }.result(timeout: nil), i)
      XCTAssertEqual(pool.workerThreads, 1, "\(implementationName) grew at \(i)")
      if pool.workerThreads != 1 { break }
    }
    XCTAssertEqual(liveThreads(prefix: prefix), 1)
  }

  func test_badConfigurationThrows() throws {
    for workers in [0, -3] {
      let error = thrownError { _ = try Impl.make(maxWorkers: workers) }
      assertFuturesError(
        Impl.self, error ?? Boom(id: 0), code: "invalidArgument",
        messageContains: "maxWorkers must be at least 1 (got \(workers))")
    }
    for capacity in [0, -1, Int.min] {
      let error = thrownError { _ = try Impl.make(maxWorkers: 1, queueCapacity: capacity) }
      assertFuturesError(
        Impl.self, error ?? Boom(id: 0), code: "invalidArgument",
        messageContains: "queueCapacity must be at least 1 (got \(capacity))")
    }
    for capacity in [Int(Int32.max) + 1, Int.max] {
      let error = thrownError { _ = try Impl.make(maxWorkers: 1, queueCapacity: capacity) }
      assertFuturesError(
        Impl.self, error ?? Boom(id: 0), code: "invalidArgument",
        messageContains: "queueCapacity must be at most \(Int32.max) (got \(capacity))")
    }
    XCTAssertEqual(
      Impl.defaultMaxWorkers, min(32, ProcessInfo.processInfo.activeProcessorCount + 4))
  }

  func test_submitAfterShutdownThrows() throws {
    let pool = try Impl.make(maxWorkers: 1)
    pool.shutdownPool(wait: true, cancelPending: false)
    pool.shutdownPool(wait: true, cancelPending: false)  // idempotent
    let error = thrownError { _ = try pool.submitTask { 1 } }
    assertFuturesError(
      Impl.self, error ?? Boom(id: 0), code: "shutDown",
      messageContains: "the executor has been shut down")
  }

  func test_threadsAreNamedPrefixN() throws {
    let pool = try Impl.make(maxWorkers: 2, queueCapacity: nil, prefix: "db-fanout")
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    let names = Recorder<String>()
    let gate = Gate()
    let started = Arrivals()
    let futures = try (0..<2).map { _ in
      try pool.submitTask {
        names.append(currentThreadName()); started.arrive(); gate.pass(); return 0
      }
    }
    XCTAssertTrue(started.waitFor(2))
    gate.open()
    _ = try futures.map { try $0.result(timeout: nil) }
    XCTAssertEqual(Set(names.all), ["db-fanout-1", "db-fanout-2"])

    let long = try Impl.make(
      maxWorkers: 1, queueCapacity: nil,
      prefix: "a-very-long-thread-prefix")
    defer { long.shutdownPool(wait: true, cancelPending: false) }
    let name = try long.submitTask { currentThreadName().count }.result(timeout: nil)
    let longName = Recorder<String>()
    _ = try long.submitTask {
      longName.append(currentThreadName()); return 0
    }.result(timeout: nil)
    XCTAssertEqual(name, 15)
    XCTAssertEqual(longName.all, ["a-very-long-t-1"])
  }

  func test_blockedSubmitIsWokenByShutdown() throws {
    for _ in 0..<scaled(20, minimum: 3) {
      let pool = try Impl.make(maxWorkers: 1, queueCapacity: 1)
      let gate = Gate()
      let started = Arrivals()
      let ranThird = Counter()
      let first = try pool.submitTask {
        started.arrive(); gate.pass(); return 1
      }
      XCTAssertTrue(started.waitFor(1))
      _ = try pool.submitTask { 2 }  // fills the queue
      let submitting = Arrivals()
      let outcome = Recorder<String>()
      Thread.detachNewThread {
        submitting.arrive()
        let error = thrownError {
          _ = try pool.submitTask {
            ranThird.increment(); return 3
          }
        }
        outcome.append(error.flatMap { Impl.futuresError($0)?.code } ?? "accepted")
        submitting.arrive()
      }
      XCTAssertTrue(submitting.waitFor(1))
      pool.shutdownPool(wait: false, cancelPending: false)
      XCTAssertTrue(submitting.waitFor(2), "a blocked submit was not woken by shutdown")
      XCTAssertEqual(outcome.all, ["shutDown"])
      gate.open()
      XCTAssertEqual(try first.result(timeout: .seconds(30)), 1)
      pool.shutdownPool(wait: true, cancelPending: false)
      XCTAssertEqual(ranThird.value, 0)
    }
  }

  func test_fullQueueRejectOrTimeout() throws {
    let pool = try Impl.make(maxWorkers: 1, queueCapacity: 2)
    let gate = Gate()
    let started = Arrivals()
    _ = try pool.submitTask {
      started.arrive(); gate.pass(); return 0
    }
    XCTAssertTrue(started.waitFor(1))
    _ = try pool.trySubmitTask { 1 }
    _ = try pool.trySubmitTask { 2 }
    XCTAssertEqual(pool.queuedTasks, 2)
    let rejected = thrownError { _ = try pool.trySubmitTask { 3 } }
    assertFuturesError(
      Impl.self, rejected ?? Boom(id: 0), code: "queueFull",
      messageContains: "the queue is full")
    let begin = ContinuousClock.now
    let timedOut = thrownError { _ = try pool.submitTask(timeout: .milliseconds(100)) { 4 } }
    XCTAssertGreaterThanOrEqual(ContinuousClock.now - begin, .milliseconds(100))
    assertFuturesError(
      Impl.self, timedOut ?? Boom(id: 0), code: "timedOut",
      messageContains: "the queue stayed full")
    let negative = thrownError { _ = try pool.submitTask(timeout: .milliseconds(-1)) { 5 } }
    assertFuturesError(Impl.self, negative ?? Boom(id: 0), code: "invalidArgument")
    gate.open()
    pool.shutdownPool(wait: true, cancelPending: false)
  }

  func test_droppedPoolStillRunsQueuedWork() throws {
    let prefix = uniquePrefix()
    let gate = Gate()
    let started = Arrivals()
    weak var weakPool: Impl?
    var futures: [Impl.Fut] = []
    do {
      let pool = try Impl.make(maxWorkers: 2, queueCapacity: nil, prefix: prefix)
      weakPool = pool
      futures.append(
        try pool.submitTask {
          started.arrive(); gate.pass(); return 0
        })
      for i in 1...20 { futures.append(try pool.submitTask { i }) }
      XCTAssertTrue(started.waitFor(1))
    }
    XCTAssertNil(weakPool, "the executor should be released by its owner")
    gate.open()
    XCTAssertEqual(try futures.map { try $0.result(timeout: .seconds(30)) }, Array(0...20))
    XCTAssertEqual(threadsRemaining(prefix: prefix), 0, "workers of a dropped pool exit")
  }

  func test_poolDroppedInsideItsOwnTask() throws {
    let prefix = uniquePrefix()
    let holder = PoolHolder<Impl>()
    holder.pool = try Impl.make(maxWorkers: 1, queueCapacity: nil, prefix: prefix)
    let gate = Gate()
    let dropper = try holder.pool!.submitTask {
      gate.pass()
      holder.pool = nil  // the last reference goes, on a worker thread
      return 1
    }
    let queued = try (2...10).map { i in try holder.pool!.submitTask { i } }
    gate.open()
    XCTAssertEqual(try dropper.result(timeout: .seconds(30)), 1)
    XCTAssertEqual(try queued.map { try $0.result(timeout: .seconds(30)) }, Array(2...10))
    XCTAssertEqual(threadsRemaining(prefix: prefix), 0)
  }
}
