#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# An account reached by a role (docs/manifests.md "Accounts": kind Account with roleArn),
# end to end against one emulator that verifies signatures: the account's clients assume the
# role with the run's base credentials (the command line's chain) through the emulator's STS
# AssumeRole (AWS_ENDPOINT_URL_STS), once per run however many regions the account has; the
# emulator keeps the role's pools in the role's account (its assumed-role keys belong to it),
# which the AWS CLI, assuming the same role, sees and the base account does not; the guard
# checks the role's account; --debug names the role and its base, never a secret; a base the
# service refuses fails before any cognito-identity call, naming the account and its document.
. "$CR_SOURCE_DIR/tests/integration/cli_lib.sh"

cli_setup --sigv4
export AWS_ENDPOINT_URL_STS="$EMU_URL"
SHR=444444444444
ROLE="arn:aws:iam::$SHR:role/cognito-reconcile"

M="$T/m"
cat >"$M/accounts.yaml" <<EOF
apiVersion: cognito-reconcile/v1
kind: Account
metadata: {name: shared}
spec:
  accountId: "$SHR"
  roleArn: $ROLE
  externalId: ci-external-1
  sessionName: cr-e2e
  region: us-east-1
EOF
for r in us-east-1 eu-west-1; do
    cat >"$M/web-$r.yaml" <<EOF
apiVersion: cognito-reconcile/v1
kind: IdentityPool
metadata: {name: web, account: shared, region: $r}
spec: {identityPoolName: Web shared $r, allowUnauthenticatedIdentities: false}
EOF
done
pool_yaml mine >"$M/mine.yaml" # the default account's (the base keys', 123456789012)

# names_as ACCESS_KEY SECRET [TOKEN] REGION: the pools' names that those keys' account has there
names_as() {
    local keys=(AWS_ACCESS_KEY_ID="$1" AWS_SECRET_ACCESS_KEY="$2")
    [ -z "$3" ] || keys+=(AWS_SESSION_TOKEN="$3")
    env "${keys[@]}" "$AWS_CLI" --endpoint-url "$EMU_URL" --region "$4" --output text cognito-identity \
        list-identity-pools --max-results 60 --query 'IdentityPools[].IdentityPoolName' |
        tr '\t' '\n' | sed '/^None$/d;/^$/d' | sort | tr '\n' ' ' | sed 's/ $//'
}

step "plan: the role is assumed once for its two regions, and its account is checked"
mark=$(log_mark)
run_cr 2 plan "$M" --detailed-exitcode
expect_in "$T/out" "In account shared ($SHR), region eu-west-1:"
expect_in "$T/out" "In account shared ($SHR), region us-east-1:"
expect_in "$T/out" "In default account (123456789012), region us-east-1:"
[ "$(ops_since "$mark" all | grep -cx AssumeRole)" = 1 ] ||
    fail "AssumeRole calls: $(ops_since "$mark" all | tr '\n' ' ')"

step "apply: the role's pools are created in the role's account, seen by the AWS CLI as that role"
run_cr 0 apply "$M" --auto-approve
"$AWS_CLI" --endpoint-url "$EMU_URL" --region us-east-1 --output text sts assume-role \
    --role-arn "$ROLE" --role-session-name check \
    --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' >"$T/role-keys" ||
    fail "the AWS CLI could not assume the role"
read -r RK RS RT <"$T/role-keys"
[ "$(names_as "$RK" "$RS" "$RT" us-east-1)" = "Web shared us-east-1" ] ||
    fail "the role's account, us-east-1: $(names_as "$RK" "$RS" "$RT" us-east-1)"
[ "$(names_as "$RK" "$RS" "$RT" eu-west-1)" = "Web shared eu-west-1" ] ||
    fail "the role's account, eu-west-1: $(names_as "$RK" "$RS" "$RT" eu-west-1)"
[ "$(names_as "$TEST_KEY" "$TEST_SECRET" "" us-east-1)" = "mine" ] ||
    fail "the base account: $(names_as "$TEST_KEY" "$TEST_SECRET" "" us-east-1)"
[ -z "$(names_as "$TEST_KEY" "$TEST_SECRET" "" eu-west-1)" ] || fail "the base account has eu-west-1 pools"

step "--debug names the role and its base credentials, never a secret"
run_cr 0 plan "$M" --detailed-exitcode --debug
expect_in "$T/out" "No changes."
expect_in "$T/err" "credentials=assume role $ROLE <- environment"
expect_not_in "$T/err" "$TEST_SECRET"

step "without a pool of the default account, the base chain is the command line's all the same"
rm "$M/mine.yaml"
mark=$(log_mark)
run_cr 0 plan "$M" --detailed-exitcode
expect_in "$T/out" "No changes."
[ "$(ops_since "$mark" all | grep -cx AssumeRole)" = 1 ] || fail "AssumeRole was not called once"

step "a base the service refuses: the account and its document are named, nothing is read"
mark=$(log_mark)
AWS_ACCESS_KEY_ID=AKIDUNKNOWNKEY000001 run_cr 1 plan "$M"
expect_in "$T/err" "account 'shared' ($M/accounts.yaml:1:1)"
expect_in "$T/err" "AssumeRole"
ops=$(ops_since "$mark" all | grep -vx AssumeRole || true)
[ -z "$ops" ] || fail "calls after the refused AssumeRole: $(echo $ops)"

step "no base credentials at all: the run says so, for the role"
AWS_ACCESS_KEY_ID= AWS_SECRET_ACCESS_KEY= run_cr 1 plan "$M"
expect_in "$T/err" "the default credentials, to assume role $ROLE"
expect_in "$T/err" "no AWS credentials"
echo "PASS"
