/* rt_host.h: `--rt`: asks the host for real-time service for the calling process (SCHED_FIFO at
 * a stated priority, all memory locked, optionally one CPU) and says what it got.
 *
 * Every part is asked for separately; a refused part is named in one line (with the reason the
 * kernel gave and the limit that explains it) and the rest still applies, so a caller can warn
 * and run (the default) or stop (strict). Threads created afterwards inherit the policy, so apply
 * it before starting them. The busy-wait tail is not applied here: it is the clock's
 * (struct clock.spin_tail_ns), copied from spin_us by the caller. */
#ifndef BMSRIG_RIG_REALTIME_RT_HOST_H
#define BMSRIG_RIG_REALTIME_RT_HOST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define RT_HOST_PRIORITY_DEFAULT 50   /* SCHED_FIFO 1..99 [I: above the kernel's threaded IRQs
                                       * at 50 would starve them; 50 shares with them] */
#define RT_HOST_SPIN_US_DEFAULT 100   /* busy-wait tail [O: clock_nanosleep wakes 10-80 us late
                                       * on this 2-core VM under SCHED_FIFO] */
#define RT_HOST_SPIN_US_MAX 5000

struct rt_host_options {
    bool enabled;     /* --rt given */
    bool strict;      /* --rt=strict: a refused part is an error, not a warning */
    int priority;     /* SCHED_FIFO priority, 1..99 */
    int cpu;          /* pin to this CPU; -1 = leave the affinity alone */
    int64_t spin_us;  /* busy-wait tail before each deadline [us], 0..RT_HOST_SPIN_US_MAX */
};

/* What the host granted, read back from the kernel after asking. */
struct rt_host_state {
    bool asked;       /* --rt was given */
    bool fifo;        /* the process runs SCHED_FIFO ... */
    int priority;     /* ... at this priority */
    bool locked;      /* mlockall(MCL_CURRENT | MCL_FUTURE) succeeded */
    int cpu;          /* pinned to this CPU, -1 if not */
    int64_t spin_us;  /* the tail the caller should give its clock (0 when not asked) */
    char refused[320];/* "" or one line naming every refused part and why */
};

/* Defaults: not enabled, priority RT_HOST_PRIORITY_DEFAULT, no CPU, RT_HOST_SPIN_US_DEFAULT. */
void rt_host_options_default(struct rt_host_options *o);

/* Parses the value of `--rt[=VALUE]`: NULL or "" (warn and run) or "strict". Returns false on
 * anything else. */
bool rt_host_parse_mode(const char *value, struct rt_host_options *o);

/* Asks for what `o` enables (nothing when !o->enabled) and fills `st`. Returns true when every
 * part was granted (or nothing was asked), false when some part was refused (st->refused says
 * which); the caller decides whether that is fatal (o->strict). */
bool rt_host_apply(const struct rt_host_options *o, struct rt_host_state *st);

/* One line for stderr: "SCHED_FIFO priority 50, memory locked, CPU 1, spin tail 100 us" or
 * "off". */
void rt_host_describe(const struct rt_host_state *st, char *out, size_t cap);

/* `"rt":{...}` (no leading comma) for a JSON report. */
void rt_host_json(FILE *f, const struct rt_host_state *st);

#endif
