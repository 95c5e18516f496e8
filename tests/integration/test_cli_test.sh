#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# cognito-reconcile test: unit tests for access (IdentityPoolTest documents), offline and live.
# Offline needs no credentials and no network; live runs the same cases through GetId and
# GetCredentialsForIdentity against the emulator the manifests were applied to, with tokens it
# mints. The two must agree: on every example that has tests, and on seeded random pools and
# claims (CR_TEST_SEED to replay one). Plans show the access impact of a change (before ->
# after per case, failing expectations as warnings, errors with --require-tests).
. "$CR_SOURCE_DIR/tests/integration/cli_lib.sh"
cli_setup

EX=$CR_SOURCE_DIR/examples
UPC="cognito-idp.us-east-1.amazonaws.com/us-east-1_Ab12Cd34:6lhlkkfbfb4q5kpp90urffae"

# ---------------------------------------------------------------- offline
step "offline: the mobile example passes; each case names file:line:column and what decided"
cp "$EX/mobile/pool.yaml" "$EX/mobile/access-test.yaml" "$T/m/"
(cd "$T" && env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY AWS_EC2_METADATA_DISABLED=true \
    "$CR" test m >"$T/out" 2>"$T/err") || fail "offline test exited $?"
expect_in "$T/out" "PASS  m/access-test.yaml:12:7: paid users get the paid role"
expect_in "$T/out" "role MobileAppPaid: rule 1 of roleMappings[\"$UPC\"] matched custom:tier Equals paid"
expect_in "$T/out" "denied (NotAuthorizedException): roleMappings[\"graph.facebook.com\"] (Token): no cognito:preferred_role: AmbiguousRoleResolution Deny"
expect_in "$T/out" "11 cases: 11 passed, 0 failed"
[ ! -s "$T/err" ] || fail "offline test wrote to stderr"

step "offline: a changed rule fails the case that expected it, exit 1"
sed -i 's/value: paid/value: premium/' "$T/m/pool.yaml"
run_cr 1 test "$T/m"
expect_in "$T/out" "FAIL  $T/m/access-test.yaml:12:7: paid users get the paid role"
expect_in "$T/out" "expected role MobileAppPaid, got role MobileAppAuthenticated"
expect_in "$T/out" "11 cases: 9 passed, 2 failed"
cp "$EX/mobile/pool.yaml" "$T/m/pool.yaml"

step "--output json: every case with its outcome and the rule"
run_cr 0 test "$T/m" --output json
"$PY" -S - "$T/out" <<'PYEOF' || fail "json report"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["format_version"] == "1" and d["mode"] == "offline", d
assert d["summary"] == {"cases": 11, "passed": 11, "failed": 0, "errors": 0}, d["summary"]
c = d["cases"][0]
assert c["status"] == "pass" and c["line"] == 12 and c["column"] == 7, c
g = c["got"]
assert g["outcome"] == "role" and g["role"].endswith(":role/MobileAppPaid") and g["rule"] == 1, g
assert g["principal_tags"] == {"department": "sales", "tier": "paid"}, g
assert d["cases"][7]["got"]["error"] == "NotAuthorizedException", d["cases"][7]
PYEOF

step "--output junit: one testcase per case, failures carry what differs"
sed -i 's/value: paid/value: premium/' "$T/m/pool.yaml"
run_cr 1 test "$T/m" --output junit
"$PY" -S - "$T/out" <<'PYEOF' || fail "junit report"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites" and root.get("tests") == "11" and root.get("failures") == "2", root.attrib
cases = root.findall("./testsuite/testcase")
assert len(cases) == 11, len(cases)
failed = [c for c in cases if c.find("failure") is not None]
assert [c.get("name") for c in failed] == ["paid users get the paid role",
    "a paid admin gets the paid role (the first matching rule wins)"], [c.get("name") for c in failed]
assert "expected role MobileAppPaid" in failed[0].find("failure").get("message")
PYEOF
cp "$EX/mobile/pool.yaml" "$T/m/pool.yaml"

