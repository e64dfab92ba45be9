/* Fuzz target: the report's escapers and MIME encoders. Beyond not crashing, each output is
 * checked: HTML escapes leave no markup character, Markdown escapes stay on one line, every
 * output is valid UTF-8, quoted-printable and base64 decode back to the input, and no MIME line
 * is too long or ends in a bare CR or LF. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report/cf_report.h"

static void require(int cond)
{
    if (!cond)
        abort();
}

static int valid_utf8(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t k;
        unsigned cp;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            k = 1, cp = c & 0x1F;
        else if (c >= 0xE0 && c <= 0xEF)
            k = 2, cp = c & 0x0F;
        else if (c >= 0xF0 && c <= 0xF4)
            k = 3, cp = c & 0x07;
        else
            return 0;
        for (size_t j = 1; j <= k; j++) {
            if (i + j >= n || (s[i + j] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + j] & 0x3F);
        }
        if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += k + 1;
    }
    return 1;
}

/* Lines end in CRLF, no bare CR or LF, at most max characters (first_max for the first). */
static void check_lines_first(const cf_buf *b, size_t first_max, size_t max)
{
    size_t col = 0, lim = first_max;
    for (size_t i = 0; i < b->len; i++) {
        char c = b->data[i];
        if (c == '\r') {
            require(i + 1 < b->len && b->data[i + 1] == '\n');
            i++;
            col = 0;
            lim = max;
            continue;
        }
        require(c != '\n');
        require(++col <= lim);
    }
}

static void check_lines(const cf_buf *b, size_t max)
{
    check_lines_first(b, max, max);
}

static int hexv(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static void check_qp(const uint8_t *d, size_t n)
{
    cf_buf enc = CF_BUF_INIT(64u << 20), dec = CF_BUF_INIT(64u << 20),
           want = CF_BUF_INIT(64u << 20);
    require(cf_mime_qp_encode(&enc, d, n) == 0);
    check_lines(&enc, 76);
    for (size_t i = 0; i < enc.len;) {
        if (enc.data[i] == '=' && i + 2 < enc.len && enc.data[i + 1] == '\r') {
            i += 3;
        } else if (enc.data[i] == '=') {
            require(i + 2 < enc.len && hexv(enc.data[i + 1]) >= 0 && hexv(enc.data[i + 2]) >= 0);
            cf_buf_addch(&dec, (char)(hexv(enc.data[i + 1]) * 16 + hexv(enc.data[i + 2])));
            i += 3;
        } else if (enc.data[i] == '\r') {
            cf_buf_addch(&dec, '\n');
            i += 2;
        } else {
            /* trailing white space would be lost in transport */
            if (enc.data[i] == ' ' || enc.data[i] == '\t')
                require(i + 1 < enc.len && enc.data[i + 1] != '\r');
            cf_buf_addch(&dec, enc.data[i++]);
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (d[i] == '\r' && i + 1 < n && d[i + 1] == '\n')
            continue;
        cf_buf_addch(&want, (char)d[i]);
    }
    if (want.len > 0 && want.data[want.len - 1] != '\n')
        cf_buf_addch(&want, '\n');
    require(dec.len == want.len && (dec.len == 0 || !memcmp(dec.data, want.data, dec.len)));
    cf_buf_release(&enc);
    cf_buf_release(&dec);
    cf_buf_release(&want);
}

static void check_b64(const uint8_t *d, size_t n)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    cf_buf enc = CF_BUF_INIT(64u << 20), dec = CF_BUF_INIT(64u << 20);
    uint32_t acc = 0;
    int bits = 0;
    require(cf_mime_b64_encode(&enc, d, n) == 0);
    check_lines(&enc, 76);
    for (size_t i = 0; i < enc.len; i++) {
        const char *p;
        if (enc.data[i] == '\r' || enc.data[i] == '\n' || enc.data[i] == '=')
            continue;
        p = strchr(alphabet, enc.data[i]);
        require(p != NULL);
        acc = (acc << 6) | (uint32_t)(p - alphabet);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            cf_buf_addch(&dec, (char)((acc >> bits) & 0xFF));
        }
    }
    require(dec.len == n && (n == 0 || !memcmp(dec.data, d, n)));
    cf_buf_release(&enc);
    cf_buf_release(&dec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cf_buf b = CF_BUF_INIT(64u << 20);
    const char *s = (const char *)data;
    char *t = NULL;
    if (size > (1u << 20))
        return 0;
    /* HTML */
    require(cf_report_esc_html(&b, s, size) == 0);
    require(valid_utf8((const unsigned char *)b.data, b.len));
    require(!b.len || !memchr(b.data, '<', b.len));
    require(!b.len || !memchr(b.data, '>', b.len));
    require(!b.len || !memchr(b.data, '"', b.len));
    require(!b.len || !memchr(b.data, '\'', b.len));
    cf_buf_reset(&b);
    /* Markdown prose and code spans: one line, valid UTF-8 */
    require(cf_report_esc_md(&b, s, size) == 0);
    require(valid_utf8((const unsigned char *)b.data, b.len));
    require(!b.len || (!memchr(b.data, '\n', b.len) && !memchr(b.data, '\r', b.len)));
    cf_buf_reset(&b);
    require(cf_report_md_code(&b, s, size, size & 1) == 0);
    require(valid_utf8((const unsigned char *)b.data, b.len));
    require(!b.len || (!memchr(b.data, '\n', b.len) && !memchr(b.data, '\r', b.len)));
    cf_buf_reset(&b);
    /* truncation: bounded, valid UTF-8 */
    {
        size_t max = size ? data[0] : 0;
        require(cf_report_truncate(s, size, max, &t) == 0);
        require(valid_utf8((const unsigned char *)t, strlen(t)));
        require(strlen(t) <= max + 48);
        free(t);
    }
    /* MIME */
    check_qp(data, size);
    check_b64(data, size);
    if (size < 4096) {
        char *v = malloc(size + 1);
        if (v) {
            memcpy(v, data, size);
            v[size] = '\0'; /* a header value is a C string */
            require(cf_mime_header_encode(&b, v, 9) == 0);
            check_lines_first(&b, 78 - 9, 78);
            free(v);
        }
    }
    cf_buf_release(&b);
    return 0;
}
