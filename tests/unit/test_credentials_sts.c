/* SPDX-License-Identifier: Apache-2.0 */
/* STS answers (XML as STS sends by default, JSON when asked), errors, and the transport's
 * failure path against a closed loopback port. The live round trip runs against the
 * emulator in tests/integration/test_aws_web_identity.sh. */
#include "tests/support/cr_test.h"

#include "tests/unit/test_http_tls.h"

#include <stdlib.h>
#include <string.h>

#include "aws/sigv4.h"
#include "aws/sts.h"
#include "util/buf.h"

static const char *s_xml =
    "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
    "  <AssumeRoleWithWebIdentityResult>\n"
    "    <SubjectFromWebIdentityToken>repo:org/app:ref:refs/heads/main</"
    "SubjectFromWebIdentityToken>\n"
    "    <AssumedRoleUser>\n"
    "      <Arn>arn:aws:sts::123456789012:assumed-role/ci/gha</Arn>\n"
    "      <AssumedRoleId>AROA:gha</AssumedRoleId>\n"
    "    </AssumedRoleUser>\n"
    "    <Credentials>\n"
    "      <AccessKeyId>ASIAEXAMPLE</AccessKeyId>\n"
    "      <SecretAccessKey>wJalr/K7+MDENG&amp;x</SecretAccessKey>\n"
    "      <SessionToken>FwoGZXIvYXdzE&#65;&#x42;==</SessionToken>\n"
    "      <Expiration>2026-11-27T02:00:00Z</Expiration>\n"
    "    </Credentials>\n"
    "    <Provider>token.actions.githubusercontent.com</Provider>\n"
    "  </AssumeRoleWithWebIdentityResult>\n"
    "  <ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata>\n"
    "</AssumeRoleWithWebIdentityResponse>\n";

static void test_credentials__sts_xml_answer(void **state)
{
    struct cr_aws_credentials c;
    int64_t want = 0;
    cr_aws_credentials_init(&c);
    assert_ok(cr_sts_parse_credentials(&c, s_xml, strlen(s_xml)));
    assert_string_equal(cr_buf_cstr(&c.access_key_id), "ASIAEXAMPLE");
    assert_string_equal(cr_buf_cstr(&c.secret_access_key), "wJalr/K7+MDENG&x");
    assert_string_equal(cr_buf_cstr(&c.session_token), "FwoGZXIvYXdzEAB==");
    assert_ok(cr_sigv4_parse_date(&want, "2026-11-27T02:00:00Z"));
    assert_int_equal(c.expiration_s, want);
    cr_aws_credentials_dispose(&c);
}

static void test_credentials__sts_truncated_answers_are_rejected(void **state)
{
    /* cut inside the Credentials element, at every byte */
    const char *start = strstr(s_xml, "<Credentials>");
    const char *end = strstr(s_xml, "</Credentials>");
    for (const char *cut = start; cut < end + strlen("</Credentials>"); cut++) {
        struct cr_aws_credentials c;
        cr_aws_credentials_init(&c);
        int rc = cr_sts_parse_credentials(&c, s_xml, (size_t)(cut - s_xml));
        if (rc != CR_EINVALID)
            fail_msg("accepted an answer cut after %zu bytes", (size_t)(cut - s_xml));
        cr_aws_credentials_dispose(&c);
    }
}

static void test_credentials__sts_json_answer(void **state)
{
    const char *json =
        "{\"AssumeRoleWithWebIdentityResponse\":{\"AssumeRoleWithWebIdentityResult\":{"
        "\"Credentials\":{\"AccessKeyId\":\"ASIAJSON\",\"SecretAccessKey\":\"s\","
        "\"SessionToken\":\"t\",\"Expiration\":1.7999e9}},\"ResponseMetadata\":{}}}";
    struct cr_aws_credentials c;
    cr_aws_credentials_init(&c);
    assert_ok(cr_sts_parse_credentials(&c, json, strlen(json)));
    assert_string_equal(cr_buf_cstr(&c.access_key_id), "ASIAJSON");
    assert_int_equal(c.expiration_s, 1799900000);
    cr_aws_credentials_dispose(&c);
    const char *iso =
        "{\"AssumeRoleWithWebIdentityResponse\":{\"AssumeRoleWithWebIdentityResult\":{"
        "\"Credentials\":{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\","
        "\"SessionToken\":\"t\",\"Expiration\":\"2015-08-30T12:36:00Z\"}}}}";
    assert_ok(cr_sts_parse_credentials(&c, iso, strlen(iso)));
    assert_int_equal(c.expiration_s, 1440938160);
    cr_aws_credentials_dispose(&c);
}

