# SPDX-License-Identifier: Apache-2.0
# Shared by bench/quota and bench/scale (sourced): an emulator with request-rate quotas, N
# managed pools over R regions, and the quota bound of what a command did.
#
#   . "$ROOT/bench/quota_lib.sh"; qb_init BUILD_DIR NAME     # sets QB_TMP, QB_CR, fake creds
#   qb_emulator [flags...]                                   # EMU_URL (stopped on exit)
#   qb_accounts                                              # QB_EMU_CREDENTIALS: 3 accounts
#   qb_manifests DIR N REGIONS [VARIANT] [ACCOUNTS]          # N pools over regions x accounts
#   qb_seed DIR                                              # apply them, no quotas, fast
#   qb_quotas '{"profile":"aws"}'                            # set (and reset the counters)
#   qb_run OUT CMD...                                        # QB_MS, QB_RSS_KB of CMD
#   qb_bound                                                 # "bound_s throttled total serial_s"
# Nothing here reaches AWS: fake keys, empty config, the emulator's URL only.

qb_init() {
  QB_BUILD=$(cd "$1" && pwd)
  QB_NAME=$2
  QB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  QB_CR="$QB_BUILD/cmd/cognito-reconcile"
  QB_PY=/usr/bin/python3
  [ -x "$QB_PY" ] || QB_PY=$(command -v python3)
  export CR_BIN_DIR="$QB_BUILD/cmd"
  . "$QB_ROOT/tests/support/emulator.sh"
  QB_TMP=$(mktemp -d "${TMPDIR:-/tmp}/cr-bench-$QB_NAME.XXXXXX")
  trap 'emu_stop || true; rm -rf "$QB_TMP"' EXIT
  unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ROLE_ARN AWS_WEB_IDENTITY_TOKEN_FILE AWS_ENDPOINT_URL \
    AWS_ENDPOINT_URL_COGNITO_IDENTITY AWS_ENDPOINT_URL_STS AWS_RETRY_MODE AWS_MAX_ATTEMPTS \
    COGNITO_RECONCILE_RATE_LIMITS
  export AWS_ACCESS_KEY_ID=AKIDBENCHQUOTA000001 AWS_SECRET_ACCESS_KEY=bench/quota/secret/key/00000000
  export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_PAGER="" AWS_EC2_METADATA_DISABLED=true
  : >"$QB_TMP/config"
  : >"$QB_TMP/credentials"
  export AWS_CONFIG_FILE="$QB_TMP/config" AWS_SHARED_CREDENTIALS_FILE="$QB_TMP/credentials" NO_COLOR=1
}

qb_emulator() {
  emu_start "$@" || exit 1
}

# qb_accounts: three AWS accounts as a user has them: one profile each in the AWS config (keys
# of its own), and the emulator's --credentials file ($QB_EMU_CREDENTIALS) that says which
# account each key belongs to, so the emulator keeps pools and quota buckets per account as
# AWS does. The default key (pools without metadata.account) is account 123456789012. Call
# before qb_emulator, and give it --credentials "$QB_EMU_CREDENTIALS".
QB_ACCOUNT_IDS=(111111111111 222222222222 333333333333)
qb_accounts() {
  QB_EMU_CREDENTIALS="$QB_TMP/emu-credentials"
  printf '%s %s 123456789012\n' "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" >"$QB_EMU_CREDENTIALS"
  : >"$AWS_CONFIG_FILE"
  local i
  for i in 0 1 2; do
    printf 'AKIDBENCHACCOUNT%04d bench/account/%d/secret/000000000000 %s\n' "$i" "$i" \
      "${QB_ACCOUNT_IDS[$i]}" >>"$QB_EMU_CREDENTIALS"
    printf '[profile bench-%d]\naws_access_key_id = AKIDBENCHACCOUNT%04d\n' "$i" "$i" >>"$AWS_CONFIG_FILE"
    printf 'aws_secret_access_key = bench/account/%d/secret/000000000000\n' "$i" >>"$AWS_CONFIG_FILE"
  done
}

