/* wf_aws: the few AWS helpers the steps share, on top of the generic client (aws/cf_aws.h).
 * Workflow-internal. */
#ifndef WF_AWS_H
#define WF_AWS_H

#include "aws/cf_aws.h"
#include "workflow/cf_workflow.h"

/* EC2 query call; on an AWS error the message is prefixed with the action. */
int wf_ec2(cf_wf *wf, const char *action, const cf_aws_params *p, cf_aws_response *r);
/* Query-protocol call for another service (elbv2, autoscaling, iam, sts). */
int wf_query(cf_wf *wf, const cf_aws_service *svc, const char *action, const cf_aws_params *p,
             cf_aws_response *r);

/* S3 GET of bucket/key into body (bounded by max); etag_out (may be NULL, cap 128) gets the
 * ETag. CF_ENOTFOUND when the object does not exist. */
int wf_s3_get(cf_wf *wf, const char *bucket, const char *key, size_t max, cf_buf *body,
              char *etag_out);
/* S3 GET into a file. */
int wf_s3_get_file(cf_wf *wf, const char *bucket, const char *key, const char *path);
/* S3 HEAD: CF_OK when the object exists, CF_ENOTFOUND when not. */
int wf_s3_head(cf_wf *wf, const char *bucket, const char *key);
/* S3 PUT. if_match: ETag the object must still have; if_none_match_any: the object must not
 * exist. Both NULL/0: unconditional. A failed condition is CF_EEXISTS. request_id_out may be
 * NULL (cap 128). */
int wf_s3_put(cf_wf *wf, const char *bucket, const char *key, const void *data, size_t len,
              const char *upload_path, const char *if_match, int if_none_match_any,
              char *request_id_out);

/* Adds the EC2 tag specification parameters for ResourceType with the case tags. */
int wf_add_case_tags(cf_wf *wf, cf_aws_params *p, const char *prefix, const char *resource_type,
                     const char *const *extra_kv /* key, value, ..., NULL */);

/* Text of the element at path under node, or "" (never NULL). */
const char *wf_xml(xmlNode *node, const char *path);

/* E-mail through SES v2 SendEmail (request_id_out: cap 128). Simple text content: */
int wf_send_email(cf_wf *wf, const char *subject, const char *text, char *request_id_out);
/* A raw MIME message (at most 10 MiB), base64 in Content.Raw.Data: */
int wf_send_raw_email(cf_wf *wf, const void *mime, size_t len, char *request_id_out);
/* The L1 alert rendered by the report part (raw MIME appended to out); CF_ENOTFOUND when that
 * part is not built. */
int wf_alert_mime(cf_wf *wf, cf_buf *out);

/* Sleeps ms milliseconds. */
void wf_sleep_ms(int ms);

#endif
