/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aws/client against cognito-identity-local (label integration): every operation round-trips
 * with SigV4 verified by the emulator; injected throttling and 5xx are retried; an injected
 * 5xx on CreateIdentityPool is CR_EAMBIGUOUS and not retried (the emulator's log shows one
 * Create); calls run concurrently; pagination; the account id comes from STS.
 */
#include "tests/support/cr_test.h"

#include <stdlib.h>
#include <string.h>

#include "aws/client.h"
#include "aws/credentials.h"
#include "tests/support/emulator_proc.h"
#include "util/strutil.h"

#define S_KEY     "AKIDINTEGRATION00001"
#define S_SECRET  "integrationSecretKey0000000000000000000"
#define S_ACCOUNT "111122223333"
#define S_BUCKET  "cr-locks"

static struct cr_emu_proc s_emu;
static char *s_dir;
static const char *s_secret = S_SECRET;

static const char *s_getenv(void *ctx, const char *name)
{
    (void)ctx;
    if (strcmp(name, "AWS_ACCESS_KEY_ID") == 0)
        return S_KEY;
    if (strcmp(name, "AWS_SECRET_ACCESS_KEY") == 0)
        return s_secret;
    if (strcmp(name, "AWS_REGION") == 0)
        return "us-east-1";
    if (strcmp(name, "HOME") == 0 || strcmp(name, "AWS_CONFIG_FILE") == 0 ||
        strcmp(name, "AWS_SHARED_CREDENTIALS_FILE") == 0)
        return "/nonexistent-cr-integration";
    return NULL;
}

static const struct cr_aws_env s_env = {s_getenv, NULL, NULL, NULL};

/* A machine clock one hour slow. */
static int64_t s_slow_clock(void *ctx)
{
    (void)ctx;
    return cr_time_now() - 3600;
}

static const struct cr_aws_env s_slow_env = {s_getenv, NULL, s_slow_clock, NULL};

static int s_group_setup(void **state)
{
    (void)state;
    const char *args[] = {"--threads", "16", "--s3-bucket", S_BUCKET, NULL};
    if (cr_emu_proc_start_with_keys(&s_emu, &s_dir, S_KEY " " S_SECRET " " S_ACCOUNT "\n", args) !=
        0) {
        print_error("emulator: %s\n", cr_error_last());
        return -1;
    }
    return 0;
}

static int s_group_teardown(void **state)
{
    (void)state;
    cr_emu_proc_stop(&s_emu);
    cr_test_rmtree(s_dir);
    free(s_dir);
    return 0;
}

static int s_reset(void **state)
{
    (void)state;
    s_secret = S_SECRET;
    return cr_emu_proc_reset(&s_emu);
}

static struct cr_aws_client *s_client(struct cr_aws_options *o)
{
    struct cr_aws_client *c = NULL;
    o->endpoint_url = s_emu.url;
    if (!o->env)
        o->env = &s_env;
    if (!o->retry_base_ms)
        o->retry_base_ms = 10;
    assert_ok(cr_aws_client_new(&c, o));
    return c;
}

static void s_pool(struct cr_cognito_pool *p, const char *name)
{
    memset(p, 0, sizeof(*p));
    p->name = strdup(name);
    p->allow_classic_flow = -1;
}

