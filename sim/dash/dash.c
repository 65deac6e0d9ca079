/* dash.c: the dashboard model: lever frames and error-word reads out, controller replies in. */
#include "sim/dash/dash.h"

#include <stdio.h>
#include <string.h>

#include "sim/status.h"

/* One read the model can ask for. */
struct dash_read_spec {
    unsigned bit;
    uint8_t word;
    uint8_t bytes;
};

static const struct dash_read_spec dash_reads[] = {
    { DASH_READ_ERROR, DASH_WORD_ERROR, 2 },
    { DASH_READ_STATUS, DASH_WORD_STATUS, DASH_STATUS_READ_BYTES },
    { DASH_READ_VERSION, DASH_WORD_VERSION, 2 },
};
#define DASH_READ_COUNT (sizeof(dash_reads) / sizeof(dash_reads[0]))

#define DASH_SPEED_OFFSET ((0xB5 - DASH_WORD_STATUS) * 2)   /* byte 10 of the 0xB0 reply */

void dash_config_default(struct dash_config *cfg)
{
    cfg->period_ns = DASH_PERIOD_NS_DEFAULT;
    cfg->first_ns = 0;
    cfg->reads = DASH_READ_ERROR | DASH_READ_STATUS | DASH_READ_VERSION;
    cfg->read_period_ns = 0;
}

static void note_error(struct dash *d, int code)
{
    if (!d->obs.have_error || code != d->obs.error_code)
        d->obs.error_since_ns = d->rx_t_ns;
    d->obs.have_error = true;
    d->obs.error_code = code;
    d->obs.error_t_ns = d->rx_t_ns;
}

static void on_reply(struct dash *d, const struct frame *f)
{
    const uint8_t *p = f->payload;
    if (f->arg == DASH_WORD_ERROR && f->payload_len >= 2) {
        note_error(d, p[0] | p[1] << 8);
    } else if (f->arg == DASH_WORD_STATUS && f->payload_len >= 2) {
        note_error(d, p[0] | p[1] << 8);
        if (f->payload_len >= DASH_SPEED_OFFSET + 2) {
            int16_t mph = (int16_t)(uint16_t)(p[DASH_SPEED_OFFSET] | p[DASH_SPEED_OFFSET + 1] << 8);
            d->obs.have_speed = true;
            d->obs.speed_kmh = mph / 1000.0;
        }
    } else if (f->arg == DASH_WORD_VERSION && f->payload_len >= 2) {
        /* a controller still booting answers 0: keep asking until a real version comes */
        d->obs.version = (uint16_t)(p[0] | p[1] << 8);
        d->obs.have_version = d->obs.version != 0;
    } else {
        return;   /* a reply to a read this model never sends */
    }
    d->obs.replies++;
    d->obs.last_reply_ns = d->rx_t_ns;
}

static void on_event(void *user, const struct frame_event *ev)
{
    struct dash *d = user;
    if (ev->kind != FRAME_EV_FRAME)
        return;
    if (ev->frame->addr == FRAME_ADDR_FROM_ESC && ev->frame->cmd == FRAME_CMD_READ)
        on_reply(d, ev->frame);
}

int dash_init(struct dash *d, const struct dash_config *cfg)
{
    if (!d || !cfg || cfg->period_ns <= 0 || cfg->first_ns < 0
        || (cfg->reads & (DASH_READ_ERROR | DASH_READ_STATUS | DASH_READ_VERSION)) == 0
        || cfg->read_period_ns < 0 || cfg->read_period_ns >= cfg->period_ns)
        return BMSRIG_ERR_ARG;
    memset(d, 0, sizeof(*d));
    d->cfg = *cfg;
    d->levers.throttle = 0.0;
    d->levers.brake = 0.0;
    d->next_ns = cfg->first_ns;
    d->next_read_ns = INT64_MAX;
    d->obs.last_reply_ns = -1;
    frame_decoder_init(&d->dec, on_event, d);
    return BMSRIG_OK;
}

void dash_set_levers(struct dash *d, const struct dash_levers *levers)
{
    d->levers = *levers;
}

