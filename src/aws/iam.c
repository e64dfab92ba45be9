/* iam: PutRolePolicy and GetInstanceProfile over cf_aws_query (see iam.h). */
#include "aws/iam.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/svc_internal.h"

static const cf_svc_cap iam_roles_cap = {"IAM", 1000, "roles"};

static int x_str(xmlNode *n, const char *path, char **out)
{
    return cf_svc_xml_str(n, path, 0, out);
}

static __thread char iam_last_reqid[128]; /* see cf_iam_last_request_id */

const char *cf_iam_last_request_id(void)
{
    return iam_last_reqid;
}

int cf_iam_put_role_policy(cf_aws *aws, const char *role, const char *policy_name,
                           const char *policy_json)
{
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    int rc = 0;

    iam_last_reqid[0] = '\0';

    if (!role || !*role || !policy_name || !*policy_name || !policy_json) {
        rc = cf_error_set(CF_EINVAL, "iam PutRolePolicy: need role, policy name and document");
        goto cleanup;
    }
    rc = cf_aws_params_add(&p, "RoleName", role);
    if (!rc)
        rc = cf_aws_params_add(&p, "PolicyName", policy_name);
    if (!rc)
        rc = cf_aws_params_add(&p, "PolicyDocument", policy_json);
    if (!rc)
        rc = cf_aws_query(aws, &cf_aws_svc_iam, "PutRolePolicy", &p, &r);
    snprintf(iam_last_reqid, sizeof(iam_last_reqid), "%s", r.request_id);
    if (rc)
        cf_error_wrap("iam PutRolePolicy %s/%s", role, policy_name);
cleanup:
    cf_aws_response_release(&r);
    cf_aws_params_release(&p);
    return rc;
}

static void role_release(void *elem)
{
    cf_iam_role *r = elem;

    free(r->name);
    free(r->id);
    free(r->arn);
    free(r->path);
}

static int role_parse(xmlNode *it, void *elem)
{
    cf_iam_role *r = elem;
    int rc = x_str(it, "RoleName", &r->name);

    if (!rc)
        rc = x_str(it, "RoleId", &r->id);
    if (!rc)
        rc = x_str(it, "Arn", &r->arn);
    if (!rc)
        rc = x_str(it, "Path", &r->path);
    if (!rc && !r->name)
        rc = cf_error_set(CF_EPARSE, "IAM response: role without RoleName");
    return rc;
}

void cf_iam_instance_profile_free(cf_iam_instance_profile *p)
{
    if (!p)
        return;
    free(p->name);
    free(p->id);
    free(p->arn);
    free(p->path);
    free(p->create_date);
    cf_svc_items_free(p->roles, p->n_roles, sizeof(*p->roles), role_release);
    free(p);
}

int cf_iam_parse_instance_profile(cf_iam_instance_profile **out, xmlDoc *doc)
{
    xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
    xmlNode *ip = cf_xml_path(root, "GetInstanceProfileResult/InstanceProfile");
    xmlNode *roles = cf_xml_child(ip, "Roles");
    cf_iam_instance_profile *p = NULL;
    int rc = 0;

    *out = NULL;
    if (!ip) {
        rc = cf_error_set(CF_EPARSE, "IAM response: no InstanceProfile");
        goto cleanup;
    }
    p = calloc(1, sizeof(*p));
    if (!p) {
        rc = cf_svc_oom();
        goto cleanup;
    }
    rc = x_str(ip, "InstanceProfileName", &p->name);
    if (!rc)
        rc = x_str(ip, "InstanceProfileId", &p->id);
    if (!rc)
        rc = x_str(ip, "Arn", &p->arn);
    if (!rc)
        rc = x_str(ip, "Path", &p->path);
    if (!rc)
        rc = x_str(ip, "CreateDate", &p->create_date);
    if (!rc && (!p->name || !p->arn))
        rc = cf_error_set(CF_EPARSE, "IAM response: instance profile without name or ARN");
    if (rc)
        goto cleanup;
    rc = cf_svc_xml_items(roles, "member", (void **)&p->roles, &p->n_roles, sizeof(*p->roles),
                          &iam_roles_cap, role_parse, role_release);
    if (rc)
        goto cleanup;
    *out = p;
    p = NULL;
cleanup:
    cf_iam_instance_profile_free(p);
    return rc;
}

int cf_iam_get_instance_profile(cf_iam_instance_profile **out, cf_aws *aws, const char *name)
{
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    int rc = 0;

    *out = NULL;
    if (!name || !*name) {
        rc = cf_error_set(CF_EINVAL, "iam GetInstanceProfile: no name");
        goto cleanup;
    }
    rc = cf_aws_params_add(&p, "InstanceProfileName", name);
    if (!rc)
        rc = cf_aws_query(aws, &cf_aws_svc_iam, "GetInstanceProfile", &p, &r);
    if (rc) {
        cf_error_wrap("iam GetInstanceProfile %s", name);
        goto cleanup;
    }
    rc = cf_iam_parse_instance_profile(out, r.xml);
cleanup:
    cf_aws_response_release(&r);
    cf_aws_params_release(&p);
    return rc;
}

const char *cf_iam_profile_name_from_arn(const char *arn)
{
    const char *p, *slash;

    if (!arn || strncmp(arn, "arn:", 4) != 0)
        return NULL;
    p = strstr(arn, ":instance-profile/");
    if (!p)
        return NULL;
    slash = strrchr(p, '/');
    return (slash && slash[1]) ? slash + 1 : NULL;
}
