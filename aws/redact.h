/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_AWS_REDACT_H
#define CR_AWS_REDACT_H
/*
 * Redaction for --debug output: the Authorization header, session tokens, signatures and
 * secret keys never reach a log line.
 */
#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/error.h"

/** The text written instead of a secret. */
#define CR_REDACTED "[redacted]"

/** True for a header whose whole value is secret (Authorization, X-Amz-Security-Token,
 * x-amz-sso_bearer_token, X-aws-ec2-metadata-token, Proxy-Authorization, Cookie, ...).
 * Case-insensitive. */
bool cr_redact_header_is_secret(const char *name);

/**
 * Appends "Name: value" to out, with the value replaced by CR_REDACTED for a secret header and
 * passed through cr_redact_text() otherwise. Returns 0 or CR_ENOMEM.
 */
int cr_redact_header(struct cr_buf *out, const char *name, const char *value) CR_WARN_UNUSED;

/**
 * Appends text to out with the value of every secret-looking parameter masked: query or
 * header parameters (`Signature=`, `X-Amz-Signature=`, `X-Amz-Credential=`,
 * `X-Amz-Security-Token=`, `Credential=`, `x-amz-sso_bearer_token:`,
 * `X-aws-ec2-metadata-token:`), JSON members (`"SecretAccessKey": "..."`, `"SessionToken"`,
 * `"Token"`, `"accessToken"`), and credentials-file keys (`aws_secret_access_key =`,
 * `aws_session_token =`). Case-insensitive. Returns 0 or CR_ENOMEM.
 */
int cr_redact_text(struct cr_buf *out, const char *text, size_t len) CR_WARN_UNUSED;

#endif
