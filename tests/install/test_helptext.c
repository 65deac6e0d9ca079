/* test_helptext.c: the --help parser, the troff writer and the completion word lists of
 * rig/manual, on small texts shaped like bmsrig's usage strings. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rig/manual/completion.h"
#include "rig/manual/helptext.h"
#include "rig/manual/manpage.h"

static const char *const sample =
    "usage: bmsrig demo [--json] [--csv | --hex]\n"
    "                   [FILE]\n"
    "       bmsrig demo --list\n"
    "\n"
    "Does a demo. Current sign: + = discharge.\n"
    "Second line of the paragraph.\n"
    "\n"
    "options:\n"
    "  -j N, --jobs N   run N at once\n"
    "                   (default 1)\n"
    "  --tap-version 13|14\n"
    "                   the version line\n"
    "                     LD_LIBRARY_PATH=x bmsrig demo\n"
    "\n"
    "exit codes: 0 fine, 2 bad input\n";

static struct helptext parsed(void)
{
    struct helptext h;
    cr_assert_eq(helptext_parse(sample, &h), 0);
    return h;
}

Test(helptext, splits_synopses_and_joins_their_continuations)
{
    struct helptext h = parsed();
    cr_assert_eq(h.ev[0].kind, HELP_SYNOPSIS);
    cr_assert_str_eq(h.ev[0].a, "bmsrig demo [--json] [--csv | --hex] [FILE]");
    cr_assert_eq(h.ev[1].kind, HELP_SYNOPSIS);
    cr_assert_str_eq(h.ev[1].a, "bmsrig demo --list");
    cr_assert_eq(h.ev[2].kind, HELP_BREAK);
    helptext_free(&h);
}

Test(helptext, a_colon_inside_a_paragraph_is_not_a_heading)
{
    struct helptext h = parsed();
    cr_assert_eq(h.ev[3].kind, HELP_TEXT);
    cr_assert_str_eq(h.ev[3].a, "Does a demo. Current sign: + = discharge.");
    cr_assert_eq(h.ev[4].kind, HELP_TEXT);
    helptext_free(&h);
}

Test(helptext, headings_items_continuations_and_verbatim_lines)
{
    struct helptext h = parsed();
    const struct { enum help_kind kind; const char *a; const char *b; } want[] = {
        { HELP_SECTION, "options", NULL },
        { HELP_ITEM, "-j N, --jobs N", "run N at once" },
        { HELP_TEXT, "(default 1)", NULL },
        { HELP_ITEM, "--tap-version 13|14", NULL },
        { HELP_TEXT, "the version line", NULL },
        { HELP_VERBATIM, "  LD_LIBRARY_PATH=x bmsrig demo", NULL },
        { HELP_BREAK, "", NULL },
        { HELP_SECTION, "exit codes", "0 fine, 2 bad input" },
    };
    size_t at = 6;   /* after the synopses, the paragraph and its break */
    cr_assert_eq(h.n, at + sizeof want / sizeof want[0]);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        cr_assert_eq(h.ev[at + i].kind, want[i].kind, "event %zu", at + i);
        cr_assert_str_eq(h.ev[at + i].a, want[i].a, "event %zu", at + i);
        if (want[i].b)
            cr_assert_str_eq(h.ev[at + i].b, want[i].b, "event %zu", at + i);
        else
            cr_assert_null(h.ev[at + i].b, "event %zu", at + i);
    }
    helptext_free(&h);
}

static char *escaped(const char *text)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    manpage_escape(m, text);
    fclose(m);
    return buf;
}

Test(manpage, escapes_option_dashes_backslashes_and_leading_dots)
{
    const struct { const char *in, *out; } rows[] = {
        { "--tap-version 13|14", "\\-\\-tap\\-version 13|14" },
        { "real-time ticks", "real-time ticks" },          /* a hyphen in a word stays */
        { "[--csv | --hex]", "[\\-\\-csv | \\-\\-hex]" },
        { ".hidden", "\\&.hidden" },
        { "'quoted", "\\&'quoted" },
        { "a\\b", "a\\eb" },
        { "cell-steps (-j N)", "cell-steps (\\-j N)" },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char *got = escaped(rows[i].in);
        cr_assert_str_eq(got, rows[i].out, "row %zu: %s", i, rows[i].in);
        free(got);
    }
}

Test(manpage, a_page_has_name_synopsis_sections_and_see_also)
{
    struct helptext h = parsed();
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    const char *see[] = { "bmsrig" };
    struct manpage_info info = { .name = "bmsrig-demo", .summary = "a demo", .version = "bmsrig 1",
                                 .date = "2026-01-01", .see_also = see, .nsee_also = 1 };
    cr_assert_eq(manpage_write(m, &info, &h), 0);
    fclose(m);
    const char *in_order[] = { ".TH BMSRIG-DEMO 1 \"2026-01-01\" \"bmsrig 1\"",
                               ".SH NAME\nbmsrig-demo \\- a demo\n", ".SH SYNOPSIS\n",
                               ".br\nbmsrig demo \\-\\-list\n", ".SH DESCRIPTION\nDoes a demo.",
                               ".SH OPTIONS\n.TP\n.B \\-j N, \\-\\-jobs N\nrun N at once\n",
                               ".RS\n.nf\n  LD_LIBRARY_PATH=x bmsrig demo\n.fi\n.RE\n",
                               ".SH EXIT CODES\n0 fine, 2 bad input\n", ".SH SEE ALSO\n.BR bmsrig (1)\n" };
    const char *p = buf;
    for (size_t i = 0; i < sizeof in_order / sizeof in_order[0]; i++) {
        const char *hit = strstr(p, in_order[i]);
        cr_assert_not_null(hit, "missing (or out of order): %s\n---\n%s", in_order[i], buf);
        p = hit + strlen(in_order[i]);
    }
    free(buf);
    helptext_free(&h);
}

static void collect(const char *w, void *user)
{
    char *out = user;
    strcat(out, w);
    strcat(out, " ");
}

Test(completion, options_come_from_synopses_and_item_terms_only)
{
    struct helptext h;
    cr_assert_eq(helptext_parse("usage: bmsrig x [--json] [--csv | --hex] [-q]\n\n"
                                "Mentions --not-an-option in prose and -1 and a--b.\n\n"
                                "options:\n  -j N, --jobs N   n (see --also-prose)\n"
                                "  --tap-version 13|14\n                   v\n", &h), 0);
    char got[256] = "";
    completion_options(&h, collect, got);
    cr_assert_str_eq(got, "--json --csv --hex -q -j --jobs --tap-version ");
    helptext_free(&h);
}

Test(completion, subwords_are_the_items_under_targets_or_subcommands)
{
    struct helptext h;
    cr_assert_eq(helptext_parse("usage: bmsrig b TARGET\n\ntargets:\n  sim [--cell N]\n      s\n"
                                "  bms [--polls N]\n      b\n\noptions:\n  --rig FILE  r\n", &h), 0);
    char got[128] = "";
    completion_subwords(&h, collect, got);
    cr_assert_str_eq(got, "sim bms ");
    helptext_free(&h);
}
