/* SPDX-License-Identifier: Apache-2.0 */
/* Test cases of IdentityPoolTest documents: evaluation by access/ and the verdict. */
#include "reconcile/access_test.h"

#include <stdlib.h>
#include <string.h>

#include "util/array.h"
#include "util/buf.h"
#include "util/strutil.h"

/* ---- claims ---- */

static json_t *s_claim_json(const struct cr_model_claim_value *v)
{
    char *end = NULL;
    switch (v->kind) {
    case CR_CLAIM_BOOL:
        return json_boolean(strcmp(v->text.value, "true") == 0 || strcmp(v->text.value, "True") == 0 ||
                            strcmp(v->text.value, "TRUE") == 0);
    case CR_CLAIM_NUMBER: {
        long long n = strtoll(v->text.value, &end, 10);
        if (end != v->text.value && *end == '\0')
            return json_integer(n);
        return json_real(strtod(v->text.value, NULL));
    }
    case CR_CLAIM_STRING:
    default:
        return json_stringn(v->text.value, v->text.len);
    }
}

json_t *cr_access_case_claims(const struct cr_model_test *t, const struct cr_model_test_case *tc,
                              const struct cr_access_provider *provider, const char *client_id)
{
    json_t *claims = json_object();
    struct cr_buf sub = CR_BUF_INIT;
    bool ok = claims != NULL;
    for (size_t i = 0; ok && i < tc->n_claims; i++) {
        const struct cr_model_claim *c = &tc->claims[i];
        json_t *v = c->is_list ? json_array() : s_claim_json(&c->value);
        for (size_t k = 0; c->is_list && v && k < c->n_items; k++)
            ok = json_array_append_new(v, s_claim_json(&c->items[k])) == 0;
        ok = ok && json_object_set_new(claims, c->name.value, v) == 0;
    }
    cr_buf_printf(&sub, "%s/%zu", t->name.value ? t->name.value : "test",
                  (size_t)(tc - t->cases) + 1);
    if (ok && tc->login.value != NULL && provider != NULL)
        ok = !cr_buf_oom(&sub) &&
             cr_access_login_claims(claims, provider, client_id, cr_buf_cstr(&sub)) == 0;
    cr_buf_dispose(&sub);
    if (!ok) {
        json_decref(claims);
        return NULL;
    }
    return claims;
}

/* ---- verdicts ---- */

void cr_access_outcome_describe(struct cr_buf *out, const struct cr_access_result *r)
{
    if (r->outcome == CR_ACCESS_GRANTED)
        cr_buf_printf(out, "role %s", cr_access_role_name(r->role_arn));
    else
        cr_buf_printf(out, "%s (%s)", cr_access_outcome_name(r->outcome),
                      r->error_type ? r->error_type : "refused");
}

static void s_map_text(struct cr_buf *out, const struct cr_strmap *m)
{
    cr_buf_putc(out, '{');
    for (size_t i = 0; i < m->len; i++)
        cr_buf_printf(out, "%s%s=%s", i ? ", " : "", m->items[i].key, m->items[i].value);
    cr_buf_putc(out, '}');
}

static int s_set_detail(struct cr_access_case *c, enum cr_access_case_status status,
                        struct cr_buf *text)
{
    c->status = status;
    free(c->detail);
    c->detail = NULL;
    if (cr_buf_oom(text))
        return CR_ENOMEM;
    c->detail = cr_buf_detach(text);
    return c->detail ? 0 : CR_ENOMEM;
}

/* The outcome against expect.role / denied / error: true when it matches, else the text. */
static bool s_outcome_ok(struct cr_buf *why, const struct cr_access_result *got,
                         const struct cr_model_test_expect *e)
{
    bool granted = got->outcome == CR_ACCESS_GRANTED;
    if (e->role.value != NULL) {
        if (granted && strcmp(got->role_arn, e->role.value) == 0)
            return true;
        cr_buf_printf(why, "expected role %s, got ", cr_access_role_name(e->role.value));
    } else if (e->error.value != NULL) {
        if (!granted && got->error_type && strcmp(got->error_type, e->error.value) == 0)
            return true;
        cr_buf_printf(why, "expected %s, got ", e->error.value);
    } else {
        if (!granted)
            return true;
        cr_buf_puts(why, "expected denied, got ");
    }
    cr_access_outcome_describe(why, got);
    return false;
}

