import Logging

/// What every future has, whatever its value type: its state, cancellation
/// and waiting.  ``Future`` adds the typed result.
///
/// `AnyFuture` lets ``asCompleted(_:timeout:)`` and
/// ``wait(_:timeout:returnWhen:)`` take futures of different value types
/// (and from different executors) in one call.  You never create one
/// yourself: ``ThreadPoolExecutor/submit(_:)`` hands out ``Future``s.
///
/// Futures are equal when they are the same future.
///
/// State diagram (Python's, with its names):
///
///     PENDING ──start──▶ RUNNING ──finish──▶ FINISHED
///        │
///        └──cancel()──▶ CANCELLED ──(worker skips it once)──▶ CANCELLED
///
/// `isDone` is true from the moment a future is cancelled or finished.
public class AnyFuture: Hashable, @unchecked Sendable {
  // @unchecked Sendable: every stored var here is read and written only
  // while `lock` is held.  (Future's own fields are justified there.)

  /// CPython's five states.  Each arrow is taken by exactly one thread:
  ///
  ///                setRunningOrNotifyCancel             finish
  ///     pending ───────────────────────────▶ running ──────────▶ finished
  ///        │
  ///        │ cancel
  ///        ▼         setRunningOrNotifyCancel
  ///     cancelled ─────────────────────────▶ cancelledAndNotified
  ///               (the worker saw it and skipped it, exactly once)
  enum State {
    case pending, running, cancelled, cancelledAndNotified, finished

    var isDone: Bool {
      switch self {
      case .pending, .running: false
      case .cancelled, .cancelledAndNotified, .finished: true
      }
    }

    var isCancelled: Bool {
      self == .cancelled || self == .cancelledAndNotified
    }
  }

  private let lock = Lock()
  /// Broadcast once, when the state becomes done.
  private let becameDone = Condition()
  private var state = State.pending
  /// Run once each, in order, when the state becomes done; then emptied.
  private var callbacks: Callbacks = []
  /// The completing thread is still running callbacks: one added now is
  /// appended (and run after the earlier ones), not run at once.
  private var isCalling = false
  /// Told once each, when the state becomes done, before any callback;
  /// then emptied.  One added once the future is done runs at once.
  private var watches: [Watch] = []
  /// Cancelled because the must-start-by deadline passed in the queue.
  private var expired = false

  /// The must-start-by deadline, or none.  Set before the future is
  /// queued and read by the worker that takes it (the queue's lock orders
  /// the two).
  final var startBy = Deadline.none

  private typealias Callbacks = [@Sendable () -> Void]

  /// A removable notification that the future is done (see
  /// ``watch(_:)``): it only wakes someone, so it runs before every
  /// callback and never waits behind one.
  final class Watch: Sendable {
    let notify: @Sendable () -> Void
    init(_ notify: @escaping @Sendable () -> Void) { self.notify = notify }
  }

  init() {}

  /// True once the future was cancelled.
  public final var isCancelled: Bool { lock.withLock { state.isCancelled } }

  /// True while the task is running.
  public final var isRunning: Bool { lock.withLock { state == .running } }

  /// True once the future is cancelled or its task has finished
  /// (successfully or not).
  public final var isDone: Bool { lock.withLock { state.isDone } }

  /// True once the future was cancelled because its must-start-by
  /// deadline passed before a worker took it.
  final var isExpired: Bool { lock.withLock { expired } }

  /// Worker side, before ``setRunningOrNotifyCancel()``: cancels the
  /// future, marked expired, if its start deadline has passed and it is
  /// still pending.  No deadline: one branch.
  final func expireIfLate() {
    guard startBy.time != nil, startBy.hasPassed else { return }
    _ = complete(from: .pending, to: .cancelled, expiring: true)
  }

  /// True once the task has finished (not cancelled).
  final var isFinished: Bool { lock.withLock { state == .finished } }

  /// Cancels the task if it has not started yet.
  ///
  /// On success the future is done at once, for every thread: waiters wake
  /// and the done-callbacks run on this thread before `cancel()` returns.
  /// A running or finished task is not touched.
  ///
  /// - Returns: `true` if the future is cancelled (now or earlier); `false`
  ///   if the task is running or has finished.
  @discardableResult
  public final func cancel() -> Bool {
    if complete(from: .pending, to: .cancelled) { return true }
    // Not pending any more, so it can only be cancelled if it already was.
    return isCancelled
  }

  // MARK: Worker side

