/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the ConcurrentFutures authors */

/*
 * future.c — the future: one atomic 32-bit state word and one list of
 * done-listeners, 16 bytes in all.  No mutex and no condition variable per
 * future.  A future is either made here (cf_future_create: on the heap,
 * reference counted) or embedded by its owner in storage of its own
 * (CF_FUTURE_SIZE zero bytes are a PENDING future; refs stays 0 and the
 * owner keeps it alive while pool items and waiters hold it).
 *
 * The word (see the diagram in CFutures.h):
 *   bits 0-2  the cf_state;
 *   WAITING   someone sleeps (or is about to) on a futex on this word; the
 *             thread that makes the future done wakes all sleepers if set.
 *             Never cleared: it only costs a wake on completion.
 *   LOCKED    a spin lock bit guarding `list` (and each node's `linked`).
 *             Held for a few instructions, never while user code runs;
 *             nothing else is locked while it is held.
 *   CALLING   the completer is still running listeners.  Set by the same
 *             CAS that makes the future done, cleared (under LOCKED) when
 *             the list is empty.
 *   EXPIRED   the future was cancelled because its must-start-by deadline
 *             passed while it was queued.  Set by the same CAS that makes
 *             it CANCELLED (cf__future_expire_if_late), never cleared.
 *   LISTENED  a node was linked (never cleared): the list may be
 *             non-empty.  Set by the very CAS that releases LOCKED after
 *             the link, never in a step of its own: finish's one-CAS fast
 *             path (from exactly RUNNING, so neither LOCKED nor LISTENED)
 *             then cannot miss a node.
 *   DEADLINE  a must-start-by node may be on the list (set like LISTENED;
 *             a hint: expiry looks for the node).
 *
 * State changes are CAS loops on the whole word that keep the flag bits, so
 * they never wait for the lock bit.  Ordering: transitions are acq_rel and
 * state reads acquire, so whatever the worker wrote before finish (the
 * outcome) is visible to anyone who sees FINISHED.
 *
 * finish's fast path: a word that is exactly RUNNING — nobody waits, no
 * node was ever linked, the lock bit is free — becomes FINISHED in one CAS,
 * and there is nothing more to do.  Anything else takes the full path.
 *
 * Listener protocol, exactly once.  The list is a stack (pushed at its
 * head).  The completer wakes sleepers, then, under LOCKED, takes the whole
 * list (marking each node unlinked), releases the bit, puts the nodes back
 * in the order they were added and calls first every notice (waiter nodes
 * and watches: they only wake someone), then every callback, in order; it
 * repeats with whatever was added meanwhile until the list is empty, and
 * then clears CALLING.  An adder of a callback takes LOCKED and links its
 * node unless the future is done and CALLING is clear — then no completer
 * will look again, and it calls the node itself.  So a callback added while
 * earlier ones still run (even from inside one of them) runs after them, on
 * the completer's thread.  An adder of a notice calls it itself as soon as
 * the future is done, CALLING or not: a waiter never queues behind a slow
 * callback, and no notice is ever left for a later round.  A notice still
 * linked can be unlinked; one already taken runs before any callback of
 * its round (a waiter destroyed from inside a callback of a future it
 * watches does not wait for itself).
 *
 * Watches (cf_future_watch) are notices whose handle the watcher may drop
 * at any time: two references, the list's and the watcher's, so whichever
 * of the completer (after calling fn) and cf_future_unwatch comes last
 * frees it.  A must-start-by deadline is a node too (only futures that
 * have one pay for it); the completer frees it.
 *
 * A completion with no sleeper and no listener makes no syscall.
 */
#include "internal.h"

#include <errno.h>
#include <limits.h>
#include <bsd/sys/time.h>
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#define STATE_MASK 0x7u
#define WAITING 0x8u
#define LOCKED 0x10u
#define CALLING 0x20u
#define EXPIRED 0x40u
#define LISTENED 0x80u
#define DEADLINE 0x100u

