/* completion.h: writes the bash completion of bmsrig from the command table and each command's
 * parsed --help text (rig/manual/helptext.h): command names, each command's options (from its
 * synopses and option items) and sub-words (the items under a "targets:" or "subcommands:"
 * heading, e.g. `bench sim`, `report html`). */
#ifndef BMSRIG_RIG_MANUAL_COMPLETION_H
#define BMSRIG_RIG_MANUAL_COMPLETION_H

#include <stddef.h>
#include <stdio.h>

#include "rig/manual/helptext.h"

/* One command; both borrowed for the call. */
struct completion_command {
    const char *name;
    const struct helptext *help;
};

/* Writes a bash script defining _bmsrig and `complete -o default -F _bmsrig bmsrig`: the first
 * word completes to a command (or "help", or a global option of `main_help`), "help" to a
 * command, a word starting with '-' to the command's options, the word after a command with
 * sub-words to one of them; anything else falls back to file names. Returns 0, -1 if writing
 * failed (ferror). */
int completion_write_bash(FILE *out, const struct completion_command *cmds, size_t n,
                          const struct helptext *main_help);

/* Calls `fn` once per distinct option word ("-j", "--jobs", "--tap-version") of `help`, in
 * order of first appearance (synopses and item terms only, not running text). */
void completion_options(const struct helptext *help, void (*fn)(const char *opt, void *user),
                        void *user);

/* Calls `fn` once per sub-word of `help`: the first word of each item under a heading named
 * "targets" or "subcommands" (case-insensitive). */
void completion_subwords(const struct helptext *help, void (*fn)(const char *word, void *user),
                         void *user);

#endif
