/* Internal helpers shared by the report's modules (not part of the API). */
#ifndef CF_REPORT_INT_H
#define CF_REPORT_INT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "common/cf_buf.h"

/* Decodes one UTF-8 character strictly (no overlongs, surrogates or > U+10FFFF). Returns the
 * bytes consumed (>= 1 when len > 0); an invalid byte yields *cp = 0xFFFD and consumes 1. */
size_t cf_report_u8_next(const unsigned char *s, size_t len, uint32_t *cp);
/* Appends cp as UTF-8. */
int cf_report_u8_put(cf_buf *b, uint32_t cp);
/* 1 when cp is a Unicode bidi or line/paragraph separator control shown as "[U+XXXX]". */
int cf_report_cp_is_disguise(uint32_t cp);

/* Model accessors: "" / 0 when absent or of another type. */
const char *cf_rm_str(json_t *o, const char *key);
int64_t cf_rm_int(json_t *o, const char *key);
/* A chart count from the model: 0 unless an integer in [0, 10^12] (models may be hostile). */
int64_t cf_rm_count(json_t *v);

/* Severity: rank 4 critical, 3 high, 2 medium, 1 low, 0 info/unknown. */
int cf_report_sev_rank(const char *sev);
const char *cf_report_sev_name(int rank);

/* A sticky-error writer: after the first failure every call is a no-op and w->rc keeps it. */
typedef struct cf_rw {
    cf_buf *b;
    int rc;
    int md_table; /* Markdown: inside a table row (escape '|') */
} cf_rw;

/* 1 when u is an http(s) URL made only of unreserved/reserved characters that need no quoting
 * in an HTML attribute or Markdown (no quotes, spaces, angle brackets, parentheses). */
int cf_report_url_ok(const char *u);
/* The report's <head> and header band, shared by the report and the alert e-mail. */
void cf_report_html_head(cf_rw *w, const char *title, const char *sev);

void cf_rw_raw(cf_rw *w, const char *s);
void cf_rw_fmt(cf_rw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cf_rw_html(cf_rw *w, const char *s); /* HTML-escaped text or attribute value */
void cf_rw_md(cf_rw *w, const char *s);   /* Markdown prose */
void cf_rw_code(cf_rw *w, const char *s); /* Markdown code span ("-" when empty) */
/* A scalar model value as text (strings as is, numbers, true/false; "" for null/other). */
void cf_rw_value_text(cf_buf *tmp, json_t *v);

#endif
