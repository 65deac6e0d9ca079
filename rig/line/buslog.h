/* buslog.h: bus log rows: one frame on one wire as sent, the faults that changed it on the way
 * and what the receiver got, in the capture CSV format (rig/line/capture.h), written and read.
 *
 * A row's fields, as bmsrig writes them for link_wire_frame (rig/line/link.h):
 *   t_s        start bit of the frame's first byte as sent (virtual or monotonic seconds)
 *   line       the wire: esc_tx (controller -> BMS) or bms_tx (BMS -> controller)
 *   frame_hex  the bytes as the transmitter sent them
 *   check      "ok", or the marks joined with '+' (link_marks_format): esc_tx_open,
 *              bms_tx_open, corrupt_checksum, truncate, garbage, reply_delay, bit_errors, and
 *              the decoder's verdict on the sent bytes (bad_checksum, bad_length, truncated)
 *   note       space-separated key=value tokens: "rx=none" when nothing of it arrived,
 *              "rx=HEX" when what arrived differs from what was sent (part cut, bits flipped),
 *              "delay_s=S" for a reply held back by reply_delay; empty when it arrived as sent
 * Recordings (fixtures/captures/) use the same columns with only decoder verdicts in check and
 * free text in note; the reader below ignores tokens it does not know. */
#ifndef BMSRIG_RIG_BUSLOG_H
#define BMSRIG_RIG_BUSLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rig/line/capture.h"
#include "rig/line/link.h"
#include "sim/frame.h"

/* Writes `f` as one row. Returns BMSRIG_OK or BMSRIG_ERR_IO. */
int buslog_write_row(FILE *out, const struct link_wire_frame *f);

/* Marks that mean a link fault acted on the frame (not a decoder verdict on the sent bytes). */
#define BUSLOG_FAULT_MARKS                                                                     \
    (LINK_MARK_ESC_TX_OPEN | LINK_MARK_BMS_TX_OPEN | LINK_MARK_CORRUPT | LINK_MARK_TRUNCATE |  \
     LINK_MARK_GARBAGE | LINK_MARK_DELAY | LINK_MARK_BIT_ERRORS)

/* What a row says beyond its bytes. */
struct buslog_fate {
    unsigned marks;                 /* link_mark bits named in check (unknown names ignored) */
    bool lost;                      /* note rx=none: the receiver got none of it */
    bool altered;                   /* note rx=HEX: the receiver got `rx` instead */
    uint8_t rx[FRAME_BYTES_MAX];
    size_t nrx;
    double delay_s;                 /* note delay_s=S, else 0 */
};

/* Reads check and note of `row` into *fate. Returns BMSRIG_OK, or BMSRIG_ERR_PARSE with a
 * reason in err[0..errcap) for a malformed rx= or delay_s= token. */
int buslog_parse(const struct capture_row *row, struct buslog_fate *fate, char *err,
                 size_t errcap);

#endif
