/* Unit tests of the report: escaping with hostile strings, the model built from case.db
 * (links, bounds, graceful degradation), the renderers, and the MIME encoders. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case/cf_case.h"
#include "common/cf_error.h"
#include "common/cf_fs.h"
#include "report/cf_report.h"

static int setup(void **state)
{
    char *dir = strdup("/tmp/cf-test-report-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    *state = dir;
    return 0;
}

static int teardown(void **state)
{
    cf_fs_remove_tree(*state);
    free(*state);
    return 0;
}

static char *esc_html(const char *s, size_t len)
{
    cf_buf b = CF_BUF_INIT(1 << 20);
    assert_int_equal(cf_report_esc_html(&b, s, len), CF_OK);
    return cf_buf_detach(&b, NULL);
}

#define ESC_HTML_LIT(lit) esc_html(lit, sizeof(lit) - 1)

static char *esc_md(const char *s)
{
    cf_buf b = CF_BUF_INIT(1 << 20);
    assert_int_equal(cf_report_esc_md(&b, s, strlen(s)), CF_OK);
    return cf_buf_detach(&b, NULL);
}

static char *md_code(const char *s, int in_table)
{
    cf_buf b = CF_BUF_INIT(1 << 20);
    assert_int_equal(cf_report_md_code(&b, s, strlen(s), in_table), CF_OK);
    return cf_buf_detach(&b, NULL);
}

static void test_report_esc_html_hostile(void **state)
{
    static const char *const hostile[] = {
        "<script>alert(1)</script>", "<img src=x onerror=\"alert(1)\">",
        "\" onmouseover='x' a=\"",   "</style><svg onload=alert(1)>",
        "&lt;already&gt; &amp;",     "<math><mtext></mtext></math>"};
    char *o;
    (void)state;
    for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
        o = esc_html(hostile[i], strlen(hostile[i]));
        assert_null(strchr(o, '<'));
        assert_null(strchr(o, '>'));
        assert_null(strchr(o, '"'));
        assert_null(strchr(o, '\''));
        free(o);
    }
    o = ESC_HTML_LIT("a<b>&\"'");
    assert_string_equal(o, "a&lt;b&gt;&amp;&quot;&#39;");
    free(o);
    /* controls become U+FFFD, bidi overrides become visible, invalid UTF-8 is replaced */
    o = ESC_HTML_LIT("x\x1b[31my\x7f");
    assert_string_equal(o, "x\xEF\xBF\xBD[31my\xEF\xBF\xBD");
    free(o);
    o = ESC_HTML_LIT("evil\xE2\x80\xAEgpj.exe");
    assert_string_equal(o, "evil[U+202E]gpj.exe");
    free(o);
    o = esc_html("a\xff\xc0\x80"
                 "b",
                 5);
    assert_string_equal(o, "a\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
                           "b");
    free(o);
    o = ESC_HTML_LIT("a\0b");
    assert_string_equal(o, "a\xEF\xBF\xBD"
                           "b");
    free(o);
    o = ESC_HTML_LIT("line1\nline2\t\xC3\xA9");
    assert_string_equal(o, "line1\nline2\t\xC3\xA9");
    free(o);
}

