/* The HTML report: one self-contained file (inline CSS and SVG, no script, no external
 * resource; a CSP meta tag forbids all of them anyway). Every model string goes through
 * cf_rw_html(); the only attribute values built from the model are escaped in-page anchors
 * ("#...") and ATT&CK links re-checked against their fixed prefix. */
#include "report/cf_report.h"
#include "report/report_int.h"

#include <stdio.h>
#include <string.h>

#include "common/cf_error.h"
#include "common/cf_time.h"

static const char *const src_colors[] = {"#1e88e5", "#43a047", "#8e24aa",
                                         "#00897b", "#6d4c41", "#9e9e9e"};

static const char CSS[] =
    ":root{--crit:#6a1b9a;--high:#c62828;--med:#e65100;--low:#f9a825;--info:#546e7a;"
    "--ink:#1c2430;--mute:#5f6b7a;--line:#dde3ea;--bg:#f5f7fa}"
    "*{box-sizing:border-box}"
    "body{margin:0;font:14px/1.45 -apple-system,'Segoe UI',Roboto,'DejaVu Sans',Arial,sans-serif;"
    "color:var(--ink);background:var(--bg)}"
    "header.top{background:#17212e;color:#fff;padding:18px 28px 16px;border-bottom:6px solid "
    "var(--sevc)}"
    "header.top .brand{font-size:12px;letter-spacing:.08em;text-transform:uppercase;color:#9fb0c4}"
    "header.top h1{margin:4px 0 6px;font-size:22px;font-weight:600;overflow-wrap:anywhere}"
    "header.top .meta{color:#c5d1de;font-size:13px}"
    "header.top .meta span{margin-right:16px}"
    "nav{background:#fff;border-bottom:1px solid var(--line);padding:8px 28px;position:sticky;"
    "top:0}"
    "nav a{margin-right:18px;color:#1f5fa8;text-decoration:none;font-weight:500}"
    "main{padding:8px 28px 40px;max-width:1400px}"
    "section{background:#fff;border:1px solid var(--line);border-radius:6px;padding:14px 18px;"
    "margin:16px 0}"
    "h2{font-size:17px;margin:0 0 10px;padding-bottom:6px;border-bottom:1px solid var(--line)}"
    "h3{font-size:14px;margin:14px 0 6px;color:#33404f}"
    ".cards{display:flex;flex-wrap:wrap;gap:10px;margin-bottom:6px}"
    ".card{border:1px solid var(--line);border-radius:6px;padding:8px 12px;min-width:150px;"
    "background:#fbfcfd}"
    ".card .k{font-size:11px;text-transform:uppercase;letter-spacing:.05em;color:var(--mute)}"
    ".card .v{font-size:16px;font-weight:600;overflow-wrap:anywhere}"
    ".badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px;"
    "font-weight:600;text-transform:uppercase;letter-spacing:.03em;white-space:nowrap}"
    ".sev-critical{--sevc:var(--crit)}.sev-high{--sevc:var(--high)}.sev-medium{--sevc:var(--med)}"
    ".sev-low{--sevc:var(--low)}.sev-info{--sevc:var(--info)}"
    ".badge.sev-critical,.badge.sev-high,.badge.sev-medium,.badge.sev-low,.badge.sev-info{"
    "background:var(--sevc)}"
    ".badge.sev-low{color:#3a2a00}"
    "table{border-collapse:collapse;width:100%;font-size:13px}"
    "th{text-align:left;background:#f0f3f7;color:#3b4756;font-weight:600;padding:6px 8px;"
    "border-bottom:1px solid var(--line);white-space:nowrap}"
    "td{padding:5px 8px;border-bottom:1px solid #edf0f4;vertical-align:top;overflow-wrap:anywhere}"
    "tr.sev-critical td:first-child,tr.sev-high td:first-child,tr.sev-medium td:first-child,"
    "tr.sev-low td:first-child{box-shadow:inset 4px 0 0 var(--sevc)}"
    ".mono,code{font-family:'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:12px;"
    "word-break:break-all}"
    ".nowrap{white-space:nowrap;word-break:normal}"
    ".mute{color:var(--mute)}.ok{color:#2e7d32;font-weight:600}.bad{color:var(--high);"
    "font-weight:600}.warn{color:var(--med);font-weight:600}"
    "dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:4px 0}"
    "dl.kv dt{color:var(--mute);font-size:12px}dl.kv dd{margin:0;overflow-wrap:anywhere}"
    ".evrow{border:1px solid var(--line);border-left:4px solid var(--sevc);border-radius:4px;"
    "padding:6px 10px;margin:8px 0}"
    ".evrow:target,tr:target{background:#fff8d6}"
    "ol.story li{margin:4px 0}ol.next li{margin:3px 0}ul.did li{margin:2px 0}"
    ".chart{width:100%;height:auto;max-height:260px;display:block}"
    "a.button{display:inline-block;background:#1f5fa8;color:#fff;padding:6px 14px;"
    "border-radius:4px;text-decoration:none;font-weight:600}"
    ".legend span{display:inline-block;margin-right:14px;font-size:12px}"
    ".legend i{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px}"
    "footer{color:var(--mute);font-size:12px;padding:0 28px 24px}"
    "@media print{nav{display:none}body{background:#fff}section{break-inside:auto;"
    "border:none;padding:0}tr,.evrow{break-inside:avoid}header.top{-webkit-print-color-adjust:"
    "exact;print-color-adjust:exact}.badge{-webkit-print-color-adjust:exact;"
    "print-color-adjust:exact}}";

