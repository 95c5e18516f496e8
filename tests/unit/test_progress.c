/* SPDX-License-Identifier: Apache-2.0 */
/* Progress on stderr (reconcile/progress.h) on a stepped clock, written to a memory stream. */
#include <stdlib.h>
#include <string.h>

#include "reconcile/progress.h"
#include "tests/support/cr_test.h"

static uint64_t s_now;

static uint64_t s_clock(void)
{
    return s_now;
}

struct s_out {
    char *text;
    size_t len;
    FILE *fp;
};

static void s_open(struct s_out *o)
{
    o->text = NULL;
    o->len = 0;
    o->fp = open_memstream(&o->text, &o->len);
    assert_non_null(o->fp);
}

static void s_close(struct s_out *o)
{
    fclose(o->fp);
    free(o->text);
}

static void test_progress__format(void **state)
{
    char line[128];
    cr_progress__format(line, sizeof(line), "reading live state", "pools", 420, 1000, true, 1800);
    assert_string_equal(line, "reading live state: 420/1000 pools, 1.8 s");
    cr_progress__format(line, sizeof(line), "reading live state", "pools", 42, 600, false, 2049);
    assert_string_equal(line, "reading live state: 42/600+ pools, 2.0 s");
    cr_progress__format(line, sizeof(line), "applying", "calls", 3, 0, false, 12345);
    assert_string_equal(line, "applying: 3 calls, 12.3 s");
}

/* Not a terminal: nothing for 2 s, then one line every 5 s, each a full line. */
static void test_progress__lines_every_five_seconds_in_a_log(void **state)
{
    struct s_out o;
    struct cr_progress p;
    s_open(&o);
    s_now = 1000;
    cr_progress_init(&p, o.fp, false, s_clock);
    cr_progress_begin(&p, "reading live state", "pools", 1);
    for (int ms = 0; ms < 1999; ms += 10) {
        s_now = 1000 + (uint64_t)ms;
        cr_progress_add(&p, 1, 0, false);
    }
    fflush(o.fp);
    assert_int_equal(o.len, 0); /* a short step says nothing */
    s_now = 3000;
    cr_progress_add(&p, 0, 1000, true);
    fflush(o.fp);
    assert_string_equal(o.text, "reading live state: 200/1000 pools, 2.0 s\n");
    for (s_now = 3000; s_now <= 13000; s_now += 100)
        cr_progress_add(&p, 1, 0, false);
    fflush(o.fp);
    assert_int_equal(p.lines, 3); /* at 2 s, 7 s and 12 s */
    assert_non_null(strstr(o.text, "\nreading live state: 251/1000 pools, 7.0 s\n"));
    assert_non_null(strstr(o.text, "\nreading live state: 301/1000 pools, 12.0 s\n"));
    assert_null(strchr(o.text, '\r'));
    cr_progress_end(&p);
    cr_progress_dispose(&p);
    s_close(&o);
}

/* A terminal: one line redrawn in place, at most every 100 ms, erased at the end. */
static void test_progress__live_line_on_a_terminal(void **state)
{
    struct s_out o;
    struct cr_progress p;
    s_open(&o);
    s_now = 0;
    cr_progress_init(&p, o.fp, true, s_clock);
    cr_progress_begin(&p, "applying", "calls", 0);
    cr_progress_add(&p, 0, 10, true);
    for (s_now = 2000; s_now < 3000; s_now += 10)
        cr_progress_add(&p, 0, 0, true);
    assert_int_equal(p.lines, 10); /* 2000, 2100, ..., 2900 */
    cr_progress_add(&p, 5, 0, true);
    cr_progress_end(&p);
    fflush(o.fp);
    assert_memory_equal(o.text, "\r\033[Kapplying: 0/10 calls, 2.0 s", 30);
    size_t n = strlen(o.text);
    assert_true(n > 4);
    assert_string_equal(o.text + n - 4, "\r\033[K"); /* erased: the summary prints cleanly */
    assert_null(strchr(o.text, '\n'));
    cr_progress_dispose(&p);
    s_close(&o);
}

/* Two regions: the total is final only once both said so. */
static void test_progress__total_final_when_every_source_is(void **state)
{
    struct s_out o;
    struct cr_progress p;
    s_open(&o);
    s_now = 0;
    cr_progress_init(&p, o.fp, false, s_clock);
    cr_progress_begin(&p, "reading live state", "pools", 2);
    cr_progress_add(&p, 0, 60, true); /* region 1: listed */
    cr_progress_add(&p, 0, 60, false);
    s_now = 2000;
    cr_progress_add(&p, 5, 0, false);
    s_now = 7000;
    cr_progress_add(&p, 5, 40, true); /* region 2: listed */
    fflush(o.fp);
    assert_string_equal(o.text, "reading live state: 5/120+ pools, 2.0 s\n"
                                "reading live state: 10/160 pools, 7.0 s\n");
    cr_progress_dispose(&p);
    s_close(&o);
}

/* --quiet: no stream, nothing ever written (and no crash). */
static void test_progress__quiet_writes_nothing(void **state)
{
    struct cr_progress p;
    s_now = 0;
    cr_progress_init(&p, NULL, true, s_clock);
    cr_progress_begin(&p, "reading live state", "pools", 1);
    for (s_now = 0; s_now < 20000; s_now += 50)
        cr_progress_add(&p, 1, 1, false);
    cr_progress_end(&p);
    assert_int_equal(p.lines, 0);
    cr_progress_dispose(&p);
}

/* Several threads add at once: every unit is counted. */
static void *s_adder(void *arg)
{
    for (int i = 0; i < 1000; i++)
        cr_progress_add(arg, 1, 1, false);
    return NULL;
}

static void test_progress__threads_sum(void **state)
{
    struct cr_progress p;
    pthread_t t[4];
    s_now = 0;
    cr_progress_init(&p, NULL, false, s_clock);
    cr_progress_begin(&p, "reading live state", "pools", 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, s_adder, &p), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(p.done, 4000);
    assert_int_equal(p.total, 4000);
    cr_progress_dispose(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_progress__format),
        cmocka_unit_test(test_progress__lines_every_five_seconds_in_a_log),
        cmocka_unit_test(test_progress__live_line_on_a_terminal),
        cmocka_unit_test(test_progress__total_final_when_every_source_is),
        cmocka_unit_test(test_progress__quiet_writes_nothing),
        cmocka_unit_test(test_progress__threads_sum),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
