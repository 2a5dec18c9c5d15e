/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the ConcurrentFutures authors */

/*
 * fuzz_queue.c — libFuzzer target: a differential test of the C core's
 * bounded queue (cf_queue) against an array FIFO, and of one future's state
 * word (cf_future) against the state machine of CFutures.h.  Any
 * divergence abort()s with a message.  Built and run by scripts/fuzz.sh.
 *
 * Built with CF_QUEUE_INITIAL_SLOTS=1, so the ring grows (1, 2, 4, ... up
 * to the capacity) while it wraps, and the model follows its size.
 *
 * Input: byte 0 picks the queue capacity (low nibble + 1), whether its
 * creation first meets a failed allocation (bit 7) and whether the queue
 * is destroyed full rather than drained (bit 6); every further byte is one
 * operation:
 * low nibble = which, high nibble = an argument.  Single-threaded and
 * deterministic: an input replays exactly.
 *
 * Invariants checked after every operation:
 *   queue   the core's items, in order, equal the model's; size,
 *           remaining capacity, capacity and closed agree; every return
 *           code is the documented one (EAGAIN full/empty, ETIMEDOUT for a
 *           past deadline, ESHUTDOWN after close, EINVAL for bad input,
 *           which changes nothing);
 *   future  legal transitions succeed, illegal ones return the documented
 *           code and change nothing; every callback runs exactly once, in
 *           the order added, when the future becomes done (or at once when
 *           added to a done future), with that future; one added from
 *           inside a callback runs at once if the completer is through,
 *           else after every callback queued before it; a callback refused
 *           with ENOMEM never runs; one left on a destroyed pending future
 *           never runs.
 */
#include "CFutures.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#ifndef CF_QUEUE_INITIAL_SLOTS
#error "build with -DCF_QUEUE_INITIAL_SLOTS=1 (scripts/fuzz.sh does)"
#endif

static void diverged(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "fuzz_queue: divergence: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  abort();
}

#define EXPECT_EQ(what, got, want)                                            \
  do {                                                                        \
    long long got_ = (long long)(got), want_ = (long long)(want);             \
    if (got_ != want_)                                                        \
      diverged("%s: got %lld, want %lld (line %d)", what, got_, want_,        \
               __LINE__);                                                     \
  } while (0)

/* ------------------------------------------------------------- queue */

enum { MAX_CAP = 16 };

/* The model: a plain FIFO of the values put, oldest first. */
typedef struct qmodel {
  size_t cap;
  size_t slots; /* the ring's allocated size (queue.c's growth rule) */
  size_t count;
  uintptr_t values[MAX_CAP];
  bool closed;
} qmodel;

static void item_fn(void *arg, cf_task_op op) {
  (void)arg;
  (void)op;
  diverged("the queue called an item's fn");
}

/* An item carrying v in all three fields (the queue never dereferences
 * them, so a fake future pointer is fine). */
static cf_item item_for(uintptr_t v) {
  cf_item it = {.fn = item_fn,
                .arg = (void *)v,
                .future = (cf_future *)(v << 4)};
  return it;
}

static void expect_item(const cf_item *it, uintptr_t v) {
  if (it->fn != item_fn || it->arg != (void *)v ||
      it->future != (cf_future *)(v << 4))
    diverged("dequeued item %p, want value %lu", it->arg, (unsigned long)v);
}

static struct timespec past(void) {
  struct timespec ts;
  if (cf_deadline_after(0, &ts) != 0)
    diverged("cf_deadline_after(0) failed");
  return ts;
}

static void model_push(qmodel *m, uintptr_t v) { m->values[m->count++] = v; }

static uintptr_t model_pop(qmodel *m) {
  uintptr_t v = m->values[0];
  memmove(m->values, m->values + 1, (m->count - 1) * sizeof m->values[0]);
  m->count--;
  return v;
}

static void check_queue(cf_queue *q, const qmodel *m) {
  EXPECT_EQ("size", cf_queue_size(q), m->count);
  EXPECT_EQ("remaining", cf_queue_remaining_capacity(q), m->cap - m->count);
  EXPECT_EQ("capacity", cf_queue_capacity(q), m->cap);
  EXPECT_EQ("is_closed", cf_queue_is_closed(q), m->closed);
}

/* One append through `how`: 0 offer, 1 put with a past deadline, 2 put
 * with no deadline (only when the model says it will not block).  With
 * `fail_alloc` the next allocation fails: an append that must grow the
 * ring is refused with ENOMEM and changes nothing. */
