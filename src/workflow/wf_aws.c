#include "workflow/wf_aws.h"
#include "aws/s3.h"
#include "aws/ssm.h"
#include "common/cf_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A typed S3 call's failure in the workflow's terms: a missing object is CF_ENOTFOUND with
 * "s3://b/k does not exist", anything else keeps its code with the call and object named. */
static int s3_err(int rc, const char *call, const char *bucket, const char *key)
{
    if (rc == CF_ENOTFOUND)
        return cf_error_set(CF_ENOTFOUND, "s3://%s/%s does not exist", bucket, key);
    return cf_error_wrap("s3 %s s3://%s/%s", call, bucket, key);
}

int wf_s3_get(cf_wf *wf, const char *bucket, const char *key, size_t max, cf_buf *body,
              char *etag_out)
{
    cf_s3_object_info info;
    int rc = cf_s3_get_object(wf->aws, bucket, key, max, body, &info);
    if (rc)
        return s3_err(rc, "GET", bucket, key);
    if (etag_out)
        snprintf(etag_out, 128, "%s", info.etag);
    return CF_OK;
}

int wf_s3_get_file(cf_wf *wf, const char *bucket, const char *key, const char *file)
{
    int rc = cf_s3_get_object_file(wf->aws, bucket, key, file, NULL);
    return rc ? s3_err(rc, "GET", bucket, key) : CF_OK;
}

int wf_s3_head(cf_wf *wf, const char *bucket, const char *key)
{
    int rc = cf_s3_head_object(wf->aws, bucket, key, NULL);
    return rc ? s3_err(rc, "HEAD", bucket, key) : CF_OK;
}

int wf_s3_put(cf_wf *wf, const char *bucket, const char *key, const void *data, size_t len,
              const char *upload_path, const char *if_match, int if_none_match_any,
              char *request_id_out)
{
    cf_s3_put_options o = {NULL, if_none_match_any, if_match && *if_match ? if_match : NULL};
    cf_s3_object_info info;
    int rc;
    memset(&info, 0, sizeof(info));
    rc = upload_path ? cf_s3_put_object_file(wf->aws, bucket, key, upload_path, &o, &info)
                     : cf_s3_put_object(wf->aws, bucket, key, data, len, &o, &info);
    if (request_id_out)
        snprintf(request_id_out, 128, "%s", rc ? cf_error_last()->request_id : info.request_id);
    if (rc && (cf_error_last()->http_status == 412 || cf_error_last()->http_status == 409))
        return cf_error_set(CF_EEXISTS, "s3://%s/%s changed meanwhile (HTTP %ld)", bucket, key,
                            cf_error_last()->http_status);
    return rc ? s3_err(rc, "PUT", bucket, key) : CF_OK;
}

size_t wf_case_tags(cf_wf *wf, const char *const *extra_kv, cf_ec2_tag_spec *tags, size_t cap)
{
    const char *base[] = {"casefile:case", wf->case_id,         "casefile:finding",
                          wf->finding.id,  "casefile:instance", wf->finding.instance_id};
    size_t n = 0;
    for (size_t i = 0; i < 6 && n < cap; i += 2, n++) {
        tags[n].key = base[i];
        tags[n].value = base[i + 1];
    }
    for (size_t i = 0; extra_kv && extra_kv[i] && extra_kv[i + 1] && n < cap; i += 2, n++) {
        tags[n].key = extra_kv[i];
        tags[n].value = extra_kv[i + 1];
    }
    return n;
}

const char *wf_ec2_reqid(int rc)
{
    return rc < 0 ? cf_error_last()->request_id : cf_ec2_last_request_id();
}

int wf_ssm_find_command(cf_wf *wf, const char *instance, const char *comment, char *cmd_id,
                        size_t cap)
{
    cf_ssm_command_list *l = NULL;
    int rc = cf_ssm_list_commands(&l, wf->aws, NULL, instance);
    cmd_id[0] = '\0';
    for (size_t i = 0; !rc && i < l->n; i++)
        if (l->items[i].comment && !strcmp(l->items[i].comment, comment)) {
            snprintf(cmd_id, cap, "%s", l->items[i].command_id);
            break;
        }
    cf_ssm_command_list_free(l);
    return rc;
}

int wf_ssm_send(cf_wf *wf, const char *instance, const char *script, const char *comment,
                int exec_timeout_s, int timeout_s, char *cmd_id, size_t cap, char *reqid)
{
    const char *ids[] = {instance}, *cmds[] = {script};
    cf_ssm_command_spec s = {0};
    char *id = NULL;
    int rc;
    s.instance_ids = ids;
    s.n_instance_ids = 1;
    s.commands = cmds;
    s.n_commands = 1;
    s.execution_timeout_s = exec_timeout_s;
    s.timeout_s = timeout_s;
    s.comment = comment;
    rc = cf_ssm_send_command(&id, wf->aws, &s);
    snprintf(reqid, 128, "%s", cf_ssm_last_request_id());
    snprintf(cmd_id, cap, "%s", id ? id : "");
    free(id);
    return rc;
}

void wf_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}