step "invalid test documents: every problem at its position, nothing runs"
mkdir -p "$T/bad"
cp "$EX/mobile/pool.yaml" "$T/bad/"
cat >"$T/bad/t.yaml" <<'YEOF'
apiVersion: cognito-reconcile/v1
kind: IdentityPoolTest
metadata: {name: bad}
spec:
  pool: mobile-ap
  cases:
    - name: x
      login: graph.facebook.com
      expect: {role: arn:aws:iam::123456789012:role/X}
---
apiVersion: cognito-reconcile/v1
kind: IdentityPoolTest
metadata: {name: bad2}
spec:
  pool: mobile-app
  cases:
    - name: y
      login: accounts.google.co
      claims: {"cognito:roles": 3}
      expect: {denied: true}
YEOF
run_cr 1 test "$T/bad"
expect_in "$T/err" "$T/bad/t.yaml:5:9: spec.pool: no IdentityPool named 'mobile-ap' in the manifests (did you mean 'mobile-app'?)"
expect_in "$T/err" "$T/bad/t.yaml:18:14: spec.cases[0].login: 'accounts.google.co' is not a provider configured on this pool (did you mean 'accounts.google.com'?)"
expect_in "$T/err" "$T/bad/t.yaml:19:33: spec.cases[0].claims[\"cognito:roles\"]: expected a string or a list of strings, got the number 3"
[ ! -s "$T/out" ] || fail "cases ran despite invalid documents"
run_cr 1 validate "$T/bad"
expect_in "$T/err" "spec.pool: no IdentityPool named 'mobile-ap'"

step "no test documents is an error, not an empty success"
run_cr 1 test "$EX/minimal"
expect_in "$T/err" "no IdentityPoolTest documents"

step "a pool whose roles are unmanaged cannot be judged"
mkdir -p "$T/unm"
pool_yaml app >"$T/unm/p.yaml"
printf 'apiVersion: cognito-reconcile/v1\nkind: IdentityPoolTest\nmetadata: {name: u}\nspec:\n  pool: app\n  cases:\n    - {name: guests, unauthenticated: true, expect: {denied: true}}\n' >"$T/unm/t.yaml"
run_cr 1 test "$T/unm"
expect_in "$T/out" "ERROR $T/unm/t.yaml:7:7: guests"
expect_in "$T/out" "pool 'app' does not manage its roles"

# ---------------------------------------------------------------- live
# cases_json FILE: the outcome of every case, as both modes report it, one per line.
cases_json() {
    "$PY" -S - "$1" <<'PYEOF'
import json, sys
for c in json.load(open(sys.argv[1]))["cases"]:
    g = c["got"] or {}
    print(json.dumps([c["test"], c["name"], c["status"], g.get("outcome"), g.get("role"),
                      g.get("error"), g.get("principal_tags")], sort_keys=True))
PYEOF
}

# agree DIR: applies DIR, runs its tests offline and live; the outcomes must be the same.
agree() {
    local dir=$1 want=$2
    run_cr 0 apply --auto-approve "$dir"
    run_cr "$want" test "$dir" --output json
    cases_json "$T/out" >"$T/offline.txt"
    mark=$(log_mark)
    run_cr "$want" test "$dir" --output json --endpoint-url "$EMU_URL"
    json_get "$T/out" 'd["mode"]' | grep -qx live || fail "not a live run"
    cases_json "$T/out" >"$T/live.txt"
    diff -u "$T/offline.txt" "$T/live.txt" >&2 || fail "offline and live disagree on $dir"
    n=$(wc -l <"$T/live.txt")
    [ "$(ops_since "$mark" all | grep -cx GetCredentialsForIdentity)" -ge "$((n - 1))" ] ||
        fail "the live run did not ask the emulator"
}

step "live: the example's cases through GetId and GetCredentialsForIdentity, in agreement"
agree "$T/m" 0
run_cr 0 test "$T/m" --endpoint-url "$EMU_URL"
expect_in "$T/out" "11 cases (live): 11 passed, 0 failed"

