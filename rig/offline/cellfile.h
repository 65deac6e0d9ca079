/* cellfile.h: finds and loads cell parameter files (fixtures/cells/NAME.cell) into
 * struct cell_params through the pure parser in sim/cellparams.h. */
#ifndef BMSRIG_RIG_CELLFILE_H
#define BMSRIG_RIG_CELLFILE_H

#include <stddef.h>

#include "sim/cellparams.h"

/* Loads `name_or_path`: a path if it contains '/' or ends in ".cell", else a set name looked
 * up as NAME.cell in $BMSRIG_CELLS_DIR, then ./fixtures/cells, then the data root's
 * fixtures/cells (rig/util/datadir.h: installed, moved or build tree). On failure returns a BMSRIG_ERR_* code with "<file>:<line>: <reason>" (or
 * the name and the places searched) in err. */
int cellfile_load(const char *name_or_path, struct cell_params *out, char *err, size_t errlen);

/* Loads the cell set `name` only: a plain name (letters, digits, '_', '-', '.'; not starting
 * with '.'), looked up as cellfile_load does. A path, or anything else, is refused with
 * BMSRIG_ERR_ARG and no file is opened: what a scenario's pack.cell names (issue 16: a scenario
 * must not read files of the machine). */
int cellfile_load_set(const char *name, struct cell_params *out, char *err, size_t errlen);

/* Reads a whole file into a NUL-terminated buffer. Owned: free(). NULL with errno on failure. */
char *cellfile_slurp(const char *path, size_t *len_out);

#endif
