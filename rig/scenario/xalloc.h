/* xalloc.h: PRIVATE to rig/scenario/: the string allocations of the scenario files, which abort
 * on out of memory (style.md convention 5) instead of returning NULL. Returned strings are
 * owned by the caller (free). */
#ifndef BMSRIG_RIG_XALLOC_H
#define BMSRIG_RIG_XALLOC_H

/* A copy of s ("" for NULL). */
char *xstrdup(const char *s);
/* A new string formatted as printf would. */
char *xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
