/* iam: the two IAM calls casefile makes (protocol "query", global endpoint).
 * Conventions as in ec2.h. */
#ifndef CF_AWS_IAM_H
#define CF_AWS_IAM_H

#include <stddef.h>

#include "aws/cf_aws.h"

/* PutRolePolicy: adds or replaces the inline policy `policy_name` of `role` (used to attach a
 * deny-all policy with an aws:TokenIssueTime condition, which revokes active sessions). */
int cf_iam_put_role_policy(cf_aws *aws, const char *role, const char *policy_name,
                           const char *policy_json);

typedef struct cf_iam_role {
    char *name;
    char *id;
    char *arn;
    char *path;
} cf_iam_role;

typedef struct cf_iam_instance_profile {
    char *name;
    char *id;
    char *arn;
    char *path;
    char *create_date;
    cf_iam_role *roles;
    size_t n_roles;
} cf_iam_instance_profile;

void cf_iam_instance_profile_free(cf_iam_instance_profile *p);

/* GetInstanceProfile by name (the last path element of an instance profile ARN; see
 * cf_iam_profile_name_from_arn). NoSuchEntity is CF_EAWS with aws_code "NoSuchEntity". */
int cf_iam_get_instance_profile(cf_iam_instance_profile **out, cf_aws *aws, const char *name);

/* "arn:aws:iam::123:instance-profile/path/name" -> "name" (pointer into arn); NULL when the
 * ARN is not an instance-profile ARN. */
const char *cf_iam_profile_name_from_arn(const char *arn);

/* Parses a GetInstanceProfile response (public for tests and fuzzing). */
int cf_iam_parse_instance_profile(cf_iam_instance_profile **out, xmlDoc *doc);

/* The request id of this thread's last PutRolePolicy (answered or refused by AWS; "" when it
 * failed before sending), for journals that record the request id of every change. */
const char *cf_iam_last_request_id(void);

#endif
