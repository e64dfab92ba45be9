/* Host artifacts from disk bundles: shell histories, crontabs, systemd units, authorized_keys,
 * passwd/group, rc scripts and /etc/ld.so.preload (config_entries), TSK bodyfiles. */
#include "analyze/analyze_internal.h"
#include "common/cf_error.h"
#include "common/cf_hash.h"
#include "common/cf_time.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct host_state {
    sqlite3_stmt *ins;
    char user[64];
    int64_t pending_time; /* bash "#<epoch>" line before a command */
    int group;
    const char *kind;
    cf_buf unit_exec, unit_desc, unit_type, unit_user, unit_wanted;
} host_state;

/* /home/bob/... -> bob, /root/... -> root, /var/spool/cron/crontabs/bob -> bob. */
static void user_from_path(const char *src, char *out, size_t cap)
{
    const char *p = NULL;
    size_t n;
    out[0] = '\0';
    if (!strncmp(src, "/home/", 6))
        p = src + 6;
    else if (!strncmp(src, "/root/", 6) || !strcmp(src, "/root")) {
        snprintf(out, cap, "root");
        return;
    } else if (strstr(src, "/var/spool/cron/")) {
        p = strrchr(src, '/') + 1;
    } else if (!strncmp(src, "/var/www/", 9)) {
        snprintf(out, cap, "www-data");
        return;
    }
    if (!p)
        return;
    n = strcspn(p, "/");
    if (n >= cap)
        n = cap - 1;
    memcpy(out, p, n);
    out[n] = '\0';
}

static void common_binds(cf_load_ctx *ctx, sqlite3_stmt *st, uint64_t lineno)
{
    if (ctx->bundle_id)
        sqlite3_bind_int64(st, 1, ctx->bundle_id);
    cf_bind_text(st, 2, ctx->source, (size_t)-1, 0);
    if (lineno)
        sqlite3_bind_int64(st, 3, (sqlite3_int64)lineno);
}

static char *trim(char *s)
{
    size_t n;
    while (*s == ' ' || *s == '\t')
        s++;
    n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    return s;
}

