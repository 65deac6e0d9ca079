/* report_json.c: a small JSON reader (RFC 8259: objects, arrays, strings with \u escapes and
 * surrogate pairs, numbers kept as text, true/false/null) for report_read.c, and the sticky first
 * error both use. */
#include "rig/scenario/report_read_internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/status.h"

/* Nesting a report needs is 4; anything deeper is not a report. */
#define JSON_DEPTH_MAX 32

void report_read_failv(bool *failed, char *err, size_t errcap, const char *where, const char *fmt,
                       va_list ap)
{
    if (*failed)
        return;
    *failed = true;
    char msg[300];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    snprintf(err, errcap, "%s: %s", where, msg);
}

void report_json_fail(struct jparse *j, const char *fmt, ...)
{
    char where[40];
    snprintf(where, sizeof(where), "byte %zu", (size_t)(j->p - j->start));
    va_list ap;
    va_start(ap, fmt);
    report_read_failv(&j->failed, j->err, j->errcap, where, fmt, ap);
    va_end(ap);
}

void report_json_free(struct jv *v)
{
    if (!v)
        return;
    free(v->s);
    for (size_t i = 0; i < v->n; i++) {
        if (v->v)
            report_json_free(&v->v[i]);
        if (v->k)
            free(v->k[i]);
    }
    free(v->v);
    free(v->k);
}

void report_json_skip_ws(struct jparse *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static int hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return -1;
    }
    return v;
}

