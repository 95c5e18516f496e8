/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The plan simulator's model of the service (tests/support/plan_sim.h): pools, the calls that
 * change them with the checks the service makes, and the whole-pool rules every state between
 * two calls must keep. The emulator's choices (docs/emulator.md) are followed where the
 * service's behaviour is unknown, so cr_sim_canonical() of a simulated run equals the
 * emulator's end state (tests/integration/test_plan_sim_emulator.c checks that).
 */
#include "tests/support/plan_sim.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "schema/constraints.h"
#include "schema/model.h"
#include "util/array.h"

/* ---- lifetime ---- */

void cr_sim_init(struct cr_sim *sim)
{
    memset(sim, 0, sizeof(*sim));
}

static void s_ptags_free(struct cr_cognito_principal_tags *ptags, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cr_cognito_principal_tags_dispose(&ptags[i]);
    free(ptags);
}

static void s_pool_free(struct cr_sim_pool *p)
{
    if (!p)
        return;
    free(p->region);
    cr_cognito_pool_dispose(&p->config);
    cr_cognito_roles_dispose(&p->roles);
    s_ptags_free(p->ptags, p->n_ptags);
    free(p);
}

void cr_sim_dispose(struct cr_sim *sim)
{
    if (!sim)
        return;
    for (size_t i = 0; i < sim->len; i++)
        s_pool_free(sim->pools[i]);
    free(sim->pools);
    cr_strmap_dispose(&sim->accounts);
    memset(sim, 0, sizeof(*sim));
}

static int s_oom(void)
{
    cr_error_set("plan simulator: out of memory");
    return CR_ENOMEM;
}

/* Why a call or a state breaks a rule. */
static int s_reject(const char *fmt, ...) CR_PRINTF(1, 2);
static int s_reject(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cr_error_set("%s", msg);
    return CR_EINVALID;
}

static int s_cmp_ptags(const void *a, const void *b)
{
    const struct cr_cognito_principal_tags *x = a, *y = b;
    return strcmp(x->provider, y->provider);
}

static int s_cmp_mapping(const void *a, const void *b)
{
    const struct cr_cognito_role_mapping *x = a, *y = b;
    return strcmp(x->provider, y->provider);
}

/* Copies n maps (provider names required); use_defaults absent is stored as false. */
static int s_ptags_copy(struct cr_cognito_principal_tags **out, size_t *n_out,
                        const struct cr_cognito_principal_tags *src, size_t n)
{
    *out = calloc(n ? n : 1, sizeof(**out));
    *n_out = 0;
    if (!*out)
        return s_oom();
    for (size_t i = 0; i < n; i++) {
        struct cr_cognito_principal_tags *q = &(*out)[(*n_out)++];
        q->provider = strdup(src[i].provider ? src[i].provider : "");
        q->use_defaults = src[i].use_defaults < 0 ? 0 : src[i].use_defaults;
        if (!q->provider || cr_strmap_copy(&q->tags, &src[i].tags) < 0)
            return s_oom();
    }
    qsort(*out, *n_out, sizeof(**out), s_cmp_ptags);
    return 0;
}

static int s_pool_copy(struct cr_sim_pool **out, const struct cr_sim_pool *src)
{
    struct cr_sim_pool *p = calloc(1, sizeof(*p));
    *out = p;
    if (!p || !(p->region = strdup(src->region)) ||
        cr_cognito_pool_copy(&p->config, &src->config) < 0 ||
        cr_cognito_roles_copy(&p->roles, &src->roles) < 0 ||
        s_ptags_copy(&p->ptags, &p->n_ptags, src->ptags, src->n_ptags) < 0)
        return s_oom();
    return 0;
}

static int s_push(struct cr_sim *sim, struct cr_sim_pool *p)
{
    if (cr_array_reserve(&sim->pools, &sim->cap, sim->len, sizeof(*sim->pools), 8) < 0) {
        s_pool_free(p);
        return s_oom();
    }
    sim->pools[sim->len++] = p;
    return 0;
}

int cr_sim_copy(struct cr_sim *out, const struct cr_sim *src)
{
    cr_sim_init(out);
    out->created = src->created;
    if (cr_strmap_copy(&out->accounts, &src->accounts) < 0)
        return s_oom();
    for (size_t i = 0; i < src->len; i++) {
        struct cr_sim_pool *p = NULL;
        int rc = s_pool_copy(&p, src->pools[i]);
        if (rc == 0)
            rc = s_push(out, p);
        else
            s_pool_free(p);
        if (rc < 0) {
            cr_sim_dispose(out);
            return rc;
        }
    }
    return 0;
}

int cr_sim_add_region(struct cr_sim *sim, const char *region, const char *account)
{
    return cr_strmap_set(&sim->accounts, region, account) < 0 ? s_oom() : 0;
}

const struct cr_sim_pool *cr_sim_find(const struct cr_sim *sim, const char *id)
{
    for (size_t i = 0; id && i < sim->len; i++)
        if (strcmp(sim->pools[i]->config.id, id) == 0)
            return sim->pools[i];
    return NULL;
}

/* The pool of region with this id, and its index. */
static struct cr_sim_pool *s_find(const struct cr_sim *sim, size_t *index, const char *region,
                                  const char *id)
{
    for (size_t i = 0; id && i < sim->len; i++)
        if (strcmp(sim->pools[i]->config.id, id) == 0 &&
            strcmp(sim->pools[i]->region, region) == 0) {
            if (index)
                *index = i;
            return sim->pools[i];
        }
    return NULL;
}

/* ---- the service's rules ---- */

/*
 * Is name a provider configured on the pool? As the emulator decides it (docs/emulator.md):
 * login-provider keys; OIDC providers by ARN or issuer host; SAML providers by ARN; user pools
 * as "ProviderName:ClientId" for role mappings and as "ProviderName" for principal tags.
 */
