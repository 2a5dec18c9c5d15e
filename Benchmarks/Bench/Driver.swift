// The driver: which workloads run on which systems, in what order, and what
// becomes of their figures (a table on stdout, records in JSON).

import Foundation

/// The systems, in the order they are interleaved within a repetition.
let allSystems: [any PoolSystem.Type] = [
  ConcurrentFuturesSystem.self,
  CFuturesSystem.self,
  PureSwiftFuturesSystem.self,
  DispatchSystem.self,
  NIOThreadPoolSystem.self,
]

func systemType(named name: String) throws -> any PoolSystem.Type {
  guard let system = allSystems.first(where: { $0.name == name }) else {
    throw BenchError("no system named \(name)")
  }
  return system
}

struct Metric {
  let name: String
  let unit: String
  let higherIsBetter: Bool
}

/// One workload × variant: its systems, run interleaved.
struct Case {
  let workload: String
  let variant: String
  /// One line: what it isolates and at what size.
  let what: String
  let notes: [String]
  let metrics: [Metric]
  /// In interleaving order; `run == nil` marks a system the workload cannot
  /// run on (`n/a`).
  let runners: [(system: String, run: (() throws -> [String: Double])?)]
  /// Turns raw per-run figures into the reported ones (W3: walls → ratios).
  var derive: ((inout [String: [[String: Double]]]) -> Void)? = nil
}

/// One JSON record, in the spec's format.
struct Record {
  let workload: String
  let variant: String
  let system: String
  let metric: String
  let unit: String
  let median: Double
  let min: Double
  let max: Double
  let repetitions: Int
}

struct Options {
  var quick = false
  var filter: Set<String>? = nil
  var jsonPath: String? = nil
  var repetitions: Int? = nil

  /// 1, or 10 with --quick: every size is divided by it.
  var scale: Int { quick ? 10 : 1 }
  /// Measured repetitions, after the one warm-up thrown away.
  var measuredRepetitions: Int { repetitions ?? (quick ? 3 : 5) }
}

// MARK: - The workloads

private func makeThroughput<S: PoolSystem>(_: S.Type, workers: Int, tasks: Int) -> any Workload {
  Throughput<S>(workers: workers, tasks: tasks)
}
private func makeRoundTrip<S: PoolSystem>(
  _: S.Type, workers: Int, warmUp: Int, samples: Int
) -> any Workload {
  RoundTrip<S>(workers: workers, warmUp: warmUp, samples: samples)
}
private func makeFanOut<S: PoolSystem>(_: S.Type, tasks: Int) -> any Workload {
  FanOut<S>(tasks: tasks)
}
private func makeOrderedMap<S: PoolSystem>(_: S.Type, workers: Int, items: Int) -> any Workload {
  OrderedMap<S>(workers: workers, items: items)
}
private func makeAsCompleted<S: PoolSystem>(_: S.Type, workers: Int, tasks: Int) -> any Workload {
  AsCompleted<S>(workers: workers, tasks: tasks)
}
private func makeBoundedQueue<S: PoolSystem>(
  _: S.Type, workers: Int, submitters: Int, tasksPerSubmitter: Int
) -> any Workload {
  BoundedQueue<S>(workers: workers, submitters: submitters, tasksPerSubmitter: tasksPerSubmitter)
}
private func makePendingMemory<S: PoolSystem>(_: S.Type, tasks: Int) -> any Workload {
  PendingMemory<S>(tasks: tasks)
}

private func capacityLine(_ bound: QueueBound) -> String {
  "queue capacity: "
    + allSystems.map { "\($0.name) \($0.capacityNote(bound))" }.joined(separator: " · ")
}

/// The workload a child process runs: `--child W4|W7 SYSTEM SIZE`.
func childWorkload(_ id: String, system: any PoolSystem.Type, size: Int) throws -> any Workload {
  switch id {
  case "W4": makeOrderedMap(system, workers: 2, items: size)
  case "W7": makePendingMemory(system, tasks: size)
  default: throw BenchError("no child workload \(id)")
  }
}

