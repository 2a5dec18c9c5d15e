#!/usr/bin/env bash
# bench-smoke.sh — runs `Bench --quick --filter W1` from the debug build and
# checks that it produced a table and JSON records for every system.  Says
# "bench-smoke: 1 passed, 0 failed" or "0 passed, 1 failed"; no timing is
# judged.
set -uo pipefail
cd "$(dirname "$0")/.."
json=$(mktemp)
if .build/debug/Bench --quick --filter W1 --json "$json" \
   && python3 - "$json" <<'PY'
import json, sys
records = json.load(open(sys.argv[1]))
systems = {r["system"] for r in records if r["workload"] == "W1"}
want = {"ConcurrentFutures", "CFutures", "PureSwiftFutures", "Dispatch", "NIOThreadPool"}
missing = want - systems
if missing:
    sys.exit("missing systems: %s" % sorted(missing))
print("bench-smoke: %d W1 records from %d systems" % (len(records), len(systems)))
PY
then
  echo "bench-smoke: 1 passed, 0 failed"; rm -f "$json"; exit 0
fi
echo "bench-smoke: 0 passed, 1 failed"; rm -f "$json"; exit 1
