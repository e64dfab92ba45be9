#include "cfa_out.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char *cfa_errno_name(int err)
{
    switch (err) {
    case EPERM:
        return "EPERM";
    case ENOENT:
        return "ENOENT";
    case ESRCH:
        return "ESRCH";
    case EINTR:
        return "EINTR";
    case EIO:
        return "EIO";
    case ENXIO:
        return "ENXIO";
    case E2BIG:
        return "E2BIG";
    case EBADF:
        return "EBADF";
    case EAGAIN:
        return "EAGAIN";
    case ENOMEM:
        return "ENOMEM";
    case EACCES:
        return "EACCES";
    case EFAULT:
        return "EFAULT";
    case EBUSY:
        return "EBUSY";
    case EEXIST:
        return "EEXIST";
    case ENOTDIR:
        return "ENOTDIR";
    case EISDIR:
        return "EISDIR";
    case EINVAL:
        return "EINVAL";
    case EMFILE:
        return "EMFILE";
    case ENFILE:
        return "ENFILE";
    case EFBIG:
        return "EFBIG";
    case ENOSPC:
        return "ENOSPC";
    case EROFS:
        return "EROFS";
    case ENAMETOOLONG:
        return "ENAMETOOLONG";
    case ELOOP:
        return "ELOOP";
    case EOVERFLOW:
        return "EOVERFLOW";
    case ETIMEDOUT:
        return "ETIMEDOUT";
    case ECONNREFUSED:
        return "ECONNREFUSED";
    case EHOSTUNREACH:
        return "EHOSTUNREACH";
    case ENETUNREACH:
        return "ENETUNREACH";
    case ECONNRESET:
        return "ECONNRESET";
    case EPROTO:
        return "EPROTO";
    case EBADMSG:
        return "EBADMSG";
    case EMSGSIZE:
        return "EMSGSIZE";
    case ENODATA:
        return "ENODATA";
    default:
        return "EUNKNOWN";
    }
}

