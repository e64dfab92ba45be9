#include "common/cf_error.h"

#include <stdio.h>
#include <string.h>

static _Thread_local cf_error last_error;

static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n;
    if (!src) {
        dst[0] = '\0';
        return;
    }
    n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

int cf_error_vset(int code, const char *fmt, va_list ap)
{
    /* Formatted aside first: callers may pass the current message (cf_error_last()->msg) as an
     * argument, and vsnprintf into its own source is undefined. */
    char msg[CF_ERROR_MSG_MAX];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    last_error.code = code;
    last_error.http_status = 0;
    last_error.aws_code[0] = '\0';
    last_error.request_id[0] = '\0';
    memcpy(last_error.msg, msg, sizeof(msg));
    return code;
}

int cf_error_set(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cf_error_vset(code, fmt, ap);
    va_end(ap);
    return code;
}

int cf_error_set_aws(long http_status, const char *aws_code, const char *request_id,
                     const char *fmt, ...)
{
    va_list ap;
    int code = CF_EAWS;
    if (aws_code && (strstr(aws_code, "AccessDenied") || strstr(aws_code, "UnauthorizedOperation")))
        code = CF_EDENIED;
    va_start(ap, fmt);
    cf_error_vset(code, fmt, ap);
    va_end(ap);
    last_error.http_status = http_status;
    copy_str(last_error.aws_code, sizeof(last_error.aws_code), aws_code);
    copy_str(last_error.request_id, sizeof(last_error.request_id), request_id);
    return code;
}

int cf_error_wrap(const char *fmt, ...)
{
    char prefix[CF_ERROR_MSG_MAX];
    char old[CF_ERROR_MSG_MAX];
    size_t n;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    memcpy(old, last_error.msg, sizeof(old));
    n = strnlen(prefix, sizeof(last_error.msg) - 3);
    memcpy(last_error.msg, prefix, n);
    memcpy(last_error.msg + n, ": ", 2);
    copy_str(last_error.msg + n + 2, sizeof(last_error.msg) - n - 2, old);
    if (last_error.code == 0)
        last_error.code = CF_ERR;
    return last_error.code;
}

const cf_error *cf_error_last(void)
{
    return &last_error;
}

void cf_error_save(cf_error *out)
{
    *out = last_error;
}

void cf_error_restore(const cf_error *saved)
{
    last_error = *saved;
}

void cf_error_clear(void)
{
    memset(&last_error, 0, sizeof(last_error));
}

const char *cf_status_name(int code)
{
    switch (code) {
    case CF_OK:
        return "OK";
    case CF_ERR:
        return "ERR";
    case CF_ENOMEM:
        return "ENOMEM";
    case CF_EINVAL:
        return "EINVAL";
    case CF_EIO:
        return "EIO";
    case CF_ETOOBIG:
        return "ETOOBIG";
    case CF_ENOTFOUND:
        return "ENOTFOUND";
    case CF_EPARSE:
        return "EPARSE";
    case CF_ENET:
        return "ENET";
    case CF_ETIMEOUT:
        return "ETIMEOUT";
    case CF_EAWS:
        return "EAWS";
    case CF_EGUARD:
        return "EGUARD";
    case CF_EEXISTS:
        return "EEXISTS";
    case CF_EDENIED:
        return "EDENIED";
    case CF_EINTEGRITY:
        return "EINTEGRITY";
    default:
        return "EUNKNOWN";
    }
}
