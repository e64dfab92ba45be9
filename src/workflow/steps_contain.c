/* triage, notify, block_ip, isolate and release: finding out, alerting, containing. */
#include "common/cf_error.h"
#include "common/cf_json.h"
#include "common/cf_time.h"
#include "workflow/cf_guard.h"
#include "aws/autoscaling.h"
#include "aws/elbv2.h"
#include "aws/iam.h"
#include "aws/ses.h"
#include "workflow/wf_aws.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *str_or_null(const char *s)
{
    return s && *s ? json_string(s) : json_null();
}

static int array_has_str(json_t *arr, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i,
                       v) if (json_is_string(v) && !strcmp(json_string_value(v), s)) return 1;
    return 0;
}

static int wf_done(cf_wf *wf, const char *key)
{
    int rc;
    pthread_mutex_lock(&wf->lock);
    rc = cf_case_action_done(wf->cs, key, NULL);
    pthread_mutex_unlock(&wf->lock);
    return rc;
}

/* ---- triage -------------------------------------------------------------------------------- */

static const char *nz(const char *s)
{
    return s ? s : "";
}

static int triage_instance(cf_wf *wf, json_t *out)
{
    const char *ids[] = {wf->finding.instance_id};
    const cf_ec2_query q = {ids, 1, NULL, 0, 0};
    cf_ec2_instance_list *l = NULL;
    const cf_ec2_instance *inst;
    json_t *tags = json_array(), *vols = json_array(), *enis = json_array();
    int rc = cf_ec2_describe_instances(&l, wf->aws, &q);
    if (rc) {
        if (cf_aws_error_is("InvalidInstanceID.NotFound") ||
            cf_aws_error_is("InvalidInstanceID.Malformed"))
            rc = cf_error_set(CF_ENOTFOUND,
                              "instance %s no longer exists (or is in another account/region): "
                              "nothing to contain",
                              wf->finding.instance_id);
        goto cleanup;
    }
    if (!l->n) {
        rc = cf_error_set(CF_ENOTFOUND, "instance %s no longer exists: nothing to contain",
                          wf->finding.instance_id);
        goto cleanup;
    }
    inst = &l->items[0];
    json_object_set_new(out, "instance_id", json_string(wf->finding.instance_id));
    json_object_set_new(out, "state", json_string(nz(inst->state)));
    json_object_set_new(out, "az", json_string(nz(inst->az)));
    json_object_set_new(out, "vpc_id", json_string(nz(inst->vpc_id)));
    json_object_set_new(out, "subnet_id", json_string(nz(inst->subnet_id)));
    json_object_set_new(out, "architecture", json_string(nz(inst->architecture)));
    json_object_set_new(out, "private_ip", str_or_null(inst->private_ip));
    json_object_set_new(out, "public_ip", str_or_null(inst->public_ip));
    json_object_set_new(out, "profile_arn", str_or_null(inst->iam_profile_arn));
    json_object_set_new(out, "image_id", str_or_null(inst->image_id));
    for (size_t i = 0; i < inst->n_tags; i++)
        json_array_append_new(tags, json_pack("{s:s,s:s}", "Key", nz(inst->tags[i].key), "Value",
                                              nz(inst->tags[i].value)));
    for (size_t i = 0; i < inst->n_devices; i++) {
        const cf_ec2_block_device *b = &inst->devices[i];
        if (b->volume_id && *b->volume_id)
            json_array_append_new(vols, json_pack("{s:s,s:s}", "volume_id", b->volume_id, "device",
                                                  nz(b->device_name)));
    }
    for (size_t i = 0; i < inst->n_enis; i++) {
        const cf_ec2_eni *e = &inst->enis[i];
        json_t *groups = json_array();
        for (size_t j = 0; j < e->n_groups; j++)
            json_array_append_new(groups, json_string(nz(e->groups[j].id)));
        json_array_append_new(enis,
                              json_pack("{s:s,s:s,s:s,s:o,s:i}", "eni_id", nz(e->id), "subnet_id",
                                        nz(e->subnet_id), "vpc_id", nz(e->vpc_id), "groups", groups,
                                        "device_index", e->device_index < 0 ? 0 : e->device_index));
    }
    json_object_set(out, "tags", tags);
    json_object_set(out, "volumes", vols);
    json_object_set(out, "enis", enis);
cleanup:
    json_decref(tags);
    json_decref(vols);
    json_decref(enis);
    cf_ec2_instance_list_free(l);
    return rc;
}

static void add_cidr(json_t *cidrs, const char *b)
{
    if (b && *b && !array_has_str(cidrs, b))
        json_array_append_new(cidrs, json_string(b));
}

static int triage_acls_and_vpcs(cf_wf *wf, json_t *out)
{
    json_t *enis = json_object_get(out, "enis"), *e, *acls = json_object(), *cidrs = json_array();
    json_t *vpcs = json_array();
    size_t i;
    int rc = CF_OK;
    json_array_foreach(enis, i, e)
    {
        const char *subnet = json_string_value(json_object_get(e, "subnet_id"));
        const char *vpc = json_string_value(json_object_get(e, "vpc_id"));
        if (vpc && *vpc && !array_has_str(vpcs, vpc))
            json_array_append_new(vpcs, json_string(vpc));
        if (subnet && *subnet && !json_object_get(acls, subnet)) {
            const char *sv[] = {subnet};
            const cf_ec2_filter f = {"association.subnet-id", sv, 1};
            const cf_ec2_query q = {NULL, 0, &f, 1, 0};
            cf_ec2_acl_list *l = NULL;
            rc = cf_ec2_describe_network_acls(&l, wf->aws, &q);
            if (!rc)
                json_object_set_new(acls, subnet, str_or_null(l->n ? l->items[0].id : NULL));
            cf_ec2_acl_list_free(l);
            if (rc)
                goto cleanup;
        }
    }
    json_array_foreach(vpcs, i, e)
    {
        const char *ids[] = {json_string_value(e)};
        const cf_ec2_query q = {ids, 1, NULL, 0, 0};
        cf_ec2_vpc_list *l = NULL;
        rc = cf_ec2_describe_vpcs(&l, wf->aws, &q);
        if (!rc && l->n) {
            const cf_ec2_vpc *v = &l->items[0];
            for (size_t j = 0; j < v->n_cidrs; j++)
                add_cidr(cidrs, v->cidrs[j]);
            add_cidr(cidrs, v->cidr);
            for (size_t j = 0; j < v->n_ipv6_cidrs; j++)
                add_cidr(cidrs, v->ipv6_cidrs[j]);
        }
        cf_ec2_vpc_list_free(l);
        if (rc)
            goto cleanup;
    }
    json_object_set(out, "acls", acls);
    json_object_set(out, "vpcs", vpcs);
    json_object_set(out, "vpc_cidrs", cidrs);
cleanup:
    json_decref(acls);
    json_decref(cidrs);
    json_decref(vpcs);
    return rc;
}