static void test_credentials__sts_bad_answers(void **state)
{
    static const struct {
        const char *body, *message;
    } rows[] = {
        {"<AssumeRoleWithWebIdentityResponse/>", "no <Credentials>"},
        {"<Credentials><AccessKeyId>A</AccessKeyId></Credentials>", "no <SecretAccessKey>"},
        {"<Credentials><AccessKeyId>A</AccessKeyId><SecretAccessKey>s</SecretAccessKey>"
         "<SessionToken>t</SessionToken><Expiration>soon</Expiration></Credentials>",
         "Expiration 'soon'"},
        {"<Credentials><AccessKeyId>A&bogus;</AccessKeyId></Credentials>",
         "not well-formed XML: line 1, column 35: an entity nobody declared"},
        {"<Credentials><AccessKeyId>A</AccessKeyId><SecretAccessKey>s</SecretAccessKey>"
         "<SessionToken>t</SessionToken><Expiration>2015-08-30T12:36:00Z</Expi",
         "not well-formed XML"}, /* truncated */
        {"{\"AssumeRoleWithWebIdentityResponse\":{}}", "lacks"},
        {"{\"AssumeRoleWithWebIdentityResponse\":", "invalid JSON"},
        {"<Credentials><AccessKeyId></AccessKeyId><SecretAccessKey>s</SecretAccessKey>"
         "<SessionToken>t</SessionToken><Expiration>2015-08-30T12:36:00Z</Expiration>"
         "</Credentials>",
         "empty credentials"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct cr_aws_credentials c;
        cr_aws_credentials_init(&c);
        int rc = cr_sts_parse_credentials(&c, rows[i].body, strlen(rows[i].body));
        if (rc != CR_EINVALID || !strstr(cr_error_last(), rows[i].message))
            fail_msg("row %zu: rc %d '%s'", i, rc, cr_error_last());
        assert_null(c.secret_access_key.ptr); /* nothing half-filled is left */
        cr_aws_credentials_dispose(&c);
    }
}

/* Hostile or foreign answers to AssumeRoleWithWebIdentity, each with its exact outcome; the
 * reader itself is tested in test_aws_xml.c. */
static void test_credentials__sts_hostile_answers(void **state)
{
    static const char creds[] =
        "<Credentials><AccessKeyId>ASIA</AccessKeyId><SecretAccessKey>s</SecretAccessKey>"
        "<SessionToken>t</SessionToken><Expiration>2015-08-30T12:36:00Z</Expiration>"
        "</Credentials>";
    static const struct {
        const char *body, *message;
    } rows[] = {
        {"<!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]>"
         "<r><Credentials><AccessKeyId>&b;</AccessKeyId></Credentials></r>",
         "sts AssumeRoleWithWebIdentity: the answer is refused as XML: it has a document type "
         "declaration (<!DOCTYPE ...>), which AWS answers never have"},
        {"<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r>&x;</r>",
         "sts AssumeRoleWithWebIdentity: the answer is refused as XML: it has a document type "
         "declaration (<!DOCTYPE ...>), which AWS answers never have"},
        /* the right shape in another service's namespace */
        {"<AssumeRoleWithWebIdentityResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">"
         "<AssumeRoleWithWebIdentityResult>"
         "<Credentials><AccessKeyId>ASIA</AccessKeyId></Credentials>"
         "</AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>",
         "sts AssumeRoleWithWebIdentity: the answer has no <Credentials> element"},
        {"<r><Credentials><AccessKeyId><b>ASIA</b></AccessKeyId></Credentials></r>",
         "sts AssumeRoleWithWebIdentity: <AccessKeyId> holds elements, not text"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct cr_aws_credentials c;
        cr_aws_credentials_init(&c);
        int rc = cr_sts_parse_credentials(&c, rows[i].body, strlen(rows[i].body));
        if (rc != CR_EINVALID || strcmp(cr_error_last(), rows[i].message) != 0)
            fail_msg("row %zu: rc %d '%s'", i, rc, cr_error_last());
        assert_null(c.secret_access_key.ptr);
        cr_aws_credentials_dispose(&c);
    }
    /* CDATA and references in a secret are read as text; an element of another namespace
     * beside STS's is not taken for it */
    static const char ok[] =
        "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
        "<AssumeRoleWithWebIdentityResult><o:Credentials xmlns:o=\"urn:evil\">"
        "<o:AccessKeyId>EVIL</o:AccessKeyId></o:Credentials><Credentials>"
        "<AccessKeyId>ASIA</AccessKeyId><SecretAccessKey><![CDATA[a<b]]>&amp;c</SecretAccessKey>"
        "<SessionToken>t</SessionToken><Expiration>2015-08-30T12:36:00Z</Expiration>"
        "</Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>";
    struct cr_aws_credentials c;
    cr_aws_credentials_init(&c);
    assert_ok(cr_sts_parse_credentials(&c, ok, strlen(ok)));
    assert_string_equal(cr_buf_cstr(&c.access_key_id), "ASIA");
    assert_string_equal(cr_buf_cstr(&c.secret_access_key), "a<b&c");
    cr_aws_credentials_dispose(&c);
    assert_ok(cr_sts_parse_credentials(&c, creds, strlen(creds))); /* no namespace: fine */
    cr_aws_credentials_dispose(&c);
}

static void test_credentials__sts_account(void **state)
{
    struct cr_buf a = CR_BUF_INIT;
    const char *xml = "<GetCallerIdentityResponse><GetCallerIdentityResult>"
                      "<Arn>arn:aws:iam::123456789012:user/x</Arn><UserId>AID</UserId>"
                      "<Account>123456789012</Account></GetCallerIdentityResult>"
                      "</GetCallerIdentityResponse>";
    assert_ok(cr_sts_parse_account(&a, xml, strlen(xml)));
    assert_string_equal(cr_buf_cstr(&a), "123456789012");
    cr_buf_clear(&a);
    const char *json = "{\"GetCallerIdentityResponse\":{\"GetCallerIdentityResult\":"
                       "{\"Account\":\"210987654321\"}}}";
    assert_ok(cr_sts_parse_account(&a, json, strlen(json)));
    assert_string_equal(cr_buf_cstr(&a), "210987654321");
    cr_buf_clear(&a);
    assert_int_equal(cr_sts_parse_account(&a, "<x/>", 4), CR_EINVALID);
    assert_string_equal(cr_error_last(),
                        "sts GetCallerIdentity: the answer has no <Account> element");
    const char *other =
        "<GetCallerIdentityResponse xmlns=\"urn:other\"><GetCallerIdentityResult>"
        "<Account>666</Account></GetCallerIdentityResult></GetCallerIdentityResponse>";
    assert_int_equal(cr_sts_parse_account(&a, other, strlen(other)), CR_EINVALID);
    assert_string_equal(cr_error_last(),
                        "sts GetCallerIdentity: the answer has no <Account> element");
    assert_int_equal(a.len, 0);
    assert_int_equal(cr_sts_parse_account(&a, "{}", 2), CR_EINVALID);
    cr_buf_dispose(&a);
}

static void test_credentials__sts_errors(void **state)
{
    struct cr_buf code = CR_BUF_INIT, msg = CR_BUF_INIT;
    const char *xml = "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code>"
                      "<Message>Token &lt;expired&gt;</Message></Error><RequestId>1</RequestId>"
                      "</ErrorResponse>";
    cr_sts_parse_error(&code, &msg, xml, strlen(xml));
    assert_string_equal(cr_buf_cstr(&code), "InvalidIdentityToken");
    assert_string_equal(cr_buf_cstr(&msg), "Token <expired>");
    cr_buf_clear(&code);
    cr_buf_clear(&msg);
    const char *json = "{\"__type\":\"com.amazon#ExpiredTokenException\",\"message\":\"old\"}";
    cr_sts_parse_error(&code, &msg, json, strlen(json));
    assert_string_equal(cr_buf_cstr(&code), "ExpiredTokenException");
    assert_string_equal(cr_buf_cstr(&msg), "old");
    cr_buf_clear(&code);
    cr_buf_clear(&msg);
    cr_sts_parse_error(&code, &msg, "<html>502</html>", 16);
    assert_int_equal(code.len, 0);
    assert_int_equal(msg.len, 0);
    cr_buf_dispose(&code);
    cr_buf_dispose(&msg);
}

static void test_credentials__sts_unreachable_is_an_io_error(void **state)
{
    char url[64];
    struct cr_aws_credentials c;
    struct cr_buf account = CR_BUF_INIT;
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", s_free_port()); /* nobody listens */
    struct cr_sts_options o = {.endpoint = url, .region = "us-east-1", .timeout_ms = 2000};
    cr_aws_credentials_init(&c);
    assert_int_equal(
        cr_sts_assume_role_with_web_identity(&c, &o, "arn:aws:iam::1:role/r", "s", "secret-jwt"),
        CR_EIO);
    assert_non_null(strstr(cr_error_last(), "sts AssumeRoleWithWebIdentity http://127.0.0.1:"));
    assert_null(strstr(cr_error_last(), "secret-jwt"));
    assert_ok(cr_aws_credentials_set(&c, "AKID", "SECRET", NULL, 0));
    assert_int_equal(cr_sts_get_caller_identity(&account, &o, &c), CR_EIO);
    assert_non_null(strstr(cr_error_last(), "sts GetCallerIdentity"));
    o.endpoint = "";
    assert_int_equal(cr_sts_get_caller_identity(&account, &o, &c), CR_EINVALID);
    cr_aws_credentials_dispose(&c);
    cr_buf_dispose(&account);
}

/* STS verifies TLS like the client does and trusts AWS_CA_BUNDLE / ca_bundle the same way
 * (a private CA in front of STS). openssl s_server with a self-signed certificate plays the
 * endpoint (skipped without the openssl tool); -rev echoes lines back, which is not HTTP, so
 * a trusted attempt fails after the handshake, never with a certificate error. A certificate
 * failure is final (not retried), as in aws/http.c. */
static struct s_tls_server s_tls; /* stopped by the teardown even when an assertion fails */

static int s_stop_tls_server(void **state)
{
    s_tls_server_stop(&s_tls);
    return 0;
}

static void test_credentials__sts_verifies_tls_and_trusts_the_ca_bundle(void **state)
{
    char url[64];
    s_tls_server_start(&s_tls, 0);
    snprintf(url, sizeof(url), "https://127.0.0.1:%d", s_tls.port);
    /* Both attempts end on their own: the untrusted one at the certificate check, the trusted
     * one at once on the non-HTTP echo ("Received HTTP/0.9"), which is final, not retried. A
     * generous timeout costs nothing and keeps a loaded machine (sanitizer builds in CI) from
     * turning a slow handshake into a timeout. */
    struct cr_sts_options o = {.endpoint = url, .region = "us-east-1", .timeout_ms = 10000};
    struct cr_aws_credentials c;
    cr_aws_credentials_init(&c);
    int rc = cr_sts_assume_role_with_web_identity(&c, &o, "arn:aws:iam::1:role/r", "s", "jwt");
    print_message("untrusted: %s\n", cr_error_last());
    assert_int_equal(rc, CR_EIO);
    assert_non_null(strstr(cr_error_last(), "certificate"));
    o.ca_bundle = s_tls.cert;
    rc = cr_sts_assume_role_with_web_identity(&c, &o, "arn:aws:iam::1:role/r", "s", "jwt");
    print_message("trusted: %s\n", cr_error_last());
    assert_int_equal(rc, CR_EIO);
    assert_null(strstr(cr_error_last(), "certificate"));
    s_tls_server_stop(&s_tls);
    cr_aws_credentials_dispose(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_credentials__sts_xml_answer),
        cmocka_unit_test(test_credentials__sts_hostile_answers),
        cmocka_unit_test(test_credentials__sts_truncated_answers_are_rejected),
        cmocka_unit_test(test_credentials__sts_json_answer),
        cmocka_unit_test(test_credentials__sts_bad_answers),
        cmocka_unit_test(test_credentials__sts_account),
        cmocka_unit_test(test_credentials__sts_errors),
        cmocka_unit_test(test_credentials__sts_unreachable_is_an_io_error),
        cmocka_unit_test_teardown(test_credentials__sts_verifies_tls_and_trusts_the_ca_bundle,
                                  s_stop_tls_server),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
