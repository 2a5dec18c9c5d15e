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
  /// What `run()` must return.
  var expectedCount: Int { get }
  func setUp() throws
  func run() throws -> Int
  func tearDown() throws
  /// The figures of one run (metric name → value), given the wall time of
  /// `run()` in seconds.
  func figures(seconds: Double) -> [String: Double]
}

/// Runs `workload` once (set up, timed run, tear down) and returns its
/// figures.  Throws if the run's count is not the expected one.
func measureOnce(_ workload: any Workload) throws -> [String: Double] {
  try workload.setUp()
  let start = monotonicNanos()
  let count: Int
  do {
    count = try workload.run()
  } catch {
    try? workload.tearDown()
    throw error
  }
  let seconds = Double(monotonicNanos() - start) / 1e9
  try workload.tearDown()
  guard count == workload.expectedCount else {
    throw BenchError(
      "\(type(of: workload)) returned \(count), expected "
        + "\(workload.expectedCount): a task was lost, repeated or corrupted")
  }
  return workload.figures(seconds: seconds)
}

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
private final class ThreadStart {
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
