/* Record formatting: bodyfile 3.x lines (as TSK prints them) and files.jsonl objects. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/cf_error.h"
#include "common/cf_time.h"
#include "common/cf_utf8.h"
#include "disk/disk_internal.h"

void disk_rec_free(disk_rec *r)
{
    if (!r)
        return;
    free(r->path);
    free(r->link);
    for (int i = 0; i < r->n_yara; i++)
        free(r->yara[i]);
    free(r);
}

int cf_disk_body_escape(cf_buf *out, const char *name, size_t len)
{
    size_t start = 0;
    int rc = CF_OK;
    /* TSK_IS_CNTRL: a signed char in 0x00..0x1f becomes '^'; everything else is kept. */
    for (size_t i = 0; i < len && rc == CF_OK; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c < 0x20) {
            rc = cf_buf_add(out, name + start, i - start);
            if (rc == CF_OK)
                rc = cf_buf_addch(out, '^');
            start = i + 1;
        }
    }
    if (rc == CF_OK)
        rc = cf_buf_add(out, name + start, len - start);
    return rc;
}

static int add_u64(cf_buf *out, uint64_t v)
{
    char tmp[24];
    int n = 0;
    char rev[24];
    do {
        rev[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (int i = 0; i < n; i++)
        tmp[i] = rev[n - 1 - i];
    return cf_buf_add(out, tmp, (size_t)n);
}

static int add_sep_u64(cf_buf *out, uint64_t v)
{
    int rc = cf_buf_addch(out, '|');
    return rc == CF_OK ? add_u64(out, v) : rc;
}

int disk_body_line(const disk_rec *r, cf_buf *out)
{
    int rc = cf_buf_add(out, "0|", 2);
    if (rc == CF_OK)
        rc = cf_disk_body_escape(out, r->path, r->path_len);
    if (rc == CF_OK && r->link && r->type == 'l') {
        rc = cf_buf_add(out, " -> ", 4);
        if (rc == CF_OK)
            rc = cf_disk_body_escape(out, r->link, strlen(r->link));
    }
    if (rc == CF_OK && r->deleted)
        rc = cf_buf_addstr(out, r->realloc ? " (deleted-realloc)" : " (deleted)");
    if (rc == CF_OK)
        rc = cf_buf_addch(out, '|');
    if (rc == CF_OK)
        rc = add_u64(out, r->inode);
    if (rc == CF_OK)
        rc = cf_buf_addch(out, '|');
    if (rc == CF_OK)
        rc = cf_buf_addstr(out, r->name_type);
    if (rc == CF_OK)
        rc = cf_buf_addch(out, '/');
    if (rc != CF_OK)
        return rc;
    if (!r->has_meta)
        return cf_buf_addstr(out, "----------|0|0|0|0|0|0|0\n");
    /* TSK prints the times with PRIu32: the low 32 bits of time_t. */
    rc = cf_buf_addstr(out, r->ls);
    if (rc == CF_OK)
        rc = add_sep_u64(out, r->uid);
    if (rc == CF_OK)
        rc = add_sep_u64(out, r->gid);
    if (rc == CF_OK) /* signed: corrupt inodes give negative sizes, printed as fls does */
        rc = cf_buf_addstr(out, r->body_size < 0 ? "|-" : "|");
    if (rc == CF_OK)
        rc = add_u64(out, r->body_size < 0 ? -(uint64_t)r->body_size : (uint64_t)r->body_size);
    if (rc == CF_OK)
        rc = add_sep_u64(out, (uint32_t)r->atime.sec);
    if (rc == CF_OK)
        rc = add_sep_u64(out, (uint32_t)r->mtime.sec);
    if (rc == CF_OK)
        rc = add_sep_u64(out, (uint32_t)r->ctime.sec);
    if (rc == CF_OK)
        rc = add_sep_u64(out, (uint32_t)r->crtime.sec);
    if (rc == CF_OK)
        rc = cf_buf_addch(out, '\n');
    return rc;
}

void disk_mode_string(uint32_t mode, char out[11])
{
    static const char rwx[] = "rwxrwxrwx";
    char t = '-';
    switch (mode & 0170000) {
    case 0040000:
        t = 'd';
        break;
    case 0120000:
        t = 'l';
        break;
    case 0020000:
        t = 'c';
        break;
    case 0060000:
        t = 'b';
        break;
    case 0010000:
        t = 'p';
        break;
    case 0140000:
        t = 's';
        break;
    default:
        break;
    }
    out[0] = t;
    for (int i = 0; i < 9; i++)
        out[1 + i] = (mode & (0400u >> i)) ? rwx[i] : '-';
    if (mode & 04000)
        out[3] = (mode & 0100) ? 's' : 'S';
    if (mode & 02000)
        out[6] = (mode & 010) ? 's' : 'S';
    if (mode & 01000)
        out[9] = (mode & 01) ? 't' : 'T';
    out[10] = '\0';
}

int disk_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        size_t n = cf_utf8_seq(p + i, len - i);
        if (!n)
            return 0;
        i += n;
    }
    return 1;
}

