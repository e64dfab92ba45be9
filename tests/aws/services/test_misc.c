/* SES, SSM, IAM, ELBv2, Auto Scaling, SQS, EBS direct and CloudTrail typed calls, against moto
 * and (for what moto 5.2.1 lacks) svc_env.py's fake serving the documented shapes. */
#include "svc_test.h"

#include <openssl/evp.h>

#include "aws/autoscaling.h"
#include "aws/cloudtrail.h"
#include "aws/ebs.h"
#include "aws/ec2.h"
#include "aws/elbv2.h"
#include "aws/iam.h"
#include "aws/ses.h"
#include "aws/sqs.h"
#include "aws/ssm.h"

static cf_aws *aws, *fake;

static int setup(void **state)
{
    (void)state;
    aws = t_client(NULL);
    fake = t_client(T("CF_FAKE_URL"));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cf_aws_free(aws);
    cf_aws_free(fake);
    return 0;
}

/* Splits a comma list from the environment into at most max pointers into buf. */
static size_t split(const char *var, char *buf, size_t cap, const char **out, size_t max)
{
    size_t n = 0;
    char *p;

    snprintf(buf, cap, "%s", T(var));
    for (p = buf; n < max && p && *p;) {
        out[n++] = p;
        p = strchr(p, ',');
        if (p)
            *p++ = 0;
    }
    return n;
}

/* ---- SES ------------------------------------------------------------------------------------ */

static void test_ses_send_simple(void **state)
{
    const char *to[] = {"responder@example.com"}, *cc[] = {"soc@example.com"};
    cf_ses_email e = {0};
    char *id = NULL;
    (void)state;

    e.from = "casefile@example.com";
    e.to = to;
    e.n_to = 1;
    e.cc = cc;
    e.n_cc = 1;
    e.subject = "[casefile] c-7: i-123 compromised";
    e.text = "GuardDuty finding UnauthorizedAccess:EC2/SSHBruteForce case-marker-simple";
    T_OK(cf_ses_send_email(&id, aws, &e));
    assert_non_null(id);
    assert_true(strlen(id) > 0);
    assert_true(t_check("ses-sent", "simple", "case-marker-simple", NULL));
    assert_true(strlen(cf_ses_last_request_id()) > 0);
    free(id);

    /* an unverified sender is refused by moto as by SES */
    e.from = "nobody@unverified.example";
    assert_int_equal(cf_ses_send_email(&id, aws, &e), CF_EAWS);
    assert_string_equal(cf_error_last()->aws_code, "MessageRejected");
    assert_string_equal(cf_ses_last_request_id(), cf_error_last()->request_id);
    assert_null(id);
    e.subject = NULL;
    assert_int_equal(cf_ses_send_email(&id, aws, &e), CF_EINVAL);
    assert_string_equal(cf_ses_last_request_id(), "");
}

static void test_ses_send_raw(void **state)
{
    const char *to[] = {"responder@example.com"};
    const char mime[] = "From: casefile@example.com\r\nTo: responder@example.com\r\n"
                        "Subject: raw report\r\nMIME-Version: 1.0\r\n"
                        "Content-Type: text/plain; charset=UTF-8\r\n\r\n"
                        "report body case-marker-raw\r\n";
    char *id = NULL;
    (void)state;

    T_OK(cf_ses_send_raw_email(&id, aws, "casefile@example.com", to, 1, mime, sizeof(mime) - 1));
    assert_non_null(id);
    assert_true(t_check("ses-sent", "raw", "case-marker-raw", NULL));
    free(id);
    assert_int_equal(cf_ses_send_raw_email(&id, aws, NULL, NULL, 0, mime, 0), CF_EINVAL);
}

/* ---- SSM ------------------------------------------------------------------------------------ */

