/* SPDX-License-Identifier: Apache-2.0 */
#include "util/strmap.h"

#include <stdlib.h>
#include <string.h>

#include "util/array.h"

static int s_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int cr_strlist_push(struct cr_strlist *list, const char *s)
{
    if (cr_array_reserve(&list->items, &list->cap, list->len, sizeof(*list->items), 4) != 0)
        return CR_ENOMEM;
    char *copy = strdup(s);
    if (!copy)
        return CR_ENOMEM;
    list->items[list->len++] = copy;
    return 0;
}

bool cr_strlist_contains(const struct cr_strlist *list, const char *s)
{
    for (size_t i = 0; i < list->len; i++)
        if (strcmp(list->items[i], s) == 0)
            return true;
    return false;
}

void cr_strlist_sort(struct cr_strlist *list)
{
    if (list->len > 1)
        qsort(list->items, list->len, sizeof(char *), s_cmp_str);
}

bool cr_strlist_set_equal(const struct cr_strlist *a, const struct cr_strlist *b)
{
    for (size_t i = 0; i < a->len; i++)
        if (!cr_strlist_contains(b, a->items[i]))
            return false;
    for (size_t i = 0; i < b->len; i++)
        if (!cr_strlist_contains(a, b->items[i]))
            return false;
    return true;
}

int cr_strlist_copy(struct cr_strlist *out, const struct cr_strlist *src)
{
    for (size_t i = 0; i < src->len; i++)
        if (cr_strlist_push(out, src->items[i]) < 0)
            return CR_ENOMEM;
    return 0;
}

void cr_strlist_dispose(struct cr_strlist *list)
{
    for (size_t i = 0; i < list->len; i++)
        free(list->items[i]);
    free(list->items);
    memset(list, 0, sizeof(*list));
}

/* Binary search: index of key, or where it would be inserted (found reports which). */
static size_t s_find(const struct cr_strmap *map, const char *key, bool *found)
{
    size_t lo = 0, hi = map->len;
    *found = false;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(map->items[mid].key, key);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int cr_strmap_set(struct cr_strmap *map, const char *key, const char *value)
{
    bool found;
    size_t at = s_find(map, key, &found);
    char *v = strdup(value);
    if (!v)
        return CR_ENOMEM;
    if (found) {
        free(map->items[at].value);
        map->items[at].value = v;
        return 0;
    }
    if (cr_array_reserve(&map->items, &map->cap, map->len, sizeof(*map->items), 4) != 0) {
        free(v);
        return CR_ENOMEM;
    }
    char *k = strdup(key);
    if (!k) {
        free(v);
        return CR_ENOMEM;
    }
    memmove(&map->items[at + 1], &map->items[at], (map->len - at) * sizeof(map->items[0]));
    map->items[at].key = k;
    map->items[at].value = v;
    map->len++;
    return 0;
}

const char *cr_strmap_get(const struct cr_strmap *map, const char *key)
{
    bool found;
    size_t at = s_find(map, key, &found);
    return found ? map->items[at].value : NULL;
}

bool cr_strmap_remove(struct cr_strmap *map, const char *key)
{
    bool found;
    size_t at = s_find(map, key, &found);
    if (!found)
        return false;
    free(map->items[at].key);
    free(map->items[at].value);
    memmove(&map->items[at], &map->items[at + 1], (map->len - at - 1) * sizeof(map->items[0]));
    map->len--;
    return true;
}

bool cr_strmap_equal(const struct cr_strmap *a, const struct cr_strmap *b)
{
    if (a->len != b->len)
        return false;
    for (size_t i = 0; i < a->len; i++) {
        if (strcmp(a->items[i].key, b->items[i].key) != 0)
            return false;
        if (strcmp(a->items[i].value, b->items[i].value) != 0)
            return false;
    }
    return true;
}

int cr_strmap_copy(struct cr_strmap *out, const struct cr_strmap *src)
{
    for (size_t i = 0; i < src->len; i++)
        if (cr_strmap_set(out, src->items[i].key, src->items[i].value) < 0)
            return CR_ENOMEM;
    return 0;
}

void cr_strmap_dispose(struct cr_strmap *map)
{
    for (size_t i = 0; i < map->len; i++) {
        free(map->items[i].key);
        free(map->items[i].value);
    }
    free(map->items);
    memset(map, 0, sizeof(*map));
}
