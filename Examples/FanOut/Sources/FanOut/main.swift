// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// FanOut: K point lookups against PostgreSQL, one after another and fanned
// out through ConcurrentFutures, Dispatch and a TaskGroup.  `make example`
// starts a throwaway server, loads the table and runs this.
import FanOutCore
import Foundation

struct Options {
  var requests = 2_000
  var workers = 64
  var rows = 100_000
  var sleep = 0.001
  var conninfo = ProcessInfo.processInfo.environment["FANOUT_CONNINFO"] ?? ""

  static let usage = """
    usage: FanOut [--requests K] [--workers N] [--rows R] [--sleep SECONDS] [--conninfo S]
      --requests K     point lookups per run (default 2000)
      --workers N      pool threads = Dispatch/TaskGroup connections (default 64)
      --rows R         rows in items, ids 1...R (default 100000)
      --sleep SECONDS  server-side pg_sleep of the latency variant (default 0.001)
      --conninfo S     libpq connection string (default $FANOUT_CONNINFO)
    """

  init(_ arguments: [String]) {
    var it = arguments.makeIterator()
    func value(_ flag: String) -> String {
      guard let v = it.next() else { Options.fail("\(flag) needs a value") }
      return v
    }
    func number<T: LosslessStringConvertible>(_ flag: String) -> T {
      guard let n = T(value(flag)) else { Options.fail("\(flag) needs a number") }
      return n
    }
    while let arg = it.next() {
      switch arg {
      case "--requests": requests = number(arg)
      case "--workers": workers = number(arg)
      case "--rows": rows = number(arg)
      case "--sleep": sleep = number(arg)
      case "--conninfo": conninfo = value(arg)
      case "-h", "--help": print(Options.usage); exit(0)
      default: Options.fail("unknown argument \(arg)")
      }
    }
    if conninfo.isEmpty {
      Options.fail("no connection string: pass --conninfo or set FANOUT_CONNINFO")
    }
    if requests < 1 || workers < 1 || rows < 1 { Options.fail("counts must be at least 1") }
  }

  static func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("FanOut: \(message)\n\(usage)\n".utf8))
    exit(2)
  }
}

func ms(_ nanos: Int64) -> String { String(format: "%.2f", Double(nanos) / 1e6) }

func row(_ r: RunResult) -> String {
  func pad(_ s: String, _ n: Int) -> String {
    s.count >= n ? s : String(repeating: " ", count: n - s.count) + s
  }
  let name = r.system.padding(toLength: 44, withPad: " ", startingAt: 0)
  return name + pad(String(format: "%.3f", Double(r.wallNanos) / 1e9), 8)
    + pad(String(format: "%.0f", r.requestsPerSecond), 9)
    + pad(ms(r.p50), 9) + pad(ms(r.p99), 9)
    + pad("\(r.maxInFlight)", 7) + pad("\(r.connections)", 7)
    + "   \(r.correct)/\(r.total) correct"
}

let options = Options(Array(CommandLine.arguments.dropFirst()))
let version: String
let setup: Int64
do {
  let probe = try PGConnection(conninfo: options.conninfo)
  version = try probe.serverVersion()
  // Warm-up, untimed: the table's pages into the server's buffers.
  let warm = Workload(
    conninfo: options.conninfo, count: options.requests, rows: options.rows, sleep: 0, seed: 1)
  for id in warm.ids { _ = try probe.lookup(id: id) }
  probe.close()
  setup = try measurePoolSetup(conninfo: options.conninfo, workers: options.workers)
} catch {
  FileHandle.standardError.write(Data("FanOut: \(error)\n".utf8))
  exit(1)
}

print(
  """
  FanOut: \(options.requests) point lookups on items (\(options.rows) rows), PostgreSQL \(version), \
  \(ProcessInfo.processInfo.activeProcessorCount) cores
  pool: ConcurrentFutures, \(options.workers) workers, one connection each (per-worker initializer)
  Dispatch: a concurrent DispatchQueue + DispatchGroup, one block per request
  TaskGroup: one child task per request, calling the blocking client
  Dispatch and TaskGroup check a connection out of a locked pool of at most \(options.workers) per request;
  every system opens its connections inside its wall time, except the warm pool (its 2nd batch).
  p50/p99: the blocking call alone, in ms.
  pool set-up: \(options.workers) workers connected and running in \(ms(setup)) ms \
  (a separate pool, \(options.workers) tasks that wait for one another)
  """)

var ok = true
for (title, sleep) in [
  ("plain: SELECT value FROM items WHERE id = $1", 0.0),
  ("latency: the same + pg_sleep(\(options.sleep)), a remote cluster's round trip", options.sleep),
] {
  let workload = Workload(
    conninfo: options.conninfo, count: options.requests, rows: options.rows, sleep: sleep)
  print("\n\(title)")
  print(
    "system".padding(toLength: 44, withPad: " ", startingAt: 0)
      + "  wall s    req/s  p50 ms   p99 ms  max in  conns   answers")
  print(
    "".padding(toLength: 44, withPad: " ", startingAt: 0)
      + "                                 flight")
  var results: [RunResult] = []
  do {
    results.append(try runSequential(workload))
    let pool = try runPool(workload, workers: options.workers)
    results.append(pool.cold)
    results.append(pool.warm)
  } catch {
    print("FanOut: \(error)")
    exit(1)
  }
  results.append(runDispatch(workload, connections: options.workers))
  results.append(await runTaskGroup(workload, connections: options.workers))
  for r in results {
    print(row(r))
    for m in r.errorMessages.prefix(3) { print("    error: \(m)") }
    if r.correct != r.total { ok = false }
  }
  if sleep > 0 {
    let sequential = results[0]
    let perRequest = sequential.wallNanos / Int64(options.requests)
    let ideal = Int64(options.requests) * perRequest / Int64(options.workers)
    print(
      """
      bound for the pool: K × sequential per request ÷ workers = \
      \(options.requests) × \(ms(perRequest)) ms ÷ \(options.workers) = \(ms(ideal)) ms; \
      warm measured \(ms(results[2].wallNanos)) ms
                          + set-up \(ms(setup)) ms = \(ms(ideal + setup)) ms; \
      cold measured \(ms(results[1].wallNanos)) ms
      """)
  }
}
exit(ok ? 0 : 1)
