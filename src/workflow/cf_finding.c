#include "workflow/cf_finding.h"
#include "common/cf_error.h"
#include "common/cf_hash.h"
#include "common/cf_json.h"
#include "common/cf_time.h"
#include "workflow/cf_guard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void copy_str(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

/* i- followed by 8 or 17 hex digits (moto and AWS both). */
static int instance_id_ok(const char *id)
{
    size_t n = strlen(id);
    if (n < 10 || n > 19 || strncmp(id, "i-", 2))
        return 0;
    for (size_t i = 2; i < n; i++)
        if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
            return 0;
    return 1;
}

static void add_ip(cf_finding *f, const char *text)
{
    cf_cidr c;
    char norm[CF_CIDR_STR_MAX];
    if (!text || cf_cidr_parse(text, &c) != CF_OK) {
        cf_error_clear();
        return; /* a malformed address in a finding is ignored, never fatal */
    }
    /* remoteIpDetails name one address; a prefix there would be hostile or a bug. */
    c.prefix = c.family == 4 ? 32 : 128;
    cf_cidr_format(&c, norm);
    for (size_t i = 0; i < f->n_ips; i++)
        if (!strcmp(f->ips[i], norm))
            return;
    if (f->n_ips < CF_FINDING_MAX_IPS)
        copy_str(f->ips[f->n_ips++], sizeof(f->ips[0]), norm);
}

static void add_remote(cf_finding *f, json_t *remote)
{
    if (!json_is_object(remote))
        return;
    add_ip(f, json_string_value(json_object_get(remote, "ipAddressV4")));
    add_ip(f, json_string_value(json_object_get(remote, "ipAddressV6")));
}

static void parse_time(const char *s, int64_t *out)
{
    int64_t ns;
    if (s && cf_time_parse(s, &ns) == CF_OK)
        *out = ns;
    else
        cf_error_clear();
}

static int from_guardduty(cf_finding *f, json_t *fd)
{
    json_t *action = cf_json_path(fd, "service.action"), *probes, *p;
    json_t *sev = json_object_get(fd, "severity");
    const char *rtype = cf_json_str(fd, "resource.resourceType");
    size_t i;
    copy_str(f->id, sizeof(f->id), cf_json_str(fd, "id"));
    copy_str(f->type, sizeof(f->type), cf_json_str(fd, "type"));
    copy_str(f->region, sizeof(f->region), cf_json_str(fd, "region"));
    copy_str(f->account_id, sizeof(f->account_id), cf_json_str(fd, "accountId"));
    copy_str(f->instance_id, sizeof(f->instance_id),
             cf_json_str(fd, "resource.instanceDetails.instanceId"));
    copy_str(f->az, sizeof(f->az), cf_json_str(fd, "resource.instanceDetails.availabilityZone"));
    f->severity = json_is_number(sev) ? json_number_value(sev) : 0;
    parse_time(cf_json_str(fd, "service.eventFirstSeen"), &f->first_seen);
    parse_time(cf_json_str(fd, "service.eventLastSeen"), &f->last_seen);
    if (!f->first_seen)
        parse_time(cf_json_str(fd, "createdAt"), &f->first_seen);
    if (!*f->id)
        return cf_error_set(CF_EINVAL, "the finding has no \"id\"");
    if (rtype && strcmp(rtype, "Instance"))
        return cf_error_set(CF_EINVAL,
                            "finding %s is about a %s, not an EC2 instance: casefile "
                            "responds to EC2 findings only",
                            f->id, rtype);
    if (!*f->instance_id)
        return cf_error_set(
            CF_EINVAL, "finding %s names no instance (resource.instanceDetails.instanceId)", f->id);
    if (!instance_id_ok(f->instance_id))
        return cf_error_set(CF_EINVAL, "finding %s: \"%.64s\" is not an EC2 instance id", f->id,
                            f->instance_id);
    add_remote(f, cf_json_path(action, "networkConnectionAction.remoteIpDetails"));
    probes = cf_json_path(action, "portProbeAction.portProbeDetails");
    json_array_foreach(probes, i, p) add_remote(f, json_object_get(p, "remoteIpDetails"));
    add_remote(f, cf_json_path(action, "awsApiCallAction.remoteIpDetails"));
    add_remote(f, cf_json_path(action, "dnsRequestAction.remoteIpDetails"));
    if (!f->shape[0])
        copy_str(f->shape, sizeof(f->shape), "finding");
    return CF_OK;
}