struct cf_future {
  _Atomic uint32_t word;
  /* References of a heap future: the creator's (dropped by
   * cf_future_destroy), one per pool item carrying the future (dropped
   * after the worker's last touch) and one per waiter registration.  A
   * waiter may see FINISHED and destroy the future while the worker is
   * still inside finish (waking sleepers, running listeners): the worker's
   * reference keeps the memory alive.  0 for an embedded future: never
   * counted, its owner keeps it alive. */
  _Atomic uint32_t refs;
  struct cf__listener_list list; /* guarded by LOCKED: newest first */
};

_Static_assert(sizeof(struct cf_future) == CF_FUTURE_SIZE,
               "CF_FUTURE_SIZE is the size of struct cf_future");
_Static_assert(_Alignof(struct cf_future) <= CF_FUTURE_ALIGN,
               "CF_FUTURE_ALIGN covers struct cf_future");

/* A must-start-by deadline, CLOCK_MONOTONIC ns.  Linked before the future
 * is submitted, read by the worker that takes its item (the queue's mutex
 * orders the two). */
struct deadline_node {
  struct cf__listener listener; /* kind CF__DEADLINE; fn unused */
  int64_t start_by_ns;
};

_Thread_local cf_future *cf__current_future;

static bool state_is_done(uint32_t state) {
  return state == CF_FINISHED || state == CF_CANCELLED ||
         state == CF_CANCELLED_AND_NOTIFIED;
}

int cf_future_create(cf_future **out) {
  if (out == NULL)
    return EINVAL;
  cf_future *f = cf__malloc(sizeof *f);
  if (f == NULL)
    return ENOMEM;
  atomic_init(&f->word, CF_PENDING);
  atomic_init(&f->refs, 1);
  SLIST_INIT(&f->list);
  *out = f;
  return 0;
}

void cf__future_retain(cf_future *f) {
  if (atomic_load_explicit(&f->refs, memory_order_relaxed) != 0)
    atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed);
}

struct cf_watch {
  struct cf__listener listener; /* first: a listener pointer is a watch */
  _Atomic uint32_t refs;        /* the list's and the watcher's */
};

static void watch_release(struct cf_watch *w) {
  if (atomic_fetch_sub_explicit(&w->refs, 1, memory_order_acq_rel) == 1)
    free(w);
}

/* A node left on the list of a future that goes away: never called. */
static void drop_unrun(struct cf__listener *node) {
  switch (node->kind) {
  case CF__CALLBACK:
  case CF__DEADLINE:
    free(node);
    break;
  case CF__WATCH:
    watch_release((struct cf_watch *)node);
    break;
  case CF__NODE:
    break; /* a waiter holds its future: never here while linked */
  }
}

static void drop_list(cf_future *f) {
  struct cf__listener *node;
  while ((node = SLIST_FIRST(&f->list)) != NULL) {
    SLIST_REMOVE_HEAD(&f->list, link);
    drop_unrun(node);
  }
}

void cf__future_release(cf_future *f) {
  if (atomic_load_explicit(&f->refs, memory_order_relaxed) == 0)
    return; /* embedded: its owner frees it */
  if (atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel) != 1)
    return;
  drop_list(f);
  free(f);
}

void cf_future_destroy(cf_future *f) {
  if (f != NULL)
    cf__future_release(f);
}

void cf_future_deinit(cf_future *f) {
  if (f != NULL)
    drop_list(f);
}

cf_state cf_future_state(const cf_future *f) {
  if (f == NULL)
    return CF_PENDING;
  uint32_t w = atomic_load_explicit((_Atomic uint32_t *)&f->word,
                                    memory_order_acquire);
  return (cf_state)(w & STATE_MASK);
}

bool cf_future_is_done(const cf_future *f) {
  return state_is_done(cf_future_state(f));
}

/* ---------------------------------------------------------- lock bit */

