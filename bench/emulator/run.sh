#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# DescribeIdentityPool requests/s against cognito-identity-local (loopback, keep-alive), and
# the same server's GET /_local/health as the baseline (HTTP + routing only), as a ratio.
# Usage: bench/emulator/run.sh BUILD_DIR     Env: BENCH_SECONDS (5), BENCH_CONNECTIONS (32),
# BENCH_THREADS (emulator worker threads, 2), BENCH_TARGET (5000), BENCH_TOOL=client (use the
# libcurl client even when wrk is installed), BENCH_STRICT=1 to fail
# below the target.
set -euo pipefail

BUILD=${1:?usage: bench/emulator/run.sh BUILD_DIR}
BUILD=$(cd "$BUILD" && pwd)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SECONDS_RUN=${BENCH_SECONDS:-5}
CONNS=${BENCH_CONNECTIONS:-32}
THREADS=${BENCH_THREADS:-2}
TARGET=${BENCH_TARGET:-5000}

export CR_BIN_DIR="$BUILD/cmd"
. "$HERE/../../tests/support/emulator.sh"
emu_start --threads "$THREADS" || exit 1
trap emu_stop EXIT

POOL=$(emu_call CreateIdentityPool \
  '{"IdentityPoolName":"bench","AllowUnauthenticatedIdentities":true,"SupportedLoginProviders":{"graph.facebook.com":"1234567890"},"IdentityPoolTags":{"team":"bench"}}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["IdentityPoolId"])')

# rate LABEL -> requests/s on stdout (tool output on stderr)
run_wrk() {  # $1 = lua script, $2.. = script args
  local script=$1; shift
  local out
  out=$(wrk -t2 -c"$CONNS" -d"${SECONDS_RUN}s" -s "$script" "$EMU_URL" -- "$@")
  echo "$out" >&2
  if grep -q 'Non-2xx' <<<"$out"; then
    echo "bench/emulator: non-2xx responses in the run" >&2
    return 1
  fi
  awk '/Requests\/sec:/ {printf "%.0f\n", $2}' <<<"$out"
}

run_client() {  # $1 = URL, $2 = pool id or empty
  local out
  out=$("$BUILD/bench/emulator/bench_emulator_client" "$1" "$SECONDS_RUN" "$CONNS" ${2:+"$2"})
  echo "$out" >&2
  awk '/requests\/s:/ {print $2}' <<<"$out"
}

if [ "${BENCH_TOOL:-wrk}" = wrk ] && command -v wrk >/dev/null; then
  tool="wrk (2 threads, $CONNS keep-alive connections)"
  describe=$(run_wrk "$HERE/describe.lua" "$POOL")
  health=$(run_wrk "$HERE/health.lua")
else
  tool="bench_emulator_client (libcurl multi, $CONNS keep-alive connections)"
  describe=$(run_client "$EMU_URL/" "$POOL")
  health=$(run_client "$EMU_URL/_local/health" "")
fi

ratio=$(python3 -c "print(f'{$describe / $health:.2f}')")
verdict=$([ "$describe" -ge "$TARGET" ] && echo "meets" || echo "BELOW")
cat <<REPORT
bench/emulator: $tool, $SECONDS_RUN s each, emulator --threads $THREADS, $(nproc) CPUs
  DescribeIdentityPool        $describe requests/s
  baseline GET /_local/health $health requests/s
  ratio describe/baseline     $ratio
  target >= $TARGET requests/s: $verdict
REPORT
if [ "$verdict" = BELOW ] && [ "${BENCH_STRICT:-0}" = 1 ]; then
  exit 1
fi
