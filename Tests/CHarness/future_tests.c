/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the ConcurrentFutures authors */

/*
 * future_tests.c — the harness's tests of the future state word and its listeners (future.c).
 */
#include "support.h"
#include "tests.h"

void test_future_state_machine(void) {
  CHECK_EQ(cf_future_create(NULL), EINVAL);
  cf_future_destroy(NULL);

  /* PENDING -> RUNNING -> FINISHED. */
  cf_future *f = new_future();
  CHECK_EQ(cf_future_state(f), CF_PENDING);
  CHECK(!cf_future_is_done(f));
  CHECK_EQ(cf_future_finish(f), EINVAL); /* not RUNNING */
  CHECK_EQ(cf_future_state(f), CF_PENDING);
  CHECK_EQ(cf_future_set_running_or_notify_cancel(f), 0);
  CHECK_EQ(cf_future_state(f), CF_RUNNING);
  CHECK(!cf_future_is_done(f));
  CHECK(!cf_future_cancel(f)); /* RUNNING: refused, nothing changes */
  CHECK_EQ(cf_future_state(f), CF_RUNNING);
  CHECK_EQ(cf_future_set_running_or_notify_cancel(f), EINVAL);
  CHECK_EQ(cf_future_finish(f), 0);
  CHECK_EQ(cf_future_state(f), CF_FINISHED);
  CHECK(cf_future_is_done(f));
  CHECK(!cf_future_cancel(f));
  CHECK_EQ(cf_future_finish(f), EINVAL);
  CHECK_EQ(cf_future_set_running_or_notify_cancel(f), EINVAL);
  CHECK_EQ(cf_future_state(f), CF_FINISHED);
  CHECK_EQ(cf_future_wait(f, NULL), 0);
  struct timespec d = past();
  CHECK_EQ(cf_future_wait(f, &d), 0);
  cf_future_destroy(f);

  /* PENDING -> CANCELLED -> CANCELLED_AND_NOTIFIED. */
  f = new_future();
  CHECK(cf_future_cancel(f));
  CHECK_EQ(cf_future_state(f), CF_CANCELLED);
  CHECK(cf_future_is_done(f));
  CHECK(cf_future_cancel(f)); /* still cancelled: true, no change */
  CHECK_EQ(cf_future_finish(f), EINVAL);
  CHECK_EQ(cf_future_set_running_or_notify_cancel(f), ECANCELED);
  CHECK_EQ(cf_future_state(f), CF_CANCELLED_AND_NOTIFIED);
  CHECK(cf_future_is_done(f));
  CHECK(cf_future_cancel(f));
  CHECK_EQ(cf_future_set_running_or_notify_cancel(f), EINVAL); /* once */
  CHECK_EQ(cf_future_finish(f), EINVAL);
  CHECK_EQ(cf_future_state(f), CF_CANCELLED_AND_NOTIFIED);
  CHECK_EQ(cf_future_wait(f, NULL), 0);
  cf_future_destroy(f);

  /* Bad arguments. */
  f = new_future();
  struct timespec bad = bad_deadline();
  CHECK_EQ(cf_future_wait(NULL, NULL), EINVAL);
  CHECK_EQ(cf_future_wait(f, &bad), EINVAL);
  CHECK_EQ(cf_future_add_done_callback(NULL, cb_count, NULL), EINVAL);
  CHECK_EQ(cf_future_add_done_callback(f, NULL, NULL), EINVAL);
  /* A timed wait on a pending future expires. */
  d = after_ms(40);
  double t0 = now_s();
  CHECK_EQ(cf_future_wait(f, &d), ETIMEDOUT);
  double el = now_s() - t0;
  CHECK(el >= 0.039 && el < 10);
  d = past();
  CHECK_EQ(cf_future_wait(f, &d), ETIMEDOUT);
  CHECK_EQ(cf_future_state(f), CF_PENDING);
  cf_future_destroy(f);
}

/* A callback that adds another (cb_count on `inner`) from inside itself
 * and records whether that one had run by the time add returned. */
typedef struct nested {
  cb_rec outer_seen; /* unused fields but calls: counts the outer call */
  cb_rec inner;
  int inner_ran_inside;
} nested;

