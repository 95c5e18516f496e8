#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The run lock against the emulator's S3, with signatures verified (docs/locking.md): apply takes
# the lease before it reads and releases it at the end; the lease is the JSON the AWS CLI reads;
# a held lock fails a second apply at once (naming the holder and the force-unlock command) or
# is waited for; plan only notes it; force-unlock deletes only the named lease; a run killed
# with kill -9 leaves a lease that the next apply takes over once it expired; SIGTERM before the
# writes (at the prompt) releases at once (143), SIGINT during them stops before the next call
# (130); a lease lost mid-run stops the writes; COGNITO_RECONCILE_LOCK, AWS_ENDPOINT_URL_S3 and
# --no-lock. A holder stopped at its prompt (script(1) gives it a terminal) holds the lock for
# as long as the test needs; the other steps delay the emulator's answers.
. "$CR_SOURCE_DIR/tests/integration/cli_lib.sh"
cli_setup --sigv4 --s3-bucket locks

KEY=identity/prod.json
LOCK="s3://locks/$KEY"
L=(--lock "$LOCK" --lock-endpoint-url "$EMU_URL")
BG_PID=""
# A failed step leaves no apply behind (a holder at its prompt would wait forever): this shell's
# running jobs and their children (the apply under script(1)) are stopped before the emulator.
stop_runs() {
    local j
    for j in $(jobs -p); do
        pkill -9 -P "$j" 2>/dev/null || true
        kill -9 "$j" 2>/dev/null || true
    done
    cli_cleanup
}
trap stop_runs EXIT

# wait_for WHAT CMD...: polls CMD every 50 ms, at most 20 s.
wait_for() {
    local i=0
    until "${@:2}"; do
        i=$((i + 1))
        [ $i -lt 400 ] || fail "timed out waiting for $1"
        sleep 0.05
    done
}
# lock_exists: the object is in the emulator's state (a control-endpoint read: quicker than the
# AWS CLI, so polling it is cheap)
lock_exists() {
    curl -s --max-time 10 "$EMU_URL/_local/state" | "$PY" -S -c '
import json, sys
objects = json.load(sys.stdin).get("s3", {}).get("buckets", {}).get("locks", {}).get("objects", {})
sys.exit(0 if sys.argv[1] in objects else 1)' "$KEY"
}
lock_gone() { ! lock_exists; }
said() { grep -qF -- "$2" "$1" 2>/dev/null; } # said FILE TEXT
# s3_ops MARK: the S3 calls since MARK, "Op Status" per line.
s3_ops() {
    emu_requests "$1" | "$PY" -S -c '
import json, sys
for e in json.load(sys.stdin)["requests"]:
    if e["operation"] in ("PutObject", "GetObject", "HeadObject", "DeleteObject"):
        print(e["operation"], e["status"])'
}
# bg_apply NAME ARGS...: apply in the background, stdout/stderr in $T/NAME.out/.err, pid in BG_PID.
bg_apply() {
    local name=$1
    shift
    "$CR" apply --endpoint-url "$EMU_URL" --auto-approve "$@" >"$T/$name.out" 2>"$T/$name.err" \
        </dev/null &
    BG_PID=$!
}
# bg_wait STATUS NAME: the background apply ends with STATUS.
bg_wait() {
    local rc=0
    wait "$BG_PID" || rc=$?
    [ "$rc" -eq "$1" ] || {
        cat "$T/$2.err" >&2
        fail "background apply '$2' exited $rc, expected $1"
    }
}
# two_pools_with_roles PREFIX: manifests PREFIXa and PREFIXb, each a create and then a
# SetIdentityPoolRoles (two rounds of calls)
two_pools_with_roles() {
    for n in a b; do
        pool_yaml "$1$n" >"$T/m/$1$n.yaml"
        printf '  roles:\n    authenticated: arn:aws:iam::123456789012:role/R\n' >>"$T/m/$1$n.yaml"
    done
}
put_lease() { # put_lease FILE: plants FILE as the lock object (as another tool would)
    aws_cli s3api put-object --bucket locks --key "$KEY" --body "$1" >"$T/put.json"
}
cat >"$T/bob.json" <<'EOF'
{"version":1,"id":"deadbeefdeadbeefdeadbeefdeadbeef","who":{"host":"ci-9","user":"bob","pid":77},"stack":"default","command":"apply","revision":null,"since":"2099-01-01T00:00:00Z","expires":"2099-01-01T00:02:00Z"}
EOF
for n in 1 2 3; do pool_yaml "p$n" >"$T/m/p$n.yaml"; done

