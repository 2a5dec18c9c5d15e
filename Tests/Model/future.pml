/*
 * future.pml — a Promela model of the future state word of
 * Sources/CFutures/future.c and of the protocol that pool.c and waiter.c
 * drive it with.  Checked by scripts/spin-check.sh.
 *
 * The word (one atomic byte here, a uint32_t there):
 *   bits 0-2  the state: PENDING, RUNNING, CANCELLED,
 *             CANCELLED_AND_NOTIFIED (CAN), FINISHED;
 *   WAITING   someone sleeps (or is about to) on a futex on the word;
 *   LOCKED    spin-lock bit guarding the listener list.
 * Every read-modify-write of the word is a CAS on the WHOLE word, so a
 * change of any flag bit makes a concurrent CAS fail and retry, and a
 * futex wait compares the whole word — exactly as in future.c.
 *
 * Processes (each one a thread of the C program):
 *   Worker        run_item: set_running_or_notify_cancel, then run the
 *                 task and finish (CAS RUNNING -> FINISHED, then
 *                 completed()).  NWORKERS=2 adds a second caller of
 *                 set_running_or_notify_cancel for the same future.
 *   Canceller     cf_future_cancel: CAS PENDING -> CANCELLED, completed()
 *                 (NCANCEL=0 leaves it out).
 *   Adder         cf_future_add_done_callback, NCB times: done? run now;
 *                 else lock, done? (unlock, run now) : (link, unlock).
 *   Waiter        cf_future_wait with no deadline: load; done? return;
 *                 (spin: look once more); set WAITING by CAS; futex-wait
 *                 on the value it saw; reload; loop.
 *   Unregisterer  a cf_waiter's node: cf_waiter_add (inflight++, add the
 *                 listener) then cf_waiter_destroy (remove it if still
 *                 linked, else wait until its fn has run: inflight == 0).
 * completed(old) is the completer's "wake if WAITING was set in the old
 * word; lock; detach the list; unlock; run the detached listeners".
 *
 * Not modelled: spurious CAS failure (compare_exchange_weak) and spurious
 * futex wake-ups (both only make a loop go round once more), deadlines
 * (a timed wait only returns earlier), memory ordering (the C code uses
 * acq_rel CAS and acquire loads; TSan checks that part).
 *
 * Properties (the safety pass checks every assert and, by spin's
 * invalid-end-state check, that no process is stuck — e.g. a waiter asleep
 * forever or a lock bit never released):
 *   - a task whose future was cancelled never runs, and cancel returns
 *     true exactly when its CAS won;
 *   - the task runs at most once; a cancelled future is notified once;
 *   - every callback runs exactly once; a waiter node is either unlinked
 *     or run exactly once, never touched after its waiter is freed;
 *   - LTL (separate passes): waiters_woken, cancel_excludes_run,
 *     terminates.
 *
 * Planted bugs, each of which one pass must catch (spin-check.sh
 * --planted):
 *   PLANT_CANCEL_CHECK_THEN_SET  cancel loads PENDING, then stores
 *                                CANCELLED (no CAS);
 *   PLANT_RUN_CHECK_THEN_SET     set_running likewise, two workers;
 *   PLANT_ADD_UNCHECKED          the adder links without looking at the
 *                                state under the lock bit;
 *   PLANT_STALE_WAKE             the completer takes WAITING from a load
 *                                made before its CAS;
 *   PLANT_DETACH_UNLOCKED        the completer detaches without the lock.
 * CHECK_ORDER adds "a callback starts only after every callback added
 * before it started" (spin-check.sh --order): the C code, like CPython,
 * does not guarantee it when an add races with the completion.
 */

#define MASK      7
#define WAITING   8
#define LOCKED    16
#define FLAGS     24   /* WAITING | LOCKED */

#define PENDING   0
#define RUNNING   1
#define CANCELLED 2
#define CAN       3    /* CANCELLED_AND_NOTIFIED */
#define FINISHED  4

#define is_done(s) ((s) == FINISHED || (s) == CANCELLED || (s) == CAN)
#define done_now   is_done(word & MASK)

