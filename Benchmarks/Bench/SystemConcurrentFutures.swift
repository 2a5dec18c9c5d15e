// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// ConcurrentFutures, the product, through its Swift API.
// SystemPureSwiftFutures.swift is this file line for line but for the module
// it imports: keep the two identical.

import ConcurrentFutures

final class ConcurrentFuturesSystem: PoolSystem {
  static let name = "ConcurrentFutures"
  static let hasMap = true
  static func capacityNote(_ bound: QueueBound) -> String {
    formatCount(bound.capacity)
  }

  private let pool: ThreadPoolExecutor
  private let gate = Gate()

  init(workers: Int, bound: QueueBound, slots: Int) throws {
    pool = try ThreadPoolExecutor(
      maxWorkers: workers, queueCapacity: bound.capacity)
  }

  func submit(_ job: Job, input: Int, slot: Int) throws -> Future<Int> {
    switch job {
    case .increment:
      return try pool.submit { input &+ 1 }
    case .sleep1ms:
      return try pool.submit {
        sleepOneMillisecond()
        return input &+ 1
      }
    case .double:
      return try pool.submit { input &* 2 }
    }
  }

  func result(_ handle: Future<Int>) throws -> Int { try handle.result() }

  func sumAsCompleted(_ handles: [Future<Int>]) throws -> Int {
    var sum = 0
    var completed = try asCompleted(handles)
    while let future = try completed.next() { sum &+= try future.result() }
    return sum
  }

  func sumOrderedMap(_ inputs: Range<Int>, lookAhead: Int) throws -> Int {
    var sum = 0
    for result in try pool.lazyMap(inputs, lookAhead: lookAhead, { $0 &* 2 }) {
      sum &+= try result.get()
    }
    return sum
  }

  func holdWorkers() throws {
    let gate = self.gate
    for _ in 0..<pool.maxWorkers {
      _ = try pool.submit { gate.enter() }
    }
    gate.awaitRunning(pool.maxWorkers)
  }

  func releaseWorkers() { gate.release(pool.maxWorkers) }

  func shutdown() throws { pool.shutdown(wait: true) }
}
