/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the ConcurrentFutures authors */

/*
 * waiter.c — the completion waiter behind as_completed and wait (the C twin
 * of CPython's _Waiter): each watched future gets a listener node that,
 * when the future becomes done, pushes the node onto the waiter's ready
 * stack and wakes the waiter's thread if it sleeps.  Nothing polls, and
 * no lock is taken per completion.
 *
 * One thread uses a waiter (adds, takes, destroys); completions come from
 * any thread.  So `added`, `taken`, `batch` and the duplicate table are the
 * consumer's alone; what completers touch is atomic:
 *   ready     a stack (Treiber) of pushed nodes, newest first.  A completer
 *             pushes with a CAS; the consumer takes the whole stack with one
 *             exchange and reverses it into `batch`, oldest first — so
 *             completions are handed over in batches, in completion order.
 *   sleeping  the consumer is (about to be) asleep on a futex on this word.
 *             It sets it, then looks at `ready` once more, then sleeps while
 *             it is still set; a completer pushes, then swaps it to 0 and
 *             wakes the consumer if it was set.  Both sides use sequentially
 *             consistent order, so either the consumer's second look sees
 *             the push or the completer's swap sees the sleeper.
 *   inflight  listener fns that may still touch the waiter: raised before a
 *             node is handed to its future, lowered by the fn itself as its
 *             last touch, or by a successful unlink.  destroy waits for 0,
 *             so no fn can touch a freed waiter.
 *   delivered per node: pushed, or taken early (below) — never both, and
 *             each at most once: whoever swaps it to true first.
 * Taking early: a future turns done (its state word) a moment before its
 * listener runs.  So a next() whose deadline has passed with nothing ready
 * looks for a node whose future is already done and takes it at once; its
 * listener, when it comes, then pushes nothing.  A done future is never
 * reported as unfinished.
 */
#include "internal.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

struct node {
  struct cf__listener listener;
  cf_waiter *waiter;
  cf_future *future;
  size_t tag;
  struct node *next_ready; /* on `ready` or in `batch` */
  atomic_bool delivered;
};

struct cf_waiter {
  _Atomic(struct node *) ready;
  _Atomic uint32_t sleeping;
  _Atomic size_t inflight;
  size_t capacity;
  size_t added;
  size_t taken;
  struct node *batch; /* taken from `ready`, oldest first */
  struct node *nodes;
  /* The futures added, for EEXIST: open addressing, `mask + 1` slots (a
   * power of two at least twice the capacity), NULL for empty. */
  cf_future **seen;
  size_t mask;
};

static long futex(_Atomic uint32_t *addr, int op, uint32_t val,
                  const struct timespec *abs_deadline) {
  return syscall(SYS_futex, (uint32_t *)addr, op | FUTEX_PRIVATE_FLAG, val,
                 abs_deadline, NULL, FUTEX_BITSET_MATCH_ANY);
}

int cf_waiter_create(size_t capacity, cf_waiter **out) {
  if (capacity == 0 || out == NULL ||
      capacity > SIZE_MAX / 4 / sizeof(struct node))
    return EINVAL;
  size_t slots = 2;
  while (slots < 2 * capacity)
    slots *= 2;
  cf_waiter *w = cf__calloc(1, sizeof *w);
  if (w == NULL)
    return ENOMEM;
  w->nodes = cf__malloc(capacity * sizeof(struct node));
  w->seen = cf__calloc(slots, sizeof(cf_future *));
  if (w->nodes == NULL || w->seen == NULL) {
    free(w->nodes);
    free(w->seen);
    free(w);
    return ENOMEM;
  }
  w->capacity = capacity;
  w->mask = slots - 1;
  atomic_init(&w->ready, NULL);
  atomic_init(&w->sleeping, 0);
  atomic_init(&w->inflight, 0);
  *out = w;
  return 0;
}

/* A node's waiter, read by the completer: written by cf_waiter_add before
 * it links the node under the future's LOCKED bit, read after the
 * completer took that bit (acquire), so ordered by the state word alone —
 * which drd cannot see; its one suppression names this function. */
__attribute__((noinline)) static cf_waiter *node_waiter(const struct node *n) {
  return n->waiter;
}

/* Listener fn: runs once per node, on the completing thread (or on the
 * adding thread when the future was already done). */
static void on_done(void *arg, cf_future *future) {
  (void)future;
  struct node *n = arg;
  cf_waiter *w = node_waiter(n);
  if (!atomic_exchange(&n->delivered, true)) {
    struct node *head = atomic_load(&w->ready);
    do {
      n->next_ready = head;
    } while (!atomic_compare_exchange_weak(&w->ready, &head, n));
    if (atomic_exchange(&w->sleeping, 0) != 0)
      futex(&w->sleeping, FUTEX_WAKE, 1, NULL);
  }
  atomic_fetch_sub(&w->inflight, 1);
  /* From here on `w` may be freed by destroy: touch nothing. */
}

