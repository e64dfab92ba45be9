/* cf_aws: the AWS client core — one client object, five protocols, one error shape.
 *
 * A service file (ec2.c, ssm.c, ...) makes a call in a few lines:
 *
 *     cf_aws_params p = CF_AWS_PARAMS_INIT;
 *     cf_aws_response r = CF_AWS_RESPONSE_INIT;
 *     int rc = cf_aws_params_add(&p, "InstanceId.1", id);
 *     if (!rc)
 *         rc = cf_aws_query(aws, &cf_aws_svc_ec2, "DescribeInstances", &p, &r);
 *     if (!rc)
 *         ... walk xmlDocGetRootElement(r.xml) with cf_xml_child / cf_xml_text / CF_XML_FOREACH
 *     cf_aws_response_release(&r);
 *     cf_aws_params_release(&p);
 *
 * Errors follow common/cf_error.h: every function returns 0 or a negative CF_E* code, and sets the
 * thread-local error. When AWS answers with an error, the code is CF_EAWS (CF_EDENIED for
 * AccessDenied and UnauthorizedOperation) and cf_error_last() holds http_status, aws_code (the bare
 * code: "InvalidInstanceID.NotFound", "ThrottlingException", never "prefix#Code" or ":suffix"),
 * request_id and the message. Transport failures are CF_ENET, time limits CF_ETIMEOUT, a body over
 * the cap CF_ETOOBIG, an unparseable success body CF_EPARSE. Retries happen inside the call (see
 * cf_aws_options); the error seen is that of the last attempt.
 *
 * Secrets (secret keys, session tokens, signatures) are never logged nor put in error messages.
 *
 * Thread safety: one cf_aws may be used by several threads at once (curl handles come from a
 * pool, credentials are refreshed under a lock). Params and responses belong to one thread.
 */
#ifndef CF_AWS_H
#define CF_AWS_H

#include <jansson.h>
#include <libxml/tree.h>
#include <stddef.h>
#include <stdint.h>

#include "common/cf_buf.h"
#include "common/cf_error.h"

/* ---- services ------------------------------------------------------------------------------
 */

enum cf_aws_protocol {
    CF_AWS_PROTO_EC2 = 1, /* form POST, XML; errors Response/Errors/Error */
    CF_AWS_PROTO_QUERY,   /* form POST, XML; errors ErrorResponse/Error */
    CF_AWS_PROTO_JSON,    /* POST with X-Amz-Target, JSON 1.0/1.1 */
    CF_AWS_PROTO_REST_XML,
    CF_AWS_PROTO_REST_JSON
};

/* Static description of a service. The predefined ones below are the only ones casefile needs;
 * a service file passes &cf_aws_svc_<name> to the protocol calls. */
typedef struct cf_aws_service {
    const char *service_id;      /* SDK service id: "EC2", "Elastic Load Balancing v2", ... It names
                                    AWS_ENDPOINT_URL_<ID> (upper case, spaces -> '_') and the config
                                    file's [services] key (lower case, spaces -> '_'). */
    const char *endpoint_prefix; /* host prefix: "ec2", "email", "elasticloadbalancing" */
    const char *signing_name;    /* SigV4 service name: "ec2", "ses", "elasticloadbalancing" */
    int protocol;                /* enum cf_aws_protocol */
    const char *api_version;     /* Version= for ec2/query ("2016-11-15") */
    const char *target_prefix;   /* json: X-Amz-Target prefix ("AmazonSSM") */
    const char *json_version;    /* json: "1.1" -> application/x-amz-json-1.1 */
    int global;                  /* one endpoint for all regions (IAM), signed for us-east-1 */
} cf_aws_service;

extern const cf_aws_service cf_aws_svc_ec2;
extern const cf_aws_service cf_aws_svc_s3;
extern const cf_aws_service cf_aws_svc_sts;
extern const cf_aws_service cf_aws_svc_iam;
extern const cf_aws_service cf_aws_svc_sesv2;
extern const cf_aws_service cf_aws_svc_ssm;
extern const cf_aws_service cf_aws_svc_elbv2;
extern const cf_aws_service cf_aws_svc_autoscaling;
extern const cf_aws_service cf_aws_svc_sqs; /* JSON protocol (AmazonSQS, 1.0), as boto3 >= 1.34 */
extern const cf_aws_service cf_aws_svc_ebs;
extern const cf_aws_service cf_aws_svc_cloudtrail;

