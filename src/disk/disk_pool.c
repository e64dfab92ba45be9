/* Worker threads: the walk pushes records that need their content read into a bounded queue;
 * each worker reads the content once (own source handles), hashing it, keeping what YARA and
 * the binaries/ copy need, and streaming artifacts into the bundle. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cf_error.h"
#include "common/cf_fs.h"
#include "disk/disk_internal.h"

typedef struct worker {
    disk_ctx *ctx;
    disk_reader *rd;
    void *scanner;
    char *chunk;
    cf_buf keep;
    disk_pending out;
} worker;

int disk_pending_flush(disk_out *o, disk_pending *p)
{
    int rc = CF_OK;
    if (p->buf.len)
        rc = disk_out_write(o, p->buf.data, p->buf.len, p->lines);
    cf_buf_reset(&p->buf);
    p->lines = 0;
    return rc;
}

int disk_write_rec(disk_ctx *ctx, disk_rec *r, disk_pending *p)
{
    size_t before = p->buf.len;
    int rc = disk_json_line(r, &p->buf);
    if (rc != CF_OK)
        cf_buf_setlen(&p->buf, before);
    else
        p->lines++;
    if (rc == CF_OK && p->buf.len >= DISK_FLUSH_AT)
        rc = disk_pending_flush(&ctx->files, p);
    pthread_mutex_lock(&ctx->lock);
    ctx->stats.entries++;
    if (r->deleted)
        ctx->stats.deleted++;
    if (r->hashed) {
        ctx->stats.hashed++;
    } else if (r->hash_skipped[0]) {
        ctx->stats.hash_skipped++;
    }
    if (r->n_yara)
        ctx->stats.yara_files++;
    pthread_mutex_unlock(&ctx->lock);
    disk_rec_free(r);
    return rc;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return CF_EIO;
        p += w;
        n -= (size_t)w;
    }
    return CF_OK;
}

/* Creates out_dir/rel (parents too), refusing to follow or replace anything. */
static int create_in_bundle(disk_ctx *ctx, const char *rel, int *fd_out)
{
    char full[DISK_PATH_MAX + 512];
    char parent[DISK_PATH_MAX + 512];
    char *slash;
    int fd;
    if (cf_fs_join(full, sizeof(full), ctx->out_dir, rel) != CF_OK)
        return CF_ETOOBIG;
    memcpy(parent, full, strlen(full) + 1);
    slash = strrchr(parent, '/');
    if (slash) {
        *slash = '\0';
        if (cf_fs_mkdirs(parent, 0755) != CF_OK)
            return CF_EIO;
    }
    fd = open(full, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        return errno == EEXIST ? CF_EEXISTS : CF_EIO;
    *fd_out = fd;
    return CF_OK;
}

static void remove_in_bundle(disk_ctx *ctx, const char *rel)
{
    char full[DISK_PATH_MAX + 512];
    if (cf_fs_join(full, sizeof(full), ctx->out_dir, rel) == CF_OK)
        unlink(full);
}

static void copy_binary(worker *w, disk_rec *r)
{
    disk_ctx *ctx = w->ctx;
    char rel[128];
    char *src = strndup(r->path, r->path_len);
    int fd = -1, rc;
    if (!src)
        goto cleanup;
    snprintf(rel, sizeof(rel), "binaries/%s", r->sha256);
    rc = create_in_bundle(ctx, rel, &fd);
    if (rc == CF_EEXISTS) /* same content already copied */
        goto cleanup;
    if (rc != CF_OK) {
        disk_error(ctx, src, "cannot create %s", rel);
        goto cleanup;
    }
    if (write_all(fd, w->keep.data, w->keep.len) != CF_OK || close(fd) != 0) {
        fd = -1;
        remove_in_bundle(ctx, rel);
        disk_error(ctx, src, "cannot write %s", rel);
        goto cleanup;
    }
    fd = -1;
    disk_manifest_add(ctx, rel, r->sha256, r->size, src, NULL);
    pthread_mutex_lock(&ctx->lock);
    ctx->stats.binaries++;
    pthread_mutex_unlock(&ctx->lock);
cleanup:
    if (fd >= 0)
        close(fd);
    free(src);
}

static void write_shadow(worker *w, disk_rec *r, const char *rel, const char *src)
{
    disk_ctx *ctx = w->ctx;
    cf_buf red = CF_BUF_INIT(DISK_SHADOW_MAX * 2);
    char hex[CF_SHA256_HEX_LEN];
    int fd = -1;
    if (cf_disk_shadow_redact(w->keep.data ? w->keep.data : "", w->keep.len, &red) != CF_OK) {
        disk_error(ctx, src, "shadow redaction failed");
        goto cleanup;
    }
    if (create_in_bundle(ctx, rel, &fd) != CF_OK) {
        disk_error(ctx, src, "cannot create %s", rel);
        goto cleanup;
    }
    if (write_all(fd, red.data ? red.data : "", red.len) != CF_OK || close(fd) != 0) {
        fd = -1;
        remove_in_bundle(ctx, rel);
        disk_error(ctx, src, "cannot write %s", rel);
        goto cleanup;
    }
    fd = -1;
    cf_sha256_hex(red.data ? red.data : "", red.len, hex);
    disk_manifest_add(ctx, rel, hex, red.len, src, "password hashes replaced by their type");
    pthread_mutex_lock(&ctx->lock);
    ctx->stats.artifacts++;
    pthread_mutex_unlock(&ctx->lock);
    (void)r;
cleanup:
    if (fd >= 0)
        close(fd);
    cf_buf_release(&red);
}

static void process(worker *w, disk_rec *r)
{
    disk_ctx *ctx = w->ctx;
    const cf_disk_options *o = ctx->opt;
    cf_sha256 sha = {0}, asha = {0};
    char rel[DISK_PATH_MAX + 16];
    char *src = NULL;
    int do_hash = !o->no_hash && !r->hash_skipped[0];
    int do_yara = w->scanner != NULL && !r->realloc;
    int shadow = 0, art_fd = -1, opened = 0, read_ok = 1;
    int binary_cand = !o->no_artifacts &&
                      (r->flags & (DISK_F_EXEC_IN_TMP | DISK_F_EXEC_IN_WEBROOT)) &&
                      r->size <= o->binary_max_size;
    uint64_t keep_max = 0, off = 0, limit = r->size;
    cf_buf_reset(&w->keep);
    if (!r->want_content) /* the worker only formats this one */
        goto cleanup;
    src = strndup(r->path, r->path_len);
    if (!src)
        goto cleanup;
    if (r->artifact) {
        if (disk_artifact_relpath(r->path, r->path_len, rel, sizeof(rel)) != CF_OK) {
            disk_error(ctx, src, "artifact path not usable as a bundle path; not copied");
            r->artifact = 0;
        } else if (r->size > o->artifact_max_size) {
            disk_error(ctx, src, "artifact of %" PRIu64 " bytes is over --artifact-max-size",
                       r->size);
            r->artifact = 0;
        } else if ((shadow = disk_is_shadow(src)) && r->size > DISK_SHADOW_MAX) {
            disk_error(ctx, src, "shadow file too large to redact; not copied");
            r->artifact = shadow = 0;
        }
    }
    if (do_yara && keep_max < o->yara_max_size)
        keep_max = o->yara_max_size;
    if ((binary_cand || (do_yara && !o->no_artifacts)) && keep_max < o->binary_max_size)
        keep_max = o->binary_max_size;
    if (shadow && keep_max < DISK_SHADOW_MAX)
        keep_max = DISK_SHADOW_MAX;
    if (!do_hash && !do_yara && !r->artifact && !binary_cand)
        goto cleanup;
    if (ctx->backend->open(w->rd, r) != CF_OK) {
        snprintf(r->hash_skipped, sizeof(r->hash_skipped), "unreadable: %.120s",
                 cf_error_last()->msg);
        if (!r->deleted)
            disk_error(ctx, src, "cannot open content: %s", cf_error_last()->msg);
        goto cleanup;
    }
    opened = 1;
    if (r->artifact && !shadow) {
        int rc = create_in_bundle(ctx, rel, &art_fd);
        if (rc != CF_OK) {
            disk_error(ctx, src,
                       rc == CF_EEXISTS ? "artifact %s already exists; not copied"
                                        : "cannot create %s",
                       rel);
            r->artifact = 0;
            art_fd = -1;
        } else if (cf_sha256_init(&asha) != CF_OK) {
            r->artifact = 0;
        }
    }
    if (do_hash && cf_sha256_init(&sha) != CF_OK)
        do_hash = 0;
    /* Read only as far as someone needs the bytes: YARA and binaries/ stop at keep_max. */
    if (!do_hash && !r->artifact && keep_max < limit)
        limit = keep_max;
    while (off < limit) {
        size_t want = limit - off < DISK_CHUNK ? (size_t)(limit - off) : DISK_CHUNK;
        long n = ctx->backend->read(w->rd, off, w->chunk, want);
        if (n <= 0) {
            read_ok = 0;
            snprintf(r->hash_skipped, sizeof(r->hash_skipped),
                     "read error at offset %" PRIu64 "%s%.100s", off,
                     n < 0 ? ": " : " (short file)", n < 0 ? cf_error_last()->msg : "");
            if (!r->deleted)
                disk_error(ctx, src, "%s", r->hash_skipped);
            break;
        }
        if (do_hash)
            cf_sha256_update(&sha, w->chunk, (size_t)n);
        if (off < keep_max) {
            size_t k = (uint64_t)n < keep_max - off ? (size_t)n : (size_t)(keep_max - off);
            if (cf_buf_add(&w->keep, w->chunk, k) != CF_OK)
                keep_max = 0;
        }
        if (art_fd >= 0) {
            cf_sha256_update(&asha, w->chunk, (size_t)n);
            if (write_all(art_fd, w->chunk, (size_t)n) != CF_OK) {
                disk_error(ctx, src, "cannot write %s", rel);
                close(art_fd);
                art_fd = -1;
                remove_in_bundle(ctx, rel);
                cf_sha256_release(&asha);
                r->artifact = 0;
            }
        }
        off += (uint64_t)n;
        if (do_hash) {
            pthread_mutex_lock(&ctx->lock);
            ctx->stats.hash_bytes += (uint64_t)n;
            pthread_mutex_unlock(&ctx->lock);
        }
    }
    if (do_hash) {
        uint8_t d[CF_SHA256_LEN];
        if (read_ok && cf_sha256_final(&sha, d) == CF_OK) {
            cf_hex_encode(d, sizeof(d), r->sha256);
            r->hashed = 1;
        } else {
            cf_sha256_release(&sha);
        }
    }
    if (do_yara) {
        size_t n = w->keep.len < o->yara_max_size ? w->keep.len : (size_t)o->yara_max_size;
        if (disk_yara_scan(w->scanner, (const uint8_t *)(w->keep.data ? w->keep.data : ""), n, r) !=
            CF_OK)
            disk_error(ctx, src, "%s", cf_error_last()->msg);
    }
    if (art_fd >= 0) {
        uint8_t d[CF_SHA256_LEN];
        char hex[CF_SHA256_HEX_LEN];
        int ok = close(art_fd) == 0 && read_ok;
        art_fd = -1;
        if (cf_sha256_final(&asha, d) != CF_OK)
            ok = 0;
        if (ok) {
            cf_hex_encode(d, sizeof(d), hex);
            disk_manifest_add(ctx, rel, hex, off, src, NULL);
            pthread_mutex_lock(&ctx->lock);
            ctx->stats.artifacts++;
            pthread_mutex_unlock(&ctx->lock);
        } else {
            remove_in_bundle(ctx, rel);
        }
    }
    if (shadow && read_ok)
        write_shadow(w, r, rel, src);
    if (read_ok && r->hashed && (binary_cand || (r->n_yara && !o->no_artifacts)) &&
        w->keep.len == r->size && r->size <= o->binary_max_size)
        copy_binary(w, r);
cleanup:
    if (art_fd >= 0)
        close(art_fd);
    if (opened)
        ctx->backend->close(w->rd);
    free(src);
    disk_write_rec(ctx, r, &w->out);
}

static void worker_free(worker *w)
{
    if (!w)
        return;
    if (w->rd)
        w->ctx->backend->reader_free(w->rd);
    disk_yara_scanner_free(w->scanner);
    free(w->chunk);
    cf_buf_release(&w->keep);
    cf_buf_release(&w->out.buf);
    free(w);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    disk_ctx *ctx = w->ctx;
    disk_rec *take[DISK_TAKE];
    for (;;) {
        size_t n = 0;
        pthread_mutex_lock(&ctx->qlock);
        while (!ctx->qlen && !ctx->qclosed)
            pthread_cond_wait(&ctx->qnot_empty, &ctx->qlock);
        while (ctx->qlen && n < DISK_TAKE) {
            take[n++] = ctx->queue[ctx->qhead];
            ctx->qhead = (ctx->qhead + 1) % DISK_QUEUE_CAP;
            ctx->qlen--;
        }
        if (n)
            pthread_cond_signal(&ctx->qnot_full);
        pthread_mutex_unlock(&ctx->qlock);
        if (!n)
            break;
        for (size_t i = 0; i < n; i++)
            process(w, take[i]);
    }
    if (disk_pending_flush(&ctx->files, &w->out) != CF_OK)
        disk_error(ctx, "files.jsonl", "write failed");
    worker_free(w);
    return NULL;
}

int disk_pool_start(disk_ctx *ctx, int n)
{
    int rc = CF_OK;
    ctx->workers = calloc((size_t)n, sizeof(pthread_t));
    if (!ctx->workers)
        return cf_error_set(CF_ENOMEM, "out of memory");
    for (int i = 0; i < n; i++) {
        worker *w = calloc(1, sizeof(*w));
        if (!w) {
            rc = cf_error_set(CF_ENOMEM, "out of memory");
            break;
        }
        w->ctx = ctx;
        cf_buf_init(&w->out.buf, DISK_FLUSH_AT + DISK_PATH_MAX * 8 + 65536);
        cf_buf_init(&w->keep, (size_t)(ctx->opt->yara_max_size > ctx->opt->binary_max_size
                                           ? ctx->opt->yara_max_size
                                           : ctx->opt->binary_max_size) +
                                  DISK_SHADOW_MAX);
        w->chunk = malloc(DISK_CHUNK);
        rc = w->chunk ? CF_OK : cf_error_set(CF_ENOMEM, "out of memory");
        if (rc == CF_OK)
            rc = ctx->backend->reader_new(ctx, &w->rd);
        if (rc == CF_OK)
            rc = disk_yara_scanner_new(ctx, &w->scanner);
        if (rc == CF_OK && pthread_create(&ctx->workers[i], NULL, worker_main, w) != 0)
            rc = cf_error_set(CF_ERR, "cannot start a worker thread");
        if (rc != CF_OK) {
            worker_free(w);
            break;
        }
        ctx->n_workers++;
    }
    return rc;
}

static void pool_flush(disk_ctx *ctx)
{
    if (!ctx->nbatch)
        return;
    pthread_mutex_lock(&ctx->qlock);
    for (size_t i = 0; i < ctx->nbatch; i++) {
        while (ctx->qlen == DISK_QUEUE_CAP) {
            /* wake the workers before waiting for room, or nobody drains the queue */
            pthread_cond_broadcast(&ctx->qnot_empty);
            pthread_cond_wait(&ctx->qnot_full, &ctx->qlock);
        }
        ctx->queue[(ctx->qhead + ctx->qlen) % DISK_QUEUE_CAP] = ctx->batch[i];
        ctx->qlen++;
    }
    pthread_cond_broadcast(&ctx->qnot_empty);
    pthread_mutex_unlock(&ctx->qlock);
    ctx->nbatch = 0;
}

int disk_pool_push(disk_ctx *ctx, disk_rec *r)
{
    ctx->batch[ctx->nbatch++] = r;
    if (ctx->nbatch == DISK_BATCH)
        pool_flush(ctx);
    return CF_OK;
}

void disk_pool_finish(disk_ctx *ctx)
{
    pool_flush(ctx);
    pthread_mutex_lock(&ctx->qlock);
    ctx->qclosed = 1;
    pthread_cond_broadcast(&ctx->qnot_empty);
    pthread_mutex_unlock(&ctx->qlock);
    for (int i = 0; i < ctx->n_workers; i++) {
        void *ret = NULL;
        pthread_join(ctx->workers[i], &ret);
    }
    free(ctx->workers);
    ctx->workers = NULL;
    ctx->n_workers = 0;
}
