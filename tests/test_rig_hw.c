/* test_rig_hw.c: the rig API end to end on hw/boards/emulated.lua, with the emulated FT232H
 * under the real libftdi1: the emulator's DAC log equals the commanded values within 1 LSB
 * after calibration, one USB write per tick (16 channels + GPIO <= 512 bytes), relays follow
 * the fault commands, safe state on close and after an unplug, one bench per lock, and
 * sigrok-cli decodes the exported VCD into exactly the 24-bit words the driver sent. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rig/bench/board.h"
#include "rig/bench/dac.h"
#include "rig/scenario/engine.h"
#include "rig/bench/rig_hw.h"
#include "rig/fault/fault.h"
#include "sim/ntc.h"
#include "sim/pack.h"
#include "sim/status.h"
#include "test_support.h"

#define BOARD BMSRIG_SOURCE_DIR "/hw/boards/emulated.lua"

static char log_path[128], vcd_path[128], lock_dir[128];

static void setup(void)
{
    snprintf(log_path, sizeof log_path, "/tmp/bmsrig-righw-%d.log", (int)getpid());
    snprintf(vcd_path, sizeof vcd_path, "/tmp/bmsrig-righw-%d.vcd", (int)getpid());
    snprintf(lock_dir, sizeof lock_dir, "/tmp/bmsrig-righw-lock-XXXXXX");
    cr_assert_not_null(mkdtemp(lock_dir));
    unlink(log_path);
    setenv("BMSRIG_EMU_LOG", log_path, 1);
    setenv("BMSRIG_LOCK_DIR", lock_dir, 1);
    unsetenv("BMSRIG_EMU_CONFIG");
    unsetenv("BMSRIG_EMU_FAULTS");
    unsetenv("BMSRIG_EMU_VCD");
}

static void teardown(void)
{
    unlink(log_path);
    unlink(vcd_path);
    char lock[256];
    snprintf(lock, sizeof lock, "%s/bmsrig-ftdi-BMSEMU01.lock", lock_dir);
    unlink(lock);
    rmdir(lock_dir);
}

TestSuite(rig_hw, .init = setup, .fini = teardown, .timeout = 30);

/* ---- the emulator's log, replayed ---- */

struct emu_state {
    double volts[8][16];       /* per emulated chip (by name index), per channel */
    bool seen[8][16];
    int relay[8];              /* bms_tx, esc_tx, series_r_open, series_r_burnt */
    int usb_writes;
    int last_write_bytes;
    int refused;
    int spi_errors;
};

static const char *const chip_names[] = { "cells_a", "cells_b", "aux" };
static const char *const relay_names[] = { "bms_tx", "esc_tx", "series_r_open", "series_r_burnt" };

static void replay(struct emu_state *st)
{
    memset(st, 0, sizeof *st);
    FILE *fp = fopen(log_path, "r");
    cr_assert_not_null(fp, "no emulator log at %s", log_path);
    char line[512];
    while (fgets(line, sizeof line, fp)) {
        char name[64], serial[64];
        int ch, val;
        unsigned code;
        double v;
        char itf;
        if (sscanf(line, "%*u dac %63s %d 0x%x %lf", name, &ch, &code, &v) == 4) {
            for (int i = 0; i < 3; i++)
                if (!strcmp(name, chip_names[i])) {
                    st->volts[i][ch] = v;
                    st->seen[i][ch] = true;
                }
        } else if (sscanf(line, "%*u relay %63s %d", name, &val) == 2) {
            for (int i = 0; i < 4; i++)
                if (!strcmp(name, relay_names[i]))
                    st->relay[i] = val;
        } else if (sscanf(line, "%*u usb write %63s %c %d", serial, &itf, &val) == 3) {
            st->usb_writes++;
            st->last_write_bytes = val;
        } else if (strstr(line, "usb refused write")) {
            st->refused++;
        } else if (strstr(line, "spi_error")) {
            st->spi_errors++;
        }
    }
    fclose(fp);
}

