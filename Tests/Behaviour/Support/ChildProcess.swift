// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// Running a test, or the risky part of one, in a fresh child process: this
// test binary re-executed with an XCTest filter that names one test.  A
// trap, an abort or an exhausted memory in the child then fails the
// parent's test instead of ending the whole suite, and the parent bounds
// how long the child may take, so a hang fails too.
import Foundation
import XCTest

enum ChildProcess {
  /// Set in a child's environment to the test it runs.
  static let marker = "CF_CHILD_TEST"

  /// How long a child may run before the parent kills it and fails.
  static let timeLimit: TimeInterval = 300

  /// The path of this test binary.
  static var executable: String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
      ?? CommandLine.arguments[0]
  }

  /// Runs the XCTest test `name` ("Module.Class/test_method") of this binary
  /// in a child with `environment` added to this process's; returns its
  /// exit status (128 + the signal when it was killed by one) and its
  /// combined output.
  static func run(test name: String, environment: [String: String] = [:]) throws
    -> (status: Int32, output: String)
  {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = [name]
    process.environment = ProcessInfo.processInfo.environment
      .merging([marker: name]) { $1 }
      .merging(environment) { $1 }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    let collected = Recorder<Data>()
    let drained = Arrivals()
    let reader = pipe.fileHandleForReading
    Thread.detachNewThread {
      collected.append(reader.readDataToEndOfFile())
      drained.arrive()
    }
    try process.run()
    let deadline = Date(timeIntervalSinceNow: timeLimit)
    while process.isRunning && Date() < deadline { usleep(2_000) }
    var status: Int32
    if process.isRunning {
      process.terminate()
      process.waitUntilExit()
      status = -1
    } else {
      status = process.terminationStatus
      if process.terminationReason == .uncaughtSignal { status += 128 }
    }
    drained.waitFor(1)
    let output = String(decoding: collected.all.first ?? Data(), as: UTF8.self)
    return (status, status == -1 ? output + "\n(killed after \(Int(timeLimit)) s)" : output)
  }
}

extension XCTestCase {
  /// The XCTest name of the running test method, `Module.Class/test_x`.
  func childTestName(_ function: String) -> String {
    let method = function.hasSuffix("()") ? String(function.dropLast(2)) : function
    return "\(String(reflecting: type(of: self)))/\(method)"
  }

  /// Runs `body` in a child process that runs this very test; in that
  /// child, runs `body` itself.  The parent fails unless the child exits 0
  /// with its test passed, and shows the end of the child's output.
  func inChildProcess(
    function: String = #function, file: StaticString = #filePath, line: UInt = #line,
    _ body: () async throws -> Void
  ) async throws {
    let name = childTestName(function)
    if ProcessInfo.processInfo.environment[ChildProcess.marker] == name {
      try await body()
      return
    }
    let (status, output) = try ChildProcess.run(test: name)
    let tail = output.split(separator: "\n").suffix(25).joined(separator: "\n")
    XCTAssertEqual(
      status, 0, "the child running \(name) failed or crashed:\n\(tail)",
      file: file, line: line)
    let method = name.split(separator: "/").last.map(String.init) ?? name
    XCTAssertTrue(
      output.contains(".\(method)' passed"),
      "the child did not report \(method) passed:\n\(tail)", file: file, line: line)
  }
}
