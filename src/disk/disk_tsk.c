/* The Sleuth Kit back end: image or device -> partitions -> file systems -> every name,
 * allocated or deleted, exactly as `fls -r -m /` walks them. Strictly read-only: libtsk opens
 * the source with O_RDONLY and we never write through it. Workers read content through their
 * own image and file-system handles (libtsk handles are not shared between threads). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <tsk/libtsk.h>

#include "common/cf_error.h"
#include "disk/disk_internal.h"

#define TSK_MAX_FS 32

typedef struct tsk_src {
    int n_fs;
    TSK_OFF_T fs_off[TSK_MAX_FS];
    TSK_FS_TYPE_ENUM fs_type[TSK_MAX_FS]; /* as detected by the walk: workers skip detection */
    int64_t partition[TSK_MAX_FS];        /* -1 without a partition table */
} tsk_src;

struct disk_reader {
    disk_ctx *ctx;
    TSK_IMG_INFO *img;
    TSK_FS_INFO *fs[TSK_MAX_FS];
    TSK_FS_FILE *file;
};

typedef struct walk_state {
    disk_ctx *ctx;
    int fs_index;
    int64_t partition;
    uint64_t fs_bytes; /* size of the file system: nothing real in it is larger */
    int rc;
} walk_state;

/* A directory larger than this is not descended into (a million entries with long names fit). */
#define TSK_DIR_MAX (256ull << 20)

/* libtsk maps a claimed size block by block into a run list, appending in linear time: an inode
 * trashed to claim gigabytes on a small image costs minutes (fls too). What no real entry can
 * claim is refused before libtsk gets to it. */
static int size_absurd(uint64_t size, uint64_t fs_bytes, int dir)
{
    return size > fs_bytes || (dir && size > TSK_DIR_MAX);
}

static const char *tsk_msg(void)
{
    const char *m = tsk_error_get();
    return m ? m : "unknown libtsk error";
}

static char type_of_meta(TSK_FS_META_TYPE_ENUM t, uint32_t *bits)
{
    switch (t) {
    case TSK_FS_META_TYPE_REG:
        *bits = 0100000;
        return 'r';
    case TSK_FS_META_TYPE_DIR:
        *bits = 0040000;
        return 'd';
    case TSK_FS_META_TYPE_FIFO:
        *bits = 0010000;
        return 'p';
    case TSK_FS_META_TYPE_CHR:
        *bits = 0020000;
        return 'c';
    case TSK_FS_META_TYPE_BLK:
        *bits = 0060000;
        return 'b';
    case TSK_FS_META_TYPE_LNK:
        *bits = 0120000;
        return 'l';
    case TSK_FS_META_TYPE_SOCK:
        *bits = 0140000;
        return 's';
    default:
        *bits = 0;
        return '-';
    }
}

static char type_of_name(TSK_FS_NAME_TYPE_ENUM t)
{
    switch (t) {
    case TSK_FS_NAME_TYPE_REG:
        return 'r';
    case TSK_FS_NAME_TYPE_DIR:
        return 'd';
    case TSK_FS_NAME_TYPE_FIFO:
        return 'p';
    case TSK_FS_NAME_TYPE_CHR:
        return 'c';
    case TSK_FS_NAME_TYPE_BLK:
        return 'b';
    case TSK_FS_NAME_TYPE_LNK:
        return 'l';
    case TSK_FS_NAME_TYPE_SOCK:
        return 's';
    default:
        return '-';
    }
}

/* Bytes actually allocated to the default data attribute (sparse runs excluded). */
static uint64_t allocated_bytes(TSK_FS_FILE *f)
{
    const TSK_FS_ATTR *a = tsk_fs_file_attr_get(f);
    uint64_t total = 0;
    size_t guard = 0;
    if (!a) {
        tsk_error_reset();
        return 0;
    }
    if (!(a->flags & TSK_FS_ATTR_NONRES))
        return (uint64_t)a->size;
    for (const TSK_FS_ATTR_RUN *run = a->nrd.run; run && guard < 10000000; run = run->next) {
        guard++;
        if (!(run->flags & (TSK_FS_ATTR_RUN_FLAG_SPARSE | TSK_FS_ATTR_RUN_FLAG_FILLER)))
            total += (uint64_t)run->len * f->fs_info->block_size;
    }
    return total;
}

