#include "cfa_imds.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cfa_out.h"
#include "cfa_parse.h"

#define IMDS_RESPONSE_MAX (64 * 1024)

struct endpoint {
    struct sockaddr_storage sa;
    socklen_t salen;
    char host[80];
};

static int parse_endpoint(const char *url, struct endpoint *ep)
{
    const char *p, *hend, *colon;
    char host[64];
    unsigned long port = 80;
    size_t hl;
    memset(ep, 0, sizeof(*ep));
    if (strncmp(url, "http://", 7) != 0)
        return -1;
    p = url + 7;
    if (*p == '[') {
        hend = strchr(p, ']');
        if (!hend)
            return -1;
        hl = (size_t)(hend - p - 1);
        if (hl >= sizeof(host))
            return -1;
        memcpy(host, p + 1, hl);
        host[hl] = '\0';
        colon = hend[1] == ':' ? hend + 1 : NULL;
    } else {
        hend = p + strcspn(p, ":/");
        hl = (size_t)(hend - p);
        if (hl == 0 || hl >= sizeof(host))
            return -1;
        memcpy(host, p, hl);
        host[hl] = '\0';
        colon = *hend == ':' ? hend : NULL;
    }
    if (colon) {
        char *end;
        errno = 0;
        port = strtoul(colon + 1, &end, 10);
        if (errno || end == colon + 1 || port == 0 || port > 65535 || (*end && *end != '/'))
            return -1;
    }
    if (inet_pton(AF_INET, host, &((struct sockaddr_in *)&ep->sa)->sin_addr) == 1) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&ep->sa;
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)port);
        ep->salen = sizeof(*sin);
        snprintf(ep->host, sizeof(ep->host), "%s:%lu", host, port);
    } else if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)&ep->sa)->sin6_addr) == 1) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ep->sa;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)port);
        ep->salen = sizeof(*sin6);
        snprintf(ep->host, sizeof(ep->host), "[%s]:%lu", host, port);
    } else {
        return -1; /* no name resolution: the agent trusts no resolver on the host */
    }
    return 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int wait_fd(int fd, short ev, int64_t deadline)
{
    for (;;) {
        struct pollfd pfd = {fd, ev, 0};
        int64_t left = deadline - now_ms();
        int r;
        if (left <= 0)
            return -ETIMEDOUT;
        r = poll(&pfd, 1, (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0)
            return -ETIMEDOUT;
        return 0;
    }
}

/* One request/response on a fresh connection; the response (<= 64 KiB) goes into resp. */
static int http_call(const struct endpoint *ep, const char *req, size_t reqlen, char *resp,
                     size_t *resplen, int64_t deadline)
{
    int fd = socket(ep->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), rc = 0;
    size_t sent = 0, got = 0;
    if (fd < 0)
        return -errno;
    if (connect(fd, (const struct sockaddr *)&ep->sa, ep->salen) < 0) {
        int soerr = 0;
        socklen_t sl = sizeof(soerr);
        if (errno != EINPROGRESS) {
            rc = -errno;
            goto cleanup;
        }
        if ((rc = wait_fd(fd, POLLOUT, deadline)) < 0)
            goto cleanup;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr) {
            rc = -(soerr ? soerr : errno);
            goto cleanup;
        }
    }
    while (sent < reqlen) {
        ssize_t w = send(fd, req + sent, reqlen - sent, MSG_NOSIGNAL);
        if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
            if ((rc = wait_fd(fd, POLLOUT, deadline)) < 0)
                goto cleanup;
            continue;
        }
        if (w < 0) {
            rc = -errno;
            goto cleanup;
        }
        sent += (size_t)w;
    }
    for (;;) {
        ssize_t r;
        if (got >= IMDS_RESPONSE_MAX) {
            rc = -EMSGSIZE;
            goto cleanup;
        }
        r = recv(fd, resp + got, IMDS_RESPONSE_MAX - got, 0);
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
            if ((rc = wait_fd(fd, POLLIN, deadline)) < 0)
                goto cleanup;
            continue;
        }
        if (r < 0) {
            rc = -errno;
            goto cleanup;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    *resplen = got;
cleanup:
    close(fd);
    return rc;
}

