/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The emulator's credential endpoints through the router (no HTTP): IMDSv2 (token TTL rules,
 * proxied token requests, a token-less or unknown token refused, wrong paths and methods),
 * container credentials (the Authorization it requires), the IAM Identity Center portal
 * (registration checks, unknown and expired tokens, assignments, missing parameters), STS
 * AssumeRole (signed, its parameter checks, role chaining's hour), faults naming the
 * endpoints, and the minted keys: GetCallerIdentity names the role they stand for.
 */
#include "tests/support/cr_test.h"

#include <stdlib.h>
#include <string.h>

#include "aws/sigv4.h"
#include "emulator/internal.h"
#include "util/strutil.h"

#define S_KEY    "AKIDEMUCREDS00000001"
#define S_SECRET "emuCredsSecret0000000000000000000000000"

struct s_resp {
    int status;
    char body[8192];
    char content_type[64];
};

static struct cr_emu *s_emu(const struct cr_emu_options *extra)
{
    struct cr_emu *emu = NULL;
    struct cr_emu_options opts = extra ? *extra : (struct cr_emu_options){0};
    opts.account_id = "111122223333";
    assert_ok(cr_emu_new(&emu, &opts));
    return emu;
}

static struct s_resp s_call(struct cr_emu *emu, const char *method, const char *path,
                            const char *query, const struct cr_sigv4_header *headers, size_t n,
                            const char *body, bool imds)
{
    struct cr_emu_request req = {.method = method,
                                 .path = path,
                                 .query = query,
                                 .headers = headers,
                                 .n_headers = n,
                                 .body = body,
                                 .body_len = body ? strlen(body) : 0,
                                 .loopback = true,
                                 .imds = imds};
    struct cr_emu_response resp;
    struct s_resp r;
    cr_emu_response_init(&resp);
    assert_ok(cr_emu_handle(emu, &resp, &req));
    r.status = resp.status;
    snprintf(r.body, sizeof(r.body), "%s", cr_buf_cstr(&resp.body) ? cr_buf_cstr(&resp.body) : "");
    snprintf(r.content_type, sizeof(r.content_type), "%s", resp.content_type);
    cr_emu_response_dispose(&resp);
    return r;
}

/* A JSON member of a response body (string), or "" */
static const char *s_member(char *out, size_t cap, const char *body, const char *path)
{
    json_t *doc = json_loads(body, 0, NULL), *v = doc;
    char copy[128], *save = NULL;
    snprintf(copy, sizeof(copy), "%s", path);
    for (char *k = strtok_r(copy, ".", &save); k && v; k = strtok_r(NULL, ".", &save))
        v = json_object_get(v, k);
    snprintf(out, cap, "%s", json_is_string(v) ? json_string_value(v) : "");
    json_decref(doc);
    return out;
}

/* GetCallerIdentity signed with the given key: the ARN it answers (or the error code). */
static void s_caller(struct cr_emu *emu, const char *akid, const char *secret, const char *token,
                     char arn[512])
{
    const char *body = "Action=GetCallerIdentity&Version=2011-06-15";
    struct cr_sigv4_header h[] = {{"Host", "127.0.0.1"},
                                  {"Content-Type", "application/x-www-form-urlencoded"}};
    struct cr_sigv4_request sreq = {"POST", "/", "", h, 2, cr_span_from(body)};
    struct cr_sigv4_params params = {.access_key_id = akid,
                                     .secret_access_key = secret,
                                     .session_token = token,
                                     .region = "us-east-1",
                                     .service = "sts",
                                     .time_s = cr_time_now(),
                                     .normalize_path = true};
    struct cr_sigv4_signed sig;
    struct cr_sigv4_header all[8] = {h[0], h[1]};
    cr_sigv4_signed_init(&sig);
    assert_ok(cr_sigv4_sign_headers(&sig, &sreq, &params, NULL));
    size_t n = 2 + cr_sigv4_signed_headers(&sig, all + 2);
    struct s_resp r = s_call(emu, "POST", "/", NULL, all, n, body, false);
    cr_sigv4_signed_dispose(&sig);
    const char *a = strstr(r.body, "<Arn>"), *b = strstr(r.body, "</Arn>");
    const char *c = strstr(r.body, "<Code>"), *d = strstr(r.body, "</Code>");
    if (a && b)
        snprintf(arn, 512, "%.*s", (int)(b - a - 5), a + 5);
    else if (c && d)
        snprintf(arn, 512, "error %.*s", (int)(d - c - 6), c + 6);
    else
        snprintf(arn, 512, "status %d", r.status);
}

/* ---- IMDSv2 ---- */

static void test_emu_creds__imds_tokens(void **state)
{
    (void)state;
    struct cr_emu *emu = s_emu(&(struct cr_emu_options){.imds_role = "web"});
    struct cr_sigv4_header ttl[2] = {{"X-aws-ec2-metadata-token-ttl-seconds", "60"}};
    char token[128], arn[512], buf[256], tok2[8400];
    /* the TTL header is required and 1..21600 */
    static const char *const bad_ttl[] = {"0", "21601", "abc", "-5", "60s"};
    assert_int_equal(s_call(emu, "PUT", "/latest/api/token", NULL, NULL, 0, NULL, true).status,
                     400);
    for (size_t i = 0; i < sizeof(bad_ttl) / sizeof(bad_ttl[0]); i++) {
        ttl[0].value = bad_ttl[i];
        if (s_call(emu, "PUT", "/latest/api/token", NULL, ttl, 1, NULL, true).status != 400)
            fail_msg("TTL '%s' accepted", bad_ttl[i]);
    }
    /* a proxied token request is refused; GET of the token path is not allowed */
    ttl[0].value = "21600";
    ttl[1] = (struct cr_sigv4_header){"X-Forwarded-For", "10.0.0.9"};
    assert_int_equal(s_call(emu, "PUT", "/latest/api/token", NULL, ttl, 2, NULL, true).status,
                     403);
    assert_int_equal(s_call(emu, "GET", "/latest/api/token", NULL, ttl, 1, NULL, true).status,
                     405);
    struct s_resp r = s_call(emu, "PUT", "/latest/api/token", NULL, ttl, 1, NULL, true);
    assert_int_equal(r.status, 200);
    assert_true(strlen(r.body) < sizeof(token));
    memcpy(token, r.body, strlen(r.body) + 1);
    /* IMDSv2 only: no token, or one it never issued, is 401 */
    struct cr_sigv4_header with[1] = {{"X-aws-ec2-metadata-token", token}};
    struct cr_sigv4_header forged[1] = {{"X-aws-ec2-metadata-token", "AQAEAforged=="}};
    const char *role_path = "/latest/meta-data/iam/security-credentials/";
    assert_int_equal(s_call(emu, "GET", role_path, NULL, NULL, 0, NULL, true).status, 401);
    assert_int_equal(s_call(emu, "GET", role_path, NULL, forged, 1, NULL, true).status, 401);
    r = s_call(emu, "GET", role_path, NULL, with, 1, NULL, true);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "web");
    assert_int_equal(
        s_call(emu, "GET", "/latest/meta-data/iam/security-credentials/other", NULL, with, 1,
               NULL, true)
            .status,
        404);
    assert_int_equal(s_call(emu, "POST", role_path, NULL, with, 1, NULL, true).status, 405);
    r = s_call(emu, "GET", "/latest/meta-data/instance-id", NULL, with, 1, NULL, true);
    assert_memory_equal(r.body, "i-", 2);
    assert_int_equal(strlen(r.body), 19);
    /* the credentials: IMDS's shape, and they are the instance role's */
    r = s_call(emu, "GET", "/latest/meta-data/iam/security-credentials/web", NULL, with, 1, NULL,
               true);
    assert_int_equal(r.status, 200);
    assert_string_equal(s_member(buf, sizeof(buf), r.body, "Code"), "Success");
    assert_string_equal(s_member(buf, sizeof(buf), r.body, "Type"), "AWS-HMAC");
    char akid[64], secret[64], tok[256];
    s_member(akid, sizeof(akid), r.body, "AccessKeyId");
    s_member(secret, sizeof(secret), r.body, "SecretAccessKey");
    s_member(tok, sizeof(tok), r.body, "Token");
    s_caller(emu, akid, secret, tok, arn);
    r = s_call(emu, "GET", "/latest/meta-data/instance-id", NULL, with, 1, NULL, true);
    snprintf(tok2, sizeof(tok2), "arn:aws:sts::111122223333:assumed-role/web/%s", r.body);
    assert_string_equal(arn, tok2);
    /* on the main port these paths are not IMDS */
    assert_int_equal(s_call(emu, "GET", role_path, NULL, with, 1, NULL, false).status, 404);
    cr_emu_free(emu);
}

