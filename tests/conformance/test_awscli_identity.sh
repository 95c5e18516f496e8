#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Conformance: the identity side with Debian's AWS CLI v2 (/usr/bin/aws), all 11 operations
# (get-id, get-credentials-for-identity, get-open-id-token,
# get-open-id-token-for-developer-identity, lookup-developer-identity,
# merge-developer-identities, unlink-developer-identity, unlink-identity, describe-identity,
# list-identities, delete-identities) against an emulator that verifies SigV4: the public
# operations go unsigned (the CLI honours the model's authtype none), the rest signed; the
# credentials GetCredentialsForIdentity returns sign STS GetCallerIdentity; the classic flow
# (get-open-id-token, then sts assume-role-with-web-identity) works until AllowClassicFlow is
# turned off. Login tokens come from `cognito-identity-local token`. Set-up and read-backs
# that are not what is tested go through curl (its own SigV4), so the CLI's start-up cost is
# paid only where the CLI is the subject; independent CLI calls run side by side.
. "$(dirname "$0")/lib.sh"

ACCOUNT=210987654321
REGION=us-east-1
AKID=AKIDCONFORMANCEIDENT
SECRET='identity/Conformance+Secret0123456789ab'
UP=cognito-idp.us-east-1.amazonaws.com/us-east-1_Ab12Cd34
CLIENT=6lhlkkfbfb4q5kpp90urffae
DEV=login.example.conformance
ROLE=arn:aws:iam::$ACCOUNT:role

[ -x "$AWS_BIN" ] || die "$AWS_BIN not found (Debian package awscli; scripts/deps.sh installs it)"
conf_clean_aws_env "$AKID" "$SECRET"
emu_write_credentials "$TMP/emu-credentials" "$AKID" "$SECRET"
emu_start --region "$REGION" --account-id "$ACCOUNT" --credentials "$TMP/emu-credentials"

# call NAME OP JSON [sign]: one JSON 1.1 call with curl, signed with curl's own SigV4 when
# the fourth argument is "sign"; body in $OUT, HTTP status in $API_STATUS.
call() {
  local sign=()
  [ "${4:-}" = sign ] && sign=(--aws-sigv4 "aws:amz:$REGION:cognito-identity" --user "$AKID:$SECRET")
  T_NAME=$1
  LAST_CMD="POST $EMU_URL/ ${4:-unsigned} X-Amz-Target: AWSCognitoIdentityService.$2 $3"
  API_STATUS=$(curl -sS --max-time 10 -o "$OUT" -w '%{http_code}' -X POST "$EMU_URL/" "${sign[@]}" \
    -H 'Content-Type: application/x-amz-json-1.1' \
    -H "X-Amz-Target: AWSCognitoIdentityService.$2" --data-binary "$3" 2>"$ERR")
  LAST_RC=$API_STATUS
}

# token NAME CLAIMS: a user-pool ID token minted by the emulator, into $TMP/NAME.jwt
token() {
  "$EMU_BIN" token --endpoint-url "$EMU_URL" --issuer "https://$UP" --claims "$2" \
    >"$TMP/$1.jwt" || die "cognito-identity-local token failed"
}
login() { printf '%s=%s' "$UP" "$(cat "$TMP/$1.jwt")"; }
login_json() { printf '{"%s":"%s"}' "$UP" "$(cat "$TMP/$1.jwt")"; }

# ---------------------------------------------------------------- set-up (curl)
call "create the pool" CreateIdentityPool '{"IdentityPoolName":"Identity Conformance",
  "AllowUnauthenticatedIdentities":true,"AllowClassicFlow":true,"DeveloperProviderName":"'$DEV'",
  "SupportedLoginProviders":{"graph.facebook.com":"7346241598935552"},
  "CognitoIdentityProviders":[{"ProviderName":"'$UP'","ClientId":"'$CLIENT'"}]}' sign
expect_status 200
POOL=$(jget d.IdentityPoolId) || die "no pool id"
call "set roles and a rules mapping" SetIdentityPoolRoles '{"IdentityPoolId":"'$POOL'",
  "Roles":{"authenticated":"'$ROLE/Auth'","unauthenticated":"'$ROLE/Guest'"},
  "RoleMappings":{"'$UP:$CLIENT'":{"Type":"Rules","AmbiguousRoleResolution":"Deny",
  "RulesConfiguration":{"Rules":[{"Claim":"custom:tier","MatchType":"Equals","Value":"paid",
  "RoleARN":"'$ROLE/Paid'"}]}}}}' sign
