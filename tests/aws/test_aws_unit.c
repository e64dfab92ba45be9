/* Unit tests of the AWS client core: SigV4 (AWS test suite, S3 presign example), encoding,
 * tokens, XML helpers, error bodies, hostile input, INI, endpoint/region rules, static
 * credential sources. No network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws/cf_aws.h"
#include "aws/aws_internal.h"
#include "aws/cf_ini.h"
#include "aws/cf_sigv4.h"
#include "common/cf_fs.h"
#include "common/cf_json.h"
#include "common/cf_hash.h"
#include "common/cf_time.h"

static char tmpdir[256];

static const char *fixture(const char *name)
{
    static char path[1024];
    const char *src = getenv("CF_SOURCE_DIR");
    snprintf(path, sizeof(path), "%s/tests/aws/fixtures/%s", src ? src : ".", name);
    return path;
}

static void write_file(const char *path, const char *text)
{
    assert_int_equal(cf_fs_write_atomic(path, text, strlen(text)), 0);
}

/* A clean AWS environment for each test: no keys, no profile, empty config files. */
static int setup_env(void **state)
{
    char p[512];
    static const char *const vars[] = {"AWS_ACCESS_KEY_ID",
                                       "AWS_SECRET_ACCESS_KEY",
                                       "AWS_SESSION_TOKEN",
                                       "AWS_PROFILE",
                                       "AWS_DEFAULT_PROFILE",
                                       "AWS_REGION",
                                       "AWS_DEFAULT_REGION",
                                       "AWS_ENDPOINT_URL",
                                       "AWS_ENDPOINT_URL_EC2",
                                       "AWS_ENDPOINT_URL_S3",
                                       "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2",
                                       "AWS_ENDPOINT_URL_SESV2",
                                       "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
                                       "AWS_MAX_ATTEMPTS",
                                       "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                                       "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                                       "AWS_CONTAINER_AUTHORIZATION_TOKEN",
                                       "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
                                       NULL};
    (void)state;
    for (int i = 0; vars[i]; i++)
        unsetenv(vars[i]);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/cf-aws-unit-XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    snprintf(p, sizeof(p), "%s/config", tmpdir);
    write_file(p, "");
    setenv("AWS_CONFIG_FILE", p, 1);
    snprintf(p, sizeof(p), "%s/credentials", tmpdir);
    write_file(p, "");
    setenv("AWS_SHARED_CREDENTIALS_FILE", p, 1);
    return 0;
}

static int teardown_env(void **state)
{
    (void)state;
    cf_fs_remove_tree(tmpdir);
    return 0;
}

static void set_config(const char *text)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/config", tmpdir);
    write_file(p, text);
}

static void set_credentials(const char *text)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/credentials", tmpdir);
    write_file(p, text);
}

/* ---- SigV4 ---------------------------------------------------------------------------------- */

static void test_sigv4_suite(void **state)
{
    json_t *doc = NULL, *cases, *c;
    size_t i;
    int64_t t;
    (void)state;
    assert_int_equal(cf_json_load_file(fixture("sigv4_suite.json"), 1 << 20, &doc), 0);
    assert_int_equal(cf_time_parse(cf_json_str(doc, "time"), &t), 0);
    cases = json_object_get(doc, "cases");
    assert_true(json_array_size(cases) >= 20);
    json_array_foreach(cases, i, c)
    {
        cf_aws_params h = CF_AWS_PARAMS_INIT;
        cf_buf q = CF_BUF_INIT(1 << 16), authz = CF_BUF_INIT(1 << 16);
        cf_sigv4_request r = {0};
        json_t *pair;
        size_t k;
        char hash[CF_SHA256_HEX_LEN];
        const char *body = cf_json_str(c, "body");
        json_array_foreach(json_object_get(c, "query"), k, pair)
        {
            const char *n = json_string_value(json_array_get(pair, 0));
            const char *v = json_string_value(json_array_get(pair, 1));
            if (q.len)
                cf_buf_addch(&q, '&');
            cf_aws_uri_encode(&q, n, strlen(n), 0);
            cf_buf_addch(&q, '=');
            cf_aws_uri_encode(&q, v, strlen(v), 0);
        }
        json_array_foreach(json_object_get(c, "headers"), k, pair)
        {
            assert_int_equal(cf_aws_params_add(&h, json_string_value(json_array_get(pair, 0)),
                                               json_string_value(json_array_get(pair, 1))),
                             0);
        }
        cf_sha256_hex(body, strlen(body), hash);
        r.method = cf_json_str(c, "method");
        r.path = cf_json_str(c, "path");
        r.query = cf_buf_cstr(&q);
        r.headers = &h;
        r.payload_hash = hash;
        r.region = cf_json_str(doc, "region");
        r.service = cf_json_str(doc, "service");
        r.access_key_id = cf_json_str(doc, "access_key_id");
        r.secret_access_key = cf_json_str(doc, "secret_access_key");
        r.time_ns = t;
        assert_int_equal(cf_sigv4_authorization(&r, &authz), 0);
        if (strcmp(cf_buf_cstr(&authz), cf_json_str(c, "authorization")) != 0)
            fail_msg("%s: got %s", cf_json_str(c, "name"), cf_buf_cstr(&authz));
        cf_buf_release(&q);
        cf_buf_release(&authz);
        cf_aws_params_release(&h);
    }
    json_decref(doc);
}

