/* Raw MIME messages for SES (RFC 5322, RFC 2045-2047): quoted-printable text bodies, base64
 * attachments, RFC 2047 subjects, CRLF line ends and no line over 78 characters. */
#include "report/cf_report.h"
#include "report/report_int.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "common/cf_error.h"
#include "common/cf_time.h"

#define QP_LINE 76

int cf_mime_qp_encode(cf_buf *out, const void *data, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p = data;
    size_t col = 0;
    int rc = CF_OK;
    for (size_t i = 0; i < len && rc == CF_OK; i++) {
        unsigned char c = p[i];
        char enc[4];
        size_t n;
        int at_eol;
        if (c == '\n' || (c == '\r' && i + 1 < len && p[i + 1] == '\n')) {
            if (c == '\r')
                i++;
            rc = cf_buf_add(out, "\r\n", 2);
            col = 0;
            continue;
        }
        at_eol = i + 1 == len || p[i + 1] == '\n' ||
                 (p[i + 1] == '\r' && i + 2 < len && p[i + 2] == '\n');
        if ((c >= 33 && c <= 126 && c != '=' && !(c == '.' && col == 0)) ||
            ((c == ' ' || c == '\t') && !at_eol)) {
            enc[0] = (char)c;
            n = 1;
        } else {
            enc[0] = '=';
            enc[1] = hex[c >> 4];
            enc[2] = hex[c & 15];
            n = 3;
        }
        /* Keep room for a soft break "=" so no line passes 76 characters. */
        if (col + n > QP_LINE - 1 && !(at_eol && col + n <= QP_LINE)) {
            rc = cf_buf_add(out, "=\r\n", 3);
            col = 0;
            if (rc)
                break;
            if (n == 1 && enc[0] == '.') { /* a dot never starts a line */
                enc[0] = '=';
                enc[1] = '2';
                enc[2] = 'E';
                n = 3;
            }
        }
        rc = cf_buf_add(out, enc, n);
        col += n;
    }
    if (rc == CF_OK && col > 0)
        rc = cf_buf_add(out, "\r\n", 2);
    return rc;
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_chunk(cf_buf *out, const unsigned char *p, size_t n)
{
    char q[4];
    int rc = CF_OK;
    for (size_t i = 0; i < n && rc == CF_OK; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        q[0] = B64[(v >> 18) & 63];
        q[1] = B64[(v >> 12) & 63];
        q[2] = i + 1 < n ? B64[(v >> 6) & 63] : '=';
        q[3] = i + 2 < n ? B64[v & 63] : '=';
        rc = cf_buf_add(out, q, 4);
    }
    return rc;
}

int cf_mime_b64_encode(cf_buf *out, const void *data, size_t len)
{
    const unsigned char *p = data;
    int rc = CF_OK;
    /* 57 input bytes = 76 output characters per line */
    for (size_t i = 0; i < len && rc == CF_OK; i += 57) {
        size_t n = len - i < 57 ? len - i : 57;
        rc = b64_chunk(out, p + i, n);
        if (rc == CF_OK)
            rc = cf_buf_add(out, "\r\n", 2);
    }
    return rc;
}

int cf_mime_header_encode(cf_buf *out, const char *value, size_t name_len)
{
    const unsigned char *p = (const unsigned char *)value;
    size_t len = strlen(value), i = 0, col = name_len;
    int plain = 1, rc = CF_OK;
    for (size_t k = 0; k < len; k++)
        if (p[k] < 0x20 || p[k] > 0x7E)
            plain = 0;
    if (plain && (strstr(value, "=?") || strstr(value, "  ") || (len && p[0] == ' ') ||
                  (len && p[len - 1] == ' ')))
        plain = 0; /* folding could leave a blank line; encode instead */
    if (plain && name_len + len <= 78)
        return cf_buf_add(out, value, len);
    if (plain) {
        /* Fold at spaces; a word longer than a line makes the whole value encoded. */
        size_t start = 0;
        int ok = 1;
        for (size_t k = 0; k <= len; k++) {
            if (k < len && p[k] != ' ')
                continue;
            if (k - start > (start == 0 ? 78 - name_len : 77))
                ok = 0;
            start = k + 1;
        }
        if (ok) {
            size_t w = 0;
            while (w < len && rc == CF_OK) {
                size_t e = w;
                while (e < len && p[e] != ' ')
                    e++;
                if (w > 0 && col + 1 + (e - w) > 78) {
                    rc = cf_buf_add(out, "\r\n", 2);
                    col = 0;
                }
                if (rc == CF_OK && w > 0) {
                    rc = cf_buf_addch(out, ' ');
                    col++;
                }
                if (rc == CF_OK)
                    rc = cf_buf_add(out, p + w, e - w);
                col += e - w;
                w = e + 1;
            }
            return rc;
        }
    }
    /* RFC 2047 B encoded-words, each holding whole UTF-8 characters; controls become spaces. */
    {
        int first = 1;
        while (i < len && rc == CF_OK) {
            unsigned char chunk[64];
            size_t n = 0, room, maxraw;
            if (!first || col + 1 + 12 + 8 > 78) {
                rc = cf_buf_add(out, "\r\n ", 3); /* fold: every word on its own line */
                col = 1;
                if (rc)
                    break;
            }
            first = 0;
            room = 78 - col - 12; /* "=?UTF-8?B?" + "?=" */
            maxraw = room / 4 * 3;
            if (maxraw > 45)
                maxraw = 45;
            while (i < len) {
                uint32_t cp;
                size_t k = cf_report_u8_next(p + i, len - i, &cp);
                unsigned char enc[4];
                size_t en;
                if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F))
                    cp = ' ';
                if (cp < 0x80) {
                    enc[0] = (unsigned char)cp;
                    en = 1;
                } else if (cp == 0xFFFD && k == 1) { /* an invalid byte */
                    memcpy(enc, "\xEF\xBF\xBD", 3);
                    en = 3;
                } else {
                    memcpy(enc, p + i, k);
                    en = k;
                }
                if (n + en > maxraw)
                    break;
                memcpy(chunk + n, enc, en);
                n += en;
                i += k;
            }
            if (rc == CF_OK)
                rc = cf_buf_add(out, "=?UTF-8?B?", 10);
            if (rc == CF_OK)
                rc = b64_chunk(out, chunk, n);
            if (rc == CF_OK)
                rc = cf_buf_add(out, "?=", 2);
            col += 12 + (n + 2) / 3 * 4;
        }
    }
    return rc;
}

