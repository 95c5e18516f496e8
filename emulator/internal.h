/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_EMULATOR_INTERNAL_H
#define CR_EMULATOR_INTERNAL_H
/*
 * Shared between the emulator's modules (not installed, not used outside emulator/ except
 * by its unit tests).
 */
#include <jansson.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "access/access.h"
#include "aws/cognito.h"
#include "aws/quotas.h"
#include "aws/ratelimit.h"
#include "emulator/emulator.h"
#include "util/buf.h"

#define CR_EMU_DEFAULT_REGION  "us-east-1"
#define CR_EMU_DEFAULT_ACCOUNT "123456789012"
#define CR_EMU_LOG_CAP         100000

/* ---- faults (faults.c) ---- */

struct cr_emu_fault {
    char operation[64]; /* "*" or an operation name */
    char account[16];   /* only requests of this account (12 digits); "" = any account */
    uint32_t latency_ms;
    uint32_t jitter_ms;
    double throttle;  /* TooManyRequestsException rate */
    double error;     /* InternalErrorException (or type) rate */
    double drop;      /* close without response rate */
    double hang;      /* hold the answer hang_ms, then close without a response: rate */
    uint32_t hang_ms; /* default 30000 */
    long count;       /* fires this many more times; -1 = forever */
    bool after;       /* apply the operation, then fail */
    char type[64];    /* error type for `error` (default InternalErrorException) */
    int status;       /* HTTP status for `error` (default 500) */
    char message[256];
};

struct cr_emu_faults {
    struct cr_emu_fault *items;
    size_t len;
    size_t cap;
};

/** What the faults decided for one request. */
struct cr_emu_fault_action {
    uint32_t delay_ms;
    enum {
        CR_EMU_FAULT_NONE,
        CR_EMU_FAULT_THROTTLE,
        CR_EMU_FAULT_ERROR,
        CR_EMU_FAULT_DROP,
        CR_EMU_FAULT_HANG
    } kind;
    uint32_t hang_ms;
    bool after;
    char type[64];
    int status;
    char message[256];
};

/** Parses a JSON rules document or an `Op:k=v,...` spec and appends to faults. */
int cr__emu_faults_parse(struct cr_emu_faults *faults, const char *spec) CR_WARN_UNUSED;
/** Decides for one request of operation op (consumes counts). rnd01 gives uniform [0,1). */
void cr__emu_faults_decide(struct cr_emu_fault_action *out, struct cr_emu_faults *faults,
                           const char *op, const char *account, double (*rnd01)(void));
/** The rules as a JSON array (new reference). */
json_t *cr__emu_faults_json(const struct cr_emu_faults *faults);
void cr__emu_faults_dispose(struct cr_emu_faults *faults);

/* ---- request-rate quotas (quota.c) ---- */

#define CR_EMU_QUOTA_OPS   32 /* slots per operation of aws/quotas.h's table (23 used) */
#define CR_EMU_QUOTA_RULES 64 /* OP=RPS[:BURST] rules remembered for GET /_local/quotas */

/** What is enforced: a rate and a bucket size per operation (index of cr_quota_table). */
struct cr_emu_quota_config {
    char profile[16];                   /* "none" or "aws" */
    double scale;                       /* the profile's rates multiplied by this */
    double rate[CR_EMU_QUOTA_OPS];      /* requests per second; <= 0 = not limited */
    double burst[CR_EMU_QUOTA_OPS];     /* bucket size (>= 1) */
    char rules[CR_EMU_QUOTA_RULES][96]; /* the rules applied on top, as given */
    size_t n_rules;
};

/** One account's, Region's and operation's bucket, with what it let through and refused. */
struct cr_emu_quota_bucket {
    char account[16];
    char region[32];
    size_t op; /* index of cr_quota_table */
    struct cr_ratelimit bucket;
    unsigned long allowed, throttled;
};

typedef uint64_t cr_emu_clock_fn(void *ctx);

struct cr_emu_quotas {
    pthread_mutex_t lock; /* everything below */
    struct cr_emu_quota_config config;
    struct cr_emu_quota_bucket *buckets;
    size_t len, cap;
    cr_emu_clock_fn *clock_ms; /* monotonic milliseconds; tests pin it */
    void *clock_ctx;
};

/** Sets c to a profile ("none", or "aws" = aws/quotas.h) with its rates times scale
 * (0 < scale <= 1000); CR_EINVALID names what is wrong. */
