/* casefile analyze: load evidence into DIR/case.db, run the rules, print the detections. */
#include "analyze/cf_analyze.h"
#include "case/cf_case.h"
#include "cli/cli.h"
#include "common/cf_error.h"
#include "common/cf_json.h"
#include "common/cf_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_INPUTS    4096
#define MAX_RULE_DIRS 64

static const char usage[] =
    "usage: casefile analyze --case DIR [options] [BUNDLE_OR_FILE...]\n"
    "\n"
    "Creates or updates DIR/case.db, loads the evidence given, runs the detection rules, builds\n"
    "the timeline and the attack narrative, and prints the detections of the case.\n"
    "\n"
    "Inputs (loading the same bundle or file twice changes nothing):\n"
    "  a bundle directory (with manifest.json; every file verified against its sha256)\n"
    "  a bundle .tar (extracted into DIR/bundles/<sha256>/, then loaded)\n"
    "  a single file: nginx/Apache access log, ALB log (.log.gz), auth.log, shell history,\n"
    "  crontab, systemd unit, authorized_keys, passwd, group, CloudTrail (.json[.gz] or\n"
    "  LookupEvents output), actions.jsonl, bodyfile, any .jsonl table. The kind is detected\n"
    "  from the name and the content; --type forces it for the files that follow.\n"
    "\n"
    "Options:\n"
    "  --case DIR            the case directory (required)\n"
    "  --rules DIR           also run the rules in DIR (*.sql, repeatable; same id overrides)\n"
    "  --builtin-rules DIR   the rule pack to use instead of the shipped one\n"
    "  --type TYPE           web|alb|auth|history|crontab|systemd|authorized_keys|passwd|group|\n"
    "                        cloudtrail|actions|bodyfile|jsonl|rc|ld_preload|auto\n"
    "  --attacker-ip IP      add an attacker address to the case (case_info attacker_ips)\n"
    "  --window-start TIME   incident window start (RFC 3339; case_info window_start)\n"
    "  --window-end TIME     incident window end\n"
    "  --year YEAR           year of syslog lines that carry none (default: from the bundle)\n"
    "  --volatile-only       run only the rules over volatile tables\n"
    "  --no-rules            load only\n"
    "  --json                print JSON instead of a table\n"
    "  -h, --help            this text\n"
    "\n"
    "Exit status: 0 done, 2 usage or input error, 3 environment, 4 evidence failed\n"
    "verification against its manifest (the file was not loaded; see the evidence table).\n"
    "Tables and columns: docs/analysis.md. Writing rules: docs/rules.md.\n";

/* The leading 4-digit year of an RFC 3339 time, or -1. */
static int year4(const char *s)
{
    int y = 0;
    for (int i = 0; i < 4; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        y = y * 10 + (s[i] - '0');
    }
    return y;
}

static void on_warn(void *ctx, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "casefile analyze: %s\n", msg);
}

static int add_attacker_ip(cf_case *c, const char *ip)
{
    char *old = NULL, *txt = NULL;
    json_t *arr = NULL;
    int rc;
    if ((rc = cf_case_info_get(c, "attacker_ips", &old)))
        return rc;
    if (!old || cf_json_parse(old, strlen(old), &arr) != CF_OK || !json_is_array(arr)) {
        json_decref(arr);
        arr = json_array();
    }
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const char *s = json_string_value(json_array_get(arr, i));
        if (s && !strcmp(s, ip))
            goto cleanup;
    }
    json_array_append_new(arr, json_string(ip));
    txt = json_dumps(arr, JSON_COMPACT);
    rc = txt ? cf_case_info_set(c, "attacker_ips", txt) : cf_error_set(CF_ENOMEM, "json");
cleanup:
    free(old);
    free(txt);
    json_decref(arr);
    return rc;
}

static void print_table(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int n = 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT severity, rule_id, coalesce(time,''), attack, title, entity"
                           " FROM detections ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN"
                           " 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END,"
                           " time, id",
                           -1, &st, NULL) != SQLITE_OK)
        return;
    printf("%-8s  %-34s  %-27s  %-10s  %s\n", "SEVERITY", "RULE", "TIME", "ATT&CK", "WHAT");
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *ent = (const char *)sqlite3_column_text(st, 5);
        printf("%-8s  %-34s  %-27s  %-10s  %s  %.160s\n", sqlite3_column_text(st, 0),
               sqlite3_column_text(st, 1), sqlite3_column_text(st, 2), sqlite3_column_text(st, 3),
               sqlite3_column_text(st, 4), ent ? ent : "");
        n++;
    }
    printf("%d detection%s\n", n, n == 1 ? "" : "s");
    sqlite3_finalize(st);
}