static void test_report_esc_md_hostile(void **state)
{
    char *o;
    (void)state;
    o = esc_md("[x](javascript:alert(1)) ![i](http://e/x.png)");
    assert_string_equal(o, "\\[x\\](javascript:alert(1)) !\\[i\\](http\\://e/x.png)");
    free(o);
    o = esc_md("<script>alert(1)</script> & <b>");
    assert_string_equal(o, "&lt;script>alert(1)&lt;/script> & &lt;b>");
    free(o);
    o = esc_md("&lt;b&gt; &#60; C&C a < b <!-- x --> <?php <https://x>");
    assert_string_equal(
        o, "&amp;lt;b&amp;gt; &amp;#60; C&C a < b &lt;!-- x --> &lt;?php &lt;https\\://x>");
    free(o);
    o = esc_md("line\n# heading\r\n| a | b |");
    assert_string_equal(o, "line # heading  \\| a \\| b \\|");
    free(o);
    /* what would start a list, a heading or a rule at the start of a line */
    o = esc_md("- item");
    assert_string_equal(o, "\\- item");
    free(o);
    o = esc_md("# h");
    assert_string_equal(o, "\\# h");
    free(o);
    o = esc_md("12. x");
    assert_string_equal(o, "12\\. x");
    free(o);
    o = esc_md("=== x");
    assert_string_equal(o, "\\=== x");
    free(o);
    o = esc_md("see www.evil.example or a@b.c *x* _y_ `z`");
    assert_string_equal(o, "see www\\.evil.example or a@b.c \\*x\\* \\_y\\_ \\`z\\`");
    free(o);
    o = esc_md("ok: plain text (1.5 GB) i-0abc, 10.0.0.1");
    assert_string_equal(o, "ok: plain text (1.5 GB) i-0abc, 10.0.0.1");
    free(o);
}

static void test_report_md_code_fences(void **state)
{
    char *o;
    (void)state;
    o = md_code("/tmp/x", 0);
    assert_string_equal(o, "`/tmp/x`");
    free(o);
    o = md_code("a`b``c", 0);
    assert_string_equal(o, "```a`b``c```");
    free(o);
    o = md_code("`start", 0);
    assert_string_equal(o, "`` `start ``");
    free(o);
    o = md_code("a|b\nc", 1);
    assert_string_equal(o, "`a\\|b c`");
    free(o);
    o = md_code("a|b", 0);
    assert_string_equal(o, "`a|b`");
    free(o);
    o = md_code("", 0);
    assert_string_equal(o, "\"\"");
    free(o);
    {
        /* a run of 100 backticks: the fence stays bounded and the span still closes */
        char run[101];
        memset(run, '`', 100);
        run[100] = '\0';
        o = md_code(run, 0);
        assert_true(strlen(o) < 400);
        assert_int_equal(strncmp(o,
                                 "`````````````````````````````````````````````````````````"
                                 "```````` ",
                                 66),
                         0);
        free(o);
    }
}

static void test_report_truncate_marks_and_keeps_utf8(void **state)
{
    char *o;
    char big[5000];
    (void)state;
    memset(big, 'a', sizeof(big));
    memcpy(big + 98, "\xC3\xA9", 2); /* é across the cut point */
    assert_int_equal(cf_report_truncate(big, sizeof(big), 99, &o), CF_OK);
    assert_int_equal(strncmp(o + 98, " \xE2\x80\xA6[truncated 4902 bytes]", 28), 0);
    free(o);
    assert_int_equal(cf_report_truncate("ab\xffz", 4, 100, &o), CF_OK);
    assert_string_equal(o, "ab\xEF\xBF\xBDz");
    free(o);
    assert_int_equal(cf_report_truncate("short", 5, 100, &o), CF_OK);
    assert_string_equal(o, "short");
    free(o);
}

