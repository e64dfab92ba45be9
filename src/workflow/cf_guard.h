/* cf_guard: addresses and the guardrails of DESIGN §3.5.
 *
 *   - never deny an allow-listed address, an address inside the VPC's CIDRs, or a range so broad
 *     that denying it would cut off much more than an attacker (shorter than /24 in IPv4, /48 in
 *     IPv6), nor special ranges (unspecified, loopback, link-local, multicast, broadcast);
 *   - never isolate an instance carrying the protected tag unless explicitly overridden;
 *   - network ACL rule numbers only inside the configured range and below every existing allow
 *     rule of that direction, existing entries never touched, a full ACL said clearly.
 */
#ifndef CF_GUARD_H
#define CF_GUARD_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cf_cidr {
    int family; /* 4 or 6 */
    uint8_t addr[16];
    int prefix;
} cf_cidr;

#define CF_CIDR_STR_MAX 64

/* "203.0.113.7", "203.0.113.0/24", "2001:db8::1", "2001:db8::/32". Host bits are cleared.
 * CF_EINVAL on anything else (no leading/trailing spaces, no zone ids). */
int cf_cidr_parse(const char *text, cf_cidr *out);
/* Canonical text with the prefix: "203.0.113.7/32", "2001:db8::1/128". */
void cf_cidr_format(const cf_cidr *c, char out[CF_CIDR_STR_MAX]);
/* 1 when inner lies entirely inside outer (same family), else 0. */
int cf_cidr_contains(const cf_cidr *outer, const cf_cidr *inner);
/* 1 when the two ranges share any address. */
int cf_cidr_overlaps(const cf_cidr *a, const cf_cidr *b);
/* Parses a comma-separated list (spaces around items allowed, empty list fine). *out is owned
 * by the caller (free()). At most 1024 items. */
int cf_cidr_list_parse(const char *csv, cf_cidr **out, size_t *n_out);

/* CF_OK when ip may be denied; CF_EGUARD with the reason in reason (cap bytes) when not. */
int cf_guard_check_deny(const cf_cidr *ip, const cf_cidr *allow, size_t n_allow, const cf_cidr *vpc,
                        size_t n_vpc, char *reason, size_t cap);

/* 1 when tags (EC2 [{"Key":..,"Value":..}] array, or NULL) carry spec ("KEY=VALUE" or "KEY",
 * the latter matching any value); 0 otherwise. An empty spec matches nothing. */
int cf_guard_is_protected(json_t *tags, const char *spec);

/* One network ACL entry as DescribeNetworkAcls shows it. */
typedef struct cf_acl_entry {
    int rule;   /* 1..32766, 32767 = the default '*' rule */
    int egress; /* 0 inbound, 1 outbound */
    int allow;  /* 1 allow, 0 deny */
    int has_cidr;
    cf_cidr cidr;
} cf_acl_entry;

/* Finds the rule number of an existing deny entry for exactly this CIDR and direction: returns
 * the rule number, or 0 when there is none. */
int cf_guard_acl_find_deny(const cf_acl_entry *e, size_t n, int egress, const cf_cidr *cidr);
/* Picks the lowest free rule number in [min, max] for a direction, below every existing allow
 * rule of that direction (so the deny is evaluated first). CF_ETOOBIG with a clear message when
 * the ACL has max_entries rules in that direction already or no number is free. */
int cf_guard_acl_pick(const cf_acl_entry *e, size_t n, int egress, int min, int max,
                      int max_entries, int *rule_out);

#endif
