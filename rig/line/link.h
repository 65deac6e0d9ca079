/* link.h: the BMS side of the ESC <-> BMS data line, in caller time: UART receive with an
 * inter-byte gap reset, the reply timing model, the named protocol faults, and an in-process
 * wire (one byte pipe per direction with 8N1 byte times) for the virtual target.
 *
 * No clock is read here: every call takes now_us (microseconds, virtual or monotonic). The
 * same object serves both uses:
 *   - virtual target: the ESC model writes with link_esc_send and reads with link_esc_recv;
 *     the engine calls link_advance(now) and asks link_next_event_us for its next deadline;
 *   - real transports (rig/line/endpoint.h): bytes read from a pty or serial port go to
 *     link_bms_rx; link_bms_tx hands out the reply bytes whose send time has come.
 * Everything random (latency jitter, corruption, garbage, bit errors) draws from cfg->seed,
 * so a run is reproducible. */
#ifndef BMSRIG_RIG_LINK_H
#define BMSRIG_RIG_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rig/fault/fault.h"
#include "sim/bms.h"
#include "sim/frame.h"

/* 115200 8N1: 10 bits a byte = 86.8 us [S protocol.md section 1]. */
#define LINK_BAUD_DEFAULT 115200u

enum link_latency {
    LINK_LATENCY_OFF,       /* reply starts as soon as the request's last byte is in */
    LINK_LATENCY_FIXED,     /* fixed_latency_us after the request */
    LINK_LATENCY_RECORDED,  /* the model fitted to the recording (docs/bms.md) */
};

struct link_config {
    uint32_t baud;                 /* byte time = 10 bits / baud */
    enum link_latency latency;
    int64_t fixed_latency_us;      /* LINK_LATENCY_FIXED */
    double gap_chars;              /* idle time, in character times (10 bits at `baud`), after
                                      which the receiver drops a partial frame (LINK_GAP_CHARS_*) */
    uint64_t seed;
};

/* The receiver's partial-frame reset, in character times. Default 10 [I]: well above the
 * 1.5 character times the ESC leaves between the bytes of one frame [D capture, protocol.md
 * section 2] and far below the 15 ms between its quickest requests (the boot step, 173
 * character times) [D]; 868 us at 115200, about the fixed 1 ms it replaces, but it now scales
 * with the baud rate (at 9600 a fixed 1 ms was shorter than one byte). A USB-serial adapter or
 * pty bridge that delivers one frame in bursts needs more (`bmsrig bms --gap-reset CHARS`). A
 * reset that comes late costs little: the decoder resynchronises on the next 55 AA. */
#define LINK_GAP_CHARS_DEFAULT 10.0
#define LINK_GAP_CHARS_MIN 1.5          /* below: the ESC's own inter-byte gaps would reset it */
#define LINK_GAP_CHARS_MAX 100000.0

/* Defaults: 115200, recorded latency model, gap reset LINK_GAP_CHARS_DEFAULT, seed 1. */
void link_config_default(struct link_config *cfg);

/* The gap reset of `cfg` in microseconds (gap_chars character times at its baud). */
int64_t link_config_gap_us(const struct link_config *cfg);

/* The protocol faults. Their names, values and help are the first FAULT_LINK_COUNT rows of
 * the fault table (rig/fault/fault.h), whose ids these are. */
