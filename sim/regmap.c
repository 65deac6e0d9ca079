/* regmap.c: the BMS and ESC register tables (protocol.md sections 3 and 4.5) and image access. */
#include "sim/regmap.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sim/status.h"

#define CELL(n) { "cell" #n, (uint8_t)(0x3F + (n)), 2, REGMAP_U16, "mV", 1.0, 'S', \
                  "cell " #n " voltage (0 when absent)" }

/* ---- BMS map (word, bytes, encoding; sources in protocol.md section 3) ------------------- */
static const struct regmap_field bms_fields[] = {
    { "magic", 0x00, 2, REGMAP_HEX16, "", 1.0, 'I', "magic 5A 5A (ES2 wiki); not read by the ESC" },
    { "serial", 0x10, 14, REGMAP_ASCII, "", 1.0, 'S', "pack serial number, ASCII; default 3GA0016A1A0001 raises ESC error 23" },
    { "fw", 0x17, 2, REGMAP_HEX16, "", 1.0, 'D', "BMS firmware version, nibbles (0x0115 = 1.1.5); ESC copies it to its word 0x67" },
    { "design_cap", 0x18, 2, REGMAP_U16, "mAh", 1.0, 'S', "design (factory) capacity" },
    { "real_cap", 0x19, 2, REGMAP_U16, "mAh", 1.0, 'S', "actual full-charge capacity" },
    { "nominal_v", 0x1A, 2, REGMAP_U16, "", 1.0, 'I', "nominal voltage; units disputed (mV per cell or 10 mV pack)" },
    { "cycles", 0x1B, 2, REGMAP_U16, "", 1.0, 'S', "full charge cycles" },
    { "charges", 0x1C, 2, REGMAP_U16, "", 1.0, 'S', "charge count" },
    { "max_v", 0x1D, 2, REGMAP_U16, "V", 0.01, 'S', "highest voltage seen (BotoX only)" },
    { "max_dsg_a", 0x1E, 2, REGMAP_U16, "A", 0.01, 'S', "highest discharge current seen (BotoX only)" },
    { "max_chg_a", 0x1F, 2, REGMAP_U16, "A", 0.01, 'S', "highest charge current seen (BotoX only)" },
    { "date", 0x20, 2, REGMAP_DATE, "", 1.0, 'S', "manufacture date, (year-2000)<<9 | month<<5 | day" },
    { "errors", 0x21, 6, REGMAP_ASCII, "", 1.0, 'I', "error bytes, meaning unknown" },
    { "status", 0x30, 2, REGMAP_STATUS, "", 1.0, 'S', "status flags: bit 0 config valid (clear: ESC error 22), 6 charging, 9 over-voltage, 10 overheat" },
    { "remaining", 0x31, 2, REGMAP_U16, "mAh", 1.0, 'S', "remaining capacity" },
    { "soc", 0x32, 2, REGMAP_U16, "%", 1.0, 'S', "state of charge, 0-100" },
    { "current", 0x33, 2, REGMAP_S16, "A", 0.01, 'S', "pack current, 10 mA units, positive = discharge" },
    { "voltage", 0x34, 2, REGMAP_U16, "V", 0.01, 'D', "pack voltage, 10 mV units" },
    { "temps", 0x35, 2, REGMAP_TEMP2, "C", 1.0, 'S', "T1 (low byte) and T2 (high byte), each degrees C + 20" },
    { "balance", 0x36, 2, REGMAP_HEX16, "", 1.0, 'S', "balancing bitmap, one bit per cell" },
    { "health", 0x3B, 2, REGMAP_U16, "%", 1.0, 'S', "health; below 60 % the pack counts as bad" },
    CELL(1), CELL(2), CELL(3), CELL(4), CELL(5), CELL(6), CELL(7), CELL(8),
    CELL(9), CELL(10), CELL(11), CELL(12), CELL(13), CELL(14), CELL(15),
};

