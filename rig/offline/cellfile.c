/* cellfile.c: cell parameter files: name lookup, reading, parsing through sim/cellparams. */
#include "rig/offline/cellfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/status.h"

#ifndef BMSRIG_FIXTURES_DIR
#define BMSRIG_FIXTURES_DIR "fixtures"
#endif

char *cellfile_slurp(const char *path, size_t *len_out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0)
            break;
        if (cap - len - 1 == 0) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    int rerr = ferror(f);
    fclose(f);
    if (!buf)
        return NULL;
    if (rerr) {
        free(buf);
        errno = EIO;
        return NULL;
    }
    buf[len] = '\0';
    if (len_out)
        *len_out = len;
    return buf;
}

static int load_path(const char *path, struct cell_params *out, char *err, size_t errlen)
{
    size_t len = 0;
    char *text = cellfile_slurp(path, &len);
    if (!text) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return BMSRIG_ERR_IO;
    }
    int rc = cell_params_parse(text, len, path, out, err, errlen);
    free(text);
    return rc;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

int cellfile_load(const char *name_or_path, struct cell_params *out, char *err, size_t errlen)
{
    if (!name_or_path || !out || !err || !errlen)
        return BMSRIG_ERR_ARG;
    if (strchr(name_or_path, '/') || ends_with(name_or_path, ".cell"))
        return load_path(name_or_path, out, err, errlen);
    const char *env = getenv("BMSRIG_CELLS_DIR");
    const char *dirs[3] = { env, "fixtures/cells", BMSRIG_FIXTURES_DIR "/cells" };
    char path[4096];
    for (size_t i = 0; i < 3; i++) {
        if (!dirs[i] || !*dirs[i])
            continue;
        snprintf(path, sizeof(path), "%s/%s.cell", dirs[i], name_or_path);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        fclose(f);
        return load_path(path, out, err, errlen);
    }
    snprintf(err, errlen, "no cell set '%s' (looked for %s.cell in $BMSRIG_CELLS_DIR, "
             "fixtures/cells and %s/cells)", name_or_path, name_or_path, BMSRIG_FIXTURES_DIR);
    return BMSRIG_ERR_IO;
}
