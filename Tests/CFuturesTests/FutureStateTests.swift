// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// cf_future: the one-word state machine, done-callbacks and waiting.
import CFutures
import Foundation
import Glibc
import Synchronization
import XCTest

final class FutureStateTests: XCTestCase {
  private let allStates: [cf_state] = [
    CF_PENDING, CF_RUNNING, CF_CANCELLED, CF_CANCELLED_AND_NOTIFIED,
    CF_FINISHED,
  ]

  /// A new future driven through legal transitions into `state`.
  private func future(
    in state: cf_state, file: StaticString = #filePath, line: UInt = #line
  ) -> OpaquePointer {
    let f = makeFuture(file: file, line: line)
    switch state {
    case CF_RUNNING:
      XCTAssertEqual(cf_future_set_running_or_notify_cancel(f), 0)
    case CF_FINISHED:
      complete(f, file: file, line: line)
    case CF_CANCELLED:
      XCTAssertTrue(cf_future_cancel(f))
    case CF_CANCELLED_AND_NOTIFIED:
      XCTAssertTrue(cf_future_cancel(f))
      XCTAssertEqual(cf_future_set_running_or_notify_cancel(f), ECANCELED)
    default:
      break
    }
    XCTAssertEqual(cf_future_state(f), state, file: file, line: line)
    return f
  }

  private func wait(_ f: OpaquePointer, deadline: timespec?) -> Int32 {
    withDeadline(deadline) { cf_future_wait(f, $0) }
  }

  // MARK: Creation

  func testCreate_startsPending_andNotDone() {
    let f = makeFuture()
    defer { cf_future_destroy(f) }
    XCTAssertEqual(cf_future_state(f), CF_PENDING)
    XCTAssertFalse(cf_future_is_done(f))
  }

  func testCreate_withNullOut_returnsEINVAL() {
    XCTAssertEqual(cf_future_create(nil), EINVAL)
  }

  func testCreate_whenAllocationFails_returnsENOMEM_thenWorksAgain() {
    var f: OpaquePointer?
    cf_test_fail_allocations(1)
    let rc = cf_future_create(&f)
    cf_test_fail_allocations(0)
    XCTAssertEqual(rc, ENOMEM)
    XCTAssertNil(f)
    XCTAssertEqual(cf_future_create(&f), 0)
    cf_future_destroy(f)
  }

  func testDestroy_withNull_isANoOp() {
    cf_future_destroy(nil)
  }

  // MARK: Legal transitions

  func testSetRunningThenFinish_movesPendingToRunningToFinished() {
    let f = makeFuture()
    defer { cf_future_destroy(f) }
    XCTAssertEqual(cf_future_set_running_or_notify_cancel(f), 0)
    XCTAssertEqual(cf_future_state(f), CF_RUNNING)
    XCTAssertFalse(cf_future_is_done(f))
    XCTAssertEqual(cf_future_finish(f), 0)
    XCTAssertEqual(cf_future_state(f), CF_FINISHED)
    XCTAssertTrue(cf_future_is_done(f))
  }

  func testCancelThenSetRunning_movesPendingToCancelledToCancelledAndNotified() {
    let f = makeFuture()
    defer { cf_future_destroy(f) }
    XCTAssertTrue(cf_future_cancel(f))
    XCTAssertEqual(cf_future_state(f), CF_CANCELLED)
    XCTAssertTrue(cf_future_is_done(f), "cancelled is done at once")
    XCTAssertEqual(cf_future_set_running_or_notify_cancel(f), ECANCELED)
    XCTAssertEqual(cf_future_state(f), CF_CANCELLED_AND_NOTIFIED)
    XCTAssertTrue(cf_future_is_done(f))
  }

  // MARK: Illegal transitions change nothing

  func testFinish_onAnyStateButRunning_returnsEINVAL_andChangesNothing() {
    for state in allStates where state != CF_RUNNING {
      let f = future(in: state)
      let log = CallbackLog()
      if state == CF_PENDING { log.add(1, to: f) }
      XCTAssertEqual(cf_future_finish(f), EINVAL, "finish on \(state)")
      XCTAssertEqual(cf_future_state(f), state, "finish on \(state)")
      if state == CF_PENDING {
        XCTAssertEqual(log.ids, [], "a refused finish ran callbacks")
      }
      cf_future_destroy(f)
    }
  }

