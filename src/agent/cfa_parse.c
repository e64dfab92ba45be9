#include "cfa_parse.h"

#include <arpa/inet.h>
#include <string.h>

int cfa_next_line(const char **pos, const char *end, struct cfa_span *line)
{
    const char *p = *pos, *nl;
    if (!p || p >= end)
        return 0;
    nl = memchr(p, '\n', (size_t)(end - p));
    line->p = p;
    if (nl) {
        line->n = (size_t)(nl - p);
        *pos = nl + 1;
    } else {
        line->n = (size_t)(end - p);
        *pos = end;
    }
    return 1;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

int cfa_fields(struct cfa_span line, struct cfa_span *f, int max)
{
    size_t i = 0;
    int count = 0;
    while (i < line.n && count < max) {
        size_t start;
        while (i < line.n && is_space(line.p[i]))
            i++;
        if (i >= line.n)
            break;
        start = i;
        while (i < line.n && !is_space(line.p[i]))
            i++;
        f[count].p = line.p + start;
        f[count].n = i - start;
        count++;
    }
    return count;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int cfa_span_u64(struct cfa_span s, int base, uint64_t *out)
{
    uint64_t v = 0;
    size_t i = 0;
    if (base == 16 && s.n > 2 && s.p[0] == '0' && (s.p[1] == 'x' || s.p[1] == 'X'))
        i = 2;
    if (i >= s.n || s.n - i > 32)
        return -1;
    for (; i < s.n; i++) {
        int d = hexval(s.p[i]);
        if (d < 0 || d >= base)
            return -1;
        /* no division per digit: maps lines alone bring ~30 numbers per process */
        if (__builtin_mul_overflow(v, (uint64_t)base, &v) ||
            __builtin_add_overflow(v, (uint64_t)d, &v))
            return -1;
    }
    *out = v;
    return 0;
}

int cfa_span_i64(struct cfa_span s, int64_t *out)
{
    uint64_t v;
    int neg = 0;
    if (s.n && s.p[0] == '-') {
        neg = 1;
        s.p++;
        s.n--;
    }
    if (cfa_span_u64(s, 10, &v) < 0)
        return -1;
    if (neg) {
        if (v > (uint64_t)INT64_MAX + 1)
            return -1;
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    } else {
        if (v > (uint64_t)INT64_MAX)
            return -1;
        *out = (int64_t)v;
    }
    return 0;
}

int cfa_span_eq(struct cfa_span s, const char *lit)
{
    size_t n = strlen(lit);
    return s.n == n && memcmp(s.p, lit, n) == 0;
}

struct cfa_span cfa_span_trim(struct cfa_span s)
{
    while (s.n && (is_space(s.p[0]) || s.p[0] == '\n')) {
        s.p++;
        s.n--;
    }
    while (s.n && (is_space(s.p[s.n - 1]) || s.p[s.n - 1] == '\n'))
        s.n--;
    return s;
}

int cfa_parse_stat(const char *buf, size_t n, struct cfa_stat *st)
{
    const char *open, *close = NULL, *p;
    struct cfa_span rest, f[24];
    int nf;
    size_t i;
    uint64_t u;
    memset(st, 0, sizeof(*st));
    open = memchr(buf, '(', n);
    if (!open)
        return -1;
    for (i = n; i > (size_t)(open - buf); i--) {
        if (buf[i - 1] == ')') {
            close = buf + i - 1;
            break;
        }
    }
    if (!close || close <= open)
        return -1;
    st->comm.p = open + 1;
    st->comm.n = (size_t)(close - open - 1);
    p = close + 1;
    rest.p = p;
    rest.n = (size_t)(buf + n - p);
    /* fields after comm: state(3) ppid pgrp session tty_nr tpgid flags minflt cminflt majflt
     * cmajflt utime stime cutime cstime priority nice num_threads itrealvalue starttime vsize
     * rss */
    nf = cfa_fields(rest, f, 22);
    if (nf < 22 || f[0].n != 1)
        return -1;
    st->state = f[0].p[0];
    if (cfa_span_i64(f[1], &st->ppid) < 0 || cfa_span_i64(f[2], &st->pgrp) < 0 ||
        cfa_span_i64(f[3], &st->session) < 0 || cfa_span_i64(f[4], &st->tty_nr) < 0 ||
        cfa_span_i64(f[17], &st->num_threads) < 0 || cfa_span_u64(f[19], 10, &u) < 0 ||
        cfa_span_u64(f[6], 10, &st->flags) < 0)
        return -1;
    st->starttime = u;
    if (cfa_span_u64(f[20], 10, &st->vsize) < 0 || cfa_span_i64(f[21], &st->rss_pages) < 0)
        return -1;
    return 0;
}

static int parse_ids(struct cfa_span v, uint32_t out[4])
{
    struct cfa_span f[4];
    int i;
    if (cfa_fields(v, f, 4) != 4)
        return -1;
    for (i = 0; i < 4; i++) {
        uint64_t u;
        if (cfa_span_u64(f[i], 10, &u) < 0 || u > UINT32_MAX)
            return -1;
        out[i] = (uint32_t)u;
    }
    return 0;
}

int cfa_parse_status(const char *buf, size_t n, struct cfa_status *st)
{
    const char *pos = buf, *end = buf + n;
    struct cfa_span line;
    memset(st, 0, sizeof(*st));
    while (cfa_next_line(&pos, end, &line)) {
        const char *colon = memchr(line.p, ':', line.n);
        struct cfa_span key, val, f[2];
        if (!colon)
            continue;
        key.p = line.p;
        key.n = (size_t)(colon - line.p);
        val.p = colon + 1;
        val.n = line.n - key.n - 1;
        if (cfa_span_eq(key, "Name")) {
            /* Name is "\t<escaped comm>"; keep it whole (trim the tab) */
            st->name = val;
            if (st->name.n && st->name.p[0] == '\t') {
                st->name.p++;
                st->name.n--;
            }
            st->have_name = 1;
        } else if (cfa_span_eq(key, "Uid")) {
            st->have_uid = parse_ids(val, st->uid) == 0;
        } else if (cfa_span_eq(key, "Gid")) {
            st->have_gid = parse_ids(val, st->gid) == 0;
        } else if (cfa_span_eq(key, "Tgid")) {
            st->have_tgid = cfa_fields(val, f, 1) == 1 && cfa_span_i64(f[0], &st->tgid) == 0;
        } else if (cfa_span_eq(key, "Pid")) {
            if (cfa_fields(val, f, 1) == 1)
                (void)cfa_span_i64(f[0], &st->pid);
        } else if (cfa_span_eq(key, "PPid")) {
            if (cfa_fields(val, f, 1) == 1)
                (void)cfa_span_i64(f[0], &st->ppid);
        } else if (cfa_span_eq(key, "Threads")) {
            st->have_threads = cfa_fields(val, f, 1) == 1 && cfa_span_i64(f[0], &st->threads) == 0;
        } else if (cfa_span_eq(key, "VmRSS")) {
            st->have_vmrss = cfa_fields(val, f, 2) >= 1 && cfa_span_i64(f[0], &st->vmrss_kb) == 0;
        }
    }
    return (st->have_uid || st->have_name || st->have_tgid) ? 0 : -1;
}

static int split2(struct cfa_span s, char sep, struct cfa_span *a, struct cfa_span *b)
{
    const char *c = memchr(s.p, sep, s.n);
    if (!c)
        return -1;
    a->p = s.p;
    a->n = (size_t)(c - s.p);
    b->p = c + 1;
    b->n = s.n - a->n - 1;
    return 0;
}

int cfa_parse_maps_line(struct cfa_span line, struct cfa_map *m)
{
    struct cfa_span f[6], a, b;
    size_t i, field_end;
    int nf;
    uint64_t u;
    static const char del[] = " (deleted)";
    memset(m, 0, sizeof(*m));
    nf = cfa_fields(line, f, 5);
    if (nf < 5)
        return -1;
    if (split2(f[0], '-', &a, &b) < 0 || cfa_span_u64(a, 16, &m->start) < 0 ||
        cfa_span_u64(b, 16, &m->end) < 0)
        return -1;
    if (f[1].n != 4)
        return -1;
    memcpy(m->perms, f[1].p, 4);
    m->perms[4] = '\0';
    if (cfa_span_u64(f[2], 16, &m->offset) < 0)
        return -1;
    if (split2(f[3], ':', &a, &b) < 0 || cfa_span_u64(a, 16, &u) < 0 || u > 0xfffff)
        return -1;
    m->dev_major = (unsigned)u;
    if (cfa_span_u64(b, 16, &u) < 0 || u > 0xfffff)
        return -1;
    m->dev_minor = (unsigned)u;
    if (cfa_span_u64(f[4], 10, &m->inode) < 0)
        return -1;
    /* the path is the rest of the line after the inode and its padding; it may hold spaces */
    field_end = (size_t)(f[4].p + f[4].n - line.p);
    i = field_end;
    while (i < line.n && line.p[i] == ' ')
        i++;
    m->path.p = line.p + i;
    m->path.n = line.n - i;
    if (m->path.n >= sizeof(del) - 1 &&
        memcmp(m->path.p + m->path.n - (sizeof(del) - 1), del, sizeof(del) - 1) == 0) {
        m->deleted = 1;
        m->path.n -= sizeof(del) - 1;
    }
    return 0;
}

static int hex_word_le(const char *p, uint8_t out[4])
{
    uint32_t v = 0;
    int i;
    for (i = 0; i < 8; i++) {
        int d = hexval(p[i]);
        if (d < 0)
            return -1;
        v = v << 4 | (uint32_t)d;
    }
    /* the kernel prints the 32-bit word in host order; on little-endian hosts (x86_64,
     * aarch64) the first address byte is the low byte */
    out[0] = (uint8_t)v;
    out[1] = (uint8_t)(v >> 8);
    out[2] = (uint8_t)(v >> 16);
    out[3] = (uint8_t)(v >> 24);
    return 0;
}

static int parse_inet_addr(struct cfa_span s, int v6, uint8_t addr[16], unsigned *port)
{
    struct cfa_span a, p;
    uint64_t u;
    int words = v6 ? 4 : 1, i;
    memset(addr, 0, 16);
    if (split2(s, ':', &a, &p) < 0 || a.n != (size_t)words * 8)
        return -1;
    for (i = 0; i < words; i++)
        if (hex_word_le(a.p + i * 8, addr + i * 4) < 0)
            return -1;
    if (cfa_span_u64(p, 16, &u) < 0 || u > 65535)
        return -1;
    *port = (unsigned)u;
    return 0;
}

int cfa_parse_inet_line(struct cfa_span line, int v6, struct cfa_inet *s)
{
    struct cfa_span f[10];
    uint64_t u;
    memset(s, 0, sizeof(*s));
    s->v6 = v6;
    /* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
    if (cfa_fields(line, f, 10) < 10)
        return -1;
    if (f[0].n < 2 || f[0].p[f[0].n - 1] != ':')
        return -1;
    if (parse_inet_addr(f[1], v6, s->local, &s->lport) < 0 ||
        parse_inet_addr(f[2], v6, s->remote, &s->rport) < 0)
        return -1;
    if (cfa_span_u64(f[3], 16, &u) < 0 || u > 255)
        return -1;
    s->state = (int)u;
    if (cfa_span_u64(f[7], 10, &u) < 0 || u > UINT32_MAX)
        return -1;
    s->uid = (uint32_t)u;
    if (cfa_span_u64(f[9], 10, &s->inode) < 0)
        return -1;
    return 0;
}

void cfa_format_addr(const uint8_t *addr, int v6, char *out, size_t outlen)
{
    if (!inet_ntop(v6 ? AF_INET6 : AF_INET, addr, out, (socklen_t)outlen) && outlen)
        out[0] = '\0';
}

const char *cfa_tcp_state_name(int state, int is_tcp)
{
    static const char *names[] = {
        "UNKNOWN", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",   "TIME_WAIT",
        "CLOSE",   "CLOSE_WAIT",  "LAST_ACK", "LISTEN",   "CLOSING",   "NEW_SYN_RECV"};
    if (!is_tcp && state == 7)
        return "UNCONN";
    if (state < 0 || state >= (int)(sizeof(names) / sizeof(names[0])))
        return "UNKNOWN";
    return names[state];
}

int cfa_parse_unix_line(struct cfa_span line, struct cfa_unix *u)
{
    struct cfa_span f[8];
    uint64_t v;
    int nf;
    size_t i;
    memset(u, 0, sizeof(*u));
    nf = cfa_fields(line, f, 7);
    if (nf < 7 || f[0].n < 2 || f[0].p[f[0].n - 1] != ':')
        return -1;
    if (cfa_span_u64(f[3], 16, &v) < 0 || v > UINT32_MAX)
        return -1;
    u->flags = (uint32_t)v;
    if (cfa_span_u64(f[4], 16, &v) < 0 || v > 0xffff)
        return -1;
    u->type = (int)v;
    if (cfa_span_u64(f[5], 16, &v) < 0 || v > 0xff)
        return -1;
    u->state = (int)v;
    if (cfa_span_u64(f[6], 10, &u->inode) < 0)
        return -1;
    i = (size_t)(f[6].p + f[6].n - line.p);
    if (i < line.n && line.p[i] == ' ')
        i++;
    u->path.p = line.p + i;
    u->path.n = line.n - i;
    return 0;
}

const char *cfa_unix_type_name(int type)
{
    switch (type) {
    case 1:
        return "STREAM";
    case 2:
        return "DGRAM";
    case 5:
        return "SEQPACKET";
    default:
        return "UNKNOWN";
    }
}

const char *cfa_unix_state_name(int state)
{
    switch (state) {
    case 1:
        return "UNCONNECTED";
    case 2:
        return "CONNECTING";
    case 3:
        return "CONNECTED";
    case 4:
        return "DISCONNECTING";
    default:
        return "UNKNOWN";
    }
}

int cfa_parse_packet_line(struct cfa_span line, struct cfa_packet *pk)
{
    struct cfa_span f[9];
    uint64_t v;
    int64_t i;
    memset(pk, 0, sizeof(*pk));
    if (cfa_fields(line, f, 9) < 9)
        return -1;
    if (cfa_span_u64(f[2], 10, &v) < 0 || v > 0xffff)
        return -1;
    pk->type = (int)v;
    if (cfa_span_u64(f[3], 16, &v) < 0 || v > 0xffff)
        return -1;
    pk->proto = (unsigned)v;
    if (cfa_span_i64(f[4], &i) < 0 || i < -1 || i > INT32_MAX)
        return -1;
    pk->iface = (int)i;
    if (cfa_span_u64(f[7], 10, &v) < 0 || v > UINT32_MAX)
        return -1;
    pk->uid = (uint32_t)v;
    if (cfa_span_u64(f[8], 10, &pk->inode) < 0)
        return -1;
    return 0;
}

/* Decodes mountinfo's octal escapes (\040 \011 \012 \134) of s into scratch. */
static int unescape_into(struct cfa_span s, char *scratch, size_t cap, size_t *used,
                         struct cfa_span *out)
{
    size_t i, o = *used;
    out->p = scratch + o;
    for (i = 0; i < s.n; i++) {
        char c = s.p[i];
        if (c == '\\' && i + 3 < s.n && s.p[i + 1] >= '0' && s.p[i + 1] <= '3' &&
            s.p[i + 2] >= '0' && s.p[i + 2] <= '7' && s.p[i + 3] >= '0' && s.p[i + 3] <= '7') {
            c = (char)((s.p[i + 1] - '0') * 64 + (s.p[i + 2] - '0') * 8 + (s.p[i + 3] - '0'));
            i += 3;
        }
        if (o >= cap)
            return -1;
        scratch[o++] = c;
    }
    out->n = o - *used;
    *used = o;
    return 0;
}

int cfa_parse_mountinfo_line(struct cfa_span line, struct cfa_mountinfo *m, char *scratch,
                             size_t scratch_len)
{
    struct cfa_span f[64], a, b;
    int nf, i, sep = -1;
    uint64_t u;
    size_t used = 0;
    memset(m, 0, sizeof(*m));
    nf = cfa_fields(line, f, 64);
    if (nf < 10)
        return -1;
    if (cfa_span_u64(f[0], 10, &m->id) < 0 || cfa_span_u64(f[1], 10, &m->parent) < 0)
        return -1;
    if (split2(f[2], ':', &a, &b) < 0 || cfa_span_u64(a, 10, &u) < 0 || u > 0xfffff)
        return -1;
    m->major = (unsigned)u;
    if (cfa_span_u64(b, 10, &u) < 0 || u > 0xfffff)
        return -1;
    m->minor = (unsigned)u;
    for (i = 6; i < nf; i++) {
        if (cfa_span_eq(f[i], "-")) {
            sep = i;
            break;
        }
    }
    if (sep < 0 || sep + 2 >= nf)
        return -1;
    if (unescape_into(f[3], scratch, scratch_len, &used, &m->root) < 0 ||
        unescape_into(f[4], scratch, scratch_len, &used, &m->mount_point) < 0 ||
        unescape_into(f[5], scratch, scratch_len, &used, &m->options) < 0 ||
        unescape_into(f[sep + 1], scratch, scratch_len, &used, &m->fstype) < 0 ||
        unescape_into(f[sep + 2], scratch, scratch_len, &used, &m->source) < 0)
        return -1;
    if (sep + 3 < nf &&
        unescape_into(f[sep + 3], scratch, scratch_len, &used, &m->super_options) < 0)
        return -1;
    return 0;
}

int cfa_parse_modules_line(struct cfa_span line, struct cfa_module *m)
{
    struct cfa_span f[8];
    int nf;
    memset(m, 0, sizeof(*m));
    nf = cfa_fields(line, f, 7);
    if (nf < 5)
        return -1;
    m->name = f[0];
    if (cfa_span_u64(f[1], 10, &m->size) < 0 || cfa_span_i64(f[2], &m->refcount) < 0)
        return -1;
    m->deps = f[3];
    if (m->deps.n && m->deps.p[m->deps.n - 1] == ',')
        m->deps.n--;
    m->state = f[4];
    if (nf >= 6)
        m->address = f[5];
    if (nf >= 7 && f[6].n >= 2 && f[6].p[0] == '(' && f[6].p[f[6].n - 1] == ')') {
        m->taint.p = f[6].p + 1;
        m->taint.n = f[6].n - 2;
    }
    return 0;
}

void cfa_taint_letters(uint64_t mask, char *out, size_t outlen)
{
    /* kernel/panic.c taint_flags, bit order */
    static const char letters[] = "PFSRMBUDAWCIOELKXTN";
    size_t o = 0;
    int bit;
    if (!outlen)
        return;
    for (bit = 0; bit < (int)sizeof(letters) - 1 && o + 1 < outlen; bit++)
        if (mask & ((uint64_t)1 << bit))
            out[o++] = letters[bit];
    out[o] = '\0';
}

static int32_t rd32(const uint8_t *p)
{
    return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                     (uint32_t)p[3] << 24);
}

static struct cfa_span nul_trim(const uint8_t *p, size_t max)
{
    struct cfa_span s;
    const void *z = memchr(p, 0, max);
    s.p = (const char *)p;
    s.n = z ? (size_t)((const uint8_t *)z - p) : max;
    return s;
}

int cfa_parse_utmp(const uint8_t *rec, size_t n, struct cfa_utmp *u)
{
    int i;
    memset(u, 0, sizeof(*u));
    if (n < CFA_UTMP_SIZE)
        return -1;
    u->type = (int16_t)(rec[0] | rec[1] << 8);
    u->pid = rd32(rec + 4);
    u->line = nul_trim(rec + 8, 32);
    u->id = nul_trim(rec + 40, 4);
    u->user = nul_trim(rec + 44, 32);
    u->host = nul_trim(rec + 76, 256);
    u->session = rd32(rec + 336);
    u->tv_sec = (int64_t)rd32(rec + 340);
    u->tv_usec = (int64_t)rd32(rec + 344);
    memcpy(u->addr, rec + 348, 16);
    for (i = 4; i < 16; i++)
        if (u->addr[i])
            u->addr_v6 = 1;
    if (u->type < 0 || u->type > 9)
        return -1;
    return 0;
}

const char *cfa_utmp_type_name(int type)
{
    static const char *names[] = {"EMPTY",        "RUN_LVL",      "BOOT_TIME",     "NEW_TIME",
                                  "OLD_TIME",     "INIT_PROCESS", "LOGIN_PROCESS", "USER_PROCESS",
                                  "DEAD_PROCESS", "ACCOUNTING"};
    if (type < 0 || type > 9)
        return "UNKNOWN";
    return names[type];
}

int cfa_parse_iomem_line(struct cfa_span line, struct cfa_iomem *r)
{
    size_t i = 0;
    struct cfa_span range, a, b, name;
    const char *colon;
    memset(r, 0, sizeof(*r));
    while (i < line.n && line.p[i] == ' ')
        i++;
    r->depth = (int)(i / 2);
    line.p += i;
    line.n -= i;
    colon = memchr(line.p, ':', line.n);
    if (!colon || colon == line.p)
        return -1;
    range.p = line.p;
    range.n = (size_t)(colon - line.p);
    range = cfa_span_trim(range);
    if (split2(range, '-', &a, &b) < 0 || cfa_span_u64(a, 16, &r->start) < 0 ||
        cfa_span_u64(b, 16, &r->end) < 0 || r->end < r->start)
        return -1;
    name.p = colon + 1;
    name.n = (size_t)(line.p + line.n - name.p);
    r->name = cfa_span_trim(name);
    return 0;
}

static uint64_t rd64(const uint8_t *p)
{
    return (uint64_t)(uint32_t)rd32(p) | (uint64_t)(uint32_t)rd32(p + 4) << 32;
}

int cfa_parse_kcore(const uint8_t *buf, size_t n, struct cfa_kseg *segs, size_t max, size_t *count)
{
    uint64_t phoff;
    unsigned phentsize, phnum, i;
    *count = 0;
    if (n < 64 || memcmp(buf, "\177ELF", 4) != 0 || buf[4] != 2 /* ELFCLASS64 */ ||
        buf[5] != 1 /* little-endian */)
        return -1;
    phoff = rd64(buf + 32);
    phentsize = (unsigned)(buf[54] | buf[55] << 8);
    phnum = (unsigned)(buf[56] | buf[57] << 8);
    if (phentsize < 56 || phnum == 0 || phoff > n)
        return -1;
    if ((uint64_t)phentsize * phnum > n - phoff)
        return -1;
    for (i = 0; i < phnum; i++) {
        const uint8_t *ph = buf + phoff + (uint64_t)i * phentsize;
        if (rd32(ph) != 1 /* PT_LOAD */)
            continue;
        if (*count >= max)
            return -1;
        segs[*count].offset = rd64(ph + 8);
        segs[*count].vaddr = rd64(ph + 16);
        segs[*count].paddr = rd64(ph + 24);
        segs[*count].filesz = rd64(ph + 32);
        segs[*count].memsz = rd64(ph + 40);
        (*count)++;
    }
    return 0;
}

int cfa_parse_iomem_ram(const char *buf, size_t n, struct cfa_range *out, size_t max, size_t *count)
{
    const char *pos = buf, *end = buf + n;
    struct cfa_span line;
    *count = 0;
    while (cfa_next_line(&pos, end, &line)) {
        struct cfa_iomem r;
        if (cfa_parse_iomem_line(line, &r) < 0 || r.depth != 0 ||
            !cfa_span_eq(r.name, "System RAM"))
            continue;
        if (*count >= max)
            return -1;
        out[*count].start = r.start;
        out[*count].end = r.end;
        (*count)++;
    }
    return 0;
}

int cfa_lime_plan(const struct cfa_range *ram, size_t nram, const struct cfa_kseg *segs,
                  size_t nsegs, struct cfa_lime_range *out, size_t max, size_t *count)
{
    size_t i, j;
    *count = 0;
    for (i = 0; i < nram; i++) {
        for (j = 0; j < nsegs; j++) {
            const struct cfa_kseg *s = &segs[j];
            uint64_t seg_end, lo, hi;
            if (s->paddr == 0 || s->paddr == UINT64_MAX || s->memsz == 0)
                continue;
            if (s->paddr > UINT64_MAX - (s->memsz - 1))
                continue;
            seg_end = s->paddr + s->memsz - 1;
            lo = ram[i].start > s->paddr ? ram[i].start : s->paddr;
            hi = ram[i].end < seg_end ? ram[i].end : seg_end;
            if (lo > hi)
                continue;
            if (s->offset > UINT64_MAX - (lo - s->paddr))
                continue;
            if (*count >= max)
                return -1;
            out[*count].start = lo;
            out[*count].end = hi;
            out[*count].file_offset = s->offset + (lo - s->paddr);
            (*count)++;
        }
    }
    /* insertion sort by start; the lists are short (tens of ranges) */
    for (i = 1; i < *count; i++) {
        struct cfa_lime_range t = out[i];
        j = i;
        while (j > 0 && out[j - 1].start > t.start) {
            out[j] = out[j - 1];
            j--;
        }
        out[j] = t;
    }
    /* drop overlaps (two segments mapping the same physical page): keep the first */
    for (i = 1, j = 0; *count && i < *count; i++) {
        if (out[i].start <= out[j].end) {
            if (out[i].end <= out[j].end)
                continue;
            out[i].file_offset += out[j].end + 1 - out[i].start;
            out[i].start = out[j].end + 1;
        }
        out[++j] = out[i];
    }
    if (*count)
        *count = j + 1;
    return 0;
}

int cfa_parse_route_line(struct cfa_span line, struct cfa_route *r)
{
    struct cfa_span f[11];
    uint64_t v;
    memset(r, 0, sizeof(*r));
    if (cfa_fields(line, f, 11) < 8)
        return -1;
    r->iface = f[0];
    if (f[1].n != 8 || f[2].n != 8 || f[7].n != 8)
        return -1;
    if (hex_word_le(f[1].p, r->dest) < 0 || hex_word_le(f[2].p, r->gateway) < 0 ||
        hex_word_le(f[7].p, r->mask) < 0)
        return -1;
    if (cfa_span_u64(f[3], 16, &v) < 0 || v > 0xffff)
        return -1;
    r->flags = (unsigned)v;
    if (cfa_span_i64(f[6], &r->metric) < 0)
        return -1;
    return 0;
}

static int hex_bytes(struct cfa_span s, uint8_t *out, size_t n)
{
    size_t i;
    if (s.n != n * 2)
        return -1;
    for (i = 0; i < n; i++) {
        int hi = hexval(s.p[2 * i]), lo = hexval(s.p[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

int cfa_parse_ipv6_route_line(struct cfa_span line, struct cfa_route6 *r)
{
    struct cfa_span f[10];
    uint64_t v;
    memset(r, 0, sizeof(*r));
    if (cfa_fields(line, f, 10) < 10)
        return -1;
    if (hex_bytes(f[0], r->dest, 16) < 0 || hex_bytes(f[2], r->src, 16) < 0 ||
        hex_bytes(f[4], r->next_hop, 16) < 0)
        return -1;
    if (cfa_span_u64(f[1], 16, &v) < 0 || v > 128)
        return -1;
    r->dest_len = (unsigned)v;
    if (cfa_span_u64(f[3], 16, &v) < 0 || v > 128)
        return -1;
    r->src_len = (unsigned)v;
    if (cfa_span_u64(f[5], 16, &r->metric) < 0)
        return -1;
    if (cfa_span_u64(f[8], 16, &v) < 0 || v > UINT32_MAX)
        return -1;
    r->flags = (unsigned)v;
    r->iface = f[9];
    return 0;
}

int cfa_parse_arp_line(struct cfa_span line, struct cfa_arp *a)
{
    struct cfa_span f[6];
    memset(a, 0, sizeof(*a));
    if (cfa_fields(line, f, 6) < 6)
        return -1;
    if (cfa_span_eq(f[0], "IP"))
        return -1; /* header */
    a->ip = f[0];
    a->hw_type = f[1];
    a->flags = f[2];
    a->mac = f[3];
    a->mask = f[4];
    a->device = f[5];
    return 0;
}

int cfa_parse_if_inet6_line(struct cfa_span line, struct cfa_inet6_addr *a)
{
    struct cfa_span f[6];
    uint64_t v[4];
    int i;
    memset(a, 0, sizeof(*a));
    if (cfa_fields(line, f, 6) < 6 || hex_bytes(f[0], a->addr, 16) < 0)
        return -1;
    for (i = 0; i < 4; i++)
        if (cfa_span_u64(f[i + 1], 16, &v[i]) < 0 || v[i] > UINT32_MAX)
            return -1;
    a->ifindex = (unsigned)v[0];
    a->prefix_len = (unsigned)v[1];
    a->scope = (unsigned)v[2];
    a->flags = (unsigned)v[3];
    a->name = f[5];
    return 0;
}

int cfa_parse_netdev_line(struct cfa_span line, struct cfa_netdev *d)
{
    const char *colon = memchr(line.p, ':', line.n);
    struct cfa_span rest, f[16];
    memset(d, 0, sizeof(*d));
    if (!colon)
        return -1;
    d->name.p = line.p;
    d->name.n = (size_t)(colon - line.p);
    d->name = cfa_span_trim(d->name);
    if (!d->name.n)
        return -1;
    rest.p = colon + 1;
    rest.n = (size_t)(line.p + line.n - rest.p);
    if (cfa_fields(rest, f, 16) < 10)
        return -1;
    if (cfa_span_u64(f[0], 10, &d->rx_bytes) < 0 || cfa_span_u64(f[1], 10, &d->rx_packets) < 0 ||
        cfa_span_u64(f[8], 10, &d->tx_bytes) < 0 || cfa_span_u64(f[9], 10, &d->tx_packets) < 0)
        return -1;
    return 0;
}

int cfa_parse_passwd_line(struct cfa_span line, struct cfa_passwd *p)
{
    struct cfa_span f[7];
    size_t i, start = 0;
    int nf = 0;
    uint64_t v;
    memset(p, 0, sizeof(*p));
    for (i = 0; i <= line.n && nf < 7; i++) {
        if (i == line.n || line.p[i] == ':') {
            f[nf].p = line.p + start;
            f[nf].n = i - start;
            nf++;
            start = i + 1;
        }
    }
    if (nf < 4 || !f[0].n)
        return -1;
    p->name = f[0];
    if (cfa_span_u64(f[2], 10, &v) < 0 || v > UINT32_MAX)
        return -1;
    p->uid = (uint32_t)v;
    if (cfa_span_u64(f[3], 10, &v) < 0 || v > UINT32_MAX)
        return -1;
    p->gid = (uint32_t)v;
    if (nf >= 6)
        p->home = f[5];
    if (nf >= 7)
        p->shell = f[6];
    return 0;
}

int cfa_parse_kv_line(struct cfa_span line, struct cfa_span *key, struct cfa_span *value)
{
    struct cfa_span l = cfa_span_trim(line);
    if (!l.n || l.p[0] == '#' || split2(l, '=', key, value) < 0 || !key->n)
        return -1;
    if (value->n >= 2 && (value->p[0] == '"' || value->p[0] == '\'') &&
        value->p[value->n - 1] == value->p[0]) {
        value->p++;
        value->n -= 2;
    }
    return 0;
}

int cfa_parse_http_response(const char *buf, size_t n, int *status, struct cfa_span *body)
{
    const char *pos = buf, *end = buf + n, *hdr_end = NULL;
    struct cfa_span line, f[3];
    uint64_t code, clen = UINT64_MAX;
    size_t i;
    for (i = 0; i + 3 < n; i++) {
        if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' && buf[i + 3] == '\n') {
            hdr_end = buf + i + 4;
            break;
        }
    }
    if (!hdr_end || !cfa_next_line(&pos, hdr_end, &line))
        return -1;
    if (cfa_fields(line, f, 3) < 2 || f[0].n < 8 || memcmp(f[0].p, "HTTP/1.", 7) != 0 ||
        cfa_span_u64(f[1], 10, &code) < 0 || code < 100 || code > 999)
        return -1;
    *status = (int)code;
    while (cfa_next_line(&pos, hdr_end, &line)) {
        struct cfa_span k, v;
        if (split2(line, ':', &k, &v) < 0)
            continue;
        if (k.n == 14 && strncasecmp(k.p, "Content-Length", 14) == 0 &&
            cfa_span_u64(cfa_span_trim(v), 10, &clen) < 0)
            return -1;
    }
    body->p = hdr_end;
    body->n = (size_t)(end - hdr_end);
    if (clen != UINT64_MAX && clen < body->n)
        body->n = (size_t)clen;
    return 0;
}

int cfa_json_find_string(const char *buf, size_t n, const char *key, struct cfa_span *value)
{
    size_t klen = strlen(key), i;
    for (i = 0; i + klen + 2 < n; i++) {
        size_t j;
        if (buf[i] != '"' || memcmp(buf + i + 1, key, klen) != 0 || buf[i + 1 + klen] != '"')
            continue;
        j = i + klen + 2;
        while (j < n && (buf[j] == ' ' || buf[j] == '\t' || buf[j] == '\n' || buf[j] == '\r'))
            j++;
        if (j >= n || buf[j] != ':')
            continue;
        j++;
        while (j < n && (buf[j] == ' ' || buf[j] == '\t' || buf[j] == '\n' || buf[j] == '\r'))
            j++;
        if (j >= n || buf[j] != '"')
            return -1;
        value->p = buf + j + 1;
        for (j = j + 1; j < n; j++) {
            if (buf[j] == '\\') {
                j++;
                continue;
            }
            if (buf[j] == '"') {
                value->n = (size_t)(buf + j - value->p);
                return 0;
            }
        }
        return -1;
    }
    return -1;
}

int cfa_parse_bracket_inode(const char *s, size_t n, const char *prefix, uint64_t *inode)
{
    size_t pl = strlen(prefix);
    struct cfa_span num;
    if (n < pl + 3 || memcmp(s, prefix, pl) != 0 || s[pl] != '[' || s[n - 1] != ']')
        return -1;
    num.p = s + pl + 1;
    num.n = n - pl - 2;
    return cfa_span_u64(num, 10, inode);
}
