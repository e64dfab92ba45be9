/* Internals shared by the per-service files (ec2.c, elbv2.c, autoscaling.c, ssm.c, ...): request
 * parameter names, reading untrusted XML/JSON fields, capped list growth, list parsing with
 * clean-up of a half-parsed element, and page callbacks. Not part of the public API. Messages name
 * the service the way the service files always have: "<svc> response: ...". */
#ifndef CF_AWS_SVC_INTERNAL_H
#define CF_AWS_SVC_INTERNAL_H

#include "aws/cf_aws.h"

/* CF_ENOMEM with "out of memory". */
int cf_svc_oom(void);

/* Formats a parameter name; a name that does not fit is CF_EINVAL, never a truncated name. */
__attribute__((format(printf, 3, 4))) int cf_svc_pname(char *buf, size_t cap, const char *fmt, ...);

/* Adds name = <prefix><infix>N for each of v[0..n) (N from 1): infix ".member." (query lists)
 * or "." (ec2 lists). n without v, or a NULL value, is CF_EINVAL. */
int cf_svc_params_list(cf_aws_params *p, const char *prefix, const char *infix,
                       const char *const *v, size_t n);

/* The cap on one service's lists: at most `max` elements, "<svc> response: more than <max>
 * <noun>" (CF_ETOOBIG) beyond. */
typedef struct cf_svc_cap {
    const char *svc;  /* "EC2", "ELBv2", "Auto Scaling", "SSM", "CloudTrail", "SQS" */
    size_t max;       /* most elements one list may hold (over every page) */
    const char *noun; /* "items", "events" */
} cf_svc_cap;

/* Grows *items (n_old elements of size sz) by add zeroed elements, within cap. */
int cf_svc_grow(void **items, size_t n_old, size_t add, size_t sz, const cf_svc_cap *cap);

/* ---- XML fields ------------------------------------------------------------------------------ */

/* Number of child elements `name` of parent (0 for NULL). */
size_t cf_svc_xml_count(xmlNode *parent, const char *name);
/* *out = malloc'd copy of the text at path (path NULL: the node itself); NULL when absent.
 * With empty_absent, an empty element is absent too (EC2 sends <snapshotId/> for "none"). */
int cf_svc_xml_str(xmlNode *n, const char *path, int empty_absent, char **out);
/* An int at path into *out: def when absent, CF_EPARSE when not a number or out of int range. */
int cf_svc_xml_int(xmlNode *n, const char *path, int def, const char *svc, int *out);
/* An int64 at path: -1 when absent, CF_EPARSE when not a number. */
int cf_svc_xml_i64(xmlNode *n, const char *path, int64_t *out);
/* A boolean at path: 0 when absent, CF_EPARSE when neither "true" nor "false". */
int cf_svc_xml_bool(xmlNode *n, const char *path, int *out);

/* The identifier an item must carry (cf_svc_xml_str without empty_absent): its absence is
 * CF_EPARSE "<svc> response: <what> without <path>". */
int cf_svc_xml_id(xmlNode *n, const char *path, const char *svc, const char *what, char **out);

/* ---- JSON fields ----------------------------------------------------------------------------- */

/* *out = malloc'd copy of string member key; NULL when absent or not a string. */
int cf_svc_json_str(json_t *o, const char *key, char **out);

/* The start of a JSON list item: o must be an object ("<svc> response: <what> is not an
 * object") carrying the string key ("<svc> response: <what> without <key>"), copied to *out. */
int cf_svc_json_id(json_t *o, const char *key, const char *svc, const char *what, char **out);

/* A JSON-protocol timestamp number v (epoch seconds) in nanoseconds: CF_EPARSE "<svc> response:
 * <key> out of range" when it is not finite, negative or past what int64 nanoseconds hold (April
 * 2262). */
int cf_svc_json_epoch_ns(json_t *v, const char *svc, const char *key, int64_t *ns);

/* A JSON array of copies of v[0..n) (n may be 0); NULL when out of memory or v / a value is NULL
 * or not UTF-8. */
json_t *cf_svc_json_strings(const char *const *v, size_t n);

/* The string v an answer must carry (e.g. json_object_get(r.json, "MessageId")): CF_EPARSE
 * "<call> <op>: no <what> in the answer" when v is not a string; with out, *out = a malloc'd
 * copy. */
int cf_svc_json_answer(json_t *v, const char *call, const char *op, const char *what, char **out);

/* ---- lists ----------------------------------------------------------------------------------- */

typedef int (*cf_svc_xml_item_fn)(xmlNode *it, void *elem);
typedef int (*cf_svc_json_item_fn)(json_t *it, void *elem);
typedef void (*cf_svc_release_fn)(void *elem);

/* Releases n elements of size sz with release, then frees the array (NULL is fine). */
void cf_svc_items_free(void *items, size_t n, size_t sz, cf_svc_release_fn release);

/* Appends one element per child `name` of set to *items / *n (element size sz, within cap).
 * parse fills a zeroed element; when it fails, the element is released, zeroed and not counted,
 * and its error returned. */
int cf_svc_xml_items(xmlNode *set, const char *name, void **items, size_t *n, size_t sz,
                     const cf_svc_cap *cap, cf_svc_xml_item_fn parse, cf_svc_release_fn release);
/* The same for the JSON array body[key]: absent is an empty list, another type is CF_EPARSE
 * ("<svc> response: <key> is not a list"). */
int cf_svc_json_items(json_t *body, const char *key, void **items, size_t *n, size_t sz,
                      const cf_svc_cap *cap, cf_svc_json_item_fn parse, cf_svc_release_fn release);

/* ---- page tokens ----------------------------------------------------------------------------- */

/* One step of a token-paginated loop, next being the token the last page answered: 1 when there
 * is none (NULL or "": that was the last page); CF_EPARSE "<call>: the service returned the same
 * <name> twice" when it repeats *token (a server that loops); else 0 with *token replaced by a
 * copy of next. */
int cf_svc_next_token(char **token, const char *next, const char *call, const char *name);

/* ---- page callbacks -------------------------------------------------------------------------- */

/* Context of cf_svc_page: one of xml / json parses a page into list. */
typedef struct cf_svc_pages {
    const char *svc; /* for "<svc> response: empty body" / "... body is not a JSON object" */
    void *list;
    int (*xml)(void *list, xmlDoc *doc);
    int (*json)(void *list, json_t *body);
} cf_svc_pages;

/* A cf_aws_page_fn for cf_aws_query_paginate (pages->xml) or cf_aws_json_paginate (pages->json):
 * a page without an XML body / a JSON object is CF_EPARSE. */
int cf_svc_page(void *pages, const cf_aws_response *page);

/* Paginated query / json calls ("NextToken" both ways for json), each page to fn(ctx, page):
 * an error (rc < 0) is wrapped "<call> <action>" (call: "ec2", "elbv2", ...) and returned; an
 * early stop (fn returned 1) is 0. */
int cf_svc_query_pages(cf_aws *aws, const cf_aws_service *svc, const char *call, const char *action,
                       const cf_aws_params *p, const char *token_param, const char *token_elem,
                       cf_aws_page_fn fn, void *ctx);
int cf_svc_json_pages(cf_aws *aws, const cf_aws_service *svc, const char *call,
                      const char *operation, json_t *body, cf_aws_page_fn fn, void *ctx);

#endif
