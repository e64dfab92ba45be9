/* Unit tests of the workflow library: configuration, finding parsing, guardrails, the plan, the
 * generated deployment artefacts, bundle unpacking and verification. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cf_error.h"
#include "common/cf_fs.h"
#include "common/cf_hash.h"
#include "common/cf_json.h"
#include "workflow/cf_config.h"
#include "workflow/cf_finding.h"
#include "workflow/cf_guard.h"
#include "workflow/cf_workflow.h"
#include "workflow/wf_bundle.h"

static char tmpdir_path[256];

static int setup_tmp(void **state)
{
    (void)state;
    snprintf(tmpdir_path, sizeof(tmpdir_path), "/tmp/cf-wf-unit-XXXXXX");
    return mkdtemp(tmpdir_path) ? 0 : -1;
}

static int teardown_tmp(void **state)
{
    (void)state;
    cf_fs_remove_tree(tmpdir_path);
    return 0;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* ---- configuration ------------------------------------------------------------------------- */

static void test_config_defaults(void **state)
{
    cf_config c;
    char v[64];
    (void)state;
    assert_int_equal(cf_config_init(&c), CF_OK);
    assert_int_equal(c.acl_rule_min, 1);
    assert_int_equal(c.acl_rule_max, 99);
    assert_string_equal(c.asg_action, "standby");
    assert_null(c.evidence_bucket);
    assert_int_equal(cf_config_get(&c, "isolate_first", v, sizeof(v)), CF_OK);
    assert_string_equal(v, "false");
    assert_int_equal(cf_config_validate(&c), CF_OK);
    cf_config_release(&c);
}

static void test_config_precedence(void **state)
{
    cf_config c;
    char path[512];
    char *argv[] = {"respond", "--acl-rule-max", "50", "--isolate-first", "--sender=x@y.z", "ev"};
    int i = 1;
    (void)state;
    snprintf(path, sizeof(path), "%s/c.json", tmpdir_path);
    write_file(path, "{\"evidence_bucket\": \"b1\", \"acl_rule_max\": 80, \"acl_rule_min\": 5,"
                     " \"allow_list\": [\"10.0.0.0/8\", \"192.0.2.1\"], \"keep_forensic\": true}");
    setenv("CASEFILE_EVIDENCE_BUCKET", "b2", 1);
    setenv("CASEFILE_ACL_RULE_MIN", "7", 1);
    assert_int_equal(cf_config_load(&c, path), CF_OK);
    unsetenv("CASEFILE_EVIDENCE_BUCKET");
    unsetenv("CASEFILE_ACL_RULE_MIN");
    assert_string_equal(c.evidence_bucket, "b2"); /* env beats file */
    assert_int_equal(c.acl_rule_min, 7);
    assert_int_equal(c.acl_rule_max, 80);
    assert_string_equal(c.allow_list, "10.0.0.0/8,192.0.2.1");
    assert_true(c.keep_forensic);
    assert_int_equal(cf_config_flag(&c, 6, argv, &i), 1); /* flag beats env and file */
    assert_int_equal(i, 3);
    assert_int_equal(c.acl_rule_max, 50);
    assert_int_equal(cf_config_flag(&c, 6, argv, &i), 1); /* bare boolean */
    assert_true(c.isolate_first);
    assert_int_equal(cf_config_flag(&c, 6, argv, &i), 1);
    assert_string_equal(c.sender, "x@y.z");
    assert_int_equal(cf_config_flag(&c, 6, argv, &i), 0); /* not a flag */
    cf_config_release(&c);
}

