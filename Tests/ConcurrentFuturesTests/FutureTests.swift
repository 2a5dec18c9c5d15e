// Runs FutureBehaviour against each implementation: one explicit test method per
// behaviour and implementation (a generic XCTestCase breaks discovery on Linux).
import XCTest

final class FutureTests_C: XCTestCase {
  func test_cancelPendingRunsCallbacksFirst() throws { try FutureBehaviour.cancelPendingRunsCallbacksFirst(CBacked.self) }
  func test_cancelRunningOrFinishedChangesNothing() throws { try FutureBehaviour.cancelRunningOrFinishedChangesNothing(CBacked.self) }
  func test_cancelRacesStartExactlyOneWins() throws { try FutureBehaviour.cancelRacesStartExactlyOneWins(CBacked.self) }
  func test_resultTimeoutBoundsOnlyTheWait() throws { try FutureBehaviour.resultTimeoutBoundsOnlyTheWait(CBacked.self) }
  func test_negativeTimeoutThrows() throws { try FutureBehaviour.negativeTimeoutThrows(CBacked.self) }
  func test_waitingOnOwnFutureThrowsDeadlock() throws { try FutureBehaviour.waitingOnOwnFutureThrowsDeadlock(CBacked.self) }
  func test_callbacksRunOnceInOrder() throws { try FutureBehaviour.callbacksRunOnceInOrder(CBacked.self) }
  func test_callbackAddedByACallbackRunsAfterTheRest() throws { try FutureBehaviour.callbackAddedByACallbackRunsAfterTheRest(CBacked.self) }
  func test_throwingCallbackStopsNothing() throws { try FutureBehaviour.throwingCallbackStopsNothing(CBacked.self) }
}

final class FutureTests_PureSwift: XCTestCase {
  func test_cancelPendingRunsCallbacksFirst() throws { try FutureBehaviour.cancelPendingRunsCallbacksFirst(PureSwift.self) }
  func test_cancelRunningOrFinishedChangesNothing() throws { try FutureBehaviour.cancelRunningOrFinishedChangesNothing(PureSwift.self) }
  func test_cancelRacesStartExactlyOneWins() throws { try FutureBehaviour.cancelRacesStartExactlyOneWins(PureSwift.self) }
  func test_resultTimeoutBoundsOnlyTheWait() throws { try FutureBehaviour.resultTimeoutBoundsOnlyTheWait(PureSwift.self) }
  func test_negativeTimeoutThrows() throws { try FutureBehaviour.negativeTimeoutThrows(PureSwift.self) }
  func test_waitingOnOwnFutureThrowsDeadlock() throws { try FutureBehaviour.waitingOnOwnFutureThrowsDeadlock(PureSwift.self) }
  func test_callbacksRunOnceInOrder() throws { try FutureBehaviour.callbacksRunOnceInOrder(PureSwift.self) }
  func test_callbackAddedByACallbackRunsAfterTheRest() throws { try FutureBehaviour.callbackAddedByACallbackRunsAfterTheRest(PureSwift.self) }
  func test_throwingCallbackStopsNothing() throws { try FutureBehaviour.throwingCallbackStopsNothing(PureSwift.self) }
}
