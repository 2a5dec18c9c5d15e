// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// The shared behaviour suite of the async bridges: `future.value`, asyncCompleted,
// the pool as a TaskExecutor, the async submit and the backpressure
// choices.  Threads are ordered with gates; the only timing assertions
// (the starvation test) have wide margins.
#if CF_UNDER_TEST_C
import ConcurrentFutures
#else
import PureSwiftFutures
#endif
import Foundation
import XCTest

/// Polls `condition` (every ms, up to 30 s) without blocking a thread; for
/// states the tests cannot be told of, such as "the job is queued".
func eventually(within bound: Duration = .seconds(30), _ condition: () -> Bool) async -> Bool {
  let limit = ContinuousClock.now + bound
  while !condition() {
    if ContinuousClock.now > limit { return false }
    try? await Task.sleep(for: .milliseconds(1))
  }
  return true
}

/// The error an async `body` throws, or nil.
func thrownError(_ body: () async throws -> Void) async -> (any Error)? {
  do { try await body(); return nil } catch { return error }
}

final class AsyncTests: XCTestCase {
  // MARK: future.value

  func test_valueSuspendsUntilTheTaskFinishes() async throws {
    let pool = try Impl.make(maxWorkers: 1)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    let gate = Gate()
    let future = try pool.submitTask {
      gate.pass(); return 7
    }
    let waiter = Task { try await future.awaitValue() }
    XCTAssertFalse(future.isDone)
    gate.open()
    let value = try await waiter.value
    XCTAssertEqual(value, 7)
    let again = try await future.awaitValue()
    XCTAssertEqual(again, 7, "a done future answers at once")
    let noError = try await future.awaitThrownError()
    XCTAssertNil(noError)

    let failing = try pool.submitTask { throw Boom(id: 3) }
    let error = await thrownError { _ = try await failing.awaitValue() }
    XCTAssertEqual(error as? Boom, Boom(id: 3), "the task's own error, as itself")
    let thrown = try await failing.awaitThrownError()
    XCTAssertEqual(thrown as? Boom, Boom(id: 3))
  }

  func test_cancellingTheAwaitingTaskCancelsAPendingFuture() async throws {
    let pool = try Impl.make(maxWorkers: 1)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    let gate = Gate()
    let started = Arrivals()
    let ran = Counter()
    let blocker = try pool.submitTask {
      started.arrive(); gate.pass(); return 0
    }
    XCTAssertTrue(started.waitFor(1))
    let queued = try pool.submitTask {
      ran.increment(); return 1
    }
    let calls = Counter()
    queued.addCallback { _ in calls.increment() }
    // A second waiter, blocking, on a plain thread: it must wake too.
    let otherWaiter = Arrivals()
    let otherError = Recorder<String>()
    Thread.detachNewThread {
      if let error = thrownError({ _ = try queued.result(timeout: .seconds(30)) }) {
        otherError.append("\(type(of: error))")
      }
      otherWaiter.arrive()
    }
    let awaiting = Task { try await queued.awaitValue() }
    awaiting.cancel()
    let error = await thrownError { _ = try await awaiting.value }
    XCTAssertTrue(error is CancellationError, "got \(String(describing: error))")
    XCTAssertTrue(queued.isCancelled)
    XCTAssertEqual(calls.value, 1)
    XCTAssertTrue(otherWaiter.waitFor(1), "the other waiter woke")
    XCTAssertEqual(otherError.all, ["CancellationError"])
    gate.open()
    let blockerValue = try await blocker.awaitValue()
    XCTAssertEqual(blockerValue, 0)
    pool.shutdownPool(wait: true, cancelPending: false)
    XCTAssertEqual(ran.value, 0, "a cancelled task never runs")
  }

  func test_cancellingTheAwaitingTaskLeavesARunningFutureAlone() async throws {
    let pool = try Impl.make(maxWorkers: 1)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    let gate = Gate()
    let started = Arrivals()
    let running = try pool.submitTask {
      started.arrive(); gate.pass(); return 9
    }
    XCTAssertTrue(started.waitFor(1))
    let awaiting = Task { try await running.awaitValue() }
    awaiting.cancel()
    let error = await thrownError { _ = try await awaiting.value }
    XCTAssertTrue(
      error is CancellationError, "the await ends at once: got \(String(describing: error))")
    XCTAssertFalse(running.isCancelled)
    XCTAssertFalse(running.isDone, "the running task is not interrupted")
    gate.open()
    let value = try await running.awaitValue()
    XCTAssertEqual(value, 9, "it runs on to its value")
  }

  /// Cancelling a Task that awaits a running future with a timeout ends the
  /// await with CancellationError — not a timeout the time did not reach —
  /// and leaves the task running; a cancelled async `map(timeout:)` throws
  /// CancellationError too.
  func test_cancelledTimedAwaitIsACancellationNotATimeout() async throws {
    let pool = try Impl.make(maxWorkers: 1)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    let gate = Gate()
    let started = Arrivals()
    let running = try pool.submitTask {
      started.arrive(); gate.pass(); return 9
    }
    XCTAssertTrue(started.waitFor(1))
    for _ in 0..<scaled(20, minimum: 3) {
      let awaiting = Task { try await running.awaitResult(timeout: .seconds(30)) }
      awaiting.cancel()
      let error = await thrownError { _ = try await awaiting.value }
      XCTAssertTrue(
        error is CancellationError, "\(implementationName): got \(String(describing: error))")
      let mapping = Task {
        try await pool.mapAllAsync([1, 2, 3], timeout: .seconds(30), lookAhead: nil) { $0 }
      }
      mapping.cancel()
      let mapError = await thrownError { _ = try await mapping.value }
      XCTAssertTrue(
        mapError is CancellationError,
        "\(implementationName): map: got \(String(describing: mapError))")
    }
    XCTAssertFalse(running.isDone, "the running task was not interrupted")
    gate.open()
    let value = try await running.awaitValue()
    XCTAssertEqual(value, 9)
  }

