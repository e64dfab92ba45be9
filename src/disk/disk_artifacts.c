/* Artifacts: which files are copied into artifacts/, and the shadow redaction. */
#include <stdlib.h>
#include <string.h>

#include "common/cf_error.h"
#include "common/cf_fs.h"
#include "disk/disk_internal.h"

#define ARTIFACT_FILE_MAX  (1u << 20)
#define ARTIFACT_GLOBS_MAX 4096

/* The built-in list (docs/disk.md). '*' stays in one component, '**' crosses '/'. */
static const char *const default_globs[] = {
    /* system and web-server logs, rotated and compressed ones included */
    "/var/log/**",
    /* shell histories */
    "/root/.*history",
    "/home/*/.*history",
    "/root/.local/share/fish/fish_history",
    "/home/*/.local/share/fish/fish_history",
    /* cron */
    "/etc/crontab",
    "/etc/anacrontab",
    "/etc/cron.*/**",
    "/var/spool/cron/**",
    "/etc/cron.allow",
    "/etc/cron.deny",
    "/etc/at.allow",
    "/etc/at.deny",
    "/var/spool/at/**",
    /* systemd units (system and user) */
    "/etc/systemd/**",
    "/lib/systemd/system/**",
    "/usr/lib/systemd/system/**",
    "/run/systemd/system/**",
    "/root/.config/systemd/**",
    "/home/*/.config/systemd/**",
    /* rc scripts */
    "/etc/rc.local",
    "/etc/rc.d/**",
    "/etc/init.d/**",
    "/etc/rc?.d/**",
    "/etc/init/**",
    /* ssh keys and config */
    "/root/.ssh/authorized_keys*",
    "/home/*/.ssh/authorized_keys*",
    "/etc/ssh/sshd_config",
    "/etc/ssh/sshd_config.d/**",
    /* accounts (shadow files are redacted: hash types only) */
    "/etc/passwd",
    "/etc/passwd-",
    "/etc/group",
    "/etc/group-",
    "/etc/shadow",
    "/etc/shadow-",
    "/etc/gshadow",
    "/etc/gshadow-",
    "/etc/sudoers",
    "/etc/sudoers.d/**",
    /* loader and PAM persistence */
    "/etc/ld.so.preload",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d/**",
    "/etc/pam.d/**",
    "/etc/security/**",
    /* login scripts */
    "/etc/profile",
    "/etc/profile.d/**",
    "/etc/bash.bashrc",
    "/etc/bashrc",
    "/root/.bashrc",
    "/root/.profile",
    "/root/.bash_profile",
    "/root/.bash_logout",
    "/home/*/.bashrc",
    "/home/*/.profile",
    "/home/*/.bash_profile",
    "/home/*/.bash_logout",
    /* name resolution an attacker may redirect */
    "/etc/hosts",
    "/etc/resolv.conf",
    /* web roots' scripts */
    "/var/www/**.php",
    "/var/www/**.php[0-9]",
    "/var/www/**.phtml",
    "/var/www/**.phar",
    "/var/www/**.jsp",
    "/var/www/**.jspx",
    "/var/www/**.asp",
    "/var/www/**.aspx",
    "/var/www/**.cgi",
    "/var/www/**.pl",
    "/var/www/**.py",
    "/var/www/**.sh",
    "/var/www/**.htaccess",
    "/usr/share/nginx/html/**.php",
    "/usr/share/nginx/html/**.jsp",
    "/usr/share/nginx/html/**.phtml",
    "/usr/share/nginx/html/**.cgi",
    "/usr/share/nginx/html/**.sh",
    "/srv/www/**.php",
    "/srv/www/**.jsp",
    "/srv/www/**.phtml",
    "/srv/www/**.cgi",
    "/srv/www/**.sh",
    "/srv/www/**.htaccess",
    /* web-server configuration */
    "/etc/nginx/**",
    "/etc/apache2/**",
    "/etc/httpd/**",
};

