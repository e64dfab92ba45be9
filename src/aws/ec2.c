/* ec2: typed EC2 calls over cf_aws_query (see ec2.h for the conventions). */
#include "aws/ec2.h"

#include <stdlib.h>
#include <string.h>

#include "aws/svc_internal.h"

/* ---- XML reading helpers -------------------------------------------------------------------- */

static const cf_svc_cap ec2_cap = {"EC2", CF_EC2_MAX_ITEMS, "items"};

/* *out = copy of the text at path, or NULL when absent (not an error). An empty element is
 * absent too: EC2 (and moto) send <snapshotId/>, <instanceId></instanceId> for "none". */
static int x_str(xmlNode *n, const char *path, char **out)
{
    return cf_svc_xml_str(n, path, 1, out);
}

/* Integer at path into *out; def when absent; CF_EPARSE when not an int. */
static int x_int(xmlNode *n, const char *path, int def, int *out)
{
    return cf_svc_xml_int(n, path, def, "EC2", out);
}

static int x_need(const char *v, const char *what)
{
    return v ? 0 : cf_error_set(CF_EPARSE, "EC2 response: %s without its identifier", what);
}

/* Grows *items (n_old elements of size sz) by add zeroed elements. */
static int x_grow(void **items, size_t n_old, size_t add, size_t sz)
{
    return cf_svc_grow(items, n_old, add, sz, &ec2_cap);
}

static void strs_free(char **s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(s[i]);
    free(s);
}

/* Text of `sub` (NULL: the item itself) in every `item` under parent; absent ones skipped. */
static int x_strs(xmlNode *parent, const char *sub, char ***out, size_t *n_out)
{
    size_t n = cf_svc_xml_count(parent, "item"), k = 0;
    char **arr = NULL;
    xmlNode *it;
    int rc = 0;

    *out = NULL;
    *n_out = 0;
    if (n == 0)
        return 0;
    rc = x_grow((void **)&arr, 0, n, sizeof(*arr));
    if (rc)
        goto cleanup;
    CF_XML_FOREACH(it, parent, "item")
    {
        rc = x_str(it, sub, &arr[k]);
        if (rc)
            goto cleanup;
        if (arr[k])
            k++;
    }
    *out = arr;
    *n_out = k;
    arr = NULL;
cleanup:
    if (arr)
        strs_free(arr, n);
    return rc;
}

static void tags_free(cf_ec2_tag *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(t[i].key);
        free(t[i].value);
    }
    free(t);
}

static int x_tags(xmlNode *n, cf_ec2_tag **out, size_t *n_out)
{
    xmlNode *set = cf_xml_child(n, "tagSet"), *it;
    size_t cnt = cf_svc_xml_count(set, "item"), k = 0;
    cf_ec2_tag *t = NULL;
    int rc = 0;

    *out = NULL;
    *n_out = 0;
    rc = x_grow((void **)&t, 0, cnt, sizeof(*t));
    if (rc)
        goto cleanup;
    CF_XML_FOREACH(it, set, "item")
    {
        rc = x_str(it, "key", &t[k].key);
        if (!rc)
            rc = x_str(it, "value", &t[k].value);
        if (rc)
            goto cleanup;
        if (!t[k].key) { /* a tag without a key is no tag */
            free(t[k].value);
            t[k].value = NULL;
            continue;
        }
        k++;
    }
    *out = t;
    *n_out = k;
    t = NULL;
cleanup:
    if (t)
        tags_free(t, cnt);
    return rc;
}

const char *cf_ec2_tag_get(const cf_ec2_tag *tags, size_t n, const char *key)
{
    for (size_t i = 0; tags && key && i < n; i++)
        if (tags[i].key && strcmp(tags[i].key, key) == 0)
            return tags[i].value ? tags[i].value : "";
    return NULL;
}

static void group_release(void *elem)
{
    cf_ec2_group_ref *g = elem;

    free(g->id);
    free(g->name);
}

static int group_parse(xmlNode *it, void *elem)
{
    cf_ec2_group_ref *g = elem;
    int rc = x_str(it, "groupId", &g->id);

    if (!rc)
        rc = x_str(it, "groupName", &g->name);
    if (!rc)
        rc = x_need(g->id, "security group reference");
    return rc;
}

static void groups_free(cf_ec2_group_ref *g, size_t n)
{
    cf_svc_items_free(g, n, sizeof(*g), group_release);
}

/* The security groups (groupId, groupName) of every `item` under set. */
static int x_groups(xmlNode *set, cf_ec2_group_ref **out, size_t *n_out)
{
    return cf_svc_xml_items(set, "item", (void **)out, n_out, sizeof(**out), &ec2_cap, group_parse,
                            group_release);
}

/* ---- request helpers ------------------------------------------------------------------------ */

static int p_query(cf_aws_params *p, const cf_ec2_query *q, const char *id_prefix)
{
    char name[128];
    int rc = 0;

    if (!q)
        return 0;
    if (q->n_ids && !q->ids)
        return cf_error_set(CF_EINVAL, "query: n_ids without ids");
    rc = cf_svc_params_list(p, id_prefix, ".", q->ids, q->n_ids);
    for (size_t i = 0; !rc && i < q->n_filters; i++) {
        const cf_ec2_filter *f = &q->filters[i];
        if (!f->name || (f->n_values && !f->values))
            return cf_error_set(CF_EINVAL, "query: bad filter %zu", i + 1);
        if (!rc)
            rc = cf_svc_pname(name, sizeof(name), "Filter.%zu.Name", i + 1);
        if (!rc)
            rc = cf_aws_params_add(p, name, f->name);
        if (!rc)
            rc = cf_svc_pname(name, sizeof(name), "Filter.%zu.Value", i + 1);
        if (!rc)
            rc = cf_svc_params_list(p, name, ".", f->values, f->n_values);
    }
    if (!rc && q->max_results > 0 && q->n_ids == 0)
        rc = cf_aws_params_addf(p, "MaxResults", "%d", q->max_results);
    return rc;
}

static int p_tag_spec(cf_aws_params *p, int idx, const char *rtype, const cf_ec2_tag_spec *tags,
                      size_t n)
{
    char name[128];
    int rc = 0;

    if (n == 0)
        return 0;
    if (!tags)
        return cf_error_set(CF_EINVAL, "tags: n_tags without tags");
    if (!rc)
        rc = cf_svc_pname(name, sizeof(name), "TagSpecification.%d.ResourceType", idx);
    if (!rc)
        rc = cf_aws_params_add(p, name, rtype);
    for (size_t i = 0; !rc && i < n; i++) {
        if (!tags[i].key)
            return cf_error_set(CF_EINVAL, "tag %zu without a key", i + 1);
        if (!rc)
            rc = cf_svc_pname(name, sizeof(name), "TagSpecification.%d.Tag.%zu.Key", idx, i + 1);
        if (!rc)
            rc = cf_aws_params_add(p, name, tags[i].key);
        if (!rc)
            rc = cf_svc_pname(name, sizeof(name), "TagSpecification.%d.Tag.%zu.Value", idx, i + 1);
        if (!rc)
            rc = cf_aws_params_add(p, name, tags[i].value ? tags[i].value : "");
    }
    return rc;
}

static __thread char ec2_last_reqid[128]; /* see cf_ec2_last_request_id */

const char *cf_ec2_last_request_id(void)
{
    return ec2_last_reqid;
}

/* A mutating call: adds DryRun, maps DryRunOperation to CF_EC2_DRY_RUN_OK. *r is released by the
 * caller. */
static int ec2_mutate(cf_aws *aws, const char *action, cf_aws_params *p, int dry_run,
                      cf_aws_response *r)
{
    int rc = 0;

    if (dry_run)
        rc = cf_aws_params_set(p, "DryRun", "true");
    if (!rc)
        rc = cf_aws_query(aws, &cf_aws_svc_ec2, action, p, r);
    snprintf(ec2_last_reqid, sizeof(ec2_last_reqid), "%s", r->request_id);
    if (rc < 0 && dry_run && cf_aws_error_is_dry_run_ok()) {
        cf_error_clear();
        return CF_EC2_DRY_RUN_OK;
    }
    if (rc < 0)
        cf_error_wrap("ec2 %s", action);
    return rc;
}

