/* Unit tests of the disk collector's pure functions: bodyfile escaping and lines, JSON strings,
 * mode strings, the artifact glob, shadow redaction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/cf_buf.h"
#include "common/cf_error.h"
#include "disk/cf_disk.h"
#include "disk/disk_internal.h"

static void test_disk_body_escape_control_only(void **state)
{
    cf_buf b = CF_BUF_INIT(1024);
    (void)state;
    assert_int_equal(cf_disk_body_escape(&b, "a|b\nc\td\x1f\x7f\xff", 10), CF_OK);
    /* '|', DEL and bytes >= 0x80 are kept (as TSK does); 0x00-0x1f become '^' */
    assert_int_equal(b.len, 10);
    assert_memory_equal(b.data, "a|b^c^d^\x7f\xff", 10);
    cf_buf_release(&b);
}

static void test_disk_body_line_like_fls(void **state)
{
    disk_rec r;
    cf_buf b = CF_BUF_INIT(4096);
    char path[] = "/etc/gone";
    (void)state;
    memset(&r, 0, sizeof(r));
    r.path = path;
    r.path_len = strlen(path);
    r.inode = 17;
    r.has_meta = 1;
    r.deleted = 1;
    strcpy(r.name_type, "r");
    strcpy(r.ls, "rrw-r--r--");
    r.size = 4;
    r.body_size = 4;
    r.atime.sec = 1795811597;
    r.mtime.sec = 1795811597;
    r.ctime.sec = 1795811597;
    r.crtime.sec = 1795811597;
    assert_int_equal(disk_body_line(&r, &b), CF_OK);
    assert_string_equal(cf_buf_cstr(&b), "0|/etc/gone (deleted)|17|r/rrw-r--r--|0|0|4|1795811597|"
                                         "1795811597|1795811597|1795811597\n");
    cf_buf_reset(&b);
    r.has_meta = 0;
    r.deleted = 0;
    assert_int_equal(disk_body_line(&r, &b), CF_OK);
    assert_string_equal(cf_buf_cstr(&b), "0|/etc/gone|17|r/----------|0|0|0|0|0|0|0\n");
    cf_buf_release(&b);
}

static void test_disk_json_str_lossy(void **state)
{
    cf_buf b = CF_BUF_INIT(1024);
    (void)state;
    assert_int_equal(disk_json_str(&b, "a\"\\\n\x01\xff\xc3\xa9", 8), CF_OK);
    assert_string_equal(cf_buf_cstr(&b), "\"a\\\"\\\\\\n\\u0001\xEF\xBF\xBD\xc3\xa9\"");
    assert_int_equal(disk_utf8_valid("\xc3\xa9", 2), 1);
    assert_int_equal(disk_utf8_valid("\xed\xa0\x80", 3), 0); /* surrogate */
    assert_int_equal(disk_utf8_valid("\xc0\xaf", 2), 0);     /* overlong */
    cf_buf_release(&b);
}

static void test_disk_mode_string(void **state)
{
    char s[11];
    (void)state;
    disk_mode_string(0104755, s);
    assert_string_equal(s, "-rwsr-xr-x");
    disk_mode_string(0102644, s);
    assert_string_equal(s, "-rw-r-Sr--");
    disk_mode_string(041777, s);
    assert_string_equal(s, "drwxrwxrwt");
    disk_mode_string(0120777, s);
    assert_string_equal(s, "lrwxrwxrwx");
}

static void test_disk_glob(void **state)
{
    (void)state;
    assert_true(cf_disk_glob_match("/var/log/**", "/var/log/nginx/access.log.2.gz"));
    assert_false(cf_disk_glob_match("/var/log/**", "/var/logx/a"));
    assert_true(
        cf_disk_glob_match("/home/*/.ssh/authorized_keys*", "/home/al/.ssh/authorized_keys2"));
    assert_false(
        cf_disk_glob_match("/home/*/.ssh/authorized_keys", "/home/a/b/.ssh/authorized_keys"));
    assert_true(cf_disk_glob_match("/var/www/**.php", "/var/www/html/a/b/shell.php"));
    assert_false(cf_disk_glob_match("/var/www/**.php", "/var/www/html/shell.php.txt"));
    assert_true(cf_disk_glob_match("/etc/rc?.d/**", "/etc/rc3.d/S01x"));
    assert_true(cf_disk_glob_match("/etc/cron.*/**", "/etc/cron.daily/logrotate"));
    assert_false(cf_disk_glob_match("/etc/cron.*/**", "/etc/crontab"));
    /* the most stars a list may use (two '**') on a long hostile path stays quadratic */
    {
        char *p = malloc(5001);
        memset(p, 'a', 5000);
        p[5000] = '\0';
        assert_false(cf_disk_glob_match("**a**b", p));
        free(p);
    }
}

static void test_disk_shadow_redact(void **state)
{
    const char *in = "root:$6$salt$hashhashhash:19000:0:99999:7:::\n"
                     "u2:$y$j9T$s$h:1::::::\n"
                     "u3:!!:1::::::\n"
                     "u4::1::::::\n"
                     "u5:!$1$x$y:1::::::\n"
                     "junk-without-colon-$6$zzz\n"
                     "u6:abcdefghijklm:1::::::";
    cf_buf b = CF_BUF_INIT(4096);
    (void)state;
    assert_int_equal(cf_disk_shadow_redact(in, strlen(in), &b), CF_OK);
    assert_string_equal(cf_buf_cstr(&b), "root:sha512crypt:19000:0:99999:7:::\n"
                                         "u2:yescrypt:1::::::\n"
                                         "u3:locked:1::::::\n"
                                         "u4:no-password:1::::::\n"
                                         "u5:locked-md5crypt:1::::::\n"
                                         "# (line without ':' removed)\n"
                                         "u6:descrypt:1::::::\n");
    assert_null(strstr(cf_buf_cstr(&b), "hashhash"));
    cf_buf_release(&b);
}

static void test_disk_artifact_relpath(void **state)
{
    char out[256];
    (void)state;
    assert_int_equal(disk_artifact_relpath("/var/log/syslog", 15, out, sizeof(out)), CF_OK);
    assert_string_equal(out, "artifacts/var/log/syslog");
    assert_int_equal(disk_artifact_relpath("/var/../etc", 11, out, sizeof(out)), CF_EINVAL);
    assert_int_equal(disk_artifact_relpath("/var//x", 7, out, sizeof(out)), CF_EINVAL);
    assert_int_equal(disk_artifact_relpath("/a\nb", 4, out, sizeof(out)), CF_EINVAL);
    assert_int_equal(disk_artifact_relpath("/a\xff", 3, out, sizeof(out)), CF_EINVAL);
    assert_int_equal(disk_is_shadow("/etc/gshadow-"), 1);
    assert_int_equal(disk_is_shadow("/etc/passwd"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_disk_body_escape_control_only),
        cmocka_unit_test(test_disk_body_line_like_fls),
        cmocka_unit_test(test_disk_json_str_lossy),
        cmocka_unit_test(test_disk_mode_string),
        cmocka_unit_test(test_disk_glob),
        cmocka_unit_test(test_disk_shadow_redact),
        cmocka_unit_test(test_disk_artifact_relpath),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