expect_status 200
token paid '{"sub":"user-paid","aud":"'$CLIENT'","custom:tier":"paid"}'
token gold '{"sub":"user-gold","aud":"'$CLIENT'","custom:tier":"gold"}'
call "GetOpenIdTokenForDeveloperIdentity (bob)" GetOpenIdTokenForDeveloperIdentity \
  '{"IdentityPoolId":"'$POOL'","Logins":{"'$DEV'":"bob"}}' sign
expect_status 200
BOB_FIRST=$(jget d.IdentityId)

# ---------------------------------------------------------------- batch 1: get-id, developer token
# No credentials at all: the public operations need none.
AWS_ACCESS_KEY_ID= AWS_SECRET_ACCESS_KEY= aws_bg guest "get-id (guest, no credentials)" \
  cognito-identity get-id --identity-pool-id "$POOL"
AWS_ACCESS_KEY_ID= AWS_SECRET_ACCESS_KEY= aws_bg paid "get-id (user pool login)" \
  cognito-identity get-id --identity-pool-id "$POOL" --logins "$(login paid)"
aws_bg badprov "get-id (provider not on the pool)" \
  cognito-identity get-id --identity-pool-id "$POOL" --logins accounts.google.com=x
aws_bg alice "get-open-id-token-for-developer-identity (alice)" cognito-identity \
  get-open-id-token-for-developer-identity --identity-pool-id "$POOL" --logins "$DEV=alice" \
  --principal-tags team=blue --token-duration 900
aws_wait guest
expect_rc 0
expect_true '/^us-east-1:[0-9a-f-]{36}$/.test(d.IdentityId)' "IdentityId is REGION:GUID"
GUEST=$(jget d.IdentityId)
aws_wait paid
expect_rc 0
PAID=$(jget d.IdentityId)
aws_wait badprov
expect_rc 254
expect_stderr "An error occurred (NotAuthorizedException) when calling the GetId operation: Token is not from a supported provider of this identity pool."
aws_wait alice
expect_rc 0
expect_true 'd.Token.split(".").length === 3' "an OpenID token"
ALICE=$(jget d.IdentityId)
call "GetId (the same login again)" GetId \
  '{"IdentityPoolId":"'$POOL'","Logins":'"$(login_json paid)"'}'
expect_json d.IdentityId "\"$PAID\"" "the same login maps to the same identity"
call "GetId (gold)" GetId '{"IdentityPoolId":"'$POOL'","Logins":'"$(login_json gold)"'}'
GOLD=$(jget d.IdentityId)

# ---------------------------------------------------------------- batch 2: credentials, tokens
AWS_ACCESS_KEY_ID= AWS_SECRET_ACCESS_KEY= aws_bg gguest "get-credentials-for-identity (guest)" \
  cognito-identity get-credentials-for-identity --identity-id "$GUEST"
AWS_ACCESS_KEY_ID= AWS_SECRET_ACCESS_KEY= aws_bg gpaid "get-credentials-for-identity (rule: paid)" \
  cognito-identity get-credentials-for-identity --identity-id "$PAID" --logins "$(login paid)"
aws_bg ggold "get-credentials-for-identity (no rule matches: Deny)" \
  cognito-identity get-credentials-for-identity --identity-id "$GOLD" --logins "$(login gold)"
aws_bg openid "get-open-id-token" cognito-identity get-open-id-token --identity-id "$PAID" \
  --logins "$(login paid)"
aws_bg lookup "lookup-developer-identity (by user)" cognito-identity lookup-developer-identity \
  --identity-pool-id "$POOL" --developer-user-identifier alice
aws_wait gguest
expect_rc 0
expect_true '/^ASIA[A-Z0-9]{16}$/.test(d.Credentials.AccessKeyId) && d.Credentials.SessionToken.length > 100' \
  "temporary credentials"
expect_true 'Math.abs(Date.parse(d.Credentials.Expiration) - Date.now() - 3600e3) < 120e3' \
  "Expiration an hour ahead"
