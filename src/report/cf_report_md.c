/* The Markdown report (e-mail, chat, tickets). Prose goes through cf_rw_md() and technical values
 * (paths, command lines, addresses, ids) through cf_rw_code() code spans, so nothing from the
 * case can become a link, an image, raw HTML or a broken table. */
#include "report/cf_report.h"
#include "report/report_int.h"

#include <stdio.h>
#include <string.h>

#include "common/cf_error.h"

static void code_val(cf_rw *w, json_t *v, cf_buf *tmp)
{
    cf_rw_value_text(tmp, v);
    cf_rw_code(w, cf_buf_cstr(tmp));
}

static void md_val(cf_rw *w, json_t *v, cf_buf *tmp)
{
    cf_rw_value_text(tmp, v);
    cf_rw_md(w, cf_buf_cstr(tmp));
}

static void cell_code(cf_rw *w, json_t *o, const char *key, cf_buf *tmp)
{
    json_t *v = json_object_get(o, key);
    cf_rw_raw(w, " ");
    if (v && !json_is_null(v))
        code_val(w, v, tmp);
    cf_rw_raw(w, " |");
}

static void cell_md(cf_rw *w, json_t *o, const char *key, cf_buf *tmp)
{
    cf_rw_raw(w, " ");
    md_val(w, json_object_get(o, key), tmp);
    cf_rw_raw(w, " |");
}

static const char *sev_upper(const char *sev)
{
    static const char *const up[] = {"INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL"};
    return up[cf_report_sev_rank(sev)];
}