static void sev_badge(cf_rw *w, const char *sev)
{
    const char *name = cf_report_sev_name(cf_report_sev_rank(sev));
    cf_rw_fmt(w, "<span class=\"badge sev-%s\">%s</span>", name, name);
}

static void val(cf_rw *w, json_t *v, cf_buf *tmp)
{
    cf_rw_value_text(tmp, v);
    cf_rw_html(w, cf_buf_cstr(tmp));
}

static void td(cf_rw *w, json_t *o, const char *key, const char *cls, cf_buf *tmp)
{
    if (cls)
        cf_rw_fmt(w, "<td class=\"%s\">", cls);
    else
        cf_rw_raw(w, "<td>");
    val(w, json_object_get(o, key), tmp);
    cf_rw_raw(w, "</td>");
}

/* In-page link; the anchor is escaped even though the model builds it from checked names. */
static void anchor_link(cf_rw *w, const char *anchor, const char *text)
{
    cf_rw_raw(w, "<a href=\"#");
    cf_rw_html(w, anchor);
    cf_rw_raw(w, "\">");
    cf_rw_html(w, text);
    cf_rw_raw(w, "</a>");
}

static void card(cf_rw *w, const char *k, const char *v, const char *cls)
{
    cf_rw_raw(w, "<div class=\"card\"><div class=\"k\">");
    cf_rw_html(w, k);
    cf_rw_raw(w, "</div><div class=\"v");
    if (cls) {
        cf_rw_raw(w, " ");
        cf_rw_raw(w, cls);
    }
    cf_rw_raw(w, "\">");
    cf_rw_html(w, v && *v ? v : "-");
    cf_rw_raw(w, "</div></div>");
}

