// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

import Logging

/// What every future has, whatever its value type: its state, cancellation
/// and waiting.  ``Future`` adds the typed result.
///
/// `AnyFuture` lets ``asCompleted(_:timeout:cancelOnTimeout:)`` and
/// ``wait(_:timeout:returnWhen:cancelOnTimeout:)-iul7`` take futures of different value types
/// (and from different executors) in one call.  You never create one
/// yourself: ``ThreadPoolExecutor/submit(_:)-7y2z7`` hands out ``Future``s.
///
/// Futures are equal when they are the same future.
///
/// State diagram (Python's):
///
///     PENDING ──start──▶ RUNNING ──finish──▶ FINISHED
///        │
///        └──cancel()──▶ CANCELLED ──(worker skips it once)──▶ CANCELLED
///
/// `isDone` is true from the moment a future is cancelled or finished.
public class AnyFuture: Hashable, @unchecked Sendable {
  // @unchecked Sendable: the engine's core is built for use from any
  // thread; the cell and the failure are written by the one thread that runs
  // (or drops) the task, before the state changes to FINISHED (release),
  // and read only after observing FINISHED (acquire).
  //
  // Layout, in this order (the engines and the inlinable code rely on it;
  // one allocation per future):
  //   +0   failure  an `(any Error)?`: the task's error, if it threw.
  //                 While the closure is in the cell this word may instead
  //                 hold the future's *runner* (see `runBody`), as a raw
  //                 function address; whoever takes the closure out zeroes
  //                 it first, so from then on it is a plain `nil`;
  //   +8   cell     16 bytes of raw memory: the task's closure until it
  //                 runs, then its value (or, for a value larger than 16
  //                 bytes, a pointer to a box holding it);
  //   +24  storage  the engine's state of the future (the C core's
  //                 16-byte cf_future lives right here).
  // The failure and the cell are raw words reached through typed pointers
  // made from their address, never through a Swift property: a class's
  // stored property costs a dynamic exclusivity check per access, and the
  // code the worker runs when the future has no runner — unspecialised,
  // reached through the vtable — would look up the metadata of
  // `Optional<Value>` or of the closure's function type once per task to
  // touch a typed one.
  /// The failure and the cell (see the layout above).
  @usableFromInline final var words: (UInt64, UInt64, UInt64) = (0, 0, 0)
  /// The engine's state of this future.
  final var storage: FutureCore.Storage

  @usableFromInline
  init() {
    assert(MemoryLayout<(any Error)?>.size == 8, "the failure is one word")
    storage = FutureCore.makeStorage()
    failureSlot.initialize(to: nil)
  }

  deinit {
    // Most futures end without an error: a zero word is `nil`, nothing to
    // release.  (Destroying an `(any Error)?` in place is a call through
    // its type's value witnesses, and the metadata lookup that finds them,
    // once per future.)  By now the word holds no runner: Future's deinit,
    // which ran first, took the closure out with it.
    if runnerWord.pointee != 0 { failureSlot.deinitialize(count: 1) }
    core.destroy()
  }

  /// The start of this root class's stored properties: the failure.
  @inlinable @inline(__always)
  final var failureSlot: UnsafeMutablePointer<(any Error)?> {
    UnsafeMutablePointer(OpaquePointer(_getUnsafePointerToStoredProperties(self)))
  }

  /// The task's error, or the broken pool's; set before FINISHED.
  @inlinable
  final var failure: (any Error)? {
    @inline(__always) get { failureSlot.pointee }
    @inline(__always) set { failureSlot.pointee = newValue }
  }

  /// Where the cell is: right after the failure.
  @inlinable @inline(__always)
  final var cellAddress: UnsafeMutableRawPointer {
    _getUnsafePointerToStoredProperties(self) + 8
  }

  /// Where the engine's storage is: right after the 16-byte cell.
  @inline(__always)
  final var storageAddress: UnsafeMutableRawPointer { cellAddress + 16 }

  /// The engine's view of this future.
  @inline(__always)
  final var core: FutureCore { FutureCore.core(of: self) }

  /// True once the future was cancelled.
  public final var isCancelled: Bool { core.snapshot == .cancelled }

  /// True while the task is running.
  public final var isRunning: Bool { core.snapshot == .running }

  /// True once the future is cancelled or its task has finished
  /// (successfully or not).
  public final var isDone: Bool { core.isDone }

  /// Cancels the task if it has not started yet.
  ///
  /// On success the future is done at once, for every thread: waiters wake
  /// and the done-callbacks run on this thread before `cancel()` returns.
  /// A running or finished task is not touched.
  ///
  /// - Returns: `true` if the future is cancelled (now or earlier); `false`
  ///   if the task is running or has finished.
  @discardableResult
  public final func cancel() -> Bool { core.cancel() }