  func testSetRunning_onRunningFinishedOrNotified_returnsEINVAL_andChangesNothing() {
    for state in [CF_RUNNING, CF_FINISHED, CF_CANCELLED_AND_NOTIFIED] {
      let f = future(in: state)
      XCTAssertEqual(
        cf_future_set_running_or_notify_cancel(f), EINVAL, "on \(state)")
      XCTAssertEqual(cf_future_state(f), state, "on \(state)")
      cf_future_destroy(f)
    }
  }

  func testCancel_onRunningOrFinished_returnsFalse_andChangesNothing() {
    for state in [CF_RUNNING, CF_FINISHED] {
      let f = future(in: state)
      let log = CallbackLog()
      if state == CF_RUNNING { log.add(1, to: f) }
      XCTAssertFalse(cf_future_cancel(f), "cancel on \(state)")
      XCTAssertEqual(cf_future_state(f), state, "cancel on \(state)")
      XCTAssertEqual(log.ids, [], "a refused cancel ran callbacks")
      if state == CF_RUNNING {
        XCTAssertEqual(cf_future_finish(f), 0, "still finishable")
        XCTAssertEqual(log.ids, [1])
      }
      cf_future_destroy(f)
    }
  }

  func testCancel_twice_returnsTrueBothTimes_andRunsCallbacksOnce() {
    let f = makeFuture()
    defer { cf_future_destroy(f) }
    let log = CallbackLog()
    log.add(1, to: f)
    XCTAssertTrue(cf_future_cancel(f))
    XCTAssertTrue(cf_future_cancel(f))
    XCTAssertEqual(cf_future_state(f), CF_CANCELLED)
    XCTAssertEqual(cf_future_set_running_or_notify_cancel(f), ECANCELED)
    XCTAssertTrue(cf_future_cancel(f), "notified is still cancelled")
    XCTAssertEqual(cf_future_state(f), CF_CANCELLED_AND_NOTIFIED)
    XCTAssertEqual(log.ids, [1])
  }

  func testSetRunning_onCancelledFuture_notifiesOnlyOnce() {
    let f = future(in: CF_CANCELLED)
    defer { cf_future_destroy(f) }
    XCTAssertEqual(cf_future_set_running_or_notify_cancel(f), ECANCELED)
    XCTAssertEqual(cf_future_set_running_or_notify_cancel(f), EINVAL)
    XCTAssertEqual(cf_future_state(f), CF_CANCELLED_AND_NOTIFIED)
  }

  // MARK: Races

  func testCancelRacingSetRunning_exactlyOneWinsEveryTime() {
    let rounds = scaled(10_000)
    let current = Cell<OpaquePointer?>(nil)
    let helperResult = Cell<Int32>(0)
    var mainResult = 0 as Int32
    var cancelWins = 0
    var failures = 0
    // Even rounds: the helper starts the task and main cancels; odd rounds
    // the other way round.  The barrier releases both at once.
    runInLockstep(
      rounds: rounds,
      prepare: { _ in current.value = makeFuture() },
      helper: { round in
        let f = current.value!
        if round % 2 == 0 {
          helperResult.value = cf_future_set_running_or_notify_cancel(f)
        } else {
          helperResult.value = cf_future_cancel(f) ? 1 : 0
        }
      },
      main: { round in
        let f = current.value!
        if round % 2 == 0 {
          mainResult = cf_future_cancel(f) ? 1 : 0
        } else {
          mainResult = cf_future_set_running_or_notify_cancel(f)
        }
      },
      check: { round in
        let f = current.value!
        let (start, cancelled) =
          round % 2 == 0
          ? (helperResult.value, mainResult == 1)
          : (mainResult, helperResult.value == 1)
        let state = cf_future_state(f)
        let startWon = start == 0 && !cancelled && state == CF_RUNNING
        let cancelWon =
          start == ECANCELED && cancelled && state == CF_CANCELLED_AND_NOTIFIED
        if startWon == cancelWon {
          failures += 1
          if failures <= 5 {
            XCTFail(
              "round \(round): start \(start), cancel \(cancelled), state \(state)")
          }
        }
        if cancelWon { cancelWins += 1 }
        if state == CF_RUNNING { XCTAssertEqual(cf_future_finish(f), 0) }
        cf_future_destroy(f)
      })
    XCTAssertEqual(failures, 0, "rounds without exactly one winner")
    // Not asserted (scheduling decides), but shows the race was real.
    print("cancel won \(cancelWins) of \(rounds) rounds")
  }

