// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// NIOThreadPool: SwiftNIO's pool for blocking work.  Mode: `runIfActive(
// eventLoop:)` on a one-loop MultiThreadedEventLoopGroup; the caller blocks
// with `.wait()` on the returned EventLoopFuture — for a batch (W1, W3, W6),
// once, on `EventLoopFuture.whenAllSucceed(_:on:)`, as a NIO user waits for
// many futures: a wait() per future would add a hop through the event loop
// and a thread wake per future.  Every completion still hops through that
// one event loop (promise.succeed off the loop): that is NIO's path for a
// result, not something added here.  Its queue is unbounded: W6 bounds it
// with a counting semaphore.

import Dispatch
import NIOCore
import NIOPosix

final class NIOThreadPoolSystem: PoolSystem {
  static let name = "NIOThreadPool"
  static let hasMap = true  // hand-made: see sumOrderedMap
  static let mode =
    "runIfActive(eventLoop:) on a one-loop MultiThreadedEventLoopGroup; results by "
    + "EventLoopFuture.wait() — per future in W2 and W4, once per batch on "
    + "EventLoopFuture.whenAllSucceed(_:on:) in W1, W3, W6, W7"
  static func capacityNote(_ bound: QueueBound) -> String {
    switch bound {
    case .atLeast: "unbounded"
    case .exactly(let n): "unbounded, bounded by a semaphore of \(formatCount(n)) permits"
    }
  }

  private let group: MultiThreadedEventLoopGroup
  private let loop: any EventLoop
  private let pool: NIOThreadPool
  private let workers: Int
  /// W6 only: taken before each submit, given back when the task has run.
  private let permits: DispatchSemaphore?
  private let gate = Gate()

  init(workers: Int, bound: QueueBound, slots: Int) throws {
    group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    loop = group.next()
    pool = NIOThreadPool(numberOfThreads: workers)
    pool.start()
    self.workers = workers
    switch bound {
    case .atLeast: permits = nil
    case .exactly(let n): permits = DispatchSemaphore(value: n)
    }
  }

  func submit(_ job: Job, input: Int, slot: Int) throws -> EventLoopFuture<Int> {
    let permits = self.permits
    permits?.wait()
    switch job {
    case .increment:
      return pool.runIfActive(eventLoop: loop) {
        permits?.signal()
        return input &+ 1
      }
    case .sleep1ms:
      return pool.runIfActive(eventLoop: loop) {
        sleepOneMillisecond()
        permits?.signal()
        return input &+ 1
      }
    case .double:
      return pool.runIfActive(eventLoop: loop) {
        permits?.signal()
        return input &* 2
      }
    }
  }

  func result(_ handle: EventLoopFuture<Int>) throws -> Int { try handle.wait() }

  func sumResults(_ handles: [EventLoopFuture<Int>]) throws -> Int {
    try EventLoopFuture.whenAllSucceed(handles, on: loop).wait().reduce(0, &+)
  }

  /// as_completed the NIO way: `whenComplete` on each future (run on the
  /// event loop) pushes its value to a list the caller takes from in
  /// completion order.  (A failure pushes Int.min: the checked sum catches
  /// it instead of the caller hanging.)
  func sumAsCompleted(_ handles: [EventLoopFuture<Int>]) throws -> Int {
    let order = CompletionOrder(capacity: handles.count)
    for future in handles {
      future.whenComplete { order.push((try? $0.get()) ?? Int.min) }
    }
    var sum = 0
    for index in handles.indices { sum &+= order.take(index) }
    return sum
  }

  /// NIOThreadPool has no ordered map: the hand-made one keeps at most
  /// `lookAhead` (W4: 256) tasks in flight, as ConcurrentFutures' map
  /// does, so memory compares fairly.
  func sumOrderedMap(_ inputs: Range<Int>, lookAhead: Int) throws -> Int {
    try boundedLookAheadMapSum(inputs, lookAhead: lookAhead)
  }

  func holdWorkers() throws {
    let gate = self.gate
    for _ in 0..<workers {
      _ = pool.runIfActive(eventLoop: loop) { gate.enter() }
    }
    gate.awaitRunning(workers)
  }

  func releaseWorkers() { gate.release(workers) }

  func shutdown() throws {
    try pool.syncShutdownGracefully()
    try group.syncShutdownGracefully()
  }
}
