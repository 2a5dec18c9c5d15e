/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the ConcurrentFutures authors */

/*
 * CFutures.h — the whole public surface of the ConcurrentFutures C core.
 *
 * A bounded blocking queue (Java's ArrayBlockingQueue), a future whose only
 * synchronisation is one atomic 32-bit state word, completion waiters (what
 * as_completed / wait sleep on) and a thread pool that ties them together.
 *
 * Conventions
 * - Every fallible function returns 0 or a positive errno code, listed
 *   beside it; a NULL object is EINVAL.  Queries on NULL return 0, false
 *   or CF_PENDING; void calls on NULL do nothing.  Nothing here aborts on bad input; a pthread call that can
 *   only fail through a bug in this library aborts.
 * - Deadlines are absolute CLOCK_MONOTONIC times (`struct timespec`); NULL
 *   means "no deadline".  cf_deadline_after() turns a relative timeout into
 *   one.  A deadline already past makes a blocking call a non-blocking poll.
 * - Linux only: a blocked waiter parks on a futex on the future's state word.
 */
#ifndef CFUTURES_H
#define CFUTURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- time */

/* Sets *out to now (CLOCK_MONOTONIC) + timeout_ns.
 * Returns 0, or EINVAL when timeout_ns < 0 or out is NULL.  A timeout so
 * large that it overflows saturates to the far future. */
int cf_deadline_after(int64_t timeout_ns, struct timespec *out);

/* ------------------------------------------------------------ spinning */

/* A worker waiting for work and a thread waiting for a future spin for a
 * while before they sleep, with an adaptive budget capped by this limit
 * (nanoseconds; process-wide; default 50,000).  0 turns spinning off:
 * every wait then sleeps at once, which costs a wake-up (a futex syscall
 * for the waker, ~20 us for the sleeper) per hand-off.  Any thread. */
void cf_set_spin_limit(int64_t max_ns);
int64_t cf_spin_limit(void);

/* ------------------------------------------------------------- futures */

/*
 * The future's state word.  Transitions are compare-and-swap; each arrow is
 * taken by exactly one thread.
 *
 *                 set_running_or_notify_cancel         finish
 *      PENDING ---------------------------------> RUNNING ------> FINISHED
 *         |
 *         | cancel
 *         v          set_running_or_notify_cancel
 *     CANCELLED ---------------------------------> CANCELLED_AND_NOTIFIED
 *                  (the worker saw it and skipped it, exactly once)
 *
 * FINISHED, CANCELLED and CANCELLED_AND_NOTIFIED are "done": waiters are
 * woken and done-callbacks run the moment a future becomes done.
 */
typedef enum cf_state {
  CF_PENDING = 0,
  CF_RUNNING = 1,
  CF_CANCELLED = 2,
  CF_CANCELLED_AND_NOTIFIED = 3,
  CF_FINISHED = 4
} cf_state;

typedef struct cf_future cf_future;

/* A future's storage, for an owner that embeds it in an object of its own
 * (one allocation for the future and the result): CF_FUTURE_SIZE bytes,
 * aligned to CF_FUTURE_ALIGN, all zero, are a PENDING future — no call
 * makes it.  An embedded future is not reference counted: its owner keeps
 * the storage alive while any pool item or waiter holds it (until the
 * item's CF_TASK_RELEASE, the waiter's destroy) and calls cf_future_deinit
 * before letting it go.  cf_future_destroy is for cf_future_create's
 * futures only. */
#define CF_FUTURE_SIZE 16
#define CF_FUTURE_ALIGN 8

/* Called once when a future becomes done (or at once if it already is).
 * Runs on the thread that completed or cancelled the future, or on the
 * thread that added it after completion.  No lock of this library is held. */
typedef void (*cf_done_fn)(void *arg, cf_future *future);

/* Allocates a PENDING future.  Returns 0, EINVAL (out NULL) or ENOMEM. */
int cf_future_create(cf_future **out);

/* Lets go of what an embedded future still holds (callbacks left on a
 * future that never completed are freed without being called).  Call once,
 * as the owner frees the storage.  NULL is a no-op. */