static int all_digits(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* Seconds since the epoch to ns; 0 (unknown) outside 1970..2255, where ns would overflow. */
static int64_t epoch_ns(long long sec)
{
    return sec > 0 && sec < 9000000000LL ? (int64_t)sec * CF_NS_PER_SEC : 0;
}

/* ---- shell history ---- */

static int on_history(cf_load_ctx *ctx, char *line, size_t len, uint64_t lineno)
{
    host_state *hs = ctx->table_state;
    sqlite3_stmt *st = hs->ins;
    const char *cmd = line;
    int64_t t = 0;
    int rc;
    const char *shell = strstr(ctx->source, "zsh")    ? "zsh"
                        : strstr(ctx->source, "bash") ? "bash"
                                                      : "sh";
    if (len == 0)
        return CF_OK;
    if (line[0] == '#' && all_digits(line + 1, len - 1) && len < 15) {
        hs->pending_time = epoch_ns(strtoll(line + 1, NULL, 10));
        return CF_OK;
    }
    if (line[0] == ':' && line[1] == ' ') {
        /* zsh extended history ": <epoch>:<duration>;command" */
        char *semi = memchr(line, ';', len);
        if (semi) {
            t = epoch_ns(strtoll(line + 2, NULL, 10));
            len -= (size_t)(semi + 1 - line);
            cmd = semi + 1;
        }
    } else {
        t = hs->pending_time;
    }
    hs->pending_time = 0;
    common_binds(ctx, st, lineno);
    if ((rc = cf_bind_text(st, 4, hs->user, (size_t)-1, 1)))
        return rc;
    sqlite3_bind_text(st, 5, shell, -1, SQLITE_STATIC);
    cf_bind_time(st, 6, t);
    if ((rc = cf_bind_text(st, 7, cmd, len, 0)))
        return rc;
    if ((rc = cf_db_step_done(ctx->db, st)))
        return rc;
    ctx->stats->rows++;
    return CF_OK;
}

/* ---- crontab ---- */

static int on_cron(cf_load_ctx *ctx, char *line, size_t len, uint64_t lineno)
{
    host_state *hs = ctx->table_state;
    sqlite3_stmt *st = hs->ins;
    char *s = trim(line), *p;
    const char *user = hs->user;
    char sched[128];
    int fields = hs->group ? 6 : 5; /* system crontabs have a user column */
    size_t sl;
    int rc;
    (void)len;
    if (!*s || *s == '#')
        return CF_OK;
    /* VAR=value lines */
    p = s + strcspn(s, " \t=");
    if (*p == '=')
        return CF_OK;
    p = s;
    if (*s == '@') {
        p = s + strcspn(s, " \t");
        fields = hs->group ? 1 : 0;
    } else {
        for (int i = 0; i < 5; i++) {
            p += strcspn(p, " \t");
            p += strspn(p, " \t");
        }
        fields -= 5;
    }
    sl = (size_t)(p - s);
    while (sl && (s[sl - 1] == ' ' || s[sl - 1] == '\t'))
        sl--;
    if (sl >= sizeof(sched))
        sl = sizeof(sched) - 1;
    memcpy(sched, s, sl);
    sched[sl] = '\0';
    p += strspn(p, " \t");
    if (fields == 1) {
        char *u = p;
        p += strcspn(p, " \t");
        if (*p)
            *p++ = '\0';
        user = u;
        p += strspn(p, " \t");
    }
    if (!*p) {
        cf_load_bad_line(ctx, lineno, "crontab line without a command", line, strlen(line));
        return CF_OK;
    }
    common_binds(ctx, st, lineno);
    sqlite3_bind_text(st, 4, hs->kind, -1, SQLITE_STATIC);
    if ((rc = cf_bind_text(st, 5, user, (size_t)-1, 1)) ||
        (rc = cf_bind_text(st, 6, sched, sl, 1)) || (rc = cf_bind_text(st, 7, p, strlen(p), 0)))
        return rc;
    cf_bind_time(st, 8, ctx->mtime_ns);
    if ((rc = cf_db_step_done(ctx->db, st)))
        return rc;
    ctx->stats->rows++;
    return CF_OK;
}

/* ---- systemd unit ---- */

static int add_value(cf_buf *b, const char *v)
{
    if (b->len && cf_buf_addch(b, '\n'))
        return CF_ETOOBIG;
    return cf_buf_addstr(b, v) ? CF_ETOOBIG : CF_OK;
}

static int on_unit(cf_load_ctx *ctx, char *line, size_t len, uint64_t lineno)
{
    host_state *hs = ctx->table_state;
    char *s = trim(line), *eq, *key, *val;
    (void)len;
    (void)lineno;
    if (!*s || *s == '#' || *s == ';' || *s == '[')
        return CF_OK;
    eq = strchr(s, '=');
    if (!eq)
        return CF_OK;
    *eq = '\0';
    key = trim(s);
    val = trim(eq + 1);
    if (!strncmp(key, "Exec", 4))
        add_value(&hs->unit_exec, val);
    else if (!strcmp(key, "Description"))
        add_value(&hs->unit_desc, val);
    else if (!strcmp(key, "Type"))
        add_value(&hs->unit_type, val);
    else if (!strcmp(key, "User"))
        add_value(&hs->unit_user, val);
    else if (!strcmp(key, "WantedBy") || !strcmp(key, "RequiredBy"))
        add_value(&hs->unit_wanted, val);
    return CF_OK; /* values past their buffer's limit are dropped */
}

/* ---- authorized_keys ---- */

static int is_key_type(const char *w, size_t n)
{
    return (n >= 7 && !strncmp(w, "ssh-rsa", 7)) || (n >= 11 && !strncmp(w, "ssh-ed25519", 11)) ||
           (n >= 7 && !strncmp(w, "ssh-dss", 7)) || (n >= 10 && !strncmp(w, "ecdsa-sha2", 10)) ||
           (n >= 3 && !strncmp(w, "sk-", 3));
}

static void fingerprint(const char *b64, size_t n, char *out, size_t cap)
{
    unsigned char *raw = NULL;
    uint8_t dig[CF_SHA256_LEN];
    unsigned char enc[64];
    int dl, pad = 0;
    out[0] = '\0';
    if (n == 0 || n % 4 || n > 16384)
        return;
    raw = malloc(n);
    if (!raw)
        return;
    dl = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)n);
    if (dl > 0) {
        if (b64[n - 1] == '=')
            pad++;
        if (b64[n - 2] == '=')
            pad++;
        cf_sha256_buf(raw, (size_t)(dl - pad), dig);
        EVP_EncodeBlock(enc, dig, CF_SHA256_LEN);
        /* OpenSSH prints it without padding */
        for (char *e = (char *)enc + strlen((char *)enc); e > (char *)enc && e[-1] == '=';)
            *--e = '\0';
        snprintf(out, cap, "SHA256:%s", (char *)enc);
    }
    free(raw);
}

