/* report_merge_html.c: `bmsrig report merge --html DIR`: the shards' traces gathered into one
 * HTML report (see report_merge_html.h). */
#include "rig/cli/report_merge_html.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rig/cli/report_notes.h"
#include "rig/html/html_report.h"
#include "rig/scenario/report.h"
#include "sim/status.h"

/* One scenario's traces: read from `from` + suffix, written to DIR/traces/`stem` + suffix. */
struct html_copy {
    char *from;          /* "FOLDER/STEM" */
    char *stem;
    char *scenario;      /* its path, for messages */
    const char *input;   /* borrowed (argv) */
};

static const char *const trace_suffixes[] = { ".signals.csv", ".bus.csv", ".events.tsv" };

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int html_merge_begin(struct html_merge *m, const char *out_dir, FILE *err)
{
    memset(m, 0, sizeof(*m));
    m->out_dir = out_dir;
    DIR *d = opendir(out_dir);
    if (!d) {
        if (errno == ENOENT)
            return 0;
        fprintf(err, "bmsrig report merge: --html %s: %s\n", out_dir, strerror(errno));
        return -1;
    }
    bool empty = true;
    for (struct dirent *de; empty && (de = readdir(d));)
        empty = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
    closedir(d);
    if (!empty) {
        fprintf(err, "bmsrig report merge: --html %s: the folder is not empty (its pages and "
                     "traces would mix with the merged ones): give a new or empty folder\n",
                out_dir);
        return -1;
    }
    return 0;
}

/* "dir/NAME.signals.csv" -> stem "NAME", prefix "dir/NAME"; false when it is not so named. */
static bool split_signals(const char *path, char **prefix, char **stem)
{
    static const char suffix[] = ".signals.csv";
    size_t len = strlen(path), sl = sizeof(suffix) - 1;
    if (len <= sl || strcmp(path + len - sl, suffix) != 0)
        return false;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (base == path + len - sl)
        return false;
    *prefix = strndup(path, len - sl);
    *stem = strndup(base, (size_t)(path + len - sl - base));
    return *prefix && *stem;
}

static char *joined(const char *a, const char *b, const char *c)
{
    char *s = NULL;
    return asprintf(&s, "%s%s%s", a, b, c) < 0 ? NULL : s;
}

int html_merge_take(struct html_merge *m, struct report_doc *doc, const char *input,
                    const char *folder, FILE *err)
{
    for (size_t k = 0; k < doc->run.n; k++) {
        struct scenario_result *r = &doc->results[k];
        const char *scenario = doc->items[k].path;
        if (!r->trace_signals)
            continue;   /* no traces (not run, stopped while loading): no page, as in a run */
        char *prefix = NULL, *stem = NULL;
        if (!split_signals(r->trace_signals, &prefix, &stem)) {
            fprintf(err, "bmsrig report merge: %s: scenario %s: trace '%s' is not a "
                         "NAME.signals.csv\n", input, scenario, r->trace_signals);
            free(prefix);
            free(stem);
            return -1;
        }
        char *from = NULL;
        if (folder) {
            char *in_folder = joined(folder, "/traces/", stem);
            char *sig = in_folder ? joined(in_folder, ".signals.csv", "") : NULL;
            if (sig && is_file(sig))
                from = in_folder;
            else
                free(in_folder);
            free(sig);
        }
        if (!from) {
            char *sig = joined(prefix, ".signals.csv", "");
            if (!sig || !is_file(sig)) {
                fprintf(err, "bmsrig report merge: %s: scenario %s: its trace %s.signals.csv "
                             "is not %s%s%s (give the shard's `run --html` folder, or run the "
                             "merge where the traces are)\n", input, scenario, stem,
                        folder ? "in " : "at ", folder ? folder : r->trace_signals,
                        folder ? "/traces, nor at the path its report names" : "");
                free(sig);
                free(prefix);
                free(stem);
                return -1;
            }
            free(sig);
            from = prefix;
            prefix = NULL;
        }
        free(prefix);
        for (size_t i = 0; i < m->n; i++) {
            if (strcmp(m->copies[i].stem, stem) == 0) {
                fprintf(err, "bmsrig report merge: scenarios %s (%s) and %s (%s) have traces of "
                             "one name, %s: their pages would be one file: refused\n",
                        m->copies[i].scenario, m->copies[i].input, scenario, input, stem);
                free(from);
                free(stem);
                return -1;
            }
        }
        struct html_copy *c = realloc(m->copies, (m->n + 1) * sizeof(*c));
        char *dst_sig = joined(m->out_dir, "/traces/", stem);
        char *sig = dst_sig ? joined(dst_sig, ".signals.csv", "") : NULL;
        char *bus = dst_sig ? joined(dst_sig, ".bus.csv", "") : NULL;
        free(dst_sig);
        if (c)
            m->copies = c;
        if (!c || !sig || !bus) {
            free(sig);
            free(bus);
            free(from);
            free(stem);
            fprintf(err, "bmsrig report merge: out of memory\n");
            return -1;
        }
        m->copies[m->n++] = (struct html_copy){ .from = from, .stem = stem,
                                                .scenario = strdup(scenario), .input = input };
        /* the merged reports name the merged folder's traces */
        free(r->trace_signals);
        r->trace_signals = sig;
        if (r->trace_bus) {
            free(r->trace_bus);
            r->trace_bus = bus;
        } else {
            free(bus);
        }
    }
    return 0;
}

