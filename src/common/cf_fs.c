#include "common/cf_fs.h"
#include "common/cf_error.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cf_fs_read(const char *path, cf_buf *out)
{
    int fd = -1, rc = CF_OK;
    ssize_t n;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = cf_error_set(errno == ENOENT ? CF_ENOTFOUND : CF_EIO, "open %s: %s", path,
                          strerror(errno));
        goto cleanup;
    }
    for (;;) {
        if ((rc = cf_buf_grow(out, 1)))
            goto cleanup;
        n = read(fd, out->data + out->len, out->cap - out->len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = cf_error_set(CF_EIO, "read %s: %s", path, strerror(errno));
            goto cleanup;
        }
        if (n == 0)
            break;
        if (out->len + (size_t)n > out->max) {
            rc = cf_error_set(CF_ETOOBIG, "%s is larger than %zu bytes", path, out->max);
            goto cleanup;
        }
        cf_buf_setlen(out, out->len + (size_t)n);
        if (out->len == out->max) {
            char probe;
            n = read(fd, &probe, 1);
            if (n > 0) {
                rc = cf_error_set(CF_ETOOBIG, "%s is larger than %zu bytes", path, out->max);
                goto cleanup;
            }
            break;
        }
    }
cleanup:
    if (fd >= 0)
        close(fd);
    return rc;
}

int cf_fs_write_atomic(const char *path, const void *data, size_t len)
{
    char tmp[4096];
    int fd = -1, rc = CF_OK;
    const char *p = data;
    if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp))
        return cf_error_set(CF_ETOOBIG, "path too long: %s", path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = cf_error_set(CF_EIO, "create %s: %s", tmp, strerror(errno));
        goto cleanup;
    }
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = cf_error_set(CF_EIO, "write %s: %s", tmp, strerror(errno));
            goto cleanup;
        }
        p += n;
        len -= (size_t)n;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        fd = -1;
        rc = cf_error_set(CF_EIO, "sync %s: %s", tmp, strerror(errno));
        goto cleanup;
    }
    fd = -1;
    if (rename(tmp, path) != 0)
        rc = cf_error_set(CF_EIO, "rename %s: %s", path, strerror(errno));
cleanup:
    if (fd >= 0)
        close(fd);
    if (rc)
        unlink(tmp);
    return rc;
}

int cf_fs_mkdirs(const char *path, unsigned mode)
{
    char tmp[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof(tmp))
        return cf_error_set(CF_EINVAL, "bad directory path '%.200s'", path);
    memcpy(tmp, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (tmp[i] == '/' || tmp[i] == '\0') {
            char c = tmp[i];
            tmp[i] = '\0';
            if (mkdir(tmp, mode) != 0 && errno != EEXIST)
                return cf_error_set(CF_EIO, "mkdir %s: %s", tmp, strerror(errno));
            tmp[i] = c;
        }
    }
    return CF_OK;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path) != 0 && errno != ENOENT ? -1 : 0;
}

int cf_fs_remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? CF_OK : cf_error_set(CF_EIO, "%s: %s", path, strerror(errno));
    if (nftw(path, remove_one, 32, FTW_DEPTH | FTW_PHYS) != 0)
        return cf_error_set(CF_EIO, "remove %s: %s", path, strerror(errno));
    return CF_OK;
}

int cf_fs_join(char *out, size_t cap, const char *a, const char *b)
{
    size_t la = strlen(a);
    int n;
    while (la > 1 && a[la - 1] == '/')
        la--;
    while (*b == '/')
        b++;
    n = snprintf(out, cap, "%.*s/%s", (int)la, a, b);
    if (n < 0 || (size_t)n >= cap)
        return cf_error_set(CF_ETOOBIG, "path too long: %s/%s", a, b);
    return CF_OK;
}
