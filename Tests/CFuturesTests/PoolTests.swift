// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// cf_pool: lazy workers, submit through a C-convention trampoline, the
// exactly-once RELEASE rule, shutdown in all its forms, thread names.
import CFutures
import Foundation
import Glibc
import Synchronization
import XCTest

final class PoolTests: XCTestCase {
  // MARK: Helpers

  /// Shuts `pool` down, joining its workers, checks none is left, frees it.
  private func finish(
    _ pool: OpaquePointer, file: StaticString = #filePath, line: UInt = #line
  ) {
    XCTAssertEqual(cf_pool_shutdown(pool, true, false), 0, file: file, line: line)
    XCTAssertEqual(cf_pool_thread_count(pool), 0, file: file, line: line)
    cf_pool_destroy(pool)
  }

  /// A task that signals `started`, then holds its worker until `gate`
  /// opens.
  private func blocker(
    started: DispatchSemaphore, gate: Gate, tally: Tally? = nil
  ) -> TaskBox {
    TaskBox(tally: tally) { _ in
      started.signal()
      gate.pass()
    }
  }

  private func wait(_ future: OpaquePointer, seconds: Double = patience) -> Int32 {
    withDeadline(deadline(after: seconds)) { cf_future_wait(future, $0) }
  }

  // MARK: Creation

  func testCreate_withZeroMaxWorkersOrQueueCapacity_returnsEINVAL() {
    var pool: OpaquePointer?
    var noWorkers = cf_pool_options(
      max_workers: 0, queue_capacity: 8, thread_name_prefix: nil, worker_init: nil,
      worker_fini: nil,
      context_release: nil, context: nil)
    XCTAssertEqual(cf_pool_create(&noWorkers, &pool), EINVAL)
    var noQueue = cf_pool_options(
      max_workers: 2, queue_capacity: 0, thread_name_prefix: nil, worker_init: nil,
      worker_fini: nil,
      context_release: nil, context: nil)
    XCTAssertEqual(cf_pool_create(&noQueue, &pool), EINVAL)
    XCTAssertNil(pool)
    var fine = cf_pool_options(
      max_workers: 2, queue_capacity: 8, thread_name_prefix: nil, worker_init: nil,
      worker_fini: nil,
      context_release: nil, context: nil)
    XCTAssertEqual(cf_pool_create(&fine, nil), EINVAL)
    XCTAssertEqual(cf_pool_create(nil, &pool), EINVAL)
    XCTAssertNil(pool)
  }

  func testCreate_whenAllocationFails_returnsENOMEM_thenWorksAgain() {
    var pool: OpaquePointer?
    var options = cf_pool_options(
      max_workers: 1, queue_capacity: 8, thread_name_prefix: nil, worker_init: nil,
      worker_fini: nil,
      context_release: nil, context: nil)
    cf_test_fail_allocations(1)
    let rc = cf_pool_create(&options, &pool)
    cf_test_fail_allocations(0)
    XCTAssertEqual(rc, ENOMEM)
    XCTAssertNil(pool)
    XCTAssertEqual(cf_pool_create(&options, &pool), 0)
    finish(pool!)
  }

  func testDestroy_withNull_isANoOp() {
    cf_pool_destroy(nil)
  }

  func testWorkers_startLazily_noThreadBeforeTheFirstSubmit() {
    let pool = makePool(maxWorkers: 4)
    XCTAssertEqual(cf_pool_thread_count(pool), 0)
    XCTAssertEqual(cf_pool_queue_size(pool), 0)
    let future = makeFuture()
    XCTAssertEqual(submit(pool, TaskBox(), future: future), 0)
    XCTAssertEqual(cf_pool_thread_count(pool), 1, "the submit started one")
    XCTAssertEqual(wait(future), 0)
    finish(pool)
    cf_future_destroy(future)
  }

  // MARK: Submit arguments

  func testSubmit_withNullPoolOrFunctionBadModeOrBadDeadline_returnsEINVAL() {
    let pool = makePool(maxWorkers: 1)
    let box = TaskBox()
    XCTAssertEqual(cf_pool_submit(nil, boxTask, nil, nil, CF_SUBMIT_BLOCK, nil), EINVAL)
    XCTAssertEqual(cf_pool_submit(pool, nil, nil, nil, CF_SUBMIT_BLOCK, nil), EINVAL)
    XCTAssertEqual(submit(pool, box, mode: cf_submit_mode(rawValue: 7)), EINVAL)
    XCTAssertEqual(submit(pool, box, deadline: invalidDeadline()), EINVAL)
    XCTAssertEqual(cf_pool_thread_count(pool), 0, "a refused submit started a worker")
    finish(pool)
    XCTAssertEqual(box.runs.load(ordering: .relaxed), 0)
    XCTAssertEqual(box.releases.load(ordering: .relaxed), 0)
  }

  // MARK: Exactly once

