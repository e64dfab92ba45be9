/* The service response parsers on recorded moto answers (fixtures/) and on malformed, hostile
 * shapes: wrong types, missing identifiers, numbers out of range, too many items. No network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aws/autoscaling.h"
#include "aws/cloudtrail.h"
#include "aws/ebs.h"
#include "aws/ec2.h"
#include "aws/elbv2.h"
#include "aws/iam.h"
#include "aws/sqs.h"
#include "aws/ssm.h"
#include "common/cf_json.h"

static char *fixture(const char *name, size_t *len)
{
    const char *src = getenv("CF_SOURCE_DIR");
    char path[1024];
    FILE *f;
    char *buf;
    long n;

    snprintf(path, sizeof(path), "%s/tests/aws/services/fixtures/%s", src ? src : ".", name);
    f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n > 0);
    rewind(f);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = 0;
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static xmlDoc *xml_fixture(const char *name)
{
    size_t len;
    char *s = fixture(name, &len);
    xmlDoc *doc = NULL;

    assert_int_equal(cf_xml_parse(s, len, &doc), 0);
    free(s);
    return doc;
}

static xmlDoc *xml(const char *s)
{
    xmlDoc *doc = NULL;

    assert_int_equal(cf_xml_parse(s, strlen(s), &doc), 0);
    return doc;
}

static json_t *json_fixture(const char *name)
{
    size_t len;
    char *s = fixture(name, &len);
    json_t *j = NULL;

    assert_int_equal(cf_json_parse(s, len, &j), 0);
    free(s);
    return j;
}

static json_t *js(const char *s)
{
    json_t *j = NULL;

    assert_int_equal(cf_json_parse(s, strlen(s), &j), 0);
    return j;
}

#define EC2_WRAP(inner)                                                                            \
    "<DescribeInstancesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"               \
    "<reservationSet><item><reservationId>r-1</reservationId><instancesSet>" inner                 \
    "</instancesSet></item></reservationSet></DescribeInstancesResponse>"

/* Parses one hostile DescribeInstances body and returns the status. */
static int ec2_instances_rc(const char *body)
{
    cf_ec2_instance_list *l = calloc(1, sizeof(*l));
    xmlDoc *doc = xml(body);
    int rc = cf_ec2_parse_instances(l, doc);

    cf_ec2_instance_list_free(l);
    xmlFreeDoc(doc);
    return rc;
}

static void test_parsers_ec2_instances_recorded(void **state)
{
    cf_ec2_instance_list *l = calloc(1, sizeof(*l));
    xmlDoc *doc = xml_fixture("ec2_DescribeInstances.xml");
    const cf_ec2_instance *x;
    (void)state;

    assert_int_equal(cf_ec2_parse_instances(l, doc), 0);
    assert_int_equal(l->n, 1);
    x = &l->items[0];
    assert_string_equal(x->id, "i-36b9fb802991519aa");
    assert_string_equal(x->reservation_id, "r-6ad11a873f00046b0");
    assert_string_equal(x->owner_id, "123456789012");
    assert_string_equal(x->state, "running");
    assert_string_equal(x->architecture, "x86_64");
    assert_string_equal(x->platform, "windows");
    assert_string_equal(x->az, "us-east-1a");
    assert_string_equal(x->client_token, "tok1");
    assert_string_equal(x->iam_profile_arn, "arn:aws:iam::123456789012:instance-profile/p2");
    assert_int_equal(x->n_enis, 1);
    assert_string_equal(x->enis[0].mac, "02:00:00:2d:3f:c1");
    assert_string_equal(x->enis[0].attachment_id, "eni-attach-002baf2b5591b1e10");
    assert_string_equal(x->enis[0].public_ip, "127.9.7.191");
    assert_int_equal(x->n_devices, 1);
    assert_string_equal(x->devices[0].device_name, "/dev/sda1");
    assert_int_equal(x->devices[0].delete_on_termination, 1);
    assert_null(x->key_name);
    /* a second page appends */
    assert_int_equal(cf_ec2_parse_instances(l, doc), 0);
    assert_int_equal(l->n, 2);
    xmlFreeDoc(doc);
    cf_ec2_instance_list_free(l);

    /* RunInstances: one reservation at the root */
    l = calloc(1, sizeof(*l));
    doc = xml_fixture("ec2_RunInstances.xml");
    assert_int_equal(cf_ec2_parse_instances(l, doc), 0);
    assert_int_equal(l->n, 1);
    assert_non_null(l->items[0].reservation_id);
    xmlFreeDoc(doc);
    cf_ec2_instance_list_free(l);
}

