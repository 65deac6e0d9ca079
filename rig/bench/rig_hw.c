/* rig_hw.c: the bench as the engine drives it: model signals -> clamp -> scale/offset ->
 * calibration -> DAC code -> MPSSE frames, relays -> GPIO, everything of one tick in one USB
 * write; safe state, bench lock and signal flag. */
#define LOG_PREFIX "rig_hw"
#include "rig/bench/rig_hw.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rig/bench/board.h"
#include "rig/bench/dac.h"
#include "rig/util/log.h"
#include "rig/bench/mpsse.h"
#include "rig/bench/mpsse_io.h"
#include "rig/bench/board_locate.h"
#include "rig/bench/rig_lock.h"
#include "sim/status.h"

#define RIG_BUF_BYTES 4096   /* one tick's commands; 64 channels need < 1 KiB */

struct rig_hw {
    const struct board *b;
    struct board *owned;                      /* set when opened from a file */
    const struct dac_driver *drv[BOARD_MAX_DACS];
    struct mpsse_io *io;
    int lock_fd;
    char lock_path[256];
    double value[BOARD_MAX_CHANNELS];         /* clamped, signal units */
    uint16_t code[BOARD_MAX_CHANNELS];
    uint16_t sent[BOARD_MAX_CHANNELS];
    bool sent_valid[BOARD_MAX_CHANNELS];
    int fault_state[BOARD_MAX_FAULTS];        /* relay: 0/1; bank: position index */
    uint16_t gpio_sent;                       /* fault pins as last sent */
    bool gpio_sent_valid;
    uint8_t low_val;                          /* ADBUS value the builder last queued */
    bool faulted;
    rig_hw_frame_fn trace;
    void *trace_user;
    struct rig_hw_stats st;
    struct mpsse_buf mb;
    uint8_t buf[RIG_BUF_BYTES];
};

/* ---- signals ------------------------------------------------------------------------------ */

static volatile sig_atomic_t got_signal;

static void on_signal(int signo) { got_signal = signo; }

void rig_hw_signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

bool rig_hw_interrupted(int *signo)
{
    if (signo)
        *signo = got_signal;
    return got_signal != 0;
}

/* ---- pin bookkeeping ---------------------------------------------------------------------- */

static uint16_t fault_pins(const struct rig_hw *hw)
{
    uint16_t v = 0;
    for (int i = 0; i < hw->b->nfaults; i++) {
        const struct board_fault *f = &hw->b->faults[i];
        if (f->npos == 0) {
            bool level = hw->fault_state[i] ? !f->active_low : f->active_low;
            if (level)
                v = (uint16_t)(v | f->pins_mask);
        } else {
            v = (uint16_t)(v | f->pos[hw->fault_state[i]].pins_value);
        }
    }
    return v;
}

/* ADBUS value with every chip select high, LDAC high, SK at the idle level of `mode`. */
static uint8_t low_idle(const struct rig_hw *hw, int mode)
{
    uint8_t v = (uint8_t)(fault_pins(hw) & 0xFF);
    for (int i = 0; i < hw->b->ndacs; i++) {
        v = (uint8_t)(v | (1u << hw->b->dacs[i].cs));
        if (hw->b->dacs[i].ldac >= 0)
            v = (uint8_t)(v | (1u << hw->b->dacs[i].ldac));
    }
    v = (uint8_t)(v & ~0x07u);
    if (mode == 2)
        v |= 0x01;   /* SK idles high in mode 2 */
    return v;
}

static void queue_low(struct rig_hw *hw, uint8_t v)
{
    mpsse_set_low(&hw->mb, v, hw->b->ftdi.gpio_low_dir);
    hw->low_val = v;
}

/* One 24-bit frame to dac d (CS low, 3 bytes in the DAC's SPI mode, CS high); with `read`
 * the bytes clocked in are queued for reading. */
