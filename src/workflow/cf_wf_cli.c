#include "workflow/cf_wf_cli.h"
#include "common/cf_buf.h"
#include "common/cf_error.h"
#include "common/cf_fs.h"
#include "workflow/cf_finding.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cf_wf_cli_load_config(cf_config *cfg, int argc, char **argv)
{
    const char *file = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--config") && i + 1 < argc)
            file = argv[++i];
        else if (!strncmp(argv[i], "--config=", 9))
            file = argv[i] + 9;
    }
    return cf_config_load(cfg, file);
}

int cf_wf_cli_common(cf_config *cfg, int argc, char **argv, int *i)
{
    if (!strcmp(argv[*i], "--config")) {
        *i += 2;
        return 1;
    }
    if (!strncmp(argv[*i], "--config=", 9)) {
        ++*i;
        return 1;
    }
    return cf_config_flag(cfg, argc, argv, i);
}

int cf_wf_cli_aws(const cf_config *cfg, cf_aws **out)
{
    cf_aws_options o = CF_AWS_OPTIONS_INIT;
    o.region = cfg->region;
    return cf_aws_new(out, &o);
}

int cf_wf_cli_case_dir(const cf_config *cfg, const char *arg, char *out, size_t cap)
{
    char db[4200];
    snprintf(db, sizeof(db), "%s/case.db", arg);
    if (strchr(arg, '/') || access(db, R_OK) == 0) {
        if ((size_t)snprintf(out, cap, "%s", arg) >= cap)
            return cf_error_set(CF_ETOOBIG, "case path too long");
        return CF_OK;
    }
    if (!cf_case_id_valid(arg))
        return cf_error_set(CF_EINVAL, "'%.100s' is neither a case directory nor a case id", arg);
    return cf_fs_join(out, cap, cfg->case_root, arg);
}

int cf_wf_cli_exit(int rc)
{
    switch (rc) {
    case CF_OK:
        return 0;
    case CF_EINVAL:
    case CF_EPARSE:
    case CF_ETOOBIG:
        return 2;
    case CF_ENET:
    case CF_EDENIED:
        return 3;
    case CF_EINTEGRITY:
        return 4;
    case CF_ENOMEM:
        return 70;
    default:
        return 1;
    }
}

int cf_wf_cli_read_event(const char *path, char **out, size_t *len_out)
{
    cf_buf b = CF_BUF_INIT(CF_FINDING_MAX_SIZE);
    int rc = CF_OK;
    *out = NULL;
    if (!strcmp(path, "-")) {
        char chunk[65536];
        size_t n;
        while (!rc && (n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
            rc = cf_buf_add(&b, chunk, n);
        if (rc == CF_ETOOBIG)
            cf_error_set(CF_ETOOBIG, "the event on stdin is larger than %u bytes",
                         CF_FINDING_MAX_SIZE);
    } else {
        rc = cf_fs_read(path, &b);
        if (rc == CF_EIO || rc == CF_ENOTFOUND)
            rc =
                cf_error_set(CF_EINVAL, "cannot read the event %s: %s", path, cf_error_last()->msg);
    }
    if (!rc) {
        *out = cf_buf_detach(&b, len_out);
        if (!*out)
            rc = cf_error_set(CF_ENOMEM, "out of memory");
    }
    cf_buf_release(&b);
    return rc;
}

void cf_wf_cli_print_config_help(void *fpv)
{
    FILE *fp = fpv;
    fprintf(fp, "\nConfiguration (JSON file via --config or $CASEFILE_CONFIG; each key also as\n"
                "$CASEFILE_<KEY> and --<key-with-dashes> VALUE; flag > env > file > default):\n");
    for (const cf_config_key *k = cf_config_keys(); k->name; k++) {
        char flag[128];
        size_t j = 0;
        for (; k->name[j] && j + 1 < sizeof(flag); j++)
            flag[j] = k->name[j] == '_' ? '-' : k->name[j];
        flag[j] = '\0';
        fprintf(fp, "  --%-24s %s%s%s%s\n", flag, k->doc, k->def ? " [" : "", k->def ? k->def : "",
                k->def ? "]" : "");
    }
}

int cf_wf_cli_start(const cf_wf_cli_cmd *c, cf_config *cfg, int argc, char **argv, int *exit_code)
{
    int ok = 0;

    *exit_code = 0;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            if (c->usage)
                c->usage(stdout);
            else
                fputs(c->help, stdout);
            if (c->config_help)
                cf_wf_cli_print_config_help(stdout);
            return 0;
        }
    *exit_code = 2;
    if (cf_wf_cli_load_config(cfg, argc, argv)) {
        fprintf(stderr, "casefile %s: %s\n", c->name, cf_error_last()->msg);
        goto cleanup;
    }
    if (c->case_root_default && (!cfg->case_root || strcmp(cfg->case_root, "cases") == 0) &&
        cf_config_set(cfg, "case_root", c->case_root_default)) {
        fprintf(stderr, "casefile %s: %s\n", c->name, cf_error_last()->msg);
        goto cleanup;
    }
    for (int i = 1; i < argc; i++) {
        int r = cf_wf_cli_common(cfg, argc, argv, &i);
        if (r < 0) {
            fprintf(stderr, "casefile %s: %s\n", c->name, cf_error_last()->msg);
            goto cleanup;
        }
        if (r) {
            i--; /* cf_wf_cli_common left i on the next argument */
            continue;
        }
        if (c->flag && c->flag_set && !strcmp(argv[i], c->flag)) {
            *c->flag_set = 1;
            continue;
        }
        if (c->operand && !*c->operand && (argv[i][0] != '-' || !argv[i][1])) {
            *c->operand = argv[i];
            continue;
        }
        r = c->arg ? c->arg(c->ctx, argc, argv, &i) : 0;
        if (r == 0)
            fprintf(stderr, "casefile %s: unexpected argument %s\n", c->name, argv[i]);
        if (r != 1)
            goto cleanup;
    }
    ok = 1;
    *exit_code = 0;
cleanup:
    if (!ok)
        cf_config_release(cfg);
    return ok;
}

int cf_wf_cli_open_case(const char *name, cf_config *cfg, const char *which, cf_aws **aws,
                        cf_wf *wf)
{
    char dir[4096];
    int rc;
    *aws = NULL;
    if (!which) {
        fprintf(stderr, "usage: casefile %s CASE\n", name);
        return 2;
    }
    if ((rc = cf_config_validate(cfg)) || (rc = cf_wf_cli_case_dir(cfg, which, dir, sizeof(dir)))) {
        fprintf(stderr, "casefile %s: %s\n", name, cf_error_last()->msg);
        return 2;
    }
    if ((rc = cf_wf_cli_aws(cfg, aws))) {
        fprintf(stderr, "casefile %s: AWS client: %s\n", name, cf_error_last()->msg);
        return 3;
    }
    if ((rc = cf_wf_reopen(wf, cfg, *aws, dir))) {
        fprintf(stderr, "casefile %s: %s\n", name, cf_error_last()->msg);
        cf_aws_free(*aws);
        *aws = NULL;
        return rc == CF_ENOTFOUND ? 2 : cf_wf_cli_exit(rc);
    }
    return 0;
}
