/* Client core: temporary placeholders while the implementation lands (see docs/aws.md). */
#include "aws/cf_aws.h"

#include <stdlib.h>

#define NI() cf_error_set(CF_ERR, "%s: not implemented yet", __func__)

int cf_aws_new(cf_aws **out, const cf_aws_options *opts)
{
    *out = NULL;
    return NI();
}
void cf_aws_free(cf_aws *aws)
{
}
const char *cf_aws_region(const cf_aws *aws)
{
    return "";
}
const char *cf_aws_profile(const cf_aws *aws)
{
    return "";
}
int cf_aws_endpoint(cf_aws *aws, const cf_aws_service *svc, char *out, size_t cap)
{
    return NI();
}
int cf_aws_endpoint_overridden(cf_aws *aws, const cf_aws_service *svc)
{
    return 0;
}
int cf_aws_get_credentials(cf_aws *aws, cf_aws_credentials *out)
{
    return NI();
}
void cf_aws_reset_credentials(cf_aws *aws)
{
}
void cf_aws_response_release(cf_aws_response *r)
{
}
const char *cf_aws_response_header(const cf_aws_response *r, const char *name)
{
    return NULL;
}
int cf_aws_query(cf_aws *aws, const cf_aws_service *svc, const char *action,
                 const cf_aws_params *params, cf_aws_response *out)
{
    return NI();
}
int cf_aws_json(cf_aws *aws, const cf_aws_service *svc, const char *operation, json_t *body,
                cf_aws_response *out)
{
    return NI();
}
int cf_aws_rest(cf_aws *aws, const cf_aws_service *svc, const cf_aws_request *req,
                cf_aws_response *out)
{
    return NI();
}
int cf_aws_presign(cf_aws *aws, const cf_aws_service *svc, const char *method, const char *bucket,
                   const char *path, const cf_aws_params *query, int expires_s, char **url_out)
{
    return NI();
}
int cf_aws_query_paginate(cf_aws *aws, const cf_aws_service *svc, const char *action,
                          const cf_aws_params *params, const char *token_param,
                          const char *token_elem, int max_pages, cf_aws_page_fn fn, void *ctx)
{
    return NI();
}
int cf_aws_json_paginate(cf_aws *aws, const cf_aws_service *svc, const char *operation,
                         json_t *body, const char *token_in, const char *token_out, int max_pages,
                         cf_aws_page_fn fn, void *ctx)
{
    return NI();
}
int cf_aws_error_from_response(long http_status, const char *body, size_t len,
                               const char *x_amzn_error_type, const char *header_request_id)
{
    return NI();
}
int cf_aws_error_is(const char *aws_code)
{
    return 0;
}
int cf_aws_error_is_dry_run_ok(void)
{
    return 0;
}
int cf_aws_error_retryable(long http_status, const char *aws_code)
{
    return 0;
}
int cf_xml_parse(const char *data, size_t len, xmlDoc **out)
{
    return NI();
}
xmlNode *cf_xml_child(xmlNode *node, const char *name)
{
    return NULL;
}
xmlNode *cf_xml_next(xmlNode *node, const char *name)
{
    return NULL;
}
xmlNode *cf_xml_path(xmlNode *node, const char *path)
{
    return NULL;
}
const char *cf_xml_text(xmlNode *node, const char *path)
{
    return NULL;
}
int cf_xml_text_copy(xmlNode *node, const char *path, char *out, size_t cap)
{
    return NI();
}
int cf_xml_int64(xmlNode *node, const char *path, int64_t *out)
{
    return NI();
}
int cf_xml_bool(xmlNode *node, const char *path, int *out)
{
    return NI();
}
