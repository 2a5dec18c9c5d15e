// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// The async twins of `shutdown(wait: true)` and `withThreadPoolExecutor`:
// the workers are joined on a thread of the engine's own while the Task is
// suspended.

extension ThreadPoolExecutor {
  /// Stops accepting tasks and, with `wait`, suspends the calling Task
  /// (parking no thread of the cooperative pool) until queued and running
  /// tasks have finished and every worker thread has exited — the async
  /// twin of the blocking ``shutdown(wait:cancelPendingFutures:)-67htq``.
  ///
  /// ```swift
  /// await pool.shutdown()
  /// ```
  ///
  /// The workers are joined on a short-lived thread started for it, which
  /// resumes the Task when the last one has exited (if no thread can be
  /// started, the Task polls the worker count instead, then joins).
  /// Unlike the blocking form, a Task running on this pool (through
  /// `withTaskExecutorPreference(pool)`) waits too: it leaves its worker
  /// while suspended, so that worker can end, and resumes elsewhere.
  /// Cancelling the Task does not cut the wait short.
  ///
  /// - Parameters:
  ///   - wait: wait for the work to finish and every worker to exit.
  ///   - cancelPendingFutures: cancel every task that has not started;
  ///     their futures report cancelled and their callbacks run on the
  ///     calling thread.  Running tasks are not interrupted.
  public func shutdown(wait: Bool = true, cancelPendingFutures: Bool = false)
    async
  {
    pool.shutdown(wait: false, cancelPending: cancelPendingFutures)
    guard wait else { return }
    let joined = await withCheckedContinuation {
      (continuation: CheckedContinuation<Bool, Never>) in
      let started = pool.joinInBackground { continuation.resume(returning: true) }
      if !started { continuation.resume(returning: false) }
    }
    if !joined {
      // No thread to join on: wait for the workers to exit, then join
      // them (at once: they have ended) from this Task's thread.
      var pause = Duration.microseconds(100)
      while threadCount > 0 {
        try? await Task.sleep(for: pause)
        pause = min(pause * 2, .milliseconds(10))
      }
      pool.shutdown(wait: true, cancelPending: false)
    }
  }
}

/// Runs `body` with a new pool and shuts it down, awaiting the async
/// ``ThreadPoolExecutor/shutdown(wait:cancelPendingFutures:)-8iy6r`` (so no
/// thread is parked), when `body` returns or throws — the async twin of
/// the blocking ``withThreadPoolExecutor(maxWorkers:queueCapacity:threadNamePrefix:initializer:finalizer:_:)``.
///
/// ```swift
/// let total = try await withThreadPoolExecutor(maxWorkers: 8) { pool in
///   try await pool.map(files) { try size(of: $0) }.reduce(0, +)
/// }
/// ```
///
/// `body` runs in the caller's isolation.  The shutdown waits for the
/// pool's work even when `body` throws or the Task is cancelled.
///
/// - Parameters: as for ``ThreadPoolExecutor/init(maxWorkers:queueCapacity:threadNamePrefix:initializer:finalizer:)``.
/// - Returns: what `body` returns.
/// - Throws: what the initializer or `body` throws.
public func withThreadPoolExecutor<Result>(
  maxWorkers: Int? = nil,
  queueCapacity: Int = ThreadPoolExecutor.defaultQueueCapacity,
  threadNamePrefix: String = ThreadPoolExecutor.defaultThreadNamePrefix,
  initializer: (@Sendable () throws -> Void)? = nil,
  finalizer: (@Sendable () -> Void)? = nil,
  isolation: isolated (any Actor)? = #isolation,
  _ body: (ThreadPoolExecutor) async throws -> Result
) async throws -> Result {
  let pool = try ThreadPoolExecutor(
    maxWorkers: maxWorkers, queueCapacity: queueCapacity,
    threadNamePrefix: threadNamePrefix, initializer: initializer,
    finalizer: finalizer)
  let result: Result
  do {
    result = try await body(pool)
  } catch {
    await pool.shutdown(wait: true)
    throw error
  }
  await pool.shutdown(wait: true)
  return result
}
