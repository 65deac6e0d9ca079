/* cli_rt.h: the `--rt` options every real-time command shares (bms, esc, bench bms, bench mpsse,
 * run on a bench): their getopt table entries, parsing, help text and applying them with the
 * one-line warning (or, with --rt=strict, the error) when the host refuses a part. */
#ifndef BMSRIG_RIG_CLI_RT_H
#define BMSRIG_RIG_CLI_RT_H

#include <getopt.h>

#include "rig/cli/cli.h"
#include "rig/realtime/rt_host.h"

/* getopt_long codes, outside any command's own letters. */
enum {
    CLI_RT_OPT = 0x5200,
    CLI_RT_OPT_PRIORITY,
    CLI_RT_OPT_CPU,
    CLI_RT_OPT_SPIN,
};

/* Entries for a command's `struct option` table. */
#define CLI_RT_LONG_OPTIONS                                                                      \
    { "rt", optional_argument, NULL, CLI_RT_OPT },                                               \
    { "rt-priority", required_argument, NULL, CLI_RT_OPT_PRIORITY },                             \
    { "rt-cpu", required_argument, NULL, CLI_RT_OPT_CPU },                                       \
    { "rt-spin-us", required_argument, NULL, CLI_RT_OPT_SPIN }

/* The help lines, indented as the commands' option lists. */
#define CLI_RT_USAGE                                                                             \
    "  --rt[=strict]      real-time host setup: SCHED_FIFO, all memory locked, a busy-wait\n"   \
    "                     tail before each deadline; where the host refuses a part, one\n"      \
    "                     warning line and the run goes on (--rt=strict: exit 3 instead)\n"     \
    "  --rt-priority N    SCHED_FIFO priority 1..99 (default 50)\n"                              \
    "  --rt-cpu N         pin the process to CPU N\n"                                            \
    "  --rt-spin-us US    busy-wait the last US microseconds before each deadline, 0..5000\n"    \
    "                     (default 100)\n"

/* Handles getopt code `c` (with optarg `arg`) when it is one of the --rt options: returns 0
 * when handled, CLI_EXIT_USAGE after printing a usage error, -1 when `c` is not an --rt
 * option. `seen_sub` is set when an --rt-* tuning option was given. */
int cli_rt_option(const struct cli_command *cmd, int c, const char *arg, struct rt_host_options *o,
                  bool *seen_sub);

/* After parsing: an --rt-* tuning option without --rt is a usage error. */
int cli_rt_check(const struct cli_command *cmd, const struct rt_host_options *o, bool seen_sub);

/* Applies `o` (nothing unless enabled) into `st`. Prints to stderr "bmsrig WHO: --rt: <what was
 * granted>" and, for a refused part, "bmsrig WHO: --rt: <refusals>; running anyway" (the
 * run goes on: returns CLI_EXIT_PASS) or, with --rt=strict, "bmsrig WHO: --rt=strict:
 * <refusals>" and returns CLI_EXIT_RIG. */
int cli_rt_apply(const char *who, const struct rt_host_options *o, struct rt_host_state *st);

#endif
