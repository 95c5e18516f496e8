#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Drift made by hand with the real AWS CLI (/usr/bin/aws) is detected (exit 2, reported in
# Markdown and JSON), apply repairs it, and drift is clean again (exit 0). The emulator
# verifies SigV4, so both clients sign with the same test keys.
. "$CR_SOURCE_DIR/tests/integration/cli_lib.sh"
[ -x "$AWS_CLI" ] || { echo "SKIP: $AWS_CLI not installed"; exit 0; }
cli_setup --sigv4

cat >"$T/m/orders.yaml" <<'EOF'
apiVersion: cognito-reconcile/v1
kind: IdentityPool
metadata:
  name: orders
  region: us-east-1
spec:
  identityPoolName: Orders
  allowUnauthenticatedIdentities: false
  allowClassicFlow: false
  supportedLoginProviders: {accounts.google.com: "123-abc.apps.googleusercontent.com"}
  tags: {team: orders, env: prod}
EOF

step "apply, then no drift"
run_cr 0 apply "$T/m" --auto-approve
run_cr 0 drift "$T/m"
run_cr 0 plan "$T/m" --output json
ID=$(json_get "$T/out" 'd["pools"][0]["pool_id"]')
[ -n "$ID" ] && [ "$ID" != None ] || fail "no pool id in the plan"
# (The AWS CLI costs seconds per call: it is used only where a person would use it.)

step "someone renames the pool and allows guests with the AWS CLI"
aws_cli cognito-identity update-identity-pool --identity-pool-id "$ID" \
    --identity-pool-name "Orders Hand Edited" --allow-unauthenticated-identities \
    --supported-login-providers accounts.google.com=123-abc.apps.googleusercontent.com \
    >"$T/aws.out" || fail "aws update-identity-pool failed: $(cat "$T/aws.out")"
aws_cli cognito-identity tag-resource \
    --resource-arn "arn:aws:cognito-identity:us-east-1:123456789012:identitypool/$ID" \
    --tags env=staging >/dev/null || fail "aws tag-resource failed"

step "drift detects it: exit 2, Markdown names the fields"
mark=$(log_mark)
run_cr 2 drift "$T/m" --output markdown
expect_in "$T/out" "orders"
expect_in "$T/out" "Orders Hand Edited"
expect_in "$T/out" "allowUnauthenticatedIdentities"
expect_in "$T/out" "staging"
expect_writes "$mark" ""
run_cr 2 drift "$T/m" --output json
"$PY" -S -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["format_version"] == "1"
ops = sorted(o["operation"] for o in d["operations"])
assert ops == ["TagResource", "UpdateIdentityPool"], ops' "$T/out" || fail "drift JSON: $(cat "$T/out")"
run_cr 2 drift "$T/m"
run_cr 2 drift "$T/m" --output junit
expect_in "$T/out" "<testsuite"
expect_in "$T/out" "<failure"
expect_in "$T/out" "orders"

step "apply repairs it; drift is clean"
run_cr 0 apply "$T/m" --auto-approve
expect_writes "$mark" "UpdateIdentityPool TagResource"
run_cr 0 drift "$T/m" --output markdown
run_cr 0 drift "$T/m" --output junit
expect_in "$T/out" "<testsuite"
expect_not_in "$T/out" "<failure"

step "a pool deleted by hand is drift too (it would be created again)"
aws_cli cognito-identity delete-identity-pool --identity-pool-id "$ID" >/dev/null ||
    fail "aws delete-identity-pool failed"
run_cr 2 drift "$T/m"
expect_in "$T/out" "orders"

echo "PASS: drift"