static void test_sigv4_s3_presign_example(void **state)
{
    json_t *doc = NULL;
    cf_aws_params h = CF_AWS_PARAMS_INIT;
    cf_buf q = CF_BUF_INIT(1 << 16), url = CF_BUF_INIT(1 << 16);
    cf_sigv4_request r = {0};
    int64_t t;
    (void)state;
    assert_int_equal(cf_json_load_file(fixture("s3_presign_example.json"), 1 << 20, &doc), 0);
    assert_int_equal(cf_time_parse(cf_json_str(doc, "time"), &t), 0);
    cf_aws_params_add(&h, "host", cf_json_str(doc, "host"));
    r.method = cf_json_str(doc, "method");
    r.path = cf_json_str(doc, "path");
    r.headers = &h;
    r.payload_hash = CF_SIGV4_UNSIGNED_PAYLOAD;
    r.region = cf_json_str(doc, "region");
    r.service = "s3";
    r.access_key_id = cf_json_str(doc, "access_key_id");
    r.secret_access_key = cf_json_str(doc, "secret_access_key");
    r.time_ns = t;
    r.s3 = 1;
    assert_int_equal(
        cf_sigv4_presign_query(&r, (int)json_integer_value(json_object_get(doc, "expires")), &q),
        0);
    cf_buf_addf(&url, "https://%s%s?%s", cf_json_str(doc, "host"), r.path, cf_buf_cstr(&q));
    assert_string_equal(cf_buf_cstr(&url), cf_json_str(doc, "url"));
    /* lifetime bounds */
    assert_int_equal(cf_sigv4_presign_query(&r, 0, &q), CF_EINVAL);
    assert_int_equal(cf_sigv4_presign_query(&r, 604801, &q), CF_EINVAL);
    cf_buf_release(&q);
    cf_buf_release(&url);
    cf_aws_params_release(&h);
    json_decref(doc);
}

static void test_sigv4_normalize_path(void **state)
{
    cf_aws_params h = CF_AWS_PARAMS_INIT;
    cf_buf a = CF_BUF_INIT(1 << 16);
    cf_sigv4_request r = {0};
    (void)state;
    cf_aws_params_add(&h, "host", "example.amazonaws.com");
    r.method = "GET";
    r.path = "/foo/bar/../..//./baz/%20x/";
    r.headers = &h;
    r.payload_hash = "x";
    r.region = "us-east-1";
    r.service = "service";
    assert_int_equal(cf_sigv4_canonical_request(&r, &a), 0);
    /* dot segments removed, empty segments collapsed, '%' encoded again (non-S3) */
    assert_non_null(strstr(cf_buf_cstr(&a), "GET\n/baz/%2520x/\n"));
    cf_buf_reset(&a);
    r.s3 = 1; /* S3: path exactly as sent */
    assert_int_equal(cf_sigv4_canonical_request(&r, &a), 0);
    assert_non_null(strstr(cf_buf_cstr(&a), "GET\n/foo/bar/../..//./baz/%20x/\n"));
    cf_buf_release(&a);
    cf_aws_params_release(&h);
}

/* ---- encoding, params, tokens --------------------------------------------------------------- */

static void test_aws_uri_encode(void **state)
{
    cf_buf b = CF_BUF_INIT(1024);
    (void)state;
    assert_int_equal(cf_aws_uri_encode(&b, "a b/c~d+e=\xe1\x88\xb4", 13, 0), 0);
    assert_string_equal(cf_buf_cstr(&b), "a%20b%2Fc~d%2Be%3D%E1%88%B4");
    cf_buf_reset(&b);
    assert_int_equal(cf_aws_uri_encode(&b, "x/y z", 5, 1), 0);
    assert_string_equal(cf_buf_cstr(&b), "x/y%20z");
    cf_buf_release(&b);
}

static void test_aws_params(void **state)
{
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    (void)state;
    assert_int_equal(cf_aws_params_add(&p, "A", "1"), 0);
    assert_int_equal(cf_aws_params_addf(&p, "B", "%d", 42), 0);
    assert_int_equal(cf_aws_params_set(&p, "A", "2"), 0);
    assert_int_equal(cf_aws_params_set(&p, "C", "3"), 0);
    assert_string_equal(cf_aws_params_get(&p, "A"), "2");
    assert_string_equal(cf_aws_params_get(&p, "B"), "42");
    assert_null(cf_aws_params_get(&p, "D"));
    assert_int_equal(p.len, 3);
    assert_int_equal(cf_aws_params_add(&p, "E", NULL), CF_EINVAL);
    cf_aws_params_release(&p);
    assert_int_equal(p.len, 0);
    cf_aws_params_release(&p); /* twice is fine */
}

