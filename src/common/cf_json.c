#include "common/cf_json.h"
#include "common/cf_buf.h"
#include "common/cf_error.h"
#include "common/cf_fs.h"
#include "common/cf_utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int depth_ok(const char *data, size_t len)
{
    int depth = 0, in_str = 0;
    for (size_t i = 0; i < len; i++) {
        char c = data[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '[' || c == '{') {
            if (++depth > CF_JSON_MAX_DEPTH)
                return 0;
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return 1;
}

int cf_json_parse(const char *data, size_t len, json_t **out)
{
    json_error_t jerr;
    json_t *j;
    *out = NULL;
    if (!depth_ok(data, len))
        return cf_error_set(CF_EPARSE, "JSON nested deeper than %d levels", CF_JSON_MAX_DEPTH);
    j = json_loadb(data, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    if (!j)
        return cf_error_set(CF_EPARSE, "invalid JSON at line %d column %d: %s", jerr.line,
                            jerr.column, jerr.text);
    *out = j;
    return CF_OK;
}

int cf_json_load_file(const char *path, size_t max, json_t **out)
{
    cf_buf b = CF_BUF_INIT(max);
    int rc = cf_fs_read(path, &b);
    if (!rc)
        rc = cf_json_parse(cf_buf_cstr(&b), b.len, out);
    if (rc)
        cf_error_wrap("%s", path);
    cf_buf_release(&b);
    return rc;
}

json_t *cf_json_path(json_t *root, const char *path)
{
    char key[256];
    const char *p = path;
    json_t *cur = root;
    while (cur && *p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (n >= sizeof(key))
            return NULL;
        memcpy(key, p, n);
        key[n] = '\0';
        if (json_is_object(cur)) {
            cur = json_object_get(cur, key);
        } else if (json_is_array(cur)) {
            char *end;
            unsigned long idx = strtoul(key, &end, 10);
            cur = (*end || end == key) ? NULL : json_array_get(cur, idx);
        } else {
            return NULL;
        }
        p += n;
        if (*p == '.')
            p++;
    }
    return cur;
}

const char *cf_json_str(json_t *root, const char *path)
{
    json_t *v = cf_json_path(root, path);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int fp_dump(const char *buffer, size_t size, void *data)
{
    return fwrite(buffer, 1, size, data) == size ? 0 : -1;
}

int cf_json_write_line(void *fp, json_t *obj)
{
    if (json_dump_callback(obj, fp_dump, fp, JSON_COMPACT | JSON_ENSURE_ASCII) != 0 ||
        fputc('\n', fp) == EOF)
        return cf_error_set(CF_EIO, "writing JSON line failed");
    return CF_OK;
}

json_t *cf_json_string_lossy(const char *data, size_t len)
{
    cf_buf b = CF_BUF_INIT((len + 1) * 3);
    json_t *j = NULL;
    if (cf_utf8_lossy(&b, data, len) == CF_OK)
        j = json_stringn(cf_buf_cstr(&b), b.len);
    cf_buf_release(&b);
    return j;
}
