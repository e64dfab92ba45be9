/* cf_workflow: the response to one finding, as a journal of steps (DESIGN §1, issue 6).
 *
 * The step table (cf_wf_steps) is the single description of the flow: the local engine runs it,
 * `casefile lambda --print-state-machine` turns it into the Step Functions definition and the
 * IAM policy / doctor read the permissions each step needs from it.
 *
 * A run: cf_wf_open() creates or reopens the case (id derived from the finding, so a duplicate
 * event joins its case), cf_wf_run() executes every step not yet done, in order, notify and
 * block_ip in two threads; each step is retried with exponential backoff, its state, attempts,
 * output and error recorded in case.db's steps table, every AWS change in actions with its request
 * id. Steps look before they act, so a re-run (resume, a duplicate event, a retry) changes nothing
 * twice. A failed step does not stop the steps after it, except triage (nothing is known without
 * it).
 */
#ifndef CF_WORKFLOW_H
#define CF_WORKFLOW_H

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>

#include "aws/cf_aws.h"
#include "case/cf_case.h"
#include "workflow/cf_config.h"
#include "workflow/cf_finding.h"

typedef struct cf_wf cf_wf;

/* A step function fills out (a JSON object, owned by the engine) with what it found and did; it
 * returns CF_OK, or an error code (detail in cf_error) when the step failed. */
typedef int (*cf_wf_step_fn)(cf_wf *wf, json_t *out);

typedef struct cf_wf_step {
    const char *name;
    cf_wf_step_fn run;
    const char *summary;
    int retryable;              /* 0: a failure is final (e.g. guardrails) */
    const char *const *actions; /* IAM actions the step needs, NULL-terminated */
} cf_wf_step;

/* The steps in their default order (NULL-terminated). */
const cf_wf_step *cf_wf_steps(void);
const cf_wf_step *cf_wf_step_find(const char *name);

/* The execution plan: a list of stages, each one or more steps run in parallel. */
#define CF_WF_MAX_STAGES 16
#define CF_WF_MAX_PAR    4
typedef struct cf_wf_plan {
    int n_stages;
    int width[CF_WF_MAX_STAGES];
    const cf_wf_step *stage[CF_WF_MAX_STAGES][CF_WF_MAX_PAR];
} cf_wf_plan;
void cf_wf_plan_build(const cf_config *cfg, cf_wf_plan *plan);

/* Every IAM action the workflow needs (sorted, unique, NULL-terminated; static storage), plus the
 * ones only the commands around it need (watch: SQS). */
const char *const *cf_wf_iam_actions(void);
/* The least-privilege IAM policy document (JSON text, caller frees). */
char *cf_wf_iam_policy(void);
/* The Step Functions (ASL) definition: one Task per step invoking lambda_arn (a literal or a
 * "${...}" placeholder), a Parallel state for notify and block_ip, retries with backoff,
 * failures caught so the next steps still run. Caller frees. */
char *cf_wf_state_machine(const cf_config *cfg, const char *lambda_arn);

struct cf_wf {
    cf_config *cfg;
    cf_aws *aws;
    cf_case *cs;
    cf_finding finding;
    char case_id[CF_CASE_ID_MAX];
    char case_dir[4096];
    int dry_run;
    int quiet;
    FILE *progress;       /* progress lines go here (stderr when NULL) */
    int64_t t0;           /* monotonic start, for progress times */
    json_t *outputs;      /* step name -> output object (from the journal or this run) */
    pthread_mutex_t lock; /* case.db, outputs and progress are shared by the parallel steps */
    int changes;          /* AWS changes made (or planned, in dry-run) by this run */
    int failures;         /* steps that failed in this run */
    int integrity;        /* of which: evidence that failed verification (exit 4) */
};

/* Opens the case for a finding: case_root/<case id> (a "-dry-run" suffix and a fresh directory
 * for dry-run), records case_info. wf is initialised (cf_wf_close releases it). aws is borrowed. */
int cf_wf_open(cf_wf *wf, cf_config *cfg, cf_aws *aws, const cf_finding *finding, int dry_run);
/* Reopens an existing case directory (resume, status, release, lambda): the finding comes from
 * case_info. */
int cf_wf_reopen(cf_wf *wf, cf_config *cfg, cf_aws *aws, const char *case_dir);
void cf_wf_close(cf_wf *wf);

/* Runs every step not yet done or skipped. Returns CF_OK when all are done/skipped, CF_ERR when
 * at least one failed (the journal says which), CF_EINTEGRITY when a failure was evidence that
 * did not match its manifest, another code when the engine itself failed. */
int cf_wf_run(cf_wf *wf);
/* Runs one step (the Lambda handler and tests). Done steps are not run again. */
int cf_wf_run_step(cf_wf *wf, const char *name);

/* ---- helpers for the steps (workflow-internal, also used by the commands) ------------------ */

/* Progress line: "[  1.234s] step: message". */
void cf_wf_progress(cf_wf *wf, const char *step, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The output of an earlier step (borrowed; NULL when it has none). */
json_t *cf_wf_output(cf_wf *wf, const char *step);

/* Before a change: returns 1 when the change identified by idem_key is already recorded as done
 * (skip it; detail_out gets the recorded detail, caller frees) or when dry-run (the plan is
 * printed and recorded); 0 when the caller must make the change; <0 on error. */
int cf_wf_change_begin(cf_wf *wf, const char *step, const char *idem_key, const char *call,
                       const char *target, const char *what, char **detail_out);
/* After a change (or after finding it already made: result "exists"). request_id may be NULL.
 * Test hooks (tests/workflow): CASEFILE_TEST_CRASH_AFTER_ACTION=<n> _exit(99)s after the n-th
 * recorded action of this process, CASEFILE_TEST_CRASH_BEFORE_RECORD=<n> just before recording
 * the n-th (the change is made in AWS, the journal does not know it); the engine honours
 * CASEFILE_TEST_CRASH_AFTER=<step> (after the step is journaled). */
int cf_wf_change_end(cf_wf *wf, const char *step, const char *idem_key, const char *call,
                     const char *target, const char *params, const char *request_id,
                     const char *result, const char *detail);

/* Steps (steps_*.c). */
int cf_wf_step_triage(cf_wf *wf, json_t *out);
int cf_wf_step_notify(cf_wf *wf, json_t *out);
int cf_wf_step_block_ip(cf_wf *wf, json_t *out);
int cf_wf_step_collect_volatile(cf_wf *wf, json_t *out);
int cf_wf_step_analyze_volatile(cf_wf *wf, json_t *out);
int cf_wf_step_isolate(cf_wf *wf, json_t *out);
int cf_wf_step_snapshot(cf_wf *wf, json_t *out);
int cf_wf_step_collect_disk(cf_wf *wf, json_t *out);
int cf_wf_step_analyze(cf_wf *wf, json_t *out);
int cf_wf_step_report(cf_wf *wf, json_t *out);

/* Undoes the isolation of a case: original security groups back on every ENI, termination
 * protection and shutdown behaviour as they were, Auto Scaling standby exited. */
int cf_wf_release(cf_wf *wf);

#endif
