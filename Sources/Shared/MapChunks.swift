// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// What every map shares: inputs grouped into chunks that travel as one
// task each, the chunk size (fixed, or sized from measured input time),
// and the window of inputs in flight, counted in inputs.
//
// Inlinable (with the blocking map's entry points): the per-input work —
// reading an input, running it, storing and yielding its Result — is then
// specialised in the caller's code for its Input, Value and sequence type.
// Unspecialised, it looked up generic metadata several times per input
// (some 6,000 instructions an input, callgrind).

import Synchronization

/// What one chunk's task returns: a result per input, in input order, and
/// how long its inputs took.
@usableFromInline
struct MapChunk<Value: Sendable>: Sendable {
  @usableFromInline var results: [Result<Value, any Error>] = []
  /// Wall time of the inputs, in nanoseconds (0 when not measured).
  @usableFromInline var nanos: Int64 = 0

  @inlinable init() {}
}

/// Set when a map stops: a chunk that is running then skips its remaining
/// inputs (the one running finishes).
@usableFromInline
final class MapStop: Sendable {
  @usableFromInline let flag = Atomic<Bool>(false)
  @inlinable init() {}
  @inlinable var isSet: Bool { flag.load(ordering: .relaxed) }
  @usableFromInline func set() { flag.store(true, ordering: .relaxed) }
}

/// How many inputs the next chunk takes.
///
/// Fixed when the caller gives `chunkSize`.  Automatic otherwise: a chunk
/// should take about ``targetNanos`` — long enough that the hand-off of a
/// task (a few µs of submit, wake and result on a loaded machine) is a few
/// per cent of it, short enough that a slow input (a database call) still
/// travels alone and no worker idles while another runs a long chunk.  The
/// time per input is measured by the chunks themselves (two clock reads
/// per chunk) and averaged over recent chunks; until the first one is back,
/// chunks take one input.  A chunk never takes more than ``largest``: half
/// the window per worker, so every worker has a chunk and a next one.
@usableFromInline
struct ChunkSizer {
  @usableFromInline static let targetNanos = 50_000.0

  /// The size the caller fixed, or nil.
  @usableFromInline let fixed: Int?
  /// The largest automatic size.
  @usableFromInline let largest: Int
  /// Average nanoseconds per input of the chunks measured so far.
  @usableFromInline var perInput: Double?

  @usableFromInline init(fixed: Int?, lookAhead: Int, workers: Int) {
    self.fixed = fixed
    let (perWorker, overflow) = workers.multipliedReportingOverflow(by: 2)
    largest = max(1, overflow ? 1 : lookAhead / max(perWorker, 1))
  }

  /// Whether chunks should time their inputs.
  @inlinable var measures: Bool { fixed == nil }

  /// The size of the next chunk.
  @inlinable var size: Int {
    if let fixed { return fixed }
    guard let perInput else { return 1 }
    let fitting = ChunkSizer.targetNanos / max(perInput, 1)
    return fitting >= Double(largest) ? largest : max(1, Int(fitting))
  }

  /// A chunk of `inputs` inputs took `nanos`.
  @inlinable mutating func record(inputs: Int, nanos: Int64) {
    guard measures, inputs > 0, nanos > 0 else { return }
    let sample = Double(nanos) / Double(inputs)
    perInput = perInput.map { 0.75 * $0 + 0.25 * sample } ?? sample
  }
}

/// A chunk read from the inputs, not yet submitted.
@usableFromInline
struct PendingChunk<Value: Sendable> {
  @usableFromInline let count: Int
  @usableFromInline let task: @Sendable () -> MapChunk<Value>

  @inlinable init(count: Int, task: @escaping @Sendable () -> MapChunk<Value>) {
    self.count = count
    self.task = task
  }
}