int cr__emu_quota_profile(struct cr_emu_quota_config *c, const char *profile,
                          double scale) CR_WARN_UNUSED;
/** Applies one `OP=RPS[:BURST]` rule (OP may be "*", RPS "unlimited") to c; CR_EINVALID names
 * the rule and what is wrong (a misspelt operation with a suggestion). */
int cr__emu_quota_rule(struct cr_emu_quota_config *c, const char *spec) CR_WARN_UNUSED;
/** Parses {"profile","scale","quota":[rules]} (all optional) into c. */
int cr__emu_quota_parse_json(struct cr_emu_quota_config *c, const char *text,
                             size_t len) CR_WARN_UNUSED;
/** No quotas, the process's monotonic clock. */
void cr__emu_quotas_init(struct cr_emu_quotas *q);
void cr__emu_quotas_dispose(struct cr_emu_quotas *q);
/** Replaces what is enforced; every bucket starts full again and its counters at zero. */
void cr__emu_quotas_set(struct cr_emu_quotas *q, const struct cr_emu_quota_config *c);
/** Takes a token for one request of operation in (account, region): true = serve it,
 * false = refuse it (TooManyRequestsException). Thread-safe. */
bool cr__emu_quotas_admit(struct cr_emu_quotas *q, const char *account, const char *region,
                          const char *operation);
/** {"profile","scale","quota":[rules],"rates":[...],"buckets":[...]} (new reference). */
json_t *cr__emu_quotas_json(struct cr_emu_quotas *q);

/* ---- keys for SigV4 verification (auth.c) ---- */

struct cr_emu_key {
    char *access_key_id;
    char *secret;
    char *session_token; /* NULL for long-term keys */
    char *account_id;
    char *arn;       /* caller ARN for GetCallerIdentity */
    char *user_id;   /* UserId for GetCallerIdentity */
    int64_t expires; /* epoch seconds; 0 = never */
};

struct cr_emu_keys {
    struct cr_emu_key *items;
    size_t len;
    size_t cap;
};

/** Loads "KEY SECRET [ACCOUNT]" lines. */
int cr__emu_keys_load(struct cr_emu_keys *keys, const char *path,
                      const char *default_account) CR_WARN_UNUSED;
/** Appends a key (strings copied). */
int cr__emu_keys_add(struct cr_emu_keys *keys, const struct cr_emu_key *key) CR_WARN_UNUSED;
/** Forgets temporary keys that expired before now (epoch seconds). */
void cr__emu_keys_prune(struct cr_emu_keys *keys, int64_t now);
void cr__emu_keys_dispose(struct cr_emu_keys *keys);

/* ---- keys that sign tokens (tokens.c) ---- */

/** A signing key cached from the state document (which keeps it as PEM). */
struct cr_emu_signing_key {
    char kid[64];
    EVP_PKEY *pkey;
};

/** Keys of an issuer given with --idp-keys. */
struct cr_emu_idp_key {
    char *issuer;
    char *kid; /* NULL when the JWK has none */
    EVP_PKEY *pkey;
};

/* ---- the emulator ---- */

struct cr_emu {
    char *region;
    char *account_id;
    char *state_path;
    bool verify; /* --credentials given */
    char **s3_buckets; /* --s3-bucket names (created at start and by /_local/reset) */
    size_t n_s3_buckets;
    unsigned max_pools;
    size_t max_body_bytes;
    bool debug;

    pthread_mutex_t state_lock; /* state, signing_keys */
    json_t *state;              /* see state.c for the layout */
    /* signing keys of state["signing_keys"], parsed once: [0] Cognito Identity OpenID tokens,
     * [1] the test identity provider (/_local/token) */
    struct cr_emu_signing_key signing_keys[2];
    /* --idp-keys: read-only after start */
    struct cr_emu_idp_key *idp_keys;
    size_t n_idp_keys;

    struct cr_emu_quotas quotas;               /* request-rate quotas (own lock) */
    struct cr_emu_quota_config quotas_initial; /* as started: what /_local/reset restores */

    /* credential endpoints (sso.c, metadata.c); read-only after start */
    long sts_min_duration_s;
    long credentials_ttl_s;
    char *imds_role, *container_role, *container_token;
    char instance_id[20]; /* i- and 17 hex digits */
    char task_id[33];     /* 32 hex digits */

