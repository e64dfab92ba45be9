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

/* A string slice's text (v->p set): as is, or with its escapes (validated by jstring) decoded
 * into a scratch buffer. */
static int slice_text(const slice *v, cf_buf *scratch, const char **text, size_t *len)
{
    size_t i = 0, o = 0;
    char *out;
    if (!v->esc) {
        *text = v->p;
        *len = v->n;
        return CF_OK;
    }
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
    *text = out;
    *len = o;
    return CF_OK;
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

/* ---- the cf_ct_log virtual table: the events of a {"Records": [...]} document as rows ----
 * INSERT OR IGNORE INTO cloudtrail_events SELECT ... FROM cf_ct_log runs one statement per file
 * instead of a bind/step/reset/clear round (about 25 API calls, each taking the connection's
 * mutex) per event, as cf_web_log does for access logs. Registered on the loading connection
 * only for that statement (eponymous, never in the schema). The scan is resumable: each xNext
 * walks the document to the next event object and scans its keys. */

#define CT_VT_COLUMNS                                                                              \
    "bundle_id, source, event_id, time, event_source, event_name, aws_region, source_ip,"          \
    " user_agent, user_type, principal_id, arn, account_id, access_key_id, user_name,"             \
    " session_issuer, error_code, error_message, read_only, request_parameters,"                   \
    " response_elements, resources, event"

typedef struct ct_scan {
    cf_load_ctx *ctx;
    jsc s;
    int in_records; /* inside a "Records" array */
    int seen;       /* a "Records" array was entered */
    int done;       /* the document's closing '}' was read */
    int malformed;  /* the document is not well-formed (fallback to jansson when !seen) */
    int err;        /* CF_E* code that stopped the scan */
    ct_fields cf;   /* the current event */
    const char *ev_start, *ev_end;
    char time_out[CF_TIME_STR_MAX];
    int has_time;
    cf_buf scratch;
} ct_scan;

/* After a value: ',' (then whitespace) or the closing ch. */
static int after_value(jsc *s, char close)
{
    jws(s);
    if (s->p < s->end && *s->p == ',') {
        s->p++;
        jws(s);
        return 0;
    }
    return s->p < s->end && *s->p == close ? 0 : -1;
}

/* The event's time in the table's form; consecutive events share their second: parsed once. */
static void ct_event_time(ct_scan *sc)
{
    static __thread char last_in[64], last_out[CF_TIME_STR_MAX];
    static __thread size_t last_n;
    const slice *t = &sc->cf.f[C_TIME];
    sc->has_time = 0;
    if (!t->p || t->esc || t->n >= 64)
        return;
    if (t->n != last_n || memcmp(last_in, t->p, last_n)) {
        char b[64];
        int64_t ns;
        memcpy(b, t->p, t->n);
        b[t->n] = '\0';
        last_n = 0;
        if (ct_time_fast(b, t->n, last_out)) {
            memcpy(last_in, b, t->n);
            last_n = t->n;
        } else if (cf_time_parse_checked(b, &ns) == CF_OK) {
            cf_time_format(ns, last_out);
            memcpy(last_in, b, t->n);
            last_n = t->n;
        }
    }
    if (last_n) {
        memcpy(sc->time_out, last_out, sizeof(sc->time_out));
        sc->has_time = 1;
    }
}

/* Walks to the next event: 1 with sc->cf filled, 0 at the end of the document, -1 when it is
 * malformed (sc->malformed) or an event is (sc->err). */
static int ct_scan_next(ct_scan *sc)
{
    jsc *s = &sc->s;
    slice k;
    for (;;) {
        if (sc->in_records) {
            if (s->p >= s->end)
                goto malformed;
            if (*s->p == ']') {
                s->p++;
                sc->in_records = 0;
                if (after_value(s, '}'))
                    goto malformed;
                continue;
            }
            if (*s->p == '{') {
                memset(&sc->cf, 0, sizeof(sc->cf));
                sc->cf.ro = -1;
                sc->ev_start = s->p;
                if (scan_object_keys(s, &sc->cf, 2, 0)) {
                    sc->err =
                        cf_error_set(CF_EPARSE, "%s: malformed CloudTrail event", sc->ctx->source);
                    return -1;
                }
                sc->ev_end = s->p;
                if (after_value(s, ']'))
                    goto malformed;
                ct_event_time(sc);
                return 1;
            }
            if (jvalue(s, 1)) {
                sc->err = cf_error_set(CF_EPARSE, "bad record");
                return -1;
            }
            if (after_value(s, ']'))
                goto malformed;
            continue;
        }
        if (s->p >= s->end)
            goto malformed;
        if (*s->p == '}') {
            s->p++;
            jws(s);
            if (s->p != s->end)
                goto malformed;
            sc->done = 1;
            return 0;
        }
        if (jstring(s, &k))
            goto malformed;
        jws(s);
        if (s->p >= s->end || *s->p != ':')
            goto malformed;
        s->p++;
        jws(s);
        if (key_is(&k, "Records") && s->p < s->end && *s->p == '[') {
            sc->seen = 1;
            sc->in_records = 1;
            s->p++;
            jws(s);
            continue;
        }
        if (jvalue(s, 1) || after_value(s, '}'))
            goto malformed;
    }
malformed:
    sc->malformed = 1;
    sc->err = sc->seen
                  ? cf_error_set(CF_EPARSE, "%s: malformed CloudTrail log file", sc->ctx->source)
                  : CF_EPARSE;
    return -1;
}

static int cv_next(void *state, sqlite3_int64 *rowid)
{
    ct_scan *sc = state;
    int r = ct_scan_next(sc);
    if (r == 1) {
        ++*rowid;
        sc->ctx->stats->rows++;
        return 1;
    }
    if (r == 0)
        return 0;
    return sc->err ? sc->err : CF_ERR;
}

/* The same values the bind path bound: NULL for absent or empty strings, invalid UTF-8 repaired. */
static int cv_column(void *state, sqlite3_context *cx, int i)
{
    ct_scan *sc = state;
    int col = i + 1;
    const slice *v;
    const char *text = NULL;
    size_t len = 0;
    switch (col) {
    case C_BUNDLE:
        if (sc->ctx->bundle_id)
            sqlite3_result_int64(cx, sc->ctx->bundle_id);
        return SQLITE_OK;
    case C_SOURCE:
        sqlite3_result_text(cx, sc->ctx->source, -1, SQLITE_STATIC);
        return SQLITE_OK;
    case C_TIME:
        if (sc->has_time)
            sqlite3_result_text(cx, sc->time_out, -1, SQLITE_TRANSIENT);
        return SQLITE_OK;
    case C_RO:
        if (sc->cf.ro >= 0)
            sqlite3_result_int(cx, sc->cf.ro);
        return SQLITE_OK;
    case C_EVENT:
        /* the whole record for mutating and failed calls; successful read-only calls (the bulk
         * of a trail) keep their columns, their full record stays in the hashed source file */
        if (sc->cf.ro != 1 || sc->cf.f[C_ERR].p)
            cf_result_text(cx, sc->ev_start, (size_t)(sc->ev_end - sc->ev_start));
        return SQLITE_OK;
    default:
        break;
    }
    if (col < C_ID || col > C_RES)
        return SQLITE_OK;
    v = &sc->cf.f[col];
    if (!v->p)
        return SQLITE_OK;
    if (slice_text(v, &sc->scratch, &text, &len)) {
        sqlite3_result_error_toobig(cx);
        return SQLITE_OK;
    }
    cf_result_text(cx, text, len);
    return SQLITE_OK;
}

/* 1 when handled (rc in *rc_out), 0 when the document is not a plain {"Records": [...]} (nothing
 * inserted: the jansson path takes it and says what is wrong). */
static int fast_records(cf_load_ctx *ctx, const char *json, size_t len, int *rc_out)
{
    ct_scan sc;
    cf_scan_src src = {.name = "cf_ct_log",
                       .columns = CT_VT_COLUMNS,
                       .est_rows = 100000,
                       .state = &sc,
                       .next = cv_next,
                       .column = cv_column};
    uint64_t rows0 = ctx->stats->rows;
    int rc, handled = 1;
    memset(&sc, 0, sizeof(sc));
    sc.ctx = ctx;
    sc.s.p = json;
    sc.s.end = json + len;
    cf_buf_init(&sc.scratch, CF_ANALYZE_MAX_JSON);
    jws(&sc.s);
    if (sc.s.p >= sc.s.end || *sc.s.p != '{')
        return 0;
    sc.s.p++;
    jws(&sc.s);
    rc = cf_scan_insert(ctx->db, "INSERT OR IGNORE", "cloudtrail_events", &src);
    if (rc && sc.malformed && !sc.seen) {
        handled = 0; /* nothing inserted */
        rc = CF_OK;
    } else if (!rc && !sc.seen) {
        handled = 0;
    }
    cf_buf_release(&sc.scratch);
    if (!handled)
        ctx->stats->rows = rows0;
    *rc_out = rc;
    return handled;
}

int cf_load_cloudtrail_mem(cf_load_ctx *ctx, const char *json, size_t len)
{
    json_t *root = NULL, *arr;
    sqlite3_stmt *st = NULL;
    int rc, lookup = 0;
    size_t i;
    json_t *e;
    if (fast_records(ctx, json, len, &rc))
        goto cleanup;
    if ((rc = cf_db_prepare(ctx->db, CT_INSERT, &st)))
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