int disk_json_str(cf_buf *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, start = 0;
    int rc = cf_buf_addch(out, '"');
    while (rc == CF_OK && i < len) {
        unsigned char c = p[i];
        size_t n = 1;
        const char *rep = NULL;
        char esc[8];
        if (c == '"')
            rep = "\\\"";
        else if (c == '\\')
            rep = "\\\\";
        else if (c == '\n')
            rep = "\\n";
        else if (c == '\t')
            rep = "\\t";
        else if (c == '\r')
            rep = "\\r";
        else if (c < 0x20 || c == 0x7f) {
            esc[0] = '\\';
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            esc[6] = '\0';
            rep = esc;
        } else if (c >= 0x80) {
            n = cf_utf8_seq(p + i, len - i);
            if (!n) {
                rep = "\xEF\xBF\xBD"; /* U+FFFD */
                n = 1;
            }
        }
        if (rep) {
            rc = cf_buf_add(out, s + start, i - start);
            if (rc == CF_OK)
                rc = cf_buf_addstr(out, rep);
            start = i + n;
        }
        i += n;
    }
    if (rc == CF_OK)
        rc = cf_buf_add(out, s + start, len - start);
    if (rc == CF_OK)
        rc = cf_buf_addch(out, '"');
    return rc;
}

static int add_key(cf_buf *out, const char *key)
{
    int rc = cf_buf_addch(out, ',');
    if (rc == CF_OK)
        rc = cf_buf_addch(out, '"');
    if (rc == CF_OK)
        rc = cf_buf_addstr(out, key);
    if (rc == CF_OK)
        rc = cf_buf_add(out, "\":", 2);
    return rc;
}

/* cf_time_format's spelling ("2026-11-27T20:25:09.123456Z"), without gmtime and printf: the
 * walk formats four times per entry. Civil date from days: H. Hinnant's algorithm. */
static void fmt_time(int64_t sec, uint32_t nsec, char out[CF_TIME_STR_MAX])
{
    int64_t days = sec / 86400, rem = sec % 86400;
    int64_t z, era, doe, yoe, doy, mp, y, m, d;
    uint32_t us = nsec / 1000;
    char *p = out;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    z = days + 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    *p++ = (char)('0' + y / 1000 % 10);
    *p++ = (char)('0' + y / 100 % 10);
    *p++ = (char)('0' + y / 10 % 10);
    *p++ = (char)('0' + y % 10);
    *p++ = '-';
    *p++ = (char)('0' + m / 10);
    *p++ = (char)('0' + m % 10);
    *p++ = '-';
    *p++ = (char)('0' + d / 10);
    *p++ = (char)('0' + d % 10);
    *p++ = 'T';
    *p++ = (char)('0' + rem / 36000);
    *p++ = (char)('0' + rem / 3600 % 10);
    *p++ = ':';
    *p++ = (char)('0' + rem % 3600 / 600);
    *p++ = (char)('0' + rem % 3600 / 60 % 10);
    *p++ = ':';
    *p++ = (char)('0' + rem % 60 / 10);
    *p++ = (char)('0' + rem % 10);
    *p++ = '.';
    for (int i = 5; i >= 0; i--) {
        p[i] = (char)('0' + us % 10);
        us /= 10;
    }
    p += 6;
    *p++ = 'Z';
    *p = '\0';
}

static int add_time(cf_buf *out, const char *key, const disk_time *t)
{
    char s[CF_TIME_STR_MAX];
    int rc;
    /* Past year 9999 (or before 0) RFC 3339 has no spelling; leave the key out. */
    if (t->sec < -62135596800LL || t->sec > 253402300799LL)
        return CF_OK;
    if (!t->sec && !t->nsec) /* libtsk's "no such time" (virtual entries, no crtime) */
        return CF_OK;
    fmt_time(t->sec, t->nsec, s);
    rc = add_key(out, key);
    if (rc == CF_OK)
        rc = cf_buf_addch(out, '"');
    if (rc == CF_OK)
        rc = cf_buf_addstr(out, s);
    if (rc == CF_OK)
        rc = cf_buf_addch(out, '"');
    return rc;
}

static const char *const flag_names[] = {"suid",   "sgid",     "exec_in_tmp", "exec_in_webroot",
                                         "hidden", "in_window"};

