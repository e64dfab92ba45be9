/* cf_case: one case = one directory holding case.db (SQLite), the single place a case lives
 * locally (DESIGN §3.2). This module owns the core schema and the journal (steps, actions);
 * loaders in src/analyze add the evidence tables.
 *
 * Core tables (stable contract: the workflow, the analysis and the report read them):
 *   case_info(key PRIMARY KEY, value)            case_id, finding_id, finding (JSON), instance_id,
 *                                                region, account_id, opened_at, attacker_ips
 *                                                (JSON array), window_start, window_end, ...
 *   steps(name PRIMARY KEY, status, attempts, started_at, finished_at, duration_ms, output, error)
 *                                                status: pending|running|done|failed|skipped
 *   actions(id, step, idem_key UNIQUE, time, call, target, params, request_id, result, detail)
 *                                                every change made in AWS (or that would have been
 *                                                made, result 'dry-run'); result: ok|error|
 *                                                dry-run|exists (found already done, nothing
 * changed) evidence(id, bundle, kind, path, sha256, bytes, s3_uri, verified, detail) UNIQUE(bundle,
 * path) verified: 1 ok, 0 mismatch, NULL not checked detections(id, rule_id, title, severity,
 * attack, time, entity, evidence) UNIQUE(rule_id, entity) entity: JSON object of the row's columns;
 *                                                evidence: JSON array of "table:rowid" strings
 *   timeline(id, time, source, kind, summary, ref_table, ref_id)
 *   bundles(id, kind, case_id, instance_id, path, manifest_sha256 UNIQUE, loaded_at, manifest)
 * Times are RFC 3339 UTC text (cf_time_format).
 */
#ifndef CF_CASE_H
#define CF_CASE_H

#include <sqlite3.h>
#include <stdint.h>

typedef struct cf_case cf_case;

/* Opens (creating when needed) DIR/case.db and applies the core schema. The directory is created.
 * *out is owned by the caller: cf_case_free(). */
int cf_case_open(cf_case **out, const char *dir);
void cf_case_free(cf_case *c); /* accepts NULL */
sqlite3 *cf_case_db(cf_case *c);
const char *cf_case_dir(const cf_case *c);

/* Runs sql (no result rows) in the case database; errors carry the SQLite message. */
int cf_case_exec(cf_case *c, const char *sql);
int cf_case_begin(cf_case *c);
int cf_case_commit(cf_case *c);
void cf_case_rollback(cf_case *c);

/* case_info */
int cf_case_info_set(cf_case *c, const char *key, const char *value);
/* *out (caller frees) is NULL when the key is absent; returns CF_OK either way. */
int cf_case_info_get(cf_case *c, const char *key, char **out);

/* The journal of steps. */
typedef struct cf_step_state {
    char status[16]; /* "" when the step has no row yet */
    int attempts;
    char started_at[40];
    char finished_at[40];
    int64_t duration_ms;
    char *output; /* JSON text or NULL; owned, freed by cf_step_state_release */
    char *error;  /* NULL when none */
} cf_step_state;

int cf_case_step_get(cf_case *c, const char *name, cf_step_state *out);
void cf_step_state_release(cf_step_state *s);
/* Marks a step running (attempts + 1, started_at now). */
int cf_case_step_start(cf_case *c, const char *name);
/* Marks a step finished: status "done", "failed" or "skipped"; output JSON and error may be NULL.
 */
int cf_case_step_finish(cf_case *c, const char *name, const char *status, const char *output,
                        const char *error);

/* The record of changes. idem_key identifies the change (e.g. "acl-deny:acl-1:in:203.0.113.7/32")
 * so that a re-run finds it. */
typedef struct cf_action {
    const char *step;
    const char *idem_key;
    const char *call;       /* "ec2:CreateNetworkAclEntry" */
    const char *target;     /* resource id */
    const char *params;     /* JSON text or NULL */
    const char *request_id; /* NULL when none */
    const char *result;     /* ok|error|dry-run|exists */
    const char *detail;     /* NULL or free text (error message, created resource id, ...) */
} cf_action;

/* Inserts or replaces the action with this idem_key (time = now). */
int cf_case_action_record(cf_case *c, const cf_action *a);
/* 1 when an action with idem_key and result 'ok' or 'exists' is recorded, 0 when not, <0 error.
 * detail_out (may be NULL; caller frees) gets its detail. */
int cf_case_action_done(cf_case *c, const char *idem_key, char **detail_out);

#endif
