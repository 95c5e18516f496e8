/* SPDX-License-Identifier: Apache-2.0 */
/* Small read helpers over the manifest model. */
#include "schema/model.h"

#include <stddef.h>
#include <string.h>

const char *cr_model_map_get(const struct cr_model_map *map, const char *key)
{
    for (size_t i = 0; i < map->len; i++)
        if (strcmp(map->items[i].key.value, key) == 0)
            return map->items[i].value.value;
    return NULL;
}

bool cr_model_list_contains(const struct cr_model_list *list, const char *s)
{
    for (size_t i = 0; i < list->len; i++)
        if (strcmp(list->items[i].value, s) == 0)
            return true;
    return false;
}

const char *cr_model_pool_region(const struct cr_model_pool *pool, const char *default_region)
{
    if (pool->region.value != NULL)
        return pool->region.value;
    if (pool->id_region != NULL)
        return pool->id_region;
    return default_region;
}

static bool s_starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool cr_model_iam_arn(const char *arn, const char *type, const char **out_rest)
{
    static const char *const partitions[] = {"arn:aws:", "arn:aws-cn:", "arn:aws-us-gov:"};
    const char *p = NULL;
    if (arn == NULL)
        return false;
    for (size_t i = 0; i < sizeof(partitions) / sizeof(partitions[0]) && p == NULL; i++)
        if (s_starts(arn, partitions[i]))
            p = arn + strlen(partitions[i]);
    if (p == NULL || !s_starts(p, "iam::"))
        return false;
    p += 5;
    for (int i = 0; i < 12; i++, p++)
        if (*p < '0' || *p > '9')
            return false;
    if (*p++ != ':' || !s_starts(p, type))
        return false;
    p += strlen(type);
    if (*p++ != '/' || *p == '\0')
        return false;
    for (const char *c = p; *c; c++)
        if (*c == ' ' || *c == '\t' || *c == '\n' || *c == '\r')
            return false;
    if (out_rest != NULL)
        *out_rest = p;
    return true;
}

const char *cr_model_oidc_host(const char *arn)
{
    const char *rest = NULL;
    return cr_model_iam_arn(arn, "oidc-provider", &rest) ? rest : NULL;
}
