/* report.c: JUnit XML, TAP (13 or 14) and JSON writers for a scenario run. */
#include "rig/scenario/report.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sim/status.h"

void report_count(const struct report_run *run, struct report_counts *out)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < run->n; i++) {
        switch (run->items[i].res->verdict) {
        case SCENARIO_PASS: out->pass++; break;
        case SCENARIO_FAIL: out->fail++; break;
        case SCENARIO_ERROR: out->error++; break;
        case SCENARIO_SKIP: out->skip++; break;
        case SCENARIO_RIG_FAULT: out->rig_fault++; break;
        case SCENARIO_NOT_RUN: out->not_run++; break;
        }
    }
}

void report_take_dut_version(struct report_run *run)
{
    const char *version = NULL, *source = NULL;
    for (size_t i = 0; i < run->n; i++) {
        const struct scenario_result *r = run->items[i].res;
        if (!r || !r->dut_version[0])
            continue;
        if (!version) {
            version = r->dut_version;
            source = r->dut_version_source;
        } else if (strcmp(version, r->dut_version) != 0 || source != r->dut_version_source) {
            version = source = NULL;   /* two devices under test: not one run's version */
            break;
        }
    }
    run->dut_firmware_version = version;
    run->dut_firmware_version_source = version ? source : NULL;
}

/* A scenario's overrun histogram as one property value: "lt_100:N lt_1000:N ... ge_100000:N"
 * (ticks late by less than 100 us, 1 ms, ..., and by 100 ms or more). */
static void overrun_hist_text(FILE *o, const struct scenario_result *r)
{
    for (int b = 0; b < CLOCK_LATE_BUCKETS; b++) {
        int last = b == CLOCK_LATE_BUCKETS - 1;
        fprintf(o, "%s%s%lld:%llu", b ? " " : "", last ? "ge_" : "lt_",
                (long long)clock_late_bucket_us[last ? b - 1 : b],
                (unsigned long long)r->late_hist[b]);
    }
}


static void json_num(FILE *o, double v)
{
    if (isfinite(v))
        fprintf(o, "%.9g", v);
    else
        fputs("null", o);
}

/* First line of a message (JUnit message attribute, TAP description). */
static void first_line(char *buf, size_t cap, const char *s)
{
    s = s ? s : "";
    size_t n = strcspn(s, "\n");
    if (n >= cap)
        n = cap - 1;
    memcpy(buf, s, n);
    buf[n] = '\0';
}

static void measure_text(char *buf, size_t cap, const struct scenario_measure *m)
{
    char lim[96] = "no limits";
    if (m->has_min && m->has_max)
        snprintf(lim, sizeof(lim), "[%g, %g]", m->min, m->max);
    else if (m->has_min)
        snprintf(lim, sizeof(lim), ">= %g", m->min);
    else if (m->has_max)
        snprintf(lim, sizeof(lim), "<= %g", m->max);
    snprintf(buf, cap, "%.6g %s (limits %s) %s", m->value, m->unit, lim,
             m->pass ? "pass" : "FAIL");
}

/* ---- JUnit -------------------------------------------------------------------------------- */

static void junit_property(FILE *o, const char *name, const char *suffix, const char *value)
{
    fputs("      <property name=\"", o);
    escape_xml(o, name);
    escape_xml(o, suffix);
    fputs("\" value=\"", o);
    escape_xml(o, value);
    fputs("\"/>\n", o);
}

/* The run's metadata on every suite (one suite per scenario: a CI engine that shows one suite
 * still sees where and with what it ran). What is not known is left out. */
