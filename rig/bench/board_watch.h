/* board_watch.h: board_load under a wall-clock watchdog and the run's stop flag. A rig
 * description is Lua: its top-level code can be stuck inside one C call (a string pattern that
 * backtracks without end) that the instruction budget cannot interrupt, and then no signal
 * stops it either. Here the description loads in a thread of its own; the caller gives up on it
 * after the limit or as soon as its stop flag is set, and the thread is left to itself (it frees what
 * it loaded if it ever comes back). Issue 16, red team 1. */
#ifndef BMSRIG_RIG_BENCH_BOARD_WATCH_H
#define BMSRIG_RIG_BENCH_BOARD_WATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "rig/bench/board.h"

/* Loads `path` as board_load does, watched. limit_s > 0: written off after that many seconds
 * (BMSRIG_ERR_TIMEOUT, the reason in err); limit_s 0: no limit. stop (may be NULL): once it
 * returns true (the caller's SIGINT/SIGTERM flag) the load is given up (BMSRIG_ERR_STATE, "interrupted ..." in err). Otherwise
 * board_load's result; *out owned (board_free). */
int board_load_watched(struct board **out, const char *path, double limit_s,
                       bool (*stop)(void), char *err, size_t errlen);

/* `--rig FILE|NAME` (board_locate) loaded watched and freed again: a check before the bench is
 * opened. BMSRIG_OK when it loads; a name that locates nowhere is left to the real open (its
 * error names the places searched): BMSRIG_OK too. Otherwise as board_load_watched. */
int board_check_watched(const char *rig, double limit_s, bool (*stop)(void), char *err,
                        size_t errlen);

#endif
