/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the ConcurrentFutures authors */

/*
 * queue.c — a bounded blocking FIFO, the design of Java's ArrayBlockingQueue:
 * a ring of items (take_index, put_index, count), one mutex, two condition
 * variables (not_empty, not_full).
 *
 * Invariants, all under `lock`:
 *   0 <= count <= slots <= capacity;
 *   the items are items[take_index], items[take_index + 1], ... (mod
 *   slots), count of them; put_index == (take_index + count) % slots;
 *   takers_waiting / putters_waiting count threads asleep in take / put.
 *
 * Growth: `capacity` is a bound, not a reservation.  The ring starts with
 * at most INITIAL_SLOTS slots and doubles (up to capacity) when an item
 * arrives with every slot in use, copying the items in order to the front
 * of the new ring; a failed growth refuses that item with ENOMEM.  So the
 * memory follows the most items ever queued at once, not the capacity.
 *
 * Signalling: wake one sleeper at a time, and only one that is needed.
 * A taker with no deadline first spins on the atomic mirrors `available`
 * and `closed_flag`, written under the lock and read without it: one at a
 * time, or two while other takers sleep (`spinning`; the rule and its
 * reason at cf__queue_may_spin).  A putter with no deadline facing a full
 * queue does the same, one at a time (`put_spinning`), on `available`.
 * A sleeper that has been signalled and has not yet taken the lock back
 * is counted in `waking` (`put_waking`).  So a put wakes a taker only when
 *   no taker spins (Go's scheduler wakes a thread only when none spins:
 *       the spinner takes the lock once it sees an item, and then passes
 *       a wake-up on by the same rule if more remain),
 *   some sleeper has not been signalled yet  (takers_waiting > waking),
 *   and the items outnumber the takers already woken  (count > waking).
 * A burst of items on an idle pool still wakes one sleeper per item at
 * once (what a fan-out of blocking calls needs); a stream of items that a
 * woken thread will take wakes nobody more, where a put used to signal
 * again on every item until the woken thread got the lock back (a futex
 * call each).  The same for putters and free slots.  Nothing is missed:
 * each woken thread takes an item or finds the queue empty, and one that
 * takes an item and leaves more behind applies the rule again.  A thread
 * that returns from a wait for any reason (signal, timeout, spurious)
 * counts as a woken one; an undercount only costs a wake.  close
 * broadcasts to both sides.  Every wait sits in a `while` that re-checks
 * its predicate.  Tests/Model/queue.pml model-checks this hand-off (no
 * item left while a taker sleeps, even when the others block in tasks).
 */
#include "internal.h"

#include <errno.h>
#include <string.h>

/* The ring's first size (a build may set it: the fuzzer grows from 1). */
#ifndef CF_QUEUE_INITIAL_SLOTS
#define CF_QUEUE_INITIAL_SLOTS 64
#endif
#define INITIAL_SLOTS CF_QUEUE_INITIAL_SLOTS

struct cf_queue {
  pthread_mutex_t lock;
  pthread_cond_t not_empty;
  pthread_cond_t not_full;
  size_t capacity; /* the bound */
  size_t slots;    /* allocated, <= capacity */
  size_t take_index;
  size_t put_index;
  size_t count;
  size_t takers_waiting;  /* asleep in take, signalled or not */
  size_t putters_waiting; /* asleep in put, signalled or not */
  size_t waking;          /* takers signalled and not yet back */
  size_t put_waking;      /* putters signalled and not yet back */
  bool closed;
  unsigned spinning;                  /* takers spinning now (under lock) */
  bool put_spinning;                  /* a putter spins now (under lock) */
  _Atomic size_t available;           /* mirrors count */
  atomic_bool closed_flag;            /* mirrors closed */
  struct cf__spin_budget spin_budget; /* takers' (spin.c) */
  struct cf__spin_budget put_spin_budget; /* putters' */
  cf_item *items;
};

int cf_queue_create(size_t capacity, cf_queue **out) {
  if (capacity == 0 || out == NULL || capacity > SIZE_MAX / sizeof(cf_item))
    return EINVAL;
  cf_queue *q = cf__calloc(1, sizeof *q);
  if (q == NULL)
    return ENOMEM;
  q->slots = capacity < INITIAL_SLOTS ? capacity : INITIAL_SLOTS;
  q->items = cf__malloc(q->slots * sizeof(cf_item));
  if (q->items == NULL) {
    free(q);
    return ENOMEM;
  }
  q->capacity = capacity;
  atomic_init(&q->available, 0);
  atomic_init(&q->closed_flag, false);
  cf__spin_budget_init(&q->spin_budget);
  cf__spin_budget_init(&q->put_spin_budget);
  cf__mutex_init_adaptive(&q->lock);
  cf__cond_init_monotonic(&q->not_empty);
  cf__cond_init_monotonic(&q->not_full);
  *out = q;
  return 0;
}

