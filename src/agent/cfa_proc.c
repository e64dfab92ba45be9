/* processes, open_files, process_maps, binaries/ and hidden-process detection. */
#include "cfa_collect.h"

#define MAX_PROBE_THREADS 16

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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
static int probe_pid(struct cfa_ctx *c, struct cfa_rbuf *rb, uint32_t pid, double listed_at)
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
    rc = cfa_slurp(path, rb, 64 * 1024);
    if (rc < 0)
        return rc == -ENOENT || rc == -ESRCH ? 0 : 1;
    if (cfa_parse_status(rb->p, rb->len, &st) == 0 && st.have_tgid && st.tgid != (int64_t)pid)
        return 0; /* a thread */
    if (c->live && listed_at > 0) {
        /* started after the listing: new, not hidden (or already gone) */
        if (cfa_path(c, path, sizeof(path), "/proc/%u/stat", pid) < 0 ||
            cfa_slurp(path, rb, 64 * 1024) < 0)
            return 0;
        if (cfa_parse_stat(rb->p, rb->len, &ps) == 0 &&
            (double)ps.starttime / (double)c->clk_tck >= listed_at - 0.05)
            return 0;
    }
    return 1;
}

/* The pid-space probe, split into contiguous ranges across the walk's threads. */
struct probe_part {
    struct cfa_ctx *c;
    const uint32_t *pids;
    size_t npids;
    uint32_t lo, hi; /* [lo, hi) */
    double listed_at;
    uint32_t *cand;
    size_t ncand, candcap;
};

static int push_pid(uint32_t **pids, size_t *n, size_t *cap, uint32_t pid);

static void *probe_range(void *arg)
{
    struct probe_part *p = arg;
    struct cfa_rbuf rb = {0};
    uint32_t pid;
    for (pid = p->lo; pid < p->hi; pid++)
        if (!pid_listed(p->pids, p->npids, pid) && probe_pid(p->c, &rb, pid, p->listed_at))
            if (push_pid(&p->cand, &p->ncand, &p->candcap, pid) < 0)
                break;
    cfa_rbuf_release(&rb);
    return NULL;
}

