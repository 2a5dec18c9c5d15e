// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// cf_waiter: completions pushed in the order they happen (as_completed's
// engine), and a destroy that must never leave a callback into freed memory.
import CFutures
import Foundation
import Glibc
import Synchronization
import XCTest

final class WaiterTests: XCTestCase {
  private func makeWaiter(
    _ capacity: Int, file: StaticString = #filePath, line: UInt = #line
  ) -> OpaquePointer {
    var w: OpaquePointer?
    XCTAssertEqual(cf_waiter_create(capacity, &w), 0, file: file, line: line)
    return w!
  }

  /// (code, tag); tag is -1 when nothing was taken.
  private func next(_ w: OpaquePointer, deadline: timespec?) -> (Int32, Int) {
    var tag = 0
    let rc = withDeadline(deadline) { cf_waiter_next(w, $0, &tag) }
    return (rc, rc == 0 ? tag : -1)
  }

  // MARK: Creation and arguments

  func testCreate_withZeroCapacityOrNullOut_returnsEINVAL() {
    var w: OpaquePointer?
    XCTAssertEqual(cf_waiter_create(0, &w), EINVAL)
    XCTAssertNil(w)
    XCTAssertEqual(cf_waiter_create(4, nil), EINVAL)
  }

  func testCreate_whenAllocationFails_returnsENOMEM_thenWorksAgain() {
    var w: OpaquePointer?
    cf_test_fail_allocations(1)
    let rc = cf_waiter_create(4, &w)
    cf_test_fail_allocations(0)
    XCTAssertEqual(rc, ENOMEM)
    XCTAssertNil(w)
    XCTAssertEqual(cf_waiter_create(4, &w), 0)
    cf_waiter_destroy(w)
  }

  func testDestroy_withNull_isANoOp() {
    cf_waiter_destroy(nil)
  }

  func testCalls_withNullArgumentsOrInvalidDeadline_returnEINVAL() {
    // Futures must outlive the waiter that watches them: destroy runs
    // first because its defer comes last.
    let f = makeFuture()
    defer { cf_future_destroy(f) }
    let w = makeWaiter(2)
    defer { cf_waiter_destroy(w) }
    XCTAssertEqual(cf_waiter_add(nil, f, 1), EINVAL)
    XCTAssertEqual(cf_waiter_add(w, nil, 1), EINVAL)
    XCTAssertEqual(cf_waiter_remaining(w), 0)
    XCTAssertEqual(cf_waiter_add(w, f, 1), 0)
    complete(f)
    var tag = 0
    XCTAssertEqual(cf_waiter_next(nil, nil, &tag), EINVAL)
    XCTAssertEqual(cf_waiter_next(w, nil, nil), EINVAL)
    XCTAssertEqual(next(w, deadline: invalidDeadline()).0, EINVAL)
    XCTAssertEqual(cf_waiter_remaining(w), 1, "a refused next took nothing")
    XCTAssertEqual(next(w, deadline: nil).1, 1)
  }

  // MARK: Order and readiness

  func testNext_yieldsTagsInCompletionOrder() {
    let futures = makeFutures(6)
    defer { futures.forEach { cf_future_destroy($0) } }
    let w = makeWaiter(6)
    defer { cf_waiter_destroy(w) }
    for (i, f) in futures.enumerated() {
      XCTAssertEqual(cf_waiter_add(w, f, 100 + i), 0)
    }
    let order = [3, 0, 5, 1, 4, 2]
    let shared = Shared(futures)
    let completer = TestThread {
      for i in order {
        // Finish some, cancel others: both are completions.
        if i % 2 == 0 {
          complete(shared.value[i])
        } else {
          XCTAssertTrue(cf_future_cancel(shared.value[i]))
        }
      }
    }
    var tags: [Int] = []
    for _ in order {
      let (rc, tag) = next(w, deadline: deadline(after: patience))
      XCTAssertEqual(rc, 0)
      tags.append(tag)
    }
    completer.join()
    XCTAssertEqual(tags, order.map { 100 + $0 })
    XCTAssertEqual(next(w, deadline: nil).0, ENOENT)
  }

