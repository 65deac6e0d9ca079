/* bms_poller.c: a test peer in its own process playing the ESC on a pty: sends 0x30 polls and
 * checks that each is answered, optionally with random garbage between polls (soak).
 *
 *     bms_poller PTY --polls N [--interval-ms M]    N polls back to back (or M ms apart)
 *     bms_poller PTY --garbage-seconds S [--seed N] garbage, a pause, a poll ... for S seconds
 *
 * With --polls, --split-gap-us LO:HI writes each poll as a bursty USB or pty bridge delivers it:
 * split at 1 to 3 random points, with a random pause of LO..HI microseconds at each split
 * (the longest pause actually taken is printed); --timeout-ms T waits T ms for each reply
 * (default 500).
 *
 * --no-wait skips the warm-up (polls until the BMS first answers), for a BMS that must stay
 * silent; --dump FILE writes every frame received, as hex, one a line (`bmsrig decode FILE`).
 * Prints one summary line (with the bytes received); exits 0 if every valid poll was answered,
 * 1 otherwise, 2 on usage. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rig/line/transport.h"
#include "sim/frame.h"

static const uint8_t POLL30[] = { 0x55, 0xAA, 0x03, 0x22, 0x01, 0x30, 0x0C, 0x9D, 0xFF };

struct waiter {
    bool got;
    unsigned long other_frames;
    unsigned long bytes_in;
    FILE *dump;             /* NULL, or where each frame received goes as hex */
};

static void on_event(void *user, const struct frame_event *ev)
{
    struct waiter *w = user;
    if (ev->kind != FRAME_EV_FRAME)
        return;
    if (w->dump) {
        for (size_t i = 0; i < ev->raw_len; i++)
            fprintf(w->dump, "%02X", ev->raw[i]);
        fputc('\n', w->dump);
    }
    if (ev->frame->addr == 0x25 && ev->frame->cmd == 0x01 && ev->frame->arg == 0x30 &&
        ev->frame->payload_len == 12)
        w->got = true;
    else
        w->other_frames++;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* Discards what is waiting (a late reply, counted in bytes_in) and resets the decoder. */
static void drain(int fd, struct frame_decoder *d, struct waiter *w)
{
    uint8_t buf[512];
    struct pollfd p = { .fd = fd, .events = POLLIN };
    while (poll(&p, 1, 0) > 0 && (p.revents & POLLIN)) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n <= 0)
            break;
        w->bytes_in += (unsigned long)n;
    }
    frame_decoder_gap(d);
}

static bool write_all(int fd, const uint8_t *b, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        b += w;
        n -= (size_t)w;
    }
    return true;
}

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* How a poll is written: whole, or split with pauses (see the usage above). */
struct splitter {
    bool on;
    long lo_us, hi_us;
    uint64_t rng;
    int64_t longest_us;    /* the longest pause measured between two chunks */
};

static bool write_poll(int fd, struct splitter *sp)
{
    if (!sp || !sp->on)
        return write_all(fd, POLL30, sizeof(POLL30));
    /* 1..3 distinct cut points in 1..8, ascending */
    bool cut[sizeof(POLL30)] = { false };
    unsigned ncuts = 1 + (unsigned)(rng_next(&sp->rng) % 3);
    for (unsigned k = 0; k < ncuts; k++)
        cut[1 + rng_next(&sp->rng) % (sizeof(POLL30) - 1)] = true;
    size_t from = 0;
    for (size_t i = 1; i <= sizeof(POLL30); i++) {
        if (i < sizeof(POLL30) && !cut[i])
            continue;
        if (!write_all(fd, POLL30 + from, i - from))
            return false;
        from = i;
        if (i == sizeof(POLL30))
            break;
        long span = sp->hi_us - sp->lo_us;
        long pause = sp->lo_us + (span > 0 ? (long)(rng_next(&sp->rng) % (uint64_t)(span + 1)) : 0);
        int64_t t0 = now_us();
        if (pause > 0)
            usleep((useconds_t)pause);
        int64_t took = now_us() - t0;
        if (took > sp->longest_us)
            sp->longest_us = took;
    }
    return true;
}

/* Sends one poll (whole, or split by sp) and waits up to timeout_ms for its reply. */
static bool poll_split(int fd, struct frame_decoder *d, struct waiter *w, int timeout_ms,
                       struct splitter *sp)
{
    w->got = false;
    if (!write_poll(fd, sp))
        return false;
    int64_t end = now_ms() + timeout_ms;
    uint8_t buf[512];
    while (!w->got) {
        int left = (int)(end - now_ms());
        if (left <= 0)
            return false;
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, left) > 0) {
            ssize_t n = read(fd, buf, sizeof(buf));
            if (n > 0) {
                w->bytes_in += (unsigned long)n;
                frame_decoder_feed(d, buf, (size_t)n);
            }
        }
    }
    return true;
}