/* The instance's Auto Scaling lifecycle state and group ("" when in no group). */
static int asg_state(cf_wf *wf, char *group, char *state, size_t cap)
{
    const char *ids[] = {wf->finding.instance_id};
    cf_asg_instance_list *l = NULL;
    int rc = cf_asg_describe_instances(&l, wf->aws, ids, 1);
    group[0] = state[0] = '\0';
    if (!rc && l->n) {
        snprintf(group, cap, "%s", nz(l->items[0].group_name));
        snprintf(state, cap, "%s", nz(l->items[0].lifecycle_state));
    }
    cf_asg_instance_list_free(l);
    return rc;
}

static int triage_asg_and_tgs(cf_wf *wf, json_t *out)
{
    cf_elbv2_tg_list *l = NULL;
    json_t *tgs = json_array();
    char asg[256], state[256];
    int rc;
    if ((rc = asg_state(wf, asg, state, sizeof(asg))))
        goto cleanup;
    if (*asg)
        json_object_set_new(out, "asg",
                            json_pack("{s:s,s:s}", "name", asg, "lifecycle_state", state));
    /* Target groups of the instance's VPC that have it registered. */
    if ((rc = cf_elbv2_describe_target_groups(&l, wf->aws, NULL, 0, NULL)))
        goto cleanup;
    for (size_t i = 0; i < l->n; i++) {
        const cf_elbv2_target_group *tg = &l->items[i];
        cf_elbv2_health_list *h = NULL;
        if (tg->target_type && *tg->target_type && strcmp(tg->target_type, "instance"))
            continue;
        rc = cf_elbv2_describe_target_health(&h, wf->aws, tg->arn, NULL, 0);
        for (size_t j = 0; !rc && j < h->n; j++) {
            char port[16] = "";
            if (!h->items[j].id || strcmp(h->items[j].id, wf->finding.instance_id))
                continue;
            if (h->items[j].port >= 0)
                snprintf(port, sizeof(port), "%d", h->items[j].port);
            json_array_append_new(tgs, json_pack("{s:s,s:s}", "arn", tg->arn, "port", port));
        }
        cf_elbv2_health_list_free(h);
        if (rc)
            goto cleanup;
    }
    json_object_set(out, "target_groups", tgs);
cleanup:
    json_decref(tgs);
    cf_elbv2_tg_list_free(l);
    return rc;
}

static int triage_guardrails(cf_wf *wf, json_t *out)
{
    cf_cidr *allow = NULL, *vpc = NULL;
    size_t n_allow = 0, n_vpc = 0, i;
    json_t *cidrs = json_object_get(out, "vpc_cidrs"), *c;
    json_t *deny = json_array(), *refused = json_array();
    int rc;
    if ((rc = cf_cidr_list_parse(wf->cfg->allow_list, &allow, &n_allow))) {
        cf_error_wrap("allow_list");
        goto cleanup;
    }
    vpc = calloc(json_array_size(cidrs) + 1, sizeof(*vpc));
    if (!vpc) {
        rc = cf_error_set(CF_ENOMEM, "out of memory");
        goto cleanup;
    }
    json_array_foreach(cidrs, i, c)
    {
        if (cf_cidr_parse(json_string_value(c), &vpc[n_vpc]) == CF_OK)
            n_vpc++;
    }
    cf_error_clear();
    for (i = 0; i < wf->finding.n_ips; i++) {
        cf_cidr ip;
        char why[256];
        if (cf_cidr_parse(wf->finding.ips[i], &ip))
            continue;
        if (cf_guard_check_deny(&ip, allow, n_allow, vpc, n_vpc, why, sizeof(why)) == CF_OK) {
            json_array_append_new(deny, json_string(wf->finding.ips[i]));
        } else {
            json_array_append_new(refused,
                                  json_pack("{s:s,s:s}", "ip", wf->finding.ips[i], "reason", why));
            cf_wf_progress(wf, "triage", "guardrail: will not deny %s", why);
        }
    }
    json_object_set(out, "deny", deny);
    json_object_set(out, "refused", refused);
    json_object_set_new(
        out, "protected",
        json_boolean(cf_guard_is_protected(json_object_get(out, "tags"), wf->cfg->protected_tag)));
    rc = CF_OK;
cleanup:
    free(allow);
    free(vpc);
    json_decref(deny);
    json_decref(refused);
    return rc;
}

int cf_wf_step_triage(cf_wf *wf, json_t *out)
{
    int rc;
    if ((rc = triage_instance(wf, out)))
        return rc;
    if ((rc = triage_acls_and_vpcs(wf, out)))
        return rc;
    if ((rc = triage_asg_and_tgs(wf, out)))
        return rc;
    if ((rc = triage_guardrails(wf, out)))
        return rc;
    cf_wf_progress(wf, "triage",
                   "%s (%s, %s) in %s; %zu ENI(s), %zu volume(s), %zu attacker IP(s) "
                   "to deny%s%s",
                   wf->finding.instance_id, json_string_value(json_object_get(out, "state")),
                   json_string_value(json_object_get(out, "az")),
                   json_string_value(json_object_get(out, "vpc_id")),
                   json_array_size(json_object_get(out, "enis")),
                   json_array_size(json_object_get(out, "volumes")),
                   json_array_size(json_object_get(out, "deny")),
                   json_is_true(json_object_get(out, "protected")) ? "; PROTECTED" : "",
                   json_object_get(out, "asg") ? "; in an Auto Scaling group" : "");
    return CF_OK;
}

/* ---- notify -------------------------------------------------------------------------------- */

int wf_send_email(cf_wf *wf, const char *subject, const char *text, char *request_id_out)
{
    char *list = strdup(wf->cfg->recipients ? wf->cfg->recipients : ""), *save = NULL, *t;
    const char *to[50];
    cf_ses_email e = {0};
    int rc;
    request_id_out[0] = '\0';
    if (!list)
        return cf_error_set(CF_ENOMEM, "out of memory");
    /* recipients: comma-separated, blanks around each address trimmed, at most 50 */
    for (t = strtok_r(list, ",", &save); t && e.n_to < 50; t = strtok_r(NULL, ",", &save)) {
        size_t n;
        while (*t == ' ')
            t++;
        for (n = strlen(t); n && t[n - 1] == ' ';)
            t[--n] = '\0';
        if (*t)
            to[e.n_to++] = t;
    }
    e.from = wf->cfg->sender;
    e.to = to;
    e.subject = subject;
    e.text = text;
    rc = cf_ses_send_email(NULL, wf->aws, &e);
    snprintf(request_id_out, 128, "%s", cf_ses_last_request_id());
    free(list);
    return rc;
}

