/* S3: the object calls casefile needs (evidence, reports, tools, the malicious-IP list).
 *
 * Errors: as cf_aws.h. A missing object or bucket gives CF_ENOTFOUND (aws_code NoSuchKey,
 * NoSuchBucket or NotFound kept in cf_error_last()). A failed condition (If-Match / If-None-Match)
 * gives CF_EAWS with aws_code "PreconditionFailed" (HTTP 412): test it with
 * cf_aws_error_is("PreconditionFailed"). Keys are given unencoded ("cases/c-1/a b.txt"). */
#ifndef CF_S3_H
#define CF_S3_H

#include <stdint.h>

#include "aws/cf_aws.h"
#include "common/cf_buf.h"

typedef struct cf_s3_object_info {
    int64_t size;
    char etag[128];         /* with its quotes, as S3 sends it */
    char last_modified[64]; /* HTTP date (HEAD/GET) or ISO time (list) */
    char content_type[128];
    char checksum_sha256[64]; /* base64, when S3 has one */
    char version_id[256];
    char request_id[128];
} cf_s3_object_info;

typedef struct cf_s3_put_options {
    const char *content_type; /* NULL: application/octet-stream */
    int if_none_match_any;    /* 1: If-None-Match: * (create only; 412 when the key exists) */
    const char *if_match;     /* ETag: replace only that version (412 otherwise) */
} cf_s3_put_options;

/* PutObject from memory with x-amz-checksum-sha256 (S3 verifies it). opts and info may be NULL. */
int cf_s3_put_object(cf_aws *aws, const char *bucket, const char *key, const void *data, size_t len,
                     const cf_s3_put_options *opts, cf_s3_object_info *info);
/* PutObject streaming a file (checksum computed first). */
int cf_s3_put_object_file(cf_aws *aws, const char *bucket, const char *key, const char *path,
                          const cf_s3_put_options *opts, cf_s3_object_info *info);
/* GetObject into out (appending) with a cap of max bytes (CF_ETOOBIG past it). When S3 returns a
 * SHA-256 checksum, the bytes are verified against it (CF_EINTEGRITY). */
int cf_s3_get_object(cf_aws *aws, const char *bucket, const char *key, size_t max, cf_buf *out,
                     cf_s3_object_info *info);
/* GetObject into a file (written atomically; verified like above). */
int cf_s3_get_object_file(cf_aws *aws, const char *bucket, const char *key, const char *path,
                          cf_s3_object_info *info);
int cf_s3_head_object(cf_aws *aws, const char *bucket, const char *key, cf_s3_object_info *info);
int cf_s3_delete_object(cf_aws *aws, const char *bucket, const char *key);
/* CreateBucket (LocationConstraint from the client's region unless us-east-1). Succeeds when
 * the bucket already exists and is ours. */
int cf_s3_create_bucket(cf_aws *aws, const char *bucket);

/* ListObjectsV2, every page. fn returns 0 to go on, 1 to stop, <0 to fail. */
typedef int (*cf_s3_list_fn)(void *ctx, const char *key, const cf_s3_object_info *info);
int cf_s3_list_objects(cf_aws *aws, const char *bucket, const char *prefix, int page_size,
                       cf_s3_list_fn fn, void *ctx);

/* Multipart upload of a file in parts of part_size bytes (>= 5 MiB except the last; 0: 8 MiB).
 * Each part is signed with its SHA-256. On failure the upload is aborted. */
int cf_s3_upload_multipart(cf_aws *aws, const char *bucket, const char *key, const char *path,
                           size_t part_size, const cf_s3_put_options *opts,
                           cf_s3_object_info *info);

/* Presigned URLs (UNSIGNED-PAYLOAD). *url is malloc'd. */
int cf_s3_presign_get(cf_aws *aws, const char *bucket, const char *key, int expires_s, char **url);
int cf_s3_presign_put(cf_aws *aws, const char *bucket, const char *key, int expires_s, char **url);

#endif