static void q_append(cf_queue *q, qmodel *m, int how, uintptr_t *next,
                     bool fail_alloc) {
  cf_item it = item_for(*next);
  struct timespec d = past();
  if (how == 2 && !m->closed && m->count == m->cap)
    how = 1; /* would block for ever */
  if (fail_alloc)
    cf_test_fail_allocations(1);
  int rc = how == 0 ? cf_queue_offer(q, &it)
                    : cf_queue_put(q, &it, how == 1 ? &d : NULL);
  cf_test_fail_allocations(0);
  int want;
  bool grows = m->count == m->slots;
  if (m->closed)
    want = ESHUTDOWN;
  else if (m->count == m->cap)
    want = how == 0 ? EAGAIN : ETIMEDOUT;
  else if (grows && fail_alloc)
    want = ENOMEM;
  else
    want = 0;
  EXPECT_EQ(how == 0 ? "offer" : "put", rc, want);
  if (want == 0) {
    if (grows)
      m->slots = m->slots > m->cap / 2 ? m->cap : m->slots * 2;
    model_push(m, (*next)++);
  }
}

/* One removal: 0 poll, 1 take with a past deadline, 2 take with none
 * (only when it will not block). */
static void q_remove(cf_queue *q, qmodel *m, int how) {
  cf_item it;
  memset(&it, 0, sizeof it);
  struct timespec d = past();
  if (how == 2 && !m->closed && m->count == 0)
    how = 1;
  int rc = how == 0 ? cf_queue_poll(q, &it)
                    : cf_queue_take(q, &it, how == 1 ? &d : NULL);
  int want;
  if (m->count > 0)
    want = 0;
  else if (m->closed)
    want = ESHUTDOWN;
  else
    want = how == 0 ? EAGAIN : ETIMEDOUT;
  EXPECT_EQ(how == 0 ? "poll" : "take", rc, want);
  if (want == 0)
    expect_item(&it, model_pop(m));
}

static void q_invalid(cf_queue *q, int which) {
  struct timespec bad = past();
  bad.tv_nsec = (which & 1) ? 1000000000 : -1;
  cf_item it = item_for(999), out;
  switch (which & 3) {
  case 0:
  case 1:
    EXPECT_EQ("put(bad deadline)", cf_queue_put(q, &it, &bad), EINVAL);
    EXPECT_EQ("take(bad deadline)", cf_queue_take(q, &out, &bad), EINVAL);
    break;
  case 2:
    EXPECT_EQ("offer(NULL)", cf_queue_offer(q, NULL), EINVAL);
    EXPECT_EQ("put(NULL)", cf_queue_put(q, NULL, NULL), EINVAL);
    break;
  default:
    EXPECT_EQ("poll(NULL)", cf_queue_poll(q, NULL), EINVAL);
    EXPECT_EQ("take(NULL)", cf_queue_take(q, NULL, NULL), EINVAL);
    break;
  }
}

/* ------------------------------------------------------------ future */

enum { MAX_CB = 64 };

typedef struct fmodel {
  cf_future *f;
  cf_state state;
  /* Callbacks registered and not yet run, in the order added. */
  int pending[MAX_CB];
  int npending;
} fmodel;

/* What every callback id has seen, for the whole input. */
static struct cb_record {
  int calls;
  int order;            /* value of run_counter when it ran */
  cf_future *future;    /* the future it was added to */
  bool never;           /* must never run (refused, or dropped) */
  int inner;            /* >= 0: adds callback `inner` from inside itself */
  int inner_ran_inside; /* inner's calls when that add returned */
} cbs[MAX_CB];
static int ncbs;
static int run_counter;
static int expected_calls;

static void cb_fn(void *arg, cf_future *f) {
  int id = (int)(intptr_t)arg;
  if (id < 0 || id >= ncbs)
    diverged("callback with unknown id %d", id);
  struct cb_record *r = &cbs[id];
  if (r->never)
    diverged("callback %d ran, but it was refused or dropped", id);
  if (r->calls != 0)
    diverged("callback %d ran twice", id);
  if (f != r->future)
    diverged("callback %d got future %p, want %p", id, (void *)f,
             (void *)r->future);
  if (!cf_future_is_done(f))
    diverged("callback %d ran on a future that is not done", id);
  r->calls = 1;
  r->order = run_counter++;
  if (r->inner >= 0) {
    int rc = cf_future_add_done_callback(f, cb_fn, (void *)(intptr_t)r->inner);
    if (rc != 0)
      diverged("nested add in callback %d returned %d", id, rc);
    r->inner_ran_inside = cbs[r->inner].calls;
  }
}

static bool state_done(cf_state s) {
  return s == CF_FINISHED || s == CF_CANCELLED ||
         s == CF_CANCELLED_AND_NOTIFIED;
}

/* The model's future just became done: its pending callbacks must have
 * run, once each, in the order added — and one added from inside a
 * callback while the completer still ran listeners was queued behind the
 * others (it did not run inside its add), so it ran after them. */
