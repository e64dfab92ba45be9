/* processes, open_files, process_maps, binaries/ and hidden-process detection. */
#include "cfa_collect.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char DELETED[] = " (deleted)";
#define DELETED_LEN (sizeof(DELETED) - 1)

/* ---- inode -> owner (pid, fd) ---- */

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

static void owner_put(struct cfa_ctx *c, uint64_t inode, int32_t pid, int32_t fd)
{
    size_t i, mask;
    if (!inode)
        return;
    if (c->owners_used * 2 >= c->owners_cap) {
        size_t ncap = c->owners_cap ? c->owners_cap * 2 : 4096, j;
        struct cfa_owner *n;
        if (ncap > (8u << 20))
            return; /* bounded: beyond 4M sockets the rest stay ownerless */
        n = calloc(ncap, sizeof(*n));
        if (!n)
            return;
        for (j = 0; j < c->owners_cap; j++) {
            struct cfa_owner *o = &c->owners[j];
            if (!o->inode)
                continue;
            for (i = mix(o->inode) & (ncap - 1); n[i].inode; i = (i + 1) & (ncap - 1))
                ;
            n[i] = *o;
        }
        free(c->owners);
        c->owners = n;
        c->owners_cap = ncap;
    }
    mask = c->owners_cap - 1;
    for (i = mix(inode) & mask; c->owners[i].inode; i = (i + 1) & mask)
        if (c->owners[i].inode == inode)
            return; /* first owner (lowest pid) wins */
    c->owners[i].inode = inode;
    c->owners[i].pid = pid;
    c->owners[i].fd = fd;
    c->owners_used++;
}

const struct cfa_owner *cfa_owner_get(const struct cfa_ctx *c, uint64_t inode)
{
    size_t i, mask;
    if (!c->owners_cap || !inode)
        return NULL;
    mask = c->owners_cap - 1;
    for (i = mix(inode) & mask; c->owners[i].inode; i = (i + 1) & mask)
        if (c->owners[i].inode == inode)
            return &c->owners[i];
    return NULL;
}

/* ---- pid listing ---- */

static int u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static int parse_pid(const char *s, uint32_t *pid)
{
    struct cfa_span sp = {s, strlen(s)};
    uint64_t v;
    if (cfa_span_u64(sp, 10, &v) < 0 || v == 0 || v > CFA_PID_LIMIT || s[0] == '0')
        return -1;
    *pid = (uint32_t)v;
    return 0;
}

static int push_pid(uint32_t **pids, size_t *n, size_t *cap, uint32_t pid)
{
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 1024;
        uint32_t *p;
        if (ncap > CFA_PID_LIMIT)
            return -1;
        p = realloc(*pids, ncap * sizeof(*p));
        if (!p)
            return -1;
        *pids = p;
        *cap = ncap;
    }
    (*pids)[(*n)++] = pid;
    return 0;
}

/* The pids the directory listing of <root>/proc shows. Under --root, a file
 * proc/.casefile-listing (one pid per line) stands for what a hooked getdents() returns,
 * so fixtures can model a process hidden from the listing but present when probed. */
static int list_pids(struct cfa_ctx *c, uint32_t **pids, size_t *n)
{
    char path[4096];
    size_t cap = 0;
    *pids = NULL;
    *n = 0;
    if (!c->live && cfa_path(c, path, sizeof(path), "/proc/.casefile-listing") == 0 &&
        cfa_slurp(path, &c->rb, 1u << 24) == 0) {
        const char *pos = c->rb.p, *end = c->rb.p + c->rb.len;
        struct cfa_span line;
        while (cfa_next_line(&pos, end, &line)) {
            uint64_t v;
            line = cfa_span_trim(line);
            if (cfa_span_u64(line, 10, &v) == 0 && v > 0 && v <= CFA_PID_LIMIT)
                if (push_pid(pids, n, &cap, (uint32_t)v) < 0)
                    break;
        }
    } else {
        struct cfa_dir d;
        const char *name;
        int rc;
        if (cfa_path(c, path, sizeof(path), "/proc") < 0)
            return -1;
        rc = cfa_dir_open(&d, AT_FDCWD, path);
        if (rc < 0) {
            cfa_bundle_errno(c->b, "/proc", -rc);
            return -1;
        }
        while ((name = cfa_dir_next(&d)) != NULL) {
            uint32_t pid;
            if (parse_pid(name, &pid) == 0 && push_pid(pids, n, &cap, pid) < 0)
                break;
        }
        cfa_dir_close(&d);
    }
    if (*n)
        qsort(*pids, *n, sizeof(**pids), u32_cmp);
    return 0;
}

static int pid_listed(const uint32_t *pids, size_t n, uint32_t pid)
{
    return n && bsearch(&pid, pids, n, sizeof(*pids), u32_cmp) != NULL;
}