  // MARK: asyncCompleted

  func test_asyncCompletedYieldsDoneFirstThenInCompletionOrder() async throws {
    let pool = try Impl.make(maxWorkers: 1)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    let done = try pool.submitTask { 0 }
    _ = try await done.awaitValue()
    let gate = Gate()
    let blocker = try pool.submitTask {
      gate.pass(); return 1
    }
    let queued = try pool.submitTask { 2 }  // one worker, FIFO: after blocker
    let next = try Impl.asyncCompletions(
      [blocker, done, queued, blocker, done], timeout: nil)
    let first = try await next()
    XCTAssertTrue(first === done, "futures already done come first")
    gate.open()
    let second = try await next()
    let third = try await next()
    let end = try await next()
    XCTAssertTrue(second === blocker)
    XCTAssertTrue(third === queued)
    XCTAssertNil(end, "each future once")
    let again = try await next()
    XCTAssertNil(again)

    let all = try await Impl.allAsyncCompleted([queued, done, blocker], timeout: .seconds(30))
    XCTAssertEqual(all.count, 3, "for try await over done futures")
    let none = try await Impl.allAsyncCompleted([], timeout: nil)
    XCTAssertTrue(none.isEmpty)
  }

  func test_asyncCompletedTimeoutNamesTheUnfinished() async throws {
    let pool = try Impl.make(maxWorkers: 1)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    let done = try pool.submitTask { 0 }
    _ = try await done.awaitValue()
    let gate = Gate()
    let blocker = try pool.submitTask {
      gate.pass(); return 1
    }
    let queued = try pool.submitTask { 2 }
    let next = try Impl.asyncCompletions(
      [blocker, queued, done], timeout: .milliseconds(50))
    let first = try await next()
    XCTAssertTrue(first === done)
    let error = await thrownError { _ = try await next() }
    assertFuturesError(
      Impl.self, error ?? Boom(id: 0), code: "timedOut",
      messageContains: "2 (of 3) futures unfinished after")
    XCTAssertFalse(blocker.isCancelled, "a timeout cancels nothing")
    gate.open()
    _ = try await queued.awaitValue()
    let later = [try await next(), try await next()]
    XCTAssertTrue(
      later[0] === blocker && later[1] === queued,
      "a later call yields what finished meanwhile")
    let end = try await next()
    XCTAssertNil(end)

    let negative = thrownError {
      _ = try Impl.asyncCompletions([done], timeout: .milliseconds(-1))
    }
    assertFuturesError(Impl.self, negative ?? Boom(id: 0), code: "invalidArgument")
  }

  func test_asyncCompletedThrowsCancellationWhenItsTaskIsCancelled() async throws {
    let pool = try Impl.make(maxWorkers: 1)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    let gate = Gate()
    let blocker = try pool.submitTask {
      gate.pass(); return 1
    }
    let iterating = Task {
      try await Impl.allAsyncCompleted([blocker], timeout: nil)
    }
    iterating.cancel()
    let error = await thrownError { _ = try await iterating.value }
    XCTAssertTrue(error is CancellationError, "got \(String(describing: error))")
    XCTAssertFalse(blocker.isCancelled, "the futures are not cancelled")
    gate.open()
  }

  // MARK: TaskExecutor

  func test_executorPreferenceRunsOnThePoolsThreads() async throws {
    let prefix = uniquePrefix()
    let pool = try Impl.make(maxWorkers: 2, queueCapacity: nil, prefix: prefix)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    let name = try await pool.runWithPreference { currentThreadName() }
    XCTAssertTrue(name.hasPrefix(prefix + "-"), "ran on \(name)")
    let afterSuspension = try await pool.runWithPreference { () async throws -> String in
      try await Task.sleep(for: .milliseconds(1))
      return currentThreadName()
    }
    XCTAssertTrue(afterSuspension.hasPrefix(prefix + "-"), "resumed on \(afterSuspension)")
    let taskName = try await pool.taskWithPreference { currentThreadName() }.value
    XCTAssertTrue(taskName.hasPrefix(prefix + "-"), "Task ran on \(taskName)")
  }

