#include "workflow/wf_bundle.h"
#include "common/cf_error.h"
#include "common/cf_fs.h"
#include "common/cf_hash.h"
#include "common/cf_json.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int octal(const char *p, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    size_t i = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\0'))
        i++;
    for (; i < n && p[i] >= '0' && p[i] <= '7'; i++) {
        if (v > (UINT64_MAX >> 3))
            return CF_EPARSE;
        v = (v << 3) | (uint64_t)(p[i] - '0');
    }
    for (; i < n; i++)
        if (p[i] != ' ' && p[i] != '\0')
            return CF_EPARSE;
    *out = v;
    return CF_OK;
}

static int safe_name(const char *name)
{
    const char *p = name;
    if (!*name || name[0] == '/')
        return 0;
    while (*p) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if ((n == 2 && !strncmp(p, "..", 2)))
            return 0;
        p += n;
        if (*p == '/')
            p++;
    }
    return 1;
}

int wf_tar_extract(const char *tar_path, const char *dir, uint64_t max_total)
{
    FILE *in = NULL, *outf = NULL;
    char hdr[512], name[256], path[PATH_MAX], buf[65536];
    uint64_t total = 0, size;
    int rc, members = 0, zero_blocks = 0;
    if ((rc = cf_fs_mkdirs(dir, 0750)))
        goto cleanup;
    in = fopen(tar_path, "rb");
    if (!in) {
        rc = cf_error_set(CF_EIO, "open %s: %m", tar_path);
        goto cleanup;
    }
    while (fread(hdr, 1, sizeof(hdr), in) == sizeof(hdr)) {
        char type;
        size_t plen, nlen;
        int empty = 1;
        for (size_t i = 0; i < sizeof(hdr) && empty; i++)
            empty = hdr[i] == 0;
        if (empty) {
            if (++zero_blocks == 2)
                break;
            continue;
        }
        zero_blocks = 0;
        if (++members > WF_BUNDLE_MAX_MEMBERS) {
            rc = cf_error_set(CF_ETOOBIG, "%s: more than %d members", tar_path,
                              WF_BUNDLE_MAX_MEMBERS);
            goto cleanup;
        }
        if (octal(hdr + 124, 12, &size)) {
            rc = cf_error_set(CF_EPARSE, "%s: bad member size", tar_path);
            goto cleanup;
        }
        type = hdr[156];
        plen = strnlen(hdr + 345, 155);
        nlen = strnlen(hdr, 100);
        if (memcmp(hdr + 257, "ustar", 5) == 0 && plen)
            snprintf(name, sizeof(name), "%.*s/%.*s", (int)plen, hdr + 345, (int)nlen, hdr);
        else
            snprintf(name, sizeof(name), "%.*s", (int)nlen, hdr);
        while (!strncmp(name, "./", 2))
            memmove(name, name + 2, strlen(name + 2) + 1);
        if (total + size > max_total) {
            rc = cf_error_set(CF_ETOOBIG, "%s: more than %llu bytes", tar_path,
                              (unsigned long long)max_total);
            goto cleanup;
        }
        if ((type == '0' || type == '\0' || type == '5') && *name && strcmp(name, ".") &&
            strcmp(name, "./")) {
            if (!safe_name(name)) {
                rc = cf_error_set(CF_EINTEGRITY, "%s: unsafe member name '%.100s'", tar_path, name);
                goto cleanup;
            }
            if ((rc = cf_fs_join(path, sizeof(path), dir, name)))
                goto cleanup;
            if (type == '5') {
                if ((rc = cf_fs_mkdirs(path, 0750)))
                    goto cleanup;
            } else {
                char *slash = strrchr(path, '/');
                *slash = '\0';
                if ((rc = cf_fs_mkdirs(path, 0750)))
                    goto cleanup;
                *slash = '/';
                outf = fopen(path, "wbx");
                if (!outf) {
                    rc = cf_error_set(CF_EINTEGRITY, "%s: cannot create member %.100s (%m)",
                                      tar_path, name);
                    goto cleanup;
                }
            }
        }
        /* Copy (or skip) the data, padded to 512. */
        {
            uint64_t left = size, padded = (size + 511) & ~(uint64_t)511;
            while (left) {
                size_t chunk = left > sizeof(buf) ? sizeof(buf) : (size_t)left;
                if (fread(buf, 1, chunk, in) != chunk) {
                    rc = cf_error_set(CF_EPARSE, "%s: truncated", tar_path);
                    goto cleanup;
                }
                if (outf && fwrite(buf, 1, chunk, outf) != chunk) {
                    rc = cf_error_set(CF_EIO, "write %s: %m", path);
                    goto cleanup;
                }
                left -= chunk;
            }
            if (padded > size && fseek(in, (long)(padded - size), SEEK_CUR)) {
                rc = cf_error_set(CF_EPARSE, "%s: truncated", tar_path);
                goto cleanup;
            }
            total += size;
        }
        if (outf) {
            if (fclose(outf)) {
                outf = NULL;
                rc = cf_error_set(CF_EIO, "write %s: %m", path);
                goto cleanup;
            }
            outf = NULL;
        }
    }
    rc = CF_OK;
cleanup:
    if (outf)
        fclose(outf);
    if (in)
        fclose(in);
    return rc;
}