static const char *next_steps_text(cf_wf *wf, json_t *tri)
{
    if (json_is_true(json_object_get(tri, "protected")) && !wf->cfg->override_protected)
        return "deny the attacker addresses in the network ACL, capture volatile state, snapshot "
               "the disks and collect evidence. The instance is tagged as protected: it will NOT "
               "be isolated without an explicit override.";
    return "deny the attacker addresses in the network ACL, capture volatile state through SSM, "
           "isolate the instance (security groups, load balancers, Auto Scaling), snapshot its "
           "disks, collect and analyse the evidence, and send a report.";
}

int cf_wf_step_notify(cf_wf *wf, json_t *out)
{
    json_t *tri = cf_wf_output(wf, "triage");
    cf_buf text = CF_BUF_INIT(64 * 1024);
    char subject[512], reqid[128] = "";
    const char *key = "ses:notify";
    int rc;
    if (!wf->cfg->sender || !wf->cfg->recipients) {
        json_object_set_new(out, "skipped", json_string("no sender/recipients configured"));
        return CF_OK;
    }
    snprintf(subject, sizeof(subject), "[casefile] %s on %s (severity %.1f) - case %s",
             wf->finding.type, wf->finding.instance_id, wf->finding.severity, wf->case_id);
    rc =
        cf_buf_addf(&text,
                    "GuardDuty reported a compromised EC2 instance. casefile has opened a case.\n\n"
                    "Case:          %s\n"
                    "Finding:       %s\n"
                    "Type:          %s\n"
                    "Severity:      %.1f\n"
                    "Instance:      %s\n"
                    "Availability:  %s\n"
                    "Account:       %s\n"
                    "Attacker IPs:  ",
                    wf->case_id, wf->finding.id, wf->finding.type, wf->finding.severity,
                    wf->finding.instance_id, json_string_value(json_object_get(tri, "az")),
                    wf->finding.account_id);
    for (size_t i = 0; !rc && i < wf->finding.n_ips; i++)
        rc = cf_buf_addf(&text, "%s%s", i ? ", " : "", wf->finding.ips[i]);
    if (!rc)
        rc = cf_buf_addf(&text,
                         "%s\n\nWhat casefile does now: %s\n\nFollow it with: "
                         "casefile status %s\n",
                         wf->finding.n_ips ? "" : "none in the finding", next_steps_text(wf, tri),
                         wf->case_id);
    if (rc)
        goto cleanup;
    rc = cf_wf_change_begin(wf, "notify", key, "ses:SendEmail", wf->cfg->recipients,
                            "e-mail the responders", NULL);
    if (rc < 0)
        goto cleanup;
    if (rc == 1) {
        json_object_set_new(out, "sent", json_string(wf->dry_run ? "dry-run" : "earlier"));
        rc = CF_OK;
        goto cleanup;
    }
    {
        /* The alert as the report part renders it (same look as the final report), or plain
         * text when that part is not built. */
        cf_buf mime = CF_BUF_INIT(1u << 20);
        rc = wf_alert_mime(wf, &mime);
        if (rc == CF_OK)
            rc = wf_send_raw_email(wf, mime.data, mime.len, reqid);
        else if (rc == CF_ENOTFOUND)
            rc = wf_send_email(wf, subject, cf_buf_cstr(&text), reqid);
        cf_buf_release(&mime);
    }
    if (rc) {
        cf_error saved;
        cf_error_save(&saved);
        cf_wf_change_end(wf, "notify", key, "ses:SendEmail", wf->cfg->recipients, NULL,
                         saved.request_id, "error", saved.msg);
        cf_error_restore(&saved);
        goto cleanup;
    }
    cf_wf_change_end(wf, "notify", key, "ses:SendEmail", wf->cfg->recipients, NULL, reqid, "ok",
                     subject);
    cf_wf_progress(wf, "notify", "e-mailed %s", wf->cfg->recipients);
    json_object_set_new(out, "sent", json_string("now"));
    json_object_set_new(out, "to", json_string(wf->cfg->recipients));
cleanup:
    cf_buf_release(&text);
    return rc;
}

/* ---- block_ip ------------------------------------------------------------------------------ */

#define MAX_ACL_ENTRIES 256

static int acl_describe(cf_wf *wf, const char *acl, cf_acl_entry *e, size_t *n)
{
    const char *ids[] = {acl};
    const cf_ec2_query q = {ids, 1, NULL, 0, 0};
    cf_ec2_acl_list *l = NULL;
    int rc = cf_ec2_describe_network_acls(&l, wf->aws, &q);
    *n = 0;
    for (size_t i = 0; !rc && l->n && i < l->items[0].n_entries && *n < MAX_ACL_ENTRIES; i++) {
        const cf_ec2_acl_entry *a = &l->items[0].entries[i];
        const char *c = a->cidr && *a->cidr ? a->cidr : a->ipv6_cidr;
        cf_acl_entry *x = &e[(*n)++];
        memset(x, 0, sizeof(*x));
        x->rule = a->rule_number;
        x->egress = a->egress;
        x->allow = a->action && !strcmp(a->action, "allow");
        x->has_cidr = c && cf_cidr_parse(c, &x->cidr) == CF_OK;
    }
    if (!rc)
        cf_error_clear();
    cf_ec2_acl_list_free(l);
    return rc;
}

/* Denies one CIDR in one direction of one ACL. Returns CF_OK (done or found done), CF_ETOOBIG
 * when the ACL is full, another code on failure. */
