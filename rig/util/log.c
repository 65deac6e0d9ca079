/* log.c: the one place diagnostics are written. The level is process-wide configuration,
 * not device state. */
#include "rig/util/log.h"

#include <stdarg.h>
#include <stdio.h>

static enum log_level current_level = LOG_WARN;

void log_set_level(enum log_level level) { current_level = level; }
enum log_level log_get_level(void) { return current_level; }

void log_msg(enum log_level level, const char *prefix, const char *fmt, ...)
{
    if (level > current_level)
        return;
    static const char *const tags[] = { "error: ", "warning: ", "", "debug: ", "io: " };
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "bmsrig: %s: %s", prefix, tags[level]);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}