static void test_parsers_ec2_instances_hostile(void **state)
{
    char *big;
    size_t cap;
    (void)state;

    /* no id */
    assert_int_equal(ec2_instances_rc(EC2_WRAP("<item><instanceType>t3</instanceType></item>")),
                     CF_EPARSE);
    /* the id is an element, not text (wrong type) */
    assert_int_equal(ec2_instances_rc(EC2_WRAP("<item><instanceId><a>i-1</a></instanceId></item>")),
                     CF_EPARSE);
    /* a number that is not one, or does not fit */
    assert_int_equal(ec2_instances_rc(EC2_WRAP("<item><instanceId>i-1</instanceId><instanceState>"
                                               "<code>sixteen</code></instanceState></item>")),
                     CF_EPARSE);
    assert_int_equal(
        ec2_instances_rc(EC2_WRAP("<item><instanceId>i-1</instanceId><instanceState>"
                                  "<code>99999999999999</code></instanceState></item>")),
        CF_EPARSE);
    /* a boolean that is not one */
    assert_int_equal(
        ec2_instances_rc(EC2_WRAP("<item><instanceId>i-1</instanceId><blockDeviceMapping><item>"
                                  "<ebs><deleteOnTermination>maybe</deleteOnTermination></ebs>"
                                  "</item></blockDeviceMapping></item>")),
        CF_EPARSE);
    /* an ENI without its id, a group without its id */
    assert_int_equal(ec2_instances_rc(EC2_WRAP("<item><instanceId>i-1</instanceId>"
                                               "<networkInterfaceSet><item><subnetId>s</subnetId>"
                                               "</item></networkInterfaceSet></item>")),
                     CF_EPARSE);
    assert_int_equal(
        ec2_instances_rc(EC2_WRAP("<item><instanceId>i-1</instanceId><groupSet><item>"
                                  "<groupName>x</groupName></item></groupSet></item>")),
        CF_EPARSE);
    /* missing sets and unknown elements are fine; a tag without a key is dropped */
    assert_int_equal(ec2_instances_rc(EC2_WRAP("<item><instanceId>i-1</instanceId><zzz/><tagSet>"
                                               "<item><value>v</value></item></tagSet></item>")),
                     0);
    assert_int_equal(ec2_instances_rc("<DescribeInstancesResponse/>"), 0);
    assert_int_equal(ec2_instances_rc("<Other><reservationSet>x</reservationSet></Other>"), 0);

    /* more than CF_EC2_MAX_ITEMS tags on one instance */
    cap = (size_t)CF_EC2_MAX_ITEMS * 8 + 4096;
    big = malloc(cap);
    assert_non_null(big);
    {
        size_t n = (size_t)snprintf(big, cap, "%s",
                                    "<R><reservationSet><item><instancesSet><item><instanceId>i-1"
                                    "</instanceId><tagSet>");
        for (int i = 0; i <= CF_EC2_MAX_ITEMS; i++) {
            memcpy(big + n, "<item/>", 7);
            n += 7;
        }
        snprintf(big + n, cap - n, "%s",
                 "</tagSet></item></instancesSet></item></reservationSet></R>");
    }
    assert_int_equal(ec2_instances_rc(big), CF_ETOOBIG);
    free(big);
}

