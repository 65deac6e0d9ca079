/* esc_bms_link.c: the virtual controller's side of the BMS line: frames out, frames in, and the
 * BMS task (boot handshake, poll, checks of the replies). */
#include "sim/esc_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/frame.h"
#include "sim/regmap.h"
#include "sim/status.h"

/* ==== bytes out ============================================================================== */

void esc_send_frame(struct esc *e, enum esc_line line, uint8_t addr, uint8_t cmd, uint8_t arg,
                    const uint8_t *payload, size_t n)
{
    struct frame f;
    uint8_t raw[FRAME_BYTES_MAX];
    size_t len = 0;
    if (frame_make(&f, addr, cmd, arg, payload, n) != BMSRIG_OK ||
        frame_encode(&f, raw, sizeof(raw), &len) != BMSRIG_OK)
        return;
    if (e->tx_fn) {
        e->tx_fn(e->tx_user, line, e->t_now_us, raw, len);
        return;
    }
    struct txq *q = &e->q[line];
    if (q->len + len > TXQ_BYTES) {
        size_t drop = q->len + len - TXQ_BYTES;
        if (drop > q->len)
            drop = q->len;
        memmove(q->buf, q->buf + drop, q->len - drop);
        q->len -= drop;
        e->tx_dropped += drop;
    }
    memcpy(q->buf + q->len, raw, len);
    q->len += len;
}

static void bms_request(struct esc *e, uint8_t word, uint8_t nbytes)
{
    esc_send_frame(e, ESC_LINE_BMS, FRAME_ADDR_TO_BMS, FRAME_CMD_READ, word, &nbytes, 1);
}

/* ==== bytes in =============================================================================== */

void esc_on_frame_event(void *user, const struct frame_event *ev)
{
    struct esc *e = user;
    if (ev->kind != FRAME_EV_FRAME)
        return;
    size_t *n = &e->npend[e->rx_line];
    if (*n >= PENDING_MAX) {
        e->pend_dropped++;
        return;
    }
    e->pend[e->rx_line][*n].f = *ev->frame;
    e->pend[e->rx_line][*n].t_us = e->rx_now_us;
    (*n)++;
}

static bool temps_bad(const struct esc *e, int t1, int t2)
{
    double lo = e->p.v[ESC_P_TEMP_LOW_C], hi = e->p.v[ESC_P_TEMP_HIGH_C];
    double diff = e->p.v[ESC_P_TEMP_DIFF_C];
    return t1 <= lo || t2 <= lo || t1 >= hi || t2 >= hi || abs(t1 - t2) > diff;
}

/* A BMS reply (0x25, read). The firmware mirrors replies at 2 x ARG when ARG + len/2 < 0x80. */
static void handle_bms_frame(struct esc *e, const struct pending *pf)
{
    const struct frame *f = &pf->f;
    if (f->addr != FRAME_ADDR_FROM_BMS || f->cmd != FRAME_CMD_READ)
        return;
    e->frames_in++;
    /* Boot step 2 (the 0x30 step) is done by any reply that arrives after it began, a late
     * reply to an earlier 0x10 request too: with every reply 150 ms late the stock firmware
     * completes it that way (firmware.md section 5 [O]; the mechanism, a "reply received" flag
     * set by any reply, is our reading [I]). */
    if (!e->bms_ok && e->boot_phase == 1)
        e->got30 = true;
    if ((unsigned)f->arg + f->payload_len / 2u < 0x80u)
        memcpy(e->mirror + 2u * f->arg, f->payload, f->payload_len);
    const uint8_t *d = f->payload;
    if (f->arg == BMS_W_SERIAL && f->payload_len >= 16) {
        memcpy(e->view.serial, d, REGMAP_BMS_SERIAL_LEN);
        e->view.serial[REGMAP_BMS_SERIAL_LEN] = '\0';
        e->view.fw = (uint16_t)(d[14] | d[15] << 8);
        e->view.have_serial = true;
        if (e->boot_phase == 0)
            e->got10 = true;
    } else if (f->arg == BMS_W_STATUS && f->payload_len >= 12) {
        e->view.status = (uint16_t)(d[0] | d[1] << 8);
        e->view.remaining_mah = (uint16_t)(d[2] | d[3] << 8);
        e->view.soc_pct = (uint16_t)(d[4] | d[5] << 8);
        e->view.current_10ma = (int16_t)(uint16_t)(d[6] | d[7] << 8);
        e->view.voltage_10mv = (uint16_t)(d[8] | d[9] << 8);
        e->view.t1_c = (int)d[10] - 20;
        e->view.t2_c = (int)d[11] - 20;
        e->view.have_status = true;
        if (e->bms_ok) {
            e->reply_flag = true;
            e->reply_t_us = pf->t_us;
        }
    }
}

