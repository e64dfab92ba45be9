/* The bundle casefile-agent writes: a directory, or one POSIX tar stream with manifest.json as
 * its last member. Every file is hashed (SHA-256) as it is written; the manifest lists them.
 *
 * In tar mode the JSON Lines tables are staged in anonymous memory files (memfd) while they
 * grow and copied into the stream when closed, so the stream stays strictly sequential; blobs
 * of known size (binaries, memory images) go straight into the stream. */
#ifndef CFA_OUT_H
#define CFA_OUT_H

#include <stddef.h>
#include <stdint.h>

#include "cfa_json.h"
#include "cfa_sha256.h"

#define CFA_PATH_MAX    160
#define CFA_MAX_ERRORS  20000
#define CFA_MAX_ENTRIES 20000
#define CFA_WBUF_SIZE   (64 * 1024)

enum cfa_out_mode { CFA_OUT_DIR = 1, CFA_OUT_TAR = 2 };

struct cfa_entry {
    char path[CFA_PATH_MAX];
    char sha256[CFA_SHA256_HEX];
    uint64_t bytes;
    int64_t records; /* -1: not a table */
    char *source;    /* original path (binaries), owned */
};

struct cfa_bundle {
    enum cfa_out_mode mode;
    int dirfd; /* DIR mode */
    int tarfd; /* TAR mode */
    int64_t mtime;
    struct cfa_entry *entries;
    size_t nentries, entries_cap;
    struct cfa_jw errors; /* the inside of the manifest's "errors" array */
    size_t nerrors, errors_dropped;
    int fatal; /* an output write failed: the bundle is incomplete */
    int direct_open;
};

struct cfa_file {
    struct cfa_bundle *b;
    char path[CFA_PATH_MAX];
    int fd;
    int direct;      /* tar blob streamed straight into the archive */
    uint64_t expect; /* direct blobs: the size announced in the header */
    struct cfa_sha256 sha;
    uint64_t bytes, records;
    char *wbuf;
    size_t wlen;
    int err;
};

/* Output into directory dir (created if missing, files in it replaced). */
int cfa_bundle_open_dir(struct cfa_bundle *b, const char *dir);
/* Output as a tar stream into path ("-" = stdout). */
int cfa_bundle_open_tar(struct cfa_bundle *b, const char *path);
/* Writes manifest.json (json: the complete object, without trailing newline) and, in tar mode,
 * the end-of-archive blocks; frees everything. Returns 0 or -1 (output failed). */
int cfa_bundle_finish(struct cfa_bundle *b, const char *json, size_t len);
/* Frees without writing a manifest (used on fatal errors). */
void cfa_bundle_release(struct cfa_bundle *b);

/* Records {"source": source, "error": error} in the manifest (capped at CFA_MAX_ERRORS). */
void cfa_bundle_error(struct cfa_bundle *b, const char *source, const char *error);
/* Same, with the symbolic name of errno value err ("ENOENT", ...). */
void cfa_bundle_errno(struct cfa_bundle *b, const char *source, int err);
const char *cfa_errno_name(int err);
/* Appends the manifest's "files" array elements to jw. */
void cfa_bundle_files_json(struct cfa_bundle *b, struct cfa_jw *jw);

/* A JSON Lines table or other file of unknown size. relpath is '/'-separated, no "..". */
int cfa_file_open(struct cfa_bundle *b, const char *relpath, struct cfa_file *f);
/* A blob of exactly `size` bytes (streamed directly in tar mode). */
int cfa_blob_open(struct cfa_bundle *b, const char *relpath, uint64_t size, struct cfa_file *f);
int cfa_file_write(struct cfa_file *f, const void *data, size_t n);
/* Writes the record in jw (a complete object) plus '\n' and counts it; a record that
 * overflowed its bound is dropped and reported as an error naming `what`. Resets jw. */
int cfa_table_emit(struct cfa_file *f, struct cfa_jw *jw, const char *what);
/* Finishes the file and adds its manifest entry; source (may be NULL) is recorded with it.
 * Tables (is_table) report their record count. */
int cfa_file_close(struct cfa_file *f, int is_table, const char *source);

/* Builds a ustar header for a regular file into hdr[512]; -1 if the name does not fit. */
int cfa_tar_header(uint8_t hdr[512], const char *name, uint64_t size, int64_t mtime);

#endif
