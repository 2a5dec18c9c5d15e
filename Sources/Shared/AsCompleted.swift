// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

/// Yields futures as they complete — Python's `as_completed`.
///
/// ```swift
/// var completed = try asCompleted(futures, timeout: .seconds(5))
/// while let future = try completed.next() {
///   print(try future.result())
/// }
/// ```
///
/// Futures already done come first; then the rest in the order they finish
/// (cancelled ones count as done the moment they are cancelled).  A future
/// given twice is yielded once.  The futures may come from different
/// executors.
///
/// - Parameters:
///   - futures: the futures to watch.
///   - timeout: how long, from this call, the whole iteration may take;
///     `nil` waits forever.  It bounds the waiting only: it cancels nothing
///     unless `cancelOnTimeout`.
///   - cancelOnTimeout: when the timeout passes, cancel every future not
///     done (a batch deadline: tasks not started never run; running ones
///     are not interrupted).  The timeout error still counts them as
///     unfinished.  Default `false`.
/// - Returns: an iterator whose `next()` throws ``FuturesError`` `.timedOut`
///   ("3 (of 7) futures unfinished") once the timeout has passed with
///   futures left.
/// - Throws: ``FuturesError`` `.invalidArgument` for a negative timeout.
@available(
  *, noasync,
  message: "its iterator blocks a thread; use `for try await f in try asyncCompleted(…)`"
)
public func asCompleted<F: AnyFuture>(
  _ futures: some Sequence<F>, timeout: Duration? = nil,
  cancelOnTimeout: Bool = false
) throws -> AsCompletedIterator<F> {
  let deadline = try Deadline(timeout: timeout, what: "asCompleted")
  // No de-duplication here: the waiter watches a repeated future once.
  return try AsCompletedIterator(
    futures: Array(futures), deadline: deadline, timeout: timeout,
    cancelOnTimeout: cancelOnTimeout)
}

/// The iterator ``asCompleted(_:timeout:cancelOnTimeout:)`` returns: call `next()` until it
/// returns `nil`.  Use it from one thread at a time.
public struct AsCompletedIterator<F: AnyFuture> {
  private let state: State

  init(
    futures: [F], deadline: Deadline, timeout: Duration?, cancelOnTimeout: Bool
  ) throws {
    state = try State(futures: futures, deadline: deadline, timeout: timeout)
    state.cancelOnTimeout = cancelOnTimeout
  }

  /// The next future to complete, or `nil` when every future was yielded.
  ///
  /// - Throws: ``FuturesError`` `.timedOut` once the timeout has passed
  ///   with futures still unfinished.  (A later call yields any future
  ///   that finished meanwhile, and throws again while some remain.)
  @available(
    *, noasync,
    message: "blocks a thread while futures are running; use asyncCompleted(_:timeout:)"
  )
  public mutating func next() throws -> F? {
    try state.next()
  }

  /// Futures not yet yielded.
  public var remaining: Int { state.waiter.remaining }

  final class State {
    /// As given, repetitions included (the waiter's tags index it), and
    /// held as `[AnyFuture]`: the subscript of that concrete type is
    /// inlined in `next()`, where an `[F]`'s is a call into the standard
    /// library's unspecialised code, with value-witness calls, once per
    /// future.  The `[F]` is bit-cast, not converted: an array of class
    /// references has one layout whatever the class, and this one is only
    /// read.  (`futures as [AnyFuture]` copies the array, casting each
    /// element at run time.)
    let futures: [AnyFuture]
    let waiter: WaiterCore
    let deadline: Deadline
    let timeout: Duration?
    var cancelOnTimeout = false

    init(futures: [F], deadline: Deadline, timeout: Duration?) throws {
      self.futures = unsafeBitCast(futures, to: [AnyFuture].self)
      self.waiter = try WaiterCore(futures: futures)
      self.deadline = deadline
      self.timeout = timeout
    }

    func next() throws -> F? {
      switch waiter.next(deadline) {
      case .ready(let index):
        // Every element is an F: they came from an [F].
        return unsafeDowncast(futures[index], to: F.self)
      case .exhausted:
        return nil
      case .timedOut:
        let all = distinct(futures)
        let unfinished = all.lazy.filter { !$0.isDone }.count
        if cancelOnTimeout { cancelUnfinished(all) }
        throw FuturesError(
          .timedOut,
          "\(unfinished) (of \(all.count)) futures unfinished after "
            + "\(Timeouts.describe(timeout))")
      }
    }
  }
}

/// The futures of `futures`, each once, in first-seen order.
func distinct<F: AnyFuture>(_ futures: some Sequence<F>) -> [F] {
  var seen = Set<ObjectIdentifier>()
  return futures.filter { seen.insert(ObjectIdentifier($0)).inserted }
}
