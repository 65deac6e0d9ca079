/* line_watch.h: the BMS data line as a logic analyser on it sees the controller: its requests
 * as it sent them and the BMS's frames as they reached its receive pin. Facts about the
 * controller that cross the wire (boot retries, running polls, polls left without an intact
 * reply, damaged frames delivered to it) without reading the controller's internals, so the
 * same counts hold for the virtual controller, a firmware image and a real controller on a
 * bench (where the received bytes are what the rig's line delivered).
 *
 * Fed from the link's wire hook (link_set_wire_hook): one call per frame per wire. Pure: no
 * I/O, no clocks, no allocation. Owner: rig/line/ (issue 11, branch fw-stock). */
#ifndef BMSRIG_RIG_LINE_WATCH_H
#define BMSRIG_RIG_LINE_WATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "rig/line/link.h"
#include "sim/frame.h"

/* A request this long after the controller's previous one is a running poll, not a boot retry:
 * the boot retries are 15.00 ms apart, the first running poll comes 75-90 ms after the
 * handshake's last request and the later ones 210 ms apart [O] firmware.md section 5; 50 ms
 * lies between [I]. */
#define LINE_WATCH_RUNNING_GAP_US 50000

struct line_watch_counts {
    uint64_t requests;        /* every frame the controller sent */
    uint64_t boot_requests;   /* requests before the handshake (the boot retries, 0x10 and the
                                 boot step's 0x30) */
    uint64_t polls;           /* status reads (word 0x30) from the handshake on */
    uint64_t replies;         /* intact BMS reads (0x25/0x01) decoded at the controller's pin */
    uint64_t bad_frames_in;   /* damaged frames at its pin: bad checksum, bad length or cut
                                 short, as a stream decoder counts them */
    uint64_t polls_unanswered;/* polls with no intact status reply before the next request */
    uint64_t unanswered_run;  /* the latest polls in a row without an intact status reply, the
                                 one in flight included (0 right after an intact reply) */
    bool handshake;           /* the controller went from boot retries to running polls */
    int64_t handshake_us;     /* when (the first running poll's start), -1 before */
    int64_t last_request_us;  /* -1 before the first request */
};

struct line_watch {
    struct line_watch_counts c;
    bool poll_open;           /* the latest poll has had no intact status reply yet */
    struct frame_decoder dec; /* the BMS frames as received, one stream */
};

/* Starts counting from zero (a controller power-on: a new boot). */
void line_watch_init(struct line_watch *w);

/* One frame on one wire, as the link's wire hook reports it. */
void line_watch_frame(struct line_watch *w, const struct link_wire_frame *f);

const struct line_watch_counts *line_watch_counts(const struct line_watch *w);

#endif
