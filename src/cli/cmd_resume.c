/* casefile resume CASE: continue a case from its journal after a crash or a failed step. */
#include "cli/cli.h"
#include "common/cf_error.h"
#include "workflow/cf_wf_cli.h"
#include "workflow/cf_workflow.h"

#include <stdio.h>
#include <string.h>

typedef struct resume_args {
    const char *which;
    int quiet;
} resume_args;

static int resume_arg(void *ctx, int argc, char **argv, int *i)
{
    resume_args *a = ctx;
    (void)argc;
    if (!strcmp(argv[*i], "--quiet"))
        a->quiet = 1;
    else if (argv[*i][0] == '-' || a->which)
        return 0;
    else
        a->which = argv[*i];
    return 1;
}

int cf_cmd_resume(int argc, char **argv)
{
    resume_args a = {NULL, 0};
    const cf_wf_cli_cmd cmd = {
        "resume",
        "usage: casefile resume CASE [--config FILE] [--quiet] [--KEY VALUE]...\n\n"
        "CASE is a case id (under case_root) or a case directory. Runs every step\n"
        "that is not done yet; steps look at AWS before acting, so nothing is done\n"
        "twice. Failed steps are run again.\n",
        NULL,
        1,
        NULL,
        resume_arg,
        &a};
    cf_config cfg;
    cf_aws *aws = NULL;
    cf_wf wf;
    const char *which;
    char dir[4096];
    int rc, exit_code, wf_open = 0;
    if (!cf_wf_cli_start(&cmd, &cfg, argc, argv, &exit_code))
        return exit_code;
    which = a.which;
    if (!which) {
        fprintf(stderr, "usage: casefile resume CASE\n");
        exit_code = CF_EXIT_USAGE;
        goto cleanup;
    }
    if ((rc = cf_config_validate(&cfg)) ||
        (rc = cf_wf_cli_case_dir(&cfg, which, dir, sizeof(dir)))) {
        fprintf(stderr, "casefile resume: %s\n", cf_error_last()->msg);
        exit_code = CF_EXIT_USAGE;
        goto cleanup;
    }
    if ((rc = cf_wf_cli_aws(&cfg, &aws))) {
        fprintf(stderr, "casefile resume: AWS client: %s\n", cf_error_last()->msg);
        exit_code = CF_EXIT_ENV;
        goto cleanup;
    }
    if ((rc = cf_wf_reopen(&wf, &cfg, aws, dir))) {
        fprintf(stderr, "casefile resume: %s\n", cf_error_last()->msg);
        exit_code = rc == CF_ENOTFOUND ? CF_EXIT_USAGE : cf_wf_cli_exit(rc);
        goto cleanup;
    }
    wf_open = 1;
    wf.quiet = a.quiet;
    rc = cf_wf_run(&wf);
    printf("%s\n", wf.case_id);
    if (rc == CF_ERR)
        exit_code = CF_EXIT_STEP_FAILED;
    else if (rc)
        exit_code = rc == CF_ENOTFOUND ? CF_EXIT_STEP_FAILED : cf_wf_cli_exit(rc);
cleanup:
    if (wf_open)
        cf_wf_close(&wf);
    cf_aws_free(aws);
    cf_config_release(&cfg);
    return exit_code;
}