static void lock_listeners(cf_future *f) {
  unsigned spins = 0;
  uint32_t w = atomic_load_explicit(&f->word, memory_order_relaxed);
  for (;;) {
    if ((w & LOCKED) == 0) {
      if (atomic_compare_exchange_weak_explicit(&f->word, &w, w | LOCKED,
                                                memory_order_acquire,
                                                memory_order_relaxed))
        return;
      continue;
    }
    /* The holder runs a few instructions; if it was preempted, give it
     * the CPU rather than burn ours (2 cores). */
    if (++spins > 32)
      sched_yield();
    w = atomic_load_explicit(&f->word, memory_order_relaxed);
  }
}

/* Releases the lock bit, setting `also` (LISTENED, DEADLINE) with it. */
static void unlock_listeners_setting(cf_future *f, uint32_t also) {
  uint32_t w = atomic_load_explicit(&f->word, memory_order_relaxed);
  while (!atomic_compare_exchange_weak_explicit(&f->word, &w,
                                                (w & ~LOCKED) | also,
                                                memory_order_release,
                                                memory_order_relaxed)) {
  }
}

static void unlock_listeners(cf_future *f) {
  atomic_fetch_and_explicit(&f->word, ~LOCKED, memory_order_release);
}

/* Links `node` at the head; the caller holds the lock bit. */
static void push(cf_future *f, struct cf__listener *node) {
  SLIST_INSERT_HEAD(&f->list, node, link);
  node->linked = true;
}

/* --------------------------------------------------------- transitions */

/* CAS the state from `from` to `to`, keeping the flag bits.  Returns true
 * on success; *old is the word just before the change. */
static bool transition(cf_future *f, uint32_t from, uint32_t to,
                       uint32_t *old) {
  uint32_t w = atomic_load_explicit(&f->word, memory_order_acquire);
  for (;;) {
    if ((w & STATE_MASK) != from)
      return false;
    if (atomic_compare_exchange_weak_explicit(&f->word, &w,
                                              (w & ~STATE_MASK) | to,
                                              memory_order_acq_rel,
                                              memory_order_acquire)) {
      *old = w;
      return true;
    }
  }
}

static long futex(_Atomic uint32_t *addr, int op, uint32_t val,
                  const struct timespec *abs_deadline) {
  return syscall(SYS_futex, (uint32_t *)addr, op | FUTEX_PRIVATE_FLAG, val,
                 abs_deadline, NULL, FUTEX_BITSET_MATCH_ANY);
}

/* Futex wakes made for futures, for cf_test_future_wakes. */
static atomic_long future_wakes;

static void wake_all(cf_future *f) {
  atomic_fetch_add_explicit(&future_wakes, 1, memory_order_relaxed);
  futex(&f->word, FUTEX_WAKE, INT_MAX, NULL);
}

long cf_test_future_wakes(void) {
  return atomic_load_explicit(&future_wakes, memory_order_relaxed);
}

/* Calls a taken node's fn and lets the node go as its kind says.  The
 * kind is read first: a waiter may free its node once fn has run. */
static void call_listener(struct cf__listener *node, cf_future *f) {
  enum cf__listener_kind kind = node->kind;
  node->fn(node->arg, f);
  if (kind == CF__CALLBACK)
    free(node);
  else if (kind == CF__WATCH)
    watch_release((struct cf_watch *)node);
}

/* One round of a completion: what take_round found on the list. */
struct round {
  struct cf__listener_list notices;   /* waiter nodes and watches */
  struct cf__listener_list callbacks; /* oldest first */
  struct cf__listener_list deadlines; /* to free */
};

/* Takes the whole list under the lock bit, every node unlinked, sorted
 * into `r` (popping newest first and pushing onto each list puts them
 * back oldest first).  Returns false if it was empty, and then CALLING is
 * cleared under the same hold. */