static TSK_WALK_RET_ENUM on_entry(TSK_FS_FILE *f, const char *a_path, void *arg)
{
    walk_state *ws = arg;
    disk_ctx *ctx = ws->ctx;
    disk_rec *r = NULL;
    size_t plen, nlen;
    if (!f->name || !f->name->name || TSK_FS_ISDOT(f->name->name))
        return TSK_WALK_CONT;
    plen = a_path ? strlen(a_path) : 0;
    nlen = strlen(f->name->name);
    if (plen + nlen + 2 > DISK_PATH_MAX) {
        disk_error(ctx, "walk", "path longer than %d bytes skipped (inode %" PRIuINUM ")",
                   DISK_PATH_MAX, f->name->meta_addr);
        return TSK_WALK_CONT;
    }
    r = calloc(1, sizeof(*r));
    if (!r || !(r->path = malloc(plen + nlen + 2)))
        goto oom;
    r->path[0] = '/';
    memcpy(r->path + 1, a_path, plen);
    memcpy(r->path + 1 + plen, f->name->name, nlen + 1);
    r->path_len = 1 + plen + nlen;
    r->name_off = 1 + plen;
    r->inode = f->name->meta_addr;
    r->partition = ws->partition;
    r->fs_index = ws->fs_index;
    r->deleted = (f->name->flags & TSK_FS_NAME_FLAG_UNALLOC) != 0;
    if (f->name->type < TSK_FS_NAME_TYPE_STR_MAX)
        snprintf(r->name_type, sizeof(r->name_type), "%s", tsk_fs_name_type_str[f->name->type]);
    else
        snprintf(r->name_type, sizeof(r->name_type), "-");
    if (f->meta) {
        TSK_FS_META *m = f->meta;
        uint32_t bits = 0;
        r->has_meta = 1;
        r->realloc = r->deleted && (m->flags & TSK_FS_META_FLAG_ALLOC);
        tsk_fs_meta_make_ls(m, r->ls, sizeof(r->ls));
        r->type = type_of_meta(m->type, &bits);
        r->mode = bits | ((uint32_t)m->mode & 07777);
        r->uid = (uint32_t)m->uid;
        r->gid = (uint32_t)m->gid;
        r->size = m->size > 0 ? (uint64_t)m->size : 0;
        r->body_size = (int64_t)m->size;
        r->atime = (disk_time){m->atime, m->atime_nano < 1000000000u ? m->atime_nano : 0};
        r->mtime = (disk_time){m->mtime, m->mtime_nano < 1000000000u ? m->mtime_nano : 0};
        r->ctime = (disk_time){m->ctime, m->ctime_nano < 1000000000u ? m->ctime_nano : 0};
        r->crtime = (disk_time){m->crtime, m->crtime_nano < 1000000000u ? m->crtime_nano : 0};
        if (m->type == TSK_FS_META_TYPE_LNK && m->link && !(r->link = strdup(m->link)))
            goto oom;
        r->alloc_bytes = r->size;
        if (r->type == 'r' && size_absurd(r->size, ws->fs_bytes, 0)) {
            /* Not even its block map is read: a sparse file this large is not hashed either. */
            snprintf(r->hash_skipped, sizeof(r->hash_skipped),
                     "size %" PRIu64 " beyond the file system (%" PRIu64
                     " bytes): sparse or corrupt; not read",
                     r->size, ws->fs_bytes);
            r->no_content = 1;
        } else if (r->type == 'r' && r->size > ctx->opt->sparse_max_hole) {
            r->alloc_bytes = allocated_bytes(f);
        }
    } else {
        r->type = type_of_name(f->name->type);
    }
    if (f->meta && TSK_FS_IS_DIR_META(f->meta->type) && size_absurd(r->size, ws->fs_bytes, 1)) {
        disk_error(ctx, "walk",
                   "directory inode %" PRIuINUM " claims %" PRIu64 " bytes; not descended into",
                   f->name->meta_addr, r->size);
        /* libtsk recurses after this callback when the meta says directory: say it is not. */
        f->meta->type = TSK_FS_META_TYPE_UNDEF;
    }
    ws->rc = disk_emit(ctx, r);
    return ws->rc == CF_OK ? TSK_WALK_CONT : TSK_WALK_STOP;
oom:
    disk_rec_free(r);
    ws->rc = cf_error_set(CF_ENOMEM, "out of memory during the walk");
    return TSK_WALK_STOP;
}

/* libtsk builds $OrphanFiles by walking every unallocated directory inode, inside the walk,
 * where our callback cannot refuse one: look for a directory inode claiming an impossible size
 * first. Returns its address, or 0. */
typedef struct orphan_probe {
    uint64_t fs_bytes;
    TSK_INUM_T bad;
} orphan_probe;

static TSK_WALK_RET_ENUM on_orphan_probe(TSK_FS_FILE *f, void *arg)
{
    orphan_probe *p = arg;
    if (f->meta && TSK_FS_IS_DIR_META(f->meta->type) && f->meta->size > 0 &&
        size_absurd((uint64_t)f->meta->size, p->fs_bytes, 1)) {
        p->bad = f->meta->addr;
        return TSK_WALK_STOP;
    }
    return TSK_WALK_CONT;
}

