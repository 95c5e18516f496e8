/* SPDX-License-Identifier: Apache-2.0 */
/* The lock's store on S3 (reconcile/lock.h): one object, conditional writes (aws/s3.h). */
#include <stdlib.h>
#include <string.h>

#include "aws/s3.h"
#include "reconcile/lock.h"

static int s_create(void *ctx, struct cr_buf *etag, const char *body, size_t len)
{
    return cr_s3_put(ctx, etag, body, len, &(struct cr_s3_condition){.if_none_match = true});
}

static int s_replace(void *ctx, struct cr_buf *etag, const char *if_match, const char *body,
                     size_t len)
{
    return cr_s3_put(ctx, etag, body, len, &(struct cr_s3_condition){.if_match = if_match});
}

static int s_read(void *ctx, struct cr_buf *body, struct cr_buf *etag)
{
    return cr_s3_get(ctx, body, etag);
}

static int s_remove(void *ctx, const char *if_match)
{
    return cr_s3_delete(ctx, &(struct cr_s3_condition){.if_match = if_match});
}

static void s_free(void *ctx)
{
    cr_s3_client_free(ctx);
}

static const struct cr_lock_store_ops s_ops = {s_create, s_replace, s_read, s_remove, s_free};

int cr_lock_store_s3_new(struct cr_lock_store **out, const struct cr_lock_settings *settings,
                         const char *what, const struct cr_s3_options *base)
{
    struct cr_s3_location loc;
    struct cr_s3_options o = *base;
    struct cr_lock_store *st = NULL;
    *out = NULL;
    int rc = cr_s3_location_parse(&loc, settings->url, what);
    if (rc < 0)
        return rc;
    if (settings->region)
        o.region = settings->region;
    o.endpoint_url = settings->endpoint_url;
    o.endpoint_name = "--lock-endpoint-url";
    st = calloc(1, sizeof(*st));
    rc = st ? 0 : CR_ENOMEM;
    if (rc == 0) {
        st->ops = &s_ops;
        st->where = strdup(settings->url);
        rc = st->where ? 0 : CR_ENOMEM;
    }
    if (rc < 0)
        cr_error_set("out of memory");
    if (rc == 0)
        rc = cr_s3_client_new((struct cr_s3_client **)&st->ctx, &loc, &o);
    cr_s3_location_dispose(&loc);
    if (rc < 0) {
        cr_lock_store_free(st);
        return rc;
    }
    *out = st;
    return 0;
}
