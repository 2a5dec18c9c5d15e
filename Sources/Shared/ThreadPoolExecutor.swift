// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

#if canImport(Glibc)
import Glibc
#endif

/// A pool of threads for blocking work — Python's
/// `concurrent.futures.ThreadPoolExecutor`.  (In ConcurrentFutures its hot
/// path is C; in PureSwiftFutures, Swift alone.)
///
/// ```swift
/// let pool = try ThreadPoolExecutor(maxWorkers: 16)
/// let futures = try ids.map { id in try pool.submit { try client.get(id) } }
/// for future in futures { print(try future.result(timeout: .seconds(2))) }
/// pool.shutdown()
/// ```
///
/// Threads start lazily, one per submit while no worker is idle, up to
/// `maxWorkers`, and are named `threadNamePrefix-N`.  The queue is bounded:
/// a submit on a full queue blocks until there is room.  A pool that is
/// dropped without ``shutdown(wait:cancelPendingFutures:)-67htq`` shuts itself
/// down without blocking: queued tasks still run, then the workers exit.
/// (When the whole process exits, its threads end with it.)
public final class ThreadPoolExecutor: Sendable {

  /// The most threads this pool runs.
  public let maxWorkers: Int
  /// How many tasks may wait in the queue.
  public let queueCapacity: Int
  /// Worker threads are named `threadNamePrefix-N` (cut to fit Linux's
  /// 15 characters).
  public let threadNamePrefix: String

  /// The engine's pool: the queue and the threads.  Its workers hold it
  /// too (never the executor), so dropping the executor runs its deinit
  /// while tasks are still going.
  let pool: PoolCore

  /// The default `maxWorkers`: min(32, cores + 4), as in CPython 3.8+.
  public static var defaultMaxWorkers: Int {
    min(32, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) + 4)
  }
  /// The default `queueCapacity`: 16,384.
  public static let defaultQueueCapacity = 16_384
  /// The largest `queueCapacity` accepted: Int32.max, as Java's
  /// `ArrayBlockingQueue`.  (A bound, not a reservation: the ring grows
  /// with the items queued.)
  public static let maxQueueCapacity = Int(Int32.max)
  /// The default `threadNamePrefix`: "cf-pool".
  public static let defaultThreadNamePrefix = "cf-pool"

  /// Creates a pool.  No thread starts until the first submit.
  ///
  /// - Parameters:
  ///   - maxWorkers: the most threads to run; `nil` means
  ///     ``defaultMaxWorkers``.
  ///   - queueCapacity: how many tasks may wait; a submit on a full queue
  ///     blocks.
  ///   - threadNamePrefix: worker names are `prefix-N`, N from 1.
  ///   - initializer: runs once on each new worker thread, before its first
  ///     task (CPython's `initializer`); typically it sets a
  ///     ``WorkerLocal``.  If it throws, the pool is *broken* for good:
  ///     every task not yet started fails with ``FuturesError``
  ///     `.brokenPool` (its message names the cause, its
  ///     `underlyingError` is the thrown error), later submits throw that
  ///     error, and ``isBroken`` turns true.  Tasks already running finish.
  ///     Since workers start lazily, a failing initializer shows at the
  ///     first submit's future.
  ///   - finalizer: runs on each worker as it exits at shutdown, exactly
  ///     for the workers whose initializer succeeded (not for the one whose
  ///     initializer threw, nor for workers started after the pool broke,
  ///     which skip the initializer; not for threads still alive when the
  ///     process exits).
  /// - Throws: ``FuturesError`` `.invalidArgument` when `maxWorkers` or
  ///   `queueCapacity` is less than 1.
  public init(
    maxWorkers: Int? = nil,
    queueCapacity: Int = ThreadPoolExecutor.defaultQueueCapacity,
    threadNamePrefix: String = ThreadPoolExecutor.defaultThreadNamePrefix,
    initializer: (@Sendable () throws -> Void)? = nil,
    finalizer: (@Sendable () -> Void)? = nil
  ) throws {
    let workers = maxWorkers ?? Self.defaultMaxWorkers
    guard workers >= 1 else {
      throw FuturesError(
        .invalidArgument, "maxWorkers must be at least 1 (got \(workers))")
    }
    guard queueCapacity >= 1 else {
      throw FuturesError(
        .invalidArgument,
        "queueCapacity must be at least 1 (got \(queueCapacity))")
    }
    guard queueCapacity <= Self.maxQueueCapacity else {
      throw FuturesError(
        .invalidArgument,
        "queueCapacity must be at most \(Self.maxQueueCapacity) (got \(queueCapacity))")
    }
    self.maxWorkers = workers
    self.queueCapacity = queueCapacity
    self.threadNamePrefix = threadNamePrefix
    self.pool = try PoolCore(
      maxWorkers: workers, queueCapacity: queueCapacity,
      threadNamePrefix: threadNamePrefix, initializer: initializer,
      finalizer: finalizer)
  }

  // Never blocks: queued tasks still run, and each worker ends once the
  // queue is drained.
  deinit { pool.release() }

  /// Schedules `body` to run on a worker and returns its future.
  ///
  /// Blocks while the queue is full.
  ///
  /// - Parameter body: the task; its return value or thrown error becomes
  ///   the future's outcome.
  /// - Returns: the task's future.
  /// - Throws: ``FuturesError`` `.shutDown` after (or during a blocked
  ///   submit, at) shutdown; `.resourceExhausted` when no worker thread
  ///   exists and none can be started.
  @available(
    *, noasync,
    message: "may block while the queue is full; use `try await pool.submit { … }`"
  )
  @inlinable
  public func submit<Value: Sendable>(
    _ body: @escaping @Sendable () throws -> Value
  ) throws -> Future<Value> {
    // Inlinable so the caller's compiler specialises it: unspecialised,
    // creating a Future<Value> looks its metadata up at run time (a third
    // of the cost of a task, measured with callgrind).
    let future = Future(body)
    try _enqueue(future)
    return future
  }

  /// Queues a future's task, blocking while the queue is full.
  @usableFromInline
  func _enqueue(_ future: AnyFuture) throws {
    try pool.submit(future, whenFull: .block(.none))
  }

  /// Queues a future's task, blocking at most `timeout` while the queue
  /// is full.  (The future is made first, in the caller's specialised
  /// code; if the timeout is invalid it is dropped unrun, as any refused
  /// submit's.)
  @usableFromInline
  func _enqueue(_ future: AnyFuture, timeout: Duration?) throws {
    let deadline = try Deadline(timeout: timeout, what: "cannot submit")
    try pool.submit(future, whenFull: .block(deadline))
  }

  /// Queues a future's task if the queue has room; throws `.queueFull`
  /// otherwise.
  @usableFromInline
  func _tryEnqueue(_ future: AnyFuture) throws {
    try pool.submit(future, whenFull: .reject)
  }

  /// Like ``submit(_:)-7y2z7``, but waits at most `timeout` for room in a full
  /// queue.
  ///
  /// - Throws: ``FuturesError`` `.timedOut` if the queue stayed full, and
  ///   the errors of ``submit(_:)-7y2z7``.
  @available(
    *, noasync,
    message: "may block while the queue is full; use `try await pool.submit { … }`"
  )
  @inlinable  // as submit(_:): the future is made in the caller's code
  public func submit<Value: Sendable>(
    timeout: Duration?, _ body: @escaping @Sendable () throws -> Value
  ) throws -> Future<Value> {
    let future = Future(body)
    try _enqueue(future, timeout: timeout)
    return future
  }

  /// Like ``submit(_:)-7y2z7``, but never blocks: a full queue throws.
  ///
  /// - Throws: ``FuturesError`` `.queueFull` when the queue is full, and
  ///   the errors of ``submit(_:)-7y2z7``.
  @inlinable  // as submit(_:): the future is made in the caller's code
  public func trySubmit<Value: Sendable>(
    _ body: @escaping @Sendable () throws -> Value
  ) throws -> Future<Value> {
    let future = Future(body)
    try _tryEnqueue(future)
    return future
  }

  /// Stops accepting tasks.  Safe to call more than once and from inside a
  /// task.
  ///
  /// - Parameters:
  ///   - wait: wait for queued and running tasks to finish and every worker
  ///     thread to exit.  From inside one of this pool's own tasks or
  ///     callbacks it returns without waiting (a thread cannot join itself);
  ///     the pool still ends once the other work is done.
  ///   - cancelPendingFutures: cancel every task that has not started;
  ///     their futures report cancelled and their callbacks run on this
  ///     thread.  Running tasks are not interrupted.
  @available(
    *, noasync,
    message: "may block until the workers exit; use `await pool.shutdown()`"
  )
  public func shutdown(wait: Bool = true, cancelPendingFutures: Bool = false) {
    pool.shutdown(wait: wait, cancelPending: cancelPendingFutures)
  }

  /// Worker threads alive now.
  public var threadCount: Int { pool.threadCount }

  /// Tasks queued and not yet taken by a worker.
  public var queuedTaskCount: Int { pool.queuedCount }

  /// True once a worker's initializer has thrown: the pool runs nothing
  /// more (see ``init(maxWorkers:queueCapacity:threadNamePrefix:initializer:finalizer:)``).
  public var isBroken: Bool { pool.isBroken }
}

