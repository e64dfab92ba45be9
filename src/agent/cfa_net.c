/* sockets (every network namespace, owners from the fd walk), interfaces, routes, arp. */
#include "cfa_collect.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct inet_src {
    const char *file, *proto, *family;
    int v6, tcp;
};

static const struct inet_src INET_SRCS[] = {
    {"tcp", "tcp", "inet", 0, 1}, {"tcp6", "tcp6", "inet6", 1, 1},
    {"udp", "udp", "inet", 0, 0}, {"udp6", "udp6", "inet6", 1, 0},
    {"raw", "raw", "inet", 0, 0}, {"raw6", "raw6", "inet6", 1, 0},
};

static void owner_fields(struct cfa_ctx *c, uint64_t inode)
{
    const struct cfa_owner *o = cfa_owner_get(c, inode);
    if (o) {
        cfa_jw_int(&c->jw, "pid", o->pid);
        cfa_jw_int(&c->jw, "fd", o->fd);
    }
}

/* Opens <root>/proc/<pid>/net/<file> (pid 0: <root>/proc/net/<file>). */
static int open_net(struct cfa_ctx *c, int32_t pid, const char *file, struct cfa_lr *lr, char *src,
                    size_t srclen)
{
    char path[4096];
    if (pid > 0)
        snprintf(src, srclen, "/proc/%d/net/%s", pid, file);
    else
        snprintf(src, srclen, "/proc/net/%s", file);
    if (cfa_path(c, path, sizeof(path), "%s", src) < 0)
        return -ENAMETOOLONG;
    return cfa_lr_open(lr, AT_FDCWD, path);
}

/* Writes the fields of one socket from a line of /proc/net/<file> into c->jw (an open object),
 * its inode last, and sets *inode; -1 (nothing meaningful written) when the line does not parse. */
typedef int (*net_row_fn)(struct cfa_ctx *c, struct cfa_span line, const void *arg,
                          uint64_t *inode);

/* One table of /proc/net: every parsed line becomes a `sockets` row with its owner and netns.
 * The first line is the header; later lines that do not parse are counted and reported. */
static void read_net(struct cfa_ctx *c, struct cfa_file *t, int32_t pid, uint64_t netns,
                     const char *file, net_row_fn row, const void *arg)
{
    struct cfa_lr lr;
    struct cfa_span line;
    char src[96];
    int rc = open_net(c, pid, file, &lr, src, sizeof(src)), first = 1;
    size_t bad = 0;
    if (rc < 0) {
        if (rc != -ENOENT)
            cfa_bundle_errno(c->b, src, -rc);
        return;
    }
    while ((rc = cfa_lr_next(&lr, &line)) == 1) {
        uint64_t inode = 0;
        cfa_jw_reset(&c->jw);
        cfa_jw_obj_begin(&c->jw, NULL);
        if (row(c, line, arg, &inode) < 0) {
            if (!first)
                bad++;
            first = 0;
            continue;
        }
        first = 0;
        owner_fields(c, inode);
        if (netns)
            cfa_jw_uint(&c->jw, "netns", netns);
        cfa_jw_obj_end(&c->jw);
        cfa_table_emit(t, &c->jw, "sockets");
    }
    if (rc < 0)
        cfa_bundle_errno(c->b, src, -rc);
    if (bad || lr.dropped)
        cfa_bundle_error(c->b, src, "malformed lines skipped");
    cfa_lr_close(&lr);
}

static int inet_row(struct cfa_ctx *c, struct cfa_span line, const void *arg, uint64_t *inode)
{
    const struct inet_src *s = arg;
    struct cfa_inet in;
    char addr[64];
    if (cfa_parse_inet_line(line, s->v6, &in) < 0)
        return -1;
    cfa_jw_cstr(&c->jw, "proto", s->proto);
    cfa_jw_cstr(&c->jw, "family", s->family);
    cfa_format_addr(in.local, s->v6, addr, sizeof(addr));
    cfa_jw_cstr(&c->jw, "local_addr", addr);
    cfa_jw_uint(&c->jw, "local_port", in.lport);
    cfa_format_addr(in.remote, s->v6, addr, sizeof(addr));
    cfa_jw_cstr(&c->jw, "remote_addr", addr);
    cfa_jw_uint(&c->jw, "remote_port", in.rport);
    cfa_jw_cstr(&c->jw, "state", cfa_tcp_state_name(in.state, s->tcp));
    cfa_jw_uint(&c->jw, "uid", in.uid);
    cfa_jw_cstr(&c->jw, "user", cfa_user_name(c, in.uid));
    cfa_jw_uint(&c->jw, "inode", in.inode);
    *inode = in.inode;
    return 0;
}