int cr_access_case_judge(struct cr_access_case *out)
{
    const struct cr_model_test_expect *e = &out->tc->expect;
    struct cr_buf why = CR_BUF_INIT;
    struct cr_strmap want = {0};
    int rc = 0;
    if (!s_outcome_ok(&why, &out->got, e)) {
        rc = s_set_detail(out, CR_CASE_FAIL, &why);
        goto done;
    }
    for (size_t i = 0; e->principal_tags.present && i < e->principal_tags.len && rc == 0; i++)
        rc = cr_strmap_set(&want, e->principal_tags.items[i].key.value,
                           e->principal_tags.items[i].value.value);
    if (rc == 0 && e->principal_tags.present && !cr_strmap_equal(&want, &out->got.principal_tags)) {
        cr_buf_puts(&why, "expected principal tags ");
        s_map_text(&why, &want);
        cr_buf_puts(&why, ", got ");
        s_map_text(&why, &out->got.principal_tags);
        rc = s_set_detail(out, CR_CASE_FAIL, &why);
        goto done;
    }
    if (rc == 0) {
        out->status = CR_CASE_PASS;
        free(out->detail);
        out->detail = NULL;
    }
done:
    cr_strmap_dispose(&want);
    cr_buf_dispose(&why);
    return rc;
}

/* A case the manifests cannot decide: the section that decides it is unmanaged. */
static int s_unmanaged(struct cr_access_case *out, const struct cr_desired_pool *pool,
                       const char *what)
{
    struct cr_buf why = CR_BUF_INIT;
    cr_buf_printf(&why,
                  "pool '%s' does not manage its %s, so the manifests cannot tell what this "
                  "login gets: add the section (even empty) to its manifest",
                  pool->name, what);
    return s_set_detail(out, CR_CASE_ERROR, &why);
}

/* Resolves a case on ap (out need not be initialised) and judges it; a login that is not a
 * provider of ap's pool is an ERROR saying so. 0 or CR_ENOMEM. */
static int s_eval_on(struct cr_access_case *out, const struct cr_access_pool *ap,
                     const struct cr_model_test *t, const struct cr_model_test_case *tc)
{
    struct cr_access_login login = {0};
    json_t *claims = NULL;
    int rc = 0;
    memset(out, 0, sizeof(*out));
    out->test = t;
    out->tc = tc;
    if (tc->login.value != NULL &&
        cr_access_login_parse(&login.provider, &login.client_id, ap->config, tc->login.value) !=
            0) {
        struct cr_buf why = CR_BUF_INIT;
        cr_buf_puts(&why, cr_error_last());
        return s_set_detail(out, CR_CASE_ERROR, &why);
    }
    claims = cr_access_case_claims(t, tc, tc->login.value ? &login.provider : NULL, login.client_id);
    if (claims == NULL) {
        rc = CR_ENOMEM;
        goto done;
    }
    login.claims = claims;
    struct cr_access_request req = {&login, tc->login.value ? 1 : 0, tc->custom_role_arn.value};
    rc = cr_access_resolve(&out->got, ap, &req);
    if (rc == 0)
        rc = cr_access_case_judge(out);
done:
    json_decref(claims);
    if (rc != 0)
        cr_error_set("out of memory evaluating test cases");
    return rc;
}

int cr_access_case_eval(struct cr_access_case *out, const struct cr_desired_pool *pool,
                        const struct cr_model_test *t, const struct cr_model_test_case *tc)
{
    struct cr_access_pool ap = {&pool->config, &pool->roles, pool->principal_tags,
                                pool->n_principal_tags};
    memset(out, 0, sizeof(*out));
    out->test = t;
    out->tc = tc;
    if (!pool->manage_roles)
        return s_unmanaged(out, pool, "roles (spec.roles / spec.roleMappings)");
    if (tc->expect.principal_tags.present && !pool->manage_principal_tags)
        return s_unmanaged(out, pool, "principal-tag maps (spec.principalTagAttributeMaps)");
    return s_eval_on(out, &ap, t, tc);
}

