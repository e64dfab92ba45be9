/* Placeholder until issue #4 lands; replaced by the real command. */
#include "cli/cli.h"

#include <stdio.h>

int cf_cmd_collect(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "casefile collect: not built yet (issue #4)\n");
    return CF_EXIT_ENV;
}