/* A small case: two detections pointing at rows, bad refs, and 30 timeline events. */
static cf_case *fixture(const char *dir)
{
    cf_case *c = NULL;
    assert_int_equal(cf_case_open(&c, dir), CF_OK);
    assert_int_equal(cf_case_info_set(c, "case_id", "cf-test-1"), CF_OK);
    assert_int_equal(cf_case_info_set(c, "attacker_ips", "[\"203.0.113.7\", 5]"), CF_OK);
    assert_int_equal(
        cf_case_info_set(c, "finding",
                         "{\"detail\":{\"type\":\"Backdoor:EC2/C&CActivity.B\",\"severity\":8,"
                         "\"resource\":{\"instanceDetails\":{\"instanceId\":\"i-0abc\","
                         "\"availabilityZone\":\"us-east-1b\"}}}}"),
        CF_OK);
    assert_int_equal(
        cf_case_exec(
            c, "CREATE TABLE processes(pid, name, cmdline);"
               "INSERT INTO processes VALUES(42, 'bash', '<script>alert(1)</script>');"
               "INSERT INTO detections(rule_id, title, severity, attack, time, entity, evidence) "
               "VALUES('proc.rev', 'Reverse shell <b>', 'high', 'T1059.004', "
               "'2026-11-27T10:00:05Z', '{\"pid\":42,\"x\":[1,2]}', "
               "'[\"processes:1\",\"ghost:3\",\"bad ref\",\"a;b:1\",7]');"
               "INSERT INTO detections(rule_id, title, severity, attack, time, entity, evidence) "
               "VALUES('low.one', 'Low thing', 'LOW', 'T10x; T1105', NULL, 'not json', NULL);"
               "INSERT INTO detections(rule_id, title, severity, attack, time, entity, evidence) "
               "VALUES('crit.one', 'Critical thing', 'critical', NULL, '2026-11-27T10:00:01Z', "
               "'{}', '[\"processes:99\"]');"),
        CF_OK);
    for (int i = 0; i < 30; i++) {
        char sql[256];
        snprintf(sql, sizeof(sql),
                 "INSERT INTO timeline(time, source, kind, summary, ref_table, ref_id) VALUES("
                 "'2026-11-27T10:%02d:00Z', '%s', 'k', 'event %d', %s, %s)",
                 i, i % 2 ? "files" : "web", i, i == 29 ? "'processes'" : "NULL",
                 i == 29 ? "1" : "NULL");
        assert_int_equal(cf_case_exec(c, sql), CF_OK);
    }
    return c;
}

static json_t *find_by(json_t *arr, const char *key, const char *value)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i,
                       v) if (json_is_string(json_object_get(v, key)) &&
                              !strcmp(json_string_value(json_object_get(v, key)), value)) return v;
    return NULL;
}

static void test_report_model_links_and_bounds(void **state)
{
    cf_case *c = fixture(*state);
    cf_report_opts o = CF_REPORT_OPTS_INIT;
    json_t *m = NULL, *dets, *d, *rows, *tl, *ev;
    o.max_timeline_events = 5;
    o.now_ns = 1;
    assert_int_equal(cf_report_build(c, &o, &m), CF_OK);
    assert_string_equal(json_string_value(json_object_get(m, "schema")), CF_REPORT_SCHEMA);
    dets = json_object_get(m, "detections");
    assert_int_equal(json_array_size(dets), 3);
    /* most severe first */
    assert_string_equal(json_string_value(json_object_get(json_array_get(dets, 0), "rule_id")),
                        "crit.one");
    d = find_by(dets, "rule_id", "proc.rev");
    assert_non_null(d);
    /* only the well-formed refs survive: processes:1 and ghost:3 */
    ev = json_object_get(d, "evidence");
    assert_int_equal(json_array_size(ev), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(ev, 0), "anchor")),
                        "ev-processes-1");
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(json_object_get(d, "attack"), 0), "url")),
        "https://attack.mitre.org/techniques/T1059/004/");
    /* an invalid technique gets no link */
    d = find_by(dets, "rule_id", "low.one");
    assert_string_equal(json_string_value(json_object_get(d, "severity")), "low");
    assert_null(json_object_get(json_array_get(json_object_get(d, "attack"), 0), "url"));
    assert_non_null(json_object_get(json_array_get(json_object_get(d, "attack"), 1), "url"));
    /* evidence rows: the real one with its columns, the missing ones marked */
    rows = json_object_get(m, "evidence_rows");
    d = find_by(rows, "anchor", "ev-processes-1");
    assert_non_null(d);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(d, "columns"), "cmdline")),
        "<script>alert(1)</script>");
    assert_non_null(json_object_get(find_by(rows, "anchor", "ev-ghost-3"), "missing"));
    assert_non_null(json_object_get(find_by(rows, "anchor", "ev-processes-99"), "missing"));
    /* timeline: 30 counted, 5 listed, the event behind a detection among them */
    tl = json_object_get(m, "timeline");
    assert_int_equal(json_integer_value(json_object_get(tl, "total")), 30);
    assert_int_equal(json_array_size(json_object_get(tl, "events")), 5);
    assert_non_null(find_by(json_object_get(tl, "events"), "anchor", "ev-processes-1"));
    {
        json_t *b, *v;
        size_t i, k;
        json_int_t sum = 0;
        json_array_foreach(json_object_get(json_object_get(tl, "chart"), "buckets"), i, b)
            json_array_foreach(b, k, v) sum += json_integer_value(v);
        assert_int_equal(sum, 30);
    }
    /* summary */
    d = json_object_get(m, "summary");
    assert_string_equal(json_string_value(json_object_get(d, "severity")), "critical");
    assert_non_null(strstr(json_string_value(json_object_get(d, "headline")), "i-0abc"));
    assert_int_equal(json_array_size(json_object_get(json_object_get(m, "case"), "attacker_ips")),
                     1);
    json_decref(m);
    cf_case_free(c);
}

