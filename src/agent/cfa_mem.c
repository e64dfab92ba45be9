/* memory.lime (physical memory through /proc/kcore, AVML-style) and per-process memory. */
#include "cfa_collect.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LIME_MAGIC    0x4C694D45u
#define LIME_HDR_SIZE 32
#define MEM_CHUNK     (256 * 1024)
#define MAX_RAM       4096
#define MAX_KSEGS     8192
#define KCORE_HDR_MAX (1u << 20)

static void lime_header(uint8_t h[LIME_HDR_SIZE], uint64_t start, uint64_t end)
{
    int i;
    memset(h, 0, LIME_HDR_SIZE);
    for (i = 0; i < 4; i++) {
        h[i] = (uint8_t)(LIME_MAGIC >> (8 * i));
        h[4 + i] = (uint8_t)(1u >> (8 * i)); /* version 1 */
    }
    for (i = 0; i < 8; i++) {
        h[8 + i] = (uint8_t)(start >> (8 * i));
        h[16 + i] = (uint8_t)(end >> (8 * i));
    }
}

/* Copies [off, off+len) of fd into f; unreadable chunks become zeros. Returns the number of
 * bytes that could not be read. */
static uint64_t copy_range(int fd, uint64_t off, uint64_t len, struct cfa_file *f, char *buf)
{
    uint64_t failed = 0;
    while (len) {
        size_t want = len > MEM_CHUNK ? MEM_CHUNK : (size_t)len;
        ssize_t r = pread(fd, buf, want, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            /* a hole (not present, or a guard page): keep the layout with zeros */
            size_t page = want > 4096 ? 4096 - (size_t)(off % 4096) : want;
            memset(buf, 0, page);
            r = (ssize_t)page;
            failed += page;
        }
        if (cfa_file_write(f, buf, (size_t)r) < 0)
            break;
        off += (uint64_t)r;
        len -= (uint64_t)r;
    }
    return failed;
}

int cfa_collect_memory(struct cfa_ctx *c)
{
    char path[4096], detail[128];
    struct cfa_range *ram = NULL;
    struct cfa_kseg *segs = NULL;
    struct cfa_lime_range *plan = NULL;
    size_t nram = 0, nsegs = 0, nplan = 0, i, hdrlen = 0, want;
    uint8_t *hdr = NULL;
    char *buf = NULL;
    int fd = -1, rc = -1;
    uint64_t total = 0, failed = 0;
    struct cfa_file f;

    ram = calloc(MAX_RAM, sizeof(*ram));
    segs = calloc(MAX_KSEGS, sizeof(*segs));
    plan = calloc(MAX_KSEGS, sizeof(*plan));
    hdr = malloc(KCORE_HDR_MAX);
    buf = malloc(MEM_CHUNK);
    if (!ram || !segs || !plan || !hdr || !buf)
        goto cleanup;
    if (cfa_path(c, path, sizeof(path), "/proc/iomem") < 0 ||
        (rc = cfa_slurp(path, &c->rb, 4u << 20)) < 0) {
        cfa_bundle_errno(c->b, "/proc/iomem", rc < 0 ? -rc : ENAMETOOLONG);
        rc = -1;
        goto cleanup;
    }
    rc = -1;
    if (cfa_parse_iomem_ram(c->rb.p, c->rb.len, ram, MAX_RAM, &nram) < 0 || nram == 0) {
        cfa_bundle_error(c->b, "/proc/iomem", "no System RAM ranges");
        goto cleanup;
    }
    for (i = 0; i < nram && ram[i].start == 0 && ram[i].end == 0; i++)
        ;
    if (i == nram) {
        cfa_bundle_error(c->b, "/proc/iomem", "addresses hidden (needs root)");
        goto cleanup;
    }
    if (cfa_path(c, path, sizeof(path), "/proc/kcore") < 0)
        goto cleanup;
    fd = openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        cfa_bundle_errno(c->b, "/proc/kcore", errno);
        goto cleanup;
    }
    /* the ELF header says how far the program headers reach; read that much (bounded) */
    want = 64;
    while (hdrlen < want) {
        ssize_t r = pread(fd, hdr + hdrlen, want - hdrlen, (off_t)hdrlen);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        hdrlen += (size_t)r;
        if (hdrlen == 64 && want == 64) {
            uint64_t phoff = 0, end;
            unsigned phentsize = (unsigned)(hdr[54] | hdr[55] << 8);
            unsigned phnum = (unsigned)(hdr[56] | hdr[57] << 8);
            for (i = 0; i < 8; i++)
                phoff |= (uint64_t)hdr[32 + i] << (8 * i);
            end = phoff + (uint64_t)phentsize * phnum;
            want = phoff < KCORE_HDR_MAX && end <= KCORE_HDR_MAX ? (size_t)end : KCORE_HDR_MAX;
            if (want < 64)
                want = 64;
        }
    }
    if (cfa_parse_kcore(hdr, hdrlen, segs, MAX_KSEGS, &nsegs) < 0) {
        cfa_bundle_error(c->b, "/proc/kcore", "not an ELF64 little-endian core");
        goto cleanup;
    }
    if (cfa_lime_plan(ram, nram, segs, nsegs, plan, MAX_KSEGS, &nplan) < 0 || nplan == 0) {
        cfa_bundle_error(c->b, "/proc/kcore", "no System RAM range maps onto a kcore segment");
        goto cleanup;
    }
    for (i = 0; i < nplan; i++) {
        uint64_t len = plan[i].end - plan[i].start + 1;
        /* a hostile iomem/kcore pair can describe the whole 64-bit space: refuse sizes that
         * wrap or exceed what any machine has (64 TiB) */
        if (len == 0 || len > (64ull << 40) || total > (64ull << 40)) {
            cfa_bundle_error(c->b, "/proc/kcore", "implausible memory layout");
            goto cleanup;
        }
        total += LIME_HDR_SIZE + len;
    }
    if (cfa_blob_open(c->b, "memory.lime", total, &f) < 0) {
        cfa_bundle_errno(c->b, "memory.lime", errno);
        goto cleanup;
    }
    for (i = 0; i < nplan; i++) {
        uint8_t h[LIME_HDR_SIZE];
        lime_header(h, plan[i].start, plan[i].end);
        if (cfa_file_write(&f, h, sizeof(h)) < 0)
            break;
        failed += copy_range(fd, plan[i].file_offset, plan[i].end - plan[i].start + 1, &f, buf);
    }
    if (failed) {
        snprintf(detail, sizeof(detail), "%llu bytes unreadable, written as zeros",
                 (unsigned long long)failed);
        cfa_bundle_error(c->b, "/proc/kcore", detail);
    }
    rc = cfa_file_close(&f, 0, "/proc/kcore");
