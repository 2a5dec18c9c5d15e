/// Completions of a fixed set of futures, in the order they happen: the
/// engine of ``asCompleted(_:timeout:)`` and ``wait(_:timeout:returnWhen:)``
/// (CPython's `_Waiter`).
///
/// Each watched future knows the waiter and a tag (the future's index in
/// the caller's array) and pushes the tag when it becomes done; a future
/// already done pushes at once.  The one thread that uses the waiter sleeps
/// in ``next(_:)`` until a tag arrives.  Nothing polls.
///
/// The tags pushed so far are `ready`, in completion order; the first
/// `taken` of them have been handed out.  Each future pushes at most once,
/// so `ready` never holds more than `total` tags.
final class Waiter: @unchecked Sendable {
  // @unchecked Sendable: every stored var is read and written only while
  // `lock` is held.

  /// What ``next(_:)`` found.
  enum Next {
    /// The future with this tag is done.
    case ready(Int)
    /// The deadline passed with futures unfinished.
    case timedOut
    /// Every future was handed out.
    case exhausted
  }

  private let lock = Lock()
  private let pushed = Condition()
  private let total: Int
  private var ready: [Int] = []
  private var taken = 0
  /// The watch on each future (nil once it fired at registration).
  private var watches: [AnyFuture.Watch?] = []

  /// Watches `futures`; the tag of each is its index.  Add each future
  /// once.  Call ``stopWatching(_:)`` with the same futures when done.
  init(watching futures: [some AnyFuture]) {
    total = futures.count
    ready.reserveCapacity(total)
    var watches: [AnyFuture.Watch?] = []
    watches.reserveCapacity(total)
    for (tag, future) in futures.enumerated() {
      // Strong: a push under way keeps this waiter alive (the watches it
      // holds are let go of by stopWatching).
      // try!: the twin's watch never throws (see AnyFuture.watch).
      watches.append(try! future.watch { self.push(tag) })
    }
    lock.withLock { self.watches = watches }
  }

  /// Called by a future as it becomes done, on the completing thread.
  func push(_ tag: Int) {
    lock.withLock {
      ready.append(tag)
      pushed.signal()  // only one thread ever sleeps here
    }
  }

  /// The next done future's tag, in completion order, waiting until one
  /// is done or `deadline` passes.
  func next(_ deadline: Deadline) -> Next {
    lock.withLock {
      while taken == ready.count && taken < total {
        if !pushed.wait(lock, until: deadline) { break }
      }
      if taken < ready.count {
        taken += 1
        return .ready(ready[taken - 1])
      }
      return taken == total ? .exhausted : .timedOut
    }
  }

  /// Futures not yet handed out.
  var remaining: Int { lock.withLock { total - taken } }

  /// Unregisters from `futures`, so those still running do not keep this
  /// waiter alive.
  func stopWatching(_ futures: [some AnyFuture]) {
    let watches = lock.withLock {
      defer { self.watches = [] }
      return self.watches
    }
    for (future, watch) in zip(futures, watches) {
      if let watch { future.unwatch(watch) }
    }
  }
}
