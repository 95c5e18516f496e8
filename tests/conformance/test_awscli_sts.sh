#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Conformance: STS on the emulator's port with Debian's AWS CLI v2 (/usr/bin/aws):
# get-caller-identity (signed with a --credentials key), assume-role-with-web-identity
# (unsigned, token from a file), and the temporary credentials it returns (with their session
# token) accepted by cognito-identity with SigV4 verification on.
. "$(dirname "$0")/lib.sh"

ACCOUNT=111122223333
ROLE_ACCOUNT=444455556666
REGION=us-east-1
AKID=AKIDCONFORMANCESTS01
SECRET='sts/Conformance+Secret0123456789abcdef'
ROLE_ARN=arn:aws:iam::$ROLE_ACCOUNT:role/CiDeploy
SESSION=conformance-run

[ -x "$AWS_BIN" ] || die "$AWS_BIN not found (Debian package awscli; scripts/deps.sh installs it)"
conf_clean_aws_env "$AKID" "$SECRET"
emu_write_credentials "$TMP/emu-credentials" "$AKID" "$SECRET"
emu_start --region "$REGION" --account-id "$ACCOUNT" --credentials "$TMP/emu-credentials"

# A GitHub-Actions-like OIDC token. With --credentials the emulator verifies web identity
# tokens (issue 9.5), so this one is signed by its own test identity provider
# (POST /_local/token); it echoes the claims.
JWT=$(emu_token https://token.actions.githubusercontent.com \
  '{"sub":"repo:example/infra:ref:refs/heads/main","aud":"sts.amazonaws.com"}') ||
  die "POST /_local/token failed"
printf '%s' "$JWT" >"$TMP/token.jwt" # as the runner writes it: no line break
# The same claims unsigned ("alg":"none"): anyone could write it, so it must get no keys.
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
printf '%s.%s.' "$(printf '{"alg":"none"}' | b64url)" \
  "$(printf '{"iss":"https://token.actions.githubusercontent.com","sub":"repo:example/infra:ref:refs/heads/main","aud":"sts.amazonaws.com","exp":%d}' \
    "$(($(date +%s) + 600))" | b64url)" >"$TMP/forged.jwt"

# ---------------------------------------------------------------- batch 1 (side by side)
BATCH1_S=$(date +%s) # no call of the batch starts earlier
aws_bg gci "sts get-caller-identity (file key)" sts get-caller-identity
AWS_SECRET_ACCESS_KEY=wrong-secret aws_bg gciwrong "sts get-caller-identity (wrong secret)" \
  sts get-caller-identity
AWS_ACCESS_KEY_ID=AKIDNOTINTHEFILE0001 aws_bg gciunknown \
  "sts get-caller-identity (unknown key)" sts get-caller-identity
# AssumeRoleWithWebIdentity is unsigned on AWS: it works with no credentials configured.
# (Empty variables: botocore's environment provider then finds no credentials.)
AWS_ACCESS_KEY_ID= AWS_SECRET_ACCESS_KEY= aws_bg assume \
  "sts assume-role-with-web-identity (token file, no credentials)" \
  sts assume-role-with-web-identity --role-arn "$ROLE_ARN" --role-session-name "$SESSION" \
  --web-identity-token "file://$TMP/token.jwt" --duration-seconds 900
AWS_ACCESS_KEY_ID= AWS_SECRET_ACCESS_KEY= aws_bg forged \
  "sts assume-role-with-web-identity (an unsigned token: refused with --credentials)" \
  sts assume-role-with-web-identity --role-arn "$ROLE_ARN" --role-session-name "$SESSION" \
  --web-identity-token "file://$TMP/forged.jwt"
aws_wait gci
expect_rc 0
expect_json d "{\"UserId\":\"$(jget d.UserId)\",\"Account\":\"$ACCOUNT\",\
\"Arn\":\"arn:aws:iam::$ACCOUNT:user/cognito-identity-local\"}" "account and user of the key"
expect_true 'typeof d.UserId === "string" && d.UserId.length > 0' "UserId present"
aws_wait gciwrong
expect_rc 254
expect_stderr "An error occurred (SignatureDoesNotMatch) when calling the GetCallerIdentity operation"
aws_wait gciunknown
expect_rc 254
expect_stderr "An error occurred (InvalidClientTokenId) when calling the GetCallerIdentity operation"
aws_wait assume
expect_rc 0
expect_true '/^ASIA[A-Z0-9]{16}$/.test(d.Credentials.AccessKeyId)' "AccessKeyId ASIA + 16"
expect_true 'd.Credentials.SecretAccessKey.length >= 40 && d.Credentials.SessionToken.length >= 100' \
  "secret and session token"
