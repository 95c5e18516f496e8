/* SPDX-License-Identifier: Apache-2.0 */
/* Creating and freeing the emulator; loading its state and keys. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/internal.h"
#include "schema/constraints.h"

static char *s_dup_or(const char *s, const char *fallback)
{
    return strdup(s && s[0] ? s : fallback);
}

/* A region name as AWS spells them: two letters, words, a number (us-east-1, cn-north-1,
 * us-gov-west-1), so pool ids and ARNs look like the service's. */
static bool s_region_ok(const char *r)
{
    size_t i = 0, dashes = 0;
    while (r[i] >= 'a' && r[i] <= 'z')
        i++;
    if (i != 2)
        return false;
    for (; r[i] == '-' || (r[i] >= 'a' && r[i] <= 'z'); i++)
        dashes += r[i] == '-';
    if (dashes < 2 || r[i - 1] != '-' || !isdigit((unsigned char)r[i]))
        return false;
    while (isdigit((unsigned char)r[i]))
        i++;
    return r[i] == '\0';
}

static bool s_account_ok(const char *a)
{
    size_t n = strspn(a, "0123456789");
    return n == 12 && a[n] == '\0';
}

/* --s3-bucket names: checked against S3's rules, so a typo fails at start. */
static int s_copy_buckets(struct cr_emu *emu, const struct cr_emu_options *opts)
{
    emu->s3_buckets = calloc(opts->n_s3_buckets + 1, sizeof(*emu->s3_buckets));
    if (!emu->s3_buckets)
        return CR_ENOMEM;
    for (size_t i = 0; i < opts->n_s3_buckets; i++) {
        if (!cr__emu_s3_bucket_name_ok(opts->s3_buckets[i])) {
            cr_error_set("--s3-bucket '%s': not a valid S3 bucket name (3..63 characters of a-z, "
                         "0-9, '.' and '-', starting and ending with a letter or digit)",
                         opts->s3_buckets[i]);
            return CR_EINVALID;
        }
        emu->s3_buckets[i] = strdup(opts->s3_buckets[i]);
        if (!emu->s3_buckets[i])
            return CR_ENOMEM;
        emu->n_s3_buckets = i + 1;
    }
    return 0;
}

static int s_load_state(struct cr_emu *emu)
{
    json_t *doc = NULL;
    int rc;
    if (!emu->state_path) {
        emu->state = cr__emu_state_empty();
        return emu->state ? 0 : CR_ENOMEM;
    }
    rc = cr__emu_persist_load(&doc, emu->state_path);
    if (rc == CR_ENOTFOUND) {
        /* First start: create the file now, so a bad path fails at start, not at the first
         * write. */
        emu->state = cr__emu_state_empty();
        if (!emu->state)
            return CR_ENOMEM;
        return cr__emu_persist_save(emu->state, emu->state_path);
    }
    if (rc != 0)
        return rc;
    emu->state = doc;
    return 0;
}

/* The quotas of the options: a profile, then the rules in order. */
static int s_quotas(struct cr_emu *emu, const struct cr_emu_options *opts)
{
    struct cr_emu_quota_config *c = &emu->quotas_initial;
    if (cr__emu_quota_profile(c, opts->quota_profile ? opts->quota_profile : "none", 1.0) != 0) {
        cr_error_prefix("--quotas");
        return CR_EINVALID;
    }
    for (size_t i = 0; i < opts->n_quota_rules; i++)
        if (cr__emu_quota_rule(c, opts->quota_rules[i]) != 0) {
            cr_error_prefix("--quota");
            return CR_EINVALID;
        }
    cr__emu_quotas_set(&emu->quotas, c);
    return 0;
}

/* The settings of the credential endpoints (STS durations, IMDS, containers, SSO). */
static int s_credential_endpoints(struct cr_emu *emu, const struct cr_emu_options *opts)
{
    char id[37];
    emu->sts_min_duration_s = opts->sts_min_duration_s > 0 ? opts->sts_min_duration_s : 900;
    emu->credentials_ttl_s = opts->credentials_ttl_s > 0 ? opts->credentials_ttl_s : 3600;
    emu->imds_role = s_dup_or(opts->imds_role, "cognito-identity-local");
    emu->container_role = s_dup_or(opts->container_role, "cognito-identity-local-task");
    emu->container_token = opts->container_token ? strdup(opts->container_token) : NULL;
    emu->sso_tokens = json_object();
    emu->imds_tokens = json_object();
    if (!emu->imds_role || !emu->container_role || !emu->sso_tokens || !emu->imds_tokens ||
        (opts->container_token && !emu->container_token))
        return CR_ENOMEM;
    if (emu->sts_min_duration_s > 43200 || emu->credentials_ttl_s > 43200) {
        cr_error_set("--sts-min-duration and --credentials-ttl: at most 43200 seconds");
        return CR_EINVALID;
    }
    /* an instance id (i- and 17 hex digits) and a task id (32 hex digits) for this run */
    cr__emu_uuid(id);
    snprintf(emu->instance_id, sizeof(emu->instance_id), "i-%.8s%.4s%.4s%.1s", id, id + 9,
             id + 14, id + 19);
    cr__emu_uuid(id);
    snprintf(emu->task_id, sizeof(emu->task_id), "%.8s%.4s%.4s%.4s%.12s", id, id + 9, id + 14,
             id + 19, id + 24);
    return 0;
}

