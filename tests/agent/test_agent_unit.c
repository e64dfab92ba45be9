/* Unit tests of casefile-agent's self-contained pieces, checked against independent
 * implementations: SHA-256 against OpenSSL, JSON output against jansson. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <jansson.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfa_json.h"
#include "cfa_out.h"
#include "cfa_parse.h"
#include "cfa_sha256.h"

static uint32_t rng = 12345;
static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static struct cfa_span S(const char *s) {
    struct cfa_span sp = {s, strlen(s)};
    return sp;
}

/* Random lengths, odd-sized updates across block boundaries; both the hardware (SHA-NI, when
 * the CPU has it) and the portable implementation. */
static void
sha256_random_vs_openssl(void)
{
    uint8_t buf[3000], mine[32], ref[32];
    size_t len, i;
    for (len = 0; len < sizeof(buf); len += 1 + len / 7) {
        struct cfa_sha256 c;
        size_t off = 0;
        for (i = 0; i < len; i++)
            buf[i] = (uint8_t)next_rand();
        cfa_sha256_init(&c);
        while (off < len) {
            size_t take = 1 + next_rand() % 130;
            if (take > len - off)
                take = len - off;
            cfa_sha256_update(&c, buf + off, take);
            off += take;
        }
        cfa_sha256_final(&c, mine);
        SHA256(buf, len, ref);
        assert_memory_equal(mine, ref, 32);
    }
}

static void test_agent_sha256_vs_openssl(void **state)
{
    (void)state;
    cfa_sha256_accel(1);
    sha256_random_vs_openssl();
    cfa_sha256_accel(0);
    sha256_random_vs_openssl();
    cfa_sha256_accel(1);
}

