/* link.c: the BMS side of the data line in caller time: receiver with gap reset, reply timing,
 * protocol faults, and the in-process byte-timed wire for the virtual target. */
#include "rig/line/link.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/rng.h"
#include "sim/status.h"

#define RING_CAP 16384u   /* bytes in flight per queue */

/* Reply timing fitted to the two-way recording (docs/bms.md) [D]: 35 of 50 replies started
 * 0.204-0.262 ms after the request's last byte, 15 of 50 (30 %) 4.96-35.3 ms late. */
#define LAT_FAST_MEAN_US 212.0
#define LAT_FAST_SD_US 4.0
#define LAT_FAST_MIN_US 200.0
#define LAT_FAST_MAX_US 265.0
#define LAT_LATE_P 0.30
#define LAT_LATE_MIN_US 4900.0
#define LAT_LATE_MAX_US 35300.0

#define GARBAGE_MAX 16

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

static bool ring_push(struct ring *r, uint8_t b, int64_t t)
{
    if (r->count == RING_CAP)
        return false;
    size_t i = (r->head + r->count) % RING_CAP;
    r->b[i] = b;
    r->t[i] = t;
    r->count++;
    return true;
}

static void ring_pop(struct ring *r)
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

static uint64_t rnd(struct link *l)
{
    return rng_next(&l->rng);
}

static double rnd_unit(struct link *l)
{
    return rng_unit(&l->rng);
}

static bool chance(struct link *l, double p)
{
    return p > 0.0 && rnd_unit(l) < p;
}

/* ---- configuration and faults --------------------------------------------------------------- */

void link_config_default(struct link_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->baud = LINK_BAUD_DEFAULT;
    cfg->latency = LINK_LATENCY_RECORDED;
    cfg->fixed_latency_us = 210;
    cfg->gap_chars = LINK_GAP_CHARS_DEFAULT;
    cfg->seed = 1;
}

int64_t link_config_gap_us(const struct link_config *cfg)
{
    if (!cfg || cfg->baud == 0)
        return 0;
    return (int64_t)llround(cfg->gap_chars * 10.0 * 1e6 / (double)cfg->baud);
}

const char *link_fault_name(enum link_fault f)
{
    return (unsigned)f < LINK_FAULT_COUNT ? fault_get((enum fault_id)f)->name : "?";
}

int link_fault_parse(const char *name, enum link_fault *out)
{
    const struct fault_def *d = fault_find(name);
    if (!d || d->id >= FAULT_LINK_COUNT)
        return BMSRIG_ERR_ARG;
    *out = (enum link_fault)d->id;
    return BMSRIG_OK;
}

static void sync_overrides(struct link *l)
{
    uint32_t o = 0;
    if (l->active[LINK_FAULT_STALE])
        o |= BMS_OVR_STALE;
    if (l->active[LINK_FAULT_SERIAL_DEFAULT])
        o |= BMS_OVR_SERIAL_DEFAULT;
    if (l->active[LINK_FAULT_CONFIG_INVALID])
        o |= BMS_OVR_CONFIG_INVALID;
    bms_set_overrides(l->bms, o);
}

int link_fault_set(struct link *l, enum link_fault f, double value)
{
    if (!l || (unsigned)f >= LINK_FAULT_COUNT)
        return BMSRIG_ERR_ARG;
    const struct fault_def *d = fault_get((enum fault_id)f);
    if (d->arg == FAULT_ARG_SWITCH)
        value = 1.0;
    else if (!fault_value_ok(d, value))
        return BMSRIG_ERR_RANGE;
    l->active[f] = true;
    l->value[f] = value;
    sync_overrides(l);
    return BMSRIG_OK;
}

void link_fault_clear(struct link *l, enum link_fault f)
{
    if (!l || (unsigned)f >= LINK_FAULT_COUNT)
        return;
    l->active[f] = false;
    l->value[f] = 0.0;
    sync_overrides(l);
}

bool link_fault_active(const struct link *l, enum link_fault f)
{
    return l && (unsigned)f < LINK_FAULT_COUNT && l->active[f];
}

double link_byte_us(const struct link *l)
{
    return l->byte_us;
}

const struct link_stats *link_stats(const struct link *l)
{
    return &l->stats;
}

void link_set_wire_hook(struct link *l, link_wire_fn fn, void *user)
{
    l->wire_hook = fn;
    l->wire_hook_user = user;
}

