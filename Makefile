# ConcurrentFutures — a thin wrapper over SwiftPM and the checkers.
# `make test` runs every stage below in order, each printing its own count,
# and ends with one line "N passed, M failed" (non-zero exit if M > 0).

SWIFT ?= swift
export SWIFT_BACKTRACE = enable=no
RESULTS := .build-results.txt
XCTEST := --disable-swift-testing
# Compiler warnings are errors in the main debug build (.build), which the
# xctest stage and lint's warnings check share: a warning cannot hide in an
# incremental build, since the file that has it never compiles.
WERROR := -Xswiftc -warnings-as-errors
TSAN_SCALE ?= 0.1

.PHONY: setup build test test-xctest test-tsan test-asan test-c model fuzz \
  fuzz-smoke bench-smoke bench-setup example-test soak bench example format lint \
  docs clean

# The FanOut example (its own package: the library never needs libpq) and
# the throwaway PostgreSQL server it runs against.
FANOUT := Examples/FanOut
BENCH := Benchmarks
PG_SERVER := $(CURDIR)/scripts/pg-server.sh
FANOUT_ROWS ?= 100000
FANOUT_ARGS ?=

# Installs the system packages the build and the checkers need, only when
# missing: libbsd-dev (the C core), spin (the model check), valgrind,
# clang-format (make format and make lint), and for the FanOut example
# PostgreSQL 15 and libpq (found with pkg-config).
setup:
	@missing=""; \
	[ -f /usr/include/bsd/sys/queue.h ] || missing="$$missing libbsd-dev"; \
	command -v spin >/dev/null || missing="$$missing spin"; \
	command -v valgrind >/dev/null || missing="$$missing valgrind"; \
	command -v gcc >/dev/null || missing="$$missing gcc"; \
	command -v python3 >/dev/null || missing="$$missing python3"; \
	[ -x /usr/lib/postgresql/15/bin/initdb ] || missing="$$missing postgresql-15"; \
	[ -f /usr/include/postgresql/libpq-fe.h ] || missing="$$missing libpq-dev"; \
	command -v pkg-config >/dev/null || missing="$$missing pkg-config"; \
	command -v clang-format >/dev/null || missing="$$missing clang-format"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

build: setup
	$(SWIFT) build

test: setup
	@rm -f $(RESULTS)
	@$(MAKE) --no-print-directory test-xctest CF_RESULTS=$(CURDIR)/$(RESULTS)
	@$(MAKE) --no-print-directory lint CF_RESULTS=$(CURDIR)/$(RESULTS)
	@$(MAKE) --no-print-directory test-tsan CF_RESULTS=$(CURDIR)/$(RESULTS)
	@$(MAKE) --no-print-directory test-asan CF_RESULTS=$(CURDIR)/$(RESULTS)
	@$(MAKE) --no-print-directory test-c CF_RESULTS=$(CURDIR)/$(RESULTS)
	@$(MAKE) --no-print-directory model CF_RESULTS=$(CURDIR)/$(RESULTS)
	@$(MAKE) --no-print-directory fuzz-smoke CF_RESULTS=$(CURDIR)/$(RESULTS)
	@$(MAKE) --no-print-directory bench-smoke CF_RESULTS=$(CURDIR)/$(RESULTS)
	@$(MAKE) --no-print-directory example-test CF_RESULTS=$(CURDIR)/$(RESULTS)
	@scripts/summary.sh $(RESULTS)

# The XCTest suite: the C API and the behaviour suite on both implementations.
test-xctest: setup
	$(SWIFT) build --build-tests $(WERROR)
	@CF_RESULTS=$(CF_RESULTS) scripts/stage.sh xctest \
	  $(SWIFT) test --skip-build $(XCTEST)

# The same suite under ThreadSanitizer, stress loops scaled down.
test-tsan: setup
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path .build-tsan
	@CF_RESULTS=$(CF_RESULTS) CF_TEST_SCALE=$(TSAN_SCALE) CF_TEST_SANITIZER=thread \
	  scripts/stage.sh tsan \
	  $(SWIFT) test --skip-build --sanitize=thread --scratch-path .build-tsan $(XCTEST)

