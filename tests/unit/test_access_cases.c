/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test cases of IdentityPoolTest documents (reconcile/access_test.c): manifests and tests
 * loaded by schema/, the pool's desired state, each case evaluated by access/ and judged.
 */
#include "tests/support/cr_test.h"

#include <stdlib.h>
#include <string.h>

#include "reconcile/access_test.h"
#include "reconcile/desired.h"
#include "schema/manifest.h"

#define ROLE(n) "arn:aws:iam::123456789012:role/" n
#define UP      "cognito-idp.us-east-1.amazonaws.com/us-east-1_Ab12Cd34"

static const char s_pool[] =
    "apiVersion: cognito-reconcile/v1\nkind: IdentityPool\nmetadata: {name: app}\nspec:\n"
    "  identityPoolName: App\n  allowUnauthenticatedIdentities: true\n"
    "  supportedLoginProviders: {graph.facebook.com: \"7346241598935552\"}\n"
    "  cognitoIdentityProviders:\n    - {providerName: " UP ", clientId: app1}\n"
    "  roles: {authenticated: \"" ROLE("Auth") "\", unauthenticated: \"" ROLE("Guest") "\"}\n"
    "  roleMappings:\n    \"" UP ":app1\":\n      type: Rules\n      ambiguousRoleResolution: Deny\n"
    "      rulesConfiguration:\n        rules:\n          - {claim: \"custom:tier\", matchType: "
    "Equals, value: paid, roleARN: \"" ROLE("Paid") "\"}\n"
    "  principalTagAttributeMaps:\n    " UP ": {useDefaults: true, principalTags: {tier: "
    "\"custom:tier\"}}\n";

struct world {
    struct cr_manifest_set *set;
    struct cr_desired_set desired;
    struct cr_access_case cases[8];
    size_t n;
};

/* Loads the pool (or pool_yaml) and a test whose cases are cases_yaml; evaluates them. */
static void s_run(struct world *w, const char *pool_yaml, const char *cases_yaml)
{
    struct cr_buf text = CR_BUF_INIT;
    cr_buf_printf(&text, "%s---\napiVersion: cognito-reconcile/v1\nkind: IdentityPoolTest\n"
                         "metadata: {name: t}\nspec:\n  pool: app\n  cases:\n%s",
                  pool_yaml, cases_yaml);
    struct cr_manifest_input in = {"m.yaml", text.ptr, text.len};
    memset(w, 0, sizeof(*w));
    int rc = cr_manifest_load_buffers(&w->set, &in, 1, NULL);
    if (rc != 0) {
        struct cr_buf d = CR_BUF_INIT;
        for (size_t i = 0; w->set && i < w->set->n_diagnostics; i++)
            assert_ok(cr_diagnostic_format(&d, &w->set->diagnostics[i]));
        fail_msg("load failed (%d): %s %s", rc, cr_error_last(), cr_buf_cstr(&d));
    }
    assert_ok(cr_desired_from_manifest(&w->desired, w->set));
    assert_int_equal(w->set->n_tests, 1);
    const struct cr_model_test *t = w->set->tests[0];
    assert_ptr_equal(t->target, w->set->pools[0]);
    for (size_t i = 0; i < t->n_cases && i < 8; i++, w->n++)
        assert_ok(cr_access_case_eval(&w->cases[i], &w->desired.pools[0], t, &t->cases[i]));
    cr_buf_dispose(&text);
}

static void s_free(struct world *w)
{
    for (size_t i = 0; i < w->n; i++)
        cr_access_case_dispose(&w->cases[i]);
    cr_desired_set_dispose(&w->desired);
    cr_manifest_set_free(w->set);
}

static void s_expect(const struct cr_access_case *c, enum cr_access_case_status status,
                     const char *detail)
{
    if (c->status != status || (detail == NULL) != (c->detail == NULL) ||
        (detail && strcmp(detail, c->detail) != 0))
        fail_msg("case '%s': expected %s '%s', got %s '%s'", c->tc->name.value,
                 cr_access_case_status_name(status), detail ? detail : "",
                 cr_access_case_status_name(c->status), c->detail ? c->detail : "");
}

