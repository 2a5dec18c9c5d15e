// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// Bench — the workloads of Benchmarks/README.md on ConcurrentFutures, its
// C core driven directly (CFutures), the pure-Swift twin
// (PureSwiftFutures), Dispatch, SwiftNIO's NIOThreadPool and the JVM's
// ThreadPoolExecutor, in one run with the same parameters.
//
//   swift run -c release Bench [--quick] [--filter W1,W2] [--json PATH] [--reps N]
//
// Systems are interleaved within each repetition and their order rotates
// from one repetition to the next; one warm-up repetition is thrown away,
// then the median of the rest is reported with its min–max.  Ratios
// between systems measured in the same run are what comparisons rest on.
// W4 and W7 run each measurement in a fresh child process (Bench
// re-executes itself with `child`), the JVM in a child JVM.  The table goes
// to stdout, progress to stderr.

import ArgumentParser
import Foundation

@main
struct BenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "Bench",
    abstract: "Thread pools with futures, side by side, on the same workloads.",
    subcommands: [Run.self, Child.self],
    defaultSubcommand: Run.self)

  struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Runs the workloads (the default).")

    @Flag(help: "Every workload at 1/10 size, 3 repetitions: a smoke test.")
    var quick = false

    @Option(help: "Only these workloads, comma-separated (W1,W2,W2-busy,...).")
    var filter: String?

    @Option(help: "Also write the records as JSON to this path.")
    var json: String?

    @Option(help: "Measured repetitions after the warm-up (default 5; 3 with --quick).")
    var reps: Int?

    func validate() throws {
      if let reps, reps < 1 { throw ValidationError("--reps must be at least 1") }
    }

    func run() throws {
      reexecWithRetainedHeapIfNeeded()
      let options = Options(
        quick: quick,
        filter: filter.map { Set($0.split(separator: ",").map { String($0) }) },
        jsonPath: json, repetitions: reps)
      try runBench(options)
    }
  }

  /// One measurement in this fresh process, printed as `RESULT key=value …`.
  struct Child: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "One measurement in a fresh process (Bench runs W4 and W7 so).",
      shouldDisplay: false)

    @Argument(help: "W1, W2, W4, W5, W6, W7 or baseline.")
    var workload: String
    @Argument(help: "The system's name.")
    var system: String?
    @Argument(help: "The size.")
    var size: Int?

    func run() throws {
      _ = applySpinLimitFromEnvironment()
      let figures: [String: Double]
      if workload == "baseline" {
        figures = ["peak_rss": Double(peakRSSBytes()), "rss": Double(currentRSSBytes())]
      } else {
        guard let system, let size else {
          throw ValidationError("usage: Bench child W1|W1-16|W2|W4|W5|W6|W7 SYSTEM SIZE")
        }
        figures = try measure(childRecipe(workload, size: size), onSystemNamed: system)
      }
      let fields = figures.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
      print("RESULT " + fields.joined(separator: " "))
    }
  }
}

/// glibc's tunables Bench runs under: memory freed between repetitions
/// stays with the process (no trimming; blocks up to 32 MiB from the heap,
/// not from mmap), so after the warm-up repetition every system runs on
/// pages already touched, as in a long-running service, rather than paying
/// first-touch faults again.  (The JVM keeps its heap the same way.)  W7
/// measures exactly that first touch, each run in a fresh child.
let benchTunables =
  "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296"

/// Re-executes Bench under ``benchTunables`` unless it already runs so.
func reexecWithRetainedHeapIfNeeded() {
  guard ProcessInfo.processInfo.environment["GLIBC_TUNABLES"] != benchTunables else { return }
  setenv("GLIBC_TUNABLES", benchTunables, 1)
  let arguments = [selfExecutable()] + CommandLine.arguments.dropFirst()
  var argv = arguments.map { strdup($0) } + [nil]
  execv(selfExecutable(), &argv)
  fail("cannot re-execute \(selfExecutable()): errno \(errno)")
}

func fail(_ message: String) -> Never {
  FileHandle.standardError.write(Data("Bench: \(message)\n".utf8))
  JVM.removeClasses()  // exit skips runBench's defer
  exit(1)
}

/// The real path of this executable, for the children.
func selfExecutable() -> String {
  (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
    ?? CommandLine.arguments[0]
}

/// Runs `executable` with `arguments`; its exit status and stdout (stderr
/// passes through, for the progress the children print).
func runProcess(
  _ executable: String, _ arguments: [String], without unset: [String] = []
) throws -> (Int32, String) {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: executable)
  process.arguments = arguments
  if !unset.isEmpty {
    process.environment = ProcessInfo.processInfo.environment.filter {
      !unset.contains($0.key)
    }
  }
  let pipe = Pipe()
  process.standardOutput = pipe
  try process.run()
  let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
  process.waitUntilExit()
  return (process.terminationStatus, output)
}

