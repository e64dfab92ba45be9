/* Loader tests: bundles (verification, idempotence, tar, unsafe paths), each parser, and hostile
 * input (invalid UTF-8, enormous lines, NUL bytes, deep JSON, gzip bomb). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "analyze/cf_analyze.h"
#include "common/cf_error.h"
#include "common/cf_fs.h"
#include "common/cf_hash.h"

#include <jansson.h>

typedef struct fx {
    char dir[64];    /* temp root */
    char bundle[96]; /* dir/bundle */
    cf_case *c;
    int warnings;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    char casedir[128];
    snprintf(f->dir, sizeof(f->dir), "/tmp/cf-test-load-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->bundle, sizeof(f->bundle), "%s/bundle", f->dir);
    snprintf(casedir, sizeof(casedir), "%s/case", f->dir);
    cf_fs_mkdirs(f->bundle, 0755);
    if (cf_case_open(&f->c, casedir) || cf_analyze_prepare(f->c))
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    cf_case_free(f->c);
    cf_fs_remove_tree(f->dir);
    free(f);
    return 0;
}

static void on_warn(void *ctx, const char *msg)
{
    fx *f = ctx;
    (void)msg;
    f->warnings++;
}

static void put(const char *dir, const char *rel, const void *data, size_t len)
{
    char p[512], *slash;
    FILE *fp;
    snprintf(p, sizeof(p), "%s/%s", dir, rel);
    slash = strrchr(p, '/');
    *slash = '\0';
    cf_fs_mkdirs(p, 0755);
    *slash = '/';
    fp = fopen(p, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    fclose(fp);
}

static void puts_file(const char *dir, const char *rel, const char *text)
{
    put(dir, rel, text, strlen(text));
}

/* Writes manifest.json listing the given files with their real hashes. */
static void manifest(const char *dir, const char *const *rels, size_t n)
{
    json_t *m =
        json_pack("{ss ss ss s{ss} s[]}", "schema", "casefile.bundle/1", "kind", "disk",
                  "started_at", "2026-11-27T20:00:00Z", "host", "instance_id", "i-0abc", "files");
    char p[512];
    for (size_t i = 0; i < n; i++) {
        char hex[CF_SHA256_HEX_LEN];
        uint64_t bytes = 0;
        json_t *e;
        snprintf(p, sizeof(p), "%s/%s", dir, rels[i]);
        assert_int_equal(cf_sha256_file(p, hex, &bytes), CF_OK);
        e = json_pack("{ss ss sI}", "path", rels[i], "sha256", hex, "bytes", (json_int_t)bytes);
        if (!strncmp(rels[i], "artifacts/", 10)) {
            char src[512];
            snprintf(src, sizeof(src), "/%s", rels[i] + 10);
            json_object_set_new(e, "source", json_string(src));
        }
        json_array_append_new(json_object_get(m, "files"), e);
    }
    snprintf(p, sizeof(p), "%s/manifest.json", dir);
    assert_int_equal(json_dump_file(m, p, 0), 0);
    json_decref(m);
}

static int64_t count(cf_case *c, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int64_t n = -1;
    assert_int_equal(sqlite3_prepare_v2(cf_case_db(c), sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static char *text(cf_case *c, const char *sql)
{
    sqlite3_stmt *st = NULL;
    char *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(cf_case_db(c), sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        s = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return s;
}

static const char procs[] =
    "{\"pid\": 1, \"name\": \"systemd\", \"cmdline\": [\"/sbin/init\"], \"exe_deleted\": false,"
    " \"start_time\": \"2026-11-20T00:00:01.5Z\"}\n"
    "{\"pid\": 42, \"name\": \"bash\", \"new_key\": {\"a\": 1}, \"hidden\": true}\n";

static void test_analyze_load_bundle_idempotent(void **state)
{
    fx *f = *state;
    const char *rels[] = {"processes.jsonl", "artifacts/var/log/auth.log"};
    cf_analyze_stats st;
    cf_analyze_opts o = CF_ANALYZE_OPTS_INIT;
    char *v;
    memset(&st, 0, sizeof(st));
    puts_file(f->bundle, rels[0], procs);
    puts_file(f->bundle, rels[1],
              "Nov 27 20:10:00 web1 sshd[12]: Accepted publickey for alice from 10.0.0.2 port 5 "
              "ssh2\n");
    manifest(f->bundle, rels, 2);
    assert_int_equal(cf_analyze_load_path(f->c, f->bundle, &o, &st), CF_OK);
    assert_int_equal(st.files, 2);
    assert_int_equal(count(f->c, "SELECT count(*) FROM processes"), 2);
    assert_int_equal(count(f->c, "SELECT count(*) FROM evidence WHERE verified = 1"), 2);
    /* types kept, booleans 0/1, objects as JSON text, times normalised, new keys added */
    assert_int_equal(count(f->c, "SELECT hidden FROM processes WHERE pid = 42"), 1);
    assert_int_equal(count(f->c, "SELECT typeof(pid) = 'integer' FROM processes LIMIT 1"), 1);
    v = text(f->c, "SELECT new_key FROM processes WHERE pid = 42");
    assert_string_equal(v, "{\"a\":1}");
    free(v);
    v = text(f->c, "SELECT start_time FROM processes WHERE pid = 1");
    assert_string_equal(v, "2026-11-20T00:00:01.500000Z");
    free(v);
    v = text(f->c, "SELECT user || ' ' || src_ip || ' ' || event FROM auth_events");
    assert_string_equal(v, "alice 10.0.0.2 ssh_accepted");
    free(v);
    /* the second load changes nothing */
    assert_int_equal(cf_analyze_load_path(f->c, f->bundle, &o, &st), CF_OK);
    assert_int_equal(st.skipped, 1);
    assert_int_equal(count(f->c, "SELECT count(*) FROM processes"), 2);
    assert_int_equal(count(f->c, "SELECT count(*) FROM bundles"), 1);
}

static void test_analyze_load_hash_mismatch(void **state)
{
    fx *f = *state;
    const char *rels[] = {"processes.jsonl"};
    cf_analyze_stats st;
    cf_analyze_opts o = CF_ANALYZE_OPTS_INIT;
    char *v;
    memset(&st, 0, sizeof(st));
    o.warn = on_warn;
    o.warn_ctx = f;
    puts_file(f->bundle, rels[0], procs);
    manifest(f->bundle, rels, 1);
    puts_file(f->bundle, rels[0], "{\"pid\": 666, \"name\": \"planted\"}\n");
    assert_int_equal(cf_analyze_load_path(f->c, f->bundle, &o, &st), CF_OK);
    assert_int_equal(st.integrity_failures, 1);
    assert_int_equal(f->warnings, 1);
    assert_int_equal(count(f->c, "SELECT count(*) FROM processes"), 0);
    assert_int_equal(count(f->c, "SELECT count(*) FROM evidence WHERE verified = 0"), 1);
    assert_int_equal(cf_case_info_get(f->c, "integrity_failures", &v), CF_OK);
    assert_string_equal(v, "1");
    free(v);
}

static void test_analyze_load_unsafe_manifest_path(void **state)
{
    fx *f = *state;
    cf_analyze_stats st;
    char p[512];
    const char *m = "{\"schema\": \"casefile.bundle/1\", \"kind\": \"disk\", \"files\": ["
                    "{\"path\": \"../outside.jsonl\", \"sha256\": \"00\"},"
                    "{\"path\": \"/etc/passwd\", \"sha256\": \"00\"}]}";
    memset(&st, 0, sizeof(st));
    snprintf(p, sizeof(p), "%s/outside.jsonl", f->dir);
    puts_file(f->dir, "outside.jsonl", "{\"x\": 1}\n");
    puts_file(f->bundle, "manifest.json", m);
    assert_int_equal(cf_analyze_load_bundle_dir(f->c, f->bundle, NULL, &st), CF_OK);
    assert_int_equal(st.skipped, 2);
    assert_int_equal(count(f->c, "SELECT count(*) FROM evidence"), 0);
    assert_int_equal(count(f->c, "SELECT count(*) FROM sqlite_master WHERE name = 'outside'"), 0);
    /* not a manifest at all */
    puts_file(f->bundle, "manifest.json", "{\"schema\": \"other\"}");
    assert_int_equal(cf_analyze_load_bundle_dir(f->c, f->bundle, NULL, &st), CF_EPARSE);
}

/* A ustar header for one regular file. */
static void tar_member(FILE *fp, const char *name, const char *data, size_t len, char type)
{
    unsigned char h[512];
    unsigned sum = 0;
    static const char zeros[512];
    memset(h, 0, sizeof(h));
    snprintf((char *)h, 100, "%s", name);
    snprintf((char *)h + 100, 8, "%07o", 0644);
    snprintf((char *)h + 108, 8, "%07o", 0);
    snprintf((char *)h + 116, 8, "%07o", 0);
    snprintf((char *)h + 124, 12, "%011zo", len);
    snprintf((char *)h + 136, 12, "%011o", 0);
    h[156] = (unsigned char)type;
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    memset(h + 148, ' ', 8);
    for (int i = 0; i < 512; i++)
        sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
    fwrite(h, 1, 512, fp);
    fwrite(data, 1, len, fp);
    fwrite(zeros, 1, (512 - len % 512) % 512, fp);
}

static void test_analyze_load_bundle_tar(void **state)
{
    fx *f = *state;
    const char *rels[] = {"processes.jsonl"};
    cf_analyze_stats st;
    char tarp[256], mp[256];
    cf_buf m = CF_BUF_INIT(1 << 20);
    FILE *fp;
    static const char zeros[1024];
    memset(&st, 0, sizeof(st));
    puts_file(f->bundle, rels[0], procs);
    manifest(f->bundle, rels, 1);
    snprintf(mp, sizeof(mp), "%s/manifest.json", f->bundle);
    assert_int_equal(cf_fs_read(mp, &m), CF_OK);
    snprintf(tarp, sizeof(tarp), "%s/bundle.tar", f->dir);
    fp = fopen(tarp, "wb");
    tar_member(fp, "./processes.jsonl", procs, strlen(procs), '0');
    tar_member(fp, "link", "", 0, '2'); /* symlinks are not extracted */
    tar_member(fp, "manifest.json", m.data, m.len, '0');
    fwrite(zeros, 1, sizeof(zeros), fp);
    fclose(fp);
    assert_int_equal(cf_analyze_load_path(f->c, tarp, NULL, &st), CF_OK);
    assert_int_equal(count(f->c, "SELECT count(*) FROM processes"), 2);
    assert_int_equal(cf_analyze_load_path(f->c, tarp, NULL, &st), CF_OK);
    assert_int_equal(count(f->c, "SELECT count(*) FROM processes"), 2);
    assert_int_equal(st.skipped, 1);
    /* a member escaping the bundle is refused */
    fp = fopen(tarp, "wb");
    tar_member(fp, "../../evil.jsonl", procs, strlen(procs), '0');
    fwrite(zeros, 1, sizeof(zeros), fp);
    fclose(fp);
    assert_int_equal(cf_analyze_load_path(f->c, tarp, NULL, &st), CF_EINVAL);
    snprintf(mp, sizeof(mp), "%s/evil.jsonl", f->dir);
    assert_int_not_equal(access(mp, F_OK), 0);
    cf_buf_release(&m);
}

static void test_analyze_load_web_hostile(void **state)
{
    fx *f = *state;
    cf_analyze_stats st;
    cf_buf b = CF_BUF_INIT(1 << 22);
    char p[256], *v;
    memset(&st, 0, sizeof(st));
    cf_buf_addstr(&b, "203.0.113.7 - - [27/Nov/2026:20:01:02 +0000] \"GET /a%253Bid HTTP/1.1\" "
                      "200 5 \"-\" \"UA\" \"198.51.100.1, 203.0.113.9\"\n");
    /* invalid UTF-8 and a NUL byte inside the URI */
    {
        static const char bad[] = "10.0.0.1 - - [27/Nov/2026:20:01:03 +0000] \"GET /\xff\xfe\x00x"
                                  " HTTP/1.1\" 404 0 \"-\" \"\xc3\x28\"\n";
        cf_buf_add(&b, bad, sizeof(bad) - 1);
    }
    /* a 200 KB line: truncated, still one row or one bad line, never a crash */
    cf_buf_addstr(&b, "10.0.0.2 - - [27/Nov/2026:20:01:04 +0000] \"GET /");
    for (int i = 0; i < 200000; i++)
        cf_buf_addch(&b, 'A');
    cf_buf_addstr(&b, " HTTP/1.1\" 200 1 \"-\" \"-\"\n");
    cf_buf_addstr(&b, "\x16\x03\x01 garbage that is not a log line\n");
    cf_buf_addstr(&b, "10.0.0.3 - - [99/Zzz/2026:99:01:04 +0000] \"GET / HTTP/1.1\" 200 1\n");
    cf_buf_addstr(&b, "10.0.0.4 - - [27/Nov/2026:20:01:05 +0100] \"POST /x HTTP/1.1\" 200 1 \"-\" "
                      "\"-\" \"-\" \"cmd=%3Bwget\\x20http\"\n");
    snprintf(p, sizeof(p), "%s/access.log", f->dir);
    put(f->dir, "access.log", b.data, b.len);
    assert_int_equal(cf_analyze_load_file(f->c, p, CF_FILE_AUTO, NULL, &st), CF_OK);
    assert_int_equal(st.truncated, 1);
    assert_int_equal(count(f->c, "SELECT count(*) FROM web_requests"), 3);
    assert_true(st.bad_lines >= 3);
    v = text(f->c, "SELECT client_ip || '|' || peer_ip || '|' || uri_decoded FROM web_requests"
                   " WHERE line = 1");
    assert_string_equal(v, "203.0.113.9|203.0.113.7|/a;id");
    free(v);
    /* stored text is valid UTF-8 (json() would fail otherwise) */
    v = text(f->c, "SELECT json_quote(uri) FROM web_requests WHERE line = 2");
    assert_non_null(strstr(v, "\xef\xbf\xbd"));
    free(v);
    v = text(f->c, "SELECT time || '|' || body_decoded FROM web_requests WHERE method = 'POST'");
    assert_string_equal(v, "2026-11-27T19:01:05.000000Z|cmd=;wget http");
    free(v);
    cf_buf_release(&b);
}

/* An access log past the bulk threshold (16 MiB) loads in rollback-journal mode and leaves the
 * case in WAL mode; with a second connection open the switch is refused and the load runs in WAL
 * mode. Quoted fields with escaped quotes keep their bounds. Rows come through the cf_web_log
 * virtual table, which is gone afterwards. */
static void big_access_log(const char *path, int lines)
{
    FILE *fp = fopen(path, "w");
    char uri[2048];
    assert_non_null(fp);
    memset(uri, 'a', sizeof(uri) - 1);
    uri[sizeof(uri) - 1] = '\0';
    fprintf(fp, "10.0.0.9 - - [27/Nov/2026:20:00:00 +0000] \"GET /q\\\"x\\\\\" 200 1 \"-\" "
                "\"UA \\\"quoted\\\"\"\n");
    for (int i = 0; i < lines; i++)
        fprintf(fp,
                "10.0.%d.%d - - [27/Nov/2026:20:%02d:%02d +0000] \"GET /p%d?%s HTTP/1.1\" 200 %d"
                " \"-\" \"Mozilla/5.0\"\n",
                i % 200, i % 250, (i / 60) % 60, i % 60, i, uri, i);
    assert_int_equal(fclose(fp), 0);
}

static void test_analyze_load_web_bulk(void **state)
{
    fx *f = *state;
    cf_analyze_stats st;
    char p1[256], p2[256], dbp[256], *v;
    sqlite3 *other = NULL;
    const int lines = 8400; /* about 17.5 MB */
    memset(&st, 0, sizeof(st));
    snprintf(p1, sizeof(p1), "%s/access.log", f->dir);
    snprintf(p2, sizeof(p2), "%s/access.log.1", f->dir);
    snprintf(dbp, sizeof(dbp), "%s/case/case.db", f->dir);
    big_access_log(p1, lines);
    big_access_log(p2, lines + 1);
    /* another connection on the case: no switch, WAL all along */
    assert_int_equal(sqlite3_open_v2(dbp, &other, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(other, "SELECT count(*) FROM bundles", NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(cf_analyze_load_file(f->c, p1, CF_FILE_AUTO, NULL, &st), CF_OK);
    sqlite3_close(other);
    v = text(f->c, "PRAGMA journal_mode");
    assert_string_equal(v, "wal");
    free(v);
    assert_int_equal(count(f->c, "SELECT count(*) FROM web_requests"), lines + 1);
    /* alone: bulk mode, then back to WAL */
    assert_int_equal(cf_analyze_load_file(f->c, p2, CF_FILE_AUTO, NULL, &st), CF_OK);
    v = text(f->c, "PRAGMA journal_mode");
    assert_string_equal(v, "wal");
    free(v);
    assert_int_equal(count(f->c, "SELECT count(*) FROM web_requests"), 2 * lines + 3);
    assert_int_equal(st.bad_lines, 0);
    v = text(f->c, "SELECT uri || '|' || status || '|' || user_agent FROM web_requests"
                   " WHERE line = 1 AND source LIKE '%.1'");
    assert_string_equal(v, "/q\\\"x\\\\|200|UA \\\"quoted\\\"");
    free(v);
    assert_int_equal(count(f->c, "SELECT sum(bytes) FROM web_requests WHERE source LIKE '%.1'"),
                     (int64_t)lines * (lines + 1) / 2 + 1);
    /* loading it again changes nothing */
    assert_int_equal(cf_analyze_load_file(f->c, p2, CF_FILE_AUTO, NULL, &st), CF_OK);
    assert_int_equal(count(f->c, "SELECT count(*) FROM web_requests"), 2 * lines + 3);
    /* the cf_web_log virtual table exists only during a load, never in the schema */
    assert_int_equal(
        count(f->c, "SELECT count(*) FROM pragma_module_list WHERE name = 'json_each'"), 1);
    assert_int_equal(
        count(f->c, "SELECT count(*) FROM pragma_module_list WHERE name = 'cf_web_log'"), 0);
    assert_int_equal(
        count(f->c, "SELECT count(*) FROM sqlite_master WHERE sql LIKE '%cf_web_log%'"), 0);
}

static void test_analyze_load_alb(void **state)
{
    fx *f = *state;
    cf_analyze_stats st;
    char p[256], *v;
    gzFile gz;
    const char *line =
        "http 2026-11-27T20:00:01.123456Z app/web-alb/50dc6c495c0c9188 203.0.113.7:44321 "
        "10.0.1.5:80 0.001 0.002 0.000 200 200 120 512 \"GET http://shop.example.com:80/"
        "ping.php?ip=1%3Bid HTTP/1.1\" \"curl/8.0\" - - arn:aws:elasticloadbalancing:us-east-1:"
        "123456789012:targetgroup/web/73e2d6bc24d8a067 "
        "\"Root=1-58337262-36d228ad5d99923122bbe354\" "
        "\"-\" \"-\" 0 2026-11-27T20:00:01.120000Z \"forward\" \"-\" \"-\" \"10.0.1.5:80\" \"200\" "
        "\"-\" \"-\"\n";
    memset(&st, 0, sizeof(st));
    snprintf(p, sizeof(p), "%s/123456789012_elasticloadbalancing_us-east-1_app.web.log.gz", f->dir);
    gz = gzopen(p, "wb");
    gzwrite(gz, line, (unsigned)strlen(line));
    gzclose(gz);
    assert_int_equal(cf_analyze_load_file(f->c, p, CF_FILE_AUTO, NULL, &st), CF_OK);
    v = text(f->c, "SELECT format || '|' || client_ip || '|' || host || '|' || uri_path || '|' ||"
                   " uri_decoded || '|' || status || '|' || time FROM web_requests");
    assert_string_equal(v, "alb|203.0.113.7|shop.example.com:80|/ping.php|/ping.php?ip=1;id|200|"
                           "2026-11-27T20:00:01.123456Z");
    free(v);
}

static void test_analyze_load_gzip_bomb(void **state)
{
    fx *f = *state;
    cf_analyze_stats st;
    char p[256];
    static char zeros[1 << 20];
    gzFile gz;
    memset(&st, 0, sizeof(st));
    memset(zeros, 'a', sizeof(zeros));
    snprintf(p, sizeof(p), "%s/bomb.log.gz", f->dir);
    gz = gzopen(p, "wb9");
    for (int i = 0; i < 100; i++) /* 100 MiB of 'a' without a newline: ~100 KiB compressed */
        gzwrite(gz, zeros, sizeof(zeros));
    gzclose(gz);
    assert_int_equal(cf_analyze_load_file(f->c, p, CF_FILE_WEB_ACCESS, NULL, &st), CF_ETOOBIG);
    assert_non_null(strstr(cf_error_last()->msg, "gzip bomb"));
    assert_int_equal(count(f->c, "SELECT count(*) FROM web_requests"), 0);
    assert_int_equal(count(f->c, "SELECT count(*) FROM bundles"), 0);
}

static void test_analyze_load_deep_json(void **state)
{
    fx *f = *state;
    cf_analyze_stats st;
    cf_buf b = CF_BUF_INIT(1 << 20);
    char p[256];
    memset(&st, 0, sizeof(st));
    cf_buf_addstr(&b, "{\"pid\": 1}\n{\"deep\": ");
    for (int i = 0; i < 5000; i++)
        cf_buf_addch(&b, '[');
    cf_buf_addstr(&b, "\n[1,2]\nnot json\n{\"pid\": 2}\n");
    snprintf(p, sizeof(p), "%s/processes.jsonl", f->dir);
    put(f->dir, "processes.jsonl", b.data, b.len);
    assert_int_equal(cf_analyze_load_file(f->c, p, CF_FILE_AUTO, NULL, &st), CF_OK);
    assert_int_equal(count(f->c, "SELECT count(*) FROM processes"), 2);
    assert_int_equal(st.bad_lines, 3);
    assert_int_equal(count(f->c, "SELECT count(*) FROM load_errors"), 3);
    /* a CloudTrail document nested too deep is refused as a whole */
    cf_buf_reset(&b);
    cf_buf_addstr(&b, "{\"Records\": [");
    for (int i = 0; i < 200; i++)
        cf_buf_addch(&b, '[');
    for (int i = 0; i < 200; i++)
        cf_buf_addch(&b, ']');
    cf_buf_addstr(&b, "]}");
    assert_int_equal(cf_analyze_load_cloudtrail(f->c, b.data, b.len, "deep", &st), CF_EPARSE);
    cf_buf_release(&b);
}

static void test_analyze_load_jsonl_columns_bounded(void **state)
{
    fx *f = *state;
    cf_analyze_stats st;
    cf_buf b = CF_BUF_INIT(1 << 20);
    char p[256];
    memset(&st, 0, sizeof(st));
    cf_buf_addch(&b, '{');
    for (int i = 0; i < 400; i++)
        cf_buf_addf(&b, "%s\"k%d\": %d", i ? ", " : "", i, i);
    cf_buf_addstr(&b, ", \"Weird Key!\": \"x\", \"bundle_id\": 99}\n");
    snprintf(p, sizeof(p), "%s/wide.jsonl", f->dir);
    put(f->dir, "wide.jsonl", b.data, b.len);
    assert_int_equal(cf_analyze_load_file(f->c, p, CF_FILE_AUTO, NULL, &st), CF_OK);
    assert_int_equal(count(f->c, "SELECT count(*) FROM pragma_table_info('wide')"),
                     CF_ANALYZE_MAX_COLUMNS + 1);
    assert_int_equal(count(f->c, "SELECT k7 FROM wide"), 7);
    assert_int_not_equal(count(f->c, "SELECT bundle_id FROM wide"), 99);
    cf_buf_release(&b);
}

static void test_analyze_load_cloudtrail_dedup(void **state)
{
    fx *f = *state;
    cf_analyze_stats st;
    char p[256], *v;
    gzFile gz;
    const char *ev = "{\"eventVersion\":\"1.08\",\"eventID\":\"e-1\",\"eventTime\":"
                     "\"2026-11-27T20:30:00Z\",\"eventSource\":\"iam.amazonaws.com\","
                     "\"eventName\":\"CreateUser\",\"sourceIPAddress\":\"203.0.113.7\","
                     "\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"arn:aws:iam::1:user/x\","
                     "\"accessKeyId\":\"AKIA1\"},\"requestParameters\":{\"userName\":\"evil\"}}";
    json_t *lookup = json_pack("{s[{ss ss}]}", "Events", "EventId", "e-1", "CloudTrailEvent", ev);
    char *ltxt = json_dumps(lookup, 0);
    char records[2048];
    memset(&st, 0, sizeof(st));
    assert_int_equal(cf_analyze_load_cloudtrail(f->c, ltxt, strlen(ltxt), "lookup", &st), CF_OK);
    snprintf(records, sizeof(records), "{\"Records\": [%s]}", ev);
    snprintf(p, sizeof(p), "%s/123_CloudTrail_us-east-1_x.json.gz", f->dir);
    gz = gzopen(p, "wb");
    gzwrite(gz, records, (unsigned)strlen(records));
    gzclose(gz);
    assert_int_equal(cf_analyze_load_file(f->c, p, CF_FILE_AUTO, NULL, &st), CF_OK);
    assert_int_equal(count(f->c, "SELECT count(*) FROM cloudtrail_events"), 1);
    v = text(f->c, "SELECT event_name || '|' || arn || '|' || access_key_id || '|' ||"
                   " json_extract(request_parameters, '$.userName') FROM cloudtrail_events");
    assert_string_equal(v, "CreateUser|arn:aws:iam::1:user/x|AKIA1|evil");
    free(v);
    free(ltxt);
    json_decref(lookup);
}

/* .json.gz files are inflated whole (libdeflate): every member is read, bytes after the last
 * member are ignored (as zlib's gzread does), a bad CRC loads nothing, a bomb is refused. */
static void test_analyze_load_cloudtrail_gzip_whole(void **state)
{
    fx *f = *state;
    cf_analyze_stats st;
    char p[256];
    static char sp[1 << 20];
    static const char part1[] = "{\"Records\": [{\"eventID\": \"m-1\", \"eventName\": \"A\"},";
    static const char part2[] = " {\"eventID\": \"m-2\", \"eventName\": \"B\"}]}";
    gzFile gz;
    FILE *fp;
    long end;
    int ch;
    memset(&st, 0, sizeof(st));
    snprintf(p, sizeof(p), "%s/1_CloudTrail_us-east-1_multi.json.gz", f->dir);
    gz = gzopen(p, "wb"); /* two members, the JSON text split across them */
    gzwrite(gz, part1, (unsigned)strlen(part1));
    gzclose(gz);
    gz = gzopen(p, "ab");
    gzwrite(gz, part2, (unsigned)strlen(part2));
    gzclose(gz);
    fp = fopen(p, "ab");
    assert_non_null(fp);
    fputs("trailing junk", fp);
    fclose(fp);
    assert_int_equal(cf_analyze_load_file(f->c, p, CF_FILE_CLOUDTRAIL, NULL, &st), CF_OK);
    assert_int_equal(count(f->c, "SELECT count(*) FROM cloudtrail_events"
                                 " WHERE event_id IN ('m-1', 'm-2')"),
                     2);

    snprintf(p, sizeof(p), "%s/1_CloudTrail_us-east-1_crc.json.gz", f->dir);
    gz = gzopen(p, "wb");
    gzwrite(gz, "{\"Records\": [{\"eventID\": \"c-1\"}]}", 33);
    gzclose(gz);
    fp = fopen(p, "r+b"); /* flip a bit of the CRC-32 in the trailer */
    assert_non_null(fp);
    fseek(fp, -8, SEEK_END);
    end = ftell(fp);
    ch = fgetc(fp);
    fseek(fp, end, SEEK_SET);
    fputc(ch ^ 1, fp);
    fclose(fp);
    assert_int_not_equal(cf_analyze_load_file(f->c, p, CF_FILE_CLOUDTRAIL, NULL, &st), CF_OK);
    assert_int_equal(count(f->c, "SELECT count(*) FROM cloudtrail_events WHERE event_id = 'c-1'"),
                     0);

    snprintf(p, sizeof(p), "%s/1_CloudTrail_us-east-1_bomb.json.gz", f->dir);
    memset(sp, ' ', sizeof(sp));
    gz = gzopen(p, "wb9");
    gzwrite(gz, "{\"Records\": [", 13);
    for (int i = 0; i < 100; i++) /* 100 MiB of spaces: ~100 KiB compressed */
        gzwrite(gz, sp, sizeof(sp));
    gzwrite(gz, "]}", 2);
    gzclose(gz);
    assert_int_equal(cf_analyze_load_file(f->c, p, CF_FILE_CLOUDTRAIL, NULL, &st), CF_ETOOBIG);
    assert_non_null(strstr(cf_error_last()->msg, "gzip bomb"));
}

/* cf_analyze_load_paths: all inputs in one transaction; an input that fails stops the load but
 * the inputs before it stay loaded, and case.db is back in WAL mode. */
static void test_analyze_load_paths_batch(void **state)
{
    fx *f = *state;
    cf_analyze_stats st;
    char a[256], b[256], missing[256], *v;
    const char *paths[3] = {a, b, missing};
    cf_file_type types[3] = {CF_FILE_AUTO, CF_FILE_CLOUDTRAIL, CF_FILE_AUTO};
    FILE *fp;
    memset(&st, 0, sizeof(st));
    snprintf(a, sizeof(a), "%s/1_CloudTrail_us-east-1_a.json", f->dir);
    snprintf(b, sizeof(b), "%s/1_CloudTrail_us-east-1_b.json", f->dir);
    snprintf(missing, sizeof(missing), "%s/missing.json", f->dir);
    fp = fopen(a, "w");
    assert_non_null(fp);
    fputs("{\"Records\": [{\"eventID\": \"p-1\", \"eventName\": \"A\"}]}", fp);
    fclose(fp);
    fp = fopen(b, "w");
    assert_non_null(fp);
    fputs("{\"Records\": [{\"eventID\": \"p-2\", \"eventName\": \"B\"}]}", fp);
    fclose(fp);
    assert_int_equal(cf_analyze_load_paths(f->c, paths, types, 3, NULL, &st), CF_ENOTFOUND);
    assert_int_equal(count(f->c, "SELECT count(*) FROM cloudtrail_events"), 2);
    assert_int_equal(count(f->c, "SELECT count(*) FROM bundles"), 2);
    v = text(f->c, "PRAGMA journal_mode");
    assert_string_equal(v, "wal");
    free(v);
    assert_int_equal(cf_analyze_load_paths(f->c, paths, types, 2, NULL, &st), CF_OK);
    assert_int_equal(st.skipped, 2);
}

static void test_analyze_load_cloudtrail_fast_path(void **state)
{
    fx *f = *state;
    cf_analyze_stats st;
    char p[256], *v;
    static const char doc[] =
        "{\"Records\": [5, {\"eventID\": \"a\", \"eventName\": \"Create\\u0055ser\", "
        "\"eventTime\": \"2026-11-27T20:30:00Z\", \"readOnly\": false, \"userIdentity\": "
        "{\"type\": \"IAMUser\", \"userName\": \"ev\\u00e9l\\\"x\", \"arn\": "
        "\"arn:aws:iam::1:user\\/x\", \"sessionContext\": {\"sessionIssuer\": {\"arn\": "
        "\"issuer\"}}}, \"requestParameters\": {\"userName\": \"evil\", \"n\": [1, 2.5e3, "
        "null, true]}, \"responseElements\": null},"
        " {\"eventID\": \"b\", \"eventName\": \"ListUsers\", \"readOnly\": true},"
        " {\"eventID\": \"c\", \"eventName\": \"ListRoles\", \"readOnly\": true, "
        "\"errorCode\": \"AccessDenied\"}], \"extra\": {}}";
    memset(&st, 0, sizeof(st));
    snprintf(p, sizeof(p), "%s/ct.json", f->dir);
    puts_file(f->dir, "ct.json", doc);
    assert_int_equal(cf_analyze_load_file(f->c, p, CF_FILE_CLOUDTRAIL, NULL, &st), CF_OK);
    assert_int_equal(count(f->c, "SELECT count(*) FROM cloudtrail_events"), 3);
    v = text(f->c, "SELECT event_name || '|' || user_name || '|' || arn || '|' || session_issuer"
                   " || '|' || read_only || '|' || json_extract(request_parameters, '$.n[1]') ||"
                   " '|' || (response_elements IS NULL) || '|' || json_valid(event)"
                   " FROM cloudtrail_events WHERE event_id = 'a'");
    assert_string_equal(v, "CreateUser|ev\xc3\xa9l\"x|arn:aws:iam::1:user/x|issuer|0|2500.0|1|1");
    free(v);
    /* the whole record for mutating or failed calls only */
    assert_int_equal(count(f->c, "SELECT count(*) FROM cloudtrail_events WHERE event IS NULL"), 1);
    /* a truncated log file loads nothing */
    snprintf(p, sizeof(p), "%s/ct2.json", f->dir);
    puts_file(f->dir, "ct2.json",
              "{\"Records\": [{\"eventID\": \"z\", \"eventName\": \"X\"}, "
              "{\"eventID\": \"y\", \"eventName\": \"Y");
    assert_int_equal(cf_analyze_load_file(f->c, p, CF_FILE_CLOUDTRAIL, NULL, &st), CF_EPARSE);
    assert_int_equal(count(f->c, "SELECT count(*) FROM cloudtrail_events"), 3);
    /* invalid escapes and bare control characters are refused too */
    snprintf(p, sizeof(p), "%s/ct3.json", f->dir);
    puts_file(f->dir, "ct3.json", "{\"Records\": [{\"eventID\": \"q\\x41\"}]}");
    assert_int_not_equal(cf_analyze_load_file(f->c, p, CF_FILE_CLOUDTRAIL, NULL, &st), CF_OK);
    assert_int_equal(count(f->c, "SELECT count(*) FROM cloudtrail_events"), 3);
    /* rows came through the cf_ct_log virtual table, which exists only during a load */
    assert_int_equal(
        count(f->c, "SELECT count(*) FROM pragma_module_list WHERE name = 'cf_ct_log'"), 0);
    assert_int_equal(count(f->c, "SELECT count(*) FROM sqlite_master WHERE sql LIKE '%cf_ct_log%'"),
                     0);
}

static void test_analyze_load_host_artifacts(void **state)
{
    fx *f = *state;
    const char *rels[] = {"files.jsonl",
                          "artifacts/home/bob/.ssh/authorized_keys",
                          "artifacts/var/spool/cron/crontabs/bob",
                          "artifacts/etc/group",
                          "artifacts/home/bob/.zsh_history",
                          "bodyfile.txt"};
    cf_analyze_stats st;
    char *v;
    memset(&st, 0, sizeof(st));
    puts_file(f->bundle, rels[0],
              "{\"path\": \"/home/bob/.ssh/authorized_keys\", \"mtime\": "
              "\"2026-11-27T20:15:00Z\"}\n");
    puts_file(f->bundle, rels[1],
              "# comment\ncommand=\"/bin/true\",no-pty ssh-ed25519 "
              "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl bob@laptop\n"
              "garbage line\n");
    puts_file(f->bundle, rels[2], "MAILTO=\"\"\n@reboot /home/bob/.x/run\n*/5 * * * * date\n");
    puts_file(f->bundle, rels[3], "sudo:x:27:alice,bob\n");
    puts_file(f->bundle, rels[4], ": 1795810000:0;ls -la\nplain\n");
    puts_file(f->bundle, rels[5],
              "0|/tmp/a|b|12|r/rrwxr-xr-x|0|0|10|1795810000|1795810001|1795810002|0\n"
              "0|/weird|name|13|r/r---------|0|0|1|0|0|0|0\n");
    manifest(f->bundle, rels, 6);
    assert_int_equal(cf_analyze_load_bundle_dir(f->c, f->bundle, NULL, &st), CF_OK);
    v = text(f->c,
             "SELECT user || '|' || key_type || '|' || fingerprint || '|' || options || '|' ||"
             " mtime FROM authorized_keys");
    assert_string_equal(v, "bob|ssh-ed25519|SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU|"
                           "command=\"/bin/true\",no-pty|2026-11-27T20:15:00.000000Z");
    free(v);
    v = text(f->c, "SELECT group_concat(user || ':' || schedule || ':' || command, ';') FROM"
                   " cron_entries");
    assert_string_equal(v, "bob:@reboot:/home/bob/.x/run;bob:*/5 * * * *:date");
    free(v);
    v = text(f->c, "SELECT name || ':' || gid || ':' || members FROM accounts");
    assert_string_equal(v, "sudo:27:alice,bob");
    free(v);
    v = text(f->c, "SELECT group_concat(coalesce(time, '-') || ' ' || command, ';') FROM"
                   " shell_history");
    assert_string_equal(v, "2026-11-27T20:06:40.000000Z ls -la;- plain");
    free(v);
    v = text(f->c, "SELECT group_concat(name || ' ' || coalesce(mtime, '-'), ';') FROM bodyfile");
    assert_string_equal(v, "/tmp/a|b 2026-11-27T20:06:41.000000Z;/weird|name -");
    free(v);
    assert_int_equal(count(f->c, "SELECT count(*) FROM load_errors"), 1);
}

static void test_analyze_detect_types(void **state)
{
    static const struct {
        const char *path, *head;
        cf_file_type want;
    } cases[] = {
        {"/var/log/nginx/access.log.1",
         "1.2.3.4 - - [27/Nov/2026:20:01:02 +0000] \"GET / HTTP/1.1\" 200 1", CF_FILE_WEB_ACCESS},
        {"/var/log/auth.log.1", "Nov 27 20:00:00 h sshd[1]: x", CF_FILE_AUTH},
        {"/var/log/secure", "", CF_FILE_AUTH},
        {"x.log", "https 2026-11-27T20:00:01Z app/x 1.2.3.4:1", CF_FILE_ALB},
        {"/root/.bash_history", "ls", CF_FILE_SHELL_HISTORY},
        {"/etc/cron.d/x", "* * * * * root x", CF_FILE_CRONTAB},
        {"/etc/systemd/system/x.service", "[Unit]", CF_FILE_SYSTEMD_UNIT},
        {"/etc/passwd", "root:x:0:0::/root:/bin/sh", CF_FILE_PASSWD},
        {"/etc/group", "root:x:0:", CF_FILE_GROUP},
        {"/etc/ld.so.preload", "", CF_FILE_LD_PRELOAD},
        {"/etc/rc.local", "", CF_FILE_RC_SCRIPT},
        {"ct.json", "{\"Records\": []}", CF_FILE_CLOUDTRAIL},
        {"lookup.json", "{\"Events\": [{\"CloudTrailEvent\": \"{}\"}]}", CF_FILE_CLOUDTRAIL},
        {"actions.jsonl", "{}", CF_FILE_ACTIONS},
        {"sockets.jsonl", "{}", CF_FILE_JSONL},
        {"bodyfile.txt", "", CF_FILE_BODYFILE},
        {"/home/a/.ssh/authorized_keys", "", CF_FILE_AUTHORIZED_KEYS},
        {"/usr/bin/ls",
         "\x7f"
         "ELF",
         CF_FILE_UNKNOWN},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cf_file_type t = cf_analyze_detect(cases[i].path, cases[i].head, strlen(cases[i].head));
        if (t != cases[i].want)
            fail_msg("%s detected as %s, want %s", cases[i].path, cf_file_type_name(t),
                     cf_file_type_name(cases[i].want));
    }
}

static void test_analyze_timeline_and_narrative(void **state)
{
    fx *f = *state;
    const char *rels[] = {"processes.jsonl", "artifacts/var/log/auth.log"};
    cf_analyze_stats st;
    cf_analyze_opts o = CF_ANALYZE_OPTS_INIT;
    char rules[600];
    const char *src = getenv("CF_SOURCE_DIR");
    cf_action a = {"block_ip", "acl:1", "ec2:CreateNetworkAclEntry", "acl-1", NULL, "req-1",
                   "ok",       NULL};
    int64_t n = 0;
    memset(&st, 0, sizeof(st));
    snprintf(rules, sizeof(rules), "%s/rules/sql", src ? src : ".");
    o.builtin_rules = rules;
    puts_file(f->bundle, rels[0],
              "{\"pid\": 7, \"name\": \"bash\", \"exe\": \"/tmp/x\", \"fd0\": \"socket:[1]\","
              " \"start_time\": \"2026-11-27T20:20:00Z\"}\n");
    puts_file(f->bundle, rels[1],
              "Nov 27 20:10:00 web1 useradd[9]: new user: name=evil, UID=0, GID=0\n");
    manifest(f->bundle, rels, 2);
    assert_int_equal(cf_case_action_record(f->c, &a), CF_OK);
    assert_int_equal(cf_analyze_load_path(f->c, f->bundle, &o, &st), CF_OK);
    assert_int_equal(cf_analyze_finish(f->c, &o, &n), CF_OK);
    assert_int_equal(n, 3); /* exec_from_tmp, shell_stdin_socket, account_created */
    assert_int_equal(count(f->c, "SELECT count(*) FROM timeline WHERE source = 'processes'"), 1);
    assert_int_equal(count(f->c, "SELECT count(*) FROM timeline WHERE source = 'auth'"), 1);
    assert_int_equal(count(f->c, "SELECT count(*) FROM timeline WHERE source = 'casefile'"), 1);
    assert_int_equal(count(f->c, "SELECT count(*) FROM timeline WHERE source = 'detections'"), 3);
    assert_int_equal(count(f->c, "SELECT count(*) FROM narrative WHERE phase = 'persistence'"), 1);
    assert_int_equal(count(f->c, "SELECT count(*) FROM narrative WHERE phase = 'response'"), 1);
    assert_int_equal(count(f->c, "SELECT count(*) FROM narrative WHERE evidence IS NULL"), 0);
    /* casefile's own actions.jsonl from a cloud bundle: cloud_actions, and on the timeline only
     * when the core actions table does not hold the same call already */
    {
        char ap[256];
        snprintf(ap, sizeof(ap), "%s/actions.jsonl", f->dir);
        puts_file(f->dir, "actions.jsonl",
                  "{\"time\": \"2026-11-27T20:40:00Z\", \"step\": \"isolate\", \"call\":"
                  " \"ec2:ModifyNetworkInterfaceAttribute\", \"target\": \"eni-1\", \"result\":"
                  " \"ok\", \"request_id\": \"r-9\"}\n");
        assert_int_equal(cf_analyze_load_file(f->c, ap, CF_FILE_AUTO, &o, &st), CF_OK);
        assert_int_equal(count(f->c, "SELECT count(*) FROM cloud_actions WHERE call LIKE"
                                     " 'ec2:Modify%' AND time = '2026-11-27T20:40:00.000000Z'"),
                         1);
        assert_int_equal(cf_analyze_finish(f->c, &o, &n), CF_OK);
        assert_int_equal(count(f->c, "SELECT count(*) FROM timeline WHERE source = 'casefile'"), 2);
    }
    /* the whole analysis again changes nothing */
    assert_int_equal(cf_analyze_finish(f->c, &o, &n), CF_OK);
    assert_int_equal(n, 3);
    assert_int_equal(count(f->c, "SELECT count(*) FROM timeline"), 7);
    assert_int_equal(count(f->c, "SELECT count(*) FROM detections WHERE evidence = '[]'"), 0);
}

static void test_analyze_rules_bad_rules_isolated(void **state)
{
    fx *f = *state;
    cf_analyze_opts o = CF_ANALYZE_OPTS_INIT;
    char dir[256];
    const char *dirs[1];
    int64_t n = 0;
    snprintf(dir, sizeof(dir), "%s/myrules", f->dir);
    puts_file(dir, "a_write.sql",
              "-- id: x.write\n-- title: t\n-- severity: high\n-- attack: T1\n-- evidence: files\n"
              "DELETE FROM case_info;\n");
    puts_file(dir, "b_two.sql",
              "-- id: x.two\n-- title: t\n-- severity: high\n-- attack: T1\n-- evidence: files\n"
              "SELECT 1 AS a; SELECT 2 AS b;\n");
    puts_file(dir, "c_noheader.sql", "SELECT 1;\n");
    puts_file(dir, "d_badsql.sql",
              "-- id: x.bad\n-- title: t\n-- severity: high\n-- attack: T1\n-- evidence: files\n"
              "SELECT FROM WHERE;\n");
    puts_file(
        dir, "e_ok.sql",
        "-- id: x.ok\n-- title: ok\n-- severity: low\n-- attack: T1\n-- evidence: case_window\n"
        "SELECT 'v' AS thing, '2026-11-27T20:00:00Z' AS time, 'files:1' AS evidence;\n");
    dirs[0] = dir;
    o.builtin_rules = dir; /* only these */
    o.rule_dirs = NULL;
    cf_case_info_set(f->c, "case_id", "keep");
    assert_int_equal(cf_analyze_run_rules(f->c, &o, &n), CF_OK);
    assert_int_equal(n, 1);
    assert_int_equal(count(f->c, "SELECT count(*) FROM rule_runs WHERE status = 'error'"), 4);
    assert_int_equal(count(f->c, "SELECT count(*) FROM case_info WHERE key = 'case_id'"), 1);
    assert_int_equal(count(f->c, "SELECT count(*) FROM detections WHERE evidence = "
                                 "'[\"files:1\"]' AND entity = '{\"thing\":\"v\"}'"),
                     1);
    /* volatile subset: e_ok reads only case_window */
    o.volatile_only = 1;
    assert_int_equal(cf_analyze_run_rules(f->c, &o, &n), CF_OK);
    (void)dirs;
    o.builtin_rules = "/nonexistent/rules";
    assert_int_equal(cf_analyze_run_rules(f->c, &o, &n), CF_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_analyze_load_bundle_idempotent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_analyze_load_hash_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_analyze_load_unsafe_manifest_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_analyze_load_bundle_tar, setup, teardown),
        cmocka_unit_test_setup_teardown(test_analyze_load_web_hostile, setup, teardown),
        cmocka_unit_test_setup_teardown(test_analyze_load_web_bulk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_analyze_load_alb, setup, teardown),
        cmocka_unit_test_setup_teardown(test_analyze_load_gzip_bomb, setup, teardown),
        cmocka_unit_test_setup_teardown(test_analyze_load_cloudtrail_gzip_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(test_analyze_load_paths_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_analyze_load_deep_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_analyze_load_jsonl_columns_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_analyze_load_cloudtrail_dedup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_analyze_load_cloudtrail_fast_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_analyze_load_host_artifacts, setup, teardown),
        cmocka_unit_test(test_analyze_detect_types),
        cmocka_unit_test_setup_teardown(test_analyze_timeline_and_narrative, setup, teardown),
        cmocka_unit_test_setup_teardown(test_analyze_rules_bad_rules_isolated, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
