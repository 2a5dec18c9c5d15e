// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// The workloads of Benchmarks/README.md, each generic over the system it drives.
// Each workload's doc says, in its first line, what it isolates.

import Histogram

#if canImport(Glibc)
import Glibc
#endif

/// Σ (i + 1) for i in 0..<n: the checked sum of n `.increment` tasks.
private func incrementSum(_ n: Int) -> Int { n * (n + 1) / 2 }

// MARK: - W1

/// W1 isolates the per-task cost of submit, run, complete and wait: one
/// submitter, no-op tasks, every future kept, then all waited for.
final class Throughput<S: PoolSystem>: Workload {
  private let workers: Int
  private let tasks: Int
  private var system: S?
  private var handles: [S.Handle] = []

  init(workers: Int, tasks: Int) {
    self.workers = workers
    self.tasks = tasks
  }

  var expectedCount: Int { incrementSum(tasks) }
  var taskCount: Int { tasks }

  func setUp() throws {
    system = try S(workers: workers, bound: .atLeast(tasks), slots: tasks)
  }

  func run() throws -> Int {
    let system = self.system!
    var handles: [S.Handle] = []
    handles.reserveCapacity(tasks)
    for i in 0..<tasks {
      handles.append(try system.submit(.increment, input: i, slot: i))
    }
    let sum = try system.sumResults(handles)
    self.handles = handles  // freed in tearDown, not timed
    return sum
  }

  func tearDown() throws {
    try system?.shutdown()
    for handle in handles { system?.discard(handle) }
    handles = []
    system = nil
  }

  func figures(seconds: Double) -> [String: Double] {
    ["throughput": Double(tasks) / seconds]
  }
}

// MARK: - W2

/// W2 isolates wake-up latency: one task at a time, submitted to an idle
/// pool and waited for by a blocked caller — a worker wake and a caller wake
/// per round trip, nothing queued.  With `busy` threads (W2-busy) the same
/// runs while that many threads spin beside it, one per core: the cores are
/// never free, so a spin that hopes for the other side pays for nothing;
/// their CPU is taken out of the figure.  `timeCap` ends the sampling early
/// (the figures then come from the samples taken).
final class RoundTrip<S: PoolSystem>: Workload {
  private let workers: Int
  private let warmUp: Int
  private let samples: Int
  private let busy: Int
  private let timeCap: Double?
  private var system: S?
  private var done = 0
  private var busyCPU: Int64 = 0
  /// Round-trip times in ns, 1 ns to 10 s at 3 significant digits.
  private var histogram = Histogram<UInt64>(
    lowestDiscernibleValue: 1, highestTrackableValue: 10_000_000_000,
    numberOfSignificantValueDigits: .three)

  init(workers: Int, warmUp: Int, samples: Int, busy: Int = 0, timeCap: Double? = nil) {
    self.workers = workers
    self.warmUp = warmUp
    self.samples = samples
    self.busy = busy
    self.timeCap = timeCap
  }

  var expectedCount: Int { incrementSum(done) }
  var taskCount: Int { done }

  func setUp() throws {
    system = try S(workers: workers, bound: .atLeast(warmUp + samples), slots: 1)
  }

  func run() throws -> Int {
    let system = self.system!
    let spinners = busy > 0 ? BusyThreads(count: busy) : nil
    defer { spinners?.stopAndJoin() }
    let busyStart = spinners?.cpuNanos() ?? 0
    let cap = timeCap.map { monotonicNanos() + UInt64($0 * 1e9) }
    var sum = 0
    done = 0
    for i in 0..<(warmUp + samples) {
      if let cap, i >= warmUp + 1_000, monotonicNanos() > cap { break }
      let start = monotonicNanos()
      let handle = try system.submit(.increment, input: i, slot: 0)
      let value = try system.result(handle)
      let elapsed = monotonicNanos() - start
      system.discard(handle)
      if i >= warmUp {
        guard histogram.record(elapsed) else {
          throw BenchError("round trip of \(elapsed) ns is off the histogram")
        }
      }
      sum &+= value
      done = i + 1
    }
    busyCPU = (spinners?.cpuNanos() ?? 0) - busyStart
    return sum
  }

  func tearDown() throws {
    try system?.shutdown()
    system = nil
  }

  func figures(seconds: Double) -> [String: Double] {
    var figures = [
      "p50": Double(histogram.valueAtPercentile(50)) / 1000,
      "p99": Double(histogram.valueAtPercentile(99)) / 1000,
      "p999": Double(histogram.valueAtPercentile(99.9)) / 1000,
    ]
    if busy > 0 {
      figures["excluded_cpu_ns"] = Double(busyCPU)
      figures["busy_cpu_us"] = Double(busyCPU) / 1000
    }
    return figures
  }
}

