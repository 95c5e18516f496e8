/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CR_AWS_JSON_H
#define CR_AWS_JSON_H
/*
 * Small jansson helpers shared by the cognito-identity decoders and the emulator's request
 * validation, so both name a JSON value's type the same way in their error messages.
 */
#include <jansson.h>

/** "an object", "an array", "a string", "a number", "a boolean" or "null": the type of v as
 * used in "expected X, got Y" messages. Static string. */
const char *cr_json_type_name(const json_t *v);

#endif
