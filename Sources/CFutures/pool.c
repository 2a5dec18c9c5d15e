/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the ConcurrentFutures authors */

/*
 * pool.c — the thread pool: a cf_queue of (fn, arg, future) items and
 * worker threads started lazily.
 *
 * Spawning (CPython's idle semaphore, as fixed in 3.8): a worker adds an
 * idle token when it finds the queue empty.  A submit that takes a token
 * starts nothing (that worker is reserved for its item); one that finds
 * none starts a worker if fewer than max_workers live.  A worker just
 * started for a submit adds none before its first item (it is that
 * submit's).  Tokens are hints: a wrong one costs a thread start or a
 * short delay, never a lost task, because a task is queued only while a
 * worker exists and workers leave only a closed, empty queue.
 *
 * Liveness (a worker running a task or callbacks is not idle): a worker
 * that finishes a task with the queue empty adds its token *before* it
 * publishes the result, so a submit made right after result() returns
 * reuses it (a submit-then-wait loop runs one thread).  But publishing
 * runs the future's done-callbacks on this worker, and a callback may
 * submit to this pool and wait.  So just before the first callback runs
 * the worker takes the step stand_down(): it takes its token back, and if
 * a submit already took it — that submit counts on this worker, now busy
 * in user code — it starts a worker in its place while there is room.
 * A task that submits and waits needs nothing more: a running worker has
 * no token out, so its submit starts a worker.
 *
 * Lifetime: the pool is reference counted, one reference for the owner and
 * one per live worker, so a worker may outlive cf_pool_destroy (dropped
 * inside its own task) and the last one out frees the pool.
 *
 * Threads: each worker record is `claimed` once, under `lock`, by the one
 * party that will reap it: a joiner (shutdown with wait, from outside the
 * pool) or destroy, which detaches it.  A detached worker frees its own
 * record at exit; a joined one is freed by its joiner.  External joiners
 * are serialised by join_lock, so a second shutdown(wait) returns only
 * after every worker is joined.  A worker never joins (no self-join, no
 * worker-joins-worker cycle).
 *
 * Worker hooks: worker_init runs on each new worker before its first item;
 * its failure sets `broken` (once, for good).  Submits check it first; a
 * worker loads it for every item it takes and, once set, fails the item
 * (CF_TASK_BROKEN) instead of running it.  A submit racing with the break
 * may still queue an item: the workers stay, so it is failed, not lost.
 *
 * Locks: `lock` guards the worker list, the records' flags, `shut_down`
 * and `spawned`; it is never held while user code runs, and no queue or
 * future call is made while holding it.  join_lock is held only around
 * pthread_join and never taken by a worker.
 */
#include "internal.h"

#include <bsd/string.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define NAME_MAX_LEN 15 /* Linux thread names: 16 bytes with the NUL */

struct worker {
  TAILQ_ENTRY(worker) link;
  cf_pool *pool;
  pthread_t tid;
  unsigned index;
  bool claimed;  /* a joiner or destroy owns reaping it */
  bool detached; /* destroy detached it: it frees its own record */
  bool exited;   /* worker_main has finished with the pool */
};
TAILQ_HEAD(worker_list, worker);

struct cf_pool {
  cf_queue *queue;
  pthread_mutex_t lock;
  pthread_mutex_t join_lock;
  struct worker_list workers; /* guarded by lock */
  atomic_size_t threads;      /* live workers; written under lock */
  atomic_long idle_tokens;
  atomic_int refs;
  atomic_bool broken; /* a worker_init failed; never cleared */
  size_t max_workers;
  cf_worker_init_fn worker_init;
  cf_worker_fn worker_fini;
  cf_worker_fn context_release;
  void *context;
  unsigned spawned; /* guarded by lock; names workers 1, 2, ... */
  bool shut_down;   /* guarded by lock */
  char prefix[NAME_MAX_LEN + 1];
};

/* The length of the longest start of s (NUL-terminated) that fits in
 * `max` bytes and ends at a UTF-8 character boundary: a cut never leaves
 * half a character (a continuation byte is 10xxxxxx). */