static uint32_t pid_max(struct cfa_ctx *c)
{
    char path[4096];
    uint64_t v;
    struct cfa_span s;
    if (cfa_path(c, path, sizeof(path), "/proc/sys/kernel/pid_max") < 0 ||
        cfa_slurp(path, &c->rb, 64) < 0)
        return 32768;
    s.p = c->rb.p;
    s.n = c->rb.len;
    if (cfa_span_u64(cfa_span_trim(s), 10, &v) < 0 || v < 2)
        return 32768;
    return v > CFA_PID_LIMIT ? CFA_PID_LIMIT : (uint32_t)v;
}

/* A pid that exists but is not listed is a hidden process when it is a thread-group leader
 * (threads also answer to kill() and have /proc/<tid>, but are never listed) that already
 * existed when the listing was taken. Live, kill(pid, 0) is the probe (EPERM also means it
 * exists); CFA_PROBE_FULL also stats /proc/<pid>, in case kill() is hooked too. */
static int probe_pid(struct cfa_ctx *c, uint32_t pid, double listed_at)
{
    char path[4096];
    struct cfa_status st;
    struct cfa_stat ps;
    struct stat sb;
    int rc;
    if (c->live) {
        if (kill((pid_t)pid, 0) < 0 && errno != EPERM) {
            if (c->probe != CFA_PROBE_FULL ||
                cfa_path(c, path, sizeof(path), "/proc/%u", pid) < 0 || stat(path, &sb) < 0)
                return 0;
        }
    } else {
        if (cfa_path(c, path, sizeof(path), "/proc/%u", pid) < 0 || stat(path, &sb) < 0 ||
            !S_ISDIR(sb.st_mode))
            return 0;
    }
    if (cfa_path(c, path, sizeof(path), "/proc/%u/status", pid) < 0)
        return 0;
    rc = cfa_slurp(path, &c->rb, 64 * 1024);
    if (rc < 0)
        return rc == -ENOENT || rc == -ESRCH ? 0 : 1;
    if (cfa_parse_status(c->rb.p, c->rb.len, &st) == 0 && st.have_tgid && st.tgid != (int64_t)pid)
        return 0; /* a thread */
    if (c->live && listed_at > 0) {
        /* started after the listing: new, not hidden (or already gone) */
        if (cfa_path(c, path, sizeof(path), "/proc/%u/stat", pid) < 0 ||
            cfa_slurp(path, &c->rb, 64 * 1024) < 0)
            return 0;
        if (cfa_parse_stat(c->rb.p, c->rb.len, &ps) == 0 &&
            (double)ps.starttime / (double)c->clk_tck >= listed_at - 0.05)
            return 0;
    }
    return 1;
}

/* The kernel's count of tasks (threads) from /proc/loadavg ("1/234": running/total), or -1. */
static int64_t kernel_threads(struct cfa_ctx *c)
{
    char path[4096];
    struct cfa_span f[5], a, b;
    uint64_t v;
    const char *slash;
    if (cfa_path(c, path, sizeof(path), "/proc/loadavg") < 0 || cfa_slurp(path, &c->rb, 256) < 0 ||
        cfa_fields((struct cfa_span){c->rb.p, c->rb.len}, f, 5) < 4)
        return -1;
    slash = memchr(f[3].p, '/', f[3].n);
    if (!slash)
        return -1;
    a.p = f[3].p;
    a.n = (size_t)(slash - f[3].p);
    b.p = slash + 1;
    b.n = f[3].n - a.n - 1;
    if (cfa_span_u64(a, 10, &v) < 0 || cfa_span_u64(b, 10, &v) < 0 || v > INT64_MAX)
        return -1;
    return (int64_t)v;
}

/* Seconds since boot (CLOCK_BOOTTIME, the clock of /proc/<pid>/stat starttime). */
static double boottime_now(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_BOOTTIME, &ts) < 0)
        return 0;
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The probe range: the whole pid space with CFA_PROBE_FULL; otherwise up to the highest pid
 * in use (listed, or the last one the kernel handed out) plus a margin, which covers every
 * pid unless pid numbers wrapped around since the hidden process started. */
static uint32_t probe_limit(struct cfa_ctx *c, const uint32_t *pids, size_t npids)
{
    char path[4096];
    uint32_t limit = pid_max(c), hi = npids ? pids[npids - 1] : 0;
    uint64_t last = 0;
    struct cfa_span s;
    if (c->probe == CFA_PROBE_FULL)
        return limit;
    if (cfa_path(c, path, sizeof(path), "/proc/sys/kernel/ns_last_pid") == 0 &&
        cfa_slurp(path, &c->rb, 64) == 0) {
        s.p = c->rb.p;
        s.n = c->rb.len;
        if (cfa_span_u64(cfa_span_trim(s), 10, &last) == 0 && last > hi && last < CFA_PID_LIMIT)
            hi = (uint32_t)last;
    }
    if (hi + 4096u < limit)
        limit = hi + 4096u;
    return limit;
}

