// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// The measuring harness, after SwiftNIO's NIOPerformanceTester: a workload
// protocol whose timed `run()` returns a count the driver checks, and the
// small pieces of plumbing every workload needs (a clock, bare threads, RSS).

#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// One workload on one system.  `setUp` and `tearDown` are not timed, `run`
/// is.  `run` returns a count that the driver checks against
/// `expectedCount`: the optimiser cannot delete work whose result is
/// checked, and a system that loses, repeats or corrupts a task is caught
/// instead of reported as fast.
protocol Workload: AnyObject {
  /// What `run()` must return (read after it).
  var expectedCount: Int { get }
  /// How many tasks (round trips, items) the timed run handled: what the
  /// CPU per task is divided by (read after `run()`).
  var taskCount: Int { get }
  func setUp() throws
  func run() throws -> Int
  func tearDown() throws
  /// The figures of one run (metric name → value), given the wall time of
  /// `run()` in seconds.
  func figures(seconds: Double) -> [String: Double]
}

/// Runs `workload` once (set up, timed run, tear down) and returns its
/// figures, with `cpu_us_per_task` (this process's user+sys CPU over the
/// timed run ÷ its tasks; a workload that ran busy threads beside the
/// system subtracts theirs) and `minor_faults` (over the timed run).
/// Throws if the run's count is not the expected one.
func measureOnce<W: Workload>(_ workload: W) throws -> [String: Double] {
  try workload.setUp()
  let before = Usage.now()
  let start = monotonicNanos()
  let count: Int
  do {
    count = try workload.run()
  } catch {
    try? workload.tearDown()
    throw error
  }
  let seconds = Double(monotonicNanos() - start) / 1e9
  let used = Usage.now() - before
  try workload.tearDown()
  guard count == workload.expectedCount else {
    throw BenchError(
      "\(type(of: workload)) returned \(count), expected "
        + "\(workload.expectedCount): a task was lost, repeated or corrupted")
  }
  var figures = workload.figures(seconds: seconds)
  let cpu = Double(used.cpuNanos) - (figures.removeValue(forKey: "excluded_cpu_ns") ?? 0)
  figures["cpu_us_per_task"] = cpu / 1000 / Double(max(workload.taskCount, 1))
  figures["minor_faults"] = Double(used.minorFaults)
  return figures
}

/// This process's CPU time and minor page faults so far.
struct Usage {
  var cpuNanos: Int64
  var minorFaults: Int

  static func now() -> Usage {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Usage(
      cpuNanos: Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec),
      minorFaults: usage.ru_minflt)
  }

  static func - (a: Usage, b: Usage) -> Usage {
    Usage(cpuNanos: a.cpuNanos - b.cpuNanos, minorFaults: a.minorFaults - b.minorFaults)
  }
}

/// CPU time of one thread (by its pthread CPU clock), in nanoseconds.
func threadCPUNanos(_ clock: clockid_t) -> Int64 {
  var ts = timespec()
  clock_gettime(clock, &ts)
  return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
}

/// Threads that spin on the CPU beside a workload (W2-busy): one per core,
/// so no core is free for the pool.  Their CPU is measured per thread, to
/// be taken out of the process's.
final class BusyThreads: @unchecked Sendable {
  // @unchecked Sendable: `clocks` is written by each thread once before
  // `started` is signalled and read after; `stop` is atomic.
  private let stop = Atomic<Bool>(false)
  private let started = Atomic<Int>(0)
  private var clocks: [clockid_t]
  private var threads: [pthread_t] = []

  /// Starts `count` spinning threads; returns once all spin.
  init(count: Int) {
    clocks = Array(repeating: 0, count: count)
    for index in 0..<count {
      let body = ThreadStart { [self] in
        var clock = clockid_t()
        pthread_getcpuclockid(pthread_self(), &clock)
        clocks[index] = clock
        started.add(1, ordering: .releasing)
        var spins: UInt64 = 0
        while !stop.load(ordering: .relaxed) { spins &+= 1 }
        blackHole(spins)
      }
      var thread = pthread_t()
      let rc = pthread_create(
        &thread, nil,
        { arg in
          Unmanaged<ThreadStart>.fromOpaque(arg!).takeRetainedValue().body()
          return nil
        },
        Unmanaged.passRetained(body).toOpaque())
      precondition(rc == 0, "pthread_create failed: \(rc)")
      threads.append(thread)
    }
    while started.load(ordering: .acquiring) < count { sched_yield() }
  }

