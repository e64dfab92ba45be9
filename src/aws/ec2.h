/* ec2: the typed EC2 calls casefile makes (protocol "ec2", API 2016-11-15).
 *
 * Conventions (shared by every service header in src/aws/):
 * - Functions return 0 or a negative CF_E* code (common/cf_error.h); the detail is in
 *   cf_error_last(). AWS error answers are CF_EAWS (aws_code set), CF_EDENIED for
 *   UnauthorizedOperation / AccessDenied.
 * - Out-parameters come first; a `**out` is owned by the caller and freed with the matching
 *   _free function, which accepts NULL. On failure *out is left NULL.
 * - Every string in a result is a malloc'd, NUL-terminated copy, or NULL when AWS did not send
 *   the field. Numbers AWS did not send are -1 (or 0 for booleans) unless said otherwise.
 * - Responses are untrusted: a list item without its identifier, a number that is not a number,
 *   or more than CF_EC2_MAX_ITEMS items is an error (CF_EPARSE / CF_ETOOBIG), never a crash.
 * - Describe calls follow nextToken until the last page (at most 1000 pages).
 *
 * Mutating calls take `dry_run`: with dry_run != 0 the request carries DryRun=true and EC2's
 * DryRunOperation answer ("would have succeeded") returns CF_EC2_DRY_RUN_OK (a positive value,
 * so `rc < 0` still means failure); UnauthorizedOperation returns CF_EDENIED.
 */
#ifndef CF_AWS_EC2_H
#define CF_AWS_EC2_H

#include <stddef.h>
#include <stdint.h>

#include "aws/cf_aws.h"

#define CF_EC2_DRY_RUN_OK 1      /* DryRun=true and AWS said the request would have succeeded */
#define CF_EC2_MAX_ITEMS  100000 /* cap on any list in one result */

/* ---- inputs ---------------------------------------------------------------------------------- */

typedef struct cf_ec2_filter {
    const char *name; /* "instance-id", "association.subnet-id", "tag:casefile:case" */
    const char *const *values;
    size_t n_values;
} cf_ec2_filter;

/* What a Describe call selects. All fields may be 0/NULL (= everything visible). */
typedef struct cf_ec2_query {
    const char *const *ids; /* InstanceId.N, GroupId.N, VolumeId.N ... per call */
    size_t n_ids;
    const cf_ec2_filter *filters;
    size_t n_filters;
    int max_results; /* page size; 0 = AWS default. Not sent together with ids. */
} cf_ec2_query;

typedef struct cf_ec2_tag_spec {
    const char *key;
    const char *value;
} cf_ec2_tag_spec;

/* ---- results --------------------------------------------------------------------------------- */

typedef struct cf_ec2_tag {
    char *key;
    char *value;
} cf_ec2_tag;

/* The value of tag `key`, or NULL. */
const char *cf_ec2_tag_get(const cf_ec2_tag *tags, size_t n, const char *key);

typedef struct cf_ec2_group_ref {
    char *id;
    char *name;
} cf_ec2_group_ref;

typedef struct cf_ec2_eni {
    char *id;
    char *subnet_id;
    char *vpc_id;
    char *az;
    char *description;
    char *status; /* "in-use", "available", ... */
    char *mac;
    char *private_ip; /* primary */
    char *public_ip;  /* association.publicIp */
    char *owner_id;
    char *interface_type;
    char *attachment_id;
    char *instance_id;  /* attachment.instanceId (DescribeNetworkInterfaces) */
    int device_index;   /* attachment.deviceIndex; -1 when absent */
    char **private_ips; /* every private IPv4 address */
    size_t n_private_ips;
    char **ipv6_ips;
    size_t n_ipv6_ips;
    cf_ec2_group_ref *groups;
    size_t n_groups;
    cf_ec2_tag *tags;
    size_t n_tags;
} cf_ec2_eni;

typedef struct cf_ec2_block_device {
    char *device_name; /* "/dev/xvda" */
    char *volume_id;
    char *status; /* "attached", ... */
    int delete_on_termination;
} cf_ec2_block_device;

