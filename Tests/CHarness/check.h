/*
 * check.h — the harness's tiny test framework and thread helpers.
 *
 * A test is a named `void fn(void)`.  Inside it CHECK(cond) (from any
 * thread) counts a failure and prints where; run_test() counts the test
 * as passed when none of its checks failed.  A watchdog thread ends the
 * process if one test hangs (CF_TEST_TIMEOUT seconds, default 120), so a
 * lost wake-up fails instead of blocking `make test` forever.
 *
 * Everything here is header-only (static) and uses only pthreads, so the
 * sanitizers and valgrind see ordinary synchronisation.
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

/* ------------------------------------------------------------ checks */

/* Failed checks of the running test; any thread may add to it. */
static atomic_int check_failures;
static atomic_long check_count;

static void check_failed(const char *file, int line, const char *what) {
  int n = atomic_fetch_add(&check_failures, 1);
  if (n < 10)
    fprintf(stderr, "  check failed %s:%d: %s\n", file, line, what);
  else if (n == 10)
    fprintf(stderr, "  (further failed checks of this test not shown)\n");
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
static unsigned test_timeout_s = 120;

/* The watchdog: a thread of its own that sleeps until the running test's
 * deadline and ends the process if that test is still running.  (Not
 * alarm(): under TSan a signal waits for the main thread to reach an
 * intercepted call, and a thread spinning on a broken lock bit never
 * does.) */
static struct {
  pthread_mutex_t m;
  pthread_cond_t c;
  const char *test;        /* NULL: no test running */
  unsigned long generation;
  struct timespec deadline; /* CLOCK_REALTIME, for pthread_cond_timedwait */
  bool stop;
  pthread_t thread;
} watchdog = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, 0,
              {0, 0}, false, 0};

static void *watchdog_main(void *arg) {
  (void)arg;
  pthread_mutex_lock(&watchdog.m);
  for (;;) {
    while (watchdog.test == NULL && !watchdog.stop)
      pthread_cond_wait(&watchdog.c, &watchdog.m);
    if (watchdog.stop)
      break;
    unsigned long gen = watchdog.generation;
    int rc = 0;
    while (watchdog.test != NULL && watchdog.generation == gen &&
           rc != ETIMEDOUT)
      rc = pthread_cond_timedwait(&watchdog.c, &watchdog.m,
                                  &watchdog.deadline);
    if (watchdog.test != NULL && watchdog.generation == gen) {
      fprintf(stderr, "harness: watchdog: test hung for %us: %s\n",
              test_timeout_s, watchdog.test);
      fflush(stdout);
      _exit(3);
    }
  }
  pthread_mutex_unlock(&watchdog.m);
  return NULL;
}

/* Ends the watchdog thread (joined: nothing left for leak checkers). */
static void runner_finish(void) {
  pthread_mutex_lock(&watchdog.m);
  watchdog.stop = true;
  pthread_cond_signal(&watchdog.c);
  pthread_mutex_unlock(&watchdog.m);
  pthread_join(watchdog.thread, NULL);
}

static void watchdog_arm(const char *name) {
  pthread_mutex_lock(&watchdog.m);
  clock_gettime(CLOCK_REALTIME, &watchdog.deadline);
  watchdog.deadline.tv_sec += test_timeout_s;
  watchdog.test = name;
  watchdog.generation++;
  pthread_cond_signal(&watchdog.c);
  pthread_mutex_unlock(&watchdog.m);
}

static void watchdog_disarm(void) {
  pthread_mutex_lock(&watchdog.m);
  watchdog.test = NULL;
  watchdog.generation++;
  pthread_cond_signal(&watchdog.c);
  pthread_mutex_unlock(&watchdog.m);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CF_TEST_ONLY=substring runs only the tests whose name contains it. */
static const char *test_filter;

static void run_test(const char *name, void (*fn)(void)) {
  if (test_filter != NULL && strstr(name, test_filter) == NULL)
    return;
  atomic_store(&check_failures, 0);
  watchdog_arm(name);
  double start = now_s();
  fn();
  double elapsed = now_s() - start;
  watchdog_disarm();
  int failures = atomic_load(&check_failures);
  if (failures == 0) {
    tests_passed++;
    printf("ok   %-44s %6.2fs\n", name, elapsed);
  } else {
    tests_failed++;
    printf("FAIL %-44s %6.2fs (%d checks failed)\n", name, elapsed,
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
  const char *only = getenv("CF_TEST_ONLY");
  if (only != NULL && *only != '\0')
    test_filter = only;
  if (pthread_create(&watchdog.thread, NULL, watchdog_main, NULL) != 0)
    abort();
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
