/* Workloads for bench/aws/run (not a test): SigV4 signing, signed round trips on one client,
 * S3 upload + download of a file. Prints the elapsed seconds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/cf_aws.h"
#include "aws/cf_sigv4.h"
#include "aws/s3.h"
#include "aws/sts.h"
#include "common/cf_time.h"

static int bench_sign(int n)
{
    cf_aws_params h = CF_AWS_PARAMS_INIT;
    cf_buf out = CF_BUF_INIT(1 << 16);
    cf_sigv4_request r = {0};
    cf_aws_params_add(&h, "host", "ec2.us-east-1.amazonaws.com");
    cf_aws_params_add(&h, "x-amz-date", "20261127T123456Z");
    cf_aws_params_add(&h, "content-type", "application/x-www-form-urlencoded; charset=utf-8");
    r.method = "POST";
    r.path = "/";
    r.query = "";
    r.headers = &h;
    r.payload_hash = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072";
    r.region = "us-east-1";
    r.service = "ec2";
    r.access_key_id = "AKIDEXAMPLE";
    r.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    r.time_ns = 1795000000LL * CF_NS_PER_SEC;
    for (int i = 0; i < n; i++) {
        cf_buf_reset(&out);
        if (cf_sigv4_authorization(&r, &out))
            return 1;
    }
    cf_buf_release(&out);
    cf_aws_params_release(&h);
    return 0;
}

int main(int argc, char **argv)
{
    cf_aws *aws = NULL;
    int64_t t0;
    int n, rc = 0;
    if (argc < 3) {
        fprintf(stderr, "usage: aws_bench sign|sts N | s3 N FILE\n");
        return 2;
    }
    n = atoi(argv[2]);
    t0 = cf_time_monotonic();
    if (strcmp(argv[1], "sign") == 0) {
        rc = bench_sign(n);
    } else {
        if (cf_aws_new(&aws, NULL))
            goto fail;
        for (int i = 0; i < n && !rc; i++) {
            if (strcmp(argv[1], "sts") == 0) {
                cf_sts_identity id;
                rc = cf_sts_get_caller_identity(aws, &id);
            } else if (strcmp(argv[1], "s3") == 0 && argc > 3) {
                char out[4096];
                if (i == 0 && cf_s3_create_bucket(aws, "cf-bench"))
                    goto fail;
                snprintf(out, sizeof(out), "%s.down", argv[3]);
                rc = cf_s3_put_object_file(aws, "cf-bench", "bench/object", argv[3], NULL, NULL);
                if (!rc)
                    rc = cf_s3_get_object_file(aws, "cf-bench", "bench/object", out, NULL);
            } else {
                fprintf(stderr, "aws_bench: unknown workload\n");
                return 2;
            }
        }
        if (rc)
            goto fail;
    }
    printf("%.6f\n", (double)(cf_time_monotonic() - t0) / 1e9);
    cf_aws_free(aws);
    return rc;
fail:
    fprintf(stderr, "aws_bench: %s\n", cf_error_last()->msg);
    cf_aws_free(aws);
    return 1;
}
