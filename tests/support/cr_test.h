/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_TESTS_SUPPORT_CR_TEST_H
#define CR_TESTS_SUPPORT_CR_TEST_H
/* Shared by every cmocka test: assert_ok() prints the last error message on failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "util/error.h"

#define assert_ok(expr)                                                                       \
    do {                                                                                      \
        int cr__rc = (expr);                                                                  \
        if (cr__rc != 0) {                                                                    \
            print_error("%s failed (%d): %s\n", #expr, cr__rc, cr_error_last());              \
            fail();                                                                           \
        }                                                                                     \
    } while (0)

/** xorshift32: the next pseudo-random number of a seeded property test (*seed != 0). The same
 * seed gives the same cases, so a failure names the seed that reproduces it. */
static inline uint32_t cr_test_random(uint32_t *seed)
{
    uint32_t x = *seed;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *seed = x;
    return x;
}

/** Path under the source tree ($CR_SOURCE_DIR/rel); static buffer per call site use. */
const char *cr_test_source_path(const char *rel);
/** Path under the vendored test data, tests/data/ ($CR_TEST_DATA_DIR/rel): the SigV4 suite
 * and the AWS service models, kept in the repository with their licences. */
const char *cr_test_data_path(const char *rel);
/** Creates a fresh temporary directory; returns its path (heap; caller frees). */
char *cr_test_tmpdir(void);
/** Removes a directory tree (rm -rf), for tmpdirs. */
void cr_test_rmtree(const char *path);
/** cmocka group setup: creates the fresh temporary folder cr_test_tmp_path() names files in. */
int cr_test_tmpdir_setup(void **state);
/** cmocka group teardown: removes the folder made by cr_test_tmpdir_setup(). */
int cr_test_tmpdir_teardown(void **state);
/** Path of name inside the cr_test_tmpdir_setup() folder; static buffer per call site use. */
const char *cr_test_tmp_path(const char *name);
/** Writes text to path (creating parent folders). Returns 0 or -1. */
int cr_test_write_file(const char *path, const char *text);

#endif
