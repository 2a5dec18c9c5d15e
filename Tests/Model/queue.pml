/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright 2026 the ConcurrentFutures authors */

/*
 * queue.pml — a Promela model of the hand-off in
 * Sources/CFutures/queue.c: who sleeps, who spins and who gets woken when
 * items are put and taken, as pool.c's workers drive it (poll, then take).
 * Checked by scripts/spin-check.sh.
 *
 * What it checks is liveness of the wake rule: an item is never left in
 * the queue while a taker that could take it sleeps and nobody is on the
 * way, and a putter never sleeps on a queue that has room and nobody on
 * the way.  Each Worker takes TAKES items and then stops for good: a
 * worker blocked for ever in a long task, the case a pool of blocking
 * calls must survive.  The Putters (NPUTTERS, any thread may submit)
 * share out as many items as the workers take together, plus EXTRA (at
 * most CAP) that nobody takes, so a putter stranded asleep while the
 * workers have stopped shows too.  A worker or putter asleep for ever is
 * an invalid end state, which spin's safety search reports.
 *
 * Modelled as queue.c has it, each step under the mutex unless said:
 *   take   spin first (no deadline, queue empty and open, and
 *          cf__queue_may_spin(spinning, takers_waiting): one spinner, or
 *          a second while others sleep): spinning++, unlock, spin on the
 *          mirrors `available` / `closed_flag` (lock-free) until they say
 *          "look" or the budget runs out (a free choice at every moment),
 *          lock, spinning--; then `while (count == 0 && !closed && rc ==
 *          0)` sleep on not_empty with takers_waiting++ around it and
 *          waking-- (if > 0) after it; then take an item if there is one
 *          and pass the wake-up on (wake_taker_if_needed), else ESHUTDOWN
 *          if closed, else the wait's ETIMEDOUT;
 *   poll   the lock-free "empty and open?" look at the mirrors, then
 *          under the lock: an item, or EAGAIN / ESHUTDOWN (no pass-on);
 *   put    the putter's spin on a full queue (no deadline, one at a
 *          time), then sleep on not_full likewise (putters_waiting,
 *          put_waking), then enqueue if there is room and pass a putter's
 *          wake-up on, else ESHUTDOWN if closed, else ETIMEDOUT (the
 *          putter then tries again);
 *   enqueue / dequeue  count and the mirror `available`, then
 *          wake_taker_if_needed / wake_putter_if_needed: signal one
 *          sleeper if none spins, some sleeper is not yet signalled, and
 *          the items (free slots) outnumber the sleepers already woken;
 *   close  closed, closed_flag, broadcast both condition variables.
 *
 * A condition variable is the set of threads asleep on it.  Entering the
 * wait leaves the mutex in the same step; signal removes any one member
 * (nothing if the set is empty), broadcast all; a woken thread then waits
 * for the mutex like anyone else.  A wait with a deadline (TIMED) may
 * also end on its own at any moment, with 0 or ETIMEDOUT whether or not a
 * signal picked it too: glibc lets a waiter that times out keep a signal
 * it consumed, and cf__cond_wait returns ETIMEDOUT at once for a deadline
 * already past.  SPURIOUS lets untimed waits end on their own too (POSIX
 * allows it).
 *
 * Not modelled: the ring (items are a count; which item is which is the C
 * harness's and the fuzzer's business), growth and ENOMEM, offer, the
 * spin budget's learning (a spin may end at any moment), the pool's
 * worker start-up and idle tokens, memory ordering (TSan's business).
 *
 * Configurations (-D): NWORKERS, TAKES items each, NPUTTERS, EXTRA, CAP
 * the queue's capacity, TIMED (worker 0 takes with a deadline), TIMED_PUT
 * (putter 0 puts with one), SPURIOUS, CLOSE (a Closer closes the queue at
 * any moment; workers then take until drained and stop at ESHUTDOWN, and
 * putters stop at ESHUTDOWN).  At most 6 threads wait (signal's bits).
 *
 * Properties: the asserts (taken + count == put_ok; count within 0..CAP
 * and mirrored by `available`; the counters within their bounds — a byte
 * that went below zero would wrap past them; `waking <= takers_waiting` is
 * not required: a timed-out or spurious return may undercount, which only
 * costs a wake), and no invalid end state.
 *
 * Planted bugs, each of which one pass must catch (spin-check.sh):
 *   PLANT_NO_PASS_ON         take does not pass the wake-up on after it
 *                            takes an item (the spinner took one of two
 *                            items put while it spun, and the sleeper
 *                            that nobody woke never gets the other);
 *   PLANT_WAKING_ON_SIGNAL   a taker counts itself back from `waking`
 *                            only when its wait returned 0, so a timed
 *                            waiter that kept its signal and timed out
 *                            leaves `waking` too high for ever;
 *   PLANT_NO_PUTTER_WAKE     dequeue does not wake a sleeping putter;
 *   PLANT_NO_PUT_PASS_ON     put does not pass a putter's wake-up on
 *                            after it puts (a second sleeping putter is
 *                            left on a queue with room, EXTRA items);
 *   PLANT_PUT_WAKING_ON_SIGNAL  PLANT_WAKING_ON_SIGNAL's twin for
 *                            put_waking, with a timed putter;
 *   PLANT_CLOSE_SIGNALS      close signals one taker instead of all.
 * And one probe, which must fail too, to show the search reaches the case
 * the second spinner added:
 *   PROBE_2SPIN_2ITEMS       asserts that no item is put while two takers
 *                            spin, another sleeps and an item waits.
 */

