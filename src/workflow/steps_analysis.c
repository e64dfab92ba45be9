/* analyze_volatile, collect_disk (hand-over), analyze, report, and the raw e-mail path shared with
 * notify: the hand-over to the analysis (src/analyze) and report (src/report) parts. */
#include "common/cf_error.h"
#include "common/cf_fs.h"
#include "common/cf_json.h"
#include "common/cf_time.h"
#include "aws/s3.h"
#include "aws/ses.h"
#include "workflow/wf_aws.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef CF_HAVE_ANALYZE
#include "analyze/cf_analyze.h"
#endif
#ifdef CF_HAVE_REPORT
#include "report/cf_report.h"
#endif
#include "aws/cloudtrail.h"

/* ---- raw e-mail through SES v2 ------------------------------------------------------------- */

int wf_send_raw_email(cf_wf *wf, const void *mime, size_t len, char *request_id_out)
{
    int rc = cf_ses_send_raw_email(NULL, wf->aws, NULL, NULL, 0, mime, len);
    snprintf(request_id_out, 128, "%s", cf_ses_last_request_id());
    return rc;
}

/* Splits the comma-separated recipients into an array of pointers into buf. */
static size_t split_recipients(const char *csv, char *buf, size_t cap, const char **to, size_t max)
{
    size_t n = 0;
    char *p;
    snprintf(buf, cap, "%s", csv ? csv : "");
    p = buf;
    while (p && *p && n < max) {
        char *comma = strchr(p, ','), *end;
        if (comma)
            *comma = '\0';
        while (*p == ' ')
            p++;
        end = p + strlen(p);
        while (end > p && end[-1] == ' ')
            *--end = '\0';
        if (*p)
            to[n++] = p;
        p = comma ? comma + 1 : NULL;
    }
    return n;
}

/* The L1 alert as the report part renders it (raw MIME); CF_ENOTFOUND when that part is not
 * built (notify then sends a plain-text e-mail). */
int wf_alert_mime(cf_wf *wf, cf_buf *out)
{
#ifdef CF_HAVE_REPORT
    cf_alert_info info;
    char buf[4096];
    const char *to[50];
    size_t n_to = split_recipients(wf->cfg->recipients, buf, sizeof(buf), to, 50);
    int rc;
    memset(&info, 0, sizeof(info));
    pthread_mutex_lock(&wf->lock);
    rc = cf_alert_info_from_case(wf->cs, &info);
    pthread_mutex_unlock(&wf->lock);
    if (!rc) {
        info.dry_run = wf->dry_run;
        rc = cf_report_alert_email(&info, wf->cfg->sender, to, n_to, out);
    }
    cf_alert_info_release(&info);
    return rc;
#else
    (void)wf;
    (void)out;
    return CF_ENOTFOUND;
#endif
}

/* ---- analysis ------------------------------------------------------------------------------ */

#ifdef CF_HAVE_ANALYZE
static void analyze_warn(void *ctx, const char *msg)
{
    cf_wf *wf = ctx;
    cf_wf_progress(wf, "analyze", "WARNING: %s", msg);
}

static void analyze_opts(cf_wf *wf, cf_analyze_opts *o, const char **dirs)
{
    memset(o, 0, sizeof(*o));
    o->warn = analyze_warn;
    o->warn_ctx = wf;
    if (wf->cfg->rules_dir) {
        dirs[0] = wf->cfg->rules_dir;
        o->rule_dirs = dirs;
        o->n_rule_dirs = 1;
    }
}
#endif

int cf_wf_step_analyze_volatile(cf_wf *wf, json_t *out)
{
    json_t *vol = cf_wf_output(wf, "collect_volatile");
    const char *dir = json_string_value(json_object_get(vol, "bundle_dir"));
    if (!dir) {
        json_object_set_new(out, "skipped", json_string("no volatile bundle was collected"));
        return CF_OK;
    }
#ifdef CF_HAVE_ANALYZE
    {
        cf_analyze_opts o;
        cf_analyze_stats st = {0};
        const char *dirs[1];
        int64_t n = 0;
        int rc;
        if (wf->dry_run) {
            json_object_set_new(out, "skipped", json_string("dry run"));
            return CF_OK;
        }
        analyze_opts(wf, &o, dirs);
        o.volatile_only = 1;
        pthread_mutex_lock(&wf->lock);
        rc = cf_analyze_prepare(wf->cs);
        if (!rc)
            rc = cf_analyze_load_bundle_dir(wf->cs, dir, &o, &st);
        if (!rc)
            rc = cf_analyze_finish(wf->cs, &o, &n);
        pthread_mutex_unlock(&wf->lock);
        if (rc)
            return rc;
        json_object_set_new(out, "rows", json_integer((json_int_t)st.rows));
        json_object_set_new(out, "detections", json_integer((json_int_t)n));
        cf_wf_progress(wf, "analyze_volatile", "%llu row(s) loaded, %lld detection(s)",
                       (unsigned long long)st.rows, (long long)n);
        return CF_OK;
    }
#else
    json_object_set_new(out, "skipped",
                        json_string("the analysis engine is not linked into this build"));
    return CF_OK;
#endif
}