/* ---- executables ---- */

static int hash_fd(int fd, uint64_t max, char hex[CFA_SHA256_HEX], uint64_t *hashed)
{
    static char buf[64 * 1024];
    struct cfa_sha256 sha;
    uint8_t d[CFA_SHA256_LEN];
    uint64_t total = 0;
    cfa_sha256_init(&sha);
    for (;;) {
        ssize_t r = read(fd, buf, sizeof(buf));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (r == 0)
            break;
        total += (uint64_t)r;
        if (total > max)
            return -EFBIG;
        cfa_sha256_update(&sha, buf, (size_t)r);
    }
    cfa_sha256_final(&sha, d);
    cfa_sha256_hex(d, hex);
    *hashed = total;
    return 0;
}

/* Opens the running executable: /proc/<pid>/exe live (works for deleted files); under --root
 * the file the exe link names, inside the root, never following a symlink out of it. */
static int open_exe(struct cfa_ctx *c, int dfd, const char *target, size_t tlen)
{
    char path[4096];
    if (c->live)
        return openat(dfd, "exe", O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (tlen >= DELETED_LEN && memcmp(target + tlen - DELETED_LEN, DELETED, DELETED_LEN) == 0)
        tlen -= DELETED_LEN;
    if (tlen == 0 || target[0] != '/' ||
        cfa_path(c, path, sizeof(path), "%.*s", (int)tlen, target) < 0)
        return -1;
    return openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
}

static const char *exe_cached(struct cfa_ctx *c, const struct stat *sb)
{
    size_t i;
    for (i = 0; i < c->nexes; i++) {
        struct cfa_exehash *e = &c->exes[i];
        if (e->dev == (uint64_t)sb->st_dev && e->ino == (uint64_t)sb->st_ino &&
            e->size == (uint64_t)sb->st_size &&
            e->mtime_ns == (int64_t)sb->st_mtim.tv_sec * 1000000000 + sb->st_mtim.tv_nsec)
            return e->hex;
    }
    return NULL;
}

static const char *exe_hash(struct cfa_ctx *c, int fd, struct stat *sb, const char *pidsrc)
{
    uint64_t hashed;
    struct cfa_exehash *e;
    const char *hit = exe_cached(c, sb);
    int rc;
    if (hit)
        return hit;
    if (c->nexes == c->exes_cap) {
        size_t ncap = c->exes_cap ? c->exes_cap * 2 : 64;
        struct cfa_exehash *n;
        if (ncap > 65536)
            return NULL;
        n = realloc(c->exes, ncap * sizeof(*n));
        if (!n)
            return NULL;
        c->exes = n;
        c->exes_cap = ncap;
    }
    e = &c->exes[c->nexes];
    rc = hash_fd(fd, c->max_hash_size, e->hex, &hashed);
    if (rc < 0) {
        cfa_bundle_error(c->b, pidsrc,
                         rc == -EFBIG ? "executable larger than --max-hash-size"
                                      : cfa_errno_name(-rc));
        return NULL;
    }
    e->dev = (uint64_t)sb->st_dev;
    e->ino = (uint64_t)sb->st_ino;
    e->size = (uint64_t)sb->st_size;
    e->mtime_ns = (int64_t)sb->st_mtim.tv_sec * 1000000000 + sb->st_mtim.tv_nsec;
    c->nexes++;
    return e->hex;
}

static int suspicious_path(const char *p, size_t n)
{
    static const char *dirs[] = {"/tmp/", "/var/tmp/", "/dev/shm/", "/run/shm/", "/memfd:"};
    size_t i;
    for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        size_t l = strlen(dirs[i]);
        if (n >= l && memcmp(p, dirs[i], l) == 0)
            return 1;
    }
    return 0;
}