static void test_parsers_ec2_other_recorded(void **state)
{
    cf_ec2_acl_list *acl = calloc(1, sizeof(*acl));
    cf_ec2_sg_list *sg = calloc(1, sizeof(*sg));
    cf_ec2_volume_list *vol = calloc(1, sizeof(*vol));
    cf_ec2_snapshot_list *snap = calloc(1, sizeof(*snap));
    cf_ec2_address_list *addr = calloc(1, sizeof(*addr));
    cf_ec2_profile_assoc_list *pa = calloc(1, sizeof(*pa));
    cf_ec2_subnet_list *sn = calloc(1, sizeof(*sn));
    cf_ec2_vpc_list *vpc = calloc(1, sizeof(*vpc));
    cf_ec2_eni_list *eni = calloc(1, sizeof(*eni));
    xmlDoc *d;
    (void)state;

    d = xml_fixture("ec2_DescribeNetworkAcls.xml");
    assert_int_equal(cf_ec2_parse_network_acls(acl, d), 0);
    xmlFreeDoc(d);
    assert_true(acl->n >= 1);
    assert_true(acl->items[0].n_entries >= 4);
    d = xml_fixture("ec2_DescribeSecurityGroups.xml");
    assert_int_equal(cf_ec2_parse_security_groups(sg, d), 0);
    xmlFreeDoc(d);
    assert_int_equal(sg->n, 1);
    assert_int_equal(sg->items[0].ingress[0].from_port, 22);
    d = xml_fixture("ec2_DescribeVolumes.xml");
    assert_int_equal(cf_ec2_parse_volumes(vol, d), 0);
    xmlFreeDoc(d);
    assert_int_equal(vol->n, 1);
    assert_true(vol->items[0].size_gib > 0);
    d = xml_fixture("ec2_DescribeSnapshots.xml");
    assert_int_equal(cf_ec2_parse_snapshots(snap, d), 0);
    xmlFreeDoc(d);
    assert_int_equal(snap->n, 1);
    d = xml_fixture("ec2_DescribeAddresses.xml");
    assert_int_equal(cf_ec2_parse_addresses(addr, d), 0);
    xmlFreeDoc(d);
    assert_int_equal(addr->n, 1);
    assert_non_null(addr->items[0].association_id);
    d = xml_fixture("ec2_DescribeIamInstanceProfileAssociations.xml");
    assert_int_equal(cf_ec2_parse_profile_assocs(pa, d), 0);
    xmlFreeDoc(d);
    assert_int_equal(pa->n, 1);
    assert_string_equal(pa->items[0].state, "associated");
    d = xml_fixture("ec2_DescribeSubnets.xml");
    assert_int_equal(cf_ec2_parse_subnets(sn, d), 0);
    xmlFreeDoc(d);
    assert_int_equal(sn->n, 1);
    d = xml_fixture("ec2_DescribeVpcs.xml");
    assert_int_equal(cf_ec2_parse_vpcs(vpc, d), 0);
    xmlFreeDoc(d);
    assert_int_equal(vpc->n, 1);
    assert_true(vpc->items[0].n_cidrs >= 1);
    d = xml_fixture("ec2_DescribeNetworkInterfaces.xml");
    assert_int_equal(cf_ec2_parse_network_interfaces(eni, d), 0);
    xmlFreeDoc(d);
    assert_int_equal(eni->n, 1);

    /* hostile: an ACL entry without its number; a port that is not a number */
    d = xml("<R><networkAclSet><item><networkAclId>acl-1</networkAclId><entrySet><item>"
            "<ruleAction>deny</ruleAction></item></entrySet></item></networkAclSet></R>");
    assert_int_equal(cf_ec2_parse_network_acls(acl, d), CF_EPARSE);
    xmlFreeDoc(d);
    d = xml("<R><securityGroupInfo><item><groupId>sg-1</groupId><ipPermissions><item>"
            "<fromPort>ssh</fromPort></item></ipPermissions></item></securityGroupInfo></R>");
    assert_int_equal(cf_ec2_parse_security_groups(sg, d), CF_EPARSE);
    xmlFreeDoc(d);
    d = xml("<R><volumeSet><item><size>1</size></item></volumeSet></R>");
    assert_int_equal(cf_ec2_parse_volumes(vol, d), CF_EPARSE);
    xmlFreeDoc(d);
    /* failures leave the earlier items intact and freeable */
    assert_true(acl->n >= 1 && sg->n == 1 && vol->n == 1);

    cf_ec2_acl_list_free(acl);
    cf_ec2_sg_list_free(sg);
    cf_ec2_volume_list_free(vol);
    cf_ec2_snapshot_list_free(snap);
    cf_ec2_address_list_free(addr);
    cf_ec2_profile_assoc_list_free(pa);
    cf_ec2_subnet_list_free(sn);
    cf_ec2_vpc_list_free(vpc);
    cf_ec2_eni_list_free(eni);
}