static int from_asff(cf_finding *f, json_t *a)
{
    json_t *res = json_object_get(a, "Resources"), *r, *pf = json_object_get(a, "ProductFields");
    const char *id = cf_json_str(a, "Id"), *slash, *type = cf_json_str(a, "Types.0");
    const char *k;
    json_t *v;
    size_t i;
    /* GuardDuty's ASFF Id is arn:...:detector/<d>/finding/<finding id>. */
    slash = id ? strrchr(id, '/') : NULL;
    copy_str(f->id, sizeof(f->id), slash ? slash + 1 : id);
    if (type && strrchr(type, '/'))
        type = strrchr(type, '/') + 1;
    copy_str(f->type, sizeof(f->type), type);
    copy_str(f->region, sizeof(f->region), cf_json_str(a, "Region"));
    copy_str(f->account_id, sizeof(f->account_id), cf_json_str(a, "AwsAccountId"));
    if (json_is_number(cf_json_path(a, "FindingProviderFields.Severity.Original")))
        f->severity = json_number_value(cf_json_path(a, "FindingProviderFields.Severity.Original"));
    else if (cf_json_str(a, "FindingProviderFields.Severity.Original"))
        f->severity = strtod(cf_json_str(a, "FindingProviderFields.Severity.Original"), NULL);
    else if (json_is_number(cf_json_path(a, "Severity.Product")))
        f->severity = json_number_value(cf_json_path(a, "Severity.Product"));
    else if (json_is_number(cf_json_path(a, "Severity.Normalized")))
        f->severity = json_number_value(cf_json_path(a, "Severity.Normalized")) / 10.0;
    parse_time(cf_json_str(a, "FirstObservedAt"), &f->first_seen);
    parse_time(cf_json_str(a, "LastObservedAt"), &f->last_seen);
    if (!f->first_seen)
        parse_time(cf_json_str(a, "CreatedAt"), &f->first_seen);
    json_array_foreach(res, i, r)
    {
        const char *rt = cf_json_str(r, "Type"), *rid = cf_json_str(r, "Id");
        if (rt && !strcmp(rt, "AwsEc2Instance") && rid) {
            const char *last = strrchr(rid, '/');
            copy_str(f->instance_id, sizeof(f->instance_id), last ? last + 1 : rid);
            if (!*f->region)
                copy_str(f->region, sizeof(f->region), cf_json_str(r, "Region"));
            break;
        }
    }
    if (!*f->id)
        return cf_error_set(CF_EINVAL, "the Security Hub finding has no \"Id\"");
    if (!*f->instance_id)
        return cf_error_set(CF_EINVAL,
                            "Security Hub finding %s names no AwsEc2Instance resource: casefile "
                            "responds to EC2 findings only",
                            f->id);
    if (!instance_id_ok(f->instance_id))
        return cf_error_set(CF_EINVAL, "finding %s: \"%.64s\" is not an EC2 instance id", f->id,
                            f->instance_id);
    add_ip(f, cf_json_str(a, "Network.SourceIpV4"));
    add_ip(f, cf_json_str(a, "Network.SourceIpV6"));
    /* GuardDuty flattens service.action into ProductFields keys. */
    json_object_foreach(pf, k, v)
    {
        if (strstr(k, "remoteIpDetails/ipAddressV4") || strstr(k, "remoteIpDetails/ipAddressV6"))
            add_ip(f, json_string_value(v));
    }
    copy_str(f->shape, sizeof(f->shape), "asff");
    return CF_OK;
}

static int is_asff(json_t *j)
{
    return json_is_object(j) && json_object_get(j, "SchemaVersion") &&
           json_object_get(j, "Resources") && json_object_get(j, "Id");
}

static int is_guardduty(json_t *j)
{
    return json_is_object(j) && json_object_get(j, "id") && json_object_get(j, "type") &&
           json_is_object(json_object_get(j, "resource"));
}

