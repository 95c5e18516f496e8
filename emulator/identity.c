/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Identities: the records of the identity side and how logins attach to them.
 *
 *   partition["identities"] = {IDENTITY_ID: {"seq": N, "pool": POOL_ID,
 *       "created": MS, "modified": MS, "logins": [{"provider": KEY, "user": ID}, ...],
 *       "authenticated": b, "disabled": b}}
 *
 * Ids are REGION:GUID like pool ids. An identity becomes authenticated when a login links
 * to it and never goes back ("It is not possible to get an unauthenticated token for
 * authenticated or disabled identities", developer guide "authentication flow"). Linking and
 * merging follow the same guide: a login seen for the first time links to the identity; a
 * login linked to another identity merges the two, the older one keeps every login and the
 * other is disabled; one login per public provider.
 *
 * Unsigned calls (GetId, GetCredentialsForIdentity, GetOpenIdToken, UnlinkIdentity) carry no
 * credential scope, so pools and identities are found by the region their id names, in any
 * account; signed calls see only their account and region, as for the pool operations.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emulator/internal.h"
#include "schema/constraints.h"


static int64_t s_now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* The entry `id` of partition member `member` ("pools", "identities"): in the caller's
 * partition, or for an unsigned call in every partition of the region the id names. */
static json_t *s_search(struct cr_emu_call *call, const char *id, const char *member,
                        const char *account, json_t **out_part)
{
    const struct cr_emu_caller *c = call->caller;
    const char *colon = id ? strchr(id, ':') : NULL;
    const char *key;
    json_t *part, *v;
    *out_part = NULL;
    if (!id)
        return NULL;
    if (!c->anonymous) {
        part = cr__emu_state_partition(call->emu, c->account_id, c->region, false);
        v = json_object_get(json_object_get(part, member), id);
        if (v && (!account || strcmp(account, c->account_id) == 0)) {
            *out_part = part;
            return v;
        }
        return NULL;
    }
    if (!colon)
        return NULL;
    json_object_foreach(json_object_get(call->emu->state, "partitions"), key, part)
    {
        const char *slash = strchr(key, '/');
        size_t alen = slash ? (size_t)(slash - key) : 0;
        if (!slash || strlen(slash + 1) != (size_t)(colon - id) ||
            strncmp(slash + 1, id, (size_t)(colon - id)) != 0)
            continue;
        if (account && (strlen(account) != alen || strncmp(account, key, alen) != 0))
            continue;
        v = json_object_get(json_object_get(part, member), id);
        if (v) {
            *out_part = part;
            return v;
        }
    }
    return NULL;
}

/* ---- pool views ---- */

static int s_decode(struct cr_emu_call *call, const json_t *doc,
                    int (*decode)(void *out, const char *body, size_t len), void *out)
{
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    int rc = text ? decode(out, text, strlen(text)) : CR_ENOMEM;
    free(text);
    if (rc != 0)
        return cr__emu_fail(call, 500, "InternalErrorException", "the stored pool cannot be read: %s",
                            cr_error_last());
    return 0;
}

static int s_decode_pool(void *out, const char *body, size_t len)
{
    return cr_cognito_decode_pool(out, body, len);
}

static int s_decode_roles(void *out, const char *body, size_t len)
{
    return cr_cognito_decode_roles(out, body, len);
}

static int s_decode_tags(void *out, const char *body, size_t len)
{
    return cr_cognito_decode_principal_tags(out, body, len);
}

static int s_view_tags(struct cr_emu_pool_view *out, struct cr_emu_call *call)
{
    const json_t *maps = json_object_get(out->rec, "principal_tags");
    const char *provider;
    json_t *m;
    out->tags = calloc(json_object_size(maps) + 1, sizeof(*out->tags));
    if (!out->tags)
        return cr__emu_fail(call, 500, "InternalErrorException", "out of memory");
    json_object_foreach((json_t *)maps, provider, m)
    {
        json_t *doc = json_pack("{s:s, s:s, s:O, s:O}", "IdentityPoolId", out->id,
                                "IdentityProviderName", provider, "UseDefaults",
                                json_object_get(m, "UseDefaults"), "PrincipalTags",
                                json_object_get(m, "PrincipalTags"));
        int rc = s_decode(call, doc, s_decode_tags, &out->tags[out->n_tags]);
        json_decref(doc);
        if (rc != 0)
            return rc;
        out->n_tags++;
    }
    return 0;
}

int cr__emu_pool_view(struct cr_emu_pool_view *out, struct cr_emu_call *call, const char *pool_id,
                      const char *account_id)
{
    json_t *doc;
    int rc;
    memset(out, 0, sizeof(*out));
    out->config.allow_classic_flow = -1;
    snprintf(call->pool_id, sizeof(call->pool_id), "%s", pool_id ? pool_id : "");
    out->rec = s_search(call, pool_id, "pools", account_id, &out->part);
    if (!out->rec)
        return cr__emu_fail(call, 400, "ResourceNotFoundException", "IdentityPool '%s' not found.",
                            pool_id);
    out->id = json_string_value(json_object_get(json_object_get(out->rec, "pool"), "IdentityPoolId"));
    if (s_decode(call, json_object_get(out->rec, "pool"), s_decode_pool, &out->config) != 0)
        return CR_ESERVICE;
    doc = json_pack("{s:s, s:O, s:O}", "IdentityPoolId", out->id, "Roles",
                    json_object_get(out->rec, "roles"), "RoleMappings",
                    json_object_get(out->rec, "role_mappings"));
    rc = s_decode(call, doc, s_decode_roles, &out->roles);
    json_decref(doc);
    if (rc != 0 || s_view_tags(out, call) != 0)
        return CR_ESERVICE;
    out->access.config = &out->config;
    out->access.roles = &out->roles;
    out->access.principal_tags = out->tags;
    out->access.n_principal_tags = out->n_tags;
    return 0;
}

void cr__emu_pool_view_dispose(struct cr_emu_pool_view *view)
{
    cr_cognito_pool_dispose(&view->config);
    cr_cognito_roles_dispose(&view->roles);
    for (size_t i = 0; i < view->n_tags; i++)
        cr_cognito_principal_tags_dispose(&view->tags[i]);
    free(view->tags);
    memset(view, 0, sizeof(*view));
}

/* ---- identities ---- */

json_t *cr__emu_identity_find(struct cr_emu_call *call, const char *identity_id, json_t **out_part)
{
    json_t *rec = s_search(call, identity_id, "identities", NULL, out_part);
    if (!rec) {
        cr__emu_fail(call, 400, "ResourceNotFoundException", "Identity '%s' not found.",
                     identity_id);
        return NULL;
    }
    snprintf(call->pool_id, sizeof(call->pool_id), "%s",
             json_string_value(json_object_get(rec, "pool")));
    return rec;
}

void cr__emu_identities_drop_pool(json_t *part, const char *pool_id)
{
    json_t *ids = json_object_get(part, "identities");
    const char *id;
    json_t *rec, *tmp;
    json_object_foreach_safe(ids, tmp, id, rec)
    {
        if (strcmp(json_string_value(json_object_get(rec, "pool")), pool_id) == 0)
            json_object_del(ids, id);
    }
}

/* A new identity of the pool (REGION:GUID, the region of the pool's id). */
json_t *cr__emu_identity_new(struct cr_emu_call *call, json_t *part, const char *pool_id,
                             char out_id[64])
{
    char uuid[37];
    int64_t now = s_now_ms();
    json_t *ids = json_object_get(part, "identities");
    json_t *rec;
    if (!ids && json_object_set_new(part, "identities", json_object()) == 0)
        ids = json_object_get(part, "identities");
    cr__emu_uuid(uuid);
    snprintf(out_id, 64, "%.*s:%s", (int)strcspn(pool_id, ":"), pool_id, uuid);
    rec = json_pack("{s:I, s:s, s:I, s:I, s:[], s:b, s:b}", "seq", cr__emu_state_next_seq(call->emu),
                    "pool", pool_id, "created", (json_int_t)now, "modified", (json_int_t)now,
                    "logins", "authenticated", 0, "disabled", 0);
    if (!ids || !rec || json_object_set_new(ids, out_id, rec) != 0) {
        cr__emu_fail(call, 500, "InternalErrorException", "out of memory");
        return NULL;
    }
    call->wrote = true;
    return rec;
}

bool cr__emu_identity_has_login(const json_t *rec, const char *provider, const char *user)
{
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(rec, "logins"), i, l)
    {
        if (strcmp(json_string_value(json_object_get(l, "provider")), provider) == 0 &&
            (!user || strcmp(json_string_value(json_object_get(l, "user")), user) == 0))
            return true;
    }
    return false;
}

