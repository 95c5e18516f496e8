/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Which YAML documents are ours (schema/manifest.c, discovery): other YAML in the folders is
 * skipped with a reason and never reported; documents clearly meant to be ours are reported
 * with their position even when their apiVersion is broken or missing; and a property: mixing
 * other documents into a file of ours changes nothing about ours.
 */
#include <stdlib.h>
#include <string.h>

#include "schema/manifest.h"
#include "tests/support/cr_test.h"
#include "util/buf.h"

#define S_HEAD "apiVersion: cognito-reconcile/v1\nkind: IdentityPool\n"
#define S_POOL(name)                                                                               \
    S_HEAD "metadata:\n  name: " name "\nspec:\n  identityPoolName: P\n"                           \
           "  allowUnauthenticatedIdentities: false\n"

static struct cr_manifest_set *s_load_one(const char *name, const char *text, int *rc)
{
    struct cr_manifest_input in = {name, text, strlen(text)};
    struct cr_manifest_set *set = NULL;
    *rc = cr_manifest_load_buffers(&set, &in, 1, NULL);
    assert_non_null(set);
    return set;
}

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

/* ---- other YAML is skipped, with the reason ---- */

struct s_other {
    const char *what;
    const char *text;
    const char *reason; /* a part of the skip reason */
};

static const struct s_other s_others[] = {
    {"a GitHub Actions workflow",
     "name: ci\non:\n  pull_request: {}\njobs:\n  plan:\n    runs-on: ubuntu-latest\n"
     "    steps:\n      - run: cognito-reconcile plan stacks\n",
     "(no apiVersion or kind)"},
    {"Kubernetes objects, a duplicate key in one (not ours to report)",
     "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 2\n"
     "  replicas: 3\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\n---\n",
     "apiVersion 'apps/v1', kind 'Deployment'"},
    {"Helm values", "replicaCount: 1\nimage:\n  repository: nginx\n  tag: ''\n",
     "(no apiVersion or kind)"},
    {"a Helm template (not YAML until rendered)",
     "apiVersion: v1\nkind: ConfigMap\ndata:\n{{- range .Values.items }}\n  {{ .name }}: x\n"
     "{{- end }}\n",
     "not YAML documents we can read"},
    {"an empty file", "", "no YAML document"},
    {"only comments", "# nothing yet\n", "no YAML document"},
    {"a list at the top", "- one\n- two\n", "not YAML documents we can read"},
    {"Crossplane's IdentityPool: our kind, another API group",
     "apiVersion: cognitoidentity.aws.upbound.io/v1beta1\nkind: IdentityPool\nmetadata:\n"
     "  name: x\nspec:\n  forProvider:\n    identityPoolName: x\n",
     "apiVersion 'cognitoidentity.aws.upbound.io/v1beta1', kind 'IdentityPool'"},
    {"a CloudFormation template",
     "Resources:\n  Pool:\n    Type: AWS::Cognito::IdentityPool\n    Properties:\n"
     "      IdentityPoolName: x\n      AllowUnauthenticatedIdentities: false\n",
     "(no apiVersion or kind)"},
};

static void test_manifest_discovery__other_yaml_is_skipped(void **state)
{
    size_t n = sizeof(s_others) / sizeof(s_others[0]);
    struct cr_manifest_input in[16];
    char names[16][32];
    for (size_t i = 0; i < n; i++) {
        snprintf(names[i], sizeof(names[i]), "other-%02zu.yaml", i);
        in[i] = (struct cr_manifest_input){names[i], s_others[i].text, strlen(s_others[i].text)};
    }
    in[n] = (struct cr_manifest_input){"pool.yaml", S_POOL("p"), strlen(S_POOL("p"))};
    struct cr_manifest_set *set = NULL;
    assert_ok(cr_manifest_load_buffers(&set, in, n + 1, NULL));
    assert_int_equal(set->n_pools, 1);
    assert_int_equal(set->n_files, 1);
    assert_int_equal(set->n_diagnostics, 0);
    assert_int_equal(set->n_skipped, n);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(set->skipped[i].file, names[i]);
        if (strstr(set->skipped[i].reason, s_others[i].reason) == NULL)
            fail_msg("%s: reason '%s' lacks '%s'", s_others[i].what, set->skipped[i].reason,
                     s_others[i].reason);
        assert_non_null(strstr(set->skipped[i].reason, "not a cognito-reconcile manifest"));
    }
    cr_manifest_set_free(set);
}

