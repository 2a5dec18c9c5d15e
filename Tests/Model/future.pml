/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the ConcurrentFutures authors */

/*
 * future.pml — a Promela model of the future state word of
 * Sources/CFutures/future.c and of the protocol that pool.c and waiter.c
 * drive it with.  Checked by scripts/spin-check.sh.
 *
 * The word (a short here, a uint32_t there; the same bits):
 *   bits 0-2  the state: PENDING, RUNNING, CANCELLED,
 *             CANCELLED_AND_NOTIFIED (CAN), FINISHED;
 *   WAITING   someone sleeps (or is about to) on a futex on the word;
 *   LOCKED    spin-lock bit guarding the listener list;
 *   CALLING   the completer still runs listeners: set by the CAS that makes
 *             the future done (on the full path), cleared under LOCKED by
 *             the round that finds the list empty;
 *   EXPIRED   set with CANCELLED by a worker whose item's must-start-by
 *             deadline passed (cf__future_expire_if_late);
 *   LISTENED  a node was linked: set in the same step that releases LOCKED
 *             after a push (unlock_listeners_setting), never cleared;
 *   DEADLINE  a must-start-by node was linked (set with LISTENED).
 * Every read-modify-write of the word is a CAS (or fetch_and) on the WHOLE
 * word, so a change of any flag bit makes a concurrent CAS fail and retry,
 * and a futex wait compares the whole word — as in future.c.  A word of
 * zero is a PENDING future with nothing linked, which is all an embedded
 * future (zero bytes) is: it changes nothing here, and init starts every
 * configuration from such a word plus what was linked before the threads
 * start.
 *
 * The listener list is one stack, pushed at its head (list[nlist - 1]),
 * of nodes of three kinds: callbacks (ids FIRST..NCB, NEST), the waiter
 * node WNODE (a notice) and the must-start-by node DLINE (a deadline).
 *
 * Processes (each one a thread of the C program):
 *   Worker        run_item: (EXPIRE=1: cf__future_expire_if_late — DEADLINE
 *                 clear? nothing; else lock, look for the deadline node,
 *                 unlock; found and late? CAS PENDING ->
 *                 CANCELLED|EXPIRED|CALLING and completed());
 *                 set_running_or_notify_cancel; run the task; finish: the
 *                 fast path, one CAS of a word that is exactly RUNNING to
 *                 FINISHED (nobody waits, nothing was ever linked, the lock
 *                 bit is free), else the full path (CAS RUNNING ->
 *                 FINISHED|CALLING, completed()).  NWORKERS=2 adds a second
 *                 caller of set_running for the same future.
 *   Canceller     cf_future_cancel: CAS PENDING -> CANCELLED|CALLING,
 *                 completed() (NCANCEL=0 leaves it out).
 *   Adder         cf_future_add_done_callback, NCB times: done and not
 *                 CALLING? run now; else lock, (done and not CALLING)?
 *                 (unlock, run now) : (push, unlock setting LISTENED).
 *   Waiter        cf_future_wait with no deadline: load; done? return;
 *                 (spin: look once more); set WAITING by CAS; futex-wait
 *                 on the value it saw; reload; loop.
 *   Unregisterer  a cf_waiter's node, a notice: cf_waiter_add (inflight++,
 *                 cf__future_add_notice: lock; done? unlock, run now,
 *                 CALLING or not; else push, unlock setting LISTENED) then
 *                 cf_waiter_destroy (cf__future_remove_notice: unlink it if
 *                 still linked, else wait until its fn has run: inflight
 *                 == 0).
 * completed(old): wake all sleepers if WAITING was set in the word the CAS
 * replaced; then rounds: take_round (lock; list empty? clear CALLING,
 * unlock, stop; else pop every node, newest first, marking it unlinked,
 * and push it onto the round's list of its kind, which puts the callbacks
 * back oldest first; unlock); call the round's notices, then its callbacks
 * from the head (oldest first), each outside the lock bit; free its
 * deadline node; next round.  The first callback (FIRST: id 0, added
 * before the threads start, or with PREADD=0 the Adder's first) adds one
 * more, NEST, from inside itself (NESTED=1): when the completer runs
 * FIRST, NEST must be queued behind the others and run by the completer,
 * in a later round; when the Adder ran FIRST itself (done, CALLING clear),
 * NEST runs at once too.
 *
 * Not modelled: spurious CAS failure (compare_exchange_weak) and spurious
 * futex wake-ups (both only make a loop go round once more), deadlines
 * of waits (a timed wait only returns earlier), memory ordering (the C
 * code uses acq_rel CAS and acquire loads; TSan checks that part), the
 * clock (whether a found deadline has passed is a free choice), watches
 * (notices like the waiter node, with a reference count), the pool's
 * before-callbacks hook, and reference counts.  unlock_listeners_setting
 * is a CAS loop that keeps every other bit: one atomic step here, as the
 * fetch_and of unlock_listeners.
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
 *     touched after its waiter is freed; linked before the completer's
 *     first round, it runs in that round, before any callback starts;
 *     added once the future is done, it runs at once (a waiter never
 *     queues behind a slow callback);
 *   - an item expires only if its deadline node is linked (the DEADLINE
 *     bit alone, left by a removed deadline, is a hint); the node is
 *     freed exactly once, by the completer, and the worker reads it only
 *     while it is linked;
 *   - at the end nothing is linked, LOCKED and CALLING are clear;
 *   - LTL (separate passes): waiters_woken, cancel_excludes_run,
 *     terminates.
 * The fast path is not asserted on directly: if it ever wins while a node
 * is linked or a waiter sleeps, a callback never runs, or a waiter or the
 * Unregisterer is stuck, and the checks above fail.
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
 *   PLANT_CLEAR_CALLING_UNLOCKED the last round clears CALLING after
 *                                dropping the lock bit;
 *   PLANT_NOTICE_AS_CALLBACK     the waiter node is a callback (the old
 *                                protocol): sorted among the callbacks,
 *                                and not run at once while CALLING;
 *   PLANT_FAST_IGNORES_LISTENED  finish's fast path CASes RUNNING ->
 *                                FINISHED whatever LISTENED (and DEADLINE)
 *                                say, keeping them;
 *   PLANT_LISTENED_AFTER_UNLOCK  unlock_listeners_setting releases the
 *                                lock bit, then sets LISTENED in a second
 *                                step (not one CAS);
 *   PLANT_ROUND_NEWEST_FIRST     a round runs its callbacks in the order
 *                                popped (newest first), not reversed;
 *   PLANT_EXPIRE_TRUSTS_BIT      expire_if_late takes the DEADLINE bit for
 *                                a deadline without looking for the node.
 */

