/* log.h: leveled diagnostics on stderr through per-file-prefixed macros.
 *
 * Each .c that logs defines LOG_PREFIX before including this header:
 *     #define LOG_PREFIX "decode"
 * Messages carry no trailing period. Only main and the CLI print to stdout. */
#ifndef BMSRIG_RIG_LOG_H
#define BMSRIG_RIG_LOG_H

enum log_level { LOG_ERR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DBG = 3, LOG_IO = 4 };

/* Messages above this level are dropped. Default LOG_WARN; the CLI raises it for -v. */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

/* Writes "bmsrig: <prefix>: <message>\n" to stderr when `level` is enabled. */
void log_msg(enum log_level level, const char *prefix, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#ifndef LOG_PREFIX
#define LOG_PREFIX "bmsrig"
#endif

#define br_err(...) log_msg(LOG_ERR, LOG_PREFIX, __VA_ARGS__)
#define br_warn(...) log_msg(LOG_WARN, LOG_PREFIX, __VA_ARGS__)
#define br_info(...) log_msg(LOG_INFO, LOG_PREFIX, __VA_ARGS__)
#define br_dbg(...) log_msg(LOG_DBG, LOG_PREFIX, __VA_ARGS__)
#define br_io(...) log_msg(LOG_IO, LOG_PREFIX, __VA_ARGS__)

#endif
