/* ssm: Run Command calls over cf_aws_json (see ssm.h). */
#include "aws/ssm.h"

#include <stdlib.h>
#include <string.h>

#include "aws/svc_internal.h"
#include "common/cf_time.h"

static const cf_svc_cap ssm_cap = {"SSM", CF_SSM_MAX_ITEMS, "items"};

/* A JSON-protocol timestamp: epoch seconds (number), or a string kept as sent. */
static int j_time(json_t *o, const char *key, char **out)
{
    json_t *v = json_object_get(o, key);
    char buf[CF_TIME_STR_MAX];
    int64_t ns;
    int rc;

    *out = NULL;
    if (json_is_string(v))
        return cf_svc_json_str(o, key, out);
    if (!json_is_number(v))
        return 0;
    rc = cf_svc_json_epoch_ns(v, "SSM", key, &ns);
    if (rc)
        return rc;
    cf_time_format(ns, buf);
    *out = strdup(buf);
    return *out ? 0 : cf_svc_oom();
}

static int j_int(json_t *o, const char *key, int *out)
{
    json_t *v = json_object_get(o, key);

    *out = -1;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < -2147483647LL ||
        json_integer_value(v) > 2147483647LL)
        return cf_error_set(CF_EPARSE, "SSM response: %s is not an integer", key);
    *out = (int)json_integer_value(v);
    return 0;
}

/* ---- invocations ---------------------------------------------------------------------------- */

static void inv_release(void *elem)
{
    cf_ssm_invocation *v = elem;

    free(v->command_id);
    free(v->instance_id);
    free(v->status);
    free(v->status_details);
    free(v->document_name);
    free(v->comment);
    free(v->plugin_name);
    free(v->stdout_content);
    free(v->stderr_content);
    free(v->stdout_url);
    free(v->stderr_url);
    free(v->requested_time);
    free(v->start_time);
    free(v->end_time);
}

void cf_ssm_invocation_free(cf_ssm_invocation *inv)
{
    if (!inv)
        return;
    inv_release(inv);
    free(inv);
}

void cf_ssm_invocation_list_free(cf_ssm_invocation_list *l)
{
    if (l)
        cf_svc_items_free(l->items, l->n, sizeof(*l->items), inv_release);
    free(l);
}

int cf_ssm_status_is_terminal(const char *s)
{
    static const char *const fin[] = {"Success", "Cancelled",     "TimedOut",
                                      "Failed",  "Undeliverable", "Terminated"};
    for (size_t i = 0; s && i < sizeof(fin) / sizeof(fin[0]); i++)
        if (strcmp(s, fin[i]) == 0)
            return 1;
    return 0;
}

