/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Region, profile and endpoint resolution, following the AWS CLI ("Configuration and
 * credential file settings" and "Service-specific endpoints" in the AWS CLI user guide) and
 * the cognito-identity / sts endpoint rule sets in tests/data/aws-models.
 */
#include "aws/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <curl/curl.h>
#include <ini.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "util/strutil.h"

#define S_MAX_FILE_BYTES (1u << 20)

/* Out of memory, reported where it is detected. */
static int s_oom(void)
{
    cr_error_set("aws config: out of memory");
    return CR_ENOMEM;
}

/* ---- environment ---- */

const char *cr_aws_env_get(const struct cr_aws_env *env, const char *name)
{
    const char *v = env && env->getenv ? env->getenv(env->getenv_ctx, name) : getenv(name);
    return v && *v ? v : NULL;
}

int64_t cr_aws_env_now(const struct cr_aws_env *env)
{
    if (env && env->clock)
        return env->clock(env->clock_ctx);
    return (int64_t)time(NULL);
}

/* ---- shared files ---- */

void cr_aws_config_init(struct cr_aws_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
}

static void s_wipe_map(struct cr_strmap *map)
{
    for (size_t i = 0; i < map->len; i++) {
        if (map->items[i].value)
            OPENSSL_cleanse(map->items[i].value, strlen(map->items[i].value));
    }
    cr_strmap_dispose(map);
}

void cr_aws_config_dispose(struct cr_aws_config *cfg)
{
    if (!cfg)
        return;
    cr_buf_dispose(&cfg->profile);
    cr_buf_dispose(&cfg->config_path);
    cr_buf_dispose(&cfg->credentials_path);
    s_wipe_map(&cfg->config);
    s_wipe_map(&cfg->credentials);
    s_wipe_map(&cfg->sso_session);
    cr_aws_config_init(cfg);
}

struct s_parse {
    struct cr_aws_config *cfg;
    bool is_config;
    const char *sso_session; /* non-NULL: collect "[sso-session NAME]" instead of the profile */
    int rc;
};

/* "[<kind> NAME]" (kind "profile" or "sso-session", blanks between) names NAME? */
static bool s_named_section(const char *section, const char *kind, const char *name)
{
    size_t n = strlen(kind);
    if (strncmp(section, kind, n) != 0 || !isspace((unsigned char)section[n]))
        return false;
    const char *rest = section + n;
    while (isspace((unsigned char)*rest))
        rest++;
    return strcmp(rest, name) == 0;
}

/* Does an INI section name select the profile? In the config file the profile "x" is
 * "[profile x]" and the default profile also "[default]"; in the credentials file it is "[x]"
 * (the AWS CLI ignores a "profile " prefix there too, and "[x]" in the config file). */
static bool s_section_matches(const char *section, const char *profile, bool is_config)
{
    if (!is_config)
        return strcmp(section, profile) == 0;
    if (strcmp(profile, "default") == 0 && strcmp(section, "default") == 0)
        return true;
    return s_named_section(section, "profile", profile);
}

static int s_ini_handler(void *user, const char *section, const char *name, const char *value)
{
    struct s_parse *p = user;
    char key[128];
    struct cr_strmap *map;
    if (p->sso_session) {
        if (!s_named_section(section, "sso-session", p->sso_session))
            return 1;
        p->cfg->sso_session_found = true;
        map = &p->cfg->sso_session;
    } else {
        if (!s_section_matches(section, cr_buf_cstr(&p->cfg->profile), p->is_config))
            return 1;
        p->cfg->profile_found = true;
        map = p->is_config ? &p->cfg->config : &p->cfg->credentials;
    }
    size_t i = 0;
    for (; name[i] && i + 1 < sizeof(key); i++)
        key[i] = (char)tolower((unsigned char)name[i]);
    key[i] = '\0';
    /* A nested setting ("s3 =" followed by indented "key = value" lines) arrives as more
     * values for the same name; only the first line is a value of the profile itself. */
    if (cr_strmap_get(map, key) && *cr_strmap_get(map, key))
        return 1;
    if (cr_strmap_set(map, key, value ? value : "") < 0) {
        p->rc = CR_ENOMEM;
        return 0;
    }
    return 1;
}

/* libinih's settings are process globals in this build; set them before every parse: long
 * lines (session tokens exceed the default 200 bytes) and no inline comments (the AWS CLI
 * uses Python's configparser, which keeps ';' and '#' inside values). */
static void s_ini_setup(void)
{
    ini_use_stack = false;
    ini_allow_realloc = true;
    ini_max_line = (int)S_MAX_FILE_BYTES;
    ini_allow_inline_comments = false;
    ini_allow_multiline = true;
    ini_stop_on_first_error = true;
}

static int s_parse_text(struct cr_aws_config *out, const char *text, const char *path,
                        bool is_config, const char *sso_session)
{
    struct s_parse p = {out, is_config, sso_session, 0};
    if (!out->profile.len && cr_buf_puts(&out->profile, "default") < 0)
        return s_oom();
    s_ini_setup();
    int line = ini_parse_string(text, s_ini_handler, &p);
    if (p.rc < 0) {
        cr_error_set("%s: out of memory", path);
        return p.rc;
    }
    if (line == -2) {
        cr_error_set("%s: out of memory", path);
        return CR_ENOMEM;
    }
    if (line != 0) {
        cr_error_set("%s:%d: syntax error: expected '[section]' or 'key = value'", path, line);
        return CR_EINVALID;
    }
    return 0;
}

int cr_aws_config_parse_string(struct cr_aws_config *out, const char *text, const char *path,
                               bool is_config)
{
    return s_parse_text(out, text, path, is_config, NULL);
}

/* "~/x" -> "$HOME/x". */
static int s_expand_path(struct cr_buf *out, const struct cr_aws_env *env, const char *path)
{
    const char *home = cr_aws_env_get(env, "HOME");
    if (path[0] == '~' && (path[1] == '/' || path[1] == '\0') && home)
        cr_buf_printf(out, "%s%s", home, path + 1);
    else
        cr_buf_puts(out, path);
    return cr_buf_oom(out) ? s_oom() : 0;
}

static int s_load_file(struct cr_aws_config *cfg, const struct cr_buf *path, bool is_config,
                       const char *sso_session, bool *found)
{
    int result = -1;
    struct cr_buf text = CR_BUF_INIT;
    struct stat st;
    *found = false;
    if (stat(cr_buf_cstr(path), &st) != 0 && (errno == ENOENT || errno == ENOTDIR))
        return 0;
    int rc = cr_buf_read_file(&text, cr_buf_cstr(path), S_MAX_FILE_BYTES);
    if (rc < 0) {
        cr_error_prefix("%s", is_config ? "AWS config file" : "AWS credentials file");
        /* a file too large to be a config file is bad input; out of memory stays itself */
        result = rc == CR_ELIMIT ? CR_EINVALID : rc == CR_ENOMEM ? rc : CR_EIO;
        goto done;
    }
    *found = true;
    result = s_parse_text(cfg, cr_buf_cstr(&text), cr_buf_cstr(path), is_config, sso_session);
done:
    cr_buf_dispose_secure(&text);
    return result;
}

int cr_aws_config_load_sso_session(struct cr_aws_config *cfg, const char *name)
{
    bool found = false;
    s_wipe_map(&cfg->sso_session);
    cfg->sso_session_found = false;
    return s_load_file(cfg, &cfg->config_path, true, name, &found);
}

int cr_aws_config_load(struct cr_aws_config *out, const struct cr_aws_env *env, const char *profile)
{
    int rc;
    const char *config_file = cr_aws_env_get(env, "AWS_CONFIG_FILE");
    const char *creds_file = cr_aws_env_get(env, "AWS_SHARED_CREDENTIALS_FILE");
    const char *env_profile = cr_aws_env_get(env, "AWS_PROFILE");
    const char *name = profile && *profile ? profile : env_profile ? env_profile : "default";
    out->profile_from_user = (profile && *profile) || env_profile;
    cr_buf_clear(&out->profile);
    if (cr_buf_puts(&out->profile, name) < 0)
        return s_oom();
    rc = s_expand_path(&out->config_path, env, config_file ? config_file : "~/.aws/config");
    if (rc == 0)
        rc = s_expand_path(&out->credentials_path, env,
                           creds_file ? creds_file : "~/.aws/credentials");
    if (rc < 0) {
        cr_error_set("aws config: out of memory");
        return rc;
    }
    rc = s_load_file(out, &out->credentials_path, false, NULL, &out->credentials_found);
    if (rc < 0)
        return rc;
    return s_load_file(out, &out->config_path, true, NULL, &out->config_found);
}

const char *cr_aws_config_ca_bundle(const struct cr_aws_config *cfg, const struct cr_aws_env *env)
{
    const char *path = cr_aws_env_get(env, "AWS_CA_BUNDLE");
    return path ? path : cr_aws_config_get(cfg, "ca_bundle");
}

/* Whether the open file holds a PEM certificate (false for anything else: DER, text, ...).
 * Reads up to the first one only: every client of a run checks the bundle, and the system's
 * holds some 140 certificates that libcurl parses anyway when it connects. */
static bool s_has_pem_certificate(FILE *f)
{
    X509 *cert = PEM_read_X509(f, NULL, NULL, NULL);
    bool found = cert != NULL;
    X509_free(cert);
    ERR_clear_error(); /* a file that is not PEM leaves libcrypto's reason: ours is the message */
    return found;
}

int cr_aws_config_ca_bundle_checked(const char **out, const struct cr_aws_config *cfg,
                                    const struct cr_aws_env *env)
{
    const char *path = cr_aws_config_ca_bundle(cfg, env);
    bool from_env = cr_aws_env_get(env, "AWS_CA_BUNDLE") != NULL;
    struct cr_buf what = CR_BUF_INIT;
    struct stat st;
    const char *verb = "cannot be read", *problem = NULL;
    int result = 0;
    FILE *f = NULL;
    *out = path;
    if (!path)
        return 0;
    if (from_env)
        cr_buf_printf(&what, "AWS_CA_BUNDLE '%s'", path);
    else
        cr_buf_printf(&what, "ca_bundle '%s' of profile '%s' (%s)", path,
                      cr_buf_cstr(&cfg->profile), cr_buf_cstr(&cfg->config_path));
    if (cr_buf_oom(&what)) {
        cr_error_set("out of memory checking the CA bundle");
        result = CR_ENOMEM;
        goto done;
    }
    f = fopen(path, "r");
    if (!f || fstat(fileno(f), &st) != 0)
        problem = strerror(errno);
    else if (S_ISDIR(st.st_mode))
        problem = strerror(EISDIR);
    else if (!s_has_pem_certificate(f))
        verb = "holds no PEM certificate", problem = "no -----BEGIN CERTIFICATE----- block";
    if (problem) {
        cr_error_set("%s %s: %s (set it to a PEM file of CA certificates, or %s to use the "
                     "system trust store)",
                     what.ptr, verb, problem, from_env ? "unset it" : "remove it");
        result = CR_EINVALID;
    }
done:
    if (f)
        fclose(f);
    cr_buf_dispose(&what);
    if (result < 0)
        *out = NULL;
    return result;
}

const char *cr_aws_config_get(const struct cr_aws_config *cfg, const char *key)
{
    const char *v;
    if (!cfg)
        return NULL;
    v = cr_strmap_get(&cfg->credentials, key);
    if (v && *v)
        return v;
    v = cr_strmap_get(&cfg->config, key);
    return v && *v ? v : NULL;
}

/* ---- region ---- */

/* A region is a DNS label: letters, digits and '-', not at either end (the AWS CLI's
 * validate_region_name). */
static bool s_valid_region(const char *r)
{
    size_t n = strlen(r);
    if (n == 0 || n > 63 || r[0] == '-' || r[n - 1] == '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!isalnum((unsigned char)r[i]) && r[i] != '-')
            return false;
    }
    return true;
}

int cr_aws_config_region(struct cr_buf *out, const struct cr_aws_config *cfg,
                         const struct cr_aws_env *env, const char *cli_region)
{
    return cr_aws_config_region_from(out, NULL, cfg, env, cli_region);
}

int cr_aws_config_region_from(struct cr_buf *out, const char **where,
                              const struct cr_aws_config *cfg, const struct cr_aws_env *env,
                              const char *cli_region)
{
    /* where: "'region' of profile 'dev' in /home/me/.aws/config" (the profile's own text
     * outlives cfg: the caller may free cfg before reporting) */
    static _Thread_local char profile_from[1024];
    const char *region = NULL, *from = NULL;
    if (cfg)
        snprintf(profile_from, sizeof(profile_from), "'region' of profile '%s' in %s",
                 cr_buf_cstr(&cfg->profile), cr_buf_cstr(&cfg->config_path));
    struct {
        const char *value, *name;
    } sources[] = {
        {cli_region && *cli_region ? cli_region : NULL, "--region"},
        {cr_aws_env_get(env, "AWS_REGION"), "AWS_REGION"},
        {cr_aws_env_get(env, "AWS_DEFAULT_REGION"), "AWS_DEFAULT_REGION"},
        {cr_aws_config_get(cfg, "region"), profile_from},
    };
    for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]) && !region; i++) {
        region = sources[i].value;
        from = sources[i].name;
    }
    if (!region) {
        if (cfg)
            cr_error_set("no AWS region: tried --region, AWS_REGION, AWS_DEFAULT_REGION and "
                         "'region' of profile '%s' in %s%s",
                         cr_buf_cstr(&cfg->profile), cr_buf_cstr(&cfg->config_path),
                         !cfg->config_found                              ? " (file not found)"
                         : cfg->profile_from_user && !cfg->profile_found ? " (no such profile)"
                                                                         : "");
        else
            cr_error_set("no AWS region: tried --region, AWS_REGION and AWS_DEFAULT_REGION");
        return CR_EINVALID;
    }
    if (!s_valid_region(region)) {
        cr_error_set("%s: '%s' is not a valid region name (letters, digits and '-', like "
                     "us-east-1)",
                     from, region);
        return CR_EINVALID;
    }
    if (where)
        *where = from;
    cr_buf_clear(out);
    return cr_buf_puts(out, region) < 0 ? s_oom() : 0;
}

