/* The credentials chain, in the AWS SDK order:
 *   1. environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN)
 *   2. the profile's role_arn + source_profile (STS AssumeRole with the source's credentials)
 *   3. the shared credentials file, the profile's credential_process, the config file's keys
 *   4. container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI + token)
 *   5. EC2 instance metadata (IMDSv2: PUT token, then GET role and credentials)
 */
#include "aws/aws_internal.h"
#include "aws/sts.h"
#include "common/cf_fs.h"
#include "common/cf_json.h"
#include "common/cf_time.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#define CREDS_DOC_MAX     (64u << 10)
#define ASSUME_MAX_HOPS   4
#define PROCESS_TIMEOUT_S 60

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return (v && *v) ? v : NULL;
}

static int set_field(char *out, size_t cap, const char *v, const char *what)
{
    size_t n = v ? strlen(v) : 0;
    if (n >= cap)
        return cf_error_set(CF_EPARSE, "credential %s is too long", what);
    memcpy(out, v ? v : "", n + 1);
    return CF_OK;
}

static int fill(cf_aws_credentials *out, const char *akid, const char *secret, const char *token,
                const char *source)
{
    int rc = set_field(out->access_key_id, sizeof(out->access_key_id), akid, "access key id");
    if (!rc)
        rc =
            set_field(out->secret_access_key, sizeof(out->secret_access_key), secret, "secret key");
    if (!rc)
        rc = set_field(out->session_token, sizeof(out->session_token), token, "session token");
    if (!rc)
        rc = set_field(out->source, sizeof(out->source), source, "source");
    return rc;
}

int cf_aws_expiration_parse(const char *s, int64_t *ns_out)
{
    long year = 0;
    /* cf_time_parse works in int64 nanoseconds (years 1678..2262); refuse other years here so
     * a hostile document cannot overflow it */
    for (int i = 0; i < 4; i++) {
        if (s[i] < '0' || s[i] > '9')
            return cf_error_set(CF_EPARSE, "credentials Expiration is not a time");
        year = year * 10 + (s[i] - '0');
    }
    if (year < 1970 || year > 2200)
        return cf_error_set(CF_EPARSE, "credentials Expiration year %ld out of range", year);
    if (cf_time_parse(s, ns_out))
        return cf_error_set(CF_EPARSE, "credentials Expiration is not a time");
    return CF_OK;
}

int cf_aws_creds_parse_json(const char *data, size_t len, cf_aws_credentials *out)
{
    json_t *j = NULL;
    const char *akid, *secret, *token, *exp, *code;
    int rc;
    memset(out, 0, sizeof(*out));
    if (len > CREDS_DOC_MAX)
        return cf_error_set(CF_ETOOBIG, "credentials document of %zu bytes is too large", len);
    rc = cf_json_parse(data, len, &j);
    if (rc)
        goto cleanup;
    if (!json_is_object(j)) {
        rc = cf_error_set(CF_EPARSE, "credentials document is not a JSON object");
        goto cleanup;
    }
    code = cf_json_str(j, "Code");
    if (code && strcmp(code, "Success") != 0) {
        rc = cf_error_set(CF_EPARSE, "credentials document says Code=%.64s", code);
        goto cleanup;
    }
    akid = cf_json_str(j, "AccessKeyId");
    secret = cf_json_str(j, "SecretAccessKey");
    token = cf_json_str(j, "Token");
    if (!token)
        token = cf_json_str(j, "SessionToken");
    exp = cf_json_str(j, "Expiration");
    if (!akid || !*akid || !secret || !*secret) {
        rc = cf_error_set(CF_EPARSE, "credentials document lacks AccessKeyId/SecretAccessKey");
        goto cleanup;
    }
    rc = fill(out, akid, secret, token, "");
    if (!rc && exp)
        rc = cf_aws_expiration_parse(exp, &out->expiration_ns);
cleanup:
    if (rc)
        cf_aws_wipe(out, sizeof(*out));
    json_decref(j);
    return rc;
}

/* ---- profiles ------------------------------------------------------------------------------ */