    pthread_mutex_t aux_lock; /* faults, log, keys, sso_tokens, imds_tokens */
    struct cr_emu_faults faults;
    struct cr_emu_keys keys;
    json_t *sessions; /* access key id -> who GetCredentialsForIdentity gave it to (/_local) */
    json_t *sso_tokens;  /* access token -> {"user", "expires", "assignments"?} */
    json_t *imds_tokens; /* IMDSv2 session token -> expiry (epoch seconds) */
    json_t **log;    /* ring of the last CR_EMU_LOG_CAP entries (oldest at log_head) */
    size_t log_head; /* index of the oldest entry */
    size_t log_len;
    long log_seq;

    /* the HTTP server's open connections (GET /_local/connections): set by emulator/server.c
     * while it serves (the last one started), NULL otherwise; returns a new JSON object, or
     * NULL when out of memory */
    json_t *(*connections)(void *arg);
    void *connections_arg;
};

/** The caller as authentication decided it. */
struct cr_emu_caller {
    char account_id[32];
    char region[64];
    char arn[256];
    char user_id[160];
    bool anonymous; /* no Authorization header: account and region are the defaults */
};

/** One JSON 1.1 operation in flight. */
struct cr_emu_call {
    struct cr_emu *emu;
    const struct cr_emu_caller *caller;
    const char *op;
    json_t *input;  /* borrowed */
    json_t *output; /* owned; set by the operation on success */
    int status;
    char error_type[64];
    struct cr_buf message;
    char pool_id[128]; /* for the request log */
    bool wrote;        /* state changed: persist */
};

/** Member name of obj, with JSON null read as absent (SDKs never send null; Coral treats it so). */
json_t *cr__emu_member(const json_t *obj, const char *name);
/** The string member name of the call's input, or NULL. */
const char *cr__emu_input_str(const struct cr_emu_call *call, const char *name);
/** Records InternalErrorException "out of memory" on call; returns CR_ESERVICE. */
int cr__emu_oom(struct cr_emu_call *call);

/** Records an error on call (HTTP 400 unless status says otherwise); returns CR_ESERVICE. */
int cr__emu_fail(struct cr_emu_call *call, int status, const char *type, const char *fmt, ...)
    CR_PRINTF(4, 5);

/* ---- state (state.c); all functions expect state_lock held ---- */

/** A fresh empty state document (new reference). */
json_t *cr__emu_state_empty(void);
/** The pools object of account/region (created when create is true; else may be NULL). */
json_t *cr__emu_state_pools(struct cr_emu *emu, const char *account, const char *region,
                            bool create);
/** The pool record {"seq","pool","tags","roles","role_mappings","principal_tags"} or NULL. */
json_t *cr__emu_state_pool(struct cr_emu *emu, const struct cr_emu_caller *caller,
                           const char *pool_id);
/** Next creation sequence number (persisted). */
json_int_t cr__emu_state_next_seq(struct cr_emu *emu);
/** Checks a loaded state document; CR_EINVALID with "what is wrong" (no file name). */
int cr__emu_state_check(const json_t *state) CR_WARN_UNUSED;
/** The partition object {"pools": ..., "identities"?: ...} of account/region (created when
 * create is true; else may be NULL). */
json_t *cr__emu_state_partition(struct cr_emu *emu, const char *account, const char *region,
                                bool create);

/**
 * After a change (state_lock held): writes the state file when there is one. When that
 * fails, puts back the state the file still holds, so the call changed nothing, and returns
 * CR_EIO (logged; the client gets a 500). op names the call in the log.
 */
int cr__emu_state_commit(struct cr_emu *emu, const char *op) CR_WARN_UNUSED;

/* ---- persistence (persist.c) ---- */

/** Loads path into *out (new reference); CR_ENOTFOUND when the file does not exist. */
int cr__emu_persist_load(json_t **out, const char *path) CR_WARN_UNUSED;
/** Writes state to path atomically (temp file, fsync, rename, fsync folder). */
int cr__emu_persist_save(const json_t *state, const char *path) CR_WARN_UNUSED;

/* ---- validation against the API constraint table (validate.c) ---- */

/**
 * Checks input against operation op's input shape. On a wrong JSON type records
 * SerializationException; on constraint violations ValidationException with AWS's message.
 * Returns 0 or CR_ESERVICE (recorded on call).
 */
int cr__emu_validate(struct cr_emu_call *call) CR_WARN_UNUSED;

/* ---- operations (ops_*.c): run with state_lock held, after validation ---- */

typedef int (*cr_emu_op_fn)(struct cr_emu_call *call);

