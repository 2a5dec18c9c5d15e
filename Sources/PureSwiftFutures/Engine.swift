// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// PureSwiftFutures' engine: Swift alone, a mutex and condition per future
// (CPython's thread.py).  The files both modules share (Sources/Shared,
// linked here as Shared/) reach it through the protocols of
// Shared/EngineContract.swift; these are the types that conform.

/// The name the module logs and traps under.
let moduleName = "PureSwiftFutures"

typealias FutureCore = FutureState
typealias PoolCore = WorkerPool
typealias WaiterCore = Waiter

extension FutureState: FutureEngine {}
extension WorkerPool: PoolEngine {}
extension Waiter: CompletionWaiter {}