# AddressSanitizer with UBSan traps for the C target (leaks are checked by
# the plain-C harness, since XCTest itself leaks).  Built optimised: the
# suite then runs the code a release build runs — a submit specialised for
# its Value leaves the future a specialised runner, which an unoptimised
# build never does (the other stages cover the unspecialised path).
test-asan: setup
	$(SWIFT) build -c release --build-tests --sanitize=address -Xcc -fsanitize=undefined \
	  -Xcc -fsanitize-trap=undefined --scratch-path .build-asan
	@CF_RESULTS=$(CF_RESULTS) ASAN_OPTIONS=detect_leaks=0 CF_TEST_SCALE=0.2 \
	  CF_TEST_SANITIZER=address \
	  scripts/stage.sh asan $(SWIFT) test -c release --skip-build --sanitize=address \
	  -Xcc -fsanitize=undefined -Xcc -fsanitize-trap=undefined \
	  --scratch-path .build-asan $(XCTEST)

# The plain-C harness of the core: strict build, ASan+LSan, TSan, UBSan,
# valgrind memcheck and drd.
test-c: setup
	@CF_RESULTS=$(CF_RESULTS) scripts/stage.sh c-harness scripts/c-harness.sh

# The Promela models of the state word and of the queue's hand-off, checked
# by spin, planted bugs included.
model: setup
	@CF_RESULTS=$(CF_RESULTS) scripts/stage.sh spin scripts/spin-check.sh

# libFuzzer on the queue and the state word: 30 s here, longer with `make fuzz`.
fuzz-smoke: setup
	@CF_RESULTS=$(CF_RESULTS) scripts/stage.sh fuzz scripts/fuzz.sh 30

fuzz: setup
	@CF_RESULTS=$(CF_RESULTS) scripts/stage.sh fuzz scripts/fuzz.sh $${FUZZ_SECONDS:-600}

# Bench's smoke run, so the benchmark cannot rot (debug build: its figures
# mean nothing, and it says so; it asserts no timing).  Bench is a package
# of its own (Benchmarks/), so the library never resolves swift-nio.
bench-smoke: setup bench-setup
	$(SWIFT) build --package-path $(BENCH) --product Bench
	@CF_RESULTS=$(CF_RESULTS) scripts/stage.sh bench-smoke scripts/bench-smoke.sh

# The FanOut example's XCTest suite: the pool against a real PostgreSQL,
# which the tests start, stop with -m immediate mid-batch, restart and stop
# (through scripts/pg-server.sh); its state directory is removed whatever
# happens.
example-test: setup
	$(SWIFT) build --build-tests --package-path $(FANOUT)
	@state=$$(mktemp -d -t cf-fanout-test-XXXXXX); \
	CF_RESULTS=$(CF_RESULTS) FANOUT_PG_SCRIPT=$(PG_SERVER) FANOUT_PG_STATE=$$state \
	  scripts/stage.sh example $(SWIFT) test --skip-build --package-path $(FANOUT) $(XCTEST); \
	PG_STATE_DIR=$$state $(PG_SERVER) stop

# The soak test at full size: 10,000,000 tasks through each implementation
# (`make test` runs 1/100 of it inside the XCTest stage).
soak: setup
	@CF_RESULTS=$(CF_RESULTS) CF_SOAK_TASKS=$${CF_SOAK_TASKS:-10000000} scripts/stage.sh soak \
	  $(SWIFT) test -c release --scratch-path .build-soak $(XCTEST) --filter SoakTests

# The JDK for Bench's JVM system, only when javac is missing (without it
# Bench still runs, and says the JVM row is skipped).
bench-setup:
	@command -v javac >/dev/null || { echo "installing: openjdk-17-jdk-headless"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	  apt-get install -y -qq openjdk-17-jdk-headless; }

# The full benchmark (about 12 minutes), its JSON and the chart the README
# shows; it prints its own duration.
bench: setup bench-setup
	@mkdir -p .build-bench
	$(SWIFT) build -c release --package-path $(BENCH) --product Bench
	@start=$$(date +%s); \
	$(SWIFT) run -c release --skip-build --package-path $(BENCH) Bench \
	  --json $(CURDIR)/.build-bench/results.json | tee .build-bench/table.txt; \
	python3 scripts/bench-chart.py .build-bench/results.json docs/bench.svg; \
	echo "make bench: $$(( $$(date +%s) - start )) s"

