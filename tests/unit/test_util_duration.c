/* SPDX-License-Identifier: Apache-2.0 */
/* util/duration: Go-style durations ("5m", "1h30m", "500ms"; a bare number is seconds). */
#include "tests/support/cr_test.h"

#include <string.h>

#include "util/duration.h"

#define S_DAY (24u * 3600u * 1000u)

static void test_util_duration__examples(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        uint64_t ms;
    } cases[] = {
        {"0s", 0},         {"0", 0},           {"30", 30000},        {"30s", 30000},
        {"5m", 300000},    {"1h", 3600000},    {"1h30m", 5400000},   {"1h0m0s", 3600000},
        {"500ms", 500},    {"1s500ms", 1500},  {"2m3s", 123000},     {"90m", 5400000},
        {"1m1ms", 60001},  {"24h", S_DAY},     {"10s10s", 20000},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t ms = 1;
        assert_ok(cr_duration_parse(&ms, cases[i].text, "--x", 0, S_DAY));
        if (ms != cases[i].ms)
            fail_msg("'%s' parsed as %llu ms, not %llu", cases[i].text, (unsigned long long)ms,
                     (unsigned long long)cases[i].ms);
    }
}

static void test_util_duration__refuses_malformed_and_out_of_range(void **state)
{
    (void)state;
    static const char *const bad[] = {"",   "s",    "5 m", "5M",  "-5s",  "5x",   "1.5s",
                                       "m5", "5m ", " 5m", "5mm", "1h30", "30s5", "99999999999999999999s",
                                       "25h"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint64_t ms = 7;
        int rc = cr_duration_parse(&ms, bad[i], "--interval", 0, S_DAY);
        if (rc != CR_EINVALID)
            fail_msg("'%s' accepted (%llu ms)", bad[i], (unsigned long long)ms);
        assert_int_equal(ms, 7); /* untouched on failure */
        assert_non_null(strstr(cr_error_last(), "--interval: expected a duration from 0s to 24h"));
    }
    uint64_t ms = 0;
    assert_int_equal(cr_duration_parse(&ms, "500ms", "--interval", 1000, S_DAY), CR_EINVALID);
    assert_non_null(strstr(cr_error_last(), "from 1s to 24h"));
    assert_non_null(strstr(cr_error_last(), "got '500ms'"));
    assert_int_equal(cr_duration_parse(&ms, NULL, "--interval", 0, S_DAY), CR_EINVALID);
}

static void test_util_duration__format_examples(void **state)
{
    (void)state;
    char out[32];
    assert_string_equal(cr_duration_format(out, sizeof(out), 0), "0s");
    assert_string_equal(cr_duration_format(out, sizeof(out), 250), "250ms");
    assert_string_equal(cr_duration_format(out, sizeof(out), 300000), "5m");
    assert_string_equal(cr_duration_format(out, sizeof(out), 5400000), "1h30m");
    assert_string_equal(cr_duration_format(out, sizeof(out), 3723004), "1h2m3s4ms");
}

/* Property: format then parse gives the same number of milliseconds back, for random values
 * (seeded; the seed is printed on failure). */
static void test_util_duration__format_parse_round_trip(void **state)
{
    (void)state;
    uint32_t seed = 0x5eed1234u;
    for (int i = 0; i < 20000; i++) {
        uint32_t start = seed;
        uint64_t ms = ((uint64_t)cr_test_random(&seed) << 8 | (cr_test_random(&seed) & 0xff)) %
                      (UINT64_C(1) << 40);
        if (i % 4 == 0)
            ms = (ms % 100) * 60000; /* whole minutes, the common case */
        char text[64];
        uint64_t back = 0;
        cr_duration_format(text, sizeof(text), ms);
        int rc = cr_duration_parse(&back, text, "x", 0, UINT64_C(1) << 40);
        if (rc != 0 || back != ms)
            fail_msg("seed %#x: %llu ms formatted as '%s' parsed back as %llu (rc %d)", start,
                     (unsigned long long)ms, text, (unsigned long long)back, rc);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_util_duration__examples),
        cmocka_unit_test(test_util_duration__refuses_malformed_and_out_of_range),
        cmocka_unit_test(test_util_duration__format_examples),
        cmocka_unit_test(test_util_duration__format_parse_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