void cf_queue_destroy(cf_queue *q) {
  if (q == NULL)
    return;
  pthread_cond_destroy(&q->not_empty);
  pthread_cond_destroy(&q->not_full);
  pthread_mutex_destroy(&q->lock);
  free(q->items);
  free(q);
}

/* Called with the lock held and count == slots < capacity: doubles the
 * ring (up to capacity).  realloc keeps items[0 .. slots) where they were
 * (large rings are moved by remapping pages, not by copying); the items
 * before take_index — the wrapped part — then move to just after the old
 * end, so the ring is contiguous from take_index again.  Returns false,
 * changing nothing, when the memory cannot be had. */
static bool grow(cf_queue *q) {
  size_t slots = q->slots > q->capacity / 2 ? q->capacity : q->slots * 2;
  cf_item *items = cf__realloc(q->items, slots * sizeof(cf_item));
  if (items == NULL)
    return false;
  size_t wrapped =
      q->take_index; /* the ring is full: take_index == put_index */
  size_t room = slots - q->slots;
  if (wrapped <= room) {
    memcpy(items + q->slots, items, wrapped * sizeof(cf_item));
    q->put_index = (q->slots + wrapped) % slots;
  } else { /* capacity cut the doubling short: move the tail instead */
    size_t tail = q->slots - q->take_index;
    memmove(items + slots - tail, items + q->take_index,
            tail * sizeof(cf_item));
    q->take_index = slots - tail;
    q->put_index = wrapped;
  }
  q->items = items;
  q->slots = slots;
  return true;
}

/* Queue signals (not broadcasts), for cf_test_queue_wakes. */
static atomic_long queue_wakes;

long cf_test_queue_wakes(void) {
  return atomic_load_explicit(&queue_wakes, memory_order_relaxed);
}

/* Called with the lock held: wakes a sleeping taker if none spins and
 * the items outnumber the takers already woken (see the top of this
 * file). */
static void wake_taker_if_needed(cf_queue *q) {
  if (!q->spinning && q->takers_waiting > q->waking && q->count > q->waking) {
    q->waking++;
    atomic_fetch_add_explicit(&queue_wakes, 1, memory_order_relaxed);
    cf__signal(&q->not_empty);
  }
}

/* Called with the lock held: wakes a sleeping putter if none spins and
 * the free slots outnumber the putters already woken. */
static void wake_putter_if_needed(cf_queue *q) {
  if (!q->put_spinning && q->putters_waiting > q->put_waking &&
      q->capacity - q->count > q->put_waking) {
    q->put_waking++;
    atomic_fetch_add_explicit(&queue_wakes, 1, memory_order_relaxed);
    cf__signal(&q->not_full);
  }
}

/* Called with the lock held and count < capacity.  Returns 0, or ENOMEM
 * when the ring had to grow and could not. */
static int enqueue(cf_queue *q, const cf_item *item) {
  if (q->count == q->slots && !grow(q))
    return ENOMEM;
  q->items[q->put_index] = *item;
  if (++q->put_index == q->slots)
    q->put_index = 0;
  q->count++;
  atomic_store_explicit(&q->available, q->count, memory_order_release);
  wake_taker_if_needed(q);
  return 0;
}

/* Called with the lock held and count > 0. */
static void dequeue(cf_queue *q, cf_item *out) {
  *out = q->items[q->take_index];
  if (++q->take_index == q->slots)
    q->take_index = 0;
  q->count--;
  atomic_store_explicit(&q->available, q->count, memory_order_relaxed);
  wake_putter_if_needed(q);
}

static bool room_or_closed(const void *ctx) {
  const cf_queue *q = ctx;
  return atomic_load_explicit(&q->available, memory_order_relaxed) <
             q->capacity ||
         atomic_load_explicit(&q->closed_flag, memory_order_relaxed);
}

int cf_queue_put(cf_queue *q, const cf_item *item,
                 const struct timespec *deadline) {
  if (q == NULL || item == NULL || !cf__deadline_valid(deadline))
    return EINVAL;
  int rc = 0;
  struct cf__spin spin = {0};
  cf__lock(&q->lock);
  if (q->count == q->capacity && !q->closed && deadline == NULL &&
      !q->put_spinning) {
    q->put_spinning = true;
    cf__unlock(&q->lock);
    cf__spin_until(room_or_closed, q, &q->put_spin_budget, NULL, &spin);
    cf__lock(&q->lock);
    q->put_spinning = false;
  }
  bool parked = false;
  while (!q->closed && q->count == q->capacity && rc == 0) {
    parked = true;
    q->putters_waiting++;
    rc = cf__cond_wait(&q->not_full, &q->lock, deadline);
    q->putters_waiting--;
    if (q->put_waking > 0)
      q->put_waking--;
  }
  if (parked && !q->closed && q->count < q->capacity)
    cf__spin_parked(&q->put_spin_budget, &spin);
  if (q->closed) {
    rc = ESHUTDOWN;
  } else if (q->count < q->capacity) {
    /* room appeared, even if the deadline passed meanwhile */
    rc = enqueue(q, item);
    wake_putter_if_needed(q); /* room left: pass the wake-up on */
  }
  cf__unlock(&q->lock);
  return rc;
}

