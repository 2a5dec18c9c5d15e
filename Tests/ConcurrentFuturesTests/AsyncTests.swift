// Runs AsyncBehaviour against each implementation: one explicit test method per
// behaviour and implementation (a generic XCTestCase breaks discovery on Linux).
import XCTest

final class AsyncTests_C: XCTestCase {
  func test_valueSuspendsUntilTheTaskFinishes() async throws { try await AsyncBehaviour.valueSuspendsUntilTheTaskFinishes(CBacked.self) }
  func test_cancellingTheAwaitingTaskCancelsAPendingFuture() async throws { try await AsyncBehaviour.cancellingTheAwaitingTaskCancelsAPendingFuture(CBacked.self) }
  func test_cancellingTheAwaitingTaskLeavesARunningFutureAlone() async throws { try await AsyncBehaviour.cancellingTheAwaitingTaskLeavesARunningFutureAlone(CBacked.self) }
  func test_cancelledTimedAwaitIsACancellationNotATimeout() async throws { try await AsyncBehaviour.cancelledTimedAwaitIsACancellationNotATimeout(CBacked.self) }
  func test_asyncCompletedYieldsDoneFirstThenInCompletionOrder() async throws { try await AsyncBehaviour.asyncCompletedYieldsDoneFirstThenInCompletionOrder(CBacked.self) }
  func test_asyncCompletedTimeoutNamesTheUnfinished() async throws { try await AsyncBehaviour.asyncCompletedTimeoutNamesTheUnfinished(CBacked.self) }
  func test_asyncCompletedThrowsCancellationWhenItsTaskIsCancelled() async throws { try await AsyncBehaviour.asyncCompletedThrowsCancellationWhenItsTaskIsCancelled(CBacked.self) }
  func test_executorPreferenceRunsOnThePoolsThreads() async throws { try await AsyncBehaviour.executorPreferenceRunsOnThePoolsThreads(CBacked.self) }
  func test_jobsBypassAFullQueueAndOutliveShutdown() async throws { try await AsyncBehaviour.jobsBypassAFullQueueAndOutliveShutdown(CBacked.self) }
  func test_blockingUnderPreferenceLeavesTheCooperativePoolResponsive() async throws { try await AsyncBehaviour.blockingUnderPreferenceLeavesTheCooperativePoolResponsive(CBacked.self) }
  func test_asyncSubmitSuspendsWhileFull() async throws { try await AsyncBehaviour.asyncSubmitSuspendsWhileFull(CBacked.self) }
  func test_asyncSubmitsOnATinyQueueAllGetIn() async throws { try await AsyncBehaviour.asyncSubmitsOnATinyQueueAllGetIn(CBacked.self) }
  func test_backpressureChoicesOnAFullQueue() throws { try AsyncBehaviour.backpressureChoicesOnAFullQueue(CBacked.self) }
  func test_startDeadlinePassedInTheQueueNeverRuns() async throws { try await AsyncBehaviour.startDeadlinePassedInTheQueueNeverRuns(CBacked.self) }
  func test_startDeadlineBoundsABlockedSubmit() throws { try AsyncBehaviour.startDeadlineBoundsABlockedSubmit(CBacked.self) }
  func test_batchDeadlineCancelsWhatHasNotStarted() async throws { try await AsyncBehaviour.batchDeadlineCancelsWhatHasNotStarted(CBacked.self) }
  func test_asyncResultTimeoutBoundsOnlyTheWait() async throws { try await AsyncBehaviour.asyncResultTimeoutBoundsOnlyTheWait(CBacked.self) }
  func test_asyncWaitReturnsOnFirstCompletedAndOnTimeout() async throws { try await AsyncBehaviour.asyncWaitReturnsOnFirstCompletedAndOnTimeout(CBacked.self) }
  func test_asyncMapKeepsOrderAndThrowsTheFirstError() async throws { try await AsyncBehaviour.asyncMapKeepsOrderAndThrowsTheFirstError(CBacked.self) }
  func test_asyncSubmitsGetInFirstComeFirstServed() async throws { try await AsyncBehaviour.asyncSubmitsGetInFirstComeFirstServed(CBacked.self) }
  func test_asyncStartDeadlineExpiresQueuedAndBoundsTheWait() async throws { try await AsyncBehaviour.asyncStartDeadlineExpiresQueuedAndBoundsTheWait(CBacked.self) }
  func test_asyncShutdownWaitsWithoutParkingACooperativeThread() async throws { try await AsyncBehaviour.asyncShutdownWaitsWithoutParkingACooperativeThread(CBacked.self) }
  func test_asyncShutdownAndScopedPool() async throws { try await AsyncBehaviour.asyncShutdownAndScopedPool(CBacked.self) }
  func test_asyncLazyMapKeepsOrderErrorsInPlaceAndTheLookAhead() async throws { try await AsyncBehaviour.asyncLazyMapKeepsOrderErrorsInPlaceAndTheLookAhead(CBacked.self) }
  func test_asyncLazyMapLeavingTheLoopCancelsTheRest() async throws { try await AsyncBehaviour.asyncLazyMapLeavingTheLoopCancelsTheRest(CBacked.self) }
  func test_asyncLazyMapCancellingTheTaskCancelsTheRest() async throws { try await AsyncBehaviour.asyncLazyMapCancellingTheTaskCancelsTheRest(CBacked.self) }
  func test_asyncLazyMapTimeoutBadInputAndShutdown() async throws { try await AsyncBehaviour.asyncLazyMapTimeoutBadInputAndShutdown(CBacked.self) }
}

