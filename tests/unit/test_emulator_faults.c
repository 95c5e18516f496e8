/* SPDX-License-Identifier: Apache-2.0 */
/* Fault injection rules, the control endpoints and their loopback-only rule (no HTTP). */
#include <stdlib.h>
#include <string.h>

#include "emulator/internal.h"
#include "tests/support/cr_test.h"
#include "util/strutil.h"

struct s_res {
    int status;
    bool drop;
    json_t *body;
};

/* One request to the router; headers and target live in the struct (do not copy it). */
struct s_call {
    char target[128];
    struct cr_sigv4_header headers[2];
    struct cr_emu_request req;
};

static void s_call_init(struct s_call *c, const char *method, const char *path, const char *query,
                        const char *op, const char *body, bool loopback)
{
    snprintf(c->target, sizeof(c->target), "AWSCognitoIdentityService.%s", op ? op : "");
    c->headers[0] = (struct cr_sigv4_header){"Content-Type", "application/x-amz-json-1.1"};
    c->headers[1] = (struct cr_sigv4_header){"X-Amz-Target", c->target};
    c->req = (struct cr_emu_request){.method = method,
                                     .path = path,
                                     .query = query,
                                     .headers = c->headers,
                                     .n_headers = op ? 2 : 1,
                                     .body = body,
                                     .body_len = body ? strlen(body) : 0,
                                     .loopback = loopback};
}

static struct s_res s_req(struct cr_emu *emu, const char *method, const char *path,
                          const char *query, const char *op, const char *body, bool loopback)
{
    struct s_call call;
    s_call_init(&call, method, path, query, op, body, loopback);
    struct cr_emu_response resp;
    struct s_res r;
    cr_emu_response_init(&resp);
    assert_ok(cr_emu_handle(emu, &resp, &call.req));
    r.status = resp.status;
    r.drop = resp.drop;
    r.body = resp.drop ? NULL : json_loads(cr_buf_cstr(&resp.body), 0, NULL);
    cr_emu_response_dispose(&resp);
    return r;
}

/* s_req for its status only. */
static int s_req_status(struct cr_emu *emu, const char *method, const char *path, const char *query,
                        const char *op, const char *body, bool loopback)
{
    struct s_res r = s_req(emu, method, path, query, op, body, loopback);
    json_decref(r.body);
    return r.status;
}

static struct s_res s_op(struct cr_emu *emu, const char *op, const char *body)
{
    return s_req(emu, "POST", "/", NULL, op, body, true);
}

/* The injected delay cr_emu_prepare() decides for one call of op; the call is then finished
 * and must succeed. */
static uint32_t s_delay_ms(struct cr_emu *emu, const char *op, const char *body)
{
    struct s_call call;
    struct cr_emu_pending *pending = NULL;
    struct cr_emu_response resp;
    s_call_init(&call, "POST", "/", NULL, op, body, true);
    cr_emu_response_init(&resp);
    assert_ok(cr_emu_prepare(&pending, emu, &call.req));
    uint32_t delay_ms = cr_emu_pending_delay_ms(pending);
    assert_ok(cr_emu_finish(emu, &resp, &call.req, pending));
    assert_int_equal(resp.status, 200);
    cr_emu_response_dispose(&resp);
    cr_emu_pending_free(pending);
    return delay_ms;
}

static const char *s_type(const struct s_res *r)
{
    const char *s = json_string_value(json_object_get(r->body, "__type"));
    return s ? s : "";
}

static struct cr_emu *s_new(void)
{
    struct cr_emu *emu = NULL;
    struct cr_emu_options opts = {0};
    assert_ok(cr_emu_new(&emu, &opts));
    return emu;
}

static const char *s_missing = "{\"IdentityPoolId\":\"us-east-1:0000\"}";

static void test_emulator__fault_count_fires_exactly_n_times(void **state)
{
    struct cr_emu *emu = s_new();
    assert_ok(cr_emu_add_faults(
        emu, "[{\"operation\":\"DescribeIdentityPool\",\"throttle\":1,\"count\":2}]"));
    for (int i = 0; i < 5; i++) {
        struct s_res r = s_op(emu, "DescribeIdentityPool", s_missing);
        assert_int_equal(r.status, 400);
        assert_string_equal(s_type(&r),
                            i < 2 ? "TooManyRequestsException" : "ResourceNotFoundException");
        json_decref(r.body);
    }
    /* other operations were never affected */
    struct s_res r = s_op(emu, "ListIdentityPools", "{\"MaxResults\":1}");
    assert_int_equal(r.status, 200);
    json_decref(r.body);
    cr_emu_free(emu);
}

