// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// cf_queue: the bounded blocking FIFO (ArrayBlockingQueue) under the pool.
import CFutures
import Foundation
import Glibc
import Synchronization
import XCTest

final class QueueTests: XCTestCase {
  // MARK: Helpers

  private func makeQueue(
    _ capacity: Int, file: StaticString = #filePath, line: UInt = #line
  ) -> OpaquePointer {
    var queue: OpaquePointer?
    XCTAssertEqual(cf_queue_create(capacity, &queue), 0, file: file, line: line)
    return queue!
  }

  private func put(
    _ queue: OpaquePointer, _ value: Int, deadline: timespec? = nil
  ) -> Int32 {
    var it = item(value)
    return withDeadline(deadline) { cf_queue_put(queue, &it, $0) }
  }

  private func offer(_ queue: OpaquePointer, _ value: Int) -> Int32 {
    var it = item(value)
    return cf_queue_offer(queue, &it)
  }

  /// (code, payload); payload is 0 when nothing was taken.
  private func take(_ queue: OpaquePointer, deadline: timespec? = nil)
    -> (Int32, Int)
  {
    var out = cf_item()
    let rc = withDeadline(deadline) { cf_queue_take(queue, &out, $0) }
    return (rc, rc == 0 ? payload(out) : 0)
  }

  private func poll(_ queue: OpaquePointer) -> (Int32, Int) {
    var out = cf_item()
    let rc = cf_queue_poll(queue, &out)
    return (rc, rc == 0 ? payload(out) : 0)
  }

  /// Takes everything with poll.
  private func drain(_ queue: OpaquePointer) -> [Int] {
    var values: [Int] = []
    while case (0, let v) = poll(queue) { values.append(v) }
    return values
  }

  private func fill(_ queue: OpaquePointer, _ values: ClosedRange<Int>) {
    for v in values { XCTAssertEqual(offer(queue, v), 0) }
  }

  // MARK: Creation

  func testCreate_withZeroCapacity_returnsEINVAL_andCreatesNothing() {
    var queue: OpaquePointer?
    XCTAssertEqual(cf_queue_create(0, &queue), EINVAL)
    XCTAssertNil(queue)
  }

  func testCreate_withNullOut_returnsEINVAL() {
    XCTAssertEqual(cf_queue_create(4, nil), EINVAL)
  }

  func testCreate_whenAllocationFails_returnsENOMEM_thenWorksAgain() {
    var queue: OpaquePointer?
    cf_test_fail_allocations(1)
    let rc = cf_queue_create(4, &queue)
    cf_test_fail_allocations(0)
    XCTAssertEqual(rc, ENOMEM)
    XCTAssertNil(queue)

    XCTAssertEqual(cf_queue_create(4, &queue), 0)
    XCTAssertNotNil(queue)
    cf_queue_destroy(queue)
  }

  func testDestroy_withNull_isANoOp() {
    cf_queue_destroy(nil)
  }

  // MARK: Order, capacity, size

  func testTake_returnsItemsInFifoOrder() {
    let q = makeQueue(8)
    defer { cf_queue_destroy(q) }
    for v in 1...5 { XCTAssertEqual(put(q, v), 0) }
    XCTAssertEqual(take(q).1, 1)
    XCTAssertEqual(take(q).1, 2)
    for v in 6...8 { XCTAssertEqual(put(q, v), 0) }
    var seen: [Int] = []
    for _ in 0..<6 { seen.append(take(q).1) }
    XCTAssertEqual(seen, [3, 4, 5, 6, 7, 8])
  }

  func testSizeAndRemainingCapacity_trackItems_andAlwaysSumToCapacity() {
    let q = makeQueue(5)
    defer { cf_queue_destroy(q) }
    XCTAssertEqual(cf_queue_capacity(q), 5)
    XCTAssertEqual(cf_queue_size(q), 0)
    XCTAssertEqual(cf_queue_remaining_capacity(q), 5)

    fill(q, 1...3)
    XCTAssertEqual(cf_queue_size(q), 3)
    XCTAssertEqual(cf_queue_remaining_capacity(q), 2)

    _ = take(q)
    XCTAssertEqual(cf_queue_size(q), 2)
    XCTAssertEqual(cf_queue_remaining_capacity(q), 3)

    fill(q, 4...6)
    XCTAssertEqual(cf_queue_size(q), 5)
    XCTAssertEqual(cf_queue_remaining_capacity(q), 0)
    XCTAssertEqual(cf_queue_capacity(q), 5)
  }

