#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The GitHub composite action (action.yml), run step by step as the Actions runner runs it
# (tests/release/run_action.py: expressions substituted, bash -eo pipefail, the GITHUB_OUTPUT /
# GITHUB_PATH / GITHUB_STEP_SUMMARY file protocol) against the emulator:
# - installed from the .deb `make package` built (the release/package_build fixture);
# - validate passes, and fails on a bad manifest with a file:line:col ::error annotation;
# - plan: exit-code 2, has-changes true, the Markdown plan in the job summary and the report;
# - apply creates the pool; plan again: exit-code 0, has-changes false;
# - after a hand edit, drift: exit-code 2, has-changes true, the step still succeeds;
# - an unknown command fails the step; without `deb` it uses cognito-reconcile from PATH, and
#   with none there it builds the CLI from the action's source.
set -euo pipefail
: "${CR_SOURCE_DIR:?run under ctest}" "${CR_BUILD_DIR:?run under ctest}" "${CR_BIN_DIR:?run under ctest}"
T=$(mktemp -d "${TMPDIR:-/tmp}/cr-action.XXXXXX")
. "$CR_SOURCE_DIR/tests/support/emulator.sh"
trap 'emu_stop; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

deb=$(ls "$CR_BUILD_DIR"/release-packages/cognito-reconcile_*.deb 2>/dev/null | head -n 1)
[ -f "$deb" ] || fail "no .deb in $CR_BUILD_DIR/release-packages (the release/package_build fixture)"
emu_start || fail "emulator"

WS=$T/workspace
mkdir -p "$WS/stacks" "$T/bad"
cp "$CR_SOURCE_DIR"/examples/minimal/*.yaml "$WS/stacks/"
printf 'apiVersion: cognito-reconcile/v1\nkind: IdentityPool\nmetadata:\n  name: bad\nspec:\n  identityPoolName: Bad\n  allowUnauthenticatedIdentities: false\n  alowClassicFlow: true\n' \
    >"$WS/bad.yaml"

# The job's environment: credentials and endpoint as a workflow would export them, and a PATH
# of the system's folders (no cognito-reconcile there, unless one is installed on this machine).
export AWS_ACCESS_KEY_ID=AKIDACTIONTEST AWS_SECRET_ACCESS_KEY=action/test/secret
export AWS_REGION=us-east-1 AWS_ENDPOINT_URL=$EMU_URL
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ROLE_ARN AWS_WEB_IDENTITY_TOKEN_FILE
BASE_PATH=/usr/local/bin:/usr/bin:/bin
installed=$(PATH=$BASE_PATH command -v cognito-reconcile || true)

n=0
# act NAME=VALUE...: runs the action with these inputs; the result JSON is $T/r$n.json.
act() {
    n=$((n + 1))
    mkdir -p "$T/temp$n"
    PATH=${ACT_PATH:-$BASE_PATH} python3 "$CR_SOURCE_DIR/tests/release/run_action.py" \
        "$CR_SOURCE_DIR" "$WS" "$T/temp$n" "$@" >"$T/r$n.json" 2>"$T/r$n.log" ||
        { cat "$T/r$n.log" >&2; fail "run_action.py failed for: $*"; }
}
get() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$T/r$n.json" "$1"; }
expect() { # EXPR VALUE
    local got
    got=$(get "$1")
    [ "$got" = "$2" ] || { cat "$T/r$n.log" >&2; fail "run $n: $1 is '$got', expected '$2'"; }
}
expect_in() { # EXPR TEXT
    get "$1" >"$T/value"
    grep -qF -- "$2" "$T/value" || { cat "$T/r$n.log" >&2; fail "run $n: $1 lacks '$2': $(cat "$T/value")"; }
}

# ---- validate ----
act command=validate path=stacks deb="$deb"
expect 'd["outcome"]' success
expect 'd["outputs"]["exit-code"]' 0
expect 'd["outputs"]["has-changes"]' false
expect_in 'd["outputs"]["version"]' "cognito-reconcile "
expect_in 'd["summary"]' "### cognito-reconcile validate (stack default)"
act command=validate path="stacks bad.yaml" deb="$deb"
expect 'd["outcome"]' failure
expect 'd["outputs"]["exit-code"]' 1
expect_in 'd["stdout"]' "::error file=bad.yaml,line=8,col=3::unknown key 'alowClassicFlow'"
expect_in 'd["summary"]' "alowClassicFlow"

# ---- plan, apply, plan ----
act command=plan path=stacks stack=ci region=us-east-1 deb="$deb"
expect 'd["outcome"]' success
expect 'd["outputs"]["exit-code"]' 2
expect 'd["outputs"]["has-changes"]' true
expect_in 'd["summary"]' "### cognito-reconcile plan (stack ci)"
expect_in 'd["summary"]' "CreateIdentityPool"
report=$(get 'd["outputs"]["report"]')
[ -f "$report" ] && grep -q CreateIdentityPool "$report" || fail "the report output is not the plan: $report"
[ "$(emu_count CreateIdentityPool)" = 0 ] || fail "plan created a pool"

act command=apply path=stacks stack=ci args="--parallelism 2" deb="$deb"
expect 'd["outcome"]' success
expect 'd["outputs"]["exit-code"]' 0
[ "$(emu_count CreateIdentityPool)" = 1 ] || fail "apply did not create exactly one pool"

act command=plan path=stacks stack=ci deb="$deb"
expect 'd["outputs"]["exit-code"]' 0
expect 'd["outputs"]["has-changes"]' false

# ---- drift after a hand edit ----
id=$(emu_call ListIdentityPools '{"MaxResults": 10}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["IdentityPools"][0]["IdentityPoolId"])')
emu_call UpdateIdentityPool "{\"IdentityPoolId\": \"$id\", \"IdentityPoolName\": \"Minimal\", \"AllowUnauthenticatedIdentities\": true}" >/dev/null ||
    fail "hand edit"
act command=drift path=stacks stack=ci deb="$deb"
expect 'd["outcome"]' success
expect 'd["outputs"]["exit-code"]' 2
expect 'd["outputs"]["has-changes"]' true
expect_in 'd["summary"]' "allowUnauthenticatedIdentities"

# ---- bad input, and the other ways to install ----
act command=destroy deb="$deb"
expect 'd["outcome"]' failure
expect_in 'd["stdout"]' "::error title=cognito-reconcile::command: 'destroy' is not one of"

ACT_PATH=$CR_BIN_DIR:$BASE_PATH act command=validate path=stacks
expect 'd["outcome"]' success
expect_in 'd["outputs"]["version"]' "cognito-reconcile "
[ "$(get 'd["steps"][0]["outcome"]')" = success ] || fail "install from PATH"
grep -q "($CR_BIN_DIR)" "$T/r$n.log" || fail "did not use cognito-reconcile from PATH: $(cat "$T/r$n.log")"

if [ -n "$installed" ]; then
    echo "ok (without the build from source: $installed is installed on this machine)"
    exit 0
fi
act command=validate path=stacks
expect 'd["outcome"]' success
expect 'd["outputs"]["exit-code"]' 0
grep -q "building cognito-reconcile from $CR_SOURCE_DIR" "$T/r$n.log" ||
    fail "did not build from the action's source: $(cat "$T/r$n.log")"
[ -x "$T/temp$n/cognito-reconcile-build/cmd/cognito-reconcile" ] || fail "no build in RUNNER_TEMP"
echo "ok: the action installs, runs and reports as a workflow sees it"