  func testSubmit_everyAcceptedItemIsReleasedOnce_andRunAtMostOnce() {
    // Items of three kinds (no future, a future, a future the test cancels
    // at once) submitted from one thread while another shuts the pool down
    // with cancel_pending: whatever wins each race, the rules hold.
    let pool = makePool(maxWorkers: 2, queueCapacity: 16)
    let total = scaled(3_000, minimum: 300)
    let boxes = (0..<total).map { TaskBox(index: $0) }
    let futures: [OpaquePointer?] = (0..<total).map { $0 % 3 == 0 ? nil : makeFuture() }
    let codes = Locked<[Int32]>(Array(repeating: -1, count: total))
    let halfway = DispatchSemaphore(value: 0)
    let shared = Shared((pool, futures))
    let submitter = TestThread {
      let (pool, futures) = shared.value
      for i in 0..<total {
        let rc = submit(pool, boxes[i], future: futures[i])
        codes.withLock { $0[i] = rc }
        if rc == 0, i % 3 == 2 { _ = cf_future_cancel(futures[i]!) }
        if i == total / 2 { halfway.signal() }
      }
    }
    expectSignal(halfway, "half submitted")
    XCTAssertEqual(cf_pool_shutdown(pool, false, true), 0)
    submitter.join()
    finish(pool)

    let rcs = codes.withLock { $0 }
    var accepted = 0
    var ran = 0
    for i in 0..<total {
      let runs = boxes[i].runs.load(ordering: .relaxed)
      let releases = boxes[i].releases.load(ordering: .relaxed)
      if rcs[i] == 0 {
        accepted += 1
        ran += runs
        XCTAssertEqual(releases, 1, "item \(i) released \(releases) times")
        XCTAssertLessThanOrEqual(runs, 1, "item \(i) ran \(runs) times")
        if let f = futures[i] {
          let state = cf_future_state(f)
          XCTAssertEqual(
            state, runs == 1 ? CF_FINISHED : CF_CANCELLED_AND_NOTIFIED,
            "item \(i): ran \(runs), state \(state)")
        }
      } else {
        XCTAssertEqual(rcs[i], ESHUTDOWN, "item \(i)")
        XCTAssertEqual(runs + releases, 0, "refused item \(i) was called")
        if let f = futures[i] { XCTAssertEqual(cf_future_state(f), CF_PENDING) }
      }
    }
    XCTAssertGreaterThan(accepted, total / 2)
    print("accepted \(accepted) of \(total), ran \(ran)")
    futures.forEach { cf_future_destroy($0) }
  }

  func testSubmit_100kTasksFrom4Threads_eachRunsExactlyOnce() {
    let pool = makePool(maxWorkers: 4, queueCapacity: 1024)
    let perThread = scaled(100_000) / 4 + 1
    let tally = Tally()
    let submitted = Locked<[Shared<[(TaskBox, OpaquePointer?)]>]>([])
    let failures = Atomic<Int>(0)
    let shared = Shared(pool)
    let threads = TestThread.spawn(4) { t in
      var mine: [(TaskBox, OpaquePointer?)] = []
      mine.reserveCapacity(perThread)
      for i in 0..<perThread {
        let box = TaskBox(index: t * perThread + i, tally: tally)
        let future = i % 2 == 0 ? makeFuture() : nil
        if submit(shared.value, box, future: future) != 0 {
          failures.add(1, ordering: .relaxed)
        }
        mine.append((box, future))
      }
      let batch = Shared(mine)
      submitted.withLock { $0.append(batch) }
    }
    threads.joinAll()
    finish(pool)
    XCTAssertEqual(failures.load(ordering: .relaxed), 0)
    let all = submitted.withLock { $0 }.flatMap(\.value)
    XCTAssertEqual(all.count, perThread * 4)
    XCTAssertEqual(tally.runs.load(ordering: .relaxed), all.count)
    XCTAssertEqual(tally.releases.load(ordering: .relaxed), all.count)
    var bad = 0
    for (box, future) in all {
      let ok =
        box.runs.load(ordering: .relaxed) == 1
        && box.releases.load(ordering: .relaxed) == 1
        && (future.map { cf_future_state($0) == CF_FINISHED } ?? true)
      if !ok { bad += 1 }
      cf_future_destroy(future)
    }
    XCTAssertEqual(bad, 0, "tasks not run and released exactly once")
  }

  func testFutureCancelledWhileQueued_isSkipped_releasedOnce_andNotified() {
    let pool = makePool(maxWorkers: 1)
    let started = DispatchSemaphore(value: 0)
    let gate = Gate()
    XCTAssertEqual(submit(pool, blocker(started: started, gate: gate)), 0)
    expectSignal(started, "blocker running")
    let box = TaskBox()
    let future = makeFuture()
    XCTAssertEqual(submit(pool, box, future: future), 0)
    XCTAssertTrue(cf_future_cancel(future))
    XCTAssertEqual(cf_future_state(future), CF_CANCELLED)
    gate.open()
    finish(pool)
    XCTAssertEqual(box.runs.load(ordering: .relaxed), 0)
    XCTAssertEqual(box.releases.load(ordering: .relaxed), 1)
    XCTAssertEqual(cf_future_state(future), CF_CANCELLED_AND_NOTIFIED)
    cf_future_destroy(future)
  }