static void queue_frame(struct rig_hw *hw, int d, uint32_t frame, bool read)
{
    const struct board_dac *dac = &hw->b->dacs[d];
    uint8_t idle = low_idle(hw, dac->spi_mode);
    if (hw->low_val != idle)
        queue_low(hw, idle);   /* SK to this part's idle level while no CS is low */
    queue_low(hw, (uint8_t)(idle & ~(1u << dac->cs)));
    uint8_t bytes[3] = { (uint8_t)(frame >> 16), (uint8_t)(frame >> 8), (uint8_t)frame };
    if (hw->trace)
        hw->trace(hw->trace_user, d, frame);
    enum mpsse_spi_mode m = dac->spi_mode == 2 ? MPSSE_SPI_MODE2 : MPSSE_SPI_MODE0;
    if (read)
        mpsse_spi_transfer(&hw->mb, m, bytes, 3);
    else
        mpsse_spi_write(&hw->mb, m, bytes, 3);
    queue_low(hw, idle);
}

static int send(struct rig_hw *hw)
{
    int rc = mpsse_error(&hw->mb);
    if (rc != BMSRIG_OK) {
        br_err("tick does not fit the %d-byte command buffer", RIG_BUF_BYTES);
        return BMSRIG_ERR_BUG;
    }
    if (hw->mb.len == 0)
        return BMSRIG_OK;
    if (hw->faulted && !hw->io)
        return BMSRIG_ERR_IO;
    rc = mpsse_io_write(hw->io, hw->mb.data, hw->mb.len);
    hw->st.usb_writes++;
    hw->st.usb_bytes += hw->mb.len;
    hw->st.last_bytes = hw->mb.len;
    if (hw->mb.len > hw->st.max_bytes)
        hw->st.max_bytes = hw->mb.len;
    if (rc != BMSRIG_OK) {
        if (!hw->faulted)
            br_err("USB write to FTDI %s failed: %s", hw->b->ftdi.serial,
                   mpsse_io_last_error(hw->io));
        hw->faulted = true;
        return BMSRIG_ERR_IO;
    }
    hw->st.flushes++;
    return BMSRIG_OK;
}

/* Queues every changed channel and fault pin; all of it goes out in one write. */
static void queue_tick(struct rig_hw *hw, bool force)
{
    const struct board *b = hw->b;
    bool ldac_pulse = false;
    uint8_t ldac_mask = 0;
    for (int d = 0; d < b->ndacs; d++) {
        const struct dac_driver *drv = hw->drv[d];
        bool batch = b->dacs[d].ldac >= 0 || drv->frame_update_all() != 0;
        bool any = false;
        for (int i = 0; i < b->nchannels; i++) {
            if (b->channels[i].dac != d)
                continue;
            if (!force && hw->sent_valid[i] && hw->sent[i] == hw->code[i])
                continue;
            queue_frame(hw, d, drv->frame_write(b->channels[i].ch, hw->code[i], batch), false);
            any = true;
        }
        if (!any)
            continue;
        if (b->dacs[d].ldac >= 0) {
            ldac_pulse = true;
            ldac_mask = (uint8_t)(ldac_mask | (1u << b->dacs[d].ldac));
        } else if (drv->frame_update_all()) {
            queue_frame(hw, d, drv->frame_update_all(), false);
        }
    }
    uint16_t pins = fault_pins(hw);
    uint8_t idle = low_idle(hw, hw->low_val & 1 ? 2 : 0);
    if (ldac_pulse) {
        /* every input register written: one LDAC pulse moves all outputs together */
        queue_low(hw, (uint8_t)(idle & ~ldac_mask));
        queue_low(hw, idle);
    } else if (force || !hw->gpio_sent_valid || ((pins ^ hw->gpio_sent) & 0xFF) ||
               hw->low_val != idle) {
        queue_low(hw, idle);
    }
    if (force || !hw->gpio_sent_valid || ((pins ^ hw->gpio_sent) & 0xFF00))
        mpsse_set_high(&hw->mb, (uint8_t)(pins >> 8), b->ftdi.gpio_high_dir);
}

