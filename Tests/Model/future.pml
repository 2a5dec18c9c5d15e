/*
 * future.pml — a Promela model of the future state word of
 * Sources/CFutures/future.c and of the protocol that pool.c and waiter.c
 * drive it with.  Checked by scripts/spin-check.sh.
 *
 * The word (one atomic byte here, a uint32_t there):
 *   bits 0-2  the state: PENDING, RUNNING, CANCELLED,
 *             CANCELLED_AND_NOTIFIED (CAN), FINISHED;
 *   WAITING   someone sleeps (or is about to) on a futex on the word;
 *   LOCKED    spin-lock bit guarding the listener list;
 *   CALLING   the completer still runs listeners: set by the CAS that makes
 *             the future done, cleared under LOCKED once the list is empty;
 *   EXPIRED   set with CANCELLED by a worker whose item's must-start-by
 *             deadline passed (cf__future_expire_if_late).
 * Every read-modify-write of the word is a CAS (or fetch_and) on the WHOLE
 * word, so a change of any flag bit makes a concurrent CAS fail and retry,
 * and a futex wait compares the whole word — as in future.c.
 *
 * Processes (each one a thread of the C program):
 *   Worker        run_item: (EXPIRE=1: maybe expire the late item, a CAS
 *                 PENDING -> CANCELLED|EXPIRED|CALLING and completed());
 *                 set_running_or_notify_cancel; run the task; finish (CAS
 *                 RUNNING -> FINISHED|CALLING, completed()).  NWORKERS=2
 *                 adds a second caller of set_running for the same future.
 *   Canceller     cf_future_cancel: CAS PENDING -> CANCELLED|CALLING,
 *                 completed() (NCANCEL=0 leaves it out).
 *   Adder         cf_future_add_done_callback, NCB times: done and not
 *                 CALLING? run now; else lock, (done and not CALLING)?
 *                 (unlock, run now) : (link at the tail, unlock).
 *   Waiter        cf_future_wait with no deadline: load; done? return;
 *                 (spin: look once more); set WAITING by CAS; futex-wait
 *                 on the value it saw; reload; loop.
 *   Unregisterer  a cf_waiter's node, a notice: cf_waiter_add (inflight++,
 *                 cf__future_add_notice: done? run now, CALLING or not;
 *                 else link on the notice list) then cf_waiter_destroy
 *                 (unlink it if still linked, else wait until its fn has
 *                 run: inflight == 0).
 * completed(old): wake all sleepers if WAITING was set in the word the CAS
 * replaced; pop and run the notice (if linked); then loop { lock; callback
 * list empty? (clear CALLING, unlock, return) : (pop the head, unlock, run
 * it) }.  The callback added first (id 0)
 * adds one more from inside itself (NESTED=1): it must be queued behind
 * the others and run by the completer.
 *
 * Not modelled: spurious CAS failure (compare_exchange_weak) and spurious
 * futex wake-ups (both only make a loop go round once more), deadlines
 * of waits (a timed wait only returns earlier), memory ordering (the C
 * code uses acq_rel CAS and acquire loads; TSan checks that part).
 *
 * Properties (the safety pass checks every assert and, by spin's
 * invalid-end-state check, that no process is stuck — e.g. a waiter asleep
 * forever or a lock bit never released):
 *   - a task whose future was cancelled (or expired) never runs; cancel
 *     returns true exactly when the future ends cancelled;
 *   - the task runs at most once; a cancelled future is notified once;
 *   - every callback runs exactly once, and starts only after every
 *     callback added before it (by the same thread, or before the
 *     threads started, or from inside an earlier callback) started;
 *   - a waiter node is either unlinked or run exactly once, and never
 *     touched after its waiter is freed; linked before completion, it runs
 *     before any callback starts; added once the future is done, it runs
 *     at once (a waiter never queues behind a slow callback);
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
 *   PLANT_ADD_IGNORES_CALLING    the adder runs its callback at once when
 *                                the future is done, even while the
 *                                completer still runs earlier ones;
 *   PLANT_STALE_WAKE             the completer takes WAITING from a load
 *                                made before its CAS;
 *   PLANT_CLEAR_CALLING_UNLOCKED the completer clears CALLING after
 *                                dropping the lock bit;
 *   PLANT_NOTICE_AS_CALLBACK     the waiter node is a callback (the old
 *                                protocol): linked behind the callbacks,
 *                                and not run at once while CALLING.
 */