static void test_report_chart_uses_case_window(void **state)
{
    cf_case *c = fixture(*state);
    json_t *m = NULL, *chart, *b, *v;
    size_t i, k;
    json_int_t sum = 0;
    /* events at 10:00 .. 10:29; the window keeps 10:10 .. 10:19 */
    assert_int_equal(cf_case_info_set(c, "window_start", "2026-11-27T10:10:00Z"), CF_OK);
    assert_int_equal(cf_case_info_set(c, "window_end", "2026-11-27T10:19:30Z"), CF_OK);
    assert_int_equal(cf_report_build(c, NULL, &m), CF_OK);
    chart = json_object_get(json_object_get(m, "timeline"), "chart");
    assert_string_equal(json_string_value(json_object_get(chart, "start")),
                        "2026-11-27T10:10:00.000000Z");
    assert_int_equal(json_integer_value(json_object_get(chart, "earlier")), 10);
    assert_int_equal(json_integer_value(json_object_get(chart, "later")), 10);
    json_array_foreach(json_object_get(chart, "buckets"), i, b) json_array_foreach(b, k, v) sum +=
        json_integer_value(v);
    assert_int_equal(sum, 10);
    /* the list is not cut by the window */
    assert_int_equal(json_array_size(json_object_get(json_object_get(m, "timeline"), "events")),
                     30);
    json_decref(m);
    cf_case_free(c);
}

