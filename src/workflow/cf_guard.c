#include "workflow/cf_guard.h"
#include "common/cf_error.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void mask_host_bits(cf_cidr *c)
{
    int bytes = c->family == 4 ? 4 : 16;
    for (int i = 0; i < bytes; i++) {
        int bit0 = i * 8;
        if (bit0 >= c->prefix)
            c->addr[i] = 0;
        else if (bit0 + 8 > c->prefix)
            c->addr[i] &= (uint8_t)(0xff << (8 - (c->prefix - bit0)));
    }
}

int cf_cidr_parse(const char *text, cf_cidr *out)
{
    char buf[CF_CIDR_STR_MAX];
    const char *slash;
    size_t n;
    memset(out, 0, sizeof(*out));
    if (!text || (n = strlen(text)) == 0 || n >= sizeof(buf))
        return cf_error_set(CF_EINVAL, "not an IP address or CIDR: '%.80s'", text ? text : "");
    memcpy(buf, text, n + 1);
    slash = strchr(buf, '/');
    if (slash)
        buf[slash - buf] = '\0';
    if (inet_pton(AF_INET, buf, out->addr) == 1) {
        out->family = 4;
        out->prefix = 32;
    } else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
        out->family = 6;
        out->prefix = 128;
    } else {
        return cf_error_set(CF_EINVAL, "not an IP address or CIDR: '%.80s'", text);
    }
    if (slash) {
        const char *p = text + (slash - buf) + 1;
        int v = 0;
        if (!*p || strlen(p) > 3)
            return cf_error_set(CF_EINVAL, "bad prefix length in '%.80s'", text);
        for (; *p; p++) {
            if (*p < '0' || *p > '9')
                return cf_error_set(CF_EINVAL, "bad prefix length in '%.80s'", text);
            v = v * 10 + (*p - '0');
        }
        if (v > (out->family == 4 ? 32 : 128))
            return cf_error_set(CF_EINVAL, "prefix length too long in '%.80s'", text);
        out->prefix = v;
    }
    mask_host_bits(out);
    return CF_OK;
}

void cf_cidr_format(const cf_cidr *c, char out[CF_CIDR_STR_MAX])
{
    char a[INET6_ADDRSTRLEN] = "?";
    inet_ntop(c->family == 4 ? AF_INET : AF_INET6, c->addr, a, sizeof(a));
    snprintf(out, CF_CIDR_STR_MAX, "%s/%d", a, c->prefix);
}

static int prefix_match(const uint8_t *a, const uint8_t *b, int bits)
{
    int full = bits / 8, rest = bits % 8;
    if (memcmp(a, b, (size_t)full))
        return 0;
    if (rest) {
        uint8_t m = (uint8_t)(0xff << (8 - rest));
        if ((a[full] & m) != (b[full] & m))
            return 0;
    }
    return 1;
}

int cf_cidr_contains(const cf_cidr *outer, const cf_cidr *inner)
{
    if (outer->family != inner->family || inner->prefix < outer->prefix)
        return 0;
    return prefix_match(outer->addr, inner->addr, outer->prefix);
}

int cf_cidr_overlaps(const cf_cidr *a, const cf_cidr *b)
{
    if (a->family != b->family)
        return 0;
    return prefix_match(a->addr, b->addr, a->prefix < b->prefix ? a->prefix : b->prefix);
}

int cf_cidr_list_parse(const char *csv, cf_cidr **out, size_t *n_out)
{
    cf_cidr *list = NULL;
    size_t n = 0;
    const char *p = csv;
    int rc = CF_OK;
    *out = NULL;
    *n_out = 0;
    while (p && *p) {
        char item[CF_CIDR_STR_MAX];
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        while (len && (*p == ' ' || *p == '\t')) {
            p++;
            len--;
        }
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len) {
            cf_cidr *grown;
            if (len >= sizeof(item)) {
                rc = cf_error_set(CF_EINVAL, "CIDR list item too long");
                goto cleanup;
            }
            if (n >= 1024) {
                rc = cf_error_set(CF_ETOOBIG, "more than 1024 CIDRs in a list");
                goto cleanup;
            }
            memcpy(item, p, len);
            item[len] = '\0';
            grown = realloc(list, (n + 1) * sizeof(*list));
            if (!grown) {
                rc = cf_error_set(CF_ENOMEM, "out of memory");
                goto cleanup;
            }
            list = grown;
            if ((rc = cf_cidr_parse(item, &list[n])))
                goto cleanup;
            n++;
        }
        p = end ? end + 1 : NULL;
    }
    *out = list;
    *n_out = n;
    list = NULL;
cleanup:
    free(list);
    return rc;
}

