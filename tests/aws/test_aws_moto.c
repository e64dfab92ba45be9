/* The client core against moto (run under tests/lib/with-moto): S3 and STS typed calls, every
 * protocol helper, pagination, DryRun, assume-role profiles, two threads on one client. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws/cf_aws.h"
#include "aws/s3.h"
#include "aws/sts.h"
#include "common/cf_fs.h"
#include "common/cf_hash.h"
#include "common/cf_json.h"

static cf_aws *aws;
static char tmpdir[256];

static int setup(void **state)
{
    (void)state;
    if (!getenv("CF_MOTO_URL")) {
        fprintf(stderr, "run under tests/lib/with-moto\n");
        return -1;
    }
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/cf-aws-moto-XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    return cf_aws_new(&aws, NULL);
}

static int teardown(void **state)
{
    (void)state;
    cf_aws_free(aws);
    cf_fs_remove_tree(tmpdir);
    return 0;
}

#define OK(expr)                                                                                   \
    do {                                                                                           \
        int rc_ = (expr);                                                                          \
        if (rc_)                                                                                   \
            fail_msg("%s -> %d: %s", #expr, rc_, cf_error_last()->msg);                            \
    } while (0)

/* ---- S3 ------------------------------------------------------------------------------------- */

static void test_s3_put_get_head_delete(void **state)
{
    cf_s3_object_info info;
    cf_buf b = CF_BUF_INIT(1 << 20);
    static const char data[] = "evidence \x00\x01\xff bytes";
    char path[512];
    (void)state;
    OK(cf_s3_create_bucket(aws, "cf-test-bucket"));
    OK(cf_s3_create_bucket(aws, "cf-test-bucket")); /* already ours: fine */
    OK(cf_s3_put_object(aws, "cf-test-bucket", "cases/c 1/a+b.bin", data, sizeof(data), NULL,
                        &info));
    assert_true(info.etag[0] == '"');
    assert_true(info.request_id[0]);
    OK(cf_s3_head_object(aws, "cf-test-bucket", "cases/c 1/a+b.bin", &info));
    assert_int_equal(info.size, sizeof(data));
    assert_string_equal(info.content_type, "application/octet-stream");
    {
        cf_s3_put_options o = {0};
        o.content_type = "text/plain; charset=utf-8";
        OK(cf_s3_put_object(aws, "cf-test-bucket", "typed.txt", "t", 1, &o, NULL));
        OK(cf_s3_head_object(aws, "cf-test-bucket", "typed.txt", &info));
        assert_string_equal(info.content_type, "text/plain; charset=utf-8");
    }
    OK(cf_s3_get_object(aws, "cf-test-bucket", "cases/c 1/a+b.bin", 1 << 20, &b, &info));
    assert_int_equal(b.len, sizeof(data));
    assert_memory_equal(b.data, data, sizeof(data));
    /* moto keeps the SHA-256 we sent and returns it; the client verified it */
    assert_true(info.checksum_sha256[0]);
    /* size cap */
    cf_buf_reset(&b);
    assert_int_equal(cf_s3_get_object(aws, "cf-test-bucket", "cases/c 1/a+b.bin", 5, &b, NULL),
                     CF_ETOOBIG);
    /* to a file */
    snprintf(path, sizeof(path), "%s/got.bin", tmpdir);
    OK(cf_s3_get_object_file(aws, "cf-test-bucket", "cases/c 1/a+b.bin", path, &info));
    cf_buf_reset(&b);
    OK(cf_fs_read(path, &b));
    assert_memory_equal(b.data, data, sizeof(data));
    OK(cf_s3_delete_object(aws, "cf-test-bucket", "cases/c 1/a+b.bin"));
    assert_int_equal(cf_s3_head_object(aws, "cf-test-bucket", "cases/c 1/a+b.bin", &info),
                     CF_ENOTFOUND);
    assert_int_equal(cf_error_last()->http_status, 404);
    assert_int_equal(cf_s3_get_object(aws, "cf-test-bucket", "nope", 100, &b, NULL), CF_ENOTFOUND);
    assert_string_equal(cf_error_last()->aws_code, "NoSuchKey");
    assert_int_equal(cf_s3_get_object(aws, "no-such-bucket-x", "k", 100, &b, NULL), CF_ENOTFOUND);
    assert_string_equal(cf_error_last()->aws_code, "NoSuchBucket");
    cf_buf_release(&b);
}

