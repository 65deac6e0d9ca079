/* rt_host.c: SCHED_FIFO, mlockall and CPU affinity for `--rt`, each granted or refused with its
 * reason. */
#include "rig/realtime/rt_host.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

void rt_host_options_default(struct rt_host_options *o)
{
    *o = (struct rt_host_options){ .enabled = false, .strict = false,
                                   .priority = RT_HOST_PRIORITY_DEFAULT, .cpu = -1,
                                   .spin_us = RT_HOST_SPIN_US_DEFAULT };
}

bool rt_host_parse_mode(const char *value, struct rt_host_options *o)
{
    if (!value || !*value) {
        o->enabled = true;
        o->strict = false;
        return true;
    }
    if (strcmp(value, "strict") == 0) {
        o->enabled = true;
        o->strict = true;
        return true;
    }
    return false;
}

/* Appends "; " + text to the refusal line (cut at its capacity, never overflowing). */
static void refuse(struct rt_host_state *st, const char *text)
{
    size_t n = strlen(st->refused);
    snprintf(st->refused + n, sizeof(st->refused) - n, "%s%s", n ? "; " : "", text);
}

/* "RLIMIT_X is N" or "RLIMIT_X is unlimited" for a refusal's reason. */
static void limit_text(int resource, const char *name, const char *unit, uint64_t div, char *out,
                       size_t cap)
{
    struct rlimit rl;
    if (getrlimit(resource, &rl) != 0)
        snprintf(out, cap, "%s unreadable", name);
    else if (rl.rlim_cur == RLIM_INFINITY)
        snprintf(out, cap, "%s is unlimited", name);
    else
        snprintf(out, cap, "%s is %llu%s", name, (unsigned long long)(rl.rlim_cur / div), unit);
}

static void ask_fifo(const struct rt_host_options *o, struct rt_host_state *st)
{
    struct sched_param sp = { .sched_priority = o->priority };
    if (sched_setscheduler(0, SCHED_FIFO, &sp) != 0) {
        int e = errno;
        char lim[64], msg[200];
        limit_text(RLIMIT_RTPRIO, "RLIMIT_RTPRIO", "", 1, lim, sizeof(lim));
        snprintf(msg, sizeof(msg), "SCHED_FIFO priority %d refused (%s; %s, no CAP_SYS_NICE?)",
                 o->priority, strerror(e), lim);
        refuse(st, msg);
    }
    /* read back what the kernel has, whatever it said */
    if (sched_getscheduler(0) == SCHED_FIFO && sched_getparam(0, &sp) == 0) {
        st->fifo = true;
        st->priority = sp.sched_priority;
    }
}

static void ask_lock(struct rt_host_state *st)
{
    /* MCL_FUTURE under a finite RLIMIT_MEMLOCK without CAP_IPC_LOCK would let a later malloc
     * fail once the limit is reached: ask only where no limit applies (root, or unlimited). */
    struct rlimit rl;
    bool unlimited = getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur == RLIM_INFINITY;
    char lim[64], msg[200];
    limit_text(RLIMIT_MEMLOCK, "RLIMIT_MEMLOCK", " KiB", 1024, lim, sizeof(lim));
    if (!unlimited && geteuid() != 0) {
        snprintf(msg, sizeof(msg), "memory lock not attempted (%s: locking future allocations "
                                   "would make them fail at the limit)", lim);
        refuse(st, msg);
        return;
    }
    if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0) {
        snprintf(msg, sizeof(msg), "memory lock refused (%s; %s)", strerror(errno), lim);
        refuse(st, msg);
        return;
    }
    st->locked = true;
}

static void ask_cpu(const struct rt_host_options *o, struct rt_host_state *st)
{
    char msg[160];
    if (o->cpu >= CPU_SETSIZE) {
        snprintf(msg, sizeof(msg), "CPU %d does not exist", o->cpu);
        refuse(st, msg);
        return;
    }
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(o->cpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set) != 0) {
        snprintf(msg, sizeof(msg), "CPU %d refused (%s; %ld CPUs online)", o->cpu,
                 strerror(errno), sysconf(_SC_NPROCESSORS_ONLN));
        refuse(st, msg);
        return;
    }
    st->cpu = o->cpu;
}

bool rt_host_apply(const struct rt_host_options *o, struct rt_host_state *st)
{
    *st = (struct rt_host_state){ .cpu = -1 };
    if (!o || !o->enabled)
        return true;
    st->asked = true;
    st->spin_us = o->spin_us;
    ask_fifo(o, st);
    ask_lock(st);
    if (o->cpu >= 0)
        ask_cpu(o, st);
    return st->refused[0] == '\0';
}

void rt_host_describe(const struct rt_host_state *st, char *out, size_t cap)
{
    if (!st->asked) {
        snprintf(out, cap, "off");
        return;
    }
    char cpu[32] = "";
    if (st->cpu >= 0)
        snprintf(cpu, sizeof(cpu), ", CPU %d", st->cpu);
    char fifo[48];
    if (st->fifo)
        snprintf(fifo, sizeof(fifo), "SCHED_FIFO priority %d", st->priority);
    else
        snprintf(fifo, sizeof(fifo), "normal scheduling");
    snprintf(out, cap, "%s, memory %s%s, spin tail %lld us", fifo,
             st->locked ? "locked" : "not locked", cpu, (long long)st->spin_us);
}

void rt_host_json(FILE *f, const struct rt_host_state *st)
{
    fprintf(f, "\"rt\":{\"asked\":%s,\"fifo\":%s,\"priority\":%d,\"memory_locked\":%s,"
               "\"cpu\":%d,\"spin_tail_us\":%lld,\"refused\":\"",
            st->asked ? "true" : "false", st->fifo ? "true" : "false",
            st->fifo ? st->priority : 0, st->locked ? "true" : "false", st->cpu,
            (long long)st->spin_us);
    for (const char *p = st->refused; *p; p++) {
        if (*p == '"' || *p == '\\')
            fputc('\\', f);
        if ((unsigned char)*p >= 0x20)
            fputc(*p, f);
    }
    fputs("\"}", f);
}
