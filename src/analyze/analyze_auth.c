/* auth.log / secure: sshd, sudo, su, useradd/usermod/groupadd/userdel, passwd. Every line is kept
 * (event 'other' when not understood) so the timeline and the gap rule see the whole log.
 * Times: "Nov 27 20:01:02" (year from the bundle or case, UTC assumed) or RFC 3339. */
#include "analyze/analyze_internal.h"
#include "common/cf_error.h"
#include "common/cf_time.h"

#include <stdlib.h>
#include <string.h>

typedef struct auth_state {
    sqlite3_stmt *ins;
} auth_state;

enum {
    A_BUNDLE = 1,
    A_SOURCE,
    A_LINE,
    A_TIME,
    A_HOST,
    A_PROGRAM,
    A_PID,
    A_EVENT,
    A_USER,
    A_IP,
    A_PORT,
    A_METHOD,
    A_TARGET,
    A_COMMAND,
    A_MESSAGE
};

static int month_of(const char *m)
{
    static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    for (int i = 0; i < 12; i++)
        if (!strncmp(m, names + 3 * i, 3))
            return i + 1;
    return 0;
}

static int two(const char *p)
{
    int a = p[0] == ' ' ? 0 : p[0] - '0', b = p[1] - '0';
    if (a < 0 || a > 9 || b < 0 || b > 9)
        return -1;
    return a * 10 + b;
}

/* Parses the timestamp at the start of line; returns the length consumed, 0 when none. */
static size_t parse_ts(const char *line, size_t len, int year, int64_t *ns)
{
    if (len >= 16 && line[3] == ' ' && line[6] == ' ' && line[9] == ':' && line[12] == ':') {
        int mon = month_of(line), d = two(line + 4), h = two(line + 7), mi = two(line + 10),
            s = two(line + 13);
        if (!mon || d < 1 || h < 0 || mi < 0 || s < 0 || h > 23 || mi > 59 || s > 60 ||
            year < 1971 || year > 2200)
            return 0;
        *ns = cf_time_from_civil(year, mon, d, h, mi, s) * CF_NS_PER_SEC;
        return 15;
    }
    if (len >= 20 && line[4] == '-' && line[10] == 'T') {
        char buf[48];
        const char *sp = memchr(line, ' ', len < 47 ? len : 47);
        size_t n = sp ? (size_t)(sp - line) : 0;
        if (!n)
            return 0;
        memcpy(buf, line, n);
        buf[n] = '\0';
        if (cf_time_parse_checked(buf, ns) != CF_OK)
            return 0;
        return n;
    }
    return 0;
}

/* The word after `key` in msg (up to a space, ',' or ';'), or NULL. */
static const char *word_after(const char *msg, const char *key, size_t *n)
{
    const char *p = strstr(msg, key);
    size_t i = 0;
    if (!p)
        return NULL;
    p += strlen(key);
    while (p[i] && p[i] != ' ' && p[i] != ',' && p[i] != ';' && p[i] != '\'')
        i++;
    *n = i;
    return i ? p : NULL;
}

static int bind_w(sqlite3_stmt *st, int idx, const char *p, size_t n)
{
    return p ? cf_bind_text(st, idx, p, n, 1) : CF_OK;
}

static int parse_sshd(sqlite3_stmt *st, const char *msg)
{
    const char *ev = NULL, *u = NULL, *ip = NULL, *port = NULL, *method = NULL;
    size_t un = 0, ipn = 0, pn = 0, mn = 0;
    int rc = CF_OK;
    if (!strncmp(msg, "Accepted ", 9)) {
        ev = "ssh_accepted";
        method = msg + 9;
        mn = strcspn(method, " ");
        u = word_after(msg, " for ", &un);
    } else if (!strncmp(msg, "Failed ", 7)) {
        ev = "ssh_failed";
        method = msg + 7;
        mn = strcspn(method, " ");
        u = strstr(msg, " for invalid user ") ? word_after(msg, " for invalid user ", &un)
                                              : word_after(msg, " for ", &un);
    } else if (!strncmp(msg, "Invalid user ", 13)) {
        ev = "ssh_invalid_user";
        u = word_after(msg, "Invalid user ", &un);
    } else if (strstr(msg, "authentication failure")) {
        ev = "ssh_failed";
        u = word_after(msg, " user=", &un);
        ip = word_after(msg, "rhost=", &ipn);
    } else {
        return CF_OK;
    }
    if (!ip)
        ip = word_after(msg, " from ", &ipn);
    port = word_after(msg, " port ", &pn);
    sqlite3_bind_text(st, A_EVENT, ev, -1, SQLITE_STATIC);
    if ((rc = bind_w(st, A_USER, u, un)) || (rc = bind_w(st, A_IP, ip, ipn)) ||
        (rc = bind_w(st, A_METHOD, method, mn)))
        return rc;
    if (port && pn < 8)
        sqlite3_bind_int(st, A_PORT, (int)strtol(port, NULL, 10));
    return CF_OK;
}

static int parse_sudo(sqlite3_stmt *st, const char *msg)
{
    const char *p = msg, *cmd;
    size_t un = 0, tn = 0;
    const char *target;
    int rc;
    while (*p == ' ')
        p++;
    un = strcspn(p, " :");
    if (!strstr(msg, "COMMAND="))
        return CF_OK;
    sqlite3_bind_text(st, A_EVENT, "sudo", -1, SQLITE_STATIC);
    target = word_after(msg, "USER=", &tn);
    cmd = strstr(msg, "COMMAND=");
    if ((rc = bind_w(st, A_USER, un ? p : NULL, un)) || (rc = bind_w(st, A_TARGET, target, tn)))
        return rc;
    return cf_bind_text(st, A_COMMAND, cmd + 8, strlen(cmd + 8), 1);
}

