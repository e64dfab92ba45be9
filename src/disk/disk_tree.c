/* Mounted-tree back end, for file systems libtsk does not read (XFS on Amazon Linux): walks a
 * directory with openat/statx (birth times where the kernel gives them), never following
 * symlinks and staying on the source's file system. Content is read with O_NOFOLLOW (and
 * O_NOATIME where allowed), so the walk does not change access times. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/cf_error.h"
#include "common/cf_fs.h"
#include "disk/disk_internal.h"

#define TREE_MAX_DEPTH 256
#define TREE_LINK_MAX  4096

typedef struct tree_src {
    dev_t dev;
} tree_src;

struct disk_reader {
    disk_ctx *ctx;
    int fd;
};

static char type_of(uint32_t mode)
{
    switch (mode & S_IFMT) {
    case S_IFREG:
        return 'r';
    case S_IFDIR:
        return 'd';
    case S_IFLNK:
        return 'l';
    case S_IFCHR:
        return 'c';
    case S_IFBLK:
        return 'b';
    case S_IFIFO:
        return 'p';
    case S_IFSOCK:
        return 's';
    default:
        return '-';
    }
}

static int walk_dir(disk_ctx *ctx, int dirfd, cf_buf *path, int depth);

static int visit(disk_ctx *ctx, int dirfd, const char *name, cf_buf *path, int depth)
{
    struct statx sx;
    disk_rec *r = NULL;
    size_t base = path->len;
    int rc = CF_OK;
    char ms[11];
    if (statx(dirfd, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_BASIC_STATS | STATX_BTIME,
              &sx) != 0) {
        disk_error(ctx, name, "statx: %s", strerror(errno));
        return CF_OK;
    }
    if (cf_buf_addch(path, '/') != CF_OK || cf_buf_addstr(path, name) != CF_OK) {
        cf_buf_setlen(path, base);
        disk_error(ctx, cf_buf_cstr(path), "path too long; not walked");
        return CF_OK;
    }
    r = calloc(1, sizeof(*r));
    if (!r || !(r->path = malloc(path->len + 1))) {
        rc = cf_error_set(CF_ENOMEM, "out of memory");
        goto cleanup;
    }
    memcpy(r->path, path->data, path->len + 1);
    r->path_len = path->len;
    r->name_off = base + 1;
    r->inode = sx.stx_ino;
    r->has_meta = 1;
    r->mode = sx.stx_mode;
    r->type = type_of(sx.stx_mode);
    snprintf(r->name_type, sizeof(r->name_type), "%c", r->type);
    disk_mode_string(sx.stx_mode, ms);
    ms[0] = r->type; /* TSK's mode string starts with its type letter ('r' for a file) */
    snprintf(r->ls, sizeof(r->ls), "%s", ms);
    r->uid = sx.stx_uid;
    r->gid = sx.stx_gid;
    r->size = sx.stx_size;
    r->body_size = (int64_t)sx.stx_size;
    r->alloc_bytes = sx.stx_blocks * 512;
    r->atime = (disk_time){sx.stx_atime.tv_sec, sx.stx_atime.tv_nsec};
    r->mtime = (disk_time){sx.stx_mtime.tv_sec, sx.stx_mtime.tv_nsec};
    r->ctime = (disk_time){sx.stx_ctime.tv_sec, sx.stx_ctime.tv_nsec};
    if (sx.stx_mask & STATX_BTIME)
        r->crtime = (disk_time){sx.stx_btime.tv_sec, sx.stx_btime.tv_nsec};
    r->partition = -1;
    if (r->type == 'l') {
        char link[TREE_LINK_MAX];
        ssize_t n = readlinkat(dirfd, name, link, sizeof(link) - 1);
        if (n >= 0) {
            link[n] = '\0';
            if (!(r->link = strdup(link))) {
                rc = cf_error_set(CF_ENOMEM, "out of memory");
                goto cleanup;
            }
        }
    }
    rc = disk_emit(ctx, r);
    r = NULL;
    if (rc == CF_OK && S_ISDIR(sx.stx_mode)) {
        tree_src *src = ctx->backend_data;
        if (makedev(sx.stx_dev_major, sx.stx_dev_minor) != src->dev) {
            disk_error(ctx, cf_buf_cstr(path), "another file system is mounted here; not walked");
        } else if (depth >= TREE_MAX_DEPTH) {
            disk_error(ctx, cf_buf_cstr(path), "deeper than %d levels; not walked", TREE_MAX_DEPTH);
        } else {
            int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (fd < 0)
                disk_error(ctx, cf_buf_cstr(path), "open: %s", strerror(errno));
            else
                rc = walk_dir(ctx, fd, path, depth + 1);
        }
    }
