// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// This test target runs the shared behaviour suite (Behaviour/, a link to
// Tests/Behaviour) on PureSwiftFutures, the Swift-only twin.
import PureSwiftFutures

/// Shown in failure messages.
let implementationName = "PureSwiftFutures"

/// The test target of the other implementation (the differential test
/// compares the two).
let otherTestModule = "ConcurrentFuturesTests"

/// Makes the next `count` worker thread starts fail (`Int.max`: all, until
/// set again), through the twin's test hook.
func failThreadStarts(_ count: Int) {
  TestHooks.failThreadStarts(count)
}
