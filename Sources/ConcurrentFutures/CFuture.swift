// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// A future's engine in ConcurrentFutures: one `cf_future` of the C core,
// its callbacks and watches through @convention(c) trampolines.
internal import CFutures

#if canImport(Glibc)
import Glibc
#endif

/// A future's embedded storage: CF_FUTURE_SIZE (16) zero bytes are a
/// PENDING `cf_future` — nothing to allocate, nothing to call.  The first
/// stored property of every AnyFuture; the C core works on it in place.
struct CFutureStorage {
  private var words: (UInt64, UInt64) = (0, 0)
}

/// The C core's view of one future: the address of its embedded
/// `cf_future`.  Not reference counted there: the AnyFuture owns it, and
/// the pool's items and the waiters keep that object alive while they hold
/// its future.
struct CFutureCore: @unchecked Sendable {
  // @unchecked: a cf_future is built for use from any thread (its only
  // state is an atomic word and a list guarded by a bit of that word).
  let pointer: OpaquePointer

  static func makeStorage() -> CFutureStorage { CFutureStorage() }

  /// AnyFuture's `storage`, at a fixed place in the object (see its
  /// layout).
  @inline(__always)
  static func core(of future: AnyFuture) -> CFutureCore {
    CFutureCore(pointer: OpaquePointer(future.storageAddress))
  }

  func destroy() { cf_future_deinit(pointer) }

  var snapshot: FutureStateSnapshot {
    switch cf_future_state(pointer) {
    case CF_PENDING: .pending
    case CF_RUNNING: .running
    case CF_FINISHED: .finished
    default: .cancelled
    }
  }

  var isDone: Bool { cf_future_is_done(pointer) }

  var isExpired: Bool { cf_future_is_expired(pointer) }

  func cancel() -> Bool { cf_future_cancel(pointer) }

  func waitDone(_ deadline: Deadline) throws -> Bool {
    let rc = deadline.withPointer { cf_future_wait(pointer, $0) }
    if rc == ETIMEDOUT { return false }
    try checkC(rc, "cannot wait for the future")
    return true
  }

  func addCallback(_ body: @escaping @Sendable () -> Void) {
    let box = Unmanaged.passRetained(Closure(body)).toOpaque()
    let rc = cf_future_add_done_callback(pointer, closureTrampoline, box)
    if rc != 0 {
      Unmanaged<Closure>.fromOpaque(box).release()
      // Swift itself traps when an allocation fails; so does this, loudly
      // (addDoneCallback cannot throw: CPython's add_done_callback cannot).
      fatalError("ConcurrentFutures: out of memory adding a done-callback")
    }
  }

  /// A registered watch: the C handle and the retained box its trampoline
  /// consumes (or ``unwatch(_:)`` releases, when removed before it fired).
  struct Watch: @unchecked Sendable {
    // @unchecked Sendable: two addresses, used once each by one party.
    let handle: OpaquePointer
    let box: UnsafeMutableRawPointer
  }

  func watch(_ notify: @escaping @Sendable () -> Void) throws -> Watch? {
    let box = Unmanaged.passRetained(Closure(notify)).toOpaque()
    var handle: OpaquePointer?
    let rc = cf_future_watch(pointer, closureTrampoline, box, &handle)
    if rc != 0 {
      Unmanaged<Closure>.fromOpaque(box).release()
      try checkC(rc, "cannot wait for the future")
    }
    return handle.map { Watch(handle: $0, box: box) }
  }

  func unwatch(_ watch: Watch) -> Bool {
    guard cf_future_unwatch(pointer, watch.handle) else { return false }
    Unmanaged<Closure>.fromOpaque(watch.box).release()  // never called
    return true
  }

  func setStartDeadline(_ deadline: Deadline) throws {
    let rc = deadline.withPointer { cf_future_set_start_by(pointer, $0) }
    try checkC(rc, "cannot submit")
  }

  func startOnCaller() -> Bool {
    cf_future_set_running_or_notify_cancel(pointer) == 0
  }

  func finishOnCaller() {
    let rc = cf_future_finish(pointer)
    precondition(rc == 0, "cf_future_finish returned \(rc)")
  }
}

/// A closure handed to C as a retained pointer, run (and released) once.
private final class Closure {
  let body: @Sendable () -> Void
  init(_ body: @escaping @Sendable () -> Void) { self.body = body }
}

private let closureTrampoline:
  @convention(c) (
    UnsafeMutableRawPointer?, OpaquePointer?
  ) -> Void = { arg, _ in
    Unmanaged<Closure>.fromOpaque(arg!).takeRetainedValue().body()
  }
