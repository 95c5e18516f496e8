#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every credential source through the cognito-reconcile binary, against the emulator (which
# verifies every signature and hands out the temporary keys): the chain role_arn ->
# source_profile -> credential_process, an IAM Identity Center profile with the token cache
# `aws sso login` writes, EC2 instance metadata (IMDSv2, a token-less request refused), ECS
# credentials with a token file, an instance metadata service that never answers, a
# 1,000-pool apply whose credentials expire several times on the way, an unsupported source,
# and the region check.
# --debug names the source and never prints a key, a session token, an SSO access token,
# a container authorization token or an IMDS token, not even a piece of one, also when a
# credential_process helper fails (output cut inside the secret, secrets on stderr).
. "$CR_SOURCE_DIR/tests/integration/cli_lib.sh"
ECS_TOKEN=ecsAgentToken0123456789abcdefghijklmnopqrstuvwx
SSO_TOKEN=ssoAccessToken0123456789abcdefghijklmnopqrstuv
cli_setup --sigv4 --imds-port 0 --container-token "$ECS_TOKEN" --sts-min-duration 1 \
    --account-id 111122223333
ROLE=arn:aws:iam::222233334444:role/deploy
mkdir -p "$T/home"
export HOME=$T/home AWS_ENDPOINT_URL_STS=$EMU_URL AWS_ENDPOINT_URL_SSO=$EMU_URL
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
cat >"$T/m/app.yaml" <<'EOF'
apiVersion: cognito-reconcile/v1
kind: IdentityPool
metadata:
  name: app
spec:
  identityPoolName: App
  allowUnauthenticatedIdentities: false
EOF
cat >"$T/helper.sh" <<EOF
#!/bin/sh
# a credential_process helper: the emulator's static key
printf '{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s"}' "$TEST_KEY" "$TEST_SECRET"
EOF
chmod +x "$T/helper.sh"
printf '%s\n' "$ECS_TOKEN" >"$T/ecs-token"

