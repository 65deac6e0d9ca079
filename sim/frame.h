/* frame.h: the M365 "55 AA" bus frame: pure encoder and streaming decoder (no I/O, no clocks).
 *
 * Wire layout (protocol.md section 2.1) [S]:
 *     55 AA | L | ADDR | CMD | ARG | PAYLOAD[L-2] | CK_lo CK_hi
 * L counts CMD, ARG and the payload (payload + 2). The checksum is the 16-bit sum of the bytes
 * from L through the last payload byte, XOR 0xFFFF, sent little-endian. */
#ifndef BMSRIG_SIM_FRAME_H
#define BMSRIG_SIM_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_SYNC0 0x55
#define FRAME_SYNC1 0xAA
#define FRAME_LEN_MIN 2          /* L must at least cover CMD and ARG */
#define FRAME_LEN_MAX 255        /* L is one byte */
#define FRAME_PAYLOAD_MAX (FRAME_LEN_MAX - 2)
#define FRAME_OVERHEAD 6         /* 55 AA L ADDR ... CK CK: total bytes = L + FRAME_OVERHEAD */
#define FRAME_BYTES_MAX (FRAME_LEN_MAX + FRAME_OVERHEAD)

/* Direction bytes (protocol.md section 2.1) [S]. */
enum frame_addr {
    FRAME_ADDR_TO_ESC = 0x20,
    FRAME_ADDR_TO_BLE = 0x21,
    FRAME_ADDR_TO_BMS = 0x22,
    FRAME_ADDR_FROM_ESC = 0x23,
    FRAME_ADDR_FROM_BLE = 0x24,
    FRAME_ADDR_FROM_BMS = 0x25,
};

/* Commands seen on the M365 buses (protocol.md section 2.2) [S]. */
enum frame_cmd {
    FRAME_CMD_READ = 0x01,
    FRAME_CMD_WRITE = 0x02,        /* write, acknowledged */
    FRAME_CMD_WRITE_NR = 0x03,     /* write, no reply */
    FRAME_CMD_HEAD_READ = 0x61,    /* dashboard: read plus lever data */
    FRAME_CMD_HEAD_IN = 0x64,      /* ESC -> dashboard head update */
    FRAME_CMD_HEAD_OUT = 0x65,
};

/* One decoded or to-be-encoded frame. The payload is stored inline. */
struct frame {
    uint8_t addr;
    uint8_t cmd;
    uint8_t arg;
    uint8_t payload_len;                 /* 0 .. FRAME_PAYLOAD_MAX */
    uint8_t payload[FRAME_PAYLOAD_MAX];
};

/* ---- encoding ------------------------------------------------------------------------------ */

/* Checksum over `n` bytes starting at the L byte: (sum & 0xFFFF) ^ 0xFFFF. */
uint16_t frame_checksum(const uint8_t *from_len_byte, size_t n);

/* Fills `f` from its parts; returns BMSRIG_ERR_ARG if payload_len exceeds FRAME_PAYLOAD_MAX
 * or payload is NULL with payload_len > 0. */
int frame_make(struct frame *f, uint8_t addr, uint8_t cmd, uint8_t arg,
               const uint8_t *payload, size_t payload_len);

/* Number of bytes frame_encode writes for `f`. */
size_t frame_encoded_size(const struct frame *f);

/* Writes the wire bytes of `f` into out[0..cap). On success stores the length in *out_len and
 * returns BMSRIG_OK; returns BMSRIG_ERR_ARG if `cap` is too small or the frame is invalid
 * (nothing useful is written then). */
int frame_encode(const struct frame *f, uint8_t *out, size_t cap, size_t *out_len);

/* ---- streaming decoder --------------------------------------------------------------------- */

enum frame_event_kind {
    FRAME_EV_FRAME,        /* a valid frame; `frame` is set */
    FRAME_EV_BAD_CHECKSUM, /* complete by its length byte, checksum wrong; found/expected set */
    FRAME_EV_BAD_LENGTH,   /* a length byte no frame can have (below FRAME_LEN_MIN or above the limit) */
    FRAME_EV_TRUNCATED,    /* a frame start cut short by a gap or the end of input */
};

/* What the decoder reports. Borrowed: valid only during the callback. `raw` points at the
 * candidate's bytes as received (for a valid frame: all of it). */
struct frame_event {
    enum frame_event_kind kind;
    const struct frame *frame;
    const uint8_t *raw;
    size_t raw_len;
    uint16_t checksum_found;
    uint16_t checksum_expected;
};

typedef void (*frame_event_fn)(void *user, const struct frame_event *ev);

struct frame_decoder_stats {
    uint64_t frames;        /* valid frames emitted */
    uint64_t bad_checksum;
    uint64_t bad_length;
    uint64_t truncated;
    uint64_t garbage_bytes; /* bytes skipped while hunting for 55 AA */
};

/* Caller-allocated; initialise with frame_decoder_init before use. No heap, no globals. */
struct frame_decoder {
    uint8_t buf[FRAME_BYTES_MAX];
    size_t fill;
    uint8_t len_max;        /* largest L accepted (default FRAME_LEN_MAX) */
    frame_event_fn on_event;
    void *user;
    struct frame_decoder_stats stats;
    struct frame scratch;
};

/* Prepares `d`. `on_event` may be NULL (only the statistics are kept then). */
void frame_decoder_init(struct frame_decoder *d, frame_event_fn on_event, void *user);

/* Lowers the largest length byte accepted (2..255); larger ones count as bad lengths.
 * Returns BMSRIG_ERR_ARG outside that range. */
int frame_decoder_set_len_max(struct frame_decoder *d, unsigned len_max);

/* Feeds `n` bytes in any chunking. Every complete, valid frame is reported once, in order;
 * after a bad checksum or a bad length the decoder resumes at the byte after the false start,
 * so garbage cannot hide a frame that follows it. */
void frame_decoder_feed(struct frame_decoder *d, const uint8_t *bytes, size_t n);

/* The caller saw an inter-frame gap (or the input ended): any partial frame held is reported
 * as truncated and the bytes after its start are searched again for frames. */
void frame_decoder_gap(struct frame_decoder *d);

#endif