step "apply takes the lock before it reads and releases it at the end"
mark=$(log_mark)
run_cr 0 apply "$T/m" --auto-approve "${L[@]}"
expect_in "$T/err" "holding the lock $LOCK (lease "
expect_in "$T/err" "released the lock $LOCK"
emu_requests "$mark" | "$PY" -S -c '
import json, sys
ops = [e["operation"] + " " + str(e["status"]) for e in json.load(sys.stdin)["requests"]]
assert ops[0] == "PutObject 200", ops
assert ops[-1] == "DeleteObject 204", ops
assert ops.index("ListIdentityPools 200") > 0, ops' || fail "the lock was not taken first and released last"
lock_gone || fail "the lock object is still there"
[ "$(pool_id_of p1 | wc -l)" -eq 1 ] || fail "p1 was not created once"

# prompt_holder NAME ARGS...: an apply on a pseudo-terminal (script(1)), stopped at its
# confirmation prompt while it holds the lock; answers come from the fifo on fd 7. script(1)
# runs its command with $SHELL -c, or /bin/sh when SHELL is unset (as in CI); dash does not
# exec a lone command, so the command says exec: then HOLDER, script's only child, is the apply
# itself (checked by its executable), the process the lease must name and the signals must reach.
prompt_holder() {
    local name=$1 kids
    shift
    rm -f "$T/$name.in"
    mkfifo "$T/$name.in"
    exec 7<>"$T/$name.in"
    script -qfec "exec $(printf '%q ' "$CR" apply --endpoint-url "$EMU_URL" "$@")" /dev/null \
        <"$T/$name.in" >"$T/$name.err" 2>&1 &
    BG_PID=$!
    wait_for "the prompt" said "$T/$name.err" "Enter a value"
    kids=$(pgrep -P "$BG_PID" | tr '\n' ' ')
    HOLDER=${kids% }
    [ -n "$HOLDER" ] && [ "$HOLDER" -gt 0 ] 2>/dev/null ||
        fail "script(1) has not exactly one child: '$kids'"
    [ "$(readlink "/proc/$HOLDER/exe")" = "$(readlink -f "$CR")" ] ||
        fail "script(1)'s child $HOLDER is $(readlink "/proc/$HOLDER/exe"), not $CR"
}

step "while one apply holds it (at its prompt): the lease is JSON the AWS CLI reads; plan notes it; another apply fails at once or waits"
pool_yaml slow >"$T/m/slow.yaml"
prompt_holder holder "$T/m" "${L[@]}"
lock_exists || fail "the lock is not held at the prompt"
aws_cli s3api get-object --bucket locks --key "$KEY" "$T/lease.json" >"$T/get.json"
"$PY" -S - "$T/lease.json" "$HOLDER" "$(hostname)" <<'EOF2' || fail "the lease is not what docs/locking.md says: $(cat "$T/lease.json")"
import json, re, sys
d = json.load(open(sys.argv[1]))
assert d["version"] == 1 and re.fullmatch("[0-9a-f]{32}", d["id"]), d
assert d["who"] == {"host": sys.argv[3], "user": d["who"]["user"], "pid": int(sys.argv[2])}, d
assert d["stack"] == "default" and d["command"] == "apply" and d["revision"] is None, d
assert d["since"] < d["expires"] and d["expires"].endswith("Z"), d
EOF2
LEASE=$(json_get "$T/lease.json" 'd["id"]')
run_cr 0 plan "$T/m" "${L[@]}"
expect_in "$T/err" "note: the lock $LOCK is held by "
expect_in "$T/err" "lease $LEASE expires at"
run_cr 1 apply "$T/m" --auto-approve "${L[@]}"
expect_in "$T/err" "error: the lock $LOCK is held by "
expect_in "$T/err" "(pid $HOLDER), apply of stack 'default'"
expect_in "$T/err" "cognito-reconcile force-unlock $LEASE --lock $LOCK"
expect_not_in "$T/err" "reading live state"
"$CR" apply --endpoint-url "$EMU_URL" --auto-approve "$T/m" "${L[@]}" --lock-timeout 60s \
    >"$T/waiter.out" 2>"$T/waiter.err" </dev/null &
