// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// The async twins of the blocking waits: `try await future.value` and
// `for try await f in asyncCompleted(futures)`.  Both suspend the Task on a
// watch of the future (a notification that runs before any done-callback)
// and never park a thread; every wait lets go of what it registered when
// it returns, whether the future finished, the time ran out or the Task
// was cancelled.

/// One suspension of a Task that ends at the first of: ``fire()`` (called
/// before or during the wait), a deadline, the Task's cancellation.  The
/// others then find it spent.  Used once.
final class Suspension: Sendable {
  private struct State {
    var continuation: CheckedContinuation<Void, Never>?
    var fired = false
    var timer: Task<Void, Never>?
  }
  private let state = Locked(State())

  /// Ends the wait (or makes the coming one return at once).
  func fire() {
    let continuation = state.withLock { s -> CheckedContinuation<Void, Never>? in
      s.fired = true
      defer { s.continuation = nil }
      return s.continuation
    }
    continuation?.resume()
  }

  /// Suspends until ``fire()``, `deadline` or the Task's cancellation;
  /// `onCancel` runs first on cancellation.  A timer Task runs only while
  /// a deadline is pending, and is cancelled (so it ends) on return.
  func wait(
    until deadline: ContinuousClock.Instant?,
    onCancel: @escaping @Sendable () -> Void = {}
  ) async {
    await withTaskCancellationHandler {
      await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        let resumeNow = state.withLock { s -> Bool in
          if s.fired { return true }
          s.continuation = continuation
          return false
        }
        if resumeNow {
          continuation.resume()
          return
        }
        guard let deadline else { return }
        let timer = Task { [self] in
          // Thrown only when cancelled: the wait is over anyway.
          try? await Task.sleep(until: deadline, clock: .continuous)
          fire()
        }
        let cancelNow = state.withLock { s -> Bool in
          if s.fired { return true }
          s.timer = timer
          return false
        }
        if cancelNow { timer.cancel() }
      }
    } onCancel: {
      onCancel()
      fire()
    }
    state.withLock { s -> Task<Void, Never>? in
      defer { s.timer = nil }
      return s.timer
    }?.cancel()
  }
}

extension AnyFuture {
  /// Suspends until the future is done or `deadline` (if any) passes;
  /// true if done.  Cancelling the Task cancels a still-pending future
  /// (which makes it done: true); if the task is already running the wait
  /// ends with `CancellationError` and the task runs on.  A deadline
  /// already past only looks.  Whatever ends the wait, the watch and the
  /// timer are gone when this returns.
  final func awaitDone(before deadline: ContinuousClock.Instant?) async throws
    -> Bool
  {
    if isDone { return true }
    if let deadline, ContinuousClock.now >= deadline { return isDone }
    let suspension = Suspension()
    let watch = try watch { suspension.fire() }  // fires at once if done meanwhile
    await suspension.wait(until: deadline) { [self] in cancel() }
    if let watch { unwatch(watch) }
    if isDone { return true }
    if Task.isCancelled { throw CancellationError() }
    return false
  }
}

extension Future {
  /// The task's value, awaited without blocking a thread — the async twin
  /// of ``result(timeout:)-8kjst``.
  ///
  /// ```swift
  /// let user = try await pool.submit { try fetchUser(id: 42) }.value
  /// ```
  ///
  /// The awaiting Task is suspended until the future is done.  Cancelling
  /// that Task cancels the future if its task has not started — it then
  /// never runs and everyone waiting on it wakes — and this throws
  /// `CancellationError`.  A task already running is not interrupted: this
  /// await ends at once with `CancellationError`, and the task runs on
  /// (its outcome stays in the future for anyone else).  To bound the
  /// wait, use ``result(timeout:)-2p0k8`` (async).
  ///
  /// - Throws: the task's own error, as it was thrown; `CancellationError`
  ///   if the future was cancelled or the awaiting Task is.
  public var value: Value {
    get async throws {
      try await outcome(before: nil).get()
    }
  }