/* A mutating call whose answer carries nothing we need (beyond "return true"). */
static int ec2_simple(cf_aws *aws, const char *action, cf_aws_params *p, int dry_run)
{
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    int rc = ec2_mutate(aws, action, p, dry_run, &r);
    const char *ret;

    if (rc == 0 && r.xml) {
        ret = cf_xml_text(xmlDocGetRootElement(r.xml), "return");
        if (ret && strcmp(ret, "false") == 0)
            rc = cf_error_set(CF_EAWS, "ec2 %s: AWS answered return=false", action);
    }
    cf_aws_response_release(&r);
    return rc;
}

/* ---- describe plumbing ---------------------------------------------------------------------- */

typedef int (*page_parse_fn)(void *list, xmlDoc *doc);

static int describe(cf_aws *aws, const char *action, cf_aws_params *p, void *list,
                    page_parse_fn parse)
{
    cf_svc_pages pages = {"EC2", list, parse, NULL};

    return cf_svc_query_pages(aws, &cf_aws_svc_ec2, "ec2", action, p, "NextToken", "nextToken",
                              cf_svc_page, &pages);
}

static xmlNode *x_root(xmlDoc *doc)
{
    return doc ? xmlDocGetRootElement(doc) : NULL;
}

/* ---- ENIs ----------------------------------------------------------------------------------- */

static void eni_release(void *elem)
{
    cf_ec2_eni *e = elem;

    free(e->id);
    free(e->subnet_id);
    free(e->vpc_id);
    free(e->az);
    free(e->description);
    free(e->status);
    free(e->mac);
    free(e->private_ip);
    free(e->public_ip);
    free(e->owner_id);
    free(e->interface_type);
    free(e->attachment_id);
    free(e->instance_id);
    strs_free(e->private_ips, e->n_private_ips);
    strs_free(e->ipv6_ips, e->n_ipv6_ips);
    groups_free(e->groups, e->n_groups);
    tags_free(e->tags, e->n_tags);
}

static int eni_parse(xmlNode *it, void *elem)
{
    cf_ec2_eni *e = elem;
    int rc = x_str(it, "networkInterfaceId", &e->id);

    if (!rc)
        rc = x_need(e->id, "network interface");
    if (!rc)
        rc = x_str(it, "subnetId", &e->subnet_id);
    if (!rc)
        rc = x_str(it, "vpcId", &e->vpc_id);
    if (!rc)
        rc = x_str(it, "availabilityZone", &e->az);
    if (!rc)
        rc = x_str(it, "description", &e->description);
    if (!rc)
        rc = x_str(it, "status", &e->status);
    if (!rc)
        rc = x_str(it, "macAddress", &e->mac);
    if (!rc)
        rc = x_str(it, "privateIpAddress", &e->private_ip);
    if (!rc)
        rc = x_str(it, "association/publicIp", &e->public_ip);
    if (!rc)
        rc = x_str(it, "ownerId", &e->owner_id);
    if (!rc)
        rc = x_str(it, "interfaceType", &e->interface_type);
    if (!rc)
        rc = x_str(it, "attachment/attachmentId", &e->attachment_id);
    if (!rc)
        rc = x_str(it, "attachment/instanceId", &e->instance_id);
    if (!rc)
        rc = x_int(it, "attachment/deviceIndex", -1, &e->device_index);
    if (!rc)
        rc = x_strs(cf_xml_child(it, "privateIpAddressesSet"), "privateIpAddress", &e->private_ips,
                    &e->n_private_ips);
    if (!rc)
        rc = x_strs(cf_xml_child(it, "ipv6AddressesSet"), "ipv6Address", &e->ipv6_ips,
                    &e->n_ipv6_ips);
    if (!rc)
        rc = x_groups(cf_xml_child(it, "groupSet"), &e->groups, &e->n_groups);
    if (!rc)
        rc = x_tags(it, &e->tags, &e->n_tags);
    return rc;
}

/* Parses every `item` under set into a grown array; item_parse fills one element. */
static int x_items(xmlNode *set, void **items, size_t *n, size_t sz, cf_svc_xml_item_fn parse,
                   cf_svc_release_fn release)
{
    return cf_svc_xml_items(set, "item", items, n, sz, &ec2_cap, parse, release);
}

int cf_ec2_parse_network_interfaces(cf_ec2_eni_list *l, xmlDoc *doc)
{
    return x_items(cf_xml_child(x_root(doc), "networkInterfaceSet"), (void **)&l->items, &l->n,
                   sizeof(*l->items), eni_parse, eni_release);
}

void cf_ec2_eni_list_free(cf_ec2_eni_list *l)
{
    if (l)
        cf_svc_items_free(l->items, l->n, sizeof(*l->items), eni_release);
    free(l);
}

/* ---- instances ------------------------------------------------------------------------------ */

static void device_release(void *elem)
{
    cf_ec2_block_device *d = elem;

    free(d->device_name);
    free(d->volume_id);
    free(d->status);
}

static void instance_release(void *elem)
{
    cf_ec2_instance *x = elem;

    free(x->id);
    free(x->state);
    free(x->instance_type);
    free(x->architecture);
    free(x->platform);
    free(x->platform_details);
    free(x->image_id);
    free(x->key_name);
    free(x->az);
    free(x->subnet_id);
    free(x->vpc_id);
    free(x->private_ip);
    free(x->public_ip);
    free(x->private_dns);
    free(x->public_dns);
    free(x->launch_time);
    free(x->root_device_name);
    free(x->iam_profile_arn);
    free(x->iam_profile_id);
    free(x->reservation_id);
    free(x->owner_id);
    free(x->client_token);
    cf_svc_items_free(x->enis, x->n_enis, sizeof(*x->enis), eni_release);
    groups_free(x->groups, x->n_groups);
    cf_svc_items_free(x->devices, x->n_devices, sizeof(*x->devices), device_release);
    tags_free(x->tags, x->n_tags);
}

static int device_parse(xmlNode *it, void *elem)
{
    cf_ec2_block_device *d = elem;
    int rc = x_str(it, "deviceName", &d->device_name);

    if (!rc)
        rc = x_str(it, "ebs/volumeId", &d->volume_id);
    if (!rc)
        rc = x_str(it, "ebs/status", &d->status);
    if (!rc)
        rc = cf_svc_xml_bool(it, "ebs/deleteOnTermination", &d->delete_on_termination);
    return rc;
}

static int instance_parse(xmlNode *it, cf_ec2_instance *x)
{
    int rc = x_str(it, "instanceId", &x->id);

    if (!rc)
        rc = x_need(x->id, "instance");
    if (!rc)
        rc = x_str(it, "instanceState/name", &x->state);
    if (!rc)
        rc = x_int(it, "instanceState/code", -1, &x->state_code);
    if (!rc)
        rc = x_str(it, "instanceType", &x->instance_type);
    if (!rc)
        rc = x_str(it, "architecture", &x->architecture);
    if (!rc)
        rc = x_str(it, "platform", &x->platform);
    if (!rc)
        rc = x_str(it, "platformDetails", &x->platform_details);
    if (!rc)
        rc = x_str(it, "imageId", &x->image_id);
    if (!rc)
        rc = x_str(it, "keyName", &x->key_name);
    if (!rc)
        rc = x_str(it, "placement/availabilityZone", &x->az);
    if (!rc)
        rc = x_str(it, "subnetId", &x->subnet_id);
    if (!rc)
        rc = x_str(it, "vpcId", &x->vpc_id);
    if (!rc)
        rc = x_str(it, "privateIpAddress", &x->private_ip);
    if (!rc)
        rc = x_str(it, "ipAddress", &x->public_ip);
    if (!rc)
        rc = x_str(it, "privateDnsName", &x->private_dns);
    if (!rc)
        rc = x_str(it, "dnsName", &x->public_dns);
    if (!rc)
        rc = x_str(it, "launchTime", &x->launch_time);
    if (!rc)
        rc = x_str(it, "rootDeviceName", &x->root_device_name);
    if (!rc)
        rc = x_str(it, "iamInstanceProfile/arn", &x->iam_profile_arn);
    if (!rc)
        rc = x_str(it, "iamInstanceProfile/id", &x->iam_profile_id);
    if (!rc)
        rc = x_str(it, "clientToken", &x->client_token);
    if (!rc)
        rc = x_items(cf_xml_child(it, "networkInterfaceSet"), (void **)&x->enis, &x->n_enis,
                     sizeof(*x->enis), eni_parse, eni_release);
    if (!rc)
        rc = x_groups(cf_xml_child(it, "groupSet"), &x->groups, &x->n_groups);
    if (!rc)
        rc = x_items(cf_xml_child(it, "blockDeviceMapping"), (void **)&x->devices, &x->n_devices,
                     sizeof(*x->devices), device_parse, device_release);
    if (!rc)
        rc = x_tags(it, &x->tags, &x->n_tags);
    return rc;
}