cp "$OUT" "$TMP/guest-creds.json"
aws_wait gpaid
expect_rc 0
expect_json d.IdentityId "\"$PAID\""
cp "$OUT" "$TMP/paid-creds.json"
aws_wait ggold
expect_rc 254
expect_stderr "An error occurred (NotAuthorizedException) when calling the GetCredentialsForIdentity operation: The ambiguous role mapping rules denied this request."
aws_wait openid
expect_rc 0
expect_json d.IdentityId "\"$PAID\""
jget d.Token >"$TMP/openid.jwt"
aws_wait lookup
expect_rc 0
expect_json d "{\"IdentityId\":\"$ALICE\",\"DeveloperUserIdentifierList\":[\"alice\"]}"

# ---------------------------------------------------------------- batch 3: the credentials at work
# creds FILE: "KEY SECRET TOKEN" of a GetCredentialsForIdentity answer
creds() {
  node -e 'const c = require(process.argv[1]).Credentials;
    console.log(c.AccessKeyId, c.SecretKey, c.SessionToken)' "$1"
}
read -r GK GS GT < <(creds "$TMP/guest-creds.json")
read -r PK PS PT < <(creds "$TMP/paid-creds.json")
AWS_ACCESS_KEY_ID=$GK AWS_SECRET_ACCESS_KEY=$GS AWS_SESSION_TOKEN=$GT aws_bg cguest \
  "sts get-caller-identity (guest credentials)" sts get-caller-identity
AWS_ACCESS_KEY_ID=$PK AWS_SECRET_ACCESS_KEY=$PS AWS_SESSION_TOKEN=$PT aws_bg cpaid \
  "sts get-caller-identity (paid credentials)" sts get-caller-identity
AWS_ACCESS_KEY_ID= AWS_SECRET_ACCESS_KEY= aws_bg classic \
  "sts assume-role-with-web-identity (Cognito token)" \
  sts assume-role-with-web-identity --role-arn "$ROLE/Classic" --role-session-name classic \
  --web-identity-token "file://$TMP/openid.jwt"
aws_bg merge "merge-developer-identities" cognito-identity merge-developer-identities \
  --source-user-identifier bob --destination-user-identifier alice \
  --developer-provider-name "$DEV" --identity-pool-id "$POOL"
aws_wait cguest
expect_rc 0
expect_json d.Arn "\"arn:aws:sts::$ACCOUNT:assumed-role/Guest/CognitoIdentityCredentials\""
aws_wait cpaid
expect_rc 0
expect_json d.Arn "\"arn:aws:sts::$ACCOUNT:assumed-role/Paid/CognitoIdentityCredentials\""
aws_wait classic
expect_rc 0
expect_json d.AssumedRoleUser.Arn "\"arn:aws:sts::$ACCOUNT:assumed-role/Classic/classic\""
expect_json d.Provider '"https://cognito-identity.amazonaws.com"'
aws_wait merge
expect_rc 0
expect_json d.IdentityId "\"$ALICE\""
call "LookupDeveloperIdentity (after the merge)" LookupDeveloperIdentity \
  '{"IdentityPoolId":"'$POOL'","IdentityId":"'$ALICE'"}' sign
expect_json d.DeveloperUserIdentifierList '["alice","bob"]'
call "GetOpenIdTokenForDeveloperIdentity (unsigned)" GetOpenIdTokenForDeveloperIdentity \
  '{"IdentityPoolId":"'$POOL'","Logins":{"'$DEV'":"alice"}}'
expect_status 400
expect_json d.__type '"MissingAuthenticationTokenException"' "developer operations need a signature"
call "GetId (link Facebook)" GetId \
  '{"IdentityPoolId":"'$POOL'","Logins":{"'$UP'":"'"$(cat "$TMP/paid.jwt")"'","graph.facebook.com":"fb-1"}}'
expect_json d.IdentityId "\"$PAID\"" "a second login links to the identity"

# ---------------------------------------------------------------- batch 4: unlink, list, describe
call "UpdateIdentityPool (classic flow off)" UpdateIdentityPool '{"IdentityPoolId":"'$POOL'",
  "IdentityPoolName":"Identity Conformance","AllowUnauthenticatedIdentities":true,
  "AllowClassicFlow":false,"DeveloperProviderName":"'$DEV'",
  "SupportedLoginProviders":{"graph.facebook.com":"7346241598935552"},
  "CognitoIdentityProviders":[{"ProviderName":"'$UP'","ClientId":"'$CLIENT'"}]}' sign
