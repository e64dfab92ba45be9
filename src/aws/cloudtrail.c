/* cloudtrail: LookupEvents over cf_aws_json_paginate (see cloudtrail.h). */
#include "aws/cloudtrail.h"

#include <stdlib.h>
#include <string.h>

#include "aws/svc_internal.h"
#include "common/cf_time.h"

static const cf_svc_cap ct_cap = {"CloudTrail", CF_CLOUDTRAIL_MAX_ITEMS, "events"};

static void event_release(void *elem)
{
    cf_cloudtrail_event *e = elem;

    free(e->event_id);
    free(e->event_name);
    free(e->event_source);
    free(e->event_time);
    free(e->username);
    free(e->access_key_id);
    free(e->read_only);
    free(e->raw);
    for (size_t i = 0; i < e->n_resources; i++) {
        free(e->resources[i].type);
        free(e->resources[i].name);
    }
    free(e->resources);
}

void cf_cloudtrail_event_list_free(cf_cloudtrail_event_list *l)
{
    if (l)
        cf_svc_items_free(l->items, l->n, sizeof(*l->items), event_release);
    free(l);
}

/* EventTime: epoch seconds (JSON protocol); an RFC 3339 string is accepted too. */
static int event_time(json_t *o, cf_cloudtrail_event *e)
{
    json_t *v = json_object_get(o, "EventTime");
    char buf[CF_TIME_STR_MAX];

    if (!v)
        return 0;
    if (json_is_number(v)) {
        int rc = cf_svc_json_epoch_ns(v, "CloudTrail", "EventTime", &e->event_time_ns);
        if (rc)
            return rc;
    } else if (json_is_string(v)) {
        if (cf_time_parse(json_string_value(v), &e->event_time_ns))
            return cf_error_set(CF_EPARSE, "CloudTrail response: bad EventTime");
    } else {
        return cf_error_set(CF_EPARSE, "CloudTrail response: EventTime is not a time");
    }
    cf_time_format(e->event_time_ns, buf);
    e->event_time = strdup(buf);
    return e->event_time ? 0 : cf_svc_oom();
}

static int event_parse(json_t *o, void *elem)
{
    cf_cloudtrail_event *e = elem;
    json_t *res, *it;
    size_t i;
    int rc;

    rc = cf_svc_json_id(o, "EventId", "CloudTrail", "event", &e->event_id);
    if (!rc)
        rc = cf_svc_json_str(o, "EventName", &e->event_name);
    if (!rc)
        rc = cf_svc_json_str(o, "EventSource", &e->event_source);
    if (!rc)
        rc = event_time(o, e);
    if (!rc)
        rc = cf_svc_json_str(o, "Username", &e->username);
    if (!rc)
        rc = cf_svc_json_str(o, "AccessKeyId", &e->access_key_id);
    if (!rc)
        rc = cf_svc_json_str(o, "ReadOnly", &e->read_only);
    if (!rc)
        rc = cf_svc_json_str(o, "CloudTrailEvent", &e->raw);
    res = json_object_get(o, "Resources");
    if (!rc && json_is_array(res) && json_array_size(res)) {
        if (json_array_size(res) > 10000)
            return cf_error_set(CF_ETOOBIG, "CloudTrail response: too many resources");
        e->resources = calloc(json_array_size(res), sizeof(*e->resources));
        if (!e->resources)
            return cf_svc_oom();
        json_array_foreach(res, i, it)
        {
            cf_cloudtrail_resource *r = &e->resources[e->n_resources];
            rc = cf_svc_json_str(it, "ResourceType", &r->type);
            if (!rc)
                rc = cf_svc_json_str(it, "ResourceName", &r->name);
            e->n_resources++;
            if (rc)
                break;
        }
    }
    return rc;
}

int cf_cloudtrail_parse_events(cf_cloudtrail_event_list *l, json_t *body)
{
    return cf_svc_json_items(body, "Events", (void **)&l->items, &l->n, sizeof(*l->items), &ct_cap,
                             event_parse, event_release);
}

static int events_parse_v(void *l, json_t *body)
{
    return cf_cloudtrail_parse_events(l, body);
}

typedef struct page_ctx {
    cf_svc_pages pages;
    cf_cloudtrail_event_list *l;
    size_t max;
} page_ctx;

/* One page; stops (1) once max events are in, dropping the page's surplus. */
static int page_cb(void *ctx, const cf_aws_response *page)
{
    page_ctx *c = ctx;
    int rc = cf_svc_page(&c->pages, page);

    if (rc)
        return rc;
    if (c->max && c->l->n >= c->max) {
        while (c->l->n > c->max)
            event_release(&c->l->items[--c->l->n]);
        return 1;
    }
    return 0;
}

int cf_cloudtrail_lookup_events(cf_cloudtrail_event_list **out, cf_aws *aws,
                                const cf_cloudtrail_lookup *q)
{
    cf_cloudtrail_event_list *l = calloc(1, sizeof(*l));
    json_t *body = json_object();
    page_ctx ctx = {{"CloudTrail", l, NULL, events_parse_v}, l, q ? q->max_events : 0};
    int rc = 0;

    *out = NULL;
    if (!l || !body) {
        rc = cf_svc_oom();
        goto cleanup;
    }
    if (q && q->attr_key) {
        json_t *attrs = json_pack("[{s:s, s:s}]", "AttributeKey", q->attr_key, "AttributeValue",
                                  q->attr_value ? q->attr_value : "");
        if (!attrs || json_object_set_new(body, "LookupAttributes", attrs)) {
            rc = cf_error_set(CF_EINVAL, "cloudtrail LookupEvents: bad attribute");
            goto cleanup;
        }
    }
    if (q && q->start_ns > 0 &&
        json_object_set_new(body, "StartTime", json_integer(q->start_ns / CF_NS_PER_SEC))) {
        rc = cf_svc_oom();
        goto cleanup;
    }
    if (q && q->end_ns > 0 &&
        json_object_set_new(body, "EndTime", json_integer(q->end_ns / CF_NS_PER_SEC))) {
        rc = cf_svc_oom();
        goto cleanup;
    }
    if (q && q->page_size > 0 &&
        json_object_set_new(body, "MaxResults",
                            json_integer(q->page_size > 50 ? 50 : q->page_size))) {
        rc = cf_svc_oom();
        goto cleanup;
    }
    rc = cf_svc_json_pages(aws, &cf_aws_svc_cloudtrail, "cloudtrail", "LookupEvents", body, page_cb,
                           &ctx);
    if (rc)
        goto cleanup;
    *out = l;
    l = NULL;
cleanup:
    cf_cloudtrail_event_list_free(l);
    json_decref(body);
    return rc;
}
