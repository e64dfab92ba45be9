/* triage, notify, block_ip, isolate and release: finding out, alerting, containing. */
#include "common/cf_error.h"
#include "common/cf_json.h"
#include "common/cf_time.h"
#include "workflow/cf_guard.h"
#include "workflow/wf_aws.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ADD(p, k, v)                                                                               \
    do {                                                                                           \
        if ((rc = cf_aws_params_add((p), (k), (v))))                                               \
            goto cleanup;                                                                          \
    } while (0)

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

static int triage_instance(cf_wf *wf, json_t *out)
{
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    xmlNode *root, *inst, *it, *g;
    json_t *tags = json_array(), *vols = json_array(), *enis = json_array();
    int rc;
    ADD(&p, "InstanceId.1", wf->finding.instance_id);
    rc = wf_ec2(wf, "DescribeInstances", &p, &r);
    if (rc) {
        if (cf_aws_error_is("InvalidInstanceID.NotFound") ||
            cf_aws_error_is("InvalidInstanceID.Malformed"))
            rc = cf_error_set(CF_ENOTFOUND,
                              "instance %s no longer exists (or is in another account/region): "
                              "nothing to contain",
                              wf->finding.instance_id);
        goto cleanup;
    }
    root = xmlDocGetRootElement(r.xml);
    inst = cf_xml_path(root, "reservationSet/item/instancesSet/item");
    if (!inst) {
        rc = cf_error_set(CF_ENOTFOUND, "instance %s no longer exists: nothing to contain",
                          wf->finding.instance_id);
        goto cleanup;
    }
    json_object_set_new(out, "instance_id", json_string(wf->finding.instance_id));
    json_object_set_new(out, "state", json_string(wf_xml(inst, "instanceState/name")));
    json_object_set_new(out, "az", json_string(wf_xml(inst, "placement/availabilityZone")));
    json_object_set_new(out, "vpc_id", json_string(wf_xml(inst, "vpcId")));
    json_object_set_new(out, "subnet_id", json_string(wf_xml(inst, "subnetId")));
    json_object_set_new(out, "architecture", json_string(wf_xml(inst, "architecture")));
    json_object_set_new(out, "private_ip", str_or_null(wf_xml(inst, "privateIpAddress")));
    json_object_set_new(out, "public_ip", str_or_null(wf_xml(inst, "ipAddress")));
    json_object_set_new(out, "profile_arn", str_or_null(wf_xml(inst, "iamInstanceProfile/arn")));
    json_object_set_new(out, "image_id", str_or_null(wf_xml(inst, "imageId")));
    CF_XML_FOREACH(it, cf_xml_child(inst, "tagSet"), "item")
    {
        json_array_append_new(
            tags, json_pack("{s:s,s:s}", "Key", wf_xml(it, "key"), "Value", wf_xml(it, "value")));
    }
    CF_XML_FOREACH(it, cf_xml_child(inst, "blockDeviceMapping"), "item")
    {
        const char *vol = wf_xml(it, "ebs/volumeId");
        if (*vol)
            json_array_append_new(
                vols, json_pack("{s:s,s:s}", "volume_id", vol, "device", wf_xml(it, "deviceName")));
    }
    CF_XML_FOREACH(it, cf_xml_child(inst, "networkInterfaceSet"), "item")
    {
        json_t *groups = json_array();
        CF_XML_FOREACH(g, cf_xml_child(it, "groupSet"), "item")
        json_array_append_new(groups, json_string(wf_xml(g, "groupId")));
        json_array_append_new(enis, json_pack("{s:s,s:s,s:s,s:o,s:i}", "eni_id",
                                              wf_xml(it, "networkInterfaceId"), "subnet_id",
                                              wf_xml(it, "subnetId"), "vpc_id", wf_xml(it, "vpcId"),
                                              "groups", groups, "device_index",
                                              atoi(wf_xml(it, "attachment/deviceIndex"))));
    }
    json_object_set(out, "tags", tags);
    json_object_set(out, "volumes", vols);
    json_object_set(out, "enis", enis);
cleanup:
    json_decref(tags);
    json_decref(vols);
    json_decref(enis);
    cf_aws_response_release(&r);
    cf_aws_params_release(&p);
    return rc;
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
            cf_aws_params p = CF_AWS_PARAMS_INIT;
            cf_aws_response r = CF_AWS_RESPONSE_INIT;
            rc = cf_aws_params_add(&p, "Filter.1.Name", "association.subnet-id");
            if (!rc)
                rc = cf_aws_params_add(&p, "Filter.1.Value.1", subnet);
            if (!rc)
                rc = wf_ec2(wf, "DescribeNetworkAcls", &p, &r);
            if (!rc) {
                const char *acl = wf_xml(xmlDocGetRootElement(r.xml), "networkAclSet/item/"
                                                                      "networkAclId");
                json_object_set_new(acls, subnet, str_or_null(acl));
            }
            cf_aws_response_release(&r);
            cf_aws_params_release(&p);
            if (rc)
                goto cleanup;
        }
    }
    json_array_foreach(vpcs, i, e)
    {
        cf_aws_params p = CF_AWS_PARAMS_INIT;
        cf_aws_response r = CF_AWS_RESPONSE_INIT;
        xmlNode *v, *c;
        rc = cf_aws_params_add(&p, "VpcId.1", json_string_value(e));
        if (!rc)
            rc = wf_ec2(wf, "DescribeVpcs", &p, &r);
        if (!rc) {
            v = cf_xml_path(xmlDocGetRootElement(r.xml), "vpcSet/item");
            CF_XML_FOREACH(c, cf_xml_child(v, "cidrBlockAssociationSet"), "item")
            {
                const char *b = wf_xml(c, "cidrBlock");
                if (*b && !array_has_str(cidrs, b))
                    json_array_append_new(cidrs, json_string(b));
            }
            if (*wf_xml(v, "cidrBlock") && !array_has_str(cidrs, wf_xml(v, "cidrBlock")))
                json_array_append_new(cidrs, json_string(wf_xml(v, "cidrBlock")));
            CF_XML_FOREACH(c, cf_xml_child(v, "ipv6CidrBlockAssociationSet"), "item")
            {
                const char *b = wf_xml(c, "ipv6CidrBlock");
                if (*b && !array_has_str(cidrs, b))
                    json_array_append_new(cidrs, json_string(b));
            }
        }
        cf_aws_response_release(&r);
        cf_aws_params_release(&p);
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

static int triage_asg_and_tgs(cf_wf *wf, json_t *out)
{
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    json_t *tgs = json_array();
    xmlNode *it, *res;
    const char *asg;
    int rc;
    ADD(&p, "InstanceIds.member.1", wf->finding.instance_id);
    if ((rc = wf_query(wf, &cf_aws_svc_autoscaling, "DescribeAutoScalingInstances", &p, &r)))
        goto cleanup;
    res = cf_xml_path(xmlDocGetRootElement(r.xml),
                      "DescribeAutoScalingInstancesResult/AutoScalingInstances/member");
    asg = wf_xml(res, "AutoScalingGroupName");
    if (*asg)
        json_object_set_new(
            out, "asg",
            json_pack("{s:s,s:s}", "name", asg, "lifecycle_state", wf_xml(res, "LifecycleState")));
    cf_aws_response_release(&r);
    cf_aws_params_release(&p);
    /* Target groups of the instance's VPC that have it registered. */
    if ((rc = wf_query(wf, &cf_aws_svc_elbv2, "DescribeTargetGroups", &p, &r)))
        goto cleanup;
    CF_XML_FOREACH(
        it, cf_xml_path(xmlDocGetRootElement(r.xml), "DescribeTargetGroupsResult/TargetGroups"),
        "member")
    {
        const char *arn = wf_xml(it, "TargetGroupArn");
        cf_aws_params hp = CF_AWS_PARAMS_INIT;
        cf_aws_response hr = CF_AWS_RESPONSE_INIT;
        xmlNode *d;
        if (strcmp(wf_xml(it, "TargetType"), "instance") && *wf_xml(it, "TargetType"))
            continue;
        rc = cf_aws_params_add(&hp, "TargetGroupArn", arn);
        if (!rc)
            rc = wf_query(wf, &cf_aws_svc_elbv2, "DescribeTargetHealth", &hp, &hr);
        if (!rc) {
            CF_XML_FOREACH(d,
                           cf_xml_path(xmlDocGetRootElement(hr.xml),
                                       "DescribeTargetHealthResult/TargetHealthDescriptions"),
                           "member")
            {
                if (!strcmp(wf_xml(d, "Target/Id"), wf->finding.instance_id))
                    json_array_append_new(
                        tgs, json_pack("{s:s,s:s}", "arn", arn, "port", wf_xml(d, "Target/Port")));
            }
        }
        cf_aws_response_release(&hr);
        cf_aws_params_release(&hp);
        if (rc)
            goto cleanup;
    }
    json_object_set(out, "target_groups", tgs);
cleanup:
    json_decref(tgs);
    cf_aws_response_release(&r);
    cf_aws_params_release(&p);
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

static json_t *recipients_json(const char *csv)
{
    json_t *arr = json_array();
    const char *p = csv;
    while (p && *p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        while (n && *p == ' ') {
            p++;
            n--;
        }
        while (n && p[n - 1] == ' ')
            n--;
        if (n && json_array_size(arr) < 50)
            json_array_append_new(arr, json_stringn(p, n));
        p = end ? end + 1 : NULL;
    }
    return arr;
}

int wf_send_email(cf_wf *wf, const char *subject, const char *text, char *request_id_out)
{
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    cf_aws_request q = {0};
    json_t *body =
        json_pack("{s:s,s:{s:o},s:{s:{s:{s:s,s:s},s:{s:{s:s,s:s}}}}}", "FromEmailAddress",
                  wf->cfg->sender, "Destination", "ToAddresses",
                  recipients_json(wf->cfg->recipients), "Content", "Simple", "Subject", "Data",
                  subject, "Charset", "UTF-8", "Body", "Text", "Data", text, "Charset", "UTF-8");
    int rc;
    if (!body)
        return cf_error_set(CF_ENOMEM, "out of memory");
    q.method = "POST";
    q.path = "/v2/email/outbound-emails";
    q.json_body = body;
    q.content_type = "application/json";
    rc = cf_aws_rest(wf->aws, &cf_aws_svc_sesv2, &q, &r);
    if (rc)
        cf_error_wrap("SES SendEmail");
    snprintf(request_id_out, 128, "%s", r.request_id);
    cf_aws_response_release(&r);
    json_decref(body);
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
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    xmlNode *it;
    int rc;
    *n = 0;
    ADD(&p, "NetworkAclId.1", acl);
    if ((rc = wf_ec2(wf, "DescribeNetworkAcls", &p, &r)))
        goto cleanup;
    CF_XML_FOREACH(it, cf_xml_path(xmlDocGetRootElement(r.xml), "networkAclSet/item/entrySet"),
                   "item")
    {
        cf_acl_entry *x;
        const char *c4 = wf_xml(it, "cidrBlock"), *c6 = wf_xml(it, "ipv6CidrBlock");
        if (*n >= MAX_ACL_ENTRIES)
            break;
        x = &e[(*n)++];
        memset(x, 0, sizeof(*x));
        x->rule = atoi(wf_xml(it, "ruleNumber"));
        x->egress = !strcmp(wf_xml(it, "egress"), "true");
        x->allow = !strcmp(wf_xml(it, "ruleAction"), "allow");
        x->has_cidr = cf_cidr_parse(*c4 ? c4 : c6, &x->cidr) == CF_OK;
    }
    cf_error_clear();
cleanup:
    cf_aws_response_release(&r);
    cf_aws_params_release(&p);
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
        cf_aws_params p = CF_AWS_PARAMS_INIT;
        cf_aws_response r = CF_AWS_RESPONSE_INIT;
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
        snprintf(num, sizeof(num), "%d", rule);
        rc = cf_aws_params_add(&p, "NetworkAclId", acl);
        if (!rc)
            rc = cf_aws_params_add(&p, "RuleNumber", num);
        if (!rc)
            rc = cf_aws_params_add(&p, "Protocol", "-1");
        if (!rc)
            rc = cf_aws_params_add(&p, "RuleAction", "deny");
        if (!rc)
            rc = cf_aws_params_add(&p, "Egress", egress ? "true" : "false");
        if (!rc)
            rc = cf_aws_params_add(&p, cidr->family == 4 ? "CidrBlock" : "Ipv6CidrBlock", txt);
        if (!rc)
            rc = wf_ec2(wf, "CreateNetworkAclEntry", &p, &r);
        snprintf(params, sizeof(params), "{\"rule\":%d,\"egress\":%s,\"cidr\":\"%s\"}", rule,
                 egress ? "true" : "false", txt);
        if (rc == CF_OK) {
            snprintf(detail, sizeof(detail), "rule %d", rule);
            cf_wf_change_end(wf, "block_ip", key, "ec2:CreateNetworkAclEntry", acl, params,
                             r.request_id, "ok", detail);
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
        cf_aws_response_release(&r);
        cf_aws_params_release(&p);
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

/* A simple EC2/query change: params as name/value pairs, NULL-terminated. Looks at the journal
 * first (idem_key), records the result. Returns CF_OK when done or found done. */
static int simple_change(cf_wf *wf, const cf_aws_service *svc, const char *step, const char *key,
                         const char *action, const char *target, const char *what,
                         const char *const *kv)
{
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    char call[128];
    int rc;
    snprintf(call, sizeof(call), "%s:%s",
             svc == &cf_aws_svc_ec2           ? "ec2"
             : svc == &cf_aws_svc_autoscaling ? "autoscaling"
             : svc == &cf_aws_svc_elbv2       ? "elasticloadbalancing"
             : svc == &cf_aws_svc_iam         ? "iam"
                                              : "aws",
             action);
    rc = cf_wf_change_begin(wf, step, key, call, target, what, NULL);
    if (rc != 0)
        return rc < 0 ? rc : CF_OK;
    for (size_t i = 0; kv[i] && kv[i + 1]; i += 2)
        ADD(&p, kv[i], kv[i + 1]);
    rc = wf_query(wf, svc, action, &p, &r);
    if (rc) {
        cf_error saved;
        cf_error_save(&saved);
        cf_wf_change_end(wf, step, key, call, target, NULL, saved.request_id, "error", saved.msg);
        cf_error_restore(&saved);
        goto cleanup;
    }
    cf_wf_change_end(wf, step, key, call, target, NULL, r.request_id, "ok", what);
    cf_wf_progress(wf, step, "%s", what);
cleanup:
    cf_aws_response_release(&r);
    cf_aws_params_release(&p);
    return rc;
}

/* Finds or creates the casefile group `name` in vpc; open = allow all (untracking group), else
 * no rules at all (isolation group). */
static int ensure_group(cf_wf *wf, const char *vpc, const char *name, int open, char *gid,
                        size_t cap)
{
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    xmlNode *g;
    char key[256];
    int rc, has_in = 0, has_out = 0;
    gid[0] = '\0';
    ADD(&p, "Filter.1.Name", "group-name");
    ADD(&p, "Filter.1.Value.1", name);
    ADD(&p, "Filter.2.Name", "vpc-id");
    ADD(&p, "Filter.2.Value.1", vpc);
    if ((rc = wf_ec2(wf, "DescribeSecurityGroups", &p, &r)))
        goto cleanup;
    g = cf_xml_path(xmlDocGetRootElement(r.xml), "securityGroupInfo/item");
    if (g) {
        snprintf(gid, cap, "%s", wf_xml(g, "groupId"));
        has_in = cf_xml_child(cf_xml_child(g, "ipPermissions"), "item") != NULL;
        has_out = cf_xml_child(cf_xml_child(g, "ipPermissionsEgress"), "item") != NULL;
    }
    cf_aws_response_release(&r);
    cf_aws_params_release(&p);
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
        ADD(&p, "GroupName", name);
        ADD(&p, "GroupDescription",
            open ? "casefile: allow-all step so tracked connections become untracked"
                 : "casefile: isolation, no rules");
        ADD(&p, "VpcId", vpc);
        if ((rc = wf_add_case_tags(wf, &p, "TagSpecification.1", "security-group", NULL)))
            goto cleanup;
        if ((rc = wf_ec2(wf, "CreateSecurityGroup", &p, &r))) {
            cf_error saved;
            cf_error_save(&saved);
            cf_wf_change_end(wf, "isolate", key, "ec2:CreateSecurityGroup", vpc, NULL,
                             saved.request_id, "error", saved.msg);
            cf_error_restore(&saved);
            goto cleanup;
        }
        snprintf(gid, cap, "%s", wf_xml(xmlDocGetRootElement(r.xml), "groupId"));
        cf_wf_change_end(wf, "isolate", key, "ec2:CreateSecurityGroup", vpc, NULL, r.request_id,
                         "ok", gid);
        cf_wf_progress(wf, "isolate", "created %s %s in %s", name, gid, vpc);
        cf_aws_response_release(&r);
        cf_aws_params_release(&p);
        has_out = 1; /* a new group allows all egress */
    }
    if (open && !has_in) {
        const char *kv[] = {"GroupId",
                            gid,
                            "IpPermissions.1.IpProtocol",
                            "-1",
                            "IpPermissions.1.IpRanges.1.CidrIp",
                            "0.0.0.0/0",
                            "IpPermissions.1.Ipv6Ranges.1.CidrIpv6",
                            "::/0",
                            NULL};
        snprintf(key, sizeof(key), "sg-open-in:%s", gid);
        if ((rc =
                 simple_change(wf, &cf_aws_svc_ec2, "isolate", key, "AuthorizeSecurityGroupIngress",
                               gid, "open the untracking group to all inbound traffic", kv)))
            goto cleanup;
    }
    if (!open && has_out) {
        const char *kv[] = {"GroupId",
                            gid,
                            "IpPermissions.1.IpProtocol",
                            "-1",
                            "IpPermissions.1.IpRanges.1.CidrIp",
                            "0.0.0.0/0",
                            NULL};
        snprintf(key, sizeof(key), "sg-close-out:%s", gid);
        if ((rc = simple_change(wf, &cf_aws_svc_ec2, "isolate", key, "RevokeSecurityGroupEgress",
                                gid, "remove the isolation group's default egress rule", kv)))
            goto cleanup;
    }
cleanup:
    cf_aws_response_release(&r);
    cf_aws_params_release(&p);
    return rc;
}

/* The ENI's current groups, as a JSON array (new reference) or NULL on error. */
static json_t *eni_groups(cf_wf *wf, const char *eni)
{
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    json_t *arr = NULL;
    xmlNode *g;
    if (cf_aws_params_add(&p, "NetworkInterfaceId.1", eni) == CF_OK &&
        wf_ec2(wf, "DescribeNetworkInterfaces", &p, &r) == CF_OK) {
        arr = json_array();
        CF_XML_FOREACH(
            g, cf_xml_path(xmlDocGetRootElement(r.xml), "networkInterfaceSet/item/groupSet"),
            "item")
        json_array_append_new(arr, json_string(wf_xml(g, "groupId")));
    }
    cf_aws_response_release(&r);
    cf_aws_params_release(&p);
    return arr;
}

static void revert_eni(cf_wf *wf, const char *eni, json_t *groups)
{
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    cf_error saved;
    json_t *g;
    size_t j;
    char key[128];
    int rc;
    cf_error_save(&saved);
    rc = cf_aws_params_add(&p, "NetworkInterfaceId", eni);
    json_array_foreach(groups, j, g)
    {
        char name[64];
        snprintf(name, sizeof(name), "SecurityGroupId.%zu", j + 1);
        if (!rc)
            rc = cf_aws_params_add(&p, name, json_string_value(g));
    }
    if (!rc)
        rc = wf_ec2(wf, "ModifyNetworkInterfaceAttribute", &p, &r);
    snprintf(key, sizeof(key), "eni-revert:%s", eni);
    cf_wf_change_end(wf, "isolate", key, "ec2:ModifyNetworkInterfaceAttribute", eni, NULL,
                     r.request_id, rc ? "error" : "ok",
                     rc ? cf_error_last()->msg : "isolation failed: back on its original groups");
    cf_wf_progress(wf, "isolate", "%s: isolation FAILED; %s", eni,
                   rc ? "could NOT put it back on its original groups: it is on the all-open "
                        "untracking group, fix it by hand"
                      : "back on its original groups");
    cf_aws_response_release(&r);
    cf_aws_params_release(&p);
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
            const char *kv1[] = {"NetworkInterfaceId", eni, "SecurityGroupId.1", untrack, NULL};
            const char *kv2[] = {"NetworkInterfaceId", eni, "SecurityGroupId.1", iso, NULL};
            char what[256];
            snprintf(key, sizeof(key), "eni-untrack:%s", eni);
            snprintf(what, sizeof(what), "put %s on the untracking group %s", eni, untrack);
            if ((rc = simple_change(wf, &cf_aws_svc_ec2, "isolate", key,
                                    "ModifyNetworkInterfaceAttribute", eni, what, kv1)))
                break;
            snprintf(key, sizeof(key), "eni-isolate:%s", eni);
            snprintf(what, sizeof(what), "put %s on the isolation group %s only", eni, iso);
            if ((rc = simple_change(wf, &cf_aws_svc_ec2, "isolate", key,
                                    "ModifyNetworkInterfaceAttribute", eni, what, kv2))) {
                /* Never leave an interface on the all-open untracking group: back to its
                 * original groups, and the step fails loudly. */
                revert_eni(wf, eni, json_object_get(e, "groups"));
                break;
            }
        }
        /* The primary ENI's groups are also the instance's: set that view too (the same
         * change in AWS, a separate one in moto, which unions the two). */
        if (json_integer_value(json_object_get(e, "device_index")) == 0) {
            const char *kv3[] = {"InstanceId", wf->finding.instance_id, "GroupId.1", iso, NULL};
            char what[256];
            snprintf(key, sizeof(key), "instance-groups:%s", wf->finding.instance_id);
            snprintf(what, sizeof(what), "put %s (primary interface) on %s only",
                     wf->finding.instance_id, iso);
            if ((rc = simple_change(wf, &cf_aws_svc_ec2, "isolate", key, "ModifyInstanceAttribute",
                                    wf->finding.instance_id, what, kv3)))
                break;
        }
    }
    json_object_set_new(out, "isolation_groups", groups);
    return rc;
}

static int instance_attribute(cf_wf *wf, const char *attr, char *val, size_t cap)
{
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    int rc;
    char path[128];
    ADD(&p, "InstanceId", wf->finding.instance_id);
    ADD(&p, "Attribute", attr);
    if ((rc = wf_ec2(wf, "DescribeInstanceAttribute", &p, &r)))
        goto cleanup;
    snprintf(path, sizeof(path), "%s/value", attr);
    snprintf(val, cap, "%s", wf_xml(xmlDocGetRootElement(r.xml), path));
cleanup:
    cf_aws_response_release(&r);
    cf_aws_params_release(&p);
    return rc;
}

static int isolate_instance(cf_wf *wf, json_t *out)
{
    char term[32] = "", shut[32] = "";
    const char *id = wf->finding.instance_id;
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
        const char *kv[] = {"InstanceId", id, "DisableApiTermination.Value", "true", NULL};
        if ((rc = simple_change(wf, &cf_aws_svc_ec2, "isolate", "termination-protection",
                                "ModifyInstanceAttribute", id, "turn termination protection on",
                                kv)))
            return rc;
    }
    if (strcmp(shut, "stop")) {
        const char *kv[] = {"InstanceId", id, "InstanceInitiatedShutdownBehavior.Value", "stop",
                            NULL};
        if ((rc = simple_change(wf, &cf_aws_svc_ec2, "isolate", "shutdown-behavior",
                                "ModifyInstanceAttribute", id,
                                "make a shutdown stop (not terminate) it", kv)))
            return rc;
    }
    {
        const char *kv[] = {"ResourceId.1", id,          "Tag.1.Key", "casefile:case",
                            "Tag.1.Value",  wf->case_id, "Tag.2.Key", "casefile:isolated",
                            "Tag.2.Value",  "true",      NULL};
        rc = simple_change(wf, &cf_aws_svc_ec2, "isolate", "tag-instance", "CreateTags", id,
                           "tag the instance with the case", kv);
    }
    return rc;
}

