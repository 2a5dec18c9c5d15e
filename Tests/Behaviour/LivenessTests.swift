// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// The shared behaviour suite: nothing hangs and nothing is missed when user code
// running on a worker (a task, a done-callback) submits to its own pool and
// waits, shuts it down, or when a waiter meets a slow callback.  Run
// against each implementation by LivenessTests.swift.  A hang is reported
// as a failure: every wait here has a bound.
#if CF_UNDER_TEST_C
import ConcurrentFutures
#else
import PureSwiftFutures
#endif
import Foundation
import XCTest

/// How long a wait that must succeed may take before the test calls it a
/// hang (generous: a loaded machine under TSan is slow, a hang is forever).
let hangBound = Duration.seconds(10)

final class LivenessTests: XCTestCase {
  /// A done-callback running on the worker that finished the task submits
  /// to the same pool and waits: the pool has room for a second worker,
  /// so the inner task runs (Python runs this program at once).
  func test_callbackOnWorkerSubmitsAndWaits() throws {
    for round in 0..<scaled(30, minimum: 5) {
      let pool = try Impl.make(maxWorkers: 2)
      let gate = Gate()
      let outcomes = Recorder<String>()
      let called = Arrivals()
      let outer = try pool.submitTask {
        gate.pass(); return 1
      }
      // Added while the task is held: it runs on the worker, after finish.
      outer.addCallback { _ in
        do {
          let inner = try pool.submitTask { 4 }
          outcomes.append("value \(try inner.result(timeout: hangBound))")
        } catch {
          outcomes.append("error \(error)")
        }
        called.arrive()
      }
      gate.open()
      XCTAssertTrue(
        called.waitFor(1), "\(implementationName) round \(round): the callback never returned")
      XCTAssertEqual(outcomes.all, ["value 4"], "\(implementationName) round \(round)")
      if outcomes.all != ["value 4"] { break }  // one hang is enough
      pool.shutdownPool(wait: true, cancelPending: false)
    }
  }

  /// The same from a callback added while the completer is still running
  /// earlier callbacks (it runs after them, on the worker).
  func test_lateCallbackOnWorkerSubmitsAndWaits() throws {
    for round in 0..<scaled(20, minimum: 5) {
      let pool = try Impl.make(maxWorkers: 2)
      let gate = Gate()
      let inFirst = Arrivals()
      let releaseFirst = Gate()
      let outcomes = Recorder<String>()
      let called = Arrivals()
      let outer = try pool.submitTask {
        gate.pass(); return 1
      }
      outer.addCallback { _ in
        inFirst.arrive(); releaseFirst.pass()
      }
      gate.open()
      XCTAssertTrue(inFirst.waitFor(1))
      // The future is done and its completer is in the first callback:
      // this one is queued behind it, on the worker.
      outer.addCallback { _ in
        do {
          let inner = try pool.submitTask { 5 }
          outcomes.append("value \(try inner.result(timeout: hangBound))")
        } catch {
          outcomes.append("error \(error)")
        }
        called.arrive()
      }
      releaseFirst.open()
      XCTAssertTrue(
        called.waitFor(1), "\(implementationName) round \(round): the callback never returned")
      XCTAssertEqual(outcomes.all, ["value 5"], "\(implementationName) round \(round)")
      if outcomes.all != ["value 5"] { break }  // one hang is enough
      pool.shutdownPool(wait: true, cancelPending: false)
    }
  }

  /// A task that submits a subtask and waits for it, on a pool below
  /// `maxWorkers`, gets a second worker — also right after an idle spell
  /// (an idle worker's token must not be counted for a busy one).
  func test_taskSubmitsAndWaitsForASubtask() throws {
    let pool = try Impl.make(maxWorkers: 2)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    for round in 0..<scaled(200, minimum: 20) {
      // Leave the pool idle (its worker's token out) between rounds.
      XCTAssertEqual(try pool.submitTask { round }.result(timeout: hangBound), round)
      let outer = try pool.submitTask {
        try pool.submitTask { round + 1 }.result(timeout: hangBound) * 2
      }
      XCTAssertEqual(
        try outer.result(timeout: hangBound * 2), (round + 1) * 2,
        "\(implementationName) round \(round)")
    }
  }

  /// A callback added after completion runs on the adding thread (or, if
  /// the completer is still finishing, after it on the worker); one that
  /// submits and waits is served either way.
  func test_callbackAddedAfterCompletionSubmitsAndWaits() throws {
    let pool = try Impl.make(maxWorkers: 2)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    for round in 0..<scaled(50, minimum: 5) {
      let done = try pool.submitTask { round }
      XCTAssertEqual(try done.result(timeout: hangBound), round)
      let outcomes = Recorder<String>()
      let called = Arrivals()
      done.addCallback { _ in
        do {
          outcomes.append("value \(try pool.submitTask { 6 }.result(timeout: hangBound))")
        } catch {
          outcomes.append("error \(error)")
        }
        called.arrive()
      }
      XCTAssertTrue(
        called.waitFor(1), "\(implementationName) round \(round): the callback never returned")
      XCTAssertEqual(outcomes.all, ["value 6"], "\(implementationName) round \(round)")
      if outcomes.all != ["value 6"] { break }  // one hang is enough
    }
  }

