#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the ConcurrentFutures authors

# stage.sh NAME COMMAND... — runs one `make test` stage, prints its own
# count line, and appends "NAME PASSED FAILED" to $CF_RESULTS.
#
# Counts come from the runner's closing line (XCTest's "Executed N tests,
# with M failures", or a plain "N passed, M failed").  A command that exits
# non-zero while reporting no failure (a sanitizer report, a crash) counts
# as one failure: a run is green only when it says so AND exits 0.
set -uo pipefail
name=$1; shift
log=$(mktemp)
echo "==> stage $name: $*"
"$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
passed=0; failed=0
if line=$(grep -E "Executed [0-9]+ tests?, with [0-9]+ failures?" "$log" | tail -1); [ -n "$line" ]; then
  total=$(sed -E 's/.*Executed ([0-9]+) tests?.*/\1/' <<<"$line")
  failures=$(sed -E 's/.*with ([0-9]+) failures?.*/\1/' <<<"$line")
  # XCTest's count is of failed assertions; count failed tests instead.
  failed=$(grep -E "^Test Case '.*' failed" "$log" | sort -u | wc -l)
  if [ "$failures" -gt 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
  passed=$((total - failed))
elif line=$(grep -E "^[a-zA-Z-]*:? ?[0-9]+ passed, [0-9]+ failed" "$log" | tail -1); [ -n "$line" ]; then
  passed=$(grep -oE "[0-9]+ passed" <<<"$line" | grep -oE "[0-9]+")
  failed=$(grep -oE "[0-9]+ failed" <<<"$line" | grep -oE "[0-9]+")
fi
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "stage $name exited with status $status without reporting a failure: counted as 1 failure"
  failed=1
fi
rm -f "$log"
echo "stage $name: $passed passed, $failed failed"
echo "$name $passed $failed" >> "${CF_RESULTS:-/dev/null}"
exit 0