  func test_jobsBypassAFullQueueAndOutliveShutdown() async throws {
    let prefix = uniquePrefix()
    let pool = try Impl.make(maxWorkers: 1, queueCapacity: 1, prefix: prefix)
    let gate = Gate()
    let started = Arrivals()
    let blocker = try pool.submitTask {
      started.arrive(); gate.pass(); return 0
    }
    XCTAssertTrue(started.waitFor(1))
    let filler = try pool.submitTask { 1 }
    // The queue is full: the job is not refused, it runs elsewhere.
    let onFull = try await pool.taskWithPreference { 5 }.value
    XCTAssertEqual(onFull, 5)
    gate.open()
    _ = try await filler.awaitValue()
    _ = try await blocker.awaitValue()

    // A job queued behind a busy worker when shutdown cancels the pending
    // work still runs (cancelling it would hang its Task).
    let gate2 = Gate()
    let started2 = Arrivals()
    let blocker2 = try pool.submitTask {
      started2.arrive(); gate2.pass(); return 0
    }
    XCTAssertTrue(started2.waitFor(1))
    let job = pool.taskWithPreference { 6 }
    let queuedJob = await eventually { pool.queuedTasks == 1 }
    XCTAssertTrue(queuedJob, "the job was queued")
    pool.shutdownPool(wait: false, cancelPending: true)
    let drained = try await job.value
    XCTAssertEqual(drained, 6)
    gate2.open()
    _ = try await blocker2.awaitValue()
    pool.shutdownPool(wait: true, cancelPending: false)

    // After shutdown: still runs (elsewhere).
    let late = try await pool.taskWithPreference { 7 }.value
    XCTAssertEqual(late, 7)
  }

  /// 64 child tasks each blocking 50 ms: under the pool's preference (64
  /// workers) the cooperative pool stays free and a heartbeat keeps
  /// ticking; without it they occupy the cooperative threads and the
  /// heartbeat stalls.
  func test_blockingUnderPreferenceLeavesTheCooperativePoolResponsive() async throws {
    let pool = try Impl.make(maxWorkers: 64, queueCapacity: 1024, prefix: uniquePrefix())
    defer { pool.shutdownPool(wait: true, cancelPending: false) }

    @Sendable func blockingRound() async {
      await withTaskGroup(of: Void.self) { group in
        for _ in 0..<64 { group.addTask { usleep(50_000) } }
      }
    }

    func ticks(during work: () async throws -> Void) async rethrows
      -> (ticks: Int, seconds: Double)
    {
      let stop = Counter()
      let beats = Counter()
      // At the blocking tasks' own priority: the global executor keeps a
      // set of threads per priority, and a heartbeat at another one would
      // not compete with them at all.
      let heartbeat = Task.detached(priority: Task.currentPriority) {
        while stop.value == 0 {
          try? await Task.sleep(for: .milliseconds(10))
          beats.increment()
        }
      }
      let clock = ContinuousClock()
      let start = clock.now
      try await work()
      let elapsed = clock.now - start
      let count = beats.value
      stop.increment()
      await heartbeat.value
      let seconds =
        Double(elapsed.components.seconds)
        + Double(elapsed.components.attoseconds) / 1e18
      return (count, seconds)
    }

    let onPool = try await ticks {
      try await pool.runWithPreference {
        for _ in 0..<4 { await blockingRound() }
      }
    }
    let onCooperative = await ticks { await blockingRound() }
    let poolRate = Double(onPool.ticks) / onPool.seconds
    let cooperativeRate = Double(onCooperative.ticks) / onCooperative.seconds
    print(
      "\(implementationName): heartbeat \(onPool.ticks) ticks in "
        + "\(onPool.seconds) s with the pool, \(onCooperative.ticks) in "
        + "\(onCooperative.seconds) s without")
    XCTAssertGreaterThanOrEqual(onPool.ticks, 3, "the heartbeat kept ticking")
    XCTAssertLessThan(
      cooperativeRate, poolRate, "without the pool the heartbeat stalls")
  }

  // MARK: Submitting

  func test_asyncSubmitSuspendsWhileFull() async throws {
    let pool = try Impl.make(maxWorkers: 1, queueCapacity: 1)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    let gate = Gate()
    let started = Arrivals()
    let blocker = try pool.submitTask {
      started.arrive(); gate.pass(); return 0
    }
    XCTAssertTrue(started.waitFor(1))
    let filler = try pool.submitTask { 1 }
    let full = thrownError { _ = try pool.trySubmitTask { 0 } }
    assertFuturesError(Impl.self, full ?? Boom(id: 0), code: "queueFull")

    let submitting = Task { try await pool.submitAsync { 2 } }
    let cancelled = Task { try await pool.submitAsync { 3 } }
    cancelled.cancel()
    let cancelError = await thrownError { _ = try await cancelled.value }
    XCTAssertTrue(cancelError is CancellationError, "got \(String(describing: cancelError))")
    gate.open()
    let future = try await submitting.value
    let value = try await future.awaitValue()
    XCTAssertEqual(value, 2)
    _ = try await filler.awaitValue()
    _ = try await blocker.awaitValue()

    // Shut down while suspended: the shut-down error.
    let gate2 = Gate()
    let started2 = Arrivals()
    let blocker2 = try pool.submitTask {
      started2.arrive(); gate2.pass(); return 0
    }
    XCTAssertTrue(started2.waitFor(1))
    _ = try pool.submitTask { 1 }
    let refused = Task { try await pool.submitAsync { 4 } }
    pool.shutdownPool(wait: false, cancelPending: false)
    let shutError = await thrownError { _ = try await refused.value }
    assertFuturesError(Impl.self, shutError ?? Boom(id: 0), code: "shutDown")
    gate2.open()
    _ = try await blocker2.awaitValue()
  }

