// How an async submit waits for room in a full queue without parking a
// thread, first come first served.  (PureSwiftFutures compiles this very file: its
// copy there is a symbolic link to it.)
import Synchronization

/// The async submitters waiting for room in a full queue, process-wide,
/// in one line per pool (keyed by the pool's address), oldest first: a
/// pool needs no field for it and nothing here outlives anything.
///
/// First come, first served: a submit that finds others of its pool in
/// line lines up behind them instead of trying, and room is offered to the
/// head of a line only.  The head that gets in leaves the line and offers
/// any room left to the new head; a head that finds the room gone (taken
/// by a blocking submit or a job, which do not line up) stays the head.
/// So among async submitters the queue is entered in the order they lined
/// up.
///
/// Wake-ups: a worker calls ``itemTaken()`` after it takes an item from a
/// queue (it does not know which pool's: it looks at every line's room);
/// shutdown calls ``wakeAll(line:)``.  The fast path of `itemTaken` is one
/// atomic load (nobody waits).
///
/// No lost wake-up: a submitter lines up (count + 1, sequentially
/// consistent) and *then*, under this object's lock and the queue's,
/// checks for room if it is the head.  A worker takes its item under the
/// queue's lock and *then* loads the count.  So either the head's check
/// sees the room, or the worker's load sees the line.  Every change to a
/// line — lining up, leaving, the offer to its head — happens under this
/// object's lock, so the head leaving passes on any room it did not use.
/// A shutdown is caught by the epoch: a submitter reads it before its
/// failed try and, lining up, tries again at once if a wakeAll ran since.
final class RoomWaiters: Sendable {
  static let shared = RoomWaiters()

  /// One submit in a line.  Its vars are read and written only with the
  /// lock of ``RoomWaiters`` held.
  final class Ticket: @unchecked Sendable {
    let line: UInt
    /// Set while suspended.
    var continuation: CheckedContinuation<Void, Never>?
    /// Told to try (room, shutdown, cancellation, its deadline); cleared
    /// when a try found the queue still full.
    var isWoken = false
    /// Its deadline passed (sticky).
    var isLate = false
    var timer: Task<Void, Never>?

    init(line: UInt) { self.line = line }
  }

  private final class Line {
    var tickets: [Ticket] = []  // oldest first
    let hasRoom: @Sendable () -> Bool
    init(hasRoom: @escaping @Sendable () -> Bool) { self.hasRoom = hasRoom }
  }

  private struct State {
    var lines: [UInt: Line] = [:]
  }

  /// Tickets in every line.
  private let count = Atomic<Int>(0)
  private let epoch = Atomic<UInt64>(0)
  private let state = Locked(State())

  /// Submitters in the line of `line` now (a test hook).
  func waiting(line: UInt) -> Int {
    state.withLock { $0.lines[line]?.tickets.count ?? 0 }
  }

  /// Runs `attempt` — a submit that throws ``FuturesError`` `.queueFull`
  /// rather than block — until it gets in, suspending in the line of
  /// `line` while the queue is full.
  ///
  /// - Parameters:
  ///   - line: the pool's key.
  ///   - hasRoom: whether the pool's queue has room now; called with this
  ///     object's lock held, so it may take only the queue's lock.
  ///   - deadline: give up with `.timedOut` once it has passed and the
  ///     queue is still full.
  /// - Throws: what `attempt` throws but `.queueFull`; `.timedOut`;
  ///   `CancellationError` when the Task is cancelled while it waits (then
  ///   nothing was queued).
  func submit<T>(
    line key: UInt, hasRoom: @escaping @Sendable () -> Bool,
    deadline: ContinuousClock.Instant?, _ attempt: () throws -> T
  ) async throws -> T {
    var seen = epoch.load(ordering: .sequentiallyConsistent)
    if count.load(ordering: .sequentiallyConsistent) == 0 {
      // Nobody waits anywhere: nobody to overtake.
      do {
        return try attempt()
      } catch let error as FuturesError where error.code == .queueFull {}
      if let deadline, ContinuousClock.now >= deadline { throw Self.late() }
    }
    try Task.checkCancellation()
    let ticket = Ticket(line: key)
    lineUp(ticket, hasRoom: hasRoom, since: seen)
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
      state.withLock { _ in ticket.timer = timer }
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

  /// A worker took an item from a queue: offers the room to the head of
  /// every line whose pool has room.
  func itemTaken() {
    guard count.load(ordering: .sequentiallyConsistent) > 0 else { return }
    let woken = state.withLock { state in
      state.lines.values.compactMap { Self.offerRoom(to: $0) }
    }
    for continuation in woken { continuation.resume() }
  }

  /// Wakes every submitter in the line of `line` (its pool shut down:
  /// each tries, and throws the shut-down error).
  func wakeAll(line key: UInt) {
    let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
      epoch.add(1, ordering: .sequentiallyConsistent)
      guard let line = state.lines[key] else { return [] }
      return line.tickets.compactMap { ticket in
        ticket.isWoken = true
        defer { ticket.continuation = nil }
        return ticket.continuation
      }
    }
    for continuation in woken { continuation.resume() }
  }

