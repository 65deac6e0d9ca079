/* report_notes.c: a run report as the plain-text lines an HTML index opens with. */
#include "rig/cli/report_notes.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((format(printf, 2, 3)))
static void add(struct report_notes *nt, const char *fmt, ...)
{
    va_list ap;
    char *line = NULL;
    va_start(ap, fmt);
    int len = vasprintf(&line, fmt, ap);
    va_end(ap);
    if (len < 0)
        return;
    char **lines = realloc(nt->lines, (nt->n + 1) * sizeof(*lines));
    if (!lines) {
        free(line);
        return;
    }
    nt->lines = lines;
    nt->lines[nt->n++] = line;
}

/* The first line of a message, at most 200 bytes of it. */
static int first_line_len(const char *msg)
{
    size_t n = strcspn(msg, "\n");
    return (int)(n > 200 ? 200 : n);
}

void report_notes_make(const struct report_run *run, struct report_notes *nt)
{
    memset(nt, 0, sizeof(*nt));
    struct report_counts c;
    report_count(run, &c);
    add(nt, "%zu scenarios: %zu passed, %zu failed, %zu errors, %zu skipped, %zu rig faults, "
            "%zu not run%s%s", run->n, c.pass, c.fail, c.error, c.skip, c.rig_fault, c.not_run,
        run->complete ? "" : "; INCOMPLETE: ",
        run->complete ? "" : run->incomplete_reason ? run->incomplete_reason : "interrupted");
    char shard[48] = "";
    if (run->shard_n)
        snprintf(shard, sizeof(shard), ", shard %u/%u", run->shard_k, run->shard_n);
    add(nt, "seed %llu, target %s, clock %s%s%s; bmsrig %s; host %s, started %s UTC",
        (unsigned long long)run->seed, run->target ? run->target : "?",
        run->clock ? run->clock : "?", shard,
        run->suppress_faults ? ", FAULTS SUPPRESSED (--suppress-faults)" : "",
        run->bmsrig_version ? run->bmsrig_version : "?", run->hostname, run->timestamp);
    if (run->bench_name || run->ftdi_serial)
        add(nt, "bench %s, FTDI serial %s", run->bench_name ? run->bench_name : "(differs)",
            run->ftdi_serial ? run->ftdi_serial : "(none or differs)");
    if (run->dut_firmware_version)
        add(nt, "device under test: firmware %s%s%s%s", run->dut_firmware_version,
            run->dut_firmware_version_source ? " (" : "",
            run->dut_firmware_version_source ? run->dut_firmware_version_source : "",
            run->dut_firmware_version_source ? ")" : "");
    if (run->dut_firmware_image)
        add(nt, "device under test: firmware image %s%s%s%s", run->dut_firmware_image,
            run->dut_firmware_cpu ? " (emulated CPU: " : "",
            run->dut_firmware_cpu ? run->dut_firmware_cpu : "", run->dut_firmware_cpu ? ")" : "");
    for (size_t i = 0; i < run->nsources; i++) {
        const struct report_source *s = &run->sources[i];
        char sk[48] = "";
        if (s->shard_n)
            snprintf(sk, sizeof(sk), "shard %u/%u, ", s->shard_k, s->shard_n);
        add(nt, "merged from %s: %s%zu scenario%s, host %s, started %s UTC%s%s", s->file, sk,
            s->total, s->total == 1 ? "" : "s", s->host ? s->host : "?", s->timestamp ? s->timestamp : "?",
            s->bench ? ", bench " : "", s->bench ? s->bench : "");
    }
    for (size_t i = 0; i < run->n; i++) {
        const struct report_item *it = &run->items[i];
        if (it->res->trace_signals)
            continue;
        const char *msg = it->res->message ? it->res->message : "";
        add(nt, "no page for %s (%s): %s%s%.*s", it->name ? it->name : it->path, it->path,
            scenario_verdict_name(it->res->verdict), *msg ? ": " : "", first_line_len(msg), msg);
    }
}

void report_notes_free(struct report_notes *nt)
{
    for (size_t i = 0; i < nt->n; i++)
        free(nt->lines[i]);
    free(nt->lines);
    memset(nt, 0, sizeof(*nt));
}
