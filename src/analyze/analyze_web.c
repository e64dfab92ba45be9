/* Web access logs: nginx/Apache combined (with the ALB-aware X-Forwarded-For field and an optional
 * request-body field) and ALB access logs as delivered to S3. A hand-written field splitter, one
 * prepared statement, times cached per second: this is the hot path of `make bench`.
 *
 * Accepted line formats (docs/analysis.md):
 *   common:    $remote_addr $ident $remote_user [$time_local] "$request" $status $bytes
 *   combined:  common + "$http_referer" "$http_user_agent"
 *   +xff:      combined + "$http_x_forwarded_for"
 *   +body:     combined + "$http_x_forwarded_for" "$request_body"
 *   ALB:       type time elb client:port target:port t1 t2 t3 elb_status target_status rx tx
 *              "request" "user_agent" cipher protocol target_group "trace" "domain" ...
 */
#include "analyze/analyze_internal.h"
#include "common/cf_error.h"
#include "common/cf_time.h"

#include <stdlib.h>
#include <string.h>

#define MAX_FIELDS 32

typedef struct field {
    const char *p;
    size_t n;
    int quoted;
} field;

/* Columns of the INSERT below. */
enum {
    W_BUNDLE = 1,
    W_SOURCE,
    W_LINE,
    W_FORMAT,
    W_TIME,
    W_CLIENT,
    W_PEER,
    W_XFF,
    W_USER,
    W_METHOD,
    W_URI,
    W_PATH,
    W_DECODED,
    W_PROTO,
    W_STATUS,
    W_BYTES,
    W_REFERER,
    W_UA,
    W_BODY,
    W_BODY_DEC,
    W_HOST,
    W_ELB,
    W_TARGET
};

typedef struct web_state {
    sqlite3_stmt *ins;
    int alb;
    char last_ts[32]; /* the bracketed time text of the previous line */
    size_t last_ts_len;
    char last_fmt[CF_TIME_STR_MAX];
    char *scratch; /* decode buffers */
    /* Bindings persist between rows (no sqlite3_clear_bindings): columns bound in this row (cur)
     * and in earlier rows (prev); before a step, those in prev but not in cur are set to NULL.
     * bundle_id and source are bound once per file. */
    uint32_t cur, prev;
    /* Virtual-table mode (common/combined logs): the row is kept here and read by the
     * cf_web_log module's xColumn instead of being bound; ready once a line made a row. */
    int vt, ready;
    struct wcol {
        const char *p;
        size_t n;
        int64_t v;
        int kind; /* WC_* */
    } row[W_TARGET + 1];
    cf_load_ctx *ctx;
    cf_lines_iter *it;
} web_state;

enum { WC_TEXT = 1, WC_TEXT_CHECK, WC_INT }; /* ASCII text, text to validate, integer */

#define MARK(ws, idx) ((ws)->cur |= 1u << (idx))

/* Splits a line into fields: bare words, "quoted" (with \" and \\ escapes) and [bracketed].
 * memchr finds the ends (a quote is escaped when an odd run of backslashes precedes it). */
static size_t split_fields(char *line, size_t len, field *f, size_t max)
{
    size_t n = 0, i = 0;
    while (i < len && n < max) {
        const char *e;
        size_t s;
        while (i < len && line[i] == ' ')
            i++;
        if (i >= len)
            break;
        if (line[i] == '"') {
            s = ++i;
            for (;;) {
                size_t k, b = 0;
                e = memchr(line + i, '"', len - i);
                if (!e) {
                    i = len;
                    break;
                }
                k = (size_t)(e - line);
                while (k - b > s && line[k - b - 1] == '\\')
                    b++;
                if (!(b & 1)) {
                    i = k;
                    break;
                }
                i = k + 1;
            }
            f[n].p = line + s;
            f[n].n = i - s;
            f[n].quoted = 1;
            n++;
            i++;
        } else if (line[i] == '[') {
            s = ++i;
            e = memchr(line + i, ']', len - i);
            i = e ? (size_t)(e - line) : len;
            f[n].p = line + s;
            f[n].n = i - s;
            f[n].quoted = 2;
            n++;
            i++;
        } else {
            s = i;
            e = memchr(line + i, ' ', len - i);
            i = e ? (size_t)(e - line) : len;
            f[n].p = line + s;
            f[n].n = i - s;
            f[n].quoted = 0;
            n++;
        }
    }
    return n;
}

