#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
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
# Every stack folder of examples/ (not examples/ci), with paths relative to the repository.
grep -qF 'validate examples/dev examples/minimal examples/mobile examples/prod' "$out" ||
    { cat "$out"; echo "FAIL: not every examples/ stack folder, or paths not relative"; exit 1; }
grep -qF 'Plan: 6 to create' "$out" || { cat "$out"; echo "FAIL: the example pools were not all planned"; exit 1; }
# A step that misbehaves stops the story with a non-zero status (here: invalid manifests).
bad=$(mktemp -d "${TMPDIR:-/tmp}/cr-demo-bad.XXXXXX")
trap 'rm -f "$out"; rm -rf "$bad"' EXIT
printf 'apiVersion: cognito-reconcile/v1\nkind: IdentityPool\nmetadata: {name: Bad Name}\n' >"$bad/p.yaml"
rc=0
DEMO_MANIFESTS=$bad bash "$CR_SOURCE_DIR/scripts/demo.sh" "$CR_BUILD_DIR" >"$out" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || { cat "$out"; echo "FAIL: the demo exited 0 with invalid manifests"; exit 1; }
grep -qF "demo failed: 'cognito-reconcile validate" "$out" || { cat "$out"; echo "FAIL: no failure line"; exit 1; }
grep -q "demo complete" "$out" && { cat "$out"; echo "FAIL: completion claimed"; exit 1; }
echo "PASS: demo"
