#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Conformance: the request-rate quotas of cognito-identity-local as real clients see them. Over
# the quota the emulator answers TooManyRequestsException "Rate exceeded" (HTTP 400), which the
# AWS CLI v2, boto3 and the JS SDK v3 report as that error when they may not retry, and retry
# (as throttling) when they may. Deterministic: the quota is so low (one call per 60 s) that a
# client is throttled for sure; once the log shows its throttled attempt, the test lifts the
# quota (POST /_local/quotas) and the client's next retry must succeed.
. "$(dirname "$0")/lib.sh"

REGION=us-east-1
TIGHT='{"quota":["DescribeIdentityPool=0.0167:1"]}'
[ -x "$AWS_BIN" ] || die "$AWS_BIN not found (Debian package awscli; scripts/deps.sh installs it)"
conf_clean_aws_env
emu_start --region "$REGION" --quota 'DescribeIdentityPool=0.0167:1'

api_run "create a pool (CreateIdentityPool has no quota here)" CreateIdentityPool \
  '{"IdentityPoolName":"quota","AllowUnauthenticatedIdentities":false}'
expect_status 200
ID=$(jget d.IdentityPoolId) || die "CreateIdentityPool returned no id"

# quotas JSON: replaces what the emulator enforces (every bucket starts full).
quotas() {
  curl -sf --max-time 10 -X POST -H 'Content-Type: application/json' --data "$1" \
    "$EMU_URL/_local/quotas" >/dev/null || die "POST /_local/quotas $1 failed"
}
# count_log FILTER: log entries of DescribeIdentityPool matching a python expression over e.
count_log() {
  curl -sf --max-time 10 "$EMU_URL/_local/requests" | python3 -c '
import json, sys
print(sum(1 for e in json.load(sys.stdin)["requests"]
          if e["operation"] == "DescribeIdentityPool" and eval(sys.argv[1])))' "$1"
}
# lift_after_throttle BEFORE: waits (20 s at most) until a throttled DescribeIdentityPool
# follows log count BEFORE, then lifts the quota so the client's retry is served.
lift_after_throttle() {
  local i
  for i in $(seq 1 200); do
    [ "$(count_log 'e.get("throttled")')" -gt "$1" ] && { quotas '{}'; return 0; }
    sleep 0.1
  done
  quotas '{}'
  return 1
}

# retried NAME CMD...: runs CMD (a client allowed 10 attempts) in the background, lifts the
# quota once the log shows its throttled attempt, and makes its result the last command.
retried() {
  local name=$1 before pid
  shift
  before=$(count_log 'e.get("throttled")')
  ( "$@" >"$TMP/bg.out" 2>"$TMP/bg.err"; echo $? >"$TMP/bg.rc" ) &
  pid=$!
  lift_after_throttle "$before" || fail "$name: a throttled attempt within 20 s"
  wait "$pid"
  T_NAME=$name
  LAST_CMD=$(printf '%q ' "$@")
  LAST_RC=$(cat "$TMP/bg.rc")
  cp "$TMP/bg.out" "$OUT"
  cp "$TMP/bg.err" "$ERR"
}
# expect_served: the last command printed "served <pool id> <retries>" with retries >= 1.
expect_served() {
  local word got retries
  if read -r word got retries <"$OUT" && [ "$word" = served ] && [ "$got" = "$ID" ] &&
    [ "$retries" -ge 1 ]; then pass "$T_NAME: served after $retries retries"; else
    fail "$T_NAME: served after retries" "expected 'served $ID N' with N >= 1"; fi
}
# expect_throttle_error: the last command printed the error as the SDK saw it.
expect_throttle_error() {
  if [ "$(cat "$OUT")" = "error TooManyRequestsException Rate exceeded 400" ]; then
    pass "$T_NAME: the error"; else
    fail "$T_NAME: the error" "expected 'error TooManyRequestsException Rate exceeded 400'"; fi
}

# ---------------------------------------------------------------- the answer itself
api_run "DescribeIdentityPool takes the bucket's one token" DescribeIdentityPool \
  "{\"IdentityPoolId\":\"$ID\"}"
