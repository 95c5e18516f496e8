/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The identity side used by apps: GetId, GetCredentialsForIdentity, GetOpenIdToken,
 * UnlinkIdentity (unsigned, "public" APIs), and DescribeIdentity, ListIdentities,
 * DeleteIdentities (developer credentials). Role resolution is access/'s, the same code
 * `cognito-reconcile test` evaluates test cases with.
 *
 * Messages are the service's where published: "Unauthenticated access is not supported for
 * this identity pool." (aws-sdk-js-v3 #3113), "Logins don't match. Please include at least
 * one valid login for this identity or identity pool." (amplify-js #2443), "Access to
 * Identity '...' is forbidden." (aws-sdk-android #175), "Basic (classic) flow is not
 * enabled, please use enhanced flow." (aws-cli #7652); the rest are choices
 * (docs/emulator.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/internal.h"
#include "util/strutil.h"

#define S_OPENID_TTL_S      600  /* "The OpenID token is valid for 10 minutes." */
#define S_CREDENTIALS_TTL_S 3600 /* credentials from the enhanced flow last an hour */
#define S_SESSION_NAME      "CognitoIdentityCredentials"


static int s_output(struct cr_emu_call *call, json_t *out)
{
    call->output = out;
    return out ? 0 : cr__emu_oom(call);
}

/* ---- GetId ---- */

int cr__emu_op_get_id(struct cr_emu_call *call)
{
    struct cr_emu_pool_view view;
    struct cr_emu_logins logins = {0};
    json_t *in_logins = cr__emu_member(call->input, "Logins");
    json_t *rec = NULL;
    char id[64];
    int rc = cr__emu_pool_view(&view, call, cr__emu_input_str(call, "IdentityPoolId"), cr__emu_input_str(call, "AccountId"));
    if (rc != 0)
        goto done;
    if (json_object_size(in_logins) == 0) {
        if (!view.config.allow_unauthenticated) {
            rc = cr__emu_fail(call, 400, "NotAuthorizedException",
                              "Unauthenticated access is not supported for this identity pool.");
            goto done;
        }
        rec = cr__emu_identity_new(call, view.part, view.id, id);
    } else if (cr__emu_logins_check(&logins, call, &view, in_logins, CR_EMU_LOGINS_PUBLIC) == 0) {
        /* the same login always maps to the same identity; several logins link */
        rec = cr__emu_identity_attach(call, view.part, view.id, view.config.developer_provider_name,
                                      NULL, NULL, &logins, id);
    }
    rc = rec ? s_output(call, json_pack("{s:s}", "IdentityId", id)) : CR_ESERVICE;
done:
    cr__emu_logins_dispose(&logins);
    cr__emu_pool_view_dispose(&view);
    return rc;
}

/* ---- an identity used with its logins ---- */

struct s_use {
    struct cr_emu_pool_view view;
    struct cr_emu_logins logins;
    json_t *rec;
    char id[64];
};

static void s_use_dispose(struct s_use *u)
{
    cr__emu_logins_dispose(&u->logins);
    cr__emu_pool_view_dispose(&u->view);
}

/* True if one of the validated logins is linked to the identity (or is a Cognito Identity
 * token for it). */
static bool s_knows(const struct s_use *u)
{
    for (size_t i = 0; i < u->logins.len; i++) {
        const struct cr_emu_login *l = &u->logins.items[i];
        if (l->identity_id ? strcmp(l->identity_id, u->id) == 0
                           : cr__emu_identity_has_login(u->rec, l->key, l->user))
            return true;
    }
    return false;
}

/*
 * Finds the identity and its pool, validates the Logins and checks that the caller may use
 * the identity: it is enabled; an authenticated identity needs one of its own logins ("you
 * must pass at least one valid token for a login already associated with that identity");
 * an unauthenticated one needs a pool that still allows unauthenticated identities.
 */
static int s_use_open(struct s_use *u, struct cr_emu_call *call, enum cr_emu_logins_mode mode)
{
    json_t *part = NULL;
    json_t *in_logins = cr__emu_member(call->input, "Logins");
    memset(u, 0, sizeof(*u));
    snprintf(u->id, sizeof(u->id), "%s", cr__emu_input_str(call, "IdentityId"));
    u->rec = cr__emu_identity_find(call, u->id, &part);
    if (!u->rec || cr__emu_pool_view(&u->view, call, json_string_value(json_object_get(u->rec, "pool")),
                                     NULL) != 0)
        return CR_ESERVICE;
    if (json_is_true(json_object_get(u->rec, "disabled")) ||
        (json_is_true(json_object_get(u->rec, "authenticated")) && json_object_size(in_logins) == 0))
        return cr__emu_fail(call, 400, "NotAuthorizedException", "Access to Identity '%s' is forbidden.",
                            u->id);
    if (cr__emu_logins_check(&u->logins, call, &u->view, in_logins, mode) != 0)
        return CR_ESERVICE;
    if (json_is_true(json_object_get(u->rec, "authenticated")) && !s_knows(u))
        return cr__emu_fail(call, 400, "NotAuthorizedException",
                            "Logins don't match. Please include at least one valid login for this "
                            "identity or identity pool.");
    if (u->logins.len == 0 && !u->view.config.allow_unauthenticated)
        return cr__emu_fail(call, 400, "NotAuthorizedException",
                            "Unauthenticated access is not supported for this identity pool.");
    return 0;
}

/* Links (or merges) the request's logins into the identity; the id may change (merge). */
static int s_use_link(struct s_use *u, struct cr_emu_call *call)
{
    char id[64];
    json_t *rec;
    if (u->logins.len == 0)
        return 0;
    rec = cr__emu_identity_attach(call, u->view.part, u->view.id,
                                  u->view.config.developer_provider_name, u->rec, u->id, &u->logins,
                                  id);
    if (!rec)
        return CR_ESERVICE;
    u->rec = rec;
    snprintf(u->id, sizeof(u->id), "%s", id);
    return 0;
}

/* ---- GetCredentialsForIdentity ---- */

int cr__emu_sessions_note(struct cr_emu *emu, const char *key_id, json_t *note)
{
    const char *k;
    json_t *v, *tmp;
    json_int_t now = cr_time_now();
    if (!emu->sessions)
        emu->sessions = json_object();
    /* expired sessions are forgotten, as their keys are (sts.c) */
    json_object_foreach_safe(emu->sessions, tmp, k, v)
    {
        if (json_integer_value(json_object_get(v, "Expiration")) <= now)
            json_object_del(emu->sessions, k);
    }
    return emu->sessions && json_object_set_new(emu->sessions, key_id, note) == 0 ? 0 : CR_ENOMEM;
}

/* Remembers who a session is for, for GET /_local/credentials/KEY (aux_lock inside). */
static int s_note_session(struct cr_emu *emu, const struct cr_emu_session *ses,
                          const char *identity_id, const struct cr_access_result *r)
{
    json_t *tags = json_object();
    json_t *note;
    int rc = CR_ENOMEM;
    for (size_t i = 0; tags && i < r->principal_tags.len; i++)
        json_object_set_new(tags, r->principal_tags.items[i].key,
                            json_string(r->principal_tags.items[i].value));
    note = tags ? json_pack("{s:s, s:s, s:s, s:o, s:I}", "Arn", ses->arn, "RoleArn", r->role_arn,
                            "IdentityId", identity_id, "PrincipalTags", tags, "Expiration",
                            (json_int_t)ses->expires)
                : NULL;
    pthread_mutex_lock(&emu->aux_lock);
    if (note)
        rc = cr__emu_sessions_note(emu, ses->key_id, note);
    pthread_mutex_unlock(&emu->aux_lock);
    return rc;
}

static int s_credentials(struct cr_emu_call *call, const struct s_use *u,
                         const struct cr_access_result *r)
{
    struct cr_emu_session ses;
    char account[16], name[128];
    int rc;
    if (!cr__emu_role_arn(r->role_arn, account, name))
        return cr__emu_fail(call, 400, "InvalidIdentityPoolConfigurationException",
                            "Invalid identity pool configuration. Check assigned IAM roles for "
                            "this pool.");
    if (cr__emu_session_mint(&ses, call->emu, account, name, S_SESSION_NAME, S_CREDENTIALS_TTL_S) !=
            0 ||
        s_note_session(call->emu, &ses, u->id, r) != 0)
        return cr__emu_oom(call);
    rc = s_output(call, json_pack("{s:s, s:{s:s, s:s, s:s, s:I}}", "IdentityId", u->id,
                                  "Credentials", "AccessKeyId", ses.key_id, "SecretKey", ses.secret,
                                  "SessionToken", ses.token, "Expiration",
                                  (json_int_t)ses.expires));
    memset(&ses, 0, sizeof(ses)); /* secrets */
    return rc;
}

int cr__emu_op_get_credentials(struct cr_emu_call *call)
{
    struct s_use u;
    struct cr_access_result r = {0};
    struct cr_access_login *logins = NULL;
    int rc = s_use_open(&u, call, CR_EMU_LOGINS_TOKEN);
    if (rc == 0)
        rc = s_use_link(&u, call);
    if (rc != 0)
        goto done;
    logins = calloc(u.logins.len + 1, sizeof(*logins));
    if (!logins) {
        rc = cr__emu_oom(call);
        goto done;
    }
    for (size_t i = 0; i < u.logins.len; i++)
        logins[i] = u.logins.items[i].access;
    struct cr_access_request req = {logins, u.logins.len, cr__emu_input_str(call, "CustomRoleArn")};
    if (cr_access_resolve(&r, &u.view.access, &req) != 0) {
        rc = cr__emu_oom(call);
        goto done;
    }
    if (r.outcome != CR_ACCESS_GRANTED)
        rc = cr__emu_fail(call, 400, r.error_type, "%s", r.message);
    else
        rc = s_credentials(call, &u, &r);
done:
    cr_access_result_dispose(&r);
    free(logins);
    s_use_dispose(&u);
    return rc;
}

/* ---- GetOpenIdToken ---- */

/* amr as Cognito Identity writes it: ["authenticated", PROVIDER, "PROVIDER:...:USER", ...]. */
json_t *cr__emu_amr(const json_t *rec, const char *pool_id)
{
    json_t *amr = json_array();
    size_t i;
    json_t *l;
    if (!json_is_true(json_object_get(rec, "authenticated"))) {
        json_array_append_new(amr, json_string("unauthenticated"));
        return amr;
    }
    json_array_append_new(amr, json_string("authenticated"));
    json_array_foreach(json_object_get(rec, "logins"), i, l)
    {
        char text[2048];
        const char *p = json_string_value(json_object_get(l, "provider"));
        snprintf(text, sizeof(text), "%s:%s:%s", p, pool_id,
                 json_string_value(json_object_get(l, "user")));
        json_array_append_new(amr, json_string(p));
        json_array_append_new(amr, json_string(text));
    }
    return amr;
}

int cr__emu_openid_token(struct cr_emu_call *call, const char *identity_id, const json_t *rec,
                         const char *pool_id, long ttl_s, const json_t *principal_tags)
{
    char *token = NULL;
    json_int_t now = cr_time_now();
    int rc;
    json_t *claims = json_pack("{s:s, s:s, s:s, s:o, s:I, s:I}", "iss", CR_EMU_OPENID_ISSUER,
                               "sub", identity_id, "aud", pool_id, "amr", cr__emu_amr(rec, pool_id),
                               "iat", now, "exp", now + ttl_s);
    json_t *tags = json_object();
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)principal_tags, k, v)
    {
        json_object_set_new(tags, k, json_pack("[O]", v));
    }
    if (claims && json_object_size(tags) > 0)
        json_object_set_new(claims, CR_ACCESS_TAGS_CLAIM, json_pack("{s:O}", "principal_tags", tags));
    rc = claims ? cr__emu_token_sign(&token, call->emu, CR_EMU_KEY_OPENID, claims, &call->wrote)
                : CR_ENOMEM;
    if (rc != 0)
        rc = cr__emu_fail(call, 500, "InternalErrorException", "the token could not be signed: %s",
                          cr_error_last());
    else
        rc = s_output(call, json_pack("{s:s, s:s}", "IdentityId", identity_id, "Token", token));
    free(token);
    json_decref(claims);
    json_decref(tags);
    return rc;
}