static void test_aws_client__every_operation_round_trips(void **state)
{
    (void)state;
    struct cr_aws_options o = {0};
    struct cr_aws_client *c = s_client(&o);
    struct cr_cognito_pool desired, created, got, updated;
    struct cr_buf arn = CR_BUF_INIT;
    const char *account = NULL;

    s_pool(&desired, "Integration Pool");
    desired.allow_unauthenticated = true;
    desired.has_tags = true;
    assert_ok(cr_strmap_set(&desired.tags, "team", "mobile"));
    desired.cognito_identity_providers = calloc(1, sizeof(struct cr_cognito_provider));
    desired.n_cognito_identity_providers = 1;
    desired.cognito_identity_providers[0].provider_name =
        strdup("cognito-idp.us-east-1.amazonaws.com/us-east-1_Ab12Cd34");
    desired.cognito_identity_providers[0].client_id = strdup("6lhlkkfbfb4q5kpp90urffae");
    desired.cognito_identity_providers[0].server_side_token_check = 1;
    assert_ok(cr_cognito_create_pool(c, &created, &desired));
    assert_non_null(created.id);
    assert_memory_equal(created.id, "us-east-1:", 10);
    assert_int_equal(created.allow_classic_flow, -1);

    assert_ok(cr_cognito_describe_pool(c, &got, created.id));
    assert_string_equal(got.name, "Integration Pool");
    assert_true(got.allow_unauthenticated);
    assert_int_equal(got.n_cognito_identity_providers, 1);
    assert_int_equal(got.cognito_identity_providers[0].server_side_token_check, 1);
    assert_string_equal(cr_strmap_get(&got.tags, "team"), "mobile");

    /* rename in place, set AllowClassicFlow */
    free(desired.name);
    desired.name = strdup("Integration Renamed");
    desired.id = strdup(created.id);
    desired.allow_classic_flow = 0;
    assert_ok(cr_cognito_update_pool(c, &updated, &desired));
    assert_string_equal(updated.id, created.id);
    assert_string_equal(updated.name, "Integration Renamed");
    assert_int_equal(updated.allow_classic_flow, 0);

    /* roles */
    struct cr_cognito_roles roles = {0}, roles_got;
    roles.pool_id = strdup(created.id);
    assert_ok(cr_strmap_set(&roles.roles, "authenticated", "arn:aws:iam::111122223333:role/Auth"));
    assert_ok(cr_cognito_set_roles(c, &roles));
    assert_ok(cr_cognito_get_roles(c, &roles_got, created.id));
    assert_string_equal(cr_strmap_get(&roles_got.roles, "authenticated"),
                        "arn:aws:iam::111122223333:role/Auth");
    cr_cognito_roles_dispose(&roles_got);
    cr_cognito_roles_dispose(&roles);

    /* principal tags */
    struct cr_cognito_principal_tags pt = {0}, pt_got;
    pt.pool_id = strdup(created.id);
    pt.provider = strdup("cognito-idp.us-east-1.amazonaws.com/us-east-1_Ab12Cd34");
    pt.use_defaults = 0;
    assert_ok(cr_strmap_set(&pt.tags, "department", "custom:department"));
    assert_ok(cr_cognito_set_principal_tags(c, &pt));
    assert_ok(cr_cognito_get_principal_tags(c, &pt_got, created.id, pt.provider));
    assert_int_equal(pt_got.use_defaults, 0);
    assert_string_equal(cr_strmap_get(&pt_got.tags, "department"), "custom:department");
    cr_cognito_principal_tags_dispose(&pt_got);
    cr_cognito_principal_tags_dispose(&pt);

    /* tags through the ARN; the account comes from STS GetCallerIdentity */
    assert_ok(cr_aws_client_account_id(c, &account));
    assert_string_equal(account, S_ACCOUNT);
    assert_ok(cr_cognito_pool_arn(&arn, cr_aws_client_region(c), account, created.id));
    struct cr_strmap tags = {0}, tags_got;
    struct cr_strlist keys = {0};
    assert_ok(cr_strmap_set(&tags, "env", "prod"));
    assert_ok(cr_cognito_tag(c, arn.ptr, &tags));
    assert_ok(cr_strlist_push(&keys, "team"));
    assert_ok(cr_cognito_untag(c, arn.ptr, &keys));
    assert_ok(cr_cognito_list_tags(c, &tags_got, arn.ptr));
    assert_int_equal(tags_got.len, 1);
    assert_string_equal(cr_strmap_get(&tags_got, "env"), "prod");
    cr_strmap_dispose(&tags_got);
    cr_strmap_dispose(&tags);
    cr_strlist_dispose(&keys);

    struct cr_cognito_pool_page all;
    assert_ok(cr_cognito_list_pools(c, &all));
    assert_int_equal(all.len, 1);
    assert_string_equal(all.items[0].name, "Integration Renamed");
    cr_cognito_pool_page_dispose(&all);

    assert_ok(cr_cognito_delete_pool(c, created.id));
    struct cr_cognito_pool gone;
    assert_int_equal(cr_cognito_describe_pool(c, &gone, created.id), CR_ENOTFOUND);
    assert_non_null(strstr(cr_error_last(), "ResourceNotFoundException"));
    assert_non_null(strstr(cr_error_last(), created.id));

    cr_buf_dispose(&arn);
    cr_cognito_pool_dispose(&updated);
    cr_cognito_pool_dispose(&got);
    cr_cognito_pool_dispose(&created);
    cr_cognito_pool_dispose(&desired);
    cr_aws_client_free(c);
}

