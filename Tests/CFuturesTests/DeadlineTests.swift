// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// cf_deadline_after: relative timeouts to absolute CLOCK_MONOTONIC deadlines.
import CFutures
import Foundation
import Glibc
import XCTest

final class DeadlineTests: XCTestCase {
  private func seconds(_ ts: timespec) -> Double {
    Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
  }

  func testDeadlineAfter_isNowPlusTheTimeout_onTheMonotonicClock() {
    let before = monotonicNow()
    var ts = timespec()
    XCTAssertEqual(cf_deadline_after(1_500_000_000, &ts), 0)
    let after = monotonicNow()
    XCTAssertGreaterThanOrEqual(seconds(ts), before + 1.5 - 1e-6)
    XCTAssertLessThanOrEqual(seconds(ts), after + 1.5 + 1e-6)
    XCTAssertTrue((0..<1_000_000_000).contains(ts.tv_nsec), "normalised")
  }

  func testDeadlineAfter_withNegativeTimeoutOrNullOut_returnsEINVAL() {
    var ts = timespec(tv_sec: 7, tv_nsec: 7)
    XCTAssertEqual(cf_deadline_after(-1, &ts), EINVAL)
    XCTAssertEqual(ts.tv_sec, 7, "out untouched")
    XCTAssertEqual(cf_deadline_after(1, nil), EINVAL)
  }

  func testDeadlineAfter_hugeTimeout_isFarAway_andUsableByBlockingCalls() {
    var far = timespec()
    XCTAssertEqual(cf_deadline_after(Int64.max, &far), 0)
    XCTAssertGreaterThan(seconds(far), monotonicNow() + 1e8)
    XCTAssertTrue((0..<1_000_000_000).contains(far.tv_nsec))

    // A far deadline must not be taken for a past (or invalid) one: the
    // wait parks, and a completion from another thread wakes it.
    let f = makeFuture()
    defer { cf_future_destroy(f) }
    XCTAssertEqual(cf_future_set_running_or_notify_cancel(f), 0)
    let aboutToWait = DispatchSemaphore(value: 0)
    let result = Cell<Int32>(-1)
    let shared = Shared(f)
    let farDeadline = Shared(far)
    let waiter = TestThread {
      aboutToWait.signal()
      result.value = withDeadline(farDeadline.value) {
        cf_future_wait(shared.value, $0)
      }
    }
    expectSignal(aboutToWait, "waiter ready")
    XCTAssertEqual(cf_future_finish(f), 0)
    waiter.join()
    XCTAssertEqual(result.value, 0)

    var queue: OpaquePointer?
    XCTAssertEqual(cf_queue_create(1, &queue), 0)
    defer { cf_queue_destroy(queue) }
    var out = cf_item()
    let sharedQueue = Shared(queue!)
    let putter = TestThread {
      var it = item(3)
      _ = withDeadline(farDeadline.value) { cf_queue_put(sharedQueue.value, &it, $0) }
    }
    let rc = withDeadline(far) { cf_queue_take(queue, &out, $0) }
    putter.join()
    XCTAssertEqual(rc, 0)
    XCTAssertEqual(payload(out), 3)
  }
}
