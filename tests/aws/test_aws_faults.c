/* Retries, timeouts, caps, idempotency tokens and the HTTP credential sources, against
 * tests/aws/fault_server.py (CF_FAULT_URL). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/cf_aws.h"
#include "aws/sts.h"
#include "common/cf_fs.h"
#include "common/cf_json.h"
#include "common/cf_time.h"

static const char *base;
static char tmpdir[256];

static void clean_env(void)
{
    static const char *const vars[] = {"AWS_ACCESS_KEY_ID",
                                       "AWS_SECRET_ACCESS_KEY",
                                       "AWS_SESSION_TOKEN",
                                       "AWS_PROFILE",
                                       "AWS_ENDPOINT_URL",
                                       "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                                       "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                                       "AWS_CONTAINER_AUTHORIZATION_TOKEN",
                                       "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
                                       "CF_AWS_TEST_CONTAINER_HOST",
                                       "AWS_EC2_METADATA_SERVICE_ENDPOINT",
                                       "AWS_MAX_ATTEMPTS",
                                       NULL};
    for (int i = 0; vars[i]; i++)
        unsetenv(vars[i]);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    setenv("AWS_REGION", "us-east-1", 1);
}

static int setup(void **state)
{
    char p[512];
    (void)state;
    base = getenv("CF_FAULT_URL");
    if (!base) {
        fprintf(stderr, "run under tests/aws/fault_server.py\n");
        return -1;
    }
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/cf-aws-fault-XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    snprintf(p, sizeof(p), "%s/empty", tmpdir);
    cf_fs_write_atomic(p, "", 0);
    setenv("AWS_CONFIG_FILE", p, 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", p, 1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cf_fs_remove_tree(tmpdir);
    return 0;
}

static int with_keys(void **state)
{
    (void)state;
    clean_env();
    setenv("AWS_ACCESS_KEY_ID", "AKIAFAULT", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "faultsecret", 1);
    return 0;
}

static int without_keys(void **state)
{
    (void)state;
    clean_env();
    return 0;
}

/* A client on <base>/<scenario>/<id>, fast backoff. */
static cf_aws *client(const char *scenario, const char *id, int attempts, long timeout_ms,
                      size_t max_body)
{
    static char url[512];
    cf_aws_options o = CF_AWS_OPTIONS_INIT;
    cf_aws *aws = NULL;
    snprintf(url, sizeof(url), "%s/%s/%s", base, scenario, id);
    o.endpoint_url = url;
    o.max_attempts = attempts;
    o.base_delay_ms = 10;
    o.max_delay_ms = 50;
    o.timeout_ms = timeout_ms;
    o.connect_timeout_ms = 2000;
    o.max_body = max_body;
    assert_int_equal(cf_aws_new(&aws, &o), 0);
    return aws;
}

static size_t sink(char *p, size_t s, size_t n, void *ud)
{
    cf_buf_add(ud, p, s * n);
    return s * n;
}

/* The server's stats for a scenario (new reference). The "last_*" fields describe the request
 * before the stats request itself. */
static json_t *stats(const char *scenario, const char *id)
{
    char url[512];
    cf_buf b = CF_BUF_INIT(4096);
    json_t *j = NULL;
    CURL *h = curl_easy_init();
    snprintf(url, sizeof(url), "%s/stats/%s/%s", base, scenario, id);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    assert_int_equal(curl_easy_perform(h), CURLE_OK);
    curl_easy_cleanup(h);
    assert_int_equal(cf_json_parse(b.data, b.len, &j), 0);
    cf_buf_release(&b);
    return j;
}

static json_int_t stat_of(const char *scenario, const char *id, const char *field)
{
    json_t *j = stats(scenario, id);
    json_int_t v = json_integer_value(json_object_get(j, field));
    json_decref(j);
    return v;
}

static int sts_call(cf_aws *aws, cf_aws_response *r)
{
    return cf_aws_query(aws, &cf_aws_svc_sts, "GetCallerIdentity", NULL, r);
}

static void test_retry_throttling_then_success(void **state)
{
    cf_aws *aws = client("throttle", "1", 5, 5000, 0);
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    (void)state;
    assert_int_equal(sts_call(aws, &r), 0);
    assert_int_equal(r.attempts, 3);
    assert_string_equal(r.request_id, "hdr-req-200");
    assert_int_equal(stat_of("throttle", "1", "requests"), 3);
    cf_aws_response_release(&r);
    cf_aws_free(aws);
}

