/* line_watch.c: counts the controller's requests and what reached it, from the wire frames. */
#include "rig/line/line_watch.h"

#include <string.h>

#include "sim/regmap.h"

static void on_received(void *user, const struct frame_event *ev)
{
    struct line_watch *w = user;
    if (ev->kind != FRAME_EV_FRAME) {
        w->c.bad_frames_in++;
        return;
    }
    const struct frame *f = ev->frame;
    if (f->addr != FRAME_ADDR_FROM_BMS || f->cmd != FRAME_CMD_READ)
        return;
    w->c.replies++;
    if (f->arg == BMS_W_STATUS && w->poll_open) {   /* the status word the polls read */
        w->poll_open = false;
        w->c.unanswered_run = 0;
    }
}

void line_watch_init(struct line_watch *w)
{
    memset(w, 0, sizeof(*w));
    w->c.handshake_us = -1;
    w->c.last_request_us = -1;
    frame_decoder_init(&w->dec, on_received, w);
}

/* A request the controller sent (decoded from the bytes as sent). */
static void on_request(struct line_watch *w, int64_t t_us, const struct frame *f)
{
    struct line_watch_counts *c = &w->c;
    if (w->poll_open)
        c->polls_unanswered++;   /* the previous poll's reply never came whole */
    w->poll_open = false;
    bool status = f->cmd == FRAME_CMD_READ && f->arg == BMS_W_STATUS;
    if (!c->handshake && status && c->last_request_us >= 0 &&
        t_us - c->last_request_us >= LINE_WATCH_RUNNING_GAP_US) {
        c->handshake = true;
        c->handshake_us = t_us;
    }
    c->requests++;
    if (!c->handshake) {
        c->boot_requests++;
    } else if (status) {
        c->polls++;
        w->poll_open = true;
        c->unanswered_run++;
    }
    c->last_request_us = t_us;
}

/* The first valid frame of the controller's bytes. */
struct first_frame {
    bool found;
    struct frame f;
};

static void on_sent_event(void *user, const struct frame_event *ev)
{
    struct first_frame *out = user;
    if (ev->kind == FRAME_EV_FRAME && !out->found) {
        out->found = true;
        out->f = *ev->frame;
    }
}

void line_watch_frame(struct line_watch *w, const struct link_wire_frame *f)
{
    if (strcmp(f->line, "esc_tx") == 0) {
        struct frame_decoder d;
        struct first_frame req = { .found = false };
        frame_decoder_init(&d, on_sent_event, &req);
        frame_decoder_feed(&d, f->sent, f->nsent);
        if (req.found)
            on_request(w, f->t_us, &req.f);
    } else if (f->nreceived) {
        frame_decoder_feed(&w->dec, f->received, f->nreceived);
    }
}

const struct line_watch_counts *line_watch_counts(const struct line_watch *w) { return &w->c; }
