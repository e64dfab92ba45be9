/* cf_time: times are int64 nanoseconds since the Unix epoch, UTC. Text is RFC 3339. */
#ifndef CF_TIME_H
#define CF_TIME_H

#include <stdint.h>

#define CF_TIME_STR_MAX 96
#define CF_NS_PER_SEC   1000000000LL

int64_t cf_time_now(void);       /* wall clock */
int64_t cf_time_monotonic(void); /* for durations */
/* "2026-11-27T20:25:09.123456Z" (microseconds; trailing zeros kept). */
void cf_time_format(int64_t ns, char out[CF_TIME_STR_MAX]);
/* "2026-11-27T20:25:09Z" (seconds only; for AWS APIs and headers). */
void cf_time_format_sec(int64_t ns, char out[CF_TIME_STR_MAX]);
/* Parses RFC 3339 / ISO 8601 ("...Z", "+hh:mm", fractional seconds, 'T' or ' ').
 * Returns CF_OK or CF_EPARSE. */
int cf_time_parse(const char *s, int64_t *ns_out);
/* timegm without the locale: days from civil date (proleptic Gregorian). */
int64_t cf_time_from_civil(int year, int month, int day, int hour, int min, int sec);

#endif