static int isolate_asg_tgs(cf_wf *wf, json_t *tri)
{
    json_t *tgs = json_object_get(tri, "target_groups"), *t, *asg = json_object_get(tri, "asg");
    size_t i;
    int rc = CF_OK;
    const char *id = wf->finding.instance_id;
    json_array_foreach(tgs, i, t)
    {
        const char *arn = json_string_value(json_object_get(t, "arn"));
        const char *port = json_string_value(json_object_get(t, "port"));
        char key[512];
        const char *kv[] = {"TargetGroupArn",
                            arn,
                            "Targets.member.1.Id",
                            id,
                            port && *port ? "Targets.member.1.Port" : NULL,
                            port,
                            NULL};
        snprintf(key, sizeof(key), "tg-deregister:%s", arn);
        if ((rc = simple_change(wf, &cf_aws_svc_elbv2, "isolate", key, "DeregisterTargets", arn,
                                "deregister from the target group", kv)))
            return rc;
    }
    if (asg) {
        const char *name = json_string_value(json_object_get(asg, "name"));
        cf_aws_params p = CF_AWS_PARAMS_INIT;
        cf_aws_response r = CF_AWS_RESPONSE_INIT;
        const char *state = "";
        char st[64] = "";
        /* Look at the current state: an earlier run may have done it already. */
        rc = cf_aws_params_add(&p, "InstanceIds.member.1", id);
        if (!rc)
            rc = wf_query(wf, &cf_aws_svc_autoscaling, "DescribeAutoScalingInstances", &p, &r);
        if (!rc) {
            state = wf_xml(xmlDocGetRootElement(r.xml), "DescribeAutoScalingInstancesResult/"
                                                        "AutoScalingInstances/member/"
                                                        "LifecycleState");
            snprintf(st, sizeof(st), "%s", state);
        }
        cf_aws_response_release(&r);
        cf_aws_params_release(&p);
        if (rc)
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
            const char *kv[] = {"AutoScalingGroupName",
                                name,
                                "InstanceIds.member.1",
                                id,
                                "ShouldDecrementDesiredCapacity",
                                "true",
                                NULL};
            rc = simple_change(wf, &cf_aws_svc_autoscaling, "isolate", "asg", "DetachInstances",
                               name, "detach it from its Auto Scaling group", kv);
        } else {
            const char *kv[] = {"AutoScalingGroupName",
                                name,
                                "InstanceIds.member.1",
                                id,
                                "ShouldDecrementDesiredCapacity",
                                "true",
                                NULL};
            rc =
                simple_change(wf, &cf_aws_svc_autoscaling, "isolate", "asg", "EnterStandby", name,
                              "move it to Auto Scaling standby (not replaced, not terminated)", kv);
        }
    }
    return rc;
}