/// Every case of WORKLOADS.md, sizes divided by `scale`.
func allCases(scale: Int, childRunner: @escaping ([String]) throws -> [String: Double]) -> [Case] {
  var cases: [Case] = []
  let throughput = Metric(name: "throughput", unit: "tasks/s", higherIsBetter: true)

  // W1
  let w1Tasks = 1_000_000 / scale
  for workers in [2, 16] {
    cases.append(
      Case(
        workload: "W1", variant: "P=\(workers)",
        what: "throughput: one submitter, \(formatCount(w1Tasks)) no-op tasks, "
          + "every future kept, then all waited for — per-task submit/run/complete/wait cost",
        notes: [capacityLine(.atLeast(w1Tasks))], metrics: [throughput],
        runners: allSystems.map { system in
          (system.name, { try measureOnce(makeThroughput(system, workers: workers, tasks: w1Tasks)) })
        }))
  }

  // W2
  let w2WarmUp = 10_000 / scale
  let w2Samples = 100_000 / scale
  for workers in [1, 4] {
    cases.append(
      Case(
        workload: "W2", variant: "P=\(workers)",
        what: "round-trip latency: submit one task, block on its result; "
          + "\(formatCount(w2Samples)) times after \(formatCount(w2WarmUp)) warm-up — wake-up latency",
        notes: [capacityLine(.atLeast(w2WarmUp + w2Samples))],
        metrics: ["p50", "p99", "p999"].map {
          Metric(name: $0, unit: "us", higherIsBetter: false)
        },
        runners: allSystems.map { system in
          (
            system.name,
            {
              try measureOnce(
                makeRoundTrip(system, workers: workers, warmUp: w2WarmUp, samples: w2Samples))
            }
          )
        }))
  }

  // W3
  let w3Tasks = 2_000 / scale
  let w3Workers = 64
  let ideal = Double(w3Tasks) * 0.001 / Double(w3Workers)
  cases.append(
    Case(
      workload: "W3", variant: "P=\(w3Workers)",
      what: "IO fan-out: \(formatCount(w3Tasks)) tasks each blocking 1 ms in nanosleep on "
        + "\(w3Workers) workers (pool creation timed) vs the floor of \(w3Workers) bare threads; "
        + String(format: "ideal %.2f ms", ideal * 1000),
      notes: [capacityLine(.atLeast(w3Tasks))],
      metrics: [
        Metric(name: "wall_over_floor", unit: "x", higherIsBetter: false),
        Metric(name: "wall_over_ideal", unit: "x", higherIsBetter: false),
      ],
      runners: [
        ("floor", { try measureOnce(FanOutFloor(tasks: w3Tasks, threads: w3Workers)) })
      ]
        + allSystems.map { system in
          (system.name, { try measureOnce(makeFanOut(system, tasks: w3Tasks)) })
        },
      derive: { samples in
        // Each run is compared with the floor of its own repetition.
        let floor = samples["floor"]!.map { $0["wall"]! }
        for (system, runs) in samples {
          samples[system] = runs.enumerated().map { rep, figures in
            [
              "wall_over_floor": figures["wall"]! / floor[rep],
              "wall_over_ideal": figures["wall"]! / ideal,
            ]
          }
        }
      }))

  // W4
  let w4Items = 200_000 / scale
  cases.append(
    Case(
      workload: "W4", variant: "P=2",
      what: "ordered map of x * 2 over \(formatCount(w4Items)) Ints, consumed in input order, "
        + "look-ahead 2 × P = 4 — one fresh process per run, so peak RSS is the run's own",
      notes: [
        capacityLine(.atLeast(w4Items)),
        "Dispatch and NIOThreadPool have no map: a hand-made one with the same bounded "
          + "look-ahead (4 in flight); CFutures has no map: n/a",
        "the bounded queues allocate their ring for the whole capacity up front, and its pages "
          + "become resident as the ring index sweeps through it (ConcurrentFutures: 24-byte "
          + "items × capacity), so peak RSS carries the capacity, not the look-ahead",
      ],
      metrics: [
        Metric(name: "throughput", unit: "items/s", higherIsBetter: true),
        Metric(name: "peak_rss", unit: "bytes", higherIsBetter: false),
      ],
      runners: allSystems.map { system in
        (
          system.name,
          system.hasMap ? { try childRunner(["W4", system.name, String(w4Items)]) } : nil
        )
      }))

  // W5
  let w5Tasks = 100_000 / scale
  cases.append(
    Case(
      workload: "W5", variant: "P=2",
      what: "as_completed: submit \(formatCount(w5Tasks)) no-op tasks, then iterate asCompleted "
        + "over all (both timed) — the completion hand-off to one waiter",
      notes: [
        capacityLine(.atLeast(w5Tasks)),
        "Dispatch: group.notify per future; NIOThreadPool: whenComplete per future; "
          + "both push to a locked list the caller takes from in completion order",
      ],
      metrics: [Metric(name: "throughput", unit: "futures/s", higherIsBetter: true)],
      runners: allSystems.map { system in
        (system.name, { try measureOnce(makeAsCompleted(system, workers: 2, tasks: w5Tasks)) })
      }))

  // W6
  let w6PerSubmitter = 500_000 / scale
  let w6Capacity = BoundedQueue<ConcurrentFuturesSystem>.capacity
  cases.append(
    Case(
      workload: "W6", variant: "P=2",
      what: "bounded queue: 2 submitting threads × \(formatCount(w6PerSubmitter)) no-op tasks "
        + "into capacity \(formatCount(w6Capacity)), submit blocks while full — the full-queue path",
      notes: [capacityLine(.exactly(w6Capacity))],
      metrics: [throughput],
      runners: allSystems.map { system in
        (
          system.name,
          {
            try measureOnce(
              makeBoundedQueue(
                system, workers: 2, submitters: 2, tasksPerSubmitter: w6PerSubmitter))
          }
        )
      }))

  // W7
  let w7Tasks = 1_000_000 / scale
  cases.append(
    Case(
      workload: "W7", variant: "P=1",
      what: "memory per pending task: \(formatCount(w7Tasks)) no-op tasks queued behind one "
        + "worker held on a gate; VmRSS growth ÷ \(formatCount(w7Tasks)) — one fresh process per run",
      notes: [
        capacityLine(.atLeast(w7Tasks + 1)),
        "gate: a task blocked on a semaphore on the one worker; Dispatch: queue.suspend(). "
          + "The caller's array of futures is touched before the first reading (not counted); "
          + "CFutures' caller-owned result slot (8 bytes) is counted",
      ],
      metrics: [Metric(name: "bytes_per_task", unit: "bytes", higherIsBetter: false)],
      runners: allSystems.map { system in
        (system.name, { try childRunner(["W7", system.name, String(w7Tasks)]) })
      }))

  return cases
}

