/* The local engine: the step table, the journal, retries, the parallel stage, the test hooks. */
#include "workflow/cf_workflow.h"
#include "common/cf_error.h"
#include "common/cf_fs.h"
#include "common/cf_json.h"
#include "common/cf_log.h"
#include "common/cf_time.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const acts_triage[] = {"ec2:DescribeInstances",
                                          "ec2:DescribeNetworkInterfaces",
                                          "ec2:DescribeSubnets",
                                          "ec2:DescribeVpcs",
                                          "ec2:DescribeNetworkAcls",
                                          "ec2:DescribeSecurityGroups",
                                          "ec2:DescribeVolumes",
                                          "autoscaling:DescribeAutoScalingInstances",
                                          "elasticloadbalancing:DescribeTargetGroups",
                                          "elasticloadbalancing:DescribeTargetHealth",
                                          NULL};
static const char *const acts_notify[] = {"ses:SendEmail", "ses:SendRawEmail", NULL};
static const char *const acts_block[] = {"ec2:DescribeNetworkAcls", "ec2:CreateNetworkAclEntry",
                                         "s3:GetObject", "s3:PutObject", NULL};
static const char *const acts_volatile[] = {"s3:GetObject",    "s3:PutObject",     "s3:ListBucket",
                                            "ssm:SendCommand", "ssm:ListCommands", NULL};
static const char *const acts_analyze_volatile[] = {"s3:GetObject", NULL};
static const char *const acts_isolate[] = {"ec2:CreateSecurityGroup",
                                           "ec2:DescribeSecurityGroups",
                                           "ec2:AuthorizeSecurityGroupIngress",
                                           "ec2:AuthorizeSecurityGroupEgress",
                                           "ec2:RevokeSecurityGroupEgress",
                                           "ec2:ModifyNetworkInterfaceAttribute",
                                           "ec2:ModifyInstanceAttribute",
                                           "ec2:CreateTags",
                                           "elasticloadbalancing:DeregisterTargets",
                                           "autoscaling:EnterStandby",
                                           "autoscaling:DetachInstances",
                                           "ec2:DescribeIamInstanceProfileAssociations",
                                           "ec2:ReplaceIamInstanceProfileAssociation",
                                           "iam:PassRole",
                                           "iam:PutRolePolicy",
                                           "iam:GetInstanceProfile",
                                           NULL};
static const char *const acts_snapshot[] = {"ec2:CreateSnapshot", "ec2:DescribeSnapshots",
                                            "ec2:CreateTags", NULL};
static const char *const acts_disk[] = {"ec2:CreateVolume",
                                        "ec2:DescribeVolumes",
                                        "ec2:AttachVolume",
                                        "ec2:DetachVolume",
                                        "ec2:DeleteVolume",
                                        "ec2:RunInstances",
                                        "ec2:TerminateInstances",
                                        "ec2:CreateSecurityGroup",
                                        "ec2:DeleteSecurityGroup",
                                        "ec2:RevokeSecurityGroupEgress",
                                        "ec2:CreateTags",
                                        "iam:PassRole",
                                        "ssm:SendCommand",
                                        "s3:GetObject",
                                        "s3:PutObject",
                                        NULL};
static const char *const acts_analyze[] = {"cloudtrail:LookupEvents", "s3:GetObject", NULL};
static const char *const acts_report[] = {"s3:PutObject", "s3:GetObject", "ses:SendEmail",
                                          "ses:SendRawEmail", NULL};

static const cf_wf_step steps[] = {
    {"triage", cf_wf_step_triage, "describe the instance and its surroundings; guardrails", 1,
     acts_triage},
    {"notify", cf_wf_step_notify, "e-mail the responders", 1, acts_notify},
    {"block_ip", cf_wf_step_block_ip, "deny the attacker IPs in the network ACL; IP list", 1,
     acts_block},
    {"collect_volatile", cf_wf_step_collect_volatile, "capture volatile state through SSM", 1,
     acts_volatile},
    {"analyze_volatile", cf_wf_step_analyze_volatile, "load the volatile bundle, run its rules", 1,
     acts_analyze_volatile},
    {"isolate", cf_wf_step_isolate, "isolate the instance (security groups, ASG, ELB)", 1,
     acts_isolate},
    {"snapshot", cf_wf_step_snapshot, "snapshot every attached volume", 1, acts_snapshot},
    {"collect_disk", cf_wf_step_collect_disk, "collect disk evidence on a forensic worker", 1,
     acts_disk},
    {"analyze", cf_wf_step_analyze, "load all evidence and CloudTrail, run all rules", 1,
     acts_analyze},
    {"report", cf_wf_step_report, "write the report and send the final e-mail", 1, acts_report},
    {NULL, NULL, NULL, 0, NULL},
};