static bool take_round(cf_future *f, struct round *r) {
  SLIST_INIT(&r->notices);
  SLIST_INIT(&r->callbacks);
  SLIST_INIT(&r->deadlines);
  lock_listeners(f);
  bool any = !SLIST_EMPTY(&f->list);
  if (!any) {
    /* Release: an adder whose fast path sees CALLING clear (even before
     * the unlock below) runs its callback after the ones run here. */
    atomic_fetch_and_explicit(&f->word, ~CALLING, memory_order_release);
  }
  struct cf__listener *node;
  while ((node = SLIST_FIRST(&f->list)) != NULL) {
    SLIST_REMOVE_HEAD(&f->list, link);
    node->linked = false;
    switch (node->kind) {
    case CF__NODE:
    case CF__WATCH:
      SLIST_INSERT_HEAD(&r->notices, node, link);
      break;
    case CF__CALLBACK:
      SLIST_INSERT_HEAD(&r->callbacks, node, link);
      break;
    case CF__DEADLINE:
      SLIST_INSERT_HEAD(&r->deadlines, node, link);
      break;
    }
  }
  unlock_listeners(f);
  return any;
}

/* The future just became done (with CALLING set): wake sleepers, then, a
 * round at a time, tell the notices and run the callbacks, oldest first,
 * each outside the lock bit; `before` (if any) just before the first
 * callback.  (A node may be freed once its fn ran: FOREACH_SAFE reads the
 * next one first.) */
static void completed(cf_future *f, uint32_t old,
                      cf__before_callbacks_fn before, void *ctx) {
  if (old & WAITING)
    wake_all(f);
  bool first = true;
  struct round r;
  while (take_round(f, &r)) {
    struct cf__listener *node, *next;
    SLIST_FOREACH_SAFE(node, &r.notices, link, next) call_listener(node, f);
    SLIST_FOREACH_SAFE(node, &r.callbacks, link, next) {
      if (first && before != NULL)
        before(ctx);
      first = false;
      call_listener(node, f);
    }
    SLIST_FOREACH_SAFE(node, &r.deadlines, link, next) free(node);
  }
}

bool cf_future_cancel(cf_future *f) {
  if (f == NULL)
    return false;
  uint32_t old;
  if (transition(f, CF_PENDING, CF_CANCELLED | CALLING, &old)) {
    completed(f, old, NULL, NULL);
    return true;
  }
  cf_state s = cf_future_state(f);
  return s == CF_CANCELLED || s == CF_CANCELLED_AND_NOTIFIED;
}

/* The deadline node on the list, or NULL; the caller holds the lock bit. */
static struct deadline_node *find_deadline(cf_future *f) {
  struct cf__listener *node;
  SLIST_FOREACH(node, &f->list, link) {
    if (node->kind == CF__DEADLINE)
      return (struct deadline_node *)node;
  }
  return NULL;
}

int cf_future_set_start_by(cf_future *f, const struct timespec *start_by) {
  if (f == NULL || !cf__deadline_valid(start_by))
    return EINVAL;
  int64_t ns = 0;
  if (start_by != NULL) {
    if (start_by->tv_sec > INT64_MAX / 1000000000 - 1)
      ns = INT64_MAX;
    else
      ns = (int64_t)start_by->tv_sec * 1000000000 + start_by->tv_nsec;
    if (ns <= 0)
      ns = 1; /* 0 means none */
  }
  struct deadline_node *fresh = NULL;
  for (;;) {
    lock_listeners(f);
    struct deadline_node *node = find_deadline(f);
    if (node != NULL && start_by != NULL) {
      node->start_by_ns = ns; /* updated in place */
      unlock_listeners(f);
      free(fresh);
      return 0;
    }
    if (node != NULL) { /* removed; the DEADLINE bit stays, a hint */
      SLIST_REMOVE(&f->list, &node->listener, cf__listener, link);
      unlock_listeners(f);
      free(node);
      return 0;
    }
    if (start_by == NULL) {
      unlock_listeners(f);
      return 0;
    }
    if (fresh != NULL) {
      push(f, &fresh->listener);
      unlock_listeners_setting(f, LISTENED | DEADLINE);
      return 0;
    }
    unlock_listeners(f); /* allocate outside the lock bit, then look again */
    if ((fresh = cf__malloc(sizeof *fresh)) == NULL)
      return ENOMEM;
    fresh->listener.kind = CF__DEADLINE;
    fresh->listener.fn = NULL;
    fresh->listener.arg = NULL;
    fresh->start_by_ns = ns;
  }
}