static void put_utf8_cp(char *out, size_t *n, unsigned cp)
{
    if (cp < 0x80) {
        out[(*n)++] = (char)cp;
    } else if (cp < 0x800) {
        out[(*n)++] = (char)(0xC0 | (cp >> 6));
        out[(*n)++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out[(*n)++] = (char)(0xE0 | (cp >> 12));
        out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[(*n)++] = (char)(0x80 | (cp & 0x3F));
    } else {
        out[(*n)++] = (char)(0xF0 | (cp >> 18));
        out[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[(*n)++] = (char)(0x80 | (cp & 0x3F));
    }
}

/* A string at j->p (its opening quote); the decoded bytes (NUL-terminated; a \u0000 is
 * refused: report strings are C strings). */
static char *parse_string(struct jparse *j)
{
    j->p++;
    const char *q = j->p;
    while (q < j->end && *q != '"') {
        if (*q == '\\')
            q++;
        q++;
    }
    if (q >= j->end) {
        report_json_fail(j, "unterminated string");
        return NULL;
    }
    /* decoded length <= raw length (an escape never grows: \uXXXX is 6 bytes for <= 4) */
    char *out = malloc((size_t)(q - j->p) + 1);
    if (!out) {
        report_json_fail(j, "out of memory");
        return NULL;
    }
    size_t n = 0;
    while (j->p < q) {
        unsigned char c = (unsigned char)*j->p;
        if (c < 0x20) {
            report_json_fail(j, "control character in a string");
            free(out);
            return NULL;
        }
        if (c != '\\') {
            out[n++] = (char)c;
            j->p++;
            continue;
        }
        char e = j->p[1];
        j->p += 2;
        switch (e) {
        case '"': out[n++] = '"'; break;
        case '\\': out[n++] = '\\'; break;
        case '/': out[n++] = '/'; break;
        case 'b': out[n++] = '\b'; break;
        case 'f': out[n++] = '\f'; break;
        case 'n': out[n++] = '\n'; break;
        case 'r': out[n++] = '\r'; break;
        case 't': out[n++] = '\t'; break;
        case 'u': {
            int cp = q - j->p >= 4 ? hex4(j->p) : -1;
            if (cp < 0) {
                report_json_fail(j, "bad \\u escape");
                free(out);
                return NULL;
            }
            j->p += 4;
            unsigned u = (unsigned)cp;
            if (u >= 0xD800 && u <= 0xDBFF) {
                int lo = q - j->p >= 6 && j->p[0] == '\\' && j->p[1] == 'u' ? hex4(j->p + 2) : -1;
                if (lo < 0xDC00 || lo > 0xDFFF) {
                    report_json_fail(j, "unpaired surrogate in a \\u escape");
                    free(out);
                    return NULL;
                }
                j->p += 6;
                u = 0x10000u + ((u - 0xD800u) << 10) + ((unsigned)lo - 0xDC00u);
            } else if (u >= 0xDC00 && u <= 0xDFFF) {
                report_json_fail(j, "unpaired surrogate in a \\u escape");
                free(out);
                return NULL;
            }
            if (u == 0) {
                report_json_fail(j, "\\u0000 in a string");
                free(out);
                return NULL;
            }
            put_utf8_cp(out, &n, u);
            break;
        }
        default:
            report_json_fail(j, "bad escape '\\%c'", e);
            free(out);
            return NULL;
        }
    }
    j->p = q + 1;
    out[n] = '\0';
    return out;
}

/* The first character at or after Q (before END) that is not a decimal digit. */
static const char *skip_digits(const char *q, const char *end)
{
    while (q < end && *q >= '0' && *q <= '9')
        q++;
    return q;
}

static bool parse_members(struct jparse *j, struct jv *v, int depth, bool obj)
{
    char close = obj ? '}' : ']';
    j->p++;
    report_json_skip_ws(j);
    size_t cap = 0;
    if (j->p < j->end && *j->p == close) {
        j->p++;
        return true;
    }
    for (;;) {
        if (v->n == cap) {
            size_t nc = cap ? cap * 2 : 8;
            struct jv *nv = realloc(v->v, nc * sizeof(*nv));
            if (!nv) {
                report_json_fail(j, "out of memory");
                return false;
            }
            v->v = nv;
            if (obj) {
                char **nk = realloc(v->k, nc * sizeof(*nk));
                if (!nk) {
                    report_json_fail(j, "out of memory");
                    return false;
                }
                v->k = nk;
            }
            cap = nc;
        }
        memset(&v->v[v->n], 0, sizeof(v->v[v->n]));
        if (obj) {
            v->k[v->n] = NULL;
            report_json_skip_ws(j);
            if (j->p >= j->end || *j->p != '"') {
                v->n++;
                report_json_fail(j, "expected a member name");
                return false;
            }
            v->k[v->n] = parse_string(j);
            v->n++;
            if (!v->k[v->n - 1])
                return false;
            report_json_skip_ws(j);
            if (j->p >= j->end || *j->p != ':') {
                report_json_fail(j, "expected ':'");
                return false;
            }
            j->p++;
        } else {
            v->n++;
        }
        if (!report_json_parse_value(j, &v->v[v->n - 1], depth + 1))
            return false;
        report_json_skip_ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        if (j->p < j->end && *j->p == close) {
            j->p++;
            return true;
        }
        report_json_fail(j, "expected ',' or '%c'", close);
        return false;
    }
}

bool report_json_parse_value(struct jparse *j, struct jv *v, int depth)
{
    if (depth > JSON_DEPTH_MAX) {
        report_json_fail(j, "nested deeper than %d", JSON_DEPTH_MAX);
        return false;
    }
    report_json_skip_ws(j);
    if (j->p >= j->end) {
        report_json_fail(j, "unexpected end of the document");
        return false;
    }
    char c = *j->p;
    if (c == '{' || c == '[') {
        v->t = c == '{' ? J_OBJ : J_ARR;
        return parse_members(j, v, depth, c == '{');
    }
    if (c == '"') {
        v->t = J_STR;
        v->s = parse_string(j);
        return v->s != NULL;
    }
    static const struct { const char *word; enum jtype t; bool b; } words[] = {
        { "true", J_BOOL, true }, { "false", J_BOOL, false }, { "null", J_NULL, false },
    };
    for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
        size_t len = strlen(words[w].word);
        if ((size_t)(j->end - j->p) >= len && memcmp(j->p, words[w].word, len) == 0) {
            v->t = words[w].t;
            v->b = words[w].b;
            j->p += len;
            return true;
        }
    }
    /* a number: -? int frac? exp? */
    const char *s = j->p;
    const char *q = s;
    if (q < j->end && *q == '-')
        q++;
    if (q >= j->end || *q < '0' || *q > '9') {
        report_json_fail(j, "unexpected character '%c'", c);
        return false;
    }
    q = *q == '0' ? q + 1 : skip_digits(q, j->end);
    bool bad = false;
    if (q < j->end && *q == '.') {          /* a fraction needs at least one digit */
        const char *d = skip_digits(q + 1, j->end);
        bad = d == q + 1;
        q = d;
    }
    if (!bad && q < j->end && (*q == 'e' || *q == 'E')) {   /* so does an exponent */
        q++;
        if (q < j->end && (*q == '+' || *q == '-'))
            q++;
        const char *d = skip_digits(q, j->end);
        bad = d == q;
        q = d;
    }
    if (bad) {
        report_json_fail(j, "bad number");
        return false;
    }
    v->t = J_NUM;
    v->s = strndup(s, (size_t)(q - s));
    if (!v->s) {
        report_json_fail(j, "out of memory");
        return false;
    }
    j->p = q;
    return true;
}
