#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The full lifecycle of every manifest field against the emulator, asserting on the
# emulator's request log: create; no-op apply makes no write; each field changed alone makes
# exactly the calls the plan showed (and the expected ones); rename in place keeps the id;
# roles, both kinds of role mapping, principal tags; tags added/changed/removed; removing a
# section leaves it alone, an empty section clears it; replacement refused without
# --allow-replace; prune only with --prune.
. "$CR_SOURCE_DIR/tests/integration/cli_lib.sh"
cli_setup

UP=cognito-idp.us-east-1.amazonaws.com/us-east-1_Ab12Cd34
CLIENT=6lhlkkfbfb4q5kpp90urffae
ARN=arn:aws:iam::123456789012

# Manifest fields, changed one at a time by the steps below. A *_BLOCK that is empty leaves
# its section out of the manifest.
NAME="Mobile App"
UNAUTH=false
CLASSIC=false
DEV=login.example.mobile
SLP='{graph.facebook.com: "7346241598935552"}'
SSTC=true
OIDC="[$ARN:oidc-provider/auth.example.com]"
SAML="[$ARN:saml-provider/corp]"
ROLES_BLOCK="  roles:
    authenticated: $ARN:role/MobileAuth
    unauthenticated: $ARN:role/MobileGuest"
MAPPINGS_BLOCK="  roleMappings:
    \"$UP:$CLIENT\":
      type: Rules
      ambiguousRoleResolution: Deny
      rulesConfiguration:
        rules:
          - {claim: \"custom:tier\", matchType: Equals, value: paid, roleARN: $ARN:role/MobilePaid}"
PTAGS_BLOCK="  principalTagAttributeMaps:
    \"$UP\":
      useDefaults: false
      principalTags: {department: \"custom:department\"}"
TAGS_BLOCK="  tags: {team: mobile, env: prod}"
EXTRA_POOL=""

write_manifests() {
    rm -f "$T"/m/*.yaml
    cat >"$T/m/mobile.yaml" <<EOF
apiVersion: cognito-reconcile/v1
kind: IdentityPool
metadata:
  name: mobile
  region: us-east-1
spec:
  identityPoolName: $NAME
  allowUnauthenticatedIdentities: $UNAUTH
  allowClassicFlow: $CLASSIC
  developerProviderName: $DEV
  supportedLoginProviders: $SLP
  cognitoIdentityProviders:
    - {providerName: $UP, clientId: $CLIENT, serverSideTokenCheck: $SSTC}
  openIdConnectProviderARNs: $OIDC
  samlProviderARNs: $SAML
${ROLES_BLOCK}
${MAPPINGS_BLOCK}
${PTAGS_BLOCK}
${TAGS_BLOCK}
EOF
    if [ -n "$EXTRA_POOL" ]; then
        cat >"$T/m/web.yaml" <<EOF
apiVersion: cognito-reconcile/v1
kind: IdentityPool
metadata:
  name: web
spec:
  identityPoolName: Web App
  allowUnauthenticatedIdentities: true
EOF
    fi
}

# converge "expected write calls" [apply options]: plan (exit 2, saved), apply the saved plan,
# check the writes are exactly the plan's operations and the expected ones, then plan again
# shows nothing to do.
converge() {
    local expected=$1 mark
    shift
    write_manifests
    run_cr 2 plan "$T/m" --detailed-exitcode --out "$T/plan.json" "$@"
    plan_ops "$T/plan.json" | sort >"$T/plan-ops"
    mark=$(log_mark)
    run_cr 0 apply "$T/plan.json"
    ops_since "$mark" writes | sort >"$T/log-ops"
    diff -u "$T/plan-ops" "$T/log-ops" >"$T/ops.diff" ||
        fail "apply made other calls than the plan showed: $(cat "$T/ops.diff")"
    expect_writes "$mark" "$expected"
    run_cr 0 plan "$T/m" --detailed-exitcode "$@"
    expect_in "$T/out" "No changes"
}

pool_field() { # pool_field PYEXPR: a field of the live pool (d = DescribeIdentityPool)
    describe "$ID" "$T/pool.json"
    json_get "$T/pool.json" "$1"
}

step "create with every field"
write_manifests
run_cr 2 plan "$T/m" --detailed-exitcode
expect_in "$T/out" "mobile"
mark=$(log_mark)
run_cr 0 apply "$T/m" --auto-approve
[ "$(ops_since "$mark" writes | grep -c CreateIdentityPool)" -eq 1 ] || fail "expected one create"
expect_in "$T/err" "CreateIdentityPool"
ID=$(pool_id_of mobile)
[ -n "$ID" ] && [ "$(echo "$ID" | wc -l)" -eq 1 ] || fail "expected one pool tagged mobile, got '$ID'"
[ "$(pool_field 'd["IdentityPoolName"]')" = "Mobile App" ] || fail "name not set"
[ "$(pool_field 'd["DeveloperProviderName"]')" = "$DEV" ] || fail "developer provider not set"
[ "$(pool_field 'd["IdentityPoolTags"]["team"]')" = mobile ] || fail "user tag not set"
[ "$(pool_field 'd["IdentityPoolTags"]["cognito-reconcile:stack"]')" = default ] ||
    fail "ownership tag not set"
emu_json GetIdentityPoolRoles "{\"IdentityPoolId\":\"$ID\"}" "$T/roles.json"
[ "$(json_get "$T/roles.json" 'd["Roles"]["authenticated"]')" = "$ARN:role/MobileAuth" ] ||
    fail "roles not set"
[ "$(json_get "$T/roles.json" 'list(d["RoleMappings"].values())[0]["Type"]')" = Rules ] ||
    fail "role mapping not set"
emu_json GetPrincipalTagAttributeMap \
    "{\"IdentityPoolId\":\"$ID\",\"IdentityProviderName\":\"$UP\"}" "$T/ptags.json"
[ "$(json_get "$T/ptags.json" 'd["PrincipalTags"]["department"]')" = "custom:department" ] ||
    fail "principal tags not set"

step "plan again: no changes; a no-op apply makes zero write calls"
run_cr 0 plan "$T/m" --detailed-exitcode
mark=$(log_mark)
run_cr 0 apply "$T/m" --auto-approve
expect_writes "$mark" ""

step "rename in place keeps the pool id"
NAME="Mobile App Renamed"
converge "UpdateIdentityPool"
[ "$(pool_id_of mobile)" = "$ID" ] || fail "rename changed the pool id"
[ "$(pool_field 'd["IdentityPoolName"]')" = "$NAME" ] || fail "rename not applied"

step "allowUnauthenticatedIdentities"
UNAUTH=true
converge "UpdateIdentityPool"
[ "$(pool_field 'd["AllowUnauthenticatedIdentities"]')" = true ] || fail "unauth not applied"

step "allowClassicFlow"
CLASSIC=true
converge "UpdateIdentityPool"
[ "$(pool_field 'd["AllowClassicFlow"]')" = true ] || fail "classic flow not applied"

step "supportedLoginProviders value"
SLP='{graph.facebook.com: "1111111111111111", accounts.google.com: "123-abc.apps.googleusercontent.com"}'
# The new provider's principal-tag map is managed too (the section says "exactly this"), so
# it is set to no tags: the service default for a new provider would be useDefaults true.
converge "UpdateIdentityPool SetPrincipalTagAttributeMap"
[ "$(pool_field 'd["SupportedLoginProviders"]["graph.facebook.com"]')" = 1111111111111111 ] ||
    fail "login providers not applied"

step "cognitoIdentityProviders serverSideTokenCheck"
SSTC=false
converge "UpdateIdentityPool"
[ "$(pool_field 'd["CognitoIdentityProviders"][0]["ServerSideTokenCheck"]')" = false ] ||
    fail "server-side token check not applied"

step "openIdConnectProviderARNs add (order-insensitive afterwards)"
OIDC="[$ARN:oidc-provider/auth.example.com, $ARN:oidc-provider/login.example.org]"
converge "UpdateIdentityPool SetPrincipalTagAttributeMap"
OIDC="[$ARN:oidc-provider/login.example.org, $ARN:oidc-provider/auth.example.com]"
write_manifests
run_cr 0 plan "$T/m" --detailed-exitcode

step "samlProviderARNs removed"
SAML="[]"
write_manifests
run_cr 2 plan "$T/m" --detailed-exitcode --out "$T/plan.json"
plan_ops "$T/plan.json" | grep -qx UpdateIdentityPool || fail "SAML removal must update the pool"
mark=$(log_mark)
run_cr 0 apply "$T/plan.json"
ops_since "$mark" writes | grep -qx UpdateIdentityPool || fail "no update sent"
run_cr 0 plan "$T/m" --detailed-exitcode
[ "$(pool_field 'd.get("SamlProviderARNs", [])')" = "[]" ] || fail "SAML ARNs not cleared"

step "roles: authenticated role changed"
ROLES_BLOCK="  roles:
    authenticated: $ARN:role/MobileAuth2
    unauthenticated: $ARN:role/MobileGuest"
converge "SetIdentityPoolRoles"
emu_json GetIdentityPoolRoles "{\"IdentityPoolId\":\"$ID\"}" "$T/roles.json"
[ "$(json_get "$T/roles.json" 'd["Roles"]["authenticated"]')" = "$ARN:role/MobileAuth2" ] ||
    fail "role not changed"

step "role mapping: Rules -> Token"
MAPPINGS_BLOCK="  roleMappings:
    \"$UP:$CLIENT\":
      type: Token
      ambiguousRoleResolution: AuthenticatedRole"
converge "SetIdentityPoolRoles"
emu_json GetIdentityPoolRoles "{\"IdentityPoolId\":\"$ID\"}" "$T/roles.json"
[ "$(json_get "$T/roles.json" 'list(d["RoleMappings"].values())[0]["Type"]')" = Token ] ||
    fail "mapping type not changed"

step "role mapping: Token -> Rules with two ordered rules"
MAPPINGS_BLOCK="  roleMappings:
    \"$UP:$CLIENT\":
      type: Rules
      ambiguousRoleResolution: AuthenticatedRole
      rulesConfiguration:
        rules:
          - {claim: \"custom:tier\", matchType: StartsWith, value: gold, roleARN: $ARN:role/Gold}
          - {claim: \"custom:tier\", matchType: NotEqual, value: free, roleARN: $ARN:role/Paid}"
converge "SetIdentityPoolRoles"
emu_json GetIdentityPoolRoles "{\"IdentityPoolId\":\"$ID\"}" "$T/roles.json"
[ "$(json_get "$T/roles.json" 'list(d["RoleMappings"].values())[0]["RulesConfiguration"]["Rules"][1]["MatchType"]')" = NotEqual ] ||
    fail "rules not applied in order"

step "principal tags changed"
PTAGS_BLOCK="  principalTagAttributeMaps:
    \"$UP\":
      useDefaults: false
      principalTags: {department: \"custom:department\", team: \"custom:team\"}"
converge "SetPrincipalTagAttributeMap"
emu_json GetPrincipalTagAttributeMap \
    "{\"IdentityPoolId\":\"$ID\",\"IdentityProviderName\":\"$UP\"}" "$T/ptags.json"
[ "$(json_get "$T/ptags.json" 'd["PrincipalTags"].get("team")')" = "custom:team" ] ||
    fail "principal tag not added"

step "tags: one added, one changed, one removed"
TAGS_BLOCK="  tags: {env: staging, owner: alice}"
converge "TagResource UntagResource"
[ "$(pool_field 'sorted(d["IdentityPoolTags"].items())')" = \
    '[["cognito-reconcile:created-by", "cognito-reconcile"], ["cognito-reconcile:name", "mobile"], ["cognito-reconcile:stack", "default"], ["env", "staging"], ["owner", "alice"]]' ] ||
    fail "tags not reconciled: $(pool_field 'd["IdentityPoolTags"]')"

step "sections removed from the manifest are left alone (unmanaged)"
ROLES_BLOCK="" MAPPINGS_BLOCK="" PTAGS_BLOCK="" TAGS_BLOCK=""
write_manifests
run_cr 0 plan "$T/m" --detailed-exitcode
mark=$(log_mark)
run_cr 0 apply "$T/m" --auto-approve
expect_writes "$mark" ""
[ "$(pool_field 'd["IdentityPoolTags"].get("owner")')" = alice ] || fail "unmanaged tags touched"

step "empty sections clear them (ownership tags stay)"
TAGS_BLOCK="  tags: {}"
converge "UntagResource"
[ "$(pool_field 'sorted(d["IdentityPoolTags"])')" = \
    '["cognito-reconcile:created-by", "cognito-reconcile:name", "cognito-reconcile:stack"]' ] || fail "tags: {} did not clear"
ROLES_BLOCK="  roles: {}"
MAPPINGS_BLOCK="  roleMappings: {}"
converge "SetIdentityPoolRoles"
emu_json GetIdentityPoolRoles "{\"IdentityPoolId\":\"$ID\"}" "$T/roles.json"
[ "$(json_get "$T/roles.json" 'd.get("Roles", {})')" = "{}" ] || fail "roles not cleared"
[ "$(json_get "$T/roles.json" 'd.get("RoleMappings", {})')" = "{}" ] || fail "mappings not cleared"
PTAGS_BLOCK="  principalTagAttributeMaps: {}"
converge "SetPrincipalTagAttributeMap"
emu_json GetPrincipalTagAttributeMap \
    "{\"IdentityPoolId\":\"$ID\",\"IdentityProviderName\":\"$UP\"}" "$T/ptags.json"
[ "$(json_get "$T/ptags.json" 'd.get("PrincipalTags", {})')" = "{}" ] ||
    fail "principal tags not cleared: $(cat "$T/ptags.json")"
[ "$(json_get "$T/ptags.json" 'd.get("UseDefaults")')" = false ] ||
    fail "a cleared map must not fall back to the defaults: $(cat "$T/ptags.json")"

step "developerProviderName change is refused without --allow-replace, with no write"
DEV=login.example.other
write_manifests
mark=$(log_mark)
run_cr 1 plan "$T/m" --detailed-exitcode
expect_in "$T/err" "developerProviderName"
run_cr 1 apply "$T/m" --auto-approve
expect_writes "$mark" ""
[ "$(pool_id_of mobile)" = "$ID" ] || fail "refused replacement touched the pool"

step "with --allow-replace the plan shows the replacement and apply makes a new pool"
run_cr 2 plan "$T/m" --detailed-exitcode --allow-replace
expect_in "$T/out" "replace"
mark=$(log_mark)
run_cr 0 apply "$T/m" --auto-approve --allow-replace
ops_since "$mark" writes >"$T/ops"
grep -qx DeleteIdentityPool "$T/ops" && grep -qx CreateIdentityPool "$T/ops" ||
    fail "replacement must delete and create: $(tr '\n' ' ' <"$T/ops")"
NEW_ID=$(pool_id_of mobile)
[ -n "$NEW_ID" ] && [ "$NEW_ID" != "$ID" ] || fail "replacement kept the old pool"
ID=$NEW_ID
[ "$(pool_field 'd["DeveloperProviderName"]')" = login.example.other ] ||
    fail "replacement lost the new developer provider"
run_cr 0 plan "$T/m" --detailed-exitcode

step "prune: a pool dropped from the manifests is deleted only with --prune"
EXTRA_POOL=1
write_manifests
run_cr 0 apply "$T/m" --auto-approve
WEB_ID=$(pool_id_of web)
[ -n "$WEB_ID" ] || fail "web pool (default region from AWS_REGION) not created"
EXTRA_POOL=""
write_manifests
mark=$(log_mark)
run_cr 0 plan "$T/m" --detailed-exitcode
run_cr 0 apply "$T/m" --auto-approve
expect_writes "$mark" ""
[ "$(pool_id_of web)" = "$WEB_ID" ] || fail "pool deleted without --prune"
run_cr 2 plan "$T/m" --detailed-exitcode --prune
expect_in "$T/out" "web"
run_cr 0 apply "$T/m" --auto-approve --prune
expect_writes "$mark" "DeleteIdentityPool"
[ -z "$(pool_id_of web)" ] || fail "prune did not delete web"
[ "$(pool_id_of mobile)" = "$ID" ] || fail "prune touched a declared pool"
run_cr 0 plan "$T/m" --detailed-exitcode --prune

echo "PASS: lifecycle"