static int check_header_text(const char *what, const char *s)
{
    if (!s || !*s)
        return cf_error_set(CF_EINVAL, "mail: %s is empty", what);
    if (strlen(s) > 320)
        return cf_error_set(CF_EINVAL, "mail: %s is too long", what);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p >= 0x7F)
            return cf_error_set(CF_EINVAL, "mail: %s has a control or non-ASCII character", what);
    return CF_OK;
}

static int check_filename(const char *s)
{
    if (!s || !*s || strlen(s) > 64)
        return cf_error_set(CF_EINVAL, "mail: bad attachment name");
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '-' || *p == '_'))
            return cf_error_set(CF_EINVAL, "mail: bad attachment name");
    return CF_OK;
}

static void random_hex(char *out, size_t nbytes)
{
    unsigned char r[32];
    static const char hex[] = "0123456789abcdef";
    static unsigned counter;
    if (nbytes > sizeof(r))
        nbytes = sizeof(r);
    if (getrandom(r, nbytes, 0) != (ssize_t)nbytes) {
        /* fall back to time and a counter: uniqueness, not secrecy, is what matters here */
        uint64_t t = (uint64_t)cf_time_now() ^ ((uint64_t)++counter << 40);
        for (size_t i = 0; i < nbytes; i++)
            r[i] = (unsigned char)(t >> ((i % 8) * 8)) ^ (unsigned char)(i * 131);
    }
    for (size_t i = 0; i < nbytes; i++) {
        out[2 * i] = hex[r[i] >> 4];
        out[2 * i + 1] = hex[r[i] & 15];
    }
    out[2 * nbytes] = '\0';
}

static int add_part_header(cf_buf *out, const char *boundary, const char *ctype, const char *cte,
                           const char *extra)
{
    int rc = cf_buf_addf(out, "--%s\r\nContent-Type: %s\r\nContent-Transfer-Encoding: %s\r\n",
                         boundary, ctype, cte);
    if (rc == CF_OK && extra)
        rc = cf_buf_addstr(out, extra);
    if (rc == CF_OK)
        rc = cf_buf_add(out, "\r\n", 2);
    return rc;
}