static int on_key(cf_load_ctx *ctx, char *line, size_t len, uint64_t lineno)
{
    host_state *hs = ctx->table_state;
    sqlite3_stmt *st = hs->ins;
    char *s = trim(line), *p, *type = NULL, *b64, *comment;
    char fp[96];
    size_t tn, bn;
    int rc;
    (void)len;
    if (!*s || *s == '#')
        return CF_OK;
    /* the key type is the first word that is one; what precedes it is the options field, which
     * may hold quoted spaces */
    p = s;
    while (*p) {
        size_t wn = strcspn(p, " \t");
        if (is_key_type(p, wn)) {
            type = p;
            break;
        }
        if (*p == '"' || strchr(p, '"') < p + wn) {
            char *q = strchr(p, '"');
            q = q ? strchr(q + 1, '"') : NULL;
            p = q ? q + 1 : p + wn;
        } else {
            p += wn;
        }
        p += strspn(p, " \t");
    }
    if (!type) {
        cf_load_bad_line(ctx, lineno, "no key type", line, strlen(line));
        return CF_OK;
    }
    tn = strcspn(type, " \t");
    b64 = type + tn;
    b64 += strspn(b64, " \t");
    bn = strcspn(b64, " \t");
    comment = b64 + bn;
    comment += strspn(comment, " \t");
    fingerprint(b64, bn, fp, sizeof(fp));
    common_binds(ctx, st, lineno);
    if ((rc = cf_bind_text(st, 4, hs->user, (size_t)-1, 1)) ||
        (rc = cf_bind_text(st, 5, type, tn, 1)) || (rc = cf_bind_text(st, 6, fp, strlen(fp), 1)) ||
        (rc = cf_bind_text(st, 7, comment, strlen(comment), 1)))
        return rc;
    if (type > s) {
        size_t on = (size_t)(type - s);
        while (on && (s[on - 1] == ' ' || s[on - 1] == '\t'))
            on--;
        if ((rc = cf_bind_text(st, 8, s, on, 1)))
            return rc;
    }
    cf_bind_time(st, 9, ctx->mtime_ns);
    if ((rc = cf_db_step_done(ctx->db, st)))
        return rc;
    ctx->stats->rows++;
    return CF_OK;
}

/* ---- passwd / group ---- */

static int on_passwd(cf_load_ctx *ctx, char *line, size_t len, uint64_t lineno)
{
    host_state *hs = ctx->table_state;
    sqlite3_stmt *st = hs->ins;
    char *f[7];
    size_t nf = 0;
    char *p = line;
    int rc;
    (void)len;
    if (!*line || *line == '#')
        return CF_OK;
    while (nf < 7) {
        f[nf++] = p;
        p = strchr(p, ':');
        if (!p)
            break;
        *p++ = '\0';
    }
    if ((!hs->group && nf < 7) || (hs->group && nf < 3)) {
        cf_load_bad_line(ctx, lineno, hs->group ? "not a group line" : "not a passwd line", line,
                         strlen(line));
        return CF_OK;
    }
    common_binds(ctx, st, lineno);
    sqlite3_bind_text(st, 4, hs->group ? "group" : "passwd", -1, SQLITE_STATIC);
    if ((rc = cf_bind_text(st, 5, f[0], (size_t)-1, 1)))
        return rc;
    if (hs->group) {
        if (all_digits(f[2], strlen(f[2])) && strlen(f[2]) < 10)
            sqlite3_bind_int64(st, 7, strtoll(f[2], NULL, 10));
        if (nf > 3 && (rc = cf_bind_text(st, 11, f[3], (size_t)-1, 1)))
            return rc;
    } else {
        if (all_digits(f[2], strlen(f[2])) && strlen(f[2]) < 10)
            sqlite3_bind_int64(st, 6, strtoll(f[2], NULL, 10));
        if (all_digits(f[3], strlen(f[3])) && strlen(f[3]) < 10)
            sqlite3_bind_int64(st, 7, strtoll(f[3], NULL, 10));
        if ((rc = cf_bind_text(st, 8, f[4], (size_t)-1, 1)) ||
            (rc = cf_bind_text(st, 9, f[5], (size_t)-1, 1)) ||
            (rc = cf_bind_text(st, 10, f[6], (size_t)-1, 1)))
            return rc;
    }
    if ((rc = cf_db_step_done(ctx->db, st)))
        return rc;
    ctx->stats->rows++;
    return CF_OK;
}