static void test_aws_client_token_stable(void **state)
{
    char a[CF_AWS_TOKEN_MAX], b[CF_AWS_TOKEN_MAX], c[CF_AWS_TOKEN_MAX], u[CF_AWS_TOKEN_MAX];
    (void)state;
    cf_aws_client_token("case-1/snapshot/vol-1", a);
    cf_aws_client_token("case-1/snapshot/vol-1", b);
    cf_aws_client_token("case-1/snapshot/vol-2", c);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    assert_int_equal(strlen(a), 32);
    assert_string_equal(a, "976f18658ce2c9a40ff4c258ae75dbd5");
    /* pinned: a token must never change between versions (a restart after an upgrade) */
    cf_aws_client_token("", c);
    assert_int_equal(strlen(c), 32);
    cf_aws_client_token_uuid("case-1/snapshot/vol-1", u);
    assert_int_equal(strlen(u), 36);
    assert_int_equal(u[8], '-');
    assert_int_equal(u[14], '5');
    assert_memory_equal(u, a, 8);
}

/* ---- XML ------------------------------------------------------------------------------------ */

static void test_aws_xml_helpers(void **state)
{
    static const char x[] =
        "<?xml version=\"1.0\"?><DescribeInstancesResponse xmlns=\"http://ec2.amazonaws.com/doc/"
        "2016-11-15/\"><requestId>r-1</requestId><reservationSet><item><instancesSet><item>"
        "<instanceId>i-1</instanceId><n>42</n><b>true</b><e></e></item><item><instanceId>i-2"
        "</instanceId><n>x</n><b>maybe</b></item></instancesSet></item></reservationSet>"
        "<t><![CDATA[a&b]]></t><amp>a&amp;b</amp></DescribeInstancesResponse>";
    xmlDoc *doc = NULL;
    xmlNode *root, *it;
    char buf[8];
    int64_t n;
    int b, count = 0;
    (void)state;
    assert_int_equal(cf_xml_parse(x, sizeof(x) - 1, &doc), 0);
    root = xmlDocGetRootElement(doc);
    assert_string_equal(cf_xml_text(root, "requestId"), "r-1");
    CF_XML_FOREACH(it, cf_xml_path(root, "reservationSet/item/instancesSet"), "item")
    count++;
    assert_int_equal(count, 2);
    it = cf_xml_path(root, "reservationSet/item/instancesSet/item");
    assert_string_equal(cf_xml_text(it, "instanceId"), "i-1");
    assert_int_equal(cf_xml_int64(it, "n", &n), 0);
    assert_int_equal(n, 42);
    assert_int_equal(cf_xml_bool(it, "b", &b), 0);
    assert_int_equal(b, 1);
    assert_string_equal(cf_xml_text(it, "e"), "");
    assert_null(cf_xml_text(it, "missing"));
    assert_null(cf_xml_text(root, "reservationSet")); /* has element children */
    assert_int_equal(cf_xml_text_copy(it, "instanceId", buf, sizeof(buf)), 0);
    assert_int_equal(cf_xml_text_copy(root, "requestId", buf, 3), CF_ETOOBIG);
    assert_int_equal(cf_xml_text_copy(root, "nope", buf, sizeof(buf)), CF_ENOTFOUND);
    it = cf_xml_next(it, "item");
    assert_int_equal(cf_xml_int64(it, "n", &n), CF_EPARSE);
    assert_int_equal(cf_xml_bool(it, "b", &b), CF_EPARSE);
    assert_string_equal(cf_xml_text(root, "t"), "a&b");
    assert_string_equal(cf_xml_text(root, "amp"), "a&b");
    assert_null(cf_xml_child(NULL, "x"));
    assert_null(cf_xml_path(NULL, "x"));
    xmlFreeDoc(doc);
}

static void test_aws_xml_hostile(void **state)
{
    static const char bomb[] =
        "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 "
        "\"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\"><!ENTITY lol3 "
        "\"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]><a>&lol3;</a>";
    static const char xxe[] = "<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY x SYSTEM "
                              "\"file:///etc/passwd\">]><a>&x;</a>";
    static const char trunc[] = "<Response><Errors><Error><Code>Thr";
    xmlDoc *doc = NULL;
    char *deep;
    size_t n = 0;
    (void)state;
    assert_int_equal(cf_xml_parse(bomb, sizeof(bomb) - 1, &doc), CF_EPARSE);
    assert_null(doc);
    assert_int_equal(cf_xml_parse(xxe, sizeof(xxe) - 1, &doc), CF_EPARSE);
    assert_int_equal(cf_xml_parse(trunc, sizeof(trunc) - 1, &doc), CF_EPARSE);
    assert_int_equal(cf_xml_parse("", 0, &doc), CF_EPARSE);
    assert_int_equal(cf_xml_parse("not xml", 7, &doc), CF_EPARSE);
    assert_int_equal(cf_xml_parse("<a>\0</a>", 8, &doc), CF_EPARSE);
    /* 100000 nested elements: libxml2's depth limit refuses it, no stack overflow */
    deep = malloc(100000 * 7 + 1);
    assert_non_null(deep);
    for (int i = 0; i < 100000; i++) {
        memcpy(deep + n, "<a>", 3);
        n += 3;
    }
    for (int i = 0; i < 100000; i++) {
        memcpy(deep + n, "</a>", 4);
        n += 4;
    }
    assert_int_equal(cf_xml_parse(deep, n, &doc), CF_EPARSE);
    free(deep);
}

/* ---- errors --------------------------------------------------------------------------------- */

