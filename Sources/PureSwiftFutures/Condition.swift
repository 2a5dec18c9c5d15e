// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

#if canImport(Glibc)
import Glibc
#endif

/// A condition variable over `pthread_cond_t` whose timed waits are
/// measured on CLOCK_MONOTONIC, so a change of the wall clock neither
/// shortens nor stretches them.
///
/// Wake-ups may be spurious: every caller waits in a `while` loop that
/// re-checks its predicate.
final class Condition: @unchecked Sendable {
  // @unchecked Sendable: as for Lock, the condition variable is made to be
  // shared and `cond` never changes after init.
  private let cond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

  init() {
    cond.initialize(to: pthread_cond_t())
    var attributes = pthread_condattr_t()
    check(pthread_condattr_init(&attributes), "pthread_condattr_init")
    check(
      pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC),
      "pthread_condattr_setclock")
    check(pthread_cond_init(cond, &attributes), "pthread_cond_init")
    pthread_condattr_destroy(&attributes)
  }

  deinit {
    check(pthread_cond_destroy(cond), "pthread_cond_destroy")
    cond.deinitialize(count: 1)
    cond.deallocate()
  }

  /// Releases `lock` (which the caller holds), sleeps until signalled or
  /// until `deadline`, and takes `lock` again.
  ///
  /// - Returns: `false` if the deadline passed, `true` otherwise.
  func wait(_ lock: Lock, until deadline: Deadline = .none) -> Bool {
    guard var time = deadline.time else {
      check(pthread_cond_wait(cond, lock.mutex), "pthread_cond_wait")
      return true
    }
    let rc = pthread_cond_timedwait(cond, lock.mutex, &time)
    if rc == ETIMEDOUT { return false }
    check(rc, "pthread_cond_timedwait")
    return true
  }

  /// Wakes one sleeper, if any.
  func signal() { check(pthread_cond_signal(cond), "pthread_cond_signal") }

  /// Wakes every sleeper.
  func broadcast() {
    check(pthread_cond_broadcast(cond), "pthread_cond_broadcast")
  }
}
