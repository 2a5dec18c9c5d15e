// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// Python's `executor.map`: the eager map and the lazy one.

extension ThreadPoolExecutor {
  /// Runs `transform` on every input, concurrently, and returns the results
  /// in input order — Python's `executor.map`, collected.
  ///
  /// ```swift
  /// let sizes = try pool.map(paths) { try fileSize($0) }
  /// ```
  ///
  /// Inputs travel in chunks (see ``lazyMap(_:timeout:lookAhead:chunkSize:_:)``),
  /// and at most `lookAhead` inputs are submitted ahead of the result being
  /// collected, so a long input is never swallowed whole.
  ///
  /// - Parameters:
  ///   - inputs: the inputs, read on this thread as the look-ahead allows.
  ///   - timeout: the longest the whole map may take, from this call.
  ///   - lookAhead: inputs in flight at most; `nil` means 256, or
  ///     2 × `maxWorkers` × `chunkSize` if that is more.
  ///   - chunkSize: inputs per task; `nil` sizes chunks automatically.
  ///   - transform: run for each input.
  /// - Returns: the results, in input order.
  /// - Throws: the first error in input order (a task's own error,
  ///   `CancellationError`, or ``FuturesError``); the inputs not yet
  ///   started are then never run.
  @available(*, noasync, message: "blocks a thread; use `try await pool.map(…)`")
  @inlinable
  public func map<Input: Sendable, Value: Sendable>(
    _ inputs: some Sequence<Input>,
    timeout: Duration? = nil,
    lookAhead: Int? = nil,
    chunkSize: Int? = nil,
    _ transform: @escaping @Sendable (Input) throws -> Value
  ) throws -> [Value] {
    let results = try lazyMap(
      inputs, timeout: timeout, lookAhead: lookAhead, chunkSize: chunkSize, transform)
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
  /// - Inputs are grouped into **chunks**; a chunk is one task, running
  ///   its inputs one after another on one worker.  With `chunkSize: nil`
  ///   the size adapts to the time an input takes, measured as the map
  ///   runs: chunks of about 50 µs of work (one input per chunk at first,
  ///   and always for inputs slower than that, such as a network call), at
  ///   most `lookAhead` ÷ (2 × `maxWorkers`) inputs.  Tiny inputs then pay
  ///   one hand-off per chunk instead of one each.
  /// - An input's error is the element at its position; iteration goes on.
  /// - At most `lookAhead` inputs are submitted and not yet yielded; the
  ///   first chunks are submitted by this call.  A chunk's results are
  ///   yielded once the whole chunk is done.
  /// - When the consumer stops early or drops the sequence, or when the
  ///   timeout passes, the map stops: chunks not yet started never run, a
  ///   running chunk finishes the input it is on and skips the rest, and no
  ///   more inputs are read.  A timeout ends the iteration with one
  ///   `.failure(FuturesError.timedOut)`.
  /// - If the executor shuts down midway, the element at the first position
  ///   that could not be submitted is `.failure(FuturesError.shutDown)` and
  ///   the iteration ends there.  (A shutdown that cancels pending futures
  ///   makes each input of a cancelled chunk `.failure(CancellationError())`.)
  ///
  /// - Parameters: as for ``map(_:timeout:lookAhead:chunkSize:_:)-8lgv5``.
  /// - Returns: a single-pass sequence of results.
  /// - Throws: ``FuturesError`` `.invalidArgument` for a negative timeout,
  ///   a look-ahead or chunk size below 1, or a chunk size above the
  ///   look-ahead; the errors of ``submit(_:)-7y2z7`` for the first chunk.
  @available(
    *, noasync,
    message: "blocks a thread while iterating; use `for try await r in try pool.asyncLazyMap(…)`"
  )
  @inlinable
  public func lazyMap<Input: Sendable, Value: Sendable>(
    _ inputs: some Sequence<Input>,
    timeout: Duration? = nil,
    lookAhead: Int? = nil,
    chunkSize: Int? = nil,
    _ transform: @escaping @Sendable (Input) throws -> Value
  ) throws -> MapResults<Value> {
    let deadline = try Deadline(timeout: timeout, what: "map")
    let shape = try mapShape(lookAhead: lookAhead, chunkSize: chunkSize)
    let results = MapResults<Value>(
      pool: self, deadline: deadline, timeout: timeout,
      window: MapWindow(inputs, lookAhead: shape.lookAhead, sizer: shape.sizer, transform))
    try results.start()
    return results
  }
}

/// The results of ``ThreadPoolExecutor/lazyMap(_:timeout:lookAhead:chunkSize:_:)``:
/// one `Result` per input, in input order.  Single pass; use it from one
/// thread at a time.  Dropping it stops the map (the inputs not yet
/// started never run).
public final class MapResults<Value: Sendable>: Sequence, IteratorProtocol {
  public typealias Element = Result<Value, any Error>

  @usableFromInline let pool: ThreadPoolExecutor
  @usableFromInline let deadline: Deadline
  @usableFromInline let timeout: Duration?
  @usableFromInline let window: MapWindow<Value>

  @usableFromInline init(
    pool: ThreadPoolExecutor, deadline: Deadline, timeout: Duration?,
    window: MapWindow<Value>
  ) {
    self.pool = pool
    self.deadline = deadline
    self.timeout = timeout
    self.window = window
  }

  deinit { window.stopAll() }

  /// Submits the first chunks; a failure of the very first submit throws.
  @inlinable func start() throws {
    refill()
    if let error = window.failedAtOnce {
      window.stopAll()
      throw error
    }
  }

  /// Inputs submitted and not yet yielded.
  public var pendingCount: Int { window.pendingCount }

  /// How many inputs the next chunk will take: the `chunkSize` given, or
  /// the automatic size as measured so far.
  public var nextChunkSize: Int { window.nextChunkSize }

  @available(
    *, noasync,
    message: "blocks a thread; use `for try await r in try pool.asyncLazyMap(…)`"
  )
  @inlinable
  public func next() -> Element? {
    guard !window.isFinished else { return nil }
    if let element = window.nextOpened() {
      refill()
      return element
    }
    guard let chunk = window.headChunk else { return window.finish() }
    do {
      window.openHead(try chunk.outcomeBefore(deadline, timeout: timeout))
    } catch let error as FuturesError where error.code == .timedOut {
      let error = window.timedOut(after: timeout)
      window.stopAll()
      return .failure(error)
    } catch {
      window.openHead(.failure(error))  // cancelled
    }
    let element = window.nextOpened()
    refill()
    return element
  }

  @inlinable func refill() {
    while let chunk = window.takeChunk() {
      do {
        window.submitted(try pool.submit(chunk.task), count: chunk.count)
      } catch {
        window.submitFailed(error)
      }
    }
  }
}
