// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// The shared behaviour suite: every public entry point at its extremes —
// zero, negative, Int.max, Duration's extremes, empty and duplicate input,
// absurd sizes, no thread to be had.  Each gets a clear thrown error or a
// documented result, never a trap, a spin or a leak.  The cases that
// trapped or aborted before their fix run in a child process (see
// ChildProcess.swift), so one failure cannot end the suite.
#if CF_UNDER_TEST_C
import ConcurrentFutures
#else
import PureSwiftFutures
#endif
import Foundation
import XCTest

/// Timeouts at and near the top of `Duration`: each means "practically
/// forever".
let hugeTimeouts: [Duration] = [
  .seconds(Int64.max),
  Duration(secondsComponent: Int64.max, attosecondsComponent: 999_999_999_999_999_999),
  .nanoseconds(Int64.max),
  .seconds(Int64(1) << 40),
]

/// This process's resident memory, in bytes, after glibc has returned its
/// free pages (malloc_trim), so growth means memory still in use.
func residentBytesAfterTrim() -> Int {
  typealias Trim = @convention(c) (Int) -> Int32
  if let symbol = dlsym(dlopen(nil, RTLD_NOW), "malloc_trim") {
    _ = unsafeBitCast(symbol, to: Trim.self)(0)
  }
  return memoryKiB().rss * 1024
}

/// True in the sanitizer stages (`make test-tsan`, `test-asan`): their
/// allocators keep freed memory (ASan's quarantine), so RSS says nothing.
var underSanitizer: Bool {
  ProcessInfo.processInfo.environment["CF_TEST_SANITIZER"] != nil
}

final class ExtremeInputTests: XCTestCase {
  /// The async waits and the async submit with a start deadline, given
  /// timeouts near the top of `Duration`, neither trap (they computed an
  /// instant that overflowed the clock) nor give up: they wait, and finish
  /// with the task.  The blocking twins likewise.
  func test_hugeTimeoutsNeitherTrapNorExpire() async throws {
    try await inChildProcess {
      for huge in hugeTimeouts {
        let pool = try Impl.make(maxWorkers: 1, queueCapacity: 1)
        let gate = Gate()
        let started = Arrivals()
        let blocker = try pool.submitTask {
          started.arrive(); gate.pass(); return 0
        }
        XCTAssertTrue(started.waitFor(1))
        let queued = try pool.submitTask { 1 }  // the queue is full now
        let waits = Task {
          async let value = queued.awaitResult(timeout: huge)
          async let error = queued.awaitError(timeout: huge)
          async let completed = Impl.allAsyncCompleted([queued], timeout: huge)
          async let waited = Impl.waitForAsync([queued], timeout: huge, returnWhen: .allCompleted)
          async let late = pool.submitAsync(startBy: huge) { 2 }  // suspends: full
          return try await (
            value, error == nil, completed.count, waited.done.count, late.awaitValue()
          )
        }
        let maps = Task {
          async let mapped = pool.mapAllAsync([3, 4], timeout: huge, lookAhead: nil) { $0 }
          async let lazy = pool.asyncLazyMapCollect(
            [5, 6], timeout: huge, lookAhead: nil, limit: nil
          ) { $0 }
          return try await (mapped, lazy.map { try $0.get() })
        }
        gate.open()
        let (value, noError, completed, waited, late) = try await waits.value
        XCTAssertEqual([value, completed, waited, late], [1, 1, 1, 2], "\(huge)")
        XCTAssertTrue(noError)
        let (mapped, lazy) = try await maps.value
        XCTAssertEqual(mapped, [3, 4])
        XCTAssertEqual(lazy, [5, 6])
        try blockingFormsWait(pool, huge, blocker)
        pool.shutdownPool(wait: true, cancelPending: false)
      }
    }
  }

  private func blockingFormsWait(_ pool: Impl, _ huge: Duration, _ done: Impl.Fut) throws {
    XCTAssertEqual(try done.result(timeout: huge), 0)
    XCTAssertNil(try done.error(timeout: huge))
    XCTAssertEqual(try pool.submitTask(timeout: huge) { 7 }.result(timeout: huge), 7)
    XCTAssertEqual(try pool.submitTask(startBy: huge) { 8 }.result(timeout: huge), 8)
    XCTAssertEqual(
      try pool.submitTask(whenFull: .blockWithTimeout(huge)) { 9 }.result(timeout: huge), 9)
    XCTAssertTrue(try Impl.completions([done], timeout: huge)() === done)
    XCTAssertEqual(try Impl.waitFor([done], timeout: huge, returnWhen: .allCompleted).done.count, 1)
    XCTAssertEqual(try pool.mapAll([1, 2], timeout: huge, lookAhead: nil) { $0 }, [1, 2])
    XCTAssertEqual(
      try pool.mapLazily([3], timeout: huge, lookAhead: nil) { $0 }.map { try $0.get() }, [3])
  }

