/* test_fault.c: the fault table (rig/fault/fault.h): one row per id in order, names and aliases
 * unique, every row complete (help, effect, bench mapping), lookups by alias, "did you mean",
 * value parsing, the virtual effects and the link's use of the table. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rig/fault/fault.h"
#include "rig/line/link.h"

/* Every name and alias of the table, for the uniqueness checks. */
static size_t all_names(const char **out, size_t cap)
{
    const struct fault_def *t = fault_table();
    size_t n = 0;
    for (size_t i = 0; i < fault_count(); i++) {
        if (n < cap)
            out[n++] = t[i].name;
        for (size_t a = 0; a < FAULT_ALIASES_MAX && t[i].aliases[a]; a++)
            if (n < cap)
                out[n++] = t[i].aliases[a];
    }
    return n;
}

Test(fault, rows_are_in_id_order_and_complete)
{
    const struct fault_def *t = fault_table();
    cr_assert_eq(fault_count(), FAULT_COUNT);
    for (size_t i = 0; i < fault_count(); i++) {
        cr_expect_eq((size_t)t[i].id, i, "row %zu has id %d", i, (int)t[i].id);
        cr_expect_eq(fault_get((enum fault_id)i), &t[i]);
        cr_assert(t[i].name && *t[i].name, "row %zu has no name", i);
        const char *what[] = { t[i].value_text, t[i].effect, t[i].bench_text, t[i].help };
        const char *label[] = { "value_text", "effect", "bench_text", "help" };
        for (size_t k = 0; k < 4; k++)
            cr_expect(what[k] && strlen(what[k]) >= 5, "%s: %s missing", t[i].name, label[k]);
        /* a bench mapping names its description lines; none names none */
        if (t[i].bench == FAULT_BENCH_NONE)
            cr_expect_null(t[i].lines[0], "%s: bench NONE but lines given", t[i].name);
        else
            cr_expect_not_null(t[i].lines[0], "%s: a bench mapping without a line", t[i].name);
        /* the help line stays one short line; docs cells hold no table separator */
        cr_expect(strlen(t[i].help) <= 70, "%s: help longer than 70 characters", t[i].name);
        cr_expect(!strchr(t[i].help, '\n') && !strchr(t[i].effect, '|') &&
                      !strchr(t[i].bench_text, '|') && !strchr(t[i].value_text, '|'),
                  "%s: a line break or '|' in its text", t[i].name);
        if (t[i].arg != FAULT_ARG_SWITCH)
            cr_expect(t[i].max > t[i].min, "%s: empty range", t[i].name);
    }
    cr_expect_null(fault_get(FAULT_COUNT));
}

Test(fault, names_and_aliases_are_unique)
{
    const char *names[64];
    size_t n = all_names(names, 64);
    cr_assert_lt(n, 64);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            cr_expect_str_neq(names[i], names[j], "'%s' appears twice", names[i]);
}

Test(fault, lookup_by_name_and_alias)
{
    const char *names[64];
    size_t n = all_names(names, 64);
    for (size_t i = 0; i < n; i++)
        cr_expect_not_null(fault_find(names[i]), "'%s' not found", names[i]);
    cr_expect_eq(fault_find("bms_tx"), fault_get(FAULT_BMS_TX));
    cr_expect_eq(fault_find("bms_tx_open"), fault_get(FAULT_BMS_TX));
    cr_expect_eq(fault_find("series_r"), fault_get(FAULT_ESC_RESISTOR));
    cr_expect_eq(fault_find("config_invalid"), fault_get(FAULT_CONFIG_INVALID));
    cr_expect_null(fault_find("BMS_TX"));   /* case-sensitive, as scripts are */
    cr_expect_null(fault_find("warp_drive"));
    cr_expect_null(fault_find(""));
    cr_expect_null(fault_find(NULL));
}

Test(fault, unknown_names_suggest_the_nearest)
{
    cr_expect_str_eq(fault_nearest("bms_xt"), "bms_tx");
    cr_expect_str_eq(fault_nearest("config_invalud"), "config_invalid");
    cr_expect_str_eq(fault_nearest("esc_resistr"), "esc_resistor");
    cr_expect_str_eq(fault_nearest("seriald_efault"), "serial_default");
    cr_expect_null(fault_nearest("warp_drive"));
    char msg[512];
    fault_unknown_message("bms_xt", msg, sizeof msg);
    cr_expect(strstr(msg, "unknown fault 'bms_xt'; did you mean 'bms_tx'?"), "%s", msg);
    cr_expect(strstr(msg, "moisture)"), "the list ends with the last fault: %s", msg);
    fault_unknown_message("warp_drive", msg, sizeof msg);
    cr_expect(strstr(msg, "unknown fault 'warp_drive' (faults: bms_tx, esc_tx,"), "%s", msg);
    char small[16];
    fault_unknown_message("warp_drive", small, sizeof small);   /* truncated, terminated */
    cr_expect_eq(strlen(small), sizeof small - 1);
}

