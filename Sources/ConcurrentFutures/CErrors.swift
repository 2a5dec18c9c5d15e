// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 the ConcurrentFutures authors

// The one place C return codes become Swift outcomes.
internal import CFutures

#if canImport(Glibc)
import Glibc
#endif

/// Maps a C return code to a Swift outcome.  Codes that can only mean a bug
/// in this module (EINVAL from an argument we validated) trap; real
/// conditions become ``FuturesError``s with `message` saying what happened.
func checkC(_ rc: Int32, _ what: @autoclosure () -> String) throws {
  switch rc {
  case 0:
    return
  case ESHUTDOWN:
    throw FuturesError(.shutDown, "\(what()): the executor has been shut down")
  case ETIMEDOUT:
    throw FuturesError(.timedOut, "\(what()): timed out")
  case ENOBUFS:  // cf_pool_submit in TRY mode: the queue is full
    throw FuturesError(.queueFull, "\(what()): the queue is full")
  case EAGAIN:  // cf_pool_submit: no worker exists and none could start
    throw FuturesError(
      .resourceExhausted, "\(what()): no worker thread could be started")
  case ENOMEM:
    throw FuturesError(.resourceExhausted, "\(what()): out of memory")
  case EDEADLK:
    throw FuturesError(
      .deadlock, "\(what()): a task cannot wait for its own future")
  default:
    preconditionFailure("ConcurrentFutures bug: \(what()) returned \(rc)")
  }
}