  /// Many async submitters on a tiny queue: every submit gets in (a lost
  /// wake-up would leave one suspended: the 60 s watchdog fails the test).
  func test_asyncSubmitsOnATinyQueueAllGetIn() async throws {
    let pool = try Impl.make(maxWorkers: 2, queueCapacity: 2)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    let perSubmitter = scaled(2_000, minimum: 100)
    let ran = Counter()
    let finished = try await withThrowingTaskGroup(of: Bool.self) { group in
      group.addTask {
        try await withThrowingTaskGroup(of: Void.self) { submitters in
          for _ in 0..<8 {
            submitters.addTask {
              for i in 0..<perSubmitter {
                _ = try await pool.submitAsync {
                  ran.increment(); return i
                }
              }
            }
          }
          try await submitters.waitForAll()
        }
        return true
      }
      group.addTask {
        try? await Task.sleep(for: .seconds(60))
        return false
      }
      let first = try await group.next()!
      group.cancelAll()
      return first
    }
    XCTAssertTrue(finished, "every async submit got in within 60 s")
    pool.shutdownPool(wait: true, cancelPending: false)
    XCTAssertEqual(ran.value, 8 * perSubmitter, "each task ran once")
  }

  /// Async submits suspended one after another on a full 1-slot queue
  /// (one worker, held on a gate) enter it in the order they suspended:
  /// the single worker then runs them in that order.  Each submit is
  /// started only once the one before it is in line.
  func test_asyncSubmitsGetInFirstComeFirstServed() async throws {
    let pool = try Impl.make(maxWorkers: 1, queueCapacity: 1)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    let submitters = 6
    for round in 0..<scaled(100, minimum: 10) {
      let gate = Gate()
      let started = Arrivals()
      let blocker = try pool.submitTask {
        started.arrive(); gate.pass(); return -1
      }
      XCTAssertTrue(started.waitFor(1))
      let filler = try pool.submitTask { -2 }
      let order = Recorder<Int>()
      var submits: [Task<Impl.Fut, any Error>] = []
      for i in 0..<submitters {
        submits.append(
          Task {
            try await pool.submitAsync {
              order.append(i); return i
            }
          })
        let inLine = await eventually { pool.suspendedSubmits == i + 1 }
        XCTAssertTrue(inLine, "round \(round): submit \(i) never suspended")
        if !inLine { break }
      }
      gate.open()
      for submit in submits { _ = try await submit.value.awaitValue() }
      _ = try await blocker.awaitValue()
      _ = try await filler.awaitValue()
      XCTAssertEqual(pool.suspendedSubmits, 0)
      XCTAssertEqual(order.all, Array(0..<submitters), "round \(round): queued out of order")
      if order.all != Array(0..<submitters) { break }
    }
  }

  func test_backpressureChoicesOnAFullQueue() throws {
    let pool = try Impl.make(maxWorkers: 1, queueCapacity: 1)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    let gate = Gate()
    let started = Arrivals()
    let blocker = try pool.submitTask {
      started.arrive(); gate.pass(); return 0
    }
    XCTAssertTrue(started.waitFor(1))
    let filler = try pool.submitTask(whenFull: .block) { 1 }

    let rejected = thrownError { _ = try pool.submitTask(whenFull: .reject) { 0 } }
    assertFuturesError(Impl.self, rejected ?? Boom(id: 0), code: "queueFull")
    let timedOut = thrownError {
      _ = try pool.submitTask(whenFull: .blockWithTimeout(.milliseconds(20))) { 0 }
    }
    assertFuturesError(Impl.self, timedOut ?? Boom(id: 0), code: "timedOut")

    let me = currentThreadName()
    let ranOn = Recorder<String>()
    let here = try pool.submitTask(whenFull: .runOnCaller) {
      ranOn.append(currentThreadName())
      return 5
    }
    XCTAssertTrue(here.isDone, "run on the caller before submit returned")
    XCTAssertEqual(ranOn.all, [me])
    XCTAssertEqual(try here.result(timeout: .zero), 5)
    let failing = try pool.submitTask(whenFull: .runOnCaller) { throw Boom(id: 8) }
    XCTAssertEqual(try failing.error(timeout: .zero) as? Boom, Boom(id: 8))

    gate.open()
    XCTAssertEqual(try filler.result(timeout: .seconds(30)), 1)
    XCTAssertEqual(try blocker.result(timeout: .seconds(30)), 0)
    pool.shutdownPool(wait: true, cancelPending: false)
    let shut = thrownError { _ = try pool.submitTask(whenFull: .runOnCaller) { 0 } }
    assertFuturesError(Impl.self, shut ?? Boom(id: 0), code: "shutDown")
  }

  // MARK: Deadlines