static int chip_index(const struct board *b, int dac)
{
    for (int i = 0; i < 3; i++)
        if (!strcmp(b->dacs[dac].name, chip_names[i]))
            return i;
    cr_assert_fail("unknown chip %s", b->dacs[dac].name);
    return -1;
}

/* Every channel's emulated output, corrected by the channel's calibration, equals the clamped
 * commanded value within one LSB. */
static void expect_outputs(struct rig_hw *hw, const struct emu_state *st, const double *want)
{
    const struct board *b = rig_hw_board(hw);
    for (int i = 0; i < b->nchannels; i++) {
        const struct board_channel *c = &b->channels[i];
        const struct board_dac *d = &b->dacs[c->dac];
        int chip = chip_index(b, c->dac);
        double lo, hi;
        dac_driver_find(d->model)->range(d, c->ch, &lo, &hi);
        double lsb = (hi - lo) / 65536.0;
        double v_dac = st->seen[chip][c->ch] ? st->volts[chip][c->ch] : 0.0;
        double v_true = c->cal_gain * v_dac + c->cal_offset_v;   /* what a DMM would read */
        double expected = want[i] * c->scale + c->offset_v;
        cr_assert(fabs(v_true - expected) <= lsb * c->cal_gain + 1e-9,
                  "%s: DAC %.6f V (true %.6f) vs commanded %.6f V (LSB %.6f)", c->signal, v_dac,
                  v_true, expected, lsb);
    }
}

static struct rig_hw *open_rig(void)
{
    struct rig_hw *hw;
    char err[512];
    int rc = rig_hw_open_file(&hw, BOARD, err, sizeof err);
    cr_assert_eq(rc, BMSRIG_OK, "open: %s", err);
    return hw;
}

Test(rig_hw, dac_log_follows_commands_within_1_lsb)
{
    struct rig_hw *hw = open_rig();
    const struct board *b = rig_hw_board(hw);
    cr_assert_eq(b->nchannels, 16);
    struct ts_rng rng;
    ts_rng_seed(&rng, 7);
    double want[BOARD_MAX_CHANNELS];
    struct emu_state st;
    for (int tick = 0; tick < 25; tick++) {
        replay(&st);
        int writes_before = st.usb_writes;
        for (int i = 0; i < b->nchannels; i++) {
            const struct board_channel *c = &b->channels[i];
            /* 10 % beyond each end so the clamps are exercised too */
            double span = c->max - c->min;
            double v = c->min - 0.1 * span + 1.2 * span * ts_rng_below(&rng, 1000001) / 1e6;
            cr_assert_eq(rig_hw_set(hw, i, v), BMSRIG_OK);
            want[i] = v < c->min ? c->min : v > c->max ? c->max : v;
            cr_assert_float_eq(rig_hw_value(hw, i), want[i], 1e-12);
        }
        cr_assert_eq(rig_hw_flush(hw), BMSRIG_OK);
        replay(&st);
        cr_assert_eq(st.usb_writes, writes_before + 1, "tick %d: one USB write", tick);
        expect_outputs(hw, &st, want);
    }
    cr_assert_eq(st.spi_errors, 0);
    struct rig_hw_stats s;
    rig_hw_get_stats(hw, &s);
    cr_assert_gt(s.clamped, 0u, "some values were beyond the limits");
    /* non-finite values are refused, the channel keeps its value */
    cr_assert_eq(rig_hw_set(hw, 0, NAN), BMSRIG_ERR_ARG);
    cr_assert_eq(rig_hw_set(hw, 99, 1.0), BMSRIG_ERR_ARG);
    cr_assert_float_eq(rig_hw_value(hw, 0), want[0], 1e-12);
    cr_assert_eq(rig_hw_signal_find(hw, "cell[3].v"), 2);
    cr_assert_eq(rig_hw_signal_find(hw, "cell[13].v"), -1);
    cr_assert_eq(rig_hw_set_by_name(hw, "cell[13].v", 3.0), BMSRIG_ERR_ARG);
    rig_hw_close(hw);
}

