#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs every libFuzzer target of a CR_FUZZ=ON build on its seed corpus for SECONDS each.
#   scripts/fuzz.sh BUILD_DIR [SECONDS]
# A target BUILD/tests/fuzz_<name> uses the seeds in tests/fuzz/corpus/<name>/ (read-only:
# new inputs go to a scratch corpus under BUILD/fuzz-corpus/<name>/, crashes to
# BUILD/fuzz-artifacts/). Exit status 1 if any target finds a crash, leak or timeout.
set -euo pipefail
build=${1:?usage: scripts/fuzz.sh BUILD_DIR [SECONDS]}
seconds=${2:-30}
root=$(cd "$(dirname "$0")/.." && pwd)
shopt -s nullglob
targets=("$build"/tests/fuzz_*)
if [ ${#targets[@]} -eq 0 ]; then
    echo "fuzz.sh: no fuzz_* executables in $build/tests (configure with CC=clang -DCR_FUZZ=ON)" >&2
    exit 1
fi
status=0
for bin in "${targets[@]}"; do
    [ -x "$bin" ] || continue
    name=$(basename "$bin")
    corpus_name=${name#fuzz_}
    seeds="$root/tests/fuzz/corpus/$corpus_name"
    scratch="$build/fuzz-corpus/$corpus_name"
    artifacts="$build/fuzz-artifacts/$corpus_name/"
    mkdir -p "$scratch" "$artifacts"
    dirs=("$scratch")
    [ -d "$seeds" ] && dirs+=("$seeds")
    echo "== $name: ${seconds}s on ${dirs[*]}"
    if ! ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
        "$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len=65536 \
            -artifact_prefix="$artifacts" -print_final_stats=1 "${dirs[@]}"; then
        echo "fuzz.sh: $name FAILED (artifacts in $artifacts)" >&2
        status=1
    fi
done
exit $status
