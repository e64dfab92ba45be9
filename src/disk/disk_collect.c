/* cf_disk_collect: options, the bundle directory, classification of entries, the manifest. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "common/cf_error.h"
#include "common/cf_fs.h"
#include "common/cf_json.h"
#include "common/cf_time.h"
#include "disk/disk_internal.h"

int disk_out_open(disk_out *o, const char *dir, const char *name, int sync)
{
    char path[4096];
    int rc = cf_fs_join(path, sizeof(path), dir, name);
    memset(o, 0, sizeof(*o));
    if (rc != CF_OK)
        return cf_error_set(rc, "output path too long");
    snprintf(o->name, sizeof(o->name), "%s", name);
    o->sync = sync;
    o->fp = fopen(path, "wxe");
    if (!o->fp)
        return cf_error_set(CF_EIO, "cannot create %s: %s", path, strerror(errno));
    setvbuf(o->fp, NULL, _IOFBF, 1 << 20);
    if (cf_sha256_init(&o->sha) != CF_OK) {
        fclose(o->fp);
        o->fp = NULL;
        return cf_error_set(CF_ENOMEM, "sha256 init failed");
    }
    pthread_mutex_init(&o->lock, NULL);
    return CF_OK;
}

int disk_out_write(disk_out *o, const void *data, size_t len, uint64_t records)
{
    int rc = CF_OK;
    pthread_mutex_lock(&o->lock);
    if (!o->fp || fwrite(data, 1, len, o->fp) != len)
        rc = cf_error_set(CF_EIO, "cannot write %s", o->name);
    else {
        cf_sha256_update(&o->sha, data, len);
        o->bytes += len;
        o->records += records;
    }
    pthread_mutex_unlock(&o->lock);
    return rc;
}

int disk_out_close(disk_out *o, char hex[CF_SHA256_HEX_LEN])
{
    uint8_t d[CF_SHA256_LEN];
    int rc = CF_OK;
    hex[0] = '\0';
    if (!o->fp)
        return CF_EIO;
    if (fflush(o->fp) != 0 || (o->sync && fsync(fileno(o->fp)) != 0))
        rc = cf_error_set(CF_EIO, "cannot write %s: %s", o->name, strerror(errno));
    if (fclose(o->fp) != 0 && rc == CF_OK)
        rc = cf_error_set(CF_EIO, "cannot close %s", o->name);
    o->fp = NULL;
    if (cf_sha256_final(&o->sha, d) == CF_OK)
        cf_hex_encode(d, sizeof(d), hex);
    pthread_mutex_destroy(&o->lock);
    return rc;
}

void disk_error(disk_ctx *ctx, const char *source, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&ctx->lock);
    ctx->stats.errors++;
    if (json_array_size(ctx->errors) < CF_DISK_MAX_ERRORS) {
        json_t *e = json_object();
        json_object_set_new(e, "source", cf_json_string_lossy(source, strlen(source)));
        json_object_set_new(e, "error", cf_json_string_lossy(msg, strlen(msg)));
        json_array_append_new(ctx->errors, e);
    }
    pthread_mutex_unlock(&ctx->lock);
}

void disk_manifest_add(disk_ctx *ctx, const char *path, const char *sha256, uint64_t bytes,
                       const char *source, const char *note)
{
    json_t *e = json_object();
    json_object_set_new(e, "path", cf_json_string_lossy(path, strlen(path)));
    json_object_set_new(e, "sha256", json_string(sha256));
    json_object_set_new(e, "bytes", json_integer((json_int_t)bytes));
    if (source)
        json_object_set_new(e, "source", cf_json_string_lossy(source, strlen(source)));
    if (note)
        json_object_set_new(e, "redacted", json_string(note));
    pthread_mutex_lock(&ctx->lock);
    json_array_append_new(ctx->entries, e);
    pthread_mutex_unlock(&ctx->lock);
}

void disk_progress(disk_ctx *ctx, int force)
{
    cf_disk_stats snap;
    (void)force;
    if (!ctx->opt->progress)
        return;
    pthread_mutex_lock(&ctx->lock);
    snap = ctx->stats;
    pthread_mutex_unlock(&ctx->lock);
    ctx->opt->progress(&snap, ctx->opt->progress_arg);
}

/* Reports about once a second, through the walk and through the hashing that follows it. */
static void *progress_main(void *arg)
{
    disk_ctx *ctx = arg;
    pthread_mutex_lock(&ctx->plock);
    while (!ctx->pdone) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&ctx->pcond, &ctx->plock, &ts);
        if (!ctx->pdone) {
            pthread_mutex_unlock(&ctx->plock);
            disk_progress(ctx, 0);
            pthread_mutex_lock(&ctx->plock);
        }
    }
    pthread_mutex_unlock(&ctx->plock);
    return NULL;
}

