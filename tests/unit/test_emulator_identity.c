/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The identity side of the emulator (GetId ... DeleteIdentities), through the router (no
 * HTTP): identities and logins, token checks, role resolution, the classic flow with STS,
 * developer identities, persistence, --idp-keys, and a race of concurrent GetId calls.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emulator/jwt.h"
#include "tests/unit/test_emulator_call.h"
#include "util/strutil.h"

#define UP      "cognito-idp.us-east-1.amazonaws.com/us-east-1_Ab12Cd34"
#define UP_ISS  "https://" UP
#define DEV     "login.example.mobile"
#define ROLE(n) "arn:aws:iam::123456789012:role/" n
#define AUTH                                                                                      \
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/cognito-identity/aws4_request, " \
    "SignedHeaders=host;x-amz-date, Signature="                                                   \
    "0000000000000000000000000000000000000000000000000000000000000000"

static const char *s_str(const json_t *doc, const char *key)
{
    const char *s = json_string_value(json_object_get(doc, key));
    return s ? s : "";
}

/* One call with a printf body: unsigned (the identity side's public operations) or signed. */
static struct test_emu_res s_vcall(struct cr_emu *emu, bool sign, const char *op, const char *fmt,
                                   va_list ap)
{
    char body[16384];
    vsnprintf(body, sizeof(body), fmt, ap);
    return test_emu_call(emu, op, body, strlen(body), sign ? AUTH : NULL);
}

static struct test_emu_res s_call(struct cr_emu *emu, const char *op, const char *fmt, ...)
    CR_PRINTF(3, 4);
static struct test_emu_res s_call(struct cr_emu *emu, const char *op, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    struct test_emu_res r = s_vcall(emu, false, op, fmt, ap);
    va_end(ap);
    return r;
}

static struct test_emu_res s_signed(struct cr_emu *emu, const char *op, const char *fmt, ...)
    CR_PRINTF(3, 4);
static struct test_emu_res s_signed(struct cr_emu *emu, const char *op, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    struct test_emu_res r = s_vcall(emu, true, op, fmt, ap);
    va_end(ap);
    return r;
}

/* Any request with a JSON body (or none). */
static struct test_emu_res s_raw(struct cr_emu *emu, const char *method, const char *path,
                                 const char *content_type, const char *body)
{
    struct cr_sigv4_header headers[1] = {{"Content-Type", content_type}};
    struct cr_emu_request req = {.method = method,
                                 .path = path,
                                 .headers = headers,
                                 .n_headers = 1,
                                 .body = body,
                                 .body_len = body ? strlen(body) : 0,
                                 .loopback = true};
    return test_emu_request(emu, &req);
}

static void s_expect_ok(struct test_emu_res r, const char *what)
{
    if (r.status != 200) {
        char *text = json_dumps(r.body, 0);
        fail_msg("%s: expected 200, got %d %s", what, r.status, text);
    }
}

static void s_expect_error(struct test_emu_res r, const char *type, const char *message)
{
    if (r.status != 400 || strcmp(s_str(r.body, "__type"), type) != 0 ||
        (message && strcmp(s_str(r.body, "message"), message) != 0)) {
        char *text = json_dumps(r.body, 0);
        fail_msg("expected 400 %s '%s', got %d %s", type, message ? message : "*", r.status, text);
    }
    json_decref(r.body);
}

/* A test login token from the emulator's own identity provider (POST /_local/token). */
static char *s_token(struct cr_emu *emu, const char *issuer, const char *claims, long expires_in)
{
    char body[4096];
    snprintf(body, sizeof(body), "{\"issuer\":\"%s\",\"claims\":%s,\"expires_in\":%ld}", issuer,
             claims, expires_in);
    struct test_emu_res r = s_raw(emu, "POST", "/_local/token", "application/json", body);
    s_expect_ok(r, "/_local/token");
    char *token = strdup(s_str(r.body, "token"));
    json_decref(r.body);
    return token;
}

static char *s_user_token(struct cr_emu *emu, const char *sub, const char *extra)
{
    char claims[2048];
    snprintf(claims, sizeof(claims), "{\"sub\":\"%s\",\"aud\":\"client1\"%s%s}", sub,
             extra[0] ? "," : "", extra);
    return s_token(emu, UP_ISS, claims, 3600);
}

/* RSA-2048 key generation costs a good part of a second: every emulator of this file
 * starts with the same two signing keys, made once (group setup). */
static json_t *s_signing_keys;

static struct cr_emu *s_emu_with(const struct cr_emu_options *opts)
{
    struct cr_emu *emu = NULL;
    assert_ok(cr_emu_new(&emu, opts));
    if (s_signing_keys && !json_object_get(emu->state, "signing_keys"))
        json_object_set_new(emu->state, "signing_keys", json_deep_copy(s_signing_keys));
    return emu;
}

static struct cr_emu *s_emu(void)
{
    struct cr_emu_options opts = {0};
    return s_emu_with(&opts);
}

/* A pool with every kind of provider, roles and a rules mapping on the user pool client. */
static char *s_pool(struct cr_emu *emu, bool unauth)
{
    struct test_emu_res r = s_signed(
        emu, "CreateIdentityPool",
        "{\"IdentityPoolName\":\"mobile\",\"AllowUnauthenticatedIdentities\":%s,"
        "\"DeveloperProviderName\":\"" DEV "\","
        "\"SupportedLoginProviders\":{\"graph.facebook.com\":\"7346241598935552\"},"
        "\"OpenIdConnectProviderARNs\":[\"arn:aws:iam::123456789012:oidc-provider/auth.example.com\"],"
        "\"CognitoIdentityProviders\":[{\"ProviderName\":\"" UP "\",\"ClientId\":\"client1\"},"
        "{\"ProviderName\":\"" UP "\",\"ClientId\":\"client2\"}]}",
        unauth ? "true" : "false");
    s_expect_ok(r, "CreateIdentityPool");
    char *id = strdup(s_str(r.body, "IdentityPoolId"));
    json_decref(r.body);
    r = s_signed(emu, "SetIdentityPoolRoles",
                 "{\"IdentityPoolId\":\"%s\",\"Roles\":{\"authenticated\":\"" ROLE("Auth") "\","
                 "\"unauthenticated\":\"" ROLE("Guest") "\"},\"RoleMappings\":{\"" UP ":client1\":"
                 "{\"Type\":\"Rules\",\"AmbiguousRoleResolution\":\"Deny\",\"RulesConfiguration\":"
                 "{\"Rules\":[{\"Claim\":\"custom:tier\",\"MatchType\":\"Equals\",\"Value\":\"paid\","
                 "\"RoleARN\":\"" ROLE("Paid") "\"}]}}}}",
                 id);
    s_expect_ok(r, "SetIdentityPoolRoles");
    json_decref(r.body);
    return id;
}