// MARK: - Running a case

func median(_ values: [Double]) -> Double {
  let sorted = values.sorted()
  let middle = sorted.count / 2
  return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/// Runs one warm-up repetition (thrown away) and then `repetitions`, each
/// running every system once in order, and returns the records.
func run(_ benchCase: Case, repetitions: Int) throws -> [Record] {
  var samples: [String: [[String: Double]]] = [:]
  for rep in 0...repetitions {
    for (system, run) in benchCase.runners {
      guard let run else { continue }
      let start = monotonicNanos()
      let figures = try run()
      let seconds = Double(monotonicNanos() - start) / 1e9
      let label = rep == 0 ? "warm-up" : "rep \(rep)/\(repetitions)"
      let shown = figures.sorted { $0.key < $1.key }
        .map { "\($0.key) \(formatPlain($0.value))" }.joined(separator: ", ")
      progress(
        "[\(benchCase.workload) \(benchCase.variant)] \(label) \(system): \(shown) "
          + String(format: "(%.2f s)", seconds))
      if rep > 0 { samples[system, default: []].append(figures) }
    }
  }
  benchCase.derive?(&samples)
  var records: [Record] = []
  for metric in benchCase.metrics {
    for (system, run) in benchCase.runners where run != nil {
      let values = samples[system]!.map { $0[metric.name]! }
      records.append(
        Record(
          workload: benchCase.workload, variant: benchCase.variant, system: system,
          metric: metric.name, unit: metric.unit, median: median(values),
          min: values.min()!, max: values.max()!, repetitions: values.count))
    }
  }
  return records
}

// MARK: - Output

func progress(_ line: String) {
  FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// 1234567 → "1,234,567".
func formatCount(_ value: Int) -> String {
  let digits = String(value.magnitude)
  var out = ""
  for (i, digit) in digits.enumerated() {
    if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
    out.append(digit)
  }
  return value < 0 ? "-" + out : out
}

/// A figure as the table shows it, by unit.
func formatValue(_ value: Double, unit: String) -> String {
  switch unit {
  case "us": String(format: "%.1f", value)
  case "x": String(format: "%.2f", value)
  case "bytes" where value < 10_000: String(format: "%.1f", value)
  default: formatCount(Int(value.rounded()))
  }
}

/// A figure for the progress lines.
func formatPlain(_ value: Double) -> String {
  value >= 1000 ? formatCount(Int(value.rounded())) : String(format: "%.3g", value)
}

private func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
  let count = text.count
  guard count < width else { return text }
  let fill = String(repeating: " ", count: width - count)
  return right ? fill + text : text + fill
}

/// The table section of one case: one row per metric × system.
func table(_ benchCase: Case, _ records: [Record]) -> String {
  var lines: [String] = []
  lines.append("\(benchCase.workload) \(benchCase.variant) — \(benchCase.what)")
  for note in benchCase.notes { lines.append("  " + note) }
  let header =
    pad("workload", 9) + pad("variant", 8) + pad("system", 19) + pad("metric", 16)
    + pad("median", 14, right: true) + "   " + pad("min – max", 27) + pad("unit", 10)
    + pad("÷ CF", 7, right: true) + "  better"
  lines.append("  " + header)
  for metric in benchCase.metrics {
    let base = records.first {
      $0.metric == metric.name && $0.system == ConcurrentFuturesSystem.name
    }?.median
    for (system, run) in benchCase.runners {
      var row =
        pad(benchCase.workload, 9) + pad(benchCase.variant, 8) + pad(system, 19)
        + pad(metric.name, 16)
      guard run != nil,
        let record = records.first(where: { $0.metric == metric.name && $0.system == system })
      else {
        lines.append("  " + row + pad("n/a", 14, right: true))
        continue
      }
      let range =
        formatValue(record.min, unit: metric.unit) + " – "
        + formatValue(record.max, unit: metric.unit)
      let ratio = base.map { String(format: "%.2f", record.median / $0) } ?? "-"
      row +=
        pad(formatValue(record.median, unit: metric.unit), 14, right: true) + "   "
        + pad(range, 27) + pad(metric.unit, 10) + pad(ratio, 7, right: true)
        + "  " + (metric.higherIsBetter ? "higher" : "lower")
      lines.append("  " + row)
    }
  }
  return lines.joined(separator: "\n") + "\n"
}

private func jsonString(_ text: String) -> String {
  var out = "\""
  for scalar in text.unicodeScalars {
    switch scalar {
    case "\"": out += "\\\""
    case "\\": out += "\\\\"
    case "\n": out += "\\n"
    default: out.unicodeScalars.append(scalar)
    }
  }
  return out + "\""
}

private func jsonNumber(_ value: Double) -> String {
  guard value.isFinite else { return "null" }
  return abs(value) >= 1000 ? String(format: "%.1f", value) : String(format: "%.4f", value)
}

/// The records as a JSON array, one object per line.
func json(_ records: [Record]) -> String {
  let objects = records.map { r in
    "  {\"workload\": \(jsonString(r.workload)), \"variant\": \(jsonString(r.variant)), "
      + "\"system\": \(jsonString(r.system)), \"metric\": \(jsonString(r.metric)), "
      + "\"unit\": \(jsonString(r.unit)), \"median\": \(jsonNumber(r.median)), "
      + "\"min\": \(jsonNumber(r.min)), \"max\": \(jsonNumber(r.max)), "
      + "\"repetitions\": \(r.repetitions)}"
  }
  return "[\n" + objects.joined(separator: ",\n") + "\n]\n"
}
