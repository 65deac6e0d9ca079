/* capture.h: the bus-recording CSV format (t_s,line,frame_hex,check,note) read and written.
 *
 * The format is that of ../shared/data/captures/: '#' lines are comments (the first names the
 * source), then a header row, then one frame a row. bmsrig writes its own bus logs and traces
 * in the same format so that `bmsrig decode` reads them. */
#ifndef BMSRIG_RIG_CAPTURE_H
#define BMSRIG_RIG_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/frame.h"

#define CAPTURE_HEADER "t_s,line,frame_hex,check,note"
#define CAPTURE_FIELD_MAX 64
/* A note can carry a frame in hex (bus logs write "rx=HEX" there: rig/line/buslog.h). */
#define CAPTURE_NOTE_MAX (2 * FRAME_BYTES_MAX + CAPTURE_FIELD_MAX)

/* One row. Strings are NUL-terminated copies, cut to fit. */
struct capture_row {
    double t_s;
    char line[CAPTURE_FIELD_MAX];   /* "esc_tx", "bms_tx", ... */
    uint8_t bytes[FRAME_BYTES_MAX];
    size_t nbytes;
    char check[CAPTURE_FIELD_MAX];  /* "ok", "bad_checksum", ... as recorded */
    char note[CAPTURE_NOTE_MAX];
    unsigned lineno;                /* 1-based line in the file */
};

/* Parses one text line of a capture file. Returns BMSRIG_OK with *row filled, BMSRIG_ERR_STATE
 * for a comment, blank or header line (nothing to decode), or BMSRIG_ERR_PARSE with a reason in
 * err[0..errcap) for a malformed row. */
int capture_parse_line(const char *text, unsigned lineno, struct capture_row *row, char *err,
                       size_t errcap);

/* True if `text` (a file's first non-comment line) is the capture header. */
bool capture_is_header(const char *text);

/* Parses hex digits (spaces, colons and commas allowed between bytes) into out[0..cap).
 * Returns BMSRIG_OK and the count in *n, or BMSRIG_ERR_PARSE on an odd digit count or a stray
 * character, or BMSRIG_ERR_RANGE if more than `cap` bytes. */
int capture_parse_hex(const char *text, uint8_t *out, size_t cap, size_t *n);

/* Writes the comment lines (one per element of `comments`, each prefixed "# ") and the header. */
int capture_write_header(FILE *out, const char *const *comments, size_t ncomments);

/* Writes one row; `check` is "ok" or a reason. */
int capture_write_row(FILE *out, double t_s, const char *line, const uint8_t *bytes, size_t n,
                      const char *check, const char *note);

#endif
