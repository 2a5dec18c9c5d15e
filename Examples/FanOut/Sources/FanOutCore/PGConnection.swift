// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

import CLibPQ

#if canImport(Glibc)
import Glibc
#endif

/// An error from libpq: its message, trimmed (libpq's end in a newline and
/// sometimes carry a tab-indented hint line, kept as one line here).
public struct PGError: Error, Sendable, CustomStringConvertible {
  public let message: String

  public init(_ message: String) {
    self.message =
      message
      .split(whereSeparator: \.isNewline)
      .map { $0.trimmingCharacters(in: " \t") }
      .filter { !$0.isEmpty }
      .joined(separator: " ")
  }

  public var description: String { message }
}

extension StringProtocol {
  fileprivate func trimmingCharacters(in set: String) -> String {
    var s = Substring(self)
    while let c = s.first, set.contains(c) { s.removeFirst() }
    while let c = s.last, set.contains(c) { s.removeLast() }
    return String(s)
  }
}

/// One blocking libpq connection.
///
/// A `PGconn` must be used by one thread at a time: keep one per worker
/// (`WorkerLocal`), or check it out of a ``ConnectionPool`` for the length
/// of a request.  Hence `@unchecked Sendable`: it may move between threads,
/// never be shared by two at once.
public final class PGConnection: @unchecked Sendable {
  private var conn: OpaquePointer?
  /// The connection string it was opened with.
  public let conninfo: String

  /// What every connection gets unless `conninfo` says otherwise: TCP
  /// keepalives, so a request to a server that vanished from the network
  /// (a partition, not a clean close) fails after about 10 s instead of
  /// waiting forever, and a bound on connecting.
  public static let defaults: KeyValuePairs<String, String> = [
    "keepalives": "1", "keepalives_idle": "5", "keepalives_interval": "2",
    "keepalives_count": "3", "connect_timeout": "10",
  ]

  /// Opens a connection (PQconnectdbParams, blocking): ``defaults`` first,
  /// then `conninfo` (a `key=value` string or a URI), whose settings win.
  ///
  /// - Throws: ``PGError`` with libpq's message when it cannot connect or
  ///   the connection string is malformed.
  public init(conninfo: String) throws {
    self.conninfo = conninfo
    let keywords = Self.defaults.map(\.key) + ["dbname"]
    let values = Self.defaults.map(\.value) + [conninfo]
    let cKeywords = keywords.map { strdup($0) }
    let cValues = values.map { strdup($0) }
    defer { (cKeywords + cValues).forEach { free($0) } }
    let connection = (cKeywords.map { UnsafePointer($0) } + [nil])
      .withUnsafeBufferPointer { k in
        (cValues.map { UnsafePointer($0) } + [nil]).withUnsafeBufferPointer { v in
          // expand_dbname 1: `dbname` is read as a whole connection string,
          // as if its settings stood at its place (after the defaults).
          PQconnectdbParams(k.baseAddress, v.baseAddress, 1)
        }
      }
    guard let c = connection else {
      throw PGError("libpq could not allocate a connection")
    }
    guard PQstatus(c) == CONNECTION_OK else {
      let message = String(cString: PQerrorMessage(c))
      PQfinish(c)
      throw PGError(message)
    }
    // libpq prints the server's notices to stderr by default; a dying
    // server's "terminating connection due to immediate shutdown command"
    // warning would land there once per connection.  The errors that
    // matter come back through the calls.
    PQsetNoticeProcessor(c, { _, _ in }, nil)
    conn = c
  }

  deinit { close() }

  /// Closes the connection (PQfinish); later lookups throw.
  public func close() {
    if let c = conn { PQfinish(c) }
    conn = nil
  }

  /// Makes sure the connection is usable, reconnecting (PQreset) when it
  /// is not.
  ///
  /// A connection whose server went away while it sat idle still reports
  /// CONNECTION_OK until libpq reads from it, so first read what the socket
  /// has, without blocking: the server's goodbye notice and the EOF.
  ///
  /// - Throws: ``PGError`` with libpq's message when the reset fails too.
  public func ensureConnected() throws {
    guard let c = conn else { throw PGError("the connection is closed") }
    var rounds = 0
    while PQstatus(c) == CONNECTION_OK, rounds < 4, socketReadable(c) {
      if PQconsumeInput(c) == 0 { break }
      rounds += 1
    }
    if PQstatus(c) != CONNECTION_OK {
      PQreset(c)
      guard PQstatus(c) == CONNECTION_OK else {
        throw PGError(String(cString: PQerrorMessage(c)))
      }
    }
  }

  private func socketReadable(_ c: OpaquePointer) -> Bool {
    let fd = PQsocket(c)
    guard fd >= 0 else { return false }
    var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    return poll(&p, 1, 0) > 0
  }

  /// `SELECT value FROM items WHERE id = $1`, or, with `sleep` > 0, the same
  /// plus `pg_sleep(sleep)` on the server: a stand-in for a remote
  /// cluster's latency.
  ///
  /// Reconnects first when the connection is bad (see
  /// ``ensureConnected()``); never retries a query.
  ///
  /// - Returns: the row's value.
  /// - Throws: ``PGError`` with libpq's message: no connection, the query
  ///   failed, or no such row.
  public func lookup(id: Int32, sleep: Double = 0) throws -> Int64 {
    try ensureConnected()
    let result: OpaquePointer?
    if sleep > 0 {
      result = Self.exec(
        conn, "SELECT value, pg_sleep($2) FROM items WHERE id = $1",
        [String(id), String(sleep)])
    } else {
      result = Self.exec(conn, "SELECT value FROM items WHERE id = $1", [String(id)])
    }
    defer { PQclear(result) }
    guard let result, PQresultStatus(result) == PGRES_TUPLES_OK else {
      let message =
        result.map { String(cString: PQresultErrorMessage($0)) } ?? ""
      throw PGError(message.isEmpty ? String(cString: PQerrorMessage(conn)) : message)
    }
    guard PQntuples(result) == 1, let text = PQgetvalue(result, 0, 0),
      let value = Int64(String(cString: text))
    else {
      throw PGError("no row in items with id = \(id)")
    }
    return value
  }

  /// The value libpq uses for connection option `name` (PQconninfo), or
  /// nil when unset or closed.
  public func option(_ name: String) -> String? {
    guard let c = conn, let options = PQconninfo(c) else { return nil }
    defer { PQconninfoFree(options) }
    var entry = options
    while let keyword = entry.pointee.keyword {
      if String(cString: keyword) == name {
        return entry.pointee.val.map { String(cString: $0) }
      }
      entry += 1
    }
    return nil
  }

  /// The server's version, e.g. "15.18".
  public func serverVersion() throws -> String {
    try ensureConnected()
    let v = Int(PQserverVersion(conn))
    return "\(v / 10000).\(v % 10000)"
  }

  /// PQexecParams with text parameters and a text result.
  private static func exec(_ conn: OpaquePointer?, _ sql: String, _ params: [String])
    -> OpaquePointer?
  {
    let copies = params.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    return copies.map { UnsafePointer($0) }.withUnsafeBufferPointer { values in
      PQexecParams(conn, sql, Int32(params.count), nil, values.baseAddress, nil, nil, 0)
    }
  }
}

/// What row `id` holds: the formula `scripts/pg-server.sh load` uses.
public func expectedValue(id: Int32) -> Int64 {
  Int64(id) * 2_654_435_761 % 1_000_000_007
}
