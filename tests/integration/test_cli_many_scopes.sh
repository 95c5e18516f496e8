#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every account and region of a run is read at once (docs/plan.md "Accounts"), however many
# there are: a stack over 24 regions (more than a thread pool of 16 would hold), each region's
# ListIdentityPools held LATENCY ms by the emulator. Read at once, every region's list is
# answered within the same LATENCY window; read in waves of 16, the 17th region's list could
# not even start before a first region finished, a whole LATENCY later. Checked for plan
# (drift reads the same way) and for export --id (one scope per region the ids name, each
# DescribeIdentityPool held).
. "$CR_SOURCE_DIR/tests/integration/cli_lib.sh"
cli_setup

LATENCY=1500
REGIONS=(af-south-1 ap-east-1 ap-northeast-1 ap-northeast-2 ap-northeast-3 ap-south-1
    ap-southeast-1 ap-southeast-2 ap-southeast-3 ca-central-1 eu-central-1 eu-central-2
    eu-north-1 eu-south-1 eu-west-1 eu-west-2 eu-west-3 me-central-1 me-south-1 sa-east-1
    us-east-1 us-east-2 us-west-1 us-west-2)
for r in "${REGIONS[@]}"; do
    pool_yaml "p-$r" | sed "s/region: us-east-1/region: $r/" >"$T/m/$r.yaml"
done

step "apply creates one pool in each of ${#REGIONS[@]} regions"
run_cr 0 apply "$T/m" --auto-approve --quiet --output json
mapfile -t IDS < <("$PY" -c '
import json, sys
for p in json.load(open(sys.argv[1]))["apply"]["operations"]:
    print(p["pool_id"])' "$T/out")
[ "${#IDS[@]}" -eq "${#REGIONS[@]}" ] || fail "apply reported ${#IDS[@]} pools, expected ${#REGIONS[@]}"

# spread_since MARK OP: in how many regions OP was answered since MARK, and the time between
# the first and the last answer (ms)
spread_since() {
    emu_requests "$1" | "$PY" -c '
import json, sys
calls = [e for e in json.load(sys.stdin)["requests"] if e["operation"] == sys.argv[1]]
regions = {e.get("region") for e in calls}
times = [e["time_ms"] for e in calls]
print(len(regions), max(times) - min(times) if times else -1, len(calls))' "$2"
}

# expect_at_once WHAT MARK OP: OP answered once in every region, all within half a LATENCY
expect_at_once() {
    local regions spread calls
    read -r regions spread calls < <(spread_since "$2" "$3")
    [ "$regions" -eq "${#REGIONS[@]}" ] || fail "$1 called $3 in $regions regions, expected ${#REGIONS[@]}"
    [ "$calls" -eq "${#REGIONS[@]}" ] ||
        fail "$1 made $calls $3 calls, expected ${#REGIONS[@]} (one per region)"
    [ "$spread" -lt $((LATENCY / 2)) ] ||
        fail "$1: the regions' $3 calls were answered over $spread ms (each held $LATENCY ms): the regions were not all read at once"
}

step "plan reads the ${#REGIONS[@]} regions at once and finds nothing to do"
emu_faults "[{\"operation\":\"ListIdentityPools\",\"latency_ms\":$LATENCY}]" ||
    fail "cannot set the latency"
mark=$(log_mark)
run_cr 0 plan "$T/m" --detailed-exitcode --quiet
expect_in "$T/out" "No changes."
expect_at_once plan "$mark" ListIdentityPools

step "export --id of a pool in each region reads the regions at once too"
emu_faults "[{\"operation\":\"DescribeIdentityPool\",\"latency_ms\":$LATENCY}]" ||
    fail "cannot set the latency"
args=()
for id in "${IDS[@]}"; do args+=(--id "$id"); done
mark=$(log_mark)
run_cr 0 export "${args[@]}" --quiet
count=$(grep -c '^kind: IdentityPool' "$T/out" || true)
[ "$count" -eq "${#REGIONS[@]}" ] || fail "export wrote $count pools, expected ${#REGIONS[@]}"
expect_at_once export "$mark" DescribeIdentityPool
echo "PASS"
