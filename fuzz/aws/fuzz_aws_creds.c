/* Fuzz target: credential documents (container endpoint, IMDS, credential_process JSON). */
#include <stddef.h>
#include <stdint.h>

#include "aws/aws_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cf_aws_credentials c;
    (void)cf_aws_creds_parse_json((const char *)data, size, &c);
    return 0;
}