Test(rig_hw, sixteen_channels_and_gpio_in_one_write_of_at_most_512_bytes)
{
    struct rig_hw *hw = open_rig();
    const struct board *b = rig_hw_board(hw);
    struct emu_state st;
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < b->nchannels; i++)
            rig_hw_set(hw, i, b->channels[i].min + (0.3 + 0.2 * round) *
                                                    (b->channels[i].max - b->channels[i].min));
        cr_assert_eq(rig_hw_fault(hw, "bms_tx", round ? "off" : "on"), BMSRIG_OK);
        cr_assert_eq(rig_hw_fault(hw, "esc_resistor", round ? "open" : "burnt"), BMSRIG_OK);
        replay(&st);
        int before = st.usb_writes;
        cr_assert_eq(rig_hw_flush(hw), BMSRIG_OK);
        replay(&st);
        cr_assert_eq(st.usb_writes, before + 1);
        cr_assert_leq(st.last_write_bytes, 512, "%d bytes", st.last_write_bytes);
        struct rig_hw_stats s;
        rig_hw_get_stats(hw, &s);
        cr_assert_eq((int)s.last_bytes, st.last_write_bytes);
        cr_assert_eq(st.relay[0], round ? 0 : 1);
    }
    /* nothing changed: nothing is sent */
    replay(&st);
    int before = st.usb_writes;
    cr_assert_eq(rig_hw_flush(hw), BMSRIG_OK);
    replay(&st);
    cr_assert_eq(st.usb_writes, before);
    rig_hw_close(hw);
}

Test(rig_hw, relays_follow_fault_commands)
{
    struct rig_hw *hw = open_rig();
    struct emu_state st;
    static const struct {
        const char *fault, *state;
        int relays[4];
    } steps[] = {
        { "bms_tx", "open", { 1, 0, 0, 0 } },
        { "esc_tx", "on", { 1, 1, 0, 0 } },
        { "esc_resistor", "burnt", { 1, 1, 0, 1 } },
        { "esc_resistor", "open", { 1, 1, 1, 0 } },
        { "bms_tx", "clear", { 0, 1, 1, 0 } },
        { "esc_resistor", "nominal", { 0, 1, 0, 0 } },
        { "esc_tx", "off", { 0, 0, 0, 0 } },
    };
    for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
        cr_assert_eq(rig_hw_fault(hw, steps[k].fault, steps[k].state), BMSRIG_OK);
        cr_assert_eq(rig_hw_flush(hw), BMSRIG_OK);
        replay(&st);
        for (int r = 0; r < 4; r++)
            cr_assert_eq(st.relay[r], steps[k].relays[r], "step %zu relay %s", k, relay_names[r]);
        uint16_t levels, mask, value;
        cr_assert_eq(rig_hw_read_pins(hw, &levels), BMSRIG_OK);
        cr_assert_eq(rig_hw_fault_expect(hw, steps[k].fault, &mask, &value), BMSRIG_OK);
        cr_assert_eq(levels & mask, value, "step %zu: sense/drive pins", k);
    }
    cr_assert_eq(rig_hw_fault(hw, "no_such_fault", "on"), BMSRIG_ERR_ARG);
    cr_assert_eq(rig_hw_fault(hw, "esc_resistor", "melted"), BMSRIG_ERR_ARG);
    /* numeric values, as the engine passes them: ohms for the bank, 0/1 for relays */
    cr_assert_eq(rig_hw_fault_value(hw, "esc_resistor", INFINITY), BMSRIG_OK);
    cr_assert_eq(rig_hw_fault_value(hw, "esc_resistor", 470e3), BMSRIG_OK);   /* -> burnt */
    cr_assert_eq(rig_hw_fault_value(hw, "bms_tx", 1.0), BMSRIG_OK);
    cr_assert_eq(rig_hw_flush(hw), BMSRIG_OK);
    replay(&st);
    cr_assert_eq(st.relay[0], 1);
    cr_assert_eq(st.relay[3], 1, "470 kohm is nearest the 47 kohm 'burnt' position");
    cr_assert_eq(st.relay[2], 0);
    cr_assert_eq(rig_hw_fault_value(hw, "esc_resistor", 130), BMSRIG_OK);   /* -> nominal */
    cr_assert_eq(rig_hw_fault_value(hw, "bms_tx", 0.0), BMSRIG_OK);
    cr_assert_eq(rig_hw_flush(hw), BMSRIG_OK);
    replay(&st);
    cr_assert_eq(st.relay[0], 0);
    cr_assert_eq(st.relay[3], 0);
    cr_assert_eq(rig_hw_fault_value(hw, "esc_resistor", NAN), BMSRIG_ERR_ARG);
    cr_assert(!rig_hw_fault_supported(hw, "no_such_fault"));
    cr_assert(rig_hw_fault_supported(hw, "bms_tx"));
    rig_hw_close(hw);
}

