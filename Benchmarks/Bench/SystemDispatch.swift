// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// Dispatch: what a Swift user reaches for first — one concurrent
// DispatchQueue, with a future made of a DispatchGroup and a result slot.
//
// A concurrent queue has no worker count: libdispatch sizes its own thread
// pool, so the workloads' P does not apply (the table says so).  It has no
// queue bound either: W6 bounds it with a counting semaphore.

import Dispatch

/// The smallest honest future over Dispatch: `queue.async(group:)` enters
/// the group at submit and leaves it after the block has stored the value.
final class DispatchFuture<Value: Sendable>: @unchecked Sendable {
  // @unchecked Sendable: `value` is written once, by the block, before the
  // block returns and the group is left; it is read only after
  // `group.wait()` returns or inside a `group.notify` block, both of which
  // happen after that leave.
  let group = DispatchGroup()
  var value: Value?

  /// Blocks until the block has run; its value.
  func wait() -> Value {
    group.wait()
    return value!
  }
}

final class DispatchSystem: PoolSystem {
  static let name = "Dispatch"
  static let hasMap = true  // hand-made: see sumOrderedMap
  static func capacityNote(_ bound: QueueBound) -> String {
    switch bound {
    case .atLeast: "unbounded"
    case .exactly(let n): "unbounded, bounded by a semaphore of \(formatCount(n)) permits"
    }
  }

  private let queue = DispatchQueue(
    label: "bench.dispatch", attributes: .concurrent)
  /// W6 only: taken before each submit, given back when the task has run.
  private let permits: DispatchSemaphore?

  init(workers: Int, bound: QueueBound, slots: Int) throws {
    switch bound {
    case .atLeast: permits = nil
    case .exactly(let n): permits = DispatchSemaphore(value: n)
    }
  }

  func submit(_ job: Job, input: Int, slot: Int) throws -> DispatchFuture<Int> {
    let future = DispatchFuture<Int>()
    let permits = self.permits
    permits?.wait()
    // One block per task, written out per job so that no second closure is
    // allocated around the work.
    switch job {
    case .increment:
      queue.async(group: future.group) {
        future.value = input &+ 1
        permits?.signal()
      }
    case .sleep1ms:
      queue.async(group: future.group) {
        sleepOneMillisecond()
        future.value = input &+ 1
        permits?.signal()
      }
    case .double:
      queue.async(group: future.group) {
        future.value = input &* 2
        permits?.signal()
      }
    }
    return future
  }

  func result(_ handle: DispatchFuture<Int>) throws -> Int { handle.wait() }

  /// as_completed the Dispatch way: `group.notify` on each future pushes its
  /// value to a list the caller takes from in completion order.
  func sumAsCompleted(_ handles: [DispatchFuture<Int>]) throws -> Int {
    let order = CompletionOrder(capacity: handles.count)
    for future in handles {
      future.group.notify(queue: queue) { order.push(future.value!) }
    }
    var sum = 0
    for index in handles.indices { sum &+= order.take(index) }
    return sum
  }

  /// Dispatch has no ordered map: the hand-made one keeps at most
  /// `lookAhead` (W4: 256) blocks in flight, as
  /// ConcurrentFutures' map does, so memory compares fairly.
  func sumOrderedMap(_ inputs: Range<Int>, lookAhead: Int) throws -> Int {
    try boundedLookAheadMapSum(inputs, lookAhead: lookAhead)
  }

  /// A concurrent queue would run other blocks beside a gate block, so the
  /// Dispatch gate is the queue's own: suspend it.
  func holdWorkers() throws { queue.suspend() }

  func releaseWorkers() { queue.resume() }

  /// Waits for every block submitted to the queue (a barrier runs after all
  /// of them).
  func shutdown() throws { queue.sync(flags: .barrier) {} }
}
