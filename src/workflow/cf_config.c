#include "workflow/cf_config.h"
#include "common/cf_error.h"
#include "common/cf_json.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define F(field) offsetof(cf_config, field)

static const cf_config_key keys[] = {
    {"region", CF_CFG_STR, F(region), NULL,
     "AWS region; default from AWS_REGION / AWS_DEFAULT_REGION / the finding"},
    {"case_root", CF_CFG_STR, F(case_root), "cases", "directory where case directories live"},
    {"evidence_bucket", CF_CFG_STR, F(evidence_bucket), NULL,
     "S3 bucket for evidence bundles, tools and reports (required)"},
    {"ip_bucket", CF_CFG_STR, F(ip_bucket), NULL,
     "S3 bucket of the malicious-IP list (default: evidence_bucket)"},
    {"ip_list_key", CF_CFG_STR, F(ip_list_key), "malicious-ips.jsonl",
     "S3 key of the malicious-IP list (JSON Lines)"},
    {"sender", CF_CFG_STR, F(sender), NULL, "SES sender address (required for e-mail)"},
    {"recipients", CF_CFG_STR, F(recipients), NULL, "comma-separated responder addresses"},
    {"allow_list", CF_CFG_STR, F(allow_list), NULL,
     "comma-separated CIDRs that are never denied in a network ACL"},
    {"acl_rule_min", CF_CFG_INT, F(acl_rule_min), "1",
     "lowest network ACL rule number casefile may use"},
    {"acl_rule_max", CF_CFG_INT, F(acl_rule_max), "99",
     "highest network ACL rule number casefile may use"},
    {"acl_max_entries", CF_CFG_INT, F(acl_max_entries), "20",
     "network ACL rules per direction allowed by the account quota"},
    {"protected_tag", CF_CFG_STR, F(protected_tag), "casefile:protected=true",
     "KEY=VALUE (or KEY) tag marking instances that are never isolated"},
    {"override_protected", CF_CFG_BOOL, F(override_protected), "false",
     "isolate even an instance carrying protected_tag"},
    {"isolate_first", CF_CFG_BOOL, F(isolate_first), "false",
     "run isolate before collect_volatile"},
    {"asg_action", CF_CFG_STR, F(asg_action), "standby",
     "what to do with an Auto Scaling group member: standby or detach"},
    {"swap_profile", CF_CFG_BOOL, F(swap_profile), "false",
     "replace the instance profile with quarantine_profile and revoke the role's sessions"},
    {"quarantine_profile", CF_CFG_STR, F(quarantine_profile), NULL,
     "name of the deny-all instance profile used by swap_profile"},
    {"agent_dir", CF_CFG_STR, F(agent_dir), NULL,
     "directory holding casefile-agent-x86_64 / -aarch64 (default: next to casefile)"},
    {"volatile_timeout_s", CF_CFG_INT, F(volatile_timeout_s), "300",
     "seconds to wait for the volatile bundle's manifest"},
    {"disk_timeout_s", CF_CFG_INT, F(disk_timeout_s), "3600",
     "seconds to wait for the disk bundles' manifests"},
    {"snapshot_timeout_s", CF_CFG_INT, F(snapshot_timeout_s), "3600",
     "seconds to wait for snapshots to complete"},
    {"poll_interval_ms", CF_CFG_INT, F(poll_interval_ms), "2000",
     "how often to poll AWS while waiting"},
    {"forensic_ami", CF_CFG_STR, F(forensic_ami), NULL,
     "AMI of the forensic worker (carries casefile); collect_disk is skipped when unset"},
    {"forensic_instance_type", CF_CFG_STR, F(forensic_instance_type), "m5.large",
     "instance type of the forensic worker"},
    {"forensic_subnet", CF_CFG_STR, F(forensic_subnet), NULL,
     "subnet of the forensic worker (default: the instance's subnet)"},
    {"forensic_profile", CF_CFG_STR, F(forensic_profile), NULL,
     "instance profile of the forensic worker (SSM + evidence bucket)"},
    {"keep_forensic", CF_CFG_BOOL, F(keep_forensic), "false",
     "keep the forensic worker and volumes after collect_disk"},
    {"skip_disk", CF_CFG_BOOL, F(skip_disk), "false", "do not run collect_disk"},
    {"max_attempts", CF_CFG_INT, F(max_attempts), "3", "attempts per step before it fails"},
    {"retry_base_ms", CF_CFG_INT, F(retry_base_ms), "500",
     "backoff before retry n: retry_base_ms * 2^(n-1)"},
    {"presign_ttl_s", CF_CFG_INT, F(presign_ttl_s), "3600",
     "lifetime of presigned URLs (agent download, bundle upload, report link)"},
    {"window_before_s", CF_CFG_INT, F(window_before_s), "86400",
     "incident window: from this many seconds before the finding's first sighting"},
    {"rules_dir", CF_CFG_STR, F(rules_dir), NULL,
     "detection rules directory (default: the analysis part's default)"},
    {NULL, 0, 0, NULL, NULL},
};

const cf_config_key *cf_config_keys(void)
{
    return keys;
}

