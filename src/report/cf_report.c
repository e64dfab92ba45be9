/* Writing the report files, the L7 report e-mail and the L1 alert. */
#include "report/cf_report.h"
#include "report/report_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cf_error.h"
#include "common/cf_fs.h"
#include "common/cf_json.h"

#define REPORT_MAX      (256u << 20) /* one rendered file at most */
#define DEFAULT_ATTACH  (5u << 20)
#define MAX_FINDING_LEN (1u << 20)

int cf_report_parse_formats(const char *list, unsigned *out)
{
    unsigned f = 0;
    const char *p = list;
    *out = 0;
    if (!list || !*list)
        return cf_error_set(CF_EINVAL, "empty format list");
    while (*p) {
        size_t n = strcspn(p, ",");
        if (n == 4 && !strncmp(p, "html", 4))
            f |= CF_REPORT_HTML;
        else if (n == 4 && !strncmp(p, "json", 4))
            f |= CF_REPORT_JSON;
        else if ((n == 2 && !strncmp(p, "md", 2)) || (n == 8 && !strncmp(p, "markdown", 8)))
            f |= CF_REPORT_MD;
        else
            return cf_error_set(CF_EINVAL, "unknown format '%.*s' (html, json, md)", (int)n, p);
        p += n;
        if (*p == ',')
            p++;
    }
    *out = f;
    return CF_OK;
}

int cf_report_render_json(json_t *model, cf_buf *out)
{
    /* ESCAPE_SLASH: "</script>" never appears even if someone embeds the JSON in a page. */
    char *s = json_dumps(model, JSON_INDENT(1) | JSON_ESCAPE_SLASH);
    int rc;
    if (!s)
        return cf_error_set(CF_ENOMEM, "render JSON");
    rc = cf_buf_addstr(out, s);
    if (rc == CF_OK)
        rc = cf_buf_addch(out, '\n');
    free(s);
    return rc;
}

static int write_one(const char *dir, const char *name, const cf_buf *b)
{
    char path[4096];
    int rc = cf_fs_join(path, sizeof(path), dir, name);
    if (rc == CF_OK)
        rc = cf_fs_write_atomic(path, b->data ? b->data : "", b->len);
    if (rc)
        cf_error_wrap("write %s", name);
    return rc;
}

int cf_report_write(cf_case *c, const char *out_dir, unsigned formats, const cf_report_opts *opts)
{
    json_t *model = NULL;
    cf_buf b = CF_BUF_INIT(REPORT_MAX);
    int rc;
    if ((rc = cf_fs_mkdirs(out_dir, 0755)) || (rc = cf_report_build(c, opts, &model)))
        goto cleanup;
    if (formats & CF_REPORT_HTML) {
        if ((rc = cf_report_render_html(model, 0, &b)) ||
            (rc = write_one(out_dir, "report.html", &b)))
            goto cleanup;
        cf_buf_reset(&b);
    }
    if (formats & CF_REPORT_JSON) {
        if ((rc = cf_report_render_json(model, &b)) || (rc = write_one(out_dir, "report.json", &b)))
            goto cleanup;
        cf_buf_reset(&b);
    }
    if (formats & CF_REPORT_MD) {
        if ((rc = cf_report_render_md(model, 0, &b)) || (rc = write_one(out_dir, "report.md", &b)))
            goto cleanup;
    }
cleanup:
    json_decref(model);
    cf_buf_release(&b);
    return rc;
}

/* ---- L7 --------------------------------------------------------------------------------- */

static void subject_for(json_t *model, cf_buf *s)
{
    json_t *kase = json_object_get(model, "case"), *sum = json_object_get(model, "summary");
    const char *sev = cf_rm_str(sum, "severity");
    char up[16];
    size_t i;
    for (i = 0; sev[i] && i < sizeof(up) - 1; i++)
        up[i] = (char)(sev[i] >= 'a' && sev[i] <= 'z' ? sev[i] - 32 : sev[i]);
    up[i] = '\0';
    cf_buf_addf(s, "[casefile] %s: %.200s (case %.80s)", up, cf_rm_str(sum, "headline"),
                cf_rm_str(kase, "case_id"));
}

