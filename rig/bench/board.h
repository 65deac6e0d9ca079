/* board.h: a rig description (hw/boards/NAME.lua, DESIGN.md section 6) loaded with real Lua 5.4
 * in a sandbox and validated into plain C structs; every error names file:line. */
#ifndef BMSRIG_RIG_BOARD_H
#define BMSRIG_RIG_BOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BOARD_NAME_MAX 48
#define BOARD_MAX_DACS 8
#define BOARD_MAX_CHANNELS 64
#define BOARD_MAX_FAULTS 16
#define BOARD_MAX_POSITIONS 8

/* An FTDI pin: 0..7 = ADBUS0..7 (low byte), 8..15 = ACBUS0..7 (high byte). */
typedef int board_pin;

struct board_ftdi {
    uint16_t vid, pid;
    char serial[BOARD_NAME_MAX];     /* "" = first device with vid:pid */
    char interface;                  /* 'A' or 'B' */
    uint32_t spi_hz;                 /* requested SCK [Hz] */
    uint8_t gpio_low_dir, gpio_high_dir;   /* computed: every pin the board drives */
};

struct board_dac {
    char name[BOARD_NAME_MAX];
    char model[BOARD_NAME_MAX];      /* key in the DAC driver registry ("ad5676r", "ltc2668") */
    board_pin cs;                    /* chip select, active low */
    board_pin ldac;                  /* -1 = none (updates by command) */
    int spi_mode;                    /* 0 or 2; default from the model */
    double vref_v;                   /* reference [V] */
    double gain;                     /* output amplifier gain of the part (1 or 2) */
    double span_lo_v, span_hi_v;     /* output range of the part [V] (computed) */
    int line;                        /* description line */
};

struct board_channel {
    char signal[BOARD_NAME_MAX];     /* model signal, e.g. "cell[3].v" */
    int dac;                         /* index into board.dacs */
    int ch;                          /* DAC channel */
    double scale;                    /* DAC volts per signal unit (buffer amplifier 1/gain) */
    double offset_v;                 /* DAC volts at signal 0 */
    double cal_gain, cal_offset_v;   /* calibration: dac_v_true = cal_gain * dac_v + cal_offset */
    double min, max;                 /* clamp, in signal units */
    double safe;                     /* safe-state value, signal units */
    int line;
};

struct board_position {
    char name[BOARD_NAME_MAX];       /* "nominal", "open", "burnt" ... */
    uint16_t pins_value;             /* value on the fault's pins for this position */
    double ohms;                     /* documentation (resistor banks), <0 = n/a */
};

struct board_fault {
    char name[BOARD_NAME_MAX];       /* scenario fault name ("bms_tx", "esc_resistor") */
    uint16_t pins_mask;              /* the pins this fault drives */
    board_pin sense;                 /* read-back input pin (-1 = none) */
    bool active_low;                 /* single relay: energised at pin low */
    int npos;                        /* 0 = single relay (off/on); else named positions */
    struct board_position pos[BOARD_MAX_POSITIONS];
    int safe_pos;                    /* index of the released / safe position */
    int line;
};

struct board {
    char path[256];
    char name[BOARD_NAME_MAX];
    struct board_ftdi ftdi;
    int ndacs;
    struct board_dac dacs[BOARD_MAX_DACS];
    int nchannels;
    struct board_channel channels[BOARD_MAX_CHANNELS];
    int nfaults;
    struct board_fault faults[BOARD_MAX_FAULTS];
    char bms_port[128];              /* serial device of the BMS link, "" = none */
    char dash_port[128];
    bool readback;                   /* the board can read DAC registers back */
};

/* Loads `path`. BMSRIG_ERR_PARSE with "path:line: message" in err on any description error,
 * BMSRIG_ERR_IO if unreadable, BMSRIG_ERR_NOMEM. *out owned: board_free (NULL-safe). */
int board_load(struct board **out, const char *path, char *err, size_t errlen);
void board_free(struct board *b);

/* Parses "ADBUS3" / "ACBUS0" / "GPIOL1" / "GPIOH2"; -1 if not a pin name. */
board_pin board_pin_parse(const char *name);
/* "ADBUS3" style name into buf. */
const char *board_pin_name(board_pin pin, char *buf, size_t len);

int board_channel_find(const struct board *b, const char *signal);
int board_fault_find(const struct board *b, const char *name);

#endif