  func testOffer_whenFull_returnsEAGAIN_andAddsNothing() {
    let q = makeQueue(3)
    defer { cf_queue_destroy(q) }
    fill(q, 1...3)
    XCTAssertEqual(offer(q, 4), EAGAIN)
    XCTAssertEqual(cf_queue_size(q), 3)
    XCTAssertEqual(drain(q), [1, 2, 3])
  }

  func testOffer_afterTakeFromFullQueue_succeedsAgain() {
    let q = makeQueue(2)
    defer { cf_queue_destroy(q) }
    fill(q, 1...2)
    XCTAssertEqual(offer(q, 3), EAGAIN)
    XCTAssertEqual(poll(q).1, 1)
    XCTAssertEqual(offer(q, 3), 0)
    XCTAssertEqual(drain(q), [2, 3])
  }

  func testPoll_whenEmpty_returnsEAGAIN_andThenSeesANewItem() {
    let q = makeQueue(2)
    defer { cf_queue_destroy(q) }
    XCTAssertEqual(poll(q).0, EAGAIN)
    XCTAssertEqual(offer(q, 9), 0)
    XCTAssertEqual(poll(q).0, 0)
    XCTAssertEqual(poll(q).0, EAGAIN)
  }

  func testItems_keepTheirFunctionArgumentAndFuture() {
    let q = makeQueue(2)
    defer { cf_queue_destroy(q) }
    let future = makeFuture()
    defer { cf_future_destroy(future) }
    var it = cf_item(
      fn: boxTask, arg: UnsafeMutableRawPointer(bitPattern: 0x1234),
      future: future)
    XCTAssertEqual(cf_queue_put(q, &it, nil), 0)
    var out = cf_item()
    XCTAssertEqual(cf_queue_take(q, &out, nil), 0)
    XCTAssertEqual(Int(bitPattern: out.arg), 0x1234)
    XCTAssertEqual(out.future, future)
    XCTAssertTrue(
      unsafeBitCast(out.fn, to: UnsafeRawPointer.self)
        == unsafeBitCast(boxTask, to: UnsafeRawPointer.self))
  }

  func testWraparound_capacity7_preservesOrderOver10000Items() {
    let q = makeQueue(7)
    defer { cf_queue_destroy(q) }
    // A model FIFO beside the queue; the fill level wanders between empty
    // and full so the indices wrap at every offset.
    var model: [Int] = []
    var head = 0
    var next = 1
    var taken = 0
    var rng: UInt64 = 0x9E37_79B9_7F4A_7C15
    while taken < 10_000 {
      rng = rng &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      let wantPut = (rng >> 33) % 3 != 0  // put twice as often as take
      let count = model.count - head
      if (wantPut && count < 7) || count == 0 {
        XCTAssertEqual(offer(q, next), 0)
        model.append(next)
        next += 1
      } else {
        let (rc, v) = poll(q)
        XCTAssertEqual(rc, 0)
        if v != model[head] {
          XCTFail("item \(taken): got \(v), expected \(model[head])")
          return
        }
        head += 1
        taken += 1
      }
      if model.count - head == 7 { XCTAssertEqual(offer(q, 999_999), EAGAIN) }
      XCTAssertEqual(cf_queue_size(q), model.count - head)
    }
  }

  func testWraparound_producerThreadAndConsumer_preserveOrder() {
    let q = makeQueue(7)
    defer { cf_queue_destroy(q) }
    let n = scaled(10_000)
    let shared = Shared(q)
    let producer = TestThread {
      for v in 1...n {
        var it = item(v)
        let d = deadline(after: patience)
        let rc = withUnsafePointer(to: d) { cf_queue_put(shared.value, &it, $0) }
        if rc != 0 {
          XCTFail("put \(v) failed: \(rc)")
          return
        }
      }
    }
    for expected in 1...n {
      let (rc, v) = take(q, deadline: deadline(after: patience))
      guard rc == 0, v == expected else {
        XCTFail("take #\(expected): rc \(rc), got \(v)")
        break
      }
    }
    producer.join()
    XCTAssertEqual(cf_queue_size(q), 0)
  }

