/* run_select.c: `bmsrig run`'s selection: the scenario files found under the given paths, and
 * the --filter / --tags match that picks among them. */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rig/cli/run_internal.h"

/* ---- file discovery ----------------------------------------------------------------------- */


int path_list_add(struct path_list *l, const char *p)
{
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 32;
        char **nv = realloc(l->v, nc * sizeof(*nv));
        if (!nv)
            return BMSRIG_ERR_NOMEM;
        l->v = nv;
        l->cap = nc;
    }
    l->v[l->n] = strdup(p);
    if (!l->v[l->n])
        return BMSRIG_ERR_NOMEM;
    l->n++;
    return BMSRIG_OK;
}

void path_list_free(struct path_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Every *.lua under dir, recursively, skipping lib/ folders (helpers, not scenarios). */
int run_walk(const char *dir, struct path_list *out)
{
    DIR *d = opendir(dir);
    if (!d)
        return BMSRIG_ERR_IO;
    struct path_list local = { 0 };
    struct dirent *de;
    int rc = BMSRIG_OK;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char p[4096];
        snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(p, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            if (strcmp(de->d_name, "lib") != 0)
                rc = path_list_add(&local, p);
        } else if (ends_with(de->d_name, ".lua")) {
            rc = path_list_add(&local, p);
        }
        if (rc != BMSRIG_OK)
            break;
    }
    closedir(d);
    qsort(local.v, local.n, sizeof(char *), cmp_str);
    for (size_t i = 0; rc == BMSRIG_OK && i < local.n; i++) {
        struct stat st;
        if (stat(local.v[i], &st) == 0 && S_ISDIR(st.st_mode))
            rc = run_walk(local.v[i], out);
        else
            rc = path_list_add(out, local.v[i]);
    }
    path_list_free(&local);
    return rc;
}

bool tags_match(const struct scenario *s, const char *tags)
{
    if (!tags)
        return true;
    char buf[1024];
    snprintf(buf, sizeof(buf), "%s", tags);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
        if (scenario_has_tag(s, t))
            return true;
    return false;
}

const char *base_name(const char *path)
{
    const char *base = strrchr(path, '/');
    return base ? base + 1 : path;
}

/* name may be NULL (a file whose loading was written off: only its path is known). A GLOB
 * matches a whole name, path or file name; one with no glob character (* ? [) is a plain
 * substring of any of them. */
bool filter_match_names(const char *name, const char *path, const char *glob)
{
    if (!glob)
        return true;
    if (!strpbrk(glob, "*?["))
        return (name && strstr(name, glob)) || strstr(path, glob) != NULL;
    return (name && fnmatch(glob, name, 0) == 0) || fnmatch(glob, path, 0) == 0 ||
           fnmatch(glob, base_name(path), 0) == 0;
}

bool filter_match(const struct scenario *s, const char *glob)
{
    return filter_match_names(scenario_name(s), scenario_path(s), glob);
}

/* ---- the selection ------------------------------------------------------------------------ */

/* Path of selected file i: sc[i]'s, or for a file written off while loading, stuck[i]. */
const char *sel_path(struct scenario *const *sc, char *const *stuck, size_t i)
{
    return sc[i] ? scenario_path(sc[i]) : stuck[i];
}

void selection_free(struct scenario **sc, char **stuck, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        scenario_free(sc[i]);
        free(stuck[i]);
    }
    free(sc);
    free(stuck);
}

bool shard_parse(const char *s, unsigned *k, unsigned *n)
{
    unsigned long v[2];
    const char *p = s;
    for (int part = 0; part < 2; part++) {
        if (*p < '0' || *p > '9')
            return false;
        v[part] = 0;
        while (*p >= '0' && *p <= '9') {
            v[part] = v[part] * 10 + (unsigned long)(*p++ - '0');
            if (v[part] > SHARD_MAX)
                return false;
        }
        if (part == 0 && *p++ != '/')
            return false;
    }
    if (*p || v[0] < 1 || v[1] < 1 || v[0] > v[1])
        return false;
    *k = (unsigned)v[0];
    *n = (unsigned)v[1];
    return true;
}

/* The selection's order for sharding: by name, then path (qsort over indices). */
struct shard_key {
    const char *name;
    const char *path;
    size_t idx;
};

static int shard_key_cmp(const void *a, const void *b)
{
    const struct shard_key *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c == 0)
        c = strcmp(x->path, y->path);
    return c != 0 ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

size_t shard_select(struct scenario **sc, char **stuck, size_t n, unsigned k, unsigned nshards)
{
    struct shard_key *keys = calloc(n ? n : 1, sizeof(*keys));
    bool *keep = calloc(n ? n : 1, sizeof(*keep));
    if (!keys || !keep) {
        free(keys);
        free(keep);
        selection_free(sc, stuck, n);   /* nothing runs: the caller reports an empty shard */
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        const char *path = sel_path(sc, stuck, i);
        keys[i] = (struct shard_key){
            .name = sc[i] ? scenario_name(sc[i]) : base_name(path), .path = path, .idx = i,
        };
    }
    qsort(keys, n, sizeof(*keys), shard_key_cmp);
    for (size_t r = 0; r < n; r++)
        keep[keys[r].idx] = r % nshards == k - 1;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (keep[i]) {
            sc[m] = sc[i];
            stuck[m] = stuck[i];
            m++;
        } else {
            scenario_free(sc[i]);
            free(stuck[i]);
        }
    }
    free(keys);
    free(keep);
    return m;
}