json_t *cr__emu_identity_by_login(json_t *part, const char *pool_id, const char *provider,
                                  const char *user, const char **out_id)
{
    const char *id;
    json_t *rec;
    json_object_foreach(json_object_get(part, "identities"), id, rec)
    {
        if (strcmp(json_string_value(json_object_get(rec, "pool")), pool_id) == 0 &&
            !json_is_true(json_object_get(rec, "disabled")) &&
            cr__emu_identity_has_login(rec, provider, user)) {
            if (out_id)
                *out_id = id;
            return rec;
        }
    }
    return NULL;
}

/* The user the identity has for a public provider, when it differs from user. */
static const char *s_other_user(const json_t *rec, const char *provider, const char *user)
{
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(rec, "logins"), i, l)
    {
        const char *u = json_string_value(json_object_get(l, "user"));
        if (strcmp(json_string_value(json_object_get(l, "provider")), provider) == 0 &&
            strcmp(u, user) != 0)
            return u;
    }
    return NULL;
}

/* Adds the login to rec unless it is there; one login per public provider. */
static int s_link(struct cr_emu_call *call, json_t *rec, const char *id, const char *provider,
                  const char *user, bool developer)
{
    if (cr__emu_identity_has_login(rec, provider, user))
        return 0;
    if (!developer && s_other_user(rec, provider, user))
        return cr__emu_fail(call, 400, "ResourceConflictException",
                            "Identity '%s' is already linked to another login of provider '%s'.",
                            id, provider);
    if (json_array_append_new(json_object_get(rec, "logins"),
                              json_pack("{s:s, s:s}", "provider", provider, "user", user)) != 0)
        return cr__emu_fail(call, 500, "InternalErrorException", "out of memory");
    return 0;
}

