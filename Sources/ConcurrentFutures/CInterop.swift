// CInterop.swift — every call into the C core, every Unmanaged, every
// @convention(c) trampoline and raw pointer of this module lives here.
// Nothing public mentions a C type.

internal import CFutures

#if canImport(Glibc)
import Glibc
#endif

// MARK: - Error codes

/// Maps a C return code to a Swift outcome.  Codes that can only mean a bug
/// in this module (EINVAL from an argument we validated) trap; real
/// conditions become ``FuturesError``s with `message` saying what happened.
func checkC(_ rc: Int32, _ what: @autoclosure () -> String) throws {
  switch rc {
  case 0:
    return
  case ESHUTDOWN:
    throw FuturesError(.shutDown, "\(what()): the executor has been shut down")
  case ETIMEDOUT:
    throw FuturesError(.timedOut, "\(what()): timed out")
  case EAGAIN:  // cf_pool_submit: no worker exists and none could start
    throw FuturesError(
      .resourceExhausted, "\(what()): no worker thread could be started")
  case ENOMEM:
    throw FuturesError(.resourceExhausted, "\(what()): out of memory")
  case EDEADLK:
    throw FuturesError(
      .deadlock, "\(what()): a task cannot wait for its own future")
  default:
    preconditionFailure("ConcurrentFutures bug: \(what()) returned \(rc)")
  }
}

// MARK: - Deadlines

/// An absolute CLOCK_MONOTONIC deadline, or none.  Computed once, at the
/// start of the call that was given the timeout.
struct Deadline {
  private var spec: timespec
  private var hasDeadline: Bool

  static let none = Deadline(spec: timespec(), hasDeadline: false)

  private init(spec: timespec, hasDeadline: Bool) {
    self.spec = spec
    self.hasDeadline = hasDeadline
  }

  /// `nil` waits forever; zero polls; negative throws.
  init(timeout: Duration?, what: @autoclosure () -> String) throws {
    guard let timeout else {
      self = .none
      return
    }
    let nanos = try Timeouts.nanoseconds(timeout, what: what())
    var spec = timespec()
    let rc = cf_deadline_after(nanos, &spec)
    precondition(rc == 0, "cf_deadline_after refused \(nanos)")
    self.init(spec: spec, hasDeadline: true)
  }

  var isNone: Bool { !hasDeadline }

  func withPointer<R>(_ body: (UnsafePointer<timespec>?) throws -> R) rethrows
    -> R
  {
    guard hasDeadline else { return try body(nil) }
    var copy = spec
    return try withUnsafePointer(to: &copy) { try body($0) }
  }
}

// MARK: - Futures

/// Owns one `cf_future`.
struct CFutureRef: @unchecked Sendable {
  // @unchecked: a cf_future is built for use from any thread (its only
  // state is an atomic word and a list guarded by a bit of that word).
  let pointer: OpaquePointer

  static func create() throws -> CFutureRef {
    var out: OpaquePointer?
    try checkC(cf_future_create(&out), "cannot create a future")
    return CFutureRef(pointer: out!)
  }

  func destroy() { cf_future_destroy(pointer) }

  var state: FutureStateSnapshot {
    switch cf_future_state(pointer) {
    case CF_PENDING: return .pending
    case CF_RUNNING: return .running
    case CF_FINISHED: return .finished
    default: return .cancelled
    }
  }

  var isDone: Bool { cf_future_is_done(pointer) }

  func cancel() -> Bool { cf_future_cancel(pointer) }

  /// Returns true when done, false when the deadline passed first.
  func wait(_ deadline: Deadline) throws -> Bool {
    let rc = deadline.withPointer { cf_future_wait(pointer, $0) }
    if rc == ETIMEDOUT { return false }
    try checkC(rc, "cannot wait for the future")
    return true
  }