static void test_ssm_send_and_get(void **state)
{
    const char *ids[] = {T("CF_T_INSTANCE")};
    const char *cmds[] = {"set -eu", "echo collecting", "curl -fsS \"$URL\" -o /tmp/agent"};
    cf_ssm_command_spec s = {0};
    cf_ssm_invocation *inv = NULL;
    char *cid = NULL;
    char longc[128];
    (void)state;

    s.instance_ids = ids;
    s.n_instance_ids = 1;
    s.commands = cmds;
    s.n_commands = 3;
    s.execution_timeout_s = 900;
    s.timeout_s = 600;
    s.comment = "casefile c-7 collect_volatile";
    s.output_s3_bucket = "evidence-bucket";
    s.output_s3_prefix = "cases/c-7/ssm";
    T_OK(cf_ssm_send_command(&cid, aws, &s));
    assert_non_null(cid);
    T_OK(cf_ssm_get_command_invocation(&inv, aws, cid, ids[0]));
    assert_string_equal(inv->command_id, cid);
    assert_string_equal(inv->instance_id, ids[0]);
    assert_string_equal(inv->document_name, "AWS-RunShellScript");
    assert_string_equal(inv->comment, "casefile c-7 collect_volatile");
    assert_non_null(inv->status);
    assert_true(cf_ssm_status_is_terminal(inv->status)); /* moto: Success at once */
    assert_int_equal(inv->response_code, 0);
    cf_ssm_invocation_free(inv);
    inv = NULL;

    assert_int_equal(
        cf_ssm_get_command_invocation(&inv, aws, "00000000-0000-0000-0000-000000000000", ids[0]),
        CF_EAWS);
    assert_null(inv);
    memset(longc, 'x', sizeof(longc) - 1);
    longc[sizeof(longc) - 1] = 0;
    s.comment = longc;
    free(cid);
    assert_int_equal(cf_ssm_send_command(&cid, aws, &s), CF_EINVAL);
    assert_null(cid);
    assert_false(cf_ssm_status_is_terminal("InProgress"));
    assert_false(cf_ssm_status_is_terminal(NULL));
    free(cid);
}

/* ListCommands (moto): the commands sent to an instance, found again by their comment, with the
 * request id of each SendCommand. */
static void test_ssm_list_commands(void **state)
{
    const char *ids[] = {T("CF_T_INSTANCE")};
    const char *cmds[] = {"echo one"};
    cf_ssm_command_spec s = {0};
    cf_ssm_command_list *l = NULL;
    char *c1 = NULL, *c2 = NULL, rid1[128];
    int seen1 = 0, seen2 = 0;
    size_t j;
    (void)state;

    s.instance_ids = ids;
    s.n_instance_ids = 1;
    s.commands = cmds;
    s.n_commands = 1;
    s.timeout_s = 3600;
    s.comment = "casefile c-8 volatile";
    T_OK(cf_ssm_send_command(&c1, aws, &s));
    assert_true(strlen(cf_ssm_last_request_id()) > 0);
    snprintf(rid1, sizeof(rid1), "%s", cf_ssm_last_request_id());
    s.comment = "casefile c-8 disk";
    T_OK(cf_ssm_send_command(&c2, aws, &s));
    assert_true(strlen(cf_ssm_last_request_id()) > 0);
    assert_string_not_equal(rid1, cf_ssm_last_request_id());

    T_OK(cf_ssm_list_commands(&l, aws, NULL, ids[0]));
    for (size_t i = 0; i < l->n; i++) {
        const cf_ssm_command *c = &l->items[i];
        assert_non_null(c->command_id);
        if (!strcmp(c->command_id, c1)) {
            seen1 = 1;
            assert_string_equal(c->comment, "casefile c-8 volatile");
            assert_string_equal(c->document_name, "AWS-RunShellScript");
            assert_int_equal(c->timeout_s, 3600);
            /* moto adds every instance of the region (empty Targets filter); AWS: just ours */
            assert_true(c->n_instance_ids >= 1);
            for (j = 0; j < c->n_instance_ids && strcmp(c->instance_ids[j], ids[0]); j++)
                ;
            assert_true(j < c->n_instance_ids);
            assert_non_null(c->status);
        } else if (!strcmp(c->command_id, c2)) {
            seen2 = 1;
            assert_string_equal(c->comment, "casefile c-8 disk");
        }
    }
    assert_true(seen1 && seen2);
    cf_ssm_command_list_free(l);

    T_OK(cf_ssm_list_commands(&l, aws, c2, NULL));
    assert_int_equal(l->n, 1);
    assert_string_equal(l->items[0].command_id, c2);
    cf_ssm_command_list_free(l);

    T_OK(cf_ssm_list_commands(&l, aws, NULL, "i-0123456789abcdef0")); /* no commands */
    assert_int_equal(l->n, 0);
    cf_ssm_command_list_free(l);

    /* refused before any request: no request id */
    free(c1);
    s.instance_ids = NULL;
    assert_int_equal(cf_ssm_send_command(&c1, aws, &s), CF_EINVAL);
    assert_null(c1);
    assert_string_equal(cf_ssm_last_request_id(), "");
    free(c2);
}

