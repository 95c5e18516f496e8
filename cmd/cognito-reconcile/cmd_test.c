/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test: unit tests for access. Runs the cases of the IdentityPoolTest documents beside the
 * manifests: offline (no credentials, no network), each case resolved by access/ against the
 * manifests' roles, role mappings and principal-tag maps; or with --endpoint-url against the
 * pools deployed there (a cognito-identity-local): a login token minted by the emulator,
 * GetId, GetCredentialsForIdentity, and the role and tags the credentials carry. Both modes
 * judge with the same code (reconcile/access_test.c). Exit 0 when every case passes, 1
 * otherwise (and for any error).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/client.h"
#include "aws/request.h"
#include "cmd/cognito-reconcile/cmd.h"
#include "cmd/cognito-reconcile/session.h"
#include "cmd/cognito-reconcile/sources.h"
#include "reconcile/access_test.h"
#include "schema/manifest.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/xml.h"

static const char s_synopsis[] = "[options] [PATH...]";
static const char s_description[] =
    "Runs the cases of the IdentityPoolTest documents in PATH (beside the manifests): which\n"
    "role and principal tags a login with given claims gets, or that it is refused. Offline\n"
    "(the default) each case is resolved from the manifests alone, with the same code the\n"
    "emulator answers GetCredentialsForIdentity with; no credentials, no network. With\n"
    "--endpoint-url the cases run against the pools deployed there, which must be a\n"
    "cognito-identity-local (it mints the login tokens). Prints pass or fail per case with\n"
    "file:line and the rule that decided. Exit status 0 when every case passes, 1 otherwise.";

/* One run: the loaded manifests and the cases. */
struct s_run {
    struct cr_cli_session session;
    struct cr_access_case *cases;
    size_t n_cases;
    bool live;
};

/* The desired pool of a test's target (the set's pools and the desired ones share order). */
static const struct cr_desired_pool *s_desired_of(const struct s_run *run,
                                                  const struct cr_model_test *t)
{
    const struct cr_manifest_set *set = run->session.manifests;
    for (size_t i = 0; t->target != NULL && i < set->n_pools && i < run->session.desired.len; i++)
        if (set->pools[i] == t->target)
            return &run->session.desired.pools[i];
    return NULL;
}

static int s_evaluate(struct s_run *run)
{
    const struct cr_manifest_set *set = run->session.manifests;
    size_t n = 0;
    for (size_t i = 0; i < set->n_tests; i++)
        n += set->tests[i]->n_cases;
    run->cases = calloc(n + 1, sizeof(*run->cases));
    if (run->cases == NULL) {
        cr_error_set("out of memory");
        return CR_ENOMEM;
    }
    for (size_t i = 0; i < set->n_tests; i++) {
        const struct cr_model_test *t = set->tests[i];
        const struct cr_desired_pool *pool = s_desired_of(run, t);
        for (size_t k = 0; pool != NULL && k < t->n_cases; k++) {
            if (cr_access_case_eval(&run->cases[run->n_cases], pool, t, &t->cases[k]) != 0)
                return CR_ENOMEM;
            run->n_cases++;
        }
    }
    return 0;
}

/* ---- live: the deployed pools ---- */

/* One unsigned call through aws/request.h (the public identity operations and the emulator's
 * /_local/ endpoints need no signature): target NULL for a /_local/ endpoint. A 2xx or 4xx
 * answer is not an error of the run (the caller reads *status); its JSON body goes to *out. */