/* A request on the dashboard bus: reads of the ESC image (0x01, and 0x61 with lever data). */
static void handle_dash_frame(struct esc *e, const struct frame *f)
{
    if (f->addr != FRAME_ADDR_TO_ESC || f->payload_len < 1)
        return;
    if (f->cmd != FRAME_CMD_READ && f->cmd != FRAME_CMD_HEAD_READ)
        return;
    size_t n = f->payload[0];
    if (2u * (size_t)f->arg + n > ESC_IMAGE_BYTES || n > FRAME_PAYLOAD_MAX)
        return;
    esc_send_frame(e, ESC_LINE_DASH, FRAME_ADDR_FROM_ESC, FRAME_CMD_READ, f->arg,
                   e->img + 2u * f->arg, n);
}

void esc_process_pending(struct esc *e)
{
    for (size_t i = 0; i < e->npend[ESC_LINE_BMS]; i++)
        handle_bms_frame(e, &e->pend[ESC_LINE_BMS][i]);
    e->npend[ESC_LINE_BMS] = 0;
    for (size_t i = 0; i < e->npend[ESC_LINE_DASH]; i++)
        handle_dash_frame(e, &e->pend[ESC_LINE_DASH][i].f);
    e->npend[ESC_LINE_DASH] = 0;
}

/* ==== BMS task =============================================================================== */

static void boot_call(struct esc *e)
{
    if (e->boot_phase == 0 && e->got10)
        e->boot_phase = 1;
    if (e->boot_phase == 1 && e->got30) {
        e->bms_ok = true;
        /* the first running poll: the next tick of the fixed poll grid (firmware: the task
         * body's phase does not depend on when the handshake completed [O]) */
        uint64_t period = 2u * e->half_ticks;
        uint64_t first = e->poll_phase_ticks % period;
        if (first <= e->k)
            first += ((e->k - first) / period + 1u) * period;
        e->next_task_k = first;
        e->task_sends = true;
        return;
    }
    if (e->boot_calls >= e->boot_tries) {
        e->gave_up = true;
        e->comm_lost = true;
        return;
    }
    if (e->boot_phase == 0)
        bms_request(e, BMS_W_SERIAL, 16);
    else
        bms_request(e, BMS_W_STATUS, 12);
    e->boot_calls++;
    e->boot_requests++;
}


/* The running check found a reply: what the error evaluator will see of the BMS (the identity
 * once per power-on, the temperatures every time: see esc_internal.h). */
static void take_checked(struct esc *e)
{
    if (!e->identity_checked) {
        e->chk.config_invalid = e->view.have_status && !(e->view.status & BMS_STATUS_CONFIG_VALID);
        e->chk.serial_default = esc_serial_is_default(e);
        e->identity_checked = true;
    }
    e->chk.temps_bad = e->view.have_status && temps_bad(e, e->view.t1_c, e->view.t2_c);
}

void esc_bms_task(struct esc *e)
{
    if (!e->bms_ok) {
        if (!e->gave_up && e->k % e->boot_call_ticks == 0)
            boot_call(e);
        return;
    }
    if (e->k != e->next_task_k)
        return;
    e->next_task_k += e->half_ticks;
    if (e->task_sends) {
        bms_request(e, BMS_W_STATUS, 12);
        e->polls++;
        e->reply_flag = false;
    } else if (e->reply_flag) {
        take_checked(e);
        e->good++;
        e->last_good_us = e->reply_t_us;
        e->miss_run = 0;
        e->comm_lost = false;
    } else {
        e->misses++;
        e->miss_run++;
        if (e->miss_run >= e->miss_limit)
            e->comm_lost = true;
    }
    e->task_sends = !e->task_sends;
}
