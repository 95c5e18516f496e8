#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs every benchmark (bench/*/run.sh BUILD_DIR) in turn; each prints its own ratio against
# a baseline. Usage: scripts/bench.sh BUILD_DIR   (`make bench` runs it after building)
set -euo pipefail

BUILD=${1:?usage: scripts/bench.sh BUILD_DIR}
BUILD=$(cd "$BUILD" && pwd)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

status=0
found=0
for run in "$ROOT"/bench/*/run.sh; do
  [ -e "$run" ] || continue
  found=$((found + 1))
  name=$(basename "$(dirname "$run")")
  printf '\n=== bench/%s ===\n' "$name"
  if ! bash "$run" "$BUILD"; then
    printf 'bench/%s FAILED\n' "$name" >&2
    status=1
  fi
done
[ "$found" -gt 0 ] || { echo "bench: no bench/*/run.sh found" >&2; exit 1; }
exit "$status"