static bool s_configured(const struct cr_cognito_pool *c, const char *name, bool role_mapping)
{
    if (cr_strmap_get(&c->supported_login_providers, name))
        return true;
    for (size_t i = 0; i < c->open_id_connect_provider_arns.len; i++) {
        const char *arn = c->open_id_connect_provider_arns.items[i];
        const char *host = cr_model_oidc_host(arn);
        if (strcmp(arn, name) == 0 || (host && strcmp(host, name) == 0))
            return true;
    }
    if (cr_strlist_contains(&c->saml_provider_arns, name))
        return true;
    for (size_t i = 0; i < c->n_cognito_identity_providers; i++) {
        const struct cr_cognito_provider *p = &c->cognito_identity_providers[i];
        size_t n = strlen(p->provider_name);
        if (!role_mapping && strcmp(p->provider_name, name) == 0)
            return true;
        if (role_mapping && p->client_id && strncmp(name, p->provider_name, n) == 0 &&
            name[n] == ':' && strcmp(name + n + 1, p->client_id) == 0)
            return true;
    }
    return false;
}

static int s_check_tags(const struct cr_strmap *tags)
{
    if (tags->len > CR_LIMIT_TAGS)
        return s_reject("InvalidParameterException: an identity pool can have at most %d tags "
                        "(%zu)",
                        CR_LIMIT_TAGS, tags->len);
    for (size_t i = 0; i < tags->len; i++)
        if (strncasecmp(tags->items[i].key, "aws:", 4) == 0)
            return s_reject("InvalidParameterException: tag key '%s' uses the reserved prefix",
                            tags->items[i].key);
    return 0;
}

static int s_check_mapping(const struct cr_cognito_pool *c, const struct cr_cognito_role_mapping *m)
{
    if (!s_configured(c, m->provider, true))
        return s_reject("InvalidParameterException: (%s) is not a valid RoleMapping ProviderName "
                        "or is not a configured provider",
                        m->provider);
    if (!m->ambiguous_role_resolution)
        return s_reject("InvalidParameterException: AmbiguousRoleResolution must be specified "
                        "for the role mapping of (%s)",
                        m->provider);
    if (m->type && strcmp(m->type, "Rules") == 0 && (!m->has_rules_configuration || !m->n_rules))
        return s_reject("InvalidParameterException: RulesConfiguration must be specified for "
                        "the Rules role mapping of (%s)",
                        m->provider);
    if (m->n_rules > CR_LIMIT_RULES_PER_MAPPING)
        return s_reject("InvalidParameterException: at most %d rules per identity provider; "
                        "(%s) has %zu",
                        CR_LIMIT_RULES_PER_MAPPING, m->provider, m->n_rules);
    return 0;
}

/* The whole pool between two calls: what a call may not leave behind. */
static int s_check_pool(const struct cr_sim_pool *p)
{
    const struct cr_cognito_pool *c = &p->config;
    if (c->n_cognito_identity_providers > CR_LIMIT_USER_POOL_PROVIDERS)
        return s_reject("LimitExceededException: %zu Cognito user pool providers (at most %d)",
                        c->n_cognito_identity_providers, CR_LIMIT_USER_POOL_PROVIDERS);
    if (c->supported_login_providers.len > CR_LIMIT_LOGIN_PROVIDERS)
        return s_reject("%zu login providers (at most %d)", c->supported_login_providers.len,
                        CR_LIMIT_LOGIN_PROVIDERS);
    if (p->roles.n_mappings > CR_LIMIT_ROLE_MAPPINGS)
        return s_reject("%zu role mappings (at most %d)", p->roles.n_mappings,
                        CR_LIMIT_ROLE_MAPPINGS);
    for (size_t i = 0; i < p->roles.n_mappings; i++) {
        int rc = s_check_mapping(c, &p->roles.mappings[i]);
        if (rc < 0) {
            cr_error_prefix("pool %s is left with a role mapping the service rejects", c->id);
            return rc;
        }
    }
    return s_check_tags(&c->tags);
}

/* ---- requests against the constraint table ---- */

static bool s_type_ok(const struct cr_shape *shape, const json_t *v)
{
    switch (shape->kind) {
    case CR_SHAPE_STRING:
        return json_is_string(v);
    case CR_SHAPE_BOOLEAN:
        return json_is_boolean(v);
    case CR_SHAPE_INTEGER:
        return json_is_integer(v);
    case CR_SHAPE_LIST:
        return json_is_array(v);
    case CR_SHAPE_MAP:
    case CR_SHAPE_STRUCTURE:
    default:
        return json_is_object(v);
    }
}

static int s_violation(const char *path, const char *sentence)
{
    return s_reject("ValidationException: value at '%s' failed to satisfy constraint: %s",
                    path[0] ? path : "(body)", sentence);
}

static int s_walk(const struct cr_shape *shape, json_t *v, const char *path);

static int s_walk_structure(const struct cr_shape *shape, json_t *v, const char *path)
{
    char child[1024];
    const char *key;
    json_t *mv;
    for (size_t i = 0; i < shape->n_members; i++) {
        const struct cr_member *m = &shape->members[i];
        json_t *got = json_object_get(v, m->name);
        snprintf(child, sizeof(child), "%s%s%s", path, path[0] ? "." : "", m->name);
        if (!got && m->required)
            return s_violation(child, CR_CONSTRAINT_NOT_NULL);
        if (got) {
            int rc = s_walk(m->shape, got, child);
            if (rc < 0)
                return rc;
        }
    }
    /* Stricter than the service (which ignores them): a plan never sends a member the API
     * does not define, nor a null. */
    json_object_foreach(v, key, mv)
    {
        if (!cr_shape_member(shape, key) || json_is_null(mv))
            return s_reject("request member '%s%s%s' is not in the %s shape (or is null)", path,
                            path[0] ? "." : "", key, shape->name);
    }
    return 0;
}