  /// Runs `body(future)` once the future is done (at once if it is).
  func addDoneCallback(_ body: @escaping () -> Void) {
    let box = Unmanaged.passRetained(CallbackBox(body)).toOpaque()
    let rc = cf_future_add_done_callback(pointer, callbackTrampoline, box)
    if rc != 0 {
      Unmanaged<CallbackBox>.fromOpaque(box).release()
      // Swift itself traps when an allocation fails; so do we, loudly.
      fatalError("ConcurrentFutures: out of memory adding a done-callback")
    }
  }

  /// Runs `notify` once, when the future is done: before its callbacks,
  /// and at once, on this thread, if it is done already.
  ///
  /// - Returns: the handle for ``unwatch(_:)``, or `nil` if `notify` ran
  ///   now.
  /// - Throws: ``FuturesError`` `.resourceExhausted` when the C core could
  ///   not allocate the watch (`notify` then never runs).
  func watch(_ notify: @escaping @Sendable () -> Void) throws -> CWatch? {
    let box = Unmanaged.passRetained(WatchBox(notify)).toOpaque()
    var handle: OpaquePointer?
    let rc = cf_future_watch(pointer, watchTrampoline, box, &handle)
    if rc != 0 {
      Unmanaged<WatchBox>.fromOpaque(box).release()
      try checkC(rc, "cannot wait for the future")
    }
    return handle.map { CWatch(handle: $0, box: box) }
  }

  /// Drops a watch: true if its `notify` had not run and now never will.
  @discardableResult
  func unwatch(_ watch: CWatch) -> Bool {
    guard cf_future_unwatch(pointer, watch.handle) else { return false }
    Unmanaged<WatchBox>.fromOpaque(watch.box).release()  // never called
    return true
  }

  /// Sets the must-start-by deadline; call before submitting.
  func setStartBy(_ deadline: Deadline) {
    let rc = deadline.withPointer { cf_future_set_start_by(pointer, $0) }
    precondition(rc == 0, "cf_future_set_start_by returned \(rc)")
  }

  /// Cancelled because its must-start-by deadline passed in the queue.
  var isExpired: Bool { cf_future_is_expired(pointer) }

  /// PENDING -> RUNNING, for a task run outside the pool (run-on-caller
  /// backpressure).  False if the future was cancelled meanwhile.
  func setRunning() -> Bool {
    cf_future_set_running_or_notify_cancel(pointer) == 0
  }

  /// RUNNING -> FINISHED, after the outcome was stored.
  func finish() {
    let rc = cf_future_finish(pointer)
    precondition(rc == 0, "cf_future_finish returned \(rc)")
  }
}

enum FutureStateSnapshot { case pending, running, cancelled, finished }

private final class CallbackBox {
  let body: () -> Void
  init(_ body: @escaping () -> Void) { self.body = body }
}

/// A watch registered on a `cf_future`: its C handle and the retained
/// `WatchBox` its trampoline consumes (or ``CFutureRef/unwatch(_:)``
/// releases, when the watch is removed before it fired).
struct CWatch: @unchecked Sendable {
  // @unchecked Sendable: two addresses, used once each by one party.
  let handle: OpaquePointer
  let box: UnsafeMutableRawPointer
}

private final class WatchBox {
  let notify: @Sendable () -> Void
  init(_ notify: @escaping @Sendable () -> Void) { self.notify = notify }
}

private let watchTrampoline: @convention(c) (
  UnsafeMutableRawPointer?, OpaquePointer?
) -> Void = { arg, _ in
  Unmanaged<WatchBox>.fromOpaque(arg!).takeRetainedValue().notify()
}

private let callbackTrampoline: @convention(c) (
  UnsafeMutableRawPointer?, OpaquePointer?
) -> Void = { arg, _ in
  let box = Unmanaged<CallbackBox>.fromOpaque(arg!).takeRetainedValue()
  box.body()
}

// MARK: - Tasks

