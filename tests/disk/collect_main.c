/* A `casefile collect` front end for the disk tests: the same command code (src/cli/cmd_collect.c)
 * without the rest of the CLI, so the disk suite builds and runs on its own. */
#include "cli/cli.h"

int main(int argc, char **argv)
{
    return argc > 1 ? cf_cmd_collect(argc - 1, argv + 1) : 2; /* argv[1] == "collect" */
}
