/* Loading: bundle directories (verified against their manifest), bundle.tar, single files, type
 * detection and dispatch to the parsers. */
#include "analyze/analyze_internal.h"
#include "common/cf_error.h"
#include "common/cf_fs.h"
#include "common/cf_hash.h"
#include "common/cf_json.h"
#include "common/cf_log.h"
#include "common/cf_time.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define MANIFEST_MAX    (64u << 20)
#define TAR_MAX_MEMBERS 200000
#define HEAD_BYTES      4096

static const struct {
    cf_file_type t;
    const char *name;
} type_names[] = {
    {CF_FILE_JSONL, "jsonl"},
    {CF_FILE_WEB_ACCESS, "web"},
    {CF_FILE_WEB_ACCESS, "nginx"},
    {CF_FILE_WEB_ACCESS, "apache"},
    {CF_FILE_ALB, "alb"},
    {CF_FILE_AUTH, "auth"},
    {CF_FILE_SHELL_HISTORY, "history"},
    {CF_FILE_CRONTAB, "crontab"},
    {CF_FILE_SYSTEMD_UNIT, "systemd"},
    {CF_FILE_AUTHORIZED_KEYS, "authorized_keys"},
    {CF_FILE_PASSWD, "passwd"},
    {CF_FILE_GROUP, "group"},
    {CF_FILE_CLOUDTRAIL, "cloudtrail"},
    {CF_FILE_ACTIONS, "actions"},
    {CF_FILE_BODYFILE, "bodyfile"},
    {CF_FILE_RC_SCRIPT, "rc"},
    {CF_FILE_LD_PRELOAD, "ld_preload"},
};

const char *cf_file_type_name(cf_file_type t)
{
    for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
        if (type_names[i].t == t)
            return type_names[i].name;
    return t == CF_FILE_AUTO ? "auto" : "unknown";
}

