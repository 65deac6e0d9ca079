/* sandbox.h: a Lua 5.4 state for one scenario, with only the safe parts of the standard
 * library, a memory cap, an instruction budget and text-only loading.
 *
 * What a script gets: base functions (without dofile/loadfile; `load` accepts text only),
 * string (without string.dump), table, math, utf8, and a `require` that loads Lua text from the
 * scenario's lib folders. What it does not get: io, os, debug, package, coroutine, C modules.
 * Files are written only through the engine (`t:output(name)`), inside the run's output folder. */
#ifndef BMSRIG_RIG_SANDBOX_H
#define BMSRIG_RIG_SANDBOX_H

#include <lua.h>
#include <stddef.h>
#include <stdint.h>

#define SANDBOX_MEM_DEFAULT (256u << 20)          /* bytes per state */
#define SANDBOX_BUDGET_DEFAULT 200000000ull       /* Lua VM instructions per scenario: ~30x what
                                                   * the longest library scenario uses */

struct sandbox_limits {
    size_t mem_max;          /* bytes; 0 = SANDBOX_MEM_DEFAULT */
    uint64_t instr_budget;   /* VM instructions; 0 = SANDBOX_BUDGET_DEFAULT */
    const char *lib_dir;     /* folder `require` searches (NULL: require always fails) */
};

/* A new sandboxed state. Returns NULL on allocation failure. Owned: close with sandbox_close.
 * The standard libraries are opened and pruned; the caller then runs its prelude with full
 * access through sandbox_private (which holds debug.getinfo and coroutine for the prelude) and
 * calls sandbox_seal before loading any user script. */
lua_State *sandbox_new(const struct sandbox_limits *lim);

/* NULL-safe. */
void sandbox_close(lua_State *L);

/* Pushes a table the prelude may use: { getinfo = debug.getinfo, traceback = debug.traceback,
 * coroutine = coroutine, io_open = io.open }. Only for our own prelude code. */
void sandbox_push_private(lua_State *L);

/* Removes what scripts must not reach from the globals (io, os, debug, package, coroutine,
 * dofile, loadfile, string.dump) and installs the text-only `load` and the lib-folder `require`.
 * Call once, after the prelude ran. */
void sandbox_seal(lua_State *L);

/* Loads a file as a text chunk (never precompiled bytecode). Same results as luaL_loadfilex:
 * LUA_OK with the function pushed, or an error code with the message pushed. */
int sandbox_load_file(lua_State *L, const char *path);

/* Calls the function below `nargs` arguments with a message handler that adds a traceback.
 * Returns LUA_OK with `nres` results pushed, or an error status with the message (string,
 * traceback appended; or the error object itself if it is a table) pushed. */
int sandbox_pcall(lua_State *L, int nargs, int nres);

/* Pushes onto L `msg` followed by the stack traceback of `co` from `level` (as
 * luaL_traceback), leaving out the frames of the compiled-in prelude ("=prelude") and the C
 * functions they call, so a scenario writer sees only the lines of their own files. */
void sandbox_traceback(lua_State *L, lua_State *co, const char *msg, int level);

/* Instructions executed so far (rounded to the hook granularity) and whether the budget ran out. */
uint64_t sandbox_instructions(lua_State *L);
int sandbox_budget_exhausted(lua_State *L);

/* Memory use in bytes. */
size_t sandbox_mem_used(lua_State *L);

#endif
