/* STS calls (query protocol). */
#include "aws/sts.h"
#include "aws/aws_internal.h"
#include "common/cf_time.h"

#include <string.h>

int cf_sts_get_caller_identity(cf_aws *aws, cf_sts_identity *out)
{
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    xmlNode *res;
    int rc;
    memset(out, 0, sizeof(*out));
    rc = cf_aws_query(aws, &cf_aws_svc_sts, "GetCallerIdentity", NULL, &r);
    if (rc)
        goto cleanup;
    snprintf(out->request_id, sizeof(out->request_id), "%s", r.request_id);
    res = cf_xml_child(xmlDocGetRootElement(r.xml), "GetCallerIdentityResult");
    rc = cf_xml_text_copy(res, "Account", out->account, sizeof(out->account));
    if (!rc)
        rc = cf_xml_text_copy(res, "Arn", out->arn, sizeof(out->arn));
    if (!rc)
        rc = cf_xml_text_copy(res, "UserId", out->user_id, sizeof(out->user_id));
    if (rc)
        cf_error_wrap("GetCallerIdentity response");
cleanup:
    cf_aws_response_release(&r);
    return rc;
}

int cf_sts_assume_role(cf_aws *aws, const char *role_arn, const char *session_name,
                       const char *external_id, int duration_s, cf_sts_assume_role_result *out)
{
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    xmlNode *res, *cr;
    const char *exp;
    int rc;
    memset(out, 0, sizeof(*out));
    rc = cf_aws_params_add(&p, "RoleArn", role_arn);
    if (!rc)
        rc = cf_aws_params_add(&p, "RoleSessionName", session_name);
    if (!rc && duration_s > 0)
        rc = cf_aws_params_addf(&p, "DurationSeconds", "%d", duration_s);
    if (!rc && external_id)
        rc = cf_aws_params_add(&p, "ExternalId", external_id);
    if (!rc)
        rc = cf_aws_query(aws, &cf_aws_svc_sts, "AssumeRole", &p, &r);
    if (rc)
        goto cleanup;
    snprintf(out->request_id, sizeof(out->request_id), "%s", r.request_id);
    res = cf_xml_child(xmlDocGetRootElement(r.xml), "AssumeRoleResult");
    cr = cf_xml_child(res, "Credentials");
    rc = cf_xml_text_copy(cr, "AccessKeyId", out->credentials.access_key_id,
                          sizeof(out->credentials.access_key_id));
    if (!rc)
        rc = cf_xml_text_copy(cr, "SecretAccessKey", out->credentials.secret_access_key,
                              sizeof(out->credentials.secret_access_key));
    if (!rc)
        rc = cf_xml_text_copy(cr, "SessionToken", out->credentials.session_token,
                              sizeof(out->credentials.session_token));
    exp = cf_xml_text(cr, "Expiration");
    if (!rc && (!exp || cf_aws_expiration_parse(exp, &out->credentials.expiration_ns)))
        rc = cf_error_set(CF_EPARSE, "AssumeRole response has no valid Expiration");
    if (!rc) {
        /* optional fields */
        cf_xml_text_copy(res, "AssumedRoleUser/Arn", out->assumed_role_arn,
                         sizeof(out->assumed_role_arn));
        cf_xml_text_copy(res, "AssumedRoleUser/AssumedRoleId", out->assumed_role_id,
                         sizeof(out->assumed_role_id));
        snprintf(out->credentials.source, sizeof(out->credentials.source), "assume-role");
    }
    if (rc) {
        cf_error_wrap("AssumeRole response");
        memset(&out->credentials, 0, sizeof(out->credentials));
    }
cleanup:
    cf_aws_response_release(&r);
    cf_aws_params_release(&p);
    return rc;
}
