/* SigV4 proof against moto with INITIAL_NO_AUTH_ACTION_COUNT=3: the first three calls (create an
 * IAM user, its access key, an inline allow-all policy) are not checked; after that moto
 * recomputes every request's signature with the user's secret (botocore's signer) and checks
 * IAM policy. One signed round trip per service must pass, and the same calls with a wrong
 * secret (or an unknown key) must fail with the right AWS error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/cf_aws.h"
#include "aws/s3.h"
#include "common/cf_json.h"

static char key_id[129], secret[129];

typedef struct svc_call {
    const char *name;
    const cf_aws_service *svc;
    const char *op;     /* query/json operation, or HTTP method for rest */
    const char *path;   /* rest only */
    const char *bucket; /* S3 only */
    const char *json;   /* json / rest-json body; NULL: none */
} svc_call;

static const svc_call calls[] = {
    {"EC2", &cf_aws_svc_ec2, "DescribeVpcs", NULL, NULL, NULL},
    {"S3", &cf_aws_svc_s3, "GET", "/", "cf-auth-bucket", NULL},
    /* POST: moto 5.2.1 fails its own signature check on SES v2 GETs (boto3's too) */
    {"SESv2", &cf_aws_svc_sesv2, "POST", "/v2/email/identities", NULL,
     "{\"EmailIdentity\":\"soc@example.com\"}"},
    /* moto 5.2.1 answers 500 to DescribeInstanceInformation / ListCommandInvocations once
     * authentication is on (boto3 too); DescribeParameters exercises the same protocol */
    {"SSM", &cf_aws_svc_ssm, "DescribeParameters", NULL, NULL, "{}"},
    {"STS", &cf_aws_svc_sts, "GetCallerIdentity", NULL, NULL, NULL},
    {"IAM", &cf_aws_svc_iam, "ListUsers", NULL, NULL, NULL},
    {"ELBv2", &cf_aws_svc_elbv2, "DescribeTargetGroups", NULL, NULL, NULL},
    {"AutoScaling", &cf_aws_svc_autoscaling, "DescribeAutoScalingInstances", NULL, NULL, NULL},
    {"SQS", &cf_aws_svc_sqs, "ListQueues", NULL, NULL, "{}"},
    {"CloudTrail", &cf_aws_svc_cloudtrail, "DescribeTrails", NULL, NULL, "{}"},
    {"EBS", &cf_aws_svc_ebs, "POST", "/snapshots", NULL, "{\"VolumeSize\":1}"},
};

static int do_call(cf_aws *aws, const svc_call *c, cf_aws_response *r)
{
    json_t *body = NULL;
    int rc;
    if (c->json)
        cf_json_parse(c->json, strlen(c->json), &body);
    switch (c->svc->protocol) {
    case CF_AWS_PROTO_EC2:
    case CF_AWS_PROTO_QUERY:
        rc = cf_aws_query(aws, c->svc, c->op, NULL, r);
        break;
    case CF_AWS_PROTO_JSON:
        rc = cf_aws_json(aws, c->svc, c->op, body, r);
        break;
    default: {
        cf_aws_request q = {0};
        q.method = c->op;
        q.path = c->path;
        q.bucket = c->bucket;
        q.json_body = body;
        rc = cf_aws_rest(aws, c->svc, &q, r);
    }
    }
    json_decref(body);
    return rc;
}

static cf_aws *client_with(const char *akid, const char *sk)
{
    cf_aws *aws = NULL;
    setenv("AWS_ACCESS_KEY_ID", akid, 1);
    setenv("AWS_SECRET_ACCESS_KEY", sk, 1);
    assert_int_equal(cf_aws_new(&aws, NULL), 0);
    return aws;
}

/* Must run first: these are the three unauthenticated actions. */
static void test_auth_setup_admin_user(void **state)
{
    cf_aws *aws = NULL;
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    xmlNode *k;
    (void)state;
    assert_int_equal(cf_aws_new(&aws, NULL), 0);
    cf_aws_params_add(&p, "UserName", "cf-responder");
    assert_int_equal(cf_aws_query(aws, &cf_aws_svc_iam, "CreateUser", &p, &r), 0);
    cf_aws_response_release(&r);
    assert_int_equal(cf_aws_query(aws, &cf_aws_svc_iam, "CreateAccessKey", &p, &r), 0);
    k = cf_xml_path(xmlDocGetRootElement(r.xml), "CreateAccessKeyResult/AccessKey");
    assert_int_equal(cf_xml_text_copy(k, "AccessKeyId", key_id, sizeof(key_id)), 0);
    assert_int_equal(cf_xml_text_copy(k, "SecretAccessKey", secret, sizeof(secret)), 0);
    cf_aws_response_release(&r);
    cf_aws_params_add(&p, "PolicyName", "admin");
    cf_aws_params_add(&p, "PolicyDocument",
                      "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                      "\"Action\":\"*\",\"Resource\":\"*\"}]}");
    if (cf_aws_query(aws, &cf_aws_svc_iam, "PutUserPolicy", &p, &r))
        fail_msg("PutUserPolicy: %s", cf_error_last()->msg);
    cf_aws_response_release(&r);
    cf_aws_params_release(&p);
    cf_aws_free(aws);
}