  func testSubmit_sameFutureTwice_runsOnlyOnce_andReleasesBoth() {
    let pool = makePool(maxWorkers: 1)
    let future = makeFuture()
    let a = TaskBox()
    let b = TaskBox()
    XCTAssertEqual(submit(pool, a, future: future), 0)
    XCTAssertEqual(submit(pool, b, future: future), 0)
    finish(pool)
    XCTAssertEqual(a.runs.load(ordering: .relaxed) + b.runs.load(ordering: .relaxed), 1)
    XCTAssertEqual(a.releases.load(ordering: .relaxed), 1)
    XCTAssertEqual(b.releases.load(ordering: .relaxed), 1)
    XCTAssertEqual(cf_future_state(future), CF_FINISHED)
    cf_future_destroy(future)
  }

  func testTask_waitingOnItsOwnFuture_getsEDEADLK() {
    let pool = makePool(maxWorkers: 1)
    let future = makeFuture()
    let result = Cell<Int32>(-1)
    let shared = Shared(future)
    let box = TaskBox { _ in result.value = cf_future_wait(shared.value, nil) }
    XCTAssertEqual(submit(pool, box, future: future), 0)
    XCTAssertEqual(wait(future), 0)
    finish(pool)  // the join orders result.value before the read
    XCTAssertEqual(result.value, EDEADLK)
    cf_future_destroy(future)
  }

  func testIsWorkerThread_isTrueOnlyOnThisPoolsWorkers() {
    let pool = makePool(maxWorkers: 1)
    let other = makePool(maxWorkers: 1)
    let seen = Cell<(Bool, Bool)>((false, true))
    let shared = Shared((pool, other))
    let box = TaskBox { _ in
      seen.value = (
        cf_pool_is_worker_thread(shared.value.0),
        cf_pool_is_worker_thread(shared.value.1)
      )
    }
    XCTAssertEqual(submit(pool, box), 0)
    finish(pool)
    finish(other)
    XCTAssertTrue(seen.value.0)
    XCTAssertFalse(seen.value.1)
    XCTAssertFalse(cf_pool_is_worker_thread(nil))
  }

  func testSubmit_fromInsideATask_runsTheNestedTask() {
    let pool = makePool(maxWorkers: 1)
    let inner = TaskBox()
    let innerFuture = makeFuture()
    let innerCode = Cell<Int32>(-1)
    let shared = Shared((pool, innerFuture))
    let outer = TaskBox { _ in
      innerCode.value = submit(shared.value.0, inner, future: shared.value.1)
    }
    XCTAssertEqual(submit(pool, outer), 0)
    XCTAssertEqual(wait(innerFuture), 0)
    finish(pool)
    XCTAssertEqual(innerCode.value, 0)
    XCTAssertEqual(inner.runs.load(ordering: .relaxed), 1)
    XCTAssertEqual(cf_future_state(innerFuture), CF_FINISHED)
    cf_future_destroy(innerFuture)
  }

  // MARK: Shutdown

  func testShutdownWait_runsQueuedWork_andLeavesNoThreads() {
    let pool = makePool(maxWorkers: 3)
    let tally = Tally()
    let futures = makeFutures(30)
    for f in futures { XCTAssertEqual(submit(pool, TaskBox(tally: tally), future: f), 0) }
    XCTAssertEqual(cf_pool_shutdown(pool, true, false), 0)
    XCTAssertEqual(cf_pool_thread_count(pool), 0)
    XCTAssertEqual(tally.runs.load(ordering: .relaxed), 30)
    XCTAssertEqual(tally.releases.load(ordering: .relaxed), 30)
    XCTAssertTrue(futures.allSatisfy { cf_future_state($0) == CF_FINISHED })
    cf_pool_destroy(pool)
    futures.forEach { cf_future_destroy($0) }
  }

  func testShutdown_isIdempotent_andRejectsNull() {
    let pool = makePool(maxWorkers: 2)
    let future = makeFuture()
    XCTAssertEqual(submit(pool, TaskBox(), future: future), 0)
    XCTAssertEqual(cf_pool_shutdown(pool, false, false), 0)
    XCTAssertEqual(cf_pool_shutdown(pool, false, false), 0)
    XCTAssertEqual(cf_pool_shutdown(pool, true, false), 0)
    XCTAssertEqual(cf_pool_thread_count(pool), 0)
    XCTAssertEqual(cf_pool_shutdown(pool, true, true), 0)
    XCTAssertEqual(cf_pool_shutdown(nil, true, false), EINVAL)
    XCTAssertEqual(cf_future_state(future), CF_FINISHED, "queued work ran")
    cf_pool_destroy(pool)
    cf_future_destroy(future)
  }

