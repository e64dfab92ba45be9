/* Bounded readers (plain and gzip), UTF-8 repair and SQLite helpers for the loaders. */
#include "analyze/analyze_internal.h"
#include "common/cf_error.h"
#include "common/cf_time.h"

#include <errno.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define READ_CHUNK (1u << 20)

/* A byte source: a plain file descriptor, or gzip through zlib with bomb checks. */
typedef struct src {
    int fd;
    gzFile gz;
    uint64_t out_total;
    const char *path;
} src;

/* gzbuf: zlib's input buffer (it decompresses ahead into twice that): small for a file's head,
 * where a big one would inflate hundreds of KiB to return a few. */
static int src_open_buf(src *s, const char *path, unsigned gzbuf)
{
    unsigned char magic[2] = {0, 0};
    ssize_t n;
    memset(s, 0, sizeof(*s));
    s->path = path;
    s->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (s->fd < 0)
        return cf_error_set(errno == ENOENT ? CF_ENOTFOUND : CF_EIO, "open %s: %s", path,
                            strerror(errno));
    n = pread(s->fd, magic, 2, 0);
    if (n == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
        int fd2 = dup(s->fd);
        if (fd2 < 0)
            return cf_error_set(CF_EIO, "dup: %s", strerror(errno));
        s->gz = gzdopen(fd2, "rb");
        if (!s->gz) {
            close(fd2);
            return cf_error_set(CF_ENOMEM, "gzdopen %s", path);
        }
        gzbuffer(s->gz, gzbuf);
    }
    return CF_OK;
}

static int src_open(src *s, const char *path)
{
    return src_open_buf(s, path, 256 * 1024);
}

static void src_close(src *s)
{
    if (s->gz)
        gzclose(s->gz);
    if (s->fd >= 0)
        close(s->fd);
    s->gz = NULL;
    s->fd = -1;
}

/* Reads up to cap bytes; 0 at the end. */
static int src_read(src *s, char *buf, size_t cap, size_t *got)
{
    *got = 0;
    if (s->gz) {
        int n = gzread(s->gz, buf, (unsigned)cap);
        if (n < 0) {
            int e;
            const char *m = gzerror(s->gz, &e);
            return cf_error_set(CF_EPARSE, "gzip %s: %s", s->path, m ? m : "error");
        }
        s->out_total += (uint64_t)n;
        if (s->out_total > CF_ANALYZE_MAX_FILE)
            return cf_error_set(CF_ETOOBIG, "%s: more than %llu bytes decompressed", s->path,
                                (unsigned long long)CF_ANALYZE_MAX_FILE);
        if (s->out_total > CF_ANALYZE_GZ_MIN_BUDGET) {
            off_t in = gzoffset(s->gz);
            if (in > 0 && s->out_total / (uint64_t)in > CF_ANALYZE_GZ_MAX_RATIO)
                return cf_error_set(CF_ETOOBIG, "%s: gzip bomb (ratio over %d:1)", s->path,
                                    CF_ANALYZE_GZ_MAX_RATIO);
        }
        *got = (size_t)n;
        return CF_OK;
    }
    for (;;) {
        ssize_t n = read(s->fd, buf, cap);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return cf_error_set(CF_EIO, "read %s: %s", s->path, strerror(errno));
        s->out_total += (uint64_t)n;
        if (s->out_total > CF_ANALYZE_MAX_FILE)
            return cf_error_set(CF_ETOOBIG, "%s: more than %llu bytes", s->path,
                                (unsigned long long)CF_ANALYZE_MAX_FILE);
        *got = (size_t)n;
        return CF_OK;
    }
}

/* Whole .gz files up to this compressed size are inflated in one call by libdeflate (about twice
 * zlib's speed, CRC included) instead of streamed through zlib. */
#define GZ_WHOLE_MAX (64u << 20)

/* The most a gzip file of in_len bytes may inflate to (the streaming reader's bounds). */
static uint64_t gz_budget(uint64_t in_len, size_t buf_max)
{
    uint64_t lim = in_len * CF_ANALYZE_GZ_MAX_RATIO;
    if (lim < CF_ANALYZE_GZ_MIN_BUDGET)
        lim = CF_ANALYZE_GZ_MIN_BUDGET;
    if (lim > CF_ANALYZE_MAX_FILE)
        lim = CF_ANALYZE_MAX_FILE;
    return lim < buf_max ? lim : buf_max;
}

