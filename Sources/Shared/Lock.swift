// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

#if canImport(Glibc)
import Glibc
#endif

// A pthread mutex, and a value guarded by one: the lock of the Swift-side
// state in both modules (Python's threading.Lock).
//
// It lives in its own heap allocation because a pthread object must not
// move, and Swift promises no fixed address for a stored property.  A
// pthread call on it can fail only through a bug (a destroyed or foreign
// mutex), so a failure traps.  Not Synchronization.Mutex: its lock lives in
// a module ThreadSanitizer does not instrument, so TSan reports the state
// it guards as racing.

/// A mutual-exclusion lock over `pthread_mutex_t`.
final class Lock: @unchecked Sendable {
  // @unchecked Sendable: a pthread mutex exists to be shared between
  // threads, and `mutex` itself never changes after init.
  /// The mutex itself (PureSwiftFutures' Condition waits on it).
  let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

  init() {
    mutex.initialize(to: pthread_mutex_t())
    check(pthread_mutex_init(mutex, nil), "pthread_mutex_init")
  }

  deinit {
    check(pthread_mutex_destroy(mutex), "pthread_mutex_destroy")
    mutex.deinitialize(count: 1)
    mutex.deallocate()
  }

  func lock() { check(pthread_mutex_lock(mutex), "pthread_mutex_lock") }

  func unlock() { check(pthread_mutex_unlock(mutex), "pthread_mutex_unlock") }

  /// Runs `body` with the lock held.  `body` must not call user code.
  func withLock<Result, Failure: Error>(
    _ body: () throws(Failure) -> Result
  ) throws(Failure) -> Result {
    lock()
    defer { unlock() }
    return try body()
  }
}

/// A value guarded by a ``Lock``.
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

func check(_ rc: Int32, _ call: StaticString) {
  precondition(rc == 0, "ConcurrentFutures bug: \(call) returned \(rc)")
}