static void test_parsers_query_services(void **state)
{
    cf_iam_instance_profile *ip = NULL;
    cf_elbv2_tg_list *tg = calloc(1, sizeof(*tg));
    cf_elbv2_health_list *th = calloc(1, sizeof(*th));
    cf_asg_instance_list *ai = calloc(1, sizeof(*ai));
    cf_asg_activity_list *act = calloc(1, sizeof(*act));
    xmlDoc *d;
    (void)state;

    d = xml_fixture("iam_GetInstanceProfile.xml");
    assert_int_equal(cf_iam_parse_instance_profile(&ip, d), 0);
    xmlFreeDoc(d);
    assert_string_equal(ip->name, "p2");
    assert_int_equal(ip->n_roles, 1);
    cf_iam_instance_profile_free(ip);
    ip = NULL;
    d = xml("<GetInstanceProfileResponse><GetInstanceProfileResult/></GetInstanceProfileResponse>");
    assert_int_equal(cf_iam_parse_instance_profile(&ip, d), CF_EPARSE);
    assert_null(ip);
    xmlFreeDoc(d);
    d = xml("<X><GetInstanceProfileResult><InstanceProfile><InstanceProfileName>p"
            "</InstanceProfileName><Arn>a</Arn><Roles><member><Arn>r</Arn></member></Roles>"
            "</InstanceProfile></GetInstanceProfileResult></X>");
    assert_int_equal(cf_iam_parse_instance_profile(&ip, d), CF_EPARSE); /* role without name */
    xmlFreeDoc(d);

    d = xml_fixture("elbv2_DescribeTargetGroups.xml");
    assert_int_equal(cf_elbv2_parse_target_groups(tg, d), 0);
    xmlFreeDoc(d);
    assert_int_equal(tg->n, 1);
    assert_int_equal(tg->items[0].port, 80);
    d = xml("<X><DescribeTargetGroupsResult><TargetGroups><member><TargetGroupArn>a"
            "</TargetGroupArn><Port>eighty</Port></member></TargetGroups>"
            "</DescribeTargetGroupsResult></X>");
    assert_int_equal(cf_elbv2_parse_target_groups(tg, d), CF_EPARSE);
    xmlFreeDoc(d);
    d = xml_fixture("elbv2_DescribeTargetHealth.xml");
    assert_int_equal(cf_elbv2_parse_target_health(th, d), 0);
    xmlFreeDoc(d);
    assert_int_equal(th->n, 1);
    assert_string_equal(th->items[0].state, "healthy");
    d = xml("<X><DescribeTargetHealthResult><TargetHealthDescriptions><member><TargetHealth>"
            "<State>healthy</State></TargetHealth></member></TargetHealthDescriptions>"
            "</DescribeTargetHealthResult></X>");
    assert_int_equal(cf_elbv2_parse_target_health(th, d), CF_EPARSE);
    xmlFreeDoc(d);

    d = xml_fixture("autoscaling_DescribeAutoScalingInstances.xml");
    assert_int_equal(cf_asg_parse_instances(ai, d), 0);
    xmlFreeDoc(d);
    assert_true(ai->n >= 1);
    d = xml_fixture("autoscaling_EnterStandby.xml");
    assert_int_equal(cf_asg_parse_activities(act, d, "EnterStandbyResult"), 0);
    xmlFreeDoc(d);
    assert_int_equal(act->n, 1);
    assert_int_equal(act->items[0].progress, 50);
    d = xml("<X><EnterStandbyResult><Activities><member><Progress>150</Progress></member>"
            "</Activities></EnterStandbyResult></X>");
    assert_int_equal(cf_asg_parse_activities(act, d, "EnterStandbyResult"), CF_EPARSE);
    xmlFreeDoc(d);
    d = xml("<X><DescribeAutoScalingInstancesResult><AutoScalingInstances><member>"
            "<ProtectedFromScaleIn>perhaps</ProtectedFromScaleIn><InstanceId>i-1</InstanceId>"
            "</member></AutoScalingInstances></DescribeAutoScalingInstancesResult></X>");
    assert_int_equal(cf_asg_parse_instances(ai, d), CF_EPARSE);
    xmlFreeDoc(d);

    cf_elbv2_tg_list_free(tg);
    cf_elbv2_health_list_free(th);
    cf_asg_instance_list_free(ai);
    cf_asg_activity_list_free(act);
}

