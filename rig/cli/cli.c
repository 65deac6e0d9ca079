/* cli.c: the bmsrig command registry, top-level help and dispatch. */
#include "rig/cli/cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "rig/fw/mcu.h"
#include "rig/util/log.h"

/* Explicit registry: the order is the order `bmsrig --help` lists them in. */
static const struct cli_command *const commands[] = {
    &cmd_decode,
    &cmd_version,
    &cmd_selftest,
    &cmd_run,
    &cmd_bms,
    &cmd_sim,
    &cmd_bench,
    &cmd_esc,
    &cmd_report,
    &cmd_faults,
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct cli_command *find_command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i]->name, name) == 0)
            return commands[i];
    return NULL;
}

const struct cli_command *const *cli_commands(size_t *n)
{
    *n = NCOMMANDS;
    return commands;
}

void cli_print_main_help(FILE *out)
{
    fputs("usage: bmsrig [-v] COMMAND [OPTIONS] [ARGS]\n"
          "\n"
          "Hardware-in-the-loop BMS simulator and test rig for Xiaomi M365-family scooter\n"
          "controllers.\n"
          "\n"
          "commands:\n", out);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
    fputs("  help CMD   show the options of one command\n"
          "\n"
          "global options:\n"
          "  -v         more diagnostics on stderr (repeat for debug)\n"
          "\n"
          "exit codes: 0 passed, 1 a scenario failed, 2 bad input, 3 rig fault, 4 interrupted\n",
          out);
}

int cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return 0;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return 1;
    }
    return 0;
}

int cli_usage_error(const struct cli_command *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "bmsrig %s: ", cmd->name);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n(see 'bmsrig help %s')\n", cmd->name);
    va_end(ap);
    return CLI_EXIT_USAGE;
}

/* lo_open: lo itself is out of range, (lo, hi]; else lo..hi. */
static int parse_number(const struct cli_command *cmd, const char *opt, const char *text,
                        double lo, double hi, bool whole, bool lo_open, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    bool above_lo = lo_open ? v > lo : v >= lo;
    if (end == text || *end || errno || !(above_lo && v <= hi) || (whole && v != floor(v))) {
        if (lo_open)
            return cli_usage_error(cmd, "%s: '%s' is not a %s in (%.15g, %.15g]", opt, text,
                                   whole ? "whole number" : "number", lo, hi);
        return cli_usage_error(cmd, "%s: '%s' is not a %s in %.15g..%.15g", opt, text,
                               whole ? "whole number" : "number", lo, hi);
    }
    *out = v;
    return 0;
}

int cli_parse_number(const struct cli_command *cmd, const char *opt, const char *text, double lo,
                     double hi, double *out)
{
    return parse_number(cmd, opt, text, lo, hi, false, false, out);
}

int cli_parse_whole(const struct cli_command *cmd, const char *opt, const char *text, double lo,
                    double hi, double *out)
{
    return parse_number(cmd, opt, text, lo, hi, true, false, out);
}

int cli_parse_number_above(const struct cli_command *cmd, const char *opt, const char *text,
                           double lo, double hi, double *out)
{
    return parse_number(cmd, opt, text, lo, hi, false, true, out);
}

int cli_parse_firmware_cpu(const struct cli_command *cmd, const char *text, const char **out)
{
    char names[128] = "";
    size_t len = 0;
    for (unsigned i = 0; mcu_cpu_backend_name(i); i++) {
        if (strcmp(mcu_cpu_backend_name(i), text) == 0) {
            *out = text;
            return 0;
        }
        len += (size_t)snprintf(names + len, sizeof names - len, "%s%s", i ? ", " : "",
                                mcu_cpu_backend_name(i));
        if (len >= sizeof names)
            len = sizeof names - 1;
    }
    return cli_usage_error(cmd, "--firmware-cpu: unknown CPU backend '%s' (one of: %s)", text,
                           names);
}

void cli_print_usage(const struct cli_command *cmd, FILE *out)
{
    fputs(cmd->usage, out);
    if (cmd->more_help)
        cmd->more_help(out);
    fputs("\ncommon options (before or after the command name):\n"
          "  -v           more diagnostics on stderr (info; repeat it, or -vv, for debug);\n"
          "               standard output is then line-buffered so that piped output and\n"
          "               diagnostics stay in order\n",
          out);
}

/* The diagnostics options every command takes: "-v" (+1), "-vv" (+2), "--verbose" (+1). */
static int verbosity_of(const char *arg)
{
    if (strcmp(arg, "-v") == 0 || strcmp(arg, "--verbose") == 0)
        return 1;
    if (strcmp(arg, "-vv") == 0)
        return 2;
    return 0;
}

int cli_main(int argc, char **argv)
{
    int verbosity = 0;
    int i = 1;
    while (i < argc && argv[i][0] == '-') {
        if (verbosity_of(argv[i]) > 0) {
            verbosity += verbosity_of(argv[i]);
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            cli_print_main_help(stdout);
            return CLI_EXIT_PASS;
        } else if (strcmp(argv[i], "--version") == 0) {
            return cmd_version.run(1, (char *[]){ (char *)"version", NULL });
        } else {
            fprintf(stderr, "bmsrig: unknown option '%s'\n", argv[i]);
            cli_print_main_help(stderr);
            return CLI_EXIT_USAGE;
        }
        i++;
    }
    /* -v after the command name counts the same (up to a "--" that ends the options); it is
     * taken out so the command's own parser never sees it */
    int kept = i + 1;
    bool options_done = false;
    for (int k = i + 1; k < argc; k++) {
        if (!options_done && strcmp(argv[k], "--") == 0)
            options_done = true;
        if (!options_done && i + 1 < argc && strcmp(argv[i], "help") != 0 &&
            verbosity_of(argv[k]) > 0) {
            verbosity += verbosity_of(argv[k]);
            continue;
        }
        argv[kept++] = argv[k];
    }
    if (i < argc) {
        argc = kept;
        argv[argc] = NULL;
    }
    if (verbosity > 0) {
        log_set_level(verbosity >= 2 ? LOG_DBG : LOG_INFO);
        setvbuf(stdout, NULL, _IOLBF, 0);
    }
    if (i >= argc) {
        cli_print_main_help(stderr);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[i], "help") == 0) {
        if (i + 1 >= argc) {
            cli_print_main_help(stdout);
            return CLI_EXIT_PASS;
        }
        const struct cli_command *c = find_command(argv[i + 1]);
        if (!c) {
            fprintf(stderr, "bmsrig: no command '%s'\n", argv[i + 1]);
            return CLI_EXIT_USAGE;
        }
        cli_print_usage(c, stdout);
        return CLI_EXIT_PASS;
    }
    const struct cli_command *c = find_command(argv[i]);
    if (!c) {
        fprintf(stderr, "bmsrig: no command '%s'\n", argv[i]);
        cli_print_main_help(stderr);
        return CLI_EXIT_USAGE;
    }
    if (cli_wants_help(argc - i, argv + i)) {
        cli_print_usage(c, stdout);
        return CLI_EXIT_PASS;
    }
    return c->run(argc - i, argv + i);
}
