/* cf_analyze: loads evidence into the case database and runs the SQL rule engine (issue 5).
 *
 * Loaders turn bundles (directories or bundle.tar), single log files and CloudTrail output into
 * tables of case.db (docs/analysis.md lists them and their columns). Every input byte is
 * untrusted: lines are bounded (CF_ANALYZE_MAX_LINE), invalid UTF-8 becomes U+FFFD, gzip input is
 * capped in decompressed size and ratio, JSON nesting is bounded. Loading the same bundle or file
 * twice changes nothing: bundles are keyed by the sha256 of their manifest, single files by the
 * sha256 of their content (both in the core `bundles` table).
 *
 * Bundle files are verified against the manifest's sha256 before they are parsed; a mismatch is
 * recorded (evidence.verified = 0, case_info `integrity_failures`, a warning through
 * cf_analyze_opts.warn) and the file is not loaded.
 *
 * Typical use (what `casefile analyze` and the workflow's analyze steps do):
 *   cf_analyze_prepare(c);
 *   cf_analyze_load_path(c, "bundle.tar", &opts, &stats);
 *   cf_analyze_run_rules(c, &opts, &n);
 *   cf_analyze_build_timeline(c);
 *   cf_analyze_build_narrative(c);
 */
#ifndef CF_ANALYZE_H
#define CF_ANALYZE_H

#include <stddef.h>
#include <stdint.h>

#include "case/cf_case.h"

#define CF_ANALYZE_MAX_LINE      (64u * 1024)  /* longer lines are truncated */
#define CF_ANALYZE_MAX_FILE      (4ull << 30)  /* bytes read from one file (decompressed) */
#define CF_ANALYZE_GZ_MAX_RATIO  200           /* decompressed/compressed bytes */
#define CF_ANALYZE_GZ_MIN_BUDGET (64ull << 20) /* ratio check starts past this */
#define CF_ANALYZE_MAX_JSON      (256u << 20)  /* one JSON document (CloudTrail, manifest) */
#define CF_ANALYZE_MAX_COLUMNS   256           /* columns of a generic JSONL table */
#define CF_ANALYZE_MAX_TAR       (16ull << 30) /* bytes extracted from one bundle.tar */

/* What a file holds. CF_FILE_AUTO: detected from its name and first bytes. */
typedef enum cf_file_type {
    CF_FILE_AUTO = 0,
    CF_FILE_JSONL,         /* a generic JSON Lines table, named after the file */
    CF_FILE_WEB_ACCESS,    /* nginx / Apache combined (+ X-Forwarded-For, + body) */
    CF_FILE_ALB,           /* ALB access log as delivered to S3 */
    CF_FILE_AUTH,          /* syslog auth.log / secure */
    CF_FILE_SHELL_HISTORY, /* bash / sh / zsh history, with or without #timestamps */
    CF_FILE_CRONTAB,       /* /etc/crontab, /etc/cron.d/x (user column) or a user crontab */
    CF_FILE_SYSTEMD_UNIT,  /* *.service, *.timer, ... */
    CF_FILE_AUTHORIZED_KEYS,
    CF_FILE_PASSWD,
    CF_FILE_GROUP,
    CF_FILE_CLOUDTRAIL, /* {"Records": [...]} or LookupEvents {"Events": [...]} */
    CF_FILE_ACTIONS,    /* casefile's own actions.jsonl */
    CF_FILE_BODYFILE,   /* TSK bodyfile 3.x */
    CF_FILE_RC_SCRIPT,  /* /etc/rc.local and friends: kept as persistence entries */
    CF_FILE_LD_PRELOAD, /* /etc/ld.so.preload */
    CF_FILE_UNKNOWN
} cf_file_type;

const char *cf_file_type_name(cf_file_type t);
/* "web" / "nginx" / "apache" / "alb" / "auth" / "history" / "crontab" / "systemd" /
 * "authorized_keys" / "passwd" / "group" / "cloudtrail" / "actions" / "bodyfile" / "jsonl" /
 * "rc" / "ld_preload"; CF_FILE_UNKNOWN when not one of them. */
cf_file_type cf_file_type_parse(const char *name);
/* Guess from the path (its original path on the host for artifacts) and the first bytes. */
cf_file_type cf_analyze_detect(const char *path, const char *head, size_t head_len);

typedef void (*cf_analyze_warn_fn)(void *ctx, const char *msg);