  func testShutdownWait_fromTwoThreadsAtOnce_eachReturnsOnlyWhenAllAreJoined() {
    let pool = makePool(maxWorkers: 2)
    let started = DispatchSemaphore(value: 0)
    let gate = Gate()
    XCTAssertEqual(submit(pool, blocker(started: started, gate: gate)), 0)
    expectSignal(started, "worker held")
    let ready = DispatchSemaphore(value: 0)
    let returned = DispatchSemaphore(value: 0)
    let seen = Locked<[(code: Int32, threads: Int)]>([])
    let shared = Shared(pool)
    let threads = TestThread.spawn(2) { _ in
      ready.signal()
      let rc = cf_pool_shutdown(shared.value, true, false)
      let left = cf_pool_thread_count(shared.value)
      seen.withLock { $0.append((rc, left)) }
      returned.signal()
    }
    for _ in 0..<2 { expectSignal(ready, "shutter ready") }
    XCTAssertEqual(
      returned.wait(timeout: .now() + 0.2), .timedOut,
      "shutdown(wait) returned while a worker was busy")
    gate.open()
    for _ in 0..<2 { expectSignal(returned, "shutdown returned") }
    threads.joinAll()
    let results = seen.withLock { $0 }
    XCTAssertEqual(results.map(\.code), [0, 0])
    XCTAssertEqual(results.map(\.threads), [0, 0], "returned before the join")
    cf_pool_destroy(pool)
  }

  func testShutdownCancelPending_cancelsExactlyTheUnstartedTasks() {
    let pool = makePool(maxWorkers: 1, queueCapacity: 32)
    let started = DispatchSemaphore(value: 0)
    let gate = Gate()
    let first = blocker(started: started, gate: gate)
    let firstFuture = makeFuture()
    XCTAssertEqual(submit(pool, first, future: firstFuture), 0)
    expectSignal(started, "first task running")

    let queued = 10
    let boxes = (0..<queued).map { TaskBox(index: $0) }
    let futures = makeFutures(queued)
    let log = CallbackLog()
    for i in 0..<queued {
      XCTAssertEqual(submit(pool, boxes[i], future: futures[i]), 0)
      log.add(i, to: futures[i])
    }
    XCTAssertEqual(cf_pool_queue_size(pool), queued)

    // Shut down from another thread, without waiting (the only worker is
    // held on the gate), cancelling what has not started.
    let shutdownThread = Cell<pthread_t>(0)
    let calledBackBeforeReturn = Cell<[Int]>([])
    let shutdownCode = Cell<Int32>(-1)
    let shared = Shared(pool)
    let shutter = TestThread {
      shutdownThread.value = pthread_self()
      shutdownCode.value = cf_pool_shutdown(shared.value, false, true)
      calledBackBeforeReturn.value = log.ids
    }
    shutter.join()
    XCTAssertEqual(shutdownCode.value, 0)
    XCTAssertEqual(calledBackBeforeReturn.value, Array(0..<queued))
    XCTAssertTrue(
      log.entries.allSatisfy { pthread_equal($0.thread, shutdownThread.value) != 0 },
      "cancelled futures' callbacks ran off the shutdown thread")
    XCTAssertEqual(cf_pool_queue_size(pool), 0)
    for i in 0..<queued {
      XCTAssertEqual(cf_future_state(futures[i]), CF_CANCELLED_AND_NOTIFIED, "\(i)")
      XCTAssertEqual(boxes[i].runs.load(ordering: .relaxed), 0, "\(i)")
      XCTAssertEqual(boxes[i].releases.load(ordering: .relaxed), 1, "\(i)")
    }
    XCTAssertEqual(cf_future_state(firstFuture), CF_RUNNING, "the started one runs on")

    gate.open()
    XCTAssertEqual(cf_pool_shutdown(pool, true, false), 0)
    XCTAssertEqual(cf_pool_thread_count(pool), 0)
    XCTAssertEqual(cf_future_state(firstFuture), CF_FINISHED)
    XCTAssertEqual(first.runs.load(ordering: .relaxed), 1)
    XCTAssertEqual(first.releases.load(ordering: .relaxed), 1)
    XCTAssertEqual(
      boxes.map { $0.runs.load(ordering: .relaxed) }, Array(repeating: 0, count: queued))
    cf_pool_destroy(pool)
    cf_future_destroy(firstFuture)
    futures.forEach { cf_future_destroy($0) }
  }

  func testSubmit_afterShutdown_returnsESHUTDOWN_andNeverCallsTheTask() {
    // A pool that never started a worker, and one that has idle workers.
    for warm in [false, true] {
      let pool = makePool(maxWorkers: 2)
      if warm {
        let f = makeFuture()
        XCTAssertEqual(submit(pool, TaskBox(), future: f), 0)
        XCTAssertEqual(wait(f), 0)
        XCTAssertEqual(cf_pool_shutdown(pool, true, false), 0)
        cf_future_destroy(f)
      } else {
        XCTAssertEqual(cf_pool_shutdown(pool, false, false), 0)
      }
      let box = TaskBox()
      let future = makeFuture()
      XCTAssertEqual(submit(pool, box, future: future), ESHUTDOWN, "warm \(warm)")
      XCTAssertEqual(
        submit(pool, box, future: future, mode: CF_SUBMIT_TRY), ESHUTDOWN,
        "warm \(warm)")
      XCTAssertEqual(
        submit(pool, box, future: future, deadline: deadline(after: patience)),
        ESHUTDOWN, "warm \(warm)")
      finish(pool)
      XCTAssertEqual(box.runs.load(ordering: .relaxed), 0)
      XCTAssertEqual(box.releases.load(ordering: .relaxed), 0)
      XCTAssertEqual(cf_future_state(future), CF_PENDING)
      cf_future_destroy(future)
    }
  }

