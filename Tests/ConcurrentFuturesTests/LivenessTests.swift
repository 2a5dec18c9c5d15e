// Runs LivenessBehaviour against each implementation: one explicit test method per
// behaviour and implementation (a generic XCTestCase breaks discovery on Linux).
import XCTest

final class LivenessTests_C: XCTestCase {
  func test_callbackOnWorkerSubmitsAndWaits() throws { try LivenessBehaviour.callbackOnWorkerSubmitsAndWaits(CBacked.self) }
  func test_lateCallbackOnWorkerSubmitsAndWaits() throws { try LivenessBehaviour.lateCallbackOnWorkerSubmitsAndWaits(CBacked.self) }
  func test_taskSubmitsAndWaitsForASubtask() throws { try LivenessBehaviour.taskSubmitsAndWaitsForASubtask(CBacked.self) }
  func test_callbackAddedAfterCompletionSubmitsAndWaits() throws { try LivenessBehaviour.callbackAddedAfterCompletionSubmitsAndWaits(CBacked.self) }
  func test_cancelCallbackSubmitsAndWaits() throws { try LivenessBehaviour.cancelCallbackSubmitsAndWaits(CBacked.self) }
  func test_cancellingShutdownFromACallbackMissesNothing() throws { try LivenessBehaviour.cancellingShutdownFromACallbackMissesNothing(CBacked.self) }
  func test_waitersDoNotQueueBehindASlowCallback() async throws { try await LivenessBehaviour.waitersDoNotQueueBehindASlowCallback(CBacked.self) }
}

final class LivenessTests_PureSwift: XCTestCase {
  func test_callbackOnWorkerSubmitsAndWaits() throws { try LivenessBehaviour.callbackOnWorkerSubmitsAndWaits(PureSwift.self) }
  func test_lateCallbackOnWorkerSubmitsAndWaits() throws { try LivenessBehaviour.lateCallbackOnWorkerSubmitsAndWaits(PureSwift.self) }
  func test_taskSubmitsAndWaitsForASubtask() throws { try LivenessBehaviour.taskSubmitsAndWaitsForASubtask(PureSwift.self) }
  func test_callbackAddedAfterCompletionSubmitsAndWaits() throws { try LivenessBehaviour.callbackAddedAfterCompletionSubmitsAndWaits(PureSwift.self) }
  func test_cancelCallbackSubmitsAndWaits() throws { try LivenessBehaviour.cancelCallbackSubmitsAndWaits(PureSwift.self) }
  func test_cancellingShutdownFromACallbackMissesNothing() throws { try LivenessBehaviour.cancellingShutdownFromACallbackMissesNothing(PureSwift.self) }
  func test_waitersDoNotQueueBehindASlowCallback() async throws { try await LivenessBehaviour.waitersDoNotQueueBehindASlowCallback(PureSwift.self) }
}
