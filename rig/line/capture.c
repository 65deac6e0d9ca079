/* capture.c: reading and writing the bus-recording CSV format. */
#include "rig/line/capture.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/status.h"

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int capture_parse_hex(const char *text, uint8_t *out, size_t cap, size_t *n)
{
    size_t count = 0;
    int hi = -1;
    for (const char *p = text; *p; p++) {
        int v = hexval((unsigned char)*p);
        if (v < 0) {
            if (*p == ' ' || *p == '\t' || *p == ':' || *p == ',' || *p == '\r' || *p == '\n') {
                if (hi >= 0)
                    return BMSRIG_ERR_PARSE; /* a lone digit before a separator */
                continue;
            }
            return BMSRIG_ERR_PARSE;
        }
        if (hi < 0) {
            hi = v;
            continue;
        }
        if (count >= cap)
            return BMSRIG_ERR_RANGE;
        out[count++] = (uint8_t)(hi << 4 | v);
        hi = -1;
    }
    if (hi >= 0)
        return BMSRIG_ERR_PARSE;
    *n = count;
    return BMSRIG_OK;
}

bool capture_is_header(const char *text)
{
    return strncmp(text, "t_s,", 4) == 0;
}

/* Copies the next comma-separated field of *p into dst (cut to cap), advancing *p. */
static void next_field(const char **p, char *dst, size_t cap)
{
    const char *start = *p;
    const char *end = strchr(start, ',');
    if (!end)
        end = start + strcspn(start, "\r\n");
    size_t len = (size_t)(end - start);
    if (len >= cap)
        len = cap - 1;
    memcpy(dst, start, len);
    dst[len] = '\0';
    *p = (*end == ',') ? end + 1 : end;
}

int capture_parse_line(const char *text, unsigned lineno, struct capture_row *row, char *err,
                       size_t errcap)
{
    const char *p = text;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '#' || *p == '\0' || *p == '\n' || *p == '\r' || capture_is_header(p))
        return BMSRIG_ERR_STATE;

    memset(row, 0, sizeof(*row));
    row->lineno = lineno;
    char tfield[CAPTURE_FIELD_MAX];
    char hexfield[2 * FRAME_BYTES_MAX + 8];
    next_field(&p, tfield, sizeof(tfield));
    next_field(&p, row->line, sizeof(row->line));
    next_field(&p, hexfield, sizeof(hexfield));
    next_field(&p, row->check, sizeof(row->check));
    next_field(&p, row->note, sizeof(row->note));

    char *endp = NULL;
    row->t_s = strtod(tfield, &endp);
    if (endp == tfield || *endp != '\0') {
        snprintf(err, errcap, "time '%s' is not a number", tfield);
        return BMSRIG_ERR_PARSE;
    }
    /* strtod takes "nan" and "inf", which JSON cannot carry, and a recording has no negative
       times: both are bad input here rather than bare tokens in `decode --json`. */
    if (!isfinite(row->t_s) || row->t_s < 0) {
        snprintf(err, errcap, "time '%s' must be a finite number of seconds >= 0", tfield);
        return BMSRIG_ERR_PARSE;
    }
    if (hexfield[0] == '\0') {
        snprintf(err, errcap, "no frame_hex field");
        return BMSRIG_ERR_PARSE;
    }
    int rc = capture_parse_hex(hexfield, row->bytes, sizeof(row->bytes), &row->nbytes);
    if (rc == BMSRIG_ERR_RANGE) {
        snprintf(err, errcap, "frame longer than %d bytes", FRAME_BYTES_MAX);
        return BMSRIG_ERR_PARSE;
    }
    if (rc != BMSRIG_OK) {
        snprintf(err, errcap, "frame_hex is not hex text");
        return BMSRIG_ERR_PARSE;
    }
    return BMSRIG_OK;
}

int capture_write_header(FILE *out, const char *const *comments, size_t ncomments)
{
    for (size_t i = 0; i < ncomments; i++)
        if (fprintf(out, "# %s\n", comments[i]) < 0)
            return BMSRIG_ERR_IO;
    return fprintf(out, "%s\n", CAPTURE_HEADER) < 0 ? BMSRIG_ERR_IO : BMSRIG_OK;
}

int capture_write_row(FILE *out, double t_s, const char *line, const uint8_t *bytes, size_t n,
                      const char *check, const char *note)
{
    if (fprintf(out, "%.6f,%s,", t_s, line) < 0)
        return BMSRIG_ERR_IO;
    for (size_t i = 0; i < n; i++)
        if (fprintf(out, "%02x", bytes[i]) < 0)
            return BMSRIG_ERR_IO;
    return fprintf(out, ",%s,%s\n", check ? check : "ok", note ? note : "") < 0 ? BMSRIG_ERR_IO
                                                                               : BMSRIG_OK;
}