typedef struct cf_ec2_instance {
    char *id;
    char *state;    /* "pending", "running", "stopping", "stopped", "shutting-down", "terminated" */
    int state_code; /* -1 when absent */
    char *instance_type;
    char *architecture; /* "x86_64", "arm64", ... */
    char *platform;     /* "windows" or NULL (Linux/UNIX) */
    char *platform_details;
    char *image_id;
    char *key_name;
    char *az;
    char *subnet_id;
    char *vpc_id;
    char *private_ip;
    char *public_ip;
    char *private_dns;
    char *public_dns;
    char *launch_time; /* RFC 3339 as AWS sent it */
    char *root_device_name;
    char *iam_profile_arn; /* iamInstanceProfile.arn */
    char *iam_profile_id;
    char *reservation_id;
    char *owner_id;
    char *client_token;
    cf_ec2_eni *enis;
    size_t n_enis;
    cf_ec2_group_ref *groups;
    size_t n_groups;
    cf_ec2_block_device *devices;
    size_t n_devices;
    cf_ec2_tag *tags;
    size_t n_tags;
} cf_ec2_instance;

typedef struct cf_ec2_instance_list {
    cf_ec2_instance *items;
    size_t n;
} cf_ec2_instance_list;

typedef struct cf_ec2_eni_list {
    cf_ec2_eni *items;
    size_t n;
} cf_ec2_eni_list;

typedef struct cf_ec2_subnet {
    char *id;
    char *vpc_id;
    char *cidr;
    char **ipv6_cidrs;
    size_t n_ipv6_cidrs;
    char *az;
    char *az_id;
    char *state;
    char *owner_id;
    int default_for_az;
    cf_ec2_tag *tags;
    size_t n_tags;
} cf_ec2_subnet;

typedef struct cf_ec2_subnet_list {
    cf_ec2_subnet *items;
    size_t n;
} cf_ec2_subnet_list;

typedef struct cf_ec2_vpc {
    char *id;
    char *cidr;   /* primary IPv4 CIDR */
    char **cidrs; /* every associated IPv4 CIDR (cidrBlockAssociationSet), primary included */
    size_t n_cidrs;
    char **ipv6_cidrs;
    size_t n_ipv6_cidrs;
    char *state;
    char *owner_id;
    int is_default;
    cf_ec2_tag *tags;
    size_t n_tags;
} cf_ec2_vpc;

typedef struct cf_ec2_vpc_list {
    cf_ec2_vpc *items;
    size_t n;
} cf_ec2_vpc_list;

typedef struct cf_ec2_acl_entry {
    int rule_number;
    int egress;      /* 1 outbound, 0 inbound */
    char *protocol;  /* "-1" (all), "6", "17", ... */
    char *action;    /* "allow" / "deny" */
    char *cidr;      /* IPv4, or NULL */
    char *ipv6_cidr; /* or NULL */
    int port_from;   /* -1 when no port range */
    int port_to;
    int icmp_type; /* -1 when absent */
    int icmp_code;
} cf_ec2_acl_entry;

typedef struct cf_ec2_acl_assoc {
    char *id;
    char *subnet_id;
} cf_ec2_acl_assoc;

typedef struct cf_ec2_network_acl {
    char *id;
    char *vpc_id;
    char *owner_id;
    int is_default;
    cf_ec2_acl_entry *entries;
    size_t n_entries;
    cf_ec2_acl_assoc *assocs;
    size_t n_assocs;
    cf_ec2_tag *tags;
    size_t n_tags;
} cf_ec2_network_acl;

typedef struct cf_ec2_acl_list {
    cf_ec2_network_acl *items;
    size_t n;
} cf_ec2_acl_list;

/* One IpPermission: results own their strings (char **), specs borrow (const char *const *). */
typedef struct cf_ec2_ip_perm {
    char *protocol; /* "-1", "tcp", "udp", "icmp", or a number */
    int from_port;  /* -1 when absent */
    int to_port;
    char **cidrs;
    size_t n_cidrs;
    char **ipv6_cidrs;
    size_t n_ipv6_cidrs;
    char **group_ids;
    size_t n_group_ids;
    char **prefix_list_ids;
    size_t n_prefix_list_ids;
} cf_ec2_ip_perm;

typedef struct cf_ec2_security_group {
    char *id;
    char *name;
    char *description;
    char *vpc_id;
    char *owner_id;
    cf_ec2_ip_perm *ingress;
    size_t n_ingress;
    cf_ec2_ip_perm *egress;
    size_t n_egress;
    cf_ec2_tag *tags;
    size_t n_tags;
} cf_ec2_security_group;

typedef struct cf_ec2_sg_list {
    cf_ec2_security_group *items;
    size_t n;
} cf_ec2_sg_list;