static void test_aws_error_shapes(void **state)
{
    static const char ec2[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>"
        "InvalidInstanceID.NotFound</Code><Message>The instance ID 'i-1' does not exist</Message>"
        "</Error></Errors><RequestID>ec2-req-1</RequestID></Response>";
    static const char query[] =
        "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender"
        "</Type><Code>NoSuchEntity</Code><Message>no role</Message></Error><RequestId>q-1"
        "</RequestId></ErrorResponse>";
    static const char s3[] = "<Error><Code>NoSuchKey</Code><Message>The specified key does not "
                             "exist.</Message><Key>a</Key><RequestId>s3-1</RequestId></Error>";
    static const char json[] =
        "{\"__type\":\"com.amazonaws.ssm#InvalidInstanceId\",\"message\":\"bad\\ninstance\"}";
    const cf_error *e;
    (void)state;
    assert_int_equal(cf_aws_error_from_response(400, ec2, sizeof(ec2) - 1, NULL, NULL), CF_EAWS);
    e = cf_error_last();
    assert_string_equal(e->aws_code, "InvalidInstanceID.NotFound");
    assert_string_equal(e->request_id, "ec2-req-1");
    assert_int_equal(e->http_status, 400);
    assert_non_null(strstr(e->msg, "does not exist"));
    assert_true(cf_aws_error_is("InvalidInstanceID.NotFound"));

    assert_int_equal(cf_aws_error_from_response(404, query, sizeof(query) - 1, NULL, NULL),
                     CF_EAWS);
    assert_string_equal(cf_error_last()->aws_code, "NoSuchEntity");
    assert_string_equal(cf_error_last()->request_id, "q-1");

    {
        static const char wrapped[] = "<ErrorResponse><Errors><Error><Code>AuthFailure</Code>"
                                      "<Message>m</Message></Error></Errors></ErrorResponse>";
        assert_int_equal(cf_aws_error_from_response(401, wrapped, sizeof(wrapped) - 1, NULL, NULL),
                         CF_EAWS);
        assert_string_equal(cf_error_last()->aws_code, "AuthFailure");
    }
    assert_int_equal(cf_aws_error_from_response(404, s3, sizeof(s3) - 1, NULL, "hdr-id"), CF_EAWS);
    assert_string_equal(cf_error_last()->aws_code, "NoSuchKey");
    assert_string_equal(cf_error_last()->request_id, "hdr-id"); /* header wins */

    assert_int_equal(cf_aws_error_from_response(400, json, sizeof(json) - 1, NULL, "j-1"), CF_EAWS);
    e = cf_error_last();
    assert_string_equal(e->aws_code, "InvalidInstanceId");
    assert_null(strchr(e->msg, '\n')); /* control characters never reach the message */

    /* x-amzn-ErrorType: prefix and :suffix stripped, and it beats the body */
    assert_int_equal(cf_aws_error_from_response(
                         400, "{}", 2, "aws.ns#ThrottlingException:http://internal/x", NULL),
                     CF_EAWS);
    assert_string_equal(cf_error_last()->aws_code, "ThrottlingException");

    /* EC2 dry run and access denied */
    {
        static const char dry[] = "<Response><Errors><Error><Code>DryRunOperation</Code>"
                                  "<Message>Request would have succeeded</Message></Error>"
                                  "</Errors><RequestID>d</RequestID></Response>";
        static const char denied[] = "<Response><Errors><Error><Code>UnauthorizedOperation"
                                     "</Code><Message>no</Message></Error></Errors></Response>";
        assert_int_equal(cf_aws_error_from_response(412, dry, sizeof(dry) - 1, NULL, NULL),
                         CF_EAWS);
        assert_true(cf_aws_error_is_dry_run_ok());
        assert_int_equal(cf_aws_error_from_response(403, denied, sizeof(denied) - 1, NULL, NULL),
                         CF_EDENIED);
        assert_false(cf_aws_error_is_dry_run_ok());
    }
    /* empty, garbage, wrong types, truncated: a code from the status, never a crash */
    assert_int_equal(cf_aws_error_from_response(404, NULL, 0, NULL, NULL), CF_EAWS);
    assert_string_equal(cf_error_last()->aws_code, "NotFound");
    assert_int_equal(cf_aws_error_from_response(418, "\x01\x02garbage", 9, NULL, NULL), CF_EAWS);
    assert_string_equal(cf_error_last()->aws_code, "HTTP418");
    assert_int_equal(
        cf_aws_error_from_response(400, "{\"__type\":42,\"message\":[1]}", 28, NULL, NULL),
        CF_EAWS);
    assert_string_equal(cf_error_last()->aws_code, "BadRequest");
    assert_int_equal(cf_aws_error_from_response(503, "<Error><Code>Slow", 17, NULL, NULL), CF_EAWS);
    assert_string_equal(cf_error_last()->aws_code, "ServiceUnavailable");
}

static void test_aws_error_retryable(void **state)
{
    (void)state;
    assert_true(cf_aws_error_retryable(400, "Throttling"));
    assert_true(cf_aws_error_retryable(400, "ThrottlingException"));
    assert_true(cf_aws_error_retryable(503, "RequestLimitExceeded"));
    assert_true(cf_aws_error_retryable(503, "SlowDown"));
    assert_true(cf_aws_error_retryable(400, "TooManyRequestsException"));
    assert_true(cf_aws_error_retryable(400, "RequestThrottledException"));
    assert_true(cf_aws_error_retryable(500, "Whatever"));
    assert_true(cf_aws_error_retryable(502, NULL));
    assert_true(cf_aws_error_retryable(504, ""));
    assert_true(cf_aws_error_retryable(429, ""));
    assert_false(cf_aws_error_retryable(400, "ValidationException"));
    assert_false(cf_aws_error_retryable(403, "AccessDenied"));
    assert_false(cf_aws_error_retryable(404, "NoSuchKey"));
}

/* ---- INI ------------------------------------------------------------------------------------ */

static void test_aws_ini_parse(void **state)
{
    static const char t[] = "# comment\n; other\n[default]\nregion = eu-west-1\n"
                            "REGION2=x\n[profile   dev]\nrole_arn = arn:aws:iam::1:role/r\n"
                            "s3 =\n  endpoint_url = http://localhost:1\n  addressing_style = path\n"
                            "after = y\n[services local]\nec2 =\n endpoint_url = http://e\n"
                            "[default]\nregion = us-west-2\n";
    cf_ini *ini = NULL;
    (void)state;
    assert_int_equal(cf_ini_parse(t, sizeof(t) - 1, &ini), 0);
    assert_string_equal(cf_ini_get(ini, "default", "region"), "us-west-2"); /* last wins */
    assert_string_equal(cf_ini_get(ini, "default", "region2"), "x");        /* keys: any case */
    assert_string_equal(cf_ini_get(ini, "profile dev", "role_arn"), "arn:aws:iam::1:role/r");
    assert_string_equal(cf_ini_get_sub(ini, "profile dev", "s3", "endpoint_url"),
                        "http://localhost:1");
    assert_string_equal(cf_ini_get(ini, "profile dev", "after"), "y");
    assert_null(cf_ini_get(ini, "profile dev", "endpoint_url"));
    assert_string_equal(cf_ini_get_sub(ini, "services local", "ec2", "endpoint_url"), "http://e");
    assert_true(cf_ini_has_section(ini, "profile dev"));
    assert_false(cf_ini_has_section(ini, "profile nope"));
    cf_ini_free(ini);
}

static void test_aws_ini_hostile(void **state)
{
    cf_ini *ini = NULL;
    char *big;
    (void)state;
    assert_int_equal(cf_ini_parse("key = value\n", 12, &ini), CF_EPARSE); /* no section */
    assert_int_equal(cf_ini_parse("[default\n", 9, &ini), CF_EPARSE);
    assert_int_equal(cf_ini_parse("[d]\nnovalue\n", 12, &ini), CF_EPARSE);
    assert_int_equal(cf_ini_parse("[d]\n = v\n", 9, &ini), CF_EPARSE);
    assert_int_equal(cf_ini_parse("[d]\na = \0b\n", 11, &ini), CF_EPARSE);
    assert_null(ini);
    big = malloc(CF_INI_MAX_LINE + 20);
    assert_non_null(big);
    memcpy(big, "[d]\na=", 6);
    memset(big + 6, 'x', CF_INI_MAX_LINE + 10);
    assert_int_equal(cf_ini_parse(big, CF_INI_MAX_LINE + 16, &ini), CF_ETOOBIG);
    free(big);
    big = malloc(CF_INI_MAX_BYTES + 1);
    assert_non_null(big);
    memset(big, '\n', CF_INI_MAX_BYTES + 1);
    assert_int_equal(cf_ini_parse(big, CF_INI_MAX_BYTES + 1, &ini), CF_ETOOBIG);
    free(big);
    /* too many entries */
    {
        cf_buf b = CF_BUF_INIT(CF_INI_MAX_BYTES);
        cf_buf_addstr(&b, "[d]\n");
        for (int i = 0; i <= CF_INI_MAX_ENTRIES; i++)
            cf_buf_addf(&b, "k%d=v\n", i);
        assert_int_equal(cf_ini_parse(b.data, b.len, &ini), CF_ETOOBIG);
        cf_buf_release(&b);
    }
}

/* ---- region, endpoints ---------------------------------------------------------------------- */

static void endpoint_is(cf_aws *aws, const cf_aws_service *svc, const char *want)
{
    char url[1100];
    assert_int_equal(cf_aws_endpoint(aws, svc, url, sizeof(url)), 0);
    assert_string_equal(url, want);
}

static void test_aws_region_rules(void **state)
{
    cf_aws *aws = NULL;
    cf_aws_options o = CF_AWS_OPTIONS_INIT;
    (void)state;
    set_config("[default]\nregion = eu-central-1\n[profile p]\nregion = ap-south-1\n");
    assert_int_equal(cf_aws_new(&aws, NULL), 0);
    assert_string_equal(cf_aws_region(aws), "eu-central-1"); /* profile region */
    cf_aws_free(aws);
    setenv("AWS_PROFILE", "p", 1);
    assert_int_equal(cf_aws_new(&aws, NULL), 0);
    assert_string_equal(cf_aws_region(aws), "ap-south-1");
    assert_string_equal(cf_aws_profile(aws), "p");
    cf_aws_free(aws);
    setenv("AWS_DEFAULT_REGION", "us-west-1", 1);
    assert_int_equal(cf_aws_new(&aws, NULL), 0);
    assert_string_equal(cf_aws_region(aws), "us-west-1");
    cf_aws_free(aws);
    setenv("AWS_REGION", "us-east-2", 1); /* beats AWS_DEFAULT_REGION */
    assert_int_equal(cf_aws_new(&aws, NULL), 0);
    assert_string_equal(cf_aws_region(aws), "us-east-2");
    cf_aws_free(aws);
    o.region = "sa-east-1"; /* the explicit option beats all */
    assert_int_equal(cf_aws_new(&aws, &o), 0);
    assert_string_equal(cf_aws_region(aws), "sa-east-1");
    cf_aws_free(aws);
    o.region = "us-east-1/../x";
    assert_int_equal(cf_aws_new(&aws, &o), CF_EINVAL);
    setenv("AWS_PROFILE", "missing", 1);
    assert_int_equal(cf_aws_new(&aws, NULL), CF_EINVAL);
    unsetenv("AWS_PROFILE");
    setenv("AWS_MAX_ATTEMPTS", "zero", 1);
    assert_int_equal(cf_aws_new(&aws, NULL), CF_EINVAL);
    unsetenv("AWS_MAX_ATTEMPTS");
}

static void test_aws_endpoint_rules(void **state)
{
    cf_aws *aws = NULL;
    cf_aws_options o = CF_AWS_OPTIONS_INIT;
    (void)state;
    setenv("AWS_REGION", "eu-west-3", 1);
    assert_int_equal(cf_aws_new(&aws, NULL), 0);
    /* standard endpoints */
    endpoint_is(aws, &cf_aws_svc_ec2, "https://ec2.eu-west-3.amazonaws.com");
    endpoint_is(aws, &cf_aws_svc_sesv2, "https://email.eu-west-3.amazonaws.com");
    endpoint_is(aws, &cf_aws_svc_elbv2, "https://elasticloadbalancing.eu-west-3.amazonaws.com");
    endpoint_is(aws, &cf_aws_svc_iam, "https://iam.amazonaws.com");
    endpoint_is(aws, &cf_aws_svc_sts, "https://sts.eu-west-3.amazonaws.com");
    cf_aws_free(aws);
    unsetenv("AWS_REGION"); /* no region: STS falls back to its global endpoint, others fail */
    assert_int_equal(cf_aws_new(&aws, NULL), 0);
    endpoint_is(aws, &cf_aws_svc_sts, "https://sts.amazonaws.com");
    {
        char url[128];
        assert_int_equal(cf_aws_endpoint(aws, &cf_aws_svc_ec2, url, sizeof(url)), CF_EINVAL);
    }
    assert_false(cf_aws_endpoint_overridden(aws, &cf_aws_svc_s3));
    cf_aws_free(aws);
    setenv("AWS_REGION", "cn-north-1", 1);
    assert_int_equal(cf_aws_new(&aws, NULL), 0);
    endpoint_is(aws, &cf_aws_svc_ec2, "https://ec2.cn-north-1.amazonaws.com.cn");
    endpoint_is(aws, &cf_aws_svc_iam, "https://iam.cn-north-1.amazonaws.com.cn");
    cf_aws_free(aws);
    setenv("AWS_REGION", "us-east-1", 1);

    /* config: profile endpoint_url, then [services] section per service */
    set_config("[default]\nendpoint_url = http://cfg-global:1\nservices = svc\n"
               "[services svc]\nelastic_load_balancing_v2 =\n  endpoint_url = http://cfg-elb:2\n");
    assert_int_equal(cf_aws_new(&aws, NULL), 0);
    endpoint_is(aws, &cf_aws_svc_ec2, "http://cfg-global:1");
    endpoint_is(aws, &cf_aws_svc_elbv2, "http://cfg-elb:2");
    assert_true(cf_aws_endpoint_overridden(aws, &cf_aws_svc_s3));
    cf_aws_free(aws);
    /* environment beats config; the service variable beats the global one */
    setenv("AWS_ENDPOINT_URL", "http://env-global:3/", 1);
    setenv("AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2", "http://env-elb:4", 1);
    setenv("AWS_ENDPOINT_URL_SESV2", "http://env-ses:5", 1);
    assert_int_equal(cf_aws_new(&aws, NULL), 0);
    endpoint_is(aws, &cf_aws_svc_ec2, "http://env-global:3");
    endpoint_is(aws, &cf_aws_svc_elbv2, "http://env-elb:4");
    endpoint_is(aws, &cf_aws_svc_sesv2, "http://env-ses:5");
    cf_aws_free(aws);
    /* the explicit option beats everything */
    o.endpoint_url = "http://opt:6";
    assert_int_equal(cf_aws_new(&aws, &o), 0);
    endpoint_is(aws, &cf_aws_svc_elbv2, "http://opt:6");
    cf_aws_free(aws);
    /* AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: back to the standard endpoints */
    setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", 1);
    assert_int_equal(cf_aws_new(&aws, NULL), 0);
    endpoint_is(aws, &cf_aws_svc_elbv2, "https://elasticloadbalancing.us-east-1.amazonaws.com");
    cf_aws_free(aws);
    unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
    setenv("AWS_ENDPOINT_URL", "ftp://nope", 1);
    assert_int_equal(cf_aws_new(&aws, NULL), 0);
    {
        char url[64];
        assert_int_equal(cf_aws_endpoint(aws, &cf_aws_svc_ec2, url, sizeof(url)), CF_EINVAL);
    }
    cf_aws_free(aws);
}

static void test_aws_presign_addressing(void **state)
{
    cf_aws *aws = NULL;
    char *url = NULL;
    (void)state;
    setenv("AWS_REGION", "us-west-2", 1);
    setenv("AWS_ACCESS_KEY_ID", "AKID", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "SECRET", 1);
    setenv("AWS_SESSION_TOKEN", "TOKEN/+=", 1);
    assert_int_equal(cf_aws_new(&aws, NULL), 0);
    /* standard endpoint: virtual-hosted style */
    assert_int_equal(
        cf_aws_presign(aws, &cf_aws_svc_s3, "GET", "my-bucket", "/a%20b.txt", NULL, 60, &url), 0);
    assert_true(strncmp(url, "https://my-bucket.s3.us-west-2.amazonaws.com/a%20b.txt?", 55) == 0);
    assert_non_null(strstr(url, "X-Amz-Security-Token=TOKEN%2F%2B%3D"));
    assert_non_null(strstr(url, "X-Amz-Expires=60"));
    free(url);
    cf_aws_free(aws);
    /* overridden endpoint: path style */
    setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9", 1);
    assert_int_equal(cf_aws_new(&aws, NULL), 0);
    assert_int_equal(
        cf_aws_presign(aws, &cf_aws_svc_s3, "PUT", "my-bucket", "/k", NULL, 3600, &url), 0);
    assert_true(strncmp(url, "http://127.0.0.1:9/my-bucket/k?", 31) == 0);
    free(url);
    cf_aws_free(aws);
}

/* ---- static credential sources -------------------------------------------------------------- */

static void test_aws_creds_env(void **state)
{
    cf_aws *aws = NULL;
    cf_aws_credentials c;
    (void)state;
    set_credentials("[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = FILESECRET\n");
    setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "ENVSECRET", 1);
    setenv("AWS_SESSION_TOKEN", "ENVTOKEN", 1);
    assert_int_equal(cf_aws_new(&aws, NULL), 0);
    assert_int_equal(cf_aws_get_credentials(aws, &c), 0);
    assert_string_equal(c.access_key_id, "ENVKEY"); /* environment first */
    assert_string_equal(c.secret_access_key, "ENVSECRET");
    assert_string_equal(c.session_token, "ENVTOKEN");
    assert_string_equal(c.source, "env");
    cf_aws_free(aws);
}