static void render_summary(cf_rw *w, json_t *m, int summary_only, cf_buf *tmp)
{
    json_t *kase = json_object_get(m, "case"), *sum = json_object_get(m, "summary");
    json_t *counts = json_object_get(m, "counts"), *dc = json_object_get(m, "detection_counts");
    json_t *when = json_object_get(sum, "when"), *v;
    size_t i;
    char num[64];
    cf_rw_raw(w, "<section id=\"summary\"><h2>Summary</h2>");
    if (summary_only && cf_report_url_ok(cf_rm_str(m, "report_url"))) {
        cf_rw_raw(w, "<p><a class=\"button\" href=\"");
        cf_rw_html(w, cf_rm_str(m, "report_url"));
        cf_rw_raw(w, "\">Open the full report</a> <span class=\"mute\">(the report is also "
                     "attached when small enough)</span></p>");
    }
    cf_rw_raw(w, "<div class=\"cards\">");
    cf_rw_fmt(w, "<div class=\"card\"><div class=\"k\">Severity</div><div class=\"v\">");
    sev_badge(w, cf_rm_str(sum, "severity"));
    cf_rw_raw(w, "</div></div><div class=\"card\"><div class=\"k\">Detections</div><div "
                 "class=\"v\">");
    snprintf(num, sizeof(num), "%lld ", (long long)cf_rm_int(counts, "detections"));
    cf_rw_html(w, num);
    for (int r = 4; r >= 1; r--) {
        int64_t n = cf_rm_int(dc, cf_report_sev_name(r));
        if (n > 0)
            cf_rw_fmt(w, " <span class=\"badge sev-%s\">%lld %s</span>", cf_report_sev_name(r),
                      (long long)n, cf_report_sev_name(r));
    }
    cf_rw_raw(w, "</div></div>");
    cf_buf_reset(tmp);
    json_array_foreach(json_object_get(kase, "attacker_ips"), i, v)
    {
        if (i > 0)
            cf_buf_addstr(tmp, ", ");
        cf_buf_addstr(tmp, json_string_value(v) ? json_string_value(v) : "");
    }
    card(w, "Attacker address", cf_buf_cstr(tmp), "mono");
    card(w, "Instance", cf_rm_str(kase, "instance_id"), "mono");
    card(w, "Availability zone", cf_rm_str(kase, "availability_zone"), NULL);
    card(w, "First activity", cf_rm_str(when, "first_activity"), "mono");
    card(w, "Case opened", cf_rm_str(when, "case_opened"), "mono");
    snprintf(num, sizeof(num), "%lld (%lld failed)", (long long)cf_rm_int(counts, "actions"),
             (long long)cf_rm_int(counts, "actions_failed"));
    card(w, "Changes in AWS", num, NULL);
    snprintf(num, sizeof(num), "%lld (%lld verified)", (long long)cf_rm_int(counts, "evidence"),
             (long long)cf_rm_int(counts, "evidence_verified"));
    card(w, "Evidence files", num, NULL);
    cf_rw_raw(w, "</div>");
    if (json_is_true(json_object_get(sum, "dry_run")))
        cf_rw_raw(w, "<p class=\"warn\">Dry run: nothing was changed in AWS.</p>");
    cf_rw_raw(w, "<h3>What happened</h3>");
    json_array_foreach(json_object_get(sum, "what_happened"), i, v)
    {
        cf_rw_raw(w, "<p>");
        val(w, v, tmp);
        cf_rw_raw(w, "</p>");
    }
    if (json_array_size(json_object_get(m, "story")) > 0) {
        cf_rw_raw(w, "<h3>Attack story</h3><ol class=\"story\">");
        json_array_foreach(json_object_get(m, "story"), i, v)
        {
            cf_rw_raw(w, "<li><strong>");
            cf_rw_html(w, cf_rm_str(v, "title"));
            cf_rw_raw(w, "</strong> <span class=\"mono mute\">");
            cf_rw_html(w, cf_rm_str(v, "time"));
            cf_rw_raw(w, "</span><br><span class=\"mono\">");
            cf_rw_html(w, cf_rm_str(v, "summary"));
            cf_rw_raw(w, "</span>");
            if (!summary_only && *cf_rm_str(v, "anchor")) {
                cf_rw_raw(w, " ");
                anchor_link(w, cf_rm_str(v, "anchor"), "detection");
            }
            cf_rw_raw(w, "</li>");
        }
        cf_rw_raw(w, "</ol>");
    }
    cf_rw_raw(w, "<h3>What casefile did</h3><ul class=\"did\">");
    json_array_foreach(json_object_get(sum, "casefile_did"), i, v)
    {
        cf_rw_raw(w, "<li>");
        val(w, v, tmp);
        cf_rw_raw(w, "</li>");
    }
    cf_rw_raw(w, "</ul><h3>What you must do next</h3><ol class=\"next\">");
    json_array_foreach(json_object_get(sum, "next_steps"), i, v)
    {
        cf_rw_raw(w, "<li>");
        val(w, v, tmp);
        cf_rw_raw(w, "</li>");
    }
    cf_rw_raw(w, "</ol>");
    if (summary_only) {
        cf_rw_raw(w, "<h3>Top detections</h3><table><tr><th>Severity</th><th>Detection</th>"
                     "<th>ATT&amp;CK</th><th>Time</th></tr>");
        json_array_foreach(json_object_get(m, "detections"), i, v)
        {
            json_t *t;
            size_t k;
            if (i >= 10)
                break;
            cf_rw_fmt(w, "<tr class=\"sev-%s\"><td>",
                      cf_report_sev_name(cf_report_sev_rank(cf_rm_str(v, "severity"))));
            sev_badge(w, cf_rm_str(v, "severity"));
            cf_rw_raw(w, "</td><td>");
            cf_rw_html(w, cf_rm_str(v, "title"));
            cf_rw_raw(w, "</td><td class=\"mono\">");
            json_array_foreach(json_object_get(v, "attack"), k, t)
            {
                cf_rw_raw(w, k ? " " : "");
                cf_rw_html(w, cf_rm_str(t, "id"));
            }
            cf_rw_raw(w, "</td>");
            td(w, v, "time", "mono nowrap", tmp);
            cf_rw_raw(w, "</tr>");
        }
        cf_rw_raw(w, "</table>");
    }
    cf_rw_raw(w, "</section>");
}

