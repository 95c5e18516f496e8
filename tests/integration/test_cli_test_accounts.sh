#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# IdentityPoolTest documents in a stack of two accounts (docs/testing.md), against one emulator
# that verifies signatures and keeps pools per account: dev and prod each have a pool named
# "web" in us-east-1, with different role mappings, and a test of it (metadata.account).
#   - plan's access impact names each entry's account (text, JSON "account", Markdown), so the
#     two pools of one name are told apart;
#   - live `test` resolves each test against its own account's pool (read with that account's
#     profile: the emulator shows each key only its account's pools; GetId names that pool's
#     id) and agrees with offline mode, case by case;
#   - a profile whose keys are another account's is refused by the account guard, with the
#     exact message and no cognito-identity call at all (no identity call).
. "$CR_SOURCE_DIR/tests/integration/cli_lib.sh"

cli_setup
emu_stop # started again below, verifying the keys of both accounts

DEV=111111111111
PRD=222222222222
DEV_KEY=AKIDTESTACCOUNTSDEV1 DEV_SECRET=dev/secret/1111111111111111111111111111
PRD_KEY=AKIDTESTACCOUNTSPRD2 PRD_SECRET=prd/secret/2222222222222222222222222222
cat >"$T/emu-credentials" <<EOF
$TEST_KEY $TEST_SECRET 123456789012
$DEV_KEY $DEV_SECRET $DEV
$PRD_KEY $PRD_SECRET $PRD
EOF
emu_start --credentials "$T/emu-credentials" || fail "the emulator did not start"
cat >"$T/aws-config" <<EOF
[profile dev]
aws_access_key_id = $DEV_KEY
aws_secret_access_key = $DEV_SECRET
[profile prod]
aws_access_key_id = $PRD_KEY
aws_secret_access_key = $PRD_SECRET
EOF
export AWS_ENDPOINT_URL_STS="$EMU_URL" # the account guard's GetCallerIdentity goes here too

UP=cognito-idp.us-east-1.amazonaws.com/us-east-1_Ab12Cd34
UPC=$UP:6lhlkkfbfb4q5kpp90urffae
M=$T/m
cat >"$M/accounts.yaml" <<EOF
apiVersion: cognito-reconcile/v1
kind: Account
metadata: {name: dev}
spec: {accountId: "$DEV", profile: dev, region: us-east-1}
---
apiVersion: cognito-reconcile/v1
kind: Account
metadata: {name: prod}
spec: {accountId: "$PRD", profile: prod, region: us-east-1}
EOF
# pool_and_test ACCOUNT ID TIER: the account's pool "web" (tier TIER gets its Paid role) and
# its test: a TIER user gets Paid, anyone else Auth, a guest Guest.
pool_and_test() {
    cat <<EOF
apiVersion: cognito-reconcile/v1
kind: IdentityPool
metadata: {name: web, account: $1}
spec:
  identityPoolName: Web
  allowUnauthenticatedIdentities: true
  cognitoIdentityProviders:
    - {providerName: $UP, clientId: 6lhlkkfbfb4q5kpp90urffae}
  roles:
    authenticated: arn:aws:iam::$2:role/Auth
    unauthenticated: arn:aws:iam::$2:role/Guest
  roleMappings:
    "$UPC":
      type: Rules
      ambiguousRoleResolution: AuthenticatedRole
      rulesConfiguration:
        rules:
          - {claim: "custom:tier", matchType: Equals, value: $3, roleARN: "arn:aws:iam::$2:role/Paid"}
---
apiVersion: cognito-reconcile/v1
kind: IdentityPoolTest
metadata: {name: web-access-$1, account: $1}
spec:
  pool: web
  cases:
    - name: $3 users get the paid role
      login: $UPC
      claims: {"custom:tier": $3}
      expect: {role: "arn:aws:iam::$2:role/Paid"}
    - name: others get the authenticated role
      login: $UPC
      claims: {"custom:tier": free}
      expect: {role: "arn:aws:iam::$2:role/Auth"}
    - name: guests get the guest role
      unauthenticated: true
      expect: {role: "arn:aws:iam::$2:role/Guest"}
EOF
}
pool_and_test dev "$DEV" gold >"$M/dev.yaml"
pool_and_test prod "$PRD" paid >"$M/prod.yaml"

step "plan of the two new pools: every case is new access, each entry names its account"
run_cr 0 plan "$M"
expect_in "$T/out" "~ web (account dev): gold users get the paid role: (no pool) → role Paid ($M/dev.yaml:26:7)"
expect_in "$T/out" "~ web (account prod): paid users get the paid role: (no pool) → role Paid ($M/prod.yaml:26:7)"
expect_in "$T/out" "Access: 6 cases change, 0 expectations fail."
run_cr 0 apply --auto-approve "$M"

step "a rule changed in prod only: prod's entries move, dev's are not there"
sed -i 's/value: paid/value: platinum/' "$M/prod.yaml"
run_cr 0 plan "$M"
expect_in "$T/out" "~ web (account prod): paid users get the paid role: role Paid → role Auth ($M/prod.yaml:26:7)"
expect_in "$T/out" "      warning: the expectation fails: expected role Paid, got role Auth"
expect_not_in "$T/out" "(account dev)"
expect_in "$T/out" "Access: 1 case changes, 1 expectation fails."
run_cr 0 plan "$M" --output json
"$PY" -S - "$T/out" "$M" <<'PYEOF' || fail "json access impact with accounts"
import json, sys
a = json.load(open(sys.argv[1]))["access_impact"]
assert [(c["pool"], c["account"], c["case"]) for c in a["cases"]] == \
    [("web", "prod", "paid users get the paid role")], a
