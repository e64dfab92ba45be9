/* Placeholder until issue #6 lands; replaced by the real command. */
#include "cli/cli.h"

#include <stdio.h>

int cf_cmd_release(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "casefile release: not built yet (issue #6)\n");
    return CF_EXIT_ENV;
}
