/* SPDX-License-Identifier: Apache-2.0 */
/* Manifest loading and validation: the fixture corpus (every invalid manifest with its exact
 * expected diagnostics; every valid manifest and example loads clean), the model the loader
 * builds, and hostile input. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "schema/manifest.h"
#include "tests/support/cr_test.h"
#include "util/buf.h"

/* ---- helpers ---- */

static int s_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in dir ending with suffix; returns count, *out heap array of heap strings. */
static size_t s_list(char ***out, const char *dir, const char *suffix)
{
    DIR *d = opendir(dir);
    size_t n = 0, cap = 0;
    char **names = NULL;
    assert_non_null(d);
    for (struct dirent *e = readdir(d); e != NULL; e = readdir(d)) {
        size_t len = strlen(e->d_name), sl = strlen(suffix);
        if (len <= sl || strcmp(e->d_name + len - sl, suffix) != 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            names = realloc(names, cap * sizeof(*names));
            assert_non_null(names);
        }
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(*names), s_cmp);
    *out = names;
    return n;
}

static void s_free_list(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* Loads one buffer; returns the set (never NULL) and its rc in *rc. */
static struct cr_manifest_set *s_load(const char *text, size_t len, int *rc,
                                      const struct cr_manifest_options *opts)
{
    struct cr_manifest_input in = {"test.yaml", text, len};
    struct cr_manifest_set *set = NULL;
    *rc = cr_manifest_load_buffers(&set, &in, 1, opts);
    assert_non_null(set);
    return set;
}

static struct cr_manifest_set *s_load_str(const char *text, int *rc)
{
    return s_load(text, strlen(text), rc, NULL);
}

/* All diagnostics as "file:line:col: message\n" lines. Heap string. */
static char *s_render(const struct cr_manifest_set *set)
{
    struct cr_buf out = CR_BUF_INIT;
    for (size_t i = 0; i < set->n_diagnostics; i++) {
        assert_ok(cr_diagnostic_format(&out, &set->diagnostics[i]));
        assert_ok(cr_buf_putc(&out, '\n'));
    }
    assert_ok(cr_buf_put(&out, "", 0));
    return cr_buf_detach(&out);
}

static void s_expect_one(const char *yaml, const char *expected_line)
{
    int rc = 0;
    struct cr_manifest_set *set = s_load_str(yaml, &rc);
    char *got = s_render(set);
    assert_int_equal(rc, CR_EINVALID);
    if (strstr(got, expected_line) == NULL)
        fail_msg("expected a diagnostic containing\n  %s\ngot\n%s", expected_line, got);
    free(got);
    cr_manifest_set_free(set);
}

#define S_HEAD "apiVersion: cognito-reconcile/v1\nkind: IdentityPool\n"
#define S_POOL                                                                                     \
    S_HEAD "metadata:\n  name: p\nspec:\n  identityPoolName: P\n  "                                \
           "allowUnauthenticatedIdentities: false\n"

/* ---- the fixture corpus ---- */

static void test_manifest__invalid_fixtures_match_expected(void **state)
{
    const char *rel = "tests/data/manifests/invalid";
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", cr_test_source_path(rel));
    char **names = NULL;
    size_t n = s_list(&names, dir, ".yaml");
    size_t failures = 0;
    assert_in_range(n, 50, SIZE_MAX);
    for (size_t i = 0; i < n; i++) {
        char path[4400], display[4400], expected_path[4400];
        struct cr_buf bytes = CR_BUF_INIT, expected = CR_BUF_INIT;
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        snprintf(display, sizeof(display), "%s/%s", rel, names[i]);
        snprintf(expected_path, sizeof(expected_path), "%.*s.expected",
                 (int)(strlen(path) - strlen(".yaml")), path);
        assert_ok(cr_buf_read_file(&bytes, path, 4 << 20));
        assert_ok(cr_buf_read_file(&expected, expected_path, 1 << 20));
        struct cr_manifest_input in = {display, bytes.ptr ? bytes.ptr : "", bytes.len};
        struct cr_manifest_set *set = NULL;
        int rc = cr_manifest_load_buffers(&set, &in, 1, NULL);
        assert_non_null(set);
        char *got = s_render(set);
        if (rc != CR_EINVALID || strcmp(got, cr_buf_cstr(&expected)) != 0) {
            print_error("%s: rc %d\n--- expected\n%s--- got\n%s", names[i], rc,
                        cr_buf_cstr(&expected), got);
            failures++;
        }
        free(got);
        cr_manifest_set_free(set);
        cr_buf_dispose(&bytes);
        cr_buf_dispose(&expected);
    }
    s_free_list(names, n);
    assert_int_equal(failures, 0);
}

/* Every folder under rel loads as one set without a diagnostic (a folder is what the CLI
 * reads: tests name pools of other files) and holds a pool; with each_file, every file on
 * its own too (fixtures stand alone). */
static void s_expect_valid_dir(const char *rel, const char *const *subdirs, size_t n_sub,
                               bool each_file)
{
    for (size_t s = 0; s < n_sub; s++) {
        char dir[4096];
        snprintf(dir, sizeof(dir), "%s/%s", cr_test_source_path(rel), subdirs[s]);
        char **names = NULL;
        size_t n = s_list(&names, dir, ".yaml");
        assert_in_range(n, 1, SIZE_MAX);
        struct cr_buf *bytes = calloc(n, sizeof(*bytes));
        struct cr_manifest_input *in = calloc(n, sizeof(*in));
        char(*paths)[4400] = calloc(n, sizeof(*paths));
        assert_non_null(bytes);
        assert_non_null(in);
        assert_non_null(paths);
        for (size_t i = 0; i < n; i++) {
            snprintf(paths[i], sizeof(paths[i]), "%s/%s", dir, names[i]);
            assert_ok(cr_buf_read_file(&bytes[i], paths[i], 4 << 20));
            in[i] = (struct cr_manifest_input){paths[i], bytes[i].ptr ? bytes[i].ptr : "",
                                               bytes[i].len};
        }
        for (size_t i = 0; i <= n; i++) {
            if (i < n && !each_file)
                continue;
            struct cr_manifest_set *set = NULL;
            int rc = cr_manifest_load_buffers(&set, i < n ? &in[i] : in, i < n ? 1 : n, NULL);
            assert_non_null(set);
            if (rc != 0) {
                char *got = s_render(set);
                fail_msg("%s should be valid:\n%s", i < n ? paths[i] : dir, got);
            }
            assert_in_range(set->n_pools, 1, SIZE_MAX);
            cr_manifest_set_free(set);
        }
        for (size_t i = 0; i < n; i++)
            cr_buf_dispose(&bytes[i]);
        free(bytes);
        free(in);
        free(paths);
        s_free_list(names, n);
    }
}

static void test_manifest__valid_fixtures_load(void **state)
{
    static const char *const sub[] = {"."};
    s_expect_valid_dir("tests/data/manifests/valid", sub, 1, true);
}

static void test_manifest__examples_load(void **state)
{
    static const char *const sub[] = {"minimal", "mobile", "dev", "prod"};
    s_expect_valid_dir("examples", sub, 4, false);
}

/* ---- the model ---- */

static const char s_full[] = S_HEAD
    "metadata:\n"
    "  name: mobile-prod\n"
    "  region: us-east-1\n"
    "  id: us-east-1:0b6f1d2e-aaaa-4bbb-8ccc-0123456789ab\n"
    "spec:\n"
    "  identityPoolName: MobileApp Prod\n"
    "  allowUnauthenticatedIdentities: false\n"
    "  developerProviderName: login.example.mobile\n"
    "  supportedLoginProviders: {graph.facebook.com: \"7346241598935552\"}\n"
    "  cognitoIdentityProviders:\n"
    "    - {providerName: cognito-idp.us-east-1.amazonaws.com/us-east-1_Ab12Cd34, clientId: "
    "abc, serverSideTokenCheck: true}\n"
    "    - {providerName: cognito-idp.us-east-1.amazonaws.com/us-east-1_Zz, clientId: def}\n"
    "  openIdConnectProviderARNs: [arn:aws:iam::123456789012:oidc-provider/auth.example.com]\n"
    "  samlProviderARNs: []\n"
    "  roleMappings:\n"
    "    auth.example.com:\n"
    "      type: Rules\n"
    "      ambiguousRoleResolution: Deny\n"
    "      rulesConfiguration:\n"
    "        rules:\n"
    "          - {claim: tier, matchType: Equals, value: paid, roleARN: "
    "arn:aws:iam::123456789012:role/Paid}\n"
    "          - {claim: tier, matchType: StartsWith, value: free, roleARN: "
    "arn:aws:iam::123456789012:role/Free}\n"
    "  tags: {team: mobile, env: prod}\n";

static void test_manifest__model_fields_and_positions(void **state)
{
    int rc = 0;
    struct cr_manifest_set *set = s_load_str(s_full, &rc);
    assert_ok(rc);
    assert_int_equal(set->n_pools, 1);
    assert_int_equal(set->n_files, 1);
    const struct cr_model_pool *p = set->pools[0];
    assert_string_equal(p->file, "test.yaml");
    assert_string_equal(p->name.value, "mobile-prod");
    assert_int_equal(p->name.loc.line, 4);
    assert_int_equal(p->name.loc.column, 9);
    assert_int_equal(p->name.key_loc.column, 3);
    assert_string_equal(p->region.value, "us-east-1");
    assert_string_equal(p->id_region, "us-east-1");
    assert_string_equal(p->identity_pool_name.value, "MobileApp Prod");
    assert_int_equal(p->allow_unauthenticated_identities.value, CR_TRI_FALSE);
    assert_int_equal(p->allow_classic_flow.value, CR_TRI_ABSENT);
    assert_string_equal(p->developer_provider_name.value, "login.example.mobile");
    assert_string_equal(cr_model_map_get(&p->supported_login_providers, "graph.facebook.com"),
                        "7346241598935552");
    assert_int_equal(p->n_cognito_identity_providers, 2);
    assert_int_equal(p->cognito_identity_providers[0].server_side_token_check.value, CR_TRI_TRUE);
    assert_int_equal(p->cognito_identity_providers[1].server_side_token_check.value, CR_TRI_ABSENT);
    assert_string_equal(p->cognito_identity_providers[1].client_id.value, "def");
    assert_true(cr_model_list_contains(&p->open_id_connect_provider_arns,
                                       "arn:aws:iam::123456789012:oidc-provider/auth.example.com"));
    assert_true(p->saml_provider_arns.present);
    assert_int_equal(p->saml_provider_arns.len, 0);
    /* roleMappings without roles still manages the roles section. */
    assert_true(p->manage_roles);
    assert_false(p->roles.present);
    assert_int_equal(p->n_role_mappings, 1);
    const struct cr_model_role_mapping *m = &p->role_mappings[0];
    assert_string_equal(m->provider.value, "auth.example.com");
    assert_string_equal(m->type.value, "Rules");
    assert_int_equal(m->n_rules, 2);
    assert_string_equal(m->rules[1].match_type.value, "StartsWith");
    assert_string_equal(m->rules[1].role_arn.value, "arn:aws:iam::123456789012:role/Free");
    assert_int_equal(m->rules[1].loc.line, 24);
    assert_false(p->manage_principal_tags);
    assert_true(p->manage_tags);
    assert_int_equal(p->tags.len, 2);
    assert_string_equal(p->tags.items[0].key.value, "team");
    assert_string_equal(cr_manifest_set_find(set, "mobile-prod", "us-east-1")->name.value,
                        "mobile-prod");
    assert_null(cr_manifest_set_find(set, "mobile-prod", "eu-west-1"));
    cr_manifest_set_free(set);
}

static void test_manifest__absent_sections_are_unmanaged(void **state)
{
    int rc = 0;
    struct cr_manifest_set *set = s_load_str(S_POOL "  allowClassicFlow: true\n", &rc);
    assert_ok(rc);
    const struct cr_model_pool *p = set->pools[0];
    assert_false(p->manage_roles);
    assert_false(p->manage_principal_tags);
    assert_false(p->manage_tags);
    assert_false(p->supported_login_providers.present);
    assert_false(p->has_cognito_identity_providers);
    assert_null(p->developer_provider_name.value);
    assert_int_equal(p->allow_classic_flow.value, CR_TRI_TRUE);
    cr_manifest_set_free(set);
}

static void test_manifest__empty_sections_are_managed(void **state)
{
    int rc = 0;
    struct cr_manifest_set *set =
        s_load_str(S_POOL "  roles: {}\n  principalTagAttributeMaps: {}\n  tags: {}\n", &rc);
    assert_ok(rc);
    const struct cr_model_pool *p = set->pools[0];
    assert_true(p->manage_roles);
    assert_true(p->manage_principal_tags);
    assert_true(p->manage_tags);
    assert_int_equal(p->tags.len, 0);
    cr_manifest_set_free(set);
}

/* ---- validation options ---- */

static void test_manifest__reserved_tags_count_against_limit(void **state)
{
    struct cr_buf yaml = CR_BUF_INIT;
    assert_ok(cr_buf_puts(&yaml, S_POOL "  tags:\n"));
    for (int i = 0; i < 48; i++)
        assert_ok(cr_buf_printf(&yaml, "    t%02d: v\n", i));
    int rc = 0;
    struct cr_manifest_set *set = s_load_str(yaml.ptr, &rc);
    assert_ok(rc); /* 48 + 2 = 50 */
    cr_manifest_set_free(set);
    struct cr_manifest_options opts;
    cr_manifest_options_init(&opts);
    opts.reserved_tags = CR_MANIFEST_RESERVED_TAGS_GIT;
    set = s_load(yaml.ptr, yaml.len, &rc, &opts);
    assert_int_equal(rc, CR_EINVALID); /* 48 + 3 = 51 */
    assert_int_equal(set->n_diagnostics, 1);
    assert_non_null(strstr(set->diagnostics[0].message, "48 tags plus the 3 ownership tags"));
    assert_string_equal(set->diagnostics[0].path, "spec.tags");
    cr_manifest_set_free(set);
    cr_buf_dispose(&yaml);
}

static void test_manifest__names_unique_per_region(void **state)
{
    static const char two[] = S_HEAD "metadata: {name: a}\nspec: {identityPoolName: A, "
                                     "allowUnauthenticatedIdentities: false}\n---\n" S_HEAD
                                     "metadata: {name: a, region: us-east-1}\nspec: "
                                     "{identityPoolName: A, allowUnauthenticatedIdentities: "
                                     "false}\n";
    int rc = 0;
    /* No default region: the first has no region, the second us-east-1: different. */
    struct cr_manifest_set *set = s_load_str(two, &rc);
    assert_ok(rc);
    cr_manifest_set_free(set);
    /* With --region us-east-1 both are in us-east-1: a clash naming both places. */
    struct cr_manifest_options opts;
    cr_manifest_options_init(&opts);
    opts.default_region = "us-east-1";
    set = s_load(two, strlen(two), &rc, &opts);
    assert_int_equal(rc, CR_EINVALID);
    assert_int_equal(set->n_diagnostics, 1);
    assert_int_equal(set->diagnostics[0].line, 8);
    assert_int_equal(set->diagnostics[0].column, 18);
    assert_string_equal(set->diagnostics[0].message,
                        "metadata.name: duplicate pool name 'a' in region us-east-1 (also "
                        "defined at test.yaml:3:18)");
    cr_manifest_set_free(set);
}

static void test_manifest__names_unique_across_files(void **state)
{
    static const char one[] = S_HEAD "metadata: {name: shared}\nspec: {identityPoolName: A, "
                                     "allowUnauthenticatedIdentities: false}\n";
    struct cr_manifest_input in[] = {{"b.yaml", one, sizeof(one) - 1},
                                     {"a.yaml", one, sizeof(one) - 1}};
    struct cr_manifest_set *set = NULL;
    assert_int_equal(cr_manifest_load_buffers(&set, in, 2, NULL), CR_EINVALID);
    assert_int_equal(set->n_diagnostics, 1);
    assert_string_equal(set->diagnostics[0].file, "a.yaml");
    assert_non_null(strstr(set->diagnostics[0].message, "also defined at b.yaml:3:18"));
    assert_int_equal(cr_manifest_set_files_with_errors(set), 1);
    assert_non_null(strstr(cr_error_last(), "a.yaml:3:18: metadata.name: duplicate"));
    cr_manifest_set_free(set);
}

static void test_manifest__default_region_checks_adopted_id(void **state)
{
    struct cr_manifest_options opts;
    cr_manifest_options_init(&opts);
    opts.default_region = "us-east-1";
    static const char yaml[] = S_HEAD "metadata:\n  name: p\n  id: "
                                      "eu-west-1:0b6f1d2e-aaaa-4bbb-8ccc-0123456789ab\nspec: "
                                      "{identityPoolName: P, allowUnauthenticatedIdentities: "
                                      "true}\n";
    int rc = 0;
    struct cr_manifest_set *set = s_load(yaml, strlen(yaml), &rc, &opts);
    assert_int_equal(rc, CR_EINVALID);
    assert_string_equal(set->diagnostics[0].message,
                        "metadata.id: pool id is in region eu-west-1 but the default region is "
                        "us-east-1 (set metadata.region)");
    cr_manifest_set_free(set);
}

/* ---- hostile and odd input ---- */

static void test_manifest__file_size_cap(void **state)
{
    struct cr_manifest_options opts;
    cr_manifest_options_init(&opts);
    opts.max_file_bytes = 64;
    int rc = 0;
    struct cr_manifest_set *set = s_load(s_full, strlen(s_full), &rc, &opts);
    assert_int_equal(rc, CR_EINVALID);
    assert_int_equal(set->n_diagnostics, 1);
    assert_non_null(strstr(set->diagnostics[0].message, "larger than the limit of 64 bytes"));
    cr_manifest_set_free(set);
}

static void test_manifest__billion_laughs_is_bounded(void **state)
{
    struct cr_buf yaml = CR_BUF_INIT;
    assert_ok(cr_buf_puts(&yaml, S_HEAD "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"));
    /* 12 levels of 9 aliases: 9^12 items if expanded, 108 alias uses in the text. */
    for (int i = 1; i < 13; i++) {
        assert_ok(cr_buf_printf(&yaml, "a%d: &a%d [", i, i));
        for (int k = 0; k < 9; k++)
            assert_ok(cr_buf_printf(&yaml, "%s*a%d", k ? ", " : "", i - 1));
        assert_ok(cr_buf_puts(&yaml, "]\n"));
    }
    int rc = 0;
    struct cr_manifest_set *set = s_load(yaml.ptr, yaml.len, &rc, NULL);
    assert_int_equal(rc, CR_EINVALID);
    assert_int_equal(set->n_diagnostics, 1);
    assert_string_equal(set->diagnostics[0].message,
                        "too many aliases in one document (more than 100)");
    assert_int_equal(set->diagnostics[0].line, 15); /* the 101st alias, in a12 */
    cr_manifest_set_free(set);
    cr_buf_dispose(&yaml);
}

static void test_manifest__nul_and_invalid_utf8(void **state)
{
    static const char nul[] = "kind: IdentityPool\napiVersion: x\0y\n";
    int rc = 0;
    struct cr_manifest_set *set = s_load(nul, sizeof(nul) - 1, &rc, NULL);
    assert_int_equal(rc, CR_EINVALID);
    assert_string_equal(set->diagnostics[0].message, "NUL byte in file");
    assert_int_equal(set->diagnostics[0].line, 2);
    assert_int_equal(set->diagnostics[0].column, 14);
    cr_manifest_set_free(set);
    s_expect_one("kind: IdentityPool\napiVersion: \xc3\x28\n",
                 "test.yaml:2:13: invalid UTF-8 (byte 0xC3");
    /* An escaped NUL inside a double-quoted scalar is refused too. */
    s_expect_one(S_POOL "  developerProviderName: \"a\\0b\"\n",
                 "test.yaml:8:26: NUL character in a string");
}

static void test_manifest__deep_nesting_is_bounded(void **state)
{
    struct cr_buf yaml = CR_BUF_INIT;
    assert_ok(cr_buf_puts(&yaml, S_HEAD "spec: "));
    for (int i = 0; i < 10000; i++)
        assert_ok(cr_buf_putc(&yaml, '['));
    int rc = 0;
    struct cr_manifest_set *set = s_load(yaml.ptr, yaml.len, &rc, NULL);
    assert_int_equal(rc, CR_EINVALID);
    assert_string_equal(set->diagnostics[0].message, "nesting deeper than 64 levels");
    cr_manifest_set_free(set);
    cr_buf_dispose(&yaml);
}

static void test_manifest__booleans_are_strict(void **state)
{
    s_expect_one(S_POOL "  allowClassicFlow: on\n", "got 'on' (YAML 1.1 spellings");
    s_expect_one(S_POOL "  allowClassicFlow: 'true'\n", "got the string \"true\" (remove");
    s_expect_one(S_POOL "  allowClassicFlow: 0\n", "got the number 0");
    s_expect_one(S_POOL "  allowClassicFlow: {}\n", "got a mapping");
    s_expect_one(S_POOL "  developerProviderName: true\n",
                 "expected a string, got the boolean true (quote it: \"true\")");
    s_expect_one(S_POOL "  developerProviderName: 1.5e3\n", "got the number 1.5e3");
    int rc = 0;
    /* Typed explicitly as a string, a number-looking value is a string. */
    struct cr_manifest_set *set = s_load_str(S_POOL "  developerProviderName: !!str 12345\n", &rc);
    assert_ok(rc);
    assert_string_equal(set->pools[0]->developer_provider_name.value, "12345");
    cr_manifest_set_free(set);
}

static void test_manifest__unknown_keys_everywhere(void **state)
{
    s_expect_one(S_POOL "  cognitoIdentityProviders:\n    - {providerName: "
                        "cognito-idp.us-east-1.amazonaws.com/us-east-1_A, clientId: c, "
                        "serverSideTokencheck: true}\n",
                 "unknown key 'serverSideTokencheck' (did you mean 'serverSideTokenCheck'?)");
    s_expect_one(S_HEAD "metadta: {name: p}\nmetadata: {name: p}\nspec: {identityPoolName: P, "
                        "allowUnauthenticatedIdentities: false}\n",
                 "test.yaml:3:1: unknown key 'metadta' (did you mean 'metadata'?)");
    s_expect_one(S_POOL "  xyzzy: 1\n", "test.yaml:8:3: unknown key 'xyzzy' in spec");
}

static void test_manifest__all_errors_reported_in_order(void **state)
{
    static const char two_files_a[] = S_HEAD "metadata: {name: A}\nspec: {identityPoolName: "
                                             "P, allowUnauthenticatedIdentities: x}\n";
    static const char two_files_b[] = S_HEAD "spec: [\n";
    struct cr_manifest_input in[] = {{"z.yaml", two_files_a, sizeof(two_files_a) - 1},
                                     {"a.yaml", two_files_b, sizeof(two_files_b) - 1}};
    struct cr_manifest_set *set = NULL;
    assert_int_equal(cr_manifest_load_buffers(&set, in, 2, NULL), CR_EINVALID);
    char *got = s_render(set);
    /* file order is argument order; inside a file, line then column */
    assert_string_equal(got, "z.yaml:3:18: metadata.name: 'A' is not a valid name (1 to 63 "
                             "lowercase letters, digits and '-', starting with a letter or "
                             "digit)\n"
                             "z.yaml:4:61: spec.allowUnauthenticatedIdentities: expected true or "
                             "false, got the string \"x\"\n"
                             "a.yaml:4:1: invalid YAML: did not find expected node content "
                             "while parsing a flow node (started at line 4, column 1)\n");
    assert_int_equal(cr_manifest_set_files_with_errors(set), 2);
    free(got);
    cr_manifest_set_free(set);
}

static void test_manifest__diagnostic_cap(void **state)
{
    struct cr_buf yaml = CR_BUF_INIT;
    assert_ok(cr_buf_puts(&yaml, S_POOL));
    for (int i = 0; i < 30; i++)
        assert_ok(cr_buf_printf(&yaml, "  bad%d: x\n", i));
    struct cr_manifest_options opts;
    cr_manifest_options_init(&opts);
    opts.max_diagnostics = 10;
    int rc = 0;
    struct cr_manifest_set *set = s_load(yaml.ptr, yaml.len, &rc, &opts);
    assert_int_equal(rc, CR_EINVALID);
    assert_int_equal(set->n_diagnostics, 10);
    assert_true(set->truncated);
    cr_manifest_set_free(set);
    cr_buf_dispose(&yaml);
}

static void test_manifest__add_then_finish(void **state)
{
    struct cr_manifest_set *set = NULL;
    assert_ok(cr_manifest_set_new(&set, NULL));
    assert_ok(cr_manifest_set_add(set, "one.yaml", S_POOL, strlen(S_POOL)));
    assert_ok(cr_manifest_set_add(set, "bad.yaml", S_HEAD, strlen(S_HEAD)));
    assert_int_equal(cr_manifest_set_finish(set), CR_EINVALID);
    assert_int_equal(set->n_pools, 2); /* an invalid pool is still converted, and reported */
    assert_int_equal(set->n_files, 2);
    assert_string_equal(set->diagnostics[0].file, "bad.yaml");
    assert_string_equal(set->diagnostics[0].message, "missing required key 'metadata'");
    assert_int_equal(cr_manifest_set_add(set, "late.yaml", S_POOL, strlen(S_POOL)), CR_ERROR);
    assert_int_equal(set->n_files, 2);
    cr_manifest_set_free(set);
    cr_manifest_set_free(NULL);
    /* No files at all (an empty folder): a valid, empty set. */
    assert_ok(cr_manifest_load_buffers(&set, NULL, 0, NULL));
    assert_int_equal(set->n_pools, 0);
    assert_int_equal(set->n_diagnostics, 0);
    cr_manifest_set_free(set);
}

static void test_manifest__parallel_load_matches_sequential(void **state)
{
    /* 8 files of about 60 KB (past the parallel threshold), with errors in some pools and a
     * name used in two files: 1 thread and 4 threads must give the same set. */
    enum { FILES = 8, POOLS = 150 };
    struct cr_buf files[FILES];
    char names[FILES][32];
    struct cr_manifest_input in[FILES];
    for (int f = 0; f < FILES; f++) {
        cr_buf_init(&files[f]);
        for (int p = 0; p < POOLS; p++) {
            int id = f * POOLS + p;
            char name[32];
            snprintf(name, sizeof(name), "p-%d", id == 1000 ? 5 : id);
            assert_ok(cr_buf_printf(&files[f],
                                    "%s" S_HEAD "metadata: {name: %s}\nspec:\n"
                                    "  identityPoolName: %s\n"
                                    "  allowUnauthenticatedIdentities: false\n"
                                    "  tags: {team: t%d, owner: someone-with-a-long-name}\n",
                                    p ? "---\n" : "", name, id % 97 == 0 ? "bad/name" : "Pool",
                                    id));
        }
        snprintf(names[f], sizeof(names[f]), "f%d.yaml", f);
        in[f] = (struct cr_manifest_input){names[f], files[f].ptr, files[f].len};
    }
    struct cr_manifest_options one, four;
    cr_manifest_options_init(&one);
    one.threads = 1;
    cr_manifest_options_init(&four);
    four.threads = 4;
    struct cr_manifest_set *a = NULL, *b = NULL;
    int ra = cr_manifest_load_buffers(&a, in, FILES, &one);
    int rb = cr_manifest_load_buffers(&b, in, FILES, &four);
    assert_int_equal(ra, CR_EINVALID);
    assert_int_equal(rb, ra);
    assert_int_equal(a->n_pools, (size_t)FILES * POOLS);
    assert_int_equal(b->n_pools, a->n_pools);
    assert_int_equal(b->n_files, (size_t)FILES);
    for (size_t i = 0; i < a->n_pools; i++) {
        assert_string_equal(a->pools[i]->file, b->pools[i]->file);
        assert_int_equal(a->pools[i]->document, b->pools[i]->document);
    }
    char *da = s_render(a), *db = s_render(b);
    assert_string_equal(da, db);
    /* 13 bad names (every 97th pool) and the duplicate name in f6.yaml */
    assert_int_equal(a->n_diagnostics, 14);
    assert_non_null(strstr(da, "f6.yaml:"));
    assert_non_null(strstr(da, "duplicate pool name 'p-5' (also defined at f0.yaml:"));
    free(da);
    free(db);
    cr_manifest_set_free(a);
    cr_manifest_set_free(b);
    for (int f = 0; f < FILES; f++)
        cr_buf_dispose(&files[f]);
}

/* ---- kind: Account ---- */

#define S_ACCOUNT "apiVersion: cognito-reconcile/v1\nkind: Account\n"

static void test_manifest__accounts_model_and_regions(void **state)
{
    static const char accounts[] =
        S_ACCOUNT "metadata: {name: prod}\nspec:\n  accountId: \"222222222222\"\n"
                  "  roleArn: arn:aws:iam::222222222222:role/deploy\n  externalId: ci-1\n"
                  "  sessionName: ci\n  region: eu-west-1\n---\n" S_ACCOUNT
                  "metadata: {name: dev}\nspec: {accountId: \"111111111111\", profile: dev}\n";
    static const char pools[] =
        S_HEAD "metadata: {name: web, account: prod}\nspec: {identityPoolName: W, "
               "allowUnauthenticatedIdentities: false}\n---\n" S_HEAD
               "metadata: {name: web, account: dev}\nspec: {identityPoolName: W, "
               "allowUnauthenticatedIdentities: false}\n---\n" S_HEAD
               "metadata: {name: web}\nspec: {identityPoolName: W, "
               "allowUnauthenticatedIdentities: false}\n";
    /* the pools come first: references resolve across files, whatever their order */
    struct cr_manifest_input in[] = {{"pools.yaml", pools, sizeof(pools) - 1},
                                     {"accounts.yaml", accounts, sizeof(accounts) - 1}};
    struct cr_manifest_options opts;
    cr_manifest_options_init(&opts);
    opts.default_region = "us-east-1";
    struct cr_manifest_set *set = NULL;
    assert_ok(cr_manifest_load_buffers(&set, in, 2, &opts));
    assert_int_equal(set->n_accounts, 2);
    assert_int_equal(set->n_warnings, 0);
    const struct cr_model_account *prod = cr_manifest_set_account(set, "prod");
    assert_ptr_equal(prod, set->accounts[0]);
    assert_string_equal(prod->account_id.value, "222222222222");
    assert_string_equal(prod->role_arn.value, "arn:aws:iam::222222222222:role/deploy");
    assert_string_equal(prod->external_id.value, "ci-1");
    assert_string_equal(prod->session_name.value, "ci");
    assert_null(prod->profile.value);
    assert_string_equal(prod->file, "accounts.yaml");
    assert_int_equal(prod->account_id.loc.line, 5);
    assert_string_equal(set->accounts[1]->profile.value, "dev");
    assert_null(cr_manifest_set_account(set, "prd"));
    /* the same name three times: three accounts, three pools; regions from the account */
    assert_int_equal(set->n_pools, 3);
    assert_string_equal(cr_manifest_pool_region(set, set->pools[0]), "eu-west-1");
    assert_string_equal(cr_manifest_pool_region(set, set->pools[1]), "us-east-1");
    assert_string_equal(cr_manifest_pool_region(set, set->pools[2]), "us-east-1");
    assert_string_equal(set->pools[1]->account.value, "dev");
    assert_null(set->pools[2]->account.value);
    cr_manifest_set_free(set);
}

static void test_manifest__unreferenced_account_is_a_warning(void **state)
{
    static const char yaml[] =
        S_ACCOUNT "metadata: {name: spare}\nspec: {accountId: \"333333333333\", profile: spare}\n";
    int rc = -1;
    struct cr_manifest_set *set = s_load_str(yaml, &rc);
    assert_ok(rc); /* valid: with --prune it names an account to empty */
    assert_int_equal(set->n_diagnostics, 0);
    assert_int_equal(set->n_warnings, 1);
    assert_int_equal(set->warnings[0].line, 3);
    assert_int_equal(set->warnings[0].column, 18);
    assert_string_equal(set->warnings[0].path, "metadata.name");
    assert_string_equal(set->warnings[0].message,
                        "account 'spare' is named by no pool (metadata.account): plan reads "
                        "nothing there, except with --prune, which deletes every pool of the "
                        "stack in it");
    cr_manifest_set_free(set);
}

/* Accounts in every file, each file's pools in the next file's account: 1 thread and 4 give
 * the same accounts in file order, and every reference resolves across the shards. */
static void test_manifest__parallel_load_merges_accounts(void **state)
{
    enum { FILES = 8, POOLS = 150 };
    struct cr_buf files[FILES];
    char names[FILES][32];
    struct cr_manifest_input in[FILES];
    for (int f = 0; f < FILES; f++) {
        cr_buf_init(&files[f]);
        assert_ok(cr_buf_printf(&files[f],
                                S_ACCOUNT "metadata: {name: a%d}\nspec: {accountId: "
                                          "\"%012d\", profile: p%d}\n",
                                f, 100000 + f, f));
        for (int p = 0; p < POOLS; p++)
            assert_ok(cr_buf_printf(&files[f],
                                    "---\n" S_HEAD "metadata: {name: p-%d, account: a%d, region: "
                                    "us-east-1}\nspec:\n  identityPoolName: Pool\n"
                                    "  allowUnauthenticatedIdentities: false\n"
                                    "  tags: {team: t%d, owner: someone-with-a-long-name}\n",
                                    p, (f + 1) % FILES, p));
        snprintf(names[f], sizeof(names[f]), "f%d.yaml", f);
        in[f] = (struct cr_manifest_input){names[f], files[f].ptr, files[f].len};
    }
    struct cr_manifest_options one, four;
    cr_manifest_options_init(&one);
    one.threads = 1;
    cr_manifest_options_init(&four);
    four.threads = 4;
    struct cr_manifest_set *a = NULL, *b = NULL;
    assert_ok(cr_manifest_load_buffers(&a, in, FILES, &one));
    assert_ok(cr_manifest_load_buffers(&b, in, FILES, &four));
    assert_int_equal(a->n_accounts, FILES);
    assert_int_equal(b->n_accounts, FILES);
    for (int f = 0; f < FILES; f++) {
        char name[8];
        snprintf(name, sizeof(name), "a%d", f);
        assert_string_equal(a->accounts[f]->name.value, name);
        assert_string_equal(b->accounts[f]->name.value, name);
        assert_string_equal(b->accounts[f]->file, names[f]);
    }
    /* the same pool names in eight accounts: no clash, no unreferenced account */
    assert_int_equal(b->n_diagnostics, 0);
    assert_int_equal(b->n_warnings, 0);
    cr_manifest_set_free(a);
    cr_manifest_set_free(b);
    for (int f = 0; f < FILES; f++)
        cr_buf_dispose(&files[f]);
}

/* The one IAM ARN parser (validate; reconcile and the emulator are asked to share it). */
static void test_manifest__iam_arn_and_oidc_host(void **state)
{
    const char *rest = NULL;
    assert_true(cr_model_iam_arn("arn:aws:iam::123456789012:role/App", "role", &rest));
    assert_string_equal(rest, "App");
    assert_true(cr_model_iam_arn("arn:aws-cn:iam::123456789012:role/a/b", "role", NULL));
    assert_true(cr_model_iam_arn("arn:aws-us-gov:iam::123456789012:role/x", "role", NULL));
    assert_false(cr_model_iam_arn("arn:aws:iam::12345678901:role/App", "role", NULL));
    assert_false(cr_model_iam_arn("arn:aws:iam::123456789012:role/", "role", NULL));
    assert_false(cr_model_iam_arn("arn:aws:iam::123456789012:user/App", "role", NULL));
    assert_false(cr_model_iam_arn("arn:aws:s3:::bucket/role/App", "role", NULL));
    assert_false(cr_model_iam_arn("arn:aws:iam::123456789012:role/A B", "role", NULL));
    assert_false(cr_model_iam_arn("arn:aws:iam::123456789012:roles/App", "role", NULL));
    assert_false(cr_model_iam_arn("arn:other:iam::123456789012:role/App", "role", NULL));
    assert_false(cr_model_iam_arn(NULL, "role", NULL));
    assert_string_equal(
        cr_model_oidc_host("arn:aws:iam::123456789012:oidc-provider/auth.example.com"),
        "auth.example.com");
    assert_null(cr_model_oidc_host("arn:aws:iam::123456789012:saml-provider/corp"));
    assert_null(cr_model_oidc_host("auth.example.com"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_manifest__invalid_fixtures_match_expected),
        cmocka_unit_test(test_manifest__valid_fixtures_load),
        cmocka_unit_test(test_manifest__examples_load),
        cmocka_unit_test(test_manifest__iam_arn_and_oidc_host),
        cmocka_unit_test(test_manifest__model_fields_and_positions),
        cmocka_unit_test(test_manifest__absent_sections_are_unmanaged),
        cmocka_unit_test(test_manifest__empty_sections_are_managed),
        cmocka_unit_test(test_manifest__reserved_tags_count_against_limit),
        cmocka_unit_test(test_manifest__names_unique_per_region),
        cmocka_unit_test(test_manifest__names_unique_across_files),
        cmocka_unit_test(test_manifest__default_region_checks_adopted_id),
        cmocka_unit_test(test_manifest__file_size_cap),
        cmocka_unit_test(test_manifest__billion_laughs_is_bounded),
        cmocka_unit_test(test_manifest__nul_and_invalid_utf8),
        cmocka_unit_test(test_manifest__deep_nesting_is_bounded),
        cmocka_unit_test(test_manifest__booleans_are_strict),
        cmocka_unit_test(test_manifest__unknown_keys_everywhere),
        cmocka_unit_test(test_manifest__all_errors_reported_in_order),
        cmocka_unit_test(test_manifest__diagnostic_cap),
        cmocka_unit_test(test_manifest__add_then_finish),
        cmocka_unit_test(test_manifest__parallel_load_matches_sequential),
        cmocka_unit_test(test_manifest__accounts_model_and_regions),
        cmocka_unit_test(test_manifest__unreferenced_account_is_a_warning),
        cmocka_unit_test(test_manifest__parallel_load_merges_accounts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
