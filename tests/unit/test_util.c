/* SPDX-License-Identifier: Apache-2.0 */
#include "tests/support/cr_test.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "util/arena.h"
#include "util/array.h"
#include "util/buf.h"
#include "util/parallel.h"
#include "util/strmap.h"
#include "util/strutil.h"

static void test_util__buf_appends_and_terminates(void **state)
{
    (void)state;
    struct cr_buf b = CR_BUF_INIT;
    assert_ok(cr_buf_puts(&b, "abc"));
    assert_ok(cr_buf_printf(&b, "-%d-", 42));
    assert_string_equal(cr_buf_cstr(&b), "abc-42-");
    assert_int_equal(b.len, 7);
    cr_buf_dispose_secure(&b);
    assert_null(b.ptr);
}

/* Passing the limit is CR_ELIMIT, not out of memory (as curl's dynbuf has CURLE_TOO_LARGE
 * besides CURLE_OUT_OF_MEMORY), and it is sticky like out of memory. */
static void test_util__buf_limit_is_sticky(void **state)
{
    (void)state;
    struct cr_buf b;
    cr_buf_init_limit(&b, 4);
    assert_ok(cr_buf_puts(&b, "abcd"));
    assert_int_equal(cr_buf_error(&b), 0);
    assert_int_equal(cr_buf_puts(&b, "e"), CR_ELIMIT);
    assert_true(cr_buf_oom(&b));
    assert_int_equal(cr_buf_error(&b), CR_ELIMIT);
    assert_int_equal(cr_buf_puts(&b, ""), CR_ELIMIT);
    assert_int_equal(cr_buf_printf(&b, "%d", 1), CR_ELIMIT);
    assert_string_equal(cr_buf_cstr(&b), "abcd");
    cr_buf_dispose(&b);
    /* a buffer without a limit: a size that cannot be represented is out of memory */
    struct cr_buf u = CR_BUF_INIT;
    assert_ok(cr_buf_puts(&u, "x"));
    assert_int_equal(cr_buf_put(&u, "y", SIZE_MAX), CR_ENOMEM);
    assert_int_equal(cr_buf_error(&u), CR_ENOMEM);
    cr_buf_dispose(&u);
}

static void test_util__strdup_null_keeps_null(void **state)
{
    (void)state;
    bool oom = false;
    assert_null(cr_strdup_null(NULL, &oom));
    assert_false(oom);
    assert_null(cr_strdup_null(NULL, NULL));
    char *copy = cr_strdup_null("abc", &oom);
    assert_string_equal(copy, "abc");
    assert_false(oom);
    free(copy);
    copy = cr_strdup_null("", NULL);
    assert_string_equal(copy, "");
    free(copy);
}

static void test_util__strmap_sorted_set_get_remove(void **state)
{
    (void)state;
    struct cr_strmap m = {0}, n = {0};
    assert_ok(cr_strmap_set(&m, "b", "2"));
    assert_ok(cr_strmap_set(&m, "a", "1"));
    assert_ok(cr_strmap_set(&m, "c", "3"));
    assert_ok(cr_strmap_set(&m, "b", "two"));
    assert_int_equal(m.len, 3);
    assert_string_equal(m.items[0].key, "a");
    assert_string_equal(cr_strmap_get(&m, "b"), "two");
    assert_true(cr_strmap_remove(&m, "a"));
    assert_false(cr_strmap_remove(&m, "a"));
    assert_null(cr_strmap_get(&m, "a"));
    assert_ok(cr_strmap_copy(&n, &m));
    assert_true(cr_strmap_equal(&m, &n));
    assert_ok(cr_strmap_set(&n, "c", "x"));
    assert_false(cr_strmap_equal(&m, &n));
    cr_strmap_dispose(&m);
    cr_strmap_dispose(&n);
}

static void test_util__strlist_set_equality_ignores_order(void **state)
{
    (void)state;
    struct cr_strlist a = {0}, b = {0};
    assert_ok(cr_strlist_push(&a, "x"));
    assert_ok(cr_strlist_push(&a, "y"));
    assert_ok(cr_strlist_push(&b, "y"));
    assert_ok(cr_strlist_push(&b, "x"));
    assert_true(cr_strlist_set_equal(&a, &b));
    assert_ok(cr_strlist_push(&b, "z"));
    assert_false(cr_strlist_set_equal(&a, &b));
    cr_strlist_dispose(&a);
    cr_strlist_dispose(&b);
}

static void test_util__suggest_finds_near_miss(void **state)
{
    (void)state;
    const char *keys[] = {"allowClassicFlow", "allowUnauthenticatedIdentities", "tags"};
    assert_string_equal(cr_str_suggest("alowClassicFlow", keys, 3), "allowClassicFlow");
    assert_null(cr_str_suggest("zzzzzzzz", keys, 3));
}

static void test_util__utf8_validation(void **state)
{
    (void)state;
    assert_true(cr_utf8_valid("h\xc3\xa9llo", 6));
    assert_false(cr_utf8_valid("\xc0\xaf", 2));     /* overlong */
    assert_false(cr_utf8_valid("\xed\xa0\x80", 3)); /* surrogate */
    assert_false(cr_utf8_valid("\xe2\x82", 2));     /* truncated */
    assert_int_equal(cr_utf8_length("h\xc3\xa9", 3), 2);
}

static void test_util__hex_value(void **state)
{
    (void)state;
    assert_int_equal(cr_hex_value('0'), 0);
    assert_int_equal(cr_hex_value('9'), 9);
    assert_int_equal(cr_hex_value('a'), 10);
    assert_int_equal(cr_hex_value('F'), 15);
    assert_int_equal(cr_hex_value('g'), -1);
    assert_int_equal(cr_hex_value('G'), -1);
    assert_int_equal(cr_hex_value('/'), -1);
    assert_int_equal(cr_hex_value('\0'), -1);
}

