// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

/// When ``wait(_:timeout:returnWhen:cancelOnTimeout:)-iul7`` returns.
public enum ReturnCondition: Sendable, Hashable {
  /// As soon as any future is done (finished or cancelled).
  case firstCompleted
  /// As soon as any task has thrown; with no failure, like `allCompleted`.
  /// A cancellation is not an exception here.
  case firstException
  /// When every future is done.
  case allCompleted
}

/// Waits for futures — Python's `concurrent.futures.wait`.
///
/// ```swift
/// let (done, notDone) = try wait(futures, timeout: .seconds(1),
///                                returnWhen: .firstCompleted)
/// ```
///
/// A cancelled future counts as done the moment it is cancelled.  Each
/// future appears once in the result, in the order first given.
///
/// - Parameters:
///   - futures: the futures; they may come from different executors.
///   - timeout: the longest to wait; `nil` waits forever.  When it passes
///     the call returns normally (nothing is cancelled unless
///     `cancelOnTimeout`).
///   - returnWhen: the condition to wait for.
///   - cancelOnTimeout: when the timeout passes, cancel every future not
///     done (a batch deadline: tasks not started never run; running ones
///     are not interrupted and stay in `notDone`).  Default `false`.
/// - Returns: the futures done when the call returned, and the others.
/// - Throws: ``FuturesError`` `.invalidArgument` for a negative timeout.
@available(*, noasync, message: "blocks a thread; use `try await wait(…)`")
public func wait<F: AnyFuture>(
  _ futures: some Sequence<F>,
  timeout: Duration? = nil,
  returnWhen: ReturnCondition = .allCompleted,
  cancelOnTimeout: Bool = false
) throws -> (done: [F], notDone: [F]) {
  let deadline = try Deadline(timeout: timeout, what: "wait")
  let all = distinct(futures)
  let waiter = try WaiterCore(futures: all)
  loop: while true {
    switch waiter.next(deadline) {
    case .ready(let index):
      if returnWhen == .firstCompleted { break loop }
      if returnWhen == .firstException && all[index]._hasFailed { break loop }
    case .timedOut:
      if cancelOnTimeout { cancelUnfinished(all) }
      break loop
    case .exhausted:
      break loop
    }
  }
  var done: [F] = []
  var notDone: [F] = []
  for future in all {
    if future.isDone { done.append(future) } else { notDone.append(future) }
  }
  return (done, notDone)
}

/// Cancels the futures not done (a batch deadline passed): what has not
/// started never runs; running tasks are not touched.
func cancelUnfinished(_ futures: [some AnyFuture]) {
  for future in futures where !future.isDone { future.cancel() }
}
