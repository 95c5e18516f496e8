/* SPDX-License-Identifier: Apache-2.0 */
/* Manifest -> desired state: the example of design §3 becomes a normalised desired pool. */
#include <stdlib.h>
#include <string.h>

#include "reconcile/desired.h"
#include "tests/support/cr_test.h"

static const char *k_manifest =
    "apiVersion: cognito-reconcile/v1\n"
    "kind: IdentityPool\n"
    "metadata:\n"
    "  name: mobile-prod\n"
    "  region: us-east-1\n"
    "spec:\n"
    "  identityPoolName: MobileApp Prod\n"
    "  allowUnauthenticatedIdentities: false\n"
    "  developerProviderName: login.example.mobile\n"
    "  supportedLoginProviders: {graph.facebook.com: \"7346241598935552\"}\n"
    "  cognitoIdentityProviders:\n"
    "    - {providerName: cognito-idp.us-east-1.amazonaws.com/us-east-1_Zz, clientId: zzclient}\n"
    "    - {providerName: cognito-idp.us-east-1.amazonaws.com/us-east-1_Ab12Cd34, clientId: "
    "6lhlkkfbfb4q5kpp90urffae, serverSideTokenCheck: true}\n"
    "  openIdConnectProviderARNs: [arn:aws:iam::123456789012:oidc-provider/z.example.com, "
    "arn:aws:iam::123456789012:oidc-provider/auth.example.com]\n"
    "  roles:\n"
    "    authenticated: arn:aws:iam::123456789012:role/MobileAuth\n"
    "  roleMappings:\n"
    "    \"cognito-idp.us-east-1.amazonaws.com/us-east-1_Ab12Cd34:6lhlkkfbfb4q5kpp90urffae\":\n"
    "      type: Rules\n"
    "      ambiguousRoleResolution: Deny\n"
    "      rulesConfiguration:\n"
    "        rules:\n"
    "          - {claim: custom:tier, matchType: Equals, value: paid, roleARN: "
    "arn:aws:iam::123456789012:role/MobilePaid}\n"
    "          - {claim: custom:tier, matchType: Equals, value: free, roleARN: "
    "arn:aws:iam::123456789012:role/MobileFree}\n"
    "  principalTagAttributeMaps:\n"
    "    \"cognito-idp.us-east-1.amazonaws.com/us-east-1_Ab12Cd34\":\n"
    "      principalTags: {department: \"custom:department\"}\n"
    "  tags: {team: mobile, env: prod}\n"
    "---\n"
    "apiVersion: cognito-reconcile/v1\n"
    "kind: IdentityPool\n"
    "metadata:\n"
    "  name: bare\n"
    "  id: eu-west-1:0b6f0000-0000-0000-0000-000000000000\n"
    "spec:\n"
    "  identityPoolName: Bare\n"
    "  allowUnauthenticatedIdentities: true\n"
    "  allowClassicFlow: true\n";

