/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The typed cognito-identity operations (aws/cognito_ops.h): one table says how each
 * operation's request is encoded and its answer decoded, and one function runs any of them.
 */
#include "aws/cognito_ops.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/client.h"

#define S_LIST_PAGE_SIZE 60
#define S_LIST_MAX_PAGES 10000

/* What any operation's encoder takes; each uses its own members. */
struct s_args {
    const struct cr_cognito_pool *pool;
    const char *id; /* pool id, or the ARN of the tagging operations */
    const char *provider;
    const struct cr_strmap *tags;
    const struct cr_strlist *keys;
    const struct cr_cognito_roles *roles;
    const struct cr_cognito_principal_tags *pt;
    const char *next_token;
};

typedef int s_encode_fn(struct cr_buf *body, const struct s_args *a);
typedef int s_decode_fn(void *out, const char *body, size_t len);

static int s_enc_create(struct cr_buf *body, const struct s_args *a)
{
    return cr_cognito_encode_create(body, a->pool);
}

static int s_enc_update(struct cr_buf *body, const struct s_args *a)
{
    return cr_cognito_encode_update(body, a->pool);
}

static int s_enc_pool_id(struct cr_buf *body, const struct s_args *a)
{
    return cr_cognito_encode_pool_id(body, a->id);
}

static int s_enc_list(struct cr_buf *body, const struct s_args *a)
{
    return cr_cognito_encode_list(body, S_LIST_PAGE_SIZE, a->next_token);
}

static int s_enc_set_roles(struct cr_buf *body, const struct s_args *a)
{
    return cr_cognito_encode_set_roles(body, a->roles);
}

static int s_enc_get_ptags(struct cr_buf *body, const struct s_args *a)
{
    return cr_cognito_encode_get_principal_tags(body, a->id, a->provider);
}

static int s_enc_set_ptags(struct cr_buf *body, const struct s_args *a)
{
    return cr_cognito_encode_set_principal_tags(body, a->pt);
}

static int s_enc_tag(struct cr_buf *body, const struct s_args *a)
{
    return cr_cognito_encode_tag(body, a->id, a->tags);
}

static int s_enc_untag(struct cr_buf *body, const struct s_args *a)
{
    return cr_cognito_encode_untag(body, a->id, a->keys);
}

static int s_enc_list_tags(struct cr_buf *body, const struct s_args *a)
{
    return cr_cognito_encode_list_tags(body, a->id);
}

static int s_enc_list_identities(struct cr_buf *body, const struct s_args *a)
{
    return cr_cognito_encode_list_identities(body, a->id, 1);
}

static int s_dec_identity_count(void *out, const char *body, size_t len)
{
    return cr_cognito_decode_identity_count(out, body, len);
}

static int s_dec_pool(void *out, const char *body, size_t len)
{
    return cr_cognito_decode_pool(out, body, len);
}

static int s_dec_page(void *out, const char *body, size_t len)
{
    return cr_cognito_decode_pool_page(out, body, len);
}

static int s_dec_roles(void *out, const char *body, size_t len)
{
    return cr_cognito_decode_roles(out, body, len);
}

static int s_dec_ptags(void *out, const char *body, size_t len)
{
    return cr_cognito_decode_principal_tags(out, body, len);
}

static int s_dec_tags(void *out, const char *body, size_t len)
{
    return cr_cognito_decode_tags(out, body, len);
}

/* Per operation: its encoder, and the decoder of its answer (NULL: nothing to read). */
static const struct {
    s_encode_fn *encode;
    s_decode_fn *decode;
} s_ops[CR_OP_COUNT] = {
    [CR_OP_CREATE_IDENTITY_POOL] = {s_enc_create, s_dec_pool},
    [CR_OP_UPDATE_IDENTITY_POOL] = {s_enc_update, s_dec_pool},
    [CR_OP_DESCRIBE_IDENTITY_POOL] = {s_enc_pool_id, s_dec_pool},
    [CR_OP_DELETE_IDENTITY_POOL] = {s_enc_pool_id, NULL},
    [CR_OP_LIST_IDENTITY_POOLS] = {s_enc_list, s_dec_page},
    [CR_OP_GET_IDENTITY_POOL_ROLES] = {s_enc_pool_id, s_dec_roles},
    [CR_OP_SET_IDENTITY_POOL_ROLES] = {s_enc_set_roles, NULL},
    [CR_OP_GET_PRINCIPAL_TAG_ATTRIBUTE_MAP] = {s_enc_get_ptags, s_dec_ptags},
    [CR_OP_SET_PRINCIPAL_TAG_ATTRIBUTE_MAP] = {s_enc_set_ptags, NULL},
    [CR_OP_TAG_RESOURCE] = {s_enc_tag, NULL},
    [CR_OP_UNTAG_RESOURCE] = {s_enc_untag, NULL},
    [CR_OP_LIST_TAGS_FOR_RESOURCE] = {s_enc_list_tags, s_dec_tags},
    [CR_OP_LIST_IDENTITIES] = {s_enc_list_identities, s_dec_identity_count},
};

/* Encodes, performs (with retries) and decodes into out (when given and the operation answers
 * something). ResourceNotFoundException becomes CR_ENOTFOUND, its message kept. */
static int s_call(struct cr_aws_client *c, enum cr_cognito_op op, const struct s_args *a, void *out)
{
    struct cr_aws_call call;
    cr_aws_call_init(&call, op);
    int rc = s_ops[op].encode(&call.body, a);
    if (rc == 0)
        rc = cr_aws_perform(c, &call, 1);
    if (rc == CR_ESERVICE && strcmp(call.error.type, "ResourceNotFoundException") == 0)
        rc = CR_ENOTFOUND;
    if (rc == 0 && out && s_ops[op].decode) {
        rc = s_ops[op].decode(out, call.response.ptr, call.response.len);
        if (rc < 0) /* the decoder named the member; say which answer it was */
            cr_error_prefix("%s", cr_cognito_op_name(op));
    }
    cr_aws_call_dispose(&call);
    return rc;
}

