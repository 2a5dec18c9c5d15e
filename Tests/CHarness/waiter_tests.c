/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the ConcurrentFutures authors */

/*
 * waiter_tests.c — the harness's tests of the completion waiter (waiter.c).
 */
#include "support.h"
#include "tests.h"

void test_waiter_basic(void) {
  cf_waiter *w = NULL;
  CHECK_EQ(cf_waiter_create(0, &w), EINVAL);
  CHECK_EQ(cf_waiter_create(3, NULL), EINVAL);
  CHECK_EQ(cf_waiter_create(SIZE_MAX, &w), EINVAL);
  CHECK_EQ(cf_waiter_create(3, &w), 0);
  cf_future *f[4];
  for (int i = 0; i < 4; i++)
    f[i] = new_future();
  size_t tag = 0;
  struct timespec bad = bad_deadline();
  CHECK_EQ(cf_waiter_add(NULL, f[0], 0), EINVAL);
  CHECK_EQ(cf_waiter_add(w, NULL, 0), EINVAL);
  CHECK_EQ(cf_waiter_next(NULL, NULL, &tag), EINVAL);
  CHECK_EQ(cf_waiter_next(w, NULL, NULL), EINVAL);
  CHECK_EQ(cf_waiter_next(w, &bad, &tag), EINVAL);
  CHECK_EQ(cf_waiter_next(w, NULL, &tag), ENOENT); /* nothing added */
  for (int i = 0; i < 3; i++)
    CHECK_EQ(cf_waiter_add(w, f[i], 100 + (size_t)i), 0);
  CHECK_EQ(cf_waiter_add(w, f[3], 103), ENOSPC);
  CHECK_EQ(cf_waiter_remaining(w), 3);
  struct timespec d = past();
  CHECK_EQ(cf_waiter_next(w, &d, &tag), ETIMEDOUT);
  /* Completion order, not adding order. */
  CHECK(cf_future_cancel(f[2]));
  CHECK_EQ(cf_future_set_running_or_notify_cancel(f[0]), 0);
  CHECK_EQ(cf_future_finish(f[0]), 0);
  CHECK_EQ(cf_waiter_next(w, NULL, &tag), 0);
  CHECK_EQ(tag, 102);
  CHECK_EQ(cf_waiter_next(w, NULL, &tag), 0);
  CHECK_EQ(tag, 100);
  CHECK_EQ(cf_waiter_remaining(w), 1);
  d = after_ms(30);
  double t0 = now_s();
  CHECK_EQ(cf_waiter_next(w, &d, &tag), ETIMEDOUT);
  CHECK(now_s() - t0 >= 0.029);
  CHECK(cf_future_cancel(f[1]));
  CHECK_EQ(cf_waiter_next(w, NULL, &tag), 0);
  CHECK_EQ(tag, 101);
  CHECK_EQ(cf_waiter_next(w, NULL, &tag), ENOENT);
  CHECK_EQ(cf_waiter_remaining(w), 0);
  cf_waiter_destroy(w);
  cf_waiter_destroy(NULL);

  /* A future already done is ready at once; a waiter destroyed while it
   * still watches pending futures unregisters, and their later completion
   * touches nothing freed. */
  CHECK_EQ(cf_waiter_create(2, &w), 0);
  CHECK_EQ(cf_waiter_add(w, f[0], 7), 0); /* FINISHED */
  CHECK_EQ(cf_waiter_add(w, f[3], 8), 0); /* PENDING */
  d = past();
  CHECK_EQ(cf_waiter_next(w, &d, &tag), 0);
  CHECK_EQ(tag, 7);
  cf_waiter_destroy(w);
  CHECK(cf_future_cancel(f[3]));
  for (int i = 0; i < 4; i++)
    cf_future_destroy(f[i]);
}

/* A done future whose completion has not reached the waiter yet (the
 * completer is inside a callback added before the waiter's node) is taken
 * at the deadline, once: the late delivery then adds nothing. */
static void cb_gate(void *arg, cf_future *f) {
  (void)f;
  gate_pass(arg);
}

typedef struct finisher {
  cf_future *f;
  int rc;
} finisher;

