/* cli_rt.c: parsing and applying the shared `--rt` options. */
#include "rig/cli/cli_rt.h"

#include <stdio.h>

int cli_rt_option(const struct cli_command *cmd, int c, const char *arg, struct rt_host_options *o,
                  bool *seen_sub)
{
    double v;
    switch (c) {
    case CLI_RT_OPT:
        if (!rt_host_parse_mode(arg, o))
            return cli_usage_error(cmd, "--rt=%s: only --rt or --rt=strict", arg);
        return 0;
    case CLI_RT_OPT_PRIORITY:
        if (cli_parse_whole(cmd, "--rt-priority", arg, 1, 99, &v))
            return CLI_EXIT_USAGE;
        o->priority = (int)v;
        break;
    case CLI_RT_OPT_CPU:
        if (cli_parse_whole(cmd, "--rt-cpu", arg, 0, 1023, &v))
            return CLI_EXIT_USAGE;
        o->cpu = (int)v;
        break;
    case CLI_RT_OPT_SPIN:
        if (cli_parse_whole(cmd, "--rt-spin-us", arg, 0, RT_HOST_SPIN_US_MAX, &v))
            return CLI_EXIT_USAGE;
        o->spin_us = (int64_t)v;
        break;
    default:
        return -1;
    }
    *seen_sub = true;
    return 0;
}

int cli_rt_check(const struct cli_command *cmd, const struct rt_host_options *o, bool seen_sub)
{
    if (seen_sub && !o->enabled)
        return cli_usage_error(cmd, "--rt-priority/--rt-cpu/--rt-spin-us: only with --rt");
    return 0;
}

int cli_rt_apply(const char *who, const struct rt_host_options *o, struct rt_host_state *st)
{
    bool all = rt_host_apply(o, st);
    if (!st->asked)
        return CLI_EXIT_PASS;
    if (!all && o->strict) {
        fprintf(stderr, "bmsrig %s: --rt=strict: %s\n", who, st->refused);
        return CLI_EXIT_RIG;
    }
    if (!all)
        fprintf(stderr, "bmsrig %s: --rt: %s; running anyway\n", who, st->refused);
    char got[160];
    rt_host_describe(st, got, sizeof(got));
    fprintf(stderr, "bmsrig %s: --rt: %s\n", who, got);
    return CLI_EXIT_PASS;
}