/* Copies the executable into binaries/<sha256> once per hash. */
static void copy_binary(struct cfa_ctx *c, int fd, const struct stat *sb, const char *hex,
                        const char *source, const char *pidsrc)
{
    char rel[CFA_PATH_MAX], buf[64 * 1024];
    struct cfa_file f;
    size_t i;
    off_t off = 0;
    for (i = 0; i < c->nbinaries; i++)
        if (strcmp(c->copied[i], hex) == 0)
            return;
    if ((uint64_t)sb->st_size > c->max_binary_size) {
        cfa_bundle_error(c->b, pidsrc, "executable larger than --max-binary-size: not copied");
        return;
    }
    if (c->nbinaries >= CFA_MAX_BINARIES) {
        cfa_bundle_error(c->b, pidsrc, "too many binaries: not copied");
        return;
    }
    if (!c->copied) {
        c->copied = calloc(CFA_MAX_BINARIES, sizeof(*c->copied));
        if (!c->copied)
            return;
    }
    snprintf(rel, sizeof(rel), "binaries/%s", hex);
    if (cfa_blob_open(c->b, rel, (uint64_t)sb->st_size, &f) < 0) {
        cfa_bundle_errno(c->b, rel, errno);
        return;
    }
    for (;;) {
        ssize_t r = pread(fd, buf, sizeof(buf), off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        if (cfa_file_write(&f, buf, (size_t)r) < 0)
            break;
        off += r;
        if ((uint64_t)off >= (uint64_t)sb->st_size)
            break;
    }
    cfa_file_close(&f, 0, source);
    memcpy(c->copied[c->nbinaries++], hex, CFA_SHA256_HEX);
}

/* ---- one process ---- */

static const char *tty_name(int64_t tty_nr, char *buf, size_t len)
{
    unsigned major = (unsigned)((tty_nr >> 8) & 0xfff);
    unsigned minor = (unsigned)((tty_nr & 0xff) | ((tty_nr >> 12) & 0xfff00));
    if (tty_nr == 0)
        return NULL;
    if (major >= 136 && major <= 143)
        snprintf(buf, len, "/dev/pts/%u", minor + (major - 136) * 256);
    else if (major == 4 && minor < 64)
        snprintf(buf, len, "/dev/tty%u", minor);
    else if (major == 4)
        snprintf(buf, len, "/dev/ttyS%u", minor - 64);
    else
        snprintf(buf, len, "%u:%u", major, minor);
    return buf;
}

static ssize_t readlink_at(int dfd, const char *name, char *buf, size_t len)
{
    ssize_t r = readlinkat(dfd, name, buf, len - 1);
    if (r < 0)
        return -errno;
    buf[r] = '\0';
    return r;
}

static const char *fd_type(const char *t, size_t n)
{
    if (n >= 7 && memcmp(t, "socket:", 7) == 0)
        return "socket";
    if (n >= 5 && memcmp(t, "pipe:", 5) == 0)
        return "pipe";
    if (n >= 11 && memcmp(t, "anon_inode:", 11) == 0)
        return "anon_inode";
    if (n >= 5 && memcmp(t, "/dev/", 5) == 0)
        return "device";
    if (n >= 7 && memcmp(t, "/memfd:", 7) == 0)
        return "memfd";
    if (n && t[0] == '/')
        return "file";
    return "other";
}

static int ends_deleted(const char *t, size_t n)
{
    return n >= DELETED_LEN && memcmp(t + n - DELETED_LEN, DELETED, DELETED_LEN) == 0;
}

struct proc_tables {
    struct cfa_file processes, open_files, maps;
};

static void walk_fds(struct cfa_ctx *c, struct proc_tables *t, int dfd, uint32_t pid,
                     struct cfa_jw *pjw, char fd012[3][512])
{
    char link[4096], src[64];
    struct cfa_dir d;
    const char *name;
    uint64_t count = 0;
    int rc = cfa_dir_open(&d, dfd, "fd");
    if (rc < 0) {
        if (rc != -ENOENT && rc != -ESRCH) {
            snprintf(src, sizeof(src), "/proc/%u/fd", pid);
            cfa_bundle_errno(c->b, src, -rc);
        }
        return;
    }
    while ((name = cfa_dir_next(&d)) != NULL) {
        struct cfa_span sp = {name, strlen(name)};
        uint64_t fdno, inode;
        ssize_t n;
        if (cfa_span_u64(sp, 10, &fdno) < 0 || fdno > INT32_MAX)
            continue;
        n = readlink_at(d.fd, name, link, sizeof(link));
        if (n < 0)
            continue; /* closed since the listing */
        count++;
        if (fdno <= 2) {
            size_t k = (size_t)n < 511 ? (size_t)n : 511;
            memcpy(fd012[fdno], link, k);
            fd012[fdno][k] = '\0';
        }
        if (cfa_parse_bracket_inode(link, (size_t)n, "socket:", &inode) == 0)
            owner_put(c, inode, (int32_t)pid, (int32_t)fdno);
        cfa_jw_reset(&c->jw);
        cfa_jw_obj_begin(&c->jw, NULL);
        cfa_jw_uint(&c->jw, "pid", pid);
        cfa_jw_uint(&c->jw, "fd", fdno);
        cfa_jw_str(&c->jw, "path", link, (size_t)n);
        cfa_jw_cstr(&c->jw, "type", fd_type(link, (size_t)n));
        cfa_jw_bool(&c->jw, "deleted", link[0] == '/' && ends_deleted(link, (size_t)n));
        cfa_jw_obj_end(&c->jw);
        cfa_table_emit(&t->open_files, &c->jw, "open_files");
    }
    cfa_dir_close(&d);
    cfa_jw_uint(pjw, "fd_count", count);
}

/* "major:minor" in hex, at least two digits each, as /proc/<pid>/maps prints it. */
static size_t dev_len(char out[32], unsigned major, unsigned minor)
{
    static const char hx[] = "0123456789abcdef";
    char tmp[12];
    size_t n = 0, k;
    unsigned parts[2] = {major, minor}, i;
    for (i = 0; i < 2; i++) {
        unsigned v = parts[i];
        k = 0;
        do {
            tmp[k++] = hx[v & 15];
            v >>= 4;
        } while (v);
        if (k < 2)
            tmp[k++] = '0';
        while (k)
            out[n++] = tmp[--k];
        if (i == 0)
            out[n++] = ':';
    }
    return n;
}

static void walk_maps(struct cfa_ctx *c, struct proc_tables *t, int dfd, uint32_t pid)
{
    struct cfa_lr lr;
    struct cfa_span line;
    char src[64];
    int rc = cfa_lr_open(&lr, dfd, "maps");
    if (rc < 0) {
        if (rc != -ENOENT && rc != -ESRCH) {
            snprintf(src, sizeof(src), "/proc/%u/maps", pid);
            cfa_bundle_errno(c->b, src, -rc);
        }
        return;
    }
    while ((rc = cfa_lr_next(&lr, &line)) == 1) {
        struct cfa_map m;
        char dev[32];
        if (cfa_parse_maps_line(line, &m) < 0 || m.path.n == 0 || m.path.p[0] != '/')
            continue; /* anonymous and [heap]/[stack]/[vdso] mappings are not listed */
        cfa_jw_reset(&c->jw);
        cfa_jw_obj_begin(&c->jw, NULL);
        cfa_jw_uint(&c->jw, "pid", pid);
        cfa_jw_hex(&c->jw, "start", m.start);
        cfa_jw_hex(&c->jw, "end", m.end);
        cfa_jw_cstr(&c->jw, "perms", m.perms);
        cfa_jw_uint(&c->jw, "offset", m.offset);
        cfa_jw_str(&c->jw, "dev", dev, dev_len(dev, m.dev_major, m.dev_minor));
        cfa_jw_uint(&c->jw, "inode", m.inode);
        cfa_jw_str(&c->jw, "path", m.path.p, m.path.n);
        cfa_jw_bool(&c->jw, "deleted", m.deleted);
        cfa_jw_obj_end(&c->jw);
        cfa_table_emit(&t->maps, &c->jw, "process_maps");
    }
    if (rc < 0 && rc != -ESRCH && rc != -ENOENT) {
        snprintf(src, sizeof(src), "/proc/%u/maps", pid);
        cfa_bundle_errno(c->b, src, -rc);
    }
    if (lr.dropped) {
        snprintf(src, sizeof(src), "/proc/%u/maps", pid);
        cfa_bundle_error(c->b, src, "lines skipped (longer than 64 KiB, or past 256 MiB)");
    }
    cfa_lr_close(&lr);
}

/* Streams environ and keeps the loader-hijack entries (LD_PRELOAD, LD_LIBRARY_PATH,
 * LD_AUDIT), however far into a huge environment they sit. */
static void scan_environ(struct cfa_ctx *c, int dfd, uint32_t pid, struct cfa_jw *pjw)
{
    static const char *keys[] = {"LD_PRELOAD=", "LD_LIBRARY_PATH=", "LD_AUDIT="};
    static char entry[CFA_ENV_VALUE_MAX]; /* single-threaded; no allocation per process */
    char buf[16 * 1024], src[64];
    size_t elen = 0, total = 0, k;
    int fd = openat(dfd, "environ", O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK), started = 0,
        done = 0;
    if (fd < 0) {
        if (errno != ENOENT && errno != ESRCH) {
            snprintf(src, sizeof(src), "/proc/%u/environ", pid);
            cfa_bundle_errno(c->b, src, errno);
        }
        return;
    }
    cfa_jw_arr_begin(pjw, "ld_preload");
    started = 1;
    while (!done) {
        ssize_t r = read(fd, buf, sizeof(buf)), i;
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (r < 0 && errno != ESRCH) {
                snprintf(src, sizeof(src), "/proc/%u/environ", pid);
                cfa_bundle_errno(c->b, src, errno);
            }
            /* a last entry without its NUL terminator */
            buf[0] = '\0';
            r = 1;
            done = 1;
        }
        total += (size_t)r;
        if (total > CFA_ENVIRON_MAX && !done) {
            snprintf(src, sizeof(src), "/proc/%u/environ", pid);
            cfa_bundle_error(c->b, src, "environment larger than 16 MiB: rest not scanned");
            buf[0] = '\0';
            r = 1;
            done = 1;
        }
        for (i = 0; i < r; i++) {
            if (buf[i] != '\0') {
                if (elen < CFA_ENV_VALUE_MAX)
                    entry[elen] = buf[i];
                elen++;
                continue;
            }
            for (k = 0; k < sizeof(keys) / sizeof(keys[0]) && elen; k++) {
                size_t kl = strlen(keys[k]);
                if (elen >= kl && memcmp(entry, keys[k], kl) == 0) {
                    cfa_jw_str(pjw, NULL, entry,
                               elen < CFA_ENV_VALUE_MAX ? elen : CFA_ENV_VALUE_MAX);
                    break;
                }
            }
            elen = 0;
        }
    }
    if (started)
        cfa_jw_arr_end(pjw);
    close(fd);
}