final class AsyncTests_PureSwift: XCTestCase {
  func test_valueSuspendsUntilTheTaskFinishes() async throws { try await AsyncBehaviour.valueSuspendsUntilTheTaskFinishes(PureSwift.self) }
  func test_cancellingTheAwaitingTaskCancelsAPendingFuture() async throws { try await AsyncBehaviour.cancellingTheAwaitingTaskCancelsAPendingFuture(PureSwift.self) }
  func test_cancellingTheAwaitingTaskLeavesARunningFutureAlone() async throws { try await AsyncBehaviour.cancellingTheAwaitingTaskLeavesARunningFutureAlone(PureSwift.self) }
  func test_cancelledTimedAwaitIsACancellationNotATimeout() async throws { try await AsyncBehaviour.cancelledTimedAwaitIsACancellationNotATimeout(PureSwift.self) }
  func test_asyncCompletedYieldsDoneFirstThenInCompletionOrder() async throws { try await AsyncBehaviour.asyncCompletedYieldsDoneFirstThenInCompletionOrder(PureSwift.self) }
  func test_asyncCompletedTimeoutNamesTheUnfinished() async throws { try await AsyncBehaviour.asyncCompletedTimeoutNamesTheUnfinished(PureSwift.self) }
  func test_asyncCompletedThrowsCancellationWhenItsTaskIsCancelled() async throws { try await AsyncBehaviour.asyncCompletedThrowsCancellationWhenItsTaskIsCancelled(PureSwift.self) }
  func test_executorPreferenceRunsOnThePoolsThreads() async throws { try await AsyncBehaviour.executorPreferenceRunsOnThePoolsThreads(PureSwift.self) }
  func test_jobsBypassAFullQueueAndOutliveShutdown() async throws { try await AsyncBehaviour.jobsBypassAFullQueueAndOutliveShutdown(PureSwift.self) }
  func test_blockingUnderPreferenceLeavesTheCooperativePoolResponsive() async throws { try await AsyncBehaviour.blockingUnderPreferenceLeavesTheCooperativePoolResponsive(PureSwift.self) }
  func test_asyncSubmitSuspendsWhileFull() async throws { try await AsyncBehaviour.asyncSubmitSuspendsWhileFull(PureSwift.self) }
  func test_asyncSubmitsOnATinyQueueAllGetIn() async throws { try await AsyncBehaviour.asyncSubmitsOnATinyQueueAllGetIn(PureSwift.self) }
  func test_backpressureChoicesOnAFullQueue() throws { try AsyncBehaviour.backpressureChoicesOnAFullQueue(PureSwift.self) }
  func test_startDeadlinePassedInTheQueueNeverRuns() async throws { try await AsyncBehaviour.startDeadlinePassedInTheQueueNeverRuns(PureSwift.self) }
  func test_startDeadlineBoundsABlockedSubmit() throws { try AsyncBehaviour.startDeadlineBoundsABlockedSubmit(PureSwift.self) }
  func test_batchDeadlineCancelsWhatHasNotStarted() async throws { try await AsyncBehaviour.batchDeadlineCancelsWhatHasNotStarted(PureSwift.self) }
  func test_asyncResultTimeoutBoundsOnlyTheWait() async throws { try await AsyncBehaviour.asyncResultTimeoutBoundsOnlyTheWait(PureSwift.self) }
  func test_asyncWaitReturnsOnFirstCompletedAndOnTimeout() async throws { try await AsyncBehaviour.asyncWaitReturnsOnFirstCompletedAndOnTimeout(PureSwift.self) }
  func test_asyncMapKeepsOrderAndThrowsTheFirstError() async throws { try await AsyncBehaviour.asyncMapKeepsOrderAndThrowsTheFirstError(PureSwift.self) }
  func test_asyncSubmitsGetInFirstComeFirstServed() async throws { try await AsyncBehaviour.asyncSubmitsGetInFirstComeFirstServed(PureSwift.self) }
  func test_asyncStartDeadlineExpiresQueuedAndBoundsTheWait() async throws { try await AsyncBehaviour.asyncStartDeadlineExpiresQueuedAndBoundsTheWait(PureSwift.self) }
  func test_asyncShutdownWaitsWithoutParkingACooperativeThread() async throws { try await AsyncBehaviour.asyncShutdownWaitsWithoutParkingACooperativeThread(PureSwift.self) }
  func test_asyncShutdownAndScopedPool() async throws { try await AsyncBehaviour.asyncShutdownAndScopedPool(PureSwift.self) }
  func test_asyncLazyMapKeepsOrderErrorsInPlaceAndTheLookAhead() async throws { try await AsyncBehaviour.asyncLazyMapKeepsOrderErrorsInPlaceAndTheLookAhead(PureSwift.self) }
  func test_asyncLazyMapLeavingTheLoopCancelsTheRest() async throws { try await AsyncBehaviour.asyncLazyMapLeavingTheLoopCancelsTheRest(PureSwift.self) }
  func test_asyncLazyMapCancellingTheTaskCancelsTheRest() async throws { try await AsyncBehaviour.asyncLazyMapCancellingTheTaskCancelsTheRest(PureSwift.self) }
  func test_asyncLazyMapTimeoutBadInputAndShutdown() async throws { try await AsyncBehaviour.asyncLazyMapTimeoutBadInputAndShutdown(PureSwift.self) }
}
