# SPDX-License-Identifier: Apache-2.0
# Shared helpers for the conformance tests (sourced, not run). Each test script:
#   . "$(dirname "$0")/lib.sh"
#   emu_start [emulator flags...]      # sets EMU_URL, EMU_PID; stopped by PID on exit
#   aws_run NAME cognito-identity ...  # runs /usr/bin/aws against $EMU_URL, records rc/out/err
#   expect_rc 0; expect_json 'd.IdentityPoolName' '"x"'; expect_stderr 'text' ...
#   finish                             # prints "N passed, M failed", exit status 0/1
# Every check prints "ok - NAME" or "not ok - NAME" followed by the command, its exit code,
# stdout and stderr, so a failure in CI explains itself.
#
# Environment: CR_BIN_DIR (folder with cognito-identity-local; set by ctest), CR_SOURCE_DIR.

set -uo pipefail

CONF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CONF_SRC_DIR=${CR_SOURCE_DIR:-$(cd "$CONF_DIR/../.." && pwd)}
CONF_BIN_DIR=${CR_BIN_DIR:-$CONF_SRC_DIR/build/cmd}
EMU_BIN=${EMU_BIN:-$CONF_BIN_DIR/cognito-identity-local}
# Always Debian's AWS CLI v2: another `aws` (pip, pyenv shim) may come first on PATH.
AWS_BIN=${CONF_AWS_BIN:-/usr/bin/aws}
JCHECK=(node "$CONF_DIR/jcheck.js")
# Bounded waits: the emulator must print its URL within this many seconds.
EMU_START_TIMEOUT=${EMU_START_TIMEOUT:-10}

T_PASS=0
T_FAIL=0
T_NAME=""
LAST_CMD=""
LAST_RC=0
EMU_URL=""
EMU_PID=""
EMU_PIDS=()
EMU_ERRS=()
TMP=$(mktemp -d "${TMPDIR:-/tmp}/cr-conformance.XXXXXX")
OUT=$TMP/last.out
ERR=$TMP/last.err
: >"$OUT"
: >"$ERR"

conf_cleanup() {
  local pid
  # CLI calls still running after a fatal error (each is bounded by its own timeouts anyway).
  for pid in "${BG_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${EMU_PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null
      # Bounded: 5 s for a clean exit, then SIGKILL.
      local i
      for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
  done
  rm -rf "$TMP"
}
trap conf_cleanup EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM

# A clean AWS environment: explicit keys, no developer config, no proxies, no metadata service.
conf_clean_aws_env() {
  local v
  for v in AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_ROLE_ARN \
    AWS_ROLE_SESSION_NAME AWS_WEB_IDENTITY_TOKEN_FILE AWS_ENDPOINT_URL \
    AWS_ENDPOINT_URL_COGNITO_IDENTITY AWS_ENDPOINT_URL_STS AWS_DEFAULT_REGION AWS_REGION \
    AWS_CA_BUNDLE AWS_SDK_LOAD_CONFIG AWS_DEFAULT_OUTPUT AWS_CLI_AUTO_PROMPT AWS_MAX_ATTEMPTS \
    AWS_RETRY_MODE AWS_STS_REGIONAL_ENDPOINTS AWS_USE_FIPS_ENDPOINT AWS_USE_DUALSTACK_ENDPOINT \
    AWS_IGNORE_CONFIGURED_ENDPOINT_URLS http_proxy https_proxy HTTP_PROXY HTTPS_PROXY \
    ALL_PROXY all_proxy; do
    unset "$v"
  done
  : >"$TMP/aws-config"
  : >"$TMP/aws-credentials"
  export AWS_CONFIG_FILE=$TMP/aws-config
  export AWS_SHARED_CREDENTIALS_FILE=$TMP/aws-credentials
  export AWS_EC2_METADATA_DISABLED=true
  export AWS_PAGER=""
  export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
  export AWS_ACCESS_KEY_ID=${1:-AKIDCONFORMANCEANY01}
  export AWS_SECRET_ACCESS_KEY=${2:-any-secret-is-fine-without-verification}
}

