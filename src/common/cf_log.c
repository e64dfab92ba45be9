#include "common/cf_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int log_level = -1;

static int level_from_env(void)
{
    const char *s = getenv("CASEFILE_LOG_LEVEL");
    if (!s)
        return CF_LOG_INFO;
    if (!strcmp(s, "error"))
        return CF_LOG_ERROR;
    if (!strcmp(s, "warn"))
        return CF_LOG_WARN;
    if (!strcmp(s, "debug"))
        return CF_LOG_DEBUG;
    return CF_LOG_INFO;
}

void cf_log_set_level(int level)
{
    log_level = level;
}

int cf_log_level(void)
{
    if (log_level < 0)
        log_level = level_from_env();
    return log_level;
}

void cf_log(int level, const char *fmt, ...)
{
    static const char *const names[] = {"error: ", "warning: ", "", "debug: "};
    char line[4096];
    va_list ap;
    if (level > cf_log_level())
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    fprintf(stderr, "casefile: %s%s\n", names[level < 0 || level > 3 ? 0 : level], line);
}
