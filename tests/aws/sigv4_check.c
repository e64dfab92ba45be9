/* Signs the cases written by botocore_crosscheck.py with cf_sigv4 and compares with botocore's
 * answers. Prints "compared N cases, M mismatches"; exit 1 on any mismatch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/cf_sigv4.h"
#include "common/cf_buf.h"
#include "common/cf_json.h"
#include "common/cf_time.h"

static int check(json_t *c, int lineno)
{
    cf_aws_params h = CF_AWS_PARAMS_INIT;
    cf_buf out = CF_BUF_INIT(1 << 20);
    cf_sigv4_request r = {0};
    json_t *pair;
    size_t i;
    int64_t t = 0;
    int bad = 0;
    const char *kind = cf_json_str(c, "kind");
    json_array_foreach(json_object_get(c, "headers"), i, pair)
    {
        cf_aws_params_add(&h, json_string_value(json_array_get(pair, 0)),
                          json_string_value(json_array_get(pair, 1)));
    }
    cf_time_parse(cf_json_str(c, "time"), &t);
    r.method = cf_json_str(c, "method");
    r.path = cf_json_str(c, "path");
    r.query = cf_json_str(c, "query");
    r.headers = &h;
    r.payload_hash = cf_json_str(c, "payload_hash");
    r.region = cf_json_str(c, "region");
    r.service = cf_json_str(c, "service");
    r.access_key_id = cf_json_str(c, "access_key_id");
    r.secret_access_key = cf_json_str(c, "secret_access_key");
    r.session_token = cf_json_str(c, "session_token");
    r.time_ns = t;
    r.s3 = json_is_true(json_object_get(c, "s3"));
    if (strcmp(kind, "header") == 0) {
        if (cf_sigv4_authorization(&r, &out) ||
            strcmp(cf_buf_cstr(&out), cf_json_str(c, "expect")) != 0) {
            printf("line %d (%s %s ?%s): got\n  %s\nwant\n  %s\n", lineno, r.method, r.path,
                   r.query, cf_buf_cstr(&out), cf_json_str(c, "expect"));
            bad = 1;
        }
    } else {
        const char *sig;
        int expires = (int)json_integer_value(json_object_get(c, "expires"));
        if (cf_sigv4_presign_query(&r, expires, &out)) {
            printf("line %d: presign failed\n", lineno);
            bad = 1;
        } else {
            sig = strstr(cf_buf_cstr(&out), "X-Amz-Signature=");
            if (!sig || strcmp(sig + 16, cf_json_str(c, "expect")) != 0) {
                printf("line %d (presign %s %s ?%s): got %s want signature %s\n", lineno, r.method,
                       r.path, r.query, cf_buf_cstr(&out), cf_json_str(c, "expect"));
                bad = 1;
            }
        }
    }
    cf_buf_release(&out);
    cf_aws_params_release(&h);
    return bad;
}

int main(int argc, char **argv)
{
    FILE *f;
    char *line = NULL;
    size_t cap = 0;
    int n = 0, bad = 0, lineno = 0;
    if (argc != 2) {
        fprintf(stderr, "usage: sigv4_check CASES.jsonl\n");
        return 2;
    }
    f = fopen(argv[1], "r");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    while (getline(&line, &cap, f) > 0) {
        json_t *c = NULL;
        lineno++;
        if (cf_json_parse(line, strlen(line), &c)) {
            printf("line %d: bad JSON\n", lineno);
            bad++;
            continue;
        }
        bad += check(c, lineno);
        n++;
        json_decref(c);
    }
    free(line);
    fclose(f);
    printf("compared %d cases, %d mismatches\n", n, bad);
    return bad ? 1 : 0;
}
