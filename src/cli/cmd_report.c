/* Placeholder until issue #7 lands; replaced by the real command. */
#include "cli/cli.h"

#include <stdio.h>

int cf_cmd_report(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "casefile report: not built yet (issue #7)\n");
    return CF_EXIT_ENV;
}