int cr_aws_config_bool(bool *out, const struct cr_aws_config *cfg, const struct cr_aws_env *env,
                       const char *env_name, const char *profile_key)
{
    const char *v = env_name ? cr_aws_env_get(env, env_name) : NULL;
    const char *from = env_name;
    if (!v && profile_key) {
        v = cr_aws_config_get(cfg, profile_key);
        from = profile_key;
    }
    *out = false;
    if (!v)
        return 0;
    if (strcasecmp(v, "true") == 0) {
        *out = true;
        return 0;
    }
    if (strcasecmp(v, "false") == 0)
        return 0;
    cr_error_set("%s: '%s' is not true or false", from, v);
    return CR_EINVALID;
}

/* ---- partitions and endpoint rules ---- */

/* The partitions and their regions: the one table for endpoints, ARNs and the region check.
 * From botocore's partitions.json (1.43.11): DNS suffixes, capabilities, the region pattern's
 * prefix and the regions each partition lists (without the "aws-global"-style pseudo-regions,
 * which are matched separately). A region AWS opens after this build is refused by the check
 * (cr_aws_config_check_region) until the list is updated; `--region-check=off` accepts it. */
static const char *const s_regions_aws[] = {
    "af-south-1",     "ap-east-1",      "ap-east-2",      "ap-northeast-1", "ap-northeast-2",
    "ap-northeast-3", "ap-south-1",     "ap-south-2",     "ap-southeast-1", "ap-southeast-2",
    "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
    "ca-central-1",   "ca-west-1",      "eu-central-1",   "eu-central-2",   "eu-north-1",
    "eu-south-1",     "eu-south-2",     "eu-west-1",      "eu-west-2",      "eu-west-3",
    "il-central-1",   "me-central-1",   "me-south-1",     "mx-central-1",   "sa-east-1",
    "us-east-1",      "us-east-2",      "us-west-1",      "us-west-2",
};
static const char *const s_regions_cn[] = {"cn-north-1", "cn-northwest-1"};
static const char *const s_regions_gov[] = {"us-gov-east-1", "us-gov-west-1"};
static const char *const s_regions_iso[] = {"us-iso-east-1", "us-iso-west-1"};
static const char *const s_regions_isob[] = {"us-isob-east-1", "us-isob-west-1"};
static const char *const s_regions_isoe[] = {"eu-isoe-west-1"};
static const char *const s_regions_isof[] = {"us-isof-east-1", "us-isof-south-1"};
static const char *const s_regions_eusc[] = {"eusc-de-east-1"};

