/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_AWS_CONFIG_H
#define CR_AWS_CONFIG_H
/*
 * Where the AWS settings come from, in the AWS CLI's order: the environment (injectable, so
 * tests never read the developer's variables or ~/.aws), the shared config file
 * (AWS_CONFIG_FILE, default ~/.aws/config, sections "[default]" / "[profile NAME]") and the
 * shared credentials file (AWS_SHARED_CREDENTIALS_FILE, default ~/.aws/credentials,
 * sections "[NAME]"), parsed with libinih.
 *
 * Resolution:
 *   profile  : --profile > AWS_PROFILE > "default"
 *   region   : --region > AWS_REGION > AWS_DEFAULT_REGION > profile "region"
 *   endpoint : --endpoint-url > AWS_ENDPOINT_URL_<SERVICE> > AWS_ENDPOINT_URL > profile
 *              "endpoint_url" > the service's endpoint rules (FIPS with
 *              AWS_USE_FIPS_ENDPOINT / use_fips_endpoint, dual-stack with
 *              AWS_USE_DUALSTACK_ENDPOINT / use_dualstack_endpoint).
 *              AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true ignores the environment and profile
 *              endpoint URLs (not --endpoint-url).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/error.h"
#include "util/strmap.h"

/** Reads one environment variable; returns NULL when unset. */
typedef const char *cr_aws_getenv_fn(void *ctx, const char *name);
/** The wall clock in epoch seconds. */
typedef int64_t cr_aws_clock_fn(void *ctx);

/**
 * The process environment, injectable. A NULL `struct cr_aws_env *` (or NULL members) means
 * the real getenv() and time(). Tests pass their own functions so that results never depend
 * on the developer's variables.
 */
struct cr_aws_env {
    cr_aws_getenv_fn *getenv;
    void *getenv_ctx;
    cr_aws_clock_fn *clock;
    void *clock_ctx;
};

/**
 * Reads a variable through env (NULL = process). An empty value counts as unset (NULL), as
 * the AWS CLI treats it. Borrowed.
 */
const char *cr_aws_env_get(const struct cr_aws_env *env, const char *name);

/** The current time through env (NULL = time()). */
int64_t cr_aws_env_now(const struct cr_aws_env *env);

/** The settings of one profile, from both shared files. */
struct cr_aws_config {
    struct cr_buf profile;          /* the selected profile name */
    bool profile_from_user;         /* chosen by --profile or AWS_PROFILE (not the default) */
    struct cr_buf config_path;      /* the config file path used */
    struct cr_buf credentials_path; /* the credentials file path used */
    bool config_found;              /* the config file exists and was read */
    bool credentials_found;         /* the credentials file exists and was read */
    bool profile_found;             /* the profile has a section in either file */
    struct cr_strmap config;        /* keys of the profile's section in the config file */
    struct cr_strmap credentials;   /* keys of the profile's section in the credentials file */
    /* cr_aws_config_load_sso_session(): the keys of one "[sso-session NAME]" section */
    struct cr_strmap sso_session;
    bool sso_session_found;
};

/** Initialises an empty config (no allocation). */
void cr_aws_config_init(struct cr_aws_config *cfg);
/** Frees it, wiping every value first (the files hold secret keys). */
void cr_aws_config_dispose(struct cr_aws_config *cfg);

/**
 * Loads the selected profile from both shared files. profile: --profile or NULL (then
 * AWS_PROFILE, else "default"). Missing files are not an error (config_found /
 * credentials_found say so), nor is a missing profile (profile_found); callers that need a
 * value report what they tried. Keys are lowercased. In the config file "[profile NAME]"
 * selects NAME and "[default]" the default profile ("[NAME]" without "profile " is ignored
 * there, as the AWS CLI does); in the credentials file "[NAME]". Lines may be long (session
 * tokens); inline comments are not stripped (values may contain ';' and '#').
 *
 * Returns 0, CR_EINVALID for a syntax error ("PATH:LINE: ..."), CR_EIO for an unreadable
 * file, CR_ENOMEM.
 */