/* Creates n pools in one concurrent batch; fills ids (heap strings). */
static void s_create_many(struct cr_aws_client *c, size_t n, char **ids)
{
    struct cr_aws_call *calls = calloc(n, sizeof(*calls));
    for (size_t i = 0; i < n; i++) {
        struct cr_cognito_pool p;
        char name[32];
        snprintf(name, sizeof(name), "pool-%03zu", i);
        s_pool(&p, name);
        cr_aws_call_init(&calls[i], CR_OP_CREATE_IDENTITY_POOL);
        assert_ok(cr_cognito_encode_create(&calls[i].body, &p));
        cr_cognito_pool_dispose(&p);
    }
    assert_ok(cr_aws_perform(c, calls, n));
    for (size_t i = 0; i < n; i++) {
        struct cr_cognito_pool p;
        assert_ok(cr_cognito_decode_pool(&p, calls[i].response.ptr, calls[i].response.len));
        ids[i] = strdup(p.id);
        cr_cognito_pool_dispose(&p);
        cr_aws_call_dispose(&calls[i]);
    }
    free(calls);
}

static void test_aws_client__list_pools_paginates(void **state)
{
    (void)state;
    struct cr_aws_options o = {.parallelism = 16};
    struct cr_aws_client *c = s_client(&o);
    char *ids[125];
    s_create_many(c, 125, ids);
    struct cr_cognito_pool_page all;
    assert_ok(cr_cognito_list_pools(c, &all));
    assert_int_equal(all.len, 125);
    /* 60 + 60 + 5 */
    assert_int_equal(cr_aws_client_request_count(c, CR_OP_LIST_IDENTITY_POOLS), 3);
    for (size_t i = 0; i < 125; i++) {
        bool found = false;
        for (size_t j = 0; j < all.len && !found; j++)
            found = strcmp(all.items[j].id, ids[i]) == 0;
        assert_true(found);
        free(ids[i]);
    }
    cr_cognito_pool_page_dispose(&all);
    cr_aws_client_free(c);
}

static void test_aws_client__injected_throttling_and_5xx_are_retried(void **state)
{
    (void)state;
    struct cr_aws_options o = {0};
    struct cr_aws_client *c = s_client(&o);
    char *id;
    s_create_many(c, 1, &id);
    assert_ok(cr_emu_proc_faults(&s_emu, "[{\"operation\":\"DescribeIdentityPool\","
                                         "\"throttle\":1,\"count\":2},"
                                         "{\"operation\":\"GetIdentityPoolRoles\","
                                         "\"error\":1,\"count\":2}]"));
    struct cr_cognito_pool p;
    assert_ok(cr_cognito_describe_pool(c, &p, id));
    assert_int_equal(cr_emu_proc_count(&s_emu, "DescribeIdentityPool"), 3);
    struct cr_cognito_roles r;
    assert_ok(cr_cognito_get_roles(c, &r, id));
    assert_int_equal(cr_emu_proc_count(&s_emu, "GetIdentityPoolRoles"), 3);
    cr_cognito_roles_dispose(&r);
    cr_cognito_pool_dispose(&p);
    free(id);
    cr_aws_client_free(c);
}

static void test_aws_client__create_with_5xx_is_ambiguous_and_not_retried(void **state)
{
    (void)state;
    struct cr_aws_options o = {0};
    struct cr_aws_client *c = s_client(&o);
    assert_ok(cr_emu_proc_faults(&s_emu, "[{\"operation\":\"CreateIdentityPool\","
                                         "\"error\":1,\"count\":1}]"));
    struct cr_cognito_pool desired, out;
    s_pool(&desired, "Twin Check");
    assert_int_equal(cr_cognito_create_pool(c, &out, &desired), CR_EAMBIGUOUS);
    assert_non_null(strstr(cr_error_last(), "CreateIdentityPool 'Twin Check': outcome unknown"));
    assert_int_equal(cr_emu_proc_count(&s_emu, "CreateIdentityPool"), 1);
    cr_cognito_pool_dispose(&desired);
    cr_aws_client_free(c);
}

/* The service applies the Create but the answer never comes (timeout) or the connection
 * drops after the request, on a warm keep-alive connection: never a second Create. */
