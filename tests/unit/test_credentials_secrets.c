/* SPDX-License-Identifier: Apache-2.0 */
/*
 * No answer that carries credentials is ever quoted in an error message: the STS answers
 * (XML and JSON) and a credential_process helper's output, cut at every byte and mutated at
 * random (seeded: CR_TEST_SEED), are refused or accepted, but the message never holds a piece
 * of the secret key or the session token. (jansson's own messages quote the text near the
 * error: "premature end of input near '\"wJalr...'".)
 */
#include "tests/support/cr_test.h"

#include <stdlib.h>
#include <string.h>

#include "aws/cred_internal.h"
#include "aws/sts.h"
#include "util/buf.h"

#define S_SECRET "wJalrXUtnFEMIK7MDENGbPxRfiCYzSECRETKEY9"
#define S_TOKEN  "FwoGZXIvYXdzEBcaDHRva2VuZm9ydGVzdGluZw"

/* The shortest piece of a secret that counts as leaked. */
#define S_PIECE 5

typedef int s_parse_fn(struct cr_aws_credentials *out, const char *text, size_t len);

static int s_sts(struct cr_aws_credentials *out, const char *text, size_t len)
{
    return cr_sts_parse_credentials(out, text, len);
}

static const struct {
    const char *name;
    s_parse_fn *parse;
    const char *answer;
} s_answers[] = {
    {"sts xml", s_sts,
     "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult>"
     "<Credentials><AccessKeyId>ASIAEXAMPLE</AccessKeyId>"
     "<SecretAccessKey>" S_SECRET "</SecretAccessKey>"
     "<SessionToken>" S_TOKEN "</SessionToken>"
     "<Expiration>2026-11-27T02:00:00Z</Expiration></Credentials>"
     "</AssumeRoleResult></AssumeRoleResponse>"},
    {"sts json", s_sts,
     "{\"AssumeRoleResponse\":{\"AssumeRoleResult\":{\"Credentials\":{"
     "\"AccessKeyId\":\"ASIAEXAMPLE\",\"SecretAccessKey\":\"" S_SECRET "\","
     "\"SessionToken\":\"" S_TOKEN "\",\"Expiration\":\"2026-11-27T02:00:00Z\"}}}}"},
    {"credential_process", cr_aws__process_parse,
     "{\"Version\": 1, \"AccessKeyId\": \"ASIAEXAMPLE\", \"SecretAccessKey\": \"" S_SECRET
     "\", \"SessionToken\": \"" S_TOKEN "\", \"Expiration\": \"2026-11-27T02:00:00Z\"}"},
};

/* Fails when message holds S_PIECE consecutive characters of secret. */
static void s_expect_no_piece(const char *message, const char *secret, const char *what)
{
    size_t n = strlen(secret);
    for (size_t i = 0; i + S_PIECE <= n; i++) {
        const char *hit = message;
        while ((hit = strchr(hit, secret[i])) != NULL) {
            if (strncmp(hit, secret + i, S_PIECE) == 0)
                fail_msg("%s: the message quotes the secret: %s", what, message);
            hit++;
        }
    }
}

/* Parses text and checks the outcome: either credentials, or a message without secrets. */
static void s_check(size_t a, const char *text, size_t len, const char *what)
{
    struct cr_aws_credentials c;
    cr_aws_credentials_init(&c);
    cr_error_set("(no message)");
    int rc = s_answers[a].parse(&c, text, len);
    if (rc < 0) {
        s_expect_no_piece(cr_error_last(), S_SECRET, what);
        s_expect_no_piece(cr_error_last(), S_TOKEN, what);
        assert_null(c.secret_access_key.ptr);
    }
    cr_aws_credentials_dispose(&c);
}

static void test_secrets__answers_cut_at_every_byte(void **state)
{
    (void)state;
    char what[128];
    for (size_t a = 0; a < sizeof(s_answers) / sizeof(s_answers[0]); a++) {
        const char *text = s_answers[a].answer;
        for (size_t cut = 0; cut < strlen(text); cut++) {
            snprintf(what, sizeof(what), "%s cut after %zu bytes", s_answers[a].name, cut);
            s_check(a, text, cut, what);
        }
    }
}

/* Bytes that break the syntax of JSON or XML in different ways. */
static const char s_breakers[] = {'"', '\\', '\n', '\t', '<', '>', '&',  '{',    '}',
                                  ',', ':',  ']',  '\0', 'x', ' ', '\'', '\x80', '\x01'};

static void test_secrets__mutated_answers_property(void **state)
{
    (void)state;
    const char *env = getenv("CR_TEST_SEED");
    uint32_t base = env ? (uint32_t)strtoul(env, NULL, 10) : 20261206u;
    char what[160];
    for (size_t a = 0; a < sizeof(s_answers) / sizeof(s_answers[0]); a++) {
        size_t len = strlen(s_answers[a].answer);
        for (uint32_t round = 0; round < 2000; round++) {
            uint32_t seed = base + round * 7919u + (uint32_t)a * 104729u;
            uint32_t case_seed = seed ? seed : 1;
            seed = case_seed;
            char *text = malloc(len);
            assert_non_null(text);
            memcpy(text, s_answers[a].answer, len);
            /* one to three bytes replaced, sometimes the text cut too */
            unsigned edits = 1 + cr_test_random(&seed) % 3;
            for (unsigned e = 0; e < edits; e++)
                text[cr_test_random(&seed) % len] =
                    s_breakers[cr_test_random(&seed) % sizeof(s_breakers)];
            size_t used = cr_test_random(&seed) % 4 == 0 ? cr_test_random(&seed) % len : len;
            snprintf(what, sizeof(what), "%s, seed %u (CR_TEST_SEED=%u, round %u)",
                     s_answers[a].name, case_seed, base, round);
            s_check(a, text, used, what);
            free(text);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_secrets__answers_cut_at_every_byte),
        cmocka_unit_test(test_secrets__mutated_answers_property),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
