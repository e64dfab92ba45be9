/* The SQL rule engine: rules are .sql files with a "-- key: value" header (docs/rules.md). Each
 * rule is one read-only SELECT; each result row is one detection. */
#include "analyze/analyze_internal.h"
#include "common/cf_error.h"
#include "common/cf_fs.h"
#include "common/cf_json.h"
#include "common/cf_time.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef CF_RULES_DIR
#define CF_RULES_DIR "rules/sql"
#endif

#define MAX_RULES          1024
#define MAX_RULE_BYTES     (256u << 10)
#define MAX_ROWS_PER_RULE  5000
#define MAX_EVIDENCE_REFS  200
#define MAX_RULE_DIR_DEPTH 4

typedef struct rule {
    char path[PATH_MAX];
    char id[128];
    char title[256];
    char severity[16];
    char attack[64];
    char phase[48];
    char evidence[512];
    char *sql;
    char error[256];
} rule;

typedef struct rule_set {
    rule *r;
    size_t n;
} rule_set;

static const char *const volatile_tables[] = {"system",
                                              "processes",
                                              "sockets",
                                              "open_files",
                                              "process_maps",
                                              "sessions",
                                              "kernel_modules",
                                              "mounts",
                                              "interfaces",
                                              "routes",
                                              "arp",
                                              "dns",
                                              "case_attacker_ips",
                                              "case_instance_ips",
                                              "case_window",
                                              "evidence",
                                              "anomalies",
                                              NULL};

static char *trim(char *s)
{
    size_t n;
    while (*s == ' ' || *s == '\t')
        s++;
    n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

static int valid_id(const char *id)
{
    if (!*id)
        return 0;
    for (const char *p = id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' ||
              *p == '-'))
            return 0;
    return 1;
}

static int valid_severity(const char *s)
{
    return !strcmp(s, "info") || !strcmp(s, "low") || !strcmp(s, "medium") || !strcmp(s, "high") ||
           !strcmp(s, "critical");
}

/* Parses the header of r->sql into r's fields; r->error says what is wrong. */
static void parse_header(rule *r)
{
    char *copy = strdup(r->sql), *line, *save = NULL;
    if (!copy) {
        snprintf(r->error, sizeof(r->error), "out of memory");
        return;
    }
    for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *l = trim(line), *colon, *k, *v;
        if (strncmp(l, "--", 2))
            break;
        l = trim(l + 2);
        colon = strchr(l, ':');
        if (!colon)
            continue;
        *colon = '\0';
        k = trim(l);
        v = trim(colon + 1);
        if (!strcmp(k, "id"))
            snprintf(r->id, sizeof(r->id), "%s", v);
        else if (!strcmp(k, "title"))
            snprintf(r->title, sizeof(r->title), "%s", v);
        else if (!strcmp(k, "severity"))
            snprintf(r->severity, sizeof(r->severity), "%s", v);
        else if (!strcmp(k, "attack"))
            snprintf(r->attack, sizeof(r->attack), "%s", v);
        else if (!strcmp(k, "phase"))
            snprintf(r->phase, sizeof(r->phase), "%s", v);
        else if (!strcmp(k, "evidence"))
            snprintf(r->evidence, sizeof(r->evidence), "%s", v);
    }
    free(copy);
    if (!valid_id(r->id))
        snprintf(r->error, sizeof(r->error), "missing or invalid '-- id:'");
    else if (!r->title[0])
        snprintf(r->error, sizeof(r->error), "missing '-- title:'");
    else if (!valid_severity(r->severity))
        snprintf(r->error, sizeof(r->error), "severity must be info|low|medium|high|critical");
    else if (!r->attack[0])
        snprintf(r->error, sizeof(r->error), "missing '-- attack:' (MITRE ATT&CK technique)");
    else if (!r->evidence[0])
        snprintf(r->error, sizeof(r->error), "missing '-- evidence:' (tables)");
}