static void test_ssm_list_invocations_fake(void **state)
{
    cf_ssm_invocation_list *l = NULL;
    (void)state;

    /* the fake pages two at a time: three invocations need two pages */
    T_OK(cf_ssm_list_command_invocations(&l, fake, "cmd-1", NULL));
    assert_int_equal(l->n, 3);
    assert_string_equal(l->items[0].instance_id, "i-aaa");
    assert_string_equal(l->items[0].status, "Success");
    assert_int_equal(l->items[0].response_code, 0);
    assert_string_equal(l->items[0].stdout_content, "bundle uploaded\n");
    assert_string_equal(l->items[0].requested_time, "2026-11-27T17:20:00.500000Z");
    assert_string_equal(l->items[1].status, "Failed");
    assert_int_equal(l->items[1].response_code, 2);
    assert_string_equal(l->items[2].status, "InProgress");
    assert_int_equal(l->items[2].response_code, -1);
    cf_ssm_invocation_list_free(l);
    l = NULL;
    T_OK(cf_ssm_list_command_invocations(&l, fake, "cmd-1", "i-bbb"));
    assert_int_equal(l->n, 1);
    cf_ssm_invocation_list_free(l);
    l = NULL;

    /* hostile answers: errors, never crashes */
    assert_int_equal(cf_ssm_list_command_invocations(&l, fake, "hostile-wrongtype", NULL),
                     CF_EPARSE);
    assert_null(l);
    assert_int_equal(cf_ssm_list_command_invocations(&l, fake, "hostile-noid", NULL), CF_EPARSE);
    assert_int_equal(cf_ssm_list_command_invocations(&l, fake, "hostile-loop", NULL), CF_EPARSE);
    assert_int_equal(cf_ssm_list_command_invocations(&l, fake, "hostile-badtime", NULL), CF_EPARSE);
    assert_true(cf_ssm_list_command_invocations(&l, fake, "hostile-notjson", NULL) < 0);
    assert_null(l);
}

static void test_ssm_instance_information_fake(void **state)
{
    const char *two[] = {"i-aaa", "i-ccc"}, *bad[] = {"hostile-badtime"};
    cf_ssm_instance_info_list *l = NULL;
    (void)state;

    T_OK(cf_ssm_describe_instance_information(&l, fake, NULL, 0));
    assert_int_equal(l->n, 3);
    assert_string_equal(l->items[0].ping_status, "Online");
    assert_string_equal(l->items[0].platform_type, "Linux");
    assert_string_equal(l->items[0].agent_version, "3.3.40.0");
    assert_non_null(l->items[0].last_ping);
    assert_string_equal(l->items[1].ping_status, "ConnectionLost");
    assert_null(l->items[2].last_ping);
    cf_ssm_instance_info_list_free(l);
    l = NULL;
    T_OK(cf_ssm_describe_instance_information(&l, fake, two, 2));
    assert_int_equal(l->n, 2);
    assert_string_equal(l->items[1].instance_id, "i-ccc");
    cf_ssm_instance_info_list_free(l);
    l = NULL;
    assert_int_equal(cf_ssm_describe_instance_information(&l, fake, bad, 1), CF_EPARSE);
    assert_null(l);
}

