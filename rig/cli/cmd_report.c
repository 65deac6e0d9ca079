/* cmd_report.c: `bmsrig report`, a registry of report subcommands; `report html DIR` (and the
 * short `report DIR`) rebuilds the HTML report from a run's trace folder. */
#include "rig/cli/cli.h"
#include "rig/cli/report_merge.h"
#include "rig/cli/report_notes.h"
#include "rig/html/html_report.h"
#include "rig/scenario/report_read.h"
#include "sim/status.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char report_usage[] =
    "usage: bmsrig report html DIR [OUT]\n"
    "       bmsrig report DIR [OUT]\n"
    "       bmsrig report merge OUT IN...\n"
    "       bmsrig report merge [--junit FILE] [--json FILE] [--tap FILE] [--html DIR] IN...\n"
    "\n"
    "Subcommands:\n"
    "  html DIR [OUT]   write OUT/index.html and one OUT/NAME.html per scenario from the traces\n"
    "                   of a run: DIR is a `run --trace` folder (NAME.signals.csv, NAME.bus.csv)\n"
    "                   or a `run --html` folder (its traces/ subfolder). OUT defaults to DIR\n"
    "                   for a --html folder, DIR/html otherwise. The pages are self-contained\n"
    "                   (inline SVG and CSS, no network fetches); the index opens with the\n"
    "                   run's counts and identity when DIR holds the run's report.json (as\n"
    "                   `run --html` writes it). A bare DIR means `html DIR`.\n"
    "  merge OUT IN...  join the JSON reports of a run's shards (run --shard K/N --json; a\n"
    "                   `run --html` folder IN is read as IN/report.json) into one report\n"
    "                   of the whole run: OUT ending in .json is JSON, .xml JUnit,\n"
    "                   .tap TAP 13, written as one run writes them (scenarios in path\n"
    "                   order, counts added up, the inputs listed in the JSON's merged_from).\n"
    "                   The inputs must share seed, target, clock and --suppress-faults; a\n"
    "                   scenario in two inputs is refused. JUnit inputs are not read: merge\n"
    "                   the JSON and write the JUnit from it.\n"
    "                   --junit FILE, --json FILE, --tap FILE: write those (any of the three,\n"
    "                   each once) instead of one OUT; all the arguments after them are INs.\n"
    "                   --html DIR: one HTML report of the whole run in DIR (new or\n"
    "                   empty): every scenario's traces copied to DIR/traces from its shard\n"
    "                   (IN/traces for a folder IN, else the paths its report names), one\n"
    "                   index and one page per scenario built from them, DIR/report.json the\n"
    "                   merged JSON; with --junit each testcase links its merged page. Two\n"
    "                   scenarios with traces of one name (same file name) are refused.\n"
    "\n"
    "Exit status: 0 pages or report written, 2 bad input (no such folder, no trace in it,\n"
    "unwritable; a report that does not read, shards of different runs, a duplicate).\n";

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
    /* a `run --html` folder's report.json gives the index its notes (counts, run identity) */
    char json[4096];
    struct report_doc *doc = NULL;
    struct report_notes notes = { 0 };
    char err[512];
    snprintf(json, sizeof json, "%s/report.json", argv[1]);
    if (html_folder && access(json, F_OK) == 0) {
        if (report_read_json(json, &doc, err, sizeof err) != BMSRIG_OK)
            fprintf(stderr, "bmsrig report: %s (the index is built without its notes)\n", err);
        else
            report_notes_make(&doc->run, &notes);
    }
    int pages = html_report_build_notes(traces, out, (const char *const *)notes.lines, notes.n,
                                        stderr);
    report_notes_free(&notes);
    report_doc_free(doc);
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

/* The report subcommands. */
static const struct report_subcommand report_subcommands[] = {
    { "html", report_html },
    { "merge", report_merge },
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
    .summary = "rebuild a run's HTML report from its traces; merge shards' reports",
    .usage = report_usage,
    .run = report_run,
};
