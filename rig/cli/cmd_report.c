/* cmd_report.c: `bmsrig report`, a registry of report subcommands; `report html DIR` (and the
 * short `report DIR`) rebuilds the HTML report from a run's trace folder. */
#include "rig/cli/cli.h"
#include "rig/html/html_report.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const char report_usage[] =
    "usage: bmsrig report html DIR [OUT]\n"
    "       bmsrig report DIR [OUT]\n"
    "\n"
    "Subcommands:\n"
    "  html DIR [OUT]   write OUT/index.html and one OUT/NAME.html per scenario from the traces\n"
    "                   of a run: DIR is a `run --trace` folder (NAME.signals.csv, NAME.bus.csv)\n"
    "                   or a `run --html` folder (its traces/ subfolder). OUT defaults to DIR\n"
    "                   for a --html folder, DIR/html otherwise. The pages are self-contained\n"
    "                   (inline SVG and CSS, no network fetches). A bare DIR means `html DIR`.\n"
    "\n"
    "Exit status: 0 pages written, 2 bad input (no such folder, no trace in it, unwritable).\n";

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int report_html(int argc, char **argv)
{
    char traces[4096], out[4096];
    if (argc < 2 || argc > 3) return cli_usage_error(&cmd_report, "html: expected DIR [OUT]");
    snprintf(traces, sizeof traces, "%s/traces", argv[1]);
    int html_folder = is_dir(traces);
    if (!html_folder) snprintf(traces, sizeof traces, "%s", argv[1]);
    if (!is_dir(traces)) return cli_usage_error(&cmd_report, "%s: no such folder", argv[1]);
    if (argc == 3) snprintf(out, sizeof out, "%s", argv[2]);
    else if (html_folder) snprintf(out, sizeof out, "%s", argv[1]);
    else snprintf(out, sizeof out, "%s/html", argv[1]);
    int pages = html_report_build(traces, out, stderr);
    if (pages < 0) return CLI_EXIT_USAGE;
    if (pages == 0) {
        fprintf(stderr, "bmsrig report: %s: no NAME.signals.csv trace in it\n", traces);
        return CLI_EXIT_USAGE;
    }
    printf("%s/index.html (%d scenario page%s)\n", out, pages, pages == 1 ? "" : "s");
    return CLI_EXIT_PASS;
}

struct report_subcommand {
    const char *name;
    int (*run)(int argc, char **argv);
};

/* The report subcommands; `report merge` (issue 13) joins this table. */
static const struct report_subcommand report_subcommands[] = {
    { "html", report_html },
};

static int report_run(int argc, char **argv)
{
    if (cli_wants_help(argc, argv) || argc < 2) {
        fputs(report_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_PASS;
    }
    for (size_t i = 0; i < sizeof report_subcommands / sizeof *report_subcommands; i++)
        if (strcmp(argv[1], report_subcommands[i].name) == 0)
            return report_subcommands[i].run(argc - 1, argv + 1);
    return report_html(argc, argv); /* `report DIR [OUT]` */
}

const struct cli_command cmd_report = {
    .name = "report",
    .summary = "rebuild a run's HTML report from its traces",
    .usage = report_usage,
    .run = report_run,
};