static void junit_run_properties(FILE *o, const struct report_run *run)
{
    char buf[64];
    junit_property(o, "bmsrig_version", "", run->bmsrig_version);
    snprintf(buf, sizeof(buf), "%llu", (unsigned long long)run->seed);
    junit_property(o, "run_seed", "", buf);
    junit_property(o, "start_time", "", run->timestamp);
    junit_property(o, "host", "", run->hostname);
    if (run->bench_name)
        junit_property(o, "bench", "", run->bench_name);
    if (run->ftdi_serial)
        junit_property(o, "ftdi_serial", "", run->ftdi_serial);
    if (run->dut_firmware_version)
        junit_property(o, "dut_firmware_version", "", run->dut_firmware_version);
    if (run->dut_firmware_version && run->dut_firmware_version_source)
        junit_property(o, "dut_firmware_version_source", "", run->dut_firmware_version_source);
    if (run->dut_firmware_image)
        junit_property(o, "dut_firmware_image", "", run->dut_firmware_image);
    if (run->dut_firmware_cpu)
        junit_property(o, "dut_firmware_cpu", "", run->dut_firmware_cpu);
    if (run->shard_n) {
        snprintf(buf, sizeof(buf), "%u/%u", run->shard_k, run->shard_n);
        junit_property(o, "shard", "", buf);
    }
}

/* One measurement as numbers a trend plugin can chart: measure.NAME.value (and .unit, .min,
 * .max, .pass), besides the measure.NAME text. */
static void junit_measure_properties(FILE *o, const struct scenario_measure *m)
{
    char name[320], buf[64];
    snprintf(name, sizeof(name), "measure.%s", m->name);
    snprintf(buf, sizeof(buf), "%.9g", m->value);
    junit_property(o, name, ".value", buf);
    junit_property(o, name, ".unit", m->unit);
    if (m->has_min) {
        snprintf(buf, sizeof(buf), "%.9g", m->min);
        junit_property(o, name, ".min", buf);
    }
    if (m->has_max) {
        snprintf(buf, sizeof(buf), "%.9g", m->max);
        junit_property(o, name, ".max", buf);
    }
    junit_property(o, name, ".pass", m->pass ? "true" : "false");
}

/* The scenario's HTML page as seen from the JUnit file: HREF/STEM.html, STEM its traces' stem
 * (the pages are named after them: rig/html/html_report.h). Empty without --html or traces. */
static void html_page_of(char *out, size_t cap, const char *href, const char *trace_signals)
{
    static const char suffix[] = ".signals.csv";
    out[0] = '\0';
    if (!href || !trace_signals)
        return;
    const char *base = strrchr(trace_signals, '/');
    base = base ? base + 1 : trace_signals;
    size_t len = strlen(base);
    if (len <= sizeof suffix - 1 || strcmp(base + len - (sizeof suffix - 1), suffix) != 0)
        return;
    int w = snprintf(out, cap, "%s/%.*s.html", href, (int)(len - (sizeof suffix - 1)), base);
    if (w < 0 || (size_t)w >= cap)
        out[0] = '\0';
}

/* One fault event as a line: "set bms_tx: 1", "clear bms_tx",
 * "set cell_weak group 3 cell 1: capacity 0.5 resistance 2". */
static void fault_text(char *out, size_t cap, const struct scenario_fault *f)
{
    bool args = f->set && f->args[0];
    snprintf(out, cap, "%s %s%s%s%s%s", f->set ? "set" : "clear", f->name, f->target[0] ? " " : "",
             f->target, args ? ": " : "", args ? f->args : "");
}

/* JUnit: a property per fault event ("fault" applied, "fault_suppressed" kept off by
 * --suppress-faults), value "T s ACTION NAME[ TARGET][: ARGS]". */
static void junit_fault_properties(FILE *o, const char *prop, const struct scenario_fault *f,
                                   size_t n)
{
    for (size_t k = 0; k < n; k++) {
        char b[512], line[600];
        fault_text(b, sizeof(b), &f[k]);
        snprintf(line, sizeof(line), "%.3f s %s", f[k].t_s, b);
        fprintf(o, "      <property name=\"%s\" value=\"", prop);
        escape_xml(o, line);
        fputs("\"/>\n", o);
    }
}

