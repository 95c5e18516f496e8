# SPDX-License-Identifier: Apache-2.0
# Shared by the CLI / end-to-end shell tests (tests/integration/test_cli*.sh, test_e2e*.sh).
# Source it; it starts nothing by itself. Every test:
#   . "$CR_SOURCE_DIR/tests/integration/cli_lib.sh"
#   cli_setup                 # temp dir, fake credentials, an emulator on a free port
#   run_cr 2 plan "$M" --detailed-exitcode      # expected exit status, then the arguments
#   mark=$(log_mark); ...; writes_since "$mark"  # the emulator's request log
# Nothing here talks to real AWS: every command gets --endpoint-url, and the AWS CLI too.

set -euo pipefail

: "${CR_SOURCE_DIR:?run under ctest (CR_SOURCE_DIR unset)}"
: "${CR_BIN_DIR:?run under ctest (CR_BIN_DIR unset)}"
. "$CR_SOURCE_DIR/tests/support/emulator.sh"

CR="$CR_BIN_DIR/cognito-reconcile"
AWS_CLI=${AWS_CLI:-/usr/bin/aws}
# The system interpreter starts in a tenth of the time of a pyenv shim; tests call it often.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
T=""
STEP=""
TEST_KEY=AKIDCLITEST000000001
TEST_SECRET=cli/test/secret/Key/0123456789abcdefghijk
WRITE_OPS="CreateIdentityPool UpdateIdentityPool DeleteIdentityPool SetIdentityPoolRoles SetPrincipalTagAttributeMap TagResource UntagResource"

fail() {
    printf 'FAIL%s: %s\n' "${STEP:+ [$STEP]}" "$*" >&2
    if [ -n "$T" ] && [ -f "$T/out" ]; then
        printf -- '--- last stdout ---\n' >&2; head -c 6000 "$T/out" >&2 || true
        printf -- '--- last stderr ---\n' >&2; head -c 6000 "$T/err" >&2 || true
    fi
    exit 1
}

CLI_T0=$(date +%s%N)
step() {
    STEP="$*"
    printf '== [%5.1f s] %s\n' "$(( ($(date +%s%N) - CLI_T0) / 1000000 ))e-3" "$*"
}

cli_cleanup() {
    emu_stop || true
    [ -n "$T" ] && rm -rf "$T"
    return 0
}

# cli_setup [--sigv4] [emulator args...]: temp dir, fake credentials (env, and empty AWS
# config files so the developer's ~/.aws is never read), an emulator. With --sigv4 the
# emulator verifies every signature against the test keys (then only signed clients, our tool
# and the AWS CLI, can call it; the unsigned inspection helpers below need it off).
cli_setup() {
    local sigv4=0
    if [ "${1:-}" = --sigv4 ]; then
        sigv4=1
        shift
    fi
    [ -x "$CR" ] || fail "$CR not built"
    T=$(mktemp -d "${TMPDIR:-/tmp}/cr-cli-test.XXXXXX")
    trap cli_cleanup EXIT
    unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_ROLE_ARN \
        AWS_WEB_IDENTITY_TOKEN_FILE AWS_ENDPOINT_URL AWS_ENDPOINT_URL_COGNITO_IDENTITY \
        AWS_ENDPOINT_URL_STS AWS_DEFAULT_REGION
    export AWS_ACCESS_KEY_ID=$TEST_KEY AWS_SECRET_ACCESS_KEY=$TEST_SECRET AWS_REGION=us-east-1
    : >"$T/aws-config"
    : >"$T/aws-credentials"
    export AWS_CONFIG_FILE="$T/aws-config" AWS_SHARED_CREDENTIALS_FILE="$T/aws-credentials"
    export AWS_PAGER="" AWS_EC2_METADATA_DISABLED=true NO_COLOR=1
    printf '%s %s 123456789012\n' "$TEST_KEY" "$TEST_SECRET" >"$T/emu-credentials"
    if [ $sigv4 -eq 1 ]; then
        set -- --credentials "$T/emu-credentials" "$@"
    fi
    emu_start "$@" || fail "the emulator did not start"
    mkdir -p "$T/m"
}

# run_cr STATUS ARGS...: runs cognito-reconcile (with --endpoint-url for every verb but
# validate), stdout in $T/out, stderr in $T/err; fails the test on another exit status.
run_cr() {
    local want=$1 rc=0
    shift
    local extra=()
    case "${1:-}" in
        plan | apply | drift | export) extra=(--endpoint-url "$EMU_URL") ;;
    esac
    "$CR" "$1" "${extra[@]}" "${@:2}" >"$T/out" 2>"$T/err" </dev/null || rc=$?
    [ "$rc" -eq "$want" ] || fail "'cognito-reconcile $*' exited $rc, expected $want"
}

# Like run_cr without --endpoint-url (tests of option handling).
run_cr_raw() {
    local want=$1 rc=0
    shift
    "$CR" "$@" >"$T/out" 2>"$T/err" </dev/null || rc=$?
    [ "$rc" -eq "$want" ] || fail "'cognito-reconcile $*' exited $rc, expected $want"
}

