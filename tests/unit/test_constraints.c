/* SPDX-License-Identifier: Apache-2.0 */
/* The constraint table: cross-checked against the API model file at test time, and the
 * pattern predicates and sentences. */
#include <jansson.h>
#include <string.h>

#include "schema/constraints.h"
#include "tests/support/cr_test.h"

static json_t *s_model;

static int s_setup(void **state)
{
    json_error_t err;
    s_model =
        json_load_file(cr_test_data_path("aws-models/cognito-identity-2014-06-30.json"), 0, &err);
    if (s_model == NULL) {
        print_error("cannot read the API model: %s (line %d)\n", err.text, err.line);
        return -1;
    }
    return 0;
}

static int s_teardown(void **state)
{
    json_decref(s_model);
    return 0;
}

static void s_check_bound(const char *shape, json_t *js, const char *key, bool has, long long v)
{
    json_t *b = json_object_get(js, key);
    if (b == NULL) {
        if (has)
            fail_msg("%s: table has %s, model does not", shape, key);
        return;
    }
    if (!has)
        fail_msg("%s: model has %s, table does not", shape, key);
    assert_int_equal(json_integer_value(b), v);
}

static void s_check_ref(const char *shape, json_t *js, const char *key, const struct cr_shape *ref)
{
    json_t *r = json_object_get(js, key);
    if (r == NULL) {
        assert_null(ref);
        return;
    }
    assert_non_null(ref);
    if (strcmp(json_string_value(json_object_get(r, "shape")), ref->name) != 0)
        fail_msg("%s.%s: model %s, table %s", shape, key,
                 json_string_value(json_object_get(r, "shape")), ref->name);
}

static void s_check_members(const struct cr_shape *sh, json_t *js)
{
    json_t *members = json_object_get(js, "members");
    json_t *required = json_object_get(js, "required");
    assert_int_equal(json_object_size(members), sh->n_members);
    for (size_t i = 0; i < sh->n_members; i++) {
        const struct cr_member *m = &sh->members[i];
        json_t *mj = json_object_get(members, m->name);
        if (mj == NULL)
            fail_msg("%s.%s: not in the model", sh->name, m->name);
        assert_string_equal(json_string_value(json_object_get(mj, "shape")), m->shape->name);
        bool req = false;
        size_t k;
        json_t *r;
        json_array_foreach(required, k, r)
        {
            if (strcmp(json_string_value(r), m->name) == 0)
                req = true;
        }
        assert_int_equal(req, m->required);
        assert_int_equal(json_is_true(json_object_get(mj, "box")), m->boxed);
        assert_ptr_equal(cr_shape_member(sh, m->name), m);
    }
}

static void s_check_shape(const struct cr_shape *sh, json_t *js)
{
    const char *type = json_string_value(json_object_get(js, "type"));
    /* a long is checked as an integer (TokenDuration) */
    assert_string_equal(cr_shape_kind_name(sh->kind), strcmp(type, "long") == 0 ? "integer" : type);
    s_check_bound(sh->name, js, "min", sh->has_min, sh->min);
    s_check_bound(sh->name, js, "max", sh->has_max, sh->max);
    json_t *pattern = json_object_get(js, "pattern");
    if (pattern == NULL) {
        assert_null(sh->pattern);
        assert_int_equal(sh->pattern_id, CR_PATTERN_NONE);
    } else {
        assert_non_null(sh->pattern);
        assert_string_equal(sh->pattern, json_string_value(pattern));
        assert_int_not_equal(sh->pattern_id, CR_PATTERN_NONE);
    }
    json_t *en = json_object_get(js, "enum");
    assert_int_equal(json_array_size(en), sh->n_enum);
    for (size_t i = 0; i < sh->n_enum; i++)
        assert_string_equal(sh->enum_values[i], json_string_value(json_array_get(en, i)));
    s_check_ref(sh->name, js, "member", sh->member);
    s_check_ref(sh->name, js, "key", sh->key);
    s_check_ref(sh->name, js, "value", sh->value);
    s_check_members(sh, js);
}