cf_file_type cf_file_type_parse(const char *name)
{
    for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
        if (!strcmp(type_names[i].name, name))
            return type_names[i].t;
    if (!strcmp(name, "auto"))
        return CF_FILE_AUTO;
    return CF_FILE_UNKNOWN;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

static int starts_with(const char *s, const char *prefix)
{
    return !strncmp(s, prefix, strlen(prefix));
}

/* First line of head, NUL-terminated into out. */
static void first_line(const char *head, size_t len, char *out, size_t cap)
{
    size_t i = 0;
    while (i < len && i + 1 < cap && head[i] != '\n') {
        out[i] = head[i] ? head[i] : ' ';
        i++;
    }
    out[i] = '\0';
}

static int looks_combined(const char *l)
{
    const char *b = strstr(l, " [");
    return b && strstr(b, "] \"") != NULL;
}

static int looks_alb(const char *l)
{
    static const char *const kinds[] = {"http ", "https ", "h2 ", "grpcs ", "ws ", "wss ", NULL};
    for (int i = 0; kinds[i]; i++)
        if (starts_with(l, kinds[i]) && !strncmp(l + strlen(kinds[i]), "20", 2))
            return 1;
    return 0;
}

static int looks_syslog_auth(const char *head)
{
    return strstr(head, "sshd[") || strstr(head, "sudo:") || strstr(head, "useradd[") ||
           strstr(head, "pam_unix(");
}

cf_file_type cf_analyze_detect(const char *path, const char *head, size_t head_len)
{
    const char *base = strrchr(path, '/');
    char line[1024];
    char h[HEAD_BYTES + 1];
    size_t hl = head_len < HEAD_BYTES ? head_len : HEAD_BYTES;
    base = base ? base + 1 : path;
    memcpy(h, head, hl);
    h[hl] = '\0';
    for (size_t i = 0; i < hl; i++)
        if (!h[i])
            h[i] = ' ';
    first_line(head, head_len, line, sizeof(line));

    if (!strcmp(base, "actions.jsonl"))
        return CF_FILE_ACTIONS;
    if (ends_with(base, ".jsonl"))
        return CF_FILE_JSONL;
    if (!strcmp(base, "bodyfile.txt") || ends_with(base, ".body"))
        return CF_FILE_BODYFILE;
    if (!strcmp(base, "authorized_keys") || !strcmp(base, "authorized_keys2"))
        return CF_FILE_AUTHORIZED_KEYS;
    if (ends_with(path, "/etc/passwd") || !strcmp(path, "passwd") || !strcmp(base, "passwd"))
        return CF_FILE_PASSWD;
    if (ends_with(path, "/etc/group") || !strcmp(base, "group"))
        return CF_FILE_GROUP;
    if (ends_with(base, "_history") || !strcmp(base, ".history"))
        return CF_FILE_SHELL_HISTORY;
    if (ends_with(path, "/etc/crontab") || strstr(path, "/etc/cron.d/") ||
        strstr(path, "/var/spool/cron/") || !strcmp(base, "crontab"))
        return CF_FILE_CRONTAB;
    if (ends_with(path, "/etc/ld.so.preload"))
        return CF_FILE_LD_PRELOAD;
    if (ends_with(path, "/etc/rc.local") || strstr(path, "/etc/init.d/") ||
        strstr(path, "/etc/rc.d/") || (strstr(path, "/etc/rc") && strstr(path, ".d/")))
        return CF_FILE_RC_SCRIPT;
    if ((ends_with(base, ".service") || ends_with(base, ".timer") || ends_with(base, ".socket") ||
         ends_with(base, ".path")) &&
        (strstr(path, "systemd/") || strstr(h, "[Unit]") || strstr(h, "[Service]")))
        return CF_FILE_SYSTEMD_UNIT;
    if (h[0] == '{' || h[0] == '[') {
        if (strstr(h, "\"Records\"") || strstr(h, "\"Events\"") || strstr(h, "\"eventVersion\"") ||
            strstr(h, "CloudTrailEvent"))
            return CF_FILE_CLOUDTRAIL;
    }
    if (looks_alb(line) || strstr(base, "elasticloadbalancing"))
        return CF_FILE_ALB;
    if (starts_with(base, "auth.log") || starts_with(base, "secure"))
        return CF_FILE_AUTH;
    if (looks_combined(line))
        return CF_FILE_WEB_ACCESS;
    if (looks_syslog_auth(h))
        return CF_FILE_AUTH;
    return CF_FILE_UNKNOWN;
}

static int dispatch(cf_load_ctx *ctx, cf_file_type t)
{
    switch (t) {
    case CF_FILE_JSONL:
        return cf_load_jsonl(ctx);
    case CF_FILE_ACTIONS:
        ctx->table = "cloud_actions";
        return cf_load_jsonl(ctx);
    case CF_FILE_WEB_ACCESS:
        return cf_load_web(ctx, 0);
    case CF_FILE_ALB:
        return cf_load_web(ctx, 1);
    case CF_FILE_AUTH:
        return cf_load_auth(ctx);
    case CF_FILE_SHELL_HISTORY:
        return cf_load_history(ctx);
    case CF_FILE_CRONTAB:
        return cf_load_crontab(ctx);
    case CF_FILE_SYSTEMD_UNIT:
        return cf_load_systemd(ctx);
    case CF_FILE_AUTHORIZED_KEYS:
        return cf_load_authorized_keys(ctx);
    case CF_FILE_PASSWD:
        return cf_load_passwd(ctx, 0);
    case CF_FILE_GROUP:
        return cf_load_passwd(ctx, 1);
    case CF_FILE_CLOUDTRAIL:
        return cf_load_cloudtrail_file(ctx);
    case CF_FILE_BODYFILE:
        return cf_load_bodyfile(ctx);
    case CF_FILE_RC_SCRIPT:
        return cf_load_config_lines(ctx, "rc");
    case CF_FILE_LD_PRELOAD:
        return cf_load_config_lines(ctx, "ld_so_preload");
    default:
        return cf_error_set(CF_EINVAL, "%s: unknown file type", ctx->source);
    }
}

/* Runs one file's loader inside a savepoint: a file that fails half-way leaves no rows. Errors
 * other than out-of-memory are recorded in load_errors and do not stop the bundle. */
static int load_one(cf_load_ctx *ctx, cf_file_type t)
{
    int rc;
    if ((rc = cf_db_exec(ctx->db, "SAVEPOINT cf_file")))
        return rc;
    rc = dispatch(ctx, t);
    if (rc) {
        cf_error saved;
        cf_error_save(&saved);
        sqlite3_exec(ctx->db, "ROLLBACK TO cf_file", NULL, NULL, NULL);
        sqlite3_exec(ctx->db, "RELEASE cf_file", NULL, NULL, NULL);
        cf_load_bad_line(ctx, 0, "file not loaded", saved.msg, strlen(saved.msg));
        if (ctx->opts && ctx->opts->warn) {
            char msg[CF_ERROR_MSG_MAX + 64];
            snprintf(msg, sizeof(msg), "not loaded: %s", saved.msg);
            ctx->opts->warn(ctx->opts->warn_ctx, msg);
        }
        cf_error_restore(&saved);
        return rc == CF_ENOMEM ? rc : CF_OK;
    }
    ctx->stats->files++;
    return cf_db_exec(ctx->db, "RELEASE cf_file");
}

/* A load's transaction: BEGIN IMMEDIATE, or a savepoint when the caller already holds one
 * (cf_analyze_load_paths runs all files of a command in one transaction). */
static int tx_begin(cf_case *c, int *nested)
{
    *nested = !sqlite3_get_autocommit(cf_case_db(c));
    return *nested ? cf_db_exec(cf_case_db(c), "SAVEPOINT cf_load") : cf_case_begin(c);
}

static int tx_commit(cf_case *c, int nested)
{
    return nested ? cf_db_exec(cf_case_db(c), "RELEASE cf_load") : cf_case_commit(c);
}

static void tx_rollback(cf_case *c, int nested)
{
    if (nested) {
        sqlite3_exec(cf_case_db(c), "ROLLBACK TO cf_load", NULL, NULL, NULL);
        sqlite3_exec(cf_case_db(c), "RELEASE cf_load", NULL, NULL, NULL);
    } else {
        cf_case_rollback(c);
    }
}

/* 1 when a bundles row with this key exists. */
static int bundle_known(sqlite3 *db, const char *sha)
{
    sqlite3_stmt *st = NULL;
    int found = 0;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM bundles WHERE manifest_sha256=?1", -1, &st, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_text(st, 1, sha, -1, SQLITE_STATIC);
        found = sqlite3_step(st) == SQLITE_ROW;
    }
    sqlite3_finalize(st);
    return found;
}