/* Inflates the whole gzip file in (every member, as zlib's gzread; bytes after a member that do
 * not start another one are ignored, as there) and appends it to out. Output is bounded like the
 * streaming reader's (ratio, 4 GiB, out->max); the trailer's size is only a first guess. */
static int gz_whole(const char *path, const unsigned char *in, size_t in_len, cf_buf *out)
{
    struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
    uint64_t budget = gz_budget(in_len, out->max);
    size_t off = 0, guess;
    int rc = CF_OK;
    if (!d)
        return cf_error_set(CF_ENOMEM, "out of memory");
    guess = in_len >= 4 ? (size_t)in[in_len - 4] | (size_t)in[in_len - 3] << 8 |
                              (size_t)in[in_len - 2] << 16 | (size_t)in[in_len - 1] << 24
                        : 0;
    while (off < in_len) {
        size_t used = 0, got = 0, room, have = out->len;
        enum libdeflate_result r;
        if (off && (in_len - off < 2 || in[off] != 0x1f || in[off + 1] != 0x8b))
            break;
        if (guess < 4096)
            guess = 4096;
        for (;;) {
            room = budget > have ? (size_t)(budget - have) : 0;
            if (guess > room)
                guess = room;
            if ((rc = cf_buf_grow(out, guess)))
                goto cleanup;
            r = libdeflate_gzip_decompress_ex(d, in + off, in_len - off, out->data + have, guess,
                                              &used, &got);
            if (r != LIBDEFLATE_INSUFFICIENT_SPACE)
                break;
            if (guess >= room) {
                rc = budget >= CF_ANALYZE_MAX_FILE
                         ? cf_error_set(CF_ETOOBIG, "%s: more than %llu bytes decompressed", path,
                                        (unsigned long long)CF_ANALYZE_MAX_FILE)
                     : budget >= out->max
                         ? cf_error_set(CF_ETOOBIG, "%s: larger than %zu bytes", path, out->max)
                         : cf_error_set(CF_ETOOBIG, "%s: gzip bomb (ratio over %d:1)", path,
                                        CF_ANALYZE_GZ_MAX_RATIO);
                goto cleanup;
            }
            guess = guess > room / 2 ? room : guess * 2;
        }
        if (r != LIBDEFLATE_SUCCESS) {
            rc = cf_error_set(CF_EPARSE, "gzip %s: %s", path,
                              r == LIBDEFLATE_SHORT_OUTPUT ? "unexpected end of file"
                                                           : "invalid compressed data");
            goto cleanup;
        }
        cf_buf_setlen(out, have + got);
        off += used ? used : in_len - off;
        guess = got;
    }
cleanup:
    libdeflate_free_decompressor(d);
    return rc;
}

int cf_read_all(const char *path, cf_buf *out)
{
    src s;
    char *chunk = NULL;
    size_t got;
    int rc = src_open(&s, path);
    if (rc)
        goto cleanup;
    if (s.gz) {
        struct stat stb;
        if (fstat(s.fd, &stb) == 0 && S_ISREG(stb.st_mode) && stb.st_size > 0 &&
            (uint64_t)stb.st_size <= GZ_WHOLE_MAX) {
            size_t n = (size_t)stb.st_size, at = 0;
            unsigned char *in = malloc(n);
            if (!in) {
                rc = cf_error_set(CF_ENOMEM, "out of memory");
                goto cleanup;
            }
            while (at < n) {
                ssize_t r = pread(s.fd, in + at, n - at, (off_t)at);
                if (r < 0 && errno == EINTR)
                    continue;
                if (r <= 0)
                    break;
                at += (size_t)r;
            }
            rc = at == n ? gz_whole(path, in, n, out)
                         : cf_error_set(CF_EIO, "read %s: %s", path,
                                        at < n ? "file shrank while read" : strerror(errno));
            free(in);
            goto cleanup;
        }
    }
    chunk = malloc(READ_CHUNK);
    if (!chunk) {
        rc = cf_error_set(CF_ENOMEM, "out of memory");
        goto cleanup;
    }
    for (;;) {
        /* straight into out while it has room (no second copy), else through chunk */
        size_t room = out->cap > out->len + 1 ? out->cap - out->len - 1 : 0;
        char *dst = room >= 65536 ? out->data + out->len : chunk;
        size_t want = dst == chunk ? READ_CHUNK : (room < READ_CHUNK ? room : READ_CHUNK);
        if ((rc = src_read(&s, dst, want, &got)))
            goto cleanup;
        if (got == 0)
            break;
        if (dst != chunk) {
            if (out->len + got > out->max) {
                rc = cf_error_set(CF_ETOOBIG, "%s: larger than %zu bytes", path, out->max);
                goto cleanup;
            }
            out->len += got;
            out->data[out->len] = '\0';
        } else if ((rc = cf_buf_add(out, chunk, got))) {
            rc = cf_error_set(CF_ETOOBIG, "%s: larger than %zu bytes", path, out->max);
            goto cleanup;
        }
    }
cleanup:
    free(chunk);
    src_close(&s);
    return rc;
}