#ifndef NWORKERS
#define NWORKERS 2
#endif
#ifndef TAKES
#define TAKES 1
#endif
#ifndef CAP
#define CAP 2
#endif
#ifndef TIMED
#define TIMED 0
#endif
#ifndef SPURIOUS
#define SPURIOUS 0
#endif
#ifndef CLOSE
#define CLOSE 0
#endif
#ifndef NPUTTERS
#define NPUTTERS 1
#endif
#ifndef TIMED_PUT
#define TIMED_PUT 0
#endif
#ifndef EXTRA
#define EXTRA 0     /* items put that no worker takes (<= CAP) */
#endif

#define NITEMS (NWORKERS * TAKES)
/* Thread ids: workers 0 .. NWORKERS - 1, then the putters, then the
 * Closer (whose id only names it as the mutex's holder). */
#define PUTTER NWORKERS
#define CLOSER (NWORKERS + NPUTTERS)

#define OK 0
#define AGAIN 1
#define SHUT 2
#define TIMEDOUT 3

/* The mutex: 0 free, else the holder's id + 1. */
byte mutex = 0;

/* queue.c's fields, under the mutex. */
byte count = 0;
byte takers_waiting = 0;
byte putters_waiting = 0;
byte waking = 0;
byte put_waking = 0;
byte spinning = 0;
bool put_spinning = false;
bool closed = false;

/* The atomic mirrors, written under the mutex, read without it. */
byte available = 0;
bool closed_flag = false;

/* The condition variables: a bit per thread asleep on it. */
byte not_empty = 0;
byte not_full = 0;

/* Ghost state. */
byte to_put = NITEMS + EXTRA; /* items no putter has claimed yet */
byte put_ok = 0;   /* items accepted */
byte taken = 0;    /* items taken */
byte stopped = 0;  /* workers and Putter that reached their end */

inline lock(me) {
  atomic { mutex == 0 -> mutex = me + 1 }
}

inline unlock(me) {
  assert(mutex == me + 1);
  mutex = 0
}

/* signal: one member of `set` leaves it, if any.  Called under the mutex
 * (members join only under it; a TIMED or SPURIOUS member may leave on
 * its own at any time, hence one atomic step). */
inline signal(set) {
  atomic {
    if
    :: set == 0 -> skip
    :: (set & 1) -> set = set & ~1
    :: (set & 2) -> set = set & ~2
    :: (set & 4) -> set = set & ~4
    :: (set & 8) -> set = set & ~8
    :: (set & 16) -> set = set & ~16
    :: (set & 32) -> set = set & ~32
    fi
  }
}

/* cond_wait: join `set` and leave the mutex in one step; sleep until out
 * of the set; take the mutex back.  `timed`: may also end on its own. */
inline cond_wait(set, me, timed, rc) {
  atomic { assert(mutex == me + 1); set = set | (1 << me); mutex = 0 }
  if
  :: (set & (1 << me)) == 0 -> rc = OK
  :: (timed || SPURIOUS) ->
     atomic { set = set & ~(1 << me) };
     if
     :: rc = OK
     :: timed -> rc = TIMEDOUT
     fi
  fi;
  lock(me)
}

inline wake_taker_if_needed() {
  if
  :: spinning == 0 && takers_waiting > waking && count > waking ->
     waking++;
     signal(not_empty)
  :: else -> skip
  fi
}

inline wake_putter_if_needed() {
  if
  :: !put_spinning && putters_waiting > put_waking &&
     CAP - count > put_waking ->
     put_waking++;
     signal(not_full)
  :: else -> skip
  fi
}

inline enqueue() {
  assert(count < CAP);
  count++;
  put_ok++;
#ifdef PROBE_2SPIN_2ITEMS
  assert(!(spinning == 2 && takers_waiting >= 1 && count >= 2));
#endif
  available = count;
  wake_taker_if_needed()
}

inline dequeue() {
  assert(count > 0);
  count--;
  taken++;
  available = count;
#ifndef PLANT_NO_PUTTER_WAKE
  wake_putter_if_needed()
#endif
}

/* cf__queue_may_spin */
#define may_spin(spinners, sleepers) \
  ((spinners) == 0 || ((spinners) == 1 && (sleepers) > 0))