static void mark_sent(struct rig_hw *hw)
{
    for (int i = 0; i < hw->b->nchannels; i++) {
        hw->sent[i] = hw->code[i];
        hw->sent_valid[i] = true;
    }
    hw->gpio_sent = fault_pins(hw);
    hw->gpio_sent_valid = true;
}

/* ---- values ------------------------------------------------------------------------------- */

static void set_value(struct rig_hw *hw, int idx, double v)
{
    const struct board_channel *c = &hw->b->channels[idx];
    const struct board_dac *d = &hw->b->dacs[c->dac];
    if (v < c->min || v > c->max) {
        hw->st.clamped++;
        v = v < c->min ? c->min : c->max;
    }
    hw->value[idx] = v;
    /* wanted DAC pin voltage, then undo the measured calibration: true = gain * cmd + offset */
    double want = v * c->scale + c->offset_v;
    double cmd = (want - c->cal_offset_v) / c->cal_gain;
    hw->code[idx] = dac_volts_to_code(hw->drv[c->dac], d, c->ch, cmd, NULL);
}

int rig_hw_signal_find(const struct rig_hw *hw, const char *signal)
{
    return hw ? board_channel_find(hw->b, signal) : -1;
}

int rig_hw_set(struct rig_hw *hw, int idx, double value)
{
    if (!hw || idx < 0 || idx >= hw->b->nchannels || !isfinite(value))
        return BMSRIG_ERR_ARG;
    set_value(hw, idx, value);
    return BMSRIG_OK;
}

int rig_hw_set_by_name(struct rig_hw *hw, const char *signal, double value)
{
    return rig_hw_set(hw, rig_hw_signal_find(hw, signal), value);
}

double rig_hw_value(const struct rig_hw *hw, int idx)
{
    if (!hw || idx < 0 || idx >= hw->b->nchannels)
        return NAN;
    return hw->value[idx];
}

uint16_t rig_hw_code(const struct rig_hw *hw, int idx)
{
    if (!hw || idx < 0 || idx >= hw->b->nchannels)
        return 0;
    return hw->code[idx];
}

bool rig_hw_fault_supported(const struct rig_hw *hw, const char *fault)
{
    return hw && board_fault_find(hw->b, fault) >= 0;
}

int rig_hw_fault(struct rig_hw *hw, const char *fault, const char *state)
{
    int i = hw ? board_fault_find(hw->b, fault) : -1;
    if (i < 0)
        return BMSRIG_ERR_ARG;
    const struct board_fault *f = &hw->b->faults[i];
    bool release = !state || !strcmp(state, "off") || !strcmp(state, "clear") ||
                   !strcmp(state, "closed") || !strcmp(state, "released");
    bool energise = state && (!strcmp(state, "on") || !strcmp(state, "open") ||
                              !strcmp(state, "active"));
    if (f->npos == 0) {
        if (!release && !energise)
            return BMSRIG_ERR_ARG;
        hw->fault_state[i] = energise ? 1 : 0;
        return BMSRIG_OK;
    }
    if (release) {
        hw->fault_state[i] = f->safe_pos;
        return BMSRIG_OK;
    }
    for (int p = 0; p < f->npos; p++)
        if (!strcmp(f->pos[p].name, state)) {
            hw->fault_state[i] = p;
            return BMSRIG_OK;
        }
    return BMSRIG_ERR_ARG;
}

int rig_hw_fault_value(struct rig_hw *hw, const char *fault, double value)
{
    int i = hw ? board_fault_find(hw->b, fault) : -1;
    if (i < 0 || isnan(value))
        return BMSRIG_ERR_ARG;
    const struct board_fault *f = &hw->b->faults[i];
    if (f->npos == 0) {
        hw->fault_state[i] = value != 0;
        return BMSRIG_OK;
    }
    int best = -1;
    double best_d = INFINITY;
    for (int p = 0; p < f->npos; p++) {
        double ohms = f->pos[p].ohms;
        double d;
        if (value >= FAULT_RESISTOR_OPEN_OHM)
            d = ohms < 0 ? 0 : INFINITY;
        else if (ohms <= 0 || value <= 0)
            d = INFINITY;
        else
            d = fabs(log(value / ohms));
        if (d < best_d) {
            best_d = d;
            best = p;
        }
    }
    if (best < 0)
        return BMSRIG_ERR_ARG;
    hw->fault_state[i] = best;
    return BMSRIG_OK;
}