static void test_aws_client__create_timeout_or_drop_is_ambiguous(void **state)
{
    (void)state;
    struct cr_aws_options o = {.timeout_ms = 300};
    struct cr_aws_client *c = s_client(&o);
    struct cr_cognito_pool desired, out;
    struct cr_cognito_pool_page all;
    s_pool(&desired, "Slow Create");
    assert_ok(cr_cognito_list_pools(c, &all)); /* warm a connection */
    cr_cognito_pool_page_dispose(&all);
    assert_ok(cr_emu_proc_faults(&s_emu, "[{\"operation\":\"CreateIdentityPool\",\"hang\":1,"
                                         "\"hang_ms\":1000,\"after\":true,\"count\":1}]"));
    assert_int_equal(cr_cognito_create_pool(c, &out, &desired), CR_EAMBIGUOUS);
    assert_int_equal(cr_emu_proc_count(&s_emu, "CreateIdentityPool"), 1);
    assert_ok(cr_emu_proc_faults(&s_emu, "[{\"operation\":\"CreateIdentityPool\",\"drop\":1,"
                                         "\"after\":true,\"count\":1}]"));
    assert_int_equal(cr_cognito_create_pool(c, &out, &desired), CR_EAMBIGUOUS);
    assert_int_equal(cr_emu_proc_count(&s_emu, "CreateIdentityPool"), 2);
    /* both were applied ("after"): the caller finds them by looking */
    assert_ok(cr_cognito_list_pools(c, &all));
    assert_int_equal(all.len, 2);
    cr_cognito_pool_page_dispose(&all);
    cr_cognito_pool_dispose(&desired);
    cr_aws_client_free(c);
}

static void test_aws_client__calls_run_concurrently(void **state)
{
    (void)state;
    /* no pacing: this is about parallelism (the quotas' pacing is test_ratelimit's) */
    struct cr_aws_options o = {
        .parallelism = 16, .debug = getenv("CR_TEST_DEBUG") != NULL, .rate_limits = "*=unlimited"};
    struct cr_aws_client *c = s_client(&o);
    char *id;
    s_create_many(c, 1, &id);
    assert_ok(cr_emu_proc_faults(&s_emu, "[{\"operation\":\"DescribeIdentityPool\","
                                         "\"latency_ms\":50}]"));
    struct cr_aws_call calls[32];
    for (int i = 0; i < 32; i++) {
        cr_aws_call_init(&calls[i], CR_OP_DESCRIBE_IDENTITY_POOL);
        assert_ok(cr_cognito_encode_pool_id(&calls[i].body, id));
    }
    assert_ok(cr_aws_perform(c, calls, 32));
    /* A connection is opened only when every open one is busy (keep-alive reuse: unit test
     * test_http), and all 16 calls start before any can be answered (50 ms latency), so 16
     * connections mean 16 calls in flight together; more would break --parallelism. Nothing
     * is timed. */
    assert_int_equal(cr_aws__client_connections(c), 16);
    for (int i = 0; i < 32; i++) {
        assert_int_equal(calls[i].result, 0);
        assert_int_equal(calls[i].http_status, 200);
        cr_aws_call_dispose(&calls[i]);
    }
    free(id);
    cr_aws_client_free(c);
}

static void test_aws_client__wrong_secret_is_an_auth_error(void **state)
{
    (void)state;
    struct cr_aws_options o = {0};
    s_secret = "notTheRightSecret000000000000000000000000";
    struct cr_aws_client *c = s_client(&o);
    struct cr_cognito_pool_page all;
    int rc = cr_cognito_list_pools(c, &all);
    assert_int_equal(rc, CR_EAUTH);
    assert_non_null(strstr(cr_error_last(), "ListIdentityPools"));
    assert_int_equal(cr_emu_proc_count(&s_emu, "ListIdentityPools"), 1);
    cr_aws_client_free(c);
}

static void test_aws_client__clock_skew_is_corrected_from_the_date_header(void **state)
{
    (void)state;
    struct cr_aws_options o = {.env = &s_slow_env};
    struct cr_aws_client *c = s_client(&o);
    struct cr_cognito_pool_page all;
    /* the first call is refused ("Signature expired"), signed again with the server's time */
    assert_ok(cr_cognito_list_pools(c, &all));
    cr_cognito_pool_page_dispose(&all);
    assert_int_equal(cr_emu_proc_count(&s_emu, "ListIdentityPools"), 2);
    /* the offset is kept: the next call is right the first time */
    assert_ok(cr_cognito_list_pools(c, &all));
    cr_cognito_pool_page_dispose(&all);
    assert_int_equal(cr_emu_proc_count(&s_emu, "ListIdentityPools"), 3);
    cr_aws_client_free(c);
}

