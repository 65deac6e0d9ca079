/* cmd_version.c: `bmsrig version`: our version and those of the libraries we run with. */
#include <ftdi.h>
#include <lua.h>
#include <lualib.h>
#include <lauxlib.h>
#include <stdio.h>

#include "rig/cli/cli.h"
#include "rig/util/datadir.h"

#ifndef BMSRIG_VERSION
#define BMSRIG_VERSION "unknown"
#endif

static int run_version(int argc, char **argv)
{
    (void)argv;
    if (argc > 1)
        return cli_usage_error(&cmd_version, "takes no arguments");
    struct ftdi_version_info fv = ftdi_get_library_version();
    /* The Lua version the running library reports, not only the header we compiled with. */
    lua_State *L = luaL_newstate();
    lua_Number lua_num = L ? lua_version(L) : 0;
    if (L)
        lua_close(L);
    printf("bmsrig %s\n", BMSRIG_VERSION);
    printf("libftdi1 %s\n", fv.version_str);
    printf("lua %d.%d (%s)\n", (int)lua_num / 100, (int)lua_num % 100, LUA_RELEASE);
    char root[4096];
    bool found = datadir_root(root, sizeof root);
    printf("data %s%s\n", root[0] ? root : "(none)", found ? "" : " (missing)");
    return CLI_EXIT_PASS;
}

const struct cli_command cmd_version = {
    .name = "version",
    .summary = "print the versions of bmsrig, libftdi1 and Lua",
    .usage = "usage: bmsrig version\n"
             "\n"
             "Prints the bmsrig version (git describe, or the project version) and the versions\n"
             "of libftdi1 and Lua it runs with, and the data folder it reads cell sets, boards\n"
             "and the scenario library from (docs/install.md).\n",
    .run = run_version,
};