static const struct special {
    const char *cidr;
    const char *why;
} specials[] = {
    {"0.0.0.0/8", "the unspecified/\"this network\" range"},
    {"127.0.0.0/8", "loopback"},
    {"169.254.0.0/16", "link-local (instance metadata, DNS, NTP)"},
    {"224.0.0.0/4", "multicast"},
    {"240.0.0.0/4", "reserved/broadcast"},
    {"::/128", "the unspecified address"},
    {"::1/128", "loopback"},
    {"fe80::/10", "link-local"},
    {"ff00::/8", "multicast"},
};

int cf_guard_check_deny(const cf_cidr *ip, const cf_cidr *allow, size_t n_allow, const cf_cidr *vpc,
                        size_t n_vpc, char *reason, size_t cap)
{
    char txt[CF_CIDR_STR_MAX], other[CF_CIDR_STR_MAX];
    cf_cidr_format(ip, txt);
    if ((ip->family == 4 && ip->prefix < 24) || (ip->family == 6 && ip->prefix < 48)) {
        snprintf(reason, cap, "%s is too broad to deny (shorter than /%d)", txt,
                 ip->family == 4 ? 24 : 48);
        return CF_EGUARD;
    }
    for (size_t i = 0; i < sizeof(specials) / sizeof(specials[0]); i++) {
        cf_cidr s;
        if (cf_cidr_parse(specials[i].cidr, &s) == CF_OK && cf_cidr_overlaps(&s, ip)) {
            snprintf(reason, cap, "%s is %s", txt, specials[i].why);
            return CF_EGUARD;
        }
    }
    for (size_t i = 0; i < n_allow; i++) {
        if (cf_cidr_overlaps(&allow[i], ip)) {
            cf_cidr_format(&allow[i], other);
            snprintf(reason, cap, "%s is allow-listed (%s)", txt, other);
            return CF_EGUARD;
        }
    }
    for (size_t i = 0; i < n_vpc; i++) {
        if (cf_cidr_overlaps(&vpc[i], ip)) {
            cf_cidr_format(&vpc[i], other);
            snprintf(reason, cap, "%s is inside the VPC (%s)", txt, other);
            return CF_EGUARD;
        }
    }
    return CF_OK;
}

int cf_guard_is_protected(json_t *tags, const char *spec)
{
    const char *eq;
    size_t klen, i;
    json_t *t;
    if (!spec || !*spec || !json_is_array(tags))
        return 0;
    eq = strchr(spec, '=');
    klen = eq ? (size_t)(eq - spec) : strlen(spec);
    json_array_foreach(tags, i, t)
    {
        const char *k = json_string_value(json_object_get(t, "Key"));
        const char *v = json_string_value(json_object_get(t, "Value"));
        if (!k || strlen(k) != klen || strncmp(k, spec, klen))
            continue;
        if (!eq)
            return 1;
        if (v && !strcasecmp(v, eq + 1))
            return 1;
    }
    return 0;
}

int cf_guard_acl_find_deny(const cf_acl_entry *e, size_t n, int egress, const cf_cidr *cidr)
{
    for (size_t i = 0; i < n; i++) {
        if (e[i].egress == !!egress && !e[i].allow && e[i].has_cidr &&
            e[i].cidr.family == cidr->family && e[i].cidr.prefix == cidr->prefix &&
            !memcmp(e[i].cidr.addr, cidr->addr, sizeof(cidr->addr)) && e[i].rule != 32767)
            return e[i].rule;
    }
    return 0;
}

int cf_guard_acl_pick(const cf_acl_entry *e, size_t n, int egress, int min, int max,
                      int max_entries, int *rule_out)
{
    int count = 0, lowest_allow = 32767;
    const char *dir = egress ? "outbound" : "inbound";
    *rule_out = 0;
    for (size_t i = 0; i < n; i++) {
        if (e[i].egress != !!egress || e[i].rule >= 32767)
            continue;
        count++;
        if (e[i].allow && e[i].rule < lowest_allow)
            lowest_allow = e[i].rule;
    }
    if (count >= max_entries)
        return cf_error_set(CF_ETOOBIG,
                            "network ACL is full: %d %s rules (quota %d); the attacker is NOT "
                            "denied in this direction",
                            count, dir, max_entries);
    for (int r = min; r <= max && r < lowest_allow; r++) {
        int used = 0;
        for (size_t i = 0; i < n && !used; i++)
            used = e[i].egress == !!egress && e[i].rule == r;
        if (!used) {
            *rule_out = r;
            return CF_OK;
        }
    }
    return cf_error_set(CF_ETOOBIG,
                        "network ACL is full: no free %s rule number in %d..%d below the lowest "
                        "allow rule %d; the attacker is NOT denied in this direction",
                        dir, min, max, lowest_allow);
}
