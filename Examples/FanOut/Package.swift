// swift-tools-version:6.0
// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// The FanOut example (issue 7): point lookups against PostgreSQL through
// ConcurrentFutures, Dispatch and a TaskGroup.  Its own package, so that the
// library itself never needs libpq.
import PackageDescription

let package = Package(
  name: "FanOut",
  dependencies: [
    // Named, since a path dependency is otherwise known by its directory
    // name (a worktree or a CI clone may be called anything).
    .package(name: "ConcurrentFutures", path: "../..")
  ],
  targets: [
    // libpq, found with pkg-config (headers in /usr/include/postgresql).
    .systemLibrary(
      name: "CLibPQ",
      pkgConfig: "libpq",
      providers: [.apt(["libpq-dev"])]
    ),
    // The blocking client, the runners and the latency figures.
    .target(
      name: "FanOutCore",
      dependencies: [
        "CLibPQ",
        .product(name: "ConcurrentFutures", package: "ConcurrentFutures"),
      ]
    ),
    .executableTarget(name: "FanOut", dependencies: ["FanOutCore"]),
    .testTarget(
      name: "FanOutTests",
      dependencies: [
        "FanOutCore",
        .product(name: "ConcurrentFutures", package: "ConcurrentFutures"),
      ]
    ),
  ]
)