int cf_read_head(const char *path, char *buf, size_t cap, size_t *len_out)
{
    src s;
    size_t total = 0, got;
    int rc = src_open_buf(&s, path, 8192);
    *len_out = 0;
    if (rc)
        goto cleanup;
    while (total < cap) {
        if ((rc = src_read(&s, buf + total, cap - total, &got)))
            goto cleanup;
        if (got == 0)
            break;
        total += got;
    }
    *len_out = total;
cleanup:
    src_close(&s);
    return rc;
}

struct cf_lines_iter {
    src s;
    char *buf;    /* READ_CHUNK + CF_ANALYZE_MAX_LINE + 1 */
    size_t have;  /* bytes in buf */
    size_t start; /* first byte not handed out */
    uint64_t lineno;
    int skipping; /* inside the rest of an over-long line */
    int eof;
    cf_load_ctx *ctx;
};

int cf_lines_open(cf_load_ctx *ctx, cf_lines_iter **out)
{
    cf_lines_iter *it = calloc(1, sizeof(*it));
    int rc;
    *out = NULL;
    if (!it)
        return cf_error_set(CF_ENOMEM, "out of memory");
    it->s.fd = -1;
    it->ctx = ctx;
    if ((rc = src_open(&it->s, ctx->path))) {
        cf_lines_close(it);
        return rc;
    }
    it->buf = malloc(READ_CHUNK + CF_ANALYZE_MAX_LINE + 1);
    if (!it->buf) {
        cf_lines_close(it);
        return cf_error_set(CF_ENOMEM, "out of memory");
    }
    *out = it;
    return CF_OK;
}

void cf_lines_close(cf_lines_iter *it)
{
    if (!it)
        return;
    src_close(&it->s);
    free(it->buf);
    free(it);
}

/* Hands out buf[s..s+len) as a line: truncated at CF_ANALYZE_MAX_LINE, NUL-terminated, without
 * trailing '\r'. */
static int line_out(cf_lines_iter *it, size_t s, size_t len, char **line, size_t *len_out,
                    uint64_t *lineno)
{
    if (len > CF_ANALYZE_MAX_LINE) {
        len = CF_ANALYZE_MAX_LINE;
        it->ctx->stats->truncated++;
    }
    it->buf[s + len] = '\0';
    while (len && it->buf[s + len - 1] == '\r')
        it->buf[s + --len] = '\0';
    *line = it->buf + s;
    *len_out = len;
    *lineno = ++it->lineno;
    return 1;
}

int cf_lines_next(cf_lines_iter *it, char **line, size_t *len, uint64_t *lineno)
{
    for (;;) {
        char *nl = memchr(it->buf + it->start, '\n', it->have - it->start);
        size_t got, s = it->start;
        int rc;
        if (nl) {
            it->start = (size_t)(nl - it->buf) + 1;
            if (it->skipping) {
                it->skipping = 0;
                continue;
            }
            return line_out(it, s, (size_t)(nl - (it->buf + s)), line, len, lineno);
        }
        if (it->have > s && (it->eof || it->have - s > CF_ANALYZE_MAX_LINE)) {
            /* over-long line (or last line without '\n'): hand out what fits */
            int emit = !it->skipping;
            it->skipping = !it->eof;
            it->start = it->have;
            if (emit)
                return line_out(it, s, it->have - s, line, len, lineno);
            continue;
        }
        if (it->eof)
            return 0;
        memmove(it->buf, it->buf + s, it->have - s);
        it->have -= s;
        it->start = 0;
        if ((rc = src_read(&it->s, it->buf + it->have, READ_CHUNK, &got)))
            return rc;
        if (got == 0)
            it->eof = 1;
        it->have += got;
    }
}

