#include "case/cf_case.h"
#include "common/cf_error.h"
#include "common/cf_fs.h"
#include "common/cf_time.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cf_case {
    sqlite3 *db;
    char dir[PATH_MAX];
};

static const char *const core_schema =
    /* 16 KiB pages (only takes effect when the file is created): a quarter of the page writes of
     * the default 4 KiB for the analysis's bulk loads (millions of log rows) */
    "PRAGMA page_size=16384;"
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=NORMAL;"
    "PRAGMA foreign_keys=ON;"
    "CREATE TABLE IF NOT EXISTS case_info(key TEXT PRIMARY KEY, value TEXT);"
    "CREATE TABLE IF NOT EXISTS steps(name TEXT PRIMARY KEY, status TEXT NOT NULL,"
    " attempts INTEGER NOT NULL DEFAULT 0, started_at TEXT, finished_at TEXT, duration_ms INTEGER,"
    " output TEXT, error TEXT);"
    "CREATE TABLE IF NOT EXISTS actions(id INTEGER PRIMARY KEY, step TEXT NOT NULL,"
    " idem_key TEXT NOT NULL UNIQUE, time TEXT NOT NULL, call TEXT NOT NULL, target TEXT,"
    " params TEXT, request_id TEXT, result TEXT NOT NULL, detail TEXT);"
    "CREATE TABLE IF NOT EXISTS evidence(id INTEGER PRIMARY KEY, bundle TEXT, kind TEXT,"
    " path TEXT NOT NULL, sha256 TEXT, bytes INTEGER, s3_uri TEXT, verified INTEGER, detail TEXT,"
    " UNIQUE(bundle, path));"
    "CREATE TABLE IF NOT EXISTS detections(id INTEGER PRIMARY KEY, rule_id TEXT NOT NULL,"
    " title TEXT, severity TEXT, attack TEXT, time TEXT, entity TEXT NOT NULL, evidence TEXT,"
    " UNIQUE(rule_id, entity));"
    "CREATE TABLE IF NOT EXISTS timeline(id INTEGER PRIMARY KEY, time TEXT NOT NULL,"
    " source TEXT NOT NULL, kind TEXT, summary TEXT, ref_table TEXT, ref_id INTEGER);"
    "CREATE INDEX IF NOT EXISTS timeline_time ON timeline(time);"
    "CREATE TABLE IF NOT EXISTS bundles(id INTEGER PRIMARY KEY, kind TEXT, case_id TEXT,"
    " instance_id TEXT, path TEXT, manifest_sha256 TEXT UNIQUE, loaded_at TEXT, manifest TEXT);";

static int db_error(cf_case *c, const char *what)
{
    return cf_error_set(CF_EIO, "%s: %s (case.db in %s)", what, sqlite3_errmsg(c->db), c->dir);
}

int cf_case_open(cf_case **out, const char *dir)
{
    cf_case *c = NULL;
    char path[PATH_MAX];
    int rc;
    *out = NULL;
    if ((rc = cf_fs_mkdirs(dir, 0750)))
        goto cleanup;
    if ((rc = cf_fs_join(path, sizeof(path), dir, "case.db")))
        goto cleanup;
    c = calloc(1, sizeof(*c));
    if (!c) {
        rc = cf_error_set(CF_ENOMEM, "out of memory");
        goto cleanup;
    }
    snprintf(c->dir, sizeof(c->dir), "%s", dir);
    if (sqlite3_open_v2(path, &c->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        NULL) != SQLITE_OK) {
        rc = c->db ? db_error(c, "open") : cf_error_set(CF_ENOMEM, "sqlite3_open_v2");
        goto cleanup;
    }
    sqlite3_busy_timeout(c->db, 10000);
    if ((rc = cf_case_exec(c, core_schema)))
        goto cleanup;
    *out = c;
    c = NULL;
cleanup:
    cf_case_free(c);
    return rc;
}

void cf_case_free(cf_case *c)
{
    if (!c)
        return;
    sqlite3_close(c->db);
    free(c);
}

sqlite3 *cf_case_db(cf_case *c)
{
    return c->db;
}

const char *cf_case_dir(const cf_case *c)
{
    return c->dir;
}