#define S_REGIONS(a) a, sizeof(a) / sizeof(a[0])

static const struct cr_aws_partition_info s_partitions[] = {
    {"aws", "amazonaws.com", "api.aws", true, true, S_REGIONS(s_regions_aws)},
    {"aws-cn", "amazonaws.com.cn", "api.amazonwebservices.com.cn", true, true,
     S_REGIONS(s_regions_cn)},
    {"aws-us-gov", "amazonaws.com", "api.aws", true, true, S_REGIONS(s_regions_gov)},
    {"aws-iso", "c2s.ic.gov", "c2s.ic.gov", true, false, S_REGIONS(s_regions_iso)},
    {"aws-iso-b", "sc2s.sgov.gov", "sc2s.sgov.gov", true, false, S_REGIONS(s_regions_isob)},
    {"aws-iso-e", "cloud.adc-e.uk", "cloud.adc-e.uk", true, false, S_REGIONS(s_regions_isoe)},
    {"aws-iso-f", "csp.hci.ic.gov", "csp.hci.ic.gov", true, false, S_REGIONS(s_regions_isof)},
    {"aws-eusc", "amazonaws.eu", "api.amazonwebservices.eu", true, true,
     S_REGIONS(s_regions_eusc)},
};

#define S_N_PARTITIONS (sizeof(s_partitions) / sizeof(s_partitions[0]))

