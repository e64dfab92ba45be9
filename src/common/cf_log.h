/* cf_log: progress and diagnostics for the command line, on stderr.
 * Level from CASEFILE_LOG_LEVEL (error|warn|info|debug; default info) or cf_log_set_level().
 * Library code below src/cli logs only at debug level; user-facing messages come from the CLI
 * and the workflow engine. Thread-safe (one line per call). */
#ifndef CF_LOG_H
#define CF_LOG_H

enum cf_log_level { CF_LOG_ERROR = 0, CF_LOG_WARN, CF_LOG_INFO, CF_LOG_DEBUG };

void cf_log_set_level(int level);
int cf_log_level(void);
void cf_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define cf_log_error(...) cf_log(CF_LOG_ERROR, __VA_ARGS__)
#define cf_log_warn(...)  cf_log(CF_LOG_WARN, __VA_ARGS__)
#define cf_log_info(...)  cf_log(CF_LOG_INFO, __VA_ARGS__)
#define cf_log_debug(...) cf_log(CF_LOG_DEBUG, __VA_ARGS__)

#endif
