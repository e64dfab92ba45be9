/* Fuzzes every parser casefile-agent applies to host files: the first input byte picks the
 * parser, the rest is the file content. Whatever a parser returns is then written through the
 * JSON writer, so escaping and bounds are exercised on the same hostile bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cfa_json.h"
#include "cfa_parse.h"

static void emit(struct cfa_jw *jw, struct cfa_span s)
{
    if (s.p)
        cfa_jw_str(jw, "s", s.p, s.n);
}

static void per_line(const char *buf, size_t n, int which, struct cfa_jw *jw)
{
    const char *pos = buf, *end = buf + n;
    struct cfa_span line;
    static char scratch[65536];
    while (cfa_next_line(&pos, end, &line)) {
        union {
            struct cfa_map m;
            struct cfa_inet in;
            struct cfa_unix u;
            struct cfa_packet pk;
            struct cfa_mountinfo mi;
            struct cfa_module mod;
            struct cfa_iomem io;
            struct cfa_route r;
            struct cfa_route6 r6;
            struct cfa_arp a;
            struct cfa_inet6_addr i6;
            struct cfa_netdev d;
            struct cfa_passwd pw;
        } x;
        struct cfa_span k, v;
        char addr[64];
        switch (which) {
        case 0:
            if (cfa_parse_maps_line(line, &x.m) == 0)
                emit(jw, x.m.path);
            break;
        case 1:
        case 2:
            if (cfa_parse_inet_line(line, which == 2, &x.in) == 0) {
                cfa_format_addr(x.in.local, x.in.v6, addr, sizeof(addr));
                cfa_jw_cstr(jw, "a", addr);
                cfa_jw_cstr(jw, "st", cfa_tcp_state_name(x.in.state, 1));
            }
            break;
        case 3:
            if (cfa_parse_unix_line(line, &x.u) == 0) {
                emit(jw, x.u.path);
                cfa_jw_cstr(jw, "t", cfa_unix_type_name(x.u.type));
                cfa_jw_cstr(jw, "st", cfa_unix_state_name(x.u.state));
            }
            break;
        case 4:
            (void)cfa_parse_packet_line(line, &x.pk);
            break;
        case 5:
            if (cfa_parse_mountinfo_line(line, &x.mi, scratch, sizeof(scratch)) == 0) {
                emit(jw, x.mi.mount_point);
                emit(jw, x.mi.source);
            }
            break;
        case 6:
            if (cfa_parse_modules_line(line, &x.mod) == 0) {
                emit(jw, x.mod.name);
                emit(jw, x.mod.taint);
            }
            break;
        case 7:
            if (cfa_parse_iomem_line(line, &x.io) == 0)
                emit(jw, x.io.name);
            break;
        case 8:
            if (cfa_parse_route_line(line, &x.r) == 0)
                emit(jw, x.r.iface);
            break;
        case 9:
            if (cfa_parse_ipv6_route_line(line, &x.r6) == 0)
                emit(jw, x.r6.iface);
            break;
        case 10:
            if (cfa_parse_arp_line(line, &x.a) == 0)
                emit(jw, x.a.mac);
            break;
        case 11:
            if (cfa_parse_if_inet6_line(line, &x.i6) == 0)
                emit(jw, x.i6.name);
            break;
        case 12:
            if (cfa_parse_netdev_line(line, &x.d) == 0)
                emit(jw, x.d.name);
            break;
        case 13:
            if (cfa_parse_passwd_line(line, &x.pw) == 0)
                emit(jw, x.pw.name);
            break;
        case 14:
            if (cfa_parse_kv_line(line, &k, &v) == 0)
                emit(jw, v);
            break;
        default:
            break;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cfa_jw jw = CFA_JW_INIT(1 << 20);
    const char *buf;
    size_t n, i, count;
    int which;
    char letters[40];
    if (size < 1)
        return 0;
    which = data[0] % 24;
    buf = (const char *)data + 1;
    n = size - 1;
    cfa_jw_reset(&jw);
    cfa_jw_obj_begin(&jw, NULL);
    if (which <= 14) {
        per_line(buf, n, which, &jw);
    } else if (which == 15) {
        struct cfa_stat st;
        if (cfa_parse_stat(buf, n, &st) == 0)
            emit(&jw, st.comm);
    } else if (which == 16) {
        struct cfa_status st;
        if (cfa_parse_status(buf, n, &st) == 0)
            emit(&jw, st.name);
    } else if (which == 17) {
        for (i = 0; i + CFA_UTMP_SIZE <= n; i += CFA_UTMP_SIZE) {
            struct cfa_utmp u;
            char addr[64];
            if (cfa_parse_utmp((const uint8_t *)buf + i, CFA_UTMP_SIZE, &u) == 0) {
                emit(&jw, u.user);
                emit(&jw, u.host);
                cfa_format_addr(u.addr, u.addr_v6, addr, sizeof(addr));
            }
        }
    } else if (which == 18 || which == 19) {
        /* kcore headers, then LiME planning against RAM ranges from the same bytes */
        struct cfa_kseg segs[64];
        struct cfa_range ram[64];
        struct cfa_lime_range plan[256];
        size_t nram = 0, nplan;
        if (cfa_parse_kcore((const uint8_t *)buf, n, segs, 64, &count) == 0) {
            (void)cfa_parse_iomem_ram(buf, n, ram, 64, &nram);
            if (which == 19 && n >= 16) {
                memcpy(&ram[0].start, buf, 8);
                memcpy(&ram[0].end, buf + 8, 8);
                nram = nram ? nram : 1;
            }
            (void)cfa_lime_plan(ram, nram, segs, count, plan, 256, &nplan);
        }
    } else if (which == 20) {
        struct cfa_range ram[64];
        (void)cfa_parse_iomem_ram(buf, n, ram, 64, &count);
    } else if (which == 21) {
        int status;
        struct cfa_span body, v;
        if (cfa_parse_http_response(buf, n, &status, &body) == 0 &&
            cfa_json_find_string(body.p, body.n, "instanceId", &v) == 0)
            emit(&jw, v);
    } else if (which == 22) {
        uint64_t ino;
        (void)cfa_parse_bracket_inode(buf, n, "socket:", &ino);
        (void)cfa_parse_bracket_inode(buf, n, "net:", &ino);
        if (n >= 8) {
            uint64_t mask;
            memcpy(&mask, buf, 8);
            cfa_taint_letters(mask, letters, sizeof(letters));
            cfa_jw_cstr(&jw, "t", letters);
        }
    } else {
        cfa_jw_str(&jw, "raw", buf, n);
    }
    cfa_jw_obj_end(&jw);
    cfa_jw_release(&jw);
    return 0;
}
