#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# cognito-reconcile watch when the branch it follows is deleted on the remote (a renamed
# default branch, a mistaken push --delete): the cache still holds the commit fetched before,
# but the branch is gone, so the cycle fails naming it (/status, the log) and nothing is
# written; it must not go on reconciling a commit that no branch holds any more. When the
# branch comes back, its commit is applied again.
. "$CR_SOURCE_DIR/tests/integration/cli_lib.sh"
cli_setup
. "$CR_SOURCE_DIR/tests/integration/watch_lib.sh"
repo_init

failed_with() { field_is "$1" '(d["last_cycle"] or {}).get("message") or ""' "$2"; }

step "the branch is followed"
c1=$(commit_file envs/web.yaml "$(manifest Web)" "web")
watch_start a --git-url "file://$T/remote.git" --interval 1s envs
wait_for 20 "revision $c1 applied" field_is a 'd["revision"]' "$c1"

step "the branch is deleted on the remote: the cycle fails naming it, nothing is written"
git -C "$T/remote.git" symbolic-ref HEAD refs/heads/other
git -C "$T/remote.git" update-ref -d refs/heads/main
wait_for 20 "a failed cycle naming the branch" failed_with a \
    "git fetch file://$T/remote.git: the remote has no branch 'main'"
# a hand edit is not repaired from the commit fetched before: every cycle fails until the
# branch is back
aws_cli cognito-identity update-identity-pool --identity-pool-id "$(pool_id_of web)" \
    --identity-pool-name "Edited By Hand" --no-allow-unauthenticated-identities >/dev/null
mark=$(log_mark)
n=$(status_field a 'd["cycles"]["failed"]')
wait_for 10 "two more failed cycles" field_is a 'd["cycles"]["failed"] >= '"$((n + 2))" true
[ "$(writes_since "$mark")" -eq 0 ] || fail "write calls with the branch gone: $(ops_since "$mark")"
name_is "Edited By Hand" || fail "the pool was reconciled from a branch that no longer exists"

step "the branch comes back: its commit is applied"
git -C "$T/work" push -q origin main
wait_for 20 "the hand edit repaired" name_is Web
watch_stop a
[ "$W_RC" -eq 0 ] || fail "watch exited $W_RC on SIGTERM"
echo "PASS: watch with its branch deleted"
