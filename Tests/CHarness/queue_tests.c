/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the ConcurrentFutures authors */

/*
 * queue_tests.c — the harness's tests of the bounded queue (queue.c).
 */
#include "internal.h"
#include "support.h"
#include "tests.h"

void test_queue_invalid_arguments(void) {
  cf_queue *q = NULL;
  CHECK_EQ(cf_queue_create(0, &q), EINVAL);
  CHECK_EQ(cf_queue_create(4, NULL), EINVAL);
  CHECK_EQ(cf_queue_create(SIZE_MAX, &q), EINVAL);
  CHECK(q == NULL);
  CHECK_EQ(cf_queue_create(4, &q), 0);
  cf_item it = item_of(1), out;
  struct timespec bad = bad_deadline();
  CHECK_EQ(cf_queue_put(NULL, &it, NULL), EINVAL);
  CHECK_EQ(cf_queue_put(q, NULL, NULL), EINVAL);
  CHECK_EQ(cf_queue_put(q, &it, &bad), EINVAL);
  CHECK_EQ(cf_queue_offer(NULL, &it), EINVAL);
  CHECK_EQ(cf_queue_offer(q, NULL), EINVAL);
  CHECK_EQ(cf_queue_take(NULL, &out, NULL), EINVAL);
  CHECK_EQ(cf_queue_take(q, NULL, NULL), EINVAL);
  CHECK_EQ(cf_queue_take(q, &out, &bad), EINVAL);
  CHECK_EQ(cf_queue_poll(NULL, &out), EINVAL);
  CHECK_EQ(cf_queue_poll(q, NULL), EINVAL);
  /* Refused calls changed nothing. */
  CHECK_EQ(cf_queue_size(q), 0);
  CHECK_EQ(cf_queue_remaining_capacity(q), 4);
  CHECK(!cf_queue_is_closed(q));
  cf_queue_destroy(NULL);
  cf_queue_destroy(q);
}

void test_queue_fifo_offer_poll(void) {
  cf_queue *q;
  CHECK_EQ(cf_queue_create(4, &q), 0);
  CHECK_EQ(cf_queue_capacity(q), 4);
  for (uintptr_t i = 1; i <= 4; i++) {
    cf_item it = item_of(i);
    CHECK_EQ(cf_queue_offer(q, &it), 0);
    CHECK_EQ(cf_queue_size(q), i);
    CHECK_EQ(cf_queue_remaining_capacity(q), 4 - i);
  }
  cf_item extra = item_of(5), out;
  CHECK_EQ(cf_queue_offer(q, &extra), EAGAIN);
  struct timespec d = past();
  CHECK_EQ(cf_queue_put(q, &extra, &d), ETIMEDOUT);
  CHECK_EQ(cf_queue_size(q), 4);
  for (uintptr_t i = 1; i <= 4; i++) {
    CHECK_EQ(cf_queue_poll(q, &out), 0);
    CHECK_EQ((uintptr_t)out.arg, i);
    CHECK(out.fn == never_called);
    CHECK(out.future == NULL);
  }
  CHECK_EQ(cf_queue_poll(q, &out), EAGAIN);
  d = past();
  CHECK_EQ(cf_queue_take(q, &out, &d), ETIMEDOUT);
  CHECK_EQ(cf_queue_size(q), 0);
  CHECK_EQ(cf_queue_remaining_capacity(q), 4);
  /* A queue destroyed with items in it frees them without calling fn. */
  cf_item a = item_of(7), b = item_of(8);
  CHECK_EQ(cf_queue_put(q, &a, NULL), 0);
  CHECK_EQ(cf_queue_offer(q, &b), 0);
  cf_queue_destroy(q);
}

/* A random script of every non-sleeping operation against an array model,
 * on capacities that make the indices wrap often. */
