/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_AWS_STATS_H
#define CR_AWS_STATS_H
/*
 * Process-wide counts of the attempts every AWS request made, by request name (the operation:
 * "ListIdentityPools", "s3 PutObject") and HTTP status (0 when no answer came: a connection
 * failure or a timeout), and how many of them were throttled. The request path records every
 * attempt (aws/request.c), whatever client or transport made it, so a long-running process
 * (cognito-reconcile watch) can export them as metrics across the clients of many runs.
 * Thread-safe; bounded (names past CR_AWS_STATS_MAX entries are counted under "other").
 */
#include <stdbool.h>
#include <stddef.h>

#define CR_AWS_STATS_MAX  256
#define CR_AWS_STATS_NAME 64

/** One (name, status) pair and its counts. */
struct cr_aws_stat {
    char name[CR_AWS_STATS_NAME];
    long status;              /* HTTP status; 0 = no answer (transport failure) */
    unsigned long attempts;   /* attempts that ended with this status */
    unsigned long throttled;  /* of those, the ones the service throttled */
};

/** Counts one attempt of the request called name that ended with status. */
void cr_aws_stats_record(const char *name, long status, bool throttled);

/**
 * Copies up to cap entries into out, sorted by name then status, and returns how many there
 * are in all (more than cap: the rest were not copied).
 */
size_t cr_aws_stats_snapshot(struct cr_aws_stat *out, size_t cap);

/** Forgets every count (tests). */
void cr_aws__stats_reset(void);

#endif