expect_true "Date.parse(d.Credentials.Expiration) >= ($BATCH1_S + 900) * 1000 && \
Date.parse(d.Credentials.Expiration) <= Date.now() + 900e3" \
  "Expiration is DurationSeconds (900 s) after the call"
expect_json 'd.AssumedRoleUser.Arn' "\"arn:aws:sts::$ROLE_ACCOUNT:assumed-role/CiDeploy/$SESSION\""
expect_true "d.AssumedRoleUser.AssumedRoleId.endsWith(':$SESSION')" "AssumedRoleId ends with :SESSION"
expect_json 'd.SubjectFromWebIdentityToken' '"repo:example/infra:ref:refs/heads/main"'
expect_json 'd.Audience' '"sts.amazonaws.com"'
expect_json 'd.Provider' '"https://token.actions.githubusercontent.com"'
TMP_AKID=$(jget d.Credentials.AccessKeyId)
TMP_SECRET=$(jget d.Credentials.SecretAccessKey)
TMP_TOKEN=$(jget d.Credentials.SessionToken)
aws_wait forged
expect_rc 254
expect_stderr "An error occurred (InvalidIdentityToken) when calling the AssumeRoleWithWebIdentity operation: No OpenIDConnect provider found in your account for https://token.actions.githubusercontent.com"
expect_stdout_empty
if grep -qF -- "$(cut -d. -f2 "$TMP/forged.jwt")" "$ERR"; then
  fail "the refusal does not repeat the token" "the token's payload is on stderr"
else
  pass "the refusal does not repeat the token"
fi

# ---------------------------------------------------------------- batch 2: the temporary keys
aws_bg filekey "list-identity-pools (file key: its account has no pools)" \
  cognito-identity list-identity-pools --max-results 60
export AWS_ACCESS_KEY_ID=$TMP_AKID AWS_SECRET_ACCESS_KEY=$TMP_SECRET AWS_SESSION_TOKEN=$TMP_TOKEN
aws_bg tgci "sts get-caller-identity (temporary credentials)" sts get-caller-identity
aws_bg tcreate "create-identity-pool (temporary credentials)" cognito-identity \
  create-identity-pool --identity-pool-name "Created By Role" --no-allow-unauthenticated-identities
# the token with its last character changed (to one it is not, or the "wrong" token is right)
BAD_TOKEN=${TMP_TOKEN%?}x
[ "$BAD_TOKEN" = "$TMP_TOKEN" ] && BAD_TOKEN=${TMP_TOKEN%?}y
AWS_SESSION_TOKEN=$BAD_TOKEN aws_bg tbadtoken \
  "list-identity-pools (wrong session token)" cognito-identity list-identity-pools \
  --max-results 1
AWS_SESSION_TOKEN= aws_bg tnotoken "list-identity-pools (temporary key without session token)" \
  cognito-identity list-identity-pools --max-results 1
aws_wait filekey
expect_rc 0
expect_json 'd.IdentityPools' '[]' "an empty account"
aws_wait tgci
expect_rc 0
expect_json 'd.Account' "\"$ROLE_ACCOUNT\""
expect_json 'd.Arn' "\"arn:aws:sts::$ROLE_ACCOUNT:assumed-role/CiDeploy/$SESSION\""
aws_wait tcreate
expect_rc 0
expect_true "/^$REGION:[0-9a-f-]{36}\$/.test(d.IdentityPoolId)" "created with the role's keys"
aws_wait tbadtoken
expect_rc 254
expect_stderr "An error occurred (UnrecognizedClientException) when calling the ListIdentityPools operation"
aws_wait tnotoken
expect_rc 254
expect_stderr "An error occurred (UnrecognizedClientException) when calling the ListIdentityPools operation"

finish