#ifndef NWORKERS
#define NWORKERS 1
#endif
#ifndef NCANCEL
#define NCANCEL 1      /* run the Canceller (0 or 1) */
#endif
#ifndef NWAITERS
#define NWAITERS 1
#endif
#ifndef NCB
#define NCB 2          /* callbacks added by the Adder: ids 1..NCB */
#endif
#ifndef UNREG
#define UNREG 0        /* run the Unregisterer */
#endif

/* Listener ids: 0 was added before the threads start; 1..NCB by the
 * Adder; WNODE is the Unregisterer's waiter node. */
#define WNODE 3
#define MAXL  4

byte word = PENDING;

/* The listener list, guarded by LOCKED (the ids, in the order linked). */
byte list[MAXL];
byte nlist = 0;
bool linked[MAXL];

/* Ghost state for the properties. */
bool cancel_won = false;   /* set in the same step as the winning CAS */
bool run_won = false;
byte runs = 0;             /* task bodies executed */
byte notified = 0;         /* CANCELLED -> CAN transitions */
byte cb_runs[MAXL];        /* calls of each listener */
byte run_seq = 0;          /* order in which listeners started */
byte cb_started[MAXL];
byte woken = 0;            /* waiters that returned */
bool sleeping[NWAITERS + 1];   /* futex wait queue */
byte inflight = 0;         /* the waiter node's fn may still run */
bool wfreed = false;       /* the waiter (and its node) has been freed */
bool wn_removed = false;
byte finished = 0;         /* threads that reached their end */
bool all_done = false;     /* init saw every thread finish */

/* ------------------------------------------------------------ the word */

/* future.c transition(): CAS loop on the whole word that keeps the flag
 * bits.  ok: the state changed from `from` to `to`; old: the word just
 * before (so its WAITING bit is the one this CAS replaced). */
inline transition(from, to, ok, old, ghost) {
  w = word;
  do
  :: (w & MASK) != from -> ok = false; break
  :: (w & MASK) == from ->
     atomic {
       if
       :: word == w -> old = w; word = (w & FLAGS) | to; ok = true;
          ghost = true
       :: else -> w = word; ok = false   /* failed CAS reloads w */
       fi
     }
     if
     :: ok -> break
     :: else -> skip
     fi
  od
}

/* lock_listeners(): CAS the LOCKED bit in; while it is held by someone
 * else, spin (here: block until it is clear, then reload). */
inline lock_listeners() {
  got = false;
  w = word;
  do
  :: got -> break
  :: !got && (w & LOCKED) == 0 ->
     atomic {
       if
       :: word == w -> word = w | LOCKED; got = true
       :: else -> w = word
       fi
     }
  :: !got && (w & LOCKED) != 0 -> (word & LOCKED) == 0; w = word
  od;
  got = false
}

/* unlock_listeners(): fetch_and(~LOCKED), one atomic step. */
inline unlock_listeners() {
  word = word & (255 - LOCKED)
}

inline futex_wake_all() {
  d_step {
    k = 0;
    do
    :: k < NWAITERS -> sleeping[k] = false; k++
    :: else -> break
    od;
    k = 0
  }
}

/* A listener's fn.  WNODE is waiter.c's on_done: it touches the node and
 * the waiter, then lowers inflight (its last touch). */
inline run_listener(id) {
  atomic {
#ifdef CHECK_ORDER
    /* Everything added before `id` has started already. */
    k = 0;
    do
    :: k < id && k <= NCB -> assert(cb_started[k] > 0); k++
    :: else -> break
    od;
    k = 0;
#endif
    run_seq++;
    cb_started[id] = run_seq;
    cb_runs[id]++;
    assert(cb_runs[id] == 1);
    if
    :: id == WNODE -> assert(!wfreed); inflight--
    :: else -> skip
    fi
  }
}

/* completed(old): the future just became done.  Wake sleepers if the
 * replaced word had WAITING; take the lock bit, detach the whole list,
 * drop the lock bit; run the detached listeners in order. */