/* The named faults of the fault table (rig/fault/fault.h) on the description's lines: the
 * first bench line of the fault that the description has; none for the fake BMS's faults. */
Test(rig_hw, named_faults_map_through_the_fault_table)
{
    struct rig_hw *hw = open_rig();
    struct emu_state st;
    const char *line = "unset";
    const struct fault_def *r = fault_find("series_r");   /* an alias of esc_resistor */
    cr_assert_not_null(r);
    cr_assert_str_eq(rig_hw_fault_line(hw, r), "esc_resistor");
    cr_assert_eq(rig_hw_fault_named(hw, r, 47e3, false, &line), BMSRIG_OK);
    cr_assert_str_eq(line, "esc_resistor");
    cr_assert_eq(rig_hw_fault_named(hw, fault_find("bms_tx"), 1.0, false, NULL), BMSRIG_OK);
    cr_assert_eq(rig_hw_flush(hw), BMSRIG_OK);
    replay(&st);
    cr_assert(st.relay[0] == 1 && st.relay[2] == 0 && st.relay[3] == 1, "bms_tx cut, burnt");
    /* 2 Mohm is open (at or above FAULT_RESISTOR_OPEN_OHM), not the nearest ohm position */
    cr_assert_eq(rig_hw_fault_named(hw, r, 2e6, false, NULL), BMSRIG_OK);
    cr_assert_eq(rig_hw_flush(hw), BMSRIG_OK);
    replay(&st);
    cr_assert(st.relay[2] == 1 && st.relay[3] == 0, "open position");
    cr_assert_eq(rig_hw_fault_named(hw, r, 0, true, NULL), BMSRIG_OK);
    cr_assert_eq(rig_hw_fault_named(hw, fault_find("bms_tx"), 0, true, NULL), BMSRIG_OK);
    cr_assert_eq(rig_hw_flush(hw), BMSRIG_OK);
    replay(&st);
    cr_assert(st.relay[0] == 0 && st.relay[2] == 0 && st.relay[3] == 0, "released, nominal");
    /* no line: the fake BMS's own faults, and moisture on a board without its relay */
    line = "unset";
    cr_assert_eq(rig_hw_fault_named(hw, fault_find("config_invalid"), 1, false, &line),
                 BMSRIG_ERR_STATE);
    cr_assert_null(line);
    cr_assert_null(rig_hw_fault_line(hw, fault_find("moisture")));
    cr_assert_eq(rig_hw_fault_named(hw, fault_find("moisture"), 0.5, false, NULL),
                 BMSRIG_ERR_STATE);
    rig_hw_close(hw);
}

static void expect_safe(const struct board *b)
{
    struct emu_state st;
    replay(&st);
    double want[BOARD_MAX_CHANNELS];
    for (int i = 0; i < b->nchannels; i++)
        want[i] = b->channels[i].safe;
    for (int r = 0; r < 4; r++)
        cr_assert_eq(st.relay[r], 0, "relay %s released", relay_names[r]);
    for (int i = 0; i < b->nchannels; i++) {
        const struct board_channel *c = &b->channels[i];
        int chip = -1;
        for (int k = 0; k < 3; k++)
            if (!strcmp(b->dacs[c->dac].name, chip_names[k]))
                chip = k;
        double v_true = c->cal_gain * st.volts[chip][c->ch] + c->cal_offset_v;
        cr_assert(fabs(v_true - (want[i] * c->scale + c->offset_v)) < 2e-4,
                  "%s at %.6f, safe is %.6f", c->signal, v_true, want[i]);
    }
}