/* Fields common to GetCommandInvocation and ListCommandInvocations items. */
static int inv_parse(json_t *o, void *elem)
{
    cf_ssm_invocation *v = elem;
    int rc;

    if (!json_is_object(o))
        return cf_error_set(CF_EPARSE, "SSM response: invocation is not an object");
    rc = cf_svc_json_str(o, "CommandId", &v->command_id);
    if (!rc)
        rc = cf_svc_json_str(o, "InstanceId", &v->instance_id);
    if (!rc && (!v->command_id || !v->instance_id))
        rc = cf_error_set(CF_EPARSE, "SSM response: invocation without CommandId/InstanceId");
    if (!rc)
        rc = cf_svc_json_str(o, "Status", &v->status);
    if (!rc)
        rc = cf_svc_json_str(o, "StatusDetails", &v->status_details);
    if (!rc)
        rc = cf_svc_json_str(o, "DocumentName", &v->document_name);
    if (!rc)
        rc = cf_svc_json_str(o, "Comment", &v->comment);
    if (!rc)
        rc = cf_svc_json_str(o, "PluginName", &v->plugin_name);
    if (!rc)
        rc = cf_svc_json_str(o, "StandardOutputContent", &v->stdout_content);
    if (!rc)
        rc = cf_svc_json_str(o, "StandardErrorContent", &v->stderr_content);
    if (!rc)
        rc = cf_svc_json_str(o, "StandardOutputUrl", &v->stdout_url);
    if (!rc)
        rc = cf_svc_json_str(o, "StandardErrorUrl", &v->stderr_url);
    if (!rc)
        rc = j_time(o, "RequestedDateTime", &v->requested_time);
    if (!rc)
        rc = j_time(o, "ExecutionStartDateTime", &v->start_time);
    if (!rc)
        rc = j_time(o, "ExecutionEndDateTime", &v->end_time);
    if (!rc)
        rc = j_int(o, "ResponseCode", &v->response_code);
    /* ListCommandInvocations (Details=true): the first plugin carries code and output. */
    if (!rc) {
        json_t *pl = json_array_get(json_object_get(o, "CommandPlugins"), 0);
        if (json_is_object(pl)) {
            if (!v->plugin_name)
                rc = cf_svc_json_str(pl, "Name", &v->plugin_name);
            if (!rc && v->response_code < 0)
                rc = j_int(pl, "ResponseCode", &v->response_code);
            if (!rc && !v->stdout_content)
                rc = cf_svc_json_str(pl, "Output", &v->stdout_content);
            if (!rc && !v->stdout_url)
                rc = cf_svc_json_str(pl, "StandardOutputUrl", &v->stdout_url);
            if (!rc && !v->stderr_url)
                rc = cf_svc_json_str(pl, "StandardErrorUrl", &v->stderr_url);
            if (!rc && !v->start_time)
                rc = j_time(pl, "ResponseStartDateTime", &v->start_time);
            if (!rc && !v->end_time)
                rc = j_time(pl, "ResponseFinishDateTime", &v->end_time);
        }
    }
    return rc;
}

int cf_ssm_parse_invocation(cf_ssm_invocation **out, json_t *body)
{
    cf_ssm_invocation *v = calloc(1, sizeof(*v));
    int rc = v ? inv_parse(body, v) : cf_svc_oom();

    *out = NULL;
    if (rc) {
        cf_ssm_invocation_free(v);
        return rc;
    }
    *out = v;
    return 0;
}

int cf_ssm_parse_invocations(cf_ssm_invocation_list *l, json_t *body)
{
    return cf_svc_json_items(body, "CommandInvocations", (void **)&l->items, &l->n,
                             sizeof(*l->items), &ssm_cap, inv_parse, inv_release);
}

/* ---- instance information ------------------------------------------------------------------- */

static void info_release(void *elem)
{
    cf_ssm_instance_info *x = elem;

    free(x->instance_id);
    free(x->ping_status);
    free(x->last_ping);
    free(x->agent_version);
    free(x->platform_type);
    free(x->platform_name);
    free(x->platform_version);
    free(x->ip_address);
    free(x->computer_name);
    free(x->resource_type);
}

void cf_ssm_instance_info_list_free(cf_ssm_instance_info_list *l)
{
    if (l)
        cf_svc_items_free(l->items, l->n, sizeof(*l->items), info_release);
    free(l);
}

static int info_parse(json_t *o, void *elem)
{
    cf_ssm_instance_info *x = elem;
    int rc = cf_svc_json_id(o, "InstanceId", "SSM", "instance information", &x->instance_id);

    if (!rc)
        rc = cf_svc_json_str(o, "PingStatus", &x->ping_status);
    if (!rc)
        rc = j_time(o, "LastPingDateTime", &x->last_ping);
    if (!rc)
        rc = cf_svc_json_str(o, "AgentVersion", &x->agent_version);
    if (!rc)
        rc = cf_svc_json_str(o, "PlatformType", &x->platform_type);
    if (!rc)
        rc = cf_svc_json_str(o, "PlatformName", &x->platform_name);
    if (!rc)
        rc = cf_svc_json_str(o, "PlatformVersion", &x->platform_version);
    if (!rc)
        rc = cf_svc_json_str(o, "IPAddress", &x->ip_address);
    if (!rc)
        rc = cf_svc_json_str(o, "ComputerName", &x->computer_name);
    if (!rc)
        rc = cf_svc_json_str(o, "ResourceType", &x->resource_type);
    return rc;
}