typedef struct cf_analyze_opts {
    cf_analyze_warn_fn warn; /* loud problems (hash mismatch, ...); NULL: ignored */
    void *warn_ctx;
    const char *const *rule_dirs; /* extra rule directories (after the built-in pack) */
    size_t n_rule_dirs;
    const char *builtin_rules; /* NULL: CASEFILE_RULES_DIR, then the compiled-in source path */
    int volatile_only;         /* run only the rules whose evidence is all volatile tables */
    int default_year;          /* for syslog lines without a year; 0: from the case/window/now */
} cf_analyze_opts;

#define CF_ANALYZE_OPTS_INIT                                                                       \
    {                                                                                              \
        NULL, NULL, NULL, 0, NULL, 0, 0                                                            \
    }

typedef struct cf_analyze_stats {
    uint64_t files;     /* files loaded */
    uint64_t rows;      /* rows inserted */
    uint64_t bad_lines; /* lines that did not parse (kept in load_errors, bounded) */
    uint64_t truncated; /* lines cut at CF_ANALYZE_MAX_LINE */
    uint64_t skipped;   /* bundles/files already loaded, or not in the manifest */
    uint64_t integrity_failures;
} cf_analyze_stats;

/* Creates the analysis tables (idempotent): parsed log tables, the contract's bundle tables with
 * their known columns, load_errors, narrative, case_attacker_ips, case_window, rule_runs. */
int cf_analyze_prepare(cf_case *c);

/* Loads a bundle directory, a bundle .tar, or a single file (type detected). */
int cf_analyze_load_path(cf_case *c, const char *path, const cf_analyze_opts *opts,
                         cf_analyze_stats *stats);
/* Loads the inputs of one command in order (types[i] CF_FILE_AUTO: as cf_analyze_load_path,
 * else as cf_analyze_load_file with that type) in ONE transaction, a savepoint per input: many
 * small files (CloudTrail's) commit once instead of once each. Stops at the first input that
 * fails; the inputs before it stay loaded, as with one call per input. One input: exactly
 * cf_analyze_load_path/cf_analyze_load_file (a big single file keeps its bulk path). */
int cf_analyze_load_paths(cf_case *c, const char *const *paths, const cf_file_type *types, size_t n,
                          const cf_analyze_opts *opts, cf_analyze_stats *stats);
int cf_analyze_load_bundle_dir(cf_case *c, const char *dir, const cf_analyze_opts *opts,
                               cf_analyze_stats *stats);
/* Extracts into <case dir>/bundles/<manifest sha256>/ (member paths checked: no "..", no
 * absolute paths, no links, sizes bounded), then loads that directory. */
int cf_analyze_load_bundle_tar(cf_case *c, const char *tar_path, const cf_analyze_opts *opts,
                               cf_analyze_stats *stats);
/* Loads one file outside any bundle (keyed by its sha256). type CF_FILE_AUTO detects it. */
int cf_analyze_load_file(cf_case *c, const char *path, cf_file_type type,
                         const cf_analyze_opts *opts, cf_analyze_stats *stats);
/* Loads CloudTrail events from memory: LookupEvents output ({"Events":[{"CloudTrailEvent":
 * "<json>"}...]}), a log file ({"Records":[...]}) or a bare array of either kind of event.
 * Events are de-duplicated by eventID. source names where they came from. */
int cf_analyze_load_cloudtrail(cf_case *c, const char *json, size_t len, const char *source,
                               cf_analyze_stats *stats);

/* Refreshes case_attacker_ips and case_window from case_info (attacker_ips JSON array,
 * window_start, window_end). Called by cf_analyze_run_rules; exposed for tests. */
int cf_analyze_set_context(cf_case *c);

/* Runs the rule pack and opts->rule_dirs; new detections are inserted (UNIQUE(rule_id, entity)
 * keeps re-runs idempotent). *n_detections (may be NULL) gets the number of detections in the
 * case after the run. Rules that fail (SQL error, bad header) are recorded in rule_runs and do
 * not stop the others; CF_EINVAL when a rule directory cannot be read. */
int cf_analyze_run_rules(cf_case *c, const cf_analyze_opts *opts, int64_t *n_detections);

/* Rebuilds the timeline rows casefile derives from the loaded tables (other rows are kept). */
int cf_analyze_build_timeline(cf_case *c);
/* Rebuilds the narrative table from the detections and the actions. */
int cf_analyze_build_narrative(cf_case *c);

/* prepare + set_context + rules + timeline + narrative: what the `analyze` steps run after
 * loading. */
int cf_analyze_finish(cf_case *c, const cf_analyze_opts *opts, int64_t *n_detections);

#endif