expect_status 200
aws_bg noclassic "get-open-id-token (classic flow off)" cognito-identity get-open-id-token \
  --identity-id "$PAID" --logins "$(login paid)"
AWS_ACCESS_KEY_ID= AWS_SECRET_ACCESS_KEY= aws_bg stsoff \
  "sts assume-role-with-web-identity (classic flow off)" \
  sts assume-role-with-web-identity --role-arn "$ROLE/Classic" --role-session-name classic \
  --web-identity-token "file://$TMP/openid.jwt"
aws_bg unlinkdev "unlink-developer-identity" cognito-identity unlink-developer-identity \
  --identity-id "$ALICE" --identity-pool-id "$POOL" --developer-provider-name "$DEV" \
  --developer-user-identifier bob
AWS_ACCESS_KEY_ID= AWS_SECRET_ACCESS_KEY= aws_bg unlink "unlink-identity (Facebook)" \
  cognito-identity unlink-identity --identity-id "$PAID" --logins "$(login paid)" \
  --logins-to-remove graph.facebook.com
aws_bg list "list-identities --hide-disabled" cognito-identity list-identities \
  --identity-pool-id "$POOL" --max-results 60 --hide-disabled
aws_wait noclassic
expect_rc 254
expect_stderr "(InvalidParameterException) when calling the GetOpenIdToken operation: Basic (classic) flow is not enabled, please use enhanced flow."
aws_wait stsoff
expect_rc 254
expect_stderr "(InvalidIdentityToken) when calling the AssumeRoleWithWebIdentity operation"
aws_wait unlinkdev
expect_rc 0
expect_stdout_empty
aws_wait unlink
expect_rc 0
expect_stdout_empty
aws_wait list
expect_rc 0
expect_true "d.IdentityPoolId === '$POOL' && d.Identities.some(i => i.IdentityId === '$GUEST')" \
  "lists the guest"
expect_true "!d.Identities.some(i => i.IdentityId === '$BOB_FIRST')" "bob's merged identity is hidden"
call "ListIdentities (all)" ListIdentities '{"IdentityPoolId":"'$POOL'","MaxResults":60}' sign
expect_true 'd.Identities.length === 5' "guest, paid, gold, alice and bob's merged-away identity"
call "LookupDeveloperIdentity (bob unlinked)" LookupDeveloperIdentity \
  '{"IdentityPoolId":"'$POOL'","DeveloperUserIdentifier":"bob"}' sign
expect_json d.__type '"ResourceNotFoundException"'

# ---------------------------------------------------------------- batch 5: describe, delete
aws_bg describe "describe-identity" cognito-identity describe-identity --identity-id "$PAID"
aws_bg delete "delete-identities" cognito-identity delete-identities \
  --identity-ids-to-delete "$GUEST" "$GOLD"
aws_wait describe
expect_rc 0
expect_json d.Logins "[\"$UP\"]" "Facebook unlinked, the user pool kept"
expect_true 'Date.parse(d.CreationDate) <= Date.parse(d.LastModifiedDate)' "dates"
aws_wait delete
expect_rc 0
expect_json d '{"UnprocessedIdentityIds":[]}'
call "DescribeIdentity (deleted)" DescribeIdentity '{"IdentityId":"'$GUEST'"}' sign
expect_json d "{\"__type\":\"ResourceNotFoundException\",\"message\":\"Identity '$GUEST' not found.\"}"

# ---------------------------------------------------------------- the request log
T_NAME="request log"
curl -sS --max-time 10 "$EMU_URL/_local/requests" >"$OUT"
expect_true "['GetId','GetCredentialsForIdentity','GetOpenIdToken','GetOpenIdTokenForDeveloperIdentity','LookupDeveloperIdentity','MergeDeveloperIdentities','UnlinkDeveloperIdentity','UnlinkIdentity','DescribeIdentity','ListIdentities','DeleteIdentities'].every(op => d.requests.some(r => r.operation === op && r.status === 200))" \
  "every identity operation is logged"

finish
