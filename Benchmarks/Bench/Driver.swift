// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// The driver: which workloads run on which systems, in what order, and what
// becomes of their figures (a table on stdout, records in JSON).

import Foundation

/// The Swift systems, in the order they are interleaved in the first
/// repetition (each later one starts one further along); `eachSystem`
/// visits the same list by concrete type.
let allSystems: [any PoolSystem.Type] = [
  ConcurrentFuturesSystem.self,
  CFuturesSystem.self,
  PureSwiftFuturesSystem.self,
  DispatchSystem.self,
  NIOThreadPoolSystem.self,
]

/// Every system's name, the JVM last.
let systemNames = allSystems.map { $0.name } + [JVM.name]

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

/// One JSON record, in the format of Benchmarks/README.md.
struct Record: Codable {
  let workload: String
  let variant: String
  let system: String
  let metric: String
  let unit: String
  let median: Double
  let min: Double
  let max: Double
  let repetitions: Int
  /// Median over the repetitions of the system's CPU per task, in µs.
  let cpuUsPerTask: Double
  /// Median over the repetitions of the minor page faults of a timed run.
  let minorFaults: Double

  enum CodingKeys: String, CodingKey {
    case workload, variant, system, metric, unit, median, min, max, repetitions
    case cpuUsPerTask = "cpu_us_per_task"
    case minorFaults = "minor_faults"
  }
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

/// One workload at its size, not yet bound to a system.
///
/// `measure(_:)` is generic over the system and is only ever called with a
/// concrete system type (from `eachSystem` or `withSystem(named:)`), so the
/// optimiser specialises every workload for every system: the timed loop of
/// each system calls its API as a user's code would, without the
/// value-witness and metadata calls of a workload run through an existential.
enum Recipe {
  case throughput(workers: Int, tasks: Int)
  case roundTrip(workers: Int, warmUp: Int, samples: Int, busy: Int = 0, timeCap: Double? = nil)
  case fanOut(tasks: Int)
  case orderedMap(workers: Int, items: Int)
  case asCompleted(workers: Int, tasks: Int)
  case boundedQueue(workers: Int, submitters: Int, tasksPerSubmitter: Int)
  case pendingMemory(tasks: Int)

