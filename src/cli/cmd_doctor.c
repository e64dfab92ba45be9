/* casefile doctor: prove credentials, region, endpoints, the evidence bucket and every permission
 * the workflow needs, before an incident. */
#include "aws/s3.h"
#include "aws/sts.h"
#include "cli/cli.h"
#include "common/cf_error.h"
#include "common/cf_json.h"
#include "workflow/cf_wf_cli.h"
#include "workflow/cf_workflow.h"
#include "workflow/wf_aws.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A harmless call proving an action is allowed: EC2 calls carry DryRun=true (AWS answers
 * DryRunOperation when allowed, UnauthorizedOperation when not); others are reads. Parameters are
 * placeholders: any answer but an authorization failure proves the permission. */
struct probe {
    const char *action;
    const cf_aws_service *svc;
    const char *api;
    const char *params[12]; /* name, value, ..., NULL */
};

/* The same for the JSON-protocol services: the request body. */
struct jprobe {
    const char *action;
    const cf_aws_service *svc;
    const char *api;
    const char *json;
};

#define EC2 &cf_aws_svc_ec2
static const struct probe probes[] = {
    {"ec2:DescribeInstances", EC2, "DescribeInstances", {NULL}},
    {"ec2:DescribeNetworkInterfaces", EC2, "DescribeNetworkInterfaces", {NULL}},
    {"ec2:DescribeSubnets", EC2, "DescribeSubnets", {NULL}},
    {"ec2:DescribeVpcs", EC2, "DescribeVpcs", {NULL}},
    {"ec2:DescribeNetworkAcls", EC2, "DescribeNetworkAcls", {NULL}},
    {"ec2:DescribeSecurityGroups", EC2, "DescribeSecurityGroups", {NULL}},
    {"ec2:DescribeVolumes", EC2, "DescribeVolumes", {NULL}},
    {"ec2:DescribeSnapshots", EC2, "DescribeSnapshots", {"OwnerId.1", "self", NULL}},
    {"ec2:DescribeIamInstanceProfileAssociations",
     EC2,
     "DescribeIamInstanceProfileAssociations",
     {NULL}},
    {"ec2:CreateNetworkAclEntry",
     EC2,
     "CreateNetworkAclEntry",
     {"NetworkAclId", "acl-00000000", "RuleNumber", "1", "Protocol", "-1", "RuleAction", "deny",
      "Egress", "false", "CidrBlock", "192.0.2.1/32"}},
    {"ec2:CreateSecurityGroup",
     EC2,
     "CreateSecurityGroup",
     {"GroupName", "casefile-doctor", "GroupDescription", "casefile doctor", NULL}},
    {"ec2:AuthorizeSecurityGroupIngress",
     EC2,
     "AuthorizeSecurityGroupIngress",
     {"GroupId", "sg-00000000", "IpPermissions.1.IpProtocol", "-1",
      "IpPermissions.1.IpRanges.1.CidrIp", "192.0.2.1/32", NULL}},
    {"ec2:RevokeSecurityGroupEgress",
     EC2,
     "RevokeSecurityGroupEgress",
     {"GroupId", "sg-00000000", "IpPermissions.1.IpProtocol", "-1",
      "IpPermissions.1.IpRanges.1.CidrIp", "0.0.0.0/0", NULL}},
    {"ec2:ModifyNetworkInterfaceAttribute",
     EC2,
     "ModifyNetworkInterfaceAttribute",
     {"NetworkInterfaceId", "eni-00000000", "SecurityGroupId.1", "sg-00000000", NULL}},
    {"ec2:ModifyInstanceAttribute",
     EC2,
     "ModifyInstanceAttribute",
     {"InstanceId", "i-00000000", "DisableApiTermination.Value", "true", NULL}},
    {"ec2:CreateTags",
     EC2,
     "CreateTags",
     {"ResourceId.1", "i-00000000", "Tag.1.Key", "casefile:doctor", "Tag.1.Value", "1", NULL}},
    {"ec2:CreateSnapshot", EC2, "CreateSnapshot", {"VolumeId", "vol-00000000", NULL}},
    {"ec2:AuthorizeSecurityGroupEgress",
     EC2,
     "AuthorizeSecurityGroupEgress",
     {"GroupId", "sg-00000000", "IpPermissions.1.IpProtocol", "-1",
      "IpPermissions.1.IpRanges.1.CidrIp", "192.0.2.1/32", NULL}},
    {"ec2:CreateVolume",
     EC2,
     "CreateVolume",
     {"SnapshotId", "snap-00000000", "AvailabilityZone", "us-east-1a", NULL}},
    {"ec2:AttachVolume",
     EC2,
     "AttachVolume",
     {"VolumeId", "vol-00000000", "InstanceId", "i-00000000", "Device", "/dev/sdf", NULL}},
    {"ec2:DetachVolume", EC2, "DetachVolume", {"VolumeId", "vol-00000000", NULL}},
    {"ec2:DeleteVolume", EC2, "DeleteVolume", {"VolumeId", "vol-00000000", NULL}},
    {"ec2:DeleteSecurityGroup", EC2, "DeleteSecurityGroup", {"GroupId", "sg-00000000", NULL}},
    {"ec2:RunInstances",
     EC2,
     "RunInstances",
     {"ImageId", "ami-00000000", "MinCount", "1", "MaxCount", "1", "InstanceType", "t3.micro",
      NULL}},
    {"ec2:TerminateInstances", EC2, "TerminateInstances", {"InstanceId.1", "i-00000000", NULL}},
    {"ec2:ReplaceIamInstanceProfileAssociation",
     EC2,
     "ReplaceIamInstanceProfileAssociation",
     {"AssociationId", "iip-assoc-00000000", "IamInstanceProfile.Name", "casefile-doctor", NULL}},
    /* Elsewhere there is no DryRun: a call on a resource that does not exist proves the
     * permission (authorization comes first) and changes nothing. */
    {"autoscaling:EnterStandby",
     &cf_aws_svc_autoscaling,
     "EnterStandby",
     {"AutoScalingGroupName", "casefile-doctor-none", "InstanceIds.member.1", "i-00000000",
      "ShouldDecrementDesiredCapacity", "true", NULL}},
    {"autoscaling:ExitStandby",
     &cf_aws_svc_autoscaling,
     "ExitStandby",
     {"AutoScalingGroupName", "casefile-doctor-none", "InstanceIds.member.1", "i-00000000", NULL}},
    {"autoscaling:DetachInstances",
     &cf_aws_svc_autoscaling,
     "DetachInstances",
     {"AutoScalingGroupName", "casefile-doctor-none", "InstanceIds.member.1", "i-00000000",
      "ShouldDecrementDesiredCapacity", "true", NULL}},
    {"elasticloadbalancing:DescribeTargetHealth",
     &cf_aws_svc_elbv2,
     "DescribeTargetHealth",
     {"TargetGroupArn",
      "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/casefile-doctor/0", NULL}},
    {"elasticloadbalancing:DeregisterTargets",
     &cf_aws_svc_elbv2,
     "DeregisterTargets",
     {"TargetGroupArn",
      "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/casefile-doctor/0",
      "Targets.member.1.Id", "i-00000000", NULL}},
    {"iam:GetInstanceProfile",
     &cf_aws_svc_iam,
     "GetInstanceProfile",
     {"InstanceProfileName", "casefile-doctor-none", NULL}},
    {"iam:PutRolePolicy",
     &cf_aws_svc_iam,
     "PutRolePolicy",
     {"RoleName", "casefile-doctor-none", "PolicyName", "casefile-doctor", "PolicyDocument",
      "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"*\","
      "\"Resource\":\"*\"}]}",
      NULL}},
    {"autoscaling:DescribeAutoScalingInstances",
     &cf_aws_svc_autoscaling,
     "DescribeAutoScalingInstances",
     {NULL}},
    {"elasticloadbalancing:DescribeTargetGroups",
     &cf_aws_svc_elbv2,
     "DescribeTargetGroups",
     {NULL}},
    {"sts:GetCallerIdentity", &cf_aws_svc_sts, "GetCallerIdentity", {NULL}},
};

