/* The analysis schema: parsed log tables, the contract's bundle tables, context and results.
 * docs/analysis.md documents every column. Columns without a declared type keep the JSON value's
 * type (integers stay integers, booleans are 0/1). */
#include "analyze/analyze_internal.h"
#include "common/cf_error.h"

#include <stdio.h>
#include <string.h>

static const char *const analyze_schema =
    /* parsed logs and artifacts */
    "CREATE TABLE IF NOT EXISTS web_requests(id INTEGER PRIMARY KEY, bundle_id INTEGER,"
    " source TEXT, line INTEGER, format TEXT, time TEXT, client_ip TEXT, peer_ip TEXT, xff TEXT,"
    " remote_user TEXT, method TEXT, uri TEXT, uri_path TEXT, uri_decoded TEXT, protocol TEXT,"
    " status INTEGER, bytes INTEGER, referer TEXT, user_agent TEXT, body TEXT,"
    " body_decoded TEXT, host TEXT, elb TEXT, target TEXT);"
    "CREATE TABLE IF NOT EXISTS auth_events(id INTEGER PRIMARY KEY, bundle_id INTEGER,"
    " source TEXT, line INTEGER, time TEXT, host TEXT, program TEXT, pid INTEGER, event TEXT,"
    " user TEXT, src_ip TEXT, src_port INTEGER, method TEXT, target_user TEXT, command TEXT,"
    " message TEXT);"
    "CREATE TABLE IF NOT EXISTS shell_history(id INTEGER PRIMARY KEY, bundle_id INTEGER,"
    " source TEXT, line INTEGER, user TEXT, shell TEXT, time TEXT, command TEXT);"
    "CREATE TABLE IF NOT EXISTS cron_entries(id INTEGER PRIMARY KEY, bundle_id INTEGER,"
    " source TEXT, line INTEGER, kind TEXT, user TEXT, schedule TEXT, command TEXT,"
    " mtime TEXT);"
    "CREATE TABLE IF NOT EXISTS systemd_units(id INTEGER PRIMARY KEY, bundle_id INTEGER,"
    " source TEXT, unit TEXT, description TEXT, type TEXT, exec TEXT, user TEXT,"
    " wanted_by TEXT, mtime TEXT);"
    "CREATE TABLE IF NOT EXISTS authorized_keys(id INTEGER PRIMARY KEY, bundle_id INTEGER,"
    " source TEXT, line INTEGER, user TEXT, key_type TEXT, fingerprint TEXT, comment TEXT,"
    " options TEXT, mtime TEXT);"
    "CREATE TABLE IF NOT EXISTS accounts(id INTEGER PRIMARY KEY, bundle_id INTEGER, source TEXT,"
    " line INTEGER, kind TEXT, name TEXT, uid INTEGER, gid INTEGER, gecos TEXT, home TEXT,"
    " shell TEXT, members TEXT);"
    "CREATE TABLE IF NOT EXISTS config_entries(id INTEGER PRIMARY KEY, bundle_id INTEGER,"
    " source TEXT, line INTEGER, kind TEXT, value TEXT, mtime TEXT);"
    "CREATE TABLE IF NOT EXISTS bodyfile(id INTEGER PRIMARY KEY, bundle_id INTEGER, md5 TEXT,"
    " name TEXT, inode TEXT, mode TEXT, uid INTEGER, gid INTEGER, size INTEGER, atime TEXT,"
    " mtime TEXT, ctime TEXT, crtime TEXT);"
    "CREATE TABLE IF NOT EXISTS cloudtrail_events(id INTEGER PRIMARY KEY, bundle_id INTEGER,"
    " source TEXT, event_id TEXT UNIQUE, time TEXT, event_source TEXT, event_name TEXT,"
    " aws_region TEXT, source_ip TEXT, user_agent TEXT, user_type TEXT, principal_id TEXT,"
    " arn TEXT, account_id TEXT, access_key_id TEXT, user_name TEXT, session_issuer TEXT,"
    " error_code TEXT, error_message TEXT, read_only INTEGER, request_parameters TEXT,"
    " response_elements TEXT, resources TEXT, event TEXT);"
    "CREATE INDEX IF NOT EXISTS cloudtrail_events_name ON cloudtrail_events(event_name);"
    /* loader diagnostics, context for rules, results */
    "CREATE TABLE IF NOT EXISTS load_errors(id INTEGER PRIMARY KEY, bundle_id INTEGER,"
    " source TEXT, line INTEGER, error TEXT, text TEXT);"
    "CREATE TABLE IF NOT EXISTS case_attacker_ips(ip TEXT PRIMARY KEY);"
    "CREATE TABLE IF NOT EXISTS case_instance_ips(ip TEXT PRIMARY KEY);"
    "CREATE TABLE IF NOT EXISTS case_window(start TEXT, \"end\" TEXT);"
    "CREATE TABLE IF NOT EXISTS rule_runs(rule_id TEXT PRIMARY KEY, path TEXT, title TEXT,"
    " severity TEXT, attack TEXT, phase TEXT, evidence_tables TEXT, status TEXT, error TEXT,"
    " rows INTEGER, duration_ms REAL, ran_at TEXT);"
    "CREATE TABLE IF NOT EXISTS narrative(id INTEGER PRIMARY KEY, seq INTEGER, phase TEXT,"
    " time TEXT, title TEXT, summary TEXT, detection_id INTEGER, rule_id TEXT, evidence TEXT);";