const cf_wf_step *cf_wf_steps(void)
{
    return steps;
}

const cf_wf_step *cf_wf_step_find(const char *name)
{
    for (const cf_wf_step *s = steps; s->name; s++)
        if (!strcmp(s->name, name))
            return s;
    return NULL;
}

static void stage_add(cf_wf_plan *p, const char *a, const char *b)
{
    int i = p->n_stages++;
    p->width[i] = 0;
    p->stage[i][p->width[i]++] = cf_wf_step_find(a);
    if (b)
        p->stage[i][p->width[i]++] = cf_wf_step_find(b);
}

void cf_wf_plan_build(const cf_config *cfg, cf_wf_plan *p)
{
    memset(p, 0, sizeof(*p));
    stage_add(p, "triage", NULL);
    stage_add(p, "notify", "block_ip");
    if (cfg && cfg->isolate_first)
        stage_add(p, "isolate", NULL);
    stage_add(p, "collect_volatile", NULL);
    stage_add(p, "analyze_volatile", NULL);
    if (!cfg || !cfg->isolate_first)
        stage_add(p, "isolate", NULL);
    stage_add(p, "snapshot", NULL);
    stage_add(p, "collect_disk", NULL);
    stage_add(p, "analyze", NULL);
    stage_add(p, "report", NULL);
}

/* ---- progress and the record of changes ---------------------------------------------------- */

void cf_wf_progress(cf_wf *wf, const char *step, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    double t = (double)(cf_time_monotonic() - wf->t0) / 1e9;
    if (wf->quiet)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&wf->lock);
    fprintf(wf->progress ? wf->progress : stderr, "[%8.3fs] %-16s %s\n", t, step, msg);
    fflush(wf->progress ? wf->progress : stderr);
    pthread_mutex_unlock(&wf->lock);
}

json_t *cf_wf_output(cf_wf *wf, const char *step)
{
    json_t *o;
    pthread_mutex_lock(&wf->lock);
    o = json_object_get(wf->outputs, step);
    pthread_mutex_unlock(&wf->lock);
    return o;
}

int cf_wf_change_begin(cf_wf *wf, const char *step, const char *idem_key, const char *call,
                       const char *target, const char *what, char **detail_out)
{
    int rc;
    if (detail_out)
        *detail_out = NULL;
    pthread_mutex_lock(&wf->lock);
    rc = cf_case_action_done(wf->cs, idem_key, detail_out);
    pthread_mutex_unlock(&wf->lock);
    if (rc < 0)
        return rc;
    if (rc == 1)
        return 1;
    if (wf->dry_run) {
        cf_action a = {step, idem_key, call, target, NULL, NULL, "dry-run", what};
        cf_wf_progress(wf, step, "would %s (%s %s)", what, call, target ? target : "");
        pthread_mutex_lock(&wf->lock);
        wf->changes++;
        rc = cf_case_action_record(wf->cs, &a);
        pthread_mutex_unlock(&wf->lock);
        return rc < 0 ? rc : 1;
    }
    return 0;
}

static int actions_this_process;

int cf_wf_change_end(cf_wf *wf, const char *step, const char *idem_key, const char *call,
                     const char *target, const char *params, const char *request_id,
                     const char *result, const char *detail)
{
    cf_action a = {step, idem_key, call, target, params, request_id, result, detail};
    const char *crash = getenv("CASEFILE_TEST_CRASH_AFTER_ACTION");
    const char *crash_before = getenv("CASEFILE_TEST_CRASH_BEFORE_RECORD");
    int rc, n;
    pthread_mutex_lock(&wf->lock);
    /* Test hook: die after the change was made in AWS but before the journal knows it, so the
     * re-run must find it by looking at AWS. */
    if (crash_before && *crash_before && atoi(crash_before) == actions_this_process + 1) {
        fprintf(stderr, "casefile: test hook: crashing before recording %s\n", idem_key);
        _exit(99);
    }
    rc = cf_case_action_record(wf->cs, &a);
    if (!strcmp(result, "ok"))
        wf->changes++;
    n = ++actions_this_process;
    pthread_mutex_unlock(&wf->lock);
    if (crash && *crash && atoi(crash) == n) {
        fprintf(stderr, "casefile: test hook: crashing after action %d (%s)\n", n, idem_key);
        _exit(99);
    }
    return rc;
}

/* ---- opening a case ------------------------------------------------------------------------ */

