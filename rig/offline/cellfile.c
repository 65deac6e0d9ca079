/* cellfile.c: cell parameter files: name lookup, reading, parsing through sim/cellparams. */
#include "rig/offline/cellfile.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rig/util/datadir.h"
#include "sim/status.h"

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
    if (strlen(name_or_path) > 255) {
        snprintf(err, errlen, "cell set name too long (%zu characters, at most 255)",
                 strlen(name_or_path));
        return BMSRIG_ERR_ARG;
    }
    char file[300];
    snprintf(file, sizeof file, "%s.cell", name_or_path);
    char path[4096];
    if (datadir_find(DATADIR_CELLS, file, path, sizeof path))
        return load_path(path, out, err, errlen);
    char where[2048];
    datadir_describe(DATADIR_CELLS, where, sizeof where);
    snprintf(err, errlen, "no cell set '%s' (looked for %s.cell in %s)", name_or_path,
             name_or_path, where);
    return BMSRIG_ERR_IO;
}

int cellfile_load_set(const char *name, struct cell_params *out, char *err, size_t errlen)
{
    if (!name || !out || !err || !errlen)
        return BMSRIG_ERR_ARG;
    bool plain = name[0] != '\0' && name[0] != '.' && !ends_with(name, ".cell");
    for (const char *c = name; plain && *c; c++)
        plain = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                *c == '_' || *c == '-' || *c == '.';
    if (!plain) {
        snprintf(err, errlen, "not a cell set name (letters, digits, _ - . only; a name from "
                 "fixtures/cells, not a path)");
        return BMSRIG_ERR_ARG;
    }
    return cellfile_load(name, out, err, errlen);
}
