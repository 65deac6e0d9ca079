/* fault.h: the one table of named faults. A fault's name and aliases, its value (type and
 * range), what it does on the virtual target, what it maps to on a bench, and its help line
 * live here (rig/fault/fault_table.c); every consumer reads them instead of a list of its own:
 * the link (rig/line/link.c: its protocol faults are the first FAULT_LINK_COUNT ids), the
 * scenario engine (t:fault / t:clear), the bench (rig/bench/rig_hw.c: the description's fault
 * lines), `bmsrig bms --fault`, the --help texts, `bmsrig faults` and docs/scenarios.md
 * (whose fault list a CTest compares with `bmsrig faults --markdown`).
 *
 * Only the faults addressed by name are here. The pack faults are addressed through a handle
 * and an index (t:group(g), t:cell(g, k), t:ntc(k) in docs/scenarios.md; `bmsrig sim --fault
 * NAME:INDEX...` in rig/offline/simfault.c, which has its own table of them).
 *
 * Pure data and pure functions: no I/O but the text writers (fault_text.c), no state. */
#ifndef BMSRIG_RIG_FAULT_FAULT_H
#define BMSRIG_RIG_FAULT_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* The faults. The first FAULT_LINK_COUNT are the link's protocol faults, in the order of
 * enum link_fault (rig/line/link.h, which asserts it). */
enum fault_id {
    FAULT_BMS_TX,
    FAULT_ESC_TX,
    FAULT_REPLY_DELAY,
    FAULT_CORRUPT_CHECKSUM,
    FAULT_TRUNCATE,
    FAULT_GARBAGE,
    FAULT_STALE,
    FAULT_BIT_ERRORS,
    FAULT_SERIAL_DEFAULT,
    FAULT_CONFIG_INVALID,
    FAULT_LINK_COUNT,
    FAULT_ESC_RESISTOR = FAULT_LINK_COUNT,
    FAULT_MOISTURE,
    FAULT_COUNT
};

/* What a fault's value is. */
enum fault_arg {
    FAULT_ARG_SWITCH,       /* on/off: no value (a number given anyway is ignored) */
    FAULT_ARG_SECONDS,      /* a delay, s */
    FAULT_ARG_PROBABILITY,  /* per reply, 0..1 */
    FAULT_ARG_RATE,         /* bit error rate, 0..1 */
    FAULT_ARG_OHMS,         /* a resistance, > 0; INFINITY = open */
    FAULT_ARG_SEVERITY,     /* 0..1 */
};

/* How a bench does it. */
enum fault_bench {
    FAULT_BENCH_NONE,       /* no bench line: the fake BMS (the BMS model behind the link) does
                             * it, on every target where bmsrig plays the BMS */
    FAULT_BENCH_RELAY,      /* a relay of the description: energised while the fault is on */
    FAULT_BENCH_BANK,       /* a resistor bank of the description: the position nearest the
                             * value in ohms (log scale), the one without ohms for open */
};

/* A word accepted in place of a number ("open", "burnt"). */
struct fault_word {
    const char *word;
    double value;
};

#define FAULT_ALIASES_MAX 3
#define FAULT_WORDS_MAX 3
#define FAULT_LINES_MAX 3

struct fault_def {
    enum fault_id id;
    const char *name;                          /* the one name: t:fault(name), --fault name */
    const char *aliases[FAULT_ALIASES_MAX];    /* older spellings still accepted (NULL-ended) */
    enum fault_arg arg;
    double min, max;                           /* accepted numbers (not for switches) */
    bool min_excluded;                         /* the number must be above min, not at it */
    struct fault_word words[FAULT_WORDS_MAX];  /* words for numbers (NULL-ended) */
    const char *value_text;                    /* the value as docs show it */
    const char *effect;                        /* what it does on the virtual target */
    enum fault_bench bench;
    const char *lines[FAULT_LINES_MAX];        /* description fault-line names, first found
                                                * wins (NULL-ended; empty for NONE) */
    const char *bench_text;                    /* what it does on a bench */
    const char *help;                          /* one line for --help */
};

