#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Conformance: Debian's AWS CLI v2 (/usr/bin/aws), unchanged, against cognito-identity-local.
# Every pool-management operation, the shapes it prints, the CLI's exit codes for service
# errors (254) and parameter errors (252), pagination, and SigV4 verification.
. "$(dirname "$0")/lib.sh"

ACCOUNT=111122223333
REGION=us-east-1
ARN_PREFIX="arn:aws:cognito-identity:$REGION:$ACCOUNT:identitypool"
UP1=cognito-idp.us-east-1.amazonaws.com/us-east-1_Ab12Cd34
UP1_CLIENT=6lhlkkfbfb4q5kpp90urffae
UP2=cognito-idp.us-east-1.amazonaws.com/us-east-1_Zz98Yy76
UP2_CLIENT=3n4b5urk1ft4fl3mg5e62d9ado
OIDC1=arn:aws:iam::$ACCOUNT:oidc-provider/auth.example.com
OIDC2=arn:aws:iam::$ACCOUNT:oidc-provider/token.actions.githubusercontent.com
SAML1=arn:aws:iam::$ACCOUNT:saml-provider/ExampleIdP
ROLE_AUTH=arn:aws:iam::$ACCOUNT:role/ConformanceAuth
ROLE_GUEST=arn:aws:iam::$ACCOUNT:role/ConformanceGuest
ROLE_PAID=arn:aws:iam::$ACCOUNT:role/ConformancePaid
ID_RE='^us-east-1:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'

[ -x "$AWS_BIN" ] || die "$AWS_BIN not found (Debian package awscli; scripts/deps.sh installs it)"
conf_clean_aws_env
emu_start --region "$REGION" --account-id "$ACCOUNT"

# ---------------------------------------------------------------- create
aws_run "create-identity-pool (every member)" cognito-identity create-identity-pool \
  --identity-pool-name "Conformance Full" \
  --allow-unauthenticated-identities \
  --allow-classic-flow \
  --supported-login-providers "graph.facebook.com=7346241598935552,accounts.google.com=123456789012-abc.apps.googleusercontent.com" \
  --developer-provider-name login.example.conformance \
  --open-id-connect-provider-arns "$OIDC1" "$OIDC2" \
  --cognito-identity-providers \
  "ProviderName=$UP1,ClientId=$UP1_CLIENT,ServerSideTokenCheck=true" \
  "ProviderName=$UP2,ClientId=$UP2_CLIENT,ServerSideTokenCheck=false" \
  --saml-provider-arns "$SAML1" \
  --identity-pool-tags team=mobile,env=prod
expect_rc 0
FULL=$(jget d.IdentityPoolId) || die "create-identity-pool printed no IdentityPoolId"
expect_true "/$ID_RE/.test(d.IdentityPoolId)" "IdentityPoolId is REGION:GUID ($FULL)"
FULL_SHAPE=$(cat <<EOF
{"IdentityPoolId":"$FULL","IdentityPoolName":"Conformance Full",
 "AllowUnauthenticatedIdentities":true,"AllowClassicFlow":true,
 "SupportedLoginProviders":{"graph.facebook.com":"7346241598935552",
   "accounts.google.com":"123456789012-abc.apps.googleusercontent.com"},
 "DeveloperProviderName":"login.example.conformance",
 "OpenIdConnectProviderARNs":["$OIDC1","$OIDC2"],
 "CognitoIdentityProviders":[
   {"ProviderName":"$UP1","ClientId":"$UP1_CLIENT","ServerSideTokenCheck":true},
   {"ProviderName":"$UP2","ClientId":"$UP2_CLIENT","ServerSideTokenCheck":false}],
 "SamlProviderARNs":["$SAML1"],
 "IdentityPoolTags":{"team":"mobile","env":"prod"}}
EOF
)
expect_json d "$FULL_SHAPE" "the created pool, every member as sent"

# Independent calls run side by side (each CLI start costs ~1 s of CPU): within a batch, each
# pool is written by at most one call.
aws_bg describe "describe-identity-pool (every member)" cognito-identity describe-identity-pool \
  --identity-pool-id "$FULL"
aws_bg min "create-identity-pool (minimal)" cognito-identity create-identity-pool \
  --identity-pool-name "Conformance Minimal" --no-allow-unauthenticated-identities