int cr__emu_op_get_open_id_token(struct cr_emu_call *call)
{
    struct s_use u;
    int rc = s_use_open(&u, call, CR_EMU_LOGINS_TOKEN);
    /* the classic flow's first step; a pool that never set AllowClassicFlow allows it */
    if (rc == 0 && u.view.config.allow_classic_flow == 0)
        rc = cr__emu_fail(call, 400, "InvalidParameterException",
                          "Basic (classic) flow is not enabled, please use enhanced flow.");
    if (rc == 0)
        rc = s_use_link(&u, call);
    if (rc == 0)
        rc = cr__emu_openid_token(call, u.id, u.rec, u.view.id, S_OPENID_TTL_S, NULL);
    s_use_dispose(&u);
    return rc;
}

/* ---- UnlinkIdentity ---- */

int cr__emu_op_unlink_identity(struct cr_emu_call *call)
{
    struct s_use u;
    size_t i;
    json_t *p;
    int rc = s_use_open(&u, call, CR_EMU_LOGINS_TOKEN);
    if (rc == 0) {
        json_t *logins = json_object_get(u.rec, "logins");
        json_array_foreach(cr__emu_member(call->input, "LoginsToRemove"), i, p)
        {
            /* every login of that provider; a provider not linked is nothing to do */
            for (size_t k = json_array_size(logins); k > 0; k--) {
                if (json_equal(json_object_get(json_array_get(logins, k - 1), "provider"), p))
                    json_array_remove(logins, k - 1);
            }
        }
        json_object_set_new(u.rec, "modified", json_integer((json_int_t)cr_time_now() * 1000));
        call->wrote = true;
        rc = s_output(call, json_object());
    }
    s_use_dispose(&u);
    return rc;
}

