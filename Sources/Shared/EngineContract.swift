// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// The contract between the code both modules share (this folder, linked
// into Sources/ConcurrentFutures and Sources/PureSwiftFutures and compiled
// into each) and each module's engine: the C core (ConcurrentFutures) or
// Swift alone (PureSwiftFutures).
//
// The shared files call an engine only through the requirements below.
// Each module names its conforming types in its Engine.swift
// (`typealias FutureCore = …`, `PoolCore`, `WaiterCore`) and states the
// conformances there, so the compiler checks this contract in both; the
// shared files use those concrete names, so calls stay direct (no
// existential boxes, nothing left unspecialised).

/// A future's state as the public API reports it.
enum FutureStateSnapshot { case pending, running, cancelled, finished }

/// What a future is made of in an engine: the state machine of CPython's
/// future (PENDING → RUNNING → FINISHED, PENDING → CANCELLED), its waiting,
/// its done-callbacks and watches.  Owned by exactly one ``AnyFuture``.
protocol FutureEngine: Sendable {
  /// What a future keeps of its engine: the first stored property of
  /// ``AnyFuture``, in the same allocation as the outcome (the C core's
  /// state word and listener list live right there).
  associatedtype Storage
  /// A removable notification (see ``watch(_:)``).
  associatedtype Watch: Sendable

  /// The storage of a PENDING future (made in the future's own allocation
  /// where the engine can: nothing to fail).
  static func makeStorage() -> Storage

  /// The engine's view of `future` (cheap: made at each use).
  static func core(of future: AnyFuture) -> Self

  /// Lets go of what the engine still holds for it (the owner's deinit).
  func destroy()

  var snapshot: FutureStateSnapshot { get }
  var isDone: Bool { get }
  /// Cancelled because its must-start-by deadline passed while queued.
  var isExpired: Bool { get }

  /// PENDING → CANCELLED (waiters woken, callbacks run here); true if it is
  /// cancelled (now or before), false if RUNNING or FINISHED (unchanged).
  func cancel() -> Bool

  /// Blocks until done or `deadline`; true if done.
  ///
  /// - Throws: ``FuturesError`` `.deadlock` from inside the future's own
  ///   task.
  func waitDone(_ deadline: Deadline) throws -> Bool

  /// Runs `body` once when done, after the callbacks added before it; at
  /// once, here, if done and its completer has finished callbacks.
  func addCallback(_ body: @escaping @Sendable () -> Void)

  /// Runs `notify` once when done — before any callback, at once if done
  /// already (then returns nil).  `notify` must not block.
  ///
  /// - Throws: ``FuturesError`` `.resourceExhausted` when it cannot be
  ///   registered (the twin never throws: Swift's own allocations trap).
  func watch(_ notify: @escaping @Sendable () -> Void) throws -> Watch?

  /// Drops a watch: true if `notify` had not run and now never will.
  func unwatch(_ watch: Watch) -> Bool

  /// Sets the must-start-by deadline; before the future is queued.
  ///
  /// - Throws: ``FuturesError`` `.resourceExhausted` (memory).
  func setStartDeadline(_ deadline: Deadline) throws

  /// PENDING → RUNNING on the caller's thread (run-on-caller
  /// backpressure); false if it was cancelled.
  func startOnCaller() -> Bool

  /// RUNNING → FINISHED on the caller's thread, the outcome stored.
  func finishOnCaller()
}

/// What a submit does when the queue is full.
enum WhenFull {
  /// Wait for room until the deadline.
  case block(Deadline)
  /// Throw ``FuturesError`` `.queueFull` at once.
  case reject
}