/* ---- IAM ------------------------------------------------------------------------------------ */

static void test_iam_instance_profile_and_policy(void **state)
{
    const char *deny = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\","
                       "\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"DateLessThan\":"
                       "{\"aws:TokenIssueTime\":\"2026-11-27T20:00:00Z\"}}}]}";
    cf_iam_instance_profile *p = NULL;
    (void)state;

    T_OK(cf_iam_get_instance_profile(&p, aws, "web-profile"));
    assert_string_equal(p->name, "web-profile");
    assert_non_null(strstr(p->arn, ":instance-profile/web-profile"));
    assert_int_equal(p->n_roles, 1);
    assert_string_equal(p->roles[0].name, "web-role");
    assert_non_null(p->roles[0].arn);
    assert_string_equal(cf_iam_profile_name_from_arn(p->arn), "web-profile");
    cf_iam_instance_profile_free(p);
    p = NULL;

    assert_int_equal(cf_iam_get_instance_profile(&p, aws, "no-such-profile"), CF_EAWS);
    assert_string_equal(cf_error_last()->aws_code, "NoSuchEntity");
    assert_null(p);

    T_OK(cf_iam_put_role_policy(aws, "web-role", "casefile-revoke-sessions", deny));
    assert_true(strlen(cf_iam_last_request_id()) > 0);
    assert_true(t_check("role-policy", "web-role", "casefile-revoke-sessions", NULL));
    assert_int_equal(cf_iam_put_role_policy(aws, "web-role", "bad", "{not json"), CF_EAWS);
    assert_string_equal(cf_error_last()->aws_code, "MalformedPolicyDocument");
    assert_string_equal(cf_iam_last_request_id(), cf_error_last()->request_id);
    assert_int_equal(cf_iam_put_role_policy(aws, NULL, "x", deny), CF_EINVAL);
    assert_string_equal(cf_iam_last_request_id(), "");

    assert_string_equal(
        cf_iam_profile_name_from_arn("arn:aws:iam::123456789012:instance-profile/a/b/prof"),
        "prof");
    assert_null(cf_iam_profile_name_from_arn("arn:aws:iam::123456789012:role/r"));
    assert_null(cf_iam_profile_name_from_arn("arn:aws:iam::1:instance-profile/"));
}

/* ---- ELBv2 ---------------------------------------------------------------------------------- */

