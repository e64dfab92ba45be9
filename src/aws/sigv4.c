/* AWS Signature Version 4, after the AWS General Reference and botocore's auth.py. */
#include "aws/cf_sigv4.h"
#include "common/cf_hash.h"
#include "common/cf_time.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SIG_MAX (1u << 20) /* canonical request / query size cap */

void cf_sigv4_amz_date(int64_t time_ns, char out[17])
{
    char t[CF_TIME_STR_MAX];
    /* "2015-08-30T12:36:00Z" -> "20150830T123600Z" */
    cf_time_format_sec(time_ns, t);
    snprintf(out, 17, "%.4s%.2s%.2sT%.2s%.2s%.2sZ", t, t + 5, t + 8, t + 11, t + 14, t + 17);
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decodes s[0..n) into out (invalid escapes are kept literally). */
static int pct_decode(cf_buf *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int rc;
        if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            rc = cf_buf_addch(out, (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2])));
            i += 2;
        } else {
            rc = cf_buf_addch(out, s[i]);
        }
        if (rc)
            return rc;
    }
    return CF_OK;
}

/* RFC 3986 remove_dot_segments plus collapsing of empty segments, as botocore does. */
static int normalize_path(const char *path, cf_buf *out)
{
    size_t n = strlen(path);
    const char **seg = NULL;
    size_t *seglen = NULL;
    size_t nseg = 0;
    int rc = CF_OK;
    if (n == 0)
        return cf_buf_addch(out, '/');
    seg = calloc(n + 1, sizeof(*seg));
    seglen = calloc(n + 1, sizeof(*seglen));
    if (!seg || !seglen) {
        rc = cf_error_set(CF_ENOMEM, "out of memory");
        goto cleanup;
    }
    for (const char *p = path; p <= path + n;) {
        const char *e = strchr(p, '/');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == 2 && p[0] == '.' && p[1] == '.') {
            if (nseg)
                nseg--;
        } else if (l && !(l == 1 && p[0] == '.')) {
            seg[nseg] = p;
            seglen[nseg++] = l;
        }
        if (!e)
            break;
        p = e + 1;
    }
    if (path[0] == '/')
        rc = cf_buf_addch(out, '/');
    for (size_t i = 0; !rc && i < nseg; i++) {
        if (i)
            rc = cf_buf_addch(out, '/');
        if (!rc)
            rc = cf_buf_add(out, seg[i], seglen[i]);
    }
    if (!rc && path[n - 1] == '/' && nseg)
        rc = cf_buf_addch(out, '/');
cleanup:
    free(seg);
    free(seglen);
    return rc;
}

static int canonical_uri(const cf_sigv4_request *r, cf_buf *out)
{
    cf_buf norm = CF_BUF_INIT(SIG_MAX);
    int rc;
    const char *path = (r->path && *r->path) ? r->path : "/";
    if (r->s3)
        return cf_buf_addstr(out, path);
    rc = normalize_path(path, &norm);
    if (!rc)
        rc = cf_aws_uri_encode(out, cf_buf_cstr(&norm), norm.len, 1);
    cf_buf_release(&norm);
    return rc;
}

typedef struct kv {
    char *k, *v;
} kv;

static int kv_cmp(const void *a, const void *b)
{
    const kv *x = a, *y = b;
    int c = strcmp(x->k, y->k);
    return c ? c : strcmp(x->v, y->v);
}