static void test_constraints__table_matches_model(void **state)
{
    size_t n = 0;
    const struct cr_shape *all = cr_shape_all(&n);
    json_t *shapes = json_object_get(s_model, "shapes");
    assert_in_range(n, 55, SIZE_MAX);
    for (size_t i = 0; i < n; i++) {
        json_t *js = json_object_get(shapes, all[i].name);
        if (js == NULL)
            fail_msg("shape %s is not in the model", all[i].name);
        s_check_shape(&all[i], js);
        assert_ptr_equal(cr_shape_find(all[i].name), &all[i]);
        if (i > 0)
            assert_true(strcmp(all[i - 1].name, all[i].name) < 0);
    }
    assert_null(cr_shape_find("NoSuchShape"));
    assert_null(cr_shape_find(NULL));
}

static void test_constraints__operations_match_model(void **state)
{
    size_t n = 0;
    const struct cr_operation *ops = cr_operation_all(&n);
    json_t *mops = json_object_get(s_model, "operations");
    assert_int_equal(n, 23);
    assert_int_equal(json_object_size(mops), 23);
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object_get(mops, ops[i].name);
        assert_non_null(o);
        assert_string_equal(
            json_string_value(json_object_get(json_object_get(o, "input"), "shape")),
            ops[i].input->name);
        json_t *out = json_object_get(o, "output");
        if (out == NULL)
            assert_null(ops[i].output);
        else
            assert_string_equal(json_string_value(json_object_get(out, "shape")),
                                ops[i].output->name);
        json_t *errs = json_object_get(o, "errors");
        assert_int_equal(json_array_size(errs), ops[i].n_errors);
        for (size_t k = 0; k < ops[i].n_errors; k++)
            assert_string_equal(ops[i].errors[k], json_string_value(json_object_get(
                                                      json_array_get(errs, k), "shape")));
        assert_ptr_equal(cr_operation_find(ops[i].name), &ops[i]);
        /* the unsigned operations are exactly those the model marks "authtype": "none" */
        const char *auth = json_string_value(json_object_get(o, "authtype"));
        assert_int_equal(ops[i].unsigned_auth, auth != NULL && strcmp(auth, "none") == 0);
    }
    assert_true(cr_operation_find("GetId")->unsigned_auth);
    assert_false(cr_operation_find("DescribeIdentity")->unsigned_auth);
    assert_null(cr_operation_find("GetIdentity"));
}

static void test_constraints__every_shape_reachable_is_present(void **state)
{
    /* Walk from each operation's input/output through the model and require each shape. */
    json_t *shapes = json_object_get(s_model, "shapes");
    size_t n = 0;
    const struct cr_operation *ops = cr_operation_all(&n);
    const char *stack[256];
    size_t top = 0;
    for (size_t i = 0; i < n; i++) {
        stack[top++] = ops[i].input->name;
        if (ops[i].output != NULL)
            stack[top++] = ops[i].output->name;
    }
    size_t visited = 0;
    while (top > 0 && visited < 10000) {
        const char *name = stack[--top];
        visited++;
        assert_non_null(cr_shape_find(name));
        json_t *js = json_object_get(shapes, name);
        const char *refs[] = {"member", "key", "value"};
        for (size_t k = 0; k < 3; k++) {
            json_t *r = json_object_get(js, refs[k]);
            if (r != NULL && top < 256)
                stack[top++] = json_string_value(json_object_get(r, "shape"));
        }
        const char *key;
        json_t *m;
        json_object_foreach(json_object_get(js, "members"), key, m)
        {
            if (top < 256)
                stack[top++] = json_string_value(json_object_get(m, "shape"));
        }
    }
    assert_in_range(visited, 13, SIZE_MAX);
}

static void test_constraints__string_sentences(void **state)
{
    const struct cr_shape *name = cr_shape_find("IdentityPoolName");
    assert_non_null(name);
    assert_null(cr_constraint_check_string(name, "MobileApp Prod", 14));
    assert_string_equal(cr_constraint_check_string(name, "", 0),
                        "Member must have length greater than or equal to 1");
    char long_name[130];
    memset(long_name, 'a', 129);
    long_name[129] = '\0';
    assert_string_equal(cr_constraint_check_string(name, long_name, 129),
                        "Member must have length less than or equal to 128");
    assert_null(cr_constraint_check_string(name, long_name, 128));
    assert_string_equal(cr_constraint_check_string(name, "bad!name", 8),
                        "Member must satisfy regular expression pattern: [\\w\\s+=,.@-]+");
    const char *all[4];
    assert_int_equal(cr_constraint_check_string_all(all, 4, name, "", 0), 2);
    assert_string_equal(all[0], "Member must have length greater than or equal to 1");
    assert_string_equal(all[1], "Member must satisfy regular expression pattern: [\\w\\s+=,.@-]+");

    const struct cr_shape *type = cr_shape_find("RoleMappingType");
    assert_null(cr_constraint_check_string(type, "Rules", 5));
    assert_string_equal(cr_constraint_check_string(type, "rules", 5),
                        "Member must satisfy enum value set: [Token, Rules]");
    assert_string_equal(cr_constraint_check_string(cr_shape_find("MappingRuleMatchType"), "X", 1),
                        "Member must satisfy enum value set: [Equals, Contains, StartsWith, "
                        "NotEqual]");
    /* TagValueType allows the empty string (min 0). */
    assert_null(cr_constraint_check_string(cr_shape_find("TagValueType"), "", 0));
}

