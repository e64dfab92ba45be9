/* Request parameter lists, SigV4 percent-encoding and idempotency client tokens. */
#include "aws/cf_aws.h"
#include "common/cf_hash.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PARAMS_MAX 100000 /* far more than any AWS call takes; bounds a runaway caller */

int cf_aws_params_add(cf_aws_params *p, const char *name, const char *value)
{
    char *n = NULL, *v = NULL;
    int rc = CF_OK;
    if (!name || !value) {
        rc = cf_error_set(CF_EINVAL, "parameter name and value must not be NULL");
        goto cleanup;
    }
    if (p->len == p->cap) {
        size_t ncap = p->cap ? p->cap * 2 : 16;
        cf_aws_param *ni;
        if (ncap > PARAMS_MAX) {
            rc = cf_error_set(CF_ETOOBIG, "too many request parameters");
            goto cleanup;
        }
        ni = realloc(p->items, ncap * sizeof(*ni));
        if (!ni) {
            rc = cf_error_set(CF_ENOMEM, "out of memory");
            goto cleanup;
        }
        p->items = ni;
        p->cap = ncap;
    }
    n = strdup(name);
    v = strdup(value);
    if (!n || !v) {
        rc = cf_error_set(CF_ENOMEM, "out of memory");
        goto cleanup;
    }
    p->items[p->len].name = n;
    p->items[p->len].value = v;
    p->len++;
    n = v = NULL;
cleanup:
    free(n);
    free(v);
    return rc;
}

int cf_aws_params_addf(cf_aws_params *p, const char *name, const char *fmt, ...)
{
    char *v = NULL;
    int rc;
    va_list ap;
    va_start(ap, fmt);
    rc = vasprintf(&v, fmt, ap);
    va_end(ap);
    if (rc < 0)
        return cf_error_set(CF_ENOMEM, "out of memory");
    rc = cf_aws_params_add(p, name, v);
    free(v);
    return rc;
}

int cf_aws_params_set(cf_aws_params *p, const char *name, const char *value)
{
    for (size_t i = 0; i < p->len; i++) {
        if (strcmp(p->items[i].name, name) == 0) {
            char *v = strdup(value);
            if (!v)
                return cf_error_set(CF_ENOMEM, "out of memory");
            free(p->items[i].value);
            p->items[i].value = v;
            return CF_OK;
        }
    }
    return cf_aws_params_add(p, name, value);
}

const char *cf_aws_params_get(const cf_aws_params *p, const char *name)
{
    if (!p)
        return NULL;
    for (size_t i = 0; i < p->len; i++)
        if (strcmp(p->items[i].name, name) == 0)
            return p->items[i].value;
    return NULL;
}

void cf_aws_params_release(cf_aws_params *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->len; i++) {
        free(p->items[i].name);
        free(p->items[i].value);
    }
    free(p->items);
    p->items = NULL;
    p->len = p->cap = 0;
}

int cf_aws_uri_encode(cf_buf *out, const char *s, size_t len, int keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        int rc;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
            rc = cf_buf_addch(out, (char)c);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            rc = cf_buf_add(out, e, 3);
        }
        if (rc)
            return rc;
    }
    return CF_OK;
}

static void token_digest(const char *seed, uint8_t d[CF_SHA256_LEN])
{
    /* Domain-separated so a token never equals a plain hash of the seed used elsewhere. */
    static const char tag[] = "casefile.client-token/1\n";
    size_t n = strlen(seed);
    cf_hmac_sha256(tag, sizeof(tag) - 1, seed, n, d);
}

void cf_aws_client_token(const char *seed, char out[CF_AWS_TOKEN_MAX])
{
    uint8_t d[CF_SHA256_LEN];
    token_digest(seed ? seed : "", d);
    cf_hex_encode(d, 16, out);
}

void cf_aws_client_token_uuid(const char *seed, char out[CF_AWS_TOKEN_MAX])
{
    uint8_t d[CF_SHA256_LEN];
    char h[33];
    token_digest(seed ? seed : "", d);
    d[6] = (uint8_t)((d[6] & 0x0f) | 0x50); /* version 5 (name-based, SHA) */
    d[8] = (uint8_t)((d[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    cf_hex_encode(d, 16, h);
    snprintf(out, CF_AWS_TOKEN_MAX, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12, h + 16, h + 20);
}
