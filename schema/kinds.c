/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The document kinds cognito-reconcile reads, one line each. A YAML document is ours when its
 * apiVersion starts with "cognito-reconcile/" or its kind is in this table (manifest.c,
 * s_classify); a new kind adds its line here and its converter next to the model it fills.
 */
#include <string.h>

#include "schema/manifest_internal.h"

const struct cr_manifest_kind cr_manifest__kinds[] = {
    {"IdentityPool", cr_manifest__convert_pool},
    {"Account", cr_manifest__convert_account},
    {"IdentityPoolTest", cr_manifest__convert_test},
};

const size_t cr_manifest__n_kinds = sizeof(cr_manifest__kinds) / sizeof(cr_manifest__kinds[0]);

const struct cr_manifest_kind *cr_manifest__kind_find(const char *name, size_t len)
{
    for (size_t i = 0; name != NULL && i < cr_manifest__n_kinds; i++)
        if (strlen(cr_manifest__kinds[i].name) == len &&
            memcmp(cr_manifest__kinds[i].name, name, len) == 0)
            return &cr_manifest__kinds[i];
    return NULL;
}

size_t cr_manifest_kind_count(void)
{
    return cr_manifest__n_kinds;
}

const char *cr_manifest_kind_name(size_t i)
{
    return i < cr_manifest__n_kinds ? cr_manifest__kinds[i].name : NULL;
}
