/* SPDX-License-Identifier: Apache-2.0 */
/*
 * credential_process: the command line split as a POSIX shell would (examples, and a seeded
 * round trip: random argv -> quoted -> split), the helper's JSON, real helpers run through
 * /bin/sh scripts (success, Expiration, a non-zero exit with its stderr, a hang killed at the
 * deadline, a missing program, output past the cap), and the time formats the sources write.
 */
#include "tests/support/cr_test.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "aws/cred_internal.h"
#include "util/buf.h"

/* ---- splitting ---- */

static void s_expect_split(const char *command, const char *const *want)
{
    char **argv = NULL;
    assert_ok(cr_aws__process_split(&argv, command));
    size_t i = 0;
    for (; want[i]; i++) {
        if (!argv[i])
            fail_msg("'%s': word %zu missing (want '%s')", command, i, want[i]);
        assert_string_equal(argv[i], want[i]);
    }
    assert_null(argv[i]);
    cr_aws__argv_free(argv);
}

static void test_process__split_examples(void **state)
{
    (void)state;
    s_expect_split("helper", (const char *[]){"helper", NULL});
    s_expect_split("  /usr/bin/aws-vault  export  --format=json prod ",
                   (const char *[]){"/usr/bin/aws-vault", "export", "--format=json", "prod", NULL});
    /* single quotes keep everything, double quotes all but \" and \\ */
    s_expect_split("h 'a b' \"c \\\"d\\\" \\n\" e\\ f",
                   (const char *[]){"h", "a b", "c \"d\" \\n", "e f", NULL});
    /* quotes join with the letters around them; empty quotes are an empty word */
    s_expect_split("h pre'fix'\"suf\" ''", (const char *[]){"h", "prefixsuf", "", NULL});
    /* no expansion of any kind */
    s_expect_split("h $HOME ~ * `id` $(id)",
                   (const char *[]){"h", "$HOME", "~", "*", "`id`", "$(id)", NULL});
}

static void test_process__split_errors(void **state)
{
    (void)state;
    char **argv = NULL;
    assert_int_equal(cr_aws__process_split(&argv, "helper 'open"), CR_EINVALID);
    assert_string_equal(cr_error_last(), "credential_process: unterminated single quote in the "
                                         "command");
    assert_int_equal(cr_aws__process_split(&argv, "helper \"open"), CR_EINVALID);
    assert_int_equal(cr_aws__process_split(&argv, "   "), CR_EINVALID);
    assert_string_equal(cr_error_last(), "credential_process: the command is empty");
    assert_null(argv);
}

/* Quotes one word so that a POSIX shell reads it back unchanged, in one of three styles. */
static void s_quote(struct cr_buf *out, const char *word, unsigned style)
{
    if (style == 0) { /* '...' with ' written as '\'' */
        cr_buf_putc(out, '\'');
        for (const char *p = word; *p; p++)
            cr_buf_puts(out, *p == '\'' ? "'\\''" : (char[]){*p, 0});
        cr_buf_putc(out, '\'');
    } else if (style == 1) { /* "..." with " and \ escaped */
        cr_buf_putc(out, '"');
        for (const char *p = word; *p; p++) {
            if (*p == '"' || *p == '\\')
                cr_buf_putc(out, '\\');
            cr_buf_putc(out, *p);
        }
        cr_buf_putc(out, '"');
    } else { /* every character backslash-escaped (an empty word needs quotes) */
        if (!*word)
            cr_buf_puts(out, "''");
        for (const char *p = word; *p; p++) {
            cr_buf_putc(out, '\\');
            cr_buf_putc(out, *p);
        }
    }
}

static void test_process__split_round_trip_property(void **state)
{
    (void)state;
    static const char alphabet[] = "ab Z09-_=/.\\'\"$`*~#;&|<>()\t";
    uint32_t seed = 0x5eed1234;
    for (int run = 0; run < 2000; run++) {
        char words[6][16];
        size_t n = 1 + cr_test_random(&seed) % 5;
        struct cr_buf cmd = CR_BUF_INIT;
        for (size_t i = 0; i < n; i++) {
            size_t len = cr_test_random(&seed) % 12;
            for (size_t j = 0; j < len; j++)
                words[i][j] = alphabet[cr_test_random(&seed) % (sizeof(alphabet) - 1)];
            words[i][len] = '\0';
            cr_buf_puts(&cmd, i ? " " : "");
            cr_buf_puts(&cmd, cr_test_random(&seed) % 2 ? "  " : "");
            s_quote(&cmd, words[i], cr_test_random(&seed) % 3);
        }
        char **argv = NULL;
        if (cr_aws__process_split(&argv, cr_buf_cstr(&cmd)) != 0)
            fail_msg("seed 0x5eed1234 run %d: '%s' refused: %s", run, cr_buf_cstr(&cmd),
                     cr_error_last());
        for (size_t i = 0; i < n; i++) {
            if (!argv[i] || strcmp(argv[i], words[i]) != 0)
                fail_msg("seed 0x5eed1234 run %d: '%s': word %zu is '%s', want '%s'", run,
                         cr_buf_cstr(&cmd), i, argv[i] ? argv[i] : "(none)", words[i]);
        }
        assert_null(argv[n]);
        cr_aws__argv_free(argv);
        cr_buf_dispose(&cmd);
    }
}