// MARK: - W3

/// W3 isolates how close a pool of 64 comes to 64 bare threads when every
/// task blocks 1 ms: hand-off and wake cost under IO fan-out.  The pool is
/// created inside the timed run, as the floor starts its threads inside it.
final class FanOut<S: PoolSystem>: Workload {
  static var workers: Int { 64 }
  private let tasks: Int
  private var system: S?
  private var handles: [S.Handle] = []

  init(tasks: Int) { self.tasks = tasks }

  var expectedCount: Int { incrementSum(tasks) }
  var taskCount: Int { tasks }

  func setUp() throws {}

  func run() throws -> Int {
    let system = try S(workers: Self.workers, bound: .atLeast(tasks), slots: tasks)
    self.system = system
    var handles: [S.Handle] = []
    handles.reserveCapacity(tasks)
    for i in 0..<tasks {
      handles.append(try system.submit(.sleep1ms, input: i, slot: i))
    }
    let sum = try system.sumResults(handles)
    self.handles = handles
    return sum
  }

  func tearDown() throws {
    try system?.shutdown()
    for handle in handles { system?.discard(handle) }
    handles = []
    system = nil
  }

  func figures(seconds: Double) -> [String: Double] { ["wall": seconds] }
}

/// W3's floor: 64 bare pthreads, each sleeping its 1/64 share of the same
/// 1 ms sleeps — no pool, no queue, no futures.
final class FanOutFloor: Workload {
  private let tasks: Int
  private let threads: Int

  init(tasks: Int, threads: Int) {
    self.tasks = tasks
    self.threads = threads
  }

  var expectedCount: Int { tasks }
  var taskCount: Int { tasks }

  func setUp() throws {}

  func run() throws -> Int {
    let (tasks, threads) = (self.tasks, self.threads)
    return onBareThreads(threads) { index in
      let share = tasks / threads + (index < tasks % threads ? 1 : 0)
      for _ in 0..<share { sleepOneMillisecond() }
      return share
    }.reduce(0, +)
  }

  func tearDown() throws {}

  func figures(seconds: Double) -> [String: Double] { ["wall": seconds] }
}

// MARK: - W4

/// W4 isolates the ordered map's pipeline: submit-to-consume in input order
/// with at most `lookAhead` items in flight (submitted, not yet consumed;
/// 256 for every system), so results are handed from workers to the caller
/// while it keeps the window full — and the memory that pipeline holds (run
/// in a fresh process: one untimed pass of the same map first, then the
/// timed one, so the timed pass finds warm code and touched memory, as a
/// service would; the peak is the process's either way).
final class OrderedMap<S: PoolSystem>: Workload {
  static var lookAhead: Int { 256 }
  private let workers: Int
  private let items: Int
  private var system: S?

  init(workers: Int, items: Int) {
    self.workers = workers
    self.items = items
  }

  /// Σ 2i for i in 0..<items.
  var expectedCount: Int { items * (items - 1) }
  var taskCount: Int { items }

  func setUp() throws {
    let system = try S(workers: workers, bound: .atLeast(items), slots: Self.lookAhead)
    self.system = system
    guard try system.sumOrderedMap(0..<items, lookAhead: Self.lookAhead) == expectedCount else {
      throw BenchError("the untimed W4 pass returned a wrong sum")
    }
  }

  func run() throws -> Int {
    try system!.sumOrderedMap(0..<items, lookAhead: Self.lookAhead)
  }

  func tearDown() throws {
    try system?.shutdown()
    system = nil
  }

  func figures(seconds: Double) -> [String: Double] {
    ["throughput": Double(items) / seconds, "peak_rss": Double(peakRSSBytes())]
  }
}

// MARK: - W5

/// W5 isolates asCompleted: W1's pattern (P = 2, a tenth of the tasks) with
/// the results taken in completion order instead of input order, so the
/// difference from W1 is the completion hand-off to one waiter.
final class AsCompleted<S: PoolSystem>: Workload {
  private let workers: Int
  private let tasks: Int
  private var system: S?
  private var handles: [S.Handle] = []

  init(workers: Int, tasks: Int) {
    self.workers = workers
    self.tasks = tasks
  }

  var expectedCount: Int { incrementSum(tasks) }
  var taskCount: Int { tasks }

  func setUp() throws {
    system = try S(workers: workers, bound: .atLeast(tasks), slots: tasks)
  }

  func run() throws -> Int {
    let system = self.system!
    var handles: [S.Handle] = []
    handles.reserveCapacity(tasks)
    for i in 0..<tasks {
      handles.append(try system.submit(.increment, input: i, slot: i))
    }
    let sum = try system.sumAsCompleted(handles)
    self.handles = handles
    return sum
  }

