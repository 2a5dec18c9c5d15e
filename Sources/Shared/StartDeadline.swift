// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// Must-start-by deadlines: a task still queued when its deadline passes
// never runs; its future ends cancelled, and its result throws
// `.deadlineExpired` rather than a plain CancellationError, so "runs
// exactly once, or says cancelled" still holds.

extension ThreadPoolExecutor {
  /// Schedules `body` with a must-start-by deadline: if no worker has
  /// taken the task `startBy` after this call, it never runs.
  ///
  /// ```swift
  /// let quote = try pool.submit(startBy: .milliseconds(200)) { try fetchQuote() }
  /// ```
  ///
  /// A task whose deadline passes while it is queued is skipped by the
  /// worker that reaches it: its future ends cancelled (`isCancelled`,
  /// done-callbacks run on that worker) and ``Future/result(timeout:)-8kjst``
  /// throws ``FuturesError`` `.deadlineExpired` ("the task's start deadline
  /// passed before a worker took it"), not `CancellationError`.  The
  /// expiry is noticed when a worker reaches the task, not at the deadline
  /// itself.  A task that started in time runs to the end.
  ///
  /// A full queue blocks this call at most until the deadline.
  ///
  /// - Parameters:
  ///   - startBy: how long from now the task may wait to start.
  ///   - body: the task.
  /// - Returns: the task's future.
  /// - Throws: ``FuturesError`` `.invalidArgument` for a negative
  ///   `startBy`; `.timedOut` if the queue stayed full until the deadline;
  ///   the errors of ``submit(_:)-7y2z7``.
  @available(
    *, noasync,
    message: "may block while the queue is full; use `try await pool.submit(startBy:_:)`"
  )
  public func submit<Value: Sendable>(
    startBy: Duration, _ body: @escaping @Sendable () throws -> Value
  ) throws -> Future<Value> {
    let deadline = try Deadline(timeout: startBy, what: "cannot submit")
    let future = Future(body)
    try future.setStartDeadline(deadline)
    try pool.submit(future, whenFull: .block(deadline))
    return future
  }

  /// Schedules `body` with a must-start-by deadline, suspending the
  /// calling Task (not blocking its thread) while the queue is full — the
  /// async twin of the blocking ``submit(startBy:_:)-s4id``, with its rules.
  ///
  /// ```swift
  /// let quote = try await pool.submit(startBy: .milliseconds(200)) { try fetchQuote() }
  /// ```
  ///
  /// A task still queued when its deadline passes never runs: its future
  /// ends cancelled and its result throws ``FuturesError``
  /// `.deadlineExpired`.  While the queue is full the Task waits in the
  /// pool's first-come first-served line, as ``submit(_:)-9bcpb`` (async) does,
  /// but only until the deadline: if it passes first, this throws
  /// `.timedOut` and nothing is queued (as the blocking form does — the
  /// task was never accepted, so it has no future to expire).
  ///
  /// - Parameters:
  ///   - startBy: how long from now the task may wait to start.
  ///   - body: the task.
  /// - Returns: the task's future.
  /// - Throws: ``FuturesError`` `.invalidArgument` for a negative
  ///   `startBy`; `.timedOut` if the queue stayed full until the deadline;
  ///   `CancellationError` when the Task is cancelled while it waits for
  ///   room; the errors of ``submit(_:)-9bcpb``.
  public func submit<Value: Sendable>(
    startBy: Duration, _ body: @escaping @Sendable () throws -> Value
  ) async throws -> Future<Value> {
    let deadline = try Deadline(timeout: startBy, what: "cannot submit")
    let instant = try Timeouts.instant(after: startBy, what: "cannot submit")
    return try await pool.room.submit(deadline: instant) {
      let future = Future(body)
      try future.setStartDeadline(deadline)
      try pool.submit(future, whenFull: .reject)
      return future
    }
  }
}