  func testAddDoneCallbackRacingFinish_runsCallbackExactlyOnce() {
    let rounds = scaled(5_000)
    let current = Cell<OpaquePointer?>(nil)
    let log = Cell<CallbackLog?>(nil)
    let helperAdd = Cell<Int32>(-1)
    var failures = 0
    runInLockstep(
      rounds: rounds,
      prepare: { _ in
        let f = makeFuture()
        XCTAssertEqual(cf_future_set_running_or_notify_cancel(f), 0)
        current.value = f
        log.value = CallbackLog()
        log.value!.add(0, to: f)
      },
      helper: { _ in helperAdd.value = log.value!.add(1, to: current.value!) },
      main: { _ in _ = cf_future_finish(current.value!) },
      check: { round in
        let ids = log.value!.ids
        // Exactly once each.  (Order in this race: see
        // testCallback_addedWhileEarlierOnesRun_runsAfterThem.)
        if helperAdd.value != 0 || ids.sorted() != [0, 1] {
          failures += 1
          if failures <= 5 {
            XCTFail("round \(round): add \(helperAdd.value), callbacks \(ids)")
          }
        }
        cf_future_destroy(current.value!)
      })
    XCTAssertEqual(failures, 0)
  }

  func testCancelRacingCancel_bothReturnTrue_callbacksRunOnce() {
    let rounds = scaled(5_000)
    let current = Cell<OpaquePointer?>(nil)
    let log = Cell<CallbackLog?>(nil)
    let helperResult = Cell<Bool>(false)
    var mainResult = false
    var failures = 0
    runInLockstep(
      rounds: rounds,
      prepare: { _ in
        current.value = makeFuture()
        log.value = CallbackLog()
        log.value!.add(7, to: current.value!)
      },
      helper: { _ in helperResult.value = cf_future_cancel(current.value!) },
      main: { _ in mainResult = cf_future_cancel(current.value!) },
      check: { round in
        let ids = log.value!.ids
        if !helperResult.value || !mainResult || ids != [7] {
          failures += 1
          if failures <= 5 {
            XCTFail(
              "round \(round): \(helperResult.value) \(mainResult) \(ids)")
          }
        }
        cf_future_destroy(current.value!)
      })
    XCTAssertEqual(failures, 0)
  }

  // MARK: Callbacks

  func testCallbacks_runOnceEach_inOrderAdded_onTheFinishingThread() {
    let f = makeFuture()
    defer { cf_future_destroy(f) }
    let log = CallbackLog()
    for id in 0..<10 { XCTAssertEqual(log.add(id, to: f), 0) }
    XCTAssertEqual(log.ids, [], "callbacks ran before completion")

    let finisherThread = Cell<pthread_t>(0)
    let shared = Shared(f)
    let finisher = TestThread {
      finisherThread.value = pthread_self()
      _ = cf_future_set_running_or_notify_cancel(shared.value)
      _ = cf_future_finish(shared.value)
    }
    finisher.join()
    XCTAssertEqual(log.ids, Array(0..<10))
    for entry in log.entries {
      XCTAssertTrue(
        pthread_equal(entry.thread, finisherThread.value) != 0,
        "callback \(entry.id) ran off the finishing thread")
    }
    // Nothing runs twice, whatever else happens to the future.
    XCTAssertFalse(cf_future_cancel(f))
    XCTAssertEqual(cf_future_finish(f), EINVAL)
    XCTAssertEqual(log.ids, Array(0..<10))
  }

