#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the ConcurrentFutures authors

# license-headers.sh --check | --fix — the two-line license header every
# source file of the repo starts with (after a `#!` line, or after
# Package.swift's `// swift-tools-version` line, which must stay first):
#
#   // SPDX-License-Identifier: Apache-2.0             (.swift, .java)
#   // Copyright 2026 the ConcurrentFutures authors
#
#   /* SPDX-License-Identifier: Apache-2.0 */          (.c, .h, .pml)
#   /* Copyright 2026 the ConcurrentFutures authors */
#
#   # SPDX-License-Identifier: Apache-2.0              (.sh, .py)
#   # Copyright 2026 the ConcurrentFutures authors
#
# followed by one blank line.  The full text is LICENSE.
#
# Files: `scripts/source-files.sh licensed` (*.swift *.c *.h *.java *.pml
# *.sh *.py under Sources, Tests, Benchmarks, Examples and scripts, and
# Package.swift; no .build* folder, no Tests/Fuzz/corpus, no symlink),
# except files marked "@generated" or "DO NOT EDIT" in their first lines.
#
# --check lists the files without the header and exits 1 if there is any;
# --fix adds the header to them (and changes nothing else).
set -euo pipefail
cd "$(dirname "$0")/.."

SPDX="SPDX-License-Identifier: Apache-2.0"
COPYRIGHT="Copyright 2026 the ConcurrentFutures authors"

usage() { echo "usage: $0 --check | --fix" >&2; exit 2; }
[ $# -eq 1 ] || usage
mode=$1
case "$mode" in --check | --fix) ;; *) usage ;; esac

# The files the header is required in (the list's rules are there).
files() { scripts/source-files.sh licensed; }

# The header for a file, by its extension.
header() {
  case "$1" in
    *.swift | *.java) printf '// %s\n// %s\n' "$SPDX" "$COPYRIGHT" ;;
    *.c | *.h | *.pml) printf '/* %s */\n/* %s */\n' "$SPDX" "$COPYRIGHT" ;;
    *.sh | *.py) printf '# %s\n# %s\n' "$SPDX" "$COPYRIGHT" ;;
  esac
}

# True when the file's first line must stay first.
keeps_first_line() {
  local first
  first=$(head -n 1 "$1")
  [[ "$first" == '#!'* || "$first" == '// swift-tools-version'* ]]
}

has_header() {
  local top
  top=$(head -n 4 "$1")
  grep -qF "$SPDX" <<<"$top" && grep -qF "$COPYRIGHT" <<<"$top"
}

is_generated() {
  head -n 5 "$1" | grep -qE '@generated|DO NOT EDIT'
}

add_header() {
  local file=$1 tmp
  tmp=$(mktemp)
  if keeps_first_line "$file"; then
    { head -n 1 "$file"; header "$file"; echo; tail -n +2 "$file"; } >"$tmp"
  else
    { header "$file"; echo; cat "$file"; } >"$tmp"
  fi
  cat "$tmp" >"$file" # keeps the file's mode (scripts stay executable)
  rm -f "$tmp"
}

missing=0
while IFS= read -r file; do
  is_generated "$file" && continue
  has_header "$file" && continue
  if [ "$mode" = --fix ]; then
    add_header "$file"
    echo "added the license header: $file"
  else
    echo "no license header: $file"
    missing=$((missing + 1))
  fi
done < <(files)

if [ "$mode" = --check ] && [ "$missing" -gt 0 ]; then
  echo "license-headers: $missing files without the header (scripts/license-headers.sh --fix adds it)"
  exit 1
fi
exit 0
