/*
 * waiter.c — the completion waiter behind as_completed and wait (the C twin
 * of CPython's _Waiter): each watched future gets a listener node that,
 * when the future becomes done, pushes the node onto the waiter's ready
 * ring and wakes the waiter's thread if it sleeps.  Nothing polls.
 *
 * Invariants, under `lock`:
 *   taken <= added <= capacity; ready holds ready_count node indices,
 *   oldest at ready_head; each node is pushed at most once, and a node is
 *   `delivered` once pushed or taken early (below), never both;
 *   inflight counts nodes whose listener fn may still run: raised before a
 *   node is handed to its future, lowered by the fn itself or by a
 *   successful unlink.  destroy waits for inflight == 0, so no fn can
 *   touch a freed waiter.
 * Taking early: a future turns done (its state word) before its listeners
 * run, and they run in the order added — after user callbacks added
 * earlier, which may take their time.  So a next() whose deadline has
 * passed with nothing ready looks for a node whose future is already done
 * and takes it at once; its listener, when it comes, then pushes nothing.
 * A done future is never reported as unfinished.
 *
 * Lock order: a listener fn takes `lock` while no future's lock bit is held
 * (futures run listeners outside their lock bit), so no two locks nest.
 */
#include "internal.h"

#include <errno.h>

struct node {
  struct cf__listener listener;
  cf_waiter *waiter;
  cf_future *future;
  size_t tag;
  bool delivered; /* pushed onto ready, or taken early; under lock */
};

struct cf_waiter {
  pthread_mutex_t lock;
  pthread_cond_t cond;
  size_t capacity;
  size_t added;
  size_t taken;
  size_t inflight;
  size_t sleepers;
  size_t ready_head;
  size_t ready_count;
  size_t *ready; /* ring of node indices, capacity long */
  struct node *nodes;
};

int cf_waiter_create(size_t capacity, cf_waiter **out) {
  if (capacity == 0 || out == NULL ||
      capacity > SIZE_MAX / sizeof(struct node))
    return EINVAL;
  cf_waiter *w = cf__calloc(1, sizeof *w);
  if (w == NULL)
    return ENOMEM;
  w->ready = cf__malloc(capacity * sizeof(size_t));
  w->nodes = cf__malloc(capacity * sizeof(struct node));
  if (w->ready == NULL || w->nodes == NULL) {
    free(w->ready);
    free(w->nodes);
    free(w);
    return ENOMEM;
  }
  w->capacity = capacity;
  cf__mutex_init(&w->lock);
  cf__cond_init_monotonic(&w->cond);
  *out = w;
  return 0;
}

/* A node's waiter, read by the completer: written by cf_waiter_add before
 * it links the node under the future's LOCKED bit, read after the
 * completer took that bit (acquire), so ordered by the state word alone —
 * which drd cannot see; its one suppression names this function. */
__attribute__((noinline)) static cf_waiter *node_waiter(const struct node *n) {
  return n->waiter;
}

/* Listener fn: runs once per node, on the completing thread (or on the
 * adding thread when the future was already done). */
static void on_done(void *arg, cf_future *future) {
  (void)future;
  struct node *n = arg;
  cf_waiter *w = node_waiter(n);
  cf__lock(&w->lock);
  if (!n->delivered) {
    n->delivered = true;
    size_t slot = (w->ready_head + w->ready_count) % w->capacity;
    w->ready[slot] = (size_t)(n - w->nodes);
    w->ready_count++;
  }
  w->inflight--;
  if (w->sleepers > 0)
    cf__broadcast(&w->cond); /* the user's thread, or destroy */
  cf__unlock(&w->lock);
  /* From here on `w` may be freed by destroy: touch nothing. */
}

int cf_waiter_add(cf_waiter *w, cf_future *f, size_t tag) {
  if (w == NULL || f == NULL)
    return EINVAL;
  cf__lock(&w->lock);
  if (w->added == w->capacity) {
    cf__unlock(&w->lock);
    return ENOSPC;
  }
  struct node *n = &w->nodes[w->added++];
  w->inflight++;
  cf__unlock(&w->lock);

  n->waiter = w;
  n->future = f;
  n->tag = tag;
  n->delivered = false;
  n->listener.fn = on_done;
  n->listener.arg = n;
  n->listener.kind = CF__NODE;
  n->listener.linked = false;
  cf__future_retain(f); /* dropped by cf_waiter_destroy */
  cf__future_add_notice(f, &n->listener);
  return 0;
}

/* Called with `lock` held, the deadline passed and nothing ready: takes a
 * node whose future is done though its listener has not run yet (see the
 * top of this file).  O(added), on the timeout path only. */
static bool take_early(cf_waiter *w, size_t *tag) {
  for (size_t i = 0; i < w->added; i++) {
    struct node *n = &w->nodes[i];
    if (!n->delivered && cf_future_is_done(n->future)) {
      n->delivered = true;
      w->taken++;
      *tag = n->tag;
      return true;
    }
  }
  return false;
}

int cf_waiter_next(cf_waiter *w, const struct timespec *deadline,
                   size_t *tag) {
  if (w == NULL || tag == NULL || !cf__deadline_valid(deadline))
    return EINVAL;
  int rc = 0;
  cf__lock(&w->lock);
  while (w->ready_count == 0 && w->taken < w->added && rc == 0) {
    w->sleepers++;
    rc = cf__cond_wait(&w->cond, &w->lock, deadline);
    w->sleepers--;
  }
  if (w->ready_count > 0) {
    size_t index = w->ready[w->ready_head];
    w->ready_head = (w->ready_head + 1) % w->capacity;
    w->ready_count--;
    w->taken++;
    *tag = w->nodes[index].tag;
    rc = 0;
  } else if (w->taken == w->added) {
    rc = ENOENT;
  } else if (take_early(w, tag)) {
    rc = 0;
  }
  cf__unlock(&w->lock);
  return rc;
}

size_t cf_waiter_remaining(const cf_waiter *w) {
  if (w == NULL)
    return 0;
  cf_waiter *mw = (cf_waiter *)w;
  cf__lock(&mw->lock);
  size_t n = mw->added - mw->taken;
  cf__unlock(&mw->lock);
  return n;
}

void cf_waiter_destroy(cf_waiter *w) {
  if (w == NULL)
    return;
  cf__lock(&w->lock);
  size_t added = w->added;
  cf__unlock(&w->lock);
  for (size_t i = 0; i < added; i++) {
    struct node *n = &w->nodes[i];
    if (cf__future_remove_notice(n->future, &n->listener)) {
      cf__lock(&w->lock);
      w->inflight--;
      cf__unlock(&w->lock);
    }
  }
  cf__lock(&w->lock);
  while (w->inflight > 0) {
    w->sleepers++;
    cf__cond_wait(&w->cond, &w->lock, NULL);
    w->sleepers--;
  }
  cf__unlock(&w->lock);
  for (size_t i = 0; i < added; i++)
    cf__future_release(w->nodes[i].future);
  pthread_cond_destroy(&w->cond);
  pthread_mutex_destroy(&w->lock);
  free(w->ready);
  free(w->nodes);
  free(w);
}