#ifdef CF_HAVE_ANALYZE
/* CloudTrail events about the instance (as a resource, and as its role's session name, which is
 * the instance id) in the incident window, in LookupEvents output form. */
static int cloudtrail_events(cf_wf *wf, json_t **out_doc)
{
    const char *keys[] = {"ResourceName", "Username"};
    json_t *events = json_array(), *seen = json_object();
    char *ws = NULL, *we = NULL;
    int64_t start = 0, end = 0;
    int rc = CF_OK;
    pthread_mutex_lock(&wf->lock);
    cf_case_info_get(wf->cs, "window_start", &ws);
    cf_case_info_get(wf->cs, "window_end", &we);
    pthread_mutex_unlock(&wf->lock);
    if (ws)
        cf_time_parse(ws, &start);
    if (we)
        cf_time_parse(we, &end);
    cf_error_clear();
    for (size_t k = 0; k < 2 && !rc; k++) {
        cf_cloudtrail_event_list *l = NULL;
        cf_cloudtrail_lookup q = {keys[k], wf->finding.instance_id, start, end, 5000, 50};
        rc = cf_cloudtrail_lookup_events(&l, wf->aws, &q);
        for (size_t i = 0; !rc && l && i < l->n; i++) {
            const char *id = l->items[i].event_id;
            if (!l->items[i].raw || (id && json_object_get(seen, id)))
                continue;
            if (id)
                json_object_set_new(seen, id, json_true());
            json_array_append_new(events, json_pack("{s:s}", "CloudTrailEvent", l->items[i].raw));
        }
        cf_cloudtrail_event_list_free(l);
    }
    free(ws);
    free(we);
    json_decref(seen);
    if (rc) {
        json_decref(events);
        return rc;
    }
    *out_doc = json_pack("{s:o}", "Events", events);
    return CF_OK;
}

