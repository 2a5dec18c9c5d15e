// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// Faults injected through the twin's TestHooks, seen through its API (the
// C-backed module's are in ConcurrentFuturesTests/FaultTests.swift).
import PureSwiftFutures
import XCTest

final class FaultTests: XCTestCase {
  override func tearDown() {
    TestHooks.failAllocations(0)
    TestHooks.failThreadStarts(0)
  }

  func test_submit_whenTheRingCannotGrow_throwsClearly_andPoolStaysUsable() throws {
    let pool = try ThreadPoolExecutor(maxWorkers: 1, queueCapacity: 1_000)
    defer { pool.shutdown() }
    let gate = Gate()
    let started = Arrivals()
    let blocker = try pool.submit {
      started.arrive(); gate.pass(); return 0
    }
    XCTAssertTrue(started.waitFor(1))
    // The ring starts with 64 cells: the 65th item makes it grow.
    let queued = try (0..<64).map { i in try pool.submit { i } }
    TestHooks.failAllocations(1)
    XCTAssertThrowsError(try pool.submit { 65 }) { error in
      let error = error as? FuturesError
      XCTAssertEqual(error?.code, .resourceExhausted)
      XCTAssertEqual(error?.message, "cannot submit: out of memory")
    }
    XCTAssertEqual(pool.queuedTaskCount, 64, "the refused task is not queued")
    let late = try pool.submit { 66 }
    gate.open()
    XCTAssertEqual(try blocker.result(timeout: .seconds(30)), 0)
    XCTAssertEqual(try queued.map { try $0.result(timeout: .seconds(30)) }, Array(0..<64))
    XCTAssertEqual(try late.result(timeout: .seconds(30)), 66)
  }

  func test_poolCreation_whenTheRingCannotBeAllocated_throwsClearly() throws {
    TestHooks.failAllocations(1)
    XCTAssertThrowsError(try ThreadPoolExecutor(maxWorkers: 1)) { error in
      XCTAssertEqual((error as? FuturesError)?.code, .resourceExhausted)
      XCTAssertEqual((error as? FuturesError)?.message, "cannot create the executor: out of memory")
    }
    let pool = try ThreadPoolExecutor(maxWorkers: 1)
    XCTAssertEqual(try pool.submit { 4 }.result(), 4)
    pool.shutdown()
  }
}