int cf_ssm_parse_instance_information(cf_ssm_instance_info_list *l, json_t *body)
{
    return cf_svc_json_items(body, "InstanceInformationList", (void **)&l->items, &l->n,
                             sizeof(*l->items), &ssm_cap, info_parse, info_release);
}

/* ---- calls ---------------------------------------------------------------------------------- */

static __thread char ssm_last_reqid[128];

const char *cf_ssm_last_request_id(void)
{
    return ssm_last_reqid;
}

int cf_ssm_send_command(char **command_id_out, cf_aws *aws, const cf_ssm_command_spec *s)
{
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    json_t *body = NULL, *params = NULL;
    int rc = 0;

    ssm_last_reqid[0] = '\0';
    if (command_id_out)
        *command_id_out = NULL;
    if (!s || !s->n_instance_ids || !s->instance_ids || !s->n_commands || !s->commands) {
        rc = cf_error_set(CF_EINVAL, "ssm SendCommand: need instances and commands");
        goto cleanup;
    }
    if (s->comment && strlen(s->comment) > 100) {
        rc = cf_error_set(CF_EINVAL, "ssm SendCommand: comment longer than 100 characters");
        goto cleanup;
    }
    body = json_object();
    params = json_object();
    if (!body || !params) {
        rc = cf_svc_oom();
        goto cleanup;
    }
    if (json_object_set_new(body, "InstanceIds",
                            cf_svc_json_strings(s->instance_ids, s->n_instance_ids)) ||
        json_object_set_new(body, "DocumentName",
                            json_string(s->document ? s->document : "AWS-RunShellScript")) ||
        json_object_set_new(params, "commands", cf_svc_json_strings(s->commands, s->n_commands))) {
        rc = cf_error_set(CF_EINVAL, "ssm SendCommand: bad instance id or command (NULL/UTF-8)");
        goto cleanup;
    }
    if (s->execution_timeout_s > 0) {
        json_t *t = json_array();
        char num[32];
        snprintf(num, sizeof(num), "%d", s->execution_timeout_s);
        if (!t || json_array_append_new(t, json_string(num)) ||
            json_object_set_new(params, "executionTimeout", t)) {
            rc = cf_svc_oom();
            goto cleanup;
        }
    }
    if (json_object_set(body, "Parameters", params) ||
        (s->timeout_s > 0 &&
         json_object_set_new(body, "TimeoutSeconds", json_integer(s->timeout_s))) ||
        (s->comment && json_object_set_new(body, "Comment", json_string(s->comment))) ||
        (s->output_s3_bucket &&
         json_object_set_new(body, "OutputS3BucketName", json_string(s->output_s3_bucket))) ||
        (s->output_s3_prefix &&
         json_object_set_new(body, "OutputS3KeyPrefix", json_string(s->output_s3_prefix)))) {
        rc = cf_error_set(CF_EINVAL, "ssm SendCommand: bad comment or bucket (UTF-8)");
        goto cleanup;
    }
    rc = cf_aws_json(aws, &cf_aws_svc_ssm, "SendCommand", body, &r);
    snprintf(ssm_last_reqid, sizeof(ssm_last_reqid), "%s", r.request_id);
    if (rc) {
        cf_error_wrap("ssm SendCommand");
        goto cleanup;
    }
    rc = cf_svc_json_answer(json_object_get(json_object_get(r.json, "Command"), "CommandId"), "ssm",
                            "SendCommand", "Command.CommandId", command_id_out);
cleanup:
    json_decref(params);
    json_decref(body);
    cf_aws_response_release(&r);
    return rc;
}