  /// `maxWorkers: Int.max` is accepted (threads start lazily; the system
  /// refusing one is handled), and every map — whose default look-ahead is
  /// 2 × maxWorkers — works instead of trapping on the overflow.
  func test_absurdMaxWorkersStillMaps() async throws {
    try await inChildProcess {
      let pool = try Impl.make(maxWorkers: Int.max)
      XCTAssertEqual(pool.maxWorkers, Int.max)
      XCTAssertEqual(try blockingMaps(pool), [[0, 2, 4], [0, 2, 4]])
      let mapped = try await pool.mapAllAsync([1, 2], timeout: nil, lookAhead: nil) { $0 * 2 }
      XCTAssertEqual(mapped, [2, 4])
      let lazy = try await pool.asyncLazyMapCollect([3], timeout: nil, lookAhead: nil, limit: nil) {
        $0 * 2
      }
      XCTAssertEqual(try lazy.map { try $0.get() }, [6])
      pool.shutdownPool(wait: true, cancelPending: false)
    }
  }

  /// A chunk size far beyond the inputs (`Int.max`, `1 << 40`), with the
  /// look-ahead left to its default (which grows to fit the chunk), maps
  /// the inputs as one chunk: nothing reserves room for `chunkSize` inputs
  /// up front (the chunk reader did, and trapped).
  func test_absurdChunkSizeStillMaps() async throws {
    try await inChildProcess {
      let pool = try Impl.make(maxWorkers: 2)
      for size in [Int.max, 1 << 40] {
        XCTAssertEqual(
          try pool.mapAll([0, 1, 2], timeout: nil, lookAhead: nil, chunkSize: size) { $0 * 2 },
          [0, 2, 4])
        XCTAssertEqual(
          try pool.mapLazily([0, 1, 2], timeout: nil, lookAhead: nil, chunkSize: size) { $0 * 2 }
            .map { try $0.get() },
          [0, 2, 4])
        let mapped = try await pool.mapAllAsync(
          [1, 2], timeout: nil, lookAhead: nil, chunkSize: size
        ) { $0 * 2 }
        XCTAssertEqual(mapped, [2, 4])
        let lazy = try await pool.asyncLazyMapCollect(
          [3], timeout: nil, lookAhead: nil, chunkSize: size, limit: nil
        ) { $0 * 2 }
        XCTAssertEqual(try lazy.map { try $0.get() }, [6])
      }
      pool.shutdownPool(wait: true, cancelPending: false)
    }
  }

  private func blockingMaps(_ pool: Impl) throws -> [[Int]] {
    [
      try pool.mapAll([0, 1, 2], timeout: nil, lookAhead: nil) { $0 * 2 },
      try pool.mapLazily([0, 1, 2], timeout: nil, lookAhead: nil) { $0 * 2 }.map { try $0.get() },
    ]
  }

  /// A capacity is a bound, not a reservation: `queueCapacity: Int32.max`
  /// (Java's limit) makes a pool that works and holds no ring of that size
  /// (the twin allocated 17 GB up front and aborted).
  func test_hugeQueueCapacityReservesNothing() async throws {
    try await inChildProcess {
      let before = residentBytesAfterTrim()
      let pool = try Impl.make(maxWorkers: 2, queueCapacity: ThreadPoolExecutor.maxQueueCapacity)
      XCTAssertEqual(pool.queueCapacity, Int(Int32.max))
      let futures = try (0..<10_000).map { i in try pool.submitTask { i } }
      let grown = residentBytesAfterTrim() - before  // the pool alive
      XCTAssertEqual(try futures.reduce(0) { $0 + (try $1.result(timeout: hangBound)) }, 49_995_000)
      pool.shutdownPool(wait: true, cancelPending: false)
      if !underSanitizer {
        XCTAssertLessThan(grown, 64 << 20, "\(implementationName): \(grown) bytes for 10,000 tasks")
      }
    }
  }

  /// When no worker thread can start, every submit says so at once with
  /// `.resourceExhausted`: `trySubmit` too (it said "the queue is full"),
  /// and the async submit (it retried, spinning, until a thread could
  /// start).  Nothing is queued; once threads can start, the pool works.
  func test_noThreadToBeHadIsResourceExhaustedAtOnce() async throws {
    let pool = try Impl.make(maxWorkers: 2)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    failThreadStarts(.max)
    defer { failThreadStarts(0) }
    for error in submitErrors(pool) {
      assertFuturesError(
        Impl.self, error, code: "resourceExhausted",
        messageContains: "no worker thread could be started")
    }
    let asyncReturned = Arrivals()
    let asyncSubmit = Task { () -> (any Error)? in
      defer { asyncReturned.arrive() }
      do {
        _ = try await pool.submitAsync { 1 }
        return nil
      } catch {
        return error
      }
    }
    let returned = await eventually(within: hangBound) { asyncReturned.value == 1 }
    failThreadStarts(0)  // lets a spinning submit through, so the test ends
    let error = await asyncSubmit.value
    XCTAssertTrue(returned, "\(implementationName): the async submit did not return at once")
    assertFuturesError(Impl.self, error ?? Boom(id: 0), code: "resourceExhausted")
    XCTAssertEqual(pool.queuedTasks, 0, "nothing was queued")
    let value = try await pool.submitAsync { 3 }.awaitValue()
    XCTAssertEqual(value, 3)
  }