static void model_completed(fmodel *m) {
  int list[MAX_CB], n = 0, last = -1;
  for (int i = 0; i < m->npending; i++)
    list[n++] = m->pending[i];
  for (int i = 0; i < n; i++) {
    struct cb_record *r = &cbs[list[i]];
    if (r->calls != 1)
      diverged("callback %d did not run at completion", list[i]);
    if (r->order <= last)
      diverged("callback %d ran out of the order added", list[i]);
    last = r->order;
    if (r->inner >= 0) {
      if (r->inner_ran_inside != 0)
        diverged("callback %d ran inside its add during completion", r->inner);
      list[n++] = r->inner;
    }
  }
  expected_calls += n;
  m->npending = 0;
}

static void check_future(const fmodel *m) {
  EXPECT_EQ("state", cf_future_state(m->f), m->state);
  EXPECT_EQ("is_done", cf_future_is_done(m->f), state_done(m->state));
  EXPECT_EQ("callback calls", run_counter, expected_calls);
}

static void f_new(fmodel *m) {
  if (cf_future_create(&m->f) != 0)
    diverged("cf_future_create failed");
  m->state = CF_PENDING;
  m->npending = 0;
}

/* Destroys the future; callbacks still registered are dropped unrun (and
 * never add their inner ones). */
static void f_drop(fmodel *m) {
  for (int i = 0; i < m->npending; i++) {
    cbs[m->pending[i]].never = true;
    if (cbs[m->pending[i]].inner >= 0)
      cbs[cbs[m->pending[i]].inner].never = true;
  }
  m->npending = 0;
  cf_future_destroy(m->f);
  m->f = NULL;
}

static void f_cancel(fmodel *m) {
  bool rc = cf_future_cancel(m->f);
  switch (m->state) {
  case CF_PENDING:
    EXPECT_EQ("cancel(PENDING)", rc, true);
    m->state = CF_CANCELLED;
    model_completed(m); /* callbacks ran before cancel returned */
    break;
  case CF_CANCELLED:
  case CF_CANCELLED_AND_NOTIFIED:
    EXPECT_EQ("cancel(cancelled)", rc, true);
    break;
  default:
    EXPECT_EQ("cancel(RUNNING/FINISHED)", rc, false);
    break;
  }
}

static void f_set_running(fmodel *m) {
  int rc = cf_future_set_running_or_notify_cancel(m->f);
  switch (m->state) {
  case CF_PENDING:
    EXPECT_EQ("set_running(PENDING)", rc, 0);
    m->state = CF_RUNNING;
    break;
  case CF_CANCELLED:
    EXPECT_EQ("set_running(CANCELLED)", rc, ECANCELED);
    m->state = CF_CANCELLED_AND_NOTIFIED;
    break;
  default:
    EXPECT_EQ("set_running(other)", rc, EINVAL);
    break;
  }
}

static void f_finish(fmodel *m) {
  int rc = cf_future_finish(m->f);
  if (m->state == CF_RUNNING) {
    EXPECT_EQ("finish(RUNNING)", rc, 0);
    m->state = CF_FINISHED;
    model_completed(m);
  } else {
    EXPECT_EQ("finish(not RUNNING)", rc, EINVAL);
  }
}

/* add_done_callback; `nesting`: the callback adds another from inside. */
static void f_add(fmodel *m, bool fail_alloc, bool nesting) {
  if (ncbs + 2 > MAX_CB)
    return;
  int id = ncbs++, inner = -1;
  cbs[id] =
      (struct cb_record){.calls = 0, .order = -1, .future = m->f, .inner = -1};
  if (nesting) {
    inner = ncbs++;
    cbs[inner] = (struct cb_record){.calls = 0,
                                    .order = -1,
                                    .future = m->f,
                                    .inner = -1};
    cbs[id].inner = inner;
  }
  if (fail_alloc)
    cf_test_fail_allocations(1);
  int rc = cf_future_add_done_callback(m->f, cb_fn, (void *)(intptr_t)id);
  cf_test_fail_allocations(0);
  if (state_done(m->state)) {
    /* Runs at once, on this thread, before add returns (no allocation:
     * an armed failure is not consumed). */
    EXPECT_EQ("add(done)", rc, 0);
    EXPECT_EQ("add(done) ran it", cbs[id].calls, 1);
    expected_calls++;
    if (inner >= 0) {
      /* the completer is through: the nested add ran it at once too */
      EXPECT_EQ("nested add(done) ran it inside", cbs[id].inner_ran_inside, 1);
      EXPECT_EQ("nested add(done) order", cbs[inner].order, cbs[id].order + 1);
      expected_calls++;
    }
  } else if (fail_alloc) {
    EXPECT_EQ("add(ENOMEM)", rc, ENOMEM);
    cbs[id].never = true;
    if (inner >= 0)
      cbs[inner].never = true;
  } else {
    EXPECT_EQ("add(pending)", rc, 0);
    EXPECT_EQ("add(pending) did not run it", cbs[id].calls, 0);
    m->pending[m->npending++] = id;
  }
}

