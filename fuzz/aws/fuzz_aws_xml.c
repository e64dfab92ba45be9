/* Fuzz target: the untrusted-XML parser and the navigation helpers service parsers use. */
#include <stddef.h>
#include <stdint.h>

#include "aws/cf_aws.h"

static void walk(xmlNode *n, int depth)
{
    xmlNode *it;
    char buf[64];
    int64_t v;
    int b;
    if (!n || depth > 6)
        return;
    (void)cf_xml_text(n, NULL);
    (void)cf_xml_text_copy(n, "instanceId", buf, sizeof(buf));
    (void)cf_xml_int64(n, "size", &v);
    (void)cf_xml_bool(n, "isTruncated", &b);
    (void)cf_xml_path(n, "reservationSet/item/instancesSet");
    CF_XML_FOREACH(it, n, "item")
    walk(it, depth + 1);
    CF_XML_FOREACH(it, n, "member")
    walk(it, depth + 1);
    for (xmlNode *c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            walk(c, depth + 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    xmlDoc *doc = NULL;
    if (cf_xml_parse((const char *)data, size, &doc) == 0) {
        walk(xmlDocGetRootElement(doc), 0);
        xmlFreeDoc(doc);
    }
    return 0;
}