  /// The one door from PENDING to work (CPython's
  /// `set_running_or_notify_cancel`), called once per future by the thread
  /// that took it from the queue.
  ///
  /// - Returns: `true` (now RUNNING): run the task; `false` (it was
  ///   cancelled, now CANCELLED_AND_NOTIFIED): skip it.
  final func setRunningOrNotifyCancel() -> Bool {
    lock.withLock {
      switch state {
      case .pending:
        state = .running
        return true
      case .cancelled:
        state = .cancelledAndNotified
        return false
      case .running, .cancelledAndNotified, .finished:
        preconditionFailure(
          "PureSwiftFutures bug: a future left the queue twice (\(state))")
      }
    }
  }

  /// RUNNING → FINISHED, after the subclass has stored the outcome;
  /// `beforeCallbacks` runs once just before the first done-callback (not
  /// at all when there is none): the pool's liveness step.
  final func finish(beforeCallbacks: () -> Void = {}) {
    let finished = complete(
      from: .running, to: .finished, beforeCallbacks: beforeCallbacks)
    precondition(finished, "PureSwiftFutures bug: finished a future twice")
  }

  // Overridden by Future<Value>: run the body and store its outcome (do
  // not publish it: `finish()` does).
  func runBody() {}
  // Overridden by Future<Value>: let go of the body (it will not run).
  func dropBody() {}
  // Overridden by Future<Value>: store `error` as the outcome without
  // running the body (the pool is broken; `finish()` publishes it).
  func failBody(_ error: any Error) {}
  // Overridden by Future<Value>: finished with an error.
  var _hasFailed: Bool { false }

  /// Moves from `expected` to the done state `done`, then tells everyone:
  /// wakes the threads in ``waitDone(_:)``, runs the watches (waiters
  /// first: a done future is reported done at once), then the callbacks
  /// in the order they were added.  The last two happen after the lock is
  /// released, so they may call anything on this future.
  ///
  /// - Returns: `false`, changing nothing, if the state was not `expected`.
  private func complete(
    from expected: State, to done: State, expiring: Bool = false,
    beforeCallbacks: () -> Void = {}
  ) -> Bool {
    let told = lock.withLock { () -> [Watch]? in
      guard state == expected else { return nil }
      state = done
      expired = expiring
      isCalling = true
      becameDone.broadcast()
      let told = watches
      watches = []
      return told
    }
    guard let watches = told else { return false }
    for watch in watches { watch.notify() }
    // One callback at a time, so one added meanwhile (even by a callback)
    // still runs after the ones added before it.
    var first = true
    while let callback = lock.withLock({ () -> (@Sendable () -> Void)? in
      if callbacks.isEmpty {
        isCalling = false
        return nil
      }
      return callbacks.removeFirst()
    }) {
      if first { beforeCallbacks() }
      first = false
      callback()
    }
    return true
  }

  // MARK: Waiting

  /// Blocks until the future is done or `deadline` passes.
  ///
  /// - Returns: `true` if done.
  /// - Throws: ``FuturesError`` `.deadlock` when called from inside this
  ///   future's own task (it could never finish).
  final func waitDone(_ deadline: Deadline) throws -> Bool {
    if CurrentThread.isRunning(self) {
      throw FuturesError(
        .deadlock,
        "cannot wait for the future: a task cannot wait for its own future")
    }
    return lock.withLock {
      while !state.isDone {
        if !becameDone.wait(lock, until: deadline) { return state.isDone }
      }
      return true
    }
  }

  /// Runs `action` once, when the future is done; at once, on this
  /// thread, if it already is.
  final func whenDone(_ action: @escaping @Sendable () -> Void) {
    let runNow = lock.withLock {
      if state.isDone && !isCalling { return true }
      callbacks.append(action)
      return false
    }
    if runNow { action() }
  }

  /// Runs `notify` once, when the future is done — before any callback,
  /// and at once, on this thread, if it is done already (even while its
  /// completer still runs callbacks).
  ///
  /// - Returns: the handle for ``unwatch(_:)``, or `nil` if `notify` ran
  ///   now.
  /// - Throws: never here (Swift's own allocations trap when memory runs
  ///   out); the C-backed module's watch throws `.resourceExhausted`, and
  ///   the code both modules share calls it with `try`.
  final func watch(_ notify: @escaping @Sendable () -> Void) throws -> Watch? {
    let watch = Watch(notify)
    let isDone = lock.withLock {
      if state.isDone { return true }
      watches.append(watch)
      return false
    }
    if isDone {
      notify()
      return nil
    }
    return watch
  }