static void render_summary(cf_rw *w, json_t *m, int summary_only, cf_buf *tmp)
{
    json_t *kase = json_object_get(m, "case"), *sum = json_object_get(m, "summary");
    json_t *counts = json_object_get(m, "counts"), *dc = json_object_get(m, "detection_counts");
    json_t *when = json_object_get(sum, "when"), *v;
    size_t i;
    int first = 1;
    cf_rw_raw(w, "## Summary\n\n");
    if (summary_only && cf_report_url_ok(cf_rm_str(m, "report_url"))) {
        cf_rw_raw(w, "Full report: <");
        cf_rw_raw(w, cf_rm_str(m, "report_url"));
        cf_rw_raw(w, ">\n\n");
    }
    cf_rw_fmt(w, "- **Severity:** %s\n", sev_upper(cf_rm_str(sum, "severity")));
    cf_rw_fmt(w, "- **Detections:** %lld", (long long)cf_rm_int(counts, "detections"));
    for (int r = 4; r >= 1; r--) {
        int64_t n = cf_rm_int(dc, cf_report_sev_name(r));
        if (n > 0) {
            cf_rw_fmt(w, "%s%lld %s", first ? " (" : ", ", (long long)n, cf_report_sev_name(r));
            first = 0;
        }
    }
    cf_rw_raw(w, first ? "\n" : ")\n");
    cf_rw_raw(w, "- **Attacker address:**");
    json_array_foreach(json_object_get(kase, "attacker_ips"), i, v)
    {
        cf_rw_raw(w, i ? ", " : " ");
        code_val(w, v, tmp);
    }
    cf_rw_raw(w, "\n- **Instance:** ");
    cf_rw_code(w, cf_rm_str(kase, "instance_id"));
    cf_rw_raw(w, " in ");
    cf_rw_code(w, cf_rm_str(kase, "availability_zone"));
    cf_rw_raw(w, "\n- **First activity:** ");
    cf_rw_code(w, cf_rm_str(when, "first_activity"));
    cf_rw_raw(w, "\n- **Case opened:** ");
    cf_rw_code(w, cf_rm_str(when, "case_opened"));
    cf_rw_fmt(w, "\n- **Changes in AWS:** %lld (%lld failed)\n",
              (long long)cf_rm_int(counts, "actions"),
              (long long)cf_rm_int(counts, "actions_failed"));
    cf_rw_fmt(w, "- **Evidence files:** %lld (%lld verified, %lld mismatched)\n\n",
              (long long)cf_rm_int(counts, "evidence"),
              (long long)cf_rm_int(counts, "evidence_verified"),
              (long long)cf_rm_int(counts, "evidence_mismatch"));
    if (json_is_true(json_object_get(sum, "dry_run")))
        cf_rw_raw(w, "**Dry run: nothing was changed in AWS.**\n\n");
    cf_rw_raw(w, "### What happened\n\n");
    json_array_foreach(json_object_get(sum, "what_happened"), i, v)
    {
        md_val(w, v, tmp);
        cf_rw_raw(w, "\n\n");
    }
    if (json_array_size(json_object_get(m, "story")) > 0) {
        cf_rw_raw(w, "### Attack story\n\n");
        json_array_foreach(json_object_get(m, "story"), i, v)
        {
            cf_rw_fmt(w, "%zu. **", i + 1);
            cf_rw_md(w, cf_rm_str(v, "title"));
            cf_rw_raw(w, "** ");
            cf_rw_code(w, cf_rm_str(v, "time"));
            cf_rw_raw(w, ": ");
            cf_rw_code(w, cf_rm_str(v, "summary"));
            cf_rw_raw(w, "\n");
        }
        cf_rw_raw(w, "\n");
    }
    cf_rw_raw(w, "### What casefile did\n\n");
    json_array_foreach(json_object_get(sum, "casefile_did"), i, v)
    {
        cf_rw_raw(w, "- ");
        md_val(w, v, tmp);
        cf_rw_raw(w, "\n");
    }
    cf_rw_raw(w, "\n### What you must do next\n\n");
    json_array_foreach(json_object_get(sum, "next_steps"), i, v)
    {
        cf_rw_fmt(w, "%zu. ", i + 1);
        md_val(w, v, tmp);
        cf_rw_raw(w, "\n");
    }
    cf_rw_raw(w, "\n");
    if (summary_only && json_array_size(json_object_get(m, "detections")) > 0) {
        cf_rw_raw(w, "### Top detections\n\n");
        json_array_foreach(json_object_get(m, "detections"), i, v)
        {
            json_t *t;
            size_t k;
            if (i >= 10)
                break;
            cf_rw_fmt(w, "- **%s** ", sev_upper(cf_rm_str(v, "severity")));
            cf_rw_md(w, cf_rm_str(v, "title"));
            json_array_foreach(json_object_get(v, "attack"), k, t)
            {
                cf_rw_raw(w, k ? ", " : " (");
                cf_rw_md(w, cf_rm_str(t, "id"));
            }
            if (json_array_size(json_object_get(v, "attack")))
                cf_rw_raw(w, ")");
            cf_rw_raw(w, " at ");
            cf_rw_code(w, cf_rm_str(v, "time"));
            cf_rw_raw(w, "\n");
        }
        cf_rw_raw(w, "\n");
    }
}

static void render_detections(cf_rw *w, json_t *m, cf_buf *tmp)
{
    json_t *d, *v, *t;
    size_t i, k;
    const char *key;
    json_t *dets = json_object_get(m, "detections");
    cf_rw_raw(w, "## Detections\n\n");
    if (json_array_size(dets) == 0) {
        cf_rw_raw(w, "No detection rule matched.\n\n");
        return;
    }
    w->md_table = 1;
    cf_rw_raw(w, "| Severity | Detection | ATT&CK | Time | What it points at | Evidence |\n"
                 "|---|---|---|---|---|---|\n");
    json_array_foreach(dets, i, d)
    {
        cf_rw_fmt(w, "| **%s** | ", sev_upper(cf_rm_str(d, "severity")));
        cf_rw_md(w, cf_rm_str(d, "title"));
        cf_rw_raw(w, " (");
        cf_rw_code(w, cf_rm_str(d, "rule_id"));
        cf_rw_raw(w, ") |");
        json_array_foreach(json_object_get(d, "attack"), k, t)
        {
            cf_rw_raw(w, k ? ", " : " ");
            cf_rw_md(w, cf_rm_str(t, "id"));
        }
        cf_rw_raw(w, " |");
        cell_code(w, d, "time", tmp);
        json_object_foreach(json_object_get(d, "entity"), key, v)
        {
            cf_rw_raw(w, " ");
            cf_rw_md(w, key);
            cf_rw_raw(w, ": ");
            code_val(w, v, tmp);
            cf_rw_raw(w, ";");
        }
        cf_rw_raw(w, " |");
        json_array_foreach(json_object_get(d, "evidence"), k, v)
        {
            char label[128];
            snprintf(label, sizeof(label), "%.64s #%lld", cf_rm_str(v, "table"),
                     (long long)cf_rm_int(v, "rowid"));
            cf_rw_raw(w, k ? ", " : " ");
            cf_rw_md(w, label);
        }
        cf_rw_raw(w, " |\n");
    }
    w->md_table = 0;
    cf_rw_raw(w, "\n");
}

