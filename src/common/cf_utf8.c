#include "common/cf_utf8.h"
#include "common/cf_error.h"

#include <stdint.h>
#include <string.h>

size_t cf_utf8_seq(const unsigned char *s, size_t n)
{
    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF)
        return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
            return 0;
        /* overlong (E0 80..9F) and surrogates (ED A0..BF) */
        if ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] >= 0xA0))
            return 0;
        return 3;
    }
    if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
            return 0;
        /* overlong (F0 80..8F) and above U+10FFFF (F4 90..) */
        if ((s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] >= 0x90))
            return 0;
        return 4;
    }
    return 0;
}

int cf_utf8_valid(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        size_t k;
        /* eight ASCII bytes without NUL at a time */
        while (len - i >= 8) {
            uint64_t w;
            memcpy(&w, u + i, 8);
            if ((w & 0x8080808080808080ull) ||
                ((w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull))
                break;
            i += 8;
        }
        if (i >= len)
            break;
        if (u[i] == 0)
            return 0;
        if (u[i] < 0x80) {
            i++;
            continue;
        }
        k = cf_utf8_seq(u + i, len - i);
        if (!k)
            return 0;
        i += k;
    }
    return 1;
}

int cf_utf8_lossy(cf_buf *out, const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    int rc = CF_OK;
    while (i < len && !rc) {
        size_t k = u[i] ? cf_utf8_seq(u + i, len - i) : 0;
        if (!k) {
            rc = cf_buf_add(out, "\xEF\xBF\xBD", 3);
            i++;
        } else {
            rc = cf_buf_add(out, u + i, k);
            i += k;
        }
    }
    return rc;
}