  func testAdd_alreadyDoneFutures_areReadyAtOnce_inTheOrderAdded() {
    let finished = makeFuture()
    complete(finished)
    let cancelled = makeFuture()
    XCTAssertTrue(cf_future_cancel(cancelled))
    let pending = makeFuture()
    defer { [finished, cancelled, pending].forEach { cf_future_destroy($0) } }
    let w = makeWaiter(4)
    defer { cf_waiter_destroy(w) }
    XCTAssertEqual(cf_waiter_add(w, pending, 1), 0)
    XCTAssertEqual(cf_waiter_add(w, cancelled, 2), 0)
    XCTAssertEqual(cf_waiter_add(w, finished, 3), 0)
    // A deadline already past: only ready tags can come back.
    XCTAssertEqual(next(w, deadline: pastDeadline()).1, 2)
    XCTAssertEqual(next(w, deadline: pastDeadline()).1, 3)
    XCTAssertEqual(next(w, deadline: pastDeadline()).0, ETIMEDOUT)
    XCTAssertEqual(cf_waiter_remaining(w), 1)
    XCTAssertTrue(cf_future_cancel(pending))
    XCTAssertEqual(next(w, deadline: pastDeadline()).1, 1)
  }

  func testNext_afterEveryFutureTaken_returnsENOENT_withoutBlocking() {
    let futures = makeFutures(2)
    defer { futures.forEach { cf_future_destroy($0) } }
    let w = makeWaiter(2)
    defer { cf_waiter_destroy(w) }
    XCTAssertEqual(next(w, deadline: nil).0, ENOENT, "nothing added")
    for (i, f) in futures.enumerated() { XCTAssertEqual(cf_waiter_add(w, f, i), 0) }
    futures.forEach { complete($0) }
    XCTAssertEqual(next(w, deadline: nil).0, 0)
    XCTAssertEqual(next(w, deadline: nil).0, 0)
    XCTAssertEqual(next(w, deadline: nil).0, ENOENT)
    XCTAssertEqual(next(w, deadline: deadline(after: patience)).0, ENOENT)
    XCTAssertEqual(cf_waiter_remaining(w), 0)
  }

  func testNext_withDeadline_whenNothingCompletes_returnsETIMEDOUT_afterIt() {
    let f = makeFuture()
    defer { cf_future_destroy(f) }
    let w = makeWaiter(2)
    defer { cf_waiter_destroy(w) }
    XCTAssertEqual(cf_waiter_add(w, f, 9), 0)
    let timeout = 0.15
    let (result, elapsed) = timed { next(w, deadline: deadline(after: timeout)) }
    XCTAssertEqual(result.0, ETIMEDOUT)
    assertExpiryWindow(elapsed, timeout: timeout)
    XCTAssertEqual(cf_waiter_remaining(w), 1, "a timeout takes nothing")
    complete(f)
    XCTAssertEqual(next(w, deadline: pastDeadline()).1, 9)
  }

  func testAdd_pastCapacity_returnsENOSPC_andWatchesNothingMore() {
    let futures = makeFutures(3)
    defer { futures.forEach { cf_future_destroy($0) } }
    let w = makeWaiter(2)
    defer { cf_waiter_destroy(w) }
    XCTAssertEqual(cf_waiter_add(w, futures[0], 0), 0)
    XCTAssertEqual(cf_waiter_add(w, futures[1], 1), 0)
    XCTAssertEqual(cf_waiter_add(w, futures[2], 2), ENOSPC)
    XCTAssertEqual(cf_waiter_remaining(w), 2)
    futures.forEach { complete($0) }
    XCTAssertEqual(next(w, deadline: nil).1, 0)
    XCTAssertEqual(next(w, deadline: nil).1, 1)
    XCTAssertEqual(next(w, deadline: nil).0, ENOENT, "the refused one is not watched")
  }

  func testRemaining_countsAddedFuturesNotYetTaken() {
    let futures = makeFutures(3)
    defer { futures.forEach { cf_future_destroy($0) } }
    let w = makeWaiter(3)
    defer { cf_waiter_destroy(w) }
    for (i, f) in futures.enumerated() {
      XCTAssertEqual(cf_waiter_add(w, f, i), 0)
      XCTAssertEqual(cf_waiter_remaining(w), i + 1)
    }
    complete(futures[1])
    XCTAssertEqual(cf_waiter_remaining(w), 3, "completion alone takes nothing")
    XCTAssertEqual(next(w, deadline: nil).1, 1)
    XCTAssertEqual(cf_waiter_remaining(w), 2)
  }