static void test_constraints__length_counts_characters(void **state)
{
    const struct cr_shape *claim = cr_shape_find("ClaimValue"); /* 1..128, no pattern */
    char buf[129 * 2 + 1];
    for (size_t i = 0; i < 128; i++)
        memcpy(buf + 2 * i, "\xc3\xa9", 2); /* é: 2 bytes, 1 character */
    assert_null(cr_constraint_check_string(claim, buf, 256));
    memcpy(buf + 256, "\xc3\xa9", 2);
    assert_string_equal(cr_constraint_check_string(claim, buf, 258),
                        "Member must have length less than or equal to 128");
    assert_int_equal(cr_constraint_string_length("\xe2\x82\xac", 3), 1);
    assert_int_equal(cr_constraint_string_length("\xff\xfe", 2), 2);
    /* The ASCII fast path reads eight bytes at a time: a multi-byte character at any offset,
     * and in the tail, still counts as one. */
    char text[40];
    for (size_t at = 0; at + 2 <= 20; at++) {
        memset(text, 'a', sizeof(text));
        memcpy(text + at, "\xc3\xa9", 2);
        assert_int_equal(cr_constraint_string_length(text, 20), 19);
    }
    memset(text, 'a', sizeof(text));
    assert_int_equal(cr_constraint_string_length(text, 40), 40);
    assert_int_equal(cr_constraint_string_length(text, 0), 0);
}

static void test_constraints__counts_and_integers(void **state)
{
    const struct cr_shape *limit = cr_shape_find("QueryLimit");
    assert_null(cr_constraint_check_integer(limit, 1));
    assert_null(cr_constraint_check_integer(limit, 60));
    assert_string_equal(cr_constraint_check_integer(limit, 61),
                        "Member must have value less than or equal to 60");
    assert_string_equal(cr_constraint_check_integer(limit, 0),
                        "Member must have value greater than or equal to 1");
    const struct cr_shape *rules = cr_shape_find("MappingRulesList");
    assert_string_equal(cr_constraint_check_count(rules, 0),
                        "Member must have length greater than or equal to 1");
    assert_string_equal(cr_constraint_check_count(rules, 401),
                        "Member must have length less than or equal to 400");
    assert_null(cr_constraint_check_count(rules, 25));
    const struct cr_shape *idp = cr_shape_find("IdentityProviders");
    assert_null(cr_constraint_check_count(idp, CR_LIMIT_LOGIN_PROVIDERS));
    assert_string_equal(cr_constraint_check_count(idp, 11),
                        "Member must have length less than or equal to 10");
    assert_null(cr_constraint_check_count(cr_shape_find("OIDCProviderList"), 1000));
    assert_int_equal(cr_shape_find("RoleMappingMap")->max, CR_LIMIT_ROLE_MAPPINGS);
    assert_int_equal(CR_LIMIT_RULES_PER_MAPPING, 25);
    assert_int_equal(CR_LIMIT_TAGS, 50);
}

struct s_case {
    enum cr_pattern p;
    const char *s;
    bool ok;
};

