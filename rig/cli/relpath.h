/* relpath.h: one path as seen from a folder ("../out/html"), for links between reports. */
#ifndef BMSRIG_RIG_CLI_RELPATH_H
#define BMSRIG_RIG_CLI_RELPATH_H

#include <stddef.h>

/* Writes into out[0..cap) the path of `to` relative to the folder `from_dir`, both taken
 * lexically against the current directory (no symlinks resolved; "." and ".." folded). Returns
 * 0, or -1 when it does not fit or the current directory cannot be read. */
int cli_relative_path(const char *from_dir, const char *to, char *out, size_t cap);

#endif
