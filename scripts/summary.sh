#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the ConcurrentFutures authors

# summary.sh RESULTS — sums the stages and prints the closing line
# "N passed, M failed"; exits 1 when M > 0 or no stage ran.
set -euo pipefail
results=$1
[ -s "$results" ] || { echo "0 passed, 1 failed"; exit 1; }
echo "---- stages ----"
awk '{ printf "%-14s %6d passed, %d failed\n", $1, $2, $3 }' "$results"
read -r passed failed < <(awk '{ p += $2; f += $3 } END { print p, f }' "$results")
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
