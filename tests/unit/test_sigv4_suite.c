/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every case of the official SigV4 test suite (tests/data/sigv4-test-suite/v4), at every stage,
 * for header signing and for query (presigned) signing. The test array is built at run time
 * from the folders found, one cmocka test per case, mode and stage, named like
 * "get-vanilla/header/canonical-request".
 */
#include "tests/support/cr_test.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "aws/sigv4.h"
#include "util/buf.h"

#define SUITE       "sigv4-test-suite/v4"
#define MAX_HEADERS 32

enum stage { ST_CANONICAL, ST_STRING_TO_SIGN, ST_SIGNATURE, ST_SIGNED_REQUEST, ST_COUNT };
static const char *const s_stage_names[ST_COUNT] = {"canonical-request", "string-to-sign",
                                                    "signature", "signed-request"};

struct tcase {
    char *name;
    bool query; /* query (presign) mode, else header mode */
    enum stage stage;
};

/* A parsed request.txt (or *-signed-request.txt). */
struct http_text {
    struct cr_buf raw; /* owns every string below (NULs written into it) */
    char *method, *path, *query;
    struct cr_sigv4_header headers[MAX_HEADERS];
    char *values[MAX_HEADERS]; /* heap copies: values joined across continuation lines */
    size_t header_count;
    const char *body;
    size_t body_len;
};

struct context {
    json_t *root;
    struct cr_sigv4_params params;
    bool sign_body;
};

static unsigned s_passed, s_total;

static void s_http_dispose(struct http_text *h)
{
    for (size_t i = 0; i < h->header_count; i++)
        free(h->values[i]);
    cr_buf_dispose(&h->raw);
}

/* Request line "METHOD TARGET HTTP/1.1"; the target may contain spaces (get-space-*). */
static void s_parse_request_line(struct http_text *h, char *line)
{
    char *sp = strchr(line, ' ');
    char *last = strrchr(line, ' ');
    assert_non_null(sp);
    assert_true(last > sp);
    *sp = '\0';
    *last = '\0';
    h->method = line;
    h->path = sp + 1;
    char *q = strchr(h->path, '?');
    h->query = q ? q + 1 : "";
    if (q)
        *q = '\0';
}

/* Header lines "Name:value"; a line starting with whitespace continues the previous value. */
static void s_add_header_line(struct http_text *h, char *line)
{
    if ((line[0] == ' ' || line[0] == '\t') && h->header_count > 0) {
        size_t k = h->header_count - 1;
        size_t old = strlen(h->values[k]), add = strlen(line);
        h->values[k] = realloc(h->values[k], old + add + 2);
        assert_non_null(h->values[k]);
        h->values[k][old] = '\n';
        memcpy(h->values[k] + old + 1, line, add + 1);
        h->headers[k].value = h->values[k];
        return;
    }
    char *colon = strchr(line, ':');
    assert_non_null(colon);
    assert_true(h->header_count < MAX_HEADERS);
    *colon = '\0';
    size_t k = h->header_count++;
    h->values[k] = strdup(colon + 1);
    assert_non_null(h->values[k]);
    h->headers[k] = (struct cr_sigv4_header){line, h->values[k]};
}

static void s_parse_http(struct http_text *h, const char *path)
{
    memset(h, 0, sizeof(*h));
    assert_ok(cr_buf_read_file(&h->raw, path, 1 << 20));
    char *p = h->raw.ptr, *end = h->raw.ptr + h->raw.len;
    bool first = true;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *line_end = nl ? nl : end;
        if (line_end > p && line_end[-1] == '\r')
            line_end[-1] = '\0';
        *line_end = '\0';
        char *next = nl ? nl + 1 : end;
        if (first) {
            s_parse_request_line(h, p);
            first = false;
        } else if (*p == '\0') {
            h->body = next;
            h->body_len = (size_t)(end - next);
            return;
        } else {
            s_add_header_line(h, p);
        }
        p = next;
    }
    h->body = "";
}

static struct cr_sigv4_request s_request_of(const struct http_text *h)
{
    struct cr_sigv4_request req = {
        .method = h->method,
        .path = h->path,
        .query = h->query,
        .headers = h->headers,
        .header_count = h->header_count,
        .body = cr_span_of(h->body, h->body_len),
    };
    return req;
}

static const char *s_case_file(const char *name, const char *file)
{
    static char path[4096];
    char rel[512];
    snprintf(rel, sizeof(rel), SUITE "/%s/%s", name, file);
    snprintf(path, sizeof(path), "%s", cr_test_data_path(rel));
    return path;
}