static void print_json(sqlite3 *db, const char *dir, const cf_analyze_stats *s)
{
    sqlite3_stmt *st = NULL;
    json_t *out = json_object(), *dets = json_array(), *errs = json_array();
    char *txt;
    json_object_set_new(out, "case_dir", json_string(dir));
    json_object_set_new(out, "loaded",
                        json_pack("{sI sI sI sI sI sI}", "files", (json_int_t)s->files, "rows",
                                  (json_int_t)s->rows, "bad_lines", (json_int_t)s->bad_lines,
                                  "truncated_lines", (json_int_t)s->truncated, "skipped",
                                  (json_int_t)s->skipped, "integrity_failures",
                                  (json_int_t)s->integrity_failures));
    if (sqlite3_prepare_v2(db,
                           "SELECT id, rule_id, title, severity, attack, time, entity, evidence"
                           " FROM detections ORDER BY time, id",
                           -1, &st, NULL) == SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW) {
            json_t *d = json_object(), *ent = NULL, *ev = NULL;
            const char *et = (const char *)sqlite3_column_text(st, 6);
            const char *vt = (const char *)sqlite3_column_text(st, 7);
            json_object_set_new(d, "id", json_integer(sqlite3_column_int64(st, 0)));
            for (int i = 1; i <= 5; i++) {
                const char *v = (const char *)sqlite3_column_text(st, i);
                json_object_set_new(d, sqlite3_column_name(st, i),
                                    v ? cf_json_string_lossy(v, strlen(v)) : json_null());
            }
            if (et && cf_json_parse(et, strlen(et), &ent) == CF_OK)
                json_object_set_new(d, "entity", ent);
            if (vt && cf_json_parse(vt, strlen(vt), &ev) == CF_OK)
                json_object_set_new(d, "evidence", ev);
            json_array_append_new(dets, d);
        }
    }
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT rule_id, error FROM rule_runs WHERE status <> 'ok' ORDER BY"
                           " rule_id",
                           -1, &st, NULL) == SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW)
            json_array_append_new(errs, json_pack("{ss ss}", "rule_id",
                                                  (const char *)sqlite3_column_text(st, 0), "error",
                                                  sqlite3_column_text(st, 1)
                                                      ? (const char *)sqlite3_column_text(st, 1)
                                                      : ""));
    }
    sqlite3_finalize(st);
    json_object_set_new(out, "detections", dets);
    json_object_set_new(out, "rule_errors", errs);
    txt = json_dumps(out, JSON_INDENT(2));
    if (txt)
        printf("%s\n", txt);
    free(txt);
    json_decref(out);
}

static void report_rule_errors(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT rule_id, path, error FROM rule_runs WHERE status <> 'ok'",
                           -1, &st, NULL) != SQLITE_OK)
        return;
    while (sqlite3_step(st) == SQLITE_ROW)
        fprintf(stderr, "casefile analyze: rule %s (%s): %s\n", sqlite3_column_text(st, 0),
                sqlite3_column_text(st, 1), sqlite3_column_text(st, 2));
    sqlite3_finalize(st);
}

