/* Reads a case database into the report model ("casefile.report/1", docs/report.md). Every
 * string is made valid UTF-8 and bounded here, so the renderers only have to escape. */
#include "report/cf_report.h"
#include "report/report_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/cf_error.h"
#include "common/cf_json.h"
#include "common/cf_time.h"

#define CHART_BUCKETS     48
#define CHART_SOURCES     5
#define MAX_ENTITY_KEYS   32
#define MAX_ROW_COLUMNS   40
#define MAX_INFO_KEYS     100
#define MAX_JSON_TEXT     (1 << 20) /* JSON text in a column parsed at most */
#define MAX_ATTACKER_IPS  64
#define MAX_NARRATIVE     200
#define CF_REPORT_XSTR(x) #x
#define CF_REPORT_STR(x)  CF_REPORT_XSTR(x)

typedef struct builder {
    cf_case *c;
    sqlite3 *db;
    cf_report_opts o;
    json_t *model;
} builder;

const char *cf_rm_str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

int64_t cf_rm_int(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (json_is_integer(v))
        return (int64_t)json_integer_value(v);
    if (json_is_real(v) && json_real_value(v) > -9e18 && json_real_value(v) < 9e18)
        return (int64_t)json_real_value(v);
    return 0;
}

int64_t cf_rm_count(json_t *v)
{
    json_int_t n = json_is_integer(v) ? json_integer_value(v) : 0;
    return n >= 0 && n <= 1000000000000LL ? (int64_t)n : 0;
}

int cf_report_sev_rank(const char *sev)
{
    if (!sev)
        return 0;
    if (!strcasecmp(sev, "critical"))
        return 4;
    if (!strcasecmp(sev, "high"))
        return 3;
    if (!strcasecmp(sev, "medium"))
        return 2;
    if (!strcasecmp(sev, "low"))
        return 1;
    return 0;
}

const char *cf_report_sev_name(int rank)
{
    static const char *const names[] = {"info", "low", "medium", "high", "critical"};
    return rank >= 0 && rank <= 4 ? names[rank] : "info";
}

static int db_fail(builder *b, const char *what)
{
    return cf_error_set(CF_EIO, "report: %s: %s", what, sqlite3_errmsg(b->db));
}

/* A bounded, valid UTF-8 JSON string (NULL on allocation failure). */
static json_t *jstr(const builder *b, const char *s, size_t len)
{
    char *t = NULL;
    json_t *j;
    if (!s)
        return json_null();
    if (cf_report_truncate(s, len, b->o.max_field, &t))
        return NULL;
    j = json_string(t);
    free(t);
    return j;
}

static json_t *jstrz(const builder *b, const char *s)
{
    return jstr(b, s, s ? strlen(s) : 0);
}

/* Sets key to a JSON value; steals v; fails on NULL. */
static int jset(json_t *o, const char *key, json_t *v)
{
    if (!v)
        return cf_error_set(CF_ENOMEM, "report: json");
    if (json_object_set_new(o, key, v))
        return cf_error_set(CF_ENOMEM, "report: json");
    return CF_OK;
}

static int jpush(json_t *a, json_t *v)
{
    if (!v || json_array_append_new(a, v))
        return cf_error_set(CF_ENOMEM, "report: json");
    return CF_OK;
}

/* Column i as a JSON value: strings bounded, numbers kept, NULL as null. */
static json_t *col_json(const builder *b, sqlite3_stmt *st, int i)
{
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_INTEGER:
        return json_integer((json_int_t)sqlite3_column_int64(st, i));
    case SQLITE_FLOAT: {
        double d = sqlite3_column_double(st, i);
        return isfinite(d) ? json_real(d) : json_null();
    }
    case SQLITE_NULL:
        return json_null();
    case SQLITE_BLOB: {
        char note[64];
        snprintf(note, sizeof(note), "[%d bytes of binary data]", sqlite3_column_bytes(st, i));
        return json_string(note);
    }
    default:
        return jstr(b, (const char *)sqlite3_column_text(st, i),
                    (size_t)sqlite3_column_bytes(st, i));
    }
}

