#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/quota: fast against the real limit. BENCH_POOLS (1000) managed pools in
# cognito-identity-local with the service's request-rate quotas (--quotas aws: the table the
# client paces by, aws/quotas.c). Measured side by side in one run, each against its quota
# bound (the slowest bucket per phase: calls / rate, buckets of different operations and regions
# in parallel; docs/performance.md):
#   1. `plan`: within 1.15x the bound, at most 1% of its calls throttled;
#   2. the same read by the peers a user would write instead -- boto3 (16 threads, standard
#      retries) and the JS SDK v3 (16 promises) -- timed, throttled calls counted;
#   3. `apply` of BENCH_POOLS changes (one UpdateIdentityPool each): within 1.2x its bound;
#   4. `plan` against a service allowing half the client's table: the adaptive rate control
#      converges (at most 5% throttled).
# Usage: bench/quota/run.sh BUILD_DIR      Exit 1 when a target is missed.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../quota_lib.sh"
qb_init "${1:?usage: bench/quota/run.sh BUILD_DIR}" quota
N=${BENCH_POOLS:-1000}
PAR=${BENCH_PARALLELISM:-16}

qb_emulator --max-pools $((N + 10)) --threads 8
qb_manifests "$QB_TMP/m" "$N" 1
qb_manifests "$QB_TMP/m2" "$N" 1 renamed
echo "bench/quota: creating $N managed pools (no quotas yet)..." >&2
qb_seed "$QB_TMP/m"

results=()
# measure NAME QUOTAS CMD...: one measured run against fresh buckets.
measure() {
  local name=$1 quotas=$2
  shift 2
  qb_quotas "$quotas"
  qb_run "$QB_TMP/$name.out" "$@"
  read -r bound throttled attempts _ < <(qb_bound)
  results+=("$name $QB_MS $bound $throttled $attempts $QB_RC")
  echo "  $name: $((QB_MS / 1000)).$(( (QB_MS % 1000) / 100 )) s, bound $bound s," \
    "$throttled of $attempts calls throttled (exit $QB_RC)" >&2
}

echo "bench/quota: plan, quotas as published (aws profile)..." >&2
measure plan '{"profile":"aws"}' \
  "$QB_CR" plan "$QB_TMP/m" --endpoint-url "$EMU_URL" --parallelism "$PAR" --detailed-exitcode

echo "bench/quota: boto3 peer..." >&2
measure boto3 '{"profile":"aws"}' "$QB_PY" "$HERE/peer_boto3.py" "$EMU_URL" 16
modules="$QB_ROOT/tests/node_modules"
if [ ! -d "$modules/@aws-sdk/client-cognito-identity" ]; then
  "$QB_ROOT/scripts/npm-deps.sh" >/dev/null 2>&1 || true
fi
if command -v node >/dev/null && [ -d "$modules/@aws-sdk/client-cognito-identity" ]; then
  echo "bench/quota: JS SDK v3 peer..." >&2
  measure sdk_js_v3 '{"profile":"aws"}' node "$HERE/peer_sdk_v3.mjs" "$EMU_URL" "$modules" 16
else
  echo "bench/quota: JS SDK v3 peer skipped (node or tests/node_modules missing)" >&2
fi

echo "bench/quota: apply of $N renames..." >&2
measure apply '{"profile":"aws"}' \
  "$QB_CR" apply "$QB_TMP/m2" --endpoint-url "$EMU_URL" --parallelism "$PAR" --auto-approve

echo "bench/quota: plan against half the client's table (adaptive rate control)..." >&2
measure plan_half '{"profile":"aws","scale":0.5}' \
  "$QB_CR" plan "$QB_TMP/m2" --endpoint-url "$EMU_URL" --parallelism "$PAR" --detailed-exitcode

boto3_line=$(cat "$QB_TMP/boto3.out" 2>/dev/null || true)
js_line=$(cat "$QB_TMP/sdk_js_v3.out" 2>/dev/null || true)
"$QB_PY" - "$N" "$boto3_line" "$js_line" "${results[@]}" <<'PYEOF'
import sys
n, boto3_line, js_line = int(sys.argv[1]), sys.argv[2], sys.argv[3]
runs = {}
for r in sys.argv[4:]:
    name, ms, bound, thr, att, rc = r.split()
    runs[name] = dict(s=int(ms) / 1000, bound=float(bound), thr=int(thr), att=int(att), rc=int(rc))
ok = True
def judged(name, label, target_ratio, target_thr, expect_rc):
    global ok
    r = runs[name]
    ratio = r["s"] / r["bound"] if r["bound"] > 0 else float("inf")
    share = r["thr"] / r["att"] if r["att"] else 0.0
    good = ratio <= target_ratio and share <= target_thr and r["rc"] == expect_rc
    ok = ok and good
    exit_note = "" if r["rc"] == expect_rc else ", exit %d" % r["rc"]
    print(f"  {label:<40} {r['s']:7.2f} s  bound {r['bound']:7.2f} s  {ratio:5.2f}x  "
          f"throttled {r['thr']}/{r['att']} ({share:.2%})  -> {'PASS' if good else 'FAIL'} "
          f"(target <= {target_ratio}x, <= {target_thr:.0%} throttled{exit_note})")
    return ratio
def peer(name, label, line):
    r = runs.get(name)
    if r is None:
        print(f"  {label:<40} not run")
        return
    f = dict(kv.split("=") for kv in line.split()[1:]) if line else {}
    share = r["thr"] / r["att"] if r["att"] else 0.0
    print(f"  {label:<40} {r['s']:7.2f} s  {f.get('described', '?')} of {f.get('pools', '?')} "
          f"pools read, {f.get('failed', '?')} given up after its retries; "
          f"throttled {r['thr']}/{r['att']} ({share:.2%})")
print(f"bench/quota: {n} managed pools, cognito-identity-local --quotas aws "
      f"(DescribeIdentityPool 15/s, UpdateIdentityPool 15/s, ListIdentityPools 5/s); the bound "
      f"is the slowest bucket per phase, calls / rate")
judged("plan", "cognito-reconcile plan", 1.15, 0.01, 0)
peer("boto3", "boto3, 16 threads, standard retries", boto3_line)
peer("sdk_js_v3", "JS SDK v3, 16 promises, default retries", js_line)
judged("apply", f"cognito-reconcile apply ({n} renames)", 1.2, 0.01, 0)
judged("plan_half", "plan, service at half the table (adaptive)", 1.3, 0.05, 0)
print(f"  result: {'PASS' if ok else 'FAIL'}")
sys.exit(0 if ok else 1)
PYEOF