static int instances_from_set(cf_ec2_instance_list *l, xmlNode *set, xmlNode *resv)
{
    size_t cnt = cf_svc_xml_count(set, "item");
    xmlNode *it;
    int rc = x_grow((void **)&l->items, l->n, cnt, sizeof(*l->items));

    if (rc)
        return rc;
    CF_XML_FOREACH(it, set, "item")
    {
        cf_ec2_instance *x = &l->items[l->n];
        rc = instance_parse(it, x);
        if (!rc)
            rc = x_str(resv, "reservationId", &x->reservation_id);
        if (!rc)
            rc = x_str(resv, "ownerId", &x->owner_id);
        if (rc) {
            instance_release(x);
            memset(x, 0, sizeof(*x));
            return rc;
        }
        l->n++;
    }
    return 0;
}

int cf_ec2_parse_instances(cf_ec2_instance_list *l, xmlDoc *doc)
{
    xmlNode *root = x_root(doc), *resv;
    int rc = 0;

    if (!root)
        return cf_error_set(CF_EPARSE, "EC2 response: no document");
    /* RunInstances answers one reservation at the root. */
    if (cf_xml_child(root, "instancesSet"))
        return instances_from_set(l, cf_xml_child(root, "instancesSet"), root);
    CF_XML_FOREACH(resv, cf_xml_child(root, "reservationSet"), "item")
    {
        rc = instances_from_set(l, cf_xml_child(resv, "instancesSet"), resv);
        if (rc)
            return rc;
    }
    return 0;
}

void cf_ec2_instance_list_free(cf_ec2_instance_list *l)
{
    if (l)
        cf_svc_items_free(l->items, l->n, sizeof(*l->items), instance_release);
    free(l);
}

/* ---- subnets, VPCs -------------------------------------------------------------------------- */

static void subnet_release(void *elem)
{
    cf_ec2_subnet *s = elem;

    free(s->id);
    free(s->vpc_id);
    free(s->cidr);
    strs_free(s->ipv6_cidrs, s->n_ipv6_cidrs);
    free(s->az);
    free(s->az_id);
    free(s->state);
    free(s->owner_id);
    tags_free(s->tags, s->n_tags);
}

static int subnet_parse(xmlNode *it, void *elem)
{
    cf_ec2_subnet *s = elem;
    int rc = x_str(it, "subnetId", &s->id);

    if (!rc)
        rc = x_need(s->id, "subnet");
    if (!rc)
        rc = x_str(it, "vpcId", &s->vpc_id);
    if (!rc)
        rc = x_str(it, "cidrBlock", &s->cidr);
    if (!rc)
        rc = x_strs(cf_xml_child(it, "ipv6CidrBlockAssociationSet"), "ipv6CidrBlock",
                    &s->ipv6_cidrs, &s->n_ipv6_cidrs);
    if (!rc)
        rc = x_str(it, "availabilityZone", &s->az);
    if (!rc)
        rc = x_str(it, "availabilityZoneId", &s->az_id);
    if (!rc)
        rc = x_str(it, "state", &s->state);
    if (!rc)
        rc = x_str(it, "ownerId", &s->owner_id);
    if (!rc)
        rc = cf_svc_xml_bool(it, "defaultForAz", &s->default_for_az);
    if (!rc)
        rc = x_tags(it, &s->tags, &s->n_tags);
    return rc;
}

int cf_ec2_parse_subnets(cf_ec2_subnet_list *l, xmlDoc *doc)
{
    return x_items(cf_xml_child(x_root(doc), "subnetSet"), (void **)&l->items, &l->n,
                   sizeof(*l->items), subnet_parse, subnet_release);
}

void cf_ec2_subnet_list_free(cf_ec2_subnet_list *l)
{
    if (l)
        cf_svc_items_free(l->items, l->n, sizeof(*l->items), subnet_release);
    free(l);
}

static void vpc_release(void *elem)
{
    cf_ec2_vpc *v = elem;

    free(v->id);
    free(v->cidr);
    strs_free(v->cidrs, v->n_cidrs);
    strs_free(v->ipv6_cidrs, v->n_ipv6_cidrs);
    free(v->state);
    free(v->owner_id);
    tags_free(v->tags, v->n_tags);
}

static int vpc_parse(xmlNode *it, void *elem)
{
    cf_ec2_vpc *v = elem;
    int rc = x_str(it, "vpcId", &v->id);

    if (!rc)
        rc = x_need(v->id, "VPC");
    if (!rc)
        rc = x_str(it, "cidrBlock", &v->cidr);
    if (!rc)
        rc = x_strs(cf_xml_child(it, "cidrBlockAssociationSet"), "cidrBlock", &v->cidrs,
                    &v->n_cidrs);
    if (!rc)
        rc = x_strs(cf_xml_child(it, "ipv6CidrBlockAssociationSet"), "ipv6CidrBlock",
                    &v->ipv6_cidrs, &v->n_ipv6_cidrs);
    if (!rc && v->n_cidrs == 0 && v->cidr) { /* older answers: only the primary */
        rc = x_grow((void **)&v->cidrs, 0, 1, sizeof(char *));
        if (!rc) {
            v->cidrs[0] = strdup(v->cidr);
            rc = v->cidrs[0] ? 0 : cf_svc_oom();
            v->n_cidrs = v->cidrs[0] ? 1 : 0;
        }
    }
    if (!rc)
        rc = x_str(it, "state", &v->state);
    if (!rc)
        rc = x_str(it, "ownerId", &v->owner_id);
    if (!rc)
        rc = cf_svc_xml_bool(it, "isDefault", &v->is_default);
    if (!rc)
        rc = x_tags(it, &v->tags, &v->n_tags);
    return rc;
}

int cf_ec2_parse_vpcs(cf_ec2_vpc_list *l, xmlDoc *doc)
{
    return x_items(cf_xml_child(x_root(doc), "vpcSet"), (void **)&l->items, &l->n,
                   sizeof(*l->items), vpc_parse, vpc_release);
}

void cf_ec2_vpc_list_free(cf_ec2_vpc_list *l)
{
    if (l)
        cf_svc_items_free(l->items, l->n, sizeof(*l->items), vpc_release);
    free(l);
}

/* ---- network ACLs --------------------------------------------------------------------------- */

static void acl_entry_release(void *elem)
{
    cf_ec2_acl_entry *e = elem;

    free(e->protocol);
    free(e->action);
    free(e->cidr);
    free(e->ipv6_cidr);
}

static int acl_entry_parse(xmlNode *it, void *elem)
{
    cf_ec2_acl_entry *e = elem;
    int rc = x_int(it, "ruleNumber", -1, &e->rule_number);

    if (!rc && e->rule_number < 0)
        rc = cf_error_set(CF_EPARSE, "EC2 response: network ACL entry without ruleNumber");
    if (!rc)
        rc = cf_svc_xml_bool(it, "egress", &e->egress);
    if (!rc)
        rc = x_str(it, "protocol", &e->protocol);
    if (!rc)
        rc = x_str(it, "ruleAction", &e->action);
    if (!rc)
        rc = x_str(it, "cidrBlock", &e->cidr);
    if (!rc)
        rc = x_str(it, "ipv6CidrBlock", &e->ipv6_cidr);
    if (!rc)
        rc = x_int(it, "portRange/from", -1, &e->port_from);
    if (!rc)
        rc = x_int(it, "portRange/to", -1, &e->port_to);
    if (!rc)
        rc = x_int(it, "icmpTypeCode/type", -1, &e->icmp_type);
    if (!rc)
        rc = x_int(it, "icmpTypeCode/code", -1, &e->icmp_code);
    return rc;
}

static void acl_assoc_release(void *elem)
{
    cf_ec2_acl_assoc *a = elem;

    free(a->id);
    free(a->subnet_id);
}

static int acl_assoc_parse(xmlNode *it, void *elem)
{
    cf_ec2_acl_assoc *a = elem;
    int rc = x_str(it, "networkAclAssociationId", &a->id);

    if (!rc)
        rc = x_str(it, "subnetId", &a->subnet_id);
    return rc;
}

