/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_RECONCILE_RENDER_KIT_H
#define CR_RECONCILE_RENDER_KIT_H
/*
 * The render toolkit: the one vocabulary (names, symbols, colours), the one ANSI switch and
 * the one set of escapes that every renderer uses: the plan's text, JSON and Markdown
 * (render.c), the JUnit report (junit.c) and the revision comparison (render_compare.c). A
 * new renderer or a new section of one takes its words and escapes from here, so the
 * outputs cannot drift apart. XML escaping is util/xml.h (the emulator needs it too).
 *
 * Appending functions write into a cr_buf and never fail on their own: out-of-memory is
 * recorded in the buffer (cr_buf_oom), which the renderer checks once at the end.
 */
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "reconcile/plan.h"
#include "util/buf.h"

/* ANSI SGR sequences. Write them only through cr_render_ansi(), so colour off means none. */
#define CR_ANSI_RESET  "\033[0m"
#define CR_ANSI_BOLD   "\033[1m"
#define CR_ANSI_RED    "\033[31m"
#define CR_ANSI_GREEN  "\033[32m"
#define CR_ANSI_YELLOW "\033[33m"
#define CR_ANSI_CYAN   "\033[36m"

/** What happens to a thing (a pool, a field): the vocabulary every renderer shares. */
enum cr_render_kind {
    CR_RENDER_KEEP,    /* " "   keep      unchanged  (no colour) */
    CR_RENDER_ADD,     /* "+"   create    added      green */
    CR_RENDER_CHANGE,  /* "~"   update    changed    yellow */
    CR_RENDER_REPLACE, /* "-/+" replace   replaced   red */
    CR_RENDER_REMOVE,  /* "-"   delete    removed    red */
};

/** The kind of a plan action (NOOP is KEEP, DELETE is REMOVE). */
enum cr_render_kind cr_render_kind_of_action(enum cr_plan_action action);
/** The kind of a field-level change: ADD (no before), REMOVE (no after) or CHANGE. */
enum cr_render_kind cr_render_kind_of_change(const struct cr_plan_change *change);

/** "+", "~", "-", "-/+" or " " (a static string). */
const char *cr_render_symbol(enum cr_render_kind kind);
/** The ANSI colour of kind (a static string; "" for KEEP). Pass it through cr_render_ansi. */
const char *cr_render_color(enum cr_render_kind kind);
/** The imperative a plan uses: "create", "update", "replace", "delete", "keep". */
const char *cr_render_verb(enum cr_render_kind kind);
/** The participle a comparison uses: "added", "changed", "replaced", "removed", "unchanged". */
const char *cr_render_status(enum cr_render_kind kind);

/* ---- groups: a plan's pools by account, then region ---- */

/** The pools of one account and region, in plan order. */
struct cr_render_group {
    const char *account;    /* the Account's name; NULL = the default account. Borrowed */
    const char *account_id; /* the id the account must be, or NULL. Borrowed */
    const char *region;     /* borrowed */
    size_t *pools;          /* indexes into plan->pools; owned */
    size_t n;
};

/** A plan's pools grouped: by account (the plan's order), then region (sorted). */
struct cr_render_groups {
    struct cr_render_group *items;
    size_t len;
    bool headed; /* show a heading per group: the plan has a named account, or (of the pools
                    grouped) more than one region; a plain one-region plan reads as before */
};

/**
 * Groups plan's pools (only those with calls when changed_only) by account and region: every
 * renderer lists them in this order, under a heading per group when out->headed. Returns 0 or
 * CR_ENOMEM (error set); free with cr_render_groups_dispose.
 */
int cr_render_groups(struct cr_render_groups *out, const struct cr_plan *plan,
                     bool changed_only) CR_WARN_UNUSED;
void cr_render_groups_dispose(struct cr_render_groups *groups);

/**
 * Appends a group's title: "account prod (222222222222), region eu-west-1", "default account
 * (111111111111), region us-east-1" (when the plan has named accounts), or "region us-east-1".
 * code: names in Markdown code spans (`prod`).
 */
void cr_render_group_title(struct cr_buf *out, const struct cr_plan *plan,
                           const struct cr_render_group *group, bool code);

/** What the plan does in one account (NULL = the default), counted as the plan's summary is:
 * a replacement is one create and one delete. */
struct cr_render_counts {
    size_t create, update, del, replace;
};
void cr_render_account_counts(struct cr_render_counts *out, const struct cr_plan *plan,
                              const char *account);

/* ---- ANSI ---- */

/** code when color is on, "" when it is off: the one place colour is switched. */
const char *cr_render_ansi(bool color, const char *code);

/**
 * Appends the head of a block: "SYMBOL WORD" in bold and kind's colour, then a reset
 * ("+ create", "-/+ replaced"). Without colour just "SYMBOL WORD".
 */
void cr_render_head(struct cr_buf *out, bool color, enum cr_render_kind kind, const char *word);

/**
 * Ends a line that was started with cr_render_ansi(color, ...): the reset goes before the
 * line's final newline, so a terminal's next line starts uncoloured. Nothing without colour.
 */
void cr_render_ansi_end_line(struct cr_buf *out, bool color);

/* ---- field-level changes (values are compact JSON text, as struct cr_plan_change says) ---- */

/**
 * Appends one text line: "INDENT+ path: after", "INDENT- path: before" or
 * "INDENT~ path: before[NOTE] → after", the mark coloured by kind. note (may be NULL) follows
 * the before value of a change (the plan's "(never set: allowed)").
 */
void cr_render_change_text(struct cr_buf *out, bool color, const char *indent,
                           const struct cr_plan_change *change, const char *note);

/**
 * Appends the lines of a Markdown ```diff block: "- path: before[NOTE]" when there is a
 * before value, then "+ path: after" when there is an after value (GitHub colours both).
 */
void cr_render_change_md(struct cr_buf *out, const struct cr_plan_change *change, const char *note);

/* ---- JSON ---- */

/** A JSON string, or JSON null when s is NULL (a new reference; NULL on out-of-memory). */
json_t *cr_render_json_str_or_null(const char *s);

/**
 * The array [{"path", "before", "after"}] of n changes, each value embedded as JSON (not as
 * a string of JSON). An absent side has no member: JSON null is a value (the never-set
 * AllowClassicFlow). A new reference, or NULL on out-of-memory.
 */
json_t *cr_render_json_changes(const struct cr_plan_change *changes, size_t n);

/* ---- Markdown (GitHub Flavored Markdown) ---- */

/**
 * Appends s as plain text that cannot start markup, for table cells and prose: the ASCII
 * punctuation that opens inline markup or ends a cell (\ ` * _ < [ ] ~ & |) is
 * backslash-escaped, line breaks become spaces.
 */
void cr_render_md_text(struct cr_buf *out, const char *s);

/**
 * Appends s as an inline code span: delimited by one more backtick than the longest run
 * inside it, padded with a space where s starts or ends with a backtick (CommonMark 6.1),
 * line breaks as spaces. in_table: '|' is written "\|" so it cannot end the table cell
 * (GFM tables split cells before reading code spans).
 */
void cr_render_md_code(struct cr_buf *out, const char *s, bool in_table);

/**
 * The length of a code fence that none of n changes (paths and values) can close: 3, or one
 * more than the longest run of backticks in them. Take the largest over a block's changes.
 */
size_t cr_render_md_fence_len(const struct cr_plan_change *changes, size_t n);

/** Appends a code fence of len backticks (at least 3), then info (may be "") and a newline. */
void cr_render_md_fence(struct cr_buf *out, size_t len, const char *info);

#endif