/* ---- containers ---- */

static void test_emu_creds__container_authorization(void **state)
{
    (void)state;
    struct cr_emu *emu = s_emu(&(struct cr_emu_options){.container_token = "right"});
    struct cr_sigv4_header right[1] = {{"Authorization", "right"}};
    struct cr_sigv4_header wrong[1] = {{"Authorization", "wrong"}};
    char role[256];
    assert_int_equal(s_call(emu, "GET", "/v2/credentials/x", NULL, NULL, 0, NULL, false).status,
                     401);
    assert_int_equal(s_call(emu, "GET", "/v2/credentials/x", NULL, wrong, 1, NULL, false).status,
                     401);
    struct s_resp r = s_call(emu, "GET", "/v1/credentials", NULL, right, 1, NULL, false);
    assert_int_equal(r.status, 200);
    assert_string_equal(s_member(role, sizeof(role), r.body, "RoleArn"),
                        "arn:aws:iam::111122223333:role/cognito-identity-local-task");
    assert_int_equal(s_call(emu, "PUT", "/v1/credentials", NULL, right, 1, NULL, false).status,
                     405);
    cr_emu_free(emu);
    /* without --container-token no header is needed (ECS's relative URI) */
    emu = s_emu(NULL);
    assert_int_equal(s_call(emu, "GET", "/v2/credentials/x", NULL, NULL, 0, NULL, false).status,
                     200);
    cr_emu_free(emu);
}

