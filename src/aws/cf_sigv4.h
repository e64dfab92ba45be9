/* cf_sigv4: AWS Signature Version 4 (header signing and presigned query strings).
 * Internal to src/aws (used by the client and by the signing tests). */
#ifndef CF_SIGV4_H
#define CF_SIGV4_H

#include <stdint.h>

#include "aws/cf_aws.h"
#include "common/cf_buf.h"

#define CF_SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"

typedef struct cf_sigv4_request {
    const char *method;
    const char *path;             /* request path as on the wire ("/a%20b"), no query */
    const char *query;            /* query string as on the wire, without '?'; may be NULL */
    const cf_aws_params *headers; /* the headers to sign, any case; must include host */
    const char *payload_hash;     /* lowercase hex SHA-256 of the body, or UNSIGNED-PAYLOAD */
    const char *region;
    const char *service; /* signing name */
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token; /* presign only (headers carry it for header signing); may be NULL */
    int64_t time_ns;
    int s3; /* 1: S3 rules (path neither normalized nor encoded again) */
} cf_sigv4_request;

/* "20150830T123600Z" */
void cf_sigv4_amz_date(int64_t time_ns, char out[17]);
/* The canonical request (for tests and debugging; contains no secret). */
int cf_sigv4_canonical_request(const cf_sigv4_request *r, cf_buf *out);
/* The string to sign. */
int cf_sigv4_string_to_sign(const cf_sigv4_request *r, cf_buf *out);
/* The Authorization header value. The headers must already include x-amz-date (and
 * x-amz-security-token when there is a session token). */
int cf_sigv4_authorization(const cf_sigv4_request *r, cf_buf *out);
/* A presigned query string: r->query plus X-Amz-Algorithm, -Credential, -Date, -Expires,
 * -SignedHeaders, -Security-Token (when any) and -Signature, canonically ordered and encoded.
 * r->headers usually holds only host. */
int cf_sigv4_presign_query(const cf_sigv4_request *r, int expires_s, cf_buf *out);

#endif