typedef struct cf_ec2_volume_attachment {
    char *instance_id;
    char *device;
    char *state; /* "attaching", "attached", "detaching", "detached" */
    int delete_on_termination;
} cf_ec2_volume_attachment;

typedef struct cf_ec2_volume {
    char *id;
    char *state; /* "creating", "available", "in-use", "deleting", "deleted", "error" */
    char *az;
    char *volume_type;
    char *snapshot_id;
    char *create_time;
    char *kms_key_id;
    int64_t size_gib; /* -1 when absent */
    int encrypted;
    cf_ec2_volume_attachment *attachments;
    size_t n_attachments;
    cf_ec2_tag *tags;
    size_t n_tags;
} cf_ec2_volume;

typedef struct cf_ec2_volume_list {
    cf_ec2_volume *items;
    size_t n;
} cf_ec2_volume_list;

typedef struct cf_ec2_snapshot {
    char *id;
    char *volume_id;
    char *state; /* "pending", "completed", "error", ... */
    char *state_message;
    char *progress; /* "100%" */
    char *start_time;
    char *description;
    char *owner_id;
    char *kms_key_id;
    int64_t volume_size_gib; /* -1 when absent */
    int encrypted;
    cf_ec2_tag *tags;
    size_t n_tags;
} cf_ec2_snapshot;

typedef struct cf_ec2_snapshot_list {
    cf_ec2_snapshot *items;
    size_t n;
} cf_ec2_snapshot_list;

typedef struct cf_ec2_profile_assoc {
    char *id;
    char *instance_id;
    char *profile_arn;
    char *profile_id;
    char *state; /* "associating", "associated", "disassociating", "disassociated" */
} cf_ec2_profile_assoc;

typedef struct cf_ec2_profile_assoc_list {
    cf_ec2_profile_assoc *items;
    size_t n;
} cf_ec2_profile_assoc_list;

typedef struct cf_ec2_address {
    char *public_ip;
    char *allocation_id;
    char *association_id;
    char *instance_id;
    char *eni_id;
    char *private_ip;
    char *domain; /* "vpc" / "standard" */
    cf_ec2_tag *tags;
    size_t n_tags;
} cf_ec2_address;

typedef struct cf_ec2_address_list {
    cf_ec2_address *items;
    size_t n;
} cf_ec2_address_list;

void cf_ec2_instance_list_free(cf_ec2_instance_list *l);
void cf_ec2_eni_list_free(cf_ec2_eni_list *l);
void cf_ec2_subnet_list_free(cf_ec2_subnet_list *l);
void cf_ec2_vpc_list_free(cf_ec2_vpc_list *l);
void cf_ec2_acl_list_free(cf_ec2_acl_list *l);
void cf_ec2_sg_list_free(cf_ec2_sg_list *l);
void cf_ec2_volume_list_free(cf_ec2_volume_list *l);
void cf_ec2_snapshot_list_free(cf_ec2_snapshot_list *l);
void cf_ec2_profile_assoc_list_free(cf_ec2_profile_assoc_list *l);
void cf_ec2_address_list_free(cf_ec2_address_list *l);

/* ---- describe calls (q may be NULL: everything) --------------------------------------------- */

/* Instances flattened out of every reservation (ids: InstanceId.N). */
int cf_ec2_describe_instances(cf_ec2_instance_list **out, cf_aws *aws, const cf_ec2_query *q);
int cf_ec2_describe_network_interfaces(cf_ec2_eni_list **out, cf_aws *aws, const cf_ec2_query *q);
int cf_ec2_describe_subnets(cf_ec2_subnet_list **out, cf_aws *aws, const cf_ec2_query *q);
int cf_ec2_describe_vpcs(cf_ec2_vpc_list **out, cf_aws *aws, const cf_ec2_query *q);
int cf_ec2_describe_network_acls(cf_ec2_acl_list **out, cf_aws *aws, const cf_ec2_query *q);
int cf_ec2_describe_security_groups(cf_ec2_sg_list **out, cf_aws *aws, const cf_ec2_query *q);
int cf_ec2_describe_volumes(cf_ec2_volume_list **out, cf_aws *aws, const cf_ec2_query *q);
/* owner: "self" or an account id, or NULL (every snapshot visible, public ones included). */
int cf_ec2_describe_snapshots(cf_ec2_snapshot_list **out, cf_aws *aws, const cf_ec2_query *q,
                              const char *owner);
