// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// The async twin of `lazyMap`: one result per input, in input order, to
// `for try await`.

extension ThreadPoolExecutor {
  /// Runs `transform` on every input, concurrently, and yields one `Result`
  /// per input, in input order, as the consuming Task asks for them — the
  /// async twin of the blocking ``lazyMap(_:timeout:lookAhead:chunkSize:_:)``, with
  /// its rules; waiting suspends the Task and parks no thread.
  ///
  /// ```swift
  /// for try await result in try pool.asyncLazyMap(urls, lookAhead: 32, { try fetch($0) }) {
  ///   switch result { case .success(let page): … case .failure(let e): … }
  /// }
  /// ```
  ///
  /// - Inputs travel in chunks, as for the blocking map: one task per
  ///   chunk, sized automatically with `chunkSize: nil`.
  /// - An input's error is the element at its position; iteration goes on.
  /// - At most `lookAhead` inputs are submitted and not yet yielded.  The
  ///   first chunks are submitted by the first `next()` (not by this
  ///   call), with the async ``submit(_:)-9bcpb``: a full queue suspends the
  ///   iteration, it blocks nothing.
  /// - When the loop exits early (`break`, `return`, a thrown error) or the
  ///   sequence is dropped, or when the timeout passes, the map stops:
  ///   chunks not yet started never run, a running chunk finishes the
  ///   input it is on and skips the rest.  A timeout ends the iteration
  ///   with one `.failure(FuturesError.timedOut)`.
  /// - When the iterating Task is cancelled, the next `next()` (or the one
  ///   waiting) stops the map and throws `CancellationError`; that is the
  ///   only error iteration throws.
  /// - If the executor is shut down (before the first `next()` or midway),
  ///   the element at the first position that could not be submitted is
  ///   `.failure(FuturesError.shutDown)` and the iteration ends there.
  ///
  /// - Parameters:
  ///   - inputs: the inputs, read by the iterating Task as the look-ahead
  ///     allows.
  ///   - timeout: the longest the whole map may take, from this call.
  ///   - lookAhead: inputs in flight at most; `nil` means 256, or
  ///     2 × `maxWorkers` × `chunkSize` if that is more.
  ///   - chunkSize: inputs per task; `nil` sizes chunks automatically.
  ///   - transform: run for each input.
  /// - Returns: a single-pass sequence of results.
  /// - Throws: ``FuturesError`` `.invalidArgument` for a negative timeout,
  ///   a look-ahead or chunk size below 1, or a chunk size above the
  ///   look-ahead.
  public func asyncLazyMap<Input: Sendable, Value: Sendable>(
    _ inputs: some Sequence<Input>,
    timeout: Duration? = nil,
    lookAhead: Int? = nil,
    chunkSize: Int? = nil,
    _ transform: @escaping @Sendable (Input) throws -> Value
  ) throws -> AsyncMapResults<Value> {
    let deadline = try Timeouts.instant(after: timeout, what: "map")
    let shape = try mapShape(lookAhead: lookAhead, chunkSize: chunkSize)
    return AsyncMapResults(
      state: AsyncMapState(
        pool: self, deadline: deadline, timeout: timeout,
        window: MapWindow(inputs, lookAhead: shape.lookAhead, sizer: shape.sizer, transform)))
  }
}

/// The results of ``ThreadPoolExecutor/asyncLazyMap(_:timeout:lookAhead:chunkSize:_:)``:
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

  /// Inputs submitted and not yet yielded.
  public var pendingCount: Int { state.pendingCount }

  /// How many inputs the next chunk will take: the `chunkSize` given, or
  /// the automatic size as measured so far.
  public var nextChunkSize: Int { state.nextChunkSize }

  /// Iterates an ``AsyncMapResults``.  Dropping it (as leaving a
  /// `for try await` loop does) stops the map.
  public struct Iterator: AsyncIteratorProtocol {
    private let consumer: AsyncMapConsumer<Value>

    fileprivate init(consumer: AsyncMapConsumer<Value>) {
      self.consumer = consumer
    }

    /// The next input's result, waiting for its task; `nil` at the end.
    ///
    /// - Throws: `CancellationError` when the Task is cancelled (the map
    ///   is stopped first).
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

/// Stops the map when the last iterator holding it goes away.
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
  private let deadline: ContinuousClock.Instant?
  private let timeout: Duration?
  private let window: MapWindow<Value>

  init(
    pool: ThreadPoolExecutor, deadline: ContinuousClock.Instant?, timeout: Duration?,
    window: MapWindow<Value>
  ) {
    self.pool = pool
    self.deadline = deadline
    self.timeout = timeout
    self.window = window
  }

  deinit { stop() }

  var pendingCount: Int { window.pendingCount }
  var nextChunkSize: Int { window.nextChunkSize }

  func next(isolation actor: isolated (any Actor)?) async throws -> Element? {
    if window.isFinished { return nil }
    if Task.isCancelled { return try cancelled() }
    do {
      try await refill(isolation: actor)
    } catch {
      return try cancelled()
    }
    if let element = window.nextOpened() { return element }
    guard let chunk = window.headChunk else { return window.finish() }
    let isDone: Bool
    do {
      isDone = try await chunk.awaitDone(before: deadline)
    } catch {
      return try cancelled()  // the Task was cancelled
    }
    if Task.isCancelled { return try cancelled() }
    guard isDone else {
      let error = window.timedOut(after: timeout)
      stop()
      return .failure(error)
    }
    do {
      window.openHead(try chunk.outcomeBefore(.none, timeout: nil))  // done: no wait
    } catch {
      window.openHead(.failure(error))  // the chunk was cancelled
    }
    let element = window.nextOpened()
    // Keep the window full while the consumer works on this one.  A
    // cancellation here is thrown by the next call.
    try? await refill(isolation: actor)
    return element
  }

  /// Submits chunks while the window has room and inputs are left, until
  /// a submit fails.
  ///
  /// - Throws: `CancellationError` when the Task is cancelled while a
  ///   submit waits for room (nothing more is submitted).
  private func refill(isolation actor: isolated (any Actor)?) async throws {
    while let chunk = window.takeChunk() {
      do {
        window.submitted(try await pool.submit(chunk.task), count: chunk.count)
      } catch is CancellationError {
        window.stopAll()
        throw CancellationError()
      } catch {
        window.submitFailed(error)
      }
    }
  }

  private func cancelled() throws -> Element? {
    stop()
    throw CancellationError()
  }

  /// Ends the map: chunks not yet started never run, no more are submitted.
  func stop() { window.stopAll() }
}
