/* SPDX-License-Identifier: Apache-2.0 */
/* watch/: the pieces that need no remote and no AWS (the loop itself is exercised end to end
 * by tests/integration/test_watch_*.sh): listen addresses, URL redaction, the default cache
 * folder, and the metrics text of a controller that ran no cycle. */
#include "tests/support/cr_test.h"

#include <stdlib.h>
#include <string.h>

#include "aws/stats.h"
#include "watch/internal.h"

static void test_watch__parse_listen(void **state)
{
    (void)state;
    char host[64];
    unsigned port = 1;
    assert_ok(cr_watch__parse_listen(host, sizeof(host), &port, "127.0.0.1:9464"));
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 9464);
    assert_ok(cr_watch__parse_listen(host, sizeof(host), &port, "[::1]:0"));
    assert_string_equal(host, "::1");
    assert_int_equal(port, 0);
    static const char *const bad[] = {"9464", ":9464", "127.0.0.1:", "127.0.0.1:x",
                                      "127.0.0.1:70000", "127.0.0.1:94 64"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(cr_watch__parse_listen(host, sizeof(host), &port, bad[i]), CR_EINVALID);
        assert_non_null(strstr(cr_error_last(), "expected HOST:PORT"));
    }
}

static void test_watch__redacts_credentials_in_urls(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"https://user:s3cret@git.example.com/a/b.git", "https://git.example.com/a/b.git"},
        {"https://git.example.com/a@b.git", "https://git.example.com/a@b.git"},
        {"git@github.com:org/repo.git", "git@github.com:org/repo.git"},
        {"file:///srv/repo.git", "file:///srv/repo.git"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cr_buf out = CR_BUF_INIT;
        assert_ok(cr_watch_redact_url(&out, cases[i][0]));
        assert_string_equal(out.ptr, cases[i][1]);
        cr_buf_dispose(&out);
    }
}

static void test_watch__default_cache_dir(void **state)
{
    (void)state;
    struct cr_buf a = CR_BUF_INIT, b = CR_BUF_INIT;
    setenv("XDG_CACHE_HOME", "/var/cache/x", 1);
    assert_ok(cr_watch_default_cache_dir(&a, "https://tok@git.example.com/platform/id.git"));
    assert_ok(cr_watch_default_cache_dir(&b, "https://git.example.com/platform/other.git"));
    assert_non_null(strstr(a.ptr, "/var/cache/x/cognito-reconcile/git/git.example.com_platform_id.git-"));
    assert_null(strstr(a.ptr, "tok")); /* no credential in a folder name */
    assert_string_not_equal(a.ptr, b.ptr);
    cr_buf_dispose(&a);
    cr_buf_dispose(&b);
    unsetenv("XDG_CACHE_HOME");
}

/* Every sample line belongs to a family announced by HELP and TYPE before it; the AWS counts
 * recorded by the request path show up with their labels. */
static void test_watch__metrics_text_is_well_formed(void **state)
{
    (void)state;
    struct cr_watch *w = NULL;
    struct cr_watch_settings st = {.remote = {.url = "file:///r.git", .branch = "main",
                                              .cache_dir = "/nonexistent"}};
    cr_aws__stats_reset();
    cr_aws_stats_record("ListIdentityPools", 200, false);
    cr_aws_stats_record("ListIdentityPools", 400, true);
    cr_aws_stats_record("say \"hi\"", 0, false);
    assert_ok(cr_watch_new(&w, &st, NULL, NULL, NULL));
    struct cr_buf out = CR_BUF_INIT;
    assert_ok(cr_watch_metrics_text(&out, w));
    char *text = strdup(out.ptr);
    char family[128] = "";
    for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        if (strncmp(line, "# HELP ", 7) == 0) {
            snprintf(family, sizeof(family), "%.*s", (int)strcspn(line + 7, " "), line + 7);
            continue;
        }
        if (strncmp(line, "# TYPE ", 7) == 0) {
            assert_int_equal(strncmp(line + 7, family, strlen(family)), 0);
            continue;
        }
        if (strncmp(line, family, strlen(family)) != 0)
            fail_msg("sample outside its family %s: %s", family, line);
    }
    free(text);
    assert_non_null(strstr(out.ptr, "cognito_reconcile_aws_requests_total{operation=\"ListIdentityPools\",status=\"400\"} 1\n"));
    assert_non_null(strstr(out.ptr, "cognito_reconcile_aws_throttles_total{operation=\"ListIdentityPools\"} 1\n"));
    assert_non_null(strstr(out.ptr, "operation=\"say \\\"hi\\\"\",status=\"0\"} 1\n"));
    assert_non_null(strstr(out.ptr, "cognito_reconcile_watch_cycle_duration_seconds_bucket{le=\"+Inf\"} 0\n"));
    assert_non_null(strstr(out.ptr, "cognito_reconcile_watch_ready 0\n"));
    cr_buf_dispose(&out);
    assert_ok(cr_watch_status_json(&out, w));
    assert_non_null(strstr(out.ptr, "\"last_cycle\": null"));
    cr_buf_dispose(&out);
    cr_watch_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_watch__parse_listen),
        cmocka_unit_test(test_watch__redacts_credentials_in_urls),
        cmocka_unit_test(test_watch__default_cache_dir),
        cmocka_unit_test(test_watch__metrics_text_is_well_formed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