static void render_timeline(cf_rw *w, json_t *m, cf_buf *tmp)
{
    static const char *const bars[] = {" ",
                                       "\xE2\x96\x81",
                                       "\xE2\x96\x82",
                                       "\xE2\x96\x83",
                                       "\xE2\x96\x84",
                                       "\xE2\x96\x85",
                                       "\xE2\x96\x86",
                                       "\xE2\x96\x87",
                                       "\xE2\x96\x88"};
    json_t *tl = json_object_get(m, "timeline"), *chart = json_object_get(tl, "chart");
    json_t *buckets = json_object_get(chart, "buckets"), *e, *b, *v;
    json_t *events = json_object_get(tl, "events");
    int64_t maxc = 0;
    size_t i, k;
    cf_rw_raw(w, "## Attack timeline\n\n");
    json_array_foreach(buckets, i, b)
    {
        int64_t s = 0;
        json_array_foreach(b, k, v) s += cf_rm_count(v);
        if (s > maxc)
            maxc = s;
    }
    if (maxc > 0) {
        /* A one-line chart of activity over time, in block characters. */
        cf_rw_raw(w, "Activity from ");
        cf_rw_code(w, cf_rm_str(chart, "start"));
        cf_rw_raw(w, " to ");
        cf_rw_code(w, cf_rm_str(chart, "end"));
        cf_rw_fmt(w, " (peak %lld events per bucket):\n\n    ", (long long)maxc);
        json_array_foreach(buckets, i, b)
        {
            int64_t s = 0;
            json_array_foreach(b, k, v) s += cf_rm_count(v);
            cf_rw_raw(w, bars[s <= 0 ? 0 : 1 + (s * 7) / maxc]);
        }
        cf_rw_raw(w, "\n\n");
        if (cf_rm_int(chart, "earlier") > 0 || cf_rm_int(chart, "later") > 0)
            cf_rw_fmt(w, "(%lld earlier and %lld later event(s) are outside the chart.)\n\n",
                      (long long)cf_rm_int(chart, "earlier"), (long long)cf_rm_int(chart, "later"));
    }
    if (cf_rm_int(tl, "total") > (int64_t)json_array_size(events))
        cf_rw_fmt(w,
                  "Listing %zu of %lld events (those behind detections first); the full "
                  "timeline is the `timeline` table of case.db.\n\n",
                  json_array_size(events), (long long)cf_rm_int(tl, "total"));
    if (json_array_size(events) == 0) {
        cf_rw_raw(w, "The timeline is empty.\n\n");
        return;
    }
    w->md_table = 1;
    cf_rw_raw(w, "| Time | Source | Kind | Event |\n|---|---|---|---|\n");
    json_array_foreach(events, i, e)
    {
        cf_rw_raw(w, "|");
        cell_code(w, e, "time", tmp);
        cell_md(w, e, "source", tmp);
        cell_md(w, e, "kind", tmp);
        if (*cf_rm_str(e, "anchor"))
            cf_rw_raw(w, " **!**");
        cell_code(w, e, "summary", tmp);
        cf_rw_raw(w, "\n");
    }
    w->md_table = 0;
    cf_rw_raw(w, "\n");
}

