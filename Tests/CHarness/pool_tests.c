/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the ConcurrentFutures authors */

/*
 * pool_tests.c — the harness's tests of the pool (pool.c).
 */
#include "support.h"
#include "tests.h"

void test_pool_invalid_arguments(void) {
  cf_pool *p = NULL;
  cf_pool_options o = {.max_workers = 0, .queue_capacity = 1};
  CHECK_EQ(cf_pool_create(&o, &p), EINVAL);
  o = (cf_pool_options){.max_workers = 1, .queue_capacity = 0};
  CHECK_EQ(cf_pool_create(&o, &p), EINVAL);
  o.queue_capacity = 1;
  CHECK_EQ(cf_pool_create(NULL, &p), EINVAL);
  CHECK_EQ(cf_pool_create(&o, NULL), EINVAL);
  CHECK(p == NULL);
  CHECK_EQ(cf_pool_create(&o, &p), 0);
  task *t = task_new(ACT_NONE, NULL, p, true);
  struct timespec bad = bad_deadline();
  CHECK_EQ(cf_pool_submit(NULL, task_fn, t, NULL, CF_SUBMIT_BLOCK, NULL),
           EINVAL);
  CHECK_EQ(cf_pool_submit(p, NULL, t, NULL, CF_SUBMIT_BLOCK, NULL), EINVAL);
  CHECK_EQ(cf_pool_submit(p, task_fn, t, NULL, CF_SUBMIT_BLOCK, &bad), EINVAL);
  CHECK_EQ(cf_pool_submit(p, task_fn, t, NULL, (cf_submit_mode)7, NULL),
           EINVAL);
  CHECK_EQ(cf_pool_thread_count(p), 0); /* nothing started for refusals */
  CHECK_EQ(cf_pool_queue_size(p), 0);
  CHECK_EQ(cf_pool_shutdown(NULL, true, true), EINVAL);
  CHECK(!cf_pool_is_worker_thread(p));
  CHECK(!cf_pool_is_worker_thread(NULL));
  CHECK_EQ(cf_pool_shutdown(p, true, false), 0);
  CHECK_EQ(cf_pool_shutdown(p, true, true), 0); /* idempotent */
  CHECK_EQ(submit(p, t), ESHUTDOWN);
  CHECK_EQ(atomic_load(&t->runs) + atomic_load(&t->releases), 0);
  cf_pool_destroy(p);
  cf_pool_destroy(NULL);
  task_free(t);
}

/* Create and drop pools in a loop, six ways: idle; dropped without
 * shutdown while work is pending; shut down with wait; shut down with
 * cancel while work is pending; destroyed from inside its own task; shut
 * down (wait) from inside its own task.  Every accepted item is released
 * exactly once, and every worker thread ends. */
static gate orphan_gate;

