/* The client core: settings, endpoint rules, signed calls with retries, the five protocols,
 * presigned URLs and pagination. */
#include "aws/aws_internal.h"
#include "aws/cf_sigv4.h"
#include "aws/svc_internal.h"
#include "common/cf_hash.h"
#include "common/cf_json.h"
#include "common/cf_log.h"
#include "common/cf_time.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define URL_MAX   8192
#define QUERY_MAX ((size_t)16 << 20)

void cf_aws_wipe(void *p, size_t n)
{
    volatile unsigned char *v = p;
    while (n--)
        *v++ = 0;
}

/* ---- settings ------------------------------------------------------------------------------ */

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return (v && *v) ? v : NULL;
}

static int copy_setting(char *out, size_t cap, const char *v, const char *what)
{
    size_t n = strlen(v);
    if (n >= cap)
        return cf_error_set(CF_EINVAL, "%s is too long (%zu bytes)", what, n);
    memcpy(out, v, n + 1);
    return CF_OK;
}

static int parse_int_setting(const char *v, int lo, int hi, int *out, const char *what)
{
    char *end;
    long x;
    errno = 0;
    x = strtol(v, &end, 10);
    if (end == v || *end || errno || x < lo || x > hi)
        return cf_error_set(CF_EINVAL, "%s must be a number in %d..%d (got \"%s\")", what, lo, hi,
                            v);
    *out = (int)x;
    return CF_OK;
}

static void profile_section(const char *profile, char *out, size_t cap)
{
    if (strcmp(profile, "default") == 0)
        snprintf(out, cap, "default");
    else
        snprintf(out, cap, "profile %s", profile);
}

const char *cf_aws_config_get(const cf_aws *aws, const char *key)
{
    char sec[160];
    const char *v;
    profile_section(aws->profile, sec, sizeof(sec));
    v = cf_ini_get(aws->config, sec, key);
    if (!v && strcmp(aws->profile, "default") == 0)
        v = cf_ini_get(aws->config, "profile default", key);
    return v;
}

static int load_files(cf_aws *aws)
{
    const char *home = env("HOME");
    char path[4096];
    const char *p = env("AWS_CONFIG_FILE");
    int rc;
    if (!p) {
        snprintf(path, sizeof(path), "%s/.aws/config", home ? home : "/nonexistent");
        p = path;
    }
    rc = cf_ini_load(p, &aws->config);
    if (rc)
        return rc;
    p = env("AWS_SHARED_CREDENTIALS_FILE");
    if (!p) {
        snprintf(path, sizeof(path), "%s/.aws/credentials", home ? home : "/nonexistent");
        p = path;
    }
    return cf_ini_load(p, &aws->creds_file);
}

static void settings_from(cf_aws *aws, const cf_aws_options *o)
{
    aws->base_delay_ms = o->base_delay_ms > 0 ? o->base_delay_ms : 100;
    aws->max_delay_ms = o->max_delay_ms > 0 ? o->max_delay_ms : 20000;
    aws->connect_timeout_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 5000;
    aws->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 60000;
    aws->low_speed_time_s = o->low_speed_time_s > 0 ? o->low_speed_time_s : 30;
    aws->max_body = o->max_body ? o->max_body : CF_AWS_DEFAULT_MAXBODY;
    aws->no_credentials = o->no_credentials;
}

int cf_aws_new(cf_aws **out, const cf_aws_options *opts)
{
    cf_aws_options none = CF_AWS_OPTIONS_INIT;
    cf_aws *aws = NULL;
    const char *v;
    int rc = CF_OK;
    if (!opts)
        opts = &none;
    *out = NULL;
    aws = calloc(1, sizeof(*aws));
    if (!aws) {
        rc = cf_error_set(CF_ENOMEM, "out of memory");
        goto cleanup;
    }
    pthread_mutex_init(&aws->lock, NULL);
    pthread_mutex_init(&aws->pool_lock, NULL);
    settings_from(aws, opts);
    v = opts->profile ? opts->profile : env("AWS_PROFILE");
    if (!v)
        v = env("AWS_DEFAULT_PROFILE");
    rc = copy_setting(aws->profile, sizeof(aws->profile), v ? v : "default", "profile name");
    if (rc)
        goto cleanup;
    rc = load_files(aws);
    if (rc)
        goto cleanup;
    if (opts->profile || env("AWS_PROFILE")) {
        char sec[160];
        profile_section(aws->profile, sec, sizeof(sec));
        if (!cf_ini_has_section(aws->config, sec) &&
            !cf_ini_has_section(aws->creds_file, aws->profile)) {
            rc = cf_error_set(CF_EINVAL,
                              "profile \"%s\" is in neither the config nor the "
                              "credentials file",
                              aws->profile);
            goto cleanup;
        }
    }
    v = opts->region ? opts->region : env("AWS_REGION");
    if (!v)
        v = env("AWS_DEFAULT_REGION");
    if (!v)
        v = cf_aws_config_get(aws, "region");
    rc = copy_setting(aws->region, sizeof(aws->region), v ? v : "", "region");
    if (rc)
        goto cleanup;
    for (const char *c = aws->region; *c; c++)
        if (!(isalnum((unsigned char)*c) || *c == '-')) {
            rc = cf_error_set(CF_EINVAL, "region \"%s\" is not a region name", aws->region);
            goto cleanup;
        }
    if (opts->endpoint_url) {
        rc = copy_setting(aws->endpoint_url, sizeof(aws->endpoint_url), opts->endpoint_url,
                          "endpoint URL");
        if (rc)
            goto cleanup;
    }
    aws->max_attempts = opts->max_attempts;
    if (aws->max_attempts <= 0) {
        v = env("AWS_MAX_ATTEMPTS");
        if (!v)
            v = cf_aws_config_get(aws, "max_attempts");
        aws->max_attempts = 5;
        if (v) {
            rc = parse_int_setting(v, 1, 100, &aws->max_attempts, "max_attempts");
            if (rc)
                goto cleanup;
        }
    }
    *out = aws;
    aws = NULL;
cleanup:
    cf_aws_free(aws);
    return rc;
}

