/* casefile watch --queue URL: findings from SQS (fed by an EventBridge rule), one case each. */
#include "aws/sqs.h"
#include "cli/cli.h"
#include "common/cf_error.h"
#include "workflow/cf_wf_cli.h"
#include "workflow/cf_workflow.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

/* One message: open its case (recorded in case.db), delete it, run the case. Returns 1 when the
 * case had step failures, 0 when fine, <0 when the message was left on the queue. */
static int one_message(cf_config *cfg, cf_aws *aws, const char *queue, const cf_sqs_message *m,
                       int dry)
{
    cf_finding f;
    cf_wf wf;
    int rc;
    if (!m->body || !m->receipt_handle)
        return CF_EINVAL;
    if ((rc = cf_finding_parse(&f, m->body, m->body_len))) {
        /* Left on the queue: its redrive policy moves it to the dead-letter queue. */
        fprintf(stderr, "casefile watch: message %s is not a finding (%s); left on the queue\n",
                m->id ? m->id : "?", cf_error_last()->msg);
        return rc;
    }
    if ((rc = cf_wf_open(&wf, cfg, aws, &f, dry))) {
        fprintf(stderr, "casefile watch: %s; message left on the queue\n", cf_error_last()->msg);
        cf_finding_release(&f);
        return rc;
    }
    /* The case is recorded: the message may go. A crash from here on is `casefile resume`. */
    if (cf_sqs_delete_message(aws, queue, m->receipt_handle))
        fprintf(stderr, "casefile watch: %s (the message may come back; its case is joined)\n",
                cf_error_last()->msg);
    rc = cf_wf_run(&wf);
    printf("%s\n", wf.case_id);
    fflush(stdout);
    cf_wf_close(&wf);
    cf_finding_release(&f);
    return rc ? 1 : 0;
}

typedef struct watch_args {
    const char *queue;
    int once, wait_s, dry;
} watch_args;

static int watch_arg(void *ctx, int argc, char **argv, int *i)
{
    watch_args *a = ctx;
    if (!strcmp(argv[*i], "--queue") && *i + 1 < argc)
        a->queue = argv[++*i];
    else if (!strcmp(argv[*i], "--once"))
        a->once = 1;
    else if (!strcmp(argv[*i], "--dry-run"))
        a->dry = 1;
    else if (!strcmp(argv[*i], "--wait") && *i + 1 < argc)
        a->wait_s = atoi(argv[++*i]);
    else
        return 0;
    return 1;
}

int cf_cmd_watch(int argc, char **argv)
{
    watch_args a = {NULL, 0, 20, 0};
    const cf_wf_cli_cmd cmd = {
        .name = "watch",
        .help = "usage: casefile watch --queue URL [--once] [--wait S] [--dry-run] "
                "[--config FILE]\n\n"
                "Long-polls the SQS queue; each message (an EventBridge GuardDuty event or a\n"
                "finding) opens or joins its case. A message is deleted only once its case is\n"
                "recorded in case.db; messages that are not findings stay on the queue (for\n"
                "its dead-letter queue). --once: stop when the queue is empty. SIGINT/SIGTERM\n"
                "stop after the current case.\n",
        .arg = watch_arg,
        .ctx = &a};
    cf_config cfg;
    cf_aws *aws = NULL;
    const char *queue;
    int rc, once, wait_s, dry, exit_code;
    if (!cf_wf_cli_start(&cmd, &cfg, argc, argv, &exit_code))
        return exit_code;
    queue = a.queue;
    once = a.once;
    wait_s = a.wait_s;
    dry = a.dry;
    if (!queue || wait_s < 0 || wait_s > 20) {
        fprintf(stderr, "usage: casefile watch --queue URL [--wait 0..20]\n");
        exit_code = CF_EXIT_USAGE;
        goto cleanup;
    }
    if ((rc = cf_config_validate(&cfg))) {
        fprintf(stderr, "casefile watch: %s\n", cf_error_last()->msg);
        exit_code = CF_EXIT_USAGE;
        goto cleanup;
    }
    if ((rc = cf_wf_cli_aws(&cfg, &aws))) {
        fprintf(stderr, "casefile watch: AWS client: %s\n", cf_error_last()->msg);
        exit_code = CF_EXIT_ENV;
        goto cleanup;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    while (!stop_flag) {
        cf_sqs_message_list *msgs = NULL;
        rc = cf_sqs_receive_message(&msgs, aws, queue, 1, wait_s, 900);
        if (rc) {
            fprintf(stderr, "casefile watch: %s\n", cf_error_last()->msg);
            exit_code = CF_EXIT_ENV;
            break;
        }
        if (!msgs->n && once) {
            cf_sqs_message_list_free(msgs);
            break;
        }
        for (size_t i = 0; i < msgs->n; i++)
            if (one_message(&cfg, aws, queue, &msgs->items[i], dry) == 1)
                exit_code = CF_EXIT_STEP_FAILED;
        cf_sqs_message_list_free(msgs);
    }
cleanup:
    cf_aws_free(aws);
    cf_config_release(&cfg);
    return exit_code;
}