static const struct {
    const char *prefix; /* regions "<prefix>\w+-\d+", or the partition's global region */
    const char *global;
    size_t index;
} s_partition_patterns[] = {
    {"cn-", "aws-cn-global", 1},         {"us-gov-", "aws-us-gov-global", 2},
    {"us-iso-", "aws-iso-global", 3},    {"us-isob-", "aws-iso-b-global", 4},
    {"eu-isoe-", "aws-iso-e-global", 5}, {"us-isof-", "aws-iso-f-global", 6},
    {"eusc-de-", "aws-eusc-global", 7},
};

const struct cr_aws_partition_info *cr_aws_config_partition(const char *region)
{
    for (size_t i = 0; region && i < sizeof(s_partition_patterns) / sizeof(s_partition_patterns[0]);
         i++) {
        size_t n = strlen(s_partition_patterns[i].prefix);
        if (strncmp(region, s_partition_patterns[i].prefix, n) == 0 ||
            strcmp(region, s_partition_patterns[i].global) == 0)
            return &s_partitions[s_partition_patterns[i].index];
    }
    return &s_partitions[0];
}

int cr_aws_config_check_region(const char *region)
{
    /* every known region, for the suggestion: a typo may land in another partition's list */
    const char *all[64];
    size_t n = 0;
    for (size_t i = 0; i < S_N_PARTITIONS; i++) {
        for (size_t j = 0; j < s_partitions[i].n_regions; j++) {
            if (strcmp(region, s_partitions[i].regions[j]) == 0)
                return 0;
            if (n < sizeof(all) / sizeof(all[0]))
                all[n++] = s_partitions[i].regions[j];
        }
    }
    if (strcmp(region, "aws-global") == 0)
        return 0;
    for (size_t i = 0; i < sizeof(s_partition_patterns) / sizeof(s_partition_patterns[0]); i++) {
        if (strcmp(region, s_partition_patterns[i].global) == 0)
            return 0;
    }
    const char *hint = cr_str_suggest(region, all, n);
    if (hint)
        cr_error_set("unknown region '%s' (did you mean '%s'?)", region, hint);
    else
        cr_error_set("unknown region '%s': not a region of any AWS partition known to this "
                     "build (if AWS opened it since, pass --region-check=off)",
                     region);
    return CR_EINVALID;
}

