#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Soak: cognito-reconcile watch runs N cycles (--interval 100ms) against an emulator that
# throttles, fails and drops calls at random, while commits land and pools are edited by hand.
# It must end converged once the faults stop (drift exits 0, one pool per name: no twin), with
# bounded memory: the resident set size at cycle 10 and at cycle N is printed, and the second
# may exceed the first by at most 16 MiB (an upper bound: a leak of one cycle's state, a few
# hundred KiB, over the run would pass it).
# N is CR_SOAK_CYCLES: 200 by default, issue 15's run and the size of make test (about 50 s; the
# faults' retries and backoffs, not the CPU, set the pace); a larger number soaks longer, and
# 60 is the least (docs/watch.md "Tests"). make sanitize runs 80 (tests/CMakeLists.txt).
. "$CR_SOURCE_DIR/tests/integration/cli_lib.sh"
cli_setup --fault '*:throttle=0.08' --fault '*:error=0.04' --fault '*:drop=0.02'
. "$CR_SOURCE_DIR/tests/integration/watch_lib.sh"
repo_init
for p in web api admin; do
    pool_yaml "$p" >"$T/work/$p.yaml"
done
commit_file envs/README "soak" "three pools" >/dev/null

N=${CR_SOAK_CYCLES:-200}
case $N in '' | *[!0-9]*) fail "CR_SOAK_CYCLES=$N: a number of cycles (60 or more)" ;; esac
[ "$N" -ge 60 ] || fail "CR_SOAK_CYCLES=$N: 60 or more (four rounds of edits after cycle 10)"
EVERY=$(((N - 10) / 5))
cycles() { status_field s 'sum(d["cycles"].values())'; }
rss_kib() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/${W_PID[s]}/status"; }
cycles_at_least() { [ "$(cycles)" -ge "$1" ]; }

step "$N cycles under injected faults, with commits and hand edits"
# Under AddressSanitizer (make sanitize) freed memory waits in a quarantine of up to 256 MiB,
# which would read as growth: none for the watcher (leak detection stays on).
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0" \
    watch_start s --git-url "file://$T/remote.git" --interval 100ms --timeout 2 --prune .
wait_for 120 "cycle 10" cycles_at_least 10
rss10=$(rss_kib)
for round in 1 2 3 4; do
    wait_for $((EVERY * 2 + 60)) "cycle $((10 + round * EVERY))" cycles_at_least $((10 + round * EVERY))
    id=$(pool_id_of web | head -1)
    [ -z "$id" ] || emu_call UpdateIdentityPool \
        "{\"IdentityPoolId\":\"$id\",\"IdentityPoolName\":\"hand-$round\",\"AllowUnauthenticatedIdentities\":true}" \
        >/dev/null || true # a fault may refuse the hand edit too
    # and a burst no retry absorbs: two cycles in a row fail, then it passes
    emu_faults '[{"operation":"ListIdentityPools","error":1,"count":12},
        {"operation":"*","throttle":0.08},{"operation":"*","error":0.04},{"operation":"*","drop":0.02}]' ||
        fail "setting the faults"
    commit_file "api.yaml" "$(pool_yaml api | sed "s/identityPoolName: api/identityPoolName: api-v$round/")" \
        "api v$round" >/dev/null
done
wait_for $((EVERY * 2 + 60)) "cycle $N" cycles_at_least "$N"
rssN=$(rss_kib)
echo "RSS at cycle 10: ${rss10} KiB; at cycle $N: ${rssN} KiB"
[ "$rssN" -le $((rss10 + 16384)) ] || fail "memory grew from ${rss10} KiB to ${rssN} KiB"
status_field s 'd["cycles"]'

step "faults off: converged within a few cycles, no twin"
emu_faults '[]' || fail "clearing the faults"
head=$(git -C "$T/work" rev-parse HEAD)
ok() { field_is s '[d["last_cycle"]["result"], d["revision"], d["drifted_pools"]]' "[\"success\", \"$head\", []]"; }
wait_for 90 "a clean cycle at $head" ok
for p in web api admin; do
    [ "$(pool_id_of "$p" | wc -l)" -eq 1 ] || fail "pool $p: $(pool_id_of "$p" | wc -l) pools (twins?)"
done
git -C "$T/work" checkout -q "$head"
(cd "$T/work" && run_cr 0 drift --git-ref "$head" .)
[ "$(status_field s 'd["cycles"]["failed"] > 0')" = true ] || fail "the faults never failed a cycle"
watch_stop s
[ "$W_RC" = 0 ] || fail "exit status $W_RC after SIGTERM"
echo "PASS"