static bool has_line(void *user, const char *name)
{
    return rig_hw_fault_supported(user, name);
}

const char *rig_hw_fault_line(const struct rig_hw *hw, const struct fault_def *d)
{
    return hw ? fault_bench_line(d, has_line, (void *)hw) : NULL;
}

int rig_hw_fault_named(struct rig_hw *hw, const struct fault_def *d, double value, bool clear,
                       const char **line)
{
    const char *name = rig_hw_fault_line(hw, d);
    if (line)
        *line = name;
    if (!name)
        return BMSRIG_ERR_STATE;
    if (clear)
        return rig_hw_fault(hw, name, NULL);
    if (d->bench == FAULT_BENCH_BANK)
        return rig_hw_fault_value(hw, name, value);
    return rig_hw_fault(hw, name, "on");
}

int rig_hw_fault_expect(const struct rig_hw *hw, const char *fault, uint16_t *mask,
                        uint16_t *value)
{
    int i = hw ? board_fault_find(hw->b, fault) : -1;
    if (i < 0)
        return BMSRIG_ERR_ARG;
    const struct board_fault *f = &hw->b->faults[i];
    uint16_t pins = fault_pins(hw);
    *mask = f->pins_mask;
    *value = (uint16_t)(pins & f->pins_mask);
    if (f->sense >= 0) {
        *mask = (uint16_t)(*mask | (1u << f->sense));
        if (hw->fault_state[i])
            *value = (uint16_t)(*value | (1u << f->sense));   /* sense reads high when on */
    }
    return BMSRIG_OK;
}

/* ---- flush / safe ------------------------------------------------------------------------- */

int rig_hw_flush(struct rig_hw *hw)
{
    if (!hw)
        return BMSRIG_ERR_ARG;
    if (hw->faulted)
        return BMSRIG_ERR_IO;
    mpsse_reset(&hw->mb);
    queue_tick(hw, false);
    int rc = send(hw);
    if (rc == BMSRIG_OK)
        mark_sent(hw);
    return rc;
}

int rig_hw_safe(struct rig_hw *hw)
{
    if (!hw)
        return BMSRIG_ERR_ARG;
    const struct board *b = hw->b;
    for (int i = 0; i < b->nchannels; i++)
        set_value(hw, i, b->channels[i].safe);
    for (int i = 0; i < b->nfaults; i++)
        hw->fault_state[i] = b->faults[i].npos ? b->faults[i].safe_pos : 0;
    if (!hw->io)
        return BMSRIG_ERR_IO;
    /* after a USB error this is still tried once: the device may be back, and the attempt
     * shows up on the bus (and in the emulator's log) */
    mpsse_reset(&hw->mb);
    queue_tick(hw, true);
    int rc = mpsse_error(&hw->mb) ? BMSRIG_ERR_BUG : mpsse_io_write(hw->io, hw->mb.data, hw->mb.len);
    hw->st.usb_writes++;
    hw->st.usb_bytes += hw->mb.len;
    if (rc == BMSRIG_OK) {
        mark_sent(hw);
        br_info("safe state reached on %s", b->ftdi.serial);
    } else {
        br_err("safe state NOT confirmed on %s (USB write failed: %s); check the bench",
               b->ftdi.serial, mpsse_io_last_error(hw->io));
    }
    return rc;
}

/* ---- read-back ---------------------------------------------------------------------------- */