inline completed(old) {
  if
  :: (old & WAITING) != 0 -> futex_wake_all()
  :: else -> skip
  fi;
#ifndef PLANT_DETACH_UNLOCKED
  lock_listeners();
#endif
  /* Copying the list is not atomic in C, but nobody else can touch it
   * while we hold the lock bit, so one step here loses nothing.  (The
   * planted bug splits it around a gap instead.) */
  d_step {
    dn = nlist; i = 0;
    do
    :: i < nlist -> det[i] = list[i]; linked[list[i]] = false; i++
    :: else -> break
    od;
    i = 0
  };
#ifdef PLANT_DETACH_UNLOCKED
  nlist = 0;           /* a gap: an adder may link right before this */
#else
  nlist = 0;
  unlock_listeners();
#endif
  do
  :: i < dn -> run_listener(det[i]); i++
  :: else -> break
  od
}

/* cf_future_cancel / cf_future_finish: transition, then completed() with
 * the word the CAS replaced.  The planted stale-wake bug takes the
 * WAITING bit from a load made before the CAS instead. */
inline complete_by(from, to, ok, ghost) {
#ifdef PLANT_STALE_WAKE
  stale = word;
#endif
  transition(from, to, ok, old, ghost);
  if
  :: ok ->
#ifdef PLANT_STALE_WAKE
     completed(stale)
#else
     completed(old)
#endif
  :: else -> skip
  fi
}

/* ----------------------------------------------------------- threads */

proctype Worker() {
  byte w, old, stale, i, k, dn;
  byte det[MAXL];
  bool ok, got, dummy;
  /* cf_future_set_running_or_notify_cancel */
#ifdef PLANT_RUN_CHECK_THEN_SET
  /* Bug: check PENDING, then set RUNNING, in two steps. */
  w = word;
  if
  :: (w & MASK) == PENDING ->
     atomic { word = (word & FLAGS) | RUNNING; ok = true; run_won = true }
  :: else -> ok = false
  fi;
#else
  transition(PENDING, RUNNING, ok, old, run_won);
#endif
  if
  :: ok ->
     /* the task body: CF_TASK_RUN */
     atomic {
       assert(!cancel_won);
       assert((word & MASK) == RUNNING);
       runs++;
       assert(runs == 1)
     };
     complete_by(RUNNING, FINISHED, ok, dummy);   /* cf_future_finish */
     assert(ok)
  :: else ->
     transition(CANCELLED, CAN, ok, old, dummy);
     if
     :: ok -> atomic { notified++; assert(notified == 1); assert(runs == 0) }
     :: else -> skip                               /* EINVAL */
     fi
  fi;
  finished++
}

proctype Canceller() {
  byte w, old, stale, i, k, dn, s;
  byte det[MAXL];
  bool ok, got, rc;
#ifdef PLANT_CANCEL_CHECK_THEN_SET
  /* Bug: check the state, then set it, in two steps. */
  w = word;
  if
  :: (w & MASK) == PENDING ->
     atomic {
       old = word; word = (word & FLAGS) | CANCELLED; ok = true;
       cancel_won = true
     };
     completed(old)
  :: else -> ok = false
  fi;
#else
  complete_by(PENDING, CANCELLED, ok, cancel_won);
#endif
  if
  :: ok -> rc = true
  :: else -> s = word & MASK; rc = (s == CANCELLED || s == CAN)
  fi;
  /* One canceller: true exactly when its own CAS won. */
  assert(rc == cancel_won);
  assert(!rc || runs == 0);
  finished++
}

proctype Adder() {
  byte w, k, id = 1;
  bool got;
  do
  :: id <= NCB ->
     /* cf_future_add_done_callback: the fast path... */
     w = word;
     if
     :: is_done(w & MASK) -> run_listener(id)
     :: else ->
        /* ...else cf__future_add_listener */
        lock_listeners();
#ifdef PLANT_ADD_UNCHECKED
        /* Bug: link without looking at the state under the lock. */
        list[nlist] = id; nlist++; linked[id] = true;
        unlock_listeners()
#else
        w = word;
        if
        :: is_done(w & MASK) -> unlock_listeners(); run_listener(id)
        :: else ->
           list[nlist] = id; nlist++; linked[id] = true;
           unlock_listeners()
        fi
#endif
     fi;
     id++
  :: else -> break
  od;
  finished++
}

