/* system, mounts, kernel_modules, sessions, dns. */
#include "cfa_collect.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static int read_small(struct cfa_ctx *c, const char *rel, struct cfa_span *out, int report)
{
    char path[4096];
    int rc;
    if (cfa_path(c, path, sizeof(path), "%s", rel) < 0)
        return -1;
    rc = cfa_slurp(path, &c->rb2, 64 * 1024);
    if (rc < 0) {
        if (report && rc != -ENOENT)
            cfa_bundle_errno(c->b, rel, -rc);
        return -1;
    }
    *out = cfa_span_trim((struct cfa_span){c->rb2.p, c->rb2.len});
    return 0;
}

int cfa_read_boot_time(struct cfa_ctx *c)
{
    char path[4096];
    const char *pos, *end;
    struct cfa_span line, f[2];
    int64_t v;
    if (cfa_path(c, path, sizeof(path), "/proc/stat") < 0 ||
        cfa_slurp(path, &c->rb, 1u << 20) < 0) {
        cfa_bundle_errno(c->b, "/proc/stat", errno);
        return -1;
    }
    pos = c->rb.p;
    end = c->rb.p + c->rb.len;
    while (cfa_next_line(&pos, end, &line))
        if (cfa_fields(line, f, 2) == 2 && cfa_span_eq(f[0], "btime") &&
            cfa_span_i64(f[1], &v) == 0 && v > 0) {
            c->boot_time = v;
            return 0;
        }
    cfa_bundle_error(c->b, "/proc/stat", "no btime");
    return -1;
}

static uint64_t read_taint(struct cfa_ctx *c, int *ok)
{
    struct cfa_span v;
    uint64_t t = 0;
    *ok = read_small(c, "/proc/sys/kernel/tainted", &v, 1) == 0 && cfa_span_u64(v, 10, &t) == 0;
    return *ok ? t : 0;
}

int cfa_collect_system(struct cfa_ctx *c, const char *imds_json)
{
    struct cfa_file t;
    struct cfa_span v;
    struct timespec now, mono;
    struct utsname un;
    char tbuf[48], letters[40];
    uint64_t taint;
    int ok, i;
    static const char *osr[] = {"/etc/os-release", "/usr/lib/os-release"};
    if (cfa_file_open(c->b, "system.jsonl", &t) < 0) {
        cfa_bundle_errno(c->b, "system.jsonl", errno);
        return -1;
    }
    clock_gettime(CLOCK_REALTIME, &now);
    clock_gettime(CLOCK_MONOTONIC, &mono);
    cfa_jw_reset(&c->jw);
    cfa_jw_obj_begin(&c->jw, NULL);
    if (read_small(c, "/proc/sys/kernel/hostname", &v, 1) == 0)
        cfa_jw_str(&c->jw, "hostname", v.p, v.n);
    if (read_small(c, "/proc/sys/kernel/osrelease", &v, 1) == 0)
        cfa_jw_str(&c->jw, "kernel", v.p, v.n);
    if (read_small(c, "/proc/sys/kernel/version", &v, 0) == 0)
        cfa_jw_str(&c->jw, "kernel_version", v.p, v.n);
    if (read_small(c, "/proc/cmdline", &v, 0) == 0)
        cfa_jw_str(&c->jw, "kernel_cmdline", v.p, v.n);
    if (c->live && uname(&un) == 0)
        cfa_jw_cstr(&c->jw, "arch", un.machine);
    for (i = 0; i < 2; i++) {
        const char *pos, *end;
        struct cfa_span line, k, val;
        if (read_small(c, osr[i], &v, 0) < 0)
            continue;
        pos = v.p;
        end = v.p + v.n;
        while (cfa_next_line(&pos, end, &line)) {
            if (cfa_parse_kv_line(line, &k, &val) < 0)
                continue;
            if (cfa_span_eq(k, "NAME"))
                cfa_jw_str(&c->jw, "os_name", val.p, val.n);
            else if (cfa_span_eq(k, "VERSION_ID"))
                cfa_jw_str(&c->jw, "os_version", val.p, val.n);
            else if (cfa_span_eq(k, "PRETTY_NAME"))
                cfa_jw_str(&c->jw, "os_pretty_name", val.p, val.n);
            else if (cfa_span_eq(k, "ID"))
                cfa_jw_str(&c->jw, "os_id", val.p, val.n);
        }
        break;
    }
    if (c->boot_time > 0) {
        cfa_format_time(c->boot_time, 0, 0, tbuf, sizeof(tbuf));
        cfa_jw_cstr(&c->jw, "boot_time", tbuf);
    }
    if (read_small(c, "/proc/uptime", &v, 1) == 0) {
        struct cfa_span f[2], sec;
        uint64_t u;
        const char *dot;
        if (cfa_fields(v, f, 2) >= 1) {
            dot = memchr(f[0].p, '.', f[0].n);
            sec.p = f[0].p;
            sec.n = dot ? (size_t)(dot - f[0].p) : f[0].n;
            if (cfa_span_u64(sec, 10, &u) == 0)
                cfa_jw_uint(&c->jw, "uptime_s", u);
        }
    }
    cfa_format_time(now.tv_sec, now.tv_nsec, 6, tbuf, sizeof(tbuf));
    cfa_jw_cstr(&c->jw, "clock", tbuf);
    cfa_jw_strf(&c->jw, "clock_monotonic", "%lld.%09ld", (long long)mono.tv_sec, mono.tv_nsec);
    taint = read_taint(c, &ok);
    if (ok) {
        cfa_jw_uint(&c->jw, "kernel_tainted", taint);
        cfa_taint_letters(taint, letters, sizeof(letters));
        cfa_jw_cstr(&c->jw, "taint_flags", letters);
    }
    if (imds_json)
        cfa_jw_raw(&c->jw, imds_json, strlen(imds_json)); /* built by cfa_imds, starts with ',' */
    cfa_jw_int(&c->jw, "collector_pid", c->self_pid);
    if (c->probe_done) {
        cfa_jw_cstr(&c->jw, "pid_probe", c->probe_done);
        if (c->probe_limit)
            cfa_jw_uint(&c->jw, "pid_probe_limit", c->probe_limit);
        cfa_jw_int(&c->jw, "threads_listed", c->threads_listed);
        if (c->threads_kernel >= 0)
            cfa_jw_int(&c->jw, "threads_kernel", c->threads_kernel);
    }
    cfa_jw_bool(&c->jw, "live", c->live);
    cfa_jw_obj_end(&c->jw);
    cfa_table_emit(&t, &c->jw, "system");
    return cfa_file_close(&t, 1, NULL);
}

