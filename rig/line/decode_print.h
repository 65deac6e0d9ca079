/* decode_print.h: turning decoded bus frames into text lines or JSON objects with register
 * names, values and units. Used by `bmsrig decode` and by every bus log viewer. */
#ifndef BMSRIG_RIG_DECODE_PRINT_H
#define BMSRIG_RIG_DECODE_PRINT_H

#include <stdbool.h>
#include <stdio.h>

#include "sim/frame.h"

/* Where a frame came from; `line` may be NULL (hex input has no line names). */
struct decode_meta {
    bool has_time;
    double t_s;
    const char *line;
    unsigned lineno;     /* input line, 0 if unknown */
};

/* "ESC->BMS", "BMS->ESC", "DASH->ESC", "ESC->DASH", ... or "?" for an unknown address. */
const char *decode_direction(uint8_t addr);

/* Writes a one-line human description of the frame's content (no time or direction):
 * "read-reply 0x30 status=0x0001[config_valid] remaining=3697mAh ..." */
void decode_describe(FILE *out, const struct frame *f);

/* Prints one decoder event as a text line. */
void decode_print_text(FILE *out, const struct frame_event *ev, const struct decode_meta *meta);

/* Prints one decoder event as a JSON object (no trailing newline or comma). */
void decode_print_json(FILE *out, const struct frame_event *ev, const struct decode_meta *meta);

#endif