static int s_walk(const struct cr_shape *shape, json_t *v, const char *path)
{
    char child[1024];
    const char *msg = NULL;
    if (!s_type_ok(shape, v))
        return s_reject("SerializationException: value at '%s' is not a %s (%s)", path,
                        cr_shape_kind_name(shape->kind), shape->name);
    switch (shape->kind) {
    case CR_SHAPE_STRING:
        msg = cr_constraint_check_string(shape, json_string_value(v), json_string_length(v));
        break;
    case CR_SHAPE_INTEGER:
        msg = cr_constraint_check_integer(shape, (long long)json_integer_value(v));
        break;
    case CR_SHAPE_LIST: {
        size_t i;
        json_t *e;
        if ((msg = cr_constraint_check_count(shape, json_array_size(v))) != NULL)
            break;
        json_array_foreach(v, i, e)
        {
            snprintf(child, sizeof(child), "%s.%zu.member", path, i + 1);
            int rc = s_walk(shape->member, e, child);
            if (rc < 0)
                return rc;
        }
        break;
    }
    case CR_SHAPE_MAP: {
        const char *k;
        json_t *e;
        if ((msg = cr_constraint_check_count(shape, json_object_size(v))) != NULL)
            break;
        json_object_foreach(v, k, e)
        {
            snprintf(child, sizeof(child), "%s.%s.key", path, k);
            const char *km = cr_constraint_check_string(shape->key, k, strlen(k));
            if (km)
                return s_violation(child, km);
            snprintf(child, sizeof(child), "%s.%s.member", path, k);
            int rc = s_walk(shape->value, e, child);
            if (rc < 0)
                return rc;
        }
        break;
    }
    case CR_SHAPE_STRUCTURE:
        return s_walk_structure(shape, v, path);
    case CR_SHAPE_BOOLEAN:
    default:
        break;
    }
    return msg ? s_violation(path, msg) : 0;
}

/* ---- the calls ---- */

/* A stored configuration as the service keeps it: ServerSideTokenCheck always present. */
static void s_store_config(struct cr_cognito_pool *c)
{
    for (size_t i = 0; i < c->n_cognito_identity_providers; i++)
        if (c->cognito_identity_providers[i].server_side_token_check < 0)
            c->cognito_identity_providers[i].server_side_token_check = 0;
}

static int s_new_id(char **out, struct cr_sim *sim, const char *region)
{
    char id[128];
    snprintf(id, sizeof(id), "%s:00000000-0000-4000-8000-%012lx", region, ++sim->created);
    *out = strdup(id);
    return *out ? 0 : s_oom();
}

static int s_create(struct cr_sim *sim, char **created_id, const char *region, json_t *body)
{
    struct cr_sim_pool *p = calloc(1, sizeof(*p));
    char *text = NULL;
    int rc = CR_ENOMEM;
    if (!p || !(p->region = strdup(region)))
        goto done;
    /* the decoder wants the id the answer would carry */
    if (json_object_set_new(body, "IdentityPoolId", json_string("x")) < 0 ||
        !(text = json_dumps(body, JSON_COMPACT)))
        goto done;
    rc = cr_cognito_decode_pool(&p->config, text, strlen(text));
    if (rc < 0)
        goto done;
    free(p->config.id);
    p->config.has_tags = true;
    s_store_config(&p->config);
    rc = s_new_id(&p->config.id, sim, region);
    if (rc == 0)
        rc = s_check_pool(p);
    if (rc == 0 && created_id && !(*created_id = strdup(p->config.id)))
        rc = s_oom();
    if (rc == 0) {
        rc = s_push(sim, p);
        p = NULL; /* owned by sim, or freed by s_push */
    }
done:
    if (rc == CR_ENOMEM)
        s_oom();
    s_pool_free(p);
    free(text);
    return rc;
}

static struct cr_sim_pool *s_target(struct cr_sim *sim, size_t *index, const char *region,
                                    json_t *body)
{
    const char *id = json_string_value(json_object_get(body, "IdentityPoolId"));
    struct cr_sim_pool *p = s_find(sim, index, region, id);
    if (!p)
        s_reject("ResourceNotFoundException: IdentityPool '%s' not found", id ? id : "");
    return p;
}

static int s_update(struct cr_sim *sim, const char *region, json_t *body, const char *text)
{
    struct cr_sim_pool *p = s_target(sim, NULL, region, body);
    struct cr_cognito_pool fresh;
    if (!p)
        return CR_EINVALID;
    int rc = cr_cognito_decode_pool(&fresh, text, strlen(text));
    if (rc < 0)
        return rc;
    const char *old_dev = p->config.developer_provider_name;
    if (old_dev && fresh.developer_provider_name &&
        strcmp(old_dev, fresh.developer_provider_name) != 0) {
        rc = s_reject("InvalidParameterException: DeveloperProviderName cannot be changed once "
                      "it is set (current '%s', requested '%s')",
                      old_dev, fresh.developer_provider_name);
        goto done;
    }
    /* omitted DeveloperProviderName is kept; an omitted AllowClassicFlow goes back to false
     * once it was ever set (docs/emulator.md) */
    if (!fresh.developer_provider_name && old_dev &&
        !(fresh.developer_provider_name = strdup(old_dev))) {
        rc = s_oom();
        goto done;
    }
    if (fresh.allow_classic_flow < 0 && p->config.allow_classic_flow >= 0)
        fresh.allow_classic_flow = 0;
    if (!fresh.has_tags) { /* omitted IdentityPoolTags: the tags are kept */
        fresh.tags = p->config.tags;
        memset(&p->config.tags, 0, sizeof(p->config.tags));
    }
    fresh.has_tags = true;
    s_store_config(&fresh);
    cr_cognito_pool_dispose(&p->config);
    p->config = fresh;
    memset(&fresh, 0, sizeof(fresh));
    rc = s_check_pool(p);
done:
    cr_cognito_pool_dispose(&fresh);
    return rc;
}

static int s_set_roles(struct cr_sim *sim, const char *region, json_t *body, const char *text)
{
    struct cr_sim_pool *p = s_target(sim, NULL, region, body);
    struct cr_cognito_roles roles;
    if (!p)
        return CR_EINVALID;
    int rc = cr_cognito_decode_roles(&roles, text, strlen(text));
    for (size_t i = 0; rc == 0 && i < roles.n_mappings; i++)
        rc = s_check_mapping(&p->config, &roles.mappings[i]);
    if (rc == 0) {
        free(roles.pool_id);
        roles.pool_id = NULL;
        cr_cognito_roles_dispose(&p->roles);
        p->roles = roles;
        memset(&roles, 0, sizeof(roles));
        rc = s_check_pool(p);
    }
    cr_cognito_roles_dispose(&roles);
    return rc;
}

