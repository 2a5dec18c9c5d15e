// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// The JVM system: Java's ThreadPoolExecutor over an ArrayBlockingQueue,
// the strongest peer, run by Benchmarks/jvm/JvmBench.java in a child JVM
// per measurement.  Bench compiles that file with javac once per run and
// passes every parameter on the command line; the child echoes them back
// (`param_<key>=`), and a mismatch fails the run, so the JVM can never
// measure other sizes than the Swift systems.

import Foundation

enum JVM {
  static let name = "JVM"

  /// Fixed flags, the same for every measurement: a 2 GiB heap, committed
  /// at start (W1 keeps a million futures, W7 queues a million tasks, and
  /// neither then waits on the heap growing) but not pre-touched (W7
  /// measures the pages its tasks touch); the default collector (G1 on this
  /// machine); no perf-data file.
  static let flags = ["-Xms2g", "-Xmx2g", "-XX:+UseG1GC", "-XX:-UsePerfData"]

  /// Where javac put JvmBench.class, or why the JVM row is skipped.
  static let classes: Result<String, BenchError> = compile()

  /// The directory javac wrote to (one per Bench run, named for its pid).
  private static let directory = NSTemporaryDirectory() + "cf-bench-jvm-\(getpid())"

  /// Removes the compiled classes, once Bench has no more JVM to start
  /// (each run would otherwise leave a directory in the temporary folder).
  /// Does nothing in a process that compiled nothing (a child: there is
  /// no such directory to remove).
  static func removeClasses() {
    try? FileManager.default.removeItem(atPath: directory)
  }

  /// Runs `workload` with `parameters` in a fresh JVM; its figures.
  static func run(_ workload: String, _ parameters: KeyValuePairs<String, Int>) throws
    -> [String: Double]
  {
    let directory = try classes.get()
    let arguments =
      flags + ["-cp", directory, "JvmBench", workload]
      + parameters.map { "\($0.key)=\($0.value)" }
    var figures = try runForResult("/usr/bin/env", ["java"] + arguments)
    for (key, value) in parameters {
      guard figures.removeValue(forKey: "param_\(key)") == Double(value) else {
        throw BenchError("the JVM program did not run with \(key)=\(value): \(figures)")
      }
    }
    if let stray = figures.keys.first(where: { $0.hasPrefix("param_") }) {
      throw BenchError("the JVM program reports a parameter Bench did not send: \(stray)")
    }
    return figures
  }

  /// Benchmarks/jvm/JvmBench.java, found from this source file's path.
  static var source: String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("jvm/JvmBench.java").path
  }

  private static func compile() -> Result<String, BenchError> {
    guard FileManager.default.fileExists(atPath: source) else {
      return .failure(BenchError("no \(source)"))
    }
    do {
      try FileManager.default.createDirectory(
        atPath: directory, withIntermediateDirectories: true)
      let (status, output) = try runProcess(
        "/usr/bin/env", ["javac", "-Xlint:all", "-d", directory, source])
      guard status == 0 else {
        return .failure(
          BenchError(
            "javac failed (status \(status); `make bench` installs openjdk-17-jdk-headless): "
              + output.trimmingCharacters(in: .whitespacesAndNewlines)))
      }
      return .success(directory)
    } catch {
      return .failure(BenchError("cannot run javac: \(error)"))
    }
  }
}
