/* Fuzz target: SigV4 canonicalisation of hostile paths, queries and header values (what a
 * caller may pass through from untrusted input, e.g. S3 keys from a bundle). The input is split
 * at NUL bytes into path, query, header value. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/cf_sigv4.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size + 3);
    const char *parts[3];
    size_t k = 0, start = 0;
    cf_aws_params h = CF_AWS_PARAMS_INIT;
    cf_buf out = CF_BUF_INIT(1 << 22);
    cf_sigv4_request r = {0};
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    copy[size] = copy[size + 1] = copy[size + 2] = '\0';
    for (size_t i = 0; i <= size + 2 && k < 3; i++)
        if (copy[i] == '\0') {
            parts[k++] = copy + start;
            start = i + 1;
        }
    cf_aws_params_add(&h, "host", "example.amazonaws.com");
    cf_aws_params_add(&h, "X-Amz-Meta-Fuzz", parts[2]);
    r.method = "PUT";
    r.path = parts[0];
    r.query = parts[1];
    r.headers = &h;
    r.payload_hash = CF_SIGV4_UNSIGNED_PAYLOAD;
    r.region = "us-east-1";
    r.service = "s3";
    r.access_key_id = "AKID";
    r.secret_access_key = "SECRET";
    r.s3 = size & 1;
    (void)cf_sigv4_authorization(&r, &out);
    cf_buf_reset(&out);
    (void)cf_sigv4_presign_query(&r, 60, &out);
    cf_buf_release(&out);
    cf_aws_params_release(&h);
    free(copy);
    return 0;
}