static void test_s3_conditional_writes(void **state)
{
    cf_s3_put_options o = {0};
    cf_s3_object_info first, second;
    cf_buf b = CF_BUF_INIT(1 << 20);
    (void)state;
    OK(cf_s3_create_bucket(aws, "cf-cond"));
    o.if_none_match_any = 1;
    OK(cf_s3_put_object(aws, "cf-cond", "malicious-ips.jsonl", "a\n", 2, &o, &first));
    assert_int_equal(cf_s3_put_object(aws, "cf-cond", "malicious-ips.jsonl", "b\n", 2, &o, NULL),
                     CF_EAWS);
    assert_true(cf_aws_error_is("PreconditionFailed"));
    assert_int_equal(cf_error_last()->http_status, 412);
    /* If-Match: replace only the version we read */
    memset(&o, 0, sizeof(o));
    o.if_match = first.etag;
    OK(cf_s3_put_object(aws, "cf-cond", "malicious-ips.jsonl", "a\nc\n", 4, &o, &second));
    assert_int_equal(cf_s3_put_object(aws, "cf-cond", "malicious-ips.jsonl", "a\nd\n", 4, &o, NULL),
                     CF_EAWS); /* first.etag is stale now */
    assert_true(cf_aws_error_is("PreconditionFailed"));
    OK(cf_s3_get_object(aws, "cf-cond", "malicious-ips.jsonl", 100, &b, NULL));
    assert_string_equal(cf_buf_cstr(&b), "a\nc\n");
    cf_buf_release(&b);
}

static int count_keys(void *ctx, const char *key, const cf_s3_object_info *info)
{
    int *n = ctx;
    assert_true(strncmp(key, "list/", 5) == 0);
    assert_int_equal(info->size, 1);
    (*n)++;
    return 0;
}

static void test_s3_list_paginated(void **state)
{
    int n = 0;
    (void)state;
    OK(cf_s3_create_bucket(aws, "cf-list"));
    for (int i = 0; i < 7; i++) {
        char key[32];
        snprintf(key, sizeof(key), "list/%d", i);
        OK(cf_s3_put_object(aws, "cf-list", key, "x", 1, NULL, NULL));
    }
    OK(cf_s3_put_object(aws, "cf-list", "other", "x", 1, NULL, NULL));
    OK(cf_s3_list_objects(aws, "cf-list", "list/", 2, count_keys, &n)); /* 4 pages */
    assert_int_equal(n, 7);
}

static void test_s3_multipart(void **state)
{
    char path[512], got[512], h1[CF_SHA256_HEX_LEN], h2[CF_SHA256_HEX_LEN];
    cf_s3_object_info info;
    FILE *f;
    (void)state;
    snprintf(path, sizeof(path), "%s/big.bin", tmpdir);
    f = fopen(path, "wb");
    assert_non_null(f);
    for (int i = 0; i < 11 * 1024; i++) { /* 11 MiB: parts 5 + 5 + 1 */
        char blk[1024];
        memset(blk, 'a' + i % 26, sizeof(blk));
        fwrite(blk, 1, sizeof(blk), f);
    }
    fclose(f);
    OK(cf_s3_create_bucket(aws, "cf-mpu"));
    OK(cf_s3_upload_multipart(aws, "cf-mpu", "disk/bundle.tar", path, 5 << 20, NULL, &info));
    assert_non_null(strstr(info.etag, "-3")); /* multipart ETag: 3 parts */
    snprintf(got, sizeof(got), "%s/got-big.bin", tmpdir);
    OK(cf_s3_get_object_file(aws, "cf-mpu", "disk/bundle.tar", got, &info));
    OK(cf_sha256_file(path, h1, NULL));
    OK(cf_sha256_file(got, h2, NULL));
    assert_string_equal(h1, h2);
    /* file PutObject too */
    OK(cf_s3_put_object_file(aws, "cf-mpu", "disk/single", path, NULL, &info));
    OK(cf_s3_head_object(aws, "cf-mpu", "disk/single", &info));
    assert_int_equal(info.size, 11 << 20);
    /* part size below the S3 minimum is refused */
    assert_int_equal(cf_s3_upload_multipart(aws, "cf-mpu", "k", path, 1024, NULL, NULL), CF_EINVAL);
}

