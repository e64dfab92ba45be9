#include "cfa_collect.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>

int cfa_path(const struct cfa_ctx *c, char *out, size_t outlen, const char *fmt, ...)
{
    va_list ap;
    size_t rl = strlen(c->root);
    int n;
    if (rl >= outlen)
        return -1;
    memcpy(out, c->root, rl);
    va_start(ap, fmt);
    n = vsnprintf(out + rl, outlen - rl, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= outlen - rl)
        return -1;
    return 0;
}

static int rbuf_reserve(struct cfa_rbuf *rb, size_t want)
{
    char *p;
    size_t cap;
    if (want <= rb->cap)
        return 0;
    cap = rb->cap ? rb->cap : 4096;
    while (cap < want)
        cap *= 2;
    p = realloc(rb->p, cap);
    if (!p)
        return -1;
    rb->p = p;
    rb->cap = cap;
    return 0;
}

static int slurp(int dirfd, const char *name, struct cfa_rbuf *rb, size_t max, int show)
{
    int fd, rc = 0;
    rb->len = 0;
    rb->truncated = 0;
    if (rbuf_reserve(rb, 4096) < 0)
        return -ENOMEM;
    rb->p[0] = '\0';
    fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return -errno;
    for (;;) {
        ssize_t r;
        size_t room;
        if (rb->len >= max) {
            char probe;
            /* one more byte tells truncation apart from an exact fit */
            r = read(fd, &probe, 1);
            if (r > 0)
                rb->truncated = 1;
            break;
        }
        if (rb->cap - rb->len < 2 && rbuf_reserve(rb, rb->cap * 2) < 0) {
            rc = -ENOMEM;
            break;
        }
        room = rb->cap - rb->len - 1;
        if (room > max - rb->len)
            room = max - rb->len;
        r = read(fd, rb->p + rb->len, room);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            rc = -errno;
            break;
        }
        if (r == 0)
            break;
        rb->len += (size_t)r;
        /* a short read of a single-record /proc file (stat, status, cmdline: the kernel
         * renders it whole) is its end: saves a syscall per file on hosts with thousands of
         * processes. Multi-record seq files (iomem, ...) return a page at a time, so the
         * general case reads to EOF. */
        if (show && (size_t)r < room && rb->len < max)
            break;
    }
    close(fd);
    rb->p[rb->len] = '\0';
    return rc;
}

int cfa_slurpat(int dirfd, const char *name, struct cfa_rbuf *rb, size_t max)
{
    return slurp(dirfd, name, rb, max, 0);
}

int cfa_slurpat_show(int dirfd, const char *name, struct cfa_rbuf *rb, size_t max)
{
    return slurp(dirfd, name, rb, max, 1);
}

int cfa_slurp(const char *path, struct cfa_rbuf *rb, size_t max)
{
    return slurp(AT_FDCWD, path, rb, max, 0);
}

void cfa_rbuf_release(struct cfa_rbuf *rb)
{
    free(rb->p);
    rb->p = NULL;
    rb->len = rb->cap = 0;
}

