// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// WorkerLocal.swift — a typed value per thread, for what a worker's
// initializer builds.
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A value of type `Value` per thread: what a pool's worker initializer
/// builds (a database connection, a client) and its tasks use.
///
/// ```swift
/// let connection = WorkerLocal<PGConnection>()
/// let pool = try ThreadPoolExecutor(
///   maxWorkers: 64, workerState: connection,
///   initializer: { try PGConnection(conninfo) },   // once per worker
///   finalizer: { $0.close() })                     // as the worker exits
/// let row = try pool.submit { try connection.get().lookup(id: 42) }
/// ```
///
/// Each thread sees only the value it set.  A thread's values are
/// released when the thread exits (after the pool's finalizer ran), or
/// when set to `nil`.  One `WorkerLocal` may serve many pools.
///
/// Cost: a read is a `pthread_getspecific` and a dictionary lookup — fine
/// next to a blocking call, not for the innermost loop of a tiny task.
public final class WorkerLocal<Value>: @unchecked Sendable {
  // @unchecked Sendable: the only stored property is an immutable id; the
  // values live in each thread's own storage, touched by that thread only.
  private let id: UInt64

  /// Creates a slot that holds no value on any thread yet.
  public init() {
    id = WorkerLocalIDs.next.add(1, ordering: .relaxed).oldValue
  }

  /// The calling thread's value; `nil` if it never set one (or set `nil`).
  /// Setting it affects the calling thread only.
  public var value: Value? {
    get { ThreadValues.current(create: false)?.values[id] as? Value }
    set {
      if let newValue {
        ThreadValues.current(create: true)!.values[id] = newValue
      } else {
        ThreadValues.current(create: false)?.values[id] = nil
      }
    }
  }

  /// The calling thread's value.
  ///
  /// - Throws: ``FuturesError`` `.invalidArgument` when this thread has
  ///   none: the call is not on a worker of a pool whose initializer set
  ///   it (or the value was cleared).
  public func get() throws -> Value {
    guard let value else {
      throw FuturesError(
        .invalidArgument,
        "no \(Value.self) on this thread: WorkerLocal values exist only on the "
          + "workers of a pool whose initializer set them")
    }
    return value
  }
}

/// Hands out `WorkerLocal` ids, never reused, so a value left on a thread
/// by a `WorkerLocal` that is gone can never be read by a new one.
private enum WorkerLocalIDs {
  static let next = Atomic<UInt64>(0)
}

/// One thread's `WorkerLocal` values, reached through one process-wide
/// pthread key whose destructor releases them when the thread exits.
private final class ThreadValues {
  var values: [UInt64: Any] = [:]

  private static let key: pthread_key_t = {
    var key = pthread_key_t()
    let rc = pthread_key_create(&key) { raw in
      if let raw { Unmanaged<ThreadValues>.fromOpaque(raw).release() }
    }
    // Only when the process already holds PTHREAD_KEYS_MAX (1024) keys.
    precondition(rc == 0, "WorkerLocal: pthread_key_create failed (\(rc))")
    return key
  }()

  static func current(create: Bool) -> ThreadValues? {
    if let raw = pthread_getspecific(key) {
      return Unmanaged<ThreadValues>.fromOpaque(raw).takeUnretainedValue()
    }
    guard create else { return nil }
    let values = ThreadValues()
    pthread_setspecific(key, Unmanaged.passRetained(values).toOpaque())
    return values
  }
}

extension ThreadPoolExecutor {
  /// Creates a pool whose every worker builds its own `State` before its
  /// first task and keeps it in `workerState`, where its tasks find it
  /// (`try workerState.get()`).
  ///
  /// - Parameters:
  ///   - workerState: where each worker keeps what `initializer` built.
  ///   - initializer: runs once on each new worker; what it returns
  ///     becomes that worker's `workerState.value`.  If it throws, the pool
  ///     is broken, as for
  ///     ``init(maxWorkers:queueCapacity:threadNamePrefix:initializer:finalizer:)``.
  ///   - finalizer: runs on each worker as it exits, with its state; then
  ///     the state is cleared.
  ///   - maxWorkers: as for
  ///     ``init(maxWorkers:queueCapacity:threadNamePrefix:initializer:finalizer:)``.
  ///   - queueCapacity: as for
  ///     ``init(maxWorkers:queueCapacity:threadNamePrefix:initializer:finalizer:)``.
  ///   - threadNamePrefix: as for
  ///     ``init(maxWorkers:queueCapacity:threadNamePrefix:initializer:finalizer:)``.
  /// - Throws: ``FuturesError`` `.invalidArgument` for a bad `maxWorkers`
  ///   or `queueCapacity`.
  public convenience init<State>(
    maxWorkers: Int? = nil,
    queueCapacity: Int = ThreadPoolExecutor.defaultQueueCapacity,
    threadNamePrefix: String = ThreadPoolExecutor.defaultThreadNamePrefix,
    workerState: WorkerLocal<State>,
    initializer: @escaping @Sendable () throws -> State,
    finalizer: (@Sendable (State) -> Void)? = nil
  ) throws {
    try self.init(
      maxWorkers: maxWorkers, queueCapacity: queueCapacity,
      threadNamePrefix: threadNamePrefix,
      initializer: { workerState.value = try initializer() },
      finalizer: {
        if let state = workerState.value { finalizer?(state) }
        workerState.value = nil
      })
  }
}