static int is_volatile_rule(const rule *r)
{
    char buf[512], *save = NULL, *t;
    snprintf(buf, sizeof(buf), "%s", r->evidence);
    for (t = strtok_r(buf, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
        int found = 0;
        for (int i = 0; volatile_tables[i]; i++)
            if (!strcmp(volatile_tables[i], t))
                found = 1;
        if (!found)
            return 0;
    }
    return 1;
}

static int add_rule(rule_set *rs, const char *path)
{
    cf_buf b = CF_BUF_INIT(MAX_RULE_BYTES);
    rule r;
    int rc;
    memset(&r, 0, sizeof(r));
    snprintf(r.path, sizeof(r.path), "%s", path);
    if ((rc = cf_fs_read(path, &b))) {
        snprintf(r.error, sizeof(r.error), "%.200s", cf_error_last()->msg);
        r.sql = strdup("");
    } else {
        r.sql = cf_buf_detach(&b, NULL);
    }
    cf_buf_release(&b);
    if (!r.sql)
        return cf_error_set(CF_ENOMEM, "out of memory");
    if (!r.error[0])
        parse_header(&r);
    if (!r.id[0]) {
        /* name the broken rule after its file so it shows in rule_runs */
        const char *base = strrchr(path, '/');
        snprintf(r.id, sizeof(r.id), "file:%.100s", base ? base + 1 : path);
    }
    /* a later rule (a user directory) replaces a rule with the same id */
    for (size_t i = 0; i < rs->n; i++) {
        if (!strcmp(rs->r[i].id, r.id)) {
            free(rs->r[i].sql);
            rs->r[i] = r;
            return CF_OK;
        }
    }
    if (rs->n >= MAX_RULES) {
        free(r.sql);
        return cf_error_set(CF_ETOOBIG, "more than %d rules", MAX_RULES);
    }
    rs->r[rs->n++] = r;
    return CF_OK;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int scan_dir(rule_set *rs, const char *dir, int depth)
{
    DIR *d = NULL;
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = CF_OK;
    if (depth > MAX_RULE_DIR_DEPTH)
        return CF_OK;
    d = opendir(dir);
    if (!d)
        return cf_error_set(CF_EINVAL, "rules directory %s cannot be read", dir);
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        if (n == cap) {
            char **nn = realloc(names, (cap ? cap * 2 : 64) * sizeof(*names));
            if (!nn) {
                rc = cf_error_set(CF_ENOMEM, "out of memory");
                goto cleanup;
            }
            names = nn;
            cap = cap ? cap * 2 : 64;
        }
        names[n] = strdup(de->d_name);
        if (!names[n]) {
            rc = cf_error_set(CF_ENOMEM, "out of memory");
            goto cleanup;
        }
        n++;
    }
    if (n)
        qsort(names, n, sizeof(*names), cmp_str);
    for (size_t i = 0; i < n; i++) {
        char p[PATH_MAX];
        struct stat st;
        size_t l = strlen(names[i]);
        if (cf_fs_join(p, sizeof(p), dir, names[i]) || stat(p, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            rc = scan_dir(rs, p, depth + 1);
        else if (S_ISREG(st.st_mode) && l > 4 && !strcmp(names[i] + l - 4, ".sql"))
            rc = add_rule(rs, p);
        if (rc)
            goto cleanup;
    }
cleanup:
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    if (d)
        closedir(d);
    return rc;
}

static json_t *column_json(sqlite3_stmt *st, int i)
{
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_INTEGER:
        return json_integer(sqlite3_column_int64(st, i));
    case SQLITE_FLOAT:
        return json_real(sqlite3_column_double(st, i));
    case SQLITE_NULL:
        return json_null();
    default: {
        const char *t = (const char *)sqlite3_column_text(st, i);
        int n = sqlite3_column_bytes(st, i);
        if (n > 4096)
            n = 4096; /* entities name things; they are not dumps */
        return cf_json_string_lossy(t ? t : "", (size_t)n);
    }
    }
}

/* Builds the evidence array from the rule's `evidence` column (a JSON array of "table:rowid"
 * strings, or one such string). */
static char *evidence_text(const char *txt)
{
    json_t *in = NULL, *out = json_array();
    char *s = NULL;
    if (!out)
        return NULL;
    if (txt && cf_json_parse(txt, strlen(txt), &in) == CF_OK && json_is_array(in)) {
        size_t i;
        json_t *e;
        json_array_foreach(in, i, e)
        {
            if (json_array_size(out) >= MAX_EVIDENCE_REFS)
                break;
            if (json_is_string(e))
                json_array_append(out, e);
        }
    } else if (txt && *txt) {
        json_array_append_new(out,
                              cf_json_string_lossy(txt, strlen(txt) > 256 ? 256 : strlen(txt)));
    }
    s = json_dumps(out, JSON_COMPACT);
    json_decref(in);
    json_decref(out);
    return s;
}

/* When a rule gives no time: when the first evidence row was collected (its bundle's started_at,
 * else the time it was loaded). */
static int evidence_time(sqlite3 *db, const char *ev, char out[CF_TIME_STR_MAX])
{
    json_t *arr = NULL;
    const char *ref;
    char table[65], sql[160];
    sqlite3_stmt *st = NULL;
    int64_t bundle = 0, ns;
    int found = 0;
    size_t n;
    if (!ev || cf_json_parse(ev, strlen(ev), &arr) != CF_OK)
        goto cleanup;
    ref = json_string_value(json_array_get(arr, 0));
    if (!ref || (n = strcspn(ref, ":")) == 0 || n >= sizeof(table) || ref[n] != ':')
        goto cleanup;
    for (size_t i = 0; i < n; i++)
        if (!((ref[i] >= 'a' && ref[i] <= 'z') || (ref[i] >= '0' && ref[i] <= '9') ||
              ref[i] == '_'))
            goto cleanup;
    memcpy(table, ref, n);
    table[n] = '\0';
    snprintf(sql, sizeof(sql), "SELECT bundle_id FROM \"%s\" WHERE rowid = ?1", table);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        goto cleanup;
    sqlite3_bind_int64(st, 1, strtoll(ref + n + 1, NULL, 10));
    if (sqlite3_step(st) == SQLITE_ROW)
        bundle = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    st = NULL;
    if (!bundle || sqlite3_prepare_v2(db,
                                      "SELECT coalesce(json_extract(manifest, '$.started_at'),"
                                      " loaded_at) FROM bundles WHERE id = ?1",
                                      -1, &st, NULL) != SQLITE_OK)
        goto cleanup;
    sqlite3_bind_int64(st, 1, bundle);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) &&
        cf_time_parse_checked((const char *)sqlite3_column_text(st, 0), &ns) == CF_OK) {
        cf_time_format(ns, out);
        found = 1;
    }
cleanup:
    sqlite3_finalize(st);
    json_decref(arr);
    return found;
}

