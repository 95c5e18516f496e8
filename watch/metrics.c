/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GET /metrics: the Prometheus text exposition format 0.0.4 (HELP and TYPE for every family,
 * label values escaped, histogram buckets cumulative with +Inf, _sum and _count), checked by
 * `promtool check metrics` in tests/integration/test_watch_endpoints.sh.
 */
#include <stdio.h>
#include <string.h>

#include "aws/stats.h"
#include "watch/internal.h"

#define S_PREFIX "cognito_reconcile_"

/* A label value: backslash, double quote and line feed escaped (format 0.0.4). */
static void s_label(struct cr_buf *out, const char *value)
{
    for (const char *p = value != NULL ? value : ""; *p != '\0'; p++) {
        if (*p == '\\' || *p == '"')
            cr_buf_putc(out, '\\');
        if (*p == '\n') {
            cr_buf_puts(out, "\\n");
            continue;
        }
        cr_buf_putc(out, *p);
    }
}

static void s_family(struct cr_buf *out, const char *name, const char *type, const char *help)
{
    cr_buf_printf(out, "# HELP " S_PREFIX "%s %s\n# TYPE " S_PREFIX "%s %s\n", name, help, name,
                  type);
}

static void s_cycles(struct cr_buf *out, const struct cr_watch *w)
{
    static const char *const names[CR_WATCH_OUTCOMES] = {"success", "invalid", "failed"};
    s_family(out, "watch_cycles_total", "counter",
             "Reconciliation cycles by result (success, invalid: the revision's manifests are "
             "invalid, failed).");
    for (int i = 0; i < CR_WATCH_OUTCOMES; i++)
        cr_buf_printf(out, S_PREFIX "watch_cycles_total{result=\"%s\"} %lu\n", names[i],
                      w->cycles[i]);
    s_family(out, "watch_last_success_timestamp_seconds", "gauge",
             "When the last successful cycle ended (Unix time; 0 before the first).");
    cr_buf_printf(out, S_PREFIX "watch_last_success_timestamp_seconds %.3f\n",
                  (double)w->last_success_ms / 1000.0);
    s_family(out, "watch_ready", "gauge", "1 once a cycle succeeded.");
    cr_buf_printf(out, S_PREFIX "watch_ready %d\n", w->ready ? 1 : 0);
    s_family(out, "watch_leader", "gauge",
             "1 while this replica holds the lease (always 1 without --lock).");
    cr_buf_printf(out, S_PREFIX "watch_leader %d\n", w->leader ? 1 : 0);
    s_family(out, "watch_lease_transitions_total", "counter",
             "Times this replica gained or lost the lease.");
    cr_buf_printf(out, S_PREFIX "watch_lease_transitions_total %lu\n", w->lease_changes);
}

static void s_revision(struct cr_buf *out, const struct cr_watch *w)
{
    s_family(out, "watch_revision_info", "gauge",
             "The revision the last successful cycle reconciled (value 1), and the branch head.");
    cr_buf_printf(out, S_PREFIX "watch_revision_info{branch=\"");
    s_label(out, w->settings.remote.branch);
    cr_buf_printf(out, "\",revision=\"%s\",head=\"%s\"} 1\n", w->applied, w->head);
    s_family(out, "watch_invalid_revision", "gauge",
             "1 while the branch head is a revision whose manifests are invalid (skipped).");
    cr_buf_printf(out, S_PREFIX "watch_invalid_revision %d\n",
                  w->invalid[0] != '\0' && strcmp(w->invalid, w->head) == 0 ? 1 : 0);
    s_family(out, "watch_drifted_pools", "gauge",
             "Pools that differed from the manifests at the last successful cycle.");
    cr_buf_printf(out, S_PREFIX "watch_drifted_pools %zu\n", w->drifted.len);
    s_family(out, "watch_drift_cycles_total", "counter", "Successful cycles that found drift.");
    cr_buf_printf(out, S_PREFIX "watch_drift_cycles_total %lu\n", w->drift_cycles);
}

static void s_histogram(struct cr_buf *out, const struct cr_watch *w)
{
    unsigned long cumulative = 0;
    s_family(out, "watch_cycle_duration_seconds", "histogram",
             "How long cycles took (fetch, read, plan and apply).");
    for (size_t b = 0; b < CR_WATCH_HIST_BUCKETS; b++) {
        cumulative += w->hist[b];
        cr_buf_printf(out, S_PREFIX "watch_cycle_duration_seconds_bucket{le=\"%g\"} %lu\n",
                      cr_watch_hist_bounds[b], cumulative);
    }
    cumulative += w->hist[CR_WATCH_HIST_BUCKETS];
    cr_buf_printf(out, S_PREFIX "watch_cycle_duration_seconds_bucket{le=\"+Inf\"} %lu\n",
                  cumulative);
    cr_buf_printf(out, S_PREFIX "watch_cycle_duration_seconds_sum %.6f\n", w->hist_sum_s);
    cr_buf_printf(out, S_PREFIX "watch_cycle_duration_seconds_count %lu\n", w->hist_count);
}

/* From aws/stats.h: every attempt of every AWS call the process made. */
static void s_api(struct cr_buf *out)
{
    static struct cr_aws_stat stats[CR_AWS_STATS_MAX]; /* the caller holds w->lock */
    size_t n = cr_aws_stats_snapshot(stats, CR_AWS_STATS_MAX);
    n = n < CR_AWS_STATS_MAX ? n : CR_AWS_STATS_MAX;
    s_family(out, "aws_requests_total", "counter",
             "AWS API attempts by operation and HTTP status (0: no answer, a connection failure "
             "or a timeout).");
    for (size_t i = 0; i < n; i++) {
        cr_buf_puts(out, S_PREFIX "aws_requests_total{operation=\"");
        s_label(out, stats[i].name);
        cr_buf_printf(out, "\",status=\"%ld\"} %lu\n", stats[i].status, stats[i].attempts);
    }
    s_family(out, "aws_throttles_total", "counter",
             "AWS API attempts the service throttled, by operation.");
    for (size_t i = 0; i < n; i++) {
        unsigned long sum = stats[i].throttled;
        if (i > 0 && strcmp(stats[i].name, stats[i - 1].name) == 0)
            continue; /* one line per operation: summed over its statuses below */
        for (size_t j = i + 1; j < n && strcmp(stats[j].name, stats[i].name) == 0; j++)
            sum += stats[j].throttled;
        cr_buf_puts(out, S_PREFIX "aws_throttles_total{operation=\"");
        s_label(out, stats[i].name);
        cr_buf_printf(out, "\"} %lu\n", sum);
    }
}

int cr_watch__metrics_locked(struct cr_buf *out, const struct cr_watch *w)
{
    s_cycles(out, w);
    s_revision(out, w);
    s_histogram(out, w);
    s_api(out);
    if (cr_buf_oom(out)) {
        cr_error_set("out of memory writing the metrics");
        return CR_ENOMEM;
    }
    return 0;
}