static void cb_add_nested(void *arg, cf_future *f) {
  nested *n = arg;
  atomic_fetch_add(&n->outer_seen.calls, 1);
  CHECK_EQ(cf_future_add_done_callback(f, cb_count, &n->inner), 0);
  n->inner_ran_inside = atomic_load(&n->inner.calls);
}

void test_future_callbacks(void) {
  atomic_int seq = 0;
  cb_rec r[4];
  memset(r, 0, sizeof r);
  for (int i = 0; i < 4; i++)
    r[i].seq = &seq;

  /* Run in the order added, once each, on the completing thread. */
  cf_future *f = new_future();
  for (int i = 0; i < 3; i++)
    CHECK_EQ(cf_future_add_done_callback(f, cb_count, &r[i]), 0);
  CHECK_EQ(atomic_load(&r[0].calls), 0);
  CHECK_EQ(cf_future_set_running_or_notify_cancel(f), 0);
  CHECK_EQ(atomic_load(&r[0].calls), 0);
  CHECK_EQ(cf_future_finish(f), 0);
  for (int i = 0; i < 3; i++) {
    CHECK_EQ(atomic_load(&r[i].calls), 1);
    CHECK_EQ(atomic_load(&r[i].order), i);
    CHECK(pthread_equal(r[i].thread, pthread_self()));
  }
  /* Added after completion (the completer is through): runs at once,
   * before add returns. */
  CHECK_EQ(cf_future_add_done_callback(f, cb_count, &r[3]), 0);
  CHECK_EQ(atomic_load(&r[3].calls), 1);
  CHECK_EQ(atomic_load(&r[3].order), 3);
  /* ... and one added from inside such a callback runs at once too. */
  nested n;
  memset(&n, 0, sizeof n);
  n.inner.seq = &seq;
  CHECK_EQ(cf_future_add_done_callback(f, cb_add_nested, &n), 0);
  CHECK_EQ(atomic_load(&n.outer_seen.calls), 1);
  CHECK_EQ(n.inner_ran_inside, 1);
  CHECK_EQ(cf_future_finish(f), EINVAL); /* nothing runs twice */
  for (int i = 0; i < 4; i++)
    CHECK_EQ(atomic_load(&r[i].calls), 1);
  CHECK_EQ(atomic_load(&n.inner.calls), 1);
  cf_future_destroy(f);

  /* cancel runs callbacks on the cancelling thread before it returns.  One
   * added from inside a callback while the completer still runs listeners
   * is queued behind them: it runs after that callback returns, on the
   * same thread, before cancel returns. */
  memset(r, 0, sizeof r);
  memset(&n, 0, sizeof n);
  atomic_store(&seq, 0);
  for (int i = 0; i < 2; i++)
    r[i].seq = &seq;
  n.inner.seq = &seq;
  f = new_future();
  CHECK_EQ(cf_future_add_done_callback(f, cb_count, &r[0]), 0);
  CHECK_EQ(cf_future_add_done_callback(f, cb_add_nested, &n), 0);
  CHECK_EQ(cf_future_add_done_callback(f, cb_count, &r[1]), 0);
  CHECK(cf_future_cancel(f));
  CHECK_EQ(atomic_load(&r[0].calls), 1);
  CHECK_EQ(atomic_load(&n.outer_seen.calls), 1);
  CHECK_EQ(n.inner_ran_inside, 0);
  CHECK_EQ(atomic_load(&n.inner.calls), 1);
  CHECK_EQ(atomic_load(&r[1].calls), 1);
  CHECK_EQ(atomic_load(&r[0].order), 0);
  CHECK_EQ(atomic_load(&r[1].order), 1);
  CHECK_EQ(atomic_load(&n.inner.order), 2); /* after the ones before it */
  CHECK(pthread_equal(n.inner.thread, pthread_self()));
  CHECK(cf_future_cancel(f));
  CHECK_EQ(cf_future_set_running_or_notify_cancel(f), ECANCELED);
  CHECK_EQ(atomic_load(&r[0].calls), 1);
  cf_future_destroy(f);

  /* A never-completed future frees its callbacks without calling them. */
  memset(r, 0, sizeof r);
  f = new_future();
  for (int i = 0; i < 3; i++)
    CHECK_EQ(cf_future_add_done_callback(f, cb_count, &r[i]), 0);
  cf_future_destroy(f);
  for (int i = 0; i < 3; i++)
    CHECK_EQ(atomic_load(&r[i].calls), 0);
}