  /// Blocks until the future is done or `deadline` passes; true if done.
  final func waitDone(_ deadline: Deadline) throws -> Bool {
    try core.waitDone(deadline)
  }

  /// A registered ``watch(_:)``.
  typealias Watch = FutureCore.Watch

  /// Runs `notify` once, when the future is done — before any
  /// done-callback, and at once, on this thread, if it is done already
  /// (even while its completer still runs callbacks).  `notify` must not
  /// block: it wakes a waiter.  (The async bridges' hook.)
  ///
  /// - Returns: the handle for ``unwatch(_:)``, or `nil` if `notify` ran
  ///   now.
  /// - Throws: ``FuturesError`` `.resourceExhausted` when the watch could
  ///   not be had.
  final func watch(_ notify: @escaping @Sendable () -> Void) throws -> Watch? {
    try core.watch(notify)
  }

  /// Drops a watch: true if its `notify` had not run and now never will;
  /// false if it ran or is running on the completing thread.
  @discardableResult
  final func unwatch(_ watch: Watch) -> Bool { core.unwatch(watch) }

  /// The failure word as raw bits: non-zero only while it holds a runner.
  @inlinable @inline(__always)
  final var runnerWord: UnsafeMutablePointer<UInt> {
    UnsafeMutablePointer(OpaquePointer(_getUnsafePointerToStoredProperties(self)))
  }

  /// A runner: runs the closure in the cell and stores its outcome, with
  /// the future's `Value` known — compiled in the submitting code,
  /// specialised there (see `Future.init`).
  @usableFromInline typealias Runner = (AnyFuture) -> Void

  /// Runs the task's closure and stores its outcome (not publishes it:
  /// the engine does).  What an engine's worker calls once per accepted
  /// future.
  ///
  /// Through the future's runner when its submit left one: code
  /// specialised for the concrete `Value` that moves the closure out of
  /// the cell, calls it and stores the value with plain loads and stores.
  /// Else through the class's vtable (`_run`), unspecialised code that
  /// reaches the value through its type's value witnesses.
  @inline(__always)
  final func runBody() {
    let address = runnerWord.pointee
    guard address != 0 else { return _run() }
    runnerWord.pointee = 0  // the failure word is `nil` again
    // A runner with no context is one word, its function: rebuild the
    // two-word Swift closure (function, context) around it.
    unsafeBitCast((address, UInt(0)), to: Runner.self)(self)
  }

  // The engine's hooks into the typed part.  Overridden by Future<Value>:
  // run the body and store its outcome, without a runner.
  func _run() {}
  // Overridden by Future<Value>: let go of the body; true if it had not
  // run (it never will).
  func _dropBody() -> Bool { false }
  // Overridden by Future<Value>: store `error` as the outcome without
  // running the body (the pool is broken).
  func _fail(_ error: any Error) {}
  /// Finished with an error (a task's own, or the broken pool's).
  final var _hasFailed: Bool { core.snapshot == .finished && failure != nil }

  /// Returns once done; `deadline` bounds the wait, `timeout` is what the
  /// message names.
  ///
  /// - Throws: ``FuturesError`` `.timedOut` or `.deadlock`; the deadline-
  ///   expired error or `CancellationError` for a cancelled future.
  @usableFromInline
  final func waitForOutcome(_ deadline: Deadline, timeout: Duration?) throws {
    guard try waitDone(deadline) else {
      throw FuturesError(
        .timedOut,
        "timed out after \(Timeouts.describe(timeout)) waiting for a result")
    }
    if core.snapshot == .cancelled {
      throw core.isExpired ? Timeouts.deadlineExpired : CancellationError()
    }
  }

  /// ``waitForOutcome(_:timeout:)`` for `result(timeout:)`: the timeout
  /// checked and turned into a deadline here, where nothing is generic.
  @usableFromInline
  final func waitForResult(timeout: Duration?) throws {
    // A future already finished costs one look at its state (the case of
    // a future from asCompleted, or of results gathered after the work),
    // in a function with no frame to speak of: the rest is another's.
    if timeout == nil && core.snapshot == .finished { return }
    try waitForResultSlowly(timeout: timeout)
  }

  @inline(never)
  private final func waitForResultSlowly(timeout: Duration?) throws {
    if timeout == nil && core.snapshot == .cancelled {
      throw core.isExpired ? Timeouts.deadlineExpired : CancellationError()
    }
    try waitForOutcome(
      Deadline(timeout: timeout, what: "cannot wait for the result"), timeout: timeout)
  }

  public static func == (lhs: AnyFuture, rhs: AnyFuture) -> Bool { lhs === rhs }
  public func hash(into hasher: inout Hasher) {
    hasher.combine(ObjectIdentifier(self))
  }
}