static const char *profile_get(const cf_aws *aws, const char *profile, const char *key,
                               int config_only)
{
    char sec[160];
    const char *v = NULL;
    if (!config_only)
        v = cf_ini_get(aws->creds_file, profile, key);
    if (v)
        return v;
    if (strcmp(profile, "default") == 0)
        snprintf(sec, sizeof(sec), "default");
    else
        snprintf(sec, sizeof(sec), "profile %s", profile);
    v = cf_ini_get(aws->config, sec, key);
    if (!v && strcmp(profile, "default") == 0)
        v = cf_ini_get(aws->config, "profile default", key);
    return v;
}

static int static_profile(const cf_aws *aws, const char *profile, cf_aws_credentials *out)
{
    const char *akid = cf_ini_get(aws->creds_file, profile, "aws_access_key_id");
    const char *secret = cf_ini_get(aws->creds_file, profile, "aws_secret_access_key");
    const char *token = cf_ini_get(aws->creds_file, profile, "aws_session_token");
    const char *src = "profile";
    if (!akid || !secret) {
        akid = profile_get(aws, profile, "aws_access_key_id", 1);
        secret = profile_get(aws, profile, "aws_secret_access_key", 1);
        token = profile_get(aws, profile, "aws_session_token", 1);
        src = "config";
    }
    if (!akid || !*akid || !secret || !*secret)
        return CF_ENOTFOUND; /* silently: the chain goes on */
    return fill(out, akid, secret, token, src);
}

static int profile_creds(cf_aws *aws, const char *profile, int hops, cf_aws_credentials *out);

static int assume_role(cf_aws *aws, const char *profile, const char *role_arn, int hops,
                       cf_aws_credentials *out)
{
    const char *source = profile_get(aws, profile, "source_profile", 0);
    const char *session = profile_get(aws, profile, "role_session_name", 0);
    const char *external = profile_get(aws, profile, "external_id", 0);
    const char *duration = profile_get(aws, profile, "duration_seconds", 0);
    cf_aws_credentials src;
    cf_aws *sts_client = NULL;
    cf_sts_assume_role_result res;
    char session_buf[64];
    int secs = 3600, rc;
    memset(&src, 0, sizeof(src));
    memset(&res, 0, sizeof(res));
    if (hops >= ASSUME_MAX_HOPS) {
        rc = cf_error_set(CF_EINVAL, "profile %s: role chain longer than %d (a loop?)", profile,
                          ASSUME_MAX_HOPS);
        goto cleanup;
    }
    if (!source) {
        rc = cf_error_set(CF_EINVAL,
                          "profile %s has role_arn but no source_profile "
                          "(credential_source is not supported)",
                          profile);
        goto cleanup;
    }
    /* a profile that is its own source uses its static keys (SDK behaviour) */
    if (strcmp(source, profile) == 0)
        rc = static_profile(aws, source, &src);
    else
        rc = profile_creds(aws, source, hops + 1, &src);
    if (rc) {
        if (rc == CF_ENOTFOUND)
            rc = cf_error_set(CF_ENOTFOUND,
                              "source_profile %s of profile %s has no "
                              "credentials",
                              source, profile);
        goto cleanup;
    }
    if (duration) {
        char *end;
        long d = strtol(duration, &end, 10);
        if (*end || d < 900 || d > 43200) {
            rc =
                cf_error_set(CF_EINVAL, "profile %s: duration_seconds must be 900..43200", profile);
            goto cleanup;
        }
        secs = (int)d;
    }
    if (!session) {
        snprintf(session_buf, sizeof(session_buf), "casefile-%lld",
                 (long long)(cf_time_now() / CF_NS_PER_SEC));
        session = session_buf;
    }
    rc = cf_aws_new_static(&sts_client, aws, &src);
    if (!rc)
        rc = cf_sts_assume_role(sts_client, role_arn, session, external, secs, &res);
    if (rc) {
        cf_error_wrap("assume role %s for profile %s", role_arn, profile);
        goto cleanup;
    }
    rc = fill(out, res.credentials.access_key_id, res.credentials.secret_access_key,
              res.credentials.session_token, "assume-role");
    out->expiration_ns = res.credentials.expiration_ns;
cleanup:
    cf_aws_free(sts_client);
    cf_aws_wipe(&src, sizeof(src));
    cf_aws_wipe(&res, sizeof(res));
    return rc;
}

/* credential_process: runs the command (/bin/sh -c), reads at most CREDS_DOC_MAX bytes of its
 * standard output within PROCESS_TIMEOUT_S, requires exit status 0 and a Version 1 document. */
