/* cf_config: the workflow configuration.
 *
 * One JSON file (an object of key -> string | number | boolean), every key overridable by the
 * environment variable CASEFILE_<KEY in upper case> and by the command-line flag --<key with '-'
 * for '_'>. Precedence: flag > environment > file > built-in default. The key table below is the
 * single list of keys; docs/configuration.md documents each and `casefile doctor --print-config`
 * prints the effective values.
 */
#ifndef CF_CONFIG_H
#define CF_CONFIG_H

#include <stddef.h>

typedef struct cf_config {
    char *region;
    char *case_root;       /* where case directories are created */
    char *evidence_bucket; /* s3 bucket for bundles, tools, reports */
    char *ip_bucket;       /* bucket of the malicious-IP list (default: evidence_bucket) */
    char *ip_list_key;     /* key of the malicious-IP list */
    char *sender;          /* SES From: */
    char *recipients;      /* comma-separated To: */
    char *allow_list;      /* comma-separated CIDRs never denied */
    int acl_rule_min;      /* network ACL rule numbers casefile may use */
    int acl_rule_max;
    int acl_max_entries; /* rules per direction the ACL quota allows (AWS default 20) */
    char *protected_tag; /* KEY=VALUE or KEY: instances with it are never isolated */
    int override_protected;
    int isolate_first;        /* run isolate before collect_volatile */
    char *asg_action;         /* standby | detach */
    int swap_profile;         /* replace the instance profile and revoke the role's sessions */
    char *quarantine_profile; /* instance profile name used by swap_profile */
    char *agent_dir;          /* directory holding casefile-agent-<arch> */
    int volatile_timeout_s;
    int disk_timeout_s;
    int snapshot_timeout_s;
    int poll_interval_ms;
    char *forensic_ami;
    char *forensic_instance_type;
    char *forensic_subnet;  /* default: the instance's subnet */
    char *forensic_profile; /* instance profile for the worker (SSM) */
    int keep_forensic;
    int skip_disk;     /* do not run collect_disk */
    int max_attempts;  /* per step */
    int retry_base_ms; /* backoff: base * 2^(attempt-1) */
    int presign_ttl_s;
    int window_before_s; /* incident window for CloudTrail: finding first seen - this */
    char *rules_dir;
} cf_config;

enum cf_config_type { CF_CFG_STR, CF_CFG_INT, CF_CFG_BOOL };

typedef struct cf_config_key {
    const char *name; /* snake_case, as in the file */
    int type;
    size_t offset;
    const char *def; /* default as text; NULL = unset */
    const char *doc;
} cf_config_key;

/* The key table, terminated by a {NULL} entry. */
const cf_config_key *cf_config_keys(void);
const cf_config_key *cf_config_key_find(const char *name);

/* Fills *c with the defaults (allocates; cf_config_release frees). */
int cf_config_init(cf_config *c);
void cf_config_release(cf_config *c);
/* Applies a JSON file; unknown keys and wrong types are CF_EINVAL naming the key. */
int cf_config_load_file(cf_config *c, const char *path);
/* Applies every CASEFILE_<KEY> set in the environment. */
int cf_config_load_env(cf_config *c);
/* Sets one key from text ("true"/"false"/"1"/"0" for booleans). */
int cf_config_set(cf_config *c, const char *name, const char *value);
/* The value as text into out (cap bytes); "" when unset. */
int cf_config_get(const cf_config *c, const char *name, char *out, size_t cap);
/* Checks ranges and required combinations; CF_EINVAL with a clear message. */
int cf_config_validate(const cf_config *c);

/* Command line helper: when argv[*i] is --<key> VALUE or --<key>=VALUE for a config key, applies
 * it, advances *i past it and returns 1; returns 0 when argv[*i] is not a config flag; <0 on a
 * bad value. */
int cf_config_flag(cf_config *c, int argc, char **argv, int *i);

/* Loads the whole configuration the CLI way: defaults, then the file (path, or CASEFILE_CONFIG,
 * or nothing), then the environment. Flags are applied by the caller afterwards. */
int cf_config_load(cf_config *c, const char *path);

#endif