  /// Cancelling a pending future runs its callbacks on the cancelling
  /// thread — here a task on a pool with room; a callback that submits to
  /// that pool and waits gets a second worker of it, also when the
  /// cancelling worker came back from an idle spell.
  func test_cancelCallbackSubmitsAndWaits() throws {
    let pool = try Impl.make(maxWorkers: 2)
    let other = try Impl.make(maxWorkers: 1)
    defer {
      pool.shutdownPool(wait: true, cancelPending: false)
      other.shutdownPool(wait: true, cancelPending: false)
    }
    for round in 0..<scaled(30, minimum: 5) {
      XCTAssertEqual(try pool.submitTask { round }.result(timeout: hangBound), round)
      let gate = Gate()
      let started = Arrivals()
      let holder = try other.submitTask {
        started.arrive(); gate.pass(); return 0
      }
      XCTAssertTrue(started.waitFor(1))
      let queued = try other.submitTask { 99 }  // behind the holder
      let outcomes = Recorder<String>()
      queued.addCallback { _ in
        do {
          outcomes.append("value \(try pool.submitTask { 7 }.result(timeout: hangBound))")
        } catch {
          outcomes.append("error \(error)")
        }
      }
      let cancelling = try pool.submitTask { queued.cancel() ? 1 : 0 }
      XCTAssertEqual(
        try cancelling.result(timeout: hangBound * 2), 1, "\(implementationName) round \(round)")
      XCTAssertEqual(outcomes.all, ["value 7"], "\(implementationName) round \(round)")
      if outcomes.all != ["value 7"] { break }  // one hang is enough
      gate.open()
      _ = try holder.result(timeout: hangBound)
    }
  }

  /// `shutdown(cancelPendingFutures: true)` from a done-callback on the
  /// only worker cancels exactly the tasks not yet started: every queued
  /// one, none of which runs.
  func test_cancellingShutdownFromACallbackMissesNothing() throws {
    for round in 0..<scaled(50, minimum: 10) {
      let pool = try Impl.make(maxWorkers: 1)
      let gate = Gate()
      let started = Arrivals()
      let ran = Counter()
      let pendingSeen = Recorder<Int>()
      let first = try pool.submitTask {
        started.arrive(); gate.pass(); return 1
      }
      XCTAssertTrue(started.waitFor(1))
      first.addCallback { _ in
        pendingSeen.append(pool.queuedTasks)
        pool.shutdownPool(wait: false, cancelPending: true)
      }
      let queued = try (0..<9).map { i in
        try pool.submitTask {
          ran.increment(); return i
        }
      }
      gate.open()
      pool.shutdownPool(wait: true, cancelPending: false)
      XCTAssertEqual(
        pendingSeen.all, [9],
        "\(implementationName) round \(round): the callback saw every task queued")
      XCTAssertEqual(
        ran.value, 0,
        "\(implementationName) round \(round): a task not started when shutdown cancelled the pending ones ran"
      )
      if ran.value != 0 { break }
      XCTAssertTrue(queued.allSatisfy { $0.isCancelled }, "\(implementationName) round \(round)")
    }
  }

  /// A future whose `isDone` is true is reported done at once by every
  /// waiter — `wait`, `asCompleted`, `asyncCompleted`, `await value` — even
  /// while a slow done-callback of it is still running on its worker.
  func test_waitersDoNotQueueBehindASlowCallback() async throws {
    let pool = try Impl.make(maxWorkers: 1)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    let gate = Gate()
    let inCallback = Arrivals()
    let releaseCallback = Gate()
    let future = try pool.submitTask {
      gate.pass(); return 8
    }
    future.addCallback { _ in
      inCallback.arrive(); releaseCallback.pass()
    }
    gate.open()
    XCTAssertTrue(inCallback.waitFor(1))
    XCTAssertTrue(future.isDone)

    // The blocking waits, on a thread of their own, bounded.
    let returned = Arrivals()
    let seen = Recorder<String>()
    Thread.detachNewThread {
      do {
        let (done, notDone) = try Impl.waitFor([future], timeout: nil, returnWhen: .allCompleted)
        seen.append("wait \(done.count)/\(notDone.count)")
        let next = try Impl.completions([future], timeout: nil)
        seen.append("asCompleted \(try next() === future)")
      } catch {
        seen.append("error \(error)")
      }
      returned.arrive()
    }
    XCTAssertTrue(
      returned.waitFor(1), "\(implementationName): a blocking wait waited for the callback")
    XCTAssertEqual(seen.all, ["wait 1/0", "asCompleted true"], implementationName)

    // The async ones, bounded by a deadline they must not need.
    let asyncReturned = Arrivals()
    let asyncSeen = Task {
      defer { asyncReturned.arrive() }
      let all = try await Impl.allAsyncCompleted([future], timeout: nil)
      return (all.count, try await future.awaitValue())
    }
    let finished = await eventually(within: hangBound) { asyncReturned.value == 1 }
    XCTAssertTrue(finished, "\(implementationName): an async wait waited for the callback")
    releaseCallback.open()
    let (count, value) = try await asyncSeen.value
    XCTAssertEqual(count, 1)
    XCTAssertEqual(value, 8)
  }
}
