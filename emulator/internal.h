/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_EMULATOR_INTERNAL_H
#define CR_EMULATOR_INTERNAL_H
/*
 * Shared between the emulator's modules (not installed, not used outside emulator/ except
 * by its unit tests).
 */
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

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
                           const char *op, double (*rnd01)(void));
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

    pthread_mutex_t state_lock; /* state */
    json_t *state;              /* see state.c for the layout */

    struct cr_emu_quotas quotas;               /* request-rate quotas (own lock) */
    struct cr_emu_quota_config quotas_initial; /* as started: what /_local/reset restores */

    pthread_mutex_t aux_lock; /* faults, log, keys */
    struct cr_emu_faults faults;
    struct cr_emu_keys keys;
    json_t **log;    /* ring of the last CR_EMU_LOG_CAP entries (oldest at log_head) */
    size_t log_head; /* index of the oldest entry */
    size_t log_len;
    long log_seq;
};

/** The caller as authentication decided it. */
struct cr_emu_caller {
    char account_id[32];
    char region[64];
    char arn[256];
    char user_id[160];
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

/* ---- STS (sts.c) ---- */

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