void test_pool_create_destroy_loop(void) {
  gate_init(&orphan_gate);
  long rounds = scaled(600, 12);
  for (long r = 0; r < rounds; r++) {
    size_t workers = 1 + (size_t)(r % 3);
    cf_pool_options o = {.max_workers = workers,
                         .queue_capacity = 8,
                         .thread_name_prefix = "cdloop"};
    cf_pool *p = NULL;
    if (cf_pool_create(&o, &p) != 0)
      abort();
    switch (r % 6) {
    case 0: /* idle */
      CHECK_EQ(cf_pool_thread_count(p), 0);
      cf_pool_destroy(p);
      break;
    case 1: /* dropped without shutdown, work pending behind a gate */
      gate_set(&orphan_gate, false);
      for (int i = 0; i < 5; i++)
        submit_orphan(p, i == 0 ? ACT_GATE : ACT_NONE, &orphan_gate, i % 2);
      cf_pool_destroy(p);
      gate_set(&orphan_gate, true);
      break;
    case 2: { /* shutdown(wait) then destroy */
      task *t[4];
      for (int i = 0; i < 4; i++) {
        t[i] = task_new(ACT_NONE, NULL, p, true);
        CHECK_EQ(submit(p, t[i]), 0);
      }
      CHECK_EQ(cf_pool_shutdown(p, true, false), 0);
      CHECK_EQ(cf_pool_thread_count(p), 0);
      for (int i = 0; i < 4; i++) {
        CHECK_EQ(atomic_load(&t[i]->runs), 1);
        CHECK_EQ(atomic_load(&t[i]->releases), 1);
        CHECK_EQ(cf_future_state(t[i]->future), CF_FINISHED);
        task_free(t[i]);
      }
      cf_pool_destroy(p);
      break;
    }
    case 3: /* shutdown(cancel, no wait) with work pending, then destroy */
      gate_set(&orphan_gate, false);
      for (int i = 0; i < 6; i++)
        submit_orphan(p, i == 0 ? ACT_GATE : ACT_NONE, &orphan_gate, true);
      CHECK_EQ(cf_pool_shutdown(p, false, true), 0);
      CHECK_EQ(cf_pool_queue_size(p), 0);
      cf_pool_destroy(p);
      gate_set(&orphan_gate, true);
      break;
    case 4: /* destroyed from inside its own task */
      for (int i = 0; i < 3; i++)
        submit_orphan(p, ACT_NONE, NULL, i % 2);
      submit_orphan(p, ACT_DESTROY_SELF, NULL, true);
      /* The owner's reference went with that task: hands off now. */
      break;
    case 5: { /* shutdown(wait) from inside its own task: no self-join */
      task *t = task_new(ACT_SHUTDOWN_SELF, NULL, p, true);
      CHECK_EQ(submit(p, t), 0);
      CHECK_EQ(cf_future_wait(t->future, NULL), 0);
      CHECK_EQ(cf_pool_shutdown(p, true, false), 0); /* joins it */
      CHECK_EQ(t->result, 0);
      CHECK(t->on_worker);
      CHECK_EQ(atomic_load(&t->releases), 1);
      CHECK_EQ(cf_pool_thread_count(p), 0);
      task_free(t);
      cf_pool_destroy(p);
      break;
    }
    }
  }
  gate_set(&orphan_gate, true);
  /* Every orphan is released, and every detached worker really exits. */
  CHECK(await_count(&orphans_released, atomic_load(&orphans_accepted), 60));
  CHECK_EQ(atomic_load(&orphans_released), atomic_load(&orphans_accepted));
  CHECK(await_no_threads_named("cdloop", 60));
  CHECK_EQ(threads_named("cdloop"), 0);
  printf("     (%ld pools; %ld orphan items accepted, %ld ran, %ld "
         "released)\n",
         rounds, atomic_load(&orphans_accepted), atomic_load(&orphans_ran),
         atomic_load(&orphans_released));
  gate_destroy(&orphan_gate);
}

/* Shutdown with work queued behind two blocked workers.  cancel_pending:
 * the queued futures end CANCELLED_AND_NOTIFIED before shutdown returns,
 * their callbacks ran on the shutting-down thread, their fns got RELEASE
 * alone; a queued item without a future is run there instead (RUN, then
 * RELEASE).  Otherwise the queued work still runs after shutdown. */
static void shutdown_with_pending(bool cancel_pending) {
  enum { QUEUED = 20 };
  gate g;
  gate_init(&g);
  cf_pool *p = new_pool(2, 64);
  task *blocker[2], *queued[QUEUED];
  cb_rec rec[QUEUED];
  memset(rec, 0, sizeof rec);
  for (int i = 0; i < 2; i++) {
    blocker[i] = task_new(ACT_GATE, &g, p, true);
    CHECK_EQ(submit(p, blocker[i]), 0);
  }
  gate_await(&g, 2); /* both workers parked: nothing else can start */
  for (int i = 0; i < QUEUED; i++) {
    queued[i] = task_new(ACT_NONE, NULL, p, i % 4 != 3); /* some no future */
    if (queued[i]->future != NULL)
      CHECK_EQ(cf_future_add_done_callback(queued[i]->future, cb_count,
                                           &rec[i]),
               0);
    CHECK_EQ(submit(p, queued[i]), 0);
  }
  /* One cancelled by its owner before shutdown: skipped either way. */
  CHECK(cf_future_cancel(queued[0]->future));
  CHECK_EQ(cf_pool_queue_size(p), QUEUED);
  CHECK_EQ(cf_pool_shutdown(p, false, cancel_pending), 0);
  task *late = task_new(ACT_NONE, NULL, p, true);
  CHECK_EQ(submit(p, late), ESHUTDOWN);
  if (cancel_pending) {
    /* Done before shutdown returned, on this thread: futures cancelled
     * and notified, future-less items run (nobody could learn of their
     * cancellation), every fn released. */
    CHECK_EQ(cf_pool_queue_size(p), 0);
    for (int i = 0; i < QUEUED; i++) {
      CHECK_EQ(atomic_load(&queued[i]->releases), 1);
      if (queued[i]->future != NULL) {
        CHECK_EQ(atomic_load(&queued[i]->runs), 0);
        CHECK_EQ(cf_future_state(queued[i]->future),
                 CF_CANCELLED_AND_NOTIFIED);
        CHECK_EQ(atomic_load(&rec[i].calls), 1);
        CHECK(pthread_equal(rec[i].thread, pthread_self()));
      } else {
        CHECK_EQ(atomic_load(&queued[i]->runs), 1);
        CHECK(pthread_equal(queued[i]->run_thread, pthread_self()));
      }
    }
  }
  gate_set(&g, true);
  CHECK_EQ(cf_pool_shutdown(p, true, false), 0);
  CHECK_EQ(cf_pool_thread_count(p), 0);
  for (int i = 0; i < 2; i++) {
    CHECK_EQ(atomic_load(&blocker[i]->runs), 1);
    CHECK_EQ(atomic_load(&blocker[i]->releases), 1);
    CHECK_EQ(cf_future_state(blocker[i]->future), CF_FINISHED);
    task_free(blocker[i]);
  }
  for (int i = 0; i < QUEUED; i++) {
    bool skipped = (cancel_pending && queued[i]->future != NULL) || i == 0;
    CHECK_EQ(atomic_load(&queued[i]->runs), skipped ? 0 : 1);
    CHECK_EQ(atomic_load(&queued[i]->releases), 1);
    if (queued[i]->future != NULL) {
      CHECK_EQ(cf_future_state(queued[i]->future),
               skipped ? CF_CANCELLED_AND_NOTIFIED : CF_FINISHED);
      CHECK_EQ(atomic_load(&rec[i].calls), 1);
    }
    task_free(queued[i]);
  }
  CHECK_EQ(atomic_load(&late->runs) + atomic_load(&late->releases), 0);
  task_free(late);
  cf_pool_destroy(p);
  gate_destroy(&g);
}

