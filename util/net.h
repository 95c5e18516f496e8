/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_UTIL_NET_H
#define CR_UTIL_NET_H
/* Socket addresses from the text a user gives (the emulator's --host, watch's --listen). */
#include <stdbool.h>
#include <sys/socket.h>

#include "util/error.h"

/**
 * Fills out with host (an IPv4 or IPv6 address in text; "localhost" is 127.0.0.1) and port.
 * *len receives the address's size and *v6 whether it is IPv6. what names the option in the
 * message. Returns 0 or CR_EINVALID ("--listen 'x': not an IPv4 or IPv6 address").
 */
int cr_net_address(struct sockaddr_storage *out, socklen_t *len, bool *v6, const char *host,
                   unsigned port, const char *what) CR_WARN_UNUSED;

#endif
