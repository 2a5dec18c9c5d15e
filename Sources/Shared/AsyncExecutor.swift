// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// The pool in Swift Concurrency: a TaskExecutor, an async submit, and the
// backpressure choices for a full queue.

/// The pool as a Swift Concurrency task executor: async code can run its
/// blocking parts on the pool's threads instead of the cooperative pool's.
///
/// ```swift
/// let rows = await withTaskExecutorPreference(pool) {
///   blockingQuery(sql)  // runs on a `cf-pool-N` thread
/// }
/// let task = Task(executorPreference: pool) { try blockingFetch(url) }
/// ```
///
/// Jobs are queued like tasks but are never refused and never block the
/// enqueuing thread: when the queue is full, the pool is shut down, or no
/// worker thread can start, the job goes to Swift's global concurrent
/// executor instead (it then runs on the cooperative pool — a full queue
/// is the pool saying it is overloaded).  `shutdown(cancelPendingFutures:
/// true)` cannot cancel a queued job (its Task would hang): it hands it to
/// the global concurrent executor.
extension ThreadPoolExecutor: TaskExecutor {
  /// Queues `job` on the pool; see the extension's summary.
  public func enqueue(_ job: consuming ExecutorJob) {
    let job = UnownedJob(job)
    if !pool.execute(job, as: self) {
      globalConcurrentExecutor.enqueue(ExecutorJob(job))
    }
  }
}

/// What a submit does when the pool's queue is full.
public enum Backpressure: Sendable, Hashable {
  /// Block the calling thread until there is room (``ThreadPoolExecutor/submit(_:)-7y2z7``).
  case block
  /// Block at most this long, then throw ``FuturesError`` `.timedOut`
  /// (``ThreadPoolExecutor/submit(timeout:_:)``).
  case blockWithTimeout(Duration)
  /// Throw ``FuturesError`` `.queueFull` at once
  /// (``ThreadPoolExecutor/trySubmit(_:)``).
  case reject
  /// Run the task on the calling thread, now, and hand back its finished
  /// future (Java's `CallerRunsPolicy`): the submitter is slowed down by
  /// exactly the work it could not hand off.
  case runOnCaller
}

extension ThreadPoolExecutor {
  /// Schedules `body`, doing what `whenFull` says if the queue is full.
  ///
  /// ```swift
  /// let future = try pool.submit(whenFull: .runOnCaller) { try parse(blob) }
  /// ```
  ///
  /// With `.runOnCaller` the task runs on this thread before the call
  /// returns (its future is then done); waiting on that future from inside
  /// its own task is not detected there.
  ///
  /// - Throws: the errors of ``submit(_:)-7y2z7``; `.timedOut` or `.queueFull`
  ///   as `whenFull` says.  A shut-down pool throws `.shutDown` whatever
  ///   `whenFull` is (nothing runs on the caller).
  @available(
    *, noasync,
    message: "may block while the queue is full; use `try await pool.submit { … }`"
  )
  public func submit<Value: Sendable>(
    whenFull: Backpressure, _ body: @escaping @Sendable () throws -> Value
  ) throws -> Future<Value> {
    switch whenFull {
    case .block:
      return try submit(body)
    case .blockWithTimeout(let timeout):
      return try submit(timeout: timeout, body)
    case .reject:
      return try trySubmit(body)
    case .runOnCaller:
      do {
        return try trySubmit(body)
      } catch let error as FuturesError where error.code == .queueFull {
        let future = Future(body)
        future.runOnCaller()
        return future
      }
    }
  }

  /// Schedules `body`, suspending the calling Task (not blocking its
  /// thread) while the queue is full — the async twin of ``submit(_:)-7y2z7``.
  ///
  /// ```swift
  /// let future = try await pool.submit { try blockingFetch(url) }
  /// let page = try await future.value
  /// ```
  ///
  /// While the queue is full the Task waits in this pool's line of
  /// suspended submits, first come first served: room a worker makes is
  /// offered to the oldest, and a submit that finds others waiting lines
  /// up behind them rather than try.  So async submits enter the queue in
  /// the order they suspended.  A blocking submit or a job
  /// (``enqueue(_:)``) does not line up and may take room first; the
  /// oldest async submit then keeps its place.  None is lost.
  ///
  /// - Returns: the task's future.
  /// - Throws: ``FuturesError`` `.shutDown` once the pool is shut down
  ///   (also while suspended), `.resourceExhausted` as for ``submit(_:)-7y2z7``;
  ///   `CancellationError` when the Task is cancelled while it waits for
  ///   room (then nothing was queued).
  @inlinable  // as the blocking submit: the future is made in the caller's code
  public func submit<Value: Sendable>(
    _ body: @escaping @Sendable () throws -> Value
  ) async throws -> Future<Value> {
    let future = Future(body)
    try await _enqueueWhenRoom(future)
    return future
  }

  /// Queues a future's task, suspending in the pool's line while the
  /// queue is full.  The one future is offered at each try (a refused try
  /// queues nothing and leaves it as it was).
  @usableFromInline
  func _enqueueWhenRoom(_ future: AnyFuture) async throws {
    try await pool.room.submit(deadline: nil) { try _tryEnqueue(future) }
  }

  /// Async submits suspended in this pool's line now, waiting for room
  /// (a test hook).
  package var suspendedSubmitCount: Int { pool.room.waiting }
}
