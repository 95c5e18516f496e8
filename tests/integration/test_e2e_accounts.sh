#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Many accounts in one run (docs/manifests.md "Accounts", docs/plan.md "Accounts"), end to end
# against one emulator that verifies signatures and keeps pools per account (the account of
# each access key comes from its line in --credentials):
#   - the emulator's isolation, seen by the AWS CLI with two profiles;
#   - dev, staging and prod Account documents (profiles in a temporary AWS config) planned and
#     applied in one run, read at the same time;
#   - the wrong-account guard: the exact message, and no cognito-identity call at all;
#   - one account's apply fails (a fault scoped to its account): the others' results are
#     reported and applied, exit 1, and a second run converges;
#   - saved plans pin every account; drift reports per account; --account-id.
. "$CR_SOURCE_DIR/tests/integration/cli_lib.sh"

cli_setup
emu_stop # started again below, verifying the keys of three accounts and the default one

DEV=111111111111
STG=333333333333
PRD=222222222222
cat >"$T/emu-credentials" <<EOF
$TEST_KEY $TEST_SECRET 123456789012
AKIDACCOUNTSDEV00001 dev/secret/0000000000000000000000000000 $DEV
AKIDACCOUNTSSTG00003 stg/secret/0000000000000000000000000000 $STG
AKIDACCOUNTSPRD00002 prd/secret/0000000000000000000000000000 $PRD
EOF
emu_start --credentials "$T/emu-credentials" || fail "the emulator did not start"
profiles() { # the AWS config: one profile per account; prod's keys can be swapped for dev's
    local prod_key=${1:-AKIDACCOUNTSPRD00002} prod_secret=${2:-prd/secret/0000000000000000000000000000}
    cat >"$T/aws-config" <<EOF
[profile dev]
aws_access_key_id = AKIDACCOUNTSDEV00001
aws_secret_access_key = dev/secret/0000000000000000000000000000
[profile staging]
aws_access_key_id = AKIDACCOUNTSSTG00003
aws_secret_access_key = stg/secret/0000000000000000000000000000
[profile prod]
aws_access_key_id = $prod_key
aws_secret_access_key = $prod_secret
EOF
}
profiles
export AWS_ENDPOINT_URL_STS="$EMU_URL" # the guard's GetCallerIdentity goes to the emulator too

# One account per region, so the emulator's log (which names the region) tells them apart.
M="$T/m"
cat >"$M/accounts.yaml" <<EOF
apiVersion: cognito-reconcile/v1
kind: Account
metadata: {name: dev}
spec: {accountId: "$DEV", profile: dev, region: us-east-1}
---
apiVersion: cognito-reconcile/v1
kind: Account
metadata: {name: staging}
spec: {accountId: "$STG", profile: staging, region: us-west-2}
---
apiVersion: cognito-reconcile/v1
kind: Account
metadata: {name: prod}
spec: {accountId: "$PRD", profile: prod, region: eu-west-1}
EOF
for a in dev staging prod; do
    cat >"$M/$a.yaml" <<EOF
apiVersion: cognito-reconcile/v1
kind: IdentityPool
metadata: {name: web, account: $a}
spec: {identityPoolName: Web $a, allowUnauthenticatedIdentities: false, tags: {env: $a}}
EOF
done
cat >>"$M/dev.yaml" <<EOF
---
apiVersion: cognito-reconcile/v1
kind: IdentityPool
metadata: {name: api, account: dev}
spec: {identityPoolName: Api dev, allowUnauthenticatedIdentities: true}
EOF

# pools_of PROFILE REGION: the IdentityPoolName of every pool the profile's account has there
pools_of() {
    "$AWS_CLI" --endpoint-url "$EMU_URL" --region "$2" --profile "$1" --output text \
        cognito-identity list-identity-pools --max-results 60 \
        --query 'IdentityPools[].IdentityPoolName' | tr '\t' '\n' | sed '/^None$/d;/^$/d' | sort |
        tr '\n' ' ' | sed 's/ $//'
}