static size_t sink(char *p, size_t s, size_t n, void *ud)
{
    cf_buf *b = ud;
    cf_buf_add(b, p, s * n);
    return s * n;
}

static long http(const char *method, const char *url, const char *body, cf_buf *out)
{
    CURL *h = curl_easy_init();
    struct curl_slist *hl = curl_slist_append(NULL, "Content-Type: application/octet-stream");
    long status = 0;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
    if (strcmp(method, "PUT") == 0) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PUT");
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        /* as the agent's `curl -T`: not a form (moto would parse a form body away) */
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    }
    if (curl_easy_perform(h) == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    curl_slist_free_all(hl);
    return status;
}

static void test_s3_presigned(void **state)
{
    char *put = NULL, *get = NULL;
    cf_buf b = CF_BUF_INIT(1 << 20);
    (void)state;
    OK(cf_s3_create_bucket(aws, "cf-presign"));
    OK(cf_s3_presign_put(aws, "cf-presign", "cases/c/i/volatile/bundle.tar", 600, &put));
    OK(cf_s3_presign_get(aws, "cf-presign", "cases/c/i/volatile/bundle.tar", 600, &get));
    assert_non_null(strstr(put, "X-Amz-Signature="));
    {
        long st = http("PUT", put, "uploaded by the agent", &b);
        if (st != 200)
            fail_msg("presigned PUT: HTTP %ld: %s", st, cf_buf_cstr(&b));
    }
    cf_buf_reset(&b);
    {
        long st = http("GET", get, NULL, &b);
        if (st != 200)
            fail_msg("presigned GET: HTTP %ld: %s", st, cf_buf_cstr(&b));
    }
    assert_string_equal(cf_buf_cstr(&b), "uploaded by the agent");
    free(put);
    free(get);
    cf_buf_release(&b);
    assert_int_equal(cf_s3_presign_get(aws, "cf-presign", "k", 0, &get), CF_EINVAL);
}

/* ---- STS, assume-role profile ---------------------------------------------------------------- */

static void test_sts_identity_and_assume_role(void **state)
{
    cf_sts_identity id;
    cf_sts_assume_role_result ar;
    (void)state;
    OK(cf_sts_get_caller_identity(aws, &id));
    assert_int_equal(strlen(id.account), 12);
    assert_true(id.arn[0]);
    assert_true(id.request_id[0]);
    OK(cf_sts_assume_role(aws, "arn:aws:iam::123456789012:role/responder", "casefile-test", NULL,
                          900, &ar));
    assert_true(strncmp(ar.credentials.access_key_id, "ASIA", 4) == 0);
    assert_true(ar.credentials.session_token[0]);
    assert_true(ar.credentials.expiration_ns > 0);
    assert_non_null(strstr(ar.assumed_role_arn, "responder/casefile-test"));
}