int report_write_junit(FILE *o, const struct report_run *run)
{
    struct report_counts c;
    report_count(run, &c);
    double total_time = 0;
    for (size_t i = 0; i < run->n; i++)
        total_time += run->items[i].res->wall_s;
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", o);
    fprintf(o, "<testsuites name=\"bmsrig\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
               "time=\"%.3f\">\n",
            run->n, c.fail, c.error + c.rig_fault + c.not_run, total_time);
    /* One suite per scenario file: Jenkins' schema has no per-testcase properties, and the
     * measurements belong to their scenario. */
    for (size_t i = 0; i < run->n; i++) {
        const struct report_item *it = &run->items[i];
        const struct scenario_result *r = it->res;
        int failures = r->verdict == SCENARIO_FAIL;
        int errors = r->verdict == SCENARIO_ERROR || r->verdict == SCENARIO_RIG_FAULT ||
                     r->verdict == SCENARIO_NOT_RUN;
        int skipped = r->verdict == SCENARIO_SKIP;
        fputs("  <testsuite name=\"", o);
        escape_xml(o, it->path);
        fprintf(o, "\" tests=\"1\" failures=\"%d\" errors=\"%d\" skipped=\"%d\" time=\"%.3f\" "
                   "timestamp=\"%s\" hostname=\"",
                failures, errors, skipped, r->wall_s, run->timestamp);
        escape_xml(o, run->hostname);
        fprintf(o, "\" id=\"%zu\" file=\"", i);
        escape_xml(o, it->path);
        fputs("\">\n    <properties>\n", o);
        fprintf(o, "      <property name=\"seed\" value=\"%llu\"/>\n",
                (unsigned long long)r->seed);
        junit_run_properties(o, run);
        fprintf(o, "      <property name=\"target\" value=\"%s\"/>\n", run->target);
        fprintf(o, "      <property name=\"sim_time_s\" value=\"%.3f\"/>\n", r->sim_time_s);
        if (r->overruns) {
            fprintf(o, "      <property name=\"overruns\" value=\"%llu\"/>\n",
                    (unsigned long long)r->overruns);
            fprintf(o, "      <property name=\"worst_late_us\" value=\"%lld\"/>\n",
                    (long long)r->worst_late_us);
            fprintf(o, "      <property name=\"late_total_us\" value=\"%lld\"/>\n",
                    (long long)r->late_total_us);
            fputs("      <property name=\"overrun_hist\" value=\"", o);
            overrun_hist_text(o, r);
            fputs("\"/>\n", o);
        }
        for (size_t t = 0; t < it->ntags; t++) {
            fputs("      <property name=\"tag\" value=\"", o);
            escape_xml(o, it->tags[t]);
            fputs("\"/>\n", o);
        }
        for (size_t m = 0; m < r->nmeasures; m++) {
            char buf[256];
            measure_text(buf, sizeof(buf), &r->measures[m]);
            fputs("      <property name=\"measure.", o);
            escape_xml(o, r->measures[m].name);
            fputs("\" value=\"", o);
            escape_xml(o, buf);
            fputs("\"/>\n", o);
            junit_measure_properties(o, &r->measures[m]);
        }
        junit_fault_properties(o, "fault", r->faults, r->nfaults);
        junit_fault_properties(o, "fault_suppressed", r->suppressed, r->nsuppressed);
        char page[1024] = "";
        html_page_of(page, sizeof page, run->html_href, r->trace_signals);
        if (page[0]) {
            fputs("      <property name=\"html\" value=\"", o);
            escape_xml(o, page);
            fputs("\"/>\n", o);
        }
        fputs("    </properties>\n    <testcase classname=\"", o);
        escape_xml(o, it->path);
        fputs("\" name=\"", o);
        escape_xml(o, it->name);
        fprintf(o, "\" time=\"%.3f\">\n", r->wall_s);
        char line[512];
        first_line(line, sizeof(line), r->message);
        if (r->verdict != SCENARIO_PASS) {
            const char *tag = failures ? "failure" : skipped ? "skipped" : "error";
            fprintf(o, "      <%s type=\"%s\" message=\"", tag, scenario_verdict_name(r->verdict));
            escape_xml(o, line);
            fputs("\">", o);
            escape_xml_text(o, r->message);
            fprintf(o, "</%s>\n", tag);
        }
        fputs("      <system-out>", o);
        if (page[0]) {
            escape_xml_text(o, "HTML report: ");
            escape_xml_text(o, page);
            escape_xml_text(o, "\n");
        }
        for (size_t k = 0; k < r->nexpects; k++) {
            const struct scenario_expect *x = &r->expects[k];
            char b[1024];
            snprintf(b, sizeof(b), "[%9.3f s] expect %s: %s (%s, observed %s)\n", x->t_s,
                     x->pass ? "PASS" : "FAIL", x->what, x->where, x->observed);
            escape_xml_text(o, b);
        }
        for (size_t k = 0; k < r->nfaults + r->nsuppressed; k++) {
            bool sup = k >= r->nfaults;
            const struct scenario_fault *f = sup ? &r->suppressed[k - r->nfaults] : &r->faults[k];
            char b[512], fline[640];
            fault_text(b, sizeof(b), f);
            snprintf(fline, sizeof(fline), "[%9.3f s] fault %s%s\n", f->t_s,
                     sup ? "SUPPRESSED (--suppress-faults, not applied): " : "", b);
            escape_xml_text(o, fline);
        }
        for (size_t k = 0; k < r->nlogs; k++) {
            char b[64];
            snprintf(b, sizeof(b), "[%9.3f s] log: ", r->logs[k].t_s);
            escape_xml_text(o, b);
            escape_xml_text(o, r->logs[k].text);
            escape_xml_text(o, "\n");
        }
        if (r->trace_signals) {
            escape_xml_text(o, "[[ATTACHMENT|");
            escape_xml_text(o, r->trace_signals);
            escape_xml_text(o, "]]\n[[ATTACHMENT|");
            escape_xml_text(o, r->trace_bus);
            escape_xml_text(o, "]]\n");
        }
        fputs("</system-out>\n    </testcase>\n  </testsuite>\n", o);
    }
    fputs("</testsuites>\n", o);
    return ferror(o) ? BMSRIG_ERR_IO : BMSRIG_OK;
}