  func testSubmit_blockedOnAFullQueue_isWokenByShutdown_withESHUTDOWN() {
    let pool = makePool(maxWorkers: 1, queueCapacity: 1)
    let started = DispatchSemaphore(value: 0)
    let gate = Gate()
    XCTAssertEqual(submit(pool, blocker(started: started, gate: gate)), 0)
    expectSignal(started, "worker held")
    let queuedBox = TaskBox()
    XCTAssertEqual(submit(pool, queuedBox), 0, "fills the queue")

    let blockedBox = TaskBox()
    let aboutToSubmit = DispatchSemaphore(value: 0)
    let submitDone = DispatchSemaphore(value: 0)
    let submitReturned = Atomic<Bool>(false)
    let code = Cell<Int32>(-1)
    let shared = Shared(pool)
    let submitter = TestThread {
      aboutToSubmit.signal()
      code.value = submit(
        shared.value, blockedBox, deadline: deadline(after: patience))
      submitReturned.store(true, ordering: .sequentiallyConsistent)
      submitDone.signal()
    }
    expectSignal(aboutToSubmit, "submitter ready")
    XCTAssertEqual(
      submitDone.wait(timeout: .now() + 0.2), .timedOut,
      "submit into a full queue returned")
    XCTAssertFalse(submitReturned.load(ordering: .sequentiallyConsistent))

    XCTAssertEqual(cf_pool_shutdown(pool, false, false), 0)
    expectSignal(submitDone, "submit woken by shutdown")
    submitter.join()
    XCTAssertEqual(code.value, ESHUTDOWN)

    gate.open()
    finish(pool)
    XCTAssertEqual(queuedBox.runs.load(ordering: .relaxed), 1, "queued work still runs")
    XCTAssertEqual(blockedBox.runs.load(ordering: .relaxed), 0)
    XCTAssertEqual(blockedBox.releases.load(ordering: .relaxed), 0)
  }

  func testTrySubmit_onAFullQueue_returnsENOBUFS_andNeverCallsTheTask() {
    let pool = makePool(maxWorkers: 1, queueCapacity: 1)
    let started = DispatchSemaphore(value: 0)
    let gate = Gate()
    XCTAssertEqual(submit(pool, blocker(started: started, gate: gate)), 0)
    expectSignal(started, "worker held")
    let queued = TaskBox()
    XCTAssertEqual(submit(pool, queued, mode: CF_SUBMIT_TRY), 0, "room for one")
    let refused = TaskBox()
    XCTAssertEqual(submit(pool, refused, mode: CF_SUBMIT_TRY), ENOBUFS)
    XCTAssertEqual(cf_pool_queue_size(pool), 1)
    gate.open()
    finish(pool)
    XCTAssertEqual(queued.runs.load(ordering: .relaxed), 1)
    XCTAssertEqual(refused.runs.load(ordering: .relaxed), 0)
    XCTAssertEqual(refused.releases.load(ordering: .relaxed), 0)
  }

  func testSubmit_withDeadline_onAFullQueue_returnsETIMEDOUT_afterIt() {
    let pool = makePool(maxWorkers: 1, queueCapacity: 1)
    let started = DispatchSemaphore(value: 0)
    let gate = Gate()
    XCTAssertEqual(submit(pool, blocker(started: started, gate: gate)), 0)
    expectSignal(started, "worker held")
    XCTAssertEqual(submit(pool, TaskBox()), 0, "fills the queue")
    let late = TaskBox()
    let timeout = 0.15
    let (rc, elapsed) = timed {
      submit(pool, late, deadline: deadline(after: timeout))
    }
    XCTAssertEqual(rc, ETIMEDOUT)
    assertExpiryWindow(elapsed, timeout: timeout)
    XCTAssertEqual(submit(pool, late, deadline: pastDeadline()), ETIMEDOUT)
    gate.open()
    finish(pool)
    XCTAssertEqual(late.runs.load(ordering: .relaxed), 0)
    XCTAssertEqual(late.releases.load(ordering: .relaxed), 0)
  }

  func testShutdownWait_fromInsideATask_returnsWithoutDeadlock() {
    let pool = makePool(maxWorkers: 2)
    let returned = DispatchSemaphore(value: 0)
    let code = Cell<Int32>(-1)
    let shared = Shared(pool)
    let box = TaskBox { _ in
      code.value = cf_pool_shutdown(shared.value, true, false)
      returned.signal()
    }
    let future = makeFuture()
    XCTAssertEqual(submit(pool, box, future: future), 0)
    expectSignal(returned, "shutdown(wait) inside a task returned")
    XCTAssertEqual(wait(future), 0)
    XCTAssertEqual(code.value, 0)
    XCTAssertEqual(submit(pool, TaskBox()), ESHUTDOWN, "it did shut down")
    finish(pool)
    XCTAssertEqual(cf_future_state(future), CF_FINISHED)
    cf_future_destroy(future)
  }