  func testNext_isWokenByACompletionOnAnotherThread() {
    let f = makeFuture()
    defer { cf_future_destroy(f) }
    let w = makeWaiter(1)
    defer { cf_waiter_destroy(w) }
    XCTAssertEqual(cf_waiter_add(w, f, 5), 0)
    let aboutToNext = DispatchSemaphore(value: 0)
    let nextDone = DispatchSemaphore(value: 0)
    let result = Cell<(Int32, Int)>((-1, -1))
    let shared = Shared(w)
    let consumer = TestThread {
      var tag = 0
      aboutToNext.signal()
      let rc = withDeadline(deadline(after: patience)) {
        cf_waiter_next(shared.value, $0, &tag)
      }
      result.value = (rc, tag)
      nextDone.signal()
    }
    expectSignal(aboutToNext, "consumer ready")
    XCTAssertEqual(
      nextDone.wait(timeout: .now() + 0.2), .timedOut,
      "next returned with nothing completed")
    complete(f)
    expectSignal(nextDone, "next woken by completion")
    consumer.join()
    XCTAssertEqual(result.value.0, 0)
    XCTAssertEqual(result.value.1, 5)
  }

  func testTwoWaitersOnOneFuture_bothSeeIt_andItsCallbacksStillRun() {
    let f = makeFuture()
    defer { cf_future_destroy(f) }
    let log = CallbackLog()
    let a = makeWaiter(1)
    let b = makeWaiter(1)
    defer {
      cf_waiter_destroy(a)
      cf_waiter_destroy(b)
    }
    log.add(0, to: f)
    XCTAssertEqual(cf_waiter_add(a, f, 10), 0)
    log.add(1, to: f)
    XCTAssertEqual(cf_waiter_add(b, f, 20), 0)
    log.add(2, to: f)
    XCTAssertTrue(cf_future_cancel(f))
    XCTAssertEqual(next(a, deadline: pastDeadline()).1, 10)
    XCTAssertEqual(next(b, deadline: pastDeadline()).1, 20)
    XCTAssertEqual(log.ids, [0, 1, 2])
  }

  func testManyFuturesCompletedConcurrently_eachTagComesBackOnce() {
    let count = scaled(4_000, minimum: 8)
    let completers = 4
    let futures = makeFutures(count)
    defer { futures.forEach { cf_future_destroy($0) } }
    let w = makeWaiter(count)
    defer { cf_waiter_destroy(w) }
    for (i, f) in futures.enumerated() { XCTAssertEqual(cf_waiter_add(w, f, i), 0) }
    let shared = Shared(futures)
    let threads = TestThread.spawn(completers) { t in
      for i in stride(from: t, to: count, by: completers) {
        if i % 3 == 0 {
          _ = cf_future_cancel(shared.value[i])
        } else {
          complete(shared.value[i])
        }
      }
    }
    var seen = [Bool](repeating: false, count: count)
    var taken = 0
    while true {
      let (rc, tag) = next(w, deadline: deadline(after: patience))
      if rc == ENOENT { break }
      guard rc == 0 else {
        XCTFail("next: \(rc) after \(taken)")
        break
      }
      XCTAssertFalse(seen[tag], "tag \(tag) twice")
      seen[tag] = true
      taken += 1
    }
    threads.joinAll()
    XCTAssertEqual(taken, count)
    XCTAssertTrue(seen.allSatisfy { $0 })
  }

  // MARK: Destroy

  func testDestroy_whileFuturesPending_thenCompletingThem_callsNothingFreed() {
    // Run under ASan/TSan, a callback into the freed waiter is a report;
    // without, it is (often) a crash.  The futures' own callbacks around
    // the waiter's node must still run exactly once, in order.
    let rounds = scaled(2_000)
    for round in 0..<rounds {
      let futures = makeFutures(4)
      let log = CallbackLog()
      let w = makeWaiter(4)
      for (i, f) in futures.enumerated() {
        log.add(i * 10, to: f)
        XCTAssertEqual(cf_waiter_add(w, f, i), 0)
        log.add(i * 10 + 1, to: f)
      }
      // One completes and is taken, one completes and is left: destroy
      // must cope with every kind of node.
      complete(futures[0])
      XCTAssertEqual(next(w, deadline: pastDeadline()).1, 0)
      XCTAssertTrue(cf_future_cancel(futures[1]))
      cf_waiter_destroy(w)
      complete(futures[2])
      XCTAssertTrue(cf_future_cancel(futures[3]))
      let ids = log.ids
      if ids != [0, 1, 10, 11, 20, 21, 30, 31] {
        XCTFail("round \(round): callbacks \(ids)")
        break
      }
      futures.forEach { cf_future_destroy($0) }
    }
  }

