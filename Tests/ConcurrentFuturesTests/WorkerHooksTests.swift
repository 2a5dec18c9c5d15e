// Runs WorkerHooksBehaviour against each implementation: one explicit test method per
// behaviour and implementation (a generic XCTestCase breaks discovery on Linux).
import XCTest

final class WorkerHooksTests_C: XCTestCase {
  func test_initializerOncePerWorkerBeforeItsFirstTask() throws { try WorkerHooksBehaviour.initializerOncePerWorkerBeforeItsFirstTask(CBacked.self) }
  func test_finalizerRunsOnlyWhereTheInitializerSucceeded() throws { try WorkerHooksBehaviour.finalizerRunsOnlyWhereTheInitializerSucceeded(CBacked.self) }
  func test_workerLocalOffThePoolThrows() throws { try WorkerHooksBehaviour.workerLocalOffThePoolThrows(CBacked.self) }
  func test_throwingInitializerBreaksThePool() throws { try WorkerHooksBehaviour.throwingInitializerBreaksThePool(CBacked.self) }
  func test_runningTaskFinishesWhenAnotherWorkerBreaks() throws { try WorkerHooksBehaviour.runningTaskFinishesWhenAnotherWorkerBreaks(CBacked.self) }
  func test_submittersRacingTheBreakLoseNothing() throws { try WorkerHooksBehaviour.submittersRacingTheBreakLoseNothing(CBacked.self) }
  func test_scopedPoolRunsTheHooks() async throws { try await WorkerHooksBehaviour.scopedPoolRunsTheHooks(CBacked.self) }
}

final class WorkerHooksTests_PureSwift: XCTestCase {
  func test_initializerOncePerWorkerBeforeItsFirstTask() throws { try WorkerHooksBehaviour.initializerOncePerWorkerBeforeItsFirstTask(PureSwift.self) }
  func test_finalizerRunsOnlyWhereTheInitializerSucceeded() throws { try WorkerHooksBehaviour.finalizerRunsOnlyWhereTheInitializerSucceeded(PureSwift.self) }
  func test_workerLocalOffThePoolThrows() throws { try WorkerHooksBehaviour.workerLocalOffThePoolThrows(PureSwift.self) }
  func test_throwingInitializerBreaksThePool() throws { try WorkerHooksBehaviour.throwingInitializerBreaksThePool(PureSwift.self) }
  func test_runningTaskFinishesWhenAnotherWorkerBreaks() throws { try WorkerHooksBehaviour.runningTaskFinishesWhenAnotherWorkerBreaks(PureSwift.self) }
  func test_submittersRacingTheBreakLoseNothing() throws { try WorkerHooksBehaviour.submittersRacingTheBreakLoseNothing(PureSwift.self) }
  func test_scopedPoolRunsTheHooks() async throws { try await WorkerHooksBehaviour.scopedPoolRunsTheHooks(PureSwift.self) }
}
