// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "ConcurrentFutures",
  products: [
    .library(name: "ConcurrentFutures", targets: ["ConcurrentFutures"]),
    .library(name: "PureSwiftFutures", targets: ["PureSwiftFutures"]),
    .library(name: "CFutures", targets: ["CFutures"]),
    .executable(name: "Bench", targets: ["Bench"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    // Bench only: the NIOThreadPool baseline and W2's latency histogram.
    .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
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
    .executableTarget(
      name: "Bench",
      dependencies: [
        "ConcurrentFutures", "CFutures", "PureSwiftFutures",
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "Histogram", package: "hdrhistogram-swift"),
      ],
      path: "Benchmarks/Bench"
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