static int wf_init(cf_wf *wf, cf_config *cfg, cf_aws *aws)
{
    memset(wf, 0, sizeof(*wf));
    wf->cfg = cfg;
    wf->aws = aws;
    wf->t0 = cf_time_monotonic();
    wf->outputs = json_object();
    if (!wf->outputs)
        return cf_error_set(CF_ENOMEM, "out of memory");
    pthread_mutex_init(&wf->lock, NULL);
    return CF_OK;
}

static int load_outputs(cf_wf *wf)
{
    for (const cf_wf_step *s = steps; s->name; s++) {
        cf_step_state st = {0};
        json_t *o = NULL;
        int rc = cf_case_step_get(wf->cs, s->name, &st);
        if (rc) {
            cf_step_state_release(&st);
            return rc;
        }
        if (st.output && (!strcmp(st.status, "done") || !strcmp(st.status, "skipped")) &&
            cf_json_parse(st.output, strlen(st.output), &o) == CF_OK)
            json_object_set_new(wf->outputs, s->name, o);
        cf_error_clear();
        cf_step_state_release(&st);
    }
    return CF_OK;
}

/* GuardDuty updates a finding as the attack goes on; an update naming addresses the case has
 * not seen yet makes triage and block_ip run again (they are idempotent: what is already denied
 * is found, only the new addresses are added). Called inside the case_info transaction. */
static int new_attackers(cf_wf *wf, const char *ips_now)
{
    char *before = NULL;
    json_t *old = NULL, *now = NULL, *v;
    size_t i;
    int rc, fresh = 0;
    if ((rc = cf_case_info_get(wf->cs, "attacker_ips", &before)) || !before)
        goto cleanup;
    if (cf_json_parse(before, strlen(before), &old) ||
        cf_json_parse(ips_now, strlen(ips_now), &now)) {
        cf_error_clear();
        goto cleanup;
    }
    json_array_foreach(now, i, v)
    {
        size_t j;
        json_t *w;
        int seen = 0;
        json_array_foreach(old, j, w) seen |= json_equal(v, w);
        if (!seen) {
            fresh = 1;
            cf_wf_progress(wf, "case", "the finding now names %s: triage and block_ip run again",
                           json_string_value(v));
        }
    }
    if (fresh)
        rc = cf_case_exec(wf->cs, "DELETE FROM steps WHERE name IN ('triage','block_ip')");
cleanup:
    free(before);
    json_decref(old);
    json_decref(now);
    return rc;
}

int cf_wf_open(cf_wf *wf, cf_config *cfg, cf_aws *aws, const cf_finding *finding, int dry_run)
{
    char ts[CF_TIME_STR_MAX], *raw = NULL, *ips = NULL, dirname[CF_CASE_ID_MAX + 16];
    json_t *arr = NULL;
    int rc;
    if ((rc = wf_init(wf, cfg, aws)))
        return rc;
    wf->dry_run = dry_run;
    wf->finding = *finding;
    wf->finding.raw = json_incref(finding->raw);
    cf_finding_case_id(finding, wf->case_id);
    snprintf(dirname, sizeof(dirname), "%s%s", wf->case_id, dry_run ? "-dry-run" : "");
    if ((rc = cf_fs_join(wf->case_dir, sizeof(wf->case_dir), cfg->case_root, dirname)))
        goto cleanup;
    /* A dry run plans from scratch every time and never touches the real case's journal. */
    if (dry_run && (rc = cf_fs_remove_tree(wf->case_dir)))
        goto cleanup;
    if ((rc = cf_case_open(&wf->cs, wf->case_dir)))
        goto cleanup;
    raw = json_dumps(finding->raw, JSON_COMPACT);
    arr = json_array();
    for (size_t i = 0; i < finding->n_ips; i++)
        json_array_append_new(arr, json_string(finding->ips[i]));
    ips = json_dumps(arr, JSON_COMPACT);
    if (!raw || !ips) {
        rc = cf_error_set(CF_ENOMEM, "out of memory");
        goto cleanup;
    }
    {
        char *opened = NULL;
        char first[CF_TIME_STR_MAX], last[CF_TIME_STR_MAX];
        if ((rc = cf_case_info_get(wf->cs, "opened_at", &opened)))
            goto cleanup;
        cf_time_format(cf_time_now(), ts);
        cf_time_format(finding->first_seen - (int64_t)cfg->window_before_s * CF_NS_PER_SEC, first);
        cf_time_format(
            finding->last_seen ? finding->last_seen + 3600 * CF_NS_PER_SEC : cf_time_now(), last);
        if ((rc = cf_case_begin(wf->cs))) {
            free(opened);
            goto cleanup;
        }
        rc = cf_case_info_set(wf->cs, "case_id", wf->case_id);
        if (!rc && !opened)
            rc = cf_case_info_set(wf->cs, "opened_at", ts);
        free(opened);
        if (!rc)
            rc = cf_case_info_set(wf->cs, "finding_id", finding->id);
        if (!rc)
            rc = cf_case_info_set(wf->cs, "finding_type", finding->type);
        if (!rc)
            rc = cf_case_info_set(wf->cs, "finding", raw);
        if (!rc)
            rc = cf_case_info_set(wf->cs, "instance_id", finding->instance_id);
        if (!rc)
            rc = cf_case_info_set(wf->cs, "account_id", finding->account_id);
        if (!rc)
            rc = cf_case_info_set(wf->cs, "region", cfg->region ? cfg->region : cf_aws_region(aws));
        if (!rc)
            rc = new_attackers(wf, ips);
        if (!rc)
            rc = cf_case_info_set(wf->cs, "attacker_ips", ips);
        if (!rc && finding->first_seen)
            rc = cf_case_info_set(wf->cs, "window_start", first);
        if (!rc)
            rc = cf_case_info_set(wf->cs, "window_end", last);
        if (rc) {
            cf_case_rollback(wf->cs);
            goto cleanup;
        }
        if ((rc = cf_case_commit(wf->cs)))
            goto cleanup;
    }
    rc = load_outputs(wf);
cleanup:
    free(raw);
    free(ips);
    json_decref(arr);
    return rc;
}

