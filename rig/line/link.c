/* link.c: the BMS side of the data line in caller time: receiver with gap reset, reply timing,
 * protocol faults, and the in-process byte-timed wire for the virtual target. */
#include "rig/line/link.h"

#include <math.h>
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

    struct link_stats stats;
    link_frame_fn hook;
    void *hook_user;
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

bool link_fault_is_switch(enum link_fault f)
{
    return (unsigned)f < LINK_FAULT_COUNT && fault_get((enum fault_id)f)->arg == FAULT_ARG_SWITCH;
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

void link_set_frame_hook(struct link *l, link_frame_fn fn, void *user)
{
    l->hook = fn;
    l->hook_user = user;
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

static void queue_bytes(struct link *l, int64_t start_us, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!ring_push(&l->txq, b[i], start_us))
            break;
    /* Only the order is kept here: the in-process wire serialises bytes at the byte time and a
     * real UART paces itself, while a pty passes a whole reply at once. */
    l->tx_busy_until = start_us;
}

static void schedule_reply(struct link *l, int64_t now_us, const struct frame *rep)
{
    uint8_t out[FRAME_BYTES_MAX];
    size_t n = 0;
    if (frame_encode(rep, out, sizeof(out), &n) != BMSRIG_OK)
        return;
    int64_t start = now_us + draw_latency_us(l);
    if (l->active[LINK_FAULT_REPLY_DELAY])
        start += (int64_t)llround(l->value[LINK_FAULT_REPLY_DELAY] * 1e6);
    if (start < l->tx_busy_until)
        start = l->tx_busy_until;
    const char *check = "ok";
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
        if (l->hook)
            l->hook(l->hook_user, start, "bms_tx", junk, k,
                    link_fault_name(LINK_FAULT_GARBAGE));
        queue_bytes(l, start, junk, k);
        start = l->tx_busy_until;
        l->stats.garbage_bursts++;
    }
    if (l->active[LINK_FAULT_CORRUPT_CHECKSUM] && chance(l, l->value[LINK_FAULT_CORRUPT_CHECKSUM])) {
        out[n - 2] ^= (uint8_t)(1 + rnd(l) % 255);
        check = link_fault_name(LINK_FAULT_CORRUPT_CHECKSUM);
        l->stats.corrupted++;
    }
    if (l->active[LINK_FAULT_TRUNCATE] && chance(l, l->value[LINK_FAULT_TRUNCATE])) {
        n = 1 + (size_t)(rnd(l) % (n - 1));
        check = link_fault_name(LINK_FAULT_TRUNCATE);
        l->stats.truncated++;
    }
    if (l->active[LINK_FAULT_BMS_TX])
        check = "bms_tx_open";   /* the log's label, an alias of bms_tx in the fault table */
    if (l->hook)
        l->hook(l->hook_user, start, "bms_tx", out, n, check);
    queue_bytes(l, start, out, n);
    l->stats.replies++;
}

/* ---- receiver ------------------------------------------------------------------------------- */

/* Start bit of a frame of n bytes whose last byte arrived now (the recordings' t_s). */
static int64_t frame_start_us(const struct link *l, size_t n)
{
    return l->rx_now_us - (int64_t)llround((double)n * l->byte_us);
}

static void on_event(void *user, const struct frame_event *ev)
{
    struct link *l = user;
    if (ev->kind != FRAME_EV_FRAME) {
        l->stats.decode_errors++;
        if (l->hook) {
            const char *why = ev->kind == FRAME_EV_BAD_CHECKSUM ? "bad_checksum"
                              : ev->kind == FRAME_EV_BAD_LENGTH ? "bad_length"
                                                                : "truncated";
            l->hook(l->hook_user, frame_start_us(l, ev->raw_len), "esc_tx", ev->raw,
                    ev->raw_len, why);
        }
        return;
    }
    l->stats.frames_heard++;
    if (l->hook)
        l->hook(l->hook_user, frame_start_us(l, ev->raw_len), "esc_tx", ev->raw, ev->raw_len,
                "ok");
    struct frame rep;
    if (bms_handle_request(l->bms, l->rx_now_us, ev->frame, &rep) == BMS_REQ_REPLY)
        schedule_reply(l, l->rx_now_us, &rep);
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
}

void link_bms_idle(struct link *l, int64_t now_us)
{
    rx_gap_check(l, now_us, now_us);
}

void link_bms_rx(struct link *l, int64_t now_us, const uint8_t *bytes, size_t n)
{
    if (!l || n == 0)
        return;
    if (l->active[LINK_FAULT_ESC_TX]) {
        l->stats.dropped_esc_tx += n;
        return;
    }
    /* n bytes ending at now_us took n byte times on the wire: the silence before them ended
     * when the first one started (a chunk delivered at once is not counted as a gap) */
    rx_gap_check(l, now_us - (int64_t)llround((double)n * l->byte_us), now_us);
    l->have_rx = true;
    l->last_rx_us = now_us;
    l->rx_now_us = now_us;
    l->stats.bytes_heard += n;
    if (l->active[LINK_FAULT_BIT_ERRORS]) {
        for (size_t i = 0; i < n; i++) {
            uint8_t b = flip_bits(l, bytes[i]);
            frame_decoder_feed(&l->dec, &b, 1);
        }
        return;
    }
    frame_decoder_feed(&l->dec, bytes, n);
}

size_t link_bms_tx(struct link *l, int64_t now_us, uint8_t *out, size_t cap)
{
    size_t n = 0;
    while (l->txq.count > 0 && l->txq.t[l->txq.head] <= now_us && n < cap) {
        uint8_t b = l->txq.b[l->txq.head];
        ring_pop(&l->txq);
        if (l->active[LINK_FAULT_BMS_TX]) {
            l->stats.dropped_bms_tx++;
            continue;
        }
        if (l->active[LINK_FAULT_BIT_ERRORS])
            b = flip_bits(l, b);
        out[n++] = b;
        l->stats.bytes_sent++;
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
    return l;
}

void link_free(struct link *l)
{
    free(l);
}