# pool_yaml NAME: a minimal valid manifest (us-east-1) on stdout.
pool_yaml() {
    printf 'apiVersion: cognito-reconcile/v1\nkind: IdentityPool\nmetadata:\n  name: %s\n  region: us-east-1\nspec:\n  identityPoolName: %s\n  allowUnauthenticatedIdentities: false\n' "$1" "$1"
}

# wait_said WHAT FILE TEXT: waits until FILE (a background run's output) contains TEXT,
# polling every 50 ms for 20 s at most.
wait_said() {
    local i=0
    until grep -qF -- "$3" "$2" 2>/dev/null; do
        i=$((i + 1))
        [ $i -lt 400 ] || fail "timed out waiting for $1"
        sleep 0.05
    done
}

# expect_in FILE TEXT: FILE ($T/out or $T/err) contains TEXT (fixed string).
expect_in() {
    grep -qF -- "$2" "$1" || fail "expected '$2' in $(basename "$1")"
}
expect_not_in() {
    if grep -qF -- "$2" "$1"; then fail "did not expect '$2' in $(basename "$1")"; fi
}

# The AWS CLI against the emulator (signed with the test keys).
aws_cli() {
    "$AWS_CLI" --endpoint-url "$EMU_URL" --region us-east-1 --output json "$@"
}

# log_mark: the current last sequence number of the emulator's request log. (sed/grep, not
# Python: these run several times per step, and the log's JSON is flat and compact.)
log_mark() {
    emu_requests 999999999 | sed -n 's/.*"last_seq":\([0-9]*\).*/\1/p'
}

# ops_since MARK [all|writes]: "Operation" per line, in log order, since MARK.
ops_since() {
    local ops
    ops=$(emu_requests "$1" | grep -o '"operation":"[A-Za-z]*"' | cut -d'"' -f4) || true
    if [ "${2:-writes}" = all ]; then
        [ -z "$ops" ] || printf '%s\n' "$ops"
        return 0
    fi
    printf '%s\n' "$ops" | grep -xE "$(echo $WRITE_OPS | tr ' ' '|')" || true
}

# writes_since MARK: number of write calls since MARK.
writes_since() {
    ops_since "$1" writes | wc -l | tr -d ' '
}

# expect_writes MARK "Op Op ..." : the write calls since MARK are exactly these (as a multiset,
# order-insensitive; "" for none).
expect_writes() {
    local got want
    got=$(ops_since "$1" writes | sort | tr '\n' ' ' | sed 's/ $//')
    want=$(printf '%s\n' $2 | sed '/^$/d' | sort | tr '\n' ' ' | sed 's/ $//')
    [ "$got" = "$want" ] || fail "write calls since $1: got [$got], expected [$want]"
}

# plan_ops FILE: the API operations of a saved or JSON-rendered plan, one per line.
plan_ops() {
    "$PY" -S -c '
import json, sys
for op in json.load(open(sys.argv[1]))["operations"]:
    print(op["operation"])' "$1"
}

# The pool ids (us-east-1, oldest first) of the emulator whose cognito-reconcile:name tag is
# NAME (and optional stack). One read of the emulator's state document (GET /_local/state)
# instead of a list and a describe per pool; python -S skips site-packages (a third of its
# start-up, and these helpers run dozens of times per test).
pool_id_of() {
    local name=$1 stack=${2:-default}
    curl -s --max-time 30 "$EMU_URL/_local/state" >"$T/state.json" || fail "GET /_local/state failed"
    "$PY" -S - "$name" "$stack" "$T/state.json" <<'EOF'
import json, sys
name, stack, path = sys.argv[1:4]
found = []
for key, part in json.load(open(path)).get("partitions", {}).items():
    if not key.endswith("/us-east-1"):
        continue
    for pid, p in part.get("pools", {}).items():
        tags = p.get("tags", {})
        if tags.get("cognito-reconcile:name") == name and tags.get("cognito-reconcile:stack") == stack:
            found.append((p.get("seq", 0), pid))
for _, pid in sorted(found):
    print(pid)
EOF
}

# emu_json OP BODY FILE: one unsigned call (emulator without --sigv4), the response in FILE.
emu_json() {
    emu_call "$1" "$2" >"$3" || fail "$1 $2 failed: $(cat "$3")"
}

# describe ID FILE: DescribeIdentityPool of ID into FILE (unsigned).
describe() {
    emu_json DescribeIdentityPool "{\"IdentityPoolId\":\"$1\"}" "$2"
}

# json_get FILE PYEXPR: evaluates PYEXPR with `d` bound to the JSON in FILE; prints the result.
json_get() {
    "$PY" -S -c '
import json, sys
d = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(json.dumps(v, sort_keys=True) if not isinstance(v, str) else v)' "$1" "$2"
}
