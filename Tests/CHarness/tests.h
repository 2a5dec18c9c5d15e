/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the ConcurrentFutures authors */

/*
 * tests.h — every test of the harness, by the file that holds it.
 */
#ifndef CF_HARNESS_TESTS_H
#define CF_HARNESS_TESTS_H

/* queue_tests.c */
void test_queue_invalid_arguments(void);
void test_queue_fifo_offer_poll(void);
void test_queue_wraparound_model(void);
void test_queue_deadline_expiry(void);
void test_queue_close_wakes_sleepers(void);
void test_queue_blocking_handoff(void);
void test_queue_grows_within_its_bound(void);
void test_queue_wakes_only_the_sleepers_needed(void);
void test_queue_spinners_rule(void);

/* future_tests.c */
void test_future_state_machine(void);
void test_future_callbacks(void);
void test_future_wait_wakes_all(void);
void test_cancel_race(void);
void test_callback_sees_earlier_callbacks(void);
void test_future_watch(void);
void test_future_unwatch_races_completion(void);
void test_notices_run_before_callbacks(void);
void test_future_completion_without_sleeper_makes_no_wake(void);
void test_future_embedded(void);
void test_future_start_by_without_memory(void);

/* waiter_tests.c */
void test_waiter_basic(void);
void test_waiter_takes_done_future_early(void);
void test_waiter_wakes_on_completion(void);
void test_waiter_destroy_race(void);
void test_waiter_destroyed_inside_callback(void);

/* pool_tests.c */
void test_pool_invalid_arguments(void);
void test_pool_create_destroy_loop(void);
void test_pool_shutdown_keeps_pending(void);
void test_pool_shutdown_cancels_pending(void);
void test_pool_full_queue(void);
void test_pool_cancel_race(void);
void test_pool_future_destroyed_while_finishing(void);
void test_pool_start_by_deadline(void);
void test_pool_stress(void);
void test_pool_lazy_spawn_and_reuse(void);
void test_pool_inside_task(void);
void test_pool_worker_hooks(void);
void test_pool_callback_submits_and_waits(void);
void test_pool_cancelling_shutdown_from_callback(void);
void test_pool_join_in_background(void);

/* spin_tests.c */
void test_spin_budget_learns_from_a_park(void);
void test_spin_budget_ignores_long_waits(void);
void test_spin_budget_stays_within_the_limit(void);
void test_spin_budget_probes_after_a_run_of_losses(void);
void test_spin_stops_at_the_deadline(void);
void test_spin_time_left_never_overflows(void);

/* fault_tests.c */
void test_fault_failed_allocations(void);
void test_fault_failed_thread_start(void);

#endif /* CF_HARNESS_TESTS_H */