int cr__emu_op_create_pool(struct cr_emu_call *call);
int cr__emu_op_update_pool(struct cr_emu_call *call);
int cr__emu_op_describe_pool(struct cr_emu_call *call);
int cr__emu_op_delete_pool(struct cr_emu_call *call);
int cr__emu_op_list_pools(struct cr_emu_call *call);
int cr__emu_op_get_roles(struct cr_emu_call *call);
int cr__emu_op_set_roles(struct cr_emu_call *call);
int cr__emu_op_get_principal_tags(struct cr_emu_call *call);
int cr__emu_op_set_principal_tags(struct cr_emu_call *call);
int cr__emu_op_tag(struct cr_emu_call *call);
int cr__emu_op_untag(struct cr_emu_call *call);
int cr__emu_op_list_tags(struct cr_emu_call *call);

/** The pool record for IdentityPoolId in input, or ResourceNotFoundException. */
json_t *cr__emu_find_pool(struct cr_emu_call *call, const char *pool_id);
/** True when name is a provider configured on pool (role-mapping/principal-tag keys). */
bool cr__emu_provider_configured(const json_t *pool, const char *name, bool role_mapping);
/** Tag rules beyond the constraint table: at most 50, no "aws:" prefix. */
int cr__emu_check_tags(struct cr_emu_call *call, const json_t *tags);
/** Parses a pagination token "v1.<hex>" (NULL: from the start) into the sequence number to
 * resume after; InvalidParameterException on call otherwise. */
int cr__emu_page_token_parse(struct cr_emu_call *call, const char *token, json_int_t *out);
/** Sets member NextToken of out to the token resuming after seq. 0 or CR_ENOMEM. */
int cr__emu_page_token_set(json_t *out, json_int_t seq);

/* ---- the identity side (identity.c, logins.c, tokens.c, ops_identity.c, ops_developer.c);
 * all with state_lock held ---- */

int cr__emu_op_get_id(struct cr_emu_call *call);
int cr__emu_op_get_credentials(struct cr_emu_call *call);
int cr__emu_op_get_open_id_token(struct cr_emu_call *call);
int cr__emu_op_unlink_identity(struct cr_emu_call *call);
int cr__emu_op_describe_identity(struct cr_emu_call *call);
int cr__emu_op_list_identities(struct cr_emu_call *call);
int cr__emu_op_delete_identities(struct cr_emu_call *call);
int cr__emu_op_get_token_for_developer(struct cr_emu_call *call);
int cr__emu_op_lookup_developer(struct cr_emu_call *call);
int cr__emu_op_merge_developer(struct cr_emu_call *call);
int cr__emu_op_unlink_developer(struct cr_emu_call *call);

/** A pool as the identity side reads it: its record and the typed views role resolution
 * takes (decoded from the record). */
struct cr_emu_pool_view {
    json_t *rec;  /* borrowed from the state */
    json_t *part; /* its partition (borrowed) */
    const char *id;
    struct cr_cognito_pool config;
    struct cr_cognito_roles roles;
    struct cr_cognito_principal_tags *tags;
    size_t n_tags;
    struct cr_access_pool access; /* points into the members above */
};

/**
 * Finds pool_id for the identity side and decodes it into out: in the caller's account and
 * region, or, for an unsigned call, in any account of the region the id names (account_id,
 * when not NULL, must be its account). ResourceNotFoundException on call when absent.
 * Returns 0 or CR_ESERVICE; out must be disposed either way.
 */
int cr__emu_pool_view(struct cr_emu_pool_view *out, struct cr_emu_call *call, const char *pool_id,
                      const char *account_id) CR_WARN_UNUSED;
void cr__emu_pool_view_dispose(struct cr_emu_pool_view *view);

/**
 * The identity record {"seq","pool","created","modified","logins":[{"provider","user"}],
 * "authenticated","disabled"} for identity_id, searched like pools (see cr__emu_pool_view).
 * ResourceNotFoundException on call when absent; *out_part is its partition.
 */
json_t *cr__emu_identity_find(struct cr_emu_call *call, const char *identity_id, json_t **out_part);
/** A new identity of pool_id in the partition; its id goes to out_id. NULL after recording
 * InternalErrorException. */
json_t *cr__emu_identity_new(struct cr_emu_call *call, json_t *part, const char *pool_id,
                             char out_id[64]);