static void test_emulator__fault_flag_spec_and_wildcard(void **state)
{
    struct cr_emu *emu = s_new();
    assert_ok(cr_emu_add_faults(emu, "*:error=1,count=3,type=ConcurrentModificationException,"
                                     "status=400,message=busy"));
    assert_ok(cr_emu_add_faults(emu, "ListIdentityPools:throttle=1,count=1"));
    /* the exact-operation rule goes first */
    struct s_res r = s_op(emu, "ListIdentityPools", "{\"MaxResults\":1}");
    assert_string_equal(s_type(&r), "TooManyRequestsException");
    json_decref(r.body);
    for (int i = 0; i < 3; i++) {
        r = s_op(emu, i == 0 ? "ListIdentityPools" : "DescribeIdentityPool",
                 i == 0 ? "{\"MaxResults\":1}" : s_missing);
        assert_int_equal(r.status, 400);
        assert_string_equal(s_type(&r), "ConcurrentModificationException");
        assert_string_equal(json_string_value(json_object_get(r.body, "message")), "busy");
        json_decref(r.body);
    }
    r = s_op(emu, "ListIdentityPools", "{\"MaxResults\":1}");
    assert_int_equal(r.status, 200);
    json_decref(r.body);
    cr_emu_free(emu);
}

static void test_emulator__fault_specs_rejected(void **state)
{
    struct cr_emu *emu = s_new();
    assert_int_equal(cr_emu_add_faults(emu, "Describe"), CR_EINVALID);
    assert_int_equal(cr_emu_add_faults(emu, "TagResource:throttle=2"), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "between 0 and 1"));
    assert_int_equal(cr_emu_add_faults(emu, "TagResource:bogus=1"), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "unknown key 'bogus'"));
    assert_int_equal(cr_emu_add_faults(emu, "[{\"throttle\":1}]"), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "'operation'"));
    assert_int_equal(cr_emu_add_faults(emu, "[{\"operation\":\"TagResource\",\"count\":0}]"),
                     CR_EINVALID);
    /* a typo would make a rule that never fires */
    assert_int_equal(cr_emu_add_faults(emu, "ListIdentityPool:throttle=1"), CR_EINVALID);
    assert_string_equal(cr_error_last(),
                        "fault 'ListIdentityPool:throttle=1': operation: unknown operation "
                        "'ListIdentityPool' (did you mean 'ListIdentityPools'?)");
    assert_int_equal(cr_emu_add_faults(emu, "[{\"operation\":\"Bogus\",\"throttle\":1}]"),
                     CR_EINVALID);
    assert_string_equal(cr_error_last(), "faults[0].operation: unknown operation 'Bogus'");
    cr_emu_free(emu);
}

static double s_rnd_low(void)
{
    return 0.1;
}

static double s_rnd_high(void)
{
    return 0.9;
}

static void test_emulator__fault_rates_use_the_random_source(void **state)
{
    struct cr_emu_faults faults = {0};
    struct cr_emu_fault_action a;
    assert_ok(cr__emu_faults_parse(&faults, "TagResource:throttle=0.5"));
    cr__emu_faults_decide(&a, &faults, "TagResource", NULL, s_rnd_low);
    assert_int_equal(a.kind, CR_EMU_FAULT_THROTTLE);
    cr__emu_faults_decide(&a, &faults, "TagResource", NULL, s_rnd_high);
    assert_int_equal(a.kind, CR_EMU_FAULT_NONE);
    cr__emu_faults_decide(&a, &faults, "UntagResource", NULL, s_rnd_low);
    assert_int_equal(a.kind, CR_EMU_FAULT_NONE);
    cr__emu_faults_dispose(&faults);
    assert_ok(cr__emu_faults_parse(&faults, "TagResource:latency_ms=40,jitter_ms=10"));
    cr__emu_faults_decide(&a, &faults, "TagResource", NULL, s_rnd_high);
    assert_int_equal(a.kind, CR_EMU_FAULT_NONE);
    assert_in_range(a.delay_ms, 40, 50);
    cr__emu_faults_dispose(&faults);
}

