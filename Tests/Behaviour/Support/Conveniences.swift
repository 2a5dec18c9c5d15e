// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// What the shared suite calls on the implementation under test: the
// public API under names that read the same in sync and async test code.
// (The blocking calls are `noasync` in the library; async tests still use
// them to set up gated workers, through these plain methods.)  This file
// compiles against whichever module the test target imports.
#if CF_UNDER_TEST_C
import ConcurrentFutures
#else
import PureSwiftFutures
#endif
import Foundation

/// The executor under test.
typealias Impl = ThreadPoolExecutor

extension Future where Value == Int {
  func addCallback(_ callback: @escaping @Sendable (Future<Int>) throws -> Void) {
    addDoneCallback(callback)
  }
  func awaitValue() async throws -> Int { try await value }
  func awaitThrownError() async throws -> (any Error)? { try await thrownError }
  func awaitResult(timeout: Duration?) async throws -> Int {
    try await result(timeout: timeout)
  }
  func awaitError(timeout: Duration?) async throws -> (any Error)? {
    try await error(timeout: timeout)
  }
}

extension ThreadPoolExecutor {
  /// The futures the suite's tasks return.
  typealias Fut = Future<Int>

  static func make(
    maxWorkers: Int? = nil, queueCapacity: Int? = nil, prefix: String? = nil
  ) throws -> ThreadPoolExecutor {
    try ThreadPoolExecutor(
      maxWorkers: maxWorkers,
      queueCapacity: queueCapacity ?? defaultQueueCapacity,
      threadNamePrefix: prefix ?? defaultThreadNamePrefix)
  }

  func submitTask(_ body: @escaping @Sendable () throws -> Int) throws
    -> Future<Int>
  { try submit(body) }

  func submitTask(
    timeout: Duration?, _ body: @escaping @Sendable () throws -> Int
  ) throws -> Future<Int> { try submit(timeout: timeout, body) }

  func trySubmitTask(_ body: @escaping @Sendable () throws -> Int) throws
    -> Future<Int>
  { try trySubmit(body) }

  func shutdownPool(wait: Bool, cancelPending: Bool) {
    shutdown(wait: wait, cancelPendingFutures: cancelPending)
  }

  var workerThreads: Int { threadCount }
  var queuedTasks: Int { queuedTaskCount }

  func mapAll(
    _ inputs: [Int], timeout: Duration?, lookAhead: Int?, chunkSize: Int? = nil,
    _ body: @escaping @Sendable (Int) throws -> Int
  ) throws -> [Int] {
    try map(inputs, timeout: timeout, lookAhead: lookAhead, chunkSize: chunkSize, body)
  }

  func mapLazily(
    _ inputs: some Sequence<Int>, timeout: Duration?, lookAhead: Int?, chunkSize: Int? = nil,
    _ body: @escaping @Sendable (Int) throws -> Int
  ) throws -> MapResults<Int> {
    try lazyMap(inputs, timeout: timeout, lookAhead: lookAhead, chunkSize: chunkSize, body)
  }

  static func completions(_ futures: [Future<Int>], timeout: Duration?) throws
    -> () throws -> Future<Int>?
  {
    var iterator = try asCompleted(futures, timeout: timeout)
    return { try iterator.next() }
  }

  static func waitFor(
    _ futures: [Future<Int>], timeout: Duration?, returnWhen: ReturnCondition
  ) throws -> (done: [Future<Int>], notDone: [Future<Int>]) {
    try wait(futures, timeout: timeout, returnWhen: returnWhen)
  }

  func mapAllAsync(
    _ inputs: [Int], timeout: Duration?, lookAhead: Int?, chunkSize: Int? = nil,
    _ body: @escaping @Sendable (Int) throws -> Int
  ) async throws -> [Int] {
    try await map(inputs, timeout: timeout, lookAhead: lookAhead, chunkSize: chunkSize, body)
  }

  static func waitForAsync(
    _ futures: [Future<Int>], timeout: Duration?, returnWhen: ReturnCondition
  ) async throws -> (done: [Future<Int>], notDone: [Future<Int>]) {
    try await wait(futures, timeout: timeout, returnWhen: returnWhen)
  }

  func submitAsync(_ body: @escaping @Sendable () throws -> Int) async throws
    -> Future<Int>
  { try await submit(body) }

  static func completionsCancellingOnTimeout(
    _ futures: [Future<Int>], timeout: Duration
  ) throws -> () throws -> Future<Int>? {
    var iterator = try asCompleted(
      futures, timeout: timeout, cancelOnTimeout: true)
    return { try iterator.next() }
  }

  static func waitCancellingOnTimeout(_ futures: [Future<Int>], timeout: Duration)
    throws -> (done: [Future<Int>], notDone: [Future<Int>])
  {
    try wait(futures, timeout: timeout, cancelOnTimeout: true)
  }

  static func asyncCompletionsCancellingOnTimeout(
    _ futures: [Future<Int>], timeout: Duration
  ) throws -> () async throws -> Future<Int>? {
    var iterator = try asyncCompleted(
      futures, timeout: timeout, cancelOnTimeout: true
    ).makeAsyncIterator()
    return { try await iterator.next() }
  }

  func submitTask(
    startBy: Duration, _ body: @escaping @Sendable () throws -> Int
  ) throws -> Future<Int> { try submit(startBy: startBy, body) }

  func submitAsync(
    startBy: Duration, _ body: @escaping @Sendable () throws -> Int
  ) async throws -> Future<Int> { try await submit(startBy: startBy, body) }