/* ---- what is clearly meant to be ours is reported ---- */

struct s_meant {
    const char *what;
    const char *text;
    const char *diagnostic; /* the first diagnostic, "line:col: message" */
};

static const struct s_meant s_meants[] = {
    {"our kind, no apiVersion",
     "kind: IdentityPool\nmetadata: {name: p}\nspec: {identityPoolName: P, "
     "allowUnauthenticatedIdentities: false}\n",
     "t.yaml:1:1: missing required key 'apiVersion'"},
    {"our kind, an apiVersion without a group",
     "apiVersion: v1\nkind: IdentityPool\nmetadata: {name: p}\n",
     "t.yaml:1:13: unsupported apiVersion 'v1' (expected 'cognito-reconcile/v1')"},
    {"our kind, apiVersion not a string", "apiVersion: 1\nkind: IdentityPool\n",
     "t.yaml:1:13: apiVersion: expected a string, got the number 1 (quote it: \"1\")\n"},
    {"a typo in our apiVersion, another kind",
     "apiVersion: cognito-reconcil/v1\nkind: Foo\n",
     "t.yaml:1:13: unsupported apiVersion 'cognito-reconcil/v1' (expected 'cognito-reconcile/v1')"},
    {"our apiVersion in capitals", "apiVersion: Cognito-Reconcile/v1\nkind: IdentityPool\n",
     "t.yaml:1:13: unsupported apiVersion 'Cognito-Reconcile/v1'"},
    {"our apiVersion, another version", "apiVersion: cognito-reconcile/v2\nkind: IdentityPool\n",
     "t.yaml:1:13: unsupported apiVersion 'cognito-reconcile/v2'"},
    {"our apiVersion, an unknown kind", "apiVersion: cognito-reconcile/v1\nkind: IdentityPol\n",
     "t.yaml:2:7: unsupported kind 'IdentityPol' (expected 'IdentityPool', 'Account' or 'IdentityPoolTest')"},
    {"spec.identityPoolName and nothing else", "spec:\n  identityPoolName: P\n",
     "t.yaml:1:1: missing required key 'apiVersion'"},
    {"a YAML error in a file that mentions us",
     "apiVersion: cognito-reconcile/v1\nkind: IdentityPool\nspec: {identityPoolName: [\n",
     "t.yaml:4:1: invalid YAML"},
    {"an empty document after one of ours", S_POOL("p") "---\n# nothing\n",
     "t.yaml:8:1: empty YAML document"},
};

static void test_manifest_discovery__meant_to_be_ours_is_reported(void **state)
{
    for (size_t i = 0; i < sizeof(s_meants) / sizeof(s_meants[0]); i++) {
        int rc = 0;
        struct cr_manifest_set *set = s_load_one("t.yaml", s_meants[i].text, &rc);
        char *got = s_render(set);
        if (rc != CR_EINVALID || strncmp(got, s_meants[i].diagnostic,
                                         strlen(s_meants[i].diagnostic)) != 0)
            fail_msg("%s: rc %d, expected a first diagnostic\n  %s\ngot\n%s", s_meants[i].what, rc,
                     s_meants[i].diagnostic, got);
        assert_int_equal(set->n_skipped, 0);
        assert_int_equal(set->n_files, 1);
        free(got);
        cr_manifest_set_free(set);
    }
}