/* ---- bus log marks -------------------------------------------------------------------------- */

static const char *const mark_names[LINK_MARK_COUNT] = {
    "esc_tx_open", "bms_tx_open", "corrupt_checksum", "truncate", "garbage",
    "reply_delay", "bit_errors", "bad_checksum", "bad_length", "truncated",
};

const char *link_mark_name(unsigned bit)
{
    return bit < LINK_MARK_COUNT ? mark_names[bit] : NULL;
}

const char *link_marks_format(unsigned marks, char *buf, size_t cap)
{
    if (cap == 0)
        return buf;
    buf[0] = '\0';
    if (marks == 0) {
        snprintf(buf, cap, "ok");
        return buf;
    }
    size_t used = 0;
    for (unsigned bit = 0; bit < LINK_MARK_COUNT; bit++) {
        if (!(marks & (1u << bit)))
            continue;
        int w = snprintf(buf + used, cap - used, "%s%s", used ? "+" : "", mark_names[bit]);
        if (w < 0 || (size_t)w >= cap - used)
            break;
        used += (size_t)w;
    }
    return buf;
}

static void emit_wire(struct link *l, const struct link_wire_frame *f)
{
    if (l->wire_hook)
        l->wire_hook(l->wire_hook_user, f);
}

/* ---- replies -------------------------------------------------------------------------------- */

static int64_t draw_latency_us(struct link *l)
{
    switch (l->cfg.latency) {
    case LINK_LATENCY_OFF:
        return 0;
    case LINK_LATENCY_FIXED:
        return l->cfg.fixed_latency_us;
    case LINK_LATENCY_RECORDED:
        break;
    }
    if (chance(l, LAT_LATE_P))
        return (int64_t)llround(LAT_LATE_MIN_US + (LAT_LATE_MAX_US - LAT_LATE_MIN_US) * rnd_unit(l));
    double u1 = rnd_unit(l), u2 = rnd_unit(l);
    double g = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
    double us = LAT_FAST_MEAN_US + LAT_FAST_SD_US * g;
    if (us < LAT_FAST_MIN_US)
        us = LAT_FAST_MIN_US;
    if (us > LAT_FAST_MAX_US)
        us = LAT_FAST_MAX_US;
    return (int64_t)llround(us);
}

int64_t link_draw_latency_us(struct link *l)
{
    return draw_latency_us(l);
}

/* Queues n bytes starting at start_us as one logged frame; returns false (nothing queued) when
 * the transmit queue is full. */
static bool queue_frame(struct link *l, int64_t start_us, const uint8_t *b, size_t n,
                        unsigned marks, double delay_s)
{
    if (n == 0 || l->txq.count + n > RING_CAP || l->txrec_count == TXREC_CAP) {
        l->stats.tx_queue_full++;
        return false;
    }
    for (size_t i = 0; i < n; i++)
        ring_push(&l->txq, b[i], start_us);
    struct txrec *r = &l->txrec[(l->txrec_head + l->txrec_count) % TXREC_CAP];
    *r = (struct txrec){ .t_us = start_us, .n = n, .marks = marks, .delay_s = delay_s };
    l->txrec_count++;
    /* Only the order is kept here: the in-process wire serialises bytes at the byte time and a
     * real UART paces itself, while a pty passes a whole reply at once. */
    l->tx_busy_until = start_us;
    return true;
}

