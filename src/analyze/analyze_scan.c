/* One-pass eponymous virtual tables for bulk loads (see cf_scan_insert in analyze_internal.h).
 * INSERT ... SELECT from such a table runs one statement for a whole file instead of a
 * bind/step/reset round per row (about 20 API calls, each taking the connection's mutex). */
#include "analyze/analyze_internal.h"
#include "common/cf_error.h"

#include <stdio.h>
#include <string.h>

typedef struct scan_vtab {
    sqlite3_vtab base;
    cf_scan_src *src;
} scan_vtab;

typedef struct scan_cursor {
    sqlite3_vtab_cursor base;
    cf_scan_src *src;
    int eof;
    sqlite3_int64 rowid;
} scan_cursor;

static int sv_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out,
                      char **err)
{
    cf_scan_src *src = aux;
    scan_vtab *v;
    char *ddl;
    int rc;
    (void)argc;
    (void)argv;
    (void)err;
    ddl = sqlite3_mprintf("CREATE TABLE x(%s)", src->columns);
    if (!ddl)
        return SQLITE_NOMEM;
    rc = sqlite3_declare_vtab(db, ddl);
    sqlite3_free(ddl);
    if (rc != SQLITE_OK)
        return rc;
    v = sqlite3_malloc(sizeof(*v));
    if (!v)
        return SQLITE_NOMEM;
    memset(v, 0, sizeof(*v));
    v->src = src;
    *out = &v->base;
    return SQLITE_OK;
}

static int sv_disconnect(sqlite3_vtab *v)
{
    sqlite3_free(v);
    return SQLITE_OK;
}

static int sv_best_index(sqlite3_vtab *v, sqlite3_index_info *info)
{
    info->estimatedCost = 1e9;
    info->estimatedRows = ((scan_vtab *)v)->src->est_rows;
    return SQLITE_OK;
}

static int sv_open(sqlite3_vtab *v, sqlite3_vtab_cursor **out)
{
    scan_cursor *c = sqlite3_malloc(sizeof(*c));
    if (!c)
        return SQLITE_NOMEM;
    memset(c, 0, sizeof(*c));
    c->src = ((scan_vtab *)v)->src;
    *out = &c->base;
    return SQLITE_OK;
}

static int sv_close(sqlite3_vtab_cursor *cur)
{
    sqlite3_free(cur);
    return SQLITE_OK;
}

static int sv_fail(sqlite3_vtab_cursor *cur, const char *msg)
{
    sqlite3_free(cur->pVtab->zErrMsg);
    cur->pVtab->zErrMsg = sqlite3_mprintf("%s", msg);
    return SQLITE_ERROR;
}

static int sv_next(sqlite3_vtab_cursor *cur)
{
    scan_cursor *c = (scan_cursor *)cur;
    int r = c->src->next(c->src->state, &c->rowid);
    if (r == 1)
        return SQLITE_OK;
    if (r == 0) {
        c->eof = 1;
        return SQLITE_OK;
    }
    c->src->err = r;
    return sv_fail(cur, cf_error_last()->msg);
}

static int sv_filter(sqlite3_vtab_cursor *cur, int idx, const char *idx_str, int argc,
                     sqlite3_value **argv)
{
    scan_cursor *c = (scan_cursor *)cur;
    char msg[128];
    (void)idx;
    (void)idx_str;
    (void)argc;
    (void)argv;
    if (c->src->scanned) {
        snprintf(msg, sizeof(msg), "%s is read once", c->src->name);
        return sv_fail(cur, msg);
    }
    c->src->scanned = 1;
    return sv_next(cur);
}

static int sv_eof(sqlite3_vtab_cursor *cur)
{
    return ((scan_cursor *)cur)->eof;
}

static int sv_column(sqlite3_vtab_cursor *cur, sqlite3_context *cx, int i)
{
    cf_scan_src *src = ((scan_cursor *)cur)->src;
    return src->column(src->state, cx, i);
}

static int sv_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid)
{
    *rowid = ((scan_cursor *)cur)->rowid;
    return SQLITE_OK;
}

static const sqlite3_module scan_module = {
    .iVersion = 0,
    .xCreate = NULL, /* eponymous only: never in the schema */
    .xConnect = sv_connect,
    .xBestIndex = sv_best_index,
    .xDisconnect = sv_disconnect,
    .xDestroy = sv_disconnect,
    .xOpen = sv_open,
    .xClose = sv_close,
    .xFilter = sv_filter,
    .xNext = sv_next,
    .xEof = sv_eof,
    .xColumn = sv_column,
    .xRowid = sv_rowid,
};

int cf_scan_insert(sqlite3 *db, const char *verb, const char *table, cf_scan_src *src)
{
    sqlite3_stmt *st = NULL;
    char *sql = NULL;
    char what[128];
    int rc = CF_OK;
    src->err = CF_OK;
    src->scanned = 0;
    if (sqlite3_create_module_v2(db, src->name, &scan_module, src, NULL) != SQLITE_OK) {
        snprintf(what, sizeof(what), "register %s", src->name);
        rc = cf_db_err(db, what);
        goto cleanup;
    }
    sql = sqlite3_mprintf("%s INTO %s(%s) SELECT %s FROM %s", verb, table, src->columns,
                          src->columns, src->name);
    if (!sql) {
        rc = cf_error_set(CF_ENOMEM, "out of memory");
        goto cleanup;
    }
    if ((rc = cf_db_prepare(db, sql, &st)))
        goto cleanup;
    if (sqlite3_step(st) != SQLITE_DONE) {
        snprintf(what, sizeof(what), "load %s", table);
        rc = src->err ? src->err : cf_db_err(db, what);
    }
cleanup:
    sqlite3_finalize(st);
    sqlite3_free(sql);
    sqlite3_create_module_v2(db, src->name, NULL, NULL, NULL); /* unregister */
    return rc;
}
