#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "case/cf_case.h"
#include "common/cf_error.h"
#include "common/cf_fs.h"

static int setup(void **state)
{
    char *dir = strdup("/tmp/cf-test-case-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    *state = dir;
    return 0;
}

static int teardown(void **state)
{
    cf_fs_remove_tree(*state);
    free(*state);
    return 0;
}

static void test_case_journal_survives_reopen(void **state)
{
    cf_case *c = NULL;
    cf_step_state s;
    char *v = NULL;
    assert_int_equal(cf_case_open(&c, *state), CF_OK);
    assert_int_equal(cf_case_info_set(c, "case_id", "cf-1"), CF_OK);
    assert_int_equal(cf_case_info_set(c, "case_id", "cf-2"), CF_OK);
    assert_int_equal(cf_case_step_start(c, "triage"), CF_OK);
    assert_int_equal(cf_case_step_start(c, "triage"), CF_OK);
    assert_int_equal(cf_case_step_finish(c, "triage", "done", "{\"ok\":1}", NULL), CF_OK);
    cf_case_free(c);
    c = NULL;

    assert_int_equal(cf_case_open(&c, *state), CF_OK);
    assert_int_equal(cf_case_info_get(c, "case_id", &v), CF_OK);
    assert_string_equal(v, "cf-2");
    free(v);
    assert_int_equal(cf_case_info_get(c, "nope", &v), CF_OK);
    assert_null(v);
    assert_int_equal(cf_case_step_get(c, "triage", &s), CF_OK);
    assert_string_equal(s.status, "done");
    assert_int_equal(s.attempts, 2);
    assert_string_equal(s.output, "{\"ok\":1}");
    assert_null(s.error);
    cf_step_state_release(&s);
    assert_int_equal(cf_case_step_get(c, "snapshot", &s), CF_OK);
    assert_string_equal(s.status, "");
    cf_step_state_release(&s);
    cf_case_free(c);
}

static void test_case_action_idempotency_key(void **state)
{
    cf_case *c = NULL;
    char *detail = NULL;
    cf_action a = {.step = "block_ip",
                   .idem_key = "acl:acl-1:in:203.0.113.7/32",
                   .call = "ec2:CreateNetworkAclEntry",
                   .target = "acl-1",
                   .result = "error",
                   .detail = "throttled"};
    assert_int_equal(cf_case_open(&c, *state), CF_OK);
    assert_int_equal(cf_case_action_done(c, a.idem_key, NULL), 0);
    assert_int_equal(cf_case_action_record(c, &a), CF_OK);
    assert_int_equal(cf_case_action_done(c, a.idem_key, NULL), 0); /* an error is not done */
    a.result = "ok";
    a.detail = "rule 90";
    a.request_id = "req-9";
    assert_int_equal(cf_case_action_record(c, &a), CF_OK);
    assert_int_equal(cf_case_action_done(c, a.idem_key, &detail), 1);
    assert_string_equal(detail, "rule 90");
    free(detail);
    cf_case_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_case_journal_survives_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_case_action_idempotency_key, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
