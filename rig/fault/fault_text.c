/* fault_text.c: the fault table as text: the `bmsrig faults` list, the docs' markdown table and
 * the lines the --help of the commands that take faults print. */
#include "rig/fault/fault.h"

#include <string.h>

/* The value as --help shows it after NAME=. */
static void short_value(const struct fault_def *d, char *buf, size_t cap)
{
    const char *base = "";
    switch (d->arg) {
    case FAULT_ARG_SWITCH: base = "on|off"; break;
    case FAULT_ARG_SECONDS: base = "SECONDS"; break;
    case FAULT_ARG_PROBABILITY: base = "P"; break;
    case FAULT_ARG_RATE: base = "BER"; break;
    case FAULT_ARG_OHMS: base = "OHMS"; break;
    case FAULT_ARG_SEVERITY: base = "SEVERITY"; break;
    }
    size_t n = (size_t)snprintf(buf, cap, "%s", base);
    for (size_t i = 0; i < FAULT_WORDS_MAX && d->words[i].word && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "|%s", d->words[i].word);
}

static void print_aliases(FILE *out, const struct fault_def *d, const char *open,
                          const char *quote, const char *close)
{
    for (size_t a = 0; a < FAULT_ALIASES_MAX && d->aliases[a]; a++)
        fprintf(out, "%s%s%s%s", a ? ", " : open, quote, d->aliases[a], quote);
    if (d->aliases[0])
        fputs(close, out);
}

void fault_print_list(FILE *out)
{
    const struct fault_def *t = fault_table();
    for (size_t i = 0; i < fault_count(); i++) {
        char v[64];
        short_value(&t[i], v, sizeof v);
        fprintf(out, "%-17s %-20s %s", t[i].name, v, t[i].help);
        print_aliases(out, &t[i], " (also ", "", ")");
        fputc('\n', out);
    }
}

void fault_print_markdown(FILE *out)
{
    fputs("| name | value | virtual target | bench |\n", out);
    fputs("| --- | --- | --- | --- |\n", out);
    const struct fault_def *t = fault_table();
    for (size_t i = 0; i < fault_count(); i++) {
        fprintf(out, "| `%s`", t[i].name);
        print_aliases(out, &t[i], " (also ", "`", ")");
        fprintf(out, " | %s | %s | %s |\n", t[i].value_text, t[i].effect, t[i].bench_text);
    }
}

void fault_print_help(FILE *out, int indent, enum fault_help_set set)
{
    const struct fault_def *t = fault_table();
    for (size_t i = 0; i < fault_count(); i++) {
        bool bench = t[i].bench != FAULT_BENCH_NONE;
        if ((set == FAULT_HELP_BENCH && !bench) || (set == FAULT_HELP_NO_BENCH && bench))
            continue;
        char v[64], nv[96];
        short_value(&t[i], v, sizeof v);
        snprintf(nv, sizeof nv, "%s=%s", t[i].name, v);
        fprintf(out, "%*s%-30s %s\n", indent, "", nv, t[i].help);
    }
}
