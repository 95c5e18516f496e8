/* SPDX-License-Identifier: Apache-2.0 */
/* The cognito-identity-local executable: flags, start-up failures, signals. */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "tests/support/cr_test.h"
#include "tests/support/emulator_proc.h"

/* Runs the binary with args (shell words), returns its exit status; output to out_path. */
static int s_run(const char *args, const char *out_path)
{
    char cmd[8192];
    const char *dir = getenv("CR_BIN_DIR");
    snprintf(cmd, sizeof(cmd), "%s/cognito-identity-local %s >%s 2>&1 </dev/null",
             dir && dir[0] ? dir : CR_BIN_DIR, args, out_path);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *s_read(const char *path)
{
    struct cr_buf b = CR_BUF_INIT;
    assert_ok(cr_buf_read_file(&b, path, 1 << 20));
    return cr_buf_detach(&b);
}

static void s_expect_start_failure(const char *const *args, const char *fragment)
{
    struct cr_emu_proc emu;
    const char *log = cr_test_tmp_path("fail.log");
    assert_int_not_equal(cr_emu_proc_start_logged(&emu, args, log), 0);
    assert_non_null(strstr(cr_error_last(), "exit status 1"));
    char *text = s_read(log);
    if (!strstr(text, fragment))
        fail_msg("stderr lacks '%s':\n%s", fragment, text);
    free(text);
}

static void test_emulator__cli_help_and_bad_flags(void **state)
{
    const char *out = cr_test_tmp_path("help.out");
    assert_int_equal(s_run("--help", out), 0);
    char *text = s_read(out);
    assert_non_null(strstr(text, "usage: cognito-identity-local"));
    assert_non_null(strstr(text, "--credentials FILE"));
    free(text);
    assert_int_equal(s_run("--bogus", out), 1);
    assert_int_equal(s_run("--port 70000", out), 1);
    text = s_read(out);
    assert_non_null(strstr(text, "--port '70000'"));
    free(text);
    assert_int_equal(s_run("--max-pools 0", out), 1);
    text = s_read(out);
    assert_non_null(strstr(text, "--max-pools '0': expected a number 1..1000000"));
    free(text);
    assert_int_equal(s_run("--threads 0", out), 1);
    assert_int_equal(s_run("extra", out), 1);
}

static void test_emulator__cli_start_failures(void **state)
{
    const char *creds = cr_test_tmp_path("bad-keys");
    assert_int_equal(cr_test_write_file(creds, "AKID only-secret 12345\n"), 0);
    const char *a1[] = {"--credentials", creds, NULL};
    s_expect_start_failure(a1, "bad-keys:1: expected ACCESS_KEY_ID SECRET_ACCESS_KEY");
    const char *a2[] = {"--fault", "DescribeIdentityPool:throttle=7", NULL};
    s_expect_start_failure(a2, "rate must be between 0 and 1");
    const char *a3[] = {"--host", "localhost-ish", NULL};
    s_expect_start_failure(a3, "not an IPv4 or IPv6 address");
    const char *a5[] = {"--region", "bad region!", NULL};
    s_expect_start_failure(a5, "--region 'bad region!': not a region name");
    const char *a6[] = {"--account-id", "12", NULL};
    s_expect_start_failure(a6, "--account-id '12': expected 12 digits");
    const char *a4[] = {"--state", "/nonexistent-dir/x/state.json", NULL};
    s_expect_start_failure(a4, "/nonexistent-dir/x/state.json");

    /* a port in use */
    struct cr_emu_proc first;
    assert_ok(cr_emu_proc_start(&first, NULL));
    char port[16];
    snprintf(port, sizeof(port), "%u", first.port);
    const char *out = cr_test_tmp_path("busy.out");
    char args[64];
    snprintf(args, sizeof(args), "--port %s", port);
    assert_int_equal(s_run(args, out), 1);
    char *text = s_read(out);
    assert_non_null(strstr(text, "cannot listen on 127.0.0.1 port"));
    free(text);
    assert_int_equal(cr_emu_proc_stop(&first), 0); /* SIGTERM: clean exit 0 */
}

static void test_emulator__cli_fault_flags_and_control(void **state)
{
    struct cr_emu_proc emu;
    const char *faults = cr_test_tmp_path("faults.json");
    assert_int_equal(cr_test_write_file(faults, "[{\"operation\":\"DescribeIdentityPool\","
                                                "\"error\":1,\"count\":1}]"),
                     0);
    const char *args[] = {"--fault",  "ListIdentityPools:throttle=1,count=1",
                          "--faults", faults,
                          "--region", "eu-central-1",
                          NULL};
    assert_ok(cr_emu_proc_start(&emu, args));
    assert_memory_equal(emu.url, "http://127.0.0.1:", 17);
    struct cr_buf resp = CR_BUF_INIT;
    long status = 0;
    assert_ok(cr_emu_proc_call(&emu, "ListIdentityPools", "{\"MaxResults\":1}", &status, &resp));
    assert_int_equal(status, 400);
    assert_non_null(strstr(cr_buf_cstr(&resp), "TooManyRequestsException"));
    cr_buf_clear(&resp);
    assert_ok(cr_emu_proc_call(&emu, "DescribeIdentityPool", "{\"IdentityPoolId\":\"x:0\"}",
                               &status, &resp));
    assert_int_equal(status, 500);
    cr_buf_clear(&resp);
    assert_ok(cr_emu_proc_call(
        &emu, "CreateIdentityPool",
        "{\"IdentityPoolName\":\"a\",\"AllowUnauthenticatedIdentities\":true}", &status, &resp));
    assert_int_equal(status, 200);
    assert_non_null(strstr(cr_buf_cstr(&resp), "\"eu-central-1:")); /* --region */
    cr_buf_dispose(&resp);

    assert_int_equal(cr_emu_proc_count(&emu, "ListIdentityPools"), 1);
    assert_int_equal(cr_emu_proc_count(&emu, NULL), 3);
    json_t *log = NULL;
    assert_ok(cr_emu_proc_requests(&emu, 2, &log));
    assert_int_equal(json_array_size(log), 1);
    json_decref(log);
    assert_ok(cr_emu_proc_faults(&emu, "[{\"operation\":\"*\",\"drop\":1,\"count\":1}]"));
    assert_int_not_equal(
        cr_emu_proc_call(&emu, "ListIdentityPools", "{\"MaxResults\":1}", &status, &resp),
        0); /* dropped: no HTTP response */
    cr_buf_dispose(&resp);
    assert_ok(cr_emu_proc_reset(&emu));
    assert_int_equal(cr_emu_proc_count(&emu, NULL), 0);
    assert_int_equal(cr_emu_proc_stop(&emu), 0);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_emulator__cli_help_and_bad_flags),
        cmocka_unit_test(test_emulator__cli_start_failures),
        cmocka_unit_test(test_emulator__cli_fault_flags_and_control),
    };
    int rc = cmocka_run_group_tests(tests, cr_test_tmpdir_setup, cr_test_tmpdir_teardown);
    curl_global_cleanup();
    return rc;
}
