#include "common/cf_time.h"
#include "common/cf_error.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t cf_time_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * CF_NS_PER_SEC + ts.tv_nsec;
}

int64_t cf_time_monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * CF_NS_PER_SEC + ts.tv_nsec;
}

static void split(int64_t ns, time_t *sec, long *frac)
{
    int64_t s = ns / CF_NS_PER_SEC, f = ns % CF_NS_PER_SEC;
    if (f < 0) {
        f += CF_NS_PER_SEC;
        s--;
    }
    *sec = (time_t)s;
    *frac = (long)f;
}

void cf_time_format(int64_t ns, char out[CF_TIME_STR_MAX])
{
    time_t sec;
    long frac;
    struct tm tm;
    split(ns, &sec, &frac);
    gmtime_r(&sec, &tm);
    snprintf(out, CF_TIME_STR_MAX, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac / 1000);
}

void cf_time_format_sec(int64_t ns, char out[CF_TIME_STR_MAX])
{
    time_t sec;
    long frac;
    struct tm tm;
    split(ns, &sec, &frac);
    gmtime_r(&sec, &tm);
    snprintf(out, CF_TIME_STR_MAX, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

int64_t cf_time_from_civil(int y, int m, int d, int hh, int mm, int ss)
{
    /* Howard Hinnant's days_from_civil */
    int64_t era, yoe, doy, doe, days;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    days = era * 146097 + doe - 719468;
    return ((days * 24 + hh) * 60 + mm) * 60 + ss;
}

static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if ((*p)[i] < '0' || (*p)[i] > '9')
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

int cf_time_parse(const char *s, int64_t *ns_out)
{
    const char *p = s;
    int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0, sign = 0;
    int64_t frac = 0, scale = CF_NS_PER_SEC;
    if (!s || digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
        digits(&p, 2, &d))
        goto bad;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
            goto bad;
        if (*p == ':') {
            p++;
            if (digits(&p, 2, &sec))
                goto bad;
        }
        if (*p == '.' || *p == ',') {
            p++;
            if (*p < '0' || *p > '9')
                goto bad;
            while (*p >= '0' && *p <= '9') {
                if (scale > 1) {
                    scale /= 10;
                    frac += (*p - '0') * scale;
                }
                p++;
            }
        }
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        sign = *p == '+' ? 1 : -1;
        p++;
        if (digits(&p, 2, &oh))
            goto bad;
        if (*p == ':')
            p++;
        if (digits(&p, 2, &om))
            goto bad;
    }
    if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        goto bad;
    {
        /* int64 nanoseconds reach 1677..2262; a time outside cannot be represented */
        int64_t secs = cf_time_from_civil(y, mo, d, h, mi, sec) - sign * (oh * 3600 + om * 60);
        if (secs <= INT64_MIN / CF_NS_PER_SEC || secs >= INT64_MAX / CF_NS_PER_SEC)
            goto bad;
        *ns_out = secs * CF_NS_PER_SEC + frac;
    }
    return CF_OK;
bad:
    return cf_error_set(CF_EPARSE, "not an RFC 3339 time: '%.64s'", s ? s : "(null)");
}