# Every 10-character piece of the known secrets (a message quoting part of one is a leak).
for s in "$TEST_SECRET" "$ECS_TOKEN" "$SSO_TOKEN"; do
    for ((i = 0; i + 10 <= ${#s}; i++)); do printf '%s\n' "${s:i:10}"; done
done >"$T/secret-pieces"

# no_secrets FILE: no key material (runs of 40 base64 characters: secrets, session tokens,
# the SSO and container tokens, IMDS tokens) and no piece of the known secrets (the plan
# digest, "sha256:" and 64 hex digits, is public and left out).
no_secrets() {
    local runs
    runs=$(grep -oF -f "$T/secret-pieces" "$1" | head -3) || true
    [ -z "$runs" ] || fail "a piece of a secret in $(basename "$1"): $runs"
    runs=$(sed 's/sha256:[0-9a-f]\{64\}//g' "$1" | grep -Eo '[A-Za-z0-9+/_=]{40,}' | head -3) || true
    [ -z "$runs" ] || fail "key material in $(basename "$1"): $runs"
}

# pools_in ACCOUNT: how many pools the emulator holds for the account in us-east-1.
pools_in() {
    curl -sf --max-time 30 "$EMU_URL/_local/state" >"$T/state.json" || fail "GET /_local/state"
    "$PY" -S -c '
import json, sys
parts = json.load(open(sys.argv[1])).get("partitions", {})
print(len(parts.get(sys.argv[2] + "/us-east-1", {}).get("pools", {})))' "$T/state.json" "$1"
}

step "assume role: role_arn -> source_profile -> credential_process, --debug names the chain"
cat >"$T/aws-config" <<EOF
[profile ci]
region = us-east-1
role_arn = $ROLE
source_profile = base
role_session_name = ci-run
[profile base]
credential_process = $T/helper.sh --profile 'base profile'
EOF
run_cr 0 apply "$T/m" --profile ci --auto-approve --debug
expect_in "$T/err" "profile=ci credentials=assume role $ROLE via profile ci, source profile base <- credential_process of profile 'base'"
expect_in "$T/err" "debug: aws sts AssumeRole $EMU_URL attempt=1 status=200"
no_secrets "$T/err"
no_secrets "$T/out"
[ "$(pools_in 222233334444)" = 1 ] || fail "the pool is not in the role's account"

step "a credential_process helper starts with no signal blocked or ignored (Ctrl-C reaches it)"
# apply blocks SIGINT/SIGTERM in its threads (one thread takes them, to stop between writes);
# a helper run then -- to renew 3-second credentials after a create held 4 s -- must not
# inherit that mask (it would ignore Ctrl-C), nor an ignored SIGPIPE. The bits of SIGHUP,
# SIGINT, SIGQUIT, SIGPIPE and SIGTERM: 0x5007.
cat >"$T/mask-helper.sh" <<EOF
#!/bin/sh
echo "\$(date +%s) \$(sed -n 's/^Sig\(Blk\|Ign\):[[:space:]]*//p' /proc/\$\$/status | tr '\n' ' ')" >>"$T/helper-mask"
printf '{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s", "Expiration": "%s"}' \
    "$TEST_KEY" "$TEST_SECRET" "\$(date -u -d '+3 seconds' +%Y-%m-%dT%H:%M:%SZ)"
EOF
chmod +x "$T/mask-helper.sh"
printf '[profile masked]\nregion = us-east-1\ncredential_process = %s\n' "$T/mask-helper.sh" >"$T/masked-config"
mkdir -p "$T/masked"
pool_yaml masked >"$T/masked/masked.yaml"
: >"$T/helper-mask"
emu_faults '[{"operation": "CreateIdentityPool", "latency_ms": 4000}]' || fail "cannot set the latency"
AWS_CONFIG_FILE="$T/masked-config" run_cr 0 apply "$T/masked" --profile masked --auto-approve
emu_faults '[]'
read -r first _ <"$T/helper-mask"
read -r last _ < <(tail -1 "$T/helper-mask")
[ $((last - first)) -ge 3 ] || fail "the helper did not renew the credentials after the create: $(cat "$T/helper-mask")"
while read -r _ blocked ignored; do
    [ $(((0x$blocked | 0x$ignored) & 0x5007)) -eq 0 ] ||
        fail "the helper started with SIGHUP/INT/QUIT/PIPE/TERM blocked or ignored: $(cat "$T/helper-mask")"
done <"$T/helper-mask"

step "one credentials chain for the run: manifests in two regions assume the role once"
mkdir -p "$T/two"
for r in us-east-1 eu-west-1; do
    printf 'apiVersion: cognito-reconcile/v1\nkind: IdentityPool\nmetadata:\n  name: in-%s\n  region: %s\nspec:\n  identityPoolName: In %s\n  allowUnauthenticatedIdentities: false\n' \
        "$r" "$r" "$r" >"$T/two/$r.yaml"
done
before=$(emu_count AssumeRole)
run_cr 0 apply "$T/two" --profile ci --auto-approve
[ "$(emu_count AssumeRole)" = $((before + 1)) ] || fail "the role was assumed $(($(emu_count AssumeRole) - before)) times for two regions"

step "a credential_process helper that fails, under --debug: no piece of its output or of a secret"
# a helper whose output is cut inside the secret (jansson quotes the text near an error)
cat >"$T/cut.sh" <<EOF
#!/bin/sh
printf '{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s' "$TEST_KEY" "$TEST_SECRET"
EOF
# a helper that prints the credentials, then fails with a key and tokens on stderr
cat >"$T/noisy.sh" <<EOF
#!/bin/sh
printf '{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s"}' "$TEST_KEY" "$TEST_SECRET"
echo "aws_secret_access_key = $TEST_SECRET" >&2
echo "token $SSO_TOKEN expired for $ECS_TOKEN" >&2
exit 4
EOF
chmod +x "$T/cut.sh" "$T/noisy.sh"
for helper in cut noisy; do
    printf '[profile %s]\nregion = us-east-1\ncredential_process = %s\n' \
        "$helper" "$T/$helper.sh" >"$T/aws-config"
    run_cr 1 plan "$T/m" --profile "$helper" --debug
    expect_in "$T/err" "credential_process: "
    no_secrets "$T/err"
    no_secrets "$T/out"
done
expect_in "$T/err" "'$T/noisy.sh' exited with status 4: aws_secret_access_key = [redacted] token [redacted] expired for [redacted]"

step "IAM Identity Center: the token cache of aws sso login, then the portal"
curl -sf --max-time 10 -X POST "$EMU_URL/_local/sso/tokens" \
    -d "{\"accessToken\": \"$SSO_TOKEN\", \"user\": \"alice\"}" >/dev/null || fail "token"
cat >"$T/aws-config" <<EOF
[profile dev]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = AdministratorAccess
region = us-east-1
[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = eu-west-1
EOF
CACHE=$HOME/.aws/sso/cache/$(printf '%s' corp | sha1sum | cut -d' ' -f1).json
mkdir -p "$(dirname "$CACHE")"
printf '{"startUrl": "https://corp.awsapps.com/start", "region": "eu-west-1", "accessToken": "%s", "expiresAt": "2099-01-01T00:00:00Z"}' \
    "$SSO_TOKEN" >"$CACHE"
run_cr 2 plan "$T/m" --profile dev --debug --detailed-exitcode
expect_in "$T/err" "credentials=IAM Identity Center, profile 'dev' (account 111122223333, role AdministratorAccess, sso-session corp)"
expect_in "$T/err" "debug: aws sso GetRoleCredentials attempt=1 status=200"
no_secrets "$T/err"
# an expired session: the user is told what to run, and the portal is not asked
printf '{"accessToken": "%s", "expiresAt": "2020-01-01T00:00:00Z"}' "$SSO_TOKEN" >"$CACHE"
before=$(emu_count GetRoleCredentials)
run_cr 1 plan "$T/m" --profile dev
expect_in "$T/err" "IAM Identity Center session of profile 'dev' expired at 2020-01-01T00:00:00Z"
expect_in "$T/err" "run \`aws sso login --profile dev\`"
expect_not_in "$T/err" "hint:"
[ "$(emu_count GetRoleCredentials)" = "$before" ] || fail "the portal was asked with an expired token"

step "EC2 instance metadata (IMDSv2): the role's credentials; a request without the token is refused"
: >"$T/aws-config"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
    "$EMU_IMDS_URL/latest/meta-data/iam/security-credentials/")
[ "$code" = 401 ] || fail "IMDS answered a token-less request with $code"
unset AWS_EC2_METADATA_DISABLED
AWS_EC2_METADATA_SERVICE_ENDPOINT=$EMU_IMDS_URL run_cr 2 plan "$T/m" --debug --detailed-exitcode
expect_in "$T/err" "credentials=EC2 instance metadata (role cognito-identity-local)"
expect_in "$T/err" "debug: aws imds PUT /latest/api/token attempt=1 status=200"
no_secrets "$T/err"

step "an instance metadata service that never answers: one attempt, then no credentials"
emu_faults '[{"operation": "IMDSToken", "hang": 1, "hang_ms": 10000}]'
before=$(emu_count IMDSToken)
AWS_EC2_METADATA_SERVICE_ENDPOINT=$EMU_IMDS_URL run_cr 1 plan "$T/m"
expect_in "$T/err" "no AWS credentials: tried environment variables"
expect_in "$T/err" "EC2 instance metadata ($EMU_IMDS_URL: imds PUT /latest/api/token: "
[ "$(emu_count IMDSToken)" = $((before + 1)) ] || fail "IMDS was asked again after a timeout"
emu_faults '[]'
export AWS_EC2_METADATA_DISABLED=true

step "ECS container credentials with an authorization token file"
export AWS_CONTAINER_CREDENTIALS_FULL_URI=$EMU_URL/v2/credentials/task-1
export AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=$T/ecs-token
run_cr 2 plan "$T/m" --debug --detailed-exitcode
expect_in "$T/err" "credentials=container credentials ($EMU_URL/v2/credentials/task-1)"
no_secrets "$T/err"
printf 'not-the-token\n' >"$T/ecs-token"
run_cr 1 plan "$T/m"
expect_in "$T/err" "container credentials: HTTP 401"
expect_not_in "$T/err" "hint:"
unset AWS_CONTAINER_CREDENTIALS_FULL_URI AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE

step "a 1,000-pool apply whose credentials (2 s) expire on the way completes"
cat >"$T/aws-config" <<EOF
[profile short]
region = us-east-1
role_arn = arn:aws:iam::333344445555:role/short
source_profile = keys
duration_seconds = 2
EOF
cat >"$T/aws-credentials" <<EOF
[keys]
aws_access_key_id = $TEST_KEY
aws_secret_access_key = $TEST_SECRET
EOF
mkdir -p "$T/many"
for i in $(seq 1 1000); do
    printf -- '---\napiVersion: cognito-reconcile/v1\nkind: IdentityPool\nmetadata:\n  name: p%04d\nspec:\n  identityPoolName: P%04d\n  allowUnauthenticatedIdentities: false\n' "$i" "$i"
done >"$T/many/pools.yaml"
# 12 ms per create, 4 at a time: the 1,000 creates take at least 3 s, longer than the
# credentials live, however fast the machine
emu_faults '[{"operation": "CreateIdentityPool", "latency_ms": 12}]'
before=$(emu_count AssumeRole)
run_cr 0 apply "$T/many" --profile short --auto-approve --parallelism 4 --rate-limit '*=unlimited'
emu_faults '[]'
[ "$(pools_in 333344445555)" = 1000 ] || fail "$(pools_in 333344445555) of 1000 pools created"
assumed=$(($(emu_count AssumeRole) - before))
[ "$assumed" -ge 2 ] || fail "the credentials were assumed $assumed time(s): never renewed"
echo "   AssumeRole calls during the apply: $assumed"

step "a source we do not support is named with its workaround, and no other hint"
cat >"$T/aws-config" <<EOF
[profile console]
region = us-east-1
login_session = arn:aws:iam::111122223333:user/alice
[profile mfa]
region = us-east-1
role_arn = $ROLE
source_profile = keys
mfa_serial = arn:aws:iam::111122223333:mfa/alice
EOF
cat >"$T/aws-credentials" <<EOF
[keys]
aws_access_key_id = $TEST_KEY
aws_secret_access_key = $TEST_SECRET
EOF
before=$(emu_count AssumeRole)
run_cr 1 plan "$T/m" --profile console
expect_in "$T/err" "error: profile 'console' gets its credentials from login_session (\`aws login\`), which cognito-reconcile does not support: run \`aws configure export-credentials --profile console --format env\`"
expect_not_in "$T/err" "hint:"
run_cr 1 plan "$T/m" --profile mfa
expect_in "$T/err" "error: profile 'mfa' assumes its role with an MFA code (mfa_serial), which cognito-reconcile does not prompt for: run \`aws configure export-credentials --profile mfa --format env\`"
expect_not_in "$T/err" "hint:"
[ "$(wc -l <"$T/err")" = 1 ] || fail "more than the one error line"
[ "$(emu_count AssumeRole)" = "$before" ] || fail "a role was assumed for an MFA profile"

step "sts_regional_endpoints = legacy: the global STS endpoint (seen through a proxy on a closed loopback port)"
cat >"$T/aws-config" <<EOF
[profile legacy]
region = eu-west-1
sts_regional_endpoints = legacy
role_arn = $ROLE
source_profile = keys
EOF
(
    unset AWS_ENDPOINT_URL_STS
    export HTTPS_PROXY=http://127.0.0.1:1
    run_cr 1 plan "$T/m" --profile legacy
)
expect_in "$T/err" "sts AssumeRole https://sts.amazonaws.com: "
expect_in "$T/err" "through the proxy http://127.0.0.1:1 from HTTPS_PROXY"

step "an unknown region is refused before any call, with a suggestion; --region-check=off lets it through"
export AWS_ACCESS_KEY_ID=$TEST_KEY AWS_SECRET_ACCESS_KEY=$TEST_SECRET
: >"$T/aws-config"
: >"$T/aws-credentials"
mark=$(log_mark)
run_cr 1 plan "$T/m" --region us-esat-1
expect_in "$T/err" "--region: unknown region 'us-esat-1' (did you mean 'us-east-1'?)"
[ -z "$(ops_since "$mark" all)" ] || fail "calls were made for an unknown region"
run_cr 2 plan "$T/m" --region us-east-7 --region-check=off --detailed-exitcode
# a manifest's metadata.region: the file and the pool are named, nothing is called
mkdir -p "$T/mr"
printf 'apiVersion: cognito-reconcile/v1\nkind: IdentityPool\nmetadata:\n  name: typo\n  region: eu-wset-1\nspec:\n  identityPoolName: Typo\n  allowUnauthenticatedIdentities: false\n' \
    >"$T/mr/typo.yaml"
mark=$(log_mark)
run_cr 1 plan "$T/mr"
expect_in "$T/err" "$T/mr/typo.yaml"
expect_in "$T/err" "pool 'typo': metadata.region: unknown region 'eu-wset-1' (did you mean 'eu-west-1'?)"
[ -z "$(ops_since "$mark" all)" ] || fail "calls were made for an unknown metadata.region"
run_cr 2 plan "$T/mr" --region-check=off --detailed-exitcode
# the region of an --id
run_cr 1 export --id us-esat-1:11111111-2222-3333-4444-555555555555
expect_in "$T/err" "--id us-esat-1:11111111-2222-3333-4444-555555555555: unknown region 'us-esat-1' (did you mean 'us-east-1'?)"
# the profile's region, named with the profile, once a pool needs it
printf '[default]\nregion = us-wset-2\n' >"$T/aws-config"
(
    unset AWS_REGION
    run_cr 1 plan "$T/m"
)
expect_in "$T/err" "'region' of profile 'default' in $T/aws-config: unknown region"
expect_in "$T/err" "unknown region 'us-wset-2' (did you mean 'us-west-2'?)"

echo "PASS: credential sources through the CLI"