static int parse_account(sqlite3_stmt *st, const char *prog, const char *msg)
{
    const char *u = NULL, *g = NULL, *ev = NULL;
    size_t un = 0, gn = 0;
    int rc;
    if (!strcmp(prog, "useradd") && strstr(msg, "new user:")) {
        ev = "useradd";
        u = word_after(msg, "name=", &un);
    } else if ((!strcmp(prog, "useradd") || !strcmp(prog, "groupadd")) &&
               (strstr(msg, "new group:") || strstr(msg, "group added to /etc/group"))) {
        ev = "groupadd";
        g = word_after(msg, "name=", &gn);
    } else if (!strcmp(prog, "usermod") || !strcmp(prog, "gpasswd")) {
        ev = "usermod";
        if (strstr(msg, "add '")) {
            u = word_after(msg, "add '", &un);
            g = word_after(msg, "group '", &gn);
        } else {
            u = word_after(msg, "user '", &un);
        }
    } else if (!strcmp(prog, "userdel")) {
        ev = "userdel";
        u = word_after(msg, "user '", &un);
    } else if (!strcmp(prog, "chpasswd") || !strcmp(prog, "passwd")) {
        ev = "passwd";
        u = word_after(msg, "password changed for ", &un);
    } else {
        return CF_OK;
    }
    sqlite3_bind_text(st, A_EVENT, ev, -1, SQLITE_STATIC);
    if ((rc = bind_w(st, A_USER, u, un)) || (rc = bind_w(st, A_TARGET, g, gn)))
        return rc;
    return CF_OK;
}

static int on_line(cf_load_ctx *ctx, char *line, size_t len, uint64_t lineno)
{
    auth_state *as = ctx->table_state;
    sqlite3_stmt *st = as->ins;
    int64_t ns = 0;
    size_t off, hn, pn;
    char *host, *prog, *msg, *colon, *br;
    char progname[64];
    int rc = CF_OK;
    if (len == 0)
        return CF_OK;
    off = parse_ts(line, len, ctx->year, &ns);
    if (!off || off >= len) {
        cf_load_bad_line(ctx, lineno, "no syslog timestamp", line, len);
        return CF_OK;
    }
    /* NUL bytes would cut the strstr() scans short; they are only data here */
    for (size_t i = 0; i < len; i++)
        if (!line[i])
            line[i] = ' ';
    host = line + off;
    while (*host == ' ')
        host++;
    hn = strcspn(host, " ");
    prog = host + hn;
    while (*prog == ' ')
        prog++;
    colon = strstr(prog, ": ");
    msg = colon ? colon + 2 : prog + strlen(prog);
    pn = colon ? (size_t)(colon - prog) : 0;
    br = pn ? memchr(prog, '[', pn) : NULL;
    {
        size_t nl = br ? (size_t)(br - prog) : pn;
        if (nl >= sizeof(progname))
            nl = sizeof(progname) - 1;
        memcpy(progname, prog, nl);
        progname[nl] = '\0';
    }
    if (ctx->bundle_id)
        sqlite3_bind_int64(st, A_BUNDLE, ctx->bundle_id);
    sqlite3_bind_text(st, A_SOURCE, ctx->source, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, A_LINE, (sqlite3_int64)lineno);
    cf_bind_time(st, A_TIME, ns);
    if ((rc = cf_bind_text(st, A_HOST, host, hn, 1)) ||
        (rc = cf_bind_text(st, A_PROGRAM, progname, strlen(progname), 1)) ||
        (rc = cf_bind_text(st, A_MESSAGE, msg, strlen(msg), 1)))
        goto cleanup;
    if (br) {
        long pid = strtol(br + 1, NULL, 10); /* saturates; pids fit in an int */
        if (pid > 0 && pid <= 0x7fffffffL)
            sqlite3_bind_int(st, A_PID, (int)pid);
    }
    sqlite3_bind_text(st, A_EVENT, "other", -1, SQLITE_STATIC);
    if (!strcmp(progname, "sshd"))
        rc = parse_sshd(st, msg);
    else if (!strcmp(progname, "sudo"))
        rc = parse_sudo(st, msg);
    else if (!strcmp(progname, "su") && strstr(msg, "(to ")) {
        size_t tn = 0;
        const char *t = word_after(msg, "(to ", &tn);
        sqlite3_bind_text(st, A_EVENT, "su", -1, SQLITE_STATIC);
        if (t && tn && t[tn - 1] == ')')
            tn--;
        rc = bind_w(st, A_TARGET, t, tn);
    } else
        rc = parse_account(st, progname, msg);
    if (rc)
        goto cleanup;
    if ((rc = cf_db_step_done(ctx->db, st)))
        goto cleanup;
    ctx->stats->rows++;
cleanup:
    return rc;
}

int cf_load_auth(cf_load_ctx *ctx)
{
    auth_state as = {NULL};
    int rc;
    if ((rc = cf_db_prepare(ctx->db,
                            "INSERT INTO auth_events(bundle_id, source, line, time, host, program,"
                            " pid, event, user, src_ip, src_port, method, target_user, command,"
                            " message) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
                            " ?13, ?14, ?15)",
                            &as.ins)))
        goto cleanup;
    ctx->table_state = &as;
    rc = cf_lines_each(ctx, on_line);
    ctx->table_state = NULL;
cleanup:
    sqlite3_finalize(as.ins);
    return rc;
}
