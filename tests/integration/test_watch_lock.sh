#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Two replicas of cognito-reconcile watch share one lock (--lock on the emulator's S3): exactly
# one leads and writes, the other stands by naming the holder; after kill -9 of the leader the
# standby takes over within the lease's expiry (plus the takeover margin and a poll), applies
# the next commit, and no twin pool appears; an apply with the same lock is refused while a
# watcher leads; a lease force-unlocked under the leader is noticed, and taken again; SIGTERM
# of a leader releases the lease at once.
. "$CR_SOURCE_DIR/tests/integration/cli_lib.sh"
cli_setup --s3-bucket locks
. "$CR_SOURCE_DIR/tests/integration/watch_lib.sh"
repo_init
LEASE_MS=2000
LK=(--lock s3://locks/identity/prod.lock --lock-endpoint-url "$EMU_URL")
L=("${LK[@]}" --lock-lease 2s)
lock_exists() {
    curl -s --max-time 10 "$EMU_URL/_local/state" | "$PY" -S -c '
import json, sys
objects = json.load(sys.stdin).get("s3", {}).get("buckets", {}).get("locks", {}).get("objects", {})
sys.exit(0 if "identity/prod.lock" in objects else 1)'
}
leader_of() { field_is "$1" 'd["lease"]["leader"]' true; }
standby_of() { field_is "$1" '[d["lease"]["leader"], d["lease"]["holder"] is not None]' '[false, true]'; }
writes_of() { # the write operations one watcher made, from its own /metrics
    watch_get "$1" /metrics >/dev/null
    grep -oE 'operation="(Create|Update|Delete)IdentityPool"' "$T/$1.http" | sort -u | tr '\n' ' '
}
c1=$(commit_file envs/prod/web.yaml "$(pool_yaml web)" "web")

step "two replicas, one lock: one leads and writes, the other stands by"
watch_start a --git-url "file://$T/remote.git" --interval 500ms "${L[@]}" envs/prod
wait_for 30 "a leads" leader_of a
watch_start b --git-url "file://$T/remote.git" --interval 500ms "${L[@]}" envs/prod
wait_for 30 "b stands by, naming the holder" standby_of b
wait_for 30 "revision $c1 applied by a" field_is a 'd["revision"]' "$c1"
status_field b 'd["lease"]["holder"]' >"$T/holder"
expect_in "$T/holder" "watch of stack 'default'"
# while a reconciles twice more (b polls the lease meanwhile), b must neither lead nor write
n=$(status_field a 'd["cycles"]["success"]')
wait_for 30 "two more cycles of a" field_is a "d['cycles']['success'] >= $((n + 2))" true
[ "$(status_field b 'd["cycles"]')" = '{"failed": 0, "invalid": 0, "success": 0}' ] || fail "the standby ran cycles"
[ -z "$(writes_of b)" ] || fail "the standby wrote: $(writes_of b)"
[ "$(writes_of a)" = 'operation="CreateIdentityPool" ' ] || fail "the leader's writes: $(writes_of a)"
watch_get b /metrics >/dev/null
expect_in "$T/b.http" "cognito_reconcile_watch_leader 0"
[ "$(pool_id_of web | wc -l)" -eq 1 ] || fail "twins: $(pool_id_of web)"
[ "$(watch_get b /readyz)" = 503 ] || fail "the standby is ready"

step "a CI apply with the same lock is refused while a watcher leads, naming it"
pool_yaml ci >"$T/m/ci.yaml"
run_cr 1 apply "$T/m" --auto-approve "${L[@]}"
expect_in "$T/err" "error: the lock s3://locks/identity/prod.lock is held by "
expect_in "$T/err" "(pid ${W_PID[a]}), watch of stack 'default'"
[ -z "$(pool_id_of ci)" ] || fail "the refused apply created a pool"

step "kill -9 of the leader: the standby takes over within the lease's expiry, no twin"
t0=$(date +%s%N)
kill -9 "${W_PID[a]}"
wait "${W_PID[a]}" 2>/dev/null || true
wait_for 30 "b leads" leader_of b
took_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "takeover after ${took_ms} ms (lease ${LEASE_MS} ms, margin $((LEASE_MS / 4)) ms, standby poll $((LEASE_MS / 3)) ms)"
# an upper bound only: the lease, the takeover margin, a poll, and the load of a shared machine
[ "$took_ms" -le $((LEASE_MS + LEASE_MS / 4 + LEASE_MS / 3 + 8000)) ] || fail "takeover took ${took_ms} ms"
c2=$(commit_file envs/prod/web.yaml "$(pool_yaml web | sed 's/identityPoolName: web/identityPoolName: web-v2/')" "v2")
wait_for 30 "revision $c2 applied by b" field_is b 'd["revision"]' "$c2"
[ "$(pool_id_of web | wc -l)" -eq 1 ] || fail "twins after the takeover: $(pool_id_of web)"
expect_in "$T/b.err" "holding the lease s3://locks/identity/prod.lock: leading"

step "the lease force-unlocked under the leader: it notices at its next renewal, stands by, leads again"
aws_cli s3api get-object --bucket locks --key identity/prod.lock "$T/lease.json" >/dev/null
lease_id=$("$PY" -S -c 'import json, sys; print(json.load(open(sys.argv[1]))["id"])' "$T/lease.json")
run_cr_raw 0 force-unlock "$lease_id" "${LK[@]}" --force
wait_for 30 "b notices the lost lease" grep -qF "lost the lease" "$T/b.err"
wait_for 30 "b leads again" leader_of b
[ "$(grep -cF "holding the lease s3://locks/identity/prod.lock: leading" "$T/b.err")" -ge 2 ] ||
    fail "b did not take the lease again"
watch_get b /metrics >/dev/null
n=$(sed -n 's/^cognito_reconcile_watch_lease_transitions_total \([0-9]*\)$/\1/p' "$T/b.http")
[ "${n:-0}" -ge 3 ] || fail "lease transitions of b: '$n' (gained, lost, gained again)"
[ "$(pool_id_of web | wc -l)" -eq 1 ] || fail "twins after the force-unlock: $(pool_id_of web)"

step "SIGTERM of the leader releases the lease at once"
watch_stop b
[ "$W_RC" = 0 ] || fail "exit status $W_RC after SIGTERM"
lock_exists && fail "the lease is still there after SIGTERM"
expect_in "$T/b.err" "released the lease"
echo "PASS"