  /// Their CPU time so far, in ns, summed.
  func cpuNanos() -> Int64 { clocks.reduce(0) { $0 + threadCPUNanos($1) } }

  /// Stops and joins them.
  func stopAndJoin() {
    stop.store(true, ordering: .relaxed)
    for thread in threads { pthread_join(thread, nil) }
  }
}

/// Keeps `value` alive so the optimiser cannot delete what computed it.
@inline(never)
func blackHole<T>(_ value: T) { withExtendedLifetime(value) {} }

struct BenchError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}

// MARK: - Clock, sleep

/// CLOCK_MONOTONIC in nanoseconds (a vDSO call: no syscall).
@inline(__always)
func monotonicNanos() -> UInt64 {
  var ts = timespec()
  clock_gettime(CLOCK_MONOTONIC, &ts)
  return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}

/// Blocks the calling thread 1 ms in nanosleep: one remote request.
func sleepOneMillisecond() {
  var request = timespec(tv_sec: 0, tv_nsec: 1_000_000)
  var remaining = timespec()
  while nanosleep(&request, &remaining) == -1 && errno == EINTR {
    request = remaining
  }
}

// MARK: - Bare threads

/// The closure a bare thread runs; handed to pthread_create retained.
final class ThreadStart {
  let body: @Sendable () -> Void
  init(_ body: @escaping @Sendable () -> Void) { self.body = body }
}

/// Runs `body(i)` for i in 0..<count, each on its own new pthread (no pool,
/// no Foundation), joins them all and returns their results in index
/// order.
func onBareThreads(
  _ count: Int, _ body: @escaping @Sendable (Int) -> Int
) -> [Int] {
  let results = Mutex([Int](repeating: 0, count: count))
  var threads: [pthread_t] = []
  threads.reserveCapacity(count)
  for index in 0..<count {
    let start = ThreadStart {
      let value = body(index)
      results.withLock { $0[index] = value }
    }
    var thread = pthread_t()
    let rc = pthread_create(
      &thread, nil,
      { arg in
        Unmanaged<ThreadStart>.fromOpaque(arg!).takeRetainedValue().body()
        return nil
      },
      Unmanaged.passRetained(start).toOpaque())
    precondition(rc == 0, "pthread_create failed: \(rc)")
    threads.append(thread)
  }
  for thread in threads { pthread_join(thread, nil) }
  return results.withLock { $0 }
}

// MARK: - Memory

/// This process's peak resident set so far (VmHWM), in bytes.  Not
/// getrusage's ru_maxrss: Linux carries that across execve, so a child
/// spawned by Bench would report Bench's own peak.
/// (The kernel updates VmHWM lazily, so it can trail VmRSS a little: the
/// larger of the two is the peak.)
func peakRSSBytes() -> Int { max(statusField("VmHWM:"), statusField("VmRSS:")) }

/// This process's resident set now (VmRSS), in bytes.
func currentRSSBytes() -> Int { statusField("VmRSS:") }

/// A "NAME:   123 kB" field of /proc/self/status, in bytes.  Read with bare
/// syscalls into a stack-sized buffer, so that the reading itself allocates
/// almost nothing that could show up in it.
private func statusField(_ name: String) -> Int {
  let fd = open("/proc/self/status", O_RDONLY)
  precondition(fd >= 0, "cannot open /proc/self/status")
  defer { close(fd) }
  var buffer = [UInt8](repeating: 0, count: 8192)
  let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
  precondition(count > 0, "cannot read /proc/self/status")
  let text = String(decoding: buffer[0..<count], as: UTF8.self)
  for line in text.split(separator: "\n") where line.hasPrefix(name) {
    if let kib = Int(line.filter(\.isNumber)) { return kib * 1024 }
  }
  preconditionFailure("no \(name) in /proc/self/status")
}