  // MARK: Blocking

  func testPut_blocksWhenFull_resumesAfterTake() {
    let q = makeQueue(2)
    defer { cf_queue_destroy(q) }
    fill(q, 1...2)

    let aboutToPut = DispatchSemaphore(value: 0)
    let putDone = DispatchSemaphore(value: 0)
    let putReturned = Atomic<Bool>(false)
    let putResult = Cell<Int32>(-1)
    let shared = Shared(q)
    let producer = TestThread {
      var it = item(3)
      aboutToPut.signal()
      let d = deadline(after: patience)
      putResult.value = withUnsafePointer(to: d) {
        cf_queue_put(shared.value, &it, $0)
      }
      putReturned.store(true, ordering: .sequentiallyConsistent)
      putDone.signal()
    }
    expectSignal(aboutToPut, "producer about to put")
    // Give a put that wrongly does not block the chance to return.
    XCTAssertEqual(
      putDone.wait(timeout: .now() + 0.2), .timedOut,
      "put into a full queue returned")
    XCTAssertFalse(putReturned.load(ordering: .sequentiallyConsistent))
    XCTAssertEqual(cf_queue_size(q), 2)

    XCTAssertEqual(take(q).1, 1)
    expectSignal(putDone, "put resumed after take")
    producer.join()
    XCTAssertTrue(putReturned.load(ordering: .sequentiallyConsistent))
    XCTAssertEqual(putResult.value, 0)
    XCTAssertEqual(drain(q), [2, 3])
  }

  func testTake_blocksWhenEmpty_resumesAfterPut() {
    let q = makeQueue(2)
    defer { cf_queue_destroy(q) }
    let aboutToTake = DispatchSemaphore(value: 0)
    let takeDone = DispatchSemaphore(value: 0)
    let result = Cell<(Int32, Int)>((-1, 0))
    let shared = Shared(q)
    let consumer = TestThread {
      var out = cf_item()
      aboutToTake.signal()
      let d = deadline(after: patience)
      let rc = withUnsafePointer(to: d) { cf_queue_take(shared.value, &out, $0) }
      result.value = (rc, rc == 0 ? payload(out) : 0)
      takeDone.signal()
    }
    expectSignal(aboutToTake, "consumer about to take")
    XCTAssertEqual(
      takeDone.wait(timeout: .now() + 0.2), .timedOut,
      "take from an empty queue returned")
    XCTAssertEqual(put(q, 42), 0)
    expectSignal(takeDone, "take resumed after put")
    consumer.join()
    XCTAssertEqual(result.value.0, 0)
    XCTAssertEqual(result.value.1, 42)
    XCTAssertEqual(cf_queue_size(q), 0)
  }

  func testPut_withDeadline_whenFull_returnsETIMEDOUT_afterTheDeadline() {
    let q = makeQueue(1)
    defer { cf_queue_destroy(q) }
    fill(q, 1...1)
    let timeout = 0.15
    let (rc, elapsed) = timed { put(q, 2, deadline: deadline(after: timeout)) }
    XCTAssertEqual(rc, ETIMEDOUT)
    assertExpiryWindow(elapsed, timeout: timeout)
    XCTAssertEqual(drain(q), [1])
  }

  func testTake_withDeadline_whenEmpty_returnsETIMEDOUT_afterTheDeadline() {
    let q = makeQueue(1)
    defer { cf_queue_destroy(q) }
    let timeout = 0.15
    let (result, elapsed) = timed { take(q, deadline: deadline(after: timeout)) }
    XCTAssertEqual(result.0, ETIMEDOUT)
    assertExpiryWindow(elapsed, timeout: timeout)
  }