/* SSM ListCommands: a recorded-shape answer (epoch time, extra fields) and hostile ones. */
static void test_parsers_ssm_commands(void **state)
{
    cf_ssm_command_list *l = calloc(1, sizeof(*l));
    json_t *j;
    (void)state;

    assert_non_null(l);
    j = js("{\"Commands\":[{\"CommandId\":\"c-1\",\"Comment\":\"casefile x volatile\","
           "\"DocumentName\":\"AWS-RunShellScript\",\"Status\":\"Success\","
           "\"RequestedDateTime\":1700000000.5,\"InstanceIds\":[\"i-1\",7,\"i-2\"],"
           "\"TimeoutSeconds\":3600,\"Parameters\":{\"commands\":[\"x\"]}},"
           "{\"CommandId\":\"c-2\",\"Comment\":5}]}");
    assert_int_equal(cf_ssm_parse_commands(l, j), 0);
    json_decref(j);
    assert_int_equal(l->n, 2);
    assert_string_equal(l->items[0].command_id, "c-1");
    assert_string_equal(l->items[0].comment, "casefile x volatile");
    assert_string_equal(l->items[0].requested_time, "2023-11-14T22:13:20.500000Z");
    assert_int_equal(l->items[0].n_instance_ids, 2); /* the number is not an id */
    assert_string_equal(l->items[0].instance_ids[1], "i-2");
    assert_int_equal(l->items[0].timeout_s, 3600);
    assert_null(l->items[1].comment); /* wrong-typed optional field: absent */
    assert_int_equal(l->items[1].timeout_s, -1);
    j = js("{\"Commands\":[{\"Comment\":\"no id\"}]}");
    assert_int_equal(cf_ssm_parse_commands(l, j), CF_EPARSE);
    json_decref(j);
    j = js("{\"Commands\":{\"CommandId\":\"c\"}}");
    assert_int_equal(cf_ssm_parse_commands(l, j), CF_EPARSE);
    json_decref(j);
    j = js("{\"Commands\":[{\"CommandId\":\"c\",\"TimeoutSeconds\":\"x\"}]}");
    assert_int_equal(cf_ssm_parse_commands(l, j), CF_EPARSE);
    json_decref(j);
    j = js("{\"Commands\":[\"c\"]}");
    assert_int_equal(cf_ssm_parse_commands(l, j), CF_EPARSE);
    json_decref(j);
    assert_int_equal(l->n, 2); /* failed items are not appended */
    cf_ssm_command_list_free(l);
}

