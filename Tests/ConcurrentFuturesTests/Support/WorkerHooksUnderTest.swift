// The per-worker initializer and finalizer as the shared tests see them:
// a protocol of its own, so the adapters' conformances sit in files of
// their own (CBackedWorkerHooks.swift, PureSwiftWorkerHooks.swift).

/// An implementation's `initializer:`/`finalizer:` pool, its typed
/// `workerState:` pool and its `WorkerLocal`, module-neutral.
protocol WorkerHooksUnderTest: PoolUnderTest {
  /// `init(maxWorkers:initializer:finalizer:)`.
  static func make(
    maxWorkers: Int, prefix: String,
    initializer: (@Sendable () throws -> Void)?,
    finalizer: (@Sendable () -> Void)?
  ) throws -> Self
  /// `init(maxWorkers:workerState:initializer:finalizer:)` with a new
  /// `WorkerLocal<Int>`; also returns its `get()` and `value`, bound.
  static func make(
    maxWorkers: Int, prefix: String,
    stateInitializer: @escaping @Sendable () throws -> Int,
    stateFinalizer: (@Sendable (Int) -> Void)?
  ) throws -> (pool: Self, get: @Sendable () throws -> Int, value: @Sendable () -> Int?)
  /// `withThreadPoolExecutor(maxWorkers:initializer:finalizer:_:)`, the
  /// blocking one and (when `async` is true) the async twin.
  static func scoped(
    maxWorkers: Int, initializer: @escaping @Sendable () throws -> Void,
    finalizer: @escaping @Sendable () -> Void,
    _ body: @escaping @Sendable (Self) throws -> Int
  ) throws -> Int
  static func scopedAsync(
    maxWorkers: Int, initializer: @escaping @Sendable () throws -> Void,
    finalizer: @escaping @Sendable () -> Void,
    _ body: @escaping @Sendable (Self) throws -> Int
  ) async throws -> Int
  var broken: Bool { get }
  /// The module's FuturesError's `underlyingError`, or nil.
  static func underlyingError(_ error: any Error) -> (any Error)?
}