  func testTakeAndPut_withPastDeadline_actAsPolls() {
    let q = makeQueue(1)
    defer { cf_queue_destroy(q) }
    let (emptyTake, t1) = timed { take(q, deadline: pastDeadline()) }
    XCTAssertEqual(emptyTake.0, ETIMEDOUT)
    XCTAssertEqual(put(q, 5, deadline: pastDeadline()), 0, "room: no wait")
    let (fullPut, t2) = timed { put(q, 6, deadline: pastDeadline()) }
    XCTAssertEqual(fullPut, ETIMEDOUT)
    XCTAssertEqual(take(q, deadline: pastDeadline()).1, 5, "item: no wait")
    XCTAssertLessThan(t1 + t2, expiryLimit)
  }

  func testBlockingCalls_withInvalidDeadline_returnEINVAL_andChangeNothing() {
    let q = makeQueue(2)
    defer { cf_queue_destroy(q) }
    var negative = deadline(after: 60)
    negative.tv_nsec = -1
    for bad in [invalidDeadline(), negative] {
      XCTAssertEqual(put(q, 1, deadline: bad), EINVAL, "put, room")
      XCTAssertEqual(cf_queue_size(q), 0)
      XCTAssertEqual(take(q, deadline: bad).0, EINVAL, "take, empty")
    }
    fill(q, 1...2)
    XCTAssertEqual(put(q, 3, deadline: invalidDeadline()), EINVAL, "put, full")
    XCTAssertEqual(take(q, deadline: invalidDeadline()).0, EINVAL, "take, items")
    XCTAssertEqual(drain(q), [1, 2])
  }

  func testCalls_withNullArguments_returnEINVAL() {
    let q = makeQueue(2)
    defer { cf_queue_destroy(q) }
    var it = item(1)
    XCTAssertEqual(cf_queue_put(nil, &it, nil), EINVAL)
    XCTAssertEqual(cf_queue_put(q, nil, nil), EINVAL)
    XCTAssertEqual(cf_queue_offer(nil, &it), EINVAL)
    XCTAssertEqual(cf_queue_offer(q, nil), EINVAL)
    XCTAssertEqual(cf_queue_size(q), 0)
    XCTAssertEqual(offer(q, 1), 0)
    var out = cf_item()
    XCTAssertEqual(cf_queue_take(nil, &out, nil), EINVAL)
    XCTAssertEqual(cf_queue_take(q, nil, nil), EINVAL)
    XCTAssertEqual(cf_queue_poll(nil, &out), EINVAL)
    XCTAssertEqual(cf_queue_poll(q, nil), EINVAL)
    XCTAssertEqual(cf_queue_size(q), 1)
  }

  // MARK: Close

  func testClose_wakesBlockedProducers_withESHUTDOWN() {
    let q = makeQueue(1)
    defer { cf_queue_destroy(q) }
    fill(q, 1...1)
    let producers = 3
    let aboutToPut = DispatchSemaphore(value: 0)
    let done = DispatchSemaphore(value: 0)
    let results = Locked<[Int32]>([])
    let shared = Shared(q)
    let threads = TestThread.spawn(producers) { i in
      var it = item(100 + i)
      aboutToPut.signal()
      let d = deadline(after: patience)
      let rc = withUnsafePointer(to: d) { cf_queue_put(shared.value, &it, $0) }
      results.withLock { $0.append(rc) }
      done.signal()
    }
    for _ in 0..<producers { expectSignal(aboutToPut, "producer ready") }
    XCTAssertEqual(
      done.wait(timeout: .now() + 0.2), .timedOut,
      "a put into a full queue returned")
    cf_queue_close(q)
    for _ in 0..<producers { expectSignal(done, "producer woken by close") }
    threads.joinAll()
    XCTAssertEqual(results.withLock { $0 }, Array(repeating: ESHUTDOWN, count: producers))
    XCTAssertEqual(drain(q), [1], "the closed queue still holds its item")
  }