void cf_future_deinit(cf_future *future);

/* Drops the creator's reference.  The memory goes once no pool item or
 * waiter holds the future either, so it is safe to call the moment
 * cf_future_wait returns, even while the worker is still finishing.
 * Callbacks still registered on a never-completed future are freed without
 * being called.  Call once per cf_future_create.  NULL is a no-op. */
void cf_future_destroy(cf_future *future);

/* The current state (flag bits removed).  Any thread.  Acquire ordering:
 * once it reads FINISHED, the task's writes before cf_future_finish are
 * visible. */
cf_state cf_future_state(const cf_future *future);

/* True for FINISHED, CANCELLED and CANCELLED_AND_NOTIFIED.  Any thread. */
bool cf_future_is_done(const cf_future *future);

/* PENDING -> CANCELLED, then wakes waiters and runs callbacks on this thread
 * before returning.  Returns true if the future is cancelled (now or
 * before); false if it is RUNNING or FINISHED, and then changes nothing.
 * Any thread. */
bool cf_future_cancel(cf_future *future);

/* Gives the future a must-start-by deadline (absolute CLOCK_MONOTONIC;
 * NULL: none, the default).  Call before submitting it.  A worker that
 * takes the future's item once the deadline has passed does not run it:
 * the future becomes CANCELLED with its EXPIRED flag set (see
 * cf_future_is_expired) by the same compare-and-swap, waiters wake and
 * callbacks run on that worker, and the item is skipped as any cancelled
 * one.  The check is made when a worker reaches the item, so a waiter
 * learns of the expiry then, not at the deadline itself.
 * Returns 0, EINVAL (NULL future, tv_nsec out of range) or ENOMEM (the
 * deadline is a small node kept on the future's list, allocated here: only
 * futures with a deadline pay for one).  Any thread, before the submit. */
int cf_future_set_start_by(cf_future *future, const struct timespec *start_by);

/* True when the future was cancelled because its must-start-by deadline
 * passed before a worker took it (it is then also CANCELLED or
 * CANCELLED_AND_NOTIFIED).  Any thread; false for NULL. */
bool cf_future_is_expired(const cf_future *future);

/* The one door from PENDING to work.  Worker side.
 * Returns 0 (PENDING -> RUNNING: run the task), ECANCELED (CANCELLED ->
 * CANCELLED_AND_NOTIFIED: skip it; this happens once per future) or EINVAL
 * (any other state: a second call for the same future). */
int cf_future_set_running_or_notify_cancel(cf_future *future);

/* RUNNING -> FINISHED, then wakes waiters and runs callbacks.  The caller
 * stores the outcome before calling; release ordering publishes it.
 * Returns 0, or EINVAL when the future is not RUNNING.  Worker side. */
int cf_future_finish(cf_future *future);

/* Blocks until the future is done or the deadline passes.
 * Returns 0 (done), ETIMEDOUT, or EDEADLK when called from inside the
 * future's own task (it could never finish).  No syscall when the future
 * is already done.  Any thread. */
int cf_future_wait(cf_future *future, const struct timespec *deadline);

/* Adds a done-callback: run once, after the ones added before it; run at
 * once on this thread if the future is already done and its completer has
 * finished running callbacks (if not, the completer runs it after them).
 * Returns 0, EINVAL (NULL future or fn) or ENOMEM (then fn is not called). */
int cf_future_add_done_callback(cf_future *future, cf_done_fn fn, void *arg);

/* A watch: a removable notification that a future is done, for waking a
 * waiter (an async await, an as_completed sequence).  Unlike a callback it
 * runs before every done-callback, and at once on the watching thread if
 * the future is done already — even while the completer still runs
 * callbacks — so a slow callback never delays it.  fn must not block. */
typedef struct cf_watch cf_watch;

/* Watches `future`: fn(arg, future) runs once when it becomes done.  If it
 * is done already, fn runs now, on this thread, and *out is set to NULL;
 * otherwise *out is a handle to give to cf_future_unwatch exactly once,
 * while the caller still holds the future.
 * Returns 0, EINVAL (NULL future, fn or out) or ENOMEM (fn never runs). */
