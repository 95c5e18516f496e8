/* SPDX-License-Identifier: Apache-2.0 */
#include "aws/json.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *cr_json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    default:
        return "something else";
    }
}

const char *cr_json_error_reason(char *buf, size_t cap, const json_error_t *err)
{
    snprintf(buf, cap, "%s", err->text);
    /* jansson appends " near '<text>'" to its messages (load.c, error_set) */
    char *near = strstr(buf, " near '");
    if (near)
        *near = '\0';
    return buf;
}

static pthread_once_t s_once = PTHREAD_ONCE_INIT;
static _Thread_local unsigned long s_failures;
static _Atomic(cr_json_malloc_fn *) s_inner;

static void *s_counting_malloc(size_t size)
{
    cr_json_malloc_fn *inner = atomic_load(&s_inner);
    void *p = inner ? inner(size) : malloc(size);
    if (!p)
        s_failures++;
    return p;
}

static void s_install(void)
{
    json_set_alloc_funcs(s_counting_malloc, free);
}

unsigned long cr_json_alloc_failures(void)
{
    pthread_once(&s_once, s_install);
    return s_failures;
}

void cr_json__set_malloc(cr_json_malloc_fn *fn)
{
    pthread_once(&s_once, s_install);
    atomic_store(&s_inner, fn);
}
