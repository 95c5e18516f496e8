#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# cognito-reconcile watch against real remotes on loopback (a file:// remote, and `git daemon`
# serving git://) and the emulator: a commit creates the pool, a commit changing it updates
# it, a hand edit with the AWS CLI is repaired (--drift repair) or only counted (--drift
# report), an invalid commit is skipped with the previous revision kept and /status saying
# why, SIGTERM exits 0. Intervals of 1 s; every wait is bounded (docs/watch.md).
. "$CR_SOURCE_DIR/tests/integration/cli_lib.sh"
cli_setup
. "$CR_SOURCE_DIR/tests/integration/watch_lib.sh"
repo_init

revision_is() { field_is "$1" 'd["revision"]' "$2"; }
cycles_at_least() { [ "$(status_field "$1" 'd["cycles"]["success"]')" -ge "$2" ]; }

step "file:// remote: a commit creates the pool, within one interval"
c1=$(commit_file envs/prod/web.yaml "$(manifest Web)" "web")
commit_file README.md "not a manifest folder" "readme" >/dev/null
c1=$(git -C "$T/work" rev-parse HEAD)
watch_start a --git-url "file://$T/remote.git" --interval 1s envs/prod
wait_for 20 "the pool created" name_is Web
wait_for 10 "/readyz 200" http_is a /readyz 200
wait_for 10 "revision $c1 in /status" revision_is a "$c1"
id=$(pool_id_of web)
describe "$id" "$T/desc.json"
[ "$(json_get "$T/desc.json" 'd["IdentityPoolTags"]["cognito-reconcile:revision"]')" = "$c1" ] ||
    fail "the created pool does not carry the revision tag $c1"
[ "$(watch_get a /healthz)" = 200 ] || fail "/healthz"

step "a commit changing the pool updates it"
c2=$(commit_file envs/prod/web.yaml "$(manifest "Web Two")" "rename")
wait_for 20 "the rename applied" name_is "Web Two"
wait_for 10 "revision $c2" revision_is a "$c2"
[ "$(pool_id_of web)" = "$id" ] || fail "the pool was replaced, not updated in place"

step "a hand edit with the AWS CLI is repaired"
aws_cli cognito-identity update-identity-pool --identity-pool-id "$id" \
    --identity-pool-name "Edited By Hand" --no-allow-unauthenticated-identities >/dev/null
wait_for 20 "the hand edit repaired" name_is "Web Two"
wait_for 10 "the repair logged" grep -q "drift in 1 pool repaired" "$T/a.err"

step "an invalid commit is skipped: previous revision kept, nothing written, /status says why"
mark=$(log_mark)
bad=$(commit_file envs/prod/web.yaml "$(manifest "Web Three" "  alowClassicFlow: true
")" "typo")
wait_for 20 "the invalid revision $bad in /status" \
    field_is a '(d["invalid_revision"] or {}).get("revision")' "$bad"
status_field a 'd["invalid_revision"]["message"]' >"$T/why"
expect_in "$T/why" "$bad:envs/prod/web.yaml:9:3: unknown key 'alowClassicFlow'"
[ "$(status_field a 'd["revision"]')" = "$c2" ] || fail "the previous revision is not kept"
n=$(status_field a 'd["cycles"]["success"]')
wait_for 10 "cycles go on" cycles_at_least a $((n + 2))
name_is "Web Two" || fail "the invalid commit changed the pool"
[ "$(writes_since "$mark")" -eq 0 ] || fail "write calls after an invalid commit: $(ops_since "$mark")"
watch_get a /metrics >/dev/null
expect_in "$T/a.http" 'cognito_reconcile_watch_cycles_total{result="invalid"} 1'
expect_in "$T/a.http" 'cognito_reconcile_watch_invalid_revision 1'

step "the next commit is tried and applied"
c3=$(commit_file envs/prod/web.yaml "$(manifest "Web Three")" "fix")
wait_for 20 "the fix applied" name_is "Web Three"
wait_for 10 "revision $c3" revision_is a "$c3"
[ "$(status_field a 'd["invalid_revision"]')" = null ] || fail "the invalid revision is still reported"

