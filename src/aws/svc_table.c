/* The services casefile calls, as the AWS SDKs name them (service id, endpoint prefix, signing
 * name, protocol, API version). */
#include "aws/cf_aws.h"

const cf_aws_service cf_aws_svc_ec2 = {"EC2",        "ec2", "ec2", CF_AWS_PROTO_EC2,
                                       "2016-11-15", NULL,  NULL,  0};
const cf_aws_service cf_aws_svc_s3 = {"S3", "s3", "s3", CF_AWS_PROTO_REST_XML, NULL, NULL, NULL, 0};
const cf_aws_service cf_aws_svc_sts = {"STS",        "sts", "sts", CF_AWS_PROTO_QUERY,
                                       "2011-06-15", NULL,  NULL,  0};
const cf_aws_service cf_aws_svc_iam = {"IAM",        "iam", "iam", CF_AWS_PROTO_QUERY,
                                       "2010-05-08", NULL,  NULL,  1};
const cf_aws_service cf_aws_svc_sesv2 = {"SESv2", "email", "ses", CF_AWS_PROTO_REST_JSON,
                                         NULL,    NULL,    NULL,  0};
const cf_aws_service cf_aws_svc_ssm = {"SSM", "ssm",       "ssm", CF_AWS_PROTO_JSON,
                                       NULL,  "AmazonSSM", "1.1", 0};
const cf_aws_service cf_aws_svc_elbv2 = {"Elastic Load Balancing v2",
                                         "elasticloadbalancing",
                                         "elasticloadbalancing",
                                         CF_AWS_PROTO_QUERY,
                                         "2015-12-01",
                                         NULL,
                                         NULL,
                                         0};
const cf_aws_service cf_aws_svc_autoscaling = {
    "Auto Scaling", "autoscaling", "autoscaling", CF_AWS_PROTO_QUERY, "2011-01-01", NULL, NULL, 0};
const cf_aws_service cf_aws_svc_sqs = {"SQS", "sqs",       "sqs", CF_AWS_PROTO_JSON,
                                       NULL,  "AmazonSQS", "1.0", 0};
const cf_aws_service cf_aws_svc_ebs = {"EBS", "ebs", "ebs", CF_AWS_PROTO_REST_JSON,
                                       NULL,  NULL,  NULL,  0};
const cf_aws_service cf_aws_svc_cloudtrail = {
    "CloudTrail", "cloudtrail",
    "cloudtrail", CF_AWS_PROTO_JSON,
    NULL,         "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101",
    "1.1",        0};
