/* ssm: Systems Manager Run Command (protocol "json", target AmazonSSM).
 *
 * Conventions as in ec2.h: int status, out-parameters first, caller frees `**out` with the
 * matching _free (NULL accepted), strings malloc'd or NULL when absent, numbers -1 when absent.
 */
#ifndef CF_AWS_SSM_H
#define CF_AWS_SSM_H

#include <stddef.h>

#include "aws/cf_aws.h"

#define CF_SSM_MAX_ITEMS 100000

typedef struct cf_ssm_command_spec {
    const char *const *instance_ids; /* required, at least one */
    size_t n_instance_ids;
    const char *document;        /* NULL: "AWS-RunShellScript" */
    const char *const *commands; /* parameter "commands", one shell line each; required */
    size_t n_commands;
    int execution_timeout_s;      /* parameter "executionTimeout" when > 0 */
    int timeout_s;                /* TimeoutSeconds (delivery) when > 0 */
    const char *comment;          /* at most 100 characters (AWS limit); NULL: none */
    const char *output_s3_bucket; /* OutputS3BucketName; NULL: none */
    const char *output_s3_prefix; /* OutputS3KeyPrefix */
} cf_ssm_command_spec;

/* *command_id_out: the new command's id (caller frees). */
int cf_ssm_send_command(char **command_id_out, cf_aws *aws, const cf_ssm_command_spec *spec);

typedef struct cf_ssm_invocation {
    char *command_id;
    char *instance_id;
    char *status; /* "Pending", "InProgress", "Delayed", "Success", "Cancelled",
                     "TimedOut", "Failed", "Cancelling" */
    char *status_details;
    char *document_name;
    char *comment;
    char *plugin_name;
    char *stdout_content; /* first plugin's output (ListCommandInvocations: Output) */
    char *stderr_content;
    char *stdout_url;
    char *stderr_url;
    char *requested_time; /* RFC 3339 (from epoch seconds or as sent) */
    char *start_time;
    char *end_time;
    int response_code; /* -1 when absent */
} cf_ssm_invocation;

typedef struct cf_ssm_invocation_list {
    cf_ssm_invocation *items;
    size_t n;
} cf_ssm_invocation_list;

void cf_ssm_invocation_free(cf_ssm_invocation *inv);
void cf_ssm_invocation_list_free(cf_ssm_invocation_list *l);

/* 1 when status is final (Success, Cancelled, TimedOut, Failed, Undeliverable, Terminated). */
int cf_ssm_status_is_terminal(const char *status);

/* GetCommandInvocation. AWS answers InvocationDoesNotExist (CF_EAWS) for a moment after
 * SendCommand; callers that poll treat it as "pending". */
int cf_ssm_get_command_invocation(cf_ssm_invocation **out, cf_aws *aws, const char *command_id,
                                  const char *instance_id);
/* ListCommandInvocations with Details=true, every page. command_id and/or instance_id may be NULL.
 */
int cf_ssm_list_command_invocations(cf_ssm_invocation_list **out, cf_aws *aws,
                                    const char *command_id, const char *instance_id);

typedef struct cf_ssm_instance_info {
    char *instance_id;
    char *ping_status; /* "Online", "ConnectionLost", "Inactive" */
    char *last_ping;   /* RFC 3339 */
    char *agent_version;
    char *platform_type; /* "Linux", "Windows", "MacOS" */
    char *platform_name;
    char *platform_version;
    char *ip_address;
    char *computer_name;
    char *resource_type;
} cf_ssm_instance_info;

typedef struct cf_ssm_instance_info_list {
    cf_ssm_instance_info *items;
    size_t n;
} cf_ssm_instance_info_list;

void cf_ssm_instance_info_list_free(cf_ssm_instance_info_list *l);

/* DescribeInstanceInformation, every page; ids (InstanceIds filter) may be NULL for all. */
int cf_ssm_describe_instance_information(cf_ssm_instance_info_list **out, cf_aws *aws,
                                         const char *const *ids, size_t n_ids);

/* Parsers of one response body (public for tests and fuzzing); append to *l / fill *out. */
int cf_ssm_parse_invocation(cf_ssm_invocation **out, json_t *body);
int cf_ssm_parse_invocations(cf_ssm_invocation_list *l, json_t *body);
int cf_ssm_parse_instance_information(cf_ssm_instance_info_list *l, json_t *body);

/* ---- ListCommands and request ids (added for the workflow) ---------------------------------- */

typedef struct cf_ssm_command {
    char *command_id; /* required in every item */
    char *document_name;
    char *comment;
    char *status; /* "Pending", "InProgress", "Success", ... */
    char *status_details;
    char *requested_time; /* RFC 3339 (from epoch seconds or as sent) */
    char *output_s3_bucket;
    char *output_s3_prefix;
    char **instance_ids;
    size_t n_instance_ids;
    int timeout_s; /* TimeoutSeconds; -1 when absent */
} cf_ssm_command;

typedef struct cf_ssm_command_list {
    cf_ssm_command *items;
    size_t n;
} cf_ssm_command_list;

void cf_ssm_command_list_free(cf_ssm_command_list *l);

/* ListCommands, every page (page size 50); command_id and/or instance_id may be NULL. */
int cf_ssm_list_commands(cf_ssm_command_list **out, cf_aws *aws, const char *command_id,
                         const char *instance_id);
int cf_ssm_parse_commands(cf_ssm_command_list *l, json_t *body);

/* The request id of this thread's last SendCommand (answered or refused); "" when none. For
 * journals that record the request id of every change. */
const char *cf_ssm_last_request_id(void);

#endif
