/* Helpers shared by the per-service files (see svc_internal.h). */
#include "aws/svc_internal.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cf_svc_oom(void)
{
    return cf_error_set(CF_ENOMEM, "out of memory");
}

int cf_svc_pname(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
    return (n < 0 || (size_t)n >= cap) ? cf_error_set(CF_EINVAL, "parameter name too long") : 0;
}

int cf_svc_params_list(cf_aws_params *p, const char *prefix, const char *infix,
                       const char *const *v, size_t n)
{
    char name[128];
    int rc = 0;

    if (n && !v)
        return cf_error_set(CF_EINVAL, "%s: n without values", prefix);
    for (size_t i = 0; !rc && i < n; i++) {
        if (!v[i])
            return cf_error_set(CF_EINVAL, "%s%s%zu: NULL value", prefix, infix, i + 1);
        rc = cf_svc_pname(name, sizeof(name), "%s%s%zu", prefix, infix, i + 1);
        if (!rc)
            rc = cf_aws_params_add(p, name, v[i]);
    }
    return rc;
}

int cf_svc_grow(void **items, size_t n_old, size_t add, size_t sz, const cf_svc_cap *cap)
{
    void *p;

    if (add == 0)
        return 0;
    if (add > cap->max || n_old > cap->max - add)
        return cf_error_set(CF_ETOOBIG, "%s response: more than %zu %s", cap->svc, cap->max,
                            cap->noun);
    p = realloc(*items, (n_old + add) * sz);
    if (!p)
        return cf_svc_oom();
    memset((char *)p + n_old * sz, 0, add * sz);
    *items = p;
    return 0;
}

/* ---- XML fields ------------------------------------------------------------------------------ */

size_t cf_svc_xml_count(xmlNode *parent, const char *name)
{
    size_t n = 0;
    xmlNode *it;

    CF_XML_FOREACH(it, parent, name)
    n++;
    return n;
}

int cf_svc_xml_str(xmlNode *n, const char *path, int empty_absent, char **out)
{
    const char *t = cf_xml_text(n, path);

    *out = NULL;
    if (!t || (empty_absent && !*t))
        return 0;
    *out = strdup(t);
    return *out ? 0 : cf_svc_oom();
}

int cf_svc_xml_int(xmlNode *n, const char *path, int def, const char *svc, int *out)
{
    int64_t v = 0;
    int rc = cf_xml_int64(n, path, &v);

    *out = def;
    if (rc == CF_ENOTFOUND) {
        cf_error_clear();
        return 0;
    }
    if (rc)
        return rc;
    if (v < INT_MIN || v > INT_MAX)
        return cf_error_set(CF_EPARSE, "%s response: %s out of range", svc, path);
    *out = (int)v;
    return 0;
}

int cf_svc_xml_i64(xmlNode *n, const char *path, int64_t *out)
{
    int rc = cf_xml_int64(n, path, out);

    if (rc == CF_ENOTFOUND) {
        cf_error_clear();
        *out = -1;
        return 0;
    }
    return rc;
}

int cf_svc_xml_bool(xmlNode *n, const char *path, int *out)
{
    int rc = cf_xml_bool(n, path, out);

    if (rc == CF_ENOTFOUND) {
        cf_error_clear();
        *out = 0;
        return 0;
    }
    return rc;
}

int cf_svc_xml_id(xmlNode *n, const char *path, const char *svc, const char *what, char **out)
{
    int rc = cf_svc_xml_str(n, path, 0, out);

    if (!rc && !*out)
        rc = cf_error_set(CF_EPARSE, "%s response: %s without %s", svc, what, path);
    return rc;
}

/* ---- JSON fields ----------------------------------------------------------------------------- */

int cf_svc_json_str(json_t *o, const char *key, char **out)
{
    const char *s = json_string_value(json_object_get(o, key));

    *out = NULL;
    if (!s)
        return 0;
    *out = strdup(s);
    return *out ? 0 : cf_svc_oom();
}

int cf_svc_json_id(json_t *o, const char *key, const char *svc, const char *what, char **out)
{
    int rc;

    if (!json_is_object(o))
        return cf_error_set(CF_EPARSE, "%s response: %s is not an object", svc, what);
    rc = cf_svc_json_str(o, key, out);
    if (!rc && !*out)
        rc = cf_error_set(CF_EPARSE, "%s response: %s without %s", svc, what, key);
    return rc;
}

int cf_svc_json_epoch_ns(json_t *v, const char *svc, const char *key, int64_t *ns)
{
    double d = json_number_value(v);

    /* 9223372036 s is the last whole second INT64_MAX nanoseconds reach: d * 1e9 stays in range */
    if (!json_is_number(v) || !isfinite(d) || d < 0 || d >= 9223372036.0)
        return cf_error_set(CF_EPARSE, "%s response: %s out of range", svc, key);
    *ns = (int64_t)(d * 1e9);
    return 0;
}