static void test_retry_json_throttling_header(void **state)
{
    cf_aws *aws = client("jsonthrottle", "1", 5, 5000, 0);
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    (void)state;
    assert_int_equal(cf_aws_json(aws, &cf_aws_svc_ssm, "SendCommand", NULL, &r), 0);
    assert_int_equal(r.attempts, 3);
    assert_true(json_is_true(json_object_get(r.json, "ok")));
    cf_aws_response_release(&r);
    cf_aws_free(aws);
}

static void test_retry_503_then_success(void **state)
{
    cf_aws *aws = client("s503", "1", 5, 5000, 0);
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    (void)state;
    assert_int_equal(sts_call(aws, &r), 0);
    assert_int_equal(r.attempts, 3);
    cf_aws_response_release(&r);
    cf_aws_free(aws);
}

static void test_retry_gives_up(void **state)
{
    cf_aws *aws = client("s500", "1", 3, 5000, 0);
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    const cf_error *e;
    (void)state;
    assert_int_equal(sts_call(aws, &r), CF_EAWS);
    e = cf_error_last();
    assert_int_equal(e->http_status, 500);
    assert_string_equal(e->aws_code, "InternalError");
    assert_string_equal(e->request_id, "hdr-req-500");
    assert_non_null(strstr(e->msg, "after 3 attempts"));
    assert_int_equal(r.attempts, 3);
    assert_int_equal(stat_of("s500", "1", "requests"), 3);
    cf_aws_response_release(&r);
    cf_aws_free(aws);
}

static void test_no_retry_on_client_errors(void **state)
{
    cf_aws *aws = client("denied", "1", 5, 5000, 0);
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    (void)state;
    assert_int_equal(sts_call(aws, &r), CF_EDENIED);
    assert_string_equal(cf_error_last()->aws_code, "AccessDenied");
    assert_int_equal(r.attempts, 1);
    cf_aws_response_release(&r);
    cf_aws_free(aws);
    aws = client("badrequest", "1", 5, 5000, 0);
    assert_int_equal(sts_call(aws, &r), CF_EAWS);
    assert_string_equal(cf_error_last()->aws_code, "ValidationError");
    assert_int_equal(r.attempts, 1);
    assert_int_equal(stat_of("badrequest", "1", "requests"), 1);
    cf_aws_response_release(&r);
    cf_aws_free(aws);
}

static void test_retry_connection_reset(void **state)
{
    cf_aws *aws = client("reset", "1", 5, 5000, 0);
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    (void)state;
    assert_int_equal(sts_call(aws, &r), 0);
    assert_int_equal(r.attempts, 2);
    cf_aws_response_release(&r);
    cf_aws_free(aws);
}

static void test_retry_slow_body(void **state)
{
    cf_aws *aws = client("slow", "1", 3, 1500, 0);
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    (void)state;
    assert_int_equal(sts_call(aws, &r), 0);
    assert_int_equal(r.attempts, 2);
    cf_aws_response_release(&r);
    cf_aws_free(aws);
}

static void test_endless_body_times_out(void **state)
{
    cf_aws *aws = client("endless", "1", 2, 1000, 0);
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    int64_t t0 = cf_time_monotonic();
    (void)state;
    assert_int_equal(sts_call(aws, &r), CF_ETIMEOUT);
    assert_int_equal(r.attempts, 2);
    assert_true(cf_time_monotonic() - t0 < 20 * CF_NS_PER_SEC);
    cf_aws_response_release(&r);
    cf_aws_free(aws);
}

static void test_huge_body_capped(void **state)
{
    cf_aws *aws = client("huge", "1", 5, 20000, 1 << 20);
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    (void)state;
    assert_int_equal(sts_call(aws, &r), CF_ETOOBIG);
    assert_int_equal(r.attempts, 1); /* not retried: it would be as big again */
    cf_aws_response_release(&r);
    cf_aws_free(aws);
}

static int one_page(void *ctx, const cf_aws_response *page)
{
    int *n = ctx;
    (*n)++;
    /* the caller checks types: a string where a list was expected is just "no items" */
    assert_int_equal(json_array_size(json_object_get(page->json, "Parameters")), 0);
    return 0;
}