static void test_report_renders_escaped(void **state)
{
    cf_case *c = fixture(*state);
    json_t *m = NULL;
    cf_buf h = CF_BUF_INIT(1 << 24), md = CF_BUF_INIT(1 << 24), js = CF_BUF_INIT(1 << 24);
    json_t *back;
    assert_int_equal(cf_report_build(c, NULL, &m), CF_OK);
    assert_int_equal(cf_report_render_html(m, 0, &h), CF_OK);
    assert_int_equal(cf_report_render_md(m, 0, &md), CF_OK);
    assert_int_equal(cf_report_render_json(m, &js), CF_OK);
    /* HTML: no script element at all, the planted one shown as text, links resolve */
    assert_null(strstr(cf_buf_cstr(&h), "<script"));
    assert_non_null(strstr(cf_buf_cstr(&h), "&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_non_null(strstr(cf_buf_cstr(&h), "Reverse shell &lt;b&gt;"));
    assert_non_null(strstr(cf_buf_cstr(&h), "href=\"#ev-processes-1\""));
    assert_non_null(strstr(cf_buf_cstr(&h), "id=\"ev-processes-1\""));
    assert_non_null(strstr(cf_buf_cstr(&h), "Content-Security-Policy"));
    assert_non_null(strstr(cf_buf_cstr(&h), "<svg class=\"chart\""));
    /* Markdown: the row value inside a code span, the title escaped */
    assert_non_null(strstr(cf_buf_cstr(&md), "`<script>alert(1)</script>`"));
    assert_non_null(strstr(cf_buf_cstr(&md), "Reverse shell &lt;b>"));
    /* JSON: parses back, same detections */
    back = json_loads(cf_buf_cstr(&js), 0, NULL);
    assert_non_null(back);
    assert_int_equal(json_array_size(json_object_get(back, "detections")), 3);
    assert_null(strstr(cf_buf_cstr(&js), "</script>"));
    json_decref(back);
    json_decref(m);
    cf_buf_release(&h);
    cf_buf_release(&md);
    cf_buf_release(&js);
    cf_case_free(c);
}

static void test_report_degrades_on_empty_case(void **state)
{
    cf_case *c = NULL;
    json_t *m = NULL;
    cf_buf h = CF_BUF_INIT(1 << 24);
    char path[4096];
    assert_int_equal(cf_case_open(&c, *state), CF_OK);
    assert_int_equal(cf_report_build(c, NULL, &m), CF_OK);
    assert_int_equal(json_array_size(json_object_get(m, "detections")), 0);
    assert_int_equal(json_array_size(json_object_get(m, "story")), 0);
    assert_int_equal(cf_report_render_html(m, 0, &h), CF_OK);
    assert_non_null(strstr(cf_buf_cstr(&h), "No detection rule matched."));
    snprintf(path, sizeof(path), "%s/out", (char *)*state);
    assert_int_equal(cf_report_write(c, path, CF_REPORT_ALL, NULL), CF_OK);
    snprintf(path, sizeof(path), "%s/out/report.md", (char *)*state);
    {
        cf_buf f = CF_BUF_INIT(1 << 20);
        assert_int_equal(cf_fs_read(path, &f), CF_OK);
        assert_non_null(strstr(cf_buf_cstr(&f), "No detection rule matched."));
        cf_buf_release(&f);
    }
    json_decref(m);
    cf_buf_release(&h);
    cf_case_free(c);
}

static void test_report_json_lossy_utf8(void **state)
{
    cf_case *c = NULL;
    json_t *m = NULL, *back;
    cf_buf js = CF_BUF_INIT(1 << 24);
    sqlite3_stmt *st = NULL;
    assert_int_equal(cf_case_open(&c, *state), CF_OK);
    assert_int_equal(sqlite3_prepare_v2(cf_case_db(c),
                                        "INSERT INTO timeline(time, source, summary) VALUES("
                                        "'2026-11-27T10:00:00Z', 'x', ?)",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, "bad\xff\xfe utf8 \xed\xa0\x80", -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    assert_int_equal(cf_report_build(c, NULL, &m), CF_OK);
    assert_int_equal(cf_report_render_json(m, &js), CF_OK);
    back = json_loads(cf_buf_cstr(&js), 0, NULL); /* jansson rejects invalid UTF-8 */
    assert_non_null(back);
    assert_string_equal(
        json_string_value(json_object_get(
            json_array_get(json_object_get(json_object_get(back, "timeline"), "events"), 0),
            "summary")),
        "bad\xEF\xBF\xBD\xEF\xBF\xBD utf8 \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    json_decref(back);
    json_decref(m);
    cf_buf_release(&js);
    cf_case_free(c);
}

static void test_report_extreme_times(void **state)
{
    cf_case *c = NULL;
    json_t *m = NULL;
    cf_buf h = CF_BUF_INIT(1 << 24);
    assert_int_equal(cf_case_open(&c, *state), CF_OK);
    assert_int_equal(
        cf_case_exec(c, "INSERT INTO timeline(time, source, summary) VALUES"
                        "('9999-12-31T23:59:59Z', 'a', 'far future'),"
                        "('0001-01-01T00:00:00Z', 'a', 'far past'),"
                        "('1969-12-31T23:59:59Z', 'a', 'before the epoch'),"
                        "('2026-11-27T10:00:00Z', 'b', 'now'), ('not a time', 'c', 'x');"
                        "INSERT INTO detections(rule_id, title, severity, time, entity) VALUES"
                        "('r', 't', 'high', '9999-12-31T23:59:59Z', '{}');"),
        CF_OK);
    assert_int_equal(cf_report_build(c, NULL, &m), CF_OK);
    /* every event is listed; only the one the chart can place is charted */
    assert_int_equal(json_array_size(json_object_get(json_object_get(m, "timeline"), "events")), 5);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_object_get(m, "timeline"), "chart"), "start")),
                        "2026-11-27T10:00:00.000000Z");
    assert_int_equal(cf_report_render_html(m, 0, &h), CF_OK);
    json_decref(m);
    cf_buf_release(&h);
    cf_case_free(c);
}

static void test_report_parse_formats(void **state)
{
    unsigned f;
    (void)state;
    assert_int_equal(cf_report_parse_formats("html,json,md", &f), CF_OK);
    assert_int_equal(f, CF_REPORT_ALL);
    assert_int_equal(cf_report_parse_formats("md", &f), CF_OK);
    assert_int_equal(f, CF_REPORT_MD);
    assert_int_equal(cf_report_parse_formats("html,pdf", &f), CF_EINVAL);
    assert_int_equal(cf_report_parse_formats("", &f), CF_EINVAL);
}

/* ---- MIME ---- */

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decodes quoted-printable (CRLF hard breaks become \n). */
static char *qp_decode(const char *s)
{
    cf_buf b = CF_BUF_INIT(1 << 22);
    for (size_t i = 0; s[i];) {
        if (s[i] == '=' && s[i + 1] == '\r' && s[i + 2] == '\n') {
            i += 3;
        } else if (s[i] == '=') {
            assert_true(hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0);
            cf_buf_addch(&b, (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2])));
            i += 3;
        } else if (s[i] == '\r' && s[i + 1] == '\n') {
            cf_buf_addch(&b, '\n');
            i += 2;
        } else {
            cf_buf_addch(&b, s[i++]);
        }
    }
    return cf_buf_detach(&b, NULL);
}