/* ---- ESC map: the words a dashboard, an app and the rig read (protocol.md section 4.5) ---- */
static const struct regmap_field esc_fields[] = {
    { "esc_serial", 0x10, 14, REGMAP_ASCII, "", 1.0, 'S', "ESC serial number" },
    { "esc_fw", 0x1A, 2, REGMAP_HEX16, "", 1.0, 'S', "ESC firmware version (0x0134 = 1.3.4)" },
    { "error", 0x1B, 2, REGMAP_U16, "", 1.0, 'D', "error code (lowest active number)" },
    { "bms_soc", 0x22, 2, REGMAP_U16, "%", 1.0, 'D', "battery percent copied from BMS word 0x32" },
    { "range", 0x25, 2, REGMAP_U16, "km", 0.01, 'S', "remaining range, 10 m units" },
    { "power_on_time", 0x3A, 2, REGMAP_U16, "s", 1.0, 'S', "power-on time" },
    { "trip_time", 0x3B, 2, REGMAP_U16, "s", 1.0, 'S', "trip time" },
    { "frame_temp", 0x3E, 2, REGMAP_S16, "C", 0.1, 'S', "frame temperature, 0.1 C units" },
    { "bms_voltage", 0x48, 2, REGMAP_U16, "V", 0.01, 'D', "battery voltage copied from BMS word 0x34" },
    { "bms_current", 0x50, 2, REGMAP_S16, "A", 0.01, 'I', "battery current copied from BMS word 0x33 (label inferred)" },
    { "bms_fw", 0x67, 2, REGMAP_HEX16, "", 1.0, 'D', "BMS firmware copied from BMS word 0x17" },
    { "kers", 0x7B, 2, REGMAP_U16, "", 1.0, 'S', "KERS level" },
    { "cruise", 0x7C, 2, REGMAP_U16, "", 1.0, 'S', "cruise control" },
    { "tail_light", 0x7D, 2, REGMAP_U16, "", 1.0, 'S', "tail light" },
    { "error2", 0xB0, 2, REGMAP_U16, "", 1.0, 'S', "error code (dashboard block)" },
    { "alarm", 0xB1, 2, REGMAP_LOBYTE, "", 1.0, 'S', "alarm (0x09 = on), low byte" },
    { "lock", 0xB2, 2, REGMAP_LOBYTE, "", 1.0, 'S', "lock state, low byte" },
    { "batt_percent", 0xB4, 2, REGMAP_U16, "%", 1.0, 'S', "battery percent" },
    { "speed", 0xB5, 2, REGMAP_S16, "km/h", 0.001, 'S', "speed, m/h signed" },
    { "avg_speed", 0xB6, 2, REGMAP_U16, "km/h", 0.001, 'S', "average speed, m/h" },
    { "total_dist", 0xB7, 4, REGMAP_U32, "km", 0.001, 'S', "total distance, m" },
    { "trip_dist", 0xB9, 2, REGMAP_U16, "km", 0.01, 'S', "trip distance, 10 m units" },
    { "on_time", 0xBA, 2, REGMAP_U16, "s", 1.0, 'S', "on-time" },
    { "frame_temp2", 0xBB, 2, REGMAP_S16, "C", 0.1, 'S', "frame temperature, 0.1 C units" },
};

static const struct regmap bms_map = { "bms", bms_fields, sizeof(bms_fields) / sizeof(bms_fields[0]),
                                       REGMAP_BMS_WORDS };
static const struct regmap esc_map = { "esc", esc_fields, sizeof(esc_fields) / sizeof(esc_fields[0]),
                                       REGMAP_ESC_WORDS };

const struct regmap *regmap_bms(void) { return &bms_map; }
const struct regmap *regmap_esc(void) { return &esc_map; }

const struct regmap_field *regmap_find(const struct regmap *map, const char *name)
{
    for (size_t i = 0; i < map->count; i++)
        if (strcmp(map->fields[i].name, name) == 0)
            return &map->fields[i];
    return NULL;
}

static const char *const status_bit_names[16] = {
    [0] = "config_valid", [1] = "activated", [2] = "charge_protect", [3] = "charge_enabled",
    [4] = "write_lock", [5] = "discharging", [6] = "charging", [7] = "charger_in",
    [8] = "discharge_error", [9] = "overvoltage", [10] = "overheat",
    [13] = "charge_error", [14] = "deep_undervoltage",
};

const char *regmap_status_bit_name(unsigned bit)
{
    return bit < 16 ? status_bit_names[bit] : NULL;
}

/* ---- image access ------------------------------------------------------------------------- */

int regimg_get_u16(const uint8_t *img, size_t image_words, unsigned word, uint16_t *out)
{
    if (!img || !out || word >= image_words)
        return BMSRIG_ERR_RANGE;
    *out = (uint16_t)(img[2u * word] | (img[2u * word + 1u] << 8));
    return BMSRIG_OK;
}

int regimg_set_u16(uint8_t *img, size_t image_words, unsigned word, uint16_t value)
{
    if (!img || word >= image_words)
        return BMSRIG_ERR_RANGE;
    img[2u * word] = (uint8_t)(value & 0xFFu);
    img[2u * word + 1u] = (uint8_t)(value >> 8);
    return BMSRIG_OK;
}

