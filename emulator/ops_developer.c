/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Developer-authenticated identities (developer credentials): GetOpenIdTokenForDeveloperIdentity,
 * LookupDeveloperIdentity, MergeDeveloperIdentities, UnlinkDeveloperIdentity. A developer
 * user identifier is a login of the pool's DeveloperProviderName; an identity may hold
 * several (after MergeDeveloperIdentities), unlike public providers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/internal.h"
#include "util/strutil.h"

#define S_DEVELOPER_TTL_S 900 /* "If you don't provide an expiration time, the token is valid
                                 for 15 minutes." */
#define S_MAX_LOGINS 20       /* "The number of linked logins is limited to 20." */


/* The pool and its developer provider, which `name` (when given) must be. */
static int s_developer_pool(struct cr_emu_pool_view *view, struct cr_emu_call *call,
                            const char *name)
{
    const char *dev;
    if (cr__emu_pool_view(view, call, cr__emu_input_str(call, "IdentityPoolId"), NULL) != 0)
        return CR_ESERVICE;
    dev = view->config.developer_provider_name;
    if (!dev)
        return cr__emu_fail(call, 400, "InvalidParameterException",
                            "Identity pool '%s' has no developer provider (DeveloperProviderName).",
                            view->id);
    if (name && strcmp(name, dev) != 0)
        return cr__emu_fail(call, 400, "InvalidParameterException",
                            "'%s' is not the developer provider of identity pool '%s'.", name,
                            view->id);
    return 0;
}

/* The identity of the pool by id (ResourceNotFoundException otherwise). */
static json_t *s_pool_identity(struct cr_emu_call *call, const struct cr_emu_pool_view *view,
                               const char *id)
{
    json_t *rec = json_object_get(json_object_get(view->part, "identities"), id ? id : "");
    if (!rec || strcmp(json_string_value(json_object_get(rec, "pool")), view->id) != 0) {
        cr__emu_fail(call, 400, "ResourceNotFoundException", "Identity '%s' not found.", id);
        return NULL;
    }
    return rec;
}

/* The identity holding the developer user (ResourceNotFoundException otherwise). */
static json_t *s_developer_identity(struct cr_emu_call *call, const struct cr_emu_pool_view *view,
                                    const char *user, const char **out_id)
{
    json_t *rec = cr__emu_identity_by_login(view->part, view->id,
                                            view->config.developer_provider_name, user, out_id);
    if (!rec)
        cr__emu_fail(call, 400, "ResourceNotFoundException",
                     "Developer user identifier '%s' not found in identity pool '%s'.", user,
                     view->id);
    return rec;
}

/* ---- GetOpenIdTokenForDeveloperIdentity ---- */

static const struct cr_emu_login *s_developer_login(const struct cr_emu_logins *logins)
{
    for (size_t i = 0; i < logins->len; i++) {
        if (logins->items[i].access.provider.kind == CR_ACCESS_PROVIDER_DEVELOPER)
            return &logins->items[i];
    }
    return NULL;
}

/* With an IdentityId, the developer user must not belong to another identity. */
static json_t *s_named_identity(struct cr_emu_call *call, const struct cr_emu_pool_view *view,
                                const char *id, const struct cr_emu_login *dev)
{
    const char *owner_id = NULL;
    json_t *rec = s_pool_identity(call, view, id);
    json_t *owner = cr__emu_identity_by_login(view->part, view->id, dev->key, dev->user, &owner_id);
    if (!rec)
        return NULL;
    if (json_is_true(json_object_get(rec, "disabled"))) {
        cr__emu_fail(call, 400, "NotAuthorizedException", "Access to Identity '%s' is forbidden.", id);
        return NULL;
    }
    if (owner && owner != rec) {
        cr__emu_fail(call, 400, "DeveloperUserAlreadyRegisteredException",
                     "The developer user identifier '%s' is already registered with identity "
                     "'%s'.",
                     dev->user, owner_id);
        return NULL;
    }
    return rec;
}