static TSK_INUM_T find_absurd_orphan_dir(TSK_FS_INFO *fs, uint64_t fs_bytes)
{
    orphan_probe p = {fs_bytes, 0};
    if (tsk_fs_meta_walk(fs, fs->first_inum, fs->last_inum, TSK_FS_META_FLAG_UNALLOC,
                         on_orphan_probe, &p) != 0)
        tsk_error_reset();
    return p.bad;
}

/* Reader: own handles per worker thread. */
static int reader_new(disk_ctx *ctx, disk_reader **out)
{
    disk_reader *rd = calloc(1, sizeof(*rd));
    if (!rd)
        return cf_error_set(CF_ENOMEM, "out of memory");
    rd->ctx = ctx;
    *out = rd;
    return CF_OK;
}

static void reader_free(disk_reader *rd)
{
    if (!rd)
        return;
    if (rd->file)
        tsk_fs_file_close(rd->file);
    for (int i = 0; i < TSK_MAX_FS; i++)
        if (rd->fs[i])
            tsk_fs_close(rd->fs[i]);
    if (rd->img)
        tsk_img_close(rd->img);
    free(rd);
}

static int reader_open(disk_reader *rd, const disk_rec *r)
{
    tsk_src *src = rd->ctx->backend_data;
    if (r->fs_index < 0 || r->fs_index >= src->n_fs)
        return cf_error_set(CF_EINVAL, "bad file system index");
    if (!rd->img) {
        rd->img = tsk_img_open_utf8_sing(rd->ctx->opt->source, TSK_IMG_TYPE_RAW, 0);
        if (!rd->img)
            return cf_error_set(CF_EIO, "libtsk: %s", tsk_msg());
    }
    if (!rd->fs[r->fs_index]) {
        rd->fs[r->fs_index] =
            tsk_fs_open_img(rd->img, src->fs_off[r->fs_index], TSK_FS_TYPE_DETECT);
        if (!rd->fs[r->fs_index])
            return cf_error_set(CF_EIO, "libtsk: %s", tsk_msg());
    }
    rd->file = tsk_fs_file_open_meta(rd->fs[r->fs_index], NULL, (TSK_INUM_T)r->inode);
    if (!rd->file) {
        int rc = cf_error_set(CF_EIO, "libtsk: %s", tsk_msg());
        tsk_error_reset();
        return rc;
    }
    return CF_OK;
}

static long reader_read(disk_reader *rd, uint64_t off, char *buf, size_t len)
{
    ssize_t n = tsk_fs_file_read(rd->file, (TSK_OFF_T)off, buf, len, TSK_FS_FILE_READ_FLAG_NONE);
    if (n < 0) {
        cf_error_set(CF_EIO, "libtsk: %s", tsk_msg());
        tsk_error_reset();
        return -1;
    }
    return (long)n;
}

static void reader_close(disk_reader *rd)
{
    if (rd->file)
        tsk_fs_file_close(rd->file);
    rd->file = NULL;
}

static const disk_backend tsk_backend = {reader_new, reader_free, reader_open, reader_read,
                                         reader_close};

/* GPT first, then MBR, then the other types libtsk knows. (TSK_VS_TYPE_DETECT alone leaks the
 * MBR it finds in front of a GPT, its protective MBR, and reports the ambiguity.) */
static TSK_VS_INFO *open_volume_system(TSK_IMG_INFO *img)
{
    static const TSK_VS_TYPE_ENUM order[] = {TSK_VS_TYPE_GPT, TSK_VS_TYPE_DOS, TSK_VS_TYPE_BSD,
                                             TSK_VS_TYPE_SUN, TSK_VS_TYPE_MAC};
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        TSK_VS_INFO *vs = tsk_vs_open(img, 0, order[i]);
        if (vs)
            return vs;
        tsk_error_reset();
    }
    return NULL;
}

static int add_fs(tsk_src *src, TSK_FS_INFO **open_fs, TSK_FS_INFO *fs, TSK_OFF_T off,
                  int64_t partition)
{
    if (src->n_fs >= TSK_MAX_FS) {
        tsk_fs_close(fs);
        return 0;
    }
    open_fs[src->n_fs] = fs;
    src->fs_off[src->n_fs] = off;
    src->fs_type[src->n_fs] = fs->ftype;
    src->partition[src->n_fs] = partition;
    src->n_fs++;
    return 1;
}

