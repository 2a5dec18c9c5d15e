// Python's `executor.map`: the eager map and the lazy one.

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
    let window = try mapLookAhead(lookAhead)
    var iterator = inputs.makeIterator()
    let results = MapResults<Value>(
      pool: self, lookAhead: window, deadline: deadline, timeout: timeout,
      nextTask: {
        guard let input = iterator.next() else { return nil }
        return { try transform(input) }
      })
    try results.start()
    return results
  }
}

extension ThreadPoolExecutor {
  /// The look-ahead every map uses: `lookAhead`, or 2 × `maxWorkers`
  /// (saturating: a pool of `Int.max` workers gets `Int.max`).
  ///
  /// - Throws: ``FuturesError`` `.invalidArgument` for a look-ahead below 1.
  func mapLookAhead(_ lookAhead: Int?) throws -> Int {
    let (doubled, overflow) = maxWorkers.multipliedReportingOverflow(by: 2)
    let window = lookAhead ?? (overflow ? .max : doubled)
    guard window >= 1 else {
      throw FuturesError(
        .invalidArgument, "lookAhead must be at least 1 (got \(window))")
    }
    return window
  }
}

/// The results of ``ThreadPoolExecutor/lazyMap(_:timeout:lookAhead:_:)``:
/// one `Result` per input, in input order.  Single pass; use it from one
/// thread at a time.  Dropping it cancels the tasks not yet yielded.
public final class MapResults<Value: Sendable>: Sequence, IteratorProtocol {
  public typealias Element = Result<Value, any Error>

  private let pool: ThreadPoolExecutor
  private let lookAhead: Int
  private let deadline: Deadline
  private let timeout: Duration?
  private var nextTask: () -> (@Sendable () throws -> Value)?
  private var inFlight: [Future<Value>] = []
  private var head = 0
  private var inputsLeft = true
  private var submitError: (any Error)?
  private var finished = false

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

  deinit { cancelRest() }

  /// Submits the first window; a failure of the very first submit throws.
  func start() throws {
    refill()
    if inFlight.isEmpty, let error = submitError {
      finished = true
      throw error
    }
  }

  /// Tasks submitted and not yet yielded.
  public var pendingCount: Int { inFlight.count - head }

  @available(
    *, noasync,
    message: "blocks a thread; use `for try await r in try pool.asyncLazyMap(…)`"
  )
  public func next() -> Element? {
    guard !finished else { return nil }
    guard head < inFlight.count else {
      finished = true
      if let error = submitError {
        submitError = nil
        return .failure(error)
      }
      return nil
    }
    let future = inFlight[head]
    let outcome: Element
    do {
      outcome = try future.outcomeBefore(deadline, timeout: timeout)
    } catch let error as FuturesError where error.code == .timedOut {
      let unfinished = pendingCount
      finished = true
      cancelRest()
      return .failure(
        FuturesError(
          .timedOut,
          "map timed out after \(Timeouts.describe(timeout)) with "
            + "\(unfinished) tasks unfinished"))
    } catch {
      outcome = .failure(error)  // cancelled
    }
    head += 1
    compact()
    refill()
    return outcome
  }

  private func refill() {
    while inputsLeft && submitError == nil && inFlight.count - head < lookAhead {
      guard let task = nextTask() else {
        inputsLeft = false
        nextTask = { nil }  // let go of the input iterator
        return
      }
      do {
        inFlight.append(try pool.submit(task))
      } catch {
        submitError = error
      }
    }
  }

  private func compact() {
    if head >= 64 && head * 2 >= inFlight.count {
      inFlight.removeFirst(head)
      head = 0
    }
  }

  private func cancelRest() {
    for future in inFlight[head...] { future.cancel() }
    inFlight.removeAll()
    head = 0
  }
}