static void acl_release(void *elem)
{
    cf_ec2_network_acl *a = elem;

    free(a->id);
    free(a->vpc_id);
    free(a->owner_id);
    cf_svc_items_free(a->entries, a->n_entries, sizeof(*a->entries), acl_entry_release);
    cf_svc_items_free(a->assocs, a->n_assocs, sizeof(*a->assocs), acl_assoc_release);
    tags_free(a->tags, a->n_tags);
}

static int acl_parse(xmlNode *it, void *elem)
{
    cf_ec2_network_acl *a = elem;
    int rc = x_str(it, "networkAclId", &a->id);

    if (!rc)
        rc = x_need(a->id, "network ACL");
    if (!rc)
        rc = x_str(it, "vpcId", &a->vpc_id);
    if (!rc)
        rc = x_str(it, "ownerId", &a->owner_id);
    if (!rc)
        rc = cf_svc_xml_bool(it, "default", &a->is_default);
    if (!rc)
        rc = x_items(cf_xml_child(it, "entrySet"), (void **)&a->entries, &a->n_entries,
                     sizeof(*a->entries), acl_entry_parse, acl_entry_release);
    if (!rc)
        rc = x_items(cf_xml_child(it, "associationSet"), (void **)&a->assocs, &a->n_assocs,
                     sizeof(*a->assocs), acl_assoc_parse, acl_assoc_release);
    if (!rc)
        rc = x_tags(it, &a->tags, &a->n_tags);
    return rc;
}

int cf_ec2_parse_network_acls(cf_ec2_acl_list *l, xmlDoc *doc)
{
    return x_items(cf_xml_child(x_root(doc), "networkAclSet"), (void **)&l->items, &l->n,
                   sizeof(*l->items), acl_parse, acl_release);
}

void cf_ec2_acl_list_free(cf_ec2_acl_list *l)
{
    if (l)
        cf_svc_items_free(l->items, l->n, sizeof(*l->items), acl_release);
    free(l);
}

/* ---- security groups ------------------------------------------------------------------------ */

static void perm_release(void *elem)
{
    cf_ec2_ip_perm *p = elem;

    free(p->protocol);
    strs_free(p->cidrs, p->n_cidrs);
    strs_free(p->ipv6_cidrs, p->n_ipv6_cidrs);
    strs_free(p->group_ids, p->n_group_ids);
    strs_free(p->prefix_list_ids, p->n_prefix_list_ids);
}

static int perm_parse(xmlNode *it, void *elem)
{
    cf_ec2_ip_perm *p = elem;
    int rc = x_str(it, "ipProtocol", &p->protocol);

    if (!rc)
        rc = x_int(it, "fromPort", -1, &p->from_port);
    if (!rc)
        rc = x_int(it, "toPort", -1, &p->to_port);
    if (!rc)
        rc = x_strs(cf_xml_child(it, "ipRanges"), "cidrIp", &p->cidrs, &p->n_cidrs);
    if (!rc)
        rc = x_strs(cf_xml_child(it, "ipv6Ranges"), "cidrIpv6", &p->ipv6_cidrs, &p->n_ipv6_cidrs);
    if (!rc)
        rc = x_strs(cf_xml_child(it, "groups"), "groupId", &p->group_ids, &p->n_group_ids);
    if (!rc)
        rc = x_strs(cf_xml_child(it, "prefixListIds"), "prefixListId", &p->prefix_list_ids,
                    &p->n_prefix_list_ids);
    return rc;
}

static void sg_release(void *elem)
{
    cf_ec2_security_group *g = elem;

    free(g->id);
    free(g->name);
    free(g->description);
    free(g->vpc_id);
    free(g->owner_id);
    cf_svc_items_free(g->ingress, g->n_ingress, sizeof(*g->ingress), perm_release);
    cf_svc_items_free(g->egress, g->n_egress, sizeof(*g->egress), perm_release);
    tags_free(g->tags, g->n_tags);
}

static int sg_parse(xmlNode *it, void *elem)
{
    cf_ec2_security_group *g = elem;
    int rc = x_str(it, "groupId", &g->id);

    if (!rc)
        rc = x_need(g->id, "security group");
    if (!rc)
        rc = x_str(it, "groupName", &g->name);
    if (!rc)
        rc = x_str(it, "groupDescription", &g->description);
    if (!rc)
        rc = x_str(it, "vpcId", &g->vpc_id);
    if (!rc)
        rc = x_str(it, "ownerId", &g->owner_id);
    if (!rc)
        rc = x_items(cf_xml_child(it, "ipPermissions"), (void **)&g->ingress, &g->n_ingress,
                     sizeof(*g->ingress), perm_parse, perm_release);
    if (!rc)
        rc = x_items(cf_xml_child(it, "ipPermissionsEgress"), (void **)&g->egress, &g->n_egress,
                     sizeof(*g->egress), perm_parse, perm_release);
    if (!rc)
        rc = x_tags(it, &g->tags, &g->n_tags);
    return rc;
}

int cf_ec2_parse_security_groups(cf_ec2_sg_list *l, xmlDoc *doc)
{
    return x_items(cf_xml_child(x_root(doc), "securityGroupInfo"), (void **)&l->items, &l->n,
                   sizeof(*l->items), sg_parse, sg_release);
}

void cf_ec2_sg_list_free(cf_ec2_sg_list *l)
{
    if (l)
        cf_svc_items_free(l->items, l->n, sizeof(*l->items), sg_release);
    free(l);
}

/* ---- volumes, snapshots --------------------------------------------------------------------- */

static void vatt_release(void *elem)
{
    cf_ec2_volume_attachment *a = elem;

    free(a->instance_id);
    free(a->device);
    free(a->state);
}

static int vatt_parse(xmlNode *it, void *elem)
{
    cf_ec2_volume_attachment *a = elem;
    int rc = x_str(it, "instanceId", &a->instance_id);

    if (!rc)
        rc = x_str(it, "device", &a->device);
    if (!rc)
        rc = x_str(it, "status", &a->state);
    if (!rc)
        rc = cf_svc_xml_bool(it, "deleteOnTermination", &a->delete_on_termination);
    return rc;
}

static void volume_release(void *elem)
{
    cf_ec2_volume *v = elem;

    free(v->id);
    free(v->state);
    free(v->az);
    free(v->volume_type);
    free(v->snapshot_id);
    free(v->create_time);
    free(v->kms_key_id);
    cf_svc_items_free(v->attachments, v->n_attachments, sizeof(*v->attachments), vatt_release);
    tags_free(v->tags, v->n_tags);
}

static int volume_parse(xmlNode *it, void *elem)
{
    cf_ec2_volume *v = elem;
    int rc = x_str(it, "volumeId", &v->id);

    if (!rc)
        rc = x_need(v->id, "volume");
    if (!rc)
        rc = x_str(it, "status", &v->state);
    if (!rc)
        rc = x_str(it, "availabilityZone", &v->az);
    if (!rc)
        rc = x_str(it, "volumeType", &v->volume_type);
    if (!rc)
        rc = x_str(it, "snapshotId", &v->snapshot_id);
    if (v->snapshot_id && !v->snapshot_id[0]) { /* EC2 sends <snapshotId/> for none */
        free(v->snapshot_id);
        v->snapshot_id = NULL;
    }
    if (!rc)
        rc = x_str(it, "createTime", &v->create_time);
    if (!rc)
        rc = x_str(it, "kmsKeyId", &v->kms_key_id);
    if (!rc)
        rc = cf_svc_xml_i64(it, "size", &v->size_gib);
    if (!rc)
        rc = cf_svc_xml_bool(it, "encrypted", &v->encrypted);
    if (!rc)
        rc = x_items(cf_xml_child(it, "attachmentSet"), (void **)&v->attachments, &v->n_attachments,
                     sizeof(*v->attachments), vatt_parse, vatt_release);
    if (!rc)
        rc = x_tags(it, &v->tags, &v->n_tags);
    return rc;
}

int cf_ec2_parse_volumes(cf_ec2_volume_list *l, xmlDoc *doc)
{
    return x_items(cf_xml_child(x_root(doc), "volumeSet"), (void **)&l->items, &l->n,
                   sizeof(*l->items), volume_parse, volume_release);
}

