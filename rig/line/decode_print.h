/* decode_print.h: turning decoded bus frames into text lines or JSON objects with register
 * names, values and units. Used by `bmsrig decode` and by every bus log viewer. */
#ifndef BMSRIG_RIG_DECODE_PRINT_H
#define BMSRIG_RIG_DECODE_PRINT_H

#include <stdbool.h>
#include <stdio.h>

#include "rig/line/buslog.h"
#include "sim/frame.h"

/* Where a frame came from; `line` may be NULL (hex input has no line names). */
struct decode_meta {
    bool has_time;
    double t_s;
    const char *line;
    unsigned lineno;     /* input line, 0 if unknown */
    const struct buslog_fate *fate;   /* a bus log row's marks and what arrived, or NULL */
};

/* "ESC->BMS", "BMS->ESC", "DASH->ESC", "ESC->DASH", ... or "?" for an unknown address. */
const char *decode_direction(uint8_t addr);

/* Writes a one-line human description of the frame's content (no time or direction):
 * "read-reply 0x30 status=0x0001[config_valid] remaining=3697mAh ..." */
void decode_describe(FILE *out, const struct frame *f);

/* Prints one decoder event as a text line; with meta->fate, the faults that acted on it
 * follow in brackets ("[bms_tx_open: never received]"). */
void decode_print_text(FILE *out, const struct frame_event *ev, const struct decode_meta *meta);

/* Prints, indented under the frame it belongs to, one decoder event of the bytes its receiver
 * got instead ("    received: BAD checksum ..."). */
void decode_print_received_text(FILE *out, const struct frame_event *ev);

/* Prints a bus log row that holds no frame start at all (a garbage burst) as a text line. */
void decode_print_garbage_text(FILE *out, const uint8_t *bytes, size_t n,
                               const struct decode_meta *meta);

/* Prints one decoder event as a JSON object (no trailing newline or comma). With meta->fate:
 * "marks" (names), "received" ("as_sent", "none" or "altered"), "received_hex" when altered,
 * "delay_s" when delayed. */
void decode_print_json(FILE *out, const struct frame_event *ev, const struct decode_meta *meta);

/* The JSON object of a garbage row: "ok":false, "error":"garbage", its bytes and fate. */
void decode_print_garbage_json(FILE *out, const uint8_t *bytes, size_t n,
                               const struct decode_meta *meta);

#endif
