// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// The shared behaviour suite: what a future holds, for values of every
// shape — a word, a value larger than the future's 16-byte inline cell, one
// that owns references — and what it lets go of, and when.
#if CF_UNDER_TEST_C
import ConcurrentFutures
#else
import PureSwiftFutures
#endif
import Foundation
import XCTest

/// Counts its instances alive, to prove what a future holds and frees.
final class Tracked: @unchecked Sendable {
  // @unchecked: `live` is atomic (a Counter); `id` never changes.
  static let live = Counter()
  let id: Int
  init(_ id: Int) {
    self.id = id
    Tracked.live.increment()
  }
  deinit { Tracked.live.decrement() }
}

/// Larger than 16 bytes, with a reference inside: kept in a box.
struct Wide: Sendable, Equatable {
  var a, b, c: Int
  var name: String
}

final class OutcomeTests: XCTestCase {
  /// Values of several shapes come back as they were returned, and each
  /// future holds its value exactly as long as it lives.
  func test_valuesOfEveryShapeComeBackAndAreFreedWithTheirFuture() throws {
    let pool = try Impl.make(maxWorkers: 2)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    let baseline = Tracked.live.value
    do {
      let word = try pool.submit { 42 }
      let empty = try pool.submit { () }
      let small = try pool.submit { (Int8(7), true) }
      let wide = try pool.submit {
        Wide(a: 1, b: 2, c: 3, name: String(repeating: "x", count: 100))
      }
      let string = try pool.submit { String(repeating: "é", count: 50) }
      let object = try pool.submit { Tracked(1) }
      let objects = try pool.submit { (0..<10).map { Tracked($0) } }
      let optional = try pool.submit { Optional(Tracked(2)) }
      XCTAssertEqual(try word.result(timeout: hangBound), 42)
      try empty.result(timeout: hangBound)
      XCTAssertEqual(try small.result(timeout: hangBound).0, 7)
      XCTAssertEqual(
        try wide.result(timeout: hangBound),
        Wide(a: 1, b: 2, c: 3, name: String(repeating: "x", count: 100)))
      XCTAssertEqual(
        try wide.result(timeout: hangBound).name.count, 100, "read twice: a copy each time")
      XCTAssertEqual(try string.result(timeout: hangBound).count, 50)
      XCTAssertEqual(try object.result(timeout: hangBound).id, 1)
      XCTAssertEqual(try objects.result(timeout: hangBound).map(\.id), Array(0..<10))
      XCTAssertEqual(try optional.result(timeout: hangBound)?.id, 2)
      XCTAssertEqual(
        Tracked.live.value - baseline, 12, "\(implementationName): the futures hold their values")
    }
    XCTAssertEqual(
      Tracked.live.value - baseline, 0, "\(implementationName): a future's value goes with it")
  }

  /// The task's closure goes as soon as it has run, while the future
  /// lives; a task's error is kept, and freed with the future.
  func test_theClosureGoesWhenItHasRunAndTheErrorStays() throws {
    let pool = try Impl.make(maxWorkers: 1)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    let baseline = Tracked.live.value
    let captured = Tracked(3)
    weak let weakCaptured = captured
    let future = try pool.submit { [captured] in captured.id }
    _ = consume captured
    XCTAssertEqual(try future.result(timeout: hangBound), 3)
    XCTAssertTrue(
      eventuallySync { weakCaptured == nil }, "\(implementationName): the closure outlived its run")
    struct Failure: Error { let owner: Tracked }
    let failing = try pool.submit { () throws -> Wide in throw Failure(owner: Tracked(4)) }
    XCTAssertEqual((try failing.error(timeout: hangBound) as? Failure)?.owner.id, 4)
    XCTAssertEqual(Tracked.live.value - baseline, 1, "the error is kept")
    _ = consume failing
    XCTAssertTrue(
      eventuallySync { Tracked.live.value == baseline },
      "\(implementationName): the error outlived its future")
  }

  /// A cancelled task's closure is let go of (at the worker's skip, or at
  /// a cancelling shutdown), and a submit that is refused lets go of its
  /// closure at once.
  func test_cancelledAndRefusedTasksLetGoOfTheirClosures() throws {
    let baseline = Tracked.live.value
    let pool = try Impl.make(maxWorkers: 1, queueCapacity: 2)
    let gate = Gate()
    let started = Arrivals()
    let blocker = try pool.submit {
      started.arrive(); gate.pass(); return 0
    }
    XCTAssertTrue(started.waitFor(1))
    let held = Tracked(5)
    let cancelled = try pool.submit { [held] in held.id }
    let drained = try pool.submit { [held] in held.id + 1 }
    XCTAssertTrue(cancelled.cancel())
    let refusal = thrownError { _ = try pool.trySubmit { [held] in held.id + 2 } }
    assertFuturesError(Impl.self, refusal ?? Boom(id: 0), code: "queueFull")
    _ = consume held
    XCTAssertEqual(Tracked.live.value - baseline, 1, "held by the two queued closures")
    pool.shutdownPool(wait: false, cancelPending: true)  // drains `drained`
    XCTAssertTrue(drained.isCancelled)
    gate.open()
    pool.shutdownPool(wait: true, cancelPending: false)
    XCTAssertEqual(try blocker.result(timeout: .zero), 0)
    XCTAssertTrue(
      eventuallySync { Tracked.live.value == baseline },
      "\(implementationName): a cancelled task's closure was kept")
    _ = cancelled
  }
}

/// Polls `condition` (1 ms apart, 30 s at most) from synchronous code.
func eventuallySync(_ condition: () -> Bool) -> Bool {
  let limit = Date(timeIntervalSinceNow: 30)
  while !condition() {
    if Date() > limit { return false }
    usleep(1000)
  }
  return true
}