step "every example with tests: offline and live agree"
for dir in "$EX"/*/; do
    grep -rqs '^kind: IdentityPoolTest' "$dir" || continue
    rm -rf "$T/ex" && mkdir -p "$T/ex" && cp -r "$dir"* "$T/ex/"
    agree "$T/ex" 0
done

step "seeded random pools and claims: offline and live agree"
SEED=${CR_TEST_SEED:-$(date +%s)}
echo "seed $SEED (CR_TEST_SEED=$SEED replays it)"
rm -rf "$T/rnd" && mkdir -p "$T/rnd"
"$PY" -S - "$SEED" "$T/rnd" <<'PYEOF' || fail "generator"
import random, sys
rnd = random.Random(int(sys.argv[1]))
up = "cognito-idp.us-east-1.amazonaws.com/us-east-1_Rnd00001"
acct = "arn:aws:iam::123456789012:role/"
vals = ["paid", "pa", "aid", "free", "3", "true", "gold"]
claims = ["custom:tier", "custom:dept", "cognito:groups"]
types = ["Equals", "Contains", "StartsWith", "NotEqual"]
def rules():
    out = []
    for i in range(rnd.randint(1, 5)):
        out.append('          - {claim: "%s", matchType: %s, value: "%s", roleARN: "%sR%d"}'
                   % (rnd.choice(claims), rnd.choice(types), rnd.choice(vals), acct, rnd.randint(0, 3)))
    return "\n".join(out)
pool = ["apiVersion: cognito-reconcile/v1", "kind: IdentityPool", "metadata: {name: rnd}", "spec:",
        "  identityPoolName: Rnd", "  allowUnauthenticatedIdentities: %s" % rnd.choice(["true", "false"]),
        '  supportedLoginProviders: {graph.facebook.com: "111"}',
        "  cognitoIdentityProviders:", "    - {providerName: %s, clientId: c1}" % up,
        "    - {providerName: %s, clientId: c2}" % up,
        "  roles: {authenticated: \"%sAuth\"%s}" % (acct, rnd.choice([", unauthenticated: \"%sGuest\"" % acct, ""])),
        "  roleMappings:"]
mapped = 0
for key in [up + ":c1", up + ":c2", "graph.facebook.com"]:
    if rnd.random() < 0.3:
        continue
    mapped += 1
    kind = rnd.choice(["Rules", "Rules", "Token"])
    pool += ['    "%s":' % key, "      type: %s" % kind,
             "      ambiguousRoleResolution: %s" % rnd.choice(["Deny", "AuthenticatedRole"])]
    if kind == "Rules":
        pool += ["      rulesConfiguration:", "        rules:", rules()]
if mapped == 0:
    pool[-1] += " {}"  # managed, and empty
pool += ["  principalTagAttributeMaps:",
         "    %s: {useDefaults: %s, principalTags: {tier: \"custom:tier\"}}" % (up, rnd.choice(["true", "false"]))]
open(sys.argv[2] + "/pool.yaml", "w").write("\n".join(pool) + "\n")
def value(name):
    r = rnd.random()
    if r < 0.5: return '"%s"' % rnd.choice(vals)
    if r < 0.7 or name == "cognito:groups":  # groups are strings (validation says so)
        return "[%s]" % ", ".join('"%s"' % rnd.choice(vals) for _ in range(rnd.randint(0, 3)))
    if r < 0.85: return str(rnd.randint(0, 4))
    return rnd.choice(["true", "false"])
cases = []
for i in range(24):
    lines = ["    - name: case %d" % i]
    r = rnd.random()
    if r < 0.15:
        lines.append("      unauthenticated: true")
    else:
        lines.append("      login: %s" % rnd.choice([up + ":c1", up + ":c2", "graph.facebook.com"]))
        cl = {c: value(c) for c in claims if rnd.random() < 0.6}
        if rnd.random() < 0.3:
            cl["cognito:roles"] = "[%s]" % ", ".join('"%sR%d"' % (acct, k) for k in range(rnd.randint(0, 3)))
        if rnd.random() < 0.2:
            cl["cognito:preferred_role"] = '"%sR%d"' % (acct, rnd.randint(0, 3))
        if cl:
            lines.append("      claims: {%s}" % ", ".join('"%s": %s' % kv for kv in cl.items()))
        if rnd.random() < 0.2:
            lines.append('      customRoleArn: "%sR%d"' % (acct, rnd.randint(0, 3)))
    lines.append("      expect: {denied: true}")
    cases += lines
open(sys.argv[2] + "/test.yaml", "w").write("\n".join([
    "apiVersion: cognito-reconcile/v1", "kind: IdentityPoolTest", "metadata: {name: rnd}",
    "spec:", "  pool: rnd", "  cases:"] + cases) + "\n")
PYEOF
run_cr 0 apply --auto-approve "$T/rnd"
rc=0
"$CR" test "$T/rnd" --output json >"$T/off.json" 2>"$T/err" || rc=$?
[ "$rc" -le 1 ] || fail "offline run exited $rc"
"$CR" test "$T/rnd" --output json --endpoint-url "$EMU_URL" >"$T/live.json" 2>"$T/err" || rc=$?
[ "$rc" -le 1 ] || fail "live run exited $rc"
cases_json "$T/off.json" >"$T/offline.txt"
cases_json "$T/live.json" >"$T/live.txt"
diff -u "$T/offline.txt" "$T/live.txt" >&2 || fail "offline and live disagree (seed $SEED)"
grep -q '"role"' "$T/live.txt" || fail "no case got a role: the generator is too strict (seed $SEED)"
# The same property through plan: once applied, the live configuration resolves every case as
# the manifests do (no case changes), and plan's failing expectations are test's failures.
run_cr 0 plan "$T/rnd" --output json
"$PY" -S - "$T/out" "$T/off.json" <<'PYEOF' || fail "plan's access impact disagrees with test (seed $SEED)"
import json, sys
a = json.load(open(sys.argv[1]))["access_impact"]
off = json.load(open(sys.argv[2]))
assert a["changed"] == 0, a
failed = sorted(c["name"] for c in off["cases"] if c["status"] != "pass")
assert sorted(c["case"] for c in a["cases"]) == failed, (a, failed)
PYEOF

step "live: a pool that is not deployed is an error of its cases"
emu_reset
run_cr 1 test "$T/m" --endpoint-url "$EMU_URL"
expect_in "$T/out" "pool 'mobile-app' is not deployed at $EMU_URL"

# ---------------------------------------------------------------- access impact in plans
step "plan of a new pool with tests: every case is new access"
emu_reset
rm -rf "$T/imp" && mkdir -p "$T/imp" && cp "$EX/mobile/pool.yaml" "$EX/mobile/access-test.yaml" "$T/imp/"
run_cr 0 plan "$T/imp"
expect_in "$T/out" "Access impact (IdentityPoolTest cases):"
expect_in "$T/out" "~ mobile-app: guests get the guest role: (no pool) → role MobileAppGuest ($T/imp/access-test.yaml:37:7)"
expect_in "$T/out" "Access: 11 cases change, 0 expectations fail."
run_cr 0 apply --auto-approve "$T/imp"

step "plan of an unchanged pool: no access impact section"
run_cr 0 plan "$T/imp"
expect_not_in "$T/out" "Access impact"
expect_in "$T/out" "No changes."
run_cr 0 plan "$T/imp" --output json
json_get "$T/out" 'd["access_impact"]' | grep -qxF '{"cases": [], "changed": 0, "failing": 0}' ||
    fail "json access_impact of an unchanged pool"

step "a changed rule: the cases it moves, before → after, and the expectations it breaks (warnings)"
sed -i 's/value: paid/value: premium/' "$T/imp/pool.yaml"
run_cr 0 plan "$T/imp"
expect_in "$T/out" "~ mobile-app: paid users get the paid role: role MobileAppPaid, tags {department=sales, tier=paid} → role MobileAppAuthenticated, tags {department=sales, tier=paid} ($T/imp/access-test.yaml:12:7)"
expect_in "$T/out" "      no rule of roleMappings[\"$UPC\"] matched: AmbiguousRoleResolution AuthenticatedRole (roles.authenticated)"
expect_in "$T/out" "      warning: the expectation fails: expected role MobileAppPaid, got role MobileAppAuthenticated"
expect_in "$T/out" "~ mobile-app: a paid admin gets the paid role (the first matching rule wins): role MobileAppPaid, tags {tier=paid} → role MobileAppAdmin, tags {tier=paid}"
expect_in "$T/out" "Access: 2 cases change, 2 expectations fail."
expect_not_in "$T/out" "guests get the guest role"
expect_in "$T/err" "warning: $T/imp/access-test.yaml:12:7: test 'mobile-access', case 'paid users get the paid role': the planned configuration fails it: expected role MobileAppPaid, got role MobileAppAuthenticated"
run_cr 0 plan "$T/imp" --output json
"$PY" -S - "$T/out" <<'PYEOF' || fail "json access impact"
import json, sys
d = json.load(open(sys.argv[1]))
a = d["access_impact"]
assert a["changed"] == 2 and a["failing"] == 2, a
c = a["cases"][0]
assert c["pool"] == "mobile-app" and c["test"] == "mobile-access" and c["case"] == "paid users get the paid role", c
assert c["before"].startswith("role MobileAppPaid") and c["after"].startswith("role MobileAppAuthenticated"), c
assert c["changed"] is True and c["failure"] == "expected role MobileAppPaid, got role MobileAppAuthenticated", c
assert c["source"].endswith("access-test.yaml:12:7") and "no rule of roleMappings" in c["decided_by"], c
PYEOF
run_cr 0 plan "$T/imp" --output markdown
expect_in "$T/out" "### Access impact"
expect_in "$T/out" "Access: 2 cases change, 2 expectations fail."
expect_in "$T/out" "| paid users get the paid role (\`$T/imp/access-test.yaml:12:7\`) | \`mobile-app\` | role MobileAppPaid, tags {department=sales, tier=paid} | **role MobileAppAuthenticated, tags {department=sales, tier=paid}** | :warning: fails: expected role MobileAppPaid, got role MobileAppAuthenticated |"

step "--require-tests: failing expectations are errors; apply changes nothing"
run_cr 1 plan "$T/imp" --require-tests
expect_in "$T/err" "error: $T/imp/access-test.yaml:12:7: test 'mobile-access', case 'paid users get the paid role'"
expect_in "$T/err" "2 access test cases fail with this plan (--require-tests)"
mark=$(log_mark)
run_cr 1 apply --auto-approve --require-tests "$T/imp"
expect_in "$T/err" "2 access test cases fail with this plan (--require-tests): nothing was changed"
[ "$(writes_since "$mark")" -eq 0 ] || fail "apply --require-tests wrote: $(ops_since "$mark")"
run_cr 0 test "$T/imp" --endpoint-url "$EMU_URL"
expect_in "$T/out" "11 cases (live): 11 passed, 0 failed"

step "expectations updated with the rule: the impact remains, the warnings go"
sed -i 's/"custom:tier": paid/"custom:tier": premium/; s/tier: paid/tier: premium/' "$T/imp/access-test.yaml"
run_cr 0 plan "$T/imp" --require-tests
expect_in "$T/out" "Access: 2 cases change, 0 expectations fail."
expect_not_in "$T/out" "warning"
run_cr 0 apply --auto-approve --require-tests "$T/imp"
run_cr 0 test "$T/imp" --endpoint-url "$EMU_URL"
expect_in "$T/out" "11 cases (live): 11 passed, 0 failed"

step "a change outside access (a tag) has no access impact"
sed -i 's/team: mobile/team: apps/' "$T/imp/pool.yaml"
run_cr 0 plan "$T/imp"
expect_in "$T/out" "TagResource"
expect_not_in "$T/out" "Access impact"

echo "PASS test_cli_test"