static void render_detections(cf_rw *w, json_t *m, cf_buf *tmp)
{
    json_t *dets = json_object_get(m, "detections"), *d, *v, *t;
    size_t i, k;
    const char *key;
    int64_t total = cf_rm_int(json_object_get(m, "counts"), "detections");
    cf_rw_raw(w, "<section id=\"detections\"><h2>Detections</h2>");
    if (json_array_size(dets) == 0) {
        cf_rw_raw(w, "<p class=\"mute\">No detection rule matched.</p></section>");
        return;
    }
    if ((int64_t)json_array_size(dets) < total)
        cf_rw_fmt(w,
                  "<p class=\"warn\">Showing %zu of %lld detections (most severe first); "
                  "the rest are in case.db.</p>",
                  json_array_size(dets), (long long)total);
    cf_rw_raw(w, "<table><tr><th>Severity</th><th>Detection</th><th>ATT&amp;CK</th><th>Time</th>"
                 "<th>What it points at</th><th>Evidence</th></tr>");
    json_array_foreach(dets, i, d)
    {
        const char *sev = cf_report_sev_name(cf_report_sev_rank(cf_rm_str(d, "severity")));
        cf_rw_fmt(w, "<tr class=\"sev-%s\" id=\"", sev);
        cf_rw_html(w, cf_rm_str(d, "anchor"));
        cf_rw_raw(w, "\"><td>");
        sev_badge(w, sev);
        cf_rw_raw(w, "</td><td><strong>");
        cf_rw_html(w, cf_rm_str(d, "title"));
        cf_rw_raw(w, "</strong><br><span class=\"mono mute\">");
        cf_rw_html(w, cf_rm_str(d, "rule_id"));
        cf_rw_raw(w, "</span></td><td class=\"mono nowrap\">");
        json_array_foreach(json_object_get(d, "attack"), k, t)
        {
            const char *url = cf_rm_str(t, "url");
            if (k)
                cf_rw_raw(w, "<br>");
            if (!strncmp(url, "https://attack.mitre.org/techniques/", 36) &&
                !strpbrk(url, "\"'<> ")) {
                cf_rw_raw(w, "<a rel=\"noreferrer\" href=\"");
                cf_rw_html(w, url);
                cf_rw_raw(w, "\">");
                cf_rw_html(w, cf_rm_str(t, "id"));
                cf_rw_raw(w, "</a>");
            } else {
                cf_rw_html(w, cf_rm_str(t, "id"));
            }
        }
        cf_rw_raw(w, "</td>");
        td(w, d, "time", "mono nowrap", tmp);
        cf_rw_raw(w, "<td><dl class=\"kv\">");
        json_object_foreach(json_object_get(d, "entity"), key, v)
        {
            cf_rw_raw(w, "<dt>");
            cf_rw_html(w, key);
            cf_rw_raw(w, "</dt><dd class=\"mono\">");
            val(w, v, tmp);
            cf_rw_raw(w, "</dd>");
        }
        cf_rw_raw(w, "</dl></td><td class=\"mono nowrap\">");
        json_array_foreach(json_object_get(d, "evidence"), k, v)
        {
            char label[128];
            snprintf(label, sizeof(label), "%.64s:%lld", cf_rm_str(v, "table"),
                     (long long)cf_rm_int(v, "rowid"));
            if (k)
                cf_rw_raw(w, "<br>");
            anchor_link(w, cf_rm_str(v, "anchor"), label);
        }
        cf_rw_raw(w, "</td></tr>");
    }
    cf_rw_raw(w, "</table></section>");
}

/* Seconds-resolution label for an axis tick. */
static void tick_label(int64_t ns, char out[CF_TIME_STR_MAX])
{
    char full[CF_TIME_STR_MAX];
    cf_time_format_sec(ns, full);
    /* "2026-11-27T20:25:09Z" -> "11-27 20:25:09" */
    if (strlen(full) >= 19)
        snprintf(out, CF_TIME_STR_MAX, "%.5s %.8s", full + 5, full + 11);
    else
        snprintf(out, CF_TIME_STR_MAX, "%s", full);
}