/* GetId with one login; the identity id (heap), or NULL when refused (r then holds it). */
static char *s_get_id(struct cr_emu *emu, const char *pool, const char *key, const char *token)
{
    struct test_emu_res r = s_call(emu, "GetId",
                                   "{\"IdentityPoolId\":\"%s\",\"Logins\":{\"%s\":\"%s\"}}", pool,
                                   key, token);
    s_expect_ok(r, "GetId");
    char *id = strdup(s_str(r.body, "IdentityId"));
    json_decref(r.body);
    return id;
}

static struct test_emu_res s_credentials(struct cr_emu *emu, const char *id, const char *key,
                                         const char *token, const char *custom)
{
    char logins[8192] = "";
    char extra[512] = "";
    if (key)
        snprintf(logins, sizeof(logins), ",\"Logins\":{\"%s\":\"%s\"}", key, token);
    if (custom)
        snprintf(extra, sizeof(extra), ",\"CustomRoleArn\":\"%s\"", custom);
    return s_call(emu, "GetCredentialsForIdentity", "{\"IdentityId\":\"%s\"%s%s}", id, logins,
                  extra);
}

/* The role of a GetCredentialsForIdentity answer, through GET /_local/credentials/KEY. */
static char *s_role_of(struct cr_emu *emu, struct test_emu_res r)
{
    char path[256];
    s_expect_ok(r, "GetCredentialsForIdentity");
    json_t *c = json_object_get(r.body, "Credentials");
    assert_true(strncmp(s_str(c, "AccessKeyId"), "ASIA", 4) == 0);
    assert_true(json_is_integer(json_object_get(c, "Expiration")));
    snprintf(path, sizeof(path), "/_local/credentials/%s", s_str(c, "AccessKeyId"));
    struct test_emu_res who = s_raw(emu, "GET", path, "application/json", NULL);
    s_expect_ok(who, path);
    char *role = strdup(s_str(who.body, "RoleArn"));
    assert_non_null(strstr(s_str(who.body, "Arn"), "/CognitoIdentityCredentials"));
    json_decref(who.body);
    json_decref(r.body);
    return role;
}

static void s_expect_role(struct cr_emu *emu, struct test_emu_res r, const char *role)
{
    char *got = s_role_of(emu, r);
    assert_string_equal(got, role);
    free(got);
}

/* ---- GetId ---- */

static void test_emulator_identity__unauthenticated_identities(void **state)
{
    struct cr_emu *emu = s_emu();
    char *pool = s_pool(emu, true), *closed = s_pool(emu, false);
    struct test_emu_res a = s_call(emu, "GetId", "{\"IdentityPoolId\":\"%s\"}", pool);
    struct test_emu_res b = s_call(emu, "GetId", "{\"IdentityPoolId\":\"%s\",\"Logins\":{}}", pool);
    s_expect_ok(a, "GetId");
    s_expect_ok(b, "GetId");
    /* a new identity each time, REGION:GUID */
    assert_string_not_equal(s_str(a.body, "IdentityId"), s_str(b.body, "IdentityId"));
    assert_true(strncmp(s_str(a.body, "IdentityId"), "us-east-1:", 10) == 0);
    s_expect_role(emu, s_credentials(emu, s_str(a.body, "IdentityId"), NULL, NULL, NULL),
                  ROLE("Guest"));
    json_decref(a.body);
    json_decref(b.body);
    s_expect_error(s_call(emu, "GetId", "{\"IdentityPoolId\":\"%s\"}", closed),
                   "NotAuthorizedException",
                   "Unauthenticated access is not supported for this identity pool.");
    s_expect_error(s_call(emu, "GetId", "{\"IdentityPoolId\":\"us-east-1:00000000-0000\"}"),
                   "ResourceNotFoundException",
                   "IdentityPool 'us-east-1:00000000-0000' not found.");
    /* the account, when given, must be the pool's */
    s_expect_error(s_call(emu, "GetId", "{\"AccountId\":\"999999999999\",\"IdentityPoolId\":\"%s\"}",
                          pool),
                   "ResourceNotFoundException", NULL);
    s_expect_error(s_call(emu, "GetId", "{\"AccountId\":\"12ab\",\"IdentityPoolId\":\"%s\"}", pool),
                   "ValidationException", NULL);
    free(pool);
    free(closed);
    cr_emu_free(emu);
}

static void test_emulator_identity__same_login_same_identity(void **state)
{
    struct cr_emu *emu = s_emu();
    char *pool = s_pool(emu, false);
    char *t1 = s_user_token(emu, "user-1", ""), *t1b = s_user_token(emu, "user-1", "\"x\":1");
    char *t2 = s_user_token(emu, "user-2", "");
    char *a = s_get_id(emu, pool, UP, t1), *b = s_get_id(emu, pool, UP, t1b);
    char *c = s_get_id(emu, pool, UP, t2);
    assert_string_equal(a, b); /* another token of the same user */
    assert_string_not_equal(a, c);
    /* an opaque Facebook token is the user's id */
    char *f1 = s_get_id(emu, pool, "graph.facebook.com", "fb-user-9");
    char *f2 = s_get_id(emu, pool, "graph.facebook.com", "fb-user-9");
    assert_string_equal(f1, f2);
    struct test_emu_res d = s_signed(emu, "DescribeIdentity", "{\"IdentityId\":\"%s\"}", a);
    s_expect_ok(d, "DescribeIdentity");
    assert_string_equal(json_string_value(json_array_get(json_object_get(d.body, "Logins"), 0)), UP);
    assert_true(json_is_number(json_object_get(d.body, "CreationDate")));
    json_decref(d.body);
    free(a), free(b), free(c), free(f1), free(f2), free(t1), free(t1b), free(t2), free(pool);
    cr_emu_free(emu);
}

