/* SPDX-License-Identifier: Apache-2.0 */
/* aws/redact: secrets never reach --debug output. */
#include "tests/support/cr_test.h"

#include <string.h>

#include "aws/redact.h"

static const char *s_redact(struct cr_buf *b, const char *text)
{
    cr_buf_clear(b);
    assert_ok(cr_redact_text(b, text, strlen(text)));
    return cr_buf_cstr(b);
}

static void test_redact__secret_headers(void **state)
{
    (void)state;
    struct cr_buf b = CR_BUF_INIT;
    assert_true(cr_redact_header_is_secret("Authorization"));
    assert_true(cr_redact_header_is_secret("x-amz-security-token"));
    assert_true(cr_redact_header_is_secret("X-AMZ-SECURITY-TOKEN"));
    assert_true(cr_redact_header_is_secret("Cookie"));
    assert_false(cr_redact_header_is_secret("X-Amz-Target"));
    /* the tokens of the credential chain's unsigned calls: the SSO portal, IMDSv2 */
    assert_true(cr_redact_header_is_secret("x-amz-sso_bearer_token"));
    assert_true(cr_redact_header_is_secret("X-aws-ec2-metadata-token"));
    assert_false(cr_redact_header_is_secret("X-aws-ec2-metadata-token-ttl-seconds"));
    assert_ok(cr_redact_header(&b, "Authorization",
                               "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/"
                               "service/aws4_request, SignedHeaders=host;x-amz-date, Signature="
                               "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"));
    assert_string_equal(b.ptr, "Authorization: [redacted]");
    cr_buf_clear(&b);
    assert_ok(cr_redact_header(&b, "X-Amz-Security-Token", "IQoJb3JpZ2luX2VjEMySECRETTOKEN"));
    assert_string_equal(b.ptr, "X-Amz-Security-Token: [redacted]");
    cr_buf_clear(&b);
    assert_ok(cr_redact_header(&b, "X-Amz-Target", "AWSCognitoIdentityService.TagResource"));
    assert_string_equal(b.ptr, "X-Amz-Target: AWSCognitoIdentityService.TagResource");
    cr_buf_dispose(&b);
}

static void test_redact__secret_parameters_in_text(void **state)
{
    (void)state;
    struct cr_buf b = CR_BUF_INIT;
    assert_string_equal(
        s_redact(&b, "GET /?X-Amz-Credential=AKID%2F2015&X-Amz-Signature=abcdef0123&x=1"),
        "GET /?X-Amz-Credential=[redacted]&X-Amz-Signature=[redacted]&x=1");
    assert_string_equal(
        s_redact(&b, "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/s/aws4_request, "
                     "SignedHeaders=host, Signature=deadbeef"),
        "AWS4-HMAC-SHA256 Credential=[redacted], SignedHeaders=host, Signature=[redacted]");
    assert_string_equal(s_redact(&b, "{\"SecretAccessKey\": \"wJalrXUtnFEMI\", \"SessionToken\":"
                                     "\"tok\",\"Token\":\"t2\",\"AccessKeyId\":\"AKID\"}"),
                        "{\"SecretAccessKey\": \"[redacted]\", \"SessionToken\":\"[redacted]\","
                        "\"Token\":\"[redacted]\",\"AccessKeyId\":\"AKID\"}");
    assert_string_equal(s_redact(&b, "aws_secret_access_key = wJalr\naws_session_token=abc\n"),
                        "aws_secret_access_key = [redacted]\naws_session_token=[redacted]\n");
    /* words that merely contain a key are left alone */
    assert_string_equal(s_redact(&b, "SignatureDoesNotMatch: the signature we calculated"),
                        "SignatureDoesNotMatch: the signature we calculated");
    assert_string_equal(s_redact(&b, "nothing secret here"), "nothing secret here");
    /* the same tokens quoted in text: a header echoed in a message, an SSO cache or answer */
    assert_string_equal(s_redact(&b, "x-amz-sso_bearer_token: aoaTOKEN rest"),
                        "x-amz-sso_bearer_token: [redacted] rest");
    assert_string_equal(s_redact(&b, "X-aws-ec2-metadata-token: AQAEA== rest"),
                        "X-aws-ec2-metadata-token: [redacted] rest");
    assert_string_equal(s_redact(&b, "{\"accessToken\": \"aoaSSO\", \"region\": \"x\"}"),
                        "{\"accessToken\": \"[redacted]\", \"region\": \"x\"}");
    assert_string_equal(s_redact(&b, "Signature="), "Signature=[redacted]");
    cr_buf_dispose(&b);
}

static void test_redact__web_identity_token(void **state)
{
    (void)state;
    struct cr_buf b = CR_BUF_INIT;
    /* the STS form body and its JSON flavour carry the OIDC token */
    assert_string_equal(s_redact(&b, "Action=AssumeRoleWithWebIdentity&RoleArn=arn%3Aaws&"
                                     "WebIdentityToken=eyJhbGciOi.eyJzdWIi.c2ln&Version=2011"),
                        "Action=AssumeRoleWithWebIdentity&RoleArn=arn%3Aaws&"
                        "WebIdentityToken=[redacted]&Version=2011");
    assert_string_equal(s_redact(&b, "{\"RoleArn\":\"r\",\"WebIdentityToken\":\"eyJ.x.y\"}"),
                        "{\"RoleArn\":\"r\",\"WebIdentityToken\":\"[redacted]\"}");
    /* the file name setting is not the token */
    assert_string_equal(s_redact(&b, "web_identity_token_file = /var/run/token"),
                        "web_identity_token_file = /var/run/token");
    cr_buf_dispose(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_redact__secret_headers),
        cmocka_unit_test(test_redact__secret_parameters_in_text),
        cmocka_unit_test(test_redact__web_identity_token),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
