/* cli.h: the bmsrig command registry and the exit codes every subcommand shares. */
#ifndef BMSRIG_RIG_CLI_H
#define BMSRIG_RIG_CLI_H

#include <stddef.h>
#include <stdio.h>

/* Exit codes (DESIGN.md section 4): the contract nightly CI scripts rely on. */
enum cli_exit {
    CLI_EXIT_PASS = 0,        /* all passed / the command did its job */
    CLI_EXIT_FAIL = 1,        /* a scenario failed: the controller misbehaved */
    CLI_EXIT_USAGE = 2,       /* bad input: usage, script or rig-description error */
    CLI_EXIT_RIG = 3,         /* rig fault: FTDI missing or unplugged, serial error */
    CLI_EXIT_INTERRUPTED = 4, /* SIGINT/SIGTERM */
};

/* Longest --lock-wait a command accepts [s]: a week, longer than any nightly queue. */
#define CLI_LOCK_WAIT_MAX_S 604800.0

/* One subcommand. `run` gets argv with argv[0] = the subcommand name and returns a cli_exit
 * code. `usage` is the full --help text (starts with the "usage:" line); `more_help`, if set,
 * prints what follows it from a table (the fault list of the commands that take faults). */
struct cli_command {
    const char *name;
    const char *summary;  /* one line for `bmsrig --help` */
    const char *usage;
    int (*run)(int argc, char **argv);
    void (*more_help)(FILE *out);
};

/* The subcommands, each defined in rig/cmd_<name>.c and listed in cli.c's registry. */
extern const struct cli_command cmd_decode;
extern const struct cli_command cmd_version;
extern const struct cli_command cmd_selftest;
extern const struct cli_command cmd_run;
extern const struct cli_command cmd_bms;
extern const struct cli_command cmd_sim;
extern const struct cli_command cmd_bench;
extern const struct cli_command cmd_esc;
extern const struct cli_command cmd_report;
extern const struct cli_command cmd_faults;

/* The registry in `bmsrig --help` order; *n gets its length. Borrowed (static). Used by
 * rig/manual's generator of the man pages and the bash completion. */
const struct cli_command *const *cli_commands(size_t *n);

/* Writes the top-level help (what `bmsrig --help` prints) to `out`. */
void cli_print_main_help(FILE *out);

/* Entry point behind main(): dispatches argv[1]. */
int cli_main(int argc, char **argv);

/* Prints cmd's --help text (usage, then more_help) to out. */
void cli_print_usage(const struct cli_command *cmd, FILE *out);

/* True if argv holds -h or --help; commands call it before parsing. */
int cli_wants_help(int argc, char **argv);

/* Prints "bmsrig <cmd>: <message>" and a hint to see --help, to stderr; returns CLI_EXIT_USAGE. */
int cli_usage_error(const struct cli_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Parses option `opt`'s value `text` as a number in lo..hi. On success stores it in *out and
 * returns 0; otherwise prints "bmsrig <cmd>: <opt>: '<text>' is not a number in lo..hi" (with
 * the help hint) and returns CLI_EXIT_USAGE. cli_parse_whole also refuses fractions. */
int cli_parse_number(const struct cli_command *cmd, const char *opt, const char *text, double lo,
                     double hi, double *out);
int cli_parse_whole(const struct cli_command *cmd, const char *opt, const char *text, double lo,
                    double hi, double *out);
/* Like cli_parse_number with an open lower bound: a number in (lo, hi], lo itself refused
 * ("--rate: '0' is not a number in (0, 1000000]"). For rates, periods and durations. */
int cli_parse_number_above(const struct cli_command *cmd, const char *opt, const char *text,
                           double lo, double hi, double *out);

/* getopt_long's value of --firmware-cpu (long only: past every short option letter). */
#define CLI_OPT_FIRMWARE_CPU 0x100
/* --firmware-cpu NAME: 0 and *out = text when it names a CPU backend of the emulated MCU
 * (mcu_cpu_backend_name); otherwise "bmsrig <cmd>: --firmware-cpu: unknown CPU backend 'X'
 * (one of: unicorn, interp)" and CLI_EXIT_USAGE. */
int cli_parse_firmware_cpu(const struct cli_command *cmd, const char *text, const char **out);

#endif