/* The generic request path on the client's own transport and credentials, as the S3 lock and
 * other AWS calls of a run use it: a cognito-identity call and an STS call made by hand are
 * verified by the emulator; a wrong secret is refused once, not retried. */
static void test_aws_client__generic_requests_share_the_client_transport(void **state)
{
    (void)state;
    struct cr_aws_options o = {0};
    struct cr_aws_client *c = s_client(&o);
    struct cr_aws_transport *t = cr_aws_client_transport(c);
    static const struct cr_http_header cognito[] = {
        {"Content-Type", "application/x-amz-json-1.1"},
        {"X-Amz-Target", "AWSCognitoIdentityService.ListIdentityPools"}};
    static const struct cr_http_header sts[] = {
        {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
    struct cr_aws_request req;
    cr_aws_request_init(&req);
    req.name = "ListIdentityPools by hand";
    req.method = "POST";
    req.url = s_emu.url;
    req.headers = cognito;
    req.header_count = 2;
    req.body = "{\"MaxResults\":10}";
    req.body_len = strlen(req.body);
    req.sign = (struct cr_aws_signing){.service = "cognito-identity",
                                       .region = "us-east-1",
                                       .provider = cr_aws_client_credentials(c)};
    assert_ok(cr_aws_request_run(t, &req));
    assert_int_equal(req.status, 200);
    assert_non_null(strstr(cr_buf_cstr(&req.response), "\"IdentityPools\""));
    assert_non_null(cr_aws_request_header(&req, "x-amzn-RequestId"));

    struct cr_aws_credentials wrong;
    cr_aws_credentials_init(&wrong);
    assert_ok(cr_aws_credentials_set(&wrong, S_KEY, "not-the-secret", NULL, 0));
    req.sign.provider = NULL;
    req.sign.credentials = &wrong; /* fixed credentials instead of the provider's */
    assert_int_equal(cr_aws_request_run(t, &req), CR_EAUTH);
    assert_int_equal(req.attempts, 1);
    assert_non_null(strstr(cr_error_last(), "ListIdentityPools by hand: "));
    assert_null(strstr(cr_error_last(), "not-the-secret"));
    cr_aws_credentials_dispose(&wrong);

    req.name = "sts GetCallerIdentity by hand";
    req.headers = sts;
    req.header_count = 1;
    req.body = "Action=GetCallerIdentity&Version=2011-06-15";
    req.body_len = strlen(req.body);
    req.sign = (struct cr_aws_signing){
        .service = "sts", .region = "us-east-1", .provider = cr_aws_client_credentials(c)};
    assert_ok(cr_aws_request_run(t, &req));
    assert_non_null(strstr(cr_buf_cstr(&req.response), "<Account>" S_ACCOUNT "</Account>"));
    /* the account id the client reads goes the same way */
    const char *account = NULL;
    assert_ok(cr_aws_client_account_id(c, &account));
    assert_string_equal(account, S_ACCOUNT);
    cr_aws_request_dispose(&req);
    cr_aws_client_free(c);
}

/* One S3 call on the generic request path: path-style URL, SigV4 for s3 with the client's
 * credentials, UNSIGNED-PAYLOAD or the body's hash; what an S3 lock file client does. */
static int s_s3(struct cr_aws_request *req, struct cr_aws_client *c, const char *method,
                const struct cr_http_header *headers, size_t n, const char *body, bool hashed)
{
    static char url[256];
    snprintf(url, sizeof(url), "%s/" S_BUCKET "/locks/prod.json", s_emu.url);
    cr_aws_request_dispose(req);
    cr_aws_request_init(req);
    req->name = method;
    req->method = method;
    req->url = url;
    req->headers = headers;
    req->header_count = n;
    req->body = body;
    req->body_len = body ? strlen(body) : 0;
    req->at_most_once = strcmp(method, "PUT") == 0;
    req->sign = (struct cr_aws_signing){.service = "s3",
                                        .region = "us-east-1",
                                        .provider = cr_aws_client_credentials(c),
                                        .content_sha256 = hashed,
                                        .unsigned_payload = !hashed,
                                        .no_normalize_path = true};
    return cr_aws_request_run(cr_aws_client_transport(c), req);
}

/* A lock file's life on the emulator's S3, through the request path: create only if absent,
 * a second create refused (412), read back with its ETag, replaced only with that ETag, an
 * ambiguous write not sent again, deleted only with the current ETag; every request's
 * signature verified by the emulator. */
static void test_aws_client__s3_lock_file_over_the_request_path(void **state)
{
    (void)state;
    struct cr_aws_options o = {0};
    struct cr_aws_client *c = s_client(&o);
    struct cr_aws_request req;
    char etag[128], header[160];
    const struct cr_http_header create[] = {{"If-None-Match", "*"},
                                            {"Content-Type", "application/json"}};
    cr_aws_request_init(&req);
    assert_ok(s_s3(&req, c, "PUT", create, 2, "{\"holder\":\"a\"}", false));
    assert_non_null(cr_aws_request_header(&req, "ETag"));
    snprintf(etag, sizeof(etag), "%s", cr_aws_request_header(&req, "ETag"));

    assert_int_equal(s_s3(&req, c, "PUT", create, 2, "{\"holder\":\"b\"}", true), CR_ESERVICE);
    assert_int_equal(req.status, 412);
    assert_string_equal(req.error.type, "PreconditionFailed");
    assert_int_equal(req.attempts, 1);

    assert_ok(s_s3(&req, c, "GET", NULL, 0, NULL, true));
    assert_string_equal(cr_buf_cstr(&req.response), "{\"holder\":\"a\"}");
    assert_string_equal(cr_aws_request_header(&req, "ETag"), etag);

    const struct cr_http_header replace[] = {{"If-Match", etag}};
    assert_ok(s_s3(&req, c, "PUT", replace, 1, "{\"holder\":\"a\",\"renewed\":1}", true));
    snprintf(etag, sizeof(etag), "%s", cr_aws_request_header(&req, "ETag"));

    /* the service fails after writing: the at-most-once PUT is not sent again */
    long before = cr_emu_proc_count(&s_emu, "PutObject");
    assert_ok(cr_emu_proc_faults(&s_emu, "[{\"operation\":\"PutObject\",\"error\":1,"
                                         "\"after\":true,\"count\":1}]"));
    assert_int_equal(s_s3(&req, c, "PUT", replace, 1, "{\"holder\":\"a\",\"renewed\":2}", true),
                     CR_EAMBIGUOUS);
    assert_int_equal(cr_emu_proc_count(&s_emu, "PutObject"), before + 1);
    /* it did happen: the ETag moved on, so the old one no longer deletes */
    const struct cr_http_header stale[] = {{"If-Match", etag}};
    assert_int_equal(s_s3(&req, c, "DELETE", stale, 1, NULL, true), CR_ESERVICE);
    assert_int_equal(req.status, 412);

    assert_ok(s_s3(&req, c, "HEAD", NULL, 0, NULL, true));
    snprintf(header, sizeof(header), "%s", cr_aws_request_header(&req, "ETag"));
    const struct cr_http_header current[] = {{"If-Match", header}};
    assert_ok(s_s3(&req, c, "DELETE", current, 1, NULL, true));
    assert_int_equal(s_s3(&req, c, "HEAD", NULL, 0, NULL, true), CR_ESERVICE);
    assert_int_equal(req.status, 404);
    cr_aws_request_dispose(&req);
    cr_aws_client_free(c);
}

#define S_TEST(fn) cmocka_unit_test_setup(fn, s_reset)

int main(void)
{
    const struct CMUnitTest tests[] = {
        S_TEST(test_aws_client__every_operation_round_trips),
        S_TEST(test_aws_client__list_pools_paginates),
        S_TEST(test_aws_client__injected_throttling_and_5xx_are_retried),
        S_TEST(test_aws_client__create_with_5xx_is_ambiguous_and_not_retried),
        S_TEST(test_aws_client__create_timeout_or_drop_is_ambiguous),
        S_TEST(test_aws_client__calls_run_concurrently),
        S_TEST(test_aws_client__wrong_secret_is_an_auth_error),
        S_TEST(test_aws_client__clock_skew_is_corrected_from_the_date_header),
        S_TEST(test_aws_client__generic_requests_share_the_client_transport),
        S_TEST(test_aws_client__s3_lock_file_over_the_request_path),
    };
    return cmocka_run_group_tests(tests, s_group_setup, s_group_teardown);
}