int rig_hw_read_pins(struct rig_hw *hw, uint16_t *levels)
{
    if (!hw || hw->faulted)
        return BMSRIG_ERR_IO;
    mpsse_reset(&hw->mb);
    mpsse_get_low(&hw->mb);
    mpsse_get_high(&hw->mb);
    mpsse_send_immediate(&hw->mb);
    int rc = send(hw);
    uint8_t got[2];
    if (rc == BMSRIG_OK)
        rc = mpsse_io_read(hw->io, got, 2, 500);
    if (rc == BMSRIG_OK)
        *levels = (uint16_t)(got[0] | (got[1] << 8));
    return rc;
}

int rig_hw_readback(struct rig_hw *hw, int idx, uint16_t *code)
{
    if (!hw || idx < 0 || idx >= hw->b->nchannels)
        return BMSRIG_ERR_ARG;
    if (!hw->b->readback)
        return BMSRIG_ERR_STATE;
    if (hw->faulted)
        return BMSRIG_ERR_IO;
    const struct board_channel *c = &hw->b->channels[idx];
    const struct dac_driver *drv = hw->drv[c->dac];
    uint32_t req = drv->frame_readback_req(c->ch);
    mpsse_reset(&hw->mb);
    if (req)
        queue_frame(hw, c->dac, req, false);
    else   /* the part echoes the previous frame: repeat the channel's last write */
        queue_frame(hw, c->dac, req = drv->frame_write(c->ch, hw->sent[idx], false), false);
    queue_frame(hw, c->dac, drv->frame_nop(), true);
    mpsse_send_immediate(&hw->mb);
    int rc = send(hw);
    uint8_t got[3];
    if (rc == BMSRIG_OK)
        rc = mpsse_io_read(hw->io, got, 3, 500);
    if (rc != BMSRIG_OK)
        return rc;
    uint32_t sdo = ((uint32_t)got[0] << 16) | ((uint32_t)got[1] << 8) | got[2];
    if (!drv->readback_code(c->ch, req, sdo, code)) {
        br_dbg("read-back of %s: got 0x%06x", c->signal, sdo);
        return BMSRIG_ERR_PROTO;
    }
    return BMSRIG_OK;
}

/* ---- lifecycle ---------------------------------------------------------------------------- */

static int init_bench(struct rig_hw *hw)
{
    const struct board *b = hw->b;
    bool div5;
    uint16_t divisor;
    uint32_t actual;
    if (mpsse_clock_for_hz(b->ftdi.spi_hz, &div5, &divisor, &actual) != BMSRIG_OK)
        return BMSRIG_ERR_RANGE;
    mpsse_reset(&hw->mb);
    mpsse_clock_div5(&hw->mb, div5);
    mpsse_adaptive(&hw->mb, false);
    mpsse_three_phase(&hw->mb, false);
    mpsse_loopback(&hw->mb, false);
    mpsse_divisor(&hw->mb, divisor);
    for (int i = 0; i < b->nfaults; i++)
        hw->fault_state[i] = b->faults[i].npos ? b->faults[i].safe_pos : 0;
    queue_low(hw, low_idle(hw, b->dacs[0].spi_mode));
    mpsse_set_high(&hw->mb, (uint8_t)(fault_pins(hw) >> 8), b->ftdi.gpio_high_dir);
    for (int d = 0; d < b->ndacs; d++) {
        uint32_t frames[4];
        int n = hw->drv[d]->init_frames(&b->dacs[d], frames, 4);
        for (int k = 0; k < n; k++)
            queue_frame(hw, d, frames[k], false);
    }
    int rc = send(hw);
    br_info("SCK %u Hz (asked %u)", actual, b->ftdi.spi_hz);
    if (rc != BMSRIG_OK)
        return rc;
    return rig_hw_safe(hw);
}

static bool interrupted_now(void) { return rig_hw_interrupted(NULL); }