int cf_lines_each(cf_load_ctx *ctx, cf_line_fn fn)
{
    cf_lines_iter *it = NULL;
    char *line;
    size_t len;
    uint64_t lineno;
    int rc;
    if ((rc = cf_lines_open(ctx, &it)))
        return rc;
    while ((rc = cf_lines_next(it, &line, &len, &lineno)) == 1)
        if ((rc = fn(ctx, line, len, lineno)))
            break;
    cf_lines_close(it);
    return rc;
}

int cf_bind_text(sqlite3_stmt *st, int idx, const char *s, size_t len, int empty_null)
{
    cf_buf b = CF_BUF_INIT(3 * (size_t)CF_ANALYZE_MAX_LINE + 16);
    int r;
    if (!s)
        return sqlite3_bind_null(st, idx) == SQLITE_OK ? CF_OK : CF_EIO;
    if (len == (size_t)-1)
        len = strlen(s);
    if (len == 0 && empty_null)
        return sqlite3_bind_null(st, idx) == SQLITE_OK ? CF_OK : CF_EIO;
    if (cf_utf8_valid(s, len)) {
        r = sqlite3_bind_text(st, idx, s, (int)len, SQLITE_TRANSIENT);
        return r == SQLITE_OK ? CF_OK : cf_error_set(CF_EIO, "bind: %s", sqlite3_errstr(r));
    }
    if (len > 3 * (size_t)CF_ANALYZE_MAX_LINE / 4)
        len = 3 * (size_t)CF_ANALYZE_MAX_LINE / 4;
    if (cf_utf8_lossy(&b, s, len)) {
        cf_buf_release(&b);
        return cf_error_set(CF_ETOOBIG, "text too large");
    }
    r = sqlite3_bind_text(st, idx, cf_buf_cstr(&b), (int)b.len, SQLITE_TRANSIENT);
    cf_buf_release(&b);
    return r == SQLITE_OK ? CF_OK : cf_error_set(CF_EIO, "bind: %s", sqlite3_errstr(r));
}

int cf_bind_time(sqlite3_stmt *st, int idx, int64_t ns)
{
    char t[CF_TIME_STR_MAX];
    if (ns == 0)
        return sqlite3_bind_null(st, idx) == SQLITE_OK ? CF_OK : CF_EIO;
    cf_time_format(ns, t);
    return sqlite3_bind_text(st, idx, t, -1, SQLITE_TRANSIENT) == SQLITE_OK ? CF_OK : CF_EIO;
}

void cf_load_bad_line(cf_load_ctx *ctx, uint64_t lineno, const char *why, const char *line,
                      size_t len)
{
    sqlite3_stmt *st = NULL;
    ctx->stats->bad_lines++;
    if (ctx->errors_kept >= CF_LOAD_ERRORS_PER_FILE)
        return;
    ctx->errors_kept++;
    if (len > 512)
        len = 512;
    if (sqlite3_prepare_v2(ctx->db,
                           "INSERT INTO load_errors(bundle_id, source, line, error, text)"
                           " VALUES(?1, ?2, ?3, ?4, ?5)",
                           -1, &st, NULL) != SQLITE_OK)
        goto cleanup;
    if (ctx->bundle_id)
        sqlite3_bind_int64(st, 1, ctx->bundle_id);
    cf_bind_text(st, 2, ctx->source, (size_t)-1, 0);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)lineno);
    sqlite3_bind_text(st, 4, why, -1, SQLITE_STATIC);
    cf_bind_text(st, 5, line, len, 0);
    sqlite3_step(st);
cleanup:
    sqlite3_finalize(st);
}

int cf_db_err(sqlite3 *db, const char *what)
{
    return cf_error_set(CF_EIO, "%s: %s", what, sqlite3_errmsg(db));
}

