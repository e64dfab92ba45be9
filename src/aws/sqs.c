/* sqs: calls over cf_aws_json (see sqs.h). */
#include "aws/sqs.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/svc_internal.h"

#define SQS_MAX_BATCH 10

/* A decimal attribute string ("12") into *out; -1 when absent; CF_EPARSE when not decimal. */
static int attr_num(json_t *attrs, const char *key, int64_t max, int64_t *out)
{
    const char *s = json_string_value(json_object_get(attrs, key));
    int64_t v = 0;

    *out = -1;
    if (!s)
        return 0;
    if (!*s || strlen(s) > 18)
        return cf_error_set(CF_EPARSE, "SQS response: bad %s", key);
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return cf_error_set(CF_EPARSE, "SQS response: bad %s", key);
        v = v * 10 + (*p - '0');
    }
    if (v > max)
        return cf_error_set(CF_EPARSE, "SQS response: %s out of range", key);
    *out = v;
    return 0;
}

static void msg_release(void *elem)
{
    cf_sqs_message *m = elem;

    free(m->id);
    free(m->receipt_handle);
    free(m->body);
}

void cf_sqs_message_list_free(cf_sqs_message_list *l)
{
    if (l)
        cf_svc_items_free(l->items, l->n, sizeof(*l->items), msg_release);
    free(l);
}

static int md5_hex(const char *data, size_t len, char out[33])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    static const char hex[] = "0123456789abcdef";

    if (EVP_Digest(data, len, md, &mdlen, EVP_md5(), NULL) != 1 || mdlen != 16)
        return cf_error_set(CF_ERR, "MD5 unavailable");
    for (unsigned i = 0; i < 16; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[32] = 0;
    return 0;
}

static int msg_parse(json_t *o, void *elem)
{
    cf_sqs_message *m = elem;
    json_t *attrs = json_object_get(o, "Attributes"), *b = json_object_get(o, "Body");
    const char *md5 = json_string_value(json_object_get(o, "MD5OfBody"));
    char got[33];
    int64_t v;
    int rc;

    if (!json_is_object(o))
        return cf_error_set(CF_EPARSE, "SQS response: message is not an object");
    rc = cf_svc_json_str(o, "MessageId", &m->id);
    if (!rc)
        rc = cf_svc_json_str(o, "ReceiptHandle", &m->receipt_handle);
    if (!rc && (!m->id || !m->receipt_handle))
        rc = cf_error_set(CF_EPARSE, "SQS response: message without MessageId/ReceiptHandle");
    if (!rc && !json_is_string(b))
        rc = cf_error_set(CF_EPARSE, "SQS response: message %s without a Body", m->id);
    if (rc)
        return rc;
    m->body_len = json_string_length(b);
    m->body = malloc(m->body_len + 1);
    if (!m->body)
        return cf_svc_oom();
    memcpy(m->body, json_string_value(b), m->body_len);
    m->body[m->body_len] = 0;
    if (md5) {
        rc = md5_hex(m->body, m->body_len, got);
        if (!rc && strcasecmp(got, md5) != 0)
            rc =
                cf_error_set(CF_EINTEGRITY, "SQS message %s: body does not match MD5OfBody", m->id);
        if (rc)
            return rc;
    }
    rc = attr_num(attrs, "ApproximateReceiveCount", 2147483647LL, &v);
    m->receive_count = (int)v;
    if (!rc)
        rc = attr_num(attrs, "SentTimestamp", INT64_MAX / 1000000, &m->sent_timestamp_ms);
    return rc;
}

int cf_sqs_parse_messages(cf_sqs_message_list *l, json_t *body)
{
    /* one receive is at most SQS_MAX_BATCH messages; the cap only keeps sizes from overflowing */
    static const cf_svc_cap cap = {"SQS", SIZE_MAX / sizeof(cf_sqs_message), "messages"};
    json_t *arr = json_object_get(body, "Messages");

    if (json_is_array(arr) && json_array_size(arr) > SQS_MAX_BATCH)
        return cf_error_set(CF_EPARSE, "SQS response: %zu messages, at most %d expected",
                            json_array_size(arr), SQS_MAX_BATCH);
    return cf_svc_json_items(body, "Messages", (void **)&l->items, &l->n, sizeof(*l->items), &cap,
                             msg_parse, msg_release);
}

