/* casefile: automated incident response for compromised EC2 instances. */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"respond", cf_cmd_respond,
     "respond to a GuardDuty finding: contain, collect, analyse, report"},
    {"resume", cf_cmd_resume, "continue a case after a crash or a failed step"},
    {"watch", cf_cmd_watch, "take findings from an SQS queue, one case each"},
    {"status", cf_cmd_status, "show a case's steps and every change made"},
    {"doctor", cf_cmd_doctor, "prove credentials, endpoints and permissions before an incident"},
    {"release", cf_cmd_release, "undo a case's isolation (restore the original security groups)"},
    {"collect", cf_cmd_collect, "collect evidence (`collect disk SOURCE --out DIR`)"},
    {"analyze", cf_cmd_analyze, "load evidence into a case database and run the rules"},
    {"report", cf_cmd_report, "write a case's report (HTML, JSON, Markdown)"},
    {"lambda", cf_cmd_lambda, "run as an AWS Lambda custom runtime (one step per invocation)"},
};

static void usage(FILE *fp)
{
    fprintf(fp, "usage: casefile COMMAND [OPTIONS]\n\n"
                "Responds to a compromised EC2 instance: alerts, blocks the attacker, captures\n"
                "volatile state, isolates, snapshots, collects and analyses evidence, reports.\n\n"
                "Commands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(fp, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(fp, "\n`casefile COMMAND --help` describes each command.\n\n"
                "Exit status: 0 done; 1 finished with step failures; 2 usage or input error;\n"
                "3 environment (credentials, endpoint, permission, missing tool); 4 evidence\n"
                "failed verification; 70 internal error.\n");
}

int main(int argc, char **argv)
{
    const char *base = argc > 0 ? strrchr(argv[0], '/') : NULL;
    base = base ? base + 1 : (argc > 0 ? argv[0] : "");
    /* As a Lambda custom runtime the binary is started as `bootstrap` with no arguments. */
    if (!strcmp(base, "bootstrap"))
        return cf_cmd_lambda(argc, argv);
    if (argc < 2) {
        usage(stderr);
        return CF_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return CF_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("casefile %s\n", CF_VERSION);
        return CF_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "casefile: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return CF_EXIT_USAGE;
}