static int write_all(int fd, const void *data, size_t n)
{
    const char *p = data;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static void octal(char *dst, size_t width, uint64_t v)
{
    /* width includes the terminating NUL */
    size_t i = width - 1;
    dst[i] = '\0';
    while (i > 0) {
        dst[--i] = (char)('0' + (v & 7));
        v >>= 3;
    }
}

int cfa_tar_header(uint8_t hdr[512], const char *name, uint64_t size, int64_t mtime)
{
    size_t nlen = strlen(name);
    unsigned sum = 0;
    int i;
    memset(hdr, 0, 512);
    if (nlen == 0 || nlen >= 100)
        return -1;
    memcpy(hdr, name, nlen);
    octal((char *)hdr + 100, 8, 0644);
    octal((char *)hdr + 108, 8, 0);
    octal((char *)hdr + 116, 8, 0);
    if (size < (1ull << 33)) {
        octal((char *)hdr + 124, 12, size);
    } else {
        /* GNU/POSIX base-256 for sizes of 8 GiB and more */
        hdr[124] = 0x80;
        for (i = 0; i < 8; i++)
            hdr[135 - i] = (uint8_t)(size >> (8 * i));
    }
    octal((char *)hdr + 136, 12, mtime > 0 ? (uint64_t)mtime : 0);
    hdr[156] = '0';
    memcpy(hdr + 257, "ustar", 6);
    memcpy(hdr + 263, "00", 2);
    memcpy(hdr + 265, "root", 4);
    memcpy(hdr + 297, "root", 4);
    memset(hdr + 148, ' ', 8);
    for (i = 0; i < 512; i++)
        sum += hdr[i];
    octal((char *)hdr + 148, 7, sum);
    hdr[155] = ' ';
    return 0;
}

static int bundle_init(struct cfa_bundle *b)
{
    struct timespec ts;
    memset(b, 0, sizeof(*b));
    b->dirfd = -1;
    b->tarfd = -1;
    clock_gettime(CLOCK_REALTIME, &ts);
    b->mtime = ts.tv_sec;
    b->errors.max = 4u << 20;
    cfa_jw_reset(&b->errors);
    b->errors.depth = 1; /* we write array elements */
    b->errors.first[1] = 1;
    return 0;
}

static int mkdirs(const char *path)
{
    char tmp[4096];
    size_t n = strlen(path), i;
    if (n == 0 || n >= sizeof(tmp))
        return -1;
    memcpy(tmp, path, n + 1);
    for (i = 1; i <= n; i++) {
        if (tmp[i] == '/' || tmp[i] == '\0') {
            char c = tmp[i];
            tmp[i] = '\0';
            if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
                return -1;
            tmp[i] = c;
        }
    }
    return 0;
}

int cfa_bundle_open_dir(struct cfa_bundle *b, const char *dir)
{
    bundle_init(b);
    b->mode = CFA_OUT_DIR;
    if (mkdirs(dir) < 0)
        return -1;
    b->dirfd = openat(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    return b->dirfd < 0 ? -1 : 0;
}

int cfa_bundle_open_tar(struct cfa_bundle *b, const char *path)
{
    bundle_init(b);
    b->mode = CFA_OUT_TAR;
    if (strcmp(path, "-") == 0)
        b->tarfd = dup(STDOUT_FILENO);
    else
        b->tarfd = openat(AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    return b->tarfd < 0 ? -1 : 0;
}

void cfa_bundle_error(struct cfa_bundle *b, const char *source, const char *error)
{
    size_t mark;
    if (b->nerrors >= CFA_MAX_ERRORS) {
        b->errors_dropped++;
        return;
    }
    mark = b->errors.len;
    cfa_jw_obj_begin(&b->errors, NULL);
    cfa_jw_cstr(&b->errors, "source", source);
    cfa_jw_cstr(&b->errors, "error", error);
    cfa_jw_obj_end(&b->errors);
    if (b->errors.overflow) {
        /* roll back the partial element; count it as dropped */
        b->errors.overflow = 0;
        b->errors.len = mark;
        b->errors.depth = 1;
        b->errors_dropped++;
        return;
    }
    b->nerrors++;
}

void cfa_bundle_errno(struct cfa_bundle *b, const char *source, int err)
{
    cfa_bundle_error(b, source, cfa_errno_name(err));
}

static int safe_relpath(const char *p)
{
    const char *s = p;
    size_t n = strlen(p);
    if (n == 0 || n >= CFA_PATH_MAX || p[0] == '/')
        return 0;
    while (*s) {
        const char *slash = strchr(s, '/');
        size_t len = slash ? (size_t)(slash - s) : strlen(s);
        if (len == 0 || (len == 2 && s[0] == '.' && s[1] == '.') || (len == 1 && s[0] == '.'))
            return 0;
        s += len;
        if (*s == '/')
            s++;
    }
    return 1;
}

static int open_dir_file(struct cfa_bundle *b, const char *relpath)
{
    char dir[CFA_PATH_MAX];
    const char *slash = strrchr(relpath, '/');
    if (slash) {
        size_t n = (size_t)(slash - relpath);
        memcpy(dir, relpath, n);
        dir[n] = '\0';
        /* one level of subdirectories is all the bundle uses (binaries/, process_memory/) */
        if (mkdirat(b->dirfd, dir, 0700) < 0 && errno != EEXIST)
            return -1;
    }
    return openat(b->dirfd, relpath, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
}

static int open_stage(void)
{
    int fd = memfd_create("casefile-agent", MFD_CLOEXEC);
    if (fd < 0) {
        char tmpl[] = "/tmp/casefile-agent.XXXXXX";
        fd = mkstemp(tmpl);
        if (fd >= 0)
            unlink(tmpl);
    }
    return fd;
}

static int file_start(struct cfa_bundle *b, const char *relpath, struct cfa_file *f)
{
    memset(f, 0, sizeof(*f));
    f->b = b;
    f->fd = -1;
    if (!safe_relpath(relpath)) {
        errno = EINVAL;
        return -1;
    }
    memcpy(f->path, relpath, strlen(relpath) + 1);
    cfa_sha256_init(&f->sha);
    f->wbuf = malloc(CFA_WBUF_SIZE);
    if (!f->wbuf) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

int cfa_file_open(struct cfa_bundle *b, const char *relpath, struct cfa_file *f)
{
    if (file_start(b, relpath, f) < 0)
        return -1;
    f->fd = b->mode == CFA_OUT_DIR ? open_dir_file(b, relpath) : open_stage();
    if (f->fd < 0) {
        free(f->wbuf);
        f->wbuf = NULL;
        return -1;
    }
    return 0;
}

int cfa_blob_open(struct cfa_bundle *b, const char *relpath, uint64_t size, struct cfa_file *f)
{
    uint8_t hdr[512];
    if (file_start(b, relpath, f) < 0)
        return -1;
    if (b->mode == CFA_OUT_DIR) {
        f->fd = open_dir_file(b, relpath);
        if (f->fd < 0) {
            free(f->wbuf);
            f->wbuf = NULL;
            return -1;
        }
        return 0;
    }
    if (b->direct_open || cfa_tar_header(hdr, relpath, size, b->mtime) < 0 ||
        write_all(b->tarfd, hdr, 512) < 0) {
        b->fatal = 1;
        free(f->wbuf);
        f->wbuf = NULL;
        errno = EIO;
        return -1;
    }
    b->direct_open = 1;
    f->direct = 1;
    f->expect = size;
    f->fd = b->tarfd;
    return 0;
}

static int file_flush(struct cfa_file *f)
{
    if (f->wlen && !f->err && write_all(f->fd, f->wbuf, f->wlen) < 0) {
        f->err = errno ? errno : EIO;
        f->b->fatal = 1;
    }
    f->wlen = 0;
    return f->err ? -1 : 0;
}

int cfa_file_write(struct cfa_file *f, const void *data, size_t n)
{
    const char *p = data;
    if (f->err)
        return -1;
    if (f->direct && n > f->expect - f->bytes)
        n = (size_t)(f->expect - f->bytes); /* never overrun the announced size */
    cfa_sha256_update(&f->sha, p, n);
    f->bytes += n;
    while (n) {
        size_t take = CFA_WBUF_SIZE - f->wlen;
        if (take > n)
            take = n;
        memcpy(f->wbuf + f->wlen, p, take);
        f->wlen += take;
        p += take;
        n -= take;
        if (f->wlen == CFA_WBUF_SIZE && file_flush(f) < 0)
            return -1;
    }
    return 0;
}

int cfa_table_emit(struct cfa_file *f, struct cfa_jw *jw, const char *what)
{
    int rc = 0;
    if (jw->overflow) {
        cfa_bundle_error(f->b, what, "record too large, dropped");
    } else {
        cfa_jw_raw(jw, "\n", 1);
        if (!jw->overflow) {
            rc = cfa_file_write(f, jw->buf, jw->len);
            if (rc == 0)
                f->records++;
        }
    }
    cfa_jw_reset(jw);
    return rc;
}

static int add_entry(struct cfa_bundle *b, struct cfa_file *f, int is_table, const char *source)
{
    struct cfa_entry *e;
    uint8_t digest[CFA_SHA256_LEN];
    if (b->nentries >= CFA_MAX_ENTRIES)
        return -1;
    if (b->nentries == b->entries_cap) {
        size_t cap = b->entries_cap ? b->entries_cap * 2 : 32;
        struct cfa_entry *n = realloc(b->entries, cap * sizeof(*n));
        if (!n)
            return -1;
        b->entries = n;
        b->entries_cap = cap;
    }
    e = &b->entries[b->nentries];
    memset(e, 0, sizeof(*e));
    memcpy(e->path, f->path, sizeof(e->path));
    cfa_sha256_final(&f->sha, digest);
    cfa_sha256_hex(digest, e->sha256);
    e->bytes = f->bytes;
    e->records = is_table ? (int64_t)f->records : -1;
    e->source = source ? strdup(source) : NULL;
    b->nentries++;
    return 0;
}

static int copy_stage_into_tar(struct cfa_file *f)
{
    struct cfa_bundle *b = f->b;
    uint8_t hdr[512];
    char *buf = f->wbuf; /* reuse the (flushed) write buffer */
    uint64_t left = f->bytes;
    off_t off = 0;
    static const uint8_t zeros[512];
    if (cfa_tar_header(hdr, f->path, f->bytes, b->mtime) < 0 || write_all(b->tarfd, hdr, 512) < 0)
        return -1;
    while (left) {
        size_t want = left > CFA_WBUF_SIZE ? CFA_WBUF_SIZE : (size_t)left;
        ssize_t r = pread(f->fd, buf, want, off);
        if (r <= 0)
            return -1;
        if (write_all(b->tarfd, buf, (size_t)r) < 0)
            return -1;
        off += r;
        left -= (uint64_t)r;
    }
    if (f->bytes % 512 && write_all(b->tarfd, zeros, 512 - f->bytes % 512) < 0)
        return -1;
    return 0;
}

int cfa_file_close(struct cfa_file *f, int is_table, const char *source)
{
    struct cfa_bundle *b = f->b;
    int rc = 0;
    static const uint8_t zeros[4096];
    if (!b || !f->wbuf)
        return -1;
    if (file_flush(f) < 0)
        rc = -1;
    if (f->direct) {
        /* pad a short blob to its announced size so the archive stays valid */
        uint64_t missing = f->expect - f->bytes;
        if (missing)
            cfa_bundle_error(b, f->path, "short read: padded with zeros");
        while (missing && rc == 0) {
            size_t take = missing > sizeof(zeros) ? sizeof(zeros) : (size_t)missing;
            if (cfa_file_write(f, zeros, take) < 0 || file_flush(f) < 0)
                rc = -1;
            missing -= take;
        }
        if (rc == 0 && f->bytes % 512 && write_all(b->tarfd, zeros, 512 - f->bytes % 512) < 0)
            rc = -1;
        b->direct_open = 0;
        f->fd = -1;
    } else if (b->mode == CFA_OUT_TAR) {
        if (rc == 0 && copy_stage_into_tar(f) < 0)
            rc = -1;
    }
    if (rc < 0)
        b->fatal = 1;
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    if (rc == 0 && add_entry(b, f, is_table, source) < 0)
        cfa_bundle_error(b, f->path, "too many files: not in manifest");
    free(f->wbuf);
    f->wbuf = NULL;
    return rc;
}

void cfa_bundle_files_json(struct cfa_bundle *b, struct cfa_jw *jw)
{
    size_t i;
    for (i = 0; i < b->nentries; i++) {
        struct cfa_entry *e = &b->entries[i];
        cfa_jw_obj_begin(jw, NULL);
        cfa_jw_cstr(jw, "path", e->path);
        cfa_jw_cstr(jw, "sha256", e->sha256);
        cfa_jw_uint(jw, "bytes", e->bytes);
        if (e->records >= 0)
            cfa_jw_int(jw, "records", e->records);
        cfa_jw_cstr(jw, "source", e->source);
        cfa_jw_obj_end(jw);
    }
}

void cfa_bundle_release(struct cfa_bundle *b)
{
    size_t i;
    for (i = 0; i < b->nentries; i++)
        free(b->entries[i].source);
    free(b->entries);
    b->entries = NULL;
    b->nentries = b->entries_cap = 0;
    cfa_jw_release(&b->errors);
    if (b->dirfd >= 0)
        close(b->dirfd);
    if (b->tarfd >= 0)
        close(b->tarfd);
    b->dirfd = b->tarfd = -1;
}

int cfa_bundle_finish(struct cfa_bundle *b, const char *json, size_t len)
{
    int rc = 0, fd = -1;
    static const uint8_t zeros[1024];
    if (b->mode == CFA_OUT_DIR) {
        fd = openat(b->dirfd, "manifest.json.tmp",
                    O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 || write_all(fd, json, len) < 0 || write_all(fd, "\n", 1) < 0)
            rc = -1;
        if (fd >= 0)
            close(fd);
        if (rc == 0 && renameat(b->dirfd, "manifest.json.tmp", b->dirfd, "manifest.json") < 0)
            rc = -1;
    } else {
        uint8_t hdr[512];
        if (cfa_tar_header(hdr, "manifest.json", len + 1, b->mtime) < 0 ||
            write_all(b->tarfd, hdr, 512) < 0 || write_all(b->tarfd, json, len) < 0 ||
            write_all(b->tarfd, "\n", 1) < 0)
            rc = -1;
        if (rc == 0 && (len + 1) % 512 && write_all(b->tarfd, zeros, 512 - (len + 1) % 512) < 0)
            rc = -1;
        if (rc == 0 && write_all(b->tarfd, zeros, 1024) < 0)
            rc = -1;
    }
    if (b->fatal)
        rc = -1;
    cfa_bundle_release(b);
    return rc;
}
