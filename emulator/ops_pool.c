/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Create, Update, Describe, Delete and List identity pools. Inputs were already checked
 * against the constraint table (validate.c); what remains here are the semantic rules the
 * service documents (service-behaviour.md), reported as InvalidParameterException,
 * ResourceNotFoundException or LimitExceededException.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "emulator/internal.h"
#include "schema/constraints.h"
#include "schema/model.h"

/* Members of the IdentityPool shape kept in a record's "pool", in the service's order. */
static const char *const s_list_members[] = {"SupportedLoginProviders", "OpenIdConnectProviderARNs",
                                             "CognitoIdentityProviders", "SamlProviderARNs"};

/* A member, with JSON null read as absent (SDKs never send null; Coral treats it so). */
static json_t *s_get(const json_t *obj, const char *name)
{
    json_t *v = json_object_get(obj, name);
    return json_is_null(v) ? NULL : v;
}

json_t *cr__emu_find_pool(struct cr_emu_call *call, const char *pool_id)
{
    json_t *rec = cr__emu_state_pool(call->emu, call->caller, pool_id);
    snprintf(call->pool_id, sizeof(call->pool_id), "%s", pool_id);
    if (!rec)
        cr__emu_fail(call, 400, "ResourceNotFoundException", "IdentityPool '%s' not found.",
                     pool_id);
    return rec;
}

/* An OIDC provider is named by its ARN or by its host (the key role mappings use). */
static bool s_oidc_matches(const char *arn, const char *name)
{
    const char *host = cr_model_oidc_host(arn);
    return strcmp(arn, name) == 0 || (host && strcmp(host, name) == 0);
}

/*
 * Names a role mapping or principal-tag map may use for a pool's providers: login-provider
 * keys (graph.facebook.com), OIDC providers by issuer host or ARN, SAML providers by ARN,
 * user pools as "ProviderName:ClientId" for role mappings (the key format the console and
 * CloudFormation use) and as "ProviderName" for principal tags.
 */
bool cr__emu_provider_configured(const json_t *pool, const char *name, bool role_mapping)
{
    size_t i;
    json_t *v;
    if (s_get(s_get(pool, "SupportedLoginProviders"), name))
        return true;
    json_array_foreach(s_get(pool, "OpenIdConnectProviderARNs"), i, v)
    {
        if (s_oidc_matches(json_string_value(v), name))
            return true;
    }
    json_array_foreach(s_get(pool, "SamlProviderARNs"), i, v)
    {
        if (strcmp(json_string_value(v), name) == 0)
            return true;
    }
    json_array_foreach(s_get(pool, "CognitoIdentityProviders"), i, v)
    {
        const char *pn = json_string_value(s_get(v, "ProviderName"));
        const char *cid = json_string_value(s_get(v, "ClientId"));
        size_t plen = pn ? strlen(pn) : 0;
        if (!pn)
            continue;
        if (!role_mapping && strcmp(pn, name) == 0)
            return true;
        if (role_mapping && cid && strncmp(name, pn, plen) == 0 && name[plen] == ':' &&
            strcmp(name + plen + 1, cid) == 0)
            return true;
    }
    return false;
}

/* Tags: at most 50 per pool, and the aws: prefix is reserved (as for every AWS resource). */
int cr__emu_check_tags(struct cr_emu_call *call, const json_t *tags)
{
    const char *k;
    json_t *v;
    if (json_object_size(tags) > CR_LIMIT_TAGS)
        return cr__emu_fail(call, 400, "InvalidParameterException",
                            "An identity pool can have at most %d tags (%zu given).", CR_LIMIT_TAGS,
                            json_object_size(tags));
    json_object_foreach((json_t *)tags, k, v)
    {
        if (strncasecmp(k, "aws:", 4) == 0)
            return cr__emu_fail(call, 400, "InvalidParameterException",
                                "Tag key '%s' uses the reserved prefix 'aws:'.", k);
    }
    return 0;
}

/*
 * Copies the configuration members of input into pool, leaving out empty lists and maps.
 * Always deep copies: the state never shares a jansson value with a request or a response,
 * whose last reference is dropped outside the state lock (jansson's free is not ordered
 * against another thread's read).
 */
static int s_copy_config(json_t *pool, const json_t *input)
{
    static const char *const scalars[] = {"IdentityPoolName", "AllowUnauthenticatedIdentities",
                                          "AllowClassicFlow", "DeveloperProviderName"};
    json_t *v;
    for (size_t i = 0; i < sizeof(scalars) / sizeof(scalars[0]); i++) {
        v = s_get(input, scalars[i]);
        if (v && json_object_set_new(pool, scalars[i], json_deep_copy(v)) != 0)
            return CR_ENOMEM;
    }
    for (size_t i = 0; i < sizeof(s_list_members) / sizeof(s_list_members[0]); i++) {
        v = s_get(input, s_list_members[i]);
        if (json_object_size(v) == 0 && json_array_size(v) == 0)
            continue;
        if (json_object_set_new(pool, s_list_members[i], json_deep_copy(v)) != 0)
            return CR_ENOMEM;
    }
    /* The service reports ServerSideTokenCheck on every user-pool provider (false unless
     * set), so store it explicitly. */
    size_t i;
    json_array_foreach(s_get(pool, "CognitoIdentityProviders"), i, v)
    {
        if (!json_is_boolean(s_get(v, "ServerSideTokenCheck")) &&
            json_object_set_new(v, "ServerSideTokenCheck", json_false()) != 0)
            return CR_ENOMEM;
    }
    return 0;
}

