/* cf_error: the one way casefile reports failure.
 *
 * Every fallible function returns an int: 0 (CF_OK) on success, a negative CF_E* code on failure.
 * The detail (message, and for AWS calls the HTTP status, AWS error code and request id) goes into
 * a thread-local error object with cf_error_set*(); the caller reads it with cf_error_last().
 * Setting an error never allocates and never fails. Deep library code never prints to stderr.
 */
#ifndef CF_ERROR_H
#define CF_ERROR_H

#include <stdarg.h>

enum cf_status {
    CF_OK = 0,
    CF_ERR = -1,        /* generic failure */
    CF_ENOMEM = -2,     /* allocation failed */
    CF_EINVAL = -3,     /* bad argument or bad input (usage / input error) */
    CF_EIO = -4,        /* file or device I/O */
    CF_ETOOBIG = -5,    /* a size limit was reached (bounded buffers, hostile input) */
    CF_ENOTFOUND = -6,  /* the thing asked for does not exist */
    CF_EPARSE = -7,     /* malformed input */
    CF_ENET = -8,       /* connection, DNS, TLS */
    CF_ETIMEOUT = -9,   /* a time limit was reached */
    CF_EAWS = -10,      /* AWS answered with an error (see http_status, aws_code) */
    CF_EGUARD = -11,    /* a guardrail refused the change */
    CF_EEXISTS = -12,   /* already exists */
    CF_EDENIED = -13,   /* permission denied (local or AWS AccessDenied/UnauthorizedOperation) */
    CF_EINTEGRITY = -14 /* a hash or signature did not match */
};

#define CF_ERROR_MSG_MAX 1024

typedef struct cf_error {
    int code;             /* a CF_E* value */
    long http_status;     /* 0 when not an HTTP error */
    char aws_code[128];   /* e.g. "InvalidInstanceID.NotFound"; empty when none */
    char request_id[128]; /* AWS request id; empty when none */
    char msg[CF_ERROR_MSG_MAX];
} cf_error;

/* Records an error and returns its code, so callers can write `return cf_error_set(...)`. */
int cf_error_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cf_error_vset(int code, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Records an AWS error answer. */
int cf_error_set_aws(long http_status, const char *aws_code, const char *request_id,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Prefixes the current message with context ("describe instance i-123: <old msg>"); returns code.
 */
int cf_error_wrap(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The last error of this thread; never NULL (code 0 and empty msg when none). */
const cf_error *cf_error_last(void);
/* Copies the last error into *out (for keeping it across further calls). */
void cf_error_save(cf_error *out);
void cf_error_restore(const cf_error *saved);
void cf_error_clear(void);
/* A short stable name for a code: "EINVAL", "EAWS", ... */
const char *cf_status_name(int code);

#endif