static void schedule_reply(struct link *l, int64_t now_us, const struct frame *rep)
{
    uint8_t out[FRAME_BYTES_MAX];
    size_t n = 0;
    if (frame_encode(rep, out, sizeof(out), &n) != BMSRIG_OK)
        return;
    int64_t start = now_us + draw_latency_us(l);
    unsigned marks = 0;
    double delay_s = 0.0;
    if (l->active[LINK_FAULT_REPLY_DELAY]) {
        delay_s = l->value[LINK_FAULT_REPLY_DELAY];
        start += (int64_t)llround(delay_s * 1e6);
        marks |= LINK_MARK_DELAY;
    }
    if (start < l->tx_busy_until)
        start = l->tx_busy_until;
    if (l->active[LINK_FAULT_GARBAGE] && chance(l, l->value[LINK_FAULT_GARBAGE])) {
        uint8_t junk[GARBAGE_MAX];
        size_t k = 1 + (size_t)(rnd(l) % GARBAGE_MAX);
        for (size_t i = 0; i < k; i++) {
            uint8_t v;
            do
                v = (uint8_t)(rnd(l) >> 56);
            while (v == FRAME_SYNC0);      /* garbage never starts a frame of its own */
            junk[i] = v;
        }
        queue_frame(l, start, junk, k, LINK_MARK_GARBAGE, 0.0);
        start = l->tx_busy_until;
        l->stats.garbage_bursts++;
    }
    if (l->active[LINK_FAULT_CORRUPT_CHECKSUM] && chance(l, l->value[LINK_FAULT_CORRUPT_CHECKSUM])) {
        out[n - 2] ^= (uint8_t)(1 + rnd(l) % 255);
        marks |= LINK_MARK_CORRUPT;
        l->stats.corrupted++;
    }
    if (l->active[LINK_FAULT_TRUNCATE] && chance(l, l->value[LINK_FAULT_TRUNCATE])) {
        n = 1 + (size_t)(rnd(l) % (n - 1));
        marks |= LINK_MARK_TRUNCATE;
        l->stats.truncated++;
    }
    if (queue_frame(l, start, out, n, marks, delay_s))
        l->stats.replies++;
}

/* Called for each byte leaving the transmit queue (b as sent; rx the byte the controller gets,
 * NULL when lost): logs the head frame once all of its bytes are out. */
static void tx_log_byte(struct link *l, uint8_t b, const uint8_t *rx)
{
    if (l->txrec_count == 0)
        return;
    struct txrec *r = &l->txrec[l->txrec_head];
    l->cur_sent[l->cur_popped++] = b;
    if (!rx)
        r->marks |= LINK_MARK_BMS_TX_OPEN;
    else {
        l->cur_rx[l->cur_nrx++] = *rx;
        if (*rx != b)
            r->marks |= LINK_MARK_BIT_ERRORS;
    }
    if (l->cur_popped < r->n)
        return;
    struct link_wire_frame f = { .t_us = r->t_us, .line = "bms_tx", .sent = l->cur_sent,
                                 .nsent = l->cur_popped, .received = l->cur_rx,
                                 .nreceived = l->cur_nrx, .marks = r->marks,
                                 .delay_s = r->delay_s };
    emit_wire(l, &f);
    l->txrec_head = (l->txrec_head + 1) % TXREC_CAP;
    l->txrec_count--;
    l->cur_popped = l->cur_nrx = 0;
}

/* ---- receiver ------------------------------------------------------------------------------- */

/* The BMS receiver's decoder: requests go to the BMS model; errors are counted (the bus log
 * reports frames from the wire decoder below, which sees them as sent). */
static void on_event(void *user, const struct frame_event *ev)
{
    struct link *l = user;
    if (ev->kind != FRAME_EV_FRAME) {
        l->stats.decode_errors++;
        return;
    }
    l->stats.frames_heard++;
    struct frame rep;
    if (bms_handle_request(l->bms, l->rx_now_us, ev->frame, &rep) == BMS_REQ_REPLY)
        schedule_reply(l, l->rx_now_us, &rep);
}

/* The wire decoder's events: one frame (or bad frame) as the controller sent it. Its bytes are
 * the last wire_dec.fill fed, so their positions give what the BMS receiver got of each. */
static void on_wire_event(void *user, const struct frame_event *ev)
{
    struct link *l = user;
    uint64_t first = l->wire_fed - l->wire_dec.fill;
    uint8_t rx[FRAME_BYTES_MAX];
    size_t nrx = 0;
    unsigned marks = 0;
    for (size_t i = 0; i < ev->raw_len; i++) {
        size_t slot = (size_t)((first + i) % WIRE_HIST);
        if (!l->wire_got[slot]) {
            marks |= LINK_MARK_ESC_TX_OPEN;
            continue;
        }
        rx[nrx++] = l->wire_rx[slot];
        if (l->wire_rx[slot] != ev->raw[i])
            marks |= LINK_MARK_BIT_ERRORS;
    }
    if (ev->kind == FRAME_EV_BAD_CHECKSUM)
        marks |= LINK_MARK_BAD_CHECKSUM;
    else if (ev->kind == FRAME_EV_BAD_LENGTH)
        marks |= LINK_MARK_BAD_LENGTH;
    else if (ev->kind == FRAME_EV_TRUNCATED)
        marks |= LINK_MARK_TRUNCATED;
    /* the first byte's start bit: its stop bit's time less one byte time */
    int64_t t0 = l->wire_t[first % WIRE_HIST] - (int64_t)llround(l->byte_us);
    struct link_wire_frame f = { .t_us = t0, .line = "esc_tx", .sent = ev->raw,
                                 .nsent = ev->raw_len, .received = rx, .nreceived = nrx,
                                 .marks = marks };
    emit_wire(l, &f);
}

