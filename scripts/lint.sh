#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the ConcurrentFutures authors

# lint.sh [CHECK...] — `make lint`'s checks, each counted as one test of
# the stage (all four unless some are named):
#   c-format       clang-format (.clang-format) would change no C file
#   swift-format   `swift format lint --strict` (.swift-format) finds nothing
#   license        every source file has the license header
#                  (license-headers.sh --check)
#   warnings       the library and its tests build without a compiler
#                  warning (in .build, with -warnings-as-errors for Swift as
#                  `make test-xctest` builds it, so the build is shared and an
#                  incremental build cannot hide a warning: the file that has
#                  one never compiles; the C core is also built -Wall
#                  -Wextra -Werror by the c-harness stage)
# The files are those of source-files.sh (no .build*, no symlinks).  Ends
# with "lint: N passed, M failed" (read by stage.sh) and exits 1 when a
# check failed.  `make format` fixes the first two, `license-headers.sh
# --fix` the third.
set -uo pipefail
cd "$(dirname "$0")/.."

SWIFT=${SWIFT:-swift}
passed=0
failed=0

check() {
  local name=$1
  shift
  echo "--- lint: $name"
  if "$@"; then
    echo "ok $name"
    passed=$((passed + 1))
  else
    echo "FAIL $name"
    failed=$((failed + 1))
  fi
}

c_format() {
  local file bad=0
  while IFS= read -r file; do
    if ! clang-format --dry-run --Werror "$file" >/dev/null 2>&1; then
      echo "not clang-formatted: $file ($(clang-format "$file" | diff "$file" - | grep -c '^[<>]') lines differ)"
      bad=1
    fi
  done < <(scripts/source-files.sh c)
  [ "$bad" -eq 0 ]
}

swift_format() {
  local files
  mapfile -t files < <(scripts/source-files.sh swift)
  "$SWIFT" format lint --strict --parallel "${files[@]}"
}

license() {
  scripts/license-headers.sh --check
}

warnings() {
  local log status
  log=$(mktemp)
  # shellcheck disable=SC2086 # WERROR is a list of flags
  "$SWIFT" build --build-tests ${WERROR:--Xswiftc -warnings-as-errors} 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  if grep -E '(warning|error):' "$log" | grep -v '^ *[|`]' | sort -u | head -50 | grep .; then
    status=1
  fi
  rm -f "$log"
  return "$status"
}

# `lint.sh [CHECK...]` runs only the checks named (default: all four).
wanted=("$@")
[ ${#wanted[@]} -gt 0 ] || wanted=(c-format swift-format license warnings)
for name in "${wanted[@]}"; do
  case "$name" in
    c-format) check c-format c_format ;;
    swift-format) check swift-format swift_format ;;
    license) check license license ;;
    warnings) check warnings warnings ;;
    *) echo "lint.sh: no check named $name" >&2; exit 2 ;;
  esac
done

echo "lint: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