/* Records `f` in the duplicate table; false if it is there already. */
static bool first_sight(cf_waiter *w, cf_future *f) {
  size_t i = ((uintptr_t)f >> 4) * (size_t)0x9E3779B97F4A7C15ull & w->mask;
  while (w->seen[i] != NULL) {
    if (w->seen[i] == f)
      return false;
    i = (i + 1) & w->mask;
  }
  w->seen[i] = f;
  return true;
}

int cf_waiter_add(cf_waiter *w, cf_future *f, size_t tag) {
  if (w == NULL || f == NULL)
    return EINVAL;
  if (w->added == w->capacity)
    return ENOSPC;
  if (!first_sight(w, f))
    return EEXIST;
  struct node *n = &w->nodes[w->added++];
  atomic_fetch_add(&w->inflight, 1);
  n->waiter = w;
  n->future = f;
  n->tag = tag;
  n->next_ready = NULL;
  atomic_init(&n->delivered, false);
  n->listener.fn = on_done;
  n->listener.arg = n;
  n->listener.kind = CF__NODE;
  n->listener.linked = false;
  cf__future_retain(f); /* dropped by cf_waiter_destroy (not embedded) */
  cf__future_add_notice(f, &n->listener);
  return 0;
}

/* Moves what completers pushed into `batch`, oldest first; false if none. */
static bool take_pushed(cf_waiter *w) {
  struct node *newest = atomic_exchange(&w->ready, NULL);
  if (newest == NULL)
    return false;
  struct node *oldest = NULL;
  while (newest != NULL) {
    struct node *next = newest->next_ready;
    newest->next_ready = oldest;
    oldest = newest;
    newest = next;
  }
  /* The batch was empty (next() drains it first). */
  w->batch = oldest;
  return true;
}

/* The deadline passed with nothing ready: takes a node whose future is
 * done though its listener has not pushed it yet (see the top of this
 * file).  O(added), on the timeout path only. */
static bool take_early(cf_waiter *w, size_t *tag) {
  for (size_t i = 0; i < w->added; i++) {
    struct node *n = &w->nodes[i];
    if (!atomic_load(&n->delivered) && cf_future_is_done(n->future) &&
        !atomic_exchange(&n->delivered, true)) {
      w->taken++;
      *tag = n->tag;
      return true;
    }
  }
  return false;
}

static bool anything_pushed(const void *ctx) {
  const cf_waiter *w = ctx;
  return atomic_load_explicit((_Atomic(struct node *) *)&w->ready,
                              memory_order_relaxed) != NULL;
}

/* The consumer's spin budget, per thread, as cf_future_wait's. */
static _Thread_local struct cf__spin_budget waiter_spin_budget =
    CF__SPIN_BUDGET_INIT;

int cf_waiter_next(cf_waiter *w, const struct timespec *deadline,
                   size_t *tag) {
  if (w == NULL || tag == NULL || !cf__deadline_valid(deadline))
    return EINVAL;
  bool spun = false, parked = false;
  struct cf__spin spin = {0};
  for (;;) {
    if (w->batch != NULL || take_pushed(w)) {
      if (parked)
        cf__spin_parked(&waiter_spin_budget, &spin);
      struct node *n = w->batch;
      w->batch = n->next_ready;
      w->taken++;
      *tag = n->tag;
      return 0;
    }
    if (w->taken == w->added)
      return ENOENT;
    if (cf__deadline_passed(deadline))
      return take_early(w, tag) ? 0 : ETIMEDOUT;
    if (!spun && deadline == NULL) {
      spun = true;
      cf__spin_until(anything_pushed, w, &waiter_spin_budget, NULL, &spin);
      continue;
    }
    parked = true;
    atomic_store(&w->sleeping, 1);
    if (atomic_load(&w->ready) != NULL) {
      atomic_store(&w->sleeping, 0);
      continue;
    }
    futex(&w->sleeping, FUTEX_WAIT_BITSET, 1, deadline);
    atomic_store(&w->sleeping, 0);
  }
}

size_t cf_waiter_remaining(const cf_waiter *w) {
  return w == NULL ? 0 : w->added - w->taken;
}

void cf_waiter_destroy(cf_waiter *w) {
  if (w == NULL)
    return;
  for (size_t i = 0; i < w->added; i++) {
    struct node *n = &w->nodes[i];
    if (cf__future_remove_notice(n->future, &n->listener))
      atomic_fetch_sub(&w->inflight, 1);
  }
  /* A completion still delivering to a node ends in a few instructions. */
  for (unsigned spins = 0; atomic_load(&w->inflight) > 0; spins++) {
    if (spins > 64)
      sched_yield();
  }
  for (size_t i = 0; i < w->added; i++)
    cf__future_release(w->nodes[i].future);
  free(w->seen);
  free(w->nodes);
  free(w);
}
