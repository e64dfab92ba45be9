/* XML helpers over libxml2 for untrusted AWS response bodies. */
#include "aws/cf_aws.h"

#include <errno.h>
#include <libxml/parser.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
    xmlInitParser(); /* once, before threads parse concurrently */
}

int cf_xml_parse(const char *data, size_t len, xmlDoc **out)
{
    xmlDoc *doc = NULL;
    *out = NULL;
    pthread_once(&xml_once, xml_init);
    if (len > (size_t)INT32_MAX)
        return cf_error_set(CF_ETOOBIG, "XML body of %zu bytes is too large", len);
    /* AWS never sends a DTD. Refusing any makes entity-expansion bombs and external entities
     * impossible, whatever the libxml2 version does by default. */
    if (memmem(data, len, "<!DOCTYPE", 9) || memmem(data, len, "<!ENTITY", 8))
        return cf_error_set(CF_EPARSE, "XML body has a DTD (refused)");
    doc = xmlReadMemory(data, (int)len, NULL, NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                            XML_PARSE_NOCDATA);
    if (!doc || !xmlDocGetRootElement(doc)) {
        if (doc)
            xmlFreeDoc(doc);
        return cf_error_set(CF_EPARSE, "malformed XML body (%zu bytes)", len);
    }
    *out = doc;
    return CF_OK;
}

static int name_is(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && n->name && strcmp((const char *)n->name, name) == 0;
}

xmlNode *cf_xml_child(xmlNode *node, const char *name)
{
    if (!node || !name)
        return NULL;
    for (xmlNode *c = node->children; c; c = c->next)
        if (name_is(c, name))
            return c;
    return NULL;
}

xmlNode *cf_xml_next(xmlNode *node, const char *name)
{
    if (!node || !name)
        return NULL;
    for (xmlNode *c = node->next; c; c = c->next)
        if (name_is(c, name))
            return c;
    return NULL;
}

xmlNode *cf_xml_path(xmlNode *node, const char *path)
{
    char part[256];
    const char *p = path;
    if (!node || !path)
        return NULL;
    while (*p && node) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (n >= sizeof(part))
            return NULL;
        memcpy(part, p, n);
        part[n] = '\0';
        if (n)
            node = cf_xml_child(node, part);
        p += n;
        if (*p == '/')
            p++;
    }
    return node;
}

const char *cf_xml_text(xmlNode *node, const char *path)
{
    const char *text = NULL;
    if (path && *path)
        node = cf_xml_path(node, path);
    if (!node || node->type != XML_ELEMENT_NODE)
        return NULL;
    for (xmlNode *c = node->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE)
            return NULL;
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && !text)
            text = (const char *)c->content;
    }
    return text ? text : "";
}

int cf_xml_text_copy(xmlNode *node, const char *path, char *out, size_t cap)
{
    const char *t = cf_xml_text(node, path);
    size_t n;
    if (cap)
        out[0] = '\0';
    if (!t)
        return cf_error_set(CF_ENOTFOUND, "XML element %s absent", path ? path : "");
    n = strlen(t);
    if (n >= cap)
        return cf_error_set(CF_ETOOBIG, "XML element %s: %zu bytes do not fit in %zu",
                            path ? path : "", n, cap);
    memcpy(out, t, n + 1);
    return CF_OK;
}

int cf_xml_int64(xmlNode *node, const char *path, int64_t *out)
{
    const char *t = cf_xml_text(node, path);
    char *end;
    long long v;
    if (!t)
        return cf_error_set(CF_ENOTFOUND, "XML element %s absent", path ? path : "");
    errno = 0;
    v = strtoll(t, &end, 10);
    if (end == t || *end || errno)
        return cf_error_set(CF_EPARSE, "XML element %s is not an integer", path ? path : "");
    *out = v;
    return CF_OK;
}

int cf_xml_bool(xmlNode *node, const char *path, int *out)
{
    const char *t = cf_xml_text(node, path);
    if (!t)
        return cf_error_set(CF_ENOTFOUND, "XML element %s absent", path ? path : "");
    if (strcmp(t, "true") == 0)
        *out = 1;
    else if (strcmp(t, "false") == 0)
        *out = 0;
    else
        return cf_error_set(CF_EPARSE, "XML element %s is not a boolean", path ? path : "");
    return CF_OK;
}
