/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A fake process environment for the aws/ unit tests (config, credentials, endpoint): a few
 * variables and a clock behind struct cr_aws_env, so results never depend on the developer's
 * variables, ~/.aws or the time of day. Include after tests/support/cr_test.h.
 */
#ifndef CR_TEST_AWS_ENV_H
#define CR_TEST_AWS_ENV_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "aws/config.h"

#define S_FAKE_ENV_MAX 32

struct fake_env {
    const char *vars[S_FAKE_ENV_MAX][2]; /* name, value */
    size_t n;
    int64_t now; /* what the clock says (s_fake_env) */
};

static inline const char *s_getenv(void *ctx, const char *name)
{
    struct fake_env *e = ctx;
    for (size_t i = 0; i < e->n; i++) {
        if (strcmp(e->vars[i][0], name) == 0)
            return e->vars[i][1];
    }
    return NULL;
}

static inline int64_t s_clock(void *ctx)
{
    return ((struct fake_env *)ctx)->now;
}

/* Sets (or replaces) one variable; the test fails rather than overflow the table. */
static inline void s_set(struct fake_env *e, const char *name, const char *value)
{
    for (size_t i = 0; i < e->n; i++) {
        if (strcmp(e->vars[i][0], name) == 0) {
            e->vars[i][1] = value;
            return;
        }
    }
    assert_true(e->n < S_FAKE_ENV_MAX);
    e->vars[e->n][0] = name;
    e->vars[e->n][1] = value;
    e->n++;
}

/* Points the shared files into dir (config at dir/config, credentials at dir/credentials: the
 * paths are written to config and credentials, cap bytes each; the files themselves are left
 * to the test) and HOME at a folder that does not exist, so ~/.aws is never read; turns EC2
 * instance metadata off, so the end of the credentials chain never reaches 169.254.169.254
 * (a test that wants IMDS points AWS_EC2_METADATA_SERVICE_ENDPOINT at loopback and unsets
 * this). */
static inline void s_set_aws_files(struct fake_env *e, const char *dir, char *config,
                                   char *credentials, size_t cap)
{
    snprintf(config, cap, "%s/config", dir);
    snprintf(credentials, cap, "%s/credentials", dir);
    s_set(e, "HOME", "/nonexistent-home");
    s_set(e, "AWS_CONFIG_FILE", config);
    s_set(e, "AWS_SHARED_CREDENTIALS_FILE", credentials);
    s_set(e, "AWS_EC2_METADATA_DISABLED", "true");
}

/* The environment and clock of e, as the aws/ functions take them. */
static inline struct cr_aws_env s_fake_env(struct fake_env *e)
{
    struct cr_aws_env env = {s_getenv, e, s_clock, e};
    return env;
}

#endif