int cr_aws_config_endpoint_rules(struct cr_buf *out, const char *prefix, const char *region,
                                 bool use_fips, bool use_dual_stack)
{
    const struct cr_aws_partition_info *p = cr_aws_config_partition(region);
    /* The rule sets' error texts, verbatim. */
    if (use_fips && use_dual_stack && !(p->supports_fips && p->supports_dual_stack)) {
        cr_error_set("endpoint for %s in %s: FIPS and DualStack are enabled, but this "
                     "partition does not support one or both",
                     prefix, region);
        return CR_EINVALID;
    }
    if (use_fips && !p->supports_fips) {
        cr_error_set("endpoint for %s in %s: FIPS is enabled but this partition does not "
                     "support FIPS",
                     prefix, region);
        return CR_EINVALID;
    }
    if (use_dual_stack && !p->supports_dual_stack) {
        cr_error_set("endpoint for %s in %s: DualStack is enabled but this partition does "
                     "not support DualStack",
                     prefix, region);
        return CR_EINVALID;
    }
    cr_buf_printf(out, "https://%s%s.%s.%s", prefix, use_fips ? "-fips" : "", region,
                  use_dual_stack ? p->dual_stack_dns_suffix : p->dns_suffix);
    return cr_buf_oom(out) ? s_oom() : 0;
}

