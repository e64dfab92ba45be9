/* The timeline (every timestamped event of the loaded evidence, casefile's actions and the
 * detections) and the attack narrative derived from the detections. Both are rebuilt from the
 * tables, so re-running them changes nothing. */
#include "analyze/analyze_internal.h"
#include "common/cf_error.h"
#include "common/cf_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Timeline sources this module owns (rows of other sources are left alone). */
static const char *const timeline_sql =
    "DELETE FROM timeline WHERE source IN ('processes','files','web','auth','history',"
    "'cloudtrail','sessions','casefile','detections','cron','systemd','authorized_keys');"
    "INSERT INTO timeline(time, source, kind, summary, ref_table, ref_id)"
    " SELECT start_time, 'processes', 'process_start', 'pid ' || pid || ' ' || coalesce(name,'')"
    " || coalesce(' ' || exe, '') || coalesce(' (user ' || user || ')', ''), 'processes', rowid"
    " FROM processes WHERE start_time IS NOT NULL;"
    "INSERT INTO timeline(time, source, kind, summary, ref_table, ref_id)"
    " SELECT mtime, 'files', 'file_modified', path, 'files', rowid FROM files"
    " WHERE mtime IS NOT NULL;"
    "INSERT INTO timeline(time, source, kind, summary, ref_table, ref_id)"
    " SELECT atime, 'files', 'file_accessed', path, 'files', rowid FROM files"
    " WHERE atime IS NOT NULL;"
    "INSERT INTO timeline(time, source, kind, summary, ref_table, ref_id)"
    " SELECT ctime, 'files', 'file_changed', path, 'files', rowid FROM files"
    " WHERE ctime IS NOT NULL;"
    "INSERT INTO timeline(time, source, kind, summary, ref_table, ref_id)"
    " SELECT crtime, 'files', 'file_created', path, 'files', rowid FROM files"
    " WHERE crtime IS NOT NULL;"
    "INSERT INTO timeline(time, source, kind, summary, ref_table, ref_id)"
    " SELECT time, 'web', 'web_request', coalesce(client_ip,'?') || ' ' || coalesce(method,'')"
    " || ' ' || coalesce(substr(uri, 1, 300),'') || ' ' || coalesce(status,''),"
    " 'web_requests', id FROM web_requests WHERE time IS NOT NULL;"
    "INSERT INTO timeline(time, source, kind, summary, ref_table, ref_id)"
    " SELECT time, 'auth', event, coalesce(program,'') || ': ' || "
    "coalesce(substr(message,1,300),''),"
    " 'auth_events', id FROM auth_events WHERE time IS NOT NULL;"
    "INSERT INTO timeline(time, source, kind, summary, ref_table, ref_id)"
    " SELECT time, 'history', 'command', coalesce(user,'?') || '$ ' || substr(command,1,300),"
    " 'shell_history', id FROM shell_history WHERE time IS NOT NULL;"
    "INSERT INTO timeline(time, source, kind, summary, ref_table, ref_id)"
    " SELECT time, 'cloudtrail', 'api_call', coalesce(event_source,'') || ' ' ||"
    " coalesce(event_name,'') || ' by ' || coalesce(arn, principal_id, '?') || ' from ' ||"
    " coalesce(source_ip,'?') || coalesce(' -> ' || error_code, ''), 'cloudtrail_events', id"
    " FROM cloudtrail_events WHERE time IS NOT NULL;"
    "INSERT INTO timeline(time, source, kind, summary, ref_table, ref_id)"
    " SELECT time, 'sessions', coalesce(type,'session'), coalesce(user,'?') || ' on ' ||"
    " coalesce(tty,'?') || coalesce(' from ' || host, ''), 'sessions', rowid FROM sessions"
    " WHERE time IS NOT NULL;"
    "INSERT INTO timeline(time, source, kind, summary, ref_table, ref_id)"
    " SELECT time, 'casefile', 'action', coalesce(step,'') || ': ' || call || ' ' ||"
    " coalesce(target,'') || ' -> ' || result, 'actions', id FROM actions;"
    "INSERT INTO timeline(time, source, kind, summary, ref_table, ref_id)"
    " SELECT time, 'casefile', 'action', coalesce(step,'') || ': ' || coalesce(call,'') || ' ' ||"
    " coalesce(target,'') || ' -> ' || coalesce(result,''), 'cloud_actions', rowid"
    " FROM cloud_actions WHERE time IS NOT NULL AND NOT EXISTS (SELECT 1 FROM actions a"
    " WHERE a.time = cloud_actions.time AND a.call = cloud_actions.call);"
    "INSERT INTO timeline(time, source, kind, summary, ref_table, ref_id)"
    " SELECT time, 'detections', severity, rule_id || ': ' || coalesce(title,''), 'detections', id"
    " FROM detections WHERE time IS NOT NULL;";

int cf_analyze_build_timeline(cf_case *c)
{
    int rc;
    if ((rc = cf_analyze_prepare(c)))
        return rc;
    if ((rc = cf_case_begin(c)))
        return rc;
    if ((rc = cf_case_exec(c, timeline_sql))) {
        cf_case_rollback(c);
        return rc;
    }
    return cf_case_commit(c);
}

