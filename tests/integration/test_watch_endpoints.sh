#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The endpoints, logs, notifications and configuration of cognito-reconcile watch
# (docs/watch.md): /metrics passes `promtool check metrics` (Debian's prometheus package) and
# counts API calls by operation and status; /healthz, /readyz (503 until a cycle succeeded),
# /status; POST /reconcile with the control token (401 without, a cycle at once with it);
# 404/405; --log-format json writes one JSON object per line; --notify delivers events to a
# webhook with retries; SIGHUP re-reads --config; the token never shows.
. "$CR_SOURCE_DIR/tests/integration/cli_lib.sh"
cli_setup
. "$CR_SOURCE_DIR/tests/integration/watch_lib.sh"
command -v promtool >/dev/null || fail "promtool missing (Debian package prometheus: scripts/deps.sh test)"
repo_init
c1=$(commit_file envs/prod/web.yaml "$(pool_yaml web)" "web")
successes_at_least() { [ "$(status_field "$1" 'd["cycles"]["success"]')" -ge "$2" ]; }

step "a remote that cannot be fetched: alive, not ready, failures counted, retried"
watch_start bad --git-url "file://$T/nowhere.git" --interval 1s envs/prod
wait_for 60 "two failed cycles" field_is bad 'd["cycles"]["failed"] >= 2' true
[ "$(watch_get bad /healthz)" = 200 ] || fail "/healthz"
[ "$(watch_get bad /readyz)" = 503 ] || fail "/readyz before any success: $(cat "$T/bad.http")"
[ "$(status_field bad 'd["last_cycle"]["result"]')" = failed ] || fail "last_cycle.result"
status_field bad 'd["last_cycle"]["message"]' >"$T/msg"
expect_in "$T/msg" "git fetch file://$T/nowhere.git (branch main)"
watch_stop bad

step "started with 1,100 files open and a soft limit of 1,102: it raises the limit, and serves on sockets past 1,024"
# Every account and region has its own connections, so the command raises its soft open-files
# limit to the hard one; its endpoints must then serve sockets numbered past FD_SETSIZE, which
# select() cannot watch. Without the raise it could open one more file: not enough to start.
if [ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -ge 2048 ]; then
    cat >"$T/many-fds.py" <<'EOF'
import os, resource, sys
while True:  # every number up to 1,100 taken, inherited by the command
    fd = os.open("/dev/null", os.O_RDONLY)
    os.set_inheritable(fd, True)
    if fd >= 1100:
        break
resource.setrlimit(resource.RLIMIT_NOFILE, (1102, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
os.execv(sys.argv[1], sys.argv[1:])
EOF
    printf '#!/bin/sh\nexec %s %s %s "$@"\n' "$PY" "$T/many-fds.py" "$CR" >"$T/many-fds"
    chmod +x "$T/many-fds"
    REAL_CR=$CR
    CR="$T/many-fds"
    watch_start fds --git-url "file://$T/nowhere.git" --interval 1h envs/prod
    CR=$REAL_CR
    for i in 1 2 3; do
        [ "$(watch_get fds /healthz)" = 200 ] || fail "/healthz of a watcher with 1,100 files open"
    done
    fds=$(ls "/proc/${W_PID[fds]}/fd" | wc -l)
    [ "$fds" -gt 1100 ] || fail "the watcher has $fds files open, expected more than 1,100"
    watch_stop fds
else
    echo "(skipped: the hard open-files limit $(ulimit -Hn) is under 2,048)"
fi

step "JSON logs, a config file, a control token from the environment, a webhook"
"$PY" "$CR_SOURCE_DIR/tests/integration/webhook_receiver.py" "$T/events" 1 >"$T/hook.port" &
WATCH_PIDS="$WATCH_PIDS $!"
wait_for 10 "the webhook receiver" test -s "$T/hook.port"
cat >"$T/watch.yaml" <<EOF
git-url: file://$T/remote.git
interval: 1h
paths: [envs/prod]
log-format: json
notify: http://127.0.0.1:$(cat "$T/hook.port")/hook
EOF
export COGNITO_RECONCILE_CONTROL_TOKEN=tok-$RANDOM-s3cret
watch_start a --config "$T/watch.yaml"
wait_for 60 "ready" http_is a /readyz 200
wait_for 10 "revision $c1" field_is a 'd["revision"]' "$c1"

step "POST /reconcile: 401 without the token, 202 and a cycle at once with it"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:${W_PORT[a]}/reconcile")
[ "$code" = 401 ] || fail "POST without a token: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer nope" \
    "http://127.0.0.1:${W_PORT[a]}/reconcile")
[ "$code" = 401 ] || fail "POST with a wrong token: $code"
n=$(status_field a 'd["cycles"]["success"]')
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST \
    -H "Authorization: Bearer $COGNITO_RECONCILE_CONTROL_TOKEN" "http://127.0.0.1:${W_PORT[a]}/reconcile")
