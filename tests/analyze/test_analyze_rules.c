/* Table-driven rule tests: every rule of rules/sql has a positive fixture (<id>.pos) and a
 * negative one (<id>.neg) in tests/analyze/fixtures/rules/. A fixture is a small bundle written as
 * one text file:
 *
 *   @info KEY VALUE          case_info entry (window_start, attacker_ips, ...), set before loading
 *   @file PATH               the lines up to the next directive are the file PATH of the bundle
 *                            (artifacts/<host path> for artifacts; "@@" at a line start is "@")
 *   @expect RULE_ID...       the exact set of rules that must fire (none when absent)
 *   @tamper PATH             after the manifest is written, PATH is changed (hash mismatch)
 *   @manifest {JSON}         merged into the manifest's top level (e.g. the collector's pid)
 *   # ...                    a comment (outside @file sections)
 *
 * The runner writes the bundle with a manifest (sha256 of each file), loads it through
 * cf_analyze_load_bundle_dir, runs the whole pack and compares the set of rule ids that fired. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze/cf_analyze.h"
#include "common/cf_buf.h"
#include "common/cf_error.h"
#include "common/cf_fs.h"
#include "common/cf_hash.h"

#include <jansson.h>

static char src_dir[1024];

static void paths(void)
{
    const char *s = getenv("CF_SOURCE_DIR");
    snprintf(src_dir, sizeof(src_dir), "%s", s ? s : ".");
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Writes the fixture's files into bdir with a manifest; returns the expected rule ids (sorted,
 * space-separated) in expect, and the @info pairs in info (JSON object). */
static int write_fixture(const char *fixture, const char bdir[1024], char *expect, size_t ecap,
                         json_t *info)
{
    cf_buf in = CF_BUF_INIT(1 << 20);
    json_t *man = json_pack("{ss ss ss s[]}", "schema", "casefile.bundle/1", "kind", "disk",
                            "started_at", "2026-11-27T20:00:00Z", "files");
    json_t *files = json_object_get(man, "files");
    char *line, *save = NULL, *data;
    FILE *out = NULL;
    char cur[1024] = "";
    char *ids[64], *tamper[8];
    size_t nids = 0, ntamper = 0;
    int rc = 0;
    expect[0] = '\0';
    if (cf_fs_read(fixture, &in))
        return -1;
    data = in.data;
    for (line = strtok_r(data, "\n", &save); line || cur[0]; line = strtok_r(NULL, "\n", &save)) {
        int directive = line && line[0] == '@' && line[1] != '@';
        if ((!line || directive) && cur[0]) {
            char full[PATH_MAX], hex[CF_SHA256_HEX_LEN];
            uint64_t bytes = 0;
            json_t *e;
            fclose(out);
            out = NULL;
            snprintf(full, sizeof(full), "%s/%s", bdir, cur);
            cf_sha256_file(full, hex, &bytes);
            e = json_pack("{ss ss sI}", "path", cur, "sha256", hex, "bytes", (json_int_t)bytes);
            if (!strncmp(cur, "artifacts/", 10)) {
                char src[PATH_MAX];
                snprintf(src, sizeof(src), "/%s", cur + 10);
                json_object_set_new(e, "source", json_string(src));
            }
            json_array_append_new(files, e);
            cur[0] = '\0';
        }
        if (!line)
            break;
        if (directive) {
            if (!strncmp(line, "@file ", 6)) {
                char full[PATH_MAX], *slash;
                snprintf(cur, sizeof(cur), "%s", line + 6);
                snprintf(full, sizeof(full), "%s/%s", bdir, cur);
                slash = strrchr(full, '/');
                *slash = '\0';
                cf_fs_mkdirs(full, 0755);
                *slash = '/';
                out = fopen(full, "w");
                if (!out) {
                    rc = -1;
                    break;
                }
            } else if (!strncmp(line, "@info ", 6)) {
                char *k = line + 6, *v = strchr(k, ' ');
                if (v) {
                    *v++ = '\0';
                    json_object_set_new(info, k, json_string(v));
                }
            } else if (!strncmp(line, "@manifest ", 10)) {
                json_t *extra = json_loads(line + 10, 0, NULL);
                if (!json_is_object(extra)) {
                    json_decref(extra);
                    rc = -1;
                    break;
                }
                json_object_update(man, extra);
                json_decref(extra);
                files = json_object_get(man, "files");
            } else if (!strncmp(line, "@tamper ", 8) && ntamper < 8) {
                tamper[ntamper++] = line + 8;
            } else if (!strncmp(line, "@expect", 7)) {
                char *s2 = NULL, *w;
                for (w = strtok_r(line + 7, " ", &s2); w && nids < 64; w = strtok_r(NULL, " ", &s2))
                    ids[nids++] = w;
            }
            continue;
        }
        /* inside a file every line is content; outside, '#' lines are comments */
        if (out)
            fprintf(out, "%s\n", line[0] == '@' ? line + 1 : line);
    }
    if (out)
        fclose(out);
    qsort(ids, nids, sizeof(ids[0]), cmp_str);
    for (size_t i = 0; i < nids; i++) {
        strncat(expect, ids[i], ecap - strlen(expect) - 1);
        if (i + 1 < nids)
            strncat(expect, " ", ecap - strlen(expect) - 1);
    }
    if (!rc) {
        char mpath[PATH_MAX];
        snprintf(mpath, sizeof(mpath), "%s/manifest.json", bdir);
        rc = json_dump_file(man, mpath, JSON_INDENT(1));
        for (size_t i = 0; i < ntamper && !rc; i++) {
            char tp[PATH_MAX];
            FILE *tf;
            snprintf(tp, sizeof(tp), "%s/%s", bdir, tamper[i]);
            tf = fopen(tp, "a");
            if (!tf)
                rc = -1;
            else {
                fputs("tampered\n", tf);
                fclose(tf);
            }
        }
    }
    json_decref(man);
    cf_buf_release(&in);
    return rc;
}

