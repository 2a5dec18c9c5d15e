extension ThreadPoolExecutor {
  /// Runs `transform` on every input, concurrently, and returns the results
  /// in input order — Python's `executor.map`, collected.
  ///
  /// ```swift
  /// let sizes = try pool.map(paths) { try fileSize($0) }
  /// ```
  ///
  /// At most `lookAhead` tasks are submitted ahead of the result being
  /// collected, so a long input is never swallowed whole.
  ///
  /// - Parameters:
  ///   - inputs: the inputs, read on this thread as the look-ahead allows.
  ///   - timeout: the longest the whole map may take, from this call.
  ///   - lookAhead: tasks in flight at most; `nil` means 2 × `maxWorkers`.
  ///   - transform: the task run for each input.
  /// - Returns: the results, in input order.
  /// - Throws: the first error in input order (a task's own error,
  ///   `CancellationError`, or ``FuturesError``); tasks not yet started are
  ///   then cancelled.
  @available(*, noasync, message: "blocks a thread; use `try await pool.map(…)`")
  public func map<Input: Sendable, Value: Sendable>(
    _ inputs: some Sequence<Input>,
    timeout: Duration? = nil,
    lookAhead: Int? = nil,
    _ transform: @escaping @Sendable (Input) throws -> Value
  ) throws -> [Value] {
    // When this throws, `results` goes away and its deinit cancels the
    // tasks not yet collected.
    let results = try lazyMap(
      inputs, timeout: timeout, lookAhead: lookAhead, transform)
    var values: [Value] = []
    values.reserveCapacity(inputs.underestimatedCount)
    for result in results {
      values.append(try result.get())
    }
    return values
  }

  /// Runs `transform` on every input, concurrently, and yields one `Result`
  /// per input, in input order, as the consumer asks for them.
  ///
  /// ```swift
  /// for result in try pool.lazyMap(urls, lookAhead: 32, { try fetch($0) }) {
  ///   switch result { case .success(let page): … case .failure(let e): … }
  /// }
  /// ```
  ///
  /// - A task's error is the element at its position; iteration goes on.
  /// - At most `lookAhead` tasks are submitted and not yet yielded; the
  ///   first `lookAhead` are submitted by this call.
  /// - When the consumer stops early or drops the sequence, or when the
  ///   timeout passes, the tasks not yet yielded are cancelled.  A timeout
  ///   ends the iteration with one `.failure(FuturesError.timedOut)`.
  /// - If the executor shuts down midway, the element at the first position
  ///   that could not be submitted is `.failure(FuturesError.shutDown)` and
  ///   the iteration ends there.
  ///
  /// - Parameters: as for ``map(_:timeout:lookAhead:_:)``.
  /// - Returns: a single-pass sequence of results.
  /// - Throws: ``FuturesError`` `.invalidArgument` for a negative timeout or
  ///   a look-ahead below 1; the errors of ``submit(_:)`` for the first
  ///   task.
  @available(
    *, noasync,
    message: "blocks a thread while iterating; use `for try await r in try pool.asyncLazyMap(…)`"
  )
  public func lazyMap<Input: Sendable, Value: Sendable>(
    _ inputs: some Sequence<Input>,
    timeout: Duration? = nil,
    lookAhead: Int? = nil,
    _ transform: @escaping @Sendable (Input) throws -> Value
  ) throws -> MapResults<Value> {
    let deadline = try Deadline(timeout: timeout, what: "map")
    let window = lookAhead ?? 2 * maxWorkers
    guard window >= 1 else {
      throw FuturesError(
        .invalidArgument, "lookAhead must be at least 1 (got \(window))")
    }
    var inputIterator = inputs.makeIterator()
    let results = MapResults<Value>(
      pool: self, lookAhead: window, deadline: deadline, timeout: timeout,
      nextTask: {
        guard let input = inputIterator.next() else { return nil }
        return { try transform(input) }
      })
    try results.submitFirstWindow()
    return results
  }
}

/// The results of ``ThreadPoolExecutor/lazyMap(_:timeout:lookAhead:_:)``:
/// one `Result` per input, in input order.  Single pass; use it from one
/// thread at a time.  Dropping it cancels the tasks not yet yielded.
public final class MapResults<Value: Sendable>: Sequence, IteratorProtocol {
  public typealias Element = Result<Value, any Error>

  // Submitted and not yet yielded: `inFlight[head...]`, oldest first.  The
  // yielded prefix is cut off now and then rather than at every step, so
  // a large look-ahead does not make each step cost a shift of the array.
  private var inFlight: [Future<Value>] = []
  private var head = 0
  private let pool: ThreadPoolExecutor
  private let lookAhead: Int
  private let deadline: Deadline
  private let timeout: Duration?
  // The next input's task, or nil when the inputs are used up.  Dropped
  // then, with the input iterator it holds.
  private var nextTask: (() -> (@Sendable () throws -> Value)?)?
  // The error of the submit that failed; yielded after the tasks before it.
  private var submitError: (any Error)?
  private var isFinished = false

  init(
    pool: ThreadPoolExecutor, lookAhead: Int, deadline: Deadline,
    timeout: Duration?,
    nextTask: @escaping () -> (@Sendable () throws -> Value)?
  ) {
    self.pool = pool
    self.lookAhead = lookAhead
    self.deadline = deadline
    self.timeout = timeout
    self.nextTask = nextTask
  }

  deinit { cancelUnyielded() }

  /// Submits the first window.  If not even the first task could be
  /// submitted, throws that submit's error.
  func submitFirstWindow() throws {
    refill()
    if inFlight.isEmpty, let submitError {
      isFinished = true
      throw submitError
    }
  }

  /// Tasks submitted and not yet yielded.
  public var pendingCount: Int { inFlight.count - head }

  /// The next input's result, waiting for its task; `nil` at the end.
  @available(
    *, noasync,
    message: "blocks a thread; use `for try await r in try pool.asyncLazyMap(…)`"
  )
  public func next() -> Element? {
    if isFinished { return nil }
    guard head < inFlight.count else {
      // Every submitted task was yielded: end, with the submit error if
      // one stopped the submitting.
      isFinished = true
      defer { submitError = nil }
      return submitError.map { .failure($0) }
    }
    let element: Element
    do {
      element = try inFlight[head].outcomeBefore(deadline, timeout: timeout)
    } catch let error as FuturesError where error.code == .timedOut {
      let unfinished = pendingCount
      isFinished = true
      cancelUnyielded()
      return .failure(
        FuturesError(
          .timedOut,
          "map timed out after \(Timeouts.describe(timeout)) with "
            + "\(unfinished) tasks unfinished"))
    } catch {
      element = .failure(error)  // the task was cancelled
    }
    head += 1
    if head >= 64 && head * 2 >= inFlight.count {
      inFlight.removeFirst(head)
      head = 0
    }
    refill()
    return element
  }

  /// Submits tasks until `lookAhead` are in flight, the inputs run out, or
  /// a submit fails.
  private func refill() {
    while submitError == nil && pendingCount < lookAhead,
      let nextTask
    {
      guard let task = nextTask() else {
        self.nextTask = nil
        return
      }
      do {
        inFlight.append(try pool.submit(task))
      } catch {
        submitError = error
      }
    }
  }

  private func cancelUnyielded() {
    for future in inFlight[head...] { future.cancel() }
    inFlight.removeAll()
    head = 0
  }
}