bool cf__future_expire_if_late(cf_future *f) {
  uint32_t w = atomic_load_explicit(&f->word, memory_order_relaxed);
  if ((w & DEADLINE) == 0)
    return false; /* the common case: one load, one branch */
  lock_listeners(f);
  struct deadline_node *node = find_deadline(f);
  int64_t start_by_ns = node != NULL ? node->start_by_ns : 0;
  unlock_listeners(f);
  if (start_by_ns == 0)
    return false; /* it was removed */
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  int64_t now_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
  if (now_ns < start_by_ns)
    return false;
  uint32_t old;
  if (!transition(f, CF_PENDING, CF_CANCELLED | EXPIRED | CALLING, &old))
    return false; /* cancelled already */
  completed(f, old, NULL, NULL);
  return true;
}

bool cf_future_is_expired(const cf_future *f) {
  if (f == NULL)
    return false;
  uint32_t w = atomic_load_explicit((_Atomic uint32_t *)&f->word,
                                    memory_order_acquire);
  return (w & EXPIRED) != 0;
}

int cf_future_set_running_or_notify_cancel(cf_future *f) {
  if (f == NULL)
    return EINVAL;
  uint32_t old;
  if (transition(f, CF_PENDING, CF_RUNNING, &old))
    return 0;
  if (transition(f, CF_CANCELLED, CF_CANCELLED_AND_NOTIFIED, &old))
    return ECANCELED;
  return EINVAL;
}

int cf__future_finish(cf_future *f, cf__before_callbacks_fn before,
                      void *ctx) {
  if (f == NULL)
    return EINVAL;
  /* Nobody waits, no node was ever linked, nobody holds the lock bit:
   * one CAS, and nothing to tell anyone. */
  uint32_t w = CF_RUNNING;
  if (atomic_compare_exchange_strong_explicit(&f->word, &w, CF_FINISHED,
                                              memory_order_acq_rel,
                                              memory_order_acquire))
    return 0;
  uint32_t old;
  if (!transition(f, CF_RUNNING, CF_FINISHED | CALLING, &old))
    return EINVAL;
  completed(f, old, before, ctx);
  return 0;
}

int cf_future_finish(cf_future *f) { return cf__future_finish(f, NULL, NULL); }

static bool future_done(const void *ctx) { return cf_future_is_done(ctx); }

/* Each thread learns how long spinning pays for its own waits. */
static _Thread_local struct cf__spin_budget wait_spin_budget =
    CF__SPIN_BUDGET_INIT;