static int pick_asff(json_t *list, json_t **out)
{
    size_t i;
    json_t *a;
    if (!json_is_array(list) || json_array_size(list) == 0)
        return cf_error_set(CF_EINVAL, "the Security Hub event holds no findings");
    json_array_foreach(list, i, a)
    {
        json_t *res = json_object_get(a, "Resources"), *r;
        size_t j;
        if (!is_asff(a))
            continue;
        json_array_foreach(res, j, r)
        {
            const char *rt = cf_json_str(r, "Type");
            if (rt && !strcmp(rt, "AwsEc2Instance")) {
                *out = a;
                return CF_OK;
            }
        }
    }
    return cf_error_set(CF_EINVAL,
                        "none of the %zu Security Hub findings is about an EC2 "
                        "instance",
                        json_array_size(list));
}

int cf_finding_from_json(cf_finding *f, json_t *root)
{
    const char *dt;
    json_t *fd = NULL;
    int rc;
    memset(f, 0, sizeof(*f));
    if (!json_is_object(root))
        return cf_error_set(CF_EINVAL, "the event is not a JSON object");
    dt = cf_json_str(root, "detail-type");
    if (dt) {
        json_t *detail = json_object_get(root, "detail");
        if (!strcmp(dt, "GuardDuty Finding")) {
            if (!is_guardduty(detail))
                return cf_error_set(CF_EINVAL, "a \"GuardDuty Finding\" event whose detail is "
                                               "not a GuardDuty finding");
            copy_str(f->shape, sizeof(f->shape), "eventbridge");
            fd = detail;
            rc = from_guardduty(f, fd);
        } else if (strstr(dt, "Security Hub Findings")) {
            if ((rc = pick_asff(json_object_get(detail, "findings"), &fd)))
                return rc;
            rc = from_asff(f, fd);
        } else {
            return cf_error_set(CF_EINVAL,
                                "unsupported EventBridge event \"%.100s\": expected \"GuardDuty "
                                "Finding\" or \"Security Hub Findings - Imported\"",
                                dt);
        }
    } else if (is_guardduty(root)) {
        fd = root;
        rc = from_guardduty(f, fd);
    } else if (is_asff(root)) {
        fd = root;
        rc = from_asff(f, fd);
    } else if (json_is_array(json_object_get(root, "Findings"))) {
        if ((rc = pick_asff(json_object_get(root, "Findings"), &fd)))
            return rc;
        rc = from_asff(f, fd);
    } else {
        return cf_error_set(CF_EINVAL,
                            "unknown event shape: expected an EventBridge \"GuardDuty Finding\" "
                            "event, a GuardDuty finding (id, type, resource) or a Security Hub "
                            "finding (SchemaVersion, Id, Resources)");
    }
    if (rc)
        return rc;
    f->raw = json_incref(fd);
    if (!f->last_seen)
        f->last_seen = f->first_seen;
    return CF_OK;
}

int cf_finding_parse(cf_finding *f, const char *data, size_t len)
{
    json_t *root = NULL;
    int rc;
    memset(f, 0, sizeof(*f));
    if (len > CF_FINDING_MAX_SIZE)
        return cf_error_set(CF_ETOOBIG, "the event is larger than %u bytes", CF_FINDING_MAX_SIZE);
    if ((rc = cf_json_parse(data, len, &root))) {
        rc = CF_EINVAL;
        cf_error_wrap("the event is not valid JSON");
        goto cleanup;
    }
    rc = cf_finding_from_json(f, root);
cleanup:
    json_decref(root);
    return rc;
}

void cf_finding_release(cf_finding *f)
{
    if (!f)
        return;
    json_decref(f->raw);
    f->raw = NULL;
}

int cf_case_id_valid(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n >= CF_CASE_ID_MAX || id[0] == '.')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = id[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_' || ch == '.'))
            return 0;
    }
    return 1;
}

void cf_finding_case_id(const cf_finding *f, char out[CF_CASE_ID_MAX])
{
    char hex[CF_SHA256_HEX_LEN], inst[40];
    size_t j = 0;
    cf_sha256_hex(f->id, strlen(f->id), hex);
    /* Keep only safe characters of the instance id (it came from untrusted input). */
    for (size_t i = 0; f->instance_id[i] && j + 1 < sizeof(inst); i++) {
        char ch = f->instance_id[i];
        if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-')
            inst[j++] = ch;
    }
    inst[j] = '\0';
    snprintf(out, CF_CASE_ID_MAX, "cf-%s-%.12s", j ? inst : "unknown", hex);
}
