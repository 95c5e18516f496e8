/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The S3 subset against a model: seeded random sequences of conditional and plain
 * PutObject/GetObject/HeadObject/DeleteObject calls, each answer compared with what a
 * key -> body map says S3 answers; and races: many threads writing or deleting one key with
 * conditions, of which exactly one may win.
 */
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/test_emulator_s3.h"

#define S_KEYS   3
#define S_SEEDS  150
#define S_STEPS  80
#define S_RACERS 16
#define S_ROUNDS 25

static const char *const s_bucket[] = {"locks"};

static struct cr_emu *s_new(void)
{
    struct cr_emu *emu = NULL;
    struct cr_emu_options opts = {.s3_buckets = s_bucket, .n_s3_buckets = 1};
    assert_ok(cr_emu_new(&emu, &opts));
    return emu;
}

static uint64_t s_next(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* The quoted MD5 hex of body: the ETag S3 gives a single-part upload. */
static void s_etag(char out[35], const char *body)
{
    unsigned char md[16];
    unsigned int n = 16;
    assert_int_equal(EVP_Digest(body, strlen(body), md, &n, EVP_md5(), NULL), 1);
    out[0] = '"';
    for (int i = 0; i < 16; i++)
        snprintf(out + 1 + 2 * i, 3, "%02x", md[i]);
    out[33] = '"';
    out[34] = '\0';
}

struct s_model {
    bool exists[S_KEYS];
    char body[S_KEYS][32];
    char stale[S_KEYS][35]; /* an ETag the key once had */
};

/* The condition value a step sends: the current ETag, an old one, "*", or a made-up one. */
static const char *s_pick_etag(char buf[35], const struct s_model *m, int k, uint64_t r)
{
    switch (r % 4) {
    case 0:
        if (!m->exists[k])
            return "\"ffffffffffffffffffffffffffffffff\"";
        s_etag(buf, m->body[k]);
        return buf;
    case 1:
        return m->stale[k][0] ? m->stale[k] : "\"00000000000000000000000000000000\"";
    case 2:
        return "*";
    default:
        return "\"1234\"";
    }
}

static bool s_etag_is_current(const struct s_model *m, int k, const char *etag)
{
    char cur[35];
    if (!m->exists[k])
        return false;
    if (strcmp(etag, "*") == 0)
        return true;
    s_etag(cur, m->body[k]);
    return strcmp(cur, etag) == 0;
}

/* One random step: sends it, checks the answer against the model, updates the model. */
static void s_step(struct cr_emu *emu, struct s_model *m, uint64_t *rng, unsigned seed, int step)
{
    char path[32], body[32], buf[35], expect_etag[35];
    struct test_s3_req r;
    struct cr_emu_response out;
    int k = (int)(s_next(rng) % S_KEYS), kind = (int)(s_next(rng) % 7), expect;
    const char *cond = s_pick_etag(buf, m, k, s_next(rng));
    bool holds = s_etag_is_current(m, k, cond);
    snprintf(path, sizeof(path), "/locks/key-%d", k);
    snprintf(body, sizeof(body), "body-%u-%d", seed, step);
    switch (kind) {
    case 0: /* plain put */
    case 1: /* put If-None-Match: * */
    case 2: /* put If-Match */
        test_s3_init(&r, "PUT", path, body);
        if (kind == 1)
            test_s3_header(&r, "If-None-Match", "*");
        if (kind == 2)
            test_s3_header(&r, "If-Match", cond);
        expect = kind == 0   ? 200
                 : kind == 1 ? (m->exists[k] ? 412 : 200)
                             : (!m->exists[k] ? 404
                                : holds       ? 200
                                              : 412);
        break;
    case 3: /* plain delete */
    case 4: /* delete If-Match */
        test_s3_init(&r, "DELETE", path, NULL);
        if (kind == 4)
            test_s3_header(&r, "If-Match", cond);
        expect = kind == 3 ? 204 : (!m->exists[k] ? 404 : holds ? 204 : 412);
        break;
    case 5: /* get, If-None-Match: 304 when it names the current ETag */
        test_s3_init(&r, "GET", path, NULL);
        if (s_next(rng) % 2)
            test_s3_header(&r, "If-None-Match", cond);
        expect = !m->exists[k] ? 404 : r.n && holds ? 304 : 200;
        break;
    default: /* head If-Match */
        test_s3_init(&r, "HEAD", path, NULL);
        test_s3_header(&r, "If-Match", cond);
        expect = !m->exists[k] ? 404 : holds ? 200 : 412;
        break;
    }
    int status = test_s3_send(emu, &out, &r);
    if (status != expect)
        fail_msg("seed %u step %d: %s %s (condition %s): status %d, the model says %d", seed, step,
                 r.method, path, cond, status, expect);
    if (status == 200 && (kind == 5 || kind == 6) && strcmp(cr_buf_cstr(&out.body), m->body[k]))
        fail_msg("seed %u step %d: GET %s returned '%s', the model has '%s'", seed, step, path,
                 cr_buf_cstr(&out.body), m->body[k]);
    if (status == 200 && kind <= 2) {
        s_etag(expect_etag, body);
        assert_string_equal(test_s3_resp_header(&out, "ETag"), expect_etag);
        if (m->exists[k])
            s_etag(m->stale[k], m->body[k]);
        m->exists[k] = true;
        snprintf(m->body[k], sizeof(m->body[k]), "%s", body);
    }
    if (status == 204 && m->exists[k]) {
        s_etag(m->stale[k], m->body[k]);
        m->exists[k] = false;
    }
    cr_emu_response_dispose(&out);
}

static void test_emulator_s3__model_sequences(void **state)
{
    const char *env = getenv("CR_TEST_SEED");
    unsigned base = env ? (unsigned)strtoul(env, NULL, 10) : 20261206u;
    print_message("seeds %u..%u (CR_TEST_SEED sets the first)\n", base, base + S_SEEDS - 1);
    for (unsigned seed = base; seed < base + S_SEEDS; seed++) {
        struct cr_emu *emu = s_new();
        struct s_model m = {0};
        uint64_t rng = 0x9e3779b97f4a7c15ull ^ seed;
        for (int step = 0; step < S_STEPS; step++)
            s_step(emu, &m, &rng, seed, step);
        cr_emu_free(emu);
    }
}

/* ---- races ---- */

struct s_racer {
    struct cr_emu *emu;
    pthread_barrier_t *start;
    const char *method;
    const char *header;
    const char *value;
    char body[32];
    int status;
};

static void *s_race(void *arg)
{
    struct s_racer *a = arg;
    struct test_s3_req r;
    struct cr_emu_response out;
    test_s3_init(&r, a->method, "/locks/lease", strcmp(a->method, "PUT") == 0 ? a->body : NULL);
    test_s3_header(&r, a->header, a->value);
    pthread_barrier_wait(a->start);
    a->status = test_s3_send(a->emu, &out, &r);
    cr_emu_response_dispose(&out);
    return NULL;
}

/* Runs the racers at once (released together by a barrier). */
static void s_run_race(struct s_racer *racers, int n)
{
    pthread_t t[S_RACERS];
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)n);
    for (int i = 0; i < n; i++) {
        racers[i].start = &start;
        assert_int_equal(pthread_create(&t[i], NULL, s_race, &racers[i]), 0);
    }
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&start);
}

