/* Fuzz target: the bounded JSON parser and the lossy UTF-8 string builder. */
#include <stddef.h>
#include <stdint.h>

#include "common/cf_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *j = NULL;
    json_t *s;
    if (cf_json_parse((const char *)data, size, &j) == 0)
        json_decref(j);
    s = cf_json_string_lossy((const char *)data, size);
    json_decref(s);
    return 0;
}