static int deny_one(cf_wf *wf, const char *acl, cf_acl_entry *e, size_t *n, int egress,
                    const cf_cidr *cidr, json_t *done)
{
    char key[256], txt[CF_CIDR_STR_MAX], num[16], detail[256], *prev = NULL;
    const char *dir = egress ? "out" : "in";
    int rc, rule, tries;
    cf_cidr_format(cidr, txt);
    snprintf(key, sizeof(key), "acl-deny:%s:%s:%s", acl, dir, txt);
    snprintf(detail, sizeof(detail), "deny %s %sbound in %s", txt, egress ? "out" : "in", acl);
    rule = cf_guard_acl_find_deny(e, *n, egress, cidr);
    if (rule) {
        /* Already there (earlier run, crash before the record, or someone else): look, not act. */
        if (wf_done(wf, key) != 1) {
            snprintf(num, sizeof(num), "rule %d", rule);
            cf_wf_change_end(wf, "block_ip", key, "ec2:CreateNetworkAclEntry", acl, NULL, NULL,
                             "exists", num);
        }
        json_array_append_new(done, json_pack("{s:s,s:s,s:i,s:s}", "cidr", txt, "direction", dir,
                                              "rule", rule, "result", "exists"));
        return CF_OK;
    }
    rc = cf_wf_change_begin(wf, "block_ip", key, "ec2:CreateNetworkAclEntry", acl, detail, &prev);
    free(prev);
    if (rc < 0)
        return rc;
    if (rc == 1) {
        json_array_append_new(done, json_pack("{s:s,s:s,s:s}", "cidr", txt, "direction", dir,
                                              "result", wf->dry_run ? "dry-run" : "recorded"));
        return CF_OK;
    }
    for (tries = 0; tries < 5; tries++) {
        cf_ec2_acl_entry_spec spec = {0};
        char params[256];
        if ((rc = cf_guard_acl_pick(e, *n, egress, wf->cfg->acl_rule_min, wf->cfg->acl_rule_max,
                                    wf->cfg->acl_max_entries, &rule))) {
            cf_error saved;
            cf_error_save(&saved);
            cf_wf_progress(wf, "block_ip", "%s: %s", acl, saved.msg);
            cf_wf_change_end(wf, "block_ip", key, "ec2:CreateNetworkAclEntry", acl, NULL, NULL,
                             "error", saved.msg);
            json_array_append_new(done, json_pack("{s:s,s:s,s:s,s:s}", "cidr", txt, "direction",
                                                  dir, "result", "acl-full", "error", saved.msg));
            cf_error_restore(&saved);
            return rc;
        }
        spec.acl_id = acl;
        spec.rule_number = rule;
        spec.egress = egress;
        spec.protocol = "-1";
        spec.action = "deny";
        if (cidr->family == 4)
            spec.cidr = txt;
        else
            spec.ipv6_cidr = txt;
        rc = cf_ec2_create_network_acl_entry(wf->aws, &spec, 0);
        snprintf(params, sizeof(params), "{\"rule\":%d,\"egress\":%s,\"cidr\":\"%s\"}", rule,
                 egress ? "true" : "false", txt);
        if (rc == CF_OK) {
            snprintf(detail, sizeof(detail), "rule %d", rule);
            cf_wf_change_end(wf, "block_ip", key, "ec2:CreateNetworkAclEntry", acl, params,
                             cf_ec2_last_request_id(), "ok", detail);
            if (*n < MAX_ACL_ENTRIES) {
                cf_acl_entry *x = &e[(*n)++];
                memset(x, 0, sizeof(*x));
                x->rule = rule;
                x->egress = egress;
                x->has_cidr = 1;
                x->cidr = *cidr;
            }
            cf_wf_progress(wf, "block_ip", "denied %s %sbound in %s (rule %d)", txt, dir, acl,
                           rule);
            json_array_append_new(done, json_pack("{s:s,s:s,s:i,s:s}", "cidr", txt, "direction",
                                                  dir, "rule", rule, "result", "ok"));
        }
        if (rc == CF_OK)
            return CF_OK;
        if (!cf_aws_error_is("NetworkAclEntryAlreadyExists"))
            break;
        /* Someone took that number meanwhile: look again and pick another. */
        if ((rc = acl_describe(wf, acl, e, n)))
            break;
        if ((rule = cf_guard_acl_find_deny(e, *n, egress, cidr))) {
            cf_wf_change_end(wf, "block_ip", key, "ec2:CreateNetworkAclEntry", acl, NULL, NULL,
                             "exists", "found after a conflict");
            return CF_OK;
        }
    }
    {
        cf_error saved;
        cf_error_save(&saved);
        cf_wf_change_end(wf, "block_ip", key, "ec2:CreateNetworkAclEntry", acl, NULL,
                         saved.request_id, "error", saved.msg);
        cf_error_restore(&saved);
    }
    return rc;
}

/* 1 when the JSON Lines list holds an entry whose "ip" is the same address/prefix as cidr
 * (compared parsed, so "203.0.113.7" and "203.0.113.7/32" are the same). Malformed lines are
 * skipped: the list may be edited by other tools. */
static int iplist_has(const cf_buf *body, const char *cidr)
{
    cf_cidr want, got;
    const char *p = body->data, *end = body->data ? body->data + body->len : NULL;
    if (!p || cf_cidr_parse(cidr, &want))
        return 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        json_t *line = NULL;
        if (n && cf_json_parse(p, n, &line) == CF_OK) {
            const char *v = json_string_value(json_object_get(line, "ip"));
            int same = v && cf_cidr_parse(v, &got) == CF_OK && got.family == want.family &&
                       got.prefix == want.prefix && !memcmp(got.addr, want.addr, 16);
            json_decref(line);
            if (same)
                return 1;
        }
        p += n + 1;
    }
    cf_error_clear();
    return 0;
}

/* Appends the denied IPs to the malicious-IP list with a conditional write (If-Match on the ETag
 * read, If-None-Match: * for a new object) and retries on a conflict, so concurrent cases never
 * lose each other's lines. An IP already listed is not added again. */