/* Runs one fixture; got gets the fired rule ids (sorted, space-separated). */
static int run_fixture(const char *fixture, char *expect, size_t ecap, char *got, size_t gcap)
{
    char tmpl[] = "/tmp/cf-test-rules-XXXXXX";
    char bdir[1024], rules[PATH_MAX];
    json_t *info = json_object();
    cf_case *c = NULL;
    cf_analyze_opts opts = CF_ANALYZE_OPTS_INIT;
    cf_analyze_stats st;
    sqlite3_stmt *q = NULL;
    const char *k;
    json_t *v;
    int rc = -1;
    memset(&st, 0, sizeof(st));
    got[0] = '\0';
    if (!mkdtemp(tmpl))
        return -1;
    snprintf(bdir, sizeof(bdir), "%s/bundle", tmpl);
    snprintf(rules, sizeof(rules), "%s/rules/sql", src_dir);
    opts.builtin_rules = rules;
    cf_fs_mkdirs(bdir, 0755);
    if (write_fixture(fixture, bdir, expect, ecap, info))
        goto cleanup;
    if (cf_case_open(&c, tmpl) || cf_analyze_prepare(c))
        goto cleanup;
    json_object_foreach(info, k, v) cf_case_info_set(c, k, json_string_value(v));
    if (cf_analyze_load_bundle_dir(c, bdir, &opts, &st))
        goto cleanup;
    if (cf_analyze_finish(c, &opts, NULL))
        goto cleanup;
    if (sqlite3_prepare_v2(cf_case_db(c),
                           "SELECT DISTINCT rule_id FROM detections ORDER BY rule_id", -1, &q,
                           NULL) != SQLITE_OK)
        goto cleanup;
    while (sqlite3_step(q) == SQLITE_ROW) {
        if (got[0])
            strncat(got, " ", gcap - strlen(got) - 1);
        strncat(got, (const char *)sqlite3_column_text(q, 0), gcap - strlen(got) - 1);
    }
    sqlite3_finalize(q);
    q = NULL;
    /* every detection has a time, evidence and its rule's metadata */
    if (sqlite3_prepare_v2(cf_case_db(c),
                           "SELECT rule_id FROM detections WHERE time IS NULL OR evidence = '[]'"
                           " OR severity IS NULL OR attack IS NULL",
                           -1, &q, NULL) != SQLITE_OK)
        goto cleanup;
    if (sqlite3_step(q) == SQLITE_ROW) {
        fprintf(stderr, "  detection of %s lacks time, evidence or metadata\n",
                sqlite3_column_text(q, 0));
        goto cleanup;
    }
    sqlite3_finalize(q);
    q = NULL;
    /* every rule ran cleanly */
    if (sqlite3_prepare_v2(cf_case_db(c),
                           "SELECT rule_id, error FROM rule_runs WHERE status <> 'ok'", -1, &q,
                           NULL) != SQLITE_OK)
        goto cleanup;
    rc = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        fprintf(stderr, "  rule %s failed: %s\n", sqlite3_column_text(q, 0),
                sqlite3_column_text(q, 1));
        rc = -1;
    }