  func testClose_wakesBlockedConsumers_withESHUTDOWN() {
    let q = makeQueue(4)
    defer { cf_queue_destroy(q) }
    let consumers = 3
    let aboutToTake = DispatchSemaphore(value: 0)
    let done = DispatchSemaphore(value: 0)
    let results = Locked<[Int32]>([])
    let shared = Shared(q)
    let threads = TestThread.spawn(consumers) { _ in
      var out = cf_item()
      aboutToTake.signal()
      let d = deadline(after: patience)
      let rc = withUnsafePointer(to: d) { cf_queue_take(shared.value, &out, $0) }
      results.withLock { $0.append(rc) }
      done.signal()
    }
    for _ in 0..<consumers { expectSignal(aboutToTake, "consumer ready") }
    XCTAssertEqual(
      done.wait(timeout: .now() + 0.2), .timedOut,
      "a take from an empty queue returned")
    cf_queue_close(q)
    for _ in 0..<consumers { expectSignal(done, "consumer woken by close") }
    threads.joinAll()
    XCTAssertEqual(results.withLock { $0 }, Array(repeating: ESHUTDOWN, count: consumers))
  }

  func testTake_afterClose_drainsWhatIsLeft_thenReturnsESHUTDOWN() {
    let q = makeQueue(4)
    defer { cf_queue_destroy(q) }
    fill(q, 1...3)
    cf_queue_close(q)
    XCTAssertEqual(take(q).1, 1)
    XCTAssertEqual(take(q, deadline: pastDeadline()).1, 2)
    XCTAssertEqual(poll(q).1, 3)
    XCTAssertEqual(take(q).0, ESHUTDOWN, "no deadline: must not block")
    XCTAssertEqual(take(q, deadline: deadline(after: patience)).0, ESHUTDOWN)
    XCTAssertEqual(poll(q).0, ESHUTDOWN)
  }

  func testPutAndOffer_afterClose_returnESHUTDOWN_andAddNothing() {
    let q = makeQueue(4)
    defer { cf_queue_destroy(q) }
    fill(q, 1...1)
    XCTAssertFalse(cf_queue_is_closed(q))
    cf_queue_close(q)
    XCTAssertTrue(cf_queue_is_closed(q))
    XCTAssertEqual(put(q, 2), ESHUTDOWN)
    XCTAssertEqual(put(q, 3, deadline: pastDeadline()), ESHUTDOWN)
    XCTAssertEqual(offer(q, 4), ESHUTDOWN)
    XCTAssertEqual(cf_queue_size(q), 1)
    cf_queue_close(q)  // idempotent
    XCTAssertTrue(cf_queue_is_closed(q))
    XCTAssertEqual(drain(q), [1])
  }

  // MARK: Concurrency

  func testManyProducersAndConsumers_deliverEveryItemOnce_inProducerOrder() {
    let q = makeQueue(16)
    defer { cf_queue_destroy(q) }
    let producers = 3
    let consumers = 3
    let perProducer = scaled(20_000)
    let shared = Shared(q)
    let received = Locked<[[Int]]>([])
    let consumerThreads = TestThread.spawn(consumers) { _ in
      var mine: [Int] = []
      var out = cf_item()
      while cf_queue_take(shared.value, &out, nil) == 0 {
        mine.append(payload(out))
      }
      received.withLock { $0.append(mine) }
    }
    let producerThreads = TestThread.spawn(producers) { p in
      for s in 0..<perProducer {
        var it = item(p * 10_000_000 + s + 1)
        let rc = cf_queue_put(shared.value, &it, nil)
        if rc != 0 {
          XCTFail("put failed: \(rc)")
          return
        }
      }
    }
    producerThreads.joinAll()
    cf_queue_close(q)
    consumerThreads.joinAll()

    let lists = received.withLock { $0 }
    XCTAssertEqual(lists.count, consumers)
    // FIFO: within each consumer, each producer's items appear in order.
    for list in lists {
      var last = Array(repeating: 0, count: producers)
      for v in list {
        let p = v / 10_000_000
        let s = v % 10_000_000
        XCTAssertGreaterThan(s, last[p], "out of order")
        last[p] = s
      }
    }
    let all = lists.flatMap { $0 }.sorted()
    let expected = (0..<producers).flatMap { p in
      (0..<perProducer).map { p * 10_000_000 + $0 + 1 }
    }
    XCTAssertEqual(all.count, expected.count)
    XCTAssertTrue(all == expected, "items lost or duplicated")
  }
}