/* Waiters parked in cf_future_wait are all woken by the completion, and
 * see what the completer wrote before finish (release/acquire). */
typedef struct wake_round {
  pthread_barrier_t start, end;
  cf_future *f;
  int outcome;
  bool stop;
  int rc[3];
  int seen[3];
} wake_round;

typedef struct wake_arg {
  wake_round *w;
  int id;
} wake_arg;

static void *wake_waiter_main(void *arg) {
  wake_arg *a = arg;
  wake_round *w = a->w;
  for (;;) {
    pthread_barrier_wait(&w->start);
    if (w->stop)
      break;
    struct timespec d = after_ms(60000);
    w->rc[a->id] = cf_future_wait(w->f, a->id == 2 ? &d : NULL);
    w->seen[a->id] = cf_future_state(w->f) == CF_FINISHED
                         ? read_published(&w->outcome)
                         : -1;
    pthread_barrier_wait(&w->end);
  }
  return NULL;
}

void test_future_wait_wakes_all(void) {
  wake_round w;
  memset(&w, 0, sizeof w);
  pthread_barrier_init(&w.start, NULL, 4);
  pthread_barrier_init(&w.end, NULL, 4);
  wake_arg args[3];
  pthread_t th[3];
  for (int i = 0; i < 3; i++) {
    args[i] = (wake_arg){&w, i};
    th[i] = spawn(wake_waiter_main, &args[i]);
  }
  long rounds = scaled(3000, 20);
  uint64_t seed = 42;
  for (long r = 0; r < rounds; r++) {
    w.f = new_future();
    w.outcome = 0;
    bool cancel = (r % 3) == 2;
    pthread_barrier_wait(&w.start);
    /* Complete at a varying moment: before, while or after they park. */
    unsigned spin = (unsigned)(rng_next(&seed) % 2000);
    for (volatile unsigned i = 0; i < spin; i++) {
    }
    if (r % 50 == 0)
      sleep_ms(2); /* make sure some rounds really sleep on the futex */
    if (cancel) {
      CHECK(cf_future_cancel(w.f));
    } else {
      CHECK_EQ(cf_future_set_running_or_notify_cancel(w.f), 0);
      w.outcome = 1234;
      CHECK_EQ(cf_future_finish(w.f), 0);
    }
    pthread_barrier_wait(&w.end);
    for (int i = 0; i < 3; i++) {
      CHECK_EQ(w.rc[i], 0);
      CHECK_EQ(w.seen[i], cancel ? -1 : 1234);
    }
    cf_future_destroy(w.f);
  }
  w.stop = true;
  pthread_barrier_wait(&w.start);
  for (int i = 0; i < 3; i++)
    join(th[i]);
  pthread_barrier_destroy(&w.start);
  pthread_barrier_destroy(&w.end);
}

/* cancel vs set_running_or_notify_cancel vs add_done_callback vs wait, on
 * four threads, many rounds: exactly one of cancel and run wins, every
 * callback runs exactly once and in the order added, every waiter
 * returns and sees what the runner wrote before finish. */
enum { RACE_CBS = 3 };

typedef struct cancel_race {
  pthread_barrier_t start, end;
  cf_future *f;
  bool stop;
  bool cancel_rc;
  int run_rc, finish_rc, wait_rc;
  int add_rc[RACE_CBS];
  int outcome, seen;
  atomic_int seq;
  cb_rec pre, cb[RACE_CBS]; /* pre: added before the round starts */
} cancel_race;

static void *race_canceller(void *arg) {
  cancel_race *c = arg;
  for (;;) {
    pthread_barrier_wait(&c->start);
    if (c->stop)
      break;
    c->cancel_rc = cf_future_cancel(c->f);
    pthread_barrier_wait(&c->end);
  }
  return NULL;
}

static void *race_runner(void *arg) {
  cancel_race *c = arg;
  for (;;) {
    pthread_barrier_wait(&c->start);
    if (c->stop)
      break;
    c->run_rc = cf_future_set_running_or_notify_cancel(c->f);
    c->finish_rc = -1;
    if (c->run_rc == 0) {
      c->outcome = 77;
      c->finish_rc = cf_future_finish(c->f);
    }
    pthread_barrier_wait(&c->end);
  }
  return NULL;
}

