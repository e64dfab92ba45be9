/* CloudTrail: log files as delivered to S3 ({"Records": [...]}, usually .json.gz), LookupEvents
 * output ({"Events": [{"CloudTrailEvent": "<JSON text>"}, ...]}), or a bare array of events.
 * Events are de-duplicated by eventID (the same event arrives through both paths). */
#include "analyze/analyze_internal.h"
#include "common/cf_error.h"
#include "common/cf_json.h"
#include "common/cf_time.h"

#include <stdlib.h>
#include <string.h>

#define CT_INSERT                                                                                  \
    "INSERT OR IGNORE INTO cloudtrail_events(bundle_id, source, event_id, time, event_source,"     \
    " event_name, aws_region, source_ip, user_agent, user_type, principal_id, arn, account_id,"    \
    " access_key_id, user_name, session_issuer, error_code, error_message, read_only,"             \
    " request_parameters, response_elements, resources, event) VALUES(?1, ?2, ?3, ?4, ?5, ?6,"     \
    " ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23)"

enum {
    C_BUNDLE = 1,
    C_SOURCE,
    C_ID,
    C_TIME,
    C_ESRC,
    C_NAME,
    C_REGION,
    C_IP,
    C_UA,
    C_UTYPE,
    C_PRINCIPAL,
    C_ARN,
    C_ACCOUNT,
    C_AKID,
    C_USER,
    C_ISSUER,
    C_ERR,
    C_ERRMSG,
    C_RO,
    C_REQ,
    C_RESP,
    C_RES,
    C_EVENT
};

static int bind_str(sqlite3_stmt *st, int idx, json_t *root, const char *path)
{
    json_t *v = cf_json_path(root, path);
    if (json_is_string(v))
        return cf_bind_text(st, idx, json_string_value(v), json_string_length(v), 1);
    return CF_OK;
}

static int bind_json(sqlite3_stmt *st, int idx, json_t *v)
{
    char *txt;
    if (!v || json_is_null(v))
        return CF_OK;
    txt = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII);
    if (!txt)
        return cf_error_set(CF_ENOMEM, "json_dumps");
    return sqlite3_bind_text(st, idx, txt, -1, free) == SQLITE_OK ? CF_OK : CF_EIO;
}

