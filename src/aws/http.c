/* HTTP with libcurl: pooled easy handles (connection reuse), timeouts, caps, header capture. */
#include "aws/aws_internal.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#define HEADER_VALUE_MAX 8192
#define ERROR_BODY_MAX   ((size_t)1 << 20)

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static CURL *pool_get(cf_aws *aws)
{
    CURL *h = NULL;
    pthread_once(&curl_once, curl_init_once);
    if (aws) {
        pthread_mutex_lock(&aws->pool_lock);
        if (aws->npool > 0)
            h = aws->pool[--aws->npool];
        pthread_mutex_unlock(&aws->pool_lock);
    }
    if (!h)
        h = curl_easy_init();
    return h;
}

static void pool_put(cf_aws *aws, CURL *h)
{
    if (!h)
        return;
    if (aws) {
        pthread_mutex_lock(&aws->pool_lock);
        if (aws->npool < CF_AWS_POOL_MAX) {
            aws->pool[aws->npool++] = h;
            h = NULL;
        }
        pthread_mutex_unlock(&aws->pool_lock);
    }
    if (h)
        curl_easy_cleanup(h);
}

typedef struct xfer {
    CURL *h;
    cf_aws_response *out;
    FILE *download;
    int to_file; /* decided at the first body byte from the status */
    int decided;
    int too_big;
    int write_failed;
} xfer;

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    xfer *x = ud;
    size_t n = size * nmemb;
    if (!x->decided) {
        long status = 0;
        curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
        x->to_file = x->download && status >= 200 && status < 300;
        x->decided = 1;
        /* an error body is read for its code whatever cap the caller chose for the payload */
        if ((status < 200 || status >= 300) && x->out->body.max < ERROR_BODY_MAX)
            x->out->body.max = ERROR_BODY_MAX;
    }
    if (x->to_file) {
        if (fwrite(ptr, 1, n, x->download) != n) {
            x->write_failed = 1;
            return 0;
        }
        return n;
    }
    if (cf_buf_add(&x->out->body, ptr, n)) {
        x->too_big = 1;
        return 0;
    }
    return n;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
    xfer *x = ud;
    size_t n = size * nmemb, i, vs, ve;
    cf_aws_response *r = x->out;
    const char *colon = memchr(ptr, ':', n);
    char *name, *value;
    if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0) {
        /* a new response (after 100-continue or a proxy CONNECT): drop earlier headers */
        for (i = 0; i < r->n_headers; i++) {
            free(r->headers[i].name);
            free(r->headers[i].value);
        }
        r->n_headers = 0;
        return n;
    }
    if (!colon || r->n_headers >= CF_AWS_MAX_HEADERS || n > HEADER_VALUE_MAX)
        return n; /* ignored, not fatal */
    vs = (size_t)(colon - ptr) + 1;
    while (vs < n && (ptr[vs] == ' ' || ptr[vs] == '\t'))
        vs++;
    ve = n;
    while (ve > vs && (ptr[ve - 1] == '\r' || ptr[ve - 1] == '\n' || ptr[ve - 1] == ' '))
        ve--;
    name = strndup(ptr, (size_t)(colon - ptr));
    value = strndup(ptr + vs, ve - vs);
    if (!name || !value) {
        free(name);
        free(value);
        return 0;
    }
    for (char *c = name; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    r->headers[r->n_headers].name = name;
    r->headers[r->n_headers].value = value;
    r->n_headers++;
    return n;
}

static int map_curl_error(CURLcode cc, const xfer *x, const char *url, const char *errbuf)
{
    if (x->too_big)
        return cf_error_set(CF_ETOOBIG, "response body from %s is larger than %zu bytes", url,
                            x->out->body.max);
    if (x->write_failed)
        return cf_error_set(CF_EIO, "cannot write the response body from %s", url);
    if (cc == CURLE_OPERATION_TIMEDOUT)
        return cf_error_set(CF_ETIMEOUT, "%s: timed out (%s)", url, errbuf[0] ? errbuf : "");
    return cf_error_set(CF_ENET, "%s: %s%s%s", url, curl_easy_strerror(cc), errbuf[0] ? ": " : "",
                        errbuf);
}

int cf_aws_http(cf_aws *aws, const cf_http_req *req, cf_aws_response *out)
{
    CURL *h = pool_get(aws);
    xfer x = {0};
    char errbuf[CURL_ERROR_SIZE] = "";
    const char *ca = getenv("AWS_CA_BUNDLE");
    CURLcode cc;
    int rc = CF_OK;
    if (!h) {
        rc = cf_error_set(CF_ENOMEM, "cannot create a curl handle");
        goto cleanup;
    }
    curl_easy_reset(h);
    cf_buf_release(&out->body);
    cf_buf_init(&out->body, req->max_body ? req->max_body : CF_AWS_DEFAULT_MAXBODY);
    x.h = h;
    x.out = out;
    x.download = req->download;
    curl_easy_setopt(h, CURLOPT_URL, req->url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "casefile/" CF_VERSION);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (ca && *ca)
        curl_easy_setopt(h, CURLOPT_CAINFO, ca);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     req->connect_timeout_ms > 0 ? req->connect_timeout_ms : 5000L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, req->timeout_ms > 0 ? req->timeout_ms : 60000L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME,
                     req->low_speed_time_s > 0 ? req->low_speed_time_s : 30L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, req->headers);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, NULL); /* bodies are capped as received */
    if (strcmp(req->method, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (req->upload) {
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_READDATA, req->upload);
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)req->upload_len);
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
    } else if (req->body || strcmp(req->method, "POST") == 0 || strcmp(req->method, "PUT") == 0) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
    } else if (strcmp(req->method, "GET") != 0) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
    }
    cc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->http_status);
    if (cc != CURLE_OK) {
        rc = map_curl_error(cc, &x, req->url, errbuf);
        goto cleanup;
    }
cleanup:
    pool_put(aws, h);
    return rc;
}
