#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cf_buf.h"
#include "common/cf_error.h"
#include "common/cf_fs.h"
#include "common/cf_hash.h"
#include "common/cf_json.h"
#include "common/cf_time.h"
#include "common/cf_utf8.h"

static void test_buf_limit_is_enforced(void **state)
{
    cf_buf b = CF_BUF_INIT(8);
    (void)state;
    assert_int_equal(cf_buf_addstr(&b, "12345678"), CF_OK);
    assert_int_equal(cf_buf_addch(&b, '9'), CF_ETOOBIG);
    assert_int_equal(b.len, 8);
    assert_string_equal(cf_buf_cstr(&b), "12345678");
    assert_int_equal(cf_error_last()->code, CF_ETOOBIG);
    cf_buf_reset(&b);
    assert_int_equal(cf_buf_addf(&b, "%d-%s", 42, "x"), CF_OK);
    assert_string_equal(cf_buf_cstr(&b), "42-x");
    cf_buf_release(&b);
}

static void test_sha256_known_vector(void **state)
{
    char hex[CF_SHA256_HEX_LEN];
    (void)state;
    cf_sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_sha256_file_matches_buffer(void **state)
{
    char path[] = "/tmp/cf-test-hash-XXXXXX", a[CF_SHA256_HEX_LEN], b[CF_SHA256_HEX_LEN];
    uint64_t n = 0;
    int fd = mkstemp(path);
    (void)state;
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "hello world", 11), 11);
    close(fd);
    assert_int_equal(cf_sha256_file(path, a, &n), CF_OK);
    cf_sha256_hex("hello world", 11, b);
    assert_string_equal(a, b);
    assert_int_equal(n, 11);
    unlink(path);
    assert_int_equal(cf_sha256_file(path, a, &n), CF_ENOTFOUND);
}

static void test_time_roundtrip_and_offsets(void **state)
{
    int64_t ns = 0;
    char s[CF_TIME_STR_MAX];
    (void)state;
    assert_int_equal(cf_time_parse("2026-11-27T20:25:09.5Z", &ns), CF_OK);
    cf_time_format(ns, s);
    assert_string_equal(s, "2026-11-27T20:25:09.500000Z");
    assert_int_equal(cf_time_parse("2026-11-27T22:25:09.5+02:00", &ns), CF_OK);
    cf_time_format(ns, s);
    assert_string_equal(s, "2026-11-27T20:25:09.500000Z");
    assert_int_equal(cf_time_parse("1970-01-01T00:00:00Z", &ns), CF_OK);
    assert_int_equal(ns, 0);
    assert_int_equal(cf_time_parse("2026-13-01T00:00:00Z", &ns), CF_EPARSE);
    assert_int_equal(cf_time_parse("yesterday", &ns), CF_EPARSE);
}

static void test_json_depth_and_paths(void **state)
{
    json_t *j = NULL;
    char deep[300];
    const char *doc = "{\"a\":{\"b\":[{\"c\":\"x\"}]}}";
    (void)state;
    assert_int_equal(cf_json_parse(doc, strlen(doc), &j), CF_OK);
    assert_string_equal(cf_json_str(j, "a.b.0.c"), "x");
    assert_null(cf_json_str(j, "a.b.1.c"));
    assert_null(cf_json_str(j, "a.b"));
    json_decref(j);
    memset(deep, '[', sizeof(deep));
    assert_int_equal(cf_json_parse(deep, sizeof(deep), &j), CF_EPARSE);
    assert_null(j);
}

static void test_json_lossy_replaces_invalid_utf8(void **state)
{
    json_t *s = cf_json_string_lossy("a\xff"
                                     "b\xc3\xa9",
                                     5);
    (void)state;
    assert_non_null(s);
    assert_string_equal(json_string_value(s), "a\xEF\xBF\xBD"
                                              "b\xc3\xa9");
    json_decref(s);
}

