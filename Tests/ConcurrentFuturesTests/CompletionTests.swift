// Runs CompletionBehaviour against each implementation: one explicit test method per
// behaviour and implementation (a generic XCTestCase breaks discovery on Linux).
import XCTest

final class CompletionTests_C: XCTestCase {
  func test_doneWhileEarlierCallbackRunsCountsAsDone() throws { try CompletionBehaviour.doneWhileEarlierCallbackRunsCountsAsDone(CBacked.self) }
  func test_asCompletedYieldsInCompletionOrder() throws { try CompletionBehaviour.asCompletedYieldsInCompletionOrder(CBacked.self) }
  func test_asCompletedYieldsDoneFirstAndDuplicatesOnce() throws { try CompletionBehaviour.asCompletedYieldsDoneFirstAndDuplicatesOnce(CBacked.self) }
  func test_asCompletedTimeoutCountsUnfinished() throws { try CompletionBehaviour.asCompletedTimeoutCountsUnfinished(CBacked.self) }
  func test_cancelledFutureIsDoneAtOnce() throws { try CompletionBehaviour.cancelledFutureIsDoneAtOnce(CBacked.self) }
  func test_waitAllCompleted() throws { try CompletionBehaviour.waitAllCompleted(CBacked.self) }
  func test_waitFirstCompleted() throws { try CompletionBehaviour.waitFirstCompleted(CBacked.self) }
  func test_waitFirstExceptionIgnoresCancellation() throws { try CompletionBehaviour.waitFirstExceptionIgnoresCancellation(CBacked.self) }
  func test_waitTimeoutReturnsNormally() throws { try CompletionBehaviour.waitTimeoutReturnsNormally(CBacked.self) }
}

final class CompletionTests_PureSwift: XCTestCase {
  func test_doneWhileEarlierCallbackRunsCountsAsDone() throws { try CompletionBehaviour.doneWhileEarlierCallbackRunsCountsAsDone(PureSwift.self) }
  func test_asCompletedYieldsInCompletionOrder() throws { try CompletionBehaviour.asCompletedYieldsInCompletionOrder(PureSwift.self) }
  func test_asCompletedYieldsDoneFirstAndDuplicatesOnce() throws { try CompletionBehaviour.asCompletedYieldsDoneFirstAndDuplicatesOnce(PureSwift.self) }
  func test_asCompletedTimeoutCountsUnfinished() throws { try CompletionBehaviour.asCompletedTimeoutCountsUnfinished(PureSwift.self) }
  func test_cancelledFutureIsDoneAtOnce() throws { try CompletionBehaviour.cancelledFutureIsDoneAtOnce(PureSwift.self) }
  func test_waitAllCompleted() throws { try CompletionBehaviour.waitAllCompleted(PureSwift.self) }
  func test_waitFirstCompleted() throws { try CompletionBehaviour.waitFirstCompleted(PureSwift.self) }
  func test_waitFirstExceptionIgnoresCancellation() throws { try CompletionBehaviour.waitFirstExceptionIgnoresCancellation(PureSwift.self) }
  func test_waitTimeoutReturnsNormally() throws { try CompletionBehaviour.waitTimeoutReturnsNormally(PureSwift.self) }
}