void test_queue_wraparound_model(void) {
  static const size_t caps[] = {1, 2, 3, 5, 7, 16};
  uint64_t seed = 0x9E3779B97F4A7C15ULL;
  long steps = scaled(4000, 200);
  for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
    size_t cap = caps[c];
    cf_queue *q;
    CHECK_EQ(cf_queue_create(cap, &q), 0);
    uintptr_t model[16];
    size_t head = 0, count = 0;
    uintptr_t next_value = 1;
    for (long s = 0; s < steps; s++) {
      unsigned op = (unsigned)(rng_next(&seed) % 6);
      cf_item it = item_of(next_value), out = item_of(0);
      struct timespec d = past();
      int rc;
      switch (op) {
      case 0: /* offer */
      case 1: /* put, past deadline (or no deadline when there is room) */
        if (op == 0)
          rc = cf_queue_offer(q, &it);
        else
          rc = cf_queue_put(q, &it, count < cap ? NULL : &d);
        if (count == cap) {
          CHECK_EQ(rc, op == 0 ? EAGAIN : ETIMEDOUT);
        } else {
          CHECK_EQ(rc, 0);
          model[(head + count) % cap] = next_value++;
          count++;
        }
        break;
      case 2: /* poll */
      case 3: /* take, past deadline (or none when not empty) */
      case 4:
        if (op == 2)
          rc = cf_queue_poll(q, &out);
        else
          rc = cf_queue_take(q, &out, count > 0 ? NULL : &d);
        if (count == 0) {
          CHECK_EQ(rc, op == 2 ? EAGAIN : ETIMEDOUT);
        } else {
          CHECK_EQ(rc, 0);
          CHECK_EQ((uintptr_t)out.arg, model[head]);
          head = (head + 1) % cap;
          count--;
        }
        break;
      default:
        CHECK_EQ(cf_queue_size(q), count);
        CHECK_EQ(cf_queue_remaining_capacity(q), cap - count);
        break;
      }
    }
    /* Close: puts fail, takes drain in order and then report closed. */
    cf_queue_close(q);
    cf_item it = item_of(0), out;
    CHECK_EQ(cf_queue_offer(q, &it), ESHUTDOWN);
    CHECK_EQ(cf_queue_put(q, &it, NULL), ESHUTDOWN);
    while (count > 0) {
      CHECK_EQ(cf_queue_take(q, &out, NULL), 0);
      CHECK_EQ((uintptr_t)out.arg, model[head]);
      head = (head + 1) % cap;
      count--;
    }
    CHECK_EQ(cf_queue_take(q, &out, NULL), ESHUTDOWN);
    CHECK_EQ(cf_queue_poll(q, &out), ESHUTDOWN);
    cf_queue_destroy(q);
  }
}

void test_queue_deadline_expiry(void) {
  cf_queue *q;
  CHECK_EQ(cf_queue_create(1, &q), 0);
  cf_item it = item_of(1), out;
  /* take on an empty queue waits out its deadline. */
  struct timespec d = after_ms(50);
  double t0 = now_s();
  CHECK_EQ(cf_queue_take(q, &out, &d), ETIMEDOUT);
  double el = now_s() - t0;
  CHECK(el >= 0.049 && el < 10);
  /* put on a full queue likewise. */
  CHECK_EQ(cf_queue_offer(q, &it), 0);
  d = after_ms(50);
  t0 = now_s();
  CHECK_EQ(cf_queue_put(q, &it, &d), ETIMEDOUT);
  el = now_s() - t0;
  CHECK(el >= 0.049 && el < 10);
  CHECK_EQ(cf_queue_size(q), 1);
  cf_queue_destroy(q);
  /* cf_deadline_after: bad input, and saturation far in the future. */
  struct timespec far;
  CHECK_EQ(cf_deadline_after(-1, &far), EINVAL);
  CHECK_EQ(cf_deadline_after(1, NULL), EINVAL);
  CHECK_EQ(cf_deadline_after(INT64_MAX, &far), 0);
  CHECK(far.tv_sec >= (time_t)(INT64_MAX / 1000000000));
  CHECK(far.tv_nsec >= 0 && far.tv_nsec < 1000000000);
}

