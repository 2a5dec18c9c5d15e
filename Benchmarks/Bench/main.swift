// Bench — W1–W7 of ../shared/WORKLOADS.md on ConcurrentFutures, its C core
// driven directly (CFutures), the pure-Swift twin (PureSwiftFutures),
// Dispatch and SwiftNIO's NIOThreadPool, in one run with the same
// parameters.
//
//   swift run -c release Bench [--quick] [--filter W1,W2] [--json PATH] [--reps N]
//
// Systems are interleaved within each repetition (A B C D E A B C D E …);
// one warm-up repetition is thrown away, then the median of the rest is
// reported with its min–max.  Ratios between systems measured in the same
// run are what comparisons rest on.  W4 and W7 run each measurement in a
// fresh child process (Bench re-executes itself with --child), so a
// process's peak RSS and glibc's retained heap don't carry over.  The
// table goes to stdout, progress to stderr.

import Foundation

let usage = """
  usage: Bench [--quick] [--filter W1,W2,...] [--json PATH] [--reps N]
    --quick        every workload at 1/10 size, 3 repetitions (a smoke test)
    --filter LIST  run only these workloads
    --json PATH    also write the records as JSON to PATH
    --reps N       measured repetitions (default 5; 3 with --quick), after one warm-up
  """

func fail(_ message: String) -> Never {
  FileHandle.standardError.write(Data("Bench: \(message)\n".utf8))
  exit(1)
}

/// The real path of this executable, for the children.
func selfExecutable() -> String {
  var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
  let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
  guard count > 0 else { fail("cannot read /proc/self/exe") }
  return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Runs `Bench --child ARGS` and parses the `RESULT key=value …` line it
/// prints on stdout.  Its stderr passes through.
func runChild(_ arguments: [String]) throws -> [String: Double] {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: selfExecutable())
  process.arguments = ["--child"] + arguments
  let pipe = Pipe()
  process.standardOutput = pipe
  try process.run()
  let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
  process.waitUntilExit()
  guard process.terminationStatus == 0 else {
    throw BenchError(
      "child \(arguments.joined(separator: " ")) exited with \(process.terminationStatus)")
  }
  guard let line = output.split(separator: "\n").last(where: { $0.hasPrefix("RESULT ") }) else {
    throw BenchError("child \(arguments.joined(separator: " ")) printed no RESULT line")
  }
  var figures: [String: Double] = [:]
  for field in line.dropFirst("RESULT ".count).split(separator: " ") {
    let parts = field.split(separator: "=")
    guard parts.count == 2, let value = Double(parts[1]) else {
      throw BenchError("bad child output: \(line)")
    }
    figures[String(parts[0])] = value
  }
  return figures
}

/// `--child W4|W7 SYSTEM SIZE` or `--child baseline`: one measurement in
/// this fresh process, printed as `RESULT key=value …`.
func childMain(_ arguments: [String]) -> Never {
  do {
    let figures: [String: Double]
    if arguments.first == "baseline" {
      figures = ["peak_rss": Double(peakRSSBytes()), "rss": Double(currentRSSBytes())]
    } else {
      guard arguments.count == 3, let size = Int(arguments[2]) else {
        fail("usage: --child W4|W7 SYSTEM SIZE")
      }
      figures = try measureOnce(
        childWorkload(arguments[0], system: systemType(named: arguments[1]), size: size))
    }
    let fields = figures.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
    print("RESULT " + fields.joined(separator: " "))
    exit(0)
  } catch {
    fail("child \(arguments.joined(separator: " ")): \(error)")
  }
}

func parseOptions(_ arguments: [String]) -> Options {
  var options = Options()
  var rest = arguments[...]
  while let argument = rest.popFirst() {
    switch argument {
    case "--quick":
      options.quick = true
    case "--filter":
      guard let list = rest.popFirst() else { fail("--filter needs a list\n\(usage)") }
      options.filter = Set(list.split(separator: ",").map { $0.uppercased() })
    case "--json":
      guard let path = rest.popFirst() else { fail("--json needs a path\n\(usage)") }
      options.jsonPath = path
    case "--reps":
      guard let n = rest.popFirst().flatMap({ Int($0) }), n >= 1 else {
        fail("--reps needs a positive number\n\(usage)")
      }
      options.repetitions = n
    case "-h", "--help":
      print(usage)
      exit(0)
    default:
      fail("unknown argument \(argument)\n\(usage)")
    }
  }
  return options
}

func machineLine() -> String {
  var name = utsname()
  uname(&name)
  let release = withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
  let machine = withUnsafeBytes(of: &name.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
  let cores = sysconf(Int32(_SC_NPROCESSORS_ONLN))
  return "Linux \(release) \(machine), \(cores) cores online"
}

func writeJSON(_ records: [Record], to path: String) {
  let url = URL(fileURLWithPath: path)
  do {
    try FileManager.default.createDirectory(
      at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try json(records).write(to: url, atomically: true, encoding: .utf8)
  } catch {
    fail("cannot write \(path): \(error)")
  }
}

func benchMain() -> Int32 {
  let arguments = Array(CommandLine.arguments.dropFirst())
  let spinLine = applySpinLimitFromEnvironment()  // children inherit the env
  if arguments.first == "--child" { childMain(Array(arguments.dropFirst())) }
  let options = parseOptions(arguments)

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
  let cases = allCases(scale: options.scale, childRunner: runChild).filter {
    options.filter?.contains($0.workload) ?? true
  }
  if let filter = options.filter {
    let known = Set(allCases(scale: 1, childRunner: runChild).map(\.workload))
    let unknown = filter.subtracting(known)
    if !unknown.isEmpty { fail("unknown workload(s) in --filter: \(unknown.sorted())") }
  }
  let repetitions = options.measuredRepetitions

  print("Bench — \(machineLine()), \(Date())")
  print(
    "\(options.quick ? "QUICK (1/10 sizes)" : "full sizes"); 1 warm-up repetition thrown away, "
      + "then median (min – max) of \(repetitions); systems interleaved in the order "
      + allSystems.map { $0.name }.joined(separator: ", "))
  print("NIOThreadPool mode: \(NIOThreadPoolSystem.mode)")
  print(spinLine)
  print(
    "Dispatch: one concurrent DispatchQueue, futures from DispatchGroup; libdispatch "
      + "sizes its own thread pool, so P does not apply to it")
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
  return 0
}

exit(benchMain())
