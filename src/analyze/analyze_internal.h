/* Internal to src/analyze: the load context, the bounded line reader and small helpers. */
#ifndef CF_ANALYZE_INTERNAL_H
#define CF_ANALYZE_INTERNAL_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "analyze/cf_analyze.h"
#include "common/cf_buf.h"
#include "common/cf_utf8.h" /* cf_utf8_valid, cf_utf8_lossy */

#define CF_LOAD_ERRORS_PER_FILE 200 /* load_errors rows kept per file */

/* One file being loaded. */
typedef struct cf_load_ctx {
    cf_case *c;
    sqlite3 *db;
    int64_t bundle_id;  /* 0 outside a bundle */
    const char *path;   /* local file to read */
    const char *source; /* what to call it in tables: original host path or given path */
    const char *table;  /* generic JSONL: target table name (NULL: from the file name) */
    const cf_analyze_opts *opts;
    cf_analyze_stats *stats;
    int year;             /* syslog lines without a year */
    int64_t mtime_ns;     /* the file's mtime on the host when known (files table), else 0 */
    uint64_t errors_kept; /* load_errors rows written for this file */
    void *table_state;    /* loader-private */
} cf_load_ctx;

/* Calls fn for every line of path (gzip detected by magic, decompression bounded by
 * CF_ANALYZE_MAX_FILE and CF_ANALYZE_GZ_MAX_RATIO). The line is NUL-terminated and writable,
 * without its '\n' or '\r'; lines past CF_ANALYZE_MAX_LINE are truncated (ctx->stats->truncated).
 * fn returns 0 to go on, or a negative CF_E* code to stop. */
typedef int (*cf_line_fn)(cf_load_ctx *ctx, char *line, size_t len, uint64_t lineno);
int cf_lines_each(cf_load_ctx *ctx, cf_line_fn fn);
/* The same lines, pulled one at a time: cf_lines_next returns 1 with a line (valid until the
 * next call), 0 at the end, or a negative CF_E* code. */
typedef struct cf_lines_iter cf_lines_iter;
int cf_lines_open(cf_load_ctx *ctx, cf_lines_iter **out);
int cf_lines_next(cf_lines_iter *it, char **line, size_t *len, uint64_t *lineno);
void cf_lines_close(cf_lines_iter *it);
/* Reads a whole file (gzip-aware, bounded by out->max). */
int cf_read_all(const char *path, cf_buf *out);
/* First up to cap bytes (decompressed when gzip). */
int cf_read_head(const char *path, char *buf, size_t cap, size_t *len_out);

/* Binds text that may hold invalid UTF-8 (replaced by U+FFFD) or NUL bytes. len (size_t)-1:
 * strlen. NULL or empty binds NULL when empty_null. */
int cf_bind_text(sqlite3_stmt *st, int idx, const char *s, size_t len, int empty_null);
/* cf_bind_text for a virtual table's column (empty or NULL: NULL). */
void cf_result_text(sqlite3_context *cx, const char *s, size_t len);
/* Like cf_bind_text (empty binds NULL) without copying valid text: s must stay unchanged until the
 * statement is stepped or reset. */
int cf_bind_text_static(sqlite3_stmt *st, int idx, const char *s, size_t len);

/* Records a line that did not parse (bounded per file) and counts it. */
void cf_load_bad_line(cf_load_ctx *ctx, uint64_t lineno, const char *why, const char *line,
                      size_t len);

/* sqlite helpers */
int cf_db_err(sqlite3 *db, const char *what);
int cf_db_exec(sqlite3 *db, const char *sql);
int cf_db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st);
/* Steps an INSERT/UPDATE statement to completion and resets it (bindings cleared). */
int cf_db_step_done(sqlite3 *db, sqlite3_stmt *st);

/* A one-pass source of rows for a bulk load (analyze_scan.c): registered on the connection as an
 * eponymous virtual table named `name` only while cf_scan_insert runs, read once. */
typedef struct cf_scan_src {
    const char *name;    /* "cf_web_log": never a schema table */
    const char *columns; /* declared columns, also the INSERT's column list */
    double est_rows;     /* planner hint */
    void *state;
    /* Makes the next row current: 1 row (*rowid set), 0 end, negative CF_E* (cf_error set). */
    int (*next)(void *state, sqlite3_int64 *rowid);
    /* Sets the result for 0-based column col of the current row (nothing set = NULL). */
    int (*column)(void *state, sqlite3_context *cx, int col);
    int err;     /* set by cf_scan_insert: the error next() returned, CF_OK otherwise */
    int scanned; /* set by cf_scan_insert */
} cf_scan_src;

/* Runs `VERB INTO table(columns) SELECT columns FROM name` (VERB: "INSERT", "INSERT OR IGNORE")
 * with src registered for that statement only. CF_OK, next()'s error, or a database error. */
int cf_scan_insert(sqlite3 *db, const char *verb, const char *table, cf_scan_src *src);
int cf_db_table_exists(sqlite3 *db, const char *name);
int cf_db_column_exists(sqlite3 *db, const char *table, const char *column);

/* cf_time_parse for untrusted text: also refuses years outside 1700..2200 (int64 ns range). */
int cf_time_parse_checked(const char *s, int64_t *ns);

/* Formats ns as RFC 3339 (cf_time_format); 0 stays NULL when binding. */
int cf_bind_time(sqlite3_stmt *st, int idx, int64_t ns);

/* Decodes %XX (and '+' as space when plus) into out, in place allowed (out may equal in). Returns
 * the new length. */
size_t cf_url_decode(char *out, const char *in, size_t len, int plus);
/* Decodes nginx's \xHH escapes. */
size_t cf_unescape_hex(char *out, const char *in, size_t len);

/* Loaders (dispatch in analyze_load.c). Each loads ctx->path into its table(s). */
int cf_load_jsonl(cf_load_ctx *ctx);
int cf_load_web(cf_load_ctx *ctx, int alb);
int cf_load_auth(cf_load_ctx *ctx);
int cf_load_history(cf_load_ctx *ctx);
int cf_load_crontab(cf_load_ctx *ctx);
int cf_load_systemd(cf_load_ctx *ctx);
int cf_load_authorized_keys(cf_load_ctx *ctx);
int cf_load_passwd(cf_load_ctx *ctx, int group);
int cf_load_config_lines(cf_load_ctx *ctx, const char *kind);
int cf_load_bodyfile(cf_load_ctx *ctx);
int cf_load_cloudtrail_file(cf_load_ctx *ctx);
int cf_load_cloudtrail_mem(cf_load_ctx *ctx, const char *json, size_t len);

/* Tables that generic JSONL loading must not write into; returns 1 when reserved. */
int cf_analyze_reserved_table(const char *name);

#endif