static int table_exists(builder *b, const char *name)
{
    sqlite3_stmt *st = NULL;
    int found = 0;
    if (sqlite3_prepare_v2(b->db,
                           "SELECT 1 FROM sqlite_master WHERE type IN ('table','view') AND name=?",
                           -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return found;
}

static int64_t count_rows(builder *b, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int64_t n = 0;
    if (sqlite3_prepare_v2(b->db, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* Runs sql and appends each row as an object of its columns to arr. */
static int rows_to_array(builder *b, const char *sql, json_t *arr)
{
    sqlite3_stmt *st = NULL;
    int rc = CF_OK, s;
    if (sqlite3_prepare_v2(b->db, sql, -1, &st, NULL) != SQLITE_OK) {
        rc = db_fail(b, "query");
        goto cleanup;
    }
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *row = json_object();
        int ncol = sqlite3_column_count(st);
        if ((rc = jpush(arr, row)))
            goto cleanup;
        for (int i = 0; i < ncol && i < MAX_ROW_COLUMNS; i++)
            if ((rc = jset(row, sqlite3_column_name(st, i), col_json(b, st, i))))
                goto cleanup;
    }
    if (s != SQLITE_DONE)
        rc = db_fail(b, "query");
cleanup:
    sqlite3_finalize(st);
    return rc;
}

/* ---- case ---------------------------------------------------------------------------------- */

static json_t *parse_bounded(const char *s)
{
    json_t *j = NULL;
    size_t n = s ? strlen(s) : 0;
    if (!s || n == 0 || n > MAX_JSON_TEXT || cf_json_parse(s, n, &j) != CF_OK)
        return NULL;
    return j;
}

static int set_str_if(builder *b, json_t *o, const char *key, const char *v)
{
    if (!v || !*v)
        return CF_OK;
    return jset(o, key, jstrz(b, v));
}

static int build_case(builder *b, json_t *info_out)
{
    sqlite3_stmt *st = NULL;
    json_t *kase = json_object(), *info = json_object(), *finding = NULL, *ips = json_array();
    json_t *f, *v;
    int rc = CF_OK, s, nkeys = 0;
    if ((rc = jset(b->model, "case", kase)) || (rc = jset(kase, "attacker_ips", ips))) {
        json_decref(info);
        goto cleanup;
    }
    if ((rc = jset(kase, "info", info)))
        goto cleanup;
    if (sqlite3_prepare_v2(b->db, "SELECT key, value FROM case_info ORDER BY key", -1, &st, NULL) !=
        SQLITE_OK) {
        rc = db_fail(b, "case_info");
        goto cleanup;
    }
    while ((s = sqlite3_step(st)) == SQLITE_ROW && nkeys < MAX_INFO_KEYS) {
        const char *k = (const char *)sqlite3_column_text(st, 0);
        const char *val = (const char *)sqlite3_column_text(st, 1);
        if (!k)
            continue;
        if (!strcmp(k, "finding")) {
            finding = parse_bounded(val);
            continue;
        }
        if (!strcmp(k, "attacker_ips")) {
            json_t *a = parse_bounded(val);
            size_t i;
            json_array_foreach(a, i, v)
            {
                if (json_is_string(v) && json_array_size(ips) < MAX_ATTACKER_IPS &&
                    (rc = jpush(ips, jstrz(b, json_string_value(v))))) {
                    json_decref(a);
                    goto cleanup;
                }
            }
            json_decref(a);
            continue;
        }
        nkeys++;
        if ((rc = jset(info, k, col_json(b, st, 1))))
            goto cleanup;
    }
    /* Well-known keys promoted to the case object. */
    {
        static const char *const known[] = {"case_id",      "finding_id", "instance_id",
                                            "region",       "account_id", "opened_at",
                                            "window_start", "window_end", "availability_zone",
                                            "dry_run",      "narrative",  "closed_at"};
        for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
            v = json_object_get(info, known[i]);
            if (json_is_string(v) && (rc = jset(kase, known[i], json_string(json_string_value(v)))))
                goto cleanup;
        }
    }
    /* The GuardDuty finding: an EventBridge event's detail, a bare finding, or ASFF-wrapped. */
    f = finding;
    if (json_is_object(json_object_get(f, "detail")))
        f = json_object_get(f, "detail");
    if (json_is_object(f)) {
        json_t *sev = json_object_get(f, "severity");
        if ((rc = set_str_if(b, kase, "finding_type", cf_json_str(f, "type"))) ||
            (rc = set_str_if(b, kase, "finding_title", cf_json_str(f, "title"))) ||
            (rc = set_str_if(b, kase, "finding_description", cf_json_str(f, "description"))) ||
            (rc = set_str_if(b, kase, "finding_time", cf_json_str(f, "updatedAt"))) ||
            (rc = set_str_if(b, kase, "finding_first_seen",
                             cf_json_str(f, "service.eventFirstSeen"))))
            goto cleanup;
        if (json_is_number(sev) &&
            (rc = jset(kase, "finding_severity", json_real(json_number_value(sev)))))
            goto cleanup;
        if (!json_object_get(kase, "finding_id") &&
            (rc = set_str_if(b, kase, "finding_id", cf_json_str(f, "id"))))
            goto cleanup;
        if (!json_object_get(kase, "instance_id") &&
            (rc = set_str_if(b, kase, "instance_id",
                             cf_json_str(f, "resource.instanceDetails.instanceId"))))
            goto cleanup;
        if (!json_object_get(kase, "availability_zone") &&
            (rc = set_str_if(b, kase, "availability_zone",
                             cf_json_str(f, "resource.instanceDetails.availabilityZone"))))
            goto cleanup;
        if (!json_object_get(kase, "region") &&
            (rc = set_str_if(b, kase, "region", cf_json_str(f, "region"))))
            goto cleanup;
        if (!json_object_get(kase, "account_id") &&
            (rc = set_str_if(b, kase, "account_id", cf_json_str(f, "accountId"))))
            goto cleanup;
        if (json_array_size(ips) == 0) {
            static const char *const paths[] = {
                "service.action.networkConnectionAction.remoteIpDetails.ipAddressV4",
                "service.action.portProbeAction.portProbeDetails.0.remoteIpDetails.ipAddressV4",
                "service.action.awsApiCallAction.remoteIpDetails.ipAddressV4",
                "service.action.kubernetesApiCallAction.remoteIpDetails.ipAddressV4"};
            for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
                const char *ip = cf_json_str(f, paths[i]);
                if (ip && (rc = jpush(ips, jstrz(b, ip))))
                    goto cleanup;
            }
        }
    }
    json_object_update(info_out, info);
cleanup:
    sqlite3_finalize(st);
    json_decref(finding);
    return rc;
}

/* ---- detections and the evidence rows behind them ------------------------------------------ */

static int valid_ident(const char *s, size_t n)
{
    if (n == 0 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_'))
            return 0;
    }
    return 1;
}

/* "table:rowid" -> table, rowid; 0 when malformed. */
static int parse_ref(const char *ref, char table[65], int64_t *rowid)
{
    const char *colon = ref ? strrchr(ref, ':') : NULL;
    char *end = NULL;
    long long id;
    if (!colon || !valid_ident(ref, (size_t)(colon - ref)))
        return 0;
    id = strtoll(colon + 1, &end, 10);
    if (end == colon + 1 || *end || id < 0)
        return 0;
    memcpy(table, ref, (size_t)(colon - ref));
    table[colon - ref] = '\0';
    *rowid = id;
    return 1;
}

static void anchor_for(const char *table, int64_t rowid, char out[96])
{
    snprintf(out, 96, "ev-%s-%lld", table, (long long)rowid);
}

static const char *attack_url(const char *tech, char out[96])
{
    /* T1059 or T1059.004 only: anything else gets no link. */
    size_t n = strlen(tech);
    if (!((n == 5 || n == 9) && tech[0] == 'T'))
        return NULL;
    for (size_t i = 1; i < n; i++) {
        if (i == 5) {
            if (tech[i] != '.')
                return NULL;
        } else if (tech[i] < '0' || tech[i] > '9') {
            return NULL;
        }
    }
    if (n == 5)
        snprintf(out, 96, "https://attack.mitre.org/techniques/%s/", tech);
    else
        snprintf(out, 96, "https://attack.mitre.org/techniques/%.5s/%s/", tech, tech + 6);
    return out;
}

/* attack text "T1059.004, T1105" -> [{"id": ..., "url": ...}] */
static int build_attack(builder *b, const char *text, json_t *det)
{
    json_t *arr = json_array();
    char tok[32], url[96];
    size_t n = 0;
    int rc = jset(det, "attack", arr);
    if (rc || !text)
        return rc;
    for (const char *p = text;; p++) {
        if (*p && *p != ',' && *p != ' ' && *p != ';') {
            if (n < sizeof(tok) - 1)
                tok[n++] = *p;
            continue;
        }
        if (n > 0 && json_array_size(arr) < 16) {
            json_t *t = json_object();
            const char *u;
            tok[n] = '\0';
            u = attack_url(tok, url);
            if ((rc = jpush(arr, t)) || (rc = jset(t, "id", jstrz(b, tok))))
                return rc;
            if (u && (rc = jset(t, "url", json_string(u))))
                return rc;
        }
        n = 0;
        if (!*p)
            break;
    }
    return CF_OK;
}

static int build_detections(builder *b)
{
    sqlite3_stmt *st = NULL, *ins = NULL;
    json_t *dets = json_array(), *sevc = json_object();
    int rc, s;
    size_t refs_total = 0;
    if ((rc = jset(b->model, "detections", dets)) ||
        (rc = jset(b->model, "detection_counts", sevc)))
        goto cleanup;
    for (int r = 4; r >= 0; r--)
        if ((rc = jset(sevc, cf_report_sev_name(r), json_integer(0))))
            goto cleanup;
    if (sqlite3_exec(b->db,
                     "CREATE TEMP TABLE IF NOT EXISTS cf_report_refs(t TEXT NOT NULL, id INTEGER "
                     "NOT NULL, det INTEGER NOT NULL, rank INTEGER NOT NULL, PRIMARY KEY(t, id, "
                     "det)); DELETE FROM temp.cf_report_refs;",
                     NULL, NULL, NULL) != SQLITE_OK) {
        rc = db_fail(b, "temp table");
        goto cleanup;
    }
    if (sqlite3_prepare_v2(b->db, "INSERT OR IGNORE INTO temp.cf_report_refs VALUES(?,?,?,?)", -1,
                           &ins, NULL) != SQLITE_OK) {
        rc = db_fail(b, "temp insert");
        goto cleanup;
    }
    if (sqlite3_prepare_v2(
            b->db,
            "SELECT id, rule_id, title, severity, attack, time, entity, evidence FROM detections "
            "ORDER BY CASE lower(severity) WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN "
            "'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END, time, id",
            -1, &st, NULL) != SQLITE_OK) {
        rc = db_fail(b, "detections");
        goto cleanup;
    }
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        const char *sev = (const char *)sqlite3_column_text(st, 3);
        int rank = cf_report_sev_rank(sev);
        json_t *det, *ent, *refs, *evid;
        char anchor[96];
        size_t i;
        json_t *v;
        const char *k;
        json_object_set_new(
            sevc, cf_report_sev_name(rank),
            json_integer(json_integer_value(json_object_get(sevc, cf_report_sev_name(rank))) + 1));
        if (json_array_size(dets) >= b->o.max_detections)
            continue; /* counted, not listed */
        det = json_object();
        if ((rc = jpush(dets, det)))
            goto cleanup;
        snprintf(anchor, sizeof(anchor), "det-%lld", (long long)id);
        if ((rc = jset(det, "id", json_integer((json_int_t)id))) ||
            (rc = jset(det, "anchor", json_string(anchor))) ||
            (rc = jset(det, "rule_id", col_json(b, st, 1))) ||
            (rc = jset(det, "title", col_json(b, st, 2))) ||
            (rc = jset(det, "severity", json_string(cf_report_sev_name(rank)))) ||
            (rc = build_attack(b, (const char *)sqlite3_column_text(st, 4), det)) ||
            (rc = jset(det, "time", col_json(b, st, 5))))
            goto cleanup;
        /* entity: the rule row's columns, each shown as bounded text */
        ent = json_object();
        if ((rc = jset(det, "entity", ent)))
            goto cleanup;
        {
            json_t *e = parse_bounded((const char *)sqlite3_column_text(st, 6));
            int nk = 0;
            if (json_is_object(e)) {
                json_object_foreach(e, k, v)
                {
                    char *txt;
                    if (nk++ >= MAX_ENTITY_KEYS)
                        break;
                    txt = json_is_string(v) ? NULL : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
                    rc = jset(ent, k, txt ? jstrz(b, txt) : jstrz(b, json_string_value(v)));
                    free(txt);
                    if (rc) {
                        json_decref(e);
                        goto cleanup;
                    }
                }
            } else if (sqlite3_column_type(st, 6) == SQLITE_TEXT &&
                       (rc = jset(ent, "value", col_json(b, st, 6)))) {
                json_decref(e);
                goto cleanup;
            }
            json_decref(e);
        }
        refs = json_array();
        if ((rc = jset(det, "evidence", refs)))
            goto cleanup;
        evid = parse_bounded((const char *)sqlite3_column_text(st, 7));
        json_array_foreach(evid, i, v)
        {
            char table[65];
            int64_t rowid;
            json_t *ref;
            if (json_array_size(refs) >= b->o.max_refs_per_detection)
                break;
            if (!parse_ref(json_string_value(v), table, &rowid))
                continue;
            anchor_for(table, rowid, anchor);
            ref = json_object();
            if ((rc = jpush(refs, ref)) || (rc = jset(ref, "table", json_string(table))) ||
                (rc = jset(ref, "rowid", json_integer((json_int_t)rowid))) ||
                (rc = jset(ref, "anchor", json_string(anchor)))) {
                json_decref(evid);
                goto cleanup;
            }
            if (refs_total < b->o.max_evidence_rows) {
                sqlite3_reset(ins);
                sqlite3_bind_text(ins, 1, table, -1, SQLITE_TRANSIENT);
                sqlite3_bind_int64(ins, 2, rowid);
                sqlite3_bind_int64(ins, 3, id);
                sqlite3_bind_int(ins, 4, rank);
                if (sqlite3_step(ins) != SQLITE_DONE) {
                    json_decref(evid);
                    rc = db_fail(b, "temp insert");
                    goto cleanup;
                }
                refs_total++;
            }
        }
        json_decref(evid);
    }
    if (s != SQLITE_DONE)
        rc = db_fail(b, "detections");
cleanup:
    sqlite3_finalize(st);
    sqlite3_finalize(ins);
    return rc;
}

/* The rows detections point at, each with an anchor the detections link to. */
static int build_evidence_rows(builder *b)
{
    sqlite3_stmt *st = NULL, *row = NULL;
    json_t *rows = json_array();
    int rc, s;
    char sql[160], anchor[96];
    if ((rc = jset(b->model, "evidence_rows", rows)))
        goto cleanup;
    if (sqlite3_prepare_v2(b->db,
                           "SELECT t, id, group_concat(det), max(rank) FROM temp.cf_report_refs "
                           "GROUP BY t, id ORDER BY t, id",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = db_fail(b, "evidence rows");
        goto cleanup;
    }
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        const char *table = (const char *)sqlite3_column_text(st, 0);
        int64_t rowid = sqlite3_column_int64(st, 1);
        const char *dets = (const char *)sqlite3_column_text(st, 2);
        json_t *o = json_object(), *cols = json_object(), *darr = json_array();
        if ((rc = jpush(rows, o)) || (rc = jset(o, "columns", cols)) ||
            (rc = jset(o, "detections", darr)))
            goto cleanup;
        anchor_for(table, rowid, anchor);
        if ((rc = jset(o, "table", json_string(table))) ||
            (rc = jset(o, "rowid", json_integer((json_int_t)rowid))) ||
            (rc = jset(o, "anchor", json_string(anchor))) ||
            (rc = jset(o, "severity", json_string(cf_report_sev_name(sqlite3_column_int(st, 3))))))
            goto cleanup;
        for (const char *p = dets; p && *p;) {
            char *end = NULL;
            long long d = strtoll(p, &end, 10);
            if (end == p)
                break;
            if ((rc = jpush(darr, json_integer((json_int_t)d))))
                goto cleanup;
            p = *end == ',' ? end + 1 : end;
        }
        if (!table_exists(b, table)) {
            if ((rc = jset(o, "missing", json_string("table not in case.db"))))
                goto cleanup;
            continue;
        }
        snprintf(sql, sizeof(sql), "SELECT * FROM \"%s\" WHERE rowid = ?", table);
        if (sqlite3_prepare_v2(b->db, sql, -1, &row, NULL) != SQLITE_OK) {
            rc = db_fail(b, "evidence row");
            goto cleanup;
        }
        sqlite3_bind_int64(row, 1, rowid);
        if (sqlite3_step(row) == SQLITE_ROW) {
            int ncol = sqlite3_column_count(row);
            for (int i = 0; i < ncol && i < MAX_ROW_COLUMNS; i++) {
                if (sqlite3_column_type(row, i) == SQLITE_NULL)
                    continue; /* absent facts stay absent */
                if ((rc = jset(cols, sqlite3_column_name(row, i), col_json(b, row, i))))
                    goto cleanup;
            }
        } else if ((rc = jset(o, "missing", json_string("row not in case.db")))) {
            goto cleanup;
        }
        sqlite3_finalize(row);
        row = NULL;
    }
    if (s != SQLITE_DONE)
        rc = db_fail(b, "evidence rows");
cleanup:
    sqlite3_finalize(st);
    sqlite3_finalize(row);
    return rc;
}

/* ---- timeline ------------------------------------------------------------------------------ */

typedef struct tl_point {
    int64_t t;
    int src; /* index into the top sources, CHART_SOURCES = other */
} tl_point;

/* Times the chart can place without overflow: 1970 .. 2100. */
static int sane_time(int64_t t)
{
    return t >= 0 && t < 4102444800LL * CF_NS_PER_SEC;
}

static int chart_add_marks(builder *b, json_t *chart, const char *key, const char *sql,
                           int64_t *tmin, int64_t *tmax)
{
    sqlite3_stmt *st = NULL;
    json_t *arr = json_array();
    int rc = jset(chart, key, arr);
    if (rc)
        return rc;
    if (sqlite3_prepare_v2(b->db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_fail(b, key);
    while (sqlite3_step(st) == SQLITE_ROW && json_array_size(arr) < 500) {
        int64_t t;
        const char *ts = (const char *)sqlite3_column_text(st, 0);
        json_t *m;
        if (!ts || cf_time_parse(ts, &t) != CF_OK || !sane_time(t))
            continue;
        m = json_object();
        if ((rc = jpush(arr, m)) || (rc = jset(m, "time", jstrz(b, ts))) ||
            (rc = jset(m, "label", col_json(b, st, 1))) ||
            (rc = jset(m, "severity", col_json(b, st, 2))) ||
            (rc = jset(m, "anchor", col_json(b, st, 3))))
            break;
        if (t < *tmin)
            *tmin = t;
        if (t > *tmax)
            *tmax = t;
    }
    sqlite3_finalize(st);
    return rc;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* The case's time window, when the workflow or the analysis recorded one. */
static int window_of(builder *b, int64_t *lo, int64_t *hi)
{
    json_t *kase = json_object_get(b->model, "case");
    const char *a = cf_rm_str(kase, "window_start"), *z = cf_rm_str(kase, "window_end");
    sqlite3_stmt *st = NULL;
    int ok = 0;
    if (*a && *z && cf_time_parse(a, lo) == CF_OK && cf_time_parse(z, hi) == CF_OK && *lo < *hi &&
        sane_time(*lo) && sane_time(*hi))
        return 1;
    if (table_exists(b, "case_window") &&
        sqlite3_prepare_v2(b->db, "SELECT start, \"end\" FROM case_window LIMIT 1", -1, &st,
                           NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        const char *s1 = (const char *)sqlite3_column_text(st, 0);
        const char *s2 = (const char *)sqlite3_column_text(st, 1);
        ok = s1 && s2 && cf_time_parse(s1, lo) == CF_OK && cf_time_parse(s2, hi) == CF_OK &&
             *lo < *hi && sane_time(*lo) && sane_time(*hi);
    }
    sqlite3_finalize(st);
    return ok;
}

static int build_timeline(builder *b)
{
    sqlite3_stmt *st = NULL;
    json_t *tl = json_object(), *events = json_array(), *chart = json_object();
    json_t *sources = json_array(), *buckets = json_array();
    tl_point *pts = NULL;
    size_t npts = 0, cap = 0;
    char srcname[CHART_SOURCES][64];
    int nsrc = 0, rc, s;
    int64_t total = count_rows(b, "SELECT count(*) FROM timeline"), tmin = INT64_MAX,
            tmax = INT64_MIN;
    if ((rc = jset(b->model, "timeline", tl)) || (rc = jset(tl, "events", events)) ||
        (rc = jset(tl, "chart", chart)) || (rc = jset(chart, "sources", sources)) ||
        (rc = jset(chart, "buckets", buckets)) ||
        (rc = jset(tl, "total", json_integer((json_int_t)total))))
        goto cleanup;
    /* The most frequent sources get their own colour; the rest are "other". */
    if (sqlite3_prepare_v2(b->db,
                           "SELECT source, count(*) AS n FROM timeline GROUP BY source ORDER BY n "
                           "DESC, source LIMIT " CF_REPORT_STR(CHART_SOURCES),
                           -1, &st, NULL) != SQLITE_OK) {
        rc = db_fail(b, "timeline sources");
        goto cleanup;
    }
    while (sqlite3_step(st) == SQLITE_ROW && nsrc < CHART_SOURCES) {
        const char *src = (const char *)sqlite3_column_text(st, 0);
        snprintf(srcname[nsrc], sizeof(srcname[nsrc]), "%s", src ? src : "");
        if ((rc = jpush(sources, jstrz(b, srcname[nsrc]))))
            goto cleanup;
        nsrc++;
    }
    sqlite3_finalize(st);
    st = NULL;
    /* Every event is counted in the chart (times only; bounded by the table itself). */
    if (sqlite3_prepare_v2(b->db, "SELECT time, source FROM timeline", -1, &st, NULL) !=
        SQLITE_OK) {
        rc = db_fail(b, "timeline");
        goto cleanup;
    }
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t t;
        const char *ts = (const char *)sqlite3_column_text(st, 0);
        const char *src = (const char *)sqlite3_column_text(st, 1);
        int k;
        if (!ts || cf_time_parse(ts, &t) != CF_OK || !sane_time(t))
            continue;
        if (npts == cap) {
            size_t ncap = cap ? cap * 2 : 1024;
            tl_point *np = realloc(pts, ncap * sizeof(*np));
            if (!np) {
                rc = cf_error_set(CF_ENOMEM, "report: timeline");
                goto cleanup;
            }
            pts = np;
            cap = ncap;
        }
        for (k = 0; k < nsrc; k++)
            if (src && !strncmp(src, srcname[k], sizeof(srcname[k]) - 1) &&
                strlen(src) < sizeof(srcname[k]))
                break;
        pts[npts].t = t;
        pts[npts].src = k;
        npts++;
        if (t < tmin)
            tmin = t;
        if (t > tmax)
            tmax = t;
    }
    sqlite3_finalize(st);
    st = NULL;
    {
        /* The charted range: the case window when one is known (case_info window_start/_end,
         * or the analysis's case_window), else where 96% of the events are (old file times
         * would otherwise squeeze the attack into one bar); casefile's own actions always. */
        int64_t dmin = INT64_MAX, dmax = INT64_MIN, amin = INT64_MAX, amax = INT64_MIN;
        int64_t wlo = 0, whi = 0;
        int have_window = window_of(b, &wlo, &whi);
        if ((rc = chart_add_marks(b, chart, "detection_marks",
                                  "SELECT time, title, lower(severity), 'det-' || id FROM "
                                  "detections WHERE time IS NOT NULL ORDER BY time",
                                  &dmin, &dmax)) ||
            (rc = chart_add_marks(b, chart, "action_marks",
                                  "SELECT time, call, result, NULL FROM actions WHERE result IN "
                                  "('ok','exists','dry-run') ORDER BY time",
                                  &amin, &amax)))
            goto cleanup;
        if (have_window) {
            tmin = wlo;
            tmax = whi;
        } else if (npts >= 50) {
            int64_t *ts = malloc(npts * sizeof(*ts));
            if (!ts) {
                rc = cf_error_set(CF_ENOMEM, "report: timeline");
                goto cleanup;
            }
            for (size_t i = 0; i < npts; i++)
                ts[i] = pts[i].t;
            qsort(ts, npts, sizeof(*ts), cmp_i64);
            tmin = ts[npts * 2 / 100];
            tmax = ts[npts - 1 - npts * 2 / 100];
            free(ts);
            if (dmin < tmin)
                tmin = dmin;
            if (dmax > tmax)
                tmax = dmax;
        } else {
            if (dmin < tmin)
                tmin = dmin;
            if (dmax > tmax)
                tmax = dmax;
        }
        if (amin < tmin)
            tmin = amin;
        if (amax > tmax)
            tmax = amax;
    }
    if (tmin <= tmax) {
        char a[CF_TIME_STR_MAX], z[CF_TIME_STR_MAX];
        int64_t span = tmax - tmin, width;
        if (span < CF_NS_PER_SEC * CHART_BUCKETS)
            span = CF_NS_PER_SEC * CHART_BUCKETS; /* at least one second per bucket */
        width = span / CHART_BUCKETS + 1;
        cf_time_format(tmin, a);
        cf_time_format(tmin + width * CHART_BUCKETS, z);
        if ((rc = jset(chart, "start", json_string(a))) ||
            (rc = jset(chart, "end", json_string(z))) ||
            (rc = jset(chart, "bucket_ns", json_integer((json_int_t)width))))
            goto cleanup;
        {
            int64_t counts[CHART_BUCKETS][CHART_SOURCES + 1];
            memset(counts, 0, sizeof(counts));
            int64_t earlier = 0, later = 0;
            for (size_t i = 0; i < npts; i++) {
                int64_t k;
                if (pts[i].t < tmin) {
                    earlier++;
                    continue;
                }
                if (pts[i].t > tmax) {
                    later++;
                    continue;
                }
                k = (pts[i].t - tmin) / width;
                if (k >= CHART_BUCKETS)
                    k = CHART_BUCKETS - 1;
                counts[k][pts[i].src]++;
            }
            if ((rc = jset(chart, "earlier", json_integer((json_int_t)earlier))) ||
                (rc = jset(chart, "later", json_integer((json_int_t)later))))
                goto cleanup;
            for (int k = 0; k < CHART_BUCKETS; k++) {
                json_t *row = json_array();
                if ((rc = jpush(buckets, row)))
                    goto cleanup;
                for (int j = 0; j <= CHART_SOURCES; j++)
                    if ((rc = jpush(row, json_integer((json_int_t)counts[k][j]))))
                        goto cleanup;
            }
        }
    }
    /* The listed events: those behind detections first, then in time order; shown by time. */
    if (sqlite3_prepare_v2(
            b->db,
            "SELECT * FROM (SELECT t.id, t.time, t.source, t.kind, t.summary, t.ref_table, "
            "t.ref_id, (SELECT max(r.rank) FROM temp.cf_report_refs r WHERE r.t = t.ref_table AND "
            "r.id = t.ref_id) AS rk FROM timeline t ORDER BY rk IS NULL, t.time, t.id LIMIT ?) "
            "ORDER BY time, id",
            -1, &st, NULL) != SQLITE_OK) {
        rc = db_fail(b, "timeline events");
        goto cleanup;
    }
    sqlite3_bind_int64(st, 1, (sqlite3_int64)b->o.max_timeline_events);
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *e = json_object();
        if ((rc = jpush(events, e)) || (rc = jset(e, "time", col_json(b, st, 1))) ||
            (rc = jset(e, "source", col_json(b, st, 2))) ||
            (rc = jset(e, "kind", col_json(b, st, 3))) ||
            (rc = jset(e, "summary", col_json(b, st, 4))))
            goto cleanup;
        if (sqlite3_column_type(st, 7) == SQLITE_NULL &&
            sqlite3_column_type(st, 5) == SQLITE_TEXT &&
            !strcmp((const char *)sqlite3_column_text(st, 5), "detections")) {
            char anchor[48];
            snprintf(anchor, sizeof(anchor), "det-%lld", (long long)sqlite3_column_int64(st, 6));
            if ((rc = jset(e, "anchor", json_string(anchor))) ||
                (rc = jset(e, "severity",
                           json_string(cf_report_sev_name(
                               cf_report_sev_rank((const char *)sqlite3_column_text(st, 3)))))))
                goto cleanup;
        } else if (sqlite3_column_type(st, 7) != SQLITE_NULL) {
            char anchor[96];
            const char *t = (const char *)sqlite3_column_text(st, 5);
            anchor_for(t ? t : "", sqlite3_column_int64(st, 6), anchor);
            if ((rc = jset(e, "anchor", json_string(anchor))) ||
                (rc = jset(e, "severity",
                           json_string(cf_report_sev_name(sqlite3_column_int(st, 7))))))
                goto cleanup;
        }
        if (sqlite3_column_type(st, 5) != SQLITE_NULL &&
            (rc = jset(e, "ref", jstrz(b, (const char *)sqlite3_column_text(st, 5)))))
            goto cleanup;
    }
    if (s != SQLITE_DONE) {
        rc = db_fail(b, "timeline events");
        goto cleanup;
    }
    rc = jset(tl, "shown", json_integer((json_int_t)json_array_size(events)));
cleanup:
    sqlite3_finalize(st);
    free(pts);
    return rc;
}

/* ---- actions, evidence, steps, bundles ----------------------------------------------------- */

static int build_simple(builder *b)
{
    char sql[512];
    json_t *actions = json_array(), *evidence = json_array(), *steps = json_array(),
           *bundles = json_array(), *counts = json_object();
    int rc;
    if ((rc = jset(b->model, "actions", actions)) || (rc = jset(b->model, "evidence", evidence)) ||
        (rc = jset(b->model, "steps", steps)) || (rc = jset(b->model, "bundles", bundles)) ||
        (rc = jset(b->model, "counts", counts)))
        return rc;
    snprintf(sql, sizeof(sql),
             "SELECT id, step, time, call, target, params, request_id, result, detail FROM "
             "actions ORDER BY time, id LIMIT %zu",
             b->o.max_rows);
    if ((rc = rows_to_array(b, sql, actions)))
        return rc;
    snprintf(sql, sizeof(sql),
             "SELECT id, bundle, kind, path, sha256, bytes, s3_uri, verified, detail FROM evidence "
             "ORDER BY bundle, path LIMIT %zu",
             b->o.max_rows);
    if ((rc = rows_to_array(b, sql, evidence)))
        return rc;
    if ((rc = rows_to_array(
             b,
             "SELECT name, status, attempts, started_at, finished_at, duration_ms, output, error "
             "FROM steps ORDER BY CASE name WHEN 'triage' THEN 0 WHEN 'notify' THEN 1 WHEN "
             "'block_ip' THEN 2 WHEN 'collect_volatile' THEN 3 WHEN 'analyze_volatile' THEN 4 "
             "WHEN 'isolate' THEN 5 WHEN 'snapshot' THEN 6 WHEN 'collect_disk' THEN 7 WHEN "
             "'analyze' THEN 8 WHEN 'report' THEN 9 ELSE 10 END, started_at, name LIMIT 200",
             steps)))
        return rc;
    snprintf(sql, sizeof(sql),
             "SELECT id, kind, instance_id, path, manifest_sha256, loaded_at FROM bundles ORDER "
             "BY id LIMIT %zu",
             b->o.max_rows);
    if ((rc = rows_to_array(b, sql, bundles)))
        return rc;
    {
        static const struct {
            const char *key, *sql;
        } q[] = {
            {"actions", "SELECT count(*) FROM actions"},
            {"actions_failed", "SELECT count(*) FROM actions WHERE result = 'error'"},
            {"evidence", "SELECT count(*) FROM evidence"},
            {"evidence_verified", "SELECT count(*) FROM evidence WHERE verified = 1"},
            {"evidence_mismatch", "SELECT count(*) FROM evidence WHERE verified = 0"},
            {"evidence_bytes", "SELECT coalesce(sum(bytes), 0) FROM evidence"},
            {"bundles", "SELECT count(*) FROM bundles"},
            {"detections", "SELECT count(*) FROM detections"},
            {"steps_failed", "SELECT count(*) FROM steps WHERE status = 'failed'"},
        };
        for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++)
            if ((rc = jset(counts, q[i].key, json_integer((json_int_t)count_rows(b, q[i].sql)))))
                return rc;
    }
    return CF_OK;
}

/* The attack story written by the analysis (docs/analysis.md): the `narrative` table, one row
 * per phase (seq, phase, time, title, summary, detection_id, ...); rows of phase "response"
 * repeat the actions and are left out. A case_info "narrative" text is shown as is. Also the
 * rule engine's and loaders' problems (rule_runs, load_errors) when those tables exist. */
static int build_narrative(builder *b)
{
    json_t *arr = json_array(), *story = json_array(), *rerr = json_array();
    json_t *kase = json_object_get(b->model, "case");
    const char *single = cf_rm_str(kase, "narrative");
    int rc;
    if ((rc = jset(b->model, "narrative", arr)) || (rc = jset(b->model, "story", story)) ||
        (rc = jset(b->model, "rule_errors", rerr)))
        return rc;
    if (*single && (rc = jpush(arr, json_string(single))))
        return rc;
    if (table_exists(b, "narrative")) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(
                b->db,
                "SELECT phase, time, title, summary, detection_id FROM narrative "
                "WHERE phase IS NOT 'response' ORDER BY seq, id LIMIT " CF_REPORT_STR(
                    MAX_NARRATIVE),
                -1, &st, NULL) == SQLITE_OK) {
            while (rc == CF_OK && sqlite3_step(st) == SQLITE_ROW) {
                json_t *o = json_object();
                if ((rc = jpush(story, o)) || (rc = jset(o, "phase", col_json(b, st, 0))) ||
                    (rc = jset(o, "time", col_json(b, st, 1))) ||
                    (rc = jset(o, "title", col_json(b, st, 2))) ||
                    (rc = jset(o, "summary", col_json(b, st, 3))))
                    break;
                if (sqlite3_column_type(st, 4) == SQLITE_INTEGER) {
                    char anchor[48];
                    snprintf(anchor, sizeof(anchor), "det-%lld",
                             (long long)sqlite3_column_int64(st, 4));
                    rc = jset(o, "anchor", json_string(anchor));
                }
            }
        }
        sqlite3_finalize(st);
        if (rc)
            return rc;
    }
    if (table_exists(b, "rule_runs") &&
        (rc = rows_to_array(b,
                            "SELECT rule_id, status, error FROM rule_runs WHERE status IS NOT "
                            "'ok' ORDER BY rule_id LIMIT 200",
                            rerr)))
        return rc;
    if (table_exists(b, "load_errors") &&
        (rc = jset(json_object_get(b->model, "counts"), "load_errors",
                   json_integer((json_int_t)count_rows(b, "SELECT count(*) FROM load_errors")))))
        return rc;
    return CF_OK;
}

