/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Twins (reconcile/twins.h): the rule that picks the pool keeping a name, why a loser may not
 * be deleted, the messages with their remediation, and apply's check after its calls.
 */
#include "reconcile/twins.h"

#include <stdlib.h>
#include <string.h>

#include "util/strutil.h"

size_t cr_twins_keeper(const struct cr_live_pool *const *pools, size_t n, const char *adopt_id)
{
    size_t keeper = 0;
    for (size_t i = 0; i < n; i++) {
        const char *id = pools[i]->config.id ? pools[i]->config.id : "";
        if (adopt_id && strcmp(id, adopt_id) == 0)
            return i;
        const char *best = pools[keeper]->config.id ? pools[keeper]->config.id : "";
        if (strcmp(id, best) < 0)
            keeper = i;
    }
    return keeper;
}

const char *cr_twins_blocker(const struct cr_live_pool *loser)
{
    if (!loser->created_by || strcmp(loser->created_by, CR_TAG_CREATED_BY_VALUE) != 0)
        return "cognito-reconcile did not create it (no " CR_TAG_CREATED_BY " tag)";
    switch (loser->identities) {
    case CR_LIVE_IDENTITIES_NONE:
        return NULL;
    case CR_LIVE_IDENTITIES_SOME:
        return "it holds identities";
    case CR_LIVE_IDENTITIES_UNKNOWN:
    default:
        return "whether it holds identities was not read";
    }
}

/* The pool's ARN, or a shell expression for it when the account id is unknown. */
static int s_arn(struct cr_buf *out, const struct cr_live_pool *l, const char *account_id)
{
    if (account_id)
        return cr_cognito_pool_arn(out, l->region, account_id, l->config.id);
    return cr_buf_printf(out,
                         "\"arn:%s:cognito-identity:%s:$(aws sts get-caller-identity --query "
                         "Account --output text):identitypool/%s\"",
                         cr_aws_partition(l->region), l->region, l->config.id) < 0
               ? CR_ENOMEM
               : 0;
}

/* "\n    aws cognito-identity untag-resource ..." removing every ownership tag of l. */
static int s_untag_command(struct cr_buf *out, const struct cr_live_pool *l, const char *account_id)
{
    cr_buf_printf(out, "\n    aws cognito-identity untag-resource --region %s --resource-arn ",
                  l->region);
    int rc = s_arn(out, l, account_id);
    if (rc < 0)
        return rc;
    cr_buf_puts(out, " --tag-keys");
    for (size_t i = 0; i < l->config.tags.len; i++)
        if (strncmp(l->config.tags.items[i].key, CR_TAG_PREFIX, strlen(CR_TAG_PREFIX)) == 0)
            cr_buf_printf(out, " %s", l->config.tags.items[i].key);
    return cr_buf_error(out);
}

int cr_twins_describe(struct cr_buf *out, const char *where, const char *stack, const char *name,
                      const struct cr_live_pool *const *pools, size_t n, size_t keeper,
                      const char *account_id)
{
    const struct cr_live_pool *k = pools[keeper];
    bool smallest = keeper == cr_twins_keeper(pools, n, NULL);
    cr_buf_printf(out, "%s%spool '%s' (stack '%s', %s): identity pools", where ? where : "",
                  where ? ": " : "", name, stack, k->region);
    for (size_t i = 0; i < n; i++)
        cr_buf_printf(out, "%s %s", i == 0 ? "" : i + 1 == n ? " and" : ",", pools[i]->config.id);
    cr_buf_printf(out,
                  " all claim it by their %s tag: twins, left by applies that ran at the same "
                  "time without a lock (docs/locking.md). The rule keeps %s (%s); ",
                  CR_TAG_NAME, k->config.id, smallest ? "the smallest id" : "named by metadata.id");
    for (size_t i = 0; i < n; i++) {
        const char *why = i == keeper ? NULL : cr_twins_blocker(pools[i]);
        if (why)
            cr_buf_printf(out, "%s is not deleted automatically: %s; ", pools[i]->config.id, why);
    }
    cr_buf_printf(out, "resolve it by hand, then run plan again.\n  To keep %s, delete the "
                       "others (their identities are lost):",
                  k->config.id);
    for (size_t i = 0; i < n; i++)
        if (i != keeper)
            cr_buf_printf(out,
                          "\n    aws cognito-identity delete-identity-pool --region %s "
                          "--identity-pool-id %s",
                          pools[i]->region, pools[i]->config.id);
    cr_buf_printf(out, "\n  Or, to keep %s, remove the ownership tags of %s (it stays, unmanaged):",
                  n == 2 ? "the other one" : "another one",
                  n == 2 ? k->config.id : "every pool but that one, e.g.");
    if (n > 2)
        cr_buf_printf(out, " %s", k->config.id);
    int rc = s_untag_command(out, k, account_id);
    return rc < 0 ? rc : cr_buf_error(out);
}

char *cr_twins_note(const char *stack, const struct cr_live_pool *keeper)
{
    struct cr_buf b = CR_BUF_INIT;
    cr_buf_printf(&b,
                  "twin of %s: both carry the name tag '%s' of stack '%s'; this one was created by "
                  "cognito-reconcile and holds no identities, and %s keeps the name",
                  keeper->config.id, keeper->name ? keeper->name : "", stack, keeper->config.id);
    if (cr_buf_oom(&b)) {
        cr_buf_dispose(&b);
        return NULL;
    }
    return cr_buf_detach(&b);
}
