// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// CFutures, the C core driven directly through its C API: what the Swift
// façade costs on top of it.  The task is a @convention(c) function; its
// argument points into a caller-owned array of Int (one slot per task) that
// holds the input and receives the result; one cf_future per task, created
// with cf_future_create and destroyed once waited for.

import CFutures
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

// The task functions.  Each runs on a worker with CF_TASK_RUN (at most once)
// and then CF_TASK_RELEASE (exactly once); the slot array belongs to the
// caller, so release has nothing to free.

private func cIncrement(_ arg: UnsafeMutableRawPointer?, _ op: cf_task_op) {
  guard op == CF_TASK_RUN, let slot = arg?.assumingMemoryBound(to: Int.self)
  else { return }
  slot.pointee &+= 1
}

private func cSleep1ms(_ arg: UnsafeMutableRawPointer?, _ op: cf_task_op) {
  guard op == CF_TASK_RUN, let slot = arg?.assumingMemoryBound(to: Int.self)
  else { return }
  sleepOneMillisecond()
  slot.pointee &+= 1
}

private func cDouble(_ arg: UnsafeMutableRawPointer?, _ op: cf_task_op) {
  guard op == CF_TASK_RUN, let slot = arg?.assumingMemoryBound(to: Int.self)
  else { return }
  slot.pointee &*= 2
}

/// The gate task: `arg` is an unretained Gate the system keeps alive.
private func cGate(_ arg: UnsafeMutableRawPointer?, _ op: cf_task_op) {
  guard op == CF_TASK_RUN, let arg else { return }
  Unmanaged<Gate>.fromOpaque(arg).takeUnretainedValue().enter()
}

private func check(_ rc: Int32, _ what: @autoclosure () -> String) throws {
  if rc != 0 { throw BenchError("\(what()) failed: errno \(rc)") }
}

final class CFuturesSystem: PoolSystem, @unchecked Sendable {
  // @unchecked Sendable: `pool` is a C pool, safe from any thread.  `slots`
  // is a raw array of which each task in flight owns one element (its
  // `slot`, distinct among tasks in flight): the submitter writes the input
  // before cf_pool_submit (the queue's mutex publishes it), the worker
  // writes the result before cf_future_finish (release), and the waiter
  // reads it after cf_future_wait or cf_waiter_next (acquire).

  static let name = "CFutures"
  static let hasMap = false
  static func capacityNote(_ bound: QueueBound) -> String {
    formatCount(bound.capacity)
  }

  struct Handle {
    let future: OpaquePointer
    let slot: UnsafeMutablePointer<Int>
  }

  private let pool: OpaquePointer
  private let workers: Int
  private let slots: UnsafeMutablePointer<Int>
  private let gate = Gate()
  /// Futures the workload is done with while the pool may still hold their
  /// items, destroyed once it has shut down (see `discard`).
  private let graveyard = Mutex(Graveyard())

  private struct Graveyard: @unchecked Sendable {
    // @unchecked Sendable: C future pointers, only ever destroyed, once,
    // after the pool that used them has joined its workers.
    var shutDown = false
    var futures: [OpaquePointer] = []
  }

  init(workers: Int, bound: QueueBound, slots: Int) throws {
    var options = cf_pool_options(
      max_workers: workers, queue_capacity: bound.capacity,
      thread_name_prefix: nil, worker_init: nil, worker_fini: nil,
      context_release: nil, context: nil)
    var pool: OpaquePointer?
    try check(cf_pool_create(&options, &pool), "cf_pool_create")
    self.pool = pool!
    self.workers = workers
    // Not touched here: W7 counts each slot's page as the tasks fill it,
    // since a C user's result slot is part of a pending task's cost.
    self.slots = .allocate(capacity: max(slots, 1))
  }

  deinit { slots.deallocate() }

  func submit(_ job: Job, input: Int, slot: Int) throws -> Handle {
    let fn: cf_task_fn
    switch job {
    case .increment: fn = cIncrement
    case .sleep1ms: fn = cSleep1ms
    case .double: fn = cDouble
    }
    var future: OpaquePointer?
    try check(cf_future_create(&future), "cf_future_create")
    let slotPointer = slots + slot
    slotPointer.pointee = input
    let rc = cf_pool_submit(pool, fn, slotPointer, future, CF_SUBMIT_BLOCK, nil)
    guard rc == 0 else {
      cf_future_destroy(future)
      throw BenchError("cf_pool_submit failed: errno \(rc)")
    }
    return Handle(future: future!, slot: slotPointer)
  }

  func result(_ handle: Handle) throws -> Int {
    try check(cf_future_wait(handle.future, nil), "cf_future_wait")
    return handle.slot.pointee
  }

  /// Futures are destroyed only once the pool has shut down (joined its
  /// workers), untimed, as a batch C user would.  That is safe under either
  /// rule of cf_future_destroy: with the original one ("the caller must own
  /// the last reference") cf_future_wait could return while the worker was
  /// still inside cf_future_finish, and destroying the future at once
  /// crashed the worker (seen in W2); the refcounted one makes that safe.
  func discard(_ handle: Handle) {
    let destroyNow = graveyard.withLock { state in
      if state.shutDown { return true }
      state.futures.append(handle.future)
      return false
    }
    if destroyNow { cf_future_destroy(handle.future) }
  }

  func sumAsCompleted(_ handles: [Handle]) throws -> Int {
    var waiter: OpaquePointer?
    try check(cf_waiter_create(max(handles.count, 1), &waiter), "cf_waiter_create")
    defer { cf_waiter_destroy(waiter) }
    for (index, handle) in handles.enumerated() {
      try check(cf_waiter_add(waiter, handle.future, index), "cf_waiter_add")
    }
    var sum = 0
    var tag = 0
    while true {
      let rc = cf_waiter_next(waiter, nil, &tag)
      if rc == ENOENT { return sum }
      try check(rc, "cf_waiter_next")
      sum &+= handles[tag].slot.pointee
    }
  }

  func sumOrderedMap(_ inputs: Range<Int>, lookAhead: Int) throws -> Int {
    throw BenchError("the C API has no map")
  }

  func holdWorkers() throws {
    let arg = Unmanaged.passUnretained(gate).toOpaque()
    for _ in 0..<workers {
      try check(
        cf_pool_submit(pool, cGate, arg, nil, CF_SUBMIT_BLOCK, nil),
        "cf_pool_submit (gate)")
    }
    gate.awaitRunning(workers)
  }

  func releaseWorkers() { gate.release(workers) }

  func shutdown() throws {
    try check(cf_pool_shutdown(pool, true, false), "cf_pool_shutdown")
    cf_pool_destroy(pool)
    let dead = graveyard.withLock { state in
      state.shutDown = true
      return state
    }
    for future in dead.futures { cf_future_destroy(future) }
  }
}

/// CF_SPIN_LIMIT_NS in the environment sets the C core's spin-before-park
/// limit for this run (0 turns spinning off), to show what spinning buys.
func applySpinLimitFromEnvironment() -> String {
  if let raw = getenv("CF_SPIN_LIMIT_NS"), let limit = Int64(String(cString: raw)) {
    cf_set_spin_limit(limit)
  }
  return "C core spin-before-park limit: \(cf_spin_limit()) ns (CF_SPIN_LIMIT_NS)"
}