int cr_aws_config_load(struct cr_aws_config *out, const struct cr_aws_env *env,
                       const char *profile) CR_WARN_UNUSED;

/**
 * Reads the "[sso-session NAME]" section of the config file cfg was loaded from (IAM Identity
 * Center settings shared by profiles: sso_start_url, sso_region, ...) into cfg->sso_session
 * (replacing what it held; keys lowercased); sso_session_found says whether the section
 * exists. Returns 0, or as cr_aws_config_load.
 */
int cr_aws_config_load_sso_session(struct cr_aws_config *cfg, const char *name) CR_WARN_UNUSED;

/**
 * Parses shared-file text (tests, or a file already read) into the maps of out for the
 * profile out->profile. is_config selects the config-file section rules; path is only used
 * in messages. Returns 0, CR_EINVALID (syntax, "PATH:LINE: ..."), CR_ENOMEM.
 */
int cr_aws_config_parse_string(struct cr_aws_config *out, const char *text, const char *path,
                               bool is_config) CR_WARN_UNUSED;

/**
 * A profile value: the credentials file wins over the config file (the AWS CLI's rule for
 * shared keys). Key is lowercase. Returns NULL when unset. Borrowed.
 */
const char *cr_aws_config_get(const struct cr_aws_config *cfg, const char *key);

/**
 * The PEM file of the trusted certificates, as the AWS CLI reads it: AWS_CA_BUNDLE, else
 * `ca_bundle` in the profile; it replaces the system trust store (NULL: the system store).
 * TLS verification stays on either way. Borrowed (from env or cfg).
 */
const char *cr_aws_config_ca_bundle(const struct cr_aws_config *cfg, const struct cr_aws_env *env);

/**
 * cr_aws_config_ca_bundle(), checked before anything connects: *out is NULL when none is set,
 * else the path of a file that can be read and holds at least one PEM certificate. Returns 0,
 * or CR_EINVALID with one message saying what is wrong and what to do, e.g. "AWS_CA_BUNDLE
 * '/x/ca.pem' cannot be read: No such file or directory (set it to a PEM file of CA
 * certificates, or unset it to use the system trust store)"; the profile's is named
 * "ca_bundle '/x/ca.pem' of profile 'dev' (/root/.aws/config)"; CR_ENOMEM.
 */
int cr_aws_config_ca_bundle_checked(const char **out, const struct cr_aws_config *cfg,
                                    const struct cr_aws_env *env) CR_WARN_UNUSED;

/**
 * Resolves the region: cli_region > AWS_REGION > AWS_DEFAULT_REGION > profile "region".
 * cfg may be NULL (no files). The region must look like a region (letters, digits, '-').
 * Writes it to out. Returns 0, or CR_EINVALID with one sentence naming every source tried,
 * e.g. "no AWS region: tried --region, AWS_REGION, AWS_DEFAULT_REGION and 'region' of
 * profile 'default' in /root/.aws/config".
 */
int cr_aws_config_region(struct cr_buf *out, const struct cr_aws_config *cfg,
                         const struct cr_aws_env *env, const char *cli_region) CR_WARN_UNUSED;

/**
 * cr_aws_config_region(), also saying where the region came from: *where (when not NULL) is
 * set to "--region", "AWS_REGION", "AWS_DEFAULT_REGION" (static) or "'region' of profile 'dev'
 * in /home/me/.aws/config" (valid until the next call on this thread).
 */
int cr_aws_config_region_from(struct cr_buf *out, const char **where,
                              const struct cr_aws_config *cfg, const struct cr_aws_env *env,
                              const char *cli_region) CR_WARN_UNUSED;

/**
 * A boolean setting: the environment variable env_name ("AWS_USE_FIPS_ENDPOINT") if set,
 * else the profile key ("use_fips_endpoint"), else false. "true"/"false" in any case.
 * Returns 0, or CR_EINVALID naming the variable or key for any other value.
 */
int cr_aws_config_bool(bool *out, const struct cr_aws_config *cfg, const struct cr_aws_env *env,
                       const char *env_name, const char *profile_key) CR_WARN_UNUSED;

