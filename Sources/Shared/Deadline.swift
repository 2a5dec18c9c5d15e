// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

#if canImport(Glibc)
import Glibc
#endif

/// An absolute time on CLOCK_MONOTONIC, or none.  Computed once, at the
/// start of the call that was given the timeout, so that a call made of
/// several waits (a submit that blocks twice, an `asCompleted` loop) is
/// bounded as a whole.
@usableFromInline
struct Deadline: Sendable {
  /// The moment as `pthread_cond_timedwait` and the C core want it; `nil`
  /// means never.
  let time: timespec?

  /// No deadline: wait as long as it takes.
  static let none = Deadline(time: nil)

  private init(time: timespec?) { self.time = time }

  /// True once the deadline is now or past (never for `.none`).
  var hasPassed: Bool {
    guard let time else { return false }
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return now.tv_sec > time.tv_sec
      || (now.tv_sec == time.tv_sec && now.tv_nsec >= time.tv_nsec)
  }

  /// `nil` waits forever; zero polls (the deadline is already now);
  /// negative throws ``FuturesError`` `.invalidArgument`, with `what` (the
  /// name of the call) leading the message.  A timeout too large to add
  /// saturates to the far future.
  @usableFromInline
  init(timeout: Duration?, what: @autoclosure () -> String) throws {
    guard let timeout else {
      self = .none
      return
    }
    let nanos = try Timeouts.nanoseconds(timeout, what: what())
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    let nowNanos = Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    let (sum, overflow) = nowNanos.addingReportingOverflow(nanos)
    let at = overflow ? Int64.max : sum
    self.init(
      time: timespec(
        tv_sec: Int(at / 1_000_000_000), tv_nsec: Int(at % 1_000_000_000)))
  }

  /// Calls `body` with a pointer to the time, or nil for none.
  func withPointer<R>(_ body: (UnsafePointer<timespec>?) throws -> R) rethrows -> R {
    guard var time else { return try body(nil) }
    return try withUnsafePointer(to: &time) { try body($0) }
  }
}
