/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the ConcurrentFutures authors */

/*
 * spin.c — spin-before-park with a budget that learns.
 *
 * A thread about to sleep (a worker facing an empty queue, a caller
 * waiting for a future, a consumer of as_completed) first spins on the
 * condition it waits for.  On 2 cores a sleep costs the waker a futex
 * syscall and the sleeper a wake-up of 5 to 100 us; a spin that wins costs
 * ~100 ns.  A spin that cannot win only burns a core, and on a loaded
 * machine that core is one the thread it waits for needs.  So each wait
 * site keeps a budget (struct cf__spin_budget) that follows what its recent
 * waits were:
 *
 *  - a win grows the budget by half plus SPIN_MIN_NS, up to the limit;
 *  - a loss halves it, down to SPIN_MIN_NS; but a loss whose park then
 *    ended before the limit (cf__spin_parked) shows a longer spin would
 *    have won, and sets the budget to 1.5x that wait.  Without this rule a
 *    site whose waits are a few microseconds would lose once, halve to the
 *    floor, and lose for ever (each loss halving again), parking every
 *    wait: the round-trip tail this rule fixes;
 *  - a spin that sees the clock jump (the spinner was descheduled: no core
 *    is free, the thread it waits for may not be running) stops at once
 *    and halves the budget;
 *  - after PROBE_AFTER losses in a row the next spin uses the whole limit
 *    once, so a budget at the floor learns again when the waits shorten
 *    (even where wake-ups are slower than the limit, which hides that).
 *
 * The limit is process-wide (cf_set_spin_limit); a budget is per thread
 * (future and waiter waits) or per queue (its takers, up to two of which
 * spin at once, and its putters, one at a time).  Budgets are read and
 * written with relaxed atomics, so two spinners may update one budget at
 * the same time: a lost update only costs a slightly worse guess.
 */
#include "internal.h"

#define SPIN_MIN_NS 1000
/* A gap this long between two clock reads, ~16 pause instructions apart,
 * means the spinner was descheduled. */
#define PREEMPTED_NS 20000
#define PROBE_AFTER 64

static _Atomic int64_t spin_limit_ns = 50000;

void cf_set_spin_limit(int64_t max_ns) {
  atomic_store(&spin_limit_ns, max_ns < 0 ? 0 : max_ns);
}

int64_t cf_spin_limit(void) { return atomic_load(&spin_limit_ns); }

void cf__spin_budget_init(struct cf__spin_budget *b) {
  atomic_init(&b->ns, 20000);
  atomic_init(&b->misses, 0);
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t clamp(int64_t ns, int64_t limit) {
  if (ns > limit)
    ns = limit;
  return ns < SPIN_MIN_NS ? SPIN_MIN_NS : ns;
}

/* Writes only the words that change: a queue's budgets are shared by its
 * takers (or putters), and a budget at its limit that keeps winning would
 * otherwise write that cache line on every hand-off. */
static void budget_store(struct cf__spin_budget *b, int64_t ns,
                         uint32_t misses) {
  if (atomic_load_explicit(&b->ns, memory_order_relaxed) != ns)
    atomic_store_explicit(&b->ns, ns, memory_order_relaxed);
  if (atomic_load_explicit(&b->misses, memory_order_relaxed) != misses)
    atomic_store_explicit(&b->misses, misses, memory_order_relaxed);
}

/* The rules, apart from the clock (the C harness checks them). */

int64_t cf__spin_plan(struct cf__spin_budget *b, int64_t limit) {
  int64_t budget = atomic_load_explicit(&b->ns, memory_order_relaxed);
  if (budget > limit)
    budget = limit;
  if (atomic_load_explicit(&b->misses, memory_order_relaxed) >= PROBE_AFTER) {
    /* the probe; its outcome counts misses afresh */
    atomic_store_explicit(&b->misses, 0, memory_order_relaxed);
    budget = limit;
  }
  return budget;
}

void cf__spin_won(struct cf__spin_budget *b, int64_t budget, int64_t limit) {
  budget_store(b, clamp(budget + budget / 2 + SPIN_MIN_NS, limit), 0);
}

void cf__spin_lost(struct cf__spin_budget *b, int64_t budget, int64_t limit) {
  /* Halve what the site had, not what this spin got: a probe that loses
   * (it spun the whole limit) leaves the budget where it was. */
  int64_t had = atomic_load_explicit(&b->ns, memory_order_relaxed);
  if (had < budget)
    budget = had;
  budget_store(b, clamp(budget / 2, limit),
               atomic_load_explicit(&b->misses, memory_order_relaxed) + 1);
}

void cf__spin_learn(struct cf__spin_budget *b, int64_t waited_ns,
                    int64_t limit) {
  if (waited_ns < limit)
    budget_store(b, clamp(waited_ns + waited_ns / 2 + SPIN_MIN_NS, limit), 0);
}

/* Nanoseconds from `now` to `deadline` (<= 0 when it has passed), without
 * overflow: a deadline may be years away (cf_deadline_after caps a timeout
 * at 2^40 s, and the C API takes any valid timespec). */
int64_t cf__spin_ns_left(const struct timespec *deadline, int64_t now) {
  int64_t now_s = now / 1000000000, now_ns = now % 1000000000;
  if ((int64_t)deadline->tv_sec < now_s)
    return 0;
  int64_t secs = (int64_t)deadline->tv_sec - now_s;
  if (secs >= INT64_MAX / 1000000000 - 1)
    return INT64_MAX;
  return secs * 1000000000 + ((int64_t)deadline->tv_nsec - now_ns);
}

bool cf__spin_until(bool (*ready)(const void *ctx), const void *ctx,
                    struct cf__spin_budget *b, const struct timespec *deadline,
                    struct cf__spin *spin) {
  spin->budget = 0;
  int64_t limit = atomic_load_explicit(&spin_limit_ns, memory_order_relaxed);
  int64_t budget = cf__spin_plan(b, limit);
  if (budget <= 0)
    return ready(ctx);
  int64_t start = now_ns();
  if (deadline != NULL) {
    int64_t left = cf__spin_ns_left(deadline, start);
    if (left < budget)
      budget = left;
    if (budget <= 0)
      return ready(ctx);
  }
  int64_t last = start;
  for (unsigned i = 1;; i++) {
    if (ready(ctx)) {
      cf__spin_won(b, budget, limit);
      return true;
    }
    cpu_relax();
    /* The clock is read every 16 turns: cheap (vDSO), not free. */
    if ((i & 15) == 0) {
      int64_t now = now_ns();
      if (now - last >= PREEMPTED_NS) {
        cf__spin_lost(b, budget, limit);
        return false; /* nothing for cf__spin_parked: spin->budget is 0 */
      }
      if (now - start >= budget)
        break;
      last = now;
    }
  }
  cf__spin_lost(b, budget, limit);
  spin->start = start;
  spin->budget = budget;
  return false;
}

void cf__spin_parked(struct cf__spin_budget *b, const struct cf__spin *spin) {
  if (spin->budget > 0)
    cf__spin_learn(b, now_ns() - spin->start,
                   atomic_load_explicit(&spin_limit_ns, memory_order_relaxed));
}