static int month_num(const char *m)
{
    static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    for (int i = 0; i < 12; i++)
        if (m[0] == names[3 * i] && m[1] == names[3 * i + 1] && m[2] == names[3 * i + 2])
            return i + 1;
    return 0;
}

static int digits(const char *p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return 0;
}

/* "27/Nov/2026:20:00:01 +0000" -> ns */
static int parse_clf_time(const char *p, size_t n, int64_t *ns)
{
    int d, y, hh, mm, ss, oh, om, mon;
    int64_t off;
    if (n < 26 || p[2] != '/' || p[6] != '/' || p[11] != ':' || p[20] != ' ')
        return -1;
    if (digits(p, 2, &d) || digits(p + 7, 4, &y) || digits(p + 12, 2, &hh) ||
        digits(p + 15, 2, &mm) || digits(p + 18, 2, &ss) || digits(p + 22, 2, &oh) ||
        digits(p + 24, 2, &om))
        return -1;
    mon = month_num(p + 3);
    if (!mon || d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60 || y < 1971 || y > 2200 ||
        (p[21] != '+' && p[21] != '-'))
        return -1;
    off = ((int64_t)oh * 3600 + om * 60) * CF_NS_PER_SEC;
    *ns = cf_time_from_civil(y, mon, d, hh, mm, ss) * CF_NS_PER_SEC;
    *ns += p[21] == '+' ? -off : off;
    return 0;
}

static int needs_decode(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] == '%' || p[i] == '+' || (p[i] >= 'A' && p[i] <= 'Z') || p[i] == '\\')
            return 1;
    return 0;
}

/* URL-decodes twice (double-encoded payloads) and lower-cases ASCII; out has room for n bytes. */
static size_t decode_lower(char *out, const char *in, size_t n, int hex_escapes)
{
    size_t m = n;
    memcpy(out, in, n);
    if (hex_escapes)
        m = cf_unescape_hex(out, out, m);
    m = cf_url_decode(out, out, m, 1);
    m = cf_url_decode(out, out, m, 1);
    for (size_t i = 0; i < m; i++)
        if (out[i] >= 'A' && out[i] <= 'Z')
            out[i] = (char)(out[i] + 32);
    return m;
}

/* Binds a field; absent ("-" or empty) leaves the column to row_finish (NULL). */
/* Sets column idx of this row: bound, or kept for xColumn in virtual-table mode. p stays valid
 * until the row is inserted. ascii: p is printable ASCII (else validated, repaired if needed). */
static int put_text(web_state *ws, int idx, const char *p, size_t n, int ascii)
{
    MARK(ws, idx);
    if (ws->vt) {
        ws->row[idx].p = p;
        ws->row[idx].n = n;
        ws->row[idx].kind = ascii ? WC_TEXT : WC_TEXT_CHECK;
        return CF_OK;
    }
    if (ascii && n)
        return sqlite3_bind_text(ws->ins, idx, p, (int)n, SQLITE_STATIC) == SQLITE_OK ? CF_OK
                                                                                      : CF_EIO;
    return cf_bind_text(ws->ins, idx, p, n, 1);
}

static void put_int(web_state *ws, int idx, int64_t v)
{
    MARK(ws, idx);
    if (ws->vt) {
        ws->row[idx].v = v;
        ws->row[idx].kind = WC_INT;
    } else {
        sqlite3_bind_int64(ws->ins, idx, v);
    }
}