WAITER=$!
wait_for "the waiter" said "$T/waiter.err" "waiting for the lock $LOCK, held by "
printf 'yes\n' >&7
rc=0
wait "$BG_PID" || rc=$?
[ $rc -eq 0 ] || fail "the holder exited $rc: $(cat "$T/holder.err")"
rc=0
wait "$WAITER" || rc=$?
[ $rc -eq 0 ] || fail "the waiter exited $rc: $(cat "$T/waiter.err")"
said "$T/holder.err" "released the lock $LOCK" || fail "the holder did not release the lock"
said "$T/waiter.err" "holding the lock" || fail "the waiter never held the lock"
exec 7>&-
lock_gone || fail "the lock object is still there"
[ "$(pool_id_of slow | wc -l)" -eq 1 ] || fail "the waiting apply made a twin of 'slow'"

step "SIGTERM at the prompt (before any write): released at once, nothing changed, exit 143"
pool_yaml early >"$T/m/early.yaml"
mark=$(log_mark)
prompt_holder term "$T/m" "${L[@]}"
kill -TERM "$HOLDER"
rc=0
wait "$BG_PID" || rc=$?
[ $rc -eq 143 ] || fail "SIGTERM at the prompt: exit $rc: $(cat "$T/term.err")"
said "$T/term.err" "interrupted (SIGTERM): released the lock $LOCK; nothing was changed" ||
    fail "no word of the release: $(cat "$T/term.err")"
exec 7>&-
lock_gone || fail "SIGTERM left the lock"
expect_writes "$mark" ""

step "force-unlock deletes only the named lease, and says whose it was"
put_lease "$T/bob.json"
run_cr 1 apply "$T/m" --auto-approve "${L[@]}"
expect_in "$T/err" "is held by bob@ci-9 (pid 77), apply of stack 'default', since 2099-01-01T00:00:00.000Z, lease deadbeefdeadbeefdeadbeefdeadbeef"
run_cr_raw 1 force-unlock 0123456789abcdef0123456789abcdef "${L[@]}" --force
expect_in "$T/err" "is not held by 0123456789abcdef0123456789abcdef but by bob@ci-9"
lock_exists || fail "force-unlock of another id deleted the lock"
run_cr_raw 1 force-unlock deadbeefdeadbeefdeadbeefdeadbeef "${L[@]}"
expect_in "$T/err" "stdin is not a terminal; pass --force"
run_cr_raw 0 force-unlock deadbeefdeadbeefdeadbeefdeadbeef "${L[@]}" --force
expect_in "$T/out" "Released the lock $LOCK, held by bob@ci-9 (pid 77)"
lock_gone || fail "force-unlock left the lock"
run_cr_raw 1 force-unlock deadbeefdeadbeefdeadbeefdeadbeef "${L[@]}" --force
expect_in "$T/err" "no lock is held at $LOCK"
# An object that is not a lease never expires: it is named by its ETag.
printf '{"ID":"2b3f","Operation":"OperationTypeApply","Who":"tf@host"}' >"$T/tf.json"
put_lease "$T/tf.json"
ETAG=$(json_get "$T/put.json" 'd["ETag"].strip("\"")')
run_cr 1 apply "$T/m" --auto-approve "${L[@]}"
expect_in "$T/err" "held by an object that is not a cognito-reconcile lease (ETag \"$ETAG\")"
run_cr_raw 0 force-unlock "$ETAG" "${L[@]}" --force
lock_gone || fail "force-unlock by ETag left the object"

step "kill -9: the lease stays until it expires; the next apply takes it over"
emu_faults '[{"operation":"CreateIdentityPool","latency_ms":1000}]'
pool_yaml killed >"$T/m/killed.yaml"
bg_apply killed "$T/m" "${L[@]}" --lock-lease 2s
wait_for "the killed apply's writes" said "$T/killed.err" "applying"
kill -KILL "$BG_PID"
wait "$BG_PID" 2>/dev/null || true
lock_exists || fail "the killed run's lease is gone"
run_cr 1 apply "$T/m" --auto-approve "${L[@]}"
expect_in "$T/err" "is held by "
run_cr 0 apply "$T/m" --auto-approve "${L[@]}" --lock-timeout 60s --lock-lease 2s
expect_in "$T/err" "took over the expired lock $LOCK from "
emu_faults '[]'
lock_gone || fail "the lock object is still there"
[ "$(pool_id_of killed | wc -l)" -eq 1 ] || fail "'killed' has $(pool_id_of killed | wc -l) pools"
run_cr 0 plan "$T/m" --detailed-exitcode