int cf_case_exec(cf_case *c, const char *sql)
{
    char *msg = NULL;
    int rc = CF_OK;
    if (sqlite3_exec(c->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        rc = cf_error_set(CF_EIO, "SQL failed: %s", msg ? msg : sqlite3_errmsg(c->db));
        sqlite3_free(msg);
    }
    return rc;
}

int cf_case_begin(cf_case *c)
{
    return cf_case_exec(c, "BEGIN IMMEDIATE");
}

int cf_case_commit(cf_case *c)
{
    return cf_case_exec(c, "COMMIT");
}

void cf_case_rollback(cf_case *c)
{
    sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Prepares sql and binds the NULL-terminated text parameters in order (NULL binds SQL NULL). */
static int prepare(cf_case *c, sqlite3_stmt **st, const char *sql, int n, const char *const *args)
{
    if (sqlite3_prepare_v2(c->db, sql, -1, st, NULL) != SQLITE_OK)
        return db_error(c, "prepare");
    for (int i = 0; i < n; i++) {
        int r = args[i] ? sqlite3_bind_text(*st, i + 1, args[i], -1, SQLITE_TRANSIENT)
                        : sqlite3_bind_null(*st, i + 1);
        if (r != SQLITE_OK)
            return db_error(c, "bind");
    }
    return CF_OK;
}

static int run(cf_case *c, const char *sql, int n, const char *const *args)
{
    sqlite3_stmt *st = NULL;
    int rc = prepare(c, &st, sql, n, args);
    if (!rc && sqlite3_step(st) != SQLITE_DONE)
        rc = db_error(c, "step");
    sqlite3_finalize(st);
    return rc;
}

static char *col_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? strdup((const char *)t) : NULL;
}

int cf_case_info_set(cf_case *c, const char *key, const char *value)
{
    const char *args[] = {key, value};
    return run(c,
               "INSERT INTO case_info(key, value) VALUES(?1, ?2)"
               " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
               2, args);
}

int cf_case_info_get(cf_case *c, const char *key, char **out)
{
    sqlite3_stmt *st = NULL;
    const char *args[] = {key};
    int rc, r;
    *out = NULL;
    if ((rc = prepare(c, &st, "SELECT value FROM case_info WHERE key = ?1", 1, args)))
        goto cleanup;
    r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        *out = col_dup(st, 0);
    else if (r != SQLITE_DONE)
        rc = db_error(c, "read case_info");
cleanup:
    sqlite3_finalize(st);
    return rc;
}

int cf_case_step_get(cf_case *c, const char *name, cf_step_state *out)
{
    sqlite3_stmt *st = NULL;
    const char *args[] = {name};
    int rc, r;
    memset(out, 0, sizeof(*out));
    if ((rc = prepare(c, &st,
                      "SELECT status, attempts, started_at, finished_at, duration_ms, output, error"
                      " FROM steps WHERE name = ?1",
                      1, args)))
        goto cleanup;
    r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        const unsigned char *t;
        snprintf(out->status, sizeof(out->status), "%s", sqlite3_column_text(st, 0));
        out->attempts = sqlite3_column_int(st, 1);
        if ((t = sqlite3_column_text(st, 2)))
            snprintf(out->started_at, sizeof(out->started_at), "%s", t);
        if ((t = sqlite3_column_text(st, 3)))
            snprintf(out->finished_at, sizeof(out->finished_at), "%s", t);
        out->duration_ms = sqlite3_column_int64(st, 4);
        out->output = col_dup(st, 5);
        out->error = col_dup(st, 6);
    } else if (r != SQLITE_DONE) {
        rc = db_error(c, "read steps");
    }
cleanup:
    sqlite3_finalize(st);
    return rc;
}

void cf_step_state_release(cf_step_state *s)
{
    free(s->output);
    free(s->error);
    s->output = NULL;
    s->error = NULL;
}

int cf_case_step_start(cf_case *c, const char *name)
{
    char now[CF_TIME_STR_MAX];
    const char *args[2];
    cf_time_format(cf_time_now(), now);
    args[0] = name;
    args[1] = now;
    return run(c,
               "INSERT INTO steps(name, status, attempts, started_at) VALUES(?1, 'running', 1, ?2)"
               " ON CONFLICT(name) DO UPDATE SET status = 'running', attempts = attempts + 1,"
               " started_at = ?2, finished_at = NULL, duration_ms = NULL, error = NULL",
               2, args);
}

int cf_case_step_finish(cf_case *c, const char *name, const char *status, const char *output,
                        const char *error)
{
    char now[CF_TIME_STR_MAX];
    const char *args[5];
    cf_time_format(cf_time_now(), now);
    args[0] = name;
    args[1] = status;
    args[2] = now;
    args[3] = output;
    args[4] = error;
    return run(c,
               "INSERT INTO steps(name, status, attempts, started_at, finished_at, duration_ms,"
               " output, error) VALUES(?1, ?2, 0, ?3, ?3, 0, ?4, ?5)"
               " ON CONFLICT(name) DO UPDATE SET status = ?2, finished_at = ?3,"
               " duration_ms = CAST(ROUND((julianday(?3) - julianday(started_at)) * 86400000)"
               " AS INTEGER), output = ?4, error = ?5",
               5, args);
}

int cf_case_action_record(cf_case *c, const cf_action *a)
{
    char now[CF_TIME_STR_MAX];
    const char *args[9];
    cf_time_format(cf_time_now(), now);
    args[0] = a->step;
    args[1] = a->idem_key;
    args[2] = now;
    args[3] = a->call;
    args[4] = a->target;
    args[5] = a->params;
    args[6] = a->request_id;
    args[7] = a->result;
    args[8] = a->detail;
    return run(c,
               "INSERT INTO actions(step, idem_key, time, call, target, params, request_id, result,"
               " detail) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
               " ON CONFLICT(idem_key) DO UPDATE SET step = ?1, time = ?3, call = ?4, target = ?5,"
               " params = ?6, request_id = ?7, result = ?8, detail = ?9",
               9, args);
}

int cf_case_action_done(cf_case *c, const char *idem_key, char **detail_out)
{
    sqlite3_stmt *st = NULL;
    const char *args[] = {idem_key};
    int rc, r;
    if (detail_out)
        *detail_out = NULL;
    if ((rc = prepare(
             c, &st,
             "SELECT detail FROM actions WHERE idem_key = ?1 AND result IN ('ok', 'exists')", 1,
             args)))
        goto cleanup;
    r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        rc = 1;
        if (detail_out)
            *detail_out = col_dup(st, 0);
    } else if (r != SQLITE_DONE) {
        rc = db_error(c, "read actions");
    }
cleanup:
    sqlite3_finalize(st);
    return rc;
}
