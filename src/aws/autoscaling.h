/* autoscaling: the Auto Scaling calls casefile makes (protocol "query").
 * Conventions as in ec2.h. */
#ifndef CF_AWS_AUTOSCALING_H
#define CF_AWS_AUTOSCALING_H

#include <stddef.h>

#include "aws/cf_aws.h"

#define CF_ASG_MAX_ITEMS 100000

typedef struct cf_asg_instance {
    char *instance_id;
    char *group_name;
    char *az;
    char *lifecycle_state; /* "InService", "Standby", "Detaching", ... */
    char *health_status;   /* "HEALTHY", "UNHEALTHY" */
    char *instance_type;
    char *launch_configuration;
    char *launch_template_id;
    int protected_from_scale_in;
} cf_asg_instance;

typedef struct cf_asg_instance_list {
    cf_asg_instance *items;
    size_t n;
} cf_asg_instance_list;

void cf_asg_instance_list_free(cf_asg_instance_list *l);

/* DescribeAutoScalingInstances, every page (NextToken). ids may be NULL for all. An instance
 * that is in no group is simply absent from the result. */
int cf_asg_describe_instances(cf_asg_instance_list **out, cf_aws *aws, const char *const *ids,
                              size_t n_ids);

typedef struct cf_asg_activity {
    char *id;
    char *group_name;
    char *status_code; /* "InProgress", "Successful", "Failed", ... */
    char *description;
    char *cause;
    int progress; /* -1 when absent */
} cf_asg_activity;

typedef struct cf_asg_activity_list {
    cf_asg_activity *items;
    size_t n;
} cf_asg_activity_list;

void cf_asg_activity_list_free(cf_asg_activity_list *l);

/* EnterStandby / DetachInstances. *out (may be NULL when not wanted) gets the activities. */
int cf_asg_enter_standby(cf_asg_activity_list **out, cf_aws *aws, const char *group,
                         const char *const *ids, size_t n_ids, int decrement_desired);
int cf_asg_detach_instances(cf_asg_activity_list **out, cf_aws *aws, const char *group,
                            const char *const *ids, size_t n_ids, int decrement_desired);

/* Parsers (public for tests and fuzzing). result: the root's *Result element name. */
int cf_asg_parse_instances(cf_asg_instance_list *l, xmlDoc *doc);
int cf_asg_parse_activities(cf_asg_activity_list *l, xmlDoc *doc, const char *result);

/* ExitStandby: back in service (the group's desired capacity grows by the instances). */
int cf_asg_exit_standby(cf_asg_activity_list **out, cf_aws *aws, const char *group,
                        const char *const *ids, size_t n_ids);

/* The request id of this thread's last EnterStandby / DetachInstances / ExitStandby (answered or
 * refused by AWS; "" when it failed before sending), for journals of every change. */
const char *cf_asg_last_request_id(void);

#endif
