/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_RECONCILE_PROGRESS_H
#define CR_RECONCILE_PROGRESS_H
/*
 * Progress of a long read or apply on stderr, so a person or a CI log sees the run is alive:
 *
 *   reading live state: 420/1000 pools, 1.8 s
 *
 * Nothing for the first 2 seconds (short runs stay quiet). Then on a terminal one line
 * redrawn in place (at most 10 times a second) and erased when the step ends; elsewhere (a CI
 * log) one line every 5 seconds. Silent when quiet. Updates may come from several threads
 * (one per region); the counters are summed and one writer prints at a time.
 *
 * The clock is an input (tests step it); writing goes to the FILE given.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CR_PROGRESS_DELAY_MS  2000 /* quiet this long */
#define CR_PROGRESS_LINE_MS   5000 /* a line this often when not on a terminal */
#define CR_PROGRESS_REDRAW_MS 100  /* a terminal redraw at most this often */

typedef uint64_t cr_progress_clock_fn(void);

struct cr_progress {
    FILE *fp;  /* NULL = silent (--quiet) */
    bool live; /* a terminal: redraw one line in place */
    cr_progress_clock_fn *clock;
    pthread_mutex_t lock; /* everything below */
    const char *what;     /* "reading live state" (static) */
    const char *unit;     /* "pools" (static) */
    uint64_t start_ms, last_ms;
    size_t done, total;
    unsigned open_sources; /* contributors that may still add to the total ("600+") */
    bool drawn;            /* a live line is on the terminal */
    unsigned lines;        /* lines printed (tests) */
};

/**
 * Sets p up to write to fp (NULL: never writes), redrawing one line in place when live (fp is
 * a terminal and nothing else writes to it line by line, e.g. no --debug). clock NULL = the
 * process's monotonic clock. Dispose with cr_progress_dispose().
 */
void cr_progress_init(struct cr_progress *p, FILE *fp, bool live, cr_progress_clock_fn *clock);
/** Erases a live line still shown and frees the lock. */
void cr_progress_dispose(struct cr_progress *p);

/**
 * Starts a step ("reading live state", counting "pools"): counters to zero, clock restarts.
 * sources: how many contributors (regions) add to the total; until each said its part is
 * final, the total shows as "600+" (0: the total is final from the start). Both strings must
 * outlive the step.
 */
void cr_progress_begin(struct cr_progress *p, const char *what, const char *unit, unsigned sources);
/** Adds to the counters (done, and to the total; final: this contributor adds no more to the
 * total, once) and prints when due. Thread-safe. */
void cr_progress_add(struct cr_progress *p, size_t done, size_t total, bool final);
/** Ends the step: erases a live line (the caller then prints its summary). */
void cr_progress_end(struct cr_progress *p);

/** The text of a progress line, "reading live state: 420/1000 pools, 1.8 s" (no newline):
 * total_final false shows the total as "600+", total 0 as "420 pools". */
void cr_progress__format(char *out, size_t cap, const char *what, const char *unit, size_t done,
                         size_t total, bool total_final, uint64_t elapsed_ms);

#endif
