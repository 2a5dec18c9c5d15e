// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// How an async submit waits for room in a full queue without parking a
// thread, first come first served: each pool's line of suspended submits,
// owned by the pool's engine as ArrayBlockingQueue owns its notFull.
import Synchronization

/// The async submitters waiting for room in one pool's full queue, oldest
/// first.
///
/// First come, first served: a submit that finds others in line lines up
/// behind them instead of trying, and room is offered to the head only.
/// The head that gets in leaves the line and offers any room left to the
/// new head; a head that finds the room gone (taken by a blocking submit
/// or a job, which do not line up) stays the head.  So among async
/// submitters the queue is entered in the order they lined up.
///
/// Wake-ups: the pool's workers call ``itemTaken()`` after they take an
/// item from its queue; shutdown calls ``wakeAll()``.  The fast path of
/// `itemTaken` is one atomic load (nobody waits).
///
/// No lost wake-up: a submitter lines up (count + 1, sequentially
/// consistent) and *then*, under this object's lock and the queue's,
/// checks for room if it is the head.  A worker takes its item under the
/// queue's lock and *then* loads the count.  So either the head's check
/// sees the room, or the worker's load sees the line.  Every change to the
/// line — lining up, leaving, the offer to its head — happens under this
/// object's lock, so the head leaving passes on any room it did not use.
/// A shutdown is caught by the epoch: a submitter reads it before its
/// failed try and, lining up, tries again at once if a wakeAll ran since.
final class RoomWaiters: Sendable {
  /// One submit in the line.  Its vars are read and written only with the
  /// lock of ``RoomWaiters`` held.
  final class Ticket: @unchecked Sendable {
    /// Set while suspended.
    var continuation: CheckedContinuation<Void, Never>?
    /// Told to try (room, shutdown, cancellation, its deadline); cleared
    /// when a try found the queue still full.
    var isWoken = false
    /// Its deadline passed (sticky).
    var isLate = false
    var timer: Task<Void, Never>?
  }

  /// Whether the pool's queue has room now; called with this object's lock
  /// held, so it may take only the queue's lock.
  private let hasRoom: @Sendable () -> Bool
  /// Tickets in the line, for the workers' fast path.
  private let count = Atomic<Int>(0)
  private let epoch = Atomic<UInt64>(0)
  private let tickets = Locked<[Ticket]>([])  // oldest first

  init(hasRoom: @escaping @Sendable () -> Bool) { self.hasRoom = hasRoom }

  /// Submitters in the line now (a test hook).
  var waiting: Int { tickets.withLock { $0.count } }

  /// Runs `attempt` — a submit that throws ``FuturesError`` `.queueFull`
  /// rather than block — until it gets in, suspending in the line while the
  /// queue is full.
  ///
  /// - Parameter deadline: give up with `.timedOut` once it has passed and
  ///   the queue is still full.
  /// - Throws: what `attempt` throws but `.queueFull`; `.timedOut`;
  ///   `CancellationError` when the Task is cancelled while it waits (then
  ///   nothing was queued).
  func submit<T>(
    deadline: ContinuousClock.Instant?, _ attempt: () throws -> T
  ) async throws -> T {
    var seen = epoch.load(ordering: .sequentiallyConsistent)
    if count.load(ordering: .sequentiallyConsistent) == 0 {
      // Nobody waits: nobody to overtake.
      do {
        return try attempt()
      } catch let error as FuturesError where error.code == .queueFull {}
      if let deadline, ContinuousClock.now >= deadline { throw Self.late() }
    }
    try Task.checkCancellation()
    let ticket = Ticket()
    lineUp(ticket, since: seen)
    defer { leave(ticket) }
    if let deadline {
      let timer = Task { [self] in
        do {
          try await Task.sleep(until: deadline, clock: .continuous)
        } catch {
          return  // cancelled: the submit is over
        }
        wake(ticket, late: true)
      }
      tickets.withLock { _ in ticket.timer = timer }
    }
    while true {
      await sleep(ticket)
      try Task.checkCancellation()
      seen = epoch.load(ordering: .sequentiallyConsistent)
      do {
        return try attempt()
      } catch let error as FuturesError where error.code == .queueFull {
        if let deadline, ContinuousClock.now >= deadline { throw Self.late() }
        stillFull(ticket, since: seen)
      }
    }
  }