/* NOASSERTS drops the model's own assertions, so that a pass shows what
 * an LTL claim alone catches (pan -A would drop the claim's too). */
#ifdef NOASSERTS
#define assert(x) skip
#endif

#define MASK      7
#define NOTMASK   248  /* every flag bit */
#define WAITING   8
#define LOCKED    16
#define CALLING   32
#define EXPIRED   64

#define PENDING   0
#define RUNNING   1
#define CANCELLED 2
#define CAN       3    /* CANCELLED_AND_NOTIFIED */
#define FINISHED  4

#define is_done(s) ((s) == FINISHED || (s) == CANCELLED || (s) == CAN)
#define done_now   is_done(word & MASK)
/* add_done_callback may run a callback itself only then */
#define may_run_now(w) (is_done((w) & MASK) && ((w) & CALLING) == 0)

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
#ifndef NESTED
#define NESTED 1       /* callback 0 adds callback NEST from inside */
#endif
#ifndef EXPIRE
#define EXPIRE 0       /* the worker may find its item late */
#endif

/* Listener ids: 0 was added before the threads start; 1..NCB by the
 * Adder; WNODE is the Unregisterer's waiter node; NEST is added by
 * callback 0 while it runs. */
#define WNODE 3
#define NEST  4
#define MAXL  5

byte word = PENDING;

/* The listener list, guarded by LOCKED: ids in the order linked. */
byte list[MAXL];
byte nlist = 0;
bool linked[MAXL];
/* The notice list, also guarded by LOCKED: only WNODE is ever on it. */
bool wnode_noticed = false;

/* Ghost state for the properties. */
bool cancel_won = false;   /* set in the same step as the winning CAS */
bool expire_won = false;
bool run_won = false;
byte runs = 0;             /* task bodies executed */
byte notified = 0;         /* CANCELLED -> CAN transitions */
byte cb_runs[MAXL];        /* calls of each listener */
bool cb_started[MAXL];
bool nest_added = false;
byte woken = 0;            /* waiters that returned */
bool sleeping[NWAITERS + 1]; /* futex wait queue */
byte inflight = 0;         /* the waiter node's fn may still run */
bool wfreed = false;       /* the waiter (and its node) has been freed */
bool wn_removed = false;
byte finished = 0;         /* threads that reached their end */
bool all_done = false;     /* init saw every thread finish */

/* ------------------------------------------------------------ the word */

/* future.c transition(): CAS loop on the whole word that keeps the flag
 * bits and ORs in `to` (which may carry CALLING / EXPIRED).  ok: the state
 * changed from `from`; old: the word just before (so its WAITING bit is
 * the one this CAS replaced). */
