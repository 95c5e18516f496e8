#!/usr/bin/env bash
# `make demo` keeps working: scripts/demo.sh runs the whole story (validate, plan, apply, plan
# clean, a hand edit with the AWS CLI, drift exit 2, repair, drift clean) against its own
# emulator and fails when any step does not behave as expected.
set -euo pipefail
: "${CR_SOURCE_DIR:?run under ctest}" "${CR_BUILD_DIR:?run under ctest}"
[ -x /usr/bin/aws ] || command -v aws >/dev/null || { echo "SKIP: the AWS CLI is not installed"; exit 0; }
out=$(mktemp "${TMPDIR:-/tmp}/cr-demo-test.XXXXXX")
trap 'rm -f "$out"' EXIT
if ! bash "$CR_SOURCE_DIR/scripts/demo.sh" "$CR_BUILD_DIR" >"$out" 2>&1; then
    cat "$out"
    echo "FAIL: scripts/demo.sh"
    exit 1
fi
grep -q "demo complete" "$out" || { cat "$out"; echo "FAIL: no completion line"; exit 1; }
grep -c '^== ' "$out" | grep -qx 8 || { cat "$out"; echo "FAIL: expected 8 narrated steps"; exit 1; }
echo "PASS: demo"