/// Reads `inputs` in chunks: each call takes up to `count` inputs and
/// returns the task that runs them, or nil once the inputs are used up.
@inlinable
func chunkFeed<Input: Sendable, Value: Sendable>(
  _ inputs: some Sequence<Input>, stop: MapStop, measures: Bool,
  _ transform: @escaping @Sendable (Input) throws -> Value
) -> (Int) -> PendingChunk<Value>? {
  var iterator = inputs.makeIterator()
  return { count in
    var batch: [Input] = []
    // Room for what a chunk usually holds, not for `count`: a caller's
    // chunk size may be far beyond its inputs (even Int.max).
    batch.reserveCapacity(Swift.min(count, 1024))
    while batch.count < count, let input = iterator.next() { batch.append(input) }
    guard !batch.isEmpty else { return nil }
    return PendingChunk(count: batch.count) { [batch] in
      runChunk(batch, stop: stop, measures: measures, transform)
    }
  }
}

/// Runs one chunk on a worker: each input's outcome, in order; stops early
/// (leaving the rest unrun) once the map stopped.
@inlinable
func runChunk<Input: Sendable, Value: Sendable>(
  _ inputs: [Input], stop: MapStop, measures: Bool,
  _ transform: @Sendable (Input) throws -> Value
) -> MapChunk<Value> {
  var chunk = MapChunk<Value>()
  chunk.results.reserveCapacity(inputs.count)
  let start = measures ? ContinuousClock.now : nil
  for input in inputs {
    if stop.isSet { break }
    chunk.results.append(Result { try transform(input) })
  }
  if let start {
    let elapsed = (ContinuousClock.now - start).components
    chunk.nanos = elapsed.seconds * 1_000_000_000 + elapsed.attoseconds / 1_000_000_000
  }
  return chunk
}

/// A map's inputs in flight, shared by the blocking and the async
/// iterations: chunks submitted and not yet opened, oldest first, then the
/// opened chunk's results not yet yielded.  At most `lookAhead` inputs are
/// submitted and not yet yielded.  Used by one thread (or Task) at a time.
@usableFromInline
final class MapWindow<Value: Sendable> {
  @usableFromInline typealias Element = Result<Value, any Error>

  @usableFromInline let lookAhead: Int
  @usableFromInline let stop = MapStop()
  @usableFromInline var sizer: ChunkSizer
  /// Reads the next chunk; nil once the inputs are used up or the map
  /// stopped (the input iterator is let go then).
  @usableFromInline var feed: ((Int) -> PendingChunk<Value>?)?
  @usableFromInline var chunks: [(future: Future<MapChunk<Value>>, count: Int)] = []
  @usableFromInline var head = 0
  @usableFromInline var opened: [Element] = []
  @usableFromInline var openedAt = 0
  /// Inputs submitted and not yet yielded.
  @usableFromInline var pendingCount = 0
  /// The error of the submit that failed: yielded after every result
  /// before it, and the end.
  @usableFromInline var submitError: (any Error)?
  @usableFromInline var isFinished = false

  @inlinable init<Input: Sendable>(
    _ inputs: some Sequence<Input>, lookAhead: Int, sizer: ChunkSizer,
    _ transform: @escaping @Sendable (Input) throws -> Value
  ) {
    self.lookAhead = lookAhead
    self.sizer = sizer
    feed = chunkFeed(inputs, stop: stop, measures: sizer.measures, transform)
  }

  deinit { stopAll() }

  /// How many inputs the next chunk takes.
  @inlinable var nextChunkSize: Int { min(sizer.size, lookAhead) }

  /// Reads the next chunk from the inputs when the window has room for a
  /// whole one (so a window never fills with one-input chunks).
  @inlinable func takeChunk() -> PendingChunk<Value>? {
    guard !isFinished, submitError == nil, let feed else { return nil }
    guard lookAhead - pendingCount >= nextChunkSize else { return nil }
    guard let chunk = feed(nextChunkSize) else {
      self.feed = nil
      return nil
    }
    return chunk
  }

  @inlinable func submitted(_ future: Future<MapChunk<Value>>, count: Int) {
    chunks.append((future, count))
    pendingCount += count
  }

  /// A submit failed: nothing more is read or submitted.
  @inlinable func submitFailed(_ error: any Error) {
    submitError = error
    feed = nil
  }