static int add_glob(disk_ctx *ctx, const char *g, size_t len)
{
    char **grown;
    char *copy;
    if (ctx->n_artifact_globs >= ARTIFACT_GLOBS_MAX)
        return cf_error_set(CF_ETOOBIG, "artifact list: more than %d patterns", ARTIFACT_GLOBS_MAX);
    copy = strndup(g, len);
    if (!copy)
        return cf_error_set(CF_ENOMEM, "artifact list: out of memory");
    grown = realloc(ctx->artifact_globs, (ctx->n_artifact_globs + 1) * sizeof(*grown));
    if (!grown) {
        free(copy);
        return cf_error_set(CF_ENOMEM, "artifact list: out of memory");
    }
    ctx->artifact_globs = grown;
    ctx->artifact_globs[ctx->n_artifact_globs++] = copy;
    return CF_OK;
}

int disk_artifacts_load(disk_ctx *ctx)
{
    cf_buf text = CF_BUF_INIT(ARTIFACT_FILE_MAX);
    int rc = CF_OK;
    if (!ctx->opt->artifacts_file) {
        for (size_t i = 0; rc == CF_OK && i < sizeof(default_globs) / sizeof(default_globs[0]); i++)
            rc = add_glob(ctx, default_globs[i], strlen(default_globs[i]));
        goto cleanup;
    }
    rc = cf_fs_read(ctx->opt->artifacts_file, &text);
    if (rc != CF_OK) {
        cf_error_wrap("artifact list %s", ctx->opt->artifacts_file);
        goto cleanup;
    }
    for (const char *p = cf_buf_cstr(&text); rc == CF_OK && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        const char *s = p;
        size_t n = len;
        while (n && (*s == ' ' || *s == '\t')) {
            s++;
            n--;
        }
        while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
            n--;
        if (n && s[0] != '#') {
            if (s[0] != '/') {
                rc = cf_error_set(CF_EINVAL, "artifact list %s: pattern '%.*s' is not absolute",
                                  ctx->opt->artifacts_file, (int)(n > 200 ? 200 : n), s);
                break;
            }
            size_t stars = 0, deep = 0;
            for (size_t i = 0; i < n; i++) {
                if (s[i] == '*' && i + 1 < n && s[i + 1] == '*') {
                    deep++;
                    i++;
                } else if (s[i] == '*') {
                    stars++;
                }
            }
            /* The matcher backtracks: bound its work on hostile (long) paths. */
            if (deep > 2 || stars + deep > 4) {
                rc = cf_error_set(CF_EINVAL,
                                  "artifact list %s: pattern '%.*s' has more than 4 stars or "
                                  "2 '**'",
                                  ctx->opt->artifacts_file, (int)(n > 200 ? 200 : n), s);
                break;
            }
            rc = add_glob(ctx, s, n);
        }
        p += len + (nl ? 1 : 0);
    }
cleanup:
    cf_buf_release(&text);
    return rc;
}

void disk_artifacts_free(disk_ctx *ctx)
{
    for (size_t i = 0; i < ctx->n_artifact_globs; i++)
        free(ctx->artifact_globs[i]);
    free(ctx->artifact_globs);
    ctx->artifact_globs = NULL;
    ctx->n_artifact_globs = 0;
}

/* Our glob has no character classes; "[0-9]" in the list above is expanded here. */
static int match_one(const char *g, const char *path)
{
    const char *br = strstr(g, "[0-9]");
    char tmp[512];
    size_t pre;
    if (!br)
        return cf_disk_glob_match(g, path);
    pre = (size_t)(br - g);
    if (pre + strlen(br + 5) + 2 > sizeof(tmp))
        return 0;
    for (char d = '0'; d <= '9'; d++) {
        memcpy(tmp, g, pre);
        tmp[pre] = d;
        memcpy(tmp + pre + 1, br + 5, strlen(br + 5) + 1); /* fits: checked above */
        if (cf_disk_glob_match(tmp, path))
            return 1;
    }
    return 0;
}

int disk_is_artifact(const disk_ctx *ctx, const char *path)
{
    for (size_t i = 0; i < ctx->n_artifact_globs; i++)
        if (match_one(ctx->artifact_globs[i], path))
            return 1;
    return 0;
}