static int iplist_update(cf_wf *wf, json_t *deny, json_t *out)
{
    const char *bucket = wf->cfg->ip_bucket ? wf->cfg->ip_bucket : wf->cfg->evidence_bucket;
    const char *key = wf->cfg->ip_list_key;
    json_t *added = json_array();
    int rc = CF_OK, attempt;
    if (!bucket || !key || !json_array_size(deny)) {
        json_object_set_new(out, "ip_list",
                            json_string(bucket ? "nothing to add" : "no ip_bucket configured"));
        json_decref(added);
        return CF_OK;
    }
    for (attempt = 0; attempt < 8; attempt++) {
        cf_buf body = CF_BUF_INIT(64u << 20);
        char etag[128] = "", ts[CF_TIME_STR_MAX], reqid[128] = "";
        size_t i, pending = 0;
        json_t *ip;
        int exists = 1;
        json_array_clear(added);
        rc = wf_s3_get(wf, bucket, key, 64u << 20, &body, etag);
        if (rc == CF_ENOTFOUND) {
            exists = 0;
            rc = CF_OK;
            cf_error_clear();
        }
        cf_time_format(cf_time_now(), ts);
        json_array_foreach(deny, i, ip)
        {
            char ikey[256];
            const char *s = json_string_value(ip);
            snprintf(ikey, sizeof(ikey), "ip-list:%s", s);
            if (rc)
                break;
            if (iplist_has(&body, s)) {
                if (wf_done(wf, ikey) != 1)
                    cf_wf_change_end(wf, "block_ip", ikey, "s3:PutObject", key, NULL, NULL,
                                     "exists", "already listed");
                continue;
            }
            if (cf_wf_change_begin(wf, "block_ip", ikey, "s3:PutObject", key,
                                   "add the IP to the malicious-IP list", NULL) == 1)
                continue;
            {
                json_t *line = json_pack("{s:s,s:s,s:s,s:s}", "ip", s, "case_id", wf->case_id,
                                         "finding_id", wf->finding.id, "added_at", ts);
                char *txt = json_dumps(line, JSON_COMPACT);
                if (body.len && body.data[body.len - 1] != '\n')
                    rc = cf_buf_addch(&body, '\n');
                if (!rc)
                    rc = txt ? cf_buf_addf(&body, "%s\n", txt) : CF_ENOMEM;
                free(txt);
                json_decref(line);
                json_array_append_new(added, json_string(s));
                pending++;
            }
        }
        if (!rc && pending)
            rc = wf_s3_put(wf, bucket, key, body.data, body.len, NULL, exists ? etag : NULL,
                           !exists, reqid);
        cf_buf_release(&body);
        if (rc == CF_EEXISTS) {
            cf_error_clear();
            wf_sleep_ms(50 * (attempt + 1));
            continue;
        }
        if (!rc) {
            json_array_foreach(added, i, ip)
            {
                char ikey[256];
                snprintf(ikey, sizeof(ikey), "ip-list:%s", json_string_value(ip));
                cf_wf_change_end(wf, "block_ip", ikey, "s3:PutObject", key, NULL, reqid, "ok",
                                 bucket);
            }
            if (pending)
                cf_wf_progress(wf, "block_ip", "added %zu IP(s) to s3://%s/%s", pending, bucket,
                               key);
        }
        break;
    }
    if (attempt == 8)
        rc = cf_error_set(CF_ETIMEOUT, "s3://%s/%s kept changing: gave up after 8 attempts", bucket,
                          key);
    json_object_set(out, "ip_list_added", added);
    json_decref(added);
    return rc;
}

int cf_wf_step_block_ip(cf_wf *wf, json_t *out)
{
    json_t *tri = cf_wf_output(wf, "triage"), *deny = json_object_get(tri, "deny");
    json_t *acls = json_object_get(tri, "acls"), *done = json_array(), *aclv, *ip;
    cf_acl_entry *e = NULL;
    const char *subnet;
    size_t n = 0, i;
    int rc = CF_OK, full = 0, failed = 0;
    cf_error first = {0};
    json_object_set(out, "entries", done);
    if (!json_array_size(deny)) {
        json_object_set_new(out, "skipped",
                            json_string(wf->finding.n_ips ? "every attacker IP is guarded"
                                                          : "the finding names no attacker IP"));
        goto cleanup;
    }
    e = calloc(MAX_ACL_ENTRIES, sizeof(*e));
    if (!e) {
        rc = cf_error_set(CF_ENOMEM, "out of memory");
        goto cleanup;
    }
    json_object_foreach(acls, subnet, aclv)
    {
        const char *acl = json_string_value(aclv);
        if (!acl)
            continue;
        if ((rc = acl_describe(wf, acl, e, &n)))
            goto cleanup;
        json_array_foreach(deny, i, ip)
        {
            cf_cidr c;
            if (cf_cidr_parse(json_string_value(ip), &c))
                continue;
            for (int egress = 0; egress < 2; egress++) {
                int r = deny_one(wf, acl, e, &n, egress, &c, done);
                if (r == CF_ETOOBIG)
                    full = 1;
                if (r) {
                    if (!failed)
                        cf_error_save(&first);
                    failed = 1;
                }
            }
        }
    }
    /* The IP list is written even when the ACL is full: it is the record other tools read. */
    rc = iplist_update(wf, deny, out);
    if (!rc && failed) {
        cf_error_restore(&first);
        rc = first.code ? first.code : CF_ERR;
    }
    json_object_set_new(out, "acl_full", json_boolean(full));
cleanup:
    json_decref(done);
    free(e);
    return rc;
}

/* ---- isolate ------------------------------------------------------------------------------- */

/* A change's journal start: 0 to go on, 1 when there is nothing to do (found done in the
 * journal, or dry-run), <0 on error. */
static int change_start(cf_wf *wf, const char *step, const char *key, const char *call,
                        const char *target, const char *what)
{
    return cf_wf_change_begin(wf, step, key, call, target, what, NULL);
}

/* A change's journal end for the typed call that returned rc: on success reqid and `what` (also
 * printed), on failure the error's request id and message. Returns rc. */
static int change_done(cf_wf *wf, const char *step, const char *key, const char *call,
                       const char *target, const char *what, int rc, const char *reqid)
{
    if (rc) {
        cf_error saved;
        cf_error_save(&saved);
        cf_wf_change_end(wf, step, key, call, target, NULL, saved.request_id, "error", saved.msg);
        cf_error_restore(&saved);
        return rc;
    }
    cf_wf_change_end(wf, step, key, call, target, NULL, reqid, "ok", what);
    cf_wf_progress(wf, step, "%s", what);
    return CF_OK;
}

#define CHANGE(step, key, call, target, what, expr, reqid_fn)                                      \
    do {                                                                                           \
        int s_ = change_start(wf, (step), (key), (call), (target), (what));                        \
        if (s_ != 0) {                                                                             \
            rc = s_ < 0 ? s_ : CF_OK;                                                              \
        } else {                                                                                   \
            rc = (expr);                                                                           \
            rc = change_done(wf, (step), (key), (call), (target), (what), rc,                      \
                             rc ? NULL : reqid_fn());                                              \
        }                                                                                          \
    } while (0)

static const char *ec2_reqid(void)
{
    return cf_ec2_last_request_id();
}

/* Finds or creates the casefile group `name` in vpc; open = allow all (untracking group), else
 * no rules at all (isolation group). */
