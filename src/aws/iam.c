/* iam: PutRolePolicy and GetInstanceProfile over cf_aws_query (see iam.h). */
#include "aws/iam.h"

#include <stdlib.h>
#include <string.h>

static int oom(void)
{
    return cf_error_set(CF_ENOMEM, "out of memory");
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

int cf_iam_put_role_policy(cf_aws *aws, const char *role, const char *policy_name,
                           const char *policy_json)
{
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    int rc = 0;

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
    if (rc)
        cf_error_wrap("iam PutRolePolicy %s/%s", role, policy_name);
cleanup:
    cf_aws_response_release(&r);
    cf_aws_params_release(&p);
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
    for (size_t i = 0; i < p->n_roles; i++) {
        free(p->roles[i].name);
        free(p->roles[i].id);
        free(p->roles[i].arn);
        free(p->roles[i].path);
    }
    free(p->roles);
    free(p);
}

int cf_iam_parse_instance_profile(cf_iam_instance_profile **out, xmlDoc *doc)
{
    xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
    xmlNode *ip = cf_xml_path(root, "GetInstanceProfileResult/InstanceProfile");
    xmlNode *roles = cf_xml_child(ip, "Roles"), *it;
    cf_iam_instance_profile *p = NULL;
    size_t cnt = 0;
    int rc = 0;

    *out = NULL;
    if (!ip) {
        rc = cf_error_set(CF_EPARSE, "IAM response: no InstanceProfile");
        goto cleanup;
    }
    p = calloc(1, sizeof(*p));
    if (!p) {
        rc = oom();
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
    CF_XML_FOREACH(it, roles, "member")
    cnt++;
    if (cnt > 1000) {
        rc = cf_error_set(CF_ETOOBIG, "IAM response: too many roles");
        goto cleanup;
    }
    if (cnt) {
        p->roles = calloc(cnt, sizeof(*p->roles));
        if (!p->roles) {
            rc = oom();
            goto cleanup;
        }
    }
    CF_XML_FOREACH(it, roles, "member")
    {
        cf_iam_role *r = &p->roles[p->n_roles++];
        rc = x_str(it, "RoleName", &r->name);
        if (!rc)
            rc = x_str(it, "RoleId", &r->id);
        if (!rc)
            rc = x_str(it, "Arn", &r->arn);
        if (!rc)
            rc = x_str(it, "Path", &r->path);
        if (!rc && !r->name)
            rc = cf_error_set(CF_EPARSE, "IAM response: role without RoleName");
        if (rc)
            goto cleanup;
    }
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
