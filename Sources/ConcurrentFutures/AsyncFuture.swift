// The async twins of the blocking waits: `try await future.value` and
// `for try await f in asyncCompleted(futures)`.  Both suspend the Task on a
// done-callback and never park a thread.  (This file is
// compiled into PureSwiftFutures too: its copy there is a symbolic link.)

extension Future {
  /// The task's value, awaited without blocking a thread — the async twin
  /// of ``result(timeout:)``.
  ///
  /// ```swift
  /// let user = try await pool.submit { try fetchUser(id: 42) }.value
  /// ```
  ///
  /// The awaiting Task is suspended until the future is done (a
  /// done-callback resumes it).  Cancelling that Task cancels the future
  /// if its task has not started — it then never runs, everyone waiting on
  /// it wakes, and this throws `CancellationError`; a task already running
  /// is not interrupted, and this still waits for it.  To bound the wait,
  /// race it with a `Task.sleep` in a task group, or use the blocking
  /// ``result(timeout:)`` off the cooperative pool.
  ///
  /// - Throws: the task's own error, as it was thrown; `CancellationError`
  ///   if the future was cancelled.
  public var value: Value {
    get async throws {
      try await outcome().get()
    }
  }

  /// The error the task threw, or `nil` if it returned a value, awaited
  /// without blocking a thread — the async twin of ``error(timeout:)``.
  /// (Not named `error`: a property cannot share the name of the method.)
  ///
  /// Cancellation works as for ``value``.
  ///
  /// - Throws: `CancellationError` if the future was cancelled.
  public var thrownError: (any Error)? {
    get async throws {
      if case .failure(let error) = try await outcome() { return error }
      return nil
    }
  }

  /// The outcome, once done; suspends until then.
  func outcome() async throws -> Result<Value, any Error> {
    if !isDone {
      await withTaskCancellationHandler {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
          // Runs at once if the future became done meanwhile.
          whenDone { done.resume() }
        }
      } onCancel: {
        cancel()  // a no-op once the task runs; the wait then goes on
      }
    }
    // Done: this does not wait.
    return try outcomeBefore(.none, timeout: nil)
  }
}

/// Yields futures as they complete, to `for try await` — the async twin of
/// ``asCompleted(_:timeout:)``, with the same rules.
///
/// ```swift
/// for try await future in try asyncCompleted(futures, timeout: .seconds(5)) {
///   print(try await future.value)
/// }
/// ```
///
/// Futures already done come first, in the order given; then the rest in
/// the order they finish (cancelled ones count as done the moment they are
/// cancelled).  A future given twice is yielded once.  The futures may come
/// from different executors.  Waiting suspends the Task; no thread is
/// parked.  The sequence is single-pass: iterators made from one call share
/// its progress.
///
/// - Parameters:
///   - futures: the futures to watch.
///   - timeout: how long, from this call, the whole iteration may take;
///     `nil` waits forever.  It bounds the waiting only: it cancels nothing
///     unless `cancelOnTimeout`.
///   - cancelOnTimeout: when the timeout passes, cancel every future not
///     done, as in ``asCompleted(_:timeout:cancelOnTimeout:)``.
/// - Returns: a sequence whose iteration throws ``FuturesError``
///   `.timedOut` ("3 (of 7) futures unfinished after 5.0 seconds") once
///   the timeout has passed with futures left, and `CancellationError`
///   when the iterating Task is cancelled while it waits (the futures are
///   not cancelled).
/// - Throws: ``FuturesError`` `.invalidArgument` for a negative timeout.
public func asyncCompleted<F: AnyFuture>(
  _ futures: some Sequence<F>, timeout: Duration? = nil,
  cancelOnTimeout: Bool = false
) throws -> AsyncCompletions<F> {
  var deadline: ContinuousClock.Instant?
  if let timeout {
    _ = try Timeouts.nanoseconds(timeout, what: "asyncCompleted")
    deadline = ContinuousClock.now.advanced(by: timeout)
  }
  return AsyncCompletions(
    futures: distinct(futures), deadline: deadline, timeout: timeout,
    cancelOnTimeout: cancelOnTimeout)
}

/// The sequence ``asyncCompleted(_:timeout:)`` returns.
public struct AsyncCompletions<F: AnyFuture>: AsyncSequence, Sendable {
  public typealias Element = F
  public typealias Failure = any Error

