#include "workflow/wf_aws.h"
#include "common/cf_error.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int wf_query(cf_wf *wf, const cf_aws_service *svc, const char *action, const cf_aws_params *p,
             cf_aws_response *r)
{
    int rc = cf_aws_query(wf->aws, svc, action, p, r);
    if (rc)
        cf_error_wrap("%s", action);
    return rc;
}

int wf_ec2(cf_wf *wf, const char *action, const cf_aws_params *p, cf_aws_response *r)
{
    return wf_query(wf, &cf_aws_svc_ec2, action, p, r);
}

static int s3_path(cf_buf *path, const char *key)
{
    int rc = cf_buf_addch(path, '/');
    if (!rc)
        rc = cf_aws_uri_encode(path, key, strlen(key), 1);
    return rc;
}

int wf_s3_get(cf_wf *wf, const char *bucket, const char *key, size_t max, cf_buf *body,
              char *etag_out)
{
    cf_buf path = CF_BUF_INIT(4096);
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    cf_aws_request q = {0};
    int rc;
    if ((rc = s3_path(&path, key)))
        goto cleanup;
    q.method = "GET";
    q.bucket = bucket;
    q.path = cf_buf_cstr(&path);
    q.raw = 1;
    q.max_body = max;
    rc = cf_aws_rest(wf->aws, &cf_aws_svc_s3, &q, &r);
    if (rc) {
        if (r.http_status == 404)
            rc = cf_error_set(CF_ENOTFOUND, "s3://%s/%s does not exist", bucket, key);
        else
            cf_error_wrap("s3 GET s3://%s/%s", bucket, key);
        goto cleanup;
    }
    if (etag_out) {
        const char *e = cf_aws_response_header(&r, "etag");
        snprintf(etag_out, 128, "%s", e ? e : "");
    }
    rc = cf_buf_add(body, r.body.data ? r.body.data : "", r.body.len);
cleanup:
    cf_aws_response_release(&r);
    cf_buf_release(&path);
    return rc;
}

int wf_s3_get_file(cf_wf *wf, const char *bucket, const char *key, const char *file)
{
    cf_buf path = CF_BUF_INIT(4096);
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    cf_aws_request q = {0};
    int rc;
    if ((rc = s3_path(&path, key)))
        goto cleanup;
    q.method = "GET";
    q.bucket = bucket;
    q.path = cf_buf_cstr(&path);
    q.download_path = file;
    q.raw = 1;
    rc = cf_aws_rest(wf->aws, &cf_aws_svc_s3, &q, &r);
    if (rc) {
        if (r.http_status == 404)
            rc = cf_error_set(CF_ENOTFOUND, "s3://%s/%s does not exist", bucket, key);
        else
            cf_error_wrap("s3 GET s3://%s/%s", bucket, key);
    }
cleanup:
    cf_aws_response_release(&r);
    cf_buf_release(&path);
    return rc;
}

int wf_s3_head(cf_wf *wf, const char *bucket, const char *key)
{
    cf_buf path = CF_BUF_INIT(4096);
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    cf_aws_request q = {0};
    int rc;
    if ((rc = s3_path(&path, key)))
        goto cleanup;
    q.method = "HEAD";
    q.bucket = bucket;
    q.path = cf_buf_cstr(&path);
    q.raw = 1;
    rc = cf_aws_rest(wf->aws, &cf_aws_svc_s3, &q, &r);
    if (rc) {
        if (r.http_status == 404)
            rc = cf_error_set(CF_ENOTFOUND, "s3://%s/%s does not exist", bucket, key);
        else
            cf_error_wrap("s3 HEAD s3://%s/%s", bucket, key);
    }
cleanup:
    cf_aws_response_release(&r);
    cf_buf_release(&path);
    return rc;
}

int wf_s3_put(cf_wf *wf, const char *bucket, const char *key, const void *data, size_t len,
              const char *upload_path, const char *if_match, int if_none_match_any,
              char *request_id_out)
{
    cf_buf path = CF_BUF_INIT(4096);
    cf_aws_params h = CF_AWS_PARAMS_INIT;
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    cf_aws_request q = {0};
    int rc;
    if ((rc = s3_path(&path, key)))
        goto cleanup;
    if (if_match && *if_match && (rc = cf_aws_params_add(&h, "If-Match", if_match)))
        goto cleanup;
    if (if_none_match_any && (rc = cf_aws_params_add(&h, "If-None-Match", "*")))
        goto cleanup;
    q.method = "PUT";
    q.bucket = bucket;
    q.path = cf_buf_cstr(&path);
    q.headers = &h;
    q.body = data;
    q.body_len = len;
    q.upload_path = upload_path;
    q.raw = 1;
    rc = cf_aws_rest(wf->aws, &cf_aws_svc_s3, &q, &r);
    if (request_id_out)
        snprintf(request_id_out, 128, "%s", r.request_id);
    if (rc) {
        if (r.http_status == 412 || r.http_status == 409)
            rc = cf_error_set(CF_EEXISTS, "s3://%s/%s changed meanwhile (HTTP %ld)", bucket, key,
                              r.http_status);
        else
            cf_error_wrap("s3 PUT s3://%s/%s", bucket, key);
    }
cleanup:
    cf_aws_response_release(&r);
    cf_aws_params_release(&h);
    cf_buf_release(&path);
    return rc;
}

int wf_add_case_tags(cf_wf *wf, cf_aws_params *p, const char *prefix, const char *resource_type,
                     const char *const *extra_kv)
{
    char name[128];
    int n = 1, rc;
    snprintf(name, sizeof(name), "%s.ResourceType", prefix);
    if ((rc = cf_aws_params_add(p, name, resource_type)))
        return rc;
#define TAG(k, v)                                                                                  \
    do {                                                                                           \
        snprintf(name, sizeof(name), "%s.Tag.%d.Key", prefix, n);                                  \
        if ((rc = cf_aws_params_add(p, name, (k))))                                                \
            return rc;                                                                             \
        snprintf(name, sizeof(name), "%s.Tag.%d.Value", prefix, n);                                \
        if ((rc = cf_aws_params_add(p, name, (v))))                                                \
            return rc;                                                                             \
        n++;                                                                                       \
    } while (0)
    TAG("casefile:case", wf->case_id);
    TAG("casefile:finding", wf->finding.id);
    TAG("casefile:instance", wf->finding.instance_id);
    for (size_t i = 0; extra_kv && extra_kv[i] && extra_kv[i + 1]; i += 2)
        TAG(extra_kv[i], extra_kv[i + 1]);
#undef TAG
    return CF_OK;
}

const char *wf_xml(xmlNode *node, const char *path)
{
    const char *t = node ? cf_xml_text(node, path) : NULL;
    return t ? t : "";
}

void wf_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}