static int unix_row(struct cfa_ctx *c, struct cfa_span line, const void *arg, uint64_t *inode)
{
    struct cfa_unix u;
    (void)arg;
    if (cfa_parse_unix_line(line, &u) < 0)
        return -1;
    cfa_jw_cstr(&c->jw, "proto", "unix");
    cfa_jw_cstr(&c->jw, "family", "unix");
    cfa_jw_cstr(&c->jw, "type", cfa_unix_type_name(u.type));
    cfa_jw_cstr(&c->jw, "state", u.flags & (1u << 16) ? "LISTEN" : cfa_unix_state_name(u.state));
    cfa_jw_uint(&c->jw, "inode", u.inode);
    if (u.path.n)
        cfa_jw_str(&c->jw, "path", u.path.p, u.path.n);
    *inode = u.inode;
    return 0;
}

/* AF_PACKET sockets see every frame on an interface: sniffers and "magic packet" backdoors. */
static int packet_row(struct cfa_ctx *c, struct cfa_span line, const void *arg, uint64_t *inode)
{
    struct cfa_packet pk;
    (void)arg;
    if (cfa_parse_packet_line(line, &pk) < 0)
        return -1;
    cfa_jw_cstr(&c->jw, "proto", "packet");
    cfa_jw_cstr(&c->jw, "family", "packet");
    cfa_jw_cstr(&c->jw, "type", pk.type == 3 ? "RAW" : pk.type == 2 ? "DGRAM" : "OTHER");
    cfa_jw_strf(&c->jw, "ether_proto", "0x%04x", pk.proto);
    cfa_jw_int(&c->jw, "ifindex", pk.iface);
    cfa_jw_uint(&c->jw, "uid", pk.uid);
    cfa_jw_cstr(&c->jw, "user", cfa_user_name(c, pk.uid));
    cfa_jw_uint(&c->jw, "inode", pk.inode);
    *inode = pk.inode;
    return 0;
}

static uint64_t default_netns(struct cfa_ctx *c)
{
    char path[4096], link[128];
    uint64_t ino;
    ssize_t n;
    const char *cands[] = {"/proc/self/ns/net", "/proc/1/ns/net"};
    size_t i;
    for (i = 0; i < 2; i++) {
        if (cfa_path(c, path, sizeof(path), "%s", cands[i]) < 0)
            continue;
        n = readlink(path, link, sizeof(link) - 1);
        if (n <= 0)
            continue;
        if (cfa_parse_bracket_inode(link, (size_t)n, "net:", &ino) == 0)
            return ino;
    }
    return 0;
}

int cfa_collect_sockets(struct cfa_ctx *c)
{
    struct cfa_file t;
    uint64_t def = default_netns(c);
    size_t i, k;
    if (cfa_file_open(c->b, "sockets.jsonl", &t) < 0) {
        cfa_bundle_errno(c->b, "sockets.jsonl", errno);
        return -1;
    }
    /* the agent's own namespace through /proc/net, then one process of every other one */
    for (i = 0; i <= c->nnetns; i++) {
        int32_t pid = 0;
        uint64_t ns = def;
        if (i > 0) {
            if (c->netns[i - 1].inode == def)
                continue;
            pid = c->netns[i - 1].pid;
            ns = c->netns[i - 1].inode;
        }
        for (k = 0; k < sizeof(INET_SRCS) / sizeof(INET_SRCS[0]); k++)
            read_net(c, &t, pid, ns, INET_SRCS[k].file, inet_row, &INET_SRCS[k]);
        read_net(c, &t, pid, ns, "unix", unix_row, NULL);
        read_net(c, &t, pid, ns, "packet", packet_row, NULL);
    }
    return cfa_file_close(&t, 1, NULL);
}

/* ---- interfaces, routes, arp ---- */

static void sys_attr(struct cfa_ctx *c, const char *ifname, const char *attr, const char *key,
                     int numeric)
{
    char path[4096];
    struct cfa_span v;
    uint64_t u;
    if (cfa_path(c, path, sizeof(path), "/sys/class/net/%s/%s", ifname, attr) < 0 ||
        cfa_slurp(path, &c->rb2, 4096) < 0)
        return;
    v = cfa_span_trim((struct cfa_span){c->rb2.p, c->rb2.len});
    if (!v.n)
        return;
    if (numeric && cfa_span_u64(v, 10, &u) == 0)
        cfa_jw_uint(&c->jw, key, u);
    else if (!numeric)
        cfa_jw_str(&c->jw, key, v.p, v.n);
}