uint8_t dash_lever_byte(double position)
{
    if (!(position > 0.0))          /* also NaN */
        return DASH_LEVER_RELEASED;
    if (position > 1.0)
        position = 1.0;
    return (uint8_t)(DASH_LEVER_RELEASED + position * (DASH_LEVER_FULL - DASH_LEVER_RELEASED) + 0.5);
}

int64_t dash_next_due_ns(const struct dash *d)
{
    return d->next_ns;
}

/* The next enabled read in the cycle (the version read drops out once answered). */
static const struct dash_read_spec *next_read(struct dash *d)
{
    for (unsigned tries = 0; tries < DASH_READ_COUNT; tries++) {
        const struct dash_read_spec *r = &dash_reads[d->next_read];
        d->next_read = (d->next_read + 1) % DASH_READ_COUNT;
        if (!(d->cfg.reads & r->bit))
            continue;
        if (r->bit == DASH_READ_VERSION && d->obs.have_version)
            continue;
        return r;
    }
    return NULL;   /* only the version read was enabled and it is answered */
}

static size_t encode(const struct frame *f, uint8_t *out, size_t cap)
{
    size_t n = 0;
    return frame_encode(f, out, cap, &n) == BMSRIG_OK ? n : 0;
}

/* A read of the error word alone, between lever frames. */
static size_t read_alone(struct dash *d, int64_t now_ns, uint8_t *out, size_t cap)
{
    d->next_read_ns = now_ns + d->cfg.read_period_ns;
    if (d->next_read_ns > d->next_ns - d->cfg.read_period_ns / 2)
        d->next_read_ns = INT64_MAX;   /* the lever frame's own read comes first */
    if (!(d->cfg.reads & DASH_READ_ERROR))
        return 0;
    const struct dash_read_spec *r = &dash_reads[0];   /* the error word, 2 bytes */
    struct frame f;
    frame_make(&f, FRAME_ADDR_TO_ESC, FRAME_CMD_READ, r->word, &r->bytes, 1);
    d->obs.reads_sent++;
    return encode(&f, out, cap);
}

size_t dash_poll(struct dash *d, int64_t now_ns, uint8_t *out, size_t cap)
{
    if (cap < DASH_BYTES_PER_PERIOD_MAX)
        return 0;
    if (now_ns < d->next_ns)
        return now_ns >= d->next_read_ns ? read_alone(d, now_ns, out, cap) : 0;
    /* the next period strictly after now: missed periods are skipped, not bunched */
    int64_t late = (now_ns - d->next_ns) / d->cfg.period_ns;
    d->next_ns += (late + 1) * d->cfg.period_ns;

    struct frame f;
    const uint8_t lever[5] = { 0x04, dash_lever_byte(d->levers.throttle),
                               dash_lever_byte(d->levers.brake), 0x00, 0x00 };
    frame_make(&f, FRAME_ADDR_TO_ESC, FRAME_CMD_HEAD_OUT, 0x00, lever, sizeof(lever));
    size_t n = encode(&f, out, cap);
    d->obs.frames_sent++;

    const struct dash_read_spec *r = next_read(d);
    if (r) {
        frame_make(&f, FRAME_ADDR_TO_ESC, FRAME_CMD_READ, r->word, &r->bytes, 1);
        n += encode(&f, out + n, cap - n);
        d->obs.reads_sent++;
    }
    if (d->cfg.read_period_ns > 0)
        d->next_read_ns = now_ns + d->cfg.read_period_ns;
    return n;
}

void dash_receive(struct dash *d, int64_t t_ns, const uint8_t *bytes, size_t n)
{
    d->rx_t_ns = t_ns;
    frame_decoder_feed(&d->dec, bytes, n);
}

void dash_gap(struct dash *d)
{
    frame_decoder_gap(&d->dec);
}

const struct dash_observation *dash_observe(const struct dash *d)
{
    return &d->obs;
}

char *dash_version_text(uint16_t version, char *out, size_t cap)
{
    if (cap)
        snprintf(out, cap, "%X.%X.%X", (unsigned)(version >> 8), (unsigned)(version >> 4) & 0xFu,
                 (unsigned)version & 0xFu);
    return out;
}