static int insert_event(cf_load_ctx *ctx, sqlite3_stmt *st, json_t *ev)
{
    json_t *ro;
    const char *t;
    int64_t ns;
    int rc;
    if (!json_is_object(ev))
        return CF_OK;
    if (ctx->bundle_id)
        sqlite3_bind_int64(st, C_BUNDLE, ctx->bundle_id);
    cf_bind_text(st, C_SOURCE, ctx->source, (size_t)-1, 1);
    t = cf_json_str(ev, "eventTime");
    if (t && strlen(t) < 64 && cf_time_parse_checked(t, &ns) == CF_OK)
        cf_bind_time(st, C_TIME, ns);
    if ((rc = bind_str(st, C_ID, ev, "eventID")) ||
        (rc = bind_str(st, C_ESRC, ev, "eventSource")) ||
        (rc = bind_str(st, C_NAME, ev, "eventName")) ||
        (rc = bind_str(st, C_REGION, ev, "awsRegion")) ||
        (rc = bind_str(st, C_IP, ev, "sourceIPAddress")) ||
        (rc = bind_str(st, C_UA, ev, "userAgent")) ||
        (rc = bind_str(st, C_UTYPE, ev, "userIdentity.type")) ||
        (rc = bind_str(st, C_PRINCIPAL, ev, "userIdentity.principalId")) ||
        (rc = bind_str(st, C_ARN, ev, "userIdentity.arn")) ||
        (rc = bind_str(st, C_ACCOUNT, ev, "userIdentity.accountId")) ||
        (rc = bind_str(st, C_AKID, ev, "userIdentity.accessKeyId")) ||
        (rc = bind_str(st, C_USER, ev, "userIdentity.userName")) ||
        (rc = bind_str(st, C_ISSUER, ev, "userIdentity.sessionContext.sessionIssuer.arn")) ||
        (rc = bind_str(st, C_ERR, ev, "errorCode")) ||
        (rc = bind_str(st, C_ERRMSG, ev, "errorMessage")) ||
        (rc = bind_json(st, C_REQ, json_object_get(ev, "requestParameters"))) ||
        (rc = bind_json(st, C_RESP, json_object_get(ev, "responseElements"))) ||
        (rc = bind_json(st, C_RES, json_object_get(ev, "resources"))))
        goto cleanup;
    ro = json_object_get(ev, "readOnly");
    if (json_is_boolean(ro))
        sqlite3_bind_int(st, C_RO, json_is_true(ro));
    else if (json_is_string(ro))
        sqlite3_bind_int(st, C_RO, !strcmp(json_string_value(ro), "true"));
    if (!((json_is_true(ro) || (json_is_string(ro) && !strcmp(json_string_value(ro), "true"))) &&
          !json_object_get(ev, "errorCode")) &&
        (rc = bind_json(st, C_EVENT, ev)))
        goto cleanup;
    if ((rc = cf_db_step_done(ctx->db, st)))
        goto cleanup;
    ctx->stats->rows++;
cleanup:
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

/* A LookupEvents element: its CloudTrailEvent is the event as JSON text inside JSON. */
static int insert_lookup(cf_load_ctx *ctx, sqlite3_stmt *st, json_t *e, size_t idx)
{
    json_t *inner = NULL;
    const char *txt = cf_json_str(e, "CloudTrailEvent");
    int rc = CF_OK;
    if (!txt) {
        if (json_is_object(e) && json_object_get(e, "eventName"))
            return insert_event(ctx, st, e);
        cf_load_bad_line(ctx, idx + 1, "LookupEvents element without CloudTrailEvent", "", 0);
        return CF_OK;
    }
    if (cf_json_parse(txt, strlen(txt), &inner) != CF_OK) {
        cf_load_bad_line(ctx, idx + 1, "CloudTrailEvent is not JSON", txt, strlen(txt));
        return CF_OK;
    }
    rc = insert_event(ctx, st, inner);
    json_decref(inner);
    return rc;
}

/* ---- fast path for log files: {"Records": [...]} ----
 * A validating JSON scanner that extracts the columns without building a tree: extracted strings
 * are unescaped, requestParameters/responseElements/resources/the whole event are stored as the
 * source's own JSON text. Nesting is bounded (CF_JSON_MAX_DEPTH). Anything unexpected at the top
 * level falls back to the jansson path. */

typedef struct jsc {
    const char *p, *end;
} jsc;

typedef struct slice {
    const char *p;
    size_t n;
    int esc; /* a string with backslash escapes */
} slice;

static void jws(jsc *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
        s->p++;
}

/* Word-at-a-time byte tests (exact as booleans): some byte of w is zero / below n (n <= 128). */
#define HAS_ZERO(w)      (((w)-0x0101010101010101ull) & ~(w)&0x8080808080808080ull)
#define HAS_LESS(w, n)   (((w)-0x0101010101010101ull * (n)) & ~(w)&0x8080808080808080ull)
#define CF_LITTLE_ENDIAN (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)

/* At '"': the string's content in *out (escapes validated, not decoded). */
static int jstring(jsc *s, slice *out)
{
    const char *q;
    if (s->p >= s->end || *s->p != '"')
        return -1;
    q = ++s->p;
    out->esc = 0;
    while (s->p < s->end) {
        unsigned char c;
        /* eight bytes at a time while none is '"', '\\' or a control character */
        while (s->end - s->p >= 8) {
            uint64_t w, m;
            memcpy(&w, s->p, 8);
            m = HAS_LESS(w, 0x20) | HAS_ZERO(w ^ 0x2222222222222222ull) |
                HAS_ZERO(w ^ 0x5C5C5C5C5C5C5C5Cull);
            if (m) {
                /* the lowest flagged byte is a true match (borrows only flag bytes above it) */
                s->p += CF_LITTLE_ENDIAN ? __builtin_ctzll(m) >> 3 : 0;
                break;
            }
            s->p += 8;
        }
        if (s->p >= s->end)
            break;
        c = (unsigned char)*s->p;
        if (c == '"') {
            out->p = q;
            out->n = (size_t)(s->p - q);
            s->p++;
            return 0;
        }
        if (c < 0x20)
            return -1;
        if (c == '\\') {
            out->esc = 1;
            if (s->p + 1 >= s->end)
                return -1;
            c = (unsigned char)s->p[1];
            if (c == 'u') {
                if (s->p + 5 >= s->end)
                    return -1;
                for (int i = 2; i < 6; i++)
                    if (!((s->p[i] >= '0' && s->p[i] <= '9') ||
                          (s->p[i] >= 'a' && s->p[i] <= 'f') || (s->p[i] >= 'A' && s->p[i] <= 'F')))
                        return -1;
                s->p += 6;
                continue;
            }
            if (!strchr("\"\\/bfnrt", c) || !c)
                return -1;
            s->p += 2;
            continue;
        }
        s->p++;
    }
    return -1;
}

static int jvalue(jsc *s, int depth);

static int jcontainer(jsc *s, int depth)
{
    char close = *s->p == '{' ? '}' : ']';
    int obj = close == '}';
    slice k;
    if (depth >= CF_JSON_MAX_DEPTH)
        return -1;
    s->p++;
    jws(s);
    if (s->p < s->end && *s->p == close) {
        s->p++;
        return 0;
    }
    for (;;) {
        if (obj) {
            if (jstring(s, &k))
                return -1;
            jws(s);
            if (s->p >= s->end || *s->p != ':')
                return -1;
            s->p++;
        }
        if (jvalue(s, depth + 1))
            return -1;
        jws(s);
        if (s->p >= s->end)
            return -1;
        if (*s->p == ',') {
            s->p++;
            jws(s);
            continue;
        }
        if (*s->p == close) {
            s->p++;
            return 0;
        }
        return -1;
    }
}

/* Skips (and validates) one value. */
static int jvalue(jsc *s, int depth)
{
    slice tmp;
    jws(s);
    if (s->p >= s->end)
        return -1;
    switch (*s->p) {
    case '"':
        return jstring(s, &tmp);
    case '{':
    case '[':
        return jcontainer(s, depth);
    case 't':
        if (s->end - s->p >= 4 && !memcmp(s->p, "true", 4)) {
            s->p += 4;
            return 0;
        }
        return -1;
    case 'f':
        if (s->end - s->p >= 5 && !memcmp(s->p, "false", 5)) {
            s->p += 5;
            return 0;
        }
        return -1;
    case 'n':
        if (s->end - s->p >= 4 && !memcmp(s->p, "null", 4)) {
            s->p += 4;
            return 0;
        }
        return -1;
    default: {
        const char *q = s->p;
        if (*s->p == '-')
            s->p++;
        while (s->p < s->end && ((*s->p >= '0' && *s->p <= '9') || *s->p == '.' || *s->p == 'e' ||
                                 *s->p == 'E' || *s->p == '+' || *s->p == '-'))
            s->p++;
        return s->p > q && (q[0] != '-' || s->p > q + 1) ? 0 : -1;
    }
    }
}

static int key_is_n(const slice *k, const char *name, size_t n)
{
    return !k->esc && k->n == n && !memcmp(k->p, name, n);
}
#define key_is(k, name) key_is_n((k), name, sizeof(name) - 1)

/* Appends the UTF-8 of code point cp. */
static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static unsigned hex4(const char *p)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v = v * 16 + (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return v;
}

/* Binds a string slice, decoding escapes (validated by jstring) into a scratch buffer. */
static int bind_slice(sqlite3_stmt *st, int idx, const slice *v, cf_buf *scratch)
{
    size_t i = 0, o = 0;
    char *out;
    if (!v->p)
        return CF_OK;
    if (!v->esc)
        return cf_bind_text_static(st, idx, v->p, v->n);
    cf_buf_reset(scratch);
    if (cf_buf_grow(scratch, v->n + 4))
        return cf_error_set(CF_ETOOBIG, "string too large");
    out = scratch->data;
    while (i < v->n) {
        if (v->p[i] != '\\') {
            out[o++] = v->p[i++];
            continue;
        }
        switch (v->p[i + 1]) {
        case 'b':
            out[o++] = '\b';
            break;
        case 'f':
            out[o++] = '\f';
            break;
        case 'n':
            out[o++] = '\n';
            break;
        case 'r':
            out[o++] = '\r';
            break;
        case 't':
            out[o++] = '\t';
            break;
        case 'u': {
            unsigned cp = hex4(v->p + i + 2);
            i += 6;
            if (cp >= 0xD800 && cp <= 0xDBFF && i + 5 < v->n && v->p[i] == '\\' &&
                v->p[i + 1] == 'u') {
                unsigned lo = hex4(v->p + i + 2);
                if (lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    i += 6;
                }
            }
            if ((cp >= 0xD800 && cp <= 0xDFFF) || cp == 0)
                cp = 0xFFFD;
            o += put_utf8(out + o, cp); /* at most 4 bytes for 6..12 input bytes */
            continue;
        }
        default:
            out[o++] = v->p[i + 1];
            break;
        }
        i += 2;
    }
    return cf_bind_text(st, idx, out, o, 1);
}

typedef struct ct_fields {
    slice f[C_EVENT + 1]; /* by column index */
    int ro;               /* -1 unknown, 0, 1 */
} ct_fields;

/* Object at s->p; for every key whose column is named in map (NULL-terminated pairs), records
 * the value: strings as slices (raw when raw_json), nested objects through recursion. */
static int scan_identity(jsc *s, ct_fields *cf, int depth);

static int scan_object_keys(jsc *s, ct_fields *cf, int depth, int level)
{
    slice k;
    if (depth >= CF_JSON_MAX_DEPTH || s->p >= s->end || *s->p != '{')
        return -1;
    s->p++;
    jws(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        return 0;
    }
    for (;;) {
        const char *vstart;
        int col = 0, raw = 0;
        if (jstring(s, &k))
            return -1;
        jws(s);
        if (s->p >= s->end || *s->p != ':')
            return -1;
        s->p++;
        jws(s);
        vstart = s->p;
        if (level == 0) {
            if (key_is(&k, "eventID"))
                col = C_ID;
            else if (key_is(&k, "eventTime"))
                col = C_TIME;
            else if (key_is(&k, "eventSource"))
                col = C_ESRC;
            else if (key_is(&k, "eventName"))
                col = C_NAME;
            else if (key_is(&k, "awsRegion"))
                col = C_REGION;
            else if (key_is(&k, "sourceIPAddress"))
                col = C_IP;
            else if (key_is(&k, "userAgent"))
                col = C_UA;
            else if (key_is(&k, "errorCode"))
                col = C_ERR;
            else if (key_is(&k, "errorMessage"))
                col = C_ERRMSG;
            else if (key_is(&k, "requestParameters")) {
                col = C_REQ;
                raw = 1;
            } else if (key_is(&k, "responseElements")) {
                col = C_RESP;
                raw = 1;
            } else if (key_is(&k, "resources")) {
                col = C_RES;
                raw = 1;
            } else if (key_is(&k, "readOnly")) {
                if (s->end - s->p >= 4 && !memcmp(s->p, "true", 4))
                    cf->ro = 1;
                else if (s->end - s->p >= 5 && !memcmp(s->p, "false", 5))
                    cf->ro = 0;
                else if (s->end - s->p >= 6 && !memcmp(s->p, "\"true\"", 6))
                    cf->ro = 1;
                else if (s->end - s->p >= 7 && !memcmp(s->p, "\"false\"", 7))
                    cf->ro = 0;
            } else if (key_is(&k, "userIdentity") && *s->p == '{') {
                if (scan_identity(s, cf, depth + 1))
                    return -1;
                goto next;
            }
        } else if (level == 1) {
            if (key_is(&k, "type"))
                col = C_UTYPE;
            else if (key_is(&k, "principalId"))
                col = C_PRINCIPAL;
            else if (key_is(&k, "arn"))
                col = C_ARN;
            else if (key_is(&k, "accountId"))
                col = C_ACCOUNT;
            else if (key_is(&k, "accessKeyId"))
                col = C_AKID;
            else if (key_is(&k, "userName"))
                col = C_USER;
            else if (key_is(&k, "sessionContext") && *s->p == '{') {
                if (scan_object_keys(s, cf, depth + 1, 2))
                    return -1;
                goto next;
            }
        } else if (level == 2) {
            if (key_is(&k, "sessionIssuer") && *s->p == '{') {
                if (scan_object_keys(s, cf, depth + 1, 3))
                    return -1;
                goto next;
            }
        } else if (level == 3 && key_is(&k, "arn")) {
            col = C_ISSUER;
        }
        if (col && !raw && *s->p == '"') {
            if (jstring(s, &cf->f[col]))
                return -1;
        } else {
            if (jvalue(s, depth + 1))
                return -1;
            if (col && raw && !(s->p - vstart == 4 && !memcmp(vstart, "null", 4))) {
                cf->f[col].p = vstart;
                cf->f[col].n = (size_t)(s->p - vstart);
                cf->f[col].esc = 0;
            }
        }
    next:
        jws(s);
        if (s->p >= s->end)
            return -1;
        if (*s->p == ',') {
            s->p++;
            jws(s);
            continue;
        }
        if (*s->p == '}') {
            s->p++;
            return 0;
        }
        return -1;
    }
}

static int scan_identity(jsc *s, ct_fields *cf, int depth)
{
    return scan_object_keys(s, cf, depth, 1);
}

static int dig(const char *p, int n, int *out)
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

/* CloudTrail's own "YYYY-MM-DDTHH:MM:SSZ" straight to cf_time_format's text (what parsing and
 * formatting would give); 0 for anything else, which the general parser then judges. */
static int ct_time_fast(const char *p, size_t n, char out[CF_TIME_STR_MAX])
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, mo, d, hh, mi, ss, leap;
    if (n != 20 || p[4] != '-' || p[7] != '-' || p[10] != 'T' || p[13] != ':' || p[16] != ':' ||
        p[19] != 'Z')
        return 0;
    if (dig(p, 4, &y) || dig(p + 5, 2, &mo) || dig(p + 8, 2, &d) || dig(p + 11, 2, &hh) ||
        dig(p + 14, 2, &mi) || dig(p + 17, 2, &ss))
        return 0;
    if (y < 1971 || y > 2200 || mo < 1 || mo > 12 || d < 1 || hh > 23 || mi > 59 || ss > 59)
        return 0;
    leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[mo - 1] + (mo == 2 && leap))
        return 0;
    memcpy(out, p, 19);
    memcpy(out + 19, ".000000Z", 9);
    return 1;
}