static int insert_bundle(sqlite3 *db, const char *kind, const char *case_id,
                         const char *instance_id, const char *path, const char *sha,
                         const char *manifest, int64_t *id_out)
{
    sqlite3_stmt *st = NULL;
    char now[CF_TIME_STR_MAX];
    int rc;
    cf_time_format(cf_time_now(), now);
    if ((rc = cf_db_prepare(db,
                            "INSERT INTO bundles(kind, case_id, instance_id, path, manifest_sha256,"
                            " loaded_at, manifest) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                            &st)))
        goto cleanup;
    cf_bind_text(st, 1, kind, (size_t)-1, 1);
    cf_bind_text(st, 2, case_id, (size_t)-1, 1);
    cf_bind_text(st, 3, instance_id, (size_t)-1, 1);
    cf_bind_text(st, 4, path, (size_t)-1, 1);
    sqlite3_bind_text(st, 5, sha, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, now, -1, SQLITE_STATIC);
    cf_bind_text(st, 7, manifest, (size_t)-1, 1);
    if (sqlite3_step(st) != SQLITE_DONE) {
        rc = cf_db_err(db, "insert bundle");
        goto cleanup;
    }
    *id_out = sqlite3_last_insert_rowid(db);
cleanup:
    sqlite3_finalize(st);
    return rc;
}

static int insert_evidence(sqlite3 *db, const char *bundle, const char *kind, const char *path,
                           const char *sha, int64_t bytes, int verified, const char *detail)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if ((rc = cf_db_prepare(db,
                            "INSERT INTO evidence(bundle, kind, path, sha256, bytes, verified,"
                            " detail) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(bundle, path)"
                            " DO UPDATE SET sha256=excluded.sha256, bytes=excluded.bytes,"
                            " verified=excluded.verified, detail=excluded.detail",
                            &st)))
        return rc;
    sqlite3_bind_text(st, 1, bundle, -1, SQLITE_STATIC);
    cf_bind_text(st, 2, kind, (size_t)-1, 1);
    cf_bind_text(st, 3, path, (size_t)-1, 0);
    cf_bind_text(st, 4, sha, (size_t)-1, 1);
    if (bytes >= 0)
        sqlite3_bind_int64(st, 5, bytes);
    if (verified >= 0)
        sqlite3_bind_int(st, 6, verified);
    cf_bind_text(st, 7, detail, (size_t)-1, 1);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = cf_db_err(db, "insert evidence");
    sqlite3_finalize(st);
    return rc;
}

static int add_integrity_failures(cf_case *c, uint64_t n)
{
    char *old = NULL;
    char val[32];
    long long prev = 0;
    int rc;
    if (!n)
        return CF_OK;
    if ((rc = cf_case_info_get(c, "integrity_failures", &old)))
        return rc;
    if (old)
        prev = strtoll(old, NULL, 10);
    free(old);
    snprintf(val, sizeof(val), "%lld", prev + (long long)n);
    return cf_case_info_set(c, "integrity_failures", val);
}

static void warnf(const cf_analyze_opts *opts, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void warnf(const cf_analyze_opts *opts, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    if (!opts || !opts->warn)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    opts->warn(opts->warn_ctx, msg);
}

/* A manifest path: relative, '/'-separated, no "..", no empty components, printable. */
static int safe_relpath(const char *p)
{
    size_t n = strlen(p);
    const char *s = p;
    if (n == 0 || n > 1024 || p[0] == '/')
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)p[i] < 0x20 || p[i] == '\\')
            return 0;
    while (*s) {
        const char *e = strchr(s, '/');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (len == 0 || (len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
            return 0;
        s += len;
        if (*s == '/')
            s++;
    }
    return 1;
}

static int default_year(cf_case *c, const cf_analyze_opts *opts, const char *hint_time)
{
    int64_t ns = 0;
    char *ws = NULL;
    char t[CF_TIME_STR_MAX];
    if (opts && opts->default_year)
        return opts->default_year;
    if (hint_time && cf_time_parse_checked(hint_time, &ns) == CF_OK) {
        cf_time_format(ns, t);
        return atoi(t);
    }
    if (cf_case_info_get(c, "window_start", &ws) == CF_OK && ws &&
        cf_time_parse_checked(ws, &ns) == 0) {
        free(ws);
        cf_time_format(ns, t);
        return atoi(t);
    }
    free(ws);
    cf_time_format(cf_time_now(), t);
    return atoi(t);
}

static int64_t file_mtime(sqlite3 *db, int64_t bundle_id, const char *source)
{
    sqlite3_stmt *st = NULL;
    int64_t ns = 0;
    if (!bundle_id || !source)
        return 0;
    if (sqlite3_prepare_v2(db, "SELECT mtime FROM files WHERE path=?1 ORDER BY bundle_id=?2 DESC",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, bundle_id);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
            cf_time_parse_checked((const char *)sqlite3_column_text(st, 0), &ns);
    }
    sqlite3_finalize(st);
    return ns;
}

int cf_analyze_load_bundle_dir(cf_case *c, const char *dir, const cf_analyze_opts *opts,
                               cf_analyze_stats *stats)
{
    cf_buf mbuf = CF_BUF_INIT(MANIFEST_MAX);
    char mpath[PATH_MAX], sha[CF_SHA256_HEX_LEN];
    json_t *m = NULL, *files;
    sqlite3 *db = cf_case_db(c);
    int64_t bundle_id = 0;
    uint64_t failures = 0;
    int in_tx = 0, nested = 0, rc, year;
    const char *kind, *schema;
    if ((rc = cf_fs_join(mpath, sizeof(mpath), dir, "manifest.json")))
        goto cleanup;
    if ((rc = cf_fs_read(mpath, &mbuf))) {
        cf_error_wrap("bundle %s", dir);
        goto cleanup;
    }
    cf_sha256_hex(mbuf.data ? mbuf.data : "", mbuf.len, sha);
    if ((rc = cf_analyze_prepare(c)))
        goto cleanup;
    if (bundle_known(db, sha)) {
        stats->skipped++;
        goto cleanup;
    }
    if ((rc = cf_json_parse(cf_buf_cstr(&mbuf), mbuf.len, &m)) || !json_is_object(m)) {
        rc = cf_error_set(CF_EPARSE, "%s: not a JSON manifest", mpath);
        goto cleanup;
    }
    schema = cf_json_str(m, "schema");
    kind = cf_json_str(m, "kind");
    files = json_object_get(m, "files");
    if (!schema || strncmp(schema, "casefile.bundle/", 16) || !json_is_array(files)) {
        rc = cf_error_set(CF_EPARSE, "%s: not a casefile bundle manifest (schema %s)", mpath,
                          schema ? schema : "missing");
        goto cleanup;
    }
    year = default_year(c, opts, cf_json_str(m, "started_at"));
    if ((rc = tx_begin(c, &nested)))
        goto cleanup;
    in_tx = 1;
    if ((rc = insert_bundle(db, kind, cf_json_str(m, "case_id"), cf_json_str(m, "host.instance_id"),
                            dir, sha, cf_buf_cstr(&mbuf), &bundle_id)))
        goto cleanup;
    /* files.jsonl first: other artifacts take their mtime from it */
    for (int pass = 0; pass < 2; pass++) {
        size_t i;
        json_t *e;
        json_array_foreach(files, i, e)
        {
            const char *rel = cf_json_str(e, "path");
            const char *want = cf_json_str(e, "sha256");
            const char *src = cf_json_str(e, "source");
            char local[PATH_MAX], got[CF_SHA256_HEX_LEN], source[PATH_MAX];
            uint64_t bytes = 0;
            int is_files = rel && !strcmp(rel, "files.jsonl");
            cf_file_type t;
            cf_load_ctx ctx;
            if ((pass == 0) != is_files)
                continue;
            if (!rel || !safe_relpath(rel)) {
                warnf(opts, "bundle %s: unsafe or missing path in manifest, entry skipped", dir);
                stats->skipped++;
                continue;
            }
            if (cf_fs_join(local, sizeof(local), dir, rel)) {
                stats->skipped++;
                continue;
            }
            if (cf_sha256_file(local, got, &bytes) != CF_OK) {
                failures++;
                warnf(opts, "INTEGRITY: %s/%s is listed in the manifest but cannot be read", dir,
                      rel);
                if ((rc =
                         insert_evidence(db, sha, kind, rel, want, -1, 0, "missing or unreadable")))
                    goto cleanup;
                continue;
            }
            if (!want || strcasecmp(want, got)) {
                char detail[200];
                failures++;
                snprintf(detail, sizeof(detail), "sha256 mismatch: manifest %.64s, file %s",
                         want ? want : "(none)", got);
                warnf(opts, "INTEGRITY: %s/%s does not match its manifest (%s); not loaded", dir,
                      rel, detail);
                if ((rc = insert_evidence(db, sha, kind, rel, want, (int64_t)bytes, 0, detail)))
                    goto cleanup;
                continue;
            }
            if ((rc = insert_evidence(db, sha, kind, rel, got, (int64_t)bytes, 1, NULL)))
                goto cleanup;
            /* what the file was on the host */
            if (src && src[0] == '/' && strlen(src) < sizeof(source))
                snprintf(source, sizeof(source), "%s", src);
            else if (!strncmp(rel, "artifacts/", 10))
                snprintf(source, sizeof(source), "/%s", rel + 10);
            else
                snprintf(source, sizeof(source), "%s", rel);
            if (!strncmp(rel, "binaries/", 9) || ends_with(rel, ".lime") ||
                !strncmp(rel, "memory/", 7))
                continue; /* evidence only */
            {
                char head[HEAD_BYTES];
                size_t hl = 0;
                if (cf_read_head(local, head, sizeof(head), &hl) != CF_OK)
                    hl = 0;
                t = cf_analyze_detect(source, head, hl);
                if (t == CF_FILE_UNKNOWN && strchr(rel, '/') == NULL)
                    t = cf_analyze_detect(rel, head, hl);
            }
            if (t == CF_FILE_UNKNOWN)
                continue; /* kept as evidence, no parser */
            memset(&ctx, 0, sizeof(ctx));
            ctx.c = c;
            ctx.db = db;
            ctx.bundle_id = bundle_id;
            ctx.path = local;
            ctx.source = source;
            ctx.opts = opts;
            ctx.stats = stats;
            ctx.year = year;
            ctx.mtime_ns = file_mtime(db, bundle_id, source);
            if ((rc = load_one(&ctx, t)))
                goto cleanup;
        }
    }
    stats->integrity_failures += failures;
    if ((rc = add_integrity_failures(c, failures)))
        goto cleanup;
    if ((rc = tx_commit(c, nested)))
        goto cleanup;
    in_tx = 0;
cleanup:
    if (in_tx)
        tx_rollback(c, nested);
    json_decref(m);
    cf_buf_release(&mbuf);
    return rc;
}

/* Bulk loading of one big file: in WAL mode every page is written twice (to the WAL, then by the
 * checkpoint into the database), which is most of the kernel time of a large load. When this
 * connection is the only one, the load runs in rollback-journal mode instead (still crash-safe:
 * the pages a fresh table appends past the end of the file need no journal) and WAL is restored
 * afterwards. Another connection on the case (a reader, the workflow) makes the switch fail at
 * once; the load then simply runs in WAL mode. Returns 1 when switched. */
#define BULK_MIN_BYTES (16u << 20)
#define CASE_BUSY_MS   10000 /* cf_case_open's busy timeout, restored after the attempt */

static int bulk_begin(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int switched = 0;
    sqlite3_busy_timeout(db, 0);
    if (sqlite3_prepare_v2(db, "PRAGMA journal_mode=DELETE", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        switched = !strcasecmp((const char *)sqlite3_column_text(st, 0), "delete");
    sqlite3_finalize(st);
    sqlite3_busy_timeout(db, CASE_BUSY_MS);
    return switched;
}

static void bulk_end(sqlite3 *db)
{
    if (sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK)
        cf_log_warn("analyze: could not switch case.db back to WAL: %s", sqlite3_errmsg(db));
}

int cf_analyze_load_file(cf_case *c, const char *path, cf_file_type type,
                         const cf_analyze_opts *opts, cf_analyze_stats *stats)
{
    char sha[CF_SHA256_HEX_LEN], kind[64];
    uint64_t bytes = 0;
    sqlite3 *db = cf_case_db(c);
    int64_t bundle_id = 0;
    int in_tx = 0, nested = 0, bulk = 0, rc;
    cf_load_ctx ctx;
    if ((rc = cf_sha256_file(path, sha, &bytes))) {
        cf_error_wrap("load %s", path);
        goto cleanup;
    }
    if ((rc = cf_analyze_prepare(c)))
        goto cleanup;
    if (type == CF_FILE_AUTO) {
        char head[HEAD_BYTES];
        size_t hl = 0;
        if ((rc = cf_read_head(path, head, sizeof(head), &hl)))
            goto cleanup;
        type = cf_analyze_detect(path, head, hl);
    }
    if (type == CF_FILE_UNKNOWN || type == CF_FILE_AUTO) {
        rc = cf_error_set(CF_EINVAL, "%s: cannot tell what kind of log this is (use --type)", path);
        goto cleanup;
    }
    if (bundle_known(db, sha)) {
        stats->skipped++;
        goto cleanup;
    }
    if (bytes >= BULK_MIN_BYTES && sqlite3_get_autocommit(db))
        bulk = bulk_begin(db);
    if ((rc = tx_begin(c, &nested)))
        goto cleanup;
    in_tx = 1;
    snprintf(kind, sizeof(kind), "file:%s", cf_file_type_name(type));
    if ((rc = insert_bundle(db, kind, NULL, NULL, path, sha, NULL, &bundle_id)))
        goto cleanup;
    if ((rc = insert_evidence(db, sha, kind, path, sha, (int64_t)bytes, -1, "no manifest")))
        goto cleanup;
    memset(&ctx, 0, sizeof(ctx));
    ctx.c = c;
    ctx.db = db;
    ctx.bundle_id = bundle_id;
    ctx.path = path;
    ctx.source = path;
    ctx.opts = opts;
    ctx.stats = stats;
    ctx.year = default_year(c, opts, NULL);
    if ((rc = dispatch(&ctx, type)))
        goto cleanup;
    stats->files++;
    if ((rc = tx_commit(c, nested)))
        goto cleanup;
    in_tx = 0;
cleanup:
    if (in_tx)
        tx_rollback(c, nested);
    if (bulk)
        bulk_end(db);
    return rc;
}

int cf_analyze_load_cloudtrail(cf_case *c, const char *json, size_t len, const char *source,
                               cf_analyze_stats *stats)
{
    char sha[CF_SHA256_HEX_LEN];
    sqlite3 *db = cf_case_db(c);
    int64_t bundle_id = 0;
    int in_tx = 0, nested = 0, rc;
    cf_load_ctx ctx;
    cf_sha256_hex(json, len, sha);
    if ((rc = cf_analyze_prepare(c)))
        goto cleanup;
    if (bundle_known(db, sha)) {
        stats->skipped++;
        goto cleanup;
    }
    if ((rc = tx_begin(c, &nested)))
        goto cleanup;
    in_tx = 1;
    if ((rc = insert_bundle(db, "cloudtrail", NULL, NULL, source, sha, NULL, &bundle_id)))
        goto cleanup;
    memset(&ctx, 0, sizeof(ctx));
    ctx.c = c;
    ctx.db = db;
    ctx.bundle_id = bundle_id;
    ctx.path = source;
    ctx.source = source ? source : "cloudtrail";
    ctx.stats = stats;
    if ((rc = cf_load_cloudtrail_mem(&ctx, json, len)))
        goto cleanup;
    stats->files++;
    if ((rc = tx_commit(c, nested)))
        goto cleanup;
    in_tx = 0;
cleanup:
    if (in_tx)
        tx_rollback(c, nested);
    return rc;
}

/* ---- bundle.tar ---- */

static uint64_t octal(const char *p, size_t n, int *ok)
{
    uint64_t v = 0;
    size_t i = 0;
    *ok = 1;
    while (i < n && p[i] == ' ')
        i++;
    for (; i < n && p[i] >= '0' && p[i] <= '7'; i++) {
        if (v > (UINT64_MAX >> 3)) {
            *ok = 0;
            return 0;
        }
        v = (v << 3) | (uint64_t)(p[i] - '0');
    }
    if (i < n && p[i] != '\0' && p[i] != ' ')
        *ok = 0;
    return v;
}

static int write_member(int tfd, const char *dest, uint64_t size, uint64_t *budget)
{
    char buf[65536];
    int fd = -1, rc = CF_OK;
    uint64_t left = size, padded = (size + 511) & ~(uint64_t)511;
    if (size > *budget)
        return cf_error_set(CF_ETOOBIG, "bundle.tar: more than %llu bytes",
                            (unsigned long long)CF_ANALYZE_MAX_TAR);
    *budget -= size;
    fd = open(dest, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0640);
    if (fd < 0)
        return cf_error_set(CF_EIO, "create %s: %s", dest, strerror(errno));
    while (left > 0) {
        size_t want = left < sizeof(buf) ? (size_t)left : sizeof(buf);
        ssize_t n = read(tfd, buf, want);
        if (n <= 0) {
            rc = cf_error_set(CF_EPARSE, "bundle.tar: truncated member");
            goto cleanup;
        }
        if (write(fd, buf, (size_t)n) != n) {
            rc = cf_error_set(CF_EIO, "write %s: %s", dest, strerror(errno));
            goto cleanup;
        }
        left -= (uint64_t)n;
    }
    if (padded > size && lseek(tfd, (off_t)(padded - size), SEEK_CUR) < 0)
        rc = cf_error_set(CF_EIO, "seek: %s", strerror(errno));
cleanup:
    close(fd);
    return rc;
}

/* Parses a pax extended header's "path=" record into name. */
static int pax_path(int tfd, uint64_t size, char *name, size_t cap)
{
    char *buf = NULL;
    uint64_t padded = (size + 511) & ~(uint64_t)511;
    int rc = CF_OK;
    size_t i = 0;
    if (size > (1u << 20))
        return cf_error_set(CF_ETOOBIG, "bundle.tar: pax header too large");
    buf = malloc((size_t)padded + 1);
    if (!buf)
        return cf_error_set(CF_ENOMEM, "out of memory");
    if (read(tfd, buf, (size_t)padded) != (ssize_t)padded) {
        rc = cf_error_set(CF_EPARSE, "bundle.tar: truncated pax header");
        goto cleanup;
    }
    buf[size] = '\0';
    while (i < size) {
        char *sp = memchr(buf + i, ' ', (size_t)(size - i));
        long len;
        char *end;
        if (!sp)
            break;
        len = strtol(buf + i, &end, 10);
        if (end != sp || len <= 0 || (uint64_t)len > size - i)
            break;
        if (!strncmp(sp + 1, "path=", 5)) {
            size_t vlen = (size_t)(buf + i + len - (sp + 6)) - 1;
            if (vlen < cap) {
                memcpy(name, sp + 6, vlen);
                name[vlen] = '\0';
            }
        }
        i += (size_t)len;
    }
cleanup:
    free(buf);
    return rc;
}

static int extract_tar(const char *tar_path, const char *dest)
{
    unsigned char hdr[512];
    char pending[PATH_MAX] = "";
    int tfd = -1, rc = CF_OK, members = 0;
    uint64_t budget = CF_ANALYZE_MAX_TAR;
    tfd = open(tar_path, O_RDONLY | O_CLOEXEC);
    if (tfd < 0)
        return cf_error_set(CF_EIO, "open %s: %s", tar_path, strerror(errno));
    if ((rc = cf_fs_mkdirs(dest, 0750)))
        goto cleanup;
    for (;;) {
        char name[PATH_MAX], full[PATH_MAX];
        uint64_t size;
        int ok, zero = 1;
        char type;
        ssize_t n = read(tfd, hdr, sizeof(hdr));
        if (n == 0)
            break;
        if (n != (ssize_t)sizeof(hdr)) {
            rc = cf_error_set(CF_EPARSE, "%s: truncated tar header", tar_path);
            goto cleanup;
        }
        for (int i = 0; i < 512; i++)
            if (hdr[i]) {
                zero = 0;
                break;
            }
        if (zero)
            break;
        if (++members > TAR_MAX_MEMBERS) {
            rc = cf_error_set(CF_ETOOBIG, "%s: too many members", tar_path);
            goto cleanup;
        }
        size = octal((const char *)hdr + 124, 12, &ok);
        if (!ok) {
            rc = cf_error_set(CF_EPARSE, "%s: bad member size", tar_path);
            goto cleanup;
        }
        type = (char)hdr[156];
        if (pending[0]) {
            snprintf(name, sizeof(name), "%s", pending);
            pending[0] = '\0';
        } else if (!memcmp(hdr + 257, "ustar", 5) && hdr[345]) {
            snprintf(name, sizeof(name), "%.155s/%.100s", (const char *)hdr + 345,
                     (const char *)hdr + 0);
        } else {
            snprintf(name, sizeof(name), "%.100s", (const char *)hdr);
        }
        if (type == 'x' || type == 'L') {
            if (type == 'x') {
                if ((rc = pax_path(tfd, size, pending, sizeof(pending))))
                    goto cleanup;
            } else {
                uint64_t padded = (size + 511) & ~(uint64_t)511;
                if (size >= sizeof(pending) ||
                    read(tfd, pending,
                         (size_t)padded > sizeof(pending) ? sizeof(pending) : (size_t)padded) < 0) {
                    rc = cf_error_set(CF_EPARSE, "%s: bad long name", tar_path);
                    goto cleanup;
                }
                if ((size_t)padded > sizeof(pending))
                    lseek(tfd, (off_t)(padded - sizeof(pending)), SEEK_CUR);
                pending[size] = '\0';
            }
            continue;
        }
        while (!strncmp(name, "./", 2))
            memmove(name, name + 2, strlen(name + 2) + 1);
        {
            size_t nl = strlen(name);
            while (nl && name[nl - 1] == '/')
                name[--nl] = '\0';
        }
        if (type == '0' || type == '\0' || type == '7') {
            char *slash;
            if (!safe_relpath(name) || cf_fs_join(full, sizeof(full), dest, name)) {
                rc = cf_error_set(CF_EINVAL, "%s: unsafe member path", tar_path);
                goto cleanup;
            }
            slash = strrchr(full, '/');
            if (slash) {
                *slash = '\0';
                if ((rc = cf_fs_mkdirs(full, 0750)))
                    goto cleanup;
                *slash = '/';
            }
            if ((rc = write_member(tfd, full, size, &budget)))
                goto cleanup;
        } else {
            /* directories, links, devices: not extracted (links could escape) */
            uint64_t padded = (size + 511) & ~(uint64_t)511;
            if (padded && lseek(tfd, (off_t)padded, SEEK_CUR) < 0) {
                rc = cf_error_set(CF_EIO, "seek: %s", strerror(errno));
                goto cleanup;
            }
        }
    }
cleanup:
    if (tfd >= 0)
        close(tfd);
    return rc;
}

int cf_analyze_load_bundle_tar(cf_case *c, const char *tar_path, const cf_analyze_opts *opts,
                               cf_analyze_stats *stats)
{
    char sha[CF_SHA256_HEX_LEN], sub[128], dest[PATH_MAX], tmp[PATH_MAX + 16], mpath[PATH_MAX];
    struct stat stb;
    int rc;
    if ((rc = cf_sha256_file(tar_path, sha, NULL))) {
        cf_error_wrap("bundle %s", tar_path);
        return rc;
    }
    snprintf(sub, sizeof(sub), "bundles/%.64s", sha);
    if ((rc = cf_fs_join(dest, sizeof(dest), cf_case_dir(c), sub)))
        return rc;
    if ((rc = cf_fs_join(mpath, sizeof(mpath), dest, "manifest.json")))
        return rc;
    if (stat(mpath, &stb) != 0) {
        snprintf(tmp, sizeof(tmp), "%s.part", dest);
        cf_fs_remove_tree(tmp);
        if ((rc = extract_tar(tar_path, tmp))) {
            cf_error saved;
            cf_error_save(&saved);
            cf_fs_remove_tree(tmp);
            cf_error_restore(&saved);
            return rc;
        }
        cf_fs_remove_tree(dest);
        if (rename(tmp, dest) != 0)
            return cf_error_set(CF_EIO, "rename %s: %s", tmp, strerror(errno));
    }
    return cf_analyze_load_bundle_dir(c, dest, opts, stats);
}

static int is_tar(const char *path)
{
    char hdr[512];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;
    if (fd < 0)
        return 0;
    n = read(fd, hdr, sizeof(hdr));
    close(fd);
    return n == (ssize_t)sizeof(hdr) && !memcmp(hdr + 257, "ustar", 5);
}

int cf_analyze_load_path(cf_case *c, const char *path, const cf_analyze_opts *opts,
                         cf_analyze_stats *stats)
{
    struct stat stb;
    if (stat(path, &stb) != 0)
        return cf_error_set(CF_ENOTFOUND, "%s: %s", path, strerror(errno));
    if (S_ISDIR(stb.st_mode))
        return cf_analyze_load_bundle_dir(c, path, opts, stats);
    if (!S_ISREG(stb.st_mode))
        return cf_error_set(CF_EINVAL, "%s: not a file or directory", path);
    if (ends_with(path, ".tar") || is_tar(path))
        return cf_analyze_load_bundle_tar(c, path, opts, stats);
    return cf_analyze_load_file(c, path, CF_FILE_AUTO, opts, stats);
}

int cf_analyze_load_paths(cf_case *c, const char *const *paths, const cf_file_type *types, size_t n,
                          const cf_analyze_opts *opts, cf_analyze_stats *stats)
{
    sqlite3 *db = cf_case_db(c);
    int in_tx = 0, bulk = 0, rc = CF_OK;
    if (n == 1 || !sqlite3_get_autocommit(db)) {
        for (size_t i = 0; i < n && !rc; i++)
            rc = types[i] == CF_FILE_AUTO
                     ? cf_analyze_load_path(c, paths[i], opts, stats)
                     : cf_analyze_load_file(c, paths[i], types[i], opts, stats);
        return rc;
    }
    if ((rc = cf_analyze_prepare(c)))
        goto cleanup;
    /* many files are written in rollback-journal mode as one big file is (see bulk_begin): 200
     * CloudTrail files are 8 MB of gzip but over 100 MB of case.db, which WAL would write twice */
    bulk = bulk_begin(db);
    if ((rc = cf_case_begin(c)))
        goto cleanup;
    in_tx = 1;
    for (size_t i = 0; i < n && !rc; i++)
        rc = types[i] == CF_FILE_AUTO ? cf_analyze_load_path(c, paths[i], opts, stats)
                                      : cf_analyze_load_file(c, paths[i], types[i], opts, stats);
    /* the failing input rolled back its own savepoint: the inputs before it stay loaded */
    if (rc) {
        cf_error saved;
        cf_error_save(&saved);
        in_tx = 0;
        if (cf_case_commit(c))
            cf_case_rollback(c);
        cf_error_restore(&saved);
        goto cleanup;
    }
    if ((rc = cf_case_commit(c)))
        goto cleanup;
    in_tx = 0;
cleanup:
    if (in_tx)
        cf_case_rollback(c);
    if (bulk)
        bulk_end(db);
    return rc;
}
