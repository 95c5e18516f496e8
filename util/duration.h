/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_UTIL_DURATION_H
#define CR_UTIL_DURATION_H
/*
 * Durations on the command line and in configuration files, as Go (and so Terraform, Flux and
 * Argo CD) writes them: a sequence of whole numbers with units, "500ms", "30s", "5m",
 * "1h30m", "1h0m0s". A bare number is seconds ("30" = "30s"), as --timeout takes them. Every
 * option that takes a duration parses it here (--interval, --lock-timeout, ...).
 */
#include <stdint.h>
#include <stddef.h>

#include "util/error.h"

/**
 * Parses text into milliseconds. name (the option or key: "--interval") prefixes the message.
 * The value must lie in min_ms..max_ms. Returns 0, or CR_EINVALID with a message naming name,
 * the value, and the range ("--interval: expected a duration from 1s to 24h such as 30s, 5m
 * or 1h30m, got '5 m'").
 */
int cr_duration_parse(uint64_t *out_ms, const char *text, const char *name, uint64_t min_ms,
                      uint64_t max_ms) CR_WARN_UNUSED;

/**
 * Writes ms in the shortest form the parser reads back ("1h30m", "45s", "250ms", "0s") into
 * out (cap bytes, at least 32). Returns out.
 */
const char *cr_duration_format(char *out, size_t cap, uint64_t ms);

#endif