static void render_chart(cf_rw *w, json_t *chart)
{
    json_t *buckets = json_object_get(chart, "buckets"), *b, *v;
    json_t *sources = json_object_get(chart, "sources");
    size_t nb = json_array_size(buckets), i, k;
    int64_t maxc = 0, start, width = cf_rm_int(chart, "bucket_ns");
    const double X0 = 56, Y0 = 28, W = 920, H = 170;
    double bw;
    /* The model may come from elsewhere: only draw what fits in 1970..2100 without overflow. */
    if (nb == 0 || nb > 200 || width <= 0 ||
        cf_time_parse(cf_rm_str(chart, "start"), &start) != CF_OK || start < 0 ||
        (double)start + (double)width * (double)nb > 4.2e18) {
        cf_rw_raw(w, "<p class=\"mute\">No dated events to chart.</p>");
        return;
    }
    json_array_foreach(buckets, i, b)
    {
        int64_t sum = 0;
        json_array_foreach(b, k, v) sum += cf_rm_count(v);
        if (sum > maxc)
            maxc = sum;
    }
    if (maxc == 0)
        maxc = 1;
    bw = W / (double)nb;
    cf_rw_raw(w, "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 1000 "
                 "240\" role=\"img\" aria-label=\"Activity over time\">");
    cf_rw_fmt(w,
              "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"#fafbfc\" "
              "stroke=\"#dde3ea\"/>",
              X0, Y0, W, H);
    for (int g = 1; g <= 3; g++)
        cf_rw_fmt(w,
                  "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e6eaef\"/>"
                  "<text x=\"%.0f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\" "
                  "fill=\"#5f6b7a\">%lld</text>",
                  X0, X0 + W, Y0 + H - H * g / 3.0, Y0 + H - H * g / 3.0, X0 - 6,
                  Y0 + H - H * g / 3.0 + 4, (long long)((maxc * g + 2) / 3));
    json_array_foreach(buckets, i, b)
    {
        double y = Y0 + H;
        int64_t sum = 0;
        char a[CF_TIME_STR_MAX];
        json_array_foreach(b, k, v) sum += cf_rm_count(v);
        json_array_foreach(b, k, v)
        {
            double h = H * (double)cf_rm_count(v) / (double)maxc;
            if (cf_rm_count(v) <= 0 || k >= 6)
                continue;
            y -= h;
            cf_rw_fmt(w,
                      "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                      "fill=\"%s\">",
                      X0 + bw * (double)i + 1, y, bw - 2 > 1 ? bw - 2 : 1, h, src_colors[k]);
            tick_label(start + width * (int64_t)i, a);
            cf_rw_raw(w, "<title>");
            cf_rw_html(w, a);
            cf_rw_fmt(w, ": %lld ", (long long)cf_rm_count(v));
            cf_rw_html(w, k < json_array_size(sources)
                              ? json_string_value(json_array_get(sources, k))
                              : "other");
            cf_rw_fmt(w, " event(s) of %lld</title></rect>", (long long)sum);
        }
    }
    /* Detections (red, above) and changes made by casefile (blue, below the plot). */
    {
        static const struct {
            const char *key, *color;
            double y1, y2;
        } marks[] = {{"detection_marks", "#c62828", 8, 26}, {"action_marks", "#1f5fa8", 200, 214}};
        for (size_t mk = 0; mk < 2; mk++) {
            json_array_foreach(json_object_get(chart, marks[mk].key), i, v)
            {
                int64_t t;
                double x;
                if (cf_time_parse(cf_rm_str(v, "time"), &t) != CF_OK)
                    continue;
                x = X0 + W * ((double)t - (double)start) / ((double)width * (double)nb);
                if (x < X0 || x > X0 + W)
                    continue;
                cf_rw_fmt(w,
                          "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.0f\" y2=\"%.0f\" stroke=\"%s\" "
                          "stroke-width=\"2\"><title>",
                          x, x, marks[mk].y1, marks[mk].y2, marks[mk].color);
                cf_rw_html(w, cf_rm_str(v, "time"));
                cf_rw_raw(w, " ");
                cf_rw_html(w, cf_rm_str(v, "label"));
                cf_rw_raw(w, "</title></line>");
            }
        }
    }
    for (int tk = 0; tk <= 4; tk++) {
        char a[CF_TIME_STR_MAX];
        int64_t t = start + (width * (int64_t)nb) * tk / 4;
        tick_label(t, a);
        cf_rw_fmt(w,
                  "<text x=\"%.0f\" y=\"232\" font-size=\"11\" fill=\"#5f6b7a\" "
                  "text-anchor=\"%s\">",
                  X0 + W * tk / 4.0,
                  tk == 0   ? "start"
                  : tk == 4 ? "end"
                            : "middle");
        cf_rw_html(w, a);
        cf_rw_raw(w, "</text>");
    }
    cf_rw_raw(w, "<text x=\"56\" y=\"20\" font-size=\"11\" fill=\"#c62828\">&#9650; detections"
                 "</text><text x=\"160\" y=\"20\" font-size=\"11\" fill=\"#1f5fa8\">&#9660; "
                 "changes made by casefile (below)</text></svg><div class=\"legend\">");
    json_array_foreach(sources, i, v)
    {
        if (i >= 5)
            break;
        cf_rw_fmt(w, "<span><i style=\"background:%s\"></i>", src_colors[i]);
        cf_rw_html(w, json_string_value(v));
        cf_rw_raw(w, "</span>");
    }
    cf_rw_fmt(w, "<span><i style=\"background:%s\"></i>other</span></div>", src_colors[5]);
    if (cf_rm_int(chart, "earlier") > 0 || cf_rm_int(chart, "later") > 0)
        cf_rw_fmt(w,
                  "<p class=\"mute\">The chart shows the case window (or, without one, where "
                  "most of the activity is): %lld earlier and %lld later event(s) are outside "
                  "it.</p>",
                  (long long)cf_rm_int(chart, "earlier"), (long long)cf_rm_int(chart, "later"));
}

static void render_timeline(cf_rw *w, json_t *m, cf_buf *tmp)
{
    json_t *tl = json_object_get(m, "timeline"), *e;
    json_t *events = json_object_get(tl, "events");
    size_t i;
    cf_rw_raw(w, "<section id=\"timeline\"><h2>Attack timeline</h2>");
    render_chart(w, json_object_get(tl, "chart"));
    if (cf_rm_int(tl, "total") > (int64_t)json_array_size(events))
        cf_rw_fmt(w,
                  "<p class=\"warn\">Listing %zu of %lld events (those behind detections first); "
                  "the full timeline is the <code>timeline</code> table of case.db.</p>",
                  json_array_size(events), (long long)cf_rm_int(tl, "total"));
    if (json_array_size(events) == 0) {
        cf_rw_raw(w, "<p class=\"mute\">The timeline is empty.</p></section>");
        return;
    }
    cf_rw_raw(w, "<table><tr><th>Time</th><th>Source</th><th>Kind</th><th>Event</th>"
                 "<th>Evidence</th></tr>");
    json_array_foreach(events, i, e)
    {
        const char *anchor = cf_rm_str(e, "anchor");
        if (*anchor)
            cf_rw_fmt(w, "<tr class=\"sev-%s\">",
                      cf_report_sev_name(cf_report_sev_rank(cf_rm_str(e, "severity"))));
        else
            cf_rw_raw(w, "<tr>");
        td(w, e, "time", "mono nowrap", tmp);
        td(w, e, "source", "nowrap", tmp);
        td(w, e, "kind", "nowrap", tmp);
        td(w, e, "summary", "mono", tmp);
        cf_rw_raw(w, "<td>");
        if (*anchor)
            anchor_link(w, anchor, "evidence");
        cf_rw_raw(w, "</td></tr>");
    }
    cf_rw_raw(w, "</table></section>");
}