static void *finish_main(void *arg) {
  finisher *a = arg;
  a->rc = cf_future_finish(a->f);
  return NULL;
}

void test_waiter_takes_done_future_early(void) {
  long rounds = scaled(50, 5);
  for (long r = 0; r < rounds; r++) {
    gate g;
    gate_init(&g);
    cf_future *f = new_future();
    cf_future *other = new_future();
    CHECK_EQ(cf_future_add_done_callback(f, cb_gate, &g), 0);
    cf_waiter *w;
    CHECK_EQ(cf_waiter_create(2, &w), 0);
    CHECK_EQ(cf_waiter_add(w, other, 1), 0); /* stays pending */
    CHECK_EQ(cf_waiter_add(w, f, 2), 0);
    CHECK_EQ(cf_future_set_running_or_notify_cancel(f), 0);
    finisher fin = {.f = f};
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, finish_main, &fin), 0);
    gate_await(&g, 1); /* f is FINISHED; its completer is in cb_gate */
    CHECK(cf_future_is_done(f));
    size_t tag = 0;
    struct timespec d = past();
    CHECK_EQ(cf_waiter_next(w, &d, &tag), 0);
    CHECK_EQ(tag, 2);
    CHECK_EQ(cf_waiter_remaining(w), 1);
    gate_set(&g, true);
    pthread_join(t, NULL);
    CHECK_EQ(fin.rc, 0);
    d = past();
    CHECK_EQ(cf_waiter_next(w, &d, &tag), ETIMEDOUT); /* not f again */
    CHECK(cf_future_cancel(other));
    CHECK_EQ(cf_waiter_next(w, NULL, &tag), 0);
    CHECK_EQ(tag, 1);
    CHECK_EQ(cf_waiter_next(w, NULL, &tag), ENOENT);
    cf_waiter_destroy(w);
    cf_future_destroy(f);
    cf_future_destroy(other);
    gate_destroy(&g);
  }
}

typedef struct wake_next {
  cf_waiter *w;
  int rc;
  size_t tag;
} wake_next;

static void *waiter_next_main(void *arg) {
  wake_next *a = arg;
  a->rc = cf_waiter_next(a->w, NULL, &a->tag);
  return NULL;
}

void test_waiter_wakes_on_completion(void) {
  cf_waiter *w;
  CHECK_EQ(cf_waiter_create(1, &w), 0);
  cf_future *f = new_future();
  CHECK_EQ(cf_waiter_add(w, f, 5), 0);
  wake_next a = {w, -1, 0};
  pthread_t t = spawn(waiter_next_main, &a);
  sleep_ms(30);
  CHECK_EQ(cf_future_set_running_or_notify_cancel(f), 0);
  CHECK_EQ(cf_future_finish(f), 0);
  join(t);
  CHECK_EQ(a.rc, 0);
  CHECK_EQ(a.tag, 5);
  cf_waiter_destroy(w);
  cf_future_destroy(f);
}

/* Waiters destroyed while completions race in.  A completer thread makes
 * K futures done while the main thread takes a few and destroys the
 * waiter; a second waiter that lives on must get every one exactly once. */
enum { DRACE_K = 4 };

typedef struct destroy_race {
  pthread_barrier_t start, end;
  cf_future *f[DRACE_K];
  bool stop;
  long round;
} destroy_race;

static void *drace_completer(void *arg) {
  destroy_race *d = arg;
  for (;;) {
    pthread_barrier_wait(&d->start);
    if (d->stop)
      break;
    for (int i = 0; i < DRACE_K; i++) {
      if ((i + d->round) % 2 == 0) {
        CHECK(cf_future_cancel(d->f[i]));
      } else {
        CHECK_EQ(cf_future_set_running_or_notify_cancel(d->f[i]), 0);
        CHECK_EQ(cf_future_finish(d->f[i]), 0);
      }
    }
    pthread_barrier_wait(&d->end);
  }
  return NULL;
}

