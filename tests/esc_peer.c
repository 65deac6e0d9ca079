/* esc_peer.c: the canned-reply BMS peer and run loop for the virtual-controller tests. */
#include "esc_peer.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "sim/status.h"

static void on_tx(void *user, enum esc_line line, int64_t t_us, const uint8_t *bytes, size_t n)
{
    struct peer *p = user;
    cr_assert_lt(p->nlog, PEER_LOG_MAX, "ESC sent more frames than the log holds");
    struct peer_sent *s = &p->log[p->nlog++];
    s->t_us = t_us;
    s->line = line;
    cr_assert_leq(n, sizeof(s->bytes));
    memcpy(s->bytes, bytes, n);
    s->n = n;
    if (line != ESC_LINE_BMS)
        return;
    p->nbms_requests++;
    /* A read request: 55 AA 03 22 01 ARG LEN ck ck. */
    if (n != 9 || bytes[3] != FRAME_ADDR_TO_BMS || bytes[4] != FRAME_CMD_READ)
        return;
    if (p->silent || t_us < p->wake_us || (t_us >= p->mute_from_us && t_us < p->mute_until_us))
        return;
    unsigned arg = bytes[5], len = bytes[6];
    if (2u * arg + len > sizeof(p->image))
        return;
    struct frame f;
    cr_assert_eq(frame_make(&f, FRAME_ADDR_FROM_BMS, FRAME_CMD_READ, (uint8_t)arg,
                            p->image + 2u * arg, len), BMSRIG_OK);
    cr_assert_lt(p->nqueue, PEER_QUEUE_MAX);
    struct peer_reply *r = &p->queue[p->nqueue++];
    r->t_us = t_us + p->latency_us;
    cr_assert_eq(frame_encode(&f, r->bytes, sizeof(r->bytes), &r->n), BMSRIG_OK);
}

void peer_init(struct peer *p, const struct esc_params *params)
{
    memset(p, 0, sizeof(*p));
    p->log = calloc(PEER_LOG_MAX, sizeof(*p->log));
    cr_assert_not_null(p->log);
    p->e = esc_new(params);
    cr_assert_not_null(p->e);
    esc_set_tx(p->e, on_tx, p);
    esc_set_supply_v(p->e, 36.0);
    p->latency_us = 1000;
    p->mute_from_us = p->mute_until_us = -1;
    peer_set_serial(p, "3JAGJ17A8D3660");
    peer_set_u16(p, BMS_W_FW, 0x0115);
    peer_set_status(p, 0x0001);
    peer_set_u16(p, BMS_W_REMAINING, 3697);
    peer_set_u16(p, BMS_W_SOC, 47);
    peer_set_u16(p, BMS_W_CURRENT, 3);
    peer_set_u16(p, BMS_W_VOLTAGE, 3594);
    peer_set_temps(p, 23, 23);
}

void peer_free(struct peer *p)
{
    esc_free(p->e);
    free(p->log);
    p->log = NULL;
}

void peer_set_serial(struct peer *p, const char *serial14)
{
    cr_assert_eq(strlen(serial14), REGMAP_BMS_SERIAL_LEN);
    memcpy(p->image + 2u * BMS_W_SERIAL, serial14, REGMAP_BMS_SERIAL_LEN);
}

void peer_set_u16(struct peer *p, unsigned word, uint16_t value)
{
    cr_assert_eq(regimg_set_u16(p->image, REGMAP_BMS_WORDS, word, value), BMSRIG_OK);
}

void peer_set_status(struct peer *p, uint16_t status)
{
    peer_set_u16(p, BMS_W_STATUS, status);
}

void peer_set_temps(struct peer *p, int t1_c, int t2_c)
{
    peer_set_u16(p, BMS_W_TEMPS, (uint16_t)((t1_c + 20) & 0xFF) | (uint16_t)(((t2_c + 20) & 0xFF) << 8));
}

static size_t earliest_reply(const struct peer *p)
{
    size_t best = p->nqueue;
    for (size_t i = 0; i < p->nqueue; i++)
        if (best == p->nqueue || p->queue[i].t_us < p->queue[best].t_us)
            best = i;
    return best;
}

void peer_run_cb(struct peer *p, int64_t until_us,
                 void (*each)(struct peer *p, int64_t t_us, void *user), void *user)
{
    for (;;) {
        int64_t t_tick = esc_next_tick_us(p->e);
        size_t r = earliest_reply(p);
        int64_t t_reply = r < p->nqueue ? p->queue[r].t_us : INT64_MAX;
        if (t_reply < t_tick && t_reply <= until_us) {
            struct peer_reply rep = p->queue[r];
            p->queue[r] = p->queue[--p->nqueue];
            esc_rx(p->e, ESC_LINE_BMS, rep.t_us, rep.bytes, rep.n);
            continue;
        }
        if (t_tick > until_us)
            break;
        esc_tick(p->e, t_tick);
        if (each)
            each(p, t_tick, user);
    }
}

void peer_run(struct peer *p, int64_t until_us)
{
    peer_run_cb(p, until_us, NULL, NULL);
}

size_t peer_request_times(const struct peer *p, int64_t *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < p->nlog && n < cap; i++)
        if (p->log[i].line == ESC_LINE_BMS)
            out[n++] = p->log[i].t_us;
    return n;
}