/* ---- the client ---------------------------------------------------------------------------- */

typedef struct cf_aws cf_aws;

/* Every field may be left 0/NULL to get the SDK behaviour (environment and config files). */
typedef struct cf_aws_options {
    const char *profile;      /* else AWS_PROFILE, else "default" */
    const char *region;       /* else AWS_REGION, AWS_DEFAULT_REGION, profile region */
    const char *endpoint_url; /* for every service; else the endpoint rules (see docs/aws.md) */
    int max_attempts;         /* else AWS_MAX_ATTEMPTS, else profile max_attempts, else 5 */
    int base_delay_ms;        /* backoff base (full jitter); else 100 */
    int max_delay_ms;         /* backoff cap; else 20000 */
    long connect_timeout_ms;  /* per attempt; else 5000 */
    long timeout_ms;          /* whole attempt incl. body; else 60000 */
    long low_speed_time_s;    /* abort when < 1 byte/s for this long; else 30 */
    size_t max_body;          /* response body cap in memory; else 64 MiB */
    int no_credentials;       /* 1: send unsigned requests (tests of the anonymous path) */
} cf_aws_options;

#define CF_AWS_OPTIONS_INIT                                                                        \
    {                                                                                              \
        0                                                                                          \
    }

/* Creates a client; resolves region, profile and retry settings now, credentials lazily (first
 * call). *out is owned by the caller (cf_aws_free). Fails with CF_EPARSE / CF_ETOOBIG on a
 * malformed config or credentials file, CF_EINVAL on a bad setting or an unknown named profile. */
int cf_aws_new(cf_aws **out, const cf_aws_options *opts);
void cf_aws_free(cf_aws *aws); /* accepts NULL; no call may be in flight */

const char *cf_aws_region(const cf_aws *aws); /* never NULL; "" when none configured */
const char *cf_aws_profile(const cf_aws *aws);

/* The base URL a service is called at ("https://ec2.us-east-1.amazonaws.com", or the override),
 * copied into out. CF_ETOOBIG when it does not fit. */
int cf_aws_endpoint(cf_aws *aws, const cf_aws_service *svc, char *out, size_t cap);
/* 1 when the endpoint of svc is overridden (so S3 uses path-style addressing). */
int cf_aws_endpoint_overridden(cf_aws *aws, const cf_aws_service *svc);

/* ---- credentials --------------------------------------------------------------------------- */

typedef struct cf_aws_credentials {
    char access_key_id[129];
    char secret_access_key[129];
    char session_token[4097]; /* "" when none */
    int64_t expiration_ns;    /* 0 when they never expire */
    char source[32]; /* "env", "profile", "config", "process", "assume-role", "container", "imds" */
} cf_aws_credentials;

/* Current credentials (resolved through the chain on first use, refreshed when within 5 minutes
 * of expiry). Copies into *out; wipe it after use. CF_ENOTFOUND when no source has any. */
int cf_aws_get_credentials(cf_aws *aws, cf_aws_credentials *out);
/* Forgets cached credentials, so the next call resolves them again. */
void cf_aws_reset_credentials(cf_aws *aws);

/* ---- request parameters (ordered name/value list) ------------------------------------------ */

typedef struct cf_aws_param {
    char *name;
    char *value;
} cf_aws_param;

typedef struct cf_aws_params {
    cf_aws_param *items;
    size_t len, cap;
} cf_aws_params;

#define CF_AWS_PARAMS_INIT                                                                         \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

