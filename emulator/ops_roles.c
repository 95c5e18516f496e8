/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Get/SetIdentityPoolRoles and Get/SetPrincipalTagAttributeMap. The semantic rules here are
 * the ones the API documentation states but the model does not encode (AmbiguousRoleResolution
 * and RulesConfiguration requirements, 25 rules per provider) plus the configured-provider
 * check the service enforces on role-mapping keys (aws-cdk #22951).
 */
#include <stdio.h>
#include <string.h>

#include "emulator/internal.h"
#include "schema/constraints.h"

static json_t *s_get(const json_t *obj, const char *name)
{
    json_t *v = json_object_get(obj, name);
    return json_is_null(v) ? NULL : v;
}

static int s_oom(struct cr_emu_call *call)
{
    return cr__emu_fail(call, 500, "InternalErrorException", "out of memory");
}

static int s_check_mapping(struct cr_emu_call *call, const json_t *pool, const char *key,
                           const json_t *m)
{
    const char *type = json_string_value(s_get(m, "Type"));
    const json_t *rules = s_get(s_get(m, "RulesConfiguration"), "Rules");
    if (!cr__emu_provider_configured(pool, key, true))
        return cr__emu_fail(call, 400, "InvalidParameterException",
                            "(%s) is not a valid RoleMapping ProviderName or is not a "
                            "configured provider.",
                            key);
    if (!s_get(m, "AmbiguousRoleResolution"))
        return cr__emu_fail(call, 400, "InvalidParameterException",
                            "AmbiguousRoleResolution must be specified for the role mapping of "
                            "(%s).",
                            key);
    if (type && strcmp(type, "Rules") == 0 && !rules)
        return cr__emu_fail(call, 400, "InvalidParameterException",
                            "RulesConfiguration must be specified for the Rules role mapping of "
                            "(%s).",
                            key);
    if (json_array_size(rules) > CR_LIMIT_RULES_PER_MAPPING)
        return cr__emu_fail(call, 400, "InvalidParameterException",
                            "At most %d rules can be specified per identity provider; (%s) has "
                            "%zu.",
                            CR_LIMIT_RULES_PER_MAPPING, key, json_array_size(rules));
    return 0;
}

int cr__emu_op_set_roles(struct cr_emu_call *call)
{
    const char *key;
    json_t *m;
    json_t *rec = cr__emu_find_pool(call, json_string_value(s_get(call->input, "IdentityPoolId")));
    json_t *roles = s_get(call->input, "Roles");
    json_t *mappings = s_get(call->input, "RoleMappings");
    if (!rec)
        return CR_ESERVICE;
    json_object_foreach(mappings, key, m)
    {
        if (s_check_mapping(call, json_object_get(rec, "pool"), key, m) != 0)
            return CR_ESERVICE;
    }
    if (json_object_set_new(rec, "roles", json_deep_copy(roles)) != 0 ||
        json_object_set_new(rec, "role_mappings",
                            mappings ? json_deep_copy(mappings) : json_object()) != 0)
        return s_oom(call);
    call->wrote = true;
    call->output = json_object();
    return call->output ? 0 : s_oom(call);
}

int cr__emu_op_get_roles(struct cr_emu_call *call)
{
    json_t *rec = cr__emu_find_pool(call, json_string_value(s_get(call->input, "IdentityPoolId")));
    json_t *mappings;
    if (!rec)
        return CR_ESERVICE;
    call->output = json_pack(
        "{s:s, s:o}", "IdentityPoolId",
        json_string_value(json_object_get(json_object_get(rec, "pool"), "IdentityPoolId")), "Roles",
        json_deep_copy(json_object_get(rec, "roles")));
    mappings = json_object_get(rec, "role_mappings");
    if (call->output && json_object_size(mappings) > 0 &&
        json_object_set_new(call->output, "RoleMappings", json_deep_copy(mappings)) != 0)
        return s_oom(call);
    return call->output ? 0 : s_oom(call);
}

/* Pool and provider for the principal-tag operations; NULL after recording the error. */
static json_t *s_principal_pool(struct cr_emu_call *call, const char **provider)
{
    const char *id = json_string_value(s_get(call->input, "IdentityPoolId"));
    json_t *rec = cr__emu_find_pool(call, id);
    *provider = json_string_value(s_get(call->input, "IdentityProviderName"));
    if (!rec)
        return NULL;
    if (!cr__emu_provider_configured(json_object_get(rec, "pool"), *provider, false)) {
        cr__emu_fail(call, 400, "InvalidParameterException",
                     "(%s) is not a configured provider of identity pool '%s'.", *provider, id);
        return NULL;
    }
    return rec;
}

static int s_principal_output(struct cr_emu_call *call, const json_t *rec, const char *provider,
                              const json_t *entry)
{
    call->output = json_pack(
        "{s:s, s:s, s:b, s:o}", "IdentityPoolId",
        json_string_value(json_object_get(json_object_get(rec, "pool"), "IdentityPoolId")),
        "IdentityProviderName", provider, "UseDefaults",
        entry ? json_is_true(json_object_get(entry, "UseDefaults")) : 1, "PrincipalTags",
        entry ? json_deep_copy(json_object_get(entry, "PrincipalTags")) : json_object());
    return call->output ? 0 : s_oom(call);
}

int cr__emu_op_get_principal_tags(struct cr_emu_call *call)
{
    const char *provider;
    json_t *rec = s_principal_pool(call, &provider);
    if (!rec)
        return CR_ESERVICE;
    /* Nothing set yet: the service's defaults, UseDefaults true and no custom tags. */
    return s_principal_output(call, rec, provider,
                              json_object_get(json_object_get(rec, "principal_tags"), provider));
}

int cr__emu_op_set_principal_tags(struct cr_emu_call *call)
{
    const char *provider;
    json_t *rec = s_principal_pool(call, &provider);
    json_t *tags = s_get(call->input, "PrincipalTags");
    json_t *use = s_get(call->input, "UseDefaults");
    json_t *entry;
    if (!rec)
        return CR_ESERVICE;
    /* Omitted members take their defaults: UseDefaults false, no custom tags. */
    entry = json_pack("{s:b, s:o}", "UseDefaults", json_is_true(use), "PrincipalTags",
                      tags ? json_deep_copy(tags) : json_object());
    if (!entry || json_object_set_new(json_object_get(rec, "principal_tags"), provider, entry) != 0)
        return s_oom(call);
    call->wrote = true;
    return s_principal_output(call, rec, provider, entry);
}