/* ---- mounts ---- */

static int proc_pid_mount(struct cfa_span mp, uint32_t *pid)
{
    struct cfa_span num;
    size_t i = 6;
    uint64_t v;
    if (mp.n <= 6 || memcmp(mp.p, "/proc/", 6) != 0)
        return -1;
    while (i < mp.n && mp.p[i] != '/')
        i++;
    num.p = mp.p + 6;
    num.n = i - 6;
    if (cfa_span_u64(num, 10, &v) < 0 || v == 0 || v > CFA_PID_LIMIT)
        return -1;
    *pid = (uint32_t)v;
    return 0;
}

int cfa_collect_mounts(struct cfa_ctx *c)
{
    struct cfa_file t;
    struct cfa_lr lr;
    struct cfa_span line;
    char path[4096], *scratch = NULL;
    const char *cands[] = {"/proc/self/mountinfo", "/proc/1/mountinfo"};
    const char *used = NULL;
    int rc = -ENOENT, i;
    size_t bad = 0;
    if (cfa_file_open(c->b, "mounts.jsonl", &t) < 0) {
        cfa_bundle_errno(c->b, "mounts.jsonl", errno);
        return -1;
    }
    for (i = 0; i < 2 && rc < 0; i++) {
        if (cfa_path(c, path, sizeof(path), "%s", cands[i]) < 0)
            continue;
        rc = cfa_lr_open(&lr, AT_FDCWD, path);
        used = cands[i];
    }
    if (rc < 0) {
        cfa_bundle_errno(c->b, "/proc/self/mountinfo", -rc);
        goto cleanup;
    }
    scratch = malloc(CFA_LINE_MAX);
    while (scratch && cfa_lr_next(&lr, &line) == 1) {
        struct cfa_mountinfo m;
        uint32_t pid;
        if (cfa_parse_mountinfo_line(line, &m, scratch, CFA_LINE_MAX) < 0) {
            bad++;
            continue;
        }
        cfa_jw_reset(&c->jw);
        cfa_jw_obj_begin(&c->jw, NULL);
        cfa_jw_uint(&c->jw, "mount_id", m.id);
        cfa_jw_uint(&c->jw, "parent_id", m.parent);
        cfa_jw_strf(&c->jw, "dev", "%u:%u", m.major, m.minor);
        cfa_jw_str(&c->jw, "root", m.root.p, m.root.n);
        cfa_jw_str(&c->jw, "mount_point", m.mount_point.p, m.mount_point.n);
        cfa_jw_str(&c->jw, "options", m.options.p, m.options.n);
        cfa_jw_str(&c->jw, "fstype", m.fstype.p, m.fstype.n);
        cfa_jw_str(&c->jw, "source", m.source.p, m.source.n);
        if (m.super_options.p)
            cfa_jw_str(&c->jw, "super_options", m.super_options.p, m.super_options.n);
        if (proc_pid_mount(m.mount_point, &pid) == 0) {
            char detail[512];
            cfa_jw_bool(&c->jw, "proc_overmount", 1);
            snprintf(detail, sizeof(detail), "%.*s mounted over /proc/%u (root %.*s, fstype %.*s)",
                     (int)(m.source.n > 100 ? 100 : m.source.n), m.source.p, pid,
                     (int)(m.root.n > 200 ? 200 : m.root.n), m.root.p,
                     (int)(m.fstype.n > 50 ? 50 : m.fstype.n), m.fstype.p);
            if (c->novermounted < 65536) {
                uint32_t *n = realloc(c->overmounted, (c->novermounted + 1) * sizeof(*n));
                if (n) {
                    c->overmounted = n;
                    c->overmounted[c->novermounted++] = pid;
                }
            }
            cfa_jw_obj_end(&c->jw);
            cfa_table_emit(&t, &c->jw, "mounts");
            cfa_anomaly(c, "proc_bind_mount", pid, detail);
            continue;
        }
        cfa_jw_obj_end(&c->jw);
        cfa_table_emit(&t, &c->jw, "mounts");
    }
    if (bad || lr.dropped)
        cfa_bundle_error(c->b, used, "malformed lines skipped");
    cfa_lr_close(&lr);
cleanup:
    free(scratch);
    return cfa_file_close(&t, 1, NULL);
}