static void test_config_rejects_bad(void **state)
{
    cf_config c;
    char path[512];
    (void)state;
    snprintf(path, sizeof(path), "%s/bad.json", tmpdir_path);
    write_file(path, "{\"evidence_bukket\": \"b\"}");
    assert_int_equal(cf_config_init(&c), CF_OK);
    assert_int_equal(cf_config_load_file(&c, path), CF_EINVAL);
    assert_non_null(strstr(cf_error_last()->msg, "evidence_bukket"));
    write_file(path, "{\"acl_rule_min\": \"ten\"}");
    assert_int_equal(cf_config_load_file(&c, path), CF_EINVAL);
    write_file(path, "{\"isolate_first\": 3.5}");
    assert_int_equal(cf_config_load_file(&c, path), CF_EINVAL);
    assert_int_equal(cf_config_set(&c, "acl_rule_min", "100"), CF_OK);
    assert_int_equal(cf_config_validate(&c), CF_EINVAL); /* min > max */
    assert_int_equal(cf_config_set(&c, "acl_rule_min", "1"), CF_OK);
    assert_int_equal(cf_config_set(&c, "asg_action", "terminate"), CF_OK);
    assert_int_equal(cf_config_validate(&c), CF_EINVAL);
    cf_config_release(&c);
}

/* ---- findings ------------------------------------------------------------------------------ */

static const char *gd_finding =
    "{\"schemaVersion\":\"2.0\",\"accountId\":\"123456789012\",\"region\":\"us-east-1\","
    "\"id\":\"abc123\",\"type\":\"Backdoor:EC2/C&CActivity.B\",\"severity\":8.5,"
    "\"resource\":{\"resourceType\":\"Instance\",\"instanceDetails\":{\"instanceId\":"
    "\"i-0123456789abcdef0\",\"availabilityZone\":\"us-east-1a\"}},"
    "\"service\":{\"eventFirstSeen\":\"2026-11-27T10:00:00Z\",\"action\":{"
    "\"networkConnectionAction\":{\"remoteIpDetails\":{\"ipAddressV4\":\"198.51.100.7\"}},"
    "\"portProbeAction\":{\"portProbeDetails\":[{\"remoteIpDetails\":{\"ipAddressV4\":"
    "\"203.0.113.9\"}},{\"remoteIpDetails\":{\"ipAddressV6\":\"2001:db8::1\"}},"
    "{\"remoteIpDetails\":{\"ipAddressV4\":\"198.51.100.7\"}},"
    "{\"remoteIpDetails\":{\"ipAddressV4\":\"not-an-ip\"}}]}}}}";

static void test_finding_bare(void **state)
{
    cf_finding f;
    (void)state;
    assert_int_equal(cf_finding_parse(&f, gd_finding, strlen(gd_finding)), CF_OK);
    assert_string_equal(f.shape, "finding");
    assert_string_equal(f.id, "abc123");
    assert_string_equal(f.instance_id, "i-0123456789abcdef0");
    assert_int_equal((int)(f.severity * 10), 85);
    assert_int_equal(f.n_ips, 3); /* deduplicated, the malformed one ignored */
    assert_string_equal(f.ips[0], "198.51.100.7/32");
    assert_string_equal(f.ips[1], "203.0.113.9/32");
    assert_string_equal(f.ips[2], "2001:db8::1/128");
    assert_true(f.first_seen > 0);
    cf_finding_release(&f);
}

static void test_finding_eventbridge_and_case_id(void **state)
{
    cf_finding a, b;
    char ev[4096], id1[CF_CASE_ID_MAX], id2[CF_CASE_ID_MAX];
    (void)state;
    snprintf(ev, sizeof(ev),
             "{\"version\":\"0\",\"id\":\"e1\",\"detail-type\":\"GuardDuty Finding\","
             "\"source\":\"aws.guardduty\",\"detail\":%s}",
             gd_finding);
    assert_int_equal(cf_finding_parse(&a, ev, strlen(ev)), CF_OK);
    assert_string_equal(a.shape, "eventbridge");
    assert_int_equal(cf_finding_parse(&b, gd_finding, strlen(gd_finding)), CF_OK);
    cf_finding_case_id(&a, id1);
    cf_finding_case_id(&b, id2);
    assert_string_equal(id1, id2); /* same finding, same case, whatever the envelope */
    assert_memory_equal(id1, "cf-i-0123456789abcdef0-", 23);
    assert_int_equal(strlen(id1), 23 + 12);
    assert_true(cf_case_id_valid(id1));
    assert_false(cf_case_id_valid("../etc"));
    cf_finding_release(&a);
    cf_finding_release(&b);
}