/** True if the identity has a login of provider (for user, or any user when user is NULL). */
bool cr__emu_identity_has_login(const json_t *rec, const char *provider, const char *user);
/** The enabled identity of pool_id holding the login provider/user (any user when NULL), or
 * NULL; *out_id (when given) is its id, borrowed. */
json_t *cr__emu_identity_by_login(json_t *part, const char *pool_id, const char *provider,
                                  const char *user, const char **out_id);
/** Moves every login of `from` to `to` (to_id) and disables `from`. developer: the pool's
 * DeveloperProviderName or NULL. 0 or CR_ESERVICE. */
int cr__emu_identity_merge(struct cr_emu_call *call, json_t *to, const char *to_id, json_t *from,
                           const char *developer);
/** The IdentityDescription shape of an identity (new reference or NULL). */
json_t *cr__emu_identity_description(const char *id, const json_t *rec);
/** Deletes every identity of pool_id from the partition (DeleteIdentityPool). */
void cr__emu_identities_drop_pool(json_t *part, const char *pool_id);
/** Checks the "identities" of a partition of a loaded state (absent is fine). */
int cr__emu_identities_check(const json_t *part, const char *part_key, json_int_t next_seq) CR_WARN_UNUSED;

/** One login of a request, validated. */
struct cr_emu_login {
    struct cr_access_login access; /* provider (borrowed from the pool view), claims */
    char *key;                     /* the Logins key */
    char *user;                    /* the user identifier kept on the identity */
    char *identity_id;             /* a cognito-identity.amazonaws.com token: its identity */
    json_t *claims;                /* owned; access.claims points here */
};

struct cr_emu_logins {
    struct cr_emu_login *items;
    size_t len;
};

/** Which login keys a call accepts besides the pool's public providers. */
enum cr_emu_logins_mode {
    CR_EMU_LOGINS_PUBLIC,    /* GetId: public providers only */
    CR_EMU_LOGINS_TOKEN,     /* also cognito-identity.amazonaws.com (developer tokens) */
    CR_EMU_LOGINS_DEVELOPER, /* also the DeveloperProviderName with a user identifier */
};

/**
 * Validates every entry of a Logins map against the pool: the provider is configured and the
 * token is one it issued (a JWT's iss, aud, exp and, when the issuer's keys are known, its
 * signature; an opaque social token is the user's id). Records NotAuthorizedException on
 * call otherwise. Returns 0 or CR_ESERVICE; out must be disposed either way.
 */
int cr__emu_logins_check(struct cr_emu_logins *out, struct cr_emu_call *call,
                         const struct cr_emu_pool_view *pool, const json_t *logins,
                         enum cr_emu_logins_mode mode) CR_WARN_UNUSED;
void cr__emu_logins_dispose(struct cr_emu_logins *logins);

/**
 * Attaches validated logins to an identity (developer guide, "Linking logins" and "Merging
 * identities"): rec/id is the identity named by the call, or NULL (GetId). Identities owning
 * one of the logins are merged into the oldest of them (the others are disabled); with none,
 * a new identity is created. One login per public provider (ResourceConflictException);
 * developer is the pool's DeveloperProviderName (several users allowed), or NULL. Returns
 * the surviving identity, its id in out_id; NULL after recording an error on call.
 */
json_t *cr__emu_identity_attach(struct cr_emu_call *call, json_t *part, const char *pool_id,
                                const char *developer, json_t *rec, const char *id,
                                const struct cr_emu_logins *logins, char out_id[64]);

/** Remembers {"Arn","RoleArn","IdentityId","PrincipalTags","Expiration"} for the credentials
 * key_id (note is stolen); expired ones are dropped. aux_lock held. 0 or CR_ENOMEM. */
int cr__emu_sessions_note(struct cr_emu *emu, const char *key_id, json_t *note) CR_WARN_UNUSED;
/** Cognito Identity's amr claim for an identity: ["unauthenticated"], or ["authenticated",
 * PROVIDER, "PROVIDER:POOL:USER", ...]. New reference. */
json_t *cr__emu_amr(const json_t *rec, const char *pool_id);
/** Signs an OpenID token for the identity (ttl_s seconds; principal_tags, when not NULL, in
 * the session-tags claim) and sets the output {IdentityId, Token}. 0 or CR_ESERVICE. */
int cr__emu_openid_token(struct cr_emu_call *call, const char *identity_id, const json_t *rec,
                         const char *pool_id, long ttl_s, const json_t *principal_tags);

/** The issuer of Cognito Identity's OpenID tokens. */
#define CR_EMU_OPENID_ISSUER "https://cognito-identity.amazonaws.com"