/* Pids in [1, limit) that answer the probe and are not listed, ascending, into *cand. */
static void probe_space(struct cfa_ctx *c, const uint32_t *pids, size_t npids, uint32_t limit,
                        double listed_at, uint32_t **cand, size_t *ncand)
{
    struct probe_part part[MAX_PROBE_THREADS];
    pthread_t tid[MAX_PROBE_THREADS];
    int started[MAX_PROBE_THREADS] = {0};
    size_t nt = c->threads > 0 ? (size_t)c->threads : 1, i, cap = 0;
    uint32_t step;
    if (nt > MAX_PROBE_THREADS)
        nt = MAX_PROBE_THREADS;
    if (limit < 2) {
        *cand = NULL;
        *ncand = 0;
        return;
    }
    step = (limit - 1) / (uint32_t)nt + 1;
    memset(part, 0, sizeof(part));
    for (i = 0; i < nt; i++) {
        part[i].c = c;
        part[i].pids = pids;
        part[i].npids = npids;
        part[i].listed_at = listed_at;
        part[i].lo = 1 + (uint32_t)i * step;
        part[i].hi = i + 1 == nt ? limit : 1 + (uint32_t)(i + 1) * step;
        if (part[i].lo > limit)
            part[i].lo = limit;
        if (part[i].hi > limit)
            part[i].hi = limit;
        /* the calling thread takes the first range */
        if (i > 0 && pthread_create(&tid[i], NULL, probe_range, &part[i]) == 0)
            started[i] = 1;
    }
    probe_range(&part[0]);
    for (i = 1; i < nt; i++) {
        if (started[i])
            pthread_join(tid[i], NULL);
        else
            probe_range(&part[i]); /* no thread: probe that range here */
    }
    *cand = NULL;
    *ncand = 0;
    for (i = 0; i < nt; i++) {
        size_t k;
        for (k = 0; k < part[i].ncand; k++)
            if (push_pid(cand, ncand, &cap, part[i].cand[k]) < 0)
                break;
        free(part[i].cand);
    }
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

#define HASH_BUF (64 * 1024)

static int hash_fd(int fd, uint64_t max, char *buf, char hex[CFA_SHA256_HEX], uint64_t *hashed)
{
    struct cfa_sha256 sha;
    uint8_t d[CFA_SHA256_LEN];
    uint64_t total = 0;
    cfa_sha256_init(&sha);
    for (;;) {
        ssize_t r = read(fd, buf, HASH_BUF);
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

/* The hash cache of executables by (dev, inode, size, mtime): every distinct binary is hashed
 * once. Shared by the walk's worker threads: the first to need a binary marks its entry
 * pending and hashes it outside the lock; another worker that needs the same binary meanwhile
 * waits for that hash instead of reading the file again. */
static pthread_mutex_t exe_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t exe_cv = PTHREAD_COND_INITIALIZER;

enum { EXE_DONE = 0, EXE_PENDING = 1, EXE_FAILED = 2 };

static int exe_same(const struct cfa_exehash *e, const struct stat *sb)
{
    return e->dev == (uint64_t)sb->st_dev && e->ino == (uint64_t)sb->st_ino &&
           e->size == (uint64_t)sb->st_size &&
           e->mtime_ns == (int64_t)sb->st_mtim.tv_sec * 1000000000 + sb->st_mtim.tv_nsec;
}

/* The entry of sb's file, or -1 (call with exe_lock held). */
static ssize_t exe_find(struct cfa_ctx *c, const struct stat *sb)
{
    size_t i;
    for (i = 0; i < c->nexes; i++)
        if (c->exes[i].state != EXE_FAILED && exe_same(&c->exes[i], sb))
            return (ssize_t)i;
    return -1;
}

/* 1 and the hash copied into hex when sb's file was hashed already, else 0. */
static int exe_cached(struct cfa_ctx *c, const struct stat *sb, char hex[CFA_SHA256_HEX])
{
    ssize_t i;
    int hit = 0;
    pthread_mutex_lock(&exe_lock);
    i = exe_find(c, sb);
    if (i >= 0 && c->exes[i].state == EXE_DONE) {
        memcpy(hex, c->exes[i].hex, CFA_SHA256_HEX);
        hit = 1;
    }
    pthread_mutex_unlock(&exe_lock);
    return hit;
}

/* The hash of the open executable, from the cache or read now (and cached). 0, or -errno /
 * -EFBIG. */
static int exe_hash(struct cfa_ctx *c, int fd, const struct stat *sb, char *buf,
                    char hex[CFA_SHA256_HEX])
{
    uint64_t hashed;
    ssize_t i, mine = -1;
    int rc;
    pthread_mutex_lock(&exe_lock);
    for (;;) {
        i = exe_find(c, sb);
        if (i < 0 || c->exes[i].state == EXE_DONE)
            break;
        pthread_cond_wait(&exe_cv, &exe_lock); /* another worker is hashing it */
    }
    if (i >= 0) {
        memcpy(hex, c->exes[i].hex, CFA_SHA256_HEX);
        pthread_mutex_unlock(&exe_lock);
        return 0;
    }
    if (c->nexes == c->exes_cap && c->exes_cap < 65536) {
        size_t ncap = c->exes_cap ? c->exes_cap * 2 : 64;
        struct cfa_exehash *n = realloc(c->exes, ncap * sizeof(*n));
        if (n) {
            c->exes = n;
            c->exes_cap = ncap;
        }
    }
    if (c->nexes < c->exes_cap) {
        /* claim it (a full cache just means this binary is hashed without being cached) */
        struct cfa_exehash *e = &c->exes[c->nexes];
        mine = (ssize_t)c->nexes++;
        e->dev = (uint64_t)sb->st_dev;
        e->ino = (uint64_t)sb->st_ino;
        e->size = (uint64_t)sb->st_size;
        e->mtime_ns = (int64_t)sb->st_mtim.tv_sec * 1000000000 + sb->st_mtim.tv_nsec;
        e->state = EXE_PENDING;
    }
    pthread_mutex_unlock(&exe_lock);
    rc = hash_fd(fd, c->max_hash_size, buf, hex, &hashed);
    if (mine >= 0) {
        pthread_mutex_lock(&exe_lock);
        if (rc == 0)
            memcpy(c->exes[mine].hex, hex, CFA_SHA256_HEX);
        /* a failed read is not cached: the next process with this binary tries again */
        c->exes[mine].state = rc == 0 ? EXE_DONE : EXE_FAILED;
        pthread_cond_broadcast(&exe_cv);
        pthread_mutex_unlock(&exe_lock);
    }
    return rc;
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

/* ---- the walk's pipeline ----
 * Worker threads read processes (in pid order, each taking the next one) into slots of a small
 * ring; the calling thread commits the slots in pid order: writes their rows, records their
 * errors and socket owners, copies suspicious binaries. The tables come out exactly as a
 * single-threaded walk writes them. A slot buffers at most SLOT_BUFFERED bytes of rows and
 * SLOT_ERRORS errors; a process with more (a million fds) waits until every earlier process is
 * committed and then writes straight into the tables while the committer waits for it, so
 * memory stays bounded whatever the host holds. */
#ifndef RING_SLOTS
#define RING_SLOTS 64
#endif
#define SLOT_BUFFERED (64 * 1024)
#define SLOT_ERRORS   32
#define SLOT_OWNERS   4096
#define MAX_WORKERS   16

struct slot_error {
    char source[64];
    const char *error; /* a string literal or cfa_errno_name() */
};

struct slot_owner {
    uint64_t inode;
    int32_t fd;
};

enum slot_state { SLOT_FREE = 0, SLOT_BUSY, SLOT_DONE };

struct proc_slot {
    enum slot_state state;
    uint32_t pid;
    int hidden, direct, exited;
    struct cfa_jw pjw;           /* the processes row */
    struct cfa_rbuf files, maps; /* buffered open_files / process_maps rows */
    uint64_t nfiles, nmaps;
    struct slot_error err[SLOT_ERRORS];
    size_t nerr;
    struct slot_owner *owners;
    size_t nowners, owners_cap;
    uint64_t netns;
    int64_t threads;
    /* a suspicious executable to copy into binaries/ */
    int exe_fd, copy;
    struct stat exe_sb;
    char hex[CFA_SHA256_HEX];
    char exe_link[4096];
};

struct proc_run {
    struct cfa_ctx *c;
    struct proc_tables *t;
    const uint32_t *pids;
    size_t npids, next_take, next_commit;
    int hidden;
    pthread_mutex_t lock;
    pthread_cond_t cv;      /* workers wait here (a slot to free up, their turn to commit) */
    pthread_cond_t main_cv; /* the committer waits here for slot main_wait */
    size_t main_wait, workers_waiting;
    struct proc_slot slots[RING_SLOTS];
};

/* One worker's reusable buffers. */
struct proc_worker {
    struct proc_run *run;
    struct cfa_ctx *c;
    struct proc_slot *s;
    size_t seq;
    struct cfa_rbuf rb;
    struct cfa_jw jw; /* one open_files / process_maps row */
    char *hashbuf;
    char entry[CFA_ENV_VALUE_MAX];
};

static void slot_flush_owners(struct cfa_ctx *c, struct proc_slot *s)
{
    size_t i;
    for (i = 0; i < s->nowners; i++)
        owner_put(c, s->owners[i].inode, (int32_t)s->pid, s->owners[i].fd);
    s->nowners = 0;
}

static void slot_flush_errors(struct cfa_ctx *c, struct proc_slot *s)
{
    size_t i;
    for (i = 0; i < s->nerr; i++)
        cfa_bundle_error(c->b, s->err[i].source, s->err[i].error);
    s->nerr = 0;
}

static void slot_flush_rows(struct proc_tables *t, struct proc_slot *s)
{
    if (s->files.len && cfa_file_write(&t->open_files, s->files.p, s->files.len) == 0)
        t->open_files.records += s->nfiles;
    if (s->maps.len && cfa_file_write(&t->maps, s->maps.p, s->maps.len) == 0)
        t->maps.records += s->nmaps;
    s->files.len = s->maps.len = 0;
    s->nfiles = s->nmaps = 0;
}

/* This process holds more than a slot buffers: wait until it is the next to commit (the
 * committer then waits for it and touches nothing), write what it buffered and continue
 * writing directly. */
static void slot_go_direct(struct proc_worker *w)
{
    struct proc_run *run = w->run;
    struct proc_slot *s = w->s;
    if (s->direct)
        return;
    pthread_mutex_lock(&run->lock);
    while (run->next_commit != w->seq) {
        run->workers_waiting++;
        pthread_cond_wait(&run->cv, &run->lock);
        run->workers_waiting--;
    }
    pthread_mutex_unlock(&run->lock);
    slot_flush_errors(w->c, s);
    slot_flush_owners(w->c, s);
    slot_flush_rows(run->t, s);
    s->direct = 1;
}

static void sink_error(struct proc_worker *w, const char *source, const char *error)
{
    struct proc_slot *s = w->s;
    if (!s->direct && s->nerr == SLOT_ERRORS)
        slot_go_direct(w);
    if (s->direct) {
        cfa_bundle_error(w->c->b, source, error);
        return;
    }
    snprintf(s->err[s->nerr].source, sizeof(s->err[s->nerr].source), "%s", source);
    s->err[s->nerr].error = error;
    s->nerr++;
}

static void sink_errno(struct proc_worker *w, const char *source, int err)
{
    sink_error(w, source, cfa_errno_name(err));
}

static void sink_owner(struct proc_worker *w, uint64_t inode, int32_t fd)
{
    struct proc_slot *s = w->s;
    if (!s->direct && s->nowners == SLOT_OWNERS)
        slot_go_direct(w);
    if (s->direct) {
        owner_put(w->c, inode, (int32_t)s->pid, fd);
        return;
    }
    if (s->nowners == s->owners_cap) {
        size_t ncap = s->owners_cap ? s->owners_cap * 2 : 16;
        struct slot_owner *n = realloc(s->owners, ncap * sizeof(*n));
        if (!n) {
            slot_go_direct(w);
            owner_put(w->c, inode, (int32_t)s->pid, fd);
            return;
        }
        s->owners = n;
        s->owners_cap = ncap;
    }
    s->owners[s->nowners].inode = inode;
    s->owners[s->nowners].fd = fd;
    s->nowners++;
}

/* Buffers (or writes, in direct mode) the row in w->jw into open_files (maps = 0) or
 * process_maps (maps = 1), as cfa_table_emit does. Resets w->jw. */
static void sink_row(struct proc_worker *w, int maps)
{
    struct proc_slot *s = w->s;
    struct cfa_rbuf *rb = maps ? &s->maps : &s->files;
    struct cfa_jw *jw = &w->jw;
    const char *what = maps ? "process_maps" : "open_files";
    size_t need;
    char *p;
    if (jw->overflow) {
        sink_error(w, what, "record too large, dropped");
        cfa_jw_reset(jw);
        return;
    }
    if (!s->direct && s->files.len + s->maps.len + jw->len + 1 > SLOT_BUFFERED)
        slot_go_direct(w);
    if (s->direct) {
        cfa_table_emit(maps ? &w->run->t->maps : &w->run->t->open_files, jw, what);
        return;
    }
    need = rb->len + jw->len + 1;
    if (need > rb->cap) {
        size_t cap = rb->cap ? rb->cap : 4096;
        while (cap < need)
            cap *= 2;
        p = realloc(rb->p, cap);
        if (!p) {
            /* no memory to buffer: write it directly instead */
            slot_go_direct(w);
            cfa_table_emit(maps ? &w->run->t->maps : &w->run->t->open_files, jw, what);
            return;
        }
        rb->p = p;
        rb->cap = cap;
    }
    memcpy(rb->p + rb->len, jw->buf, jw->len);
    rb->p[rb->len + jw->len] = '\n';
    rb->len = need;
    if (maps)
        s->nmaps++;
    else
        s->nfiles++;
    cfa_jw_reset(jw);
}

static void walk_fds(struct proc_worker *w, int dfd, char fd012[3][512])
{
    struct cfa_jw *pjw = &w->s->pjw;
    uint32_t pid = w->s->pid;
    char link[4096], src[64];
    struct cfa_dir d;
    const char *name;
    uint64_t count = 0;
    int rc = cfa_dir_open(&d, dfd, "fd");
    if (rc < 0) {
        if (rc != -ENOENT && rc != -ESRCH) {
            snprintf(src, sizeof(src), "/proc/%u/fd", pid);
            sink_errno(w, src, -rc);
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
            sink_owner(w, inode, (int32_t)fdno);
        cfa_jw_reset(&w->jw);
        cfa_jw_obj_begin(&w->jw, NULL);
        cfa_jw_uint(&w->jw, "pid", pid);
        cfa_jw_uint(&w->jw, "fd", fdno);
        cfa_jw_str(&w->jw, "path", link, (size_t)n);
        cfa_jw_cstr(&w->jw, "type", fd_type(link, (size_t)n));
        cfa_jw_bool(&w->jw, "deleted", link[0] == '/' && ends_deleted(link, (size_t)n));
        cfa_jw_obj_end(&w->jw);
        sink_row(w, 0);
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

static void walk_maps(struct proc_worker *w, int dfd)
{
    uint32_t pid = w->s->pid;
    struct cfa_lr lr;
    struct cfa_span line;
    char src[64];
    int rc = cfa_lr_open(&lr, dfd, "maps");
    if (rc < 0) {
        if (rc != -ENOENT && rc != -ESRCH) {
            snprintf(src, sizeof(src), "/proc/%u/maps", pid);
            sink_errno(w, src, -rc);
        }
        return;
    }
    while ((rc = cfa_lr_next(&lr, &line)) == 1) {
        struct cfa_map m;
        char dev[32];
        if (cfa_parse_maps_line(line, &m) < 0 || m.path.n == 0 || m.path.p[0] != '/')
            continue; /* anonymous and [heap]/[stack]/[vdso] mappings are not listed */
        cfa_jw_reset(&w->jw);
        cfa_jw_obj_begin(&w->jw, NULL);
        cfa_jw_uint(&w->jw, "pid", pid);
        cfa_jw_hex(&w->jw, "start", m.start);
        cfa_jw_hex(&w->jw, "end", m.end);
        cfa_jw_cstr(&w->jw, "perms", m.perms);
        cfa_jw_uint(&w->jw, "offset", m.offset);
        cfa_jw_str(&w->jw, "dev", dev, dev_len(dev, m.dev_major, m.dev_minor));
        cfa_jw_uint(&w->jw, "inode", m.inode);
        cfa_jw_str(&w->jw, "path", m.path.p, m.path.n);
        cfa_jw_bool(&w->jw, "deleted", m.deleted);
        cfa_jw_obj_end(&w->jw);
        sink_row(w, 1);
    }
    if (rc < 0 && rc != -ESRCH && rc != -ENOENT) {
        snprintf(src, sizeof(src), "/proc/%u/maps", pid);
        sink_errno(w, src, -rc);
    }
    if (lr.dropped) {
        snprintf(src, sizeof(src), "/proc/%u/maps", pid);
        sink_error(w, src, "lines skipped (longer than 64 KiB, or past 256 MiB)");
    }
    cfa_lr_close(&lr);
}

/* Streams environ and keeps the loader-hijack entries (LD_PRELOAD, LD_LIBRARY_PATH,
 * LD_AUDIT), however far into a huge environment they sit. */
static void scan_environ(struct proc_worker *w, int dfd)
{
    static const char *keys[] = {"LD_PRELOAD=", "LD_LIBRARY_PATH=", "LD_AUDIT="};
    char *entry = w->entry; /* no allocation per process */
    struct cfa_jw *pjw = &w->s->pjw;
    uint32_t pid = w->s->pid;
    char buf[16 * 1024], src[64];
    size_t elen = 0, total = 0, k;
    int fd = openat(dfd, "environ", O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK), started = 0,
        done = 0;
    if (fd < 0) {
        if (errno != ENOENT && errno != ESRCH) {
            snprintf(src, sizeof(src), "/proc/%u/environ", pid);
            sink_errno(w, src, errno);
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
                sink_errno(w, src, errno);
            }
            /* a last entry without its NUL terminator */
            buf[0] = '\0';
            r = 1;
            done = 1;
        }
        total += (size_t)r;
        if (total > CFA_ENVIRON_MAX && !done) {
            snprintf(src, sizeof(src), "/proc/%u/environ", pid);
            sink_error(w, src, "environment larger than 16 MiB: rest not scanned");
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

/* Reads one process into its slot (run by a worker thread). */
static void gather(struct proc_worker *w)
{
    struct cfa_ctx *c = w->c;
    struct proc_slot *slot = w->s;
    struct cfa_jw *pjw = &slot->pjw;
    struct cfa_rbuf *rb = &w->rb;
    uint32_t pid = slot->pid;
    int hidden = slot->hidden;
    char path[4096], link[4096], src[64], tbuf[40], ttybuf[32];
    char fd012[3][512] = {"", "", ""};
    int dfd = -1, rc, exe_fd = -1, suspicious = 0, exited = 0, kthread = 0, have_hex = 0;
    struct cfa_stat st;
    struct cfa_status ss;
    struct stat sb;
    char hex[CFA_SHA256_HEX];
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
            sink_errno(w, src, errno);
        goto cleanup;
    }

    /* stat first: if it is gone, the process exited after the listing */
    rc = cfa_slurpat_show(dfd, "stat", rb, 64 * 1024);
    if (rc == -ENOENT || rc == -ESRCH) {
        exited = 1;
        goto cleanup;
    }
    if (rc < 0 || cfa_parse_stat(rb->p, rb->len, &st) < 0) {
        snprintf(src, sizeof(src), "/proc/%u/stat", pid);
        sink_error(w, src, rc < 0 ? cfa_errno_name(-rc) : "malformed");
        if (rc < 0 && rb->len == 0)
            goto cleanup;
        /* a truncated stat still names the process when its comm is intact */
        memset(&st, 0, sizeof(st));
        {
            const char *o = memchr(rb->p, '(', rb->len);
            const char *e = o ? memchr(o, ')', rb->len - (size_t)(o - rb->p)) : NULL;
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
            slot->threads = st.num_threads;
    }

    rc = cfa_slurpat_show(dfd, "status", rb, 64 * 1024);
    if (rc == 0 && cfa_parse_status(rb->p, rb->len, &ss) == 0) {
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
    rc = cfa_slurpat_show(dfd, "cmdline", rb, CFA_CMDLINE_MAX);
    if (rc == 0) {
        size_t start = 0, len = rb->len;
        cfa_jw_arr_begin(pjw, "cmdline");
        /* arguments are NUL-terminated; a trailing NUL does not start another one */
        for (i = 0; i <= len; i++) {
            if (i == len || rb->p[i] == '\0') {
                if (i == len && start == len)
                    break;
                cfa_jw_str(pjw, NULL, rb->p + start, i - start);
                start = i + 1;
            }
        }
        cfa_jw_arr_end(pjw);
        if (rb->truncated)
            cfa_jw_bool(pjw, "cmdline_truncated", 1);
    }

    scan_environ(w, dfd);

    n = readlink_at(dfd, "exe", link, sizeof(link));
    if (n >= 0) {
        memcpy(slot->exe_link, link, (size_t)n + 1); /* the copy's source; read once */
        int deleted = ends_deleted(link, (size_t)n);
        size_t plen = deleted ? (size_t)n - DELETED_LEN : (size_t)n;
        cfa_jw_str(pjw, "exe", link, plen);
        cfa_jw_bool(pjw, "exe_deleted", deleted);
        suspicious = deleted || suspicious_path(link, plen);
        /* stat first: the hash cache hit (the common case) then needs no open */
        if (c->live && fstatat(dfd, "exe", &sb, 0) == 0 && S_ISREG(sb.st_mode))
            have_hex = exe_cached(c, &sb, hex);
        if (!have_hex || suspicious) {
            exe_fd = open_exe(c, dfd, link, (size_t)n);
            if (exe_fd >= 0 && fstat(exe_fd, &sb) == 0 && S_ISREG(sb.st_mode) && !have_hex) {
                rc = exe_hash(c, exe_fd, &sb, w->hashbuf, hex);
                if (rc < 0) {
                    snprintf(src, sizeof(src), "/proc/%u/exe", pid);
                    sink_error(w, src,
                               rc == -EFBIG ? "executable larger than --max-hash-size"
                                            : cfa_errno_name(-rc));
                } else {
                    have_hex = 1;
                }
            }
        }
        cfa_jw_cstr(pjw, "exe_sha256", have_hex ? hex : NULL);
    } else if (n != -ENOENT && n != -ESRCH) {
        snprintf(src, sizeof(src), "/proc/%u/exe", pid);
        sink_errno(w, src, (int)-n);
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
                slot->netns = ino;
        }
    }
    if (cfa_slurpat_show(dfd, "cgroup", rb, 4096) == 0 && rb->len) {
        const char *pos = rb->p, *end = rb->p + rb->len;
        struct cfa_span line, v2 = {NULL, 0};
        while (cfa_next_line(&pos, end, &line))
            if (line.n >= 3 && memcmp(line.p, "0::", 3) == 0) {
                v2.p = line.p + 3;
                v2.n = line.n - 3;
            }
        if (v2.p)
            cfa_jw_str(pjw, "cgroup", v2.p, v2.n);
        else
            cfa_jw_str(pjw, "cgroup", rb->p, cfa_span_trim((struct cfa_span){rb->p, rb->len}).n);
    }

    walk_fds(w, dfd, fd012);
    for (i = 0; i < 3; i++) {
        char key[8];
        snprintf(key, sizeof(key), "fd%zu", i);
        if (fd012[i][0])
            cfa_jw_cstr(pjw, key, fd012[i]);
    }
    walk_maps(w, dfd);

cleanup:
    if (exited)
        cfa_jw_bool(pjw, "exited", 1);
    cfa_jw_obj_end(pjw);
    if (suspicious && have_hex && exe_fd >= 0) {
        /* copied by the committer, in pid order */
        slot->copy = 1;
        slot->exe_fd = exe_fd;
        slot->exe_sb = sb;
        memcpy(slot->hex, hex, CFA_SHA256_HEX);
    } else if (exe_fd >= 0) {
        close(exe_fd);
    }
    if (dfd >= 0)
        close(dfd);
}

/* Writes a gathered slot into the tables (the calling thread, in pid order). */
static void commit(struct cfa_ctx *c, struct proc_tables *t, struct proc_slot *s)
{
    char src[64];
    snprintf(src, sizeof(src), "/proc/%u", s->pid);
    slot_flush_errors(c, s);
    slot_flush_owners(c, s);
    slot_flush_rows(t, s);
    cfa_table_emit(&t->processes, &s->pjw, src);
    /* the agent counts itself with its walk's workers, which are gone when the kernel's
     * count is read after the walk: count its main thread only */
    c->threads_listed +=
        c->live && s->pid == (uint32_t)c->self_pid && s->threads > 1 ? 1 : s->threads;
    if (s->netns)
        note_netns(c, s->netns, s->pid);
    if (s->copy)
        copy_binary(c, s->exe_fd, &s->exe_sb, s->hex, s->exe_link[0] ? s->exe_link : NULL, src);
    if (s->exe_fd >= 0)
        close(s->exe_fd);
    s->exe_fd = -1;
    s->copy = 0;
    /* a slot keeps small buffers for the next process, not a huge record's */
    if (s->pjw.cap > SLOT_BUFFERED)
        cfa_jw_release(&s->pjw);
    if (s->owners_cap > 256) {
        free(s->owners);
        s->owners = NULL;
        s->owners_cap = 0;
    }
}

static void *worker_main(void *arg)
{
    struct proc_worker *w = arg;
    struct proc_run *run = w->run;
    for (;;) {
        struct proc_slot *s;
        size_t seq;
        pthread_mutex_lock(&run->lock);
        if (run->next_take >= run->npids) {
            pthread_mutex_unlock(&run->lock);
            break;
        }
        seq = run->next_take++;
        s = &run->slots[seq % RING_SLOTS];
        /* the slot is ours once the process RING_SLOTS before is committed (a later one
         * waiting for the same slot must not take it first) */
        while (s->state != SLOT_FREE || seq >= run->next_commit + RING_SLOTS) {
            run->workers_waiting++;
            pthread_cond_wait(&run->cv, &run->lock);
            run->workers_waiting--;
        }
        s->state = SLOT_BUSY;
        pthread_mutex_unlock(&run->lock);

        s->pid = run->pids[seq];
        s->hidden = run->hidden;
        s->direct = 0;
        s->threads = 0;
        s->netns = 0;
        s->copy = 0;
        s->exe_fd = -1;
        s->exe_link[0] = '\0';
        w->s = s;
        w->seq = seq;
        gather(w);

        pthread_mutex_lock(&run->lock);
        s->state = SLOT_DONE;
        if (run->main_wait == seq) /* wake the committer only when it waits for this one */
            pthread_cond_signal(&run->main_cv);
        pthread_mutex_unlock(&run->lock);
    }
    cfa_lr_cache_release(); /* this thread's line and directory buffers */
    return NULL;
}

/* Collects pids[0..n) with up to c->threads workers; the rows come out in the order of pids. */
static void collect_pids(struct cfa_ctx *c, struct proc_tables *t, const uint32_t *pids, size_t n,
                         int hidden)
{
    struct proc_run *run;
    struct proc_worker *w = NULL;
    pthread_t tid[MAX_WORKERS];
    pthread_attr_t attr;
    size_t nw = c->threads > 0 ? (size_t)c->threads : 1, started = 0, i, seq;
    if (!n)
        return;
    if (nw > MAX_WORKERS)
        nw = MAX_WORKERS;
    if (nw > n)
        nw = n;
    run = calloc(1, sizeof(*run));
    w = calloc(nw, sizeof(*w));
    if (!run || !w)
        goto oom;
    run->c = c;
    run->t = t;
    run->pids = pids;
    run->npids = n;
    run->hidden = hidden;
    pthread_mutex_init(&run->lock, NULL);
    pthread_cond_init(&run->cv, NULL);
    pthread_cond_init(&run->main_cv, NULL);
    run->main_wait = SIZE_MAX;
    for (i = 0; i < RING_SLOTS; i++) {
        struct cfa_jw init = CFA_JW_INIT(CFA_RECORD_MAX);
        run->slots[i].pjw = init;
        run->slots[i].exe_fd = -1;
    }
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 1u << 20);
    for (i = 0; i < nw; i++) {
        struct cfa_jw init = CFA_JW_INIT(CFA_RECORD_MAX);
        w[i].run = run;
        w[i].c = c;
        w[i].jw = init;
        w[i].hashbuf = malloc(HASH_BUF);
        if (!w[i].hashbuf || pthread_create(&tid[i], &attr, worker_main, &w[i]) != 0) {
            free(w[i].hashbuf);
            w[i].hashbuf = NULL;
            break;
        }
        started++;
    }
    pthread_attr_destroy(&attr);
    if (!started) {
        /* no thread could be started: one worker's work here, then commit each slot */
        w[0].run = run;
        w[0].c = c;
        w[0].hashbuf = malloc(HASH_BUF);
        if (!w[0].hashbuf)
            goto oom_run;
        for (seq = 0; seq < n; seq++) {
            struct proc_slot *s = &run->slots[0];
            s->pid = pids[seq];
            s->hidden = hidden;
            s->direct = 0;
            s->threads = 0;
            s->netns = 0;
            s->exe_link[0] = '\0';
            w[0].s = s;
            w[0].seq = seq;
            run->next_commit = seq; /* direct mode never waits here */
            gather(&w[0]);
            commit(c, t, s);
        }
        started = 0;
        goto done;
    }
    for (seq = 0; seq < n; seq++) {
        struct proc_slot *s = &run->slots[seq % RING_SLOTS];
        pthread_mutex_lock(&run->lock);
        while (s->state != SLOT_DONE) {
            run->main_wait = seq;
            pthread_cond_wait(&run->main_cv, &run->lock);
        }
        run->main_wait = SIZE_MAX;
        pthread_mutex_unlock(&run->lock);
        commit(c, t, s);
        pthread_mutex_lock(&run->lock);
        s->state = SLOT_FREE;
        run->next_commit = seq + 1;
        if (run->workers_waiting)
            pthread_cond_broadcast(&run->cv);
        pthread_mutex_unlock(&run->lock);
    }
done:
    for (i = 0; i < started; i++)
        pthread_join(tid[i], NULL);
    for (i = 0; i < nw; i++) {
        cfa_rbuf_release(&w[i].rb);
        cfa_jw_release(&w[i].jw);
        free(w[i].hashbuf);
    }
    for (i = 0; i < RING_SLOTS; i++) {
        cfa_jw_release(&run->slots[i].pjw);
        cfa_rbuf_release(&run->slots[i].files);
        cfa_rbuf_release(&run->slots[i].maps);
        free(run->slots[i].owners);
    }
    pthread_cond_destroy(&run->main_cv);
    pthread_cond_destroy(&run->cv);
    pthread_mutex_destroy(&run->lock);
    free(run);
    free(w);
    return;
oom_run:
    pthread_cond_destroy(&run->main_cv);
    pthread_cond_destroy(&run->cv);
    pthread_mutex_destroy(&run->lock);
oom:
    free(run);
    free(w);
    cfa_bundle_errno(c->b, "processes", ENOMEM);
}

int cfa_collect_processes(struct cfa_ctx *c)
{
    struct proc_tables t;
    uint32_t *pids = NULL, limit;
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
    collect_pids(c, &t, pids, npids, 0);
    c->probe_done = "none";
    c->threads_kernel = kernel_threads(c);
    if (c->probe == CFA_PROBE_AUTO && c->threads_kernel > 0 &&
        c->threads_kernel == c->threads_listed) {
        /* every task the kernel counts is in a listed process: nothing is hidden from the
         * listing, no need to probe tens of thousands of pids */
        c->probe_done = "skipped";
    } else if (c->probe != CFA_PROBE_NONE) {
        uint32_t *cand = NULL, *again = NULL;
        size_t ncand = 0, nagain = 0, nhidden;
        limit = probe_limit(c, pids, npids);
        c->probe_done = c->probe == CFA_PROBE_FULL ? "full" : "auto";
        c->probe_limit = limit;
        probe_space(c, pids, npids, limit, listed_at, &cand, &ncand);
        /* a process started after the first listing is not hidden: list again */
        if (ncand)
            list_pids(c, &again, &nagain);
        for (i = 0, nhidden = 0; i < ncand; i++) {
            char detail[96];
            if (pid_listed(again, nagain, cand[i]))
                continue;
            snprintf(detail, sizeof(detail),
                     "pid %u answers probes but is missing from the /proc listing", cand[i]);
            cfa_anomaly(c, "hidden_process", cand[i], detail);
            cand[nhidden++] = cand[i];
        }
        collect_pids(c, &t, cand, nhidden, 1);
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
    free(pids);
    return rc;
}