static void test_hostile_success_bodies(void **state)
{
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    cf_sts_identity id;
    cf_aws *aws;
    int pages = 0;
    (void)state;
    aws = client("xmlbomb", "1", 1, 5000, 0);
    assert_int_equal(sts_call(aws, &r), CF_EPARSE); /* DTD refused: no expansion */
    assert_non_null(strstr(cf_error_last()->msg, "DTD"));
    cf_aws_response_release(&r);
    cf_aws_free(aws);
    aws = client("jsonbomb", "1", 1, 5000, 0);
    assert_int_equal(cf_aws_json(aws, &cf_aws_svc_ssm, "DescribeParameters", NULL, &r), CF_EPARSE);
    cf_aws_response_release(&r);
    cf_aws_free(aws);
    aws = client("truncated", "1", 1, 5000, 0);
    assert_int_equal(sts_call(aws, &r), CF_EPARSE);
    cf_aws_response_release(&r);
    cf_aws_free(aws);
    aws = client("missing", "1", 1, 5000, 0);
    assert_int_equal(cf_sts_get_caller_identity(aws, &id), CF_ENOTFOUND);
    assert_non_null(strstr(cf_error_last()->msg, "Account"));
    cf_aws_free(aws);
    aws = client("wrongtype", "1", 1, 5000, 0);
    /* NextToken is a number, not a string: pagination stops instead of looping */
    assert_int_equal(cf_aws_json_paginate(aws, &cf_aws_svc_ssm, "DescribeParameters", NULL,
                                          "NextToken", "NextToken", 0, one_page, &pages),
                     0);
    assert_int_equal(pages, 1);
    cf_aws_free(aws);
}

static void test_expired_token_refreshes(void **state)
{
    cf_aws *aws = client("expired", "1", 1, 5000, 0);
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    (void)state;
    /* one attempt allowed, yet it succeeds: a credential refresh is not a retry */
    assert_int_equal(sts_call(aws, &r), 0);
    cf_aws_response_release(&r);
    cf_aws_free(aws);
}

static int run_instance(cf_aws *aws, const char *token, char *iid, size_t cap)
{
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    int rc;
    cf_aws_params_add(&p, "ImageId", "ami-12345678");
    cf_aws_params_add(&p, "MinCount", "1");
    cf_aws_params_add(&p, "MaxCount", "1");
    if (token)
        cf_aws_params_add(&p, "ClientToken", token);
    rc = cf_aws_query(aws, &cf_aws_svc_ec2, "RunInstances", &p, &r);
    if (!rc)
        rc =
            cf_xml_text_copy(xmlDocGetRootElement(r.xml), "instancesSet/item/instanceId", iid, cap);
    cf_aws_response_release(&r);
    cf_aws_params_release(&p);
    return rc;
}

static void test_client_token_not_duplicated(void **state)
{
    char tok[CF_AWS_TOKEN_MAX], a[64], b[64];
    cf_aws *aws;
    (void)state;
    cf_aws_client_token("case-7/collect_disk/worker", tok);
    aws = client("token", "1", 5, 5000, 0);
    /* the first answer is lost after the server created the instance; the retry carries the
     * same token, so the server returns the same instance */
    assert_int_equal(run_instance(aws, tok, a, sizeof(a)), 0);
    cf_aws_free(aws);
    /* a process restart: a new client, the same seed, the same token */
    cf_aws_client_token("case-7/collect_disk/worker", tok);
    aws = client("token", "1", 5, 5000, 0);
    assert_int_equal(run_instance(aws, tok, b, sizeof(b)), 0);
    cf_aws_free(aws);
    assert_string_equal(a, b);
    assert_int_equal(stat_of("token", "1", "created"), 1);
    /* control: without a token the lost answer costs a duplicate */
    aws = client("token", "2", 5, 5000, 0);
    assert_int_equal(run_instance(aws, NULL, a, sizeof(a)), 0);
    cf_aws_free(aws);
    assert_int_equal(stat_of("token", "2", "created"), 2);
}

static void test_user_agent(void **state)
{
    cf_aws *aws = client("throttle", "ua", 5, 5000, 0);
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    json_t *j;
    (void)state;
    assert_int_equal(sts_call(aws, &r), 0);
    j = stats("throttle", "ua");
    assert_true(strncmp(cf_json_str(j, "last_user_agent"), "casefile/", 9) == 0);
    assert_true(json_is_true(json_object_get(j, "last_signed")));
    json_decref(j);
    cf_aws_response_release(&r);
    cf_aws_free(aws);
}