static void test_elbv2_targets(void **state)
{
    char buf[2048];
    const char *tgs[4];
    size_t n = split("CF_T_TG_ALL", buf, sizeof(buf), tgs, 4);
    cf_elbv2_tg_list *l = NULL;
    cf_elbv2_health_list *h = NULL;
    cf_elbv2_target t = {T("CF_T_INSTANCE"), 80, NULL};
    (void)state;

    assert_int_equal(n, 3);
    T_OK(cf_elbv2_describe_target_groups(&l, aws, NULL, 0, NULL));
    assert_int_equal(l->n, 3);
    cf_elbv2_tg_list_free(l);
    l = NULL;
    T_OK(cf_elbv2_describe_target_groups(&l, aws, tgs, 1, NULL));
    assert_int_equal(l->n, 1);
    assert_string_equal(l->items[0].arn, tgs[0]);
    assert_string_equal(l->items[0].name, "tg0");
    assert_string_equal(l->items[0].protocol, "HTTP");
    assert_int_equal(l->items[0].port, 80);
    assert_string_equal(l->items[0].vpc_id, T("CF_T_VPC"));
    cf_elbv2_tg_list_free(l);

    T_OK(cf_elbv2_describe_target_health(&h, aws, T("CF_T_TG"), NULL, 0));
    assert_int_equal(h->n, 1);
    assert_string_equal(h->items[0].id, T("CF_T_INSTANCE"));
    assert_int_equal(h->items[0].port, 80);
    assert_non_null(h->items[0].state);
    cf_elbv2_health_list_free(h);
    h = NULL;

    T_OK(cf_elbv2_deregister_targets(aws, T("CF_T_TG"), &t, 1));
    assert_true(strlen(cf_elbv2_last_request_id()) > 0);
    assert_true(t_check("target-deregistered", T("CF_T_TG"), T("CF_T_INSTANCE"), NULL));
    T_OK(cf_elbv2_describe_target_health(&h, aws, T("CF_T_TG"), NULL, 0));
    for (size_t i = 0; i < h->n; i++) /* gone, or at least draining */
        if (strcmp(h->items[i].id, T("CF_T_INSTANCE")) == 0)
            assert_string_equal(h->items[i].state, "draining");
    cf_elbv2_health_list_free(h);
    h = NULL;
    assert_int_equal(cf_elbv2_describe_target_health(&h, aws,
                                                     "arn:aws:elasticloadbalancing:"
                                                     "us-east-1:123456789012:"
                                                     "targetgroup/none/0123456789abcdef",
                                                     NULL, 0),
                     CF_EAWS);
    assert_string_equal(cf_error_last()->aws_code, "TargetGroupNotFound");
    assert_int_equal(cf_elbv2_deregister_targets(aws, T("CF_T_TG"), NULL, 0), CF_EINVAL);
    assert_string_equal(cf_elbv2_last_request_id(), "");
}

/* ---- Auto Scaling --------------------------------------------------------------------------- */

static void test_autoscaling_standby_detach(void **state)
{
    char buf[1024];
    const char *ids[4];
    size_t n = split("CF_T_ASG_INSTANCES", buf, sizeof(buf), ids, 4);
    cf_asg_instance_list *l = NULL;
    cf_asg_activity_list *acts = NULL;
    const char *none[] = {T("CF_T_INSTANCE")};
    (void)state;

    assert_int_equal(n, 3);
    T_OK(cf_asg_describe_instances(&l, aws, NULL, 0));
    assert_int_equal(l->n, 3);
    cf_asg_instance_list_free(l);
    l = NULL;
    T_OK(cf_asg_describe_instances(&l, aws, ids, 1));
    assert_int_equal(l->n, 1);
    assert_string_equal(l->items[0].instance_id, ids[0]);
    assert_string_equal(l->items[0].group_name, T("CF_T_ASG"));
    assert_string_equal(l->items[0].lifecycle_state, "InService");
    assert_non_null(l->items[0].az);
    assert_string_equal(l->items[0].launch_configuration, "lc");
    cf_asg_instance_list_free(l);
    l = NULL;
    /* an instance in no group: absent, not an error */
    T_OK(cf_asg_describe_instances(&l, aws, none, 1));
    assert_int_equal(l->n, 0);
    cf_asg_instance_list_free(l);

    T_OK(cf_asg_enter_standby(&acts, aws, T("CF_T_ASG"), &ids[0], 1, 1));
    assert_int_equal(acts->n, 1);
    assert_non_null(acts->items[0].id);
    assert_non_null(strstr(acts->items[0].description, ids[0]));
    assert_true(acts->items[0].progress >= 0);
    cf_asg_activity_list_free(acts);
    acts = NULL;
    assert_true(t_check("asg-state", ids[0], "Standby", NULL));
    assert_true(strlen(cf_asg_last_request_id()) > 0);
    /* and back in service */
    T_OK(cf_asg_exit_standby(&acts, aws, T("CF_T_ASG"), &ids[0], 1));
    assert_int_equal(acts->n, 1);
    assert_non_null(strstr(acts->items[0].description, ids[0]));
    cf_asg_activity_list_free(acts);
    acts = NULL;
    assert_true(strlen(cf_asg_last_request_id()) > 0);
    assert_true(t_check("asg-state", ids[0], "InService", NULL));

    T_OK(cf_asg_detach_instances(NULL, aws, T("CF_T_ASG"), &ids[1], 1, 1));
    assert_true(t_check("asg-state", ids[1], "none", NULL));
    assert_int_equal(cf_asg_enter_standby(&acts, aws, "no-such-group", &ids[2], 1, 1), CF_EAWS);
    assert_null(acts);
    assert_string_equal(cf_asg_last_request_id(), cf_error_last()->request_id);
    assert_int_equal(cf_asg_detach_instances(NULL, aws, NULL, ids, 1, 1), CF_EINVAL);
    assert_string_equal(cf_asg_last_request_id(), "");
    assert_int_equal(cf_asg_exit_standby(NULL, aws, T("CF_T_ASG"), NULL, 0), CF_EINVAL);
}

