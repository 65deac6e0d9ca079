/* board_locate.h: turns what a user gives for a bench (`--rig FILE` or `--rig NAME`) into the
 * rig description's path: a path is taken as it is, a board name is NAME.lua looked up in
 * $BMSRIG_BOARDS_DIR, ./hw/boards, then the data root's boards/ (rig/util/datadir.h), so an
 * installed or moved bmsrig finds its own boards. */
#ifndef BMSRIG_RIG_BENCH_BOARD_LOCATE_H
#define BMSRIG_RIG_BENCH_BOARD_LOCATE_H

#include <stdbool.h>
#include <stddef.h>

/* True if `arg` names a board rather than a file: no '/' and no ".lua" ending. */
bool board_locate_is_name(const char *arg);

/* Writes the description's path into out. A path is copied as given (whether it exists is
 * board_load's to say). A name that no folder has: returns BMSRIG_ERR_PARSE with "no rig
 * description 'NAME' (looked for NAME.lua in ...)" in err. BMSRIG_ERR_ARG for an empty or
 * over-long argument. */
int board_locate(const char *arg, char *out, size_t outlen, char *err, size_t errlen);

#endif
