/* Generic JSON Lines loader: one table per file, one column per key seen (added on the fly), so a
 * new key in a collector never breaks loading. Arrays and objects are stored as JSON text,
 * booleans as 0/1, times (keys time, *_time, *_at, atime/mtime/ctime/crtime) normalised to
 * RFC 3339 UTC with microseconds. */
#include "analyze/analyze_internal.h"
#include "common/cf_error.h"
#include "common/cf_json.h"
#include "common/cf_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NAME 64

typedef struct jtable {
    char name[MAX_NAME];
    char *cols[CF_ANALYZE_MAX_COLUMNS];
    size_t ncols;
    sqlite3_stmt *ins;
    int dropped_keys; /* keys past CF_ANALYZE_MAX_COLUMNS */
} jtable;

/* Keeps [a-z0-9_] (lower-cased), max MAX_NAME-1; "" when nothing is left. */
static void sanitize(char *out, const char *in, size_t inlen)
{
    size_t o = 0;
    for (size_t i = 0; i < inlen && o + 1 < MAX_NAME; i++) {
        unsigned char ch = (unsigned char)in[i];
        if (ch >= 'A' && ch <= 'Z')
            ch = (unsigned char)(ch - 'A' + 'a');
        if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_')
            out[o++] = (char)ch;
        else if (o && out[o - 1] != '_')
            out[o++] = '_';
    }
    out[o] = '\0';
    if (o && out[0] >= '0' && out[0] <= '9') {
        /* identifiers start with a letter */
        if (o + 1 < MAX_NAME) {
            memmove(out + 1, out, o + 1);
            out[0] = 'c';
        }
    }
}

static int is_time_key(const char *k)
{
    size_t n = strlen(k);
    if (!strcmp(k, "time") || !strcmp(k, "atime") || !strcmp(k, "mtime") || !strcmp(k, "ctime") ||
        !strcmp(k, "crtime"))
        return 1;
    return (n > 5 && !strcmp(k + n - 5, "_time")) || (n > 3 && !strcmp(k + n - 3, "_at"));
}

static int load_columns(sqlite3 *db, jtable *t)
{
    sqlite3_stmt *st = NULL;
    int rc = CF_OK;
    if ((rc = cf_db_prepare(db, "SELECT name FROM pragma_table_info(?1)", &st)))
        return rc;
    sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *n = (const char *)sqlite3_column_text(st, 0);
        if (!n || !strcmp(n, "bundle_id") || t->ncols >= CF_ANALYZE_MAX_COLUMNS)
            continue;
        t->cols[t->ncols] = strdup(n);
        if (!t->cols[t->ncols]) {
            rc = cf_error_set(CF_ENOMEM, "out of memory");
            break;
        }
        t->ncols++;
    }
    sqlite3_finalize(st);
    return rc;
}

static int build_insert(sqlite3 *db, jtable *t)
{
    cf_buf sql = CF_BUF_INIT(1 << 20);
    int rc = CF_OK;
    sqlite3_finalize(t->ins);
    t->ins = NULL;
    rc = cf_buf_addf(&sql, "INSERT INTO \"%s\"(bundle_id", t->name);
    for (size_t i = 0; i < t->ncols && !rc; i++)
        rc = cf_buf_addf(&sql, ", \"%s\"", t->cols[i]);
    if (!rc)
        rc = cf_buf_addstr(&sql, ") VALUES(?1");
    for (size_t i = 0; i < t->ncols && !rc; i++)
        rc = cf_buf_addf(&sql, ", ?%zu", i + 2);
    if (!rc)
        rc = cf_buf_addch(&sql, ')');
    if (!rc)
        rc = cf_db_prepare(db, cf_buf_cstr(&sql), &t->ins);
    cf_buf_release(&sql);
    return rc;
}

static int find_col(const jtable *t, const char *name)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (!strcmp(t->cols[i], name))
            return (int)i;
    return -1;
}

static int add_col(sqlite3 *db, jtable *t, const char *name, int *idx)
{
    char sql[256];
    int rc;
    *idx = -1;
    if (t->ncols >= CF_ANALYZE_MAX_COLUMNS) {
        t->dropped_keys++;
        return CF_OK;
    }
    snprintf(sql, sizeof(sql), "ALTER TABLE \"%s\" ADD COLUMN \"%s\"", t->name, name);
    if ((rc = cf_db_exec(db, sql)))
        return rc;
    t->cols[t->ncols] = strdup(name);
    if (!t->cols[t->ncols])
        return cf_error_set(CF_ENOMEM, "out of memory");
    *idx = (int)t->ncols++;
    return build_insert(db, t);
}

