/* board_locate.c: `--rig NAME|FILE` -> the rig description's path. */
#include "rig/bench/board_locate.h"

#include <stdio.h>
#include <string.h>

#include "rig/util/datadir.h"
#include "sim/status.h"

#define BOARD_NAME_MAX 200

bool board_locate_is_name(const char *arg)
{
    size_t n = strlen(arg);
    return !strchr(arg, '/') && !(n >= 4 && strcmp(arg + n - 4, ".lua") == 0);
}

int board_locate(const char *arg, char *out, size_t outlen, char *err, size_t errlen)
{
    if (errlen)
        err[0] = '\0';
    if (!arg || !*arg) {
        snprintf(err, errlen, "empty rig description name");
        return BMSRIG_ERR_ARG;
    }
    if (!board_locate_is_name(arg)) {
        if (strlen(arg) >= outlen) {
            snprintf(err, errlen, "rig description path too long (%zu characters)", strlen(arg));
            return BMSRIG_ERR_ARG;
        }
        snprintf(out, outlen, "%s", arg);
        return BMSRIG_OK;
    }
    if (strlen(arg) > BOARD_NAME_MAX) {
        snprintf(err, errlen, "rig description name too long (%zu characters, at most %d)",
                 strlen(arg), BOARD_NAME_MAX);
        return BMSRIG_ERR_ARG;
    }
    char file[BOARD_NAME_MAX + 8];
    snprintf(file, sizeof file, "%s.lua", arg);
    if (datadir_find(DATADIR_BOARDS, file, out, outlen))
        return BMSRIG_OK;
    char where[2048];
    datadir_describe(DATADIR_BOARDS, where, sizeof where);
    snprintf(err, errlen, "no rig description '%s' (looked for %s in %s)", arg, file, where);
    return BMSRIG_ERR_PARSE;
}