# qb_manifests DIR N REGIONS [VARIANT] [ACCOUNTS]: N pools, pool i in region i % REGIONS of a
# fixed list and, with ACCOUNTS > 1 (qb_accounts first), in account (i / REGIONS) % ACCOUNTS
# (kind: Account documents for the profiles bench-0.., so every (account, region) holds an
# equal share); VARIANT "renamed" changes every pool's identityPoolName (one UpdateIdentityPool
# each).
qb_manifests() {
  "$QB_PY" - "$1" "$2" "$3" "${4:-}" "${5:-1}" "${QB_ACCOUNT_IDS[@]}" <<'PYEOF'
import os, sys
out, n, nregions, variant, naccounts = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    sys.argv[4], int(sys.argv[5])
account_ids = sys.argv[6:]
regions = ["us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-west-2",
           "eu-central-1", "ap-northeast-1", "ap-southeast-1", "ap-southeast-2"][:nregions]
os.makedirs(out, exist_ok=True)
if naccounts > 1:
    with open(os.path.join(out, "accounts.yaml"), "w") as fp:
        for a in range(naccounts):
            fp.write(f"""---
apiVersion: cognito-reconcile/v1
kind: Account
metadata:
  name: bench-{a}
spec:
  accountId: "{account_ids[a]}"
  profile: bench-{a}
""")
per = max(1, n // 10)
for f in range(0, n, per):
    with open(os.path.join(out, f"pools-{f // per:03d}.yaml"), "w") as fp:
        for i in range(f, min(n, f + per)):
            name = f"Bench Pool {i:05d}" + (" v2" if variant == "renamed" else "")
            account = f"\n  account: bench-{(i // len(regions)) % naccounts}" if naccounts > 1 else ""
            fp.write(f"""---
apiVersion: cognito-reconcile/v1
kind: IdentityPool
metadata:
  name: pool-{i:05d}
  region: {regions[i % len(regions)]}{account}
spec:
  identityPoolName: {name}
  allowUnauthenticatedIdentities: false
  tags: {{bench: quota}}
""")
PYEOF
}

# qb_seed DIR: creates the pools without quotas (the emulator has none yet) at full speed.
qb_seed() {
  "$QB_CR" apply "$1" --endpoint-url "$EMU_URL" --auto-approve --parallelism 32 --quiet \
    --rate-limit '*=unlimited' >"$QB_TMP/seed.out" 2>"$QB_TMP/seed.err" ||
    { cat "$QB_TMP/seed.err" >&2; exit 1; }
}

qb_quotas() {
  curl -sf --max-time 10 -X POST -H 'Content-Type: application/json' --data "$1" \
    "$EMU_URL/_local/quotas" >/dev/null || { echo "bench: POST /_local/quotas failed" >&2; exit 1; }
}

# qb_run OUT CMD...: runs CMD (stdout to OUT, stderr to OUT.err); QB_MS and QB_RSS_KB; QB_RC.
qb_run() {
  local out=$1
  shift
  QB_RC=0
  /usr/bin/time -o "$out.time" -f "%e %M" "$@" >"$out" 2>"$out.err" || QB_RC=$?
  read -r secs QB_RSS_KB < <(tail -1 "$out.time")
  QB_MS=$(awk -v s="$secs" 'BEGIN { printf "%d", s * 1000 }')
}

# qb_bound: from GET /_local/quotas (the counters since the last qb_quotas), prints
# "BOUND_S THROTTLED ATTEMPTS SERIAL_S": the quota bound of what was served -- per phase (reads, then
# writes: apply reads everything before it writes) the slowest bucket, calls / rate, buckets of
# different operations, regions and accounts running in parallel -- summed over the phases;
# the throttled attempts out of all; and SERIAL_S, the bound if the (account, region) pairs were
# read one after another instead of at once (their bounds summed). (A client could beat the bound by the bucket's burst,
# one second's worth here, by sending that many at once at the start; ours paces from the
# first call.)
qb_bound() {
  curl -sf --max-time 10 "$EMU_URL/_local/quotas" | "$QB_PY" -c '
import json, sys
q = json.load(sys.stdin)
rates = {r["operation"]: r["rate"] for r in q["rates"]}
writes = {"CreateIdentityPool", "UpdateIdentityPool", "DeleteIdentityPool", "SetIdentityPoolRoles",
          "SetPrincipalTagAttributeMap", "TagResource", "UntagResource"}
phase = {"read": 0.0, "write": 0.0}
pair = {}  # (account, region, phase) -> its slowest bucket
throttled = attempts = 0
for b in q["buckets"]:
    rate = rates.get(b["operation"], 0)
    throttled += b["throttled"]
    attempts += b["allowed"] + b["throttled"]
    if rate > 0:
        p = "write" if b["operation"] in writes else "read"
        phase[p] = max(phase[p], b["allowed"] / rate)
        k = (b["account"], b["region"], p)
        pair[k] = max(pair.get(k, 0.0), b["allowed"] / rate)
print("%.3f %d %d %.3f" % (phase["read"] + phase["write"], throttled, attempts, sum(pair.values())))'
}