static void test_finding_asff(void **state)
{
    cf_finding f;
    const char *asff =
        "{\"detail-type\":\"Security Hub Findings - Imported\",\"detail\":{\"findings\":[{"
        "\"SchemaVersion\":\"2018-10-08\",\"Id\":\"arn:aws:guardduty:us-east-1:1:detector/d/"
        "finding/f77\",\"ProductArn\":\"arn:aws:securityhub:us-east-1::product/aws/guardduty\","
        "\"AwsAccountId\":\"123456789012\",\"Types\":[\"TTPs/Command and Control/"
        "UnauthorizedAccess:EC2-TorClient\"],\"Severity\":{\"Product\":5},"
        "\"Resources\":[{\"Type\":\"AwsEc2Instance\",\"Id\":\"arn:aws:ec2:us-east-1:1:instance/"
        "i-00000000000000abc\",\"Region\":\"us-east-1\"}],"
        "\"ProductFields\":{\"aws/guardduty/service/action/networkConnectionAction/"
        "remoteIpDetails/ipAddressV4\":\"192.0.2.44\"}}]}}";
    (void)state;
    assert_int_equal(cf_finding_parse(&f, asff, strlen(asff)), CF_OK);
    assert_string_equal(f.shape, "asff");
    assert_string_equal(f.id, "f77");
    assert_string_equal(f.instance_id, "i-00000000000000abc");
    assert_string_equal(f.type, "UnauthorizedAccess:EC2-TorClient");
    assert_int_equal(f.n_ips, 1);
    assert_string_equal(f.ips[0], "192.0.2.44/32");
    cf_finding_release(&f);
}

static void test_finding_rejects_unknown(void **state)
{
    cf_finding f;
    const char *bad[] = {
        "[]",
        "{\"hello\": 1}",
        "{\"detail-type\":\"EC2 Instance State-change Notification\",\"detail\":{}}",
        "{\"id\":\"x\",\"type\":\"Recon:IAMUser/X\",\"resource\":{\"resourceType\":\"AccessKey\"}}",
        "{\"id\":\"x\",\"type\":\"t\",\"resource\":{\"resourceType\":\"Instance\","
        "\"instanceDetails\":{\"instanceId\":\"i-;rm -rf /\"}}}",
        "{\"id\":\"x\",\"type\":\"t\",\"resource\":{\"resourceType\":\"Instance\"}}",
        "not json",
    };
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(cf_finding_parse(&f, bad[i], strlen(bad[i])), CF_EINVAL);
        assert_true(strlen(cf_error_last()->msg) > 10);
        cf_finding_release(&f);
    }
}

static void test_finding_no_ips_is_fine(void **state)
{
    cf_finding f;
    const char *ev = "{\"id\":\"x\",\"type\":\"CryptoCurrency:EC2/BitcoinTool.B\","
                     "\"resource\":{\"resourceType\":\"Instance\",\"instanceDetails\":"
                     "{\"instanceId\":\"i-12345678\"}},\"service\":{\"action\":{}}}";
    (void)state;
    assert_int_equal(cf_finding_parse(&f, ev, strlen(ev)), CF_OK);
    assert_int_equal(f.n_ips, 0);
    cf_finding_release(&f);
}

/* ---- guardrails ---------------------------------------------------------------------------- */

static void test_guard_cidr(void **state)
{
    cf_cidr a, b;
    char txt[CF_CIDR_STR_MAX];
    (void)state;
    assert_int_equal(cf_cidr_parse("10.1.2.3/16", &a), CF_OK);
    cf_cidr_format(&a, txt);
    assert_string_equal(txt, "10.1.0.0/16"); /* host bits cleared */
    assert_int_equal(cf_cidr_parse("10.1.200.9", &b), CF_OK);
    assert_true(cf_cidr_contains(&a, &b));
    assert_false(cf_cidr_contains(&b, &a));
    assert_int_equal(cf_cidr_parse("2001:DB8::1", &b), CF_OK);
    cf_cidr_format(&b, txt);
    assert_string_equal(txt, "2001:db8::1/128");
    assert_false(cf_cidr_overlaps(&a, &b));
    assert_int_equal(cf_cidr_parse("10.0.0.0/33", &a), CF_EINVAL);
    assert_int_equal(cf_cidr_parse("10.0.0.0/", &a), CF_EINVAL);
    assert_int_equal(cf_cidr_parse(" 10.0.0.1", &a), CF_EINVAL);
    assert_int_equal(cf_cidr_parse("fe80::1%eth0", &a), CF_EINVAL);
}

