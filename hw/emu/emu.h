/* emu.h: internals of the emulated FT232H/FT2232H (a libusb-1.0 stand-in loaded under the real
 * libftdi1): the device world, one MPSSE engine per interface, SPI DAC slave models, relays,
 * the event log and the VCD export. Not a public header of bmsrig. */
#ifndef BMSRIG_HW_EMU_EMU_H
#define BMSRIG_HW_EMU_EMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define EMU_MAX_DEVICES 4
#define EMU_MAX_SLAVES 8
#define EMU_MAX_RELAYS 16
#define EMU_NAME_MAX 32

/* Pins: bit 0..7 = ADBUS0..7 (SK, DO, DI, CS/TMS, GPIOL0..3), bit 8..15 = ACBUS0..7. [S] */
#define EMU_PIN_SK 0
#define EMU_PIN_DO 1
#define EMU_PIN_DI 2

enum emu_chip { EMU_FT232H, EMU_FT2232H };
enum emu_slave_kind { EMU_AD5676R, EMU_LTC2668 };

struct emu_slave {
    char name[EMU_NAME_MAX];
    enum emu_slave_kind kind;
    int cs_pin;                  /* active low */
    int ldac_pin;                /* -1: LDAC tied low (AD5676R) / not used */
    double vref_v, gain;         /* AD5676R: Vout = code/65536 * vref * gain */
    int nch;
    uint16_t input[16], dac[16];
    uint8_t span[16];            /* LTC2668 SoftSpan code 0..4 [S] */
    uint8_t ldac_mask;           /* AD5676R: 1 = channel ignores the LDAC pin */
    bool sample_rising;          /* edge the part samples SDI on */
    /* frame in progress */
    bool selected;
    int nbits;
    uint32_t shift_in;
    uint32_t shift_out;          /* SDO, MSB first */
    bool wrong_edge;
    uint32_t last_frame;         /* LTC2668: SDO echoes the previous frame */
    bool readback_pending;       /* AD5676R: command 9 seen, next frame shifts out a register */
    int readback_ch;
    uint64_t frames_ok, frames_bad;
};

struct emu_relay {
    char name[EMU_NAME_MAX];
    int pin;
    bool active_low;
    int sense_pin;               /* -1 = none; reads high while energised */
    bool on;
};

struct emu_port {
    int mode;                    /* SET_BITMODE mode byte; 0x02 = MPSSE */
    uint8_t bitbang_dir;
    uint8_t latency_ms;
    /* MPSSE state */
    uint8_t *cmd;                /* partial command carried over between writes */
    size_t cmd_len, cmd_cap;
    uint8_t *rx;                 /* device -> host FIFO */
    size_t rx_len, rx_cap;
    uint16_t divisor;
    bool div5, three_phase, adaptive, loopback;
    uint16_t out_val, dir;       /* values/directions set by 0x80/0x82 (low | high << 8) */
    uint16_t level;              /* last resolved level of every pin */
    /* edge bookkeeping [ps]: when DO last changed, when each slave last sampled */
    uint64_t do_change_t;
    uint64_t sample_t[EMU_MAX_SLAVES];
};

struct emu_device {
    enum emu_chip chip;
    uint16_t vid, pid, bcd;
    char serial[EMU_NAME_MAX];
    uint8_t bus, addr;
    int nports;
    struct emu_port port[2];
    int nslaves;
    struct emu_slave slave[EMU_MAX_SLAVES];   /* all on interface A */
    int nrelays;
    struct emu_relay relay[EMU_MAX_RELAYS];
    bool unplugged;
    /* fault hooks */
    uint64_t out_transfers;      /* bulk OUT transfers accepted so far */
    uint64_t unplug_after;       /* 0 = never; else unplug when OUT transfer N+1 arrives */
    uint64_t usb_error_on;       /* 0 = never; else OUT transfer N fails with LIBUSB_ERROR_IO */
    int miso_stuck;              /* -1 = no fault; 0/1 = DI stuck at that level */
    uint64_t open_stall_ms;      /* 0 = never; else the next libusb_open sleeps this long [ms] */
    uint16_t eeprom[128];
};

struct emu_world {
    bool loaded;
    int ndev;
    struct emu_device dev[EMU_MAX_DEVICES];
    uint64_t t_ps;               /* emulated time [ps] */
    FILE *log;                   /* BMSRIG_EMU_LOG, line-buffered; NULL = off */
    FILE *vcd;                   /* BMSRIG_EMU_VCD; device 0, interface A */
    uint64_t vcd_last_t;
    uint16_t vcd_level;
    bool vcd_started;
};

/* The world: the emulated USB bus is process-wide like a physical one (first use loads it). */
struct emu_world *emu_world_get(void);

/* Pads, logs. */
void emu_log(struct emu_world *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* MPSSE / bit-bang engine (emu_chip.c). */
void emu_port_reset(struct emu_port *p);
void emu_port_write(struct emu_world *w, struct emu_device *d, int iface, const uint8_t *buf,
                    size_t n);
void emu_port_set_bitmode(struct emu_world *w, struct emu_device *d, int iface, int mode,
                          uint8_t dir);
uint8_t emu_port_read_pins(struct emu_world *w, struct emu_device *d, int iface);
void emu_rx_push(struct emu_port *p, const uint8_t *b, size_t n);
void emu_slave_init(struct emu_slave *s);

/* Exported marker: a test calls it through dlsym to prove the emulator is the libusb loaded. */
const char *bmsrig_usbemu_id(void);

#endif
