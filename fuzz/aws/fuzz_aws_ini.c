/* Fuzz target: the shared config / credentials file parser and its lookups. */
#include <stddef.h>
#include <stdint.h>

#include "aws/cf_ini.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cf_ini *ini = NULL;
    if (cf_ini_parse((const char *)data, size, &ini) == 0) {
        (void)cf_ini_get(ini, "default", "region");
        (void)cf_ini_get(ini, "profile dev", "role_arn");
        (void)cf_ini_get_sub(ini, "services x", "s3", "endpoint_url");
        (void)cf_ini_has_section(ini, "default");
        cf_ini_free(ini);
    }
    return 0;
}