static void test_emulator_identity__several_logins_link(void **state)
{
    struct cr_emu *emu = s_emu();
    char *pool = s_pool(emu, false);
    char *t = s_user_token(emu, "user-1", ""), *t_other = s_user_token(emu, "user-2", "");
    struct test_emu_res r = s_call(
        emu, "GetId",
        "{\"IdentityPoolId\":\"%s\",\"Logins\":{\"" UP "\":\"%s\",\"graph.facebook.com\":\"fb1\"}}",
        pool, t);
    s_expect_ok(r, "GetId");
    char *id = strdup(s_str(r.body, "IdentityId"));
    json_decref(r.body);
    char *via_fb = s_get_id(emu, pool, "graph.facebook.com", "fb1");
    assert_string_equal(id, via_fb);
    struct test_emu_res d = s_signed(emu, "DescribeIdentity", "{\"IdentityId\":\"%s\"}", id);
    assert_int_equal(json_array_size(json_object_get(d.body, "Logins")), 2);
    json_decref(d.body);
    /* one login per public provider: fb1's identity cannot take a second Facebook user while
     * it keeps its user-pool login, and user-2 cannot join it through fb1 */
    s_expect_error(
        s_call(emu, "GetId",
               "{\"IdentityPoolId\":\"%s\",\"Logins\":{\"" UP "\":\"%s\",\"graph.facebook.com\":"
               "\"fb1\"}}",
               pool, t_other),
        "ResourceConflictException", NULL);
    /* refused calls change nothing: user-2 has no identity yet */
    struct test_emu_res l = s_signed(emu, "ListIdentities",
                                     "{\"IdentityPoolId\":\"%s\",\"MaxResults\":60}", pool);
    assert_int_equal(json_array_size(json_object_get(l.body, "Identities")), 1);
    json_decref(l.body);
    free(id), free(via_fb), free(t), free(t_other), free(pool);
    cr_emu_free(emu);
}

static void test_emulator_identity__login_tokens_are_checked(void **state)
{
    struct cr_emu *emu = s_emu();
    char *pool = s_pool(emu, false);
    static const char *const na = "NotAuthorizedException";
    char *wrong_iss = s_token(emu, "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other",
                              "{\"sub\":\"u\",\"aud\":\"client1\"}", 3600);
    char *wrong_client = s_token(emu, UP_ISS, "{\"sub\":\"u\",\"aud\":\"nope\"}", 3600);
    char *no_aud = s_token(emu, UP_ISS, "{\"sub\":\"u\",\"client_id\":\"client1\"}", 3600);
    char *expired = s_token(emu, UP_ISS, "{\"sub\":\"u\",\"aud\":\"client1\"}", -10);
    char *oidc = s_token(emu, "https://auth.example.com", "{\"sub\":\"o1\"}", 3600);
    char *good = s_user_token(emu, "u", "");
    char forged[8192];
    char *dot = strrchr(good, '.');
    /* a valid token's signature over another payload */
    snprintf(forged, sizeof(forged), "%.*s%s", (int)(strrchr(wrong_client, '.') - wrong_client),
             wrong_client, dot);
    const char *fmt = "{\"IdentityPoolId\":\"%s\",\"Logins\":{\"%s\":\"%s\"}}";
    s_expect_error(s_call(emu, "GetId", fmt, pool, "accounts.google.com", "x"), na,
                   "Token is not from a supported provider of this identity pool.");
    s_expect_error(s_call(emu, "GetId", fmt, pool, DEV, "dev-user"), na,
                   "Token is not from a supported provider of this identity pool.");
    s_expect_error(s_call(emu, "GetId", fmt, pool, UP, wrong_iss), na,
                   "Invalid login token. Issuer doesn't match providerName");
    s_expect_error(s_call(emu, "GetId", fmt, pool, UP, wrong_client), na,
                   "Token is not from a supported provider of this identity pool.");
    s_expect_error(s_call(emu, "GetId", fmt, pool, UP, no_aud), na,
                   "Invalid login token. Missing a required claim: aud");
    struct test_emu_res r = s_call(emu, "GetId", fmt, pool, UP, expired);
    assert_non_null(strstr(s_str(r.body, "message"), "Invalid login token. Token expired: "));
    s_expect_error(r, na, NULL);
    s_expect_error(s_call(emu, "GetId", fmt, pool, UP, "not-a-jwt"), na,
                   "Invalid login token. Not a valid OpenId Connect identity token.");
    s_expect_error(s_call(emu, "GetId", fmt, pool, UP, forged), na,
                   "Invalid login token. Invalid signature.");
    char *id = s_get_id(emu, pool, "auth.example.com", oidc);
    assert_true(strlen(id) > 10);
    free(id), free(wrong_iss), free(wrong_client), free(no_aud), free(expired), free(oidc),
        free(good), free(pool);
    cr_emu_free(emu);
}

/* ---- GetCredentialsForIdentity ---- */

static void test_emulator_identity__roles_by_resolution(void **state)
{
    struct cr_emu *emu = s_emu();
    char *pool = s_pool(emu, true);
    char *paid = s_user_token(emu, "u-paid", "\"custom:tier\":\"paid\"");
    char *gold = s_user_token(emu, "u-gold", "\"custom:tier\":\"gold\"");
    char *c2 = s_token(emu, UP_ISS, "{\"sub\":\"u-c2\",\"aud\":\"client2\"}", 3600);
    char *id_paid = s_get_id(emu, pool, UP, paid), *id_gold = s_get_id(emu, pool, UP, gold);
    char *id_c2 = s_get_id(emu, pool, UP, c2), *id_fb = s_get_id(emu, pool, "graph.facebook.com", "f");
    s_expect_role(emu, s_credentials(emu, id_paid, UP, paid, NULL), ROLE("Paid"));
    /* no rule matches and the mapping denies */
    s_expect_error(s_credentials(emu, id_gold, UP, gold, NULL), "NotAuthorizedException",
                   "The ambiguous role mapping rules denied this request.");
    /* the mapping is per app client; Facebook has none: the authenticated role */
    s_expect_role(emu, s_credentials(emu, id_c2, UP, c2, NULL), ROLE("Auth"));
    s_expect_role(emu, s_credentials(emu, id_fb, "graph.facebook.com", "f", NULL), ROLE("Auth"));
    /* CustomRoleArn must be the role of a matching rule */
    s_expect_role(emu, s_credentials(emu, id_paid, UP, paid, ROLE("Paid")), ROLE("Paid"));
    s_expect_error(s_credentials(emu, id_paid, UP, paid, ROLE("Admin")), "NotAuthorizedException",
                   NULL);
    /* an authenticated identity needs one of its logins */
    char msg[256];
    snprintf(msg, sizeof(msg), "Access to Identity '%s' is forbidden.", id_paid);
    s_expect_error(s_credentials(emu, id_paid, NULL, NULL, NULL), "NotAuthorizedException", msg);
    s_expect_error(s_credentials(emu, id_paid, "graph.facebook.com", "someone", NULL),
                   "NotAuthorizedException",
                   "Logins don't match. Please include at least one valid login for this identity "
                   "or identity pool.");
    s_expect_error(s_call(emu, "GetCredentialsForIdentity", "{\"IdentityId\":\"us-east-1:0000\"}"),
                   "ResourceNotFoundException", "Identity 'us-east-1:0000' not found.");
    /* no roles at all: the service's configuration error */
    json_decref(s_signed(emu, "SetIdentityPoolRoles", "{\"IdentityPoolId\":\"%s\",\"Roles\":{}}",
                         pool)
                    .body);
    s_expect_error(s_credentials(emu, id_fb, "graph.facebook.com", "f", NULL),
                   "InvalidIdentityPoolConfigurationException",
                   "Invalid identity pool configuration. Check assigned IAM roles for this pool.");
    free(id_paid), free(id_gold), free(id_c2), free(id_fb), free(paid), free(gold), free(c2),
        free(pool);
    cr_emu_free(emu);
}

