#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The aws layer through the cognito-reconcile binary (issue 3): web identity credentials from
# the environment and from a --profile, static keys of a --profile, region from the profile,
# user-set rate limits, and --debug never printing a secret key, a session token, the web
# identity token or a signature. The emulator verifies every signature (--credentials) and
# mints the temporary credentials (its STS), so a call only succeeds with the right keys.
. "$CR_SOURCE_DIR/tests/integration/cli_lib.sh"
cli_setup --sigv4

ROLE=arn:aws:iam::210987654321:role/ci-deploy
# A GitHub Actions-like token the emulator signed (with --credentials it verifies web identity
# tokens, issue 9.5).
JWT=$(emu_token https://token.actions.githubusercontent.com \
    '{"sub":"repo:org/app:ref:refs/heads/main","aud":"sts.amazonaws.com"}') ||
    fail "POST /_local/token"
printf '%s\n' "$JWT" >"$T/token"
# the emulator knows one static key pair (read at its start): the profile holds it
PROFILE_KEY=$TEST_KEY
PROFILE_SECRET=$TEST_SECRET
cat >"$T/m/app.yaml" <<'EOF'
apiVersion: cognito-reconcile/v1
kind: IdentityPool
metadata:
  name: app
spec:
  identityPoolName: App
  allowUnauthenticatedIdentities: false
  tags: {team: web}
EOF

# no_secrets FILE: no key material of any kind in FILE. STS-minted secrets are 40 and
# session tokens 160 base64 characters, signatures 64 hex digits, the JWT has long base64url
# segments: no run of 40 such characters may appear (pool ids, ARNs and dates have none; the
# plan digest, "sha256:" and 64 hex digits of the plan's calls, is public and left out).
no_secrets() {
    expect_not_in "$1" "$TEST_SECRET"
    expect_not_in "$1" "${JWT##*.}" # the JWT's signature segment
    local runs
    runs=$(sed 's/sha256:[0-9a-f]\{64\}//g' "$1" | grep -Eo '[A-Za-z0-9+/_]{40,}' | head -3) || true
    [ -z "$runs" ] || fail "key material in $(basename "$1"): $runs"
}

use_web_identity_env() {
    unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
    export AWS_ROLE_ARN=$ROLE AWS_WEB_IDENTITY_TOKEN_FILE=$T/token AWS_ENDPOINT_URL_STS=$EMU_URL
    export AWS_ROLE_SESSION_NAME=gha-integration
}
clear_web_identity_env() {
    unset AWS_ROLE_ARN AWS_WEB_IDENTITY_TOKEN_FILE AWS_ROLE_SESSION_NAME
}

step "web identity from the environment: apply with temporary credentials, --debug redacted"
use_web_identity_env
sts_before=$(emu_count AssumeRoleWithWebIdentity)
run_cr 0 apply "$T/m" --auto-approve --debug
expect_in "$T/err" "credentials=web identity ($ROLE)"
expect_in "$T/err" "debug: aws sts AssumeRoleWithWebIdentity $EMU_URL attempt=1 status=200 duration_ms="
expect_in "$T/err" "debug: aws CreateIdentityPool attempt=1 status=200"
no_secrets "$T/err"
no_secrets "$T/out"
[ "$(emu_count AssumeRoleWithWebIdentity)" -gt "$sts_before" ] || fail "STS was not asked"

step "web identity through --profile (role_arn + web_identity_token_file), region from it"
clear_web_identity_env
unset AWS_REGION
cat >"$T/aws-config" <<EOF
[profile ci]
region = us-east-1
role_arn = $ROLE
web_identity_token_file = $T/token
role_session_name = from-profile
EOF
run_cr 0 plan "$T/m" --profile ci --debug
expect_in "$T/err" "region=us-east-1"
expect_in "$T/err" "profile=ci credentials=web identity ($ROLE)"
no_secrets "$T/err"
AWS_PROFILE=ci run_cr 0 plan "$T/m" --debug
expect_in "$T/err" "credentials=web identity ($ROLE)"

step "static keys of a --profile from the credentials file"
cat >"$T/aws-credentials" <<EOF
[static]
aws_access_key_id = $PROFILE_KEY
aws_secret_access_key = $PROFILE_SECRET
EOF
printf '[profile static]\nregion = us-east-1\n' >>"$T/aws-config"
run_cr 0 plan "$T/m" --profile static --debug
expect_in "$T/err" "profile=static credentials=profile 'static' (credentials file)"
no_secrets "$T/err"
# the profile's key signs: with the wrong secret the emulator refuses the signature
sed -i "s#$PROFILE_SECRET#wrong/secret/Key/0123456789abcdef00000000#" "$T/aws-credentials"
run_cr 1 plan "$T/m" --profile static
no_secrets "$T/err"
expect_not_in "$T/err" "wrong/secret"