/* NOASSERTS drops the model's own assertions, so that a pass shows what
 * an LTL claim alone catches (pan -A would drop the claim's too). */
#ifdef NOASSERTS
#define assert(x) skip
#endif

#define MASK      7
#define WAITING   8
#define LOCKED    16
#define CALLING   32
#define EXPIRED   64
#define LISTENED  128
#define DEADLINE  256
#define ALLBITS   511
#define NOTMASK   504  /* every flag bit */

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
#ifndef PREADD
#define PREADD 1       /* callback 0 is linked before the threads start */
#endif
#ifndef UNREG
#define UNREG 0        /* run the Unregisterer */
#endif
#ifndef NESTED
#define NESTED 1       /* callback FIRST adds callback NEST from inside */
#endif
#ifndef EXPIRE
#define EXPIRE 0       /* a must-start-by deadline; the worker may find its
                          item late */
#endif

/* Listener ids: 0 is linked before the threads start (PREADD=1); 1..NCB
 * are the Adder's; WNODE is the Unregisterer's waiter node; NEST is added
 * by callback FIRST while it runs; DLINE is the must-start-by node. */
#define WNODE 3
#define NEST  4
#define DLINE 5
#define MAXL  6
#define RMAX  4        /* callbacks in one round: 0, 1, 2, NEST */

#if PREADD
#define FIRST 0
#else
#define FIRST 1
#endif

/* the kind of a node, as take_round sorts it */
#ifdef PLANT_NOTICE_AS_CALLBACK
#define is_notice(id) false
#else
#define is_notice(id) ((id) == WNODE)
#endif

short word = PENDING;

/* The listener list, guarded by LOCKED: a stack, ids in the order pushed,
 * the head (newest) at list[nlist - 1]. */
byte list[MAXL];
byte nlist = 0;
bool linked[MAXL];

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
bool dl_linked = false;    /* a deadline node was linked before the start */
bool dl_freed = false;     /* ... and the completer has freed it */
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
  word = word & (ALLBITS - LOCKED)
}

/* unlock_listeners_setting(also): releases LOCKED and sets `also` in one
 * CAS (a loop that keeps every other bit, so one step here).  The planted
 * bug releases first and sets the bits in a second step. */