inline take(me, timed, rc) {
  rc = OK;
  lock(me);
  if
  :: count == 0 && !closed && !timed && may_spin(spinning, takers_waiting) ->
     spinning++;
     unlock(me);
     /* the spin: until worth_a_look(), or the budget runs out */
     if
     :: available > 0 || closed_flag -> skip
     :: true -> skip
     fi;
     lock(me);
     spinning--
  :: else -> skip
  fi;
  do
  :: count == 0 && !closed && rc == OK ->
     takers_waiting++;
     cond_wait(not_empty, me, timed, rc);
     takers_waiting--;
#ifdef PLANT_WAKING_ON_SIGNAL
     if
     :: rc == OK && waking > 0 -> waking--
     :: else -> skip
     fi
#else
     if
     :: waking > 0 -> waking--
     :: else -> skip
     fi
#endif
  :: else -> break
  od;
  if
  :: count > 0 ->
     rc = OK;
     dequeue();
#ifndef PLANT_NO_PASS_ON
     wake_taker_if_needed()
#endif
  :: count == 0 && closed -> rc = SHUT
  :: else -> skip
  fi;
  unlock(me)
}

inline poll(me, rc) {
  if
  :: !(available > 0 || closed_flag) -> rc = AGAIN
  :: else ->
     lock(me);
     if
     :: count > 0 -> dequeue(); rc = OK
     :: count == 0 && closed -> rc = SHUT
     :: else -> rc = AGAIN
     fi;
     unlock(me)
  fi
}

inline put(me, timed, rc) {
  rc = OK;
  lock(me);
  if
  :: count == CAP && !closed && !timed && !put_spinning ->
     put_spinning = true;
     unlock(me);
     /* the spin: until room_or_closed(), or the budget runs out */
     if
     :: available < CAP || closed_flag -> skip
     :: true -> skip
     fi;
     lock(me);
     put_spinning = false
  :: else -> skip
  fi;
  do
  :: !closed && count == CAP && rc == OK ->
     putters_waiting++;
     cond_wait(not_full, me, timed, rc);
     putters_waiting--;
     if
#ifdef PLANT_PUT_WAKING_ON_SIGNAL
     :: rc == OK && put_waking > 0 -> put_waking--
#else
     :: put_waking > 0 -> put_waking--
#endif
     :: else -> skip
     fi
  :: else -> break
  od;
  if
  :: closed -> rc = SHUT
  :: !closed && count < CAP ->
     rc = OK;
     enqueue();
#ifndef PLANT_NO_PUT_PASS_ON
     wake_putter_if_needed()
#endif
  :: else -> skip
  fi;
  unlock(me)
}

/* pool.c's worker_main: poll; when that finds nothing, take.  TAKES items,
 * then it stops for good (blocked in its task); with CLOSE, until the
 * queue is closed and drained. */
proctype Worker(byte me; bool timed) {
  byte rc;
  byte got = 0;
  do
  :: !CLOSE && got == TAKES -> break
  :: CLOSE || got < TAKES ->
     poll(me, rc);
     if
     :: rc == AGAIN -> take(me, timed, rc)
     :: else -> skip
     fi;
     if
     :: rc == OK -> got++
     :: rc == SHUT -> break
     :: rc == TIMEDOUT -> skip  /* a timed take: try again */
     fi
  od;
  stopped++
}

proctype Putter(byte me; bool timed) {
  byte rc;
  do
  :: atomic { to_put > 0 -> to_put-- };
  again:
     put(me, timed, rc);
     if
     :: rc == SHUT -> break
     :: rc == TIMEDOUT -> goto again
     :: rc == OK -> skip
     fi
  :: atomic { to_put == 0 -> break }
  od;
  stopped++
}

proctype Closer() {
  lock(CLOSER);
  if
  :: !closed ->
     closed = true;
     closed_flag = true;
#ifdef PLANT_CLOSE_SIGNALS
     signal(not_empty);
#else
     not_empty = 0;
#endif
     not_full = 0
  :: else -> skip
  fi;
  unlock(CLOSER)
}

/* Invariants, checked at every step the mutex is free. */
active proctype Monitor() {
end:
  do
  :: atomic {
       mutex == 0 &&
       !(taken + count == put_ok && count <= CAP &&
         put_ok <= NITEMS + EXTRA && available == count &&
         spinning <= 2 && takers_waiting <= NWORKERS &&
         waking <= NWORKERS && putters_waiting <= NPUTTERS &&
         put_waking <= NPUTTERS) ->
       assert(false)
     }
  od
}

init {
  atomic {
    byte i = 0;
    do
    :: i < NWORKERS -> run Worker(i, TIMED && i == 0); i++
    :: else -> break
    od;
    i = 0;
    do
    :: i < NPUTTERS -> run Putter(PUTTER + i, TIMED_PUT && i == 0); i++
    :: else -> break
    od;
    if
    :: CLOSE -> run Closer()
    :: else -> skip
    fi
  }
  stopped == NWORKERS + NPUTTERS;
  assert(taken + count == put_ok);
  assert(CLOSE || (taken == NITEMS && count == EXTRA))
}