int cf_aws_new_static(cf_aws **out, const cf_aws *parent, const cf_aws_credentials *creds)
{
    cf_aws *aws = calloc(1, sizeof(*aws));
    *out = NULL;
    if (!aws)
        return cf_error_set(CF_ENOMEM, "out of memory");
    pthread_mutex_init(&aws->lock, NULL);
    pthread_mutex_init(&aws->pool_lock, NULL);
    memcpy(aws->profile, parent->profile, sizeof(aws->profile));
    memcpy(aws->region, parent->region, sizeof(aws->region));
    memcpy(aws->endpoint_url, parent->endpoint_url, sizeof(aws->endpoint_url));
    aws->max_attempts = parent->max_attempts;
    aws->base_delay_ms = parent->base_delay_ms;
    aws->max_delay_ms = parent->max_delay_ms;
    aws->connect_timeout_ms = parent->connect_timeout_ms;
    aws->timeout_ms = parent->timeout_ms;
    aws->low_speed_time_s = parent->low_speed_time_s;
    aws->max_body = parent->max_body;
    aws->assume_depth = parent->assume_depth + 1;
    aws->creds = *creds;
    aws->have_creds = 1;
    aws->static_creds = 1;
    /* Same config (endpoint rules); the files are small, so parse them again. */
    if (load_files(aws)) {
        cf_aws_free(aws);
        return cf_error_last()->code;
    }
    *out = aws;
    return CF_OK;
}

void cf_aws_free(cf_aws *aws)
{
    if (!aws)
        return;
    for (int i = 0; i < aws->npool; i++)
        curl_easy_cleanup(aws->pool[i]);
    cf_ini_free(aws->config);
    cf_ini_free(aws->creds_file);
    cf_aws_wipe(&aws->creds, sizeof(aws->creds));
    pthread_mutex_destroy(&aws->lock);
    pthread_mutex_destroy(&aws->pool_lock);
    free(aws);
}

const char *cf_aws_region(const cf_aws *aws)
{
    return aws ? aws->region : "";
}

const char *cf_aws_profile(const cf_aws *aws)
{
    return aws ? aws->profile : "";
}

/* ---- credentials cache --------------------------------------------------------------------- */

int cf_aws_get_credentials(cf_aws *aws, cf_aws_credentials *out)
{
    int rc = CF_OK;
    int64_t now = cf_time_now();
    pthread_mutex_lock(&aws->lock);
    if (!aws->static_creds &&
        (!aws->have_creds ||
         (aws->creds.expiration_ns && now >= aws->creds.expiration_ns - CF_AWS_REFRESH_NS))) {
        cf_aws_credentials fresh;
        memset(&fresh, 0, sizeof(fresh));
        rc = cf_aws_creds_resolve(aws, &fresh);
        if (!rc) {
            aws->creds = fresh;
            aws->have_creds = 1;
        } else if (aws->have_creds && aws->creds.expiration_ns > now) {
            /* refresh failed but the old credentials still work: keep them (SDK behaviour) */
            cf_log_debug("aws: credential refresh failed (%s); using the current ones until "
                         "they expire",
                         cf_error_last()->msg);
            rc = CF_OK;
        }
        cf_aws_wipe(&fresh, sizeof(fresh));
    }
    if (!rc)
        *out = aws->creds;
    pthread_mutex_unlock(&aws->lock);
    return rc;
}

void cf_aws_reset_credentials(cf_aws *aws)
{
    pthread_mutex_lock(&aws->lock);
    if (!aws->static_creds) {
        aws->have_creds = 0;
        cf_aws_wipe(&aws->creds, sizeof(aws->creds));
    }
    pthread_mutex_unlock(&aws->lock);
}

/* ---- endpoints ----------------------------------------------------------------------------- */

static int ignore_configured(const cf_aws *aws)
{
    const char *v = env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
    if (!v)
        v = cf_aws_config_get(aws, "ignore_configured_endpoint_urls");
    return v && strcasecmp(v, "true") == 0;
}

