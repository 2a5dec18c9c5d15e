// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

import ConcurrentFutures
import Dispatch
import Foundation

/// K point lookups, and the server-side sleep each one adds (0 for none).
public struct Workload: Sendable {
  public let conninfo: String
  public let ids: [Int32]
  public let sleep: Double

  /// `count` ids drawn from 1...rows by a fixed-seed generator, so every
  /// system looks up the same rows in the same order.
  public init(conninfo: String, count: Int, rows: Int, sleep: Double, seed: UInt64 = 7) {
    self.conninfo = conninfo
    self.sleep = sleep
    var state = seed
    ids = (0..<count).map { _ in
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Int32(truncatingIfNeeded: (state >> 33) % UInt64(rows) + 1)
    }
  }
}

/// What one system did with a workload.
public struct RunResult: Sendable {
  public let system: String
  /// From the start (before any connection was opened) to the last answer.
  public let wallNanos: Int64
  /// Per-request time around the blocking call alone, ascending.
  public let latencies: [Int64]
  public let correct: Int
  public let wrong: Int
  /// Requests whose answer was an error, and the distinct messages.
  public let failed: Int
  public let errorMessages: [String]
  /// Requests that never completed within the wait (must be 0).
  public let lost: Int
  public let maxInFlight: Int
  /// Connections (pool: threads) it had at the end.
  public let connections: Int

  public var total: Int { correct + wrong + failed + lost }
  public var requestsPerSecond: Double { Double(total) / (Double(wallNanos) / 1e9) }
  public var p50: Int64 { percentile(latencies, 50) }
  public var p99: Int64 { percentile(latencies, 99) }
}

extension RunResult {
  init(
    system: String, workload: Workload, slots: Slots, wallNanos: Int64,
    maxInFlight: Int, connections: Int
  ) {
    var correct = 0
    var wrong = 0
    var failed = 0
    var lost = 0
    var messages: [String] = []
    var latencies: [Int64] = []
    latencies.reserveCapacity(slots.count)
    for (i, id) in workload.ids.enumerated() {
      switch slots.outcome(i) {
      case .success(let value):
        latencies.append(slots.latency(i))
        if value == expectedValue(id: id) { correct += 1 } else { wrong += 1 }
      case .failure(let error):
        failed += 1
        if !messages.contains(error.message) { messages.append(error.message) }
      case nil:
        lost += 1
      }
    }
    self.init(
      system: system, wallNanos: wallNanos, latencies: latencies.sorted(), correct: correct,
      wrong: wrong, failed: failed, errorMessages: messages, lost: lost,
      maxInFlight: maxInFlight, connections: connections)
  }
}

/// Runs one lookup, timing only the blocking call, and records it.
@inline(__always)
private func timedLookup(
  _ connection: PGConnection, _ workload: Workload, _ i: Int, _ slots: Slots,
  _ inFlight: InFlightCounter
) {
  inFlight.enter()
  let t0 = nowNanos()
  let outcome = Result { try connection.lookup(id: workload.ids[i], sleep: workload.sleep) }
    .mapError { $0 as? PGError ?? PGError("\($0)") }
  let t1 = nowNanos()
  inFlight.leave()
  slots.record(i, outcome, latency: t1 - t0)
}

/// One connection, one request after another.
public func runSequential(_ workload: Workload) throws -> RunResult {
  let slots = Slots(count: workload.ids.count)
  let inFlight = InFlightCounter()
  let t0 = nowNanos()
  let connection = try PGConnection(conninfo: workload.conninfo)
  for i in workload.ids.indices { timedLookup(connection, workload, i, slots, inFlight) }
  let wall = nowNanos() - t0
  connection.close()
  return RunResult(
    system: "sequential (1 connection)", workload: workload, slots: slots, wallNanos: wall,
    maxInFlight: inFlight.maxInFlight, connections: 1)
}

/// ConcurrentFutures: a pool of `workers` threads, each opening its own
/// connection in the per-worker initializer (kept in a `WorkerLocal`,
/// closed by the finalizer), one submit per request.  The workload runs
/// twice on one pool: cold (threads start and connect lazily, inside the
/// wall time) and warm (every connection already open).
public func runPool(_ workload: Workload, workers: Int, timeout: Duration = .seconds(60))
  throws -> (cold: RunResult, warm: RunResult)
{
  let connection = WorkerLocal<PGConnection>()
  let conninfo = workload.conninfo
  let t0 = nowNanos()
  let pool = try ThreadPoolExecutor(
    maxWorkers: workers, queueCapacity: max(workload.ids.count, 1), threadNamePrefix: "pg",
    workerState: connection,
    initializer: { try PGConnection(conninfo: conninfo) },
    finalizer: { $0.close() })
  defer { pool.shutdown(wait: true) }
  let cold = try runBatch(
    pool, connection, workload, since: t0, timeout: timeout,
    system: "ConcurrentFutures (\(workers) workers), cold")
  let warm = try runBatch(
    pool, connection, workload, since: nowNanos(), timeout: timeout,
    system: "ConcurrentFutures (\(workers) workers), warm")
  return (cold, warm)
}