step "the emulator keeps pools per account: one account's pool is invisible to the other"
id=$("$AWS_CLI" --endpoint-url "$EMU_URL" --region us-east-1 --profile dev --output text \
    cognito-identity create-identity-pool --identity-pool-name Isolated \
    --no-allow-unauthenticated-identities --query IdentityPoolId) || fail "create as dev"
[ "$(pools_of dev us-east-1)" = "Isolated" ] || fail "dev does not see its pool"
[ -z "$(pools_of prod us-east-1)" ] || fail "prod sees dev's pool: $(pools_of prod us-east-1)"
if "$AWS_CLI" --endpoint-url "$EMU_URL" --region us-east-1 --profile prod cognito-identity \
    describe-identity-pool --identity-pool-id "$id" >"$T/out" 2>"$T/err"; then
    fail "prod could describe dev's pool $id"
fi
expect_in "$T/err" "ResourceNotFoundException"
"$AWS_CLI" --endpoint-url "$EMU_URL" --region us-east-1 --profile dev cognito-identity \
    delete-identity-pool --identity-pool-id "$id" || fail "dev could not delete its pool"

step "validate: three accounts, four pools"
run_cr 0 validate "$M"
expect_in "$T/out" "validated 4 pools and 3 accounts in 4 files"

step "the wrong-account guard: prod's Account names dev's profile; nothing is read or written"
cp -r "$M" "$T/wrong"
sed -i 's/profile: prod/profile: dev/' "$T/wrong/accounts.yaml"
mark=$(log_mark)
run_cr 1 apply "$T/wrong" --auto-approve
expect_in "$T/err" "error: account prod expects $PRD, credentials are for $DEV (profile dev)"
[ -z "$(ops_since "$mark" all | grep -v '^GetCallerIdentity$' || true)" ] ||
    fail "calls other than GetCallerIdentity after the guard refused: $(ops_since "$mark" all | tr '\n' ' ')"
profiles AKIDACCOUNTSSTG00003 stg/secret/0000000000000000000000000000 # prod's profile, wrong keys
run_cr 1 plan "$M"
expect_in "$T/err" "account prod expects $PRD, credentials are for $STG (profile prod)"
profiles

step "plan: grouped by account and region; the accounts are read at the same time"
# dev's listing is held 1.5 s: read one after another, staging and prod would be listed after
# it; read at once, they are listed (and logged) first
emu_faults "[{\"operation\": \"ListIdentityPools\", \"account\": \"$DEV\", \"latency_ms\": 1500}]" ||
    fail "faults"