static int is_overmounted(const struct cfa_ctx *c, uint32_t pid)
{
    size_t i;
    for (i = 0; i < c->novermounted; i++)
        if (c->overmounted[i] == pid)
            return 1;
    return 0;
}

static void note_netns(struct cfa_ctx *c, uint64_t ns, uint32_t pid)
{
    size_t i;
    for (i = 0; i < c->nnetns; i++)
        if (c->netns[i].inode == ns)
            return;
    if (c->nnetns < CFA_MAX_NETNS) {
        c->netns[c->nnetns].inode = ns;
        c->netns[c->nnetns].pid = (int32_t)pid;
        c->nnetns++;
    }
}

static void collect_one(struct cfa_ctx *c, struct proc_tables *t, struct cfa_jw *pjw, uint32_t pid,
                        int hidden)
{
    char path[4096], link[4096], exe_link[4096] = "", src[64], tbuf[40], ttybuf[32];
    char fd012[3][512] = {"", "", ""};
    int dfd = -1, rc, exe_fd = -1, suspicious = 0, exited = 0, kthread = 0;
    struct cfa_stat st;
    struct cfa_status ss;
    struct stat sb;
    const char *hex = NULL;
    ssize_t n;
    size_t i;
    static const char *nsnames[] = {"pid", "net", "mnt"};

    cfa_jw_reset(pjw);
    cfa_jw_obj_begin(pjw, NULL);
    cfa_jw_uint(pjw, "pid", pid);
    cfa_jw_bool(pjw, "hidden", hidden);
    if (is_overmounted(c, pid))
        cfa_jw_bool(pjw, "proc_overmounted", 1);
    snprintf(src, sizeof(src), "/proc/%u", pid);
    if (cfa_path(c, path, sizeof(path), "/proc/%u", pid) < 0)
        goto cleanup;
    dfd = openat(AT_FDCWD, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        if (errno == ENOENT || errno == ESRCH)
            exited = 1;
        else
            cfa_bundle_errno(c->b, src, errno);
        goto cleanup;
    }

    /* stat first: if it is gone, the process exited after the listing */
    rc = cfa_slurpat_show(dfd, "stat", &c->rb, 64 * 1024);
    if (rc == -ENOENT || rc == -ESRCH) {
        exited = 1;
        goto cleanup;
    }
    if (rc < 0 || cfa_parse_stat(c->rb.p, c->rb.len, &st) < 0) {
        snprintf(src, sizeof(src), "/proc/%u/stat", pid);
        cfa_bundle_error(c->b, src, rc < 0 ? cfa_errno_name(-rc) : "malformed");
        if (rc < 0 && c->rb.len == 0)
            goto cleanup;
        /* a truncated stat still names the process when its comm is intact */
        memset(&st, 0, sizeof(st));
        {
            const char *o = memchr(c->rb.p, '(', c->rb.len);
            const char *e = o ? memchr(o, ')', c->rb.len - (size_t)(o - c->rb.p)) : NULL;
            if (o && e)
                cfa_jw_str(pjw, "name", o + 1, (size_t)(e - o - 1));
        }
    } else {
        cfa_jw_str(pjw, "name", st.comm.p, st.comm.n);
        cfa_jw_int(pjw, "ppid", st.ppid);
        cfa_jw_str(pjw, "state", &st.state, 1);
        if (c->boot_time > 0 && c->clk_tck > 0) {
            uint64_t ticks = st.starttime;
            int64_t sec = c->boot_time + (int64_t)(ticks / (uint64_t)c->clk_tck);
            long ns =
                (long)((ticks % (uint64_t)c->clk_tck) * (1000000000ull / (uint64_t)c->clk_tck));
            cfa_format_time(sec, ns, 2, tbuf, sizeof(tbuf));
            cfa_jw_cstr(pjw, "start_time", tbuf);
        }
        cfa_jw_uint(pjw, "start_ticks", st.starttime);
        cfa_jw_int(pjw, "rss_kb", st.rss_pages * (int64_t)(sysconf(_SC_PAGESIZE) / 1024));
        cfa_jw_int(pjw, "threads", st.num_threads);
        cfa_jw_cstr(pjw, "tty", tty_name(st.tty_nr, ttybuf, sizeof(ttybuf)));
        cfa_jw_int(pjw, "pgrp", st.pgrp);
        cfa_jw_int(pjw, "session", st.session);
        kthread = (st.flags & CFA_PF_KTHREAD) != 0;
        if (!hidden && st.num_threads > 0)
            c->threads_listed += st.num_threads;
    }

    rc = cfa_slurpat_show(dfd, "status", &c->rb, 64 * 1024);
    if (rc == 0 && cfa_parse_status(c->rb.p, c->rb.len, &ss) == 0) {
        if (ss.have_uid) {
            cfa_jw_uint(pjw, "uid", ss.uid[0]);
            cfa_jw_uint(pjw, "euid", ss.uid[1]);
            cfa_jw_cstr(pjw, "user", cfa_user_name(c, ss.uid[0]));
            cfa_jw_cstr(pjw, "euser", cfa_user_name(c, ss.uid[1]));
        }
        if (ss.have_gid) {
            cfa_jw_uint(pjw, "gid", ss.gid[0]);
            cfa_jw_uint(pjw, "egid", ss.gid[1]);
        }
    } else if (rc == -ENOENT || rc == -ESRCH) {
        exited = 1;
    }

    if (kthread) {
        /* a kernel thread has no command line, environment, executable, files or user
         * mappings: skip a dozen syscalls each (they are half the processes of a quiet host) */
        cfa_jw_bool(pjw, "kernel_thread", 1);
        cfa_jw_arr_begin(pjw, "cmdline");
        cfa_jw_arr_end(pjw);
        goto cleanup;
    }
    rc = cfa_slurpat_show(dfd, "cmdline", &c->rb, CFA_CMDLINE_MAX);
    if (rc == 0) {
        size_t start = 0, len = c->rb.len;
        cfa_jw_arr_begin(pjw, "cmdline");
        /* arguments are NUL-terminated; a trailing NUL does not start another one */
        for (i = 0; i <= len; i++) {
            if (i == len || c->rb.p[i] == '\0') {
                if (i == len && start == len)
                    break;
                cfa_jw_str(pjw, NULL, c->rb.p + start, i - start);
                start = i + 1;
            }
        }
        cfa_jw_arr_end(pjw);
        if (c->rb.truncated)
            cfa_jw_bool(pjw, "cmdline_truncated", 1);
    }

    scan_environ(c, dfd, pid, pjw);

    n = readlink_at(dfd, "exe", link, sizeof(link));
    if (n >= 0) {
        memcpy(exe_link, link, (size_t)n + 1); /* the copy's source; the link is read once */
        int deleted = ends_deleted(link, (size_t)n);
        size_t plen = deleted ? (size_t)n - DELETED_LEN : (size_t)n;
        cfa_jw_str(pjw, "exe", link, plen);
        cfa_jw_bool(pjw, "exe_deleted", deleted);
        suspicious = deleted || suspicious_path(link, plen);
        /* stat first: the hash cache hit (the common case) then needs no open */
        if (c->live && fstatat(dfd, "exe", &sb, 0) == 0 && S_ISREG(sb.st_mode))
            hex = exe_cached(c, &sb);
        if (!hex || suspicious) {
            exe_fd = open_exe(c, dfd, link, (size_t)n);
            if (exe_fd >= 0 && fstat(exe_fd, &sb) == 0 && S_ISREG(sb.st_mode) && !hex) {
                snprintf(src, sizeof(src), "/proc/%u/exe", pid);
                hex = exe_hash(c, exe_fd, &sb, src);
            }
        }
        cfa_jw_cstr(pjw, "exe_sha256", hex);
    } else if (n != -ENOENT && n != -ESRCH) {
        snprintf(src, sizeof(src), "/proc/%u/exe", pid);
        cfa_bundle_errno(c->b, src, (int)-n);
    }
    if ((n = readlink_at(dfd, "cwd", link, sizeof(link))) >= 0)
        cfa_jw_str(pjw, "cwd", link, (size_t)n);
    if ((n = readlink_at(dfd, "root", link, sizeof(link))) >= 0)
        cfa_jw_str(pjw, "root", link, (size_t)n);
    for (i = 0; i < 3; i++) {
        char key[16], nspath[16];
        uint64_t ino;
        snprintf(nspath, sizeof(nspath), "ns/%s", nsnames[i]);
        snprintf(key, sizeof(key), "ns_%s", nsnames[i]);
        n = readlink_at(dfd, nspath, link, sizeof(link));
        if (n < 0)
            continue;
        snprintf(nspath, sizeof(nspath), "%s:", nsnames[i]);
        if (cfa_parse_bracket_inode(link, (size_t)n, nspath, &ino) == 0) {
            cfa_jw_uint(pjw, key, ino);
            if (i == 1)
                note_netns(c, ino, pid);
        }
    }
    if (cfa_slurpat_show(dfd, "cgroup", &c->rb, 4096) == 0 && c->rb.len) {
        const char *pos = c->rb.p, *end = c->rb.p + c->rb.len;
        struct cfa_span line, v2 = {NULL, 0};
        while (cfa_next_line(&pos, end, &line))
            if (line.n >= 3 && memcmp(line.p, "0::", 3) == 0) {
                v2.p = line.p + 3;
                v2.n = line.n - 3;
            }
        if (v2.p)
            cfa_jw_str(pjw, "cgroup", v2.p, v2.n);
        else
            cfa_jw_str(pjw, "cgroup", c->rb.p,
                       cfa_span_trim((struct cfa_span){c->rb.p, c->rb.len}).n);
    }

    walk_fds(c, t, dfd, pid, pjw, fd012);
    for (i = 0; i < 3; i++) {
        char key[8];
        snprintf(key, sizeof(key), "fd%zu", i);
        if (fd012[i][0])
            cfa_jw_cstr(pjw, key, fd012[i]);
    }
    walk_maps(c, t, dfd, pid);

cleanup:
    if (exited)
        cfa_jw_bool(pjw, "exited", 1);
    cfa_jw_obj_end(pjw);
    snprintf(src, sizeof(src), "/proc/%u", pid);
    cfa_table_emit(&t->processes, pjw, src);
    if (suspicious && hex && exe_fd >= 0) {
        copy_binary(c, exe_fd, &sb, hex, exe_link[0] ? exe_link : NULL, src);
    }
    if (exe_fd >= 0)
        close(exe_fd);
    if (dfd >= 0)
        close(dfd);
}