static int isolate_profile(cf_wf *wf, json_t *tri)
{
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    char assoc[128] = "", role[256] = "", ts[CF_TIME_STR_MAX], pname[160], *doc = NULL;
    const char *arn = json_string_value(json_object_get(tri, "profile_arn")), *slash;
    int rc;
    if (!wf->cfg->swap_profile || !arn)
        return CF_OK;
    /* The role behind the current profile, whose sessions get revoked. */
    slash = strrchr(arn, '/');
    ADD(&p, "InstanceProfileName", slash ? slash + 1 : arn);
    if ((rc = wf_query(wf, &cf_aws_svc_iam, "GetInstanceProfile", &p, &r)))
        goto cleanup;
    snprintf(role, sizeof(role), "%s",
             wf_xml(xmlDocGetRootElement(r.xml),
                    "GetInstanceProfileResult/InstanceProfile/Roles/member/RoleName"));
    cf_aws_response_release(&r);
    cf_aws_params_release(&p);
    ADD(&p, "Filter.1.Name", "instance-id");
    ADD(&p, "Filter.1.Value.1", wf->finding.instance_id);
    if ((rc = wf_ec2(wf, "DescribeIamInstanceProfileAssociations", &p, &r)))
        goto cleanup;
    snprintf(assoc, sizeof(assoc), "%s",
             wf_xml(xmlDocGetRootElement(r.xml), "iamInstanceProfileAssociationSet/item/"
                                                 "associationId"));
    cf_aws_response_release(&r);
    cf_aws_params_release(&p);
    if (*assoc) {
        const char *kv[] = {"AssociationId", assoc, "IamInstanceProfile.Name",
                            wf->cfg->quarantine_profile, NULL};
        if ((rc = simple_change(wf, &cf_aws_svc_ec2, "isolate", "profile-swap",
                                "ReplaceIamInstanceProfileAssociation", wf->finding.instance_id,
                                "replace the instance profile with the quarantine profile", kv)))
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
        {
            const char *kv[] = {"RoleName", role, "PolicyName", pname, "PolicyDocument", doc, NULL};
            rc = simple_change(wf, &cf_aws_svc_iam, "isolate", "revoke-sessions", "PutRolePolicy",
                               role, "revoke the role's active sessions (aws:TokenIssueTime)", kv);
        }
    }
cleanup:
    free(doc);
    cf_aws_response_release(&r);
    cf_aws_params_release(&p);
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
    size_t i;
    int rc = CF_OK;
    char key[256];
    if (!iso || json_object_get(iso, "skipped"))
        return cf_error_set(CF_EINVAL, "case %s has no isolation to release", wf->case_id);
    enis = json_object_get(iso, "original_groups");
    json_array_foreach(enis, i, e)
    {
        const char *eni = json_string_value(json_object_get(e, "eni_id"));
        json_t *groups = json_object_get(e, "groups"), *g;
        cf_aws_params p = CF_AWS_PARAMS_INIT;
        cf_aws_response r = CF_AWS_RESPONSE_INIT;
        size_t j;
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
        rc = cf_aws_params_add(&p, "NetworkInterfaceId", eni);
        json_array_foreach(groups, j, g)
        {
            char name[64];
            snprintf(name, sizeof(name), "SecurityGroupId.%zu", j + 1);
            if (!rc)
                rc = cf_aws_params_add(&p, name, json_string_value(g));
        }
        if (!rc)
            rc = wf_ec2(wf, "ModifyNetworkInterfaceAttribute", &p, &r);
        cf_wf_change_end(wf, "release", key, "ec2:ModifyNetworkInterfaceAttribute", eni, NULL,
                         r.request_id, rc ? "error" : "ok", rc ? cf_error_last()->msg : NULL);
        if (!rc && json_integer_value(json_object_get(e, "device_index")) == 0) {
            /* The instance's view of the primary interface (see isolate). */
            cf_aws_response_release(&r);
            cf_aws_params_release(&p);
            rc = cf_aws_params_add(&p, "InstanceId", wf->finding.instance_id);
            json_array_foreach(groups, j, g)
            {
                char name[64];
                snprintf(name, sizeof(name), "GroupId.%zu", j + 1);
                if (!rc)
                    rc = cf_aws_params_add(&p, name, json_string_value(g));
            }
            if (!rc)
                rc = wf_ec2(wf, "ModifyInstanceAttribute", &p, &r);
            cf_wf_change_end(wf, "release", "release-instance-groups",
                             "ec2:ModifyInstanceAttribute", wf->finding.instance_id, NULL,
                             r.request_id, rc ? "error" : "ok", rc ? cf_error_last()->msg : NULL);
        }
        if (!rc)
            cf_wf_progress(wf, "release", "%s back on its %zu original group(s)", eni,
                           json_array_size(groups));
        cf_aws_response_release(&r);
        cf_aws_params_release(&p);
        if (rc)
            break;
    }
    if (!rc) {
        const char *term =
            json_string_value(json_object_get(iso, "original_termination_protection"));
        const char *shut = json_string_value(json_object_get(iso, "original_shutdown_behavior"));
        json_t *asg = json_object_get(cf_wf_output(wf, "triage"), "asg");
        if (term && strcmp(term, "true")) {
            const char *kv[] = {"InstanceId", wf->finding.instance_id,
                                "DisableApiTermination.Value", "false", NULL};
            rc = simple_change(wf, &cf_aws_svc_ec2, "release", "release-termination",
                               "ModifyInstanceAttribute", wf->finding.instance_id,
                               "turn termination protection back off", kv);
        }
        if (!rc && shut && *shut && strcmp(shut, "stop")) {
            const char *kv[] = {"InstanceId", wf->finding.instance_id,
                                "InstanceInitiatedShutdownBehavior.Value", shut, NULL};
            rc = simple_change(wf, &cf_aws_svc_ec2, "release", "release-shutdown",
                               "ModifyInstanceAttribute", wf->finding.instance_id,
                               "restore the shutdown behaviour", kv);
        }
        if (!rc && asg && !strcmp(wf->cfg->asg_action, "standby")) {
            const char *kv[] = {"AutoScalingGroupName",
                                json_string_value(json_object_get(asg, "name")),
                                "InstanceIds.member.1", wf->finding.instance_id, NULL};
            rc = simple_change(wf, &cf_aws_svc_autoscaling, "release", "release-asg", "ExitStandby",
                               json_string_value(json_object_get(asg, "name")),
                               "return it to service in its Auto Scaling group", kv);
        }
    }
    return rc;
}
