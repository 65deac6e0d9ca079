/* esc_peer.h: a test harness around the virtual controller: a canned-reply BMS peer on the
 * virtual clock (no BMS model), a log of every frame the ESC sends, and a run loop. */
#ifndef BMSRIG_TESTS_ESC_PEER_H
#define BMSRIG_TESTS_ESC_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/esc.h"
#include "sim/frame.h"
#include "sim/regmap.h"

#define PEER_LOG_MAX 8192
#define PEER_QUEUE_MAX 64

struct peer_sent {
    int64_t t_us;
    enum esc_line line;
    uint8_t bytes[FRAME_BYTES_MAX];
    size_t n;
};

struct peer_reply {
    int64_t t_us;                  /* when the reply's bytes arrive at the ESC */
    uint8_t bytes[FRAME_BYTES_MAX];
    size_t n;
};

/* The BMS side: answers a read request from `image` (word-addressed, as a BMS does) after
 * `latency_us`, unless muted. Requests sent before `wake_us` are ignored (a waking BMS). */
struct peer {
    struct esc *e;
    uint8_t image[REGMAP_BMS_WORDS * 2];
    int64_t wake_us;
    int64_t latency_us;
    int64_t mute_from_us, mute_until_us;   /* requests sent in [from, until) get no reply */
    bool silent;                           /* never answers */
    struct peer_reply queue[PEER_QUEUE_MAX];
    size_t nqueue;
    struct peer_sent *log;                 /* owned: PEER_LOG_MAX entries */
    size_t nlog;
    size_t nbms_requests;
};

/* A peer with a healthy default image (the recording's values: serial 3JAGJ17A8D3660, FW 1.1.5,
 * status 0x0001, 3697 mAh, 47 %, 35.94 V, 23/23 C), a fresh ESC with `params` (NULL = M365
 * defaults), replies 1.0 ms after each request, awake from 0. Fails the test on error. */
void peer_init(struct peer *p, const struct esc_params *params);
void peer_free(struct peer *p);

/* Image setters (the BMS register values the peer reports). */
void peer_set_serial(struct peer *p, const char *serial14);
void peer_set_status(struct peer *p, uint16_t status);
void peer_set_u16(struct peer *p, unsigned word, uint16_t value);
void peer_set_temps(struct peer *p, int t1_c, int t2_c);

/* Runs the ESC and the peer up to and including `until_us`, in event order. */
void peer_run(struct peer *p, int64_t until_us);

/* Like peer_run, calling `each(p, t_us, user)` after every ESC tick. */
void peer_run_cb(struct peer *p, int64_t until_us,
                 void (*each)(struct peer *p, int64_t t_us, void *user), void *user);

/* Times (us) of the BMS-line requests the ESC sent, in order, into out[0..cap); returns count. */
size_t peer_request_times(const struct peer *p, int64_t *out, size_t cap);

#endif