  func testShutdownWait_fromADoneCallbackOnAWorker_returnsWithoutDeadlock() {
    let pool = makePool(maxWorkers: 1)
    let future = makeFuture()
    let context = ShutdownFromCallback(pool: pool)
    XCTAssertEqual(
      cf_future_add_done_callback(
        future, shutdownCallback, Unmanaged.passUnretained(context).toOpaque()),
      0)
    XCTAssertEqual(submit(pool, TaskBox(), future: future), 0)
    expectSignal(context.returned, "shutdown(wait) in a callback returned")
    finish(pool)
    XCTAssertEqual(context.code.load(ordering: .relaxed), 0)
    XCTAssertTrue(context.onWorker.load(ordering: .relaxed))
    cf_future_destroy(future)
  }

  // MARK: Destroy without shutdown

  func testDestroy_fromInsideItsOwnTask_queuedTasksStillRun() {
    for workers in [1, 3] {
      for _ in 0..<scaled(20, minimum: 3) {
        let pool = makePool(maxWorkers: workers, queueCapacity: 64)
        let gate = Gate()
        let tally = Tally()
        let shared = Shared(pool)
        let dropper = TaskBox(tally: tally) { _ in
          gate.pass()
          cf_pool_destroy(shared.value)
        }
        XCTAssertEqual(submit(pool, dropper), 0)
        let queued = 20
        let futures = makeFutures(queued)
        for f in futures {
          XCTAssertEqual(submit(pool, TaskBox(tally: tally), future: f), 0)
        }
        gate.open()
        // The pool is gone from here on: only the futures and the tally.
        for f in futures { XCTAssertEqual(wait(f), 0) }
        for _ in 0...queued {
          if !expectSignal(tally.released, "release") { break }
        }
        XCTAssertEqual(tally.runs.load(ordering: .relaxed), queued + 1)
        XCTAssertEqual(tally.releases.load(ordering: .relaxed), queued + 1)
        XCTAssertTrue(futures.allSatisfy { cf_future_state($0) == CF_FINISHED })
        futures.forEach { cf_future_destroy($0) }
      }
    }
  }

  func testDestroy_fromOutside_doesNotBlock_andQueuedTasksStillRun() {
    let pool = makePool(maxWorkers: 1, queueCapacity: 16)
    let started = DispatchSemaphore(value: 0)
    let gate = Gate()
    let tally = Tally()
    XCTAssertEqual(submit(pool, blocker(started: started, gate: gate, tally: tally)), 0)
    expectSignal(started, "worker held")
    let futures = makeFutures(5)
    for f in futures { XCTAssertEqual(submit(pool, TaskBox(tally: tally), future: f), 0) }
    // Destroy on another thread while the worker is held: it must return.
    let destroyed = DispatchSemaphore(value: 0)
    let shared = Shared(pool)
    let dropper = TestThread {
      cf_pool_destroy(shared.value)
      destroyed.signal()
    }
    expectSignal(destroyed, "destroy returned while the worker was busy")
    dropper.join()
    gate.open()
    for f in futures { XCTAssertEqual(wait(f), 0) }
    for _ in 0..<6 { expectSignal(tally.released, "release") }
    XCTAssertEqual(tally.runs.load(ordering: .relaxed), 6)
    futures.forEach { cf_future_destroy($0) }
  }

  // MARK: Threads

  func testWorkerThreads_areNamedPrefixDashN() {
    let pool = makePool(maxWorkers: 2, prefix: "io")
    let started = DispatchSemaphore(value: 0)
    let gate = Gate()
    let names = Locked<[Int: String]>([:])
    let first = TaskBox(index: 1) { box in
      names.withLock { $0[box.index] = currentThreadName() }
      started.signal()
      gate.pass()
    }
    XCTAssertEqual(submit(pool, first), 0)
    expectSignal(started, "first task running")
    // The first worker is held: these two run on the second.
    let f2 = makeFuture()
    let f3 = makeFuture()
    for (index, f) in [(2, f2), (3, f3)] {
      let box = TaskBox(index: index) { box in
        names.withLock { $0[box.index] = currentThreadName() }
      }
      XCTAssertEqual(submit(pool, box, future: f), 0)
    }
    XCTAssertEqual(wait(f2), 0)
    XCTAssertEqual(wait(f3), 0)
    gate.open()
    finish(pool)
    XCTAssertEqual(names.withLock { $0 }, [1: "io-1", 2: "io-2", 3: "io-2"])
    cf_future_destroy(f2)
    cf_future_destroy(f3)
  }

  func testWorkerThreadNames_withATwoDigitIndex_cutThePrefixMore() {
    // Hold each worker so that every submit must start a new one.
    let workers = 10
    let pool = makePool(maxWorkers: workers, prefix: "abcdefghijklmnopqrstuvwxyz")
    let gate = Gate()
    let names = Locked<[Int: String]>([:])
    for index in 1...workers {
      let started = DispatchSemaphore(value: 0)
      let box = TaskBox(index: index) { box in
        names.withLock { $0[box.index] = currentThreadName() }
        started.signal()
        gate.pass()
      }
      XCTAssertEqual(submit(pool, box), 0)
      expectSignal(started, "task \(index) running")
    }
    XCTAssertEqual(cf_pool_thread_count(pool), workers)
    gate.open()
    finish(pool)
    let seen = names.withLock { $0 }
    XCTAssertEqual(Set(seen.values).count, workers, "one name per worker")
    XCTAssertEqual(seen[1], "abcdefghijklm-1")
    XCTAssertEqual(seen[10], "abcdefghijkl-10")
    XCTAssertTrue(seen.values.allSatisfy { $0.utf8.count == 15 })
  }