static int bind_f(web_state *ws, int idx, const char *p, size_t n, int ascii)
{
    if (!p || n == 0 || (n == 1 && p[0] == '-'))
        return CF_OK;
    return put_text(ws, idx, p, n, ascii);
}

static void row_begin(web_state *ws)
{
    ws->prev |= ws->cur;
    ws->cur = 0;
}

/* NULLs what an earlier row bound and this one did not, inserts, keeps the bindings. */
static int row_finish(cf_load_ctx *ctx, web_state *ws)
{
    uint32_t stale = ws->prev & ~ws->cur;
    int r;
    if (ws->vt) {
        ws->ready = 1; /* xColumn reads it; unmarked columns are NULL */
        ctx->stats->rows++;
        return CF_OK;
    }
    for (int i = 1; stale; i++)
        if (stale & (1u << i)) {
            sqlite3_bind_null(ws->ins, i);
            stale &= ~(1u << i);
        }
    r = sqlite3_step(ws->ins);
    sqlite3_reset(ws->ins);
    ws->prev = ws->cur;
    ws->cur = 0;
    if (r != SQLITE_DONE)
        return cf_error_set(CF_EIO, "insert: %s", sqlite3_errmsg(ctx->db));
    ctx->stats->rows++;
    return CF_OK;
}

static int line_ascii(const char *s, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if ((w | (w - 0x2020202020202020ull)) & 0x8080808080808080ull)
            return 0;
    }
    for (; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80 || c < 0x20)
            return 0;
    }
    return 1;
}

static int64_t num(const char *p, size_t n, int *ok)
{
    int64_t v = 0;
    *ok = n > 0 && n < 19;
    for (size_t i = 0; i < n && *ok; i++) {
        if (p[i] < '0' || p[i] > '9')
            *ok = 0;
        else
            v = v * 10 + (p[i] - '0');
    }
    return v;
}

static int bind_request(web_state *ws, const field *req, int ascii, int strip_host)
{
    const char *p = req->p, *end = req->p + req->n;
    const char *sp1 = memchr(p, ' ', req->n), *sp2, *uri, *q, *host = NULL;
    size_t urilen, hostlen = 0, dl;
    int rc = CF_OK;
    if (!sp1) {
        /* not "METHOD URI PROTO" (binary junk, TLS on a plain port): keep it as the URI */
        uri = p;
        urilen = req->n;
    } else {
        if ((rc = bind_f(ws, W_METHOD, p, (size_t)(sp1 - p), ascii)))
            return rc;
        uri = sp1 + 1;
        sp2 = memrchr(uri, ' ', (size_t)(end - uri));
        if (sp2) {
            urilen = (size_t)(sp2 - uri);
            if ((rc = bind_f(ws, W_PROTO, sp2 + 1, (size_t)(end - sp2 - 1), ascii)))
                return rc;
        } else {
            urilen = (size_t)(end - uri);
        }
    }
    if (strip_host && urilen > 8 && (!strncmp(uri, "http://", 7) || !strncmp(uri, "https://", 8))) {
        const char *h = uri + (uri[4] == 's' ? 8 : 7);
        const char *slash = memchr(h, '/', (size_t)(uri + urilen - h));
        host = h;
        hostlen = slash ? (size_t)(slash - h) : (size_t)(uri + urilen - h);
        urilen -= (size_t)(host + hostlen - uri);
        uri = host + hostlen;
        if ((rc = bind_f(ws, W_HOST, host, hostlen, ascii)))
            return rc;
    }
    if ((rc = bind_f(ws, W_URI, uri, urilen, ascii)))
        return rc;
    q = memchr(uri, '?', urilen);
    if ((rc = bind_f(ws, W_PATH, uri, q ? (size_t)(q - uri) : urilen, ascii)))
        return rc;
    if (needs_decode(uri, urilen)) {
        dl = decode_lower(ws->scratch, uri, urilen, 1);
        rc = put_text(ws, W_DECODED, ws->scratch, dl, 0);
    }
    /* else NULL: the URI needs no decoding (rules read coalesce(uri_decoded, uri)) */
    return rc;
}

