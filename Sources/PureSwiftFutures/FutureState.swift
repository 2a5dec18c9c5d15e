// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// A future's engine in PureSwiftFutures: CPython's `Future` — a mutex, a
// condition and the state, its callbacks and watches under that mutex.

/// What a future is made of in PureSwiftFutures (one per ``AnyFuture``).
final class FutureState: @unchecked Sendable {
  // @unchecked Sendable: every stored var is read and written only while
  // `lock` is held (`startBy`: written before the future is queued, read by
  // the worker that takes it; the queue's lock orders the two).

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
  var startBy = Deadline.none

  private typealias Callbacks = [@Sendable () -> Void]

  /// A removable notification that the future is done (see
  /// ``watch(_:)``): it only wakes someone, so it runs before every
  /// callback and never waits behind one.
  final class Watch: Sendable {
    let notify: @Sendable () -> Void
    init(_ notify: @escaping @Sendable () -> Void) { self.notify = notify }
  }

  init() {}

  /// A PENDING future's state: the future keeps this object.
  static func makeStorage() -> FutureState { FutureState() }

  static func core(of future: AnyFuture) -> FutureState { future.storage }

  func destroy() {}

  var snapshot: FutureStateSnapshot {
    lock.withLock {
      switch state {
      case .pending: .pending
      case .running: .running
      case .cancelled, .cancelledAndNotified: .cancelled
      case .finished: .finished
      }
    }
  }

  var isDone: Bool { lock.withLock { state.isDone } }

  /// True once the future was cancelled because its must-start-by
  /// deadline passed before a worker took it.
  var isExpired: Bool { lock.withLock { expired } }

  /// Worker side, before ``setRunningOrNotifyCancel()``: cancels the
  /// future, marked expired, if its start deadline has passed and it is
  /// still pending.  No deadline: one branch.
  func expireIfLate() {
    guard startBy.time != nil, startBy.hasPassed else { return }
    _ = complete(from: .pending, to: .cancelled, expiring: true)
  }

  func cancel() -> Bool {
    if complete(from: .pending, to: .cancelled) { return true }
    // Not pending any more, so it can only be cancelled if it already was.
    return lock.withLock { state.isCancelled }
  }

  // MARK: Worker side

  /// The one door from PENDING to work (CPython's
  /// `set_running_or_notify_cancel`), called once per future by the thread
  /// that took it from the queue.
  ///
  /// - Returns: `true` (now RUNNING): run the task; `false` (it was
  ///   cancelled, now CANCELLED_AND_NOTIFIED): skip it.
  func setRunningOrNotifyCancel() -> Bool {
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
  func finish(beforeCallbacks: () -> Void = {}) {
    let finished = complete(
      from: .running, to: .finished, beforeCallbacks: beforeCallbacks)
    precondition(finished, "PureSwiftFutures bug: finished a future twice")
  }

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
  func waitDone(_ deadline: Deadline) throws -> Bool {
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

  func addCallback(_ action: @escaping @Sendable () -> Void) {
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
  ///   out); the contract allows `.resourceExhausted`, which the C core's
  ///   watch can throw.
  func watch(_ notify: @escaping @Sendable () -> Void) throws -> Watch? {
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
  func unwatch(_ watch: Watch) -> Bool {
    lock.withLock {
      guard let index = watches.firstIndex(where: { $0 === watch }) else {
        return false
      }
      watches.remove(at: index)
      return true
    }
  }

  func setStartDeadline(_ deadline: Deadline) throws { startBy = deadline }

  /// Nobody else has the future yet (run-on-caller), so it cannot have
  /// been cancelled.
  func startOnCaller() -> Bool { setRunningOrNotifyCancel() }

  func finishOnCaller() { finish() }
}
