/* cf_report: the case report (HTML, JSON, Markdown) and the e-mails (L1 alert, L7 report).
 *
 * Everything in a case database may come from the compromised host (file names, command lines,
 * log lines, user agents). The report therefore works in two stages:
 *   1. cf_report_build() reads case.db into a *model*: a jansson object ("casefile.report/1",
 *      documented in docs/report.md) in which every string is valid UTF-8 (invalid bytes become
 *      U+FFFD), every long field is truncated with a marker, and every list is bounded;
 *   2. the renderers turn the model into HTML, Markdown or JSON, escaping every string for its
 *      context. The JSON output *is* the model.
 * Tables other than the core ones (cf_case.h) are optional: a missing table leaves its section out.
 *
 * Ownership: functions writing into a cf_buf append to it (the caller inits and releases it);
 * **out results belong to the caller. All functions return CF_OK or a negative CF_E* code with
 * the detail in cf_error_last().
 */
#ifndef CF_REPORT_H
#define CF_REPORT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "case/cf_case.h"
#include "common/cf_buf.h"

#define CF_REPORT_SCHEMA "casefile.report/1"

/* Output formats (bit mask). */
enum cf_report_format {
    CF_REPORT_HTML = 1,
    CF_REPORT_JSON = 2,
    CF_REPORT_MD = 4,
    CF_REPORT_ALL = 7
};

/* Bounds; 0 in a field means its default. */
typedef struct cf_report_opts {
    size_t max_field;              /* bytes of one shown string before truncation (default 2000) */
    size_t max_timeline_events;    /* events listed (default 2000); the chart counts all of them */
    size_t max_detections;         /* default 1000 */
    size_t max_evidence_rows;      /* evidence rows behind detections shown (default 2000) */
    size_t max_refs_per_detection; /* evidence refs kept per detection (default 20) */
    size_t max_rows;               /* actions, evidence files, bundles (default 5000 each) */
    int64_t now_ns;                /* generation time (0: now); tests pin it */
} cf_report_opts;

#define CF_REPORT_OPTS_INIT                                                                        \
    {                                                                                              \
        0, 0, 0, 0, 0, 0, 0                                                                        \
    }

/* Reads the case into a model (see above). *out is a new reference owned by the caller. */
int cf_report_build(cf_case *c, const cf_report_opts *opts, json_t **out);

/* Renderers. summary_only: just the header and summary (for e-mail bodies), with no in-page
 * links to sections it does not contain. */
int cf_report_render_html(json_t *model, int summary_only, cf_buf *out);
int cf_report_render_md(json_t *model, int summary_only, cf_buf *out);
int cf_report_render_json(json_t *model, cf_buf *out);

/* Builds the model and writes report.html, report.json and/or report.md (formats: bit mask)
 * atomically into out_dir (created when needed). */
int cf_report_write(cf_case *c, const char *out_dir, unsigned formats, const cf_report_opts *opts);

/* Parses "html,json,md" (any subset, any order) into a bit mask. */
int cf_report_parse_formats(const char *list, unsigned *out);

/* ---- Escaping (exposed for tests, fuzzing and other renderers) ----------------------------- */

/* HTML text and double-quoted attribute values: & < > " ' become entities; C0/DEL controls other
 * than \n and \t become U+FFFD; Unicode bidi controls (U+202A-U+202E, U+2066-U+2069) and
 * U+2028/2029 are shown as "[U+202E]" so a file name cannot disguise itself. Input must be valid
 * UTF-8 (invalid bytes are replaced). */
int cf_report_esc_html(cf_buf *out, const char *s, size_t len);
/* Markdown prose (one line, embedded anywhere in a line): \ ` * _ { } [ ] | ~ are
 * backslash-escaped, and at the start - + # = > and "12." / "12)"; '<' before a letter, '/',
 * '!' or '?' becomes "&lt;" (so no raw HTML or autolink) and '&' before an entity name becomes
 * "&amp;" (other '<' and '&' stay, so "C&C" reads well as plain text); newlines become spaces (no
 * block can start); "www." and "://" are broken so no GFM autolink is made; controls and bidi as
 * for HTML. No link, image, emphasis, code, table cell break or HTML can come out of the text,
 * except that GFM renderers still turn a bare e-mail address into a mailto: link (no escape
 * prevents it; it cannot carry a script). */
int cf_report_esc_md(cf_buf *out, const char *s, size_t len);
/* A Markdown code span holding s literally (fence longer than any backtick run inside; newlines
 * become spaces). in_table: '|' is escaped as GFM tables require. */