Test(rig_hw, safe_state_on_close)
{
    struct board *b;
    char err[512];
    cr_assert_eq(board_load(&b, BOARD, err, sizeof err), BMSRIG_OK, "%s", err);
    struct rig_hw *hw;
    cr_assert_eq(rig_hw_open(&hw, b, err, sizeof err), BMSRIG_OK, "%s", err);
    for (int i = 0; i < b->nchannels; i++)
        rig_hw_set(hw, i, b->channels[i].max);
    rig_hw_fault(hw, "bms_tx", "on");
    rig_hw_fault(hw, "esc_tx", "on");
    rig_hw_fault(hw, "esc_resistor", "burnt");
    cr_assert_eq(rig_hw_flush(hw), BMSRIG_OK);
    struct emu_state st;
    replay(&st);
    cr_assert_eq(st.relay[0], 1);
    cr_assert_gt(st.volts[0][0], 4.0);
    rig_hw_close(hw);
    expect_safe(b);
    board_free(b);
}

Test(rig_hw, one_run_per_bench)
{
    struct rig_hw *hw = open_rig(), *second = NULL;
    char err[512];
    int rc = rig_hw_open_file(&second, BOARD, err, sizeof err);
    cr_assert_eq(rc, BMSRIG_ERR_STATE, "second open: %d %s", rc, err);
    cr_assert_null(second);
    cr_assert(strstr(err, "BMSEMU01 is in use") != NULL, "%s", err);
    cr_assert(strstr(err, lock_dir) != NULL, "names the lock file: %s", err);
    rig_hw_close(hw);
    hw = open_rig();   /* free again once the first run closed */
    rig_hw_close(hw);
}

Test(rig_hw, unplug_mid_run_fails_and_safe_state_is_attempted)
{
    /* open takes 4 writes (2 resync probes, set-up, safe state): unplug after 2 more */
    setenv("BMSRIG_EMU_FAULTS", "unplug_after_writes=6", 1);
    struct rig_hw *hw = open_rig();
    const struct board *b = rig_hw_board(hw);
    int rc = BMSRIG_OK, tick;
    for (tick = 0; tick < 10 && rc == BMSRIG_OK; tick++) {
        for (int i = 0; i < b->nchannels; i++)
            rig_hw_set(hw, i, b->channels[i].min + 0.01 * (tick + 1));
        rc = rig_hw_flush(hw);
    }
    cr_assert_eq(rc, BMSRIG_ERR_IO);
    cr_assert_eq(tick, 3, "ticks 1 and 2 went out, tick 3 failed");
    cr_assert_eq(rig_hw_flush(hw), BMSRIG_ERR_IO, "a faulted rig fails fast");
    struct emu_state st;
    replay(&st);
    int refused = st.refused;
    rig_hw_close(hw);
    replay(&st);
    cr_assert_eq(st.refused, refused + 1, "close tried the safe state once more");
}

Test(rig_hw, readback_over_spi)
{
    struct rig_hw *hw = open_rig();
    const struct board *b = rig_hw_board(hw);
    for (int i = 0; i < b->nchannels; i++)
        rig_hw_set(hw, i, b->channels[i].min + 0.37 * (b->channels[i].max - b->channels[i].min));
    cr_assert_eq(rig_hw_flush(hw), BMSRIG_OK);
    for (int i = 0; i < b->nchannels; i++) {
        uint16_t code = 0;
        cr_assert_eq(rig_hw_readback(hw, i, &code), BMSRIG_OK, "%s", b->channels[i].signal);
        cr_assert_eq(code, rig_hw_code(hw, i), "%s", b->channels[i].signal);
    }
    rig_hw_close(hw);
}