typedef struct blocked_op {
  cf_queue *q;
  bool put; /* else take */
  int rc;
} blocked_op;

static void *blocked_op_main(void *arg) {
  blocked_op *b = arg;
  cf_item it = item_of(99);
  b->rc = b->put ? cf_queue_put(b->q, &it, NULL)
                 : cf_queue_take(b->q, &it, NULL);
  return NULL;
}

void test_queue_close_wakes_sleepers(void) {
  cf_queue *empty, *full;
  CHECK_EQ(cf_queue_create(2, &empty), 0);
  CHECK_EQ(cf_queue_create(1, &full), 0);
  cf_item it = item_of(5), out;
  CHECK_EQ(cf_queue_offer(full, &it), 0);
  blocked_op ops[5] = {{empty, false, -1},
                       {empty, false, -1},
                       {empty, false, -1},
                       {full, true, -1},
                       {full, true, -1}};
  pthread_t th[5];
  for (int i = 0; i < 5; i++)
    th[i] = spawn(blocked_op_main, &ops[i]);
  sleep_ms(50); /* let them park; the outcome is the same if they have not */
  cf_queue_close(empty);
  cf_queue_close(full);
  for (int i = 0; i < 5; i++) {
    join(th[i]);
    CHECK_EQ(ops[i].rc, ESHUTDOWN);
  }
  CHECK(cf_queue_is_closed(full));
  cf_queue_close(full); /* idempotent */
  CHECK_EQ(cf_queue_offer(full, &it), ESHUTDOWN);
  CHECK_EQ(cf_queue_size(full), 1);
  CHECK_EQ(cf_queue_poll(full, &out), 0); /* drains what was left */
  CHECK_EQ((uintptr_t)out.arg, 5);
  CHECK_EQ(cf_queue_poll(full, &out), ESHUTDOWN);
  CHECK_EQ(cf_queue_take(full, &out, NULL), ESHUTDOWN);
  CHECK_EQ(cf_queue_remaining_capacity(full), 1);
  cf_queue_destroy(empty);
  cf_queue_destroy(full);
}

/* Producers and consumers through a tiny queue: every item arrives once,
 * and each consumer sees each producer's items in increasing order. */
enum { HANDOFF_PRODUCERS = 2, HANDOFF_CONSUMERS = 2 };

typedef struct handoff {
  cf_queue *q;
  long per_producer;
  atomic_uchar *seen; /* [producer * per_producer + seq] */
} handoff;

typedef struct handoff_arg {
  handoff *h;
  int id;
} handoff_arg;

static void *producer_main(void *arg) {
  handoff_arg *a = arg;
  for (long s = 0; s < a->h->per_producer; s++) {
    cf_item it = item_of(((uintptr_t)a->id << 32) | (uintptr_t)s);
    int rc;
    if (a->id == 0) {
      rc = cf_queue_put(a->h->q, &it, NULL);
    } else {
      struct timespec d = after_ms(60000);
      rc = cf_queue_put(a->h->q, &it, &d);
    }
    CHECK_EQ(rc, 0);
  }
  return NULL;
}

static void *consumer_main(void *arg) {
  handoff_arg *a = arg;
  long last[HANDOFF_PRODUCERS];
  for (int p = 0; p < HANDOFF_PRODUCERS; p++)
    last[p] = -1;
  for (;;) {
    cf_item it;
    int rc;
    if (a->id == 0) {
      rc = cf_queue_take(a->h->q, &it, NULL);
    } else {
      struct timespec d = after_ms(60000);
      rc = cf_queue_take(a->h->q, &it, &d);
    }
    if (rc == ESHUTDOWN)
      break;
    CHECK_EQ(rc, 0);
    if (rc != 0)
      break;
    uintptr_t v = (uintptr_t)it.arg;
    int p = (int)(v >> 32);
    long s = (long)(v & 0xffffffffu);
    CHECK(p >= 0 && p < HANDOFF_PRODUCERS && s < a->h->per_producer);
    CHECK(s > last[p]);
    last[p] = s;
    atomic_fetch_add(&a->h->seen[(long)p * a->h->per_producer + s], 1);
  }
  return NULL;
}