static int s_set_ptags(struct cr_sim *sim, const char *region, json_t *body, const char *text)
{
    struct cr_sim_pool *p = s_target(sim, NULL, region, body);
    struct cr_cognito_principal_tags pt;
    if (!p)
        return CR_EINVALID;
    int rc = cr_cognito_decode_principal_tags(&pt, text, strlen(text));
    if (rc < 0)
        return rc;
    if (!s_configured(&p->config, pt.provider, false)) {
        rc = s_reject("InvalidParameterException: (%s) is not a configured provider of identity "
                      "pool '%s'",
                      pt.provider, p->config.id);
        goto done;
    }
    /* omitted members take their defaults: UseDefaults false, no custom tags */
    struct cr_cognito_principal_tags *set = NULL;
    for (size_t i = 0; i < p->n_ptags && !set; i++)
        if (strcmp(p->ptags[i].provider, pt.provider) == 0)
            set = &p->ptags[i];
    if (!set) {
        struct cr_cognito_principal_tags *grown =
            realloc(p->ptags, (p->n_ptags + 1) * sizeof(*p->ptags));
        if (!grown) {
            rc = s_oom();
            goto done;
        }
        p->ptags = grown;
        set = &p->ptags[p->n_ptags++];
        memset(set, 0, sizeof(*set));
        set->provider = pt.provider;
        pt.provider = NULL; /* now owned by the pool */
    }
    set->use_defaults = pt.use_defaults == 1;
    cr_strmap_dispose(&set->tags);
    set->tags = pt.tags;
    memset(&pt.tags, 0, sizeof(pt.tags));
    qsort(p->ptags, p->n_ptags, sizeof(*p->ptags), s_cmp_ptags);
    rc = s_check_pool(p);
done:
    cr_cognito_principal_tags_dispose(&pt);
    return rc;
}

/* TagResource / UntagResource address the pool by ARN. */
static struct cr_sim_pool *s_by_arn(struct cr_sim *sim, const char *region, json_t *body)
{
    const char *arn = json_string_value(json_object_get(body, "ResourceArn"));
    const char *account = cr_strmap_get(&sim->accounts, region);
    char prefix[256];
    snprintf(prefix, sizeof(prefix), "arn:%s:cognito-identity:%s:%s:identitypool/",
             cr_aws_partition(region), region, account ? account : "?");
    struct cr_sim_pool *p = arn && strncmp(arn, prefix, strlen(prefix)) == 0
                                ? s_find(sim, NULL, region, arn + strlen(prefix))
                                : NULL;
    if (!p)
        s_reject("ResourceNotFoundException: Resource '%s' not found", arn ? arn : "");
    return p;
}

static int s_tag(struct cr_sim *sim, const char *region, json_t *body)
{
    struct cr_sim_pool *p = s_by_arn(sim, region, body);
    struct cr_strmap merged = {0};
    const char *k;
    json_t *v;
    if (!p)
        return CR_EINVALID;
    int rc = cr_strmap_copy(&merged, &p->config.tags) < 0 ? s_oom() : 0;
    json_object_foreach(json_object_get(body, "Tags"), k, v)
    {
        if (rc == 0 && cr_strmap_set(&merged, k, json_string_value(v)) < 0)
            rc = s_oom();
    }
    if (rc == 0)
        rc = s_check_tags(&merged);
    if (rc == 0) {
        cr_strmap_dispose(&p->config.tags);
        p->config.tags = merged;
        memset(&merged, 0, sizeof(merged));
        rc = s_check_pool(p);
    }
    cr_strmap_dispose(&merged);
    return rc;
}

static int s_untag(struct cr_sim *sim, const char *region, json_t *body)
{
    struct cr_sim_pool *p = s_by_arn(sim, region, body);
    size_t i;
    json_t *k;
    if (!p)
        return CR_EINVALID;
    json_array_foreach(json_object_get(body, "TagKeys"), i, k)
        cr_strmap_remove(&p->config.tags, json_string_value(k));
    return s_check_pool(p);
}

static int s_delete(struct cr_sim *sim, const char *region, json_t *body)
{
    size_t index = 0;
    struct cr_sim_pool *p = s_target(sim, &index, region, body);
    if (!p)
        return CR_EINVALID;
    s_pool_free(p);
    memmove(&sim->pools[index], &sim->pools[index + 1],
            (sim->len - index - 1) * sizeof(*sim->pools));
    sim->len--;
    return 0;
}

int cr_sim_call(struct cr_sim *sim, char **created_id, enum cr_cognito_op op, const char *region,
                const char *body)
{
    const char *name = cr_cognito_op_name(op);
    const struct cr_operation *api = cr_operation_find(name);
    json_error_t err;
    json_t *root = json_loads(body, JSON_REJECT_DUPLICATES, &err);
    int rc;
    if (created_id)
        *created_id = NULL;
    if (!api || !root) {
        rc = s_reject("SerializationException: %s body is not a JSON object: %s", name,
                      root ? "unknown operation" : err.text);
        goto done;
    }
    rc = s_walk(api->input, root, "");
    if (rc < 0)
        goto done;
    switch (op) {
    case CR_OP_CREATE_IDENTITY_POOL:
        rc = s_create(sim, created_id, region, root);
        break;
    case CR_OP_UPDATE_IDENTITY_POOL:
        rc = s_update(sim, region, root, body);
        break;
    case CR_OP_SET_IDENTITY_POOL_ROLES:
        rc = s_set_roles(sim, region, root, body);
        break;
    case CR_OP_SET_PRINCIPAL_TAG_ATTRIBUTE_MAP:
        rc = s_set_ptags(sim, region, root, body);
        break;
    case CR_OP_TAG_RESOURCE:
        rc = s_tag(sim, region, root);
        break;
    case CR_OP_UNTAG_RESOURCE:
        rc = s_untag(sim, region, root);
        break;
    case CR_OP_DELETE_IDENTITY_POOL:
        rc = s_delete(sim, region, root);
        break;
    default:
        rc = s_reject("%s is not a call a plan makes", name);
        break;
    }
done:
    json_decref(root);
    return rc;
}

