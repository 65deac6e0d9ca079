/* datadir.c: the data root (override, next to the executable, compiled-in prefix) and the
 * per-kind search folders under it. */
#include "rig/util/datadir.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef BMSRIG_INSTALL_DATADIR
#define BMSRIG_INSTALL_DATADIR "/usr/local/share/bmsrig"
#endif

/* One row per enum datadir_kind: its override variable, its folder in a source checkout (seen
 * from the current directory) and its folder under the data root (the installed layout). */
static const struct {
    const char *env;
    const char *checkout;
    const char *under_root;
} kinds[] = {
    [DATADIR_CELLS] = { "BMSRIG_CELLS_DIR", "fixtures/cells", "fixtures/cells" },
    [DATADIR_BOARDS] = { "BMSRIG_BOARDS_DIR", "hw/boards", "boards" },
    [DATADIR_SCRIPTS] = { "BMSRIG_SCRIPTS_DIR", "scripts", "scripts" },
    [DATADIR_FIXTURES] = { "BMSRIG_FIXTURES_DIR", "fixtures", "fixtures" },
};

#define NKINDS (sizeof kinds / sizeof kinds[0])

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool exists(const char *path) { return access(path, R_OK) == 0; }

static void copy(char *out, size_t outlen, const char *s)
{
    if (outlen)
        snprintf(out, outlen, "%s", s);
}

/* <folder of /proc/self/exe>/../share/bmsrig, normalised; false if it is not a folder. */
static bool root_beside_executable(char *out, size_t outlen)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return false;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return false;
    *slash = '\0';
    char candidate[PATH_MAX + 32];
    snprintf(candidate, sizeof candidate, "%s/../share/bmsrig", exe);
    char *real = realpath(candidate, NULL);
    if (!real)
        return false;
    bool ok = is_dir(real) && strlen(real) < outlen;
    if (ok)
        copy(out, outlen, real);
    free(real);
    return ok;
}

bool datadir_root(char *out, size_t outlen)
{
    copy(out, outlen, "");
    const char *env = getenv("BMSRIG_DATA_DIR");
    if (env && *env) {   /* an explicit override never falls back to another tree */
        copy(out, outlen, env);
        return is_dir(env);
    }
    if (root_beside_executable(out, outlen))
        return true;
    if (is_dir(BMSRIG_INSTALL_DATADIR)) {
        copy(out, outlen, BMSRIG_INSTALL_DATADIR);
        return true;
    }
    return false;
}

bool datadir_find(enum datadir_kind kind, const char *file, char *out, size_t outlen)
{
    copy(out, outlen, "");
    if ((size_t)kind >= NKINDS || !file)
        return false;
    char root[PATH_MAX];
    bool have_root = datadir_root(root, sizeof root);
    char under_root[PATH_MAX + 64];
    snprintf(under_root, sizeof under_root, "%s/%s", root, kinds[kind].under_root);
    const char *dirs[] = { getenv(kinds[kind].env), kinds[kind].checkout,
                           have_root ? under_root : NULL };
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        if (!dirs[i] || !*dirs[i])
            continue;
        char path[PATH_MAX * 2];
        if (*file)
            snprintf(path, sizeof path, "%s/%s", dirs[i], file);
        else
            snprintf(path, sizeof path, "%s", dirs[i]);
        copy(out, outlen, path);
        if (*file ? exists(path) : is_dir(path))
            return strlen(path) < outlen;
    }
    return false;
}

void datadir_describe(enum datadir_kind kind, char *out, size_t outlen)
{
    copy(out, outlen, "");
    if ((size_t)kind >= NKINDS)
        return;
    char root[PATH_MAX];
    const char *env = getenv("BMSRIG_DATA_DIR");
    if (datadir_root(root, sizeof root))
        snprintf(out, outlen, "$%s, %s, %s/%s", kinds[kind].env, kinds[kind].checkout, root,
                 kinds[kind].under_root);
    else if (env && *env)
        snprintf(out, outlen, "$%s, %s ($BMSRIG_DATA_DIR %s is not a folder)", kinds[kind].env,
                 kinds[kind].checkout, env);
    else
        snprintf(out, outlen, "$%s, %s (no data folder: neither ../share/bmsrig next to the "
                 "executable nor %s exists)", kinds[kind].env, kinds[kind].checkout,
                 BMSRIG_INSTALL_DATADIR);
}