/// Runs a child that prints `RESULT key=value …` and parses that line.
func runForResult(
  _ executable: String, _ arguments: [String], without unset: [String] = []
) throws -> [String: Double] {
  let (status, output) = try runProcess(executable, arguments, without: unset)
  let what = arguments.joined(separator: " ")
  guard status == 0 else { throw BenchError("child \(what) exited with \(status)") }
  guard let line = output.split(separator: "\n").last(where: { $0.hasPrefix("RESULT ") }) else {
    throw BenchError("child \(what) printed no RESULT line")
  }
  var figures: [String: Double] = [:]
  for field in line.dropFirst("RESULT ".count).split(separator: " ") {
    let parts = field.split(separator: "=")
    guard parts.count == 2, let value = Double(parts[1]), value.isFinite else {
      throw BenchError("bad child output: \(line)")
    }
    figures[String(parts[0])] = value
  }
  return figures
}

/// `Bench child ARGS` in a fresh process.  W7's runs without
/// ``benchTunables``: it measures first touch, in glibc's default regime.
func runChild(_ arguments: [String]) throws -> [String: Double] {
  try runForResult(
    selfExecutable(), ["child"] + arguments,
    without: arguments.first == "W7" ? ["GLIBC_TUNABLES"] : [])
}

func machineLine() -> String {
  var name = utsname()
  uname(&name)
  let release = withUnsafeBytes(of: &name.release) {
    String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
  }
  let machine = withUnsafeBytes(of: &name.machine) {
    String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
  }
  let cores = sysconf(Int32(_SC_NPROCESSORS_ONLN))
  return "Linux \(release) \(machine), \(cores) cores online"
}

func writeJSON(_ records: [Record], to path: String) {
  let url = URL(fileURLWithPath: path)
  do {
    try FileManager.default.createDirectory(
      at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try encoder.encode(records).write(to: url, options: .atomic)
  } catch {
    fail("cannot write \(path): \(error)")
  }
}

func runBench(_ options: Options) throws {
  let spinLine = applySpinLimitFromEnvironment()  // children inherit the env

  #if DEBUG
  let banner = """
    ************************************************************************
    *  Bench was built in DEBUG: its figures mean nothing.                 *
    *  Build and run it with -c release:  swift run -c release Bench       *
    ************************************************************************
    """
  progress(banner)
  print(banner)
  #endif

  let started = monotonicNanos()
  defer { JVM.removeClasses() }
  let all = allCases(scale: options.scale)
  let wanted = options.filter.map { Set($0.map { $0.uppercased() }) }
  if let wanted {
    let unknown = wanted.subtracting(all.map { $0.workload.uppercased() })
    if !unknown.isEmpty {
      throw ValidationError("unknown workload(s) in --filter: \(unknown.sorted())")
    }
  }
  let cases = all.filter { wanted?.contains($0.workload.uppercased()) ?? true }
  let repetitions = options.measuredRepetitions

  print("Bench — \(machineLine()), \(Date())")
  print(
    "\(options.quick ? "QUICK (1/10 sizes)" : "full sizes"); 1 warm-up repetition thrown away, "
      + "then median (min – max) of \(repetitions); systems interleaved, their order rotated "
      + "each repetition: " + systemNames.joined(separator: ", "))
  print("NIOThreadPool mode: \(NIOThreadPoolSystem.mode)")
  switch JVM.classes {
  case .success:
    print(
      "JVM: ThreadPoolExecutor + ArrayBlockingQueue, one child JVM per measurement "
        + "(\(JVM.flags.joined(separator: " "))), a JIT warm-up run inside it thrown away")
  case .failure(let reason):
    print("JVM: skipped — \(reason)")
  }
  print(spinLine)
  print(
    "Dispatch: one concurrent DispatchQueue, futures from DispatchGroup; libdispatch "
      + "sizes its own thread pool, so P does not apply to it")
  print(
    "memory: glibc keeps what is freed between repetitions (GLIBC_TUNABLES=\(benchTunables)), "
      + "so measured repetitions run on touched pages; minor faults are reported per record")
  print("cpu/task: the process's user+sys CPU over the timed run ÷ its tasks (a child's own)")
  if let baseline = try? runChild(["baseline"]) {
    print(
      "an idle child process: peak RSS \(formatCount(Int(baseline["peak_rss"] ?? 0))) bytes, "
        + "RSS \(formatCount(Int(baseline["rss"] ?? 0))) bytes (W4's peak RSS includes this)")
  }
  print("÷ CF = this system's median ÷ ConcurrentFutures' median; 'better' says which way is good")
  print("")

  var records: [Record] = []
  for benchCase in cases {
    do {
      let caseRecords = try run(benchCase, repetitions: repetitions)
      records += caseRecords
      print(table(benchCase, caseRecords))
      fflush(nil)  // all streams: the table reaches a pipe as each case ends
      if let path = options.jsonPath { writeJSON(records, to: path) }
    } catch {
      fail("\(benchCase.workload) \(benchCase.variant): \(error)")
    }
  }
  let total = Double(monotonicNanos() - started) / 1e9
  print(String(format: "total: %.1f s", total))
  progress(String(format: "Bench done in %.1f s", total))
  if let path = options.jsonPath { progress("records written to \(path)") }
}