/* ---- the SSO portal ---- */

static struct s_resp s_portal(struct cr_emu *emu, const char *query, const char *token)
{
    struct cr_sigv4_header h[1] = {{"x-amz-sso_bearer_token", token}};
    return s_call(emu, "GET", "/federation/credentials", query, h, token ? 1 : 0, NULL, false);
}

static void test_emu_creds__sso_portal(void **state)
{
    (void)state;
    struct cr_emu *emu = s_emu(NULL);
    char type[128], akid[64], secret[64], tok[256], arn[512];
    static const char *const bad[] = {
        "", "{", "[]", "{\"user\": \"bob\"}", "{\"accessToken\": 5}",
        "{\"accessToken\": \"t\", \"user\": \"b\"}",
        "{\"accessToken\": \"t\", \"expiresInSeconds\": \"soon\"}",
        "{\"accessToken\": \"t\", \"assignments\": [{\"accountId\": \"12\", \"roleName\": \"r\"}]}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct s_resp r = s_call(emu, "POST", "/_local/sso/tokens", NULL, NULL, 0, bad[i], false);
        if (r.status != 400)
            fail_msg("registration '%s' accepted (%d)", bad[i], r.status);
    }
    assert_int_equal(s_call(emu, "POST", "/_local/sso/tokens", NULL, NULL, 0,
                            "{\"accessToken\": \"good\", \"user\": \"alice\", \"assignments\": "
                            "[{\"accountId\": \"444455556666\", \"roleName\": \"Admin\"}]}",
                            false)
                         .status,
                     200);
    assert_int_equal(s_call(emu, "POST", "/_local/sso/tokens", NULL, NULL, 0,
                            "{\"accessToken\": \"old\", \"expiresInSeconds\": -1}", false)
                         .status,
                     200);
#define S_OK_QUERY "role_name=Admin&account_id=444455556666"
    const char *ok = S_OK_QUERY;
    static const struct {
        const char *query, *token, *type;
        int status;
    } cases[] = {
        {S_OK_QUERY, NULL, "UnauthorizedException", 401},
        {S_OK_QUERY, "unknown", "UnauthorizedException", 401},
        {S_OK_QUERY, "old", "UnauthorizedException", 401},
        {"role_name=ReadOnly&account_id=444455556666", "good", "ForbiddenException", 403},
        {"role_name=Admin&account_id=111122223333", "good", "ForbiddenException", 403},
        {"account_id=444455556666", "good", "InvalidRequestException", 400},
        {"role_name=Admin&account_id=4444", "good", "InvalidRequestException", 400},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct s_resp r = s_portal(emu, cases[i].query, cases[i].token);
        s_member(type, sizeof(type), r.body, "__type");
        if (r.status != cases[i].status || !strstr(type, cases[i].type) ||
            strncmp(type, "com.amazonaws.switchboard.portal#", 33) != 0)
            fail_msg("case %zu: %d %s", i, r.status, r.body);
    }
    struct s_resp r = s_portal(emu, ok, "good");
    assert_int_equal(r.status, 200);
    s_member(akid, sizeof(akid), r.body, "roleCredentials.accessKeyId");
    s_member(secret, sizeof(secret), r.body, "roleCredentials.secretAccessKey");
    s_member(tok, sizeof(tok), r.body, "roleCredentials.sessionToken");
    json_t *doc = json_loads(r.body, 0, NULL);
    json_int_t ms = json_integer_value(
        json_object_get(json_object_get(doc, "roleCredentials"), "expiration"));
    json_decref(doc);
    assert_in_range(ms / 1000, cr_time_now() + 3590, cr_time_now() + 3600);
    s_caller(emu, akid, secret, tok, arn);
    /* AWSReservedSSO_<permission set>_<16 hex>, session the user; stable per account/role */
    const char *prefix = "arn:aws:sts::444455556666:assumed-role/AWSReservedSSO_Admin_";
    assert_memory_equal(arn, prefix, strlen(prefix));
    assert_int_equal(strlen(arn), strlen(prefix) + 16 + strlen("/alice"));
    assert_string_equal(arn + strlen(prefix) + 16, "/alice");
    char again[512];
    r = s_portal(emu, ok, "good");
    s_member(akid, sizeof(akid), r.body, "roleCredentials.accessKeyId");
    s_member(secret, sizeof(secret), r.body, "roleCredentials.secretAccessKey");
    s_member(tok, sizeof(tok), r.body, "roleCredentials.sessionToken");
    s_caller(emu, akid, secret, tok, again);
    assert_string_equal(again, arn);
    cr_emu_free(emu);
}