static void s_touch(json_t *rec)
{
    json_object_set_new(rec, "modified", json_integer(s_now_ms()));
}

/* Moves every login of `from` to `to` and disables `from` (merging identities). */
int cr__emu_identity_merge(struct cr_emu_call *call, json_t *to, const char *to_id, json_t *from,
                           const char *developer)
{
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(from, "logins"), i, l)
    {
        const char *p = json_string_value(json_object_get(l, "provider"));
        if (s_link(call, to, to_id, p, json_string_value(json_object_get(l, "user")),
                   developer && strcmp(p, developer) == 0) != 0)
            return CR_ESERVICE;
    }
    json_array_clear(json_object_get(from, "logins"));
    json_object_set_new(from, "disabled", json_true());
    json_object_set_new(to, "authenticated", json_true());
    s_touch(from);
    s_touch(to);
    call->wrote = true;
    return 0;
}

/* The identity to keep when several own the logins: the oldest (lowest seq). */
static bool s_older(const json_t *a, const json_t *b)
{
    return json_integer_value(json_object_get(a, "seq")) <
           json_integer_value(json_object_get(b, "seq"));
}

/* Appends rec's logins (provider, user) to pairs. */
static void s_pairs_of(json_t *pairs, const json_t *rec)
{
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(rec, "logins"), i, l)
    {
        json_array_append(pairs, l);
    }
}

/* One login per public provider across everything that ends up on one identity: checked
 * before anything changes, so a refused call leaves the state as it was. */
static int s_check_conflicts(struct cr_emu_call *call, json_t *const *recs, size_t n,
                             const struct cr_emu_logins *logins, const char *developer)
{
    json_t *pairs = json_array();
    size_t i, k;
    json_t *a, *b;
    int rc = 0;
    for (i = 0; pairs && i < n; i++)
        s_pairs_of(pairs, recs[i]);
    for (i = 0; pairs && i < logins->len; i++) {
        if (!logins->items[i].identity_id)
            json_array_append_new(pairs, json_pack("{s:s, s:s}", "provider", logins->items[i].key,
                                                   "user", logins->items[i].user));
    }
    if (!pairs)
        return cr__emu_fail(call, 500, "InternalErrorException", "out of memory");
    json_array_foreach(pairs, i, a)
    {
        const char *p = json_string_value(json_object_get(a, "provider"));
        for (k = i + 1; rc == 0 && k < json_array_size(pairs); k++) {
            b = json_array_get(pairs, k);
            if ((!developer || strcmp(p, developer) != 0) &&
                strcmp(p, json_string_value(json_object_get(b, "provider"))) == 0 &&
                !json_equal(json_object_get(a, "user"), json_object_get(b, "user")))
                rc = cr__emu_fail(call, 400, "ResourceConflictException",
                                  "An identity can have one login of provider '%s'; these logins "
                                  "would link two.",
                                  p);
        }
    }
    json_decref(pairs);
    return rc;
}