  func test_startDeadlinePassedInTheQueueNeverRuns() async throws {
    let pool = try Impl.make(maxWorkers: 1)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    let gate = Gate()
    let started = Arrivals()
    let ran = Counter()
    let blocker = try pool.submitTask {
      started.arrive(); gate.pass(); return 0
    }
    XCTAssertTrue(started.waitFor(1))
    // A zero deadline has passed by the time any worker reaches the task.
    let late = try pool.submitTask(startBy: .zero) {
      ran.increment(); return 1
    }
    let inTime = try pool.submitTask(startBy: .seconds(300)) {
      ran.increment(); return 2
    }
    let calls = Counter()
    late.addCallback { f in if f.isCancelled { calls.increment() } }
    XCTAssertFalse(late.isDone, "still queued: nothing has looked at it")
    gate.open()
    let value = try await inTime.awaitValue()
    XCTAssertEqual(value, 2, "a task that starts in time runs")
    XCTAssertTrue(late.isCancelled)
    XCTAssertEqual(calls.value, 1, "callbacks ran once, seeing it cancelled")
    XCTAssertEqual(ran.value, 1, "the expired task never ran")
    let expected = "the task's start deadline passed before a worker took it"
    let viaAwait = await thrownError { _ = try await late.awaitValue() }
    assertFuturesError(
      Impl.self, viaAwait ?? Boom(id: 0), code: "deadlineExpired",
      messageContains: expected)
    let viaError = thrownError { _ = try late.error(timeout: .zero) }
    assertFuturesError(Impl.self, viaError ?? Boom(id: 0), code: "deadlineExpired")
    XCTAssertTrue(late.cancel(), "cancel() on it still says cancelled")
    _ = try await blocker.awaitValue()

    let negative = thrownError { _ = try pool.submitTask(startBy: .seconds(-1)) { 0 } }
    assertFuturesError(Impl.self, negative ?? Boom(id: 0), code: "invalidArgument")
  }

  func test_startDeadlineBoundsABlockedSubmit() throws {
    let pool = try Impl.make(maxWorkers: 1, queueCapacity: 1)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    let gate = Gate()
    let started = Arrivals()
    let blocker = try pool.submitTask {
      started.arrive(); gate.pass(); return 0
    }
    XCTAssertTrue(started.waitFor(1))
    _ = try pool.submitTask { 1 }
    let full = thrownError { _ = try pool.submitTask(startBy: .milliseconds(20)) { 2 } }
    assertFuturesError(Impl.self, full ?? Boom(id: 0), code: "timedOut")
    gate.open()
    XCTAssertEqual(try blocker.result(timeout: .seconds(30)), 0)
  }

  /// The async `submit(startBy:)`: a task still queued at its deadline
  /// never runs (`.deadlineExpired`); a deadline that passes while the
  /// submit waits for room throws `.timedOut` and queues nothing; room
  /// before the deadline lets it in; cancellation while waiting throws
  /// `CancellationError`.
  func test_asyncStartDeadlineExpiresQueuedAndBoundsTheWait() async throws {
    let pool = try Impl.make(maxWorkers: 1, queueCapacity: 2)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    let gate = Gate()
    let started = Arrivals()
    let ran = Recorder<Int>()
    let blocker = try pool.submitTask {
      started.arrive(); gate.pass(); return 0
    }
    XCTAssertTrue(started.waitFor(1))
    let late = try await pool.submitAsync(startBy: .zero) {
      ran.append(1); return 1
    }
    let inTime = try await pool.submitAsync(startBy: .seconds(300)) {
      ran.append(2); return 2
    }
    XCTAssertEqual(pool.queuedTasks, 2, "the queue is full now")

    let begin = ContinuousClock.now
    let timedOut = await thrownError {
      _ = try await pool.submitAsync(startBy: .milliseconds(100)) {
        ran.append(3); return 3
      }
    }
    XCTAssertGreaterThanOrEqual(ContinuousClock.now - begin, .milliseconds(100))
    assertFuturesError(Impl.self, timedOut ?? Boom(id: 0), code: "timedOut")
    XCTAssertEqual(pool.suspendedSubmits, 0, "it left the line")
    XCTAssertEqual(pool.queuedTasks, 2, "nothing was queued")

    let cancelled = Task {
      try await pool.submitAsync(startBy: .seconds(300)) {
        ran.append(4); return 4
      }
    }
    let cancelledInLine = await eventually { pool.suspendedSubmits == 1 }
    XCTAssertTrue(cancelledInLine)
    cancelled.cancel()
    let cancelError = await thrownError { _ = try await cancelled.value }
    XCTAssertTrue(cancelError is CancellationError, "got \(String(describing: cancelError))")

    let waiting = Task {
      try await pool.submitAsync(startBy: .seconds(300)) {
        ran.append(5); return 5
      }
    }
    let waitingInLine = await eventually { pool.suspendedSubmits == 1 }
    XCTAssertTrue(waitingInLine)
    gate.open()
    let five = try await waiting.value.awaitValue()
    XCTAssertEqual(five, 5, "room before the deadline lets it in, and it runs")
    let two = try await inTime.awaitValue()
    XCTAssertEqual(two, 2)
    _ = try await blocker.awaitValue()
    let expired = await thrownError { _ = try await late.awaitValue() }
    assertFuturesError(
      Impl.self, expired ?? Boom(id: 0), code: "deadlineExpired",
      messageContains: "the task's start deadline passed before a worker took it")
    XCTAssertTrue(late.isCancelled)
    XCTAssertEqual(ran.all, [2, 5], "the expired, refused and cancelled tasks never ran")

    let negative = await thrownError { _ = try await pool.submitAsync(startBy: .seconds(-1)) { 0 } }
    assertFuturesError(Impl.self, negative ?? Boom(id: 0), code: "invalidArgument")
  }