static int fast_event(cf_load_ctx *ctx, sqlite3_stmt *st, jsc *s, cf_buf *scratch)
{
    ct_fields cf;
    const char *start = s->p;
    int rc = CF_OK;
    memset(&cf, 0, sizeof(cf));
    cf.ro = -1;
    if (scan_object_keys(s, &cf, 2, 0))
        return cf_error_set(CF_EPARSE, "%s: malformed CloudTrail event", ctx->source);
    if (ctx->bundle_id)
        sqlite3_bind_int64(st, C_BUNDLE, ctx->bundle_id);
    sqlite3_bind_text(st, C_SOURCE, ctx->source, -1, SQLITE_STATIC);
    if (cf.f[C_TIME].p && !cf.f[C_TIME].esc && cf.f[C_TIME].n < 64) {
        /* consecutive events share their second: parse and format once */
        static __thread char last_in[64], last_out[CF_TIME_STR_MAX];
        static __thread size_t last_n;
        if (cf.f[C_TIME].n != last_n || memcmp(last_in, cf.f[C_TIME].p, last_n)) {
            char t[64];
            int64_t ns;
            memcpy(t, cf.f[C_TIME].p, cf.f[C_TIME].n);
            t[cf.f[C_TIME].n] = '\0';
            last_n = 0;
            if (ct_time_fast(t, cf.f[C_TIME].n, last_out)) {
                memcpy(last_in, t, cf.f[C_TIME].n);
                last_n = cf.f[C_TIME].n;
            } else if (cf_time_parse_checked(t, &ns) == CF_OK) {
                cf_time_format(ns, last_out);
                memcpy(last_in, t, cf.f[C_TIME].n);
                last_n = cf.f[C_TIME].n;
            }
        }
        if (last_n)
            sqlite3_bind_text(st, C_TIME, last_out, -1, SQLITE_TRANSIENT);
    }
    for (int col = C_ID; col <= C_RES && !rc; col++) {
        if (col == C_TIME || col == C_RO)
            continue;
        rc = bind_slice(st, col, &cf.f[col], scratch);
    }
    if (!rc && cf.ro >= 0)
        sqlite3_bind_int(st, C_RO, cf.ro);
    /* the whole record for mutating and failed calls; successful read-only calls (the bulk of a
     * trail) keep their columns, their full record stays in the hashed source file */
    if (!rc && (cf.ro != 1 || cf.f[C_ERR].p))
        rc = cf_bind_text_static(st, C_EVENT, start, (size_t)(s->p - start));
    if (!rc && (rc = cf_db_step_done(ctx->db, st)) == CF_OK)
        ctx->stats->rows++;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

/* 1 when handled (rc in *rc_out), 0 when the document is not a plain {"Records": [...]}. */
static int fast_records(cf_load_ctx *ctx, sqlite3_stmt *st, const char *json, size_t len,
                        int *rc_out)
{
    jsc s = {json, json + len};
    slice k;
    cf_buf scratch = CF_BUF_INIT(CF_ANALYZE_MAX_JSON);
    int rc = CF_OK, seen = 0;
    jws(&s);
    if (s.p >= s.end || *s.p != '{')
        return 0;
    s.p++;
    jws(&s);
    while (s.p < s.end && *s.p != '}') {
        if (jstring(&s, &k))
            goto malformed;
        jws(&s);
        if (s.p >= s.end || *s.p != ':')
            goto malformed;
        s.p++;
        jws(&s);
        if (key_is(&k, "Records") && *s.p == '[') {
            seen = 1;
            s.p++;
            jws(&s);
            while (s.p < s.end && *s.p != ']') {
                if (*s.p == '{')
                    rc = fast_event(ctx, st, &s, &scratch);
                else
                    rc = jvalue(&s, 1) ? cf_error_set(CF_EPARSE, "bad record") : CF_OK;
                if (rc)
                    goto done;
                jws(&s);
                if (s.p < s.end && *s.p == ',') {
                    s.p++;
                    jws(&s);
                } else if (s.p >= s.end || *s.p != ']') {
                    goto malformed;
                }
            }
            if (s.p >= s.end)
                goto malformed;
            s.p++;
        } else if (jvalue(&s, 1)) {
            goto malformed;
        }
        jws(&s);
        if (s.p < s.end && *s.p == ',') {
            s.p++;
            jws(&s);
        } else if (s.p >= s.end || *s.p != '}') {
            goto malformed;
        }
    }
    if (s.p >= s.end)
        goto malformed;
    s.p++;
    jws(&s);
    if (s.p != s.end)
        goto malformed;
    if (!seen)
        goto fallback;
done:
    cf_buf_release(&scratch);
    *rc_out = rc;
    return 1;
malformed:
    if (!seen)
        goto fallback; /* nothing inserted: jansson says what is wrong */
    rc = cf_error_set(CF_EPARSE, "%s: malformed CloudTrail log file", ctx->source);
    goto done;
fallback:
    cf_buf_release(&scratch);
    return 0;
}

int cf_load_cloudtrail_mem(cf_load_ctx *ctx, const char *json, size_t len)
{
    json_t *root = NULL, *arr;
    sqlite3_stmt *st = NULL;
    int rc, lookup = 0;
    size_t i;
    json_t *e;
    if ((rc = cf_db_prepare(ctx->db, CT_INSERT, &st)))
        goto cleanup;
    if (fast_records(ctx, st, json, len, &rc))
        goto cleanup;
    if ((rc = cf_json_parse(json, len, &root))) {
        cf_error_wrap("CloudTrail %s", ctx->source);
        goto cleanup;
    }
    if (json_is_array(root)) {
        arr = root;
    } else if ((arr = json_object_get(root, "Records")) && json_is_array(arr)) {
        lookup = 0;
    } else if ((arr = json_object_get(root, "Events")) && json_is_array(arr)) {
        lookup = 1;
    } else if (json_is_object(root) && json_object_get(root, "eventName")) {
        arr = NULL;
    } else {
        rc = cf_error_set(CF_EPARSE, "%s: neither CloudTrail Records nor LookupEvents output",
                          ctx->source);
        goto cleanup;
    }
    if (!arr) {
        rc = insert_event(ctx, st, root);
        goto cleanup;
    }
    json_array_foreach(arr, i, e)
    {
        if (lookup || (json_is_object(e) && json_object_get(e, "CloudTrailEvent")))
            rc = insert_lookup(ctx, st, e, i);
        else
            rc = insert_event(ctx, st, e);
        if (rc)
            goto cleanup;
    }
cleanup:
    sqlite3_finalize(st);
    json_decref(root);
    return rc;
}

int cf_load_cloudtrail_file(cf_load_ctx *ctx)
{
    cf_buf b = CF_BUF_INIT(CF_ANALYZE_MAX_JSON);
    int rc;
    if ((rc = cf_read_all(ctx->path, &b)))
        goto cleanup;
    rc = cf_load_cloudtrail_mem(ctx, cf_buf_cstr(&b), b.len);
cleanup:
    cf_buf_release(&b);
    return rc;
}
