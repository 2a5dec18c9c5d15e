// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// Shared helpers for driving the C core directly: scale, deadlines, joinable
// threads, a two-thread lockstep harness, and the C-convention trampolines
// (task and done-callback) that reach Swift state through Unmanaged boxes.
//
// Threads are ordered with semaphores and barriers, never with sleeps.  Where
// a test must involve time (a deadline expiring) it asserts a wide window.
import CFutures
import Foundation
import Glibc
import Synchronization
import XCTest

// MARK: - Scale and time

// `scaled`, `Gate` and the thread helpers are in Threads.swift, shared with
// the behaviour suite.

/// How long a "this should happen" wait may take before the test fails
/// instead of hanging.  Generous: TSan on a loaded 2-core machine.
let patience: Double = 20

/// Upper bound asserted on a deadline that should expire after a short
/// timeout: far above the timeout, far below "it never woke".
let expiryLimit: Double = 5

/// Now on CLOCK_MONOTONIC, in seconds: the clock the core's deadlines use.
func monotonicNow() -> Double {
  var ts = timespec()
  clock_gettime(CLOCK_MONOTONIC, &ts)
  return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// An absolute deadline `seconds` from now, made by cf_deadline_after.
func deadline(after seconds: Double) -> timespec {
  var ts = timespec()
  let rc = cf_deadline_after(Int64(seconds * 1e9), &ts)
  precondition(rc == 0, "cf_deadline_after failed: \(rc)")
  return ts
}

/// A deadline that has already passed by the time it is used: it turns a
/// blocking call into a poll.
func pastDeadline() -> timespec { deadline(after: 0) }

/// A deadline with tv_nsec out of range, which every blocking call must
/// refuse with EINVAL.
func invalidDeadline() -> timespec {
  var ts = deadline(after: 60)
  ts.tv_nsec = 2_000_000_000
  return ts
}

/// Calls `body` with a pointer to `deadline`, or NULL for "no deadline".
func withDeadline<R>(
  _ deadline: timespec?, _ body: (UnsafePointer<timespec>?) -> R
) -> R {
  guard var d = deadline else { return body(nil) }
  return withUnsafePointer(to: &d) { body($0) }
}

/// Runs `body` and returns its result with the elapsed monotonic seconds.
func timed<R>(_ body: () -> R) -> (R, Double) {
  let start = monotonicNow()
  let r = body()
  return (r, monotonicNow() - start)
}

/// Asserts that a call that timed out after `timeout` seconds took at least
/// that long and well under `expiryLimit`.
func assertExpiryWindow(
  _ elapsed: Double, timeout: Double, file: StaticString = #filePath,
  line: UInt = #line
) {
  XCTAssertGreaterThanOrEqual(
    elapsed, timeout, "returned before its deadline", file: file, line: line)
  XCTAssertLessThan(
    elapsed, expiryLimit, "overslept its deadline", file: file, line: line)
}

// MARK: - Threads and gates

/// Shares a value that is not Sendable with another thread.
/// @unchecked: each use is ordered by a semaphore, barrier or join, which the
/// test states at the point of use; C handles are thread-safe by contract.
struct Shared<Value>: @unchecked Sendable {
  let value: Value
  init(_ value: Value) { self.value = value }
}

/// A value guarded by a lock ThreadSanitizer understands (NSLock, a
/// pthread mutex).  Not Synchronization.Mutex: on Linux a contended Mutex
/// hands the lock over inside the kernel (FUTEX_LOCK_PI), where TSan cannot
/// see the hand-off, and it reports false "Swift access races".
/// @unchecked: every access to `value` holds `lock`.
final class Locked<Value>: @unchecked Sendable {
  private let lock = NSLock()
  private var value: Value

  init(_ value: Value) { self.value = value }

  func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
    lock.lock()
    defer { lock.unlock() }
    return try body(&value)
  }
}

/// A mutable cell written by one thread and read by another after a
/// happens-before edge (barrier, semaphore or join).
/// @unchecked: the tests order every access through such an edge.
final class Cell<Value>: @unchecked Sendable {
  var value: Value
  init(_ value: Value) { self.value = value }
}

private final class ThreadBody {
  let body: @Sendable () -> Void
  init(_ body: @escaping @Sendable () -> Void) { self.body = body }
}

/// A joinable pthread running a Swift closure (Foundation's Thread cannot be
/// joined).  Join it before the test returns.
final class TestThread: @unchecked Sendable {
  // @unchecked: `tid` is written once in init, before any other access.
  private var tid = pthread_t()

