/*
 * check.h — the harness's tiny test framework and thread helpers.
 *
 * A test is a named `void fn(void)`.  Inside it CHECK(cond) (from any
 * thread) counts a failure and prints where; run_test() counts the test
 * as passed when none of its checks failed.  A watchdog (alarm) ends the
 * process if one test hangs, so a lost wake-up fails instead of blocking
 * `make test` forever.
 *
 * Everything here is header-only (static) and uses only pthreads, so the
 * sanitizers and valgrind see ordinary synchronisation.
 */
#ifndef CF_HARNESS_CHECK_H
#define CF_HARNESS_CHECK_H

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------ checks */

/* Failed checks of the running test; any thread may add to it. */
static atomic_int check_failures;
static atomic_long check_count;

static void check_failed(const char *file, int line, const char *what) {
  atomic_fetch_add(&check_failures, 1);
  fprintf(stderr, "  check failed %s:%d: %s\n", file, line, what);
}

#define CHECK(cond)                                                       \
  do {                                                                    \
    atomic_fetch_add_explicit(&check_count, 1, memory_order_relaxed);     \
    if (!(cond))                                                          \
      check_failed(__FILE__, __LINE__, #cond);                            \
  } while (0)

/* Integer equality that prints both sides. */
#define CHECK_EQ(a, b)                                                    \
  do {                                                                    \
    long long check_a_ = (long long)(a), check_b_ = (long long)(b);       \
    atomic_fetch_add_explicit(&check_count, 1, memory_order_relaxed);     \
    if (check_a_ != check_b_) {                                           \
      char check_msg_[256];                                               \
      snprintf(check_msg_, sizeof check_msg_, "%s == %s (%lld != %lld)",  \
               #a, #b, check_a_, check_b_);                               \
      check_failed(__FILE__, __LINE__, check_msg_);                       \
    }                                                                     \
  } while (0)

/* --------------------------------------------------------- the runner */

static int tests_passed, tests_failed;
static const char *volatile current_test = "";
static unsigned test_timeout_s = 120;

static void on_alarm(int sig) {
  (void)sig;
  /* Async-signal-safe only: write and _exit. */
  static const char msg[] = "harness: watchdog: test hung: ";
  ssize_t r = write(2, msg, sizeof msg - 1);
  r = write(2, current_test, strlen(current_test));
  r = write(2, "\n", 1);
  (void)r;
  _exit(3);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void run_test(const char *name, void (*fn)(void)) {
  current_test = name;
  atomic_store(&check_failures, 0);
  alarm(test_timeout_s);
  double start = now_s();
  fn();
  double elapsed = now_s() - start;
  alarm(0);
  int failures = atomic_load(&check_failures);
  if (failures == 0) {
    tests_passed++;
    printf("ok   %-40s %6.2fs\n", name, elapsed);
  } else {
    tests_failed++;
    printf("FAIL %-40s %6.2fs (%d checks failed)\n", name, elapsed,
           failures);
  }
  fflush(stdout);
}

#define RUN(fn) run_test(#fn, fn)

/* CF_TEST_SCALE (float, default 1) times n, never below `minimum`. */
static double test_scale = 1.0;

static long scaled(long n, long minimum) {
  long v = (long)((double)n * test_scale);
  return v < minimum ? minimum : v;
}

static void runner_init(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char *s = getenv("CF_TEST_SCALE");
  if (s != NULL && *s != '\0') {
    double v = strtod(s, NULL);
    if (v > 0)
      test_scale = v;
  }
  const char *t = getenv("CF_TEST_TIMEOUT");
  if (t != NULL && atoi(t) > 0)
    test_timeout_s = (unsigned)atoi(t);
  signal(SIGALRM, on_alarm);
}

/* ------------------------------------------------------------ threads */

static pthread_t spawn(void *(*fn)(void *), void *arg) {
  pthread_t t;
  if (pthread_create(&t, NULL, fn, arg) != 0) {
    perror("harness: pthread_create");
    abort();
  }
  return t;
}

static void join(pthread_t t) { pthread_join(t, NULL); }

static void sleep_ms(long ms) {
  struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
  while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
  }
}

/* Live threads of this process, from /proc (the workers a pool leaves
 * detached are visible here until they really exit). */
static int thread_count(void) {
  FILE *f = fopen("/proc/self/status", "r");
  if (f == NULL)
    return -1;
  char line[256];
  int n = -1;
  while (fgets(line, sizeof line, f) != NULL) {
    if (strncmp(line, "Threads:", 8) == 0) {
      n = atoi(line + 8);
      break;
    }
  }
  fclose(f);
  return n;
}

/* A gate: threads block in gate_pass until gate_open; gate_await counts
 * arrivals, so a test knows its workers are parked before going on. */
typedef struct gate {
  pthread_mutex_t m;
  pthread_cond_t c;
  bool open;
  long arrived;
} gate;

static void gate_init(gate *g) {
  pthread_mutex_init(&g->m, NULL);
  pthread_cond_init(&g->c, NULL);
  g->open = false;
  g->arrived = 0;
}

static void gate_destroy(gate *g) {
  pthread_cond_destroy(&g->c);
  pthread_mutex_destroy(&g->m);
}

static void gate_pass(gate *g) {
  pthread_mutex_lock(&g->m);
  g->arrived++;
  pthread_cond_broadcast(&g->c);
  while (!g->open)
    pthread_cond_wait(&g->c, &g->m);
  pthread_mutex_unlock(&g->m);
}

/* Blocks until at least n threads arrived (ever) at the gate. */
static void gate_await(gate *g, long n) {
  pthread_mutex_lock(&g->m);
  while (g->arrived < n)
    pthread_cond_wait(&g->c, &g->m);
  pthread_mutex_unlock(&g->m);
}

static void gate_set(gate *g, bool open) {
  pthread_mutex_lock(&g->m);
  g->open = open;
  pthread_cond_broadcast(&g->c);
  pthread_mutex_unlock(&g->m);
}

/* Deterministic pseudo-random numbers (xorshift64*). */
static uint64_t rng_next(uint64_t *s) {
  uint64_t x = *s;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *s = x;
  return x * 0x2545F4914F6CDD1DULL;
}

#endif /* CF_HARNESS_CHECK_H */