static int under(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    return !strncmp(path, dir, n) && path[n] == '/';
}

static int time_in(const disk_ctx *ctx, const disk_time *t)
{
    int64_t ns;
    if (!t->sec && !t->nsec)
        return 0;
    if (t->sec > INT64_MAX / CF_NS_PER_SEC - 1 || t->sec < INT64_MIN / CF_NS_PER_SEC + 1)
        return 0;
    ns = t->sec * CF_NS_PER_SEC + t->nsec;
    if (ctx->opt->has_since && ns < ctx->opt->since_ns)
        return 0;
    if (ctx->opt->has_until && ns > ctx->opt->until_ns)
        return 0;
    return 1;
}

static void classify(disk_ctx *ctx, disk_rec *r)
{
    const cf_disk_options *o = ctx->opt;
    const char *name = r->path + r->name_off;
    size_t nlen = r->path_len - r->name_off;
    int reg = r->type == 'r' && r->has_meta;
    int exec = reg && (r->mode & 0111);
    size_t i;
    if (r->has_meta && (r->mode & 04000) && r->type == 'r')
        r->flags |= DISK_F_SUID;
    if (r->has_meta && (r->mode & 02000) && r->type == 'r')
        r->flags |= DISK_F_SGID;
    if (exec &&
        (under(r->path, "/tmp") || under(r->path, "/var/tmp") || under(r->path, "/dev/shm")))
        r->flags |= DISK_F_EXEC_IN_TMP;
    if (exec && (under(r->path, "/var/www") || under(r->path, "/usr/share/nginx/html") ||
                 under(r->path, "/srv/www")))
        r->flags |= DISK_F_EXEC_IN_WEBROOT;
    /* Hidden: a dot name, or a name of only dots and blanks ("...", " ") made to look empty. */
    if (nlen && name[0] == '.' && !(nlen == 1 || (nlen == 2 && name[1] == '.')))
        r->flags |= DISK_F_HIDDEN;
    for (i = 0; i < nlen && (name[i] == '.' || name[i] == ' '); i++)
        ;
    if (nlen && i == nlen && name[0] != '.')
        r->flags |= DISK_F_HIDDEN;
    if ((o->has_since || o->has_until) && r->has_meta &&
        (time_in(ctx, &r->atime) || time_in(ctx, &r->mtime) || time_in(ctx, &r->ctime) ||
         time_in(ctx, &r->crtime)))
        r->flags |= DISK_F_IN_WINDOW;
    if (!reg)
        return;
    if (r->no_content)
        return;
    r->artifact = !o->no_artifacts && !r->deleted && disk_is_artifact(ctx, r->path);
    if (r->realloc)
        snprintf(r->hash_skipped, sizeof(r->hash_skipped),
                 "deleted name; its inode now belongs to another file");
    else if (o->no_hash)
        snprintf(r->hash_skipped, sizeof(r->hash_skipped), "hashing disabled (--no-hash)");
    else if (o->hash_max_size && r->size > o->hash_max_size)
        snprintf(r->hash_skipped, sizeof(r->hash_skipped), "size %llu over --hash-max-size %llu",
                 (unsigned long long)r->size, (unsigned long long)o->hash_max_size);
    else if (r->size > r->alloc_bytes && r->size - r->alloc_bytes > o->sparse_max_hole)
        snprintf(r->hash_skipped, sizeof(r->hash_skipped),
                 "sparse: %llu bytes, %llu allocated (over the sparse limit)",
                 (unsigned long long)r->size, (unsigned long long)r->alloc_bytes);
    r->want_content = !r->hash_skipped[0] || r->artifact || ctx->yara_rules;
    if (r->realloc)
        r->want_content = 0;
}