static const struct jprobe jprobes[] = {
    {"ssm:ListCommands", &cf_aws_svc_ssm, "ListCommands", "{\"MaxResults\": 1}"},
    {"ssm:SendCommand", &cf_aws_svc_ssm, "SendCommand",
     "{\"DocumentName\": \"AWS-RunShellScript\", \"InstanceIds\": [\"i-00000000\"],"
     " \"Parameters\": {\"commands\": [\"true\"]}, \"Comment\": \"casefile doctor\"}"},
    {"cloudtrail:LookupEvents", &cf_aws_svc_cloudtrail, "LookupEvents", "{\"MaxResults\": 1}"},
};

#define N_PROBES  (sizeof(probes) / sizeof(probes[0]))
#define N_JPROBES (sizeof(jprobes) / sizeof(jprobes[0]))

static int run_probe(cf_aws *aws, const struct probe *p, const struct jprobe *jp, char *why,
                     size_t cap)
{
    cf_aws_params ps = CF_AWS_PARAMS_INIT;
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    int rc = CF_OK;
    for (size_t i = 0; p && i + 1 < 12 && p->params[i] && p->params[i + 1] && !rc; i += 2)
        rc = cf_aws_params_add(&ps, p->params[i], p->params[i + 1]);
    if (!rc && p && p->svc == &cf_aws_svc_ec2 && strncmp(p->api, "Describe", 8))
        rc = cf_aws_params_add(&ps, "DryRun", "true");
    if (!rc && jp) {
        json_t *body = NULL;
        rc = cf_json_parse(jp->json, strlen(jp->json), &body);
        if (!rc)
            rc = cf_aws_json(aws, jp->svc, jp->api, body, &r);
        json_decref(body);
    } else if (!rc) {
        rc = cf_aws_query(aws, p->svc, p->api, &ps, &r);
    }
    why[0] = '\0';
    if (rc) {
        snprintf(why, cap, "%s", cf_error_last()->msg);
        if (rc != CF_EDENIED && rc != CF_ENET)
            rc = CF_OK; /* answered past authorization: allowed (DryRunOperation, bad id, ...) */
    }
    cf_aws_response_release(&r);
    cf_aws_params_release(&ps);
    return rc;
}

