#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# --target NAME (issue 10, Terraform's -target) against the emulator: plan, apply and drift
# limited to the targeted pools; --prune with --target deletes only targeted pools; a target
# that matches nothing is an error before any call; a saved plan cannot be re-targeted.
. "$CR_SOURCE_DIR/tests/integration/cli_lib.sh"
cli_setup

for name in web web-admin api; do pool_yaml "$name" >"$T/m/$name.yaml"; done
run_cr 0 apply "$T/m" --auto-approve
WEB=$(pool_id_of web)
API=$(pool_id_of api)
ADMIN=$(pool_id_of web-admin)
[ -n "$WEB" ] && [ -n "$API" ] && [ -n "$ADMIN" ] || fail "the three pools were not created"

step "two pools edited by hand; plan --target shows only the targeted one"
for id in "$WEB" "$API"; do
    emu_json UpdateIdentityPool "{\"IdentityPoolId\":\"$id\",\"IdentityPoolName\":\"Hand\",\"AllowUnauthenticatedIdentities\":false}" "$T/u.json"
done
run_cr 2 plan "$T/m" --target web --detailed-exitcode --output json
json_get "$T/out" '[(p["name"], p["action"]) for p in d["pools"]]' >"$T/pools"
[ "$(cat "$T/pools")" = '[["web", "update"]]' ] || fail "plan --target web: $(cat "$T/pools")"
expect_in "$T/err" "note: --target web: only the pools named so are planned"
run_cr 2 plan "$T/m" --target 'web*' --target api --detailed-exitcode --output json
json_get "$T/out" 'sorted(p["name"] for p in d["pools"])' >"$T/pools"
[ "$(cat "$T/pools")" = '["api", "web", "web-admin"]' ] || fail "two targets: $(cat "$T/pools")"

step "apply --target changes only the targeted pool; drift --target sees the rest"
mark=$(log_mark)
run_cr 0 apply "$T/m" --target web --auto-approve
expect_writes "$mark" "UpdateIdentityPool"
emu_requests "$mark" | "$PY" -S -c '
import json, sys
writes = set(sys.argv[1].split())
sys.exit(1 if [e for e in json.load(sys.stdin)["requests"]
               if e["operation"] in writes and e.get("pool_id") != sys.argv[2]] else 0)' \
    "$WRITE_OPS" "$WEB" || fail "a pool other than web was written"
run_cr 0 drift "$T/m" --target web
run_cr 2 drift "$T/m" --target api
expect_in "$T/out" "api"
run_cr 2 drift "$T/m"

step "--prune with --target deletes only targeted pools"
rm "$T/m/api.yaml" "$T/m/web-admin.yaml"
mark=$(log_mark)
run_cr 0 apply "$T/m" --prune --target web --auto-approve
expect_writes "$mark" ""
[ "$(pool_id_of api)" = "$API" ] && [ "$(pool_id_of web-admin)" = "$ADMIN" ] ||
    fail "an untargeted pool was pruned"
# api is in no manifest any more: targeting it with --prune deletes it, and only it
run_cr 2 plan "$T/m" --prune --target api --detailed-exitcode
expect_in "$T/out" "api"
expect_not_in "$T/out" "web-admin"
mark=$(log_mark)
run_cr 0 apply "$T/m" --prune --target api --auto-approve
expect_writes "$mark" "DeleteIdentityPool"
[ -z "$(pool_id_of api)" ] || fail "api was not pruned"
[ "$(pool_id_of web-admin)" = "$ADMIN" ] || fail "web-admin was pruned"

step "a target that matches nothing is an error, without --prune before any call"
mark=$(log_mark)
run_cr 1 plan "$T/m" --target wbe
expect_in "$T/err" "error: --target 'wbe' matches no pool in the manifests (did you mean 'web'?)"
[ "$(ops_since "$mark" all | wc -l)" -eq 0 ] || fail "a target matching nothing made API calls"
run_cr 1 apply "$T/m" --prune --target 'nothing-*' --auto-approve
expect_in "$T/err" "--target 'nothing-*' matches no pool in the manifests nor among the pools of stack 'default'"
expect_writes "$mark" ""

step "a saved plan cannot be re-targeted"
run_cr 2 plan "$T/m" --prune --target web-admin --detailed-exitcode --out "$T/plan.json"
run_cr 1 apply "$T/plan.json" --target web
expect_in "$T/err" "--prune, --allow-replace and --target are decided when the plan is made"
run_cr 0 apply "$T/plan.json"
[ -z "$(pool_id_of web-admin)" ] || fail "the saved targeted plan did not prune web-admin"
[ "$(pool_id_of web)" = "$WEB" ] || fail "web was touched"
echo "PASS"