  // Called with the lock held: wakes the line's head if its pool has room.
  private static func offerRoom(to line: Line) -> CheckedContinuation<Void, Never>? {
    guard let head = line.tickets.first, !head.isWoken, line.hasRoom() else {
      return nil
    }
    head.isWoken = true
    defer { head.continuation = nil }
    return head.continuation
  }

  private func lineUp(
    _ ticket: Ticket, hasRoom: @escaping @Sendable () -> Bool,
    since seen: UInt64
  ) {
    let head = state.withLock { state -> CheckedContinuation<Void, Never>? in
      let line = state.lines[ticket.line] ?? Line(hasRoom: hasRoom)
      state.lines[ticket.line] = line
      line.tickets.append(ticket)
      count.add(1, ordering: .sequentiallyConsistent)
      if epoch.load(ordering: .sequentiallyConsistent) != seen {
        ticket.isWoken = true  // shut down since the failed try
        return nil
      }
      // Wakes this ticket if it is the head (it is not suspended yet: no
      // continuation), or a head that has room it has not been offered.
      return Self.offerRoom(to: line)
    }
    head?.resume()
  }

  /// A try found the queue full: wait again, unless the ticket is the head
  /// and there is room (taken and given back meanwhile) or it was woken
  /// for shutdown or lateness since `seen`.
  private func stillFull(_ ticket: Ticket, since seen: UInt64) {
    let head = state.withLock { state -> CheckedContinuation<Void, Never>? in
      ticket.isWoken = ticket.isLate
        || epoch.load(ordering: .sequentiallyConsistent) != seen
      guard !ticket.isWoken, let line = state.lines[ticket.line] else {
        return nil
      }
      return Self.offerRoom(to: line)
    }
    head?.resume()
  }

  /// Leaves the line (in, cancelled, late or refused) and passes the room
  /// on to the next head.
  private func leave(_ ticket: Ticket) {
    let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
      guard let line = state.lines[ticket.line],
        let index = line.tickets.firstIndex(where: { $0 === ticket })
      else { return nil }
      line.tickets.remove(at: index)
      count.subtract(1, ordering: .sequentiallyConsistent)
      if line.tickets.isEmpty {
        state.lines[ticket.line] = nil
        return nil
      }
      return Self.offerRoom(to: line)
    }
    next?.resume()
    state.withLock { _ in ticket.timer }?.cancel()
  }

  /// Suspends until the ticket is woken, or returns at once if it was.
  private func sleep(_ ticket: Ticket) async {
    await withTaskCancellationHandler {
      await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        let resumeNow = state.withLock { _ in
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
    let continuation = state.withLock { _ -> CheckedContinuation<Void, Never>? in
      ticket.isWoken = true
      if late { ticket.isLate = true }
      defer { ticket.continuation = nil }
      return ticket.continuation
    }
    continuation?.resume()
  }
}

/// A value guarded by a ``Lock`` (a pthread mutex, which ThreadSanitizer
/// understands; Synchronization.Mutex's lock lives in an uninstrumented
/// module, and TSan then reports the state it guards as racing).
final class Locked<State>: @unchecked Sendable {
  // @unchecked Sendable: `state` is read and written only with `lock` held.
  private let lock = Lock()
  private var state: State

  init(_ state: State) { self.state = state }

  /// Runs `body` on the state with the lock held.  `body` must not call
  /// user code.
  func withLock<Result>(_ body: (inout State) throws -> Result) rethrows
    -> Result
  {
    lock.lock()
    defer { lock.unlock() }
    return try body(&state)
  }
}