  /// Sets up, runs and tears down the workload once on `S`; its figures.
  func measure<S: PoolSystem>(_: S.Type) throws -> [String: Double] {
    switch self {
    case .throughput(let workers, let tasks):
      try measureOnce(Throughput<S>(workers: workers, tasks: tasks))
    case .roundTrip(let workers, let warmUp, let samples, let busy, let timeCap):
      try measureOnce(
        RoundTrip<S>(
          workers: workers, warmUp: warmUp, samples: samples, busy: busy, timeCap: timeCap))
    case .fanOut(let tasks):
      try measureOnce(FanOut<S>(tasks: tasks))
    case .orderedMap(let workers, let items):
      try measureOnce(OrderedMap<S>(workers: workers, items: items))
    case .asCompleted(let workers, let tasks):
      try measureOnce(AsCompleted<S>(workers: workers, tasks: tasks))
    case .boundedQueue(let workers, let submitters, let tasksPerSubmitter):
      try measureOnce(
        BoundedQueue<S>(
          workers: workers, submitters: submitters, tasksPerSubmitter: tasksPerSubmitter))
    case .pendingMemory(let tasks):
      try measureOnce(PendingMemory<S>(tasks: tasks))
    }
  }
}

/// Something done once per system with the system's concrete type.
protocol SystemVisitor {
  associatedtype Output
  func visit<S: PoolSystem>(_ system: S.Type) -> Output
}

/// `visitor` applied to every Swift system, in the order of `allSystems`,
/// each call naming its concrete type (so it is specialised).
func eachSystem<V: SystemVisitor>(_ visitor: V) -> [V.Output] {
  [
    visitor.visit(ConcurrentFuturesSystem.self),
    visitor.visit(CFuturesSystem.self),
    visitor.visit(PureSwiftFuturesSystem.self),
    visitor.visit(DispatchSystem.self),
    visitor.visit(NIOThreadPoolSystem.self),
  ]
}

/// `visitor` applied to the Swift system called `name`.
func withSystem<V: SystemVisitor>(named name: String, _ visitor: V) throws -> V.Output {
  switch name {
  case ConcurrentFuturesSystem.name: visitor.visit(ConcurrentFuturesSystem.self)
  case CFuturesSystem.name: visitor.visit(CFuturesSystem.self)
  case PureSwiftFuturesSystem.name: visitor.visit(PureSwiftFuturesSystem.self)
  case DispatchSystem.name: visitor.visit(DispatchSystem.self)
  case NIOThreadPoolSystem.name: visitor.visit(NIOThreadPoolSystem.self)
  default: throw BenchError("no system named \(name)")
  }
}

typealias Runner = (system: String, run: (() throws -> [String: Double])?)

/// Each system's runner of a recipe, measured in this process.
private struct InProcess: SystemVisitor {
  let recipe: Recipe
  func visit<S: PoolSystem>(_: S.Type) -> Runner {
    (S.name, { [recipe] in try recipe.measure(S.self) })
  }
}

/// Runs `recipe` once on the system called `name`, in this process.
func measure(_ recipe: Recipe, onSystemNamed name: String) throws -> [String: Double] {
  struct Once: SystemVisitor {
    let recipe: Recipe
    func visit<S: PoolSystem>(_: S.Type) -> Result<[String: Double], any Error> {
      Result { try recipe.measure(S.self) }
    }
  }
  return try withSystem(named: name, Once(recipe: recipe)).get()
}

private func runners(_ recipe: Recipe) -> [Runner] {
  eachSystem(InProcess(recipe: recipe))
}

private func capacityLine(_ bound: QueueBound) -> String {
  "queue capacity: "
    + allSystems.map { "\($0.name) \($0.capacityNote(bound))" }.joined(separator: " · ")
    + " · JVM \(formatCount(bound.capacity))"
}

/// The recipe a child process runs: `child W1|W1-16|W2|W4|W5|W6|W7 SYSTEM
/// SIZE`.  Bench itself runs W4 and W7 so; the others are there to profile
/// one system alone (e.g. under callgrind or perf), at P=2 (W1-16: W1 at
/// P=16) and SIZE tasks.
func childRecipe(_ id: String, size: Int) throws -> Recipe {
  switch id {
  case "W1": .throughput(workers: 2, tasks: size)
  case "W1-16": .throughput(workers: 16, tasks: size)
  case "W2": .roundTrip(workers: 1, warmUp: size / 10, samples: size)
  case "W4": .orderedMap(workers: 2, items: size)
  case "W5": .asCompleted(workers: 2, tasks: size)
  case "W6": .boundedQueue(workers: 2, submitters: 2, tasksPerSubmitter: size / 2)
  case "W7": .pendingMemory(tasks: size)
  default: throw BenchError("no child workload \(id)")
  }
}

/// The JVM's runner for one case, or nil (n/a) when there is no Java.
private func jvm(_ workload: String, _ parameters: KeyValuePairs<String, Int>)
  -> (system: String, run: (() throws -> [String: Double])?)
{
  guard case .success = JVM.classes else { return (JVM.name, nil) }
  return (JVM.name, { try JVM.run(workload, parameters) })
}

/// Every case of Benchmarks/README.md, sizes divided by `scale`.
func allCases(scale: Int) -> [Case] {
  var cases: [Case] = []
  let throughput = Metric(name: "throughput", unit: "tasks/s", higherIsBetter: true)
  let latency = ["p50", "p99", "p999"].map {
    Metric(name: $0, unit: "us", higherIsBetter: false)
  }

  // W1
  let w1Tasks = 1_000_000 / scale
  for workers in [2, 16] {
    cases.append(
      Case(
        workload: "W1", variant: "P=\(workers)",
        what: "throughput: one submitter, \(formatCount(w1Tasks)) no-op tasks, "
          + "every future kept, then all waited for — per-task submit/run/complete/wait cost",
        notes: [capacityLine(.atLeast(w1Tasks))], metrics: [throughput],
        runners: runners(.throughput(workers: workers, tasks: w1Tasks)) + [
          jvm("W1", ["tasks": w1Tasks, "workers": workers, "capacity": w1Tasks])
        ]))
  }

  // W2 and W2-busy
  let w2WarmUp = 10_000 / scale
  let w2Samples = 100_000 / scale
  for workers in [1, 4] {
    cases.append(
      Case(
        workload: "W2", variant: "P=\(workers)",
        what: "round-trip latency: submit one task, block on its result; "
          + "\(formatCount(w2Samples)) times after \(formatCount(w2WarmUp)) warm-up — wake-up latency",
        notes: [capacityLine(.atLeast(w2WarmUp + w2Samples))],
        metrics: latency,
        runners: runners(.roundTrip(workers: workers, warmUp: w2WarmUp, samples: w2Samples))
          + [
            jvm(
              "W2",
              [
                "workers": workers, "warmup": w2WarmUp, "samples": w2Samples,
                "capacity": w2WarmUp + w2Samples,
              ])
          ]))
  }
  let busy = sysconf(Int32(_SC_NPROCESSORS_ONLN))
  let busyWarmUp = 2_000 / scale
  let busySamples = 20_000 / scale
  let busyCap = 10.0 / Double(scale)
  cases.append(
    Case(
      workload: "W2-busy", variant: "P=1",
      what: "loaded round trip: W2 (P=1) while \(busy) busy-looping threads, one per core, "
        + "run in the same process; \(formatCount(busySamples)) round trips after "
        + "\(formatCount(busyWarmUp)), or \(Int(busyCap)) s of them — what the pool does when no core is free",
      notes: [
        capacityLine(.atLeast(busyWarmUp + busySamples)),
        "cpu/task is the process's CPU per round trip minus the busy threads' own "
          + "(per-thread CPU clocks); the JVM starts its busy threads inside its child",
      ],
      metrics: latency,
      runners: runners(
        .roundTrip(
          workers: 1, warmUp: busyWarmUp, samples: busySamples, busy: busy, timeCap: busyCap))
        + [
          jvm(
            "W2busy",
            [
              "workers": 1, "warmup": busyWarmUp, "samples": busySamples,
              "capacity": busyWarmUp + busySamples, "busy": busy,
              "max_ms": Int(busyCap * 1000),
            ])
        ]))

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
      notes: [capacityLine(.atLeast(w3Tasks)), "JVM: Thread.sleep(1) per task"],
      metrics: [
        Metric(name: "wall_over_floor", unit: "x", higherIsBetter: false),
        Metric(name: "wall_over_ideal", unit: "x", higherIsBetter: false),
      ],
      runners: [
        ("floor", { try measureOnce(FanOutFloor(tasks: w3Tasks, threads: w3Workers)) })
      ]
        + runners(.fanOut(tasks: w3Tasks)) + [
          jvm("W3", ["tasks": w3Tasks, "workers": w3Workers, "capacity": w3Tasks])
        ],
      derive: { samples in
        // Each run is compared with the floor of its own repetition.
        let floor = samples["floor"]!.map { $0["wall"]! }
        for (system, runs) in samples {
          samples[system] = runs.enumerated().map { rep, figures in
            var derived = figures
            derived["wall_over_floor"] = figures["wall"]! / floor[rep]
            derived["wall_over_ideal"] = figures["wall"]! / ideal
            return derived
          }
        }
      }))

  // W4
  let w4Items = 200_000 / scale
  let lookAhead = OrderedMap<ConcurrentFuturesSystem>.lookAhead
  cases.append(
    Case(
      workload: "W4", variant: "P=2",
      what: "ordered map of x * 2 over \(formatCount(w4Items)) Ints, consumed in input order, "
        + "at most \(lookAhead) items in flight for every system — one fresh process per run, "
        + "an untimed pass first, so peak RSS is the run's own",
      notes: [
        capacityLine(.atLeast(w4Items)),
        "ConcurrentFutures and PureSwiftFutures: lazyMap(lookAhead: \(lookAhead)); Dispatch, "
          + "NIOThreadPool and the JVM: a sliding window of \(lookAhead) futures; CFutures has no map: n/a",
      ],
      metrics: [
        Metric(name: "throughput", unit: "items/s", higherIsBetter: true),
        Metric(name: "peak_rss", unit: "bytes", higherIsBetter: false),
      ],
      runners: allSystems.map { system in
        (
          system.name,
          system.hasMap ? { try runChild(["W4", system.name, String(w4Items)]) } : nil
        )
      } + [
        jvm("W4", ["items": w4Items, "workers": 2, "capacity": w4Items, "lookahead": lookAhead])
      ]))

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
          + "both push to a locked list the caller takes from in completion order; "
          + "JVM: an ExecutorCompletionService",
      ],
      metrics: [Metric(name: "throughput", unit: "futures/s", higherIsBetter: true)],
      runners: runners(.asCompleted(workers: 2, tasks: w5Tasks))
        + [jvm("W5", ["tasks": w5Tasks, "workers": 2, "capacity": w5Tasks])]))

  // W6
  let w6PerSubmitter = 500_000 / scale
  let w6Capacity = BoundedQueue<ConcurrentFuturesSystem>.capacity
  cases.append(
    Case(
      workload: "W6", variant: "P=2",
      what: "bounded queue: 2 submitting threads × \(formatCount(w6PerSubmitter)) no-op tasks "
        + "into capacity \(formatCount(w6Capacity)), submit blocks while full — the full-queue path",
      notes: [
        capacityLine(.exactly(w6Capacity)),
        "JVM: a rejection handler that put()s into the pool's queue (the blocking-submit idiom)",
      ],
      metrics: [throughput],
      runners: runners(
        .boundedQueue(workers: 2, submitters: 2, tasksPerSubmitter: w6PerSubmitter))
        + [
          jvm(
            "W6",
            [
              "tasks_per_submitter": w6PerSubmitter, "submitters": 2, "workers": 2,
              "capacity": w6Capacity,
            ])
        ]))

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
          + "CFutures' caller-owned result slot (8 bytes) is counted; "
          + "no warm-up: the growth of a fresh process is what this measures",
      ],
      metrics: [Metric(name: "bytes_per_task", unit: "bytes", higherIsBetter: false)],
      runners: allSystems.map { system in
        (system.name, { try runChild(["W7", system.name, String(w7Tasks)]) })
      } + [jvm("W7", ["tasks": w7Tasks, "capacity": w7Tasks + 1])]))

  return cases
}

