/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_CMD_LOCAL_TOKEN_H
#define CR_CMD_LOCAL_TOKEN_H
/** `cognito-identity-local token ...` (argv[0] is "token"): mints a test login token from a
 * running emulator and prints it. Returns the exit status (0, or 1 with the reason on
 * stderr). */
int cr_local_token_main(int argc, char **argv);
#endif
