#include "cfa_json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int jw_reserve(struct cfa_jw *jw, size_t n)
{
    size_t want, cap;
    char *p;
    if (jw->overflow)
        return -1;
    if (n > jw->max || jw->len > jw->max - n) {
        jw->overflow = 1;
        return -1;
    }
    want = jw->len + n;
    if (want <= jw->cap)
        return 0;
    cap = jw->cap ? jw->cap : 1024;
    while (cap < want)
        cap *= 2;
    if (cap > jw->max)
        cap = jw->max;
    p = realloc(jw->buf, cap);
    if (!p) {
        jw->overflow = 1;
        return -1;
    }
    jw->buf = p;
    jw->cap = cap;
    return 0;
}

void cfa_jw_raw(struct cfa_jw *jw, const char *s, size_t n)
{
    if (n == 0 || jw_reserve(jw, n) < 0)
        return;
    memcpy(jw->buf + jw->len, s, n);
    jw->len += n;
}

static void jw_byte(struct cfa_jw *jw, char c)
{
    if (jw_reserve(jw, 1) < 0)
        return;
    jw->buf[jw->len++] = c;
}

void cfa_jw_reset(struct cfa_jw *jw)
{
    jw->len = 0;
    jw->overflow = 0;
    jw->depth = 0;
    jw->first[0] = 1;
}

void cfa_jw_release(struct cfa_jw *jw)
{
    free(jw->buf);
    jw->buf = NULL;
    jw->len = jw->cap = 0;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when it is invalid. */
static size_t utf8_valid(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        return (n >= 2 && (s[1] & 0xc0) == 0x80) ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
            return 0;
        if (c == 0xe0 && s[1] < 0xa0) /* overlong */
            return 0;
        if (c == 0xed && s[1] >= 0xa0) /* surrogate */
            return 0;
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
            return 0;
        if (c == 0xf0 && s[1] < 0x90) /* overlong */
            return 0;
        if (c == 0xf4 && s[1] >= 0x90) /* beyond U+10FFFF */
            return 0;
        return 4;
    }
    return 0;
}

void cfa_jw_escape(struct cfa_jw *jw, const char *str, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n && !jw->overflow) {
        unsigned char c = s[i];
        size_t run = i, k;
        /* copy the longest run of bytes needing no escape in one go */
        while (run < n && s[run] >= 0x20 && s[run] < 0x7f && s[run] != '"' && s[run] != '\\')
            run++;
        if (run > i) {
            cfa_jw_raw(jw, str + i, run - i);
            i = run;
            continue;
        }
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            cfa_jw_raw(jw, e, 2);
            i++;
        } else if (c == '\n') {
            cfa_jw_raw(jw, "\\n", 2);
            i++;
        } else if (c == '\t') {
            cfa_jw_raw(jw, "\\t", 2);
            i++;
        } else if (c == '\r') {
            cfa_jw_raw(jw, "\\r", 2);
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            cfa_jw_raw(jw, e, 6);
            i++;
        } else if ((k = utf8_valid(s + i, n - i)) > 0) {
            cfa_jw_raw(jw, str + i, k);
            i += k;
        } else {
            cfa_jw_raw(jw, "\\ufffd", 6);
            i++;
        }
    }
}

static void jw_prefix(struct cfa_jw *jw, const char *key)
{
    if (!jw->first[jw->depth])
        jw_byte(jw, ',');
    jw->first[jw->depth] = 0;
    if (key) {
        jw_byte(jw, '"');
        cfa_jw_escape(jw, key, strlen(key));
        cfa_jw_raw(jw, "\":", 2);
    }
}

static void jw_open(struct cfa_jw *jw, const char *key, char c)
{
    jw_prefix(jw, key);
    jw_byte(jw, c);
    if (jw->depth + 1 >= CFA_JW_DEPTH) {
        jw->overflow = 1;
        return;
    }
    jw->depth++;
    jw->first[jw->depth] = 1;
}

static void jw_close(struct cfa_jw *jw, char c)
{
    if (jw->depth > 0)
        jw->depth--;
    jw_byte(jw, c);
}

void cfa_jw_obj_begin(struct cfa_jw *jw, const char *key)
{
    jw_open(jw, key, '{');
}

void cfa_jw_obj_end(struct cfa_jw *jw)
{
    jw_close(jw, '}');
}

void cfa_jw_arr_begin(struct cfa_jw *jw, const char *key)
{
    jw_open(jw, key, '[');
}

void cfa_jw_arr_end(struct cfa_jw *jw)
{
    jw_close(jw, ']');
}

void cfa_jw_str(struct cfa_jw *jw, const char *key, const char *s, size_t n)
{
    jw_prefix(jw, key);
    jw_byte(jw, '"');
    cfa_jw_escape(jw, s, n);
    jw_byte(jw, '"');
}

void cfa_jw_cstr(struct cfa_jw *jw, const char *key, const char *s)
{
    if (s)
        cfa_jw_str(jw, key, s, strlen(s));
}

/* Digits of v in base (10 or 16) at the end of tmp[32]; returns the first digit. */
static char *fmt_u64(char tmp[32], uint64_t v, unsigned base)
{
    static const char digits[] = "0123456789abcdef";
    char *p = tmp + 32;
    do {
        *--p = digits[v % base];
        v /= base;
    } while (v);
    return p;
}

void cfa_jw_int(struct cfa_jw *jw, const char *key, int64_t v)
{
    char tmp[32], *p;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    p = fmt_u64(tmp, u, 10);
    if (v < 0)
        *--p = '-';
    jw_prefix(jw, key);
    cfa_jw_raw(jw, p, (size_t)(tmp + 32 - p));
}

void cfa_jw_uint(struct cfa_jw *jw, const char *key, uint64_t v)
{
    char tmp[32], *p = fmt_u64(tmp, v, 10);
    jw_prefix(jw, key);
    cfa_jw_raw(jw, p, (size_t)(tmp + 32 - p));
}

void cfa_jw_hex(struct cfa_jw *jw, const char *key, uint64_t v)
{
    char tmp[32], *p = fmt_u64(tmp, v, 16);
    *--p = 'x';
    *--p = '0';
    cfa_jw_str(jw, key, p, (size_t)(tmp + 32 - p));
}

void cfa_jw_bool(struct cfa_jw *jw, const char *key, int v)
{
    jw_prefix(jw, key);
    if (v)
        cfa_jw_raw(jw, "true", 4);
    else
        cfa_jw_raw(jw, "false", 5);
}

void cfa_jw_strf(struct cfa_jw *jw, const char *key, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof(tmp))
        n = sizeof(tmp) - 1;
    cfa_jw_str(jw, key, tmp, (size_t)n);
}