static void render_tables(cf_rw *w, json_t *m, cf_buf *tmp)
{
    json_t *a, *r, *v, *counts = json_object_get(m, "counts");
    size_t i, k;
    const char *key;
    cf_rw_raw(w, "## Containment and other changes in AWS\n\n");
    w->md_table = 1;
    if (json_array_size(json_object_get(m, "actions")) == 0) {
        cf_rw_raw(w, "casefile made no change in AWS.\n\n");
    } else {
        cf_rw_raw(w, "| Time | Step | Call | Target | Result | Detail |\n"
                     "|---|---|---|---|---|---|\n");
        json_array_foreach(json_object_get(m, "actions"), i, a)
        {
            cf_rw_raw(w, "|");
            cell_code(w, a, "time", tmp);
            cell_md(w, a, "step", tmp);
            cell_code(w, a, "call", tmp);
            cell_code(w, a, "target", tmp);
            cell_md(w, a, "result", tmp);
            cell_code(w, a, "detail", tmp);
            cf_rw_raw(w, "\n");
        }
        cf_rw_raw(w, "\n");
    }
    cf_rw_raw(w, "## Evidence inventory\n\n");
    cf_rw_fmt(w, "%lld file(s), %lld bytes; %lld verified, %lld mismatched.\n\n",
              (long long)cf_rm_int(counts, "evidence"),
              (long long)cf_rm_int(counts, "evidence_bytes"),
              (long long)cf_rm_int(counts, "evidence_verified"),
              (long long)cf_rm_int(counts, "evidence_mismatch"));
    if (json_array_size(json_object_get(m, "evidence")) > 0) {
        cf_rw_raw(w, "| Bundle | Path | Bytes | SHA-256 | S3 location | Verified |\n"
                     "|---|---|---|---|---|---|\n");
        json_array_foreach(json_object_get(m, "evidence"), i, a)
        {
            json_t *vf = json_object_get(a, "verified");
            cf_rw_raw(w, "|");
            cell_code(w, a, "bundle", tmp);
            cell_code(w, a, "path", tmp);
            cell_md(w, a, "bytes", tmp);
            cell_code(w, a, "sha256", tmp);
            cell_code(w, a, "s3_uri", tmp);
            cf_rw_raw(w, !json_is_integer(vf)          ? " not checked |\n"
                         : json_integer_value(vf) == 1 ? " yes |\n"
                                                       : " **MISMATCH** |\n");
        }
        cf_rw_raw(w, "\n");
    }
    w->md_table = 0;
    if (json_array_size(json_object_get(m, "evidence_rows")) > 0) {
        cf_rw_raw(w, "## Evidence behind the detections\n\n");
        json_array_foreach(json_object_get(m, "evidence_rows"), i, r)
        {
            char label[128];
            snprintf(label, sizeof(label), "%.64s #%lld", cf_rm_str(r, "table"),
                     (long long)cf_rm_int(r, "rowid"));
            cf_rw_raw(w, "### ");
            cf_rw_md(w, label);
            cf_rw_raw(w, "\n\n");
            if (json_object_get(r, "missing")) {
                cf_rw_md(w, cf_rm_str(r, "missing"));
                cf_rw_raw(w, "\n\n");
            }
            json_object_foreach(json_object_get(r, "columns"), key, v)
            {
                cf_rw_raw(w, "- ");
                cf_rw_md(w, key);
                cf_rw_raw(w, ": ");
                code_val(w, v, tmp);
                cf_rw_raw(w, "\n");
            }
            cf_rw_raw(w, "\n");
        }
    }
    cf_rw_raw(w, "## Workflow steps\n\n");
    if (json_array_size(json_object_get(m, "steps")) == 0) {
        cf_rw_raw(w, "No step has run.\n\n");
        return;
    }
    w->md_table = 1;
    cf_rw_raw(w, "| Step | Status | Attempts | Started | Duration | Error |\n"
                 "|---|---|---|---|---|---|\n");
    json_array_foreach(json_object_get(m, "steps"), i, a)
    {
        json_t *d = json_object_get(a, "duration_ms");
        cf_rw_raw(w, "|");
        cell_code(w, a, "name", tmp);
        cell_md(w, a, "status", tmp);
        cell_md(w, a, "attempts", tmp);
        cell_code(w, a, "started_at", tmp);
        if (json_is_integer(d))
            cf_rw_fmt(w, " %.3f s |", (double)json_integer_value(d) / 1000.0);
        else
            cf_rw_raw(w, " |");
        cell_md(w, a, "error", tmp);
        cf_rw_raw(w, "\n");
    }
    (void)k;
    cf_rw_raw(w, "\n");
    if (json_array_size(json_object_get(m, "rule_errors")) > 0) {
        cf_rw_raw(w,
                  "Rules that did not run cleanly:\n\n| Rule | Status | Error |\n|---|---|---|\n");
        json_array_foreach(json_object_get(m, "rule_errors"), i, a)
        {
            cf_rw_raw(w, "|");
            cell_code(w, a, "rule_id", tmp);
            cell_md(w, a, "status", tmp);
            cell_code(w, a, "error", tmp);
            cf_rw_raw(w, "\n");
        }
        cf_rw_raw(w, "\n");
    }
    w->md_table = 0;
}

