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
