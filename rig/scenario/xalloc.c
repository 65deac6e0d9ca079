/* xalloc.c: string allocations that abort on out of memory (rig/scenario/xalloc.h). */
#include "rig/scenario/xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *xstrdup(const char *s)
{
    if (!s)
        s = "";
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (!d) {
        fputs("bmsrig: out of memory\n", stderr);
        abort();  /* policy: small string allocations abort (style.md convention 5) */
    }
    memcpy(d, s, n);
    return d;
}

char *xprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *out = NULL;
    if (vasprintf(&out, fmt, ap) < 0) {
        fputs("bmsrig: out of memory\n", stderr);
        abort();
    }
    va_end(ap);
    return out;
}