aws_bg roles "create-identity-pool (for roles)" cognito-identity create-identity-pool \
  --identity-pool-name "Conformance Roles" --allow-unauthenticated-identities \
  --supported-login-providers graph.facebook.com=7346241598935552 \
  --cognito-identity-providers "ProviderName=$UP1,ClientId=$UP1_CLIENT,ServerSideTokenCheck=false"
aws_wait describe
expect_rc 0
expect_json d "$FULL_SHAPE" "the described pool equals the created one"
aws_wait min
expect_rc 0
MIN=$(jget d.IdentityPoolId) || die "create-identity-pool printed no IdentityPoolId"
MIN_SHAPE="{\"IdentityPoolId\":\"$MIN\",\"IdentityPoolName\":\"Conformance Minimal\",\
\"AllowUnauthenticatedIdentities\":false,\"IdentityPoolTags\":{}}"
expect_json d "$MIN_SHAPE" \
  "only set members: no AllowClassicFlow, no DeveloperProviderName, no empty lists, IdentityPoolTags {}"
aws_wait roles
expect_rc 0
ROLES=$(jget d.IdentityPoolId) || die "create-identity-pool printed no IdentityPoolId"
[ "$MIN" != "$FULL" ] && [ "$ROLES" != "$MIN" ] && pass "pools have different ids" ||
  fail "pools have different ids" "$FULL $MIN $ROLES"
MIN_ARN=$ARN_PREFIX/$MIN
cat >"$TMP/mappings.json" <<EOF
{"$UP1:$UP1_CLIENT":{"Type":"Rules","AmbiguousRoleResolution":"Deny",
   "RulesConfiguration":{"Rules":[
     {"Claim":"custom:tier","MatchType":"Equals","Value":"paid","RoleARN":"$ROLE_PAID"},
     {"Claim":"cognito:groups","MatchType":"Contains","Value":"admins","RoleARN":"$ROLE_AUTH"}]}},
 "graph.facebook.com":{"Type":"Token","AmbiguousRoleResolution":"AuthenticatedRole"}}
EOF
ROLES_SHAPE="{\"IdentityPoolId\":\"$ROLES\",\
\"Roles\":{\"authenticated\":\"$ROLE_AUTH\",\"unauthenticated\":\"$ROLE_GUEST\"},\
\"RoleMappings\":$(cat "$TMP/mappings.json")}"
PT_SHAPE="{\"IdentityPoolId\":\"$ROLES\",\"IdentityProviderName\":\"$UP1\",\"UseDefaults\":false,\
\"PrincipalTags\":{\"department\":\"custom:department\",\"team\":\"custom:team\"}}"

# ---------------------------------------------------------------- writes
aws_bg update "update-identity-pool (rename, omit lists)" cognito-identity update-identity-pool \
  --identity-pool-id "$FULL" --identity-pool-name "Conformance Renamed" \
  --no-allow-unauthenticated-identities --allow-classic-flow \
  --developer-provider-name login.example.conformance \
  --cognito-identity-providers "ProviderName=$UP1,ClientId=$UP1_CLIENT,ServerSideTokenCheck=true"
aws_bg setroles "set-identity-pool-roles (Rules + Token mappings)" cognito-identity \
  set-identity-pool-roles --identity-pool-id "$ROLES" \
  --roles "authenticated=$ROLE_AUTH,unauthenticated=$ROLE_GUEST" \
  --role-mappings "file://$TMP/mappings.json"
aws_bg tag "tag-resource" cognito-identity tag-resource --resource-arn "$MIN_ARN" \
  --tags owner=conformance,cost-center=42,empty=
aws_wait update
expect_rc 0
RENAMED_CORE=$(cat <<EOF
{"IdentityPoolId":"$FULL","IdentityPoolName":"Conformance Renamed",
 "AllowUnauthenticatedIdentities":false,"AllowClassicFlow":true,
 "DeveloperProviderName":"login.example.conformance",
 "CognitoIdentityProviders":[
   {"ProviderName":"$UP1","ClientId":"$UP1_CLIENT","ServerSideTokenCheck":true}]}
EOF
)
# IdentityPoolTags after an Update that omits them is not documented (service-behaviour.md):
# compare everything else exactly.
STRIP_TAGS='Object.fromEntries(Object.entries(d).filter(([k]) => k !== "IdentityPoolTags"))'
expect_json "$STRIP_TAGS" "$RENAMED_CORE" "renamed in place, omitted lists cleared"
expect_true 'typeof d.IdentityPoolTags === "object"' "IdentityPoolTags present after update"
aws_wait setroles
expect_rc 0
expect_stdout_empty
aws_wait tag
expect_rc 0
expect_true 'd === undefined || Object.keys(d).length === 0' "empty result"