/* ---- SQS ------------------------------------------------------------------------------------ */

static void test_sqs_receive_visibility_delete(void **state)
{
    const char *body = "{\"detail-type\":\"GuardDuty Finding\",\"id\":\"f-1\"}";
    cf_sqs_message_list *l = NULL;
    char *url = NULL, *mid = NULL;
    (void)state;

    T_OK(cf_sqs_get_queue_url(&url, aws, "casefile-findings"));
    assert_string_equal(url, T("CF_T_QUEUE_URL"));
    T_OK(cf_sqs_send_message(&mid, aws, url, body));
    assert_non_null(mid);

    T_OK(cf_sqs_receive_message(&l, aws, url, 10, 0, 30));
    assert_int_equal(l->n, 1);
    assert_string_equal(l->items[0].id, mid);
    assert_string_equal(l->items[0].body, body);
    assert_int_equal(l->items[0].body_len, strlen(body));
    assert_non_null(l->items[0].receipt_handle);
    assert_int_equal(l->items[0].receive_count, 1);
    assert_true(l->items[0].sent_timestamp_ms > 0);
    /* invisible now */
    {
        cf_sqs_message_list *none = NULL;
        T_OK(cf_sqs_receive_message(&none, aws, url, 10, 0, -1));
        assert_int_equal(none->n, 0);
        cf_sqs_message_list_free(none);
    }
    /* visible again at once, then received a second time */
    T_OK(cf_sqs_change_message_visibility(aws, url, l->items[0].receipt_handle, 0));
    cf_sqs_message_list_free(l);
    l = NULL;
    T_OK(cf_sqs_receive_message(&l, aws, url, 1, 0, 30));
    assert_int_equal(l->n, 1);
    assert_int_equal(l->items[0].receive_count, 2);
    T_OK(cf_sqs_delete_message(aws, url, l->items[0].receipt_handle));
    assert_true(t_check("sqs-empty", url, NULL));
    cf_sqs_message_list_free(l);
    l = NULL;

    assert_int_equal(cf_sqs_receive_message(&l, aws, url, 11, 0, -1), CF_EINVAL);
    free(url);
    url = NULL;
    assert_int_equal(cf_sqs_get_queue_url(&url, aws, "no-such-queue"), CF_EAWS);
    assert_null(url);
    free(mid);
}

/* ---- EBS direct ----------------------------------------------------------------------------- */

static void test_ebs_list_and_get_blocks(void **state)
{
    const char *snap = T("CF_T_EBS_SNAPSHOT");
    cf_ebs_block_list *l = NULL;
    cf_buf data = CF_BUF_INIT(1 << 20), small = CF_BUF_INIT(1024);
    (void)state;

    T_OK(cf_ebs_list_snapshot_blocks(&l, aws, snap));
    assert_int_equal(l->n, 2);
    assert_true(l->block_size > 0); /* AWS: 524288; moto 5.2.1 says 512 */
    assert_int_equal(l->volume_size_gib, 1);
    for (size_t i = 0; i < l->n; i++) {
        assert_true(l->items[i].index == 0 || l->items[i].index == 3);
        cf_buf_reset(&data);
        T_OK(cf_ebs_get_snapshot_block(&data, aws, snap, l->items[i].index, l->items[i].token));
        assert_int_equal(data.len, 524288);
        assert_int_equal(data.data[0], l->items[i].index == 0 ? 'A' : 'B');
        assert_int_equal(data.data[data.len - 1], l->items[i].index == 0 ? 'A' : 'B');
    }
    /* the caller's buffer bounds what a block may add */
    assert_int_equal(cf_ebs_get_snapshot_block(&small, aws, snap, 0, l->items[0].token),
                     CF_ETOOBIG);
    cf_ebs_block_list_free(l);
    l = NULL;
    assert_true(cf_ebs_list_snapshot_blocks(&l, aws, "snap-00000000000000000") < 0);
    assert_null(l);
    cf_buf_release(&data);
    cf_buf_release(&small);
}

