/* cf_wf_cli: what the workflow commands (respond, resume, watch, status, doctor, release,
 * lambda) share: configuration from file/env/flags, the AWS client, case lookup, exit codes. */
#ifndef CF_WF_CLI_H
#define CF_WF_CLI_H

#include "aws/cf_aws.h"
#include "workflow/cf_config.h"

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
/* The help text of every configuration key (for --help). */
void cf_wf_cli_print_config_help(void *fp /* FILE* */);

#endif
