/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the ConcurrentFutures authors */

/*
 * support.c — helpers shared by the harness's tests (see support.h).
 */
#include "support.h"

struct timespec after_ms(long ms) {
  struct timespec ts;
  int rc = cf_deadline_after((int64_t)ms * 1000000, &ts);
  if (rc != 0)
    abort();
  return ts;
}

struct timespec past(void) {
  return after_ms(0);
}

struct timespec bad_deadline(void) {
  struct timespec ts = after_ms(60000);
  ts.tv_nsec = 1000000000;
  return ts;
}

/* The fn of items that only sit in a queue: a call is a bug. */
void never_called(void *arg, cf_task_op op) {
  (void)arg;
  (void)op;
  CHECK(!"a queued-only item's fn was called");
}

cf_item item_of(uintptr_t v) {
  cf_item it = {.fn = never_called, .arg = (void *)v, .future = NULL};
  return it;
}

/* Waits (polling, 1 ms) until *counter >= want or `seconds` pass. */
bool await_count(atomic_long *counter, long want, double seconds) {
  double end = now_s() + seconds;
  while (atomic_load(counter) < want) {
    if (now_s() > end)
      return false;
    sleep_ms(1);
  }
  return true;
}

/* Waits (polling, 2 ms) until no thread named `prefix…` is left. */
bool await_no_threads_named(const char *prefix, double seconds) {
  double end = now_s() + seconds;
  while (threads_named(prefix) > 0) {
    if (now_s() > end)
      return false;
    sleep_ms(2);
  }
  return true;
}

cf_future *new_future(void) {
  cf_future *f = NULL;
  int rc = cf_future_create(&f);
  if (rc != 0)
    abort();
  return f;
}

cf_pool *new_pool(size_t workers, size_t capacity) {
  cf_pool_options o = {.max_workers = workers, .queue_capacity = capacity};
  cf_pool *p = NULL;
  if (cf_pool_create(&o, &p) != 0)
    abort();
  return p;
}

/* Reads data another thread published through a future's state word
 * (written before the completing CAS or before the completer cleared
 * CALLING; read after a load that saw it).  TSan checks that ordering;
 * drd cannot see it (one narrow entry in drd.supp names this function). */
__attribute__((noinline)) int read_published(const int *p) { return *p; }

/* ------------------------------------------------------------ tasks */

atomic_long orphans_accepted, orphans_released, orphans_ran;

void task_fn(void *arg, cf_task_op op) {
  task *t = arg;
  if (op == CF_TASK_RUN) {
    CHECK_EQ(atomic_load(&t->releases), 0);
    CHECK_EQ(atomic_fetch_add(&t->runs, 1), 0);
    if (t->future != NULL)
      CHECK_EQ(cf_future_state(t->future), CF_RUNNING);
    t->on_worker = t->pool != NULL && cf_pool_is_worker_thread(t->pool);
    t->run_thread = pthread_self();
    switch (t->action) {
    case ACT_NONE:
      break;
    case ACT_GATE:
      gate_pass(t->gate);
      break;
    case ACT_WAIT_SELF:
      t->result = cf_future_wait(t->future, NULL);
      break;
    case ACT_SHUTDOWN_SELF:
      t->result = cf_pool_shutdown(t->pool, true, false);
      break;
    case ACT_DESTROY_SELF:
      cf_pool_destroy(t->pool);
      break;
    case ACT_NAME:
      t->result = pthread_getname_np(pthread_self(), t->name, sizeof t->name);
      break;
    }
  } else if (op == CF_TASK_BROKEN) {
    CHECK_EQ(atomic_load(&t->releases), 0);
    CHECK_EQ(atomic_load(&t->runs), 0);
    CHECK_EQ(atomic_fetch_add(&t->broken, 1), 0);
    CHECK(t->future != NULL);
    if (t->future != NULL)
      CHECK_EQ(cf_future_state(t->future), CF_RUNNING);
  } else if (op == CF_TASK_RELEASE) {
    if (t->orphan) {
      CHECK_EQ(atomic_fetch_add(&t->releases, 1), 0);
      if (atomic_load(&t->runs) > 0)
        atomic_fetch_add(&orphans_ran, 1);
      cf_future_destroy(t->future);
      free(t);
      atomic_fetch_add(&orphans_released, 1);
    } else {
      /* The last touch: the owner may free t once it sees releases. */
      CHECK_EQ(atomic_fetch_add(&t->releases, 1), 0);
    }
  } else {
    CHECK(!"unknown cf_task_op");
  }
}

task *task_new(enum action action, gate *g, cf_pool *p, bool with_future) {
  task *t = calloc(1, sizeof *t);
  if (t == NULL)
    abort();
  t->action = action;
  t->gate = g;
  t->pool = p;
  t->future = with_future ? new_future() : NULL;
  return t;
}

void task_free(task *t) {
  cf_future_destroy(t->future);
  free(t);
}

int submit(cf_pool *p, task *t) {
  return cf_pool_submit(p, task_fn, t, t->future, CF_SUBMIT_BLOCK, NULL);
}

/* An orphan: submitted to a pool its owner drops; counted when accepted. */
void submit_orphan(cf_pool *p, enum action action, gate *g, bool with_future) {
  task *t = task_new(action, g, p, with_future);
  t->orphan = true;
  atomic_fetch_add(&orphans_accepted, 1);
  int rc = submit(p, t);
  CHECK_EQ(rc, 0);
  if (rc != 0) {
    atomic_fetch_sub(&orphans_accepted, 1);
    task_free(t);
  }
}

void cb_count(void *arg, cf_future *f) {
  cb_rec *r = arg;
  (void)f;
  CHECK(cf_future_is_done(f));
  r->thread = pthread_self();
  if (r->seq != NULL)
    atomic_store(&r->order, atomic_fetch_add(r->seq, 1));
  atomic_fetch_add(&r->calls, 1);
}