  func testDestroy_fromADoneCallbackOfAWatchedFuture_returns() {
    // A done-callback registered before the waiter's own registration
    // destroys the waiter (say, the last reference to an as_completed
    // iterator goes away in a callback).  The header allows callbacks to
    // call into the library ("no lock of this library is held").
    let f = makeFuture()
    defer { cf_future_destroy(f) }
    let w = makeWaiter(1)
    let context = DestroyWaiterInCallback(waiter: w)
    XCTAssertEqual(
      cf_future_add_done_callback(
        f, destroyWaiterCallback, Unmanaged.passRetained(context).toOpaque()),
      0)
    XCTAssertEqual(cf_waiter_add(w, f, 1), 0)
    let shared = Shared(f)
    let completer = TestThread { complete(shared.value) }
    let returned = context.returned.wait(timeout: .now() + 5) == .success
    XCTAssertTrue(returned, "cf_waiter_destroy inside the callback never returned")
    if returned { completer.join() }
    // else the completing thread stays blocked for good: leave it.
  }

  func testFutures_destroyedBeforeTheirWaiter_stayValidForIt() {
    // The waiter holds a reference to each future it watches, so the
    // creator may let go first (a future delivered and dropped; a future
    // dropped while still pending).  Under ASan a use after free here is a
    // report.
    for _ in 0..<scaled(500, minimum: 20) {
      let delivered = makeFuture()
      let pending = makeFuture()
      let w = makeWaiter(2)
      XCTAssertEqual(cf_waiter_add(w, delivered, 1), 0)
      XCTAssertEqual(cf_waiter_add(w, pending, 2), 0)
      complete(delivered)
      XCTAssertEqual(next(w, deadline: pastDeadline()).1, 1)
      cf_future_destroy(delivered)
      cf_future_destroy(pending)
      XCTAssertEqual(next(w, deadline: pastDeadline()).0, ETIMEDOUT)
      cf_waiter_destroy(w)
    }
  }

  func testDestroy_racingCompletionsOnAnotherThread_isSafe() {
    let rounds = scaled(4_000)
    let futures = Cell<[OpaquePointer]>([])
    let waiter = Cell<OpaquePointer?>(nil)
    let log = Cell<CallbackLog?>(nil)
    var failures = 0
    runInLockstep(
      rounds: rounds,
      prepare: { _ in
        futures.value = makeFutures(3)
        log.value = CallbackLog()
        let w = makeWaiter(3)
        for (i, f) in futures.value.enumerated() {
          XCTAssertEqual(cf_waiter_add(w, f, i), 0)
          log.value!.add(i, to: f)
        }
        waiter.value = w
      },
      helper: { round in
        for (i, f) in futures.value.enumerated() {
          if (round + i) % 2 == 0 {
            complete(f)
          } else {
            _ = cf_future_cancel(f)
          }
        }
      },
      main: { round in
        if round % 3 == 0 {
          // Sometimes take one first, so destroy meets a mix.
          _ = next(waiter.value!, deadline: pastDeadline())
        }
        cf_waiter_destroy(waiter.value!)
      },
      check: { round in
        let ids = log.value!.ids
        let done = futures.value.allSatisfy { cf_future_is_done($0) }
        if ids != [0, 1, 2] || !done {
          failures += 1
          if failures <= 5 { XCTFail("round \(round): callbacks \(ids), done \(done)") }
        }
        futures.value.forEach { cf_future_destroy($0) }
      })
    XCTAssertEqual(failures, 0)
  }

  func testDestroy_racingCompletionsOnManyThreads_isSafe() {
    let rounds = scaled(1_000)
    let completers = 3
    for round in 0..<rounds {
      let futures = makeFutures(completers * 2)
      let w = makeWaiter(futures.count)
      for (i, f) in futures.enumerated() { XCTAssertEqual(cf_waiter_add(w, f, i), 0) }
      let go = DispatchSemaphore(value: 0)
      let shared = Shared(futures)
      let threads = TestThread.spawn(completers) { t in
        go.wait()
        complete(shared.value[t * 2])
        _ = cf_future_cancel(shared.value[t * 2 + 1])
      }
      for _ in 0..<completers { go.signal() }
      cf_waiter_destroy(w)
      threads.joinAll()
      if !futures.allSatisfy({ cf_future_is_done($0) }) {
        XCTFail("round \(round): a completion was lost")
        break
      }
      futures.forEach { cf_future_destroy($0) }
    }
  }
}

/// Context for a done-callback that destroys a waiter.
private final class DestroyWaiterInCallback: @unchecked Sendable {
  // @unchecked: `waiter` is a C handle used once, by the callback.
  let waiter: OpaquePointer
  let returned = DispatchSemaphore(value: 0)
  init(waiter: OpaquePointer) { self.waiter = waiter }
}

private let destroyWaiterCallback: cf_done_fn = { arg, _ in
  let context = Unmanaged<DestroyWaiterInCallback>.fromOpaque(arg!)
    .takeRetainedValue()
  cf_waiter_destroy(context.waiter)
  context.returned.signal()
}