/* ---- CloudTrail ----------------------------------------------------------------------------- */

static void test_cloudtrail_lookup_fake(void **state)
{
    cf_cloudtrail_lookup q = {0};
    cf_cloudtrail_event_list *l = NULL;
    (void)state;

    /* seven events, three per page */
    T_OK(cf_cloudtrail_lookup_events(&l, fake, NULL));
    assert_int_equal(l->n, 7);
    assert_string_equal(l->items[0].event_id, "ev-0");
    assert_string_equal(l->items[0].event_name, "GetObject");
    assert_string_equal(l->items[1].event_name, "RunInstances");
    assert_string_equal(l->items[1].username, "mallory");
    assert_string_equal(l->items[1].access_key_id, "AKIAEXAMPLE1");
    assert_string_equal(l->items[1].event_source, "ec2.amazonaws.com");
    assert_int_equal(l->items[1].n_resources, 1);
    assert_string_equal(l->items[1].resources[0].type, "AWS::EC2::Instance");
    assert_non_null(strstr(l->items[1].raw, "203.0.113.7"));
    assert_int_equal(l->items[0].event_time_ns, (1795780000LL + 420) * 1000000000LL);
    assert_string_equal(l->items[0].event_time, "2026-11-27T11:53:40.000000Z");
    cf_cloudtrail_event_list_free(l);
    l = NULL;

    q.attr_key = "EventName";
    q.attr_value = "RunInstances";
    q.page_size = 2;
    T_OK(cf_cloudtrail_lookup_events(&l, fake, &q));
    assert_int_equal(l->n, 3);
    for (size_t i = 0; i < l->n; i++)
        assert_string_equal(l->items[i].event_name, "RunInstances");
    cf_cloudtrail_event_list_free(l);
    l = NULL;

    memset(&q, 0, sizeof(q));
    q.max_events = 4; /* stops early, mid-page */
    T_OK(cf_cloudtrail_lookup_events(&l, fake, &q));
    assert_int_equal(l->n, 4);
    cf_cloudtrail_event_list_free(l);
    l = NULL;

    memset(&q, 0, sizeof(q));
    q.start_ns = (1795780000LL + 240) * 1000000000LL;
    T_OK(cf_cloudtrail_lookup_events(&l, fake, &q));
    assert_int_equal(l->n, 4);
    cf_cloudtrail_event_list_free(l);
    l = NULL;

    q.start_ns = 0;
    q.attr_key = "Username";
    q.attr_value = "hostile-wrongtype";
    assert_int_equal(cf_cloudtrail_lookup_events(&l, fake, &q), CF_EPARSE);
    q.attr_value = "hostile-noid";
    assert_int_equal(cf_cloudtrail_lookup_events(&l, fake, &q), CF_EPARSE);
    q.attr_value = "hostile-loop";
    assert_int_equal(cf_cloudtrail_lookup_events(&l, fake, &q), CF_EPARSE);
    q.attr_value = "hostile-badtime";
    assert_int_equal(cf_cloudtrail_lookup_events(&l, fake, &q), CF_EPARSE);
    assert_null(l);
}

/* ---- pagination of every protocol family, against the fake (moto pages few calls) ----------- */

