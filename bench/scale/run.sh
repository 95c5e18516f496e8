#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/scale: how plan's time and memory grow with the number of pools, against a service that
# enforces its request-rate quotas (cognito-identity-local --quotas aws). BENCH_SIZES lists the
# runs as N[:REGIONS[:ACCOUNTS]]; default "100 1000 10000:10:3": the largest is spread over 10
# regions and 3 accounts (kind: Account documents, one AWS profile each; the emulator knows
# each key's account from --credentials and keeps pools and quotas per account and region, as
# AWS does). Each plan's time is judged against its quota bound -- the slowest bucket (account,
# region, operation): calls / rate, accounts and regions in parallel, not summed -- and must
# stay within 1.15x of it; peak memory (RSS) must grow linearly: the bytes per pool between the
# two largest sizes under 16 KiB. Usage: bench/scale/run.sh BUILD_DIR    Exit 1 on a missed target.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../quota_lib.sh"
qb_init "${1:?usage: bench/scale/run.sh BUILD_DIR}" scale
SIZES=${BENCH_SIZES:-"100 1000 10000:10:3"}
PAR=${BENCH_PARALLELISM:-16}

# one emulator plays the 10 regional endpoints of 3 accounts, which in AWS are different hosts
# and quotas: it lets one client hold every (account, region)'s connections (30 x --parallelism,
# more than its default 256)
qb_accounts
qb_emulator --max-pools 2000 --threads 8 --max-connections 4000 --max-connections-per-client 2000 \
  --credentials "$QB_EMU_CREDENTIALS"
export AWS_ENDPOINT_URL_STS="$EMU_URL" # the accounts' guard (GetCallerIdentity) asks it too
rows=()
for size in $SIZES; do
  IFS=: read -r n regions accounts <<<"$size"
  regions=${regions:-1} accounts=${accounts:-1}
  [[ "$n$regions$accounts" =~ ^[0-9]+$ && $regions -ge 1 && $regions -le 10 && $accounts -ge 1 &&
     $accounts -le 3 ]] || { echo "bench/scale: '$size': expected N[:REGIONS(1-10)[:ACCOUNTS(1-3)]]" >&2; exit 2; }
  m="$QB_TMP/m$n-$regions-$accounts"
  qb_manifests "$m" "$n" "$regions" "" "$accounts"
  echo "bench/scale: $n pools in $regions region(s) of $accounts account(s): creating (no quotas)..." >&2
  emu_reset
  qb_seed "$m"
  echo "bench/scale: $n pools: plan against the quotas..." >&2
  qb_quotas '{"profile":"aws"}'
  qb_run "$m.plan" "$QB_CR" plan "$m" --endpoint-url "$EMU_URL" \
    --parallelism "$PAR" --detailed-exitcode --quiet
  [ "$QB_RC" -eq 0 ] || { echo "bench/scale: plan of $size exited $QB_RC" >&2;
    cat "$m.plan.err" >&2; exit 1; }
  read -r bound throttled attempts serial < <(qb_bound)
  rows+=("$n $regions $accounts $QB_MS $QB_RSS_KB $bound $throttled $attempts $serial")
  qb_quotas '{}'
done

"$QB_PY" - "${rows[@]}" <<'PYEOF'
import sys
rows = [list(map(float, r.split())) for r in sys.argv[1:]]
ok = True
print("bench/scale: plan against cognito-identity-local --quotas aws, accounts and regions read at "
      "once")
print(f"  {'pools':>6} {'regions':>7} {'accounts':>8} {'time s':>8} {'bound s':>8} {'ratio':>6} "
      f"{'serial s':>9} {'throttled':>11} {'peak RSS':>10} {'per pool':>9}")
for n, regions, accounts, ms, kb, bound, thr, att, serial in rows:
    ratio = ms / 1000 / bound if bound > 0 else float("inf")
    good = ratio <= 1.15
    ok = ok and good
    print(f"  {int(n):6d} {int(regions):7d} {int(accounts):8d} {ms / 1000:8.2f} {bound:8.2f} "
          f"{ratio:5.2f}x {serial:9.2f} {int(thr):5d}/{int(att):<5d} {kb / 1024:8.1f} MiB "
          f"{kb * 1024 / n / 1024:6.1f} KiB{'' if good else '  OVER 1.15x'}")
print("  (serial s: the bound if the (account, region) pairs were read one after another)")
# memory per pool between the largest run of each of the two largest sizes
by_size = {}
for r in rows:
    by_size[r[0]] = r
rows = sorted(by_size.values())
if len(rows) >= 2:
    (n1, _, _, _, k1, *_), (n2, _, _, _, k2, *_) = rows[-2], rows[-1]
    slope = (k2 - k1) * 1024 / (n2 - n1)
    grows = slope < 16 * 1024
    ok = ok and grows
    print(f"  memory: {slope / 1024:.1f} KiB per pool between {int(n1)} and {int(n2)} pools "
          f"(target < 16 KiB: {'met' if grows else 'MISSED'})")
    if len(rows) >= 3:
        (n0, _, _, _, k0, *_) = rows[-3]
        s0 = (k1 - k0) * 1024 / (n1 - n0)
        print(f"          {s0 / 1024:.1f} KiB per pool between {int(n0)} and {int(n1)} pools")
print(f"  result: {'PASS' if ok else 'FAIL'}")
sys.exit(0 if ok else 1)
PYEOF