[ "$code" = 202 ] || fail "POST with the token: $code"
wait_for 60 "the requested cycle (interval 1h)" successes_at_least a $((n + 1))
[ "$(watch_get a /reconcile)" = 405 ] || fail "GET /reconcile"
[ "$(watch_get a /nope)" = 404 ] || fail "GET /nope"

step "/metrics: Prometheus text format (promtool), API calls by operation and status"
[ "$(watch_get a /metrics)" = 200 ] || fail "/metrics"
promtool check metrics <"$T/a.http" >"$T/promtool.out" 2>&1 ||
    fail "promtool check metrics: $(cat "$T/promtool.out")"
expect_in "$T/a.http" 'cognito_reconcile_aws_requests_total{operation="ListIdentityPools",status="200"}'
expect_in "$T/a.http" 'cognito_reconcile_aws_requests_total{operation="CreateIdentityPool",status="200"} 1'
expect_in "$T/a.http" "cognito_reconcile_watch_revision_info{branch=\"main\",revision=\"$c1\""
expect_in "$T/a.http" 'cognito_reconcile_watch_cycle_duration_seconds_bucket{le="+Inf"}'
expect_in "$T/a.http" '# TYPE cognito_reconcile_watch_cycles_total counter'

step "every stderr line is one JSON object; events carry revision, pool and operation"
"$PY" -S - "$T/a.err" "$c1" <<'EOF' || fail "JSON logs"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
events = [json.loads(l) for l in lines]          # every line parses
assert all({"time", "level", "event"} <= set(e) for e in events), "missing fields"
ops = [e for e in events if e["event"] == "operation_done"]
assert ops and ops[0]["pool"] == "web" and ops[0]["operation"] == "CreateIdentityPool", ops
assert any(e["event"] == "applied" and e.get("revision") == sys.argv[2] for e in events)
EOF

step "the webhook got the events (the first answer was 500: retried)"
# the receiver answers the first delivery 500 and writes it down: wait for the retry too
applied_twice() { [ "$(grep -c '"event": *"applied"' "$T/events")" -ge 2 ]; }
wait_for 10 "an applied event, then its retry" applied_twice
"$PY" -S - "$T/events" "$c1" <<'EOF' || fail "webhook events: $(cat "$T/events")"
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()]
applied = [e for e in events if e["event"] == "applied"]
assert len(applied) == 2 and applied[0] == applied[1], "not retried once: %r" % events
e = applied[0]
assert e["revision"] == sys.argv[2] and e["stack"] == "default" and e["branch"] == "main", e
assert e["calls_made"] == 1 and e["id"] >= 1 and "time" in e, e
EOF

step "SIGHUP re-reads --config; the token is never printed"
printf 'drift: report\n' >>"$T/watch.yaml"
kill -HUP "${W_PID[a]}"
wait_for 10 "the reloaded drift mode" field_is a 'd["drift_mode"]' report
if grep -qF "$COGNITO_RECONCILE_CONTROL_TOKEN" "$T/a.err" "$T/a.http" "$T/events"; then
    fail "the control token was printed"
fi
watch_stop a
[ "$W_RC" = 0 ] || fail "exit status $W_RC after SIGTERM"
echo "PASS"