int cf_wf_reopen(cf_wf *wf, cf_config *cfg, cf_aws *aws, const char *case_dir)
{
    char *raw = NULL;
    json_t *j = NULL;
    char dbpath[4200];
    int rc;
    if ((rc = wf_init(wf, cfg, aws)))
        return rc;
    snprintf(wf->case_dir, sizeof(wf->case_dir), "%s", case_dir);
    if ((rc = cf_fs_join(dbpath, sizeof(dbpath), case_dir, "case.db")))
        goto cleanup;
    if (access(dbpath, R_OK) != 0) {
        rc = cf_error_set(CF_ENOTFOUND, "no case at %s (no case.db)", case_dir);
        goto cleanup;
    }
    if ((rc = cf_case_open(&wf->cs, case_dir)))
        goto cleanup;
    if ((rc = cf_case_info_get(wf->cs, "finding", &raw)))
        goto cleanup;
    if (!raw) {
        rc = cf_error_set(CF_EINVAL, "case %s has no finding recorded", case_dir);
        goto cleanup;
    }
    if ((rc = cf_json_parse(raw, strlen(raw), &j)))
        goto cleanup;
    if ((rc = cf_finding_from_json(&wf->finding, j)))
        goto cleanup;
    cf_finding_case_id(&wf->finding, wf->case_id);
    rc = load_outputs(wf);
cleanup:
    free(raw);
    json_decref(j);
    return rc;
}

void cf_wf_close(cf_wf *wf)
{
    if (!wf)
        return;
    cf_case_free(wf->cs);
    wf->cs = NULL;
    cf_finding_release(&wf->finding);
    json_decref(wf->outputs);
    wf->outputs = NULL;
    pthread_mutex_destroy(&wf->lock);
}

/* ---- running steps ------------------------------------------------------------------------- */