  func test_batchDeadlineCancelsWhatHasNotStarted() async throws {
    let pool = try Impl.make(maxWorkers: 1)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    let gate = Gate()
    let started = Arrivals()
    let ran = Counter()
    let running = try pool.submitTask {
      started.arrive(); gate.pass(); return 0
    }
    XCTAssertTrue(started.waitFor(1))
    let queued = try (0..<3).map { _ in
      try pool.submitTask {
        ran.increment(); return 1
      }
    }

    // wait
    let (done, notDone) = try Impl.waitCancellingOnTimeout(
      [running, queued[0]], timeout: .milliseconds(20))
    XCTAssertTrue(done.count == 1 && done[0] === queued[0], "the pending one, cancelled")
    XCTAssertTrue(notDone.count == 1 && notDone[0] === running, "the running one goes on")
    XCTAssertTrue(queued[0].isCancelled)
    XCTAssertFalse(running.isCancelled)

    // asCompleted
    let next = try Impl.completionsCancellingOnTimeout(
      [running, queued[1]], timeout: .milliseconds(20))
    let error = thrownError { _ = try next() }
    assertFuturesError(
      Impl.self, error ?? Boom(id: 0), code: "timedOut",
      messageContains: "2 (of 2) futures unfinished after")
    XCTAssertTrue(queued[1].isCancelled)
    XCTAssertTrue(try next() === queued[1], "the cancelled one is done now")

    // asyncCompleted
    let asyncNext = try Impl.asyncCompletionsCancellingOnTimeout(
      [running, queued[2]], timeout: .milliseconds(20))
    let asyncError = await thrownError { _ = try await asyncNext() }
    assertFuturesError(
      Impl.self, asyncError ?? Boom(id: 0), code: "timedOut",
      messageContains: "2 (of 2) futures unfinished after")
    XCTAssertTrue(queued[2].isCancelled)
    XCTAssertFalse(running.isCancelled)

    gate.open()
    _ = try await running.awaitValue()
    pool.shutdownPool(wait: true, cancelPending: false)
    XCTAssertEqual(ran.value, 0, "no cancelled task ran")
  }

  func test_asyncResultTimeoutBoundsOnlyTheWait() async throws {
    let pool = try Impl.make(maxWorkers: 1)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    let gate = Gate()
    let future = try pool.submitTask {
      gate.pass(); return 6
    }
    let begin = ContinuousClock.now
    var error: (any Error)?
    do { _ = try await future.awaitResult(timeout: .milliseconds(150)) } catch let e { error = e }
    XCTAssertGreaterThanOrEqual(ContinuousClock.now - begin, .milliseconds(150))
    assertFuturesError(Impl.self, error ?? Boom(id: 0), code: "timedOut")
    XCTAssertFalse(future.isCancelled, "a timeout cancels nothing")
    error = nil
    do { _ = try await future.awaitResult(timeout: .seconds(-1)) } catch let e { error = e }
    assertFuturesError(Impl.self, error ?? Boom(id: 0), code: "invalidArgument")
    gate.open()
    let value = try await future.awaitResult(timeout: .seconds(30))
    XCTAssertEqual(value, 6)
  }

  func test_asyncWaitReturnsOnFirstCompletedAndOnTimeout() async throws {
    let pool = try Impl.make(maxWorkers: 3)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    let tasks = try GatedTasks(pool, count: 3)
    var (done, notDone) = try await Impl.waitForAsync(
      tasks.futures, timeout: .milliseconds(50), returnWhen: .allCompleted)
    XCTAssertEqual(done.count, 0)
    XCTAssertEqual(notDone.count, 3)
    tasks.gates[2].open()
    let begin = ContinuousClock.now
    (done, notDone) = try await Impl.waitForAsync(
      tasks.futures, timeout: .seconds(30), returnWhen: .firstCompleted)
    // A wait that ignored .firstCompleted would return only at the timeout.
    XCTAssertLessThan(ContinuousClock.now - begin, .seconds(25))
    XCTAssertTrue(done.count == 1 && done[0] === tasks.futures[2])
    XCTAssertEqual(notDone.count, 2)
    tasks.openAll()
    (done, notDone) = try await Impl.waitForAsync(
      tasks.futures, timeout: .seconds(30), returnWhen: .allCompleted)
    XCTAssertEqual(done.count, 3)
  }

  func test_asyncMapKeepsOrderAndThrowsTheFirstError() async throws {
    let pool = try Impl.make(maxWorkers: 2)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    let inputs = Array(0..<scaled(2_000, minimum: 200))
    let doubled = try await pool.mapAllAsync(inputs, timeout: nil, lookAhead: 3) { $0 * 2 }
    XCTAssertEqual(doubled, inputs.map { $0 * 2 })
    let ran = Counter()
    var error: (any Error)?
    do {
      _ = try await pool.mapAllAsync(Array(0..<1000), timeout: nil, lookAhead: 4) { x in
        ran.increment()
        if x == 3 || x == 7 { throw Boom(id: x) }
        return x
      }
    } catch let e { error = e }
    XCTAssertEqual(error as? Boom, Boom(id: 3))
    pool.shutdownPool(wait: true, cancelPending: false)
    XCTAssertLessThan(ran.value, 1000, "the rest should have been cancelled")
  }

  // MARK: asyncLazyMap