int disk_tsk_collect(disk_ctx *ctx)
{
    TSK_IMG_INFO *img = NULL;
    TSK_VS_INFO *vs = NULL;
    TSK_FS_INFO *fs[TSK_MAX_FS] = {0};
    tsk_src *src = NULL;
    int rc = CF_OK, threads = ctx->opt->threads;
    char label[64];
    src = calloc(1, sizeof(*src));
    if (!src) {
        rc = cf_error_set(CF_ENOMEM, "out of memory");
        goto cleanup;
    }
    img = tsk_img_open_utf8_sing(ctx->opt->source, TSK_IMG_TYPE_RAW, 0);
    if (!img) {
        rc = cf_error_set(CF_EIO, "cannot open %s as an image: %s", ctx->opt->source, tsk_msg());
        goto cleanup;
    }
    vs = open_volume_system(img);
    if (vs) {
        for (TSK_PNUM_T i = 0; i < vs->part_count; i++) {
            const TSK_VS_PART_INFO *p = tsk_vs_part_get(vs, i);
            TSK_FS_INFO *f;
            TSK_OFF_T off;
            if (!p || !(p->flags & TSK_VS_PART_FLAG_ALLOC))
                continue;
            off = (TSK_OFF_T)p->start * vs->block_size;
            f = tsk_fs_open_img(img, off, TSK_FS_TYPE_DETECT);
            if (!f) {
                tsk_error_reset();
                continue;
            }
            add_fs(src, fs, f, off, (int64_t)off);
        }
    } else {
        tsk_error_reset();
    }
    if (src->n_fs == 0) {
        /* No partition table (or none whose partitions hold a file system): a bare one. */
        TSK_FS_INFO *f = tsk_fs_open_img(img, 0, TSK_FS_TYPE_DETECT);
        if (!f) {
            rc = cf_error_set(CF_EPARSE, "no file system that libtsk can read in %s: %s",
                              ctx->opt->source, tsk_msg());
            goto cleanup;
        }
        add_fs(src, fs, f, 0, -1);
    }
    ctx->backend = &tsk_backend;
    ctx->backend_data = src;
    ctx->stats.filesystems = (unsigned)src->n_fs;
    if (threads <= 0)
        threads = disk_default_threads(ctx);
    if ((rc = disk_pool_start(ctx, threads)) != CF_OK)
        goto cleanup;
    for (int i = 0; i < src->n_fs; i++) {
        /* What the superblock claims, but never more than the image holds (it can lie). */
        uint64_t claimed = (uint64_t)fs[i]->block_count * fs[i]->block_size;
        uint64_t held = img->size > src->fs_off[i] ? (uint64_t)(img->size - src->fs_off[i]) : 0;
        walk_state ws = {ctx, i, src->partition[i], claimed < held ? claimed : held, CF_OK};
        TSK_FS_FILE *root;
        TSK_FS_DIR_WALK_FLAG_ENUM flags;
        TSK_INUM_T bad;
        snprintf(label, sizeof(label), "file system at offset %" PRIdOFF, src->fs_off[i]);
        tsk_error_reset();
        root = tsk_fs_file_open_meta(fs[i], NULL, fs[i]->root_inum);
        if (root && root->meta && root->meta->size > 0 &&
            size_absurd((uint64_t)root->meta->size, ws.fs_bytes, 1)) {
            disk_error(ctx, label, "root directory claims %" PRIdOFF " bytes; not walked",
                       root->meta->size);
            tsk_fs_file_close(root);
            continue;
        }
        if (root)
            tsk_fs_file_close(root);
        tsk_error_reset();
        flags = TSK_FS_DIR_WALK_FLAG_ALLOC | TSK_FS_DIR_WALK_FLAG_UNALLOC |
                TSK_FS_DIR_WALK_FLAG_RECURSE;
        bad = find_absurd_orphan_dir(fs[i], ws.fs_bytes);
        if (bad) {
            disk_error(ctx, label,
                       "unallocated directory inode %" PRIuINUM
                       " claims an impossible size; orphan files ($OrphanFiles) not listed",
                       bad);
            flags |= TSK_FS_DIR_WALK_FLAG_NOORPHAN;
        }
        if (tsk_fs_dir_walk(fs[i], fs[i]->root_inum, flags, on_entry, &ws) != 0) {
            if (ws.rc != CF_OK) {
                rc = ws.rc;
                goto cleanup;
            }
            disk_error(ctx, label, "walk stopped early: %s", tsk_msg());
        } else if (tsk_error_get()) {
            /* libtsk went on after an error it met inside the walk. */
            disk_error(ctx, label, "%s", tsk_msg());
        }
        if (ws.rc != CF_OK) {
            rc = ws.rc;
            goto cleanup;
        }
    }
cleanup:
    /* Workers still use src (through their own handles): cf_disk_collect frees it after
     * they finish. */
    for (int i = 0; i < TSK_MAX_FS; i++)
        if (fs[i])
            tsk_fs_close(fs[i]);
    if (vs)
        tsk_vs_close(vs);
    if (img)
        tsk_img_close(img);
    if (!ctx->backend)
        free(src);
    return rc;
}