# Prints the failure details of the last command to stdout (ctest shows it).
conf_dump_last() {
  echo "    command: $LAST_CMD"
  echo "    exit code: $LAST_RC"
  echo "    stdout:"
  head -c 4000 "$OUT" | sed 's/^/      /'
  echo "    stderr:"
  head -c 4000 "$ERR" | sed 's/^/      /'
}

pass() {
  T_PASS=$((T_PASS + 1))
  echo "ok $((T_PASS + T_FAIL)) - $1"
}

# fail NAME [WHY]: records a failure and prints why plus the last command's output.
fail() {
  T_FAIL=$((T_FAIL + 1))
  echo "not ok $((T_PASS + T_FAIL)) - $1"
  [ -n "${2:-}" ] && printf '    %s\n' "$2"
  conf_dump_last
}

# die WHY: a set-up step failed, nothing after it can run.
die() {
  echo "FATAL: $*"
  conf_dump_last
  T_FAIL=$((T_FAIL + 1))
  echo "$T_PASS passed, $T_FAIL failed"
  exit 1
}

# emu_stop_checked PID ERRFILE: SIGTERM, bounded wait; a clean exit is status 0 with no
# sanitizer report on stderr (the suite also runs against an ASan+UBSan build).
emu_stop_checked() {
  local pid=$1 errfile=$2 i rc
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
  kill -TERM "$pid" 2>/dev/null
  for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  rc=$?
  LAST_CMD="kill -TERM $pid (cognito-identity-local)"
  LAST_RC=$rc
  : >"$OUT"
  tail -c 4000 "$errfile" >"$ERR" 2>/dev/null
  if [ "$rc" -ne 0 ] || grep -qE 'Sanitizer|runtime error:' "$errfile" 2>/dev/null; then
    fail "emulator pid $pid stops cleanly on SIGTERM" "exit status $rc or a sanitizer report"
  else
    pass "emulator pid $pid stops cleanly on SIGTERM"
  fi
}

finish() {
  local i
  for i in "${!EMU_PIDS[@]}"; do
    emu_stop_checked "${EMU_PIDS[$i]}" "${EMU_ERRS[$i]}"
  done
  echo "$T_PASS passed, $T_FAIL failed"
  [ "$T_FAIL" -eq 0 ]
  exit $?
}

# run NAME CMD...: runs a command, stdout/stderr to $OUT/$ERR, exit code in $LAST_RC.
run() {
  T_NAME=$1
  shift
  LAST_CMD=$(printf '%q ' "$@")
  "$@" >"$OUT" 2>"$ERR"
  LAST_RC=$?
  return 0
}

# aws_run NAME ARGS...: the AWS CLI against the current emulator (bounded: 5 s to connect,
# 20 s to read).
aws_cmd() {
  AWS_CMD=("$AWS_BIN" --endpoint-url "$EMU_URL" --region us-east-1 --no-cli-pager
    --cli-connect-timeout 5 --cli-read-timeout 20 --output json "$@")
}
aws_run() {
  local name=$1
  shift
  aws_cmd "$@"
  run "$name" "${AWS_CMD[@]}"
}

# aws_bg KEY NAME ARGS...: like aws_run, but in the background (CLI start-up is ~1 s of CPU, so
# independent calls run side by side); aws_wait KEY makes its result the last command.
declare -A BG_PIDS=()
aws_bg() {
  local key=$1 name=$2
  shift 2
  local base=$TMP/bg.$key
  printf '%s' "$name" >"$base.name"
  aws_cmd "$@"
  printf '%q ' "${AWS_CMD[@]}" >"$base.cmd"
  (
    "${AWS_CMD[@]}" >"$base.out" 2>"$base.err"
    echo $? >"$base.rc"
  ) &
  BG_PIDS[$key]=$!
}

aws_wait() {
  local base=$TMP/bg.$1
  wait "${BG_PIDS[$1]}"
  T_NAME=$(cat "$base.name")
  LAST_CMD=$(cat "$base.cmd")
  cp "$base.out" "$OUT"
  cp "$base.err" "$ERR"
  LAST_RC=$(cat "$base.rc" 2>/dev/null || echo 255)
}

