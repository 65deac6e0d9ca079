/* report_merge.c: `bmsrig report merge OUT IN...` (or --junit/--json/--tap FILE, --html DIR
 * IN...): joins the JSON reports of a run's shards (`bmsrig run --shard K/N --json`, or the
 * report.json of a `run --html` folder) into one report of the whole run, written as JSON,
 * JUnit or TAP by the writers a single run uses, and as one HTML report (report_merge_html.c).
 * Counts add up; a scenario in two inputs is refused. */
#include "rig/cli/report_merge.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rig/cli/cli.h"
#include "rig/cli/relpath.h"
#include "rig/cli/report_merge_html.h"
#include "rig/scenario/report.h"
#include "rig/scenario/report_read.h"
#include "sim/status.h"

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The folder of a file path ("." for a bare name). */
static void dir_of(const char *path, char *out, size_t cap)
{
    snprintf(out, cap, "%s", path);
    char *slash = strrchr(out, '/');
    if (!slash)
        snprintf(out, cap, ".");
    else if (slash == out)
        out[1] = '\0';
    else
        *slash = '\0';
}

static int tap13(FILE *o, const struct report_run *run)
{
    return report_write_tap(o, run, 13);
}

static int cmp_item_path(const void *a, const void *b)
{
    const struct report_item *x = a, *y = b;
    return strcmp(x->path, y->path);
}

