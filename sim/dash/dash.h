/* dash.h: the dashboard model: what a stock M365 dashboard (BLE board) does on the controller's
 * single-wire bus, as the device-under-test observer for targets that can only be seen over
 * their buses (the firmware image). Pure: no I/O, no clocks, no globals, no allocation.
 *
 * Every period_ns (100 ms, firmware.md section 3 [O]) the model sends one lever frame
 *     55 AA 07 20 65 00 04 <throttle> <brake> 00 00 CK CK
 * followed at once by one read request to the controller (ADDR 0x20, CMD 0x01). The reads
 * cycle through the enabled ones: word 0x1B (2 bytes, the error code), word 0xB0 (32 bytes:
 * error code, speed at 0xB5), and word 0x1A (2 bytes, the controller's firmware version), the
 * last only until it is answered
 * with a non-zero version (a booting controller may answer 0). Replies (ADDR 0x23, CMD 0x01) are decoded into an
 * observation; everything else on the bus (the controller's 0x64 head frames, the echo of the
 * model's own frames on a one-wire bus) is ignored.
 *
 * Owner: sim/ (issue 11, branch fw-dut). The caller (the scenario engine's firmware target)
 * owns the clock and the wire: it asks for bytes with dash_poll and hands back what the
 * controller sent with dash_receive. Time is int64 nanoseconds on the caller's clock and must
 * not go backwards. */
#ifndef BMSRIG_SIM_DASH_H
#define BMSRIG_SIM_DASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/frame.h"

#define DASH_PERIOD_NS_DEFAULT 100000000LL   /* 100 ms between lever frames [O] firmware.md s3 */
#define DASH_LEVER_RELEASED 0x2C             /* throttle/brake byte at rest [O] firmware.md s3 */
#define DASH_LEVER_FULL 0xC5                 /* byte at full travel [I] (Hall lever ADC, 8-bit) */
#define DASH_WORD_VERSION 0x1A               /* ESC firmware version [S] protocol.md s4.5 */
#define DASH_WORD_ERROR 0x1B                 /* error code [D] protocol.md s4.5 */
#define DASH_WORD_STATUS 0xB0                /* error, .., speed at 0xB5 [S] protocol.md s4.5 */
#define DASH_STATUS_READ_BYTES 32            /* a typical dashboard poll reads 32 bytes [S] */
#define DASH_BYTES_PER_PERIOD_MAX 32         /* lever frame (12) + one read request (9) */

/* Which reads the model cycles through (any non-empty combination). */
enum dash_read {
    DASH_READ_ERROR = 1 << 0,     /* word 0x1B, 2 bytes */
    DASH_READ_STATUS = 1 << 1,    /* word 0xB0, 32 bytes (error and speed) */
    DASH_READ_VERSION = 1 << 2,   /* word 0x1A, 2 bytes, until answered non-zero */
};

struct dash_config {
    int64_t period_ns;            /* > 0; DASH_PERIOD_NS_DEFAULT */
    int64_t first_ns;             /* time of the first lever frame (>= 0) */
    unsigned reads;               /* enum dash_read bits, non-zero */
    int64_t read_period_ns;       /* 0 (default): one read after each lever frame; else also a
                                     read of the error word alone every read_period_ns between
                                     them (< period_ns): a finer view of the error word than a
                                     stock dashboard's */
};

/* The rider's levers, 0..1 (clamped). */
struct dash_levers {
    double throttle;
    double brake;
};

/* What the model has seen of the controller, only from its replies. */
struct dash_observation {
    bool have_error;              /* some reply carried the error word */
    int error_code;               /* the latest error word (0 = none) */
    int64_t error_t_ns;           /* when that reply's last byte arrived */
    int64_t error_since_ns;       /* when the current error_code was first seen */
    bool have_speed;
    double speed_kmh;             /* word 0xB5, signed m/h / 1000 */
    bool have_version;
    uint16_t version;             /* word 0x1A, e.g. 0x0134 = 1.3.4 */
    uint64_t frames_sent;         /* lever frames sent */
    uint64_t reads_sent;
    uint64_t replies;             /* decoded replies to the model's reads */
    int64_t last_reply_ns;        /* -1 before the first reply */
};

struct dash {
    struct dash_config cfg;
    struct dash_levers levers;
    int64_t next_ns;              /* when the next lever frame is due */
    int64_t next_read_ns;         /* when the next read alone is due (read_period_ns > 0) */
    unsigned next_read;           /* index into the read cycle */
    int64_t rx_t_ns;              /* time of the bytes being decoded */
    struct frame_decoder dec;
    struct dash_observation obs;
};

/* The defaults: 100 ms, first frame at 0, reads of 0x1B, 0xB0 and the version. */
void dash_config_default(struct dash_config *cfg);

/* Prepares `d`; returns BMSRIG_ERR_ARG for a period <= 0, a negative start or no reads. */
int dash_init(struct dash *d, const struct dash_config *cfg);

/* Sets the levers used from the next lever frame on. */
void dash_set_levers(struct dash *d, const struct dash_levers *levers);

/* The lever byte for a lever position (0..1, clamped): DASH_LEVER_RELEASED .. DASH_LEVER_FULL. */
uint8_t dash_lever_byte(double position);

/* When the next frame is due [ns]. */
int64_t dash_next_due_ns(const struct dash *d);

/* If a period is due at or before now_ns, writes its bytes (lever frame + one read) to
 * out[0..cap) and returns their count, and schedules the next period; else, with
 * read_period_ns, a read alone when one is due; otherwise returns 0.
 * Periods missed entirely (now_ns far past due) are skipped, not sent in a burst. Returns 0
 * and sends nothing if cap < DASH_BYTES_PER_PERIOD_MAX. */
size_t dash_poll(struct dash *d, int64_t now_ns, uint8_t *out, size_t cap);

/* Bytes the controller put on the bus, the last of which finished at t_ns. */
void dash_receive(struct dash *d, int64_t t_ns, const uint8_t *bytes, size_t n);

/* The line went quiet (e.g. before each period): a partial frame held is dropped. */
void dash_gap(struct dash *d);

const struct dash_observation *dash_observe(const struct dash *d);

/* The controller's firmware version word as the stock tools print it, one hex digit per
 * nibble below the top byte: 0x0134 -> "1.3.4", 0x0901 -> "9.0.1" [S] protocol.md s4.5.
 * Writes at most cap bytes (DASH_VERSION_TEXT_MAX is enough); returns out. */
#define DASH_VERSION_TEXT_MAX 16
char *dash_version_text(uint16_t version, char *out, size_t cap);

#endif