static uint8_t flip_bits(struct link *l, uint8_t b)
{
    double ber = l->value[LINK_FAULT_BIT_ERRORS];
    for (unsigned bit = 0; bit < 8; bit++) {
        if (chance(l, ber)) {
            b ^= (uint8_t)(1u << bit);
            l->stats.bit_flips++;
        }
    }
    return b;
}

/* The line was silent from the last byte heard until silent_until_us: a partial frame is
 * dropped if that silence is longer than the gap reset. */
static void rx_gap_check(struct link *l, int64_t silent_until_us, int64_t now_us)
{
    if (l->have_rx && l->dec.fill > 0 && silent_until_us - l->last_rx_us > l->gap_us) {
        l->rx_now_us = now_us;
        frame_decoder_gap(&l->dec);
        l->stats.gap_resets++;
    }
    if (l->wire_have && l->wire_dec.fill > 0 && silent_until_us - l->wire_last_us > l->gap_us)
        frame_decoder_gap(&l->wire_dec);
}

void link_bms_idle(struct link *l, int64_t now_us)
{
    rx_gap_check(l, now_us, now_us);
}

void link_bms_rx(struct link *l, int64_t now_us, const uint8_t *bytes, size_t n)
{
    if (!l || n == 0)
        return;
    /* n bytes ending at now_us took n byte times on the wire: the silence before them ended
     * when the first one started (a chunk delivered at once is not counted as a gap) */
    rx_gap_check(l, now_us - (int64_t)llround((double)n * l->byte_us), now_us);
    bool cut = l->active[LINK_FAULT_ESC_TX];
    if (cut) {
        l->stats.dropped_esc_tx += n;
    } else {
        l->have_rx = true;
        l->last_rx_us = now_us;
        l->rx_now_us = now_us;
        l->stats.bytes_heard += n;
    }
    l->wire_have = true;
    l->wire_last_us = now_us;
    /* Byte by byte, so that every wire decoder event knows each of its bytes' fate. */
    for (size_t i = 0; i < n; i++) {
        size_t slot = (size_t)(l->wire_fed % WIRE_HIST);
        l->wire_got[slot] = !cut;
        l->wire_t[slot] = now_us;
        if (!cut) {
            uint8_t b = l->active[LINK_FAULT_BIT_ERRORS] ? flip_bits(l, bytes[i]) : bytes[i];
            l->wire_rx[slot] = b;
            frame_decoder_feed(&l->dec, &b, 1);
        }
        l->wire_fed++;
        frame_decoder_feed(&l->wire_dec, &bytes[i], 1);
    }
}

size_t link_bms_tx(struct link *l, int64_t now_us, uint8_t *out, size_t cap)
{
    size_t n = 0;
    while (l->txq.count > 0 && l->txq.t[l->txq.head] <= now_us && n < cap) {
        uint8_t b = l->txq.b[l->txq.head];
        ring_pop(&l->txq);
        if (l->active[LINK_FAULT_BMS_TX]) {
            l->stats.dropped_bms_tx++;
            tx_log_byte(l, b, NULL);
            continue;
        }
        uint8_t got = l->active[LINK_FAULT_BIT_ERRORS] ? flip_bits(l, b) : b;
        out[n++] = got;
        l->stats.bytes_sent++;
        tx_log_byte(l, b, &got);
    }
    return n;
}

int64_t link_bms_next_tx_us(const struct link *l)
{
    return l->txq.count ? l->txq.t[l->txq.head] : INT64_MAX;
}

/* ---- in-process wire ------------------------------------------------------------------------ */