void test_pool_shutdown_keeps_pending(void) { shutdown_with_pending(false); }

void test_pool_shutdown_cancels_pending(void) { shutdown_with_pending(true); }

/* A submit blocked on a full queue is woken by shutdown with ESHUTDOWN;
 * TRY mode and a deadline fail fast on a full queue. */
typedef struct blocked_submit {
  cf_pool *p;
  task *t;
  int rc;
} blocked_submit;

static void *blocked_submit_main(void *arg) {
  blocked_submit *b = arg;
  b->rc = submit(b->p, b->t);
  return NULL;
}

void test_pool_full_queue(void) {
  gate g;
  gate_init(&g);
  cf_pool *p = new_pool(1, 1);
  task *blocker = task_new(ACT_GATE, &g, p, true);
  task *filler = task_new(ACT_NONE, NULL, p, true);
  task *refused = task_new(ACT_NONE, NULL, p, true);
  CHECK_EQ(submit(p, blocker), 0);
  gate_await(&g, 1);
  CHECK_EQ(submit(p, filler), 0);
  CHECK_EQ(cf_pool_submit(p, task_fn, refused, refused->future, CF_SUBMIT_TRY,
                          NULL),
           ENOBUFS);
  struct timespec d = after_ms(40);
  double t0 = now_s();
  CHECK_EQ(cf_pool_submit(p, task_fn, refused, refused->future,
                          CF_SUBMIT_BLOCK, &d),
           ETIMEDOUT);
  CHECK(now_s() - t0 >= 0.039);
  blocked_submit b = {p, refused, -1};
  pthread_t th = spawn(blocked_submit_main, &b);
  sleep_ms(50); /* let it park in put; ESHUTDOWN either way */
  CHECK_EQ(cf_pool_shutdown(p, false, false), 0);
  join(th);
  CHECK_EQ(b.rc, ESHUTDOWN);
  gate_set(&g, true);
  CHECK_EQ(cf_pool_shutdown(p, true, false), 0);
  CHECK_EQ(atomic_load(&blocker->runs), 1);
  CHECK_EQ(atomic_load(&filler->runs), 1); /* queued before: still ran */
  CHECK_EQ(atomic_load(&filler->releases), 1);
  CHECK_EQ(atomic_load(&refused->runs) + atomic_load(&refused->releases), 0);
  CHECK_EQ(cf_future_state(refused->future), CF_PENDING);
  task_free(blocker);
  task_free(filler);
  task_free(refused);
  cf_pool_destroy(p);
  gate_destroy(&g);
}

/* Cancel vs worker start through the pool: every future is cancelled by
 * the submitting thread right after submit, while two workers race to
 * start it.  Each item: ran xor cancelled, RELEASE once. */