  /// Drops a watch: true if its `notify` had not run and now never will;
  /// false if it ran or is running on the completing thread.
  @discardableResult
  final func unwatch(_ watch: Watch) -> Bool {
    lock.withLock {
      guard let index = watches.firstIndex(where: { $0 === watch }) else {
        return false
      }
      watches.remove(at: index)
      return true
    }
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
  // @unchecked Sendable: `body` is touched only by the one thread that took
  // the future from the queue (the queue's lock orders it after init).
  // `outcome` is written by that thread before `finish()` takes the lock to
  // publish FINISHED, and read only after reading FINISHED under the same
  // lock, so the lock orders every read after the write.
  private var body: (@Sendable () throws -> Value)?
  private var outcome: Result<Value, any Error>?

  // `throws` though it never throws: the C-backed Future's init can (an
  // allocation), and the files both modules compile say `try Future(body)`.
  init(_ body: @escaping @Sendable () throws -> Value) throws {
    self.body = body
    super.init()
  }

  override func runBody() {
    guard let body else { return }
    self.body = nil  // let go of the closure the moment it has run
    outcome = Result(catching: body)
  }

  override func dropBody() { body = nil }

  override func failBody(_ error: any Error) {
    body = nil
    outcome = .failure(error)
  }

  override var _hasFailed: Bool {
    guard isFinished, case .failure = outcome else { return false }
    return true
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
    *, noasync, message: "blocks the calling thread; use `try await future.result(timeout:)` or `.value`"
  )
  public func result(timeout: Duration? = nil) throws -> Value {
    let deadline = try Deadline(
      timeout: timeout, what: "cannot wait for the result")
    return try outcomeBefore(deadline, timeout: timeout).get()
  }

  /// Waits for the task and returns the error it threw, or `nil` if it
  /// returned a value.
  ///
  /// - Parameter timeout: as for ``result(timeout:)``.
  /// - Returns: the task's error, or `nil`.
  /// - Throws: `CancellationError` if the future was cancelled; a
  ///   ``FuturesError`` as for ``result(timeout:)``.
  @available(
    *, noasync,
    message: "blocks the calling thread; use `try await future.error(timeout:)` or `.thrownError`"
  )
  public func error(timeout: Duration? = nil) throws -> (any Error)? {
    let deadline = try Deadline(
      timeout: timeout, what: "cannot wait for the error")
    let outcome = try outcomeBefore(deadline, timeout: timeout)
    if case .failure(let error) = outcome { return error }
    return nil
  }

  /// The outcome once done; `deadline` bounds the wait, `timeout` is what
  /// the message names.
  ///
  /// - Throws: ``FuturesError`` `.timedOut` or `.deadlock`;
  ///   `CancellationError` for a cancelled future.
  func outcomeBefore(_ deadline: Deadline, timeout: Duration?) throws
    -> Result<Value, any Error>
  {
    guard try waitDone(deadline) else {
      throw FuturesError(
        .timedOut,
        "timed out after \(Timeouts.describe(timeout)) waiting for a result")
    }
    return try doneOutcome()
  }

  /// The outcome of a future known to be done; throws for a cancellation.
  func doneOutcome() throws -> Result<Value, any Error> {
    if isCancelled {
      throw isExpired ? Timeouts.deadlineExpired : CancellationError()
    }
    return outcome!
  }

  /// Calls `callback` with this future once it is done.
  ///
  /// Callbacks run once each, in the order they were added, on the thread
  /// that finished or cancelled the future; one added after the future is
  /// done runs at once, on this thread — unless the completing thread is
  /// still running earlier callbacks: then it runs after them, there.  An error the callback throws is
  /// logged (swift-log, label "PureSwiftFutures") and stops nothing else.
  ///
  /// - Parameter callback: what to run; it must not block for long, since
  ///   it holds up a worker.
  public func addDoneCallback(
    _ callback: @escaping @Sendable (Future<Value>) throws -> Void
  ) {
    whenDone { [self] in
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
let futuresLogger = Logger(label: "PureSwiftFutures")

extension AnyFuture {
  /// Runs the task here, now (run-on-caller backpressure): PENDING ->
  /// RUNNING -> FINISHED on this thread.  Nobody else has the future yet,
  /// so it cannot have been cancelled.
  func runOnCaller() {
    guard setRunningOrNotifyCancel() else { return }
    runBody()
    finish()
  }

  /// Sets the must-start-by deadline, before the future is queued.
  func setStartDeadline(_ deadline: Deadline) {
    startBy = deadline
  }
}
