// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

#if canImport(Glibc)
import Glibc
#endif

/// What the calling thread is doing for this module, kept in pthread
/// thread-specific slots: the pool it works for (so `shutdown(wait: true)`
/// from inside a task does not join its own thread) and the future whose
/// task it runs (so `result()` from inside that task throws instead of
/// waiting forever).
///
/// Only identities are stored (an object's address, unretained): the
/// worker holds the pool and the future strongly for as long as the slot
/// names them.
enum CurrentThread {
  // Static lets are initialised once, on first use, safely across threads.
  private static let poolKey = makeKey()
  private static let futureKey = makeKey()

  /// Marks the calling thread as a worker of `pool`, or of none.
  static func setPool(_ pool: AnyObject?) { set(poolKey, pool) }

  /// True when the calling thread is one of `pool`'s workers.
  static func isWorker(of pool: AnyObject) -> Bool { get(poolKey, is: pool) }

  /// Marks the calling thread as running `future`'s task, or none.
  static func setFuture(_ future: AnyObject?) { set(futureKey, future) }

  /// True when the calling thread is running `future`'s task.
  static func isRunning(_ future: AnyObject) -> Bool {
    get(futureKey, is: future)
  }

  private static func makeKey() -> pthread_key_t {
    var key = pthread_key_t()
    let rc = pthread_key_create(&key, nil)
    precondition(rc == 0, "PureSwiftFutures: pthread_key_create returned \(rc)")
    return key
  }

  private static func set(_ key: pthread_key_t, _ object: AnyObject?) {
    let address = object.map { Unmanaged.passUnretained($0).toOpaque() }
    let rc = pthread_setspecific(key, address)
    precondition(rc == 0, "PureSwiftFutures: pthread_setspecific gave \(rc)")
  }

  private static func get(_ key: pthread_key_t, is object: AnyObject) -> Bool {
    pthread_getspecific(key) == Unmanaged.passUnretained(object).toOpaque()
  }
}
