/* dut_serial.c: a real controller on a bench's BMS and dashboard serial lines. */
#define LOG_PREFIX "dut"
#include "rig/line/dut_serial.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rig/line/link.h"
#include "rig/util/log.h"
#include "rig/line/transport.h"
#include "sim/frame.h"
#include "sim/regmap.h"
#include "sim/status.h"

#define IO_CHUNK 512
#define DASH_WORD 0xB0
#define DASH_BYTES 12      /* words 0xB0 .. 0xB5: error .. speed */

struct dut_serial {
    struct transport bms;
    struct transport dash;
    bool have_dash;
    struct frame_decoder dec;
    int error;
    double speed_kmh;
    int64_t last_reply_us;
    int64_t next_poll_us;
    bool got_reply;          /* set by the decoder callback */
    double throttle, brake;
    uint64_t bytes_in, bytes_out;
    uint8_t pending[IO_CHUNK];   /* link bytes not yet accepted by the BMS line */
    size_t npending;
    uint8_t held[IO_CHUNK];      /* controller bytes read while waiting for its first request */
    size_t nheld;
    bool saw_request;            /* set by the wait's decoder callback */
};

static int open_port(struct transport *t, const char *port, char *err, size_t errcap)
{
    memset(t, 0, sizeof(*t));
    t->fd = -1;
    t->keep_fd = -1;
    int rc = strcmp(port, "pty") == 0 ? transport_open_pty(t)
                                      : transport_open_serial(t, port, LINK_BAUD_DEFAULT);
    if (rc != BMSRIG_OK)
        snprintf(err, errcap, "serial line '%s': %s", port, bmsrig_strerror(rc));
    return rc;
}

static void on_dash_frame(void *user, const struct frame_event *ev)
{
    struct dut_serial *d = user;
    if (ev->kind != FRAME_EV_FRAME)
        return;
    const struct frame *f = ev->frame;
    if (f->addr != FRAME_ADDR_FROM_ESC || f->cmd != FRAME_CMD_READ || f->arg != DASH_WORD ||
        f->payload_len < DASH_BYTES)
        return;
    d->error = f->payload[0] | (f->payload[1] << 8);
    int16_t mph = (int16_t)(f->payload[10] | (f->payload[11] << 8));
    d->speed_kmh = mph / 1000.0;  /* word 0xB5: m/h, signed (protocol.md 4.5) */
    d->got_reply = true;
}

int dut_serial_open(struct dut_serial **out, const char *bms_port, const char *dash_port,
                    char *err, size_t errcap)
{
    *out = NULL;
    struct dut_serial *d = calloc(1, sizeof(*d));
    if (!d) {
        snprintf(err, errcap, "out of memory");
        return BMSRIG_ERR_NOMEM;
    }
    d->bms.fd = d->bms.keep_fd = d->dash.fd = d->dash.keep_fd = -1;
    d->error = -1;
    d->last_reply_us = -1;
    int rc = open_port(&d->bms, bms_port, err, errcap);
    if (rc == BMSRIG_OK && dash_port && dash_port[0]) {
        rc = open_port(&d->dash, dash_port, err, errcap);
        d->have_dash = rc == BMSRIG_OK;
    }
    if (rc != BMSRIG_OK) {
        dut_serial_close(d);
        return rc;
    }
    frame_decoder_init(&d->dec, on_dash_frame, d);
    *out = d;
    return BMSRIG_OK;
}

void dut_serial_close(struct dut_serial *d)
{
    if (!d)
        return;
    transport_close(&d->bms);
    transport_close(&d->dash);
    free(d);
}

const char *dut_serial_bms_path(const struct dut_serial *d) { return d->bms.path; }
const char *dut_serial_dash_path(const struct dut_serial *d)
{
    return d->have_dash ? d->dash.path : "";
}

static int send_dash_poll(struct dut_serial *d)
{
    /* A dashboard's lever frame: read words 0xB0.. with throttle and brake bytes (0x61,
     * protocol.md 4.5: 55 AA 06 20 61 <ofs> <len> <x> <thr> <brk>). Lever bytes span the
     * stock range 0x26..0xC2 [S augisbud m365client.h ranges; [I] the exact ends]. */
    uint8_t payload[4] = {
        DASH_BYTES, 0x00,
        (uint8_t)(0x26 + d->throttle * (0xC2 - 0x26)),
        (uint8_t)(0x26 + d->brake * (0xC2 - 0x26)),
    };
    struct frame f;
    uint8_t buf[FRAME_BYTES_MAX];
    size_t n = 0;
    if (frame_make(&f, FRAME_ADDR_TO_ESC, FRAME_CMD_HEAD_READ, DASH_WORD, payload, 4) != BMSRIG_OK ||
        frame_encode(&f, buf, sizeof(buf), &n) != BMSRIG_OK)
        return BMSRIG_ERR_BUG;
    ssize_t w = transport_write(&d->dash, buf, n);
    return w < 0 ? BMSRIG_ERR_IO : BMSRIG_OK;
}

