// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// A pool's engine in ConcurrentFutures: one `cf_pool` of the C core, the
// trampolines its workers call for tasks and Swift Concurrency jobs, and
// the pool's context (worker hooks, the async room signal).
internal import CFutures

#if canImport(Glibc)
import Glibc
#endif

/// Owns one `cf_pool`.
final class CPool: Sendable {
  // Sendable: `pointer` is a cf_pool, whose functions are all safe from
  // any thread; `context` is Sendable.
  private nonisolated(unsafe) let pointer: OpaquePointer
  /// The C pool's `context`, retained by it (released when its memory
  /// goes: workers may outlive this object).
  private let context: PoolContext

  init(
    maxWorkers: Int, queueCapacity: Int, threadNamePrefix: String,
    initializer: (@Sendable () throws -> Void)?, finalizer: (@Sendable () -> Void)?
  ) throws {
    var out: OpaquePointer?
    let context = PoolContext(
      initializer: initializer, finalizer: finalizer, queueCapacity: queueCapacity)
    let retained = Unmanaged.passRetained(context).toOpaque()
    let rc = threadNamePrefix.withCString { prefix -> Int32 in
      var options = cf_pool_options()
      options.max_workers = maxWorkers
      options.queue_capacity = queueCapacity
      options.thread_name_prefix = prefix
      if initializer != nil || finalizer != nil {
        options.worker_init = workerInitTrampoline
        options.worker_fini = workerFiniTrampoline
      }
      options.context_release = contextReleaseTrampoline
      options.context = retained
      return cf_pool_create(&options, &out)
    }
    if rc != 0 { Unmanaged<PoolContext>.fromOpaque(retained).release() }
    try checkC(rc, "cannot create the executor")
    pointer = out!
    self.context = context
    context.pool.address = out!
  }

  func submit(_ future: AnyFuture, whenFull: WhenFull) throws {
    let arg = Unmanaged.passRetained(future).toOpaque()
    let rc: Int32
    switch whenFull {
    case .block(let deadline):
      rc = deadline.withPointer {
        cf_pool_submit(
          pointer, taskTrampoline, arg, future.core.pointer, CF_SUBMIT_BLOCK, $0)
      }
    case .reject:
      rc = cf_pool_submit(
        pointer, taskTrampoline, arg, future.core.pointer, CF_SUBMIT_TRY, nil)
    }
    guard rc != 0 else { return }
    Unmanaged<AnyFuture>.fromOpaque(arg).release()
    switch rc {
    case ETIMEDOUT:
      throw FuturesError(
        .timedOut, "cannot submit: the queue stayed full until the deadline")
    case ENOTRECOVERABLE:
      throw context.brokenError
    default:
      try checkC(rc, "cannot submit")
    }
  }

  func execute(_ job: UnownedJob, as executor: ThreadPoolExecutor) -> Bool {
    let arg = Unmanaged.passRetained(JobBox(job, executor)).toOpaque()
    let rc = cf_pool_submit(pointer, jobTrampoline, arg, nil, CF_SUBMIT_TRY, nil)
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
    context.room.wakeAll()
    if wait {
      rc = cf_pool_shutdown(pointer, true, false)
      precondition(rc == 0)
    }
  }

  func joinInBackground(then done: @escaping @Sendable () -> Void) -> Bool {
    let box = Unmanaged.passRetained(Done(done)).toOpaque()
    guard cf_pool_join_in_background(pointer, doneTrampoline, box) == 0 else {
      Unmanaged<Done>.fromOpaque(box).release()
      return false
    }
    return true
  }

  func release() { cf_pool_destroy(pointer) }

  var threadCount: Int { cf_pool_thread_count(pointer) }
  var queuedCount: Int { cf_pool_queue_size(pointer) }
  var isCurrentThreadWorker: Bool { cf_pool_is_worker_thread(pointer) }
  var isBroken: Bool { cf_pool_is_broken(pointer) }
  var room: RoomWaiters { context.room }
}

/// What the C pool carries for its workers: the initializer and finalizer,
/// why the pool broke, and the line of async submits waiting for room.
final class PoolContext: @unchecked Sendable {
  // @unchecked Sendable: the lets never change; `cause` is guarded by
  // `lock`; `pool.address` is written once, in CPool.init, before the
  // executor (and so any submit) exists.
  let initializer: (@Sendable () throws -> Void)?
  let finalizer: (@Sendable () -> Void)?
  let room: RoomWaiters
  let pool = PoolAddress()
  private let lock = Lock()
  private var cause: (any Error)?

