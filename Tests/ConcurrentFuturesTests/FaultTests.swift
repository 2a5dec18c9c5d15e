// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// Faults injected through the C core's cf_test_* hooks, seen through the
// Swift API of ConcurrentFutures (the twin's own hooks are in
// PureSwiftFuturesTests; thread starts refused are in the shared suite).
import CFutures
import ConcurrentFutures
import XCTest

final class FaultTests_C: XCTestCase {
  override func tearDown() {
    cf_test_fail_allocations(0)
    cf_test_fail_thread_starts(0)
  }

  func test_submit_whenNoThreadCanStart_throwsClearly_andPoolStaysUsable() throws {
    let ran = Counter()
    let pool = try ConcurrentFutures.ThreadPoolExecutor(maxWorkers: 2)
    defer { pool.shutdown() }
    cf_test_fail_thread_starts(1)
    XCTAssertThrowsError(try pool.submit { ran.increment() }) { error in
      let error = error as? FuturesError
      XCTAssertEqual(error?.code, .resourceExhausted)
      XCTAssertEqual(error?.message, "cannot submit: no worker thread could be started")
    }
    XCTAssertEqual(pool.threadCount, 0)
    XCTAssertEqual(pool.queuedTaskCount, 0, "a refused task is not queued")
    XCTAssertEqual(try pool.submit { ran.increment() }.result(timeout: .seconds(30)), 1)
    XCTAssertEqual(ran.value, 1, "the refused task never ran")
  }

  func test_submit_whenTheRingCannotGrow_throwsClearly_andPoolStaysUsable() throws {
    let pool = try ConcurrentFutures.ThreadPoolExecutor(maxWorkers: 1, queueCapacity: 1_000)
    defer { pool.shutdown() }
    let gate = Gate()
    let started = Arrivals()
    let blocker = try pool.submit {
      started.arrive(); gate.pass(); return 0
    }
    XCTAssertTrue(started.waitFor(1))
    // The ring starts with 64 slots: the 65th item makes it grow.
    let queued = try (0..<64).map { i in try pool.submit { i } }
    // A Swift future's cf_future is embedded in it (nothing to allocate in
    // C): the ring's growth is this submit's one C allocation.
    cf_test_fail_allocations(1)
    XCTAssertThrowsError(try pool.submit { 65 }) { error in
      let error = error as? FuturesError
      XCTAssertEqual(error?.code, .resourceExhausted)
      XCTAssertEqual(error?.message, "cannot submit: out of memory")
    }
    cf_test_fail_allocations(0)
    XCTAssertEqual(pool.queuedTaskCount, 64, "the refused task is not queued")
    let late = try pool.submit { 66 }
    gate.open()
    XCTAssertEqual(try blocker.result(timeout: .seconds(30)), 0)
    XCTAssertEqual(try queued.map { try $0.result(timeout: .seconds(30)) }, Array(0..<64))
    XCTAssertEqual(try late.result(timeout: .seconds(30)), 66)
  }

  func test_await_whenTheWatchCannotBeAllocated_throwsClearly() async throws {
    let pool = try ConcurrentFutures.ThreadPoolExecutor(maxWorkers: 1)
    let gate = Gate()
    let started = Arrivals()
    let running = try pool.trySubmit {
      started.arrive(); gate.pass(); return 7
    }
    XCTAssertTrue(started.waitFor(1))
    cf_test_fail_allocations(1)
    let error = await thrownError { _ = try await running.value }
    cf_test_fail_allocations(0)
    XCTAssertEqual(
      (error as? FuturesError)?.code, .resourceExhausted, "got \(String(describing: error))")
    gate.open()
    let value = try await running.value
    XCTAssertEqual(value, 7)
    await pool.shutdown()
  }

  func test_poolCreation_whenAllocationFails_throwsClearly() throws {
    cf_test_fail_allocations(1)
    XCTAssertThrowsError(try ConcurrentFutures.ThreadPoolExecutor(maxWorkers: 1)) { error in
      XCTAssertEqual((error as? FuturesError)?.code, .resourceExhausted)
    }
    let pool = try ConcurrentFutures.ThreadPoolExecutor(maxWorkers: 1)
    XCTAssertEqual(try pool.submit { 4 }.result(), 4)
    pool.shutdown()
  }
}
