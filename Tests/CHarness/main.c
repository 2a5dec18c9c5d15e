/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the ConcurrentFutures authors */

/*
 * main.c — a plain-C driver of the CFutures core, outside XCTest, for
 * the sanitizers (ASan+LSan, TSan, UBSan) and valgrind (memcheck, drd).
 *
 * Each RUN(test_x) is one test: it passes when none of its CHECKs failed.
 * The last line is "harness: N passed, M failed"; the exit status is 1 when
 * M > 0.  Loops scale with CF_TEST_SCALE (float, default 1).
 * CF_TEST_ONLY=substring runs only matching tests; CF_TEST_TIMEOUT sets
 * the watchdog (seconds per test, default 120).
 *
 * The tests live in one file per object of the core: queue_tests.c, spin_tests.c,
 * future_tests.c, waiter_tests.c, pool_tests.c, fault_tests.c.
 */
#include "support.h"
#include "tests.h"

int main(void) {
  runner_init();
  printf("harness: CF_TEST_SCALE=%g\n", test_scale);

  RUN(test_queue_invalid_arguments);
  RUN(test_queue_fifo_offer_poll);
  RUN(test_queue_wraparound_model);
  RUN(test_queue_deadline_expiry);
  RUN(test_queue_close_wakes_sleepers);
  RUN(test_queue_blocking_handoff);
  RUN(test_queue_grows_within_its_bound);
  RUN(test_queue_wakes_only_the_sleepers_needed);
  RUN(test_queue_spinners_rule);
  RUN(test_future_state_machine);
  RUN(test_future_callbacks);
  RUN(test_future_wait_wakes_all);
  RUN(test_cancel_race);
  RUN(test_callback_sees_earlier_callbacks);
  RUN(test_future_watch);
  RUN(test_future_unwatch_races_completion);
  RUN(test_notices_run_before_callbacks);
  RUN(test_future_completion_without_sleeper_makes_no_wake);
  RUN(test_future_embedded);
  RUN(test_future_start_by_without_memory);
  RUN(test_waiter_basic);
  RUN(test_waiter_takes_done_future_early);
  RUN(test_waiter_wakes_on_completion);
  RUN(test_waiter_destroy_race);
  RUN(test_waiter_destroyed_inside_callback);
  RUN(test_spin_budget_learns_from_a_park);
  RUN(test_spin_budget_ignores_long_waits);
  RUN(test_spin_budget_stays_within_the_limit);
  RUN(test_spin_budget_probes_after_a_run_of_losses);
  RUN(test_spin_stops_at_the_deadline);
  RUN(test_spin_time_left_never_overflows);
  RUN(test_fault_failed_allocations);
  RUN(test_fault_failed_thread_start);
  RUN(test_pool_invalid_arguments);
  RUN(test_pool_inside_task);
  RUN(test_pool_worker_hooks);
  RUN(test_pool_callback_submits_and_waits);
  RUN(test_pool_cancelling_shutdown_from_callback);
  RUN(test_pool_join_in_background);
  RUN(test_pool_lazy_spawn_and_reuse);
  RUN(test_pool_shutdown_keeps_pending);
  RUN(test_pool_shutdown_cancels_pending);
  RUN(test_pool_full_queue);
  RUN(test_pool_cancel_race);
  RUN(test_pool_future_destroyed_while_finishing);
  RUN(test_pool_start_by_deadline);
  RUN(test_pool_stress);
  RUN(test_pool_create_destroy_loop);

  runner_finish();
  printf("harness: %ld checks evaluated\n", atomic_load(&check_count));
  printf("harness: %d passed, %d failed\n", tests_passed, tests_failed);
  return tests_failed == 0 ? 0 : 1;
}