static int run_rule(sqlite3 *db, rule *r, sqlite3_stmt *ins, int64_t *rows_out)
{
    sqlite3_stmt *st = NULL;
    const char *tail = NULL;
    int64_t rows = 0;
    int rc = CF_OK, sr;
    *rows_out = 0;
    if (sqlite3_prepare_v2(db, r->sql, -1, &st, &tail) != SQLITE_OK) {
        snprintf(r->error, sizeof(r->error), "%s", sqlite3_errmsg(db));
        goto cleanup;
    }
    if (!st) {
        snprintf(r->error, sizeof(r->error), "no SQL statement");
        goto cleanup;
    }
    while (tail &&
           (*tail == ' ' || *tail == '\n' || *tail == '\t' || *tail == '\r' || *tail == ';'))
        tail++;
    if (tail && *tail && strncmp(tail, "--", 2)) {
        snprintf(r->error, sizeof(r->error), "a rule is exactly one SELECT statement");
        goto cleanup;
    }
    if (!sqlite3_stmt_readonly(st)) {
        snprintf(r->error, sizeof(r->error), "a rule must not modify the database");
        goto cleanup;
    }
    while ((sr = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *entity = json_object();
        char *ent = NULL, *ev = NULL;
        const char *time_txt = NULL;
        char tbuf[CF_TIME_STR_MAX];
        int ncol = sqlite3_column_count(st);
        if (!entity) {
            rc = cf_error_set(CF_ENOMEM, "out of memory");
            goto cleanup;
        }
        for (int i = 0; i < ncol; i++) {
            const char *name = sqlite3_column_name(st, i);
            if (!name)
                continue;
            if (!strcmp(name, "time")) {
                const char *t = (const char *)sqlite3_column_text(st, i);
                int64_t ns;
                if (t && strlen(t) < 64 && cf_time_parse_checked(t, &ns) == CF_OK) {
                    cf_time_format(ns, tbuf);
                    time_txt = tbuf;
                }
            } else if (!strcmp(name, "evidence")) {
                ev = evidence_text((const char *)sqlite3_column_text(st, i));
            } else if (name[0] != '_') {
                json_object_set_new(entity, name, column_json(st, i));
            }
        }
        ent = json_dumps(entity, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(entity);
        if (!ent) {
            free(ev);
            rc = cf_error_set(CF_ENOMEM, "out of memory");
            goto cleanup;
        }
        sqlite3_bind_text(ins, 1, r->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 2, r->title, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 3, r->severity, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 4, r->attack, -1, SQLITE_STATIC);
        if (!time_txt && evidence_time(db, ev, tbuf))
            time_txt = tbuf;
        if (time_txt)
            sqlite3_bind_text(ins, 5, time_txt, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 6, ent, -1, free);
        if (ev)
            sqlite3_bind_text(ins, 7, ev, -1, free);
        else
            sqlite3_bind_text(ins, 7, "[]", -1, SQLITE_STATIC);
        if ((rc = cf_db_step_done(db, ins)))
            goto cleanup;
        if (++rows >= MAX_ROWS_PER_RULE) {
            snprintf(r->error, sizeof(r->error), "stopped after %d rows", MAX_ROWS_PER_RULE);
            break;
        }
    }
    if (sr != SQLITE_ROW && sr != SQLITE_DONE)
        snprintf(r->error, sizeof(r->error), "%s", sqlite3_errmsg(db));
cleanup:
    sqlite3_finalize(st);
    *rows_out = rows;
    return rc;
}

static const char *rules_dir(const cf_analyze_opts *opts)
{
    const char *env = getenv("CASEFILE_RULES_DIR");
    if (opts && opts->builtin_rules)
        return opts->builtin_rules;
    if (env && *env)
        return env;
    return CF_RULES_DIR;
}

int cf_analyze_set_context(cf_case *c)
{
    sqlite3 *db = cf_case_db(c);
    char *ips = NULL, *iips = NULL, *ws = NULL, *we = NULL;
    sqlite3_stmt *st = NULL;
    int rc;
    const char *keys[2] = {"attacker_ips", "instance_ips"};
    const char *tables[2] = {"case_attacker_ips", "case_instance_ips"};
    char **vals[2] = {&ips, &iips};
    if ((rc = cf_analyze_prepare(c)))
        goto cleanup;
    for (int k = 0; k < 2; k++) {
        json_t *arr = NULL;
        char sql[128];
        if ((rc = cf_case_info_get(c, keys[k], vals[k])))
            goto cleanup;
        snprintf(sql, sizeof(sql), "DELETE FROM %s", tables[k]);
        if ((rc = cf_db_exec(db, sql)))
            goto cleanup;
        if (!*vals[k] || cf_json_parse(*vals[k], strlen(*vals[k]), &arr) != CF_OK)
            continue;
        snprintf(sql, sizeof(sql), "INSERT OR IGNORE INTO %s(ip) VALUES(?1)", tables[k]);
        if ((rc = cf_db_prepare(db, sql, &st))) {
            json_decref(arr);
            goto cleanup;
        }
        for (size_t i = 0; json_is_array(arr) && i < json_array_size(arr) && i < 4096; i++) {
            const char *ip = json_string_value(json_array_get(arr, i));
            size_t n;
            if (!ip)
                continue;
            n = strlen(ip);
            /* "203.0.113.7/32" names one address */
            if (n > 3 && !strcmp(ip + n - 3, "/32"))
                n -= 3;
            else if (n > 4 && !strcmp(ip + n - 4, "/128"))
                n -= 4;
            cf_bind_text(st, 1, ip, n, 1);
            cf_db_step_done(db, st);
        }
        sqlite3_finalize(st);
        st = NULL;
        json_decref(arr);
    }
    if ((rc = cf_case_info_get(c, "window_start", &ws)) ||
        (rc = cf_case_info_get(c, "window_end", &we)))
        goto cleanup;
    if ((rc = cf_db_exec(db, "DELETE FROM case_window")))
        goto cleanup;
    if ((rc = cf_db_prepare(db, "INSERT INTO case_window(start, \"end\") VALUES(?1, ?2)", &st)))
        goto cleanup;
    {
        int64_t ns;
        char *v[2] = {ws, we};
        for (int i = 0; i < 2; i++)
            if (v[i] && strlen(v[i]) < 64 && cf_time_parse_checked(v[i], &ns) == CF_OK)
                cf_bind_time(st, i + 1, ns);
    }
    rc = cf_db_step_done(db, st);
cleanup:
    sqlite3_finalize(st);
    free(ips);
    free(iips);
    free(ws);
    free(we);
    return rc;
}

/* Indexes the rules' joins rely on (built once; cheap to check afterwards). */
static const char *const rule_indexes =
    "CREATE INDEX IF NOT EXISTS auth_events_ip ON auth_events(src_ip, event, time);"
    "CREATE INDEX IF NOT EXISTS processes_pid ON processes(bundle_id, pid);"
    "CREATE INDEX IF NOT EXISTS cloudtrail_events_key ON cloudtrail_events(access_key_id, time);";

int cf_analyze_run_rules(cf_case *c, const cf_analyze_opts *opts, int64_t *n_detections)
{
    sqlite3 *db = cf_case_db(c);
    rule_set rs = {NULL, 0};
    sqlite3_stmt *ins = NULL, *run = NULL, *cnt = NULL;
    int rc, in_tx = 0;
    if ((rc = cf_analyze_set_context(c)) || (rc = cf_db_exec(db, rule_indexes)))
        goto cleanup;
    /* rules scan big tables: map the file instead of copying it through read() */
    sqlite3_exec(db, "PRAGMA mmap_size=2147483648", NULL, NULL, NULL);
    rs.r = calloc(MAX_RULES, sizeof(rule));
    if (!rs.r) {
        rc = cf_error_set(CF_ENOMEM, "out of memory");
        goto cleanup;
    }
    if ((rc = scan_dir(&rs, rules_dir(opts), 0)))
        goto cleanup;
    for (size_t i = 0; opts && i < opts->n_rule_dirs; i++)
        if ((rc = scan_dir(&rs, opts->rule_dirs[i], 0)))
            goto cleanup;
    if ((rc = cf_db_prepare(db,
                            "INSERT INTO detections(rule_id, title, severity, attack, time, entity,"
                            " evidence) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(rule_id,"
                            " entity) DO UPDATE SET title=excluded.title,"
                            " severity=excluded.severity, attack=excluded.attack,"
                            " time=excluded.time, evidence=excluded.evidence",
                            &ins)) ||
        (rc = cf_db_prepare(db,
                            "INSERT INTO rule_runs(rule_id, path, title, severity, attack, phase,"
                            " evidence_tables, status, error, rows, duration_ms, ran_at)"
                            " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
                            " ON CONFLICT(rule_id) DO UPDATE SET path=excluded.path,"
                            " title=excluded.title, severity=excluded.severity,"
                            " attack=excluded.attack, phase=excluded.phase,"
                            " evidence_tables=excluded.evidence_tables, status=excluded.status,"
                            " error=excluded.error, rows=excluded.rows,"
                            " duration_ms=excluded.duration_ms, ran_at=excluded.ran_at",
                            &run)))
        goto cleanup;
    if ((rc = cf_case_begin(c)))
        goto cleanup;
    in_tx = 1;
    for (size_t i = 0; i < rs.n; i++) {
        rule *r = &rs.r[i];
        int64_t rows = 0, t0 = cf_time_monotonic();
        char now[CF_TIME_STR_MAX];
        const char *status;
        if (opts && opts->volatile_only && (r->error[0] || !is_volatile_rule(r)))
            continue;
        if (!r->error[0] && (rc = run_rule(db, r, ins, &rows)))
            goto cleanup;
        status = r->error[0] ? (rows ? "partial" : "error") : "ok";
        cf_time_format(cf_time_now(), now);
        sqlite3_bind_text(run, 1, r->id, -1, SQLITE_STATIC);
        cf_bind_text(run, 2, r->path, (size_t)-1, 1);
        cf_bind_text(run, 3, r->title, (size_t)-1, 1);
        cf_bind_text(run, 4, r->severity, (size_t)-1, 1);
        cf_bind_text(run, 5, r->attack, (size_t)-1, 1);
        cf_bind_text(run, 6, r->phase, (size_t)-1, 1);
        cf_bind_text(run, 7, r->evidence, (size_t)-1, 1);
        sqlite3_bind_text(run, 8, status, -1, SQLITE_STATIC);
        cf_bind_text(run, 9, r->error, (size_t)-1, 1);
        sqlite3_bind_int64(run, 10, rows);
        sqlite3_bind_double(run, 11, (double)(cf_time_monotonic() - t0) / 1e6);
        sqlite3_bind_text(run, 12, now, -1, SQLITE_TRANSIENT);
        if ((rc = cf_db_step_done(db, run)))
            goto cleanup;
    }
    if ((rc = cf_case_commit(c)))
        goto cleanup;
    in_tx = 0;
    if (n_detections) {
        *n_detections = 0;
        if ((rc = cf_db_prepare(db, "SELECT count(*) FROM detections", &cnt)))
            goto cleanup;
        if (sqlite3_step(cnt) == SQLITE_ROW)
            *n_detections = sqlite3_column_int64(cnt, 0);
    }
cleanup:
    if (in_tx)
        cf_case_rollback(c);
    sqlite3_finalize(ins);
    sqlite3_finalize(run);
    sqlite3_finalize(cnt);
    for (size_t i = 0; rs.r && i < rs.n; i++)
        free(rs.r[i].sql);
    free(rs.r);
    return rc;
}
