/* Escaping for every output context of the report. Attacker-controlled text (file names, command
 * lines, log lines) passes through one of these functions before it is shown anywhere. */
#include "report/cf_report.h"
#include "report/report_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cf_error.h"

size_t cf_report_u8_next(const unsigned char *s, size_t len, uint32_t *cp)
{
    uint32_t c;
    size_t n, i;
    if (len == 0) {
        *cp = 0xFFFD;
        return 0;
    }
    c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        c &= 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        c &= 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        c &= 0x07;
    } else {
        *cp = 0xFFFD;
        return 1;
    }
    if (len < n) {
        *cp = 0xFFFD;
        return 1;
    }
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *cp = 0xFFFD;
            return 1;
        }
        c = (c << 6) | (s[i] & 0x3F);
    }
    if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10FFFF)) ||
        (c >= 0xD800 && c <= 0xDFFF)) {
        *cp = 0xFFFD;
        return 1;
    }
    *cp = c;
    return n;
}

int cf_report_u8_put(cf_buf *b, uint32_t cp)
{
    char t[4];
    size_t n;
    if (cp < 0x80) {
        t[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        t[0] = (char)(0xC0 | (cp >> 6));
        t[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        t[0] = (char)(0xE0 | (cp >> 12));
        t[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        t[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        t[0] = (char)(0xF0 | (cp >> 18));
        t[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        t[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        t[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return cf_buf_add(b, t, n);
}

int cf_report_cp_is_disguise(uint32_t cp)
{
    return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E ||
           cp == 0x200F || cp == 0x061C || cp == 0x2028 || cp == 0x2029;
}

static int is_control(uint32_t cp)
{
    return (cp < 0x20 && cp != '\n' && cp != '\t') || (cp >= 0x7F && cp <= 0x9F);
}

/* Writes a code point that needs no escaping in any context, handling controls and disguises. */
static int put_plain(cf_buf *out, uint32_t cp)
{
    if (is_control(cp))
        return cf_report_u8_put(out, 0xFFFD);
    if (cf_report_cp_is_disguise(cp))
        return cf_buf_addf(out, "[U+%04X]", (unsigned)cp);
    return cf_report_u8_put(out, cp);
}

int cf_report_esc_html(cf_buf *out, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    int rc = CF_OK;
    while (i < len && rc == CF_OK) {
        uint32_t cp;
        i += cf_report_u8_next(p + i, len - i, &cp);
        switch (cp) {
        case '&':
            rc = cf_buf_add(out, "&amp;", 5);
            break;
        case '<':
            rc = cf_buf_add(out, "&lt;", 4);
            break;
        case '>':
            rc = cf_buf_add(out, "&gt;", 4);
            break;
        case '"':
            rc = cf_buf_add(out, "&quot;", 6);
            break;
        case '\'':
            rc = cf_buf_add(out, "&#39;", 5);
            break;
        default:
            rc = put_plain(out, cp);
        }
    }
    return rc;
}

static int ci_prefix(const unsigned char *p, size_t left, const char *lit)
{
    size_t n = strlen(lit);
    if (left < n)
        return 0;
    for (size_t k = 0; k < n; k++) {
        unsigned char c = p[k];
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        if (c != (unsigned char)lit[k])
            return 0;
    }
    return 1;
}

/* 1 when p starts like the rest of an entity reference: [#A-Za-z0-9]{1,32} then ';'. */
static int md_entity_follows(const unsigned char *p, size_t left)
{
    size_t k = 0;
    while (k < left && k < 33 &&
           ((p[k] >= 'a' && p[k] <= 'z') || (p[k] >= 'A' && p[k] <= 'Z') ||
            (p[k] >= '0' && p[k] <= '9') || p[k] == '#'))
        k++;
    return k > 0 && k < left && p[k] == ';';
}

int cf_report_esc_md(cf_buf *out, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, digits = 0;
    int rc = CF_OK;
    /* "12." or "12)" at the start would make an ordered list */
    while (digits < len && p[digits] >= '0' && p[digits] <= '9')
        digits++;
    while (i < len && rc == CF_OK) {
        uint32_t cp;
        size_t at = i;
        i += cf_report_u8_next(p + at, len - at, &cp);
        if (cp == '&' && md_entity_follows(p + i, len - i))
            rc = cf_buf_add(out, "&amp;", 5); /* "&lt;" must stay text */
        else if (cp == '<' && i < len &&
                 ((p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'z' ? 1 : !!strchr("/!?", p[i])))
            rc = cf_buf_add(out, "&lt;", 4); /* would open a tag, comment or autolink */
        else if (cp == '>' && at == 0)
            rc = cf_buf_add(out, "&gt;", 4); /* block quote */
        else if (cp == '\n' || cp == '\r' || cp == '\t')
            rc = cf_buf_addch(out, ' '); /* no new line can start a block */
        else if (cp < 0x80 && strchr("\\`*_{}[]|~", (int)cp))
            rc = cf_buf_addf(out, "\\%c", (char)cp);
        else if (at == 0 && cp < 0x80 && strchr("-+#=", (int)cp))
            rc = cf_buf_addf(out, "\\%c", (char)cp); /* list, heading, rule */
        else if (digits > 0 && at == digits && (cp == '.' || cp == ')'))
            rc = cf_buf_addf(out, "\\%c", (char)cp);
        else if (cp == '.' && at >= 3 && ci_prefix(p + at - 3, 4, "www."))
            rc = cf_buf_add(out, "\\.", 2); /* no GFM extended www autolink */
        else if (cp == ':' && ci_prefix(p + at, len - at, "://"))
            rc = cf_buf_add(out, "\\:", 2); /* no GFM extended URL autolink */
        else
            rc = put_plain(out, cp);
    }
    return rc;
}

int cf_report_md_code(cf_buf *out, const char *s, size_t len, int in_table)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t run = 0, longest = 0, i = 0;
    int pad, rc = CF_OK;
    if (len == 0)
        return cf_buf_addstr(out, "\"\"");
    for (size_t k = 0; k < len; k++) {
        run = p[k] == '`' ? run + 1 : 0;
        if (run > longest)
            longest = run;
    }
    if (longest > 64)
        longest = 64; /* runs are broken below so the fence stays short */
    pad = p[0] == '`' || p[len - 1] == '`' || p[0] == ' ' || p[len - 1] == ' ' || p[0] == '\n' ||
          p[len - 1] == '\n';
    for (size_t k = 0; k <= longest && rc == CF_OK; k++)
        rc = cf_buf_addch(out, '`');
    if (pad && rc == CF_OK)
        rc = cf_buf_addch(out, ' ');
    run = 0;
    while (i < len && rc == CF_OK) {
        uint32_t cp;
        i += cf_report_u8_next(p + i, len - i, &cp);
        if (cp == '`') {
            if (++run > longest) {
                rc = cf_buf_addstr(out, "\xEF\xBF\xBD"); /* run longer than the (capped) fence */
                run = 0;
                continue;
            }
            rc = cf_buf_addch(out, '`');
            continue;
        }
        run = 0;
        if (cp == '\n' || cp == '\r' || cp == '\t')
            rc = cf_buf_addch(out, ' ');
        else if (cp == '|' && in_table)
            rc = cf_buf_add(out, "\\|", 2);
        else
            rc = put_plain(out, cp);
    }
    if (pad && rc == CF_OK)
        rc = cf_buf_addch(out, ' ');
    for (size_t k = 0; k <= longest && rc == CF_OK; k++)
        rc = cf_buf_addch(out, '`');
    return rc;
}

int cf_report_truncate(const char *s, size_t len, size_t max, char **out)
{
    cf_buf b = CF_BUF_INIT(max + 64 > len * 3 + 64 ? max + 64 : len * 3 + 64);
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    int rc = CF_OK;
    *out = NULL;
    while (i < len) {
        uint32_t cp;
        size_t n = cf_report_u8_next(p + i, len - i, &cp);
        size_t need = cp == 0xFFFD && n == 1 ? 3 : n;
        if (cp == 0)
            need = 3; /* NUL is kept out of strings, as by cf_json_string_lossy */
        if (b.len + need > max) {
            rc = cf_buf_addf(&b, " \xE2\x80\xA6[truncated %zu bytes]", len - i);
            if (rc)
                goto cleanup;
            break;
        }
        if (cp == 0 || (cp == 0xFFFD && n == 1))
            rc = cf_buf_add(&b, "\xEF\xBF\xBD", 3);
        else
            rc = cf_buf_add(&b, p + i, n);
        if (rc)
            goto cleanup;
        i += n;
    }
    *out = cf_buf_detach(&b, NULL);
    if (!*out)
        rc = cf_error_set(CF_ENOMEM, "truncate");
cleanup:
    cf_buf_release(&b);
    return rc;
}

void cf_rw_raw(cf_rw *w, const char *s)
{
    if (w->rc == CF_OK)
        w->rc = cf_buf_addstr(w->b, s);
}

void cf_rw_fmt(cf_rw *w, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    int n;
    if (w->rc != CF_OK)
        return;
    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        w->rc = cf_error_set(CF_ETOOBIG, "report: formatted text too long");
        return;
    }
    w->rc = cf_buf_add(w->b, tmp, (size_t)n);
}

void cf_rw_html(cf_rw *w, const char *s)
{
    if (w->rc == CF_OK && s)
        w->rc = cf_report_esc_html(w->b, s, strlen(s));
}

void cf_rw_md(cf_rw *w, const char *s)
{
    if (w->rc == CF_OK && s)
        w->rc = cf_report_esc_md(w->b, s, strlen(s));
}

void cf_rw_code(cf_rw *w, const char *s)
{
    if (w->rc != CF_OK)
        return;
    if (!s || !*s)
        w->rc = cf_buf_addstr(w->b, "-");
    else
        w->rc = cf_report_md_code(w->b, s, strlen(s), w->md_table);
}

void cf_rw_value_text(cf_buf *tmp, json_t *v)
{
    cf_buf_reset(tmp);
    if (json_is_string(v))
        cf_buf_add(tmp, json_string_value(v), json_string_length(v));
    else if (json_is_integer(v))
        cf_buf_addf(tmp, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        cf_buf_addf(tmp, "%g", json_real_value(v));
    else if (json_is_true(v))
        cf_buf_addstr(tmp, "true");
    else if (json_is_false(v))
        cf_buf_addstr(tmp, "false");
}

int cf_report_url_ok(const char *u)
{
    size_t n;
    if (!u || (strncmp(u, "https://", 8) && strncmp(u, "http://", 7)))
        return 0;
    n = strlen(u);
    if (n > 8192)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = u[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr("-._~:/?#@!$&+,;=%", c)))
            return 0;
    }
    return 1;
}