  func testWorkerThreadName_defaultsToCfPool() {
    let pool = makePool(maxWorkers: 1)
    let name = Cell<String>("")
    XCTAssertEqual(submit(pool, TaskBox { _ in name.value = currentThreadName() }), 0)
    finish(pool)
    XCTAssertEqual(name.value, "cf-pool-1")
  }

  func testWorkerThreadName_longPrefix_isCutToFit15Characters() {
    let pool = makePool(maxWorkers: 1, prefix: "abcdefghijklmnopqrstuvwxyz")
    let name = Cell<String>("")
    XCTAssertEqual(submit(pool, TaskBox { _ in name.value = currentThreadName() }), 0)
    finish(pool)
    XCTAssertEqual(name.value, "abcdefghijklm-1")
    XCTAssertEqual(name.value.utf8.count, 15)
  }

  func testSequentialSubmitThenWait_neverGrowsThePoolPastOneThread() {
    let pool = makePool(maxWorkers: 4)
    var most = 0
    var futures: [OpaquePointer] = []
    for i in 0..<1_000 {
      let f = makeFuture()
      futures.append(f)
      XCTAssertEqual(submit(pool, TaskBox(), future: f), 0)
      most = max(most, cf_pool_thread_count(pool))
      XCTAssertEqual(wait(f), 0)
      if most > 1 {
        XCTFail("iteration \(i): \(most) threads")
        break
      }
    }
    finish(pool)
    XCTAssertEqual(most, 1)
    // Freed only now: the worker may still be inside cf_future_finish when
    // the wait returns; it lets go of the future at CF_TASK_RELEASE.
    futures.forEach { cf_future_destroy($0) }
  }

  func testSubmit_whileTheOnlyWorkerIsBusy_startsAnotherWorker_afterWarmUp() {
    // "Workers start lazily, one per submit while none is idle": after a
    // few sequential submit-then-wait rounds the one worker is idle; once a
    // task holds it, the next submit finds no idle worker and must start
    // one (else the task waits behind the blocking one).
    let pool = makePool(maxWorkers: 2)
    let tally = Tally()
    let warmUp = makeFutures(3)
    for f in warmUp {
      XCTAssertEqual(submit(pool, TaskBox(tally: tally), future: f), 0)
      XCTAssertEqual(wait(f), 0)
      expectSignal(tally.released, "warm-up task released")
    }
    XCTAssertEqual(cf_pool_thread_count(pool), 1)

    let started = DispatchSemaphore(value: 0)
    let gate = Gate()
    XCTAssertEqual(submit(pool, blocker(started: started, gate: gate)), 0)
    expectSignal(started, "the one worker is busy")
    let second = makeFuture()
    XCTAssertEqual(submit(pool, TaskBox(), future: second), 0)
    let threads = cf_pool_thread_count(pool)
    XCTAssertEqual(threads, 2, "no worker was idle, yet the submit started none")
    if threads == 2 {
      XCTAssertEqual(wait(second), 0, "ran while the first task held its worker")
    }
    gate.open()
    finish(pool)
    XCTAssertEqual(cf_future_state(second), CF_FINISHED)
    cf_future_destroy(second)
    warmUp.forEach { cf_future_destroy($0) }
  }

  func testSubmit_onAFreshPool_whileTheFirstTaskRuns_startsASecondWorker() {
    // The same rule on a fresh pool, repeated: the first worker must not
    // count as idle while the task it was started for is on its way.
    let rounds = scaled(200, minimum: 20)
    var misses = 0
    for _ in 0..<rounds {
      let pool = makePool(maxWorkers: 2)
      let started = DispatchSemaphore(value: 0)
      let gate = Gate()
      XCTAssertEqual(submit(pool, blocker(started: started, gate: gate)), 0)
      expectSignal(started, "first task running")
      XCTAssertEqual(submit(pool, TaskBox()), 0)
      if cf_pool_thread_count(pool) != 2 { misses += 1 }
      gate.open()
      finish(pool)
    }
    XCTAssertEqual(misses, 0, "rounds (of \(rounds)) where the second submit started no worker")
  }

  func testMaxWorkers_isNeverExceeded() {
    let pool = makePool(maxWorkers: 3)
    let gate = Gate()
    let active = Atomic<Int>(0)
    let most = Atomic<Int>(0)
    let tasks = 12
    let futures = makeFutures(tasks)
    for f in futures {
      let box = TaskBox { _ in
        let now = active.add(1, ordering: .sequentiallyConsistent).newValue
        most.max(now, ordering: .sequentiallyConsistent)
        gate.pass()
        active.subtract(1, ordering: .sequentiallyConsistent)
      }
      XCTAssertEqual(submit(pool, box, future: f), 0)
      XCTAssertLessThanOrEqual(cf_pool_thread_count(pool), 3)
    }
    gate.open()
    for f in futures { XCTAssertEqual(wait(f), 0) }
    XCTAssertLessThanOrEqual(cf_pool_thread_count(pool), 3)
    finish(pool)
    XCTAssertLessThanOrEqual(most.load(ordering: .sequentiallyConsistent), 3)
    futures.forEach { cf_future_destroy($0) }
  }