/* The IdentityPool output shape: stored members in order, then IdentityPoolTags (always). */
static json_t *s_describe(const json_t *rec)
{
    static const char *const order[] = {"IdentityPoolId",
                                        "IdentityPoolName",
                                        "AllowUnauthenticatedIdentities",
                                        "AllowClassicFlow",
                                        "SupportedLoginProviders",
                                        "DeveloperProviderName",
                                        "OpenIdConnectProviderARNs",
                                        "CognitoIdentityProviders",
                                        "SamlProviderARNs"};
    const json_t *pool = json_object_get(rec, "pool");
    json_t *out = json_object();
    for (size_t i = 0; out && i < sizeof(order) / sizeof(order[0]); i++) {
        json_t *v = json_object_get(pool, order[i]);
        if (v && json_object_set_new(out, order[i], json_deep_copy(v)) != 0)
            goto fail;
    }
    if (out && json_object_set_new(out, "IdentityPoolTags",
                                   json_deep_copy(json_object_get(rec, "tags"))) == 0)
        return out;
fail:
    json_decref(out);
    return NULL;
}

static int s_check_config(struct cr_emu_call *call)
{
    json_t *providers = s_get(call->input, "CognitoIdentityProviders");
    if (json_array_size(providers) > CR_LIMIT_USER_POOL_PROVIDERS)
        return cr__emu_fail(call, 400, "LimitExceededException",
                            "An identity pool can have at most %d Cognito user pool providers "
                            "(%zu given).",
                            CR_LIMIT_USER_POOL_PROVIDERS, json_array_size(providers));
    return 0;
}

static int s_output(struct cr_emu_call *call, const json_t *rec)
{
    call->output = s_describe(rec);
    if (!call->output)
        return cr__emu_fail(call, 500, "InternalErrorException", "out of memory");
    return 0;
}

int cr__emu_op_create_pool(struct cr_emu_call *call)
{
    char uuid[37], id[128];
    json_t *pools, *rec, *tags = s_get(call->input, "IdentityPoolTags");
    const struct cr_emu_caller *c = call->caller;
    if (s_check_config(call) != 0 || (tags && cr__emu_check_tags(call, tags) != 0))
        return CR_ESERVICE;
    pools = cr__emu_state_pools(call->emu, c->account_id, c->region, true);
    if (!pools)
        return cr__emu_fail(call, 500, "InternalErrorException", "out of memory");
    if (json_object_size(pools) >= call->emu->max_pools)
        return cr__emu_fail(call, 400, "LimitExceededException",
                            "You have reached the limit of %u identity pools in %s.",
                            call->emu->max_pools, c->region);
    cr__emu_uuid(uuid);
    snprintf(id, sizeof(id), "%s:%s", c->region, uuid);
    rec =
        json_pack("{s:I, s:{s:s}, s:o, s:{}, s:{}, s:{}}", "seq", cr__emu_state_next_seq(call->emu),
                  "pool", "IdentityPoolId", id, "tags", tags ? json_deep_copy(tags) : json_object(),
                  "roles", "role_mappings", "principal_tags");
    if (!rec || s_copy_config(json_object_get(rec, "pool"), call->input) != 0 ||
        json_object_set_new(pools, id, rec) != 0) {
        json_decref(rec);
        return cr__emu_fail(call, 500, "InternalErrorException", "out of memory");
    }
    snprintf(call->pool_id, sizeof(call->pool_id), "%s", id);
    call->wrote = true;
    return s_output(call, rec);
}

/* DeveloperProviderName: omitted keeps it; once set it cannot change. */
static int s_check_developer_name(struct cr_emu_call *call, const json_t *old_pool)
{
    const char *old = json_string_value(json_object_get(old_pool, "DeveloperProviderName"));
    const char *req = json_string_value(s_get(call->input, "DeveloperProviderName"));
    if (old && req && strcmp(old, req) != 0)
        return cr__emu_fail(call, 400, "InvalidParameterException",
                            "DeveloperProviderName cannot be changed once it is set "
                            "(current '%s', requested '%s').",
                            old, req);
    return 0;
}