/* Copies name and value. CF_ENOMEM on failure (the list is unchanged). */
int cf_aws_params_add(cf_aws_params *p, const char *name, const char *value);
int cf_aws_params_addf(cf_aws_params *p, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Adds or replaces the first parameter with this name. */
int cf_aws_params_set(cf_aws_params *p, const char *name, const char *value);
const char *cf_aws_params_get(const cf_aws_params *p, const char *name); /* NULL when absent */
void cf_aws_params_release(cf_aws_params *p);

/* ---- responses ----------------------------------------------------------------------------- */

#define CF_AWS_MAX_HEADERS 64

typedef struct cf_aws_response {
    long http_status;
    char request_id[128]; /* x-amzn-RequestId / x-amz-request-id / body RequestId; may be "" */
    xmlDoc *xml;          /* ec2, query, rest-xml: the parsed body (NULL when empty/raw) */
    json_t *json;         /* json, rest-json: the parsed body (NULL when empty/raw) */
    cf_buf body;          /* raw body (empty when written to a file) */
    cf_aws_param headers[CF_AWS_MAX_HEADERS]; /* response headers, names lower-cased */
    size_t n_headers;
    int attempts; /* how many HTTP attempts the call took */
} cf_aws_response;

#define CF_AWS_RESPONSE_INIT                                                                       \
    {                                                                                              \
        0                                                                                          \
    }

/* Frees everything the response holds; it can be reused afterwards. Accepts a zeroed response. */
void cf_aws_response_release(cf_aws_response *r);
/* A response header by name (case-insensitive); NULL when absent. Borrowed. */
const char *cf_aws_response_header(const cf_aws_response *r, const char *name);

/* ---- protocol calls ------------------------------------------------------------------------ */
/* On success (2xx) *out holds the parsed body; on failure *out still holds status, request id and
 * raw body for inspection (release it either way). */

/* ec2 / query: POST Action=<action>&Version=<api_version>&<params>, XML response. */
int cf_aws_query(cf_aws *aws, const cf_aws_service *svc, const char *action,
                 const cf_aws_params *params, cf_aws_response *out);

/* json: POST with X-Amz-Target: <target_prefix>.<operation>; body borrowed (NULL sends {}). */
int cf_aws_json(cf_aws *aws, const cf_aws_service *svc, const char *operation, json_t *body,
                cf_aws_response *out);

/* rest-xml / rest-json: any method and path. */
typedef struct cf_aws_request {
    const char *method;           /* "GET", "PUT", ... */
    const char *path;             /* as sent, already percent-encoded (cf_aws_uri_encode), "/..."
                                     (for S3: the key part; see bucket) */
    const char *bucket;           /* S3 only: virtual-hosted or path-style by the endpoint rules */
    const cf_aws_params *query;   /* unencoded names/values; may be NULL */
    const cf_aws_params *headers; /* extra request headers; may be NULL */
    const void *body;             /* borrowed; may be NULL */
    size_t body_len;
    json_t *json_body;         /* rest-json: serialized as the body (instead of body) */
    const char *content_type;  /* NULL: none, or application/json for json_body */
    const char *upload_path;   /* send this file as the body (instead of body) */
    const char *download_path; /* 2xx body goes to this file (atomically), not memory */
    int raw;                   /* 1: do not parse the 2xx body (keep bytes in out->body) */
    size_t max_body;           /* 0: client default */
    int unsigned_payload;      /* 1: x-amz-content-sha256: UNSIGNED-PAYLOAD */
} cf_aws_request;

int cf_aws_rest(cf_aws *aws, const cf_aws_service *svc, const cf_aws_request *req,
                cf_aws_response *out);

/* A presigned URL (query-string SigV4, UNSIGNED-PAYLOAD) valid for expires_s seconds (1..604800).
 * *url_out is malloc'd; the caller frees it. */
int cf_aws_presign(cf_aws *aws, const cf_aws_service *svc, const char *method, const char *bucket,
                   const char *path, const cf_aws_params *query, int expires_s, char **url_out);

/* ---- pagination ---------------------------------------------------------------------------- */

/* Called once per page. Return 0 for the next page, 1 to stop early (success), <0 to fail. */
typedef int (*cf_aws_page_fn)(void *ctx, const cf_aws_response *page);

/* Repeats an ec2/query call while the response has a token: the text of the element named
 * token_elem anywhere under the root's result ("nextToken", "NextToken", "NextMarker", "Marker",
 * "NextContinuationToken"), sent back as parameter token_param. At most max_pages pages (0: 1000);
 * a repeated token stops with CF_EPARSE (a server that loops). */
int cf_aws_query_paginate(cf_aws *aws, const cf_aws_service *svc, const char *action,
                          const cf_aws_params *params, const char *token_param,
                          const char *token_elem, int max_pages, cf_aws_page_fn fn, void *ctx);
/* The same for json: body[token_in] = response[token_out] ("NextToken"/"NextToken"). body is
 * borrowed and left as it was given. */
int cf_aws_json_paginate(cf_aws *aws, const cf_aws_service *svc, const char *operation,
                         json_t *body, const char *token_in, const char *token_out, int max_pages,
                         cf_aws_page_fn fn, void *ctx);

/* ---- errors -------------------------------------------------------------------------------- */

/* Parses an AWS error body of any protocol (XML Response/Errors/Error, ErrorResponse/Error, S3
 * Error; JSON __type / code / message, header x-amzn-ErrorType) and sets the thread error with
 * cf_error_set_aws(). Used by the calls above; public for tests and fuzzing. Always returns a
 * negative code (CF_EAWS or CF_EDENIED), even for an unparseable body. */
int cf_aws_error_from_response(long http_status, const char *body, size_t len,
                               const char *x_amzn_error_type, const char *header_request_id);
/* 1 when the thread's last error has this AWS code. */
int cf_aws_error_is(const char *aws_code);
/* 1 when the last error is EC2's DryRunOperation ("would have succeeded"). */
int cf_aws_error_is_dry_run_ok(void);
/* 1 when aws_code / HTTP status is a throttling or transient error the client retries. */
int cf_aws_error_retryable(long http_status, const char *aws_code);

/* ---- idempotency tokens -------------------------------------------------------------------- */

#define CF_AWS_TOKEN_MAX 65
/* A stable client token from a caller seed ("case-id/step/resource"): the same seed always gives
 * the same token, across retries and process restarts. 32 hex characters (fits EC2's 64-char
 * ClientToken and ASCII-only rules). */
void cf_aws_client_token(const char *seed, char out[CF_AWS_TOKEN_MAX]);
/* The same, formatted as a UUID (8-4-4-4-12, version 5 bits set), for APIs that want one. */
void cf_aws_client_token_uuid(const char *seed, char out[CF_AWS_TOKEN_MAX]);

/* ---- encoding ------------------------------------------------------------------------------ */

/* RFC 3986 percent-encoding as SigV4 wants it (unreserved A-Z a-z 0-9 - _ . ~ kept); '/' kept
 * when keep_slash. Appends to out. */
int cf_aws_uri_encode(cf_buf *out, const char *s, size_t len, int keep_slash);

/* ---- XML helpers (libxml2, namespaces ignored) --------------------------------------------- */

/* Parses an untrusted XML body: no entity substitution, no DTD loading, no network, size-capped by
 * the caller. *out is owned by the caller (xmlFreeDoc). CF_EPARSE on malformed input. */
int cf_xml_parse(const char *data, size_t len, xmlDoc **out);
/* First child element with this local name (any namespace); NULL when absent or node NULL. */
xmlNode *cf_xml_child(xmlNode *node, const char *name);
/* Next sibling element with this local name. */
xmlNode *cf_xml_next(xmlNode *node, const char *name);
/* Follows a '/'-separated path of local names from node ("reservationSet/item/instancesSet"). */
xmlNode *cf_xml_path(xmlNode *node, const char *path);
/* Text content of the element at path (path NULL or "": node itself). Borrowed from the document;
 * "" for an empty element, NULL when absent or when the element has element children. */
const char *cf_xml_text(xmlNode *node, const char *path);
/* Copies the text at path into out (truncating is an error: CF_ETOOBIG; absent: CF_ENOTFOUND). */
int cf_xml_text_copy(xmlNode *node, const char *path, char *out, size_t cap);
/* Integer / boolean at path. CF_ENOTFOUND when absent, CF_EPARSE when not a number / bool. */
int cf_xml_int64(xmlNode *node, const char *path, int64_t *out);
int cf_xml_bool(xmlNode *node, const char *path, int *out);

/* Iterates the child elements named `name` of parent: `item` (ec2) or `member` (query).
 *   xmlNode *it; CF_XML_FOREACH(it, cf_xml_path(root, "reservationSet"), "item") { ... } */
#define CF_XML_FOREACH(var, parent, name)                                                          \
    for ((var) = cf_xml_child((parent), (name)); (var); (var) = cf_xml_next((var), (name)))

#endif