/* actions.jsonl of the cloud bundle: every change casefile made, from the journal. */
static int export_actions(cf_wf *wf, const char *path)
{
    sqlite3_stmt *st = NULL;
    FILE *f = fopen(path, "w");
    int rc = CF_OK;
    if (!f)
        return cf_error_set(CF_EIO, "open %s: %m", path);
    if (sqlite3_prepare_v2(cf_case_db(wf->cs),
                           "SELECT time,step,call,target,request_id,result,detail FROM actions "
                           "ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = cf_error_set(CF_EIO, "actions: %s", sqlite3_errmsg(cf_case_db(wf->cs)));
        goto cleanup;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *o = json_object();
        const char *names[] = {"time", "step", "call", "target", "request_id", "result", "detail"};
        for (int i = 0; i < 7; i++) {
            const unsigned char *t = sqlite3_column_text(st, i);
            if (t)
                json_object_set_new(o, names[i],
                                    cf_json_string_lossy((const char *)t, strlen((const char *)t)));
        }
        rc = cf_json_write_line(f, o);
        json_decref(o);
        if (rc)
            break;
    }
cleanup:
    sqlite3_finalize(st);
    if (fclose(f) && !rc)
        rc = cf_error_set(CF_EIO, "write %s: %m", path);
    return rc;
}
#endif

int cf_wf_step_analyze(cf_wf *wf, json_t *out)
{
#ifdef CF_HAVE_ANALYZE
    json_t *disk = cf_wf_output(wf, "collect_disk"), *b, *ct = NULL;
    cf_analyze_opts o;
    cf_analyze_stats st = {0};
    const char *dirs[1];
    char dir[4200], path[4300];
    int64_t n = 0;
    size_t i;
    int rc;
    if (wf->dry_run) {
        json_object_set_new(out, "skipped", json_string("dry run"));
        return CF_OK;
    }
    analyze_opts(wf, &o, dirs);
    snprintf(dir, sizeof(dir), "%s/evidence/cloud", wf->case_dir);
    if ((rc = cf_fs_mkdirs(dir, 0750)))
        return rc;
    pthread_mutex_lock(&wf->lock);
    rc = cf_analyze_prepare(wf->cs);
    json_array_foreach(json_object_get(disk, "bundles"), i, b)
    {
        if (!rc && json_string_value(b))
            rc = cf_analyze_load_path(wf->cs, json_string_value(b), &o, &st);
    }
    snprintf(path, sizeof(path), "%s/actions.jsonl", dir);
    if (!rc)
        rc = export_actions(wf, path);
    if (!rc)
        rc = cf_analyze_load_file(wf->cs, path, CF_FILE_ACTIONS, &o, &st);
    pthread_mutex_unlock(&wf->lock);
    if (rc)
        return rc;
    /* CloudTrail: useful, not essential; its absence is said, not fatal. */
    if (cloudtrail_events(wf, &ct) == CF_OK) {
        char *txt = json_dumps(ct, JSON_COMPACT);
        snprintf(path, sizeof(path), "%s/cloudtrail.json", dir);
        rc = txt ? cf_fs_write_atomic(path, txt, strlen(txt)) : CF_ENOMEM;
        if (!rc) {
            pthread_mutex_lock(&wf->lock);
            rc = cf_analyze_load_cloudtrail(wf->cs, txt, strlen(txt), "cloudtrail:LookupEvents",
                                            &st);
            pthread_mutex_unlock(&wf->lock);
        }
        json_object_set_new(
            out, "cloudtrail_events",
            json_integer((json_int_t)json_array_size(json_object_get(ct, "Events"))));
        free(txt);
        json_decref(ct);
        if (rc)
            return rc;
    } else {
        json_object_set_new(out, "cloudtrail_error", json_string(cf_error_last()->msg));
        cf_wf_progress(wf, "analyze", "CloudTrail not loaded: %s", cf_error_last()->msg);
        cf_error_clear();
    }
    pthread_mutex_lock(&wf->lock);
    rc = cf_analyze_finish(wf->cs, &o, &n);
    pthread_mutex_unlock(&wf->lock);
    if (rc)
        return rc;
    json_object_set_new(out, "rows", json_integer((json_int_t)st.rows));
    json_object_set_new(out, "detections", json_integer((json_int_t)n));
    cf_wf_progress(wf, "analyze", "%llu row(s) loaded, %lld detection(s)",
                   (unsigned long long)st.rows, (long long)n);
    return CF_OK;
#else
    json_object_set_new(out, "skipped",
                        json_string("the analysis engine is not linked into this build"));
    return CF_OK;
#endif
}

/* ---- report -------------------------------------------------------------------------------- */

int cf_wf_step_report(cf_wf *wf, json_t *out)
{
#ifdef CF_HAVE_REPORT
    const char *bucket = wf->cfg->evidence_bucket,
               *names[] = {"report.html", "report.json", "report.md"};
    char dir[4200], path[4300], key[512], reqid[128] = "", *url = NULL;
    cf_buf mime = CF_BUF_INIT(12u << 20);
    const char *to[50];
    char tobuf[4096];
    int rc;
    if (wf->dry_run) {
        json_object_set_new(out, "skipped", json_string("dry run"));
        cf_wf_progress(wf, "report", "would write the report and e-mail it");
        return CF_OK;
    }
    snprintf(dir, sizeof(dir), "%s/report", wf->case_dir);
    pthread_mutex_lock(&wf->lock);
    rc = cf_report_write(wf->cs, dir, CF_REPORT_ALL, NULL);
    pthread_mutex_unlock(&wf->lock);
    if (rc)
        goto cleanup;
    json_object_set_new(out, "dir", json_string(dir));
    cf_wf_progress(wf, "report", "written to %s", dir);
    if (bucket) {
        for (size_t i = 0; i < 3; i++) {
            char rid[128] = "";
            snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
            snprintf(key, sizeof(key), "cases/%s/report/%s", wf->case_id, names[i]);
            /* Re-uploading the same report is harmless; it is always the newest. */
            if ((rc = wf_s3_put(wf, bucket, key, NULL, 0, path, NULL, 0, rid)))
                goto cleanup;
            cf_wf_change_end(wf, "report", key, "s3:PutObject", key, NULL, rid, "ok", bucket);
        }
        snprintf(key, sizeof(key), "cases/%s/report/report.html", wf->case_id);
        if ((rc = cf_s3_presign_get(wf->aws, bucket, key, wf->cfg->presign_ttl_s, &url)))
            goto cleanup;
        json_object_set_new(out, "s3_uri", json_pack("s+s+s", "s3://", bucket, "/"));
        json_object_set_new(out, "report_key", json_string(key));
    }
    if (wf->cfg->sender && wf->cfg->recipients) {
        cf_report_email_opts eo;
        memset(&eo, 0, sizeof(eo));
        eo.from = wf->cfg->sender;
        eo.n_to = split_recipients(wf->cfg->recipients, tobuf, sizeof(tobuf), to, 50);
        eo.to = to;
        eo.report_url = url;
        rc = cf_wf_change_begin(wf, "report", "ses:report", "ses:SendEmail", wf->cfg->recipients,
                                "e-mail the report", NULL);
        if (rc < 0)
            goto cleanup;
        if (rc == 0) {
            pthread_mutex_lock(&wf->lock);
            rc = cf_report_email(wf->cs, &eo, &mime);
            pthread_mutex_unlock(&wf->lock);
            if (!rc)
                rc = wf_send_raw_email(wf, mime.data, mime.len, reqid);
            {
                cf_error saved;
                cf_error_save(&saved);
                cf_wf_change_end(wf, "report", "ses:report", "ses:SendEmail", wf->cfg->recipients,
                                 NULL, rc ? saved.request_id : reqid, rc ? "error" : "ok",
                                 rc ? saved.msg : "report e-mail");
                cf_error_restore(&saved);
            }
            if (rc)
                goto cleanup;
            cf_wf_progress(wf, "report", "e-mailed the report to %s", wf->cfg->recipients);
        }
        rc = CF_OK;
    }
cleanup:
    free(url);
    cf_buf_release(&mime);
    return rc;
#else
    json_object_set_new(out, "skipped",
                        json_string("the report writer is not linked into this build"));
    return CF_OK;
#endif
}
