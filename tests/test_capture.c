/* test_capture.c: the capture CSV reader and writer, and hex parsing. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rig/line/capture.h"
#include "sim/status.h"

Test(capture, parses_a_row)
{
    struct capture_row row;
    char err[128];
    int rc = capture_parse_line("2.490655,bms_tx,55aa0322011010b9ff,ok,\n", 7, &row, err, sizeof(err));
    cr_assert_eq(rc, BMSRIG_OK);
    cr_assert_float_eq(row.t_s, 2.490655, 1e-9);
    cr_assert_str_eq(row.line, "bms_tx");
    cr_assert_eq(row.nbytes, 9);
    cr_assert_eq(row.bytes[8], 0xFF);
    cr_assert_str_eq(row.check, "ok");
    cr_assert_eq(row.lineno, 7);
}

Test(capture, comments_headers_and_blanks_are_not_rows)
{
    struct capture_row row;
    char err[64];
    cr_assert_eq(capture_parse_line("# source: x\n", 1, &row, err, sizeof(err)), BMSRIG_ERR_STATE);
    cr_assert_eq(capture_parse_line("t_s,line,frame_hex,check,note\n", 2, &row, err, sizeof(err)),
                 BMSRIG_ERR_STATE);
    cr_assert_eq(capture_parse_line("\n", 3, &row, err, sizeof(err)), BMSRIG_ERR_STATE);
}

Test(capture, malformed_rows_say_why)
{
    struct capture_row row;
    char err[128];
    cr_assert_eq(capture_parse_line("abc,esc_tx,55aa,ok,\n", 4, &row, err, sizeof(err)),
                 BMSRIG_ERR_PARSE);
    cr_assert(strstr(err, "not a number"), "%s", err);
    cr_assert_eq(capture_parse_line("1.0,esc_tx,55zz,ok,\n", 5, &row, err, sizeof(err)),
                 BMSRIG_ERR_PARSE);
    cr_assert(strstr(err, "hex"), "%s", err);
    cr_assert_eq(capture_parse_line("1.0,esc_tx\n", 6, &row, err, sizeof(err)), BMSRIG_ERR_PARSE);
}

Test(capture, hex_accepts_separators_and_rejects_odd_digits)
{
    uint8_t out[8];
    size_t n = 0;
    cr_assert_eq(capture_parse_hex("55 AA:03,22", out, sizeof(out), &n), BMSRIG_OK);
    cr_assert_eq(n, 4);
    cr_assert_eq(out[3], 0x22);
    cr_assert_eq(capture_parse_hex("55A", out, sizeof(out), &n), BMSRIG_ERR_PARSE);
    cr_assert_eq(capture_parse_hex("5 5", out, sizeof(out), &n), BMSRIG_ERR_PARSE);
    cr_assert_eq(capture_parse_hex("001122334455667788", out, sizeof(out), &n), BMSRIG_ERR_RANGE);
}

Test(capture, written_rows_read_back)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    const char *comments[] = { "source: bmsrig test" };
    cr_assert_eq(capture_write_header(f, comments, 1), BMSRIG_OK);
    uint8_t bytes[] = { 0x55, 0xAA, 0x03, 0x22, 0x01, 0x30, 0x0C, 0x9D, 0xFF };
    cr_assert_eq(capture_write_row(f, 1.5, "esc_tx", bytes, sizeof(bytes), "ok", NULL), BMSRIG_OK);
    fclose(f);
    char *second = strchr(text, '\n') + 1;
    cr_assert(capture_is_header(second));
    char *third = strchr(second, '\n') + 1;
    struct capture_row row;
    char err[64];
    cr_assert_eq(capture_parse_line(third, 3, &row, err, sizeof(err)), BMSRIG_OK);
    cr_assert_eq(row.nbytes, sizeof(bytes));
    cr_assert_arr_eq(row.bytes, bytes, sizeof(bytes));
    cr_assert_float_eq(row.t_s, 1.5, 1e-9);
    free(text);
}
