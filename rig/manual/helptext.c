/* helptext.c: --help text -> synopses, headings, running text, items and verbatim lines. */
#include "rig/manual/helptext.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define HEADING_MAX 60   /* a longer column-0 "words: ..." line is running text */

static int push(struct helptext *h, size_t *cap, enum help_kind kind, const char *a, size_t alen,
                const char *b, size_t blen)
{
    if (h->n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 32;
        struct help_event *nev = realloc(h->ev, ncap * sizeof *nev);
        if (!nev)
            return -1;
        h->ev = nev;
        *cap = ncap;
    }
    struct help_event *e = &h->ev[h->n];
    e->kind = kind;
    e->a = strndup(a ? a : "", a ? alen : 0);
    e->b = b ? strndup(b, blen) : NULL;
    if (!e->a || (b && !e->b)) {
        free(e->a);
        free(e->b);
        return -1;
    }
    h->n++;
    return 0;
}

/* Appends " text" to the last event's a (a synopsis continued on the next line). */
static int append(struct helptext *h, const char *text, size_t len)
{
    struct help_event *e = &h->ev[h->n - 1];
    size_t old = strlen(e->a);
    char *na = realloc(e->a, old + 1 + len + 1);
    if (!na)
        return -1;
    na[old] = ' ';
    memcpy(na + old + 1, text, len);
    na[old + 1 + len] = '\0';
    e->a = na;
    return 0;
}

static size_t indent_of(const char *line, size_t len)
{
    size_t i = 0;
    while (i < len && line[i] == ' ')
        i++;
    return i;
}

/* Length of the heading label if the column-0 line is "label:" or "label: text". */
static size_t heading_len(const char *line, size_t len)
{
    const char *colon = memchr(line, ':', len);
    if (!colon)
        return 0;
    size_t lab = (size_t)(colon - line);
    if (lab == 0 || lab > HEADING_MAX || (lab + 1 < len && line[lab + 1] != ' '))
        return 0;
    for (size_t i = 0; i < lab; i++)
        if (line[i] == ',' || line[i] == ';' || line[i] == '`' || line[i] == '\'' ||
            (line[i] == '.' && i + 1 < lab && line[i + 1] == ' '))   /* a sentence, not a label */
            return 0;
    return lab;
}

/* Where an item's term ends: the first run of two spaces after the indent (or the line end). */
static size_t term_end(const char *line, size_t len, size_t from)
{
    for (size_t i = from; i + 1 < len; i++)
        if (line[i] == ' ' && line[i + 1] == ' ')
            return i;
    return len;
}

int helptext_parse(const char *text, struct helptext *out)
{
    struct helptext h = { 0 };
    size_t cap = 0;
    bool in_usage = strncmp(text, "usage: ", 7) == 0;
    bool in_item = false;
    size_t desc_col = 0;   /* where an item's description lines start; 0 = not known yet */
    size_t item_col = 0;
    bool after_blank = true;   /* a heading starts a paragraph: "Current sign: ..." mid-way does not */
    int rc = 0;
    for (const char *p = text; *p && rc == 0;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        const char *line = p;
        p = nl ? nl + 1 : p + len;
        while (len && (line[len - 1] == ' ' || line[len - 1] == '\r'))
            len--;
        size_t ind = indent_of(line, len);
        bool para_start = after_blank;
        after_blank = ind == len;
        if (ind == len) {   /* blank */
            in_usage = false;
            in_item = false;
            rc = push(&h, &cap, HELP_BREAK, NULL, 0, NULL, 0);
            continue;
        }
        if (in_usage) {
            const char *body = line + ind;
            size_t blen = len - ind;
            if (strncmp(body, "usage: ", 7) == 0)
                rc = push(&h, &cap, HELP_SYNOPSIS, body + 7, blen - 7, NULL, 0);
            else if (strncmp(body, "bmsrig", 6) == 0 || h.n == 0)
                rc = push(&h, &cap, HELP_SYNOPSIS, body, blen, NULL, 0);
            else
                rc = append(&h, body, blen);
            continue;
        }
        if (ind == 0) {
            in_item = false;
            size_t lab = para_start ? heading_len(line, len) : 0;
            if (lab) {
                const char *rest = lab + 2 <= len ? line + lab + 2 : NULL;
                rc = push(&h, &cap, HELP_SECTION, line, lab, rest,
                          rest ? len - lab - 2 : 0);
            } else {
                rc = push(&h, &cap, HELP_TEXT, line, len, NULL, 0);
            }
            continue;
        }
        if (in_item && ind > item_col && (desc_col == 0 || ind >= desc_col)) {
            if (desc_col == 0)
                desc_col = ind;
            if (ind > desc_col + 1)
                rc = push(&h, &cap, HELP_VERBATIM, line + desc_col, len - desc_col, NULL, 0);
            else
                rc = push(&h, &cap, HELP_TEXT, line + ind, len - ind, NULL, 0);
            continue;
        }
        /* a new item */
        size_t te = term_end(line, len, ind);
        size_t ds = te;
        while (ds < len && line[ds] == ' ')
            ds++;
        in_item = true;
        item_col = ind;
        desc_col = ds < len ? ds : 0;
        rc = push(&h, &cap, HELP_ITEM, line + ind, te - ind, ds < len ? line + ds : NULL,
                  ds < len ? len - ds : 0);
    }
    if (rc != 0) {
        helptext_free(&h);
        *out = (struct helptext){ 0 };
        return -1;
    }
    *out = h;
    return 0;
}

void helptext_free(struct helptext *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->n; i++) {
        free(h->ev[i].a);
        free(h->ev[i].b);
    }
    free(h->ev);
    h->ev = NULL;
    h->n = 0;
}
