#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# export writes manifests that validate and round-trip: pools made outside the tool are
# exported with metadata.id and adopted by tagging only; after that, exporting the stack and
# planning the export against the same live state shows no changes.
. "$CR_SOURCE_DIR/tests/integration/cli_lib.sh"
cli_setup

UP=cognito-idp.us-east-1.amazonaws.com/us-east-1_Ex12Ab34
step "pools made by hand (no ownership tags)"
emu_json CreateIdentityPool "{\"IdentityPoolName\":\"Legacy Mobile\",
  \"AllowUnauthenticatedIdentities\":true,\"AllowClassicFlow\":true,
  \"DeveloperProviderName\":\"login.legacy\",
  \"SupportedLoginProviders\":{\"graph.facebook.com\":\"7346241598935552\"},
  \"CognitoIdentityProviders\":[{\"ProviderName\":\"$UP\",\"ClientId\":\"abcdef0123456789abcdef01\",
    \"ServerSideTokenCheck\":true}],
  \"OpenIdConnectProviderARNs\":[\"arn:aws:iam::123456789012:oidc-provider/auth.legacy.example\"],
  \"IdentityPoolTags\":{\"team\":\"legacy\"}}" "$T/p1.json"
P1=$(json_get "$T/p1.json" 'd["IdentityPoolId"]')
emu_json SetIdentityPoolRoles "{\"IdentityPoolId\":\"$P1\",
  \"Roles\":{\"authenticated\":\"arn:aws:iam::123456789012:role/LegacyAuth\"},
  \"RoleMappings\":{\"$UP:abcdef0123456789abcdef01\":{\"Type\":\"Token\",
    \"AmbiguousRoleResolution\":\"AuthenticatedRole\"}}}" "$T/r.json"
emu_json SetPrincipalTagAttributeMap "{\"IdentityPoolId\":\"$P1\",\"IdentityProviderName\":\"$UP\",
  \"UseDefaults\":false,\"PrincipalTags\":{\"dept\":\"custom:dept\"}}" "$T/pt.json"
emu_json CreateIdentityPool '{"IdentityPoolName":"Legacy Web","AllowUnauthenticatedIdentities":false}' \
    "$T/p2.json"
P2=$(json_get "$T/p2.json" 'd["IdentityPoolId"]')

step "export --all writes valid manifests with metadata.id"
mark=$(log_mark)
run_cr 0 export --all
cp "$T/out" "$T/m/adopted.yaml"
expect_writes "$mark" ""
expect_in "$T/m/adopted.yaml" "$P1"
expect_in "$T/m/adopted.yaml" "$P2"
expect_in "$T/m/adopted.yaml" "Legacy Mobile"
expect_in "$T/err" "exported 2 pools"
run_cr 0 validate "$T/m"

step "the first plan of the export only adopts (tags), then nothing is left to do"
run_cr 2 plan "$T/m" --detailed-exitcode --out "$T/plan.json"
plan_ops "$T/plan.json" | sort -u >"$T/ops"
[ "$(cat "$T/ops")" = TagResource ] || fail "adoption should only tag, got: $(tr '\n' ' ' <"$T/ops")"
mark=$(log_mark)
run_cr 0 apply "$T/plan.json"
expect_writes "$mark" "TagResource TagResource"
run_cr 0 plan "$T/m" --detailed-exitcode

step "export --stack of the adopted pools round-trips with no changes"
run_cr 0 export --stack default --out "$T/stack.yaml"
[ ! -s "$T/out" ] || fail "export --out wrote to stdout too"
rm -f "$T"/m/*.yaml
cp "$T/stack.yaml" "$T/m/stack.yaml"
run_cr 0 validate "$T/m"
run_cr 0 plan "$T/m" --detailed-exitcode
expect_in "$T/out" "No changes"

step "export --id one pool"
run_cr 0 export --id "$P2"
expect_in "$T/out" "Legacy Web"
expect_not_in "$T/out" "Legacy Mobile"
expect_in "$T/err" "exported 1 pool"
run_cr 1 export --id us-east-1:00000000-0000-0000-0000-000000000000
expect_in "$T/err" "us-east-1:00000000-0000-0000-0000-000000000000"

step "export --id of a pool in another region reads it there (the id names its region)"
mkdir -p "$T/eu"
cat >"$T/eu/euro.yaml" <<'EOF'
apiVersion: cognito-reconcile/v1
kind: IdentityPool
metadata: {name: euro, region: eu-west-1}
spec: {identityPoolName: Euro Pool, allowUnauthenticatedIdentities: false}
EOF
run_cr 0 apply "$T/eu" --auto-approve
run_cr 0 plan "$T/eu" --output json
EU=$(json_get "$T/out" 'd["pools"][0]["pool_id"]')
case "$EU" in eu-west-1:*) ;; *) fail "expected a pool id in eu-west-1, got '$EU'" ;; esac
run_cr 0 export --id "$EU" --id "$P2"   # AWS_REGION is us-east-1
expect_in "$T/out" "Euro Pool"
expect_in "$T/out" "region: eu-west-1"
expect_in "$T/out" "Legacy Web"
expect_in "$T/err" "reading pools in eu-west-1"
run_cr 1 export --id eu-west-1:00000000-0000-0000-0000-000000000000
expect_in "$T/err" "no such identity pool in eu-west-1"

echo "PASS: export"