static void render_case(cf_rw *w, json_t *m, cf_buf *tmp)
{
    json_t *kase = json_object_get(m, "case"), *v;
    const char *key;
    static const char *const shown[] = {"case_id",
                                        "finding_id",
                                        "finding_type",
                                        "finding_title",
                                        "finding_severity",
                                        "instance_id",
                                        "availability_zone",
                                        "region",
                                        "account_id",
                                        "opened_at",
                                        "window_start",
                                        "window_end",
                                        "finding_description"};
    cf_rw_raw(w, "## Case and finding\n\n");
    for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++) {
        v = json_object_get(kase, shown[i]);
        if (!v)
            continue;
        cf_rw_raw(w, "- ");
        cf_rw_md(w, shown[i]);
        cf_rw_raw(w, ": ");
        code_val(w, v, tmp);
        cf_rw_raw(w, "\n");
    }
    json_object_foreach(json_object_get(kase, "info"), key, v)
    {
        int dup = !strcmp(key, "narrative");
        for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++)
            dup |= !strcmp(key, shown[i]);
        if (dup)
            continue;
        cf_rw_raw(w, "- ");
        cf_rw_md(w, key);
        cf_rw_raw(w, ": ");
        code_val(w, v, tmp);
        cf_rw_raw(w, "\n");
    }
    cf_rw_raw(w, "\n");
}

int cf_report_render_md(json_t *m, int summary_only, cf_buf *out)
{
    cf_rw w = {out, CF_OK, 0};
    cf_buf tmp = CF_BUF_INIT(1 << 20);
    json_t *kase = json_object_get(m, "case"), *sum = json_object_get(m, "summary");
    cf_rw_fmt(&w, "# [%s] ", sev_upper(cf_rm_str(sum, "severity")));
    cf_rw_md(&w, cf_rm_str(sum, "headline"));
    cf_rw_raw(&w, "\n\ncasefile incident report · case ");
    cf_rw_code(&w, cf_rm_str(kase, "case_id"));
    cf_rw_raw(&w, " · ");
    cf_rw_md(&w, cf_rm_str(kase, "region"));
    cf_rw_raw(&w, " ");
    cf_rw_md(&w, cf_rm_str(kase, "account_id"));
    cf_rw_raw(&w, " · generated ");
    cf_rw_code(&w, cf_rm_str(m, "generated_at"));
    cf_rw_raw(&w, "\n\n");
    render_summary(&w, m, summary_only, &tmp);
    if (!summary_only) {
        render_detections(&w, m, &tmp);
        render_timeline(&w, m, &tmp);
        render_tables(&w, m, &tmp);
        render_case(&w, m, &tmp);
        cf_rw_raw(&w, "---\n\n");
        cf_rw_md(&w, cf_rm_str(m, "generator"));
        cf_rw_raw(&w, " · ");
        cf_rw_md(&w, cf_rm_str(m, "schema"));
        cf_rw_raw(&w, " · values from the instance are untrusted\n");
    }
    cf_buf_release(&tmp);
    if (w.rc)
        cf_error_wrap("render Markdown");
    return w.rc;
}