/* ---- DescribeIdentity, ListIdentities, DeleteIdentities ---- */

int cr__emu_op_describe_identity(struct cr_emu_call *call)
{
    json_t *part;
    const char *id = cr__emu_input_str(call, "IdentityId");
    json_t *rec = cr__emu_identity_find(call, id, &part);
    return rec ? s_output(call, cr__emu_identity_description(id, rec)) : CR_ESERVICE;
}

int cr__emu_op_list_identities(struct cr_emu_call *call)
{
    const char *pool_id = cr__emu_input_str(call, "IdentityPoolId"), *id;
    json_int_t after = 0, last = 0;
    json_int_t max = json_integer_value(cr__emu_member(call->input, "MaxResults"));
    bool hide = json_is_true(cr__emu_member(call->input, "HideDisabled")), more = false;
    json_t *part, *rec, *list;
    if (!cr__emu_find_pool(call, pool_id) ||
        cr__emu_page_token_parse(call, cr__emu_input_str(call, "NextToken"), &after) != 0)
        return CR_ESERVICE;
    part = cr__emu_state_partition(call->emu, call->caller->account_id, call->caller->region, false);
    list = json_array();
    if (s_output(call, json_pack("{s:s, s:o}", "IdentityPoolId", pool_id, "Identities", list)) != 0)
        return CR_ESERVICE;
    /* identities iterate in creation order, so pages stay stable as identities come and go */
    json_object_foreach(json_object_get(part, "identities"), id, rec)
    {
        json_int_t seq = json_integer_value(json_object_get(rec, "seq"));
        if (seq <= after || strcmp(json_string_value(json_object_get(rec, "pool")), pool_id) != 0 ||
            (hide && json_is_true(json_object_get(rec, "disabled"))))
            continue;
        if ((json_int_t)json_array_size(list) >= max) {
            more = true;
            break;
        }
        if (json_array_append_new(list, cr__emu_identity_description(id, rec)) != 0)
            return cr__emu_oom(call);
        last = seq;
    }
    if (more && cr__emu_page_token_set(call->output, last) != 0)
        return cr__emu_oom(call);
    return 0;
}

