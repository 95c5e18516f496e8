/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_ACCESS_INTERNAL_H
#define CR_ACCESS_INTERNAL_H
/* Shared between access/'s files (and its unit tests); not for other modules. */
#include <jansson.h>
#include <stdbool.h>

#include "access/access.h"
#include "util/buf.h"
#include "util/strmap.h"

/**
 * Replaces out's content with the text of a claim value: a string as is, a number or boolean
 * as its JSON text, an array as its values joined with ",". Returns false (out empty) for
 * NULL, null, an object or an empty array. Out-of-memory is left sticky on out.
 */
bool cr__access_claim_text(struct cr_buf *out, const json_t *v);

/** Adds the principal tags of one login to out (keys already in out are kept). 0 or
 * CR_ENOMEM. */
int cr__access_login_tags(struct cr_strmap *out, const struct cr_access_pool *pool,
                          const struct cr_access_login *login);

#endif