static void test_util__arena_allocates_zeroed_aligned(void **state)
{
    (void)state;
    struct cr_arena a;
    cr_arena_init(&a);
    for (int i = 0; i < 10000; i++) {
        long *p = cr_arena_alloc(&a, sizeof(long) * 3);
        assert_non_null(p);
        assert_int_equal(((uintptr_t)p) % sizeof(long), 0);
        assert_int_equal(p[2], 0);
    }
    assert_string_equal(cr_arena_strdup(&a, "hi"), "hi");
    assert_null(cr_arena_strdup(&a, NULL));
    cr_arena_dispose(&a);
}

static void test_util__error_prefix(void **state)
{
    (void)state;
    cr_error_set("inner %d", 1);
    cr_error_prefix("outer");
    assert_string_equal(cr_error_last(), "outer: inner 1");
    cr_error_clear();
    assert_string_equal(cr_error_last(), "");
}

static void test_util__array_reserve_doubles_and_refuses_overflow(void **state)
{
    (void)state;
    int *items = NULL;
    size_t cap = 0, len = 0;
    for (int i = 0; i < 100; i++) {
        assert_ok(cr_array_reserve(&items, &cap, len, sizeof(*items), 4));
        assert_in_range(cap, len + 1, SIZE_MAX);
        items[len++] = i;
    }
    assert_int_equal(cap, 128); /* 4, 8, ..., 128 */
    assert_int_equal(items[99], 99);
    /* full array whose doubled size would overflow: refused, array untouched */
    size_t huge_cap = len;
    assert_int_equal(cr_array_reserve(&items, &huge_cap, len, SIZE_MAX / 2, 4), CR_ENOMEM);
    assert_int_equal(huge_cap, len);
    assert_int_equal(items[0], 0);
    free(items);
}

/* A caller that already holds more elements than twice the capacity (a bulk move of len
 * elements into a fresh array) gets room for all of them, not one doubling. */
static void test_util__array_reserve_covers_any_length(void **state)
{
    (void)state;
    int *items = NULL;
    size_t cap = 0;
    assert_ok(cr_array_reserve(&items, &cap, 100, sizeof(*items), 16));
    assert_int_equal(cap, 128); /* 16, 32, 64, 128: the first power-of-two step above 100 */
    items[99] = 7;
    assert_ok(cr_array_reserve(&items, &cap, 1000, sizeof(*items), 16));
    assert_int_equal(cap, 1024);
    items[999] = 8;
    assert_int_equal(items[99], 7);
    free(items);
}

/* Each index runs exactly once, and never more than max_threads at the same time: every
 * worker waits until it sees as many in flight as allowed (or all work started), so the
 * highest count observed is exactly the bound. */
struct s_par {
    atomic_int runs[64];
    atomic_int in_flight;
    atomic_int peak;
    atomic_int started;
    int max;
    int n;
};

static void s_par_one(void *ctx, size_t i)
{
    struct s_par *p = ctx;
    int now = atomic_fetch_add(&p->in_flight, 1) + 1;
    int started = atomic_fetch_add(&p->started, 1) + 1;
    for (int peak = atomic_load(&p->peak); now > peak;)
        if (atomic_compare_exchange_weak(&p->peak, &peak, now))
            break;
    /* hold until the other workers are in too (bounded: they all start without waiting) */
    for (long spin = 0; spin < 200000000L && atomic_load(&p->in_flight) < p->max &&
                        atomic_load(&p->started) < p->n && started < p->n;
         spin++)
        ;
    atomic_fetch_add(&p->runs[i], 1);
    atomic_fetch_sub(&p->in_flight, 1);
}

static void test_util__parallel_runs_each_index_once_within_the_bound(void **state)
{
    static const int cases[][2] = {{0, 4}, {1, 4}, {3, 0}, {64, 4}, {10, 1}};
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        struct s_par *p = calloc(1, sizeof(*p));
        assert_non_null(p);
        p->n = cases[c][0];
        p->max = cases[c][1] == 0 || cases[c][1] > p->n ? p->n : cases[c][1];
        cr_parallel_run((size_t)p->n, (size_t)cases[c][1], s_par_one, p);
        for (int i = 0; i < p->n; i++)
            assert_int_equal(atomic_load(&p->runs[i]), 1);
        assert_in_range(atomic_load(&p->peak), p->n > 0 ? 1 : 0, p->max);
        if (p->n > 0 && p->max > 1)
            assert_int_equal(atomic_load(&p->peak), p->max); /* they did run side by side */
        assert_int_equal(atomic_load(&p->in_flight), 0);
        free(p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_util__buf_appends_and_terminates),
        cmocka_unit_test(test_util__parallel_runs_each_index_once_within_the_bound),
        cmocka_unit_test(test_util__buf_limit_is_sticky),
        cmocka_unit_test(test_util__strdup_null_keeps_null),
        cmocka_unit_test(test_util__strmap_sorted_set_get_remove),
        cmocka_unit_test(test_util__strlist_set_equality_ignores_order),
        cmocka_unit_test(test_util__suggest_finds_near_miss),
        cmocka_unit_test(test_util__utf8_validation),
        cmocka_unit_test(test_util__hex_value),
        cmocka_unit_test(test_util__arena_allocates_zeroed_aligned),
        cmocka_unit_test(test_util__error_prefix),
        cmocka_unit_test(test_util__array_reserve_doubles_and_refuses_overflow),
        cmocka_unit_test(test_util__array_reserve_covers_any_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
