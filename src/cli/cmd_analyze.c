/* Placeholder until issue #5 lands; replaced by the real command. */
#include "cli/cli.h"

#include <stdio.h>

int cf_cmd_analyze(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "casefile analyze: not built yet (issue #5)\n");
    return CF_EXIT_ENV;
}