# ---------------------------------------------------------------- read back, more writes
aws_bg update2 "update-identity-pool (DeveloperProviderName omitted)" cognito-identity \
  update-identity-pool --identity-pool-id "$FULL" --identity-pool-name "Conformance Renamed" \
  --no-allow-unauthenticated-identities
aws_bg getroles "get-identity-pool-roles" cognito-identity get-identity-pool-roles \
  --identity-pool-id "$ROLES"
aws_bg untag "untag-resource" cognito-identity untag-resource --resource-arn "$MIN_ARN" \
  --tag-keys empty not-there
aws_wait update2
expect_rc 0
expect_json d.DeveloperProviderName '"login.example.conformance"' "omitted name is kept"
expect_true 'd.CognitoIdentityProviders === undefined && d.AllowClassicFlow === false' \
  "omitted CognitoIdentityProviders cleared, AllowClassicFlow back to false"
cp "$OUT" "$TMP/after-update.json"
aws_wait getroles
expect_rc 0
expect_json d "$ROLES_SHAPE" "roles and mappings as set, rules in order"
aws_wait untag
expect_rc 0

aws_bg setpt "set-principal-tag-attribute-map" cognito-identity set-principal-tag-attribute-map \
  --identity-pool-id "$ROLES" --identity-provider-name "$UP1" --no-use-defaults \
  --principal-tags department=custom:department,team=custom:team
aws_bg listtags "list-tags-for-resource" cognito-identity list-tags-for-resource \
  --resource-arn "$MIN_ARN"
aws_bg dpn "update-identity-pool (change DeveloperProviderName)" cognito-identity \
  update-identity-pool --identity-pool-id "$FULL" --identity-pool-name "Conformance Renamed" \
  --no-allow-unauthenticated-identities --developer-provider-name login.example.other
aws_wait setpt
expect_rc 0
expect_json d "$PT_SHAPE" "the map as set"
aws_wait listtags
expect_rc 0
expect_json d '{"Tags":{"owner":"conformance","cost-center":"42"}}' "tagged, then untagged"
aws_wait dpn
expect_rc 254 "a developer provider name cannot change once set"
expect_stderr "An error occurred (InvalidParameterException) when calling the UpdateIdentityPool operation:"

# ---------------------------------------------------------------- service errors: exit 254
NOPOOL=us-east-1:aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee
aws_bg getpt "get-principal-tag-attribute-map" cognito-identity get-principal-tag-attribute-map \
  --identity-pool-id "$ROLES" --identity-provider-name "$UP1"
aws_bg badkey "set-identity-pool-roles (mapping key not a provider)" cognito-identity \
  set-identity-pool-roles --identity-pool-id "$ROLES" --roles '{}' \
  --role-mappings '{"accounts.example.org":{"Type":"Token","AmbiguousRoleResolution":"Deny"}}'
aws_bg e1 "describe-identity-pool (unknown id)" cognito-identity describe-identity-pool \
  --identity-pool-id "$NOPOOL"
aws_bg e2 "describe-identity-pool (id breaks the pattern)" cognito-identity \
  describe-identity-pool --identity-pool-id us-east-2:mock
aws_wait getpt
expect_rc 0
expect_json d "$PT_SHAPE" "the map as stored"
aws_wait badkey
expect_rc 254
expect_stderr "An error occurred (InvalidParameterException) when calling the SetIdentityPoolRoles operation: (accounts.example.org) is not a valid RoleMapping ProviderName or is not a configured provider."
aws_wait e1
expect_rc 254
expect_stderr "An error occurred (ResourceNotFoundException) when calling the DescribeIdentityPool operation: IdentityPool '$NOPOOL' not found."
aws_wait e2
expect_rc 254
expect_stderr "An error occurred (ValidationException) when calling the DescribeIdentityPool operation: 1 validation error detected: Value 'us-east-2:mock' at 'identityPoolId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w-]+:[0-9a-f-]+"
# The refused calls changed nothing (read back without the CLI).
api_run "after the refused update" DescribeIdentityPool "{\"IdentityPoolId\":\"$FULL\"}"
expect_json d "$(cat "$TMP/after-update.json")" \
  "the last accepted update persisted, the refused one did not"