/* ---- kernel modules ---- */

struct modname {
    char name[64];
};

static int modname_cmp(const void *a, const void *b)
{
    return strcmp(((const struct modname *)a)->name, ((const struct modname *)b)->name);
}

int cfa_collect_modules(struct cfa_ctx *c)
{
    struct cfa_file t;
    struct cfa_lr lr;
    struct cfa_span line;
    struct modname *names = NULL;
    size_t nnames = 0;
    char path[4096];
    int rc = -ENOENT;
    DIR *d;
    struct dirent *de;
    if (cfa_file_open(c->b, "kernel_modules.jsonl", &t) < 0) {
        cfa_bundle_errno(c->b, "kernel_modules.jsonl", errno);
        return -1;
    }
    if (cfa_path(c, path, sizeof(path), "/proc/modules") < 0 ||
        (rc = cfa_lr_open(&lr, AT_FDCWD, path)) < 0) {
        cfa_bundle_errno(c->b, "/proc/modules", rc < 0 ? -rc : ENAMETOOLONG);
        goto cleanup; /* without the module list, sysfs cannot tell hidden from listed */
    }
    while (cfa_lr_next(&lr, &line) == 1) {
        struct cfa_module m;
        const char *p, *e;
        if (cfa_parse_modules_line(line, &m) < 0)
            continue;
        cfa_jw_reset(&c->jw);
        cfa_jw_obj_begin(&c->jw, NULL);
        cfa_jw_str(&c->jw, "name", m.name.p, m.name.n);
        cfa_jw_uint(&c->jw, "size", m.size);
        cfa_jw_int(&c->jw, "refcount", m.refcount);
        cfa_jw_arr_begin(&c->jw, "deps");
        p = m.deps.p;
        e = m.deps.p + m.deps.n;
        if (!cfa_span_eq(m.deps, "-")) {
            while (p < e) {
                const char *comma = memchr(p, ',', (size_t)(e - p));
                const char *stop = comma ? comma : e;
                if (stop > p)
                    cfa_jw_str(&c->jw, NULL, p, (size_t)(stop - p));
                p = stop + 1;
            }
        }
        cfa_jw_arr_end(&c->jw);
        cfa_jw_str(&c->jw, "state", m.state.p, m.state.n);
        if (m.address.n)
            cfa_jw_str(&c->jw, "address", m.address.p, m.address.n);
        cfa_jw_str(&c->jw, "taint", m.taint.p, m.taint.n);
        if (m.taint.n && memchr(m.taint.p, 'E', m.taint.n))
            cfa_jw_bool(&c->jw, "signed", 0);
        cfa_jw_obj_end(&c->jw);
        cfa_table_emit(&t, &c->jw, "kernel_modules");
        if (nnames % 256 == 0) {
            struct modname *n = realloc(names, (nnames + 256) * sizeof(*n));
            if (!n)
                continue;
            names = n;
        }
        if (m.name.n < sizeof(names[0].name)) {
            memcpy(names[nnames].name, m.name.p, m.name.n);
            names[nnames].name[m.name.n] = '\0';
            nnames++;
        }
    }
    cfa_lr_close(&lr);
    /* a loadable module in /sys/module (it has initstate) but not in /proc/modules has been
     * unlinked from the module list: the classic rootkit trick */
    if (nnames)
        qsort(names, nnames, sizeof(*names), modname_cmp);
    if (cfa_path(c, path, sizeof(path), "/sys/module") == 0 && (d = opendir(path)) != NULL) {
        while ((de = readdir(d)) != NULL) {
            struct modname key;
            char ip[4096];
            size_t nl = strlen(de->d_name);
            if (de->d_name[0] == '.' || nl >= sizeof(key.name))
                continue;
            memcpy(key.name, de->d_name, nl + 1);
            if (nnames && bsearch(&key, names, nnames, sizeof(*names), modname_cmp))
                continue;
            if (cfa_path(c, ip, sizeof(ip), "/sys/module/%s/initstate", de->d_name) < 0 ||
                access(ip, F_OK) < 0)
                continue; /* built into the kernel */
            cfa_jw_reset(&c->jw);
            cfa_jw_obj_begin(&c->jw, NULL);
            cfa_jw_cstr(&c->jw, "name", de->d_name);
            cfa_jw_cstr(&c->jw, "source", "sysfs");
            cfa_jw_bool(&c->jw, "hidden", 1);
            cfa_jw_obj_end(&c->jw);
            cfa_table_emit(&t, &c->jw, "kernel_modules");
            cfa_anomaly(c, "hidden_module", 0, de->d_name);
        }
        closedir(d);
    }
cleanup:
    free(names);
    return cfa_file_close(&t, 1, NULL);
}

