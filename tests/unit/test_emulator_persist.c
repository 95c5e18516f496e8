/* SPDX-License-Identifier: Apache-2.0 */
/* State persistence: round trip, corrupt files refused, and kill -9 during writes. */
#include <curl/curl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tests/support/emulator_proc.h"
#include "tests/unit/test_emulator_call.h"

static int s_call(struct cr_emu *emu, const char *op, const char *body, json_t **out)
{
    struct test_emu_res r = test_emu_call(emu, op, body, strlen(body), NULL);
    if (out)
        *out = r.body;
    else
        json_decref(r.body);
    return r.status;
}

static void test_emulator__state_round_trip(void **state)
{
    const char *path = cr_test_tmp_path("round.json");
    struct cr_emu_options opts = {.state_path = path};
    struct cr_emu *emu = NULL;
    json_t *created = NULL, *described = NULL;
    char body[256];
    assert_ok(cr_emu_new(&emu, &opts));
    assert_int_equal(access(path, F_OK), 0); /* written at start */
    assert_int_equal(s_call(emu, "CreateIdentityPool",
                            "{\"IdentityPoolName\":\"a\",\"AllowUnauthenticatedIdentities\":true,"
                            "\"AllowClassicFlow\":false,\"IdentityPoolTags\":{\"t\":\"v\"}}",
                            &created),
                     200);
    const char *id = json_string_value(json_object_get(created, "IdentityPoolId"));
    snprintf(body, sizeof(body),
             "{\"IdentityPoolId\":\"%s\",\"Roles\":{\"unauthenticated\":\"arn:aws:iam::"
             "123456789012:role/G\"}}",
             id);
    assert_int_equal(s_call(emu, "SetIdentityPoolRoles", body, NULL), 200);
    cr_emu_free(emu);

    emu = NULL;
    assert_ok(cr_emu_new(&emu, &opts));
    snprintf(body, sizeof(body), "{\"IdentityPoolId\":\"%s\"}", id);
    assert_int_equal(s_call(emu, "DescribeIdentityPool", body, &described), 200);
    assert_true(json_equal(created, described));
    json_decref(described);
    assert_int_equal(s_call(emu, "GetIdentityPoolRoles", body, &described), 200);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(described, "Roles"), "unauthenticated")),
        "arn:aws:iam::123456789012:role/G");
    json_decref(described);
    /* new pools keep sequencing after the loaded ones */
    assert_int_equal(s_call(emu, "CreateIdentityPool",
                            "{\"IdentityPoolName\":\"b\",\"AllowUnauthenticatedIdentities\":true}",
                            NULL),
                     200);
    assert_int_equal(s_call(emu, "ListIdentityPools", "{\"MaxResults\":1}", &described), 200);
    assert_string_equal(
        json_string_value(json_object_get(
            json_array_get(json_object_get(described, "IdentityPools"), 0), "IdentityPoolId")),
        id);
    json_decref(described);
    json_decref(created);
    cr_emu_free(emu);
}

/* A write whose save fails answers 500 and leaves neither memory nor file changed. */
static void test_emulator__failed_save_changes_nothing(void **state)
{
    const char *path = cr_test_tmp_path("failsave.json");
    const char *tmp = cr_test_tmp_path("failsave.json.tmp");
    struct cr_emu_options opts = {.state_path = path};
    struct cr_emu *emu = NULL;
    json_t *doc = NULL;
    assert_ok(cr_emu_new(&emu, &opts));
    assert_int_equal(
        s_call(emu, "CreateIdentityPool",
               "{\"IdentityPoolName\":\"kept\",\"AllowUnauthenticatedIdentities\":true}", NULL),
        200);
    /* a folder under the temporary file's name: opening it for writing fails, even as root */
    assert_int_equal(mkdir(tmp, 0700), 0);
    assert_int_equal(
        s_call(emu, "CreateIdentityPool",
               "{\"IdentityPoolName\":\"lost\",\"AllowUnauthenticatedIdentities\":true}", &doc),
        500);
    assert_string_equal(json_string_value(json_object_get(doc, "__type")),
                        "InternalErrorException");
    json_decref(doc);
    assert_int_equal(s_call(emu, "ListIdentityPools", "{\"MaxResults\":60}", &doc), 200);
    json_t *pools = json_object_get(doc, "IdentityPools");
    assert_int_equal(json_array_size(pools), 1);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(pools, 0), "IdentityPoolName")), "kept");
    json_decref(doc);
    assert_int_equal(rmdir(tmp), 0);
    assert_int_equal(
        s_call(emu, "CreateIdentityPool",
               "{\"IdentityPoolName\":\"next\",\"AllowUnauthenticatedIdentities\":true}", NULL),
        200);
    cr_emu_free(emu);

    emu = NULL;
    assert_ok(cr_emu_new(&emu, &opts));
    assert_int_equal(s_call(emu, "ListIdentityPools", "{\"MaxResults\":60}", &doc), 200);
    pools = json_object_get(doc, "IdentityPools");
    assert_int_equal(json_array_size(pools), 2);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(pools, 1), "IdentityPoolName")), "next");
    json_decref(doc);
    cr_emu_free(emu);
}

