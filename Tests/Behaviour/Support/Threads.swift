// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// Gates, counters and thread facts for every test target (linked into
// ConcurrentFuturesTests, PureSwiftFuturesTests and CFuturesTests).
// Threads are ordered with gates, never with sleeps.
import Foundation
import Synchronization
import XCTest

/// Stress sizes scale with CF_TEST_SCALE (1 by default, smaller under the
/// sanitizers).  Never below `minimum`.
func scaled(_ n: Int, minimum: Int = 1) -> Int {
  let factor =
    ProcessInfo.processInfo.environment["CF_TEST_SCALE"]
    .flatMap(Double.init) ?? 1
  return max(minimum, Int(Double(n) * factor))
}

/// A one-shot gate: tasks block in `pass()` until `open()`.
final class Gate: @unchecked Sendable {
  // @unchecked: guarded by `condition`.
  private let condition = NSCondition()
  private var isOpen = false

  func open() {
    condition.lock()
    isOpen = true
    condition.broadcast()
    condition.unlock()
  }

  /// Blocks until open (or 30 s pass: a hung test fails instead of hanging).
  @discardableResult
  func pass(file: StaticString = #filePath, line: UInt = #line) -> Bool {
    condition.lock()
    defer { condition.unlock() }
    let limit = Date(timeIntervalSinceNow: 30)
    while !isOpen {
      if !condition.wait(until: limit) { return false }
    }
    return true
  }
}

/// Counts arrivals; `waitFor(n)` blocks until n have arrived.
final class Arrivals: @unchecked Sendable {
  // @unchecked: guarded by `condition`.
  private let condition = NSCondition()
  private var count = 0

  func arrive() {
    condition.lock()
    count += 1
    condition.broadcast()
    condition.unlock()
  }

  var value: Int {
    condition.lock()
    defer { condition.unlock() }
    return count
  }

  /// True if `n` arrived within 30 s.
  @discardableResult
  func waitFor(_ n: Int) -> Bool {
    condition.lock()
    defer { condition.unlock() }
    let limit = Date(timeIntervalSinceNow: 30)
    while count < n {
      if !condition.wait(until: limit) { return false }
    }
    return true
  }
}

/// An atomic counter usable from @Sendable closures.
final class Counter: Sendable {
  private let atomic = Atomic<Int>(0)
  @discardableResult
  func increment() -> Int { atomic.add(1, ordering: .relaxed).newValue }
  @discardableResult
  func decrement() -> Int { atomic.subtract(1, ordering: .relaxed).newValue }
  var value: Int { atomic.load(ordering: .acquiring) }
}

/// A lock-protected list for recording events from many threads.
final class Recorder<T: Sendable>: @unchecked Sendable {
  // @unchecked: guarded by `lock`.
  private let lock = NSLock()
  private var items: [T] = []
  func append(_ item: T) { lock.withLock { items.append(item) } }
  var all: [T] { lock.withLock { items } }
}

/// The calling thread's name, as the kernel has it.  (Glibc's
/// pthread_getname_np is not visible from Swift here.)
func currentThreadName() -> String {
  let comm = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
  return comm.trimmingCharacters(in: .newlines)
}

/// Threads of this process whose name starts with `prefix` (from
/// /proc/self/task/*/comm): what the kernel says, not what the pool says.
func liveThreads(prefix: String) -> Int {
  let tasks =
    (try? FileManager.default.contentsOfDirectory(
      atPath: "/proc/self/task")) ?? []
  return tasks.filter { tid in
    let comm =
      (try? String(
        contentsOfFile: "/proc/self/task/\(tid)/comm", encoding: .utf8)) ?? ""
    return comm.hasPrefix(prefix)
  }.count
}

/// Waits (up to 30 s, polling the kernel's list) until no thread named
/// `prefix…` is left; returns how many remain.  Detached threads exit on
/// their own time, so this polls rather than joins.  Use it after a join
/// too: `pthread_join` returns once the thread has finished, but the
/// kernel lists it in /proc a moment longer, so an immediate count races
/// the exit it asserts.
func threadsRemaining(prefix: String) -> Int {
  let limit = Date(timeIntervalSinceNow: 30)
  var n = liveThreads(prefix: prefix)
  while n > 0 && Date() < limit {
    usleep(1000)
    n = liveThreads(prefix: prefix)
  }
  return n
}

/// A unique thread-name prefix (short: Linux names are 15 chars).
func uniquePrefix() -> String {
  "t\(UInt32.random(in: 0..<UInt32.max) % 100_000)"
}

/// An error a task throws on purpose.
struct Boom: Error, Equatable { let id: Int }

/// Runs `body` on `n` new threads started together; returns when all end.
func onThreads(_ n: Int, _ body: @escaping @Sendable (Int) -> Void) {
  let start = Gate()
  let done = Arrivals()
  for i in 0..<n {
    Thread.detachNewThread {
      start.pass()
      body(i)
      done.arrive()
    }
  }
  start.open()
  done.waitFor(n)
}

/// The error `body` throws, or nil.
func thrownError(_ body: () throws -> Void) -> (any Error)? {
  do { try body(); return nil } catch { return error }
}