cleanup:
    disk_rec_free(r);
    cf_buf_setlen(path, base);
    return rc;
}

/* Takes ownership of dirfd. */
static int walk_dir(disk_ctx *ctx, int dirfd, cf_buf *path, int depth)
{
    DIR *d = fdopendir(dirfd);
    struct dirent *e;
    int rc = CF_OK;
    if (!d) {
        disk_error(ctx, cf_buf_cstr(path), "opendir: %s", strerror(errno));
        close(dirfd);
        return CF_OK;
    }
    errno = 0;
    while (rc == CF_OK && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        rc = visit(ctx, dirfd, e->d_name, path, depth);
        errno = 0;
    }
    if (rc == CF_OK && errno)
        disk_error(ctx, cf_buf_cstr(path), "readdir: %s", strerror(errno));
    closedir(d);
    return rc;
}

static int reader_new(disk_ctx *ctx, disk_reader **out)
{
    disk_reader *rd = calloc(1, sizeof(*rd));
    if (!rd)
        return cf_error_set(CF_ENOMEM, "out of memory");
    rd->ctx = ctx;
    rd->fd = -1;
    *out = rd;
    return CF_OK;
}

static void reader_free(disk_reader *rd)
{
    if (rd && rd->fd >= 0)
        close(rd->fd);
    free(rd);
}

static int reader_open(disk_reader *rd, const disk_rec *r)
{
    char full[DISK_PATH_MAX + 4096];
    struct stat st;
    if (cf_fs_join(full, sizeof(full), rd->ctx->opt->source, r->path + 1) != CF_OK)
        return cf_error_set(CF_ETOOBIG, "path too long");
    rd->fd = open(full, O_RDONLY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC | O_NONBLOCK);
    if (rd->fd < 0 && errno == EPERM)
        rd->fd = open(full, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (rd->fd < 0)
        return cf_error_set(CF_EIO, "open: %s", strerror(errno));
    /* The walk saw a regular file; refuse anything that replaced it since. */
    if (fstat(rd->fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_ino != r->inode) {
        close(rd->fd);
        rd->fd = -1;
        return cf_error_set(CF_EIO, "file changed since the walk");
    }
    return CF_OK;
}

static long reader_read(disk_reader *rd, uint64_t off, char *buf, size_t len)
{
    ssize_t n;
    do {
        n = pread(rd->fd, buf, len, (off_t)off);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        cf_error_set(CF_EIO, "read: %s", strerror(errno));
        return -1;
    }
    return (long)n;
}

static void reader_close(disk_reader *rd)
{
    if (rd->fd >= 0)
        close(rd->fd);
    rd->fd = -1;
}

static const disk_backend tree_backend = {reader_new, reader_free, reader_open, reader_read,
                                          reader_close};

int disk_tree_collect(disk_ctx *ctx)
{
    cf_buf path = CF_BUF_INIT(DISK_PATH_MAX);
    tree_src *src = calloc(1, sizeof(*src));
    struct stat st;
    int fd = -1, rc = CF_OK, threads = ctx->opt->threads;
    if (!src)
        return cf_error_set(CF_ENOMEM, "out of memory");
    fd = open(ctx->opt->source, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0) {
        rc = cf_error_set(CF_EIO, "cannot open %s: %s", ctx->opt->source, strerror(errno));
        if (fd >= 0)
            close(fd);
        free(src);
        goto cleanup;
    }
    src->dev = st.st_dev;
    ctx->backend = &tree_backend;
    ctx->backend_data = src;
    ctx->stats.filesystems = 1;
    if (threads <= 0)
        threads = disk_default_threads(ctx);
    if ((rc = disk_pool_start(ctx, threads)) != CF_OK) {
        close(fd);
        goto cleanup;
    }
    rc = walk_dir(ctx, fd, &path, 0);
cleanup:
    cf_buf_release(&path);
    return rc;
}
