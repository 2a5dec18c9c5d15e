// swift-tools-version:6.0
// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// Bench: the benchmark of ConcurrentFutures against its C core, the
// pure-Swift twin, Dispatch, SwiftNIO's NIOThreadPool and the JVM, in a
// package of its own so that the library's manifest names only what the
// library uses.  `swift run -c release Bench` here, or `make bench` at the
// root.  What it measures: README.md beside this file.
import PackageDescription

let package = Package(
  name: "ConcurrentFuturesBench",
  dependencies: [
    .package(name: "ConcurrentFutures", path: ".."),
    .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
  ],
  targets: [
    .executableTarget(
      name: "Bench",
      dependencies: [
        .product(name: "ConcurrentFutures", package: "ConcurrentFutures"),
        .product(name: "PureSwiftFutures", package: "ConcurrentFutures"),
        .product(name: "CFutures", package: "ConcurrentFutures"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "Histogram", package: "hdrhistogram-swift"),
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Bench"
    )
  ]
)
