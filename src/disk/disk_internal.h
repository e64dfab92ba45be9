/* Internal interfaces of the disk collector (src/disk only). */
#ifndef CF_DISK_INTERNAL_H
#define CF_DISK_INTERNAL_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#include "common/cf_buf.h"
#include "common/cf_hash.h"
#include "disk/cf_disk.h"

#define DISK_PATH_MAX   (64 * 1024) /* longest path we record (TSK caps depth; names are <=255) */
#define DISK_QUEUE_CAP  4096
#define DISK_BATCH      256 /* records handed over per lock: keeps futex traffic off the walk */
#define DISK_TAKE       32  /* records a worker takes per lock */
#define DISK_CHUNK      (1u << 20)
#define DISK_MAX_YARA   64 /* rule names kept per file */
#define DISK_SHADOW_MAX (16u << 20)

enum {
    DISK_F_SUID = 1 << 0,
    DISK_F_SGID = 1 << 1,
    DISK_F_EXEC_IN_TMP = 1 << 2,
    DISK_F_EXEC_IN_WEBROOT = 1 << 3,
    DISK_F_HIDDEN = 1 << 4,
    DISK_F_IN_WINDOW = 1 << 5,
};

typedef struct disk_time {
    int64_t sec;
    uint32_t nsec;
} disk_time;

/* One directory entry, as the walk found it; workers add hash, YARA and copy results. */
typedef struct disk_rec {
    char *path; /* raw bytes, absolute ("/etc/passwd"); owned */
    size_t path_len;
    size_t name_off; /* name = path + name_off */
    uint64_t inode;
    char type;         /* r d l c b p s - */
    char name_type[4]; /* TSK's name type letter(s) for the bodyfile ("r", "d", "-") */
    char ls[16];       /* TSK's mode string for the bodyfile ("rrw-r--r--") */
    uint32_t mode;     /* st_mode style: type bits | permission bits */
    int has_meta;
    uint32_t uid, gid;
    uint64_t size;        /* negative sizes (corrupt inodes) clamp to 0 ... */
    int64_t body_size;    /* ... but the bodyfile prints libtsk's value, as fls does */
    uint64_t alloc_bytes; /* allocated (non-sparse) bytes, when known */
    disk_time atime, mtime, ctime, crtime;
    int deleted;
    int realloc; /* deleted name whose inode now belongs to another file */
    unsigned flags;
    int64_t partition; /* partition start offset in bytes; -1 without a partition table */
    int fs_index;
    char *link; /* symlink target; owned; may be NULL */
    /* results */
    int want_content; /* 1: a worker reads the content */
    int no_content;   /* 1: never read it (the back end found its size impossible) */
    int artifact;     /* 1: copy into artifacts/ */
    int hashed;
    char sha256[CF_SHA256_HEX_LEN];
    char hash_skipped[160];
    int yara_scanned;
    char *yara[DISK_MAX_YARA]; /* rule identifiers; owned */
    int n_yara;
} disk_rec;

void disk_rec_free(disk_rec *r);

/* A counted output file of the bundle, hashed as it is written. Thread-safe appends. */
typedef struct disk_out {
    FILE *fp;
    cf_sha256 sha;
    uint64_t bytes;
    uint64_t records;
    pthread_mutex_t lock;
    char name[64];
    int sync; /* fsync on close */
} disk_out;

int disk_out_open(disk_out *o, const char *dir, const char *name, int sync);
int disk_out_write(disk_out *o, const void *data, size_t len, uint64_t records);
/* Closes; hex gets the SHA-256. */
int disk_out_close(disk_out *o, char hex[CF_SHA256_HEX_LEN]);

/* Pending output: lines collect in a per-thread buffer and reach the file (and its hash) in
 * blocks, so the walk and the workers do not take the file's lock per line. */
#define DISK_FLUSH_AT (256u << 10)
typedef struct disk_pending {
    cf_buf buf;
    uint64_t lines;
} disk_pending;

typedef struct disk_ctx disk_ctx;

/* Per-worker content source: reads a record's bytes. */
typedef struct disk_reader disk_reader;

/* Implemented by the source back ends (disk_tsk.c, disk_tree.c). */
typedef struct disk_backend {
    /* Creates a per-thread reader (own handles). */
    int (*reader_new)(disk_ctx *ctx, disk_reader **out);
    void (*reader_free)(disk_reader *rd);
    /* Opens r's content; then read() until 0; close(). */
    int (*open)(disk_reader *rd, const disk_rec *r);
    long (*read)(disk_reader *rd, uint64_t off, char *buf, size_t len); /* <0: error */
    void (*close)(disk_reader *rd);
} disk_backend;