int cfa_collect_processes(struct cfa_ctx *c)
{
    struct proc_tables t;
    struct cfa_jw pjw = CFA_JW_INIT(CFA_RECORD_MAX);
    uint32_t *pids = NULL, limit, pid;
    size_t npids = 0, i;
    int opened = 0, rc = 0;
    double listed_at;
    memset(&t, 0, sizeof(t));
    if (cfa_file_open(c->b, "processes.jsonl", &t.processes) < 0)
        goto fail;
    opened = 1;
    if (cfa_file_open(c->b, "open_files.jsonl", &t.open_files) < 0)
        goto fail;
    opened = 2;
    if (cfa_file_open(c->b, "process_maps.jsonl", &t.maps) < 0)
        goto fail;
    opened = 3;
    listed_at = c->live ? boottime_now() : 0;
    list_pids(c, &pids, &npids);
    for (i = 0; i < npids; i++)
        collect_one(c, &t, &pjw, pids[i], 0);
    c->probe_done = "none";
    c->threads_kernel = kernel_threads(c);
    if (c->probe == CFA_PROBE_AUTO && c->threads_kernel > 0 &&
        c->threads_kernel == c->threads_listed) {
        /* every task the kernel counts is in a listed process: nothing is hidden from the
         * listing, no need to probe tens of thousands of pids */
        c->probe_done = "skipped";
    } else if (c->probe != CFA_PROBE_NONE) {
        uint32_t *cand = NULL, *again = NULL;
        size_t ncand = 0, candcap = 0, nagain = 0;
        limit = probe_limit(c, pids, npids);
        c->probe_done = c->probe == CFA_PROBE_FULL ? "full" : "auto";
        c->probe_limit = limit;
        for (pid = 1; pid < limit; pid++)
            if (!pid_listed(pids, npids, pid) && probe_pid(c, pid, listed_at))
                if (push_pid(&cand, &ncand, &candcap, pid) < 0)
                    break;
        /* a process started after the first listing is not hidden: list again */
        if (ncand)
            list_pids(c, &again, &nagain);
        for (i = 0; i < ncand; i++) {
            char detail[96];
            if (pid_listed(again, nagain, cand[i]))
                continue;
            snprintf(detail, sizeof(detail),
                     "pid %u answers probes but is missing from the /proc listing", cand[i]);
            cfa_anomaly(c, "hidden_process", cand[i], detail);
            collect_one(c, &t, &pjw, cand[i], 1);
        }
        free(cand);
        free(again);
    }
    goto cleanup;
fail:
    cfa_bundle_errno(c->b, "processes", errno);
    rc = -1;
cleanup:
    if (opened >= 1)
        cfa_file_close(&t.processes, 1, NULL);
    if (opened >= 2)
        cfa_file_close(&t.open_files, 1, NULL);
    if (opened >= 3)
        cfa_file_close(&t.maps, 1, NULL);
    cfa_jw_release(&pjw);
    free(pids);
    return rc;
}
