/* CloudTrail: log files as delivered to S3 ({"Records": [...]}, usually .json.gz), LookupEvents
 * output ({"Events": [{"CloudTrailEvent": "<JSON text>"}, ...]}), or a bare array of events.
 * Events are de-duplicated by eventID (the same event arrives through both paths). */
#include "analyze/analyze_internal.h"
#include "common/cf_error.h"
#include "common/cf_json.h"
#include "common/cf_time.h"

#include <stdlib.h>
#include <string.h>

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
        (rc = bind_json(st, C_RES, json_object_get(ev, "resources"))) ||
        (rc = bind_json(st, C_EVENT, ev)))
        goto cleanup;
    ro = json_object_get(ev, "readOnly");
    if (json_is_boolean(ro))
        sqlite3_bind_int(st, C_RO, json_is_true(ro));
    else if (json_is_string(ro))
        sqlite3_bind_int(st, C_RO, !strcmp(json_string_value(ro), "true"));
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

int cf_load_cloudtrail_mem(cf_load_ctx *ctx, const char *json, size_t len)
{
    json_t *root = NULL, *arr;
    sqlite3_stmt *st = NULL;
    int rc, lookup = 0;
    size_t i;
    json_t *e;
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
    if ((rc = cf_db_prepare(ctx->db,
                            "INSERT OR IGNORE INTO cloudtrail_events(bundle_id, source, event_id,"
                            " time, event_source, event_name, aws_region, source_ip, user_agent,"
                            " user_type, principal_id, arn, account_id, access_key_id, user_name,"
                            " session_issuer, error_code, error_message, read_only,"
                            " request_parameters, response_elements, resources, event)"
                            " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
                            " ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23)",
                            &st)))
        goto cleanup;
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