/* A rule with an account breaks that account's requests only, with a count that only its
 * requests use up; other accounts' requests fall through to the next rule. */
static void test_emulator__fault_scoped_to_an_account(void **state)
{
    struct cr_emu_faults faults = {0};
    struct cr_emu_fault_action a;
    assert_ok(cr__emu_faults_parse(
        &faults, "[{\"operation\": \"CreateIdentityPool\", \"account\": \"222222222222\", "
                 "\"error\": 1, \"count\": 2}, {\"operation\": \"*\", \"throttle\": 1, "
                 "\"account\": \"333333333333\"}]"));
    cr__emu_faults_decide(&a, &faults, "CreateIdentityPool", "111111111111", s_rnd_low);
    assert_int_equal(a.kind, CR_EMU_FAULT_NONE);
    cr__emu_faults_decide(&a, &faults, "CreateIdentityPool", NULL, s_rnd_low);
    assert_int_equal(a.kind, CR_EMU_FAULT_NONE);
    cr__emu_faults_decide(&a, &faults, "CreateIdentityPool", "333333333333", s_rnd_low);
    assert_int_equal(a.kind, CR_EMU_FAULT_THROTTLE);
    for (int i = 0; i < 2; i++) {
        cr__emu_faults_decide(&a, &faults, "CreateIdentityPool", "222222222222", s_rnd_low);
        assert_int_equal(a.kind, CR_EMU_FAULT_ERROR);
    }
    cr__emu_faults_decide(&a, &faults, "CreateIdentityPool", "222222222222", s_rnd_low);
    assert_int_equal(a.kind, CR_EMU_FAULT_NONE); /* its count is used up */
    json_t *rules = cr__emu_faults_json(&faults);
    assert_int_equal(json_array_size(rules), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(rules, 0), "account")),
                        "333333333333");
    json_decref(rules);
    cr__emu_faults_dispose(&faults);
    /* an account is 12 digits, as a string */
    assert_int_equal(cr__emu_faults_parse(&faults, "[{\"operation\": \"*\", \"account\": "
                                                   "222222222222, \"error\": 1}]"),
                     CR_EINVALID);
    assert_int_equal(cr__emu_faults_parse(&faults, "DeleteIdentityPool:error=1,account=2222"),
                     CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "12-digit account id"));
    assert_ok(cr__emu_faults_parse(&faults, "DeleteIdentityPool:error=1,account=222222222222"));
    cr__emu_faults_dispose(&faults);
}

static void test_emulator__fault_after_applies_the_write(void **state)
{
    struct cr_emu *emu = s_new();
    assert_ok(cr_emu_add_faults(
        emu, "[{\"operation\":\"CreateIdentityPool\",\"error\":1,\"after\":true,\"count\":1}]"));
    struct s_res r = s_op(emu, "CreateIdentityPool",
                          "{\"IdentityPoolName\":\"a\",\"AllowUnauthenticatedIdentities\":true}");
    assert_int_equal(r.status, 500);
    assert_string_equal(s_type(&r), "InternalErrorException");
    json_decref(r.body);
    r = s_op(emu, "ListIdentityPools", "{\"MaxResults\":10}");
    assert_int_equal(json_array_size(json_object_get(r.body, "IdentityPools")), 1);
    json_decref(r.body);
    cr_emu_free(emu);
}

static void test_emulator__fault_drop_and_latency(void **state)
{
    struct cr_emu *emu = s_new();
    assert_ok(cr_emu_add_faults(emu, "ListIdentityPools:drop=1,count=1"));
    struct s_res r = s_op(emu, "ListIdentityPools", "{\"MaxResults\":10}");
    assert_true(r.drop);
    r = s_op(emu, "ListIdentityPools", "{\"MaxResults\":10}");
    assert_false(r.drop);
    json_decref(r.body);
    /* the delay is decided with the request, once per count; then the call succeeds */
    assert_ok(cr_emu_add_faults(emu, "ListIdentityPools:latency_ms=60,count=1"));
    assert_int_equal(s_delay_ms(emu, "ListIdentityPools", "{\"MaxResults\":10}"), 60);
    assert_int_equal(s_delay_ms(emu, "ListIdentityPools", "{\"MaxResults\":10}"), 0);
    /* cr_emu_handle() sleeps it: a lower bound, which a slow machine cannot break */
    assert_ok(cr_emu_add_faults(emu, "ListIdentityPools:latency_ms=60,count=1"));
    uint64_t t0 = cr_now_ms();
    r = s_op(emu, "ListIdentityPools", "{\"MaxResults\":10}");
    assert_in_range(cr_now_ms() - t0, 60, UINT64_MAX);
    assert_int_equal(r.status, 200);
    json_decref(r.body);
    cr_emu_free(emu);
}