static void test_pagination_fake(void **state)
{
    cf_elbv2_tg_list *tg = NULL;
    cf_asg_instance_list *ai = NULL;
    cf_ec2_snapshot_list *sn = NULL;
    cf_ec2_sg_list *sg = NULL;
    cf_ebs_block_list *bl = NULL;
    (void)state;

    T_OK(cf_elbv2_describe_target_groups(&tg, fake, NULL, 0, NULL)); /* Marker / NextMarker */
    assert_int_equal(tg->n, 5);
    for (size_t i = 0; i < tg->n; i++) {
        assert_int_equal(tg->items[i].port, 8000 + (int)i);
        assert_int_equal(tg->items[i].n_lb_arns, 1);
    }
    T_OK(cf_asg_describe_instances(&ai, fake, NULL, 0)); /* NextToken */
    assert_int_equal(ai->n, 3);
    assert_string_equal(ai->items[2].instance_id, "i-p2");
    assert_int_equal(ai->items[2].protected_from_scale_in, 1);
    T_OK(cf_ec2_describe_snapshots(&sn, fake, NULL, "self")); /* nextToken */
    assert_int_equal(sn->n, 5);
    assert_string_equal(sn->items[4].id, "snap-p4");
    assert_string_equal(cf_ec2_tag_get(sn->items[4].tags, sn->items[4].n_tags, "casefile:case"),
                        "c-1");
    /* a server that hands back the same token forever is stopped */
    assert_int_equal(cf_ec2_describe_security_groups(&sg, fake, NULL), CF_EPARSE);
    assert_null(sg);
    T_OK(cf_ebs_list_snapshot_blocks(&bl, fake, "snap-paged")); /* rest-json nextToken */
    assert_int_equal(bl->n, 5);
    assert_int_equal(bl->items[4].index, 40);
    cf_ebs_block_list_free(bl);
    bl = NULL;
    assert_int_equal(cf_ebs_list_snapshot_blocks(&bl, fake, "snap-loop"), CF_EPARSE);
    assert_null(bl);
    cf_elbv2_tg_list_free(tg);
    cf_asg_instance_list_free(ai);
    cf_ec2_snapshot_list_free(sn);
}

static void test_ebs_block_integrity_fake(void **state)
{
    cf_buf data = CF_BUF_INIT(1 << 20);
    (void)state;

    T_OK(cf_ebs_get_snapshot_block(&data, fake, "snap-good", 0, "tok-0"));
    assert_int_equal(data.len, 4096);
    cf_buf_reset(&data);
    assert_int_equal(cf_ebs_get_snapshot_block(&data, fake, "snap-badsum", 0, "tok-0"),
                     CF_EINTEGRITY);
    assert_int_equal(cf_ebs_get_snapshot_block(&data, fake, "snap-badlen", 0, "tok-0"),
                     CF_EINTEGRITY);
    assert_int_equal(data.len, 0); /* nothing appended from a bad block */
    assert_int_equal(cf_ebs_get_snapshot_block(&data, fake, "snap-good", 0, "wrong"), CF_EAWS);
    assert_string_equal(cf_error_last()->aws_code, "ValidationException");
    cf_buf_release(&data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ses_send_simple),
        cmocka_unit_test(test_ses_send_raw),
        cmocka_unit_test(test_ssm_send_and_get),
        cmocka_unit_test(test_ssm_list_commands),
        cmocka_unit_test(test_ssm_list_invocations_fake),
        cmocka_unit_test(test_ssm_instance_information_fake),
        cmocka_unit_test(test_iam_instance_profile_and_policy),
        cmocka_unit_test(test_elbv2_targets),
        cmocka_unit_test(test_autoscaling_standby_detach),
        cmocka_unit_test(test_sqs_receive_visibility_delete),
        cmocka_unit_test(test_ebs_list_and_get_blocks),
        cmocka_unit_test(test_cloudtrail_lookup_fake),
        cmocka_unit_test(test_pagination_fake),
        cmocka_unit_test(test_ebs_block_integrity_fake),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