static bool poll_once(int fd, struct frame_decoder *d, struct waiter *w, int timeout_ms)
{
    return poll_split(fd, d, w, timeout_ms, NULL);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: bms_poller PTY (--polls N | --garbage-seconds S [--seed N])\n");
        return 2;
    }
    const char *path = argv[1];
    long polls = 0;
    double garbage_s = 0;
    uint64_t seed = 1;
    long interval_ms = 0, timeout_ms = 500;
    struct splitter sp = { .rng = 0x243F6A8885A308D3ULL };
    bool wait_up = true;
    const char *dump_path = NULL;
    for (int i = 2; i < argc; i += 2) {
        if (strcmp(argv[i], "--no-wait") == 0) {
            wait_up = false;
            i--;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "bms_poller: %s needs a value\n", argv[i]);
            return 2;
        }
        if (strcmp(argv[i], "--dump") == 0)
            dump_path = argv[i + 1];
        else if (strcmp(argv[i], "--polls") == 0)
            polls = strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--garbage-seconds") == 0)
            garbage_s = strtod(argv[i + 1], NULL);
        else if (strcmp(argv[i], "--interval-ms") == 0)
            interval_ms = strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--seed") == 0)
            seed = strtoull(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--timeout-ms") == 0)
            timeout_ms = strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--split-gap-us") == 0) {
            if (sscanf(argv[i + 1], "%ld:%ld", &sp.lo_us, &sp.hi_us) != 2 || sp.lo_us < 0 ||
                sp.hi_us < sp.lo_us) {
                fprintf(stderr, "bms_poller: --split-gap-us LO:HI, got %s\n", argv[i + 1]);
                return 2;
            }
            sp.on = true;
        } else {
            fprintf(stderr, "bms_poller: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    int fd = open(path, O_RDWR | O_NOCTTY);
    if (fd < 0 || transport_make_raw(fd, 115200) != 0) {
        fprintf(stderr, "bms_poller: %s: %s\n", path, strerror(errno));
        return 2;
    }
    struct waiter w = { 0 };
    struct frame_decoder d;
    frame_decoder_init(&d, on_event, &w);

    /* wait until the fake BMS answers at all (it may still be starting) */
    bool up = !wait_up;
    for (int i = 0; i < 100 && !up; i++)
        up = poll_once(fd, &d, &w, 100);
    if (!up) {
        fprintf(stderr, "bms_poller: no answer from %s\n", path);
        return 1;
    }
    if (wait_up) {
        usleep(20000);
        drain(fd, &d, &w);
    }
    if (dump_path && !(w.dump = fopen(dump_path, "w"))) {
        fprintf(stderr, "bms_poller: %s: %s\n", dump_path, strerror(errno));
        return 2;
    }
    w.bytes_in = 0;

    unsigned long sent = 0, answered = 0, garbage_bytes = 0;
    if (polls > 0) {
        for (long i = 0; i < polls; i++) {
            drain(fd, &d, &w);
            sent++;
            if (poll_split(fd, &d, &w, (int)timeout_ms, &sp))
                answered++;
            if (interval_ms > 0)
                usleep((useconds_t)interval_ms * 1000);
        }
    } else {
        int64_t end = now_ms() + (int64_t)(garbage_s * 1000.0);
        uint8_t junk[256];
        while (now_ms() < end) {
            size_t n = 1 + (size_t)(rng_next(&seed) % sizeof(junk));
            for (size_t i = 0; i < n; i++)
                junk[i] = (uint8_t)(rng_next(&seed) >> 56);
            if (!write_all(fd, junk, n))
                break;
            garbage_bytes += n;
            usleep(4000);   /* an idle line longer than the receiver's gap reset */
            drain(fd, &d, &w);
            sent++;
            if (poll_once(fd, &d, &w, 2000))
                answered++;
        }
    }
    printf("bms_poller: polls %lu answered %lu lost %lu garbage_bytes %lu other_frames %lu "
           "bytes_in %lu", sent, answered, sent - answered, garbage_bytes, w.other_frames,
           w.bytes_in);
    if (sp.on)
        printf(" longest_split_pause_us %lld", (long long)sp.longest_us);
    putchar('\n');
    if (w.dump)
        fclose(w.dump);
    close(fd);
    return sent > 0 && answered == sent ? 0 : 1;
}
