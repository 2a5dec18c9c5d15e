// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// The suite's assertion on the implementation's own error type.
#if CF_UNDER_TEST_C
import ConcurrentFutures
#else
import PureSwiftFutures
#endif
import XCTest

/// Asserts `error` is the implementation's FuturesError with `code`.
func assertFuturesError(
  _ impl: Impl.Type, _ error: any Error, code: String,
  messageContains: String? = nil,
  file: StaticString = #filePath, line: UInt = #line
) {
  guard let (actual, message) = Impl.futuresError(error) else {
    XCTFail(
      "\(implementationName): expected FuturesError.\(code), got \(error)",
      file: file, line: line)
    return
  }
  XCTAssertEqual(
    actual, code, "\(implementationName): \(message)",
    file: file, line: line)
  if let messageContains {
    XCTAssertTrue(
      message.contains(messageContains),
      "\(implementationName): message \"\(message)\" lacks \"\(messageContains)\"",
      file: file, line: line)
  }
}