  func tearDown() throws {
    try system?.shutdown()
    for handle in handles { system?.discard(handle) }
    handles = []
    system = nil
  }

  func figures(seconds: Double) -> [String: Double] {
    ["throughput": Double(tasks) / seconds]
  }
}

// MARK: - W6

/// Hands each submitting thread's futures back to the workload, so that
/// freeing them is left to tearDown (untimed) as in W1.
private final class PerThreadHandles<Handle>: @unchecked Sendable {
  // @unchecked Sendable: thread i writes only element i, before it ends;
  // the workload reads them after pthread_join, which orders the two.
  var lists: [[Handle]]
  init(count: Int) { lists = Array(repeating: [], count: count) }
}

/// W6 isolates the full-queue path: submitters blocked while the queue is
/// full and woken as the workers drain it (2 submitters, 2 workers,
/// capacity 1,024).
final class BoundedQueue<S: PoolSystem>: Workload {
  static var capacity: Int { 1_024 }
  private let workers: Int
  private let submitters: Int
  private let tasksPerSubmitter: Int
  private var system: S?
  private var handles: PerThreadHandles<S.Handle>?

  init(workers: Int, submitters: Int, tasksPerSubmitter: Int) {
    self.workers = workers
    self.submitters = submitters
    self.tasksPerSubmitter = tasksPerSubmitter
  }

  var expectedCount: Int { incrementSum(submitters * tasksPerSubmitter) }
  var taskCount: Int { submitters * tasksPerSubmitter }

  func setUp() throws {
    system = try S(
      workers: workers, bound: .exactly(Self.capacity),
      slots: submitters * tasksPerSubmitter)
  }

  func run() throws -> Int {
    let system = self.system!
    let perThread = tasksPerSubmitter
    let handles = PerThreadHandles<S.Handle>(count: submitters)
    self.handles = handles
    return onBareThreads(submitters) { thread in
      var mine: [S.Handle] = []
      mine.reserveCapacity(perThread)
      var sum = 0
      do {
        for k in 0..<perThread {
          let i = thread * perThread + k
          mine.append(try system.submit(.increment, input: i, slot: i))
        }
        sum = try system.sumResults(mine)
      } catch {
        sum = Int.min  // the checked count reports it
      }
      handles.lists[thread] = mine
      return sum
    }.reduce(0, &+)
  }

  func tearDown() throws {
    try system?.shutdown()
    for list in handles?.lists ?? [] {
      for handle in list { system?.discard(handle) }
    }
    handles = nil
    system = nil
  }

  func figures(seconds: Double) -> [String: Double] {
    ["throughput": Double(submitters * tasksPerSubmitter) / seconds]
  }
}

// MARK: - W7

/// W7 isolates what one queued, not yet started task holds in resident
/// memory (future, closure or item, queue slot), measured in a fresh process
/// as VmRSS growth over 1,000,000 tasks queued behind gated workers.
final class PendingMemory<S: PoolSystem>: Workload {
  private let tasks: Int
  private var system: S?
  private var handles: UnsafeMutablePointer<S.Handle>?
  private var submitted = 0
  private var growth = 0

  init(tasks: Int) { self.tasks = tasks }

  var expectedCount: Int { incrementSum(tasks) }
  var taskCount: Int { tasks }

  func setUp() throws {
    let system = try S(workers: 1, bound: .atLeast(tasks + 1), slots: tasks)
    self.system = system
    // The caller's array of futures is allocated and touched before the
    // first reading: it is the caller's memory, not the library's.
    let handles = UnsafeMutablePointer<S.Handle>.allocate(capacity: tasks)
    memset(handles, 0, tasks * MemoryLayout<S.Handle>.stride)
    self.handles = handles
    try system.holdWorkers()
  }

  func run() throws -> Int {
    let (system, handles) = (self.system!, self.handles!)
    let before = currentRSSBytes()
    for i in 0..<tasks {
      (handles + i).initialize(to: try system.submit(.increment, input: i, slot: i))
      submitted = i + 1
    }
    growth = currentRSSBytes() - before
    system.releaseWorkers()
    // The check, after the measurement.
    return try system.sumResults(Array(UnsafeBufferPointer(start: handles, count: tasks)))
  }

  func tearDown() throws {
    try system?.shutdown()
    if let handles {
      for i in 0..<submitted { system?.discard(handles[i]) }
      handles.deinitialize(count: submitted)
      handles.deallocate()
    }
    handles = nil
    system = nil
  }

  func figures(seconds: Double) -> [String: Double] {
    ["bytes_per_task": Double(growth) / Double(tasks)]
  }
}