/* ---- summary ------------------------------------------------------------------------------- */

static int addf(json_t *arr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int addf(json_t *arr, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    return jpush(arr, json_string(line));
}

/* What an action did, in words. */
static const char *action_verb(const char *call)
{
    static const struct {
        const char *needle, *verb;
    } m[] = {
        {"NetworkAclEntry", "denied attacker traffic in network ACL"},
        {"SendEmail", "sent e-mail"},
        {"SendRawEmail", "sent e-mail"},
        {"SendCommand", "ran a command through SSM on"},
        {"CreateSecurityGroup", "created an isolation security group in"},
        {"ModifyNetworkInterfaceAttribute", "moved a network interface to isolation groups:"},
        {"ModifyInstanceAttribute", "changed instance attribute of"},
        {"DeregisterTargets", "removed the instance from load-balancer target group"},
        {"EnterStandby", "put the instance in Auto Scaling standby:"},
        {"DetachInstances", "detached the instance from Auto Scaling group"},
        {"CreateSnapshot", "snapshotted volume"},
        {"CreateVolume", "created a forensic volume from"},
        {"AttachVolume", "attached forensic volume"},
        {"DetachVolume", "detached forensic volume"},
        {"DeleteVolume", "deleted forensic volume"},
        {"ReplaceIamInstanceProfileAssociation", "swapped the instance profile of"},
        {"DisassociateIamInstanceProfile", "removed the instance profile of"},
        {"PutRolePolicy", "revoked active role sessions:"},
        {"PutObject", "stored object"},
        {"RunInstances", "launched forensic worker"},
        {"TerminateInstances", "terminated forensic worker"},
        {"AuthorizeSecurityGroup", "set the rules of isolation security group"},
        {"RevokeSecurityGroupEgress", "removed outbound rules of isolation security group"},
        {"DeleteSecurityGroup", "deleted security group"},
        {"CreateTags", "tagged"},
    };
    for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
        if (strstr(call, m[i].needle))
            return m[i].verb;
    return NULL;
}

static int build_summary(builder *b)
{
    json_t *sum = json_object(), *did = json_array(), *next = json_array(), *what = json_array();
    json_t *kase = json_object_get(b->model, "case");
    json_t *counts = json_object_get(b->model, "counts");
    json_t *dets = json_object_get(b->model, "detections");
    json_t *dc = json_object_get(b->model, "detection_counts");
    json_t *ips = json_object_get(kase, "attacker_ips");
    json_t *v;
    size_t i;
    int rc, top = -1, isolated = 0, blocked = 0, dry = 0;
    char ipbuf[512] = "";
    const char *inst = cf_rm_str(kase, "instance_id");
    const char *ftype = cf_rm_str(kase, "finding_type");
    if ((rc = jset(b->model, "summary", sum)) || (rc = jset(sum, "casefile_did", did)) ||
        (rc = jset(sum, "next_steps", next)) || (rc = jset(sum, "what_happened", what)))
        return rc;
    for (int r = 4; r >= 0 && top < 0; r--)
        if (cf_rm_int(dc, cf_report_sev_name(r)) > 0)
            top = r;
    if (top < 0) {
        json_t *fs = json_object_get(kase, "finding_severity");
        double s = json_is_number(fs) ? json_number_value(fs) : -1;
        top = s >= 9 ? 4 : s >= 7 ? 3 : s >= 4 ? 2 : s >= 0 ? 1 : 0;
    }
    if ((rc = jset(sum, "severity", json_string(cf_report_sev_name(top)))))
        return rc;
    json_array_foreach(ips, i, v)
    {
        size_t n = strlen(ipbuf);
        if (n + 2 + strlen(json_string_value(v)) >= sizeof(ipbuf) - 8) {
            snprintf(ipbuf + n, sizeof(ipbuf) - n, ", ...");
            break;
        }
        snprintf(ipbuf + n, sizeof(ipbuf) - n, "%s%s", n ? ", " : "", json_string_value(v));
    }
    {
        char head[768];
        int64_t ndet = cf_rm_int(counts, "detections");
        snprintf(head, sizeof(head), "%s%s%s: %lld detection%s, %s severity",
                 *ftype ? ftype : "Incident", *inst ? " on " : "", inst, (long long)ndet,
                 ndet == 1 ? "" : "s", cf_report_sev_name(top));
        if ((rc = jset(sum, "headline", jstrz(b, head))))
            return rc;
    }
    /* what happened */
    if (*ftype) {
        json_t *fs = json_object_get(kase, "finding_severity");
        const char *az = cf_rm_str(kase, "availability_zone");
        char sev[32] = "";
        if (json_is_number(fs))
            snprintf(sev, sizeof(sev), " (severity %.1f)", json_number_value(fs));
        if ((rc = addf(what, "GuardDuty reported %.200s%s for instance %.64s%s%.64s%s%.400s.",
                       ftype, sev, *inst ? inst : "(unknown)", *az ? " in " : "", az,
                       *ipbuf ? "; attacker address: " : "", ipbuf)))
            return rc;
    }
    json_array_foreach(json_object_get(b->model, "narrative"), i, v)
    {
        if ((rc = jpush(what, json_incref(v))))
            return rc;
    }
    if (json_array_size(dets) > 0) {
        /* "casefile found N detections: title (severity, xK); ..." - distinct titles, worst
         * first (the list is sorted by severity), at most five. */
        cf_buf line = CF_BUF_INIT(4096);
        json_t *seen = json_object();
        size_t shown = 0;
        cf_buf_addf(&line, "casefile found %lld detection%s",
                    (long long)cf_rm_int(counts, "detections"),
                    cf_rm_int(counts, "detections") == 1 ? "" : "s");
        json_array_foreach(dets, i, v)
        {
            const char *t = cf_rm_str(v, "title");
            json_object_set_new(seen, t,
                                json_integer(json_integer_value(json_object_get(seen, t)) + 1));
        }
        json_array_foreach(dets, i, v)
        {
            const char *t = cf_rm_str(v, "title");
            json_int_t k = json_integer_value(json_object_get(seen, t));
            if (k == 0)
                continue; /* already listed */
            if (shown++ == 5)
                break;
            if (k > 1)
                cf_buf_addf(&line, "%s%.300s (%s, x%lld)", shown > 1 ? "; " : ": ", t,
                            cf_rm_str(v, "severity"), (long long)k);
            else
                cf_buf_addf(&line, "%s%.300s (%s)", shown > 1 ? "; " : ": ", t,
                            cf_rm_str(v, "severity"));
            json_object_set_new(seen, t, json_integer(0));
        }
        cf_buf_addch(&line, '.');
        json_decref(seen);
        rc = jpush(what, jstrz(b, cf_buf_cstr(&line)));
        cf_buf_release(&line);
        if (rc)
            return rc;
    } else if ((rc = addf(what, "No detection rule matched the evidence collected so far."))) {
        return rc;
    }
    /* when */
    {
        json_t *chart = json_object_get(json_object_get(b->model, "timeline"), "chart");
        json_t *when = json_object();
        if ((rc = jset(sum, "when", when)))
            return rc;
        if (json_object_get(chart, "start") &&
            ((rc = jset(when, "first_activity", json_incref(json_object_get(chart, "start")))) ||
             (rc = jset(when, "chart_end", json_incref(json_object_get(chart, "end"))))))
            return rc;
        {
            const char *fst = cf_rm_str(kase, "finding_first_seen");
            const char *ft = cf_rm_str(kase, "finding_time");
            const char *op = cf_rm_str(kase, "opened_at");
            if ((*fst && (rc = jset(when, "finding_first_seen", json_string(fst)))) ||
                (*ft && (rc = jset(when, "finding_updated", json_string(ft)))) ||
                (*op && (rc = jset(when, "case_opened", json_string(op)))))
                return rc;
        }
    }
    /* what casefile did */
    dry = !strcmp(cf_rm_str(kase, "dry_run"), "1") || !strcmp(cf_rm_str(kase, "dry_run"), "true");
    {
        /* One line per distinct change (verb, target, outcome), with its first time and how
         * many times it was made (a change per ENI, per direction, ...); at most 40 lines. */
        json_t *seen = json_object(), *lines = json_array(), *nums = json_array();
        size_t more = 0;
        json_array_foreach(json_object_get(b->model, "actions"), i, v)
        {
            const char *call = cf_rm_str(v, "call"), *res = cf_rm_str(v, "result");
            const char *verb = action_verb(call);
            const char *target = cf_rm_str(v, "target");
            char text[1024], suffix[400] = "";
            json_t *at;
            if (!strcmp(res, "dry-run"))
                dry = 1;
            if (strstr(call, "NetworkAclEntry") && strcmp(res, "error"))
                blocked = 1;
            if (strstr(call, "ModifyNetworkInterfaceAttribute") && strcmp(res, "error"))
                isolated = 1;
            if (!strcmp(res, "error"))
                snprintf(suffix, sizeof(suffix), " (FAILED: %.300s)", cf_rm_str(v, "detail"));
            else if (!strcmp(res, "exists"))
                snprintf(suffix, sizeof(suffix), " (already done)");
            snprintf(text, sizeof(text), "%.40s%s%s%s %.200s%s", cf_rm_str(v, "step"),
                     *cf_rm_str(v, "step") ? ": " : "",
                     !strcmp(res, "dry-run") ? "would have " : "", verb ? verb : call, target,
                     suffix);
            at = json_object_get(seen, text);
            if (at) {
                size_t k = (size_t)json_integer_value(at);
                json_array_set_new(nums, k,
                                   json_integer(json_integer_value(json_array_get(nums, k)) + 1));
                continue;
            }
            if (json_array_size(lines) >= 40) {
                more++;
                continue;
            }
            json_object_set_new(seen, text, json_integer((json_int_t)json_array_size(lines)));
            json_array_append_new(nums, json_integer(1));
            json_array_append_new(lines, json_pack("[s,s]", cf_rm_str(v, "time"), text));
        }
        json_array_foreach(lines, i, v)
        {
            json_int_t n = json_integer_value(json_array_get(nums, i));
            if (rc == CF_OK)
                rc = n > 1 ? addf(did, "%.40s %s (x%lld)", json_string_value(json_array_get(v, 0)),
                                  json_string_value(json_array_get(v, 1)), (long long)n)
                           : addf(did, "%.40s %s", json_string_value(json_array_get(v, 0)),
                                  json_string_value(json_array_get(v, 1)));
        }
        if (rc == CF_OK && more > 0)
            rc = addf(did, "... and %zu other change(s): see the containment table.", more);
        json_decref(seen);
        json_decref(lines);
        json_decref(nums);
        if (rc)
            return rc;
    }
    if (json_array_size(did) == 0 && (rc = addf(did, "No change was made in AWS.")))
        return rc;
    if ((rc = jset(sum, "dry_run", json_boolean(dry))))
        return rc;
    /* next steps */
    if (dry &&
        (rc = addf(next, "This was a dry run: nothing was changed in AWS. Run casefile respond "
                         "without --dry-run to contain the instance.")))
        return rc;
    json_array_foreach(json_object_get(b->model, "steps"), i, v)
    {
        if (!strcmp(cf_rm_str(v, "status"), "failed") &&
            (rc = addf(next,
                       "Step %.40s failed (%.300s): fix the cause, then run casefile "
                       "resume on this case.",
                       cf_rm_str(v, "name"), cf_rm_str(v, "error"))))
            return rc;
    }
    if (cf_rm_int(counts, "evidence_mismatch") > 0 &&
        (rc = addf(next,
                   "%lld evidence file(s) failed SHA-256 verification: treat them as "
                   "tampered and collect again.",
                   (long long)cf_rm_int(counts, "evidence_mismatch"))))
        return rc;
    if (top >= 3 && (rc = addf(next,
                               "Review the %s detections below and the evidence behind "
                               "them; confirm the attack path.",
                               cf_report_sev_name(top))))
        return rc;
    if (blocked && (rc = addf(next,
                              "The attacker address(es) %.300s stay denied in the network "
                              "ACL; remove the entries when no longer needed.",
                              *ipbuf ? ipbuf : "listed above")))
        return rc;
    if (isolated && (rc = addf(next,
                               "%.64s is isolated: keep it (do not terminate) until the "
                               "investigation ends; casefile release restores its "
                               "security groups.",
                               *inst ? inst : "The instance")))
        return rc;
    if ((rc = addf(next, "Rotate every credential the instance could reach (its instance-profile "
                         "role, keys and secrets found on disk).")) ||
        (rc = addf(next, "Rebuild the service from a known-good image and fix the entry point "
                         "before returning it to the load balancer.")) ||
        (rc = addf(next, "Keep the snapshots and the evidence in S3 (tagged with the case id) "
                         "until the case is closed.")))
        return rc;
    return CF_OK;
}

int cf_report_build(cf_case *c, const cf_report_opts *opts, json_t **out)
{
    builder b;
    json_t *info = json_object();
    char now[CF_TIME_STR_MAX];
    int rc;
    memset(&b, 0, sizeof(b));
    *out = NULL;
    if (opts)
        b.o = *opts;
    if (!b.o.max_field)
        b.o.max_field = 2000;
    if (!b.o.max_timeline_events)
        b.o.max_timeline_events = 2000;
    if (!b.o.max_detections)
        b.o.max_detections = 1000;
    if (!b.o.max_evidence_rows)
        b.o.max_evidence_rows = 2000;
    if (!b.o.max_refs_per_detection)
        b.o.max_refs_per_detection = 20;
    if (!b.o.max_rows)
        b.o.max_rows = 5000;
    if (b.o.max_field < 64)
        b.o.max_field = 64;
    b.c = c;
    b.db = cf_case_db(c);
    b.model = json_object();
    if (!b.model || !info) {
        rc = cf_error_set(CF_ENOMEM, "report: model");
        goto cleanup;
    }
    cf_time_format(b.o.now_ns ? b.o.now_ns : cf_time_now(), now);
    if ((rc = jset(b.model, "schema", json_string(CF_REPORT_SCHEMA))) ||
        (rc = jset(b.model, "generated_at", json_string(now))) ||
        (rc = jset(b.model, "generator", json_string("casefile " CF_VERSION))) ||
        (rc = build_case(&b, info)) || (rc = build_detections(&b)) ||
        (rc = build_evidence_rows(&b)) || (rc = build_timeline(&b)) || (rc = build_simple(&b)) ||
        (rc = build_narrative(&b)) || (rc = build_summary(&b)))
        goto cleanup;
    *out = b.model;
    b.model = NULL;
cleanup:
    sqlite3_exec(b.db, "DROP TABLE IF EXISTS temp.cf_report_refs", NULL, NULL, NULL);
    json_decref(b.model);
    json_decref(info);
    return rc;
}
