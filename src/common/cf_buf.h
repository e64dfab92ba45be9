/* cf_buf: a growable byte buffer with a hard size limit (after curl's dynbuf).
 *
 * The limit is chosen at init; any append that would pass it fails with CF_ETOOBIG and leaves the
 * buffer unchanged. The data is always NUL-terminated (the NUL is not counted in len).
 *   cf_buf b = CF_BUF_INIT(1 << 20);  ...  cf_buf_release(&b);
 */
#ifndef CF_BUF_H
#define CF_BUF_H

#include <stddef.h>

typedef struct cf_buf {
    char *data; /* NULL until the first append */
    size_t len;
    size_t cap;
    size_t max; /* the most len may ever be */
} cf_buf;

#define CF_BUF_INIT(maxbytes)                                                                      \
    {                                                                                              \
        NULL, 0, 0, (maxbytes)                                                                     \
    }

void cf_buf_init(cf_buf *b, size_t max);
int cf_buf_add(cf_buf *b, const void *data, size_t len);
int cf_buf_addstr(cf_buf *b, const char *s);
int cf_buf_addch(cf_buf *b, char c);
int cf_buf_addf(cf_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Makes room for `extra` more bytes (for callers that write in place, then cf_buf_setlen). */
int cf_buf_grow(cf_buf *b, size_t extra);
void cf_buf_setlen(cf_buf *b, size_t len);
void cf_buf_reset(cf_buf *b); /* len = 0, memory kept */
/* Returns "" for an empty buffer, never NULL. */
const char *cf_buf_cstr(const cf_buf *b);
/* Hands the data to the caller (who frees it) and resets the buffer; "" duplicated when empty. */
char *cf_buf_detach(cf_buf *b, size_t *len_out);
void cf_buf_release(cf_buf *b); /* frees the data; the limit is kept */

#endif