Test(fault, values_parse_by_type)
{
    const struct fault_def *tx = fault_find("bms_tx");
    double v;
    bool clear;
    char err[256];
    const char *on[] = { "on", "open", "1", "", NULL };
    for (size_t i = 0; i < sizeof on / sizeof on[0]; i++) {
        cr_expect_eq(fault_parse_value(tx, on[i], &v, &clear, err, sizeof err), 0);
        cr_expect(!clear && v == 1.0, "'%s' turns bms_tx on", on[i] ? on[i] : "(null)");
    }
    cr_expect_eq(fault_parse_value(tx, "off", &v, &clear, err, sizeof err), 0);
    cr_expect(clear);
    cr_expect_eq(fault_parse_value(tx, "0", &v, &clear, err, sizeof err), 0);
    cr_expect(clear);
    cr_expect_eq(fault_parse_value(tx, "maybe", &v, &clear, err, sizeof err), -1);
    cr_expect(strstr(err, "expected on or off, got 'maybe'"), "%s", err);

    const struct fault_def *d = fault_find("reply_delay");
    cr_expect_eq(fault_parse_value(d, "0.15", &v, &clear, err, sizeof err), 0);
    cr_expect(!clear && v == 0.15);
    cr_expect_eq(fault_parse_value(d, "off", &v, &clear, err, sizeof err), 0);
    cr_expect(clear);
    cr_expect_eq(fault_parse_value(d, "-1", &v, &clear, err, sizeof err), -1);
    cr_expect(strstr(err, "is not seconds 0..3600"), "%s", err);
    cr_expect_eq(fault_parse_value(d, "3601", &v, &clear, err, sizeof err), -1);
    cr_expect_eq(fault_parse_value(d, "1x", &v, &clear, err, sizeof err), -1);

    const struct fault_def *p = fault_find("corrupt_checksum");
    cr_expect_eq(fault_parse_value(p, "1.01", &v, &clear, err, sizeof err), -1);
    cr_expect_eq(fault_parse_value(p, "nan", &v, &clear, err, sizeof err), -1);

    const struct fault_def *r = fault_find("series_r");
    cr_expect_eq(fault_parse_value(r, "open", &v, &clear, err, sizeof err), 0);
    cr_expect(isinf(v));
    cr_expect_eq(fault_parse_value(r, "burnt", &v, &clear, err, sizeof err), 0);
    cr_expect_eq(v, 47e3);
    cr_expect_eq(fault_parse_value(r, "0", &v, &clear, err, sizeof err), -1, "ohms must be > 0");
    cr_expect(!fault_value_ok(r, 0) && fault_value_ok(r, 1e-3) && fault_value_ok(r, INFINITY));
    cr_expect(fault_value_ok(tx, -5) && !fault_value_ok(tx, NAN), "a switch ignores numbers");
}

Test(fault, virtual_effects_as_link_faults)
{
    struct fault_link_effect fx[2];
    enum fault_id own[2];
    const struct fault_def *r = fault_get(FAULT_ESC_RESISTOR);
    cr_expect_eq(fault_link_effects(r, 120, fx, 2), 0, "nominal resistor: no effect");
    cr_assert_eq(fault_link_effects(r, INFINITY, fx, 2), 1);
    cr_expect(fx[0].link == FAULT_BMS_TX && fx[0].value == 1.0);
    cr_assert_eq(fault_link_effects(r, 47e3, fx, 2), 1);
    cr_expect_eq(fx[0].link, FAULT_BIT_ERRORS);
    cr_expect(fabs(fx[0].value - 2e-3) < 1e-6, "47 kohm -> BER %g", fx[0].value);
    cr_expect_eq(fault_link_owned(r, own, 2), 2);
    const struct fault_def *m = fault_get(FAULT_MOISTURE);
    cr_assert_eq(fault_link_effects(m, 0.5, fx, 2), 2);
    cr_expect(fx[0].link == FAULT_GARBAGE && fabs(fx[0].value - 0.15) < 1e-12);
    cr_expect(fx[1].link == FAULT_BIT_ERRORS && fabs(fx[1].value - 5e-4) < 1e-12);
    for (size_t i = 0; i < FAULT_LINK_COUNT; i++) {
        const struct fault_def *d = fault_get((enum fault_id)i);
        cr_assert_eq(fault_link_effects(d, 0.25, fx, 2), 1);
        cr_expect(fx[0].link == d->id && fx[0].value == 0.25);
        cr_expect(fault_link_owned(d, own, 2) == 1 && own[0] == d->id);
    }
}