Test(rig_hw, readback_catches_stuck_miso)
{
    setenv("BMSRIG_EMU_FAULTS", "miso_stuck=1", 1);
    struct rig_hw *hw = open_rig();
    uint16_t code;
    cr_assert_eq(rig_hw_readback(hw, 0, &code), BMSRIG_ERR_PROTO);
    cr_assert_eq(rig_hw_readback(hw, 15, &code), BMSRIG_ERR_PROTO);
    rig_hw_close(hw);
}

/* ---- sigrok-cli as an independent decoder ---- */

struct trace {
    uint32_t frames[3][512];
    int n[3];
};

static void on_frame(void *user, int dac, uint32_t frame)
{
    struct trace *t = user;
    if (dac >= 0 && dac < 3 && t->n[dac] < 512)
        t->frames[dac][t->n[dac]++] = frame;
}

/* Decodes the VCD with sigrok's SPI decoder for one chip select; returns the word count. */
static int sigrok_words(const char *cs, int cpol, uint32_t *out, int max)
{
    char cmd[512];
    /* sigrok-cli must run on the system libusb, not on the emulator */
    snprintf(cmd, sizeof cmd,
             "env -u LD_LIBRARY_PATH sigrok-cli -i %s -P spi:clk=sck:mosi=mosi:cs=%s:cpol=%d:"
             "cpha=0:wordsize=24 -A spi=mosi-data 2>&1", vcd_path, cs, cpol);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    char line[256];
    int n = 0;
    while (fgets(line, sizeof line, p)) {
        unsigned w;
        if (sscanf(line, "spi-1: %x", &w) == 1) {
            if (n < max)
                out[n] = w;
            n++;
        } else {
            cr_log_warn("sigrok-cli: %s", line);
        }
    }
    cr_assert_eq(pclose(p), 0, "sigrok-cli failed");
    return n;
}

Test(rig_hw, sigrok_decodes_exactly_the_words_sent_in_both_modes, .timeout = 60)
{
    setenv("BMSRIG_EMU_VCD", vcd_path, 1);
    struct rig_hw *hw = open_rig();
    const struct board *b = rig_hw_board(hw);
    static struct trace tr;
    memset(&tr, 0, sizeof tr);
    rig_hw_set_frame_trace(hw, on_frame, &tr);
    for (int tick = 0; tick < 3; tick++) {
        for (int i = 0; i < b->nchannels; i++)
            rig_hw_set(hw, i, b->channels[i].min +
                                  (0.11 + 0.29 * tick + 0.013 * i) * (b->channels[i].max - b->channels[i].min));
        cr_assert_eq(rig_hw_flush(hw), BMSRIG_OK);
    }
    /* the data frames are what the datasheets say: AD5676R command 1 (input register, LDAC
     * moves the outputs), LTC2668 command 0 then 9 (update all) */
    int cell1 = rig_hw_signal_find(hw, "cell[1].v"), pack = rig_hw_signal_find(hw, "pack.v");
    cr_assert_eq(tr.frames[0][tr.n[0] - 8], 0x100000u | rig_hw_code(hw, cell1));
    cr_assert_eq(tr.frames[2][tr.n[2] - 3], 0x000000u | rig_hw_code(hw, pack));
    cr_assert_eq(tr.frames[2][tr.n[2] - 1], 0x900000u);
    rig_hw_close(hw);   /* the safe-state frames are traced too */
    unsetenv("BMSRIG_EMU_VCD");

    static const struct { const char *cs; int cpol; int dac; int init_frames; uint32_t first; }
        chips[] = {
            { "adbus3", 1, 0, 1 + 8, 0x500000 },        /* mode 2: LDAC mask, 8 safe writes */
            { "adbus4", 1, 1, 1 + 6, 0x500000 },        /* 6 channels mapped */
            { "adbus5", 0, 2, 1 + 2 + 1, 0xE00001 },    /* mode 0: span, 2 writes, update */
        };
    for (size_t k = 0; k < 3; k++) {
        static uint32_t words[1024];
        int n = sigrok_words(chips[k].cs, chips[k].cpol, words, 1024);
        int d = chips[k].dac;
        cr_assert_eq(n, chips[k].init_frames + tr.n[d], "%s: sigrok %d words, driver %d + %d at open",
                     chips[k].cs, n, tr.n[d], chips[k].init_frames);
        cr_assert_eq(words[0], chips[k].first, "%s: first word 0x%06x", chips[k].cs, words[0]);
        for (int i = 0; i < tr.n[d]; i++)
            cr_assert_eq(words[chips[k].init_frames + i], tr.frames[d][i],
                         "%s word %d: sigrok 0x%06x, driver 0x%06x", chips[k].cs, i,
                         words[chips[k].init_frames + i], tr.frames[d][i]);
    }
    /* the wrong clock polarity does not give the same words (the decoder really checks) */
    static uint32_t wrong[1024];
    int n = sigrok_words("adbus5", 1, wrong, 1024);
    bool differs = n != chips[2].init_frames + tr.n[2];
    for (int i = 0; !differs && i < tr.n[2]; i++)
        differs = wrong[chips[2].init_frames + i] != tr.frames[2][i];
    cr_assert(differs, "mode 2 decoding of mode 0 frames must not match");
}