api_run "after the refused role mapping" GetIdentityPoolRoles "{\"IdentityPoolId\":\"$ROLES\"}"
expect_json d "$ROLES_SHAPE" "roles unchanged"
api_run "minimal pool after tagging" DescribeIdentityPool "{\"IdentityPoolId\":\"$MIN\"}"
expect_json d.IdentityPoolTags '{"owner":"conformance","cost-center":"42"}' \
  "IdentityPoolTags follows TagResource/UntagResource"

aws_bg clear "set-identity-pool-roles (empty roles)" cognito-identity set-identity-pool-roles \
  --identity-pool-id "$ROLES" --roles '{}'
aws_bg e3 "create-identity-pool (name breaks the pattern)" cognito-identity \
  create-identity-pool --identity-pool-name 'bad/name!' --no-allow-unauthenticated-identities
aws_bg e5 "list-identity-pools (MaxResults 61)" cognito-identity list-identity-pools \
  --max-results 61
aws_bg badrole "set-identity-pool-roles (bad role key, unknown pool)" cognito-identity \
  set-identity-pool-roles --identity-pool-id "$NOPOOL" --roles "administrator=$ROLE_AUTH"
aws_wait clear
expect_rc 0
expect_stdout_empty
aws_wait e3
expect_rc 254
expect_stderr "An error occurred (ValidationException) when calling the CreateIdentityPool operation: 1 validation error detected: Value 'bad/name!' at 'identityPoolName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w\\s+=,.@-]+"
aws_wait e5
expect_rc 254
expect_stderr "(ValidationException) when calling the ListIdentityPools operation: 1 validation error detected: Value '61' at 'maxResults' failed to satisfy constraint"
aws_wait badrole
expect_rc 254
expect_stderr "An error occurred (ValidationException) when calling the SetIdentityPoolRoles operation: 1 validation error detected: "
api_run "get-identity-pool-roles (cleared)" GetIdentityPoolRoles "{\"IdentityPoolId\":\"$ROLES\"}"
expect_json d "{\"IdentityPoolId\":\"$ROLES\",\"Roles\":{}}" "Roles {} and no RoleMappings"

# Parameter and parse errors never reach the service: exit 252.
aws_bg p1 "create-identity-pool (required member missing)" cognito-identity \
  create-identity-pool --no-allow-unauthenticated-identities
aws_bg p4 "list-identity-pools (--max-items)" cognito-identity list-identity-pools \
  --max-results 60 --max-items 10
aws_wait p1
expect_rc 252 "argument parsing"
expect_stderr "the following arguments are required: --identity-pool-name"
aws_wait p4
expect_rc 252 "the CLI cannot auto-paginate this operation"
expect_stderr "Cannot specify --no-paginate along with pagination arguments: --max-items"

# More service errors, straight to the emulator (the CLI's part, exit 254 and the message
# line, is shown above).
api_run "SetIdentityPoolRoles (unknown pool)" SetIdentityPoolRoles \
  "{\"IdentityPoolId\":\"$NOPOOL\",\"Roles\":{}}"
expect_status 400
expect_json d "{\"__type\":\"ResourceNotFoundException\",\"message\":\"IdentityPool '$NOPOOL' not found.\"}"
api_run "CreateIdentityPool (two violations)" CreateIdentityPool \
  '{"IdentityPoolName":"bad/name!","AllowUnauthenticatedIdentities":false,"DeveloperProviderName":"bad provider!"}'
expect_status 400
expect_true 'd.__type === "ValidationException" && d.message.startsWith("2 validation errors detected: ")' \
  "ValidationException, 2 validation errors"
api_run "ListIdentityPools (a NextToken we did not issue)" ListIdentityPools \
  '{"MaxResults":60,"NextToken":"not-a-token-we-issued"}'
expect_status 400
expect_json d.__type '"InvalidParameterException"'
api_run "TagResource (unknown pool)" TagResource \
  "{\"ResourceArn\":\"$ARN_PREFIX/$NOPOOL\",\"Tags\":{\"a\":\"b\"}}"
expect_status 400
expect_json d.__type '"ResourceNotFoundException"'

# ---------------------------------------------------------------- retries
# A throttled answer (fault injection, docs/emulator.md) is retried by the CLI's standard
# retry mode: the command succeeds and the emulator logged two calls.
run "POST /_local/faults" curl -sS --max-time 10 -X POST \
  --data '[{"operation":"DescribeIdentityPool","throttle":1,"count":1}]' "$EMU_URL/_local/faults"
