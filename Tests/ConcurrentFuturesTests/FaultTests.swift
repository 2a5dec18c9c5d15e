// Faults injected through the C core's cf_test_* hooks, seen through the
// Swift API of ConcurrentFutures (the twin has no C to inject into).
import CFutures
import ConcurrentFutures
import XCTest

final class FaultTests_C: XCTestCase {
  override func tearDown() {
    cf_test_fail_allocations(0)
    cf_test_fail_thread_starts(0)
  }

  func test_submit_whenAllocationFails_throwsClearly_andPoolStaysUsable() throws {
    let pool = try ConcurrentFutures.ThreadPoolExecutor(maxWorkers: 2)
    defer { pool.shutdown() }
    XCTAssertEqual(try pool.submit { 1 }.result(), 1)
    cf_test_fail_allocations(1)  // the cf_future of the next submit
    XCTAssertThrowsError(try pool.submit { 2 }) { error in
      let error = error as? FuturesError
      XCTAssertEqual(error?.code, .resourceExhausted)
      XCTAssertEqual(error?.message, "cannot create a future: out of memory")
    }
    XCTAssertEqual(try pool.submit { 3 }.result(timeout: .seconds(30)), 3)
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
