// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// Swift Concurrency jobs on the twin's workers.  (ConcurrentFutures does
// the same through the C pool's future-less items: its CPool.swift.)

/// A Swift Concurrency job in the pool's queue, dressed as a future so the
/// workers need no second kind of item.  It holds the executor it runs as:
/// a job outlives no pool it names.
final class JobItem: AnyFuture, @unchecked Sendable {
  // @unchecked Sendable: both lets are Sendable in spirit (an UnownedJob is
  // run exactly once, by the one thread that took the item).
  private let job: UnownedJob
  private let executor: ThreadPoolExecutor

  init(_ job: UnownedJob, executor: ThreadPoolExecutor) {
    self.job = job
    self.executor = executor
    super.init()
  }

  override func _run() {
    job.runSynchronously(on: executor.asUnownedTaskExecutor())
  }

  /// A broken pool's worker runs a job all the same: a job cannot fail
  /// (its Task would hang), and it needs no worker state.
  override func _fail(_ error: any Error) {
    _run()
  }

  /// A job drained by `shutdown(cancelPending: true)`: it cannot be
  /// cancelled (its Task would hang), and the draining thread may be
  /// anyone's, so it goes to the global concurrent executor.
  func runElsewhere() {
    _ = core.setRunningOrNotifyCancel()
    globalConcurrentExecutor.enqueue(ExecutorJob(job))
    core.finish()
  }
}

extension WorkerPool {
  /// Queues a Swift Concurrency job without ever blocking: false (and
  /// nothing queued) when the queue is full, the pool is shut down or no
  /// worker can start; the caller then runs the job elsewhere.
  func execute(_ job: UnownedJob, as executor: ThreadPoolExecutor) -> Bool {
    do {
      try submit(JobItem(job, executor: executor), whenFull: .reject)
      return true
    } catch {
      return false
    }
  }
}