// MARK: - Running a case

func median(_ values: [Double]) -> Double {
  let sorted = values.sorted()
  let middle = sorted.count / 2
  return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/// Runs one warm-up repetition (thrown away) and then `repetitions`, each
/// running every system once — repetition r starting with the r-th system,
/// so no system always runs first — and returns the records.
func run(_ benchCase: Case, repetitions: Int) throws -> [Record] {
  var samples: [String: [[String: Double]]] = [:]
  let runners = benchCase.runners.filter { $0.run != nil }
  for rep in 0...repetitions {
    let order = runners[(rep % runners.count)...] + runners[..<(rep % runners.count)]
    for (system, run) in order {
      let start = monotonicNanos()
      let figures = try run!()
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
    for (system, _) in runners {
      let runs = samples[system]!
      let values = runs.map { $0[metric.name]! }
      records.append(
        Record(
          workload: benchCase.workload, variant: benchCase.variant, system: system,
          metric: metric.name, unit: metric.unit, median: median(values),
          min: values.min()!, max: values.max()!, repetitions: values.count,
          cpuUsPerTask: median(runs.map { $0["cpu_us_per_task"] ?? 0 }),
          minorFaults: median(runs.map { $0["minor_faults"] ?? 0 })))
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
    + pad("÷ CF", 7, right: true) + "  " + pad("better", 8)
    + pad("cpu µs/task", 12, right: true) + pad("faults", 10, right: true)
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
        + "  " + pad(metric.higherIsBetter ? "higher" : "lower", 8)
        + pad(String(format: "%.3f", record.cpuUsPerTask), 12, right: true)
        + pad(formatCount(Int(record.minorFaults.rounded())), 10, right: true)
      lines.append("  " + row)
    }
  }
  return lines.joined(separator: "\n") + "\n"
}