static size_t utf8_fit(const char *s, size_t max) {
  size_t n = strnlen(s, max + 1);
  if (n <= max)
    return n;
  n = max;
  while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
    n--; /* s[n] would start the next byte kept: back off to a lead byte */
  return n;
}

static _Thread_local const cf_pool *current_pool;

/* The broken flag's only accessors (one drd suppression names them). */
static bool is_broken(const cf_pool *p) {
  return atomic_load_explicit(&p->broken, memory_order_acquire);
}
static void mark_broken(cf_pool *p) {
  atomic_store_explicit(&p->broken, true, memory_order_release);
}

int cf_pool_create(const cf_pool_options *o, cf_pool **out) {
  if (o == NULL || out == NULL || o->max_workers == 0 ||
      o->queue_capacity == 0)
    return EINVAL;
  cf_pool *p = cf__calloc(1, sizeof *p);
  if (p == NULL)
    return ENOMEM;
  int rc = cf_queue_create(o->queue_capacity, &p->queue);
  if (rc != 0) {
    free(p);
    return rc;
  }
  cf__mutex_init(&p->lock);
  cf__mutex_init(&p->join_lock);
  TAILQ_INIT(&p->workers);
  atomic_init(&p->threads, 0);
  atomic_init(&p->idle_tokens, 0);
  atomic_init(&p->refs, 1);
  atomic_init(&p->broken, false);
  p->max_workers = o->max_workers;
  p->worker_init = o->worker_init;
  p->worker_fini = o->worker_fini;
  p->context_release = o->context_release;
  p->context = o->context;
  const char *prefix = o->thread_name_prefix ? o->thread_name_prefix
                                             : "cf-pool";
  size_t keep = utf8_fit(prefix, NAME_MAX_LEN);
  memcpy(p->prefix, prefix, keep);
  p->prefix[keep] = '\0';
  *out = p;
  return 0;
}

/* Every accepted item that did not run is cancelled and released, so no
 * waiter hangs and no arg leaks.  A future-less item has nobody to tell of
 * a cancellation (it is a Swift Concurrency job: its Task would hang), so
 * it is run instead, on this thread. */
static void cancel_item(cf_item *it) {
  if (it->future != NULL) {
    cf_future_cancel(it->future);
    cf_future_set_running_or_notify_cancel(it->future);
  } else {
    it->fn(it->arg, CF_TASK_RUN);
  }
  /* The future's reference first: RELEASE may free an embedded future's
   * storage (it is its owner's), so nothing touches it after. */
  if (it->future != NULL)
    cf__future_release(it->future);
  it->fn(it->arg, CF_TASK_RELEASE);
}

static void free_pool(cf_pool *p) {
  cf_item it;
  /* Workers drain the queue before they exit; this finds nothing unless
   * that promise is broken, and then it still cancels rather than loses. */
  while (cf_queue_poll(p->queue, &it) == 0)
    cancel_item(&it);
  struct worker *w, *next;
  TAILQ_FOREACH_SAFE(w, &p->workers, link, next) free(w);
  cf_queue_destroy(p->queue);
  if (p->context_release != NULL)
    p->context_release(p->context);
  pthread_mutex_destroy(&p->join_lock);
  pthread_mutex_destroy(&p->lock);
  free(p);
}

static void release_ref(cf_pool *p) {
  if (atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) == 1)
    free_pool(p);
}

/* ------------------------------------------------------------- workers */

static void set_thread_name(const cf_pool *p, unsigned index) {
  char suffix[16];
  int digits = snprintf(suffix, sizeof suffix, "-%u", index);
  char name[NAME_MAX_LEN + 1];
  size_t keep = utf8_fit(p->prefix, NAME_MAX_LEN - (size_t)digits);
  memcpy(name, p->prefix, keep);
  name[keep] = '\0';
  strlcat(name, suffix, sizeof name);
  pthread_setname_np(pthread_self(), name);
}