static void test_manifest_discovery__mixed_file_keeps_ours(void **state)
{
    static const char text[] = "apiVersion: v1\nkind: ConfigMap\ndata: {a: 1, a: 2}\n---\n" S_POOL(
        "p") "---\napiVersion: apps/v1\nkind: Deployment\n";
    int rc = 0;
    struct cr_manifest_set *set = s_load_one("mixed.yaml", text, &rc);
    assert_ok(rc);
    assert_int_equal(set->n_pools, 1);
    assert_string_equal(set->pools[0]->name.value, "p");
    assert_int_equal(set->pools[0]->document, 1);
    assert_int_equal(set->pools[0]->loc.line, 5);
    assert_int_equal(set->n_files, 1);
    assert_int_equal(set->n_skipped, 0);
    cr_manifest_set_free(set);
}

/* ---- property: other documents mixed into a file of ours change nothing about ours ---- */

static const char *const s_ours[] = {
    S_POOL("a"),
    S_POOL("b") "  tags: {team: x}\n",
    S_HEAD "metadata: {name: Bad}\nspec: {identityPoolName: P, allowUnauthenticatedIdentities: "
           "false}\n",
    S_HEAD "metadata: {name: c}\nspec: {identityPoolName: P, allowUnauthenticatedIdentities: "
           "yes}\n",
    S_HEAD "metadata: {name: d}\nspec: {identityPoolNam: P, allowUnauthenticatedIdentities: "
           "false}\n",
    "kind: IdentityPool\nmetadata: {name: e}\nspec: {identityPoolName: P, "
    "allowUnauthenticatedIdentities: false}\n",
    "apiVersion: cognito-reconcile/v9\nkind: IdentityPool\nmetadata: {name: f}\n",
    S_HEAD "metadata: {name: g, name: h}\nspec: {identityPoolName: P, "
           "allowUnauthenticatedIdentities: false}\n",
};

static const char *const s_theirs[] = {
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {replicas: 1}\n",
    "apiVersion: v1\nkind: Secret\nmetadata: {name: x, name: y}\n",
    "on: push\njobs: {a: {runs-on: x}}\n",
    "apiVersion: cognitoidentity.aws.upbound.io/v1beta1\nkind: IdentityPool\nspec: "
    "{forProvider: {identityPoolName: x}}\n",
    "values: {a: 1}\n",
    "apiVersion: example.com/v1\nkind: Foo\nspec: {identityPoolName: x}\n",
};

/* The messages of the diagnostics without positions (which the other documents shift), and
 * the pool names, one per line. */
static char *s_summary(const struct cr_manifest_set *set)
{
    struct cr_buf out = CR_BUF_INIT;
    for (size_t i = 0; i < set->n_diagnostics; i++) {
        const char *m = set->diagnostics[i].message;
        const char *at = strstr(m, " defined at ");
        assert_ok(cr_buf_printf(&out, "%s | %.*s\n", set->diagnostics[i].path,
                                (int)(at != NULL ? (size_t)(at - m) : strlen(m)), m));
    }
    for (size_t i = 0; i < set->n_pools; i++)
        assert_ok(cr_buf_printf(&out, "pool %s doc %zu\n",
                                set->pools[i]->name.value ? set->pools[i]->name.value : "-",
                                set->pools[i]->document));
    assert_ok(cr_buf_put(&out, "", 0));
    return cr_buf_detach(&out);
}

