/* cmd_faults.c: `bmsrig faults`: the fault table (rig/fault/fault.h) as a list, as the
 * markdown table docs/scenarios.md carries (checked by the CTest docs_fault_table), or one
 * fault in full. */
#include <stdio.h>
#include <string.h>

#include "rig/cli/cli.h"
#include "rig/fault/fault.h"

static void print_one(const struct fault_def *d)
{
    printf("name:     %s\n", d->name);
    if (d->aliases[0]) {
        fputs("aliases: ", stdout);
        for (size_t a = 0; a < FAULT_ALIASES_MAX && d->aliases[a]; a++)
            printf(" %s", d->aliases[a]);
        fputc('\n', stdout);
    }
    printf("value:    %s; off clears\n", d->value_text);
    printf("virtual:  %s\n", d->effect);
    printf("bench:    %s\n", d->bench_text);
    printf("help:     %s\n", d->help);
}

static int run_faults(int argc, char **argv)
{
    bool markdown = false, list = false;
    int first_name = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--markdown") == 0)
            markdown = true;
        else if (strcmp(argv[i], "--list") == 0)
            list = true;
        else if (argv[i][0] == '-')
            return cli_usage_error(&cmd_faults, "unknown option '%s'", argv[i]);
        else if (!first_name)
            first_name = i;
    }
    if (markdown + list + (first_name != 0) > 1)
        return cli_usage_error(&cmd_faults, "give one of --list, --markdown or NAME...");
    if (markdown) {
        fault_print_markdown(stdout);
        return CLI_EXIT_PASS;
    }
    if (!first_name) {
        fault_print_list(stdout);
        return CLI_EXIT_PASS;
    }
    for (int i = first_name; i < argc; i++) {
        const struct fault_def *d = fault_find(argv[i]);
        if (!d) {
            char err[512];
            fault_unknown_message(argv[i], err, sizeof err);
            return cli_usage_error(&cmd_faults, "%s", err);
        }
        if (i > first_name)
            fputc('\n', stdout);
        print_one(d);
    }
    return CLI_EXIT_PASS;
}

const struct cli_command cmd_faults = {
    .name = "faults",
    .summary = "the named faults: values, virtual effect, bench mapping",
    .usage =
        "usage: bmsrig faults [--list | --markdown | NAME...]\n"
        "\n"
        "The one table of named faults (rig/fault/fault_table.c) that t:fault / t:clear in\n"
        "scenarios, 'bmsrig bms --fault' and the bench descriptions' fault lines all use.\n"
        "\n"
        "  --list       one line per fault: name, value, help, older spellings (the default)\n"
        "  --markdown   the table of docs/scenarios.md section 5: name, value, what it does on\n"
        "               the virtual target, what it maps to on a bench\n"
        "  NAME...      each fault in full (an alias names its fault); an unknown name exits 2\n"
        "               with the nearest one\n",
    .run = run_faults,
};
