// How an async submit waits for room in a full queue without parking a
// thread.  (The same file is in PureSwiftFutures.)
import Synchronization

/// The async submitters waiting for room in a full queue, process-wide:
/// one list for every pool, so a pool needs no field for it and nothing
/// here outlives anything.  A wake-up for another pool's room is spurious
/// but harmless: the woken submitter retries and, still full, waits again.
///
/// Wake-ups: a worker calls ``itemTaken()`` after it takes an item from a
/// queue; shutdown calls ``wakeAll()``.  The fast path of `itemTaken` is
/// one atomic load (nobody waits).
///
/// No lost wake-up: a waiter registers (count + 1, sequentially
/// consistent) and *then*, under the queue's lock, checks for room.  A
/// worker takes its item under that lock and *then* loads the count.  So
/// either the waiter's check sees the room, or the worker's load sees the
/// waiter.  A shutdown is caught by the epoch: a waiter reads it before its
/// failed try and registers only if no wakeAll() ran since.
final class RoomWaiters: Sendable {
  static let shared = RoomWaiters()

  private struct State {
    var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, Never>)] = []
    var epoch: UInt64 = 0
    var nextID: UInt64 = 0
  }

  private let count = Atomic<Int>(0)
  private let state = Locked(State())

  /// Read before trying to submit; pass to ``waitForRoom(since:hasRoom:)``.
  var epoch: UInt64 { state.withLock { $0.epoch } }

  /// A worker took an item from a queue: room may have appeared.
  func itemTaken() {
    guard count.load(ordering: .sequentiallyConsistent) > 0 else { return }
    wakeAll()
  }

  /// Wakes every waiter (shutdown; or room appeared).
  func wakeAll() {
    let woken = state.withLock { state in
      defer {
        state.waiters.removeAll()
        state.epoch &+= 1
      }
      count.store(0, ordering: .sequentiallyConsistent)
      return state.waiters
    }
    for waiter in woken { waiter.continuation.resume() }
  }

  /// Returns once room may have appeared since `epoch`, at once if
  /// `hasRoom()` (called with this object's lock held; it may take the
  /// queue's lock) says there is, or when the Task is cancelled.
  func waitForRoom(since epoch: UInt64, hasRoom: () -> Bool) async {
    let id = state.withLock { state in
      defer { state.nextID &+= 1 }
      return state.nextID
    }
    await withTaskCancellationHandler {
      await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        let resumeNow = state.withLock { state in
          if Task.isCancelled || state.epoch != epoch { return true }
          state.waiters.append((id, continuation))
          count.add(1, ordering: .sequentiallyConsistent)
          if hasRoom() {
            state.waiters.removeLast()
            count.subtract(1, ordering: .sequentiallyConsistent)
            return true
          }
          return false
        }
        if resumeNow { continuation.resume() }
      }
    } onCancel: {
      let waiter = state.withLock { state in
        state.waiters.firstIndex { $0.id == id }.map { index in
          count.subtract(1, ordering: .sequentiallyConsistent)
          return state.waiters.remove(at: index).continuation
        }
      }
      waiter?.resume()
    }
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
