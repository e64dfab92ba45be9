/* YARA: the shipped rules (embedded from rules/yara/) plus user rule files; one scanner per
 * worker thread over the same compiled rules. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yara.h>

#include "common/cf_error.h"
#include "disk/disk_internal.h"

extern const char *const disk_builtin_rule_names[];
extern const char *const disk_builtin_rules[];
extern const size_t disk_builtin_n;

#define YARA_SCAN_TIMEOUT_S 60

typedef struct compile_err {
    char msg[512];
    int count;
} compile_err;

static void on_compile_error(int level, const char *file, int line, const YR_RULE *rule,
                             const char *message, void *arg)
{
    compile_err *e = arg;
    (void)rule;
    if (level != YARA_ERROR_LEVEL_ERROR)
        return;
    if (!e->count++)
        snprintf(e->msg, sizeof(e->msg), "%s:%d: %s", file ? file : "(builtin)", line, message);
}

int disk_yara_load(disk_ctx *ctx)
{
    YR_COMPILER *comp = NULL;
    YR_RULES *rules = NULL;
    compile_err err = {{0}, 0};
    int rc = CF_OK, inited = 0;
    if (yr_initialize() != ERROR_SUCCESS) {
        rc = cf_error_set(CF_ERR, "yara: cannot initialise libyara");
        goto cleanup;
    }
    inited = 1;
    if (yr_compiler_create(&comp) != ERROR_SUCCESS) {
        rc = cf_error_set(CF_ENOMEM, "yara: cannot create a compiler");
        goto cleanup;
    }
    yr_compiler_set_callback(comp, on_compile_error, &err);
    for (size_t i = 0; i < disk_builtin_n; i++) {
        if (yr_compiler_add_string(comp, disk_builtin_rules[i], "casefile") != 0) {
            rc = cf_error_set(CF_EPARSE, "yara: shipped rules %s: %s", disk_builtin_rule_names[i],
                              err.msg);
            goto cleanup;
        }
    }
    for (size_t i = 0; i < ctx->opt->n_yara_rules; i++) {
        const char *path = ctx->opt->yara_rules[i];
        FILE *fp = fopen(path, "r");
        int errors;
        if (!fp) {
            rc = cf_error_set(CF_ENOTFOUND, "yara: cannot open rule file %s", path);
            goto cleanup;
        }
        errors = yr_compiler_add_file(comp, fp, "user", path);
        fclose(fp);
        if (errors) {
            rc = cf_error_set(CF_EPARSE, "yara: %s", err.msg);
            goto cleanup;
        }
    }
    if (yr_compiler_get_rules(comp, &rules) != ERROR_SUCCESS) {
        rc = cf_error_set(CF_ENOMEM, "yara: cannot build the rules");
        goto cleanup;
    }
    ctx->yara_rules = rules;
    rules = NULL;
cleanup:
    if (comp)
        yr_compiler_destroy(comp);
    if (rc != CF_OK && inited)
        yr_finalize();
    return rc;
}

void disk_yara_unload(disk_ctx *ctx)
{
    if (!ctx->yara_rules)
        return;
    yr_rules_destroy(ctx->yara_rules);
    ctx->yara_rules = NULL;
    yr_finalize();
}

int disk_yara_scanner_new(disk_ctx *ctx, void **out)
{
    YR_SCANNER *sc = NULL;
    *out = NULL;
    if (!ctx->yara_rules)
        return CF_OK;
    if (yr_scanner_create(ctx->yara_rules, &sc) != ERROR_SUCCESS)
        return cf_error_set(CF_ENOMEM, "yara: cannot create a scanner");
    yr_scanner_set_timeout(sc, YARA_SCAN_TIMEOUT_S);
    yr_scanner_set_flags(sc, SCAN_FLAGS_FAST_MODE);
    *out = sc;
    return CF_OK;
}

void disk_yara_scanner_free(void *scanner)
{
    if (scanner)
        yr_scanner_destroy(scanner);
}

static int on_scan(YR_SCAN_CONTEXT *sctx, int message, void *data, void *arg)
{
    disk_rec *r = arg;
    (void)sctx;
    if (message == CALLBACK_MSG_RULE_MATCHING && r->n_yara < DISK_MAX_YARA) {
        const YR_RULE *rule = data;
        char *name = strdup(rule->identifier);
        if (name)
            r->yara[r->n_yara++] = name;
    }
    return CALLBACK_CONTINUE;
}

int disk_yara_scan(void *scanner, const uint8_t *buf, size_t len, disk_rec *r)
{
    int yr;
    if (!scanner)
        return CF_OK;
    yr_scanner_set_callback(scanner, on_scan, r);
    yr = yr_scanner_scan_mem(scanner, buf, len);
    r->yara_scanned = 1;
    if (yr == ERROR_SCAN_TIMEOUT)
        return cf_error_set(CF_ETIMEOUT, "yara: scan timed out after %d s", YARA_SCAN_TIMEOUT_S);
    if (yr != ERROR_SUCCESS)
        return cf_error_set(CF_ERR, "yara: scan failed (error %d)", yr);
    return CF_OK;
}