expect_status 200
api_run "the next one is over the quota" DescribeIdentityPool "{\"IdentityPoolId\":\"$ID\"}"
expect_status 400
expect_json d '{"__type":"TooManyRequestsException","message":"Rate exceeded"}'
run "the log marks it throttled" count_log 'e.get("throttled") and e["status"] == 400'
if [ "$(cat "$OUT")" = 1 ]; then pass "$T_NAME"; else fail "$T_NAME" "expected 1 throttled entry"; fi

# ---------------------------------------------------------------- AWS CLI v2
aws_cmd cognito-identity describe-identity-pool --identity-pool-id "$ID"
run "aws, no retries (AWS_MAX_ATTEMPTS=1)" env AWS_MAX_ATTEMPTS=1 AWS_RETRY_MODE=standard \
  "${AWS_CMD[@]}"
expect_rc 254 "a service error"
expect_stderr "(TooManyRequestsException)"
expect_stderr "Rate exceeded"

aws_cmd cognito-identity describe-identity-pool --identity-pool-id "$ID"
retried "aws retries a throttled call (standard mode)" \
  env AWS_MAX_ATTEMPTS=10 AWS_RETRY_MODE=standard "${AWS_CMD[@]}"
expect_rc 0
expect_json d.IdentityPoolId "\"$ID\""

# ---------------------------------------------------------------- boto3 (Debian's python3-boto3)
cat >"$TMP/boto3_quota.py" <<'PY'
import sys, boto3, botocore.config, botocore.exceptions
url, pool, attempts = sys.argv[1], sys.argv[2], int(sys.argv[3])
c = boto3.client("cognito-identity", endpoint_url=url, region_name="us-east-1",
                 config=botocore.config.Config(retries={"mode": "standard",
                                                        "max_attempts": attempts}))
try:
    r = c.describe_identity_pool(IdentityPoolId=pool)
    print("served", r["IdentityPoolId"], r["ResponseMetadata"]["RetryAttempts"])
except botocore.exceptions.ClientError as e:
    print("error", e.response["Error"]["Code"], e.response["Error"]["Message"],
          e.response["ResponseMetadata"]["HTTPStatusCode"])
PY
quotas "$TIGHT"
api_run "boto3 set-up: take the token" DescribeIdentityPool "{\"IdentityPoolId\":\"$ID\"}"
run "boto3, no retries" /usr/bin/python3 "$TMP/boto3_quota.py" "$EMU_URL" "$ID" 1
expect_rc 0
expect_throttle_error
retried "boto3 retries a throttled call" /usr/bin/python3 "$TMP/boto3_quota.py" "$EMU_URL" "$ID" 10
expect_rc 0
expect_served

# ---------------------------------------------------------------- JS SDK v3
if command -v node >/dev/null && [ -d "$CONF_SRC_DIR/tests/node_modules/@aws-sdk/client-cognito-identity" ]; then
  cat >"$TMP/v3_quota.mjs" <<'JS'
import { createRequire } from "node:module";
const require = createRequire(process.env.CR_NODE_MODULES + "/");
const { CognitoIdentityClient, DescribeIdentityPoolCommand } =
  require("@aws-sdk/client-cognito-identity");
const [url, pool, attempts] = process.argv.slice(2);
const c = new CognitoIdentityClient({ endpoint: url, region: "us-east-1",
  maxAttempts: Number(attempts), retryMode: "standard" });
try {
  const r = await c.send(new DescribeIdentityPoolCommand({ IdentityPoolId: pool }));
  console.log("served", r.IdentityPoolId, r.$metadata.attempts - 1);
} catch (e) {
  console.log("error", e.name, e.message, e.$metadata.httpStatusCode);
}
JS
  export CR_NODE_MODULES="$CONF_SRC_DIR/tests/node_modules"
  quotas "$TIGHT"
  api_run "JS v3 set-up: take the token" DescribeIdentityPool "{\"IdentityPoolId\":\"$ID\"}"
  run "JS SDK v3, no retries" node "$TMP/v3_quota.mjs" "$EMU_URL" "$ID" 1
  expect_rc 0
  expect_throttle_error
  retried "JS SDK v3 retries a throttled call" node "$TMP/v3_quota.mjs" "$EMU_URL" "$ID" 10
  expect_rc 0
  expect_served
else
  fail "JS SDK v3" "node or tests/node_modules/@aws-sdk/client-cognito-identity missing (scripts/npm-deps.sh)"
fi

finish