static void s_load_context(struct context *ctx, const char *name)
{
    json_error_t err;
    memset(ctx, 0, sizeof(*ctx));
    ctx->root = json_load_file(s_case_file(name, "context.json"), 0, &err);
    if (!ctx->root)
        fail_msg("%s/context.json:%d: %s", name, err.line, err.text);
    json_t *creds = json_object_get(ctx->root, "credentials");
    int64_t t = 0;
    assert_ok(cr_sigv4_parse_date(&t, json_string_value(json_object_get(ctx->root, "timestamp"))));
    ctx->params = (struct cr_sigv4_params){
        .access_key_id = json_string_value(json_object_get(creds, "access_key_id")),
        .secret_access_key = json_string_value(json_object_get(creds, "secret_access_key")),
        .session_token = json_string_value(json_object_get(creds, "token")),
        .region = json_string_value(json_object_get(ctx->root, "region")),
        .service = json_string_value(json_object_get(ctx->root, "service")),
        .time_s = t,
        .normalize_path = json_is_true(json_object_get(ctx->root, "normalize")),
        .omit_session_token = json_is_true(json_object_get(ctx->root, "omit_session_token")),
        .expires_s =
            (uint32_t)json_integer_value(json_object_get(ctx->root, "expiration_in_seconds")),
    };
    ctx->sign_body = json_is_true(json_object_get(ctx->root, "sign_body"));
    ctx->params.add_content_sha256 = ctx->sign_body;
    assert_non_null(ctx->params.access_key_id);
    assert_non_null(ctx->params.secret_access_key);
}

static char *s_expected(const char *name, bool query, const char *stage)
{
    char file[128];
    struct cr_buf b = CR_BUF_INIT;
    snprintf(file, sizeof(file), "%s-%s.txt", query ? "query" : "header", stage);
    assert_ok(cr_buf_read_file(&b, s_case_file(name, file), 1 << 20));
    return cr_buf_detach(&b);
}

/* ---- building the request to sign, as the suite describes each mode ---- */

struct signing {
    struct cr_sigv4_header headers[MAX_HEADERS + 3];
    struct cr_sigv4_request req;
    struct cr_buf query, signed_headers, scope;
    char amz_date[CR_SIGV4_DATE_LEN + 1];
    char payload_hash[CR_SIGV4_HEX_LEN + 1];
};

static void s_signing_dispose(struct signing *s)
{
    cr_buf_dispose(&s->query);
    cr_buf_dispose(&s->signed_headers);
    cr_buf_dispose(&s->scope);
}

static void s_query_param(struct cr_buf *q, const char *key, const char *value)
{
    if (q->len)
        cr_buf_putc(q, '&');
    cr_buf_printf(q, "%s=", key);
    assert_ok(cr_sigv4__uri_encode(q, cr_span_from(value), false));
}

/* Header mode: the request plus X-Amz-Date, the session token unless omitted, and
 * X-Amz-Content-Sha256 when the body is signed. */
static void s_build_header_mode(struct signing *s, const struct http_text *h,
                                const struct context *ctx)
{
    size_t n = 0;
    for (size_t i = 0; i < h->header_count; i++)
        s->headers[n++] = h->headers[i];
    s->headers[n++] = (struct cr_sigv4_header){"X-Amz-Date", s->amz_date};
    if (ctx->params.session_token && !ctx->params.omit_session_token)
        s->headers[n++] =
            (struct cr_sigv4_header){"X-Amz-Security-Token", ctx->params.session_token};
    if (ctx->sign_body)
        s->headers[n++] = (struct cr_sigv4_header){"X-Amz-Content-Sha256", s->payload_hash};
    s->req.headers = s->headers;
    s->req.header_count = n;
    assert_ok(cr_sigv4__signed_headers(&s->signed_headers, &s->req));
}

/* Query mode: the request's own parameters plus the X-Amz-* ones, the token unless omitted. */
static void s_build_query_mode(struct signing *s, const struct context *ctx)
{
    char expires[16];
    struct cr_buf credential = CR_BUF_INIT;
    assert_ok(cr_sigv4__signed_headers(&s->signed_headers, &s->req));
    cr_buf_printf(&credential, "%s/%s", ctx->params.access_key_id, cr_buf_cstr(&s->scope));
    snprintf(expires, sizeof(expires), "%u", ctx->params.expires_s);
    cr_buf_puts(&s->query, s->req.query);
    s_query_param(&s->query, "X-Amz-Algorithm", CR_SIGV4_ALGORITHM);
    s_query_param(&s->query, "X-Amz-Credential", cr_buf_cstr(&credential));
    s_query_param(&s->query, "X-Amz-Date", s->amz_date);
    s_query_param(&s->query, "X-Amz-Expires", expires);
    s_query_param(&s->query, "X-Amz-SignedHeaders", cr_buf_cstr(&s->signed_headers));
    if (ctx->params.session_token && !ctx->params.omit_session_token)
        s_query_param(&s->query, "X-Amz-Security-Token", ctx->params.session_token);
    s->req.query = cr_buf_cstr(&s->query);
    cr_buf_dispose(&credential);
}