static int on_clf(cf_load_ctx *ctx, char *line, size_t len, uint64_t lineno)
{
    web_state *ws = ctx->table_state;
    field f[MAX_FIELDS];
    size_t n;
    int ascii, ok, rc = CF_OK;
    int64_t status;
    if (len == 0)
        return CF_OK;
    row_begin(ws);
    n = split_fields(line, len, f, MAX_FIELDS);
    /* ip ident user [time] "request" status bytes */
    if (n < 7 || f[3].quoted != 2 || f[4].quoted != 1) {
        cf_load_bad_line(ctx, lineno, "not a common/combined log line", line, len);
        return CF_OK;
    }
    status = num(f[5].p, f[5].n, &ok);
    if (!ok) {
        cf_load_bad_line(ctx, lineno, "bad status", line, len);
        return CF_OK;
    }
    ascii = line_ascii(line, len);
    if (f[3].n == ws->last_ts_len && !memcmp(f[3].p, ws->last_ts, f[3].n)) {
        put_text(ws, W_TIME, ws->last_fmt, strlen(ws->last_fmt), 1);
    } else {
        int64_t ns;
        if (parse_clf_time(f[3].p, f[3].n, &ns) != 0 || f[3].n >= sizeof(ws->last_ts)) {
            cf_load_bad_line(ctx, lineno, "bad time", line, len);
            return CF_OK;
        }
        memcpy(ws->last_ts, f[3].p, f[3].n);
        ws->last_ts_len = f[3].n;
        cf_time_format(ns, ws->last_fmt);
        put_text(ws, W_TIME, ws->last_fmt, strlen(ws->last_fmt), 1);
    }
    put_int(ws, W_LINE, (int64_t)lineno);
    {
        const char *fmt = n >= 11   ? "combined+body"
                          : n >= 10 ? "combined+xff"
                          : n >= 9  ? "combined"
                                    : "common";
        put_text(ws, W_FORMAT, fmt, strlen(fmt), 1);
    }
    put_int(ws, W_STATUS, status);
    {
        int64_t b = num(f[6].p, f[6].n, &ok);
        if (ok)
            put_int(ws, W_BYTES, b);
    }
    if ((rc = bind_f(ws, W_PEER, f[0].p, f[0].n, ascii)) ||
        (rc = bind_f(ws, W_USER, f[2].p, f[2].n, ascii)) ||
        (rc = bind_request(ws, &f[4], ascii, 0)))
        goto cleanup;
    if (n >= 9 && ((rc = bind_f(ws, W_REFERER, f[7].p, f[7].n, ascii)) ||
                   (rc = bind_f(ws, W_UA, f[8].p, f[8].n, ascii))))
        goto cleanup;
    if (n >= 10 && f[9].n > 0 && !(f[9].n == 1 && f[9].p[0] == '-')) {
        /* the client is the last address the load balancer appended */
        const char *x = f[9].p, *c = memrchr(x, ',', f[9].n);
        const char *cs = c ? c + 1 : x;
        size_t cl = (size_t)(x + f[9].n - cs);
        while (cl && *cs == ' ') {
            cs++;
            cl--;
        }
        if ((rc = bind_f(ws, W_XFF, x, f[9].n, ascii)) ||
            (rc = bind_f(ws, W_CLIENT, cs, cl, ascii)))
            goto cleanup;
    } else if ((rc = bind_f(ws, W_CLIENT, f[0].p, f[0].n, ascii))) {
        goto cleanup;
    }
    if (n >= 11 && f[10].n > 0 && !(f[10].n == 1 && f[10].p[0] == '-')) {
        size_t dl;
        if ((rc = bind_f(ws, W_BODY, f[10].p, f[10].n, ascii)))
            goto cleanup;
        /* its own half of scratch: in virtual-table mode the decoded URI is still in use */
        dl = decode_lower(ws->scratch + CF_ANALYZE_MAX_LINE + 1, f[10].p, f[10].n, 1);
        if ((rc = put_text(ws, W_BODY_DEC, ws->scratch + CF_ANALYZE_MAX_LINE + 1, dl, 0)))
            goto cleanup;
    }
    rc = row_finish(ctx, ws);
cleanup:
    return rc;
}

