/* manpage.h: writes a troff man(7) page from a parsed --help text (rig/manual/helptext.h). */
#ifndef BMSRIG_RIG_MANUAL_MANPAGE_H
#define BMSRIG_RIG_MANUAL_MANPAGE_H

#include <stddef.h>
#include <stdio.h>

#include "rig/manual/helptext.h"

/* What the page is about; every string borrowed for the call. */
struct manpage_info {
    const char *name;             /* "bmsrig-run" (the page name, section 1) */
    const char *summary;          /* one line for NAME */
    const char *version;          /* "bmsrig 0.1.0", the .TH footer */
    const char *date;             /* "2026-12-03", the .TH date */
    const char *const *see_also;  /* page names, section 1 ("bmsrig") */
    size_t nsee_also;
};

/* Writes the page for `help` to `out`: NAME, SYNOPSIS (the synopses), DESCRIPTION (the text
 * before the first heading), one SH per heading, items as tagged paragraphs, verbatim lines
 * in no-fill blocks, SEE ALSO. Text is escaped for troff (backslashes, leading dots and
 * quotes, the dashes of options). Returns 0, or -1 if writing failed (ferror). */
int manpage_write(FILE *out, const struct manpage_info *info, const struct helptext *help);

/* Writes `text` escaped for troff: '\' as \e, the '-' of option-like words as \-, and a
 * leading '.' or '\'' guarded with \&. */
void manpage_escape(FILE *out, const char *text);

#endif
