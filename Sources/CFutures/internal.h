/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the ConcurrentFutures authors */

/*
 * internal.h — shared between the C files of the core; not public.
 * Prefix cf__ for internal functions (libuv's rule).
 */
#ifndef CF_INTERNAL_H
#define CF_INTERNAL_H

#include "CFutures.h"

#include <bsd/sys/queue.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

/* A done-listener on a future: on its one list (a stack, newest first),
 * of one of these kinds:
 *   CALLBACK  a user done-callback: run in the order added, after the
 *             notices of the same round;
 *   NODE      a waiter's node, embedded in the waiter (never freed here);
 *   WATCH     a cf_watch, reference counted (see future.c);
 *   DEADLINE  a must-start-by deadline (fn unused), freed at completion.
 * NODE and WATCH are notices: they only wake someone, so they run first,
 * and one added to a future that is already done runs at once even while
 * its completer still runs callbacks (a done future is reported done at
 * once, whatever a slow callback does).  `linked` says the node is on its
 * future's list; it is read and written only while that future's lock bit
 * is held. */
enum cf__listener_kind { CF__CALLBACK, CF__NODE, CF__WATCH, CF__DEADLINE };

struct cf__listener {
  SLIST_ENTRY(cf__listener) link;
  cf_done_fn fn;
  void *arg;
  enum cf__listener_kind kind;
  bool linked;
};
SLIST_HEAD(cf__listener_list, cf__listener);

/* Adds a notice `node` (fn, arg and kind set by the caller) or, when the
 * future is already done, calls node->fn at once on this thread.  Returns
 * true if linked. */
bool cf__future_add_notice(cf_future *future, struct cf__listener *node);

/* Unlinks a notice `node` if it is still on the future's list (its fn was
 * not and will not be called); returns false if the completion has already
 * taken it (its fn has run or is about to run). */
bool cf__future_remove_notice(cf_future *future, struct cf__listener *node);

/* What a completer calls once, just before the first user callback runs
 * (never when there is none): the pool's liveness step (pool.c). */
typedef void (*cf__before_callbacks_fn)(void *ctx);

/* cf_future_finish, with `before` (may be NULL) called as said above. */
int cf__future_finish(cf_future *future, cf__before_callbacks_fn before,
                      void *ctx);

/* Worker side, before cf_future_set_running_or_notify_cancel: if the
 * future has a must-start-by deadline that has passed and it is PENDING,
 * cancels it with the EXPIRED flag (waking waiters and running callbacks
 * on this thread) and returns true.  No deadline: one branch, no clock. */
bool cf__future_expire_if_late(cf_future *future);

/* True when the queue holds no item now: a lock-free hint (the count
 * may change at once). */
bool cf__queue_looks_empty(cf_queue *queue);

/* Whether a taker that finds the queue empty may spin rather than sleep,
 * given the takers spinning and asleep now (queue.c's rule; the lock is
 * held).  One spins whenever none does.  A second spins only while other
 * takers sleep: when the first takes an item, the second is still there
 * for the next, which would otherwise wake a sleeper (a put wakes one only
 * while no taker spins) whose take then mostly finds the item gone — with
 * 16 workers on 2 cores, most of their context switches.  With no sleeper
 * to spare a wake-up, a second spinner would only take a core. */
bool cf__queue_may_spin(unsigned spinning, size_t sleeping);

/* Test only: the threads asleep in take and in put now (under the lock). */
void cf__queue_sleepers(cf_queue *queue, size_t *takers, size_t *putters);

/* Reference counting of futures (see struct cf_future). */
void cf__future_retain(cf_future *future);
void cf__future_release(cf_future *future);

/* The future the calling thread is running as a task, or NULL. */
extern _Thread_local cf_future *cf__current_future;

/* True once `deadline` (not NULL) is now or past. */
bool cf__deadline_passed(const struct timespec *deadline);

/* NULL, or tv_nsec within [0, 1e9): what pthread and futex accept. */
bool cf__deadline_valid(const struct timespec *deadline);

/* Allocation that honours cf_test_fail_allocations. */
void *cf__malloc(size_t size);
void *cf__calloc(size_t count, size_t size);
void *cf__realloc(void *old, size_t size);
/* True when a test asked this thread start to fail. */
bool cf__thread_start_should_fail(void);

/* Spin-before-park (spin.c).  A wait site keeps a budget; a thread about
 * to sleep first calls cf__spin_until, which re-checks ready(ctx) for at
 * most the budget (and not past `deadline`, if not NULL) and returns true
 * if it held.  When it returns false the caller parks; once the condition
 * held after that park, it calls cf__spin_parked with the same `spin`, so
 * the budget learns how long the wait really was.  A site that never
 * parks after a loss (a timeout, a shutdown) just skips that call. */
struct cf__spin_budget {
  _Atomic int64_t ns;      /* how long the next spin may last */
  _Atomic uint32_t misses; /* losses in a row */
};
#define CF__SPIN_BUDGET_INIT                                                  \
  { 20000, 0 }
void cf__spin_budget_init(struct cf__spin_budget *budget);
struct cf__spin {
  int64_t start;  /* when the lost spin began */
  int64_t budget; /* > 0 when there is something to learn */
};
bool cf__spin_until(bool (*ready)(const void *ctx), const void *ctx,
                    struct cf__spin_budget *budget,
                    const struct timespec *deadline, struct cf__spin *spin);
void cf__spin_parked(struct cf__spin_budget *budget,
                     const struct cf__spin *spin);
/* The rules cf__spin_until and cf__spin_parked apply, without the clock:
 * the budget the next spin gets (the whole limit for a probe), and how a
 * win, a loss and a park that ended after waited_ns change it. */
int64_t cf__spin_plan(struct cf__spin_budget *budget, int64_t limit);
void cf__spin_won(struct cf__spin_budget *budget, int64_t spun_budget,
                  int64_t limit);
void cf__spin_lost(struct cf__spin_budget *budget, int64_t spun_budget,
                   int64_t limit);
void cf__spin_learn(struct cf__spin_budget *budget, int64_t waited_ns,
                    int64_t limit);
/* Nanoseconds from `now_ns` (CLOCK_MONOTONIC) to `deadline`, <= 0 once it
 * has passed, INT64_MAX when it is too far to count: no overflow for any
 * valid timespec. */
int64_t cf__spin_ns_left(const struct timespec *deadline, int64_t now_ns);

/* Marks `m` adaptive (spins briefly before sleeping on contention), so a
 * spinner re-taking the queue lock does not park on it. */
void cf__mutex_init_adaptive(pthread_mutex_t *m);

/* pthread calls that can only fail through a bug here: abort on failure. */
void cf__mutex_init(pthread_mutex_t *m);
void cf__cond_init_monotonic(pthread_cond_t *c);
void cf__lock(pthread_mutex_t *m);
void cf__unlock(pthread_mutex_t *m);
void cf__signal(pthread_cond_t *c);
void cf__broadcast(pthread_cond_t *c);
/* Waits on `c` until signalled or `deadline` (NULL: none) passes.
 * Returns 0 or ETIMEDOUT; the caller re-checks its predicate in a loop. */
int cf__cond_wait(pthread_cond_t *c, pthread_mutex_t *m,
                  const struct timespec *deadline);

#endif /* CF_INTERNAL_H */