void test_pool_cancel_race(void) {
  long n = scaled(30000, 60);
  cf_pool *p = new_pool(2, 256);
  task **t = calloc((size_t)n, sizeof *t);
  bool *cancel_rc = calloc((size_t)n, sizeof *cancel_rc);
  for (long i = 0; i < n; i++) {
    t[i] = task_new(ACT_NONE, NULL, p, true);
    CHECK_EQ(submit(p, t[i]), 0);
    if (i % 4 != 1)
      cancel_rc[i] = cf_future_cancel(t[i]->future);
  }
  CHECK_EQ(cf_pool_shutdown(p, true, false), 0);
  long ran = 0, cancelled = 0;
  for (long i = 0; i < n; i++) {
    int runs = atomic_load(&t[i]->runs);
    cf_state s = cf_future_state(t[i]->future);
    CHECK_EQ(atomic_load(&t[i]->releases), 1);
    if (cancel_rc[i]) {
      cancelled++;
      CHECK_EQ(runs, 0);
      CHECK_EQ(s, CF_CANCELLED_AND_NOTIFIED);
    } else {
      ran++;
      CHECK_EQ(runs, 1);
      CHECK_EQ(s, CF_FINISHED);
    }
    task_free(t[i]);
  }
  free(t);
  free(cancel_rc);
  cf_pool_destroy(p);
  printf("     (%ld items: %ld ran, %ld cancelled in time)\n", n, ran,
         cancelled);
}

/* The owner destroys a future the moment cf_future_wait returns, while
 * the worker is still inside finish running a slow callback: the pool
 * item's reference keeps the memory alive (ASan/valgrind would see a use
 * after free otherwise). */
typedef struct slow_cb {
  gate *g;
  atomic_int calls;
} slow_cb;

static void cb_slow(void *arg, cf_future *f) {
  slow_cb *c = arg;
  (void)f;
  gate_pass(c->g);
  atomic_fetch_add(&c->calls, 1);
}

void test_pool_future_destroyed_while_finishing(void) {
  long rounds = scaled(200, 10);
  for (long r = 0; r < rounds; r++) {
    cf_pool *p = new_pool(1, 4);
    gate g;
    gate_init(&g);
    slow_cb c = {.g = &g, .calls = 0};
    task *t = task_new(ACT_NONE, NULL, p, true);
    CHECK_EQ(cf_future_add_done_callback(t->future, cb_slow, &c), 0);
    CHECK_EQ(submit(p, t), 0);
    CHECK_EQ(cf_future_wait(t->future, NULL), 0);
    /* The creator's reference, right now; t->future stays as it was (the
     * worker may still read t), t is freed without task_free below. */
    cf_future_destroy(t->future);
    gate_set(&g, true); /* the worker leaves the callback, then finish */
    CHECK_EQ(cf_pool_shutdown(p, true, false), 0); /* joined: all done */
    CHECK_EQ(atomic_load(&c.calls), 1);
    CHECK_EQ(atomic_load(&t->runs), 1);
    CHECK_EQ(atomic_load(&t->releases), 1);
    free(t);
    gate_destroy(&g);
    cf_pool_destroy(p);
  }
}

/* Must-start-by deadlines: an item a worker reaches after its future's
 * deadline is not run — the future ends CANCELLED_AND_NOTIFIED with the
 * EXPIRED flag, its callbacks run on that worker, fn gets RELEASE alone.
 * A deadline not yet passed changes nothing. */
void test_pool_start_by_deadline(void) {
  gate g;
  gate_init(&g);
  cf_pool *p = new_pool(1, 8);
  task *blocker = task_new(ACT_GATE, &g, p, true);
  task *late = task_new(ACT_NONE, NULL, p, true);
  task *timely = task_new(ACT_NONE, NULL, p, true);
  cb_rec rec;
  memset(&rec, 0, sizeof rec);
  struct timespec soon = after_ms(1), far = after_ms(600000);
  struct timespec bad = bad_deadline();
  CHECK_EQ(cf_future_set_start_by(NULL, &soon), EINVAL);
  CHECK_EQ(cf_future_set_start_by(late->future, &bad), EINVAL);
  CHECK_EQ(cf_future_set_start_by(late->future, &soon), 0);
  CHECK_EQ(cf_future_set_start_by(timely->future, &far), 0);
  CHECK_EQ(cf_future_add_done_callback(late->future, cb_count, &rec), 0);
  CHECK_EQ(submit(p, blocker), 0);
  gate_await(&g, 1);
  CHECK_EQ(submit(p, late), 0);
  CHECK_EQ(submit(p, timely), 0);
  sleep_ms(5); /* the late one's deadline passes while it is queued */
  CHECK_EQ(cf_future_state(late->future), CF_PENDING); /* checked later */
  gate_set(&g, true);
  CHECK_EQ(cf_future_wait(late->future, NULL), 0);
  CHECK_EQ(cf_pool_shutdown(p, true, false), 0);
  CHECK_EQ(cf_future_state(late->future), CF_CANCELLED_AND_NOTIFIED);
  CHECK(cf_future_is_expired(late->future));
  CHECK_EQ(atomic_load(&late->runs), 0);
  CHECK_EQ(atomic_load(&late->releases), 1);
  CHECK_EQ(atomic_load(&rec.calls), 1);
  CHECK(!pthread_equal(rec.thread, pthread_self())); /* on the worker */
  CHECK_EQ(cf_future_state(timely->future), CF_FINISHED);
  CHECK(!cf_future_is_expired(timely->future));
  CHECK_EQ(atomic_load(&timely->runs), 1);
  CHECK(!cf_future_is_expired(blocker->future));
  CHECK(!cf_future_is_expired(NULL));
  task_free(blocker);
  task_free(late);
  task_free(timely);
  cf_pool_destroy(p);
  gate_destroy(&g);
}

