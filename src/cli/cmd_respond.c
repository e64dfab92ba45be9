/* casefile respond EVENT: open (or join) the case of a finding and run the response. */
#include "cli/cli.h"
#include "common/cf_error.h"
#include "workflow/cf_wf_cli.h"
#include "workflow/cf_workflow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void respond_usage(void *fpv)
{
    FILE *fp = fpv;
    fprintf(
        fp,
        "usage: casefile respond EVENT [--config FILE] [--dry-run] [--quiet] [--KEY VALUE]...\n"
        "\n"
        "EVENT is a file or '-' (stdin): an EventBridge \"GuardDuty Finding\" event, a bare\n"
        "GuardDuty finding, or a Security Hub (ASFF) finding wrapping one. The case id is\n"
        "derived from the finding (cf-<instance>-<hash>), so a duplicate event joins its case.\n"
        "Steps: triage, notify + block_ip (in parallel), collect_volatile, analyze_volatile,\n"
        "isolate, snapshot, collect_disk, analyze, report. Progress goes to stderr; the case\n"
        "directory (<case_root>/<case id>/case.db) keeps the journal (`casefile status`).\n"
        "\n"
        "  --dry-run   print every change it would make, make none (plan kept in\n"
        "              <case_root>/<case id>-dry-run/)\n"
        "  --quiet     no progress lines; only the case id on stdout\n");
    cf_wf_cli_print_config_help(fp);
    fprintf(fp,
            "\nExit: 0 done; 1 finished with step failures; 2 bad event/usage; 3 environment.\n");
}

typedef struct respond_args {
    const char *event;
    int dry, quiet;
} respond_args;

static int respond_arg(void *ctx, int argc, char **argv, int *i)
{
    respond_args *a = ctx;
    (void)argc;
    if (!strcmp(argv[*i], "--dry-run")) {
        a->dry = 1;
    } else if (!strcmp(argv[*i], "--quiet") || !strcmp(argv[*i], "-q")) {
        a->quiet = 1;
    } else if (argv[*i][0] == '-' && argv[*i][1]) {
        fprintf(stderr, "casefile respond: unknown option %s (see --help)\n", argv[*i]);
        return -1;
    } else if (!a->event) {
        a->event = argv[*i];
    } else {
        fprintf(stderr, "casefile respond: one EVENT only\n");
        return -1;
    }
    return 1;
}

int cf_cmd_respond(int argc, char **argv)
{
    respond_args a = {NULL, 0, 0};
    const cf_wf_cli_cmd cmd = {
        .name = "respond", .usage = respond_usage, .arg = respond_arg, .ctx = &a};
    cf_config cfg;
    cf_aws *aws = NULL;
    cf_finding f;
    cf_wf wf;
    const char *event;
    char *data = NULL;
    size_t len = 0;
    int dry, quiet, rc, exit_code, wf_open = 0, have_finding = 0;
    memset(&f, 0, sizeof(f));
    if (!cf_wf_cli_start(&cmd, &cfg, argc, argv, &exit_code))
        return exit_code;
    event = a.event;
    dry = a.dry;
    quiet = a.quiet;
    if (!event) {
        respond_usage(stderr);
        exit_code = CF_EXIT_USAGE;
        goto cleanup;
    }
    if ((rc = cf_config_validate(&cfg))) {
        fprintf(stderr, "casefile respond: %s\n", cf_error_last()->msg);
        exit_code = CF_EXIT_USAGE;
        goto cleanup;
    }
    if ((rc = cf_wf_cli_read_event(event, &data, &len)) || (rc = cf_finding_parse(&f, data, len))) {
        fprintf(stderr, "casefile respond: %s\n", cf_error_last()->msg);
        exit_code = CF_EXIT_USAGE;
        goto cleanup;
    }
    have_finding = 1;
    if ((rc = cf_wf_cli_aws(&cfg, &aws))) {
        fprintf(stderr, "casefile respond: AWS client: %s\n", cf_error_last()->msg);
        exit_code = CF_EXIT_ENV;
        goto cleanup;
    }
    if ((rc = cf_wf_open(&wf, &cfg, aws, &f, dry))) {
        fprintf(stderr, "casefile respond: %s\n", cf_error_last()->msg);
        exit_code = CF_EXIT_ENV;
        goto cleanup;
    }
    wf_open = 1;
    wf.quiet = quiet;
    rc = cf_wf_run(&wf);
    printf("%s\n", wf.case_id);
    if (rc == CF_ERR) {
        fprintf(stderr,
                "casefile respond: case %s finished with step failures (casefile status "
                "%s)\n",
                wf.case_id, wf.case_id);
        exit_code = CF_EXIT_STEP_FAILED;
    } else if (rc) {
        fprintf(stderr, "casefile respond: %s\n", cf_error_last()->msg);
        exit_code = rc == CF_ENOTFOUND ? CF_EXIT_STEP_FAILED : cf_wf_cli_exit(rc);
    }
cleanup:
    if (wf_open)
        cf_wf_close(&wf);
    if (have_finding)
        cf_finding_release(&f);
    cf_aws_free(aws);
    free(data);
    cf_config_release(&cfg);
    return exit_code;
}
