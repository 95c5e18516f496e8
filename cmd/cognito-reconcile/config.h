/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_CMD_CONFIG_H
#define CR_CMD_CONFIG_H
/*
 * The configuration file (--config FILE, docs/cli.md "Configuration file"): one YAML mapping
 * whose keys are the long option names without the dashes, valued as on the command line:
 *
 *   # cognito-reconcile.yaml
 *   stack: identity-prod
 *   region: eu-west-1
 *   git-url: https://git.example.com/platform/identity.git
 *   interval: 5m
 *   prune: true
 *   exclude: [drafts/, "*.tmpl.yaml"]
 *   paths: [envs/prod]
 *
 * A scalar is the option's value (true/false for a flag); a sequence of scalars gives a
 * repeatable option (exclude, target, rate-limit) all its values; `paths` holds the PATH
 * arguments. This file only reads the YAML (libyaml) into entries with their positions; what
 * a key means, and which subcommand takes it, is the option table's business (options.c).
 */
#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"
#include "util/strmap.h"

#define CR_CLI_CONFIG_MAX_BYTES (1024u * 1024u)

/** One key of the file. */
struct cr_cli_config_entry {
    char *key;                 /* "interval" */
    struct cr_strlist values;  /* one for a scalar, any number for a sequence */
    bool is_list;              /* written as a sequence */
    unsigned line, column;     /* of the key, 1-based */
};

struct cr_cli_config {
    char *path; /* as given */
    struct cr_cli_config_entry *entries;
    size_t len;
};

/**
 * Reads path into out (which must be zeroed). The file must hold one YAML document that is a
 * mapping of scalar keys to scalars or sequences of scalars; an empty file is an empty
 * configuration. Returns 0; CR_ENOTFOUND (cannot open), CR_ELIMIT (over
 * CR_CLI_CONFIG_MAX_BYTES) or CR_EINVALID (a syntax error, a nested mapping, an alias, a
 * duplicate key), the message naming "path:line:column"; CR_ENOMEM.
 */
int cr_cli_config_read(struct cr_cli_config *out, const char *path) CR_WARN_UNUSED;

/** Frees what out holds. Safe on a zeroed configuration. */
void cr_cli_config_dispose(struct cr_cli_config *cfg);

#endif