/* ---- TAP 13/14 ---------------------------------------------------------------------------- */


static void tap_desc(FILE *o, const char *s)
{
    escape_put_safe(o, s, SIZE_MAX, false, true);
}


/* A YAML double-quoted scalar. */
static void yaml_str(FILE *o, const char *s)
{
    escape_json_str(o, s);  /* JSON strings are valid YAML double-quoted scalars */
}

/* A YAML list of fault events under KEY (faults applied, or faults_suppressed). */
static void tap_faults(FILE *o, const char *key, const struct scenario_fault *f, size_t n)
{
    if (!n)
        return;
    fprintf(o, "  %s:\n", key);
    for (size_t k = 0; k < n; k++) {
        fprintf(o, "    - t_s: %.6g\n      action: %s\n      name: ", f[k].t_s,
                f[k].set ? "set" : "clear");
        yaml_str(o, f[k].name);
        fputs("\n      target: ", o);
        yaml_str(o, f[k].target);
        fputs("\n      args: ", o);
        yaml_str(o, f[k].args);
        fputc('\n', o);
    }
}

int report_write_tap(FILE *o, const struct report_run *run, int version)
{
    /* The stream (plan, test lines, SKIP directive, indented YAML blocks) is valid in both
     * versions; only the version line differs. */
    fprintf(o, "TAP version %d\n", version == 14 ? 14 : 13);
    fprintf(o, "1..%zu\n", run->n);
    for (size_t i = 0; i < run->n; i++) {
        const struct report_item *it = &run->items[i];
        const struct scenario_result *r = it->res;
        bool ok = r->verdict == SCENARIO_PASS || r->verdict == SCENARIO_SKIP;
        fprintf(o, "%s %zu - ", ok ? "ok" : "not ok", i + 1);
        tap_desc(o, it->name);
        if (r->verdict == SCENARIO_SKIP) {
            fputs(" # SKIP ", o);
            char line[512];
            first_line(line, sizeof(line), r->message);
            tap_desc(o, line);
        }
        fputc('\n', o);
        fputs("  ---\n  file: ", o);
        yaml_str(o, it->path);
        fprintf(o, "\n  verdict: %s\n  seed: %llu\n  sim_time_s: %.3f\n  wall_s: %.3f\n",
                scenario_verdict_name(r->verdict), (unsigned long long)r->seed, r->sim_time_s,
                r->wall_s);
        if (r->message) {
            fputs("  message: ", o);
            yaml_str(o, r->message);
            fputc('\n', o);
        }
        if (r->nmeasures) {
            fputs("  measurements:\n", o);
            for (size_t m = 0; m < r->nmeasures; m++) {
                const struct scenario_measure *x = &r->measures[m];
                fputs("    - name: ", o);
                yaml_str(o, x->name);
                fprintf(o, "\n      value: %.9g\n      unit: ", x->value);
                yaml_str(o, x->unit);
                if (x->has_min)
                    fprintf(o, "\n      min: %.9g", x->min);
                if (x->has_max)
                    fprintf(o, "\n      max: %.9g", x->max);
                fprintf(o, "\n      pass: %s\n", x->pass ? "true" : "false");
            }
        }
        tap_faults(o, "faults", r->faults, r->nfaults);
        tap_faults(o, "faults_suppressed", r->suppressed, r->nsuppressed);
        fputs("  ...\n", o);
    }
    if (!run->complete && run->incomplete_reason) {
        fputs("# run incomplete: ", o);
        tap_desc(o, run->incomplete_reason);
        fputc('\n', o);
    } else if (!run->complete) {
        fputs("# run interrupted: results incomplete\n", o);
    }
    return ferror(o) ? BMSRIG_ERR_IO : BMSRIG_OK;
}