int cfa_imds_identity(const char *endpoint, int timeout_ms, struct cfa_jw *jw, char *instance_id,
                      size_t idlen, char *err, size_t errlen)
{
    static const char *keys[][2] = {{"instanceId", "instance_id"},
                                    {"accountId", "account_id"},
                                    {"region", "region"},
                                    {"availabilityZone", "availability_zone"},
                                    {"instanceType", "instance_type"},
                                    {"imageId", "image_id"},
                                    {"privateIp", "private_ip"},
                                    {"architecture", "architecture"}};
    struct endpoint ep;
    char req[2048], token[1024], *resp = NULL;
    size_t resplen = 0, i;
    struct cfa_span body, v;
    int status, rc = -1, r;
    int64_t deadline = now_ms() + timeout_ms;
    if (parse_endpoint(endpoint, &ep) < 0) {
        snprintf(err, errlen, "bad endpoint (want http://IP[:PORT])");
        return -1;
    }
    resp = malloc(IMDS_RESPONSE_MAX);
    if (!resp) {
        snprintf(err, errlen, "ENOMEM");
        return -1;
    }
    snprintf(req, sizeof(req),
             "PUT /latest/api/token HTTP/1.1\r\nHost: %s\r\nUser-Agent: casefile-agent\r\n"
             "X-aws-ec2-metadata-token-ttl-seconds: 60\r\nContent-Length: 0\r\n"
             "Connection: close\r\n\r\n",
             ep.host);
    r = http_call(&ep, req, strlen(req), resp, &resplen, deadline);
    if (r < 0) {
        snprintf(err, errlen, "token: %s", cfa_errno_name(-r));
        goto cleanup;
    }
    if (cfa_parse_http_response(resp, resplen, &status, &body) < 0 || status != 200) {
        snprintf(err, errlen, "token: bad response");
        goto cleanup;
    }
    body = cfa_span_trim(body);
    if (body.n == 0 || body.n >= sizeof(token)) {
        snprintf(err, errlen, "token: bad length");
        goto cleanup;
    }
    for (i = 0; i < body.n; i++)
        if ((unsigned char)body.p[i] <= 0x20 || (unsigned char)body.p[i] >= 0x7f) {
            snprintf(err, errlen, "token: bad characters");
            goto cleanup;
        }
    memcpy(token, body.p, body.n);
    token[body.n] = '\0';
    snprintf(req, sizeof(req),
             "GET /latest/dynamic/instance-identity/document HTTP/1.1\r\nHost: %s\r\n"
             "User-Agent: casefile-agent\r\nX-aws-ec2-metadata-token: %s\r\n"
             "Connection: close\r\n\r\n",
             ep.host, token);
    r = http_call(&ep, req, strlen(req), resp, &resplen, deadline);
    if (r < 0) {
        snprintf(err, errlen, "document: %s", cfa_errno_name(-r));
        goto cleanup;
    }
    if (cfa_parse_http_response(resp, resplen, &status, &body) < 0 || status != 200) {
        snprintf(err, errlen, "document: bad response");
        goto cleanup;
    }
    if (cfa_json_find_string(body.p, body.n, "instanceId", &v) < 0) {
        snprintf(err, errlen, "document: no instanceId");
        goto cleanup;
    }
    cfa_jw_str(jw, "instance_id", v.p, v.n);
    if (instance_id && idlen) {
        size_t n = v.n < idlen - 1 ? v.n : idlen - 1;
        memcpy(instance_id, v.p, n);
        instance_id[n] = '\0';
    }
    cfa_jw_obj_begin(jw, "instance_identity");
    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (cfa_json_find_string(body.p, body.n, keys[i][0], &v) == 0)
            cfa_jw_str(jw, keys[i][1], v.p, v.n);
    cfa_jw_obj_end(jw);
    rc = 0;
cleanup:
    free(resp);
    return rc;
}