int cf_mime_build(const cf_mail *m, cf_buf *out)
{
    char mix[48], alt[48], rnd[33], date[64], extra[256];
    struct tm tm;
    time_t secs;
    int rc;
    if (!m->to || m->n_to == 0)
        return cf_error_set(CF_EINVAL, "mail: no recipient");
    if ((rc = check_header_text("From", m->from)))
        return rc;
    for (size_t i = 0; i < m->n_to; i++)
        if ((rc = check_header_text("To", m->to[i])))
            return rc;
    if (m->message_id_domain && (rc = check_header_text("Message-ID domain", m->message_id_domain)))
        return rc;
    if (m->attach_name) {
        if ((rc = check_filename(m->attach_name)) ||
            (rc = check_header_text("attachment type", m->attach_type ? m->attach_type : "x")))
            return rc;
        if (m->attach_type && strchr(m->attach_type, '"'))
            return cf_error_set(CF_EINVAL, "mail: bad attachment type");
    }
    /* "=_" can appear neither in quoted-printable nor in base64 output, so the boundaries
     * cannot collide with any body. */
    random_hex(rnd, 12);
    snprintf(mix, sizeof(mix), "=_cf_mix_%s", rnd);
    snprintf(alt, sizeof(alt), "=_cf_alt_%s", rnd);
    secs = (time_t)((m->date_ns ? m->date_ns : cf_time_now()) / CF_NS_PER_SEC);
    gmtime_r(&secs, &tm);
    {
        static const char *const wd[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
        static const char *const mo[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
        snprintf(date, sizeof(date), "%s, %02d %s %04d %02d:%02d:%02d +0000", wd[tm.tm_wday % 7],
                 tm.tm_mday, mo[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                 tm.tm_sec);
    }
    random_hex(rnd, 16);
    if ((rc = cf_buf_addf(out, "From: %s\r\nTo: ", m->from)))
        return rc;
    for (size_t i = 0; i < m->n_to && rc == CF_OK; i++)
        rc = cf_buf_addf(out, "%s%s", i ? ",\r\n " : "", m->to[i]);
    if (rc == CF_OK)
        rc = cf_buf_addstr(out, "\r\nSubject: ");
    if (rc == CF_OK)
        rc = cf_mime_header_encode(out, m->subject ? m->subject : "", 9);
    if (rc == CF_OK)
        rc = cf_buf_addf(out,
                         "\r\nDate: %s\r\nMessage-ID: <%s@%s>\r\nMIME-Version: 1.0\r\n"
                         "Auto-Submitted: auto-generated\r\n"
                         "Content-Type: multipart/mixed;\r\n boundary=\"%s\"\r\n\r\n"
                         "This is a MIME message.\r\n",
                         date, rnd,
                         m->message_id_domain ? m->message_id_domain : "casefile.invalid", mix);
    if (rc == CF_OK)
        rc = cf_buf_addf(out,
                         "--%s\r\nContent-Type: multipart/alternative;\r\n boundary=\"%s\"\r\n\r\n",
                         mix, alt);
    if (rc == CF_OK)
        rc = add_part_header(out, alt, "text/plain; charset=utf-8", "quoted-printable", NULL);
    if (rc == CF_OK)
        rc = cf_mime_qp_encode(out, m->text ? m->text : "", m->text ? strlen(m->text) : 0);
    if (rc == CF_OK && m->html) {
        rc = add_part_header(out, alt, "text/html; charset=utf-8", "quoted-printable", NULL);
        if (rc == CF_OK)
            rc = cf_mime_qp_encode(out, m->html, strlen(m->html));
    }
    if (rc == CF_OK)
        rc = cf_buf_addf(out, "--%s--\r\n", alt);
    if (rc == CF_OK && m->attach_name) {
        char ctype[200];
        snprintf(ctype, sizeof(ctype), "%s;\r\n name=\"%s\"",
                 m->attach_type ? m->attach_type : "application/octet-stream", m->attach_name);
        snprintf(extra, sizeof(extra), "Content-Disposition: attachment;\r\n filename=\"%s\"\r\n",
                 m->attach_name);
        rc = add_part_header(out, mix, ctype, "base64", extra);
        if (rc == CF_OK)
            rc = cf_mime_b64_encode(out, m->attach_data, m->attach_len);
    }
    if (rc == CF_OK)
        rc = cf_buf_addf(out, "--%s--\r\n", mix);
    if (rc)
        cf_error_wrap("build MIME message");
    return rc;
}
