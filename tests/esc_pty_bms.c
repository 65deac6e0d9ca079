/* esc_pty_bms.c: a minimal canned-reply BMS on a new pty, for the real-time tests of
 * `bmsrig esc` (no BMS model: a fixed healthy register image, the recording's values).
 *
 *   esc_pty_bms [--silent] [--duration S] [--latency-ms MS] [--rt]
 *   esc_pty_bms --dash [--duration S] [--rt]
 * --rt: SCHED_FIFO priority 50 where the host permits it (as `bmsrig esc --rt`), so that a loaded
 * test host does not stall the peer past the controller's reply window; silently not otherwise.
 * Prints the pty slave path on the first stdout line, then answers 55 AA reads to 0x22 until
 * the duration ends or SIGTERM comes; prints "requests=N replies=N" at the end. With --dash it plays a
 * dashboard instead: reads 32 bytes at ESC word 0xB0 every 100 ms and prints
 * "reads=N replies=N heads=N reply_error=E head_error=E" (the last error code seen in the
 * 0x23 replies and in byte 11 of the 55 AA 08 21 64 frames). Both end lines carry the peer's
 * own host stalls as a clock reports them (issue 14): "overruns=N worst_ms=X total_ms=Y", a turn
 * of its loop that took more than its 20 ms poll timeout (plus the deliberate reply latency)
 * by 1 ms or more is one overrun of that lateness. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "sim/frame.h"
#include "sim/regmap.h"
#include "sim/status.h"

struct peer {
    int master;
    int silent;
    long latency_ms;
    uint8_t image[REGMAP_BMS_WORDS * 2];
    unsigned long requests, replies;
    int dash;
    unsigned long reads, dash_replies, heads;
    int reply_error, head_error;
    double slept_s;                    /* deliberate reply latency in this loop turn */
    unsigned long overruns;            /* loop turns late by >= 1 ms: the host stalled us */
    double worst_late_s, late_total_s;
};

static void on_dash_event(struct peer *p, const struct frame *f)
{
    if (f->addr == FRAME_ADDR_FROM_ESC && f->cmd == FRAME_CMD_READ && f->arg == 0xB0 &&
        f->payload_len >= 2) {
        p->dash_replies++;
        p->reply_error = f->payload[0] | f->payload[1] << 8;
    } else if (f->addr == FRAME_ADDR_TO_BLE && f->cmd == FRAME_CMD_HEAD_IN &&
               f->payload_len == 6) {
        p->heads++;
        p->head_error = f->payload[5];   /* wire byte 11 */
    }
}