/* Every line ends with CRLF and has at most max characters. */
static void assert_lines(const char *s, size_t max)
{
    size_t col = 0;
    for (size_t i = 0; s[i]; i++) {
        if (s[i] == '\n') {
            assert_true(i > 0 && s[i - 1] == '\r');
            col = 0;
            continue;
        }
        if (s[i] == '\r') {
            assert_int_equal(s[i + 1], '\n');
            continue;
        }
        col++;
        if (col > max)
            fail_msg("line longer than %zu at offset %zu", max, i);
    }
}

static void test_mime_qp_roundtrip(void **state)
{
    static const char *const inputs[] = {
        "plain text\n", "trailing space \nand tab\t\nend",
        "=equals= and \xC3\xA9 and \xE2\x80\xAE and \x01 control", ".leading dot\n.again",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa==============================================\n"
        "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
        "\xff\xff\xff\xff\xff\xff\xff\xff                                                 \n"};
    (void)state;
    for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        cf_buf b = CF_BUF_INIT(1 << 20);
        char *dec, *want = strdup(inputs[i]);
        assert_int_equal(cf_mime_qp_encode(&b, inputs[i], strlen(inputs[i])), CF_OK);
        assert_lines(cf_buf_cstr(&b), 76);
        /* no line ends in a space or tab */
        assert_null(strstr(cf_buf_cstr(&b), " \r\n"));
        assert_null(strstr(cf_buf_cstr(&b), "\t\r\n"));
        assert_null(strstr(cf_buf_cstr(&b), "\n."));
        dec = qp_decode(cf_buf_cstr(&b));
        /* the encoder always ends the body with a line break */
        if (want[0] && want[strlen(want) - 1] != '\n') {
            char *w2 = malloc(strlen(want) + 2);
            snprintf(w2, strlen(want) + 2, "%s\n", want);
            free(want);
            want = w2;
        }
        assert_string_equal(dec, want);
        free(dec);
        free(want);
        cf_buf_release(&b);
    }
}