cleanup:
    if (fd >= 0)
        close(fd);
    free(ram);
    free(segs);
    free(plan);
    free(hdr);
    free(buf);
    return rc;
}

struct region {
    uint64_t start, end;
    char perms[5];
    int skipped;
};

int cfa_collect_process_memory(struct cfa_ctx *c, struct cfa_file *t, int pid, uint64_t max_bytes)
{
    char path[4096], rel[CFA_PATH_MAX], src[64], *buf = NULL;
    struct region *regs = NULL;
    size_t nregs = 0, cap = 0, i;
    struct cfa_lr lr;
    struct cfa_span line;
    struct cfa_file f;
    uint64_t total = 0, budget = max_bytes;
    int fd = -1, rc = -1, lr_open = 0;

    snprintf(src, sizeof(src), "/proc/%d/maps", pid);
    if (cfa_path(c, path, sizeof(path), "/proc/%d/maps", pid) < 0 ||
        (rc = cfa_lr_open(&lr, AT_FDCWD, path)) < 0) {
        cfa_bundle_errno(c->b, src, rc < 0 ? -rc : ENAMETOOLONG);
        return -1;
    }
    lr_open = 1;
    rc = -1;
    while (cfa_lr_next(&lr, &line) == 1) {
        struct cfa_map m;
        if (cfa_parse_maps_line(line, &m) < 0 || m.perms[0] != 'r' || m.end <= m.start)
            continue;
        if (nregs == cap) {
            struct region *n;
            cap = cap ? cap * 2 : 256;
            if (cap > 1u << 20)
                break;
            n = realloc(regs, cap * sizeof(*n));
            if (!n)
                goto cleanup;
            regs = n;
        }
        memset(&regs[nregs], 0, sizeof(regs[nregs]));
        regs[nregs].start = m.start;
        regs[nregs].end = m.end;
        memcpy(regs[nregs].perms, m.perms, 5);
        /* [vvar]/[vsyscall] cannot be read through /proc/<pid>/mem */
        regs[nregs].skipped = cfa_span_eq(m.path, "[vvar]") || cfa_span_eq(m.path, "[vsyscall]") ||
                              cfa_span_eq(m.path, "[vvar_vclock]") || m.end - m.start > budget;
        if (!regs[nregs].skipped) {
            budget -= m.end - m.start;
            total += LIME_HDR_SIZE + (m.end - m.start);
        }
        nregs++;
    }
    cfa_lr_close(&lr);
    lr_open = 0;
    snprintf(src, sizeof(src), "/proc/%d/mem", pid);
    if (cfa_path(c, path, sizeof(path), "/proc/%d/mem", pid) < 0 ||
        (fd = openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0) {
        cfa_bundle_errno(c->b, src, errno);
        goto cleanup;
    }
    buf = malloc(MEM_CHUNK);
    if (!buf)
        goto cleanup;
    snprintf(rel, sizeof(rel), "process_memory/%d.lime", pid);
    if (cfa_blob_open(c->b, rel, total, &f) < 0) {
        cfa_bundle_errno(c->b, rel, errno);
        goto cleanup;
    }
    for (i = 0; i < nregs; i++) {
        char hex[24];
        uint64_t failed = 0;
        if (!regs[i].skipped) {
            uint8_t h[LIME_HDR_SIZE];
            lime_header(h, regs[i].start, regs[i].end - 1);
            cfa_file_write(&f, h, sizeof(h));
            failed = copy_range(fd, regs[i].start, regs[i].end - regs[i].start, &f, buf);
        }
        cfa_jw_reset(&c->jw);
        cfa_jw_obj_begin(&c->jw, NULL);
        cfa_jw_int(&c->jw, "pid", pid);
        snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)regs[i].start);
        cfa_jw_cstr(&c->jw, "start", hex);
        snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)regs[i].end);
        cfa_jw_cstr(&c->jw, "end", hex);
        cfa_jw_cstr(&c->jw, "perms", regs[i].perms);
        cfa_jw_bool(&c->jw, "captured", !regs[i].skipped);
        if (failed)
            cfa_jw_uint(&c->jw, "unreadable_bytes", failed);
        cfa_jw_obj_end(&c->jw);
        cfa_table_emit(t, &c->jw, "process_memory");
    }
    rc = cfa_file_close(&f, 0, src);
cleanup:
    if (lr_open)
        cfa_lr_close(&lr);
    if (fd >= 0)
        close(fd);
    free(regs);
    free(buf);
    return rc;
}
