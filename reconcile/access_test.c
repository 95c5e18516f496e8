/* SPDX-License-Identifier: Apache-2.0 */
/* Test cases of IdentityPoolTest documents: evaluation by access/ and the verdict. */
#include "reconcile/access_test.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

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

int cr_access_case_eval(struct cr_access_case *out, const struct cr_desired_pool *pool,
                        const struct cr_model_test *t, const struct cr_model_test_case *tc)
{
    struct cr_access_login login = {0};
    struct cr_access_pool ap = {&pool->config, &pool->roles, pool->principal_tags,
                                pool->n_principal_tags};
    json_t *claims = NULL;
    int rc = 0;
    memset(out, 0, sizeof(*out));
    out->test = t;
    out->tc = tc;
    if (!pool->manage_roles)
        return s_unmanaged(out, pool, "roles (spec.roles / spec.roleMappings)");
    if (tc->expect.principal_tags.present && !pool->manage_principal_tags)
        return s_unmanaged(out, pool, "principal-tag maps (spec.principalTagAttributeMaps)");
    if (tc->login.value != NULL &&
        cr_access_login_parse(&login.provider, &login.client_id, &pool->config, tc->login.value) !=
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
    rc = cr_access_resolve(&out->got, &ap, &req);
    if (rc == 0)
        rc = cr_access_case_judge(out);
done:
    json_decref(claims);
    if (rc != 0)
        cr_error_set("out of memory evaluating test cases");
    return rc;
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