static void test_aws_creds_profiles(void **state)
{
    cf_aws *aws = NULL;
    cf_aws_credentials c;
    cf_aws_options o = CF_AWS_OPTIONS_INIT;
    (void)state;
    set_credentials("[default]\naws_access_key_id = DEFKEY\naws_secret_access_key = DEFSECRET\n"
                    "[ops]\naws_access_key_id = OPSKEY\naws_secret_access_key = OPSSECRET\n"
                    "aws_session_token = OPSTOKEN\n");
    set_config("[profile cfgonly]\naws_access_key_id = CFGKEY\naws_secret_access_key = CFGSECRET\n"
               "region = eu-west-1\n[profile ops]\nregion = us-west-2\n");
    assert_int_equal(cf_aws_new(&aws, NULL), 0);
    assert_int_equal(cf_aws_get_credentials(aws, &c), 0);
    assert_string_equal(c.access_key_id, "DEFKEY");
    assert_string_equal(c.session_token, "");
    cf_aws_free(aws);
    setenv("AWS_PROFILE", "ops", 1);
    assert_int_equal(cf_aws_new(&aws, NULL), 0);
    assert_int_equal(cf_aws_get_credentials(aws, &c), 0);
    assert_string_equal(c.access_key_id, "OPSKEY");
    assert_string_equal(c.session_token, "OPSTOKEN");
    assert_string_equal(cf_aws_region(aws), "us-west-2");
    cf_aws_free(aws);
    o.profile = "cfgonly"; /* keys in the config file */
    assert_int_equal(cf_aws_new(&aws, &o), 0);
    assert_int_equal(cf_aws_get_credentials(aws, &c), 0);
    assert_string_equal(c.access_key_id, "CFGKEY");
    assert_string_equal(c.source, "config");
    cf_aws_free(aws);
    unsetenv("AWS_PROFILE");
    /* no source at all (IMDS disabled): CF_ENOTFOUND with a clear message */
    set_credentials("");
    set_config("");
    assert_int_equal(cf_aws_new(&aws, NULL), 0);
    assert_int_equal(cf_aws_get_credentials(aws, &c), CF_ENOTFOUND);
    assert_non_null(strstr(cf_error_last()->msg, "no AWS credentials"));
    cf_aws_free(aws);
    /* role without source_profile: a configuration error, not a silent fallback */
    set_config("[default]\nrole_arn = arn:aws:iam::123456789012:role/x\n");
    assert_int_equal(cf_aws_new(&aws, NULL), 0);
    assert_int_equal(cf_aws_get_credentials(aws, &c), CF_EINVAL);
    cf_aws_free(aws);
    /* role chain loop */
    set_config("[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = b\n"
               "[profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = a\n");
    o.profile = "a";
    assert_int_equal(cf_aws_new(&aws, &o), 0);
    assert_int_equal(cf_aws_get_credentials(aws, &c), CF_EINVAL);
    assert_non_null(strstr(cf_error_last()->msg, "role chain"));
    cf_aws_free(aws);
}