static void test_mime_header_encoding(void **state)
{
    cf_buf b = CF_BUF_INIT(1 << 16);
    (void)state;
    assert_int_equal(cf_mime_header_encode(&b, "short ascii", 9), CF_OK);
    assert_string_equal(cf_buf_cstr(&b), "short ascii");
    cf_buf_reset(&b);
    /* CR/LF can never start a new header line */
    assert_int_equal(cf_mime_header_encode(&b, "x\r\nBcc: victim@example.com", 9), CF_OK);
    assert_null(strstr(cf_buf_cstr(&b), "\r\nBcc"));
    assert_non_null(strstr(cf_buf_cstr(&b), "=?UTF-8?B?"));
    cf_buf_reset(&b);
    assert_int_equal(cf_mime_header_encode(&b,
                                           "[casefile] HIGH: Überwachung — ünïcödé "
                                           "subject that is long enough to need folding "
                                           "across several encoded words, really long",
                                           9),
                     CF_OK);
    {
        /* "Subject: " + value: every physical line within 78 characters */
        cf_buf full = CF_BUF_INIT(1 << 16);
        cf_buf_addstr(&full, "Subject: ");
        cf_buf_addstr(&full, cf_buf_cstr(&b));
        cf_buf_addstr(&full, "\r\n");
        assert_lines(cf_buf_cstr(&full), 78);
        cf_buf_release(&full);
    }
    assert_non_null(strstr(cf_buf_cstr(&b), "\r\n =?UTF-8?B?"));
    cf_buf_reset(&b);
    /* long plain ASCII folds at spaces */
    assert_int_equal(
        cf_mime_header_encode(&b,
                              "[casefile] HIGH: Backdoor:EC2/C&CActivity.B on i-0b2c3d4e5f6a7b8c9: "
                              "8 detections, critical severity (case cf-20261127-7f3a)",
                              9),
        CF_OK);
    assert_non_null(strstr(cf_buf_cstr(&b), "\r\n "));
    assert_null(strstr(cf_buf_cstr(&b), "=?"));
    cf_buf_release(&b);
}

static void test_mime_build_structure(void **state)
{
    const char *to[] = {"soc@example.com", "oncall@example.com"};
    cf_mail m;
    cf_buf b = CF_BUF_INIT(1 << 22);
    const char *s;
    (void)state;
    memset(&m, 0, sizeof(m));
    m.from = "casefile <ir@example.com>";
    m.to = to;
    m.n_to = 2;
    m.subject = "Report \xE2\x80\x94 case 1";
    m.text = "# Title\n\nbody with a very long line that goes on and on and on and on and on and "
             "on and on and on\n";
    m.html = "<p>html</p>";
    m.attach_name = "report.html";
    m.attach_type = "text/html; charset=utf-8";
    m.attach_data = "<html>x</html>";
    m.attach_len = 14;
    m.date_ns = 1795000000LL * 1000000000LL;
    assert_int_equal(cf_mime_build(&m, &b), CF_OK);
    s = cf_buf_cstr(&b);
    assert_lines(s, 78);
    assert_non_null(strstr(s, "MIME-Version: 1.0\r\n"));
    assert_non_null(strstr(s, "Content-Type: multipart/mixed;"));
    assert_non_null(strstr(s, "Content-Type: multipart/alternative;"));
    assert_non_null(strstr(s, "Content-Type: text/plain; charset=utf-8"));
    assert_non_null(strstr(s, "Content-Type: text/html; charset=utf-8"));
    assert_non_null(strstr(s, "filename=\"report.html\""));
    assert_non_null(strstr(s, "PGh0bWw+eDwvaHRtbD4=")); /* base64 of the attachment */
    assert_non_null(strstr(s, "To: soc@example.com,\r\n oncall@example.com\r\n"));
    assert_non_null(strstr(s, "Date: "));
    cf_buf_release(&b);
}

static void test_mime_build_rejects_header_injection(void **state)
{
    const char *bad_to[] = {"a@example.com\r\nBcc: x@example.com"};
    const char *to[] = {"a@example.com"};
    cf_mail m;
    cf_buf b = CF_BUF_INIT(1 << 20);
    (void)state;
    memset(&m, 0, sizeof(m));
    m.from = "ir@example.com";
    m.to = bad_to;
    m.n_to = 1;
    m.text = "x";
    assert_int_equal(cf_mime_build(&m, &b), CF_EINVAL);
    m.to = to;
    m.from = "ir@example.com\nX: y";
    assert_int_equal(cf_mime_build(&m, &b), CF_EINVAL);
    m.from = "ir@example.com";
    m.attach_name = "../../etc/passwd";
    m.attach_data = "x";
    m.attach_len = 1;
    assert_int_equal(cf_mime_build(&m, &b), CF_EINVAL);
    m.n_to = 0;
    m.attach_name = NULL;
    assert_int_equal(cf_mime_build(&m, &b), CF_EINVAL);
    cf_buf_release(&b);
}