const cf_config_key *cf_config_key_find(const char *name)
{
    for (const cf_config_key *k = keys; k->name; k++)
        if (!strcmp(k->name, name))
            return k;
    return NULL;
}

static int parse_int(const char *name, const char *v, int *out)
{
    char *end;
    long n;
    errno = 0;
    n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < INT_MIN || n > INT_MAX)
        return cf_error_set(CF_EINVAL, "config %s: '%s' is not an integer", name, v);
    *out = (int)n;
    return CF_OK;
}

static int parse_bool(const char *name, const char *v, int *out)
{
    if (!strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "yes") ||
        !strcasecmp(v, "on")) {
        *out = 1;
        return CF_OK;
    }
    if (!strcasecmp(v, "false") || !strcmp(v, "0") || !strcasecmp(v, "no") ||
        !strcasecmp(v, "off") || !*v) {
        *out = 0;
        return CF_OK;
    }
    return cf_error_set(CF_EINVAL, "config %s: '%s' is not a boolean (true/false)", name, v);
}

static int set_key(cf_config *c, const cf_config_key *k, const char *value)
{
    char *base = (char *)c;
    if (k->type == CF_CFG_STR) {
        char **slot = (char **)(base + k->offset);
        char *dup = NULL;
        if (value && *value) {
            if (strlen(value) > 4096)
                return cf_error_set(CF_EINVAL, "config %s: value longer than 4096 bytes", k->name);
            dup = strdup(value);
            if (!dup)
                return cf_error_set(CF_ENOMEM, "out of memory");
        }
        free(*slot);
        *slot = dup;
        return CF_OK;
    }
    if (k->type == CF_CFG_INT)
        return parse_int(k->name, value ? value : "0", (int *)(base + k->offset));
    return parse_bool(k->name, value ? value : "", (int *)(base + k->offset));
}

int cf_config_set(cf_config *c, const char *name, const char *value)
{
    const cf_config_key *k = cf_config_key_find(name);
    if (!k)
        return cf_error_set(CF_EINVAL, "unknown configuration key '%s'", name);
    return set_key(c, k, value);
}

int cf_config_get(const cf_config *c, const char *name, char *out, size_t cap)
{
    const cf_config_key *k = cf_config_key_find(name);
    const char *base = (const char *)c;
    int n;
    if (!k)
        return cf_error_set(CF_EINVAL, "unknown configuration key '%s'", name);
    if (k->type == CF_CFG_STR) {
        const char *v = *(char *const *)(base + k->offset);
        n = snprintf(out, cap, "%s", v ? v : "");
    } else if (k->type == CF_CFG_INT) {
        n = snprintf(out, cap, "%d", *(const int *)(base + k->offset));
    } else {
        n = snprintf(out, cap, "%s", *(const int *)(base + k->offset) ? "true" : "false");
    }
    if (n < 0 || (size_t)n >= cap)
        return cf_error_set(CF_ETOOBIG, "config %s: value does not fit", name);
    return CF_OK;
}

int cf_config_init(cf_config *c)
{
    int rc = CF_OK;
    memset(c, 0, sizeof(*c));
    for (const cf_config_key *k = keys; k->name; k++) {
        if (k->def && (rc = set_key(c, k, k->def)))
            break;
    }
    if (rc)
        cf_config_release(c);
    return rc;
}

void cf_config_release(cf_config *c)
{
    char *base = (char *)c;
    if (!c)
        return;
    for (const cf_config_key *k = keys; k->name; k++) {
        if (k->type == CF_CFG_STR) {
            char **slot = (char **)(base + k->offset);
            free(*slot);
            *slot = NULL;
        }
    }
}

int cf_config_load_file(cf_config *c, const char *path)
{
    json_t *root = NULL, *v;
    const char *name;
    char num[32];
    int rc;
    if ((rc = cf_json_load_file(path, 1 << 20, &root)))
        goto cleanup;
    if (!json_is_object(root)) {
        rc = cf_error_set(CF_EINVAL, "%s: the configuration must be a JSON object", path);
        goto cleanup;
    }
    json_object_foreach(root, name, v)
    {
        const cf_config_key *k = cf_config_key_find(name);
        if (!k) {
            rc = cf_error_set(CF_EINVAL, "%s: unknown configuration key '%s'", path, name);
            goto cleanup;
        }
        if (json_is_string(v)) {
            rc = set_key(c, k, json_string_value(v));
        } else if (json_is_integer(v) && k->type != CF_CFG_STR) {
            snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
            rc = set_key(c, k, num);
        } else if (json_is_boolean(v) && k->type == CF_CFG_BOOL) {
            rc = set_key(c, k, json_is_true(v) ? "true" : "false");
        } else if (json_is_array(v) && k->type == CF_CFG_STR) {
            /* A list of strings is accepted for the comma-separated keys. */
            char joined[4097] = "";
            size_t i, used = 0;
            json_t *e;
            json_array_foreach(v, i, e)
            {
                const char *s = json_string_value(e);
                int n;
                if (!s) {
                    rc = cf_error_set(CF_EINVAL, "%s: %s must be a list of strings", path, name);
                    goto cleanup;
                }
                n = snprintf(joined + used, sizeof(joined) - used, "%s%s", i ? "," : "", s);
                if (n < 0 || (size_t)n >= sizeof(joined) - used) {
                    rc = cf_error_set(CF_EINVAL, "%s: %s is too long", path, name);
                    goto cleanup;
                }
                used += (size_t)n;
            }
            rc = set_key(c, k, joined);
        } else if (json_is_null(v)) {
            rc = set_key(c, k, k->def);
        } else {
            rc = cf_error_set(CF_EINVAL, "%s: %s has the wrong type (expected %s)", path, name,
                              k->type == CF_CFG_STR   ? "a string"
                              : k->type == CF_CFG_INT ? "an integer"
                                                      : "a boolean");
        }
        if (rc) {
            cf_error_wrap("%s", path);
            goto cleanup;
        }
    }
cleanup:
    json_decref(root);
    return rc;
}

