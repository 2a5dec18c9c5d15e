// Runs MapBehaviour against each implementation: one explicit test method per
// behaviour and implementation (a generic XCTestCase breaks discovery on Linux).
import XCTest

final class MapTests_C: XCTestCase {
  func test_eagerMapKeepsInputOrder() throws { try MapBehaviour.eagerMapKeepsInputOrder(CBacked.self) }
  func test_eagerMapThrowsFirstErrorAndCancelsRest() throws { try MapBehaviour.eagerMapThrowsFirstErrorAndCancelsRest(CBacked.self) }
  func test_lazyMapYieldsErrorAtItsPositionAndGoesOn() throws { try MapBehaviour.lazyMapYieldsErrorAtItsPositionAndGoesOn(CBacked.self) }
  func test_lazyMapNeverExceedsLookAhead() throws { try MapBehaviour.lazyMapNeverExceedsLookAhead(CBacked.self) }
  func test_lazyMapDroppedEarlyCancelsTheRest() throws { try MapBehaviour.lazyMapDroppedEarlyCancelsTheRest(CBacked.self) }
  func test_lazyMapTimeoutEndsWithTimeoutError() throws { try MapBehaviour.lazyMapTimeoutEndsWithTimeoutError(CBacked.self) }
  func test_mapBadInputThrows() throws { try MapBehaviour.mapBadInputThrows(CBacked.self) }
}

final class MapTests_PureSwift: XCTestCase {
  func test_eagerMapKeepsInputOrder() throws { try MapBehaviour.eagerMapKeepsInputOrder(PureSwift.self) }
  func test_eagerMapThrowsFirstErrorAndCancelsRest() throws { try MapBehaviour.eagerMapThrowsFirstErrorAndCancelsRest(PureSwift.self) }
  func test_lazyMapYieldsErrorAtItsPositionAndGoesOn() throws { try MapBehaviour.lazyMapYieldsErrorAtItsPositionAndGoesOn(PureSwift.self) }
  func test_lazyMapNeverExceedsLookAhead() throws { try MapBehaviour.lazyMapNeverExceedsLookAhead(PureSwift.self) }
  func test_lazyMapDroppedEarlyCancelsTheRest() throws { try MapBehaviour.lazyMapDroppedEarlyCancelsTheRest(PureSwift.self) }
  func test_lazyMapTimeoutEndsWithTimeoutError() throws { try MapBehaviour.lazyMapTimeoutEndsWithTimeoutError(PureSwift.self) }
  func test_mapBadInputThrows() throws { try MapBehaviour.mapBadInputThrows(PureSwift.self) }
}