static void *race_adder(void *arg) {
  cancel_race *c = arg;
  for (;;) {
    pthread_barrier_wait(&c->start);
    if (c->stop)
      break;
    for (int i = 0; i < RACE_CBS; i++)
      c->add_rc[i] = cf_future_add_done_callback(c->f, cb_count, &c->cb[i]);
    pthread_barrier_wait(&c->end);
  }
  return NULL;
}

static void *race_waiter(void *arg) {
  cancel_race *c = arg;
  for (;;) {
    pthread_barrier_wait(&c->start);
    if (c->stop)
      break;
    c->wait_rc = cf_future_wait(c->f, NULL);
    c->seen = cf_future_state(c->f) == CF_FINISHED
                  ? read_published(&c->outcome)
                  : -1;
    pthread_barrier_wait(&c->end);
  }
  return NULL;
}

/* Rounds where a callback started before one added earlier (the pre-added
 * one, or the adder's own earlier ones): must stay 0 — a callback added
 * while the completer still runs listeners is queued behind them. */
static long callback_inversions;

void test_cancel_race(void) {
  cancel_race c;
  memset(&c, 0, sizeof c);
  pthread_barrier_init(&c.start, NULL, 5);
  pthread_barrier_init(&c.end, NULL, 5);
  void *(*mains[4])(void *) = {race_canceller, race_runner, race_adder,
                               race_waiter};
  pthread_t th[4];
  for (int i = 0; i < 4; i++)
    th[i] = spawn(mains[i], &c);
  long rounds = scaled(20000, 40), cancelled = 0, ran = 0;
  for (long r = 0; r < rounds; r++) {
    c.f = new_future();
    atomic_store(&c.seq, 0);
    memset(&c.pre, 0, sizeof c.pre);
    memset(c.cb, 0, sizeof c.cb);
    c.pre.seq = &c.seq;
    for (int i = 0; i < RACE_CBS; i++)
      c.cb[i].seq = &c.seq;
    CHECK_EQ(cf_future_add_done_callback(c.f, cb_count, &c.pre), 0);
    c.outcome = 0;
    pthread_barrier_wait(&c.start);
    pthread_barrier_wait(&c.end);
    /* Exactly one winner. */
    if (c.cancel_rc) {
      cancelled++;
      CHECK_EQ(c.run_rc, ECANCELED);
      CHECK_EQ(cf_future_state(c.f), CF_CANCELLED_AND_NOTIFIED);
      CHECK_EQ(c.seen, -1);
    } else {
      ran++;
      CHECK_EQ(c.run_rc, 0);
      CHECK_EQ(c.finish_rc, 0);
      CHECK_EQ(cf_future_state(c.f), CF_FINISHED);
      CHECK_EQ(c.seen, 77);
    }
    CHECK_EQ(c.wait_rc, 0);
    CHECK_EQ(atomic_load(&c.pre.calls), 1);
    for (int i = 0; i < RACE_CBS; i++) {
      CHECK_EQ(c.add_rc[i], 0);
      CHECK_EQ(atomic_load(&c.cb[i].calls), 1);
    }
    int prev = atomic_load(&c.pre.order);
    for (int i = 0; i < RACE_CBS; i++) {
      int o = atomic_load(&c.cb[i].order);
      if (o < prev)
        callback_inversions++;
      prev = o;
    }
    cf_future_destroy(c.f);
  }
  c.stop = true;
  pthread_barrier_wait(&c.start);
  for (int i = 0; i < 4; i++)
    join(th[i]);
  pthread_barrier_destroy(&c.start);
  pthread_barrier_destroy(&c.end);
  CHECK_EQ(cancelled + ran, rounds);
  CHECK_EQ(callback_inversions, 0);
  printf("     (%ld rounds: %ld cancelled first, %ld ran first)\n", rounds,
         cancelled, ran);
}

/* A callback added once the completer is through runs at once on the
 * adder's thread, and must see what the callbacks run before it wrote:
 * the completer clears CALLING with release ordering.  (With a relaxed
 * clear, TSan reports the read below as a race within a few rounds.) */