static void s_build(struct signing *s, const struct http_text *h, const struct context *ctx,
                    bool query)
{
    memset(s, 0, sizeof(*s));
    s->req = s_request_of(h);
    cr_sigv4_format_date(s->amz_date, ctx->params.time_s);
    assert_ok(cr_sigv4_sha256_hex(s->payload_hash, s->req.body));
    cr_buf_printf(&s->scope, "%.8s/%s/%s/aws4_request", s->amz_date, ctx->params.region,
                  ctx->params.service);
    if (query)
        s_build_query_mode(s, ctx);
    else
        s_build_header_mode(s, h, ctx);
}

/* ---- comparing signed requests ---- */

static int s_strcmp_p(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Headers as sorted "lowercase-name:value" lines, so order does not matter. */
static char *s_header_set(const struct cr_sigv4_header *hs, size_t n)
{
    char **lines = calloc(n + 1, sizeof(*lines));
    struct cr_buf out = CR_BUF_INIT;
    assert_non_null(lines);
    for (size_t i = 0; i < n; i++) {
        struct cr_buf l = CR_BUF_INIT;
        for (const char *c = hs[i].name; *c; c++)
            cr_buf_putc(&l, (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c));
        cr_buf_printf(&l, ":%s", hs[i].value);
        lines[i] = cr_buf_detach(&l);
    }
    qsort(lines, n, sizeof(*lines), s_strcmp_p);
    for (size_t i = 0; i < n; i++) {
        cr_buf_printf(&out, "%s\n", lines[i]);
        free(lines[i]);
    }
    free(lines);
    return cr_buf_detach(&out);
}

/* A query string as its sorted '&'-separated parameters. */
static char *s_query_set(const char *query)
{
    char *copy = strdup(query), *save = NULL;
    char *items[256];
    size_t n = 0;
    struct cr_buf out = CR_BUF_INIT;
    for (char *t = strtok_r(copy, "&", &save); t && n < 256; t = strtok_r(NULL, "&", &save))
        items[n++] = t;
    qsort(items, n, sizeof(*items), s_strcmp_p);
    for (size_t i = 0; i < n; i++)
        cr_buf_printf(&out, "%s\n", items[i]);
    free(copy);
    return cr_buf_detach(&out);
}

static void s_check_header_signed_request(const char *name, const struct http_text *h,
                                          const struct context *ctx)
{
    struct http_text want;
    struct cr_sigv4_signed sig;
    struct cr_sigv4_header all[MAX_HEADERS + 4], added[4];
    struct cr_sigv4_request req = s_request_of(h);
    size_t n = 0;
    cr_sigv4_signed_init(&sig);
    assert_ok(cr_sigv4_sign_headers(&sig, &req, &ctx->params, NULL));
    for (size_t i = 0; i < h->header_count; i++)
        all[n++] = h->headers[i];
    size_t k = cr_sigv4_signed_headers(&sig, added);
    for (size_t i = 0; i < k; i++)
        all[n++] = added[i];
    s_parse_http(&want, s_case_file(name, "header-signed-request.txt"));
    char *got_set = s_header_set(all, n), *want_set = s_header_set(want.headers, want.header_count);
    assert_string_equal(got_set, want_set);
    assert_string_equal(want.method, h->method);
    assert_string_equal(want.path, h->path);
    free(got_set);
    free(want_set);
    s_http_dispose(&want);
    cr_sigv4_signed_dispose(&sig);
}

static void s_check_query_signed_request(const char *name, const struct http_text *h,
                                         const struct context *ctx)
{
    struct http_text want;
    struct cr_buf query = CR_BUF_INIT;
    struct cr_sigv4_request req = s_request_of(h);
    struct cr_sigv4_params params = ctx->params;
    params.add_content_sha256 = false;
    assert_ok(cr_sigv4_presign(&query, &req, &params, NULL));
    s_parse_http(&want, s_case_file(name, "query-signed-request.txt"));
    char *got_set = s_query_set(cr_buf_cstr(&query)), *want_set = s_query_set(want.query);
    assert_string_equal(got_set, want_set);
    assert_string_equal(want.path, h->path);
    char *got_h = s_header_set(h->headers, h->header_count);
    char *want_h = s_header_set(want.headers, want.header_count);
    assert_string_equal(got_h, want_h);
    free(got_set);
    free(want_set);
    free(got_h);
    free(want_h);
    s_http_dispose(&want);
    cr_buf_dispose(&query);
}

/* ---- the test ---- */

static void s_run_stage(void **state)
{
    const struct tcase *tc = *state;
    char case_name[256];
    snprintf(case_name, sizeof(case_name), "%.*s", (int)strcspn(tc->name, "/"), tc->name);
    struct http_text h;
    struct context ctx;
    struct signing s;
    struct cr_buf creq = CR_BUF_INIT, sts = CR_BUF_INIT;
    unsigned char key[32];
    char sig[CR_SIGV4_HEX_LEN + 1];
    char *want = NULL;

    s_parse_http(&h, s_case_file(case_name, "request.txt"));
    s_load_context(&ctx, case_name);
    s_build(&s, &h, &ctx, tc->query);
    if (tc->stage == ST_SIGNED_REQUEST) {
        if (tc->query)
            s_check_query_signed_request(case_name, &h, &ctx);
        else
            s_check_header_signed_request(case_name, &h, &ctx);
        goto passed;
    }
    assert_ok(cr_sigv4__canonical_request(&creq, &s.req, cr_buf_cstr(&s.signed_headers),
                                          ctx.params.normalize_path, s.payload_hash));
    assert_ok(cr_sigv4__string_to_sign(&sts, s.amz_date, cr_buf_cstr(&s.scope),
                                       cr_span_of(creq.ptr, creq.len)));
    char date8[9];
    snprintf(date8, sizeof(date8), "%.8s", s.amz_date);
    assert_ok(cr_sigv4__signing_key(key, ctx.params.secret_access_key, date8, ctx.params.region,
                                    ctx.params.service, NULL));
    assert_ok(cr_sigv4__signature(sig, key, cr_span_of(sts.ptr, sts.len)));
    want = s_expected(case_name, tc->query, s_stage_names[tc->stage]);
    const char *got = tc->stage == ST_CANONICAL        ? cr_buf_cstr(&creq)
                      : tc->stage == ST_STRING_TO_SIGN ? cr_buf_cstr(&sts)
                                                       : sig;
    assert_string_equal(got, want);
passed:
    s_passed++;
    free(want);
    cr_buf_dispose(&creq);
    cr_buf_dispose(&sts);
    s_signing_dispose(&s);
    json_decref(ctx.root);
    s_http_dispose(&h);
}

static int s_name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
    DIR *dir = opendir(cr_test_data_path(SUITE));
    char *names[256];
    size_t ncases = 0;
    if (!dir) {
        fprintf(stderr, "cannot open %s\n", cr_test_data_path(SUITE));
        return 1;
    }
    for (struct dirent *e = readdir(dir); e && ncases < 256; e = readdir(dir)) {
        if (e->d_name[0] != '.')
            names[ncases++] = strdup(e->d_name);
    }
    closedir(dir);
    qsort(names, ncases, sizeof(*names), s_name_cmp);

    size_t ntests = ncases * 2 * ST_COUNT;
    struct CMUnitTest *tests = calloc(ntests, sizeof(*tests));
    struct tcase *cases = calloc(ntests, sizeof(*cases));
    size_t k = 0;
    for (size_t i = 0; i < ncases; i++) {
        for (int mode = 0; mode < 2; mode++) {
            for (int st = 0; st < ST_COUNT; st++, k++) {
                struct cr_buf nm = CR_BUF_INIT;
                cr_buf_printf(&nm, "%s/%s/%s", names[i], mode ? "query" : "header",
                              s_stage_names[st]);
                cases[k] = (struct tcase){cr_buf_detach(&nm), mode == 1, (enum stage)st};
                tests[k] = (struct CMUnitTest){cases[k].name, s_run_stage, NULL, NULL, &cases[k]};
            }
        }
    }
    s_total = (unsigned)ntests;
    int failed = _cmocka_run_group_tests("sigv4_suite", tests, ntests, NULL, NULL);
    printf("sigv4 suite: %u of %u stage checks passed (%zu cases x {header, query} x "
           "{canonical-request, string-to-sign, signature, signed-request})\n",
           s_passed, s_total, ncases);
    for (size_t i = 0; i < ntests; i++)
        free(cases[i].name);
    for (size_t i = 0; i < ncases; i++)
        free(names[i]);
    free(cases);
    free(tests);
    return failed || ncases == 0 ? 1 : 0;
}
