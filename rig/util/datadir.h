/* datadir.h: where bmsrig finds the data it ships (cell sets, rig descriptions, the scenario
 * library), so that an installed, moved or packaged binary finds its own copy and never the
 * source tree it was built from.
 *
 * The data root is, first found wins:
 *   1. $BMSRIG_DATA_DIR (a whole share/bmsrig tree);
 *   2. DIR/../share/bmsrig, DIR being the folder of the running executable (/proc/self/exe):
 *      PREFIX/bin/bmsrig -> PREFIX/share/bmsrig wherever PREFIX has been moved; in the build
 *      tree build/rig/bmsrig -> build/share/bmsrig, which the build links to the source tree;
 *   3. the install prefix compiled in (BMSRIG_INSTALL_DATADIR, e.g. /usr/share/bmsrig).
 * A kind's folder is looked up in, first found wins: its own variable ($BMSRIG_CELLS_DIR,
 * $BMSRIG_BOARDS_DIR, $BMSRIG_SCRIPTS_DIR), its folder under the current directory (a source
 * checkout: fixtures/cells, hw/boards, scripts), then its folder under the data root. */
#ifndef BMSRIG_RIG_UTIL_DATADIR_H
#define BMSRIG_RIG_UTIL_DATADIR_H

#include <stdbool.h>
#include <stddef.h>

/* What is looked up. */
enum datadir_kind {
    DATADIR_CELLS,    /* cell parameter sets, NAME.cell */
    DATADIR_BOARDS,   /* rig descriptions, NAME.lua */
    DATADIR_SCRIPTS,  /* the scenario library (the default of `bmsrig run`) */
    DATADIR_FIXTURES, /* the shipped data: rides, drive cycles, recordings (fixtures/) */
};

/* Writes the data root into out (no trailing '/'). Returns true if one of the three places
 * exists as a folder; false (out = "") if none does. */
bool datadir_root(char *out, size_t outlen);

/* Looks `file` ("lg_m26.cell", "emulated.lua", "" for the folder itself) up in the kind's
 * folders in order. On success writes the path found into out and returns true; false if no
 * folder has it (out then holds the last candidate tried, or ""). */
bool datadir_find(enum datadir_kind kind, const char *file, char *out, size_t outlen);

/* The folders searched, in order, for error messages:
 * "$BMSRIG_CELLS_DIR, fixtures/cells, /usr/share/bmsrig/fixtures/cells". Always
 * NUL-terminated when outlen > 0. */
void datadir_describe(enum datadir_kind kind, char *out, size_t outlen);

#endif
