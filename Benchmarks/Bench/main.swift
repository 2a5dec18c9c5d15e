// Bench — placeholder until the Bench issue lands the full W1–W7 suite of
// ../shared/WORKLOADS.md against CFutures, PureSwiftFutures, Dispatch and
// NIOThreadPool.  For now: W1 (throughput) and W2 (round trip) through
// ConcurrentFutures alone, medians of 5 runs after a warm-up.
import ConcurrentFutures
import Foundation

#if DEBUG
FileHandle.standardError.write(
  Data("*** Bench built in DEBUG: figures mean nothing; use -c release ***\n".utf8))
#endif

let quick = CommandLine.arguments.contains("--quick")
let scale = quick ? 10 : 1

func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

/// W1: one thread submits N no-op tasks, keeps the futures, waits for all.
func w1(workers: Int, n: Int) throws -> Double {
  let pool = try ThreadPoolExecutor(maxWorkers: workers, queueCapacity: n)
  defer { pool.shutdown() }
  var futures: [Future<Int>] = []
  futures.reserveCapacity(n)
  let start = now()
  for i in 0..<n { futures.append(try pool.submit { i }) }
  var sum = 0
  for f in futures { sum &+= try f.result() }
  let seconds = Double(now() - start) / 1e9
  precondition(sum == n * (n - 1) / 2)
  return Double(n) / seconds
}

/// W2: submit one task, block on its result; round-trip time per call.
func w2(workers: Int, n: Int) throws -> (p50: Double, p99: Double) {
  let pool = try ThreadPoolExecutor(maxWorkers: workers)
  defer { pool.shutdown() }
  var samples: [Double] = []
  samples.reserveCapacity(n)
  for i in 0..<(n + n / 10) {
    let start = now()
    let v = try pool.submit { i }.result()
    precondition(v == i)
    if i >= n / 10 { samples.append(Double(now() - start) / 1000) }
  }
  samples.sort()
  return (samples[samples.count / 2], samples[samples.count * 99 / 100])
}

let reps = 5
for p in [2, 16] {
  _ = try w1(workers: p, n: 100_000 / scale)
  let runs = try (0..<reps).map { _ in try w1(workers: p, n: 1_000_000 / scale) }
  print(String(format: "W1 P=%-2d ConcurrentFutures  %10.0f tasks/s (median of %d)",
               p, median(runs), reps))
}
for p in [1, 4] {
  let runs = try (0..<reps).map { _ in try w2(workers: p, n: 100_000 / scale / 5) }
  print(String(format: "W2 P=%-2d ConcurrentFutures  p50 %.1f us  p99 %.1f us (median of %d)",
               p, median(runs.map(\.p50)), median(runs.map(\.p99)), reps))
}