  private func submitErrors(_ pool: Impl) -> [any Error] {
    [
      thrownError { _ = try pool.trySubmitTask { 1 } },
      thrownError { _ = try pool.submitTask { 1 } },
      thrownError { _ = try pool.submitTask(timeout: .seconds(1)) { 1 } },
      thrownError { _ = try pool.submitTask(startBy: .seconds(1)) { 1 } },
      thrownError { _ = try pool.submitTask(whenFull: .runOnCaller) { 1 } },
    ].map { $0 ?? Boom(id: 0) as any Error }
  }

  /// A thread-name prefix is cut at a character boundary, never inside a
  /// UTF-8 sequence, so the name fits Linux's 15 bytes and stays valid.
  func test_threadNamesAreCutAtACharacterBoundary() throws {
    for (prefix, expected) in [
      (String(repeating: "é", count: 10), "éééééé-1"),
      (String(repeating: "🙂", count: 4), "🙂🙂🙂-1"),
      ("abcdefghijklmnopqrstuvwxyz", "abcdefghijklm-1"),
    ] {
      let pool = try Impl.make(maxWorkers: 1, prefix: prefix)
      let name = try pool.submitTask { threadNameBytes().count }.result(timeout: hangBound)
      let seen = try pool.mapAll([0], timeout: hangBound, lookAhead: nil) { _ in
        String(bytes: threadNameBytes(), encoding: .utf8) == expected ? 1 : 0
      }
      pool.shutdownPool(wait: true, cancelPending: false)
      XCTAssertEqual(
        seen, [1], "\(implementationName): prefix \(prefix) gave an invalid or wrong name")
      XCTAssertLessThanOrEqual(name, 15)
    }
  }

  /// Async polls let go of everything they registered when they return:
  /// over thousands of pending futures, 100 async `wait(timeout: .zero)`
  /// polls, timed-out awaits and abandoned `asyncCompleted` sequences leave
  /// resident memory flat (before: 137 MiB for the waits, 1–1.6 KB per
  /// timed await), and 100,000 zero-timeout polls register nothing.
  func test_asyncPollsLeaveNothingBehind() async throws {
    let pending = scaled(10_000, minimum: 500)
    let pool = try Impl.make(maxWorkers: 1, queueCapacity: pending + 1)
    let gate = Gate()
    let started = Arrivals()
    let blocker = try pool.submitTask {
      started.arrive(); gate.pass(); return 0
    }
    XCTAssertTrue(started.waitFor(1))
    let futures = try (0..<pending).map { i in try pool.submitTask { i } }
    func poll() async throws {
      let (done, notDone) = try await Impl.waitForAsync(
        futures, timeout: .zero, returnWhen: .allCompleted)
      XCTAssertEqual(done.count + notDone.count, pending)
      let next = try Impl.asyncCompletions(futures, timeout: .zero)
      _ = try? await next()  // times out at once; the sequence is dropped
    }
    for _ in 0..<10 { try await poll() }  // warm-up
    for _ in 0..<1_000 { _ = try? await futures[0].awaitResult(timeout: .microseconds(20)) }
    let before = residentBytesAfterTrim()
    for _ in 0..<100 { try await poll() }
    for _ in 0..<scaled(5_000, minimum: 500) {
      _ = try? await futures[0].awaitResult(timeout: .microseconds(20))
    }
    for _ in 0..<scaled(100_000, minimum: 5_000) {
      _ = try? await futures[0].awaitResult(timeout: .zero)
    }
    let grown = residentBytesAfterTrim() - before
    print("\(implementationName): resident memory grew \(grown) bytes over the polls")
    if !underSanitizer {
      XCTAssertLessThan(grown, 4 << 20, "\(implementationName): the polls kept \(grown) bytes")
    }
    gate.open()
    let first = try await blocker.awaitValue()
    let last = try await futures.last!.awaitValue()
    XCTAssertEqual([first, last], [0, pending - 1])
    pool.shutdownPool(wait: true, cancelPending: false)
  }

