/* elbv2: target groups (protocol "query", Elastic Load Balancing v2). Conventions as in ec2.h. */
#ifndef CF_AWS_ELBV2_H
#define CF_AWS_ELBV2_H

#include <stddef.h>

#include "aws/cf_aws.h"

#define CF_ELBV2_MAX_ITEMS 100000

typedef struct cf_elbv2_target_group {
    char *arn;
    char *name;
    char *protocol;
    int port; /* -1 when absent */
    char *vpc_id;
    char *target_type; /* "instance", "ip", "lambda", "alb" */
    char **lb_arns;
    size_t n_lb_arns;
} cf_elbv2_target_group;

typedef struct cf_elbv2_tg_list {
    cf_elbv2_target_group *items;
    size_t n;
} cf_elbv2_tg_list;

void cf_elbv2_tg_list_free(cf_elbv2_tg_list *l);

/* Every page (Marker/NextMarker). arns (TargetGroupArns.member.N) may be NULL for all; lb_arn
 * (LoadBalancerArn) may be NULL. */
int cf_elbv2_describe_target_groups(cf_elbv2_tg_list **out, cf_aws *aws, const char *const *arns,
                                    size_t n_arns, const char *lb_arn);

typedef struct cf_elbv2_target {
    const char *id; /* instance id (or IP) */
    int port;       /* sent when > 0 */
    const char *az; /* NULL: none */
} cf_elbv2_target;

typedef struct cf_elbv2_target_health {
    char *id;
    int port; /* -1 when absent */
    char *az;
    char *state; /* "initial", "healthy", "unhealthy", "unused", "draining", "unavailable" */
    char *reason;
    char *description;
} cf_elbv2_target_health;

typedef struct cf_elbv2_health_list {
    cf_elbv2_target_health *items;
    size_t n;
} cf_elbv2_health_list;

void cf_elbv2_health_list_free(cf_elbv2_health_list *l);

/* DescribeTargetHealth of one target group; targets may be NULL for all. */
int cf_elbv2_describe_target_health(cf_elbv2_health_list **out, cf_aws *aws, const char *tg_arn,
                                    const cf_elbv2_target *targets, size_t n);
int cf_elbv2_deregister_targets(cf_aws *aws, const char *tg_arn, const cf_elbv2_target *targets,
                                size_t n);

/* Parsers (public for tests and fuzzing): append one response's items to *l. */
int cf_elbv2_parse_target_groups(cf_elbv2_tg_list *l, xmlDoc *doc);
int cf_elbv2_parse_target_health(cf_elbv2_health_list *l, xmlDoc *doc);

/* The request id of this thread's last DeregisterTargets (answered or refused by AWS; "" when it
 * failed before sending), for journals that record the request id of every change. */
const char *cf_elbv2_last_request_id(void);

#endif
