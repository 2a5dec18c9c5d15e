// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

import Foundation

/// A throwaway PostgreSQL server, driven through scripts/pg-server.sh.
///
/// The script is $FANOUT_PG_SCRIPT (the Makefile passes it), else found
/// from this file's path; the state directory is $FANOUT_PG_STATE (the
/// Makefile makes it, and removes it whatever happens), else a fresh temp
/// directory.
struct PGServer: Sendable {
  let script: String
  let stateDir: String

  init() {
    let env = ProcessInfo.processInfo.environment
    script =
      env["FANOUT_PG_SCRIPT"]
      ?? URL(fileURLWithPath: #filePath)
      .deletingLastPathComponent()  // FanOutTests
      .deletingLastPathComponent()  // Tests
      .deletingLastPathComponent()  // FanOut
      .deletingLastPathComponent()  // Examples
      .deletingLastPathComponent()  // the root
      .appendingPathComponent("scripts/pg-server.sh").path
    if let dir = env["FANOUT_PG_STATE"], !dir.isEmpty {
      stateDir = dir
    } else {
      stateDir = NSTemporaryDirectory() + "fanout-test-\(getpid())"
    }
  }

  struct ScriptFailed: Error, CustomStringConvertible {
    let description: String
  }

  /// Runs the script with `arguments`; returns its stdout, trimmed.
  ///
  /// posix_spawn and waitpid rather than Foundation's Process, whose
  /// waitUntilExit was seen to hang here with the child a zombie nobody
  /// reaped.  Output goes through files, so the server the script starts
  /// holds no pipe of ours (libpq's sockets are close-on-exec).
  @discardableResult
  func run(_ arguments: String...) throws -> String {
    let base = NSTemporaryDirectory() + "pg-server-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    let outPath = base + ".out"
    let errPath = base + ".err"
    defer {
      unlink(outPath)
      unlink(errPath)
    }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    var env = ProcessInfo.processInfo.environment
    env["PG_STATE_DIR"] = stateDir
    let argv = (["/bin/bash", script] + arguments).map { strdup($0) } + [nil]
    let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
      argv.forEach { free($0) }
      envp.forEach { free($0) }
    }
    var pid = pid_t()
    let spawned = posix_spawn(&pid, "/bin/bash", &actions, nil, argv, envp)
    guard spawned == 0 else {
      throw ScriptFailed(description: "cannot run \(script): \(String(cString: strerror(spawned)))")
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let output = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
    let errors = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
    let exited = status & 0x7f == 0
    let code = (status >> 8) & 0xff
    guard exited && code == 0 else {
      throw ScriptFailed(
        description: "pg-server.sh \(arguments.joined(separator: " ")) failed "
          + "(wait status \(status)): \(errors)")
    }
    return output.trimmingCharacters(in: .whitespacesAndNewlines)
  }

  /// Starts (or restarts) the server; returns its conninfo.
  func start() throws -> String {
    try run("start").split(separator: "\n").last.map(String.init) ?? ""
  }
  func load(rows: Int) throws { try run("load", String(rows)) }
  /// pg_ctl stop -m immediate: the server dies under its clients.
  func kill() throws { try run("kill") }
  func stop() throws { try run("stop") }
}