static int s_call(struct cr_aws_transport *t, const char *method, const char *url,
                  const char *target, const char *body, long *status, json_t **out)
{
    char header[160];
    struct cr_http_header headers[2] = {{"Content-Type", "application/x-amz-json-1.1"},
                                        {"X-Amz-Target", header}};
    struct cr_aws_request req;
    cr_aws_request_init(&req);
    snprintf(header, sizeof(header), "AWSCognitoIdentityService.%s", target ? target : "");
    req.name = target ? target : url;
    req.method = method;
    req.url = url;
    req.headers = headers;
    req.header_count = target ? 2 : 1;
    req.body = body;
    req.body_len = body ? strlen(body) : 0;
    int rc = cr_aws_request_run(t, &req);
    if ((rc == CR_ESERVICE || rc == CR_EAUTH) && req.status >= 400 && req.status < 500)
        rc = 0;
    if (rc != 0)
        cr_error_set("%s: %s", req.name, req.error.message[0] ? req.error.message
                                                              : cr_error_name(rc));
    *status = req.status;
    *out = rc == 0 ? json_loadb(cr_buf_cstr(&req.response), req.response.len, 0, NULL) : NULL;
    if (rc == 0 && *out == NULL && req.status < 300) {
        cr_error_set("%s: the answer (HTTP %ld) is not JSON", req.name, req.status);
        rc = CR_EIO;
    }
    cr_aws_request_dispose(&req);
    return rc;
}

/* The deployed pool of a desired one: by its ownership tags (stack, name) and region, or
 * its adopted id. */
static const char *s_live_pool_id(const struct s_run *run, const struct cr_desired_pool *d)
{
    const struct cr_live_state *live = &run->session.live;
    for (size_t i = 0; i < live->len; i++) {
        const struct cr_live_pool *p = live->pools[i];
        bool same_account = (p->account == NULL && d->account == NULL) ||
                            (p->account != NULL && d->account != NULL &&
                             strcmp(p->account, d->account) == 0);
        if (!same_account)
            continue;
        if (d->adopt_id != NULL ? (p->config.id && strcmp(p->config.id, d->adopt_id) == 0)
                                : (p->name && strcmp(p->name, d->name) == 0 && p->stack &&
                                   strcmp(p->stack, run->session.opts->stack) == 0 &&
                                   (!d->region || strcmp(d->region, p->region) == 0)))
            return p->config.id;
    }
    return NULL;
}

/* The observed outcome of an error answer: NotAuthorized is a refusal, an invalid pool
 * configuration no role; anything else is an error of the run. */
static int s_refused(struct cr_access_case *c, const json_t *answer)
{
    const char *type = json_string_value(json_object_get(answer, "__type"));
    const char *msg = json_string_value(json_object_get(answer, "message"));
    const char *hash = type ? strrchr(type, '#') : NULL;
    type = hash ? hash + 1 : type;
    if (type && strcmp(type, "NotAuthorizedException") == 0) {
        c->got.outcome = CR_ACCESS_DENIED;
        c->got.error_type = "NotAuthorizedException";
    } else if (type && strcmp(type, "InvalidIdentityPoolConfigurationException") == 0) {
        c->got.outcome = CR_ACCESS_NO_ROLE;
        c->got.error_type = "InvalidIdentityPoolConfigurationException";
    } else {
        cr_error_set("%s: %s", type ? type : "error", msg ? msg : "(no message)");
        return CR_EIO;
    }
    c->got.message = strdup(msg ? msg : "");
    c->got.explanation = strdup("the deployed pool refused");
    return c->got.message && c->got.explanation ? 0 : CR_ENOMEM;
}

/* What the credentials carry: GET /_local/credentials/KEY of the emulator. */
static int s_granted(struct cr_access_case *c, struct cr_aws_transport *http, const char *base,
                     const json_t *answer)
{
    const char *key = json_string_value(
        json_object_get(json_object_get(answer, "Credentials"), "AccessKeyId"));
    struct cr_buf url = CR_BUF_INIT;
    json_t *who = NULL, *v;
    const char *k;
    long status = 0;
    cr_buf_printf(&url, "%s/_local/credentials/%s", base, key ? key : "");
    int rc = s_call(http, "GET", cr_buf_cstr(&url), NULL, NULL, &status, &who);
    if (rc == 0 && status != 200) {
        cr_error_set("%s: HTTP %ld: is --endpoint-url a cognito-identity-local?", cr_buf_cstr(&url),
                     status);
        rc = CR_EIO;
    }
    if (rc == 0) {
        c->got.outcome = CR_ACCESS_GRANTED;
        const char *role = json_string_value(json_object_get(who, "RoleArn"));
        c->got.role_arn = strdup(role ? role : "");
        c->got.explanation = strdup("the deployed pool granted it");
        rc = c->got.role_arn && c->got.explanation ? 0 : CR_ENOMEM;
    }
    json_object_foreach(json_object_get(who, "PrincipalTags"), k, v)
    {
        if (rc == 0)
            rc = cr_strmap_set(&c->got.principal_tags, k, json_string_value(v));
    }
    json_decref(who);
    cr_buf_dispose(&url);
    return rc;
}