  func testCallback_addedAfterCompletion_runsAtOnce_onTheAddingThread() {
    let f = makeFuture()
    defer { cf_future_destroy(f) }
    let log = CallbackLog()
    log.add(0, to: f)
    let shared = Shared(f)
    let finisher = TestThread { complete(shared.value) }
    finisher.join()
    XCTAssertEqual(log.ids, [0])

    // From a third thread: it runs there, before add returns.
    let adderThread = Cell<pthread_t>(0)
    let seenWhenAddReturned = Cell<[Int]>([])
    let adder = TestThread {
      adderThread.value = pthread_self()
      XCTAssertEqual(log.add(1, to: shared.value), 0)
      seenWhenAddReturned.value = log.ids
    }
    adder.join()
    XCTAssertEqual(seenWhenAddReturned.value, [0, 1])
    XCTAssertTrue(pthread_equal(log.entries[1].thread, adderThread.value) != 0)

    // And from this thread.
    XCTAssertEqual(log.add(2, to: f), 0)
    XCTAssertEqual(log.ids, [0, 1, 2])
    XCTAssertTrue(pthread_equal(log.entries[2].thread, pthread_self()) != 0)
  }

  func testCallback_addedWhileEarlierOnesRun_runsAfterThem() {
    // The header: "run once, after the ones added before it".  Callback 0
    // holds the finishing thread inside the callback run; callback 1 was
    // added before completion, callback 2 is added while 0 still runs.
    let f = makeFuture()
    defer { cf_future_destroy(f) }
    XCTAssertEqual(cf_future_set_running_or_notify_cancel(f), 0)
    let log = CallbackLog()
    let blocker = BlockingCallback(id: 0, log: log)
    XCTAssertEqual(
      cf_future_add_done_callback(
        f, blockingCallback, Unmanaged.passUnretained(blocker).toOpaque()),
      0)
    log.add(1, to: f)
    let shared = Shared(f)
    let finisher = TestThread { _ = cf_future_finish(shared.value) }
    expectSignal(blocker.entered, "callback 0 running")
    XCTAssertEqual(log.add(2, to: f), 0)
    blocker.gate.signal()
    finisher.join()
    XCTAssertEqual(log.ids, [0, 1, 2])
    withExtendedLifetime(blocker) {}
  }

  func testCallbacks_runOnTheCancellingThread_beforeCancelReturns() {
    let f = makeFuture()
    defer { cf_future_destroy(f) }
    let log = CallbackLog()
    for id in 0..<3 { log.add(id, to: f) }
    let cancellerThread = Cell<pthread_t>(0)
    let seenWhenCancelReturned = Cell<[Int]>([])
    let shared = Shared(f)
    let canceller = TestThread {
      cancellerThread.value = pthread_self()
      XCTAssertTrue(cf_future_cancel(shared.value))
      seenWhenCancelReturned.value = log.ids
    }
    canceller.join()
    XCTAssertEqual(seenWhenCancelReturned.value, [0, 1, 2])
    for entry in log.entries {
      XCTAssertTrue(pthread_equal(entry.thread, cancellerThread.value) != 0)
    }
    // The worker's later notify does not run them again.
    XCTAssertEqual(cf_future_set_running_or_notify_cancel(f), ECANCELED)
    XCTAssertEqual(log.ids, [0, 1, 2])
  }

  func testAddDoneCallback_withNullFutureOrFunction_returnsEINVAL() {
    let f = makeFuture()
    defer { cf_future_destroy(f) }
    XCTAssertEqual(cf_future_add_done_callback(nil, recordingCallback, nil), EINVAL)
    XCTAssertEqual(cf_future_add_done_callback(f, nil, nil), EINVAL)
  }

  func testAddDoneCallback_whenAllocationFails_returnsENOMEM_andNeverCallsIt() {
    let f = makeFuture()
    defer { cf_future_destroy(f) }
    let log = CallbackLog()
    log.add(0, to: f)
    cf_test_fail_allocations(1)
    let rc = log.add(1, to: f)
    cf_test_fail_allocations(0)
    XCTAssertEqual(rc, ENOMEM)
    log.add(2, to: f)
    complete(f)
    XCTAssertEqual(log.ids, [0, 2])
  }