static void on_bms_request(void *user, const struct frame_event *ev)
{
    struct dut_serial *d = user;
    if (ev->kind == FRAME_EV_FRAME && ev->frame->addr == FRAME_ADDR_TO_BMS)
        d->saw_request = true;
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int dut_serial_wait_request(struct dut_serial *d, double timeout_s, volatile sig_atomic_t *stop,
                            char *err, size_t errcap)
{
    struct frame_decoder dec;
    frame_decoder_init(&dec, on_bms_request, d);
    d->saw_request = false;
    const double end = mono_s() + timeout_s;
    while (!d->saw_request) {
        if (stop && *stop)
            return BMSRIG_ERR_STATE;
        double left = end - mono_s();
        if (left <= 0) {
            snprintf(err, errcap, "no request from the controller on %s within %g s (is it "
                     "connected and powered? --dut-wait S waits longer, 0 starts at once)",
                     d->bms.path, timeout_s);
            return BMSRIG_ERR_TIMEOUT;
        }
        struct pollfd p = { .fd = d->bms.fd, .events = POLLIN };
        int ms = left > 0.1 ? 100 : (int)(left * 1000) + 1;
        int pr = poll(&p, 1, ms);
        if (pr < 0 && errno != EINTR) {
            snprintf(err, errcap, "%s: %s", d->bms.path, strerror(errno));
            return BMSRIG_ERR_IO;
        }
        if (pr <= 0)
            continue;
        if (d->nheld == sizeof(d->held)) {
            /* a full buffer without a request: keep the newest half (the request, when it
             * comes, is what the link must hear) */
            memmove(d->held, d->held + sizeof(d->held) / 2, sizeof(d->held) / 2);
            d->nheld = sizeof(d->held) / 2;
        }
        ssize_t n = transport_read(&d->bms, d->held + d->nheld, sizeof(d->held) - d->nheld);
        if (n < 0) {
            snprintf(err, errcap, "%s: %s", d->bms.path, strerror(errno));
            return BMSRIG_ERR_IO;
        }
        if (n > 0) {
            frame_decoder_feed(&dec, d->held + d->nheld, (size_t)n);
            d->nheld += (size_t)n;
            d->bytes_in += (uint64_t)n;
        }
    }
    return BMSRIG_OK;
}

int dut_serial_tick(struct dut_serial *d, struct link *l, int64_t now_us)
{
    uint8_t buf[IO_CHUNK];
    ssize_t n;
    if (d->nheld) {
        /* what the wait for the first request read: heard now */
        link_bms_rx(l, now_us, d->held, d->nheld);
        d->nheld = 0;
    }
    /* controller -> fake BMS */
    while ((n = transport_read(&d->bms, buf, sizeof(buf))) > 0) {
        d->bytes_in += (uint64_t)n;
        link_bms_rx(l, now_us, buf, (size_t)n);
    }
    if (n < 0)
        return BMSRIG_ERR_IO;
    link_bms_idle(l, now_us);
    /* fake BMS -> controller */
    if (d->npending < sizeof(d->pending))
        d->npending += link_bms_tx(l, now_us, d->pending + d->npending,
                                   sizeof(d->pending) - d->npending);
    if (d->npending) {
        ssize_t w = transport_write(&d->bms, d->pending, d->npending);
        if (w < 0)
            return BMSRIG_ERR_IO;
        memmove(d->pending, d->pending + w, d->npending - (size_t)w);
        d->npending -= (size_t)w;
        d->bytes_out += (uint64_t)w;
    }
    if (!d->have_dash)
        return BMSRIG_OK;
    /* dashboard line */
    while ((n = transport_read(&d->dash, buf, sizeof(buf))) > 0) {
        int before = d->error;
        d->got_reply = false;
        frame_decoder_feed(&d->dec, buf, (size_t)n);
        if (d->got_reply)
            d->last_reply_us = now_us;
        if (before != d->error)
            br_info("controller error word %d -> %d", before, d->error);
    }
    if (n < 0)
        return BMSRIG_ERR_IO;
    if (now_us >= d->next_poll_us) {
        frame_decoder_gap(&d->dec);
        d->next_poll_us = now_us + DUT_DASH_POLL_US;
        if (send_dash_poll(d) != BMSRIG_OK)
            return BMSRIG_ERR_IO;
    }
    return BMSRIG_OK;
}

void dut_serial_set_levers(struct dut_serial *d, double throttle, double brake)
{
    /* written so that NaN falls to 0 (released), not through to the byte conversion */
    d->throttle = throttle > 0 ? (throttle < 1 ? throttle : 1) : 0;
    d->brake = brake > 0 ? (brake < 1 ? brake : 1) : 0;
}

bool dut_serial_alive(const struct dut_serial *d, int64_t now_us)
{
    return d->last_reply_us >= 0 && now_us - d->last_reply_us <= DUT_DASH_STALE_US;
}

int dut_serial_error(const struct dut_serial *d, int64_t now_us)
{
    return dut_serial_alive(d, now_us) ? d->error : -1;
}

bool dut_serial_has_dash(const struct dut_serial *d) { return d->have_dash; }
double dut_serial_speed_kmh(const struct dut_serial *d) { return d->speed_kmh; }
uint64_t dut_serial_bytes_in(const struct dut_serial *d) { return d->bytes_in; }
uint64_t dut_serial_bytes_out(const struct dut_serial *d) { return d->bytes_out; }