static void test_emulator__control_endpoints_loopback_only(void **state)
{
    struct cr_emu *emu = s_new();
    const char *rule = "[{\"operation\":\"DescribeIdentityPool\",\"throttle\":1}]";
    struct s_res r = s_req(emu, "POST", "/_local/faults", NULL, NULL, rule, false);
    assert_int_equal(r.status, 403);
    json_decref(r.body);
    assert_int_equal(s_req_status(emu, "GET", "/_local/requests", NULL, NULL, NULL, false), 403);
    assert_int_equal(s_req_status(emu, "POST", "/_local/reset", NULL, NULL, "", false), 403);
    /* nothing was installed by the refused call */
    r = s_op(emu, "DescribeIdentityPool", s_missing);
    assert_string_equal(s_type(&r), "ResourceNotFoundException");
    json_decref(r.body);

    r = s_req(emu, "POST", "/_local/faults", NULL, NULL, rule, true);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_array_size(json_object_get(r.body, "faults")), 1);
    json_decref(r.body);
    assert_int_equal(s_req_status(emu, "POST", "/_local/faults", NULL, NULL, "not json", true),
                     400);
    r = s_op(emu, "DescribeIdentityPool", s_missing);
    assert_string_equal(s_type(&r), "TooManyRequestsException");
    json_decref(r.body);
    assert_int_equal(s_req_status(emu, "DELETE", "/_local/faults", NULL, NULL, NULL, true), 405);
    assert_int_equal(s_req_status(emu, "GET", "/_local/nothing", NULL, NULL, NULL, true), 404);
    cr_emu_free(emu);
}

static void test_emulator__request_log_and_reset(void **state)
{
    struct cr_emu *emu = s_new();
    struct s_res r = s_op(emu, "CreateIdentityPool",
                          "{\"IdentityPoolName\":\"a\",\"AllowUnauthenticatedIdentities\":true}");
    char id[128];
    snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(r.body, "IdentityPoolId")));
    json_decref(r.body);
    json_decref(s_op(emu, "DescribeIdentityPool", s_missing).body);
    r = s_req(emu, "GET", "/_local/requests", "since=1", NULL, NULL, true);
    json_t *list = json_object_get(r.body, "requests");
    assert_int_equal(json_array_size(list), 1);
    json_t *e = json_array_get(list, 0);
    assert_int_equal(json_integer_value(json_object_get(e, "seq")), 2);
    assert_string_equal(json_string_value(json_object_get(e, "operation")), "DescribeIdentityPool");
    assert_int_equal(json_integer_value(json_object_get(e, "status")), 400);
    assert_string_equal(json_string_value(json_object_get(e, "error")),
                        "ResourceNotFoundException");
    assert_string_equal(json_string_value(json_object_get(e, "pool_id")), "us-east-1:0000");
    json_decref(r.body);
    r = s_req(emu, "GET", "/_local/requests", NULL, NULL, NULL, true);
    e = json_array_get(json_object_get(r.body, "requests"), 0);
    assert_string_equal(json_string_value(json_object_get(e, "pool_id")), id);
    json_decref(r.body);
    r = s_req(emu, "GET", "/_local/state", NULL, NULL, NULL, true);
    assert_int_equal(r.status, 200);
    json_t *pools = json_object_get(
        json_object_get(json_object_get(r.body, "partitions"), "123456789012/us-east-1"), "pools");
    assert_non_null(json_object_get(pools, id));
    json_decref(r.body);
    assert_int_equal(s_req_status(emu, "GET", "/_local/state", NULL, NULL, NULL, false), 403);

    assert_ok(cr_emu_add_faults(emu, "*:throttle=1"));
    assert_int_equal(s_req_status(emu, "POST", "/_local/reset", NULL, NULL, "", true), 200);
    r = s_op(emu, "ListIdentityPools", "{\"MaxResults\":10}");
    assert_int_equal(r.status, 200); /* faults gone */
    assert_int_equal(json_array_size(json_object_get(r.body, "IdentityPools")), 0); /* state */
    json_decref(r.body);
    r = s_req(emu, "GET", "/_local/requests", NULL, NULL, NULL, true);
    assert_int_equal(json_array_size(json_object_get(r.body, "requests")), 1); /* log restarted */
    json_decref(r.body);
    cr_emu_free(emu);
}