static void test_constraints__patterns_match_whole_value(void **state)
{
    static const struct s_case cases[] = {
        {CR_PATTERN_POOL_NAME, "My pool_1+=,.@-", true},
        {CR_PATTERN_POOL_NAME, "tab\there", true},
        {CR_PATTERN_POOL_NAME, "caf\xc3\xa9", false},
        {CR_PATTERN_POOL_NAME, "a/b", false},
        {CR_PATTERN_POOL_NAME, "", false},
        {CR_PATTERN_PROVIDER_ID, "7346241598935552", true},
        {CR_PATTERN_PROVIDER_ID, "abc.apps.googleusercontent.com;x/y-z", true},
        {CR_PATTERN_PROVIDER_ID, "a b", false},
        {CR_PATTERN_DEVELOPER_NAME, "login.example.mobile", true},
        {CR_PATTERN_DEVELOPER_NAME, "login/example", false},
        {CR_PATTERN_USER_POOL_NAME, "cognito-idp.us-east-1.amazonaws.com/us-east-1_Ab12Cd34", true},
        {CR_PATTERN_USER_POOL_NAME, "cognito idp", false},
        {CR_PATTERN_CLIENT_ID, "6lhlkkfbfb4q5kpp90urffae", true},
        {CR_PATTERN_CLIENT_ID, "6lhl-kk", false},
        {CR_PATTERN_POOL_ID, "us-east-1:0b6f1d2e-aaaa-bbbb-cccc-0123456789ab", true},
        {CR_PATTERN_POOL_ID, "us-east-2:mock", false},
        {CR_PATTERN_POOL_ID, "us-east-1:", false},
        {CR_PATTERN_POOL_ID, ":abc", false},
        {CR_PATTERN_POOL_ID, "us-east-1:ABC", false},
        {CR_PATTERN_POOL_ID, "us-east-1:ab:cd", false},
        {CR_PATTERN_ROLE_TYPE, "authenticated", true},
        {CR_PATTERN_ROLE_TYPE, "unauthenticated", true},
        {CR_PATTERN_ROLE_TYPE, "xauthenticated", false},
        {CR_PATTERN_ROLE_TYPE, "authenticatedx", false},
        {CR_PATTERN_ROLE_TYPE, "Authenticated", false},
        {CR_PATTERN_NON_SPACE, "tok\xc3\xa9n", true},
        {CR_PATTERN_NON_SPACE, "to ken", false},
        {CR_PATTERN_CLAIM_NAME, "custom:tier", true},
        {CR_PATTERN_CLAIM_NAME, "\xe6\x97\xa5\xe6\x9c\xac", true},
        {CR_PATTERN_CLAIM_NAME, "a b", false},
        {CR_PATTERN_CLAIM_NAME,
         "a\xc2\xa0"
         "b",
         false},
        {CR_PATTERN_CLAIM_NAME, "a\x01", false},
        {CR_PATTERN_CLAIM_NAME, "\xff", false},
        {CR_PATTERN_CLAIM_NAME, "", false},
        {CR_PATTERN_DIGITS, "123456789012", true},
        {CR_PATTERN_DIGITS, "", false},
        {CR_PATTERN_DIGITS, "12a", false},
        {CR_PATTERN_DIGITS, "-1", false},
        {CR_PATTERN_NONE, "", true},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bool got = cr_pattern_matches(cases[i].p, cases[i].s, strlen(cases[i].s));
        if (got != cases[i].ok)
            fail_msg("pattern %d on '%s': got %d, want %d", cases[i].p, cases[i].s, got,
                     cases[i].ok);
    }
    /* An embedded NUL never matches a character class. */
    assert_false(cr_pattern_matches(CR_PATTERN_CLIENT_ID, "ab\0c", 4));
}

/* cr_shape_find caches by the name's address: the same buffer holding another name, or a
 * name that is no shape, must still give the right answer. */
static void test_constraints__shape_find_cache_follows_content(void **state)
{
    char name[64];
    strcpy(name, "IdentityPoolName");
    const struct cr_shape *a = cr_shape_find(name);
    assert_non_null(a);
    assert_string_equal(a->name, "IdentityPoolName");
    assert_ptr_equal(cr_shape_find(name), a);
    strcpy(name, "TagKeysType");
    const struct cr_shape *b = cr_shape_find(name);
    assert_non_null(b);
    assert_string_equal(b->name, "TagKeysType");
    strcpy(name, "NoSuchShape");
    assert_null(cr_shape_find(name));
    strcpy(name, "IdentityPoolName");
    assert_ptr_equal(cr_shape_find(name), a);
    assert_ptr_equal(cr_shape_find("IdentityPoolName"), a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_constraints__table_matches_model),
        cmocka_unit_test(test_constraints__operations_match_model),
        cmocka_unit_test(test_constraints__every_shape_reachable_is_present),
        cmocka_unit_test(test_constraints__string_sentences),
        cmocka_unit_test(test_constraints__length_counts_characters),
        cmocka_unit_test(test_constraints__counts_and_integers),
        cmocka_unit_test(test_constraints__patterns_match_whole_value),
        cmocka_unit_test(test_constraints__shape_find_cache_follows_content),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
