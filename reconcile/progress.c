/* SPDX-License-Identifier: Apache-2.0 */
#include "reconcile/progress.h"

#include <string.h>

#include "util/strutil.h"

void cr_progress__format(char *out, size_t cap, const char *what, const char *unit, size_t done,
                         size_t total, bool total_final, uint64_t elapsed_ms)
{
    double s = (double)elapsed_ms / 1000.0;
    if (total == 0)
        snprintf(out, cap, "%s: %zu %s, %.1f s", what, done, unit, s);
    else
        snprintf(out, cap, "%s: %zu/%zu%s %s, %.1f s", what, done, total, total_final ? "" : "+",
                 unit, s);
}

void cr_progress_init(struct cr_progress *p, FILE *fp, bool live, cr_progress_clock_fn *clock)
{
    memset(p, 0, sizeof(*p));
    p->fp = fp;
    p->live = live && fp;
    p->clock = clock ? clock : cr_now_ms;
    pthread_mutex_init(&p->lock, NULL);
    p->what = "";
    p->unit = "";
}

/* Erases the live line (lock held). */
static void s_erase(struct cr_progress *p)
{
    if (!p->drawn)
        return;
    fputs("\r\033[K", p->fp);
    fflush(p->fp);
    p->drawn = false;
}

void cr_progress_dispose(struct cr_progress *p)
{
    pthread_mutex_lock(&p->lock);
    s_erase(p);
    pthread_mutex_unlock(&p->lock);
    pthread_mutex_destroy(&p->lock);
}

void cr_progress_begin(struct cr_progress *p, const char *what, const char *unit, unsigned sources)
{
    pthread_mutex_lock(&p->lock);
    s_erase(p);
    p->what = what;
    p->unit = unit;
    p->done = p->total = 0;
    p->open_sources = sources;
    p->start_ms = p->clock();
    p->last_ms = p->start_ms;
    pthread_mutex_unlock(&p->lock);
}

/* Prints when due (lock held). */
static void s_maybe_print(struct cr_progress *p, uint64_t now)
{
    uint64_t elapsed = now - p->start_ms;
    if (!p->fp || elapsed < CR_PROGRESS_DELAY_MS)
        return;
    /* the first line at 2 s; then live redraws or a line every 5 s */
    bool first = p->last_ms == p->start_ms;
    uint64_t gap = p->live ? CR_PROGRESS_REDRAW_MS : CR_PROGRESS_LINE_MS;
    if (!first && now - p->last_ms < gap)
        return;
    char line[256];
    cr_progress__format(line, sizeof(line), p->what, p->unit, p->done, p->total,
                        p->open_sources == 0, elapsed);
    if (p->live)
        fprintf(p->fp, "\r\033[K%s", line);
    else
        fprintf(p->fp, "%s\n", line);
    fflush(p->fp);
    p->drawn = p->live;
    p->last_ms = now;
    p->lines++;
}

void cr_progress_add(struct cr_progress *p, size_t done, size_t total, bool final)
{
    pthread_mutex_lock(&p->lock);
    p->done += done;
    p->total += total;
    if (final && p->open_sources > 0)
        p->open_sources--;
    s_maybe_print(p, p->clock());
    pthread_mutex_unlock(&p->lock);
}

void cr_progress_end(struct cr_progress *p)
{
    pthread_mutex_lock(&p->lock);
    s_erase(p);
    pthread_mutex_unlock(&p->lock);
}