static int ensure_group(cf_wf *wf, const char *vpc, const char *name, int open, char *gid,
                        size_t cap)
{
    const char *name_v[] = {name}, *vpc_v[] = {vpc}, *any4[] = {"0.0.0.0/0"}, *any6[] = {"::/0"};
    const cf_ec2_filter f[] = {{"group-name", name_v, 1}, {"vpc-id", vpc_v, 1}};
    const cf_ec2_query q = {NULL, 0, f, 2, 0};
    cf_ec2_sg_list *l = NULL;
    cf_ec2_tag_spec tags[4];
    char key[256], *new_id = NULL;
    int rc, has_in = 0, has_out = 0;
    gid[0] = '\0';
    if ((rc = cf_ec2_describe_security_groups(&l, wf->aws, &q)))
        goto cleanup;
    if (l->n) {
        snprintf(gid, cap, "%s", nz(l->items[0].id));
        has_in = l->items[0].n_ingress > 0;
        has_out = l->items[0].n_egress > 0;
    }
    if (!*gid) {
        snprintf(key, sizeof(key), "sg-create:%s:%s", vpc, name);
        rc = cf_wf_change_begin(wf, "isolate", key, "ec2:CreateSecurityGroup", vpc,
                                open ? "create the all-open untracking security group"
                                     : "create the empty isolation security group",
                                NULL);
        if (rc < 0)
            goto cleanup;
        if (rc == 1) { /* dry-run (a recorded creation would have been found above) */
            snprintf(gid, cap, "(new %s)", name);
            rc = CF_OK;
            goto cleanup;
        }
        rc = cf_ec2_create_security_group(
            &new_id, wf->aws, name,
            open ? "casefile: allow-all step so tracked connections become untracked"
                 : "casefile: isolation, no rules",
            vpc, tags, wf_case_tags(wf, NULL, tags, 4), 0);
        snprintf(gid, cap, "%s", nz(new_id));
        if (rc) {
            cf_error saved;
            cf_error_save(&saved);
            cf_wf_change_end(wf, "isolate", key, "ec2:CreateSecurityGroup", vpc, NULL,
                             saved.request_id, "error", saved.msg);
            cf_error_restore(&saved);
            goto cleanup;
        }
        cf_wf_change_end(wf, "isolate", key, "ec2:CreateSecurityGroup", vpc, NULL,
                         cf_ec2_last_request_id(), "ok", gid);
        cf_wf_progress(wf, "isolate", "created %s %s in %s", name, gid, vpc);
        has_out = 1; /* a new group allows all egress */
    }
    if (open && !has_in) {
        const cf_ec2_ip_perm_spec all = {"-1", -1, -1, any4, 1, any6, 1, NULL, 0};
        snprintf(key, sizeof(key), "sg-open-in:%s", gid);
        CHANGE("isolate", key, "ec2:AuthorizeSecurityGroupIngress", gid,
               "open the untracking group to all inbound traffic",
               cf_ec2_authorize_security_group_ingress(wf->aws, gid, &all, 1, 0), ec2_reqid);
        if (rc)
            goto cleanup;
    }
    if (!open && has_out) {
        const cf_ec2_ip_perm_spec all = {"-1", -1, -1, any4, 1, NULL, 0, NULL, 0};
        snprintf(key, sizeof(key), "sg-close-out:%s", gid);
        CHANGE("isolate", key, "ec2:RevokeSecurityGroupEgress", gid,
               "remove the isolation group's default egress rule",
               cf_ec2_revoke_security_group_egress(wf->aws, gid, &all, 1, 0), ec2_reqid);
    }
cleanup:
    free(new_id);
    cf_ec2_sg_list_free(l);
    return rc;
}

/* The ENI's current groups, as a JSON array (new reference) or NULL on error. */
static json_t *eni_groups(cf_wf *wf, const char *eni)
{
    const char *ids[] = {eni};
    const cf_ec2_query q = {ids, 1, NULL, 0, 0};
    cf_ec2_eni_list *l = NULL;
    json_t *arr = NULL;
    if (cf_ec2_describe_network_interfaces(&l, wf->aws, &q) == CF_OK) {
        arr = json_array();
        for (size_t i = 0; l->n && i < l->items[0].n_groups; i++)
            json_array_append_new(arr, json_string(nz(l->items[0].groups[i].id)));
    }
    cf_ec2_eni_list_free(l);
    return arr;
}

/* The strings of a JSON array as a C array (borrowed; caller frees the array). */
static const char **json_strs(json_t *arr, size_t *n)
{
    const char **v = calloc(json_array_size(arr) + 1, sizeof(*v));
    json_t *g;
    size_t j;
    *n = 0;
    if (!v)
        return NULL;
    json_array_foreach(arr, j, g) if (json_is_string(g)) v[(*n)++] = json_string_value(g);
    return v;
}

static void revert_eni(cf_wf *wf, const char *eni, json_t *groups)
{
    cf_error saved;
    size_t n;
    const char **g;
    char key[128];
    int rc;
    cf_error_save(&saved);
    g = json_strs(groups, &n);
    rc =
        g ? cf_ec2_set_eni_groups(wf->aws, eni, g, n, 0) : cf_error_set(CF_ENOMEM, "out of memory");
    free(g);
    snprintf(key, sizeof(key), "eni-revert:%s", eni);
    cf_wf_change_end(wf, "isolate", key, "ec2:ModifyNetworkInterfaceAttribute", eni, NULL,
                     wf_ec2_reqid(rc), rc ? "error" : "ok",
                     rc ? cf_error_last()->msg : "isolation failed: back on its original groups");
    cf_wf_progress(wf, "isolate", "%s: isolation FAILED; %s", eni,
                   rc ? "could NOT put it back on its original groups: it is on the all-open "
                        "untracking group, fix it by hand"
                      : "back on its original groups");
    cf_error_restore(&saved);
}

