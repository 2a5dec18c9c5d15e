// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// The part of a ``ThreadPoolExecutor`` its threads share: the queue of
/// futures, the worker threads, the idle count.  The executor owns one and
/// every live worker holds it too, so an executor dropped while its tasks
/// run does not pull the queue from under them (CPython's workers hold a
/// weak reference to the executor for the same reason).
///
/// Spawning (CPython's idle semaphore, as fixed in 3.8): each submit takes
/// an idle token if there is one and starts nothing (that worker is
/// reserved for its item); otherwise it starts a thread if fewer than
/// `maxWorkers` live.  A worker adds a token when it finds the queue empty
/// and is about to wait; a worker just started for a submit adds none
/// before its first item (it is that submit's).  Tokens are hints: a wrong
/// one costs a thread start or a short delay, never a lost task, because a
/// task is queued only while a worker exists, and workers leave only a
/// closed, drained queue.
///
/// Liveness (a worker running a task or callbacks is not idle): a worker
/// that finishes a task with the queue empty adds its token *before* it
/// publishes the result, so a submit made right after `result()` returns
/// reuses it (a submit-then-wait loop runs one thread).  Publishing runs
/// the future's done-callbacks on this worker, and one may submit to this
/// pool and wait, so just before the first callback the worker takes the
/// step ``standDown()``: it takes its token back, and if a submit already
/// took it, starts a worker in its place while there is room.
///
/// Threads: `unclaimed` lists the threads that nobody has joined or
/// detached yet.  A joiner (``shutdown(wait:cancelPending:)`` from outside
/// the pool) removes one at a time and joins it; ``detachThreads()``
/// (when the executor is dropped) detaches the rest.  `joinLock`
/// serialises joiners, so a second `shutdown(wait: true)` returns only
/// after every worker was joined.  A worker never joins.
///
/// Worker hooks: `initializer` runs on each new worker before its first
/// item; if it throws, the pool is broken for good (`broken`, set once):
/// submits throw, and every item a worker takes from then on is failed
/// with the broken error instead of run (jobs still run).  A worker whose
/// initializer threw stays, failing items, until shutdown, so a queued
/// item always has a worker.  `finalizer` runs on a worker as it exits,
/// if its initializer succeeded.
///
/// Locks: `lock` guards the vars below it and is never held while user
/// code runs.  `joinLock` is held only around `pthread_join`, is never
/// taken by a worker, and is taken before `lock`, never after.
final class WorkerPool: @unchecked Sendable {
  // @unchecked Sendable: `queue` is Sendable itself, the lets never
  // change, and every var is read and written only while `lock` is held.

  let queue: BlockingQueue<AnyFuture>
  /// Async submits waiting for room in `queue`.
  let room: RoomWaiters
  let maxWorkers: Int
  let threadNamePrefix: String
  private let initializer: (@Sendable () throws -> Void)?
  private let finalizer: (@Sendable () -> Void)?
  private let broken = Atomic<Bool>(false)  // set once, after brokenCause
  private let lock = Lock()
  private let joinLock = Lock()
  private var unclaimed: [pthread_t] = []
  private var liveThreads = 0
  private var startedThreads = 0
  private var idleTokens = 0
  private var isShutDown = false
  private var brokenCause: (any Error)?

  init(
    maxWorkers: Int, queueCapacity: Int, threadNamePrefix: String,
    initializer: (@Sendable () throws -> Void)?, finalizer: (@Sendable () -> Void)?
  ) throws {
    let queue: BlockingQueue<AnyFuture>
    do {
      queue = try BlockingQueue(capacity: queueCapacity)
    } catch {
      throw FuturesError(
        .resourceExhausted, "cannot create the executor: out of memory")
    }
    self.queue = queue
    room = RoomWaiters { queue.size < queueCapacity }
    self.maxWorkers = maxWorkers
    self.threadNamePrefix = threadNamePrefix
    self.initializer = initializer
    self.finalizer = finalizer
  }

  /// True once a worker's initializer threw.
  var isBroken: Bool { broken.load(ordering: .acquiring) }

  /// What tasks and submits of the broken pool throw: the first
  /// initializer error is the cause.
  var brokenError: FuturesError {
    lock.withLock {
      FuturesError.brokenPool(
        cause: brokenCause ?? FuturesError(.brokenPool, "unknown cause"))
    }
  }

  private func breakPool(cause: any Error) {
    lock.withLock { if brokenCause == nil { brokenCause = cause } }
    broken.store(true, ordering: .releasing)
  }

  /// Worker threads alive now.
  var threadCount: Int { lock.withLock { liveThreads } }

  /// Items queued and not yet taken.
  var queuedCount: Int { queue.size }

  /// True when the calling thread is one of this pool's workers.
  var isCurrentThreadWorker: Bool { CurrentThread.isWorker(of: self) }