/* Reads one URL part; NULL when absent. Caller frees with curl_free. */
static char *s_url_part(CURLU *u, CURLUPart part)
{
    char *v = NULL;
    if (curl_url_get(u, part, &v, 0) != CURLUE_OK)
        return NULL;
    return v;
}

int cr_aws_config_validate_endpoint(const char *url, const char *what)
{
    int result = CR_EINVALID;
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *user = NULL, *query = NULL, *fragment = NULL;
    const char *problem = NULL;
    if (!u) {
        cr_error_set("%s: out of memory", what);
        return CR_ENOMEM;
    }
    if (!strstr(url, "://")) {
        problem = "it has no scheme (write http://HOST[:PORT] or https://HOST[:PORT])";
        goto done;
    }
    if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
        problem = "not a URL like https://host[:port]";
        goto done;
    }
    scheme = s_url_part(u, CURLUPART_SCHEME);
    host = s_url_part(u, CURLUPART_HOST);
    user = s_url_part(u, CURLUPART_USER);
    query = s_url_part(u, CURLUPART_QUERY);
    fragment = s_url_part(u, CURLUPART_FRAGMENT);
    if (!scheme || (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0))
        problem = "scheme must be http or https";
    else if (!host || !*host)
        problem = "it has no host";
    else if (user)
        problem = "user information is not allowed";
    else if (query || fragment)
        problem = "a query or fragment is not allowed";
    if (!problem)
        result = 0;
done:
    if (problem)
        cr_error_set("%s '%s': %s", what, url, problem);
    curl_free(scheme);
    curl_free(host);
    curl_free(user);
    curl_free(query);
    curl_free(fragment);
    curl_url_cleanup(u);
    return result;
}

const char *cr_aws_config_configured_endpoint(const char **from, char *env_name, size_t env_size,
                                              const struct cr_aws_config *cfg,
                                              const struct cr_aws_env *env, const char *env_suffix,
                                              const char *cli_endpoint, const char *cli_name)
{
    bool ignore = false;
    if (cli_endpoint && *cli_endpoint) {
        *from = cli_name;
        return cli_endpoint;
    }
    /* An invalid value here is reported as "not true" by ignoring it; the variable is only a
     * switch and the AWS CLI treats anything but "true" as false. */
    if (cr_aws_config_bool(&ignore, cfg, env, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
                           "ignore_configured_endpoint_urls") < 0)
        ignore = false;
    if (ignore)
        return NULL;
    snprintf(env_name, env_size, "AWS_ENDPOINT_URL_%s", env_suffix);
    const char *v = cr_aws_env_get(env, env_name);
    if (v) {
        *from = env_name;
        return v;
    }
    v = cr_aws_env_get(env, "AWS_ENDPOINT_URL");
    if (v) {
        *from = "AWS_ENDPOINT_URL";
        return v;
    }
    v = cr_aws_config_get(cfg, "endpoint_url");
    if (v)
        *from = "'endpoint_url' of the profile";
    return v;
}

int cr_aws_config_endpoint(struct cr_buf *out, const struct cr_aws_config *cfg,
                           const struct cr_aws_env *env, const char *service_prefix,
                           const char *env_suffix, const char *region, const char *cli_endpoint)
{
    bool fips = false, dual = false;
    const char *from = NULL;
    char env_name[96];
    int rc = cr_aws_config_bool(&fips, cfg, env, "AWS_USE_FIPS_ENDPOINT", "use_fips_endpoint");
    if (rc == 0)
        rc = cr_aws_config_bool(&dual, cfg, env, "AWS_USE_DUALSTACK_ENDPOINT",
                                "use_dualstack_endpoint");
    if (rc < 0)
        return rc;
    const char *url = cr_aws_config_configured_endpoint(&from, env_name, sizeof(env_name), cfg, env,
                                                        env_suffix, cli_endpoint, "--endpoint-url");
    if (!url)
        return cr_aws_config_endpoint_rules(out, service_prefix, region, fips, dual);
    rc = cr_aws_config_validate_endpoint(url, from);
    if (rc < 0)
        return rc;
    if (fips || dual) {
        cr_error_set("%s '%s': Invalid Configuration: %s and custom endpoint are not "
                     "supported (unset %s)",
                     from, url, fips ? "FIPS" : "Dualstack",
                     fips ? "AWS_USE_FIPS_ENDPOINT" : "AWS_USE_DUALSTACK_ENDPOINT");
        return CR_EINVALID;
    }
    return cr_buf_puts(out, url) < 0 ? s_oom() : 0;
}
