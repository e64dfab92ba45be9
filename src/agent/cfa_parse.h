/* Pure parsers for the files casefile-agent reads (/proc, /sys, utmp, ELF core headers).
 *
 * Every parser takes a buffer and its length (not NUL-terminated), never reads outside it,
 * returns 0 on success and -1 when the input is malformed, and fills a struct whose string
 * fields are spans pointing into the input. Nothing here does I/O, so the fuzz target
 * (fuzz/agent) drives every one of them directly. */
#ifndef CFA_PARSE_H
#define CFA_PARSE_H

#include <stddef.h>
#include <stdint.h>

struct cfa_span {
    const char *p;
    size_t n;
};

/* Splits the next line off [*pos, end); returns 1 and the line (without '\n'), or 0 at end. */
int cfa_next_line(const char **pos, const char *end, struct cfa_span *line);
/* Splits a line into whitespace-separated fields; returns how many (at most max). */
int cfa_fields(struct cfa_span line, struct cfa_span *f, int max);
/* Strict unsigned parse of a whole span in base 10 or 16; -1 on junk or overflow. */
int cfa_span_u64(struct cfa_span s, int base, uint64_t *out);
int cfa_span_i64(struct cfa_span s, int64_t *out);
int cfa_span_eq(struct cfa_span s, const char *lit);
struct cfa_span cfa_span_trim(struct cfa_span s);

/* /proc/<pid>/stat. comm is the text between the first '(' and the LAST ')'. */
struct cfa_stat {
    struct cfa_span comm;
    char state;
    int64_t ppid, pgrp, session, tty_nr;
    uint64_t flags, starttime, vsize;
    int64_t rss_pages, num_threads;
};
#define CFA_PF_KTHREAD 0x00200000u /* stat flags: a kernel thread (no user memory or files) */
int cfa_parse_stat(const char *buf, size_t n, struct cfa_stat *st);

/* /proc/<pid>/status (the keys casefile uses). have_* say which were present. */
struct cfa_status {
    struct cfa_span name;
    int64_t tgid, pid, ppid, threads, vmrss_kb;
    uint32_t uid[4], gid[4];
    int have_uid, have_gid, have_tgid, have_threads, have_vmrss, have_name;
};
int cfa_parse_status(const char *buf, size_t n, struct cfa_status *st);

/* One line of /proc/<pid>/maps. path is empty for anonymous mappings; deleted is set when the
 * path ends in " (deleted)" (which is then cut from path). */
struct cfa_map {
    uint64_t start, end, offset, inode;
    char perms[5];
    unsigned dev_major, dev_minor;
    struct cfa_span path;
    int deleted;
};
int cfa_parse_maps_line(struct cfa_span line, struct cfa_map *m);

/* One line of /proc/net/{tcp,udp,raw}{,6}. Addresses are decoded from the kernel's
 * per-32-bit-word host byte order into network order (addr[0..4) for IPv4). */
struct cfa_inet {
    uint8_t local[16], remote[16];
    int v6;
    unsigned lport, rport;
    int state;
    uint32_t uid;
    uint64_t inode;
};
int cfa_parse_inet_line(struct cfa_span line, int v6, struct cfa_inet *s);
/* Text form of an address (inet_ntop); out must hold 46 bytes. */
void cfa_format_addr(const uint8_t *addr, int v6, char *out, size_t outlen);
/* "ESTABLISHED", "LISTEN", ... for TCP states; UDP/raw use "UNCONN" for 7 (TCP_CLOSE). */
const char *cfa_tcp_state_name(int state, int is_tcp);

/* One line of /proc/net/unix: Num RefCount Protocol Flags Type St Inode [Path] */
struct cfa_unix {
    uint32_t flags;
    int type, state;
    uint64_t inode;
    struct cfa_span path;
};
int cfa_parse_unix_line(struct cfa_span line, struct cfa_unix *u);
const char *cfa_unix_type_name(int type);
const char *cfa_unix_state_name(int state);

/* One line of /proc/net/packet: sk RefCnt Type Proto Iface R Rmem User Inode */
struct cfa_packet {
    int type, iface;
    unsigned proto;
    uint32_t uid;
    uint64_t inode;
};
int cfa_parse_packet_line(struct cfa_span line, struct cfa_packet *pk);

/* One line of mountinfo. Octal escapes (\040) are decoded into scratch; the spans point there. */
struct cfa_mountinfo {
    uint64_t id, parent;
    unsigned major, minor;
    struct cfa_span root, mount_point, options, fstype, source, super_options;
};
int cfa_parse_mountinfo_line(struct cfa_span line, struct cfa_mountinfo *m, char *scratch,
                             size_t scratch_len);

/* One line of /proc/modules: name size refcount deps state address [(taint)] */
struct cfa_module {
    struct cfa_span name, deps, state, taint, address;
    uint64_t size;
    int64_t refcount;
};
int cfa_parse_modules_line(struct cfa_span line, struct cfa_module *m);

/* Kernel taint bits as the letters the kernel prints (P, F, ... ) into out (>= 32 bytes). */
void cfa_taint_letters(uint64_t mask, char *out, size_t outlen);

