// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// ConcurrentFutures' engine: the C core.  The files both modules share
// (Sources/Shared, linked here as Shared/) reach it through the protocols
// of Shared/EngineContract.swift; these are the types that conform.

/// The name the module logs and traps under.
let moduleName = "ConcurrentFutures"

typealias FutureCore = CFutureCore
typealias PoolCore = CPool
typealias WaiterCore = CWaiter

extension CFutureCore: FutureEngine {}
extension CPool: PoolEngine {}
extension CWaiter: CompletionWaiter {}