static void test_auth_signed_round_trip_per_service(void **state)
{
    cf_aws *aws = client_with(key_id, secret);
    (void)state;
    /* the bucket for the S3 call (itself a signed rest-xml call) */
    assert_int_equal(cf_s3_create_bucket(aws, "cf-auth-bucket"), 0);
    for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
        cf_aws_response r = CF_AWS_RESPONSE_INIT;
        int rc = do_call(aws, &calls[i], &r);
        if (rc)
            fail_msg("%s %s with the user's keys: %s [%s]", calls[i].name, calls[i].op,
                     cf_error_last()->msg, cf_buf_cstr(&r.body));
        assert_true(r.http_status >= 200 && r.http_status < 300);
        cf_aws_response_release(&r);
    }
    /* S3 object calls sign more headers (content type, checksum, conditions, checksum mode) */
    {
        cf_s3_put_options o = {0};
        cf_buf b = CF_BUF_INIT(1024);
        o.content_type = "application/x-ndjson";
        o.if_none_match_any = 1;
        if (cf_s3_put_object(aws, "cf-auth-bucket", "ips/list.jsonl", "{}\n", 3, &o, NULL))
            fail_msg("signed PutObject: %s", cf_error_last()->msg);
        if (cf_s3_get_object(aws, "cf-auth-bucket", "ips/list.jsonl", 1024, &b, NULL))
            fail_msg("signed GetObject: %s", cf_error_last()->msg);
        assert_string_equal(cf_buf_cstr(&b), "{}\n");
        cf_buf_release(&b);
    }
    cf_aws_free(aws);
}

static void test_auth_wrong_secret_fails(void **state)
{
    char wrong[129];
    cf_aws *aws;
    (void)state;
    snprintf(wrong, sizeof(wrong), "%s", secret);
    wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
    aws = client_with(key_id, wrong);
    for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
        cf_aws_response r = CF_AWS_RESPONSE_INIT;
        int rc = do_call(aws, &calls[i], &r);
        const cf_error *e = cf_error_last();
        const char *want;
        if (rc == 0)
            fail_msg("%s %s succeeded with a wrong secret", calls[i].name, calls[i].op);
        /* EC2 says AuthFailure (401) for any authentication failure, as AWS does */
        want = calls[i].svc == &cf_aws_svc_ec2 ? "AuthFailure" : "SignatureDoesNotMatch";
        if (strcmp(e->aws_code, want) != 0)
            fail_msg("%s: got %s (HTTP %ld) [%s], want %s", calls[i].name, e->aws_code,
                     e->http_status, cf_buf_cstr(&r.body), want);
        assert_true(e->http_status == 403 || e->http_status == 401);
        cf_aws_response_release(&r);
    }
    cf_aws_free(aws);
}

static void test_auth_unknown_key_fails(void **state)
{
    cf_aws *aws = client_with("AKIAUNKNOWNKEY000000", secret);
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    (void)state;
    assert_int_not_equal(do_call(aws, &calls[0], &r), 0); /* EC2 */
    assert_string_equal(cf_error_last()->aws_code, "AuthFailure");
    cf_aws_response_release(&r);
    assert_int_not_equal(do_call(aws, &calls[4], &r), 0); /* STS */
    assert_string_equal(cf_error_last()->aws_code, "InvalidClientTokenId");
    cf_aws_response_release(&r);
    assert_int_not_equal(do_call(aws, &calls[1], &r), 0); /* S3 */
    assert_string_equal(cf_error_last()->aws_code, "InvalidAccessKeyId");
    cf_aws_response_release(&r);
    cf_aws_free(aws);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auth_setup_admin_user),
        cmocka_unit_test(test_auth_signed_round_trip_per_service),
        cmocka_unit_test(test_auth_wrong_secret_fails),
        cmocka_unit_test(test_auth_unknown_key_fails),
    };
    if (!getenv("CF_MOTO_URL")) {
        fprintf(stderr, "run under tests/lib/with-moto with INITIAL_NO_AUTH_ACTION_COUNT=3\n");
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
