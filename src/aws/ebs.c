/* ebs: EBS direct ListSnapshotBlocks / GetSnapshotBlock over cf_aws_rest (see ebs.h). */
#include "aws/ebs.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "aws/svc_internal.h"

#define EBS_MAX_PAGES 100000

static const cf_svc_cap ebs_cap = {"EBS", CF_EBS_MAX_BLOCKS, "blocks"};

static void block_release(void *elem)
{
    free(((cf_ebs_block *)elem)->token);
}

void cf_ebs_block_list_free(cf_ebs_block_list *l)
{
    if (l)
        cf_svc_items_free(l->items, l->n, sizeof(*l->items), block_release);
    free(l);
}

static int j_i64(json_t *o, const char *key, int64_t *out)
{
    json_t *v = json_object_get(o, key);

    *out = -1;
    if (!v)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return cf_error_set(CF_EPARSE, "EBS response: %s is not a count", key);
    *out = json_integer_value(v);
    return 0;
}

/* BlockIndex: an integer (AWS); moto 5.2.1 sends it as a decimal string. */
static int block_index(json_t *v, int64_t *out)
{
    const char *s = json_string_value(v);
    int64_t n = 0;

    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        *out = json_integer_value(v);
        return 0;
    }
    if (!s || !*s || strlen(s) > 15)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        n = n * 10 + (*s - '0');
    }
    *out = n;
    return 0;
}

static int block_parse(json_t *it, void *elem)
{
    cf_ebs_block *b = elem;
    int64_t index = -1;
    const char *tok = json_string_value(json_object_get(it, "BlockToken"));

    if (block_index(json_object_get(it, "BlockIndex"), &index) || !tok)
        return cf_error_set(CF_EPARSE, "EBS response: block without BlockIndex/BlockToken");
    b->index = index;
    b->token = strdup(tok);
    return b->token ? 0 : cf_svc_oom();
}

int cf_ebs_parse_blocks(cf_ebs_block_list *l, json_t *body, const char **next_token)
{
    int rc;

    *next_token = NULL;
    if (!json_is_object(body))
        return cf_error_set(CF_EPARSE, "EBS response: body is not a JSON object");
    rc = j_i64(body, "VolumeSize", &l->volume_size_gib);
    if (!rc)
        rc = j_i64(body, "BlockSize", &l->block_size);
    if (rc)
        return rc;
    *next_token = json_string_value(json_object_get(body, "NextToken"));
    return cf_svc_json_items(body, "Blocks", (void **)&l->items, &l->n, sizeof(*l->items), &ebs_cap,
                             block_parse, block_release);
}

static int path_for(cf_buf *path, const char *snapshot_id, const char *suffix)
{
    int rc;

    if (!snapshot_id || !*snapshot_id)
        return cf_error_set(CF_EINVAL, "ebs: no snapshot id");
    rc = cf_buf_addstr(path, "/snapshots/");
    if (!rc)
        rc = cf_aws_uri_encode(path, snapshot_id, strlen(snapshot_id), 0);
    if (!rc)
        rc = cf_buf_addstr(path, suffix);
    return rc;
}

int cf_ebs_list_snapshot_blocks(cf_ebs_block_list **out, cf_aws *aws, const char *snapshot_id)
{
    cf_buf path = CF_BUF_INIT(4096);
    cf_aws_params q = CF_AWS_PARAMS_INIT;
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    cf_ebs_block_list *l = calloc(1, sizeof(*l));
    char *token = NULL;
    int rc = l ? 0 : cf_svc_oom();

    *out = NULL;
    if (!rc)
        rc = path_for(&path, snapshot_id, "/blocks");
    for (int page = 0; !rc; page++) {
        cf_aws_request req = {0};
        const char *next = NULL;
        if (page >= EBS_MAX_PAGES) {
            rc = cf_error_set(CF_ETOOBIG, "ebs ListSnapshotBlocks: more than %d pages",
                              EBS_MAX_PAGES);
            break;
        }
        req.method = "GET";
        req.path = cf_buf_cstr(&path);
        req.query = &q;
        cf_aws_response_release(&r);
        rc = cf_aws_rest(aws, &cf_aws_svc_ebs, &req, &r);
        if (rc) {
            cf_error_wrap("ebs ListSnapshotBlocks %s", snapshot_id);
            break;
        }
        rc = cf_ebs_parse_blocks(l, r.json, &next);
        if (!rc)
            rc = cf_svc_next_token(&token, next, "ebs ListSnapshotBlocks", "NextToken");
        if (rc) {
            if (rc > 0)
                rc = 0;
            break;
        }
        if (cf_aws_params_set(&q, "nextToken", token))
            rc = cf_svc_oom();
    }
    if (rc)
        goto cleanup;
    *out = l;
    l = NULL;
cleanup:
    free(token);
    cf_ebs_block_list_free(l);
    cf_aws_response_release(&r);
    cf_aws_params_release(&q);
    cf_buf_release(&path);
    return rc;
}

