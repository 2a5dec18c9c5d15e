/*
 * harness.c — a plain-C driver of the CFutures core, outside XCTest, for
 * the sanitizers (ASan+LSan, TSan, UBSan) and valgrind (memcheck, drd).
 *
 * Each RUN(test_x) is one test: it passes when none of its CHECKs failed.
 * The last line is "harness: N passed, M failed"; the exit status is 1 when
 * M > 0.  Loops scale with CF_TEST_SCALE (float, default 1).
 *
 * Ownership: cf_future_destroy drops the creator's reference (pool items
 * and waiter registrations hold their own), so a test may destroy a
 * future as soon as it is done with it — test_pool_future_destroyed_-
 * while_finishing does so while the worker still finishes.  Racing
 * threads that use the creator's pointer are joined or parked on a
 * barrier first.  Task records (`task`) are freed only after their
 * CF_TASK_RELEASE has been seen through a join (or by the pool itself,
 * for orphans).
 *
 * CF_TEST_ONLY=substring runs only matching tests; CF_TEST_TIMEOUT sets
 * the watchdog (seconds per test, default 120).
 */
#include "CFutures.h"
#include "check.h"

#include <sched.h>


/* Threads alive when the tests start (after a warm-up thread, so that a
 * sanitizer's lazily started helper thread is already counted). */
static int baseline_threads;

/* ---------------------------------------------------------- helpers */

static struct timespec after_ms(long ms) {
  struct timespec ts;
  int rc = cf_deadline_after((int64_t)ms * 1000000, &ts);
  if (rc != 0)
    abort();
  return ts;
}

static struct timespec past(void) { return after_ms(0); }

static struct timespec bad_deadline(void) {
  struct timespec ts = after_ms(60000);
  ts.tv_nsec = 1000000000;
  return ts;
}

/* The fn of items that only sit in a queue: a call is a bug. */
static void never_called(void *arg, cf_task_op op) {
  (void)arg;
  (void)op;
  CHECK(!"a queued-only item's fn was called");
}

static cf_item item_of(uintptr_t v) {
  cf_item it = {.fn = never_called, .arg = (void *)v, .future = NULL};
  return it;
}

/* Waits (polling, 1 ms) until *counter >= want or `seconds` pass. */
static bool await_count(atomic_long *counter, long want, double seconds) {
  double end = now_s() + seconds;
  while (atomic_load(counter) < want) {
    if (now_s() > end)
      return false;
    sleep_ms(1);
  }
  return true;
}

static bool await_threads(int want, double seconds) {
  double end = now_s() + seconds;
  while (thread_count() > want) {
    if (now_s() > end)
      return false;
    sleep_ms(2);
  }
  return true;
}

static cf_future *new_future(void) {
  cf_future *f = NULL;
  int rc = cf_future_create(&f);
  if (rc != 0)
    abort();
  return f;
}

static cf_pool *new_pool(size_t workers, size_t capacity) {
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
__attribute__((noinline)) static int read_published(const int *p) {
  return *p;
}

/* ------------------------------------------------------------ tasks */

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
  int result;      /* what the action saw; read after the pool joined */
  bool on_worker;  /* cf_pool_is_worker_thread inside RUN */
  pthread_t run_thread; /* the thread that ran it */
  char name[16];   /* ACT_NAME */
} task;

static atomic_long orphans_accepted, orphans_released, orphans_ran;

