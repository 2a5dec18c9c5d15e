// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

/// An error from the library itself (the tasks' own errors are
/// rethrown as they are, and a cancelled future throws `CancellationError`).
///
/// Match on ``code``; ``message`` says what was wrong in words:
///
/// ```swift
/// do {
///   _ = try future.result(timeout: .seconds(1))
/// } catch let error as FuturesError where error.code == .timedOut {
///   print(error)  // "timed out after 1.0 seconds waiting for a result"
/// }
/// ```
public struct FuturesError: Error, Hashable, Sendable, CustomStringConvertible {
  /// What kind of failure this is.  An extensible set of values rather than
  /// a frozen enum, so new codes can be added without breaking `switch`es.
  public struct Code: Hashable, Sendable, CustomStringConvertible {
    private let name: String
    private init(_ name: String) { self.name = name }

    /// A parameter was out of range: zero workers, a negative timeout, …
    public static let invalidArgument = Code("invalidArgument")
    /// The executor was shut down before the task was accepted.
    public static let shutDown = Code("shutDown")
    /// A timeout passed before the awaited thing happened.
    public static let timedOut = Code("timedOut")
    /// The queue was full and the submit was asked not to wait.
    public static let queueFull = Code("queueFull")
    /// The wait could never end: a task waiting for its own future.
    public static let deadlock = Code("deadlock")
    /// Memory or threads could not be had.
    public static let resourceExhausted = Code("resourceExhausted")
    /// A task's must-start-by deadline passed before a worker took it, so
    /// it never ran (its future is cancelled).
    public static let deadlineExpired = Code("deadlineExpired")
    /// A worker's initializer threw, so the executor runs nothing more:
    /// queued tasks fail with this error and later submits throw it
    /// (CPython's `BrokenThreadPool`).  ``FuturesError/underlyingError``
    /// is what the initializer threw.
    public static let brokenPool = Code("brokenPool")

    public var description: String { name }
  }

  /// The kind of failure.
  public let code: Code
  /// What went wrong, for people.
  public let message: String
  /// The error that caused this one, if any: for `.brokenPool`, what the
  /// worker's initializer threw.  Not part of `==` or the hash.
  public let underlyingError: (any Error)?

  /// Creates an error with a code, a message and, optionally, its cause.
  public init(_ code: Code, _ message: String, underlyingError: (any Error)? = nil) {
    self.code = code
    self.message = message
    self.underlyingError = underlyingError
  }

  /// What a broken pool's tasks and submits throw.
  static func brokenPool(cause: any Error) -> FuturesError {
    FuturesError(
      .brokenPool,
      "the thread pool is broken: a worker's initializer threw: \(cause)",
      underlyingError: cause)
  }

  public static func == (lhs: FuturesError, rhs: FuturesError) -> Bool {
    lhs.code == rhs.code && lhs.message == rhs.message
  }

  public func hash(into hasher: inout Hasher) {
    hasher.combine(code)
    hasher.combine(message)
  }

  public var description: String { message }
}

/// Turning `Duration?` timeouts into nanoseconds, with the checks every
/// public entry point shares (one source for both modules, so their errors
/// and messages are the same by construction).
enum Timeouts {
  /// What `result()` of a future whose start deadline passed throws.
  static var deadlineExpired: FuturesError {
    FuturesError(
      .deadlineExpired,
      "the task's start deadline passed before a worker took it")
  }

  /// Nanoseconds in `timeout`, saturating at Int64.max; throws for a
  /// negative one, naming the call (`what`) in the message.
  static func nanoseconds(_ timeout: Duration, what: @autoclosure () -> String)
    throws -> Int64
  {
    guard timeout >= .zero else {
      throw FuturesError(
        .invalidArgument,
        "\(what()): the timeout must not be negative (got \(timeout))")
    }
    let (seconds, attoseconds) = timeout.components
    let (whole, overflow) = seconds.multipliedReportingOverflow(
      by: 1_000_000_000)
    if overflow { return .max }
    let (sum, overflow2) = whole.addingReportingOverflow(
      attoseconds / 1_000_000_000)
    return overflow2 ? .max : sum
  }

  /// The longest wait an async deadline is given: a longer timeout waits
  /// this long (about 68 years: practically forever), so that an instant
  /// computed from it cannot overflow the clock, however large the
  /// `Duration`.
  static let longestAsyncWait = Duration.seconds(Int64(1) << 31)

  /// The monotonic instant `timeout` from now, for the async waits: `nil`
  /// for no timeout; a huge one saturates (see ``longestAsyncWait``).
  /// Throws for a negative one, naming the call (`what`) in the message.
  static func instant(after timeout: Duration?, what: @autoclosure () -> String)
    throws -> ContinuousClock.Instant?
  {
    guard let timeout else { return nil }
    _ = try nanoseconds(timeout, what: what())
    return ContinuousClock.now.advanced(by: min(timeout, longestAsyncWait))
  }

  /// How a timeout reads in a message: "1.0 seconds", or "no timeout".
  static func describe(_ timeout: Duration?) -> String {
    guard let timeout else { return "no timeout" }
    return "\(timeout)"
  }
}