  var suspendedSubmits: Int { suspendedSubmitCount }

  func asyncLazyMapNext(
    _ inputs: [Int], timeout: Duration?, lookAhead: Int?, chunkSize: Int? = nil,
    _ body: @escaping @Sendable (Int) throws -> Int
  ) throws -> () async throws -> Result<Int, any Error>? {
    var iterator = try asyncLazyMap(
      inputs, timeout: timeout, lookAhead: lookAhead, chunkSize: chunkSize, body
    ).makeAsyncIterator()
    return { try await iterator.next() }
  }

  func asyncLazyMapCollect(
    _ inputs: [Int], timeout: Duration?, lookAhead: Int?, chunkSize: Int? = nil, limit: Int?,
    _ body: @escaping @Sendable (Int) throws -> Int
  ) async throws -> [Result<Int, any Error>] {
    var elements: [Result<Int, any Error>] = []
    for try await result in try asyncLazyMap(
      inputs, timeout: timeout, lookAhead: lookAhead, chunkSize: chunkSize, body)
    {
      elements.append(result)
      if let limit, elements.count >= limit { break }
    }
    return elements
  }

  func shutdownAsync(wait: Bool, cancelPending: Bool) async {
    await shutdown(wait: wait, cancelPendingFutures: cancelPending)
  }

  static func withPoolAsync<T: Sendable>(
    maxWorkers: Int?, prefix: String?,
    _ body: (ThreadPoolExecutor) async throws -> T
  ) async throws -> T {
    try await withThreadPoolExecutor(
      maxWorkers: maxWorkers,
      threadNamePrefix: prefix ?? defaultThreadNamePrefix, body)
  }

  static func withPoolAsyncNoAwait(prefix: String) async throws -> Future<Int> {
    try await withThreadPoolExecutor(threadNamePrefix: prefix) { pool in
      try pool.trySubmit {
        usleep(20_000); return 8
      }
    }
  }

  func submitTask(
    whenFull: Backpressure, _ body: @escaping @Sendable () throws -> Int
  ) throws -> Future<Int> {
    try submit(whenFull: whenFull, body)
  }

  func runWithPreference<T: Sendable>(
    _ body: @escaping @Sendable () async throws -> T
  ) async throws -> T {
    try await withTaskExecutorPreference(self) { try await body() }
  }

  func taskWithPreference<T: Sendable>(
    _ body: @escaping @Sendable () async throws -> T
  ) -> Task<T, any Error> {
    Task(executorPreference: self) { try await body() }
  }

  static func asyncCompletions(_ futures: [Future<Int>], timeout: Duration?)
    throws -> () async throws -> Future<Int>?
  {
    var iterator = try asyncCompleted(futures, timeout: timeout)
      .makeAsyncIterator()
    return { try await iterator.next() }
  }

  static func allAsyncCompleted(_ futures: [Future<Int>], timeout: Duration?)
    async throws -> [Future<Int>]
  {
    var yielded: [Future<Int>] = []
    for try await future in try asyncCompleted(futures, timeout: timeout) {
      yielded.append(future)
    }
    return yielded
  }

  static func futuresError(_ error: any Error) -> (code: String, message: String)? {
    guard let error = error as? FuturesError else { return nil }
    return ("\(error.code)", error.message)
  }
}

// MARK: - Worker hooks

extension ThreadPoolExecutor {
  static func make(
    maxWorkers: Int, prefix: String,
    initializer: (@Sendable () throws -> Void)?,
    finalizer: (@Sendable () -> Void)?
  ) throws -> ThreadPoolExecutor {
    try ThreadPoolExecutor(
      maxWorkers: maxWorkers, threadNamePrefix: prefix,
      initializer: initializer, finalizer: finalizer)
  }

  static func make(
    maxWorkers: Int, prefix: String,
    stateInitializer: @escaping @Sendable () throws -> Int,
    stateFinalizer: (@Sendable (Int) -> Void)?
  ) throws -> (
    pool: ThreadPoolExecutor, get: @Sendable () throws -> Int, value: @Sendable () -> Int?
  ) {
    let local = WorkerLocal<Int>()
    let pool = try ThreadPoolExecutor(
      maxWorkers: maxWorkers, threadNamePrefix: prefix, workerState: local,
      initializer: stateInitializer, finalizer: stateFinalizer)
    return (pool, { try local.get() }, { local.value })
  }

  static func scoped(
    maxWorkers: Int, initializer: @escaping @Sendable () throws -> Void,
    finalizer: @escaping @Sendable () -> Void,
    _ body: @escaping @Sendable (ThreadPoolExecutor) throws -> Int
  ) throws -> Int {
    try withThreadPoolExecutor(
      maxWorkers: maxWorkers, initializer: initializer, finalizer: finalizer, body)
  }

  static func scopedAsync(
    maxWorkers: Int, initializer: @escaping @Sendable () throws -> Void,
    finalizer: @escaping @Sendable () -> Void,
    _ body: @escaping @Sendable (ThreadPoolExecutor) throws -> Int
  ) async throws -> Int {
    try await withThreadPoolExecutor(
      maxWorkers: maxWorkers, initializer: initializer, finalizer: finalizer
    ) { pool in try body(pool) }
  }

  var broken: Bool { isBroken }

  static func underlyingError(_ error: any Error) -> (any Error)? {
    (error as? FuturesError)?.underlyingError
  }
}