  private let futures: [F]
  private let deadline: ContinuousClock.Instant?
  private let timeout: Duration?
  private let cancelOnTimeout: Bool
  private let completions: CompletionQueue

  init(
    futures: [F], deadline: ContinuousClock.Instant?, timeout: Duration?,
    cancelOnTimeout: Bool
  ) {
    self.futures = futures
    self.deadline = deadline
    self.timeout = timeout
    self.cancelOnTimeout = cancelOnTimeout
    let completions = CompletionQueue(count: futures.count)
    self.completions = completions
    // Registered now, in order, so futures already done come first.  Each
    // callback holds the queue (not the iterator) until its future is done.
    for (index, future) in futures.enumerated() {
      future.whenDone { completions.push(index) }
    }
  }

  public func makeAsyncIterator() -> Iterator {
    Iterator(
      futures: futures, deadline: deadline, timeout: timeout,
      cancelOnTimeout: cancelOnTimeout, completions: completions)
  }

  /// Futures not yet yielded.
  public var remaining: Int { completions.remaining }

  /// Iterates an ``AsyncCompletions``.  Use it from one Task at a time.
  public struct Iterator: AsyncIteratorProtocol {
    fileprivate let futures: [F]
    fileprivate let deadline: ContinuousClock.Instant?
    fileprivate let timeout: Duration?
    fileprivate let cancelOnTimeout: Bool
    fileprivate let completions: CompletionQueue

    /// The next future to complete, or `nil` when every future was
    /// yielded.
    ///
    /// - Throws: ``FuturesError`` `.timedOut` once the timeout has passed
    ///   with futures still unfinished (a later call yields any future that
    ///   finished meanwhile, and throws again while some remain);
    ///   `CancellationError` when the Task is cancelled while it waits.
    public mutating func next() async throws -> F? {
      while true {
        switch completions.pop() {
        case .ready(let index): return futures[index]
        case .exhausted: return nil
        case .empty: break
        }
        try Task.checkCancellation()
        guard let deadline else {
          await completions.waitForPush()
          continue
        }
        if ContinuousClock.now >= deadline {
          let unfinished = futures.count { !$0.isDone }
          if cancelOnTimeout { cancelUnfinished(futures) }
          throw FuturesError(
            .timedOut,
            "\(unfinished) (of \(futures.count)) futures unfinished after "
              + "\(Timeouts.describe(timeout))")
        }
        // Whichever ends first — a completion or the deadline — cancels the
        // other; the group waits for both, so no task outlives the call.
        let completions = self.completions
        await withTaskGroup(of: Void.self) { group in
          group.addTask {
            try? await Task.sleep(until: deadline, clock: .continuous)
          }
          group.addTask { await completions.waitForPush() }
          await group.next()
          group.cancelAll()
        }
      }
    }
  }
}

/// Completions pushed by done-callbacks (any thread), taken by one Task.
final class CompletionQueue: Sendable {
  private struct State {
    var ready: [Int] = []
    var head = 0
    var taken = 0
    var waiter: CheckedContinuation<Void, Never>?
  }

  enum Pop { case ready(Int), empty, exhausted }

  private let count: Int
  private let state = Locked(State())

  init(count: Int) { self.count = count }

  var remaining: Int { count - state.withLock { $0.taken } }

  func push(_ index: Int) {
    let waiter = state.withLock { state in
      state.ready.append(index)
      defer { state.waiter = nil }
      return state.waiter
    }
    waiter?.resume()
  }

  func pop() -> Pop {
    state.withLock { state in
      guard state.head < state.ready.count else {
        return state.taken == count ? .exhausted : .empty
      }
      let index = state.ready[state.head]
      state.head += 1
      state.taken += 1
      if state.head == state.ready.count {
        state.ready.removeAll(keepingCapacity: true)
        state.head = 0
      }
      return .ready(index)
    }
  }

  /// Returns once a completion is ready, or at once if one is, or when the
  /// Task is cancelled.
  func waitForPush() async {
    await withTaskCancellationHandler {
      await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        // Checked under the lock, so a push or a cancellation either comes
        // before (and is seen here) or after (and finds the waiter).
        let resumeNow = state.withLock { state in
          if state.head < state.ready.count || Task.isCancelled { return true }
          state.waiter = continuation
          return false
        }
        if resumeNow { continuation.resume() }
      }
    } onCancel: {
      let waiter = state.withLock { state in
        defer { state.waiter = nil }
        return state.waiter
      }
      waiter?.resume()
    }
  }
}
