/* fuzz_bms_request.c: libFuzzer target for the BMS request handler: input bytes are decoded as
 * bus frames and handed to the model. A read reply must echo CMD/ARG from 0x25 and carry exactly
 * the image bytes asked for; nothing may touch memory outside the image. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/bms.h"
#include "sim/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_event(void *user, const struct frame_event *ev)
{
    struct bms *b = user;
    if (ev->kind != FRAME_EV_FRAME)
        return;
    struct frame rep;
    enum bms_req_result r = bms_handle_request(b, 1000000, ev->frame, &rep);
    if (r != BMS_REQ_REPLY)
        return;
    if (rep.addr != FRAME_ADDR_FROM_BMS || rep.cmd != ev->frame->cmd || rep.arg != ev->frame->arg)
        abort();
    if (rep.cmd == FRAME_CMD_READ &&
        (rep.payload_len != ev->frame->payload[0] ||
         memcmp(rep.payload, bms_image(b) + 2u * rep.arg, rep.payload_len) != 0))
        abort();
    uint8_t out[FRAME_BYTES_MAX];
    size_t n = 0;
    if (frame_encode(&rep, out, sizeof(out), &n) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct bms_profile p;   /* parsed once: the fuzzer runs millions of inputs */
    static int loaded;
    if (!loaded) {
        if (bms_profile_builtin("m365_stock", &p, NULL, 0) != 0)
            abort();
        p.wake_silence_ms = 0;
        loaded = 1;
    }
    struct bms *b = bms_new(&p, 1);
    if (!b)
        abort();
    struct frame_decoder d;
    frame_decoder_init(&d, on_event, b);
    frame_decoder_feed(&d, data, size);
    frame_decoder_gap(&d);
    bms_free(b);
    return 0;
}
