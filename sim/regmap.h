/* regmap.h: the BMS and ESC register maps as tables, and word access to a register image.
 *
 * Registers are 16-bit words; the byte offset in an image is 2 x word; values are little-endian
 * (protocol.md sections 2.1 and 3) [S]. Each field carries how sure we are of it:
 * 'S' sourced, 'D' derived from the recordings or the stock firmware, 'I' inferred. */
#ifndef BMSRIG_SIM_REGMAP_H
#define BMSRIG_SIM_REGMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REGMAP_BMS_WORDS 0x80u   /* the BMS image: words 0x00-0x7F, 256 bytes */
#define REGMAP_ESC_WORDS 0x100u  /* the ESC image: words 0x00-0xFF, 512 bytes */

/* How a field's bytes turn into a value. */
enum regmap_kind {
    REGMAP_U16,      /* unsigned little-endian word, times `scale` in `unit` */
    REGMAP_S16,      /* signed word, times `scale` */
    REGMAP_U32,      /* unsigned 32-bit over two words */
    REGMAP_ASCII,    /* text, no terminator */
    REGMAP_HEX16,    /* a word best shown in hex (versions, bit fields without names) */
    REGMAP_STATUS,   /* the BMS status word 0x30, shown with its bit names */
    REGMAP_TEMP2,    /* two bytes, each degrees C + 20 (low byte T1, high byte T2) */
    REGMAP_DATE,     /* (year-2000)<<9 | month<<5 | day */
    REGMAP_LOBYTE,   /* the low byte of a word */
};

struct regmap_field {
    const char *name;     /* short key used in decoded output, e.g. "voltage" */
    uint8_t word;         /* first word */
    uint8_t nbytes;       /* bytes the field covers */
    enum regmap_kind kind;
    const char *unit;     /* unit after scaling ("V", "mAh", "%", ...), "" for none */
    double scale;         /* multiply the raw integer by this to get `unit` */
    char grade;           /* 'S', 'D' or 'I' */
    const char *meaning;  /* one line for docs and --help */
};

struct regmap {
    const char *name;                   /* "bms" or "esc" */
    const struct regmap_field *fields;  /* ordered by word */
    size_t count;
    size_t image_words;
};

/* The two maps. Borrowed: static, valid for the program's life. */
const struct regmap *regmap_bms(void);
const struct regmap *regmap_esc(void);

/* Field of `map` with that name, or NULL. */
const struct regmap_field *regmap_find(const struct regmap *map, const char *name);

/* Named bits of the BMS status word 0x30 (ES2BMS wiki for the full set [S]; the M365 stock BMS
 * sets only 0, 6, 9, 10 [S BotoX]). */
enum regmap_status_bit {
    BMS_STATUS_CONFIG_VALID = 1u << 0,
    BMS_STATUS_ACTIVATED = 1u << 1,
    BMS_STATUS_CHARGE_PROTECT = 1u << 2,
    BMS_STATUS_CHARGE_ENABLED = 1u << 3,
    BMS_STATUS_WRITE_LOCK = 1u << 4,
    BMS_STATUS_DISCHARGING = 1u << 5,
    BMS_STATUS_CHARGING = 1u << 6,
    BMS_STATUS_CHARGER_IN = 1u << 7,
    BMS_STATUS_DISCHARGE_ERROR = 1u << 8,
    BMS_STATUS_OVERVOLTAGE = 1u << 9,
    BMS_STATUS_OVERHEAT = 1u << 10,
    BMS_STATUS_CHARGE_ERROR = 1u << 13,
    BMS_STATUS_DEEP_UNDERVOLTAGE = 1u << 14,
};

/* Name of status bit `bit` (0..15), or NULL for an unnamed bit. */
const char *regmap_status_bit_name(unsigned bit);

/* Well-known BMS words (protocol.md section 3). */
enum regmap_bms_word {
    BMS_W_MAGIC = 0x00,
    BMS_W_SERIAL = 0x10,     /* 14 bytes */
    BMS_W_FW = 0x17,
    BMS_W_DESIGN_CAP = 0x18,
    BMS_W_REAL_CAP = 0x19,
    BMS_W_NOMINAL_V = 0x1A,
    BMS_W_CYCLES = 0x1B,
    BMS_W_CHARGES = 0x1C,
    BMS_W_MAX_V = 0x1D,
    BMS_W_MAX_DSG_A = 0x1E,
    BMS_W_MAX_CHG_A = 0x1F,
    BMS_W_DATE = 0x20,
    BMS_W_ERRORS = 0x21,     /* 6 bytes */
    BMS_W_STATUS = 0x30,
    BMS_W_REMAINING = 0x31,
    BMS_W_SOC = 0x32,
    BMS_W_CURRENT = 0x33,
    BMS_W_VOLTAGE = 0x34,
    BMS_W_TEMPS = 0x35,
    BMS_W_BALANCE = 0x36,
    BMS_W_HEALTH = 0x3B,
    BMS_W_CELL1 = 0x40,      /* cells 1..15 at 0x40..0x4E */
};

#define REGMAP_BMS_SERIAL_LEN 14
#define REGMAP_BMS_CELLS_MAX 15
/* The serial the stock ESC rejects with error 23 (protocol.md section 3) [D]. */
#define REGMAP_BMS_DEFAULT_SERIAL "3GA0016A1A0001"

/* Well-known ESC words (protocol.md section 4.5). */
enum regmap_esc_word {
    ESC_W_SERIAL = 0x10,
    ESC_W_FW = 0x1A,
    ESC_W_ERROR = 0x1B,
    ESC_W_BATT_PERCENT_BMS = 0x22,
    ESC_W_RANGE = 0x25,
    ESC_W_BATT_VOLTAGE = 0x48,
    ESC_W_BATT_CURRENT = 0x50,
    ESC_W_BMS_FW = 0x67,
    ESC_W_ERROR2 = 0xB0,
    ESC_W_ALARM = 0xB1,
    ESC_W_LOCK = 0xB2,
    ESC_W_BATT_PERCENT = 0xB4,
    ESC_W_SPEED = 0xB5,
    ESC_W_AVG_SPEED = 0xB6,
    ESC_W_TOTAL_DIST = 0xB7,
    ESC_W_TRIP_DIST = 0xB9,
    ESC_W_ON_TIME = 0xBA,
    ESC_W_FRAME_TEMP = 0xBB,
};

/* ---- register image access (pure; the image is a caller-owned byte array) ---------------- */

/* Reads/writes word `word` of an image of `image_words` words. Out-of-range access returns
 * BMSRIG_ERR_RANGE and leaves *out / the image untouched. */
int regimg_get_u16(const uint8_t *img, size_t image_words, unsigned word, uint16_t *out);
int regimg_set_u16(uint8_t *img, size_t image_words, unsigned word, uint16_t value);

/* Copies `nbytes` starting at word `word` out of / into an image. The whole range must lie
 * inside the image, else BMSRIG_ERR_RANGE and nothing is copied. */
int regimg_read(const uint8_t *img, size_t image_words, unsigned word, size_t nbytes,
                uint8_t *out);
int regimg_write(uint8_t *img, size_t image_words, unsigned word, const uint8_t *data,
                 size_t nbytes);

/* Raw integer value of a numeric field from `bytes` (the field's own bytes, little-endian). */
int64_t regmap_field_raw(const struct regmap_field *f, const uint8_t *bytes);

/* Writes "name=value+unit" for field `f` whose bytes start at `bytes` into out[0..cap).
 * Returns the length snprintf would have written. */
int regmap_format_field(const struct regmap_field *f, const uint8_t *bytes, char *out,
                        size_t cap);

#endif