static void test_aws_creds_process(void **state)
{
    cf_aws *aws = NULL;
    cf_aws_credentials c;
    (void)state;
    set_config("[default]\ncredential_process = printf '{\"Version\": 1, \"AccessKeyId\": "
               "\"PROCKEY\", \"SecretAccessKey\": \"PROCSECRET\", \"SessionToken\": \"PT\", "
               "\"Expiration\": \"2099-01-01T00:00:00Z\"}'\n"
               "[profile bad]\ncredential_process = echo nope; exit 3\n"
               "[profile garbage]\ncredential_process = echo '{\"Version\": 2}'\n"
               "[profile keysfirst]\ncredential_process = false\n");
    set_credentials("[keysfirst]\naws_access_key_id = FILEKEY\naws_secret_access_key = S\n");
    assert_int_equal(cf_aws_new(&aws, NULL), 0);
    assert_int_equal(cf_aws_get_credentials(aws, &c), 0);
    assert_string_equal(c.source, "process");
    assert_string_equal(c.access_key_id, "PROCKEY");
    assert_string_equal(c.session_token, "PT");
    assert_true(c.expiration_ns > 0);
    cf_aws_free(aws);
    setenv("AWS_PROFILE", "bad", 1);
    assert_int_equal(cf_aws_new(&aws, NULL), 0);
    assert_int_equal(cf_aws_get_credentials(aws, &c), CF_ERR);
    assert_non_null(strstr(cf_error_last()->msg, "status 3"));
    cf_aws_free(aws);
    setenv("AWS_PROFILE", "garbage", 1);
    assert_int_equal(cf_aws_new(&aws, NULL), 0);
    assert_int_equal(cf_aws_get_credentials(aws, &c), CF_EPARSE);
    cf_aws_free(aws);
    /* the credentials file comes before credential_process */
    setenv("AWS_PROFILE", "keysfirst", 1);
    assert_int_equal(cf_aws_new(&aws, NULL), 0);
    assert_int_equal(cf_aws_get_credentials(aws, &c), 0);
    assert_string_equal(c.access_key_id, "FILEKEY");
    cf_aws_free(aws);
    unsetenv("AWS_PROFILE");
}