  func testDestroy_withCallbacksStillRegistered_neverCallsThem() {
    let log = CallbackLog()
    for _ in 0..<50 {
      let f = makeFuture()
      for id in 0..<3 { log.add(id, to: f) }
      cf_future_destroy(f)
    }
    XCTAssertEqual(log.ids, [])
  }

  // MARK: Waiting

  func testWait_onDoneFuture_returnsZeroAtOnce() {
    for state in [CF_FINISHED, CF_CANCELLED, CF_CANCELLED_AND_NOTIFIED] {
      let f = future(in: state)
      // A deadline already past: only an immediate answer can be 0.
      XCTAssertEqual(wait(f, deadline: pastDeadline()), 0, "\(state)")
      XCTAssertEqual(wait(f, deadline: nil), 0, "\(state)")
      cf_future_destroy(f)
    }
  }

  func testWait_onPendingOrRunningFuture_returnsETIMEDOUT_afterTheDeadline() {
    for state in [CF_PENDING, CF_RUNNING] {
      let f = future(in: state)
      let timeout = 0.15
      let (rc, elapsed) = timed { wait(f, deadline: deadline(after: timeout)) }
      XCTAssertEqual(rc, ETIMEDOUT, "\(state)")
      assertExpiryWindow(elapsed, timeout: timeout)
      XCTAssertEqual(cf_future_state(f), state, "a timed-out wait changed it")
      XCTAssertEqual(wait(f, deadline: pastDeadline()), ETIMEDOUT)
      cf_future_destroy(f)
    }
  }

  func testWait_withInvalidDeadlineOrNullFuture_returnsEINVAL() {
    let f = makeFuture()
    defer { cf_future_destroy(f) }
    XCTAssertEqual(wait(f, deadline: invalidDeadline()), EINVAL)
    XCTAssertEqual(cf_future_wait(nil, nil), EINVAL)
  }

  func testWait_isWokenByFinishFromAnotherThread() {
    let f = makeFuture()
    defer { cf_future_destroy(f) }
    XCTAssertEqual(cf_future_set_running_or_notify_cancel(f), 0)
    let aboutToWait = DispatchSemaphore(value: 0)
    let waitDone = DispatchSemaphore(value: 0)
    let result = Cell<Int32>(-1)
    let shared = Shared(f)
    let waiter = TestThread {
      aboutToWait.signal()
      result.value = withDeadline(deadline(after: patience)) {
        cf_future_wait(shared.value, $0)
      }
      waitDone.signal()
    }
    expectSignal(aboutToWait, "waiter ready")
    XCTAssertEqual(
      waitDone.wait(timeout: .now() + 0.2), .timedOut,
      "wait on a running future returned")
    XCTAssertEqual(cf_future_finish(f), 0)
    expectSignal(waitDone, "wait woken by finish")
    waiter.join()
    XCTAssertEqual(result.value, 0)
  }

  func testWait_isWokenByCancelFromAnotherThread() {
    let f = makeFuture()
    defer { cf_future_destroy(f) }
    let aboutToWait = DispatchSemaphore(value: 0)
    let waitDone = DispatchSemaphore(value: 0)
    let result = Cell<Int32>(-1)
    let shared = Shared(f)
    let waiter = TestThread {
      aboutToWait.signal()
      result.value = withDeadline(deadline(after: patience)) {
        cf_future_wait(shared.value, $0)
      }
      waitDone.signal()
    }
    expectSignal(aboutToWait, "waiter ready")
    XCTAssertEqual(
      waitDone.wait(timeout: .now() + 0.2), .timedOut,
      "wait on a pending future returned")
    XCTAssertTrue(cf_future_cancel(f))
    expectSignal(waitDone, "wait woken by cancel")
    waiter.join()
    XCTAssertEqual(result.value, 0)
  }