int cr__emu_op_get_token_for_developer(struct cr_emu_call *call)
{
    struct cr_emu_pool_view view;
    struct cr_emu_logins logins = {0};
    const struct cr_emu_login *dev;
    const char *id = cr__emu_input_str(call, "IdentityId");
    json_t *duration = cr__emu_member(call->input, "TokenDuration");
    json_t *rec = NULL;
    char out_id[64];
    int rc = s_developer_pool(&view, call, NULL);
    if (rc != 0 || (rc = cr__emu_logins_check(&logins, call, &view, cr__emu_member(call->input, "Logins"),
                                              CR_EMU_LOGINS_DEVELOPER)) != 0)
        goto done;
    dev = s_developer_login(&logins);
    if (!dev) {
        rc = cr__emu_fail(call, 400, "InvalidParameterException",
                          "Logins must name the developer provider '%s' of identity pool '%s'.",
                          view.config.developer_provider_name, view.id);
        goto done;
    }
    if (id && !(rec = s_named_identity(call, &view, id, dev))) {
        rc = CR_ESERVICE;
        goto done;
    }
    rec = cr__emu_identity_attach(call, view.part, view.id, view.config.developer_provider_name, rec,
                                  id, &logins, out_id);
    rc = rec ? cr__emu_openid_token(call, out_id, rec, view.id,
                                    duration ? (long)json_integer_value(duration) : S_DEVELOPER_TTL_S,
                                    cr__emu_member(call->input, "PrincipalTags"))
             : CR_ESERVICE;
done:
    cr__emu_logins_dispose(&logins);
    cr__emu_pool_view_dispose(&view);
    return rc;
}

/* ---- LookupDeveloperIdentity ---- */

static int s_lookup_output(struct cr_emu_call *call, const char *dev, const char *id,
                           const json_t *rec)
{
    json_int_t after = 0, max = json_integer_value(cr__emu_member(call->input, "MaxResults"));
    json_t *users = json_array();
    size_t i, n = 0;
    json_t *l;
    if (cr__emu_page_token_parse(call, cr__emu_input_str(call, "NextToken"), &after) != 0) {
        json_decref(users);
        return CR_ESERVICE;
    }
    call->output = json_pack("{s:s, s:o}", "IdentityId", id, "DeveloperUserIdentifierList", users);
    if (!call->output)
        return cr__emu_oom(call);
    /* the developer's users of the identity in link order; the token resumes after an index */
    json_array_foreach(json_object_get(rec, "logins"), i, l)
    {
        if (strcmp(json_string_value(json_object_get(l, "provider")), dev) != 0)
            continue;
        if ((json_int_t)++n <= after)
            continue;
        if (max > 0 && (json_int_t)json_array_size(users) >= max)
            return cr__emu_page_token_set(call->output, (json_int_t)n - 1) == 0 ? 0 : cr__emu_oom(call);
        json_array_append(users, json_object_get(l, "user"));
    }
    return 0;
}

int cr__emu_op_lookup_developer(struct cr_emu_call *call)
{
    struct cr_emu_pool_view view;
    const char *id = cr__emu_input_str(call, "IdentityId"), *user = cr__emu_input_str(call, "DeveloperUserIdentifier");
    const char *user_id = NULL;
    json_t *by_id = NULL, *by_user = NULL;
    int rc = s_developer_pool(&view, call, NULL);
    if (rc != 0)
        goto done;
    rc = CR_ESERVICE;
    if (!id && !user) {
        rc = cr__emu_fail(call, 400, "InvalidParameterException",
                          "Either IdentityId or DeveloperUserIdentifier must be specified.");
        goto done;
    }
    if ((id && !(by_id = s_pool_identity(call, &view, id))) ||
        (user && !(by_user = s_developer_identity(call, &view, user, &user_id))))
        goto done;
    /* both given: they must agree (documented) */
    if (by_id && by_user && by_id != by_user) {
        rc = cr__emu_fail(call, 400, "ResourceConflictException",
                          "Developer user identifier '%s' is not linked to identity '%s'.", user, id);
        goto done;
    }
    rc = s_lookup_output(call, view.config.developer_provider_name, id ? id : user_id,
                         by_id ? by_id : by_user);
done:
    cr__emu_pool_view_dispose(&view);
    return rc;
}

/* ---- MergeDeveloperIdentities ---- */

/* A public provider with a different user on each side cannot merge; nor can more than
 * 20 logins. */
