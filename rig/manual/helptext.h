/* helptext.h: a pure parser of bmsrig's --help texts into the pieces a manual page and a
 * shell completion are made of (synopses, section headings, running text, option items,
 * verbatim examples), so that both are generated from the text users already see and cannot
 * drift from it.
 *
 * The shape it reads (every command's `usage` string in rig/cli/cmd_*.c follows it; '..' stands
 * for an indent):
 *   usage: bmsrig CMD ...            synopsis; deeper-indented lines continue it, a line
 *          bmsrig CMD ...            starting with "bmsrig" is another synopsis
 *   <blank>
 *   Running text at column 0.        paragraph; a blank line ends it
 *   heading:  or  heading: text      a column-0 label opening a paragraph (at most 60
 *                                    characters, no ',' ';' quotes or '. ')
 *   ..TERM   description             an item: TERM ends at the first run of two spaces
 *   ..       more description        continuation (indented at least as deep as the item's
 *   ..          verbatim line        description); deeper still is kept verbatim */
#ifndef BMSRIG_RIG_MANUAL_HELPTEXT_H
#define BMSRIG_RIG_MANUAL_HELPTEXT_H

#include <stddef.h>

enum help_kind {
    HELP_SYNOPSIS,   /* a: one synopsis without "usage: ", continuation lines joined */
    HELP_SECTION,    /* a: the heading's label; b: text after "label: " on its line, or NULL */
    HELP_TEXT,       /* a: one line of running text (leading spaces removed) */
    HELP_BREAK,      /* a blank line: the paragraph or item list ends */
    HELP_ITEM,       /* a: the term; b: the description on the term's line, or NULL */
    HELP_VERBATIM,   /* a: a line to keep as it is (indent relative to the description) */
};

struct help_event {
    enum help_kind kind;
    char *a;   /* owned by the struct helptext */
    char *b;   /* owned by the struct helptext; may be NULL */
};

struct helptext {
    struct help_event *ev;   /* owned: helptext_free */
    size_t n;
};

/* Parses `text` (NUL-terminated). Returns 0, or -1 when out of memory (*out is then empty and
 * needs no free). A text that does not start with "usage: " simply has no synopsis. */
int helptext_parse(const char *text, struct helptext *out);

/* Frees what helptext_parse made; NULL-safe and idempotent. */
void helptext_free(struct helptext *h);

#endif