static int isolate_enis(cf_wf *wf, json_t *tri, json_t *out)
{
    json_t *enis = json_object_get(tri, "enis"), *e, *groups = json_object();
    size_t i;
    int rc = CF_OK;
    json_array_foreach(enis, i, e)
    {
        const char *eni = json_string_value(json_object_get(e, "eni_id"));
        const char *vpc = json_string_value(json_object_get(e, "vpc_id"));
        char untrack[64], iso[64], uname[128], iname[128], key[256];
        json_t *cur;
        if (!eni || !vpc)
            continue;
        snprintf(uname, sizeof(uname), "casefile-untrack-%s", vpc);
        snprintf(iname, sizeof(iname), "casefile-isolation-%s", vpc);
        if ((rc = ensure_group(wf, vpc, uname, 1, untrack, sizeof(untrack))))
            break;
        if ((rc = ensure_group(wf, vpc, iname, 0, iso, sizeof(iso))))
            break;
        json_object_set_new(groups, vpc, json_string(iso));
        cur = eni_groups(wf, eni);
        if (!cur) {
            rc = cf_error_last()->code ? cf_error_last()->code : CF_ERR;
            break;
        }
        if (json_array_size(cur) == 1 && array_has_str(cur, iso)) {
            snprintf(key, sizeof(key), "eni-isolate:%s", eni);
            if (wf_done(wf, key) != 1)
                cf_wf_change_end(wf, "isolate", key, "ec2:ModifyNetworkInterfaceAttribute", eni,
                                 NULL, NULL, "exists", iso);
            json_decref(cur);
            continue;
        }
        json_decref(cur);
        {
            const char *g1[] = {untrack}, *g2[] = {iso};
            char what[256];
            snprintf(key, sizeof(key), "eni-untrack:%s", eni);
            snprintf(what, sizeof(what), "put %s on the untracking group %s", eni, untrack);
            CHANGE("isolate", key, "ec2:ModifyNetworkInterfaceAttribute", eni, what,
                   cf_ec2_set_eni_groups(wf->aws, eni, g1, 1, 0), ec2_reqid);
            if (rc)
                break;
            snprintf(key, sizeof(key), "eni-isolate:%s", eni);
            snprintf(what, sizeof(what), "put %s on the isolation group %s only", eni, iso);
            CHANGE("isolate", key, "ec2:ModifyNetworkInterfaceAttribute", eni, what,
                   cf_ec2_set_eni_groups(wf->aws, eni, g2, 1, 0), ec2_reqid);
            if (rc) {
                /* Never leave an interface on the all-open untracking group: back to its
                 * original groups, and the step fails loudly. */
                revert_eni(wf, eni, json_object_get(e, "groups"));
                break;
            }
        }
        /* The primary ENI's groups are also the instance's: set that view too (the same
         * change in AWS, a separate one in moto, which unions the two). */
        if (json_integer_value(json_object_get(e, "device_index")) == 0) {
            const char *g3[] = {iso};
            char what[256];
            snprintf(key, sizeof(key), "instance-groups:%s", wf->finding.instance_id);
            snprintf(what, sizeof(what), "put %s (primary interface) on %s only",
                     wf->finding.instance_id, iso);
            CHANGE("isolate", key, "ec2:ModifyInstanceAttribute", wf->finding.instance_id, what,
                   cf_ec2_set_instance_groups(wf->aws, wf->finding.instance_id, g3, 1, 0),
                   ec2_reqid);
            if (rc)
                break;
        }
    }
    json_object_set_new(out, "isolation_groups", groups);
    return rc;
}

static int instance_attribute(cf_wf *wf, const char *attr, char *val, size_t cap)
{
    char *v = NULL;
    int rc = cf_ec2_get_instance_attribute(&v, wf->aws, wf->finding.instance_id, attr);
    snprintf(val, cap, "%s", nz(v));
    free(v);
    return rc;
}

static int isolate_instance(cf_wf *wf, json_t *out)
{
    char term[32] = "", shut[32] = "";
    const char *id = wf->finding.instance_id, *ids[] = {id};
    const cf_ec2_tag_spec tags[] = {{"casefile:case", wf->case_id}, {"casefile:isolated", "true"}};
    int rc;
    if ((rc = instance_attribute(wf, "disableApiTermination", term, sizeof(term))))
        return rc;
    if ((rc = instance_attribute(wf, "instanceInitiatedShutdownBehavior", shut, sizeof(shut))))
        return rc;
    /* Record what was there before the first change, for `casefile release`. */
    if (!json_object_get(out, "original_termination_protection")) {
        json_object_set_new(out, "original_termination_protection", json_string(term));
        json_object_set_new(out, "original_shutdown_behavior", json_string(shut));
    }
    if (strcmp(term, "true")) {
        CHANGE("isolate", "termination-protection", "ec2:ModifyInstanceAttribute", id,
               "turn termination protection on",
               cf_ec2_set_termination_protection(wf->aws, id, 1, 0), ec2_reqid);
        if (rc)
            return rc;
    }
    if (strcmp(shut, "stop")) {
        CHANGE("isolate", "shutdown-behavior", "ec2:ModifyInstanceAttribute", id,
               "make a shutdown stop (not terminate) it",
               cf_ec2_set_shutdown_behavior(wf->aws, id, "stop", 0), ec2_reqid);
        if (rc)
            return rc;
    }
    CHANGE("isolate", "tag-instance", "ec2:CreateTags", id, "tag the instance with the case",
           cf_ec2_create_tags(wf->aws, ids, 1, tags, 2, 0), ec2_reqid);
    return rc;
}

static int isolate_asg_tgs(cf_wf *wf, json_t *tri)
{
    json_t *tgs = json_object_get(tri, "target_groups"), *t, *asg = json_object_get(tri, "asg");
    size_t i;
    int rc = CF_OK;
    const char *id = wf->finding.instance_id, *ids[] = {id};
    json_array_foreach(tgs, i, t)
    {
        const char *arn = json_string_value(json_object_get(t, "arn"));
        const char *port = json_string_value(json_object_get(t, "port"));
        cf_elbv2_target target = {id, port && *port ? atoi(port) : 0, NULL};
        char key[512];
        snprintf(key, sizeof(key), "tg-deregister:%s", arn);
        CHANGE("isolate", key, "elasticloadbalancing:DeregisterTargets", arn,
               "deregister from the target group",
               cf_elbv2_deregister_targets(wf->aws, arn, &target, 1), cf_elbv2_last_request_id);
        if (rc)
            return rc;
    }
    if (asg) {
        const char *name = json_string_value(json_object_get(asg, "name"));
        char group[256], st[256];
        /* Look at the current state: an earlier run may have done it already. */
        if ((rc = asg_state(wf, group, st, sizeof(st))))
            return rc;
        if (!*st) {
            if (wf_done(wf, "asg") != 1)
                cf_wf_change_end(wf, "isolate", "asg", "autoscaling:DetachInstances", name, NULL,
                                 NULL, "exists", "no longer in the group");
        } else if (!strncmp(st, "Standby", 7) || !strncmp(st, "EnteringStandby", 15)) {
            if (wf_done(wf, "asg") != 1)
                cf_wf_change_end(wf, "isolate", "asg", "autoscaling:EnterStandby", name, NULL, NULL,
                                 "exists", st);
        } else if (!strcmp(wf->cfg->asg_action, "detach")) {
            CHANGE("isolate", "asg", "autoscaling:DetachInstances", name,
                   "detach it from its Auto Scaling group",
                   cf_asg_detach_instances(NULL, wf->aws, name, ids, 1, 1), cf_asg_last_request_id);
        } else {
            CHANGE("isolate", "asg", "autoscaling:EnterStandby", name,
                   "move it to Auto Scaling standby (not replaced, not terminated)",
                   cf_asg_enter_standby(NULL, wf->aws, name, ids, 1, 1), cf_asg_last_request_id);
        }
    }
    return rc;
}

