/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kind: IdentityPoolTest, unit tests for access (docs/testing.md): YAML -> struct
 * cr_model_test with positions, its own checks (one of login / unauthenticated, one
 * expectation, claim types), and the checks against the pools of the set once every file is
 * in (spec.pool names a pool; each login is a provider of it that role mappings can key).
 *
 *   apiVersion: cognito-reconcile/v1
 *   kind: IdentityPoolTest
 *   metadata: {name: mobile-access, region: us-east-1}
 *   spec:
 *     pool: mobile-app
 *     cases:
 *       - name: paid users get the paid role
 *         login: cognito-idp.us-east-1.amazonaws.com/us-east-1_Ab12Cd34:6lhlkkfbfb4q5kpp90urffae
 *         claims: {"custom:tier": paid}
 *         expect: {role: arn:aws:iam::123456789012:role/MobilePaid, principalTags: {tier: paid}}
 */
#include <stdio.h>
#include <string.h>

#include "schema/constraints.h"
#include "schema/manifest_internal.h"
#include "util/array.h"
#include "util/strutil.h"

static const char *const s_errors[] = {"NotAuthorizedException",
                                       "InvalidIdentityPoolConfigurationException"};

static bool s_eq(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* apiVersion and kind: checked before the document was read (manifest.c). */
static void s_checked(struct cr_mctx *ctx, void *obj, const struct cr_ynode *key,
                      const struct cr_ynode *val)
{
}

/* ---- claims ---- */

/* One claim value: a string, or a plain number or boolean (their text as written). */
static bool s_claim_scalar(struct cr_mctx *ctx, struct cr_model_claim_value *out,
                           const struct cr_ynode *v)
{
    char d[160];
    if (v->kind != CR_YNODE_SCALAR || cr_yaml__is_null(v)) {
        cr_manifest__field_diag(ctx, v->loc,
                                "expected a string, a number, a boolean or a list of them, got %s",
                                cr_manifest__describe(v, d, sizeof(d)));
        return false;
    }
    out->kind = CR_CLAIM_STRING;
    if (v->plain && v->tag == NULL && cr_yaml__bool_value(v) >= 0)
        out->kind = CR_CLAIM_BOOL;
    else if (v->plain && v->tag == NULL && cr_yaml__is_number(v))
        out->kind = CR_CLAIM_NUMBER;
    out->text.value = cr_arena_strndup(&ctx->set->arena, v->value, v->len);
    out->text.len = v->len;
    out->text.loc = v->loc;
    if (out->text.value == NULL)
        ctx->rc = CR_ENOMEM;
    return out->text.value != NULL;
}

static void s_claim(struct cr_mctx *ctx, struct cr_model_claim *c, const struct cr_ynode *v)
{
    c->loc = v->loc;
    if (v->kind != CR_YNODE_SEQ) {
        s_claim_scalar(ctx, &c->value, v);
        return;
    }
    c->is_list = true;
    c->items = cr_arena_alloc(&ctx->set->arena, (v->n + 1) * sizeof(*c->items));
    if (c->items == NULL) {
        ctx->rc = CR_ENOMEM;
        return;
    }
    for (size_t i = 0; i < v->n; i++) {
        size_t mark = cr_manifest__path_index(ctx, i);
        if (s_claim_scalar(ctx, &c->items[c->n_items], v->items[i]))
            c->n_items++;
        cr_manifest__path_pop(ctx, mark);
    }
}

static void s_claims(struct cr_mctx *ctx, void *obj, const struct cr_ynode *key,
                     const struct cr_ynode *val)
{
    struct cr_model_test_case *tc = obj;
    if (!cr_manifest__expect(ctx, val, CR_YNODE_MAP))
        return;
    tc->has_claims = true;
    tc->claims = cr_arena_alloc(&ctx->set->arena, (val->n + 1) * sizeof(*tc->claims));
    if (tc->claims == NULL) {
        ctx->rc = CR_ENOMEM;
        return;
    }
    for (size_t i = 0; i < val->n; i++) {
        struct cr_model_claim *c = &tc->claims[tc->n_claims];
        size_t mark = cr_manifest__path_key(ctx, val->items[i]->value, val->items[i]->len);
        if (cr_manifest__key(ctx, &c->name, val->items[i])) {
            s_claim(ctx, c, val->values[i]);
            tc->n_claims++;
        }
        cr_manifest__path_pop(ctx, mark);
    }
}

/* ---- the document ---- */

static const struct cr_mfield s_expect_fields[] = {
    CR_MFIELD("role", CR_MFIELD_STR, struct cr_model_test_expect, role, false),
    CR_MFIELD("denied", CR_MFIELD_BOOL, struct cr_model_test_expect, denied, false),
    CR_MFIELD("error", CR_MFIELD_STR, struct cr_model_test_expect, error, false),
    CR_MFIELD("principalTags", CR_MFIELD_MAP, struct cr_model_test_expect, principal_tags, false),
};

static void s_expect(struct cr_mctx *ctx, void *obj, const struct cr_ynode *key,
                     const struct cr_ynode *val)
{
    struct cr_model_test_case *tc = obj;
    tc->has_expect = true;
    tc->expect.loc = val->loc;
    cr_manifest__struct(ctx, &tc->expect, val, s_expect_fields,
                        sizeof(s_expect_fields) / sizeof(s_expect_fields[0]));
}

static const struct cr_mfield s_case_fields[] = {
    CR_MFIELD("name", CR_MFIELD_STR, struct cr_model_test_case, name, true),
    CR_MFIELD("login", CR_MFIELD_STR, struct cr_model_test_case, login, false),
    CR_MFIELD("unauthenticated", CR_MFIELD_BOOL, struct cr_model_test_case, unauthenticated,
              false),
    CR_MFIELD_CUSTOM("claims", s_claims, false),
    CR_MFIELD("customRoleArn", CR_MFIELD_STR, struct cr_model_test_case, custom_role_arn, false),
    CR_MFIELD_CUSTOM("expect", s_expect, true),
};

static void s_cases(struct cr_mctx *ctx, void *obj, const struct cr_ynode *key,
                    const struct cr_ynode *val)
{
    struct cr_model_test *t = obj;
    if (!cr_manifest__expect(ctx, val, CR_YNODE_SEQ))
        return;
    t->has_cases = true;
    t->cases_loc = val->loc;
    t->cases = cr_arena_alloc(&ctx->set->arena, (val->n + 1) * sizeof(*t->cases));
    if (t->cases == NULL) {
        ctx->rc = CR_ENOMEM;
        return;
    }
    for (size_t i = 0; i < val->n; i++) {
        struct cr_model_test_case *tc = &t->cases[i];
        tc->unauthenticated.value = CR_TRI_ABSENT;
        tc->expect.denied.value = CR_TRI_ABSENT;
        tc->loc = val->items[i]->loc;
        size_t mark = cr_manifest__path_index(ctx, i);
        cr_manifest__struct(ctx, tc, val->items[i], s_case_fields,
                            sizeof(s_case_fields) / sizeof(s_case_fields[0]));
        cr_manifest__path_pop(ctx, mark);
    }
    t->n_cases = val->n;
}

static const struct cr_mfield s_metadata_fields[] = {
    CR_MFIELD("name", CR_MFIELD_STR, struct cr_model_test, name, true),
    CR_MFIELD("region", CR_MFIELD_STR, struct cr_model_test, region, false),
    CR_MFIELD("account", CR_MFIELD_STR, struct cr_model_test, account, false),
};

static const struct cr_mfield s_spec_fields[] = {
    CR_MFIELD("pool", CR_MFIELD_STR, struct cr_model_test, pool, true),
    CR_MFIELD_CUSTOM("cases", s_cases, true),
};

static void s_metadata(struct cr_mctx *ctx, void *obj, const struct cr_ynode *key,
                       const struct cr_ynode *val)
{
    cr_manifest__struct(ctx, obj, val, s_metadata_fields,
                        sizeof(s_metadata_fields) / sizeof(s_metadata_fields[0]));
}

static void s_spec(struct cr_mctx *ctx, void *obj, const struct cr_ynode *key,
                   const struct cr_ynode *val)
{
    cr_manifest__struct(ctx, obj, val, s_spec_fields,
                        sizeof(s_spec_fields) / sizeof(s_spec_fields[0]));
}

static const struct cr_mfield s_root_fields[] = {
    CR_MFIELD_CUSTOM("apiVersion", s_checked, true),
    CR_MFIELD_CUSTOM("kind", s_checked, true),
    CR_MFIELD_CUSTOM("metadata", s_metadata, true),
    CR_MFIELD_CUSTOM("spec", s_spec, true),
};

/* ---- checks of one document ---- */

/* Claims whose shape role resolution depends on: the Token mapping's and Cognito's groups. */
static void s_check_claim(struct cr_mctx *ctx, const struct cr_model_claim *c)
{
    const struct cr_shape *shape = cr_shape_find("ClaimName");
    const char *msg = cr_constraint_check_string(shape, c->name.value, c->name.len);
    char q[100];
    bool listy = s_eq(c->name.value, "cognito:roles") || s_eq(c->name.value, "cognito:groups");
    bool stringy = s_eq(c->name.value, "cognito:preferred_role") || listy;
    cr_manifest__quote(q, sizeof(q), c->name.value, c->name.len);
    if (msg != NULL)
        cr_manifest__diag(ctx, c->name.loc, "claim name '%s': %s", q, msg);
    if (c->is_list && !listy && s_eq(c->name.value, "cognito:preferred_role"))
        cr_manifest__field_diag(ctx, c->loc, "expected one role ARN (a string), got a list");
    if (!stringy)
        return;
    for (size_t i = 0; i < (c->is_list ? c->n_items : 1); i++) {
        const struct cr_model_claim_value *v = c->is_list ? &c->items[i] : &c->value;
        if (v->kind != CR_CLAIM_STRING)
            cr_manifest__field_diag(ctx, v->text.loc,
                                    "expected %s, got the %s %s (quote it if you mean the text)",
                                    listy ? "a string or a list of strings" : "a role ARN (a string)",
                                    v->kind == CR_CLAIM_NUMBER ? "number" : "boolean",
                                    v->text.value);
    }
}

/* Exactly one of login and unauthenticated: true; claims and customRoleArn need a login. */
static void s_check_login(struct cr_mctx *ctx, const struct cr_model_test_case *tc)
{
    bool unauth = tc->unauthenticated.value == CR_TRI_TRUE;
    if (tc->login.value != NULL && unauth)
        cr_manifest__field_diag(ctx, tc->unauthenticated.loc,
                                "a case has a login or is unauthenticated, not both");
    else if (tc->login.value == NULL && !unauth)
        cr_manifest__field_diag(ctx, tc->loc,
                                "a case needs a login (a provider of the pool) or "
                                "unauthenticated: true");
    if (unauth && tc->has_claims)
        cr_manifest__field_diag(ctx, tc->claims[0].name.loc,
                                "an unauthenticated case has no token, so no claims");
    if (unauth && tc->custom_role_arn.value != NULL)
        cr_manifest__field_diag(ctx, tc->custom_role_arn.loc,
                                "an unauthenticated case cannot ask for a customRoleArn");
}

/* One outcome: a role, denied: true or an error type; principal tags only with a role. */
static void s_check_expect(struct cr_mctx *ctx, const struct cr_model_test_expect *e)
{
    size_t mark = cr_manifest__path_field(ctx, "expect");
    bool denied = e->denied.value == CR_TRI_TRUE;
    int outcomes = (e->role.value != NULL) + denied + (e->error.value != NULL);
    if (outcomes == 0)
        cr_manifest__field_diag(ctx, e->loc,
                                "needs one outcome: role: ROLE_ARN, denied: true or error: %s|%s",
                                s_errors[0], s_errors[1]);
    else if (outcomes > 1 && !(denied && e->error.value != NULL && e->role.value == NULL))
        cr_manifest__field_diag(ctx, e->loc, "more than one outcome: a role is granted or the "
                                             "request is refused, not both");
    if (e->denied.value == CR_TRI_FALSE)
        cr_manifest__field_diag(ctx, e->denied.loc,
                                "denied: false says nothing: expect a role instead");
    if (e->role.value != NULL) {
        size_t m = cr_manifest__path_field(ctx, "role");
        cr_manifest__check_role_arn(ctx, &e->role);
        cr_manifest__path_pop(ctx, m);
    }
    if (e->error.value != NULL && !s_eq(e->error.value, s_errors[0]) &&
        !s_eq(e->error.value, s_errors[1])) {
        char q[100];
        size_t m = cr_manifest__path_field(ctx, "error");
        cr_manifest__field_diag(ctx, e->error.loc,
                                "'%s' is not an error of role resolution (expected %s or %s)",
                                cr_manifest__quote(q, sizeof(q), e->error.value, e->error.len),
                                s_errors[0], s_errors[1]);
        cr_manifest__path_pop(ctx, m);
    }
    if (e->principal_tags.present && e->role.value == NULL)
        cr_manifest__field_diag(ctx, e->principal_tags.loc,
                                "principal tags come with credentials: expect them with a role");
    if (e->principal_tags.present) {
        size_t m = cr_manifest__path_field(ctx, "principalTags");
        cr_manifest__check_map(ctx, &e->principal_tags, "PrincipalTags");
        cr_manifest__path_pop(ctx, m);
    }
    cr_manifest__path_pop(ctx, mark);
}

static void s_check_case(struct cr_mctx *ctx, const struct cr_model_test *t, size_t i)
{
    const struct cr_model_test_case *tc = &t->cases[i];
    for (size_t k = 0; k < i && tc->name.value != NULL; k++) {
        if (s_eq(t->cases[k].name.value, tc->name.value)) {
            char q[100];
            size_t m = cr_manifest__path_field(ctx, "name");
            cr_manifest__field_diag(ctx, tc->name.loc, "duplicate case name '%s' (also at line %u)",
                                    cr_manifest__quote(q, sizeof(q), tc->name.value, tc->name.len),
                                    t->cases[k].name.loc.line);
            cr_manifest__path_pop(ctx, m);
            break;
        }
    }
    s_check_login(ctx, tc);
    for (size_t k = 0; k < tc->n_claims; k++) {
        size_t m = cr_manifest__path_field(ctx, "claims");
        size_t m2 = cr_manifest__path_key(ctx, tc->claims[k].name.value, tc->claims[k].name.len);
        s_check_claim(ctx, &tc->claims[k]);
        cr_manifest__path_pop(ctx, m2);
        cr_manifest__path_pop(ctx, m);
    }
    if (tc->custom_role_arn.value != NULL) {
        size_t m = cr_manifest__path_field(ctx, "customRoleArn");
        cr_manifest__check_role_arn(ctx, &tc->custom_role_arn);
        cr_manifest__path_pop(ctx, m);
    }
    if (tc->has_expect)
        s_check_expect(ctx, &tc->expect);
}

static void s_check_test(struct cr_mctx *ctx, const struct cr_model_test *t)
{
    if (t->has_cases && t->n_cases == 0)
        cr_manifest__diag(ctx, t->cases_loc, "spec.cases: a test needs at least one case");
    size_t m = cr_manifest__path_field(ctx, "spec");
    size_t m2 = cr_manifest__path_field(ctx, "cases");
    for (size_t i = 0; i < t->n_cases; i++) {
        size_t m3 = cr_manifest__path_index(ctx, i);
        s_check_case(ctx, t, i);
        cr_manifest__path_pop(ctx, m3);
    }
    cr_manifest__path_pop(ctx, m2);
    cr_manifest__path_pop(ctx, m);
}

int cr_manifest__push_test(struct cr_manifest_set *set, struct cr_model_test *test)
{
    int rc = cr_array_reserve(&set->tests, &set->cap_tests, set->n_tests, sizeof(*set->tests), 8);
    if (rc == 0)
        set->tests[set->n_tests++] = test;
    return rc;
}

int cr_manifest__convert_test(struct cr_mctx *ctx, size_t index, const struct cr_ynode *root)
{
    struct cr_model_test *t = cr_arena_alloc(&ctx->set->arena, sizeof(*t));
    if (t == NULL)
        return CR_ENOMEM;
    t->file = ctx->file;
    t->file_index = ctx->file_index;
    t->document = index;
    t->loc = root->loc;
    cr_manifest__struct(ctx, t, root, s_root_fields, sizeof(s_root_fields) / sizeof(s_root_fields[0]));
    if (ctx->rc != 0)
        return ctx->rc;
    s_check_test(ctx, t);
    if (ctx->rc != 0)
        return ctx->rc;
    return cr_manifest__push_test(ctx->set, t);
}

/* ---- checks against the pools of the set ---- */

static void s_ctx_for(struct cr_mctx *ctx, struct cr_manifest_set *set,
                      const struct cr_model_test *t)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->set = set;
    ctx->file = t->file;
    ctx->file_index = t->file_index;
    cr_manifest__path_field(ctx, "spec");
}