  /// The cf_pool, once created (room's `hasRoom` reads its queue size).
  final class PoolAddress: @unchecked Sendable {
    nonisolated(unsafe) var address: OpaquePointer?
  }

  init(
    initializer: (@Sendable () throws -> Void)?, finalizer: (@Sendable () -> Void)?,
    queueCapacity: Int
  ) {
    self.initializer = initializer
    self.finalizer = finalizer
    let pool = self.pool
    room = RoomWaiters {
      guard let address = pool.address else { return true }
      return cf_pool_queue_size(address) < queueCapacity
    }
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

  /// `body` with the context of the pool whose worker calls this, if it
  /// is one (the pool holds the context while its workers run: no retain).
  @inline(__always)
  fileprivate static func withCurrent<T>(_ body: (PoolContext) -> T) -> T? {
    guard let context = cf_pool_current_context() else { return nil }
    return Unmanaged<PoolContext>.fromOpaque(context)._withUnsafeGuaranteedRef(body)
  }
}

// MARK: - Trampolines

/// The one task trampoline: `arg` is a retained `AnyFuture`.  RUN runs its
/// body and stores the outcome; BROKEN stores the broken-pool error
/// instead; RELEASE (exactly once per accepted submit) lets the body go
/// and balances the retain taken in `submit`.  Each item that leaves the
/// queue tells the pool's async submitters waiting for room (one load when
/// none waits), once — at RUN or BROKEN, or at a RELEASE that finds the
/// body unrun (the item was skipped, or drained at shutdown).
private let taskTrampoline:
  @convention(c) (UnsafeMutableRawPointer?, cf_task_op)
    -> Void = { arg, op in
      // The queue's reference keeps the future alive until RELEASE, and the
      // pool keeps its context: both are used without a retain of their own.
      let future = Unmanaged<AnyFuture>.fromOpaque(arg!)
      switch op {
      case CF_TASK_RUN:
        PoolContext.withCurrent { $0.room.itemTaken() }
        future._withUnsafeGuaranteedRef { $0.runBody() }
      case CF_TASK_BROKEN:
        let error =
          PoolContext.withCurrent { context in
            context.room.itemTaken()
            return context.brokenError
          } ?? FuturesError(.brokenPool, "the thread pool is broken")
        future._withUnsafeGuaranteedRef { $0._fail(error) }
      default:
        if future._withUnsafeGuaranteedRef({ $0._dropBody() }) {
          PoolContext.withCurrent { $0.room.itemTaken() }
        }
        future.release()
      }
    }

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
private let jobTrampoline:
  @convention(c) (UnsafeMutableRawPointer?, cf_task_op)
    -> Void = { arg, op in
      let box = Unmanaged<JobBox>.fromOpaque(arg!)
      guard op == CF_TASK_RUN else {
        box.release()
        return
      }
      let job = box.takeUnretainedValue()
      if job.executor.pool.isCurrentThreadWorker {
        job.executor.pool.room.itemTaken()
        job.job.runSynchronously(on: job.executor.asUnownedTaskExecutor())
      } else {
        globalConcurrentExecutor.enqueue(ExecutorJob(job.job))
      }
    }

private let workerInitTrampoline:
  @convention(c) (UnsafeMutableRawPointer?)
    -> Int32 = { raw in
      let context = Unmanaged<PoolContext>.fromOpaque(raw!).takeUnretainedValue()
      do {
        try context.initializer?()
        return 0
      } catch {
        context.recordFailure(error)
        return 1
      }
    }

private let workerFiniTrampoline:
  @convention(c) (UnsafeMutableRawPointer?)
    -> Void = { raw in
      Unmanaged<PoolContext>.fromOpaque(raw!).takeUnretainedValue().finalizer?()
    }

private let contextReleaseTrampoline:
  @convention(c) (UnsafeMutableRawPointer?)
    -> Void = { raw in
      Unmanaged<PoolContext>.fromOpaque(raw!).release()
    }

/// What the background joiner calls when the workers have exited.
private final class Done {
  let body: @Sendable () -> Void
  init(_ body: @escaping @Sendable () -> Void) { self.body = body }
}

private let doneTrampoline: @convention(c) (UnsafeMutableRawPointer?) -> Void = { raw in
  Unmanaged<Done>.fromOpaque(raw!).takeRetainedValue().body()
}