enum link_fault {
    LINK_FAULT_BMS_TX = FAULT_BMS_TX,                     /* BMS TX line open: nothing the BMS
                                                           * sends arrives */
    LINK_FAULT_ESC_TX = FAULT_ESC_TX,                     /* ESC TX line open: the BMS hears
                                                           * nothing */
    LINK_FAULT_REPLY_DELAY = FAULT_REPLY_DELAY,           /* value = extra delay before each
                                                           * reply, seconds */
    LINK_FAULT_CORRUPT_CHECKSUM = FAULT_CORRUPT_CHECKSUM, /* value = probability a reply's
                                                           * checksum is wrong */
    LINK_FAULT_TRUNCATE = FAULT_TRUNCATE,                 /* value = probability a reply is cut
                                                           * short */
    LINK_FAULT_GARBAGE = FAULT_GARBAGE,                   /* value = probability random bytes
                                                           * precede a reply */
    LINK_FAULT_STALE = FAULT_STALE,                       /* register image frozen: the last
                                                           * computed (from power-on the first) */
    LINK_FAULT_BIT_ERRORS = FAULT_BIT_ERRORS,             /* value = bit error rate, both wires */
    LINK_FAULT_SERIAL_DEFAULT = FAULT_SERIAL_DEFAULT,     /* serial served as the default one
                                                           * (ESC error 23) */
    LINK_FAULT_CONFIG_INVALID = FAULT_CONFIG_INVALID,     /* status bit 0 served clear (ESC
                                                           * error 22) */
    LINK_FAULT_COUNT = FAULT_LINK_COUNT
};

/* Name <-> enum through the fault table ("bms_tx", "reply_delay", ... and their aliases).
 * link_fault_parse returns BMSRIG_ERR_ARG for a name that is not a protocol fault. */
const char *link_fault_name(enum link_fault f);
int link_fault_parse(const char *name, enum link_fault *out);

struct link_stats {
    uint64_t bytes_heard;        /* bytes the BMS receiver got (after esc_tx / bit errors) */
    uint64_t frames_heard;       /* valid frames decoded */
    uint64_t decode_errors;      /* bad checksum / bad length / truncated events */
    uint64_t gap_resets;         /* receiver resets on an inter-byte gap */
    uint64_t replies;            /* replies scheduled */
    uint64_t bytes_sent;         /* bytes the BMS put on its TX line */
    uint64_t dropped_bms_tx;     /* bytes lost to bms_tx open */
    uint64_t dropped_esc_tx;     /* bytes lost to esc_tx open */
    uint64_t corrupted, truncated, garbage_bursts, bit_flips;
    uint64_t tx_queue_full;      /* replies not queued: the transmit queue was full */
};

struct link;

/* One reply latency [us] drawn from the link's latency model and random stream, as a reply
 * would get it (for benchmarks that compare the model with what a line delivers; it advances
 * the stream, so draw from a link of its own). */
int64_t link_draw_latency_us(struct link *l);

/* Creates a link serving `bms` (borrowed: must outlive the link). Owned: free with link_free.
 * Returns NULL on allocation failure or an invalid config. */
struct link *link_new(const struct link_config *cfg, struct bms *bms);
void link_free(struct link *l);   /* NULL-safe */

/* Sets / clears a fault. `value` as documented per fault (ignored for on/off faults); outside
 * the fault table's range for it (probabilities 0..1, delays 0..3600 s) BMSRIG_ERR_RANGE. */
int link_fault_set(struct link *l, enum link_fault f, double value);
void link_fault_clear(struct link *l, enum link_fault f);
bool link_fault_active(const struct link *l, enum link_fault f);

/* Byte time in microseconds (86.8 at 115200). */
double link_byte_us(const struct link *l);

/* ---- BMS side (real transports) ------------------------------------------------------------ */

/* Bytes the BMS UART received, the last one complete at now_us. A pause longer than the gap
 * reset (link_config_gap_us)
 * since the previous byte resets the receiver first. Decoded requests go to the BMS; replies
 * are scheduled per the latency model and faults. */
void link_bms_rx(struct link *l, int64_t now_us, const uint8_t *bytes, size_t n);

/* Tells the receiver that time has reached now_us without bytes (lets a pending partial frame
 * time out on a gap). */
void link_bms_idle(struct link *l, int64_t now_us);

/* Copies into out[0..cap) the bytes the BMS transmits whose start time is <= now_us (after the
 * faults: bms_tx open drops them; bit errors flip them). Returns the count. */
size_t link_bms_tx(struct link *l, int64_t now_us, uint8_t *out, size_t cap);

/* Start time of the next byte waiting to be transmitted, or INT64_MAX. */
int64_t link_bms_next_tx_us(const struct link *l);

/* ---- in-process wire (virtual target) ------------------------------------------------------ */

