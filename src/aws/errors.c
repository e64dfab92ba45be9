/* One error shape from every protocol's error body, and the retry classification. */
#include "aws/cf_aws.h"
#include "common/cf_json.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define FIELD_MAX 512

/* Copies s into out without control characters, so a hostile body cannot forge log lines. */
static void copy_clean(char *out, size_t cap, const char *s, size_t n)
{
    size_t j = 0;
    if (!cap)
        return;
    for (size_t i = 0; s && i < n && s[i] && j + 1 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        out[j++] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
    }
    out[j] = '\0';
}

/* "aws.protocoltests#ValidationException:http://..." -> "ValidationException" */
static void bare_code(char *out, size_t cap, const char *s)
{
    const char *hash, *colon;
    size_t n;
    if (!s) {
        out[0] = '\0';
        return;
    }
    hash = strrchr(s, '#');
    if (hash)
        s = hash + 1;
    colon = strchr(s, ':');
    n = colon ? (size_t)(colon - s) : strlen(s);
    copy_clean(out, cap, s, n);
}

static const char *status_code_name(long status)
{
    switch (status) {
    case 304:
        return "NotModified";
    case 400:
        return "BadRequest";
    case 403:
        return "Forbidden";
    case 404:
        return "NotFound";
    case 409:
        return "Conflict";
    case 412:
        return "PreconditionFailed";
    case 429:
        return "TooManyRequests";
    case 500:
        return "InternalError";
    case 502:
        return "BadGateway";
    case 503:
        return "ServiceUnavailable";
    case 504:
        return "GatewayTimeout";
    default:
        return NULL;
    }
}

static void from_xml(const char *body, size_t len, char *code, char *msg, char *rid)
{
    xmlDoc *doc = NULL;
    cf_error saved;
    xmlNode *root, *err = NULL;
    const char *t;
    cf_error_save(&saved);
    if (cf_xml_parse(body, len, &doc))
        goto cleanup;
    root = xmlDocGetRootElement(doc);
    if (strcmp((const char *)root->name, "Response") == 0) { /* EC2 */
        err = cf_xml_path(root, "Errors/Error");
        t = cf_xml_text(root, "RequestID");
        if (!t)
            t = cf_xml_text(root, "RequestId");
        if (t)
            copy_clean(rid, FIELD_MAX, t, strlen(t));
    } else if (strcmp((const char *)root->name, "ErrorResponse") == 0) { /* query */
        err = cf_xml_child(root, "Error");
        if (!err) /* moto's auth errors: ErrorResponse/Errors/Error */
            err = cf_xml_path(root, "Errors/Error");
        t = cf_xml_text(root, "RequestId");
        if (t)
            copy_clean(rid, FIELD_MAX, t, strlen(t));
    } else if (strcmp((const char *)root->name, "Error") == 0) { /* S3 */
        err = root;
        t = cf_xml_text(root, "RequestId");
        if (t)
            copy_clean(rid, FIELD_MAX, t, strlen(t));
    }
    if (!err)
        goto cleanup;
    t = cf_xml_text(err, "Code");
    if (t)
        bare_code(code, FIELD_MAX, t);
    t = cf_xml_text(err, "Message");
    if (t)
        copy_clean(msg, FIELD_MAX, t, strlen(t));
cleanup:
    if (doc)
        xmlFreeDoc(doc);
    cf_error_restore(&saved);
}

static const char *json_any(json_t *j, const char *a, const char *b, const char *c)
{
    const char *names[3] = {a, b, c};
    for (int i = 0; i < 3; i++) {
        json_t *v = names[i] ? json_object_get(j, names[i]) : NULL;
        if (json_is_string(v))
            return json_string_value(v);
    }
    return NULL;
}

static void from_json(const char *body, size_t len, char *code, char *msg)
{
    json_t *j = NULL;
    cf_error saved;
    const char *t;
    cf_error_save(&saved);
    if (cf_json_parse(body, len, &j) || !json_is_object(j))
        goto cleanup;
    t = json_any(j, "__type", "code", "Code");
    if (t)
        bare_code(code, FIELD_MAX, t);
    t = json_any(j, "message", "Message", "errorMessage");
    if (t)
        copy_clean(msg, FIELD_MAX, t, strlen(t));
cleanup:
    json_decref(j);
    cf_error_restore(&saved);
}

int cf_aws_error_from_response(long http_status, const char *body, size_t len,
                               const char *x_amzn_error_type, const char *header_request_id)
{
    char code[FIELD_MAX] = "", msg[FIELD_MAX] = "", rid[FIELD_MAX] = "";
    size_t i = 0;
    if (!body)
        len = 0;
    while (i < len && (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' || body[i] == '\t'))
        i++;
    if (i < len && body[i] == '<')
        from_xml(body, len, code, msg, rid);
    else if (i < len && body[i] == '{')
        from_json(body, len, code, msg);
    if (x_amzn_error_type && *x_amzn_error_type)
        bare_code(code, sizeof(code), x_amzn_error_type);
    if (header_request_id && *header_request_id)
        copy_clean(rid, sizeof(rid), header_request_id, strlen(header_request_id));
    if (!*code) {
        const char *n = status_code_name(http_status);
        if (n)
            snprintf(code, sizeof(code), "%s", n);
        else
            snprintf(code, sizeof(code), "HTTP%ld", http_status);
    }
    return cf_error_set_aws(http_status, code, rid, "AWS error %s (HTTP %ld%s%s)%s%s", code,
                            http_status, *rid ? ", request " : "", rid, *msg ? ": " : "", msg);
}

int cf_aws_error_is(const char *aws_code)
{
    const cf_error *e = cf_error_last();
    return aws_code && e->aws_code[0] && strcmp(e->aws_code, aws_code) == 0;
}

int cf_aws_error_is_dry_run_ok(void)
{
    return cf_aws_error_is("DryRunOperation");
}

static const char *const retry_codes[] = {
    /* throttling (the SDKs' standard retry mode list) */
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
    "TooManyRequestsException", "ProvisionedThroughputExceededException",
    "TransactionInProgressException", "RequestLimitExceeded", "BandwidthLimitExceeded",
    "LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
    "EC2ThrottledException",
    /* transient */
    "RequestTimeout", "RequestTimeoutException", "InternalError", "InternalFailure",
    "ServiceUnavailable", "IDPCommunicationError", NULL};

int cf_aws_error_retryable(long http_status, const char *aws_code)
{
    if (http_status == 429 || http_status == 500 || http_status == 502 || http_status == 503 ||
        http_status == 504)
        return 1;
    for (int i = 0; aws_code && retry_codes[i]; i++)
        if (strcmp(aws_code, retry_codes[i]) == 0)
            return 1;
    return 0;
}
