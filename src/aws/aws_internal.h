/* Internals shared by the client core files (client.c, creds.c, http.c, endpoint.c). Not for
 * service files: they use cf_aws.h only. */
#ifndef CF_AWS_INTERNAL_H
#define CF_AWS_INTERNAL_H

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>

#include "aws/cf_aws.h"
#include "aws/cf_ini.h"

#define CF_AWS_POOL_MAX        8
#define CF_AWS_REFRESH_NS      (300LL * 1000000000LL) /* refresh 5 minutes before expiry */
#define CF_AWS_DEFAULT_MAXBODY ((size_t)64 << 20)

struct cf_aws {
    char profile[128];
    char region[64];
    char endpoint_url[1024]; /* explicit option; "" when none */
    int max_attempts, base_delay_ms, max_delay_ms;
    long connect_timeout_ms, timeout_ms, low_speed_time_s;
    size_t max_body;
    int no_credentials;
    int assume_depth; /* nesting of role_arn -> source_profile */
    cf_ini *config;   /* ~/.aws/config */
    cf_ini *creds_file;
    pthread_mutex_t lock;      /* guards the credentials (held while resolving them) */
    pthread_mutex_t pool_lock; /* guards the handle pool */
    int have_creds;
    int static_creds; /* creds given at creation (assume-role source); never re-resolved */
    cf_aws_credentials creds;
    CURL *pool[CF_AWS_POOL_MAX];
    int npool;
};

/* One plain HTTP exchange (no signing, no retries). */
typedef struct cf_http_req {
    const char *method;
    const char *url;
    struct curl_slist *headers; /* borrowed */
    const void *body;
    size_t body_len;
    FILE *upload; /* instead of body; rewound by the caller */
    long long upload_len;
    FILE *download;  /* 2xx body goes here instead of memory */
    size_t max_body; /* memory cap */
    long connect_timeout_ms, timeout_ms, low_speed_time_s;
} cf_http_req;

/* Performs the request on a pooled handle; fills out->http_status, out->body, out->headers.
 * Transport errors: CF_ENET / CF_ETIMEOUT / CF_ETOOBIG (body over the cap). A non-2xx status is
 * not an error here. */
int cf_aws_http(cf_aws *aws, const cf_http_req *req, cf_aws_response *out);

/* Credentials chain without locking or caching (creds.c). */
int cf_aws_creds_resolve(cf_aws *aws, cf_aws_credentials *out);
/* Parses a credentials JSON document (container endpoint, IMDS, credential_process):
 * AccessKeyId, SecretAccessKey, Token/SessionToken, Expiration. */
int cf_aws_creds_parse_json(const char *data, size_t len, cf_aws_credentials *out);

/* An RFC 3339 expiration time, years 1970..2200 only (CF_EPARSE otherwise). */
int cf_aws_expiration_parse(const char *s, int64_t *ns_out);

/* Config lookups for the client's profile (config file "profile X"/"default" section). */
const char *cf_aws_config_get(const cf_aws *aws, const char *key);
/* A client with fixed credentials and the same settings as parent (for AssumeRole). */
int cf_aws_new_static(cf_aws **out, const cf_aws *parent, const cf_aws_credentials *creds);

/* Wipes secrets. */
void cf_aws_wipe(void *p, size_t n);

#endif
