/* cf_fs: small file helpers with bounded reads and crash-safe writes. */
#ifndef CF_FS_H
#define CF_FS_H

#include <stddef.h>
#include "common/cf_buf.h"

/* Reads a whole file into *out (appending); fails with CF_ETOOBIG past out->max. */
int cf_fs_read(const char *path, cf_buf *out);
/* Writes data to path atomically (temp file in the same directory, fsync, rename). */
int cf_fs_write_atomic(const char *path, const void *data, size_t len);
/* mkdir -p with the given mode; succeeds when the directory exists. */
int cf_fs_mkdirs(const char *path, unsigned mode);
/* rm -rf; succeeds when path does not exist. Does not follow symlinks. */
int cf_fs_remove_tree(const char *path);
/* Joins a and b with one '/', into a buffer of cap bytes; CF_ETOOBIG when it does not fit. */
int cf_fs_join(char *out, size_t cap, const char *a, const char *b);

#endif