static void test_guard_never_denies_allowed_vpc_or_broad(void **state)
{
    cf_cidr *allow, *vpc, ip;
    size_t na, nv;
    char why[256];
    (void)state;
    assert_int_equal(cf_cidr_list_parse(" 192.0.2.0/24 , 2001:db8:1::/48", &allow, &na), CF_OK);
    assert_int_equal(na, 2);
    assert_int_equal(cf_cidr_list_parse("10.0.0.0/16,2600:1f18::/56", &vpc, &nv), CF_OK);
    cf_cidr_parse("192.0.2.77", &ip);
    assert_int_equal(cf_guard_check_deny(&ip, allow, na, vpc, nv, why, sizeof(why)), CF_EGUARD);
    assert_non_null(strstr(why, "allow-listed"));
    cf_cidr_parse("10.0.3.4", &ip);
    assert_int_equal(cf_guard_check_deny(&ip, allow, na, vpc, nv, why, sizeof(why)), CF_EGUARD);
    assert_non_null(strstr(why, "VPC"));
    cf_cidr_parse("2600:1f18::9", &ip);
    assert_int_equal(cf_guard_check_deny(&ip, allow, na, vpc, nv, why, sizeof(why)), CF_EGUARD);
    cf_cidr_parse("0.0.0.0/0", &ip);
    assert_int_equal(cf_guard_check_deny(&ip, allow, na, vpc, nv, why, sizeof(why)), CF_EGUARD);
    assert_non_null(strstr(why, "broad"));
    cf_cidr_parse("169.254.169.254", &ip);
    assert_int_equal(cf_guard_check_deny(&ip, allow, na, vpc, nv, why, sizeof(why)), CF_EGUARD);
    cf_cidr_parse("::1", &ip);
    assert_int_equal(cf_guard_check_deny(&ip, allow, na, vpc, nv, why, sizeof(why)), CF_EGUARD);
    cf_cidr_parse("198.51.100.23", &ip);
    assert_int_equal(cf_guard_check_deny(&ip, allow, na, vpc, nv, why, sizeof(why)), CF_OK);
    cf_cidr_parse("2001:db8:bad::7", &ip);
    assert_int_equal(cf_guard_check_deny(&ip, allow, na, vpc, nv, why, sizeof(why)), CF_OK);
    free(allow);
    free(vpc);
}

static void test_guard_protected_tag(void **state)
{
    json_t *tags = json_pack("[{s:s,s:s},{s:s,s:s}]", "Key", "Name", "Value", "db", "Key",
                             "casefile:protected", "Value", "TRUE");
    (void)state;
    assert_true(cf_guard_is_protected(tags, "casefile:protected=true"));
    assert_true(cf_guard_is_protected(tags, "casefile:protected"));
    assert_false(cf_guard_is_protected(tags, "casefile:protected=false"));
    assert_false(cf_guard_is_protected(tags, "casefile:protect"));
    assert_false(cf_guard_is_protected(tags, ""));
    assert_false(cf_guard_is_protected(NULL, "casefile:protected"));
    json_decref(tags);
}

static void test_guard_acl_rule_numbers(void **state)
{
    cf_acl_entry e[8];
    int rule;
    size_t n = 0;
    (void)state;
    memset(e, 0, sizeof(e));
    e[n++] = (cf_acl_entry){100, 0, 1, 0, {0}};
    e[n++] = (cf_acl_entry){32767, 0, 0, 0, {0}};
    e[n++] = (cf_acl_entry){1, 0, 0, 0, {0}};  /* someone's deny at 1 */
    e[n++] = (cf_acl_entry){1, 1, 1, 0, {0}};  /* an egress allow at 1 */
    e[n++] = (cf_acl_entry){50, 0, 1, 0, {0}}; /* an ingress allow at 50 */
    assert_int_equal(cf_guard_acl_pick(e, n, 0, 1, 99, 20, &rule), CF_OK);
    assert_int_equal(rule, 2); /* lowest free, below the allow at 50 */
    assert_int_equal(cf_guard_acl_pick(e, n, 0, 60, 99, 20, &rule), CF_ETOOBIG);
    assert_non_null(strstr(cf_error_last()->msg, "full"));
    assert_int_equal(cf_guard_acl_pick(e, n, 1, 1, 99, 20, &rule), CF_ETOOBIG); /* allow at 1 */
    assert_int_equal(cf_guard_acl_pick(e, n, 0, 1, 99, 3, &rule), CF_ETOOBIG);  /* quota */
    cf_cidr_parse("198.51.100.23", &e[2].cidr);
    e[2].has_cidr = 1;
    assert_int_equal(cf_guard_acl_find_deny(e, n, 0, &e[2].cidr), 1);
    assert_int_equal(cf_guard_acl_find_deny(e, n, 1, &e[2].cidr), 0);
}

