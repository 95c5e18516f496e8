/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TagResource, UntagResource and ListTagsForResource, addressed by the pool's ARN
 * arn:PARTITION:cognito-identity:REGION:ACCOUNT:identitypool/ID. An ARN that does not name a
 * pool of the caller's account and region is a ResourceNotFoundException.
 */
#include <stdio.h>
#include <string.h>

#include "aws/cognito.h"
#include "emulator/internal.h"

static json_t *s_get(const json_t *obj, const char *name)
{
    json_t *v = json_object_get(obj, name);
    return json_is_null(v) ? NULL : v;
}

static json_t *s_find_by_arn(struct cr_emu_call *call)
{
    const char *arn = json_string_value(s_get(call->input, "ResourceArn"));
    const struct cr_emu_caller *c = call->caller;
    char prefix[256];
    size_t plen;
    json_t *rec;
    snprintf(prefix, sizeof(prefix), "arn:%s:cognito-identity:%s:%s:identitypool/",
             cr_aws_partition(c->region), c->region, c->account_id);
    plen = strlen(prefix);
    rec = strncmp(arn, prefix, plen) == 0 ? cr__emu_state_pool(call->emu, c, arn + plen) : NULL;
    if (!rec) {
        cr__emu_fail(call, 400, "ResourceNotFoundException", "Resource '%s' not found.", arn);
        return NULL;
    }
    snprintf(call->pool_id, sizeof(call->pool_id), "%s", arn + plen);
    return rec;
}

int cr__emu_op_tag(struct cr_emu_call *call)
{
    const char *k;
    json_t *v;
    json_t *rec = s_find_by_arn(call);
    json_t *merged;
    if (!rec)
        return CR_ESERVICE;
    merged = json_deep_copy(json_object_get(rec, "tags"));
    json_object_foreach(s_get(call->input, "Tags"), k, v)
    {
        if (json_object_set_new(merged, k, json_deep_copy(v)) != 0) /* never share with input */
            goto oom;
    }
    if (cr__emu_check_tags(call, merged) != 0) {
        json_decref(merged);
        return CR_ESERVICE;
    }
    if (json_object_set_new(rec, "tags", merged) != 0)
        return cr__emu_fail(call, 500, "InternalErrorException", "out of memory");
    call->wrote = true;
    call->output = json_object();
    return 0;
oom:
    json_decref(merged);
    return cr__emu_fail(call, 500, "InternalErrorException", "out of memory");
}

int cr__emu_op_untag(struct cr_emu_call *call)
{
    size_t i;
    json_t *k;
    json_t *rec = s_find_by_arn(call);
    if (!rec)
        return CR_ESERVICE;
    /* Keys that are not set are ignored, as UntagResource does everywhere in AWS. */
    json_array_foreach(s_get(call->input, "TagKeys"), i, k)
        json_object_del(json_object_get(rec, "tags"), json_string_value(k));
    call->wrote = true;
    call->output = json_object();
    return 0;
}

int cr__emu_op_list_tags(struct cr_emu_call *call)
{
    json_t *rec = s_find_by_arn(call);
    if (!rec)
        return CR_ESERVICE;
    call->output = json_pack("{s:o}", "Tags", json_deep_copy(json_object_get(rec, "tags")));
    return 0;
}