static void test_emulator_identity__principal_tags_travel_with_credentials(void **state)
{
    struct cr_emu *emu = s_emu();
    char *pool = s_pool(emu, false);
    char *tok = s_user_token(emu, "u1", "\"custom:tier\":\"paid\",\"custom:dept\":\"legal\"");
    char *id = s_get_id(emu, pool, UP, tok);
    json_decref(s_signed(emu, "SetPrincipalTagAttributeMap",
                         "{\"IdentityPoolId\":\"%s\",\"IdentityProviderName\":\"" UP "\","
                         "\"UseDefaults\":true,\"PrincipalTags\":{\"dept\":\"custom:dept\"}}",
                         pool)
                    .body);
    struct test_emu_res r = s_credentials(emu, id, UP, tok, NULL);
    s_expect_ok(r, "GetCredentialsForIdentity");
    char path[256];
    snprintf(path, sizeof(path), "/_local/credentials/%s",
             s_str(json_object_get(r.body, "Credentials"), "AccessKeyId"));
    struct test_emu_res who = s_raw(emu, "GET", path, "application/json", NULL);
    json_t *tags = json_object_get(who.body, "PrincipalTags");
    assert_string_equal(s_str(tags, "dept"), "legal");
    assert_string_equal(s_str(tags, "username"), "u1");
    assert_string_equal(s_str(tags, "client"), "client1");
    assert_string_equal(s_str(who.body, "IdentityId"), id);
    json_decref(who.body);
    json_decref(r.body);
    who = s_raw(emu, "GET", "/_local/credentials/ASIANOSUCHKEY", "application/json", NULL);
    assert_int_equal(who.status, 404);
    json_decref(who.body);
    free(id), free(tok), free(pool);
    cr_emu_free(emu);
}

static void test_emulator_identity__guest_signs_in_and_merges(void **state)
{
    struct cr_emu *emu = s_emu();
    char *pool = s_pool(emu, true);
    char *tok = s_user_token(emu, "u1", "\"custom:tier\":\"paid\"");
    char *owner = s_get_id(emu, pool, UP, tok); /* u1's identity, made first */
    struct test_emu_res g = s_call(emu, "GetId", "{\"IdentityPoolId\":\"%s\"}", pool);
    char *guest = strdup(s_str(g.body, "IdentityId"));
    json_decref(g.body);
    /* the guest signs in with u1's login: the identities merge into the older one */
    struct test_emu_res r = s_credentials(emu, guest, UP, tok, NULL);
    s_expect_ok(r, "GetCredentialsForIdentity");
    assert_string_equal(s_str(r.body, "IdentityId"), owner);
    json_decref(r.body);
    char msg[256];
    snprintf(msg, sizeof(msg), "Access to Identity '%s' is forbidden.", guest);
    s_expect_error(s_credentials(emu, guest, NULL, NULL, NULL), "NotAuthorizedException", msg);
    struct test_emu_res all = s_signed(emu, "ListIdentities",
                                       "{\"IdentityPoolId\":\"%s\",\"MaxResults\":10}", pool);
    struct test_emu_res shown = s_signed(
        emu, "ListIdentities", "{\"IdentityPoolId\":\"%s\",\"MaxResults\":10,\"HideDisabled\":true}",
        pool);
    assert_int_equal(json_array_size(json_object_get(all.body, "Identities")), 2);
    assert_int_equal(json_array_size(json_object_get(shown.body, "Identities")), 1);
    json_decref(all.body);
    json_decref(shown.body);
    /* a guest that signs in with a new login becomes authenticated */
    g = s_call(emu, "GetId", "{\"IdentityPoolId\":\"%s\"}", pool);
    char *guest2 = strdup(s_str(g.body, "IdentityId"));
    json_decref(g.body);
    s_expect_role(emu, s_credentials(emu, guest2, "graph.facebook.com", "fb-new", NULL), ROLE("Auth"));
    snprintf(msg, sizeof(msg), "Access to Identity '%s' is forbidden.", guest2);
    s_expect_error(s_credentials(emu, guest2, NULL, NULL, NULL), "NotAuthorizedException", msg);
    free(guest), free(guest2), free(owner), free(tok), free(pool);
    cr_emu_free(emu);
}

/* ---- GetOpenIdToken and the classic flow ---- */

static struct test_emu_res s_sts_assume(struct cr_emu *emu, const char *token)
{
    char body[8192];
    snprintf(body, sizeof(body),
             "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=%s"
             "&RoleSessionName=classic&WebIdentityToken=%s",
             ROLE("Guest"), token);
    struct cr_sigv4_header headers[2] = {{"Content-Type", "application/x-www-form-urlencoded"},
                                         {"Accept", "application/json"}};
    struct cr_emu_request req = {.method = "POST",
                                 .path = "/",
                                 .headers = headers,
                                 .n_headers = 2,
                                 .body = body,
                                 .body_len = strlen(body),
                                 .loopback = true};
    return test_emu_request(emu, &req);
}