static int retry_worth(int rc)
{
    /* A step's own timeout (waiting for SSM, snapshots) already waited long: not retried. */
    return rc == CF_ENET || rc == CF_EAWS || rc == CF_EIO || rc == CF_ERR;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* Runs one step to completion (retries included); records it. Returns the step's result. */
static int run_one(cf_wf *wf, const cf_wf_step *s)
{
    cf_step_state st = {0};
    json_t *out = NULL;
    char *outtxt = NULL;
    const char *crash = getenv("CASEFILE_TEST_CRASH_AFTER");
    int rc, attempt;
    pthread_mutex_lock(&wf->lock);
    rc = cf_case_step_get(wf->cs, s->name, &st);
    pthread_mutex_unlock(&wf->lock);
    if (rc)
        goto cleanup;
    if (!strcmp(st.status, "done") || !strcmp(st.status, "skipped")) {
        cf_wf_progress(wf, s->name, "already %s", st.status);
        goto cleanup;
    }
    for (attempt = 1;; attempt++) {
        int64_t t = cf_time_monotonic();
        json_decref(out);
        out = json_object();
        if (!out) {
            rc = cf_error_set(CF_ENOMEM, "out of memory");
            goto cleanup;
        }
        if (!wf->dry_run) {
            pthread_mutex_lock(&wf->lock);
            rc = cf_case_step_start(wf->cs, s->name);
            pthread_mutex_unlock(&wf->lock);
            if (rc)
                goto cleanup;
        }
        cf_error_clear();
        rc = s->run(wf, out);
        free(outtxt);
        outtxt = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
        if (rc == CF_OK) {
            const char *skip = json_string_value(json_object_get(out, "skipped"));
            if (!wf->dry_run) {
                pthread_mutex_lock(&wf->lock);
                rc = cf_case_step_finish(wf->cs, s->name, skip ? "skipped" : "done", outtxt, NULL);
                pthread_mutex_unlock(&wf->lock);
                if (rc)
                    goto cleanup;
            }
            pthread_mutex_lock(&wf->lock);
            json_object_set(wf->outputs, s->name, out);
            pthread_mutex_unlock(&wf->lock);
            cf_wf_progress(wf, s->name, "%s (%.3fs)%s%s", skip ? "skipped" : "done",
                           (double)(cf_time_monotonic() - t) / 1e9, skip ? ": " : "",
                           skip ? skip : "");
            break;
        }
        {
            cf_error saved;
            cf_error_save(&saved);
            cf_wf_progress(wf, s->name, "attempt %d/%d failed: %s", attempt, wf->cfg->max_attempts,
                           saved.msg);
            if (!wf->dry_run) {
                pthread_mutex_lock(&wf->lock);
                cf_case_step_finish(wf->cs, s->name, "failed", outtxt, saved.msg);
                pthread_mutex_unlock(&wf->lock);
            }
            cf_error_restore(&saved);
        }
        if (!s->retryable || !retry_worth(rc) || attempt >= wf->cfg->max_attempts) {
            pthread_mutex_lock(&wf->lock);
            wf->failures++;
            wf->integrity += rc == CF_EINTEGRITY;
            pthread_mutex_unlock(&wf->lock);
            break;
        }
        sleep_ms(wf->cfg->retry_base_ms * (1 << (attempt - 1)));
    }
    if (crash && !strcmp(crash, s->name) && !wf->dry_run) {
        fprintf(stderr, "casefile: test hook: crashing after step %s\n", s->name);
        _exit(99);
    }
cleanup:
    cf_step_state_release(&st);
    json_decref(out);
    free(outtxt);
    return rc;
}

struct par_arg {
    cf_wf *wf;
    const cf_wf_step *step;
    int rc;
};

static void *par_main(void *p)
{
    struct par_arg *a = p;
    a->rc = run_one(a->wf, a->step);
    return NULL;
}

int cf_wf_run_step(cf_wf *wf, const char *name)
{
    const cf_wf_step *s = cf_wf_step_find(name);
    if (!s)
        return cf_error_set(CF_EINVAL, "no step named '%s'", name);
    return run_one(wf, s);
}

int cf_wf_run(cf_wf *wf)
{
    cf_wf_plan plan;
    int rc = CF_OK;
    cf_wf_plan_build(wf->cfg, &plan);
    cf_wf_progress(wf, "case", "%s%s (%s)", wf->case_id, wf->dry_run ? " DRY RUN" : "",
                   wf->case_dir);
    for (int i = 0; i < plan.n_stages; i++) {
        if (plan.width[i] == 1) {
            int r = run_one(wf, plan.stage[i][0]);
            if (r && !strcmp(plan.stage[i][0]->name, "triage")) {
                cf_wf_progress(wf, "case", "triage failed: nothing else can run");
                return r;
            }
        } else {
            struct par_arg args[CF_WF_MAX_PAR];
            pthread_t th[CF_WF_MAX_PAR];
            int started[CF_WF_MAX_PAR] = {0};
            for (int j = 0; j < plan.width[i]; j++) {
                args[j].wf = wf;
                args[j].step = plan.stage[i][j];
                args[j].rc = 0;
                started[j] = pthread_create(&th[j], NULL, par_main, &args[j]) == 0;
                if (!started[j])
                    args[j].rc = run_one(wf, plan.stage[i][j]);
            }
            for (int j = 0; j < plan.width[i]; j++)
                if (started[j])
                    pthread_join(th[j], NULL);
        }
    }
    if (wf->failures)
        rc = wf->integrity ? cf_error_set(CF_EINTEGRITY, "evidence failed verification against "
                                                         "its manifest (see casefile status)")
                           : CF_ERR;
    cf_wf_progress(wf, "case", "%s: %d change%s%s, %d failed step%s", wf->case_id, wf->changes,
                   wf->changes == 1 ? "" : "s", wf->dry_run ? " planned" : "", wf->failures,
                   wf->failures == 1 ? "" : "s");
    return rc;
}