void cfa_format_time(int64_t sec, long nsec, int digits, char *out, size_t outlen)
{
    struct tm tm;
    time_t t = (time_t)sec;
    char frac[16] = "";
    if (!gmtime_r(&t, &tm)) {
        snprintf(out, outlen, "1970-01-01T00:00:00Z");
        return;
    }
    if (digits > 0 && digits <= 9) {
        long v = nsec;
        int i;
        for (i = 9; i > digits; i--)
            v /= 10;
        snprintf(frac, sizeof(frac), ".%0*ld", digits, v);
    }
    snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d%sZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

const char *cfa_user_name(const struct cfa_ctx *c, uint32_t uid)
{
    size_t lo = 0, hi = c->nusers;
    /* users are sorted by uid, first passwd entry first: find the first with this uid */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->users[mid].uid < uid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->nusers && c->users[lo].uid == uid ? c->users[lo].name : NULL;
}

static int user_cmp(const void *a, const void *b)
{
    const struct cfa_user *x = a, *y = b;
    if (x->uid != y->uid)
        return x->uid < y->uid ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

void cfa_anomaly(struct cfa_ctx *c, const char *kind, int64_t pid, const char *detail)
{
    struct cfa_jw *jw = &c->jw;
    if (!c->anomalies_open) {
        if (cfa_file_open(c->b, "anomalies.jsonl", &c->t_anomalies) < 0) {
            cfa_bundle_errno(c->b, "anomalies.jsonl", errno);
            return;
        }
        c->anomalies_open = 1;
    }
    cfa_jw_reset(jw);
    cfa_jw_obj_begin(jw, NULL);
    cfa_jw_cstr(jw, "kind", kind);
    if (pid > 0)
        cfa_jw_int(jw, "pid", pid);
    cfa_jw_cstr(jw, "detail", detail);
    cfa_jw_obj_end(jw);
    cfa_table_emit(&c->t_anomalies, jw, "anomalies");
}

int cfa_collect_passwd(struct cfa_ctx *c)
{
    char path[4096];
    const char *pos, *end;
    struct cfa_span line;
    int rc;
    if (cfa_path(c, path, sizeof(path), "/etc/passwd") < 0)
        return -1;
    rc = cfa_slurp(path, &c->rb, 8u << 20);
    if (rc < 0) {
        cfa_bundle_errno(c->b, "/etc/passwd", -rc);
        return 0;
    }
    if (c->rb.truncated)
        cfa_bundle_error(c->b, "/etc/passwd", "truncated at 8 MiB");
    pos = c->rb.p;
    end = c->rb.p + c->rb.len;
    while (cfa_next_line(&pos, end, &line) && c->nusers < 200000) {
        struct cfa_passwd pw;
        if (cfa_parse_passwd_line(line, &pw) < 0)
            continue;
        if (c->nusers % 256 == 0) {
            struct cfa_user *n = realloc(c->users, (c->nusers + 256) * sizeof(*n));
            if (!n)
                break;
            c->users = n;
        }
        c->users[c->nusers].uid = pw.uid;
        c->users[c->nusers].order = (uint32_t)c->nusers;
        if (pw.name.n >= sizeof(c->users[0].name))
            pw.name.n = sizeof(c->users[0].name) - 1;
        memcpy(c->users[c->nusers].name, pw.name.p, pw.name.n);
        c->users[c->nusers].name[pw.name.n] = '\0';
        c->nusers++;
    }
    if (c->nusers)
        qsort(c->users, c->nusers, sizeof(*c->users), user_cmp);
    return 0;
}

/* One line buffer kept between readers: the agent opens thousands of maps and net files, and
 * a fresh 64 KiB allocation each time costs an mmap/munmap pair. Per thread (the process walk
 * runs in worker threads, each of which releases its own before it ends). */
static __thread char *lr_cache;

static __thread char *dir_cache;

void cfa_lr_cache_release(void)
{
    free(lr_cache);
    lr_cache = NULL;
    free(dir_cache);
    dir_cache = NULL;
}

int cfa_lr_open(struct cfa_lr *lr, int dirfd, const char *path)
{
    memset(lr, 0, sizeof(*lr));
    lr->fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (lr->fd < 0)
        return -errno;
    if (lr_cache) {
        lr->buf = lr_cache;
        lr_cache = NULL;
    } else {
        lr->buf = malloc(CFA_LINE_MAX + 1);
    }
    if (!lr->buf) {
        close(lr->fd);
        lr->fd = -1;
        return -ENOMEM;
    }
    return 0;
}

int cfa_lr_next(struct cfa_lr *lr, struct cfa_span *line)
{
    int skipping = 0;
    for (;;) {
        char *nl =
            lr->end > lr->start ? memchr(lr->buf + lr->start, '\n', lr->end - lr->start) : NULL;
        ssize_t r;
        if (nl) {
            size_t at = lr->start;
            lr->start = (size_t)(nl - lr->buf) + 1;
            if (skipping) {
                skipping = 0;
                continue;
            }
            line->p = lr->buf + at;
            line->n = (size_t)(nl - lr->buf) - at;
            return 1;
        }
        if (lr->eof) {
            if (lr->end > lr->start && !skipping) {
                line->p = lr->buf + lr->start;
                line->n = lr->end - lr->start;
                lr->start = lr->end;
                return 1;
            }
            return 0;
        }
        if (lr->start > 0) {
            memmove(lr->buf, lr->buf + lr->start, lr->end - lr->start);
            lr->end -= lr->start;
            lr->start = 0;
        }
        if (lr->end == CFA_LINE_MAX) {
            /* a line longer than the bound: drop it up to its newline */
            lr->dropped++;
            lr->start = lr->end = 0;
            skipping = 1;
        }
        if (lr->total >= CFA_FILE_MAX) {
            /* a file that never ends (a device planted in a --root tree): stop */
            lr->truncated = 1;
            lr->dropped++;
            lr->eof = 1;
            continue;
        }
        r = read(lr->fd, lr->buf + lr->end, CFA_LINE_MAX - lr->end);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (r == 0)
            lr->eof = 1;
        lr->end += (size_t)r;
        lr->total += (uint64_t)r;
    }
}

void cfa_lr_close(struct cfa_lr *lr)
{
    if (lr->fd >= 0)
        close(lr->fd);
    lr->fd = -1;
    if (!lr_cache)
        lr_cache = lr->buf;
    else
        free(lr->buf);
    lr->buf = NULL;
}

#define CFA_DIRBUF (32 * 1024)

/* dir_cache (above) is kept between listings like the line buffer: musl's allocator would
 * otherwise map and unmap it for every process directory. */

int cfa_dir_open(struct cfa_dir *d, int dirfd, const char *path)
{
    memset(d, 0, sizeof(*d));
    d->fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d->fd < 0)
        return -errno;
    d->buf = dir_cache ? dir_cache : malloc(CFA_DIRBUF);
    dir_cache = NULL;
    if (!d->buf) {
        close(d->fd);
        d->fd = -1;
        return -ENOMEM;
    }
    return 0;
}

const char *cfa_dir_next(struct cfa_dir *d)
{
    for (;;) {
        if (d->pos < d->len) {
            /* struct linux_dirent64: u64 ino, s64 off, u16 reclen, u8 type, char name[] */
            const char *rec = d->buf + d->pos;
            unsigned short reclen;
            size_t namemax;
            if (d->len - d->pos < 20)
                return NULL;
            memcpy(&reclen, rec + 16, sizeof(reclen));
            if (reclen < 20 || reclen > d->len - d->pos)
                return NULL;
            d->pos += reclen;
            namemax = (size_t)reclen - 19;
            if (!memchr(rec + 19, '\0', namemax))
                continue; /* unterminated name: never trust a length */
            return rec + 19;
        }
        {
            long n = syscall(SYS_getdents64, d->fd, d->buf, CFA_DIRBUF);
            if (n <= 0)
                return NULL;
            d->pos = 0;
            d->len = (size_t)n;
        }
    }
}

void cfa_dir_close(struct cfa_dir *d)
{
    if (d->fd >= 0)
        close(d->fd);
    d->fd = -1;
    if (!dir_cache)
        dir_cache = d->buf;
    else
        free(d->buf);
    d->buf = NULL;
}