/* The configured override for svc, or NULL (borrowed from env/config). */
static const char *configured_endpoint(const cf_aws *aws, const cf_aws_service *svc)
{
    char name[128], key[128];
    size_t j = 0;
    const char *v, *services;
    if (aws->endpoint_url[0])
        return aws->endpoint_url;
    if (ignore_configured(aws))
        return NULL;
    j = (size_t)snprintf(name, sizeof(name), "AWS_ENDPOINT_URL_");
    for (const char *c = svc->service_id; *c && j + 1 < sizeof(name); c++)
        name[j++] = (*c == ' ' || *c == '-') ? '_' : (char)toupper((unsigned char)*c);
    name[j] = '\0';
    v = env(name);
    if (v)
        return v;
    v = env("AWS_ENDPOINT_URL");
    if (v)
        return v;
    j = 0;
    for (const char *c = svc->service_id; *c && j + 1 < sizeof(key); c++)
        key[j++] = (*c == ' ' || *c == '-') ? '_' : (char)tolower((unsigned char)*c);
    key[j] = '\0';
    services = cf_aws_config_get(aws, "services");
    if (services) {
        char sec[256];
        snprintf(sec, sizeof(sec), "services %s", services);
        v = cf_ini_get_sub(aws->config, sec, key, "endpoint_url");
        if (v && *v)
            return v;
    }
    v = cf_aws_config_get(aws, "endpoint_url");
    return (v && *v) ? v : NULL;
}

int cf_aws_endpoint_overridden(cf_aws *aws, const cf_aws_service *svc)
{
    return configured_endpoint(aws, svc) != NULL;
}

static const char *signing_region(const cf_aws *aws, const cf_aws_service *svc)
{
    if (svc->global)
        return strncmp(aws->region, "cn-", 3) == 0 ? "cn-north-1" : "us-east-1";
    return aws->region[0] ? aws->region : "us-east-1";
}

int cf_aws_endpoint(cf_aws *aws, const cf_aws_service *svc, char *out, size_t cap)
{
    const char *o = configured_endpoint(aws, svc);
    const char *suffix = strncmp(aws->region, "cn-", 3) == 0 ? "amazonaws.com.cn" : "amazonaws.com";
    int n;
    if (o) {
        size_t l = strlen(o);
        while (l && o[l - 1] == '/')
            l--;
        if (strncmp(o, "http://", 7) && strncmp(o, "https://", 8))
            return cf_error_set(CF_EINVAL,
                                "endpoint URL \"%s\" must start with http:// or "
                                "https://",
                                o);
        n = snprintf(out, cap, "%.*s", (int)l, o);
    } else if (svc->global) {
        n = strncmp(aws->region, "cn-", 3) == 0
                ? snprintf(out, cap, "https://%s.cn-north-1.%s", svc->endpoint_prefix, suffix)
                : snprintf(out, cap, "https://%s.%s", svc->endpoint_prefix, suffix);
    } else if (!aws->region[0] && svc == &cf_aws_svc_sts) {
        /* STS without a region (an assume-role profile with none): the global endpoint */
        n = snprintf(out, cap, "https://sts.amazonaws.com");
    } else {
        if (!aws->region[0])
            return cf_error_set(CF_EINVAL, "no AWS region configured (set AWS_REGION or the "
                                           "profile's region)");
        n = snprintf(out, cap, "https://%s.%s.%s", svc->endpoint_prefix, aws->region, suffix);
    }
    if (n < 0 || (size_t)n >= cap)
        return cf_error_set(CF_ETOOBIG, "endpoint URL too long");
    return CF_OK;
}

static int bucket_dns_ok(const char *b)
{
    size_t n = strlen(b);
    if (n < 3 || n > 63)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)b[i]) || isdigit((unsigned char)b[i]) || b[i] == '-'))
            return 0;
    return b[0] != '-' && b[n - 1] != '-';
}

/* Base URL and wire path for a request: S3 buckets go in the host (virtual-hosted) on the
 * standard endpoint, in the path when the endpoint is overridden or the name is not DNS-safe. */
static int request_target(cf_aws *aws, const cf_aws_service *svc, const char *bucket,
                          const char *path, cf_buf *url, cf_buf *wire_path)
{
    char base[1100];
    const char *slash;
    int rc = cf_aws_endpoint(aws, svc, base, sizeof(base));
    if (rc)
        return rc;
    if (!path || !*path)
        path = "/";
    if (path[0] != '/')
        return cf_error_set(CF_EINVAL, "request path must start with '/'");
    /* keep a base path of the endpoint ("http://host/prefix") */
    slash = strchr(base + (strncmp(base, "https://", 8) == 0 ? 8 : 7), '/');
    if (bucket && *bucket && !cf_aws_endpoint_overridden(aws, svc) && bucket_dns_ok(bucket)) {
        rc = cf_buf_addf(url, "https://%s.%s", bucket, base + 8);
        if (!rc)
            rc = cf_buf_addstr(wire_path, path);
    } else {
        rc = cf_buf_addstr(url, base);
        if (slash) {
            url->len -= strlen(slash);
            url->data[url->len] = '\0';
            if (!rc)
                rc = cf_buf_addstr(wire_path, slash);
        }
        if (!rc && bucket && *bucket) {
            rc = cf_buf_addch(wire_path, '/');
            if (!rc)
                rc = cf_aws_uri_encode(wire_path, bucket, strlen(bucket), 0);
        }
        if (!rc)
            rc = cf_buf_addstr(wire_path, path);
    }
    return rc;
}

/* "http://host:port/..." -> "host:port" (port kept only when present in the URL, as curl sends
 * it). */