static void test_report_alert_from_case(void **state)
{
    cf_case *c = fixture(*state);
    cf_alert_info a;
    cf_buf subj = CF_BUF_INIT(4096), text = CF_BUF_INIT(1 << 20), html = CF_BUF_INIT(1 << 20);
    cf_buf raw = CF_BUF_INIT(1 << 22);
    const char *to[] = {"soc@example.com"};
    assert_int_equal(cf_alert_info_from_case(c, &a), CF_OK);
    assert_string_equal(a.instance_id, "i-0abc");
    assert_string_equal(a.availability_zone, "us-east-1b");
    assert_int_equal(a.n_attacker_ips, 1);
    assert_string_equal(a.attacker_ips[0], "203.0.113.7");
    assert_int_equal(cf_report_alert(&a, &subj, &text, &html), CF_OK);
    assert_non_null(strstr(cf_buf_cstr(&subj), "HIGH"));
    assert_non_null(strstr(cf_buf_cstr(&text), "`203.0.113.7`"));
    /* the finding type's '&' is escaped in HTML */
    assert_non_null(strstr(cf_buf_cstr(&html), "C&amp;CActivity"));
    assert_null(strstr(cf_buf_cstr(&html), "<script"));
    assert_int_equal(cf_report_alert_email(&a, "ir@example.com", to, 1, &raw), CF_OK);
    assert_lines(cf_buf_cstr(&raw), 78);
    cf_alert_info_release(&a);
    cf_alert_info_release(NULL);
    cf_buf_release(&subj);
    cf_buf_release(&text);
    cf_buf_release(&html);
    cf_buf_release(&raw);
    cf_case_free(c);
}

static void test_report_email_attach_limit(void **state)
{
    cf_case *c = fixture(*state);
    const char *to[] = {"soc@example.com"};
    cf_report_email_opts o = {"ir@example.com",
                              to,
                              1,
                              "https://bucket.s3.amazonaws.com/r.html?X-Amz-Signature=ab",
                              0,
                              NULL};
    cf_buf b = CF_BUF_INIT(1 << 24);
    assert_int_equal(cf_report_email(c, &o, &b), CF_OK);
    assert_non_null(strstr(cf_buf_cstr(&b), "filename=\"report.html\""));
    cf_buf_reset(&b);
    o.attach_limit = 100;
    assert_int_equal(cf_report_email(c, &o, &b), CF_OK);
    assert_null(strstr(cf_buf_cstr(&b), "filename=\"report.html\""));
    cf_buf_reset(&b);
    o.report_url = "javascript:alert(1)";
    assert_int_equal(cf_report_email(c, &o, &b), CF_EINVAL);
    cf_buf_release(&b);
    cf_case_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_esc_html_hostile),
        cmocka_unit_test(test_report_esc_md_hostile),
        cmocka_unit_test(test_report_md_code_fences),
        cmocka_unit_test(test_report_truncate_marks_and_keeps_utf8),
        cmocka_unit_test_setup_teardown(test_report_model_links_and_bounds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_chart_uses_case_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_renders_escaped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_degrades_on_empty_case, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_json_lossy_utf8, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_extreme_times, setup, teardown),
        cmocka_unit_test(test_report_parse_formats),
        cmocka_unit_test(test_mime_qp_roundtrip),
        cmocka_unit_test(test_mime_header_encoding),
        cmocka_unit_test(test_mime_build_structure),
        cmocka_unit_test(test_mime_build_rejects_header_injection),
        cmocka_unit_test_setup_teardown(test_report_alert_from_case, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_email_attach_limit, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
