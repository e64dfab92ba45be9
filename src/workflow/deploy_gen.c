/* Generated deployment artefacts: the IAM policy and the Step Functions definition, both from
 * the step table, so they cannot drift from what the engine runs. */
#include "common/cf_error.h"
#include "workflow/cf_workflow.h"

#include <stdlib.h>
#include <string.h>

/* Actions outside the step table: the commands around it. */
static const char *const extra_actions[] = {
    "sts:GetCallerIdentity", /* doctor */
    "sqs:ReceiveMessage",    /* watch */
    "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibility",
    "ec2:ModifyNetworkInterfaceAttribute", /* release */
    "autoscaling:ExitStandby",
    NULL,
};

#define MAX_ACTIONS 128
static const char *all_actions[MAX_ACTIONS + 1];
static pthread_once_t actions_once = PTHREAD_ONCE_INIT;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void add_action(size_t *n, const char *a)
{
    for (size_t i = 0; i < *n; i++)
        if (!strcmp(all_actions[i], a))
            return;
    if (*n < MAX_ACTIONS)
        all_actions[(*n)++] = a;
}

static void build_actions(void)
{
    size_t n = 0;
    for (const cf_wf_step *s = cf_wf_steps(); s->name; s++)
        for (size_t i = 0; s->actions && s->actions[i]; i++)
            add_action(&n, s->actions[i]);
    for (size_t i = 0; extra_actions[i]; i++)
        add_action(&n, extra_actions[i]);
    qsort(all_actions, n, sizeof(all_actions[0]), cmp_str);
    all_actions[n] = NULL;
}

const char *const *cf_wf_iam_actions(void)
{
    pthread_once(&actions_once, build_actions);
    return all_actions;
}

char *cf_wf_iam_policy(void)
{
    json_t *doc, *acts = json_array();
    char *txt;
    for (const char *const *a = cf_wf_iam_actions(); *a; a++)
        json_array_append_new(acts, json_string(*a));
    doc = json_pack("{s:s,s:[{s:s,s:s,s:o,s:s}]}", "Version", "2012-10-17", "Statement", "Sid",
                    "CasefileResponder", "Effect", "Allow", "Action", acts, "Resource", "*");
    txt = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;
    json_decref(doc);
    return txt;
}

static json_t *task_state(const char *step, const char *lambda_arn, const char *next, int end)
{
    json_t *st = json_pack(
        "{s:s,s:s,s:{s:s,s:{s:s,s:s}},s:s,s:[{s:[s,s,s],s:i,s:i,s:f}],"
        "s:[{s:[s],s:s,s:s}]}",
        "Type", "Task", "Resource", "arn:aws:states:::lambda:invoke", "Parameters", "FunctionName",
        lambda_arn, "Payload", "case.$", "$.case", "step", step, "ResultPath", "$.result", "Retry",
        "ErrorEquals", "Lambda.ServiceException", "Lambda.TooManyRequestsException",
        "Casefile.Retryable", "IntervalSeconds", 2, "MaxAttempts", 3, "BackoffRate", 2.0, "Catch",
        "ErrorEquals", "States.ALL", "ResultPath", "$.error", "Next", next ? next : "Done");
    /* Results do not need to accumulate: the case lives in case.db (S3); keep $.case only. */
    json_object_set_new(st, "ResultPath", json_null());
    if (end || !next) {
        json_object_set_new(st, "Next", json_string("Done"));
    } else {
        json_object_set_new(st, "Next", json_string(next));
    }
    return st;
}

char *cf_wf_state_machine(const cf_config *cfg, const char *lambda_arn)
{
    cf_wf_plan plan;
    json_t *states = json_object(), *doc;
    char *txt;
    char names[CF_WF_MAX_STAGES][64];
    cf_wf_plan_build(cfg, &plan);
    for (int i = 0; i < plan.n_stages; i++) {
        if (plan.width[i] == 1)
            snprintf(names[i], sizeof(names[i]), "%s", plan.stage[i][0]->name);
        else
            snprintf(names[i], sizeof(names[i]), "%s_and_%s", plan.stage[i][0]->name,
                     plan.stage[i][1]->name);
    }
    for (int i = 0; i < plan.n_stages; i++) {
        const char *next = i + 1 < plan.n_stages ? names[i + 1] : NULL;
        if (plan.width[i] == 1) {
            json_t *st = task_state(names[i], lambda_arn, next, 0);
            if (i == 0) {
                /* Nothing can run without triage: its failure ends the execution. */
                json_object_set_new(st, "Catch",
                                    json_pack("[{s:[s],s:s,s:s}]", "ErrorEquals", "States.ALL",
                                              "ResultPath", "$.error", "Next", "TriageFailed"));
            }
            json_object_set_new(states, names[i], st);
        } else {
            json_t *branches = json_array();
            for (int j = 0; j < plan.width[i]; j++) {
                json_t *bs = json_object();
                json_t *t = task_state(plan.stage[i][j]->name, lambda_arn, NULL, 1);
                json_object_del(t, "Next");
                json_object_set_new(t, "End", json_true());
                json_object_set_new(json_array_get(json_object_get(t, "Catch"), 0), "Next",
                                    json_string("BranchFailed"));
                json_object_set_new(bs, plan.stage[i][j]->name, t);
                json_object_set_new(bs, "BranchFailed", json_pack("{s:s}", "Type", "Pass"));
                json_object_set_new(json_object_get(bs, "BranchFailed"), "End", json_true());
                json_array_append_new(branches, json_pack("{s:s,s:o}", "StartAt",
                                                          plan.stage[i][j]->name, "States", bs));
            }
            json_object_set_new(states, names[i],
                                json_pack("{s:s,s:o,s:n,s:s}", "Type", "Parallel", "Branches",
                                          branches, "ResultPath", "Next", next ? next : "Done"));
        }
    }
    json_object_set_new(states, "TriageFailed",
                        json_pack("{s:s,s:s,s:s}", "Type", "Fail", "Error", "Casefile.Triage",
                                  "Cause", "triage failed: see the case journal"));
    json_object_set_new(states, "Done", json_pack("{s:s}", "Type", "Succeed"));
    doc = json_pack("{s:s,s:s,s:o}", "Comment",
                    "casefile response workflow, generated from the step table by `casefile "
                    "lambda --print-state-machine`",
                    "StartAt", names[0], "States", states);
    txt = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;
    json_decref(doc);
    return txt;
}