/* ---- sessions ---- */

#define CFA_UTMP_MAX_RECORDS 1000000

static void read_utmp(struct cfa_ctx *c, struct cfa_file *t, const char *rel, const char *source)
{
    char path[4096], tbuf[48], addr[64];
    uint8_t rec[CFA_UTMP_SIZE];
    size_t got = 0, records = 0;
    int fd;
    if (cfa_path(c, path, sizeof(path), "%s", rel) < 0)
        return;
    fd = openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        if (errno != ENOENT)
            cfa_bundle_errno(c->b, rel, errno);
        return;
    }
    for (;;) {
        ssize_t r = read(fd, rec + got, sizeof(rec) - got);
        struct cfa_utmp u;
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            cfa_bundle_errno(c->b, rel, errno);
            break;
        }
        if (r == 0) {
            if (got)
                cfa_bundle_error(c->b, rel, "trailing partial record");
            break;
        }
        got += (size_t)r;
        if (got < sizeof(rec))
            continue;
        got = 0;
        if (++records > CFA_UTMP_MAX_RECORDS) {
            cfa_bundle_error(c->b, rel, "more than 1000000 records: rest skipped");
            break;
        }
        if (cfa_parse_utmp(rec, sizeof(rec), &u) < 0) {
            cfa_bundle_error(c->b, rel, "malformed record");
            continue;
        }
        if (u.type == 0)
            continue; /* EMPTY slot */
        cfa_jw_reset(&c->jw);
        cfa_jw_obj_begin(&c->jw, NULL);
        cfa_jw_cstr(&c->jw, "source", source);
        cfa_jw_cstr(&c->jw, "type", cfa_utmp_type_name(u.type));
        if (u.user.n)
            cfa_jw_str(&c->jw, "user", u.user.p, u.user.n);
        if (u.line.n)
            cfa_jw_str(&c->jw, "tty", u.line.p, u.line.n);
        if (u.host.n)
            cfa_jw_str(&c->jw, "host", u.host.p, u.host.n);
        if (u.id.n)
            cfa_jw_str(&c->jw, "id", u.id.p, u.id.n);
        cfa_jw_int(&c->jw, "pid", u.pid);
        cfa_jw_int(&c->jw, "session", u.session);
        cfa_format_time(u.tv_sec,
                        (long)((u.tv_usec >= 0 && u.tv_usec < 1000000 ? u.tv_usec : 0) * 1000), 6,
                        tbuf, sizeof(tbuf));
        cfa_jw_cstr(&c->jw, "time", tbuf);
        if (u.addr_v6 || u.addr[0] || u.addr[1] || u.addr[2] || u.addr[3]) {
            cfa_format_addr(u.addr, u.addr_v6, addr, sizeof(addr));
            cfa_jw_cstr(&c->jw, "addr", addr);
        }
        cfa_jw_obj_end(&c->jw);
        cfa_table_emit(t, &c->jw, "sessions");
    }
    close(fd);
}