  // MARK: Future lifetime and spinning

  func testFuture_destroyedTheMomentWaitReturns_isSafe() {
    // The header: cf_future_destroy is safe "the moment cf_future_wait
    // returns, even while the worker is still finishing" (the item holds a
    // reference).  Under ASan/TSan a use after free here is a report.
    let pool = makePool(maxWorkers: 2)
    let log = CallbackLog()
    for i in 0..<scaled(2_000, minimum: 50) {
      let f = makeFuture()
      log.add(i, to: f)  // keeps the worker busy in finish a little longer
      XCTAssertEqual(submit(pool, TaskBox(), future: f), 0)
      XCTAssertEqual(wait(f), 0)
      cf_future_destroy(f)
    }
    finish(pool)
    XCTAssertEqual(log.ids.count, scaled(2_000, minimum: 50))
  }

  func testSpinLimit_isSetAndRead_negativeMeansOff() {
    let saved = cf_spin_limit()
    defer { cf_set_spin_limit(saved) }
    cf_set_spin_limit(12_345)
    XCTAssertEqual(cf_spin_limit(), 12_345)
    cf_set_spin_limit(0)
    XCTAssertEqual(cf_spin_limit(), 0)
    cf_set_spin_limit(-5)
    XCTAssertEqual(cf_spin_limit(), 0)
  }

  func testHandOffs_withSpinningOff_stillWakeTheSleepers() {
    // With spinning off every wait parks at once: the worker in take and
    // the submitter in cf_future_wait must both be woken, every time.
    let saved = cf_spin_limit()
    cf_set_spin_limit(0)
    defer { cf_set_spin_limit(saved) }
    let pool = makePool(maxWorkers: 1)
    let tally = Tally()
    var futures: [OpaquePointer] = []
    var failures = 0
    for _ in 0..<scaled(500, minimum: 20) {
      let f = makeFuture()
      futures.append(f)
      XCTAssertEqual(submit(pool, TaskBox(tally: tally), future: f), 0)
      if wait(f, seconds: expiryLimit) != 0 { failures += 1 }
    }
    finish(pool)
    XCTAssertEqual(failures, 0, "waits that were not woken")
    XCTAssertEqual(tally.runs.load(ordering: .relaxed), futures.count)
    futures.forEach { cf_future_destroy($0) }
  }

  // MARK: Fault injection

  func testSubmit_whenTheFirstThreadStartFails_returnsEAGAIN_andThePoolStaysUsable() {
    let pool = makePool(maxWorkers: 2)
    let box = TaskBox()
    let future = makeFuture()
    cf_test_fail_thread_starts(1)
    let rc = submit(pool, box, future: future)
    cf_test_fail_thread_starts(0)
    XCTAssertEqual(rc, EAGAIN)
    XCTAssertEqual(cf_pool_thread_count(pool), 0)
    XCTAssertEqual(cf_pool_queue_size(pool), 0, "nothing was queued")
    XCTAssertEqual(cf_future_state(future), CF_PENDING)

    XCTAssertEqual(submit(pool, box, future: future), 0)
    XCTAssertEqual(wait(future), 0)
    finish(pool)
    XCTAssertEqual(box.runs.load(ordering: .relaxed), 1)
    XCTAssertEqual(box.releases.load(ordering: .relaxed), 1)
    cf_future_destroy(future)
  }

  func testSubmit_whenAThreadStartFailsWithAWorkerAlive_stillQueuesTheTask() {
    let pool = makePool(maxWorkers: 2)
    let started = DispatchSemaphore(value: 0)
    let gate = Gate()
    XCTAssertEqual(submit(pool, blocker(started: started, gate: gate)), 0)
    expectSignal(started, "worker held")
    let box = TaskBox()
    let future = makeFuture()
    cf_test_fail_thread_starts(1)
    let rc = submit(pool, box, future: future)
    cf_test_fail_thread_starts(0)
    XCTAssertEqual(rc, 0, "the live worker will run it")
    gate.open()
    XCTAssertEqual(wait(future), 0)
    finish(pool)
    XCTAssertEqual(box.runs.load(ordering: .relaxed), 1)
    cf_future_destroy(future)
  }
}

/// Context for a done-callback that shuts its pool down with wait=true.
private final class ShutdownFromCallback: @unchecked Sendable {
  // @unchecked: `pool` is a C handle, used only through thread-safe calls.
  let pool: OpaquePointer
  let code = Atomic<Int32>(-1)
  let onWorker = Atomic<Bool>(false)
  let returned = DispatchSemaphore(value: 0)
  init(pool: OpaquePointer) { self.pool = pool }
}

private let shutdownCallback: cf_done_fn = { arg, _ in
  let context = Unmanaged<ShutdownFromCallback>.fromOpaque(arg!)
    .takeUnretainedValue()
  context.onWorker.store(
    cf_pool_is_worker_thread(context.pool), ordering: .relaxed)
  context.code.store(cf_pool_shutdown(context.pool, true, false), ordering: .relaxed)
  context.returned.signal()
}
