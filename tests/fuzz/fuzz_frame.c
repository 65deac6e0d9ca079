/* fuzz_frame.c: libFuzzer target for the streaming frame decoder. The first input byte picks a
 * chunking and a length limit; the rest is fed as bus bytes, with gaps. Every valid frame must
 * re-encode to exactly the bytes it was decoded from. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_event(void *user, const struct frame_event *ev)
{
    (void)user;
    if (ev->kind != FRAME_EV_FRAME)
        return;
    uint8_t again[FRAME_BYTES_MAX];
    size_t n = 0;
    if (frame_encode(ev->frame, again, sizeof(again), &n) != 0 || n != ev->raw_len ||
        memcmp(again, ev->raw, n) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    data++;
    size--;
    struct frame_decoder d;
    frame_decoder_init(&d, on_event, NULL);
    frame_decoder_set_len_max(&d, mode & 0x80 ? 255u : 2u + (mode & 0x3Fu));
    size_t chunk = 1u + (mode & 0x0Fu) * 17u;
    for (size_t i = 0; i < size; i += chunk) {
        size_t n = size - i < chunk ? size - i : chunk;
        frame_decoder_feed(&d, data + i, n);
        if ((mode & 0x40) && (i / chunk) % 3 == 2)
            frame_decoder_gap(&d);
    }
    frame_decoder_gap(&d);
    return 0;
}