/* stand_down's context: the pool, and whether the worker has a token out. */
struct standing {
  cf_pool *pool;
  bool token_out;
};

static int start_worker(cf_pool *p);
static bool take_idle_token(cf_pool *p);
static bool may_grow(const cf_pool *p);

/* The liveness step (see the top of this file): the calling worker
 * advertised itself idle and is about to run user callbacks, which may
 * submit to this pool and wait.  It withdraws its token; if a submit
 * already took it, it starts a worker to run that submit's item instead. */
static void stand_down(void *ctx) {
  struct standing *s = ctx;
  if (!s->token_out)
    return;
  s->token_out = false; /* the loop adds a token again once idle */
  cf_pool *p = s->pool;
  if (take_idle_token(p))
    return; /* withdrawn: nobody counted on us */
  cf__lock(&p->lock);
  if (!p->shut_down && atomic_load(&p->threads) < p->max_workers)
    (void)start_worker(p); /* a failure leaves the live workers to it */
  cf__unlock(&p->lock);
}

/* Runs one item on a worker.  Returns true when this worker has an idle
 * token out: one finishing a task with the queue empty adds it before it
 * publishes the result, and stand_down takes it back before callbacks. */
static bool run_item(cf_pool *p, const cf_item *it) {
  if (it->future == NULL) {
    it->fn(it->arg, CF_TASK_RUN);
    it->fn(it->arg, CF_TASK_RELEASE);
    return false;
  }
  cf__future_expire_if_late(it->future); /* must-start-by deadline */
  if (cf_future_set_running_or_notify_cancel(it->future) != 0) {
    cf__future_release(it->future); /* cancelled: skipped, once */
    it->fn(it->arg, CF_TASK_RELEASE);
    return false;
  }
  cf__current_future = it->future;
  it->fn(it->arg, is_broken(p) ? CF_TASK_BROKEN : CF_TASK_RUN);
  cf__current_future = NULL;
  struct standing standing = {.pool = p, .token_out = false};
  if (may_grow(p) && cf__queue_looks_empty(p->queue)) {
    atomic_fetch_add_explicit(&p->idle_tokens, 1, memory_order_release);
    standing.token_out = true;
  }
  cf__future_finish(it->future, stand_down, &standing);
  cf__future_release(it->future); /* before RELEASE: see cancel_item */
  it->fn(it->arg, CF_TASK_RELEASE);
  return standing.token_out;
}

static void worker_exit(struct worker *w) {
  cf_pool *p = w->pool;
  cf__lock(&p->lock);
  w->exited = true;
  atomic_fetch_sub(&p->threads, 1);
  bool free_self = w->detached;
  if (free_self)
    TAILQ_REMOVE(&p->workers, w, link);
  cf__unlock(&p->lock);
  if (free_self)
    free(w);
  release_ref(p);
}

static void *worker_main(void *arg) {
  struct worker *w = arg;
  cf_pool *p = w->pool;
  set_thread_name(p, w->index);
  current_pool = p;
  /* A worker whose init fails stays, failing items, until the queue
   * closes: leaving would break "a queued item always has a worker".  A
   * worker started after the break skips its init: it is not initialised,
   * so it runs no fini either. */
  bool initialised = p->worker_init == NULL;
  if (p->worker_init != NULL && !is_broken(p)) {
    if (p->worker_init(p->context) == 0)
      initialised = true;
    else
      mark_broken(p);
  }
  cf_item it;
  /* One idle token per idle period.  A new worker starts as if it had
   * counted one: it is reserved for the item of the submit that started
   * it, and a token now would send that submit's successor to a worker
   * that is about to be busy. */
  bool counted_idle = true;
  for (;;) {
    int rc = cf_queue_poll(p->queue, &it);
    if (rc == EAGAIN) {
      if (!counted_idle && may_grow(p))
        atomic_fetch_add_explicit(&p->idle_tokens, 1, memory_order_release);
      counted_idle = true;
      rc = cf_queue_take(p->queue, &it, NULL);
    }
    if (rc != 0)
      break; /* closed and drained */
    counted_idle = run_item(p, &it);
  }
  if (initialised && p->worker_fini != NULL)
    p->worker_fini(p->context);
  current_pool = NULL;
  worker_exit(w);
  return NULL;
}