int cf_ssm_get_command_invocation(cf_ssm_invocation **out, cf_aws *aws, const char *command_id,
                                  const char *instance_id)
{
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    json_t *body = NULL;
    int rc = 0;

    *out = NULL;
    if (!command_id || !instance_id) {
        rc = cf_error_set(CF_EINVAL, "ssm GetCommandInvocation: need command and instance ids");
        goto cleanup;
    }
    body = json_pack("{s:s, s:s}", "CommandId", command_id, "InstanceId", instance_id);
    if (!body) {
        rc = cf_error_set(CF_EINVAL, "ssm GetCommandInvocation: bad ids");
        goto cleanup;
    }
    rc = cf_aws_json(aws, &cf_aws_svc_ssm, "GetCommandInvocation", body, &r);
    if (rc) {
        cf_error_wrap("ssm GetCommandInvocation %s %s", command_id, instance_id);
        goto cleanup;
    }
    rc = cf_ssm_parse_invocation(out, r.json);
cleanup:
    json_decref(body);
    cf_aws_response_release(&r);
    return rc;
}

/* Every page of a paginated call, parsed into list. */
static int ssm_pages(cf_aws *aws, const char *op, json_t *body, void *list,
                     int (*parse)(void *list, json_t *body))
{
    cf_svc_pages pages = {"SSM", list, NULL, parse};

    return cf_svc_json_pages(aws, &cf_aws_svc_ssm, "ssm", op, body, cf_svc_page, &pages);
}

static int inv_parse_v(void *l, json_t *b)
{
    return cf_ssm_parse_invocations(l, b);
}

/* *body = {key: value, CommandId, InstanceId} (value taken; the ids when not NULL). */
static int ids_body(json_t **body, const char *op, const char *key, json_t *value,
                    const char *command_id, const char *instance_id)
{
    *body = json_object();
    if (!*body) {
        json_decref(value);
        return cf_svc_oom();
    }
    if (json_object_set_new(*body, key, value) ||
        (command_id && json_object_set_new(*body, "CommandId", json_string(command_id))) ||
        (instance_id && json_object_set_new(*body, "InstanceId", json_string(instance_id))))
        return cf_error_set(CF_EINVAL, "ssm %s: bad ids", op);
    return 0;
}

int cf_ssm_list_command_invocations(cf_ssm_invocation_list **out, cf_aws *aws,
                                    const char *command_id, const char *instance_id)
{
    cf_ssm_invocation_list *l = calloc(1, sizeof(*l));
    json_t *body = NULL;
    int rc = l ? ids_body(&body, "ListCommandInvocations", "Details", json_true(), command_id,
                          instance_id)
               : cf_svc_oom();

    *out = NULL;
    if (!rc)
        rc = ssm_pages(aws, "ListCommandInvocations", body, l, inv_parse_v);
    if (rc)
        cf_ssm_invocation_list_free(l);
    else
        *out = l;
    json_decref(body);
    return rc;
}

static int info_parse_v(void *l, json_t *b)
{
    return cf_ssm_parse_instance_information(l, b);
}

int cf_ssm_describe_instance_information(cf_ssm_instance_info_list **out, cf_aws *aws,
                                         const char *const *ids, size_t n_ids)
{
    cf_ssm_instance_info_list *l = NULL;
    json_t *body = json_object(), *filters = NULL;
    int rc = 0;

    *out = NULL;
    l = calloc(1, sizeof(*l));
    if (!l || !body) {
        rc = cf_svc_oom();
        goto cleanup;
    }
    if (n_ids) {
        json_t *vals = ids ? cf_svc_json_strings(ids, n_ids) : NULL;
        filters = vals ? json_pack("[{s:s, s:o}]", "Key", "InstanceIds", "Values", vals) : NULL;
        if (!filters || json_object_set(body, "Filters", filters)) {
            rc = cf_error_set(CF_EINVAL, "ssm DescribeInstanceInformation: bad instance ids");
            goto cleanup;
        }
    }
    rc = ssm_pages(aws, "DescribeInstanceInformation", body, l, info_parse_v);
    if (rc)
        goto cleanup;
    *out = l;
    l = NULL;
cleanup:
    cf_ssm_instance_info_list_free(l);
    json_decref(filters);
    json_decref(body);
    return rc;
}

