/* STS: who am I, and assume a role. */
#ifndef CF_STS_H
#define CF_STS_H

#include "aws/cf_aws.h"

typedef struct cf_sts_identity {
    char account[32];
    char arn[2048];
    char user_id[256];
    char request_id[128];
} cf_sts_identity;

/* GetCallerIdentity. */
int cf_sts_get_caller_identity(cf_aws *aws, cf_sts_identity *out);

typedef struct cf_sts_assume_role_result {
    cf_aws_credentials credentials; /* source "assume-role", expiration set; wipe after use */
    char assumed_role_arn[2048];
    char assumed_role_id[256];
    char request_id[128];
} cf_sts_assume_role_result;

/* AssumeRole. external_id may be NULL; duration_s 900..43200. */
int cf_sts_assume_role(cf_aws *aws, const char *role_arn, const char *session_name,
                       const char *external_id, int duration_s, cf_sts_assume_role_result *out);

#endif
