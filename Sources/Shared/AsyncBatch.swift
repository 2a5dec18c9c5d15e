// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// The async twins of the remaining blocking calls: `result(timeout:)` and
// `error(timeout:)` with a timeout, the many-futures `wait`, and the eager
// `map`.  Each suspends the Task and parks no thread.

extension Future {
  /// The task's value, awaited for at most `timeout` without blocking a
  /// thread — the async twin of the blocking ``result(timeout:)-8kjst``.
  ///
  /// ```swift
  /// let row = try await pool.submit { try db.get(id) }.result(timeout: .seconds(1))
  /// ```
  ///
  /// The timeout only bounds this wait: it cancels nothing.  Cancelling
  /// the awaiting Task works as for ``value``: a still-pending future is
  /// cancelled, and the await ends with `CancellationError` — never with
  /// a timeout the time did not reach.
  ///
  /// - Parameter timeout: how long to wait; `nil` waits forever, `.zero`
  ///   only looks.
  /// - Throws: the task's own error; `CancellationError` if the future or
  ///   the awaiting Task was cancelled; ``FuturesError`` `.timedOut` when
  ///   the timeout passes first, `.invalidArgument` for a negative timeout.
  public func result(timeout: Duration? = nil) async throws -> Value {
    try await outcome(timeout: timeout, what: "cannot wait for the result").get()
  }

  /// The error the task threw, or `nil`, awaited for at most `timeout`
  /// without blocking a thread — the async twin of the blocking
  /// ``error(timeout:)-3m4gx``.
  ///
  /// - Throws: as ``result(timeout:)-2p0k8``, but the task's own error is
  ///   returned, not thrown.
  public func error(timeout: Duration? = nil) async throws -> (any Error)? {
    if case .failure(let error) = try await outcome(
      timeout: timeout, what: "cannot wait for the error")
    {
      return error
    }
    return nil
  }

  private func outcome(timeout: Duration?, what: String) async throws
    -> Result<Value, any Error>
  {
    try await outcome(
      before: Timeouts.instant(after: timeout, what: what), timeout: timeout)
  }
}

/// Waits for futures without blocking a thread — the async twin of the
/// blocking ``wait(_:timeout:returnWhen:cancelOnTimeout:)-iul7``, with the same
/// parameters, result and rules (a timeout returns normally).
///
/// ```swift
/// let (done, notDone) = try await wait(futures, timeout: .seconds(1),
///                                      returnWhen: .firstCompleted)
/// ```
///
/// - Throws: ``FuturesError`` `.invalidArgument` for a negative timeout;
///   `CancellationError` when the waiting Task is cancelled (the futures
///   are left alone).
public func wait<F: AnyFuture>(
  _ futures: some Sequence<F>,
  timeout: Duration? = nil,
  returnWhen: ReturnCondition = .allCompleted,
  cancelOnTimeout: Bool = false
) async throws -> (done: [F], notDone: [F]) {
  _ = try Timeouts.instant(after: timeout, what: "wait")
  let all = distinct(futures)
  do {
    for try await future in try asyncCompleted(
      all, timeout: timeout, cancelOnTimeout: cancelOnTimeout)
    {
      if returnWhen == .firstCompleted { break }
      if returnWhen == .firstException && future._hasFailed { break }
    }
  } catch let error as FuturesError where error.code == .timedOut {
    // The timeout bounds the wait: return what is done.
  }
  var done: [F] = []
  var notDone: [F] = []
  for future in all {
    if future.isDone { done.append(future) } else { notDone.append(future) }
  }
  return (done, notDone)
}

extension ThreadPoolExecutor {
  /// Runs `transform` on every input and returns the results in input
  /// order, suspending instead of blocking — the async twin of the
  /// blocking ``map(_:timeout:lookAhead:chunkSize:_:)-8lgv5``, with the same
  /// parameters and rules: inputs in chunks, at most `lookAhead` inputs in
  /// flight, the first error in input order thrown and the inputs not yet
  /// started never run, the timeout measured from this call.
  ///
  /// ```swift
  /// let pages = try await pool.map(urls, lookAhead: 32) { try fetch($0) }
  /// ```
  ///
  /// - Throws: the first error in input order; ``FuturesError``
  ///   `.timedOut` ("map timed out after … with N inputs unfinished"),
  ///   `.invalidArgument` for a negative timeout, a look-ahead or chunk
  ///   size below 1 or a chunk size above the look-ahead, `.shutDown`;
  ///   `CancellationError` when the Task is cancelled.
  public func map<Input: Sendable, Value: Sendable>(
    _ inputs: some Sequence<Input>,
    timeout: Duration? = nil,
    lookAhead: Int? = nil,
    chunkSize: Int? = nil,
    _ transform: @escaping @Sendable (Input) throws -> Value
  ) async throws -> [Value] {
    let results = try asyncLazyMap(
      inputs, timeout: timeout, lookAhead: lookAhead, chunkSize: chunkSize, transform)
    var values: [Value] = []
    values.reserveCapacity(inputs.underestimatedCount)
    for try await result in results {
      values.append(try result.get())
    }
    return values
  }
}