/** Which signing key (index into emu->signing_keys). */
enum cr_emu_key_use { CR_EMU_KEY_OPENID = 0, CR_EMU_KEY_IDP = 1 };

/** The signing key for use, loaded from the state or, when wrote is not NULL, generated and
 * stored there (*wrote is then set). Returns the cached key (borrowed), or NULL: no key yet
 * (wrote NULL) or an error (message set). */
struct cr_emu_signing_key *cr__emu_signing_key(struct cr_emu *emu, enum cr_emu_key_use use,
                                               bool *wrote);
/** Frees the cached keys and the --idp-keys. */
void cr__emu_keys_cache_dispose(struct cr_emu *emu);
/** Loads --idp-keys FILE: {"ISSUER": {"keys": [JWK, ...]}, ...}. CR_EINVALID names the
 * place. */
int cr__emu_idp_keys_load(struct cr_emu *emu, const char *path) CR_WARN_UNUSED;
/** Signs claims with key use; *out heap. 0 or an error (message set). */
int cr__emu_token_sign(char **out, struct cr_emu *emu, enum cr_emu_key_use use,
                       const json_t *claims, bool *wrote) CR_WARN_UNUSED;
/** The public keys as JWKS {"keys": [...]}: only CR_EMU_KEY_OPENID, or both when all. */
json_t *cr__emu_jwks(struct cr_emu *emu, bool all, bool *wrote);
/** POST /_local/token {"issuer", "claims", "expires_in"}: a token signed by the test IdP key.
 * Returns the HTTP status; *out is the answer body (new reference). */
int cr__emu_local_token(json_t **out, struct cr_emu *emu, const char *body, size_t len);
/**
 * STS AssumeRoleWithWebIdentity's check of a Cognito Identity token (iss
 * https://cognito-identity.amazonaws.com): signature, expiry, and the pool allowing the
 * classic flow. Other tokens pass. Returns 0, or fills code/message (STS error code) and
 * returns CR_EAUTH.
 */
int cr__emu_web_identity_check(struct cr_emu *emu, const char *token, char code[64],
                               char message[512]) CR_WARN_UNUSED;

/* ---- which keys verify a JWT; the STS guard (web_identity.c) ---- */

struct cr_emu_jwt;

/**
 * Verifies jwt's RS256 signature with the keys the emulator knows for its issuer iss: its own
 * test identity-provider key (POST /_local/token; by kid), or the --idp-keys of iss (by kid,
 * or any of them when the token or the key has none). *known tells whether any key was
 * known. Returns 0 (verified, or no key known), or CR_EAUTH (known keys, none verifies).
 * state_lock held (the own key lives in the state).
 */
int cr__emu_jwt_key_verify(struct cr_emu *emu, const struct cr_emu_jwt *jwt, const char *iss,
                           bool *known) CR_WARN_UNUSED;

/**
 * The guard of STS AssumeRoleWithWebIdentity when --credentials is given: token must be a JWT
 * whose issuer's keys are known (cr__emu_jwt_key_verify; Cognito Identity's own tokens are
 * cr__emu_web_identity_check's), signed by one of them, with an exp ahead. Returns 0, or
 * fills code and message (STS's InvalidIdentityToken or ExpiredTokenException; the message
 * never repeats the token) and returns CR_EAUTH. Takes state_lock.
 */
int cr__emu_web_identity_verify(struct cr_emu *emu, const char *token, char code[64],
                                char message[512]) CR_WARN_UNUSED;

/* ---- STS (sts.c) ---- */

/** Temporary credentials handed out (and registered so that requests signed with them
 * verify). */
struct cr_emu_session {
    char key_id[21], secret[41], token[161], expiration[32], arn[512], role_id[256];
    int64_t expires;
};

/** Splits a role ARN arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME; false if arn is not one. */
bool cr__emu_role_arn(const char *arn, char account[16], char name[128]);
/** Mints credentials for role `role` of account with session name `session` for duration_s
 * seconds and registers them. 0 or CR_ENOMEM. */
int cr__emu_session_mint(struct cr_emu_session *out, struct cr_emu *emu, const char *account,
                         const char *role, const char *session, long duration_s) CR_WARN_UNUSED;

/** Decodes an application/x-www-form-urlencoded body (or a query string) into an object of
 * strings (later duplicates win; names or values that are not UTF-8 are dropped). */
