#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A saved plan applies exactly what was reviewed (issue 9.2), asserted on the emulator's
# request log: every output prints the same plan digest, which a reviewer recomputes with jq
# and sha256sum as docs/plan.md defines it; apply --expect-digest pins it; an edited file (a
# renamed pool, an injected DeveloperProviderName, an ownership tag moving the pool to another
# stack, a dropped call) is refused with no write even when the editor recomputed the digest;
# a pool of the stack created between plan and apply (a new one, or one claiming a planned
# name) makes apply refuse.
. "$CR_SOURCE_DIR/tests/integration/cli_lib.sh"
cli_setup
command -v jq >/dev/null || fail "jq is not installed (scripts/deps.sh installs it)"

# The values exercise every escape of the digest's canonical text: a tab in the pool name,
# non-ASCII, a slash, a quote, a backslash and DEL in tag values.
app_manifest() { # app_manifest DISPLAY_NAME TEAM
    cat >"$T/m/app.yaml" <<EOF
apiVersion: cognito-reconcile/v1
kind: IdentityPool
metadata:
  name: app
  region: us-east-1
spec:
  identityPoolName: "$1"
  allowUnauthenticatedIdentities: false
  roles:
    authenticated: arn:aws:iam::123456789012:role/AppAuth
  tags: {team: "$2", note: "caf\u00e9 $2 a/b \"q\" back\\\\slash \u007f del"}
EOF
}

# digest_of FILE: the digest a reviewer computes from a saved plan (docs/plan.md).
digest_of() {
    printf 'sha256:%s' "$(jq -jcS '[.operations[] | {action, pool, account, region, pool_id, replace, parameters}]' "$1" |
        sha256sum | cut -d' ' -f1)"
}

# edit_plan IN OUT JQ_FILTER: an edited copy of a saved plan whose recorded digest is
# recomputed, as anyone editing it can.
edit_plan() {
    jq "$3" "$1" >"$T/edit.tmp" || fail "jq edit failed: $3"
    jq --arg d "$(digest_of "$T/edit.tmp")" '.digest = $d' "$T/edit.tmp" >"$2"
}

step "every output prints the same digest, and jq + sha256sum recompute it"
app_manifest "App	Tab" mobile
run_cr 0 apply "$T/m" --auto-approve
app_manifest "App Renamed" web
run_cr 2 plan "$T/m" --detailed-exitcode --out "$T/plan.json"
DIGEST=$(sed -n 's/^plan digest: \(sha256:[0-9a-f]*\)$/\1/p' "$T/out")
[ -n "$DIGEST" ] || fail "plan printed no digest line"
expect_in "$T/err" "--expect-digest $DIGEST"
[ "$(jq -r .digest "$T/plan.json")" = "$DIGEST" ] || fail "the saved plan records another digest"
[ "$(digest_of "$T/plan.json")" = "$DIGEST" ] || fail "jq + sha256sum give $(digest_of "$T/plan.json"), plan printed $DIGEST"
run_cr 2 plan "$T/m" --detailed-exitcode --output json
[ "$(jq -r .digest "$T/out")" = "$DIGEST" ] || fail "--output json shows another digest"
run_cr 2 plan "$T/m" --detailed-exitcode --output markdown
expect_in "$T/out" "plan digest: \`$DIGEST\`"
# the first apply's plan had a tab in the pool name and every escape in the tags
run_cr 0 apply "$T/m" --auto-approve --output json
[ "$(jq -r .plan.digest "$T/out")" = "$(jq '.plan' "$T/out" >"$T/p.json" && digest_of "$T/p.json")" ] ||
    fail "apply --output json: the plan's digest is not the jq one"
app_manifest "App	Tab" mobile
run_cr 2 plan "$T/m" --detailed-exitcode --out "$T/plan.json"
[ "$(jq -r .digest "$T/plan.json")" = "$(digest_of "$T/plan.json")" ] ||
    fail "escapes: jq computes another digest than cognito-reconcile"
grep -q '\\t' "$T/plan.json" && grep -q 'caf' "$T/plan.json" || fail "the test values are not in the plan"

step "--expect-digest: a malformed value makes no call; another digest writes nothing"
mark=$(log_mark)
run_cr 1 apply "$T/plan.json" --expect-digest sha256:abc
expect_in "$T/err" "--expect-digest: 'sha256:abc' is not a plan digest"
[ "$(ops_since "$mark" all | wc -l)" -eq 0 ] || fail "a malformed --expect-digest made API calls"
DIGEST=$(jq -r .digest "$T/plan.json")
OTHER=sha256:$(printf '%064d' 0)
run_cr 1 apply "$T/plan.json" --expect-digest "$OTHER"
expect_in "$T/err" "not the plan that was reviewed"
[ "$(ops_since "$mark" all | wc -l)" -eq 0 ] || fail "a saved plan with the wrong digest made API calls"
run_cr 1 apply "$T/m" --auto-approve --expect-digest "$OTHER"
expect_in "$T/err" "--expect-digest"
expect_writes "$mark" ""