/* ---- plan and generated artefacts ---------------------------------------------------------- */

static void test_workflow_plan(void **state)
{
    cf_config c;
    cf_wf_plan p;
    (void)state;
    cf_config_init(&c);
    cf_wf_plan_build(&c, &p);
    assert_int_equal(p.n_stages, 9);
    assert_string_equal(p.stage[0][0]->name, "triage");
    assert_int_equal(p.width[1], 2);
    assert_string_equal(p.stage[1][0]->name, "notify");
    assert_string_equal(p.stage[1][1]->name, "block_ip");
    assert_string_equal(p.stage[2][0]->name, "collect_volatile");
    assert_string_equal(p.stage[4][0]->name, "isolate");
    c.isolate_first = 1;
    cf_wf_plan_build(&c, &p);
    assert_string_equal(p.stage[2][0]->name, "isolate");
    assert_string_equal(p.stage[3][0]->name, "collect_volatile");
    cf_config_release(&c);
}

static void test_workflow_state_machine(void **state)
{
    char *txt = cf_wf_state_machine(NULL, "arn:aws:lambda:us-east-1:1:function:cf");
    json_t *sm, *states, *par;
    (void)state;
    assert_non_null(txt);
    assert_int_equal(cf_json_parse(txt, strlen(txt), &sm), CF_OK);
    assert_string_equal(json_string_value(json_object_get(sm, "StartAt")), "triage");
    states = json_object_get(sm, "States");
    for (const cf_wf_step *s = cf_wf_steps(); s->name; s++)
        if (strcmp(s->name, "notify") && strcmp(s->name, "block_ip"))
            assert_non_null(json_object_get(states, s->name));
    par = json_object_get(states, "notify_and_block_ip");
    assert_string_equal(json_string_value(json_object_get(par, "Type")), "Parallel");
    assert_int_equal(json_array_size(json_object_get(par, "Branches")), 2);
    assert_string_equal(
        json_string_value(cf_json_path(par, "Branches.1.States.block_ip.Parameters.Payload.step")),
        "block_ip");
    assert_string_equal(json_string_value(cf_json_path(states, "triage.Next")),
                        "notify_and_block_ip");
    assert_string_equal(json_string_value(cf_json_path(states, "report.Next")), "Done");
    json_decref(sm);
    free(txt);
}

static void test_workflow_iam_actions(void **state)
{
    const char *const *a = cf_wf_iam_actions();
    size_t n = 0;
    (void)state;
    for (; a[n]; n++)
        if (n)
            assert_true(strcmp(a[n - 1], a[n]) < 0); /* sorted, unique */
    assert_true(n > 30);
    for (const cf_wf_step *s = cf_wf_steps(); s->name; s++)
        for (size_t i = 0; s->actions[i]; i++) {
            int found = 0;
            for (size_t j = 0; j < n && !found; j++)
                found = !strcmp(a[j], s->actions[i]);
            assert_true(found);
        }
}

/* ---- bundles ------------------------------------------------------------------------------- */

