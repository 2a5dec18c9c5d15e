// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

import ConcurrentFutures
import FanOutCore
import Foundation
import XCTest

/// The FanOut example against a real server: the pool's answers, a server
/// that dies under running tasks, and a wrong connection string.  The class
/// starts its own throwaway server (scripts/pg-server.sh) and stops it.
final class FanOutTests: XCTestCase {
  static let server = PGServer()
  nonisolated(unsafe) static var conninfo = ""
  static let rows = 10_000

  override class func setUp() {
    super.setUp()
    do {
      conninfo = try server.start()
      try server.load(rows: rows)
    } catch {
      // Every test then fails on its first connection, saying why.
      print("FanOutTests: could not start the server: \(error)")
    }
  }

  override class func tearDown() {
    try? server.stop()
    super.tearDown()
  }

  private func ids(_ count: Int, seed: UInt64) -> [Int32] {
    Workload(conninfo: "", count: count, rows: Self.rows, sleep: 0, seed: seed).ids
  }

  /// A pool of 64 workers with one connection each, opened by the
  /// per-worker initializer and closed by the finalizer.
  private func makePool(
    conninfo: String = FanOutTests.conninfo, connections: WorkerLocal<PGConnection>,
    opened: InFlightCounter? = nil, closed: InFlightCounter? = nil
  ) throws -> ThreadPoolExecutor {
    try ThreadPoolExecutor(
      maxWorkers: 64, threadNamePrefix: "pg-test", workerState: connections,
      initializer: {
        let c = try PGConnection(conninfo: conninfo)
        opened?.enter()
        return c
      },
      finalizer: {
        $0.close()
        closed?.enter()
      })
  }

  func testThousandQueriesThroughThePoolAreAllCorrect() throws {
    let connections = WorkerLocal<PGConnection>()
    let opened = InFlightCounter()
    let closed = InFlightCounter()
    let pool = try makePool(connections: connections, opened: opened, closed: closed)
    let ids = ids(1_000, seed: 11)
    let futures = try ids.map { id in
      try pool.submit { try connections.get().lookup(id: id) }
    }
    for (id, future) in zip(ids, futures) {
      XCTAssertEqual(try future.result(timeout: .seconds(60)), expectedValue(id: id), "id \(id)")
    }
    pool.shutdown(wait: true)
    XCTAssertGreaterThan(opened.startedCount, 1, "the pool ran on several connections")
    XCTAssertLessThanOrEqual(opened.startedCount, 64)
    XCTAssertEqual(closed.startedCount, opened.startedCount, "the finalizer closed each one")
  }

  /// The server is stopped (-m immediate) while tasks are in flight: every
  /// future completes, each with its right answer or with libpq's error;
  /// none hangs and none is lost.  Once the server is back the same pool
  /// serves a new batch without an error (the tasks reconnect).
  func testServerStoppedMidRunFailsAffectedFuturesAndPoolRecovers() throws {
    let connections = WorkerLocal<PGConnection>()
    let pool = try makePool(connections: connections)
    defer { pool.shutdown(wait: true) }
    let started = InFlightCounter()
    let ids = ids(2_000, seed: 12)
    // 50 ms on the server each: with 64 workers the batch takes at least
    // 2000 × 50 ms ÷ 64 ≈ 1.6 s, so the stop (issued about 0.1 s in, and
    // taking about 0.1 s) lands well inside it even on a loaded machine.
    let futures = try ids.map { id in
      try pool.submit {
        started.enter()
        return try connections.get().lookup(id: id, sleep: 0.05)
      }
    }
    // Each worker takes a new task only after finishing one, so 128 started
    // means at least 64 done and the pool's 64 connections all in use.
    let deadline = Date().addingTimeInterval(60)
    while started.startedCount < 128 && Date() < deadline { usleep(1_000) }
    XCTAssertGreaterThanOrEqual(started.startedCount, 128, "the batch did not get going")
    let startedAtStop = started.startedCount
    try Self.server.kill()

    var correct = 0
    var failed = 0
    var messages: Set<String> = []
    var unfinished = 0
    for (id, future) in zip(ids, futures) {
      let remaining = max(deadline.timeIntervalSinceNow, 0)
      do {
        let value = try future.result(timeout: .milliseconds(Int(remaining * 1000)))
        XCTAssertEqual(value, expectedValue(id: id), "id \(id)")
        correct += 1
      } catch let error as PGError {
        failed += 1
        XCTAssertFalse(error.message.isEmpty)
        XCTAssertFalse(error.message.hasPrefix("no row"), error.message)
        messages.insert(error.message)
      } catch let error as FuturesError where error.code == .timedOut {
        unfinished += 1
      } catch {
        XCTFail("id \(id): not libpq's error: \(error)")
      }
    }
    print(
      "server stopped after \(startedAtStop) tasks had started: \(correct) answered, "
        + "\(failed) failed, \(unfinished) unfinished; libpq said:")
    for m in messages.sorted() { print("  \(m)") }
    XCTAssertEqual(unfinished, 0, "futures still not done after 60 s")
    XCTAssertEqual(correct + failed, futures.count, "every future accounted for")
    XCTAssertGreaterThanOrEqual(correct, 64, "the tasks done before the stop answered")
    XCTAssertGreaterThan(failed, 0, "the stop failed some tasks")

    _ = try Self.server.start()
    let again = self.ids(200, seed: 13)
    let recovered = try again.map { id in
      try pool.submit { try connections.get().lookup(id: id) }
    }
    for (id, future) in zip(again, recovered) {
      XCTAssertEqual(try future.result(timeout: .seconds(60)), expectedValue(id: id), "id \(id)")
    }
    XCTAssertFalse(pool.isBroken)
  }

