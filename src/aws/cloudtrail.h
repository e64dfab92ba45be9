/* cloudtrail: LookupEvents (protocol "json", CloudTrail_20131101).
 * Conventions as in ec2.h. */
#ifndef CF_AWS_CLOUDTRAIL_H
#define CF_AWS_CLOUDTRAIL_H

#include <stddef.h>
#include <stdint.h>

#include "aws/cf_aws.h"

#define CF_CLOUDTRAIL_MAX_ITEMS 1000000

typedef struct cf_cloudtrail_lookup {
    const char *attr_key; /* "ResourceName", "Username", "EventName", "AccessKeyId", ...; NULL:
                             no LookupAttributes */
    const char *attr_value;
    int64_t start_ns;  /* StartTime when > 0 */
    int64_t end_ns;    /* EndTime when > 0 */
    size_t max_events; /* stop after this many events (0: no limit other than the cap) */
    int page_size;     /* MaxResults 1..50 when > 0 */
} cf_cloudtrail_lookup;

typedef struct cf_cloudtrail_resource {
    char *type;
    char *name;
} cf_cloudtrail_resource;

typedef struct cf_cloudtrail_event {
    char *event_id;
    char *event_name;
    char *event_source;
    char *event_time;      /* RFC 3339 UTC */
    int64_t event_time_ns; /* 0 when absent */
    char *username;
    char *access_key_id;
    char *read_only; /* "true" / "false" as sent */
    char *raw;       /* CloudTrailEvent: the full record, a JSON text (untrusted) */
    cf_cloudtrail_resource *resources;
    size_t n_resources;
} cf_cloudtrail_event;

typedef struct cf_cloudtrail_event_list {
    cf_cloudtrail_event *items;
    size_t n;
} cf_cloudtrail_event_list;

void cf_cloudtrail_event_list_free(cf_cloudtrail_event_list *l);

/* Every page of LookupEvents (newest first, as AWS returns them), up to q->max_events. */
int cf_cloudtrail_lookup_events(cf_cloudtrail_event_list **out, cf_aws *aws,
                                const cf_cloudtrail_lookup *q);

/* Appends the Events of one response body to *l (public for tests and fuzzing). */
int cf_cloudtrail_parse_events(cf_cloudtrail_event_list *l, json_t *body);

#endif