/* ---- the helper's JSON ---- */

static void test_process__parse(void **state)
{
    (void)state;
    struct cr_aws_credentials c;
    const char *full = "{\"Version\": 1, \"AccessKeyId\": \"ASIAPROC\", \"SecretAccessKey\": "
                       "\"s3cr3t\", \"SessionToken\": \"tok\", \"Expiration\": "
                       "\"2026-11-27T02:00:00Z\"}";
    const char *plain = "{\"Version\": 1, \"AccessKeyId\": \"AKIAPROC\", \"SecretAccessKey\": "
                        "\"s\"}";
    cr_aws_credentials_init(&c);
    assert_ok(cr_aws__process_parse(&c, full, strlen(full)));
    assert_string_equal(cr_buf_cstr(&c.access_key_id), "ASIAPROC");
    assert_string_equal(cr_buf_cstr(&c.session_token), "tok");
    assert_int_equal(c.expiration_s, 1795744800);
    cr_aws_credentials_dispose(&c);
    assert_ok(cr_aws__process_parse(&c, plain, strlen(plain)));
    assert_false(cr_aws_credentials_temporary(&c));
    assert_int_equal(c.expiration_s, 0); /* long-term keys: never refreshed */
    cr_aws_credentials_dispose(&c);

    static const struct {
        const char *text, *message;
    } bad[] = {
        {"not json s3cr3t", "the helper's output is not JSON (line 1:"},
        {"{\"AccessKeyId\": \"A\", \"SecretAccessKey\": \"s3cr3t\"}", "has no \"Version\""},
        {"{\"Version\": 2, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"s3cr3t\"}",
         "only \"Version\": 1 is supported"},
        {"{\"Version\": \"1\", \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"s3cr3t\"}",
         "only \"Version\": 1 is supported"},
        {"{\"Version\": 1, \"SecretAccessKey\": \"s3cr3t\"}", "has no AccessKeyId"},
        {"{\"Version\": 1, \"AccessKeyId\": \"A\"}", "has no SecretAccessKey"},
        {"{\"Version\": 1, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"s3cr3t\", "
         "\"Expiration\": \"tomorrow\"}",
         "Expiration is not an ISO 8601 time"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_aws_credentials_init(&c);
        int rc = cr_aws__process_parse(&c, bad[i].text, strlen(bad[i].text));
        if (rc != CR_EAUTH || !strstr(cr_error_last(), bad[i].message))
            fail_msg("case %zu: rc %d, '%s'", i, rc, cr_error_last());
        /* the secret never appears in a message */
        assert_null(strstr(cr_error_last(), "s3cr3t"));
        cr_aws_credentials_dispose(&c);
    }
}

/* ---- real helpers ---- */

/* Writes a /bin/sh helper script named name in the test folder; returns its path. */
static const char *s_helper(const char *name, const char *body)
{
    const char *path = cr_test_tmp_path(name);
    struct cr_buf text = CR_BUF_INIT;
    cr_buf_printf(&text, "#!/bin/sh\n%s\n", body);
    assert_int_equal(cr_test_write_file(path, cr_buf_cstr(&text)), 0);
    assert_int_equal(chmod(path, 0755), 0);
    cr_buf_dispose(&text);
    return path;
}

static void test_process__runs_the_helper(void **state)
{
    (void)state;
    struct cr_aws_credentials c;
    struct cr_buf cmd = CR_BUF_INIT;
    /* the arguments arrive as words, quotes removed */
    const char *path = s_helper("ok.sh", "printf '{\"Version\":1,\"AccessKeyId\":\"%s\","
                                         "\"SecretAccessKey\":\"s\",\"SessionToken\":\"t\","
                                         "\"Expiration\":\"2030-01-01T00:00:00+01:00\"}' \"$2\"");
    cr_buf_printf(&cmd, "%s --profile 'ASIA WITH SPACE'", path);
    cr_aws_credentials_init(&c);
    assert_ok(cr_aws__process_fetch(&c, cr_buf_cstr(&cmd), 10000));
    assert_string_equal(cr_buf_cstr(&c.access_key_id), "ASIA WITH SPACE");
    assert_int_equal(c.expiration_s, 1893452400);
    cr_aws_credentials_dispose(&c);
    cr_buf_dispose(&cmd);
}

static void test_process__failures_say_why(void **state)
{
    (void)state;
    struct cr_aws_credentials c;
    cr_aws_credentials_init(&c);
    /* a non-zero exit: its stderr, on one line */
    const char *path = s_helper("fail.sh", "echo 'token for sso expired:' >&2\n"
                                           "echo 'run vault login' >&2\nexit 3");
    assert_int_equal(cr_aws__process_fetch(&c, path, 10000), CR_EAUTH);
    assert_non_null(strstr(cr_error_last(), "exited with status 3: token for sso expired: run "
                                            "vault login"));
    /* a hung helper is killed at the deadline (the deadline is the test's to choose) */
    path = s_helper("hang.sh", "exec sleep 30");
    assert_int_equal(cr_aws__process_fetch(&c, path, 300), CR_ETIMEOUT);
    assert_non_null(strstr(cr_error_last(), "did not finish within 300 ms and was killed"));
    /* a program that does not exist */
    assert_int_equal(cr_aws__process_fetch(&c, "/nonexistent/helper --x", 10000), CR_EAUTH);
    assert_string_equal(cr_error_last(), "credential_process: cannot run '/nonexistent/helper': "
                                         "No such file or directory");
    /* output past the cap is refused, the helper still reaped */
    path = s_helper("big.sh", "head -c 200000 /dev/zero | tr '\\0' x");
    assert_int_equal(cr_aws__process_fetch(&c, path, 10000), CR_EAUTH);
    assert_non_null(strstr(cr_error_last(), "wrote more than 65536 bytes"));
    /* a secret-looking stderr is redacted */
    path = s_helper("leak.sh", "echo 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG' >&2; "
                               "exit 1");
    assert_int_equal(cr_aws__process_fetch(&c, path, 10000), CR_EAUTH);
    assert_null(strstr(cr_error_last(), "wJalrXUtnFEMI"));
    /* so is a bare key or token (a run of 40 or more base64 characters), but not the words
     * around it; stdout (the credentials) is never shown */
    path = s_helper("bare.sh", "echo '{\"SecretAccessKey\": \"abc' ; "
                               "echo 'refused key wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY=, "
                               "path /usr/lib/x' >&2; exit 2");
    assert_int_equal(cr_aws__process_fetch(&c, path, 10000), CR_EAUTH);
    assert_non_null(strstr(cr_error_last(), "exited with status 2: refused key [redacted], "
                                            "path /usr/lib/x"));
    assert_null(strstr(cr_error_last(), "wJalrXUtnFEMI"));
    assert_null(strstr(cr_error_last(), "abc"));
    assert_null(c.access_key_id.ptr);
}

/* ---- times ---- */

static void test_process__times(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int64_t want;
    } ok[] = {
        {"2026-11-27T02:00:00Z", 1795744800},
        {"2026-11-27T02:00:00.123456Z", 1795744800},
        {"2026-11-27T03:30:00+01:30", 1795744800},
        {"2026-11-26T22:00:00-0400", 1795744800},
        {"2026-11-27T02:00:00UTC", 1795744800}, /* older AWS CLIs' SSO caches */
        {"2026-11-27 02:00:00z", 1795744800},
        {"1970-01-01T00:00:00Z", 0},
        {"2000-02-29T12:00:00Z", 951825600},
    };
    static const char *const bad[] = {"2026-11-27T02:00:00", "2026-13-01T00:00:00Z",
                                      "2026-11-27", "27/11/2026 02:00", "2026-11-27T02:00Z",
                                      "2026-11-27T02:00:00Zjunk", ""};
    int64_t t = 0;
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        if (cr_aws__parse_time(&t, ok[i].text) != 0 || t != ok[i].want)
            fail_msg("'%s': got %lld, want %lld", ok[i].text, (long long)t,
                     (long long)ok[i].want);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (cr_aws__parse_time(&t, bad[i]) != CR_EINVALID)
            fail_msg("'%s' accepted", bad[i]);
    }
    /* property: every second of four centuries formats and parses back (gmtime as model) */
    uint32_t seed = 0xa11ce;
    for (int run = 0; run < 5000; run++) {
        uint64_t r = (uint64_t)cr_test_random(&seed) << 32 | cr_test_random(&seed);
        int64_t want = (int64_t)(r % 12622780800u) - 946684800; /* 1940 to 2340 */
        time_t tt = (time_t)want;
        struct tm tm;
        char text[64];
        gmtime_r(&tt, &tm);
        strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
        if (tm.tm_year < -900 || tm.tm_year > 8099)
            continue;
        if (cr_aws__parse_time(&t, text) != 0 || t != want)
            fail_msg("seed 0xa11ce run %d: '%s' -> %lld, want %lld", run, text, (long long)t,
                     (long long)want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_process__split_examples),
        cmocka_unit_test(test_process__split_errors),
        cmocka_unit_test(test_process__split_round_trip_property),
        cmocka_unit_test(test_process__parse),
        cmocka_unit_test(test_process__runs_the_helper),
        cmocka_unit_test(test_process__failures_say_why),
        cmocka_unit_test(test_process__times),
    };
    return cmocka_run_group_tests(tests, cr_test_tmpdir_setup, cr_test_tmpdir_teardown);
}
