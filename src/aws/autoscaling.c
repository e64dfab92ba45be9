/* autoscaling: calls over cf_aws_query (see autoscaling.h). */
#include "aws/autoscaling.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/svc_internal.h"

static const cf_svc_cap asg_cap = {"Auto Scaling", CF_ASG_MAX_ITEMS, "items"};

static int x_str(xmlNode *n, const char *path, char **out)
{
    return cf_svc_xml_str(n, path, 0, out);
}

static void inst_release(void *elem)
{
    cf_asg_instance *x = elem;

    free(x->instance_id);
    free(x->group_name);
    free(x->az);
    free(x->lifecycle_state);
    free(x->health_status);
    free(x->instance_type);
    free(x->launch_configuration);
    free(x->launch_template_id);
}

void cf_asg_instance_list_free(cf_asg_instance_list *l)
{
    if (l)
        cf_svc_items_free(l->items, l->n, sizeof(*l->items), inst_release);
    free(l);
}

static int inst_parse(xmlNode *it, void *elem)
{
    cf_asg_instance *x = elem;
    int rc = cf_svc_xml_id(it, "InstanceId", "Auto Scaling", "instance", &x->instance_id);

    if (!rc)
        rc = x_str(it, "AutoScalingGroupName", &x->group_name);
    if (!rc)
        rc = x_str(it, "AvailabilityZone", &x->az);
    if (!rc)
        rc = x_str(it, "LifecycleState", &x->lifecycle_state);
    if (!rc)
        rc = x_str(it, "HealthStatus", &x->health_status);
    if (!rc)
        rc = x_str(it, "InstanceType", &x->instance_type);
    if (!rc)
        rc = x_str(it, "LaunchConfigurationName", &x->launch_configuration);
    if (!rc)
        rc = x_str(it, "LaunchTemplate/LaunchTemplateId", &x->launch_template_id);
    if (!rc)
        rc = cf_svc_xml_bool(it, "ProtectedFromScaleIn", &x->protected_from_scale_in);
    return rc;
}

int cf_asg_parse_instances(cf_asg_instance_list *l, xmlDoc *doc)
{
    xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
    xmlNode *set = cf_xml_path(root, "DescribeAutoScalingInstancesResult/AutoScalingInstances");

    return cf_svc_xml_items(set, "member", (void **)&l->items, &l->n, sizeof(*l->items), &asg_cap,
                            inst_parse, inst_release);
}

static int inst_parse_v(void *l, xmlDoc *doc)
{
    return cf_asg_parse_instances(l, doc);
}

int cf_asg_describe_instances(cf_asg_instance_list **out, cf_aws *aws, const char *const *ids,
                              size_t n_ids)
{
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    cf_asg_instance_list *l = calloc(1, sizeof(*l));
    cf_svc_pages pages = {"Auto Scaling", l, inst_parse_v, NULL};
    int rc = l ? 0 : cf_svc_oom();

    *out = NULL;
    if (!rc)
        rc = cf_svc_params_list(&p, "InstanceIds", ".member.", ids, n_ids);
    if (!rc)
        rc = cf_svc_query_pages(aws, &cf_aws_svc_autoscaling, "autoscaling",
                                "DescribeAutoScalingInstances", &p, "NextToken", "NextToken",
                                cf_svc_page, &pages);
    if (rc)
        goto cleanup;
    *out = l;
    l = NULL;
cleanup:
    cf_asg_instance_list_free(l);
    cf_aws_params_release(&p);
    return rc;
}

/* ---- activities ----------------------------------------------------------------------------- */

static void act_release(void *elem)
{
    cf_asg_activity *a = elem;

    free(a->id);
    free(a->group_name);
    free(a->status_code);
    free(a->description);
    free(a->cause);
}

void cf_asg_activity_list_free(cf_asg_activity_list *l)
{
    if (l)
        cf_svc_items_free(l->items, l->n, sizeof(*l->items), act_release);
    free(l);
}

