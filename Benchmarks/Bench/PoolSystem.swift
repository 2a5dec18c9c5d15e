// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// The one interface the workloads drive every system through.  Each system
// lives in its own file that imports only its own module (ConcurrentFutures
// and PureSwiftFutures export the same type names).

import Dispatch
import Synchronization

/// The task a workload submits.  Each system turns it into its own kind of
/// task: a closure for the Swift APIs, a C function pointer for CFutures.
/// Every task returns an Int derived from its input, so a lost, repeated or
/// crossed result changes the checked sum.
enum Job: Sendable {
  /// Returns input + 1 at once: the no-op task returning an Int.
  case increment
  /// Blocks 1 ms in nanosleep (one Cassandra/ES request), then returns
  /// input + 1.
  case sleep1ms
  /// Returns input × 2: the transform of the ordered map.
  case double
}

/// The queue capacity a workload asks for.
enum QueueBound: Sendable {
  /// At least this many tasks may wait, so a submit never blocks: bounded
  /// systems get exactly this capacity, unbounded ones (Dispatch, NIO) are
  /// left unbounded.  Bounded and unbounded systems then compare on equal
  /// terms.
  case atLeast(Int)
  /// W6: bounded systems get exactly this capacity; the unbounded ones are
  /// bounded by a counting semaphore of this many permits, taken before a
  /// submit and given back when the task has run.
  case exactly(Int)

  var capacity: Int {
    switch self {
    case .atLeast(let n), .exactly(let n): n
    }
  }
}

/// A thread pool with futures, as one workload sees it.
///
/// `slot` is the task's index, unique among the tasks in flight: CFutures
/// stores the task's input and result there (a caller-owned array of Int,
/// as a C user would); the Swift systems ignore it.
protocol PoolSystem: AnyObject, Sendable {
  /// What `submit` hands back: the system's own future.
  associatedtype Handle

  /// The name in the table and the JSON.
  static var name: String { get }
  /// False when W4 cannot run on the system (no map, and none can be made
  /// without closures): it is then `n/a`.
  static var hasMap: Bool { get }
  /// What the queue capacity is, for the header of a workload's table.
  static func capacityNote(_ bound: QueueBound) -> String

  /// A pool of `workers` threads; `slots` is how many distinct `slot`
  /// values the workload uses.
  init(workers: Int, bound: QueueBound, slots: Int) throws
  func submit(_ job: Job, input: Int, slot: Int) throws -> Handle
  /// Blocks until the task is done; its value.
  func result(_ handle: Handle) throws -> Int
  /// Waits for every future of a batch; the sum of their values.  By
  /// default `result` on each, in order; NIOThreadPool waits once, on
  /// `whenAllSucceed`.
  func sumResults(_ handles: [Handle]) throws -> Int
  /// The workload is done with `handle` (it was waited for).  CFutures
  /// destroys the future here; the Swift systems let ARC do it.
  func discard(_ handle: Handle)
  /// Iterates the futures in completion order (the system's `asCompleted`,
  /// or the natural hand-made equivalent) and sums their values.
  func sumAsCompleted(_ handles: [Handle]) throws -> Int
  /// `map` of x × 2 over `inputs`, results consumed in input order, at most
  /// `lookAhead` tasks in flight; their sum.
  func sumOrderedMap(_ inputs: Range<Int>, lookAhead: Int) throws -> Int
  /// Occupies every worker with a task blocked on a gate, and returns once
  /// they all are (Dispatch: suspends the queue instead).
  func holdWorkers() throws
  /// Opens the gate of `holdWorkers`.
  func releaseWorkers()
  /// Shuts down, waiting for every worker.
  func shutdown() throws
}

extension PoolSystem {
  func discard(_ handle: Handle) {}

  func sumResults(_ handles: [Handle]) throws -> Int {
    var sum = 0
    for handle in handles { sum &+= try result(handle) }
    return sum
  }

  /// The ordered map for systems without one (Dispatch, NIOThreadPool):
  /// a ring of at most `lookAhead` futures in flight ahead of the one being
  /// consumed — the same bounded look-ahead (W4: 256 items) as
  /// ConcurrentFutures' `map`, so W4's peak-RSS comparison is fair.
  func boundedLookAheadMapSum(_ inputs: Range<Int>, lookAhead: Int) throws -> Int {
    var ring = [Handle?](repeating: nil, count: lookAhead)
    var next = inputs.lowerBound
    var sum = 0
    func submitNext() throws {
      ring[next % lookAhead] = try submit(.double, input: next, slot: next % lookAhead)
      next += 1
    }
    while next < inputs.upperBound && next - inputs.lowerBound < lookAhead {
      try submitNext()
    }
    for index in inputs {
      let handle = ring[index % lookAhead].take()!
      sum &+= try result(handle)
      discard(handle)
      if next < inputs.upperBound { try submitNext() }
    }
    return sum
  }
}

/// The futures' values in the order they complete, for the systems without
/// an `asCompleted` (Dispatch, NIOThreadPool): completion callbacks push,
/// the consumer takes one per permit.
final class CompletionOrder: Sendable {
  private let values: Mutex<[Int]>
  private let ready = DispatchSemaphore(value: 0)

  init(capacity: Int) {
    var values: [Int] = []
    values.reserveCapacity(capacity)
    self.values = Mutex(values)
  }

  /// Called from a completion callback, any thread.
  func push(_ value: Int) {
    values.withLock { $0.append(value) }
    ready.signal()
  }

  /// The value of the `index`-th future to complete; blocks until it has.
  func take(_ index: Int) -> Int {
    ready.wait()
    return values.withLock { $0[index] }
  }
}

/// What `holdWorkers` blocks the workers on: each gate task signals that it
/// runs, then waits until the gate opens.
final class Gate: Sendable {
  private let started = DispatchSemaphore(value: 0)
  private let open = DispatchSemaphore(value: 0)

  /// The body of a gate task.
  func enter() {
    started.signal()
    open.wait()
  }

  /// Blocks until `count` gate tasks are running.
  func awaitRunning(_ count: Int) {
    for _ in 0..<count { started.wait() }
  }

  /// Lets `count` gate tasks finish.
  func release(_ count: Int) {
    for _ in 0..<count { open.signal() }
  }
}