static void test_access_cases__verdicts(void **state)
{
    struct world w;
    s_run(&w, s_pool,
          "    - name: paid\n      login: " UP ":app1\n      claims: {\"custom:tier\": paid}\n"
          "      expect: {role: \"" ROLE("Paid") "\", principalTags: {tier: paid, client: app1,"
          " username: t/1}}\n"
          "    - name: gold is denied\n      login: " UP ":app1\n      claims: {\"custom:tier\": gold}\n"
          "      expect: {denied: true, error: NotAuthorizedException}\n"
          "    - name: wrongly expects paid\n      login: " UP ":app1\n"
          "      claims: {\"custom:tier\": free}\n      expect: {role: \"" ROLE("Paid") "\"}\n"
          "    - name: wrongly expects denied\n      unauthenticated: true\n"
          "      expect: {denied: true}\n"
          "    - name: wrong tags\n      login: " UP ":app1\n      claims: {\"custom:tier\": paid}\n"
          "      expect: {role: \"" ROLE("Paid") "\", principalTags: {tier: gold}}\n"
          "    - name: wrong error\n      login: graph.facebook.com\n"
          "      expect: {error: InvalidIdentityPoolConfigurationException}\n");
    s_expect(&w.cases[0], CR_CASE_PASS, NULL);
    assert_string_equal(w.cases[0].got.explanation,
                        "rule 1 of roleMappings[\"" UP ":app1\"] matched custom:tier Equals paid");
    s_expect(&w.cases[1], CR_CASE_PASS, NULL);
    s_expect(&w.cases[2], CR_CASE_FAIL, "expected role Paid, got denied (NotAuthorizedException)");
    s_expect(&w.cases[3], CR_CASE_FAIL, "expected denied, got role Guest");
    s_expect(&w.cases[4], CR_CASE_FAIL,
             "expected principal tags {tier=gold}, got {client=app1, tier=paid, username=t/5}");
    s_expect(&w.cases[5], CR_CASE_FAIL,
             "expected InvalidIdentityPoolConfigurationException, got role Auth");
    s_free(&w);
}

static void test_access_cases__unmanaged_sections_cannot_be_judged(void **state)
{
    static const char pool[] =
        "apiVersion: cognito-reconcile/v1\nkind: IdentityPool\nmetadata: {name: app}\nspec:\n"
        "  identityPoolName: App\n  allowUnauthenticatedIdentities: true\n";
    struct world w;
    s_run(&w, pool, "    - name: guests\n      unauthenticated: true\n      expect: {denied: true}\n");
    assert_int_equal(w.cases[0].status, CR_CASE_ERROR);
    assert_non_null(strstr(w.cases[0].detail, "pool 'app' does not manage its roles"));
    s_free(&w);
    /* roles managed but no principal-tag maps: only a case that expects tags is undecidable */
    static const char pool2[] =
        "apiVersion: cognito-reconcile/v1\nkind: IdentityPool\nmetadata: {name: app}\nspec:\n"
        "  identityPoolName: App\n  allowUnauthenticatedIdentities: true\n"
        "  roles: {unauthenticated: \"" ROLE("Guest") "\"}\n";
    s_run(&w, pool2,
          "    - name: guests\n      unauthenticated: true\n"
          "      expect: {role: \"" ROLE("Guest") "\"}\n"
          "    - name: guests with tags\n      unauthenticated: true\n"
          "      expect: {role: \"" ROLE("Guest") "\", principalTags: {}}\n");
    s_expect(&w.cases[0], CR_CASE_PASS, NULL);
    assert_int_equal(w.cases[1].status, CR_CASE_ERROR);
    assert_non_null(strstr(w.cases[1].detail, "principal-tag maps"));
    s_free(&w);
}

static void test_access_cases__claims_keep_their_types(void **state)
{
    struct world w;
    s_run(&w, s_pool,
          "    - name: types\n      login: " UP ":app1\n"
          "      claims: {n: 3, r: 1.5, b: true, s: \"3\", l: [a, 2, false], \"custom:tier\": x}\n"
          "      expect: {denied: true}\n");
    const struct cr_model_test *t = w.set->tests[0];
    struct cr_access_provider p;
    const char *client;
    assert_ok(cr_access_login_parse(&p, &client, &w.desired.pools[0].config, UP ":app1"));
    json_t *c = cr_access_case_claims(t, &t->cases[0], &p, client);
    assert_non_null(c);
    char *text = json_dumps(c, JSON_SORT_KEYS | JSON_COMPACT);
    assert_string_equal(text, "{\"aud\":\"app1\",\"b\":true,\"custom:tier\":\"x\",\"iss\":"
                              "\"https://" UP "\",\"l\":[\"a\",2,false],\"n\":3,\"r\":1.5,"
                              "\"s\":\"3\",\"sub\":\"t/1\"}");
    free(text);
    json_decref(c);
    s_expect(&w.cases[0], CR_CASE_PASS, NULL);
    s_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_access_cases__verdicts),
        cmocka_unit_test(test_access_cases__unmanaged_sections_cannot_be_judged),
        cmocka_unit_test(test_access_cases__claims_keep_their_types),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