[ "$LAST_RC" -eq 0 ] || die "could not set a fault rule"
run "GET /_local/requests" curl -sS --max-time 10 "$EMU_URL/_local/requests"
SEQ=$(jget d.last_seq) || die "no last_seq in the request log"
aws_run "describe-identity-pool (first answer throttled)" cognito-identity describe-identity-pool \
  --identity-pool-id "$ROLES"
expect_rc 0
expect_json d.IdentityPoolId "\"$ROLES\""
cp "$OUT" "$TMP/roles-pool.json"
run "GET /_local/requests (after the retry)" curl -sS --max-time 10 \
  "$EMU_URL/_local/requests?since=$SEQ"
expect_json "d.requests.filter((r) => r.seq > $SEQ).map((r) => [r.operation, r.status, r.error])" \
  '[["DescribeIdentityPool",400,"TooManyRequestsException"],["DescribeIdentityPool",200,null]]' \
  "TooManyRequestsException, then the CLI's retry succeeded"

# The common edit loop: describe > file, edit, update --cli-input-json file://. Describe's
# output is a valid UpdateIdentityPool input, and updating with it unchanged is a no-op.
aws_run "update-identity-pool --cli-input-json (describe output as input)" cognito-identity \
  update-identity-pool --cli-input-json "file://$TMP/roles-pool.json"
expect_rc 0
expect_json d "$(cat "$TMP/roles-pool.json")" "the same pool back"

# ---------------------------------------------------------------- pagination
# 130 pools through a fast path (curl keeps one connection; SigV4 not verified here), then
# list only with the CLI.
N_PAGE=130
{
  for i in $(seq 1 "$N_PAGE"); do
    [ "$i" -gt 1 ] && echo "next"
    printf 'url = "%s/"\nrequest = "POST"\nsilent\nshow-error\nmax-time = 10\n' "$EMU_URL"
    printf 'header = "Content-Type: application/x-amz-json-1.1"\n'
    printf 'header = "X-Amz-Target: AWSCognitoIdentityService.CreateIdentityPool"\n'
    printf 'header = "Authorization: AWS4-HMAC-SHA256 Credential=AKIDCONFORMANCEANY01/20260101/us-east-1/cognito-identity/aws4_request, SignedHeaders=host, Signature=00"\n'
    printf 'data = "{\\"IdentityPoolName\\":\\"page pool %03d\\",\\"AllowUnauthenticatedIdentities\\":false}"\n' "$i"
    printf 'write-out = "\\n"\n'
  done
} >"$TMP/curl-create.cfg"
run "create 130 pools (curl)" curl -K "$TMP/curl-create.cfg"
[ "$LAST_RC" -eq 0 ] || die "curl could not create the pagination pools"
node -e '
const fs = require("fs");
const ids = fs.readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean)
  .map((l) => JSON.parse(l).IdentityPoolId);
if (ids.length !== Number(process.argv[2]) || ids.some((x) => !x)) process.exit(1);
ids.push(...process.argv.slice(4));
fs.writeFileSync(process.argv[3], JSON.stringify(ids.sort()));' \
  "$OUT" "$N_PAGE" "$TMP/page-ids.json" "$FULL" "$MIN" "$ROLES" ||
  die "curl create responses are not $N_PAGE pools"
pass "created $N_PAGE pools for pagination"
TOTAL=$((N_PAGE + 3))

# The CLI: --max-results is required (MaxResults is required in the model) and, being the
# paginator's limit_key, giving it turns the CLI's auto-pagination off, so every page is a
# call with --next-token: this is how CLI users page through identity pools.
: >"$TMP/listed.jsonl"
token=""
pages=0
sizes=""
while [ "$pages" -lt 10 ]; do
  if [ -z "$token" ]; then
    aws_run "list-identity-pools page $((pages + 1))" cognito-identity list-identity-pools \
      --max-results 60
  else
    aws_run "list-identity-pools page $((pages + 1))" cognito-identity list-identity-pools \
      --max-results 60 --next-token "$token"
  fi
  [ "$LAST_RC" -eq 0 ] || { fail "$T_NAME" "list failed"; break; }
  pages=$((pages + 1))
  sizes="$sizes $(jget 'd.IdentityPools.length')"
  jget 'JSON.stringify(d.IdentityPools)' >>"$TMP/listed.jsonl"
  echo >>"$TMP/listed.jsonl"
  token=$(jget 'd.NextToken || ""')
  [ -n "$token" ] || break
