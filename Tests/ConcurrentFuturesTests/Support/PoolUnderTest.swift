// The test-side face of an implementation.  ConcurrentFutures and
// PureSwiftFutures export the same names, so the shared behaviour bodies
// never name either module: they go through these protocols, and one small
// adapter file per module (importing only that module) conforms its types.
import Foundation

/// A future of Int as the shared tests see it.
protocol FutureUnderTest: AnyObject, Sendable {
  func result(timeout: Duration?) throws -> Int
  func error(timeout: Duration?) throws -> (any Error)?
  @discardableResult func cancel() -> Bool
  var isCancelled: Bool { get }
  var isRunning: Bool { get }
  var isDone: Bool { get }
  func addCallback(_ callback: @escaping @Sendable (Self) throws -> Void)
  /// `try await future.value`.
  func awaitValue() async throws -> Int
  /// `try await future.thrownError`.
  func awaitThrownError() async throws -> (any Error)?
  /// The async `result(timeout:)`.
  func awaitResult(timeout: Duration?) async throws -> Int
}

/// The module's `Backpressure`, module-neutral.
enum BackpressureUnderTest {
  case block, blockWithTimeout(Duration), reject, runOnCaller
}

/// The condition of the many-futures wait, module-neutral.
enum WaitCondition { case firstCompleted, firstException, allCompleted }

/// An executor as the shared tests see it.
protocol PoolUnderTest: AnyObject, Sendable {
  associatedtype Fut: FutureUnderTest
  associatedtype Lazy: Sequence where Lazy.Element == Result<Int, any Error>

  /// Shown in failure messages.
  static var implementationName: String { get }
  static var defaultMaxWorkers: Int { get }

  static func make(maxWorkers: Int?, queueCapacity: Int?, prefix: String?)
    throws -> Self

  func submitTask(_ body: @escaping @Sendable () throws -> Int) throws -> Fut
  func submitTask(
    timeout: Duration?, _ body: @escaping @Sendable () throws -> Int
  ) throws -> Fut
  func trySubmitTask(_ body: @escaping @Sendable () throws -> Int) throws
    -> Fut
  func shutdownPool(wait: Bool, cancelPending: Bool)
  var workerThreads: Int { get }
  var queuedTasks: Int { get }

  func mapAll(
    _ inputs: [Int], timeout: Duration?, lookAhead: Int?,
    _ body: @escaping @Sendable (Int) throws -> Int
  ) throws -> [Int]
  func mapLazily(
    _ inputs: some Sequence<Int>, timeout: Duration?, lookAhead: Int?,
    _ body: @escaping @Sendable (Int) throws -> Int
  ) throws -> Lazy

  /// asCompleted: returns a throwing `next`.
  static func completions(_ futures: [Fut], timeout: Duration?) throws
    -> () throws -> Fut?
  static func waitFor(
    _ futures: [Fut], timeout: Duration?, returnWhen: WaitCondition
  ) throws -> (done: [Fut], notDone: [Fut])

  /// `try await submit { … }`: suspends while the queue is full.
  /// The async eager map and the async many-futures wait.
  func mapAllAsync(
    _ inputs: [Int], timeout: Duration?, lookAhead: Int?,
    _ body: @escaping @Sendable (Int) throws -> Int
  ) async throws -> [Int]
  static func waitForAsync(
    _ futures: [Fut], timeout: Duration?, returnWhen: WaitCondition
  ) async throws -> (done: [Fut], notDone: [Fut])
  func submitAsync(_ body: @escaping @Sendable () throws -> Int) async throws
    -> Fut
  /// asCompleted and wait with `cancelOnTimeout: true`.
  static func completionsCancellingOnTimeout(_ futures: [Fut], timeout: Duration)
    throws -> () throws -> Fut?
  static func waitCancellingOnTimeout(_ futures: [Fut], timeout: Duration)
    throws -> (done: [Fut], notDone: [Fut])
  static func asyncCompletionsCancellingOnTimeout(
    _ futures: [Fut], timeout: Duration
  ) throws -> () async throws -> Fut?
  /// `submit(startBy:_:)`: a must-start-by deadline.
  func submitTask(
    startBy: Duration, _ body: @escaping @Sendable () throws -> Int
  ) throws -> Fut
  /// `try await submit(startBy:_:)`: suspends while the queue is full.
  func submitAsync(
    startBy: Duration, _ body: @escaping @Sendable () throws -> Int
  ) async throws -> Fut
  /// Async submits suspended waiting for room (the package test hook).
  var suspendedSubmits: Int { get }
  /// `asyncLazyMap`: returns its iterator's `next` (dropping the closure
  /// drops the iterator).
  func asyncLazyMapNext(
    _ inputs: [Int], timeout: Duration?, lookAhead: Int?,
    _ body: @escaping @Sendable (Int) throws -> Int
  ) throws -> () async throws -> Result<Int, any Error>?
  /// `for try await` over `asyncLazyMap`, leaving the loop after `limit`
  /// elements (nil: at the end).
  func asyncLazyMapCollect(
    _ inputs: [Int], timeout: Duration?, lookAhead: Int?, limit: Int?,
    _ body: @escaping @Sendable (Int) throws -> Int
  ) async throws -> [Result<Int, any Error>]
  /// `await shutdown(wait:cancelPendingFutures:)`.
  func shutdownAsync(wait: Bool, cancelPending: Bool) async
  /// `try await withThreadPoolExecutor { pool in … }` (async body).
  static func withPoolAsync<T: Sendable>(
    maxWorkers: Int?, prefix: String?, _ body: (Self) async throws -> T
  ) async throws -> T
  /// The async `withThreadPoolExecutor` with a body that never awaits
  /// (it must still pick the async twin): submits and returns the task's
  /// future.
  static func withPoolAsyncNoAwait(prefix: String) async throws -> Fut
  /// `submit(whenFull:_:)`.
  func submitTask(
    whenFull: BackpressureUnderTest, _ body: @escaping @Sendable () throws -> Int
  ) throws -> Fut
  /// `withTaskExecutorPreference(pool) { … }`.
  func runWithPreference<T: Sendable>(
    _ body: @escaping @Sendable () async throws -> T
  ) async throws -> T
  /// `Task(executorPreference: pool) { … }`.
  func taskWithPreference<T: Sendable>(
    _ body: @escaping @Sendable () async throws -> T
  ) -> Task<T, any Error>
  /// asyncCompleted: returns its iterator's `next`.
  static func asyncCompletions(_ futures: [Fut], timeout: Duration?) throws
    -> () async throws -> Fut?
  /// asyncCompleted consumed with `for try await`.
  static func allAsyncCompleted(_ futures: [Fut], timeout: Duration?)
    async throws -> [Fut]

  /// The module's FuturesError code name ("timedOut", …) and message, or
  /// nil for any other error.
  static func futuresError(_ error: any Error) -> (code: String, message: String)?
}

extension PoolUnderTest {
  static func make(maxWorkers: Int? = nil, queueCapacity: Int? = nil)
    throws -> Self
  {
    try make(maxWorkers: maxWorkers, queueCapacity: queueCapacity, prefix: nil)
  }
}