/* ids: AssociationId.N. Filter "instance-id" selects one instance's association. */
int cf_ec2_describe_iam_instance_profile_associations(cf_ec2_profile_assoc_list **out, cf_aws *aws,
                                                      const cf_ec2_query *q);
/* ids: AllocationId.N. Not paginated by AWS (max_results ignored). */
int cf_ec2_describe_addresses(cf_ec2_address_list **out, cf_aws *aws, const cf_ec2_query *q);

/* ---- network ACLs ---------------------------------------------------------------------------- */

typedef struct cf_ec2_acl_entry_spec {
    const char *acl_id;
    int rule_number; /* 1..32766 */
    int egress;
    const char *protocol; /* "-1" for all */
    const char *action;   /* "deny" / "allow" */
    const char *cidr;     /* exactly one of cidr / ipv6_cidr */
    const char *ipv6_cidr;
    int port_from; /* used when protocol is 6 or 17 and port_to > 0 */
    int port_to;
} cf_ec2_acl_entry_spec;

int cf_ec2_create_network_acl_entry(cf_aws *aws, const cf_ec2_acl_entry_spec *spec, int dry_run);
int cf_ec2_delete_network_acl_entry(cf_aws *aws, const char *acl_id, int rule_number, int egress,
                                    int dry_run);

/* ---- security groups ------------------------------------------------------------------------- */

typedef struct cf_ec2_ip_perm_spec {
    const char *protocol; /* "-1", "tcp", ... */
    int from_port;        /* sent when >= 0 */
    int to_port;
    const char *const *cidrs;
    size_t n_cidrs;
    const char *const *ipv6_cidrs;
    size_t n_ipv6_cidrs;
    const char *const *group_ids;
    size_t n_group_ids;
} cf_ec2_ip_perm_spec;

/* *group_id_out: the new group's id (caller frees). tags may be NULL. */
int cf_ec2_create_security_group(char **group_id_out, cf_aws *aws, const char *name,
                                 const char *description, const char *vpc_id,
                                 const cf_ec2_tag_spec *tags, size_t n_tags, int dry_run);
int cf_ec2_authorize_security_group_ingress(cf_aws *aws, const char *group_id,
                                            const cf_ec2_ip_perm_spec *perms, size_t n,
                                            int dry_run);
int cf_ec2_authorize_security_group_egress(cf_aws *aws, const char *group_id,
                                           const cf_ec2_ip_perm_spec *perms, size_t n, int dry_run);
int cf_ec2_revoke_security_group_egress(cf_aws *aws, const char *group_id,
                                        const cf_ec2_ip_perm_spec *perms, size_t n, int dry_run);
/* Replaces the security groups of one ENI (ModifyNetworkInterfaceAttribute SecurityGroupId.N). */
int cf_ec2_set_eni_groups(cf_aws *aws, const char *eni_id, const char *const *group_ids, size_t n,
                          int dry_run);

/* ---- instance attributes (ModifyInstanceAttribute) ------------------------------------------- */

int cf_ec2_set_termination_protection(cf_aws *aws, const char *instance_id, int enabled,
                                      int dry_run);
/* behavior: "stop" or "terminate". */
int cf_ec2_set_shutdown_behavior(cf_aws *aws, const char *instance_id, const char *behavior,
                                 int dry_run);
/* Replaces the groups of the instance's primary ENI (GroupId.N). */
int cf_ec2_set_instance_groups(cf_aws *aws, const char *instance_id, const char *const *group_ids,
                               size_t n, int dry_run);

/* ---- volumes and snapshots ------------------------------------------------------------------- */

int cf_ec2_create_snapshot(char **snapshot_id_out, cf_aws *aws, const char *volume_id,
                           const char *description, const cf_ec2_tag_spec *tags, size_t n_tags,
                           int dry_run);

typedef struct cf_ec2_volume_spec {
    const char *az;           /* required */
    const char *snapshot_id;  /* or size_gib */
    int64_t size_gib;         /* sent when > 0 */
    const char *volume_type;  /* NULL: AWS default (gp2/gp3) */
    const char *client_token; /* idempotency (see cf_aws_client_token); may be NULL */
    const cf_ec2_tag_spec *tags;
    size_t n_tags;
} cf_ec2_volume_spec;

int cf_ec2_create_volume(char **volume_id_out, cf_aws *aws, const cf_ec2_volume_spec *spec,
                         int dry_run);