int cr_sim_add(struct cr_sim_pool **out, struct cr_sim *sim, const char *region,
               const struct cr_cognito_pool *config, const struct cr_cognito_roles *roles,
               const struct cr_cognito_principal_tags *ptags, size_t n_ptags)
{
    struct cr_sim_pool *p = calloc(1, sizeof(*p));
    if (!p || !(p->region = strdup(region)) || cr_cognito_pool_copy(&p->config, config) < 0 ||
        (roles && cr_cognito_roles_copy(&p->roles, roles) < 0) ||
        s_ptags_copy(&p->ptags, &p->n_ptags, ptags, ptags ? n_ptags : 0) < 0) {
        s_pool_free(p);
        return s_oom();
    }
    free(p->roles.pool_id);
    p->roles.pool_id = NULL;
    /* kept sorted by provider, as GetIdentityPoolRoles is decoded */
    if (p->roles.n_mappings > 1)
        qsort(p->roles.mappings, p->roles.n_mappings, sizeof(*p->roles.mappings), s_cmp_mapping);
    p->config.has_tags = true;
    s_store_config(&p->config);
    int rc = s_check_pool(p);
    if (rc < 0) {
        s_pool_free(p);
        return rc;
    }
    if (out)
        *out = p;
    return s_push(sim, p);
}

/* ---- applying a plan ---- */

static int s_apply_pool(struct cr_sim *sim, const struct cr_plan *plan, size_t pi)
{
    const struct cr_plan_pool *pool = &plan->pools[pi];
    char *id = pool->pool_id ? strdup(pool->pool_id) : NULL;
    struct cr_buf body = CR_BUF_INIT;
    int rc = pool->pool_id && !id ? s_oom() : 0;
    for (size_t k = 0; rc == 0 && k < pool->n_ops; k++) {
        size_t i = pool->first_op + k;
        const struct cr_plan_op *op = &plan->ops[i];
        enum cr_cognito_op api = cr_plan_op_api(op->kind);
        char *created = NULL;
        cr_buf_clear(&body);
        rc = cr_plan_op_body(&body, plan, op, id); /* as cr_apply sends it */
        if (rc == 0)
            rc = cr_sim_call(sim, &created, api, pool->region, cr_buf_cstr(&body));
        if (rc < 0) {
            cr_error_prefix("operation %zu (%s, pool '%s')", i, cr_cognito_op_name(api),
                            pool->name);
            break;
        }
        if (op->kind == CR_PLAN_OP_CREATE) {
            free(id);
            id = created;
        } else if (op->kind == CR_PLAN_OP_DELETE) {
            free(id);
            id = NULL;
        }
    }
    free(id);
    cr_buf_dispose(&body);
    return rc;
}

int cr_sim_apply(struct cr_sim *sim, const struct cr_plan *plan)
{
    /* apply's two phases: every pool but the pruned ones, then the pruned ones (docs/plan.md) */
    for (int prune_phase = 0; prune_phase < 2; prune_phase++)
        for (size_t pi = 0; pi < plan->n_pools; pi++) {
            if ((plan->pools[pi].action == CR_PLAN_DELETE) != (prune_phase == 1))
                continue;
            int rc = s_apply_pool(sim, plan, pi);
            if (rc < 0)
                return rc;
        }
    return 0;
}

/* ---- reading like cr_live_read ---- */

/* Does desired pool d claim p (metadata.id, else stack and name tags in its region)? */
static bool s_claims(const struct cr_desired_pool *d, const struct cr_sim_pool *p,
                     const char *stack)
{
    if (d->region && strcmp(d->region, p->region) != 0)
        return false;
    if (d->adopt_id)
        return strcmp(d->adopt_id, p->config.id) == 0;
    const char *s = cr_strmap_get(&p->config.tags, CR_TAG_STACK);
    const char *n = cr_strmap_get(&p->config.tags, CR_TAG_NAME);
    return s && n && strcmp(s, stack) == 0 && strcmp(n, d->name) == 0;
}

/* What GetPrincipalTagAttributeMap answers: the stored map, else the default. */
static void s_visible_map(struct cr_cognito_principal_tags *out, const struct cr_sim_pool *p,
                          const char *provider)
{
    memset(out, 0, sizeof(*out));
    out->provider = (char *)provider;
    out->use_defaults = 1;
    for (size_t i = 0; i < p->n_ptags; i++)
        if (strcmp(p->ptags[i].provider, provider) == 0) {
            out->use_defaults = p->ptags[i].use_defaults;
            out->tags = p->ptags[i].tags; /* shallow */
        }
}

/* The maps the reader reads for pool p: providers d manages that p has configured (provider
 * names owned, tags borrowed from p). */
static int s_read_ptags(struct cr_cognito_principal_tags **out, size_t *n,
                        const struct cr_desired_pool *d, const struct cr_sim_pool *p)
{
    struct cr_strlist wanted = {0}, keys = {0};
    int rc = CR_ENOMEM;
    *out = calloc(1, sizeof(**out));
    *n = 0;
    if (!*out || cr_desired_principal_tag_providers(&wanted, d) < 0 ||
        cr_desired_provider_keys(&keys, &p->config) < 0)
        goto done;
    struct cr_cognito_principal_tags *arr = calloc(wanted.len + 1, sizeof(*arr));
    if (!arr)
        goto done;
    free(*out);
    *out = arr;
    for (size_t i = 0; i < wanted.len; i++) {
        const char *w = wanted.items[i];
        /* a provider the service does not accept for principal tags reads as unset */
        if (!cr_strlist_contains(&keys, w) || !s_configured(&p->config, w, false))
            continue;
        s_visible_map(&arr[*n], p, w);
        if (!(arr[(*n)++].provider = strdup(w))) /* owned: wanted is freed below */
            goto done;
    }
    rc = 0;
done:
    cr_strlist_dispose(&wanted);
    cr_strlist_dispose(&keys);
    return rc < 0 ? s_oom() : 0;
}

