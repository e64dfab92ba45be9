/* Fuzz target for one loader of src/analyze, chosen at build time (FUZZ_KIND):
 * the input is written to a file and loaded into a scratch case; a bundle kind gets the input as
 * its manifest.json (next to a valid table) or as its bundle.tar. Each loader must return, never
 * crash, hang or leak, whatever the bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze/cf_analyze.h"
#include "common/cf_fs.h"

#ifndef FUZZ_KIND
#define FUZZ_KIND "web"
#endif

static char root[64];
static cf_case *fcase;
static unsigned iterations;

static void cleanup(void)
{
    cf_case_free(fcase);
    fcase = NULL;
    if (root[0])
        cf_fs_remove_tree(root);
}

static int init(void)
{
    char p[128];
    if (fcase)
        return 0;
    /* tmpfs when there is one: thousands of small transactions */
    snprintf(root, sizeof(root), "%s/cf-fuzz-analyze-XXXXXX",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    if (!mkdtemp(root))
        return -1;
    atexit(cleanup);
    snprintf(p, sizeof(p), "%s/case", root);
    if (cf_case_open(&fcase, p) || cf_analyze_prepare(fcase))
        return -1;
    cf_case_exec(fcase, "PRAGMA synchronous=OFF");
    return 0;
}

static int put(const char *path, const uint8_t *data, size_t size)
{
    FILE *fp = fopen(path, "wb");
    if (!fp)
        return -1;
    if (size && fwrite(data, 1, size, fp) != size) {
        fclose(fp);
        return -1;
    }
    return fclose(fp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[512], dir[256];
    cf_analyze_stats st;
    memset(&st, 0, sizeof(st));
    if (init())
        return 0;
    /* keep the scratch case small */
    if (++iterations % 500 == 0) {
        char p[128];
        cf_case_free(fcase);
        fcase = NULL;
        snprintf(p, sizeof(p), "%s/case", root);
        cf_fs_remove_tree(p);
        if (cf_case_open(&fcase, p) || cf_analyze_prepare(fcase))
            return 0;
        cf_case_exec(fcase, "PRAGMA synchronous=OFF");
    }
    if (!strcmp(FUZZ_KIND, "manifest")) {
        static const char table[] = "{\"pid\": 1}\n";
        snprintf(dir, sizeof(dir), "%s/bundle", root);
        cf_fs_remove_tree(dir);
        cf_fs_mkdirs(dir, 0700);
        snprintf(path, sizeof(path), "%s/processes.jsonl", dir);
        put(path, (const uint8_t *)table, sizeof(table) - 1);
        snprintf(path, sizeof(path), "%s/manifest.json", dir);
        if (put(path, data, size) == 0)
            cf_analyze_load_bundle_dir(fcase, dir, NULL, &st);
    } else if (!strcmp(FUZZ_KIND, "tar")) {
        snprintf(path, sizeof(path), "%s/case/bundles", root);
        cf_fs_remove_tree(path);
        snprintf(path, sizeof(path), "%s/in.tar", root);
        if (put(path, data, size) == 0)
            cf_analyze_load_bundle_tar(fcase, path, NULL, &st);
    } else if (!strcmp(FUZZ_KIND, "lookup")) {
        cf_analyze_load_cloudtrail(fcase, (const char *)data, size, "fuzz", &st);
    } else {
        /* the file name matters for some loaders (user from the path, table name) */
        snprintf(dir, sizeof(dir), "%s/home/fuzz/.ssh", root);
        cf_fs_mkdirs(dir, 0700);
        snprintf(path, sizeof(path), "%s/home/fuzz/.ssh/%s", root,
                 !strcmp(FUZZ_KIND, "jsonl") ? "table.jsonl" : "input");
        if (put(path, data, size) == 0)
            cf_analyze_load_file(fcase, path, cf_file_type_parse(FUZZ_KIND), NULL, &st);
    }
    return 0;
}