step "--profile beats credential variables, AWS_PROFILE does not (as the AWS CLI)"
export AWS_ACCESS_KEY_ID=$TEST_KEY AWS_SECRET_ACCESS_KEY=$TEST_SECRET # valid keys
run_cr 1 plan "$T/m" --profile static --debug # the profile's (wrong) secret signs
expect_in "$T/err" "credentials=profile 'static' (credentials file)"
AWS_PROFILE=static run_cr 0 plan "$T/m" --debug # the variables' keys sign
expect_in "$T/err" "profile=static credentials=environment"
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY

step "a --profile or AWS_PROFILE that does not exist is an error, even with keys around"
run_cr 1 plan "$T/m" --profile nosuch # no region anywhere: that is said first
expect_in "$T/err" "'region' of profile 'nosuch' in $T/aws-config (no such profile)"
run_cr 1 plan "$T/m" --profile nosuch --region us-east-1
expect_in "$T/err" "AWS profile 'nosuch' (from --profile) is in neither"
mark=$(log_mark)
AWS_ACCESS_KEY_ID=$TEST_KEY AWS_SECRET_ACCESS_KEY=$TEST_SECRET AWS_PROFILE=nosuch \
    AWS_REGION=us-east-1 run_cr 1 plan "$T/m"
expect_in "$T/err" "AWS profile 'nosuch' (from AWS_PROFILE) is in neither"
[ -z "$(ops_since "$mark" all)" ] || fail "a missing profile still made calls"
export AWS_REGION=us-east-1

step "rate limits set by the user: applied, shown by --debug; a bad one is refused"
use_web_identity_env
COGNITO_RECONCILE_RATE_LIMITS='TagResource=2,DescribeIdentityPool=40:4' \
    run_cr 0 plan "$T/m" --debug
expect_in "$T/err" "rate limits: CreateIdentityPool=15:2 UpdateIdentityPool=15:2 DescribeIdentityPool=40:4"
expect_in "$T/err" "TagResource=2:2 UntagResource=5:2 ListTagsForResource=10:2 ListIdentities=5:2; retry mode adaptive (default), at most 5 attempts (default)"
# --rate-limit (repeatable) wins over the variable, per operation
COGNITO_RECONCILE_RATE_LIMITS='TagResource=2,UntagResource=3' \
    run_cr 0 plan "$T/m" --debug --rate-limit 'TagResource=unlimited' --rate-limit '*=50:2'
expect_in "$T/err" "rate limits: CreateIdentityPool=50:2 UpdateIdentityPool=50:2"
expect_in "$T/err" "TagResource=50:2 UntagResource=50:2"
COGNITO_RECONCILE_RATE_LIMITS='UntagResource=3' \
    run_cr 0 plan "$T/m" --debug --rate-limit 'TagResource=unlimited'
expect_in "$T/err" "SetPrincipalTagAttributeMap=15:2 UntagResource=3:2 ListTagsForResource=10:2"
# the AWS retry settings: the environment over the profile
AWS_RETRY_MODE=standard AWS_MAX_ATTEMPTS=3 run_cr 0 plan "$T/m" --debug
expect_in "$T/err" "retry mode standard (AWS_RETRY_MODE), at most 3 attempts (AWS_MAX_ATTEMPTS)"
mark=$(log_mark)
AWS_RETRY_MODE=fast run_cr 1 plan "$T/m"
expect_in "$T/err" "AWS_RETRY_MODE: 'fast' is not a retry mode (standard, adaptive or legacy)"
[ -z "$(ops_since "$mark" all)" ] || fail "a refused retry mode still made calls"
mark=$(log_mark)
COGNITO_RECONCILE_RATE_LIMITS='TagResourse=2' run_cr 1 plan "$T/m"
expect_in "$T/err" "COGNITO_RECONCILE_RATE_LIMITS: unknown operation 'TagResourse' (did you mean 'TagResource'?)"
[ -z "$(ops_since "$mark" all)" ] || fail "a refused rate limit still made calls"

echo "PASS: aws through the CLI"
