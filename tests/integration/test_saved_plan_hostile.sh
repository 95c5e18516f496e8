#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Saved plans handled by a hostile but realistic user: parts of the file that the digest does
# not cover are edited between plan and apply. Apply must refuse with a clear message naming
# the member, and make no API call at all (asserted on the emulator's request log).
. "$CR_SOURCE_DIR/tests/integration/cli_lib.sh"
cli_setup
command -v jq >/dev/null || fail "jq is not installed (scripts/deps.sh installs it)"

pool_yaml app "App" >"$T/m/app.yaml"
run_cr 0 apply "$T/m" --auto-approve
sed -i 's/identityPoolName: .*/identityPoolName: "App Two"/' "$T/m/app.yaml"
run_cr 0 plan "$T/m" --out "$T/plan.json"
DIGEST=$(jq -r .digest "$T/plan.json")
[ "$(jq -r '.accounts[0].account_id' "$T/plan.json")" = 123456789012 ] ||
    fail "plan --out did not record the account id"

# expect_no_call FILE TEXT: apply FILE (pinned to the reviewed digest) exits 1 naming TEXT,
# with no API call.
expect_no_call() {
    local mark
    mark=$(log_mark)
    run_cr 1 apply "$1" --expect-digest "$DIGEST"
    expect_in "$T/err" "$2"
    [ "$(ops_since "$mark" all | wc -l)" -eq 0 ] || fail "$1: API calls were made: $(ops_since "$mark" all)"
}

step "the recorded account id is not in the digest: removing it must not skip the account guard"
jq '.accounts[0].account_id = null' "$T/plan.json" >"$T/null.json"
expect_no_call "$T/null.json" "accounts[0].account_id"
jq '.accounts[0] |= with_entries(if .key == "account_id" then .key = "accotnt_id" else . end)' \
    "$T/plan.json" >"$T/typo.json"
expect_no_call "$T/typo.json" "accounts[0].account_id"

step "plan --out FILE not ending in .json is refused before any call: apply FILE would read it as manifests"
# (apply tells a saved plan from manifests by the name: apply plan.out found "no manifest",
# planned nothing and exited 0, the saved plan never applied)
mark=$(log_mark)
run_cr 1 plan "$T/m" --out "$T/plan.out"
expect_in "$T/err" "--out $T/plan.out: a saved plan's name must end in .json"
[ ! -e "$T/plan.out" ] || fail "a plan was written to $T/plan.out"
[ "$(ops_since "$mark" all | wc -l)" -eq 0 ] || fail "API calls were made: $(ops_since "$mark" all)"
step "plan --out into a folder that does not exist says why"
run_cr 1 plan "$T/m" --out "$T/no/such/plan.json"
expect_in "$T/err" "$T/no/such/plan.json: cannot write the plan: No such file or directory"

step "a saved plan given where manifests are read (another name, standard input) is refused, not applied as nothing"
# (it is YAML of no cognito-reconcile kind: it was skipped, "no manifest found", exit 0)
cp "$T/plan.json" "$T/plan.saved"
mark=$(log_mark)
run_cr 1 apply "$T/plan.saved" --auto-approve
expect_in "$T/err" "$T/plan.saved: not a cognito-reconcile manifest"
expect_in "$T/err" "a saved plan (plan --out FILE.json) is applied with apply FILE.json"
rc=0
"$CR" apply --endpoint-url "$EMU_URL" - --auto-approve <"$T/plan.json" >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" -eq 1 ] || fail "apply - with a saved plan on stdin exited $rc, expected 1"
expect_in "$T/err" "<stdin>: not a cognito-reconcile manifest"
run_cr 1 drift "$T/plan.saved"
expect_in "$T/err" "$T/plan.saved: not a cognito-reconcile manifest"
[ "$(ops_since "$mark" all | wc -l)" -eq 0 ] || fail "API calls were made: $(ops_since "$mark" all)"
# a folder may hold other YAML: it is skipped there, as before
cp "$T/plan.json" "$T/m/ci.yml"
run_cr 0 plan "$T/m"
rm "$T/m/ci.yml"

step "the reviewed plan still applies"
run_cr 0 apply "$T/plan.json" --expect-digest "$DIGEST"

echo "PASS: hostile saved plans"