  init(_ body: @escaping @Sendable () -> Void) {
    let arg = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
    let rc = pthread_create(
      &tid, nil,
      { arg in
        let box = Unmanaged<ThreadBody>.fromOpaque(arg!).takeRetainedValue()
        box.body()
        return nil
      }, arg)
    precondition(rc == 0, "pthread_create failed: \(rc)")
  }

  func join() { pthread_join(tid, nil) }

  /// Starts `count` threads running `body(index)`.
  static func spawn(
    _ count: Int, _ body: @escaping @Sendable (Int) -> Void
  ) -> [TestThread] {
    (0..<count).map { i in TestThread { body(i) } }
  }
}

extension Array where Element == TestThread {
  func joinAll() { forEach { $0.join() } }
}

/// Waits on `semaphore` for up to `patience` seconds; fails (instead of
/// hanging) if it is not signalled.
@discardableResult
func expectSignal(
  _ semaphore: DispatchSemaphore, _ what: String,
  file: StaticString = #filePath, line: UInt = #line
) -> Bool {
  let ok = semaphore.wait(timeout: .now() + patience) == .success
  XCTAssertTrue(ok, "timed out waiting for: \(what)", file: file, line: line)
  return ok
}

/// The calling thread's kernel name (what pthread_setname_np set).
/// pthread_getname_np is a GNU extension Swift's Glibc module does not
/// export, so it is looked up once with dlsym.

/// Two threads in lockstep: for each round, `prepare` runs on the calling
/// thread, then a barrier releases `helper` (on a second thread) and `main`
/// (on the calling thread) at the same moment, then a second barrier waits
/// for both before `check` runs.  The barriers order every access to state
/// the closures share.
func runInLockstep(
  rounds: Int,
  prepare: (Int) -> Void,
  helper: @escaping @Sendable (Int) -> Void,
  main: (Int) -> Void,
  check: (Int) -> Void
) {
  let barrier = UnsafeMutablePointer<pthread_barrier_t>.allocate(capacity: 1)
  precondition(pthread_barrier_init(barrier, nil, 2) == 0)
  defer {
    pthread_barrier_destroy(barrier)
    barrier.deallocate()
  }
  let shared = Shared(barrier)
  let thread = TestThread {
    for round in 0..<rounds {
      pthread_barrier_wait(shared.value)
      helper(round)
      pthread_barrier_wait(shared.value)
    }
  }
  for round in 0..<rounds {
    prepare(round)
    pthread_barrier_wait(barrier)
    main(round)
    pthread_barrier_wait(barrier)
    check(round)
  }
  thread.join()
}

// MARK: - Queue items

/// A task function for items that are only moved through a queue.
let inertTask: cf_task_fn = { _, _ in }

/// An item whose payload is `value` (>= 1), carried in the arg pointer.
func item(_ value: Int) -> cf_item {
  precondition(value >= 1)
  return cf_item(
    fn: inertTask, arg: UnsafeMutableRawPointer(bitPattern: value),
    future: nil)
}

/// The payload of an item made by `item(_:)`.
func payload(_ item: cf_item) -> Int { Int(bitPattern: item.arg) }

// MARK: - Pool tasks

/// Pool-wide tallies shared by many tasks.
final class Tally: Sendable {
  let runs = Atomic<Int>(0)
  let releases = Atomic<Int>(0)
  /// Signalled once per CF_TASK_RELEASE, so a test can wait for the pool
  /// to be done with every item without joining its threads.
  let released = DispatchSemaphore(value: 0)
}

/// One submitted task's context.  Submit passes one retain to the pool; the
/// trampoline gives it back at CF_TASK_RELEASE, so a leaked or doubled
/// release shows up in the counters (and a doubled one would crash).
final class TaskBox: Sendable {
  let index: Int
  let runs = Atomic<Int>(0)
  let releases = Atomic<Int>(0)
  let tally: Tally?
  /// Runs at CF_TASK_RUN, on the worker.
  let body: (@Sendable (TaskBox) -> Void)?

  init(
    index: Int = 0, tally: Tally? = nil,
    body: (@Sendable (TaskBox) -> Void)? = nil
  ) {
    self.index = index
    self.tally = tally
    self.body = body
  }
}