int cfa_collect_sessions(struct cfa_ctx *c)
{
    struct cfa_file t;
    char path[4096];
    if (cfa_file_open(c->b, "sessions.jsonl", &t) < 0) {
        cfa_bundle_errno(c->b, "sessions.jsonl", errno);
        return -1;
    }
    if (cfa_path(c, path, sizeof(path), "/var/run/utmp") == 0 && access(path, F_OK) == 0)
        read_utmp(c, &t, "/var/run/utmp", "utmp");
    else
        read_utmp(c, &t, "/run/utmp", "utmp");
    read_utmp(c, &t, "/var/log/wtmp", "wtmp");
    read_utmp(c, &t, "/var/log/btmp", "btmp");
    return cfa_file_close(&t, 1, NULL);
}

/* ---- dns ---- */

int cfa_collect_dns(struct cfa_ctx *c)
{
    struct cfa_file t;
    struct cfa_lr lr;
    struct cfa_span line, f[64];
    char path[4096];
    int nf, i;
    if (cfa_file_open(c->b, "dns.jsonl", &t) < 0) {
        cfa_bundle_errno(c->b, "dns.jsonl", errno);
        return -1;
    }
    if (cfa_path(c, path, sizeof(path), "/etc/resolv.conf") == 0 &&
        cfa_lr_open(&lr, AT_FDCWD, path) == 0) {
        while (cfa_lr_next(&lr, &line) == 1) {
            struct cfa_span rest;
            nf = cfa_fields(line, f, 2);
            if (nf < 2 || f[0].p[0] == '#' || f[0].p[0] == ';')
                continue;
            rest.p = f[1].p;
            rest.n = (size_t)(line.p + line.n - f[1].p);
            rest = cfa_span_trim(rest);
            cfa_jw_reset(&c->jw);
            cfa_jw_obj_begin(&c->jw, NULL);
            cfa_jw_cstr(&c->jw, "source", "resolv.conf");
            cfa_jw_str(&c->jw, "kind", f[0].p, f[0].n);
            cfa_jw_str(&c->jw, "value", rest.p, rest.n);
            cfa_jw_obj_end(&c->jw);
            cfa_table_emit(&t, &c->jw, "dns");
        }
        cfa_lr_close(&lr);
    }
    if (cfa_path(c, path, sizeof(path), "/etc/hosts") == 0 &&
        cfa_lr_open(&lr, AT_FDCWD, path) == 0) {
        while (cfa_lr_next(&lr, &line) == 1) {
            const char *hash = memchr(line.p, '#', line.n);
            if (hash)
                line.n = (size_t)(hash - line.p);
            nf = cfa_fields(line, f, 64);
            if (nf < 2)
                continue;
            cfa_jw_reset(&c->jw);
            cfa_jw_obj_begin(&c->jw, NULL);
            cfa_jw_cstr(&c->jw, "source", "hosts");
            cfa_jw_cstr(&c->jw, "kind", "host");
            cfa_jw_str(&c->jw, "value", f[0].p, f[0].n);
            cfa_jw_arr_begin(&c->jw, "names");
            for (i = 1; i < nf; i++)
                cfa_jw_str(&c->jw, NULL, f[i].p, f[i].n);
            cfa_jw_arr_end(&c->jw);
            cfa_jw_obj_end(&c->jw);
            cfa_table_emit(&t, &c->jw, "dns");
        }
        cfa_lr_close(&lr);
    }
    return cfa_file_close(&t, 1, NULL);
}