/* ---- STS AssumeRole ---- */

/* AssumeRole with form params, signed with the given key; the response. */
static struct s_resp s_assume(struct cr_emu *emu, const char *params, const char *akid,
                              const char *secret, const char *token)
{
    char body[1024];
    snprintf(body, sizeof(body), "Action=AssumeRole&Version=2011-06-15&%s", params);
    struct cr_sigv4_header h[] = {{"Host", "127.0.0.1"},
                                  {"Content-Type", "application/x-www-form-urlencoded"}};
    struct cr_sigv4_request sreq = {"POST", "/", "", h, 2, cr_span_from(body)};
    struct cr_sigv4_params p = {.access_key_id = akid,
                                .secret_access_key = secret,
                                .session_token = token,
                                .region = "us-east-1",
                                .service = "sts",
                                .time_s = cr_time_now(),
                                .normalize_path = true};
    struct cr_sigv4_signed sig;
    struct cr_sigv4_header all[8] = {h[0], h[1]};
    size_t n = 2;
    cr_sigv4_signed_init(&sig);
    if (akid) { /* NULL: unsigned */
        assert_ok(cr_sigv4_sign_headers(&sig, &sreq, &p, NULL));
        n += cr_sigv4_signed_headers(&sig, all + 2);
    }
    struct s_resp r = s_call(emu, "POST", "/", NULL, all, n, body, false);
    cr_sigv4_signed_dispose(&sig);
    return r;
}

/* The text of an XML element of body. */
static void s_xml(char *out, size_t cap, const char *body, const char *name)
{
    char open[64], close[64];
    snprintf(open, sizeof(open), "<%s>", name);
    snprintf(close, sizeof(close), "</%s>", name);
    const char *a = strstr(body, open), *b = a ? strstr(a, close) : NULL;
    snprintf(out, cap, "%.*s", a && b ? (int)(b - a - strlen(open)) : 0,
             a ? a + strlen(open) : "");
}

