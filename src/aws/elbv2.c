/* elbv2: target group calls over cf_aws_query (see elbv2.h). */
#include "aws/elbv2.h"

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

static int x_int(xmlNode *n, const char *path, int *out)
{
    int64_t v = 0;
    int rc = cf_xml_int64(n, path, &v);

    *out = -1;
    if (rc == CF_ENOTFOUND) {
        cf_error_clear();
        return 0;
    }
    if (rc)
        return rc;
    if (v < INT_MIN || v > INT_MAX)
        return cf_error_set(CF_EPARSE, "ELBv2 response: %s out of range", path);
    *out = (int)v;
    return 0;
}

static int x_grow(void **items, size_t n_old, size_t add, size_t sz)
{
    void *p;

    if (add == 0)
        return 0;
    if (add > CF_ELBV2_MAX_ITEMS || n_old > CF_ELBV2_MAX_ITEMS - add)
        return cf_error_set(CF_ETOOBIG, "ELBv2 response: more than %d items", CF_ELBV2_MAX_ITEMS);
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

static xmlNode *x_result(xmlDoc *doc, const char *result)
{
    return cf_xml_child(doc ? xmlDocGetRootElement(doc) : NULL, result);
}

/* ---- target groups -------------------------------------------------------------------------- */

static void tg_release(cf_elbv2_target_group *g)
{
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
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        tg_release(&l->items[i]);
    free(l->items);
    free(l);
}

static int tg_parse(xmlNode *it, cf_elbv2_target_group *g)
{
    xmlNode *lbs = cf_xml_child(it, "LoadBalancerArns"), *m;
    size_t cnt = x_count(lbs);
    int rc = x_str(it, "TargetGroupArn", &g->arn);

    if (!rc && !g->arn)
        rc = cf_error_set(CF_EPARSE, "ELBv2 response: target group without TargetGroupArn");
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
        rc = x_grow((void **)&g->lb_arns, 0, cnt, sizeof(char *));
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
    xmlNode *it;
    int rc = x_grow((void **)&l->items, l->n, x_count(set), sizeof(*l->items));

    if (rc)
        return rc;
    CF_XML_FOREACH(it, set, "member")
    {
        rc = tg_parse(it, &l->items[l->n]);
        if (rc) {
            tg_release(&l->items[l->n]);
            memset(&l->items[l->n], 0, sizeof(l->items[0]));
            return rc;
        }
        l->n++;
    }
    return 0;
}

static int tg_page(void *ctx, const cf_aws_response *page)
{
    if (!page->xml)
        return cf_error_set(CF_EPARSE, "ELBv2 response: empty body");
    return cf_elbv2_parse_target_groups(ctx, page->xml);
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

int cf_elbv2_describe_target_groups(cf_elbv2_tg_list **out, cf_aws *aws, const char *const *arns,
                                    size_t n_arns, const char *lb_arn)
{
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    cf_elbv2_tg_list *l = calloc(1, sizeof(*l));
    int rc = l ? 0 : oom();

    *out = NULL;
    if (!rc)
        rc = p_members(&p, "TargetGroupArns", arns, n_arns);
    if (!rc && lb_arn)
        rc = cf_aws_params_add(&p, "LoadBalancerArn", lb_arn);
    if (rc)
        goto cleanup;
    rc = cf_aws_query_paginate(aws, &cf_aws_svc_elbv2, "DescribeTargetGroups", &p, "Marker",
                               "NextMarker", 0, tg_page, l);
    if (rc < 0) {
        cf_error_wrap("elbv2 DescribeTargetGroups");
        goto cleanup;
    }
    rc = 0;
    *out = l;
    l = NULL;
cleanup:
    cf_elbv2_tg_list_free(l);
    cf_aws_params_release(&p);
    return rc;
}

/* ---- target health -------------------------------------------------------------------------- */

static void th_release(cf_elbv2_target_health *h)
{
    free(h->id);
    free(h->az);
    free(h->state);
    free(h->reason);
    free(h->description);
}

void cf_elbv2_health_list_free(cf_elbv2_health_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        th_release(&l->items[i]);
    free(l->items);
    free(l);
}

int cf_elbv2_parse_target_health(cf_elbv2_health_list *l, xmlDoc *doc)
{
    xmlNode *set =
        cf_xml_child(x_result(doc, "DescribeTargetHealthResult"), "TargetHealthDescriptions");
    xmlNode *it;
    int rc = x_grow((void **)&l->items, l->n, x_count(set), sizeof(*l->items));

    if (rc)
        return rc;
    CF_XML_FOREACH(it, set, "member")
    {
        cf_elbv2_target_health *h = &l->items[l->n];
        rc = x_str(it, "Target/Id", &h->id);
        if (!rc && !h->id)
            rc = cf_error_set(CF_EPARSE, "ELBv2 response: target health without Target/Id");
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
        if (rc) {
            th_release(h);
            memset(h, 0, sizeof(*h));
            return rc;
        }
        l->n++;
    }
    return 0;
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
            rc = pname(name, sizeof(name), "Targets.member.%zu.Id", i + 1);
        if (!rc)
            rc = cf_aws_params_add(p, name, t[i].id);
        if (!rc && t[i].port > 0) {
            if (!rc)
                rc = pname(name, sizeof(name), "Targets.member.%zu.Port", i + 1);
            if (!rc)
                rc = cf_aws_params_addf(p, name, "%d", t[i].port);
        }
        if (!rc && t[i].az) {
            if (!rc)
                rc = pname(name, sizeof(name), "Targets.member.%zu.AvailabilityZone", i + 1);
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
    rc = l ? cf_aws_params_add(&p, "TargetGroupArn", tg_arn) : oom();
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

int cf_elbv2_deregister_targets(cf_aws *aws, const char *tg_arn, const cf_elbv2_target *targets,
                                size_t n)
{
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    int rc = 0;

    if (!tg_arn || n == 0) {
        rc = cf_error_set(CF_EINVAL, "elbv2 DeregisterTargets: need a target group and targets");
        goto cleanup;
    }
    rc = cf_aws_params_add(&p, "TargetGroupArn", tg_arn);
    if (!rc)
        rc = p_targets(&p, targets, n);
    if (!rc) {
        rc = cf_aws_query(aws, &cf_aws_svc_elbv2, "DeregisterTargets", &p, &r);
        if (rc)
            cf_error_wrap("elbv2 DeregisterTargets");
    }
cleanup:
    cf_aws_response_release(&r);
    cf_aws_params_release(&p);
    return rc;
}
