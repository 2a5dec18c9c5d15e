/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the ConcurrentFutures authors */

/*
 * check.c — the harness's test framework (see check.h).
 */
#include "check.h"

#include <dirent.h>

/* ------------------------------------------------------------ checks */

/* Failed checks of the running test; any thread may add to it. */
atomic_int check_failures;
atomic_long check_count;

void check_failed(const char *file, int line, const char *what) {
  int n = atomic_fetch_add(&check_failures, 1);
  if (n < 10)
    fprintf(stderr, "  check failed %s:%d: %s\n", file, line, what);
  else if (n == 10)
    fprintf(stderr, "  (further failed checks of this test not shown)\n");
}

/* --------------------------------------------------------- the runner */

int tests_passed, tests_failed;
static unsigned test_timeout_s = 120;

/* The watchdog: a thread of its own that sleeps until the running test's
 * deadline and ends the process if that test is still running.  (Not
 * alarm(): under TSan a signal waits for the main thread to reach an
 * intercepted call, and a thread spinning on a broken lock bit never
 * does.) */
static struct {
  pthread_mutex_t m;
  pthread_cond_t c;
  const char *test; /* NULL: no test running */
  unsigned long generation;
  struct timespec deadline; /* CLOCK_REALTIME, for pthread_cond_timedwait */
  bool stop;
  pthread_t thread;
} watchdog = {PTHREAD_MUTEX_INITIALIZER,
              PTHREAD_COND_INITIALIZER,
              NULL,
              0,
              {0, 0},
              false,
              0};

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
void runner_finish(void) {
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

double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CF_TEST_ONLY=substring runs only the tests whose name contains it. */
static const char *test_filter;

void run_test(const char *name, void (*fn)(void)) {
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
    printf("FAIL %-44s %6.2fs (%d checks failed)\n", name, elapsed, failures);
  }
  fflush(stdout);
}

/* CF_TEST_SCALE (float, default 1) times n, never below `minimum`. */
double test_scale = 1.0;

long scaled(long n, long minimum) {
  long v = (long)((double)n * test_scale);
  return v < minimum ? minimum : v;
}

void runner_init(void) {
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

pthread_t spawn(void *(*fn)(void *), void *arg) {
  pthread_t t;
  if (pthread_create(&t, NULL, fn, arg) != 0) {
    perror("harness: pthread_create");
    abort();
  }
  return t;
}

void join(pthread_t t) { pthread_join(t, NULL); }

void sleep_ms(long ms) {
  struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
  while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
  }
}

/* Live threads of this process whose name starts with `prefix`, from
 * /proc/self/task/ * /comm: the threads a test owns (its pools' workers,
 * named by the pool).  Counting all threads instead races the exit of
 * threads other tests (or a sanitizer) started: a joined thread stays
 * listed in /proc for a moment after pthread_join returns. */
int threads_named(const char *prefix) {
  DIR *dir = opendir("/proc/self/task");
  if (dir == NULL)
    return -1;
  int n = 0;
  size_t len = strlen(prefix);
  struct dirent *e;
  while ((e = readdir(dir)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    char path[300], name[32] = "";
    snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
    FILE *f = fopen(path, "r");
    if (f == NULL)
      continue; /* exited meanwhile */
    if (fgets(name, sizeof name, f) != NULL && strncmp(name, prefix, len) == 0)
      n++;
    fclose(f);
  }
  closedir(dir);
  return n;
}

void gate_init(gate *g) {
  pthread_mutex_init(&g->m, NULL);
  pthread_cond_init(&g->c, NULL);
  g->open = false;
  g->arrived = 0;
}

void gate_destroy(gate *g) {
  pthread_cond_destroy(&g->c);
  pthread_mutex_destroy(&g->m);
}

void gate_pass(gate *g) {
  pthread_mutex_lock(&g->m);
  g->arrived++;
  pthread_cond_broadcast(&g->c);
  while (!g->open)
    pthread_cond_wait(&g->c, &g->m);
  pthread_mutex_unlock(&g->m);
}

/* Blocks until at least n threads arrived (ever) at the gate. */
void gate_await(gate *g, long n) {
  pthread_mutex_lock(&g->m);
  while (g->arrived < n)
    pthread_cond_wait(&g->c, &g->m);
  pthread_mutex_unlock(&g->m);
}

void gate_set(gate *g, bool open) {
  pthread_mutex_lock(&g->m);
  g->open = open;
  pthread_cond_broadcast(&g->c);
  pthread_mutex_unlock(&g->m);
}