private func runBatch(
  _ pool: ThreadPoolExecutor, _ connection: WorkerLocal<PGConnection>, _ workload: Workload,
  since t0: Int64, timeout: Duration, system: String
) throws -> RunResult {
  let slots = Slots(count: workload.ids.count)
  let inFlight = InFlightCounter()
  let futures = try workload.ids.indices.map { i in
    try pool.submit {
      timedLookup(try connection.get(), workload, i, slots, inFlight)
    }
  }
  // A future that fails without having recorded its slot (a broken pool)
  // counts as failed with the pool's error; one still running after
  // `timeout` stays empty and counts as lost.
  for (i, future) in futures.enumerated() {
    do {
      try future.result(timeout: timeout)
    } catch let error as FuturesError where error.code == .timedOut {
    } catch {
      if case .none = slots.outcome(i) {
        slots.record(i, .failure(PGError(String(describing: error))), latency: 0)
      }
    }
  }
  let wall = nowNanos() - t0
  return RunResult(
    system: system, workload: workload, slots: slots, wallNanos: wall,
    maxInFlight: inFlight.maxInFlight, connections: pool.threadCount)
}

/// How long a new pool takes until all its `workers` have connected and
/// are running a task: `workers` tasks that wait for one another (so each
/// submit finds no idle worker and starts a thread).  Nothing else runs.
public func measurePoolSetup(conninfo: String, workers: Int) throws -> Int64 {
  let connection = WorkerLocal<PGConnection>()
  let arrived = InFlightCounter()
  let t0 = nowNanos()
  let pool = try ThreadPoolExecutor(
    maxWorkers: workers, threadNamePrefix: "pg-setup", workerState: connection,
    initializer: { try PGConnection(conninfo: conninfo) },
    finalizer: { $0.close() })
  defer { pool.shutdown(wait: true) }
  let deadline = t0 + 60_000_000_000
  let futures = try (0..<workers).map { _ in
    try pool.submit {
      _ = try connection.get()
      arrived.enter()
      while arrived.startedCount < workers && nowNanos() < deadline { usleep(100) }
    }
  }
  while arrived.startedCount < workers && nowNanos() < deadline { usleep(100) }
  let setup = nowNanos() - t0
  for future in futures { try future.result(timeout: .seconds(60)) }
  return setup
}

/// Connections for the runners that have no per-thread hook (Dispatch, the
/// TaskGroup): a locked stack of at most `capacity`, opened lazily, each
/// checked out for one request — so these systems, like the pool, open
/// only as many connections as they run requests at once.
public final class ConnectionPool: @unchecked Sendable {
  public let conninfo: String
  public let capacity: Int
  private let condition = NSCondition()
  private var idle: [PGConnection] = []
  private var opened = 0

  public init(conninfo: String, capacity: Int) {
    self.conninfo = conninfo
    self.capacity = capacity
  }

  /// How many connections were opened.
  public var openedCount: Int {
    condition.lock()
    defer { condition.unlock() }
    return opened
  }

  public func withConnection<T>(_ body: (PGConnection) throws -> T) throws -> T {
    let connection = try checkOut()
    defer { checkIn(connection) }
    return try body(connection)
  }

  private func checkOut() throws -> PGConnection {
    condition.lock()
    while idle.isEmpty && opened >= capacity { condition.wait() }
    if let connection = idle.popLast() {
      condition.unlock()
      return connection
    }
    opened += 1
    condition.unlock()
    do {
      return try PGConnection(conninfo: conninfo)
    } catch {
      condition.lock()
      opened -= 1
      condition.signal()
      condition.unlock()
      throw error
    }
  }

  private func checkIn(_ connection: PGConnection) {
    condition.lock()
    idle.append(connection)
    condition.signal()
    condition.unlock()
  }

  public func closeAll() {
    condition.lock()
    defer { condition.unlock() }
    idle.forEach { $0.close() }
    idle.removeAll()
  }
}

/// Dispatch: one block per request on a concurrent queue, joined by a
/// DispatchGroup; each block checks a connection out of a
/// ``ConnectionPool`` of `connections`.
public func runDispatch(_ workload: Workload, connections: Int) -> RunResult {
  let slots = Slots(count: workload.ids.count)
  let inFlight = InFlightCounter()
  let t0 = nowNanos()
  let pool = ConnectionPool(conninfo: workload.conninfo, capacity: connections)
  let queue = DispatchQueue(label: "fanout.dispatch", attributes: .concurrent)
  let group = DispatchGroup()
  for i in workload.ids.indices {
    queue.async(group: group) {
      do {
        try pool.withConnection { timedLookup($0, workload, i, slots, inFlight) }
      } catch {
        slots.record(i, .failure(error as? PGError ?? PGError("\(error)")), latency: 0)
      }
    }
  }
  group.wait()
  let wall = nowNanos() - t0
  let opened = pool.openedCount
  pool.closeAll()
  return RunResult(
    system: "Dispatch (concurrent queue + group)", workload: workload, slots: slots,
    wallNanos: wall, maxInFlight: inFlight.maxInFlight, connections: opened)
}

/// A TaskGroup with one child task per request, each calling the blocking
/// client on the cooperative pool (what not to do — shown for its figures),
/// with a ``ConnectionPool`` of `connections`.
public func runTaskGroup(_ workload: Workload, connections: Int) async -> RunResult {
  let slots = Slots(count: workload.ids.count)
  let inFlight = InFlightCounter()
  let t0 = nowNanos()
  let pool = ConnectionPool(conninfo: workload.conninfo, capacity: connections)
  await withTaskGroup(of: Void.self) { group in
    for i in workload.ids.indices {
      group.addTask {
        do {
          try pool.withConnection { timedLookup($0, workload, i, slots, inFlight) }
        } catch {
          slots.record(i, .failure(error as? PGError ?? PGError("\(error)")), latency: 0)
        }
      }
    }
  }
  let wall = nowNanos() - t0
  let opened = pool.openedCount
  pool.closeAll()
  return RunResult(
    system: "TaskGroup (blocking client)", workload: workload, slots: slots,
    wallNanos: wall, maxInFlight: inFlight.maxInFlight, connections: opened)
}
