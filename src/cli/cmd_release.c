/* casefile release CASE: undo a case's isolation. */
#include "cli/cli.h"
#include "common/cf_error.h"
#include "workflow/cf_wf_cli.h"
#include "workflow/cf_workflow.h"

#include <stdio.h>
#include <string.h>

typedef struct release_args {
    const char *which;
    int dry;
} release_args;

static int release_arg(void *ctx, int argc, char **argv, int *i)
{
    release_args *a = ctx;
    (void)argc;
    if (!strcmp(argv[*i], "--dry-run"))
        a->dry = 1;
    else if (argv[*i][0] != '-' && !a->which)
        a->which = argv[*i];
    else
        return 0;
    return 1;
}

int cf_cmd_release(int argc, char **argv)
{
    release_args a = {NULL, 0};
    const cf_wf_cli_cmd cmd = {
        "release",
        "usage: casefile release CASE [--dry-run] [--config FILE]\n\n"
        "Undoes the isolation recorded in the case: every ENI back on its original\n"
        "security groups, termination protection and shutdown behaviour as they were,\n"
        "Auto Scaling standby exited (asg_action=standby). The isolation groups, the\n"
        "ACL deny entries, the IP list and the snapshots are kept. Each change is\n"
        "recorded in the case's actions (step 'release').\n",
        NULL,
        0,
        NULL,
        release_arg,
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
    if (!which || cf_wf_cli_case_dir(&cfg, which, dir, sizeof(dir))) {
        fprintf(stderr, "usage: casefile release CASE\n");
        exit_code = CF_EXIT_USAGE;
        goto cleanup;
    }
    if ((rc = cf_wf_cli_aws(&cfg, &aws))) {
        fprintf(stderr, "casefile release: AWS client: %s\n", cf_error_last()->msg);
        exit_code = CF_EXIT_ENV;
        goto cleanup;
    }
    if ((rc = cf_wf_reopen(&wf, &cfg, aws, dir))) {
        fprintf(stderr, "casefile release: %s\n", cf_error_last()->msg);
        exit_code = CF_EXIT_USAGE;
        goto cleanup;
    }
    wf_open = 1;
    wf.dry_run = a.dry;
    if ((rc = cf_wf_release(&wf))) {
        fprintf(stderr, "casefile release: %s\n", cf_error_last()->msg);
        exit_code = rc == CF_EINVAL ? CF_EXIT_USAGE : CF_EXIT_STEP_FAILED;
    }
cleanup:
    if (wf_open)
        cf_wf_close(&wf);
    cf_aws_free(aws);
    cf_config_release(&cfg);
    return exit_code;
}
