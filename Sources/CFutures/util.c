/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the ConcurrentFutures authors */

/*
 * util.c — deadlines, pthread wrappers that abort on bugs, test hooks.
 */
#include "internal.h"

#include <bsd/sys/time.h>
#include <errno.h>
#include <limits.h>

int cf_deadline_after(int64_t timeout_ns, struct timespec *out) {
  if (timeout_ns < 0 || out == NULL)
    return EINVAL;
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  /* Far enough that nobody waits it out, small enough not to overflow. */
  const int64_t max_seconds = INT64_C(1) << 40;
  int64_t secs = timeout_ns / 1000000000;
  if (secs > max_seconds)
    secs = max_seconds;
  struct timespec rel = {.tv_sec = (time_t)secs,
                         .tv_nsec = (long)(timeout_ns % 1000000000)};
  timespecadd(&now, &rel, out);
  return 0;
}

bool cf__deadline_passed(const struct timespec *deadline) {
  if (deadline == NULL)
    return false;
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return !timespeccmp(&now, deadline, <);
}

bool cf__deadline_valid(const struct timespec *deadline) {
  return deadline == NULL ||
         (deadline->tv_nsec >= 0 && deadline->tv_nsec < 1000000000);
}

/* ---------------------------------------------------------- test hooks */

/* Counters are process-wide and decremented atomically, so a test may arm
 * them while other threads allocate (they just might take the failure). */
static atomic_int fail_allocations;
static atomic_int fail_thread_starts;

void cf_test_fail_allocations(int count) {
  atomic_store(&fail_allocations, count < 0 ? 0 : count);
}

void cf_test_fail_thread_starts(int count) {
  atomic_store(&fail_thread_starts, count < 0 ? 0 : count);
}

/* INT_MAX never counts down: "fail until told otherwise". */
static bool take_one(atomic_int *counter) {
  int n = atomic_load_explicit(counter, memory_order_relaxed);
  while (n > 0) {
    if (atomic_compare_exchange_weak(counter, &n, n == INT_MAX ? n : n - 1))
      return true;
  }
  return false;
}

void *cf__malloc(size_t size) {
  if (take_one(&fail_allocations))
    return NULL;
  return malloc(size);
}

void *cf__realloc(void *old, size_t size) {
  if (take_one(&fail_allocations))
    return NULL;
  return realloc(old, size);
}

void *cf__calloc(size_t count, size_t size) {
  if (take_one(&fail_allocations))
    return NULL;
  return calloc(count, size);
}

bool cf__thread_start_should_fail(void) {
  return take_one(&fail_thread_starts);
}

/* ------------------------------------------------------------- pthread */

static void check(int rc, const char *what) {
  if (rc != 0) {
    /* Only a bug in this library gets here (a destroyed or foreign mutex). */
    abort();
  }
  (void)what;
}

void cf__mutex_init_adaptive(pthread_mutex_t *m) {
  pthread_mutexattr_t attr;
  check(pthread_mutexattr_init(&attr), "pthread_mutexattr_init");
  check(pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP),
        "pthread_mutexattr_settype");
  check(pthread_mutex_init(m, &attr), "pthread_mutex_init");
  pthread_mutexattr_destroy(&attr);
}

void cf__mutex_init(pthread_mutex_t *m) {
  check(pthread_mutex_init(m, NULL), "pthread_mutex_init");
}

void cf__cond_init_monotonic(pthread_cond_t *c) {
  pthread_condattr_t attr;
  check(pthread_condattr_init(&attr), "pthread_condattr_init");
  check(pthread_condattr_setclock(&attr, CLOCK_MONOTONIC),
        "pthread_condattr_setclock");
  check(pthread_cond_init(c, &attr), "pthread_cond_init");
  pthread_condattr_destroy(&attr);
}

void cf__lock(pthread_mutex_t *m) { check(pthread_mutex_lock(m), "lock"); }
void cf__unlock(pthread_mutex_t *m) {
  check(pthread_mutex_unlock(m), "unlock");
}
void cf__signal(pthread_cond_t *c) { check(pthread_cond_signal(c), "signal"); }
void cf__broadcast(pthread_cond_t *c) {
  check(pthread_cond_broadcast(c), "broadcast");
}

int cf__cond_wait(pthread_cond_t *c, pthread_mutex_t *m,
                  const struct timespec *deadline) {
  if (deadline == NULL) {
    check(pthread_cond_wait(c, m), "cond_wait");
    return 0;
  }
  /* A deadline already past is a poll: no timed sleep (the kernel's timer
   * slack would make even that cost ~60 us). */
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  if (!timespeccmp(&now, deadline, <))
    return ETIMEDOUT;
  int rc = pthread_cond_timedwait(c, m, deadline);
  if (rc == ETIMEDOUT)
    return ETIMEDOUT;
  check(rc, "cond_timedwait");
  return 0;
}