static void test_emu_creds__assume_role(void **state)
{
    (void)state;
    char keys[4096], code[128], msg[512], akid[64], secret[64], tok[256], arn[512];
    char *dir = cr_test_tmpdir();
    snprintf(keys, sizeof(keys), "%s/keys", dir);
    assert_int_equal(cr_test_write_file(keys, S_KEY " " S_SECRET "\n"), 0);
    struct cr_emu *emu =
        s_emu(&(struct cr_emu_options){.credentials_path = keys, .sts_min_duration_s = 5});
    const char *role = "RoleArn=arn%3Aaws%3Aiam%3A%3A222233334444%3Arole%2Fdeploy";
    char params[512];
    /* unsigned, or signed with an unknown key: refused as STS does */
    snprintf(params, sizeof(params), "%s&RoleSessionName=s1", role);
    struct s_resp r = s_assume(emu, params, NULL, NULL, NULL);
    s_xml(code, sizeof(code), r.body, "Code");
    assert_int_equal(r.status, 403);
    assert_string_equal(code, "MissingAuthenticationToken");
    r = s_assume(emu, params, "AKIDUNKNOWN000000001", S_SECRET, NULL);
    s_xml(code, sizeof(code), r.body, "Code");
    assert_string_equal(code, "InvalidClientTokenId");
    /* parameter checks, all violations at once; the lowest duration is --sts-min-duration */
    snprintf(params, sizeof(params), "%s&RoleSessionName=a&DurationSeconds=4&ExternalId=x", role);
    r = s_assume(emu, params, S_KEY, S_SECRET, NULL);
    s_xml(msg, sizeof(msg), r.body, "Message");
    assert_int_equal(r.status, 400);
    assert_string_equal(msg, "3 validation errors detected: Value 'a' at 'roleSessionName' "
                             "failed to satisfy constraint: Member must have length greater "
                             "than or equal to 2; Value 'x' at 'externalId' failed to satisfy "
                             "constraint: Member must have length greater than or equal to 2; "
                             "Value '4' at 'durationSeconds' failed to satisfy constraint: "
                             "Member must have value greater than or equal to 5");
    /* assumed, then chained: an assumed role may not ask for more than an hour */
    snprintf(params, sizeof(params), "%s&RoleSessionName=first&DurationSeconds=7200", role);
    r = s_assume(emu, params, S_KEY, S_SECRET, NULL);
    assert_int_equal(r.status, 200);
    s_xml(akid, sizeof(akid), r.body, "AccessKeyId");
    s_xml(secret, sizeof(secret), r.body, "SecretAccessKey");
    s_xml(tok, sizeof(tok), r.body, "SessionToken");
    s_xml(arn, sizeof(arn), r.body, "Arn");
    assert_string_equal(arn, "arn:aws:sts::222233334444:assumed-role/deploy/first");
    snprintf(params, sizeof(params),
             "RoleArn=arn%%3Aaws%%3Aiam%%3A%%3A333344445555%%3Arole%%2Fnext&RoleSessionName="
             "second&DurationSeconds=3601");
    r = s_assume(emu, params, akid, secret, tok);
    s_xml(msg, sizeof(msg), r.body, "Message");
    assert_string_equal(msg, "The requested DurationSeconds exceeds the 1 hour session limit "
                             "for roles assumed by role chaining.");
    params[strlen(params) - 4] = '\0';
    strcat(params, "3600");
    r = s_assume(emu, params, akid, secret, tok);
    assert_int_equal(r.status, 200);
    s_xml(akid, sizeof(akid), r.body, "AccessKeyId");
    s_xml(secret, sizeof(secret), r.body, "SecretAccessKey");
    s_xml(tok, sizeof(tok), r.body, "SessionToken");
    s_caller(emu, akid, secret, tok, arn);
    assert_string_equal(arn, "arn:aws:sts::333344445555:assumed-role/next/second");
    cr_emu_free(emu);
    cr_test_rmtree(dir);
    free(dir);
}

/* ---- faults ---- */

static void test_emu_creds__faults_name_the_endpoints(void **state)
{
    (void)state;
    struct cr_emu *emu = s_emu(NULL);
    /* a typo is refused with a suggestion; "*" leaves the endpoints alone */
    assert_int_equal(cr_emu_add_faults(emu, "IMDSTokn:error=1"), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "did you mean 'IMDSToken'?"));
    assert_ok(cr_emu_add_faults(emu, "*:throttle=1"));
    assert_int_equal(s_call(emu, "GET", "/v2/credentials/x", NULL, NULL, 0, NULL, false).status,
                     200);
    assert_ok(cr_emu_add_faults(emu, "ContainerCredentials:error=1,status=503,count=1"));
    assert_int_equal(s_call(emu, "GET", "/v2/credentials/x", NULL, NULL, 0, NULL, false).status,
                     503);
    assert_int_equal(s_call(emu, "GET", "/v2/credentials/x", NULL, NULL, 0, NULL, false).status,
                     200);
    cr_emu_free(emu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_emu_creds__imds_tokens),
        cmocka_unit_test(test_emu_creds__container_authorization),
        cmocka_unit_test(test_emu_creds__sso_portal),
        cmocka_unit_test(test_emu_creds__assume_role),
        cmocka_unit_test(test_emu_creds__faults_name_the_endpoints),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
