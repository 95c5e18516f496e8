/* SPDX-License-Identifier: Apache-2.0 */
#include "aws/stats.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cr_aws_stat s_table[CR_AWS_STATS_MAX];
static size_t s_len;

/* The entry for (name, status), made when missing; the last slot collects the overflow. */
static struct cr_aws_stat *s_entry(const char *name, long status)
{
    char key[CR_AWS_STATS_NAME];
    snprintf(key, sizeof(key), "%s", name != NULL && name[0] != '\0' ? name : "unnamed");
    for (size_t i = 0; i < s_len; i++)
        if (s_table[i].status == status && strcmp(s_table[i].name, key) == 0)
            return &s_table[i];
    if (s_len == CR_AWS_STATS_MAX - 1) {
        snprintf(key, sizeof(key), "other");
        status = 0;
        for (size_t i = 0; i < s_len; i++)
            if (s_table[i].status == 0 && strcmp(s_table[i].name, key) == 0)
                return &s_table[i];
    }
    struct cr_aws_stat *e = &s_table[s_len++];
    memset(e, 0, sizeof(*e));
    snprintf(e->name, sizeof(e->name), "%s", key);
    e->status = status;
    return e;
}

void cr_aws_stats_record(const char *name, long status, bool throttled)
{
    pthread_mutex_lock(&s_lock);
    struct cr_aws_stat *e = s_entry(name, status);
    e->attempts++;
    if (throttled)
        e->throttled++;
    pthread_mutex_unlock(&s_lock);
}

static int s_compare(const void *a, const void *b)
{
    const struct cr_aws_stat *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c != 0)
        return c;
    return (x->status > y->status) - (x->status < y->status);
}

size_t cr_aws_stats_snapshot(struct cr_aws_stat *out, size_t cap)
{
    pthread_mutex_lock(&s_lock);
    size_t n = s_len;
    struct cr_aws_stat copy[CR_AWS_STATS_MAX];
    memcpy(copy, s_table, n * sizeof(copy[0]));
    pthread_mutex_unlock(&s_lock);
    qsort(copy, n, sizeof(copy[0]), s_compare);
    memcpy(out, copy, (n < cap ? n : cap) * sizeof(copy[0]));
    return n;
}

void cr_aws__stats_reset(void)
{
    pthread_mutex_lock(&s_lock);
    s_len = 0;
    pthread_mutex_unlock(&s_lock);
}