/* Splits a wire query into encoded pairs, re-encoding each part canonically. */
static int query_pairs(const char *q, kv **out, size_t *n_out)
{
    kv *pairs = NULL;
    size_t n = 0, cap = 0;
    cf_buf dec = CF_BUF_INIT(SIG_MAX), enc = CF_BUF_INIT(SIG_MAX);
    int rc = CF_OK;
    const char *p = q;
    while (p && *p) {
        const char *amp = strchr(p, '&');
        size_t l = amp ? (size_t)(amp - p) : strlen(p);
        const char *eq = memchr(p, '=', l);
        size_t kl = eq ? (size_t)(eq - p) : l;
        if (l) {
            if (n == cap) {
                size_t nc = cap ? cap * 2 : 16;
                kv *np = realloc(pairs, nc * sizeof(*np));
                if (!np) {
                    rc = cf_error_set(CF_ENOMEM, "out of memory");
                    goto cleanup;
                }
                pairs = np;
                cap = nc;
            }
            pairs[n].k = pairs[n].v = NULL;
            n++;
            for (int part = 0; part < 2; part++) {
                const char *s = part ? (eq ? eq + 1 : "") : p;
                size_t sl = part ? (eq ? l - kl - 1 : 0) : kl;
                cf_buf_reset(&dec);
                cf_buf_reset(&enc);
                rc = pct_decode(&dec, s, sl);
                if (!rc)
                    rc = cf_aws_uri_encode(&enc, cf_buf_cstr(&dec), dec.len, 0);
                if (rc)
                    goto cleanup;
                if (part)
                    pairs[n - 1].v = cf_buf_detach(&enc, NULL);
                else
                    pairs[n - 1].k = cf_buf_detach(&enc, NULL);
                if (!(part ? pairs[n - 1].v : pairs[n - 1].k)) {
                    rc = cf_error_set(CF_ENOMEM, "out of memory");
                    goto cleanup;
                }
            }
        }
        p = amp ? amp + 1 : NULL;
    }
    if (n)
        qsort(pairs, n, sizeof(*pairs), kv_cmp);
    *out = pairs;
    *n_out = n;
    pairs = NULL;
    n = 0;
cleanup:
    for (size_t i = 0; i < n; i++) {
        free(pairs[i].k);
        free(pairs[i].v);
    }
    free(pairs);
    cf_buf_release(&dec);
    cf_buf_release(&enc);
    return rc;
}

static int canonical_query(const char *q, cf_buf *out)
{
    kv *pairs = NULL;
    size_t n = 0;
    int rc = query_pairs(q, &pairs, &n);
    for (size_t i = 0; !rc && i < n; i++)
        rc = cf_buf_addf(out, "%s%s=%s", i ? "&" : "", pairs[i].k, pairs[i].v);
    for (size_t i = 0; i < n; i++) {
        free(pairs[i].k);
        free(pairs[i].v);
    }
    free(pairs);
    return rc;
}

typedef struct hdr {
    char *name;  /* lower case */
    char *value; /* trimmed, inner whitespace runs collapsed */
    size_t order;
} hdr;

static int hdr_cmp(const void *a, const void *b)
{
    const hdr *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return x->order < y->order ? -1 : x->order > y->order;
}

static char *clean_value(const char *v)
{
    size_t n = strlen(v), j = 0;
    char *o = malloc(n + 1);
    int space = 0;
    if (!o)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (v[i] == ' ' || v[i] == '\t' || v[i] == '\n' || v[i] == '\r') {
            space = 1;
            continue;
        }
        if (space && j)
            o[j++] = ' ';
        space = 0;
        o[j++] = v[i];
    }
    o[j] = '\0';
    return o;
}

/* Canonical headers block and the signed-headers list. */
static int canonical_headers(const cf_aws_params *h, cf_buf *block, cf_buf *names)
{
    hdr *hs = NULL;
    size_t n = h ? h->len : 0;
    int rc = CF_OK;
    if (n) {
        hs = calloc(n, sizeof(*hs));
        if (!hs) {
            rc = cf_error_set(CF_ENOMEM, "out of memory");
            goto cleanup;
        }
    }
    for (size_t i = 0; i < n; i++) {
        hs[i].name = strdup(h->items[i].name);
        hs[i].value = clean_value(h->items[i].value);
        hs[i].order = i;
        if (!hs[i].name || !hs[i].value) {
            rc = cf_error_set(CF_ENOMEM, "out of memory");
            goto cleanup;
        }
        for (char *c = hs[i].name; *c; c++)
            *c = (char)tolower((unsigned char)*c);
    }
    if (n)
        qsort(hs, n, sizeof(*hs), hdr_cmp);
    for (size_t i = 0; !rc && i < n; i++) {
        int same = i && strcmp(hs[i].name, hs[i - 1].name) == 0;
        if (same) {
            rc = cf_buf_addf(block, ",%s", hs[i].value);
        } else {
            if (i)
                rc = cf_buf_addch(block, '\n');
            if (!rc)
                rc = cf_buf_addf(block, "%s:%s", hs[i].name, hs[i].value);
            if (!rc)
                rc = cf_buf_addf(names, "%s%s", i ? ";" : "", hs[i].name);
        }
    }
    if (!rc && n)
        rc = cf_buf_addch(block, '\n');
cleanup:
    for (size_t i = 0; hs && i < n; i++) {
        free(hs[i].name);
        free(hs[i].value);
    }
    free(hs);
    return rc;
}