static void test_aws_creds_json_doc(void **state)
{
    cf_aws_credentials c;
    static const char ok[] =
        "{\"Code\":\"Success\",\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\","
        "\"Token\":\"T\",\"Expiration\":\"2030-01-01T00:00:00Z\"}";
    (void)state;
    assert_int_equal(cf_aws_creds_parse_json(ok, sizeof(ok) - 1, &c), 0);
    assert_string_equal(c.access_key_id, "A");
    assert_string_equal(c.session_token, "T");
    assert_true(c.expiration_ns > 0);
    assert_int_equal(cf_aws_creds_parse_json("{\"AccessKeyId\":1}", 17, &c), CF_EPARSE);
    assert_int_equal(cf_aws_creds_parse_json("[]", 2, &c), CF_EPARSE);
    /* a year past int64 nanoseconds (found by fuzzing): refused, no overflow */
    {
        static const char far[] = "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\","
                                  "\"Expiration\":\"9999-12-31T23:59:59Z\"}";
        assert_int_equal(cf_aws_creds_parse_json(far, sizeof(far) - 1, &c), CF_EPARSE);
    }
    assert_int_equal(cf_aws_creds_parse_json("{\"Code\":\"Failure\"}", 18, &c), CF_EPARSE);
    assert_int_equal(cf_aws_creds_parse_json("{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\","
                                             "\"Expiration\":\"soon\"}",
                                             57, &c),
                     CF_EPARSE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sigv4_suite),
        cmocka_unit_test(test_sigv4_s3_presign_example),
        cmocka_unit_test(test_sigv4_normalize_path),
        cmocka_unit_test(test_aws_uri_encode),
        cmocka_unit_test(test_aws_params),
        cmocka_unit_test(test_aws_client_token_stable),
        cmocka_unit_test(test_aws_xml_helpers),
        cmocka_unit_test(test_aws_xml_hostile),
        cmocka_unit_test(test_aws_error_shapes),
        cmocka_unit_test(test_aws_error_retryable),
        cmocka_unit_test(test_aws_ini_parse),
        cmocka_unit_test(test_aws_ini_hostile),
        cmocka_unit_test_setup_teardown(test_aws_region_rules, setup_env, teardown_env),
        cmocka_unit_test_setup_teardown(test_aws_endpoint_rules, setup_env, teardown_env),
        cmocka_unit_test_setup_teardown(test_aws_presign_addressing, setup_env, teardown_env),
        cmocka_unit_test_setup_teardown(test_aws_creds_env, setup_env, teardown_env),
        cmocka_unit_test_setup_teardown(test_aws_creds_profiles, setup_env, teardown_env),
        cmocka_unit_test_setup_teardown(test_aws_creds_process, setup_env, teardown_env),
        cmocka_unit_test(test_aws_creds_json_doc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