static int process_creds(const char *cmd, cf_aws_credentials *out)
{
    cf_buf b = CF_BUF_INIT(CREDS_DOC_MAX);
    int fds[2] = {-1, -1}, status = 0, rc = CF_OK;
    int64_t deadline = cf_time_monotonic() + PROCESS_TIMEOUT_S * CF_NS_PER_SEC;
    pid_t pid = -1;
    json_t *j = NULL;
    if (pipe(fds) != 0) {
        rc = cf_error_set(CF_EIO, "credential_process: pipe: %s", strerror(errno));
        goto cleanup;
    }
    pid = fork();
    if (pid < 0) {
        rc = cf_error_set(CF_EIO, "credential_process: fork: %s", strerror(errno));
        goto cleanup;
    }
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    fds[1] = -1;
    for (;;) {
        char chunk[4096];
        struct pollfd pfd = {fds[0], POLLIN, 0};
        int64_t left = (deadline - cf_time_monotonic()) / 1000000;
        ssize_t n;
        if (left <= 0) {
            rc = cf_error_set(CF_ETIMEOUT, "credential_process did not finish in %d s",
                              PROCESS_TIMEOUT_S);
            goto cleanup;
        }
        if (poll(&pfd, 1, (int)left) <= 0)
            continue;
        n = read(fds[0], chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (cf_buf_add(&b, chunk, (size_t)n)) {
            rc = cf_error_set(CF_ETOOBIG, "credential_process output is larger than %u bytes",
                              CREDS_DOC_MAX);
            goto cleanup;
        }
    }
    if (waitpid(pid, &status, 0) == pid)
        pid = -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        rc = cf_error_set(CF_ERR, "credential_process failed (status %d)",
                          WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        goto cleanup;
    }
    rc = cf_json_parse(cf_buf_cstr(&b), b.len, &j);
    if (!rc && !(json_is_integer(json_object_get(j, "Version")) &&
                 json_integer_value(json_object_get(j, "Version")) == 1))
        rc = cf_error_set(CF_EPARSE, "credential_process output must have \"Version\": 1");
    if (!rc)
        rc = cf_aws_creds_parse_json(cf_buf_cstr(&b), b.len, out);
    if (!rc)
        snprintf(out->source, sizeof(out->source), "process");
    if (rc)
        cf_error_wrap("credential_process");
cleanup:
    if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    if (fds[0] >= 0)
        close(fds[0]);
    if (fds[1] >= 0)
        close(fds[1]);
    json_decref(j);
    if (b.data)
        cf_aws_wipe(b.data, b.len);
    cf_buf_release(&b);
    return rc;
}

/* Credentials of a named profile, in the SDK order: role, credentials-file keys,
 * credential_process, config-file keys. CF_ENOTFOUND when none. */
static int profile_creds(cf_aws *aws, const char *profile, int hops, cf_aws_credentials *out)
{
    const char *role = profile_get(aws, profile, "role_arn", 0);
    const char *process = profile_get(aws, profile, "credential_process", 1);
    int rc;
    if (role && *role)
        return assume_role(aws, profile, role, hops, out);
    rc = static_profile(aws, profile, out);
    if (rc == CF_OK && strcmp(out->source, "profile") == 0)
        return rc;
    if (process && *process) {
        cf_aws_wipe(out, sizeof(*out));
        return process_creds(process, out);
    }
    return rc;
}

/* ---- HTTP credential sources --------------------------------------------------------------- */

static int http_get(cf_aws *aws, const char *method, const char *url, struct curl_slist *hdrs,
                    long timeout_ms, cf_aws_response *r)
{
    cf_http_req hr;
    memset(&hr, 0, sizeof(hr));
    hr.method = method;
    hr.url = url;
    hr.headers = hdrs;
    hr.max_body = CREDS_DOC_MAX;
    hr.connect_timeout_ms = timeout_ms;
    hr.timeout_ms = timeout_ms * 2;
    hr.low_speed_time_s = 2;
    if (strcmp(method, "PUT") == 0) {
        hr.body = "";
        hr.body_len = 0;
    }
    return cf_aws_http(aws, &hr, r);
}

static int full_uri_allowed(const char *uri)
{
    static const char *const ok[] = {"http://127.",
                                     "http://localhost",
                                     "http://[::1]",
                                     "http://169.254.170.2",
                                     "http://169.254.170.23",
                                     "http://[fd00:ec2::23]",
                                     NULL};
    if (strncmp(uri, "https://", 8) == 0)
        return 1;
    for (int i = 0; ok[i]; i++) {
        size_t n = strlen(ok[i]);
        if (strncmp(uri, ok[i], n) == 0) {
            char c = uri[n];
            /* "http://169.254.170.2" must not match "http://169.254.170.20.evil" */
            if (ok[i][n - 1] == '.' || c == '\0' || c == '/' || c == ':')
                return 1;
        }
    }
    return 0;
}

static int container_creds(cf_aws *aws, cf_aws_credentials *out)
{
    const char *rel = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    const char *full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    const char *token_file = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    const char *token = env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
    char url[2048];
    cf_buf tok = CF_BUF_INIT(16384);
    cf_buf hline = CF_BUF_INIT(20000);
    struct curl_slist *h = NULL;
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    int rc = CF_OK;
    if (rel) {
        snprintf(url, sizeof(url), "http://169.254.170.2%s", rel);
        if (env("CF_AWS_TEST_CONTAINER_HOST")) /* tests: the fake endpoint on loopback */
            snprintf(url, sizeof(url), "%s%s", env("CF_AWS_TEST_CONTAINER_HOST"), rel);
    } else if (full) {
        if (!full_uri_allowed(full)) {
            rc = cf_error_set(CF_EINVAL, "AWS_CONTAINER_CREDENTIALS_FULL_URI must be https or a "
                                         "loopback/ECS/EKS address");
            goto cleanup;
        }
        if (snprintf(url, sizeof(url), "%s", full) >= (int)sizeof(url)) {
            rc = cf_error_set(CF_EINVAL, "AWS_CONTAINER_CREDENTIALS_FULL_URI too long");
            goto cleanup;
        }
    } else {
        rc = CF_ENOTFOUND;
        goto cleanup;
    }
    if (token_file) {
        rc = cf_fs_read(token_file, &tok);
        if (rc) {
            cf_error_wrap("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
            goto cleanup;
        }
        while (tok.len && (tok.data[tok.len - 1] == '\n' || tok.data[tok.len - 1] == '\r'))
            tok.data[--tok.len] = '\0';
        token = tok.data;
    }
    if (token && *token) {
        if (strpbrk(token, "\r\n")) {
            rc = cf_error_set(CF_EINVAL, "container authorization token has a line break");
            goto cleanup;
        }
        rc = cf_buf_addf(&hline, "Authorization: %s", token);
        if (rc)
            goto cleanup;
        h = curl_slist_append(NULL, hline.data);
        if (!h) {
            rc = cf_error_set(CF_ENOMEM, "out of memory");
            goto cleanup;
        }
    }
    rc = http_get(aws, "GET", url, h, 2000, &r);
    if (!rc && r.http_status != 200)
        rc = cf_error_set(CF_EDENIED, "container credentials endpoint answered HTTP %ld",
                          r.http_status);
    if (!rc)
        rc = cf_aws_creds_parse_json(cf_buf_cstr(&r.body), r.body.len, out);
    if (!rc)
        snprintf(out->source, sizeof(out->source), "container");
    if (rc)
        cf_error_wrap("container credentials");
cleanup:
    curl_slist_free_all(h);
    if (tok.data)
        cf_aws_wipe(tok.data, tok.len);
    if (hline.data)
        cf_aws_wipe(hline.data, hline.len);
    cf_buf_release(&tok);
    cf_buf_release(&hline);
    if (r.body.data)
        cf_aws_wipe(r.body.data, r.body.len);
    cf_aws_response_release(&r);
    return rc;
}

static int imds_creds(cf_aws *aws, cf_aws_credentials *out)
{
    const char *base = env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    const char *disabled = env("AWS_EC2_METADATA_DISABLED");
    const char *tmo = env("AWS_METADATA_SERVICE_TIMEOUT");
    char url[2048], role[256], hbuf[512];
    struct curl_slist *h = NULL;
    cf_aws_response r = CF_AWS_RESPONSE_INIT;
    long timeout_ms = 1000;
    size_t blen, n;
    int rc;
    if (disabled && strcasecmp(disabled, "true") == 0)
        return CF_ENOTFOUND;
    if (!base)
        base = "http://169.254.169.254";
    blen = strlen(base);
    while (blen && base[blen - 1] == '/')
        blen--;
    if (tmo) {
        long t = strtol(tmo, NULL, 10);
        if (t > 0 && t <= 60)
            timeout_ms = t * 1000;
    }
    snprintf(url, sizeof(url), "%.*s/latest/api/token", (int)blen, base);
    h = curl_slist_append(NULL, "X-aws-ec2-metadata-token-ttl-seconds: 21600");
    if (!h) {
        rc = cf_error_set(CF_ENOMEM, "out of memory");
        goto cleanup;
    }
    rc = http_get(aws, "PUT", url, h, timeout_ms, &r);
    if (!rc && r.http_status != 200)
        rc = cf_error_set(CF_ENET, "IMDS token request answered HTTP %ld", r.http_status);
    if (rc)
        goto cleanup;
    n = r.body.len;
    if (n == 0 || n > 200 || strpbrk(r.body.data, "\r\n")) {
        rc = cf_error_set(CF_EPARSE, "IMDS returned a malformed token");
        goto cleanup;
    }
    snprintf(hbuf, sizeof(hbuf), "X-aws-ec2-metadata-token: %s", r.body.data);
    curl_slist_free_all(h);
    h = curl_slist_append(NULL, hbuf);
    cf_aws_wipe(hbuf, sizeof(hbuf));
    if (!h) {
        rc = cf_error_set(CF_ENOMEM, "out of memory");
        goto cleanup;
    }
    snprintf(url, sizeof(url), "%.*s/latest/meta-data/iam/security-credentials/", (int)blen, base);
    rc = http_get(aws, "GET", url, h, timeout_ms, &r);
    if (!rc && r.http_status != 200)
        rc = cf_error_set(CF_ENOTFOUND, "IMDS has no instance role (HTTP %ld)", r.http_status);
    if (rc)
        goto cleanup;
    n = strcspn(cf_buf_cstr(&r.body), "\r\n");
    if (n == 0 || n >= sizeof(role)) {
        rc = cf_error_set(CF_EPARSE, "IMDS returned a malformed role name");
        goto cleanup;
    }
    memcpy(role, r.body.data, n);
    role[n] = '\0';
    for (size_t i = 0; i < n; i++)
        if (role[i] == '/' || role[i] == '?' || role[i] == '#' || (unsigned char)role[i] < 0x21) {
            rc = cf_error_set(CF_EPARSE, "IMDS returned a malformed role name");
            goto cleanup;
        }
    snprintf(url, sizeof(url), "%.*s/latest/meta-data/iam/security-credentials/%s", (int)blen, base,
             role);
    rc = http_get(aws, "GET", url, h, timeout_ms, &r);
    if (!rc && r.http_status != 200)
        rc = cf_error_set(CF_ENET, "IMDS credentials answered HTTP %ld", r.http_status);
    if (!rc)
        rc = cf_aws_creds_parse_json(cf_buf_cstr(&r.body), r.body.len, out);
    if (!rc)
        snprintf(out->source, sizeof(out->source), "imds");
cleanup:
    if (rc)
        cf_error_wrap("instance metadata credentials");
    curl_slist_free_all(h);
    if (r.body.data)
        cf_aws_wipe(r.body.data, r.body.len);
    cf_aws_response_release(&r);
    return rc;
}

int cf_aws_creds_resolve(cf_aws *aws, cf_aws_credentials *out)
{
    const char *akid = env("AWS_ACCESS_KEY_ID"), *secret = env("AWS_SECRET_ACCESS_KEY");
    int rc;
    memset(out, 0, sizeof(*out));
    if (akid && secret)
        return fill(out, akid, secret, env("AWS_SESSION_TOKEN"), "env");
    rc = profile_creds(aws, aws->profile, aws->assume_depth, out);
    if (rc != CF_ENOTFOUND)
        return rc;
    rc = container_creds(aws, out);
    if (rc != CF_ENOTFOUND)
        return rc;
    rc = imds_creds(aws, out);
    if (rc == CF_OK)
        return rc;
    if (rc == CF_ENOTFOUND && !cf_error_last()->msg[0])
        return cf_error_set(CF_ENOTFOUND,
                            "no AWS credentials (environment, profile %s, "
                            "container, instance metadata all empty)",
                            aws->profile);
    return cf_error_set(CF_ENOTFOUND,
                        "no AWS credentials: environment, profile %s and "
                        "container had none; %s",
                        aws->profile, cf_error_last()->msg);
}