void cf_ec2_volume_list_free(cf_ec2_volume_list *l)
{
    if (l)
        cf_svc_items_free(l->items, l->n, sizeof(*l->items), volume_release);
    free(l);
}

static void snapshot_release(void *elem)
{
    cf_ec2_snapshot *s = elem;

    free(s->id);
    free(s->volume_id);
    free(s->state);
    free(s->state_message);
    free(s->progress);
    free(s->start_time);
    free(s->description);
    free(s->owner_id);
    free(s->kms_key_id);
    tags_free(s->tags, s->n_tags);
}

static int snapshot_parse(xmlNode *it, void *elem)
{
    cf_ec2_snapshot *s = elem;
    int rc = x_str(it, "snapshotId", &s->id);

    if (!rc)
        rc = x_need(s->id, "snapshot");
    if (!rc)
        rc = x_str(it, "volumeId", &s->volume_id);
    if (!rc)
        rc = x_str(it, "status", &s->state);
    if (!rc)
        rc = x_str(it, "statusMessage", &s->state_message);
    if (!rc)
        rc = x_str(it, "progress", &s->progress);
    if (!rc)
        rc = x_str(it, "startTime", &s->start_time);
    if (!rc)
        rc = x_str(it, "description", &s->description);
    if (!rc)
        rc = x_str(it, "ownerId", &s->owner_id);
    if (!rc)
        rc = x_str(it, "kmsKeyId", &s->kms_key_id);
    if (!rc)
        rc = cf_svc_xml_i64(it, "volumeSize", &s->volume_size_gib);
    if (!rc)
        rc = cf_svc_xml_bool(it, "encrypted", &s->encrypted);
    if (!rc)
        rc = x_tags(it, &s->tags, &s->n_tags);
    return rc;
}

int cf_ec2_parse_snapshots(cf_ec2_snapshot_list *l, xmlDoc *doc)
{
    return x_items(cf_xml_child(x_root(doc), "snapshotSet"), (void **)&l->items, &l->n,
                   sizeof(*l->items), snapshot_parse, snapshot_release);
}

void cf_ec2_snapshot_list_free(cf_ec2_snapshot_list *l)
{
    if (l)
        cf_svc_items_free(l->items, l->n, sizeof(*l->items), snapshot_release);
    free(l);
}

/* ---- profile associations, addresses -------------------------------------------------------- */

static void passoc_release(void *elem)
{
    cf_ec2_profile_assoc *a = elem;

    free(a->id);
    free(a->instance_id);
    free(a->profile_arn);
    free(a->profile_id);
    free(a->state);
}

static int passoc_parse(xmlNode *it, void *elem)
{
    cf_ec2_profile_assoc *a = elem;
    int rc = x_str(it, "associationId", &a->id);

    if (!rc)
        rc = x_need(a->id, "instance profile association");
    if (!rc)
        rc = x_str(it, "instanceId", &a->instance_id);
    if (!rc)
        rc = x_str(it, "iamInstanceProfile/arn", &a->profile_arn);
    if (!rc)
        rc = x_str(it, "iamInstanceProfile/id", &a->profile_id);
    if (!rc)
        rc = x_str(it, "state", &a->state);
    return rc;
}

int cf_ec2_parse_profile_assocs(cf_ec2_profile_assoc_list *l, xmlDoc *doc)
{
    return x_items(cf_xml_child(x_root(doc), "iamInstanceProfileAssociationSet"),
                   (void **)&l->items, &l->n, sizeof(*l->items), passoc_parse, passoc_release);
}

void cf_ec2_profile_assoc_list_free(cf_ec2_profile_assoc_list *l)
{
    if (l)
        cf_svc_items_free(l->items, l->n, sizeof(*l->items), passoc_release);
    free(l);
}

static void address_release(void *elem)
{
    cf_ec2_address *a = elem;

    free(a->public_ip);
    free(a->allocation_id);
    free(a->association_id);
    free(a->instance_id);
    free(a->eni_id);
    free(a->private_ip);
    free(a->domain);
    tags_free(a->tags, a->n_tags);
}

static int address_parse(xmlNode *it, void *elem)
{
    cf_ec2_address *a = elem;
    int rc = x_str(it, "publicIp", &a->public_ip);

    if (!rc)
        rc = x_need(a->public_ip, "address");
    if (!rc)
        rc = x_str(it, "allocationId", &a->allocation_id);
    if (!rc)
        rc = x_str(it, "associationId", &a->association_id);
    if (!rc)
        rc = x_str(it, "instanceId", &a->instance_id);
    if (!rc)
        rc = x_str(it, "networkInterfaceId", &a->eni_id);
    if (!rc)
        rc = x_str(it, "privateIpAddress", &a->private_ip);
    if (!rc)
        rc = x_str(it, "domain", &a->domain);
    if (!rc)
        rc = x_tags(it, &a->tags, &a->n_tags);
    return rc;
}

int cf_ec2_parse_addresses(cf_ec2_address_list *l, xmlDoc *doc)
{
    return x_items(cf_xml_child(x_root(doc), "addressesSet"), (void **)&l->items, &l->n,
                   sizeof(*l->items), address_parse, address_release);
}

void cf_ec2_address_list_free(cf_ec2_address_list *l)
{
    if (l)
        cf_svc_items_free(l->items, l->n, sizeof(*l->items), address_release);
    free(l);
}

/* ---- describe calls ------------------------------------------------------------------------- */

/* One Describe call: allocates the list (a struct of {items, n}), runs the paginated query and
 * hands the list over, or frees it with free_fn on failure. */
static int describe_into(void **out, size_t list_sz, void (*free_fn)(void *), cf_aws *aws,
                         const char *action, const cf_ec2_query *q, const char *id_prefix,
                         const char *owner, page_parse_fn parse)
{
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    void *list = NULL;
    int rc = 0;

    *out = NULL;
    if (!aws) {
        rc = cf_error_set(CF_EINVAL, "ec2 %s: no client", action);
        goto cleanup;
    }
    list = calloc(1, list_sz);
    if (!list) {
        rc = cf_svc_oom();
        goto cleanup;
    }
    rc = p_query(&p, q, id_prefix);
    if (!rc && owner)
        rc = cf_aws_params_add(&p, "Owner.1", owner);
    if (!rc)
        rc = describe(aws, action, &p, list, parse);
    if (rc)
        goto cleanup;
    *out = list;
    list = NULL;
cleanup:
    if (list)
        free_fn(list);
    cf_aws_params_release(&p);
    return rc;
}

