/* S3 (rest-xml). */
#include "aws/s3.h"
#include "aws/svc_internal.h"
#include "common/cf_hash.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MIN_PART  ((size_t)5 << 20)
#define MAX_PARTS 10000

static int key_path(cf_buf *out, const char *key)
{
    int rc;
    if (!key || !*key)
        return cf_error_set(CF_EINVAL, "empty S3 key");
    rc = cf_buf_addch(out, '/');
    if (!rc)
        rc = cf_aws_uri_encode(out, key, strlen(key), 1);
    return rc;
}

static int hexnib(char c)
{
    return (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : 0;
}

/* Our own lowercase hex (cf_sha256_file) back to bytes. */
static void unhex(const char *hex, uint8_t d[CF_SHA256_LEN])
{
    for (int i = 0; i < CF_SHA256_LEN; i++)
        d[i] = (uint8_t)(hexnib(hex[2 * i]) << 4 | hexnib(hex[2 * i + 1]));
}

static void b64(const uint8_t *d, size_t n, char *out /* 4*ceil(n/3)+1 */)
{
    EVP_EncodeBlock((unsigned char *)out, d, (int)n);
}

/* NoSuchKey / NoSuchBucket / 404 -> CF_ENOTFOUND, detail kept. */
static int map_not_found(int rc)
{
    const cf_error *e = cf_error_last();
    if (rc == CF_EAWS && (e->http_status == 404 || cf_aws_error_is("NoSuchKey") ||
                          cf_aws_error_is("NoSuchBucket"))) {
        cf_error saved;
        cf_error_save(&saved);
        saved.code = CF_ENOTFOUND;
        cf_error_restore(&saved);
        return CF_ENOTFOUND;
    }
    return rc;
}

/* One request on the object at path (from key_path): S3's "no such key/bucket" is CF_ENOTFOUND. */
static int object_call(cf_aws *aws, const char *bucket, const cf_buf *path, cf_aws_request *req,
                       cf_aws_response *r)
{
    req->bucket = bucket;
    req->path = path->data;
    return map_not_found(cf_aws_rest(aws, &cf_aws_svc_s3, req, r));
}

/* Path and headers of a GET/HEAD that asks for the stored checksum. */
static int checked_request(cf_buf *path, cf_aws_params *h, const char *key)
{
    int rc = key_path(path, key);
    if (!rc)
        rc = cf_aws_params_add(h, "x-amz-checksum-mode", "ENABLED");
    return rc;
}

static void copy_hdr(char *out, size_t cap, const cf_aws_response *r, const char *name)
{
    const char *v = cf_aws_response_header(r, name);
    snprintf(out, cap, "%s", v ? v : "");
}

static void info_from(const cf_aws_response *r, cf_s3_object_info *info)
{
    const char *len;
    if (!info)
        return;
    memset(info, 0, sizeof(*info));
    copy_hdr(info->etag, sizeof(info->etag), r, "etag");
    copy_hdr(info->last_modified, sizeof(info->last_modified), r, "last-modified");
    copy_hdr(info->content_type, sizeof(info->content_type), r, "content-type");
    copy_hdr(info->checksum_sha256, sizeof(info->checksum_sha256), r, "x-amz-checksum-sha256");
    copy_hdr(info->version_id, sizeof(info->version_id), r, "x-amz-version-id");
    snprintf(info->request_id, sizeof(info->request_id), "%s", r->request_id);
    len = cf_aws_response_header(r, "content-length");
    info->size = len ? strtoll(len, NULL, 10) : -1;
}

static int put_headers(cf_aws_params *h, const cf_s3_put_options *o, const char *checksum_b64)
{
    int rc = cf_aws_params_add(
        h, "content-type", (o && o->content_type) ? o->content_type : "application/octet-stream");
    if (!rc && checksum_b64) {
        rc = cf_aws_params_add(h, "x-amz-sdk-checksum-algorithm", "SHA256");
        if (!rc)
            rc = cf_aws_params_add(h, "x-amz-checksum-sha256", checksum_b64);
    }
    if (!rc && o && o->if_none_match_any)
        rc = cf_aws_params_add(h, "if-none-match", "*");
    if (!rc && o && o->if_match)
        rc = cf_aws_params_add(h, "if-match", o->if_match);
    return rc;
}

static int put_common(cf_aws *aws, const char *bucket, const char *key, const void *data,
                      size_t len, const char *upload_path, const cf_s3_put_options *opts,
                      cf_s3_object_info *info)
{
    cf_buf path = CF_BUF_INIT(4096);
    cf_aws_params h = CF_AWS_PARAMS_INIT;
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    cf_aws_request req = {0};
    uint8_t d[CF_SHA256_LEN];
    char sum[64];
    int rc = key_path(&path, key);
    if (rc)
        goto cleanup;
    if (upload_path) {
        char hex[CF_SHA256_HEX_LEN];
        rc = cf_sha256_file(upload_path, hex, NULL);
        if (rc)
            goto cleanup;
        unhex(hex, d);
    } else {
        cf_sha256_buf(data ? data : "", data ? len : 0, d);
    }
    b64(d, sizeof(d), sum);
    rc = put_headers(&h, opts, sum);
    if (rc)
        goto cleanup;
    req.method = "PUT";
    req.headers = &h;
    req.body = upload_path ? NULL : (data ? data : "");
    req.body_len = upload_path ? 0 : len;
    req.upload_path = upload_path;
    req.content_type = NULL; /* carried in h */
    rc = object_call(aws, bucket, &path, &req, &r);
    if (!rc)
        info_from(&r, info);
cleanup:
    cf_aws_response_release(&r);
    cf_aws_params_release(&h);
    cf_buf_release(&path);
    return rc;
}

int cf_s3_put_object(cf_aws *aws, const char *bucket, const char *key, const void *data, size_t len,
                     const cf_s3_put_options *opts, cf_s3_object_info *info)
{
    return put_common(aws, bucket, key, data, len, NULL, opts, info);
}

int cf_s3_put_object_file(cf_aws *aws, const char *bucket, const char *key, const char *path,
                          const cf_s3_put_options *opts, cf_s3_object_info *info)
{
    return put_common(aws, bucket, key, NULL, 0, path, opts, info);
}

static int verify_checksum(const cf_s3_object_info *info, const uint8_t d[CF_SHA256_LEN])
{
    char sum[64];
    if (!info->checksum_sha256[0])
        return CF_OK;
    b64(d, CF_SHA256_LEN, sum);
    if (strcmp(sum, info->checksum_sha256) != 0)
        return cf_error_set(CF_EINTEGRITY, "S3 object does not match its SHA-256 checksum");
    return CF_OK;
}

static int get_common(cf_aws *aws, const char *bucket, const char *key, size_t max, cf_buf *out,
                      const char *file, cf_s3_object_info *info)
{
    cf_buf path = CF_BUF_INIT(4096);
    cf_aws_params h = CF_AWS_PARAMS_INIT;
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    cf_aws_request req = {0};
    cf_s3_object_info local;
    uint8_t d[CF_SHA256_LEN];
    int rc = checked_request(&path, &h, key);
    if (rc)
        goto cleanup;
    req.method = "GET";
    req.headers = &h;
    req.raw = 1;
    req.max_body = max;
    req.download_path = file;
    rc = object_call(aws, bucket, &path, &req, &r);
    if (rc)
        goto cleanup;
    info_from(&r, &local);
    if (file) {
        char hex[CF_SHA256_HEX_LEN];
        uint64_t bytes = 0;
        rc = cf_sha256_file(file, hex, &bytes);
        if (!rc)
            unhex(hex, d);
        local.size = (int64_t)bytes;
    } else {
        cf_sha256_buf(r.body.data ? r.body.data : "", r.body.len, d);
        local.size = (int64_t)r.body.len;
    }
    if (!rc)
        rc = verify_checksum(&local, d);
    if (rc) {
        if (file)
            unlink(file);
        goto cleanup;
    }
    if (out)
        rc = cf_buf_add(out, r.body.data ? r.body.data : "", r.body.len);
    if (!rc && info)
        *info = local;
cleanup:
    if (rc)
        cf_error_wrap("s3://%s/%s", bucket, key ? key : "");
    cf_aws_response_release(&r);
    cf_aws_params_release(&h);
    cf_buf_release(&path);
    return rc;
}

int cf_s3_get_object(cf_aws *aws, const char *bucket, const char *key, size_t max, cf_buf *out,
                     cf_s3_object_info *info)
{
    return get_common(aws, bucket, key, max, out, NULL, info);
}

int cf_s3_get_object_file(cf_aws *aws, const char *bucket, const char *key, const char *path,
                          cf_s3_object_info *info)
{
    return get_common(aws, bucket, key, 0, NULL, path, info);
}

int cf_s3_head_object(cf_aws *aws, const char *bucket, const char *key, cf_s3_object_info *info)
{
    cf_buf path = CF_BUF_INIT(4096);
    cf_aws_params h = CF_AWS_PARAMS_INIT;
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    cf_aws_request req = {0};
    int rc = checked_request(&path, &h, key);
    if (rc)
        goto cleanup;
    req.method = "HEAD";
    req.headers = &h;
    rc = object_call(aws, bucket, &path, &req, &r);
    if (!rc)
        info_from(&r, info);
cleanup:
    cf_aws_response_release(&r);
    cf_aws_params_release(&h);
    cf_buf_release(&path);
    return rc;
}

int cf_s3_delete_object(cf_aws *aws, const char *bucket, const char *key)
{
    cf_buf path = CF_BUF_INIT(4096);
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    cf_aws_request req = {0};
    int rc = key_path(&path, key);
    if (rc)
        goto cleanup;
    req.method = "DELETE";
    req.raw = 1;
    rc = object_call(aws, bucket, &path, &req, &r);
cleanup:
    cf_aws_response_release(&r);
    cf_buf_release(&path);
    return rc;
}

int cf_s3_create_bucket(cf_aws *aws, const char *bucket)
{
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    cf_aws_request req = {0};
    cf_buf body = CF_BUF_INIT(4096);
    const char *region = cf_aws_region(aws);
    int rc = CF_OK;
    if (*region && strcmp(region, "us-east-1") != 0)
        rc = cf_buf_addf(&body,
                         "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/"
                         "2006-03-01/\"><LocationConstraint>%s</LocationConstraint>"
                         "</CreateBucketConfiguration>",
                         region);
    if (rc)
        goto cleanup;
    req.method = "PUT";
    req.bucket = bucket;
    req.path = "/";
    req.body = body.len ? body.data : NULL;
    req.body_len = body.len;
    req.raw = 1;
    rc = cf_aws_rest(aws, &cf_aws_svc_s3, &req, &r);
    if (rc && cf_aws_error_is("BucketAlreadyOwnedByYou"))
        rc = CF_OK;
cleanup:
    cf_aws_response_release(&r);
    cf_buf_release(&body);
    return rc;
}

int cf_s3_list_objects(cf_aws *aws, const char *bucket, const char *prefix, int page_size,
                       cf_s3_list_fn fn, void *ctx)
{
    cf_aws_params q = CF_AWS_PARAMS_INIT;
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    cf_aws_request req = {0};
    char *token = NULL;
    int rc = cf_aws_params_add(&q, "list-type", "2");
    if (!rc && prefix && *prefix)
        rc = cf_aws_params_add(&q, "prefix", prefix);
    if (!rc && page_size > 0)
        rc = cf_aws_params_addf(&q, "max-keys", "%d", page_size);
    for (int page = 0; !rc; page++) {
        xmlNode *root, *it;
        const char *trunc;
        if (page >= 100000) {
            rc = cf_error_set(CF_ETOOBIG, "ListObjectsV2: too many pages");
            break;
        }
        cf_aws_response_release(&r);
        memset(&req, 0, sizeof(req));
        req.method = "GET";
        req.bucket = bucket;
        req.path = "/";
        req.query = &q;
        rc = cf_aws_rest(aws, &cf_aws_svc_s3, &req, &r);
        if (rc) {
            rc = map_not_found(rc);
            break;
        }
        root = r.xml ? xmlDocGetRootElement(r.xml) : NULL;
        if (!root) {
            rc = cf_error_set(CF_EPARSE, "ListObjectsV2: empty response");
            break;
        }
        CF_XML_FOREACH(it, root, "Contents")
        {
            cf_s3_object_info info;
            const char *key = cf_xml_text(it, "Key");
            int64_t size = -1;
            if (!key)
                continue;
            memset(&info, 0, sizeof(info));
            if (cf_xml_int64(it, "Size", &size) == CF_OK)
                info.size = size;
            else
                info.size = -1;
            cf_xml_text_copy(it, "ETag", info.etag, sizeof(info.etag));
            cf_xml_text_copy(it, "LastModified", info.last_modified, sizeof(info.last_modified));
            snprintf(info.request_id, sizeof(info.request_id), "%s", r.request_id);
            rc = fn(ctx, key, &info);
            if (rc)
                break;
        }
        if (rc) {
            if (rc > 0)
                rc = CF_OK;
            break;
        }
        trunc = cf_xml_text(root, "IsTruncated");
        if (!trunc || strcmp(trunc, "true") != 0)
            break;
        rc = cf_svc_next_token(&token, cf_xml_text(root, "NextContinuationToken"), "ListObjectsV2",
                               "NextContinuationToken");
        if (rc) {
            if (rc > 0)
                rc = CF_OK;
            break;
        }
        rc = cf_aws_params_set(&q, "continuation-token", token);
    }
    free(token);
    cf_aws_response_release(&r);
    cf_aws_params_release(&q);
    return rc;
}

static int abort_upload(cf_aws *aws, const char *bucket, const char *path, const char *upload_id)
{
    cf_aws_params q = CF_AWS_PARAMS_INIT;
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    cf_aws_request req = {0};
    cf_error saved;
    int rc;
    cf_error_save(&saved);
    rc = cf_aws_params_add(&q, "uploadId", upload_id);
    req.method = "DELETE";
    req.bucket = bucket;
    req.path = path;
    req.query = &q;
    req.raw = 1;
    if (!rc)
        rc = cf_aws_rest(aws, &cf_aws_svc_s3, &req, &r);
    cf_aws_response_release(&r);
    cf_aws_params_release(&q);
    cf_error_restore(&saved); /* the caller reports the original failure */
    return rc;
}

int cf_s3_upload_multipart(cf_aws *aws, const char *bucket, const char *key, const char *path,
                           size_t part_size, const cf_s3_put_options *opts, cf_s3_object_info *info)
{
    cf_buf kp = CF_BUF_INIT(4096), done = CF_BUF_INIT((size_t)4 << 20);
    cf_aws_params q = CF_AWS_PARAMS_INIT, h = CF_AWS_PARAMS_INIT, ch = CF_AWS_PARAMS_INIT;
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    cf_aws_request req = {0};
    char upload_id[1024] = "";
    char *chunk = NULL;
    FILE *f = NULL;
    int rc, part = 0;
    if (!part_size)
        part_size = (size_t)8 << 20;
    if (part_size < MIN_PART)
        return cf_error_set(CF_EINVAL, "multipart part size must be at least 5 MiB");
    rc = key_path(&kp, key);
    if (rc)
        goto cleanup;
    f = fopen(path, "rb");
    chunk = malloc(part_size);
    if (!f || !chunk) {
        rc = cf_error_set(f ? CF_ENOMEM : CF_EIO, "%s: %s", path,
                          f ? "out of memory" : strerror(errno));
        goto cleanup;
    }
    /* CreateMultipartUpload */
    rc = cf_aws_params_add(&q, "uploads", "");
    if (!rc)
        rc = cf_aws_params_add(&h, "content-type",
                               (opts && opts->content_type) ? opts->content_type
                                                            : "application/octet-stream");
    if (rc)
        goto cleanup;
    req.method = "POST";
    req.bucket = bucket;
    req.path = kp.data;
    req.query = &q;
    req.headers = &h;
    rc = cf_aws_rest(aws, &cf_aws_svc_s3, &req, &r);
    if (!rc)
        rc =
            cf_xml_text_copy(xmlDocGetRootElement(r.xml), "UploadId", upload_id, sizeof(upload_id));
    if (rc)
        goto cleanup;
    rc = cf_buf_addstr(&done, "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/"
                              "2006-03-01/\">");
    while (!rc) {
        size_t n = fread(chunk, 1, part_size, f);
        const char *etag;
        if (n == 0 && part > 0)
            break;
        if (++part > MAX_PARTS) {
            rc = cf_error_set(CF_ETOOBIG, "%s needs more than %d parts", path, MAX_PARTS);
            break;
        }
        cf_aws_params_release(&q);
        rc = cf_aws_params_addf(&q, "partNumber", "%d", part);
        if (!rc)
            rc = cf_aws_params_add(&q, "uploadId", upload_id);
        if (rc)
            break;
        cf_aws_response_release(&r);
        memset(&req, 0, sizeof(req));
        req.method = "PUT";
        req.bucket = bucket;
        req.path = kp.data;
        req.query = &q;
        req.body = chunk;
        req.body_len = n;
        req.raw = 1;
        rc = cf_aws_rest(aws, &cf_aws_svc_s3, &req, &r);
        if (rc)
            break;
        etag = cf_aws_response_header(&r, "etag");
        if (!etag || strpbrk(etag, "<>&")) {
            rc = cf_error_set(CF_EPARSE, "UploadPart %d: no usable ETag", part);
            break;
        }
        rc = cf_buf_addf(&done, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", part,
                         etag);
        if (n < part_size)
            break;
    }
    if (!rc && ferror(f))
        rc = cf_error_set(CF_EIO, "%s: read error", path);
    if (!rc)
        rc = cf_buf_addstr(&done, "</CompleteMultipartUpload>");
    if (rc)
        goto cleanup;
    cf_aws_params_release(&q);
    rc = cf_aws_params_add(&q, "uploadId", upload_id);
    if (!rc && opts && opts->if_none_match_any)
        rc = cf_aws_params_add(&ch, "if-none-match", "*");
    if (rc)
        goto cleanup;
    cf_aws_response_release(&r);
    memset(&req, 0, sizeof(req));
    req.method = "POST";
    req.bucket = bucket;
    req.path = kp.data;
    req.query = &q;
    req.headers = &ch;
    req.body = done.data;
    req.body_len = done.len;
    req.content_type = "application/xml";
    rc = cf_aws_rest(aws, &cf_aws_svc_s3, &req, &r);
    /* S3 may answer 200 with an <Error> body for CompleteMultipartUpload */
    if (!rc && r.xml && strcmp((const char *)xmlDocGetRootElement(r.xml)->name, "Error") == 0)
        rc = cf_aws_error_from_response(r.http_status, r.body.data, r.body.len, NULL, r.request_id);
    if (!rc && info) {
        memset(info, 0, sizeof(*info));
        cf_xml_text_copy(xmlDocGetRootElement(r.xml), "ETag", info->etag, sizeof(info->etag));
        snprintf(info->request_id, sizeof(info->request_id), "%s", r.request_id);
        info->size = -1;
    }
cleanup:
    if (rc && upload_id[0])
        abort_upload(aws, bucket, kp.data, upload_id);
    if (rc)
        cf_error_wrap("multipart upload of %s to s3://%s/%s", path, bucket, key);
    if (f)
        fclose(f);
    free(chunk);
    cf_aws_response_release(&r);
    cf_aws_params_release(&q);
    cf_aws_params_release(&h);
    cf_aws_params_release(&ch);
    cf_buf_release(&kp);
    cf_buf_release(&done);
    return rc;
}

static int presign(cf_aws *aws, const char *method, const char *bucket, const char *key,
                   int expires_s, char **url)
{
    cf_buf path = CF_BUF_INIT(4096);
    int rc = key_path(&path, key);
    if (!rc)
        rc = cf_aws_presign(aws, &cf_aws_svc_s3, method, bucket, path.data, NULL, expires_s, url);
    cf_buf_release(&path);
    return rc;
}

int cf_s3_presign_get(cf_aws *aws, const char *bucket, const char *key, int expires_s, char **url)
{
    return presign(aws, "GET", bucket, key, expires_s, url);
}

int cf_s3_presign_put(cf_aws *aws, const char *bucket, const char *key, int expires_s, char **url)
{
    return presign(aws, "PUT", bucket, key, expires_s, url);
}