/* The table, in enum order: fault_table()[i].id == i. */
const struct fault_def *fault_table(void);
size_t fault_count(void);
const struct fault_def *fault_get(enum fault_id id);   /* NULL for a bad id */

/* A fault by its name or one of its aliases (exact, case-sensitive); NULL if none. */
const struct fault_def *fault_find(const char *name);

/* The known name or alias nearest `name` (edit distance), for "did you mean"; NULL when even
 * the nearest differs in more than a third of its letters (at least 2). */
const char *fault_nearest(const char *name);

/* "unknown fault 'NAME'; did you mean 'X'? (faults: a, b, ...)" into buf (truncated to cap). */
void fault_unknown_message(const char *name, char *buf, size_t cap);

/* True if the number `v` is a value the fault accepts (any number for a switch but NaN). */
bool fault_value_ok(const struct fault_def *d, double v);

/* Parses a fault's value as text (--fault NAME=TEXT, t:fault(name, "TEXT")): "off" sets *clear;
 * for a switch "on", "open" or "1" turn it on and "0" turns it off; otherwise one of the row's
 * words or a number in its range. NULL or "" = turned on (1). Returns 0, or -1 with the reason
 * in err ("fault 'reply_delay': 'soon' is not ..."). */
int fault_parse_value(const struct fault_def *d, const char *text, double *value, bool *clear,
                      char *err, size_t errcap);

/* The description line a bench uses for fault `d`: the first of d->lines for which
 * has_line(user, name) is true; NULL if none (or the fault has no bench mapping). */
const char *fault_bench_line(const struct fault_def *d, bool (*has_line)(void *user,
                                                                         const char *name),
                             void *user);

/* ---- the lines of a bench description ----------------------------------------------------- */

/* The one line of a description that is not a fault: the controller's supply relay, switched
 * by t:power_on / t:power_off when the description has it. */
#define FAULT_LINE_POWER "power"

/* True if a description's fault line may be called `name`: a bench line of some fault of the
 * table, or FAULT_LINE_POWER (rig/bench/board.c refuses any other name: no call would reach
 * it). */
bool fault_line_known(const char *name);

/* "fault line 'NAME' is not a bench line of any fault; did you mean 'X'? (lines: ...)" into
 * buf (truncated to cap). */
void fault_line_unknown_message(const char *name, char *buf, size_t cap);

/* ---- the virtual effect as link protocol faults ------------------------------------------- */

/* One protocol fault of the link to set (value as enum link_fault documents it). */
struct fault_link_effect {
    enum fault_id link;   /* < FAULT_LINK_COUNT */
    double value;
};

/* The link faults that fault `d` at `value` amounts to on the virtual wire, into out[0..cap)
 * (cap >= 2 always suffices); returns the count (0: the value makes it a no-op, e.g. a nominal
 * resistor). `value` must have passed fault_value_ok. */
size_t fault_link_effects(const struct fault_def *d, double value, struct fault_link_effect *out,
                          size_t cap);
/* The link faults `d` owns (cap >= 2): cleared before its effects are applied and when it is
 * cleared. Returns the count. */
size_t fault_link_owned(const struct fault_def *d, enum fault_id *out, size_t cap);

/* A series resistor of `ohms` on the BMS TX line at or above which the line counts as open. */
#define FAULT_RESISTOR_OPEN_OHM 1e6

/* ---- text (fault_text.c) ------------------------------------------------------------------ */

/* One line per fault: "NAME  VALUE  HELP" (aliases after the name). */
void fault_print_list(FILE *out);
/* The docs table (docs/scenarios.md's fault list is this output, checked by a CTest). */
void fault_print_markdown(FILE *out);
/* Which faults fault_print_help lists. */
enum fault_help_set {
    FAULT_HELP_ALL,
    FAULT_HELP_BENCH,       /* those with a bench line (wire faults) */
    FAULT_HELP_NO_BENCH,    /* those the fake BMS does on every target */
};
/* Help lines for a command's --help: "NAME=VALUE  help", indented by `indent`. */
void fault_print_help(FILE *out, int indent, enum fault_help_set set);

#endif