/// The eventual result of a task submitted to a ``ThreadPoolExecutor``.
///
/// ```swift
/// let future = try pool.submit { try fetchUser(id: 42) }
/// let user = try future.result(timeout: .seconds(2))
/// ```
///
/// A task runs at most once; its future ends either FINISHED (with a value
/// or the task's error) or CANCELLED.
public final class Future<Value: Sendable>: AnyFuture, @unchecked Sendable {
  // @unchecked Sendable: see AnyFuture; this class adds no stored property
  // (its closure and value live in AnyFuture's cell).

  @usableFromInline typealias Body = @Sendable () throws -> Value

  /// True when the value fits the 16-byte cell (else the cell holds a
  /// pointer to a box).
  @inlinable @inline(__always)
  static var valueFitsInline: Bool {
    MemoryLayout<Value>.size <= 16 && MemoryLayout<Value>.alignment <= 8
  }

  /// The cell as the closure (until it runs or is dropped).  Made from the
  /// address, not bound to `Body`: binding would look up the metadata of
  /// `Body` (a function type over `Value`) in unspecialised code.
  @inlinable @inline(__always)
  var bodySlot: UnsafeMutablePointer<Body> { UnsafeMutablePointer(OpaquePointer(cellAddress)) }

  /// The cell as the value, when it fits (see ``valueFitsInline``).
  @inlinable @inline(__always)
  var valueSlot: UnsafeMutablePointer<Value> { UnsafeMutablePointer(OpaquePointer(cellAddress)) }

  /// The value's box, when it does not fit the cell.
  @inlinable @inline(__always)
  var valueBox: UnsafeMutablePointer<Value> {
    cellAddress.load(as: UnsafeMutablePointer<Value>.self)
  }

  // Inlinable, so that a submit in the caller's code (specialised for its
  // Value) builds the future without a generic call, and leaves a runner
  // specialised for that Value.
  @inlinable
  init(_ body: @escaping Body) {
    super.init()
    bodySlot.initialize(to: body)
    // Only where `Value` is a concrete type: in unspecialised code the
    // closure below would capture `Value`'s metadata, a context allocated
    // per future only to be refused by installRunner (such a future takes
    // the vtable path).
    if _isConcrete(Value.self) {
      installRunner { future in unsafeDowncast(future, to: Future<Value>.self)._runInline() }
    }
  }

  /// Keeps `runner` in the failure word if it is a bare function (no
  /// context: it captures nothing, as a closure formed in code specialised
  /// for `Value` does).  Otherwise the future keeps none and `runBody`
  /// takes the vtable path.
  @inlinable @inline(__always)
  func installRunner(_ runner: @escaping Runner) {
    let words = unsafeBitCast(runner, to: (UInt, UInt).self)
    if words.1 == 0 { runnerWord.pointee = words.0 }
  }

  /// The runner's body: `_run` compiled for a concrete `Value`.  The
  /// closure is moved out of the cell (two words, no retain), called, and
  /// released as it goes out of scope — before the outcome is published.
  @inlinable
  final func _runInline() {
    let body = bodySlot.move()
    do {
      storeValue(try body())
    } catch {
      failureSlot.initialize(to: error)  // the word is zero: nothing to release
    }
  }

  deinit {
    // The cell still holds the closure if the task never ran nor was
    // dropped (the submit was refused); the value if it finished without
    // an error; nothing otherwise.
    switch core.snapshot {
    case .pending:
      _ = takeBody()
    case .finished where failure == nil:
      destroyValue()
    default:
      break
    }
  }

  override func _run() {
    // The closure goes the moment it has run.
    let body = takeBody()
    do {
      storeValue(try body())
    } catch {
      failure = error
    }
  }

  override func _fail(_ error: any Error) {
    _ = takeBody()
    failure = error
  }

  override func _dropBody() -> Bool {
    // Called once, at the item's release: the closure is still there only
    // if the task neither ran nor failed (it was cancelled or drained).
    switch core.snapshot {
    case .running, .finished:
      return false
    case .pending, .cancelled:
      _ = takeBody()
      return true
    }
  }

  /// Takes the closure out of the cell, which then holds nothing, and
  /// drops the runner, if any (the failure word is `nil` after it).
  ///
  /// Not `bodySlot.move()`: this code is unspecialised (the worker reaches
  /// it through the vtable), and there `move()` is a call into the
  /// standard library with the metadata of `Body` — a function type over
  /// `Value`, looked up in the runtime's cache once per task.  Instead the
  /// closure is copied through `pointee` (inlined: two words and a retain)
  /// and the cell's own reference to its context is released.  A Swift
  /// closure is two words, the function then its context (a Swift object,
  /// or null when it captures nothing).
  @inline(__always)
  private func takeBody() -> Body {
    runnerWord.pointee = 0  // the runner goes with the closure
    let body = bodySlot.pointee
    if let context = cellAddress.load(fromByteOffset: 8, as: UnsafeRawPointer?.self) {
      Unmanaged<AnyObject>.fromOpaque(context).release()
    }
    return body
  }