  /// A negative timeout is bad input at every entry point that takes one,
  /// blocking and async: `.invalidArgument`, saying the timeout must not be
  /// negative.  Nothing is submitted or cancelled.
  func test_negativeTimeoutsAreRejectedEverywhere() async throws {
    let pool = try Impl.make(maxWorkers: 1)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    let done = try pool.submitTask { 1 }
    let one = try await done.awaitValue()
    XCTAssertEqual(one, 1)
    for negative in [Duration.nanoseconds(-1), .seconds(Int64.min)] {
      var errors = blockingNegativeErrors(pool, done, negative)
      errors.append(await thrownError { _ = try await done.awaitResult(timeout: negative) })
      errors.append(await thrownError { _ = try await done.awaitError(timeout: negative) })
      errors.append(await thrownError { _ = try await pool.submitAsync(startBy: negative) { 1 } })
      errors.append(
        await thrownError {
          _ = try await Impl.waitForAsync([done], timeout: negative, returnWhen: .allCompleted)
        })
      errors.append(thrownError { _ = try Impl.asyncCompletions([done], timeout: negative) })
      errors.append(
        await thrownError {
          _ = try await pool.mapAllAsync([1], timeout: negative, lookAhead: nil) { $0 }
        })
      errors.append(
        thrownError { _ = try pool.asyncLazyMapNext([1], timeout: negative, lookAhead: nil) { $0 } }
      )
      XCTAssertEqual(errors.count, 16)
      for error in errors {
        assertFuturesError(
          Impl.self, error ?? Boom(id: 0), code: "invalidArgument",
          messageContains: "must not be negative")
      }
    }
  }

  private func blockingNegativeErrors(_ pool: Impl, _ done: Impl.Fut, _ negative: Duration) -> [(
    any Error
  )?] {
    [
      thrownError { _ = try done.result(timeout: negative) },
      thrownError { _ = try done.error(timeout: negative) },
      thrownError { _ = try pool.submitTask(timeout: negative) { 1 } },
      thrownError { _ = try pool.submitTask(startBy: negative) { 1 } },
      thrownError { _ = try pool.submitTask(whenFull: .blockWithTimeout(negative)) { 1 } },
      thrownError { _ = try Impl.completions([done], timeout: negative) },
      thrownError { _ = try Impl.waitFor([done], timeout: negative, returnWhen: .allCompleted) },
      thrownError { _ = try pool.mapAll([1], timeout: negative, lookAhead: nil) { $0 } },
      thrownError { _ = try pool.mapLazily([1], timeout: negative, lookAhead: nil) { $0 } },
    ]
  }

  /// Empty and duplicate inputs: every map of nothing is empty, every wait
  /// over nothing returns at once with nothing, and a future given twice
  /// is reported once.
  func test_emptyAndDuplicateInputs() async throws {
    let pool = try Impl.make(maxWorkers: 1)
    defer { pool.shutdownPool(wait: true, cancelPending: false) }
    XCTAssertEqual(try pool.mapAll([], timeout: .zero, lookAhead: nil) { $0 }, [])
    XCTAssertEqual(
      try pool.mapLazily([], timeout: nil, lookAhead: 1) { $0 }.map { try $0.get() }, [])
    XCTAssertNil(try Impl.completions([], timeout: .zero)())
    XCTAssertEqual(try Impl.waitFor([], timeout: nil, returnWhen: .firstCompleted).done.count, 0)
    let mapped = try await pool.mapAllAsync([], timeout: .zero, lookAhead: nil) { $0 }
    let lazy = try await pool.asyncLazyMapCollect([], timeout: nil, lookAhead: 1, limit: nil) { $0 }
    let completed = try await Impl.allAsyncCompleted([], timeout: .zero)
    let waited = try await Impl.waitForAsync([], timeout: nil, returnWhen: .firstException)
    XCTAssertEqual(
      [mapped.count, lazy.count, completed.count, waited.done.count + waited.notDone.count],
      [0, 0, 0, 0])
    let f = try pool.submitTask { 5 }
    let five = try await f.awaitValue()
    XCTAssertEqual(five, 5)
    XCTAssertEqual(
      try Impl.waitFor([f, f, f], timeout: nil, returnWhen: .allCompleted).done.count, 1)
    let next = try Impl.completions([f, f], timeout: .zero)
    XCTAssertTrue(try next() === f)
    XCTAssertNil(try next())
    let twice = try await Impl.allAsyncCompleted([f, f], timeout: nil)
    let waitedTwice = try await Impl.waitForAsync([f, f], timeout: nil, returnWhen: .allCompleted)
    XCTAssertEqual([twice.count, waitedTwice.done.count], [1, 1])
  }
}

/// The calling thread's name as the kernel keeps it: raw bytes.
func threadNameBytes() -> [UInt8] {
  let data = FileManager.default.contents(atPath: "/proc/thread-self/comm") ?? Data()
  return Array(data.prefix { $0 != 0x0A })
}
