// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// The shared behaviour suite of the per-worker initializer and finalizer (CPython's
// `initializer`, and its BrokenThreadPool), run against each implementation
// by WorkerHooksTests.swift.
#if CF_UNDER_TEST_C
import ConcurrentFutures
#else
import PureSwiftFutures
#endif
import Foundation
import XCTest

/// What an initializer throws on purpose.
struct InitFailure: Error, CustomStringConvertible {
  let detail: String
  var description: String { "InitFailure(\(detail))" }
}

/// Thread name → the value its initializer built, and the finalizer calls.
final class HookLedger: @unchecked Sendable {
  // @unchecked: guarded by `lock`.
  private let lock = NSLock()
  private var built: [String: Int] = [:]
  private var finalized: [String: Int] = [:]
  private var inits = 0

  /// Records an initializer call on this thread; returns its number (1…).
  func initialized() -> Int {
    lock.withLock {
      inits += 1
      built[currentThreadName()] = inits
      return inits
    }
  }
  func finalized(_ value: Int) {
    lock.withLock { finalized[currentThreadName(), default: 0] += value }
  }
  var initCount: Int { lock.withLock { inits } }
  var builtByThread: [String: Int] { lock.withLock { built } }
  var finalizedByThread: [String: Int] { lock.withLock { finalized } }
}

final class WorkerHooksTests: XCTestCase {
  /// The finalizer runs exactly for the workers whose initializer
  /// succeeded: not for the one whose initializer threw, nor for a worker
  /// started after the pool broke (it skips its initializer).  Four
  /// threads submit at once and the second initializer call throws.
  func test_finalizerRunsOnlyWhereTheInitializerSucceeded() throws {
    for round in 0..<scaled(40, minimum: 10) {
      let calls = Counter()
      let succeeded = Counter()
      let finalized = Counter()
      let pool = try Impl.make(
        maxWorkers: 4, prefix: uniquePrefix(),
        initializer: {
          if calls.increment() == 2 { throw InitFailure(detail: "the second") }
          succeeded.increment()
        },
        finalizer: { finalized.increment() })
      onThreads(4) { _ in _ = try? pool.submitTask { 1 } }
      pool.shutdownPool(wait: true, cancelPending: false)
      XCTAssertEqual(
        finalized.value, succeeded.value,
        "\(implementationName) round \(round): the finalizer ran \(finalized.value) times, "
          + "but \(succeeded.value) initializers succeeded")
    }
  }

  /// Each worker runs the initializer once, on itself, before its first
  /// task; each task reads the value its own worker built; each worker
  /// runs the finalizer once, with that value, as it exits.
  func test_initializerOncePerWorkerBeforeItsFirstTask() throws {
    for _ in 0..<scaled(20, minimum: 3) {
      let ledger = HookLedger()
      let prefix = uniquePrefix()
      let (pool, get, _) = try Impl.make(
        maxWorkers: 3, prefix: prefix,
        stateInitializer: { ledger.initialized() },
        stateFinalizer: { ledger.finalized($0) })
      // Three held tasks make three workers.
      let gate = Gate()
      let arrived = Arrivals()
      var futures = try (0..<3).map { _ in
        try pool.submitTask {
          arrived.arrive()
          gate.pass()
          return try get()
        }
      }
      XCTAssertTrue(arrived.waitFor(3))
      gate.open()
      let seen = Recorder<(String, Int)>()
      futures += try (0..<60).map { _ in
        try pool.submitTask {
          let value = try get()
          seen.append((currentThreadName(), value))
          return value
        }
      }
      for future in futures { _ = try future.result(timeout: .seconds(30)) }
      pool.shutdownPool(wait: true, cancelPending: false)

      let built = ledger.builtByThread
      XCTAssertEqual(ledger.initCount, 3, "\(implementationName): one init per worker")
      XCTAssertEqual(built.count, 3, "\(implementationName): inits on distinct threads")
      XCTAssertTrue(
        built.keys.allSatisfy { $0.hasPrefix(prefix) },
        "\(implementationName): init ran off the pool: \(built.keys)")
      XCTAssertEqual(Set(built.values), [1, 2, 3])
      for (thread, value) in seen.all {
        XCTAssertEqual(
          built[thread], value,
          "\(implementationName): a task on \(thread) saw another worker's value")
      }
      XCTAssertEqual(
        ledger.finalizedByThread, built,
        "\(implementationName): finalizer not once per worker with its own value")
      XCTAssertEqual(pool.workerThreads, 0)
    }
  }

  /// `WorkerLocal` off the pool: no value, and `get()` says why.
  func test_workerLocalOffThePoolThrows() throws {
    let (pool, get, value) = try Impl.make(
      maxWorkers: 1, prefix: uniquePrefix(),
      stateInitializer: { 5 }, stateFinalizer: nil)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    XCTAssertEqual(try pool.submitTask { try get() }.result(timeout: .seconds(30)), 5)
    XCTAssertNil(value(), "the test thread never ran the initializer")
    guard let error = thrownError({ _ = try get() }) else {
      return XCTFail("\(implementationName): get() off the pool returned a value")
    }
    assertFuturesError(Impl.self, error, code: "invalidArgument", messageContains: "Int")
  }

