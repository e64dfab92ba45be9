/* cf_finding: what casefile needs from a GuardDuty finding, whatever envelope it came in.
 *
 * Accepted shapes (anything else is CF_EINVAL with a message naming what was seen):
 *   - an EventBridge event: {"detail-type": "GuardDuty Finding", "detail": FINDING, ...}
 *   - a bare GuardDuty finding: {"schemaVersion", "id", "type", "resource": {...}, ...}
 *   - a Security Hub ASFF finding from GuardDuty ({"SchemaVersion", "ProductArn", "Resources"}),
 *     bare, inside {"Findings": [...]} or inside an EventBridge "Security Hub Findings - Imported"
 *     event (the first finding about an EC2 instance is used).
 * Attacker addresses come from service.action's networkConnectionAction.remoteIpDetails,
 * portProbeAction.portProbeDetails[].remoteIpDetails and awsApiCallAction.remoteIpDetails
 * (ipAddressV4 and ipAddressV6); none is fine. They are normalized to CIDR text (/32, /128),
 * deduplicated, in finding order.
 */
#ifndef CF_FINDING_H
#define CF_FINDING_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define CF_FINDING_MAX_IPS  64
#define CF_FINDING_MAX_SIZE (4u << 20) /* events larger than this are refused */

typedef struct cf_finding {
    char id[256];
    char type[256];
    char shape[32]; /* "eventbridge", "finding", "asff" */
    double severity;
    char region[64];
    char account_id[32];
    char instance_id[64];
    char az[64];        /* when the finding says */
    int64_t first_seen; /* ns; 0 when unknown */
    int64_t last_seen;
    size_t n_ips;
    char ips[CF_FINDING_MAX_IPS][64]; /* "203.0.113.7/32", "2001:db8::1/128" */
    json_t *raw;                      /* the finding object itself (owned reference) */
} cf_finding;

/* Parses len bytes of event text into *f (cf_finding_release frees). */
int cf_finding_parse(cf_finding *f, const char *data, size_t len);
/* Parses an already loaded JSON value (borrowed). */
int cf_finding_from_json(cf_finding *f, json_t *root);
void cf_finding_release(cf_finding *f);

/* "cf-<instance-id>-<first 12 hex of sha256(finding id)>": the same finding always opens the same
 * case. out must hold CF_CASE_ID_MAX bytes. */
#define CF_CASE_ID_MAX 96
void cf_finding_case_id(const cf_finding *f, char out[CF_CASE_ID_MAX]);

/* Checks a case id is safe as a path component and S3 key part ([A-Za-z0-9._-], 1..95 chars). */
int cf_case_id_valid(const char *id);

#endif
