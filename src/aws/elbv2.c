/* elbv2: target group calls over cf_aws_query (see elbv2.h). */
#include "aws/elbv2.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/svc_internal.h"

static const cf_svc_cap elbv2_cap = {"ELBv2", CF_ELBV2_MAX_ITEMS, "items"};

static int x_str(xmlNode *n, const char *path, char **out)
{
    return cf_svc_xml_str(n, path, 0, out);
}

static int x_int(xmlNode *n, const char *path, int *out)
{
    return cf_svc_xml_int(n, path, -1, "ELBv2", out);
}

static xmlNode *x_result(xmlDoc *doc, const char *result)
{
    return cf_xml_child(doc ? xmlDocGetRootElement(doc) : NULL, result);
}

/* ---- target groups -------------------------------------------------------------------------- */

static void tg_release(void *elem)
{
    cf_elbv2_target_group *g = elem;

    free(g->arn);
    free(g->name);
    free(g->protocol);
    free(g->vpc_id);
    free(g->target_type);
    for (size_t i = 0; i < g->n_lb_arns; i++)
        free(g->lb_arns[i]);
    free(g->lb_arns);
}

void cf_elbv2_tg_list_free(cf_elbv2_tg_list *l)
{
    if (l)
        cf_svc_items_free(l->items, l->n, sizeof(*l->items), tg_release);
    free(l);
}

static int tg_parse(xmlNode *it, void *elem)
{
    cf_elbv2_target_group *g = elem;
    xmlNode *lbs = cf_xml_child(it, "LoadBalancerArns"), *m;
    size_t cnt = cf_svc_xml_count(lbs, "member");
    int rc = cf_svc_xml_id(it, "TargetGroupArn", "ELBv2", "target group", &g->arn);

    if (!rc)
        rc = x_str(it, "TargetGroupName", &g->name);
    if (!rc)
        rc = x_str(it, "Protocol", &g->protocol);
    if (!rc)
        rc = x_int(it, "Port", &g->port);
    if (!rc)
        rc = x_str(it, "VpcId", &g->vpc_id);
    if (!rc)
        rc = x_str(it, "TargetType", &g->target_type);
    if (!rc)
        rc = cf_svc_grow((void **)&g->lb_arns, 0, cnt, sizeof(char *), &elbv2_cap);
    if (rc)
        return rc;
    CF_XML_FOREACH(m, lbs, "member")
    {
        rc = x_str(m, NULL, &g->lb_arns[g->n_lb_arns]);
        if (rc)
            return rc;
        if (g->lb_arns[g->n_lb_arns])
            g->n_lb_arns++;
    }
    return 0;
}

int cf_elbv2_parse_target_groups(cf_elbv2_tg_list *l, xmlDoc *doc)
{
    xmlNode *set = cf_xml_child(x_result(doc, "DescribeTargetGroupsResult"), "TargetGroups");

    return cf_svc_xml_items(set, "member", (void **)&l->items, &l->n, sizeof(*l->items), &elbv2_cap,
                            tg_parse, tg_release);
}

static int tg_parse_v(void *l, xmlDoc *doc)
{
    return cf_elbv2_parse_target_groups(l, doc);
}

int cf_elbv2_describe_target_groups(cf_elbv2_tg_list **out, cf_aws *aws, const char *const *arns,
                                    size_t n_arns, const char *lb_arn)
{
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    cf_elbv2_tg_list *l = calloc(1, sizeof(*l));
    cf_svc_pages pages = {"ELBv2", l, tg_parse_v, NULL};
    int rc = l ? 0 : cf_svc_oom();

    *out = NULL;
    if (!rc)
        rc = cf_svc_params_list(&p, "TargetGroupArns", ".member.", arns, n_arns);
    if (!rc && lb_arn)
        rc = cf_aws_params_add(&p, "LoadBalancerArn", lb_arn);
    if (!rc)
        rc = cf_svc_query_pages(aws, &cf_aws_svc_elbv2, "elbv2", "DescribeTargetGroups", &p,
                                "Marker", "NextMarker", cf_svc_page, &pages);
    if (rc)
        goto cleanup;
    *out = l;
    l = NULL;
cleanup:
    cf_elbv2_tg_list_free(l);
    cf_aws_params_release(&p);
    return rc;
}

/* ---- target health -------------------------------------------------------------------------- */

static void th_release(void *elem)
{
    cf_elbv2_target_health *h = elem;

    free(h->id);
    free(h->az);
    free(h->state);
    free(h->reason);
    free(h->description);
}

void cf_elbv2_health_list_free(cf_elbv2_health_list *l)
{
    if (l)
        cf_svc_items_free(l->items, l->n, sizeof(*l->items), th_release);
    free(l);
}