static void interface_addrs(struct cfa_ctx *c, const char *ifname, struct ifaddrs *ifa)
{
    char path[4096], addr[64];
    struct cfa_lr lr;
    struct cfa_span line;
    cfa_jw_arr_begin(&c->jw, "addresses");
    for (; ifa; ifa = ifa->ifa_next) {
        int prefix = 0;
        uint32_t m;
        if (!ifa->ifa_addr || ifa->ifa_addr->sa_family != AF_INET || !ifa->ifa_name ||
            strcmp(ifa->ifa_name, ifname) != 0)
            continue;
        inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)ifa->ifa_addr)->sin_addr, addr,
                  sizeof(addr));
        if (ifa->ifa_netmask) {
            m = ntohl(((struct sockaddr_in *)(void *)ifa->ifa_netmask)->sin_addr.s_addr);
            while (m & 0x80000000u) {
                prefix++;
                m <<= 1;
            }
        }
        cfa_jw_strf(&c->jw, NULL, "%s/%d", addr, prefix);
    }
    if (cfa_path(c, path, sizeof(path), "/proc/net/if_inet6") == 0 &&
        cfa_lr_open(&lr, AT_FDCWD, path) == 0) {
        while (cfa_lr_next(&lr, &line) == 1) {
            struct cfa_inet6_addr a;
            if (cfa_parse_if_inet6_line(line, &a) < 0 || !cfa_span_eq(a.name, ifname))
                continue;
            inet_ntop(AF_INET6, a.addr, addr, sizeof(addr));
            cfa_jw_strf(&c->jw, NULL, "%s/%u", addr, a.prefix_len);
        }
        cfa_lr_close(&lr);
    }
    cfa_jw_arr_end(&c->jw);
}

static void collect_interfaces(struct cfa_ctx *c)
{
    struct cfa_file t;
    struct cfa_lr lr;
    struct cfa_span line;
    struct ifaddrs *ifa = NULL;
    char path[4096], name[64];
    int rc;
    if (cfa_file_open(c->b, "interfaces.jsonl", &t) < 0) {
        cfa_bundle_errno(c->b, "interfaces.jsonl", errno);
        return;
    }
    rc = cfa_path(c, path, sizeof(path), "/proc/net/dev") < 0 ? -ENAMETOOLONG
                                                              : cfa_lr_open(&lr, AT_FDCWD, path);
    if (rc < 0) {
        cfa_bundle_errno(c->b, "/proc/net/dev", -rc);
        cfa_file_close(&t, 1, NULL);
        return;
    }
    if (c->live && getifaddrs(&ifa) < 0)
        ifa = NULL;
    while (cfa_lr_next(&lr, &line) == 1) {
        struct cfa_netdev d;
        if (cfa_parse_netdev_line(line, &d) < 0 || d.name.n >= sizeof(name) ||
            memchr(d.name.p, '/', d.name.n) || cfa_span_eq(d.name, "..") ||
            cfa_span_eq(d.name, "."))
            continue;
        memcpy(name, d.name.p, d.name.n);
        name[d.name.n] = '\0';
        cfa_jw_reset(&c->jw);
        cfa_jw_obj_begin(&c->jw, NULL);
        cfa_jw_cstr(&c->jw, "name", name);
        sys_attr(c, name, "address", "mac", 0);
        sys_attr(c, name, "mtu", "mtu", 1);
        sys_attr(c, name, "operstate", "state", 0);
        sys_attr(c, name, "ifindex", "ifindex", 1);
        sys_attr(c, name, "flags", "flags", 0);
        interface_addrs(c, name, ifa);
        cfa_jw_uint(&c->jw, "rx_bytes", d.rx_bytes);
        cfa_jw_uint(&c->jw, "rx_packets", d.rx_packets);
        cfa_jw_uint(&c->jw, "tx_bytes", d.tx_bytes);
        cfa_jw_uint(&c->jw, "tx_packets", d.tx_packets);
        cfa_jw_obj_end(&c->jw);
        cfa_table_emit(&t, &c->jw, "interfaces");
    }
    if (ifa)
        freeifaddrs(ifa);
    cfa_lr_close(&lr);
    cfa_file_close(&t, 1, NULL);
}

static int mask_prefix(const uint8_t m[4])
{
    uint32_t v = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
    int p = 0;
    while (v & 0x80000000u) {
        p++;
        v <<= 1;
    }
    return p;
}