static void task_fn(void *arg, cf_task_op op) {
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

static task *task_new(enum action action, gate *g, cf_pool *p,
                      bool with_future) {
  task *t = calloc(1, sizeof *t);
  if (t == NULL)
    abort();
  t->action = action;
  t->gate = g;
  t->pool = p;
  t->future = with_future ? new_future() : NULL;
  return t;
}

static void task_free(task *t) {
  cf_future_destroy(t->future);
  free(t);
}

static int submit(cf_pool *p, task *t) {
  return cf_pool_submit(p, task_fn, t, t->future, CF_SUBMIT_BLOCK, NULL);
}

/* An orphan: submitted to a pool its owner drops; counted when accepted. */
static void submit_orphan(cf_pool *p, enum action action, gate *g,
                          bool with_future) {
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

/* Done-callback that counts its calls and records the thread. */
typedef struct cb_rec {
  atomic_int calls;
  atomic_int order; /* position in the run order, from *seq */
  atomic_int *seq;
  pthread_t thread;
} cb_rec;

static void cb_count(void *arg, cf_future *f) {
  cb_rec *r = arg;
  (void)f;
  CHECK(cf_future_is_done(f));
  r->thread = pthread_self();
  if (r->seq != NULL)
    atomic_store(&r->order, atomic_fetch_add(r->seq, 1));
  atomic_fetch_add(&r->calls, 1);
}

/* ============================================================== queue */

static void test_queue_invalid_arguments(void) {
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

static void test_queue_fifo_offer_poll(void) {
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
static void test_queue_wraparound_model(void) {
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

static void test_queue_deadline_expiry(void) {
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

static void test_queue_close_wakes_sleepers(void) {
  cf_queue *empty, *full;
  CHECK_EQ(cf_queue_create(2, &empty), 0);
  CHECK_EQ(cf_queue_create(1, &full), 0);
  cf_item it = item_of(5), out;
  CHECK_EQ(cf_queue_offer(full, &it), 0);
  blocked_op ops[5] = {{empty, false, -1}, {empty, false, -1},
                       {empty, false, -1}, {full, true, -1},
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

static void test_queue_blocking_handoff(void) {
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

/* ============================================================ futures */

static void test_future_state_machine(void) {
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

static void test_future_callbacks(void) {
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
    w->seen[a->id] =
        cf_future_state(w->f) == CF_FINISHED ? read_published(&w->outcome)
                                             : -1;
    pthread_barrier_wait(&w->end);
  }
  return NULL;
}

static void test_future_wait_wakes_all(void) {
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

static void test_cancel_race(void) {
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

static void test_callback_sees_earlier_callbacks(void) {
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

/* ============================================================ waiters */

static void test_waiter_basic(void) {
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

static void test_waiter_takes_done_future_early(void) {
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

static void test_waiter_wakes_on_completion(void) {
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

static void test_waiter_destroy_race(void) {
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

static void test_waiter_destroyed_inside_callback(void) {
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

/* =============================================================== pool */

static void test_pool_invalid_arguments(void) {
  cf_pool *p = NULL;
  cf_pool_options o = {.max_workers = 0, .queue_capacity = 1};
  CHECK_EQ(cf_pool_create(&o, &p), EINVAL);
  o = (cf_pool_options){.max_workers = 1, .queue_capacity = 0};
  CHECK_EQ(cf_pool_create(&o, &p), EINVAL);
  o.queue_capacity = 1;
  CHECK_EQ(cf_pool_create(NULL, &p), EINVAL);
  CHECK_EQ(cf_pool_create(&o, NULL), EINVAL);
  CHECK(p == NULL);
  CHECK_EQ(cf_pool_create(&o, &p), 0);
  task *t = task_new(ACT_NONE, NULL, p, true);
  struct timespec bad = bad_deadline();
  CHECK_EQ(cf_pool_submit(NULL, task_fn, t, NULL, CF_SUBMIT_BLOCK, NULL),
           EINVAL);
  CHECK_EQ(cf_pool_submit(p, NULL, t, NULL, CF_SUBMIT_BLOCK, NULL), EINVAL);
  CHECK_EQ(cf_pool_submit(p, task_fn, t, NULL, CF_SUBMIT_BLOCK, &bad),
           EINVAL);
  CHECK_EQ(cf_pool_submit(p, task_fn, t, NULL, (cf_submit_mode)7, NULL),
           EINVAL);
  CHECK_EQ(cf_pool_thread_count(p), 0); /* nothing started for refusals */
  CHECK_EQ(cf_pool_queue_size(p), 0);
  CHECK_EQ(cf_pool_shutdown(NULL, true, true), EINVAL);
  CHECK(!cf_pool_is_worker_thread(p));
  CHECK(!cf_pool_is_worker_thread(NULL));
  CHECK_EQ(cf_pool_shutdown(p, true, false), 0);
  CHECK_EQ(cf_pool_shutdown(p, true, true), 0); /* idempotent */
  CHECK_EQ(submit(p, t), ESHUTDOWN);
  CHECK_EQ(atomic_load(&t->runs) + atomic_load(&t->releases), 0);
  cf_pool_destroy(p);
  cf_pool_destroy(NULL);
  task_free(t);
}

/* Create and drop pools in a loop, six ways: idle; dropped without
 * shutdown while work is pending; shut down with wait; shut down with
 * cancel while work is pending; destroyed from inside its own task; shut
 * down (wait) from inside its own task.  Every accepted item is released
 * exactly once, and every worker thread ends. */
static gate orphan_gate;

static void test_pool_create_destroy_loop(void) {
  long rounds = scaled(600, 12);
  for (long r = 0; r < rounds; r++) {
    size_t workers = 1 + (size_t)(r % 3);
    cf_pool *p = new_pool(workers, 8);
    switch (r % 6) {
    case 0: /* idle */
      CHECK_EQ(cf_pool_thread_count(p), 0);
      cf_pool_destroy(p);
      break;
    case 1: /* dropped without shutdown, work pending behind a gate */
      gate_set(&orphan_gate, false);
      for (int i = 0; i < 5; i++)
        submit_orphan(p, i == 0 ? ACT_GATE : ACT_NONE, &orphan_gate, i % 2);
      cf_pool_destroy(p);
      gate_set(&orphan_gate, true);
      break;
    case 2: { /* shutdown(wait) then destroy */
      task *t[4];
      for (int i = 0; i < 4; i++) {
        t[i] = task_new(ACT_NONE, NULL, p, true);
        CHECK_EQ(submit(p, t[i]), 0);
      }
      CHECK_EQ(cf_pool_shutdown(p, true, false), 0);
      CHECK_EQ(cf_pool_thread_count(p), 0);
      for (int i = 0; i < 4; i++) {
        CHECK_EQ(atomic_load(&t[i]->runs), 1);
        CHECK_EQ(atomic_load(&t[i]->releases), 1);
        CHECK_EQ(cf_future_state(t[i]->future), CF_FINISHED);
        task_free(t[i]);
      }
      cf_pool_destroy(p);
      break;
    }
    case 3: /* shutdown(cancel, no wait) with work pending, then destroy */
      gate_set(&orphan_gate, false);
      for (int i = 0; i < 6; i++)
        submit_orphan(p, i == 0 ? ACT_GATE : ACT_NONE, &orphan_gate, true);
      CHECK_EQ(cf_pool_shutdown(p, false, true), 0);
      CHECK_EQ(cf_pool_queue_size(p), 0);
      cf_pool_destroy(p);
      gate_set(&orphan_gate, true);
      break;
    case 4: /* destroyed from inside its own task */
      for (int i = 0; i < 3; i++)
        submit_orphan(p, ACT_NONE, NULL, i % 2);
      submit_orphan(p, ACT_DESTROY_SELF, NULL, true);
      /* The owner's reference went with that task: hands off now. */
      break;
    case 5: { /* shutdown(wait) from inside its own task: no self-join */
      task *t = task_new(ACT_SHUTDOWN_SELF, NULL, p, true);
      CHECK_EQ(submit(p, t), 0);
      CHECK_EQ(cf_future_wait(t->future, NULL), 0);
      CHECK_EQ(cf_pool_shutdown(p, true, false), 0); /* joins it */
      CHECK_EQ(t->result, 0);
      CHECK(t->on_worker);
      CHECK_EQ(atomic_load(&t->releases), 1);
      CHECK_EQ(cf_pool_thread_count(p), 0);
      task_free(t);
      cf_pool_destroy(p);
      break;
    }
    }
  }
  gate_set(&orphan_gate, true);
  /* Every orphan is released, and every detached worker really exits. */
  CHECK(await_count(&orphans_released, atomic_load(&orphans_accepted), 60));
  CHECK_EQ(atomic_load(&orphans_released), atomic_load(&orphans_accepted));
  CHECK(await_threads(baseline_threads, 60));
  CHECK_EQ(thread_count(), baseline_threads);
  printf("     (%ld pools; %ld orphan items accepted, %ld ran, %ld "
         "released)\n",
         rounds, atomic_load(&orphans_accepted), atomic_load(&orphans_ran),
         atomic_load(&orphans_released));
}

/* Shutdown with work queued behind two blocked workers.  cancel_pending:
 * the queued futures end CANCELLED_AND_NOTIFIED before shutdown returns,
 * their callbacks ran on the shutting-down thread, their fns got RELEASE
 * alone; a queued item without a future is run there instead (RUN, then
 * RELEASE).  Otherwise the queued work still runs after shutdown. */
static void shutdown_with_pending(bool cancel_pending) {
  enum { QUEUED = 20 };
  gate g;
  gate_init(&g);
  cf_pool *p = new_pool(2, 64);
  task *blocker[2], *queued[QUEUED];
  cb_rec rec[QUEUED];
  memset(rec, 0, sizeof rec);
  for (int i = 0; i < 2; i++) {
    blocker[i] = task_new(ACT_GATE, &g, p, true);
    CHECK_EQ(submit(p, blocker[i]), 0);
  }
  gate_await(&g, 2); /* both workers parked: nothing else can start */
  for (int i = 0; i < QUEUED; i++) {
    queued[i] = task_new(ACT_NONE, NULL, p, i % 4 != 3); /* some no future */
    if (queued[i]->future != NULL)
      CHECK_EQ(cf_future_add_done_callback(queued[i]->future, cb_count,
                                           &rec[i]),
               0);
    CHECK_EQ(submit(p, queued[i]), 0);
  }
  /* One cancelled by its owner before shutdown: skipped either way. */
  CHECK(cf_future_cancel(queued[0]->future));
  CHECK_EQ(cf_pool_queue_size(p), QUEUED);
  CHECK_EQ(cf_pool_shutdown(p, false, cancel_pending), 0);
  task *late = task_new(ACT_NONE, NULL, p, true);
  CHECK_EQ(submit(p, late), ESHUTDOWN);
  if (cancel_pending) {
    /* Done before shutdown returned, on this thread: futures cancelled
     * and notified, future-less items run (nobody could learn of their
     * cancellation), every fn released. */
    CHECK_EQ(cf_pool_queue_size(p), 0);
    for (int i = 0; i < QUEUED; i++) {
      CHECK_EQ(atomic_load(&queued[i]->releases), 1);
      if (queued[i]->future != NULL) {
        CHECK_EQ(atomic_load(&queued[i]->runs), 0);
        CHECK_EQ(cf_future_state(queued[i]->future),
                 CF_CANCELLED_AND_NOTIFIED);
        CHECK_EQ(atomic_load(&rec[i].calls), 1);
        CHECK(pthread_equal(rec[i].thread, pthread_self()));
      } else {
        CHECK_EQ(atomic_load(&queued[i]->runs), 1);
        CHECK(pthread_equal(queued[i]->run_thread, pthread_self()));
      }
    }
  }
  gate_set(&g, true);
  CHECK_EQ(cf_pool_shutdown(p, true, false), 0);
  CHECK_EQ(cf_pool_thread_count(p), 0);
  for (int i = 0; i < 2; i++) {
    CHECK_EQ(atomic_load(&blocker[i]->runs), 1);
    CHECK_EQ(atomic_load(&blocker[i]->releases), 1);
    CHECK_EQ(cf_future_state(blocker[i]->future), CF_FINISHED);
    task_free(blocker[i]);
  }
  for (int i = 0; i < QUEUED; i++) {
    bool skipped = (cancel_pending && queued[i]->future != NULL) || i == 0;
    CHECK_EQ(atomic_load(&queued[i]->runs), skipped ? 0 : 1);
    CHECK_EQ(atomic_load(&queued[i]->releases), 1);
    if (queued[i]->future != NULL) {
      CHECK_EQ(cf_future_state(queued[i]->future),
               skipped ? CF_CANCELLED_AND_NOTIFIED : CF_FINISHED);
      CHECK_EQ(atomic_load(&rec[i].calls), 1);
    }
    task_free(queued[i]);
  }
  CHECK_EQ(atomic_load(&late->runs) + atomic_load(&late->releases), 0);
  task_free(late);
  cf_pool_destroy(p);
  gate_destroy(&g);
}

static void test_pool_shutdown_keeps_pending(void) {
  shutdown_with_pending(false);
}

static void test_pool_shutdown_cancels_pending(void) {
  shutdown_with_pending(true);
}

/* A submit blocked on a full queue is woken by shutdown with ESHUTDOWN;
 * TRY mode and a deadline fail fast on a full queue. */
typedef struct blocked_submit {
  cf_pool *p;
  task *t;
  int rc;
} blocked_submit;

static void *blocked_submit_main(void *arg) {
  blocked_submit *b = arg;
  b->rc = submit(b->p, b->t);
  return NULL;
}

static void test_pool_full_queue(void) {
  gate g;
  gate_init(&g);
  cf_pool *p = new_pool(1, 1);
  task *blocker = task_new(ACT_GATE, &g, p, true);
  task *filler = task_new(ACT_NONE, NULL, p, true);
  task *refused = task_new(ACT_NONE, NULL, p, true);
  CHECK_EQ(submit(p, blocker), 0);
  gate_await(&g, 1);
  CHECK_EQ(submit(p, filler), 0);
  CHECK_EQ(cf_pool_submit(p, task_fn, refused, refused->future,
                          CF_SUBMIT_TRY, NULL),
           EAGAIN);
  struct timespec d = after_ms(40);
  double t0 = now_s();
  CHECK_EQ(cf_pool_submit(p, task_fn, refused, refused->future,
                          CF_SUBMIT_BLOCK, &d),
           ETIMEDOUT);
  CHECK(now_s() - t0 >= 0.039);
  blocked_submit b = {p, refused, -1};
  pthread_t th = spawn(blocked_submit_main, &b);
  sleep_ms(50); /* let it park in put; ESHUTDOWN either way */
  CHECK_EQ(cf_pool_shutdown(p, false, false), 0);
  join(th);
  CHECK_EQ(b.rc, ESHUTDOWN);
  gate_set(&g, true);
  CHECK_EQ(cf_pool_shutdown(p, true, false), 0);
  CHECK_EQ(atomic_load(&blocker->runs), 1);
  CHECK_EQ(atomic_load(&filler->runs), 1); /* queued before: still ran */
  CHECK_EQ(atomic_load(&filler->releases), 1);
  CHECK_EQ(atomic_load(&refused->runs) + atomic_load(&refused->releases), 0);
  CHECK_EQ(cf_future_state(refused->future), CF_PENDING);
  task_free(blocker);
  task_free(filler);
  task_free(refused);
  cf_pool_destroy(p);
  gate_destroy(&g);
}

/* Cancel vs worker start through the pool: every future is cancelled by
 * the submitting thread right after submit, while two workers race to
 * start it.  Each item: ran xor cancelled, RELEASE once. */
static void test_pool_cancel_race(void) {
  long n = scaled(30000, 60);
  cf_pool *p = new_pool(2, 256);
  task **t = calloc((size_t)n, sizeof *t);
  bool *cancel_rc = calloc((size_t)n, sizeof *cancel_rc);
  for (long i = 0; i < n; i++) {
    t[i] = task_new(ACT_NONE, NULL, p, true);
    CHECK_EQ(submit(p, t[i]), 0);
    if (i % 4 != 1)
      cancel_rc[i] = cf_future_cancel(t[i]->future);
  }
  CHECK_EQ(cf_pool_shutdown(p, true, false), 0);
  long ran = 0, cancelled = 0;
  for (long i = 0; i < n; i++) {
    int runs = atomic_load(&t[i]->runs);
    cf_state s = cf_future_state(t[i]->future);
    CHECK_EQ(atomic_load(&t[i]->releases), 1);
    if (cancel_rc[i]) {
      cancelled++;
      CHECK_EQ(runs, 0);
      CHECK_EQ(s, CF_CANCELLED_AND_NOTIFIED);
    } else {
      ran++;
      CHECK_EQ(runs, 1);
      CHECK_EQ(s, CF_FINISHED);
    }
    task_free(t[i]);
  }
  free(t);
  free(cancel_rc);
  cf_pool_destroy(p);
  printf("     (%ld items: %ld ran, %ld cancelled in time)\n", n, ran,
         cancelled);
}

/* The owner destroys a future the moment cf_future_wait returns, while
 * the worker is still inside finish running a slow callback: the pool
 * item's reference keeps the memory alive (ASan/valgrind would see a use
 * after free otherwise). */
typedef struct slow_cb {
  gate *g;
  atomic_int calls;
} slow_cb;

static void cb_slow(void *arg, cf_future *f) {
  slow_cb *c = arg;
  (void)f;
  gate_pass(c->g);
  atomic_fetch_add(&c->calls, 1);
}

static void test_pool_future_destroyed_while_finishing(void) {
  long rounds = scaled(200, 10);
  for (long r = 0; r < rounds; r++) {
    cf_pool *p = new_pool(1, 4);
    gate g;
    gate_init(&g);
    slow_cb c = {.g = &g, .calls = 0};
    task *t = task_new(ACT_NONE, NULL, p, true);
    CHECK_EQ(cf_future_add_done_callback(t->future, cb_slow, &c), 0);
    CHECK_EQ(submit(p, t), 0);
    CHECK_EQ(cf_future_wait(t->future, NULL), 0);
    /* The creator's reference, right now; t->future stays as it was (the
     * worker may still read t), t is freed without task_free below. */
    cf_future_destroy(t->future);
    gate_set(&g, true); /* the worker leaves the callback, then finish */
    CHECK_EQ(cf_pool_shutdown(p, true, false), 0); /* joined: all done */
    CHECK_EQ(atomic_load(&c.calls), 1);
    CHECK_EQ(atomic_load(&t->runs), 1);
    CHECK_EQ(atomic_load(&t->releases), 1);
    free(t);
    gate_destroy(&g);
    cf_pool_destroy(p);
  }
}

/* Must-start-by deadlines: an item a worker reaches after its future's
 * deadline is not run — the future ends CANCELLED_AND_NOTIFIED with the
 * EXPIRED flag, its callbacks run on that worker, fn gets RELEASE alone.
 * A deadline not yet passed changes nothing. */
static void test_pool_start_by_deadline(void) {
  gate g;
  gate_init(&g);
  cf_pool *p = new_pool(1, 8);
  task *blocker = task_new(ACT_GATE, &g, p, true);
  task *late = task_new(ACT_NONE, NULL, p, true);
  task *timely = task_new(ACT_NONE, NULL, p, true);
  cb_rec rec;
  memset(&rec, 0, sizeof rec);
  struct timespec soon = after_ms(1), far = after_ms(600000);
  struct timespec bad = bad_deadline();
  CHECK_EQ(cf_future_set_start_by(NULL, &soon), EINVAL);
  CHECK_EQ(cf_future_set_start_by(late->future, &bad), EINVAL);
  CHECK_EQ(cf_future_set_start_by(late->future, &soon), 0);
  CHECK_EQ(cf_future_set_start_by(timely->future, &far), 0);
  CHECK_EQ(cf_future_add_done_callback(late->future, cb_count, &rec), 0);
  CHECK_EQ(submit(p, blocker), 0);
  gate_await(&g, 1);
  CHECK_EQ(submit(p, late), 0);
  CHECK_EQ(submit(p, timely), 0);
  sleep_ms(5); /* the late one's deadline passes while it is queued */
  CHECK_EQ(cf_future_state(late->future), CF_PENDING); /* checked later */
  gate_set(&g, true);
  CHECK_EQ(cf_future_wait(late->future, NULL), 0);
  CHECK_EQ(cf_pool_shutdown(p, true, false), 0);
  CHECK_EQ(cf_future_state(late->future), CF_CANCELLED_AND_NOTIFIED);
  CHECK(cf_future_is_expired(late->future));
  CHECK_EQ(atomic_load(&late->runs), 0);
  CHECK_EQ(atomic_load(&late->releases), 1);
  CHECK_EQ(atomic_load(&rec.calls), 1);
  CHECK(!pthread_equal(rec.thread, pthread_self())); /* on the worker */
  CHECK_EQ(cf_future_state(timely->future), CF_FINISHED);
  CHECK(!cf_future_is_expired(timely->future));
  CHECK_EQ(atomic_load(&timely->runs), 1);
  CHECK(!cf_future_is_expired(blocker->future));
  CHECK(!cf_future_is_expired(NULL));
  task_free(blocker);
  task_free(late);
  task_free(timely);
  cf_pool_destroy(p);
  gate_destroy(&g);
}

/* Many submitters, futures waited on through waiters, some cancelled
 * from a third thread: nothing lost, nothing twice. */
typedef struct stress {
  cf_pool *p;
  long per_thread;
  task **tasks; /* [thread * per_thread + i] */
  int id;
} stress;

static void *stress_submitter(void *arg) {
  stress *s = arg;
  long base = s->id * s->per_thread;
  for (long i = 0; i < s->per_thread; i++) {
    task *t = task_new(ACT_NONE, NULL, s->p, (i % 5) != 0);
    s->tasks[base + i] = t;
    int rc = (i % 3 == 0)
                 ? cf_pool_submit(s->p, task_fn, t, t->future, CF_SUBMIT_TRY,
                                  NULL)
                 : submit(s->p, t);
    if (rc == EAGAIN) /* TRY on a full queue: fall back to blocking */
      rc = submit(s->p, t);
    CHECK_EQ(rc, 0);
    if (t->future != NULL && i % 7 == 0)
      cf_future_cancel(t->future);
  }
  return NULL;
}

static void test_pool_stress(void) {
  enum { SUBMITTERS = 2 };
  long per = scaled(20000, 50);
  cf_pool *p = new_pool(3, 16);
  task **tasks = calloc((size_t)(per * SUBMITTERS), sizeof *tasks);
  stress s[SUBMITTERS];
  pthread_t th[SUBMITTERS];
  for (int i = 0; i < SUBMITTERS; i++) {
    s[i] = (stress){p, per, tasks, i};
    th[i] = spawn(stress_submitter, &s[i]);
  }
  for (int i = 0; i < SUBMITTERS; i++)
    join(th[i]);
  /* Every future completes: wait on all of them through one waiter. */
  long total = per * SUBMITTERS, with_future = 0;
  cf_waiter *w;
  CHECK_EQ(cf_waiter_create((size_t)total, &w), 0);
  for (long i = 0; i < total; i++) {
    if (tasks[i]->future != NULL) {
      CHECK_EQ(cf_waiter_add(w, tasks[i]->future, (size_t)i), 0);
      with_future++;
    }
  }
  size_t tag;
  long got = 0;
  while (cf_waiter_next(w, NULL, &tag) == 0)
    got++;
  CHECK_EQ(got, with_future);
  cf_waiter_destroy(w);
  CHECK(cf_pool_thread_count(p) <= 3);
  CHECK_EQ(cf_pool_shutdown(p, true, false), 0);
  for (long i = 0; i < total; i++) {
    task *t = tasks[i];
    CHECK_EQ(atomic_load(&t->releases), 1);
    if (t->future == NULL) {
      CHECK_EQ(atomic_load(&t->runs), 1);
    } else if (cf_future_state(t->future) == CF_FINISHED) {
      CHECK_EQ(atomic_load(&t->runs), 1);
    } else {
      CHECK_EQ(cf_future_state(t->future), CF_CANCELLED_AND_NOTIFIED);
      CHECK_EQ(atomic_load(&t->runs), 0);
    }
    task_free(t);
  }
  free(tasks);
  cf_pool_destroy(p);
}

/* Threads start lazily and an idle worker is reused: a submit made right
 * after the previous result is published starts no second thread. */
static void test_pool_lazy_spawn_and_reuse(void) {
  cf_pool *p = new_pool(4, 8);
  CHECK_EQ(cf_pool_thread_count(p), 0);
  long n = scaled(300, 10);
  /* Tasks are freed after the join: RELEASE may still be on its way when
   * wait returns (the worker publishes, then releases). */
  task **t = calloc((size_t)n, sizeof *t);
  for (long i = 0; i < n; i++) {
    t[i] = task_new(ACT_NONE, NULL, p, true);
    CHECK_EQ(submit(p, t[i]), 0);
    CHECK_EQ(cf_future_wait(t[i]->future, NULL), 0);
    CHECK_EQ(cf_pool_thread_count(p), 1);
  }
  CHECK_EQ(cf_pool_shutdown(p, true, false), 0);
  for (long i = 0; i < n; i++) {
    CHECK_EQ(atomic_load(&t[i]->runs), 1);
    CHECK_EQ(atomic_load(&t[i]->releases), 1);
    task_free(t[i]);
  }
  free(t);
  cf_pool_destroy(p);
}

/* Inside a task: waiting on its own future is EDEADLK, the thread knows it
 * is a worker, and its name is the prefix cut to fit with "-N". */
static void test_pool_inside_task(void) {
  cf_pool_options o = {.max_workers = 1,
                       .queue_capacity = 4,
                       .thread_name_prefix = "a-very-long-prefix"};
  cf_pool *p;
  CHECK_EQ(cf_pool_create(&o, &p), 0);
  task *self_wait = task_new(ACT_WAIT_SELF, NULL, p, true);
  task *name = task_new(ACT_NAME, NULL, p, true);
  CHECK_EQ(submit(p, self_wait), 0);
  CHECK_EQ(submit(p, name), 0);
  CHECK_EQ(cf_pool_shutdown(p, true, false), 0);
  CHECK_EQ(self_wait->result, EDEADLK);
  CHECK(self_wait->on_worker);
  CHECK_EQ(cf_future_state(self_wait->future), CF_FINISHED);
  CHECK_EQ(name->result, 0);
  CHECK(strcmp(name->name, "a-very-long-p-1") == 0);
  CHECK(!cf_pool_is_worker_thread(p));
  task_free(self_wait);
  task_free(name);
  cf_pool_destroy(p);
}

/* Worker hooks: init once per worker before its first item, fini as it
 * exits; an init failure breaks the pool — the running item finishes, the
 * queued ones get CF_TASK_BROKEN (future-less ones still run), submits get
 * ENOTRECOVERABLE — and context_release runs once when the pool goes. */
typedef struct hooks {
  atomic_int inits, finis, releases;
  int fail_from; /* the init call (1-based) from which init fails */
  gate *fail_gate; /* a failing init passes it first (may be NULL) */
  cf_pool *pool;
  atomic_int init_saw_worker; /* inits that ran on the pool's own thread */
} hooks;

static int hook_init(void *ctx) {
  hooks *h = ctx;
  int n = atomic_fetch_add(&h->inits, 1) + 1;
  if (cf_pool_is_worker_thread(h->pool) && cf_pool_current_context() == h)
    atomic_fetch_add(&h->init_saw_worker, 1);
  if (n < h->fail_from)
    return 0;
  if (h->fail_gate != NULL)
    gate_pass(h->fail_gate);
  return 1;
}
static void hook_fini(void *ctx) { atomic_fetch_add(&((hooks *)ctx)->finis, 1); }
static void hook_release(void *ctx) {
  atomic_fetch_add(&((hooks *)ctx)->releases, 1);
}

static cf_pool *new_hooked_pool(hooks *h, size_t workers) {
  cf_pool_options o = {.max_workers = workers,
                       .queue_capacity = 64,
                       .worker_init = hook_init,
                       .worker_fini = hook_fini,
                       .context_release = hook_release,
                       .context = h};
  cf_pool *p = NULL;
  CHECK_EQ(cf_pool_create(&o, &p), 0);
  h->pool = p;
  return p;
}

static void test_pool_worker_hooks(void) {
  /* Healthy: two workers, each initialised once, finalised once. */
  hooks h = {.fail_from = 1 << 30};
  cf_pool *p = new_hooked_pool(&h, 2);
  gate g;
  gate_init(&g);
  task *held[2];
  for (int i = 0; i < 2; i++) {
    held[i] = task_new(ACT_GATE, &g, p, true);
    CHECK_EQ(submit(p, held[i]), 0);
  }
  gate_await(&g, 2); /* both run: two workers */
  gate_set(&g, true);
  CHECK_EQ(cf_pool_shutdown(p, true, false), 0);
  CHECK_EQ(atomic_load(&h.inits), 2);
  CHECK_EQ(atomic_load(&h.init_saw_worker), 2);
  CHECK_EQ(atomic_load(&h.finis), 2);
  CHECK(!cf_pool_is_broken(p));
  CHECK(cf_pool_current_context() == NULL);
  CHECK_EQ(atomic_load(&h.releases), 0);
  cf_pool_destroy(p);
  CHECK_EQ(atomic_load(&h.releases), 1);
  for (int i = 0; i < 2; i++) {
    CHECK_EQ(atomic_load(&held[i]->runs), 1);
    task_free(held[i]);
  }
  gate_destroy(&g);

  /* The second worker's init fails while the first runs a held item. */
  gate fail_gate; /* holds the failing init until the items are queued */
  gate_init(&fail_gate);
  hooks b = {.fail_from = 2, .fail_gate = &fail_gate};
  p = new_hooked_pool(&b, 2);
  gate_init(&g);
  task *running = task_new(ACT_GATE, &g, p, true);
  CHECK_EQ(submit(p, running), 0);
  gate_await(&g, 1);
  enum { QUEUED = 8 };
  task *queued[QUEUED];
  for (int i = 0; i < QUEUED; i++) {
    queued[i] = task_new(ACT_NONE, NULL, p, i != 0); /* [0]: no future */
    CHECK_EQ(submit(p, queued[i]), 0);
  }
  CHECK(!cf_pool_is_broken(p));
  gate_await(&fail_gate, 1); /* worker 2 is in its init */
  gate_set(&fail_gate, true);
  for (int i = 1; i < QUEUED; i++)
    CHECK_EQ(cf_future_wait(queued[i]->future, NULL), 0);
  CHECK(cf_pool_is_broken(p));
  task *late = task_new(ACT_NONE, NULL, p, true);
  CHECK_EQ(submit(p, late), ENOTRECOVERABLE);
  CHECK_EQ(cf_pool_submit(p, task_fn, late, late->future, CF_SUBMIT_TRY, NULL),
           ENOTRECOVERABLE);
  gate_set(&g, true); /* the running item finishes normally */
  CHECK_EQ(cf_future_wait(running->future, NULL), 0);
  CHECK_EQ(cf_pool_shutdown(p, true, false), 0);
  CHECK_EQ(atomic_load(&b.inits), 2);
  CHECK_EQ(atomic_load(&b.finis), 1); /* only the initialised worker */
  CHECK_EQ(atomic_load(&running->runs), 1);
  CHECK_EQ(atomic_load(&running->broken), 0);
  CHECK_EQ(atomic_load(&queued[0]->runs), 1); /* future-less: still run */
  for (int i = 1; i < QUEUED; i++) {
    CHECK_EQ(atomic_load(&queued[i]->runs), 0);
    CHECK_EQ(atomic_load(&queued[i]->broken), 1);
    CHECK_EQ(cf_future_state(queued[i]->future), CF_FINISHED);
  }
  for (int i = 0; i < QUEUED; i++) {
    CHECK_EQ(atomic_load(&queued[i]->releases), 1);
    task_free(queued[i]);
  }
  CHECK_EQ(atomic_load(&late->releases), 0);
  task_free(late);
  task_free(running);
  cf_pool_destroy(p);
  CHECK_EQ(atomic_load(&b.releases), 1);
  gate_destroy(&g);
  gate_destroy(&fail_gate);
}

/* ======================================================= fault hooks */

static void test_fault_failed_allocations(void) {
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

static void test_fault_failed_thread_start(void) {
  cf_pool *p = new_pool(2, 4);
  task *t = task_new(ACT_NONE, NULL, p, true);
  cf_test_fail_thread_starts(1);
  CHECK_EQ(submit(p, t), EAGAIN);
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

/* ================================================================ main */

static void *warm_up(void *arg) { return arg; }

int main(void) {
  runner_init();
  join(spawn(warm_up, NULL));
  baseline_threads = thread_count();
  gate_init(&orphan_gate);
  printf("harness: CF_TEST_SCALE=%g, %d threads at start\n", test_scale,
         baseline_threads);

  RUN(test_queue_invalid_arguments);
  RUN(test_queue_fifo_offer_poll);
  RUN(test_queue_wraparound_model);
  RUN(test_queue_deadline_expiry);
  RUN(test_queue_close_wakes_sleepers);
  RUN(test_queue_blocking_handoff);
  RUN(test_future_state_machine);
  RUN(test_future_callbacks);
  RUN(test_future_wait_wakes_all);
  RUN(test_cancel_race);
  RUN(test_callback_sees_earlier_callbacks);
  RUN(test_waiter_basic);
  RUN(test_waiter_takes_done_future_early);
  RUN(test_waiter_wakes_on_completion);
  RUN(test_waiter_destroy_race);
  RUN(test_waiter_destroyed_inside_callback);
  RUN(test_fault_failed_allocations);
  RUN(test_fault_failed_thread_start);
  RUN(test_pool_invalid_arguments);
  RUN(test_pool_inside_task);
  RUN(test_pool_worker_hooks);
  RUN(test_pool_lazy_spawn_and_reuse);
  RUN(test_pool_shutdown_keeps_pending);
  RUN(test_pool_shutdown_cancels_pending);
  RUN(test_pool_full_queue);
  RUN(test_pool_cancel_race);
  RUN(test_pool_future_destroyed_while_finishing);
  RUN(test_pool_start_by_deadline);
  RUN(test_pool_stress);
  RUN(test_pool_create_destroy_loop);

  gate_destroy(&orphan_gate);
  runner_finish();
  printf("harness: %ld checks evaluated\n", atomic_load(&check_count));
  printf("harness: %d passed, %d failed\n", tests_passed, tests_failed);
  return tests_failed == 0 ? 0 : 1;
}