  /// Input order, a task's error in its place, at most `lookAhead` tasks
  /// started beyond what was yielded.
  func test_asyncLazyMapKeepsOrderErrorsInPlaceAndTheLookAhead() async throws {
    let pool = try Impl.make(maxWorkers: 4)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    let results = try await pool.asyncLazyMapCollect(
      Array(0..<10), timeout: nil, lookAhead: 3, limit: nil
    ) { x in
      if x == 3 { throw Boom(id: 3) }
      return x * 10
    }
    let seen = results.map { result in
      switch result {
      case .success(let v): "\(v)"
      case .failure(let e): "error \((e as? Boom)?.id ?? -1)"
      }
    }
    XCTAssertEqual(seen, ["0", "10", "20", "error 3", "40", "50", "60", "70", "80", "90"])

    let lookAhead = 3
    let n = scaled(1_000, minimum: 100)
    let started = Counter()
    let next = try pool.asyncLazyMapNext(Array(0..<n), timeout: nil, lookAhead: lookAhead) { x in
      started.increment()
      return x
    }
    var consumed = 0
    var worst = 0
    while let result = try await next() {
      XCTAssertEqual(try result.get(), consumed)
      consumed += 1
      worst = max(worst, started.value - consumed)
    }
    XCTAssertEqual(consumed, n)
    XCTAssertLessThanOrEqual(worst, lookAhead, "tasks started beyond the look-ahead")
    let none = try await pool.asyncLazyMapCollect([], timeout: nil, lookAhead: nil, limit: nil) {
      $0
    }
    XCTAssertTrue(none.isEmpty)
  }

  /// Leaving a `for try await` loop early cancels the tasks not yet
  /// yielded (one worker: task 0 runs, 1 may have started, 2...5 are
  /// queued).
  func test_asyncLazyMapLeavingTheLoopCancelsTheRest() async throws {
    let pool = try Impl.make(maxWorkers: 1)
    let gate = Gate()
    let ran = Counter()
    let first = try await pool.asyncLazyMapCollect(
      Array(0..<100), timeout: nil, lookAhead: 5, chunkSize: 1, limit: 1
    ) { x in
      if x > 0 { gate.pass() }
      ran.increment()
      return x
    }
    XCTAssertEqual(first.count, 1)
    XCTAssertEqual(try first.first?.get(), 0)
    gate.open()
    await pool.shutdownAsync(wait: true, cancelPending: false)
    XCTAssertLessThanOrEqual(ran.value, 2, "only the task yielded and one running may run")
  }

  /// Cancelling the iterating Task throws CancellationError and cancels
  /// the tasks not yet yielded; a later next() yields nothing.
  func test_asyncLazyMapCancellingTheTaskCancelsTheRest() async throws {
    let pool = try Impl.make(maxWorkers: 1)
    let gate = Gate()
    let started = Arrivals()
    let ran = Counter()
    let iterating = Task {
      try await pool.asyncLazyMapCollect(
        Array(0..<100), timeout: nil, lookAhead: 5, chunkSize: 1, limit: nil
      ) { x in
        if x == 0 { started.arrive(); gate.pass() }
        ran.increment()
        return x
      }
    }
    XCTAssertTrue(started.waitFor(1))
    iterating.cancel()
    let error = await thrownError { _ = try await iterating.value }
    XCTAssertTrue(error is CancellationError, "got \(String(describing: error))")
    gate.open()
    await pool.shutdownAsync(wait: true, cancelPending: false)
    XCTAssertEqual(ran.value, 1, "only the running task ran")
  }

  /// The map's own timeout ends the iteration with one `.timedOut`
  /// element and cancels what was not yielded; bad input throws at the
  /// call; a shut-down pool gives one `.shutDown` element.
  func test_asyncLazyMapTimeoutBadInputAndShutdown() async throws {
    let pool = try Impl.make(maxWorkers: 1)
    let gate = Gate()
    let ran = Counter()
    let elements = try await pool.asyncLazyMapCollect(
      Array(0..<50), timeout: .milliseconds(150), lookAhead: 4, chunkSize: 1, limit: nil
    ) { x in
      if x == 1 { gate.pass() }
      ran.increment()
      return x
    }
    XCTAssertEqual(elements.count, 2)
    XCTAssertEqual(try elements.first?.get(), 0)
    if elements.count == 2, case .failure(let error) = elements[1] {
      assertFuturesError(
        Impl.self, error, code: "timedOut", messageContains: "with 4 inputs unfinished")
    } else {
      XCTFail("the map's timeout should end the iteration with an error")
    }
    gate.open()
    await pool.shutdownAsync(wait: true, cancelPending: false)
    XCTAssertEqual(ran.value, 2, "queued tasks are cancelled by the map's timeout")

    for call in [
      { _ = try pool.asyncLazyMapNext([1], timeout: nil, lookAhead: 0) { $0 } },
      { _ = try pool.asyncLazyMapNext([1], timeout: .seconds(-1), lookAhead: nil) { $0 } },
    ] {
      assertFuturesError(Impl.self, thrownError(call) ?? Boom(id: 0), code: "invalidArgument")
    }
    let next = try pool.asyncLazyMapNext([1, 2], timeout: nil, lookAhead: nil) { $0 }
    let refused = try await next()
    if case .failure(let error) = refused {
      assertFuturesError(Impl.self, error, code: "shutDown")
    } else {
      XCTFail("expected .failure(shutDown), got \(String(describing: refused))")
    }
    let end = try await next()
    XCTAssertNil(end)
  }

