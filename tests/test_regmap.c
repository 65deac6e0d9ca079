/* test_regmap.c: register tables, image access by word, and field formatting. */
#include <criterion/criterion.h>
#include <string.h>

#include "sim/regmap.h"
#include "sim/status.h"

Test(regmap, tables_are_ordered_and_inside_their_images)
{
    const struct regmap *maps[] = { regmap_bms(), regmap_esc() };
    for (size_t m = 0; m < 2; m++) {
        unsigned prev_end = 0;
        for (size_t i = 0; i < maps[m]->count; i++) {
            const struct regmap_field *f = &maps[m]->fields[i];
            cr_assert(f->grade == 'S' || f->grade == 'D' || f->grade == 'I', "%s grade", f->name);
            cr_assert_geq(2u * f->word, prev_end, "%s overlaps the previous field", f->name);
            prev_end = 2u * f->word + f->nbytes;
            cr_assert_leq(prev_end, 2u * maps[m]->image_words, "%s outside image", f->name);
            cr_assert_gt(strlen(f->meaning), 0);
        }
    }
}

Test(regmap, known_fields_sit_where_protocol_md_says)
{
    const struct regmap *bms = regmap_bms();
    struct { const char *name; unsigned word; unsigned nbytes; } rows[] = {
        { "serial", 0x10, 14 }, { "fw", 0x17, 2 }, { "status", 0x30, 2 },
        { "remaining", 0x31, 2 }, { "soc", 0x32, 2 }, { "current", 0x33, 2 },
        { "voltage", 0x34, 2 }, { "temps", 0x35, 2 }, { "cell1", 0x40, 2 },
        { "cell10", 0x49, 2 }, { "cell12", 0x4B, 2 }, { "cell15", 0x4E, 2 },
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const struct regmap_field *f = regmap_find(bms, rows[i].name);
        cr_assert_not_null(f, "%s missing", rows[i].name);
        cr_assert_eq(f->word, rows[i].word, "%s word", rows[i].name);
        cr_assert_eq(f->nbytes, rows[i].nbytes, "%s size", rows[i].name);
    }
    const struct regmap *esc = regmap_esc();
    cr_assert_eq(regmap_find(esc, "error")->word, 0x1B);
    cr_assert_eq(regmap_find(esc, "error2")->word, 0xB0);
    cr_assert_eq(regmap_find(esc, "batt_percent")->word, 0xB4);
    cr_assert_eq(regmap_find(esc, "speed")->word, 0xB5);
    cr_assert_eq(regmap_find(esc, "bms_soc")->word, 0x22);
    cr_assert_eq(regmap_find(esc, "bms_voltage")->word, 0x48);
    cr_assert_eq(regmap_find(esc, "bms_fw")->word, 0x67);
    cr_assert_null(regmap_find(esc, "nonexistent"));
}

Test(regmap, image_words_are_little_endian_at_twice_the_word)
{
    uint8_t img[2 * REGMAP_BMS_WORDS] = { 0 };
    cr_assert_eq(regimg_set_u16(img, REGMAP_BMS_WORDS, BMS_W_VOLTAGE, 0x0E0A), BMSRIG_OK);
    cr_assert_eq(img[0x68], 0x0A);
    cr_assert_eq(img[0x69], 0x0E);
    uint16_t v = 0;
    cr_assert_eq(regimg_get_u16(img, REGMAP_BMS_WORDS, BMS_W_VOLTAGE, &v), BMSRIG_OK);
    cr_assert_eq(v, 0x0E0A);
    cr_assert_eq(regimg_set_u16(img, REGMAP_BMS_WORDS, 0x80, 1), BMSRIG_ERR_RANGE);
    cr_assert_eq(regimg_get_u16(img, REGMAP_BMS_WORDS, 0x80, &v), BMSRIG_ERR_RANGE);

    uint8_t out[16];
    cr_assert_eq(regimg_write(img, REGMAP_BMS_WORDS, 0x10, (const uint8_t *)"3JAGJ17A8D3660", 14),
                 BMSRIG_OK);
    cr_assert_eq(regimg_read(img, REGMAP_BMS_WORDS, 0x10, 14, out), BMSRIG_OK);
    cr_assert_arr_eq(out, "3JAGJ17A8D3660", 14);
    /* The last word is readable; one byte past it is not, and nothing is copied then. */
    cr_assert_eq(regimg_read(img, REGMAP_BMS_WORDS, 0x7F, 2, out), BMSRIG_OK);
    memset(out, 0xEE, sizeof(out));
    cr_assert_eq(regimg_read(img, REGMAP_BMS_WORDS, 0x7F, 3, out), BMSRIG_ERR_RANGE);
    cr_assert_eq(out[0], 0xEE);
}

Test(regmap, fields_format_with_units)
{
    const struct regmap *bms = regmap_bms();
    char buf[128];
    uint8_t status[] = { 0x41, 0x02 };
    regmap_format_field(regmap_find(bms, "status"), status, buf, sizeof(buf));
    cr_assert_str_eq(buf, "status=0x0241[config_valid,charging,overvoltage]");
    uint8_t cur[] = { 0xF6, 0xFF };   /* -10 x 10 mA */
    regmap_format_field(regmap_find(bms, "current"), cur, buf, sizeof(buf));
    cr_assert_str_eq(buf, "current=-0.10A");
    uint8_t volt[] = { 0x0A, 0x0E };
    regmap_format_field(regmap_find(bms, "voltage"), volt, buf, sizeof(buf));
    cr_assert_str_eq(buf, "voltage=35.94V");
    uint8_t temps[] = { 0x2B, 0x00 };
    regmap_format_field(regmap_find(bms, "temps"), temps, buf, sizeof(buf));
    cr_assert_str_eq(buf, "t1=23C t2=-20C");
    uint8_t date[] = { 0xA2, 0x22 };
    regmap_format_field(regmap_find(bms, "date"), date, buf, sizeof(buf));
    cr_assert_str_eq(buf, "date=2017-05-02");
    uint8_t mv[] = { 0x02, 0x10 };
    regmap_format_field(regmap_find(bms, "cell1"), mv, buf, sizeof(buf));
    cr_assert_str_eq(buf, "cell1=4098mV");
    cr_assert_str_eq(regmap_status_bit_name(14), "deep_undervoltage");
    cr_assert_null(regmap_status_bit_name(11));
}