/// What a thread pool is made of in an engine: a bounded queue of futures
/// (and Swift Concurrency jobs), its workers and their hooks.  Owned by one
/// ``ThreadPoolExecutor``; its workers may outlive it.
protocol PoolEngine: Sendable {
  /// A pool; no thread starts until the first submit.  The arguments are
  /// checked by the caller.
  ///
  /// - Throws: ``FuturesError`` `.resourceExhausted` (memory).
  init(
    maxWorkers: Int, queueCapacity: Int, threadNamePrefix: String,
    initializer: (@Sendable () throws -> Void)?, finalizer: (@Sendable () -> Void)?
  ) throws

  /// Queues `future` (its body runs on a worker through `AnyFuture._run`,
  /// `_fail` or `_dropBody`, exactly one of them, once).
  ///
  /// - Throws: ``FuturesError`` `.shutDown`, `.queueFull` (reject),
  ///   `.timedOut` (block with a deadline), `.brokenPool`,
  ///   `.resourceExhausted` (no worker could start, or memory).
  func submit(_ future: AnyFuture, whenFull: WhenFull) throws

  /// Queues a Swift Concurrency job without ever blocking; false (nothing
  /// queued) when the queue is full, the pool is shut down or no worker
  /// can start.  A worker runs it as `executor`.
  func execute(_ job: UnownedJob, as executor: ThreadPoolExecutor) -> Bool

  /// Stops accepting work, optionally cancels what has not started (jobs go
  /// to the global executor), wakes suspended async submits, and with
  /// `wait` joins the workers (not from one of them).  Idempotent.
  func shutdown(wait: Bool, cancelPending: Bool)

  /// Joins the workers on a short-lived thread of its own, named
  /// `cf-shutdown`, and then calls `done` there; false if no thread could
  /// be started (nothing was called).
  func joinInBackground(then done: @escaping @Sendable () -> Void) -> Bool

  /// The owner lets go without blocking: queued work still runs, then the
  /// workers exit on their own.
  func release()

  var threadCount: Int { get }
  var queuedCount: Int { get }
  var isCurrentThreadWorker: Bool { get }
  var isBroken: Bool { get }

  /// The line of async submits waiting for room in this pool's queue, told
  /// by the workers as they take items.
  var room: RoomWaiters { get }
}

/// What a completion waiter is made of in an engine: the completions of a
/// fixed set of futures, in the order they happen (CPython's `_Waiter`),
/// behind `asCompleted` and `wait`.  Used by one thread at a time.
protocol CompletionWaiter: AnyObject {
  /// Watches `futures`; a future's tag is its index.  A future given more
  /// than once is watched once, under its first index.  Keeps `futures`
  /// alive (the array itself, not a copy).
  ///
  /// - Throws: ``FuturesError`` `.resourceExhausted` (memory).
  init<F: AnyFuture>(futures: [F]) throws

  /// The next done future's tag, waiting until one is done or `deadline`
  /// passes; a future done by then is never reported as timed out.
  func next(_ deadline: Deadline) -> WaiterNext

  /// Futures not yet taken.
  var remaining: Int { get }
}

/// `body` with `futures` seen as `AnyFuture` references, without a copy.
///
/// The waiters are generic over the caller's future type, and their
/// callers (`asCompleted`, `wait`) are public generic functions the
/// optimiser does not specialise: a loop over `[F]` there would look up
/// generic metadata per element.  `F` is a class, so the array's elements
/// are references to `AnyFuture`s already; the loop runs over them as such.
func withAnyFutures<F: AnyFuture, R>(
  _ futures: [F], _ body: (UnsafeBufferPointer<AnyFuture>) throws -> R
) rethrows -> R {
  try futures.withUnsafeBufferPointer { buffer in
    let start = UnsafeRawPointer(buffer.baseAddress)?.assumingMemoryBound(to: AnyFuture.self)
    return try body(UnsafeBufferPointer(start: start, count: buffer.count))
  }
}

/// What ``CompletionWaiter/next(_:)`` found.
enum WaiterNext {
  /// The future with this tag is done.
  case ready(Int)
  /// The deadline passed with futures unfinished.
  case timedOut
  /// Every future was taken.
  case exhausted
}