static int on_alb(cf_load_ctx *ctx, char *line, size_t len, uint64_t lineno)
{
    web_state *ws = ctx->table_state;
    sqlite3_stmt *st = ws->ins;
    field f[MAX_FIELDS];
    size_t n;
    int ascii, ok, rc = CF_OK;
    int64_t ns, v;
    char tbuf[64], *colon;
    if (len == 0)
        return CF_OK;
    row_begin(ws);
    n = split_fields(line, len, f, MAX_FIELDS);
    if (n < 14 || f[12].quoted != 1 || f[1].n >= sizeof(tbuf)) {
        cf_load_bad_line(ctx, lineno, "not an ALB access log line", line, len);
        return CF_OK;
    }
    memcpy(tbuf, f[1].p, f[1].n);
    tbuf[f[1].n] = '\0';
    if (cf_time_parse_checked(tbuf, &ns) != CF_OK) {
        cf_load_bad_line(ctx, lineno, "bad time", line, len);
        return CF_OK;
    }
    ascii = line_ascii(line, len);
    put_int(ws, W_LINE, (int64_t)lineno);
    put_text(ws, W_FORMAT, "alb", 3, 1);
    cf_bind_time(st, W_TIME, ns);
    MARK(ws, W_FORMAT);
    MARK(ws, W_TIME);
    /* client:port */
    colon = memrchr(f[3].p, ':', f[3].n);
    if ((rc = bind_f(ws, W_CLIENT, f[3].p, colon ? (size_t)(colon - f[3].p) : f[3].n, ascii)) ||
        (rc = bind_f(ws, W_PEER, f[3].p, colon ? (size_t)(colon - f[3].p) : f[3].n, ascii)) ||
        (rc = bind_f(ws, W_ELB, f[2].p, f[2].n, ascii)) ||
        (rc = bind_f(ws, W_TARGET, f[4].p, f[4].n, ascii)))
        goto cleanup;
    v = num(f[8].p, f[8].n, &ok);
    if (ok) {
        sqlite3_bind_int64(st, W_STATUS, v);
        MARK(ws, W_STATUS);
    }
    v = num(f[11].p, f[11].n, &ok);
    if (ok) {
        sqlite3_bind_int64(st, W_BYTES, v);
        MARK(ws, W_BYTES);
    }
    if ((rc = bind_request(ws, &f[12], ascii, 1)) ||
        (rc = bind_f(ws, W_UA, f[13].p, f[13].n, ascii)))
        goto cleanup;
    rc = row_finish(ctx, ws);
cleanup:
    return rc;
}

/* ---- the cf_web_log virtual table: common/combined lines as rows ----
 * INSERT INTO web_requests SELECT ... FROM cf_web_log runs one statement for the whole file
 * instead of a bind/step/reset round (about 20 API calls, each taking the connection's mutex)
 * per line. The module is registered on the connection only for the load (eponymous, never in
 * the schema), and its single scan pulls lines from cf_lines_next through on_clf. */

#define WEB_VT_COLUMNS                                                                             \
    "bundle_id, source, line, format, time, client_ip, peer_ip, xff, remote_user, method, uri,"    \
    " uri_path, uri_decoded, protocol, status, bytes, referer, user_agent, body, body_decoded,"    \
    " host, elb, target"