static void test_emulator_identity__classic_flow(void **state)
{
    struct cr_emu *emu = s_emu();
    char *pool = s_pool(emu, true);
    struct test_emu_res g = s_call(emu, "GetId", "{\"IdentityPoolId\":\"%s\"}", pool);
    char *id = strdup(s_str(g.body, "IdentityId"));
    json_decref(g.body);
    /* AllowClassicFlow never set: allowed (aws-cli #7652) */
    struct test_emu_res t = s_call(emu, "GetOpenIdToken", "{\"IdentityId\":\"%s\"}", id);
    s_expect_ok(t, "GetOpenIdToken");
    char *token = strdup(s_str(t.body, "Token"));
    json_decref(t.body);
    struct cr_emu_jwt jwt;
    assert_ok(cr__emu_jwt_parse(&jwt, token));
    assert_string_equal(s_str(jwt.claims, "iss"), "https://cognito-identity.amazonaws.com");
    assert_string_equal(s_str(jwt.claims, "aud"), pool);
    assert_string_equal(s_str(jwt.claims, "sub"), id);
    assert_string_equal(json_string_value(json_array_get(json_object_get(jwt.claims, "amr"), 0)),
                        "unauthenticated");
    assert_int_equal(json_integer_value(json_object_get(jwt.claims, "exp")) -
                         json_integer_value(json_object_get(jwt.claims, "iat")),
                     600);
    /* the published JWKS verifies it */
    struct test_emu_res jwks = s_raw(emu, "GET", "/.well-known/jwks_uri", "", NULL);
    s_expect_ok(jwks, "jwks_uri");
    EVP_PKEY *pub = NULL;
    json_t *key = json_array_get(json_object_get(jwks.body, "keys"), 0);
    assert_string_equal(s_str(key, "kid"), s_str(jwt.header, "kid"));
    assert_ok(cr__emu_key_from_jwk(&pub, key));
    assert_ok(cr__emu_jwt_verify(&jwt, pub));
    EVP_PKEY_free(pub);
    json_decref(jwks.body);
    cr__emu_jwt_dispose(&jwt);
    /* STS takes it... */
    struct test_emu_res sts = s_sts_assume(emu, token);
    assert_int_equal(sts.status, 200);
    json_decref(sts.body);
    /* ... a tampered one not (one signature character changed) */
    char forged[8192];
    snprintf(forged, sizeof(forged), "%s", token);
    char *sig = strrchr(forged, '.') + 10;
    *sig = *sig == 'A' ? 'B' : 'A';
    sts = s_sts_assume(emu, forged);
    assert_int_equal(sts.status, 400);
    assert_string_equal(s_str(json_object_get(sts.body, "Error"), "Code"), "InvalidIdentityToken");
    json_decref(sts.body);
    /* AllowClassicFlow false: GetOpenIdToken refuses, and STS refuses the token already out */
    json_decref(s_signed(emu, "UpdateIdentityPool",
                         "{\"IdentityPoolId\":\"%s\",\"IdentityPoolName\":\"mobile\","
                         "\"AllowUnauthenticatedIdentities\":true,\"AllowClassicFlow\":false}",
                         pool)
                    .body);
    s_expect_error(s_call(emu, "GetOpenIdToken", "{\"IdentityId\":\"%s\"}", id),
                   "InvalidParameterException",
                   "Basic (classic) flow is not enabled, please use enhanced flow.");
    sts = s_sts_assume(emu, token);
    assert_int_equal(sts.status, 400);
    assert_non_null(strstr(s_str(json_object_get(sts.body, "Error"), "Message"),
                           "Basic (classic) flow is not enabled"));
    json_decref(sts.body);
    free(token), free(id), free(pool);
    cr_emu_free(emu);
}

/* ---- developer identities ---- */

static char *s_dev_token(struct cr_emu *emu, const char *pool, const char *user,
                         const char *identity, const char *tags, char **out_id)
{
    char idpart[128] = "";
    if (identity)
        snprintf(idpart, sizeof(idpart), ",\"IdentityId\":\"%s\"", identity);
    struct test_emu_res r = s_signed(emu, "GetOpenIdTokenForDeveloperIdentity",
                                     "{\"IdentityPoolId\":\"%s\",\"Logins\":{\"" DEV "\":\"%s\"}%s%s%s}",
                                     pool, user, idpart, tags ? ",\"PrincipalTags\":" : "",
                                     tags ? tags : "");
    s_expect_ok(r, "GetOpenIdTokenForDeveloperIdentity");
    char *token = strdup(s_str(r.body, "Token"));
    *out_id = strdup(s_str(r.body, "IdentityId"));
    json_decref(r.body);
    return token;
}

static void test_emulator_identity__developer_identities(void **state)
{
    struct cr_emu *emu = s_emu();
    char *pool = s_pool(emu, false);
    char *a_id, *a2_id, *b_id;
    char *a = s_dev_token(emu, pool, "alice", NULL, "{\"team\":\"blue\"}", &a_id);
    char *a2 = s_dev_token(emu, pool, "alice", NULL, NULL, &a2_id);
    char *b = s_dev_token(emu, pool, "bob", NULL, NULL, &b_id);
    assert_string_equal(a_id, a2_id);
    assert_string_not_equal(a_id, b_id);
    /* the enhanced flow with the developer's token: the authenticated role, its tags */
    struct test_emu_res r = s_credentials(emu, a_id, "cognito-identity.amazonaws.com", a, NULL);
    s_expect_ok(r, "GetCredentialsForIdentity");
    char path[256];
    snprintf(path, sizeof(path), "/_local/credentials/%s",
             s_str(json_object_get(r.body, "Credentials"), "AccessKeyId"));
    struct test_emu_res who = s_raw(emu, "GET", path, "application/json", NULL);
    assert_string_equal(s_str(who.body, "RoleArn"), ROLE("Auth"));
    assert_string_equal(s_str(json_object_get(who.body, "PrincipalTags"), "team"), "blue");
    json_decref(who.body);
    json_decref(r.body);
    /* a token for another identity does not open this one */
    s_expect_error(s_credentials(emu, a_id, "cognito-identity.amazonaws.com", b, NULL),
                   "NotAuthorizedException", NULL);
    /* bob cannot be linked to alice's identity: he has his own */
    s_expect_error(s_signed(emu, "GetOpenIdTokenForDeveloperIdentity",
                            "{\"IdentityPoolId\":\"%s\",\"IdentityId\":\"%s\",\"Logins\":{\"" DEV
                            "\":\"bob\"}}",
                            pool, a_id),
                   "DeveloperUserAlreadyRegisteredException", NULL);
    /* lookups */
    r = s_signed(emu, "LookupDeveloperIdentity",
                 "{\"IdentityPoolId\":\"%s\",\"DeveloperUserIdentifier\":\"alice\"}", pool);
    s_expect_ok(r, "LookupDeveloperIdentity");
    assert_string_equal(s_str(r.body, "IdentityId"), a_id);
    json_decref(r.body);
    s_expect_error(s_signed(emu, "LookupDeveloperIdentity",
                            "{\"IdentityPoolId\":\"%s\",\"IdentityId\":\"%s\","
                            "\"DeveloperUserIdentifier\":\"bob\"}",
                            pool, a_id),
                   "ResourceConflictException", NULL);
    s_expect_error(s_signed(emu, "LookupDeveloperIdentity", "{\"IdentityPoolId\":\"%s\"}", pool),
                   "InvalidParameterException", NULL);
    /* merge bob into alice: alice's identity lists both, page by page */
    r = s_signed(emu, "MergeDeveloperIdentities",
                 "{\"SourceUserIdentifier\":\"bob\",\"DestinationUserIdentifier\":\"alice\","
                 "\"DeveloperProviderName\":\"" DEV "\",\"IdentityPoolId\":\"%s\"}",
                 pool);
    s_expect_ok(r, "MergeDeveloperIdentities");
    assert_string_equal(s_str(r.body, "IdentityId"), a_id);
    json_decref(r.body);
    r = s_signed(emu, "LookupDeveloperIdentity",
                 "{\"IdentityPoolId\":\"%s\",\"IdentityId\":\"%s\",\"MaxResults\":1}", pool, a_id);
    json_t *list = json_object_get(r.body, "DeveloperUserIdentifierList");
    assert_int_equal(json_array_size(list), 1);
    assert_string_equal(json_string_value(json_array_get(list, 0)), "alice");
    struct test_emu_res r2 = s_signed(emu, "LookupDeveloperIdentity",
                                      "{\"IdentityPoolId\":\"%s\",\"IdentityId\":\"%s\","
                                      "\"MaxResults\":1,\"NextToken\":\"%s\"}",
                                      pool, a_id, s_str(r.body, "NextToken"));
    list = json_object_get(r2.body, "DeveloperUserIdentifierList");
    assert_string_equal(json_string_value(json_array_get(list, 0)), "bob");
    assert_null(json_object_get(r2.body, "NextToken"));
    json_decref(r.body);
    json_decref(r2.body);
    /* unlink bob: his next token makes a new identity */
    s_expect_error(s_signed(emu, "UnlinkDeveloperIdentity",
                            "{\"IdentityId\":\"%s\",\"IdentityPoolId\":\"%s\",\"DeveloperProviderName\":"
                            "\"other.dev\",\"DeveloperUserIdentifier\":\"bob\"}",
                            a_id, pool),
                   "InvalidParameterException", NULL);
    r = s_signed(emu, "UnlinkDeveloperIdentity",
                 "{\"IdentityId\":\"%s\",\"IdentityPoolId\":\"%s\",\"DeveloperProviderName\":\"" DEV
                 "\",\"DeveloperUserIdentifier\":\"bob\"}",
                 a_id, pool);
    s_expect_ok(r, "UnlinkDeveloperIdentity");
    json_decref(r.body);
    char *b2_id, *b2 = s_dev_token(emu, pool, "bob", NULL, NULL, &b2_id);
    assert_string_not_equal(b2_id, a_id);
    assert_string_not_equal(b2_id, b_id); /* bob's first identity was merged away */
    free(a), free(a2), free(b), free(b2), free(a_id), free(a2_id), free(b_id), free(b2_id),
        free(pool);
    cr_emu_free(emu);
}