inline unlock_listeners_setting(also) {
#ifdef PLANT_LISTENED_AFTER_UNLOCK
  unlock_listeners();
  word = word | (also)
#else
  word = (word & (ALLBITS - LOCKED)) | (also)
#endif
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

/* push(id): links `id` at the head; the caller holds the lock bit. */
inline push(id) {
  d_step { list[nlist] = id; nlist++; linked[id] = true }
}

/* SLIST_REMOVE of a linked `id`; the caller holds the lock bit. */
inline unlink(id) {
  i = 0;
  do
  :: list[i] == id -> break
  :: else -> i++
  od;
  do
  :: i + 1 < nlist -> list[i] = list[i + 1]; i++
  :: else -> break
  od;
  nlist--;
  list[nlist] = 0;
  linked[id] = false;
  i = 0
}

/* A listener's fn starts (ghost checks), in one step. */
inline listener_starts(id) {
  atomic {
    /* In the order added: everything added before `id` has started
     * (callbacks FIRST..NCB are added in that order; NEST after FIRST). */
    if
    :: id <= NCB ->
       k = FIRST;
       do
       :: k < id -> assert(cb_started[k]); k++
       :: else -> break
       od;
       k = 0
    :: id == NEST -> assert(cb_started[FIRST])
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

/* cf_future_add_done_callback(id) of a thread that runs listeners. */
inline add_callback(id) {
  w = word;
#ifdef PLANT_ADD_IGNORES_CALLING
  if
  :: is_done(w & MASK) -> run_listener(id)
#else
  if
  :: may_run_now(w) -> run_listener(id)   /* fast path: no node */
#endif
  :: else ->
     lock_listeners();
#ifdef PLANT_ADD_UNCHECKED
     /* Bug: link without looking at the state under the lock. */
     push(id);
     unlock_listeners_setting(LISTENED)
#else
     w = word;
     if
     :: may_run_now(w) -> unlock_listeners(); run_listener(id)
     :: else -> push(id); unlock_listeners_setting(LISTENED)
     fi
#endif
  fi
}

/* NEST from inside callback FIRST (running on the completer's thread, or
 * on the Adder's when it ran FIRST itself): the same add_done_callback,
 * whose fn does nothing more, so no recursion is needed. */
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
     :: else -> push(NEST); unlock_listeners_setting(LISTENED)
     fi
  fi;
  nest_added = true
}

inline run_listener(id) {
  listener_starts(id);
#if NESTED
  if
  :: id == FIRST -> nested_add()
  :: else -> skip
  fi
#endif
}

/* take_round(any): under the lock bit, take the whole list.  Empty: clear
 * CALLING (fetch_and, the lock bit still held) and any = false.  Else pop
 * newest first, each node unlinked, onto the round's list of its kind: rn
 * (the one notice), rd (the one deadline node), rc (callbacks: a stack
 * whose head rc[nrc - 1] is the last pushed, i.e. the oldest). */
inline take_round(any) {
  lock_listeners();
  if
  :: nlist == 0 ->
     any = false;
#ifdef PLANT_CLEAR_CALLING_UNLOCKED
     unlock_listeners();
     word = word & (ALLBITS - CALLING)
#else
     word = word & (ALLBITS - CALLING);  /* fetch_and, lock bit held */
     unlock_listeners()
#endif
  :: else ->
     any = true;
     d_step {
       do
       :: nlist > 0 ->
          nlist--;
          node = list[nlist];
          list[nlist] = 0;
          linked[node] = false;
          if
          :: is_notice(node) -> rn = true
          :: node == DLINE -> rd = true
          :: else -> rc[nrc] = node; nrc++
          fi
       :: else -> break
       od;
       node = 0
     };
     unlock_listeners()
  fi
}

/* completed(old): the future just became done with CALLING set.  Wake
 * sleepers if the replaced word had WAITING; then rounds until take_round
 * finds the list empty (and clears CALLING): the notice, then the
 * callbacks from the head of rc (oldest first), each outside the lock
 * bit, then free the deadline node. */
inline completed(old) {
  if
  :: (old & WAITING) != 0 -> futex_wake_all()
  :: else -> skip
  fi;
  do
  :: take_round(any);
     if
     :: !any -> break
     :: else -> skip
     fi;
     nround++;
     if
     :: rn ->
        rn = false;
        atomic {
          /* no notice is left for a later round; before any callback */
          assert(nround == 1);
          k = 0;
          do
          :: k < MAXL -> assert(k == WNODE || !cb_started[k]); k++
          :: else -> break
          od;
          k = 0
        };
        run_listener(WNODE)
     :: else -> skip
     fi;
#ifdef PLANT_ROUND_NEWEST_FIRST
     /* Bug: the callbacks in the order popped, newest first. */
     i = 0;
     do
     :: i < nrc -> d_step { node = rc[i]; rc[i] = 0; i++ };
        run_listener(node);
        node = 0
     :: else -> nrc = 0; i = 0; break
     od;
#else
     do
     :: nrc > 0 -> d_step { nrc--; node = rc[nrc]; rc[nrc] = 0 };
        run_listener(node);
        node = 0
     :: else -> break
     od;
#endif
     if
     :: rd -> d_step { rd = false; assert(dl_linked && !dl_freed);
                       dl_freed = true }
     :: else -> skip
     fi
  od;
  nround = 0
}

/* cf_future_cancel / the full path of finish / expire: transition, then
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

/* Locals of every thread that may run listeners (and so add NEST), and
 * of every thread that may complete the future. */
#define LISTENER_LOCALS \
  short w; byte i, k; bool got
#define COMPLETER_LOCALS \
  LISTENER_LOCALS; short old, stale; byte node, nrc, nround; \
  byte rc[RMAX]; bool ok, any, rn, rd, dummy

/* ----------------------------------------------------------- threads */

proctype Worker() {
  COMPLETER_LOCALS;
#if EXPIRE
  bool found;
  /* cf__future_expire_if_late: DEADLINE clear is the common case, one
   * load; else look for the node under the lock bit (it may have been
   * removed, or taken and freed by a cancel's round). */
  if
  :: (word & DEADLINE) != 0 ->
#ifdef PLANT_EXPIRE_TRUSTS_BIT
     /* Bug: the hint bit taken for a deadline, no look at the list. */
     found = true;
#else
     lock_listeners();
     atomic { found = linked[DLINE]; assert(!found || !dl_freed) };
     unlock_listeners();
#endif
     if
     :: found ->
        /* the clock: passed or not */
        if
        :: complete_by(PENDING, CANCELLED | EXPIRED | CALLING, ok,
                       expire_won)
        :: true -> skip
        fi
     :: else -> skip
     fi
  :: else -> skip
  fi;
  found = false;
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
     /* cf__future_finish: the fast path, one strong CAS from exactly
      * RUNNING (every flag clear) to FINISHED... */
     atomic {
       if
#ifdef PLANT_FAST_IGNORES_LISTENED
       /* Bug: LISTENED and DEADLINE do not stop the fast path. */
       :: (word & (ALLBITS - LISTENED - DEADLINE)) == RUNNING ->
          word = (word & (LISTENED | DEADLINE)) | FINISHED; ok = true
#else
       :: word == RUNNING -> word = FINISHED; ok = true
#endif
       :: else -> ok = false
       fi
     };
     if
     :: ok -> ok = false
     :: else ->
        /* ...else the full path */
        complete_by(RUNNING, FINISHED | CALLING, ok, dummy);
        assert(ok)
     fi
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
  bool rc_;
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
  :: ok -> rc_ = true
  :: else -> s = word & MASK; rc_ = (s == CANCELLED || s == CAN)
  fi;
  /* true exactly when the future ended cancelled (by us, or expired) */
  assert(rc_ == (cancel_won || expire_won));
  assert(!rc_ || runs == 0);
  finished++
}

proctype Adder() {
  LISTENER_LOCALS;
  byte id = 1;
  do
  :: id <= NCB -> add_callback(id); id++
  :: else -> break
  od;
  finished++
}

proctype Waiter(byte me) {
  short w;
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
  LISTENER_LOCALS;
  bool was;
  /* cf_waiter_add: inflight++, then cf__future_add_notice(node) */
  inflight++;
  lock_listeners();
  w = word;
#ifdef PLANT_NOTICE_AS_CALLBACK
  if
  :: may_run_now(w) -> unlock_listeners(); run_listener(WNODE)
  :: else -> push(WNODE); unlock_listeners_setting(LISTENED)
  fi;
#else
  if
  :: is_done(w & MASK) -> unlock_listeners(); run_listener(WNODE)
  :: else -> push(WNODE); unlock_listeners_setting(LISTENED)
  fi;
#endif
  /* Added once the future was done: it has run, at once. */
  assert(!is_done(w & MASK) || cb_runs[WNODE] == 1);
  /* cf_waiter_destroy: cf__future_remove_notice, then wait for
   * inflight == 0, then free. */
  lock_listeners();
  d_step {
    was = linked[WNODE];
    if
    :: was -> unlink(WNODE)
    :: else -> skip
    fi
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
  /* Before the threads start, on the thread that submits: */
#if EXPIRE
  /* cf_future_set_start_by: the deadline node is pushed with LISTENED |
   * DEADLINE; or it was set and then removed again (set_start_by(NULL):
   * the bits stay, a hint, and the worker finds no node). */
  word = word | LISTENED | DEADLINE;
  if
  :: list[nlist] = DLINE; nlist++; linked[DLINE] = true; dl_linked = true
  :: true -> skip
  fi;
#endif
#if PREADD
  /* a callback added before anything runs */
  list[nlist] = 0; nlist++; linked[0] = true;
  word = word | LISTENED;
#endif
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
  /* only an item whose deadline node is on the list expires */
  assert(!expire_won || dl_linked);
  assert((word & (LOCKED | CALLING)) == 0);
  k = FIRST;
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
  /* the deadline node went with the last round */
  assert(dl_linked == dl_freed);
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