static int bind_value(sqlite3_stmt *st, int idx, const char *key, json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_STRING: {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        int64_t ns;
        if (is_time_key(key) && n < 64 && cf_time_parse_checked(s, &ns) == CF_OK)
            return cf_bind_time(st, idx, ns);
        return cf_bind_text(st, idx, s, n, 0);
    }
    case JSON_INTEGER:
        sqlite3_bind_int64(st, idx, json_integer_value(v));
        return CF_OK;
    case JSON_REAL:
        sqlite3_bind_double(st, idx, json_real_value(v));
        return CF_OK;
    case JSON_TRUE:
        sqlite3_bind_int(st, idx, 1);
        return CF_OK;
    case JSON_FALSE:
        sqlite3_bind_int(st, idx, 0);
        return CF_OK;
    case JSON_NULL:
        sqlite3_bind_null(st, idx);
        return CF_OK;
    default: {
        char *txt = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII);
        int r;
        if (!txt)
            return cf_error_set(CF_ENOMEM, "json_dumps");
        r = sqlite3_bind_text(st, idx, txt, -1, free);
        return r == SQLITE_OK ? CF_OK : CF_EIO;
    }
    }
}

static int on_line(cf_load_ctx *ctx, char *line, size_t len, uint64_t lineno)
{
    jtable *t = (jtable *)ctx->table_state;
    json_t *obj = NULL;
    const char *key;
    json_t *v;
    int rc = CF_OK;
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    if (i == len)
        return CF_OK;
    if (cf_json_parse(line, len, &obj) != CF_OK || !json_is_object(obj)) {
        cf_load_bad_line(ctx, lineno, "not a JSON object", line, len);
        goto cleanup;
    }
    /* new keys first (ALTER TABLE re-prepares the statement) */
    json_object_foreach(obj, key, v)
    {
        char col[MAX_NAME];
        int idx;
        sanitize(col, key, strlen(key));
        if (!col[0] || !strcmp(col, "bundle_id") || find_col(t, col) >= 0)
            continue;
        if ((rc = add_col(ctx->db, t, col, &idx)))
            goto cleanup;
    }
    if (!t->ins && (rc = build_insert(ctx->db, t)))
        goto cleanup;
    if (ctx->bundle_id)
        sqlite3_bind_int64(t->ins, 1, ctx->bundle_id);
    json_object_foreach(obj, key, v)
    {
        char col[MAX_NAME];
        int idx;
        sanitize(col, key, strlen(key));
        idx = col[0] ? find_col(t, col) : -1;
        if (idx < 0)
            continue;
        if ((rc = bind_value(t->ins, idx + 2, col, v)))
            goto cleanup;
    }
    if ((rc = cf_db_step_done(ctx->db, t->ins)))
        goto cleanup;
    ctx->stats->rows++;
cleanup:
    json_decref(obj);
    return rc;
}

int cf_load_jsonl(cf_load_ctx *ctx)
{
    jtable t;
    const char *base;
    char name[MAX_NAME];
    char sql[256];
    int rc = CF_OK;
    memset(&t, 0, sizeof(t));
    if (ctx->table) {
        snprintf(name, sizeof(name), "%s", ctx->table);
    } else {
        const char *dot;
        base = strrchr(ctx->source, '/');
        base = base ? base + 1 : ctx->source;
        dot = strstr(base, ".jsonl");
        sanitize(name, base, dot ? (size_t)(dot - base) : strlen(base));
    }
    if (!name[0] || cf_analyze_reserved_table(name)) {
        char tmp[MAX_NAME + 8];
        snprintf(tmp, sizeof(tmp), "bundle_%s", name[0] ? name : "table");
        sanitize(name, tmp, strlen(tmp));
    }
    snprintf(t.name, sizeof(t.name), "%s", name);
    snprintf(sql, sizeof(sql), "CREATE TABLE IF NOT EXISTS \"%s\"(bundle_id INTEGER)", t.name);
    if ((rc = cf_db_exec(ctx->db, sql)))
        goto cleanup;
    if ((rc = load_columns(ctx->db, &t)))
        goto cleanup;
    ctx->table_state = &t;
    rc = cf_lines_each(ctx, on_line);
    ctx->table_state = NULL;
    if (!rc && t.dropped_keys)
        cf_load_bad_line(ctx, 0, "keys past the column limit were dropped", t.name, strlen(t.name));
cleanup:
    sqlite3_finalize(t.ins);
    for (size_t i = 0; i < t.ncols; i++)
        free(t.cols[i]);
    return rc;
}