assert a["cases"][0]["source"] == sys.argv[2] + "/prod.yaml:26:7", a
PYEOF
run_cr 0 plan "$M" --output markdown
expect_in "$T/out" "| Case | Account | Pool | Before | After | Expectation |"
expect_in "$T/out" "| paid users get the paid role (\`$M/prod.yaml:26:7\`) | \`prod\` | \`web\` | role Paid | **role Auth** | :warning: fails: expected role Paid, got role Auth |"

step "the same rule changed in dev too: one entry per account, told apart"
sed -i 's/value: gold/value: platinum/' "$M/dev.yaml"
run_cr 0 plan "$M" --output json
"$PY" -S - "$T/out" <<'PYEOF' || fail "json access impact of both accounts"
import json, sys
a = json.load(open(sys.argv[1]))["access_impact"]
got = sorted((c["account"], c["case"], c["before"], c["after"]) for c in a["cases"])
assert got == [("dev", "gold users get the paid role", "role Paid", "role Auth"),
               ("prod", "paid users get the paid role", "role Paid", "role Auth")], got
assert a["changed"] == 2 and a["failing"] == 2, a
PYEOF
run_cr 0 plan "$M"
expect_in "$T/out" "~ web (account dev): gold users get the paid role: role Paid → role Auth"
expect_in "$T/out" "~ web (account prod): paid users get the paid role: role Paid → role Auth"

step "live test: each test against its own account's pool, as offline mode says"
pool_and_test dev "$DEV" gold >"$M/dev.yaml"
pool_and_test prod "$PRD" paid >"$M/prod.yaml"
run_cr 0 plan "$M"
expect_in "$T/out" "No changes."
run_cr_raw 0 test "$M" --output json
cp "$T/out" "$T/offline.json"
mark=$(log_mark)
run_cr_raw 0 test "$M" --endpoint-url "$EMU_URL" --output json
cp "$T/out" "$T/live.json"
run_cr_raw 0 test "$M" --endpoint-url "$EMU_URL"
expect_in "$T/out" "6 cases (live): 6 passed, 0 failed"
"$PY" -S - "$T/offline.json" "$T/live.json" <<'PYEOF' || fail "live and offline disagree"
import json, sys
off, live = (json.load(open(f)) for f in sys.argv[1:3])
assert off["mode"] == "offline" and live["mode"] == "live", (off["mode"], live["mode"])
key = lambda c: (c["file"], c["line"], c["name"])
o = {key(c): (c["status"], c["got"]["role"]) for c in off["cases"]}
l = {key(c): (c["status"], c["got"]["role"]) for c in live["cases"]}
assert o == l and len(o) == 6, (o, l)
roles = sorted(r for _, r in o.values())
assert roles == sorted(["arn:aws:iam::%s:role/%s" % (a, r) for a in ("111111111111", "222222222222")
                        for r in ("Paid", "Auth", "Guest")]), roles
PYEOF
# pool_id_in PROFILE: the id of pool Web in that profile's account (the AWS CLI, signed; the
# environment's keys would win over the profile)
pool_id_in() {
    env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY AWS_PROFILE="$1" "$AWS_CLI" \
        --endpoint-url "$EMU_URL" --region us-east-1 --output text cognito-identity \
        list-identity-pools --max-results 10 --query 'IdentityPools[0].IdentityPoolId'
}
dev_id=$(pool_id_in dev)
prd_id=$(pool_id_in prod)
[ -n "$dev_id" ] && [ -n "$prd_id" ] && [ "$dev_id" != "$prd_id" ] || fail "pool ids: '$dev_id' '$prd_id'"
# the live run (the second since mark ran the same cases) sent GetId for each account's pool
emu_requests "$mark" | "$PY" -S -c '
import json, sys
ids = [r.get("pool_id") for r in json.load(sys.stdin)["requests"] if r["operation"] == "GetId"]
dev, prd = sys.argv[1:3]
assert ids.count(dev) == 6 and ids.count(prd) == 6 and len(ids) == 12, ids' "$dev_id" "$prd_id" ||
    fail "GetId did not go to each account's own pool"

step "a rule changed but not applied: live still sees the deployed pool, offline the manifests"
sed -i 's/value: paid/value: platinum/' "$M/prod.yaml"
run_cr_raw 1 test "$M"
expect_in "$T/out" "FAIL  $M/prod.yaml:26:7: paid users get the paid role"
run_cr_raw 0 test "$M" --endpoint-url "$EMU_URL"
pool_and_test prod "$PRD" paid >"$M/prod.yaml"

step "a profile holding another account's keys: refused by the guard, no identity call"
sed -i "/^\[profile prod\]/,\$ s|$PRD_KEY|$DEV_KEY|; /^\[profile prod\]/,\$ s|$PRD_SECRET|$DEV_SECRET|" "$T/aws-config"
grep -A2 '^\[profile prod\]' "$T/aws-config" | grep -qF "$DEV_KEY" || fail "prod's profile not swapped"
mark=$(log_mark)
run_cr_raw 1 test "$M" --endpoint-url "$EMU_URL"
expect_in "$T/err" "account prod expects $PRD, credentials are for $DEV (profile prod)"
[ -z "$(ops_since "$mark" all | grep -v '^GetCallerIdentity$')" ] ||
    fail "calls beside the guard's: $(ops_since "$mark" all | tr '\n' ' ')"

echo "PASS test_cli_test_accounts"
