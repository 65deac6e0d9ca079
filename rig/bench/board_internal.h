/* board_internal.h: PRIVATE to rig/bench/'s description loader (board.c, board_fields.c,
 * board_sections.c): the loader's state and the helpers that cross those files. Everything
 * else uses rig/bench/board.h. */
#ifndef BMSRIG_RIG_BOARD_INTERNAL_H
#define BMSRIG_RIG_BOARD_INTERNAL_H

#include <lua.h>
#include <stdbool.h>
#include <stddef.h>

#include "rig/bench/board.h"

#define BOARD_EXTENDS_MAX 8           /* levels of extends below the loaded description */

struct loader {
    lua_State *L;
    const char *path;
    char *err;
    size_t errlen;
    struct board *b;
    char cur_file[512];                     /* file errors name ("" = path) */
    char *chain[BOARD_EXTENDS_MAX + 1];     /* realpath()s of the extends chain, owned */
    int nchain;
};

/* board.c: a validation error at `line` of the current file into ld->err; returns
 * BMSRIG_ERR_PARSE. */
int board_fail(struct loader *ld, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* board_fields.c: typed field reads of the table at idx, each failing with file:line. */
int board_line_of(lua_State *L, int idx, int fallback);
void board_file_from(struct loader *ld, int idx, const char *fallback);
int board_field_origin(struct loader *ld, int bidx, const char *key, const char *bfile,
                       int bline);
bool board_kind_is(lua_State *L, int idx, const char *kind);
int board_check_keys(struct loader *ld, int idx, int line, const char *what,
                     const char *const *allowed);
int board_get_str(struct loader *ld, int idx, const char *key, bool required, char *out,
                  size_t outlen, int line, const char *what);
int board_get_num(struct loader *ld, int idx, const char *key, bool required, double def,
                  double *out, int line, const char *what);
int board_get_int(struct loader *ld, int idx, const char *key, bool required, long def,
                  long lo, long hi, long *out, int line, const char *what);
int board_get_pin(struct loader *ld, int idx, const char *key, bool required, board_pin *out,
                  int line, const char *what);
int board_push_table(struct loader *ld, int idx, const char *key, bool required, int line,
                     const char *what, bool *present);

/* board_sections.c: validates the board{} table at the stack top into ld->b. */
int load_board(struct loader *ld);

#endif
