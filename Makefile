# SPDX-License-Identifier: Apache-2.0
# A thin wrapper around CMake. `make demo` and `make test` are the only set-up commands.
BUILD    ?= build
ASAN     ?= build-asan
FUZZ     ?= build-fuzz
JOBS     ?= $(shell nproc)
CMAKE    ?= cmake
FUZZ_SECONDS ?= 30
# make install PREFIX=/usr DESTDIR=/tmp/stage
PREFIX   ?= /usr/local
DESTDIR  ?=
# Where `make package` writes the .deb and the .tar.gz.
PACKAGES ?= $(BUILD)/packages

# Everything (tests, emulator, benchmarks, man pages), warnings as errors: make build/test.
FULL := -DCR_BUILD_TESTS=ON -DCR_BUILD_EMULATOR=ON -DCR_BUILD_BENCH=ON -DCR_BUILD_DOCS=ON -DCR_WERROR=ON
# Only the two programs and what they install: the first configuration of `make install`,
# `make package` and `make demo` when BUILD has none yet (an existing one keeps its options).
RELEASE := -DCR_BUILD_TESTS=OFF -DCR_BUILD_EMULATOR=ON -DCR_BUILD_BENCH=OFF
CONFIGURE = $(CMAKE) -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo
# install and package ship the man pages and the emulator, however BUILD was configured
# before (make demo leaves the man pages out): turned on here when they are off.
RELEASE_READY = test -f $(BUILD)/CMakeCache.txt || $(CONFIGURE) $(RELEASE) >/dev/null; \
	grep -q '^CR_BUILD_DOCS:BOOL=ON' $(BUILD)/CMakeCache.txt && \
	grep -q '^CR_BUILD_EMULATOR:BOOL=ON' $(BUILD)/CMakeCache.txt || \
	$(CMAKE) -S . -B $(BUILD) -DCR_BUILD_DOCS=ON -DCR_BUILD_EMULATOR=ON >/dev/null
# No "Entering directory" lines from the makefiles CMake generates.
MAKEFLAGS += --no-print-directory

.PHONY: all deps build test unit sanitize demo fuzz bench npm install package clean

all: build

deps:
	@scripts/deps.sh test

build: deps
	@$(CONFIGURE) $(FULL) >/dev/null
	@$(CMAKE) --build $(BUILD) -j $(JOBS)

# Test-only npm packages (ajv, aws-sdk v2, @aws-sdk/client-cognito-identity v3).
npm:
	@scripts/npm-deps.sh

test: build npm
	@ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

unit: build
	@ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -L unit

sanitize: deps npm
	@$(CMAKE) -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=Debug -DCR_SANITIZE=ON $(FULL) >/dev/null
	@$(CMAKE) --build $(ASAN) -j $(JOBS)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		ctest --test-dir $(ASAN) --output-on-failure -j $(JOBS)

# The demo needs the two programs only: built quietly (the log is kept, and shown on failure).
demo:
	@scripts/deps.sh demo
	@test -f $(BUILD)/CMakeCache.txt || $(CONFIGURE) $(RELEASE) -DCR_BUILD_DOCS=OFF >/dev/null
	@echo "building cognito-reconcile and cognito-identity-local (log: $(BUILD)/demo-build.log)"
	@$(CMAKE) --build $(BUILD) -j $(JOBS) --target cognito-reconcile cognito-identity-local \
		>$(BUILD)/demo-build.log 2>&1 || { tail -n 40 $(BUILD)/demo-build.log; exit 1; }
	@scripts/demo.sh $(BUILD)

# The programs, man pages, completions and schema under $(DESTDIR)$(PREFIX).
install:
	@scripts/deps.sh install
	@$(RELEASE_READY)
	@$(CMAKE) --build $(BUILD) -j $(JOBS) --target dist
	@DESTDIR="$(DESTDIR)" $(CMAKE) --install $(BUILD) --prefix "$(PREFIX)"

# The .deb and the .tar.gz (CPack) in $(PACKAGES).
package:
	@scripts/deps.sh package
	@$(RELEASE_READY)
	@$(CMAKE) --build $(BUILD) -j $(JOBS) --target dist
	@cd $(BUILD) && cpack -B "$(abspath $(PACKAGES))"

fuzz: deps
	@CC=clang $(CMAKE) -S . -B $(FUZZ) -DCMAKE_BUILD_TYPE=Debug -DCR_SANITIZE=ON -DCR_FUZZ=ON >/dev/null
	@$(CMAKE) --build $(FUZZ) -j $(JOBS) --target fuzzers
	@scripts/fuzz.sh $(FUZZ) $(FUZZ_SECONDS)

bench: build
	@scripts/bench.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN) $(FUZZ)