/// The one task trampoline: `arg` is a retained `AnyFuture`.  RUN runs its
/// body and stores the outcome; RELEASE (exactly once per accepted submit)
/// lets the body go and balances the retain taken in `submit`.
private let taskTrampoline: @convention(c) (UnsafeMutableRawPointer?, cf_task_op)
  -> Void = { arg, op in
    let future = Unmanaged<AnyFuture>.fromOpaque(arg!)
    // The item has left the queue: tell async submitters waiting for room
    // (one load when none waits), once per item — at RUN, or at a RELEASE
    // that finds the body unrun (the item was skipped or drained).
    if op == CF_TASK_RUN {
      RoomWaiters.shared.itemTaken()
      future.takeUnretainedValue()._run()
    } else if op == CF_TASK_BROKEN {
      RoomWaiters.shared.itemTaken()
      future.takeUnretainedValue()._fail(WorkerHooks.currentBrokenError)
    } else {
      if future.takeUnretainedValue()._dropBody() {
        RoomWaiters.shared.itemTaken()
      }
      future.release()
    }
  }

// MARK: - Jobs

/// A Swift Concurrency job queued on a pool, with the executor it runs as.
/// The executor is held strongly: a job outlives no pool it names.
private final class JobBox {
  let job: UnownedJob
  let executor: ThreadPoolExecutor
  init(_ job: UnownedJob, _ executor: ThreadPoolExecutor) {
    self.job = job
    self.executor = executor
  }
}

/// The job trampoline: `arg` is a retained JobBox.  A worker runs the job
/// as the pool's TaskExecutor.  The one other caller of RUN is
/// cf_pool_shutdown(cancel_pending) draining the queue on the thread that
/// shuts down (a job cannot be cancelled: its Task would hang); that thread
/// may be anyone's, so the job goes to the global concurrent executor.
private let jobTrampoline: @convention(c) (UnsafeMutableRawPointer?, cf_task_op)
  -> Void = { arg, op in
    let box = Unmanaged<JobBox>.fromOpaque(arg!)
    if op == CF_TASK_RUN {
      RoomWaiters.shared.itemTaken()
      let box = box.takeUnretainedValue()
      if box.executor.pool.isCurrentThreadWorker {
        box.job.runSynchronously(on: box.executor.asUnownedTaskExecutor())
      } else {
        globalConcurrentExecutor.enqueue(ExecutorJob(box.job))
      }
    } else {
      box.release()
    }
  }

// MARK: - Worker hooks

/// A pool's initializer and finalizer, and why it broke: the C pool's
/// `context`, retained by it and released when its memory goes (workers
/// may outlive the executor).
final class WorkerHooks: @unchecked Sendable {
  // @unchecked Sendable: the closures never change; `cause` is guarded by
  // `lock`.
  let initializer: (@Sendable () throws -> Void)?
  let finalizer: (@Sendable () -> Void)?
  private let lock = Lock()
  private var cause: (any Error)?

  init(
    initializer: (@Sendable () throws -> Void)?,
    finalizer: (@Sendable () -> Void)?
  ) {
    self.initializer = initializer
    self.finalizer = finalizer
  }

  /// What tasks and submits of the broken pool throw.  The first
  /// initializer error is the cause; later ones are dropped.
  var brokenError: FuturesError {
    lock.withLock {
      FuturesError.brokenPool(
        cause: cause ?? FuturesError(.brokenPool, "unknown cause"))
    }
  }

  fileprivate func recordFailure(_ error: any Error) {
    lock.withLock { if cause == nil { cause = error } }
  }

  /// The broken error of the pool whose worker calls this.
  fileprivate static var currentBrokenError: FuturesError {
    guard let raw = cf_pool_current_context() else {
      return FuturesError(.brokenPool, "the thread pool is broken")
    }
    return Unmanaged<WorkerHooks>.fromOpaque(raw).takeUnretainedValue()
      .brokenError
  }
}