  /// A wrong connection string is a clear error at the first task: the
  /// initializer throws libpq's message, the pool is broken, and the
  /// first future fails with a .brokenPool error that names it.
  func testWrongConninfoFailsTheFirstTaskWithLibpqsMessage() throws {
    let connections = WorkerLocal<PGConnection>()
    // Port 1 on loopback: nothing listens there, so libpq is refused.
    let pool = try makePool(
      conninfo: "host=127.0.0.1 port=1 dbname=postgres user=postgres connect_timeout=5",
      connections: connections)
    defer { pool.shutdown(wait: true) }
    let first = try pool.submit { try connections.get().lookup(id: 1) }
    XCTAssertThrowsError(try first.result(timeout: .seconds(60))) { error in
      guard let error = error as? FuturesError else {
        return XCTFail("not a FuturesError: \(error)")
      }
      XCTAssertEqual(error.code, .brokenPool)
      XCTAssertTrue(
        error.message.contains("port 1 failed") && error.message.contains("Connection refused"),
        error.message)
      print("first future: \(error.message)")
    }
    XCTAssertTrue(pool.isBroken)
    // Later submits are refused with the same cause.
    XCTAssertThrowsError(try pool.submit { 0 }) { error in
      XCTAssertEqual((error as? FuturesError)?.code, .brokenPool)
    }
  }

  /// Keepalives and a connect timeout by default, so a partitioned
  /// server cannot hold a request forever; the connection string wins.
  func testConnectionsGetKeepalivesUnlessTheConnectionStringSaysOtherwise() throws {
    let plain = try PGConnection(conninfo: Self.conninfo)
    defer { plain.close() }
    XCTAssertEqual(plain.option("keepalives"), "1")
    XCTAssertEqual(plain.option("keepalives_idle"), "5")
    XCTAssertEqual(plain.option("keepalives_count"), "3")
    XCTAssertEqual(plain.option("connect_timeout"), "10")
    let own = try PGConnection(conninfo: Self.conninfo + " keepalives_idle=7")
    defer { own.close() }
    XCTAssertEqual(own.option("keepalives_idle"), "7")
    XCTAssertEqual(try own.lookup(id: 1), expectedValue(id: 1))
  }

  /// The blocking client alone: a malformed connection string and a
  /// refused connection throw libpq's message; nothing crashes.
  func testPGConnectionReportsLibpqErrors() {
    XCTAssertThrowsError(try PGConnection(conninfo: "nonsense=1")) { error in
      XCTAssertEqual((error as? PGError)?.message, #"invalid connection option "nonsense""#)
    }
    XCTAssertThrowsError(try PGConnection(conninfo: "host=127.0.0.1 port=1 connect_timeout=5")) {
      error in
      XCTAssertTrue("\(error)".contains("Connection refused"), "\(error)")
    }
  }
}
