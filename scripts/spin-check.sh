#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the ConcurrentFutures authors

# spin-check.sh [--planted] — model-checks with spin:
#   Tests/Model/future.pml  the future state word, finish's fast path, the
#     listener list and its rounds, futex wait, cancel and must-start-by
#     expiry protocol of Sources/CFutures/future.c as pool.c and waiter.c
#     drive it;
#   Tests/Model/queue.pml   the queue's hand-off (Sources/CFutures/queue.c):
#     spinning takers and putters, sleepers on the two condition variables,
#     the wake rule and its counts, poll, close.
#
# Default: every pass below, then the planted-bug passes, which must FAIL
# (a planted pass counts as passed when spin finds the expected kind of
# error), so each run also shows that the checker catches bugs.
#   --planted  only the planted-bug passes
#
# A pass: `spin -a [-D...] MODEL.pml`, `gcc -O2 [-DNOCLAIM] -o pan pan.c`,
# `./pan` (safety: assertions + invalid end states) or `./pan -a -f -N
# PROP` (one LTL property, weak fairness), in .build-spin/<model>-<config>/.  It
# passes on "errors: 0" with the search complete.  The last line is
# "spin: N passed, M failed"; exit status 1 when M > 0.
set -uo pipefail
cd "$(dirname "$0")/.."

MODEL=Tests/Model/future.pml # the model `check` uses; set before each group
OUT=.build-spin
mode=${1:-all}
case $mode in
  all|--planted) ;;
  *) echo "usage: $0 [--planted]" >&2; exit 2 ;;
esac
command -v spin >/dev/null || { echo "spin: not installed"; \
  echo "spin: 0 passed, 1 failed"; exit 1; }
mkdir -p "$OUT"

# Model configurations (-D flags for spin's preprocessor; see the model).
BASE=""                                  # worker, canceller, adder x2,
                                         # callback 0 linked before the
                                         # start, nested add, waiter
LIVE="-DNCB=1"                           # the same, one added callback
TWO_WAITERS="-DNWAITERS=2 -DNCB=0 -DNESTED=0"        # wake of all
UNREGISTER="-DUNREG=1 -DNWAITERS=0 -DNCB=1"          # waiter node unlink
TWO_RUNNERS="-DNWORKERS=2 -DNCB=1 -DNWAITERS=0"      # 2nd set_running
EXPIRING="-DEXPIRE=1 -DNCB=1"            # must-start-by node, expiry
# Nothing linked before the start, so finish's fast path can win: it races
# the adder (whose first callback nests), the waiter, the waiter node.
QUIET="-DPREADD=0 -DNCB=1"
QUIET_TWO="-DPREADD=0"                   # two added callbacks
QUIET_UNREG="-DPREADD=0 -DNCB=1 -DUNREG=1 -DNWAITERS=0"

# queue.pml: workers that take TAKES items each, then stop for good (a
# task that blocks), and putters of as many items (plus EXTRA left over).
Q_BASE=""                                # 2 workers, 1 putter, capacity 2
Q_SECOND_SPINNER="-DNWORKERS=3 -DTAKES=2"      # a second taker may spin
Q_FULL="-DNWORKERS=3 -DCAP=1 -DTIMED=1"  # the putter sleeps on a full
                                         # queue; worker 0 waits timed
Q_TIMED="-DNWORKERS=3 -DTAKES=2 -DCAP=3 -DTIMED=1"
Q_SPURIOUS="-DNWORKERS=3 -DTAKES=2 -DCAP=2 -DTIMED=1 -DSPURIOUS=1"
Q_CLOSE="-DCLOSE=1 -DNWORKERS=3 -DCAP=1 -DTIMED=1"  # closed at any moment
# two putters, one with a deadline, and items nobody takes
Q_PUTTERS="-DNPUTTERS=2 -DEXTRA=2 -DCAP=2"
Q_PUTTERS_TIMED="-DNWORKERS=2 -DTAKES=2 -DCAP=1 -DNPUTTERS=2 -DTIMED_PUT=1 -DEXTRA=1 -DTIMED=1"
Q_PUTTERS_CLOSE="-DCLOSE=1 -DNPUTTERS=2 -DTIMED_PUT=1 -DCAP=1"

passed=0
failed=0
# Limits: a truncated search is a failure, never a silent pass.
PAN_FLAGS=(-m200000)
CC_FLAGS=(-O2 -DCOLLAPSE -DMEMLIM=4096 -DNFAIR=3)

