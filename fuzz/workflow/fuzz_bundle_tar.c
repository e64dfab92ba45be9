/* Fuzz target: a bundle.tar from a compromised host, extracted (bounded, names checked) into a
 * scratch directory and verified against its manifest; nothing may land outside it. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "case/cf_case.h"
#include "common/cf_error.h"
#include "common/cf_fs.h"
#include "workflow/wf_bundle.h"

static char root[64];
static cf_case *cs;

static void cleanup(void)
{
    cf_case_free(cs);
    cf_fs_remove_tree(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char tar[128], out[128], canary[128];
    FILE *f;
    int n = 0;
    if (!root[0]) {
        snprintf(root, sizeof(root), "/tmp/cf-fuzz-tar-XXXXXX");
        if (!mkdtemp(root) || cf_case_open(&cs, root) != CF_OK)
            abort();
        cf_case_exec(cs, "PRAGMA synchronous=OFF");
        atexit(cleanup);
    }
    snprintf(tar, sizeof(tar), "%s/in.tar", root);
    snprintf(out, sizeof(out), "%s/x/y", root);
    snprintf(canary, sizeof(canary), "%s/x/pwn", root);
    f = fopen(tar, "wb");
    if (!f)
        abort();
    fwrite(data, 1, size, f);
    fclose(f);
    if (wf_tar_extract(tar, out, 1 << 20) == CF_OK)
        wf_bundle_verify(cs, out, "fuzz", "volatile", "s3://b/", &n);
    if (access(canary, F_OK) == 0)
        __builtin_trap(); /* "../pwn" escaped the extraction directory */
    cf_fs_remove_tree(out);
    cf_error_clear();
    return 0;
}
