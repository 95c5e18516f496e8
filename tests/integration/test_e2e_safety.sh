#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Safety rules, asserted on the emulator's request log: invalid manifests make no API call at
# all; pools that are not ours (untagged, or another stack's) are never written, even with
# --prune; a stale saved plan is refused; a failure in the middle of apply is reported
# (succeeded / failed / not attempted) and a re-run converges; a CreateIdentityPool that
# succeeds but answers 5xx or drops the connection never makes a twin.
. "$CR_SOURCE_DIR/tests/integration/cli_lib.sh"
cli_setup

pool_manifest() { # pool_manifest FILE NAME DISPLAY [UNAUTH]
    cat >"$1" <<EOF
apiVersion: cognito-reconcile/v1
kind: IdentityPool
metadata:
  name: $2
  region: us-east-1
spec:
  identityPoolName: $3
  allowUnauthenticatedIdentities: ${4:-false}
  roles:
    authenticated: arn:aws:iam::123456789012:role/${2}Auth
  tags: {app: $2}
EOF
}

step "invalid manifests: diagnostics with file:line:column and no API call at all"
mkdir -p "$T/bad"
cat >"$T/bad/bad.yaml" <<'EOF'
apiVersion: cognito-reconcile/v1
kind: IdentityPool
metadata:
  name: bad
  region: us-east-1
spec:
  identityPoolName: Bad
  allowUnauthenticatedIdentities: false
  alowClassicFlow: true
EOF
mark=$(log_mark)
for verb in plan apply drift; do
    args=("$T/bad")
    [ "$verb" = apply ] && args+=(--auto-approve)
    run_cr 1 "$verb" "${args[@]}"
    expect_in "$T/err" "bad.yaml:9:3"
    expect_in "$T/err" "alowClassicFlow"
done
[ "$(ops_since "$mark" all | wc -l)" -eq 0 ] ||
    fail "invalid manifests caused API calls: $(ops_since "$mark" all | tr '\n' ' ')"

step "pools that are not ours are never written"
emu_json CreateIdentityPool '{"IdentityPoolName":"Unowned","AllowUnauthenticatedIdentities":false}' \
    "$T/unowned.json"
UNOWNED=$(json_get "$T/unowned.json" 'd["IdentityPoolId"]')
emu_json CreateIdentityPool '{"IdentityPoolName":"Other Stack","AllowUnauthenticatedIdentities":false,
  "IdentityPoolTags":{"cognito-reconcile:stack":"other","cognito-reconcile:name":"app"}}' \
    "$T/other.json"
OTHER=$(json_get "$T/other.json" 'd["IdentityPoolId"]')
pool_manifest "$T/m/app.yaml" app "App"
mark=$(log_mark)
run_cr 0 apply "$T/m" --auto-approve --prune
APP=$(pool_id_of app)
[ -n "$APP" ] && [ "$APP" != "$OTHER" ] || fail "the other stack's 'app' pool was taken over"
emu_requests "$mark" | "$PY" -S -c '
import json, sys
writes = set(sys.argv[1].split())
bad = [e for e in json.load(sys.stdin)["requests"]
       if e["operation"] in writes and e.get("pool_id") in (sys.argv[2], sys.argv[3])]
sys.exit(1 if bad else 0)' "$WRITE_OPS" "$UNOWNED" "$OTHER" || fail "a pool that is not ours was written"
# Prune with an empty manifest folder deletes our pool only.
mkdir -p "$T/empty"
run_cr 1 apply "$T/empty" --auto-approve --prune
expect_in "$T/err" "--prune refused: no manifest was read"
run_cr 0 apply "$T/empty" --auto-approve --prune --allow-empty-prune
[ -z "$(pool_id_of app)" ] || fail "prune kept our pool"
describe "$UNOWNED" "$T/d.json"
describe "$OTHER" "$T/d.json"
# The other stack sees only its own pool.
run_cr 0 plan "$T/empty" --stack other --detailed-exitcode
run_cr 2 plan "$T/empty" --stack other --detailed-exitcode --prune --allow-empty-prune
expect_in "$T/out" "app"
# Adopting the other stack's pool by metadata.id is refused with the reason, not with the
# stale-saved-plan advice (both are conflicts; only the message tells them apart).
cat >"$T/adopt.yaml" <<EOF
apiVersion: cognito-reconcile/v1
kind: IdentityPool
metadata: {name: taken, region: us-east-1, id: "$OTHER"}
spec: {identityPoolName: Taken, allowUnauthenticatedIdentities: false}
EOF
run_cr 1 plan "$T/adopt.yaml"
expect_in "$T/err" "belongs to stack 'other'"
expect_not_in "$T/err" "since the plan was made"

step "a stale saved plan is refused, with no write"
pool_manifest "$T/m/app.yaml" app "App"
run_cr 0 apply "$T/m" --auto-approve
APP=$(pool_id_of app)
pool_manifest "$T/m/app.yaml" app "App Renamed"
run_cr 2 plan "$T/m" --detailed-exitcode --out "$T/plan.json"
emu_json UpdateIdentityPool "{\"IdentityPoolId\":\"$APP\",\"IdentityPoolName\":\"Changed By Hand\",
  \"AllowUnauthenticatedIdentities\":true}" "$T/upd.json"