static void env_name(const char *key, char *out, size_t cap)
{
    size_t i = 0, n = strlen("CASEFILE_");
    snprintf(out, cap, "CASEFILE_");
    for (; key[i] && n + 1 < cap; i++)
        out[n++] = (char)toupper((unsigned char)key[i]);
    out[n] = '\0';
}

int cf_config_load_env(cf_config *c)
{
    char name[128];
    int rc = CF_OK;
    for (const cf_config_key *k = keys; k->name && !rc; k++) {
        const char *v;
        env_name(k->name, name, sizeof(name));
        v = getenv(name);
        if (v && (rc = set_key(c, k, v)))
            cf_error_wrap("environment %s", name);
    }
    return rc;
}

int cf_config_flag(cf_config *c, int argc, char **argv, int *i)
{
    const char *arg = argv[*i], *eq, *value;
    char key[128];
    size_t n;
    const cf_config_key *k;
    int rc;
    if (strncmp(arg, "--", 2))
        return 0;
    arg += 2;
    eq = strchr(arg, '=');
    n = eq ? (size_t)(eq - arg) : strlen(arg);
    if (n == 0 || n >= sizeof(key))
        return 0;
    for (size_t j = 0; j < n; j++)
        key[j] = arg[j] == '-' ? '_' : arg[j];
    key[n] = '\0';
    k = cf_config_key_find(key);
    if (!k)
        return 0;
    if (eq) {
        value = eq + 1;
    } else if (k->type == CF_CFG_BOOL && (*i + 1 >= argc || !strncmp(argv[*i + 1], "--", 2))) {
        value = "true"; /* a bare boolean flag */
    } else if (*i + 1 < argc) {
        value = argv[++*i];
    } else {
        return cf_error_set(CF_EINVAL, "--%s needs a value", arg);
    }
    if ((rc = set_key(c, k, value)))
        return rc;
    ++*i;
    return 1;
}

int cf_config_validate(const cf_config *c)
{
    if (c->acl_rule_min < 1 || c->acl_rule_max > 32766 || c->acl_rule_min > c->acl_rule_max)
        return cf_error_set(CF_EINVAL,
                            "acl_rule_min/acl_rule_max must satisfy 1 <= min <= max <= 32766 "
                            "(got %d..%d)",
                            c->acl_rule_min, c->acl_rule_max);
    if (c->acl_max_entries < 1 || c->acl_max_entries > 40)
        return cf_error_set(CF_EINVAL, "acl_max_entries must be 1..40 (got %d)",
                            c->acl_max_entries);
    if (!c->asg_action || (strcmp(c->asg_action, "standby") && strcmp(c->asg_action, "detach")))
        return cf_error_set(CF_EINVAL, "asg_action must be 'standby' or 'detach'");
    if (c->swap_profile && !c->quarantine_profile)
        return cf_error_set(CF_EINVAL, "swap_profile needs quarantine_profile");
    if (c->max_attempts < 1 || c->max_attempts > 20)
        return cf_error_set(CF_EINVAL, "max_attempts must be 1..20");
    if (c->retry_base_ms < 0 || c->retry_base_ms > 600000)
        return cf_error_set(CF_EINVAL, "retry_base_ms must be 0..600000");
    if (c->poll_interval_ms < 10 || c->poll_interval_ms > 600000)
        return cf_error_set(CF_EINVAL, "poll_interval_ms must be 10..600000");
    if (c->volatile_timeout_s < 0 || c->disk_timeout_s < 0 || c->snapshot_timeout_s < 0)
        return cf_error_set(CF_EINVAL, "timeouts must not be negative");
    if (c->presign_ttl_s < 1 || c->presign_ttl_s > 604800)
        return cf_error_set(CF_EINVAL, "presign_ttl_s must be 1..604800 (SigV4 limit)");
    if (!c->case_root || !*c->case_root)
        return cf_error_set(CF_EINVAL, "case_root must be set");
    return CF_OK;
}

int cf_config_load(cf_config *c, const char *path)
{
    int rc;
    if ((rc = cf_config_init(c)))
        return rc;
    if (!path)
        path = getenv("CASEFILE_CONFIG");
    if (path && *path && (rc = cf_config_load_file(c, path)))
        return rc;
    return cf_config_load_env(c);
}