static int build_canonical(const cf_sigv4_request *r, const char *query, cf_buf *out,
                           cf_buf *signed_names)
{
    cf_buf block = CF_BUF_INIT(SIG_MAX);
    int rc = cf_buf_addf(out, "%s\n", r->method);
    if (!rc)
        rc = canonical_uri(r, out);
    if (!rc)
        rc = cf_buf_addch(out, '\n');
    if (!rc)
        rc = canonical_query(query, out);
    if (!rc)
        rc = cf_buf_addch(out, '\n');
    if (!rc)
        rc = canonical_headers(r->headers, &block, signed_names);
    if (!rc)
        rc = cf_buf_addf(out, "%s\n%s\n%s", cf_buf_cstr(&block), cf_buf_cstr(signed_names),
                         r->payload_hash ? r->payload_hash : CF_SIGV4_UNSIGNED_PAYLOAD);
    cf_buf_release(&block);
    return rc;
}

int cf_sigv4_canonical_request(const cf_sigv4_request *r, cf_buf *out)
{
    cf_buf names = CF_BUF_INIT(SIG_MAX);
    int rc = build_canonical(r, r->query, out, &names);
    cf_buf_release(&names);
    return rc;
}

static int sts_from_canonical(const cf_sigv4_request *r, const cf_buf *creq, cf_buf *out)
{
    char date[17], hex[CF_SHA256_HEX_LEN];
    cf_sigv4_amz_date(r->time_ns, date);
    cf_sha256_hex(creq->data ? creq->data : "", creq->len, hex);
    return cf_buf_addf(out, "AWS4-HMAC-SHA256\n%s\n%.8s/%s/%s/aws4_request\n%s", date, date,
                       r->region, r->service, hex);
}

int cf_sigv4_string_to_sign(const cf_sigv4_request *r, cf_buf *out)
{
    cf_buf creq = CF_BUF_INIT(SIG_MAX);
    int rc = cf_sigv4_canonical_request(r, &creq);
    if (!rc)
        rc = sts_from_canonical(r, &creq, out);
    cf_buf_release(&creq);
    return rc;
}

static int signature(const cf_sigv4_request *r, const cf_buf *sts, char hex[CF_SHA256_HEX_LEN])
{
    uint8_t k[CF_SHA256_LEN];
    char date[17];
    cf_buf key = CF_BUF_INIT(4096);
    int rc;
    cf_sigv4_amz_date(r->time_ns, date);
    rc = cf_buf_addf(&key, "AWS4%s", r->secret_access_key ? r->secret_access_key : "");
    if (rc)
        goto cleanup;
    cf_hmac_sha256(key.data, key.len, date, 8, k);
    cf_hmac_sha256(k, sizeof(k), r->region, strlen(r->region), k);
    cf_hmac_sha256(k, sizeof(k), r->service, strlen(r->service), k);
    cf_hmac_sha256(k, sizeof(k), "aws4_request", 12, k);
    cf_hmac_sha256(k, sizeof(k), sts->data, sts->len, k);
    cf_hex_encode(k, sizeof(k), hex);
cleanup:
    if (key.data)
        memset(key.data, 0, key.len);
    cf_buf_release(&key);
    memset(k, 0, sizeof(k));
    return rc;
}