  /// Whether nothing was submitted and a submit failed (the map's first
  /// submit: the call throws it).
  @usableFromInline var failedAtOnce: (any Error)? {
    chunks.isEmpty && opened.isEmpty ? submitError : nil
  }

  /// The opened chunk's next result, if it has one left.
  @inlinable func nextOpened() -> Element? {
    guard openedAt < opened.count else { return nil }
    let element = opened[openedAt]
    openedAt += 1
    pendingCount -= 1
    if openedAt == opened.count {
      opened = []
      openedAt = 0
    }
    return element
  }

  /// The oldest chunk not yet opened.
  @inlinable var headChunk: Future<MapChunk<Value>>? {
    head < chunks.count ? chunks[head].future : nil
  }

  /// Opens the head chunk, which is done: its results, or `error` for
  /// each of its inputs when it was cancelled.
  @inlinable func openHead(_ outcome: Result<MapChunk<Value>, any Error>) {
    let count = chunks[head].count
    switch outcome {
    case .success(let chunk):
      sizer.record(inputs: chunk.results.count, nanos: chunk.nanos)
      opened = chunk.results
      // Short only if the map stopped while it ran: never yielded then.
      while opened.count < count { opened.append(.failure(CancellationError())) }
    case .failure(let error):
      opened = Array(repeating: .failure(error), count: count)
    }
    openedAt = 0
    head += 1
    if head >= 64 && head * 2 >= chunks.count {
      chunks.removeFirst(head)
      head = 0
    }
  }

  /// Every submitted input was yielded: the end, after the submit error if
  /// one stopped the submitting.
  @usableFromInline func finish() -> Element? {
    isFinished = true
    defer { submitError = nil }
    return submitError.map { .failure($0) }
  }

  /// Ends the map: chunks not yet started never run, a running one skips
  /// its remaining inputs, no more inputs are read.
  @usableFromInline func stopAll() {
    isFinished = true
    stop.set()
    feed = nil
    for (future, _) in chunks[head...] { future.cancel() }
    chunks.removeAll()
    head = 0
    opened = []
    openedAt = 0
    pendingCount = 0
  }

  /// The timeout error of a map, naming the inputs left.
  @usableFromInline func timedOut(after timeout: Duration?) -> FuturesError {
    FuturesError(
      .timedOut,
      "map timed out after \(Timeouts.describe(timeout)) with "
        + "\(pendingCount) inputs unfinished")
  }
}

extension ThreadPoolExecutor {
  /// The look-ahead every map uses when none is given: 256 inputs, or
  /// 2 × `maxWorkers` × the chunk size if that is more (saturating).
  @usableFromInline static let defaultMapLookAhead = 256

  /// A map's window and chunk sizer from its arguments.
  ///
  /// - Throws: ``FuturesError`` `.invalidArgument` for a look-ahead or a
  ///   chunk size below 1, or a chunk size above the look-ahead.
  @usableFromInline func mapShape(lookAhead: Int?, chunkSize: Int?) throws -> (
    lookAhead: Int, sizer: ChunkSizer
  ) {
    if let chunkSize, chunkSize < 1 {
      throw FuturesError(
        .invalidArgument, "chunkSize must be at least 1 (got \(chunkSize))")
    }
    let window: Int
    if let lookAhead {
      guard lookAhead >= 1 else {
        throw FuturesError(
          .invalidArgument, "lookAhead must be at least 1 (got \(lookAhead))")
      }
      if let chunkSize, chunkSize > lookAhead {
        throw FuturesError(
          .invalidArgument,
          "chunkSize (\(chunkSize)) must not exceed lookAhead (\(lookAhead)): "
            + "a chunk is submitted whole")
      }
      window = lookAhead
    } else {
      let (perWorker, overflow1) = maxWorkers.multipliedReportingOverflow(by: 2)
      let (wanted, overflow2) = perWorker.multipliedReportingOverflow(by: chunkSize ?? 1)
      window = overflow1 || overflow2 ? .max : max(Self.defaultMapLookAhead, wanted)
    }
    return (window, ChunkSizer(fixed: chunkSize, lookAhead: window, workers: maxWorkers))
  }
}