# expect_rc CODE [WHAT]: the last command exited with CODE.
expect_rc() {
  local what="$T_NAME: exit code $1${2:+ ($2)}"
  if [ "$LAST_RC" -eq "$1" ]; then pass "$what"; else fail "$what" "expected exit $1, got $LAST_RC"; fi
}

# expect_json EXPR EXPECTED_JSON [WHAT]: EXPR over the last stdout deep-equals EXPECTED_JSON.
expect_json() {
  local what="$T_NAME: $1 == ${3:-$2}" why
  if why=$("${JCHECK[@]}" eq "$OUT" "$1" "$2" 2>&1); then pass "$what"; else fail "$what" "$why"; fi
}

# expect_true EXPR [WHAT]: EXPR over the last stdout is truthy.
expect_true() {
  local what="$T_NAME: ${2:-$1}" why
  if why=$("${JCHECK[@]}" ok "$OUT" "$1" 2>&1); then pass "$what"; else fail "$what" "$why"; fi
}

# expect_stdout_empty: nothing (or only whitespace) on stdout.
expect_stdout_empty() {
  if [ -z "$(tr -d ' \n\r\t' <"$OUT")" ]; then pass "$T_NAME: empty stdout"; else
    fail "$T_NAME: empty stdout" "expected no output"; fi
}

# expect_stderr TEXT: stderr contains TEXT literally.
expect_stderr() {
  if grep -qF -- "$1" "$ERR"; then pass "$T_NAME: stderr has \"$1\""; else
    fail "$T_NAME: stderr has \"$1\"" "text not found on stderr"; fi
}

# jget EXPR: prints EXPR over the last stdout (empty and status 1 when absent).
jget() {
  "${JCHECK[@]}" get "$OUT" "$1"
}

# emu_write_credentials FILE ACCESS_KEY SECRET [ACCOUNT]: a --credentials file for the
# emulator (format: docs/emulator.md).
emu_write_credentials() {
  local file=$1 akid=$2 secret=$3
  printf '%s %s\n' "$akid" "$secret" >"$file"
}

# emu_start [FLAGS...]: starts cognito-identity-local --port 0 FLAGS, waits (bounded) for the
# URL on its first stdout line; sets EMU_URL and EMU_PID. Stopped by PID at exit.
emu_start() {
  [ -x "$EMU_BIN" ] || die "emulator not built: $EMU_BIN (build target cognito-identity-local;" \
    "ctest sets CR_BIN_DIR)"
  local n=${#EMU_PIDS[@]}
  local out=$TMP/emu$n.out err=$TMP/emu$n.err
  "$EMU_BIN" --port 0 "$@" >"$out" 2>"$err" &
  EMU_PID=$!
  EMU_PIDS+=("$EMU_PID")
  EMU_ERRS+=("$err")
  LAST_CMD="$EMU_BIN --port 0 $*"
  local i line=""
  for i in $(seq 1 $((EMU_START_TIMEOUT * 20))); do
    line=$(head -n 1 "$out" 2>/dev/null)
    case "$line" in http://127.0.0.1:*) break ;; esac
    line=""
    kill -0 "$EMU_PID" 2>/dev/null || break
    sleep 0.05
  done
  if [ -z "$line" ]; then
    cp "$out" "$OUT"
    cp "$err" "$ERR"
    LAST_RC=$(kill -0 "$EMU_PID" 2>/dev/null && echo "(still running)" || echo "(exited)")
    die "emulator did not print its URL within ${EMU_START_TIMEOUT}s"
  fi
  EMU_URL=$line
  echo "# emulator pid $EMU_PID at $EMU_URL ($*)"
}

# emu_token ISSUER [CLAIMS_JSON]: prints a web identity token of ISSUER signed by the current
# emulator's own test identity provider (POST /_local/token); it verifies even with
# --credentials (which makes the emulator verify web identity tokens).
emu_token() {
  curl -sf --max-time 10 -X POST -H 'Content-Type: application/json' \
    --data "{\"issuer\":\"$1\",\"claims\":${2:-{\}}}" "$EMU_URL/_local/token" |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).token))'
}

# emu_stop PID: stops one emulator now.
emu_stop() {
  kill "$1" 2>/dev/null
  wait "$1" 2>/dev/null
  return 0
}