/* ---- listing, deleting, unlinking ---- */

static void test_emulator_identity__list_pages_describe_delete(void **state)
{
    struct cr_emu *emu = s_emu();
    char *pool = s_pool(emu, true), *other = s_pool(emu, true);
    char ids[5][64];
    for (int i = 0; i < 5; i++) {
        struct test_emu_res g = s_call(emu, "GetId", "{\"IdentityPoolId\":\"%s\"}", i == 2 ? other : pool);
        snprintf(ids[i], sizeof(ids[i]), "%s", s_str(g.body, "IdentityId"));
        json_decref(g.body);
    }
    /* 4 identities of pool in creation order, two per page */
    char token[64] = "";
    size_t seen = 0;
    for (int page = 0; page < 3; page++) {
        struct test_emu_res r =
            page == 0 ? s_signed(emu, "ListIdentities", "{\"IdentityPoolId\":\"%s\",\"MaxResults\":2}", pool)
                      : s_signed(emu, "ListIdentities",
                                 "{\"IdentityPoolId\":\"%s\",\"MaxResults\":2,\"NextToken\":\"%s\"}",
                                 pool, token);
        s_expect_ok(r, "ListIdentities");
        json_t *list = json_object_get(r.body, "Identities");
        for (size_t k = 0; k < json_array_size(list); k++, seen++) {
            const char *want = ids[seen < 2 ? seen : seen + 1];
            assert_string_equal(s_str(json_array_get(list, k), "IdentityId"), want);
            assert_null(json_object_get(json_array_get(list, k), "Logins"));
        }
        snprintf(token, sizeof(token), "%s", s_str(r.body, "NextToken"));
        json_decref(r.body);
        if (!token[0])
            break;
    }
    assert_int_equal(seen, 4);
    s_expect_error(s_signed(emu, "ListIdentities", "{\"IdentityPoolId\":\"%s\",\"MaxResults\":61}",
                            pool),
                   "ValidationException", NULL);
    s_expect_error(s_signed(emu, "ListIdentities",
                            "{\"IdentityPoolId\":\"%s\",\"MaxResults\":2,\"NextToken\":\"bogus\"}",
                            pool),
                   "InvalidParameterException", NULL);
    /* delete two plus an unknown id; the unknown one is already gone */
    struct test_emu_res d = s_signed(
        emu, "DeleteIdentities",
        "{\"IdentityIdsToDelete\":[\"%s\",\"%s\",\"us-east-1:00000000-0000\"]}", ids[0], ids[1]);
    s_expect_ok(d, "DeleteIdentities");
    assert_int_equal(json_array_size(json_object_get(d.body, "UnprocessedIdentityIds")), 0);
    json_decref(d.body);
    s_expect_error(s_signed(emu, "DescribeIdentity", "{\"IdentityId\":\"%s\"}", ids[0]),
                   "ResourceNotFoundException", NULL);
    s_expect_error(s_signed(emu, "DeleteIdentities", "{\"IdentityIdsToDelete\":[]}"),
                   "ValidationException", NULL);
    /* deleting a pool deletes its identities */
    json_decref(s_signed(emu, "DeleteIdentityPool", "{\"IdentityPoolId\":\"%s\"}", other).body);
    s_expect_error(s_signed(emu, "DescribeIdentity", "{\"IdentityId\":\"%s\"}", ids[2]),
                   "ResourceNotFoundException", NULL);
    free(pool), free(other);
    cr_emu_free(emu);
}