static void test_fs_read_is_bounded(void **state)
{
    char path[] = "/tmp/cf-test-fs-XXXXXX";
    cf_buf b = CF_BUF_INIT(4);
    int fd = mkstemp(path);
    (void)state;
    close(fd);
    assert_int_equal(cf_fs_write_atomic(path, "12345", 5), CF_OK);
    assert_int_equal(cf_fs_read(path, &b), CF_ETOOBIG);
    cf_buf_release(&b);
    cf_buf_init(&b, 5);
    assert_int_equal(cf_fs_read(path, &b), CF_OK);
    assert_string_equal(cf_buf_cstr(&b), "12345");
    cf_buf_release(&b);
    unlink(path);
}

static void test_error_wrap_keeps_code(void **state)
{
    (void)state;
    cf_error_set_aws(400, "InvalidInstanceID.NotFound", "req-1", "no such instance");
    cf_error_wrap("triage %s", "i-1");
    assert_int_equal(cf_error_last()->code, CF_EAWS);
    assert_string_equal(cf_error_last()->msg, "triage i-1: no such instance");
    assert_string_equal(cf_error_last()->request_id, "req-1");
    cf_error_set_aws(403, "UnauthorizedOperation", NULL, "denied");
    assert_int_equal(cf_error_last()->code, CF_EDENIED);
}

static void test_utf8_strict_rules(void **state)
{
    cf_buf b = CF_BUF_INIT(64);
    (void)state;
    assert_int_equal(cf_utf8_valid("plain ascii text", 16), 1);
    assert_int_equal(cf_utf8_valid("caf\xc3\xa9", 5), 1);
    assert_int_equal(cf_utf8_valid("\xf0\x9f\x98\x80", 4), 1); /* U+1F600 */
    assert_int_equal(cf_utf8_valid("a\0b", 3), 0);             /* NUL */
    assert_int_equal(cf_utf8_valid("\xc0\xaf", 2), 0);         /* overlong '/' */
    assert_int_equal(cf_utf8_valid("\xe0\x80\xaf", 3), 0);     /* overlong, 3 bytes */
    assert_int_equal(cf_utf8_valid("\xed\xa0\x80", 3), 0);     /* surrogate */
    assert_int_equal(cf_utf8_valid("\xf4\x90\x80\x80", 4), 0); /* above U+10FFFF */
    assert_int_equal(cf_utf8_valid("abcdefgh\xc3", 9), 0);     /* truncated after the fast path */
    assert_int_equal(cf_utf8_seq((const unsigned char *)"\0", 1), 1);
    assert_int_equal(cf_utf8_lossy(&b, "a\0b\xff\xc3\xa9", 6), CF_OK);
    assert_string_equal(cf_buf_cstr(&b), "a\xEF\xBF\xBD"
                                         "b\xEF\xBF\xBD\xc3\xa9");
    cf_buf_release(&b);
}

static void test_error_set_may_quote_the_last_message(void **state)
{
    (void)state;
    cf_error_set(CF_ENOTFOUND, "open /x: No such file or directory");
    cf_error_set(CF_EINVAL, "cannot read the event %s: %s", "/x", cf_error_last()->msg);
    assert_string_equal(cf_error_last()->msg,
                        "cannot read the event /x: open /x: No such file or directory");
    assert_int_equal(cf_error_last()->code, CF_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_limit_is_enforced),
        cmocka_unit_test(test_sha256_known_vector),
        cmocka_unit_test(test_sha256_file_matches_buffer),
        cmocka_unit_test(test_time_roundtrip_and_offsets),
        cmocka_unit_test(test_json_depth_and_paths),
        cmocka_unit_test(test_json_lossy_replaces_invalid_utf8),
        cmocka_unit_test(test_fs_read_is_bounded),
        cmocka_unit_test(test_error_wrap_keeps_code),
        cmocka_unit_test(test_utf8_strict_rules),
        cmocka_unit_test(test_error_set_may_quote_the_last_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