int cr_sim_read(struct cr_live_state *out, const struct cr_sim *sim,
                const struct cr_desired_pool *desired, size_t n_desired, const char *stack)
{
    for (size_t i = 0; i < sim->accounts.len; i++)
        if (cr_live_state_add_region(out, sim->accounts.items[i].key,
                                     sim->accounts.items[i].value) < 0)
            return s_oom();
    for (size_t i = 0; i < sim->len; i++) {
        const struct cr_sim_pool *p = sim->pools[i];
        const struct cr_desired_pool *d = NULL;
        for (size_t k = 0; k < n_desired && !d; k++)
            if (s_claims(&desired[k], p, stack))
                d = &desired[k];
        struct cr_cognito_roles roles = p->roles; /* shallow: the reader's copy has the id */
        roles.pool_id = p->config.id;
        struct cr_cognito_principal_tags *ptags = NULL;
        size_t n = 0;
        int rc = d && d->manage_principal_tags ? s_read_ptags(&ptags, &n, d, p) : 0;
        if (rc == 0)
            rc = cr_live_state_add(NULL, out, p->region, &p->config,
                                   d && d->manage_roles ? &roles : NULL, ptags, n);
        for (size_t k = 0; k < n; k++)
            free(ptags[k].provider); /* the tags were shallow */
        free(ptags);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* ---- the end state against the manifests ---- */

static bool s_eq(const char *a, const char *b)
{
    return (!a || !b) ? a == b : strcmp(a, b) == 0;
}

static int s_bool(int v)
{
    return v < 0 ? 0 : v;
}

/* Configuration as the manifests ask (sets unordered; a never-set AllowClassicFlow behaves as
 * allowed, aws-cli #7652). Returns the first differing field, or NULL. */
static const char *s_config_diff(const struct cr_cognito_pool *have,
                                 const struct cr_cognito_pool *want)
{
    if (!s_eq(have->name, want->name))
        return "IdentityPoolName";
    if (have->allow_unauthenticated != want->allow_unauthenticated)
        return "AllowUnauthenticatedIdentities";
    if (!(have->allow_classic_flow == want->allow_classic_flow ||
          (have->allow_classic_flow < 0 && want->allow_classic_flow == 1)))
        return "AllowClassicFlow";
    if (!s_eq(have->developer_provider_name, want->developer_provider_name))
        return "DeveloperProviderName";
    if (!cr_strmap_equal(&have->supported_login_providers, &want->supported_login_providers))
        return "SupportedLoginProviders";
    if (!cr_strlist_set_equal(&have->open_id_connect_provider_arns,
                              &want->open_id_connect_provider_arns))
        return "OpenIdConnectProviderARNs";
    if (!cr_strlist_set_equal(&have->saml_provider_arns, &want->saml_provider_arns))
        return "SamlProviderARNs";
    if (have->n_cognito_identity_providers != want->n_cognito_identity_providers)
        return "CognitoIdentityProviders";
    for (size_t i = 0; i < want->n_cognito_identity_providers; i++) {
        const struct cr_cognito_provider *w = &want->cognito_identity_providers[i];
        bool found = false;
        for (size_t k = 0; k < have->n_cognito_identity_providers && !found; k++) {
            const struct cr_cognito_provider *h = &have->cognito_identity_providers[k];
            found = s_eq(h->provider_name, w->provider_name) && s_eq(h->client_id, w->client_id) &&
                    s_bool(h->server_side_token_check) == s_bool(w->server_side_token_check);
        }
        if (!found)
            return "CognitoIdentityProviders";
    }
    return NULL;
}

static bool s_mapping_eq(const struct cr_cognito_role_mapping *a,
                         const struct cr_cognito_role_mapping *b)
{
    if (!s_eq(a->type, b->type) ||
        !s_eq(a->ambiguous_role_resolution, b->ambiguous_role_resolution) ||
        a->n_rules != b->n_rules)
        return false;
    for (size_t i = 0; i < a->n_rules; i++) /* ordered: the first matching rule wins */
        if (!s_eq(a->rules[i].claim, b->rules[i].claim) ||
            !s_eq(a->rules[i].match_type, b->rules[i].match_type) ||
            !s_eq(a->rules[i].value, b->rules[i].value) ||
            !s_eq(a->rules[i].role_arn, b->rules[i].role_arn))
            return false;
    return true;
}

static bool s_roles_eq(const struct cr_cognito_roles *a, const struct cr_cognito_roles *b)
{
    if (!cr_strmap_equal(&a->roles, &b->roles) || a->n_mappings != b->n_mappings)
        return false;
    for (size_t i = 0; i < a->n_mappings; i++) {
        bool found = false;
        for (size_t k = 0; k < b->n_mappings && !found; k++)
            found = s_eq(a->mappings[i].provider, b->mappings[k].provider) &&
                    s_mapping_eq(&a->mappings[i], &b->mappings[k]);
        if (!found)
            return false;
    }
    return true;
}

/* The provider names principal-tag maps use for a configuration (docs/plan.md). */
static int s_ptag_providers(struct cr_strlist *out, const struct cr_cognito_pool *c)
{
    struct cr_desired_pool tmp;
    cr_desired_pool_init(&tmp);
    tmp.config = *c; /* borrowed: only read */
    return cr_desired_principal_tag_providers(out, &tmp) < 0 ? s_oom() : 0;
}

static int s_check_ptags(const struct cr_sim_pool *have, const struct cr_desired_pool *d)
{
    struct cr_strlist providers = {0};
    int rc = s_ptag_providers(&providers, &have->config);
    for (size_t i = 0; rc == 0 && i < providers.len; i++) {
        const char *p = providers.items[i];
        const struct cr_cognito_principal_tags *want = NULL;
        for (size_t k = 0; k < d->n_principal_tags && !want; k++)
            if (strcmp(d->principal_tags[k].provider, p) == 0)
                want = &d->principal_tags[k];
        struct cr_cognito_principal_tags seen;
        s_visible_map(&seen, have, p);
        /* undeclared providers of a managed section are cleared (docs/plan.md) */
        int want_defaults = want ? s_bool(want->use_defaults) : 0;
        static const struct cr_strmap none = {0};
        if (seen.use_defaults != want_defaults ||
            !cr_strmap_equal(&seen.tags, want ? &want->tags : &none))
            rc = s_reject("principal-tag map of %s is not what the manifest says", p);
    }
    cr_strlist_dispose(&providers);
    return rc;
}

static bool s_ptags_eq(const struct cr_sim_pool *a, const struct cr_sim_pool *b)
{
    if (a->n_ptags != b->n_ptags)
        return false;
    for (size_t i = 0; i < a->n_ptags; i++)
        if (strcmp(a->ptags[i].provider, b->ptags[i].provider) != 0 ||
            a->ptags[i].use_defaults != b->ptags[i].use_defaults ||
            !cr_strmap_equal(&a->ptags[i].tags, &b->ptags[i].tags))
            return false;
    return true;
}

/* The user tags of a map (no cognito-reconcile:* key). */
static int s_user_tags(struct cr_strmap *out, const struct cr_strmap *tags)
{
    for (size_t i = 0; i < tags->len; i++)
        if (strncmp(tags->items[i].key, CR_TAG_PREFIX, strlen(CR_TAG_PREFIX)) != 0 &&
            cr_strmap_set(out, tags->items[i].key, tags->items[i].value) < 0)
            return s_oom();
    return 0;
}

static int s_check_tags_end(const struct cr_sim_pool *have, const struct cr_sim_pool *before,
                            const struct cr_desired_pool *d, const char *stack,
                            const char *revision)
{
    struct cr_strmap user = {0}, want = {0};
    const struct cr_strmap *t = &have->config.tags;
    int rc = s_user_tags(&user, t);
    if (rc == 0 && !d->manage_tags && before)
        rc = s_user_tags(&want, &before->config.tags);
    if (rc == 0 && !cr_strmap_equal(&user, d->manage_tags ? &d->tags : &want))
        rc = s_reject("user tags are not what the manifest says (%zu tags)", user.len);
    if (rc == 0 && (!s_eq(cr_strmap_get(t, CR_TAG_STACK), stack) ||
                    !s_eq(cr_strmap_get(t, CR_TAG_NAME), d->name)))
        rc = s_reject("ownership tags are missing or wrong");
    if (rc == 0 && !s_eq(cr_strmap_get(t, CR_TAG_REVISION), revision))
        rc = s_reject("revision tag '%s', expected '%s'",
                      cr_strmap_get(t, CR_TAG_REVISION) ? cr_strmap_get(t, CR_TAG_REVISION)
                                                        : "(none)",
                      revision ? revision : "(none)");
    cr_strmap_dispose(&user);
    cr_strmap_dispose(&want);
    return rc;
}

/* The plan pool of desired pool d (same name and region; no region: the default one). */
static const struct cr_plan_pool *s_plan_pool(const struct cr_plan *plan,
                                              const struct cr_desired_pool *d)
{
    for (size_t i = 0; i < plan->n_pools; i++)
        if (plan->pools[i].source && strcmp(plan->pools[i].name, d->name) == 0 &&
            (!d->region || strcmp(plan->pools[i].region, d->region) == 0))
            return &plan->pools[i];
    return NULL;
}

/* One desired pool: present once, in place unless replaced, as the manifest says. */
static int s_check_desired(const struct cr_sim *after, const struct cr_sim *before,
                           const struct cr_plan *plan, const struct cr_desired_pool *d,
                           const struct cr_plan_options *opts, bool *touched_before)
{
    const char *stack = opts->stack ? opts->stack : "default";
    const struct cr_sim_pool *was = NULL, *now = NULL;
    for (size_t i = 0; i < before->len; i++)
        if (s_claims(d, before->pools[i], stack)) {
            was = before->pools[i];
            touched_before[i] = true;
        }
    struct cr_desired_pool by_tags = *d; /* shallow: found by its tags once applied */
    by_tags.adopt_id = NULL;
    for (size_t i = 0; i < after->len; i++)
        if (s_claims(&by_tags, after->pools[i], stack)) {
            if (now)
                return s_reject("two pools carry its ownership tags");
            now = after->pools[i];
        }
    if (!now)
        return s_reject("no pool carries its ownership tags");
    bool replaced = was && was->config.developer_provider_name &&
                    !s_eq(was->config.developer_provider_name, d->config.developer_provider_name);
    if (was && !replaced && strcmp(was->config.id, now->config.id) != 0)
        return s_reject("pool %s was not changed in place (now %s)", was->config.id,
                        now->config.id);
    if (replaced && cr_sim_find(after, was->config.id))
        return s_reject("replaced pool %s still exists", was->config.id);
    const char *field = s_config_diff(&now->config, &d->config);
    if (field)
        return s_reject("%s is not what the manifest says", field);
    const struct cr_sim_pool *kept = replaced ? NULL : was; /* what unmanaged sections keep */
    static const struct cr_cognito_roles no_roles = {0};
    if (!s_roles_eq(&now->roles, d->manage_roles ? &d->roles : kept ? &kept->roles : &no_roles))
        return s_reject("roles and role mappings are not what the manifest says");
    if (d->manage_principal_tags) {
        int rc = s_check_ptags(now, d);
        if (rc < 0)
            return rc;
    } else if (kept ? !s_ptags_eq(now, kept) : now->n_ptags != 0) {
        return s_reject("unmanaged principal-tag maps changed");
    }
    /* the revision tag is written with every change and kept otherwise */
    const struct cr_plan_pool *pp = s_plan_pool(plan, d);
    const char *revision = kept ? cr_strmap_get(&kept->config.tags, CR_TAG_REVISION) : NULL;
    if (opts->revision && (!kept || (pp && pp->n_ops > 0)))
        revision = opts->revision;
    /* user tags a replaced pool had are carried over when tags are unmanaged */
    return s_check_tags_end(now, was, d, stack, revision);
}

static bool s_pool_eq(const struct cr_sim_pool *a, const struct cr_sim_pool *b)
{
    return strcmp(a->region, b->region) == 0 && !s_config_diff(&a->config, &b->config) &&
           a->config.allow_classic_flow == b->config.allow_classic_flow &&
           cr_strmap_equal(&a->config.tags, &b->config.tags) && s_roles_eq(&a->roles, &b->roles) &&
           s_ptags_eq(a, b);
}

int cr_sim_check_end(const struct cr_sim *after, const struct cr_sim *before,
                     const struct cr_plan *plan, const struct cr_desired_pool *desired,
                     size_t n_desired, const struct cr_plan_options *opts)
{
    const char *stack = opts->stack ? opts->stack : "default";
    bool *touched = calloc(before->len + 1, sizeof(*touched));
    int rc = touched ? 0 : s_oom();
    for (size_t i = 0; rc == 0 && i < n_desired; i++) {
        rc = s_check_desired(after, before, plan, &desired[i], opts, touched);
        if (rc < 0)
            cr_error_prefix("end state of pool '%s'", desired[i].name);
    }
    /* every pool no manifest claims: pruned when owned and --prune, else untouched */
    for (size_t i = 0; rc == 0 && i < before->len; i++) {
        const struct cr_sim_pool *b = before->pools[i];
        if (touched[i])
            continue;
        const struct cr_sim_pool *a = cr_sim_find(after, b->config.id);
        bool owned = s_eq(cr_strmap_get(&b->config.tags, CR_TAG_STACK), stack);
        if (owned && opts->prune && a)
            rc = s_reject("owned pool %s named by no manifest was not pruned", b->config.id);
        else if (!(owned && opts->prune) && (!a || !s_pool_eq(a, b)))
            rc = s_reject("pool %s that no manifest claims was changed", b->config.id);
    }
    free(touched);
    return rc;
}

/* ---- canonical form ---- */

static json_t *s_jmap(const struct cr_strmap *m)
{
    json_t *o = json_object();
    for (size_t i = 0; o && i < m->len; i++)
        json_object_set_new(o, m->items[i].key, json_string(m->items[i].value));
    return o;
}

static json_t *s_jset(const struct cr_strlist *l)
{
    struct cr_strlist copy = {0};
    json_t *a = json_array();
    if (cr_strlist_copy(&copy, l) < 0) {
        json_decref(a);
        return NULL;
    }
    cr_strlist_sort(&copy);
    for (size_t i = 0; a && i < copy.len; i++)
        json_array_append_new(a, json_string(copy.items[i]));
    cr_strlist_dispose(&copy);
    return a;
}

static json_t *s_jpool(const struct cr_sim_pool *p, const struct cr_strlist *keep_ids)
{
    const struct cr_cognito_pool *c = &p->config;
    json_t *providers = json_object(), *mappings = json_object(), *ptags = json_object();
    for (size_t i = 0; providers && i < c->n_cognito_identity_providers; i++) {
        const struct cr_cognito_provider *q = &c->cognito_identity_providers[i];
        char key[1024];
        snprintf(key, sizeof(key), "%s:%s", q->provider_name, q->client_id ? q->client_id : "");
        json_object_set_new(providers, key, json_integer(q->server_side_token_check));
    }
    for (size_t i = 0; mappings && i < p->roles.n_mappings; i++) {
        const struct cr_cognito_role_mapping *m = &p->roles.mappings[i];
        json_t *rules = json_array();
        for (size_t k = 0; rules && k < m->n_rules; k++)
            json_array_append_new(rules,
                                  json_pack("[s?s?s?s?]", m->rules[k].claim, m->rules[k].match_type,
                                            m->rules[k].value, m->rules[k].role_arn));
        json_object_set_new(mappings, m->provider,
                            json_pack("{s:s?,s:s?,s:b,s:o}", "type", m->type, "ambiguous",
                                      m->ambiguous_role_resolution, "has_rules",
                                      m->has_rules_configuration, "rules", rules));
    }
    struct cr_strlist names = {0};
    if (s_ptag_providers(&names, c) == 0)
        for (size_t i = 0; ptags && i < names.len; i++) {
            struct cr_cognito_principal_tags seen;
            if (!s_configured(c, names.items[i], false))
                continue;
            s_visible_map(&seen, p, names.items[i]);
            json_object_set_new(ptags, names.items[i],
                                json_pack("{s:b,s:o}", "use_defaults", seen.use_defaults, "tags",
                                          s_jmap(&seen.tags)));
        }
    cr_strlist_dispose(&names);
    bool keep = cr_strlist_contains(keep_ids, c->id);
    return json_pack(
        "{s:s,s:s,s:s?,s:b,s:i,s:o,s:s?,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "region", p->region, "id",
        keep ? c->id : "(new)", "name", c->name, "unauth", c->allow_unauthenticated, "classic",
        c->allow_classic_flow, "logins", s_jmap(&c->supported_login_providers), "developer",
        c->developer_provider_name, "oidc", s_jset(&c->open_id_connect_provider_arns), "saml",
        s_jset(&c->saml_provider_arns), "user_pools", providers, "tags", s_jmap(&c->tags), "roles",
        s_jmap(&p->roles.roles), "mappings", mappings, "principal_tags", ptags);
}

static int s_cmp_text(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int cr_sim_canonical(struct cr_buf *out, const struct cr_sim *sim,
                     const struct cr_strlist *keep_ids)
{
    char **texts = calloc(sim->len + 1, sizeof(*texts));
    int rc = texts ? 0 : CR_ENOMEM;
    for (size_t i = 0; rc == 0 && i < sim->len; i++) {
        json_t *o = s_jpool(sim->pools[i], keep_ids);
        texts[i] = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(o);
        if (!texts[i])
            rc = CR_ENOMEM;
    }
    if (rc == 0) {
        /* pools created under other ids render the same text ("(new)"), so sorting the texts
         * lines two equal services up */
        qsort(texts, sim->len, sizeof(*texts), s_cmp_text);
        for (size_t i = 0; i < sim->len; i++)
            cr_buf_printf(out, "%s\n", texts[i]);
        rc = cr_buf_oom(out) ? CR_ENOMEM : 0;
    }
    for (size_t i = 0; texts && i < sim->len; i++)
        free(texts[i]);
    free(texts);
    return rc < 0 ? s_oom() : 0;
}