int cf_report_md_code(cf_buf *out, const char *s, size_t len, int in_table);
/* Copies s into a valid UTF-8 string of at most max bytes (plus the marker), cutting at a
 * character boundary and appending " …[truncated N bytes]" when cut. *out: caller frees. */
int cf_report_truncate(const char *s, size_t len, size_t max, char **out);

/* ---- MIME (RFC 5322 / 2045-2047) ----------------------------------------------------------- */

/* Quoted-printable body (RFC 2045 §6.7), CRLF line ends, lines <= 76 characters. */
int cf_mime_qp_encode(cf_buf *out, const void *data, size_t len);
/* Base64 in lines of 76 characters, CRLF line ends. */
int cf_mime_b64_encode(cf_buf *out, const void *data, size_t len);
/* An unstructured header value as RFC 2047 "B" encoded-words when it is not plain printable
 * ASCII, folded so no header line exceeds 78 characters. name_len: length of "Subject: ". */
int cf_mime_header_encode(cf_buf *out, const char *value, size_t name_len);

typedef struct cf_mail {
    const char *from;      /* "casefile <ir@example.com>" or a bare address */
    const char *const *to; /* addresses */
    size_t n_to;
    const char *subject;     /* UTF-8; encoded as needed */
    const char *text;        /* text/plain body (UTF-8) */
    const char *html;        /* text/html body (UTF-8), may be NULL */
    const char *attach_name; /* NULL: no attachment */
    const char *attach_type; /* e.g. "text/html; charset=utf-8" */
    const void *attach_data;
    size_t attach_len;
    int64_t date_ns;               /* 0: now */
    const char *message_id_domain; /* NULL: "casefile.invalid" */
} cf_mail;

/* A complete raw message (headers + body) for SES SendEmail Content.Raw / SendRawEmail:
 * multipart/mixed [ multipart/alternative [ text/plain, text/html ], attachment ] (parts
 * omitted when absent). Addresses with CR, LF or other controls are refused (CF_EINVAL). */
int cf_mime_build(const cf_mail *m, cf_buf *out);

/* ---- The two e-mails -------------------------------------------------------------------------
 */

/* L7: the report e-mail. text = Markdown summary plus the link; html = HTML summary plus the
 * link; the full HTML report attached when it is at most attach_limit bytes. */
typedef struct cf_report_email_opts {
    const char *from;
    const char *const *to;
    size_t n_to;
    const char *report_url;       /* presigned URL of report.html in S3 (may be NULL) */
    size_t attach_limit;          /* 0: default 5 MiB; SES raw messages are limited to 10 MB */
    const cf_report_opts *report; /* may be NULL */
} cf_report_email_opts;

int cf_report_email(cf_case *c, const cf_report_email_opts *o, cf_buf *out);
/* The same from an already built model (and its full HTML, may be NULL). */
int cf_report_email_from_model(json_t *model, const char *full_html, size_t full_len,
                               const cf_report_email_opts *o, cf_buf *out);

/* L1: the alert sent by `notify`, looking like the report's summary. */
#define CF_ALERT_MAX_IPS 64
typedef struct cf_alert_info {
    const char *case_id;
    const char *finding_id;
    const char *finding_type; /* "Backdoor:EC2/C&CActivity.B" */
    const char *finding_title;
    double severity; /* GuardDuty 0.0-10.0 (<0: unknown) */
    const char *instance_id;
    const char *availability_zone;
    const char *region;
    const char *account_id;
    const char *const *attacker_ips;
    size_t n_attacker_ips;
    const char *const *planned; /* what casefile is about to do, one line each; NULL: default */
    size_t n_planned;
    int dry_run;
    /* set by cf_alert_info_from_case: */
    const char *ip_storage[CF_ALERT_MAX_IPS];
    json_t *hold;
} cf_alert_info;

/* Fills info from case_info (case_id, finding, attacker_ips, instance_id, ...); an EventBridge
 * event's detail or a bare finding. The strings belong to info: cf_alert_info_release(). */
int cf_alert_info_from_case(cf_case *c, cf_alert_info *info);
void cf_alert_info_release(cf_alert_info *info); /* accepts NULL */
/* Subject, text and HTML of the alert (appended to the three buffers). */
int cf_report_alert(const cf_alert_info *a, cf_buf *subject, cf_buf *text, cf_buf *html);
/* The alert as a raw MIME message. */
int cf_report_alert_email(const cf_alert_info *a, const char *from, const char *const *to,
                          size_t n_to, cf_buf *out);

#endif