cleanup:
    if (rc && cf_error_last()->code)
        fprintf(stderr, "  error: %s\n", cf_error_last()->msg);
    sqlite3_finalize(q);
    cf_case_free(c);
    json_decref(info);
    cf_fs_remove_tree(tmpl);
    return rc;
}

/* Collects the ids of the shipped rules (from their headers). */
static size_t rule_ids(const char *dir, char ids[][128], size_t max, size_t n)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    if (!d)
        return n;
    while ((de = readdir(d)) && n < max) {
        char p[PATH_MAX];
        size_t l = strlen(de->d_name);
        if (de->d_name[0] == '.')
            continue;
        snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
        if (l > 4 && !strcmp(de->d_name + l - 4, ".sql")) {
            FILE *f = fopen(p, "r");
            char line[512];
            while (f && fgets(line, sizeof(line), f)) {
                if (!strncmp(line, "-- id:", 6)) {
                    char *s = line + 6;
                    while (*s == ' ')
                        s++;
                    s[strcspn(s, " \r\n")] = '\0';
                    snprintf(ids[n++], 128, "%.127s", s);
                    break;
                }
            }
            if (f)
                fclose(f);
        } else {
            n = rule_ids(p, ids, max, n);
        }
    }
    closedir(d);
    return n;
}

static void test_analyze_rules_fixtures(void **state)
{
    static char ids[512][128];
    char rules[PATH_MAX], fx[PATH_MAX];
    size_t n;
    int failures = 0, ran = 0;
    (void)state;
    paths();
    snprintf(rules, sizeof(rules), "%s/rules/sql", src_dir);
    snprintf(fx, sizeof(fx), "%s/tests/analyze/fixtures/rules", src_dir);
    n = rule_ids(rules, ids, 512, 0);
    assert_true(n >= 30);
    for (size_t i = 0; i < n; i++) {
        for (int pos = 1; pos >= 0; pos--) {
            char f[PATH_MAX + 256], expect[2048], got[2048];
            snprintf(f, sizeof(f), "%s/%s.%s", fx, ids[i], pos ? "pos" : "neg");
            if (access(f, R_OK) != 0) {
                fprintf(stderr, "MISSING fixture %s\n", f);
                failures++;
                continue;
            }
            ran++;
            if (run_fixture(f, expect, sizeof(expect), got, sizeof(got))) {
                fprintf(stderr, "FAIL %s: could not run\n", f);
                failures++;
                continue;
            }
            if (strcmp(expect, got)) {
                fprintf(stderr, "FAIL %s\n  expected: [%s]\n  fired:    [%s]\n", f, expect, got);
                failures++;
                continue;
            }
            /* the fixture must be about its rule */
            {
                char pad[2100], key[140];
                snprintf(pad, sizeof(pad), " %s ", got);
                snprintf(key, sizeof(key), " %s ", ids[i]);
                if ((strstr(pad, key) != NULL) != pos) {
                    fprintf(stderr, "FAIL %s: rule %s %s\n", f, ids[i],
                            pos ? "did not fire" : "fired");
                    failures++;
                }
            }
        }
    }
    fprintf(stderr, "%d fixtures for %zu rules, %d failures\n", ran, n, failures);
    assert_int_equal(failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_analyze_rules_fixtures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