/* The Logins member of a case: its provider and a token the emulator mints for it. */
static int s_logins(json_t **out, struct cr_aws_transport *http, const char *base,
                    const struct cr_desired_pool *d, const struct cr_access_case *c)
{
    struct cr_access_provider p;
    const char *client = NULL;
    long status = 0;
    json_t *answer = NULL, *req = NULL, *claims;
    struct cr_buf url = CR_BUF_INIT;
    int rc;
    *out = json_object();
    if (c->tc->login.value == NULL)
        return *out ? 0 : CR_ENOMEM;
    rc = cr_access_login_parse(&p, &client, &d->config, c->tc->login.value);
    claims = rc == 0 ? cr_access_case_claims(c->test, c->tc, &p, client) : NULL;
    /* a SAML login has no iss of its own: the emulator takes the ARN */
    const char *iss = json_string_value(json_object_get(claims, "iss"));
    req = claims ? json_pack("{s:s, s:O}", "issuer", iss ? iss : p.name, "claims", claims) : NULL;
    char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
    cr_buf_printf(&url, "%s/_local/token", base);
    if (rc == 0)
        rc = body ? s_call(http, "POST", cr_buf_cstr(&url), NULL, body, &status, &answer) : CR_ENOMEM;
    if (rc == 0 && !json_is_string(json_object_get(answer, "token"))) {
        cr_error_set("%s: no token (HTTP %ld): is --endpoint-url a cognito-identity-local?",
                     cr_buf_cstr(&url), status);
        rc = CR_EIO;
    }
    if (rc == 0)
        rc = json_object_set(*out, p.name, json_object_get(answer, "token")) == 0 ? 0 : CR_ENOMEM;
    free(body);
    json_decref(req);
    json_decref(claims);
    json_decref(answer);
    cr_buf_dispose(&url);
    return rc;
}

/* GetId, then GetCredentialsForIdentity, as an app does; the outcome goes to c->got. */
static int s_observe(struct cr_access_case *c, struct cr_aws_transport *http, const char *base,
                     const char *pool_id, const struct cr_desired_pool *d)
{
    json_t *logins = NULL, *req = NULL, *answer = NULL;
    long status = 0;
    char *body = NULL;
    int rc = s_logins(&logins, http, base, d, c);
    cr_access_result_dispose(&c->got);
    if (rc == 0) {
        req = json_pack("{s:s, s:O}", "IdentityPoolId", pool_id, "Logins", logins);
        body = req ? json_dumps(req, JSON_COMPACT) : NULL;
        rc = body ? s_call(http, "POST", base, "GetId", body, &status, &answer) : CR_ENOMEM;
    }
    if (rc == 0 && status == 200) {
        json_t *creds =
            json_pack("{s:O, s:O}", "IdentityId", json_object_get(answer, "IdentityId"), "Logins", logins);
        if (creds && c->tc->custom_role_arn.value)
            json_object_set_new(creds, "CustomRoleArn", json_string(c->tc->custom_role_arn.value));
        free(body);
        body = creds ? json_dumps(creds, JSON_COMPACT) : NULL;
        json_decref(creds);
        json_decref(answer);
        answer = NULL;
        rc = body ? s_call(http, "POST", base, "GetCredentialsForIdentity", body, &status, &answer)
                  : CR_ENOMEM;
    }
    if (rc == 0)
        rc = status == 200 ? s_granted(c, http, base, answer) : s_refused(c, answer);
    if (rc == 0)
        rc = cr_access_case_judge(c);
    free(body);
    json_decref(req);
    json_decref(answer);
    json_decref(logins);
    return rc;
}