static int s_merge_check(struct cr_emu_call *call, const json_t *to, const json_t *from,
                         const char *dev)
{
    size_t i, k;
    json_t *a, *b;
    size_t total = json_array_size(json_object_get(to, "logins")) +
                   json_array_size(json_object_get(from, "logins"));
    if (total > S_MAX_LOGINS)
        return cr__emu_fail(call, 400, "ResourceConflictException",
                            "The merged identity would have %zu linked logins; at most %d are "
                            "allowed.",
                            total, S_MAX_LOGINS);
    json_array_foreach(json_object_get(from, "logins"), i, a)
    {
        const char *p = json_string_value(json_object_get(a, "provider"));
        json_array_foreach(json_object_get(to, "logins"), k, b)
        {
            if (strcmp(p, dev) != 0 && json_equal(json_object_get(b, "provider"), json_object_get(a, "provider")) &&
                !json_equal(json_object_get(b, "user"), json_object_get(a, "user")))
                return cr__emu_fail(call, 400, "ResourceConflictException",
                                    "Both identities have a different login of provider '%s'.", p);
        }
    }
    return 0;
}

int cr__emu_op_merge_developer(struct cr_emu_call *call)
{
    struct cr_emu_pool_view view;
    const char *src_id = NULL, *dst_id = NULL;
    json_t *src, *dst;
    char out_id[64];
    int rc = s_developer_pool(&view, call, cr__emu_input_str(call, "DeveloperProviderName"));
    if (rc != 0)
        goto done;
    rc = CR_ESERVICE;
    src = s_developer_identity(call, &view, cr__emu_input_str(call, "SourceUserIdentifier"), &src_id);
    dst = src ? s_developer_identity(call, &view, cr__emu_input_str(call, "DestinationUserIdentifier"), &dst_id)
              : NULL;
    if (!dst || (src != dst && s_merge_check(call, dst, src,
                                             view.config.developer_provider_name) != 0))
        goto done;
    snprintf(out_id, sizeof(out_id), "%s", dst_id);
    /* "Cognito associates the given source user with the IdentityId of the
     * DestinationUserIdentifier": the source identity's logins move, it is disabled */
    if (src != dst && cr__emu_identity_merge(call, dst, out_id, src,
                                             view.config.developer_provider_name) != 0)
        goto done;
    call->output = json_pack("{s:s}", "IdentityId", out_id);
    rc = call->output ? 0 : cr__emu_oom(call);
done:
    cr__emu_pool_view_dispose(&view);
    return rc;
}

/* ---- UnlinkDeveloperIdentity ---- */

int cr__emu_op_unlink_developer(struct cr_emu_call *call)
{
    struct cr_emu_pool_view view;
    const char *id = cr__emu_input_str(call, "IdentityId"), *user = cr__emu_input_str(call, "DeveloperUserIdentifier");
    json_t *rec, *logins;
    int rc = s_developer_pool(&view, call, cr__emu_input_str(call, "DeveloperProviderName"));
    if (rc != 0)
        goto done;
    rc = CR_ESERVICE;
    rec = s_pool_identity(call, &view, id);
    if (!rec)
        goto done;
    if (!cr__emu_identity_has_login(rec, view.config.developer_provider_name, user)) {
        rc = cr__emu_fail(call, 400, "ResourceNotFoundException",
                          "Developer user identifier '%s' is not linked to identity '%s'.", user, id);
        goto done;
    }
    logins = json_object_get(rec, "logins");
    for (size_t k = json_array_size(logins); k > 0; k--) {
        json_t *l = json_array_get(logins, k - 1);
        if (strcmp(json_string_value(json_object_get(l, "provider")),
                   view.config.developer_provider_name) == 0 &&
            strcmp(json_string_value(json_object_get(l, "user")), user) == 0)
            json_array_remove(logins, k - 1);
    }
    /* "Unlinked developer users will be considered new identities next time they are seen";
     * an identity left with no login stays authenticated and is unreachable (documented) */
    json_object_set_new(rec, "modified", json_integer((json_int_t)cr_time_now() * 1000));
    call->wrote = true;
    call->output = json_object();
    rc = call->output ? 0 : cr__emu_oom(call);
done:
    cr__emu_pool_view_dispose(&view);
    return rc;
}
