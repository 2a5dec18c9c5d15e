/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the ConcurrentFutures authors */

/*
 * fault_tests.c — the harness's tests of the fault hooks: failed allocations and thread starts.
 */
#include "support.h"
#include "tests.h"

void test_fault_failed_allocations(void) {
  /* Each constructor with its first allocation failing (the hook fails
   * the next n in a row, so later allocations of one call are reached
   * only after an earlier one succeeded: not by this hook). */
  for (int n = 1; n <= 1; n++) {
    cf_future *f = NULL;
    cf_queue *q = NULL;
    cf_waiter *w = NULL;
    cf_pool *p = NULL;
    cf_pool_options o = {.max_workers = 1, .queue_capacity = 4};
    cf_test_fail_allocations(n);
    CHECK_EQ(cf_future_create(&f), ENOMEM);
    cf_test_fail_allocations(n);
    CHECK_EQ(cf_queue_create(4, &q), ENOMEM);
    cf_test_fail_allocations(n);
    CHECK_EQ(cf_waiter_create(4, &w), ENOMEM);
    cf_test_fail_allocations(n);
    CHECK_EQ(cf_pool_create(&o, &p), ENOMEM);
    cf_test_fail_allocations(0);
    CHECK(f == NULL && q == NULL && w == NULL && p == NULL);
  }
  /* add_done_callback: ENOMEM, and fn is never called. */
  cf_future *f = new_future();
  cb_rec rec;
  memset(&rec, 0, sizeof rec);
  cf_test_fail_allocations(1);
  CHECK_EQ(cf_future_add_done_callback(f, cb_count, &rec), ENOMEM);
  cf_test_fail_allocations(0);
  CHECK(cf_future_cancel(f));
  CHECK_EQ(atomic_load(&rec.calls), 0);
  cf_future_destroy(f);

  /* Fresh pool: the worker record cannot be allocated -> ENOMEM, nothing
   * queued, no thread; the pool stays usable. */
  cf_pool *p = new_pool(2, 4);
  task *t = task_new(ACT_NONE, NULL, p, true);
  cf_test_fail_allocations(1);
  CHECK_EQ(submit(p, t), ENOMEM);
  cf_test_fail_allocations(0);
  CHECK_EQ(cf_pool_queue_size(p), 0);
  CHECK_EQ(cf_pool_thread_count(p), 0);
  CHECK_EQ(atomic_load(&t->runs) + atomic_load(&t->releases), 0);
  CHECK_EQ(submit(p, t), 0);
  CHECK_EQ(cf_future_wait(t->future, NULL), 0);
  /* With a live (busy) worker, a failed start degrades to queueing. */
  gate g;
  gate_init(&g);
  task *blocker = task_new(ACT_GATE, &g, p, true);
  CHECK_EQ(submit(p, blocker), 0);
  gate_await(&g, 1);
  task *extra = task_new(ACT_NONE, NULL, p, true);
  size_t before = cf_pool_thread_count(p);
  cf_test_fail_allocations(1);
  int rc = submit(p, extra);
  cf_test_fail_allocations(0);
  CHECK_EQ(rc, 0);
  CHECK_EQ(cf_pool_thread_count(p), before);
  gate_set(&g, true);
  CHECK_EQ(cf_pool_shutdown(p, true, false), 0);
  CHECK_EQ(atomic_load(&t->runs), 1);
  CHECK_EQ(atomic_load(&extra->runs), 1);
  CHECK_EQ(cf_future_state(extra->future), CF_FINISHED);
  task_free(t);
  task_free(blocker);
  task_free(extra);
  cf_pool_destroy(p);
  gate_destroy(&g);
}

void test_fault_failed_thread_start(void) {
  cf_pool *p = new_pool(2, 4);
  task *t = task_new(ACT_NONE, NULL, p, true);
  cf_test_fail_thread_starts(1);
  CHECK_EQ(submit(p, t), EAGAIN);
  cf_test_fail_thread_starts(1);
  /* Not "full" (ENOBUFS): the queue is empty; no thread could start. */
  CHECK_EQ(cf_pool_submit(p, task_fn, t, t->future, CF_SUBMIT_TRY, NULL),
           EAGAIN);
  cf_test_fail_thread_starts(0);
  CHECK_EQ(cf_pool_queue_size(p), 0);
  CHECK_EQ(cf_pool_thread_count(p), 0);
  CHECK_EQ(atomic_load(&t->runs) + atomic_load(&t->releases), 0);
  CHECK_EQ(cf_future_state(t->future), CF_PENDING);
  /* The next submit works. */
  CHECK_EQ(submit(p, t), 0);
  CHECK_EQ(cf_future_wait(t->future, NULL), 0);
  CHECK_EQ(cf_future_state(t->future), CF_FINISHED);
  CHECK_EQ(cf_pool_thread_count(p), 1);
  /* A failed start while a worker lives: accepted, run by that worker. */
  gate g;
  gate_init(&g);
  task *blocker = task_new(ACT_GATE, &g, p, true);
  CHECK_EQ(submit(p, blocker), 0);
  gate_await(&g, 1);
  task *extra = task_new(ACT_NONE, NULL, p, true);
  cf_test_fail_thread_starts(1);
  CHECK_EQ(submit(p, extra), 0);
  cf_test_fail_thread_starts(0);
  CHECK_EQ(cf_pool_thread_count(p), 1);
  gate_set(&g, true);
  CHECK_EQ(cf_pool_shutdown(p, true, false), 0);
  CHECK_EQ(atomic_load(&extra->runs), 1);
  CHECK_EQ(atomic_load(&extra->releases), 1);
  task_free(t);
  task_free(blocker);
  task_free(extra);
  cf_pool_destroy(p);
  gate_destroy(&g);
}