int cf_future_watch(cf_future *future, cf_done_fn fn, void *arg,
                    cf_watch **out);

/* Drops a watch.  Returns true if fn had not run and now never will; false
 * if it has run or is running on the completer's thread (it runs to its
 * end; the caller must not assume it has returned).  Frees the handle in
 * both cases.  NULL watch: returns false.  Any thread. */
bool cf_future_unwatch(cf_future *future, cf_watch *watch);

/* ------------------------------------------------------------- waiters */

/* A waiter collects completions of many futures in the order they happen:
 * the engine of as_completed and wait.  Completions are pushed to it, in
 * batches, without a lock; nothing polls.  One thread uses a waiter (adds,
 * takes, destroys); futures complete from any thread. */
typedef struct cf_waiter cf_waiter;

/* Returns 0, EINVAL (capacity 0, absurdly large, or out NULL) or ENOMEM. */
int cf_waiter_create(size_t capacity, cf_waiter **out);

/* Watches one more future; `tag` is what cf_waiter_next hands back for it.
 * A future already done is ready at once.  An embedded future must stay
 * alive until cf_waiter_destroy.  Returns 0, EINVAL (NULL argument), ENOSPC
 * (capacity reached) or EEXIST (this future is watched already: nothing
 * changes, so a caller may hand in futures with duplicates). */
int cf_waiter_add(cf_waiter *waiter, cf_future *future, size_t tag);

/* Takes the next completed future's tag, in completion order, blocking
 * until one completes or the deadline passes.  At the deadline, a future
 * that is done but whose completion has not reached the waiter yet (its
 * completer is still running callbacks added before it) is taken then:
 * ETIMEDOUT means no untaken future is done.
 * Returns 0, ETIMEDOUT, or ENOENT when every added future was taken. */
int cf_waiter_next(cf_waiter *waiter, const struct timespec *deadline,
                   size_t *tag);

/* Futures added and not yet taken by cf_waiter_next. */
size_t cf_waiter_remaining(const cf_waiter *waiter);

/* Stops watching (unregisters from futures not yet done), waits for a
 * completion being delivered right now, and frees.  NULL is a no-op. */
void cf_waiter_destroy(cf_waiter *waiter);

/* --------------------------------------------------------------- queue */

/* What a task function is asked to do.  For every item a pool accepts, the
 * function is called with CF_TASK_RELEASE exactly once, last: after
 * CF_TASK_RUN if the task ran, alone if it was cancelled or drained. */
typedef enum cf_task_op {
  CF_TASK_RUN = 0,     /* do the work and store its outcome (not publish) */
  CF_TASK_RELEASE = 1, /* the pool is done with arg: let it go */
  CF_TASK_BROKEN = 2   /* do NOT do the work: store the outcome "the pool is
                        * broken" (a worker initializer failed; see
                        * cf_pool_options).  Given instead of CF_TASK_RUN, on
                        * a worker, to an item with a future. */
} cf_task_op;

typedef void (*cf_task_fn)(void *arg, cf_task_op op);

/* One queued unit of work.  `future` may be NULL (fire and forget). */
typedef struct cf_item {
  cf_task_fn fn;
  void *arg;
  cf_future *future;
} cf_item;

/* A bounded FIFO ring buffer with one mutex and two condition variables
 * (not_empty, not_full) on CLOCK_MONOTONIC.  The capacity is a bound, not
 * a reservation: the ring starts small and doubles, up to the capacity,
 * as items arrive (its memory follows the most items ever queued at once).
 * Any thread may call any function except destroy. */
typedef struct cf_queue cf_queue;

/* Returns 0, EINVAL (capacity 0 or out NULL) or ENOMEM. */
int cf_queue_create(size_t capacity, cf_queue **out);

/* Frees the queue and any items left in it (their fns are not called).
 * No thread may be inside a call on it.  NULL is a no-op. */
void cf_queue_destroy(cf_queue *queue);