int disk_emit(disk_ctx *ctx, disk_rec *r)
{
    int rc;
    classify(ctx, r);
    {
        size_t before = ctx->walk_body.buf.len;
        rc = disk_body_line(r, &ctx->walk_body.buf);
        if (rc != CF_OK)
            cf_buf_setlen(&ctx->walk_body.buf, before);
        else
            ctx->walk_body.lines++;
    }
    if (rc == CF_OK && ctx->walk_body.buf.len >= DISK_FLUSH_AT)
        rc = disk_pending_flush(&ctx->body, &ctx->walk_body);
    if (r->type == 'r' && r->has_meta) {
        pthread_mutex_lock(&ctx->lock);
        ctx->stats.regular++;
        pthread_mutex_unlock(&ctx->lock);
    }
    if (rc != CF_OK) {
        disk_rec_free(r);
        return rc;
    }
    /* Workers format files.jsonl too, so the walk only does the bodyfile. */
    if (ctx->n_workers > 0)
        rc = disk_pool_push(ctx, r);
    else
        rc = disk_write_rec(ctx, r, &ctx->walk_json);
    return rc;
}

int disk_default_threads(const disk_ctx *ctx)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    n = n < 1 ? 1 : n > 64 ? 64 : n;
    /* Without hashing or YARA the workers only format records: leave a CPU to the walk. */
    if (ctx->opt->no_hash && !ctx->yara_rules && n > 1)
        n--;
    return (int)n;
}

static void stop_progress(disk_ctx *ctx)
{
    if (!ctx->has_pthread)
        return;
    pthread_mutex_lock(&ctx->plock);
    ctx->pdone = 1;
    pthread_cond_signal(&ctx->pcond);
    pthread_mutex_unlock(&ctx->plock);
    pthread_join(ctx->pthread, NULL);
    ctx->has_pthread = 0;
}

/* The output directory must be new or empty: a bundle never mixes two collections. */
static int prepare_out(const char *dir)
{
    DIR *d;
    struct dirent *e;
    int rc = CF_OK;
    if (cf_fs_mkdirs(dir, 0755) != CF_OK)
        return cf_error_set(CF_EIO, "cannot create %s: %s", dir, strerror(errno));
    d = opendir(dir);
    if (!d)
        return cf_error_set(CF_EIO, "cannot open %s: %s", dir, strerror(errno));
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            rc = cf_error_set(CF_EINVAL, "output directory %s is not empty", dir);
            break;
        }
    }
    closedir(d);
    return rc;
}