/* Many submitters, futures waited on through waiters, some cancelled
 * from a third thread: nothing lost, nothing twice. */
typedef struct stress {
  cf_pool *p;
  long per_thread;
  task **tasks; /* [thread * per_thread + i] */
  int id;
} stress;

static void *stress_submitter(void *arg) {
  stress *s = arg;
  long base = s->id * s->per_thread;
  for (long i = 0; i < s->per_thread; i++) {
    task *t = task_new(ACT_NONE, NULL, s->p, (i % 5) != 0);
    s->tasks[base + i] = t;
    int rc = (i % 3 == 0) ? cf_pool_submit(s->p, task_fn, t, t->future,
                                           CF_SUBMIT_TRY, NULL)
                          : submit(s->p, t);
    if (rc == ENOBUFS) /* TRY on a full queue: fall back to blocking */
      rc = submit(s->p, t);
    CHECK_EQ(rc, 0);
    if (t->future != NULL && i % 7 == 0)
      cf_future_cancel(t->future);
  }
  return NULL;
}

void test_pool_stress(void) {
  enum { SUBMITTERS = 2 };
  long per = scaled(20000, 50);
  cf_pool *p = new_pool(3, 16);
  task **tasks = calloc((size_t)(per * SUBMITTERS), sizeof *tasks);
  stress s[SUBMITTERS];
  pthread_t th[SUBMITTERS];
  for (int i = 0; i < SUBMITTERS; i++) {
    s[i] = (stress){p, per, tasks, i};
    th[i] = spawn(stress_submitter, &s[i]);
  }
  for (int i = 0; i < SUBMITTERS; i++)
    join(th[i]);
  /* Every future completes: wait on all of them through one waiter. */
  long total = per * SUBMITTERS, with_future = 0;
  cf_waiter *w;
  CHECK_EQ(cf_waiter_create((size_t)total, &w), 0);
  for (long i = 0; i < total; i++) {
    if (tasks[i]->future != NULL) {
      CHECK_EQ(cf_waiter_add(w, tasks[i]->future, (size_t)i), 0);
      with_future++;
    }
  }
  size_t tag;
  long got = 0;
  while (cf_waiter_next(w, NULL, &tag) == 0)
    got++;
  CHECK_EQ(got, with_future);
  cf_waiter_destroy(w);
  CHECK(cf_pool_thread_count(p) <= 3);
  CHECK_EQ(cf_pool_shutdown(p, true, false), 0);
  for (long i = 0; i < total; i++) {
    task *t = tasks[i];
    CHECK_EQ(atomic_load(&t->releases), 1);
    if (t->future == NULL) {
      CHECK_EQ(atomic_load(&t->runs), 1);
    } else if (cf_future_state(t->future) == CF_FINISHED) {
      CHECK_EQ(atomic_load(&t->runs), 1);
    } else {
      CHECK_EQ(cf_future_state(t->future), CF_CANCELLED_AND_NOTIFIED);
      CHECK_EQ(atomic_load(&t->runs), 0);
    }
    task_free(t);
  }
  free(tasks);
  cf_pool_destroy(p);
}

/* Threads start lazily and an idle worker is reused: a submit made right
 * after the previous result is published starts no second thread. */