int cr__emu_op_update_pool(struct cr_emu_call *call)
{
    const char *id = json_string_value(s_get(call->input, "IdentityPoolId"));
    json_t *rec = cr__emu_find_pool(call, id);
    json_t *tags = s_get(call->input, "IdentityPoolTags");
    json_t *old, *fresh;
    if (!rec || s_check_config(call) != 0)
        return CR_ESERVICE;
    old = json_object_get(rec, "pool");
    if (s_check_developer_name(call, old) != 0 || (tags && cr__emu_check_tags(call, tags) != 0))
        return CR_ESERVICE;
    fresh = json_pack("{s:s}", "IdentityPoolId", id);
    if (!fresh || s_copy_config(fresh, call->input) != 0)
        goto oom;
    /* Omitted DeveloperProviderName is kept (service-behaviour.md). An omitted
     * AllowClassicFlow goes back to its default, false, but stays absent if it was never
     * set (the tri-state the service reports). */
    if (!s_get(fresh, "DeveloperProviderName") && json_object_get(old, "DeveloperProviderName") &&
        json_object_set_new(fresh, "DeveloperProviderName",
                            json_deep_copy(json_object_get(old, "DeveloperProviderName"))) != 0)
        goto oom;
    if (!s_get(fresh, "AllowClassicFlow") && json_object_get(old, "AllowClassicFlow") &&
        json_object_set_new(fresh, "AllowClassicFlow", json_false()) != 0)
        goto oom;
    if (json_object_set_new(rec, "pool", fresh) != 0)
        return cr__emu_fail(call, 500, "InternalErrorException", "out of memory");
    if (tags && json_object_set_new(rec, "tags", json_deep_copy(tags)) != 0)
        return cr__emu_fail(call, 500, "InternalErrorException", "out of memory");
    call->wrote = true;
    return s_output(call, rec);
oom:
    json_decref(fresh);
    return cr__emu_fail(call, 500, "InternalErrorException", "out of memory");
}

int cr__emu_op_describe_pool(struct cr_emu_call *call)
{
    json_t *rec = cr__emu_find_pool(call, json_string_value(s_get(call->input, "IdentityPoolId")));
    return rec ? s_output(call, rec) : CR_ESERVICE;
}

int cr__emu_op_delete_pool(struct cr_emu_call *call)
{
    const char *id = json_string_value(s_get(call->input, "IdentityPoolId"));
    json_t *pools =
        cr__emu_state_pools(call->emu, call->caller->account_id, call->caller->region, false);
    if (!cr__emu_find_pool(call, id))
        return CR_ESERVICE;
    json_object_del(pools, id);
    /* the pool's identities go with it */
    cr__emu_identities_drop_pool(
        cr__emu_state_partition(call->emu, call->caller->account_id, call->caller->region, false),
        id);
    call->wrote = true;
    call->output = json_object();
    return 0;
}

/* NextToken is opaque to clients: "v1." + the creation sequence number to resume after. */
int cr__emu_page_token_parse(struct cr_emu_call *call, const char *token, json_int_t *out)
{
    char *end = NULL;
    if (!token) {
        *out = 0;
        return 0;
    }
    if (strncmp(token, "v1.", 3) != 0)
        goto bad;
    long long v = strtoll(token + 3, &end, 16);
    if (end == token + 3 || *end != '\0' || v < 0)
        goto bad;
    *out = (json_int_t)v;
    return 0;
bad:
    return cr__emu_fail(call, 400, "InvalidParameterException",
                        "The pagination token '%s' is not valid.", token);
}

int cr__emu_op_list_pools(struct cr_emu_call *call)
{
    const char *id;
    json_t *rec, *list;
    json_int_t after = 0, last = 0;
    json_int_t max = json_integer_value(s_get(call->input, "MaxResults"));
    json_t *pools =
        cr__emu_state_pools(call->emu, call->caller->account_id, call->caller->region, false);
    bool more = false;
    if (cr__emu_page_token_parse(call, json_string_value(s_get(call->input, "NextToken")),
                                 &after) != 0)
        return CR_ESERVICE;
    call->output = json_pack("{s:[]}", "IdentityPools");
    list = json_object_get(call->output, "IdentityPools");
    json_object_foreach(pools, id, rec)
    {
        json_int_t seq = json_integer_value(json_object_get(rec, "seq"));
        if (seq <= after)
            continue;
        if ((json_int_t)json_array_size(list) >= max) {
            more = true;
            break;
        }
        json_array_append_new(
            list, json_pack("{s:s, s:s}", "IdentityPoolId", id, "IdentityPoolName",
                            json_string_value(json_object_get(json_object_get(rec, "pool"),
                                                              "IdentityPoolName"))));
        last = seq;
    }
    if (more && cr__emu_page_token_set(call->output, last) != 0)
        return cr__emu_fail(call, 500, "InternalErrorException", "out of memory");
    return 0;
}

int cr__emu_page_token_set(json_t *out, json_int_t seq)
{
    char token[32];
    snprintf(token, sizeof(token), "v1.%" PRIx64, (uint64_t)seq);
    return json_object_set_new(out, "NextToken", json_string(token)) == 0 ? 0 : CR_ENOMEM;
}