/* Appends, blocking while full until the deadline.
 * Returns 0, ETIMEDOUT, ESHUTDOWN (closed, before or while blocked),
 * ENOMEM (the ring had to grow and could not) or EINVAL (NULL queue or
 * item). */
int cf_queue_put(cf_queue *queue, const cf_item *item,
                 const struct timespec *deadline);

/* Appends without blocking.  Returns 0, EAGAIN (full), ESHUTDOWN, ENOMEM
 * (the ring could not grow), EINVAL. */
int cf_queue_offer(cf_queue *queue, const cf_item *item);

/* Removes the oldest item, blocking while empty until the deadline.  After
 * close, takes drain what is left and then return ESHUTDOWN.
 * Returns 0, ETIMEDOUT, ESHUTDOWN or EINVAL. */
int cf_queue_take(cf_queue *queue, cf_item *out,
                  const struct timespec *deadline);

/* Removes the oldest item without blocking.
 * Returns 0, EAGAIN (empty, open), ESHUTDOWN (empty, closed), EINVAL. */
int cf_queue_poll(cf_queue *queue, cf_item *out);

size_t cf_queue_size(cf_queue *queue);
size_t cf_queue_remaining_capacity(cf_queue *queue);
size_t cf_queue_capacity(const cf_queue *queue);

/* Closes: wakes every sleeper; later puts fail with ESHUTDOWN; takes drain
 * what is left.  Idempotent. */
void cf_queue_close(cf_queue *queue);
bool cf_queue_is_closed(cf_queue *queue);

/* ---------------------------------------------------------------- pool */

typedef struct cf_pool cf_pool;

/* Per-worker hooks (CPython's initializer), each optional (NULL).
 *
 * worker_init(context) runs once on each new worker thread, before its
 * first item.  Non-zero means it failed: the pool is then *broken* for
 * good — later submits fail with ENOTRECOVERABLE, and every item a worker
 * takes from then on (items queued before the failure included) is not run:
 * an item with a future gets CF_TASK_BROKEN (then the future finishes and
 * its callbacks run), a future-less item still gets CF_TASK_RUN.  Items
 * already running finish normally.  A worker whose init failed stays in the
 * pool, failing items, until shutdown: the queue is never left without a
 * worker.  Workers started after the break skip worker_init.
 *
 * worker_fini(context) runs on a worker as it exits (the queue closed and
 * drained), only if its worker_init succeeded or there is none.  Not run
 * for threads still alive when the process exits.
 *
 * context_release(context) runs once, when the pool's memory goes (after
 * cf_pool_destroy and the last worker's exit), on that thread. */
typedef int (*cf_worker_init_fn)(void *context);
typedef void (*cf_worker_fn)(void *context);

typedef struct cf_pool_options {
  size_t max_workers;             /* >= 1 */
  size_t queue_capacity;          /* >= 1 */
  const char *thread_name_prefix; /* NULL: "cf-pool"; cut (at a UTF-8
                                   * character boundary) so that with "-N"
                                   * it fits Linux's 15 bytes */
  cf_worker_init_fn worker_init;  /* NULL: none */
  cf_worker_fn worker_fini;       /* NULL: none */
  cf_worker_fn context_release;   /* NULL: none */
  void *context;                  /* passed to the three above */
} cf_pool_options;

/* How a submit behaves when the queue is full. */
typedef enum cf_submit_mode {
  CF_SUBMIT_BLOCK = 0, /* wait for room until the deadline (NULL: forever) */
  CF_SUBMIT_TRY = 1    /* fail with ENOBUFS at once */
} cf_submit_mode;

/* Starts no thread: workers start lazily, one per submit while none is
 * idle, up to max_workers.
 * Returns 0, EINVAL (max_workers or queue_capacity 0, out NULL) or ENOMEM. */
int cf_pool_create(const cf_pool_options *options, cf_pool **out);