#define DESCRIBE_FN(fname, ltype, action, prefix, parser, freer)                                   \
    static int fname##_parse_v(void *l, xmlDoc *d)                                                 \
    {                                                                                              \
        return parser((ltype *)l, d);                                                              \
    }                                                                                              \
    static void fname##_free_v(void *l)                                                            \
    {                                                                                              \
        freer((ltype *)l);                                                                         \
    }                                                                                              \
    int fname(ltype **out, cf_aws *aws, const cf_ec2_query *q)                                     \
    {                                                                                              \
        return describe_into((void **)out, sizeof(ltype), fname##_free_v, aws, action, q, prefix,  \
                             NULL, fname##_parse_v);                                               \
    }

DESCRIBE_FN(cf_ec2_describe_instances, cf_ec2_instance_list, "DescribeInstances", "InstanceId",
            cf_ec2_parse_instances, cf_ec2_instance_list_free)
DESCRIBE_FN(cf_ec2_describe_network_interfaces, cf_ec2_eni_list, "DescribeNetworkInterfaces",
            "NetworkInterfaceId", cf_ec2_parse_network_interfaces, cf_ec2_eni_list_free)
DESCRIBE_FN(cf_ec2_describe_subnets, cf_ec2_subnet_list, "DescribeSubnets", "SubnetId",
            cf_ec2_parse_subnets, cf_ec2_subnet_list_free)
DESCRIBE_FN(cf_ec2_describe_vpcs, cf_ec2_vpc_list, "DescribeVpcs", "VpcId", cf_ec2_parse_vpcs,
            cf_ec2_vpc_list_free)
DESCRIBE_FN(cf_ec2_describe_network_acls, cf_ec2_acl_list, "DescribeNetworkAcls", "NetworkAclId",
            cf_ec2_parse_network_acls, cf_ec2_acl_list_free)
DESCRIBE_FN(cf_ec2_describe_security_groups, cf_ec2_sg_list, "DescribeSecurityGroups", "GroupId",
            cf_ec2_parse_security_groups, cf_ec2_sg_list_free)
DESCRIBE_FN(cf_ec2_describe_volumes, cf_ec2_volume_list, "DescribeVolumes", "VolumeId",
            cf_ec2_parse_volumes, cf_ec2_volume_list_free)
DESCRIBE_FN(cf_ec2_describe_iam_instance_profile_associations, cf_ec2_profile_assoc_list,
            "DescribeIamInstanceProfileAssociations", "AssociationId", cf_ec2_parse_profile_assocs,
            cf_ec2_profile_assoc_list_free)

static int snapshots_parse_v(void *l, xmlDoc *d)
{
    return cf_ec2_parse_snapshots(l, d);
}
static void snapshots_free_v(void *l)
{
    cf_ec2_snapshot_list_free(l);
}

int cf_ec2_describe_snapshots(cf_ec2_snapshot_list **out, cf_aws *aws, const cf_ec2_query *q,
                              const char *owner)
{
    return describe_into((void **)out, sizeof(cf_ec2_snapshot_list), snapshots_free_v, aws,
                         "DescribeSnapshots", q, "SnapshotId", owner, snapshots_parse_v);
}

static int addresses_parse_v(void *l, xmlDoc *d)
{
    return cf_ec2_parse_addresses(l, d);
}
static void addresses_free_v(void *l)
{
    cf_ec2_address_list_free(l);
}

int cf_ec2_describe_addresses(cf_ec2_address_list **out, cf_aws *aws, const cf_ec2_query *q)
{
    cf_ec2_query q2 = {0};

    if (q) { /* DescribeAddresses takes no MaxResults */
        q2 = *q;
        q2.max_results = 0;
    }
    return describe_into((void **)out, sizeof(cf_ec2_address_list), addresses_free_v, aws,
                         "DescribeAddresses", q ? &q2 : NULL, "AllocationId", NULL,
                         addresses_parse_v);
}

/* ---- mutating calls ------------------------------------------------------------------------- */

static int need(const char *v, const char *what)
{
    return (v && *v) ? 0 : cf_error_set(CF_EINVAL, "ec2: %s is required", what);
}

int cf_ec2_create_network_acl_entry(cf_aws *aws, const cf_ec2_acl_entry_spec *s, int dry_run)
{
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    int rc = 0;

    if (!s) {
        rc = cf_error_set(CF_EINVAL, "ec2 CreateNetworkAclEntry: no entry");
        goto cleanup;
    }
    rc = need(s->acl_id, "acl_id");
    if (!rc)
        rc = need(s->action, "action");
    if (!rc && s->rule_number < 1)
        rc = cf_error_set(CF_EINVAL, "ec2 CreateNetworkAclEntry: bad rule number %d",
                          s->rule_number);
    if (!rc && !s->cidr == !s->ipv6_cidr)
        rc = cf_error_set(CF_EINVAL, "ec2 CreateNetworkAclEntry: need exactly one CIDR");
    if (rc)
        goto cleanup;
    rc = cf_aws_params_add(&p, "NetworkAclId", s->acl_id);
    if (!rc)
        rc = cf_aws_params_addf(&p, "RuleNumber", "%d", s->rule_number);
    if (!rc)
        rc = cf_aws_params_add(&p, "Protocol", s->protocol ? s->protocol : "-1");
    if (!rc)
        rc = cf_aws_params_add(&p, "RuleAction", s->action);
    if (!rc)
        rc = cf_aws_params_add(&p, "Egress", s->egress ? "true" : "false");
    if (!rc)
        rc = cf_aws_params_add(&p, s->cidr ? "CidrBlock" : "Ipv6CidrBlock",
                               s->cidr ? s->cidr : s->ipv6_cidr);
    if (!rc && s->port_to > 0) {
        rc = cf_aws_params_addf(&p, "PortRange.From", "%d", s->port_from);
        if (!rc)
            rc = cf_aws_params_addf(&p, "PortRange.To", "%d", s->port_to);
    }
    if (!rc)
        rc = ec2_simple(aws, "CreateNetworkAclEntry", &p, dry_run);
cleanup:
    cf_aws_params_release(&p);
    return rc;
}

int cf_ec2_delete_network_acl_entry(cf_aws *aws, const char *acl_id, int rule_number, int egress,
                                    int dry_run)
{
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    int rc = need(acl_id, "acl_id");

    if (!rc)
        rc = cf_aws_params_add(&p, "NetworkAclId", acl_id);
    if (!rc)
        rc = cf_aws_params_addf(&p, "RuleNumber", "%d", rule_number);
    if (!rc)
        rc = cf_aws_params_add(&p, "Egress", egress ? "true" : "false");
    if (!rc)
        rc = ec2_simple(aws, "DeleteNetworkAclEntry", &p, dry_run);
    cf_aws_params_release(&p);
    return rc;
}

int cf_ec2_create_security_group(char **group_id_out, cf_aws *aws, const char *name,
                                 const char *description, const char *vpc_id,
                                 const cf_ec2_tag_spec *tags, size_t n_tags, int dry_run)
{
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    int rc = 0;

    if (group_id_out)
        *group_id_out = NULL;
    rc = need(name, "group name");
    if (!rc)
        rc = cf_aws_params_add(&p, "GroupName", name);
    if (!rc)
        rc = cf_aws_params_add(&p, "GroupDescription", description ? description : name);
    if (!rc && vpc_id)
        rc = cf_aws_params_add(&p, "VpcId", vpc_id);
    if (!rc)
        rc = p_tag_spec(&p, 1, "security-group", tags, n_tags);
    if (!rc)
        rc = ec2_mutate(aws, "CreateSecurityGroup", &p, dry_run, &r);
    if (rc == 0 && group_id_out) {
        rc = x_str(x_root(r.xml), "groupId", group_id_out);
        if (!rc && !*group_id_out)
            rc = cf_error_set(CF_EPARSE, "ec2 CreateSecurityGroup: no groupId in the answer");
    }
    cf_aws_response_release(&r);
    cf_aws_params_release(&p);
    return rc;
}

static int p_perms(cf_aws_params *p, const cf_ec2_ip_perm_spec *perms, size_t n)
{
    char name[128];
    int rc = 0;

    if (n && !perms)
        return cf_error_set(CF_EINVAL, "ec2: n permissions without permissions");
    for (size_t i = 0; !rc && i < n; i++) {
        const cf_ec2_ip_perm_spec *s = &perms[i];
        size_t k = i + 1;
        if (!rc)
            rc = cf_svc_pname(name, sizeof(name), "IpPermissions.%zu.IpProtocol", k);
        if (!rc)
            rc = cf_aws_params_add(p, name, s->protocol ? s->protocol : "-1");
        if (!rc && s->from_port >= 0 && s->to_port >= 0) {
            if (!rc)
                rc = cf_svc_pname(name, sizeof(name), "IpPermissions.%zu.FromPort", k);
            if (!rc)
                rc = cf_aws_params_addf(p, name, "%d", s->from_port);
            if (!rc)
                rc = cf_svc_pname(name, sizeof(name), "IpPermissions.%zu.ToPort", k);
            if (!rc)
                rc = cf_aws_params_addf(p, name, "%d", s->to_port);
        }
        for (size_t j = 0; !rc && j < s->n_cidrs; j++) {
            if (!rc)
                rc = cf_svc_pname(name, sizeof(name), "IpPermissions.%zu.IpRanges.%zu.CidrIp", k,
                                  j + 1);
            if (!rc)
                rc = s->cidrs && s->cidrs[j] ? cf_aws_params_add(p, name, s->cidrs[j])
                                             : cf_error_set(CF_EINVAL, "ec2: NULL CIDR");
        }
        for (size_t j = 0; !rc && j < s->n_ipv6_cidrs; j++) {
            if (!rc)
                rc = cf_svc_pname(name, sizeof(name), "IpPermissions.%zu.Ipv6Ranges.%zu.CidrIpv6",
                                  k, j + 1);
            if (!rc)
                rc = s->ipv6_cidrs && s->ipv6_cidrs[j]
                         ? cf_aws_params_add(p, name, s->ipv6_cidrs[j])
                         : cf_error_set(CF_EINVAL, "ec2: NULL IPv6 CIDR");
        }
        for (size_t j = 0; !rc && j < s->n_group_ids; j++) {
            if (!rc)
                rc = cf_svc_pname(name, sizeof(name), "IpPermissions.%zu.Groups.%zu.GroupId", k,
                                  j + 1);
            if (!rc)
                rc = s->group_ids && s->group_ids[j] ? cf_aws_params_add(p, name, s->group_ids[j])
                                                     : cf_error_set(CF_EINVAL, "ec2: NULL group");
        }
    }
    return rc;
}

static int sg_rules(cf_aws *aws, const char *action, const char *group_id,
                    const cf_ec2_ip_perm_spec *perms, size_t n, int dry_run)
{
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    int rc = need(group_id, "group id");

    if (!rc && n == 0)
        rc = cf_error_set(CF_EINVAL, "ec2 %s: no permissions", action);
    if (!rc)
        rc = cf_aws_params_add(&p, "GroupId", group_id);
    if (!rc)
        rc = p_perms(&p, perms, n);
    if (!rc)
        rc = ec2_simple(aws, action, &p, dry_run);
    cf_aws_params_release(&p);
    return rc;
}

int cf_ec2_authorize_security_group_ingress(cf_aws *aws, const char *group_id,
                                            const cf_ec2_ip_perm_spec *perms, size_t n, int dry_run)
{
    return sg_rules(aws, "AuthorizeSecurityGroupIngress", group_id, perms, n, dry_run);
}

int cf_ec2_authorize_security_group_egress(cf_aws *aws, const char *group_id,
                                           const cf_ec2_ip_perm_spec *perms, size_t n, int dry_run)
{
    return sg_rules(aws, "AuthorizeSecurityGroupEgress", group_id, perms, n, dry_run);
}

int cf_ec2_revoke_security_group_egress(cf_aws *aws, const char *group_id,
                                        const cf_ec2_ip_perm_spec *perms, size_t n, int dry_run)
{
    return sg_rules(aws, "RevokeSecurityGroupEgress", group_id, perms, n, dry_run);
}

int cf_ec2_set_eni_groups(cf_aws *aws, const char *eni_id, const char *const *group_ids, size_t n,
                          int dry_run)
{
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    int rc = need(eni_id, "network interface id");

    if (!rc && n == 0)
        rc = cf_error_set(CF_EINVAL, "ec2 ModifyNetworkInterfaceAttribute: no groups");
    if (!rc)
        rc = cf_aws_params_add(&p, "NetworkInterfaceId", eni_id);
    if (!rc)
        rc = cf_svc_params_list(&p, "SecurityGroupId", ".", group_ids, n);
    if (!rc)
        rc = ec2_simple(aws, "ModifyNetworkInterfaceAttribute", &p, dry_run);
    cf_aws_params_release(&p);
    return rc;
}

static int modify_instance(cf_aws *aws, const char *instance_id, const char *name,
                           const char *value, const char *const *groups, size_t n_groups,
                           int dry_run)
{
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    int rc = need(instance_id, "instance id");

    if (!rc)
        rc = cf_aws_params_add(&p, "InstanceId", instance_id);
    if (!rc && name)
        rc = cf_aws_params_add(&p, name, value);
    if (!rc && groups)
        rc = cf_svc_params_list(&p, "GroupId", ".", groups, n_groups);
    if (!rc)
        rc = ec2_simple(aws, "ModifyInstanceAttribute", &p, dry_run);
    cf_aws_params_release(&p);
    return rc;
}

int cf_ec2_set_termination_protection(cf_aws *aws, const char *instance_id, int enabled,
                                      int dry_run)
{
    return modify_instance(aws, instance_id, "DisableApiTermination.Value",
                           enabled ? "true" : "false", NULL, 0, dry_run);
}

int cf_ec2_set_shutdown_behavior(cf_aws *aws, const char *instance_id, const char *behavior,
                                 int dry_run)
{
    if (!behavior || (strcmp(behavior, "stop") && strcmp(behavior, "terminate")))
        return cf_error_set(CF_EINVAL, "ec2: shutdown behavior must be stop or terminate");
    return modify_instance(aws, instance_id, "InstanceInitiatedShutdownBehavior.Value", behavior,
                           NULL, 0, dry_run);
}

int cf_ec2_set_instance_groups(cf_aws *aws, const char *instance_id, const char *const *group_ids,
                               size_t n, int dry_run)
{
    if (n == 0 || !group_ids)
        return cf_error_set(CF_EINVAL, "ec2 ModifyInstanceAttribute: no groups");
    return modify_instance(aws, instance_id, NULL, NULL, group_ids, n, dry_run);
}

/* A create call whose answer names the new resource at the root (elem). */
static int create_named(char **id_out, cf_aws *aws, const char *action, cf_aws_params *p,
                        int dry_run, const char *elem)
{
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    int rc = ec2_mutate(aws, action, p, dry_run, &r);

    if (rc == 0 && id_out) {
        rc = x_str(x_root(r.xml), elem, id_out);
        if (!rc && !*id_out)
            rc = cf_error_set(CF_EPARSE, "ec2 %s: no %s in the answer", action, elem);
    }
    cf_aws_response_release(&r);
    return rc;
}

int cf_ec2_create_snapshot(char **snapshot_id_out, cf_aws *aws, const char *volume_id,
                           const char *description, const cf_ec2_tag_spec *tags, size_t n_tags,
                           int dry_run)
{
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    int rc = 0;

    if (snapshot_id_out)
        *snapshot_id_out = NULL;
    rc = need(volume_id, "volume id");
    if (!rc)
        rc = cf_aws_params_add(&p, "VolumeId", volume_id);
    if (!rc && description)
        rc = cf_aws_params_add(&p, "Description", description);
    if (!rc)
        rc = p_tag_spec(&p, 1, "snapshot", tags, n_tags);
    if (!rc)
        rc = create_named(snapshot_id_out, aws, "CreateSnapshot", &p, dry_run, "snapshotId");
    cf_aws_params_release(&p);
    return rc;
}

int cf_ec2_create_volume(char **volume_id_out, cf_aws *aws, const cf_ec2_volume_spec *s,
                         int dry_run)
{
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    int rc = 0;

    if (volume_id_out)
        *volume_id_out = NULL;
    if (!s)
        return cf_error_set(CF_EINVAL, "ec2 CreateVolume: no spec");
    rc = need(s->az, "availability zone");
    if (!rc && !s->snapshot_id && s->size_gib <= 0)
        rc = cf_error_set(CF_EINVAL, "ec2 CreateVolume: need a snapshot or a size");
    if (!rc)
        rc = cf_aws_params_add(&p, "AvailabilityZone", s->az);
    if (!rc && s->snapshot_id)
        rc = cf_aws_params_add(&p, "SnapshotId", s->snapshot_id);
    if (!rc && s->size_gib > 0)
        rc = cf_aws_params_addf(&p, "Size", "%lld", (long long)s->size_gib);
    if (!rc && s->volume_type)
        rc = cf_aws_params_add(&p, "VolumeType", s->volume_type);
    if (!rc && s->client_token)
        rc = cf_aws_params_add(&p, "ClientToken", s->client_token);
    if (!rc)
        rc = p_tag_spec(&p, 1, "volume", s->tags, s->n_tags);
    if (!rc)
        rc = create_named(volume_id_out, aws, "CreateVolume", &p, dry_run, "volumeId");
    cf_aws_params_release(&p);
    return rc;
}

int cf_ec2_attach_volume(cf_aws *aws, const char *volume_id, const char *instance_id,
                         const char *device, int dry_run)
{
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    int rc = need(volume_id, "volume id");

    if (!rc)
        rc = need(instance_id, "instance id");
    if (!rc)
        rc = need(device, "device");
    if (!rc)
        rc = cf_aws_params_add(&p, "VolumeId", volume_id);
    if (!rc)
        rc = cf_aws_params_add(&p, "InstanceId", instance_id);
    if (!rc)
        rc = cf_aws_params_add(&p, "Device", device);
    if (!rc)
        rc = ec2_simple(aws, "AttachVolume", &p, dry_run);
    cf_aws_params_release(&p);
    return rc;
}

int cf_ec2_detach_volume(cf_aws *aws, const char *volume_id, const char *instance_id, int force,
                         int dry_run)
{
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    int rc = need(volume_id, "volume id");

    if (!rc)
        rc = need(instance_id, "instance id");
    if (!rc)
        rc = cf_aws_params_add(&p, "VolumeId", volume_id);
    if (!rc)
        rc = cf_aws_params_add(&p, "InstanceId", instance_id);
    if (!rc && force)
        rc = cf_aws_params_add(&p, "Force", "true");
    if (!rc)
        rc = ec2_simple(aws, "DetachVolume", &p, dry_run);
    cf_aws_params_release(&p);
    return rc;
}

int cf_ec2_delete_volume(cf_aws *aws, const char *volume_id, int dry_run)
{
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    int rc = need(volume_id, "volume id");

    if (!rc)
        rc = cf_aws_params_add(&p, "VolumeId", volume_id);
    if (!rc)
        rc = ec2_simple(aws, "DeleteVolume", &p, dry_run);
    cf_aws_params_release(&p);
    return rc;
}

int cf_ec2_run_instances(cf_ec2_instance_list **out, cf_aws *aws, const cf_ec2_run_spec *s,
                         int dry_run)
{
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    cf_ec2_instance_list *l = NULL;
    int rc = 0;

    if (out)
        *out = NULL;
    if (!s) {
        rc = cf_error_set(CF_EINVAL, "ec2 RunInstances: no spec");
        goto cleanup;
    }
    rc = need(s->image_id, "image id");
    if (!rc)
        rc = cf_aws_params_add(&p, "ImageId", s->image_id);
    if (!rc)
        rc =
            cf_aws_params_add(&p, "InstanceType", s->instance_type ? s->instance_type : "t3.micro");
    if (!rc)
        rc = cf_aws_params_add(&p, "MinCount", "1");
    if (!rc)
        rc = cf_aws_params_add(&p, "MaxCount", "1");
    if (!rc && s->subnet_id)
        rc = cf_aws_params_add(&p, "SubnetId", s->subnet_id);
    if (!rc && s->n_group_ids)
        rc = cf_svc_params_list(&p, "SecurityGroupId", ".", s->group_ids, s->n_group_ids);
    if (!rc && s->profile_name)
        rc = cf_aws_params_add(&p, "IamInstanceProfile.Name", s->profile_name);
    else if (!rc && s->profile_arn)
        rc = cf_aws_params_add(&p, "IamInstanceProfile.Arn", s->profile_arn);
    if (!rc && s->key_name)
        rc = cf_aws_params_add(&p, "KeyName", s->key_name);
    if (!rc && s->user_data_b64)
        rc = cf_aws_params_add(&p, "UserData", s->user_data_b64);
    if (!rc && s->client_token)
        rc = cf_aws_params_add(&p, "ClientToken", s->client_token);
    if (!rc && s->imdsv2_required)
        rc = cf_aws_params_add(&p, "MetadataOptions.HttpTokens", "required");
    if (!rc && s->shutdown_behavior)
        rc = cf_aws_params_add(&p, "InstanceInitiatedShutdownBehavior", s->shutdown_behavior);
    if (!rc)
        rc = p_tag_spec(&p, 1, "instance", s->tags, s->n_tags);
    if (!rc)
        rc = p_tag_spec(&p, 2, "volume", s->tags, s->n_tags);
    if (rc)
        goto cleanup;
    rc = ec2_mutate(aws, "RunInstances", &p, dry_run, &r);
    if (rc != 0)
        goto cleanup;
    l = calloc(1, sizeof(*l));
    if (!l) {
        rc = cf_svc_oom();
        goto cleanup;
    }
    rc = cf_ec2_parse_instances(l, r.xml);
    if (!rc && l->n == 0)
        rc = cf_error_set(CF_EPARSE, "ec2 RunInstances: no instance in the answer");
    if (rc)
        goto cleanup;
    if (out) {
        *out = l;
        l = NULL;
    }
cleanup:
    cf_ec2_instance_list_free(l);
    cf_aws_response_release(&r);
    cf_aws_params_release(&p);
    return rc;
}

int cf_ec2_terminate_instances(cf_aws *aws, const char *const *ids, size_t n, int dry_run)
{
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    int rc = (n && ids) ? 0 : cf_error_set(CF_EINVAL, "ec2 TerminateInstances: no instances");

    if (!rc)
        rc = cf_svc_params_list(&p, "InstanceId", ".", ids, n);
    if (!rc)
        rc = ec2_simple(aws, "TerminateInstances", &p, dry_run);
    cf_aws_params_release(&p);
    return rc;
}

int cf_ec2_create_tags(cf_aws *aws, const char *const *resource_ids, size_t n_ids,
                       const cf_ec2_tag_spec *tags, size_t n_tags, int dry_run)
{
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    char name[64];
    int rc = (n_ids && resource_ids && n_tags && tags)
                 ? 0
                 : cf_error_set(CF_EINVAL, "ec2 CreateTags: need resources and tags");

    if (!rc)
        rc = cf_svc_params_list(&p, "ResourceId", ".", resource_ids, n_ids);
    for (size_t i = 0; !rc && i < n_tags; i++) {
        if (!tags[i].key) {
            rc = cf_error_set(CF_EINVAL, "ec2 CreateTags: tag without a key");
            break;
        }
        if (!rc)
            rc = cf_svc_pname(name, sizeof(name), "Tag.%zu.Key", i + 1);
        if (!rc)
            rc = cf_aws_params_add(&p, name, tags[i].key);
        if (!rc)
            rc = cf_svc_pname(name, sizeof(name), "Tag.%zu.Value", i + 1);
        if (!rc)
            rc = cf_aws_params_add(&p, name, tags[i].value ? tags[i].value : "");
    }
    if (!rc)
        rc = ec2_simple(aws, "CreateTags", &p, dry_run);
    cf_aws_params_release(&p);
    return rc;
}

int cf_ec2_replace_iam_instance_profile_association(char **new_assoc_id_out, cf_aws *aws,
                                                    const char *assoc_id, const char *profile_name,
                                                    const char *profile_arn, int dry_run)
{
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    int rc = 0;

    if (new_assoc_id_out)
        *new_assoc_id_out = NULL;
    rc = need(assoc_id, "association id");
    if (!rc && !profile_name == !profile_arn)
        rc = cf_error_set(CF_EINVAL, "ec2: need exactly one of profile name / ARN");
    if (!rc)
        rc = cf_aws_params_add(&p, "AssociationId", assoc_id);
    if (!rc)
        rc = cf_aws_params_add(&p,
                               profile_name ? "IamInstanceProfile.Name" : "IamInstanceProfile.Arn",
                               profile_name ? profile_name : profile_arn);
    if (!rc)
        rc = create_named(new_assoc_id_out, aws, "ReplaceIamInstanceProfileAssociation", &p,
                          dry_run, "iamInstanceProfileAssociation/associationId");
    cf_aws_params_release(&p);
    return rc;
}

int cf_ec2_disassociate_address(cf_aws *aws, const char *association_id, int dry_run)
{
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    int rc = need(association_id, "association id");

    if (!rc)
        rc = cf_aws_params_add(&p, "AssociationId", association_id);
    if (!rc)
        rc = ec2_simple(aws, "DisassociateAddress", &p, dry_run);
    cf_aws_params_release(&p);
    return rc;
}

int cf_ec2_get_instance_attribute(char **value_out, cf_aws *aws, const char *instance_id,
                                  const char *attribute)
{
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    char path[128];
    const char *v;
    int rc = need(instance_id, "instance id");

    *value_out = NULL;
    if (!rc)
        rc = need(attribute, "attribute");
    if (!rc)
        rc = cf_svc_pname(path, sizeof(path), "%s/value", attribute);
    if (!rc)
        rc = cf_aws_params_add(&p, "InstanceId", instance_id);
    if (!rc)
        rc = cf_aws_params_add(&p, "Attribute", attribute);
    if (rc)
        goto cleanup;
    rc = cf_aws_query(aws, &cf_aws_svc_ec2, "DescribeInstanceAttribute", &p, &r);
    if (rc) {
        cf_error_wrap("ec2 DescribeInstanceAttribute");
        goto cleanup;
    }
    v = r.xml ? cf_xml_text(xmlDocGetRootElement(r.xml), path) : NULL;
    if (v && *v) {
        *value_out = strdup(v);
        if (!*value_out)
            rc = cf_svc_oom();
    }
cleanup:
    cf_aws_response_release(&r);
    cf_aws_params_release(&p);
    return rc;
}