/* Same value in every input, or the inputs are not shards of one run. */
static bool same_str(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

/* What to write: --junit/--json/--tap FILE, or one OUT whose ending says which. */
struct merge_out {
    const char *path;
    int (*writer)(FILE *, const struct report_run *);
};
#define MERGE_OUTS_MAX 3

int report_merge(int argc, char **argv)
{
    struct merge_out outs[MERGE_OUTS_MAX];
    const char *html_out = NULL;
    int nouts = 0, a = 1;
    for (; a + 1 < argc && nouts < MERGE_OUTS_MAX; a += 2) {
        if (strcmp(argv[a], "--html") == 0 && !html_out) {
            html_out = argv[a + 1];
            continue;
        }
        int (*w)(FILE *, const struct report_run *) =
            strcmp(argv[a], "--junit") == 0 ? report_write_junit
            : strcmp(argv[a], "--json") == 0 ? report_write_json
            : strcmp(argv[a], "--tap") == 0 ? tap13 : NULL;
        if (!w)
            break;
        outs[nouts++] = (struct merge_out){ .path = argv[a + 1], .writer = w };
    }
    if (a < argc && argv[a][0] == '-' && argv[a][1])
        return cli_usage_error(&cmd_report, "merge: unknown option or missing value: '%s'",
                               argv[a]);
    if (nouts == 0 && !html_out) {
        if (a >= argc)
            return cli_usage_error(&cmd_report, "merge: expected OUT IN... or --junit/--json/"
                                                "--tap FILE IN...");
        const char *out = argv[a++];
        int (*w)(FILE *, const struct report_run *) =
            ends_with(out, ".json") ? report_write_json : ends_with(out, ".xml")
            ? report_write_junit : ends_with(out, ".tap") ? tap13 : NULL;
        if (!w)
            return cli_usage_error(&cmd_report, "merge: %s: OUT must end in .json (JSON), .xml "
                                                "(JUnit) or .tap (TAP 13)", out);
        outs[nouts++] = (struct merge_out){ .path = out, .writer = w };
    }
    if (a >= argc)
        return cli_usage_error(&cmd_report, "merge: no input report (each IN is a run's --json "
                                            "report)");
    argv += a - 2;   /* the inputs are argv[2..] below */
    argc -= a - 2;
    int nin = argc - 2;
    struct report_doc **docs = calloc((size_t)nin, sizeof(*docs));
    if (!docs)
        return CLI_EXIT_USAGE;
    int rc = CLI_EXIT_PASS;
    size_t total = 0;
    for (int i = 0; i < nin && rc == CLI_EXIT_PASS; i++) {
        const char *in = argv[2 + i];
        char folder_json[4096];
        if (is_dir(in)) {   /* a `run --html` folder: its report.json */
            snprintf(folder_json, sizeof(folder_json), "%s/report.json", in);
            in = folder_json;
        }
        if (ends_with(in, ".xml")) {
            fprintf(stderr, "bmsrig report merge: %s: reads the shards' JSON reports (run "
                            "--json); their JUnit is written from them\n", in);
            rc = CLI_EXIT_USAGE;
            break;
        }
        char err[512];
        if (report_read_json(in, &docs[i], err, sizeof(err)) != BMSRIG_OK) {
            fprintf(stderr, "bmsrig report merge: %s\n", err);
            rc = CLI_EXIT_USAGE;
            break;
        }
        const struct report_run *first = &docs[0]->run, *b = &docs[i]->run;
        if (first->seed != b->seed || !same_str(first->target, b->target) ||
            !same_str(first->clock, b->clock) || first->suppress_faults != b->suppress_faults) {
            fprintf(stderr, "bmsrig report merge: %s and %s are not shards of one run (seed, "
                            "target, clock or --suppress-faults differ)\n", argv[2], in);
            rc = CLI_EXIT_USAGE;
        }
        total += b->n;
    }
    struct report_item *items = rc == CLI_EXIT_PASS ? calloc(total ? total : 1, sizeof(*items))
                                                    : NULL;
    if (rc == CLI_EXIT_PASS && !items)
        rc = CLI_EXIT_USAGE;
    size_t n = 0;
    for (int i = 0; rc == CLI_EXIT_PASS && i < nin; i++)
        for (size_t k = 0; k < docs[i]->run.n; k++)
            items[n++] = docs[i]->run.items[k];
    if (rc == CLI_EXIT_PASS) {
        /* The order of a single run (paths sorted), and no scenario twice. */
        qsort(items, n, sizeof(*items), cmp_item_path);
        for (size_t k = 1; k < n; k++) {
            if (strcmp(items[k - 1].path, items[k].path) == 0) {
                fprintf(stderr, "bmsrig report merge: scenario %s is in more than one input "
                                "(overlapping shards, or a report given twice): refused\n",
                        items[k].path);
                rc = CLI_EXIT_USAGE;
                break;
            }
        }
    }
    struct html_merge html = { 0 };
    if (rc == CLI_EXIT_PASS && html_out) {
        if (html_merge_begin(&html, html_out, stderr) != 0)
            rc = CLI_EXIT_USAGE;
        for (int i = 0; rc == CLI_EXIT_PASS && i < nin; i++) {
            const char *in = argv[2 + i];
            if (html_merge_take(&html, docs[i], in, is_dir(in) ? in : NULL, stderr) != 0)
                rc = CLI_EXIT_USAGE;
        }
    }
    if (rc == CLI_EXIT_PASS) {
        struct report_run run = docs[0]->run;
        run.items = items;
        run.n = n;
        run.shard_k = run.shard_n = 0;
        for (int i = 1; i < nin; i++) {
            const struct report_run *b = &docs[i]->run;
            run.complete = run.complete && b->complete;
            if (!run.incomplete_reason)
                run.incomplete_reason = b->incomplete_reason;
            if (b->wall_s > run.wall_s)
                run.wall_s = b->wall_s;   /* shards run side by side */
            if (strcmp(b->timestamp, run.timestamp) < 0)
                memcpy(run.timestamp, b->timestamp, sizeof(run.timestamp));
            if (!same_str(run.bench_name, b->bench_name))
                run.bench_name = NULL;   /* per input in merged_from */
            if (!same_str(run.ftdi_serial, b->ftdi_serial))
                run.ftdi_serial = NULL;
            if (!same_str(run.dut_firmware_version, b->dut_firmware_version) ||
                !same_str(run.dut_firmware_version_source, b->dut_firmware_version_source))
                run.dut_firmware_version = run.dut_firmware_version_source = NULL;
            if (!same_str(run.dut_firmware_image, b->dut_firmware_image))
                run.dut_firmware_image = NULL;
            if (!same_str(run.dut_firmware_cpu, b->dut_firmware_cpu))
                run.dut_firmware_cpu = NULL;
            if (strcmp(run.hostname, b->hostname) != 0)
                snprintf(run.hostname, sizeof(run.hostname), "(%d hosts)", nin);
        }
        struct report_source *src = calloc((size_t)nin, sizeof(*src));
        for (int i = 0; src && i < nin; i++) {
            const struct report_run *b = &docs[i]->run;
            src[i] = (struct report_source){
                .file = argv[2 + i], .timestamp = b->timestamp, .host = b->hostname,
                .total = b->n, .shard_k = b->shard_k, .shard_n = b->shard_n,
                .bench = b->bench_name, .ftdi_serial = b->ftdi_serial,
            };
        }
        run.sources = src;
        run.nsources = src ? (size_t)nin : 0;
        run.html_href = NULL;
        if (html_out) {
            int pages = html_merge_write(&html, &run, stderr);
            if (pages < 0)
                rc = CLI_EXIT_USAGE;
            else
                printf("%s/index.html: %d scenario pages of %zu scenarios from %d reports\n",
                       html_out, pages, n, nin);
        }
        /* JUnit beside the merged pages: each testcase links its page, as in a run */
        char html_href[4096];
        for (int o = 0; html_out && o < nouts; o++) {
            char jdir[4096];
            dir_of(outs[o].path, jdir, sizeof(jdir));
            if (outs[o].writer == report_write_junit &&
                cli_relative_path(jdir, html_out, html_href, sizeof(html_href)) == 0)
                run.html_href = html_href;
        }
        for (int o = 0; o < nouts && rc == CLI_EXIT_PASS; o++) {
            if (report_write_file(outs[o].path, outs[o].writer, &run) != BMSRIG_OK) {
                fprintf(stderr, "bmsrig report merge: cannot write %s\n", outs[o].path);
                rc = CLI_EXIT_USAGE;
                continue;
            }
            struct report_counts c;
            report_count(&run, &c);
            printf("%s: %zu scenarios from %d reports: %zu passed, %zu failed, %zu errors, "
                   "%zu skipped, %zu rig faults, %zu not run\n", outs[o].path, n, nin, c.pass,
                   c.fail, c.error, c.skip, c.rig_fault, c.not_run);
        }
        free(src);
    }
    html_merge_free(&html);
    free(items);
    for (int i = 0; i < nin; i++)
        report_doc_free(docs[i]);
    free(docs);
    return rc;
}
