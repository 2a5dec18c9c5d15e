// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// A completion waiter's engine in PureSwiftFutures: CPython's `_Waiter`.

/// Completions of a fixed set of futures, in the order they happen: the
/// engine of ``asCompleted(_:timeout:cancelOnTimeout:)`` and
/// ``wait(_:timeout:returnWhen:cancelOnTimeout:)``.
///
/// Each watched future has a watch that pushes its tag (its index) when it
/// becomes done — before its callbacks, and at once if it is done already.
/// The one thread that uses the waiter sleeps in ``next(_:)`` until a tag
/// arrives.  Nothing polls.  The tags pushed so far are `ready`, in
/// completion order; the first `taken` of them have been handed out.
final class Waiter: @unchecked Sendable {
  // @unchecked Sendable: every stored var is read and written only while
  // `lock` is held; `futures` never changes.

  private let lock = Lock()
  private let pushed = Condition()
  /// The futures watched, each once, in first-seen order.
  private let futures: [AnyFuture]
  private var ready: [Int] = []
  private var taken = 0
  /// The watch on each future (nil once it fired at registration).
  private var watches: [FutureState.Watch?] = []

  /// A future given more than once is watched once, under its first
  /// index.
  init<F: AnyFuture>(futures given: [F]) throws {
    var seen = Set<ObjectIdentifier>()
    var futures: [AnyFuture] = []
    var tags: [Int] = []
    withAnyFutures(given) { given in
      for tag in given.indices where seen.insert(ObjectIdentifier(given[tag])).inserted {
        futures.append(given[tag])
        tags.append(tag)
      }
    }
    self.futures = futures
    ready.reserveCapacity(futures.count)
    var watches: [FutureState.Watch?] = []
    watches.reserveCapacity(futures.count)
    for (future, tag) in zip(futures, tags) {
      // Weak: a watch that fires after this waiter is gone pushes nothing;
      // deinit drops the watches still registered.
      watches.append(try future.watch { [weak self] in self?.push(tag) })
    }
    lock.withLock { self.watches = watches }
  }

  deinit {
    for (future, watch) in zip(futures, watches) {
      if let watch { future.unwatch(watch) }
    }
  }

  /// Called by a future's watch as it becomes done, on the completing
  /// thread.
  private func push(_ tag: Int) {
    lock.withLock {
      ready.append(tag)
      pushed.signal()  // only one thread ever sleeps here
    }
  }

  func next(_ deadline: Deadline) -> WaiterNext {
    lock.withLock {
      while taken == ready.count && taken < futures.count {
        if !pushed.wait(lock, until: deadline) { break }
      }
      if taken < ready.count {
        taken += 1
        return .ready(ready[taken - 1])
      }
      return taken == futures.count ? .exhausted : .timedOut
    }
  }

  var remaining: Int { lock.withLock { futures.count - taken } }
}