/* ---- the engine drives the bench (what `bmsrig run --rig` does each tick) ---- */

Test(rig_hw, engine_tick_dac_outputs_follow_the_model_within_1_lsb)
{
    struct rig_hw *hw = open_rig();
    const struct board *b = rig_hw_board(hw);
    struct engine_config cfg;
    engine_config_default(&cfg);   /* 10s3p lg_m26 at 80 %, virtual clock, 1 ms tick */
    cfg.rig = hw;
    struct engine *e;
    char err[512];
    cr_assert_eq(engine_new(&cfg, &e, err, sizeof err), BMSRIG_OK, "%s", err);
    engine_power_on(e);
    engine_set_rider(e, 0.9, 0.0, 2);
    cr_assert_eq(engine_fault(e, "esc_resistor", INFINITY, err, sizeof err), BMSRIG_OK, "%s", err);
    const struct pack *p = engine_pack(e);
    double want[BOARD_MAX_CHANNELS];
    struct emu_state st;
    int changed_cells = 0;
    double first_cell1 = NAN;
    for (int tick = 1; tick <= 3000; tick++) {
        cr_assert_eq(engine_step(e), BMSRIG_OK);
        if (tick % 250)
            continue;
        /* what the model says now, per bench signal */
        for (int i = 0; i < b->nchannels; i++) {
            const struct board_channel *c = &b->channels[i];
            unsigned k;
            double v = c->safe;   /* signals the model does not have stay safe */
            if (sscanf(c->signal, "cell[%u].v", &k) == 1 && k <= pack_series(p)) {
                v = pack_sense_voltage(p, k - 1);
            } else if (sscanf(c->signal, "ntc[%u].v", &k) == 1 && k <= pack_ntc_count(p)) {
                struct ntc_reading rd;
                cr_assert_eq(pack_ntc_read(p, k - 1, &rd), BMSRIG_OK);
                v = rd.v_ts;
            } else if (!strcmp(c->signal, "pack.v")) {
                v = pack_terminal_v(p);
            } else if (!strcmp(c->signal, "charger.v")) {
                v = 0.0;
            }
            want[i] = v < c->min ? c->min : v > c->max ? c->max : v;
        }
        replay(&st);
        expect_outputs(hw, &st, want);
        cr_assert_eq(st.relay[2], 1, "esc_resistor open -> its relay");
        if (isnan(first_cell1))
            first_cell1 = want[0];
        else if (fabs(want[0] - first_cell1) > 0.001)
            changed_cells++;
    }
    cr_assert_gt(changed_cells, 0, "the load moved the cell voltages (else the test proves little)");
    cr_assert_eq(engine_fault_clear(e, "esc_resistor", err, sizeof err), BMSRIG_OK);
    cr_assert_eq(engine_step(e), BMSRIG_OK);
    replay(&st);
    cr_assert_eq(st.relay[2], 0);
    engine_free(e);   /* the scenario's end: the bench goes to its safe state */
    expect_safe(b);
    rig_hw_close(hw);
}