  /// The error the task threw, or `nil` if it returned a value, awaited
  /// without blocking a thread — the async twin of ``error(timeout:)-3m4gx``.
  /// (Not named `error`: a property cannot share the name of the method.)
  ///
  /// Cancellation works as for ``value``.
  ///
  /// - Throws: `CancellationError` if the future was cancelled or the
  ///   awaiting Task is.
  public var thrownError: (any Error)? {
    get async throws {
      if case .failure(let error) = try await outcome(before: nil) { return error }
      return nil
    }
  }

  /// The outcome once done; suspends until then or `deadline`.
  ///
  /// - Throws: `CancellationError` (the future or the Task was
  ///   cancelled), the deadline-expired error, or `.timedOut` naming
  ///   `timeout` when the deadline passed first.
  func outcome(before deadline: ContinuousClock.Instant?, timeout: Duration? = nil)
    async throws -> Result<Value, any Error>
  {
    guard try await awaitDone(before: deadline) else {
      throw FuturesError(
        .timedOut,
        "timed out after \(Timeouts.describe(timeout)) waiting for a result")
    }
    return try outcomeBefore(.none, timeout: nil)  // done: this does not wait
  }
}

/// Yields futures as they complete, to `for try await` — the async twin of
/// ``asCompleted(_:timeout:cancelOnTimeout:)``, with the same rules.
///
/// ```swift
/// for try await future in try asyncCompleted(futures, timeout: .seconds(5)) {
///   print(try await future.value)
/// }
/// ```
///
/// Futures already done come first, in the order given; then the rest in
/// the order they finish (cancelled ones count as done the moment they are
/// cancelled).  A done future is yielded at once, never held back by its
/// slow done-callbacks (the sequence is told before they run), and never
/// counted unfinished.  A future given twice is yielded once.  The futures
/// may come from different executors.  Waiting suspends the Task; no thread
/// is parked.  The sequence is single-pass: iterators made from one call
/// share its progress.  It lets go of the futures (nothing of it stays
/// registered on them) once the sequence and its iterators are dropped.
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
/// - Throws: ``FuturesError`` `.invalidArgument` for a negative timeout;
///   `.resourceExhausted` when the C core cannot allocate a watch.
public func asyncCompleted<F: AnyFuture>(
  _ futures: some Sequence<F>, timeout: Duration? = nil,
  cancelOnTimeout: Bool = false
) throws -> AsyncCompletions<F> {
  let deadline = try Timeouts.instant(after: timeout, what: "asyncCompleted")
  return try AsyncCompletions(
    futures: distinct(futures), deadline: deadline, timeout: timeout,
    cancelOnTimeout: cancelOnTimeout)
}

/// The sequence ``asyncCompleted(_:timeout:cancelOnTimeout:)`` returns.
public struct AsyncCompletions<F: AnyFuture>: AsyncSequence, Sendable {
  public typealias Element = F
  public typealias Failure = any Error

  private let completions: Completions<F>

  init(
    futures: [F], deadline: ContinuousClock.Instant?, timeout: Duration?,
    cancelOnTimeout: Bool
  ) throws {
    completions = try Completions(
      futures: futures, deadline: deadline, timeout: timeout,
      cancelOnTimeout: cancelOnTimeout)
  }

  public func makeAsyncIterator() -> Iterator {
    Iterator(completions: completions)
  }

  /// Futures not yet yielded.
  public var remaining: Int { completions.remaining }

  /// Iterates an ``AsyncCompletions``.  Use it from one Task at a time.
  public struct Iterator: AsyncIteratorProtocol {
    fileprivate let completions: Completions<F>

    /// The next future to complete, or `nil` when every future was
    /// yielded.
    ///
    /// - Throws: ``FuturesError`` `.timedOut` once the timeout has passed
    ///   with futures still unfinished (a later call yields any future that
    ///   finished meanwhile, and throws again while some remain);
    ///   `CancellationError` when the Task is cancelled while it waits.
    public mutating func next() async throws -> F? {
      try await completions.next()
    }
  }
}

