/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the ConcurrentFutures authors */

/*
 * check.h — the harness's tiny test framework and thread helpers
 * (check.c), shared by every *_tests.c file.
 *
 * A test is a named `void fn(void)`.  Inside it CHECK(cond) (from any
 * thread) counts a failure and prints where; run_test() counts the test
 * as passed when none of its checks failed.  A watchdog thread ends the
 * process if one test hangs (CF_TEST_TIMEOUT seconds, default 120), so a
 * lost wake-up fails instead of blocking `make test` forever.
 *
 * Only pthreads, so the sanitizers and valgrind see ordinary
 * synchronisation.
 */
#ifndef CF_HARNESS_CHECK_H
#define CF_HARNESS_CHECK_H

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Failed checks of the running test (any thread may add to it), and every
 * check evaluated so far. */
extern atomic_int check_failures;
extern atomic_long check_count;
extern int tests_passed, tests_failed;
/* CF_TEST_SCALE (float, default 1). */
extern double test_scale;

#define CHECK(cond)                                                           \
  do {                                                                        \
    atomic_fetch_add_explicit(&check_count, 1, memory_order_relaxed);         \
    if (!(cond))                                                              \
      check_failed(__FILE__, __LINE__, #cond);                                \
  } while (0)

/* Integer equality that prints both sides. */
#define CHECK_EQ(a, b)                                                        \
  do {                                                                        \
    long long check_a_ = (long long)(a), check_b_ = (long long)(b);           \
    atomic_fetch_add_explicit(&check_count, 1, memory_order_relaxed);         \
    if (check_a_ != check_b_) {                                               \
      char check_msg_[256];                                                   \
      snprintf(check_msg_, sizeof check_msg_, "%s == %s (%lld != %lld)", #a,  \
               #b, check_a_, check_b_);                                       \
      check_failed(__FILE__, __LINE__, check_msg_);                           \
    }                                                                         \
  } while (0)

#define RUN(fn) run_test(#fn, fn)

/* A gate: threads block in gate_pass until gate_open; gate_await counts
 * arrivals, so a test knows its workers are parked before going on. */
typedef struct gate {
  pthread_mutex_t m;
  pthread_cond_t c;
  bool open;
  long arrived;
} gate;

void check_failed(const char *file, int line, const char *what);
void runner_finish(void);
void run_test(const char *name, void (*fn)(void));
pthread_t spawn(void *(*fn)(void *), void *arg);
double now_s(void);
long scaled(long n, long minimum);
void runner_init(void);
void join(pthread_t t);
void sleep_ms(long ms);
int threads_named(const char *prefix);
void gate_init(gate *g);
void gate_destroy(gate *g);
void gate_pass(gate *g);
void gate_await(gate *g, long n);
void gate_set(gate *g, bool open);

/* Deterministic pseudo-random numbers (xorshift64*). */
static inline uint64_t rng_next(uint64_t *s) {
  uint64_t x = *s;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *s = x;
  return x * 0x2545F4914F6CDD1DULL;
}

#endif /* CF_HARNESS_CHECK_H */