static void f_misc(fmodel *m, int which) {
  struct timespec d = past();
  switch (which & 3) {
  case 0:
    EXPECT_EQ("wait(NULL future)", cf_future_wait(NULL, NULL), EINVAL);
    EXPECT_EQ("add(NULL fn)", cf_future_add_done_callback(m->f, NULL, NULL),
              EINVAL);
    break;
  case 1:
    EXPECT_EQ("wait(past)", cf_future_wait(m->f, &d),
              state_done(m->state) ? 0 : ETIMEDOUT);
    break;
  case 2:
    if (state_done(m->state))
      EXPECT_EQ("wait(NULL) on done", cf_future_wait(m->f, NULL), 0);
    break;
  default: /* a fresh future; the old one's pending callbacks never run */
    f_drop(m);
    f_new(m);
    break;
  }
}

/* -------------------------------------------------------------- main */

/* A past deadline still reaches pthread_cond_timedwait / FUTEX_WAIT in the
 * core, and the kernel's default 50 us timer slack makes each such poll
 * sleep that long: cut the slack so the fuzzer runs at speed. */
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  qmodel qm;
  memset(&qm, 0, sizeof qm);
  qm.cap = (size_t)(data[0] & 0x0f) + 1;
  qm.slots = qm.cap < CF_QUEUE_INITIAL_SLOTS ? qm.cap : CF_QUEUE_INITIAL_SLOTS;
  cf_queue *q = NULL;
  if (data[0] & 0x80) {
    cf_test_fail_allocations(1);
    int rc = cf_queue_create(qm.cap, &q);
    cf_test_fail_allocations(0);
    EXPECT_EQ("create(ENOMEM)", rc, ENOMEM);
  }
  EXPECT_EQ("create", cf_queue_create(qm.cap, &q), 0);

  memset(cbs, 0, sizeof cbs);
  ncbs = 0;
  run_counter = 0;
  expected_calls = 0;
  fmodel fm;
  f_new(&fm);

  uintptr_t next = 1;
  for (size_t i = 1; i < size; i++) {
    int op = data[i] & 0x0f, arg = data[i] >> 4;
    switch (op) {
    case 0:
    case 1:
    case 2:
      q_append(q, &qm, op, &next, false);
      break;
    case 3:
    case 4:
    case 5:
      q_remove(q, &qm, op - 3);
      break;
    case 6:
      if (arg >= 12) {
        cf_queue_close(q); /* idempotent */
        qm.closed = true;
      } else if (arg < 3) {
        q_append(q, &qm, arg, &next, true); /* a failed growth */
      }
      break;
    case 7:
      q_invalid(q, arg);
      break;
    case 8: /* bursts: offer / put(NULL) alternating, to wrap quickly */
      for (int k = 0; k <= arg; k++)
        q_append(q, &qm, (k & 1) ? 2 : 0, &next, false);
      break;
    case 9:
      for (int k = 0; k <= arg; k++)
        q_remove(q, &qm, (k & 1) ? 2 : 0);
      break;
    case 10:
      f_cancel(&fm);
      break;
    case 11:
      f_set_running(&fm);
      break;
    case 12:
      f_finish(&fm);
      break;
    case 13:
      f_add(&fm, arg & 1, arg & 2);
      break;
    case 14:
      f_misc(&fm, arg);
      break;
    default: /* 15: run the future to an end chosen by arg */
      if (arg & 1)
        f_cancel(&fm);
      f_set_running(&fm);
      f_finish(&fm);
      break;
    }
    check_queue(q, &qm);
    check_future(&fm);
  }

  /* Bit 6 of byte 0: destroy with the items still in (they are freed, their
   * fns not called).  Else close and drain: in order, then ESHUTDOWN. */
  if ((data[0] & 0x40) == 0) {
    cf_queue_close(q);
    qm.closed = true;
    while (qm.count > 0)
      q_remove(q, &qm, 2);
    q_remove(q, &qm, 2);
    check_queue(q, &qm);
  }
  cf_queue_destroy(q);

  f_drop(&fm);
  for (int id = 0; id < ncbs; id++) {
    if (cbs[id].never && cbs[id].calls != 0)
      diverged("callback %d ran but must not have", id);
    if (!cbs[id].never && cbs[id].calls != 1)
      diverged("callback %d ran %d times", id, cbs[id].calls);
  }
  return 0;
}