static void test_emulator_identity__unlink_identity(void **state)
{
    struct cr_emu *emu = s_emu();
    char *pool = s_pool(emu, false);
    char *tok = s_user_token(emu, "u1", "");
    struct test_emu_res r = s_call(
        emu, "GetId",
        "{\"IdentityPoolId\":\"%s\",\"Logins\":{\"" UP "\":\"%s\",\"graph.facebook.com\":\"fb1\"}}",
        pool, tok);
    char *id = strdup(s_str(r.body, "IdentityId"));
    json_decref(r.body);
    s_expect_error(s_call(emu, "UnlinkIdentity",
                          "{\"IdentityId\":\"%s\",\"Logins\":{\"graph.facebook.com\":\"fb2\"},"
                          "\"LoginsToRemove\":[\"graph.facebook.com\"]}",
                          id),
                   "NotAuthorizedException", NULL);
    r = s_call(emu, "UnlinkIdentity",
               "{\"IdentityId\":\"%s\",\"Logins\":{\"" UP "\":\"%s\"},"
               "\"LoginsToRemove\":[\"graph.facebook.com\"]}",
               id, tok);
    s_expect_ok(r, "UnlinkIdentity");
    json_decref(r.body);
    /* Facebook's fb1 is a new identity now */
    char *fb = s_get_id(emu, pool, "graph.facebook.com", "fb1");
    assert_string_not_equal(fb, id);
    free(fb), free(id), free(tok), free(pool);
    cr_emu_free(emu);
}

/* ---- signatures, persistence, keys ---- */

static void test_emulator_identity__unsigned_operations_need_no_signature(void **state)
{
    const char *path = cr_test_tmp_path("keys.txt");
    assert_ok(cr_test_write_file(path, "AKIDTEST secret\n"));
    struct cr_emu_options opts = {.credentials_path = path};
    struct cr_emu *emu = s_emu_with(&opts);
    struct cr_emu *open_emu = s_emu();
    char *pool = s_pool(open_emu, true);
    cr_emu_free(open_emu);
    /* with --credentials, GetId is public; DescribeIdentity needs a signature */
    s_expect_error(s_call(emu, "GetId", "{\"IdentityPoolId\":\"us-east-1:0000\"}"),
                   "ResourceNotFoundException", NULL);
    s_expect_error(s_call(emu, "DescribeIdentity", "{\"IdentityId\":\"us-east-1:0000\"}"),
                   "MissingAuthenticationTokenException", NULL);
    /* a signature that is sent is still checked (this one lacks its X-Amz-Date) */
    s_expect_error(s_signed(emu, "GetId", "{\"IdentityPoolId\":\"us-east-1:0000\"}"),
                   "IncompleteSignatureException", NULL);
    free(pool);
    cr_emu_free(emu);
}

static void test_emulator_identity__state_survives_restart(void **state)
{
    const char *path = cr_test_tmp_path("identity-state.json");
    unlink(path);
    struct cr_emu_options opts = {.state_path = path};
    struct cr_emu *emu = s_emu_with(&opts);
    char *pool = s_pool(emu, true);
    char *tok = s_user_token(emu, "u1", "\"custom:tier\":\"paid\"");
    char *id = s_get_id(emu, pool, UP, tok);
    struct test_emu_res t = s_call(emu, "GetOpenIdToken", "{\"IdentityId\":\"%s\",\"Logins\":{\"" UP
                                   "\":\"%s\"}}",
                                   id, tok);
    char *openid = strdup(s_str(t.body, "Token"));
    json_decref(t.body);
    cr_emu_free(emu);
    /* restarted: the identity, its login, and both signing keys are back */
    emu = s_emu_with(&opts);
    char *again = s_get_id(emu, pool, UP, tok);
    assert_string_equal(again, id);
    s_expect_role(emu, s_credentials(emu, id, UP, tok, NULL), ROLE("Paid"));
    struct test_emu_res sts = s_sts_assume(emu, openid);
    assert_int_equal(sts.status, 200);
    json_decref(sts.body);
    cr_emu_free(emu);
    /* a corrupt identity is refused at start, naming it */
    struct cr_buf text = CR_BUF_INIT;
    assert_ok(cr_buf_read_file(&text, path, 1 << 24));
    json_t *doc = json_loads(cr_buf_cstr(&text), 0, NULL);
    json_t *ids = json_object_get(json_object_get(json_object_get(doc, "partitions"),
                                                  "123456789012/us-east-1"),
                                  "identities");
    json_object_set_new(json_object_get(ids, id), "logins", json_string("x"));
    assert_int_equal(json_dump_file(doc, path, 0), 0);
    json_decref(doc);
    cr_buf_dispose(&text);
    emu = NULL;
    assert_int_equal(cr_emu_new(&emu, &opts), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), id));
    free(again), free(openid), free(id), free(tok), free(pool);
}

static void test_emulator_identity__idp_keys_verify_real_issuers(void **state)
{
    EVP_PKEY *key = NULL, *other = NULL;
    assert_ok(cr__emu_rsa_generate(&key));
    assert_ok(cr__emu_rsa_generate(&other));
    json_t *jwk = cr__emu_jwk(key, "real-1");
    json_t *file = json_pack("{s:{s:[o]}}", "https://auth.example.com", "keys", jwk);
    const char *path = cr_test_tmp_path("idp-keys.json");
    assert_int_equal(json_dump_file(file, path, 0), 0);
    json_decref(file);
    struct cr_emu_options opts = {.idp_keys_path = path};
    struct cr_emu *emu = s_emu_with(&opts);
    char *pool = s_pool(emu, false);
    json_t *claims = json_pack("{s:s, s:s, s:I}", "iss", "https://auth.example.com", "sub", "o1",
                               "exp", (json_int_t)cr_time_now() + 600);
    char *good = NULL, *bad = NULL;
    assert_ok(cr__emu_jwt_sign(&good, key, "real-1", claims));
    assert_ok(cr__emu_jwt_sign(&bad, other, "real-1", claims));
    char *id = s_get_id(emu, pool, "auth.example.com", good);
    assert_true(strlen(id) > 10);
    s_expect_error(s_call(emu, "GetId", "{\"IdentityPoolId\":\"%s\",\"Logins\":{\"auth.example.com\":"
                                        "\"%s\"}}",
                          pool, bad),
                   "NotAuthorizedException", "Invalid login token. Invalid signature.");
    free(id), free(good), free(bad), free(pool);
    json_decref(claims);
    EVP_PKEY_free(key);
    EVP_PKEY_free(other);
    cr_emu_free(emu);
    /* a broken file stops the start, naming the place */
    assert_ok(cr_test_write_file(path, "{\"https://x\": {\"keys\": [{\"kty\": \"RSA\"}]}}"));
    emu = NULL;
    assert_int_equal(cr_emu_new(&emu, &opts), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "issuer 'https://x': key 1"));
}