/* The ESC starts transmitting `n` bytes at now_us (after anything it is still sending).
 * Returns BMSRIG_ERR_RANGE if the pipe is full (64 KiB in flight). */
int link_esc_send(struct link *l, int64_t now_us, const uint8_t *bytes, size_t n);

/* Moves everything due up to now_us: ESC bytes arriving at the BMS, BMS replies going out. */
void link_advance(struct link *l, int64_t now_us);

/* Bytes from the BMS completely received by the ESC at or before now_us (call link_advance
 * first). If `arrive_us` is not NULL, arrive_us[i] is byte i's arrival time. */
size_t link_esc_recv(struct link *l, int64_t now_us, uint8_t *out, int64_t *arrive_us,
                     size_t cap);

/* The earliest future time something happens on the wire, or INT64_MAX if idle. */
int64_t link_next_event_us(const struct link *l);

/* Borrowed: valid until link_free. */
const struct link_stats *link_stats(const struct link *l);

/* ---- the bus log: every frame on both wires, as sent and as received ------------------------ */

/* What happened to one frame on its way (bits of link_wire_frame.marks). */
enum link_mark {
    LINK_MARK_ESC_TX_OPEN = 1u << 0,  /* controller TX wire cut: (part of) it never arrived */
    LINK_MARK_BMS_TX_OPEN = 1u << 1,  /* BMS TX wire cut: (part of) it never arrived */
    LINK_MARK_CORRUPT = 1u << 2,      /* corrupt_checksum: sent with a wrong checksum */
    LINK_MARK_TRUNCATE = 1u << 3,     /* truncate: sent cut short */
    LINK_MARK_GARBAGE = 1u << 4,      /* garbage: random bytes sent before a reply */
    LINK_MARK_DELAY = 1u << 5,        /* reply_delay: sent late by delay_s */
    LINK_MARK_BIT_ERRORS = 1u << 6,   /* bit_errors: received bytes differ from those sent */
    LINK_MARK_BAD_CHECKSUM = 1u << 7, /* the sent bytes themselves fail to decode: */
    LINK_MARK_BAD_LENGTH = 1u << 8,   /*   (a real controller's bad frame, or noise) */
    LINK_MARK_TRUNCATED = 1u << 9,
};
#define LINK_MARK_COUNT 10u

/* The name a mark has in bus logs ("esc_tx_open", "bms_tx_open", "corrupt_checksum",
 * "truncate", "garbage", "reply_delay", "bit_errors", "bad_checksum", "bad_length",
 * "truncated"), by bit index 0..LINK_MARK_COUNT-1; NULL past the end. */
const char *link_mark_name(unsigned bit);

/* Writes the marks as a bus log check field into buf[0..cap): "ok" for none, else the names
 * joined with '+' in bit order ("corrupt_checksum+bms_tx_open"). Returns buf. */
const char *link_marks_format(unsigned marks, char *buf, size_t cap);

/* One frame on one wire. Borrowed pointers, valid for the hook call only. */
struct link_wire_frame {
    int64_t t_us;                /* start bit of its first byte as sent */
    const char *line;            /* "esc_tx" (controller -> BMS) or "bms_tx" (BMS -> controller) */
    const uint8_t *sent;         /* the bytes as the transmitter put them on the wire */
    size_t nsent;
    const uint8_t *received;     /* the bytes the other end got, in order (lost ones left out) */
    size_t nreceived;
    unsigned marks;              /* enum link_mark bits; 0 = delivered as sent */
    double delay_s;              /* reply_delay added before it (LINK_MARK_DELAY) */
};

/* Called once per frame per wire when its last byte has gone out (or been lost): the
 * controller's frames as it sent them (decoded from the bytes arriving at the BMS side before
 * the esc_tx cut and bit errors apply), and the BMS's replies and garbage bursts as it sent
 * them and as they reached the controller. `t_us` order can differ from call order when
 * replies are delayed. */
typedef void (*link_wire_fn)(void *user, const struct link_wire_frame *f);
void link_set_wire_hook(struct link *l, link_wire_fn fn, void *user);


#endif