inline transition(from, to, ok, old, ghost) {
  w = word;
  do
  :: (w & MASK) != from -> ok = false; break
  :: (w & MASK) == from ->
     atomic {
       if
       :: word == w -> old = w; word = (w & NOTMASK) | to; ok = true;
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

/* lock_listeners(): CAS the LOCKED bit in; while someone else holds it,
 * spin (here: block until it is clear, then reload). */
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

/* Links `id` at the tail; the caller holds the lock bit. */
inline link_tail(id) {
  d_step { list[nlist] = id; nlist++; linked[id] = true }
}

/* A listener's fn starts (ghost checks), in one step. */
inline listener_starts(id) {
  atomic {
    /* In the order added: everything added before `id` has started
     * (callbacks 0..NCB are added in that order; NEST after 0). */
    if
    :: id <= NCB ->
       k = 0;
       do
       :: k < id -> assert(cb_started[k]); k++
       :: else -> break
       od;
       k = 0
    :: id == NEST -> assert(cb_started[0])
    :: else -> skip
    fi;
    cb_started[id] = true;
    cb_runs[id]++;
    assert(cb_runs[id] == 1);
    if
    :: id == WNODE -> assert(!wfreed); inflight--  /* on_done's last touch */
    :: else -> skip
    fi
  }
}

/* cf_future_add_done_callback(id) from inside a running callback (the
 * completer's thread): the future is done and CALLING is set, so it links
 * — unless the planted bug runs it at once.  Only callback 0 does this,
 * and the nested one does nothing more, so no recursion is needed. */
inline nested_add() {
  w = word;
#ifdef PLANT_ADD_IGNORES_CALLING
  if
  :: is_done(w & MASK) -> listener_starts(NEST)
  :: else ->
#else
  if
  :: may_run_now(w) -> listener_starts(NEST)
  :: else ->
#endif
     lock_listeners();
     w = word;
     if
     :: may_run_now(w) -> unlock_listeners(); listener_starts(NEST)
     :: else -> link_tail(NEST); unlock_listeners()
     fi
  fi;
  nest_added = true
}

inline run_listener(id) {
  listener_starts(id);
#if NESTED
  if
  :: id == 0 -> nested_add()
  :: else -> skip
  fi
#endif
}

/* completed(old): the future just became done with CALLING set.  Wake
 * sleepers if the replaced word had WAITING; then pop and run listeners,
 * oldest first, each outside the lock bit, until the list is empty; then
 * clear CALLING (under the lock bit). */
inline completed(old) {
  if
  :: (old & WAITING) != 0 -> futex_wake_all()
  :: else -> skip
  fi;
  /* The notices first: pop the waiter node if it is linked. */
  lock_listeners();
  if
  :: wnode_noticed ->
     d_step { wnode_noticed = false; linked[WNODE] = false };
     unlock_listeners();
     atomic {
       /* before any callback */
       k = 0;
       do
       :: k <= NCB -> assert(!cb_started[k]); k++
       :: else -> break
       od;
       k = 0
     };
     run_listener(WNODE)
  :: else -> unlock_listeners()
  fi;
  do
  :: true ->
     lock_listeners();
     if
     :: nlist == 0 ->
#ifdef PLANT_CLEAR_CALLING_UNLOCKED
        unlock_listeners();
        word = word & (255 - CALLING);
#else
        word = word & (255 - CALLING);  /* fetch_and, lock bit held */
        unlock_listeners();
#endif
        break
     :: else ->
        d_step {
          node = list[0];
          i = 0;
          do
          :: i + 1 < nlist -> list[i] = list[i + 1]; i++
          :: else -> break
          od;
          nlist--;
          linked[node] = false;
          i = 0
        };
        unlock_listeners();
        run_listener(node);
        node = 0
     fi
  od;
  skip
}

/* cf_future_cancel / cf_future_finish / expire: transition, then
 * completed() with the word the CAS replaced.  The planted stale-wake bug
 * takes the WAITING bit from a load made before the CAS instead. */
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

/* Locals every thread that may complete the future (and so run
 * listeners) needs. */
#define COMPLETER_LOCALS \
  byte w, old, stale, i, k, node; \
  bool ok, got, dummy

/* ----------------------------------------------------------- threads */

proctype Worker() {
  COMPLETER_LOCALS;
#if EXPIRE
  /* cf__future_expire_if_late: the deadline may or may not have passed */
  if
  :: complete_by(PENDING, CANCELLED | EXPIRED | CALLING, ok, expire_won)
  :: true -> skip
  fi;
#endif
  /* cf_future_set_running_or_notify_cancel */
#ifdef PLANT_RUN_CHECK_THEN_SET
  /* Bug: check PENDING, then set RUNNING, in two steps. */
  w = word;
  if
  :: (w & MASK) == PENDING ->
     atomic { word = (word & NOTMASK) | RUNNING; ok = true; run_won = true }
  :: else -> ok = false
  fi;
#else
  transition(PENDING, RUNNING, ok, old, run_won);
#endif
  if
  :: ok ->
     /* the task body: CF_TASK_RUN */
     atomic {
       assert(!cancel_won && !expire_won);
       assert((word & MASK) == RUNNING);
       runs++;
       assert(runs == 1)
     };
     complete_by(RUNNING, FINISHED | CALLING, ok, dummy); /* finish */
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
  COMPLETER_LOCALS;
  byte s;
  bool rc;
#ifdef PLANT_CANCEL_CHECK_THEN_SET
  /* Bug: check the state, then set it, in two steps. */
  w = word;
  if
  :: (w & MASK) == PENDING ->
     atomic {
       old = word; word = (word & NOTMASK) | CANCELLED | CALLING; ok = true;
       cancel_won = true
     };
     completed(old)
  :: else -> ok = false
  fi;
#else
  complete_by(PENDING, CANCELLED | CALLING, ok, cancel_won);
#endif
  if
  :: ok -> rc = true
  :: else -> s = word & MASK; rc = (s == CANCELLED || s == CAN)
  fi;
  /* true exactly when the future ended cancelled (by us, or expired) */
  assert(rc == (cancel_won || expire_won));
  assert(!rc || runs == 0);
  finished++
}

proctype Adder() {
  COMPLETER_LOCALS;
  byte id = 1;
  do
  :: id <= NCB ->
     /* cf_future_add_done_callback: the fast path... */
     w = word;
#ifdef PLANT_ADD_IGNORES_CALLING
     if
     :: is_done(w & MASK) -> run_listener(id)
#else
     if
     :: may_run_now(w) -> run_listener(id)
#endif
     :: else ->
        /* ...else cf__future_add_listener */
        lock_listeners();
#ifdef PLANT_ADD_UNCHECKED
        /* Bug: link without looking at the state under the lock. */
        link_tail(id);
        unlock_listeners()
#else
        w = word;
        if
        :: may_run_now(w) -> unlock_listeners(); run_listener(id)
        :: else -> link_tail(id); unlock_listeners()
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
  COMPLETER_LOCALS;
  bool was;
  /* cf_waiter_add: inflight++ (under the waiter's lock), then
   * cf__future_add_notice(node) */
  inflight++;
  lock_listeners();
  w = word;
#ifdef PLANT_NOTICE_AS_CALLBACK
  if
  :: may_run_now(w) -> unlock_listeners(); run_listener(WNODE)
  :: else -> link_tail(WNODE); unlock_listeners()
  fi;
#else
  if
  :: is_done(w & MASK) -> unlock_listeners(); run_listener(WNODE)
  :: else -> d_step { wnode_noticed = true; linked[WNODE] = true };
     unlock_listeners()
  fi;
#endif
  /* Added once the future was done: it has run, at once. */
  assert(!is_done(w & MASK) || cb_runs[WNODE] == 1);
  /* cf_waiter_destroy: cf__future_remove_listener, then wait for
   * inflight == 0, then free. */
  lock_listeners();
  d_step {
    was = linked[WNODE];
    if
    :: was && wnode_noticed -> wnode_noticed = false; linked[WNODE] = false
    :: was && !wnode_noticed ->
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
  /* exactly one of cancel, expire and run won */
  assert(cancel_won + expire_won + run_won == 1);
  /* Cancelled: never ran, notified once, ends CANCELLED_AND_NOTIFIED;
   * else ran once and ends FINISHED.  EXPIRED only when it expired.  The
   * lock bit is free and the completer has cleared CALLING. */
  assert(run_won -> (runs == 1 && (word & MASK) == FINISHED)
                 : (runs == 0 && notified == 1 && (word & MASK) == CAN));
  assert(((word & EXPIRED) != 0) == expire_won);
  assert((word & (LOCKED | CALLING)) == 0);
  k = 0;
  do
  :: k <= NCB -> assert(cb_runs[k] == 1); k++
  :: else -> break
  od;
#if NESTED
  assert(nest_added && cb_runs[NEST] == 1);
#endif
#if UNREG
  assert(wn_removed != (cb_runs[WNODE] == 1));
#endif
  assert(nlist == 0);
  all_done = true
}

/* ---------------------------------------------------------------- LTL */

/* Once the future is done, every waiter eventually returns. */
ltl waiters_woken { [] (done_now -> <> (woken == NWAITERS)) }
/* A cancelled task never runs (the ghosts change in the winning steps). */
ltl cancel_excludes_run { [] !((cancel_won || expire_won) && runs > 0) }
/* Every thread finishes: no lost wake-up, no lock bit held forever. */
ltl terminates { <> all_done }
