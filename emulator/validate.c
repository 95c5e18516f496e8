/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Request validation: walks the JSON input against the operation's input shape from the one
 * constraint table (schema/constraints.h), as the service's front end does.
 *
 * - A JSON value of the wrong type (a string where a boolean is expected) cannot be
 *   deserialised: SerializationException, reported alone (the service never gets as far
 *   as constraint checks).
 * - Constraint violations are collected in walk order (the model's member order) and
 *   reported together as ValidationException:
 *     N validation error(s) detected: Value 'v' at 'path' failed to satisfy constraint: S; ...
 * - Paths render like the Java SDK's: structure members in lowerCamelCase joined with '.',
 *   list elements as `<list>.<n>.member` (1-based), map values as `<map>.<key>.member`, map
 *   keys as `<map>.<key>.key`.
 * - Unknown members are ignored and JSON null counts as absent.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "aws/json.h"
#include "emulator/internal.h"
#include "schema/constraints.h"

#define CR_EMU_MAX_VALIDATION_ERRORS 100

struct s_walk {
    struct cr_emu_call *call;
    struct cr_buf errors; /* "Value ... ; Value ..." */
    size_t n_errors;
    bool serialization; /* a type error was recorded: stop */
};

/* Java-like rendering of a value for "Value '...'": lists [a, b], maps {k=v}. */
static void s_render(struct cr_buf *out, const json_t *v)
{
    size_t i;
    const char *k;
    json_t *e;
    switch (json_typeof(v)) {
    case JSON_STRING:
        cr_buf_put(out, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        cr_buf_printf(out, "%lld", (long long)json_integer_value(v));
        break;
    case JSON_REAL:
        cr_buf_printf(out, "%g", json_real_value(v));
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        cr_buf_puts(out, json_is_true(v) ? "true" : "false");
        break;
    case JSON_ARRAY:
        cr_buf_putc(out, '[');
        json_array_foreach((json_t *)v, i, e)
        {
            cr_buf_puts(out, i ? ", " : "");
            s_render(out, e);
        }
        cr_buf_putc(out, ']');
        break;
    case JSON_OBJECT:
        i = 0;
        cr_buf_putc(out, '{');
        json_object_foreach((json_t *)v, k, e)
        {
            cr_buf_printf(out, "%s%s=", i++ ? ", " : "", k);
            s_render(out, e);
        }
        cr_buf_putc(out, '}');
        break;
    default:
        cr_buf_puts(out, "null");
        break;
    }
}

/* Shapes whose values are secrets: login tokens (the values of a Logins map), and lists or
 * maps that hold them. */
static bool s_sensitive(const struct cr_shape *shape)
{
    if (!shape)
        return false;
    if (strcmp(shape->name, "IdentityProviderToken") == 0)
        return true;
    return s_sensitive(shape->member) || s_sensitive(shape->value);
}

/* "Value 'v' at 'path' failed to satisfy constraint: sentence"; the value of a sensitive shape
 * is left out, as AWS words sensitive members ("Value at 'password' failed to ..."), so a
 * client that prints the message (the AWS CLI does) never prints a token (issue 9.5). */
static void s_violation(struct s_walk *w, const struct cr_shape *shape, const json_t *v,
                        const char *path, const char *sentence)
{
    if (++w->n_errors > CR_EMU_MAX_VALIDATION_ERRORS)
        return;
    if (w->n_errors > 1)
        cr_buf_puts(&w->errors, "; ");
    cr_buf_puts(&w->errors, "Value");
    if (v && s_sensitive(shape)) {
        /* named without the value */
    } else if (v) {
        cr_buf_puts(&w->errors, " '");
        s_render(&w->errors, v);
        cr_buf_putc(&w->errors, '\'');
    } else {
        cr_buf_puts(&w->errors, " null");
    }
    cr_buf_printf(&w->errors, " at '%s' failed to satisfy constraint: %s", path, sentence);
}

static bool s_type_ok(const struct cr_shape *shape, const json_t *v)
{
    switch (shape->kind) {
    case CR_SHAPE_STRING:
        return json_is_string(v);
    case CR_SHAPE_BOOLEAN:
        return json_is_boolean(v);
    case CR_SHAPE_INTEGER:
        return json_is_integer(v) ||
               (json_is_real(v) && json_real_value(v) == (double)(long long)json_real_value(v));
    case CR_SHAPE_LIST:
        return json_is_array(v);
    case CR_SHAPE_MAP:
    case CR_SHAPE_STRUCTURE:
        return json_is_object(v);
    case CR_SHAPE_TIMESTAMP:
        return json_is_number(v);
    default:
        return false;
    }
}

static void s_walk(struct s_walk *w, const struct cr_shape *shape, const json_t *v,
                   const char *path);

static void s_child_path(char *out, size_t cap, const char *path, const char *a, const char *b)
{
    snprintf(out, cap, "%s%s%s%s%s", path, path[0] ? "." : "", a, b ? "." : "", b ? b : "");
}

static void s_walk_structure(struct s_walk *w, const struct cr_shape *shape, const json_t *v,
                             const char *path)
{
    for (size_t i = 0; i < shape->n_members && !w->serialization; i++) {
        const struct cr_member *m = &shape->members[i];
        char name[128], child[1024];
        json_t *mv = json_object_get(v, m->name);
        snprintf(name, sizeof(name), "%s", m->name);
        name[0] = (char)tolower((unsigned char)name[0]);
        s_child_path(child, sizeof(child), path, name, NULL);
        if (!mv || json_is_null(mv)) {
            if (m->required)
                s_violation(w, m->shape, NULL, child, CR_CONSTRAINT_NOT_NULL);
            continue;
        }
        s_walk(w, m->shape, mv, child);
    }
}

static void s_walk_collection(struct s_walk *w, const struct cr_shape *shape, const json_t *v,
                              const char *path)
{
    char child[1024], index[32];
    const char *msg = cr_constraint_check_count(shape, json_is_array(v) ? json_array_size(v)
                                                                        : json_object_size(v));
    size_t i;
    const char *k;
    json_t *e;
    if (msg)
        s_violation(w, shape, v, path, msg);
    if (shape->kind == CR_SHAPE_LIST) {
        json_array_foreach((json_t *)v, i, e)
        {
            snprintf(index, sizeof(index), "%zu", i + 1);
            s_child_path(child, sizeof(child), path, index, "member");
            if (!json_is_null(e))
                s_walk(w, shape->member, e, child);
            if (w->serialization)
                return;
        }
        return;
    }
    json_object_foreach((json_t *)v, k, e)
    {
        json_t *key = json_string(k);
        s_child_path(child, sizeof(child), path, k, "key");
        s_walk(w, shape->key, key, child);
        json_decref(key);
        s_child_path(child, sizeof(child), path, k, "member");
        if (!json_is_null(e) && !w->serialization)
            s_walk(w, shape->value, e, child);
        if (w->serialization)
            return;
    }
}

static void s_walk(struct s_walk *w, const struct cr_shape *shape, const json_t *v,
                   const char *path)
{
    const char *found[8];
    const char *msg;
    size_t n;
    if (!s_type_ok(shape, v)) {
        w->serialization = true;
        cr__emu_fail(w->call, 400, "SerializationException",
                     "Cannot deserialize the value at '%s': expected %s (%s), got %s.", path,
                     cr_shape_kind_name(shape->kind), shape->name, cr_json_type_name(v));
        return;
    }
    switch (shape->kind) {
    case CR_SHAPE_STRING:
        n = cr_constraint_check_string_all(found, 8, shape, json_string_value(v),
                                           json_string_length(v));
        for (size_t i = 0; i < n && i < 8; i++)
            s_violation(w, shape, v, path, found[i]);
        break;
    case CR_SHAPE_INTEGER:
        msg =
            cr_constraint_check_integer(shape, json_is_integer(v) ? (long long)json_integer_value(v)
                                                                  : (long long)json_real_value(v));
        if (msg)
            s_violation(w, shape, v, path, msg);
        break;
    case CR_SHAPE_LIST:
    case CR_SHAPE_MAP:
        s_walk_collection(w, shape, v, path);
        break;
    case CR_SHAPE_STRUCTURE:
        s_walk_structure(w, shape, v, path);
        break;
    case CR_SHAPE_BOOLEAN:
    default:
        break;
    }
}

int cr__emu_validate(struct cr_emu_call *call)
{
    const struct cr_operation *op = cr_operation_find(call->op);
    struct s_walk w = {.call = call};
    int result = 0;
    if (!op)
        return cr__emu_fail(call, 500, "InternalErrorException", "no input shape for operation %s",
                            call->op);
    cr_buf_init(&w.errors);
    s_walk(&w, op->input, call->input, "");
    if (w.serialization) {
        result = CR_ESERVICE;
    } else if (w.n_errors > 0) {
        result =
            cr__emu_fail(call, 400, "ValidationException", "%zu validation error%s detected: %s",
                         w.n_errors, w.n_errors == 1 ? "" : "s", cr_buf_cstr(&w.errors));
    }
    cr_buf_dispose(&w.errors);
    return result;
}