json_t *cr__emu_form_parse(const char *body, size_t len);

/** Handles a query-protocol STS request (form body). */
int cr__emu_sts_handle(struct cr_emu *emu, struct cr_emu_response *out,
                       const struct cr_emu_request *req) CR_WARN_UNUSED;

struct cr_emu_auth_result;

/* ---- S3, path-style, the subset a lock file needs (s3.c: protocol; s3_objects.c: store) ---- */

/** Largest S3 object key in bytes (S3's limit). */
#define CR_EMU_S3_MAX_KEY_BYTES 1024
/** Largest total of user metadata (x-amz-meta-* names and values) in bytes (S3's limit). */
#define CR_EMU_S3_MAX_METADATA_BYTES 2048

/** One S3 call in flight (the protocol side fills it; an operation answers it). */
struct cr_emu_s3_call {
    struct cr_emu *emu;
    const struct cr_emu_request *req;
    struct cr_emu_response *out;
    const char *op;      /* PutObject, GetObject, HeadObject, DeleteObject */
    const char *bucket;  /* decoded from the path */
    const char *key;     /* decoded from the path; never empty */
    bool head;           /* HEAD: errors carry no body */
    char code[64];       /* error code; "" = success */
    struct cr_buf error; /* the error's <Message> and detail elements, as XML */
    bool wrote;          /* state changed: persist */
};

/**
 * Records an error on call: status, code, message and detail elements given as
 * name/value pairs ending with NULL (e.g. "Key", key, NULL). Returns CR_ESERVICE.
 */
int cr__emu_s3_fail(struct cr_emu_s3_call *call, int status, const char *code, const char *message,
                    ...);
/** True when req is an S3 request: a path other than "/" outside /_local/. */
bool cr__emu_s3_request(const struct cr_emu_request *req);
/** The S3 operation of req (PutObject, ...), or NULL for anything not emulated. */
const char *cr__emu_s3_operation_of(const struct cr_emu_request *req);
/** True for the names of the emulated S3 operations (fault rules may name them). */
bool cr__emu_s3_operation(const char *name);
/** The names of the emulated S3 operations (static; *n of them). */
const char *const *cr__emu_s3_operations(size_t *n);
/**
 * Handles an S3 request (after cr_emu_prepare decided op, caller and faults): S3's XML
 * errors, the operation under the state lock, persistence, the request log.
 */
int cr__emu_s3_handle(struct cr_emu *emu, struct cr_emu_response *out,
                      const struct cr_emu_request *req, const char *op,
                      const struct cr_emu_auth_result *auth,
                      const struct cr_emu_fault_action *fault) CR_WARN_UNUSED;

/** Checks a bucket name against S3's rules (3..63 of a-z 0-9 . -, no IP address, ...). */
bool cr__emu_s3_bucket_name_ok(const char *name);
/** True when the bucket exists (takes state_lock). */
bool cr__emu_s3_bucket_exists(struct cr_emu *emu, const char *name);
/** Creates the --s3-bucket buckets missing from the state (state_lock held or not shared). */
int cr__emu_s3_create_buckets(struct cr_emu *emu) CR_WARN_UNUSED;
/** Checks the "s3" member of a loaded state (absent is fine); CR_EINVALID with the reason. */
int cr__emu_s3_state_check(const json_t *state) CR_WARN_UNUSED;
/* The operations (state_lock held): answer call->out or cr__emu_s3_fail. */
int cr__emu_s3_put_object(struct cr_emu_s3_call *call);
int cr__emu_s3_get_object(struct cr_emu_s3_call *call); /* GetObject and HeadObject */
int cr__emu_s3_delete_object(struct cr_emu_s3_call *call);

/* ---- credential endpoints: IMDS (imds.c), containers (container.c), SSO (sso.c) ---- */

/** Which credential endpoint a request is for. */
enum cr_emu_cred_kind {
    CR_EMU_CRED_NONE,
    CR_EMU_CRED_IMDS,      /* anything on the IMDS listener */
    CR_EMU_CRED_CONTAINER, /* GET /v2/credentials/... (ECS), /v1/credentials (EKS Pod Identity) */
    CR_EMU_CRED_SSO,       /* GET /federation/credentials (the IAM Identity Center portal) */
};

/** The endpoint of req, and the operation name the log and faults use (static). */
enum cr_emu_cred_kind cr__emu_cred_route(const struct cr_emu_request *req, const char **op);
/** Handles an IMDS request (logged). */
int cr__emu_imds_handle(struct cr_emu *emu, struct cr_emu_response *out,
                        const struct cr_emu_request *req) CR_WARN_UNUSED;