json_t *cf_svc_json_strings(const char *const *v, size_t n)
{
    json_t *a = json_array();

    for (size_t i = 0; a && i < n; i++) {
        if (!v || !v[i] || json_array_append_new(a, json_string(v[i])) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

int cf_svc_json_answer(json_t *v, const char *call, const char *op, const char *what, char **out)
{
    const char *s = json_string_value(v);

    if (!s)
        return cf_error_set(CF_EPARSE, "%s %s: no %s in the answer", call, op, what);
    if (!out)
        return 0;
    *out = strdup(s);
    return *out ? 0 : cf_svc_oom();
}

/* ---- lists ----------------------------------------------------------------------------------- */

void cf_svc_items_free(void *items, size_t n, size_t sz, cf_svc_release_fn release)
{
    for (size_t i = 0; items && i < n; i++)
        release((char *)items + i * sz);
    free(items);
}

/* After parsing one element: counts it, or (rc != 0) releases and zeroes it and returns rc. */
static int item_done(int rc, void *elem, size_t sz, size_t *n, cf_svc_release_fn release)
{
    if (rc) {
        release(elem);
        memset(elem, 0, sz);
        return rc;
    }
    (*n)++;
    return 0;
}

int cf_svc_xml_items(xmlNode *set, const char *name, void **items, size_t *n, size_t sz,
                     const cf_svc_cap *cap, cf_svc_xml_item_fn parse, cf_svc_release_fn release)
{
    xmlNode *it;
    int rc = cf_svc_grow(items, *n, cf_svc_xml_count(set, name), sz, cap);

    if (rc)
        return rc;
    CF_XML_FOREACH(it, set, name)
    {
        void *elem = (char *)*items + *n * sz;
        rc = item_done(parse(it, elem), elem, sz, n, release);
        if (rc)
            return rc;
    }
    return 0;
}

int cf_svc_json_items(json_t *body, const char *key, void **items, size_t *n, size_t sz,
                      const cf_svc_cap *cap, cf_svc_json_item_fn parse, cf_svc_release_fn release)
{
    json_t *arr = json_object_get(body, key), *it;
    size_t i;
    int rc;

    if (!arr)
        return 0;
    if (!json_is_array(arr))
        return cf_error_set(CF_EPARSE, "%s response: %s is not a list", cap->svc, key);
    rc = cf_svc_grow(items, *n, json_array_size(arr), sz, cap);
    if (rc)
        return rc;
    json_array_foreach(arr, i, it)
    {
        void *elem = (char *)*items + *n * sz;
        rc = item_done(parse(it, elem), elem, sz, n, release);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- pages ----------------------------------------------------------------------------------- */

int cf_svc_next_token(char **token, const char *next, const char *call, const char *name)
{
    char *t;

    if (!next || !*next)
        return 1;
    if (*token && strcmp(*token, next) == 0)
        return cf_error_set(CF_EPARSE, "%s: the service returned the same %s twice", call, name);
    t = strdup(next);
    if (!t)
        return cf_svc_oom();
    free(*token);
    *token = t;
    return 0;
}

int cf_svc_page(void *pages, const cf_aws_response *page)
{
    cf_svc_pages *c = pages;

    if (c->xml) {
        if (!page->xml)
            return cf_error_set(CF_EPARSE, "%s response: empty body", c->svc);
        return c->xml(c->list, page->xml);
    }
    if (!json_is_object(page->json))
        return cf_error_set(CF_EPARSE, "%s response: body is not a JSON object", c->svc);
    return c->json(c->list, page->json);
}

int cf_svc_query_pages(cf_aws *aws, const cf_aws_service *svc, const char *call, const char *action,
                       const cf_aws_params *p, const char *token_param, const char *token_elem,
                       cf_aws_page_fn fn, void *ctx)
{
    int rc = cf_aws_query_paginate(aws, svc, action, p, token_param, token_elem, 0, fn, ctx);

    if (rc < 0) {
        cf_error_wrap("%s %s", call, action);
        return rc;
    }
    return 0;
}

int cf_svc_json_pages(cf_aws *aws, const cf_aws_service *svc, const char *call,
                      const char *operation, json_t *body, cf_aws_page_fn fn, void *ctx)
{
    int rc = cf_aws_json_paginate(aws, svc, operation, body, "NextToken", "NextToken", 0, fn, ctx);

    if (rc < 0) {
        cf_error_wrap("%s %s", call, operation);
        return rc;
    }
    return 0;
}
