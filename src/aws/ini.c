/* A bounded parser for the AWS shared config and credentials files. */
#include "aws/cf_ini.h"
#include "common/cf_buf.h"
#include "common/cf_error.h"
#include "common/cf_fs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

typedef struct ini_entry {
    char *section;
    char *key;
    char *sub; /* NULL for a plain key */
    char *value;
} ini_entry;

struct cf_ini {
    ini_entry *e;
    size_t n, cap;
    char **sections;
    size_t nsec, capsec;
};

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static char *dup_trim(const char *s, size_t n)
{
    char *o;
    while (n && is_ws(*s)) {
        s++;
        n--;
    }
    while (n && is_ws(s[n - 1]))
        n--;
    o = malloc(n + 1);
    if (o) {
        memcpy(o, s, n);
        o[n] = '\0';
    }
    return o;
}

static int add_entry(cf_ini *ini, const char *section, const char *key, const char *sub,
                     const char *val, size_t vlen)
{
    ini_entry *x;
    if (ini->n >= CF_INI_MAX_ENTRIES)
        return cf_error_set(CF_ETOOBIG, "config file has more than %d entries", CF_INI_MAX_ENTRIES);
    if (ini->n == ini->cap) {
        size_t nc = ini->cap ? ini->cap * 2 : 32;
        ini_entry *ne = realloc(ini->e, nc * sizeof(*ne));
        if (!ne)
            return cf_error_set(CF_ENOMEM, "out of memory");
        ini->e = ne;
        ini->cap = nc;
    }
    x = &ini->e[ini->n];
    x->section = strdup(section);
    x->key = strdup(key);
    x->sub = sub ? strdup(sub) : NULL;
    x->value = dup_trim(val, vlen);
    if (!x->section || !x->key || (sub && !x->sub) || !x->value) {
        free(x->section);
        free(x->key);
        free(x->sub);
        free(x->value);
        return cf_error_set(CF_ENOMEM, "out of memory");
    }
    ini->n++;
    return CF_OK;
}

static int add_section(cf_ini *ini, const char *name)
{
    char *d;
    if (ini->nsec >= CF_INI_MAX_ENTRIES)
        return cf_error_set(CF_ETOOBIG, "config file has too many sections");
    if (ini->nsec == ini->capsec) {
        size_t nc = ini->capsec ? ini->capsec * 2 : 8;
        char **ns = realloc(ini->sections, nc * sizeof(*ns));
        if (!ns)
            return cf_error_set(CF_ENOMEM, "out of memory");
        ini->sections = ns;
        ini->capsec = nc;
    }
    d = strdup(name);
    if (!d)
        return cf_error_set(CF_ENOMEM, "out of memory");
    ini->sections[ini->nsec++] = d;
    return CF_OK;
}

