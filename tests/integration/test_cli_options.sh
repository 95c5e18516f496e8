#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The command line itself: options, help, exit codes, output formats, the confirmation rules
# of apply, --debug redaction. Uses the emulator only to prove that refusals make no call.
. "$CR_SOURCE_DIR/tests/integration/cli_lib.sh"
cli_setup --sigv4

app_manifest() { # app_manifest DISPLAY_NAME: the one pool these tests plan
    cat >"$T/m/app.yaml" <<EOF
apiVersion: cognito-reconcile/v1
kind: IdentityPool
metadata:
  name: app
spec:
  identityPoolName: $1
  allowUnauthenticatedIdentities: false
  tags: {team: web}
EOF
}
app_manifest App

step "top-level usage, version, unknown command"
run_cr_raw 0 --help
expect_in "$T/out" "plan"
expect_in "$T/out" "export"
run_cr_raw 0 --version
expect_in "$T/out" "cognito-reconcile"
run_cr_raw 1
run_cr_raw 1 plna
expect_in "$T/err" "unknown command 'plna' (did you mean 'plan'?)"
run_cr_raw 1 --region us-east-1 plan "$T/m"
expect_in "$T/err" "'--region' before the command: options go after it"

step "every verb has --help (exit 0) listing its options"
for verb in plan apply drift export; do
    run_cr_raw 0 "$verb" --help
    expect_in "$T/out" "usage: cognito-reconcile $verb"
    expect_in "$T/out" "--endpoint-url"
done
run_cr_raw 0 apply --help
expect_in "$T/out" "--auto-approve"
run_cr_raw 0 plan --help
expect_in "$T/out" "--detailed-exitcode"

step "unknown options: clear error, suggestion, exit 1, no API call"
mark=$(log_mark)
run_cr 1 plan "$T/m" --regoin us-east-1
expect_in "$T/err" "unknown option '--regoin'"
expect_in "$T/err" "did you mean '--region'"
run_cr 1 plan "$T/m" --frobnicate
expect_in "$T/err" "unknown option '--frobnicate'"
run_cr 1 plan "$T/m" --auto-approve
expect_in "$T/err" "does not apply to plan"
run_cr 1 drift "$T/m" --detailed-exitcode
expect_in "$T/err" "does not apply to drift"
run_cr 1 plan "$T/m" --output yaml
expect_in "$T/err" "unknown format 'yaml'"
run_cr 1 plan "$T/m" --output
run_cr 1 plan "$T/m" --output junit
expect_in "$T/err" "only for drift"
run_cr 1 plan "$T/m" --parallelism 0
expect_in "$T/err" "--parallelism"
run_cr 1 plan "$T/m" --parallelism 9x
run_cr 1 plan "$T/m" --prune=yes
expect_in "$T/err" "takes no value"
run_cr 1 plan "$T/m" --rate-limit TagResorce=2
expect_in "$T/err" "--rate-limit"
expect_in "$T/err" "TagResource"
run_cr 1 export "$T/m"
expect_in "$T/err" "export takes no PATH"
run_cr 1 export --all --id us-east-1:00000000-0000-0000-0000-000000000000
run_cr 1 plan "$T/does-not-exist"
expect_in "$T/err" "does-not-exist"
# the stack is the value of the tag cognito-reconcile:stack: at most 256 characters (a longer
# one made every CreateIdentityPool fail with a ValidationException, after the plan)
long_stack=$(printf 's%.0s' $(seq 257))
run_cr 1 apply "$T/m" --auto-approve --stack "$long_stack"
expect_in "$T/err" "--stack: the stack is the value of the tag cognito-reconcile:stack: Member must have length less than or equal to 256"
run_cr 1 export --stack "$long_stack"
printf 'stack: %s\n' "$long_stack" >"$T/long-stack.yaml" # from a config file: its position
run_cr 1 plan "$T/m" --config "$T/long-stack.yaml"
expect_in "$T/err" "long-stack.yaml:1:1: --stack: the stack is the value of the tag"
run_cr 1 validate "$T/m" --stack "$(printf '\xff')"
[ "$(ops_since "$mark" all | wc -l)" -eq 0 ] || fail "option errors caused API calls"

step "--opt=value and --opt value are the same; -- ends options"
run_cr 2 plan --detailed-exitcode --output=json --parallelism=4 --rate-limit='*=50' \
    --rate-limit DescribeIdentityPool=100:10 -- "$T/m"
"$PY" -S -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["format_version"]=="1", d' \
    "$T/out" || fail "plan --output json has no format_version"