typedef struct publish_round {
  pthread_barrier_t start, end;
  cf_future *f;
  int data; /* written by cb_publish on the completer, read by cb_consume */
  atomic_int published; /* relaxed: a timing hint only, orders nothing */
  bool stop;
} publish_round;

static void cb_publish(void *arg, cf_future *f) {
  (void)f;
  publish_round *p = arg;
  p->data = 1;
  atomic_store_explicit(&p->published, 1, memory_order_relaxed);
}

static void cb_consume(void *arg, cf_future *f) {
  (void)f;
  CHECK_EQ(read_published(&((publish_round *)arg)->data), 1);
}

static void *publish_completer(void *arg) {
  publish_round *p = arg;
  for (;;) {
    pthread_barrier_wait(&p->start);
    if (p->stop)
      break;
    CHECK(cf_future_cancel(p->f));
    pthread_barrier_wait(&p->end);
  }
  return NULL;
}

void test_callback_sees_earlier_callbacks(void) {
  publish_round p;
  memset(&p, 0, sizeof p);
  pthread_barrier_init(&p.start, NULL, 2);
  pthread_barrier_init(&p.end, NULL, 2);
  pthread_t t = spawn(publish_completer, &p);
  long rounds = scaled(100000, 500);
  for (long r = 0; r < rounds; r++) {
    p.f = new_future();
    p.data = 0;
    atomic_store_explicit(&p.published, 0, memory_order_relaxed);
    CHECK_EQ(cf_future_add_done_callback(p.f, cb_publish, &p), 0);
    pthread_barrier_wait(&p.start);
    /* Add right after cb_publish returns, at a varying moment, to land
     * between the completer's clear of CALLING and its unlock: the one
     * window where the fast path's load is all that orders the two. */
    for (unsigned n = 1;
         !atomic_load_explicit(&p.published, memory_order_relaxed); n++) {
      if (n % 256 == 0)
        sched_yield(); /* valgrind runs one thread at a time */
    }
    unsigned spin = (unsigned)(r % 16);
    for (volatile unsigned i = 0; i < spin; i++) {
    }
    CHECK_EQ(cf_future_add_done_callback(p.f, cb_consume, &p), 0);
    pthread_barrier_wait(&p.end);
    cf_future_destroy(p.f);
  }
  p.stop = true;
  pthread_barrier_wait(&p.start);
  join(t);
  pthread_barrier_destroy(&p.start);
  pthread_barrier_destroy(&p.end);
}

/* --------------------------------------------------------- watches */

static void watch_count(void *arg, cf_future *f) {
  CHECK(cf_future_is_done(f));
  atomic_fetch_add((atomic_int *)arg, 1);
}

/* What a callback blocked on a gate sees and records. */
typedef struct slow_cb {
  gate entered; /* arrived once the callback runs */
  gate release; /* the callback returns once open */
} slow_cb;

static void slow_callback(void *arg, cf_future *f) {
  (void)f;
  slow_cb *s = arg;
  gate_pass(&s->entered); /* open: counts the arrival only */
  gate_pass(&s->release);
}

static void *finish_main(void *arg) {
  cf_future *f = arg;
  CHECK_EQ(cf_future_set_running_or_notify_cancel(f), 0);
  CHECK_EQ(cf_future_finish(f), 0);
  return NULL;
}

/* A watch runs once, at completion or at once on a done future (handle
 * NULL); unwatch before completion removes it (fn never runs); unwatch
 * after it ran says so; bad arguments are EINVAL. */