# api_run NAME OP JSON: one cognito-identity call straight to the emulator with curl (for
# set-up and for reading state back where the CLI is not what is being tested). The body goes
# to $OUT, the HTTP status to $API_STATUS (and $LAST_RC, so failures print it).
api_run() {
  T_NAME=$1
  LAST_CMD="POST $EMU_URL/ X-Amz-Target: AWSCognitoIdentityService.$2 $3"
  API_STATUS=$(curl -sS --max-time 10 -o "$OUT" -w '%{http_code}' -X POST "$EMU_URL/" \
    -H 'Content-Type: application/x-amz-json-1.1' \
    -H "X-Amz-Target: AWSCognitoIdentityService.$2" \
    -H 'Authorization: AWS4-HMAC-SHA256 Credential=AKIDCONFORMANCEANY01/20260101/us-east-1/cognito-identity/aws4_request, SignedHeaders=host;x-amz-date, Signature=00' \
    -H 'X-Amz-Date: 20260101T000000Z' --data-binary "$3" 2>"$ERR")
  LAST_RC=$API_STATUS
}

# expect_status CODE: the last api_run answered with HTTP CODE.
expect_status() {
  if [ "$API_STATUS" = "$1" ]; then pass "$T_NAME: HTTP $1"; else
    fail "$T_NAME: HTTP $1" "got HTTP $API_STATUS"; fi
}

# need_node_modules: the SDK tests need tests/node_modules (scripts/npm-deps.sh installs it).
need_node_modules() {
  local d=$CONF_SRC_DIR/tests/node_modules
  local m
  for m in "$@"; do
    [ -d "$d/$m" ] || die "missing npm package $m in $d: run scripts/npm-deps.sh" \
      "(make test does it first)"
  done
}

# conf_run_node_tests FILE NPM_PACKAGE...: starts an emulator without and one with SigV4
# verification (both with the flags in the array CONF_EMU_FLAGS, if any), exports their URLs
# and keys (EMU_URL, EMU_URL_SIGNED, EMU_AKID, EMU_SECRET, EMU_ACCOUNT, EMU_REGION) and runs
# FILE with `node --test`; prints "N passed, M failed".
CONF_EMU_FLAGS=()
conf_run_node_tests() {
  local file=$1
  shift
  command -v node >/dev/null || die "node not found (Debian package nodejs)"
  need_node_modules "$@"
  conf_clean_aws_env
  export AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE=1
  export EMU_ACCOUNT=210987654321 EMU_REGION=us-east-1 EMU_BIN
  export EMU_AKID=AKIDCONFORMANCENODE1
  export EMU_SECRET='node/Secret+Key/0123456789abcdefghijklm'
  emu_start --region "$EMU_REGION" --account-id "$EMU_ACCOUNT" "${CONF_EMU_FLAGS[@]}"
  local open_url=$EMU_URL
  emu_write_credentials "$TMP/emu-credentials" "$EMU_AKID" "$EMU_SECRET"
  emu_start --region "$EMU_REGION" --account-id "$EMU_ACCOUNT" --credentials "$TMP/emu-credentials" \
    "${CONF_EMU_FLAGS[@]}"
  export EMU_URL_SIGNED=$EMU_URL
  export EMU_URL=$open_url
  # Bounded: the runner's own timeout per test file, and `timeout` around the whole run.
  timeout 120 node --test --test-timeout=60000 --test-reporter=spec \
    --test-reporter-destination=stdout --test-reporter=tap \
    --test-reporter-destination="$TMP/node.tap" "$CONF_DIR/$file"
  local rc=$?
  local passed failed
  passed=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$TMP/node.tap" | tail -n 1)
  failed=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$TMP/node.tap" | tail -n 1)
  T_PASS=${passed:-0}
  T_FAIL=${failed:-0}
  if [ "$rc" -ne 0 ] && [ "$T_FAIL" -eq 0 ]; then
    echo "node --test exited $rc"
    T_FAIL=1
  fi
  [ "$T_PASS" -gt 0 ] || { echo "no test ran"; T_FAIL=$((T_FAIL + 1)); }
  finish
}