  /// An initializer that throws breaks the pool: the tasks queued behind
  /// it fail with `.brokenPool` naming the cause (none runs, none hangs),
  /// later submits throw it, no finalizer runs for that worker, and the
  /// pool still shuts down.
  func test_throwingInitializerBreaksThePool() throws {
    let hold = Gate()
    let finalized = Counter()
    let ran = Counter()
    let prefix = uniquePrefix()
    let pool = try Impl.make(
      maxWorkers: 1, prefix: prefix,
      initializer: {
        hold.pass()
        throw InitFailure(detail: "connection refused on port 1")
      },
      finalizer: { finalized.increment() })
    let futures = try (0..<20).map { i in
      try pool.submitTask {
        ran.increment(); return i
      }
    }
    XCTAssertFalse(pool.broken, "broken before the initializer failed")
    hold.open()
    for future in futures {
      guard let error = thrownError({ _ = try future.result(timeout: .seconds(30)) }) else {
        return XCTFail("\(implementationName): a task of a broken pool ran")
      }
      assertFuturesError(
        Impl.self, error, code: "brokenPool",
        messageContains: "initializer threw: InitFailure(connection refused on port 1)")
      XCTAssertTrue(
        Impl.underlyingError(error) is InitFailure,
        "\(implementationName): underlyingError is not the initializer's")
      XCTAssertFalse(future.isCancelled)
    }
    XCTAssertTrue(pool.broken)
    XCTAssertEqual(ran.value, 0)
    guard let submitError = thrownError({ _ = try pool.submitTask { 1 } }) else {
      return XCTFail("\(implementationName): a broken pool accepted a submit")
    }
    assertFuturesError(
      Impl.self, submitError, code: "brokenPool",
      messageContains: "the thread pool is broken")
    pool.shutdownPool(wait: true, cancelPending: false)
    XCTAssertEqual(finalized.value, 0, "finalizer ran for a worker whose initializer threw")
    XCTAssertEqual(pool.workerThreads, 0)
    XCTAssertEqual(threadsRemaining(prefix: prefix), 0)
  }

  /// The second worker's initializer throws while the first runs a task:
  /// that task finishes with its own value, the one queued fails, and only
  /// the initialised worker is finalised.
  func test_runningTaskFinishesWhenAnotherWorkerBreaks() throws {
    let initCalls = Counter()
    let finalized = Counter()
    let pool = try Impl.make(
      maxWorkers: 2, prefix: uniquePrefix(),
      initializer: {
        if initCalls.increment() == 2 { throw InitFailure(detail: "second") }
      },
      finalizer: { finalized.increment() })
    let gate = Gate()
    let arrived = Arrivals()
    let running = try pool.submitTask {
      arrived.arrive()
      gate.pass()
      return 42
    }
    XCTAssertTrue(arrived.waitFor(1))
    // The first worker is busy and idle tokens are none: this starts the
    // second, whose initializer throws.
    let queued = try pool.submitTask { 7 }
    let error = thrownError { _ = try queued.result(timeout: .seconds(30)) }
    assertFuturesError(
      Impl.self, error ?? Boom(id: 0), code: "brokenPool",
      messageContains: "InitFailure(second)")
    gate.open()
    XCTAssertEqual(try running.result(timeout: .seconds(30)), 42)
    pool.shutdownPool(wait: true, cancelPending: false)
    XCTAssertEqual(initCalls.value, 2)
    XCTAssertEqual(finalized.value, 1)
  }

  /// Submitters racing the break: every submit either throws `.brokenPool`
  /// or hands out a future that fails with it; no task runs, nothing hangs.
  func test_submittersRacingTheBreakLoseNothing() throws {
    for round in 0..<scaled(30, minimum: 3) {
      let ran = Counter()
      let pool = try Impl.make(
        maxWorkers: 2, prefix: uniquePrefix(),
        initializer: { throw InitFailure(detail: "round \(round)") },
        finalizer: nil)
      let accepted = Recorder<Impl.Fut>()
      let refused = Counter()
      onThreads(3) { _ in
        for _ in 0..<100 {
          do {
            accepted.append(
              try pool.submitTask {
                ran.increment(); return 0
              })
          } catch {
            assertFuturesError(Impl.self, error, code: "brokenPool")
            refused.increment()
          }
        }
      }
      for future in accepted.all {
        let error = thrownError { _ = try future.result(timeout: .seconds(30)) }
        assertFuturesError(
          Impl.self, error ?? Boom(id: 0), code: "brokenPool",
          messageContains: "round \(round)")
      }
      XCTAssertEqual(accepted.all.count + refused.value, 300)
      XCTAssertGreaterThan(accepted.all.count, 0, "the first submit is always accepted")
      XCTAssertEqual(ran.value, 0)
      pool.shutdownPool(wait: true, cancelPending: false)
      XCTAssertEqual(pool.workerThreads, 0)
    }
  }

  /// The scoped pool, blocking and async, passes the hooks on: its workers
  /// are initialised, and finalised by the time it returns.
  func test_scopedPoolRunsTheHooks() async throws {
    for useAsync in [false, true] {
      let inits = Counter()
      let finis = Counter()
      let body: @Sendable (Impl) throws -> Int = { pool in
        try pool.submitTask { inits.value }.result(timeout: .seconds(30))
      }
      let seen =
        useAsync
        ? try await Impl.scopedAsync(
          maxWorkers: 1, initializer: { inits.increment() },
          finalizer: { finis.increment() }, body)
        : try Impl.scoped(
          maxWorkers: 1, initializer: { inits.increment() },
          finalizer: { finis.increment() }, body)
      XCTAssertEqual(seen, 1, "\(implementationName) async=\(useAsync): task ran before init")
      XCTAssertEqual(finis.value, 1, "\(implementationName) async=\(useAsync): not finalised")
    }
  }
}