static void test_unsigned_client(void **state)
{
    cf_aws_options o = CF_AWS_OPTIONS_INIT;
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    cf_aws *aws = NULL;
    char url[512];
    (void)state;
    clean_env(); /* no credentials anywhere: an unsigned client does not need any */
    snprintf(url, sizeof(url), "%s/reset/unsigned", base);
    o.endpoint_url = url;
    o.no_credentials = 1;
    o.base_delay_ms = 10;
    assert_int_equal(cf_aws_new(&aws, &o), 0);
    assert_int_equal(sts_call(aws, &r), 0);
    assert_int_equal(r.attempts, 2);
    {
        json_t *j = stats("reset", "unsigned");
        assert_true(json_is_false(json_object_get(j, "last_signed")));
        json_decref(j);
    }
    cf_aws_response_release(&r);
    cf_aws_free(aws);
}

static void test_proxy_from_environment(void **state)
{
    cf_aws_options o = CF_AWS_OPTIONS_INIT;
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    cf_aws *aws = NULL;
    int rc;
    (void)state;
    /* an endpoint that does not resolve: only the proxy can answer */
    o.endpoint_url = "http://sts.proxied.invalid";
    o.max_attempts = 1;
    setenv("http_proxy", base, 1);
    unsetenv("no_proxy");
    unsetenv("NO_PROXY");
    assert_int_equal(cf_aws_new(&aws, &o), 0);
    rc = sts_call(aws, &r);
    unsetenv("http_proxy");
    setenv("no_proxy", "127.0.0.1,localhost", 1);
    assert_int_equal(rc, 0);
    assert_int_equal(stat_of("proxy", "via", "requests"), 1);
    cf_aws_response_release(&r);
    cf_aws_free(aws);
}

static void test_tls_verified(void **state)
{
    const char *tls = getenv("CF_FAULT_TLS_URL");
    char url[512];
    cf_aws_options o = CF_AWS_OPTIONS_INIT;
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    cf_aws *aws = NULL;
    (void)state;
    assert_non_null(tls);
    snprintf(url, sizeof(url), "%s/throttle/tls", tls);
    o.endpoint_url = url;
    o.max_attempts = 1;
    /* a self-signed certificate is refused... */
    assert_int_equal(cf_aws_new(&aws, &o), 0);
    assert_int_equal(sts_call(aws, &r), CF_ENET);
    assert_int_equal(stat_of("throttle", "tls", "requests"), 0);
    cf_aws_response_release(&r);
    cf_aws_free(aws);
    /* ...unless AWS_CA_BUNDLE trusts it */
    setenv("AWS_CA_BUNDLE", getenv("CF_FAULT_TLS_CA"), 1);
    o.max_attempts = 5;
    assert_int_equal(cf_aws_new(&aws, &o), 0);
    assert_int_equal(sts_call(aws, &r), 0); /* throttled twice, then OK, over TLS */
    cf_aws_response_release(&r);
    cf_aws_free(aws);
    unsetenv("AWS_CA_BUNDLE");
}

/* ---- HTTP credential sources -------------------------------------------------------------- */

static void get_creds(cf_aws_credentials *c, int want_rc)
{
    cf_aws *aws = NULL;
    assert_int_equal(cf_aws_new(&aws, NULL), 0);
    assert_int_equal(cf_aws_get_credentials(aws, c), want_rc);
    cf_aws_free(aws);
}