static int copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb");
    if (!in)
        return -1;
    FILE *out = fopen(to, "wb");
    if (!out) {
        fclose(in);
        return -1;
    }
    char buf[65536];
    size_t n;
    int rc = 0;
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
        if (fwrite(buf, 1, n, out) != n) {
            rc = -1;
            break;
        }
    if (ferror(in))
        rc = -1;
    fclose(in);
    if (fclose(out) != 0)
        rc = -1;
    return rc;
}

int html_merge_write(struct html_merge *m, const struct report_run *run, FILE *err)
{
    char traces[4096];
    snprintf(traces, sizeof(traces), "%s/traces", m->out_dir);
    if ((mkdir(m->out_dir, 0777) != 0 && errno != EEXIST) ||
        (mkdir(traces, 0777) != 0 && errno != EEXIST)) {
        fprintf(err, "bmsrig report merge: cannot create %s: %s\n", traces, strerror(errno));
        return -1;
    }
    for (size_t i = 0; i < m->n; i++) {
        for (size_t s = 0; s < sizeof(trace_suffixes) / sizeof(*trace_suffixes); s++) {
            char *from = joined(m->copies[i].from, trace_suffixes[s], "");
            char *dir = joined(traces, "/", m->copies[i].stem);
            char *to = dir ? joined(dir, trace_suffixes[s], "") : NULL;
            free(dir);
            int rc = !from || !to ? -1 : s > 0 && !is_file(from) ? 0 : copy_file(from, to);
            /* (a run without bus log or events: nothing to copy, the page says so) */
            if (rc != 0)
                fprintf(err, "bmsrig report merge: cannot copy %s to %s: %s\n",
                        from ? from : "?", to ? to : "?", strerror(errno));
            free(from);
            free(to);
            if (rc != 0)
                return -1;
        }
    }
    struct report_notes notes;
    report_notes_make(run, &notes);
    int pages = html_report_build_notes(traces, m->out_dir, (const char *const *)notes.lines,
                                        notes.n, err);
    report_notes_free(&notes);
    if (pages < 0)
        return -1;
    char json[4096];
    snprintf(json, sizeof(json), "%s/report.json", m->out_dir);
    if (report_write_file(json, report_write_json, run) != BMSRIG_OK) {
        fprintf(err, "bmsrig report merge: cannot write %s\n", json);
        return -1;
    }
    return pages;
}

void html_merge_free(struct html_merge *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->copies[i].from);
        free(m->copies[i].stem);
        free(m->copies[i].scenario);
    }
    free(m->copies);
    memset(m, 0, sizeof(*m));
}
