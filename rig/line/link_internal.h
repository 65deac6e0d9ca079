/* link_internal.h: the link's state and the helpers its files share (rig/line/link*.c only;
 * everyone else goes through rig/line/link.h). Owner: rig/line (tidy2 split of link.c).
 *
 * The files: link.c (configuration, faults, life cycle), link_marks.c (bus log mark names),
 * link_tx.c (the BMS transmitter: reply timing, reply faults, the transmit queue),
 * link_rx.c (the BMS receiver: gap reset, esc_tx cut, bit errors, the two decoders),
 * link_wire.c (the in-process byte-timed wire for the virtual target). */
#ifndef BMSRIG_RIG_LINE_LINK_INTERNAL_H
#define BMSRIG_RIG_LINE_LINK_INTERNAL_H

#include "rig/line/link.h"

#include "sim/rng.h"

#define RING_CAP 16384u   /* bytes in flight per queue */


/* The controller's bytes remembered for the bus log, by stream position: enough for the
 * longest frame the wire decoder can be holding. */
#define WIRE_HIST 512u
/* Frames (replies and garbage bursts) queued for sending, for the bus log; a reply is at least
 * FRAME_OVERHEAD + 2 bytes, so RING_CAP / 4 records never run out before the byte ring does. */
#define TXREC_CAP (RING_CAP / 4u)

struct ring {
    uint8_t b[RING_CAP];
    int64_t t[RING_CAP];
    size_t head, count;
};

static inline bool ring_push(struct ring *r, uint8_t b, int64_t t)
{
    if (r->count == RING_CAP)
        return false;
    size_t i = (r->head + r->count) % RING_CAP;
    r->b[i] = b;
    r->t[i] = t;
    r->count++;
    return true;
}

static inline void ring_pop(struct ring *r)
{
    r->head = (r->head + 1) % RING_CAP;
    r->count--;
}

/* One frame waiting in the BMS transmit queue: what the log says about it once sent. */
struct txrec {
    int64_t t_us;
    size_t n;              /* its bytes in the transmit queue */
    unsigned marks;
    double delay_s;
};

struct link {
    struct link_config cfg;
    struct bms *bms;
    uint64_t rng;
    double byte_us;
    int64_t gap_us;               /* the gap reset: cfg.gap_chars character times */
    bool active[LINK_FAULT_COUNT];
    double value[LINK_FAULT_COUNT];

    struct frame_decoder dec;
    bool have_rx;
    int64_t last_rx_us;
    int64_t rx_now_us;                /* time of the byte being decoded */

    struct ring txq;                  /* BMS bytes waiting to go out, t = chunk start time */
    int64_t tx_busy_until;            /* start of the last chunk queued (keeps order) */

    struct ring esc_to_bms;           /* in-process wire, t = arrival at the BMS */
    int64_t esc_busy_until;
    struct ring bms_to_esc;           /* t = arrival at the ESC */
    double bms_wire_free;             /* us; double so byte times do not drift */

    /* bus log, controller -> BMS: the bytes as they arrived at the BMS side before the esc_tx
     * cut and bit errors, decoded on their own, with what the BMS receiver got of each */
    struct frame_decoder wire_dec;
    uint64_t wire_fed;                /* bytes fed to wire_dec */
    uint8_t wire_rx[WIRE_HIST];       /* by position % WIRE_HIST: the byte the BMS got */
    bool wire_got[WIRE_HIST];         /* false: lost to the esc_tx cut */
    int64_t wire_t[WIRE_HIST];        /* arrival time of the byte's stop bit */
    bool wire_have;
    int64_t wire_last_us;

    /* bus log, BMS -> controller: one record per queued frame, and the head one's bytes so far */
    struct txrec txrec[TXREC_CAP];
    size_t txrec_head, txrec_count;
    uint8_t cur_sent[FRAME_BYTES_MAX];
    uint8_t cur_rx[FRAME_BYTES_MAX];
    size_t cur_popped, cur_nrx;

    struct link_stats stats;
    link_wire_fn wire_hook;
    void *wire_hook_user;
};

/* ---- randomness ----------------------------------------------------------------------------- */

static inline uint64_t rnd(struct link *l)
{
    return rng_next(&l->rng);
}

static inline double rnd_unit(struct link *l)
{
    return rng_unit(&l->rng);
}

static inline bool chance(struct link *l, double p)
{
    return p > 0.0 && rnd_unit(l) < p;
}

static inline void emit_wire(struct link *l, const struct link_wire_frame *f)
{
    if (l->wire_hook)
        l->wire_hook(l->wire_hook_user, f);
}

/* ---- between the files ---------------------------------------------------------------------- */

/* link_tx.c: encodes `rep` and queues it per the latency model and the reply faults. */
void link_schedule_reply(struct link *l, int64_t now_us, const struct frame *rep);

/* link_rx.c: `b` with each bit flipped at the bit_errors rate (counted in stats.bit_flips). */
uint8_t link_flip_bits(struct link *l, uint8_t b);

/* link_rx.c: the decoder callbacks link_new installs: the BMS receiver's (requests to the BMS
 * model) and the wire decoder's (the controller's frames as sent, for the bus log). */
void link_on_event(void *user, const struct frame_event *ev);
void link_on_wire_event(void *user, const struct frame_event *ev);

#endif