static int write_manifest(disk_ctx *ctx, int64_t started, const char *body_sha,
                          const char *files_sha)
{
    char t0[CF_TIME_STR_MAX], t1[CF_TIME_STR_MAX], path[4096];
    json_t *m = json_object(), *host = json_object(), *col = json_object(), *files;
    json_t *src = json_object();
    char *text = NULL;
    int rc;
    struct utsname un;
    cf_time_format(started, t0);
    cf_time_format(cf_time_now(), t1);
    json_object_set_new(m, "schema", json_string("casefile.bundle/1"));
    json_object_set_new(m, "kind", json_string("disk"));
    if (ctx->opt->case_id)
        json_object_set_new(m, "case_id",
                            cf_json_string_lossy(ctx->opt->case_id, strlen(ctx->opt->case_id)));
    if (ctx->opt->instance_id)
        json_object_set_new(
            host, "instance_id",
            cf_json_string_lossy(ctx->opt->instance_id, strlen(ctx->opt->instance_id)));
    json_object_set_new(m, "host", host);
    json_object_set_new(col, "name", json_string("casefile collect disk"));
    json_object_set_new(col, "version", json_string(CF_VERSION));
    if (uname(&un) == 0)
        json_object_set_new(col, "hostname",
                            cf_json_string_lossy(un.nodename, strlen(un.nodename)));
    json_object_set_new(m, "collector", col);
    json_object_set_new(src, "path",
                        cf_json_string_lossy(ctx->opt->source, strlen(ctx->opt->source)));
    json_object_set_new(src, "filesystems", json_integer(ctx->stats.filesystems));
    json_object_set_new(src, "entries", json_integer((json_int_t)ctx->stats.entries));
    json_object_set_new(src, "deleted", json_integer((json_int_t)ctx->stats.deleted));
    json_object_set_new(src, "hashed", json_integer((json_int_t)ctx->stats.hashed));
    json_object_set_new(src, "hash_skipped", json_integer((json_int_t)ctx->stats.hash_skipped));
    json_object_set_new(src, "yara_files", json_integer((json_int_t)ctx->stats.yara_files));
    json_object_set_new(m, "source", src);
    json_object_set_new(m, "started_at", json_string(t0));
    json_object_set_new(m, "finished_at", json_string(t1));
    files = json_array();
    if (body_sha[0]) {
        json_t *e = json_object();
        json_object_set_new(e, "path", json_string("bodyfile.txt"));
        json_object_set_new(e, "sha256", json_string(body_sha));
        json_object_set_new(e, "bytes", json_integer((json_int_t)ctx->body.bytes));
        json_object_set_new(e, "records", json_integer((json_int_t)ctx->body.records));
        json_array_append_new(files, e);
    }
    if (files_sha[0]) {
        json_t *e = json_object();
        json_object_set_new(e, "path", json_string("files.jsonl"));
        json_object_set_new(e, "sha256", json_string(files_sha));
        json_object_set_new(e, "bytes", json_integer((json_int_t)ctx->files.bytes));
        json_object_set_new(e, "records", json_integer((json_int_t)ctx->files.records));
        json_array_append_new(files, e);
    }
    json_array_extend(files, ctx->entries);
    json_object_set_new(m, "files", files);
    json_object_set(m, "errors", ctx->errors);
    if (ctx->stats.errors > CF_DISK_MAX_ERRORS)
        json_object_set_new(m, "errors_omitted",
                            json_integer((json_int_t)(ctx->stats.errors - CF_DISK_MAX_ERRORS)));
    text = json_dumps(m, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    json_decref(m);
    if (!text)
        return cf_error_set(CF_ENOMEM, "cannot format the manifest");
    rc = cf_fs_join(path, sizeof(path), ctx->out_dir, "manifest.json");
    if (rc == CF_OK && !ctx->opt->no_sync) {
        rc = cf_fs_write_atomic(path, text, strlen(text));
    } else if (rc == CF_OK) {
        FILE *fp = fopen(path, "we");
        size_t n = strlen(text);
        if (!fp || fwrite(text, 1, n, fp) != n)
            rc = cf_error_set(CF_EIO, "cannot write %s", path);
        if (fp && fclose(fp) != 0 && rc == CF_OK)
            rc = cf_error_set(CF_EIO, "cannot write %s", path);
    }
    free(text);
    return rc;
}

int cf_disk_collect(const cf_disk_options *opt, cf_disk_stats *stats_out)
{
    disk_ctx *ctx = NULL;
    struct stat st;
    int rc = CF_OK, walk_rc = CF_OK, body_open = 0, files_open = 0, pool = 0;
    char body_sha[CF_SHA256_HEX_LEN] = "", files_sha[CF_SHA256_HEX_LEN] = "";
    int64_t started = cf_time_now();
    cf_error saved;
    if (!opt || !opt->source || !opt->out_dir)
        return cf_error_set(CF_EINVAL, "collect disk: SOURCE and --out are required");
    if (opt->has_since && opt->has_until && opt->since_ns > opt->until_ns)
        return cf_error_set(CF_EINVAL, "--since is after --until");
    if (stat(opt->source, &st) != 0)
        return cf_error_set(errno == ENOENT   ? CF_ENOTFOUND
                            : errno == EACCES ? CF_EDENIED
                                              : CF_EIO,
                            "cannot open %s: %s", opt->source, strerror(errno));
    ctx = calloc(1, sizeof(*ctx));
    if (!ctx)
        return cf_error_set(CF_ENOMEM, "out of memory");
    ctx->opt = opt;
    cf_buf_init(&ctx->walk_body.buf, DISK_FLUSH_AT + DISK_PATH_MAX * 4 + 65536);
    cf_buf_init(&ctx->walk_json.buf, DISK_FLUSH_AT + DISK_PATH_MAX * 8 + 65536);
    pthread_mutex_init(&ctx->lock, NULL);
    pthread_mutex_init(&ctx->plock, NULL);
    pthread_cond_init(&ctx->pcond, NULL);
    pthread_mutex_init(&ctx->qlock, NULL);
    pthread_cond_init(&ctx->qnot_empty, NULL);
    pthread_cond_init(&ctx->qnot_full, NULL);
    ctx->errors = json_array();
    ctx->entries = json_array();
    ctx->out_dir = strdup(opt->out_dir);
    if (!ctx->out_dir || !ctx->errors || !ctx->entries) {
        rc = cf_error_set(CF_ENOMEM, "out of memory");
        goto cleanup;
    }
    if (!opt->no_artifacts && (rc = disk_artifacts_load(ctx)) != CF_OK)
        goto cleanup;
    if (!opt->no_yara && (rc = disk_yara_load(ctx)) != CF_OK)
        goto cleanup;
    if ((rc = prepare_out(opt->out_dir)) != CF_OK)
        goto cleanup;
    if ((rc = disk_out_open(&ctx->body, opt->out_dir, "bodyfile.txt", !opt->no_sync)) != CF_OK)
        goto cleanup;
    body_open = 1;
    if ((rc = disk_out_open(&ctx->files, opt->out_dir, "files.jsonl", !opt->no_sync)) != CF_OK)
        goto cleanup;
    files_open = 1;
    if (opt->progress && pthread_create(&ctx->pthread, NULL, progress_main, ctx) == 0)
        ctx->has_pthread = 1;
    /* Pick the back end; the TSK back end opens the image in disk_tsk_collect. */
    if (S_ISDIR(st.st_mode))
        walk_rc = disk_tree_collect(ctx);
    else
        walk_rc = disk_tsk_collect(ctx);
    pool = 1;
    cf_error_save(&saved);
    disk_pool_finish(ctx);
    stop_progress(ctx);
    if (disk_pending_flush(&ctx->body, &ctx->walk_body) != CF_OK ||
        disk_pending_flush(&ctx->files, &ctx->walk_json) != CF_OK)
        rc = cf_error_set(CF_EIO, "cannot write the bundle");
    disk_progress(ctx, 1);
    if (walk_rc != CF_OK)
        disk_error(ctx, opt->source, "%s", saved.msg);
    if (disk_out_close(&ctx->body, body_sha) != CF_OK && rc == CF_OK)
        rc = CF_EIO;
    body_open = 0;
    if (disk_out_close(&ctx->files, files_sha) != CF_OK && rc == CF_OK)
        rc = CF_EIO;
    files_open = 0;
    if (rc == CF_OK)
        rc = write_manifest(ctx, started, body_sha, files_sha);
    if (rc == CF_OK && walk_rc != CF_OK)
        rc = cf_error_set(walk_rc, "%s", saved.msg);
cleanup:
    if (!pool && ctx->n_workers)
        disk_pool_finish(ctx);
    stop_progress(ctx);
    if (body_open)
        disk_out_close(&ctx->body, body_sha);
    if (files_open)
        disk_out_close(&ctx->files, files_sha);
    if (stats_out)
        *stats_out = ctx->stats;
    free(ctx->backend_data);
    disk_yara_unload(ctx);
    disk_artifacts_free(ctx);
    json_decref(ctx->errors);
    json_decref(ctx->entries);
    free(ctx->out_dir);
    cf_buf_release(&ctx->walk_body.buf);
    cf_buf_release(&ctx->walk_json.buf);
    pthread_mutex_destroy(&ctx->lock);
    pthread_mutex_destroy(&ctx->plock);
    pthread_cond_destroy(&ctx->pcond);
    pthread_mutex_destroy(&ctx->qlock);
    pthread_cond_destroy(&ctx->qnot_empty);
    pthread_cond_destroy(&ctx->qnot_full);
    free(ctx);
    return rc;
}