/* True if the identity exists in a partition other than the caller's. */
static bool s_elsewhere(struct cr_emu_call *call, const json_t *own, const char *id)
{
    const char *key;
    json_t *part;
    json_object_foreach(json_object_get(call->emu->state, "partitions"), key, part)
    {
        if (part != own && json_object_get(json_object_get(part, "identities"), id))
            return true;
    }
    return false;
}

int cr__emu_op_delete_identities(struct cr_emu_call *call)
{
    size_t i;
    json_t *v, *unprocessed = json_array();
    json_t *part =
        cr__emu_state_partition(call->emu, call->caller->account_id, call->caller->region, false);
    json_t *ids = json_object_get(part, "identities");
    if (s_output(call, json_pack("{s:o}", "UnprocessedIdentityIds", unprocessed)) != 0)
        return CR_ESERVICE;
    json_array_foreach(cr__emu_member(call->input, "IdentityIdsToDelete"), i, v)
    {
        const char *id = json_string_value(v);
        if (json_object_get(ids, id)) {
            json_object_del(ids, id);
            call->wrote = true;
        } else if (s_elsewhere(call, part, id) &&
                   json_array_append_new(unprocessed, json_pack("{s:s, s:s}", "IdentityId", id,
                                                                "ErrorCode", "AccessDenied")) != 0) {
            return cr__emu_oom(call);
        }
        /* an identity that exists nowhere is already deleted: nothing to report (choice) */
    }
    return 0;
}