static void render_actions(cf_rw *w, json_t *m, cf_buf *tmp)
{
    json_t *a, *actions = json_object_get(m, "actions");
    size_t i;
    cf_rw_raw(w, "<section id=\"actions\"><h2>Containment and other changes in AWS</h2>");
    if (json_array_size(actions) == 0) {
        cf_rw_raw(w, "<p class=\"mute\">casefile made no change in AWS.</p></section>");
        return;
    }
    cf_rw_raw(w, "<table><tr><th>Time</th><th>Step</th><th>Call</th><th>Target</th>"
                 "<th>Result</th><th>Request id</th><th>Detail</th></tr>");
    json_array_foreach(actions, i, a)
    {
        const char *res = cf_rm_str(a, "result");
        cf_rw_raw(w, "<tr>");
        td(w, a, "time", "mono nowrap", tmp);
        td(w, a, "step", NULL, tmp);
        td(w, a, "call", "mono", tmp);
        td(w, a, "target", "mono", tmp);
        td(w, a, "result",
           !strcmp(res, "ok") || !strcmp(res, "exists") ? "ok"
           : !strcmp(res, "error")                      ? "bad"
                                                        : "warn",
           tmp);
        td(w, a, "request_id", "mono mute", tmp);
        td(w, a, "detail", NULL, tmp);
        cf_rw_raw(w, "</tr>");
    }
    cf_rw_raw(w, "</table></section>");
}

static void render_evidence(cf_rw *w, json_t *m, cf_buf *tmp)
{
    json_t *e, *ev = json_object_get(m, "evidence"), *bundles = json_object_get(m, "bundles");
    json_t *counts = json_object_get(m, "counts");
    size_t i;
    cf_rw_raw(w, "<section id=\"evidence\"><h2>Evidence inventory</h2>");
    cf_rw_fmt(w,
              "<p>%lld file(s), %lld bytes; %lld verified against their manifest, %lld "
              "mismatched.</p>",
              (long long)cf_rm_int(counts, "evidence"),
              (long long)cf_rm_int(counts, "evidence_bytes"),
              (long long)cf_rm_int(counts, "evidence_verified"),
              (long long)cf_rm_int(counts, "evidence_mismatch"));
    if (json_array_size(bundles) > 0) {
        cf_rw_raw(w, "<h3>Bundles</h3><table><tr><th>Kind</th><th>Instance</th><th>Manifest "
                     "SHA-256</th><th>Loaded</th><th>Path</th></tr>");
        json_array_foreach(bundles, i, e)
        {
            cf_rw_raw(w, "<tr>");
            td(w, e, "kind", NULL, tmp);
            td(w, e, "instance_id", "mono", tmp);
            td(w, e, "manifest_sha256", "mono", tmp);
            td(w, e, "loaded_at", "mono", tmp);
            td(w, e, "path", "mono", tmp);
            cf_rw_raw(w, "</tr>");
        }
        cf_rw_raw(w, "</table><h3>Files</h3>");
    }
    if (json_array_size(ev) == 0) {
        cf_rw_raw(w, "<p class=\"mute\">No evidence recorded.</p></section>");
        return;
    }
    cf_rw_raw(w, "<table><tr><th>Bundle</th><th>Kind</th><th>Path</th><th>Bytes</th>"
                 "<th>SHA-256</th><th>S3 location</th><th>Verified</th></tr>");
    json_array_foreach(ev, i, e)
    {
        json_t *vf = json_object_get(e, "verified");
        cf_rw_raw(w, "<tr>");
        td(w, e, "bundle", "mono", tmp);
        td(w, e, "kind", NULL, tmp);
        td(w, e, "path", "mono", tmp);
        td(w, e, "bytes", NULL, tmp);
        td(w, e, "sha256", "mono", tmp);
        td(w, e, "s3_uri", "mono", tmp);
        if (json_is_integer(vf) && json_integer_value(vf) == 1)
            cf_rw_raw(w, "<td class=\"ok\">yes</td>");
        else if (json_is_integer(vf))
            cf_rw_raw(w, "<td class=\"bad\">MISMATCH</td>");
        else
            cf_rw_raw(w, "<td class=\"mute\">not checked</td>");
        cf_rw_raw(w, "</tr>");
    }
    cf_rw_raw(w, "</table></section>");
}