  /// Stores the task's value in the cell (or in a box the cell points
  /// to).  Inlinable: the runner stores it specialised for `Value`.
  @inlinable @inline(__always)
  func storeValue(_ value: consuming Value) {
    if Self.valueFitsInline {
      valueSlot.initialize(to: value)
    } else {
      let box = UnsafeMutablePointer<Value>.allocate(capacity: 1)
      box.initialize(to: value)
      cellAddress.storeBytes(of: box, as: UnsafeMutablePointer<Value>.self)
    }
  }

  private func destroyValue() {
    if Self.valueFitsInline {
      // A trivial value (Int, a struct of them) needs nothing.
      if !_isPOD(Value.self) { _ = valueSlot.move() }
    } else {
      let box = valueBox
      _ = box.move()
      box.deallocate()
    }
  }

  /// The value of a future that finished without an error (a copy).
  @inlinable @inline(__always)
  var finishedValue: Value {
    Self.valueFitsInline ? valueSlot.pointee : valueBox.pointee
  }

  /// Waits for the task and returns its value.
  ///
  /// A timeout only bounds this wait: it cancels nothing.
  ///
  /// - Parameter timeout: how long to wait; `nil` waits forever, `.zero`
  ///   only looks.
  /// - Returns: the value the task returned.
  /// - Throws: the task's own error, as it was thrown; `CancellationError`
  ///   if the future was cancelled; ``FuturesError`` `.timedOut` when the
  ///   timeout passes first, `.invalidArgument` for a negative timeout,
  ///   `.deadlock` when called from inside this future's own task.
  @available(
    *, noasync,
    message: "blocks the calling thread; use `try await future.result(timeout:)` or `.value`"
  )
  // Inlinable: the wait is a call to AnyFuture (nothing generic), the
  // value is read in the caller's code, specialised for its Value.
  @inlinable
  public func result(timeout: Duration? = nil) throws -> Value {
    try waitForResult(timeout: timeout)
    if let failure { throw failure }
    return finishedValue
  }

  /// Waits for the task and returns the error it threw, or `nil` if it
  /// returned a value.
  ///
  /// - Parameter timeout: as for ``result(timeout:)-8kjst``.
  /// - Returns: the task's error, or `nil`.
  /// - Throws: `CancellationError` if the future was cancelled; a
  ///   ``FuturesError`` as for ``result(timeout:)-8kjst``.
  @available(
    *, noasync,
    message: "blocks the calling thread; use `try await future.error(timeout:)` or `.thrownError`"
  )
  public func error(timeout: Duration? = nil) throws -> (any Error)? {
    let deadline = try Deadline(timeout: timeout, what: "cannot wait for the error")
    try waitForOutcome(deadline, timeout: timeout)
    return failure
  }

  /// The outcome once done; throws for a timeout or a cancellation.
  @inlinable
  func outcomeBefore(_ deadline: Deadline, timeout: Duration?) throws
    -> Result<Value, any Error>
  {
    try waitForOutcome(deadline, timeout: timeout)
    if let failure { return .failure(failure) }
    return .success(finishedValue)
  }

  /// Calls `callback` with this future once it is done.
  ///
  /// Callbacks run once each, in the order they were added, on the thread
  /// that finished or cancelled the future; one added after the future is
  /// done runs at once, on this thread — unless the completing thread is
  /// still running earlier callbacks: then it runs after them, there.  An error the callback throws is
  /// logged (swift-log, label "ConcurrentFutures" or "PureSwiftFutures",
  /// the module's name) and stops nothing else.
  ///
  /// - Parameter callback: what to run; it must not block for long, since
  ///   it holds up a worker.
  public func addDoneCallback(
    _ callback: @escaping @Sendable (Future<Value>) throws -> Void
  ) {
    core.addCallback { [self] in
      do {
        try callback(self)
      } catch {
        futuresLogger.error(
          "a done-callback threw an error; the other callbacks still run",
          metadata: ["error": "\(error)"])
      }
    }
  }
}

/// Where callback errors go.
let futuresLogger = Logger(label: moduleName)

extension AnyFuture {
  /// Runs the task here, now (run-on-caller backpressure): PENDING ->
  /// RUNNING -> FINISHED on this thread.  Nobody else has the future yet,
  /// so it cannot have been cancelled.
  func runOnCaller() {
    guard core.startOnCaller() else { return }
    runBody()
    core.finishOnCaller()
  }

  /// Sets the must-start-by deadline, before the future is queued.
  func setStartDeadline(_ deadline: Deadline) throws {
    try core.setStartDeadline(deadline)
  }
}