int cf_sigv4_authorization(const cf_sigv4_request *r, cf_buf *out)
{
    cf_buf creq = CF_BUF_INIT(SIG_MAX), names = CF_BUF_INIT(SIG_MAX), sts = CF_BUF_INIT(SIG_MAX);
    char hex[CF_SHA256_HEX_LEN], date[17];
    int rc = build_canonical(r, r->query, &creq, &names);
    if (!rc)
        rc = sts_from_canonical(r, &creq, &sts);
    if (!rc)
        rc = signature(r, &sts, hex);
    cf_sigv4_amz_date(r->time_ns, date);
    if (!rc)
        rc = cf_buf_addf(out,
                         "AWS4-HMAC-SHA256 Credential=%s/%.8s/%s/%s/aws4_request, "
                         "SignedHeaders=%s, Signature=%s",
                         r->access_key_id, date, r->region, r->service, cf_buf_cstr(&names), hex);
    cf_buf_release(&creq);
    cf_buf_release(&names);
    cf_buf_release(&sts);
    return rc;
}

static int add_qparam(cf_buf *q, const char *name, const char *value)
{
    int rc = q->len ? cf_buf_addch(q, '&') : CF_OK;
    if (!rc)
        rc = cf_aws_uri_encode(q, name, strlen(name), 0);
    if (!rc)
        rc = cf_buf_addch(q, '=');
    if (!rc)
        rc = cf_aws_uri_encode(q, value, strlen(value), 0);
    return rc;
}

int cf_sigv4_presign_query(const cf_sigv4_request *r, int expires_s, cf_buf *out)
{
    cf_buf q = CF_BUF_INIT(SIG_MAX), creq = CF_BUF_INIT(SIG_MAX), names = CF_BUF_INIT(SIG_MAX),
           sts = CF_BUF_INIT(SIG_MAX), hnames = CF_BUF_INIT(SIG_MAX), block = CF_BUF_INIT(SIG_MAX);
    char date[17], cred[512], exp[32], hex[CF_SHA256_HEX_LEN];
    int rc;
    cf_sigv4_request pr = *r;
    if (expires_s < 1 || expires_s > 604800)
        return cf_error_set(CF_EINVAL, "presigned URL lifetime %d s is outside 1..604800",
                            expires_s);
    cf_sigv4_amz_date(r->time_ns, date);
    snprintf(cred, sizeof(cred), "%s/%.8s/%s/%s/aws4_request", r->access_key_id, date, r->region,
             r->service);
    snprintf(exp, sizeof(exp), "%d", expires_s);
    rc = canonical_headers(r->headers, &block, &hnames);
    if (!rc && r->query && *r->query)
        rc = cf_buf_addstr(&q, r->query);
    if (!rc)
        rc = add_qparam(&q, "X-Amz-Algorithm", "AWS4-HMAC-SHA256");
    if (!rc)
        rc = add_qparam(&q, "X-Amz-Credential", cred);
    if (!rc)
        rc = add_qparam(&q, "X-Amz-Date", date);
    if (!rc)
        rc = add_qparam(&q, "X-Amz-Expires", exp);
    if (!rc && r->session_token && *r->session_token)
        rc = add_qparam(&q, "X-Amz-Security-Token", r->session_token);
    if (!rc)
        rc = add_qparam(&q, "X-Amz-SignedHeaders", cf_buf_cstr(&hnames));
    if (rc)
        goto cleanup;
    pr.query = cf_buf_cstr(&q);
    if (!pr.payload_hash)
        pr.payload_hash = CF_SIGV4_UNSIGNED_PAYLOAD;
    rc = build_canonical(&pr, pr.query, &creq, &names);
    if (!rc)
        rc = sts_from_canonical(&pr, &creq, &sts);
    if (!rc)
        rc = signature(&pr, &sts, hex);
    if (!rc)
        rc = canonical_query(pr.query, out);
    if (!rc)
        rc = cf_buf_addf(out, "&X-Amz-Signature=%s", hex);
cleanup:
    cf_buf_release(&q);
    cf_buf_release(&creq);
    cf_buf_release(&names);
    cf_buf_release(&sts);
    cf_buf_release(&hnames);
    cf_buf_release(&block);
    return rc;
}