void test_queue_blocking_handoff(void) {
  handoff h;
  h.per_producer = scaled(20000, 200);
  CHECK_EQ(cf_queue_create(3, &h.q), 0);
  long total = h.per_producer * HANDOFF_PRODUCERS;
  h.seen = calloc((size_t)total, sizeof *h.seen);
  handoff_arg pa[HANDOFF_PRODUCERS], ca[HANDOFF_CONSUMERS];
  pthread_t pt[HANDOFF_PRODUCERS], ct[HANDOFF_CONSUMERS];
  for (int i = 0; i < HANDOFF_CONSUMERS; i++) {
    ca[i] = (handoff_arg){&h, i};
    ct[i] = spawn(consumer_main, &ca[i]);
  }
  for (int i = 0; i < HANDOFF_PRODUCERS; i++) {
    pa[i] = (handoff_arg){&h, i};
    pt[i] = spawn(producer_main, &pa[i]);
  }
  for (int i = 0; i < HANDOFF_PRODUCERS; i++)
    join(pt[i]);
  cf_queue_close(h.q);
  for (int i = 0; i < HANDOFF_CONSUMERS; i++)
    join(ct[i]);
  long missing = 0, twice = 0;
  for (long i = 0; i < total; i++) {
    missing += h.seen[i] == 0;
    twice += h.seen[i] > 1;
  }
  CHECK_EQ(missing, 0);
  CHECK_EQ(twice, 0);
  CHECK_EQ(cf_queue_size(h.q), 0);
  free(h.seen);
  cf_queue_destroy(h.q);
}

/* The ring grows as items arrive (from 64 slots, doubling up to the
 * capacity), keeps FIFO order across growths that happen while it wraps,
 * and a growth that cannot get memory refuses that item with ENOMEM and
 * changes nothing. */
void test_queue_grows_within_its_bound(void) {
  cf_queue *q = NULL;
  CHECK_EQ(cf_queue_create(1000, &q), 0);
  uintptr_t next_in = 1, next_out = 1;
  cf_item out;
  /* Wrap the first ring: 40 in, 30 out, then fill past 64. */
  for (int i = 0; i < 40; i++)
    CHECK_EQ(cf_queue_offer(q, &(cf_item){.fn = never_called,
                                          .arg = (void *)next_in++}),
             0);
  for (int i = 0; i < 30; i++) {
    CHECK_EQ(cf_queue_poll(q, &out), 0);
    CHECK_EQ((uintptr_t)out.arg, next_out++);
  }
  while (cf_queue_size(q) < 64)
    CHECK_EQ(cf_queue_offer(q, &(cf_item){.fn = never_called,
                                          .arg = (void *)next_in++}),
             0);
  cf_test_fail_allocations(1);
  cf_item refused = {.fn = never_called, .arg = (void *)next_in};
  CHECK_EQ(cf_queue_offer(q, &refused), ENOMEM);
  CHECK_EQ(cf_queue_put(q, &refused, NULL), 0); /* the failure was used up */
  next_in++;
  cf_test_fail_allocations(0);
  CHECK_EQ(cf_queue_size(q), 65);
  while (cf_queue_size(q) < 1000)
    CHECK_EQ(cf_queue_offer(q, &(cf_item){.fn = never_called,
                                          .arg = (void *)next_in++}),
             0);
  CHECK_EQ(cf_queue_offer(q, &refused), EAGAIN); /* the bound */
  while (cf_queue_poll(q, &out) == 0)
    CHECK_EQ((uintptr_t)out.arg, next_out++);
  CHECK_EQ(next_out, next_in);
  cf_queue_destroy(q);
}

/* One thread asleep in take (or put), with a deadline so that it parks at
 * once instead of spinning; it takes (puts) one item and returns. */
typedef struct one_op {
  cf_queue *q;
  bool put;
  int rc;
} one_op;