mark=$(log_mark)
run_cr 2 plan "$M" --detailed-exitcode
emu_faults '[]' || fail "faults"
order=$(emu_requests "$mark" | "$PY" -S -c '
import json, sys
print(" ".join(r.get("region", "?") for r in json.load(sys.stdin)["requests"]
               if r["operation"] == "ListIdentityPools"))')
[ "${order##* }" = us-east-1 ] || fail "dev's held listing was not the last one: $order"
expect_in "$T/out" "In account dev ($DEV), region us-east-1:"
expect_in "$T/out" "In account staging ($STG), region us-west-2:"
expect_in "$T/out" "In account prod ($PRD), region eu-west-1:"
expect_in "$T/out" "Plan: 4 to create, 0 to update, 0 to delete."
expect_in "$T/out" "  account staging ($STG): 1 to create, 0 to update, 0 to delete"
[ "$(grep -n '^In account' "$T/out" | cut -d: -f1 | tr '\n' ' ')" != "" ] || fail "no groups"
# the order of the groups: dev, prod, staging (by name)
grep '^In account' "$T/out" | cut -d' ' -f3 | tr '\n' ' ' | grep -qx 'dev prod staging ' ||
    fail "groups out of order: $(grep '^In account' "$T/out" | tr '\n' '|')"
run_cr 2 plan "$M" --detailed-exitcode --output markdown
expect_in "$T/out" "| Account | Pool | Region | Action | Calls |"
expect_in "$T/out" "### In account \`staging\` ($STG), region \`us-west-2\`"

step "apply: staging's creates fail; dev and prod are applied and reported, exit 1"
# a refusal that is not retried (a 5xx would be, and a create's safe retry would look again)
refuse='"error": 1, "type": "NotAuthorizedException", "status": 400, "message": "denied here"'
emu_faults "[{\"operation\": \"CreateIdentityPool\", \"account\": \"$STG\", $refuse}]" ||
    fail "faults"
mark=$(log_mark)
run_cr 1 apply "$M" --auto-approve --output json
emu_requests "$mark" >"$T/log.json"
"$PY" -S - "$T/out" "$T/log.json" <<'EOF' || fail "the JSON report"
import json, sys
doc = json.load(open(sys.argv[1]))
log = json.load(open(sys.argv[2]))["requests"]
# the twin check ran in the accounts that completed (a listing after their creates, with their
# keys: one account per region here), not in staging, whose creates failed
for region, checked in (("us-east-1", True), ("eu-west-1", True), ("us-west-2", False)):
    ops = [e["operation"] for e in log if e.get("region") == region]
    last_create = max(i for i, op in enumerate(ops) if op == "CreateIdentityPool")
    assert ("ListIdentityPools" in ops[last_create:]) == checked, (region, ops)
apply = doc["apply"]
assert apply["twins"] == [], apply["twins"]
assert apply["status"] == "failed", apply["status"]
by = {a["name"]: a for a in apply["accounts"]}
assert set(by) == {"dev", "staging", "prod"}, by
assert by["dev"]["status"] == "complete" and by["dev"]["done"] == 2, by["dev"]
assert by["prod"]["status"] == "complete" and by["prod"]["done"] == 1, by["prod"]
assert by["staging"]["status"] == "failed" and by["staging"]["failed"] == 1, by["staging"]
for op in apply["operations"]:
    assert op["status"] == ("failed" if op["account"] == "staging" else "done"), op
EOF
[ "$(pools_of dev us-east-1)" = "Api dev Web dev" ] || fail "dev: $(pools_of dev us-east-1)"
[ "$(pools_of prod eu-west-1)" = "Web prod" ] || fail "prod: $(pools_of prod eu-west-1)"
[ -z "$(pools_of staging us-west-2)" ] || fail "staging: $(pools_of staging us-west-2)"

step "the text report lists every account's outcome"
emu_faults "[{\"operation\": \"UpdateIdentityPool\", \"account\": \"$PRD\", $refuse}]" ||
    fail "faults"
sed -i 's/Web prod/Web production/' "$M/prod.yaml"
mark=$(log_mark)
run_cr 1 apply "$M" --auto-approve
expect_in "$T/err" "apply failed in 1 of 3 accounts; the others went on:"
expect_in "$T/err" "  account prod ($PRD): FAILED"
expect_in "$T/err" "  account staging ($STG): complete"
expect_in "$T/err" "  account dev ($DEV): complete"
expect_writes "$mark" "CreateIdentityPool UpdateIdentityPool"
[ "$(pools_of staging us-west-2)" = "Web staging" ] || fail "staging: $(pools_of staging us-west-2)"
emu_faults '[]' || fail "faults"

step "a second run converges; then nothing is left to do"
mark=$(log_mark)
run_cr 0 apply "$M" --auto-approve
expect_writes "$mark" "UpdateIdentityPool"
run_cr 0 plan "$M" --detailed-exitcode
expect_in "$T/out" "No changes."

step "a saved plan pins every account: applied with other credentials, it is refused"
sed -i 's/Web dev/Web development/' "$M/dev.yaml"
run_cr 0 plan "$M" --out "$T/plan.json"
"$PY" -S -c '
import json, sys
accounts = {a["name"]: a["account_id"] for a in json.load(open(sys.argv[1]))["accounts"]}
assert accounts == {"dev": "111111111111", "staging": "333333333333", "prod": "222222222222"}, accounts
' "$T/plan.json" || fail "the saved plan's accounts"
profiles AKIDACCOUNTSSTG00003 stg/secret/0000000000000000000000000000
mark=$(log_mark)
run_cr 1 apply "$T/plan.json"
expect_in "$T/err" "account prod expects $PRD, credentials are for $STG (profile prod)"
[ "$(writes_since "$mark")" = 0 ] || fail "a write after the guard refused"
profiles
run_cr 0 apply "$T/plan.json"
[ "$(pools_of dev us-east-1)" = "Api dev Web development" ] || fail "dev: $(pools_of dev us-east-1)"

step "drift reports each account and region as a JUnit suite"
"$AWS_CLI" --endpoint-url "$EMU_URL" --region us-west-2 --profile staging cognito-identity \
    list-identity-pools --max-results 10 --query 'IdentityPools[0].IdentityPoolId' \
    --output text >"$T/stg-id" || fail "list staging"
"$AWS_CLI" --endpoint-url "$EMU_URL" --region us-west-2 --profile staging cognito-identity \
    update-identity-pool --identity-pool-id "$(cat "$T/stg-id")" \
    --identity-pool-name "Changed by hand" --no-allow-unauthenticated-identities >/dev/null ||
    fail "edit staging by hand"
run_cr 2 drift "$M" --output junit
expect_in "$T/out" "<testsuite name=\"cognito-reconcile drift: account staging ($STG), region us-west-2\" tests=\"1\" failures=\"1\""
expect_in "$T/out" "<testsuite name=\"cognito-reconcile drift: account prod ($PRD), region eu-west-1\" tests=\"1\" failures=\"0\""
expect_in "$T/out" "classname=\"cognito-reconcile.default.staging.us-west-2\""

step "a read that fails in two accounts names each account and region, and prints no report"
emu_faults "[{\"operation\": \"DescribeIdentityPool\", \"account\": \"$DEV\", \"error\": 1},
             {\"operation\": \"DescribeIdentityPool\", \"account\": \"$PRD\", \"error\": 1}]" ||
    fail "faults"
AWS_MAX_ATTEMPTS=1 run_cr 1 drift "$M" --output json
emu_faults '[]' || fail "faults"
expect_in "$T/err" "error: reading dev/us-east-1: DescribeIdentityPool "
expect_in "$T/err" "error: reading prod/eu-west-1: DescribeIdentityPool "
[ ! -s "$T/out" ] || fail "a drift report was printed although a read failed"

step "pools without metadata.account: --account-id pins them; never one of the named accounts"
pool_yaml plain >"$M/plain.yaml"
run_cr 1 plan "$M" --account-id 999999999999
expect_in "$T/err" "error: --account-id expects 999999999999, credentials are for 123456789012 (environment)"
run_cr 2 plan "$M" --account-id 123456789012 --detailed-exitcode
expect_in "$T/out" "In default account (123456789012), region us-east-1:"
AWS_ACCESS_KEY_ID=AKIDACCOUNTSPRD00002 AWS_SECRET_ACCESS_KEY=prd/secret/0000000000000000000000000000 \
    run_cr 1 plan "$M"
expect_in "$T/err" "pools without metadata.account use credentials for $PRD (environment), which is account 'prod'"

step "export --account: each account's pools, with metadata.account; planning them changes nothing"
rm "$M/plain.yaml"
mkdir -p "$T/adopt"
cp "$M/accounts.yaml" "$T/adopt/"
run_cr 0 export --account dev --account staging --account prod "$T/adopt/accounts.yaml" \
    --out "$T/adopt/pools.yaml"
[ "$(grep -c '^  account: ' "$T/adopt/pools.yaml")" = 4 ] || fail "not every pool names its account"
expect_in "$T/adopt/pools.yaml" "  account: staging"
run_cr 0 plan "$T/adopt" --detailed-exitcode
expect_in "$T/out" "No changes."
run_cr 1 export --account prd "$T/adopt/accounts.yaml"
expect_in "$T/err" "export --account prd: no Account document of that name in the PATHs (did you mean 'prod'?)"
echo "PASS"
