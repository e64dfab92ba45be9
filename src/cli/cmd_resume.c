/* casefile resume CASE: continue a case from its journal after a crash or a failed step. */
#include "cli/cli.h"
#include "common/cf_error.h"
#include "workflow/cf_wf_cli.h"
#include "workflow/cf_workflow.h"

#include <stdio.h>
#include <string.h>

int cf_cmd_resume(int argc, char **argv)
{
    const char *which = NULL;
    int quiet = 0, rc, exit_code;
    const cf_wf_cli_cmd cmd = {
        .name = "resume",
        .help = "usage: casefile resume CASE [--config FILE] [--quiet] [--KEY VALUE]...\n\n"
                "CASE is a case id (under case_root) or a case directory. Runs every step\n"
                "that is not done yet; steps look at AWS before acting, so nothing is done\n"
                "twice. Failed steps are run again.\n",
        .config_help = 1,
        .flag = "--quiet",
        .flag_set = &quiet,
        .operand = &which};
    cf_config cfg;
    cf_aws *aws = NULL;
    cf_wf wf;
    if (!cf_wf_cli_start(&cmd, &cfg, argc, argv, &exit_code))
        return exit_code;
    if ((exit_code = cf_wf_cli_open_case("resume", &cfg, which, &aws, &wf)))
        goto cleanup;
    wf.quiet = quiet;
    rc = cf_wf_run(&wf);
    printf("%s\n", wf.case_id);
    if (rc == CF_ERR)
        exit_code = CF_EXIT_STEP_FAILED;
    else if (rc)
        exit_code = rc == CF_ENOTFOUND ? CF_EXIT_STEP_FAILED : cf_wf_cli_exit(rc);
    cf_wf_close(&wf);
cleanup:
    cf_aws_free(aws);
    cf_config_release(&cfg);
    return exit_code;
}