static bool has_series_r(void *user, const char *name)
{
    (void)user;
    return strcmp(name, "series_r") == 0 || strcmp(name, "bms_tx") == 0;
}

Test(fault, bench_line_first_found)
{
    cr_expect_str_eq(fault_bench_line(fault_get(FAULT_ESC_RESISTOR), has_series_r, NULL),
                     "series_r");
    cr_expect_str_eq(fault_bench_line(fault_get(FAULT_BMS_TX), has_series_r, NULL), "bms_tx");
    cr_expect_null(fault_bench_line(fault_get(FAULT_ESC_TX), has_series_r, NULL));
    cr_expect_null(fault_bench_line(fault_get(FAULT_STALE), has_series_r, NULL));
}

Test(fault, the_link_reads_the_table)
{
    for (unsigned i = 0; i < LINK_FAULT_COUNT; i++) {
        enum link_fault f;
        cr_expect_str_eq(link_fault_name((enum link_fault)i), fault_get((enum fault_id)i)->name);
        cr_expect_eq(link_fault_parse(fault_get((enum fault_id)i)->name, &f), 0);
        cr_expect_eq((unsigned)f, i);
    }
    enum link_fault f;
    cr_expect_eq(link_fault_parse("bms_tx_open", &f), 0, "aliases work for the link too");
    cr_expect_eq(f, LINK_FAULT_BMS_TX);
    cr_expect_neq(link_fault_parse("esc_resistor", &f), 0, "not a protocol fault of the link");
}

Test(fault, text_forms_list_every_fault)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    cr_assert_not_null(m);
    fault_print_markdown(m);
    fault_print_list(m);
    fault_print_help(m, 4, FAULT_HELP_ALL);
    fclose(m);
    for (size_t i = 0; i < fault_count(); i++) {
        char needle[64];
        snprintf(needle, sizeof needle, "| `%s`", fault_get((enum fault_id)i)->name);
        cr_expect(strstr(buf, needle), "markdown lacks %s", needle);
        snprintf(needle, sizeof needle, "\n    %s=", fault_get((enum fault_id)i)->name);
        cr_expect(strstr(buf, needle), "help lacks %s", needle);
    }
    cr_expect(strstr(buf, "(also `series_r`)"), "aliases shown in the markdown");
    cr_expect(strstr(buf, "esc_resistor=OHMS|open|burnt"), "value words shown in the help");
    free(buf);
    /* the bench / no-bench halves of the help partition the table */
    m = open_memstream(&buf, &len);
    cr_assert_not_null(m);
    fault_print_help(m, 0, FAULT_HELP_BENCH);
    fclose(m);
    cr_expect(strstr(buf, "bms_tx=") && strstr(buf, "esc_resistor=") && !strstr(buf, "stale="),
              "bench half: %s", buf);
    free(buf);
    m = open_memstream(&buf, &len);
    cr_assert_not_null(m);
    fault_print_help(m, 0, FAULT_HELP_NO_BENCH);
    fclose(m);
    cr_expect(strstr(buf, "stale=") && strstr(buf, "config_invalid=") && !strstr(buf, "bms_tx="),
              "no-bench half: %s", buf);
    free(buf);
}

Test(fault, description_line_names)
{
    const char *ok[] = { "bms_tx", "esc_tx", "esc_resistor", "series_r", "moisture", "power" };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        cr_expect(fault_line_known(ok[i]), "'%s' is a bench line", ok[i]);
    cr_expect(!fault_line_known("stale"), "no bench line: the fake BMS does it");
    cr_expect(!fault_line_known("bms_tx_open"), "an alias of a fault is not a line name");
    cr_expect(!fault_line_known("bms-tx"));
    cr_expect(!fault_line_known(NULL));
    char msg[512];
    fault_line_unknown_message("bms-tx", msg, sizeof msg);
    cr_expect(strstr(msg, "fault line 'bms-tx' is not a bench line of any fault; did you mean "
                          "'bms_tx'? (lines: bms_tx, esc_tx, esc_resistor, series_r, moisture, "
                          "power)"), "%s", msg);
    fault_line_unknown_message("aux_relay", msg, sizeof msg);
    cr_expect(strstr(msg, "any fault (lines: bms_tx,"), "no suggestion when far: %s", msg);
}