static int b64_sha256(const void *data, size_t len, char out[64])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
        return cf_error_set(CF_ERR, "SHA-256 failed");
    EVP_EncodeBlock((unsigned char *)out, md, 32);
    return 0;
}

int cf_ebs_get_snapshot_block(cf_buf *data, cf_aws *aws, const char *snapshot_id, int64_t index,
                              const char *token)
{
    cf_buf path = CF_BUF_INIT(4096);
    cf_aws_params q = CF_AWS_PARAMS_INIT;
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    cf_aws_request req = {0};
    const char *sum, *alg, *dlen;
    char want[64];
    char suffix[48];
    int rc = 0;

    if (!data || index < 0 || !token) {
        rc = cf_error_set(CF_EINVAL, "ebs GetSnapshotBlock: bad arguments");
        goto cleanup;
    }
    if (!rc)
        rc = cf_svc_pname(suffix, sizeof(suffix), "/blocks/%lld", (long long)index);
    if (!rc)
        rc = path_for(&path, snapshot_id, suffix);
    if (!rc)
        rc = cf_aws_params_add(&q, "blockToken", token);
    if (rc)
        goto cleanup;
    req.method = "GET";
    req.path = cf_buf_cstr(&path);
    req.query = &q;
    req.raw = 1;
    req.max_body = CF_EBS_BLOCK_MAX + 1;
    rc = cf_aws_rest(aws, &cf_aws_svc_ebs, &req, &r);
    if (rc) {
        cf_error_wrap("ebs GetSnapshotBlock %s/%lld", snapshot_id, (long long)index);
        goto cleanup;
    }
    if (r.body.len > CF_EBS_BLOCK_MAX) {
        rc =
            cf_error_set(CF_ETOOBIG, "ebs GetSnapshotBlock: block over %u bytes", CF_EBS_BLOCK_MAX);
        goto cleanup;
    }
    dlen = cf_aws_response_header(&r, "x-amz-data-length");
    if (dlen) {
        char *end = NULL;
        long long v = strtoll(dlen, &end, 10);
        if (!end || *end || end == dlen || v < 0 || (unsigned long long)v != r.body.len) {
            rc = cf_error_set(CF_EINTEGRITY,
                              "ebs GetSnapshotBlock %s/%lld: %zu bytes, x-amz-Data-Length %s",
                              snapshot_id, (long long)index, r.body.len, dlen);
            goto cleanup;
        }
    }
    sum = cf_aws_response_header(&r, "x-amz-checksum");
    alg = cf_aws_response_header(&r, "x-amz-checksum-algorithm");
    if (sum && (!alg || strcmp(alg, "SHA256") == 0)) {
        rc = b64_sha256(r.body.data ? r.body.data : "", r.body.len, want);
        if (!rc && strcmp(want, sum) != 0)
            rc = cf_error_set(CF_EINTEGRITY, "ebs GetSnapshotBlock %s/%lld: checksum mismatch",
                              snapshot_id, (long long)index);
        if (rc)
            goto cleanup;
    }
    rc = cf_buf_add(data, r.body.data ? r.body.data : "", r.body.len);
cleanup:
    cf_aws_response_release(&r);
    cf_aws_params_release(&q);
    cf_buf_release(&path);
    return rc;
}