static void test_emulator_identity__requests_are_logged(void **state)
{
    struct cr_emu *emu = s_emu();
    char *pool = s_pool(emu, true);
    json_decref(s_call(emu, "GetId", "{\"IdentityPoolId\":\"%s\"}", pool).body);
    s_expect_error(s_call(emu, "GetCredentialsForIdentity", "{\"IdentityId\":\"us-east-1:00\"}"),
                   "ResourceNotFoundException", NULL);
    struct test_emu_res log = s_raw(emu, "GET", "/_local/requests", "", NULL);
    json_t *reqs = json_object_get(log.body, "requests");
    size_t n = json_array_size(reqs);
    json_t *get_id = json_array_get(reqs, n - 2), *creds = json_array_get(reqs, n - 1);
    assert_string_equal(s_str(get_id, "operation"), "GetId");
    assert_string_equal(s_str(get_id, "pool_id"), pool);
    assert_string_equal(s_str(creds, "operation"), "GetCredentialsForIdentity");
    assert_string_equal(s_str(creds, "error"), "ResourceNotFoundException");
    json_decref(log.body);
    free(pool);
    cr_emu_free(emu);
}

static void test_emulator_identity__faults_apply_to_identity_operations(void **state)
{
    struct cr_emu *emu = s_emu();
    char *pool = s_pool(emu, true);
    /* a rule naming an identity-side operation is accepted (and a typo is not) */
    assert_ok(cr_emu_add_faults(emu, "GetCredentialsForIdentity:throttle=1,count=1"));
    assert_int_equal(cr_emu_add_faults(emu, "GetCredentialsForIdentiy:throttle=1"), CR_EINVALID);
    struct test_emu_res g = s_call(emu, "GetId", "{\"IdentityPoolId\":\"%s\"}", pool);
    char *id = strdup(s_str(g.body, "IdentityId"));
    json_decref(g.body);
    s_expect_error(s_credentials(emu, id, NULL, NULL, NULL), "TooManyRequestsException",
                   "Rate exceeded");
    s_expect_role(emu, s_credentials(emu, id, NULL, NULL, NULL), ROLE("Guest"));
    /* an ambiguous GetId: the identity was made, the client saw a failure */
    assert_ok(cr_emu_add_faults(emu, "GetId:error=1,after=true,count=1"));
    struct test_emu_res failed = s_call(emu, "GetId", "{\"IdentityPoolId\":\"%s\"}", pool);
    assert_int_equal(failed.status, 500);
    json_decref(failed.body);
    struct test_emu_res l = s_signed(emu, "ListIdentities",
                                     "{\"IdentityPoolId\":\"%s\",\"MaxResults\":60}", pool);
    assert_int_equal(json_array_size(json_object_get(l.body, "Identities")), 2);
    json_decref(l.body);
    free(id), free(pool);
    cr_emu_free(emu);
}

/* ---- a race: the same login from many threads makes one identity ---- */

struct race {
    struct cr_emu *emu;
    const char *pool, *token;
    char ids[25][64];
};

static void *s_racer(void *arg)
{
    struct race *r = arg;
    for (int i = 0; i < 25; i++) {
        char body[8192];
        snprintf(body, sizeof(body), "{\"IdentityPoolId\":\"%s\",\"Logins\":{\"" UP "\":\"%s\"}}",
                 r->pool, r->token);
        struct test_emu_res res = test_emu_call(r->emu, "GetId", body, strlen(body), NULL);
        snprintf(r->ids[i], sizeof(r->ids[i]), "%s", s_str(res.body, "IdentityId"));
        json_decref(res.body);
    }
    return NULL;
}

static void test_emulator_identity__concurrent_get_id_makes_one_identity(void **state)
{
    struct cr_emu *emu = s_emu();
    char *pool = s_pool(emu, false);
    char *tok = s_user_token(emu, "racer", "");
    struct race races[6];
    pthread_t threads[6];
    for (int t = 0; t < 6; t++) {
        races[t] = (struct race){.emu = emu, .pool = pool, .token = tok};
        assert_int_equal(pthread_create(&threads[t], NULL, s_racer, &races[t]), 0);
    }
    for (int t = 0; t < 6; t++)
        pthread_join(threads[t], NULL);
    for (int t = 0; t < 6; t++)
        for (int i = 0; i < 25; i++)
            assert_string_equal(races[t].ids[i], races[0].ids[0]);
    struct test_emu_res l = s_signed(emu, "ListIdentities",
                                     "{\"IdentityPoolId\":\"%s\",\"MaxResults\":60}", pool);
    assert_int_equal(json_array_size(json_object_get(l.body, "Identities")), 1);
    json_decref(l.body);
    free(tok), free(pool);
    cr_emu_free(emu);
}

static int s_setup(void **state)
{
    struct cr_emu *emu = NULL;
    struct cr_emu_options opts = {0};
    if (cr_test_tmpdir_setup(state) != 0 || cr_emu_new(&emu, &opts) != 0)
        return -1;
    struct test_emu_res r = s_raw(emu, "GET", "/_local/jwks", "", NULL); /* makes both keys */
    json_decref(r.body);
    s_signing_keys = json_deep_copy(json_object_get(emu->state, "signing_keys"));
    cr_emu_free(emu);
    return r.status == 200 && json_object_size(s_signing_keys) == 2 ? 0 : -1;
}

static int s_teardown(void **state)
{
    json_decref(s_signing_keys);
    return cr_test_tmpdir_teardown(state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_emulator_identity__unauthenticated_identities),
        cmocka_unit_test(test_emulator_identity__same_login_same_identity),
        cmocka_unit_test(test_emulator_identity__several_logins_link),
        cmocka_unit_test(test_emulator_identity__login_tokens_are_checked),
        cmocka_unit_test(test_emulator_identity__roles_by_resolution),
        cmocka_unit_test(test_emulator_identity__principal_tags_travel_with_credentials),
        cmocka_unit_test(test_emulator_identity__guest_signs_in_and_merges),
        cmocka_unit_test(test_emulator_identity__classic_flow),
        cmocka_unit_test(test_emulator_identity__developer_identities),
        cmocka_unit_test(test_emulator_identity__list_pages_describe_delete),
        cmocka_unit_test(test_emulator_identity__unlink_identity),
        cmocka_unit_test(test_emulator_identity__unsigned_operations_need_no_signature),
        cmocka_unit_test(test_emulator_identity__state_survives_restart),
        cmocka_unit_test(test_emulator_identity__idp_keys_verify_real_issuers),
        cmocka_unit_test(test_emulator_identity__requests_are_logged),
        cmocka_unit_test(test_emulator_identity__faults_apply_to_identity_operations),
        cmocka_unit_test(test_emulator_identity__concurrent_get_id_makes_one_identity),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