int cf_cmd_analyze(int argc, char **argv)
{
    const char *dir = NULL, *wstart = NULL, *wend = NULL;
    const char *inputs[MAX_INPUTS], *rule_dirs[MAX_RULE_DIRS], *ips[256];
    cf_file_type types[MAX_INPUTS];
    cf_file_type cur_type = CF_FILE_AUTO;
    size_t n_in = 0, n_rules = 0, n_ips = 0;
    int json = 0, no_rules = 0, rc = CF_EXIT_OK, r;
    cf_analyze_opts opts = CF_ANALYZE_OPTS_INIT;
    cf_analyze_stats stats;
    cf_case *c = NULL;
    int64_t n_det = 0;
    memset(&stats, 0, sizeof(stats));
    opts.warn = on_warn;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED_VALUE()                                                                               \
    do {                                                                                           \
        if (!v) {                                                                                  \
            fprintf(stderr, "casefile analyze: %s needs a value\n%s", a, usage);                   \
            return CF_EXIT_USAGE;                                                                  \
        }                                                                                          \
        i++;                                                                                       \
    } while (0)
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            return CF_EXIT_OK;
        } else if (!strcmp(a, "--case")) {
            NEED_VALUE();
            dir = v;
        } else if (!strcmp(a, "--rules")) {
            NEED_VALUE();
            if (n_rules >= MAX_RULE_DIRS) {
                fprintf(stderr, "casefile analyze: too many --rules\n");
                return CF_EXIT_USAGE;
            }
            rule_dirs[n_rules++] = v;
        } else if (!strcmp(a, "--builtin-rules")) {
            NEED_VALUE();
            opts.builtin_rules = v;
        } else if (!strcmp(a, "--type")) {
            NEED_VALUE();
            cur_type = cf_file_type_parse(v);
            if (cur_type == CF_FILE_UNKNOWN) {
                fprintf(stderr, "casefile analyze: unknown --type %s\n%s", v, usage);
                return CF_EXIT_USAGE;
            }
        } else if (!strcmp(a, "--attacker-ip")) {
            NEED_VALUE();
            if (n_ips >= sizeof(ips) / sizeof(ips[0])) {
                fprintf(stderr, "casefile analyze: too many --attacker-ip\n");
                return CF_EXIT_USAGE;
            }
            ips[n_ips++] = v;
        } else if (!strcmp(a, "--window-start")) {
            NEED_VALUE();
            wstart = v;
        } else if (!strcmp(a, "--window-end")) {
            NEED_VALUE();
            wend = v;
        } else if (!strcmp(a, "--year")) {
            NEED_VALUE();
            opts.default_year = (int)strtol(v, NULL, 10);
            if (strlen(v) != 4)
                opts.default_year = 0;
            if (opts.default_year < 1971 || opts.default_year > 2200) {
                fprintf(stderr, "casefile analyze: bad --year %s\n", v);
                return CF_EXIT_USAGE;
            }
        } else if (!strcmp(a, "--volatile-only")) {
            opts.volatile_only = 1;
        } else if (!strcmp(a, "--no-rules")) {
            no_rules = 1;
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "casefile analyze: unknown option %s\n%s", a, usage);
            return CF_EXIT_USAGE;
        } else {
            if (n_in >= MAX_INPUTS) {
                fprintf(stderr, "casefile analyze: too many inputs\n");
                return CF_EXIT_USAGE;
            }
            types[n_in] = cur_type;
            inputs[n_in++] = a;
        }
#undef NEED_VALUE
    }
    if (!dir) {
        fprintf(stderr, "casefile analyze: --case DIR is required\n%s", usage);
        return CF_EXIT_USAGE;
    }
    {
        const char *w[2] = {wstart, wend};
        for (int i = 0; i < 2; i++) {
            int64_t ns;
            if (w[i] && (strlen(w[i]) < 4 || year4(w[i]) < 1700 || year4(w[i]) > 2200 ||
                         cf_time_parse(w[i], &ns) != CF_OK)) {
                fprintf(stderr, "casefile analyze: bad time %s (RFC 3339 expected)\n", w[i]);
                return CF_EXIT_USAGE;
            }
        }
    }
    opts.rule_dirs = rule_dirs;
    opts.n_rule_dirs = n_rules;
    if (cf_case_open(&c, dir) || cf_analyze_prepare(c)) {
        fprintf(stderr, "casefile analyze: %s\n", cf_error_last()->msg);
        rc = CF_EXIT_ENV;
        goto cleanup;
    }
    for (size_t i = 0; i < n_ips; i++)
        if (add_attacker_ip(c, ips[i]))
            goto db_error;
    if ((wstart && cf_case_info_set(c, "window_start", wstart)) ||
        (wend && cf_case_info_set(c, "window_end", wend)))
        goto db_error;
    /* one transaction for all inputs (CloudTrail's many small files commit once) */
    if (n_in && (r = cf_analyze_load_paths(c, inputs, types, n_in, &opts, &stats))) {
        fprintf(stderr, "casefile analyze: %s\n", cf_error_last()->msg);
        rc = (r == CF_EIO || r == CF_ENOMEM) ? CF_EXIT_ENV : CF_EXIT_USAGE;
        goto cleanup;
    }
    if (!no_rules) {
        if ((r = cf_analyze_finish(c, &opts, &n_det))) {
            fprintf(stderr, "casefile analyze: %s\n", cf_error_last()->msg);
            rc = r == CF_EINVAL ? CF_EXIT_USAGE : CF_EXIT_ENV;
            goto cleanup;
        }
        report_rule_errors(cf_case_db(c));
    }
    if (json)
        print_json(cf_case_db(c), dir, &stats);
    else
        print_table(cf_case_db(c));
    if (!json && isatty(STDERR_FILENO))
        fprintf(stderr,
                "loaded %llu file(s), %llu row(s); %llu bad line(s), %llu skipped (already"
                " loaded)\n",
                (unsigned long long)stats.files, (unsigned long long)stats.rows,
                (unsigned long long)stats.bad_lines, (unsigned long long)stats.skipped);
    if (stats.integrity_failures)
        rc = CF_EXIT_INTEGRITY;
    goto cleanup;
db_error:
    fprintf(stderr, "casefile analyze: %s\n", cf_error_last()->msg);
    rc = CF_EXIT_ENV;
cleanup:
    cf_case_free(c);
    return rc;
}
