// Runs ExecutorBehaviour against each implementation: one explicit test method per
// behaviour and implementation (a generic XCTestCase breaks discovery on Linux).
import XCTest

final class ExecutorTests_C: XCTestCase {
  func test_submitReturnsValue() throws { try ExecutorBehaviour.submitReturnsValue(CBacked.self) }
  func test_taskErrorRethrownAsItself() throws { try ExecutorBehaviour.taskErrorRethrownAsItself(CBacked.self) }
  func test_manySubmittersEachTaskRunsOnce() throws { try ExecutorBehaviour.manySubmittersEachTaskRunsOnce(CBacked.self) }
  func test_shutdownWaitJoinsEveryWorker() throws { try ExecutorBehaviour.shutdownWaitJoinsEveryWorker(CBacked.self) }
  func test_idleWorkerIsCountedOnce() throws { try ExecutorBehaviour.idleWorkerIsCountedOnce(CBacked.self) }
  func test_cancelPendingCancelsExactlyTheUnstarted() throws { try ExecutorBehaviour.cancelPendingCancelsExactlyTheUnstarted(CBacked.self) }
  func test_shutdownFromInsideTaskDoesNotDeadlock() throws { try ExecutorBehaviour.shutdownFromInsideTaskDoesNotDeadlock(CBacked.self) }
  func test_idleWorkerIsReused() throws { try ExecutorBehaviour.idleWorkerIsReused(CBacked.self) }
  func test_badConfigurationThrows() throws { try ExecutorBehaviour.badConfigurationThrows(CBacked.self) }
  func test_submitAfterShutdownThrows() throws { try ExecutorBehaviour.submitAfterShutdownThrows(CBacked.self) }
  func test_threadsAreNamedPrefixN() throws { try ExecutorBehaviour.threadsAreNamedPrefixN(CBacked.self) }
  func test_blockedSubmitIsWokenByShutdown() throws { try ExecutorBehaviour.blockedSubmitIsWokenByShutdown(CBacked.self) }
  func test_fullQueueRejectOrTimeout() throws { try ExecutorBehaviour.fullQueueRejectOrTimeout(CBacked.self) }
  func test_droppedPoolStillRunsQueuedWork() throws { try ExecutorBehaviour.droppedPoolStillRunsQueuedWork(CBacked.self) }
  func test_poolDroppedInsideItsOwnTask() throws { try ExecutorBehaviour.poolDroppedInsideItsOwnTask(CBacked.self) }
}

final class ExecutorTests_PureSwift: XCTestCase {
  func test_submitReturnsValue() throws { try ExecutorBehaviour.submitReturnsValue(PureSwift.self) }
  func test_taskErrorRethrownAsItself() throws { try ExecutorBehaviour.taskErrorRethrownAsItself(PureSwift.self) }
  func test_manySubmittersEachTaskRunsOnce() throws { try ExecutorBehaviour.manySubmittersEachTaskRunsOnce(PureSwift.self) }
  func test_shutdownWaitJoinsEveryWorker() throws { try ExecutorBehaviour.shutdownWaitJoinsEveryWorker(PureSwift.self) }
  func test_idleWorkerIsCountedOnce() throws { try ExecutorBehaviour.idleWorkerIsCountedOnce(PureSwift.self) }
  func test_cancelPendingCancelsExactlyTheUnstarted() throws { try ExecutorBehaviour.cancelPendingCancelsExactlyTheUnstarted(PureSwift.self) }
  func test_shutdownFromInsideTaskDoesNotDeadlock() throws { try ExecutorBehaviour.shutdownFromInsideTaskDoesNotDeadlock(PureSwift.self) }
  func test_idleWorkerIsReused() throws { try ExecutorBehaviour.idleWorkerIsReused(PureSwift.self) }
  func test_badConfigurationThrows() throws { try ExecutorBehaviour.badConfigurationThrows(PureSwift.self) }
  func test_submitAfterShutdownThrows() throws { try ExecutorBehaviour.submitAfterShutdownThrows(PureSwift.self) }
  func test_threadsAreNamedPrefixN() throws { try ExecutorBehaviour.threadsAreNamedPrefixN(PureSwift.self) }
  func test_blockedSubmitIsWokenByShutdown() throws { try ExecutorBehaviour.blockedSubmitIsWokenByShutdown(PureSwift.self) }
  func test_fullQueueRejectOrTimeout() throws { try ExecutorBehaviour.fullQueueRejectOrTimeout(PureSwift.self) }
  func test_droppedPoolStillRunsQueuedWork() throws { try ExecutorBehaviour.droppedPoolStillRunsQueuedWork(PureSwift.self) }
  func test_poolDroppedInsideItsOwnTask() throws { try ExecutorBehaviour.poolDroppedInsideItsOwnTask(PureSwift.self) }
}