struct disk_ctx {
    const cf_disk_options *opt;
    cf_disk_stats stats;
    pthread_mutex_t lock; /* stats, errors, manifest entries */
    disk_out body;
    disk_out files;
    char *out_dir;
    const disk_backend *backend;
    void *backend_data; /* malloc'd by the back end; freed after the workers finish */
    /* patterns */
    char **artifact_globs;
    size_t n_artifact_globs;
    /* YARA */
    void *yara_rules; /* YR_RULES* or NULL */
    /* errors (JSON array) and extra manifest entries (JSON array) */
    void *errors;  /* json_t* */
    void *entries; /* json_t* */
    /* the queue */
    pthread_mutex_t qlock;
    pthread_cond_t qnot_empty;
    pthread_cond_t qnot_full;
    disk_rec *queue[DISK_QUEUE_CAP];
    size_t qhead, qlen;
    disk_rec *batch[DISK_BATCH]; /* the walk's pending hand-over */
    size_t nbatch;
    int qclosed;
    pthread_t *workers;
    int n_workers;
    pthread_t pthread; /* progress reporter */
    int has_pthread;
    pthread_mutex_t plock;
    pthread_cond_t pcond;
    int pdone;
    disk_pending walk_body; /* the walking thread's pending bodyfile lines ... */
    disk_pending walk_json; /* ... and files.jsonl lines (only without workers) */
};

/* Records an error for the manifest (thread-safe; first CF_DISK_MAX_ERRORS kept). */
void disk_error(disk_ctx *ctx, const char *source, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Adds a file entry to the manifest (thread-safe). source may be NULL. */
void disk_manifest_add(disk_ctx *ctx, const char *path, const char *sha256, uint64_t bytes,
                       const char *source, const char *note);

/* Classifies a finished walk entry (flags, artifact, want_content) and hands it on: to the
 * queue when content work is needed, else straight to the writers. Takes ownership of r. */
int disk_emit(disk_ctx *ctx, disk_rec *r);
void disk_progress(disk_ctx *ctx, int force);

/* Formats r's bodyfile line (with '\n') / files.jsonl line into out. */
int disk_body_line(const disk_rec *r, cf_buf *out);
int disk_json_line(const disk_rec *r, cf_buf *out);
/* ls -l style mode string from an st_mode ("-rwsr-xr-x"). */
void disk_mode_string(uint32_t mode, char out[11]);
/* JSON string (quoted) of arbitrary bytes; invalid UTF-8 becomes U+FFFD. */
int disk_json_str(cf_buf *out, const char *s, size_t len);
int disk_utf8_valid(const char *s, size_t len);

/* Workers (disk_pool.c). */
int disk_pool_start(disk_ctx *ctx, int n);
int disk_pool_push(disk_ctx *ctx, disk_rec *r);
void disk_pool_finish(disk_ctx *ctx); /* closes the queue and joins */
/* Writes a finished record (thread-safe). Frees r. */
int disk_pending_flush(disk_out *o, disk_pending *p);
int disk_write_rec(disk_ctx *ctx, disk_rec *r, disk_pending *pending);

/* YARA (disk_yara.c). */
int disk_yara_load(disk_ctx *ctx);
void disk_yara_unload(disk_ctx *ctx);
/* Scans buf; appends matching rule names to r. scanner is per thread (disk_yara_scanner_new). */
int disk_yara_scanner_new(disk_ctx *ctx, void **out);
void disk_yara_scanner_free(void *scanner);
int disk_yara_scan(void *scanner, const uint8_t *buf, size_t len, disk_rec *r);

/* Artifacts (disk_artifacts.c). */
int disk_artifacts_load(disk_ctx *ctx);
void disk_artifacts_free(disk_ctx *ctx);
int disk_is_artifact(const disk_ctx *ctx, const char *path);
int disk_is_shadow(const char *path);
/* "artifacts/<path>" when path is safe to use as a bundle path; CF_EINVAL otherwise. */
int disk_artifact_relpath(const char *path, size_t len, char *out, size_t cap);

int disk_default_threads(const disk_ctx *ctx);

/* Back ends. Each walks the source, calling disk_emit for every entry. */
int disk_tsk_collect(disk_ctx *ctx);
int disk_tree_collect(disk_ctx *ctx);

#endif