step "apply without a terminal and without --auto-approve refuses before any call"
mark=$(log_mark)
run_cr 1 apply "$T/m"
expect_in "$T/err" "--auto-approve"
expect_in "$T/err" "not a terminal"
[ "$(ops_since "$mark" all | wc -l)" -eq 0 ] || fail "the refused apply made API calls"
step "a file that cannot be written is named, without advice about the network"
run_cr 1 export --all --out "$T/no-such-dir/adopted.yaml"
expect_in "$T/err" "$T/no-such-dir/adopted.yaml: cannot open for writing: No such file or directory"
expect_not_in "$T/err" "check the network"
run_cr 1 plan "$T/m" --out "$T/no-such-dir/plan.json"
expect_in "$T/err" "$T/no-such-dir/plan.json"
expect_not_in "$T/err" "check the network"

step "an endpoint that refuses connections: the failed call, the network hint, in seconds"
run_cr_raw 1 plan "$T/m" --endpoint-url http://127.0.0.1:1 --debug
expect_in "$T/err" "error: ListIdentityPools: "
expect_in "$T/err" "hint: check the network and the endpoint"
# How long that takes is what the retry policy decided, read from --debug rather than timed:
# a few attempts whose backoffs add up to seconds, not minutes.
attempts=$(grep -c '^debug: aws ListIdentityPools attempt=' "$T/err")
waited_ms=$(grep -o 'retry_in_ms=[0-9]*' "$T/err" | awk -F= '{ s += $2 } END { print s + 0 }')
[ "$attempts" -ge 2 ] && [ "$attempts" -le 5 ] || fail "a refused connection was tried $attempts times"
[ "$waited_ms" -lt 20000 ] || fail "a refused connection waited $waited_ms ms in backoffs"

step "a folder with no manifest is legal but warned about"
mkdir -p "$T/nothing"
run_cr 0 plan "$T/nothing" --detailed-exitcode
expect_in "$T/err" "warning: no manifest found in $T/nothing: nothing is managed"
run_cr 1 plan "$T/nothing" "$T/nothing" --prune
expect_in "$T/err" "--prune refused: no manifest was read from $T/nothing and the other paths"
run_cr 0 plan "$T/nothing" "$T/nothing" --prune --allow-empty-prune
expect_in "$T/err" "and the other paths: --prune plans to delete every pool of the stack"

step "credentials the service rejects: its error, and advice that does not say 'set them'"
AWS_SECRET_ACCESS_KEY=wrong/secret run_cr 1 plan "$T/m"
expect_in "$T/err" "error: ListIdentityPools: InvalidSignatureException"
expect_in "$T/err" "hint: the service rejected the credentials"
expect_not_in "$T/err" "set AWS_ACCESS_KEY_ID"

step "--prune without a PATH is refused before any call (it would prune from the current folder)"
mark=$(log_mark)
run_cr 1 apply --auto-approve --prune
expect_in "$T/err" "--prune needs an explicit PATH"
run_cr 1 plan --prune
expect_in "$T/err" "write . for the current folder"
[ "$(ops_since "$mark" all | wc -l)" -eq 0 ] || fail "the refused --prune made API calls"
(cd "$T/m" && "$CR" plan . --prune --endpoint-url "$EMU_URL" >/dev/null 2>&1) ||
    fail "plan . --prune (explicit current folder) failed"

# --output json shows the plan only with the outcome: no blind prompt.
run_cr 1 apply "$T/m" --output json
expect_in "$T/err" "apply --output json needs --auto-approve"
# A mistyped saved plan (or manifest folder) is named as missing, not blamed on the terminal.
run_cr 1 apply "$T/no-such-plan.json"
expect_in "$T/err" "path '$T/no-such-plan.json' does not exist (a saved plan is the file"
expect_not_in "$T/err" "not a terminal"