/* ---- ListCommands --------------------------------------------------------------------------- */

static void cmd_release(void *elem)
{
    cf_ssm_command *c = elem;

    free(c->command_id);
    free(c->document_name);
    free(c->comment);
    free(c->status);
    free(c->status_details);
    free(c->requested_time);
    free(c->output_s3_bucket);
    free(c->output_s3_prefix);
    for (size_t i = 0; i < c->n_instance_ids; i++)
        free(c->instance_ids[i]);
    free(c->instance_ids);
}

void cf_ssm_command_list_free(cf_ssm_command_list *l)
{
    if (l)
        cf_svc_items_free(l->items, l->n, sizeof(*l->items), cmd_release);
    free(l);
}

static int cmd_parse(json_t *o, void *elem)
{
    cf_ssm_command *c = elem;
    json_t *ids, *v;
    size_t i;
    int rc;

    rc = cf_svc_json_id(o, "CommandId", "SSM", "command", &c->command_id);
    if (!rc)
        rc = cf_svc_json_str(o, "DocumentName", &c->document_name);
    if (!rc)
        rc = cf_svc_json_str(o, "Comment", &c->comment);
    if (!rc)
        rc = cf_svc_json_str(o, "Status", &c->status);
    if (!rc)
        rc = cf_svc_json_str(o, "StatusDetails", &c->status_details);
    if (!rc)
        rc = j_time(o, "RequestedDateTime", &c->requested_time);
    if (!rc)
        rc = cf_svc_json_str(o, "OutputS3BucketName", &c->output_s3_bucket);
    if (!rc)
        rc = cf_svc_json_str(o, "OutputS3KeyPrefix", &c->output_s3_prefix);
    if (!rc)
        rc = j_int(o, "TimeoutSeconds", &c->timeout_s);
    ids = json_object_get(o, "InstanceIds");
    if (!rc && json_is_array(ids)) {
        rc = cf_svc_grow((void **)&c->instance_ids, 0, json_array_size(ids), sizeof(char *),
                         &ssm_cap);
        json_array_foreach(ids, i, v)
        {
            if (rc)
                break;
            if (!json_is_string(v))
                continue; /* wrong-typed optional values are absent */
            c->instance_ids[c->n_instance_ids] = strdup(json_string_value(v));
            if (!c->instance_ids[c->n_instance_ids])
                rc = cf_svc_oom();
            else
                c->n_instance_ids++;
        }
    }
    return rc;
}

int cf_ssm_parse_commands(cf_ssm_command_list *l, json_t *body)
{
    return cf_svc_json_items(body, "Commands", (void **)&l->items, &l->n, sizeof(*l->items),
                             &ssm_cap, cmd_parse, cmd_release);
}

static int cmd_parse_v(void *l, json_t *b)
{
    return cf_ssm_parse_commands(l, b);
}

int cf_ssm_list_commands(cf_ssm_command_list **out, cf_aws *aws, const char *command_id,
                         const char *instance_id)
{
    cf_ssm_command_list *l = calloc(1, sizeof(*l));
    json_t *body = NULL;
    int rc =
        l ? ids_body(&body, "ListCommands", "MaxResults", json_integer(50), command_id, instance_id)
          : cf_svc_oom();

    *out = NULL;
    if (!rc)
        rc = ssm_pages(aws, "ListCommands", body, l, cmd_parse_v);
    if (rc)
        cf_ssm_command_list_free(l);
    else
        *out = l;
    json_decref(body);
    return rc;
}
