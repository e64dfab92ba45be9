/* Fuzz target: the error-body parser of every protocol (XML Response/Errors/Error, ErrorResponse,
 * S3 Error; JSON __type/code/message) and the x-amzn-ErrorType header. The first byte picks the
 * HTTP status, the second whether the rest is also used as the header value. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/cf_aws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const long status[] = {400, 403, 404, 412, 429, 500, 503, 301};
    char *hdr;
    long st;
    if (size < 2)
        return 0;
    st = status[data[0] % 8];
    hdr = (data[1] & 1) ? strndup((const char *)data + 2, size - 2 > 256 ? 256 : size - 2) : NULL;
    cf_aws_error_from_response(st, (const char *)data + 2, size - 2, hdr, NULL);
    (void)cf_aws_error_retryable(st, cf_error_last()->aws_code);
    (void)cf_aws_error_is_dry_run_ok();
    free(hdr);
    return 0;
}