static void test_creds_assume_role_profile(void **state)
{
    char cfg[512], text[1024];
    cf_aws_options o = CF_AWS_OPTIONS_INIT;
    cf_aws *a = NULL;
    cf_aws_credentials c;
    cf_sts_identity id;
    char *saved_key = strdup(getenv("AWS_ACCESS_KEY_ID"));
    char *saved_secret = strdup(getenv("AWS_SECRET_ACCESS_KEY"));
    char *saved_cfg = strdup(getenv("AWS_CONFIG_FILE"));
    (void)state;
    snprintf(cfg, sizeof(cfg), "%s/config", tmpdir);
    snprintf(text, sizeof(text),
             "[profile responder]\nrole_arn = arn:aws:iam::123456789012:role/ir\n"
             "source_profile = base\nrole_session_name = cf-session\nduration_seconds = 900\n"
             "[profile base]\naws_access_key_id = AKIABASE\naws_secret_access_key = basesecret\n");
    OK(cf_fs_write_atomic(cfg, text, strlen(text)));
    setenv("AWS_CONFIG_FILE", cfg, 1);
    unsetenv("AWS_ACCESS_KEY_ID"); /* the environment would win over the profile */
    unsetenv("AWS_SECRET_ACCESS_KEY");
    o.profile = "responder";
    OK(cf_aws_new(&a, &o));
    OK(cf_aws_get_credentials(a, &c));
    assert_string_equal(c.source, "assume-role");
    assert_true(strncmp(c.access_key_id, "ASIA", 4) == 0);
    assert_true(c.session_token[0]);
    assert_true(c.expiration_ns > 0);
    /* and those credentials work */
    OK(cf_sts_get_caller_identity(a, &id));
    assert_non_null(strstr(id.arn, "assumed-role/ir/cf-session"));
    cf_aws_free(a);
    setenv("AWS_ACCESS_KEY_ID", saved_key, 1);
    setenv("AWS_SECRET_ACCESS_KEY", saved_secret, 1);
    setenv("AWS_CONFIG_FILE", saved_cfg, 1);
    free(saved_key);
    free(saved_secret);
    free(saved_cfg);
}

/* ---- protocols, pagination, dry run ---------------------------------------------------------- */

static int count_iam_users(void *ctx, const cf_aws_response *page)
{
    int *n = ctx;
    xmlNode *it;
    CF_XML_FOREACH(it, cf_xml_path(xmlDocGetRootElement(page->xml), "ListUsersResult/Users"),
                   "member")
    {
        if (strncmp(cf_xml_text(it, "UserName"), "pager-", 6) == 0)
            (*n)++;
    }
    return 0;
}

static void test_query_paginate(void **state)
{
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    int n = 0;
    (void)state;
    for (int i = 0; i < 5; i++) {
        cf_aws_params_release(&p);
        cf_aws_params_addf(&p, "UserName", "pager-%d", i);
        OK(cf_aws_query(aws, &cf_aws_svc_iam, "CreateUser", &p, &r));
        assert_true(r.request_id[0]);
        cf_aws_response_release(&r);
    }
    cf_aws_params_release(&p);
    cf_aws_params_add(&p, "MaxItems", "2");
    OK(cf_aws_query_paginate(aws, &cf_aws_svc_iam, "ListUsers", &p, "Marker", "Marker", 0,
                             count_iam_users, &n));
    assert_int_equal(n, 5);
    cf_aws_params_release(&p);
    /* an error in the query protocol */
    cf_aws_params_add(&p, "RoleName", "nope");
    assert_int_equal(cf_aws_query(aws, &cf_aws_svc_iam, "GetRole", &p, &r), CF_EAWS);
    assert_string_equal(cf_error_last()->aws_code, "NoSuchEntity");
    assert_int_equal(cf_error_last()->http_status, 404);
    cf_aws_response_release(&r);
    cf_aws_params_release(&p);
}

static int count_params(void *ctx, const cf_aws_response *page)
{
    int *n = ctx;
    *n += (int)json_array_size(json_object_get(page->json, "Parameters"));
    return 0;
}

static void test_json_paginate_and_errors(void **state)
{
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    json_t *body;
    int n = 0;
    (void)state;
    for (int i = 0; i < 5; i++) {
        char name[32];
        snprintf(name, sizeof(name), "/cf/p%d", i);
        body = json_pack("{s:s, s:s, s:s}", "Name", name, "Value", "v", "Type", "String");
        OK(cf_aws_json(aws, &cf_aws_svc_ssm, "PutParameter", body, &r));
        assert_true(r.request_id[0]);
        json_decref(body);
        cf_aws_response_release(&r);
    }
    body = json_pack("{s:i}", "MaxResults", 2);
    OK(cf_aws_json_paginate(aws, &cf_aws_svc_ssm, "DescribeParameters", body, "NextToken",
                            "NextToken", 0, count_params, &n));
    assert_int_equal(n, 5);
    assert_null(json_object_get(body, "NextToken")); /* the caller's body is untouched */
    json_decref(body);
    body = json_pack("{s:s}", "Name", "/cf/missing");
    assert_int_equal(cf_aws_json(aws, &cf_aws_svc_ssm, "GetParameter", body, &r), CF_EAWS);
    assert_string_equal(cf_error_last()->aws_code, "ParameterNotFound");
    assert_int_equal(cf_error_last()->http_status, 400);
    json_decref(body);
    cf_aws_response_release(&r);
}