/* The pool spec.pool names: by name, in metadata.account and metadata.region when given;
 * reports otherwise. */
static const struct cr_model_pool *s_target(struct cr_mctx *ctx, struct cr_manifest_set *set,
                                            const struct cr_model_test *t)
{
    const struct cr_model_pool *found = NULL;
    const char *names[64];
    size_t n_names = 0, matches = 0;
    bool accounts_differ = false;
    char q[100];
    for (size_t i = 0; i < set->n_pools; i++) {
        const struct cr_model_pool *p = set->pools[i];
        const char *region = cr_manifest_pool_region(set, p);
        if (n_names < 64 && p->name.value != NULL)
            names[n_names++] = p->name.value;
        if (!s_eq(p->name.value, t->pool.value) ||
            (t->account.value != NULL && !s_eq(p->account.value, t->account.value)) ||
            (t->region.value != NULL && !s_eq(region, t->region.value)))
            continue;
        if (found != NULL && (found->account.value == NULL) != (p->account.value == NULL))
            accounts_differ = true; /* the default account and a named one */
        else if (found != NULL && p->account.value != NULL &&
                 !s_eq(found->account.value, p->account.value))
            accounts_differ = true;
        found = p;
        matches++;
    }
    const char *hint = matches == 0 ? cr_str_suggest(t->pool.value, names, n_names) : NULL;
    size_t mark = cr_manifest__path_field(ctx, "pool");
    cr_manifest__quote(q, sizeof(q), t->pool.value, t->pool.len);
    if (matches > 1 && accounts_differ)
        cr_manifest__field_diag(ctx, t->pool.loc,
                                "pools named '%s' exist in several accounts: say which with "
                                "metadata.account",
                                q);
    else if (matches > 1)
        cr_manifest__field_diag(ctx, t->pool.loc,
                                "pools named '%s' exist in several regions: say which with "
                                "metadata.region",
                                q);
    else if (matches == 0 && hint != NULL && !s_eq(hint, t->pool.value))
        cr_manifest__field_diag(ctx, t->pool.loc,
                                "no IdentityPool named '%s' in the manifests (did you mean '%s'?)",
                                q, hint);
    else if (matches == 0)
        cr_manifest__field_diag(ctx, t->pool.loc,
                                "no IdentityPool named '%s'%s%s%s%s%s in the manifests", q,
                                t->account.value ? " in account '" : "",
                                t->account.value ? t->account.value : "",
                                t->account.value ? "'" : "", t->region.value ? " in region " : "",
                                t->region.value ? t->region.value : "");
    cr_manifest__path_pop(ctx, mark);
    return matches == 1 ? found : NULL;
}

int cr_manifest__validate_tests(struct cr_manifest_set *set)
{
    struct cr_mctx ctx;
    for (size_t i = 0; i < set->n_tests; i++) {
        struct cr_model_test *t = set->tests[i];
        if (t->pool.value == NULL)
            continue;
        s_ctx_for(&ctx, set, t);
        t->target = s_target(&ctx, set, t);
        size_t mark = cr_manifest__path_field(&ctx, "cases");
        for (size_t k = 0; t->target != NULL && k < t->n_cases; k++) {
            const struct cr_model_test_case *tc = &t->cases[k];
            size_t m = cr_manifest__path_index(&ctx, k);
            size_t m2 = cr_manifest__path_field(&ctx, "login");
            cr_manifest__check_role_key(&ctx, t->target, &tc->login);
            cr_manifest__path_pop(&ctx, m2);
            cr_manifest__path_pop(&ctx, m);
        }
        cr_manifest__path_pop(&ctx, mark);
        if (ctx.rc != 0)
            return ctx.rc;
    }
    return 0;
}
