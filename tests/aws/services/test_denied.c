/* Permissions as `casefile doctor` sees them: moto with IAM enforced
 * (INITIAL_NO_AUTH_ACTION_COUNT) and a user allowed ec2:Describe* and ec2:CreateSecurityGroup.
 * DryRun of an allowed call is CF_EC2_DRY_RUN_OK, of a denied one CF_EDENIED; a wrong secret is
 * refused. */
#include "svc_test.h"

#include "aws/ec2.h"

static cf_aws *client_with(const char *key, const char *secret)
{
    setenv("AWS_ACCESS_KEY_ID", key, 1);
    setenv("AWS_SECRET_ACCESS_KEY", secret, 1);
    unsetenv("AWS_SESSION_TOKEN");
    return t_client(NULL);
}

static void test_denied_dry_run_maps_permissions(void **state)
{
    cf_aws *aws = client_with(T("CF_T_LIMITED_KEY"), T("CF_T_LIMITED_SECRET"));
    cf_ec2_instance_list *l = NULL;
    const char *ids[] = {"i-0123456789abcdef0"};
    char *gid = NULL;
    int rc;
    (void)state;

    T_OK(cf_ec2_describe_instances(&l, aws, NULL));
    assert_int_equal(l->n, 0);
    cf_ec2_instance_list_free(l);
    /* allowed: DryRun says it would succeed, and nothing is created */
    assert_int_equal(cf_ec2_create_security_group(&gid, aws, "probe", "doctor", NULL, NULL, 0, 1),
                     CF_EC2_DRY_RUN_OK);
    assert_null(gid);
    /* not allowed: denied, with AWS's code kept for the report */
    rc = cf_ec2_terminate_instances(aws, ids, 1, 1);
    assert_int_equal(rc, CF_EDENIED);
    assert_true(cf_error_last()->http_status == 403 || cf_error_last()->http_status == 401);
    assert_true(strlen(cf_error_last()->aws_code) > 0);
    rc = cf_ec2_create_snapshot(&gid, aws, "vol-0123456789abcdef0", NULL, NULL, 0, 1);
    assert_int_equal(rc, CF_EDENIED);
    cf_aws_free(aws);
}

static void test_denied_wrong_secret(void **state)
{
    cf_aws *aws = client_with(T("CF_T_LIMITED_KEY"), "not-the-secret");
    cf_ec2_instance_list *l = NULL;
    int rc;
    (void)state;

    rc = cf_ec2_describe_instances(&l, aws, NULL);
    assert_true(rc < 0);
    assert_null(l);
    assert_true(cf_error_last()->http_status == 403 || cf_error_last()->http_status == 401);
    cf_aws_free(aws);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_denied_dry_run_maps_permissions),
        cmocka_unit_test(test_denied_wrong_secret),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
