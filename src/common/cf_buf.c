#include "common/cf_buf.h"
#include "common/cf_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cf_buf_init(cf_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

int cf_buf_grow(cf_buf *b, size_t extra)
{
    size_t need, cap;
    char *p;
    if (extra > b->max || b->len > b->max - extra)
        return cf_error_set(CF_ETOOBIG, "buffer limit of %zu bytes reached", b->max);
    need = b->len + extra + 1;
    if (need <= b->cap)
        return CF_OK;
    cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > (size_t)-1 / 2 ? need : cap * 2;
    if (cap > b->max + 1)
        cap = b->max + 1;
    p = realloc(b->data, cap);
    if (!p)
        return cf_error_set(CF_ENOMEM, "out of memory growing a buffer to %zu bytes", cap);
    b->data = p;
    b->cap = cap;
    return CF_OK;
}

int cf_buf_add(cf_buf *b, const void *data, size_t len)
{
    int rc = cf_buf_grow(b, len);
    if (rc)
        return rc;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return CF_OK;
}

int cf_buf_addstr(cf_buf *b, const char *s)
{
    return cf_buf_add(b, s, strlen(s));
}

int cf_buf_addch(cf_buf *b, char c)
{
    return cf_buf_add(b, &c, 1);
}

int cf_buf_addf(cf_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n, rc;
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return cf_error_set(CF_EINVAL, "bad format string");
    rc = cf_buf_grow(b, (size_t)n);
    if (rc)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return CF_OK;
}

void cf_buf_setlen(cf_buf *b, size_t len)
{
    if (b->data && len < b->cap) {
        b->len = len;
        b->data[len] = '\0';
    }
}

void cf_buf_reset(cf_buf *b)
{
    cf_buf_setlen(b, 0);
}

const char *cf_buf_cstr(const cf_buf *b)
{
    return b->data ? b->data : "";
}

char *cf_buf_detach(cf_buf *b, size_t *len_out)
{
    char *p = b->data ? b->data : strdup("");
    if (len_out)
        *len_out = b->len;
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}

void cf_buf_release(cf_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}