int link_esc_send(struct link *l, int64_t now_us, const uint8_t *bytes, size_t n)
{
    if (!l || (!bytes && n))
        return BMSRIG_ERR_ARG;
    if (l->esc_to_bms.count + n > RING_CAP)
        return BMSRIG_ERR_RANGE;
    double t = (double)(now_us > l->esc_busy_until ? now_us : l->esc_busy_until);
    for (size_t i = 0; i < n; i++) {
        t += l->byte_us;
        ring_push(&l->esc_to_bms, bytes[i], (int64_t)llround(t));
    }
    l->esc_busy_until = (int64_t)llround(t);
    return BMSRIG_OK;
}

/* Moves BMS bytes whose start time is <= upto_us onto the wire towards the ESC. */
static void drain_tx(struct link *l, int64_t upto_us)
{
    while (link_bms_next_tx_us(l) <= upto_us) {
        int64_t ts = link_bms_next_tx_us(l);
        uint8_t buf[64];
        size_t k = link_bms_tx(l, ts, buf, sizeof(buf));   /* pops at least one byte */
        for (size_t i = 0; i < k; i++) {
            double s = (double)ts > l->bms_wire_free ? (double)ts : l->bms_wire_free;
            l->bms_wire_free = s + l->byte_us;
            ring_push(&l->bms_to_esc, buf[i], (int64_t)llround(l->bms_wire_free));
        }
    }
}

void link_advance(struct link *l, int64_t now_us)
{
    /* ESC bytes reaching the BMS, each at its own arrival time (this schedules replies);
     * replies due before a byte go out before it */
    while (l->esc_to_bms.count > 0 && l->esc_to_bms.t[l->esc_to_bms.head] <= now_us) {
        uint8_t b = l->esc_to_bms.b[l->esc_to_bms.head];
        int64_t t = l->esc_to_bms.t[l->esc_to_bms.head];
        ring_pop(&l->esc_to_bms);
        drain_tx(l, t);
        link_bms_rx(l, t, &b, 1);
    }
    link_bms_idle(l, now_us);
    drain_tx(l, now_us);
}

size_t link_esc_recv(struct link *l, int64_t now_us, uint8_t *out, int64_t *arrive_us, size_t cap)
{
    size_t n = 0;
    while (l->bms_to_esc.count > 0 && l->bms_to_esc.t[l->bms_to_esc.head] <= now_us && n < cap) {
        out[n] = l->bms_to_esc.b[l->bms_to_esc.head];
        if (arrive_us)
            arrive_us[n] = l->bms_to_esc.t[l->bms_to_esc.head];
        ring_pop(&l->bms_to_esc);
        n++;
    }
    return n;
}

int64_t link_next_event_us(const struct link *l)
{
    int64_t t = INT64_MAX;
    if (l->esc_to_bms.count)
        t = l->esc_to_bms.t[l->esc_to_bms.head];
    if (l->txq.count && l->txq.t[l->txq.head] < t)
        t = l->txq.t[l->txq.head];
    if (l->bms_to_esc.count && l->bms_to_esc.t[l->bms_to_esc.head] < t)
        t = l->bms_to_esc.t[l->bms_to_esc.head];
    if (l->have_rx && l->dec.fill > 0 && l->last_rx_us + l->gap_us + 1 < t)
        t = l->last_rx_us + l->gap_us + 1;
    if (l->wire_have && l->wire_dec.fill > 0 && l->wire_last_us + l->gap_us + 1 < t)
        t = l->wire_last_us + l->gap_us + 1;
    return t;
}

/* ---- life cycle ----------------------------------------------------------------------------- */

struct link *link_new(const struct link_config *cfg, struct bms *bms)
{
    if (!cfg || !bms || cfg->baud < 1200 || cfg->baud > 4000000 ||
        !(cfg->gap_chars >= LINK_GAP_CHARS_MIN && cfg->gap_chars <= LINK_GAP_CHARS_MAX) ||
        cfg->fixed_latency_us < 0)
        return NULL;
    struct link *l = calloc(1, sizeof(*l));
    if (!l)
        return NULL;
    l->cfg = *cfg;
    l->bms = bms;
    l->rng = rng_seed(cfg->seed);
    l->byte_us = 10.0 * 1e6 / (double)cfg->baud;
    l->gap_us = link_config_gap_us(cfg);
    frame_decoder_init(&l->dec, on_event, l);
    frame_decoder_init(&l->wire_dec, on_wire_event, l);
    return l;
}

void link_free(struct link *l)
{
    free(l);
}