private let workerInitTrampoline: @convention(c) (UnsafeMutableRawPointer?)
  -> Int32 = { raw in
    let hooks = Unmanaged<WorkerHooks>.fromOpaque(raw!).takeUnretainedValue()
    do {
      try hooks.initializer?()
      return 0
    } catch {
      hooks.recordFailure(error)
      return 1
    }
  }

private let workerFiniTrampoline: @convention(c) (UnsafeMutableRawPointer?)
  -> Void = { raw in
    Unmanaged<WorkerHooks>.fromOpaque(raw!).takeUnretainedValue().finalizer?()
  }

private let hooksReleaseTrampoline: @convention(c) (UnsafeMutableRawPointer?)
  -> Void = { raw in
    Unmanaged<WorkerHooks>.fromOpaque(raw!).release()
  }

// MARK: - Pools

/// Owns one `cf_pool`.
struct CPoolRef: @unchecked Sendable {
  // @unchecked: every cf_pool function is safe from any thread.
  let pointer: OpaquePointer
  /// nil for a pool without initializer or finalizer: it cannot break.
  let hooks: WorkerHooks?

  static func create(
    maxWorkers: Int, queueCapacity: Int, prefix: String, hooks: WorkerHooks?
  ) throws -> CPoolRef {
    var out: OpaquePointer?
    let context = hooks.map { Unmanaged.passRetained($0).toOpaque() }
    let rc = prefix.withCString { cPrefix -> Int32 in
      var options = cf_pool_options()
      options.max_workers = maxWorkers
      options.queue_capacity = queueCapacity
      options.thread_name_prefix = cPrefix
      if let context {
        options.worker_init = workerInitTrampoline
        options.worker_fini = workerFiniTrampoline
        options.context_release = hooksReleaseTrampoline
        options.context = context
      }
      return cf_pool_create(&options, &out)
    }
    if rc != 0, let context {
      Unmanaged<WorkerHooks>.fromOpaque(context).release()
    }
    try checkC(rc, "cannot create the executor")
    return CPoolRef(pointer: out!, hooks: hooks)
  }

  enum FullQueue { case block(Deadline), reject }

  /// Queues `future`'s body.  On success the pool holds a retain on the
  /// future until it releases the item.
  func submit(_ future: AnyFuture, whenFull: FullQueue) throws {
    let arg = Unmanaged.passRetained(future).toOpaque()
    let rc: Int32
    switch whenFull {
    case .block(let deadline):
      rc = deadline.withPointer {
        cf_pool_submit(
          pointer, taskTrampoline, arg, future.cfuture.pointer,
          CF_SUBMIT_BLOCK, $0)
      }
    case .reject:
      rc = cf_pool_submit(
        pointer, taskTrampoline, arg, future.cfuture.pointer, CF_SUBMIT_TRY,
        nil)
    }
    if rc != 0 {
      Unmanaged<AnyFuture>.fromOpaque(arg).release()
      if rc == ENOBUFS {
        throw FuturesError(.queueFull, "cannot submit: the queue is full")
      }
      if rc == ETIMEDOUT {
        throw FuturesError(
          .timedOut, "cannot submit: the queue stayed full until the deadline")
      }
      if rc == ENOTRECOVERABLE {
        throw brokenError
      }
      try checkC(rc, "cannot submit")
    }
  }

  /// Queues a Swift Concurrency job without ever blocking: false (and
  /// nothing queued) when the queue is full, the pool is shut down or no
  /// worker can start; the caller then runs the job elsewhere.
  func execute(_ job: UnownedJob, for executor: ThreadPoolExecutor) -> Bool {
    let arg = Unmanaged.passRetained(JobBox(job, executor)).toOpaque()
    let rc = cf_pool_submit(
      pointer, jobTrampoline, arg, nil, CF_SUBMIT_TRY, nil)
    if rc != 0 {
      Unmanaged<JobBox>.fromOpaque(arg).release()
      return false
    }
    return true
  }

