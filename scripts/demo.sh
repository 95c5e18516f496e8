#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The cognito-reconcile story, end to end, against the local emulator:
#   validate -> plan -> apply -> plan (nothing to do) -> someone edits a pool by hand with the
#   AWS CLI -> drift (exit 2, Markdown report) -> apply repairs it -> drift clean.
# Usage: scripts/demo.sh BUILD_DIR   (`make demo` runs it after building)
# Exits non-zero as soon as a step does not behave as expected.
set -euo pipefail

BUILD=${1:?usage: scripts/demo.sh BUILD_DIR}
BUILD=$(cd "$BUILD" && pwd)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CR="$BUILD/cmd/cognito-reconcile"
EMU="$BUILD/cmd/cognito-identity-local"
AWS=${AWS_CLI:-/usr/bin/aws}
# The manifests: every stack folder of examples/ (one with a cognito-reconcile manifest:
# examples/ci holds CI pipelines, examples/kubernetes and examples/systemd deployments of
# watch), or the folders named in DEMO_MANIFESTS (space-separated).
MANIFESTS=()
if [ -n "${DEMO_MANIFESTS:-}" ]; then
  read -ra MANIFESTS <<<"$DEMO_MANIFESTS"
else
  for dir in "$ROOT"/examples/*/; do
    if grep -qs '^apiVersion: cognito-reconcile/' "$dir"*.yaml; then MANIFESTS+=("$dir"); fi
  done
fi
[ ${#MANIFESTS[@]} -gt 0 ] || { echo "demo: no manifest folders under examples/" >&2; exit 1; }
for i in "${!MANIFESTS[@]}"; do
  [ -d "${MANIFESTS[$i]}" ] || { echo "demo: ${MANIFESTS[$i]} is not a folder" >&2; exit 1; }
  MANIFESTS[$i]=$(cd "${MANIFESTS[$i]}" && pwd)
  # Relative to the repository so commands and file:line locations read "examples/prod/...".
  MANIFESTS[$i]=${MANIFESTS[$i]#$ROOT/}
done
cd "$ROOT"

for bin in "$CR" "$EMU"; do
  [ -x "$bin" ] || { echo "demo: $bin not built (run 'make build' first)" >&2; exit 1; }
done
[ -x "$AWS" ] || AWS=$(command -v aws) || { echo "demo: the AWS CLI is not installed" >&2; exit 1; }

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
  BOLD=$'\033[1m' GREEN=$'\033[32m' RED=$'\033[31m' RESET=$'\033[0m'
else
  BOLD='' GREEN='' RED='' RESET=''
fi
step=0
heading() { step=$((step + 1)); printf '\n%s== %d. %s ==%s\n' "$BOLD" "$step" "$*" "$RESET"; }
say() { printf '%s\n' "$*"; }
ok() { printf '%s-> %s%s\n' "$GREEN" "$*" "$RESET"; }
die() { printf '%sdemo failed: %s%s\n' "$RED" "$*" "$RESET" >&2; exit 1; }

# Runs a command, echoing it, and checks its exit status: expect STATUS CMD...
expect() {
  local want=$1; shift
  printf '%s$ %s%s\n' "$BOLD" "${*/#$CR/cognito-reconcile}" "$RESET"
  local rc=0
  "$@" || rc=$?
  [ "$rc" -eq "$want" ] || die "'${*/#$CR/cognito-reconcile}' exited $rc, expected $want"
  ok "exit status $rc, as expected"
}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/cr-demo.XXXXXX")
EMU_PID=
cleanup() {
  if [ -n "$EMU_PID" ]; then
    kill "$EMU_PID" 2>/dev/null || true
    wait "$EMU_PID" 2>/dev/null || true
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the emulator on a free loopback port ----
"$EMU" --port 0 >"$TMP/emulator.out" 2>"$TMP/emulator.err" &
EMU_PID=$!
URL=
for _ in $(seq 1 100); do
  URL=$(head -n 1 "$TMP/emulator.out" 2>/dev/null | grep -o 'http://[^ ]*' || true)
  [ -n "$URL" ] && break
  kill -0 "$EMU_PID" 2>/dev/null || { cat "$TMP/emulator.err" >&2; die "the emulator exited"; }
  sleep 0.05
done
[ -n "$URL" ] || die "the emulator printed no URL within 5 s"

# ---- fake credentials, in temporary AWS config files (never the user's) ----
cat >"$TMP/credentials" <<'EOF'
[default]
aws_access_key_id = AKIDEMOEXAMPLE000001
aws_secret_access_key = demo/secret/key/not/a/real/one/000000001
EOF
cat >"$TMP/config" <<'EOF'
[default]
region = us-east-1
output = json
EOF
export AWS_SHARED_CREDENTIALS_FILE="$TMP/credentials" AWS_CONFIG_FILE="$TMP/config"
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE AWS_DEFAULT_PROFILE \
  AWS_ROLE_ARN AWS_WEB_IDENTITY_TOKEN_FILE AWS_ENDPOINT_URL AWS_ENDPOINT_URL_COGNITO_IDENTITY \
  AWS_REGION AWS_DEFAULT_REGION
export AWS_PAGER=''
EP=(--endpoint-url "$URL")

say "${BOLD}cognito-reconcile demo${RESET}: the emulator listens on $URL"
say "manifests: ${MANIFESTS[*]}"

heading "validate the manifests offline (pre-commit)"
expect 0 "$CR" validate "${MANIFESTS[@]}"

heading "plan: what would change (pull request)"
expect 2 "$CR" plan "${MANIFESTS[@]}" "${EP[@]}" --detailed-exitcode

heading "apply the plan (merge)"
expect 0 "$CR" apply "${MANIFESTS[@]}" "${EP[@]}" --auto-approve

heading "plan again: nothing to do"
expect 0 "$CR" plan "${MANIFESTS[@]}" "${EP[@]}" --detailed-exitcode

heading "someone edits a pool by hand with the AWS CLI"
# (The pool id from our own JSON plan: one AWS CLI start-up fewer than list-identity-pools.)
POOL_ID=$("$CR" plan "${MANIFESTS[@]}" "${EP[@]}" --output json 2>/dev/null |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["pools"][0]["pool_id"] or "")')
[ -n "$POOL_ID" ] || die "the apply created no pool"
printf '%s$ aws cognito-identity describe-identity-pool --identity-pool-id %s --endpoint-url %s > pool.json%s\n' \
  "$BOLD" "$POOL_ID" "$URL" "$RESET"
"$AWS" cognito-identity describe-identity-pool --identity-pool-id "$POOL_ID" "${EP[@]}" \
  >"$TMP/pool.json"
# Rename the pool and flip AllowUnauthenticatedIdentities; everything else stays as described.
python3 - "$TMP/pool.json" >"$TMP/edited.json" <<'EOF'
import json, sys
pool = json.load(open(sys.argv[1]))
pool["IdentityPoolName"] = (pool["IdentityPoolName"] + " edited-by-hand")[:128]
pool["AllowUnauthenticatedIdentities"] = not pool["AllowUnauthenticatedIdentities"]
pool.pop("IdentityPoolTags", None)
json.dump(pool, sys.stdout)
EOF
printf '%s$ aws cognito-identity update-identity-pool --cli-input-json file://edited.json --endpoint-url %s%s\n' \
  "$BOLD" "$URL" "$RESET"
"$AWS" cognito-identity update-identity-pool --cli-input-json "file://$TMP/edited.json" "${EP[@]}" \
  --query '[IdentityPoolName, AllowUnauthenticatedIdentities]' --output text
ok "pool $POOL_ID renamed and AllowUnauthenticatedIdentities flipped behind our back"

heading "nightly drift check notices it (exit 2, Markdown for the CI summary)"
expect 2 "$CR" drift "${MANIFESTS[@]}" "${EP[@]}" --output markdown

heading "apply repairs the pool"
expect 0 "$CR" apply "${MANIFESTS[@]}" "${EP[@]}" --auto-approve

heading "drift check is clean again"
expect 0 "$CR" drift "${MANIFESTS[@]}" "${EP[@]}"

printf '\n%sdemo complete: every step behaved as expected.%s\n' "$GREEN" "$RESET"
