// The async twin of `lazyMap`: one result per input, in input order, to
// `for try await`.

extension ThreadPoolExecutor {
  /// Runs `transform` on every input, concurrently, and yields one `Result`
  /// per input, in input order, as the consuming Task asks for them — the
  /// async twin of the blocking ``lazyMap(_:timeout:lookAhead:_:)``, with
  /// its rules; waiting suspends the Task and parks no thread.
  ///
  /// ```swift
  /// for try await result in try pool.asyncLazyMap(urls, lookAhead: 32, { try fetch($0) }) {
  ///   switch result { case .success(let page): … case .failure(let e): … }
  /// }
  /// ```
  ///
  /// - A task's error is the element at its position; iteration goes on.
  /// - At most `lookAhead` tasks are submitted and not yet yielded.  The
  ///   first `lookAhead` are submitted by the first `next()` (not by this
  ///   call), with the async ``submit(_:)``: a full queue suspends the
  ///   iteration, it blocks nothing.
  /// - When the loop exits early (`break`, `return`, a thrown error) or the
  ///   sequence is dropped, or when the timeout passes, the tasks not yet
  ///   yielded are cancelled (those running go on; their results are
  ///   dropped).  A timeout ends the iteration with one
  ///   `.failure(FuturesError.timedOut)`.
  /// - When the iterating Task is cancelled, the next `next()` (or the one
  ///   waiting) cancels the tasks not yet yielded and throws
  ///   `CancellationError`; that is the only error iteration throws.
  /// - If the executor is shut down (before the first `next()` or midway),
  ///   the element at the first position that could not be submitted is
  ///   `.failure(FuturesError.shutDown)` and the iteration ends there.
  ///
  /// - Parameters:
  ///   - inputs: the inputs, read by the iterating Task as the look-ahead
  ///     allows.
  ///   - timeout: the longest the whole map may take, from this call.
  ///   - lookAhead: tasks in flight at most; `nil` means 2 × `maxWorkers`.
  ///   - transform: the task run for each input.
  /// - Returns: a single-pass sequence of results.
  /// - Throws: ``FuturesError`` `.invalidArgument` for a negative timeout or
  ///   a look-ahead below 1.
  public func asyncLazyMap<Input: Sendable, Value: Sendable>(
    _ inputs: some Sequence<Input>,
    timeout: Duration? = nil,
    lookAhead: Int? = nil,
    _ transform: @escaping @Sendable (Input) throws -> Value
  ) throws -> AsyncMapResults<Value> {
    let deadline = try Timeouts.instant(after: timeout, what: "map")
    let window = try mapLookAhead(lookAhead)
    var inputIterator = inputs.makeIterator()
    return AsyncMapResults(
      state: AsyncMapState(
        pool: self, lookAhead: window, deadline: deadline, timeout: timeout,
        nextTask: {
          guard let input = inputIterator.next() else { return nil }
          return { try transform(input) }
        }))
  }
}

/// The results of ``ThreadPoolExecutor/asyncLazyMap(_:timeout:lookAhead:_:)``:
/// one `Result` per input, in input order.  Single pass: iterators made
/// from one sequence share its progress, and once one is dropped (the loop
/// ended) the others yield nothing more.  Use it from one Task at a time.
public struct AsyncMapResults<Value: Sendable>: AsyncSequence {
  public typealias Element = Result<Value, any Error>
  public typealias Failure = any Error

  private let state: AsyncMapState<Value>

  init(state: AsyncMapState<Value>) { self.state = state }

  public func makeAsyncIterator() -> Iterator {
    Iterator(consumer: AsyncMapConsumer(state))
  }

  /// Tasks submitted and not yet yielded.
  public var pendingCount: Int { state.pendingCount }

  /// Iterates an ``AsyncMapResults``.  Dropping it (as leaving a
  /// `for try await` loop does) cancels the tasks not yet yielded.
  public struct Iterator: AsyncIteratorProtocol {
    private let consumer: AsyncMapConsumer<Value>

    fileprivate init(consumer: AsyncMapConsumer<Value>) {
      self.consumer = consumer
    }

    /// The next input's result, waiting for its task; `nil` at the end.
    ///
    /// - Throws: `CancellationError` when the Task is cancelled (the tasks
    ///   not yet yielded are cancelled first).
    public mutating func next() async throws -> Element? {
      try await consumer.state.next(isolation: nil)
    }