static bool range_ok(size_t image_words, unsigned word, size_t nbytes)
{
    size_t start = 2u * (size_t)word;
    return start <= 2u * image_words && nbytes <= 2u * image_words - start;
}

int regimg_read(const uint8_t *img, size_t image_words, unsigned word, size_t nbytes,
                uint8_t *out)
{
    if (!img || (nbytes > 0 && !out) || !range_ok(image_words, word, nbytes))
        return BMSRIG_ERR_RANGE;
    memcpy(out, img + 2u * word, nbytes);
    return BMSRIG_OK;
}

int regimg_write(uint8_t *img, size_t image_words, unsigned word, const uint8_t *data,
                 size_t nbytes)
{
    if (!img || (nbytes > 0 && !data) || !range_ok(image_words, word, nbytes))
        return BMSRIG_ERR_RANGE;
    memcpy(img + 2u * word, data, nbytes);
    return BMSRIG_OK;
}

/* ---- formatting --------------------------------------------------------------------------- */

int64_t regmap_field_raw(const struct regmap_field *f, const uint8_t *b)
{
    switch (f->kind) {
    case REGMAP_S16:
        return (int16_t)(uint16_t)(b[0] | (b[1] << 8));
    case REGMAP_U32:
        return (int64_t)((uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) |
                         ((uint32_t)b[3] << 24));
    case REGMAP_LOBYTE:
        return b[0];
    default:
        return (uint16_t)(b[0] | (b[1] << 8));
    }
}

/* Decimal places that show a value scaled by `scale` without losing a digit. */
static int decimals_for(double scale)
{
    int d = 0;
    while (d < 6 && fabs(scale * pow(10.0, d) - round(scale * pow(10.0, d))) > 1e-9)
        d++;
    return d;
}

int regmap_format_field(const struct regmap_field *f, const uint8_t *b, char *out, size_t cap)
{
    switch (f->kind) {
    case REGMAP_ASCII: {
        char text[64];
        size_t n = f->nbytes < sizeof(text) - 1 ? f->nbytes : sizeof(text) - 1;
        for (size_t i = 0; i < n; i++)
            text[i] = (b[i] >= 0x20 && b[i] < 0x7F) ? (char)b[i] : '.';
        text[n] = '\0';
        return snprintf(out, cap, "%s=\"%s\"", f->name, text);
    }
    case REGMAP_HEX16:
        return snprintf(out, cap, "%s=0x%04X", f->name, (unsigned)regmap_field_raw(f, b));
    case REGMAP_STATUS: {
        unsigned v = (unsigned)regmap_field_raw(f, b);
        int len = snprintf(out, cap, "%s=0x%04X[", f->name, v);
        const char *sep = "";
        for (unsigned bit = 0; bit < 16; bit++) {
            if (!(v & (1u << bit)))
                continue;
            const char *nm = regmap_status_bit_name(bit);
            char unnamed[16];
            if (!nm) {
                snprintf(unnamed, sizeof(unnamed), "bit%u", bit);
                nm = unnamed;
            }
            len += snprintf(out + ((size_t)len < cap ? (size_t)len : cap),
                            (size_t)len < cap ? cap - (size_t)len : 0, "%s%s", sep, nm);
            sep = ",";
        }
        len += snprintf(out + ((size_t)len < cap ? (size_t)len : cap),
                        (size_t)len < cap ? cap - (size_t)len : 0, "]");
        return len;
    }
    case REGMAP_TEMP2:
        return snprintf(out, cap, "t1=%dC t2=%dC", (int)b[0] - 20, (int)b[1] - 20);
    case REGMAP_DATE: {
        unsigned v = (unsigned)regmap_field_raw(f, b);
        return snprintf(out, cap, "%s=%04u-%02u-%02u", f->name, 2000u + (v >> 9), (v >> 5) & 0xFu,
                        v & 0x1Fu);
    }
    default: {
        int64_t raw = regmap_field_raw(f, b);
        if (f->scale == 1.0)
            return snprintf(out, cap, "%s=%" PRId64 "%s", f->name, raw, f->unit);
        int dec = decimals_for(f->scale);
        if (f->kind == REGMAP_S16)
            return snprintf(out, cap, "%s=%+.*f%s", f->name, dec, (double)raw * f->scale, f->unit);
        return snprintf(out, cap, "%s=%.*f%s", f->name, dec, (double)raw * f->scale, f->unit);
    }
    }
}
