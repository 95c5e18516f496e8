/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_UTIL_SPAWN_H
#define CR_UTIL_SPAWN_H
/*
 * Starting other programs cleanly. A program started by posix_spawn inherits the calling
 * thread's signal mask and every ignored signal: apply blocks SIGINT and SIGTERM in its
 * threads (one thread takes them), so a credential_process helper or the git reader started
 * from one of them would ignore Ctrl-C and `kill`. Every program we start gets this instead.
 */
#include <spawn.h>

/**
 * Initialises attr (posix_spawnattr_init) so that the program starts with no signal blocked
 * and every signal at its default action. Returns 0 or an errno value; the caller destroys
 * attr (posix_spawnattr_destroy) when it returns 0.
 */
int cr_spawnattr_init_clean(posix_spawnattr_t *attr);

#endif