    /// As ``next()``, staying in the caller's isolation.
    public mutating func next(isolation actor: isolated (any Actor)?)
      async throws(any Error) -> Element?
    {
      try await consumer.state.next(isolation: actor)
    }
  }
}

/// Cancels the tasks not yet yielded when the last iterator holding it
/// goes away.
private final class AsyncMapConsumer<Value: Sendable> {
  let state: AsyncMapState<Value>
  init(_ state: AsyncMapState<Value>) { self.state = state }
  deinit { state.stop() }
}

/// The map's progress, shared by the sequence and its iterators.  Used by
/// one Task at a time (not Sendable).
final class AsyncMapState<Value: Sendable> {
  typealias Element = Result<Value, any Error>

  private let pool: ThreadPoolExecutor
  private let lookAhead: Int
  private let deadline: ContinuousClock.Instant?
  private let timeout: Duration?
  // Submitted and not yet yielded: `inFlight[head...]`, oldest first.
  private var inFlight: [Future<Value>] = []
  private var head = 0
  // The next input's task, or nil when the inputs are used up (or the map
  // stopped).  Dropped then, with the input iterator it holds.
  private var nextTask: (() -> (@Sendable () throws -> Value)?)?
  // The error of the submit that failed; yielded after the tasks before it.
  private var submitError: (any Error)?
  private var isFinished = false

  init(
    pool: ThreadPoolExecutor, lookAhead: Int,
    deadline: ContinuousClock.Instant?, timeout: Duration?,
    nextTask: @escaping () -> (@Sendable () throws -> Value)?
  ) {
    self.pool = pool
    self.lookAhead = lookAhead
    self.deadline = deadline
    self.timeout = timeout
    self.nextTask = nextTask
  }

  deinit { stop() }

  var pendingCount: Int { inFlight.count - head }

  func next(isolation actor: isolated (any Actor)?) async throws -> Element? {
    if isFinished { return nil }
    if Task.isCancelled { return try cancelled() }
    do {
      try await refill(isolation: actor)
    } catch {
      return try cancelled()
    }
    guard head < inFlight.count else {
      // Every submitted task was yielded: end, with the submit error if
      // one stopped the submitting.
      isFinished = true
      defer { submitError = nil }
      return submitError.map { .failure($0) }
    }
    let future = inFlight[head]
    let isDone: Bool
    do {
      isDone = try await future.awaitDone(before: deadline)
    } catch {
      return try cancelled()  // the Task was cancelled
    }
    if Task.isCancelled { return try cancelled() }
    guard isDone else {
      let unfinished = pendingCount
      stop()
      return .failure(
        FuturesError(
          .timedOut,
          "map timed out after \(Timeouts.describe(timeout)) with "
            + "\(unfinished) tasks unfinished"))
    }
    let element: Element
    do {
      element = try future.outcomeBefore(.none, timeout: nil)  // done: no wait
    } catch {
      element = .failure(error)  // the task was cancelled
    }
    head += 1
    if head >= 64 && head * 2 >= inFlight.count {
      inFlight.removeFirst(head)
      head = 0
    }
    // Keep `lookAhead` in flight while the consumer works on this one.  A
    // cancellation here is thrown by the next call.
    try? await refill(isolation: actor)
    return element
  }

  /// Submits tasks until `lookAhead` are in flight, the inputs run out, or
  /// a submit fails.
  ///
  /// - Throws: `CancellationError` when the Task is cancelled while a
  ///   submit waits for room (nothing more is submitted).
  private func refill(isolation actor: isolated (any Actor)?) async throws {
    while submitError == nil && pendingCount < lookAhead, let nextTask {
      guard let task = nextTask() else {
        self.nextTask = nil
        return
      }
      do {
        inFlight.append(try await pool.submit(task))
      } catch is CancellationError {
        self.nextTask = nil
        throw CancellationError()
      } catch {
        submitError = error
      }
    }
  }

  private func cancelled() throws -> Element? {
    stop()
    throw CancellationError()
  }

  /// Ends the map: cancels the tasks not yet yielded, submits no more.
  func stop() {
    isFinished = true
    nextTask = nil
    for future in inFlight[head...] { future.cancel() }
    inFlight.removeAll()
    head = 0
  }
}