  func testWait_manyWaitersOnOneFuture_allWake() {
    let f = makeFuture()
    defer { cf_future_destroy(f) }
    XCTAssertEqual(cf_future_set_running_or_notify_cancel(f), 0)
    let waiters = 8
    let ready = DispatchSemaphore(value: 0)
    let done = DispatchSemaphore(value: 0)
    let results = Locked<[Int32]>([])
    let shared = Shared(f)
    let threads = TestThread.spawn(waiters) { _ in
      ready.signal()
      let rc = withDeadline(deadline(after: patience)) {
        cf_future_wait(shared.value, $0)
      }
      results.withLock { $0.append(rc) }
      done.signal()
    }
    for _ in 0..<waiters { expectSignal(ready, "waiter ready") }
    XCTAssertEqual(
      done.wait(timeout: .now() + 0.2), .timedOut, "a waiter returned early")
    let (_, elapsed) = timed {
      XCTAssertEqual(cf_future_finish(f), 0)
      for _ in 0..<waiters { expectSignal(done, "waiter woken") }
    }
    threads.joinAll()
    XCTAssertEqual(results.withLock { $0 }, Array(repeating: 0, count: waiters))
    XCTAssertLessThan(elapsed, expiryLimit, "waiters woke only at their deadline")
  }

  func testWaitRacingFinish_neverMissesTheWakeUp() {
    let rounds = scaled(3_000)
    let current = Cell<OpaquePointer?>(nil)
    let waitResult = Cell<Int32>(-1)
    let waitTime = Cell<Double>(0)
    var failures = 0
    runInLockstep(
      rounds: rounds,
      prepare: { _ in
        let f = makeFuture()
        XCTAssertEqual(cf_future_set_running_or_notify_cancel(f), 0)
        current.value = f
      },
      helper: { _ in
        let (rc, elapsed) = timed {
          withDeadline(deadline(after: expiryLimit)) {
            cf_future_wait(current.value!, $0)
          }
        }
        waitResult.value = rc
        waitTime.value = elapsed
      },
      main: { _ in _ = cf_future_finish(current.value!) },
      check: { round in
        if waitResult.value != 0 {
          failures += 1
          if failures <= 5 {
            XCTFail(
              "round \(round): wait \(waitResult.value) after \(waitTime.value) s")
          }
        }
        cf_future_destroy(current.value!)
      })
    XCTAssertEqual(failures, 0)
  }

  func testFinish_publishesWritesMadeBeforeIt_toTheWaiter() {
    // Under TSan this is the check that finish releases and wait acquires:
    // `payload` is a plain, unsynchronised variable.
    let rounds = scaled(2_000)
    let current = Cell<OpaquePointer?>(nil)
    let payload = Cell<Int>(0)
    var failures = 0
    runInLockstep(
      rounds: rounds,
      prepare: { _ in
        let f = makeFuture()
        XCTAssertEqual(cf_future_set_running_or_notify_cancel(f), 0)
        current.value = f
      },
      helper: { round in
        payload.value = round + 1
        _ = cf_future_finish(current.value!)
      },
      main: { round in
        let rc = withDeadline(deadline(after: patience)) {
          cf_future_wait(current.value!, $0)
        }
        if rc != 0 || payload.value != round + 1 {
          failures += 1
          if failures <= 5 {
            XCTFail("round \(round): wait \(rc), payload \(payload.value)")
          }
        }
      },
      check: { _ in cf_future_destroy(current.value!) })
    XCTAssertEqual(failures, 0)
  }
}

/// A done-callback that records itself, then holds its thread until `gate`
/// is signalled.
private final class BlockingCallback: Sendable {
  let id: Int
  let log: CallbackLog
  let entered = DispatchSemaphore(value: 0)
  let gate = DispatchSemaphore(value: 0)
  init(id: Int, log: CallbackLog) {
    self.id = id
    self.log = log
  }
}

private let blockingCallback: cf_done_fn = { arg, _ in
  let box = Unmanaged<BlockingCallback>.fromOpaque(arg!).takeUnretainedValue()
  box.log.record(box.id)
  box.entered.signal()
  _ = box.gate.wait(timeout: .now() + patience)
}
