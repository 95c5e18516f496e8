#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The pre-commit hook (.pre-commit-hooks.yaml), run by Debian's real pre-commit with
# `pre-commit try-repo` (what a user runs to try a hook repository) on a scratch git
# repository of manifests: a valid manifest passes; an invalid one, staged, fails with its
# file:line:column; the hook gets only the YAML files, and YAML that is not a manifest (a CI
# pipeline) passes. cognito-reconcile is the built one, on PATH (the hook is language: system).
# Offline.
set -euo pipefail
: "${CR_SOURCE_DIR:?run under ctest}" "${CR_BIN_DIR:?run under ctest}"
T=$(mktemp -d "${TMPDIR:-/tmp}/cr-pre-commit.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v pre-commit >/dev/null || fail "pre-commit is not installed (scripts/deps.sh test installs it)"

export PATH="$CR_BIN_DIR:$PATH" PRE_COMMIT_HOME=$T/cache HOME=$T/home
export GIT_AUTHOR_NAME=test GIT_AUTHOR_EMAIL=test@example.invalid
export GIT_COMMITTER_NAME=test GIT_COMMITTER_EMAIL=test@example.invalid
export GIT_CONFIG_NOSYSTEM=1
mkdir -p "$HOME"
R=$T/manifests
mkdir -p "$R/stacks"
git -C "$R" init -q
cp "$CR_SOURCE_DIR"/examples/minimal/*.yaml "$R/stacks/good.yaml"
printf 'not yaml, not checked\n' >"$R/README.txt"
mkdir -p "$R/.github/workflows"
printf 'name: ci\non: push\njobs: {}\n' >"$R/.github/workflows/ci.yml"
git -C "$R" add -A
git -C "$R" commit -qm manifests

try() { # try [pre-commit args...]: runs the hook; output in $T/out, status in $rc
    rc=0
    (cd "$R" && pre-commit try-repo "$CR_SOURCE_DIR" cognito-reconcile-validate "$@") \
        >"$T/out" 2>&1 || rc=$?
}

try --all-files
[ "$rc" -eq 0 ] || { cat "$T/out" >&2; fail "a valid manifest did not pass (exit $rc)"; }
grep -q "cognito-reconcile validate.*Passed" "$T/out" || { cat "$T/out" >&2; fail "no 'Passed' line"; }
# The hook saw the pipeline too (pre-commit's --verbose shows the program's output).
try --all-files --verbose
[ "$rc" -eq 0 ] && grep -q "skipped 1 file that is not a cognito-reconcile manifest" "$T/out" ||
    { cat "$T/out" >&2; fail "the hook was not given, or did not skip, the CI pipeline (exit $rc)"; }

cat >"$R/stacks/bad.yaml" <<'YAML'
apiVersion: cognito-reconcile/v1
kind: IdentityPool
metadata:
  name: bad
spec:
  identityPoolName: Bad
  allowUnauthenticatedIdentities: false
  alowClassicFlow: true
YAML
git -C "$R" add stacks/bad.yaml
try
[ "$rc" -eq 1 ] || { cat "$T/out" >&2; fail "an invalid manifest passed (exit $rc)"; }
grep -q "cognito-reconcile validate.*Failed" "$T/out" || { cat "$T/out" >&2; fail "no 'Failed' line"; }
grep -qF "stacks/bad.yaml:8:3: unknown key 'alowClassicFlow' (did you mean 'allowClassicFlow'?)" "$T/out" ||
    { cat "$T/out" >&2; fail "no file:line:col diagnostic"; }
if grep -q "README.txt" "$T/out"; then fail "the hook was given a file that is not YAML"; fi
echo "ok: the pre-commit hook passes a valid manifest and refuses an invalid one with file:line:col"