/// The progress of one ``asyncCompleted(_:timeout:cancelOnTimeout:)``:
/// a watch on every future pushing its index, taken in push order by one
/// Task.  Its deinit drops the watches still registered, so futures that
/// never finish hold nothing of it.
final class Completions<F: AnyFuture>: @unchecked Sendable {
  // @unchecked Sendable: the lets never change; `watches` is written
  // once, in init, before the object is shared; `ready` is Sendable.
  private let futures: [F]
  private let deadline: ContinuousClock.Instant?
  private let timeout: Duration?
  private let cancelOnTimeout: Bool
  private let ready: ReadyIndices
  private var watches: [AnyFuture.Watch?] = []

  init(
    futures: [F], deadline: ContinuousClock.Instant?, timeout: Duration?,
    cancelOnTimeout: Bool
  ) throws {
    self.futures = futures
    self.deadline = deadline
    self.timeout = timeout
    self.cancelOnTimeout = cancelOnTimeout
    let ready = ReadyIndices(count: futures.count)
    self.ready = ready
    // Registered now, in order, so futures already done come first.  A
    // watch holds the index queue, never this object.  If one cannot be
    // had, deinit drops those registered so far.
    watches.reserveCapacity(futures.count)
    for (index, future) in futures.enumerated() {
      watches.append(try future.watch { ready.push(index) })
    }
  }

  deinit {
    for (future, watch) in zip(futures, watches) {
      if let watch { future.unwatch(watch) }
    }
  }

  var remaining: Int { ready.remaining }

  func next() async throws -> F? {
    while true {
      switch ready.pop() {
      case .ready(let index): return futures[index]
      case .exhausted: return nil
      case .empty: break
      }
      try Task.checkCancellation()
      if let deadline, ContinuousClock.now >= deadline {
        // A future done but whose watch has not run yet (its completer is
        // between the state change and the notices) is taken now: a done
        // future is never reported unfinished.
        if let index = ready.takeEarly(where: { futures[$0].isDone }) {
          return futures[index]
        }
        let unfinished = futures.count { !$0.isDone }
        if cancelOnTimeout { cancelUnfinished(futures) }
        throw FuturesError(
          .timedOut,
          "\(unfinished) (of \(futures.count)) futures unfinished after "
            + "\(Timeouts.describe(timeout))")
      }
      await ready.waitForPush(until: deadline)
    }
  }
}

/// Indices pushed by watches (any thread), taken by one Task, each once.
final class ReadyIndices: Sendable {
  private struct State {
    var ready: [Int] = []
    var head = 0
    var taken = 0
    /// Per index: pushed or taken early (a second push is ignored).
    var delivered: [Bool]
    var waiter: Suspension?
  }

  enum Pop {
    case ready(Int)
    case empty, exhausted
  }

  private let count: Int
  private let state: Locked<State>

  init(count: Int) {
    self.count = count
    state = Locked(State(delivered: Array(repeating: false, count: count)))
  }

  var remaining: Int { count - state.withLock { $0.taken } }

  func push(_ index: Int) {
    let waiter = state.withLock { state -> Suspension? in
      guard !state.delivered[index] else { return nil }
      state.delivered[index] = true
      state.ready.append(index)
      defer { state.waiter = nil }
      return state.waiter
    }
    waiter?.fire()
  }

  /// Takes the first index not delivered yet for which `isDone` holds
  /// (its watch is still on its way), so a later push of it is ignored.
  /// `isDone` must take no lock but its future's.
  func takeEarly(where isDone: (Int) -> Bool) -> Int? {
    state.withLock { state in
      guard
        let index = state.delivered.indices.first(where: {
          !state.delivered[$0] && isDone($0)
        })
      else { return nil }
      state.delivered[index] = true
      state.taken += 1
      return index
    }
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

  /// Returns once an index is ready (at once if one is), `deadline`
  /// passes, or the Task is cancelled.
  func waitForPush(until deadline: ContinuousClock.Instant?) async {
    let suspension = Suspension()
    let readyNow = state.withLock { state -> Bool in
      if state.head < state.ready.count { return true }
      state.waiter = suspension
      return false
    }
    if readyNow { return }
    await suspension.wait(until: deadline)
    state.withLock { state in
      if state.waiter === suspension { state.waiter = nil }
    }
  }
}