/* utmp/wtmp record: the glibc layout on 64-bit Linux (x86_64, aarch64): 384 bytes. */
#define CFA_UTMP_SIZE 384
struct cfa_utmp {
    int type;
    int32_t pid, session;
    struct cfa_span line, id, user, host; /* NUL-trimmed, inside the record */
    int64_t tv_sec, tv_usec;
    uint8_t addr[16];
    int addr_v6; /* addr[4..16) non-zero */
};
int cfa_parse_utmp(const uint8_t *rec, size_t n, struct cfa_utmp *u);
const char *cfa_utmp_type_name(int type);

/* One line of /proc/iomem: "  start-end : name"; depth = leading spaces / 2. */
struct cfa_iomem {
    uint64_t start, end;
    int depth;
    struct cfa_span name;
};
int cfa_parse_iomem_line(struct cfa_span line, struct cfa_iomem *r);

/* ELF64 little-endian core header (/proc/kcore): the PT_LOAD segments. buf holds the start of
 * the file (at least through the program headers). */
struct cfa_kseg {
    uint64_t vaddr, paddr, offset, filesz, memsz;
};
int cfa_parse_kcore(const uint8_t *buf, size_t n, struct cfa_kseg *segs, size_t max, size_t *count);

/* Physical ranges, end inclusive. */
struct cfa_range {
    uint64_t start, end;
};
/* The top-level "System RAM" ranges of an /proc/iomem text (nested entries are skipped). */
int cfa_parse_iomem_ram(const char *buf, size_t n, struct cfa_range *out, size_t max,
                        size_t *count);
/* LiME planning as AVML does it: each RAM range is intersected with the kcore PT_LOAD
 * segments by physical address (p_paddr); every intersection becomes one LiME range whose
 * bytes are at file_offset in /proc/kcore. Segments without a physical address (p_paddr 0 or
 * all ones, e.g. vmalloc/modules) are ignored. Ranges come out sorted by address. */
struct cfa_lime_range {
    uint64_t start, end, file_offset;
};
int cfa_lime_plan(const struct cfa_range *ram, size_t nram, const struct cfa_kseg *segs,
                  size_t nsegs, struct cfa_lime_range *out, size_t max, size_t *count);

/* /proc/net/route (IPv4, hex words in host order): Iface Destination Gateway Flags RefCnt Use
 * Metric Mask MTU Window IRTT */
struct cfa_route {
    struct cfa_span iface;
    uint8_t dest[4], gateway[4], mask[4];
    unsigned flags;
    int64_t metric;
};
int cfa_parse_route_line(struct cfa_span line, struct cfa_route *r);

/* /proc/net/ipv6_route: dest dlen src slen next_hop metric refcnt use flags iface */
struct cfa_route6 {
    uint8_t dest[16], src[16], next_hop[16];
    unsigned dest_len, src_len, flags;
    uint64_t metric;
    struct cfa_span iface;
};
int cfa_parse_ipv6_route_line(struct cfa_span line, struct cfa_route6 *r);

/* /proc/net/arp: IP HWtype Flags HWaddress Mask Device */
struct cfa_arp {
    struct cfa_span ip, hw_type, flags, mac, mask, device;
};
int cfa_parse_arp_line(struct cfa_span line, struct cfa_arp *a);

/* /proc/net/if_inet6: addr ifindex prefixlen scope flags name */
struct cfa_inet6_addr {
    uint8_t addr[16];
    unsigned ifindex, prefix_len, scope, flags;
    struct cfa_span name;
};
int cfa_parse_if_inet6_line(struct cfa_span line, struct cfa_inet6_addr *a);

/* /proc/net/dev: "name: rx_bytes rx_packets rx_errs rx_drop ... tx_bytes tx_packets ..." */
struct cfa_netdev {
    struct cfa_span name;
    uint64_t rx_bytes, rx_packets, tx_bytes, tx_packets;
};
int cfa_parse_netdev_line(struct cfa_span line, struct cfa_netdev *d);

/* /etc/passwd: name:pw:uid:gid:gecos:home:shell */
struct cfa_passwd {
    struct cfa_span name, home, shell;
    uint32_t uid, gid;
};
int cfa_parse_passwd_line(struct cfa_span line, struct cfa_passwd *p);

/* KEY=value (os-release); value unquoted ("..." or '...'). */
int cfa_parse_kv_line(struct cfa_span line, struct cfa_span *key, struct cfa_span *value);

/* HTTP/1.x response: status code and body (after the blank line). Content-Length honoured
 * when present (the body is cut to it). */
int cfa_parse_http_response(const char *buf, size_t n, int *status, struct cfa_span *body);
/* The string value of a top-level "key" in a flat JSON object (no unescaping beyond \" and
 * \\ ; other escapes are kept as written). -1 when absent or malformed. */
int cfa_json_find_string(const char *buf, size_t n, const char *key, struct cfa_span *value);

/* The inode inside "socket:[123]" (or "net:[4026531992]" with prefix "net:"); -1 otherwise. */
int cfa_parse_bracket_inode(const char *s, size_t n, const char *prefix, uint64_t *inode);

#endif
