#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# plan/apply/drift --git-ref against the emulator, with a real repository (several commits,
# a diverged branch, tags, a bare clone): the cognito-reconcile:revision tag read back with
# the AWS CLI, "last applied from revision" in plans, rewinds refused (older commit, diverged
# branch, unknown commit) unless --allow-rewind, with no write made when refused; drift
# --output junit parsed as XML.
. "$CR_SOURCE_DIR/tests/integration/cli_lib.sh"
[ -x "$AWS_CLI" ] || { echo "SKIP: $AWS_CLI not installed"; exit 0; }
cli_setup

export GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=Test GIT_AUTHOR_EMAIL=test@example.com
export GIT_COMMITTER_NAME=Test GIT_COMMITTER_EMAIL=test@example.com
R="$T/repo"
git init -q -b main "$R"
mkdir -p "$R/stacks"
pool() { # pool NAME GUESTS TEAM
    printf 'apiVersion: cognito-reconcile/v1\nkind: IdentityPool\nmetadata: {name: %s, region: us-east-1}\nspec:\n  identityPoolName: %s pool\n  allowUnauthenticatedIdentities: %s\n  tags: {team: %s}\n' "$1" "$1" "$2" "$3"
}
commit() { git -C "$R" add -A && git -C "$R" commit -q -m "$1" && git -C "$R" rev-parse HEAD; }
pool web false web >"$R/stacks/web.yaml"
pool mobile false mobile >"$R/stacks/mobile.yaml"
C1=$(commit c1)
git -C "$R" tag v1
pool web true web >"$R/stacks/web.yaml"
C2=$(commit c2)
git -C "$R" tag -a -m "release 2" v2
pool mobile false mobile-team >"$R/stacks/mobile.yaml"
C3=$(commit c3)
git -C "$R" checkout -q -b side v1
pool web false web-side >"$R/stacks/web.yaml"
SIDE=$(commit side)
git -C "$R" checkout -q main
cd "$R"
# The work tree holds something no commit has: it must never be read.
echo "garbage: [" >"$R/stacks/web.yaml"

POOL_IDS="$T/pool-ids"
pool_id() { # pool_id NAME: looked up once (pools are created once and never replaced here)
    local id
    id=$(sed -n "s/^$1 //p" "$POOL_IDS" 2>/dev/null)
    if [ -z "$id" ]; then
        id=$(pool_id_of "$1")
        [ -n "$id" ] || fail "no pool named $1"
        echo "$1 $id" >>"$POOL_IDS"
    fi
    printf '%s' "$id"
}
arn_of() { printf 'arn:aws:cognito-identity:us-east-1:123456789012:identitypool/%s' "$(pool_id "$1")"; }
revision_of() { # revision_of NAME: the revision tag, from the emulator (fast)
    describe "$(pool_id "$1")" "$T/describe.json"
    json_get "$T/describe.json" 'd["IdentityPoolTags"].get("cognito-reconcile:revision")'
}
revision_of_awscli() { # the same through the real AWS CLI (2 s a call: used sparingly)
    aws_cli cognito-identity list-tags-for-resource --resource-arn "$(arn_of "$1")" \
        --query 'Tags."cognito-reconcile:revision"' --output text
}

step "apply v1: both pools created with the revision tag"
run_cr 0 apply --git-ref v1 --auto-approve stacks
expect_in "$T/err" "v1"
[ "$(revision_of_awscli web)" = "$C1" ] || fail "web revision (AWS CLI) not $C1"
[ "$(revision_of mobile)" = "$C1" ] || fail "mobile revision not $C1"
run_cr 0 plan --git-ref v1 --detailed-exitcode stacks
expect_in "$T/out" "No changes"

step "plan HEAD: the pools it changes say which commit they were last applied from"
run_cr 2 plan --git-ref HEAD --detailed-exitcode stacks
expect_in "$T/out" "last applied from revision ${C1:0:12} (this plan: ${C3:0:12})"
expect_in "$T/out" "cognito-reconcile:revision"
run_cr 2 plan --git-ref HEAD --detailed-exitcode --output json stacks
[ "$(json_get "$T/out" 'd["revision"]')" = "$C3" ] || fail "JSON plan revision"

step "apply v2 (an annotated tag): only the changed pool gets the new revision"
run_cr 0 apply --git-ref v2 --auto-approve stacks
[ "$(revision_of web)" = "$C2" ] || fail "web revision not $C2"
[ "$(revision_of mobile)" = "$C1" ] || fail "mobile (unchanged at v2) lost its revision $C1"