int cf_queue_offer(cf_queue *q, const cf_item *item) {
  if (q == NULL || item == NULL)
    return EINVAL;
  int rc = 0;
  cf__lock(&q->lock);
  if (q->closed)
    rc = ESHUTDOWN;
  else if (q->count == q->capacity)
    rc = EAGAIN;
  else
    rc = enqueue(q, item);
  cf__unlock(&q->lock);
  return rc;
}

static bool worth_a_look(const void *ctx) {
  const cf_queue *q = ctx;
  return atomic_load_explicit(&q->available, memory_order_relaxed) > 0 ||
         atomic_load_explicit(&q->closed_flag, memory_order_relaxed);
}

bool cf__queue_may_spin(unsigned spinning, size_t sleeping) {
  return spinning == 0 || (spinning == 1 && sleeping > 0);
}

int cf_queue_take(cf_queue *q, cf_item *out, const struct timespec *deadline) {
  if (q == NULL || out == NULL || !cf__deadline_valid(deadline))
    return EINVAL;
  int rc = 0;
  struct cf__spin spin = {0};
  cf__lock(&q->lock);
  if (q->count == 0 && !q->closed && deadline == NULL &&
      cf__queue_may_spin(q->spinning, q->takers_waiting)) {
    q->spinning++;
    cf__unlock(&q->lock);
    cf__spin_until(worth_a_look, q, &q->spin_budget, NULL, &spin);
    cf__lock(&q->lock);
    q->spinning--;
  }
  bool parked = false;
  while (q->count == 0 && !q->closed && rc == 0) {
    parked = true;
    q->takers_waiting++;
    rc = cf__cond_wait(&q->not_empty, &q->lock, deadline);
    q->takers_waiting--;
    if (q->waking > 0)
      q->waking--;
  }
  if (parked && q->count > 0)
    cf__spin_parked(&q->spin_budget, &spin);
  if (q->count > 0) {
    rc = 0; /* an item appeared, even if the deadline passed meanwhile */
    dequeue(q, out);
    wake_taker_if_needed(q); /* items left: pass the wake-up on */
  } else if (q->closed) {
    rc = ESHUTDOWN;
  }
  cf__unlock(&q->lock);
  return rc;
}

int cf_queue_poll(cf_queue *q, cf_item *out) {
  if (q == NULL || out == NULL)
    return EINVAL;
  /* Empty and open: say so without the lock, from the mirrors a spinning
   * taker reads (Java's LinkedBlockingQueue polls so too).  A worker that
   * finds the queue empty after a task then takes the lock once, in take,
   * not twice.  Nothing is read but the mirrors, so a put racing with this
   * read is simply ordered after the poll. */
  if (!worth_a_look(q))
    return EAGAIN;
  int rc = 0;
  cf__lock(&q->lock);
  if (q->count > 0)
    dequeue(q, out);
  else
    rc = q->closed ? ESHUTDOWN : EAGAIN;
  cf__unlock(&q->lock);
  return rc;
}

bool cf__queue_looks_empty(cf_queue *q) {
  return atomic_load_explicit(&q->available, memory_order_relaxed) == 0;
}

void cf__queue_sleepers(cf_queue *q, size_t *takers, size_t *putters) {
  cf__lock(&q->lock);
  *takers = q->takers_waiting;
  *putters = q->putters_waiting;
  cf__unlock(&q->lock);
}

size_t cf_queue_size(cf_queue *q) {
  if (q == NULL)
    return 0;
  cf__lock(&q->lock);
  size_t n = q->count;
  cf__unlock(&q->lock);
  return n;
}

size_t cf_queue_remaining_capacity(cf_queue *q) {
  if (q == NULL)
    return 0;
  cf__lock(&q->lock);
  size_t n = q->capacity - q->count;
  cf__unlock(&q->lock);
  return n;
}

size_t cf_queue_capacity(const cf_queue *q) {
  return q == NULL ? 0 : q->capacity;
}

void cf_queue_close(cf_queue *q) {
  if (q == NULL)
    return;
  cf__lock(&q->lock);
  if (!q->closed) {
    q->closed = true;
    atomic_store(&q->closed_flag, true);
    cf__broadcast(&q->not_empty);
    cf__broadcast(&q->not_full);
  }
  cf__unlock(&q->lock);
}

bool cf_queue_is_closed(cf_queue *q) {
  if (q == NULL)
    return false;
  cf__lock(&q->lock);
  bool closed = q->closed;
  cf__unlock(&q->lock);
  return closed;
}