int cf_ec2_attach_volume(cf_aws *aws, const char *volume_id, const char *instance_id,
                         const char *device, int dry_run);
/* instance_id is required (moto needs it; AWS accepts it). force: Force=true. */
int cf_ec2_detach_volume(cf_aws *aws, const char *volume_id, const char *instance_id, int force,
                         int dry_run);
int cf_ec2_delete_volume(cf_aws *aws, const char *volume_id, int dry_run);

/* ---- instances ------------------------------------------------------------------------------- */

typedef struct cf_ec2_run_spec {
    const char *image_id;      /* required */
    const char *instance_type; /* NULL: "t3.micro" */
    const char *subnet_id;
    const char *const *group_ids;
    size_t n_group_ids;
    const char *profile_name; /* IamInstanceProfile.Name, or */
    const char *profile_arn;  /* IamInstanceProfile.Arn */
    const char *key_name;
    const char *user_data_b64;   /* already base64 */
    const char *client_token;    /* strongly advised: a retried run does not launch twice */
    const cf_ec2_tag_spec *tags; /* applied to the instance and its volumes */
    size_t n_tags;
    int imdsv2_required;           /* MetadataOptions.HttpTokens=required when != 0 */
    const char *shutdown_behavior; /* InstanceInitiatedShutdownBehavior "stop"/"terminate" */
} cf_ec2_run_spec;

/* Launches one instance (MinCount = MaxCount = 1); *out holds it as RunInstances described it. */
int cf_ec2_run_instances(cf_ec2_instance_list **out, cf_aws *aws, const cf_ec2_run_spec *spec,
                         int dry_run);
int cf_ec2_terminate_instances(cf_aws *aws, const char *const *ids, size_t n, int dry_run);
int cf_ec2_create_tags(cf_aws *aws, const char *const *resource_ids, size_t n_ids,
                       const cf_ec2_tag_spec *tags, size_t n_tags, int dry_run);

/* ---- instance profiles and addresses --------------------------------------------------------- */

/* Exactly one of profile_name / profile_arn. *new_assoc_id_out may be NULL when not wanted. */
int cf_ec2_replace_iam_instance_profile_association(char **new_assoc_id_out, cf_aws *aws,
                                                    const char *assoc_id, const char *profile_name,
                                                    const char *profile_arn, int dry_run);
int cf_ec2_disassociate_address(cf_aws *aws, const char *association_id, int dry_run);

/* ---- parsers (public for tests and fuzzing) -------------------------------------------------- */

/* Appends the instances of one DescribeInstances/RunInstances response document to *l. On
 * failure *l may hold the items parsed before the error; free it either way. */
int cf_ec2_parse_instances(cf_ec2_instance_list *l, xmlDoc *doc);
int cf_ec2_parse_network_interfaces(cf_ec2_eni_list *l, xmlDoc *doc);
int cf_ec2_parse_subnets(cf_ec2_subnet_list *l, xmlDoc *doc);
int cf_ec2_parse_vpcs(cf_ec2_vpc_list *l, xmlDoc *doc);
int cf_ec2_parse_network_acls(cf_ec2_acl_list *l, xmlDoc *doc);
int cf_ec2_parse_security_groups(cf_ec2_sg_list *l, xmlDoc *doc);
int cf_ec2_parse_volumes(cf_ec2_volume_list *l, xmlDoc *doc);
int cf_ec2_parse_snapshots(cf_ec2_snapshot_list *l, xmlDoc *doc);
int cf_ec2_parse_profile_assocs(cf_ec2_profile_assoc_list *l, xmlDoc *doc);
int cf_ec2_parse_addresses(cf_ec2_address_list *l, xmlDoc *doc);

/* The request id of the answer to this thread's last mutating EC2 request (a change, a DryRun
 * answer or an AWS error), for journals that record the request id of every change. A call that
 * fails before sending leaves it unchanged: after rc < 0 read cf_error_last()->request_id. */
const char *cf_ec2_last_request_id(void);

/* DescribeInstanceAttribute of a scalar attribute ("disableApiTermination",
 * "instanceInitiatedShutdownBehavior", "instanceType", ...): *value_out is the text of its
 * <value> (caller frees), NULL when AWS sent none. */
int cf_ec2_get_instance_attribute(char **value_out, cf_aws *aws, const char *instance_id,
                                  const char *attribute);

#endif