step "a run longer than its lease renews it (PutObject If-Match every third) and succeeds"
emu_faults '[{"operation":"CreateIdentityPool","latency_ms":2500}]'
pool_yaml long >"$T/m/long.yaml"
mark=$(log_mark)
run_cr 0 apply "$T/m" --auto-approve "${L[@]}" --lock-lease 1s
emu_faults '[]'
renewals=$(s3_ops "$mark" | grep -c "^PutObject 200") || true
[ "$renewals" -ge 3 ] || fail "the lease was not renewed while the run outlived it: $(s3_ops "$mark" | tr '\n' ' ')"
[ "$(s3_ops "$mark" | tail -1)" = "DeleteObject 204" ] || fail "the renewed lease was not released"

step "SIGINT during the writes: the calls in flight finish, nothing more, the lock is released, exit 130"
emu_faults '[{"operation":"CreateIdentityPool","latency_ms":3000}]'
two_pools_with_roles int
mark=$(log_mark)
bg_apply int "$T/m" "${L[@]}"
wait_for "the writes" said "$T/int.err" "applying"
kill -INT "$BG_PID"
bg_wait 130 int
expect_in "$T/int.err" "interrupted (SIGINT): stopping once the calls in flight have answered"
expect_in "$T/int.err" "error: interrupted (SIGINT): stopped before the next write call"
expect_in "$T/int.err" "not attempted (2):"
expect_in "$T/int.err" "released the lock $LOCK"
lock_gone || fail "SIGINT left the lock"
expect_writes "$mark" "CreateIdentityPool CreateIdentityPool"
emu_faults '[]'
run_cr 0 apply "$T/m" --auto-approve "${L[@]}"
run_cr 0 plan "$T/m" --detailed-exitcode

step "a lease lost mid-run (overwritten by another holder) stops the writes and is not deleted"
emu_faults '[{"operation":"CreateIdentityPool","latency_ms":6000}]'
two_pools_with_roles lost
mark=$(log_mark)
bg_apply lost "$T/m" "${L[@]}" --lock-lease 1s
wait_for "the writes" said "$T/lost.err" "applying"
put_lease "$T/bob.json"
bg_wait 1 lost
expect_in "$T/lost.err" "the lock $LOCK was lost: lease "
expect_in "$T/lost.err" "it is now held by bob@ci-9 (pid 77)"
expect_in "$T/lost.err" "stopped before the next write call"
expect_writes "$mark" "CreateIdentityPool CreateIdentityPool"
aws_cli s3api get-object --bucket locks --key "$KEY" "$T/after.json" >/dev/null
cmp -s "$T/after.json" "$T/bob.json" || fail "the new holder's lease was changed"
emu_faults '[]'
run_cr_raw 0 force-unlock deadbeefdeadbeefdeadbeefdeadbeef "${L[@]}" --force

step "COGNITO_RECONCILE_LOCK and AWS_ENDPOINT_URL_S3 configure it; --no-lock ignores it; bad settings fail before any write"
mark=$(log_mark)
COGNITO_RECONCILE_LOCK=$LOCK AWS_ENDPOINT_URL_S3=$EMU_URL run_cr 0 apply "$T/m" --auto-approve
expect_in "$T/err" "holding the lock $LOCK"
[ "$(s3_ops "$mark" | head -1)" = "PutObject 200" ] || fail "no lock taken from the environment"
mark=$(log_mark)
COGNITO_RECONCILE_LOCK=$LOCK AWS_ENDPOINT_URL_S3=$EMU_URL run_cr 0 apply "$T/m" --auto-approve --no-lock
[ -z "$(s3_ops "$mark")" ] || fail "--no-lock still used S3: $(s3_ops "$mark")"
run_cr 1 apply "$T/m" --auto-approve --lock "$LOCK" --no-lock
expect_in "$T/err" "--lock and --no-lock contradict each other"
COGNITO_RECONCILE_LOCK=s3://Locks/x run_cr 1 plan "$T/m"
expect_in "$T/err" "COGNITO_RECONCILE_LOCK 's3://Locks/x': the bucket name must be"
run_cr 1 apply "$T/m" --auto-approve --lock s3://locks/a%20b
expect_in "$T/err" "--lock 's3://locks/a%20b': the key must be"
mark=$(log_mark)
run_cr 1 apply "$T/m" --auto-approve --lock "$LOCK" --lock-region us-east-1 --timeout 2 \
    --lock-endpoint-url http://127.0.0.1:1
expect_in "$T/err" "s3 PutObject $LOCK"
expect_writes "$mark" ""
echo "PASS"