/* ---- JSON --------------------------------------------------------------------------------- */

/* A JSON list of fault events: {t_s, action, name, target, value, args}. */
static void json_faults(FILE *o, const struct scenario_fault *list, size_t n)
{
    fputc('[', o);
    for (size_t k = 0; k < n; k++) {
        const struct scenario_fault *f = &list[k];
        fputs(k ? ", {\"t_s\": " : "{\"t_s\": ", o);
        json_num(o, f->t_s);
        fprintf(o, ", \"action\": \"%s\", \"name\": ", f->set ? "set" : "clear");
        escape_json_str(o, f->name);
        fputs(", \"target\": ", o);
        escape_json_str(o, f->target);
        fputs(", \"value\": ", o);
        if (f->set && isfinite(f->value))
            json_num(o, f->value);
        else
            fputs("null", o);
        fputs(", \"args\": ", o);
        escape_json_str(o, f->args);
        fputs("}", o);
    }
    fputc(']', o);
}

int report_write_json(FILE *o, const struct report_run *run)
{
    struct report_counts c;
    report_count(run, &c);
    fputs("{\n  \"format\": \"bmsrig-report-1\",\n  \"bmsrig_version\": ", o);
    escape_json_str(o, run->bmsrig_version);
    fputs(",\n  \"lua_version\": ", o);
    escape_json_str(o, run->lua_version);
    fputs(",\n  \"libftdi_version\": ", o);
    escape_json_str(o, run->libftdi_version);
    fputs(",\n  \"target\": ", o);
    escape_json_str(o, run->target);
    fputs(",\n  \"clock\": ", o);
    escape_json_str(o, run->clock);
    fprintf(o, ",\n  \"seed\": %llu,\n  \"suppress_faults\": %s,\n  \"complete\": %s,\n",
            (unsigned long long)run->seed, run->suppress_faults ? "true" : "false",
            run->complete ? "true" : "false");
    fputs("  \"incomplete_reason\": ", o);
    if (run->incomplete_reason)
        escape_json_str(o, run->incomplete_reason);
    else
        fputs("null", o);
    fputs(",\n  \"timestamp\": ", o);
    escape_json_str(o, run->timestamp);
    fputs(",\n  \"host\": ", o);
    escape_json_str(o, run->hostname);
    if (run->bench_name || run->ftdi_serial) {
        fputs(",\n  \"bench\": {", o);
        const char *sep = "";
        if (run->bench_name) {
            fputs("\"name\": ", o);
            escape_json_str(o, run->bench_name);
            sep = ", ";
        }
        if (run->ftdi_serial) {
            fprintf(o, "%s\"ftdi_serial\": ", sep);
            escape_json_str(o, run->ftdi_serial);
        }
        fputs("}", o);
    }
    if (run->dut_firmware_version || run->dut_firmware_image) {
        fputs(",\n  \"dut\": {", o);
        const char *sep = "";
        if (run->dut_firmware_version) {
            fputs("\"firmware_version\": ", o);
            escape_json_str(o, run->dut_firmware_version);
            sep = ", ";
            if (run->dut_firmware_version_source) {
                fputs(", \"firmware_version_source\": ", o);
                escape_json_str(o, run->dut_firmware_version_source);
            }
        }
        if (run->dut_firmware_image) {
            fprintf(o, "%s\"firmware_image\": ", sep);
            escape_json_str(o, run->dut_firmware_image);
            sep = ", ";
        }
        if (run->dut_firmware_cpu) {
            fprintf(o, "%s\"firmware_cpu\": ", sep);
            escape_json_str(o, run->dut_firmware_cpu);
        }
        fputs("}", o);
    }
    if (run->shard_n)
        fprintf(o, ",\n  \"shard\": {\"k\": %u, \"n\": %u}", run->shard_k, run->shard_n);
    if (run->nsources) {
        fputs(",\n  \"merged_from\": [", o);
        for (size_t i = 0; i < run->nsources; i++) {
            const struct report_source *src = &run->sources[i];
            fputs(i ? ",\n    {\"file\": " : "\n    {\"file\": ", o);
            escape_json_str(o, src->file);
            fputs(", \"timestamp\": ", o);
            escape_json_str(o, src->timestamp);
            fputs(", \"host\": ", o);
            escape_json_str(o, src->host);
            fprintf(o, ", \"total\": %zu", src->total);
            if (src->shard_n)
                fprintf(o, ", \"shard\": \"%u/%u\"", src->shard_k, src->shard_n);
            if (src->bench) {
                fputs(", \"bench\": ", o);
                escape_json_str(o, src->bench);
            }
            if (src->ftdi_serial) {
                fputs(", \"ftdi_serial\": ", o);
                escape_json_str(o, src->ftdi_serial);
            }
            fputs("}", o);
        }
        fputs("\n  ]", o);
    }
    fputs(",\n  \"wall_s\": ", o);
    json_num(o, run->wall_s);
    fprintf(o, ",\n  \"counts\": {\"total\": %zu, \"pass\": %zu, \"fail\": %zu, \"error\": %zu, "
               "\"skip\": %zu, \"rig_fault\": %zu, \"not_run\": %zu},\n",
            run->n, c.pass, c.fail, c.error, c.skip, c.rig_fault, c.not_run);
    fputs("  \"scenarios\": [", o);
    for (size_t i = 0; i < run->n; i++) {
        const struct report_item *it = &run->items[i];
        const struct scenario_result *r = it->res;
        fputs(i ? ",\n    {" : "\n    {", o);
        fputs("\"file\": ", o);
        escape_json_str(o, it->path);
        fputs(", \"name\": ", o);
        escape_json_str(o, it->name);
        if (it->description) {
            fputs(", \"description\": ", o);
            escape_json_str(o, it->description);
        }
        fputs(", \"tags\": [", o);
        for (size_t t = 0; t < it->ntags; t++) {
            if (t)
                fputs(", ", o);
            escape_json_str(o, it->tags[t]);
        }
        fputs("],\n     \"verdict\": ", o);
        escape_json_str(o, scenario_verdict_name(r->verdict));
        fputs(", \"message\": ", o);
        if (r->message)
            escape_json_str(o, r->message);
        else
            fputs("null", o);
        fprintf(o, ",\n     \"seed\": %llu, \"sim_time_s\": ", (unsigned long long)r->seed);
        json_num(o, r->sim_time_s);
        fputs(", \"wall_s\": ", o);
        json_num(o, r->wall_s);
        fprintf(o, ", \"ticks\": %llu, \"overruns\": %llu, \"worst_late_us\": %lld, "
                   "\"lua_instructions\": %llu, \"faults_requested\": %u, \"faults_applied\": %u",
                (unsigned long long)r->ticks, (unsigned long long)r->overruns,
                (long long)r->worst_late_us, (unsigned long long)r->instructions,
                r->faults_requested, r->faults_applied);
        fprintf(o, ", \"late_total_us\": %lld, \"overrun_hist\": {", (long long)r->late_total_us);
        for (int b = 0; b < CLOCK_LATE_BUCKETS; b++) {
            int last = b == CLOCK_LATE_BUCKETS - 1;
            fprintf(o, "%s\"%s%lld\": %llu", b ? ", " : "", last ? "ge_" : "lt_",
                    (long long)clock_late_bucket_us[last ? b - 1 : b],
                    (unsigned long long)r->late_hist[b]);
        }
        fputs("}", o);
        if (r->trace_signals) {
            fputs(",\n     \"trace\": {\"signals\": ", o);
            escape_json_str(o, r->trace_signals);
            fputs(", \"bus\": ", o);
            escape_json_str(o, r->trace_bus);
            fputs("}", o);
        }
        fputs(",\n     \"expectations\": [", o);
        for (size_t k = 0; k < r->nexpects; k++) {
            const struct scenario_expect *x = &r->expects[k];
            fputs(k ? ",\n       {" : "\n       {", o);
            fputs("\"what\": ", o);
            escape_json_str(o, x->what);
            fputs(", \"where\": ", o);
            escape_json_str(o, x->where);
            fputs(", \"t_s\": ", o);
            json_num(o, x->t_s);
            fprintf(o, ", \"verdict\": \"%s\", \"observed\": ", x->pass ? "pass" : "fail");
            escape_json_str(o, x->observed);
            if (!x->pass) {
                fputs(", \"message\": ", o);
                escape_json_str(o, x->message);
            }
            fputs("}", o);
        }
        fputs(r->nexpects ? "],\n     \"measurements\": [" : "],\n     \"measurements\": [", o);
        for (size_t m = 0; m < r->nmeasures; m++) {
            const struct scenario_measure *x = &r->measures[m];
            fputs(m ? ",\n       {" : "\n       {", o);
            fputs("\"name\": ", o);
            escape_json_str(o, x->name);
            fputs(", \"value\": ", o);
            json_num(o, x->value);
            fputs(", \"unit\": ", o);
            escape_json_str(o, x->unit);
            fputs(", \"min\": ", o);
            if (x->has_min)
                json_num(o, x->min);
            else
                fputs("null", o);
            fputs(", \"max\": ", o);
            if (x->has_max)
                json_num(o, x->max);
            else
                fputs("null", o);
            fprintf(o, ", \"verdict\": \"%s\", \"where\": ", x->pass ? "pass" : "fail");
            escape_json_str(o, x->where);
            fputs(", \"t_s\": ", o);
            json_num(o, x->t_s);
            fputs("}", o);
        }
        fputs("],\n     \"faults\": ", o);
        json_faults(o, r->faults, r->nfaults);
        fputs(",\n     \"faults_suppressed\": ", o);
        json_faults(o, r->suppressed, r->nsuppressed);
        fputs(",\n     \"log\": [", o);
        for (size_t k = 0; k < r->nlogs; k++) {
            fputs(k ? ", {\"t_s\": " : "{\"t_s\": ", o);
            json_num(o, r->logs[k].t_s);
            fputs(", \"text\": ", o);
            escape_json_str(o, r->logs[k].text);
            fputs("}", o);
        }
        fputs("]}", o);
    }
    fputs(run->n ? "\n  ]\n}\n" : "]\n}\n", o);
    return ferror(o) ? BMSRIG_ERR_IO : BMSRIG_OK;
}

int report_write_file(const char *path, int (*writer)(FILE *, const struct report_run *),
                      const struct report_run *run)
{
    /* A regular file is replaced atomically (write PATH.tmp, then rename), so a crash never
     * leaves half a report. Anything else (a device such as /dev/stdout, a FIFO, a symbolic
     * link) is written in place: renaming onto it would replace the device or the link. */
    struct stat st;
    if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        FILE *out = fopen(path, "w");
        if (!out)
            return BMSRIG_ERR_IO;
        int rc = writer(out, run);
        if (fclose(out) != 0)
            rc = BMSRIG_ERR_IO;
        return rc;
    }
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
        return BMSRIG_ERR_ARG;
    FILE *f = fopen(tmp, "w");
    if (!f)
        return BMSRIG_ERR_IO;
    int rc = writer(f, run);
    if (fclose(f) != 0)
        rc = BMSRIG_ERR_IO;
    if (rc == BMSRIG_OK && rename(tmp, path) != 0)
        rc = BMSRIG_ERR_IO;
    if (rc != BMSRIG_OK)
        remove(tmp);
    return rc;
}