# The FanOut example: a throwaway server with $(FANOUT_ROWS) rows, 2,000
# point lookups sequentially and through ConcurrentFutures, Dispatch and a
# TaskGroup, then the server is stopped (also on failure).  PG_PORT picks
# the port; FANOUT_ARGS passes flags (e.g. --requests 5000).
example: setup
	$(SWIFT) build -c release --package-path $(FANOUT) --product FanOut
	@export PG_STATE_DIR=$$(mktemp -d -t cf-fanout-XXXXXX); \
	trap '$(PG_SERVER) stop' EXIT; \
	conninfo=$$($(PG_SERVER) start) && $(PG_SERVER) load $(FANOUT_ROWS) && \
	FANOUT_CONNINFO="$$conninfo" $(SWIFT) run -c release --skip-build \
	  --package-path $(FANOUT) FanOut --rows $(FANOUT_ROWS) $(FANOUT_ARGS)

# The DocC documentation of ConcurrentFutures (its catalog:
# Sources/ConcurrentFutures/ConcurrentFutures.docc), warnings as errors,
# into .build-docs/ConcurrentFutures.doccarchive; `make docs DOCS_ARGS=
# --transform-for-static-hosting` for a folder a web server can serve.
# swift-docc-plugin is in the manifest only under CF_DOCS=1, so a package
# that depends on this one never resolves it; and the build runs on a copy
# of the package in .build-docs/pkg, so that the root Package.resolved (and
# the root .build) never see the plugin.
DOCS := .build-docs
DOCS_ARGS ?=
docs: setup
	@rm -rf $(DOCS)/pkg/Sources $(DOCS)/pkg/Tests && mkdir -p $(DOCS)/pkg
	@cp -a Package.swift Sources Tests $(DOCS)/pkg/
	@if [ -f Package.resolved ] && [ ! -f $(DOCS)/pkg/Package.resolved ]; then \
	  cp Package.resolved $(DOCS)/pkg/; fi
	@CF_DOCS=1 $(SWIFT) package --package-path $(DOCS)/pkg \
	  --scratch-path $(CURDIR)/$(DOCS)/build \
	  --allow-writing-to-directory $(CURDIR)/$(DOCS) \
	  generate-documentation --target ConcurrentFutures --warnings-as-errors \
	  --output-path $(CURDIR)/$(DOCS)/ConcurrentFutures.doccarchive $(DOCS_ARGS) \
	  > $(DOCS)/docs.raw.log 2>&1; status=$$?; \
	sed 's|$(CURDIR)/$(DOCS)/pkg/||g; s|--> \.\./Shared/|--> Sources/Shared/|' \
	  $(DOCS)/docs.raw.log | tee $(DOCS)/docs.log; \
	warnings=$$(grep -E '^(warning|error): ' $(DOCS)/docs.log \
	  | grep -cvE "docc convert' invocation|NSCocoaErrorDomain"); \
	if [ "$$status" -ne 0 ] || [ "$$warnings" -ne 0 ]; then \
	  echo "make docs: failed (status $$status, $$warnings warnings, as errors)"; exit 1; fi
	@echo "make docs: no warnings; open $(DOCS)/ConcurrentFutures.doccarchive"

# Formats the C (clang-format, .clang-format) and the Swift (swift format,
# .swift-format) of Sources, Tests, Benchmarks and Examples in place: the
# files of scripts/source-files.sh, which skips .build* folders and the
# symlinks (Sources/*/Shared, Tests/*/Behaviour, ...), so each file is
# formatted once, where it lives.
format: setup
	clang-format -i $$(scripts/source-files.sh c)
	$(SWIFT) format format --in-place --parallel $$(scripts/source-files.sh swift)

# A stage like the others: unformatted C or Swift, a source file without
# the license header, or a compiler warning each fail it (scripts/lint.sh;
# its build is .build, with the flags of test-xctest, so after that stage
# it costs nothing).  `make test` runs it right after the xctest stage.
lint: setup
	@CF_RESULTS=$(CF_RESULTS) SWIFT=$(SWIFT) WERROR="$(WERROR)" \
	  scripts/stage.sh lint scripts/lint.sh

clean:
	rm -rf .build .build-tsan .build-asan .build-soak .build-c .build-spin \
	  .build-fuzz .build-bench .build-docs .build-lint $(RESULTS) \
	  $(FANOUT)/.build $(BENCH)/.build