/* The story, phase by phase: the earliest detection of each phase, then what casefile did. */
static const struct {
    const char *phase;
    const char *title;
} phases[] = {
    {"initial_access", "First sign of access"},
    {"execution", "Execution"},
    {"persistence", "Persistence"},
    {"privilege_escalation", "Privilege escalation"},
    {"defense_evasion", "Defence evasion"},
    {"credential_access", "Credential access"},
    {"discovery", "Discovery"},
    {"lateral_movement", "Lateral movement"},
    {"command_and_control", "Command and control"},
    {"exfiltration", "Exfiltration"},
    {"impact", "Impact"},
    {"integrity", "Evidence integrity"},
};

int cf_analyze_build_narrative(cf_case *c)
{
    sqlite3 *db = cf_case_db(c);
    sqlite3_stmt *q = NULL, *ins = NULL, *acts = NULL;
    int rc, in_tx = 0, seq = 0;
    if ((rc = cf_analyze_prepare(c)))
        goto cleanup;
    if ((rc = cf_case_begin(c)))
        goto cleanup;
    in_tx = 1;
    if ((rc = cf_db_exec(db, "DELETE FROM narrative")))
        goto cleanup;
    if ((rc = cf_db_prepare(db,
                            "SELECT d.id, d.rule_id, d.title, d.time, d.entity, d.evidence,"
                            " (SELECT count(*) FROM detections d2 JOIN rule_runs r2 ON"
                            " r2.rule_id = d2.rule_id WHERE r2.phase = ?1) FROM detections d JOIN"
                            " rule_runs r ON r.rule_id = d.rule_id WHERE r.phase = ?1 ORDER BY"
                            " d.time IS NULL, d.time, d.id LIMIT 1",
                            &q)) ||
        (rc = cf_db_prepare(db,
                            "INSERT INTO narrative(seq, phase, time, title, summary, detection_id,"
                            " rule_id, evidence) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                            &ins)))
        goto cleanup;
    for (size_t i = 0; i < sizeof(phases) / sizeof(phases[0]); i++) {
        char summary[2048];
        const char *title, *time, *entity;
        int64_t total;
        sqlite3_bind_text(q, 1, phases[i].phase, -1, SQLITE_STATIC);
        if (sqlite3_step(q) != SQLITE_ROW) {
            sqlite3_reset(q);
            continue;
        }
        title = (const char *)sqlite3_column_text(q, 2);
        time = (const char *)sqlite3_column_text(q, 3);
        entity = (const char *)sqlite3_column_text(q, 4);
        total = sqlite3_column_int64(q, 6);
        snprintf(summary, sizeof(summary), "%s%s%s: %.1200s%s", time ? time : "", time ? " " : "",
                 title ? title : "", entity ? entity : "",
                 total > 1 ? " (and more detections in this phase)" : "");
        sqlite3_bind_int(ins, 1, ++seq);
        sqlite3_bind_text(ins, 2, phases[i].phase, -1, SQLITE_STATIC);
        if (time)
            sqlite3_bind_text(ins, 3, time, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 4, phases[i].title, -1, SQLITE_STATIC);
        cf_bind_text(ins, 5, summary, strlen(summary), 0);
        sqlite3_bind_int64(ins, 6, sqlite3_column_int64(q, 0));
        sqlite3_bind_text(ins, 7, (const char *)sqlite3_column_text(q, 1), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 8, (const char *)sqlite3_column_text(q, 5), -1, SQLITE_TRANSIENT);
        sqlite3_reset(q);
        if ((rc = cf_db_step_done(db, ins)))
            goto cleanup;
    }
    /* what casefile did */
    if ((rc = cf_db_prepare(db,
                            "SELECT id, time, step, call, target, result FROM actions"
                            " ORDER BY time, id LIMIT 50",
                            &acts)))
        goto cleanup;
    while (sqlite3_step(acts) == SQLITE_ROW) {
        char summary[1024], ev[64];
        snprintf(summary, sizeof(summary), "casefile %s: %s %s -> %s",
                 sqlite3_column_text(acts, 2) ? (const char *)sqlite3_column_text(acts, 2) : "",
                 sqlite3_column_text(acts, 3) ? (const char *)sqlite3_column_text(acts, 3) : "",
                 sqlite3_column_text(acts, 4) ? (const char *)sqlite3_column_text(acts, 4) : "",
                 sqlite3_column_text(acts, 5) ? (const char *)sqlite3_column_text(acts, 5) : "");
        snprintf(ev, sizeof(ev), "[\"actions:%lld\"]", (long long)sqlite3_column_int64(acts, 0));
        sqlite3_bind_int(ins, 1, ++seq);
        sqlite3_bind_text(ins, 2, "response", -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 3, (const char *)sqlite3_column_text(acts, 1), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 4, "What casefile did", -1, SQLITE_STATIC);
        cf_bind_text(ins, 5, summary, strlen(summary), 0);
        sqlite3_bind_text(ins, 8, ev, -1, SQLITE_TRANSIENT);
        if ((rc = cf_db_step_done(db, ins)))
            goto cleanup;
    }
    if ((rc = cf_case_commit(c)))
        goto cleanup;
    in_tx = 0;
cleanup:
    if (in_tx)
        cf_case_rollback(c);
    sqlite3_finalize(q);
    sqlite3_finalize(ins);
    sqlite3_finalize(acts);
    return rc;
}

int cf_analyze_finish(cf_case *c, const cf_analyze_opts *opts, int64_t *n_detections)
{
    int rc;
    if ((rc = cf_analyze_prepare(c)) || (rc = cf_analyze_run_rules(c, opts, n_detections)) ||
        (rc = cf_analyze_build_timeline(c)) || (rc = cf_analyze_build_narrative(c)))
        return rc;
    return CF_OK;
}