/* ---- config lines (rc scripts, ld.so.preload) ---- */

static int on_config(cf_load_ctx *ctx, char *line, size_t len, uint64_t lineno)
{
    host_state *hs = ctx->table_state;
    sqlite3_stmt *st = hs->ins;
    char *s = trim(line);
    int rc;
    (void)len;
    if (!*s || *s == '#')
        return CF_OK;
    common_binds(ctx, st, lineno);
    sqlite3_bind_text(st, 4, hs->kind, -1, SQLITE_STATIC);
    if ((rc = cf_bind_text(st, 5, s, strlen(s), 0)))
        return rc;
    cf_bind_time(st, 6, ctx->mtime_ns);
    if ((rc = cf_db_step_done(ctx->db, st)))
        return rc;
    ctx->stats->rows++;
    return CF_OK;
}

/* ---- bodyfile ---- */

static int on_body(cf_load_ctx *ctx, char *line, size_t len, uint64_t lineno)
{
    host_state *hs = ctx->table_state;
    sqlite3_stmt *st = hs->ins;
    char *f[11];
    char *bar;
    int rc;
    if (len == 0 || line[0] == '#')
        return CF_OK;
    /* md5|name|inode|mode|uid|gid|size|atime|mtime|ctime|crtime; name may contain '|' */
    bar = strchr(line, '|');
    if (!bar)
        goto bad;
    f[0] = line;
    *bar = '\0';
    {
        char *end = line + len;
        for (int i = 10; i >= 2; i--) {
            char *q = end;
            while (q > bar + 1 && q[-1] != '|')
                q--;
            if (q <= bar + 1)
                goto bad;
            f[i] = q;
            q[-1] = '\0';
            end = q - 1;
        }
        f[1] = bar + 1;
    }
    if (ctx->bundle_id)
        sqlite3_bind_int64(st, 1, ctx->bundle_id);
    if ((rc = cf_bind_text(st, 2, f[0], (size_t)-1, 1)) ||
        (rc = cf_bind_text(st, 3, f[1], (size_t)-1, 0)) ||
        (rc = cf_bind_text(st, 4, f[2], (size_t)-1, 1)) ||
        (rc = cf_bind_text(st, 5, f[3], (size_t)-1, 1)))
        return rc;
    for (int i = 4; i <= 6; i++)
        if (all_digits(f[i], strlen(f[i])) && strlen(f[i]) < 19)
            sqlite3_bind_int64(st, i + 2, strtoll(f[i], NULL, 10));
    for (int i = 7; i <= 10; i++) {
        if (all_digits(f[i], strlen(f[i])) && strlen(f[i]) < 12) {
            int64_t ns = epoch_ns(strtoll(f[i], NULL, 10));
            if (ns)
                cf_bind_time(st, i + 2, ns);
        }
    }
    if ((rc = cf_db_step_done(ctx->db, st)))
        return rc;
    ctx->stats->rows++;
    return CF_OK;
bad:
    cf_load_bad_line(ctx, lineno, "not a bodyfile line", line, strlen(line));
    return CF_OK;
}

/* ---- entry points ---- */

static int run(cf_load_ctx *ctx, host_state *hs, const char *sql, cf_line_fn fn)
{
    int rc;
    if ((rc = cf_db_prepare(ctx->db, sql, &hs->ins)))
        goto cleanup;
    ctx->table_state = hs;
    rc = cf_lines_each(ctx, fn);
    ctx->table_state = NULL;
cleanup:
    sqlite3_finalize(hs->ins);
    hs->ins = NULL;
    return rc;
}

static void hs_init(host_state *hs, const cf_load_ctx *ctx)
{
    memset(hs, 0, sizeof(*hs));
    user_from_path(ctx->source, hs->user, sizeof(hs->user));
    cf_buf_init(&hs->unit_exec, 64 * 1024);
    cf_buf_init(&hs->unit_desc, 4096);
    cf_buf_init(&hs->unit_type, 256);
    cf_buf_init(&hs->unit_user, 256);
    cf_buf_init(&hs->unit_wanted, 4096);
}