/* Called with p->lock held and fewer than max_workers live. */
static int start_worker(cf_pool *p) {
  struct worker *w = cf__calloc(1, sizeof *w);
  if (w == NULL)
    return ENOMEM;
  w->pool = p;
  w->index = p->spawned + 1;
  atomic_fetch_add(&p->refs, 1);
  atomic_fetch_add(&p->threads, 1);
  TAILQ_INSERT_TAIL(&p->workers, w, link);
  int rc = cf__thread_start_should_fail()
               ? EAGAIN
               : pthread_create(&w->tid, NULL, worker_main, w);
  if (rc != 0) {
    TAILQ_REMOVE(&p->workers, w, link);
    atomic_fetch_sub(&p->threads, 1);
    atomic_fetch_sub(&p->refs, 1); /* the owner's ref is still held */
    free(w);
    return EAGAIN;
  }
  p->spawned++;
  return 0;
}

/* True while the pool may still start a worker.  Threads never leave
 * before shutdown, so once it is false it stays false, and the idle-token
 * bookkeeping (which only decides whether to start one) is skipped. */
static bool may_grow(const cf_pool *p) {
  return atomic_load_explicit(&p->threads, memory_order_relaxed) <
         p->max_workers;
}

static bool take_idle_token(cf_pool *p) {
  long n = atomic_load_explicit(&p->idle_tokens, memory_order_relaxed);
  while (n > 0) {
    if (atomic_compare_exchange_weak_explicit(&p->idle_tokens, &n, n - 1,
                                              memory_order_acquire,
                                              memory_order_relaxed))
      return true;
  }
  return false;
}

/* Starts a worker when none is idle and there is room; *started says
 * whether it did (or took an idle worker's token: either way a worker is
 * reserved for this item, and gets its token back if the item never
 * comes).  Fails only when the pool is shut down or no worker
 * exists and none could start.  The worker starts before the item is
 * queued, so that a failed start can refuse the submit with nothing
 * queued. */
static int ensure_worker(cf_pool *p, bool *started) {
  *started = false;
  if (!may_grow(p))
    return 0; /* every worker is there: nothing to decide */
  if (take_idle_token(p)) {
    *started = true; /* an idle worker counts as reserved for this item */
    return 0;
  }
  if (atomic_load_explicit(&p->threads, memory_order_relaxed) >=
      p->max_workers)
    return 0;
  int rc = 0;
  cf__lock(&p->lock);
  if (p->shut_down) {
    rc = ESHUTDOWN;
  } else if (atomic_load(&p->threads) < p->max_workers) {
    rc = start_worker(p);
    *started = rc == 0;
    if (rc != 0 && atomic_load(&p->threads) > 0)
      rc = 0; /* degraded, but the live workers will run it */
  }
  cf__unlock(&p->lock);
  return rc;
}

int cf_pool_submit(cf_pool *p, cf_task_fn fn, void *arg, cf_future *future,
                   cf_submit_mode mode, const struct timespec *deadline) {
  if (p == NULL || fn == NULL || !cf__deadline_valid(deadline) ||
      (mode != CF_SUBMIT_BLOCK && mode != CF_SUBMIT_TRY))
    return EINVAL;
  if (is_broken(p))
    return ENOTRECOVERABLE;
  bool started;
  int rc = ensure_worker(p, &started);
  if (rc != 0)
    return rc;
  cf_item it = {.fn = fn, .arg = arg, .future = future};
  if (future != NULL)
    cf__future_retain(future); /* the item's reference */
  if (mode == CF_SUBMIT_TRY) {
    rc = cf_queue_offer(p->queue, &it);
    if (rc == EAGAIN)
      rc = ENOBUFS; /* full: EAGAIN means "no worker could start" here */
  } else
    rc = cf_queue_put(p->queue, &it, deadline);
  if (rc != 0) {
    if (future != NULL)
      cf__future_release(future);
    if (started) /* the worker reserved for it stays free */
      atomic_fetch_add_explicit(&p->idle_tokens, 1, memory_order_release);
  }
  return rc;
}

