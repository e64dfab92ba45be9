/* The `casefile` command: one function per subcommand, each in its own cmd_<name>.c.
 * A subcommand gets argv starting at its own name (argv[0] == "respond") and returns the
 * process exit status (see EXIT STATUS in `casefile --help`). */
#ifndef CF_CLI_H
#define CF_CLI_H

enum cf_exit {
    CF_EXIT_OK = 0,          /* done */
    CF_EXIT_STEP_FAILED = 1, /* finished, but one or more steps failed */
    CF_EXIT_USAGE = 2,       /* usage or input error */
    CF_EXIT_ENV = 3,         /* environment: credentials, endpoint, permissions, missing tool */
    CF_EXIT_INTEGRITY = 4,   /* evidence failed verification against its manifest */
    CF_EXIT_INTERNAL = 70    /* a bug: please report it */
};

int cf_cmd_respond(int argc, char **argv);
int cf_cmd_resume(int argc, char **argv);
int cf_cmd_watch(int argc, char **argv);
int cf_cmd_status(int argc, char **argv);
int cf_cmd_doctor(int argc, char **argv);
int cf_cmd_release(int argc, char **argv);
int cf_cmd_collect(int argc, char **argv);
int cf_cmd_analyze(int argc, char **argv);
int cf_cmd_report(int argc, char **argv);
int cf_cmd_lambda(int argc, char **argv);

#endif