/* One call; *resp released by the caller. */
static int sqs_call(cf_aws *aws, const char *op, json_t *body, cf_aws_response *r)
{
    int rc;

    if (!body)
        return cf_error_set(CF_EINVAL, "sqs %s: bad arguments (NULL or not UTF-8)", op);
    rc = cf_aws_json(aws, &cf_aws_svc_sqs, op, body, r);
    if (rc)
        cf_error_wrap("sqs %s", op);
    return rc;
}

/* One call that takes body (freed here) and, with out, answers the string member key (malloc'd
 * into *out; its absence is CF_EPARSE). */
static int sqs_call_str(cf_aws *aws, const char *op, json_t *body, const char *key, char **out)
{
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    int rc = sqs_call(aws, op, body, &r);

    if (out)
        *out = NULL;
    if (!rc && out)
        rc = cf_svc_json_answer(json_object_get(r.json, key), "sqs", op, key, out);
    json_decref(body);
    cf_aws_response_release(&r);
    return rc;
}

int cf_sqs_get_queue_url(char **url_out, cf_aws *aws, const char *queue_name)
{
    json_t *body = queue_name ? json_pack("{s:s}", "QueueName", queue_name) : NULL;

    return sqs_call_str(aws, "GetQueueUrl", body, "QueueUrl", url_out);
}

int cf_sqs_send_message(char **message_id_out, cf_aws *aws, const char *queue_url,
                        const char *body_text)
{
    json_t *body = (queue_url && body_text)
                       ? json_pack("{s:s, s:s}", "QueueUrl", queue_url, "MessageBody", body_text)
                       : NULL;

    return sqs_call_str(aws, "SendMessage", body, "MessageId", message_id_out);
}

int cf_sqs_receive_message(cf_sqs_message_list **out, cf_aws *aws, const char *queue_url,
                           int max_messages, int wait_s, int visibility_timeout_s)
{
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    cf_sqs_message_list *l = NULL;
    json_t *body = NULL;
    int rc = 0;

    *out = NULL;
    if (!queue_url || max_messages < 1 || max_messages > SQS_MAX_BATCH || wait_s < 0 ||
        wait_s > 20) {
        rc = cf_error_set(CF_EINVAL, "sqs ReceiveMessage: bad queue, count (1..10) or wait");
        goto cleanup;
    }
    body = json_pack("{s:s, s:i, s:i, s:[s, s]}", "QueueUrl", queue_url, "MaxNumberOfMessages",
                     max_messages, "WaitTimeSeconds", wait_s, "MessageSystemAttributeNames",
                     "ApproximateReceiveCount", "SentTimestamp");
    if (body && visibility_timeout_s >= 0 &&
        json_object_set_new(body, "VisibilityTimeout", json_integer(visibility_timeout_s))) {
        rc = cf_svc_oom();
        goto cleanup;
    }
    /* older servers read AttributeNames */
    if (body &&
        json_object_set_new(body, "AttributeNames",
                            json_pack("[s, s]", "ApproximateReceiveCount", "SentTimestamp"))) {
        rc = cf_svc_oom();
        goto cleanup;
    }
    rc = sqs_call(aws, "ReceiveMessage", body, &r);
    if (rc)
        goto cleanup;
    l = calloc(1, sizeof(*l));
    if (!l) {
        rc = cf_svc_oom();
        goto cleanup;
    }
    rc = json_is_object(r.json) ? cf_sqs_parse_messages(l, r.json)
                                : cf_error_set(CF_EPARSE, "SQS response: not a JSON object");
    if (rc)
        goto cleanup;
    *out = l;
    l = NULL;
cleanup:
    cf_sqs_message_list_free(l);
    json_decref(body);
    cf_aws_response_release(&r);
    return rc;
}

int cf_sqs_delete_message(cf_aws *aws, const char *queue_url, const char *receipt_handle)
{
    json_t *body = (queue_url && receipt_handle) ? json_pack("{s:s, s:s}", "QueueUrl", queue_url,
                                                             "ReceiptHandle", receipt_handle)
                                                 : NULL;

    return sqs_call_str(aws, "DeleteMessage", body, NULL, NULL);
}

int cf_sqs_change_message_visibility(cf_aws *aws, const char *queue_url, const char *receipt_handle,
                                     int visibility_timeout_s)
{
    json_t *body =
        (queue_url && receipt_handle && visibility_timeout_s >= 0 && visibility_timeout_s <= 43200)
            ? json_pack("{s:s, s:s, s:i}", "QueueUrl", queue_url, "ReceiptHandle", receipt_handle,
                        "VisibilityTimeout", visibility_timeout_s)
            : NULL;

    return sqs_call_str(aws, "ChangeMessageVisibility", body, NULL, NULL);
}