static void test_parsers_json_services(void **state)
{
    cf_ssm_invocation *inv = NULL;
    cf_ssm_invocation_list *il = calloc(1, sizeof(*il));
    cf_ssm_instance_info_list *ii = calloc(1, sizeof(*ii));
    cf_cloudtrail_event_list *ev = calloc(1, sizeof(*ev));
    cf_ebs_block_list *bl = calloc(1, sizeof(*bl));
    cf_sqs_message_list *ml = calloc(1, sizeof(*ml));
    const char *next = NULL;
    json_t *j;
    (void)state;

    j = json_fixture("ssm_GetCommandInvocation.json");
    assert_int_equal(cf_ssm_parse_invocation(&inv, j), 0);
    json_decref(j);
    assert_string_equal(inv->status, "Success");
    /* moto's local-time string is kept as sent */
    assert_string_equal(inv->start_time, "2026-11-27T20:33:20.045022");
    cf_ssm_invocation_free(inv);
    j = json_fixture("ssm_ListCommandInvocations.json");
    assert_int_equal(cf_ssm_parse_invocations(il, j), 0);
    json_decref(j);
    assert_int_equal(il->n, 3);
    j = json_fixture("ssm_DescribeInstanceInformation.json");
    assert_int_equal(cf_ssm_parse_instance_information(ii, j), 0);
    json_decref(j);
    assert_int_equal(ii->n, 3);
    j = js("{\"CommandInvocations\":[{\"CommandId\":\"c\",\"InstanceId\":\"i\","
           "\"ResponseCode\":\"0\"}]}");
    assert_int_equal(cf_ssm_parse_invocations(il, j), CF_EPARSE);
    json_decref(j);
    j = js("{\"CommandInvocations\":[{\"CommandId\":\"c\",\"InstanceId\":\"i\","
           "\"RequestedDateTime\":1e300}]}");
    assert_int_equal(cf_ssm_parse_invocations(il, j), CF_EPARSE);
    json_decref(j);
    j = js("{\"InstanceInformationList\":[42]}");
    assert_int_equal(cf_ssm_parse_instance_information(ii, j), CF_EPARSE);
    json_decref(j);
    j = js("[1,2]");
    assert_int_equal(cf_ssm_parse_invocation(&inv, j), CF_EPARSE);
    assert_null(inv);
    json_decref(j);

    j = json_fixture("cloudtrail_LookupEvents.json");
    assert_int_equal(cf_cloudtrail_parse_events(ev, j), 0);
    json_decref(j);
    assert_int_equal(ev->n, 3);
    assert_non_null(ev->items[0].raw);
    j = js("{\"Events\":[{\"EventId\":\"e\",\"EventTime\":[1]}]}");
    assert_int_equal(cf_cloudtrail_parse_events(ev, j), CF_EPARSE);
    json_decref(j);
    j = js("{\"Events\":[{\"EventId\":\"e\",\"EventTime\":\"2026-11-27T10:00:00Z\","
           "\"Resources\":[1,{\"ResourceType\":7}]}]}");
    assert_int_equal(cf_cloudtrail_parse_events(ev, j), 0); /* wrong-typed optional: absent */
    json_decref(j);
    assert_int_equal(ev->n, 4);
    assert_string_equal(ev->items[3].event_time, "2026-11-27T10:00:00.000000Z");
    /* epoch seconds past what int64 nanoseconds hold (April 2262) are refused, not wrapped */
    j = js("{\"Events\":[{\"EventId\":\"e\",\"EventTime\":1e10}]}");
    assert_int_equal(cf_cloudtrail_parse_events(ev, j), CF_EPARSE);
    json_decref(j);
    j = js("{\"Events\":[{\"EventId\":\"e\",\"EventTime\":9223372035}]}");
    assert_int_equal(cf_cloudtrail_parse_events(ev, j), 0);
    json_decref(j);
    assert_int_equal(ev->n, 5);
    assert_string_equal(ev->items[4].event_time, "2262-04-11T23:47:15.000000Z");
    j = js("{\"CommandInvocations\":[{\"CommandId\":\"c\",\"InstanceId\":\"i\","
           "\"RequestedDateTime\":32503680000}]}");
    assert_int_equal(cf_ssm_parse_invocations(il, j), CF_EPARSE);
    json_decref(j);

    j = json_fixture("ebs_ListSnapshotBlocks.json");
    assert_int_equal(cf_ebs_parse_blocks(bl, j, &next), 0);
    assert_string_equal(next, "next");
    json_decref(j);
    assert_int_equal(bl->n, 2);
    assert_int_equal(bl->items[1].index, 3);
    assert_int_equal(bl->block_size, 524288);
    j = js("{\"Blocks\":[{\"BlockIndex\":-1,\"BlockToken\":\"t\"}]}");
    assert_int_equal(cf_ebs_parse_blocks(bl, j, &next), CF_EPARSE);
    json_decref(j);
    j = js("{\"Blocks\":[{\"BlockIndex\":\"12x\",\"BlockToken\":\"t\"}]}");
    assert_int_equal(cf_ebs_parse_blocks(bl, j, &next), CF_EPARSE);
    json_decref(j);
    j = js("{\"BlockSize\":\"big\"}");
    assert_int_equal(cf_ebs_parse_blocks(bl, j, &next), CF_EPARSE);
    json_decref(j);

    j = json_fixture("sqs_ReceiveMessage.json");
    assert_int_equal(cf_sqs_parse_messages(ml, j), 0);
    json_decref(j);
    assert_int_equal(ml->n, 1);
    assert_string_equal(ml->items[0].body, "{\"a\":1}");
    /* a body that does not match its MD5 */
    j = js("{\"Messages\":[{\"MessageId\":\"m\",\"ReceiptHandle\":\"r\",\"Body\":\"x\","
           "\"MD5OfBody\":\"00000000000000000000000000000000\"}]}");
    assert_int_equal(cf_sqs_parse_messages(ml, j), CF_EINTEGRITY);
    json_decref(j);
    /* more messages than asked for at most */
    j = js("{\"Messages\":[{},{},{},{},{},{},{},{},{},{},{}]}");
    assert_int_equal(cf_sqs_parse_messages(ml, j), CF_EPARSE);
    json_decref(j);
    j = js("{\"Messages\":[{\"MessageId\":\"m\",\"ReceiptHandle\":\"r\",\"Body\":\"x\","
           "\"Attributes\":{\"ApproximateReceiveCount\":\"-1\"}}]}");
    assert_int_equal(cf_sqs_parse_messages(ml, j), CF_EPARSE);
    json_decref(j);
    j = js("{\"Messages\":[{\"MessageId\":\"m\",\"Body\":\"x\"}]}");
    assert_int_equal(cf_sqs_parse_messages(ml, j), CF_EPARSE);
    json_decref(j);
    assert_int_equal(ml->n, 1);

    cf_ssm_invocation_list_free(il);
    cf_ssm_instance_info_list_free(ii);
    cf_cloudtrail_event_list_free(ev);
    cf_ebs_block_list_free(bl);
    cf_sqs_message_list_free(ml);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parsers_ec2_instances_recorded),
        cmocka_unit_test(test_parsers_ec2_instances_hostile),
        cmocka_unit_test(test_parsers_ec2_other_recorded),
        cmocka_unit_test(test_parsers_query_services),
        cmocka_unit_test(test_parsers_ssm_commands),
        cmocka_unit_test(test_parsers_json_services),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