step "edited saved plans are refused before the first write"
APP=$(pool_id_of app)
app_manifest "App Third" third
run_cr 2 plan "$T/m" --detailed-exitcode --out "$T/plan.json"
DIGEST=$(jq -r .digest "$T/plan.json")
expect_refused() { # expect_refused WHAT JQ_FILTER TEXT
    edit_plan "$T/plan.json" "$T/edited.json" "$2"
    local m
    m=$(log_mark)
    run_cr 1 apply "$T/edited.json"
    expect_in "$T/err" "$3"
    expect_in "$T/err" "run plan again"
    expect_writes "$m" ""
}
expect_refused "a renamed pool" \
    '(.operations[] | select(.action == "update") | .parameters.IdentityPoolName) = "Evil"' \
    '"IdentityPoolName":"Evil"'
expect_refused "an injected DeveloperProviderName" \
    '(.operations[] | select(.action == "update") | .parameters.DeveloperProviderName) = "login.evil"' \
    'login.evil'
expect_refused "an ownership tag moving the pool to another stack" \
    '(.operations[] | select(.action == "tag") | .parameters.Tags["cognito-reconcile:stack"]) = "other"' \
    '"cognito-reconcile:stack":"other"'
expect_refused "a dropped operation" \
    'del(.operations[] | select(.action == "tag"))' "pool 'app': 1 calls, not 2"
# an edit that leaves the recorded digest alone is refused when the file is read
jq '(.operations[0].parameters.IdentityPoolName) = "Evil"' "$T/plan.json" >"$T/edited.json"
mark=$(log_mark)
run_cr 1 apply "$T/edited.json"
expect_in "$T/err" "edited after the plan was made"
[ "$(ops_since "$mark" all | wc -l)" -eq 0 ] || fail "a file with a stale digest made API calls"
# editing the recorded manifests too gets past the re-derivation, not past the digest pin
edit_plan "$T/plan.json" "$T/edited.json" \
    '(.operations[] | select(.action == "update") | .parameters.IdentityPoolName) = "Evil" |
     .desired[0].config.IdentityPoolName = "Evil"'
mark=$(log_mark)
run_cr 1 apply "$T/edited.json" --expect-digest "$DIGEST"
expect_in "$T/err" "not the plan that was reviewed"
[ "$(ops_since "$mark" all | wc -l)" -eq 0 ] || fail "a consistently edited plan made API calls"
# the reviewed plan applies, pinned
run_cr 0 apply "$T/plan.json" --expect-digest "$DIGEST"
describe "$APP" "$T/d.json"
[ "$(json_get "$T/d.json" 'd["IdentityPoolName"]')" = "App Third" ] || fail "the reviewed rename was not applied"

step "a pool of the stack created between plan and apply makes apply refuse"
app_manifest "App Again" web
run_cr 2 plan "$T/m" --detailed-exitcode --out "$T/plan.json"
emu_json CreateIdentityPool '{"IdentityPoolName":"Intruder","AllowUnauthenticatedIdentities":false,
  "IdentityPoolTags":{"cognito-reconcile:stack":"default","cognito-reconcile:name":"intruder"}}' \
    "$T/intruder.json"
mark=$(log_mark)
run_cr 1 apply "$T/plan.json"
expect_in "$T/err" "$(json_get "$T/intruder.json" 'd["IdentityPoolId"]')"
expect_in "$T/err" "appeared since the plan was made"
expect_writes "$mark" ""
emu_json DeleteIdentityPool "{\"IdentityPoolId\":\"$(json_get "$T/intruder.json" 'd["IdentityPoolId"]')\"}" "$T/del.json"
# one whose name tag claims the planned name
run_cr 2 plan "$T/m" --detailed-exitcode --out "$T/plan.json"
emu_json CreateIdentityPool '{"IdentityPoolName":"Twin","AllowUnauthenticatedIdentities":false,
  "IdentityPoolTags":{"cognito-reconcile:stack":"default","cognito-reconcile:name":"app"}}' \
    "$T/twin.json"
mark=$(log_mark)
run_cr 1 apply "$T/plan.json"
expect_in "$T/err" "(name tag 'app') appeared since the plan was made"
expect_writes "$mark" ""
[ "$(pool_id_of app | wc -l)" -eq 2 ] || fail "expected the twin and the original only"

step "a planned pool deleted between plan and apply: refused as deleted, no write"
emu_json DeleteIdentityPool "{\"IdentityPoolId\":\"$(json_get "$T/twin.json" 'd["IdentityPoolId"]')\"}" "$T/del.json"
run_cr 2 plan "$T/m" --detailed-exitcode --out "$T/plan.json"
emu_json DeleteIdentityPool "{\"IdentityPoolId\":\"$APP\"}" "$T/del.json"
mark=$(log_mark)
run_cr 1 apply "$T/plan.json"
expect_in "$T/err" "pool 'app' ($APP) was deleted since the plan was made; run plan again"
expect_writes "$mark" ""

echo "PASS: saved plans"