  // MARK: Submitting

  /// Queues `future`, starting a worker first if none is idle.
  func submit(_ future: AnyFuture, whenFull: WhenFull) throws {
    let reserved = try ensureWorker()
    do throws(BlockingQueue<AnyFuture>.Refusal) {
      switch whenFull {
      case .block(let deadline): try queue.put(future, until: deadline)
      case .reject: try queue.offer(future)
      }
    } catch {
      if reserved { addToken() }  // the worker reserved for it stays free
      switch error {
      case .closed:
        throw FuturesError(
          .shutDown, "cannot submit: the executor has been shut down")
      case .full:
        throw FuturesError(.queueFull, "cannot submit: the queue is full")
      case .timedOut:
        throw FuturesError(
          .timedOut, "cannot submit: the queue stayed full until the deadline")
      case .outOfMemory:
        throw FuturesError(
          .resourceExhausted, "cannot submit: out of memory")
      }
    }
  }

  /// Makes sure a worker will take the next item: takes an idle token, or
  /// starts a thread while fewer than `maxWorkers` live.  Returns true when
  /// a worker is reserved for the item (it gets its token back if the item
  /// never comes).
  ///
  /// - Throws: ``FuturesError`` `.shutDown`; `.resourceExhausted` when no
  ///   worker lives and none could be started (with live workers, a failed
  ///   start is not an error: they will run the task).
  private func ensureWorker() throws -> Bool {
    if isBroken { throw brokenError }
    return try lock.withLock {
      guard !isShutDown else {
        throw FuturesError(
          .shutDown, "cannot submit: the executor has been shut down")
      }
      if idleTokens > 0 {
        idleTokens -= 1
        return true
      }
      guard liveThreads < maxWorkers else { return false }
      if startThread() { return true }
      if liveThreads == 0 {
        throw FuturesError(
          .resourceExhausted,
          "cannot submit: no worker thread could be started")
      }
      return false  // degraded, but the live workers will run it
    }
  }

  /// Starts worker number `startedThreads + 1`.  Called with `lock` held.
  ///
  /// - Returns: `false` if the system refused a thread.
  private func startThread() -> Bool {
    if TestHooks.takeThreadStartFailure() { return false }
    let start = WorkerStart(pool: self, number: startedThreads + 1)
    let argument = Unmanaged.passRetained(start).toOpaque()
    var thread = pthread_t()
    guard pthread_create(&thread, nil, workerMain, argument) == 0 else {
      Unmanaged<WorkerStart>.fromOpaque(argument).release()
      return false
    }
    startedThreads += 1
    liveThreads += 1
    unclaimed.append(thread)
    return true
  }

  // MARK: Workers

  /// A worker thread's whole life: take, run, repeat, until the queue is
  /// closed and drained.
  fileprivate func work(number: Int) {
    nameThisThread(number: number)
    CurrentThread.setPool(self)
    // A worker started after the pool broke skips its initializer: it is
    // not initialised, so its finalizer does not run either.
    var initialised = initializer == nil
    if let initializer, !isBroken {
      do {
        try initializer()
        initialised = true
      } catch {
        breakPool(cause: error)
      }
    }
    // A new worker starts as if it had a token out: it is reserved for the
    // item of the submit that started it.
    var tokenOut = true
    while true {
      var next = queue.poll()
      if next == nil {
        if !tokenOut { addToken() }
        tokenOut = true
        next = queue.take()
      }
      guard let future = next else { break }  // closed and drained
      room.itemTaken()  // room for a suspended async submit
      tokenOut = run(future)
    }
    if initialised { finalizer?() }
    CurrentThread.setPool(nil)
    lock.withLock { liveThreads -= 1 }
  }

  /// Runs one item.  Returns true when this worker has an idle token out:
  /// one finishing a task with the queue empty adds it before it publishes
  /// the result, and ``standDown()`` takes it back before callbacks.
  private func run(_ future: AnyFuture) -> Bool {
    let core = future.core
    core.expireIfLate()  // a must-start-by deadline
    guard core.setRunningOrNotifyCancel() else {
      _ = future._dropBody()  // it was cancelled while queued: skip it
      return false
    }
    CurrentThread.setFuture(core)
    if isBroken {
      future._fail(brokenError)  // a job runs anyway: see JobItem
    } else {
      future.runBody()
    }
    CurrentThread.setFuture(nil)
    var tokenOut = false
    if queue.isEmpty {  // before the result is out: see the top of this file
      addToken()
      tokenOut = true
    }
    core.finish(beforeCallbacks: {
      if tokenOut { standDown() }
      tokenOut = false
    })
    return tokenOut
  }

  private func addToken() { lock.withLock { idleTokens += 1 } }