static void test_creds_container(void **state)
{
    char url[512], tokfile[512];
    cf_aws_credentials c;
    (void)state;
    snprintf(url, sizeof(url), "%s/container/full?exp=3600", base);
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer test-container-token", 1);
    get_creds(&c, 0);
    assert_string_equal(c.source, "container");
    assert_string_equal(c.access_key_id, "ASIAFAKE3600");
    assert_string_equal(c.session_token, "faketoken");
    assert_true(c.expiration_ns > cf_time_now());
    /* the token from a file wins (EKS Pod Identity style) */
    snprintf(tokfile, sizeof(tokfile), "%s/token", tmpdir);
    cf_fs_write_atomic(tokfile, "Bearer test-container-token\n", 28);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer wrong", 1);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", tokfile, 1);
    get_creds(&c, 0);
    unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    /* a wrong token is refused, and the chain says so */
    get_creds(&c, CF_EDENIED);
    assert_non_null(strstr(cf_error_last()->msg, "HTTP 401"));
    /* FULL_URI must be loopback/ECS/EKS or https */
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://169.254.170.20.example/x", 1);
    get_creds(&c, CF_EINVAL);
    unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    /* RELATIVE_URI (ECS): the host is fixed; the test hook points it at the fake */
    setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/container/rel?exp=3600", 1);
    setenv("CF_AWS_TEST_CONTAINER_HOST", base, 1);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer test-container-token", 1);
    get_creds(&c, 0);
    assert_string_equal(c.source, "container");
    assert_int_equal(stat_of("container", "rel", "requests"), 1);
}

static void test_creds_imds_v2(void **state)
{
    char url[512];
    cf_aws_credentials c;
    (void)state;
    snprintf(url, sizeof(url), "%s/imds/1", base);
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", url, 1);
    unsetenv("AWS_EC2_METADATA_DISABLED");
    get_creds(&c, 0);
    assert_string_equal(c.source, "imds");
    assert_string_equal(c.access_key_id, "ASIAFAKE7200");
    /* token PUT, role list GET, credentials GET */
    assert_int_equal(stat_of("imds", "1", "requests"), 3);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    get_creds(&c, CF_ENOTFOUND);
}

static void test_creds_refresh_before_expiry(void **state)
{
    char url[512];
    cf_aws *aws = NULL;
    cf_aws_credentials c;
    (void)state;
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer test-container-token", 1);
    /* expiring in 4 minutes: inside the 5-minute window, so every use fetches new ones */
    snprintf(url, sizeof(url), "%s/container/soon?exp=240", base);
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
    assert_int_equal(cf_aws_new(&aws, NULL), 0);
    assert_int_equal(cf_aws_get_credentials(aws, &c), 0);
    assert_int_equal(cf_aws_get_credentials(aws, &c), 0);
    assert_int_equal(stat_of("container", "soon", "requests"), 2);
    cf_aws_free(aws);
    /* valid for an hour: cached */
    snprintf(url, sizeof(url), "%s/container/later?exp=3600", base);
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
    assert_int_equal(cf_aws_new(&aws, NULL), 0);
    assert_int_equal(cf_aws_get_credentials(aws, &c), 0);
    assert_int_equal(cf_aws_get_credentials(aws, &c), 0);
    assert_int_equal(stat_of("container", "later", "requests"), 1);
    /* reset forces a new fetch */
    cf_aws_reset_credentials(aws);
    assert_int_equal(cf_aws_get_credentials(aws, &c), 0);
    assert_int_equal(stat_of("container", "later", "requests"), 2);
    cf_aws_free(aws);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_retry_throttling_then_success, with_keys),
        cmocka_unit_test_setup(test_retry_json_throttling_header, with_keys),
        cmocka_unit_test_setup(test_retry_503_then_success, with_keys),
        cmocka_unit_test_setup(test_retry_gives_up, with_keys),
        cmocka_unit_test_setup(test_no_retry_on_client_errors, with_keys),
        cmocka_unit_test_setup(test_retry_connection_reset, with_keys),
        cmocka_unit_test_setup(test_retry_slow_body, with_keys),
        cmocka_unit_test_setup(test_endless_body_times_out, with_keys),
        cmocka_unit_test_setup(test_huge_body_capped, with_keys),
        cmocka_unit_test_setup(test_expired_token_refreshes, with_keys),
        cmocka_unit_test_setup(test_hostile_success_bodies, with_keys),
        cmocka_unit_test_setup(test_client_token_not_duplicated, with_keys),
        cmocka_unit_test_setup(test_user_agent, with_keys),
        cmocka_unit_test_setup(test_unsigned_client, with_keys),
        cmocka_unit_test_setup(test_proxy_from_environment, with_keys),
        cmocka_unit_test_setup(test_tls_verified, with_keys),
        cmocka_unit_test_setup(test_creds_container, without_keys),
        cmocka_unit_test_setup(test_creds_imds_v2, without_keys),
        cmocka_unit_test_setup(test_creds_refresh_before_expiry, without_keys),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