if command -v script >/dev/null 2>&1; then
    step "apply on a terminal asks, and anything but 'yes' cancels with no write"
    mark=$(log_mark)
    rc=0
    printf 'no\n' | script -qec "'$CR' apply '$T/m' --endpoint-url '$EMU_URL'" /dev/null \
        >"$T/tty.out" 2>&1 || rc=$?
    grep -qF "Only 'yes' will be accepted" "$T/tty.out" || fail "no prompt on a terminal: $(cat "$T/tty.out")"
    grep -qF "apply cancelled" "$T/tty.out" || fail "'no' did not cancel: $(cat "$T/tty.out")"
    [ "$rc" -eq 1 ] || fail "cancelled apply exited $rc"
    expect_writes "$mark" ""
    printf 'yes\n' | script -qec "'$CR' apply '$T/m' --endpoint-url '$EMU_URL' --no-color" \
        /dev/null >"$T/tty.out" 2>&1 || fail "'yes' apply failed: $(cat "$T/tty.out")"
    expect_writes "$mark" "CreateIdentityPool"
    run_cr 0 plan "$T/m" --detailed-exitcode

    step "text is coloured on a terminal, unless NO_COLOR or --no-color"
    sed -i 's/team: web/team: web2/' "$T/m/app.yaml"
    env -u NO_COLOR script -qec "'$CR' plan '$T/m' --endpoint-url '$EMU_URL'" /dev/null \
        </dev/null >"$T/tty.out" 2>&1 || fail "plan on a terminal failed: $(cat "$T/tty.out")"
    grep -q $'\033\[' "$T/tty.out" || fail "no colour on a terminal: $(cat "$T/tty.out")"
    env -u NO_COLOR script -qec "'$CR' plan '$T/m' --endpoint-url '$EMU_URL' --no-color" \
        /dev/null </dev/null >"$T/tty.out" 2>&1 || fail "plan --no-color failed"
    if grep -q $'\033\[' "$T/tty.out"; then fail "colour despite --no-color"; fi
    NO_COLOR=1 script -qec "'$CR' plan '$T/m' --endpoint-url '$EMU_URL'" /dev/null \
        </dev/null >"$T/tty.out" 2>&1 || fail "plan with NO_COLOR failed"
    if grep -q $'\033\[' "$T/tty.out"; then fail "colour despite NO_COLOR"; fi
    sed -i 's/team: web2/team: web/' "$T/m/app.yaml"
fi

step "output formats: text (no colour off a terminal), json, markdown"
app_manifest "App Renamed"
run_cr 0 plan "$T/m"
expect_in "$T/out" "App Renamed"
if grep -q $'\033\[' "$T/out"; then fail "colour codes written to a file"; fi
run_cr 2 plan "$T/m" --detailed-exitcode --output markdown
expect_in "$T/out" "App Renamed"
expect_in "$T/out" '```'
run_cr 2 drift "$T/m" --output json
"$PY" -S -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["format_version"]=="1"' \
    "$T/out" || fail "drift --output json is not JSON with format_version"
# progress goes to stderr, never stdout
expect_in "$T/err" "reading live state"
expect_not_in "$T/out" "reading live state"

step "apply --output json: one document with the plan and each call's outcome"
run_cr 0 apply "$T/m" --auto-approve --output json
"$PY" -S -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["format_version"] == "1"
assert d["apply"]["status"] == "complete"
ops = d["apply"]["operations"]
assert [o["operation"] for o in ops] == ["UpdateIdentityPool"], ops
assert all(o["status"] == "done" for o in ops)' "$T/out" || fail "apply JSON report: $(cat "$T/out")"

# A saved plan with no call: the same "complete" document, nothing written.
run_cr 0 plan "$T/m" --out "$T/empty-plan.json"
run_cr 0 apply "$T/empty-plan.json" --output json
"$PY" -S -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["apply"]["status"] == "complete" and d["apply"]["operations"] == [], d' "$T/out" ||
    fail "apply of an empty saved plan, JSON: $(cat "$T/out")"

step "--debug logs the calls but never the secret key or the signature"
app_manifest "App Debug"
run_cr 0 apply "$T/m" --auto-approve --debug
expect_in "$T/err" "UpdateIdentityPool"
expect_not_in "$T/err" "$TEST_SECRET"
if grep -Eq 'Signature=[0-9a-f]{64}' "$T/err" "$T/out"; then fail "--debug printed a signature"; fi
run_cr 0 plan "$T/m" --debug
expect_in "$T/err" "DescribeIdentityPool"
expect_not_in "$T/err" "$TEST_SECRET"
if grep -Eq 'Signature=[0-9a-f]{64}' "$T/err"; then fail "--debug printed a signature"; fi

step "a missing region is reported with the sources tried"
unset AWS_REGION
run_cr 1 plan "$T/m"
expect_in "$T/err" "region"
export AWS_REGION=us-east-1

step "a read over 2 s shows progress on stderr (a line in a log, not a terminal); --quiet none"
emu_reset
emu_faults '[{"operation":"ListIdentityPools","latency_ms":2500}]'
run_cr 0 plan "$T/m"
grep -Eq '^reading live state: [0-9]+(/[0-9]+\+?)? pools, [0-9]+\.[0-9] s$' "$T/err" ||
    fail "no progress line for a read of 2.5 s: $(cat "$T/err")"
expect_in "$T/err" "reading live state in us-east-1"
run_cr 0 plan "$T/m" --quiet
expect_in "$T/out" "+ create"
[ ! -s "$T/err" ] || fail "plan --quiet wrote to stderr: $(cat "$T/err")"
emu_faults '[]'

echo "PASS: cli options"