int cf_ini_parse(const char *data, size_t len, cf_ini **out)
{
    cf_ini *ini = NULL;
    char *section = NULL, *parent = NULL; /* parent: key whose sub-properties follow */
    size_t lineno = 0, pos = 0;
    int rc = CF_OK;
    *out = NULL;
    if (len > CF_INI_MAX_BYTES) {
        rc = cf_error_set(CF_ETOOBIG, "config file of %zu bytes is larger than %u", len,
                          CF_INI_MAX_BYTES);
        goto cleanup;
    }
    ini = calloc(1, sizeof(*ini));
    if (!ini) {
        rc = cf_error_set(CF_ENOMEM, "out of memory");
        goto cleanup;
    }
    while (pos < len) {
        const char *line = data + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - line) : len - pos, i = 0;
        int indented;
        pos += n + (nl ? 1 : 0);
        lineno++;
        if (n > CF_INI_MAX_LINE) {
            rc = cf_error_set(CF_ETOOBIG, "config line %zu is longer than %d bytes", lineno,
                              CF_INI_MAX_LINE);
            goto cleanup;
        }
        if (memchr(line, '\0', n)) {
            rc = cf_error_set(CF_EPARSE, "config line %zu contains a NUL byte", lineno);
            goto cleanup;
        }
        indented = n && is_ws(line[0]);
        while (i < n && is_ws(line[i]))
            i++;
        if (i == n || line[i] == '#' || line[i] == ';')
            continue;
        if (line[i] == '[' && !indented) {
            const char *close = memchr(line + i, ']', n - i);
            if (!close) {
                rc = cf_error_set(CF_EPARSE, "config line %zu: section without ']'", lineno);
                goto cleanup;
            }
            free(section);
            free(parent);
            parent = NULL;
            section = dup_trim(line + i + 1, (size_t)(close - line - i - 1));
            if (!section) {
                rc = cf_error_set(CF_ENOMEM, "out of memory");
                goto cleanup;
            }
            /* "profile   x" -> "profile x" */
            if (strncmp(section, "profile", 7) == 0 && is_ws(section[7])) {
                char *p = section + 7;
                while (is_ws(*p))
                    p++;
                memmove(section + 8, p, strlen(p) + 1);
                section[7] = ' ';
            }
            rc = add_section(ini, section);
            if (rc)
                goto cleanup;
            continue;
        }
        {
            const char *eq = memchr(line + i, '=', n - i);
            char *key;
            if (!eq || !section) {
                rc = cf_error_set(CF_EPARSE, "config line %zu: expected 'key = value'%s", lineno,
                                  section ? "" : " inside a [section]");
                goto cleanup;
            }
            key = dup_trim(line + i, (size_t)(eq - line - i));
            if (!key) {
                rc = cf_error_set(CF_ENOMEM, "out of memory");
                goto cleanup;
            }
            if (!*key) {
                free(key);
                rc = cf_error_set(CF_EPARSE, "config line %zu: empty key", lineno);
                goto cleanup;
            }
            if (indented && parent) {
                rc = add_entry(ini, section, parent, key, eq + 1, (size_t)(line + n - eq - 1));
                free(key);
            } else {
                size_t vlen = (size_t)(line + n - eq - 1);
                char *v = dup_trim(eq + 1, vlen);
                if (!v) {
                    free(key);
                    rc = cf_error_set(CF_ENOMEM, "out of memory");
                    goto cleanup;
                }
                free(parent);
                parent = NULL;
                if (!*v)
                    parent = key; /* sub-properties may follow */
                rc = add_entry(ini, section, key, NULL, eq + 1, vlen);
                if (*v)
                    free(key);
                free(v);
            }
            if (rc)
                goto cleanup;
        }
    }
    *out = ini;
    ini = NULL;
cleanup:
    free(section);
    free(parent);
    cf_ini_free(ini);
    return rc;
}

int cf_ini_load(const char *path, cf_ini **out)
{
    cf_buf b = CF_BUF_INIT(CF_INI_MAX_BYTES);
    struct stat st;
    int rc;
    *out = NULL;
    if (stat(path, &st) != 0 && errno == ENOENT)
        return cf_ini_parse("", 0, out);
    rc = cf_fs_read(path, &b);
    if (!rc)
        rc = cf_ini_parse(cf_buf_cstr(&b), b.len, out);
    if (rc)
        cf_error_wrap("%s", path);
    cf_buf_release(&b);
    return rc;
}

void cf_ini_free(cf_ini *ini)
{
    if (!ini)
        return;
    for (size_t i = 0; i < ini->n; i++) {
        free(ini->e[i].section);
        free(ini->e[i].key);
        free(ini->e[i].sub);
        free(ini->e[i].value);
    }
    for (size_t i = 0; i < ini->nsec; i++)
        free(ini->sections[i]);
    free(ini->sections);
    free(ini->e);
    free(ini);
}

const char *cf_ini_get_sub(const cf_ini *ini, const char *section, const char *key, const char *sub)
{
    const char *found = NULL;
    if (!ini || !section || !key)
        return NULL;
    /* The last definition wins, as in the SDKs. */
    for (size_t i = 0; i < ini->n; i++) {
        const ini_entry *x = &ini->e[i];
        if (strcmp(x->section, section) || strcasecmp(x->key, key))
            continue;
        if (sub ? (x->sub && strcasecmp(x->sub, sub) == 0) : !x->sub)
            found = x->value;
    }
    return found;
}

const char *cf_ini_get(const cf_ini *ini, const char *section, const char *key)
{
    return cf_ini_get_sub(ini, section, key, NULL);
}

int cf_ini_has_section(const cf_ini *ini, const char *section)
{
    for (size_t i = 0; ini && i < ini->nsec; i++)
        if (strcmp(ini->sections[i], section) == 0)
            return 1;
    return 0;
}