static void test_rest_json_sesv2(void **state)
{
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    cf_aws_request q = {0};
    json_t *body = json_pack("{s:s}", "EmailIdentity", "soc@example.com");
    (void)state;
    q.method = "POST";
    q.path = "/v2/email/identities";
    q.json_body = body;
    OK(cf_aws_rest(aws, &cf_aws_svc_sesv2, &q, &r));
    cf_aws_response_release(&r);
    memset(&q, 0, sizeof(q));
    q.method = "GET";
    q.path = "/v2/email/identities";
    OK(cf_aws_rest(aws, &cf_aws_svc_sesv2, &q, &r));
    assert_non_null(strstr(cf_buf_cstr(&r.body), "soc@example.com"));
    assert_true(json_is_object(r.json));
    cf_aws_response_release(&r);
    json_decref(body);
}

static void test_ec2_dry_run_and_request_id(void **state)
{
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    (void)state;
    cf_aws_params_add(&p, "GroupName", "cf-dry");
    cf_aws_params_add(&p, "GroupDescription", "dry run");
    cf_aws_params_add(&p, "DryRun", "true");
    assert_int_equal(cf_aws_query(aws, &cf_aws_svc_ec2, "CreateSecurityGroup", &p, &r), CF_EAWS);
    assert_true(cf_aws_error_is_dry_run_ok());
    assert_int_equal(cf_error_last()->http_status, 412);
    cf_aws_response_release(&r);
    cf_aws_params_release(&p);
    OK(cf_aws_query(aws, &cf_aws_svc_ec2, "DescribeVpcs", NULL, &r));
    assert_true(r.request_id[0]); /* from the body's requestId */
    assert_non_null(cf_xml_path(xmlDocGetRootElement(r.xml), "vpcSet/item"));
    cf_aws_response_release(&r);
    cf_aws_params_add(&p, "InstanceId.1", "i-00000000000000000");
    assert_int_equal(cf_aws_query(aws, &cf_aws_svc_ec2, "DescribeInstances", &p, &r), CF_EAWS);
    assert_string_equal(cf_error_last()->aws_code, "InvalidInstanceID.NotFound");
    cf_aws_response_release(&r);
    cf_aws_params_release(&p);
}

/* ---- threads ------------------------------------------------------------------------------- */

static void *worker(void *arg)
{
    int *failures = arg;
    for (int i = 0; i < 15; i++) {
        cf_sts_identity id;
        if (cf_sts_get_caller_identity(aws, &id) != 0)
            (*failures)++;
    }
    return NULL;
}

static void test_two_threads_one_client(void **state)
{
    pthread_t t[2];
    int f[2] = {0, 0};
    (void)state;
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, worker, &f[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(f[0] + f[1], 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_s3_put_get_head_delete),
        cmocka_unit_test(test_s3_conditional_writes),
        cmocka_unit_test(test_s3_list_paginated),
        cmocka_unit_test(test_s3_multipart),
        cmocka_unit_test(test_s3_presigned),
        cmocka_unit_test(test_sts_identity_and_assume_role),
        cmocka_unit_test(test_creds_assume_role_profile),
        cmocka_unit_test(test_query_paginate),
        cmocka_unit_test(test_json_paginate_and_errors),
        cmocka_unit_test(test_rest_json_sesv2),
        cmocka_unit_test(test_ec2_dry_run_and_request_id),
        cmocka_unit_test(test_two_threads_one_client),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