void test_future_watch(void) {
  atomic_int calls = 0;
  cf_watch *w = NULL;
  CHECK_EQ(cf_future_watch(NULL, watch_count, &calls, &w), EINVAL);
  cf_future *f = new_future();
  CHECK_EQ(cf_future_watch(f, NULL, &calls, &w), EINVAL);
  CHECK_EQ(cf_future_watch(f, watch_count, &calls, NULL), EINVAL);
  CHECK(!cf_future_unwatch(f, NULL));

  CHECK_EQ(cf_future_watch(f, watch_count, &calls, &w), 0);
  CHECK(w != NULL);
  CHECK(cf_future_unwatch(f, w)); /* removed: never runs */
  CHECK_EQ(cf_future_watch(f, watch_count, &calls, &w), 0);
  CHECK(cf_future_cancel(f));
  CHECK_EQ(atomic_load(&calls), 1);
  CHECK(!cf_future_unwatch(f, w)); /* it ran */
  CHECK_EQ(cf_future_watch(f, watch_count, &calls, &w), 0);
  CHECK(w == NULL); /* done already: ran here */
  CHECK_EQ(atomic_load(&calls), 2);
  cf_future_destroy(f);

  /* A watch dropped from a future that never completes never runs. */
  f = new_future();
  CHECK_EQ(cf_future_watch(f, watch_count, &calls, &w), 0);
  CHECK(cf_future_unwatch(f, w));
  cf_future_destroy(f);
  CHECK_EQ(atomic_load(&calls), 2);
}

typedef struct watch_race {
  pthread_barrier_t start;
  cf_future *f;
  bool stop;
} watch_race;

static void *watch_race_completer(void *arg) {
  watch_race *r = arg;
  for (;;) {
    pthread_barrier_wait(&r->start);
    if (r->stop)
      return NULL;
    CHECK(cf_future_cancel(r->f));
    pthread_barrier_wait(&r->start);
  }
}

/* Unwatch racing the completion: exactly one of "fn ran" and "unwatch
 * removed it" happens, every round, and the handle is freed either way
 * (ASan and LSan check the memory). */
void test_future_unwatch_races_completion(void) {
  watch_race r = {.stop = false};
  pthread_barrier_init(&r.start, NULL, 2);
  pthread_t t = spawn(watch_race_completer, &r);
  long rounds = scaled(20000, 200);
  for (long i = 0; i < rounds; i++) {
    atomic_int calls = 0;
    cf_watch *w = NULL;
    r.f = new_future();
    CHECK_EQ(cf_future_watch(r.f, watch_count, &calls, &w), 0);
    pthread_barrier_wait(&r.start);
    bool removed = cf_future_unwatch(r.f, w);
    pthread_barrier_wait(&r.start); /* the completer has returned */
    CHECK_EQ(atomic_load(&calls) + (removed ? 1 : 0), 1);
    cf_future_destroy(r.f);
  }
  r.stop = true;
  pthread_barrier_wait(&r.start);
  join(t);
  pthread_barrier_destroy(&r.start);
}

/* Notices run before callbacks: while a slow callback of a done future
 * runs on its completer, a waiter added now has the future at once, and a
 * watch added now runs at once, on this thread. */
void test_notices_run_before_callbacks(void) {
  slow_cb s;
  gate_init(&s.entered);
  gate_init(&s.release);
  gate_set(&s.entered, true);
  cf_future *f = new_future();
  atomic_int early = 0, late = 0;
  cf_watch *w = NULL;
  CHECK_EQ(cf_future_add_done_callback(f, slow_callback, &s), 0);
  CHECK_EQ(cf_future_watch(f, watch_count, &early, &w), 0); /* added after */
  pthread_t t = spawn(finish_main, f);
  gate_await(&s.entered, 1);        /* the completer is inside the callback */
  CHECK_EQ(atomic_load(&early), 1); /* the watch ran before it */
  CHECK(!cf_future_unwatch(f, w));
  CHECK(cf_future_is_done(f));
  CHECK_EQ(cf_future_watch(f, watch_count, &late, &w), 0);
  CHECK(w == NULL);
  CHECK_EQ(atomic_load(&late), 1);
  cf_waiter *waiter = NULL;
  CHECK_EQ(cf_waiter_create(1, &waiter), 0);
  CHECK_EQ(cf_waiter_add(waiter, f, 7), 0);
  size_t tag = 0;
  struct timespec d = after_ms(10000);
  CHECK_EQ(cf_waiter_next(waiter, &d, &tag), 0); /* not after 10 s */
  CHECK_EQ(tag, 7);
  CHECK_EQ(cf_future_wait(f, NULL), 0);
  gate_set(&s.release, true);
  join(t);
  cf_waiter_destroy(waiter);
  cf_future_destroy(f);
  gate_destroy(&s.entered);
  gate_destroy(&s.release);
}