int cf_report_email_from_model(json_t *model, const char *full_html, size_t full_len,
                               const cf_report_email_opts *o, cf_buf *out)
{
    json_t *m = json_copy(model);
    cf_buf text = CF_BUF_INIT(REPORT_MAX), html = CF_BUF_INIT(REPORT_MAX),
           subject = CF_BUF_INIT(4096);
    size_t limit = o->attach_limit ? o->attach_limit : DEFAULT_ATTACH;
    cf_mail mail;
    int rc;
    if (!m) {
        rc = cf_error_set(CF_ENOMEM, "report e-mail");
        goto cleanup;
    }
    if (o->report_url && !cf_report_url_ok(o->report_url)) {
        rc = cf_error_set(CF_EINVAL, "report e-mail: the report URL is not a plain http(s) URL");
        goto cleanup;
    }
    if (o->report_url && json_object_set_new(m, "report_url", json_string(o->report_url))) {
        rc = cf_error_set(CF_ENOMEM, "report e-mail");
        goto cleanup;
    }
    if ((rc = cf_report_render_md(m, 1, &text)) || (rc = cf_report_render_html(m, 1, &html)))
        goto cleanup;
    if (!full_html || full_len > limit) {
        if ((rc = cf_buf_addstr(&text, full_html ? "The full report is too large to attach; "
                                                   "use the link above.\n"
                                                 : "")))
            goto cleanup;
    }
    subject_for(m, &subject);
    memset(&mail, 0, sizeof(mail));
    mail.from = o->from;
    mail.to = o->to;
    mail.n_to = o->n_to;
    mail.subject = cf_buf_cstr(&subject);
    mail.text = cf_buf_cstr(&text);
    mail.html = cf_buf_cstr(&html);
    if (full_html && full_len <= limit) {
        mail.attach_name = "report.html";
        mail.attach_type = "text/html; charset=utf-8";
        mail.attach_data = full_html;
        mail.attach_len = full_len;
    }
    rc = cf_mime_build(&mail, out);
cleanup:
    json_decref(m);
    cf_buf_release(&text);
    cf_buf_release(&html);
    cf_buf_release(&subject);
    return rc;
}

int cf_report_email(cf_case *c, const cf_report_email_opts *o, cf_buf *out)
{
    json_t *model = NULL;
    cf_buf full = CF_BUF_INIT(REPORT_MAX);
    int rc = cf_report_build(c, o->report, &model);
    if (rc == CF_OK)
        rc = cf_report_render_html(model, 0, &full);
    if (rc == CF_OK)
        rc = cf_report_email_from_model(model, cf_buf_cstr(&full), full.len, o, out);
    json_decref(model);
    cf_buf_release(&full);
    return rc;
}

/* ---- L1 alert -------------------------------------------------------------------------- */

static const char *const default_plan[] = {
    "deny the attacker address(es) in the subnet's network ACL, inbound and outbound",
    "capture the instance's volatile state (processes, connections, sessions) through SSM",
    "isolate the instance (security groups), take it out of its load balancer and Auto Scaling",
    "snapshot every attached EBS volume, tagged with the case id",
    "collect and analyse the disk evidence on a forensic worker",
    "send the report (HTML, JSON, Markdown) by e-mail and store it in S3"};

static const char *sev_label(double s)
{
    return s >= 9 ? "critical" : s >= 7 ? "high" : s >= 4 ? "medium" : s >= 0 ? "low" : "info";
}