static void collect_routes(struct cfa_ctx *c)
{
    struct cfa_file t;
    struct cfa_lr lr;
    struct cfa_span line;
    char path[4096], a[64], g[64];
    if (cfa_file_open(c->b, "routes.jsonl", &t) < 0) {
        cfa_bundle_errno(c->b, "routes.jsonl", errno);
        return;
    }
    if (cfa_path(c, path, sizeof(path), "/proc/net/route") == 0 &&
        cfa_lr_open(&lr, AT_FDCWD, path) == 0) {
        while (cfa_lr_next(&lr, &line) == 1) {
            struct cfa_route r;
            if (cfa_parse_route_line(line, &r) < 0)
                continue;
            inet_ntop(AF_INET, r.dest, a, sizeof(a));
            inet_ntop(AF_INET, r.gateway, g, sizeof(g));
            cfa_jw_reset(&c->jw);
            cfa_jw_obj_begin(&c->jw, NULL);
            cfa_jw_cstr(&c->jw, "family", "inet");
            cfa_jw_str(&c->jw, "iface", r.iface.p, r.iface.n);
            cfa_jw_strf(&c->jw, "destination", "%s/%d", a, mask_prefix(r.mask));
            cfa_jw_cstr(&c->jw, "gateway", g);
            cfa_jw_uint(&c->jw, "flags", r.flags);
            cfa_jw_int(&c->jw, "metric", r.metric);
            cfa_jw_obj_end(&c->jw);
            cfa_table_emit(&t, &c->jw, "routes");
        }
        cfa_lr_close(&lr);
    } else {
        cfa_bundle_errno(c->b, "/proc/net/route", errno);
    }
    if (cfa_path(c, path, sizeof(path), "/proc/net/ipv6_route") == 0 &&
        cfa_lr_open(&lr, AT_FDCWD, path) == 0) {
        while (cfa_lr_next(&lr, &line) == 1) {
            struct cfa_route6 r;
            if (cfa_parse_ipv6_route_line(line, &r) < 0)
                continue;
            inet_ntop(AF_INET6, r.dest, a, sizeof(a));
            inet_ntop(AF_INET6, r.next_hop, g, sizeof(g));
            cfa_jw_reset(&c->jw);
            cfa_jw_obj_begin(&c->jw, NULL);
            cfa_jw_cstr(&c->jw, "family", "inet6");
            cfa_jw_str(&c->jw, "iface", r.iface.p, r.iface.n);
            cfa_jw_strf(&c->jw, "destination", "%s/%u", a, r.dest_len);
            cfa_jw_cstr(&c->jw, "gateway", g);
            cfa_jw_uint(&c->jw, "flags", r.flags);
            cfa_jw_uint(&c->jw, "metric", r.metric);
            cfa_jw_obj_end(&c->jw);
            cfa_table_emit(&t, &c->jw, "routes");
        }
        cfa_lr_close(&lr);
    }
    cfa_file_close(&t, 1, NULL);
}

static void collect_arp(struct cfa_ctx *c)
{
    struct cfa_file t;
    struct cfa_lr lr;
    struct cfa_span line;
    char path[4096];
    if (cfa_file_open(c->b, "arp.jsonl", &t) < 0) {
        cfa_bundle_errno(c->b, "arp.jsonl", errno);
        return;
    }
    if (cfa_path(c, path, sizeof(path), "/proc/net/arp") == 0 &&
        cfa_lr_open(&lr, AT_FDCWD, path) == 0) {
        while (cfa_lr_next(&lr, &line) == 1) {
            struct cfa_arp a;
            if (cfa_parse_arp_line(line, &a) < 0)
                continue;
            cfa_jw_reset(&c->jw);
            cfa_jw_obj_begin(&c->jw, NULL);
            cfa_jw_str(&c->jw, "ip", a.ip.p, a.ip.n);
            cfa_jw_str(&c->jw, "hw_type", a.hw_type.p, a.hw_type.n);
            cfa_jw_str(&c->jw, "flags", a.flags.p, a.flags.n);
            cfa_jw_str(&c->jw, "mac", a.mac.p, a.mac.n);
            cfa_jw_str(&c->jw, "mask", a.mask.p, a.mask.n);
            cfa_jw_str(&c->jw, "device", a.device.p, a.device.n);
            cfa_jw_obj_end(&c->jw);
            cfa_table_emit(&t, &c->jw, "arp");
        }
        cfa_lr_close(&lr);
    } else {
        cfa_bundle_errno(c->b, "/proc/net/arp", errno);
    }
    cfa_file_close(&t, 1, NULL);
}

int cfa_collect_network(struct cfa_ctx *c)
{
    collect_interfaces(c);
    collect_routes(c);
    collect_arp(c);
    return 0;
}