static void test_manifest_discovery__other_documents_change_nothing(void **state)
{
    unsigned seed = 20241206u;
    size_t n_ours = sizeof(s_ours) / sizeof(s_ours[0]);
    size_t n_theirs = sizeof(s_theirs) / sizeof(s_theirs[0]);
    for (int round = 0; round < 300; round++) {
        struct cr_buf plain = CR_BUF_INIT, mixed = CR_BUF_INIT;
        size_t docs = 1 + (size_t)rand_r(&seed) % 4;
        for (size_t d = 0; d < docs; d++) {
            const char *ours = s_ours[(size_t)rand_r(&seed) % n_ours];
            while (rand_r(&seed) % 2 == 0) {
                assert_ok(cr_buf_printf(&mixed, "%s%s", mixed.len ? "---\n" : "",
                                        s_theirs[(size_t)rand_r(&seed) % n_theirs]));
            }
            assert_ok(cr_buf_printf(&plain, "%s%s", plain.len ? "---\n" : "", ours));
            assert_ok(cr_buf_printf(&mixed, "%s%s", mixed.len ? "---\n" : "", ours));
        }
        int ra = 0, rb = 0;
        struct cr_manifest_set *a = s_load_one("f.yaml", plain.ptr, &ra);
        struct cr_manifest_set *b = s_load_one("f.yaml", mixed.ptr, &rb);
        /* document indexes differ by design; compare the rest */
        for (size_t i = 0; i < b->n_pools && i < a->n_pools; i++)
            b->pools[i]->document = a->pools[i]->document;
        char *sa = s_summary(a), *sb = s_summary(b);
        if (ra != rb || strcmp(sa, sb) != 0)
            fail_msg("round %d: plain (rc %d)\n%s\nmixed (rc %d)\n%s\n--- mixed file:\n%s", round,
                     ra, sa, rb, sb, mixed.ptr);
        assert_int_equal(b->n_files, 1);
        assert_int_equal(b->n_skipped, 0);
        free(sa);
        free(sb);
        cr_manifest_set_free(a);
        cr_manifest_set_free(b);
        cr_buf_dispose(&plain);
        cr_buf_dispose(&mixed);
    }
}

static void test_manifest_discovery__parallel_keeps_file_order(void **state)
{
    /* Past the parallel threshold: skips come back in file order whatever the threads. */
    enum { FILES = 6 };
    struct cr_buf files[FILES];
    char names[FILES][32];
    struct cr_manifest_input in[FILES];
    for (int f = 0; f < FILES; f++) {
        cr_buf_init(&files[f]);
        if (f % 2 == 0) {
            for (int p = 0; p < 300; p++)
                assert_ok(cr_buf_printf(&files[f], "%s" S_HEAD "metadata: {name: p%d-%d}\n"
                                                   "spec: {identityPoolName: P, "
                                                   "allowUnauthenticatedIdentities: false}\n",
                                        p ? "---\n" : "", f, p));
        } else {
            /* Helm values: one mapping with many keys */
            for (int k = 0; k < 6000; k++)
                assert_ok(cr_buf_printf(&files[f], "key%d: some helm value\n", k));
        }
        snprintf(names[f], sizeof(names[f]), "f%d.yaml", f);
        in[f] = (struct cr_manifest_input){names[f], files[f].ptr, files[f].len};
    }
    struct cr_manifest_options four;
    cr_manifest_options_init(&four);
    four.threads = 4;
    struct cr_manifest_set *set = NULL;
    assert_ok(cr_manifest_load_buffers(&set, in, FILES, &four));
    assert_int_equal(set->n_files, 3);
    assert_int_equal(set->n_pools, 900);
    assert_int_equal(set->n_skipped, 3);
    assert_string_equal(set->skipped[0].file, "f1.yaml");
    assert_string_equal(set->skipped[1].file, "f3.yaml");
    assert_string_equal(set->skipped[2].file, "f5.yaml");
    cr_manifest_set_free(set);
    for (int f = 0; f < FILES; f++)
        cr_buf_dispose(&files[f]);
}

static void test_manifest_discovery__kinds_table(void **state)
{
    assert_true(cr_manifest_kind_count() >= 1);
    assert_string_equal(cr_manifest_kind_name(0), "IdentityPool");
    assert_null(cr_manifest_kind_name(cr_manifest_kind_count()));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_manifest_discovery__other_yaml_is_skipped),
        cmocka_unit_test(test_manifest_discovery__meant_to_be_ours_is_reported),
        cmocka_unit_test(test_manifest_discovery__mixed_file_keeps_ours),
        cmocka_unit_test(test_manifest_discovery__other_documents_change_nothing),
        cmocka_unit_test(test_manifest_discovery__parallel_keeps_file_order),
        cmocka_unit_test(test_manifest_discovery__kinds_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