  // MARK: Shutting down

  /// Many async shutdowns wait at once — more than the cooperative pool
  /// has threads — while each pool's task is held on a gate: a shutdown
  /// that parked its thread would leave the others (and this test) unable
  /// to run until the gate's 30 s limit.  Each returns only once its
  /// workers have exited.
  func test_asyncShutdownWaitsWithoutParkingACooperativeThread() async throws {
    let pools = 16
    let prefix = uniquePrefix()
    let gate = Gate()
    let started = Arrivals()
    let gateTimedOut = Counter()
    var list: [Impl] = []
    for _ in 0..<pools {
      let pool = try Impl.make(maxWorkers: 1, queueCapacity: nil, prefix: prefix)
      list.append(pool)
      _ = try pool.submitTask {
        started.arrive()
        if !gate.pass() { gateTimedOut.increment() }
        return 0
      }
    }
    XCTAssertTrue(started.waitFor(pools))
    let calling = Arrivals()
    let returned = Counter()
    let leftBehind = Counter()
    let shutdowns = list.map { pool in
      Task {
        calling.arrive()
        await pool.shutdownAsync(wait: true, cancelPending: false)
        if pool.workerThreads != 0 { leftBehind.increment() }
        returned.increment()
      }
    }
    let allWaiting = await eventually { calling.value == pools }
    XCTAssertTrue(allWaiting, "only \(calling.value) shutdowns began")
    let other = await Task.detached { 42 }.value
    XCTAssertEqual(other, 42, "other work still runs")
    XCTAssertEqual(returned.value, 0, "no shutdown returned while its pool's task ran")
    gate.open()
    for shutdown in shutdowns { await shutdown.value }
    XCTAssertEqual(gateTimedOut.value, 0, "the shutdowns blocked until the gate gave up")
    XCTAssertEqual(leftBehind.value, 0, "a shutdown returned before its workers exited")
    XCTAssertEqual(threadsRemaining(prefix: prefix), 0, "every worker was joined")
  }

  /// The async shutdown cancels what has not started when asked, and
  /// waits from a Task running on the pool itself; the async
  /// `withThreadPoolExecutor` shuts its pool down when the body returns
  /// and when it throws.
  func test_asyncShutdownAndScopedPool() async throws {
    let pool = try Impl.make(maxWorkers: 1)
    let gate = Gate()
    let started = Arrivals()
    let ran = Counter()
    let blocker = try pool.submitTask {
      started.arrive(); gate.pass(); return 0
    }
    XCTAssertTrue(started.waitFor(1))
    let queued = try pool.submitTask {
      ran.increment(); return 1
    }
    let shutting = Task { await pool.shutdownAsync(wait: true, cancelPending: true) }
    let cancelled = await eventually { queued.isCancelled }
    XCTAssertTrue(cancelled, "the task not started was cancelled")
    XCTAssertFalse(blocker.isDone, "the running one goes on")
    gate.open()
    await shutting.value
    XCTAssertEqual(pool.workerThreads, 0)
    XCTAssertEqual(ran.value, 0)
    await pool.shutdownAsync(wait: true, cancelPending: false)  // again: a no-op

    let ownPrefix = uniquePrefix()
    let own = try Impl.make(maxWorkers: 2, queueCapacity: nil, prefix: ownPrefix)
    let name = try await own.runWithPreference { () async -> String in
      let name = currentThreadName()
      await own.shutdownAsync(wait: true, cancelPending: false)
      return name
    }
    XCTAssertTrue(name.hasPrefix(ownPrefix + "-"), "ran on \(name)")
    XCTAssertEqual(threadsRemaining(prefix: ownPrefix), 0, "joined from a Task on the pool")

    let prefix = uniquePrefix()
    let value = try await Impl.withPoolAsync(maxWorkers: 2, prefix: prefix) { pool in
      let future = try await pool.submitAsync {
        usleep(20_000); return 21
      }
      return try await future.awaitValue() * 2
    }
    XCTAssertEqual(value, 42)
    XCTAssertEqual(threadsRemaining(prefix: prefix), 0, "joined before it returned")

    let plainPrefix = uniquePrefix()
    let plain = try await Impl.withPoolAsyncNoAwait(prefix: plainPrefix)
    XCTAssertTrue(plain.isDone, "the scoped pool's work finished before it returned")
    XCTAssertEqual(threadsRemaining(prefix: plainPrefix), 0)

    let failingPrefix = uniquePrefix()
    var kept: Impl?
    let error = await thrownError {
      _ = try await Impl.withPoolAsync(maxWorkers: 1, prefix: failingPrefix) { pool -> Int in
        kept = pool
        _ = try pool.submitTask {
          usleep(20_000); return 1
        }
        throw Boom(id: 5)
      }
    }
    XCTAssertEqual(error as? Boom, Boom(id: 5))
    XCTAssertEqual(threadsRemaining(prefix: failingPrefix), 0, "joined when the body threw")
    let late = await thrownError { _ = try await kept?.submitAsync { 0 } }
    assertFuturesError(Impl.self, late ?? Boom(id: 0), code: "shutDown")
  }
}