void test_pool_lazy_spawn_and_reuse(void) {
  cf_pool *p = new_pool(4, 8);
  CHECK_EQ(cf_pool_thread_count(p), 0);
  long n = scaled(300, 10);
  /* Tasks are freed after the join: RELEASE may still be on its way when
   * wait returns (the worker publishes, then releases). */
  task **t = calloc((size_t)n, sizeof *t);
  for (long i = 0; i < n; i++) {
    t[i] = task_new(ACT_NONE, NULL, p, true);
    CHECK_EQ(submit(p, t[i]), 0);
    CHECK_EQ(cf_future_wait(t[i]->future, NULL), 0);
    CHECK_EQ(cf_pool_thread_count(p), 1);
  }
  CHECK_EQ(cf_pool_shutdown(p, true, false), 0);
  for (long i = 0; i < n; i++) {
    CHECK_EQ(atomic_load(&t[i]->runs), 1);
    CHECK_EQ(atomic_load(&t[i]->releases), 1);
    task_free(t[i]);
  }
  free(t);
  cf_pool_destroy(p);
}

/* Inside a task: waiting on its own future is EDEADLK, the thread knows it
 * is a worker, and its name is the prefix cut to fit with "-N". */
void test_pool_inside_task(void) {
  cf_pool_options o = {.max_workers = 1,
                       .queue_capacity = 4,
                       .thread_name_prefix = "a-very-long-prefix"};
  cf_pool *p;
  CHECK_EQ(cf_pool_create(&o, &p), 0);
  task *self_wait = task_new(ACT_WAIT_SELF, NULL, p, true);
  task *name = task_new(ACT_NAME, NULL, p, true);
  CHECK_EQ(submit(p, self_wait), 0);
  CHECK_EQ(submit(p, name), 0);
  CHECK_EQ(cf_pool_shutdown(p, true, false), 0);
  CHECK_EQ(self_wait->result, EDEADLK);
  CHECK(self_wait->on_worker);
  CHECK_EQ(cf_future_state(self_wait->future), CF_FINISHED);
  CHECK_EQ(name->result, 0);
  CHECK(strcmp(name->name, "a-very-long-p-1") == 0);
  CHECK(!cf_pool_is_worker_thread(p));
  task_free(self_wait);
  task_free(name);
  cf_pool_destroy(p);
}

/* Worker hooks: init once per worker before its first item, fini as it
 * exits; an init failure breaks the pool — the running item finishes, the
 * queued ones get CF_TASK_BROKEN (future-less ones still run), submits get
 * ENOTRECOVERABLE — and context_release runs once when the pool goes. */
typedef struct hooks {
  atomic_int inits, finis, releases;
  int fail_from;   /* the init call (1-based) from which init fails */
  gate *fail_gate; /* a failing init passes it first (may be NULL) */
  cf_pool *pool;
  atomic_int init_saw_worker; /* inits that ran on the pool's own thread */
} hooks;

static int hook_init(void *ctx) {
  hooks *h = ctx;
  int n = atomic_fetch_add(&h->inits, 1) + 1;
  if (cf_pool_is_worker_thread(h->pool) && cf_pool_current_context() == h)
    atomic_fetch_add(&h->init_saw_worker, 1);
  if (n < h->fail_from)
    return 0;
  if (h->fail_gate != NULL)
    gate_pass(h->fail_gate);
  return 1;
}
static void hook_fini(void *ctx) {
  atomic_fetch_add(&((hooks *)ctx)->finis, 1);
}
static void hook_release(void *ctx) {
  atomic_fetch_add(&((hooks *)ctx)->releases, 1);
}

static cf_pool *new_hooked_pool(hooks *h, size_t workers) {
  cf_pool_options o = {.max_workers = workers,
                       .queue_capacity = 64,
                       .worker_init = hook_init,
                       .worker_fini = hook_fini,
                       .context_release = hook_release,
                       .context = h};
  cf_pool *p = NULL;
  CHECK_EQ(cf_pool_create(&o, &p), 0);
  h->pool = p;
  return p;
}

