// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Monotonic nanoseconds.
@inline(__always)
public func nowNanos() -> Int64 {
  var ts = timespec()
  clock_gettime(CLOCK_MONOTONIC, &ts)
  return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
}

/// Counts requests in flight and remembers the most seen at once: how much
/// concurrency a system really gave the blocking client.
public final class InFlightCounter: Sendable {
  private let now = Atomic<Int>(0)
  private let peak = Atomic<Int>(0)
  private let started = Atomic<Int>(0)

  public init() {}

  /// A request starts; returns how many have started so far (this one too).
  @discardableResult
  public func enter() -> Int {
    let n = now.wrappingAdd(1, ordering: .relaxed).newValue
    var seen = peak.load(ordering: .relaxed)
    while n > seen {
      let (exchanged, original) = peak.compareExchange(
        expected: seen, desired: n, ordering: .relaxed)
      if exchanged { break }
      seen = original
    }
    return started.wrappingAdd(1, ordering: .relaxed).newValue
  }

  public func leave() { now.wrappingSubtract(1, ordering: .relaxed) }

  /// The most requests that were in flight at once.
  public var maxInFlight: Int { peak.load(ordering: .relaxed) }
  /// How many requests have started.
  public var startedCount: Int { started.load(ordering: .relaxed) }
}

/// One slot per request, written once by whichever thread ran it and read
/// after all have finished (the join — a future's result, a group's wait —
/// orders the writes before the reads).
final class Slots: @unchecked Sendable {
  let count: Int
  private let outcomes: UnsafeMutablePointer<Result<Int64, PGError>?>
  private let latencies: UnsafeMutablePointer<Int64>

  init(count: Int) {
    self.count = count
    outcomes = .allocate(capacity: count)
    outcomes.initialize(repeating: nil, count: count)
    latencies = .allocate(capacity: count)
    latencies.initialize(repeating: 0, count: count)
  }

  deinit {
    outcomes.deinitialize(count: count)
    outcomes.deallocate()
    latencies.deallocate()
  }

  func record(_ i: Int, _ outcome: Result<Int64, PGError>, latency: Int64) {
    outcomes[i] = outcome
    latencies[i] = latency
  }

  func outcome(_ i: Int) -> Result<Int64, PGError>? { outcomes[i] }
  func latency(_ i: Int) -> Int64 { latencies[i] }
}

/// Nearest-rank percentile of `sorted` (ascending), `p` in 0...100.
public func percentile(_ sorted: [Int64], _ p: Double) -> Int64 {
  guard !sorted.isEmpty else { return 0 }
  let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
  return sorted[min(max(rank, 1), sorted.count) - 1]
}