static void hs_release(host_state *hs)
{
    cf_buf_release(&hs->unit_exec);
    cf_buf_release(&hs->unit_desc);
    cf_buf_release(&hs->unit_type);
    cf_buf_release(&hs->unit_user);
    cf_buf_release(&hs->unit_wanted);
}

int cf_load_history(cf_load_ctx *ctx)
{
    host_state hs;
    int rc;
    hs_init(&hs, ctx);
    rc = run(ctx, &hs,
             "INSERT INTO shell_history(bundle_id, source, line, user, shell, time, command)"
             " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
             on_history);
    hs_release(&hs);
    return rc;
}

int cf_load_crontab(cf_load_ctx *ctx)
{
    host_state hs;
    int rc;
    hs_init(&hs, ctx);
    if (strstr(ctx->source, "/etc/crontab")) {
        hs.group = 1;
        hs.kind = "system";
    } else if (strstr(ctx->source, "/etc/cron.d/")) {
        hs.group = 1;
        hs.kind = "cron.d";
    } else {
        hs.kind = "user";
    }
    rc = run(ctx, &hs,
             "INSERT INTO cron_entries(bundle_id, source, line, kind, user, schedule, command,"
             " mtime) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
             on_cron);
    hs_release(&hs);
    return rc;
}

int cf_load_systemd(cf_load_ctx *ctx)
{
    host_state hs;
    sqlite3_stmt *st = NULL;
    const char *base = strrchr(ctx->source, '/');
    int rc;
    hs_init(&hs, ctx);
    ctx->table_state = &hs;
    rc = cf_lines_each(ctx, on_unit);
    ctx->table_state = NULL;
    if (rc)
        goto cleanup;
    if ((rc = cf_db_prepare(ctx->db,
                            "INSERT INTO systemd_units(bundle_id, source, unit, description, type,"
                            " exec, user, wanted_by, mtime) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
                            " ?9)",
                            &st)))
        goto cleanup;
    common_binds(ctx, st, 0);
    cf_bind_text(st, 3, base ? base + 1 : ctx->source, (size_t)-1, 1);
    cf_bind_text(st, 4, hs.unit_desc.data, hs.unit_desc.len, 1);
    cf_bind_text(st, 5, hs.unit_type.data, hs.unit_type.len, 1);
    cf_bind_text(st, 6, hs.unit_exec.data, hs.unit_exec.len, 1);
    cf_bind_text(st, 7, hs.unit_user.data, hs.unit_user.len, 1);
    cf_bind_text(st, 8, hs.unit_wanted.data, hs.unit_wanted.len, 1);
    cf_bind_time(st, 9, ctx->mtime_ns);
    if ((rc = cf_db_step_done(ctx->db, st)))
        goto cleanup;
    ctx->stats->rows++;
cleanup:
    sqlite3_finalize(st);
    hs_release(&hs);
    return rc;
}

int cf_load_authorized_keys(cf_load_ctx *ctx)
{
    host_state hs;
    int rc;
    hs_init(&hs, ctx);
    rc = run(ctx, &hs,
             "INSERT INTO authorized_keys(bundle_id, source, line, user, key_type, fingerprint,"
             " comment, options, mtime) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
             on_key);
    hs_release(&hs);
    return rc;
}

int cf_load_passwd(cf_load_ctx *ctx, int group)
{
    host_state hs;
    int rc;
    hs_init(&hs, ctx);
    hs.group = group;
    rc = run(ctx, &hs,
             "INSERT INTO accounts(bundle_id, source, line, kind, name, uid, gid, gecos, home,"
             " shell, members) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
             on_passwd);
    hs_release(&hs);
    return rc;
}

int cf_load_config_lines(cf_load_ctx *ctx, const char *kind)
{
    host_state hs;
    int rc;
    hs_init(&hs, ctx);
    hs.kind = kind;
    rc = run(ctx, &hs,
             "INSERT INTO config_entries(bundle_id, source, line, kind, value, mtime)"
             " VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
             on_config);
    hs_release(&hs);
    return rc;
}

int cf_load_bodyfile(cf_load_ctx *ctx)
{
    host_state hs;
    int rc;
    hs_init(&hs, ctx);
    rc = run(ctx, &hs,
             "INSERT INTO bodyfile(bundle_id, md5, name, inode, mode, uid, gid, size, atime, mtime,"
             " ctime, crtime) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
             on_body);
    hs_release(&hs);
    return rc;
}