int disk_json_line(const disk_rec *r, cf_buf *out)
{
    char ms[11];
    int rc = cf_buf_addstr(out, "{\"path\":");
    if (rc == CF_OK)
        rc = disk_json_str(out, r->path, r->path_len);
    if (rc == CF_OK && !disk_utf8_valid(r->path, r->path_len)) {
        /* The exact bytes, since the lossy text above cannot be mapped back. */
        rc = add_key(out, "path_hex");
        if (rc == CF_OK)
            rc = cf_buf_addch(out, '"');
        for (size_t i = 0; rc == CF_OK && i < r->path_len; i++)
            rc = cf_buf_addf(out, "%02x", (unsigned char)r->path[i]);
        if (rc == CF_OK)
            rc = cf_buf_addch(out, '"');
    }
    if (rc == CF_OK)
        rc = add_key(out, "name");
    if (rc == CF_OK)
        rc = disk_json_str(out, r->path + r->name_off, r->path_len - r->name_off);
    if (rc == CF_OK)
        rc = cf_buf_addstr(out, ",\"inode\":");
    if (rc == CF_OK)
        rc = add_u64(out, r->inode);
    if (rc == CF_OK)
        rc = cf_buf_addstr(out, ",\"type\":\"");
    if (rc == CF_OK)
        rc = cf_buf_addch(out, r->type);
    if (rc == CF_OK)
        rc = cf_buf_addch(out, '"');
    if (rc == CF_OK && r->has_meta) {
        disk_mode_string(r->mode, ms);
        rc = cf_buf_addstr(out, ",\"mode\":");
        if (rc == CF_OK)
            rc = add_u64(out, r->mode);
        if (rc == CF_OK)
            rc = cf_buf_addstr(out, ",\"mode_str\":\"");
        if (rc == CF_OK)
            rc = cf_buf_addstr(out, ms);
        if (rc == CF_OK)
            rc = cf_buf_addstr(out, "\",\"uid\":");
        if (rc == CF_OK)
            rc = add_u64(out, r->uid);
        if (rc == CF_OK)
            rc = cf_buf_addstr(out, ",\"gid\":");
        if (rc == CF_OK)
            rc = add_u64(out, r->gid);
        if (rc == CF_OK)
            rc = cf_buf_addstr(out, ",\"size\":");
        if (rc == CF_OK)
            rc = add_u64(out, r->size);
        if (rc == CF_OK)
            rc = add_time(out, "atime", &r->atime);
        if (rc == CF_OK)
            rc = add_time(out, "mtime", &r->mtime);
        if (rc == CF_OK)
            rc = add_time(out, "ctime", &r->ctime);
        if (rc == CF_OK)
            rc = add_time(out, "crtime", &r->crtime);
    }
    if (rc == CF_OK && r->link) {
        rc = add_key(out, "link");
        if (rc == CF_OK)
            rc = disk_json_str(out, r->link, strlen(r->link));
    }
    if (rc == CF_OK && r->hashed)
        rc = cf_buf_addf(out, ",\"sha256\":\"%s\"", r->sha256);
    if (rc == CF_OK && r->hash_skipped[0]) {
        rc = add_key(out, "hash_skipped");
        if (rc == CF_OK)
            rc = disk_json_str(out, r->hash_skipped, strlen(r->hash_skipped));
    }
    if (rc == CF_OK)
        rc = cf_buf_addstr(out, r->deleted ? ",\"deleted\":true" : ",\"deleted\":false");
    if (rc == CF_OK && r->realloc)
        rc = cf_buf_addstr(out, ",\"realloc\":true");
    if (rc == CF_OK && r->yara_scanned) {
        rc = cf_buf_addstr(out, ",\"yara\":[");
        for (int i = 0; rc == CF_OK && i < r->n_yara; i++) {
            if (i)
                rc = cf_buf_addch(out, ',');
            if (rc == CF_OK)
                rc = disk_json_str(out, r->yara[i], strlen(r->yara[i]));
        }
        if (rc == CF_OK)
            rc = cf_buf_addch(out, ']');
    }
    if (rc == CF_OK)
        rc = cf_buf_addstr(out, ",\"flags\":[");
    for (size_t i = 0, n = 0; rc == CF_OK && i < sizeof(flag_names) / sizeof(flag_names[0]); i++) {
        if (!(r->flags & (1u << i)))
            continue;
        rc = cf_buf_addf(out, "%s\"%s\"", n++ ? "," : "", flag_names[i]);
    }
    if (rc == CF_OK)
        rc = cf_buf_addch(out, ']');
    if (rc == CF_OK && r->partition >= 0)
        rc = cf_buf_addf(out, ",\"partition\":%" PRId64, r->partition);
    if (rc == CF_OK)
        rc = cf_buf_add(out, "}\n", 2);
    return rc;
}

static int glob_rec(const char *pat, const char *s, int depth)
{
    if (depth > 16) /* more stars than any sane pattern: refuse rather than explode */
        return 0;
    for (;;) {
        if (pat[0] == '*' && pat[1] == '*') {
            pat += 2;
            for (const char *t = s;; t++) {
                if (glob_rec(pat, t, depth + 1))
                    return 1;
                if (!*t)
                    return 0;
            }
        }
        if (*pat == '*') {
            pat++;
            for (const char *t = s;; t++) {
                if (glob_rec(pat, t, depth + 1))
                    return 1;
                if (!*t || *t == '/')
                    return 0;
            }
        }
        if (!*pat)
            return !*s;
        if (!*s)
            return 0;
        if (*pat != *s && !(*pat == '?' && *s != '/'))
            return 0;
        pat++;
        s++;
    }
}

int cf_disk_glob_match(const char *pat, const char *s)
{
    return glob_rec(pat, s, 0);
}