static void nothing(void *arg, cf_task_op op) {
  (void)arg;
  (void)op;
}

/* Completing a future nobody sleeps on makes no futex wake: 100,000
 * submit -> wait until done (by looking, never blocking) -> read loops
 * leave cf_test_future_wakes unchanged (it counts the wakes of futures'
 * words only, not the queue's condition variables).  Changing finish to
 * wake always makes this fail. */
void test_future_completion_without_sleeper_makes_no_wake(void) {
  cf_pool *p = new_pool(1, 16);
  long rounds = scaled(100000, 2000);
  long before = cf_test_future_wakes();
  for (long i = 0; i < rounds; i++) {
    cf_future *f = new_future();
    CHECK_EQ(cf_pool_submit(p, nothing, NULL, f, CF_SUBMIT_BLOCK, NULL), 0);
    for (unsigned n = 1; !cf_future_is_done(f); n++) {
      if (n % 64 == 0)
        sched_yield();
    }
    CHECK_EQ(cf_future_state(f), CF_FINISHED);
    cf_future_destroy(f);
  }
  CHECK_EQ(cf_test_future_wakes() - before, 0);

  CHECK_EQ(cf_pool_shutdown(p, true, false), 0);
  cf_pool_destroy(p);
}

/* An embedded future: CF_FUTURE_SIZE zero bytes of the owner's are a
 * PENDING future; it runs through a pool like a heap one (the pool counts
 * no reference on it); cf_future_deinit frees what a future that never
 * completed still holds — a callback, a start deadline (ASan/LSan and
 * memcheck see the memory). */
void test_future_embedded(void) {
  _Alignas(CF_FUTURE_ALIGN) unsigned char storage[CF_FUTURE_SIZE] = {0};
  cf_future *f = (cf_future *)storage;
  CHECK_EQ(cf_future_state(f), CF_PENDING);
  cb_rec r;
  memset(&r, 0, sizeof r);
  CHECK_EQ(cf_future_add_done_callback(f, cb_count, &r), 0);
  cf_pool *p = new_pool(1, 4);
  CHECK_EQ(cf_pool_submit(p, nothing, NULL, f, CF_SUBMIT_BLOCK, NULL), 0);
  CHECK_EQ(cf_future_wait(f, NULL), 0);
  CHECK_EQ(cf_pool_shutdown(p, true, false), 0);
  cf_pool_destroy(p);
  CHECK_EQ(cf_future_state(f), CF_FINISHED);
  CHECK_EQ(atomic_load(&r.calls), 1);
  cf_future_deinit(f);

  /* Never completed: deinit frees its callback node and deadline node. */
  _Alignas(CF_FUTURE_ALIGN) unsigned char idle[CF_FUTURE_SIZE] = {0};
  cf_future *g = (cf_future *)idle;
  cb_rec never;
  memset(&never, 0, sizeof never);
  CHECK_EQ(cf_future_add_done_callback(g, cb_count, &never), 0);
  struct timespec later = after_ms(60000);
  CHECK_EQ(cf_future_set_start_by(g, &later), 0);
  CHECK_EQ(cf_future_set_start_by(g, &later), 0); /* updated, not added */
  cf_test_fail_allocations(1);
  CHECK_EQ(cf_future_set_start_by(g, &later), 0); /* no allocation needed */
  cf_test_fail_allocations(0);
  cf_future_deinit(g);
  CHECK_EQ(atomic_load(&never.calls), 0);
}

/* A start deadline is a node the future allocates: its failure is ENOMEM,
 * and the future is unchanged. */
void test_future_start_by_without_memory(void) {
  cf_future *f = new_future();
  struct timespec later = after_ms(60000);
  cf_test_fail_allocations(1);
  CHECK_EQ(cf_future_set_start_by(f, &later), ENOMEM);
  cf_test_fail_allocations(0);
  CHECK_EQ(cf_future_set_start_by(f, NULL), 0); /* none: nothing to free */
  CHECK_EQ(cf_future_set_start_by(f, &later), 0);
  CHECK_EQ(cf_future_set_start_by(f, NULL), 0); /* removed again */
  CHECK(cf_future_cancel(f));
  CHECK(!cf_future_is_expired(f));
  cf_future_destroy(f);
}