/* Queues (fn, arg, future).  On success the pool owns the item: fn gets
 * CF_TASK_RUN at most once (only if future is NULL or wins
 * set_running_or_notify_cancel) and CF_TASK_RELEASE exactly once.  An item
 * with a NULL future always gets CF_TASK_RUN exactly once: by a worker, or
 * by cf_pool_shutdown(cancel_pending) on its caller's thread.  With
 * CF_SUBMIT_TRY and a NULL future this never blocks (the path for Swift
 * Concurrency jobs, which the caller runs elsewhere when it fails).  On
 * failure nothing was queued and fn is never called.
 * Returns 0, EINVAL (NULL pool or fn, a bad mode or deadline), ESHUTDOWN
 * (shut down, before or while blocked), ENOTRECOVERABLE (the pool is
 * broken: a worker_init failed; checked before ESHUTDOWN), ETIMEDOUT (full
 * until the deadline), ENOBUFS (full, in CF_SUBMIT_TRY mode), EAGAIN (no
 * worker exists and none could be started, as pthread_create says) or
 * ENOMEM.  Any thread, including the pool's own workers. */
int cf_pool_submit(cf_pool *pool, cf_task_fn fn, void *arg, cf_future *future,
                   cf_submit_mode mode, const struct timespec *deadline);

/* Stops accepting work (idempotent).  cancel_pending cancels every queued
 * future that has not started (their callbacks run on this thread) and runs
 * every queued future-less item on this thread (fn gets CF_TASK_RUN, then
 * CF_TASK_RELEASE: such an item cannot be cancelled, nobody would learn of
 * it); otherwise queued work still runs.  wait joins every worker, except when
 * called from one of this pool's own workers: then it joins none and
 * returns (no self-join); the threads end once the work is done.
 * Returns 0 or EINVAL. */
int cf_pool_shutdown(cf_pool *pool, bool wait, bool cancel_pending);

/* Joins the workers (as cf_pool_shutdown with wait, which must have
 * stopped the pool first) on a new detached thread named "cf-shutdown",
 * then calls done(arg) there: a join that blocks no caller.  Call it before
 * cf_pool_destroy (which detaches the workers nobody has claimed yet); the
 * pool's memory stays until that thread is done with it.  Returns 0, EINVAL (NULL pool or done), ENOMEM or
 * EAGAIN (no thread could be started: done is never called).  Any thread,
 * the pool's own workers included: the joiner is not one of them. */
int cf_pool_join_in_background(cf_pool *pool, void (*done)(void *arg),
                               void *arg);

/* Drops the owner's reference without blocking: shuts down (queued work
 * still runs), detaches workers nobody joined; the pool's memory goes when
 * its last worker exits.  NULL is a no-op.  The pool must not be used
 * after this call. */
void cf_pool_destroy(cf_pool *pool);

/* Live worker threads (started, not yet exited). */
size_t cf_pool_thread_count(cf_pool *pool);
/* Items queued and not yet taken by a worker. */
size_t cf_pool_queue_size(cf_pool *pool);
/* True when the calling thread is one of this pool's workers. */
bool cf_pool_is_worker_thread(const cf_pool *pool);
/* True once a worker_init has failed (see cf_pool_options). */
bool cf_pool_is_broken(cf_pool *pool);
/* The options' context of the pool whose worker the calling thread is
 * (NULL on any other thread): how a task function learns, on
 * CF_TASK_BROKEN, which pool broke. */
void *cf_pool_current_context(void);

/* ------------------------------------------------- cf_test_*: test only */

/* Fault injection for tests.  Not for production use; process-wide.
 * The next `count` allocations made by cf_* calls fail with ENOMEM
 * (INT_MAX: every one, until set again; 0 or less: none). */
void cf_test_fail_allocations(int count);
/* The next `count` worker thread starts fail (as pthread_create EAGAIN);
 * INT_MAX: every one, until set again. */
void cf_test_fail_thread_starts(int count);
/* Futex wakes made on futures' state words since the process started
 * (not the queue's condition variables): a future completed while nobody
 * sleeps on it makes none. */
long cf_test_future_wakes(void);

/* Test only: how many times any queue has signalled a sleeping taker or
 * putter (cumulative, process-wide; broadcasts at close not counted). */
long cf_test_queue_wakes(void);

#ifdef __cplusplus
}
#endif

#endif /* CFUTURES_H */