void cr_access_case_dispose(struct cr_access_case *c)
{
    if (!c)
        return;
    cr_access_result_dispose(&c->got);
    free(c->detail);
    memset(c, 0, sizeof(*c));
}

const char *cr_access_case_status_name(enum cr_access_case_status status)
{
    switch (status) {
    case CR_CASE_PASS:
        return "pass";
    case CR_CASE_FAIL:
        return "fail";
    case CR_CASE_ERROR:
        return "error";
    default:
        return "unknown";
    }
}

/* ---- access impact of a plan ---- */

/* An outcome as plans show it: "role NAME", ", tags {k=v}" when there are tags; a login the
 * pool does not accept is refused as GetId refuses it. */
static void s_outcome_text(struct cr_buf *out, const struct cr_access_case *c)
{
    if (c->status == CR_CASE_ERROR) {
        cr_buf_puts(out, "denied (NotAuthorizedException: not a provider of the pool)");
        return;
    }
    cr_access_outcome_describe(out, &c->got);
    if (c->got.principal_tags.len > 0) {
        cr_buf_puts(out, ", tags ");
        s_map_text(out, &c->got.principal_tags);
    }
}

/* The planned pool (not a pruned one) whose manifest is at source, or plan->n_pools. */
static size_t s_plan_pool(const struct cr_plan *plan, const char *source)
{
    for (size_t i = 0; i < plan->n_pools; i++)
        if (plan->pools[i].source && strcmp(plan->pools[i].source, source) == 0 &&
            plan->pools[i].action != CR_PLAN_DELETE)
            return i;
    return plan->n_pools;
}

static const struct cr_desired_pool *s_desired(const struct cr_plan *plan, const char *source)
{
    for (size_t i = 0; i < plan->n_desired; i++)
        if (plan->desired[i].source && strcmp(plan->desired[i].source, source) == 0)
            return &plan->desired[i];
    return NULL;
}

/* The live pool a planned pool updates or replaces; NULL when the plan creates it. */
static const struct cr_live_pool *s_live(const struct cr_live_state *live,
                                         const struct cr_plan_pool *p)
{
    for (size_t i = 0; p->pool_id && p->action != CR_PLAN_CREATE && i < live->len; i++)
        if (live->pools[i]->config.id && strcmp(live->pools[i]->config.id, p->pool_id) == 0)
            return live->pools[i];
    return NULL;
}

/* The pool as it is (l) and as it will be: the desired configuration, and the desired roles and
 * principal-tag maps where the manifests manage them; else the live ones, which apply leaves
 * alone (a replacement loses them, as a created pool has none). */
static void s_sides(struct cr_access_pool *before, struct cr_access_pool *after,
                    const struct cr_desired_pool *d, const struct cr_live_pool *l, bool fresh)
{
    memset(before, 0, sizeof(*before));
    if (l != NULL) {
        before->config = &l->config;
        before->roles = l->has_roles ? &l->roles : NULL;
        before->principal_tags = l->has_principal_tags ? l->principal_tags : NULL;
        before->n_principal_tags = l->has_principal_tags ? l->n_principal_tags : 0;
    }
    *after = fresh ? (struct cr_access_pool){0} : *before;
    after->config = &d->config;
    if (d->manage_roles)
        after->roles = &d->roles;
    if (d->manage_principal_tags) {
        after->principal_tags = d->principal_tags;
        after->n_principal_tags = d->n_principal_tags;
    }
}

/* Records case c if its outcome changes (before_text NULL: a new pool) or the planned outcome
 * fails its expectation. 0 or CR_ENOMEM. */
