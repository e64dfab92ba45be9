/* casefile release CASE: undo a case's isolation. */
#include "cli/cli.h"
#include "common/cf_error.h"
#include "workflow/cf_wf_cli.h"
#include "workflow/cf_workflow.h"

#include <stdio.h>
#include <string.h>

int cf_cmd_release(int argc, char **argv)
{
    const char *which = NULL;
    int dry = 0, rc, exit_code;
    const cf_wf_cli_cmd cmd = {
        .name = "release",
        .help = "usage: casefile release CASE [--dry-run] [--config FILE]\n\n"
                "Undoes the isolation recorded in the case: every ENI back on its original\n"
                "security groups, termination protection and shutdown behaviour as they were,\n"
                "Auto Scaling standby exited (asg_action=standby). The isolation groups, the\n"
                "ACL deny entries, the IP list and the snapshots are kept. Each change is\n"
                "recorded in the case's actions (step 'release').\n",
        .flag = "--dry-run",
        .flag_set = &dry,
        .operand = &which};
    cf_config cfg;
    cf_aws *aws = NULL;
    cf_wf wf;
    if (!cf_wf_cli_start(&cmd, &cfg, argc, argv, &exit_code))
        return exit_code;
    if ((exit_code = cf_wf_cli_open_case("release", &cfg, which, &aws, &wf)))
        goto cleanup;
    wf.dry_run = dry;
    if ((rc = cf_wf_release(&wf))) {
        fprintf(stderr, "casefile release: %s\n", cf_error_last()->msg);
        exit_code = rc == CF_EINVAL ? CF_EXIT_USAGE : CF_EXIT_STEP_FAILED;
    }
    cf_wf_close(&wf);
cleanup:
    cf_aws_free(aws);
    cf_config_release(&cfg);
    return exit_code;
}