static void test_emulator__routing_errors(void **state)
{
    struct cr_emu *emu = s_new();
    struct s_res r = s_req(emu, "GET", "/", NULL, "ListIdentityPools", NULL, false);
    assert_int_equal(r.status, 405);
    json_decref(r.body);
    assert_int_equal(s_req_status(emu, "POST", "/nope", NULL, "ListIdentityPools", "{}", false),
                     404);
    r = s_req(emu, "POST", "/", NULL, NULL, "{}", false);
    assert_int_equal(r.status, 400);
    assert_string_equal(s_type(&r), "UnknownOperationException");
    json_decref(r.body);
    /* a target that is not UTF-8 is answered and still logged, as "-" */
    r = s_req(emu, "POST", "/", NULL, "\xff\xfe", "{}", false);
    assert_string_equal(s_type(&r), "UnknownOperationException");
    json_decref(r.body);
    r = s_req(emu, "GET", "/_local/requests", NULL, NULL, NULL, true);
    json_t *log = json_object_get(r.body, "requests");
    json_t *last = json_array_get(log, json_array_size(log) - 1);
    assert_int_equal(json_integer_value(json_object_get(last, "seq")),
                     json_integer_value(json_object_get(r.body, "last_seq")));
    assert_string_equal(json_string_value(json_object_get(last, "operation")), "-");
    json_decref(r.body);
    assert_int_equal(s_req_status(emu, "GET", "/_local/health", NULL, NULL, NULL, true), 200);
    assert_int_equal(s_req_status(emu, "GET", "/_local/requests", "since=abc", NULL, NULL, true),
                     400);

    /* a cognito-identity target wins over a form content type (plain `curl -d`) */
    struct cr_sigv4_header form[2] = {
        {"Content-Type", "application/x-www-form-urlencoded"},
        {"X-Amz-Target", "AWSCognitoIdentityService.ListIdentityPools"}};
    struct cr_emu_request freq = {.method = "POST",
                                  .path = "/",
                                  .headers = form,
                                  .n_headers = 2,
                                  .body = "{\"MaxResults\":1}",
                                  .body_len = 16};
    struct cr_emu_response fresp;
    cr_emu_response_init(&fresp);
    assert_ok(cr_emu_handle(emu, &fresp, &freq));
    assert_int_equal(fresp.status, 200);
    assert_string_equal(cr_buf_cstr(&fresp.body), "{\"IdentityPools\":[]}");
    cr_emu_response_dispose(&fresp);

    struct cr_emu_request big = {.method = "POST", .path = "/", .body_too_large = true};
    struct cr_emu_response resp;
    cr_emu_response_init(&resp);
    assert_ok(cr_emu_handle(emu, &resp, &big));
    assert_int_equal(resp.status, 413);
    assert_non_null(strstr(cr_buf_cstr(&resp.body), "RequestEntityTooLargeException"));
    cr_emu_response_dispose(&resp);
    cr_emu_free(emu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_emulator__fault_count_fires_exactly_n_times),
        cmocka_unit_test(test_emulator__fault_flag_spec_and_wildcard),
        cmocka_unit_test(test_emulator__fault_specs_rejected),
        cmocka_unit_test(test_emulator__fault_rates_use_the_random_source),
        cmocka_unit_test(test_emulator__fault_scoped_to_an_account),
        cmocka_unit_test(test_emulator__fault_after_applies_the_write),
        cmocka_unit_test(test_emulator__fault_drop_and_latency),
        cmocka_unit_test(test_emulator__control_endpoints_loopback_only),
        cmocka_unit_test(test_emulator__request_log_and_reset),
        cmocka_unit_test(test_emulator__routing_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