static void test_agent_sha256_hex_known(void **state)
{
    struct cfa_sha256 c;
    uint8_t d[32];
    char hex[65];
    (void)state;
    cfa_sha256_init(&c);
    cfa_sha256_update(&c, "abc", 3);
    cfa_sha256_final(&c, d);
    cfa_sha256_hex(d, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

/* Writes {"k": s} and parses it back with jansson; returns the decoded string (owned). */
static char *roundtrip(const char *s, size_t n)
{
    struct cfa_jw jw = CFA_JW_INIT(1 << 20);
    json_error_t err;
    json_t *root;
    char *out;
    cfa_jw_reset(&jw);
    cfa_jw_obj_begin(&jw, NULL);
    cfa_jw_str(&jw, "k", s, n);
    cfa_jw_obj_end(&jw);
    assert_false(jw.overflow);
    assert_null(memchr(jw.buf, '\n', jw.len)); /* one record, one line */
    root = json_loadb(jw.buf, jw.len, JSON_ALLOW_NUL, &err);
    if (!root)
        fail_msg("invalid JSON: %s (%.*s)", err.text, (int)jw.len, jw.buf);
    out = strdup(json_string_value(json_object_get(root, "k")));
    json_decref(root);
    cfa_jw_release(&jw);
    return out;
}

static void test_agent_json_escapes_everything(void **state)
{
    char *r;
    int i;
    (void)state;
    r = roundtrip("a\"b\\c\nd\te\x01\x7f", 11);
    assert_string_equal(r, "a\"b\\c\nd\te\x01\x7f");
    free(r);
    r = roundtrip("\xff", 1);
    assert_string_equal(r, "\xef\xbf\xbd");
    free(r);
    r = roundtrip("\xc0\xaf", 2); /* overlong '/' */
    assert_string_equal(r, "\xef\xbf\xbd\xef\xbf\xbd");
    free(r);
    r = roundtrip("\xed\xa0\x80", 3); /* surrogate */
    assert_string_equal(r, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    free(r);
    r = roundtrip("\xf4\x90\x80\x80", 4); /* beyond U+10FFFF */
    assert_int_equal(strlen(r), 12);
    free(r);
    r = roundtrip("h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 12); /* valid: copied */
    assert_string_equal(r, "h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    free(r);
    /* random bytes (NUL included) always give valid JSON */
    for (i = 0; i < 2000; i++) {
        char buf[64];
        size_t n = next_rand() % sizeof(buf), k;
        for (k = 0; k < n; k++)
            buf[k] = (char)next_rand();
        free(roundtrip(buf, n));
    }
}

static void test_agent_json_bounded(void **state)
{
    struct cfa_jw jw = CFA_JW_INIT(64);
    char big[200];
    (void)state;
    memset(big, 'x', sizeof(big));
    cfa_jw_reset(&jw);
    cfa_jw_obj_begin(&jw, NULL);
    cfa_jw_str(&jw, "k", big, sizeof(big));
    cfa_jw_obj_end(&jw);
    assert_true(jw.overflow);
    assert_true(jw.len <= 64);
    cfa_jw_release(&jw);
}

static void test_agent_parse_stat_hostile_comm(void **state)
{
    const char *s = "42 (a) b (c) S 1 42 42 34816 -1 4194560 0 0 0 0 0 0 0 0 20 0 3 0 777 "
                    "1000 25 18446744073709551615\n";
    struct cfa_stat st;
    (void)state;
    assert_int_equal(cfa_parse_stat(s, strlen(s), &st), 0);
    assert_int_equal(st.comm.n, 7);
    assert_memory_equal(st.comm.p, "a) b (c", 7);
    assert_int_equal(st.state, 'S');
    assert_int_equal(st.ppid, 1);
    assert_int_equal(st.tty_nr, 34816);
    assert_int_equal(st.num_threads, 3);
    assert_int_equal(st.starttime, 777);
    assert_int_equal(st.rss_pages, 25);
    assert_int_equal(cfa_parse_stat("42 (x) S 1", 10, &st), -1);
    assert_int_equal(cfa_parse_stat("no paren", 8, &st), -1);
}

static void test_agent_parse_inet_ipv6(void **state)
{
    const char *l = "   0: B80D0120000000000000000001000000:01BB "
                    "0000000000000000FFFF00000100007F:D903 01 00000000:00000000 00:00000000 "
                    "00000000  1000        0 4242 1 0000000000000000 20 4 30 10 -1";
    struct cfa_inet in;
    char a[64];
    (void)state;
    assert_int_equal(cfa_parse_inet_line(S(l), 1, &in), 0);
    cfa_format_addr(in.local, 1, a, sizeof(a));
    assert_string_equal(a, "2001:db8::1");
    cfa_format_addr(in.remote, 1, a, sizeof(a));
    assert_string_equal(a, "::ffff:127.0.0.1");
    assert_int_equal(in.lport, 443);
    assert_int_equal(in.rport, 0xD903);
    assert_int_equal(in.state, 1);
    assert_int_equal(in.uid, 1000);
    assert_int_equal(in.inode, 4242);
    assert_string_equal(cfa_tcp_state_name(10, 1), "LISTEN");
    assert_string_equal(cfa_tcp_state_name(7, 0), "UNCONN");
    assert_int_equal(cfa_parse_inet_line(S("  sl  local_address rem_address st"), 0, &in), -1);
}

static void test_agent_parse_maps(void **state)
{
    struct cfa_map m;
    (void)state;
    assert_int_equal(cfa_parse_maps_line(S("7f00-7f10 r-xp 00001000 fd:01 1234     "
                                           "/tmp/my lib.so (deleted)"),
                                         &m),
                     0);
    assert_int_equal(m.start, 0x7f00);
    assert_int_equal(m.end, 0x7f10);
    assert_int_equal(m.offset, 0x1000);
    assert_int_equal(m.dev_major, 0xfd);
    assert_int_equal(m.inode, 1234);
    assert_int_equal(m.deleted, 1);
    assert_int_equal(m.path.n, strlen("/tmp/my lib.so"));
    assert_memory_equal(m.path.p, "/tmp/my lib.so", m.path.n);
    assert_int_equal(cfa_parse_maps_line(S("zz-10 r-xp 0 00:00 0"), &m), -1);
}

static void test_agent_parse_utmp_record(void **state)
{
    uint8_t rec[CFA_UTMP_SIZE];
    struct cfa_utmp u;
    (void)state;
    memset(rec, 0, sizeof(rec));
    rec[0] = 7;
    rec[4] = 0x39; /* pid 12345 */
    rec[5] = 0x30;
    memcpy(rec + 8, "pts/3", 5);
    memcpy(rec + 44, "mallory", 7);
    memset(rec + 76, 'h', 256); /* host without terminator: bounded at 256 */
    rec[340] = 0x10;
    rec[348] = 10;
    rec[351] = 5;
    assert_int_equal(cfa_parse_utmp(rec, sizeof(rec), &u), 0);
    assert_int_equal(u.type, 7);
    assert_int_equal(u.pid, 12345);
    assert_int_equal(u.line.n, 5);
    assert_int_equal(u.user.n, 7);
    assert_int_equal(u.host.n, 256);
    assert_int_equal(u.tv_sec, 16);
    assert_int_equal(u.addr_v6, 0);
    assert_string_equal(cfa_utmp_type_name(u.type), "USER_PROCESS");
    assert_int_equal(cfa_parse_utmp(rec, 100, &u), -1);
}

static void test_agent_lime_plan_overlaps(void **state)
{
    struct cfa_range ram[2] = {{0x1000, 0x9fbff}, {0x100000, 0x27ffff}};
    struct cfa_kseg segs[4] = {
        {0, 0x1000, 0x1000, 0x9f000, 0x9f000},
        {0, 0x100000, 0x1000000, 0x100000, 0x100000},
        {0, 0x180000, 0x2000000, 0x100000, 0x100000}, /* overlaps the previous */
        {0, 0, UINT64_MAX, 0x1000, 0x1000},           /* no physical address */
    };
    struct cfa_lime_range out[8];
    size_t n;
    (void)state;
    assert_int_equal(cfa_lime_plan(ram, 2, segs, 4, out, 8, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(out[0].start, 0x1000);
    assert_int_equal(out[0].end, 0x9fbff);
    assert_int_equal(out[0].file_offset, 0x1000);
    assert_int_equal(out[1].start, 0x100000);
    assert_int_equal(out[1].end, 0x1fffff);
    assert_int_equal(out[2].start, 0x200000);
    assert_int_equal(out[2].end, 0x27ffff);
    assert_int_equal(out[2].file_offset, 0x2000000 + 0x80000);
}

static void test_agent_kcore_headers(void **state)
{
    uint8_t core[64 + 2 * 56];
    struct cfa_kseg segs[4];
    size_t n;
    (void)state;
    memset(core, 0, sizeof(core));
    memcpy(core, "\177ELF\2\1\1", 7);
    core[32] = 64; /* e_phoff */
    core[54] = 56; /* e_phentsize */
    core[56] = 2;  /* e_phnum */
    core[64] = 4;  /* PT_NOTE */
    core[120] = 1; /* PT_LOAD */
    core[120 + 8] = 0x10;
    core[120 + 24 + 2] = 0x10; /* paddr 0x100000 */
    core[120 + 40 + 1] = 0x20; /* memsz 0x2000 */
    assert_int_equal(cfa_parse_kcore(core, sizeof(core), segs, 4, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(segs[0].offset, 0x10);
    assert_int_equal(segs[0].paddr, 0x100000);
    assert_int_equal(segs[0].memsz, 0x2000);
    core[56] = 200; /* phnum beyond the buffer */
    assert_int_equal(cfa_parse_kcore(core, sizeof(core), segs, 4, &n), -1);
}

static void test_agent_tar_header(void **state)
{
    uint8_t h[512];
    unsigned sum = 0, stored;
    int i;
    char name[120];
    (void)state;
    assert_int_equal(cfa_tar_header(h, "processes.jsonl", 1234, 1700000000), 0);
    for (i = 0; i < 512; i++)
        sum += (i >= 148 && i < 156) ? ' ' : h[i];
    assert_int_equal(sscanf((char *)h + 148, "%o", &stored), 1);
    assert_int_equal(stored, sum);
    assert_string_equal((char *)h + 124, "00000002322");
    assert_memory_equal(h + 257, "ustar", 6);
    memset(name, 'a', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    assert_int_equal(cfa_tar_header(h, name, 1, 0), -1);
    assert_int_equal(cfa_tar_header(h, "big", 1ull << 34, 0), 0);
    assert_int_equal(h[124], 0x80); /* base-256 size */
}

static void test_agent_http_and_json_find(void **state)
{
    const char *r = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nTOKENjunk";
    const char *doc = "{ \"a\" : \"x\", \"instanceId\" :\"i-123\\\"q\" }";
    struct cfa_span body, v;
    int status;
    (void)state;
    assert_int_equal(cfa_parse_http_response(r, strlen(r), &status, &body), 0);
    assert_int_equal(status, 200);
    assert_int_equal(body.n, 5);
    assert_int_equal(cfa_parse_http_response("HTTP/1.1 200 OK\r\n", 17, &status, &body), -1);
    assert_int_equal(cfa_json_find_string(doc, strlen(doc), "instanceId", &v), 0);
    assert_int_equal(v.n, 8);
    assert_int_equal(cfa_json_find_string(doc, strlen(doc), "missing", &v), -1);
}

static void test_agent_bundle_roundtrip(void **state)
{
    char dir[] = "/tmp/cfa-unit-XXXXXX", path[256], *data;
    struct cfa_bundle b;
    struct cfa_file f;
    struct cfa_jw jw = CFA_JW_INIT(4096), m = CFA_JW_INIT(1 << 20);
    json_t *root, *files;
    json_error_t err;
    uint8_t ref[32];
    char hex[65];
    FILE *fp;
    long len;
    (void)state;
    assert_non_null(mkdtemp(dir));
    assert_int_equal(cfa_bundle_open_dir(&b, dir), 0);
    assert_int_equal(cfa_file_open(&b, "t.jsonl", &f), 0);
    cfa_jw_reset(&jw);
    cfa_jw_obj_begin(&jw, NULL);
    cfa_jw_int(&jw, "pid", 1);
    cfa_jw_obj_end(&jw);
    assert_int_equal(cfa_table_emit(&f, &jw, "t"), 0);
    assert_int_equal(cfa_file_close(&f, 1, NULL), 0);
    assert_int_equal(cfa_file_open(&b, "../escape", &f), -1);
    cfa_bundle_error(&b, "/proc/1/\xff", "EACCES");
    cfa_jw_reset(&m);
    cfa_jw_obj_begin(&m, NULL);
    cfa_jw_arr_begin(&m, "files");
    cfa_bundle_files_json(&b, &m);
    cfa_jw_arr_end(&m);
    cfa_jw_obj_end(&m);
    assert_int_equal(cfa_bundle_finish(&b, m.buf, m.len), 0);
    snprintf(path, sizeof(path), "%s/manifest.json", dir);
    root = json_load_file(path, 0, &err);
    assert_non_null(root);
    files = json_object_get(root, "files");
    assert_int_equal(json_array_size(files), 1);
    snprintf(path, sizeof(path), "%s/t.jsonl", dir);
    fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    len = ftell(fp);
    rewind(fp);
    data = malloc((size_t)len);
    assert_int_equal(fread(data, 1, (size_t)len, fp), (size_t)len);
    fclose(fp);
    assert_memory_equal(data, "{\"pid\":1}\n", 10);
    SHA256((uint8_t *)data, (size_t)len, ref);
    cfa_sha256_hex(ref, hex);
    assert_string_equal(json_string_value(json_object_get(json_array_get(files, 0), "sha256")),
                        hex);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(files, 0), "records")), 1);
    free(data);
    json_decref(root);
    cfa_jw_release(&jw);
    cfa_jw_release(&m);
    unlink(path);
    snprintf(path, sizeof(path), "%s/manifest.json", dir);
    unlink(path);
    rmdir(dir);
}

static int span_u64(const char *txt, int base, uint64_t *v)
{
    struct cfa_span sp = {txt, strlen(txt)};
    return cfa_span_u64(sp, base, v);
}

static void test_agent_span_u64_bounds(void **state)
{
    uint64_t v = 0;
    (void)state;
    assert_int_equal(span_u64("18446744073709551615", 10, &v), 0);
    assert_true(v == UINT64_MAX);
    assert_int_equal(span_u64("18446744073709551616", 10, &v), -1);
    assert_int_equal(span_u64("99999999999999999999", 10, &v), -1);
    assert_int_equal(span_u64("ffffffffffffffff", 16, &v), 0);
    assert_true(v == UINT64_MAX);
    assert_int_equal(span_u64("10000000000000000", 16, &v), -1);
    assert_int_equal(span_u64("0x1f", 16, &v), 0);
    assert_true(v == 31);
    assert_int_equal(span_u64("7fffffffffff", 16, &v), 0);
    assert_true(v == 0x7fffffffffffull);
    assert_int_equal(span_u64("0", 10, &v), 0);
    assert_true(v == 0);
    assert_int_equal(span_u64("", 10, &v), -1);
    assert_int_equal(span_u64("12a", 10, &v), -1);
    assert_int_equal(span_u64("-1", 10, &v), -1);
    assert_int_equal(span_u64("0x", 16, &v), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agent_sha256_vs_openssl),
        cmocka_unit_test(test_agent_span_u64_bounds),
        cmocka_unit_test(test_agent_sha256_hex_known),
        cmocka_unit_test(test_agent_json_escapes_everything),
        cmocka_unit_test(test_agent_json_bounded),
        cmocka_unit_test(test_agent_parse_stat_hostile_comm),
        cmocka_unit_test(test_agent_parse_inet_ipv6),
        cmocka_unit_test(test_agent_parse_maps),
        cmocka_unit_test(test_agent_parse_utmp_record),
        cmocka_unit_test(test_agent_lime_plan_overlaps),
        cmocka_unit_test(test_agent_kcore_headers),
        cmocka_unit_test(test_agent_tar_header),
        cmocka_unit_test(test_agent_http_and_json_find),
        cmocka_unit_test(test_agent_bundle_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
