/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the ConcurrentFutures authors */

/*
 * spin_tests.c — the harness's tests of the spin budget's rules (spin.c),
 * apart from the clock: each rule is a function of the budget and a time.
 */
#include "internal.h"
#include "support.h"
#include "tests.h"

#define US 1000
#define LIMIT (50 * US)

static int64_t budget_ns(struct cf__spin_budget *b) {
  return atomic_load(&b->ns);
}

/* A wait of a few microseconds, a little longer than the budget: one loss
 * must not leave the budget at the floor for good.  Before the park rule a
 * loss only halved, so such a site parked on every wait from then on. */
void test_spin_budget_learns_from_a_park(void) {
  struct cf__spin_budget b;
  cf__spin_budget_init(&b);
  /* losses bring the budget to the floor */
  for (int i = 0; i < 10; i++)
    cf__spin_lost(&b, cf__spin_plan(&b, LIMIT), LIMIT);
  int64_t floor = budget_ns(&b);
  CHECK(floor <= 1 * US);
  /* the next wait ends 5 us after its spin began, after a park */
  cf__spin_lost(&b, cf__spin_plan(&b, LIMIT), LIMIT);
  cf__spin_learn(&b, 5 * US, LIMIT);
  CHECK(budget_ns(&b) >= 5 * US);
  CHECK(atomic_load(&b.misses) == 0);
  /* and a spin of that budget wins such waits: wins keep it */
  cf__spin_won(&b, cf__spin_plan(&b, LIMIT), LIMIT);
  CHECK(budget_ns(&b) >= 5 * US);
}

/* A wait longer than the limit teaches nothing: spinning could not have
 * won it, so the budget stays where the loss put it. */
void test_spin_budget_ignores_long_waits(void) {
  struct cf__spin_budget b;
  cf__spin_budget_init(&b);
  int64_t before = budget_ns(&b);
  cf__spin_lost(&b, cf__spin_plan(&b, LIMIT), LIMIT);
  CHECK(budget_ns(&b) == before / 2);
  cf__spin_learn(&b, LIMIT, LIMIT);
  CHECK(budget_ns(&b) == before / 2);
  cf__spin_learn(&b, 10 * LIMIT, LIMIT);
  CHECK(budget_ns(&b) == before / 2);
  CHECK(atomic_load(&b.misses) == 1);
}

/* Wins grow the budget up to the limit and never past it; the limit also
 * caps a budget learnt under a larger one. */
void test_spin_budget_stays_within_the_limit(void) {
  struct cf__spin_budget b;
  cf__spin_budget_init(&b);
  for (int i = 0; i < 40; i++)
    cf__spin_won(&b, cf__spin_plan(&b, LIMIT), LIMIT);
  CHECK(budget_ns(&b) == LIMIT);
  CHECK(cf__spin_plan(&b, 10 * US) == 10 * US);
  cf__spin_learn(&b, 40 * US, LIMIT);
  CHECK(budget_ns(&b) == LIMIT);
  CHECK(cf__spin_plan(&b, 0) == 0); /* spinning off */
}

/* After 64 losses in a row one spin gets the whole limit (a probe), then
 * the count starts again: a site at the floor finds out when its waits
 * have become short, even when its parks are too slow to show it. */
void test_spin_budget_probes_after_a_run_of_losses(void) {
  struct cf__spin_budget b;
  cf__spin_budget_init(&b);
  int probes = 0;
  for (int i = 0; i < 64 * 3; i++) {
    int64_t planned = cf__spin_plan(&b, LIMIT);
    if (planned == LIMIT)
      probes++;
    else
      CHECK(planned <= 20 * US);
    cf__spin_lost(&b, planned, LIMIT);
  }
  CHECK(probes == 2); /* after losses 64 and 128 */
  /* a probe that wins ends the run of losses */
  while (atomic_load(&b.misses) < 64)
    cf__spin_lost(&b, cf__spin_plan(&b, LIMIT), LIMIT);
  int64_t planned = cf__spin_plan(&b, LIMIT);
  CHECK(planned == LIMIT);
  cf__spin_won(&b, planned, LIMIT);
  CHECK(budget_ns(&b) == LIMIT);
  CHECK(atomic_load(&b.misses) == 0);
}

static bool never(const void *ctx) {
  (void)ctx;
  return false;
}

/* A spin never outlasts the deadline it is given: a deadline already past
 * spins not at all. */
void test_spin_stops_at_the_deadline(void) {
  struct cf__spin_budget b;
  cf__spin_budget_init(&b);
  struct cf__spin spin;
  struct timespec past;
  CHECK_EQ(cf_deadline_after(0, &past), 0);
  CHECK(!cf__spin_until(never, NULL, &b, &past, &spin));
  CHECK(spin.budget == 0);         /* nothing spun, nothing to learn */
  CHECK(budget_ns(&b) == 20 * US); /* and the budget is untouched */
  struct timespec soon;
  CHECK_EQ(cf_deadline_after(2 * US, &soon), 0);
  CHECK(!cf__spin_until(never, NULL, &b, &soon, &spin));
  CHECK(spin.budget <= 2 * US);
}

/* The time left to a deadline, for the spin's bound: exact near `now`,
 * never an overflow for a deadline years away (the largest
 * cf_deadline_after makes, or the largest timespec), <= 0 once passed.
 * Before the fix tv_sec * 1e9 overflowed (the UBSan build trapped). */
void test_spin_time_left_never_overflows(void) {
  const int64_t now = INT64_C(5) * 1000000000 + 250;
  struct timespec near = {.tv_sec = 5, .tv_nsec = 2250};
  CHECK(cf__spin_ns_left(&near, now) == 2000);
  struct timespec past = {.tv_sec = 4, .tv_nsec = 999999999};
  CHECK(cf__spin_ns_left(&past, now) <= 0);
  struct timespec same_second_past = {.tv_sec = 5, .tv_nsec = 100};
  CHECK(cf__spin_ns_left(&same_second_past, now) <= 0);
  struct timespec max = {.tv_sec = INT64_MAX, .tv_nsec = 999999999};
  CHECK(cf__spin_ns_left(&max, now) == INT64_MAX);
  struct timespec far;
  CHECK_EQ(cf_deadline_after(INT64_MAX, &far), 0);
  CHECK(cf__spin_ns_left(&far, now) > INT64_C(1) << 40);
}