/* cf_s3_list_objects callback: the first key is enough. */
static int first_key(void *ctx, const char *key, const cf_s3_object_info *info)
{
    (void)ctx;
    (void)key;
    (void)info;
    return 1;
}

int cf_cmd_doctor(int argc, char **argv)
{
    int print_cfg = 0;
    const cf_wf_cli_cmd cmd = {
        .name = "doctor",
        .help = "usage: casefile doctor [--config FILE] [--print-config] [--KEY VALUE]...\n\n"
                "Checks, before an incident: the configuration, the region, the endpoints,\n"
                "the credentials (sts:GetCallerIdentity), the evidence bucket (write, read)\n"
                "and every permission of the workflow that can be proven without a side\n"
                "effect (EC2 calls with DryRun=true, reads elsewhere). Each line says OK or\n"
                "MISSING <action>. Exit 0 when all pass, 3 when something is missing.\n"
                "--print-config prints the effective configuration.\n",
        .flag = "--print-config",
        .flag_set = &print_cfg};
    cf_config cfg;
    cf_aws *aws = NULL;
    char why[1024], ep[512];
    int rc, bad = 0, exit_code;
    if (!cf_wf_cli_start(&cmd, &cfg, argc, argv, &exit_code))
        return exit_code;
    if (print_cfg) {
        for (const cf_config_key *k = cf_config_keys(); k->name; k++) {
            char v[4200];
            cf_config_get(&cfg, k->name, v, sizeof(v));
            printf("%-24s %s\n", k->name, v);
        }
    }
    if ((rc = cf_config_validate(&cfg))) {
        printf("MISSING  configuration: %s\n", cf_error_last()->msg);
        bad++;
    } else {
        printf("OK       configuration\n");
    }
    if ((rc = cf_wf_cli_aws(&cfg, &aws))) {
        printf("MISSING  AWS client: %s\n", cf_error_last()->msg);
        exit_code = CF_EXIT_ENV;
        goto cleanup;
    }
    if (!*cf_aws_region(aws)) {
        printf("MISSING  region: set AWS_REGION or region\n");
        bad++;
    } else {
        printf("OK       region %s\n", cf_aws_region(aws));
    }
    {
        const cf_aws_service *svcs[] = {&cf_aws_svc_ec2, &cf_aws_svc_s3, &cf_aws_svc_sesv2,
                                        &cf_aws_svc_ssm};
        for (size_t i = 0; i < 4; i++)
            if (cf_aws_endpoint(aws, svcs[i], ep, sizeof(ep)) == CF_OK)
                printf("OK       endpoint %-5s %s\n", svcs[i]->endpoint_prefix, ep);
    }
    {
        cf_aws_credentials cr;
        if (cf_aws_get_credentials(aws, &cr)) {
            printf("MISSING  credentials: %s\n", cf_error_last()->msg);
            exit_code = CF_EXIT_ENV;
            goto cleanup;
        }
        memset(&cr, 0, sizeof(cr));
    }
    {
        cf_sts_identity who;
        if (cf_sts_get_caller_identity(aws, &who)) {
            printf("MISSING  credentials: sts:GetCallerIdentity failed: %s\n",
                   cf_error_last()->msg);
            exit_code = CF_EXIT_ENV;
            goto cleanup;
        }
        printf("OK       credentials: %s\n", who.arn);
    }
    if (!cfg.evidence_bucket) {
        printf("MISSING  evidence_bucket is not configured\n");
        bad++;
    } else {
        cf_wf wf;
        cf_buf b = CF_BUF_INIT(4096);
        memset(&wf, 0, sizeof(wf));
        wf.aws = aws;
        wf.cfg = &cfg;
        if (wf_s3_put(&wf, cfg.evidence_bucket, "casefile-doctor/probe", "ok", 2, NULL, NULL, 0,
                      NULL)) {
            printf("MISSING  s3:PutObject on s3://%s: %s\n", cfg.evidence_bucket,
                   cf_error_last()->msg);
            bad++;
        } else if (wf_s3_get(&wf, cfg.evidence_bucket, "casefile-doctor/probe", 4096, &b, NULL)) {
            printf("MISSING  s3:GetObject on s3://%s: %s\n", cfg.evidence_bucket,
                   cf_error_last()->msg);
            bad++;
        } else {
            /* ListBucket: without it S3 answers 403, not 404, for a missing manifest. */
            if (cf_s3_list_objects(aws, cfg.evidence_bucket, "", 1, first_key, NULL) < 0) {
                printf("MISSING  s3:ListBucket on s3://%s: %s\n", cfg.evidence_bucket,
                       cf_error_last()->msg);
                bad++;
            } else {
                printf("OK       evidence bucket s3://%s (write, read, list)\n",
                       cfg.evidence_bucket);
            }
        }
        cf_buf_release(&b);
    }
    for (size_t i = 0; i < N_PROBES + N_JPROBES; i++) {
        const struct probe *p = i < N_PROBES ? &probes[i] : NULL;
        const struct jprobe *jp = i < N_PROBES ? NULL : &jprobes[i - N_PROBES];
        const char *action = p ? p->action : jp->action;
        rc = run_probe(aws, p, jp, why, sizeof(why));
        if (rc == CF_EDENIED) {
            printf("MISSING  %s (%s)\n", action, why);
            bad++;
        } else if (rc) {
            printf("MISSING  %s: cannot reach AWS (%s)\n", action, why);
            bad++;
        } else {
            printf("OK       %s\n", action);
        }
    }
    /* Actions that cannot be proven without a side effect are listed, not claimed. */
    for (const char *const *a = cf_wf_iam_actions(); *a; a++) {
        int probed = !strcmp(*a, "s3:PutObject") || !strcmp(*a, "s3:GetObject") ||
                     !strcmp(*a, "s3:ListBucket");
        for (size_t i = 0; i < N_PROBES && !probed; i++)
            probed = !strcmp(probes[i].action, *a);
        for (size_t i = 0; i < N_JPROBES && !probed; i++)
            probed = !strcmp(jprobes[i].action, *a);
        if (!probed)
            printf("UNCHECKED %s (cannot be proven without a side effect; "
                   "deploy/iam-policy.json grants it)\n",
                   *a);
    }
    if (bad) {
        printf("\n%d check(s) failed\n", bad);
        exit_code = CF_EXIT_ENV;
    } else {
        printf("\nall checks passed\n");
    }
cleanup:
    cf_aws_free(aws);
    cf_config_release(&cfg);
    return exit_code;
}
