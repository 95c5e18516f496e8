/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_TESTS_UNIT_TEST_EMULATOR_CALL_H
#define CR_TESTS_UNIT_TEST_EMULATOR_CALL_H
/* One in-process JSON 1.1 call through the router (no HTTP), for the emulator unit tests. */
#include <stdio.h>
#include <string.h>

#include "emulator/internal.h"
#include "tests/support/cr_test.h"

struct test_emu_res {
    int status;
    json_t *body; /* the parsed response; the test fails when it is not JSON */
};

/** Handles req from a loopback client; the test fails when the answer is not JSON. */
static inline struct test_emu_res test_emu_request(struct cr_emu *emu,
                                                   const struct cr_emu_request *req)
{
    struct cr_emu_response resp;
    struct test_emu_res r;
    cr_emu_response_init(&resp);
    assert_ok(cr_emu_handle(emu, &resp, req));
    r.status = resp.status;
    r.body = json_loads(cr_buf_cstr(&resp.body), 0, NULL);
    if (!r.body)
        fail_msg("%s %s: response is not JSON: %s", req->method, req->path,
                 cr_buf_cstr(&resp.body));
    cr_emu_response_dispose(&resp);
    return r;
}

/**
 * POSTs body (len bytes) to / with X-Amz-Target AWSCognitoIdentityService.<op>, plus an
 * Authorization header when authorization is not NULL.
 */
static inline struct test_emu_res test_emu_call(struct cr_emu *emu, const char *op,
                                                const char *body, size_t len,
                                                const char *authorization)
{
    char target[128];
    struct cr_sigv4_header headers[3] = {{"Content-Type", "application/x-amz-json-1.1"},
                                         {"X-Amz-Target", target},
                                         {"Authorization", authorization}};
    snprintf(target, sizeof(target), "AWSCognitoIdentityService.%s", op);
    struct cr_emu_request req = {.method = "POST",
                                 .path = "/",
                                 .headers = headers,
                                 .n_headers = authorization ? 3 : 2,
                                 .body = body,
                                 .body_len = len,
                                 .loopback = true};
    return test_emu_request(emu, &req);
}

/**
 * test_emu_call() with an Authorization header whose SigV4 credential scope names region
 * (without --credentials the emulator takes only the region from it); region NULL: no header.
 */
static inline struct test_emu_res test_emu_call_in(struct cr_emu *emu, const char *region,
                                                   const char *op, const char *body)
{
    char auth[256];
    snprintf(auth, sizeof(auth),
             "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/%s/cognito-identity/aws4_request, "
             "SignedHeaders=host;x-amz-date, Signature="
             "0000000000000000000000000000000000000000000000000000000000000000",
             region ? region : "");
    return test_emu_call(emu, op, body, strlen(body), region ? auth : NULL);
}

/** A control endpoint (/_local/...) from a loopback client. */
static inline struct test_emu_res test_emu_local(struct cr_emu *emu, const char *method,
                                                 const char *path, const char *body)
{
    struct cr_emu_request req = {.method = method,
                                 .path = path,
                                 .body = body,
                                 .body_len = body ? strlen(body) : 0,
                                 .loopback = true};
    return test_emu_request(emu, &req);
}

#endif