static void render_evidence_rows(cf_rw *w, json_t *m, cf_buf *tmp)
{
    json_t *rows = json_object_get(m, "evidence_rows"), *r, *v;
    size_t i, k;
    const char *key;
    if (json_array_size(rows) == 0)
        return;
    cf_rw_raw(w, "<section id=\"evidence-rows\"><h2>Evidence behind the detections</h2>");
    json_array_foreach(rows, i, r)
    {
        char label[128];
        cf_rw_fmt(w, "<div class=\"evrow sev-%s\" id=\"",
                  cf_report_sev_name(cf_report_sev_rank(cf_rm_str(r, "severity"))));
        cf_rw_html(w, cf_rm_str(r, "anchor"));
        cf_rw_raw(w, "\"><strong class=\"mono\">");
        snprintf(label, sizeof(label), "%.64s #%lld", cf_rm_str(r, "table"),
                 (long long)cf_rm_int(r, "rowid"));
        cf_rw_html(w, label);
        cf_rw_raw(w, "</strong> <span class=\"mute\">cited by</span> ");
        json_array_foreach(json_object_get(r, "detections"), k, v)
        {
            char a[48], t[48];
            snprintf(a, sizeof(a), "det-%lld", (long long)json_integer_value(v));
            snprintf(t, sizeof(t), "detection %lld", (long long)json_integer_value(v));
            if (k)
                cf_rw_raw(w, ", ");
            anchor_link(w, a, t);
        }
        if (json_object_get(r, "missing")) {
            cf_rw_raw(w, "<p class=\"warn\">");
            cf_rw_html(w, cf_rm_str(r, "missing"));
            cf_rw_raw(w, "</p>");
        }
        cf_rw_raw(w, "<dl class=\"kv\">");
        json_object_foreach(json_object_get(r, "columns"), key, v)
        {
            cf_rw_raw(w, "<dt>");
            cf_rw_html(w, key);
            cf_rw_raw(w, "</dt><dd class=\"mono\">");
            val(w, v, tmp);
            cf_rw_raw(w, "</dd>");
        }
        cf_rw_raw(w, "</dl></div>");
    }
    cf_rw_raw(w, "</section>");
}

static void render_steps(cf_rw *w, json_t *m, cf_buf *tmp)
{
    json_t *s, *steps = json_object_get(m, "steps");
    size_t i;
    cf_rw_raw(w, "<section id=\"steps\"><h2>Workflow steps</h2>");
    if (json_array_size(steps) == 0) {
        cf_rw_raw(w, "<p class=\"mute\">No step has run.</p></section>");
        return;
    }
    cf_rw_raw(w, "<table><tr><th>Step</th><th>Status</th><th>Attempts</th><th>Started</th>"
                 "<th>Finished</th><th>Duration</th><th>Error</th></tr>");
    json_array_foreach(steps, i, s)
    {
        const char *st = cf_rm_str(s, "status");
        json_t *d = json_object_get(s, "duration_ms");
        cf_rw_raw(w, "<tr>");
        td(w, s, "name", "mono", tmp);
        td(w, s, "status",
           !strcmp(st, "done")     ? "ok"
           : !strcmp(st, "failed") ? "bad"
                                   : "warn",
           tmp);
        td(w, s, "attempts", NULL, tmp);
        td(w, s, "started_at", "mono", tmp);
        td(w, s, "finished_at", "mono", tmp);
        if (json_is_integer(d))
            cf_rw_fmt(w, "<td>%.3f s</td>", (double)json_integer_value(d) / 1000.0);
        else
            cf_rw_raw(w, "<td></td>");
        td(w, s, "error", NULL, tmp);
        cf_rw_raw(w, "</tr>");
    }
    cf_rw_raw(w, "</table>");
    if (json_array_size(json_object_get(m, "rule_errors")) > 0) {
        cf_rw_raw(w, "<h3>Rules that did not run cleanly</h3><table><tr><th>Rule</th>"
                     "<th>Status</th><th>Error</th></tr>");
        json_array_foreach(json_object_get(m, "rule_errors"), i, s)
        {
            cf_rw_raw(w, "<tr>");
            td(w, s, "rule_id", "mono", tmp);
            td(w, s, "status", "warn", tmp);
            td(w, s, "error", NULL, tmp);
            cf_rw_raw(w, "</tr>");
        }
        cf_rw_raw(w, "</table>");
    }
    if (cf_rm_int(json_object_get(m, "counts"), "load_errors") > 0)
        cf_rw_fmt(w,
                  "<p class=\"warn\">%lld input line(s) could not be parsed (table "
                  "<code>load_errors</code> of case.db).</p>",
                  (long long)cf_rm_int(json_object_get(m, "counts"), "load_errors"));
    cf_rw_raw(w, "</section>");
}