static int s_run_live(struct s_run *run)
{
    struct cr_cli_session *s = &run->session;
    struct cr_plan_wants wants = {0};
    struct cr_aws_transport *http = NULL;
    const char *base = s->opts->endpoint_url;
    int rc = 0;
    /* the accounts and regions of the manifests' pools, each read with its own client */
    for (size_t i = 0; i < s->desired.len && rc == 0; i++)
        rc = cr_cli_session_add_scope(s, s->desired.pools[i].account, s->desired.pools[i].region);
    if (rc == 0)
        rc = cr_cli_session_connect(s);
    /* the wrong-account guard, as plan's: a profile holding another account's keys would read
     * (and test) that account's pool of the same name */
    if (rc == 0)
        rc = cr_cli_session_guard(s, false);
    if (rc == 0)
        rc = cr_plan_wants_from_desired(&wants, s->desired.pools, s->desired.len);
    if (rc == 0)
        rc = cr_cli_session_read(s, wants.items, wants.len, false);
    if (rc == 0 && s->n_clients == 0) {
        cr_error_set("no pool to test at %s", base);
        rc = CR_EINVALID;
    }
    if (rc == 0)
        http = cr_aws_client_transport(s->clients[0]);
    for (size_t i = 0; rc == 0 && i < run->n_cases; i++) {
        struct cr_access_case *c = &run->cases[i];
        const struct cr_desired_pool *d = s_desired_of(run, c->test);
        const char *id = d ? s_live_pool_id(run, d) : NULL;
        if (c->status == CR_CASE_ERROR)
            continue; /* the manifests cannot decide it: neither can the deployment be judged */
        if (id == NULL) {
            struct cr_buf why = CR_BUF_INIT;
            cr_buf_printf(&why, "pool '%s' is not deployed at %s (apply the manifests first)",
                          d ? d->name : "?", base);
            cr_access_result_dispose(&c->got);
            free(c->detail);
            c->status = CR_CASE_ERROR;
            c->detail = cr_buf_detach(&why);
            continue;
        }
        rc = s_observe(c, http, base, id, d);
        if (rc != 0)
            cr_error_prefix("test '%s', case '%s'", c->test->name.value, c->tc->name.value);
    }
    cr_plan_wants_dispose(&wants);
    return rc;
}

/* ---- output ---- */

struct s_counts {
    size_t pass, fail, error;
};

static struct s_counts s_count(const struct s_run *run)
{
    struct s_counts n = {0};
    for (size_t i = 0; i < run->n_cases; i++) {
        n.pass += run->cases[i].status == CR_CASE_PASS;
        n.fail += run->cases[i].status == CR_CASE_FAIL;
        n.error += run->cases[i].status == CR_CASE_ERROR;
    }
    return n;
}

static const char *s_status_word(enum cr_access_case_status st)
{
    return st == CR_CASE_PASS ? "PASS" : st == CR_CASE_FAIL ? "FAIL" : "ERROR";
}

static int s_print_text(FILE *fp, const struct s_run *run, bool color)
{
    struct cr_buf out = CR_BUF_INIT;
    struct s_counts n = s_count(run);
    for (size_t i = 0; i < run->n_cases; i++) {
        const struct cr_access_case *c = &run->cases[i];
        const char *on = !color ? "" : c->status == CR_CASE_PASS ? "\033[32m" : "\033[31m";
        cr_buf_printf(&out, "%s%-5s%s %s:%u:%u: %s\n", on, s_status_word(c->status),
                      color ? "\033[0m" : "", c->test->file, c->tc->loc.line, c->tc->loc.column,
                      c->tc->name.value);
        if (c->status != CR_CASE_ERROR) {
            cr_buf_puts(&out, "      ");
            cr_access_outcome_describe(&out, &c->got);
            cr_buf_printf(&out, ": %s\n", c->got.explanation ? c->got.explanation : "");
        }
        if (c->detail)
            cr_buf_printf(&out, "      %s\n", c->detail);
    }
    cr_buf_printf(&out, "%zu case%s%s: %zu passed, %zu failed%s", run->n_cases,
                  run->n_cases == 1 ? "" : "s", run->live ? " (live)" : "", n.pass, n.fail,
                  n.error ? "" : "\n");
    if (n.error)
        cr_buf_printf(&out, ", %zu could not run\n", n.error);
    if (cr_buf_oom(&out) || fwrite(out.ptr, 1, out.len, fp) != out.len) {
        cr_buf_dispose(&out);
        cr_error_set("could not write the report");
        return CR_EIO;
    }
    cr_buf_dispose(&out);
    return 0;
}