# build DIR CLAIM DEFINES — spin -a and gcc into DIR (cached per DIR).
build() {
  local dir=$1 claim=$2 defs=$3
  if [ -x "$dir/pan" ]; then return 0; fi
  mkdir -p "$dir"
  cp "$MODEL" "$dir/"
  # shellcheck disable=SC2086
  (cd "$dir" && spin $defs -a "${MODEL##*/}" > spin.out 2>&1) || {
    cat "$dir/spin.out"; return 1; }
  local extra=()
  [ "$claim" = noclaim ] && extra=(-DNOCLAIM)
  (cd "$dir" && gcc "${CC_FLAGS[@]}" "${extra[@]}" -o pan pan.c \
    > gcc.out 2>&1) || { cat "$dir/gcc.out"; return 1; }
}

# check NAME EXPECT DEFINES PROP [PAN_ARGS...] — one pass.  PROP "safety"
# or an ltl name.  EXPECT "ok", or a regex the failing pan output must
# contain.  PAN_ARGS go to ./pan.
check() {
  local name=$1 expect=$2 defs=$3 prop=$4
  shift 4
  local key claim dir args=("$@")
  key=$(basename "$MODEL" .pml)-$(echo "${defs:-base}" | tr -c 'A-Za-z0-9=\n' '_')
  if [ "$prop" = safety ]; then
    claim=noclaim
  else
    claim=claim
    args+=(-a -f -N "$prop")
  fi
  dir=$OUT/$key-$claim
  local start=$SECONDS
  if ! build "$dir" "$claim" "$defs"; then
    echo "FAIL $name: spin/gcc failed"
    failed=$((failed + 1))
    return
  fi
  local log=$dir/$prop.out
  (cd "$dir" && rm -f ./*.trail && ./pan "${PAN_FLAGS[@]}" "${args[@]}" \
    > "$prop.out" 2>&1)
  local errors states result
  errors=$(grep -oE "errors: [0-9]+" "$log" | grep -oE "[0-9]+" | tail -1)
  states=$(grep -oE "^ *[0-9.e+]+ states, stored" "$log" | awk '{print $1}')
  local took=$((SECONDS - start))
  if [ "$expect" = ok ]; then
    if [ "${errors:-x}" = 0 ] && ! grep -q "max search depth too small" \
         "$log" && ! grep -q "out of memory" "$log"; then
      result=ok
    else
      result=FAIL
    fi
  else
    if [ "${errors:-0}" != 0 ] && grep -qE "$expect" "$log"; then
      result=ok
    else
      result=FAIL
    fi
  fi
  local what
  what=$(grep -E "^pan:[0-9]+: |^pan: .*(violated|cycle|invalid)" "$log" \
    | head -1)
  printf '%-4s %-44s %-20s errors: %s, %s states, %ss %s\n' "$result" \
    "$name" "$prop" "${errors:-?}" "${states:-?}" "$took" \
    "${what:+($what)}"
  if [ "$result" = ok ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    tail -20 "$log"
    # The counterexample, for a pass that should have been clean.
    if [ "$expect" = ok ] && ls "$dir"/*.trail >/dev/null 2>&1; then
      # shellcheck disable=SC2086
      (cd "$dir" && spin $defs -t -p -g "${MODEL##*/}" | tail -60)
    fi
  fi
}

rm -rf "$OUT"
mkdir -p "$OUT"

if [ "$mode" = all ]; then
  echo "==> spin: the model as future.c implements it (must hold)"
  check "base: worker, canceller, adders, waiter" ok "$BASE" safety
  check "two waiters (wake all)" ok "$TWO_WAITERS" safety
  check "waiter node unregistered while completing" ok "$UNREGISTER" safety
  check "two callers of set_running" ok "$TWO_RUNNERS" safety
  check "worker expires a late item" ok "$EXPIRING" safety
  check "nothing linked first (fast path)" ok "$QUIET" safety
  check "nothing linked first, two callbacks" ok "$QUIET_TWO" safety
  check "nothing linked first, waiter node" ok "$QUIET_UNREG" safety
  check "base, one added callback" ok "$LIVE" waiters_woken
  check "base, one added callback" ok "$LIVE" cancel_excludes_run
  check "base, one added callback" ok "$LIVE" terminates
  check "two waiters" ok "$TWO_WAITERS" waiters_woken
  check "two waiters" ok "$TWO_WAITERS" terminates
  check "worker expires a late item" ok "$EXPIRING" cancel_excludes_run
  check "nothing linked first (fast path)" ok "$QUIET" waiters_woken
  check "nothing linked first (fast path)" ok "$QUIET" terminates

  echo "==> spin: the model as queue.c implements it (must hold)"
  MODEL=Tests/Model/queue.pml
  check "queue: two workers, one item each" ok "$Q_BASE" safety
  check "queue: three workers, a second spinner" ok "$Q_SECOND_SPINNER" safety
  check "queue: full queue, a timed taker" ok "$Q_FULL" safety
  check "queue: three workers, two items each, timed" ok "$Q_TIMED" safety
  check "queue: spurious and timed returns" ok "$Q_SPURIOUS" safety
  check "queue: closed at any moment" ok "$Q_CLOSE" safety
  check "queue: two putters, items left over" ok "$Q_PUTTERS" safety
  check "queue: two putters, timed put and take" ok "$Q_PUTTERS_TIMED" safety
  check "queue: two putters, one timed, closed" ok "$Q_PUTTERS_CLOSE" safety
  MODEL=Tests/Model/future.pml
