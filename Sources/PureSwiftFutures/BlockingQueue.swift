// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

#if canImport(Glibc)
import Glibc
#endif

/// A bounded first-in first-out queue that blocks: Java's
/// `ArrayBlockingQueue`, cut down to what the pool needs.
///
/// A ring of `slots` cells: the items are `items[takeIndex]`,
/// `items[takeIndex + 1]`, … (wrapping), `count` of them, and
/// `putIndex == (takeIndex + count) % slots`.  One lock guards it all;
/// `put` sleeps on `notFull` while the queue is full, `take` on `notEmpty`
/// while it is empty, each in a `while` that re-checks.  Every enqueue
/// signals one taker and every dequeue one putter, as Java's does.  A
/// sleeper woken just as its deadline passes still re-checks and uses the
/// room or the item it was woken for, so no wake-up is wasted.
///
/// `capacity` is a bound, not a reservation: the ring starts with at most
/// 64 cells and doubles, up to `capacity`, when an item arrives with every
/// cell in use (its memory follows the most items ever queued at once).
/// The cells come from `malloc`, so a growth the system refuses is an
/// error (``Refusal/outOfMemory``), not a trap.
///
/// `close()` replaces CPython's `None` sentinels: a flag and a broadcast.
/// After it, puts fail and takes drain what is left, then return `nil`.
/// Nothing is left behind in the ring, however often it is called.
final class BlockingQueue<Element: Sendable>: @unchecked Sendable {
  // @unchecked Sendable: every stored var is read and written only while
  // `lock` is held.

  /// Why an item was not added.
  enum Refusal: Error {
    /// The queue was closed, before or during the wait.
    case closed
    /// The queue was full (`offer` only).
    case full
    /// The queue stayed full until the deadline (`put` only).
    case timedOut
    /// The ring had to grow and the memory could not be had.
    case outOfMemory
  }

  let capacity: Int
  private let lock = Lock()
  private let notEmpty = Condition()
  private let notFull = Condition()
  private var items: UnsafeMutablePointer<Element>
  private var slots: Int
  private var takeIndex = 0
  private var putIndex = 0
  private var count = 0
  private var isClosed = false

  /// `capacity` must be at least 1 (the executor checks it).
  ///
  /// - Throws: ``Refusal/outOfMemory`` if even the first cells cannot be
  ///   had.
  init(capacity: Int) throws(Refusal) {
    precondition(capacity >= 1)
    self.capacity = capacity
    slots = min(capacity, 64)
    guard let cells = Self.allocate(slots) else { throw .outOfMemory }
    items = cells
  }

  deinit {
    for i in 0..<count { (items + (takeIndex + i) % slots).deinitialize(count: 1) }
    free(items)
  }

  /// `n` uninitialised cells from malloc, or nil.
  private static func allocate(_ n: Int) -> UnsafeMutablePointer<Element>? {
    if TestHooks.takeAllocationFailure() { return nil }
    let (bytes, overflow) = n.multipliedReportingOverflow(
      by: MemoryLayout<Element>.stride)
    guard !overflow, let raw = malloc(bytes) else { return nil }
    return raw.bindMemory(to: Element.self, capacity: n)
  }

  /// Appends `item`, waiting while the queue is full until `deadline`.
  /// Room that appears as the deadline passes is still used.
  func put(_ item: Element, until deadline: Deadline) throws(Refusal) {
    try lock.withLock { () throws(Refusal) in
      while !isClosed && count == capacity {
        if !notFull.wait(lock, until: deadline) { break }
      }
      if isClosed { throw .closed }
      if count == capacity { throw .timedOut }
      try enqueue(item)
    }
  }

  /// Appends `item` if there is room now.
  func offer(_ item: Element) throws(Refusal) {
    try lock.withLock { () throws(Refusal) in
      if isClosed { throw .closed }
      if count == capacity { throw .full }
      try enqueue(item)
    }
  }

  /// Removes the oldest item, waiting while the queue is empty.
  ///
  /// - Returns: the item, or `nil` once the queue is closed and empty.
  func take() -> Element? {
    lock.withLock {
      while !isClosed && count == 0 {
        _ = notEmpty.wait(lock)
      }
      return count > 0 ? dequeue() : nil
    }
  }

  /// Removes the oldest item if there is one now; never waits.
  func poll() -> Element? {
    lock.withLock { count > 0 ? dequeue() : nil }
  }

  /// Refuses every later put, wakes every sleeper.  Idempotent.
  func close() {
    lock.withLock {
      guard !isClosed else { return }
      isClosed = true
      notEmpty.broadcast()
      notFull.broadcast()
    }
  }

  /// Items in the queue now.
  var size: Int { lock.withLock { count } }

  /// True when the queue holds no item now.
  var isEmpty: Bool { lock.withLock { count == 0 } }

  // Called with the lock held and count == slots < capacity: doubles the
  // ring (up to capacity).  realloc keeps the cells where they were (large
  // rings move by remapping pages, not by copying; Element is a class
  // reference, which moves bitwise); the wrapped part, before takeIndex,
  // then moves to just after the old end.
  private func grow() throws(Refusal) {
    let newSlots = slots > capacity / 2 ? capacity : slots * 2
    guard !TestHooks.takeAllocationFailure(),
      let raw = realloc(items, newSlots * MemoryLayout<Element>.stride)
    else { throw .outOfMemory }
    let cells = raw.bindMemory(to: Element.self, capacity: newSlots)
    let wrapped = takeIndex  // the ring is full: takeIndex == putIndex
    if wrapped <= newSlots - slots {
      (cells + slots).moveInitialize(from: cells, count: wrapped)
      putIndex = (slots + wrapped) % newSlots
    } else {  // capacity cut the doubling short: move the tail instead
      let tail = slots - takeIndex
      (cells + newSlots - tail).moveInitialize(from: cells + takeIndex, count: tail)
      takeIndex = newSlots - tail
      putIndex = wrapped
    }
    items = cells
    slots = newSlots
  }

  // Called with the lock held and count < capacity.
  private func enqueue(_ item: Element) throws(Refusal) {
    if count == slots { try grow() }
    (items + putIndex).initialize(to: item)
    putIndex = putIndex + 1 == slots ? 0 : putIndex + 1
    count += 1
    notEmpty.signal()
  }

  // Called with the lock held and count > 0.
  private func dequeue() -> Element {
    let item = (items + takeIndex).move()
    takeIndex = takeIndex + 1 == slots ? 0 : takeIndex + 1
    count -= 1
    notFull.signal()
    return item
  }
}