void test_pool_worker_hooks(void) {
  /* Healthy: two workers, each initialised once, finalised once. */
  hooks h = {.fail_from = 1 << 30};
  cf_pool *p = new_hooked_pool(&h, 2);
  gate g;
  gate_init(&g);
  task *held[2];
  for (int i = 0; i < 2; i++) {
    held[i] = task_new(ACT_GATE, &g, p, true);
    CHECK_EQ(submit(p, held[i]), 0);
  }
  gate_await(&g, 2); /* both run: two workers */
  gate_set(&g, true);
  CHECK_EQ(cf_pool_shutdown(p, true, false), 0);
  CHECK_EQ(atomic_load(&h.inits), 2);
  CHECK_EQ(atomic_load(&h.init_saw_worker), 2);
  CHECK_EQ(atomic_load(&h.finis), 2);
  CHECK(!cf_pool_is_broken(p));
  CHECK(cf_pool_current_context() == NULL);
  CHECK_EQ(atomic_load(&h.releases), 0);
  cf_pool_destroy(p);
  CHECK_EQ(atomic_load(&h.releases), 1);
  for (int i = 0; i < 2; i++) {
    CHECK_EQ(atomic_load(&held[i]->runs), 1);
    task_free(held[i]);
  }
  gate_destroy(&g);

  /* The second worker's init fails while the first runs a held item. */
  gate fail_gate; /* holds the failing init until the items are queued */
  gate_init(&fail_gate);
  hooks b = {.fail_from = 2, .fail_gate = &fail_gate};
  p = new_hooked_pool(&b, 2);
  gate_init(&g);
  task *running = task_new(ACT_GATE, &g, p, true);
  CHECK_EQ(submit(p, running), 0);
  gate_await(&g, 1);
  enum { QUEUED = 8 };
  task *queued[QUEUED];
  for (int i = 0; i < QUEUED; i++) {
    queued[i] = task_new(ACT_NONE, NULL, p, i != 0); /* [0]: no future */
    CHECK_EQ(submit(p, queued[i]), 0);
  }
  CHECK(!cf_pool_is_broken(p));
  gate_await(&fail_gate, 1); /* worker 2 is in its init */
  gate_set(&fail_gate, true);
  for (int i = 1; i < QUEUED; i++)
    CHECK_EQ(cf_future_wait(queued[i]->future, NULL), 0);
  CHECK(cf_pool_is_broken(p));
  task *late = task_new(ACT_NONE, NULL, p, true);
  CHECK_EQ(submit(p, late), ENOTRECOVERABLE);
  CHECK_EQ(cf_pool_submit(p, task_fn, late, late->future, CF_SUBMIT_TRY, NULL),
           ENOTRECOVERABLE);
  gate_set(&g, true); /* the running item finishes normally */
  CHECK_EQ(cf_future_wait(running->future, NULL), 0);
  CHECK_EQ(cf_pool_shutdown(p, true, false), 0);
  CHECK_EQ(atomic_load(&b.inits), 2);
  CHECK_EQ(atomic_load(&b.finis), 1); /* only the initialised worker */
  CHECK_EQ(atomic_load(&running->runs), 1);
  CHECK_EQ(atomic_load(&running->broken), 0);
  CHECK_EQ(atomic_load(&queued[0]->runs), 1); /* future-less: still run */
  for (int i = 1; i < QUEUED; i++) {
    CHECK_EQ(atomic_load(&queued[i]->runs), 0);
    CHECK_EQ(atomic_load(&queued[i]->broken), 1);
    CHECK_EQ(cf_future_state(queued[i]->future), CF_FINISHED);
  }
  for (int i = 0; i < QUEUED; i++) {
    CHECK_EQ(atomic_load(&queued[i]->releases), 1);
    task_free(queued[i]);
  }
  CHECK_EQ(atomic_load(&late->releases), 0);
  task_free(late);
  task_free(running);
  cf_pool_destroy(p);
  CHECK_EQ(atomic_load(&b.releases), 1);
  gate_destroy(&g);
  gate_destroy(&fail_gate);
}

/* ---------------------------------------------------------- liveness */

/* Waits (polling, 1 ms) until *flag >= want or `seconds` pass. */
static bool await_count_int(atomic_int *flag, int want, double seconds) {
  double end = now_s() + seconds;
  while (atomic_load(flag) < want) {
    if (now_s() > end)
      return false;
    sleep_ms(1);
  }
  return true;
}

/* A done-callback that submits to its own pool and waits (bounded). */
typedef struct resubmit {
  cf_pool *pool;
  int rc_submit, rc_wait;
  atomic_int done;
  task *inner;
} resubmit;

static void cb_resubmit(void *arg, cf_future *f) {
  (void)f;
  resubmit *r = arg;
  r->inner = task_new(ACT_NONE, NULL, r->pool, true);
  r->rc_submit = submit(r->pool, r->inner);
  struct timespec d = after_ms(10000);
  r->rc_wait = r->rc_submit == 0 ? cf_future_wait(r->inner->future, &d) : -1;
  atomic_store(&r->done, 1);
}

/* Decision 13: a done-callback running on the worker that finished the
 * task submits to the same pool (room for a second worker) and waits:
 * the inner task runs.  (A worker counts itself idle before publishing a
 * result; its liveness step takes that back before callbacks run.) */