int wf_bundle_verify(cf_case *cs, const char *dir, const char *bundle_name, const char *kind,
                     const char *s3_uri_prefix, int *n_files_out)
{
    json_t *man = NULL, *files, *f;
    char path[PATH_MAX];
    sqlite3_stmt *st = NULL;
    size_t i;
    int rc, bad = 0;
    *n_files_out = 0;
    if ((rc = cf_fs_join(path, sizeof(path), dir, "manifest.json")))
        goto cleanup;
    if ((rc = cf_json_load_file(path, 16u << 20, &man)))
        goto cleanup;
    files = json_object_get(man, "files");
    if (!json_is_array(files)) {
        rc = cf_error_set(CF_EINTEGRITY, "%s: the manifest has no files list", path);
        goto cleanup;
    }
    if (sqlite3_prepare_v2(cf_case_db(cs),
                           "INSERT INTO evidence(bundle,kind,path,sha256,bytes,s3_uri,verified,"
                           "detail) VALUES(?,?,?,?,?,?,?,?) ON CONFLICT(bundle,path) DO UPDATE "
                           "SET sha256=excluded.sha256, bytes=excluded.bytes, "
                           "verified=excluded.verified, detail=excluded.detail",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = cf_error_set(CF_EIO, "evidence: %s", sqlite3_errmsg(cf_case_db(cs)));
        goto cleanup;
    }
    json_array_foreach(files, i, f)
    {
        const char *rel = json_string_value(json_object_get(f, "path"));
        const char *want = json_string_value(json_object_get(f, "sha256"));
        json_int_t want_bytes = json_integer_value(json_object_get(f, "bytes"));
        char got[CF_SHA256_HEX_LEN] = "", uri[2048], detail[256] = "";
        uint64_t bytes = 0;
        int ok = 0;
        if (!rel || !want || !safe_name(rel))
            continue;
        if (cf_fs_join(path, sizeof(path), dir, rel) || cf_sha256_file(path, got, &bytes)) {
            snprintf(detail, sizeof(detail), "missing from the bundle");
            cf_error_clear();
        } else if (strcasecmp(got, want)) {
            snprintf(detail, sizeof(detail), "sha256 differs from the manifest");
        } else if (json_is_integer(json_object_get(f, "bytes")) && (uint64_t)want_bytes != bytes) {
            snprintf(detail, sizeof(detail), "size differs from the manifest");
        } else {
            ok = 1;
        }
        bad += !ok;
        snprintf(uri, sizeof(uri), "%s%s", s3_uri_prefix, rel);
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, bundle_name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, kind, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, rel, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 4, want, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 5, (sqlite3_int64)bytes);
        sqlite3_bind_text(st, 6, uri, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 7, ok);
        if (*detail)
            sqlite3_bind_text(st, 8, detail, -1, SQLITE_TRANSIENT);
        else
            sqlite3_bind_null(st, 8);
        if (sqlite3_step(st) != SQLITE_DONE) {
            rc = cf_error_set(CF_EIO, "evidence: %s", sqlite3_errmsg(cf_case_db(cs)));
            goto cleanup;
        }
        ++*n_files_out;
    }
    if (bad)
        rc = cf_error_set(CF_EINTEGRITY, "%d of %d file(s) of the %s bundle failed verification",
                          bad, *n_files_out, kind);
cleanup:
    sqlite3_finalize(st);
    json_decref(man);
    return rc;
}