/* The next line that makes a row (bad lines go to load_errors on the way). */
static int wv_next(void *state, sqlite3_int64 *rowid)
{
    web_state *ws = state;
    for (;;) {
        char *line;
        size_t len;
        uint64_t lineno;
        int r = cf_lines_next(ws->it, &line, &len, &lineno);
        if (r <= 0)
            return r;
        ws->ready = 0;
        if ((r = on_clf(ws->ctx, line, len, lineno)) != CF_OK)
            return r;
        if (ws->ready) {
            *rowid = (sqlite3_int64)lineno;
            return 1;
        }
    }
}

static int wv_column(void *state, sqlite3_context *cx, int i)
{
    web_state *ws = state;
    int idx = i + 1;
    const struct wcol *w;
    if (idx == W_BUNDLE) {
        if (ws->ctx->bundle_id)
            sqlite3_result_int64(cx, ws->ctx->bundle_id);
        return SQLITE_OK;
    }
    if (idx == W_SOURCE) {
        sqlite3_result_text(cx, ws->ctx->source, -1, SQLITE_STATIC);
        return SQLITE_OK;
    }
    if (idx < 1 || idx > W_TARGET || !(ws->cur & (1u << idx)))
        return SQLITE_OK; /* NULL */
    w = &ws->row[idx];
    if (w->kind == WC_INT)
        sqlite3_result_int64(cx, w->v);
    else if (w->kind == WC_TEXT && w->n)
        sqlite3_result_text(cx, w->p, (int)w->n, SQLITE_STATIC);
    else if (w->kind == WC_TEXT_CHECK)
        cf_result_text(cx, w->p, w->n);
    return SQLITE_OK;
}

/* Loads a common/combined log through cf_web_log. */
static int load_clf_vt(cf_load_ctx *ctx, web_state *ws)
{
    cf_scan_src src = {.name = "cf_web_log",
                       .columns = WEB_VT_COLUMNS,
                       .est_rows = 1000000,
                       .state = ws,
                       .next = wv_next,
                       .column = wv_column};
    int rc;
    if ((rc = cf_lines_open(ctx, &ws->it)))
        return rc;
    ws->vt = 1;
    ws->ctx = ctx;
    rc = cf_scan_insert(ctx->db, "INSERT", "web_requests", &src);
    cf_lines_close(ws->it);
    ws->it = NULL;
    return rc;
}

int cf_load_web(cf_load_ctx *ctx, int alb)
{
    web_state ws;
    int rc;
    memset(&ws, 0, sizeof(ws));
    ws.alb = alb;
    ws.scratch = malloc(2 * ((size_t)CF_ANALYZE_MAX_LINE + 1)); /* decoded URI, decoded body */
    if (!ws.scratch) {
        rc = cf_error_set(CF_ENOMEM, "out of memory");
        goto cleanup;
    }
    if ((rc = cf_db_prepare(ctx->db,
                            "INSERT INTO web_requests(bundle_id, source, line, format, time,"
                            " client_ip, peer_ip, xff, remote_user, method, uri, uri_path,"
                            " uri_decoded, protocol, status, bytes, referer, user_agent, body,"
                            " body_decoded, host, elb, target) VALUES(?1, ?2, ?3, ?4, ?5, ?6,"
                            " ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,"
                            " ?21, ?22, ?23)",
                            &ws.ins)))
        goto cleanup;
    if (ctx->bundle_id)
        sqlite3_bind_int64(ws.ins, W_BUNDLE, ctx->bundle_id);
    sqlite3_bind_text(ws.ins, W_SOURCE, ctx->source, -1, SQLITE_STATIC);
    /* a big page cache for the bulk insert: pages are written once, at commit */
    sqlite3_exec(ctx->db, "PRAGMA cache_size=-16384", NULL, NULL, NULL);
    ctx->table_state = &ws;
    rc = alb ? cf_lines_each(ctx, on_alb) : load_clf_vt(ctx, &ws);
    sqlite3_exec(ctx->db, "PRAGMA cache_size=-2000", NULL, NULL, NULL);
    ctx->table_state = NULL;
cleanup:
    sqlite3_finalize(ws.ins);
    free(ws.scratch);
    return rc;
}