int cr_emu_new(struct cr_emu **out, const struct cr_emu_options *opts)
{
    int result = CR_ENOMEM;
    struct cr_emu *emu = calloc(1, sizeof(*emu));
    if (!emu)
        goto done;
    pthread_mutex_init(&emu->state_lock, NULL);
    pthread_mutex_init(&emu->aux_lock, NULL);
    cr__emu_quotas_init(&emu->quotas);
    emu->region = s_dup_or(opts->region, CR_EMU_DEFAULT_REGION);
    emu->account_id = s_dup_or(opts->account_id, CR_EMU_DEFAULT_ACCOUNT);
    emu->state_path = opts->state_path ? strdup(opts->state_path) : NULL;
    emu->max_pools = opts->max_pools ? opts->max_pools : CR_LIMIT_POOLS_PER_REGION;
    emu->max_body_bytes = opts->max_body_bytes ? opts->max_body_bytes : 1024 * 1024;
    emu->debug = opts->debug;
    emu->log = calloc(CR_EMU_LOG_CAP, sizeof(*emu->log));
    if (!emu->region || !emu->account_id || (opts->state_path && !emu->state_path) || !emu->log)
        goto done;
    result = s_credential_endpoints(emu, opts);
    if (result != 0)
        goto done;
    if (!s_region_ok(emu->region) || !s_account_ok(emu->account_id)) {
        cr_error_set(!s_region_ok(emu->region) ? "--region '%s': not a region name (like us-east-1)"
                                               : "--account-id '%s': expected 12 digits",
                     !s_region_ok(emu->region) ? emu->region : emu->account_id);
        result = CR_EINVALID;
        goto done;
    }
    result = s_quotas(emu, opts);
    if (result == 0)
        result = s_copy_buckets(emu, opts);
    if (result != 0)
        goto done;
    if (opts->credentials_path) {
        emu->verify = true;
        result = cr__emu_keys_load(&emu->keys, opts->credentials_path, emu->account_id);
        if (result != 0)
            goto done;
    }
    if (opts->idp_keys_path) {
        result = cr__emu_idp_keys_load(emu, opts->idp_keys_path);
        if (result != 0)
            goto done;
    }
    result = s_load_state(emu);
    if (result == 0 && emu->n_s3_buckets) {
        result = cr__emu_s3_create_buckets(emu);
        if (result == 0 && emu->state_path)
            result = cr__emu_persist_save(emu->state, emu->state_path);
    }
    if (result != 0)
        goto done;
    *out = emu;
    emu = NULL; /* now owned by the caller */
    result = 0;
done:
    if (result == CR_ENOMEM && !cr_error_last()[0])
        cr_error_set("out of memory");
    cr_emu_free(emu);
    return result;
}

void cr_emu_free(struct cr_emu *emu)
{
    if (!emu)
        return;
    json_decref(emu->state);
    cr__emu_log_clear(emu);
    free(emu->log);
    cr__emu_faults_dispose(&emu->faults);
    cr__emu_keys_dispose(&emu->keys);
    cr__emu_quotas_dispose(&emu->quotas);
    cr__emu_keys_cache_dispose(emu);
    json_decref(emu->sessions);
    pthread_mutex_destroy(&emu->state_lock);
    pthread_mutex_destroy(&emu->aux_lock);
    for (size_t i = 0; i < emu->n_s3_buckets; i++)
        free(emu->s3_buckets[i]);
    free(emu->s3_buckets);
    free(emu->region);
    free(emu->account_id);
    free(emu->state_path);
    free(emu->imds_role);
    free(emu->container_role);
    free(emu->container_token);
    json_decref(emu->sso_tokens);
    json_decref(emu->imds_tokens);
    free(emu);
}

int cr_emu_add_faults(struct cr_emu *emu, const char *spec)
{
    int rc;
    pthread_mutex_lock(&emu->aux_lock);
    rc = cr__emu_faults_parse(&emu->faults, spec);
    pthread_mutex_unlock(&emu->aux_lock);
    return rc;
}