void test_waiter_destroy_race(void) {
  destroy_race d;
  memset(&d, 0, sizeof d);
  pthread_barrier_init(&d.start, NULL, 2);
  pthread_barrier_init(&d.end, NULL, 2);
  pthread_t t = spawn(drace_completer, &d);
  long rounds = scaled(10000, 30);
  for (long r = 0; r < rounds; r++) {
    d.round = r;
    cf_waiter *doomed, *keeper;
    CHECK_EQ(cf_waiter_create(DRACE_K, &doomed), 0);
    CHECK_EQ(cf_waiter_create(DRACE_K, &keeper), 0);
    for (int i = 0; i < DRACE_K; i++) {
      d.f[i] = new_future();
      if (r % 4 == 0 && i == 0) /* sometimes one is done before adding */
        CHECK(cf_future_cancel(d.f[i]));
      CHECK_EQ(cf_waiter_add(doomed, d.f[i], (size_t)i), 0);
      CHECK_EQ(cf_waiter_add(keeper, d.f[i], (size_t)i), 0);
    }
    pthread_barrier_wait(&d.start);
    size_t tag;
    long take = r % 3;
    for (long i = 0; i < take; i++) {
      struct timespec dl = (i == 0) ? past() : after_ms(60000);
      int rc = cf_waiter_next(doomed, &dl, &tag);
      CHECK(rc == 0 || rc == ETIMEDOUT);
      if (rc == 0)
        CHECK(tag < DRACE_K);
    }
    cf_waiter_destroy(doomed); /* while completions may be landing */
    pthread_barrier_wait(&d.end);
    bool got[DRACE_K] = {false};
    for (int i = 0; i < DRACE_K; i++) {
      CHECK_EQ(cf_waiter_next(keeper, NULL, &tag), 0);
      CHECK(tag < DRACE_K && !got[tag]);
      if (tag < DRACE_K)
        got[tag] = true;
    }
    CHECK_EQ(cf_waiter_next(keeper, NULL, &tag), ENOENT);
    cf_waiter_destroy(keeper);
    for (int i = 0; i < DRACE_K; i++)
      cf_future_destroy(d.f[i]);
  }
  d.stop = true;
  pthread_barrier_wait(&d.start);
  join(t);
  pthread_barrier_destroy(&d.start);
  pthread_barrier_destroy(&d.end);
}

/* A callback that destroys a waiter watching the future it runs for.
 * The waiter's node is either still linked (unlinked at once) or already
 * delivered: destroy must not wait for itself. */
typedef struct destroy_in_cb {
  cf_waiter *w;
  atomic_int calls;
} destroy_in_cb;

static void cb_destroy_waiter(void *arg, cf_future *f) {
  (void)f;
  destroy_in_cb *d = arg;
  cf_waiter_destroy(d->w);
  atomic_fetch_add(&d->calls, 1);
}

void test_waiter_destroyed_inside_callback(void) {
  for (int before = 0; before < 2; before++) {
    cf_future *f = new_future(), *g = new_future();
    destroy_in_cb d = {.w = NULL, .calls = 0};
    CHECK_EQ(cf_waiter_create(2, &d.w), 0);
    /* The callback before or after the waiter's node on f's list. */
    if (before)
      CHECK_EQ(cf_future_add_done_callback(f, cb_destroy_waiter, &d), 0);
    CHECK_EQ(cf_waiter_add(d.w, f, 1), 0);
    CHECK_EQ(cf_waiter_add(d.w, g, 2), 0);
    if (!before)
      CHECK_EQ(cf_future_add_done_callback(f, cb_destroy_waiter, &d), 0);
    CHECK(cf_future_cancel(f)); /* runs the callback: destroys the waiter */
    CHECK_EQ(atomic_load(&d.calls), 1);
    CHECK(cf_future_cancel(g)); /* the freed waiter must not be touched */
    cf_future_destroy(f);
    cf_future_destroy(g);
  }
  /* The creator may drop a future a waiter still watches: the waiter's
   * reference keeps it until the waiter goes. */
  cf_waiter *w;
  CHECK_EQ(cf_waiter_create(1, &w), 0);
  cf_future *f = new_future();
  CHECK_EQ(cf_waiter_add(w, f, 9), 0);
  cf_future_destroy(f);
  size_t tag;
  struct timespec d = past();
  CHECK_EQ(cf_waiter_next(w, &d, &tag), ETIMEDOUT);
  cf_waiter_destroy(w);
}
