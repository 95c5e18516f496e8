/* SPDX-License-Identifier: Apache-2.0 */
/* Growing plain C arrays. */
#include "util/array.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int cr_array_reserve(void *items, size_t *cap, size_t len, size_t size, size_t first_cap)
{
    if (len < *cap)
        return 0;
    size_t want = *cap != 0 ? *cap : (first_cap != 0 ? first_cap : 1);
    if (*cap != 0 || want <= len) {
        /* doubled until it holds len + 1 (a bulk move may start far past *cap) */
        do {
            if (want > SIZE_MAX / 2)
                return CR_ENOMEM;
            want *= 2;
        } while (want <= len);
    }
    if (want > SIZE_MAX / size)
        return CR_ENOMEM;
    void *old;
    memcpy(&old, items, sizeof(old)); /* items is a T **, whatever T is */
    void *grown = realloc(old, want * size);
    if (grown == NULL)
        return CR_ENOMEM;
    memcpy(items, &grown, sizeof(grown));
    *cap = want;
    return 0;
}
