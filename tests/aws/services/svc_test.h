/* Shared helpers of the service tests (header-only; each test program includes it once). */
#ifndef CF_SVC_TEST_H
#define CF_SVC_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "aws/cf_aws.h"

/* An environment variable the harness (svc_env.py) must have set. */
__attribute__((unused)) static const char *T(const char *name)
{
    const char *v = getenv(name);

    if (!v || !*v) {
        fprintf(stderr, "%s not set: run this test through svc_env.py under with-moto\n", name);
        exit(3);
    }
    return v;
}

/* A client for moto (endpoint_url NULL: AWS_ENDPOINT_URL) or another endpoint. Few attempts, so
 * a failing call fails fast. */
__attribute__((unused)) static cf_aws *t_client(const char *endpoint_url)
{
    cf_aws_options o = CF_AWS_OPTIONS_INIT;
    cf_aws *aws = NULL;

    o.endpoint_url = endpoint_url;
    o.max_attempts = 2;
    o.base_delay_ms = 10;
    if (cf_aws_new(&aws, &o) != 0) {
        fprintf(stderr, "cf_aws_new: %s\n", cf_error_last()->msg);
        exit(3);
    }
    return aws;
}

/* Runs `python3 $CF_SVC_ENV check what args...` (NULL-terminated); 1 when the fact holds. */
__attribute__((unused)) static int t_check(const char *what, ...)
{
    const char *argv[16];
    int n = 0, status = 0;
    va_list ap;
    pid_t pid;

    argv[n++] = "python3";
    argv[n++] = T("CF_SVC_ENV");
    argv[n++] = "check";
    argv[n++] = what;
    va_start(ap, what);
    while (n < 15) {
        const char *a = va_arg(ap, const char *);
        if (!a)
            break;
        argv[n++] = a;
    }
    va_end(ap);
    argv[n] = NULL;
    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        execvp("python3", (char *const *)argv);
        _exit(127);
    }
    if (pid < 0 || waitpid(pid, &status, 0) < 0)
        return 0;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Asserts rc == 0 and prints the error detail when not. */
#define T_OK(expr)                                                                                 \
    do {                                                                                           \
        int t_rc_ = (expr);                                                                        \
        if (t_rc_ != 0)                                                                            \
            fprintf(stderr, "%s -> %d %s [%s] %s\n", #expr, t_rc_, cf_status_name(t_rc_),          \
                    cf_error_last()->aws_code, cf_error_last()->msg);                              \
        assert_int_equal(t_rc_, 0);                                                                \
    } while (0)

#endif