/* How many racers got status; every racer must have got one of the allowed statuses. */
static int s_count(const struct s_racer *racers, int n, int status, const int *allowed,
                   size_t n_allowed)
{
    int count = 0;
    for (int i = 0; i < n; i++) {
        bool ok = false;
        count += racers[i].status == status;
        for (size_t j = 0; j < n_allowed; j++)
            ok = ok || racers[i].status == allowed[j];
        if (!ok)
            fail_msg("racer %d: %s got %d", i, racers[i].method, racers[i].status);
    }
    return count;
}

/* N holders try to take a free lock at once: exactly one lease is written, and it is the
 * winner's. */
static void test_emulator_s3__race_if_none_match(void **state)
{
    struct cr_emu *emu = s_new();
    struct s_racer racers[S_RACERS];
    struct cr_buf got = CR_BUF_INIT;
    for (int round = 0; round < S_ROUNDS; round++) {
        for (int i = 0; i < S_RACERS; i++) {
            racers[i] = (struct s_racer){emu, NULL, "PUT", "If-None-Match", "*", "", 0};
            snprintf(racers[i].body, sizeof(racers[i].body), "holder-%d-%d", round, i);
        }
        s_run_race(racers, S_RACERS);
        assert_int_equal(s_count(racers, S_RACERS, 200, (const int[]){200, 412}, 2), 1);
        struct test_s3_req r;
        struct cr_emu_response out;
        test_s3_init(&r, "GET", "/locks/lease", NULL);
        assert_int_equal(test_s3_send(emu, &out, &r), 200);
        for (int i = 0; i < S_RACERS; i++) {
            if (racers[i].status == 200)
                assert_string_equal(cr_buf_cstr(&out.body), racers[i].body);
        }
        cr_emu_response_dispose(&out);
        assert_int_equal(test_s3_call(emu, "DELETE", "/locks/lease", NULL, NULL, NULL, NULL), 204);
    }
    cr_buf_dispose(&got);
    cr_emu_free(emu);
}

/* The holder's release and renewals and a force-unlock race with the same ETag: exactly one
 * of them acts on the lease; the rest see it changed (412) or gone (404). */
static void test_emulator_s3__race_if_match(void **state)
{
    struct cr_emu *emu = s_new();
    struct s_racer racers[S_RACERS];
    char etag[35];
    for (int round = 0; round < S_ROUNDS; round++) {
        s_etag(etag, "lease");
        assert_int_equal(test_s3_call(emu, "PUT", "/locks/lease", "lease", NULL, NULL, NULL), 200);
        for (int i = 0; i < S_RACERS; i++) {
            bool renew = (i + round) % 2;
            racers[i] =
                (struct s_racer){emu, NULL, renew ? "PUT" : "DELETE", "If-Match", etag, "", 0};
            snprintf(racers[i].body, sizeof(racers[i].body), "renewed-%d-%d", round, i);
        }
        /* a renewal wins with 200, a release with 204: together exactly one winner; the
         * others see the lease changed (412) or gone (404) */
        s_run_race(racers, S_RACERS);
        const int allowed[] = {200, 204, 412, 404};
        int renewed = s_count(racers, S_RACERS, 200, allowed, 4);
        int released = s_count(racers, S_RACERS, 204, allowed, 4);
        assert_int_equal(renewed + released, 1);
        test_s3_call(emu, "DELETE", "/locks/lease", NULL, NULL, NULL, NULL);
    }
    cr_emu_free(emu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_emulator_s3__model_sequences),
        cmocka_unit_test(test_emulator_s3__race_if_none_match),
        cmocka_unit_test(test_emulator_s3__race_if_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
