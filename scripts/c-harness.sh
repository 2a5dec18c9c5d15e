#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the ConcurrentFutures authors

# c-harness.sh [VARIANT...] — builds the plain-C harness (Tests/CHarness/*.c)
# with the C core's sources in several ways and runs each build:
#
#   strict    gcc -O2 -Wall -Wextra -Werror, plain run
#   asan      clang (toolchain) -fsanitize=address,leak, leak check on
#   tsan      gcc -fsanitize=thread
#   ubsan     gcc -fsanitize=undefined -fno-sanitize-recover=all
#   memcheck  valgrind memcheck, leaks of kind "definite" are errors
#   drd       valgrind drd with Tests/CHarness/drd.supp (see its header)
#
# Default: all six, in that order.  Each variant prints the harness's own
# lines, then "VARIANT: N passed, M failed"; the last line sums them as
# "N passed, M failed".  A build failure, or a run that exits non-zero
# while reporting no failed test (a sanitizer or valgrind error, a crash,
# the watchdog), counts as one failure of that variant.  Exit status 1 when
# anything failed.
#
# Environment: CF_TEST_SCALE (default 1) scales the stress loops; the
# valgrind variants run a fraction of it (memcheck 0.3, drd 0.2).
# CC_GCC / CC_CLANG override the compilers; CF_CORE_DIR the core's sources
# (to show that a planted bug in a copy is caught).  Builds go to .build-c/.
set -uo pipefail
cd "$(dirname "$0")/.."

CC_GCC=${CC_GCC:-gcc}
CC_CLANG=${CC_CLANG:-/opt/swift/usr/bin/clang}
SCALE=${CF_TEST_SCALE:-1}
OUT=.build-c
mkdir -p "$OUT"

CORE_DIR=${CF_CORE_DIR:-Sources/CFutures}
CORE=("$CORE_DIR/future.c" "$CORE_DIR/pool.c" "$CORE_DIR/queue.c"
      "$CORE_DIR/spin.c" "$CORE_DIR/util.c" "$CORE_DIR/waiter.c")
SRC=(Tests/CHarness/*.c "${CORE[@]}")
COMMON=(-D_GNU_SOURCE -std=c11 -ISources/CFutures/include -I"$CORE_DIR"
        -ITests/CHarness -g)
LIBS=(-lbsd -lpthread)

variants=("$@")
[ ${#variants[@]} -eq 0 ] && variants=(strict asan tsan ubsan memcheck drd)

scale_times() { awk -v a="$SCALE" -v b="$1" 'BEGIN { printf "%g", a * b }'; }

# build NAME CC FLAGS... — compiles $OUT/harness-NAME; returns its status.
build() {
  local name=$1 cc=$2; shift 2
  "$cc" "$@" "${COMMON[@]}" "${SRC[@]}" -o "$OUT/harness-$name" "${LIBS[@]}"
}

total_passed=0
total_failed=0
summary=()

# run_variant NAME — builds (if needed) and runs one variant.
run_variant() {
  local name=$1 bin scale=$SCALE cmd=() envs=() built=0
  local start=$SECONDS
  echo "==> c-harness $name"
  case $name in
    strict)
      build strict "$CC_GCC" -O2 -Wall -Wextra -Werror && built=1
      bin=$OUT/harness-strict; cmd=("$bin") ;;
    asan)
      build asan "$CC_CLANG" -O1 -Wall -Wextra -fno-omit-frame-pointer \
        -fno-optimize-sibling-calls -fsanitize=address,leak -fuse-ld=lld \
        && built=1
      bin=$OUT/harness-asan; cmd=("$bin")
      envs=(ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0
            LSAN_OPTIONS=report_objects=1) ;;
    tsan)
      build tsan "$CC_GCC" -O1 -Wall -Wextra -fsanitize=thread && built=1
      bin=$OUT/harness-tsan; cmd=("$bin")
      envs=("TSAN_OPTIONS=halt_on_error=0 exitcode=66 history_size=4") ;;
    ubsan)
      build ubsan "$CC_GCC" -O1 -Wall -Wextra -fsanitize=undefined \
        -fno-sanitize-recover=all && built=1
      bin=$OUT/harness-ubsan; cmd=("$bin")
      envs=(UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1) ;;
    memcheck|drd)
      # -O0: exact frames for valgrind's reports and drd.supp's fun: lines.
      if [ -x "$OUT/harness-vg" ] && [ "${vg_built:-0}" = 1 ]; then
        built=1
      else
        build vg "$CC_GCC" -O0 -Wall -Wextra && built=1 && vg_built=1
      fi
      bin=$OUT/harness-vg
      if [ "$name" = memcheck ]; then
        scale=$(scale_times 0.3)
        cmd=(valgrind -q --leak-check=full --errors-for-leak-kinds=definite
             --error-exitcode=99 "$bin")
      else
        scale=$(scale_times 0.2)
        cmd=(valgrind -q --tool=drd --suppressions=Tests/CHarness/drd.supp
             --error-exitcode=98 "$bin")
      fi ;;
    *)
      echo "c-harness: unknown variant $name" >&2
      built=0 ;;
  esac

  local passed=0 failed=0 status=0
  if [ "$built" != 1 ]; then
    failed=1
    echo "$name: build failed"
  else
    local log=$OUT/$name.log
    env "${envs[@]}" CF_TEST_SCALE="$scale" timeout 900 "${cmd[@]}" \
      > "$log" 2>&1
    status=$?
    cat "$log"
    local line
    line=$(grep -E "^harness: [0-9]+ passed, [0-9]+ failed" "$log" | tail -1)
    if [ -n "$line" ]; then
      passed=$(sed -E 's/^harness: ([0-9]+) passed.*/\1/' <<<"$line")
      failed=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
    else
      passed=$(grep -c "^ok " "$log")
      failed=$(grep -c "^FAIL " "$log")
    fi
    if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
      echo "$name: exited with status $status (sanitizer/valgrind error," \
           "crash or watchdog): counted as 1 failure"
      failed=1
    elif [ -z "$line" ]; then
      echo "$name: the harness did not finish: counted as 1 more failure"
      failed=$((failed + 1))
    fi
  fi
  local took=$((SECONDS - start))
  echo "$name: $passed passed, $failed failed (scale $scale, ${took}s)"
  summary+=("$(printf '%-9s %3d passed, %d failed  %4ss' "$name" "$passed" \
    "$failed" "$took")")
  total_passed=$((total_passed + passed))
  total_failed=$((total_failed + failed))
}

for v in "${variants[@]}"; do
  run_variant "$v"
done

echo "---- c-harness variants ----"
printf '%s\n' "${summary[@]}"
echo "$total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]