/// Runs `body` with a new pool and shuts it down (waiting for its work)
/// when `body` returns or throws — Python's `with ThreadPoolExecutor() as
/// pool:`.
///
/// ```swift
/// let total = try withThreadPoolExecutor(maxWorkers: 8) { pool in
///   try pool.map(files) { try size(of: $0) }.reduce(0, +)
/// }
/// ```
///
/// - Parameters: as for ``ThreadPoolExecutor/init(maxWorkers:queueCapacity:threadNamePrefix:initializer:finalizer:)``.
/// - Returns: what `body` returns.
/// - Throws: what the initializer or `body` throws.
@available(
  *, noasync,
  message:
    "blocks while the pool's work finishes; use `try await withThreadPoolExecutor { pool in … }`"
)
// Disfavoured so that in async code a body without `await` still picks the
// async twin (a sync closure would otherwise match this one better); in
// sync code the async twin cannot be called, so this one is chosen.
@_disfavoredOverload
public func withThreadPoolExecutor<Result>(
  maxWorkers: Int? = nil,
  queueCapacity: Int = ThreadPoolExecutor.defaultQueueCapacity,
  threadNamePrefix: String = ThreadPoolExecutor.defaultThreadNamePrefix,
  initializer: (@Sendable () throws -> Void)? = nil,
  finalizer: (@Sendable () -> Void)? = nil,
  _ body: (ThreadPoolExecutor) throws -> Result
) throws -> Result {
  let pool = try ThreadPoolExecutor(
    maxWorkers: maxWorkers, queueCapacity: queueCapacity,
    threadNamePrefix: threadNamePrefix, initializer: initializer,
    finalizer: finalizer)
  defer { pool.shutdown(wait: true) }
  return try body(pool)
}