static int url_host(const char *url, char *out, size_t cap)
{
    const char *h = strstr(url, "://");
    size_t n;
    if (!h)
        return cf_error_set(CF_EINVAL, "bad URL");
    h += 3;
    n = strcspn(h, "/?#");
    if (n == 0 || n >= cap)
        return cf_error_set(CF_EINVAL, "bad URL host");
    memcpy(out, h, n);
    out[n] = '\0';
    for (char *c = out; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    /* default ports are not part of Host */
    if (strncmp(url, "https://", 8) == 0 && n > 4 && strcmp(out + n - 4, ":443") == 0)
        out[n - 4] = '\0';
    if (strncmp(url, "http://", 7) == 0 && n > 3 && strcmp(out + n - 3, ":80") == 0)
        out[n - 3] = '\0';
    return CF_OK;
}

/* ---- responses ----------------------------------------------------------------------------- */

void cf_aws_response_release(cf_aws_response *r)
{
    if (!r)
        return;
    if (r->xml)
        xmlFreeDoc(r->xml);
    json_decref(r->json);
    cf_buf_release(&r->body);
    for (size_t i = 0; i < r->n_headers; i++) {
        free(r->headers[i].name);
        free(r->headers[i].value);
    }
    memset(r, 0, sizeof(*r));
}

const char *cf_aws_response_header(const cf_aws_response *r, const char *name)
{
    for (size_t i = 0; r && i < r->n_headers; i++)
        if (strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

static void response_reset(cf_aws_response *r)
{
    int attempts = r->attempts;
    cf_aws_response_release(r);
    r->attempts = attempts;
}

/* ---- retries ------------------------------------------------------------------------------- */

static __thread uint64_t rng_state;

static uint64_t rng_next(void)
{
    if (!rng_state)
        rng_state = (uint64_t)cf_time_monotonic() ^ ((uint64_t)getpid() << 32) ^
                    (uint64_t)(uintptr_t)&rng_state;
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Full jitter: uniform in [0, min(cap, base * 2^attempt)]. */
static void backoff_sleep(const cf_aws *aws, int attempt)
{
    uint64_t ceiling = (uint64_t)aws->base_delay_ms;
    uint64_t ms;
    struct timespec ts;
    for (int i = 0; i < attempt && ceiling < (uint64_t)aws->max_delay_ms; i++)
        ceiling *= 2;
    if (ceiling > (uint64_t)aws->max_delay_ms)
        ceiling = (uint64_t)aws->max_delay_ms;
    ms = ceiling ? rng_next() % (ceiling + 1) : 0;
    ts.tv_sec = (time_t)(ms / 1000);
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static int expired_token_code(const char *code)
{
    return strcmp(code, "ExpiredToken") == 0 || strcmp(code, "ExpiredTokenException") == 0 ||
           strcmp(code, "RequestExpired") == 0;
}

/* ---- the signed call ----------------------------------------------------------------------- */

typedef struct call {
    const cf_aws_service *svc;
    const char *method;
    const char *bucket;
    const char *path;
    const char *query; /* encoded */
    const cf_aws_params *headers;
    const char *content_type;
    const char *target; /* X-Amz-Target */
    const void *body;
    size_t body_len;
    const char *upload_path;
    const char *download_path;
    size_t max_body;
    int unsigned_payload;
} call;

static const char *cf_aws_params_get_ci(const cf_aws_params *p, const char *name)
{
    for (size_t i = 0; i < p->len; i++)
        if (strcasecmp(p->items[i].name, name) == 0)
            return p->items[i].value;
    return NULL;
}

static int add_header(struct curl_slist **l, const char *name, const char *value)
{
    cf_buf b = CF_BUF_INIT(1 << 16);
    struct curl_slist *n;
    int rc = cf_buf_addf(&b, "%s: %s", name, value);
    if (rc)
        goto cleanup;
    if (strpbrk(b.data, "\r\n")) {
        rc = cf_error_set(CF_EINVAL, "header %s contains a line break", name);
        goto cleanup;
    }
    n = curl_slist_append(*l, b.data);
    if (!n) {
        rc = cf_error_set(CF_ENOMEM, "out of memory");
        goto cleanup;
    }
    *l = n;
cleanup:
    if (b.data)
        cf_aws_wipe(b.data, b.len);
    cf_buf_release(&b);
    return rc;
}

static const char *request_id_of(const cf_aws_response *r)
{
    const char *v = cf_aws_response_header(r, "x-amzn-requestid");
    if (!v)
        v = cf_aws_response_header(r, "x-amz-request-id");
    if (!v)
        v = cf_aws_response_header(r, "x-amzn-request-id");
    return v;
}

static int one_attempt(cf_aws *aws, const call *c, const char *url, const char *host,
                       const char *wire_path, const char *payload_hash, FILE *upload,
                       long long upload_len, FILE *download, cf_aws_response *out)
{
    cf_aws_credentials cr;
    cf_aws_params sh = CF_AWS_PARAMS_INIT;
    cf_buf authz = CF_BUF_INIT(8192);
    struct curl_slist *hl = NULL;
    char date[17];
    cf_http_req hr;
    int64_t now;
    int rc = CF_OK;
    memset(&cr, 0, sizeof(cr));
    memset(&hr, 0, sizeof(hr));
    if (!aws->no_credentials) {
        rc = cf_aws_get_credentials(aws, &cr);
        if (rc)
            goto cleanup;
    }
    now = cf_time_now() / CF_NS_PER_SEC * CF_NS_PER_SEC;
    cf_sigv4_amz_date(now, date);
    rc = cf_aws_params_add(&sh, "host", host);
    if (!rc)
        rc = cf_aws_params_add(&sh, "x-amz-date", date);
    if (!rc && cr.session_token[0])
        rc = cf_aws_params_add(&sh, "x-amz-security-token", cr.session_token);
    if (!rc && c->svc->protocol == CF_AWS_PROTO_REST_XML)
        rc = cf_aws_params_add(&sh, "x-amz-content-sha256", payload_hash);
    if (!rc && c->content_type)
        rc = cf_aws_params_add(&sh, "content-type", c->content_type);
    if (!rc && c->target)
        rc = cf_aws_params_add(&sh, "x-amz-target", c->target);
    for (size_t i = 0; !rc && c->headers && i < c->headers->len; i++)
        rc = cf_aws_params_add(&sh, c->headers->items[i].name, c->headers->items[i].value);
    if (rc)
        goto cleanup;
    if (!aws->no_credentials) {
        cf_sigv4_request sr = {0};
        sr.method = c->method;
        sr.path = wire_path;
        sr.query = c->query;
        sr.headers = &sh;
        sr.payload_hash = payload_hash;
        sr.region = signing_region(aws, c->svc);
        sr.service = c->svc->signing_name;
        sr.access_key_id = cr.access_key_id;
        sr.secret_access_key = cr.secret_access_key;
        sr.time_ns = now; /* the same second as x-amz-date */
        sr.s3 = c->svc->protocol == CF_AWS_PROTO_REST_XML;
        rc = cf_sigv4_authorization(&sr, &authz);
        if (rc)
            goto cleanup;
    }
    /* host is set by curl from the URL */
    for (size_t i = 1; !rc && i < sh.len; i++)
        rc = add_header(&hl, sh.items[i].name, sh.items[i].value);
    if (!rc && authz.len)
        rc = add_header(&hl, "Authorization", authz.data);
    if (!rc) {
        /* no 100-continue round trip; no curl default Content-Type for POST */
        struct curl_slist *n = curl_slist_append(hl, "Expect:");
        if (n && !c->content_type && !cf_aws_params_get_ci(&sh, "content-type"))
            n = curl_slist_append(n, "Content-Type:");
        if (!n)
            rc = cf_error_set(CF_ENOMEM, "out of memory");
        else
            hl = n;
    }
    if (rc)
        goto cleanup;
    hr.method = c->method;
    hr.url = url;
    hr.headers = hl;
    hr.body = c->body;
    hr.body_len = c->body_len;
    hr.upload = upload;
    hr.upload_len = upload_len;
    hr.download = download;
    hr.max_body = c->max_body ? c->max_body : aws->max_body;
    hr.connect_timeout_ms = aws->connect_timeout_ms;
    hr.timeout_ms = aws->timeout_ms;
    hr.low_speed_time_s = aws->low_speed_time_s;
    rc = cf_aws_http(aws, &hr, out);
    if (!rc) {
        const char *rid = request_id_of(out);
        if (rid)
            snprintf(out->request_id, sizeof(out->request_id), "%s", rid);
    }
cleanup:
    curl_slist_free_all(hl);
    for (size_t i = 0; i < sh.len; i++)
        cf_aws_wipe(sh.items[i].value, strlen(sh.items[i].value));
    cf_aws_params_release(&sh);
    if (authz.data)
        cf_aws_wipe(authz.data, authz.len);
    cf_buf_release(&authz);
    cf_aws_wipe(&cr, sizeof(cr));
    return rc;
}

static int perform(cf_aws *aws, const call *c, cf_aws_response *out)
{
    cf_buf url = CF_BUF_INIT(URL_MAX + QUERY_MAX), wire = CF_BUF_INIT(URL_MAX);
    char host[512], payload_hash[CF_SHA256_HEX_LEN + 32];
    char *tmp_path = NULL;
    FILE *upload = NULL, *download = NULL;
    long long upload_len = 0;
    int rc, refreshed = 0;
    out->attempts = 0;
    rc = request_target(aws, c->svc, c->bucket, c->path, &url, &wire);
    if (!rc)
        rc = cf_buf_addstr(&url, cf_buf_cstr(&wire));
    if (!rc && c->query && *c->query)
        rc = cf_buf_addf(&url, "?%s", c->query);
    if (!rc)
        rc = url_host(url.data, host, sizeof(host));
    if (rc)
        goto cleanup;
    if (c->unsigned_payload) {
        snprintf(payload_hash, sizeof(payload_hash), "%s", CF_SIGV4_UNSIGNED_PAYLOAD);
    } else if (c->upload_path) {
        uint64_t bytes = 0;
        rc = cf_sha256_file(c->upload_path, payload_hash, &bytes);
        if (rc)
            goto cleanup;
        upload_len = (long long)bytes;
    } else {
        cf_sha256_hex(c->body ? c->body : "", c->body ? c->body_len : 0, payload_hash);
    }
    if (c->upload_path) {
        upload = fopen(c->upload_path, "rb");
        if (!upload) {
            rc = cf_error_set(CF_EIO, "%s: %s", c->upload_path, strerror(errno));
            goto cleanup;
        }
    }
    if (c->download_path) {
        if (asprintf(&tmp_path, "%s.part-%ld", c->download_path, (long)getpid()) < 0) {
            tmp_path = NULL;
            rc = cf_error_set(CF_ENOMEM, "out of memory");
            goto cleanup;
        }
    }
    for (int attempt = 0;; attempt++) {
        const cf_error *e;
        int retry;
        response_reset(out);
        out->attempts = attempt + 1;
        if (upload)
            rewind(upload);
        if (tmp_path) {
            if (download)
                fclose(download);
            download = fopen(tmp_path, "wb");
            if (!download) {
                rc = cf_error_set(CF_EIO, "%s: %s", tmp_path, strerror(errno));
                goto cleanup;
            }
        }
        rc = one_attempt(aws, c, url.data, host, wire.data, payload_hash, upload, upload_len,
                         download, out);
        if (!rc && out->http_status >= 200 && out->http_status < 300)
            break;
        if (!rc) {
            rc = cf_aws_error_from_response(
                out->http_status, cf_buf_cstr(&out->body), out->body.len,
                cf_aws_response_header(out, "x-amzn-errortype"), request_id_of(out));
            if (!out->request_id[0])
                snprintf(out->request_id, sizeof(out->request_id), "%s",
                         cf_error_last()->request_id);
        }
        e = cf_error_last();
        if (rc == CF_EAWS && expired_token_code(e->aws_code) && !refreshed) {
            refreshed = 1;
            cf_aws_reset_credentials(aws);
            attempt--; /* a refresh is not a retry */
            continue;
        }
        retry = rc == CF_ENET || rc == CF_ETIMEOUT ||
                ((rc == CF_EAWS || rc == CF_EDENIED) &&
                 cf_aws_error_retryable(e->http_status, e->aws_code));
        if (!retry || attempt + 1 >= aws->max_attempts)
            break;
        cf_log_debug("aws: %s %s attempt %d failed (%s); retrying", c->svc->service_id,
                     c->target ? c->target : c->method, attempt + 1, e->msg);
        backoff_sleep(aws, attempt);
    }
    if (rc && out->attempts > 1)
        cf_error_wrap("after %d attempts", out->attempts);
    if (!rc && download) {
        if (fclose(download) != 0) {
            download = NULL;
            rc = cf_error_set(CF_EIO, "%s: %s", tmp_path, strerror(errno));
            goto cleanup;
        }
        download = NULL;
        if (rename(tmp_path, c->download_path) != 0) {
            rc = cf_error_set(CF_EIO, "%s: %s", c->download_path, strerror(errno));
            goto cleanup;
        }
        free(tmp_path);
        tmp_path = NULL;
    }
cleanup:
    if (upload)
        fclose(upload);
    if (download)
        fclose(download);
    if (tmp_path) {
        unlink(tmp_path);
        free(tmp_path);
    }
    cf_buf_release(&url);
    cf_buf_release(&wire);
    return rc;
}

/* Request id from the body when no header carried it (EC2 requestId, query RequestId). */
static void xml_request_id(cf_aws_response *r)
{
    xmlNode *root;
    const char *t;
    if (r->request_id[0] || !r->xml)
        return;
    root = xmlDocGetRootElement(r->xml);
    t = cf_xml_text(root, "requestId");
    if (!t)
        t = cf_xml_text(root, "ResponseMetadata/RequestId");
    if (!t)
        t = cf_xml_text(root, "RequestId");
    if (t)
        snprintf(r->request_id, sizeof(r->request_id), "%s", t);
}

static int parse_xml_body(cf_aws_response *r, const char *what)
{
    int rc;
    if (r->body.len == 0)
        return CF_OK;
    rc = cf_xml_parse(r->body.data, r->body.len, &r->xml);
    if (rc)
        return cf_error_wrap("%s response", what);
    xml_request_id(r);
    return CF_OK;
}

static int parse_json_body(cf_aws_response *r, const char *what)
{
    int rc;
    if (r->body.len == 0) {
        r->json = json_object();
        return r->json ? CF_OK : cf_error_set(CF_ENOMEM, "out of memory");
    }
    rc = cf_json_parse(r->body.data, r->body.len, &r->json);
    if (rc)
        return cf_error_wrap("%s response", what);
    return CF_OK;
}

static int encode_params(cf_buf *out, const cf_aws_params *p)
{
    int rc = CF_OK;
    for (size_t i = 0; !rc && p && i < p->len; i++) {
        if (out->len)
            rc = cf_buf_addch(out, '&');
        if (!rc)
            rc = cf_aws_uri_encode(out, p->items[i].name, strlen(p->items[i].name), 0);
        if (!rc)
            rc = cf_buf_addch(out, '=');
        if (!rc)
            rc = cf_aws_uri_encode(out, p->items[i].value, strlen(p->items[i].value), 0);
    }
    return rc;
}

int cf_aws_query(cf_aws *aws, const cf_aws_service *svc, const char *action,
                 const cf_aws_params *params, cf_aws_response *out)
{
    cf_buf body = CF_BUF_INIT(QUERY_MAX);
    call c = {0};
    int rc;
    if (svc->protocol != CF_AWS_PROTO_EC2 && svc->protocol != CF_AWS_PROTO_QUERY)
        return cf_error_set(CF_EINVAL, "%s is not an ec2/query service", svc->service_id);
    rc = cf_buf_addf(&body, "Action=%s&Version=%s", action, svc->api_version);
    if (!rc && params && params->len) {
        rc = cf_buf_addch(&body, '&');
        if (!rc) {
            cf_buf rest = CF_BUF_INIT(QUERY_MAX);
            rc = encode_params(&rest, params);
            if (!rc)
                rc = cf_buf_add(&body, rest.data, rest.len);
            cf_buf_release(&rest);
        }
    }
    if (rc)
        goto cleanup;
    c.svc = svc;
    c.method = "POST";
    c.path = "/";
    c.content_type = "application/x-www-form-urlencoded; charset=utf-8";
    c.body = body.data;
    c.body_len = body.len;
    rc = perform(aws, &c, out);
    if (!rc)
        rc = parse_xml_body(out, action);
    if (rc)
        cf_error_wrap("%s %s", svc->service_id, action);
cleanup:
    cf_buf_release(&body);
    return rc;
}

int cf_aws_json(cf_aws *aws, const cf_aws_service *svc, const char *operation, json_t *body,
                cf_aws_response *out)
{
    char target[256], ctype[64];
    char *text = NULL;
    call c = {0};
    int rc;
    if (svc->protocol != CF_AWS_PROTO_JSON)
        return cf_error_set(CF_EINVAL, "%s is not a json service", svc->service_id);
    snprintf(target, sizeof(target), "%s.%s", svc->target_prefix, operation);
    snprintf(ctype, sizeof(ctype), "application/x-amz-json-%s", svc->json_version);
    text = body ? json_dumps(body, JSON_COMPACT) : strdup("{}");
    if (!text) {
        rc = cf_error_set(CF_ENOMEM, "cannot serialize the %s request", operation);
        goto cleanup;
    }
    c.svc = svc;
    c.method = "POST";
    c.path = "/";
    c.content_type = ctype;
    c.target = target;
    c.body = text;
    c.body_len = strlen(text);
    rc = perform(aws, &c, out);
    if (!rc)
        rc = parse_json_body(out, operation);
    if (rc)
        cf_error_wrap("%s %s", svc->service_id, operation);
cleanup:
    free(text);
    return rc;
}

int cf_aws_rest(cf_aws *aws, const cf_aws_service *svc, const cf_aws_request *req,
                cf_aws_response *out)
{
    cf_buf q = CF_BUF_INIT(QUERY_MAX);
    char *text = NULL;
    call c = {0};
    int rc;
    if (svc->protocol != CF_AWS_PROTO_REST_XML && svc->protocol != CF_AWS_PROTO_REST_JSON)
        return cf_error_set(CF_EINVAL, "%s is not a rest service", svc->service_id);
    rc = encode_params(&q, req->query);
    if (rc)
        goto cleanup;
    c.svc = svc;
    c.method = req->method;
    c.bucket = req->bucket;
    c.path = req->path;
    c.query = q.len ? q.data : NULL;
    c.headers = req->headers;
    c.content_type = req->content_type;
    c.body = req->body;
    c.body_len = req->body_len;
    c.upload_path = req->upload_path;
    c.download_path = req->download_path;
    c.max_body = req->max_body;
    c.unsigned_payload = req->unsigned_payload;
    if (req->json_body) {
        text = json_dumps(req->json_body, JSON_COMPACT);
        if (!text) {
            rc = cf_error_set(CF_ENOMEM, "cannot serialize the request body");
            goto cleanup;
        }
        c.body = text;
        c.body_len = strlen(text);
        if (!c.content_type)
            c.content_type = "application/json";
    }
    rc = perform(aws, &c, out);
    if (!rc && !req->raw && !req->download_path && strcmp(req->method, "HEAD") != 0) {
        if (svc->protocol == CF_AWS_PROTO_REST_XML)
            rc = parse_xml_body(out, req->method);
        else
            rc = parse_json_body(out, req->method);
    }
    if (rc)
        cf_error_wrap("%s %s %s", svc->service_id, req->method, req->path ? req->path : "/");
cleanup:
    free(text);
    cf_buf_release(&q);
    return rc;
}

int cf_aws_presign(cf_aws *aws, const cf_aws_service *svc, const char *method, const char *bucket,
                   const char *path, const cf_aws_params *query, int expires_s, char **url_out)
{
    cf_buf url = CF_BUF_INIT(URL_MAX + QUERY_MAX), wire = CF_BUF_INIT(URL_MAX),
           q = CF_BUF_INIT(QUERY_MAX), signed_q = CF_BUF_INIT(QUERY_MAX);
    cf_aws_params sh = CF_AWS_PARAMS_INIT;
    cf_aws_credentials cr;
    char host[512];
    cf_sigv4_request sr = {0};
    int rc;
    memset(&cr, 0, sizeof(cr));
    *url_out = NULL;
    rc = request_target(aws, svc, bucket, path, &url, &wire);
    if (!rc)
        rc = url_host(url.data, host, sizeof(host));
    if (!rc)
        rc = encode_params(&q, query);
    if (!rc)
        rc = cf_aws_get_credentials(aws, &cr);
    if (!rc)
        rc = cf_aws_params_add(&sh, "host", host);
    if (rc)
        goto cleanup;
    sr.method = method;
    sr.path = wire.data;
    sr.query = q.len ? q.data : NULL;
    sr.headers = &sh;
    /* S3 presigned URLs carry any body (UNSIGNED-PAYLOAD); other services sign an empty one */
    sr.payload_hash = svc->protocol == CF_AWS_PROTO_REST_XML
                          ? CF_SIGV4_UNSIGNED_PAYLOAD
                          : "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    sr.region = signing_region(aws, svc);
    sr.service = svc->signing_name;
    sr.access_key_id = cr.access_key_id;
    sr.secret_access_key = cr.secret_access_key;
    sr.session_token = cr.session_token;
    sr.time_ns = cf_time_now() / CF_NS_PER_SEC * CF_NS_PER_SEC;
    sr.s3 = svc->protocol == CF_AWS_PROTO_REST_XML;
    rc = cf_sigv4_presign_query(&sr, expires_s, &signed_q);
    if (!rc)
        rc = cf_buf_addf(&url, "%s?%s", wire.data, signed_q.data);
    if (!rc)
        *url_out = cf_buf_detach(&url, NULL);
    if (!rc && !*url_out)
        rc = cf_error_set(CF_ENOMEM, "out of memory");
cleanup:
    cf_aws_wipe(&cr, sizeof(cr));
    cf_aws_params_release(&sh);
    cf_buf_release(&url);
    cf_buf_release(&wire);
    cf_buf_release(&q);
    cf_buf_release(&signed_q);
    return rc;
}

/* ---- pagination ---------------------------------------------------------------------------- */

/* Depth-first search for the first element with this local name (bounded by the document). */
static xmlNode *find_elem(xmlNode *n, const char *name, int depth)
{
    if (depth > 8)
        return NULL;
    for (xmlNode *c = n ? n->children : NULL; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (strcmp((const char *)c->name, name) == 0)
            return c;
    }
    for (xmlNode *c = n ? n->children : NULL; c; c = c->next) {
        xmlNode *f;
        if (c->type != XML_ELEMENT_NODE)
            continue;
        f = find_elem(c, name, depth + 1);
        if (f)
            return f;
    }
    return NULL;
}

int cf_aws_query_paginate(cf_aws *aws, const cf_aws_service *svc, const char *action,
                          const cf_aws_params *params, const char *token_param,
                          const char *token_elem, int max_pages, cf_aws_page_fn fn, void *ctx)
{
    cf_aws_params p = CF_AWS_PARAMS_INIT;
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    char *token = NULL;
    int rc = CF_OK;
    if (max_pages <= 0)
        max_pages = 1000;
    for (size_t i = 0; !rc && params && i < params->len; i++)
        rc = cf_aws_params_add(&p, params->items[i].name, params->items[i].value);
    for (int page = 0; !rc; page++) {
        if (page >= max_pages) {
            rc = cf_error_set(CF_ETOOBIG, "%s: more than %d pages", action, max_pages);
            break;
        }
        cf_aws_response_release(&r);
        rc = cf_aws_query(aws, svc, action, &p, &r);
        if (rc)
            break;
        rc = fn(ctx, &r);
        if (!rc)
            rc = cf_svc_next_token(
                &token, cf_xml_text(find_elem(xmlDocGetRootElement(r.xml), token_elem, 0), NULL),
                action, token_elem);
        if (rc) {
            if (rc > 0)
                rc = CF_OK;
            break;
        }
        rc = cf_aws_params_set(&p, token_param, token);
    }
    free(token);
    cf_aws_response_release(&r);
    cf_aws_params_release(&p);
    return rc;
}

int cf_aws_json_paginate(cf_aws *aws, const cf_aws_service *svc, const char *operation,
                         json_t *body, const char *token_in, const char *token_out, int max_pages,
                         cf_aws_page_fn fn, void *ctx)
{
    json_t *b = body ? json_deep_copy(body) : json_object();
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    char *token = NULL;
    int rc = b ? CF_OK : cf_error_set(CF_ENOMEM, "out of memory");
    if (max_pages <= 0)
        max_pages = 1000;
    for (int page = 0; !rc; page++) {
        if (page >= max_pages) {
            rc = cf_error_set(CF_ETOOBIG, "%s: more than %d pages", operation, max_pages);
            break;
        }
        cf_aws_response_release(&r);
        rc = cf_aws_json(aws, svc, operation, b, &r);
        if (rc)
            break;
        rc = fn(ctx, &r);
        if (!rc)
            rc = cf_svc_next_token(&token, json_string_value(json_object_get(r.json, token_out)),
                                   operation, token_out);
        if (rc) {
            if (rc > 0)
                rc = CF_OK;
            break;
        }
        if (json_object_set_new(b, token_in, json_string(token)) != 0)
            rc = cf_error_set(CF_ENOMEM, "out of memory");
    }
    free(token);
    cf_aws_response_release(&r);
    json_decref(b);
    return rc;
}
