// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

import Synchronization

/// Fault injection for this package's tests (the C-backed module has the C
/// core's `cf_test_*` hooks).  Not for production use; process-wide.
package enum TestHooks {
  private static let threadStartFailures = Atomic<Int>(0)
  private static let allocationFailures = Atomic<Int>(0)

  /// The next `count` allocations of a queue's ring fail, as a refused
  /// `malloc` would (`Int.max`: until set again).
  package static func failAllocations(_ count: Int) {
    allocationFailures.store(max(0, count), ordering: .sequentiallyConsistent)
  }

  static func takeAllocationFailure() -> Bool { take(allocationFailures) }

  /// The next `count` worker thread starts fail, as a refused
  /// `pthread_create` would (`Int.max`: until set again).
  package static func failThreadStarts(_ count: Int) {
    threadStartFailures.store(max(0, count), ordering: .sequentiallyConsistent)
  }

  static func takeThreadStartFailure() -> Bool {
    take(threadStartFailures)
  }

  private static func take(_ counter: borrowing Atomic<Int>) -> Bool {
    var n = counter.load(ordering: .relaxed)
    while n > 0 {
      let (exchanged, original) = counter.compareExchange(
        expected: n, desired: n == .max ? n : n - 1, ordering: .relaxed)
      if exchanged { return true }
      n = original
    }
    return false
  }
}
