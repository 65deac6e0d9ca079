/* relpath.c: a lexical relative path between two places (JUnit file -> HTML pages). */
#include "rig/cli/relpath.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define PATH_PARTS 256

/* Splits an absolute, folded version of p into parts[] (pointers into buf). */
static int fold(const char *p, char *buf, size_t cap, const char **parts, int *n)
{
    char cwd[4096];
    if (p[0] != '/' && !getcwd(cwd, sizeof cwd))
        return -1;
    int len = p[0] == '/' ? snprintf(buf, cap, "%s", p) : snprintf(buf, cap, "%s/%s", cwd, p);
    if (len < 0 || (size_t)len >= cap)
        return -1;
    *n = 0;
    for (char *save = NULL, *tok = strtok_r(buf, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
        if (strcmp(tok, ".") == 0)
            continue;
        if (strcmp(tok, "..") == 0) {
            if (*n > 0)
                (*n)--;
            continue;
        }
        if (*n == PATH_PARTS)
            return -1;
        parts[(*n)++] = tok;
    }
    return 0;
}

int cli_relative_path(const char *from_dir, const char *to, char *out, size_t cap)
{
    char fb[4096], tb[4096];
    const char *f[PATH_PARTS], *t[PATH_PARTS];
    int nf, nt;
    if (cap == 0 || fold(from_dir, fb, sizeof fb, f, &nf) != 0 || fold(to, tb, sizeof tb, t, &nt) != 0)
        return -1;
    int common = 0;
    while (common < nf && common < nt && strcmp(f[common], t[common]) == 0)
        common++;
    size_t used = 0;
    out[0] = '\0';
    for (int i = common; i < nf; i++) {
        int w = snprintf(out + used, cap - used, "%s..", used ? "/" : "");
        if (w < 0 || (size_t)w >= cap - used)
            return -1;
        used += (size_t)w;
    }
    for (int i = common; i < nt; i++) {
        int w = snprintf(out + used, cap - used, "%s%s", used ? "/" : "", t[i]);
        if (w < 0 || (size_t)w >= cap - used)
            return -1;
        used += (size_t)w;
    }
    if (used == 0)
        snprintf(out, cap, ".");
    return 0;
}