static int th_parse(xmlNode *it, void *elem)
{
    cf_elbv2_target_health *h = elem;
    int rc = cf_svc_xml_id(it, "Target/Id", "ELBv2", "target health", &h->id);

    if (!rc)
        rc = x_int(it, "Target/Port", &h->port);
    if (!rc)
        rc = x_str(it, "Target/AvailabilityZone", &h->az);
    if (!rc)
        rc = x_str(it, "TargetHealth/State", &h->state);
    if (!rc)
        rc = x_str(it, "TargetHealth/Reason", &h->reason);
    if (!rc)
        rc = x_str(it, "TargetHealth/Description", &h->description);
    return rc;
}

int cf_elbv2_parse_target_health(cf_elbv2_health_list *l, xmlDoc *doc)
{
    xmlNode *set =
        cf_xml_child(x_result(doc, "DescribeTargetHealthResult"), "TargetHealthDescriptions");

    return cf_svc_xml_items(set, "member", (void **)&l->items, &l->n, sizeof(*l->items), &elbv2_cap,
                            th_parse, th_release);
}

static int p_targets(cf_aws_params *p, const cf_elbv2_target *t, size_t n)
{
    char name[128];
    int rc = 0;

    if (n && !t)
        return cf_error_set(CF_EINVAL, "elbv2: n targets without targets");
    for (size_t i = 0; !rc && i < n; i++) {
        if (!t[i].id)
            return cf_error_set(CF_EINVAL, "elbv2: target %zu without id", i + 1);
        if (!rc)
            rc = cf_svc_pname(name, sizeof(name), "Targets.member.%zu.Id", i + 1);
        if (!rc)
            rc = cf_aws_params_add(p, name, t[i].id);
        if (!rc && t[i].port > 0) {
            if (!rc)
                rc = cf_svc_pname(name, sizeof(name), "Targets.member.%zu.Port", i + 1);
            if (!rc)
                rc = cf_aws_params_addf(p, name, "%d", t[i].port);
        }
        if (!rc && t[i].az) {
            if (!rc)
                rc = cf_svc_pname(name, sizeof(name), "Targets.member.%zu.AvailabilityZone", i + 1);
            if (!rc)
                rc = cf_aws_params_add(p, name, t[i].az);
        }
    }
    return rc;
}

int cf_elbv2_describe_target_health(cf_elbv2_health_list **out, cf_aws *aws, const char *tg_arn,
                                    const cf_elbv2_target *targets, size_t n)
{
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    cf_elbv2_health_list *l = NULL;
    int rc = 0;

    *out = NULL;
    if (!tg_arn) {
        rc = cf_error_set(CF_EINVAL, "elbv2 DescribeTargetHealth: no target group");
        goto cleanup;
    }
    l = calloc(1, sizeof(*l));
    rc = l ? cf_aws_params_add(&p, "TargetGroupArn", tg_arn) : cf_svc_oom();
    if (!rc)
        rc = p_targets(&p, targets, n);
    if (!rc) {
        rc = cf_aws_query(aws, &cf_aws_svc_elbv2, "DescribeTargetHealth", &p, &r);
        if (rc)
            cf_error_wrap("elbv2 DescribeTargetHealth");
    }
    if (!rc)
        rc = r.xml ? cf_elbv2_parse_target_health(l, r.xml)
                   : cf_error_set(CF_EPARSE, "ELBv2 response: empty body");
    if (rc)
        goto cleanup;
    *out = l;
    l = NULL;
cleanup:
    cf_elbv2_health_list_free(l);
    cf_aws_response_release(&r);
    cf_aws_params_release(&p);
    return rc;
}

static __thread char elbv2_last_reqid[128]; /* see cf_elbv2_last_request_id */

const char *cf_elbv2_last_request_id(void)
{
    return elbv2_last_reqid;
}

int cf_elbv2_deregister_targets(cf_aws *aws, const char *tg_arn, const cf_elbv2_target *targets,
                                size_t n)
{
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    int rc = 0;

    elbv2_last_reqid[0] = '\0';

    if (!tg_arn || n == 0) {
        rc = cf_error_set(CF_EINVAL, "elbv2 DeregisterTargets: need a target group and targets");
        goto cleanup;
    }
    rc = cf_aws_params_add(&p, "TargetGroupArn", tg_arn);
    if (!rc)
        rc = p_targets(&p, targets, n);
    if (!rc) {
        rc = cf_aws_query(aws, &cf_aws_svc_elbv2, "DeregisterTargets", &p, &r);
        snprintf(elbv2_last_reqid, sizeof(elbv2_last_reqid), "%s", r.request_id);
        if (rc)
            cf_error_wrap("elbv2 DeregisterTargets");
    }
cleanup:
    cf_aws_response_release(&r);
    cf_aws_params_release(&p);
    return rc;
}
