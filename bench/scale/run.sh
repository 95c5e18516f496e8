#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/scale: how plan's time and memory grow with the number of pools, against a service that
# enforces its request-rate quotas (cognito-identity-local --quotas aws). Sizes BENCH_SIZES
# ("100 1000 10000"); the largest is spread over 10 regions (each region has its own quotas,
# read at once). Each plan's time is judged against its quota bound -- the slowest bucket
# (region, operation): calls / rate, regions in parallel, not summed -- and must stay
# within 1.15x of it; peak memory (RSS) must grow linearly: the bytes per pool between the two
# largest sizes under 16 KiB. Usage: bench/scale/run.sh BUILD_DIR    Exit 1 on a missed target.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../quota_lib.sh"
qb_init "${1:?usage: bench/scale/run.sh BUILD_DIR}" scale
SIZES=${BENCH_SIZES:-"100 1000 10000"}
PAR=${BENCH_PARALLELISM:-16}
largest=$(printf '%s\n' $SIZES | sort -n | tail -1)

# one emulator plays the 10 regional endpoints, which in AWS are different hosts: it lets one
# client hold each region's connections (10 x --parallelism, more than its default 256)
qb_emulator --max-pools 2000 --threads 8 --max-connections 4000 --max-connections-per-client 2000
rows=()
for n in $SIZES; do
  regions=1
  [ "$n" -ge 10000 ] && regions=10
  qb_manifests "$QB_TMP/m$n" "$n" "$regions"
  echo "bench/scale: $n pools in $regions region(s): creating (no quotas)..." >&2
  emu_reset
  qb_seed "$QB_TMP/m$n"
  echo "bench/scale: $n pools: plan against the quotas..." >&2
  qb_quotas '{"profile":"aws"}'
  qb_run "$QB_TMP/plan$n" "$QB_CR" plan "$QB_TMP/m$n" --endpoint-url "$EMU_URL" \
    --parallelism "$PAR" --detailed-exitcode --quiet
  [ "$QB_RC" -eq 0 ] || { echo "bench/scale: plan of $n pools exited $QB_RC" >&2;
    cat "$QB_TMP/plan$n.err" >&2; exit 1; }
  read -r bound throttled attempts < <(qb_bound)
  rows+=("$n $regions $QB_MS $QB_RSS_KB $bound $throttled $attempts")
  qb_quotas '{}'
done

"$QB_PY" - "${rows[@]}" <<'PYEOF'
import sys
rows = [list(map(float, r.split())) for r in sys.argv[1:]]
ok = True
print("bench/scale: plan against cognito-identity-local --quotas aws, regions read at once")
print(f"  {'pools':>6} {'regions':>7} {'time s':>8} {'bound s':>8} {'ratio':>6} {'throttled':>10} "
      f"{'peak RSS':>10} {'per pool':>9}")
for n, regions, ms, kb, bound, thr, att in rows:
    ratio = ms / 1000 / bound if bound > 0 else float("inf")
    good = ratio <= 1.15
    ok = ok and good
    print(f"  {int(n):6d} {int(regions):7d} {ms / 1000:8.2f} {bound:8.2f} {ratio:5.2f}x "
          f"{int(thr):5d}/{int(att):<5d} {kb / 1024:8.1f} MiB {kb * 1024 / n / 1024:6.1f} KiB"
          f"{'' if good else '  OVER 1.15x'}")
rows.sort()
if len(rows) >= 2:
    (n1, _, _, k1, *_), (n2, _, _, k2, *_) = rows[-2], rows[-1]
    slope = (k2 - k1) * 1024 / (n2 - n1)
    grows = slope < 16 * 1024
    ok = ok and grows
    print(f"  memory: {slope / 1024:.1f} KiB per pool between {int(n1)} and {int(n2)} pools "
          f"(target < 16 KiB: {'met' if grows else 'MISSED'})")
    if len(rows) >= 3:
        (n0, _, _, k0, *_) = rows[-3]
        s0 = (k1 - k0) * 1024 / (n1 - n0)
        print(f"          {s0 / 1024:.1f} KiB per pool between {int(n0)} and {int(n1)} pools")
print(f"  result: {'PASS' if ok else 'FAIL'}")
sys.exit(0 if ok else 1)
PYEOF