  private static func late() -> FuturesError {
    FuturesError(
      .timedOut, "cannot submit: the queue stayed full until the deadline")
  }

  /// A worker took an item from the queue: offers the room to the head.
  /// Once per task on a worker, so the check that nobody waits is all
  /// that is inlined: the rest, which needs the continuation's metadata
  /// (looked up at the top of any function that holds one), is apart.
  @inline(__always)
  func itemTaken() {
    guard count.load(ordering: .sequentiallyConsistent) > 0 else { return }
    offerTakenRoom()
  }

  @inline(never)
  private func offerTakenRoom() {
    tickets.withLock { offerRoom(to: $0) }?.resume()
  }

  /// Wakes every submitter in the line (the pool shut down: each tries,
  /// and throws the shut-down error).
  func wakeAll() {
    let woken = tickets.withLock { tickets -> [CheckedContinuation<Void, Never>] in
      epoch.add(1, ordering: .sequentiallyConsistent)
      return tickets.compactMap { ticket in
        ticket.isWoken = true
        defer { ticket.continuation = nil }
        return ticket.continuation
      }
    }
    for continuation in woken { continuation.resume() }
  }

  // Called with the lock held: wakes the head if the queue has room.
  private func offerRoom(to tickets: [Ticket]) -> CheckedContinuation<Void, Never>? {
    guard let head = tickets.first, !head.isWoken, hasRoom() else { return nil }
    head.isWoken = true
    defer { head.continuation = nil }
    return head.continuation
  }

  private func lineUp(_ ticket: Ticket, since seen: UInt64) {
    tickets.withLock { tickets -> CheckedContinuation<Void, Never>? in
      tickets.append(ticket)
      count.add(1, ordering: .sequentiallyConsistent)
      if epoch.load(ordering: .sequentiallyConsistent) != seen {
        ticket.isWoken = true  // shut down since the failed try
        return nil
      }
      // Wakes this ticket if it is the head (it is not suspended yet: no
      // continuation), or a head that has room it has not been offered.
      return offerRoom(to: tickets)
    }?.resume()
  }

  /// A try found the queue full: wait again, unless the ticket is the head
  /// and there is room (taken and given back meanwhile) or it was woken
  /// for shutdown or lateness since `seen`.
  private func stillFull(_ ticket: Ticket, since seen: UInt64) {
    tickets.withLock { tickets -> CheckedContinuation<Void, Never>? in
      ticket.isWoken =
        ticket.isLate
        || epoch.load(ordering: .sequentiallyConsistent) != seen
      guard !ticket.isWoken else { return nil }
      return offerRoom(to: tickets)
    }?.resume()
  }

  /// Leaves the line (in, cancelled, late or refused) and passes the room
  /// on to the next head.
  private func leave(_ ticket: Ticket) {
    tickets.withLock { tickets -> CheckedContinuation<Void, Never>? in
      guard let index = tickets.firstIndex(where: { $0 === ticket }) else { return nil }
      tickets.remove(at: index)
      count.subtract(1, ordering: .sequentiallyConsistent)
      return offerRoom(to: tickets)
    }?.resume()
    tickets.withLock { _ in ticket.timer }?.cancel()
  }

  /// Suspends until the ticket is woken, or returns at once if it was.
  private func sleep(_ ticket: Ticket) async {
    await withTaskCancellationHandler {
      await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        let resumeNow = tickets.withLock { _ in
          if ticket.isWoken || Task.isCancelled { return true }
          ticket.continuation = continuation
          return false
        }
        if resumeNow { continuation.resume() }
      }
    } onCancel: {
      wake(ticket, late: false)
    }
  }

  private func wake(_ ticket: Ticket, late: Bool) {
    tickets.withLock { _ -> CheckedContinuation<Void, Never>? in
      ticket.isWoken = true
      if late { ticket.isLate = true }
      defer { ticket.continuation = nil }
      return ticket.continuation
    }?.resume()
  }
}
