# SPDX-License-Identifier: Apache-2.0
# A thin wrapper around CMake. `make demo` and `make test` are the only set-up commands.
BUILD    ?= build
ASAN     ?= build-asan
FUZZ     ?= build-fuzz
JOBS     ?= $(shell nproc)
CMAKE    ?= cmake
FUZZ_SECONDS ?= 30

.PHONY: all deps build test unit sanitize demo fuzz bench npm clean

all: build

deps:
	@scripts/deps.sh

build: deps
	@$(CMAKE) -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@$(CMAKE) --build $(BUILD) -j $(JOBS)

# Test-only npm packages (ajv, aws-sdk v2, @aws-sdk/client-cognito-identity v3).
npm:
	@scripts/npm-deps.sh

test: build npm
	@ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

unit: build
	@ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -L unit

sanitize: deps npm
	@$(CMAKE) -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=Debug -DCR_SANITIZE=ON >/dev/null
	@$(CMAKE) --build $(ASAN) -j $(JOBS)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		ctest --test-dir $(ASAN) --output-on-failure -j $(JOBS)

demo: build
	@scripts/demo.sh $(BUILD)

fuzz: deps
	@CC=clang $(CMAKE) -S . -B $(FUZZ) -DCMAKE_BUILD_TYPE=Debug -DCR_SANITIZE=ON -DCR_FUZZ=ON >/dev/null
	@$(CMAKE) --build $(FUZZ) -j $(JOBS) --target fuzzers
	@scripts/fuzz.sh $(FUZZ) $(FUZZ_SECONDS)

bench: build
	@scripts/bench.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN) $(FUZZ)
