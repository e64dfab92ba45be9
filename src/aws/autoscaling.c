/* autoscaling: calls over cf_aws_query (see autoscaling.h). */
#include "aws/autoscaling.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int oom(void)
{
    return cf_error_set(CF_ENOMEM, "out of memory");
}

/* Formats a parameter name; a name that does not fit is an error, never a truncated name. */
__attribute__((format(printf, 3, 4))) static int pname(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
    return (n < 0 || (size_t)n >= cap) ? cf_error_set(CF_EINVAL, "parameter name too long") : 0;
}

static int x_str(xmlNode *n, const char *path, char **out)
{
    const char *t = cf_xml_text(n, path);

    *out = NULL;
    if (!t)
        return 0;
    *out = strdup(t);
    return *out ? 0 : oom();
}

static int x_grow(void **items, size_t n_old, size_t add, size_t sz)
{
    void *p;

    if (add == 0)
        return 0;
    if (add > CF_ASG_MAX_ITEMS || n_old > CF_ASG_MAX_ITEMS - add)
        return cf_error_set(CF_ETOOBIG, "Auto Scaling response: more than %d items",
                            CF_ASG_MAX_ITEMS);
    p = realloc(*items, (n_old + add) * sz);
    if (!p)
        return oom();
    memset((char *)p + n_old * sz, 0, add * sz);
    *items = p;
    return 0;
}

static size_t x_count(xmlNode *parent)
{
    size_t n = 0;
    xmlNode *it;

    CF_XML_FOREACH(it, parent, "member")
    n++;
    return n;
}

static void inst_release(cf_asg_instance *x)
{
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
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        inst_release(&l->items[i]);
    free(l->items);
    free(l);
}

static int inst_parse(xmlNode *it, cf_asg_instance *x)
{
    int rc = x_str(it, "InstanceId", &x->instance_id);

    if (!rc && !x->instance_id)
        rc = cf_error_set(CF_EPARSE, "Auto Scaling response: instance without InstanceId");
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
    if (!rc) {
        rc = cf_xml_bool(it, "ProtectedFromScaleIn", &x->protected_from_scale_in);
        if (rc == CF_ENOTFOUND) {
            cf_error_clear();
            x->protected_from_scale_in = 0;
            rc = 0;
        }
    }
    return rc;
}

int cf_asg_parse_instances(cf_asg_instance_list *l, xmlDoc *doc)
{
    xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
    xmlNode *set = cf_xml_path(root, "DescribeAutoScalingInstancesResult/AutoScalingInstances");
    xmlNode *it;
    int rc = x_grow((void **)&l->items, l->n, x_count(set), sizeof(*l->items));

    if (rc)
        return rc;
    CF_XML_FOREACH(it, set, "member")
    {
        rc = inst_parse(it, &l->items[l->n]);
        if (rc) {
            inst_release(&l->items[l->n]);
            memset(&l->items[l->n], 0, sizeof(l->items[0]));
            return rc;
        }
        l->n++;
    }
    return 0;
}

static int inst_page(void *ctx, const cf_aws_response *page)
{
    if (!page->xml)
        return cf_error_set(CF_EPARSE, "Auto Scaling response: empty body");
    return cf_asg_parse_instances(ctx, page->xml);
}

static int p_members(cf_aws_params *p, const char *prefix, const char *const *v, size_t n)
{
    char name[128];
    int rc = 0;

    if (n && !v)
        return cf_error_set(CF_EINVAL, "%s: n without values", prefix);
    for (size_t i = 0; !rc && i < n; i++) {
        if (!v[i])
            return cf_error_set(CF_EINVAL, "%s: NULL value", prefix);
        if (!rc)
            rc = pname(name, sizeof(name), "%s.member.%zu", prefix, i + 1);
        if (!rc)
            rc = cf_aws_params_add(p, name, v[i]);
    }
    return rc;
}

int cf_asg_describe_instances(cf_asg_instance_list **out, cf_aws *aws, const char *const *ids,
                              size_t n_ids)
{
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    cf_asg_instance_list *l = calloc(1, sizeof(*l));
    int rc = l ? 0 : oom();

    *out = NULL;
    if (!rc)
        rc = p_members(&p, "InstanceIds", ids, n_ids);
    if (rc)
        goto cleanup;
    rc = cf_aws_query_paginate(aws, &cf_aws_svc_autoscaling, "DescribeAutoScalingInstances", &p,
                               "NextToken", "NextToken", 0, inst_page, l);
    if (rc < 0) {
        cf_error_wrap("autoscaling DescribeAutoScalingInstances");
        goto cleanup;
    }
    rc = 0;
    *out = l;
    l = NULL;
cleanup:
    cf_asg_instance_list_free(l);
    cf_aws_params_release(&p);
    return rc;
}

/* ---- activities ----------------------------------------------------------------------------- */

static void act_release(cf_asg_activity *a)
{
    free(a->id);
    free(a->group_name);
    free(a->status_code);
    free(a->description);
    free(a->cause);
}

void cf_asg_activity_list_free(cf_asg_activity_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        act_release(&l->items[i]);
    free(l->items);
    free(l);
}

int cf_asg_parse_activities(cf_asg_activity_list *l, xmlDoc *doc, const char *result)
{
    xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
    xmlNode *set = cf_xml_child(cf_xml_child(root, result), "Activities");
    xmlNode *it;
    int rc = x_grow((void **)&l->items, l->n, x_count(set), sizeof(*l->items));

    if (rc)
        return rc;
    CF_XML_FOREACH(it, set, "member")
    {
        cf_asg_activity *a = &l->items[l->n];
        int64_t prog = -1;
        rc = x_str(it, "ActivityId", &a->id);
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
        if (rc) {
            act_release(a);
            memset(a, 0, sizeof(*a));
            return rc;
        }
        l->n++;
    }
    return 0;
}

static int group_call(cf_asg_activity_list **out, cf_aws *aws, const char *action,
                      const char *group, const char *const *ids, size_t n_ids, int decrement)
{
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    cf_asg_activity_list *l = NULL;
    char result[64];
    int rc = 0;

    if (out)
        *out = NULL;
    if (!group || !*group || n_ids == 0) {
        rc = cf_error_set(CF_EINVAL, "autoscaling %s: need a group and instances", action);
        goto cleanup;
    }
    rc = cf_aws_params_add(&p, "AutoScalingGroupName", group);
    if (!rc)
        rc = p_members(&p, "InstanceIds", ids, n_ids);
    if (!rc)
        rc = cf_aws_params_add(&p, "ShouldDecrementDesiredCapacity", decrement ? "true" : "false");
    if (!rc) {
        rc = cf_aws_query(aws, &cf_aws_svc_autoscaling, action, &p, &r);
        if (rc)
            cf_error_wrap("autoscaling %s %s", action, group);
    }
    if (rc || !out)
        goto cleanup;
    l = calloc(1, sizeof(*l));
    if (!l) {
        rc = oom();
        goto cleanup;
    }
    if (!rc)
        rc = pname(result, sizeof(result), "%sResult", action);
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
    return group_call(out, aws, "EnterStandby", group, ids, n_ids, decrement_desired);
}

int cf_asg_detach_instances(cf_asg_activity_list **out, cf_aws *aws, const char *group,
                            const char *const *ids, size_t n_ids, int decrement_desired)
{
    return group_call(out, aws, "DetachInstances", group, ids, n_ids, decrement_desired);
}
