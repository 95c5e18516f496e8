/* SPDX-License-Identifier: Apache-2.0 */
#include "util/net.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

int cr_net_address(struct sockaddr_storage *out, socklen_t *len, bool *v6, const char *host,
                   unsigned port, const char *what)
{
    struct sockaddr_in *in = (struct sockaddr_in *)out;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;
    const char *numeric = strcmp(host, "localhost") == 0 ? "127.0.0.1" : host;
    memset(out, 0, sizeof(*out));
    if (inet_pton(AF_INET, numeric, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)port);
        *len = sizeof(*in);
        *v6 = false;
        return 0;
    }
    if (inet_pton(AF_INET6, numeric, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        *len = sizeof(*in6);
        *v6 = true;
        return 0;
    }
    cr_error_set("%s '%s': not an IPv4 or IPv6 address", what, host);
    return CR_EINVALID;
}