static int isolate_profile(cf_wf *wf, json_t *tri)
{
    const char *ids[] = {wf->finding.instance_id};
    const cf_ec2_filter f = {"instance-id", ids, 1};
    const cf_ec2_query q = {NULL, 0, &f, 1, 0};
    cf_iam_instance_profile *prof = NULL;
    cf_ec2_profile_assoc_list *al = NULL;
    char assoc[128] = "", role[256] = "", ts[CF_TIME_STR_MAX], pname[160], *doc = NULL;
    const char *arn = json_string_value(json_object_get(tri, "profile_arn")), *slash;
    int rc;
    if (!wf->cfg->swap_profile || !arn)
        return CF_OK;
    /* The role behind the current profile, whose sessions get revoked. */
    slash = strrchr(arn, '/');
    if ((rc = cf_iam_get_instance_profile(&prof, wf->aws, slash ? slash + 1 : arn)))
        goto cleanup;
    if (prof->n_roles)
        snprintf(role, sizeof(role), "%s", nz(prof->roles[0].name));
    if ((rc = cf_ec2_describe_iam_instance_profile_associations(&al, wf->aws, &q)))
        goto cleanup;
    if (al->n)
        snprintf(assoc, sizeof(assoc), "%s", nz(al->items[0].id));
    if (*assoc) {
        CHANGE("isolate", "profile-swap", "ec2:ReplaceIamInstanceProfileAssociation",
               wf->finding.instance_id, "replace the instance profile with the quarantine profile",
               cf_ec2_replace_iam_instance_profile_association(
                   NULL, wf->aws, assoc, wf->cfg->quarantine_profile, NULL, 0),
               ec2_reqid);
        if (rc)
            goto cleanup;
    }
    if (*role) {
        cf_time_format_sec(cf_time_now(), ts);
        snprintf(pname, sizeof(pname), "casefile-revoke-%s", wf->case_id);
        if (asprintf(&doc,
                     "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\","
                     "\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"DateLessThan\":"
                     "{\"aws:TokenIssueTime\":\"%s\"}}}]}",
                     ts) < 0) {
            doc = NULL;
            rc = cf_error_set(CF_ENOMEM, "out of memory");
            goto cleanup;
        }
        CHANGE("isolate", "revoke-sessions", "iam:PutRolePolicy", role,
               "revoke the role's active sessions (aws:TokenIssueTime)",
               cf_iam_put_role_policy(wf->aws, role, pname, doc), cf_iam_last_request_id);
    }
cleanup:
    free(doc);
    cf_iam_instance_profile_free(prof);
    cf_ec2_profile_assoc_list_free(al);
    return rc;
}

int cf_wf_step_isolate(cf_wf *wf, json_t *out)
{
    json_t *tri = cf_wf_output(wf, "triage");
    int rc;
    if (json_is_true(json_object_get(tri, "protected")) && !wf->cfg->override_protected) {
        char msg[512];
        snprintf(msg, sizeof(msg),
                 "the instance carries the protected tag %s; not isolated (override with "
                 "--override-protected)",
                 wf->cfg->protected_tag);
        cf_wf_progress(wf, "isolate", "GUARDRAIL: %s", msg);
        json_object_set_new(out, "skipped", json_string(msg));
        return CF_OK;
    }
    json_object_set(out, "original_groups", json_object_get(tri, "enis"));
    if ((rc = isolate_enis(wf, tri, out)))
        return rc;
    if ((rc = isolate_asg_tgs(wf, tri)))
        return rc;
    if ((rc = isolate_instance(wf, out)))
        return rc;
    return isolate_profile(wf, tri);
}

/* ---- release ------------------------------------------------------------------------------- */

int cf_wf_release(cf_wf *wf)
{
    json_t *iso = cf_wf_output(wf, "isolate"), *enis, *e;
    const char *id = wf->finding.instance_id;
    size_t i;
    int rc = CF_OK;
    char key[256];
    if (!iso || json_object_get(iso, "skipped"))
        return cf_error_set(CF_EINVAL, "case %s has no isolation to release", wf->case_id);
    enis = json_object_get(iso, "original_groups");
    json_array_foreach(enis, i, e)
    {
        const char *eni = json_string_value(json_object_get(e, "eni_id"));
        json_t *groups = json_object_get(e, "groups");
        const char **g;
        size_t n;
        if (!eni)
            continue;
        snprintf(key, sizeof(key), "release-eni:%s", eni);
        rc = cf_wf_change_begin(wf, "release", key, "ec2:ModifyNetworkInterfaceAttribute", eni,
                                "restore the original security groups", NULL);
        if (rc == 1) {
            rc = CF_OK;
            continue;
        }
        if (rc < 0)
            break;
        g = json_strs(groups, &n);
        rc = g ? cf_ec2_set_eni_groups(wf->aws, eni, g, n, 0)
               : cf_error_set(CF_ENOMEM, "out of memory");
        cf_wf_change_end(wf, "release", key, "ec2:ModifyNetworkInterfaceAttribute", eni, NULL,
                         wf_ec2_reqid(rc), rc ? "error" : "ok", rc ? cf_error_last()->msg : NULL);
        if (!rc && json_integer_value(json_object_get(e, "device_index")) == 0) {
            /* The instance's view of the primary interface (see isolate). */
            rc = cf_ec2_set_instance_groups(wf->aws, id, g, n, 0);
            cf_wf_change_end(wf, "release", "release-instance-groups",
                             "ec2:ModifyInstanceAttribute", id, NULL, wf_ec2_reqid(rc),
                             rc ? "error" : "ok", rc ? cf_error_last()->msg : NULL);
        }
        free(g);
        if (!rc)
            cf_wf_progress(wf, "release", "%s back on its %zu original group(s)", eni,
                           json_array_size(groups));
        if (rc)
            break;
    }
    if (!rc) {
        const char *term =
            json_string_value(json_object_get(iso, "original_termination_protection"));
        const char *shut = json_string_value(json_object_get(iso, "original_shutdown_behavior"));
        json_t *asg = json_object_get(cf_wf_output(wf, "triage"), "asg");
        if (term && strcmp(term, "true"))
            CHANGE("release", "release-termination", "ec2:ModifyInstanceAttribute", id,
                   "turn termination protection back off",
                   cf_ec2_set_termination_protection(wf->aws, id, 0, 0), ec2_reqid);
        if (!rc && shut && *shut && strcmp(shut, "stop"))
            CHANGE("release", "release-shutdown", "ec2:ModifyInstanceAttribute", id,
                   "restore the shutdown behaviour",
                   cf_ec2_set_shutdown_behavior(wf->aws, id, shut, 0), ec2_reqid);
        if (!rc && asg && !strcmp(wf->cfg->asg_action, "standby")) {
            const char *name = json_string_value(json_object_get(asg, "name")), *ids[] = {id};
            CHANGE("release", "release-asg", "autoscaling:ExitStandby", name,
                   "return it to service in its Auto Scaling group",
                   cf_asg_exit_standby(NULL, wf->aws, name, ids, 1), cf_asg_last_request_id);
        }
    }
    return rc;
}