fi

echo "==> spin: planted bugs (each must be caught)"
check "planted: cancel check-then-set" "assertion violated" \
  "-DPLANT_CANCEL_CHECK_THEN_SET" safety
check "planted: cancel check-then-set, LTL alone" \
  "assertion violated .*cancel_won" \
  "-DPLANT_CANCEL_CHECK_THEN_SET -DNOASSERTS $LIVE" cancel_excludes_run
check "planted: set_running check-then-set" \
  "assertion violated .*runs *== *1" \
  "-DPLANT_RUN_CHECK_THEN_SET -DNWORKERS=2 -DNCANCEL=0 -DNCB=1 -DNWAITERS=0" \
  safety
check "planted: adder links without done check" \
  "assertion violated .*cb_runs" "-DPLANT_ADD_UNCHECKED" safety
check "planted: adder ignores CALLING (order)" \
  "assertion violated .*cb_started" "-DPLANT_ADD_IGNORES_CALLING" safety
check "planted: CALLING cleared after unlock" \
  "assertion violated .*cb_runs" "-DPLANT_CLEAR_CALLING_UNLOCKED" safety
check "planted: waiter node as a callback (queues behind callbacks)" \
  "assertion violated" "-DPLANT_NOTICE_AS_CALLBACK $UNREGISTER" safety
check "planted: wake decided before the CAS" "acceptance cycle" \
  "-DPLANT_STALE_WAKE $LIVE" waiters_woken
check "planted: wake decided before the CAS" "invalid end state" \
  "-DPLANT_STALE_WAKE $TWO_WAITERS" safety
check "planted: finish's fast path ignores LISTENED" \
  "assertion violated .*cb_runs" "-DPLANT_FAST_IGNORES_LISTENED $QUIET" safety
check "planted: LISTENED set after the unlock" \
  "assertion violated .*cb_runs" "-DPLANT_LISTENED_AFTER_UNLOCK $QUIET" safety
check "planted: a round runs newest first" \
  "assertion violated .*cb_started" "-DPLANT_ROUND_NEWEST_FIRST" safety
check "planted: expiry trusts the DEADLINE bit" \
  "assertion violated .*dl_linked" "-DPLANT_EXPIRE_TRUSTS_BIT $EXPIRING" safety

MODEL=Tests/Model/queue.pml
check "planted: take does not pass the wake-up on" "invalid end state" \
  "-DPLANT_NO_PASS_ON $Q_SECOND_SPINNER" safety
check "planted: waking counted back only on a signal" "invalid end state" \
  "-DPLANT_WAKING_ON_SIGNAL $Q_FULL" safety
check "planted: dequeue wakes no putter" "invalid end state" \
  "-DPLANT_NO_PUTTER_WAKE $Q_FULL" safety
check "planted: put does not pass the wake-up on" "invalid end state" \
  "-DPLANT_NO_PUT_PASS_ON $Q_PUTTERS" safety
check "planted: put_waking counted back only on a signal" \
  "invalid end state" "-DPLANT_PUT_WAKING_ON_SIGNAL $Q_PUTTERS_TIMED" safety
check "planted: close signals one taker" "invalid end state" \
  "-DPLANT_CLOSE_SIGNALS $Q_CLOSE" safety
check "probe: a put while two spin and one sleeps (reached)" \
  "assertion violated" "-DPROBE_2SPIN_2ITEMS $Q_SECOND_SPINNER" safety

echo "spin: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
