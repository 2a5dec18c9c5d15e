// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// The shared behaviour suite of the eager and lazy map.
#if CF_UNDER_TEST_C
import ConcurrentFutures
#else
import PureSwiftFutures
#endif
import Foundation
import XCTest

final class MapTests: XCTestCase {
  func test_eagerMapKeepsInputOrder() throws {
    let pool = try Impl.make(maxWorkers: 4)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    let n = scaled(20_000, minimum: 500)
    let inputs = Array(0..<n)
    XCTAssertEqual(
      try pool.mapAll(inputs, timeout: nil, lookAhead: nil) { $0 * 2 },
      inputs.map { $0 * 2 })
    XCTAssertEqual(try pool.mapAll([], timeout: nil, lookAhead: nil) { $0 }, [])
  }

  func test_eagerMapThrowsFirstErrorAndCancelsRest() throws {
    let pool = try Impl.make(maxWorkers: 1)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    let ran = Counter()
    let error = thrownError {
      _ = try pool.mapAll(Array(0..<1000), timeout: nil, lookAhead: 8) { x in
        ran.increment()
        if x == 3 || x == 7 { throw Boom(id: x) }
        return x
      }
    }
    XCTAssertEqual(error as? Boom, Boom(id: 3))
    pool.shutdownPool(wait: true, cancelPending: false)
    XCTAssertLessThan(ran.value, 1000, "the rest should have been cancelled")
  }

  func test_lazyMapYieldsErrorAtItsPositionAndGoesOn() throws {
    let pool = try Impl.make(maxWorkers: 2)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    let results = try pool.mapLazily(0..<10, timeout: nil, lookAhead: 3) { x in
      if x == 3 { throw Boom(id: 3) }
      return x * 10
    }
    var seen: [String] = []
    for result in results {
      switch result {
      case .success(let v): seen.append("\(v)")
      case .failure(let e): seen.append("error \((e as? Boom)?.id ?? -1)")
      }
    }
    XCTAssertEqual(seen, ["0", "10", "20", "error 3", "40", "50", "60", "70", "80", "90"])
  }

  func test_lazyMapNeverExceedsLookAhead() throws {
    let pool = try Impl.make(maxWorkers: 4)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    let lookAhead = 3
    let started = Counter()
    let results = try pool.mapLazily(0..<300, timeout: nil, lookAhead: lookAhead) { x in
      started.increment()
      return x
    }
    var consumed = 0
    var worst = 0
    for result in results {
      XCTAssertEqual(try result.get(), consumed)
      consumed += 1
      worst = max(worst, started.value - consumed)
    }
    XCTAssertEqual(consumed, 300)
    XCTAssertLessThanOrEqual(worst, lookAhead, "tasks started beyond the look-ahead")
  }

  func test_lazyMapDroppedEarlyCancelsTheRest() throws {
    let pool = try Impl.make(maxWorkers: 1)
    let gate = Gate()
    let started = Arrivals()
    let ran = Counter()
    do {
      let results = try pool.mapLazily(0..<100, timeout: nil, lookAhead: 5, chunkSize: 1) { x in
        if x == 1 { started.arrive(); gate.pass() }
        ran.increment()
        return x
      }
      let iterator = results.makeIterator()
      XCTAssertEqual(try iterator.next()?.get(), 0)
      XCTAssertTrue(started.waitFor(1))
      // Stop here: tasks 2...5 are queued and must be cancelled on drop.
    }
    gate.open()
    pool.shutdownPool(wait: true, cancelPending: false)
    XCTAssertEqual(ran.value, 2, "only the task consumed and the one running may run")
  }

  func test_lazyMapTimeoutEndsWithTimeoutError() throws {
    let pool = try Impl.make(maxWorkers: 1)
    let gate = Gate()
    let ran = Counter()
    let results = try pool.mapLazily(
      0..<50, timeout: .milliseconds(150), lookAhead: 4, chunkSize: 1
    ) { x in
      if x == 1 { gate.pass() }
      ran.increment()
      return x
    }
    var elements: [Result<Int, any Error>] = []
    for result in results { elements.append(result) }
    XCTAssertEqual(elements.count, 2)
    XCTAssertEqual(try elements[0].get(), 0)
    if case .failure(let error) = elements[1] {
      assertFuturesError(
        Impl.self, error, code: "timedOut",
        messageContains: "with 4 inputs unfinished")
    } else {
      XCTFail("the map's timeout should end the iteration with an error")
    }
    gate.open()
    pool.shutdownPool(wait: true, cancelPending: false)
    XCTAssertEqual(ran.value, 2, "queued tasks are cancelled by the map's timeout")
  }

  func test_mapBadInputThrows() throws {
    let pool = try Impl.make(maxWorkers: 1)
    for call in [
      { _ = try pool.mapAll([1], timeout: nil, lookAhead: 0) { $0 } },
      { _ = try pool.mapAll([1], timeout: .seconds(-1), lookAhead: nil) { $0 } },
    ] {
      assertFuturesError(Impl.self, thrownError(call) ?? Boom(id: 0), code: "invalidArgument")
    }
    pool.shutdownPool(wait: true, cancelPending: false)
    let error = thrownError { _ = try pool.mapAll([1, 2], timeout: nil, lookAhead: nil) { $0 } }
    assertFuturesError(Impl.self, error ?? Boom(id: 0), code: "shutDown")
  }
}
