#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the ConcurrentFutures authors

# source-files.sh c | swift | licensed — the repo's source files of one
# kind, one path per line, sorted, relative to the repo's root:
#   c         *.c *.h (what clang-format formats)
#   swift     *.swift (what swift format formats)
#   licensed  *.swift *.c *.h *.java *.pml *.sh *.py (what must carry the
#             license header; see license-headers.sh)
# from Package.swift and Sources, Tests, Benchmarks, Examples and scripts.
#
# Never listed: anything under a .build* or .swiftpm folder (the checkouts
# of Benchmarks/ and Examples/FanOut included), Tests/Fuzz/corpus, and
# symlinks: Sources/*/Shared, Tests/*/Behaviour and
# Tests/CFuturesTests/Threads.swift link to files listed where they live,
# so each file is formatted and checked once.
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in
  c) names=(-name '*.c' -o -name '*.h') ;;
  swift) names=(-name '*.swift') ;;
  licensed)
    names=(-name '*.swift' -o -name '*.c' -o -name '*.h' -o -name '*.java'
      -o -name '*.pml' -o -name '*.sh' -o -name '*.py')
    ;;
  *)
    echo "usage: $0 c | swift | licensed" >&2
    exit 2
    ;;
esac

{
  if [ "$1" != c ]; then echo Package.swift; fi
  find Sources Tests Benchmarks Examples scripts \
    \( -name '.build*' -o -name .swiftpm -o -path Tests/Fuzz/corpus \) -prune -o \
    -type f \( "${names[@]}" \) -print
} | sort -u
