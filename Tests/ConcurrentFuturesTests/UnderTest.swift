// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// This test target runs the shared behaviour suite (Behaviour/, a link to
// Tests/Behaviour) on ConcurrentFutures, the C-backed module: the target
// defines CF_UNDER_TEST_C, so the suite's files import it.
import CFutures

/// Shown in failure messages.
let implementationName = "ConcurrentFutures"

/// The test target of the other implementation (the differential test
/// compares the two).
let otherTestModule = "PureSwiftFuturesTests"

/// Makes the next `count` worker thread starts fail (`Int.max`: all, until
/// set again), through the C core's test hook.
func failThreadStarts(_ count: Int) {
  cf_test_fail_thread_starts(count >= Int(Int32.max) ? Int32.max : Int32(max(0, count)))
}
