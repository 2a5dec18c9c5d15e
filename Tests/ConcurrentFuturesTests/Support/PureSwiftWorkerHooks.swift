// Adapter: PureSwiftFutures' worker hooks behind WorkerHooksUnderTest.
import PureSwiftFutures

extension PureSwiftFutures.ThreadPoolExecutor: WorkerHooksUnderTest {
  static func make(
    maxWorkers: Int, prefix: String,
    initializer: (@Sendable () throws -> Void)?,
    finalizer: (@Sendable () -> Void)?
  ) throws -> Self {
    try Self(
      maxWorkers: maxWorkers, threadNamePrefix: prefix,
      initializer: initializer, finalizer: finalizer)
  }

  static func make(
    maxWorkers: Int, prefix: String,
    stateInitializer: @escaping @Sendable () throws -> Int,
    stateFinalizer: (@Sendable (Int) -> Void)?
  ) throws -> (pool: ThreadPoolExecutor, get: @Sendable () throws -> Int, value: @Sendable () -> Int?) {
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