/* ------------------------------------------------------------ shutdown */

static void join_workers(cf_pool *p) {
  cf__lock(&p->join_lock);
  for (;;) {
    cf__lock(&p->lock);
    struct worker *w;
    TAILQ_FOREACH(w, &p->workers, link) {
      if (!w->claimed)
        break;
    }
    if (w != NULL)
      w->claimed = true;
    cf__unlock(&p->lock);
    if (w == NULL)
      break;
    pthread_join(w->tid, NULL);
    cf__lock(&p->lock);
    TAILQ_REMOVE(&p->workers, w, link);
    cf__unlock(&p->lock);
    free(w);
  }
  cf__unlock(&p->join_lock);
}

static void stop_accepting(cf_pool *p) {
  cf__lock(&p->lock);
  p->shut_down = true;
  cf__unlock(&p->lock);
  cf_queue_close(p->queue);
}

int cf_pool_shutdown(cf_pool *p, bool wait, bool cancel_pending) {
  if (p == NULL)
    return EINVAL;
  stop_accepting(p);
  if (cancel_pending) {
    cf_item it;
    while (cf_queue_poll(p->queue, &it) == 0)
      cancel_item(&it);
  }
  if (wait && current_pool != p)
    join_workers(p);
  return 0;
}

/* What a background joiner is handed. */
struct joiner {
  cf_pool *pool;
  void (*done)(void *arg);
  void *arg;
};

static void *joiner_main(void *arg) {
  struct joiner j = *(struct joiner *)arg;
  free(arg);
  pthread_setname_np(pthread_self(), "cf-shutdown");
  join_workers(j.pool);
  j.done(j.arg);
  release_ref(j.pool);
  return NULL;
}

int cf_pool_join_in_background(cf_pool *p, void (*done)(void *arg),
                               void *arg) {
  if (p == NULL || done == NULL)
    return EINVAL;
  struct joiner *j = cf__malloc(sizeof *j);
  if (j == NULL)
    return ENOMEM;
  *j = (struct joiner){.pool = p, .done = done, .arg = arg};
  atomic_fetch_add(&p->refs, 1); /* the joiner's, dropped as it ends */
  pthread_t t;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  int rc = cf__thread_start_should_fail()
               ? EAGAIN
               : pthread_create(&t, &attr, joiner_main, j);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    atomic_fetch_sub(&p->refs, 1);
    free(j);
    return EAGAIN;
  }
  return 0;
}

void cf_pool_destroy(cf_pool *p) {
  if (p == NULL)
    return;
  stop_accepting(p);
  cf__lock(&p->lock);
  struct worker *w, *next;
  TAILQ_FOREACH_SAFE(w, &p->workers, link, next) {
    if (w->claimed)
      continue;
    w->claimed = true;
    w->detached = true;
    pthread_detach(w->tid);
    if (w->exited) {
      TAILQ_REMOVE(&p->workers, w, link);
      free(w);
    }
  }
  cf__unlock(&p->lock);
  release_ref(p);
}

size_t cf_pool_thread_count(cf_pool *p) {
  return p == NULL ? 0 : atomic_load(&p->threads);
}

size_t cf_pool_queue_size(cf_pool *p) {
  return p == NULL ? 0 : cf_queue_size(p->queue);
}

bool cf_pool_is_worker_thread(const cf_pool *p) {
  return p != NULL && current_pool == p;
}

bool cf_pool_is_broken(cf_pool *p) { return p != NULL && is_broken(p); }

void *cf_pool_current_context(void) {
  return current_pool == NULL ? NULL : current_pool->context;
}
