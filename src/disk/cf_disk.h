/* cf_disk: the disk collector (`casefile collect disk`).
 *
 * Reads a snapshot volume strictly read-only and writes a disk bundle (docs/contracts.md):
 *   bodyfile.txt   The Sleuth Kit bodyfile 3.x, line for line what `fls -r -m /` prints
 *   files.jsonl    one record per directory entry (allocated and deleted ones libtsk recovers)
 *   artifacts/...  copies of logs, histories, crontabs, units, keys, accounts (shadow redacted)
 *   binaries/<sha256>  copies of suspicious executables (flagged or YARA-matched)
 *   manifest.json  written last: every file with sha256, bytes, records; every error
 *
 * SOURCE is an image file or block device (partition table GPT/MBR/... or a bare file system,
 * read through libtsk), or a directory (a mounted tree, walked with statx for birth times).
 * The walk runs on the calling thread; hashing, YARA and copying run on worker threads fed
 * through a bounded queue.
 */
#ifndef CF_DISK_H
#define CF_DISK_H

#include <stddef.h>
#include <stdint.h>

/* What the collector did; filled as it goes (progress) and at the end. */
typedef struct cf_disk_stats {
    uint64_t entries;    /* records written to files.jsonl */
    uint64_t deleted;    /* of which deleted (name or inode unallocated) */
    uint64_t regular;    /* regular files seen */
    uint64_t hashed;     /* regular files hashed */
    uint64_t hash_bytes; /* bytes read for hashing */
    uint64_t hash_skipped;
    uint64_t yara_files;  /* files with at least one YARA match */
    uint64_t artifacts;   /* artifacts copied */
    uint64_t binaries;    /* executables copied to binaries/ */
    uint64_t errors;      /* errors recorded (the manifest keeps the first CF_DISK_MAX_ERRORS) */
    unsigned filesystems; /* file systems walked */
} cf_disk_stats;

#define CF_DISK_MAX_ERRORS 1000

typedef void (*cf_disk_progress_fn)(const cf_disk_stats *st, void *arg);

typedef struct cf_disk_options {
    const char *source;      /* image, block device or directory; required */
    const char *out_dir;     /* bundle directory (created; must be empty or absent); required */
    const char *case_id;     /* optional: manifest case_id */
    const char *instance_id; /* optional: manifest host.instance_id */
    int64_t since_ns;        /* incident window for the in_window flag ... */
    int64_t until_ns;        /* ... (each bound used only when its has_ flag is set) */
    int has_since;
    int has_until;
    uint64_t hash_max_size;        /* files larger than this are not hashed (0: no limit) */
    uint64_t sparse_max_hole;      /* files with more unallocated (sparse) bytes are not hashed */
    uint64_t yara_max_size;        /* YARA scans the first this many bytes of each file */
    uint64_t artifact_max_size;    /* larger artifacts are not copied (error recorded) */
    uint64_t binary_max_size;      /* larger flagged executables are not copied to binaries/ */
    int no_hash;                   /* walk only: no hashing (YARA and artifacts still read) */
    int no_yara;                   /* no YARA at all (shipped or user rules) */
    int no_artifacts;              /* no artifacts/ and binaries/ copies */
    const char *const *yara_rules; /* user rule files, compiled beside the shipped rules */
    size_t n_yara_rules;
    const char *artifacts_file;   /* replaces the built-in artifact list (one glob per line) */
    int threads;                  /* worker threads; 0: one per online CPU */
    int no_sync;                  /* skip fsync of the bundle files (tests and fuzzing only) */
    cf_disk_progress_fn progress; /* called from the walking thread about once a second */
    void *progress_arg;
} cf_disk_options;

#define CF_DISK_OPTIONS_INIT                                                                       \
    {                                                                                              \
        .sparse_max_hole = 1ull << 30, .yara_max_size = 64ull << 20,                               \
        .artifact_max_size = 256ull << 20, .binary_max_size = 64ull << 20                          \
    }

/* Collects SOURCE into opt->out_dir. Returns CF_OK when a bundle was written (problems with
 * single entries are recorded in the manifest's "errors" and counted in stats->errors);
 * CF_EINVAL for bad options or an output directory that is not empty, CF_ENOTFOUND /
 * CF_EDENIED / CF_EIO when SOURCE cannot be opened, CF_EPARSE when no file system could be read
 * (the manifest is still written, with the reason). stats_out may be NULL. */
int cf_disk_collect(const cf_disk_options *opt, cf_disk_stats *stats_out);

/* The bodyfile 3.x name escaping of The Sleuth Kit: control bytes (0x00-0x1f) become '^';
 * everything else, including '|' and invalid UTF-8, is kept as is. Appends to out (cf_buf). */
struct cf_buf;
int cf_disk_body_escape(struct cf_buf *out, const char *name, size_t len);

/* Glob used by artifact lists: '*' and '?' stay within one path component, '**' crosses '/'.
 * Returns 1 on match. */
int cf_disk_glob_match(const char *pattern, const char *path);

/* Rewrites a shadow(5)/gshadow(5) file so that every password hash becomes its type only
 * ("sha512crypt", "yescrypt", "locked:sha512crypt", "no-password", ...). out gets the text. */
int cf_disk_shadow_redact(const char *data, size_t len, struct cf_buf *out);

/* The type of one crypt(3) hash field, as written by cf_disk_shadow_redact. */
const char *cf_disk_hash_type(const char *field, size_t len);

#endif