int disk_is_shadow(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    /* shadow, shadow-, gshadow, gshadow-, shadow.bak, nshadow ...: never copy the hashes */
    return strstr(base, "shadow") != NULL;
}

int disk_artifact_relpath(const char *path, size_t len, char *out, size_t cap)
{
    size_t i = 0;
    if (len == 0 || path[0] != '/' || !disk_utf8_valid(path, len))
        return CF_EINVAL;
    /* Every component must be a plain name: no "", ".", "..", no control bytes. */
    while (i < len) {
        size_t start = ++i;
        while (i < len && path[i] != '/') {
            if ((unsigned char)path[i] < 0x20 || path[i] == 0x7f)
                return CF_EINVAL;
            i++;
        }
        if (i == start || (i - start == 1 && path[start] == '.') ||
            (i - start == 2 && path[start] == '.' && path[start + 1] == '.'))
            return CF_EINVAL;
    }
    if (len + sizeof("artifacts") > cap)
        return CF_ETOOBIG;
    memcpy(out, "artifacts", 9);
    memcpy(out + 9, path, len);
    out[9 + len] = '\0';
    return CF_OK;
}

const char *cf_disk_hash_type(const char *f, size_t len)
{
    static const struct {
        const char *prefix;
        const char *name;
    } ids[] = {
        {"$y$", "yescrypt"},     {"$gy$", "gost-yescrypt"}, {"$7$", "scrypt"},
        {"$2b$", "bcrypt"},      {"$2a$", "bcrypt"},        {"$2y$", "bcrypt"},
        {"$6$", "sha512crypt"},  {"$5$", "sha256crypt"},    {"$1$", "md5crypt"},
        {"$sha1$", "sha1crypt"}, {"$md5", "sunmd5"},        {"$3$", "nthash"},
        {"_", "bsdicrypt"},
    };
    if (len == 0)
        return "no-password";
    if (f[0] == '!' || f[0] == '*') {
        /* Locked or disabled; the hash after '!' keeps its type. */
        size_t skip = 0;
        while (skip < len && (f[skip] == '!' || f[skip] == '*'))
            skip++;
        if (skip == len)
            return f[0] == '!' ? "locked" : "disabled";
        const char *inner = cf_disk_hash_type(f + skip, len - skip);
        if (!strcmp(inner, "sha512crypt"))
            return "locked-sha512crypt";
        if (!strcmp(inner, "yescrypt"))
            return "locked-yescrypt";
        if (!strcmp(inner, "sha256crypt"))
            return "locked-sha256crypt";
        if (!strcmp(inner, "md5crypt"))
            return "locked-md5crypt";
        if (!strcmp(inner, "bcrypt"))
            return "locked-bcrypt";
        if (!strcmp(inner, "descrypt"))
            return "locked-descrypt";
        return "locked-unknown";
    }
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        size_t n = strlen(ids[i].prefix);
        if (len >= n && !memcmp(f, ids[i].prefix, n))
            return ids[i].name;
    }
    if (len == 13)
        return "descrypt";
    return "unknown";
}

int cf_disk_shadow_redact(const char *data, size_t len, cf_buf *out)
{
    size_t pos = 0;
    int rc = CF_OK;
    while (rc == CF_OK && pos < len) {
        const char *line = data + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - line) : len - pos;
        const char *c1 = memchr(line, ':', n);
        if (!c1) {
            /* Not an entry: keep nothing of it but say so (it could be a hash). */
            rc = cf_buf_addstr(out, n ? "# (line without ':' removed)\n" : "\n");
        } else {
            const char *f = c1 + 1;
            const char *c2 = memchr(f, ':', (size_t)(line + n - f));
            size_t flen = c2 ? (size_t)(c2 - f) : (size_t)(line + n - f);
            rc = cf_buf_add(out, line, (size_t)(f - line));
            if (rc == CF_OK)
                rc = cf_buf_addstr(out, cf_disk_hash_type(f, flen));
            if (rc == CF_OK && c2)
                rc = cf_buf_add(out, c2, (size_t)(line + n - c2));
            if (rc == CF_OK)
                rc = cf_buf_addch(out, '\n');
        }
        pos += n + (nl ? 1 : 0);
    }
    return rc;
}
