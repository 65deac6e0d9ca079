/* report.h: the run's reports for CI: JUnit XML (Jenkins junit-10.xsd), TAP (13 or 14) and JSON.
 *
 * Writers take the whole run (each scenario with its result) and write to a FILE the caller
 * opened; they can be called again at any time with what is known so far (an interrupted run
 * writes its reports with `complete = false`, unfinished scenarios marked not-run). */
#ifndef BMSRIG_RIG_REPORT_H
#define BMSRIG_RIG_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rig/scenario/escape.h"   /* report_put_safe, for the progress and summary lines */
#include "rig/scenario/result.h"

struct report_item {
    const char *path;
    const char *name;
    const char *description;          /* may be NULL */
    const char *const *tags;
    size_t ntags;
    const struct scenario_result *res;  /* borrowed */
};

/* One input of a merged report (JSON "merged_from"). Strings borrowed; NULL = not known. */
struct report_source {
    const char *file;
    const char *timestamp;
    const char *host;
    size_t total;
    unsigned shard_k, shard_n;
    const char *bench;
    const char *ftdi_serial;
};

struct report_run {
    const char *bmsrig_version;
    const char *lua_version;
    const char *libftdi_version;
    const char *target;               /* "virtual" or "rig" */
    const char *clock;                /* "virtual" or "realtime" */
    uint64_t seed;
    bool suppress_faults;
    bool complete;                    /* false: interrupted */
    const char *incomplete_reason;    /* why it did not complete when that was not an
                                         interrupt (the bench could not be opened ...);
                                         NULL otherwise. Borrowed */
    double wall_s;
    char timestamp[32];               /* ISO 8601 UTC, start of the run */
    char hostname[128];
    /* Run metadata (issue 13), each NULL when not known: never invented. Borrowed. */
    const char *bench_name;           /* the bench description's name (--rig) */
    const char *ftdi_serial;          /* its FTDI serial, when the description names one */
    const char *dut_firmware_version; /* the device under test's firmware version, as read
                                         from it over its dashboard bus ("1.3.4") */
    const char *dut_firmware_version_source; /* what answered: "virtual controller model",
                                         "firmware image", "controller on the bench";
                                         NULL when not known */
    const char *dut_firmware_image;   /* --firmware IMAGE */
    const char *dut_firmware_cpu;     /* the CPU backend that ran IMAGE ("unicorn", "interp") */
    unsigned shard_k, shard_n;        /* --shard K/N; 0/0 = the whole selection */
    const struct report_source *sources;  /* bmsrig report merge: the inputs; else NULL */
    size_t nsources;
    const struct report_item *items;
    size_t n;
    const char *html_href;            /* `run --html`: the pages' folder as seen from the JUnit
                                         file ("html", "../out/html"), so each testcase links
                                         its page; NULL: no links. Borrowed */
};

/* Counts by verdict. */
struct report_counts {
    size_t pass, fail, error, skip, rig_fault, not_run;
};
void report_count(const struct report_run *run, struct report_counts *out);

/* Sets run->dut_firmware_version and _source from the items' results: the version the
 * scenarios read from the device under test when every one that read one read the same (and
 * from the same source); NULL when none read one or they disagree (never picked). */
void report_take_dut_version(struct report_run *run);

/* Each returns BMSRIG_OK or BMSRIG_ERR_IO if writing failed. */
int report_write_junit(FILE *out, const struct report_run *run);
int report_write_tap(FILE *out, const struct report_run *run, int version);  /* 13 or 14 */
int report_write_json(FILE *out, const struct report_run *run);

/* Writes to `path` through a temporary file renamed into place, so a reader never sees half a
 * report. `writer` is one of the three above. */
int report_write_file(const char *path, int (*writer)(FILE *, const struct report_run *),
                      const struct report_run *run);

#endif