json_t *cr__emu_identity_attach(struct cr_emu_call *call, json_t *part, const char *pool_id,
                                const char *developer, json_t *rec, const char *id,
                                const struct cr_emu_logins *logins, char out_id[64])
{
    json_t *keep = rec, *involved[CR_LIMIT_LOGIN_PROVIDERS + 2];
    const char *keep_id = id;
    size_t n = 0;
    if (rec)
        involved[n++] = rec;
    /* the identities already owning one of the logins; the oldest of all is kept */
    for (size_t i = 0; i < logins->len && n < sizeof(involved) / sizeof(involved[0]); i++) {
        const char *owner_id = NULL;
        const struct cr_emu_login *l = &logins->items[i];
        json_t *owner = l->identity_id ? NULL
                                       : cr__emu_identity_by_login(part, pool_id, l->key, l->user,
                                                                   &owner_id);
        bool seen = false;
        for (size_t k = 0; owner && k < n; k++)
            seen |= involved[k] == owner;
        if (!owner || seen)
            continue;
        involved[n++] = owner;
        if (!keep || s_older(owner, keep)) {
            keep = owner;
            keep_id = owner_id;
        }
    }
    if (s_check_conflicts(call, involved, n, logins, developer) != 0)
        return NULL;
    if (!keep) {
        keep = cr__emu_identity_new(call, part, pool_id, out_id);
        if (!keep)
            return NULL;
        keep_id = out_id;
    }
    if (keep_id != out_id)
        snprintf(out_id, 64, "%s", keep_id);
    keep_id = out_id; /* the key string of a record disabled below must not be relied on */
    for (size_t i = 0; i < n; i++) {
        if (involved[i] != keep && cr__emu_identity_merge(call, keep, keep_id, involved[i], developer) != 0)
            return NULL;
    }
    for (size_t i = 0; i < logins->len; i++) {
        const struct cr_emu_login *l = &logins->items[i];
        if (l->identity_id || cr__emu_identity_has_login(keep, l->key, l->user))
            continue;
        if (s_link(call, keep, keep_id, l->key, l->user,
                   developer && strcmp(l->key, developer) == 0) != 0)
            return NULL;
        json_object_set_new(keep, "authenticated", json_true());
        s_touch(keep);
        call->wrote = true;
    }
    return keep;
}

/* ---- shapes ---- */

json_t *cr__emu_identity_description(const char *id, const json_t *rec)
{
    json_t *out = json_pack("{s:s}", "IdentityId", id);
    json_t *providers = json_array();
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(rec, "logins"), i, l)
    {
        json_t *p = json_object_get(l, "provider");
        bool seen = false;
        for (size_t k = 0; k < json_array_size(providers); k++)
            seen |= json_equal(json_array_get(providers, k), p);
        if (!seen)
            json_array_append(providers, p);
    }
    /* members that are set only, as elsewhere in the API */
    if (out && json_array_size(providers) > 0)
        json_object_set(out, "Logins", providers);
    json_decref(providers);
    if (out) {
        json_object_set_new(out, "CreationDate",
                            json_real((double)json_integer_value(cr__emu_member(rec, "created")) / 1000.0));
        json_object_set_new(out, "LastModifiedDate",
                            json_real((double)json_integer_value(cr__emu_member(rec, "modified")) / 1000.0));
    }
    return out;
}

/* ---- loading ---- */

static int s_check_identity(const char *part_key, const char *id, const json_t *rec,
                            json_int_t *last, json_int_t next_seq)
{
    size_t i;
    json_t *l;
    json_int_t seq = json_integer_value(json_object_get(rec, "seq"));
    if (!json_is_integer(json_object_get(rec, "seq")) || seq <= *last || seq >= next_seq ||
        !json_is_string(json_object_get(rec, "pool")) ||
        !json_is_integer(json_object_get(rec, "created")) ||
        !json_is_integer(json_object_get(rec, "modified")) ||
        !json_is_array(json_object_get(rec, "logins")) ||
        !json_is_boolean(json_object_get(rec, "authenticated")) ||
        !json_is_boolean(json_object_get(rec, "disabled"))) {
        cr_error_set("partition '%s': identity '%s': expected seq (increasing, below next_seq), "
                     "pool, created, modified, logins, authenticated and disabled",
                     part_key, id);
        return CR_EINVALID;
    }
    *last = seq;
    json_array_foreach(json_object_get(rec, "logins"), i, l)
    {
        if (!json_is_string(json_object_get(l, "provider")) ||
            !json_is_string(json_object_get(l, "user"))) {
            cr_error_set("partition '%s': identity '%s': login %zu needs string provider and user",
                         part_key, id, i + 1);
            return CR_EINVALID;
        }
    }
    return 0;
}

int cr__emu_identities_check(const json_t *part, const char *part_key, json_int_t next_seq)
{
    const json_t *ids = json_object_get(part, "identities");
    const char *id;
    json_t *rec;
    json_int_t last = 0;
    if (!ids)
        return 0;
    if (!json_is_object(ids)) {
        cr_error_set("partition '%s': 'identities' is not an object", part_key);
        return CR_EINVALID;
    }
    json_object_foreach((json_t *)ids, id, rec)
    {
        if (s_check_identity(part_key, id, rec, &last, next_seq) != 0)
            return CR_EINVALID;
    }
    return 0;
}
