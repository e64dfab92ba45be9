/* cf_json: jansson helpers for untrusted JSON. Every load is size- and depth-bounded. */
#ifndef CF_JSON_H
#define CF_JSON_H

#include <jansson.h>
#include <stddef.h>

#define CF_JSON_MAX_DEPTH 64

/* Parses len bytes; rejects more than CF_JSON_MAX_DEPTH nesting. *out is a new reference. */
int cf_json_parse(const char *data, size_t len, json_t **out);
/* Reads and parses a file of at most max bytes. */
int cf_json_load_file(const char *path, size_t max, json_t **out);
/* Looks up a dotted path ("detail.resource.instanceDetails.instanceId"); NULL when absent.
 * Array elements by number: "a.0.b". Borrowed reference. */
json_t *cf_json_path(json_t *root, const char *path);
/* String at path, or NULL when absent or not a string. Borrowed. */
const char *cf_json_str(json_t *root, const char *path);
/* Writes one compact JSON object and '\n' to fp (JSON Lines). Invalid UTF-8 is never written:
 * use cf_json_string_lossy for untrusted bytes. */
int cf_json_write_line(void *fp /* FILE* */, json_t *obj);
/* A JSON string from arbitrary bytes: invalid UTF-8 sequences become U+FFFD. New reference. */
json_t *cf_json_string_lossy(const char *data, size_t len);

#endif
