# ConcurrentFutures — a thin wrapper over SwiftPM and the checkers.
# `make test` runs every stage below in order, each printing its own count,
# and ends with one line "N passed, M failed" (non-zero exit if M > 0).

SWIFT ?= swift
export SWIFT_BACKTRACE = enable=no
RESULTS := .build-results.txt
XCTEST := --disable-swift-testing
TSAN_SCALE ?= 0.1

.PHONY: setup build test test-xctest test-tsan test-asan soak bench format clean

# Installs the system packages the build needs, only when missing.
setup:
	@if [ ! -f /usr/include/bsd/sys/queue.h ]; then \
	  echo "installing libbsd-dev"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libbsd-dev; \
	fi

build: setup
	$(SWIFT) build

test: setup
	@rm -f $(RESULTS)
	@$(MAKE) --no-print-directory test-xctest CF_RESULTS=$(CURDIR)/$(RESULTS)
	@$(MAKE) --no-print-directory test-tsan CF_RESULTS=$(CURDIR)/$(RESULTS)
	@scripts/summary.sh $(RESULTS)

# The XCTest suite: the C API and the behaviour suite on both implementations.
test-xctest: setup
	$(SWIFT) build --build-tests
	@CF_RESULTS=$(CF_RESULTS) scripts/stage.sh xctest \
	  $(SWIFT) test --skip-build $(XCTEST)

# The same suite under ThreadSanitizer, stress loops scaled down.
test-tsan: setup
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path .build-tsan
	@CF_RESULTS=$(CF_RESULTS) CF_TEST_SCALE=$(TSAN_SCALE) scripts/stage.sh tsan \
	  $(SWIFT) test --skip-build --sanitize=thread --scratch-path .build-tsan $(XCTEST)

# AddressSanitizer with UBSan traps for the C target (leaks are checked by
# the plain-C harness, since XCTest itself leaks).
test-asan: setup
	$(SWIFT) build --build-tests --sanitize=address -Xcc -fsanitize=undefined \
	  -Xcc -fsanitize-trap=undefined --scratch-path .build-asan
	@CF_RESULTS=$(CF_RESULTS) ASAN_OPTIONS=detect_leaks=0 CF_TEST_SCALE=0.2 \
	  scripts/stage.sh asan $(SWIFT) test --skip-build --sanitize=address \
	  -Xcc -fsanitize=undefined -Xcc -fsanitize-trap=undefined \
	  --scratch-path .build-asan $(XCTEST)

# The soak test at full size: 10,000,000 tasks through each implementation
# (`make test` runs 1/100 of it inside the XCTest stage).
soak: setup
	@CF_RESULTS=$(CF_RESULTS) CF_SOAK_TASKS=$${CF_SOAK_TASKS:-10000000} scripts/stage.sh soak \
	  $(SWIFT) test -c release --scratch-path .build-soak $(XCTEST) --filter SoakTests

bench: setup
	$(SWIFT) run -c release Bench

format:
	clang-format -i Sources/CFutures/*.c Sources/CFutures/*.h Sources/CFutures/include/*.h

clean:
	rm -rf .build .build-tsan .build-asan $(RESULTS)