/// The one C-convention task function every pool test submits.
let boxTask: cf_task_fn = { arg, op in
  let unmanaged = Unmanaged<TaskBox>.fromOpaque(arg!)
  let box = unmanaged.takeUnretainedValue()
  if op == CF_TASK_RUN {
    box.runs.add(1, ordering: .relaxed)
    box.tally?.runs.add(1, ordering: .relaxed)
    box.body?(box)
  } else if op == CF_TASK_BROKEN {
    preconditionFailure("boxTask: CF_TASK_BROKEN from a pool without hooks")
  } else {
    box.releases.add(1, ordering: .relaxed)
    if let tally = box.tally {
      tally.releases.add(1, ordering: .relaxed)
      tally.released.signal()
    }
    unmanaged.release()
  }
}

/// Submits `box` to `pool`; on failure takes back the retain the pool did
/// not take.
func submit(
  _ pool: OpaquePointer, _ box: TaskBox, future: OpaquePointer? = nil,
  mode: cf_submit_mode = CF_SUBMIT_BLOCK, deadline: timespec? = nil
) -> Int32 {
  let arg = Unmanaged.passRetained(box).toOpaque()
  let rc = withDeadline(deadline) {
    cf_pool_submit(pool, boxTask, arg, future, mode, $0)
  }
  if rc != 0 { Unmanaged<TaskBox>.fromOpaque(arg).release() }
  return rc
}

/// Creates a pool or fails the test.
func makePool(
  maxWorkers: Int, queueCapacity: Int = 1024, prefix: String? = nil,
  file: StaticString = #filePath, line: UInt = #line
) -> OpaquePointer {
  var pool: OpaquePointer?
  let rc: Int32
  if let prefix {
    rc = prefix.withCString { name in
      var options = cf_pool_options(
        max_workers: maxWorkers, queue_capacity: queueCapacity,
        thread_name_prefix: name, worker_init: nil, worker_fini: nil,
        context_release: nil, context: nil)
      return cf_pool_create(&options, &pool)
    }
  } else {
    var options = cf_pool_options(
      max_workers: maxWorkers, queue_capacity: queueCapacity,
      thread_name_prefix: nil, worker_init: nil, worker_fini: nil,
      context_release: nil, context: nil)
    rc = cf_pool_create(&options, &pool)
  }
  XCTAssertEqual(rc, 0, "cf_pool_create", file: file, line: line)
  return pool!
}

/// Creates a PENDING future or fails the test.
func makeFuture(file: StaticString = #filePath, line: UInt = #line)
  -> OpaquePointer
{
  var future: OpaquePointer?
  XCTAssertEqual(cf_future_create(&future), 0, file: file, line: line)
  return future!
}

/// Creates `count` futures.
func makeFutures(_ count: Int) -> [OpaquePointer] {
  (0..<count).map { _ in makeFuture() }
}

/// Moves a future PENDING -> RUNNING -> FINISHED.
func complete(
  _ future: OpaquePointer, file: StaticString = #filePath, line: UInt = #line
) {
  XCTAssertEqual(
    cf_future_set_running_or_notify_cancel(future), 0, file: file, line: line)
  XCTAssertEqual(cf_future_finish(future), 0, file: file, line: line)
}

// MARK: - Done callbacks

/// Records done-callback calls: which callback, on which thread, in order.
final class CallbackLog: Sendable {
  struct Entry: Sendable {
    let id: Int
    let thread: pthread_t
  }

  /// One registration's context; retained by the log so the pointer handed
  /// to C stays valid for as long as the log lives (unowned: no cycle).
  final class Tag: Sendable {
    let id: Int
    unowned let log: CallbackLog
    init(id: Int, log: CallbackLog) {
      self.id = id
      self.log = log
    }
  }

  private let state = Locked<(entries: [Entry], tags: [Tag])>(([], []))

  var entries: [Entry] { state.withLock { $0.entries } }
  var ids: [Int] { entries.map(\.id) }

  func record(_ id: Int) {
    let thread = pthread_self()
    state.withLock { $0.entries.append(Entry(id: id, thread: thread)) }
  }

  /// Registers callback `id` on `future`; returns cf_future_add_done_callback's
  /// code.
  @discardableResult
  func add(_ id: Int, to future: OpaquePointer) -> Int32 {
    let tag = Tag(id: id, log: self)
    state.withLock { $0.tags.append(tag) }
    return cf_future_add_done_callback(
      future, recordingCallback, Unmanaged.passUnretained(tag).toOpaque())
  }
}

/// The C-convention done-callback behind CallbackLog.
let recordingCallback: cf_done_fn = { arg, _ in
  let tag = Unmanaged<CallbackLog.Tag>.fromOpaque(arg!).takeUnretainedValue()
  tag.log.record(tag.id)
}
