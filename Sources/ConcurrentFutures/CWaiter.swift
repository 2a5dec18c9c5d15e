// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// A completion waiter's engine in ConcurrentFutures: one `cf_waiter` of
// the C core.
internal import CFutures

#if canImport(Glibc)
import Glibc
#endif

/// Owns one `cf_waiter`: completions of many futures, in completion order.
final class CWaiter {
  private let pointer: OpaquePointer?
  /// Held until the C waiter is destroyed: their embedded futures are not
  /// reference counted by the core.  (The caller's array itself: no copy.)
  private let futures: Any

  /// No futures: an empty waiter (next() says exhausted at once).  A
  /// future given more than once is watched once, under its first index
  /// (the core refuses the others with EEXIST).
  init<F: AnyFuture>(futures: [F]) throws {
    self.futures = futures
    guard !futures.isEmpty else {
      pointer = nil
      return
    }
    var out: OpaquePointer?
    try checkC(cf_waiter_create(futures.count, &out), "cannot create a waiter")
    pointer = out!
    withAnyFutures(futures) { futures in
      for index in futures.indices {
        let rc = cf_waiter_add(out, futures[index].core.pointer, index)
        precondition(rc == 0 || rc == EEXIST, "cf_waiter_add refused \(rc)")
      }
    }
  }

  deinit { cf_waiter_destroy(pointer) }

  func next(_ deadline: Deadline) -> WaiterNext {
    guard let pointer else { return .exhausted }
    var tag = 0
    let rc = deadline.withPointer { cf_waiter_next(pointer, $0, &tag) }
    switch rc {
    case 0: return .ready(tag)
    case ETIMEDOUT: return .timedOut
    case ENOENT: return .exhausted
    default: preconditionFailure("cf_waiter_next returned \(rc)")
    }
  }

  var remaining: Int {
    guard let pointer else { return 0 }
    return cf_waiter_remaining(pointer)
  }
}