  func shutdown(wait: Bool, cancelPending: Bool) {
    // Close first and wake suspended async submits (they then throw the
    // shut-down error); join after, so they need not wait for the join.
    var rc = cf_pool_shutdown(pointer, false, cancelPending)
    precondition(rc == 0)
    RoomWaiters.shared.wakeAll(line: roomLine)
    if wait {
      rc = cf_pool_shutdown(pointer, true, false)
      precondition(rc == 0)
    }
  }

  func destroy() { cf_pool_destroy(pointer) }

  /// This pool's key in ``RoomWaiters``.
  var roomLine: UInt { UInt(bitPattern: Int(bitPattern: pointer)) }

  var threadCount: Int { cf_pool_thread_count(pointer) }
  var queuedCount: Int { cf_pool_queue_size(pointer) }
  var isCurrentThreadWorker: Bool { cf_pool_is_worker_thread(pointer) }
  var isBroken: Bool { cf_pool_is_broken(pointer) }
  var brokenError: FuturesError {
    hooks?.brokenError ?? FuturesError(.brokenPool, "the thread pool is broken")
  }
}

// MARK: - Waiters

/// Owns one `cf_waiter`: completions of many futures, in completion order.
final class CWaiter {
  private let pointer: OpaquePointer?

  /// `count` 0 makes an empty waiter (next() returns nil at once).
  init(futures: [AnyFuture]) throws {
    guard !futures.isEmpty else {
      pointer = nil
      return
    }
    var out: OpaquePointer?
    try checkC(cf_waiter_create(futures.count, &out), "cannot create a waiter")
    pointer = out!
    for (index, future) in futures.enumerated() {
      let rc = cf_waiter_add(out, future.cfuture.pointer, index)
      precondition(rc == 0, "cf_waiter_add refused \(rc)")
    }
  }

  deinit { cf_waiter_destroy(pointer) }

  enum Next { case ready(Int), timedOut, exhausted }

  func next(_ deadline: Deadline) -> Next {
    guard let pointer else { return .exhausted }
    var tag = 0
    let rc = deadline.withPointer { cf_waiter_next(pointer, $0, &tag) }
    switch rc {
    case 0: return .ready(tag)
    case ETIMEDOUT: return .timedOut
    case ENOENT: return .exhausted
    default: preconditionFailure("cf_waiter_next returned \(rc)")
    }
  }

  var remaining: Int {
    guard let pointer else { return 0 }
    return cf_waiter_remaining(pointer)
  }
}

// MARK: - Locks

/// A mutual-exclusion lock over `pthread_mutex_t`, for the Swift-side
/// state of the async bridges.  (Not Synchronization.Mutex: its lock lives
/// in a module ThreadSanitizer does not instrument, so TSan reports the
/// state it guards as racing.)  In its own allocation: a pthread mutex
/// must not move.
final class Lock: @unchecked Sendable {
  // @unchecked Sendable: a pthread mutex exists to be shared between
  // threads, and `mutex` itself never changes after init.
  private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(
    capacity: 1)

  init() {
    mutex.initialize(to: pthread_mutex_t())
    let rc = pthread_mutex_init(mutex, nil)
    precondition(rc == 0, "pthread_mutex_init returned \(rc)")
  }

  deinit {
    pthread_mutex_destroy(mutex)
    mutex.deinitialize(count: 1)
    mutex.deallocate()
  }

  func lock() {
    let rc = pthread_mutex_lock(mutex)
    precondition(rc == 0, "pthread_mutex_lock returned \(rc)")
  }

  func unlock() {
    let rc = pthread_mutex_unlock(mutex)
    precondition(rc == 0, "pthread_mutex_unlock returned \(rc)")
  }

  func withLock<Result>(_ body: () throws -> Result) rethrows -> Result {
    lock()
    defer { unlock() }
    return try body()
  }
}