  /// The liveness step (see the top of this file): this worker advertised
  /// itself idle and is about to run user callbacks, which may submit to
  /// this pool and wait.  It withdraws its token; if a submit already took
  /// it, it starts a worker to run that submit's item instead.
  private func standDown() {
    lock.withLock {
      if idleTokens > 0 {
        idleTokens -= 1
        return
      }
      if !isShutDown && liveThreads < maxWorkers { _ = startThread() }
    }
  }

  /// Names the calling thread `prefix-N`, the prefix cut (at a character
  /// boundary) so the name fits Linux's 15 bytes.
  private func nameThisThread(number: Int) {
    let suffix = "-\(number)"
    let room = max(0, 15 - suffix.utf8.count)
    var name = ""
    for scalar in threadNamePrefix.unicodeScalars {
      guard name.utf8.count + String(scalar).utf8.count <= room else { break }
      name.unicodeScalars.append(scalar)
    }
    _ = setThreadName?(pthread_self(), name + suffix)
  }

  // MARK: Shutting down

  /// Refuses later submits (and wakes blocked ones with the shut-down
  /// error), optionally cancels what has not started, and joins the
  /// workers when asked — unless called from one of them.  Idempotent.
  func shutdown(wait: Bool, cancelPending: Bool) {
    lock.withLock { isShutDown = true }
    queue.close()
    room.wakeAll()  // suspended async submits: shut down
    if cancelPending {
      while let future = queue.poll() {
        if let job = future as? JobItem {
          job.runElsewhere()  // a job cannot be cancelled: see JobItem
          continue
        }
        future.cancel()  // its callbacks run here
        _ = future.core.setRunningOrNotifyCancel()  // we skip it, once
        _ = future._dropBody()
      }
    }
    if wait && !CurrentThread.isWorker(of: self) {
      joinThreads()
    }
  }

  private func joinThreads() {
    joinLock.withLock {
      while let thread = lock.withLock({ unclaimed.popLast() }) {
        let rc = pthread_join(thread, nil)
        precondition(rc == 0, "PureSwiftFutures bug: pthread_join gave \(rc)")
      }
    }
  }

  /// Joins the workers on a detached thread named `cf-shutdown`, then
  /// calls `done` there; false if no thread could be started.
  func joinInBackground(then done: @escaping @Sendable () -> Void) -> Bool {
    startDetachedThread { [self] in
      _ = setThreadName?(pthread_self(), "cf-shutdown")
      joinThreads()
      done()
    }
  }

  /// The executor was dropped: shuts down without blocking (queued tasks
  /// still run) and lets every thread nobody has joined end on its own.
  func release() {
    shutdown(wait: false, cancelPending: false)
    lock.withLock {
      for thread in unclaimed { pthread_detach(thread) }
      unclaimed.removeAll()
    }
  }
}

/// Starts a detached thread running `body`; false if the system refused.
private func startDetachedThread(_ body: @escaping @Sendable () -> Void) -> Bool {
  if TestHooks.takeThreadStartFailure() { return false }
  let argument = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
  var thread = pthread_t()
  guard pthread_create(&thread, nil, threadBodyMain, argument) == 0 else {
    Unmanaged<ThreadBody>.fromOpaque(argument).release()
    return false
  }
  pthread_detach(thread)
  return true
}

private final class ThreadBody {
  let body: @Sendable () -> Void
  init(_ body: @escaping @Sendable () -> Void) { self.body = body }
}

private func threadBodyMain(_ argument: UnsafeMutableRawPointer?)
  -> UnsafeMutableRawPointer?
{
  Unmanaged<ThreadBody>.fromOpaque(argument!).takeRetainedValue().body()
  return nil
}

/// What a new thread is handed: its pool and its number.
private final class WorkerStart {
  let pool: WorkerPool
  let number: Int

  init(pool: WorkerPool, number: Int) {
    self.pool = pool
    self.number = number
  }
}

/// The entry point of every worker thread.  `argument` is a retained
/// `WorkerStart`, released here.
private func workerMain(_ argument: UnsafeMutableRawPointer?)
  -> UnsafeMutableRawPointer?
{
  let start = Unmanaged<WorkerStart>.fromOpaque(argument!).takeRetainedValue()
  start.pool.work(number: start.number)
  return nil
}

/// `pthread_setname_np`, looked up at run time: Swift's Glibc module is
/// built without `_GNU_SOURCE`, which hides its declaration, and a C
/// target (the other way to reach it) is what this module does without.
/// `nil` if the C library has none; the threads then go unnamed.
private let setThreadName: SetThreadName? = {
  guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "pthread_setname_np") else {
    return nil
  }
  return unsafeBitCast(symbol, to: SetThreadName.self)
}()

private typealias SetThreadName =
  @convention(c) (
    pthread_t, UnsafePointer<CChar>
  ) -> Int32
