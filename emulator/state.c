/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The emulator's state: one JSON document, so persistence is a dump and a load.
 *
 *   {"format": "cognito-identity-local/state", "version": 1, "next_seq": N,
 *    "partitions": {"ACCOUNT/REGION": {"pools": {POOL_ID: RECORD, ...},
 *                                      "identities": {IDENTITY_ID: IDENTITY, ...}}},
 *    "signing_keys": {"openid"|"idp": {"kid": ..., "pem": ...}}}
 *
 *   RECORD = {"seq": N, "pool": {IdentityPool members as stored, without tags},
 *             "tags": {...}, "roles": {...}, "role_mappings": {...},
 *             "principal_tags": {PROVIDER: {"UseDefaults": b, "PrincipalTags": {...}}}}
 *   IDENTITY: see identity.c. "identities" and "signing_keys" are optional (older files).
 *
 * Pools keep insertion order (jansson objects iterate in insertion order), which is creation
 * order, so ListIdentityPools pages are stable. Every function here runs under state_lock.
 */
#include <stdio.h>
#include <string.h>

#include "emulator/internal.h"

#define CR_EMU_STATE_FORMAT "cognito-identity-local/state"

json_t *cr__emu_state_empty(void)
{
    return json_pack("{s:s, s:i, s:I, s:{}}", "format", CR_EMU_STATE_FORMAT, "version", 1,
                     "next_seq", (json_int_t)1, "partitions");
}

json_t *cr__emu_state_partition(struct cr_emu *emu, const char *account, const char *region,
                                bool create)
{
    char key[160];
    json_t *parts = json_object_get(emu->state, "partitions");
    snprintf(key, sizeof(key), "%s/%s", account, region);
    json_t *part = json_object_get(parts, key);
    if (!part) {
        if (!create)
            return NULL;
        part = json_pack("{s:{}}", "pools");
        if (!part || json_object_set_new(parts, key, part) != 0)
            return NULL;
    }
    return part;
}

json_t *cr__emu_state_pools(struct cr_emu *emu, const char *account, const char *region,
                            bool create)
{
    return json_object_get(cr__emu_state_partition(emu, account, region, create), "pools");
}

json_t *cr__emu_state_pool(struct cr_emu *emu, const struct cr_emu_caller *caller,
                           const char *pool_id)
{
    json_t *pools = cr__emu_state_pools(emu, caller->account_id, caller->region, false);
    return pools ? json_object_get(pools, pool_id) : NULL;
}

json_int_t cr__emu_state_next_seq(struct cr_emu *emu)
{
    json_t *next = json_object_get(emu->state, "next_seq");
    json_int_t seq = json_integer_value(next);
    json_integer_set(next, seq + 1);
    return seq;
}

static const char *s_str(const json_t *v)
{
    const char *s = json_string_value(v);
    return s ? s : "";
}

static int s_check_strmap(const json_t *map, const char *what, const char *pool_id)
{
    const char *k;
    json_t *v;
    if (!json_is_object(map)) {
        cr_error_set("pool '%s': '%s' is not an object", pool_id, what);
        return CR_EINVALID;
    }
    json_object_foreach((json_t *)map, k, v)
    {
        if (!json_is_string(v)) {
            cr_error_set("pool '%s': '%s' entry '%s' is not a string", pool_id, what, k);
            return CR_EINVALID;
        }
    }
    return 0;
}

static int s_check_record(const char *id, const json_t *rec, json_int_t *last_seq,
                          json_int_t next_seq)
{
    const json_t *pool = json_object_get(rec, "pool");
    json_int_t seq = json_integer_value(json_object_get(rec, "seq"));
    if (!json_is_object(rec) || !json_is_integer(json_object_get(rec, "seq"))) {
        cr_error_set("pool '%s': record has no integer 'seq'", id);
        return CR_EINVALID;
    }
    if (seq <= *last_seq || seq >= next_seq) {
        cr_error_set("pool '%s': seq %lld out of order (previous %lld, next_seq %lld)", id,
                     (long long)seq, (long long)*last_seq, (long long)next_seq);
        return CR_EINVALID;
    }
    *last_seq = seq;
    if (!json_is_object(pool) || strcmp(s_str(json_object_get(pool, "IdentityPoolId")), id) != 0 ||
        !json_is_string(json_object_get(pool, "IdentityPoolName")) ||
        !json_is_boolean(json_object_get(pool, "AllowUnauthenticatedIdentities"))) {
        cr_error_set("pool '%s': 'pool' must hold IdentityPoolId (= the key), IdentityPoolName "
                     "and AllowUnauthenticatedIdentities",
                     id);
        return CR_EINVALID;
    }
    if (s_check_strmap(json_object_get(rec, "tags"), "tags", id) != 0 ||
        s_check_strmap(json_object_get(rec, "roles"), "roles", id) != 0)
        return CR_EINVALID;
    if (!json_is_object(json_object_get(rec, "role_mappings")) ||
        !json_is_object(json_object_get(rec, "principal_tags"))) {
        cr_error_set("pool '%s': 'role_mappings' and 'principal_tags' must be objects", id);
        return CR_EINVALID;
    }
    return 0;
}

static int s_check_signing_keys(const json_t *keys)
{
    const char *use;
    json_t *k;
    if (!keys)
        return 0;
    if (!json_is_object(keys)) {
        cr_error_set("'signing_keys' is not an object");
        return CR_EINVALID;
    }
    json_object_foreach((json_t *)keys, use, k)
    {
        if ((strcmp(use, "openid") != 0 && strcmp(use, "idp") != 0) ||
            !json_is_string(json_object_get(k, "kid")) ||
            !json_is_string(json_object_get(k, "pem"))) {
            cr_error_set("signing key '%s': expected \"openid\" or \"idp\" with string "
                         "\"kid\" and \"pem\"",
                         use);
            return CR_EINVALID;
        }
    }
    return 0;
}

int cr__emu_state_check(const json_t *state)
{
    const char *key, *id;
    json_t *part, *rec;
    const json_t *parts = json_object_get(state, "partitions");
    json_t *next = json_object_get(state, "next_seq");
    if (!json_is_object(state) ||
        strcmp(s_str(json_object_get(state, "format")), CR_EMU_STATE_FORMAT) != 0) {
        cr_error_set("not a cognito-identity-local state file (\"format\" is not \"%s\")",
                     CR_EMU_STATE_FORMAT);
        return CR_EINVALID;
    }
    if (json_integer_value(json_object_get(state, "version")) != 1) {
        cr_error_set("unsupported state version (expected 1)");
        return CR_EINVALID;
    }
    if (!json_is_integer(next) || json_integer_value(next) < 1 || !json_is_object(parts)) {
        cr_error_set("'next_seq' (a positive integer) or 'partitions' (an object) is missing");
        return CR_EINVALID;
    }
    if (cr__emu_s3_state_check(state) != 0)
        return CR_EINVALID;
    json_object_foreach((json_t *)parts, key, part)
    {
        json_t *pools = json_object_get(part, "pools");
        json_int_t last = 0;
        if (!strchr(key, '/') || !json_is_object(pools)) {
            cr_error_set("partition '%s': expected key ACCOUNT/REGION and a 'pools' object", key);
            return CR_EINVALID;
        }
        json_object_foreach(pools, id, rec)
        {
            if (s_check_record(id, rec, &last, json_integer_value(next)) != 0)
                return CR_EINVALID;
        }
        if (cr__emu_identities_check(part, key, json_integer_value(next)) != 0)
            return CR_EINVALID;
    }
    return s_check_signing_keys(json_object_get(state, "signing_keys"));
}