int cf_alert_info_from_case(cf_case *c, cf_alert_info *info)
{
    static const char *const keys[] = {"case_id",    "finding_id",        "instance_id", "region",
                                       "account_id", "availability_zone", "dry_run"};
    json_t *h = json_object(), *finding = NULL, *f, *ips = NULL, *v;
    char *val = NULL;
    int rc = CF_OK;
    size_t i;
    memset(info, 0, sizeof(*info));
    info->severity = -1;
    if (!h)
        return cf_error_set(CF_ENOMEM, "alert");
    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if ((rc = cf_case_info_get(c, keys[i], &val)))
            goto cleanup;
        if (val)
            json_object_set_new(h, keys[i], json_string(val));
        free(val);
        val = NULL;
    }
    if ((rc = cf_case_info_get(c, "finding", &val)))
        goto cleanup;
    if (val && strlen(val) <= MAX_FINDING_LEN)
        cf_json_parse(val, strlen(val), &finding);
    free(val);
    val = NULL;
    f = json_is_object(json_object_get(finding, "detail")) ? json_object_get(finding, "detail")
                                                           : finding;
    if (json_is_object(f)) {
        static const struct {
            const char *key, *path;
        } fm[] = {{"finding_type", "type"},
                  {"finding_title", "title"},
                  {"finding_id", "id"},
                  {"instance_id", "resource.instanceDetails.instanceId"},
                  {"availability_zone", "resource.instanceDetails.availabilityZone"},
                  {"region", "region"},
                  {"account_id", "accountId"}};
        for (i = 0; i < sizeof(fm) / sizeof(fm[0]); i++) {
            const char *s = cf_json_str(f, fm[i].path);
            if (s && !json_object_get(h, fm[i].key))
                json_object_set_new(h, fm[i].key, json_string(s));
        }
        if (json_is_number(json_object_get(f, "severity")))
            info->severity = json_number_value(json_object_get(f, "severity"));
    }
    if ((rc = cf_case_info_get(c, "attacker_ips", &val)))
        goto cleanup;
    if (val && strlen(val) <= MAX_FINDING_LEN)
        cf_json_parse(val, strlen(val), &ips);
    free(val);
    val = NULL;
    if (!json_is_array(ips)) {
        const char *ip =
            cf_json_str(f, "service.action.networkConnectionAction.remoteIpDetails.ipAddressV4");
        json_decref(ips);
        ips = json_array();
        if (ip)
            json_array_append_new(ips, json_string(ip));
    }
    {
        json_t *clean = json_array();
        json_array_foreach(ips, i,
                           v) if (json_is_string(v) && json_array_size(clean) < CF_ALERT_MAX_IPS)
            json_array_append(clean, v);
        json_object_set_new(h, "attacker_ips", clean);
    }
    info->case_id = json_string_value(json_object_get(h, "case_id"));
    info->finding_id = json_string_value(json_object_get(h, "finding_id"));
    info->finding_type = json_string_value(json_object_get(h, "finding_type"));
    info->finding_title = json_string_value(json_object_get(h, "finding_title"));
    info->instance_id = json_string_value(json_object_get(h, "instance_id"));
    info->availability_zone = json_string_value(json_object_get(h, "availability_zone"));
    info->region = json_string_value(json_object_get(h, "region"));
    info->account_id = json_string_value(json_object_get(h, "account_id"));
    {
        const char *d = json_string_value(json_object_get(h, "dry_run"));
        info->dry_run = d && (!strcmp(d, "1") || !strcmp(d, "true"));
    }
    {
        json_t *a = json_object_get(h, "attacker_ips");
        size_t n = json_array_size(a);
        for (i = 0; i < n && i < CF_ALERT_MAX_IPS; i++)
            info->ip_storage[i] = json_string_value(json_array_get(a, i));
        info->attacker_ips = info->ip_storage;
        info->n_attacker_ips = i;
    }
    info->hold = h;
    h = NULL;
cleanup:
    json_decref(h);
    json_decref(finding);
    json_decref(ips);
    free(val);
    return rc;
}

void cf_alert_info_release(cf_alert_info *info)
{
    if (!info)
        return;
    json_decref(info->hold);
    memset(info, 0, sizeof(*info));
}

static const char *or_dash(const char *s)
{
    return s && *s ? s : "-";
}

