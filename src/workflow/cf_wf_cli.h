/* cf_wf_cli: what the workflow commands (respond, resume, watch, status, doctor, release,
 * lambda) share: configuration from file/env/flags, the AWS client, case lookup, exit codes. */
#ifndef CF_WF_CLI_H
#define CF_WF_CLI_H

#include "aws/cf_aws.h"
#include "workflow/cf_config.h"
#include "workflow/cf_workflow.h"

/* Pass 1 over argv: finds --config FILE (or --config=FILE) and loads defaults, that file (or
 * $CASEFILE_CONFIG) and the environment. The caller then walks argv again, calling
 * cf_wf_cli_common() for each argument it does not know itself. */
int cf_wf_cli_load_config(cf_config *cfg, int argc, char **argv);
/* Handles --config FILE (skipped: already loaded) and every config-key flag. Returns 1 when
 * argv[*i] was consumed (and advances *i), 0 when not ours, <0 on a bad value. */
int cf_wf_cli_common(cf_config *cfg, int argc, char **argv, int *i);
/* The AWS client for cfg (region from cfg->region when set). */
int cf_wf_cli_aws(const cf_config *cfg, cf_aws **out);
/* CASE is a directory holding case.db, or a case id under cfg->case_root. out: cap bytes. */
int cf_wf_cli_case_dir(const cf_config *cfg, const char *arg, char *out, size_t cap);
/* Maps an error code to the documented exit status (2 input, 3 environment, 4 integrity, 1). */
int cf_wf_cli_exit(int rc);
/* Reads an event from a file or "-" (stdin), at most max bytes. Caller frees *out. */
int cf_wf_cli_read_event(const char *path, char **out, size_t *len_out);
/* A command's own argument argv[*i]: returns 1 when it is consumed (a value is taken with
 * argv[++*i]), 0 when unexpected ("casefile CMD: unexpected argument X" is printed), <0 when
 * the function printed its own message. Either non-1 answer is exit 2. */
typedef int (*cf_wf_cli_arg_fn)(void *ctx, int argc, char **argv, int *i);

/* What a workflow command's preamble needs. */
typedef struct cf_wf_cli_cmd {
    const char *name;              /* "release": messages are "casefile release: ..." */
    const char *help;              /* the --help text (printed as is) */
    void (*usage)(void *fp);       /* instead of help when set: prints it to fp (a FILE*) */
    int config_help;               /* 1: --help also lists every configuration key */
    const char *case_root_default; /* used when case_root is still the built-in "cases" */
    cf_wf_cli_arg_fn arg;          /* the command's own arguments (after flag/operand below) */
    void *ctx;                     /* for arg */
    const char *flag;              /* a boolean option ("--dry-run") ... */
    int *flag_set;                 /* ... sets *flag_set = 1 */
    const char **operand;          /* the one argument not starting with '-' ("-" counts) */
} cf_wf_cli_cmd;

/* The shared command-line preamble: --help/-h anywhere prints the help; else the configuration
 * is loaded (cf_wf_cli_load_config), case_root_default applied, and argv walked: --config and
 * every config-key flag (cf_wf_cli_common), the rest through c->arg. Returns 1 when the command
 * goes on (cfg loaded: the caller releases it), 0 when it must return *exit_code now (help: 0,
 * usage/config error: 2, message printed, cfg already released). */
int cf_wf_cli_start(const cf_wf_cli_cmd *c, cf_config *cfg, int argc, char **argv, int *exit_code);
/* For the commands on an existing case (resume, release): checks the configuration, finds the
 * case `which` (a directory or a case id), creates the AWS client and reopens the case. Messages
 * are printed as "casefile NAME: ...". Returns 0 (*aws and *wf set: the caller closes both) or
 * the exit code (2 usage/no such case, 3 environment, ...). */
int cf_wf_cli_open_case(const char *name, cf_config *cfg, const char *which, cf_aws **aws,
                        cf_wf *wf);
/* The help text of every configuration key (for --help). */
void cf_wf_cli_print_config_help(void *fp /* FILE* */);

#endif