done
[ "$sizes" = " 60 60 $((TOTAL - 120))" ] && pass "pages of 60, 60, $((TOTAL - 120)) ($pages calls)" ||
  fail "pages of 60, 60, $((TOTAL - 120))" "got page sizes:$sizes"
node -e '
const fs = require("fs");
const want = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
const got = fs.readFileSync(process.argv[2], "utf8").split("\n").filter(Boolean)
  .flatMap((l) => JSON.parse(l));
const ids = got.map((p) => p.IdentityPoolId);
if (new Set(ids).size !== ids.length) { console.error("duplicates across pages"); process.exit(1); }
if (JSON.stringify([...ids].sort()) !== JSON.stringify(want)) {
  console.error("listed ids differ from created ids"); process.exit(1);
}
const bad = got.filter((p) => Object.keys(p).sort().join() !== "IdentityPoolId,IdentityPoolName");
if (bad.length) { console.error("unexpected members: " + JSON.stringify(bad[0])); process.exit(1); }
' "$TMP/page-ids.json" "$TMP/listed.jsonl" 2>"$TMP/why" &&
  pass "pagination returns all $TOTAL pools exactly once (IdentityPoolId, IdentityPoolName)" ||
  fail "pagination returns all $TOTAL pools exactly once" "$(cat "$TMP/why")"

# ---------------------------------------------------------------- delete
aws_run "delete-identity-pool" cognito-identity delete-identity-pool --identity-pool-id "$MIN"
expect_rc 0
expect_stdout_empty
aws_bg d1 "describe-identity-pool (deleted)" cognito-identity describe-identity-pool \
  --identity-pool-id "$MIN"
api_run "DeleteIdentityPool (again)" DeleteIdentityPool "{\"IdentityPoolId\":\"$MIN\"}"
expect_status 400
expect_json d "{\"__type\":\"ResourceNotFoundException\",\"message\":\"IdentityPool '$MIN' not found.\"}"
api_run "ListTagsForResource (deleted)" ListTagsForResource "{\"ResourceArn\":\"$MIN_ARN\"}"
expect_json d.__type '"ResourceNotFoundException"'
aws_wait d1
expect_rc 254
expect_stderr "An error occurred (ResourceNotFoundException) when calling the DescribeIdentityPool operation: IdentityPool '$MIN' not found."

# ---------------------------------------------------------------- SigV4 verification
GOOD_AKID=AKIDCONFORMANCE00001
GOOD_SECRET=conformance/Secret+Key0123456789abcdefghij
emu_write_credentials "$TMP/emu-credentials" "$GOOD_AKID" "$GOOD_SECRET"
emu_start --region "$REGION" --account-id "$ACCOUNT" --credentials "$TMP/emu-credentials"

export AWS_ACCESS_KEY_ID=$GOOD_AKID AWS_SECRET_ACCESS_KEY=$GOOD_SECRET
aws_bg s1 "signed: create-identity-pool (right secret)" cognito-identity create-identity-pool \
  --identity-pool-name "Signed Pool" --no-allow-unauthenticated-identities \
  --identity-pool-tags '{"k":"v with spaces","path":"a/b?c=d&e","ünï":"välue 😀 日本"}'
AWS_SECRET_ACCESS_KEY=wrong-secret-0123456789 aws_bg s2 \
  "signed: describe-identity-pool (wrong secret)" cognito-identity describe-identity-pool \
  --identity-pool-id "$NOPOOL"
AWS_ACCESS_KEY_ID=AKIDUNKNOWN000000000 aws_bg s3 \
  "signed: describe-identity-pool (unknown key)" cognito-identity describe-identity-pool \
  --identity-pool-id "$NOPOOL"
aws_wait s1
expect_rc 0
expect_true "/$ID_RE/.test(d.IdentityPoolId)" "created with a verified signature"
# botocore sends non-ASCII as \u escapes (the emoji as a surrogate pair): decoded exactly.
expect_json d.IdentityPoolTags '{"k":"v with spaces","path":"a/b?c=d&e","ünï":"välue 😀 日本"}'
aws_wait s2
expect_rc 254
expect_stderr "An error occurred (InvalidSignatureException) when calling the DescribeIdentityPool operation: The request signature we calculated does not match the signature you provided."
[ -s "$OUT" ] && fail "$T_NAME: nothing on stdout" || pass "$T_NAME: nothing on stdout"
aws_wait s3
expect_rc 254
expect_stderr "An error occurred (UnrecognizedClientException) when calling the DescribeIdentityPool operation: The security token included in the request is invalid."

finish