int cr_cognito_create_pool(struct cr_aws_client *c, struct cr_cognito_pool *out,
                           const struct cr_cognito_pool *desired)
{
    struct s_args a = {.pool = desired};
    return s_call(c, CR_OP_CREATE_IDENTITY_POOL, &a, out);
}

int cr_cognito_update_pool(struct cr_aws_client *c, struct cr_cognito_pool *out,
                           const struct cr_cognito_pool *desired)
{
    struct s_args a = {.pool = desired};
    return s_call(c, CR_OP_UPDATE_IDENTITY_POOL, &a, out);
}

int cr_cognito_describe_pool(struct cr_aws_client *c, struct cr_cognito_pool *out,
                             const char *pool_id)
{
    struct s_args a = {.id = pool_id};
    return s_call(c, CR_OP_DESCRIBE_IDENTITY_POOL, &a, out);
}

int cr_cognito_delete_pool(struct cr_aws_client *c, const char *pool_id)
{
    struct s_args a = {.id = pool_id};
    return s_call(c, CR_OP_DELETE_IDENTITY_POOL, &a, NULL);
}

int cr_cognito_get_roles(struct cr_aws_client *c, struct cr_cognito_roles *out, const char *pool_id)
{
    struct s_args a = {.id = pool_id};
    return s_call(c, CR_OP_GET_IDENTITY_POOL_ROLES, &a, out);
}

int cr_cognito_set_roles(struct cr_aws_client *c, const struct cr_cognito_roles *roles)
{
    struct s_args a = {.roles = roles};
    return s_call(c, CR_OP_SET_IDENTITY_POOL_ROLES, &a, NULL);
}

int cr_cognito_get_principal_tags(struct cr_aws_client *c, struct cr_cognito_principal_tags *out,
                                  const char *pool_id, const char *provider)
{
    struct s_args a = {.id = pool_id, .provider = provider};
    return s_call(c, CR_OP_GET_PRINCIPAL_TAG_ATTRIBUTE_MAP, &a, out);
}

int cr_cognito_set_principal_tags(struct cr_aws_client *c,
                                  const struct cr_cognito_principal_tags *pt)
{
    struct s_args a = {.pt = pt};
    return s_call(c, CR_OP_SET_PRINCIPAL_TAG_ATTRIBUTE_MAP, &a, NULL);
}

int cr_cognito_tag(struct cr_aws_client *c, const char *arn, const struct cr_strmap *tags)
{
    struct s_args a = {.id = arn, .tags = tags};
    return s_call(c, CR_OP_TAG_RESOURCE, &a, NULL);
}

int cr_cognito_untag(struct cr_aws_client *c, const char *arn, const struct cr_strlist *keys)
{
    struct s_args a = {.id = arn, .keys = keys};
    return s_call(c, CR_OP_UNTAG_RESOURCE, &a, NULL);
}

int cr_cognito_list_tags(struct cr_aws_client *c, struct cr_strmap *out, const char *arn)
{
    struct s_args a = {.id = arn};
    return s_call(c, CR_OP_LIST_TAGS_FOR_RESOURCE, &a, out);
}

int cr_cognito_has_identities(struct cr_aws_client *c, bool *out, const char *pool_id)
{
    size_t n = 0;
    struct s_args a = {.id = pool_id};
    int rc = s_call(c, CR_OP_LIST_IDENTITIES, &a, &n);
    *out = rc == 0 && n > 0;
    return rc;
}

/* Appends a page's items to out, taking ownership of their strings. */
static int s_append_page(struct cr_cognito_pool_page *out, struct cr_cognito_pool_page *page)
{
    if (!page->len)
        return 0;
    /* out->len + page->len items must not wrap size_t when multiplied by the item size */
    size_t max = SIZE_MAX / sizeof(*out->items);
    struct cr_cognito_pool_summary *items = NULL;
    if (page->len <= max && out->len <= max - page->len)
        items = realloc(out->items, (out->len + page->len) * sizeof(*items));
    if (!items) {
        cr_error_set("out of memory listing identity pools");
        return CR_ENOMEM;
    }
    out->items = items;
    memcpy(out->items + out->len, page->items, page->len * sizeof(*items));
    out->len += page->len;
    page->len = 0; /* now owned by out */
    return 0;
}

int cr_cognito_list_pools(struct cr_aws_client *c, struct cr_cognito_pool_page *out)
{
    int result = 0;
    struct cr_cognito_pool_page page = {0};
    char *token = NULL;
    memset(out, 0, sizeof(*out));
    for (unsigned pages = 0;; pages++) {
        if (pages == S_LIST_MAX_PAGES) {
            cr_error_set("ListIdentityPools: more than %d pages; stopping (the service keeps "
                         "returning NextToken)",
                         S_LIST_MAX_PAGES);
            result = CR_ELIMIT;
            goto done;
        }
        struct s_args a = {.next_token = token};
        result = s_call(c, CR_OP_LIST_IDENTITY_POOLS, &a, &page);
        if (result == 0)
            result = s_append_page(out, &page);
        if (result < 0)
            goto done;
        free(token);
        token = page.next_token;
        page.next_token = NULL; /* now owned by token */
        cr_cognito_pool_page_dispose(&page);
        if (!token)
            break;
        cr_aws_client_log(c, "ListIdentityPools: following NextToken");
    }
    result = 0;
done:
    free(token);
    cr_cognito_pool_page_dispose(&page);
    if (result < 0)
        cr_cognito_pool_page_dispose(out);
    return result;
}
