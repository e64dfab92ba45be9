/* ses: SES v2 SendEmail over cf_aws_rest (see ses.h). */
#include "aws/ses.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/svc_internal.h"

/* Destination: {ToAddresses, CcAddresses}; NULL on bad input. */
static json_t *destination(const char *const *to, size_t n_to, const char *const *cc, size_t n_cc)
{
    json_t *d = json_object();

    if (!d)
        return NULL;
    if ((n_to && json_object_set_new(d, "ToAddresses", cf_svc_json_strings(to, n_to))) ||
        (n_cc && json_object_set_new(d, "CcAddresses", cf_svc_json_strings(cc, n_cc)))) {
        json_decref(d);
        return NULL;
    }
    return d;
}

static __thread char ses_last_reqid[128]; /* see cf_ses_last_request_id */

const char *cf_ses_last_request_id(void)
{
    return ses_last_reqid;
}

static int ses_send(char **message_id_out, cf_aws *aws, json_t *body)
{
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    cf_aws_request req = {0};
    int rc;

    req.method = "POST";
    req.path = "/v2/email/outbound-emails";
    req.json_body = body;
    req.content_type = "application/json";
    rc = cf_aws_rest(aws, &cf_aws_svc_sesv2, &req, &r);
    snprintf(ses_last_reqid, sizeof(ses_last_reqid), "%s", r.request_id);
    if (rc) {
        cf_error_wrap("ses SendEmail");
        goto cleanup;
    }
    rc = cf_svc_json_answer(json_object_get(r.json, "MessageId"), "ses", "SendEmail", "MessageId",
                            message_id_out);
cleanup:
    cf_aws_response_release(&r);
    return rc;
}

int cf_ses_send_email(char **message_id_out, cf_aws *aws, const cf_ses_email *e)
{
    json_t *body = NULL, *content = NULL, *bodyj = NULL;
    int rc = 0;

    ses_last_reqid[0] = '\0';
    if (message_id_out)
        *message_id_out = NULL;
    if (!e || !e->from || !e->subject || (!e->text && !e->html) || e->n_to + e->n_cc == 0) {
        rc = cf_error_set(CF_EINVAL, "ses SendEmail: need from, recipients, subject and a body");
        goto cleanup;
    }
    bodyj = json_object();
    if (!bodyj) {
        rc = cf_svc_oom();
        goto cleanup;
    }
    if ((e->text &&
         json_object_set_new(bodyj, "Text",
                             json_pack("{s:s, s:s}", "Data", e->text, "Charset", "UTF-8"))) ||
        (e->html &&
         json_object_set_new(bodyj, "Html",
                             json_pack("{s:s, s:s}", "Data", e->html, "Charset", "UTF-8")))) {
        rc = cf_error_set(CF_EINVAL, "ses SendEmail: body is not UTF-8");
        goto cleanup;
    }
    content = json_pack("{s:{s:{s:s, s:s}, s:O}}", "Simple", "Subject", "Data", e->subject,
                        "Charset", "UTF-8", "Body", bodyj);
    body = json_object();
    if (!content || !body || json_object_set_new(body, "FromEmailAddress", json_string(e->from)) ||
        json_object_set_new(body, "Destination", destination(e->to, e->n_to, e->cc, e->n_cc)) ||
        json_object_set(body, "Content", content) ||
        (e->n_reply_to && json_object_set_new(body, "ReplyToAddresses",
                                              cf_svc_json_strings(e->reply_to, e->n_reply_to))) ||
        (e->configuration_set &&
         json_object_set_new(body, "ConfigurationSetName", json_string(e->configuration_set)))) {
        rc = cf_error_set(CF_EINVAL, "ses SendEmail: bad address or subject (NULL or not UTF-8)");
        goto cleanup;
    }
    rc = ses_send(message_id_out, aws, body);
cleanup:
    json_decref(bodyj);
    json_decref(content);
    json_decref(body);
    return rc;
}

int cf_ses_send_raw_email(char **message_id_out, cf_aws *aws, const char *from,
                          const char *const *to, size_t n_to, const void *mime, size_t len)
{
    json_t *body = NULL;
    char *b64 = NULL;
    int rc = 0;

    ses_last_reqid[0] = '\0';
    if (message_id_out)
        *message_id_out = NULL;
    if (!mime || len == 0 || len > CF_SES_MAX_RAW) {
        rc = cf_error_set(len > CF_SES_MAX_RAW ? CF_ETOOBIG : CF_EINVAL,
                          "ses SendEmail raw: message empty or over %u bytes", CF_SES_MAX_RAW);
        goto cleanup;
    }
    b64 = malloc(4 * ((len + 2) / 3) + 1);
    if (!b64) {
        rc = cf_svc_oom();
        goto cleanup;
    }
    EVP_EncodeBlock((unsigned char *)b64, mime, (int)len);
    body = json_pack("{s:{s:{s:s}}}", "Content", "Raw", "Data", b64);
    if (!body || (from && json_object_set_new(body, "FromEmailAddress", json_string(from))) ||
        (n_to && json_object_set_new(body, "Destination", destination(to, n_to, NULL, 0)))) {
        rc = cf_error_set(CF_EINVAL, "ses SendEmail raw: bad address (NULL or not UTF-8)");
        goto cleanup;
    }
    rc = ses_send(message_id_out, aws, body);
cleanup:
    json_decref(body);
    free(b64);
    return rc;
}
