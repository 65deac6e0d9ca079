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
#include "sim/dash/dash.h"
#include "sim/frame.h"
#include "sim/regmap.h"
#include "sim/status.h"

#define IO_CHUNK 512

struct dut_serial {
    struct transport bms;
    struct transport dash;
    bool have_dash;
    struct dash dash_model;      /* the dashboard we play on the dashboard line (sim/dash) */
    int last_error;              /* the error word last logged, -1 before the first */
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
    d->last_error = -1;
    int rc = open_port(&d->bms, bms_port, err, errcap);
    if (rc == BMSRIG_OK && dash_port && dash_port[0]) {
        rc = open_port(&d->dash, dash_port, err, errcap);
        d->have_dash = rc == BMSRIG_OK;
    }
    if (rc != BMSRIG_OK) {
        dut_serial_close(d);
        return rc;
    }
    /* The same dashboard as the firmware target's (lever frame + one read every 100 ms,
     * cycling the error word, the 0xB0 block and the version until it is answered). */
    struct dash_config dc;
    dash_config_default(&dc);
    if (dash_init(&d->dash_model, &dc) != BMSRIG_OK) {
        dut_serial_close(d);
        snprintf(err, errcap, "dashboard model: bad configuration");
        return BMSRIG_ERR_BUG;
    }
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
    /* dashboard line: the controller's replies (a pty or device gives no arrival time: they
     * count as arrived now), then the model's frames when due */
    const int64_t now_ns = now_us * 1000;
    while ((n = transport_read(&d->dash, buf, sizeof(buf))) > 0) {
        dash_receive(&d->dash_model, now_ns, buf, (size_t)n);
        const struct dash_observation *o = dash_observe(&d->dash_model);
        if (o->have_error && o->error_code != d->last_error) {
            if (d->last_error >= 0)
                br_info("controller error word %d -> %d", d->last_error, o->error_code);
            d->last_error = o->error_code;
        }
    }
    if (n < 0)
        return BMSRIG_ERR_IO;
    uint8_t out[DASH_BYTES_PER_PERIOD_MAX];
    if (now_ns >= dash_next_due_ns(&d->dash_model))
        dash_gap(&d->dash_model);   /* a partial reply left from the last period is dropped */
    size_t m = dash_poll(&d->dash_model, now_ns, out, sizeof(out));
    if (m && transport_write(&d->dash, out, m) < 0)
        return BMSRIG_ERR_IO;
    return BMSRIG_OK;
}

void dut_serial_set_levers(struct dut_serial *d, double throttle, double brake)
{
    /* the model clamps to 0..1 and sends NaN as released */
    struct dash_levers lv = { .throttle = throttle, .brake = brake };
    dash_set_levers(&d->dash_model, &lv);
}

bool dut_serial_alive(const struct dut_serial *d, int64_t now_us)
{
    const struct dash_observation *o = dash_observe(&d->dash_model);
    return d->have_dash && o->last_reply_ns >= 0 &&
           now_us * 1000 - o->last_reply_ns <= DUT_DASH_STALE_US * 1000;
}

int dut_serial_error(const struct dut_serial *d, int64_t now_us)
{
    const struct dash_observation *o = dash_observe(&d->dash_model);
    return dut_serial_alive(d, now_us) && o->have_error ? o->error_code : -1;
}

bool dut_serial_version(const struct dut_serial *d, uint16_t *out)
{
    const struct dash_observation *o = dash_observe(&d->dash_model);
    if (!d->have_dash || !o->have_version)
        return false;
    *out = o->version;
    return true;
}

bool dut_serial_has_dash(const struct dut_serial *d) { return d->have_dash; }
double dut_serial_speed_kmh(const struct dut_serial *d)
{
    const struct dash_observation *o = dash_observe(&d->dash_model);
    return o->have_speed ? o->speed_kmh : 0.0;
}
uint64_t dut_serial_bytes_in(const struct dut_serial *d) { return d->bytes_in; }
uint64_t dut_serial_bytes_out(const struct dut_serial *d) { return d->bytes_out; }