proctype Waiter(byte me) {
  byte w;
  bool ok;
  w = word;
  if
  :: is_done(w & MASK) -> goto out
  :: else -> skip
  fi;
  /* spin before parking: some loads of the state (one suffices here) */
  if
  :: done_now -> goto out
  :: else -> w = word
  fi;
  do
  :: is_done(w & MASK) -> break
  :: else ->
     if
     :: (w & WAITING) == 0 ->
        atomic {
          if
          :: word == w -> word = w | WAITING; w = w | WAITING; ok = true
          :: else -> w = word; ok = false
          fi
        }
     :: else -> ok = true
     fi;
     if
     :: ok ->
        /* futex(FUTEX_WAIT_BITSET, w): sleeps only if word still == w */
        atomic {
          if
          :: word == w -> sleeping[me] = true
          :: else -> skip
          fi
        };
        !sleeping[me];       /* until a FUTEX_WAKE */
        w = word
     :: else -> skip
     fi
  od;
out:
  woken++;
  finished++
}

proctype Unregisterer() {
  byte w, i, k;
  bool was, got;
  /* cf_waiter_add: inflight++ (under the waiter's lock), then
   * cf__future_add_listener(node) */
  inflight++;
  lock_listeners();
  w = word;
  if
  :: is_done(w & MASK) -> unlock_listeners(); run_listener(WNODE)
  :: else ->
     list[nlist] = WNODE; nlist++; linked[WNODE] = true;
     unlock_listeners()
  fi;
  /* cf_waiter_destroy: cf__future_remove_listener, then wait for
   * inflight == 0, then free. */
  lock_listeners();
  d_step {
    was = linked[WNODE];
    if
    :: was ->
       i = 0;
       do
       :: list[i] == WNODE -> break
       :: else -> i++
       od;
       do
       :: i + 1 < nlist -> list[i] = list[i + 1]; i++
       :: else -> break
       od;
       nlist--;
       linked[WNODE] = false
    :: else -> skip
    fi;
    i = 0
  };
  unlock_listeners();
  if
  :: was -> inflight--; wn_removed = true
  :: else -> skip
  fi;
  (inflight == 0);
  wfreed = true;
  finished++
}

init {
  byte k;
  /* A callback added before anything runs. */
  list[0] = 0; nlist = 1; linked[0] = true;
  atomic {
    k = 0;
    do
    :: k < NWORKERS -> run Worker(); k++
    :: else -> break
    od;
#if NCANCEL
    run Canceller();
#endif
    run Adder();
    k = 0;
    do
    :: k < NWAITERS -> run Waiter(k); k++
    :: else -> break
    od;
#if UNREG
    run Unregisterer();
#endif
    k = 0
  };
  /* (_nr_pr would count a never claim too: count the threads.) */
  (finished == NWORKERS + NCANCEL + 1 + NWAITERS + UNREG);
  /* Everyone has finished: the end state. */
  assert(woken == NWAITERS);
  assert(cancel_won != run_won);             /* exactly one won */
  /* Cancelled: never ran, notified once, ends CANCELLED_AND_NOTIFIED;
   * else ran once and ends FINISHED.  The lock bit is free. */
  assert(cancel_won -> (runs == 0 && notified == 1 && (word & MASK) == CAN)
                    : (runs == 1 && (word & MASK) == FINISHED));
  assert((word & LOCKED) == 0);
  k = 0;
  do
  :: k <= NCB -> assert(cb_runs[k] == 1); k++
  :: else -> break
  od;
#if UNREG
  assert(wn_removed != (cb_runs[WNODE] == 1));
#endif
  assert(nlist == 0 || !is_done(word & MASK));
  all_done = true
}

/* ---------------------------------------------------------------- LTL */

/* Once the future is done, every waiter eventually returns. */
ltl waiters_woken { [] (done_now -> <> (woken == NWAITERS)) }
/* A cancelled task never runs (the ghosts change in the winning steps). */
ltl cancel_excludes_run { [] !(cancel_won && runs > 0) }
/* Every thread finishes: no lost wake-up, no lock bit held forever. */
ltl terminates { <> all_done }
