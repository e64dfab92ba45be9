/* casefile-agent's collectors: each reads one area of the host (live, or a saved tree under
 * --root) and writes its table(s) into the bundle. Sources that cannot be read go into the
 * manifest's errors; a process that exits while being read is recorded with exited=true. */
#ifndef CFA_COLLECT_H
#define CFA_COLLECT_H

#include <stddef.h>
#include <stdint.h>

#include "cfa_json.h"
#include "cfa_out.h"
#include "cfa_parse.h"

#define CFA_CMDLINE_MAX   (64 * 1024)
#define CFA_ENVIRON_MAX   (16u << 20) /* bytes of environ scanned for LD_* entries */
#define CFA_ENV_VALUE_MAX 4096
#define CFA_RECORD_MAX    (1u << 20)
#define CFA_PID_LIMIT     4194304u /* PID_MAX_LIMIT */
#define CFA_MAX_NETNS     4096
#define CFA_MAX_BINARIES  256

/* Hidden-process probing: none, up to the highest pid in use (+4096), or all of pid_max. */
enum cfa_probe { CFA_PROBE_NONE = 0, CFA_PROBE_AUTO = 1, CFA_PROBE_FULL = 2 };

struct cfa_user {
    uint32_t uid, order;
    char name[64];
};

struct cfa_owner {
    uint64_t inode; /* 0 = empty slot */
    int32_t pid, fd;
};

struct cfa_exehash {
    uint64_t dev, ino, size;
    int64_t mtime_ns;
    int state; /* 0 hashed, 1 being hashed by a worker, 2 failed */
    char hex[CFA_SHA256_HEX];
};

struct cfa_netns {
    uint64_t inode;
    int32_t pid; /* a process in it, 0 = read <root>/proc/net */
};

/* A reusable read buffer. */
struct cfa_rbuf {
    char *p;
    size_t len, cap;
    int truncated;
};

struct cfa_ctx {
    const char *root; /* "" = live system */
    int live;
    struct cfa_bundle *b;
    struct cfa_jw jw;
    struct cfa_rbuf rb, rb2;

    /* options */
    uint64_t max_binary_size, max_hash_size;
    enum cfa_probe probe;
    long clk_tck;
    int self_pid;
    int threads; /* worker threads of the process walk */

    /* facts gathered along the way */
    int64_t boot_time; /* seconds since the epoch, 0 = unknown */
    struct cfa_user *users;
    size_t nusers;
    uint32_t *overmounted; /* pids whose /proc/<pid> has a mount on it */
    size_t novermounted;
    struct cfa_owner *owners;
    size_t owners_cap, owners_used;
    struct cfa_exehash *exes;
    size_t nexes, exes_cap;
    struct cfa_netns netns[CFA_MAX_NETNS];
    size_t nnetns;
    size_t nbinaries;
    /* hidden-process probe: threads counted in the listed processes vs the kernel's count */
    int64_t threads_listed, threads_kernel;
    const char *probe_done; /* "none", "skipped", "auto", "full" */
    uint32_t probe_limit;
    char (*copied)[CFA_SHA256_HEX];

    struct cfa_file t_anomalies;
    int anomalies_open;
};

/* Streaming line reader with a bounded line length: longer lines are skipped and counted. */
#define CFA_LINE_MAX (64 * 1024)
#define CFA_FILE_MAX (256ull << 20) /* bytes read from one line-oriented file */
struct cfa_lr {
    int fd;
    char *buf;
    size_t start, end;
    int eof, truncated;
    size_t dropped;
    uint64_t total;
};
/* Opens path (or name relative to dirfd); 0 or -errno. */
int cfa_lr_open(struct cfa_lr *lr, int dirfd, const char *path);
/* 1: a line (valid until the next call), 0: end, -errno on read error. */
int cfa_lr_next(struct cfa_lr *lr, struct cfa_span *line);
void cfa_lr_close(struct cfa_lr *lr);
/* Frees the line buffer kept for reuse (at exit). */
void cfa_lr_cache_release(void);

/* The process and fd holding socket inode `inode` (first seen), or NULL. */
const struct cfa_owner *cfa_owner_get(const struct cfa_ctx *c, uint64_t inode);

/* Directory listing through getdents64 directly (no DIR: no fstat/fcntl/malloc per directory,
 * which counts on hosts with thousands of /proc/<pid>/fd directories). */
struct cfa_dir {
    int fd;
    char *buf;
    size_t pos, len;
};
int cfa_dir_open(struct cfa_dir *d, int dirfd, const char *path); /* 0 or -errno */
/* The next entry's name (valid until the next call), or NULL at the end or on error. */
const char *cfa_dir_next(struct cfa_dir *d);
void cfa_dir_close(struct cfa_dir *d);

/* Builds "<root><path>" into out; -1 if it does not fit. */
int cfa_path(const struct cfa_ctx *c, char *out, size_t outlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Reads up to max bytes of a file into rb (NUL-terminated). 0 or -errno. */
int cfa_slurp(const char *path, struct cfa_rbuf *rb, size_t max);
int cfa_slurpat(int dirfd, const char *name, struct cfa_rbuf *rb, size_t max);
/* Same for files the kernel renders whole in one read (/proc/<pid>/stat, status, cmdline,
 * cgroup): a short read ends it. */
int cfa_slurpat_show(int dirfd, const char *name, struct cfa_rbuf *rb, size_t max);
void cfa_rbuf_release(struct cfa_rbuf *rb);
/* RFC 3339 UTC with `digits` fractional digits (0..9). out >= 40 bytes. */
void cfa_format_time(int64_t sec, long nsec, int digits, char *out, size_t outlen);
const char *cfa_user_name(const struct cfa_ctx *c, uint32_t uid);
/* Writes one anomaly row {kind, pid?, detail}. */
void cfa_anomaly(struct cfa_ctx *c, const char *kind, int64_t pid, const char *detail);

/* Boot time (btime of /proc/stat) into c->boot_time. */
int cfa_read_boot_time(struct cfa_ctx *c);
int cfa_collect_passwd(struct cfa_ctx *c);
int cfa_collect_system(struct cfa_ctx *c, const char *instance_json_or_null);
int cfa_collect_mounts(struct cfa_ctx *c);
int cfa_collect_processes(struct cfa_ctx *c);
int cfa_collect_sockets(struct cfa_ctx *c);
int cfa_collect_modules(struct cfa_ctx *c);
int cfa_collect_sessions(struct cfa_ctx *c);
int cfa_collect_network(struct cfa_ctx *c); /* interfaces, routes, arp */
int cfa_collect_dns(struct cfa_ctx *c);
/* LiME image of physical memory into memory.lime. */
int cfa_collect_memory(struct cfa_ctx *c);
/* Readable regions of one process into process_memory/<pid>.lime; one row per mapping into
 * the process_memory table t (pid, start, end, perms, captured, unreadable_bytes). */
int cfa_collect_process_memory(struct cfa_ctx *c, struct cfa_file *t, int pid, uint64_t max_bytes);

#endif
