/* frame.c: the M365 "55 AA" frame encoder and its resynchronising streaming decoder. */
#include "sim/frame.h"

#include <string.h>

#include "sim/status.h"

uint16_t frame_checksum(const uint8_t *from_len_byte, size_t n)
{
    uint32_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += from_len_byte[i];
    return (uint16_t)((sum & 0xFFFFu) ^ 0xFFFFu);
}

int frame_make(struct frame *f, uint8_t addr, uint8_t cmd, uint8_t arg,
               const uint8_t *payload, size_t payload_len)
{
    if (!f || payload_len > FRAME_PAYLOAD_MAX || (payload_len > 0 && !payload))
        return BMSRIG_ERR_ARG;
    f->addr = addr;
    f->cmd = cmd;
    f->arg = arg;
    f->payload_len = (uint8_t)payload_len;
    if (payload_len > 0)
        memcpy(f->payload, payload, payload_len);
    return BMSRIG_OK;
}

size_t frame_encoded_size(const struct frame *f)
{
    return (size_t)f->payload_len + 2u + FRAME_OVERHEAD;
}

int frame_encode(const struct frame *f, uint8_t *out, size_t cap, size_t *out_len)
{
    if (!f || !out || f->payload_len > FRAME_PAYLOAD_MAX)
        return BMSRIG_ERR_ARG;
    size_t total = frame_encoded_size(f);
    if (cap < total)
        return BMSRIG_ERR_ARG;
    out[0] = FRAME_SYNC0;
    out[1] = FRAME_SYNC1;
    out[2] = (uint8_t)(f->payload_len + 2u);
    out[3] = f->addr;
    out[4] = f->cmd;
    out[5] = f->arg;
    memcpy(out + 6, f->payload, f->payload_len);
    /* The checksum covers L, ADDR, CMD, ARG and the payload. */
    uint16_t ck = frame_checksum(out + 2, (size_t)f->payload_len + 4u);
    out[total - 2] = (uint8_t)(ck & 0xFFu);
    out[total - 1] = (uint8_t)(ck >> 8);
    if (out_len)
        *out_len = total;
    return BMSRIG_OK;
}

/* ==== decoder ================================================================================ */

void frame_decoder_init(struct frame_decoder *d, frame_event_fn on_event, void *user)
{
    memset(d, 0, sizeof(*d));
    d->len_max = FRAME_LEN_MAX;
    d->on_event = on_event;
    d->user = user;
}

int frame_decoder_set_len_max(struct frame_decoder *d, unsigned len_max)
{
    if (len_max < FRAME_LEN_MIN || len_max > FRAME_LEN_MAX)
        return BMSRIG_ERR_ARG;
    d->len_max = (uint8_t)len_max;
    return BMSRIG_OK;
}

static void emit(struct frame_decoder *d, struct frame_event *ev)
{
    if (d->on_event)
        d->on_event(d->user, ev);
}

static void drop_front(struct frame_decoder *d, size_t n)
{
    memmove(d->buf, d->buf + n, d->fill - n);
    d->fill -= n;
}

/* Outcome of looking at the candidate at buf[0]. */
enum scan_result { SCAN_NEED_MORE, SCAN_PROGRESS };

/* Examines the buffer front: skips garbage, rejects impossible lengths and bad checksums
 * (dropping only the false 0x55 so that the bytes after it are searched again) and emits
 * complete frames. Returns SCAN_NEED_MORE when the front is a plausible partial frame. */
static enum scan_result scan_once(struct frame_decoder *d)
{
    if (d->fill == 0)
        return SCAN_NEED_MORE;
    if (d->buf[0] != FRAME_SYNC0) {
        const uint8_t *sync = memchr(d->buf, FRAME_SYNC0, d->fill);
        size_t skip = sync ? (size_t)(sync - d->buf) : d->fill;
        d->stats.garbage_bytes += skip;
        drop_front(d, skip);
        return SCAN_PROGRESS;
    }
    if (d->fill < 2)
        return SCAN_NEED_MORE;
    if (d->buf[1] != FRAME_SYNC1) {
        d->stats.garbage_bytes++;
        drop_front(d, 1);
        return SCAN_PROGRESS;
    }
    if (d->fill < 3)
        return SCAN_NEED_MORE;
    uint8_t len = d->buf[2];
    if (len < FRAME_LEN_MIN || len > d->len_max) {
        struct frame_event ev = { .kind = FRAME_EV_BAD_LENGTH, .raw = d->buf, .raw_len = 3 };
        d->stats.bad_length++;
        emit(d, &ev);
        drop_front(d, 1);
        return SCAN_PROGRESS;
    }
    size_t total = (size_t)len + FRAME_OVERHEAD;
    if (d->fill < total)
        return SCAN_NEED_MORE;

    uint16_t expected = frame_checksum(d->buf + 2, (size_t)len + 2u);
    uint16_t found = (uint16_t)(d->buf[total - 2] | (d->buf[total - 1] << 8));
    if (found != expected) {
        struct frame_event ev = { .kind = FRAME_EV_BAD_CHECKSUM, .raw = d->buf, .raw_len = total,
                                  .checksum_found = found, .checksum_expected = expected };
        d->stats.bad_checksum++;
        emit(d, &ev);
        drop_front(d, 1);
        return SCAN_PROGRESS;
    }
    struct frame *f = &d->scratch;
    f->addr = d->buf[3];
    f->cmd = d->buf[4];
    f->arg = d->buf[5];
    f->payload_len = (uint8_t)(len - 2u);
    memcpy(f->payload, d->buf + 6, f->payload_len);
    struct frame_event ev = { .kind = FRAME_EV_FRAME, .frame = f, .raw = d->buf, .raw_len = total,
                              .checksum_found = found, .checksum_expected = expected };
    d->stats.frames++;
    emit(d, &ev);
    drop_front(d, total);
    return SCAN_PROGRESS;
}

void frame_decoder_feed(struct frame_decoder *d, const uint8_t *bytes, size_t n)
{
    while (n > 0) {
        /* Take as many bytes as fit; the buffer never holds more than one longest frame. */
        size_t room = sizeof(d->buf) - d->fill;
        size_t take = n < room ? n : room;
        memcpy(d->buf + d->fill, bytes, take);
        d->fill += take;
        bytes += take;
        n -= take;
        while (scan_once(d) == SCAN_PROGRESS) {
        }
    }
}

void frame_decoder_gap(struct frame_decoder *d)
{
    while (d->fill > 0) {
        if (scan_once(d) == SCAN_PROGRESS)
            continue;
        /* A plausible start that the gap cut short. A lone 0x55 counts as garbage. */
        if (d->fill >= 2) {
            struct frame_event ev = { .kind = FRAME_EV_TRUNCATED, .raw = d->buf,
                                      .raw_len = d->fill };
            d->stats.truncated++;
            emit(d, &ev);
        } else {
            d->stats.garbage_bytes++;
        }
        drop_front(d, 1);
    }
}