/** One AWS partition, as the endpoint rules use it. Static data. */
struct cr_aws_partition_info {
    const char *name;                  /* "aws", "aws-cn", "aws-us-gov", "aws-iso", ... */
    const char *dns_suffix;            /* "amazonaws.com" */
    const char *dual_stack_dns_suffix; /* "api.aws" */
    bool supports_fips;
    bool supports_dual_stack;
    const char *const *regions; /* the regions the partition lists ("us-east-1", ...) */
    size_t n_regions;
};

/**
 * The partition of a region (by the partitions' region patterns, e.g. "cn-*" -> aws-cn,
 * "us-gov-*" -> aws-us-gov); unknown regions fall in "aws", as the rules say. Never NULL.
 */
const struct cr_aws_partition_info *cr_aws_config_partition(const char *region);

/**
 * Checks that region is one the partitions list (the table in aws/config.c, from botocore's
 * partitions.json; also the "aws-global"-style pseudo-regions). For a region AWS opened after
 * this build, callers offer a switch (`--region-check=off`) instead of calling this. Makes no
 * network call. Returns 0, or CR_EINVALID: "unknown region 'us-esat-1' (did you mean
 * 'us-east-1'?)", or without a close match a sentence naming --region-check=off.
 */
int cr_aws_config_check_region(const char *region) CR_WARN_UNUSED;

/**
 * Applies a service's standard endpoint rules (the cognito-identity and sts rule sets have
 * this shape): https://{prefix}[-fips].{region}.{dnsSuffix | dualStackDnsSuffix}.
 * Returns 0, or CR_EINVALID when the partition supports neither FIPS nor dual-stack as asked
 * (the rule set's error text). Appends to out.
 */
int cr_aws_config_endpoint_rules(struct cr_buf *out, const char *prefix, const char *region,
                                 bool use_fips, bool use_dual_stack) CR_WARN_UNUSED;

/**
 * Checks an endpoint URL: http or https scheme, a host, no user info, no query or fragment.
 * what names the source in the message ("--endpoint-url", "AWS_ENDPOINT_URL"). Returns 0 or
 * CR_EINVALID ("--endpoint-url 'ftp://x': scheme must be http or https").
 */
int cr_aws_config_validate_endpoint(const char *url, const char *what) CR_WARN_UNUSED;

/**
 * The endpoint URL configured for a service, or NULL when its endpoint rules apply:
 * cli_endpoint (named cli_name in messages, e.g. "--endpoint-url") > AWS_ENDPOINT_URL_<env_suffix>
 * > AWS_ENDPOINT_URL > the profile's endpoint_url (the last three not with
 * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true). *from names the source; env_name is scratch space
 * for the variable's name. Not validated (cr_aws_config_validate_endpoint). Borrowed.
 */
const char *cr_aws_config_configured_endpoint(const char **from, char *env_name, size_t env_size,
                                              const struct cr_aws_config *cfg,
                                              const struct cr_aws_env *env, const char *env_suffix,
                                              const char *cli_endpoint, const char *cli_name);

/**
 * Resolves a service endpoint URL into out (no trailing slash added or removed):
 * cli_endpoint > AWS_ENDPOINT_URL_<env_suffix> > AWS_ENDPOINT_URL > profile endpoint_url >
 * rules (https://{prefix}.{region}.{dnsSuffix}, FIPS/dual-stack as configured).
 * service_prefix "cognito-identity" and env_suffix "COGNITO_IDENTITY"; or "sts" and "STS".
 * A custom endpoint together with FIPS or dual-stack is an error, as the rule set says.
 * cfg may be NULL. Returns 0 or CR_EINVALID (bad URL naming its source, FIPS/dual-stack
 * conflicts).
 */
int cr_aws_config_endpoint(struct cr_buf *out, const struct cr_aws_config *cfg,
                           const struct cr_aws_env *env, const char *service_prefix,
                           const char *env_suffix, const char *region,
                           const char *cli_endpoint) CR_WARN_UNUSED;

#endif