int cf_report_alert(const cf_alert_info *a, cf_buf *subject, cf_buf *text, cf_buf *html)
{
    cf_rw w = {text, CF_OK, 0};
    const char *const *plan = a->planned ? a->planned : default_plan;
    size_t nplan = a->planned ? a->n_planned : sizeof(default_plan) / sizeof(default_plan[0]);
    const char *sev = sev_label(a->severity);
    char sevtxt[48];
    if (a->severity >= 0)
        snprintf(sevtxt, sizeof(sevtxt), "%s (%.1f)", sev, a->severity);
    else
        snprintf(sevtxt, sizeof(sevtxt), "unknown");
    /* subject */
    {
        cf_rw s = {subject, CF_OK, 0};
        char up[16];
        size_t i;
        for (i = 0; sev[i] && i < sizeof(up) - 1; i++)
            up[i] = (char)(sev[i] - 32);
        up[i] = '\0';
        cf_rw_fmt(&s, "[casefile] ALERT %s: %.120s on %.64s (case %.80s)", up,
                  or_dash(a->finding_type), or_dash(a->instance_id), or_dash(a->case_id));
        if (s.rc)
            return s.rc;
    }
    /* text (Markdown, readable as plain text) */
    cf_rw_raw(&w, "# casefile alert: ");
    cf_rw_md(&w, or_dash(a->finding_type));
    cf_rw_raw(&w, "\n\n");
    if (a->dry_run)
        cf_rw_raw(&w, "**Dry run: casefile will only print what it would change.**\n\n");
    cf_rw_fmt(&w, "- **Severity:** %s\n- **Instance:** ", sevtxt);
    cf_rw_code(&w, a->instance_id);
    cf_rw_raw(&w, " in ");
    cf_rw_code(&w, a->availability_zone);
    cf_rw_raw(&w, " (");
    cf_rw_md(&w, or_dash(a->region));
    cf_rw_raw(&w, ", account ");
    cf_rw_code(&w, a->account_id);
    cf_rw_raw(&w, ")\n- **Attacker address:**");
    for (size_t i = 0; i < a->n_attacker_ips; i++) {
        cf_rw_raw(&w, i ? ", " : " ");
        cf_rw_code(&w, a->attacker_ips[i]);
    }
    if (a->n_attacker_ips == 0)
        cf_rw_raw(&w, " none in the finding");
    cf_rw_raw(&w, "\n- **Case:** ");
    cf_rw_code(&w, a->case_id);
    cf_rw_raw(&w, "\n- **Finding:** ");
    cf_rw_md(&w, or_dash(a->finding_title));
    cf_rw_raw(&w, " (");
    cf_rw_code(&w, a->finding_id);
    cf_rw_raw(&w, ")\n\n### What casefile is doing now\n\n");
    for (size_t i = 0; i < nplan; i++) {
        cf_rw_raw(&w, "- ");
        cf_rw_md(&w, plan[i]);
        cf_rw_raw(&w, "\n");
    }
    cf_rw_raw(&w, "\nThe report follows by e-mail when the case is done. `casefile status` shows "
                  "progress.\n");
    if (w.rc)
        return w.rc;
    /* HTML, with the report's look */
    w.b = html;
    cf_report_html_head(&w, a->case_id ? a->case_id : "alert", sev);
    cf_rw_raw(&w, "ALERT ");
    cf_rw_html(&w, or_dash(a->finding_type));
    cf_rw_raw(&w, "</h1><div class=\"meta\"><span>case <b class=\"mono\">");
    cf_rw_html(&w, or_dash(a->case_id));
    cf_rw_raw(&w, "</b></span><span>instance <b class=\"mono\">");
    cf_rw_html(&w, or_dash(a->instance_id));
    cf_rw_raw(&w, "</b></span></div></header><main><section><h2>Finding</h2>");
    if (a->dry_run)
        cf_rw_raw(&w, "<p class=\"warn\">Dry run: casefile will only print what it would "
                      "change.</p>");
    cf_rw_raw(&w, "<dl class=\"kv\"><dt>Severity</dt><dd>");
    cf_rw_html(&w, sevtxt);
    cf_rw_raw(&w, "</dd><dt>Instance</dt><dd class=\"mono\">");
    cf_rw_html(&w, or_dash(a->instance_id));
    cf_rw_raw(&w, "</dd><dt>Availability zone</dt><dd>");
    cf_rw_html(&w, or_dash(a->availability_zone));
    cf_rw_raw(&w, "</dd><dt>Region, account</dt><dd>");
    cf_rw_html(&w, or_dash(a->region));
    cf_rw_raw(&w, ", ");
    cf_rw_html(&w, or_dash(a->account_id));
    cf_rw_raw(&w, "</dd><dt>Attacker address</dt><dd class=\"mono\">");
    for (size_t i = 0; i < a->n_attacker_ips; i++) {
        cf_rw_raw(&w, i ? ", " : "");
        cf_rw_html(&w, a->attacker_ips[i]);
    }
    if (a->n_attacker_ips == 0)
        cf_rw_raw(&w, "none in the finding");
    cf_rw_raw(&w, "</dd><dt>Case</dt><dd class=\"mono\">");
    cf_rw_html(&w, or_dash(a->case_id));
    cf_rw_raw(&w, "</dd><dt>Finding</dt><dd>");
    cf_rw_html(&w, or_dash(a->finding_title));
    cf_rw_raw(&w, " <span class=\"mono mute\">");
    cf_rw_html(&w, or_dash(a->finding_id));
    cf_rw_raw(&w, "</span></dd></dl><h3>What casefile is doing now</h3><ul class=\"did\">");
    for (size_t i = 0; i < nplan; i++) {
        cf_rw_raw(&w, "<li>");
        cf_rw_html(&w, plan[i]);
        cf_rw_raw(&w, "</li>");
    }
    cf_rw_raw(&w, "</ul><p class=\"mute\">The report follows by e-mail when the case is done. "
                  "<code>casefile status</code> shows progress.</p></section></main></body>"
                  "</html>\n");
    return w.rc;
}

int cf_report_alert_email(const cf_alert_info *a, const char *from, const char *const *to,
                          size_t n_to, cf_buf *out)
{
    cf_buf subject = CF_BUF_INIT(4096), text = CF_BUF_INIT(1 << 20), html = CF_BUF_INIT(1 << 20);
    cf_mail m;
    int rc = cf_report_alert(a, &subject, &text, &html);
    if (rc == CF_OK) {
        memset(&m, 0, sizeof(m));
        m.from = from;
        m.to = to;
        m.n_to = n_to;
        m.subject = cf_buf_cstr(&subject);
        m.text = cf_buf_cstr(&text);
        m.html = cf_buf_cstr(&html);
        rc = cf_mime_build(&m, out);
    }
    cf_buf_release(&subject);
    cf_buf_release(&text);
    cf_buf_release(&html);
    return rc;
}