/** Handles a container credentials request (logged). */
int cr__emu_container_handle(struct cr_emu *emu, struct cr_emu_response *out,
                             const struct cr_emu_request *req) CR_WARN_UNUSED;
/** Handles GetRoleCredentials (logged). */
int cr__emu_sso_handle(struct cr_emu *emu, struct cr_emu_response *out,
                       const struct cr_emu_request *req) CR_WARN_UNUSED;
/** POST /_local/sso/tokens: registers an access token the portal then accepts. */
int cr__emu_sso_register(struct cr_emu *emu, struct cr_emu_response *out,
                         const struct cr_emu_request *req) CR_WARN_UNUSED;
/** A JSON body {"message": ..., "__type"?: type} with status (any content type). */
int cr__emu_cred_error(struct cr_emu_response *out, int status, const char *type,
                       const char *message) CR_WARN_UNUSED;
/** ISO 8601 UTC ("2026-01-02T03:04:05Z") of t. */
void cr__emu_iso8601(char out[32], int64_t t);

/* ---- authentication (auth.c) ---- */

/** Why a request was refused, for protocols that name the failures their own way (S3). */
enum cr_emu_auth_reason {
    CR_EMU_AUTH_OK,
    CR_EMU_AUTH_MISSING,           /* no Authorization header */
    CR_EMU_AUTH_MALFORMED,         /* header does not parse, no X-Amz-Date, a header missing */
    CR_EMU_AUTH_UNKNOWN_KEY,       /* unknown access key, or session token missing/wrong */
    CR_EMU_AUTH_EXPIRED,           /* session credentials past their expiration */
    CR_EMU_AUTH_SCOPE,             /* credential scoped to another service */
    CR_EMU_AUTH_SKEW,              /* X-Amz-Date more than 5 minutes away */
    CR_EMU_AUTH_SIGNATURE,         /* the signature does not match */
    CR_EMU_AUTH_PAYLOAD_MISSING,   /* S3: signed request without X-Amz-Content-Sha256 */
    CR_EMU_AUTH_PAYLOAD_INVALID,   /* S3: neither a hex SHA-256 nor UNSIGNED-PAYLOAD */
    CR_EMU_AUTH_PAYLOAD_STREAMING, /* S3: an aws-chunked upload (not emulated) */
    CR_EMU_AUTH_PAYLOAD_MISMATCH,  /* S3: the body's SHA-256 differs from the header */
};

/** The result of checking a request's signature. */
struct cr_emu_auth_result {
    int status; /* 0 = accepted */
    enum cr_emu_auth_reason reason;
    char error_type[64];
    char message[512];
};

/**
 * Decides the caller (account, region from the credential scope or the default) and, when
 * keys are configured, verifies the SigV4 signature. service is "cognito-identity", "sts" or
 * "s3" (S3 signs the path as sent and its X-Amz-Content-Sha256 value, which is checked
 * against the body even without keys).
 */
void cr__emu_auth_check(struct cr_emu_auth_result *out, struct cr_emu_caller *caller,
                        struct cr_emu *emu, const struct cr_emu_request *req, const char *service);

/* ---- helpers (router.c) ---- */

/** Header value by case-insensitive name, or NULL. */
const char *cr__emu_header(const struct cr_emu_request *req, const char *name);
/**
 * Replaces out's content with doc as compact JSON (member order kept), written straight into
 * the buffer. Returns 0, or CR_ENOMEM (also when doc is NULL: a failed json_pack).
 */
int cr__emu_body_json(struct cr_buf *out, const json_t *doc);
/** A random UUID v4 in lowercase (37 bytes with NUL). */
void cr__emu_uuid(char out[37]);
/** Uniform random in [0, 1). */
double cr__emu_random01(void);
/** Empties the request log and restarts its numbering (aux_lock held or not shared yet). */
void cr__emu_log_clear(struct cr_emu *emu);
/** Appends a log entry (aux_lock taken inside). */
void cr__emu_log_add(struct cr_emu *emu, const char *op, int status, const char *error_type,
                     const char *pool_id, const char *region);
/** Appends the log entry of an S3 call: bucket and key (when any) instead of pool and region. */
void cr__emu_log_add_s3(struct cr_emu *emu, const char *op, int status, const char *error_code,
                        const char *bucket, const char *key);

#endif
