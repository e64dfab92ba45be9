/* Fuzz target: a (corrupted) disk image through the whole collector -- libtsk's volume and file
 * system parsing, our walk, bodyfile and JSON formatting, hashing and artifact copies. The input
 * is the image; it is exposed as a memfd path so the worker threads can reopen it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/cf_error.h"
#include "common/cf_fs.h"
#include "disk/cf_disk.h"

#define FUZZ_MAX_IMAGE (4u << 20)

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static char base[64];

/* libtsk 4.11 leaks on some corrupted images (inside ext2fs_dir_open_meta): its leaks only. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libtsk.so\n";
}

/* Trashed inodes make libtsk ask for absurd allocations; in a release build calloc returns NULL
 * and libtsk reports an error, so let ASan do the same instead of aborting. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "allocator_may_return_null=1:max_allocation_size_mb=512";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char src[64], out[128];
    cf_disk_options opt = CF_DISK_OPTIONS_INIT;
    int fd = -1;
    if (size > FUZZ_MAX_IMAGE)
        return 0;
    if (!base[0]) {
        /* tmpfs when there is one: every input writes and removes a small bundle */
        snprintf(base, sizeof(base), "%s/cf-fuzz-disk-XXXXXX",
                 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
        if (!mkdtemp(base))
            abort();
    }
    fd = memfd_create("image", MFD_CLOEXEC);
    if (fd < 0 || write_all(fd, data, size) != 0)
        abort();
    snprintf(src, sizeof(src), "/proc/self/fd/%d", fd);
    snprintf(out, sizeof(out), "%s/out", base);
    cf_fs_remove_tree(out);
    opt.source = src;
    opt.out_dir = out;
    opt.no_yara = 1; /* YARA is libyara's own parser; compiling rules per input costs too much */
    opt.threads = 1;
    opt.no_sync = 1;
    opt.hash_max_size = 1u << 20;
    opt.artifact_max_size = 1u << 20;
    opt.case_id = "fuzz";
    (void)cf_disk_collect(&opt, NULL);
    cf_fs_remove_tree(out);
    close(fd);
    return 0;
}

/* The scratch directory goes at exit. */
__attribute__((destructor)) static void fuzz_disk_cleanup(void)
{
    if (base[0])
        cf_fs_remove_tree(base);
}