void test_pool_callback_submits_and_waits(void) {
  long rounds = scaled(200, 10);
  for (long r = 0; r < rounds; r++) {
    cf_pool *p = new_pool(2, 16);
    gate g;
    gate_init(&g);
    task *t = task_new(ACT_GATE, &g, p, true);
    resubmit rs = {.pool = p};
    CHECK_EQ(cf_future_add_done_callback(t->future, cb_resubmit, &rs), 0);
    CHECK_EQ(submit(p, t), 0);
    gate_set(&g, true);
    CHECK_EQ(cf_future_wait(t->future, NULL), 0);
    CHECK(await_count_int(&rs.done, 1, 30));
    CHECK_EQ(rs.rc_submit, 0);
    CHECK_EQ(rs.rc_wait, 0);
    CHECK_EQ(cf_pool_shutdown(p, true, false), 0);
    if (rs.inner != NULL) {
      CHECK_EQ(atomic_load(&rs.inner->runs), 1);
      task_free(rs.inner);
    }
    task_free(t);
    gate_destroy(&g);
    cf_pool_destroy(p);
    if (rs.rc_wait != 0)
      break; /* one hang is enough */
  }
}

static void cb_shutdown_cancelling(void *arg, cf_future *f) {
  (void)f;
  cf_pool *p = arg;
  CHECK_EQ(cf_pool_shutdown(p, false, true), 0);
}

/* shutdown(cancel_pending) from a done-callback on the only worker cancels
 * every task not yet started: the worker holds no item across the
 * completion of the one before. */
void test_pool_cancelling_shutdown_from_callback(void) {
  enum { QUEUED = 9 };
  long rounds = scaled(200, 10);
  for (long r = 0; r < rounds; r++) {
    cf_pool *p = new_pool(1, 16);
    gate g;
    gate_init(&g);
    task *first = task_new(ACT_GATE, &g, p, true);
    CHECK_EQ(cf_future_add_done_callback(first->future, cb_shutdown_cancelling,
                                         p),
             0);
    CHECK_EQ(submit(p, first), 0);
    task *q[QUEUED];
    for (int i = 0; i < QUEUED; i++) {
      q[i] = task_new(ACT_NONE, NULL, p, true);
      CHECK_EQ(submit(p, q[i]), 0);
    }
    gate_set(&g, true);
    CHECK_EQ(cf_pool_shutdown(p, true, false), 0);
    int ran = 0;
    for (int i = 0; i < QUEUED; i++) {
      ran += atomic_load(&q[i]->runs);
      CHECK_EQ(cf_future_state(q[i]->future), CF_CANCELLED_AND_NOTIFIED);
      CHECK_EQ(atomic_load(&q[i]->releases), 1);
      task_free(q[i]);
    }
    CHECK_EQ(ran, 0);
    task_free(first);
    gate_destroy(&g);
    cf_pool_destroy(p);
  }
}

static void set_flag(void *arg) { atomic_store((atomic_int *)arg, 1); }

/* cf_pool_join_in_background joins the workers on a thread of its own and
 * then calls done, there, once they have exited; a refused thread start is
 * EAGAIN, done never called. */
void test_pool_join_in_background(void) {
  gate g;
  gate_init(&g);
  cf_pool_options o = {.max_workers = 2,
                       .queue_capacity = 8,
                       .thread_name_prefix = "bgjoin"};
  cf_pool *p = NULL;
  CHECK_EQ(cf_pool_create(&o, &p), 0);
  task *t = task_new(ACT_GATE, &g, p, true);
  CHECK_EQ(submit(p, t), 0);
  CHECK_EQ(cf_pool_join_in_background(NULL, set_flag, NULL), EINVAL);
  atomic_int refused = 0;
  cf_test_fail_thread_starts(1);
  CHECK_EQ(cf_pool_join_in_background(p, set_flag, &refused), EAGAIN);
  cf_test_fail_thread_starts(0);
  CHECK_EQ(cf_pool_shutdown(p, false, false), 0);
  atomic_int joined = 0;
  CHECK_EQ(cf_pool_join_in_background(p, set_flag, &joined), 0);
  gate_await(&g, 1); /* the worker runs the gated task */
  sleep_ms(5);
  CHECK_EQ(atomic_load(&joined), 0); /* it cannot have been joined */
  gate_set(&g, true);
  double end = now_s() + 30;
  while (atomic_load(&joined) == 0 && now_s() < end)
    sleep_ms(1);
  CHECK_EQ(atomic_load(&joined), 1);
  CHECK_EQ(atomic_load(&refused), 0);
  CHECK_EQ(atomic_load(&t->runs), 1);
  CHECK(await_no_threads_named("bgjoin", 30));
  CHECK_EQ(cf_pool_thread_count(p), 0);
  cf_pool_destroy(p);
  task_free(t);
  gate_destroy(&g);
}
