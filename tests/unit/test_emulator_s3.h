/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_TESTS_UNIT_TEST_EMULATOR_S3_H
#define CR_TESTS_UNIT_TEST_EMULATOR_S3_H
/*
 * In-process S3 calls through the emulator's router (no HTTP), for the S3 unit tests: a
 * request is built header by header, optionally SigV4-signed for service "s3" the way the AWS
 * CLI signs (X-Amz-Content-Sha256 with the body's hex SHA-256), and answered in a
 * struct cr_emu_response the test disposes.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "aws/xml.h"
#include "emulator/internal.h"
#include "tests/support/cr_test.h"
#include "util/strutil.h"

struct test_s3_req {
    const char *method;
    const char *path; /* as libmicrohttpd hands it over: percent-decoded */
    const char *query;
    const char *body;
    size_t body_len;
    struct cr_sigv4_header headers[24];
    size_t n;
    char content_length[24];
    struct cr_sigv4_signed sig;
    bool signed_;
};

/** A request with a body (NULL for none); PUTs get their Content-Length like real clients. */
static inline void test_s3_init(struct test_s3_req *r, const char *method, const char *path,
                                const char *body)
{
    memset(r, 0, sizeof(*r));
    r->method = method;
    r->path = path;
    r->body = body;
    r->body_len = body ? strlen(body) : 0;
    cr_sigv4_signed_init(&r->sig);
    if (strcmp(method, "PUT") == 0) {
        snprintf(r->content_length, sizeof(r->content_length), "%zu", r->body_len);
        r->headers[r->n++] = (struct cr_sigv4_header){"Content-Length", r->content_length};
    }
}

static inline void test_s3_header(struct test_s3_req *r, const char *name, const char *value)
{
    assert_true(r->n < sizeof(r->headers) / sizeof(r->headers[0]));
    r->headers[r->n++] = (struct cr_sigv4_header){name, value};
}

/** Signs r (all headers so far, plus Host) with the key, for service (normally "s3"). */
static inline void test_s3_sign(struct test_s3_req *r, const char *akid, const char *secret,
                                const char *service)
{
    struct cr_sigv4_header add[4];
    test_s3_header(r, "Host", "127.0.0.1:9000");
    struct cr_sigv4_request sreq = {r->method,  r->path, r->query,
                                    r->headers, r->n,    cr_span_of(r->body, r->body_len)};
    struct cr_sigv4_params p = {.access_key_id = akid,
                                .secret_access_key = secret,
                                .region = "us-east-1",
                                .service = service,
                                .time_s = cr_time_now(),
                                .add_content_sha256 = true};
    assert_ok(cr_sigv4_sign_headers(&r->sig, &sreq, &p, NULL));
    size_t nadd = cr_sigv4_signed_headers(&r->sig, add);
    for (size_t i = 0; i < nadd; i++)
        test_s3_header(r, add[i].name, add[i].value);
    r->signed_ = true;
}

/** Sends r; out is initialised here and disposed by the caller. Returns the status. */
static inline int test_s3_send(struct cr_emu *emu, struct cr_emu_response *out,
                               struct test_s3_req *r)
{
    struct cr_emu_request req = {.method = r->method,
                                 .path = r->path,
                                 .query = r->query,
                                 .headers = r->headers,
                                 .n_headers = r->n,
                                 .body = r->body,
                                 .body_len = r->body_len,
                                 .loopback = true};
    cr_emu_response_init(out);
    assert_ok(cr_emu_handle(emu, out, &req));
    cr_sigv4_signed_dispose(&r->sig);
    return out->status;
}

/** A header of the response (case-insensitive), or NULL. */
static inline const char *test_s3_resp_header(const struct cr_emu_response *resp, const char *name)
{
    const char *n, *v;
    for (size_t pos = 0; cr_emu_response_next_header(resp, &pos, &n, &v);) {
        if (strcasecmp(n, name) == 0)
            return v;
    }
    if (strcasecmp(name, "Content-Type") == 0)
        return resp->content_type;
    return NULL;
}

/** The text of the first <element> of an XML body as a client reads it (aws/xml.h; static
 * buffer), "" when absent or when the body is not well-formed XML. */
static inline const char *test_s3_xml(const struct cr_emu_response *resp, const char *element)
{
    static char value[512];
    struct cr_xml_doc *doc = NULL;
    struct cr_buf text = CR_BUF_INIT;
    value[0] = '\0';
    if (cr_xml_parse(&doc, resp->body.ptr, resp->body.len, NULL) == 0 &&
        cr_xml_text(&text, cr_xml_top(doc), element) == 0)
        snprintf(value, sizeof(value), "%s", cr_buf_cstr(&text));
    cr_xml_free(doc);
    cr_buf_dispose(&text);
    return value;
}

/** One unsigned call: status, and the error <Code> (or "") into code when given. */
static inline int test_s3_call(struct cr_emu *emu, const char *method, const char *path,
                               const char *body, const char *h1, const char *v1, char code[64])
{
    struct test_s3_req r;
    struct cr_emu_response out;
    test_s3_init(&r, method, path, body);
    if (h1)
        test_s3_header(&r, h1, v1);
    int status = test_s3_send(emu, &out, &r);
    if (code)
        snprintf(code, 64, "%s", test_s3_xml(&out, "Code"));
    cr_emu_response_dispose(&out);
    return status;
}

#endif