static void on_event(void *user, const struct frame_event *ev)
{
    struct peer *p = user;
    if (ev->kind != FRAME_EV_FRAME)
        return;
    const struct frame *f = ev->frame;
    if (p->dash) {
        on_dash_event(p, f);
        return;
    }
    if (f->addr != FRAME_ADDR_TO_BMS || f->cmd != FRAME_CMD_READ || f->payload_len < 1)
        return;
    p->requests++;
    if (p->silent)
        return;
    size_t n = f->payload[0];
    if (2u * f->arg + n > sizeof(p->image))
        return;
    if (p->latency_ms > 0) {
        struct timespec d = { p->latency_ms / 1000, (p->latency_ms % 1000) * 1000000L };
        nanosleep(&d, NULL);
        p->slept_s += (double)p->latency_ms / 1000.0;
    }
    struct frame r;
    uint8_t raw[FRAME_BYTES_MAX];
    size_t len;
    if (frame_make(&r, FRAME_ADDR_FROM_BMS, FRAME_CMD_READ, f->arg, p->image + 2u * f->arg, n) !=
            BMSRIG_OK ||
        frame_encode(&r, raw, sizeof(raw), &len) != BMSRIG_OK)
        return;
    if (write(p->master, raw, len) == (ssize_t)len)
        p->replies++;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static volatile sig_atomic_t g_term;

static void on_term(int sig)
{
    (void)sig;
    g_term = 1;
}

int main(int argc, char **argv)
{
    struct peer p = { .master = -1 };
    double duration = 10.0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--silent") == 0)
            p.silent = 1;
        else if (strcmp(argv[i], "--dash") == 0)
            p.dash = 1;
        else if (strcmp(argv[i], "--rt") == 0) {
            struct sched_param sp = { .sched_priority = 50 };
            sched_setscheduler(0, SCHED_FIFO, &sp);   /* best effort, as documented */
        }
        else if (strcmp(argv[i], "--duration") == 0 && i + 1 < argc)
            duration = atof(argv[++i]);
        else if (strcmp(argv[i], "--latency-ms") == 0 && i + 1 < argc)
            p.latency_ms = atol(argv[++i]);
        else {
            fprintf(stderr, "esc_pty_bms: bad argument '%s'\n", argv[i]);
            return 2;
        }
    }
    p.master = posix_openpt(O_RDWR | O_NOCTTY);
    if (p.master < 0 || grantpt(p.master) != 0 || unlockpt(p.master) != 0) {
        perror("esc_pty_bms: pty");
        return 3;
    }
    const char *slave = ptsname(p.master);
    /* Raw on the slave side; keep it open so the master never sees a hang-up. */
    int keep = open(slave, O_RDWR | O_NOCTTY);
    if (keep < 0) {
        perror("esc_pty_bms: slave");
        return 3;
    }
    struct termios tio;
    tcgetattr(keep, &tio);
    cfmakeraw(&tio);
    tcsetattr(keep, TCSANOW, &tio);
    tcgetattr(p.master, &tio);
    cfmakeraw(&tio);
    tcsetattr(p.master, TCSANOW, &tio);

    memcpy(p.image + 2 * BMS_W_SERIAL, "3JAGJ17A8D3660", 14);
    regimg_set_u16(p.image, REGMAP_BMS_WORDS, BMS_W_FW, 0x0115);
    regimg_set_u16(p.image, REGMAP_BMS_WORDS, BMS_W_STATUS, 0x0001);
    regimg_set_u16(p.image, REGMAP_BMS_WORDS, BMS_W_REMAINING, 3697);
    regimg_set_u16(p.image, REGMAP_BMS_WORDS, BMS_W_SOC, 47);
    regimg_set_u16(p.image, REGMAP_BMS_WORDS, BMS_W_CURRENT, 3);
    regimg_set_u16(p.image, REGMAP_BMS_WORDS, BMS_W_VOLTAGE, 3594);
    regimg_set_u16(p.image, REGMAP_BMS_WORDS, BMS_W_TEMPS, 0x2B2B);

    printf("%s\n", slave);
    fflush(stdout);

    struct frame_decoder d;
    frame_decoder_init(&d, on_event, &p);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    double end = now_s() + duration;
    double next_read = now_s() + 0.1;
    while (now_s() < end && !g_term) {
        if (p.dash && now_s() >= next_read) {
            static const uint8_t rd[] = { 0x55, 0xAA, 0x03, 0x20, 0x01, 0xB0, 0x20, 0x0B, 0xFF };
            if (write(p.master, rd, sizeof(rd)) == (ssize_t)sizeof(rd))
                p.reads++;
            next_read += 0.1;
        }
        struct pollfd pfd = { .fd = p.master, .events = POLLIN };
        double turn0 = now_s();
        p.slept_s = 0;
        int pr = poll(&pfd, 1, 20);
        if (pr < 0 && errno != EINTR)
            break;
        if (pr > 0 && (pfd.revents & POLLIN)) {
            uint8_t buf[256];
            ssize_t n = read(p.master, buf, sizeof(buf));
            if (n > 0)
                frame_decoder_feed(&d, buf, (size_t)n);
        }
        double late = now_s() - turn0 - 0.020 - p.slept_s;
        if (late >= 0.001) {
            p.overruns++;
            p.late_total_s += late;
            if (late > p.worst_late_s)
                p.worst_late_s = late;
        }
    }
    if (p.dash)
        printf("reads=%lu replies=%lu heads=%lu reply_error=%d head_error=%d", p.reads,
               p.dash_replies, p.heads, p.reply_error, p.head_error);
    else
        printf("requests=%lu replies=%lu", p.requests, p.replies);
    printf(" overruns=%lu worst_ms=%.3f total_ms=%.3f\n", p.overruns, p.worst_late_s * 1e3,
           p.late_total_s * 1e3);
    close(keep);
    close(p.master);
    return 0;
}