mark=$(log_mark)
run_cr 1 apply "$T/plan.json"
expect_in "$T/err" "changed since the plan was made"
expect_in "$T/err" "run plan again"
expect_writes "$mark" ""
# A fresh plan applies.
run_cr 2 plan "$T/m" --detailed-exitcode --out "$T/plan.json"
run_cr 0 apply "$T/plan.json"
run_cr 0 plan "$T/m" --detailed-exitcode

step "a saved plan that creates a pool is refused once someone else created it"
pool_manifest "$T/m/fresh.yaml" fresh "Fresh"
run_cr 2 plan "$T/m" --detailed-exitcode --out "$T/plan.json"
emu_json CreateIdentityPool '{"IdentityPoolName":"Fresh","AllowUnauthenticatedIdentities":false,
  "IdentityPoolTags":{"cognito-reconcile:stack":"default","cognito-reconcile:name":"fresh"}}' \
    "$T/fresh.json"
mark=$(log_mark)
run_cr 1 apply "$T/plan.json"
expect_in "$T/err" "fresh"
expect_writes "$mark" ""
[ "$(pool_id_of fresh | wc -l)" -eq 1 ] || fail "the stale create made a twin"
rm -f "$T/m/fresh.yaml"
emu_json DeleteIdentityPool "{\"IdentityPoolId\":\"$(json_get "$T/fresh.json" 'd["IdentityPoolId"]')\"}" \
    "$T/del.json"

step "manifests in two regions: one client per region, each pool in its region"
cat >"$T/m/euro.yaml" <<'EOF2'
apiVersion: cognito-reconcile/v1
kind: IdentityPool
metadata:
  name: euro
  region: eu-west-1
spec:
  identityPoolName: Euro
  allowUnauthenticatedIdentities: false
EOF2
run_cr 0 apply "$T/m" --auto-approve
expect_in "$T/err" "reading live state in eu-west-1"
expect_in "$T/err" "reading live state in us-east-1"
run_cr 0 plan "$T/m" --detailed-exitcode --output json
[ "$(json_get "$T/out" '[p["pool_id"].split(":")[0] for p in d["pools"] if p["name"] == "euro"][0]')" = eu-west-1 ] ||
    fail "the euro pool is not in eu-west-1: $(cat "$T/out")"
[ -z "$(pool_id_of euro)" ] || fail "the euro pool leaked into us-east-1"
rm -f "$T/m/euro.yaml"
run_cr 0 apply "$T/m" --auto-approve --prune --region eu-west-1
run_cr 0 plan "$T/m" --detailed-exitcode --prune --region eu-west-1

step "a failure in the middle of apply: clear report, then a re-run converges"
pool_manifest "$T/m/app.yaml" app "App Two" true
pool_manifest "$T/m/zeta.yaml" zeta "Zeta"
emu_faults '[{"operation":"SetIdentityPoolRoles","error":1,"count":1,"status":400,
  "type":"InvalidParameterException","message":"injected failure"}]'
mark=$(log_mark)
run_cr 1 apply "$T/m" --auto-approve
expect_in "$T/err" "injected failure"
expect_in "$T/err" "InvalidParameterException"
expect_in "$T/err" "succeeded ("
expect_in "$T/err" "failed (1)"
expect_in "$T/err" "not attempted ("
expect_in "$T/err" "SetIdentityPoolRoles"
expect_in "$T/err" "run apply again"
[ "$(writes_since "$mark")" -ge 2 ] || fail "expected some calls before the failure"
emu_faults '[]'
run_cr 0 apply "$T/m" --auto-approve
run_cr 0 plan "$T/m" --detailed-exitcode
[ "$(pool_id_of zeta | wc -l)" -eq 1 ] || fail "expected exactly one zeta pool"

# no_twin NAME FAULT_JSON WHAT [apply options]: CreateIdentityPool of NAME is applied but its
# answer is lost as FAULT_JSON says; apply still succeeds, sent the create once, made one pool.
no_twin() {
    local name=$1 fault=$2 what=$3
    shift 3
    pool_manifest "$T/m/$name.yaml" "$name" "Twin $name"
    emu_faults "[$fault]"
    local mark
    mark=$(log_mark)
    run_cr 0 apply "$T/m" --auto-approve "$@"
    [ "$(ops_since "$mark" writes | grep -c CreateIdentityPool)" -eq 1 ] ||
        fail "CreateIdentityPool was sent again after $what"
    expect_in "$T/err" "no twin made"
    local n
    n=$(pool_id_of "$name" | wc -l)
    [ "$n" -eq 1 ] || fail "$what after the create made $n pools"
    emu_faults '[]'
    run_cr 0 plan "$T/m" --detailed-exitcode
}

step "CreateIdentityPool applied but answered 500: no twin"
no_twin twin500 '{"operation":"CreateIdentityPool","error":1,"after":true,"count":1,"status":500}' \
    "a 500"

step "CreateIdentityPool applied but the connection dropped (as a timeout would): no twin"
no_twin twindrop '{"operation":"CreateIdentityPool","drop":1,"after":true,"count":1}' "a drop"

step "CreateIdentityPool applied but the answer never came (client timeout): no twin"
no_twin twinhang '{"operation":"CreateIdentityPool","hang_ms":4000,"after":true,"count":1}' \
    "a client timeout" --timeout 1
run_cr 1 plan "$T/m" --timeout 0
expect_in "$T/err" "--timeout"

echo "PASS: safety"
