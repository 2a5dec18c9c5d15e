#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the ConcurrentFutures authors

# fuzz.sh [SECONDS] — builds the libFuzzer target Tests/Fuzz/fuzz_queue.c
# (a differential fuzz of cf_queue and the future state word against simple
# models) with ASan and UBSan, and runs it for SECONDS (default 30).
#
# The run starts from a COPY of the committed seed corpus Tests/Fuzz/corpus
# in .build-fuzz/corpus (the committed one never grows); a crash, a
# divergence (abort), a sanitizer report or a hang (-timeout) is a failure
# and leaves its input in .build-fuzz/crash-* / timeout-*.  Prints "fuzz: 1
# passed, 0 failed" or "fuzz: 0 passed, 1 failed"; exit status 1 on
# failure.  FUZZ_SRC overrides the C core sources and FUZZ_SEEDS the seed
# corpus (used to show that a planted bug in a copy of the core is caught,
# from the seeds or from a one-byte seed).
set -uo pipefail
cd "$(dirname "$0")/.."

SECONDS_TO_RUN=${1:-30}
CLANG=${CLANG:-/opt/swift/usr/bin/clang}
OUT=.build-fuzz
CORE_DIR=${FUZZ_SRC:-Sources/CFutures}
mkdir -p "$OUT"

fail() {
  echo "$1"
  echo "fuzz: 0 passed, 1 failed"
  exit 1
}

echo "==> fuzz: building $OUT/fuzz_queue (core from $CORE_DIR)"
"$CLANG" -g -O1 -fsanitize=fuzzer,address,undefined \
  -fno-sanitize-recover=undefined -fuse-ld=lld -Wall -Wextra \
  -D_GNU_SOURCE -DCF_QUEUE_INITIAL_SLOTS=1 -std=c11 \
  -ISources/CFutures/include -I"$CORE_DIR" Tests/Fuzz/fuzz_queue.c "$CORE_DIR/queue.c" "$CORE_DIR/future.c" \
  "$CORE_DIR/spin.c" "$CORE_DIR/util.c" -o "$OUT/fuzz_queue" -lbsd -lpthread \
  || fail "fuzz: build failed"

rm -rf "$OUT/corpus"
mkdir -p "$OUT/corpus"
SEEDS=${FUZZ_SEEDS:-Tests/Fuzz/corpus}
cp "$SEEDS"/* "$OUT/corpus/" 2>/dev/null \
  || fail "fuzz: no seed corpus in $SEEDS"
rm -f "$OUT"/crash-* "$OUT"/timeout-* "$OUT"/leak-* "$OUT"/oom-*

echo "==> fuzz: running ${SECONDS_TO_RUN}s on a copy of the seed corpus"
start=$SECONDS
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  "$OUT/fuzz_queue" -max_total_time="$SECONDS_TO_RUN" -timeout=10 \
  -rss_limit_mb=2048 -max_len=512 -print_final_stats=1 \
  -artifact_prefix="$OUT/" "$OUT/corpus" > "$OUT/fuzz.log" 2>&1
status=$?
grep -E "divergence|ERROR: |runtime error|SUMMARY|^Done" "$OUT/fuzz.log"
grep -E "stat::(number|average|new)" "$OUT/fuzz.log"
echo "fuzz: exit status $status after $((SECONDS - start))s;" \
  "corpus copy now $(ls "$OUT/corpus" | wc -l) inputs"
if [ "$status" -ne 0 ]; then
  for a in "$OUT"/crash-* "$OUT"/timeout-* "$OUT"/leak-* "$OUT"/oom-*; do
    [ -e "$a" ] && echo "fuzz: failing input kept in $a" \
      "(replay: $OUT/fuzz_queue $a)"
  done
  echo "fuzz: 0 passed, 1 failed"
  exit 1
fi
echo "fuzz: 1 passed, 0 failed"