static void test_desired__manifest_becomes_normalised_desired_state(void **state)
{
    struct cr_manifest_input in = {"pools/mobile.yaml", k_manifest, strlen(k_manifest)};
    struct cr_manifest_set *set = NULL;
    struct cr_desired_set out = {0};
    assert_ok(cr_manifest_load_buffers(&set, &in, 1, NULL));
    assert_ok(cr_desired_from_manifest(&out, set));
    assert_int_equal(out.len, 2);

    const struct cr_desired_pool *d = &out.pools[0];
    assert_string_equal(d->name, "mobile-prod");
    assert_string_equal(d->region, "us-east-1");
    assert_null(d->adopt_id);
    assert_string_equal(d->source, "pools/mobile.yaml:1:1");
    assert_string_equal(d->config.name, "MobileApp Prod");
    /* absent allowClassicFlow is the API default, false */
    assert_int_equal(d->config.allow_classic_flow, 0);
    assert_string_equal(d->config.developer_provider_name, "login.example.mobile");
    /* providers sorted by name, absent serverSideTokenCheck = false */
    assert_int_equal(d->config.n_cognito_identity_providers, 2);
    assert_string_equal(d->config.cognito_identity_providers[0].client_id,
                        "6lhlkkfbfb4q5kpp90urffae");
    assert_int_equal(d->config.cognito_identity_providers[1].server_side_token_check, 0);
    assert_string_equal(d->config.open_id_connect_provider_arns.items[0],
                        "arn:aws:iam::123456789012:oidc-provider/auth.example.com");
    /* sections */
    assert_true(d->manage_roles);
    assert_int_equal(d->roles.roles.len, 1);
    assert_int_equal(d->roles.n_mappings, 1);
    /* rules keep their order */
    assert_string_equal(d->roles.mappings[0].rules[0].value, "paid");
    assert_string_equal(d->roles.mappings[0].rules[1].value, "free");
    assert_true(d->manage_principal_tags);
    assert_int_equal(d->principal_tags[0].use_defaults, 0);
    assert_string_equal(cr_strmap_get(&d->principal_tags[0].tags, "department"),
                        "custom:department");
    assert_true(d->manage_tags);
    assert_string_equal(cr_strmap_get(&d->tags, "team"), "mobile");

    const struct cr_desired_pool *b = &out.pools[1];
    assert_string_equal(b->adopt_id, "eu-west-1:0b6f0000-0000-0000-0000-000000000000");
    /* the region of the adopted id */
    assert_string_equal(b->region, "eu-west-1");
    assert_int_equal(b->config.allow_classic_flow, 1);
    assert_true(b->config.allow_unauthenticated);
    assert_false(b->manage_roles);
    assert_false(b->manage_principal_tags);
    assert_false(b->manage_tags);

    cr_desired_set_dispose(&out);
    cr_manifest_set_free(set);
}

static void test_desired__invalid_set_is_refused_with_its_first_problem(void **state)
{
    const char *bad = "apiVersion: cognito-reconcile/v1\nkind: IdentityPool\nmetadata:\n"
                      "  name: x\nspec:\n  identityPoolName: X\n"
                      "  allowUnauthenticatedIdentities: false\n  alowClassicFlow: true\n";
    struct cr_manifest_input in = {"x.yaml", bad, strlen(bad)};
    struct cr_manifest_set *set = NULL;
    struct cr_desired_set out = {0};
    assert_int_equal(cr_manifest_load_buffers(&set, &in, 1, NULL), CR_EINVALID);
    assert_non_null(set);
    assert_int_equal(cr_desired_from_manifest(&out, set), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "x.yaml:8:3"));
    assert_int_equal(out.len, 0);
    cr_manifest_set_free(set);
}

static void test_desired__provider_keys_cover_every_kind_of_provider(void **state)
{
    struct cr_cognito_pool c = {0};
    struct cr_strlist keys = {0};
    c.n_cognito_identity_providers = 1;
    c.cognito_identity_providers = calloc(1, sizeof(*c.cognito_identity_providers));
    c.cognito_identity_providers[0].provider_name = strdup("cognito-idp.x/pool");
    c.cognito_identity_providers[0].client_id = strdup("client");
    assert_ok(cr_strmap_set(&c.supported_login_providers, "graph.facebook.com", "1"));
    assert_ok(cr_strlist_push(&c.open_id_connect_provider_arns,
                              "arn:aws:iam::123456789012:oidc-provider/auth.example.com"));
    assert_ok(cr_strlist_push(&c.saml_provider_arns, "arn:aws:iam::1:saml-provider/corp"));
    assert_ok(cr_desired_provider_keys(&keys, &c));
    assert_true(cr_strlist_contains(&keys, "cognito-idp.x/pool"));
    assert_true(cr_strlist_contains(&keys, "cognito-idp.x/pool:client"));
    assert_true(cr_strlist_contains(&keys, "graph.facebook.com"));
    assert_true(cr_strlist_contains(&keys, "auth.example.com"));
    assert_true(
        cr_strlist_contains(&keys, "arn:aws:iam::123456789012:oidc-provider/auth.example.com"));
    assert_true(cr_strlist_contains(&keys, "arn:aws:iam::1:saml-provider/corp"));
    assert_int_equal(keys.len, 6);
    cr_strlist_dispose(&keys);
    cr_cognito_pool_dispose(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_desired__manifest_becomes_normalised_desired_state),
        cmocka_unit_test(test_desired__invalid_set_is_refused_with_its_first_problem),
        cmocka_unit_test(test_desired__provider_keys_cover_every_kind_of_provider),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
