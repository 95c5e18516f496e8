/* Small read helpers over the manifest model. */
#include "schema/model.h"

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