static void *one_op_main(void *arg) {
  one_op *o = arg;
  struct timespec far = after_ms(60000);
  cf_item it = item_of(7);
  o->rc = o->put ? cf_queue_put(o->q, &it, &far)
                 : cf_queue_take(o->q, &it, &far);
  return NULL;
}

/* Waits, bounded, until `takers` and `putters` threads sleep in q. */
static bool await_sleepers(cf_queue *q, size_t takers, size_t putters) {
  struct timespec limit = after_ms(10000);
  for (;;) {
    size_t t, p;
    cf__queue_sleepers(q, &t, &p);
    if (t == takers && p == putters)
      return true;
    if (cf__deadline_passed(&limit))
      return false;
    sched_yield();
  }
}

/* Signalling wakes only the sleepers the items need: with SLEEPERS takers
 * asleep, a stream of 64 items wakes each at most once (it used to signal
 * again on every item until a woken thread got the lock back: a futex
 * call each), and the same for putters asleep on a full queue while 64
 * items leave.  In every round each sleeper returns with its item, also
 * in a burst of exactly as many items as sleepers.  (A waiter may return
 * without a signal, POSIX allows it: hence "at most", and at least one.)
 * Repeated: the race is between the woken threads getting the lock back
 * and the next item. */
enum { SLEEPERS = 2, STREAM = 64 };

static void wake_round(bool putters, int items) {
  cf_queue *q;
  CHECK_EQ(cf_queue_create(putters ? STREAM : 1000, &q), 0);
  cf_item it = item_of(1), out;
  if (putters)
    for (int i = 0; i < STREAM; i++)
      CHECK_EQ(cf_queue_offer(q, &it), 0);
  one_op ops[SLEEPERS];
  pthread_t th[SLEEPERS];
  for (int i = 0; i < SLEEPERS; i++) {
    ops[i] = (one_op){q, putters, -1};
    th[i] = spawn(one_op_main, &ops[i]);
  }
  CHECK(await_sleepers(q, putters ? 0 : SLEEPERS, putters ? SLEEPERS : 0));
  long before = cf_test_queue_wakes();
  for (int i = 0; i < items; i++)
    CHECK_EQ(putters ? cf_queue_poll(q, &out) : cf_queue_offer(q, &it), 0);
  for (int i = 0; i < SLEEPERS; i++) {
    join(th[i]);
    CHECK_EQ(ops[i].rc, 0);
  }
  long wakes = cf_test_queue_wakes() - before;
  CHECK(wakes >= 1 && wakes <= SLEEPERS);
  CHECK_EQ(cf_queue_size(q), putters ? (size_t)(STREAM - items + SLEEPERS)
                                     : (size_t)(items - SLEEPERS));
  cf_queue_destroy(q);
}

void test_queue_wakes_only_the_sleepers_needed(void) {
  long rounds = scaled(100, 5);
  for (long r = 0; r < rounds; r++) {
    wake_round(false, STREAM);   /* takers, a stream */
    wake_round(true, STREAM);    /* putters, a stream of free slots */
    wake_round(false, SLEEPERS); /* takers, a burst of one item each */
  }
}

/* Who may spin in take rather than sleep: one taker whenever none spins, a
 * second only while other takers sleep (its spin then stands in for the
 * wake-up a put would give a sleeper after the first takes an item), never
 * a third.  A pure function of the two counts: the threads' timing would
 * make the same check flaky. */
void test_queue_spinners_rule(void) {
  CHECK(cf__queue_may_spin(0, 0));  /* alone: the one spinner */
  CHECK(cf__queue_may_spin(0, 15)); /* sleepers or not */
  CHECK(!cf__queue_may_spin(1, 0)); /* nobody to spare a wake: sleep */
  CHECK(cf__queue_may_spin(1, 1));  /* sleepers a gap would wake: spin */
  CHECK(cf__queue_may_spin(1, 14));
  CHECK(!cf__queue_may_spin(2, 14)); /* two at most */
  CHECK(!cf__queue_may_spin(3, 0));
}