/* The contract's bundle tables (docs/contracts.md) with the columns the rules use. They are
 * created, and completed with missing columns, before anything is loaded, so that every rule
 * compiles whatever was loaded; the generic loader adds further keys as they come. */
static const struct {
    const char *table;
    const char *columns; /* space-separated */
} known[] = {
    {"system", "hostname kernel os_name os_version boot_time uptime_s clock kernel_tainted "
               "taint_flags instance_id"},
    {"processes",
     "pid ppid name cmdline exe exe_deleted exe_sha256 cwd root uid euid gid egid user "
     "euser state start_time rss_kb threads tty fd0 fd1 fd2 ld_preload ns_pid ns_net "
     "ns_mnt cgroup hidden exited"},
    {"sockets", "proto family local_addr local_port remote_addr remote_port state uid inode pid fd "
                "netns path"},
    {"open_files", "pid fd path type deleted"},
    {"process_maps", "pid start end perms offset inode path deleted"},
    {"sessions", "source type user tty host pid time"},
    {"kernel_modules", "name size refcount deps state taint signed"},
    {"anomalies", "kind pid detail"},
    {"mounts", ""},
    {"interfaces", ""},
    {"routes", ""},
    {"arp", ""},
    {"dns", "source kind value"},
    {"files", "path name inode type mode mode_str uid gid size atime mtime ctime crtime sha256 "
              "hash_skipped deleted yara flags partition"},
    {"cloud_actions", "time step call target request_id result detail"},
};

static int ensure_known_tables(cf_case *c)
{
    sqlite3 *db = cf_case_db(c);
    int rc = CF_OK;
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]) && !rc; i++) {
        char sql[256], col[64];
        const char *p = known[i].columns;
        snprintf(sql, sizeof(sql), "CREATE TABLE IF NOT EXISTS \"%s\"(bundle_id INTEGER)",
                 known[i].table);
        if ((rc = cf_db_exec(db, sql)))
            break;
        while (*p && !rc) {
            size_t n = strcspn(p, " ");
            if (n && n < sizeof(col)) {
                memcpy(col, p, n);
                col[n] = '\0';
                if (!cf_db_column_exists(db, known[i].table, col)) {
                    snprintf(sql, sizeof(sql), "ALTER TABLE \"%s\" ADD COLUMN \"%s\"",
                             known[i].table, col);
                    rc = cf_db_exec(db, sql);
                }
            }
            p += n;
            while (*p == ' ')
                p++;
        }
    }
    if (!rc)
        rc = cf_db_exec(db, "CREATE INDEX IF NOT EXISTS files_path ON files(path)");
    return rc;
}

/* Tables the generic JSONL loader must never write into (core, parsed and result tables). */
static const char *const reserved[] = {"case_info",
                                       "steps",
                                       "actions",
                                       "evidence",
                                       "detections",
                                       "timeline",
                                       "bundles",
                                       "web_requests",
                                       "auth_events",
                                       "shell_history",
                                       "cron_entries",
                                       "systemd_units",
                                       "authorized_keys",
                                       "accounts",
                                       "config_entries",
                                       "bodyfile",
                                       "cloudtrail_events",
                                       "load_errors",
                                       "case_attacker_ips",
                                       "case_instance_ips",
                                       "case_window",
                                       "rule_runs",
                                       "narrative",
                                       "analyze_meta",
                                       NULL};

int cf_analyze_reserved_table(const char *name)
{
    if (strncmp(name, "sqlite_", 7) == 0)
        return 1;
    for (size_t i = 0; reserved[i]; i++)
        if (strcmp(reserved[i], name) == 0)
            return 1;
    return 0;
}

/* Bump when analyze_schema or known[] change: older case databases are then completed. */
#define ANALYZE_SCHEMA_VERSION "3"

int cf_analyze_prepare(cf_case *c)
{
    sqlite3 *db = cf_case_db(c);
    sqlite3_stmt *st = NULL;
    int rc, current = 0;
    /* cheap when already prepared: loaders call this for every file */
    if (sqlite3_prepare_v2(db, "SELECT value FROM analyze_meta WHERE key = 'schema'", -1, &st,
                           NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        current = !strcmp((const char *)sqlite3_column_text(st, 0), ANALYZE_SCHEMA_VERSION);
    sqlite3_finalize(st);
    if (current)
        return CF_OK;
    if ((rc = cf_case_exec(c, analyze_schema)) || (rc = ensure_known_tables(c)))
        return rc;
    return cf_case_exec(
        c,
        "CREATE TABLE IF NOT EXISTS analyze_meta(key TEXT PRIMARY KEY, value);"
        "INSERT OR REPLACE INTO analyze_meta(key, value) VALUES('schema', '" ANALYZE_SCHEMA_VERSION
        "')");
}