static json_t *s_case_json(const struct cr_access_case *c)
{
    json_t *tags = json_object();
    for (size_t i = 0; tags && i < c->got.principal_tags.len; i++)
        json_object_set_new(tags, c->got.principal_tags.items[i].key,
                            json_string(c->got.principal_tags.items[i].value));
    json_t *got =
        c->status == CR_CASE_ERROR
            ? json_null()
            : json_pack("{s:s, s:s?, s:s?, s:s?, s:o, s:s?, s:s?, s:I}", "outcome",
                        cr_access_outcome_name(c->got.outcome), "role", c->got.role_arn, "error",
                        c->got.error_type, "message", c->got.message, "principal_tags", tags,
                        "decided_by", c->got.explanation, "mapping", c->got.mapping_key, "rule",
                        (json_int_t)c->got.rule);
    if (c->status == CR_CASE_ERROR)
        json_decref(tags);
    return json_pack("{s:s, s:s, s:i, s:i, s:s, s:s, s:o, s:s?}", "test", c->test->name.value,
                     "file", c->test->file, "line", (int)c->tc->loc.line, "column",
                     (int)c->tc->loc.column, "name", c->tc->name.value, "status",
                     cr_access_case_status_name(c->status), "got", got, "detail", c->detail);
}

static int s_print_json(FILE *fp, const struct s_run *run)
{
    struct s_counts n = s_count(run);
    json_t *cases = json_array();
    for (size_t i = 0; cases && i < run->n_cases; i++)
        if (json_array_append_new(cases, s_case_json(&run->cases[i])) != 0)
            break;
    json_t *doc = json_pack("{s:s, s:s, s:o, s:{s:I, s:I, s:I, s:I}}", "format_version", "1",
                            "mode", run->live ? "live" : "offline", "cases", cases, "summary",
                            "cases", (json_int_t)run->n_cases, "passed", (json_int_t)n.pass,
                            "failed", (json_int_t)n.fail, "errors", (json_int_t)n.error);
    int rc = doc && json_dumpf(doc, fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == 0 ? 0 : CR_ENOMEM;
    if (rc == 0)
        fputc('\n', fp);
    json_decref(doc);
    if (rc != 0)
        cr_error_set("could not write the report");
    return rc;
}

static void s_attr(struct cr_buf *out, const char *name, const char *value)
{
    cr_buf_printf(out, " %s=\"", name);
    cr_xml_escape(out, value ? value : "", CR_XML_ATTRIBUTE);
    cr_buf_putc(out, '"');
}

/* JUnit: one <testsuite> per test document, one <testcase> per case. */
static int s_print_junit(FILE *fp, const struct s_run *run)
{
    struct cr_buf out = CR_BUF_INIT;
    struct s_counts n = s_count(run);
    cr_buf_printf(&out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"cognito-"
                        "reconcile test\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\">\n",
                  run->n_cases, n.fail, n.error);
    for (size_t i = 0; i < run->n_cases;) {
        const struct cr_model_test *t = run->cases[i].test;
        size_t end = i, fails = 0, errors = 0;
        for (; end < run->n_cases && run->cases[end].test == t; end++) {
            fails += run->cases[end].status == CR_CASE_FAIL;
            errors += run->cases[end].status == CR_CASE_ERROR;
        }
        cr_buf_puts(&out, "  <testsuite");
        s_attr(&out, "name", t->name.value);
        cr_buf_printf(&out, " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\"", end - i, fails,
                      errors);
        s_attr(&out, "file", t->file);
        cr_buf_puts(&out, ">\n");
        for (; i < end; i++) {
            const struct cr_access_case *c = &run->cases[i];
            cr_buf_puts(&out, "    <testcase");
            s_attr(&out, "classname", t->name.value);
            s_attr(&out, "name", c->tc->name.value);
            s_attr(&out, "file", t->file);
            cr_buf_printf(&out, " line=\"%u\"", c->tc->loc.line);
            if (c->status == CR_CASE_PASS) {
                cr_buf_puts(&out, "/>\n");
                continue;
            }
            cr_buf_printf(&out, ">\n      <%s", c->status == CR_CASE_FAIL ? "failure" : "error");
            s_attr(&out, "message", c->detail);
            cr_buf_puts(&out, ">");
            if (c->status == CR_CASE_FAIL)
                cr_xml_escape(&out, c->got.explanation ? c->got.explanation : "", CR_XML_TEXT);
            cr_buf_printf(&out, "</%s>\n    </testcase>\n",
                          c->status == CR_CASE_FAIL ? "failure" : "error");
        }
        cr_buf_puts(&out, "  </testsuite>\n");
    }
    cr_buf_puts(&out, "</testsuites>\n");
    int rc = !cr_buf_oom(&out) && fwrite(out.ptr, 1, out.len, fp) == out.len ? 0 : CR_EIO;
    if (rc != 0)
        cr_error_set("could not write the report");
    cr_buf_dispose(&out);
    return rc;
}

/* ---- the command ---- */

/* Offline: the manifests and tests, each pool's region left as written (none is needed). */
static int s_load_offline(struct s_run *run)
{
    struct cr_cli_session *s = &run->session;
    int rc = cr_cmd_read_sources(&s->manifests, &s->revision, &s->unread, s->opts,
                                 CR_MANIFEST_RESERVED_TAGS);
    if (rc == CR_EINVALID && s->manifests != NULL && s->manifests->n_diagnostics > 0) {
        if (cr_cli_print_diagnostics(s->manifests) != 0)
            return CR_ENOMEM;
        cr_error_set("%zu problem%s in the manifests and tests", s->manifests->n_diagnostics,
                     s->manifests->n_diagnostics == 1 ? "" : "s");
        return CR_EINVALID;
    }
    return rc == 0 ? cr_desired_from_manifest(&s->desired, s->manifests) : rc;
}

static int s_run_test(const struct cr_cli_options *opts)
{
    struct s_run run = {.live = opts->endpoint_url != NULL};
    int rc, status = CR_EXIT_ERROR;
    cr_cli_session_init(&run.session, opts);
    if (run.live) {
        rc = cr_cli_session_resolve_region(&run.session);
        if (rc == 0)
            rc = cr_cli_session_load(&run.session);
    } else {
        rc = s_load_offline(&run);
    }
    if (rc == 0 && run.session.manifests->n_tests == 0) {
        cr_error_set("no IdentityPoolTest documents in the paths given (docs/testing.md says "
                     "how to write one)");
        rc = CR_ENOTFOUND;
    }
    if (rc == 0)
        rc = s_evaluate(&run);
    if (rc == 0 && run.live)
        rc = s_run_live(&run);
    if (rc == 0) {
        if (opts->output == CR_CLI_OUTPUT_JSON)
            rc = s_print_json(stdout, &run);
        else if (opts->output == CR_CLI_OUTPUT_JUNIT)
            rc = s_print_junit(stdout, &run);
        else
            rc = s_print_text(stdout, &run, cr_cli_use_color(opts, stdout));
    }
    if (rc == 0) {
        struct s_counts n = s_count(&run);
        status = n.fail == 0 && n.error == 0 ? CR_EXIT_OK : CR_EXIT_ERROR;
    } else {
        status = cr_cli_fail(rc);
    }
    for (size_t i = 0; i < run.n_cases; i++)
        cr_access_case_dispose(&run.cases[i]);
    free(run.cases);
    cr_cli_session_dispose(&run.session);
    return status;
}

int cr_cmd_test(int argc, char **argv)
{
    return cr_cli_main(CR_CLI_TEST, argc, argv, s_synopsis, s_description, s_run_test);
}
