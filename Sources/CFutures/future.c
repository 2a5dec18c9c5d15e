/*
 * future.c — the future: one atomic 32-bit state word and a list of
 * done-listeners.  No mutex and no condition variable per future.
 *
 * The word (see the diagram in CFutures.h):
 *   bits 0-2  the cf_state;
 *   WAITING   someone sleeps (or is about to) on a futex on this word; the
 *             thread that makes the future done wakes all sleepers if set.
 *             Never cleared: it only costs a wake on completion.
 *   LOCKED    a spin lock bit guarding `listeners` (and each node's
 *             `linked`).  Held for a few instructions, never while user
 *             code runs; nothing else is locked while it is held.
 *
 * State changes are CAS loops on the whole word that keep the flag bits, so
 * they never wait for the lock bit.  Ordering: transitions are acq_rel and
 * state reads acquire, so whatever the worker wrote before finish (the
 * outcome) is visible to anyone who sees FINISHED.
 *
 * Listener protocol, exactly once: a completer first moves the state to
 * done, then takes the lock bit and detaches the whole list; an adder
 * takes the lock bit, and links its node only if the state is not done,
 * else calls it at once.  Either the completer's detach finds the node or
 * the adder sees done: never both, never neither.
 *
 * A completion with no sleeper and no listener makes no syscall.
 */
#include "internal.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#define STATE_MASK 0x7u
#define WAITING 0x8u
#define LOCKED 0x10u

struct cf_future {
  _Atomic uint32_t word;
  struct cf__listener_list listeners; /* guarded by LOCKED */
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
  TAILQ_INIT(&f->listeners);
  *out = f;
  return 0;
}

void cf_future_destroy(cf_future *f) {
  if (f == NULL)
    return;
  struct cf__listener *node, *next;
  TAILQ_FOREACH_SAFE(node, &f->listeners, link, next) {
    if (node->heap)
      free(node);
  }
  free(f);
}

cf_state cf_future_state(const cf_future *f) {
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

static void unlock_listeners(cf_future *f) {
  atomic_fetch_and_explicit(&f->word, ~LOCKED, memory_order_release);
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

/* The future just became done: wake sleepers, then run the listeners, in
 * the order added, outside the lock bit. */
static void completed(cf_future *f, uint32_t old) {
  if (old & WAITING)
    futex(&f->word, FUTEX_WAKE, INT_MAX, NULL);

  struct cf__listener_list ready = TAILQ_HEAD_INITIALIZER(ready);
  lock_listeners(f);
  struct cf__listener *node;
  TAILQ_FOREACH(node, &f->listeners, link) node->linked = false;
  TAILQ_CONCAT(&ready, &f->listeners, link);
  unlock_listeners(f);

  struct cf__listener *next;
  /* Read `next` before the call: a waiter may free its node once its fn
   * has run. */
  for (node = TAILQ_FIRST(&ready); node != NULL; node = next) {
    next = TAILQ_NEXT(node, link);
    bool heap = node->heap;
    node->fn(node->arg, f);
    if (heap)
      free(node);
  }
}

bool cf_future_cancel(cf_future *f) {
  uint32_t old;
  if (transition(f, CF_PENDING, CF_CANCELLED, &old)) {
    completed(f, old);
    return true;
  }
  cf_state s = cf_future_state(f);
  return s == CF_CANCELLED || s == CF_CANCELLED_AND_NOTIFIED;
}

int cf_future_set_running_or_notify_cancel(cf_future *f) {
  uint32_t old;
  if (transition(f, CF_PENDING, CF_RUNNING, &old))
    return 0;
  if (transition(f, CF_CANCELLED, CF_CANCELLED_AND_NOTIFIED, &old))
    return ECANCELED;
  return EINVAL;
}

int cf_future_finish(cf_future *f) {
  uint32_t old;
  if (!transition(f, CF_RUNNING, CF_FINISHED, &old))
    return EINVAL;
  completed(f, old);
  return 0;
}

int cf_future_wait(cf_future *f, const struct timespec *deadline) {
  if (f == NULL || !cf__deadline_valid(deadline))
    return EINVAL;
  uint32_t w = atomic_load_explicit(&f->word, memory_order_acquire);
  if (state_is_done(w & STATE_MASK))
    return 0;
  if (cf__current_future == f)
    return EDEADLK;
  for (;;) {
    if (state_is_done(w & STATE_MASK))
      return 0;
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

bool cf__future_add_listener(cf_future *f, struct cf__listener *node) {
  lock_listeners(f);
  uint32_t w = atomic_load_explicit(&f->word, memory_order_acquire);
  if (state_is_done(w & STATE_MASK)) {
    unlock_listeners(f);
    node->linked = false;
    node->fn(node->arg, f);
    return false;
  }
  TAILQ_INSERT_TAIL(&f->listeners, node, link);
  node->linked = true;
  unlock_listeners(f);
  return true;
}

bool cf__future_remove_listener(cf_future *f, struct cf__listener *node) {
  lock_listeners(f);
  bool was_linked = node->linked;
  if (was_linked) {
    TAILQ_REMOVE(&f->listeners, node, link);
    node->linked = false;
  }
  unlock_listeners(f);
  return was_linked;
}

int cf_future_add_done_callback(cf_future *f, cf_done_fn fn, void *arg) {
  if (f == NULL || fn == NULL)
    return EINVAL;
  if (cf_future_is_done(f)) {
    fn(arg, f);
    return 0;
  }
  struct cf__listener *node = cf__malloc(sizeof *node);
  if (node == NULL)
    return ENOMEM;
  node->fn = fn;
  node->arg = arg;
  node->heap = true;
  if (!cf__future_add_listener(f, node))
    free(node); /* it became done meanwhile and fn already ran */
  return 0;
}