static int act_parse(xmlNode *it, void *elem)
{
    cf_asg_activity *a = elem;
    int64_t prog = -1;
    int rc = x_str(it, "ActivityId", &a->id);

    if (!rc)
        rc = x_str(it, "AutoScalingGroupName", &a->group_name);
    if (!rc)
        rc = x_str(it, "StatusCode", &a->status_code);
    if (!rc)
        rc = x_str(it, "Description", &a->description);
    if (!rc)
        rc = x_str(it, "Cause", &a->cause);
    if (!rc) {
        rc = cf_xml_int64(it, "Progress", &prog);
        if (rc == CF_ENOTFOUND) {
            cf_error_clear();
            prog = -1;
            rc = 0;
        } else if (!rc && (prog < 0 || prog > 100)) {
            rc = cf_error_set(CF_EPARSE, "Auto Scaling response: Progress out of range");
        }
        a->progress = (int)prog;
    }
    return rc;
}

int cf_asg_parse_activities(cf_asg_activity_list *l, xmlDoc *doc, const char *result)
{
    xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
    xmlNode *set = cf_xml_child(cf_xml_child(root, result), "Activities");

    return cf_svc_xml_items(set, "member", (void **)&l->items, &l->n, sizeof(*l->items), &asg_cap,
                            act_parse, act_release);
}

static __thread char asg_last_reqid[128]; /* see cf_asg_last_request_id */

const char *cf_asg_last_request_id(void)
{
    return asg_last_reqid;
}

/* decrement < 0: ShouldDecrementDesiredCapacity is not sent (ExitStandby). */
static int group_call(cf_asg_activity_list **out, cf_aws *aws, const char *action,
                      const char *group, const char *const *ids, size_t n_ids, int decrement)
{
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    cf_asg_activity_list *l = NULL;
    char result[64];
    int rc = 0;

    asg_last_reqid[0] = '\0';

    if (out)
        *out = NULL;
    if (!group || !*group || n_ids == 0) {
        rc = cf_error_set(CF_EINVAL, "autoscaling %s: need a group and instances", action);
        goto cleanup;
    }
    rc = cf_aws_params_add(&p, "AutoScalingGroupName", group);
    if (!rc)
        rc = cf_svc_params_list(&p, "InstanceIds", ".member.", ids, n_ids);
    if (!rc && decrement >= 0)
        rc = cf_aws_params_add(&p, "ShouldDecrementDesiredCapacity", decrement ? "true" : "false");
    if (!rc) {
        rc = cf_aws_query(aws, &cf_aws_svc_autoscaling, action, &p, &r);
        snprintf(asg_last_reqid, sizeof(asg_last_reqid), "%s", r.request_id);
        if (rc)
            cf_error_wrap("autoscaling %s %s", action, group);
    }
    if (rc || !out)
        goto cleanup;
    l = calloc(1, sizeof(*l));
    if (!l) {
        rc = cf_svc_oom();
        goto cleanup;
    }
    if (!rc)
        rc = cf_svc_pname(result, sizeof(result), "%sResult", action);
    if (!rc)
        rc = cf_asg_parse_activities(l, r.xml, result);
    if (rc)
        goto cleanup;
    *out = l;
    l = NULL;
cleanup:
    cf_asg_activity_list_free(l);
    cf_aws_response_release(&r);
    cf_aws_params_release(&p);
    return rc;
}

int cf_asg_enter_standby(cf_asg_activity_list **out, cf_aws *aws, const char *group,
                         const char *const *ids, size_t n_ids, int decrement_desired)
{
    return group_call(out, aws, "EnterStandby", group, ids, n_ids, decrement_desired != 0);
}

int cf_asg_detach_instances(cf_asg_activity_list **out, cf_aws *aws, const char *group,
                            const char *const *ids, size_t n_ids, int decrement_desired)
{
    return group_call(out, aws, "DetachInstances", group, ids, n_ids, decrement_desired != 0);
}

int cf_asg_exit_standby(cf_asg_activity_list **out, cf_aws *aws, const char *group,
                        const char *const *ids, size_t n_ids)
{
    return group_call(out, aws, "ExitStandby", group, ids, n_ids, -1);
}
