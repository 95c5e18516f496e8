/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_SCHEMA_CONSTRAINTS_H
#define CR_SCHEMA_CONSTRAINTS_H
/*
 * The one API constraint table of cognito-identity (2014-06-30), generated from
 * tests/data/aws-models/cognito-identity-2014-06-30.json by schema/gen_constraints.py into
 * schema/constraints_table.c. Both manifest validation (schema/) and the emulator's request
 * validation use it, so a value the manifest accepts is a value the service accepts, and the
 * emulator answers with the service's own constraint sentences:
 *
 *   1 validation error detected: Value 'x' at 'identityPoolName' failed to satisfy
 *   constraint: Member must satisfy regular expression pattern: [\w\s+=,.@-]+
 *
 * The sentence after "constraint: " is what the check functions below return.
 *
 * Units: string min/max count characters (Unicode code points of valid UTF-8), list min/max
 * count items, map min/max count entries, integer min/max bound the value.
 *
 * Patterns are the model's regular expressions, which carry no anchors: like the service we
 * require the WHOLE value to match. \w is ASCII [A-Za-z0-9_], \s ASCII whitespace; the
 * Unicode-class pattern of ClaimName is taken as "non-empty, valid UTF-8, no whitespace,
 * separator or control characters".
 */
#include <stdbool.h>
#include <stddef.h>

/* Limits the documentation states but the model does not encode. */
#define CR_LIMIT_RULES_PER_MAPPING   25 /* "You can specify up to 25 rules per identity provider" */
#define CR_LIMIT_TAGS                50 /* "An identity pool can have as many as 50 tags" */
#define CR_LIMIT_POOLS_PER_REGION    1000 /* service quota per account and region */
#define CR_LIMIT_ROLE_MAPPINGS       10   /* RoleMappingMap max (also in the model) */
#define CR_LIMIT_LOGIN_PROVIDERS     10   /* IdentityProviders max (also in the model) */
#define CR_LIMIT_USER_POOL_PROVIDERS 50   /* quota: Cognito user-pool providers per pool */

/* The service's sentence for a missing required member. */
#define CR_CONSTRAINT_NOT_NULL "Member must not be null"

enum cr_shape_kind {
    CR_SHAPE_STRING,
    CR_SHAPE_BOOLEAN,
    CR_SHAPE_INTEGER,
    CR_SHAPE_LIST,
    CR_SHAPE_MAP,
    CR_SHAPE_STRUCTURE,
    CR_SHAPE_TIMESTAMP, /* output only (CreationDate, Expiration): epoch seconds on the wire */
};

/* The distinct patterns of the model; each has a hand-written whole-value predicate. */
enum cr_pattern {
    CR_PATTERN_NONE = 0,
    CR_PATTERN_POOL_NAME,      /* [\w\s+=,.@-]+ */
    CR_PATTERN_PROVIDER_ID,    /* [\w.;_/-]+ */
    CR_PATTERN_DEVELOPER_NAME, /* [\w._-]+ */
    CR_PATTERN_USER_POOL_NAME, /* [\w._:/-]+ */
    CR_PATTERN_CLIENT_ID,      /* [\w_]+ */
    CR_PATTERN_POOL_ID,        /* [\w-]+:[0-9a-f-]+ */
    CR_PATTERN_ROLE_TYPE,      /* (un)?authenticated */
    CR_PATTERN_NON_SPACE,      /* [\S]+ */
    CR_PATTERN_CLAIM_NAME,     /* [\p{L}\p{M}\p{S}\p{N}\p{P}]+ */
    CR_PATTERN_DIGITS,         /* \d+ (AccountId) */
};

struct cr_shape;

/** A member of a structure shape. */
struct cr_member {
    const char *name; /* API member name, e.g. "IdentityPoolName" */
    const struct cr_shape *shape;
    bool required; /* listed in the structure's "required" */
    bool boxed;    /* "box": true (nullable boolean) */
};

/** One shape of the model. Borrowed from a static table; lives forever. */
struct cr_shape {
    const char *name; /* "IdentityPoolName" */
    enum cr_shape_kind kind;
    bool has_min, has_max;
    long long min, max;  /* characters / items / entries / value, per kind */
    const char *pattern; /* the model's regex verbatim, or NULL */
    enum cr_pattern pattern_id;
    const char *const *enum_values; /* model order, or NULL */
    size_t n_enum;
    const struct cr_shape *member;   /* list element */
    const struct cr_shape *key;      /* map key */
    const struct cr_shape *value;    /* map value */
    const struct cr_member *members; /* structure members, model order */
    size_t n_members;
    /* Precomputed service sentences (NULL where the constraint does not exist). */
    const char *msg_min;     /* "Member must have length greater than or equal to 1" */
    const char *msg_max;     /* "Member must have length less than or equal to 128" */
    const char *msg_pattern; /* "Member must satisfy regular expression pattern: ..." */
    const char *msg_enum;    /* "Member must satisfy enum value set: [Token, Rules]" */
};

/** One of the 23 operations of the API. */
struct cr_operation {
    const char *name; /* "CreateIdentityPool" */
    const struct cr_shape *input;
    const struct cr_shape *output; /* NULL: the response body is {} */
    const char *const *errors;     /* error shape names, model order */
    size_t n_errors;
    bool unsigned_auth; /* the model's "authtype": "none": callable without credentials */
};

/** The shape called name (e.g. "IdentityPoolName"), or NULL. Borrowed, static. */
const struct cr_shape *cr_shape_find(const char *name);

/** Every shape reachable from the 23 operations, sorted by name; *out = count. Static. */
const struct cr_shape *cr_shape_all(size_t *out);

/** The member of a structure shape called name (API spelling), or NULL. Borrowed. */
const struct cr_member *cr_shape_member(const struct cr_shape *shape, const char *name);

/** The operation called name (e.g. "SetIdentityPoolRoles"), or NULL. Borrowed, static. */
const struct cr_operation *cr_operation_find(const char *name);

/** The 23 operations: the 12 pool-management ones, then the 11 of the identity side (GetId,
 * ...). *out = count. Static. */
const struct cr_operation *cr_operation_all(size_t *out);

/** True if the whole value s (len bytes) matches the pattern. CR_PATTERN_NONE matches all. */
bool cr_pattern_matches(enum cr_pattern pattern, const char *s, size_t len);

/**
 * Checks a string value against a string shape: length, pattern, enum, in that order.
 * Returns NULL when the value is valid, else the first violated constraint's sentence
 * (static, e.g. "Member must have length less than or equal to 128").
 */
const char *cr_constraint_check_string(const struct cr_shape *shape, const char *s, size_t len);

/**
 * Like cr_constraint_check_string but collects every violated sentence (the service reports
 * each one: an empty IdentityPoolName breaks both the length and the pattern). Writes at
 * most cap sentences to out and returns how many constraints were violated.
 */
size_t cr_constraint_check_string_all(const char **out, size_t cap, const struct cr_shape *shape,
                                      const char *s, size_t len);

/** Checks the item count of a list or the entry count of a map. NULL or the sentence. */
const char *cr_constraint_check_count(const struct cr_shape *shape, size_t n);

/** Checks an integer value against an integer shape. NULL or the sentence. */
const char *cr_constraint_check_integer(const struct cr_shape *shape, long long value);

/** Length of a string value in the units of the table (code points; bytes if invalid UTF-8). */
size_t cr_constraint_string_length(const char *s, size_t len);

/** "string", "boolean", "integer", "list", "map", "structure". Static. */
const char *cr_shape_kind_name(enum cr_shape_kind kind);

#endif
