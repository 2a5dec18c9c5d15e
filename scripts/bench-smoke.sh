#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the ConcurrentFutures authors

# bench-smoke.sh — runs `Bench --quick --filter W1,W2-busy` from the debug
# build of Benchmarks/ and checks that it produced JSON records for every
# system (the JVM too when java is installed), each with its CPU per task
# and minor faults.  Says
# "bench-smoke: 1 passed, 0 failed" or "0 passed, 1 failed"; no timing is
# judged.
set -uo pipefail
cd "$(dirname "$0")/.."
json=$(mktemp)
java=0; command -v java >/dev/null && command -v javac >/dev/null && java=1
# Bench compiles the JVM program into $TMPDIR/cf-bench-jvm-<its pid> and
# must remove it when it ends: the run is checked to leave no new one.
tmp=${TMPDIR:-/tmp}
leftovers() { ls -d "$tmp"/cf-bench-jvm-* 2>/dev/null | sort; }
before=$(leftovers)
if Benchmarks/.build/debug/Bench --quick --reps 1 --filter W1,W2-busy --json "$json" \
   && { [ "$(leftovers)" = "$before" ] \
        || { echo "bench-smoke: Bench left $(comm -13 <(echo "$before") <(leftovers))"; false; }; } \
   && python3 - "$json" "$java" <<'PY'
import json, sys
records = json.load(open(sys.argv[1]))
want = {"ConcurrentFutures", "CFutures", "PureSwiftFutures", "Dispatch", "NIOThreadPool"}
if sys.argv[2] == "1":
    want.add("JVM")
for workload in ("W1", "W2-busy"):
    systems = {r["system"] for r in records if r["workload"] == workload}
    missing = want - systems
    if missing:
        sys.exit("%s: missing systems: %s" % (workload, sorted(missing)))
for r in records:
    if not (r["cpu_us_per_task"] > 0 and r["minor_faults"] >= 0):
        sys.exit("a record without CPU per task: %s" % r)
print("bench-smoke: %d records from %d systems" % (len(records), len(want)))
PY
then
  echo "bench-smoke: 1 passed, 0 failed"; rm -f "$json"; exit 0
fi
echo "bench-smoke: 0 passed, 1 failed"; rm -f "$json"; exit 1
