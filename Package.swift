// swift-tools-version:6.0
// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

import PackageDescription

// The library: only what its own targets use.  Bench (with swift-nio and
// HdrHistogram) is a package of its own in Benchmarks/, the FanOut example
// (with libpq) in Examples/FanOut.

let package = Package(
  name: "ConcurrentFutures",
  products: [
    .library(name: "ConcurrentFutures", targets: ["ConcurrentFutures"]),
    .library(name: "PureSwiftFutures", targets: ["PureSwiftFutures"]),
    .library(name: "CFutures", targets: ["CFutures"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2")
  ],
  targets: [
    // The C11 core: queue, future state word, waiters, pool.  Public surface:
    // Sources/CFutures/include/CFutures.h.
    .target(
      name: "CFutures",
      cSettings: [.define("_GNU_SOURCE")],
      linkerSettings: [.linkedLibrary("bsd"), .linkedLibrary("pthread")]
    ),
    // The typed Swift API over the C core.
    .target(
      name: "ConcurrentFutures",
      dependencies: [
        "CFutures",
        .product(name: "Logging", package: "swift-log"),
      ]
    ),
    // The same public API in Swift alone: the reference the C core must
    // beat, and a second oracle for the behaviour suite.
    .target(
      name: "PureSwiftFutures",
      dependencies: [.product(name: "Logging", package: "swift-log")]
    ),
    .testTarget(name: "CFuturesTests", dependencies: ["CFutures"]),
    // The behaviour suite (Tests/Behaviour, linked into both folders) runs
    // once per implementation: each target compiles it against its module.
    .testTarget(
      name: "ConcurrentFuturesTests",
      dependencies: ["ConcurrentFutures", "CFutures"],
      swiftSettings: [.define("CF_UNDER_TEST_C")]
    ),
    .testTarget(
      name: "PureSwiftFuturesTests",
      dependencies: ["PureSwiftFutures"]
    ),
  ],
  cLanguageStandard: .c11
)

// `make docs` (CF_DOCS=1) adds swift-docc-plugin for
// `swift package generate-documentation`; a package that depends on this one
// never resolves it.
if Context.environment["CF_DOCS"] == "1" {
  package.dependencies.append(
    .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"))
}