static void s_expect_refused(const char *name, const char *content, const char *fragment)
{
    const char *path = cr_test_tmp_path(name);
    struct cr_emu_options opts = {.state_path = path};
    struct cr_emu *emu = NULL;
    assert_int_equal(cr_test_write_file(path, content), 0);
    assert_int_equal(cr_emu_new(&emu, &opts), CR_EINVALID);
    assert_null(emu);
    if (!strstr(cr_error_last(), path) || !strstr(cr_error_last(), fragment))
        fail_msg("message '%s' lacks '%s' or '%s'", cr_error_last(), path, fragment);
}

static void test_emulator__corrupt_state_refused(void **state)
{
    s_expect_refused("trunc.json", "{\"format\":\"cognito-identity-local/state\",\"vers",
                     "not valid JSON");
    s_expect_refused("other.json", "{\"hello\":1}", "not a cognito-identity-local state file");
    s_expect_refused("seq.json",
                     "{\"format\":\"cognito-identity-local/state\",\"version\":1,\"next_seq\":2,"
                     "\"partitions\":{\"123456789012/us-east-1\":{\"pools\":{\"us-east-1:0a\":{"
                     "\"seq\":5,\"pool\":{\"IdentityPoolId\":\"us-east-1:0a\",\"IdentityPoolName\""
                     ":\"a\",\"AllowUnauthenticatedIdentities\":true},\"tags\":{},\"roles\":{},"
                     "\"role_mappings\":{},\"principal_tags\":{}}}}}}",
                     "seq 5 out of order");
    s_expect_refused("tags.json",
                     "{\"format\":\"cognito-identity-local/state\",\"version\":1,\"next_seq\":9,"
                     "\"partitions\":{\"123456789012/us-east-1\":{\"pools\":{\"us-east-1:0a\":{"
                     "\"seq\":5,\"pool\":{\"IdentityPoolId\":\"us-east-1:0a\",\"IdentityPoolName\""
                     ":\"a\",\"AllowUnauthenticatedIdentities\":true},\"tags\":{\"a\":1},\"roles\":"
                     "{},\"role_mappings\":{},\"principal_tags\":{}}}}}}",
                     "'tags' entry 'a' is not a string");
}

static void test_emulator__binary_refuses_corrupt_state(void **state)
{
    const char *path = cr_test_tmp_path("bad-bin.json");
    const char *log = cr_test_tmp_path("bad-bin.log");
    struct cr_buf err = CR_BUF_INIT;
    struct cr_emu_proc emu;
    const char *args[] = {"--state", path, NULL};
    assert_int_equal(cr_test_write_file(path, "[1,2"), 0);
    assert_int_not_equal(cr_emu_proc_start_logged(&emu, args, log), 0);
    assert_non_null(strstr(cr_error_last(), "exit status 1"));
    assert_ok(cr_buf_read_file(&err, log, 65536));
    assert_non_null(strstr(cr_buf_cstr(&err), path));
    assert_non_null(strstr(cr_buf_cstr(&err), "not valid JSON"));
    cr_buf_dispose(&err);
}

/* ---- kill -9 while writing ---- */