static int open_waiting(struct rig_hw **out, const struct board *b, double lock_wait_s,
                        bool (*stop)(void), char *err, size_t errlen)
{
    *out = NULL;
    if (errlen)
        err[0] = 0;
    struct rig_hw *hw = calloc(1, sizeof *hw);
    if (!hw)
        return BMSRIG_ERR_NOMEM;
    hw->b = b;
    hw->lock_fd = -1;
    mpsse_init(&hw->mb, hw->buf, sizeof hw->buf);
    for (int d = 0; d < b->ndacs; d++) {
        hw->drv[d] = dac_driver_find(b->dacs[d].model);
        if (!hw->drv[d]) {
            snprintf(err, errlen, "%s: no driver for dac model '%s'", b->path, b->dacs[d].model);
            free(hw);
            return BMSRIG_ERR_PARSE;
        }
    }
    char key[64];
    if (b->ftdi.serial[0])
        snprintf(key, sizeof key, "%s", b->ftdi.serial);
    else
        snprintf(key, sizeof key, "%04x-%04x", b->ftdi.vid, b->ftdi.pid);
    int fd = rig_lock_acquire_wait(key, lock_wait_s, stop ? stop : interrupted_now, hw->lock_path,
                                   sizeof hw->lock_path, err, errlen);
    if (fd < 0) {
        free(hw);
        return fd;
    }
    hw->lock_fd = fd;
    int rc = mpsse_io_open(&hw->io, b->ftdi.vid, b->ftdi.pid, b->ftdi.serial, b->ftdi.interface,
                           err, errlen);
    if (rc != BMSRIG_OK) {
        rig_lock_release(hw->lock_fd);
        free(hw);
        return rc;
    }
    rc = init_bench(hw);
    if (rc != BMSRIG_OK) {
        snprintf(err, errlen, "FTDI %s: bench initialisation failed: %s", key,
                 mpsse_io_last_error(hw->io));
        rig_hw_close(hw);
        return BMSRIG_ERR_IO;
    }
    *out = hw;
    return BMSRIG_OK;
}

int rig_hw_open(struct rig_hw **out, const struct board *b, char *err, size_t errlen)
{
    return open_waiting(out, b, 0, NULL, err, errlen);
}

int rig_hw_open_file(struct rig_hw **out, const char *path, char *err, size_t errlen)
{
    return rig_hw_open_file_wait(out, path, 0, NULL, err, errlen);
}

int rig_hw_open_file_wait(struct rig_hw **out, const char *path, double lock_wait_s,
                          bool (*stop)(void), char *err, size_t errlen)
{
    *out = NULL;
    char located[4096];
    int rc = board_locate(path, located, sizeof located, err, errlen);
    if (rc != BMSRIG_OK)
        return rc == BMSRIG_ERR_ARG ? BMSRIG_ERR_PARSE : rc;
    struct board *b;
    rc = board_load(&b, located, err, errlen);
    if (rc != BMSRIG_OK)   /* an unreadable description is a description error, not a rig fault */
        return rc == BMSRIG_ERR_NOMEM ? rc : BMSRIG_ERR_PARSE;
    rc = open_waiting(out, b, lock_wait_s, stop, err, errlen);
    if (rc != BMSRIG_OK) {
        board_free(b);
        return rc;
    }
    (*out)->owned = b;
    return BMSRIG_OK;
}

const struct board *rig_hw_board(const struct rig_hw *hw) { return hw ? hw->b : NULL; }

void rig_hw_set_frame_trace(struct rig_hw *hw, rig_hw_frame_fn fn, void *user)
{
    if (!hw)
        return;
    hw->trace = fn;
    hw->trace_user = user;
}

void rig_hw_get_stats(const struct rig_hw *hw, struct rig_hw_stats *st)
{
    if (hw && st)
        *st = hw->st;
}

void rig_hw_close(struct rig_hw *hw)
{
    if (!hw)
        return;
    if (hw->io) {
        rig_hw_safe(hw);
        mpsse_io_close(hw->io);
    }
    rig_lock_release(hw->lock_fd);
    board_free(hw->owned);
    free(hw);
}
