/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the ConcurrentFutures authors */

/*
 * support.h — what the harness's tests share (support.c): deadlines, the
 * `task` record every pool test submits, and counting callbacks.
 *
 * Ownership: cf_future_destroy drops the creator's reference (pool items
 * and waiter registrations hold their own), so a test may destroy a
 * future as soon as it is done with it.  Racing threads that use the
 * creator's pointer are joined or parked on a barrier first.  Task records
 * (`task`) are freed only after their CF_TASK_RELEASE has been seen
 * through a join (or by the pool itself, for orphans).
 */
#ifndef CF_HARNESS_SUPPORT_H
#define CF_HARNESS_SUPPORT_H

#include "CFutures.h"
#include "check.h"

#include <sched.h>

/* What RUN does besides counting. */
enum action {
  ACT_NONE,
  ACT_GATE,          /* block on t->gate until it opens */
  ACT_WAIT_SELF,     /* cf_future_wait on its own future: EDEADLK */
  ACT_SHUTDOWN_SELF, /* shutdown(wait) of its own pool: no self-join */
  ACT_DESTROY_SELF,  /* cf_pool_destroy of its own pool */
  ACT_NAME           /* read the worker thread's name */
};

/* One item given to a pool.  Invariants checked on every call: RUN at most
 * once and never after RELEASE; RELEASE exactly once.  An orphan task is
 * owned by the pool: RELEASE counts it globally and frees it (and its
 * future), as a dropped pool's owner would. */
typedef struct task {
  atomic_int runs;
  atomic_int releases;
  atomic_int broken; /* CF_TASK_BROKEN calls */
  cf_future *future;
  enum action action;
  gate *gate;
  cf_pool *pool;
  bool orphan;
  int result;           /* what the action saw; read after the pool joined */
  bool on_worker;       /* cf_pool_is_worker_thread inside RUN */
  pthread_t run_thread; /* the thread that ran it */
  char name[16];        /* ACT_NAME */
} task;

/* Done-callback that counts its calls and records the thread. */
typedef struct cb_rec {
  atomic_int calls;
  atomic_int order; /* position in the run order, from *seq */
  atomic_int *seq;
  pthread_t thread;
} cb_rec;

/* Orphan items (owned by a dropped pool): accepted, released, ran. */
extern atomic_long orphans_accepted, orphans_released, orphans_ran;

struct timespec after_ms(long ms);
struct timespec past(void);
struct timespec bad_deadline(void);
void never_called(void *arg, cf_task_op op);
cf_item item_of(uintptr_t v);
bool await_count(atomic_long *counter, long want, double seconds);
bool await_no_threads_named(const char *prefix, double seconds);
cf_future *new_future(void);
cf_pool *new_pool(size_t workers, size_t capacity);
int read_published(const int *p);
void task_fn(void *arg, cf_task_op op);
task *task_new(enum action action, gate *g, cf_pool *p, bool with_future);
void task_free(task *t);
int submit(cf_pool *p, task *t);
void submit_orphan(cf_pool *p, enum action action, gate *g, bool with_future);
void cb_count(void *arg, cf_future *f);

#endif /* CF_HARNESS_SUPPORT_H */