step "apply an older commit: refused, nothing written"
mark=$(log_mark)
run_cr 1 apply --git-ref v1 --auto-approve stacks
expect_in "$T/err" "pool 'web'"
expect_in "$T/err" "was last applied from revision ${C2:0:12}, and revision ${C1:0:12} does not descend from it"
expect_in "$T/err" "--allow-rewind"
expect_writes "$mark" ""

step "apply a diverged branch: refused"
run_cr 1 apply --git-ref side --auto-approve stacks
expect_in "$T/err" "revision ${SIDE:0:12} does not descend from it"
expect_writes "$mark" ""

step "--allow-rewind rolls back on purpose"
run_cr 0 apply --git-ref v1 --allow-rewind --auto-approve stacks
[ "$(revision_of web)" = "$C1" ] || fail "web revision not $C1 after the rewind"

step "a recorded commit the repository does not have: refused unless --allow-rewind"
WEB=$(pool_id web)
emu_json TagResource "{\"ResourceArn\":\"$(arn_of web)\",\"Tags\":{\"cognito-reconcile:revision\":\"0123456789abcdef0123456789abcdef01234567\"}}" "$T/tag.json"
mark=$(log_mark)
run_cr 1 apply --git-ref HEAD --auto-approve stacks
expect_in "$T/err" "was last applied from revision 0123456789ab, which this repository does not have"
expect_writes "$mark" ""
run_cr 0 apply --git-ref HEAD --allow-rewind --auto-approve stacks
[ "$(revision_of web)" = "$C3" ] || fail "web revision not $C3"
[ "$(revision_of mobile)" = "$C3" ] || fail "mobile revision not $C3"

step "a saved plan from a revision is checked the same way"
run_cr 2 plan --git-ref v1 --detailed-exitcode --out "$T/old.plan.json" stacks
run_cr 1 apply "$T/old.plan.json" --auto-approve
expect_in "$T/err" "does not descend from it"

step "a bare clone through --git-dir, from outside any repository"
git clone -q --bare "$R" "$T/bare.git"
cd "$T"
run_cr 0 plan --git-dir "$T/bare.git" --git-ref main --detailed-exitcode stacks
run_cr 1 plan --git-dir "$T/bare.git" --git-ref no-such-branch stacks
expect_in "$T/err" "git revision 'no-such-branch' not found"
run_cr 1 plan --git-dir "$T/bare.git" --git-ref main stacks/nothere
expect_in "$T/err" "path 'stacks/nothere' does not exist at git revision 'main'"
cd "$R"

step "drift --output junit: clean, then a hand edit fails its testcase"
run_cr 0 drift --git-ref HEAD --output junit stacks
cp "$T/out" "$T/clean.xml"
# A hand edit (DescribeIdentityPool, then the same configuration renamed, with guests on).
describe "$WEB" "$T/web.json"
"$PY" - "$T/web.json" >"$T/update.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d.pop("IdentityPoolTags", None)
d["IdentityPoolName"] = "web hand edited"
d["AllowUnauthenticatedIdentities"] = True
print(json.dumps(d))
EOF
emu_json UpdateIdentityPool "$(cat "$T/update.json")" "$T/updated.json"
run_cr 2 drift --git-ref HEAD --output junit stacks
cp "$T/out" "$T/drift.xml"
"$PY" - "$T/clean.xml" "$T/drift.xml" <<'EOF' || fail "JUnit report"
import sys, xml.etree.ElementTree as ET
clean = ET.parse(sys.argv[1]).getroot()
suite = clean.find("testsuite")
assert suite.get("tests") == "2" and suite.get("failures") == "0", suite.attrib
drift = ET.parse(sys.argv[2]).getroot().find("testsuite")
assert drift.get("failures") == "1", drift.attrib
cases = {c.get("name"): c for c in drift.iter("testcase")}
assert set(cases) == {"web", "mobile"}, cases
assert cases["mobile"].find("failure") is None
f = cases["web"].find("failure")
assert f.get("type") == "drift", f.attrib
assert "web hand edited" in f.text and "identityPoolName" in f.text, f.text
assert cases["web"].get("file") == "HEAD:stacks/web.yaml", cases["web"].attrib
EOF
if command -v xmllint >/dev/null; then
    xmllint --noout "$T/drift.xml" || fail "xmllint rejects the JUnit report"
fi
echo PASS