static void render_case(cf_rw *w, json_t *m, cf_buf *tmp)
{
    json_t *kase = json_object_get(m, "case"), *v;
    const char *key;
    static const char *const shown[] = {"case_id",       "finding_id",        "finding_type",
                                        "finding_title", "finding_severity",  "finding_description",
                                        "instance_id",   "availability_zone", "region",
                                        "account_id",    "opened_at",         "window_start",
                                        "window_end"};
    cf_rw_raw(w, "<section id=\"case\"><h2>Case and finding</h2><dl class=\"kv\">");
    for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++) {
        v = json_object_get(kase, shown[i]);
        if (!v)
            continue;
        cf_rw_raw(w, "<dt>");
        cf_rw_html(w, shown[i]);
        cf_rw_raw(w, "</dt><dd>");
        val(w, v, tmp);
        cf_rw_raw(w, "</dd>");
    }
    json_object_foreach(json_object_get(kase, "info"), key, v)
    {
        int dup = 0;
        for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++)
            dup |= !strcmp(key, shown[i]);
        if (dup || !strcmp(key, "narrative"))
            continue;
        cf_rw_raw(w, "<dt>");
        cf_rw_html(w, key);
        cf_rw_raw(w, "</dt><dd class=\"mono\">");
        val(w, v, tmp);
        cf_rw_raw(w, "</dd>");
    }
    cf_rw_raw(w, "</dl></section>");
}

void cf_report_html_head(cf_rw *w, const char *title, const char *sev)
{
    sev = cf_report_sev_name(cf_report_sev_rank(sev));
    cf_rw_raw(w, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                 "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                 "style-src 'unsafe-inline'; img-src data:\">"
                 "<meta name=\"referrer\" content=\"no-referrer\">"
                 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                 "<title>casefile ");
    cf_rw_html(w, title);
    cf_rw_raw(w, "</title><style>");
    cf_rw_raw(w, CSS);
    cf_rw_fmt(w,
              "</style></head>\n<body><header class=\"top sev-%s\"><div "
              "class=\"brand\">casefile incident report</div><h1>",
              sev);
    sev_badge(w, sev);
    cf_rw_raw(w, " ");
}

int cf_report_render_html(json_t *m, int summary_only, cf_buf *out)
{
    cf_rw w = {out, CF_OK, 0};
    cf_buf tmp = CF_BUF_INIT(1 << 20);
    json_t *kase = json_object_get(m, "case"), *sum = json_object_get(m, "summary");
    const char *sev = cf_report_sev_name(cf_report_sev_rank(cf_rm_str(sum, "severity")));
    cf_report_html_head(&w, cf_rm_str(kase, "case_id"), sev);
    cf_rw_html(&w, cf_rm_str(sum, "headline"));
    cf_rw_raw(&w, "</h1><div class=\"meta\">");
    if (*cf_rm_str(kase, "case_id")) {
        cf_rw_raw(&w, "<span>case <b class=\"mono\">");
        cf_rw_html(&w, cf_rm_str(kase, "case_id"));
        cf_rw_raw(&w, "</b></span>");
    }
    if (*cf_rm_str(kase, "instance_id")) {
        cf_rw_raw(&w, "<span>instance <b class=\"mono\">");
        cf_rw_html(&w, cf_rm_str(kase, "instance_id"));
        cf_rw_raw(&w, "</b></span>");
    }
    if (*cf_rm_str(kase, "region") || *cf_rm_str(kase, "account_id")) {
        cf_rw_raw(&w, "<span>");
        cf_rw_html(&w, cf_rm_str(kase, "region"));
        cf_rw_raw(&w, " ");
        cf_rw_html(&w, cf_rm_str(kase, "account_id"));
        cf_rw_raw(&w, "</span>");
    }
    cf_rw_raw(&w, "<span>generated ");
    cf_rw_html(&w, cf_rm_str(m, "generated_at"));
    cf_rw_raw(&w, "</span></div></header>\n");
    if (!summary_only)
        cf_rw_raw(&w, "<nav><a href=\"#summary\">Summary</a><a href=\"#detections\">Detections"
                      "</a><a href=\"#timeline\">Timeline</a><a href=\"#actions\">Containment</a>"
                      "<a href=\"#evidence\">Evidence</a><a href=\"#steps\">Steps</a><a "
                      "href=\"#case\">Finding</a></nav>\n");
    cf_rw_raw(&w, "<main>");
    render_summary(&w, m, summary_only, &tmp);
    if (!summary_only) {
        render_detections(&w, m, &tmp);
        render_timeline(&w, m, &tmp);
        render_actions(&w, m, &tmp);
        render_evidence(&w, m, &tmp);
        render_evidence_rows(&w, m, &tmp);
        render_steps(&w, m, &tmp);
        render_case(&w, m, &tmp);
    }
    cf_rw_raw(&w, "</main><footer>");
    cf_rw_html(&w, cf_rm_str(m, "generator"));
    cf_rw_raw(&w, " &middot; ");
    cf_rw_html(&w, cf_rm_str(m, "schema"));
    cf_rw_raw(&w, " &middot; every value shown comes from case.db; values from the instance are "
                  "untrusted</footer></body></html>\n");
    cf_buf_release(&tmp);
    if (w.rc)
        cf_error_wrap("render HTML");
    return w.rc;
}
