/* wf_aws: the few AWS helpers the steps share, on top of the typed service calls (aws/ec2.h,
 * aws/ssm.h) and the generic client (aws/cf_aws.h) for S3 and SES.
 * Workflow-internal. */
#ifndef WF_AWS_H
#define WF_AWS_H

#include "aws/cf_aws.h"
#include "aws/ec2.h"
#include "workflow/cf_workflow.h"

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

/* The case tags (casefile:case, casefile:finding, casefile:instance) then extra_kv (key, value,
 * ..., NULL) into tags (at most cap); returns how many were filled. */
size_t wf_case_tags(cf_wf *wf, const char *const *extra_kv, cf_ec2_tag_spec *tags, size_t cap);

/* The request id to journal for a typed EC2 change that returned rc. */
const char *wf_ec2_reqid(int rc);

/* SSM: the id of a command with exactly this comment already sent to instance (every page of
 * ListCommands); cmd_id is "" when there is none. */
int wf_ssm_find_command(cf_wf *wf, const char *instance, const char *comment, char *cmd_id,
                        size_t cap);
/* SSM SendCommand of AWS-RunShellScript (one script, one instance). exec_timeout_s
 * (executionTimeout) and timeout_s (TimeoutSeconds) when > 0. reqid (cap 128) gets the request
 * id, also when the call failed. */
int wf_ssm_send(cf_wf *wf, const char *instance, const char *script, const char *comment,
                int exec_timeout_s, int timeout_s, char *cmd_id, size_t cap, char *reqid);

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
