/* A bounded JSON writer for casefile-agent's JSON Lines tables and manifest.
 *
 * Every string is escaped: quotes, backslashes, control characters and DEL become escapes,
 * valid UTF-8 is copied, every byte that is not part of a valid UTF-8 sequence (including
 * overlong forms and surrogates) becomes \ufffd, so any input yields valid JSON.
 * The buffer never grows beyond `max` bytes; past it the writer sets `overflow` and ignores
 * further output (the caller drops the record and reports it). */
#ifndef CFA_JSON_H
#define CFA_JSON_H

#include <stddef.h>
#include <stdint.h>

#define CFA_JW_DEPTH 16

struct cfa_jw {
    char *buf;
    size_t len, cap, max;
    int overflow;
    int depth;
    unsigned char first[CFA_JW_DEPTH];
};

#define CFA_JW_INIT(limit)                                                                         \
    {                                                                                              \
        NULL, 0, 0, (limit), 0, 0,                                                                 \
        {                                                                                          \
            0                                                                                      \
        }                                                                                          \
    }

void cfa_jw_reset(struct cfa_jw *jw);
void cfa_jw_release(struct cfa_jw *jw);

/* `key` is NULL for the top level and for array elements. */
void cfa_jw_obj_begin(struct cfa_jw *jw, const char *key);
void cfa_jw_obj_end(struct cfa_jw *jw);
void cfa_jw_arr_begin(struct cfa_jw *jw, const char *key);
void cfa_jw_arr_end(struct cfa_jw *jw);
void cfa_jw_str(struct cfa_jw *jw, const char *key, const char *s, size_t n);
/* Absent (NULL) strings write nothing: absent facts are absent keys. */
void cfa_jw_cstr(struct cfa_jw *jw, const char *key, const char *s);
void cfa_jw_int(struct cfa_jw *jw, const char *key, int64_t v);
void cfa_jw_uint(struct cfa_jw *jw, const char *key, uint64_t v);
/* "0x..." lower-case hex string (addresses). */
void cfa_jw_hex(struct cfa_jw *jw, const char *key, uint64_t v);
void cfa_jw_bool(struct cfa_jw *jw, const char *key, int v);
void cfa_jw_strf(struct cfa_jw *jw, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Appends raw bytes (used for the line terminator). */
void cfa_jw_raw(struct cfa_jw *jw, const char *s, size_t n);

/* Escapes s[0..n) as a JSON string body (no quotes) into the writer. Exposed for tests. */
void cfa_jw_escape(struct cfa_jw *jw, const char *s, size_t n);

#endif
