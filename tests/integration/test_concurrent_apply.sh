#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Issue 9.1's proof (docs/locking.md): 20 trials of two applies of the same manifests started
# together against the emulator, every call delayed by a random 5-30 ms so that the window
# between reading the stack and creating its pools is real.
# - With --lock: both exit 0, and the emulator's log shows exactly one CreateIdentityPool per
#   pool in every trial: no twin is ever made (and the runs did contend: one waited for the other).
# - Without: the two runs' reports show both creating the same pool (the race happens, so the
#   healing is what prevents twins); after the two runs no run that left a twin exited 0 with it
#   (if any twin is left, one run failed naming it), and at most one more apply leaves none.
. "$CR_SOURCE_DIR/tests/integration/cli_lib.sh"
cli_setup --s3-bucket locks

N=6
TRIALS=${CR_CONCURRENT_TRIALS:-20}
FAULTS='[{"operation":"*","latency_ms":5,"jitter_ms":25}]'
LOCK=(--lock s3://locks/stack.json --lock-endpoint-url "$EMU_URL" --lock-timeout 60s)
for i in $(seq 1 $N); do pool_yaml "c$i" >"$T/m/c$i.yaml"; done

# pools_per_name: "name count" for every name tag of stack default (one read of the state).
pools_per_name() {
    curl -s --max-time 30 "$EMU_URL/_local/state" | "$PY" -S -c '
import collections, json, sys
n = collections.Counter()
for part in json.load(sys.stdin).get("partitions", {}).values():
    for p in part.get("pools", {}).values():
        t = p.get("tags", {})
        if t.get("cognito-reconcile:stack") == "default" and "cognito-reconcile:name" in t:
            n[t["cognito-reconcile:name"]] += 1
for k in sorted(n):
    print(k, n[k])'
}
# twins_in COUNTS: how many names of COUNTS (pools_per_name's output) more than one pool claims.
twins_in() { printf '%s\n' "$1" | awk '$2 > 1' | wc -l; }
twins_now() { twins_in "$(pools_per_name)"; }

# pair ARGS...: resets the emulator, starts two applies at once, sets RC1 and RC2.
pair() {
    emu_reset || fail "reset failed"
    emu_faults "$FAULTS" || fail "faults not set"
    local p1 p2
    "$CR" apply "$T/m" --endpoint-url "$EMU_URL" --auto-approve "$@" \
        >"$T/r1.out" 2>"$T/r1.err" </dev/null &
    p1=$!
    "$CR" apply "$T/m" --endpoint-url "$EMU_URL" --auto-approve "$@" \
        >"$T/r2.out" 2>"$T/r2.err" </dev/null &
    p2=$!
    RC1=0
    RC2=0
    wait $p1 || RC1=$?
    wait $p2 || RC2=$?
    emu_faults '[]' || fail "faults not cleared" # the checks that follow need no delays
}

# created NAME FILE: the pool ids the run created for NAME ("[i/n] CreateIdentityPool NAME (ID): done").
created() { sed -n "s/^\[[0-9]*\/[0-9]*\] CreateIdentityPool $1 (\(.*\)): done.*/\1/p" "$2"; }

step "with --lock: $TRIALS trials, one CreateIdentityPool per pool every time"
contended=0
for trial in $(seq 1 "$TRIALS"); do
    pair "${LOCK[@]}"
    [ "$RC1" -eq 0 ] && [ "$RC2" -eq 0 ] || {
        cat "$T/r1.err" "$T/r2.err" >&2
        fail "trial $trial: exits $RC1 and $RC2 with the lock"
    }
    creates=$(emu_requests 0 | grep -o '"operation":"CreateIdentityPool"' | wc -l)
    [ "$creates" -eq $N ] || fail "trial $trial: $creates CreateIdentityPool calls for $N pools"
    [ "$(twins_now)" -eq 0 ] || fail "trial $trial: twins with the lock: $(pools_per_name)"
    grep -qF "waiting for the lock" "$T/r1.err" "$T/r2.err" && contended=$((contended + 1))
done
echo "trials where one run waited for the other's lock: $contended of $TRIALS"
# On a loaded machine one run may finish before the other starts; most trials still contend.
[ "$contended" -gt $((TRIALS / 2)) ] || fail "the lock was contended in only $contended trials"

step "without a lock: $TRIALS trials; twins are made, healed or reported, never left behind an exit 0"
raced=0 healed_in_run=0 reported=0
for trial in $(seq 1 "$TRIALS"); do
    pair
    for i in $(seq 1 $N); do
        if [ -n "$(created "c$i" "$T/r1.err")" ] && [ -n "$(created "c$i" "$T/r2.err")" ]; then
            raced=$((raced + 1))
            break
        fi
    done
    counts=$(pools_per_name)
    left=$(twins_in "$counts")
    if [ "$left" -gt 0 ]; then
        # a twin is left: a run must have failed, naming it
        [ "$RC1" -ne 0 ] || [ "$RC2" -ne 0 ] || {
            pools_per_name >&2
            fail "trial $trial: both runs exited 0 and left $left twin(s)"
        }
        grep -qF " left (applies ran at the same time without a lock" "$T/r1.err" "$T/r2.err" ||
            fail "trial $trial: no run named the twins left"
        reported=$((reported + 1))
    else
        [ "$RC1" -eq 0 ] && [ "$RC2" -eq 0 ] || {
            cat "$T/r1.err" "$T/r2.err" >&2
            fail "trial $trial: no twin left, but exits $RC1 and $RC2"
        }
    fi
    grep -qF "twin check: pool " "$T/r1.err" "$T/r2.err" && healed_in_run=$((healed_in_run + 1))
    if [ "$left" -gt 0 ]; then
        run_cr 0 apply "$T/m" --auto-approve # the next apply deletes the twins the rule drops
        counts=$(pools_per_name)
        [ "$(twins_in "$counts")" -eq 0 ] || fail "trial $trial: one more apply left twins: $counts"
    fi
    [ "$(printf '%s\n' "$counts" | awk '$2 == 1' | wc -l)" -eq $N ] ||
        fail "trial $trial: not every pool is there exactly once: $counts"
    run_cr 0 plan "$T/m" --detailed-exitcode
done
echo "races (both runs created one pool): $raced of $TRIALS trials; twins deleted by a run:" \
    "$healed_in_run trials; twins reported and healed by one more apply: $reported trials"
[ "$raced" -gt 0 ] || fail "the race never happened: the test proves nothing"

# twin_of NAME [CREATED_BY] [UNAUTH]: a pool of stack default carrying NAME's tags, made as a
# concurrent run (or a person) would; prints its id.
twin_of() {
    local tags="\"cognito-reconcile:stack\":\"default\",\"cognito-reconcile:name\":\"$1\""
    [ "${2:-yes}" = yes ] && tags="$tags,\"cognito-reconcile:created-by\":\"cognito-reconcile\""
    emu_json CreateIdentityPool "{\"IdentityPoolName\":\"$1\",\"AllowUnauthenticatedIdentities\":${3:-false},
      \"AllowClassicFlow\":false,\"IdentityPoolTags\":{$tags}}" "$T/twin.json"
    json_get "$T/twin.json" 'd["IdentityPoolId"]'
}
delete_pool() { emu_json DeleteIdentityPool "{\"IdentityPoolId\":\"$1\"}" "$T/del.json"; }
# bigger A B / smaller A B: of two pool ids, the one the rule drops / keeps.
bigger() { printf '%s\n%s\n' "$1" "$2" | LC_ALL=C sort | tail -1; }
smaller() { printf '%s\n%s\n' "$1" "$2" | LC_ALL=C sort | head -1; }
arn_of() { printf 'arn:aws:cognito-identity:us-east-1:123456789012:identitypool/%s' "$1"; }

step "a later plan proposes the rule's resolution as a DeleteIdentityPool, and apply heals"
emu_reset
run_cr 0 apply "$T/m" --auto-approve
C1=$(pool_id_of c1)
TWIN=$(twin_of c1)
LOSER=$(bigger "$C1" "$TWIN")
run_cr 2 plan "$T/m" --detailed-exitcode --output json
"$PY" -S - "$T/out" "$LOSER" <<'EOF' || fail "the plan does not delete exactly the twin $LOSER: $(cat "$T/out")"
import json, sys
d = json.load(open(sys.argv[1]))
ops = [(o["operation"], o["pool_id"]) for o in d["operations"]]
assert ops == [("DeleteIdentityPool", sys.argv[2])], ops
pool = [p for p in d["pools"] if p.get("pool_id") == sys.argv[2]][0]
assert pool["name"] == "c1" and pool["action"] == "delete" and "twin of" in pool["note"], pool
EOF
run_cr 0 apply "$T/m" --auto-approve
[ "$(pool_id_of c1 | wc -l)" -eq 1 ] || fail "apply did not heal c1: $(pools_per_name)"
[ "$(pool_id_of c1)" != "$LOSER" ] || fail "apply deleted the keeper instead of the twin"
run_cr 0 plan "$T/m" --detailed-exitcode

step "twins the rule may not delete stop the plan with the commands that resolve them; apply writes nothing"
# Ids are random, so the loser may be either pool: whichever it is, it is made "by hand" (its
# created-by tag removed), and a pool holding identities is made the loser by signing in to both.
C1=$(pool_id_of c1)
TWIN=$(twin_of c1)
LOSER=$(bigger "$C1" "$TWIN")
emu_json UntagResource "{\"ResourceArn\":\"$(arn_of "$LOSER")\",
  \"TagKeys\":[\"cognito-reconcile:created-by\"]}" "$T/untag.json"
run_cr 1 plan "$T/m"
expect_in "$T/err" "all claim it by their cognito-reconcile:name tag"
expect_in "$T/err" "$LOSER is not deleted automatically: cognito-reconcile did not create it"
expect_in "$T/err" "aws cognito-identity delete-identity-pool --region us-east-1 --identity-pool-id $LOSER"
mark=$(log_mark)
run_cr 1 apply "$T/m" --auto-approve
expect_writes "$mark" ""
delete_pool "$TWIN"
run_cr 0 plan "$T/m" --detailed-exitcode

# A pool that allows guests, its twin, and an identity in each (GetId as a guest).
pool_yaml u1 | sed 's/allowUnauthenticatedIdentities: false/allowUnauthenticatedIdentities: true/' \
    >"$T/m/u1.yaml"
run_cr 0 apply "$T/m" --auto-approve
U1=$(pool_id_of u1)
TWIN=$(twin_of u1 yes true)
LOSER=$(bigger "$U1" "$TWIN")
KEEPER=$(smaller "$U1" "$TWIN")
for id in "$U1" "$TWIN"; do emu_json GetId "{\"IdentityPoolId\":\"$id\"}" "$T/getid.json"; done
mark=$(log_mark)
run_cr 1 plan "$T/m"
expect_in "$T/err" "$LOSER is not deleted automatically: it holds identities"
expect_in "$T/err" "aws cognito-identity untag-resource --region us-east-1 --resource-arn $(arn_of "$KEEPER")"
[ "$(ops_since "$mark" all | grep -c ListIdentities)" -eq 2 ] ||
    fail "ListIdentities was not read for exactly the two twins: $(ops_since "$mark" all | tr '\n' ' ')"
mark=$(log_mark)
run_cr 1 apply "$T/m" --auto-approve
expect_writes "$mark" ""
delete_pool "$LOSER"
run_cr 0 plan "$T/m" --detailed-exitcode
echo "PASS"