step "SIGTERM: the cycle ends, exit 0"
watch_stop a
[ "$W_RC" = 0 ] || fail "watch exited $W_RC on SIGTERM, not 0: $(tail -5 "$T/a.err")"
expect_in "$T/a.err" "SIGTERM: stopping after the current cycle"

step "git:// remote (git daemon) and --drift report: drift counted, never written"
port=""
for try in 1 2 3 4 5; do
    port=$("$PY" -S -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    # git-daemon itself (not `git daemon`, whose git parent would be the PID stopped at exit
    # while the daemon it started lived on)
    "$(git --exec-path)/git-daemon" --base-path="$T" --export-all --reuseaddr --listen=127.0.0.1 --port="$port" \
        --pid-file="$T/daemon.pid" "$T" >"$T/daemon.log" 2>&1 &
    daemon=$!
    WATCH_PIDS="$WATCH_PIDS $daemon"
    ok=0
    for i in $(seq 1 50); do
        if git ls-remote "git://127.0.0.1:$port/remote.git" >/dev/null 2>&1; then ok=1; break; fi
        kill -0 "$daemon" 2>/dev/null || break
        sleep 0.1
    done
    [ $ok -eq 1 ] && break
    kill "$daemon" 2>/dev/null || true # the port was taken meanwhile: another one
    port=""
done
[ -n "$port" ] || fail "git daemon did not start: $(cat "$T/daemon.log")"
aws_cli cognito-identity update-identity-pool --identity-pool-id "$id" \
    --identity-pool-name "Edited Again" --no-allow-unauthenticated-identities >/dev/null
mark=$(log_mark)
watch_start b --git-url "git://127.0.0.1:$port/remote.git" --interval 1s --drift report envs/prod
wait_for 20 "drift reported" field_is b 'd["drifted_pools"]' '["web"]'
n=$(status_field b 'd["cycles"]["success"]')
wait_for 10 "more report cycles" cycles_at_least b $((n + 2))
name_is "Edited Again" || fail "--drift report repaired the pool"
[ "$(writes_since "$mark")" -eq 0 ] || fail "--drift report wrote: $(ops_since "$mark")"
watch_get b /metrics >/dev/null
expect_in "$T/b.http" 'cognito_reconcile_watch_drifted_pools 1'
expect_in "$T/b.err" "drift in 1 pool (report only: nothing changed)"
[ "$(status_field b 'd["revision"]')" = "$c3" ] || fail "report mode: revision"
watch_stop b INT
[ "$W_RC" = 0 ] || fail "watch exited $W_RC on SIGINT, not 0"

step "http:// remote (git http-backend behind Basic auth): the token from a file, a wrong one refused"
token="tok-$RANDOM-$RANDOM-secret"
"$PY" "$CR_SOURCE_DIR/tests/integration/git_http_server.py" "$T" x-access-token "$token" \
    >"$T/http.port" 2>"$T/http.err" &
WATCH_PIDS="$WATCH_PIDS $!"
wait_for 10 "the git http server" test -s "$T/http.port"
url="http://127.0.0.1:$(cat "$T/http.port")/remote.git"
printf 'wrong\n' >"$T/bad-token"
watch_start c --git-url "$url" --git-username x-access-token --git-token-file "$T/bad-token" \
    --interval 1s envs/prod
wait_for 30 "a refused fetch" field_is c 'd["cycles"]["failed"] >= 1' true
status_field c 'd["last_cycle"]["message"]' >"$T/why"
expect_in "$T/why" "git fetch $url (branch main): the remote refused the credentials"
watch_stop c
printf '%s\n' "$token" >"$T/token"
watch_start d --git-url "$url" --git-username x-access-token --git-token-file "$T/token" \
    --interval 1s envs/prod
wait_for 30 "revision $c3 over http" field_is d 'd["revision"]' "$c3"
watch_stop d
if grep -qF "$token" "$T"/*.err "$T"/*.http 2>/dev/null; then fail "the git token was printed"; fi
echo "PASS"