static void make_bundle(const char *dir, const char *content, const char *hash_of)
{
    char path[1024], man[2048], hex[CF_SHA256_HEX_LEN];
    cf_fs_mkdirs(dir, 0755);
    snprintf(path, sizeof(path), "%s/processes.jsonl", dir);
    write_file(path, content);
    cf_sha256_hex(hash_of, strlen(hash_of), hex);
    snprintf(man, sizeof(man),
             "{\"schema\":\"casefile.bundle/1\",\"kind\":\"volatile\",\"files\":["
             "{\"path\":\"processes.jsonl\",\"sha256\":\"%s\",\"bytes\":%zu},"
             "{\"path\":\"../escape\",\"sha256\":\"00\"}]}",
             hex, strlen(hash_of));
    snprintf(path, sizeof(path), "%s/manifest.json", dir);
    write_file(path, man);
}

static void test_bundle_verify_and_tar(void **state)
{
    char src[512], out[512], tarp[600], cmd[2048];
    cf_case *cs = NULL;
    int n = 0;
    (void)state;
    snprintf(src, sizeof(src), "%s/b", tmpdir_path);
    make_bundle(src, "{\"pid\":1}\n", "{\"pid\":1}\n");
    snprintf(tarp, sizeof(tarp), "%s/bundle.tar", tmpdir_path);
    snprintf(cmd, sizeof(cmd), "cd %s && tar -cf %s processes.jsonl manifest.json", src, tarp);
    assert_int_equal(system(cmd), 0);
    snprintf(out, sizeof(out), "%s/x", tmpdir_path);
    assert_int_equal(wf_tar_extract(tarp, out, 1 << 20), CF_OK);
    assert_int_equal(cf_case_open(&cs, tmpdir_path), CF_OK);
    assert_int_equal(wf_bundle_verify(cs, out, "volatile", "volatile", "s3://b/p/", &n), CF_OK);
    assert_int_equal(n, 1); /* the ../ entry is never followed */
    /* Tampered: content differs from the manifest. */
    make_bundle(src, "{\"pid\":666}\n", "{\"pid\":1}\n");
    assert_int_equal(wf_bundle_verify(cs, src, "tampered", "volatile", "s3://b/p/", &n),
                     CF_EINTEGRITY);
    /* Size bound. */
    snprintf(out, sizeof(out), "%s/y", tmpdir_path);
    assert_int_equal(wf_tar_extract(tarp, out, 4), CF_ETOOBIG);
    cf_case_free(cs);
}

static void test_bundle_tar_rejects_traversal(void **state)
{
    char tarp[600], out[600], cmd[4096];
    (void)state;
    snprintf(tarp, sizeof(tarp), "%s/evil.tar", tmpdir_path);
    snprintf(cmd, sizeof(cmd),
             "cd %s && mkdir -p e/sub && echo x > e/sub/f && tar -cf %s -C %s/e sub/../../pwn "
             "2>/dev/null || tar -cf %s --transform 's,^sub/f,../pwn,' -C %s/e sub/f",
             tmpdir_path, tarp, tmpdir_path, tarp, tmpdir_path);
    assert_int_equal(system(cmd), 0);
    snprintf(out, sizeof(out), "%s/z", tmpdir_path);
    assert_int_equal(wf_tar_extract(tarp, out, 1 << 20), CF_EINTEGRITY);
    snprintf(cmd, sizeof(cmd), "%s/pwn", tmpdir_path);
    assert_int_not_equal(access(cmd, F_OK), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_defaults),
        cmocka_unit_test(test_config_precedence),
        cmocka_unit_test(test_config_rejects_bad),
        cmocka_unit_test(test_finding_bare),
        cmocka_unit_test(test_finding_eventbridge_and_case_id),
        cmocka_unit_test(test_finding_asff),
        cmocka_unit_test(test_finding_rejects_unknown),
        cmocka_unit_test(test_finding_no_ips_is_fine),
        cmocka_unit_test(test_guard_cidr),
        cmocka_unit_test(test_guard_never_denies_allowed_vpc_or_broad),
        cmocka_unit_test(test_guard_protected_tag),
        cmocka_unit_test(test_guard_acl_rule_numbers),
        cmocka_unit_test(test_workflow_plan),
        cmocka_unit_test(test_workflow_state_machine),
        cmocka_unit_test(test_workflow_iam_actions),
        cmocka_unit_test(test_bundle_verify_and_tar),
        cmocka_unit_test(test_bundle_tar_rejects_traversal),
    };
    return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