int cf_future_wait(cf_future *f, const struct timespec *deadline) {
  if (f == NULL || !cf__deadline_valid(deadline))
    return EINVAL;
  uint32_t w = atomic_load_explicit(&f->word, memory_order_acquire);
  if (state_is_done(w & STATE_MASK))
    return 0;
  if (cf__current_future == f)
    return EDEADLK;
  /* A deadline already past is a poll: no WAITING bit, so the completer
   * pays no futex wake for a waiter that is gone. */
  if (cf__deadline_passed(deadline))
    return ETIMEDOUT;
  /* Spin before parking, not past the deadline. */
  struct cf__spin spin;
  if (cf__spin_until(future_done, f, &wait_spin_budget, deadline, &spin))
    return 0;
  w = atomic_load_explicit(&f->word, memory_order_acquire);
  for (;;) {
    if (state_is_done(w & STATE_MASK)) {
      cf__spin_parked(&wait_spin_budget, &spin);
      return 0;
    }
    if ((w & WAITING) == 0) {
      if (!atomic_compare_exchange_weak_explicit(&f->word, &w, w | WAITING,
                                                 memory_order_acq_rel,
                                                 memory_order_acquire))
        continue;
      w |= WAITING;
    }
    /* Sleeps only while the word still equals w; any change (done, or the
     * lock bit moving) returns at once and we look again. */
    long rc = futex(&f->word, FUTEX_WAIT_BITSET, w, deadline);
    if (rc == -1 && errno == ETIMEDOUT) {
      w = atomic_load_explicit(&f->word, memory_order_acquire);
      return state_is_done(w & STATE_MASK) ? 0 : ETIMEDOUT;
    }
    w = atomic_load_explicit(&f->word, memory_order_acquire);
  }
}

/* ----------------------------------------------------------- listeners */

bool cf__future_add_notice(cf_future *f, struct cf__listener *node) {
  lock_listeners(f);
  uint32_t w = atomic_load_explicit(&f->word, memory_order_acquire);
  if (state_is_done(w & STATE_MASK)) {
    node->linked = false; /* under the lock bit, as every write of it */
    unlock_listeners(f);
    node->fn(node->arg, f);
    return false;
  }
  push(f, node);
  unlock_listeners_setting(f, LISTENED);
  return true;
}

bool cf__future_remove_notice(cf_future *f, struct cf__listener *node) {
  lock_listeners(f);
  bool was_linked = node->linked;
  if (was_linked) {
    SLIST_REMOVE(&f->list, node, cf__listener, link);
    node->linked = false;
  }
  unlock_listeners(f);
  return was_linked;
}

int cf_future_add_done_callback(cf_future *f, cf_done_fn fn, void *arg) {
  if (f == NULL || fn == NULL)
    return EINVAL;
  uint32_t w = atomic_load_explicit(&f->word, memory_order_acquire);
  if (state_is_done(w & STATE_MASK) && (w & CALLING) == 0) {
    fn(arg, f); /* fast path: no node, no lock */
    return 0;
  }
  struct cf__listener *node = cf__malloc(sizeof *node);
  if (node == NULL)
    return ENOMEM;
  node->fn = fn;
  node->arg = arg;
  node->kind = CF__CALLBACK;
  lock_listeners(f);
  w = atomic_load_explicit(&f->word, memory_order_acquire);
  if (state_is_done(w & STATE_MASK) && (w & CALLING) == 0) {
    unlock_listeners(f);
    free(node);
    fn(arg, f); /* done meanwhile, and nobody will look again */
    return 0;
  }
  push(f, node);
  unlock_listeners_setting(f, LISTENED);
  return 0;
}

int cf_future_watch(cf_future *f, cf_done_fn fn, void *arg, cf_watch **out) {
  if (f == NULL || fn == NULL || out == NULL)
    return EINVAL;
  *out = NULL;
  if (cf_future_is_done(f)) {
    fn(arg, f); /* fast path: no node, no lock */
    return 0;
  }
  struct cf_watch *w = cf__malloc(sizeof *w);
  if (w == NULL)
    return ENOMEM;
  w->listener.fn = fn;
  w->listener.arg = arg;
  w->listener.kind = CF__WATCH;
  atomic_init(&w->refs, 2);
  if (!cf__future_add_notice(f, &w->listener)) {
    free(w); /* done meanwhile: fn already ran, here */
    return 0;
  }
  *out = w;
  return 0;
}

bool cf_future_unwatch(cf_future *f, cf_watch *w) {
  if (f == NULL || w == NULL)
    return false;
  bool removed = cf__future_remove_notice(f, &w->listener);
  if (removed)
    watch_release(w); /* the list's reference: fn never runs */
  watch_release(w);   /* the watcher's */
  return removed;
}