int cf_db_exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    int rc = CF_OK;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        rc = cf_error_set(CF_EIO, "SQL failed: %s", msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
    }
    return rc;
}

int cf_db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st)
{
    *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK)
        return cf_error_set(CF_EIO, "prepare: %s", sqlite3_errmsg(db));
    return CF_OK;
}

int cf_db_step_done(sqlite3 *db, sqlite3_stmt *st)
{
    int r = sqlite3_step(st);
    int rc = CF_OK;
    if (r != SQLITE_DONE && r != SQLITE_ROW)
        rc = cf_error_set(CF_EIO, "insert: %s", sqlite3_errmsg(db));
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

int cf_db_table_exists(sqlite3 *db, const char *name)
{
    sqlite3_stmt *st = NULL;
    int found = 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT 1 FROM sqlite_master WHERE type IN ('table','view') AND name=?1",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        found = sqlite3_step(st) == SQLITE_ROW;
    }
    sqlite3_finalize(st);
    return found;
}

int cf_db_column_exists(sqlite3 *db, const char *table, const char *column)
{
    sqlite3_stmt *st = NULL;
    int found = 0;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info(?1) WHERE name=?2", -1, &st,
                           NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, column, -1, SQLITE_STATIC);
        found = sqlite3_step(st) == SQLITE_ROW;
    }
    sqlite3_finalize(st);
    return found;
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

size_t cf_url_decode(char *out, const char *in, size_t len, int plus)
{
    size_t i = 0, o = 0;
    while (i < len) {
        if (in[i] == '%' && i + 2 < len) {
            int h = hexval((unsigned char)in[i + 1]), l = hexval((unsigned char)in[i + 2]);
            if (h >= 0 && l >= 0) {
                out[o++] = (char)(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out[o++] = (plus && in[i] == '+') ? ' ' : in[i];
        i++;
    }
    return o;
}

size_t cf_unescape_hex(char *out, const char *in, size_t len)
{
    size_t i = 0, o = 0;
    while (i < len) {
        if (in[i] == '\\' && i + 3 < len && in[i + 1] == 'x') {
            int h = hexval((unsigned char)in[i + 2]), l = hexval((unsigned char)in[i + 3]);
            if (h >= 0 && l >= 0) {
                out[o++] = (char)(h * 16 + l);
                i += 4;
                continue;
            }
        }
        out[o++] = in[i++];
    }
    return o;
}

int cf_time_parse_checked(const char *s, int64_t *ns)
{
    int y = 0;
    for (int i = 0; i < 4; i++) {
        if (!s || s[i] < '0' || s[i] > '9')
            return cf_error_set(CF_EPARSE, "not an RFC 3339 time");
        y = y * 10 + (s[i] - '0');
    }
    if (y < 1700 || y > 2200)
        return cf_error_set(CF_EPARSE, "year %d out of range", y);
    return cf_time_parse(s, ns);
}

void cf_result_text(sqlite3_context *cx, const char *s, size_t len)
{
    cf_buf b = CF_BUF_INIT(3 * (size_t)CF_ANALYZE_MAX_LINE + 16);
    if (!s || len == 0)
        return; /* NULL */
    if (cf_utf8_valid(s, len)) {
        sqlite3_result_text(cx, s, (int)len, SQLITE_TRANSIENT);
        return;
    }
    if (len > 3 * (size_t)CF_ANALYZE_MAX_LINE / 4)
        len = 3 * (size_t)CF_ANALYZE_MAX_LINE / 4;
    if (cf_utf8_lossy(&b, s, len))
        sqlite3_result_error_toobig(cx);
    else
        sqlite3_result_text(cx, cf_buf_cstr(&b), (int)b.len, SQLITE_TRANSIENT);
    cf_buf_release(&b);
}

int cf_bind_text_static(sqlite3_stmt *st, int idx, const char *s, size_t len)
{
    if (!s || len == 0)
        return sqlite3_bind_null(st, idx) == SQLITE_OK ? CF_OK : CF_EIO;
    if (len < (size_t)INT32_MAX && cf_utf8_valid(s, len))
        return sqlite3_bind_text(st, idx, s, (int)len, SQLITE_STATIC) == SQLITE_OK ? CF_OK : CF_EIO;
    return cf_bind_text(st, idx, s, len, 1);
}