static int s_record(struct cr_plan *plan, size_t *cap, size_t pool, const struct cr_access_case *after,
                    const char *before_text, const char *after_text, bool judged)
{
    bool changed = before_text == NULL || strcmp(before_text, after_text) != 0;
    bool fails = judged && after->status != CR_CASE_PASS;
    if (!changed && !fails)
        return 0;
    if (cr_array_reserve(&plan->access, cap, plan->n_access, sizeof(*plan->access), 8) != 0)
        return CR_ENOMEM;
    struct cr_plan_access *a = &plan->access[plan->n_access];
    struct cr_buf src = CR_BUF_INIT;
    bool oom = false;
    memset(a, 0, sizeof(*a));
    plan->n_access++;
    a->pool = pool;
    cr_buf_printf(&src, "%s:%u:%u", after->test->file, after->tc->loc.line, after->tc->loc.column);
    a->source = cr_buf_detach(&src);
    a->test = cr_strdup_null(after->test->name.value, &oom);
    a->name = cr_strdup_null(after->tc->name.value, &oom);
    a->before = cr_strdup_null(before_text, &oom);
    a->after = cr_strdup_null(after_text, &oom);
    a->why = cr_strdup_null(after->status == CR_CASE_ERROR ? NULL : after->got.explanation, &oom);
    a->failure = cr_strdup_null(fails ? after->detail : NULL, &oom);
    return oom || a->source == NULL ? CR_ENOMEM : 0;
}

/* The cases of test t, whose pool is planned as plan->pools[pi] from desired d. */
static int s_impact_test(struct cr_plan *plan, size_t *cap, size_t pi,
                         const struct cr_desired_pool *d, const struct cr_live_pool *l,
                         const struct cr_model_test *t)
{
    const struct cr_plan_pool *p = &plan->pools[pi];
    struct cr_access_pool before, after;
    struct cr_buf bt = CR_BUF_INIT, at = CR_BUF_INIT;
    int rc = 0;
    s_sides(&before, &after, d, l, p->action == CR_PLAN_CREATE || p->action == CR_PLAN_REPLACE);
    for (size_t k = 0; rc == 0 && k < t->n_cases; k++) {
        const struct cr_model_test_case *tc = &t->cases[k];
        struct cr_access_case b, a;
        memset(&b, 0, sizeof(b));
        rc = l != NULL ? s_eval_on(&b, &before, t, tc) : 0;
        if (rc == 0)
            rc = s_eval_on(&a, &after, t, tc);
        else
            memset(&a, 0, sizeof(a));
        cr_buf_clear(&bt);
        cr_buf_clear(&at);
        if (l != NULL)
            s_outcome_text(&bt, &b);
        s_outcome_text(&at, &a);
        if (rc == 0 && (cr_buf_oom(&bt) || cr_buf_oom(&at)))
            rc = CR_ENOMEM;
        /* expected tags of a pool whose maps the manifests leave alone cannot be judged */
        bool judged = !(tc->expect.principal_tags.present && !d->manage_principal_tags);
        if (rc == 0)
            rc = s_record(plan, cap, pi, &a, l != NULL ? cr_buf_cstr(&bt) : NULL,
                          cr_buf_cstr(&at), judged);
        cr_access_case_dispose(&b);
        cr_access_case_dispose(&a);
    }
    cr_buf_dispose(&bt);
    cr_buf_dispose(&at);
    return rc;
}

int cr_access_impact(struct cr_plan *plan, const struct cr_manifest_set *set,
                     const struct cr_live_state *live)
{
    size_t cap = 0;
    int rc = 0;
    for (size_t i = 0; rc == 0 && set != NULL && i < set->n_tests; i++) {
        const struct cr_model_test *t = set->tests[i];
        char source[4200];
        if (t->target == NULL)
            continue;
        snprintf(source, sizeof(source), "%s:%u:%u",
                 t->target->file ? t->target->file : "(manifest)", t->target->loc.line,
                 t->target->loc.column);
        size_t pi = s_plan_pool(plan, source);
        const struct cr_desired_pool *d = s_desired(plan, source);
        if (pi == plan->n_pools || d == NULL || !d->manage_roles)
            continue; /* not planned (--target), or its roles are not ours to predict */
        plan->access_checked = true;
        rc = s_impact_test(plan, &cap, pi, d, s_live(live, &plan->pools[pi]), t);
    }
    if (rc != 0)
        cr_error_set("out of memory computing the access impact");
    return rc;
}

size_t cr_access_impact_failures(const struct cr_plan *plan)
{
    size_t n = 0;
    for (size_t i = 0; i < plan->n_access; i++)
        n += plan->access[i].failure != NULL;
    return n;
}