struct s_writer {
    struct cr_emu_proc *emu;
    long acknowledged; /* creates answered 200: these must survive */
    int n;
    pthread_mutex_t lock; /* acknowledged, done */
    pthread_cond_t progress;
    bool done;
};

/* Waits (10 s at most) until the writer has had `want` creates acknowledged or stopped. */
static void s_writer_wait(struct s_writer *w, long want)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    pthread_mutex_lock(&w->lock);
    while (w->acknowledged < want && !w->done)
        if (pthread_cond_timedwait(&w->progress, &w->lock, &until) != 0)
            break;
    pthread_mutex_unlock(&w->lock);
}

static void *s_writer_main(void *arg)
{
    struct s_writer *w = arg;
    for (int i = 0; i < 10000; i++) {
        struct cr_buf resp = CR_BUF_INIT;
        long status = 0;
        char body[160];
        snprintf(body, sizeof(body),
                 "{\"IdentityPoolName\":\"crash %d %d\",\"AllowUnauthenticatedIdentities\":true,"
                 "\"IdentityPoolTags\":{\"i\":\"%d\"}}",
                 w->n, i, i);
        int rc = cr_emu_proc_call(w->emu, "CreateIdentityPool", body, &status, &resp);
        cr_buf_dispose(&resp);
        if (rc != 0)
            break; /* the server is gone */
        pthread_mutex_lock(&w->lock);
        if (status == 200)
            w->acknowledged++;
        pthread_cond_signal(&w->progress);
        pthread_mutex_unlock(&w->lock);
    }
    pthread_mutex_lock(&w->lock);
    w->done = true;
    pthread_cond_signal(&w->progress);
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

static void test_emulator__kill9_never_corrupts_state(void **state)
{
    const char *path = cr_test_tmp_path("crash.json");
    const char *args[] = {"--state", path, "--max-pools", "1000000", NULL};
    long durable = 0;
    for (int iter = 0; iter < 30; iter++) {
        struct cr_emu_proc emu;
        pthread_t th;
        unsigned char r = 0;
        json_t *doc = NULL;
        assert_ok(cr_emu_proc_start(&emu, args));
        struct s_writer w = {.emu = &emu, .n = iter};
        pthread_mutex_init(&w.lock, NULL);
        pthread_cond_init(&w.progress, NULL);
        assert_int_equal(pthread_create(&th, NULL, s_writer_main, &w), 0);
        if (getrandom(&r, 1, 0) != 1)
            r = 17;
        /* kill after a random number of acknowledged creates (1..8), at a random point of the
         * next one (0..4 ms in): the writes are counted, not timed */
        s_writer_wait(&w, 1 + r % 8);
        struct timespec ts = {0, (long)(r / 8 % 5) * 1000000L};
        nanosleep(&ts, NULL);
        cr_emu_proc_kill9(&emu);
        pthread_join(th, NULL);
        pthread_cond_destroy(&w.progress);
        pthread_mutex_destroy(&w.lock);
        /* the file always parses and passes the state check */
        assert_ok(cr__emu_persist_load(&doc, path));
        json_t *pools = json_object_get(
            json_object_get(json_object_get(doc, "partitions"), "123456789012/us-east-1"), "pools");
        long n = (long)json_object_size(pools);
        /* every acknowledged create is durable; at most one unacknowledged extra */
        durable += w.acknowledged;
        if (n < durable || n > durable + 1)
            fail_msg("iteration %d: %ld pools on disk, %ld acknowledged", iter, n, durable);
        durable = n;
        json_decref(doc);
    }
    assert_in_range(durable, 30, LONG_MAX); /* every iteration really wrote */
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_emulator__state_round_trip),
        cmocka_unit_test(test_emulator__failed_save_changes_nothing),
        cmocka_unit_test(test_emulator__corrupt_state_refused),
        cmocka_unit_test(test_emulator__binary_refuses_corrupt_state),
        cmocka_unit_test(test_emulator__kill9_never_corrupts_state),
    };
    int rc = cmocka_run_group_tests(tests, cr_test_tmpdir_setup, cr_test_tmpdir_teardown);
    curl_global_cleanup();
    return rc;
}
