/* SPDX-License-Identifier: Apache-2.0 */
#include "tests/support/cr_test.h"

#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static _Thread_local char s_path[4][4096];
static _Thread_local int s_next;

static const char *s_join(const char *base, const char *rel)
{
    char *out = s_path[s_next++ % 4];
    snprintf(out, 4096, "%s/%s", base, rel);
    return out;
}

static const char *s_env_or(const char *env, const char *fallback)
{
    const char *v = getenv(env);
    return v ? v : fallback;
}

const char *cr_test_source_path(const char *rel)
{
    return s_join(s_env_or("CR_SOURCE_DIR", "."), rel);
}

const char *cr_test_data_path(const char *rel)
{
    return s_join(s_env_or("CR_TEST_DATA_DIR", "tests/data"), rel);
}

char *cr_test_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char tmpl[4096];
    snprintf(tmpl, sizeof(tmpl), "%s/cr-test-XXXXXX", base ? base : "/tmp");
    if (!mkdtemp(tmpl))
        return NULL;
    return strdup(tmpl);
}

static char *s_tmpdir;

int cr_test_tmpdir_setup(void **state)
{
    (void)state;
    s_tmpdir = cr_test_tmpdir();
    return s_tmpdir ? 0 : -1;
}

int cr_test_tmpdir_teardown(void **state)
{
    (void)state;
    cr_test_rmtree(s_tmpdir);
    free(s_tmpdir);
    s_tmpdir = NULL;
    return 0;
}

const char *cr_test_tmp_path(const char *name)
{
    return s_join(s_tmpdir, name);
}

static int s_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

void cr_test_rmtree(const char *path)
{
    if (path)
        nftw(path, s_rm, 16, FTW_DEPTH | FTW_PHYS);
}

static void s_mkparents(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        mkdir(tmp, 0755);
        *p = '/';
    }
}

int cr_test_write_file(const char *path, const char *text)
{
    s_mkparents(path);
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t n = strlen(text);
    int rc = fwrite(text, 1, n, f) == n ? 0 : -1;
    if (fclose(f) != 0)
        rc = -1;
    return rc;
}
