/* test_board.c: rig descriptions: the shipped boards load; broken ones are rejected with
 * file:line and a message that names the problem; the Lua sandbox holds. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rig/bench/board.h"
#include "rig/offline/cellfile.h"
#include "sim/status.h"

TestSuite(board, .timeout = 20);

Test(board, emulated_board_loads)
{
    struct board *b;
    char err[512];
    int rc = board_load(&b, BMSRIG_SOURCE_DIR "/hw/boards/emulated.lua", err, sizeof err);
    cr_assert_eq(rc, BMSRIG_OK, "%s", err);
    cr_assert_str_eq(b->name, "emulated");
    cr_assert_str_eq(b->ftdi.serial, "BMSEMU01");
    cr_assert_eq(b->ftdi.pid, 0x6014);
    cr_assert_eq(b->ndacs, 3);
    cr_assert_eq(b->nchannels, 16);
    cr_assert_eq(b->dacs[0].spi_mode, 2, "AD5676R samples on falling edges: mode 2");
    cr_assert_eq(b->dacs[2].spi_mode, 0, "LTC2668 samples on rising edges: mode 0");
    int c3 = board_channel_find(b, "cell[3].v");
    cr_assert_geq(c3, 0);
    cr_assert_float_eq(b->channels[c3].cal_gain, 1.002, 1e-12);
    cr_assert_eq(board_channel_find(b, "cell[13].v"), -1);
    int sr = board_fault_find(b, "esc_resistor");
    cr_assert_geq(sr, 0);
    cr_assert_eq(b->faults[sr].npos, 3);
    cr_assert_eq(b->faults[sr].pos[2].pins_value, 1u << 11, "burnt = code 2 = ACBUS3");
    cr_assert_eq(b->ftdi.gpio_low_dir, 0x7B);   /* SK, DO, CS x3, LDAC out; DI in */
    cr_assert_eq(b->ftdi.gpio_high_dir, 0x0F);
    cr_assert(b->readback);
    board_free(b);
}

Test(board, reference_bench_loads)
{
    struct board *b;
    char err[512];
    int rc = board_load(&b, BMSRIG_SOURCE_DIR "/hw/boards/reference-bench.lua", err, sizeof err);
    cr_assert_eq(rc, BMSRIG_OK, "%s", err);
    cr_assert_eq(b->ndacs, 2);
    cr_assert_eq(b->nchannels, 16);
    cr_assert_geq(board_fault_find(b, "bms_tx"), 0);
    cr_assert_geq(board_fault_find(b, "esc_tx"), 0);
    cr_assert_geq(board_fault_find(b, "esc_resistor"), 0);
    board_free(b);
}

Test(board, pins)
{
    char buf[16];
    cr_assert_eq(board_pin_parse("ADBUS3"), 3);
    cr_assert_eq(board_pin_parse("acbus7"), 15);
    cr_assert_eq(board_pin_parse("GPIOL0"), 4);
    cr_assert_eq(board_pin_parse("GPIOH2"), 10);
    cr_assert_eq(board_pin_parse("ADBUS8"), -1);
    cr_assert_eq(board_pin_parse("PB3"), -1);
    cr_assert_str_eq(board_pin_name(12, buf, sizeof buf), "ACBUS4");
}

/* A minimal valid board; each bad case edits one line of it. */
static const char *const base_lines[] = {
    "return board {",                                                        /* 1 */
    "  name = 't',",                                                         /* 2 */
    "  ftdi = { serial = 'X1', spi_hz = 1000000 },",                         /* 3 */
    "  dacs = {",                                                            /* 4 */
    "    dac { name = 'a', model = 'ad5676r', cs = 'ADBUS3', gain = 2 },",   /* 5 */
    "  },",                                                                  /* 6 */
    "  channels = {",                                                        /* 7 */
    "    channel { signal = 'cell[1].v', dac = 'a', ch = 0, min = 0, max = 4.5 },",   /* 8 */
    "    channel { signal = 'cell[2].v', dac = 'a', ch = 1, min = 0, max = 4.5 },",   /* 9 */
    "  },",                                                                  /* 10 */
    "  faults = { relay { name = 'bms_tx', pin = 'ACBUS0' } },",             /* 11 */
    "}",                                                                     /* 12 */
};

struct bad_case {
    int line;              /* which line to replace (1-based), 0 = none */
    const char *text;      /* replacement */
    int want_line;         /* line the error must name */
    const char *want;      /* substring of the message */
};

static const struct bad_case bad_cases[] = {
    /* plain Lua errors keep Lua's own file:line */
    { 2, "  name = 't'", 3, "expected" },
    { 2, "  name = error('boom'),", 2, "boom" },
    { 2, "  name = os.execute('true'),", 2, "os" },
    { 2, "  name = io.open('/etc/passwd'),", 2, "io" },
    { 2, "  name = (function() while true do end end)(),", 2, "instruction budget" },
    { 2, "  name = require('x'),", 2, "require" },
    /* validation errors name the constructor's line */
    { 5, "    dac { name = 'a', model = 'ad9999', cs = 'ADBUS3' },", 5, "unknown model 'ad9999'" },
    { 5, "    dac { name = 'a', model = 'ad5676r', cs = 'ADBUS9' },", 5, "'ADBUS9' is not a pin" },
    { 5, "    dac { name = 'a', model = 'ad5676r', cs = 'ADBUS1' },", 5, "SCK/MOSI/MISO" },
    { 5, "    dac { name = 'a', model = 'ad5676r', cs = 'ADBUS3', vfer = 2 },", 5,
      "unknown field 'vfer'" },
    { 5, "    dac { name = 'a', model = 'ad5676r', cs = 'ADBUS3', gain = 3 },", 5, "gain must be 1 or 2" },
    { 5, "    dac { name = 'a', model = 'ad5676r', cs = 'ADBUS3', gain = 2, mode = 1 },", 5,
      "modes 0 and 2 only" },
    { 8, "    channel { signal = 'cell[1].v', dac = 'b', ch = 0, min = 0, max = 4.5 },", 8,
      "no dac named 'b'" },
    { 8, "    channel { signal = 'cell[1].v', dac = 'a', ch = 8, min = 0, max = 4.5 },", 8,
      "'ch' must be an integer in 0..7" },
    { 8, "    channel { signal = 'cell[1].v', dac = 'a', ch = 0, min = 0, max = 5.5 },", 8,
      "max 5.5 needs 5.5000 V" },
    { 8, "    channel { signal = 'cell[1].v', dac = 'a', ch = 0, min = 3, max = 2 },", 8,
      "min 3 must be below max 2" },
    { 8, "    channel { signal = 'cell[1].v', dac = 'a', ch = 0, min = 0, max = 4, safe = 9 },", 8,
      "safe value 9 outside" },
    { 8, "    channel { signal = 'Cell 1', dac = 'a', ch = 0, min = 0, max = 4 },", 8,
      "is not of the form" },
    { 9, "    channel { signal = 'cell[1].v', dac = 'a', ch = 1, min = 0, max = 4.5 },", 9,
      "mapped twice (first at line 8)" },
    { 9, "    channel { signal = 'cell[2].v', dac = 'a', ch = 0, min = 0, max = 4.5 },", 9,
      "already drives 'cell[1].v'" },
    /* a bare table carries no line: the error names the board's line */
    { 9, "    { signal = 'cell[2].v', dac = 'a', ch = 1, min = 0, max = 4.5 },", 1,
      "channels[2]: write channel { ... }" },
    { 11, "  faults = { relay { name = 'bms_tx', pin = 'ADBUS3' } },", 11, "already in use" },
    { 11, "  faults = { relay { name = 'bms_tx', pin = 'ACBUS0', active = 'up' } },", 11,
      "active must be" },
    { 11, "  faults = { bank { name = 'r', pins = { 'ACBUS1' }, safe = 'x', positions = "
          "{ { name = 'a', code = 0 }, { name = 'b', code = 1 } } } },", 11,
      "safe position 'x' is not listed" },
    { 11, "  faults = { bank { name = 'r', pins = { 'ACBUS1' }, safe = 'a', positions = "
          "{ { name = 'a', code = 0 }, { name = 'b', code = 2 } } } },", 11, "'code' must be an integer in 0..1" },
    /* a line name no fault of the fault table uses (rig/fault/fault.h) */
    { 11, "  faults = { relay { name = 'bms-tx', pin = 'ACBUS0' } },", 11,
      "fault line 'bms-tx' is not a bench line of any fault; did you mean 'bms_tx'?" },
    { 11, "  faults = { bank { name = 'series_resistor', pins = { 'ACBUS1' }, safe = 'a', "
          "positions = { { name = 'a', code = 0 }, { name = 'b', code = 1 } } } },", 11,
      "(lines: bms_tx, esc_tx, esc_resistor, series_r, moisture, power)" },
    { 3, "  ftdi = { serial = 'X1', spi_hz = 60000000 },", 1, "'spi_hz' must be an integer" },
    { 1, "return {", 1, "return board { ... }" },
};

static void write_case(const char *path, const struct bad_case *c)
{
    FILE *fp = fopen(path, "w");
    cr_assert_not_null(fp);
    for (size_t i = 0; i < sizeof base_lines / sizeof base_lines[0]; i++)
        fprintf(fp, "%s\n", (int)i + 1 == c->line ? c->text : base_lines[i]);
    fclose(fp);
}

Test(board, base_case_is_valid)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/bmsrig-board-%d.lua", (int)getpid());
    struct bad_case none = { 0, NULL, 0, NULL };
    write_case(path, &none);
    struct board *b;
    char err[512];
    cr_assert_eq(board_load(&b, path, err, sizeof err), BMSRIG_OK, "%s", err);
    cr_assert_eq(b->nchannels, 2);
    cr_assert_float_eq(b->channels[0].safe, 0.0, 1e-12);
    board_free(b);
    unlink(path);
}

Test(board, bad_descriptions_name_file_and_line)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/bmsrig-board-%d.lua", (int)getpid());
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const struct bad_case *c = &bad_cases[i];
        write_case(path, c);
        struct board *b = (struct board *)1;
        char err[512];
        int rc = board_load(&b, path, err, sizeof err);
        cr_expect_eq(rc, BMSRIG_ERR_PARSE, "case %zu: rc %d (%s)", i, rc, err);
        cr_expect_null(b, "case %zu", i);
        char where[96];
        snprintf(where, sizeof where, "%s:%d:", path, c->want_line);
        cr_expect(strncmp(err, where, strlen(where)) == 0, "case %zu: '%s' does not start with '%s'",
                  i, err, where);
        cr_expect(strstr(err, c->want) != NULL, "case %zu: '%s' lacks '%s'", i, err, c->want);
    }
    unlink(path);
}

Test(board, missing_file)
{
    struct board *b;
    char err[256];
    cr_assert_eq(board_load(&b, "/nonexistent/x.lua", err, sizeof err), BMSRIG_ERR_IO);
    cr_assert(strstr(err, "/nonexistent/x.lua") != NULL);
}

/* Metatables in a description run Lua while the loader reads the fields: an error there is a
 * bad description (file:line), not a Lua panic (abort), and an endless loop there hits the
 * instruction budget instead of hanging. */
static void expect_parse_error(const char *text, const char *needle)
{
    char path[] = "/tmp/test_board_meta_XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    struct board *b = NULL;
    char err[1024];
    int rc = board_load(&b, path, err, sizeof err);
    unlink(path);
    cr_assert_eq(rc, BMSRIG_ERR_PARSE, "rc %d: %s", rc, err);
    cr_assert_null(b);
    cr_assert(strstr(err, needle) != NULL, "message: %s", err);
}

Test(board, metamethod_error_is_a_parse_error)
{
    expect_parse_error("return setmetatable({}, { __index = function() error('boom') end })\n",
                       ":1: boom");
    /* a section with a metatable is refused before any of its metamethods runs (issue 16) */
    expect_parse_error("return board { name = 'x',\n"
                       "  ftdi = setmetatable({}, { __index = function() error('bang') end }) }\n",
                       ":1: board: field 'ftdi' must be a plain table (it has a metatable)");
}

Test(board, metamethod_endless_loop_hits_the_budget, .timeout = 20)
{
    expect_parse_error("return setmetatable({}, { __index = function() while true do end end })\n",
                       "instruction budget");
}

/* Issue 16, red team: a description's tables are plain (a metatable would make up entries the
 * raw reading ignores), a bank's positions have distinct names, and no finalizer can run
 * after the reading (Lua runs __gc with hooks off, and at lua_close). */
static void expect_emulated_edit(const char *from, const char *to, const char *needle, int line)
{
    char src[512];
    snprintf(src, sizeof src, "%s/hw/boards/emulated.lua", BMSRIG_SOURCE_DIR);
    char *text = cellfile_slurp(src, NULL);
    cr_assert_not_null(text, "%s", src);
    char *at = strstr(text, from);
    cr_assert_not_null(at, "'%s' not in emulated.lua", from);
    size_t n = strlen(text) + strlen(to) + 1;
    char *out = malloc(n);
    snprintf(out, n, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
    char path[] = "/tmp/test_board_edit_XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, out, strlen(out)), (ssize_t)strlen(out));
    close(fd);
    struct board *b = NULL;
    char err[1024];
    int rc = board_load(&b, path, err, sizeof err);
    unlink(path);
    free(text);
    free(out);
    cr_assert_eq(rc, BMSRIG_ERR_PARSE, "rc %d: %s", rc, err);
    cr_assert_null(b);
    char where[96];
    snprintf(where, sizeof where, "%s:%d: ", path, line);
    cr_assert(strncmp(err, where, strlen(where)) == 0, "'%s' does not start with '%s'", err,
              where);
    cr_assert(strstr(err, needle) != NULL, "message: %s", err);
}

Test(board, channels_with_a_metatable_are_refused)
{
    expect_emulated_edit("  channels = channels,",
                         "  channels = setmetatable(channels, { __index = function() end }),",
                         "board: field 'channels' must be a plain table (it has a metatable)",
                         32);   /* the board { line */
    expect_emulated_edit(
        "relay { name = \"bms_tx\", pin = \"ACBUS0\", active = \"high\", sense = \"ACBUS4\" },",
        "setmetatable(relay { name = \"bms_tx\", pin = \"ACBUS0\", active = \"high\", "
        "sense = \"ACBUS4\" }, {}),",
        "faults[1] must be a plain table (it has a metatable)", 45);
}

Test(board, duplicate_bank_position_names_are_refused)
{
    expect_emulated_edit("{ name = \"burnt\", code = 2, ohms = 47000 }",
                         "{ name = \"open\", code = 2, ohms = 47000 }",
                         "bank 'esc_resistor': position 'open' listed twice (positions[2] and [3])",
                         49);
}

Test(board, gc_finalizers_are_refused, .timeout = 20)
{
    expect_parse_error("setmetatable({}, { __gc = function() while true do end end })\n"
                       "return board { name = 'x' }\n",
                       ":1: setmetatable: __gc finalizers are not allowed in rig descriptions");
    expect_parse_error("local mt = getmetatable('')\n"
                       "mt.__gc = function() while true do end end\n"
                       "return board { name = 'x' }\n",
                       ":2: attempt to index a string value");
}

/* ---- extends: a description built on another one ---------------------------------------- */

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "w");
    cr_assert_not_null(fp, "%s", path);
    fputs(text, fp);
    fclose(fp);
}

static void write_base(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct bad_case none = { 0, NULL, 0, NULL };
    write_case(path, &none);
}

static char *temp_dir(void)
{
    static char dir[64];
    snprintf(dir, sizeof dir, "/tmp/bmsrig-extends-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    return dir;
}

static void remove_dir(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

/* Loads dir/name expecting a parse error at file:line (file relative to dir) naming `want`. */
static void expect_extends_error(const char *dir, const char *name, const char *want_file,
                                 int want_line, const char *want)
{
    char path[512], where[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct board *b = (struct board *)1;
    char err[1024];
    int rc = board_load(&b, path, err, sizeof err);
    cr_expect_eq(rc, BMSRIG_ERR_PARSE, "%s: rc %d (%s)", name, rc, err);
    cr_expect_null(b, "%s", name);
    snprintf(where, sizeof where, "%s/%s:%d:", dir, want_file, want_line);
    cr_expect(strncmp(err, where, strlen(where)) == 0, "%s: '%s' does not start with '%s'", name,
              err, where);
    cr_expect(strstr(err, want) != NULL, "%s: '%s' lacks '%s'", name, err, want);
}

Test(board, extends_inherits_what_is_not_given)
{
    char *dir = temp_dir();
    write_base(dir, "base.lua");
    write_file(dir, "by_name.lua",
               "-- only what differs\n"
               "return board { extends = 'base', name = 'derived',\n"
               "  serial = { bms = '/dev/ttyX', dash = 'pty' } }\n");
    write_file(dir, "by_path.lua",
               "return board { extends = './base.lua', name = 'p',\n"
               "  faults = { relay { name = 'esc_tx', pin = 'ACBUS1' } } }\n");
    write_file(dir, "two_levels.lua",
               "return board { extends = 'by_path', name = 'two', readback = true }\n");
    char path[512], err[512];
    struct board *b;
    snprintf(path, sizeof path, "%s/by_name.lua", dir);
    cr_assert_eq(board_load(&b, path, err, sizeof err), BMSRIG_OK, "%s", err);
    cr_expect_str_eq(b->name, "derived");
    cr_expect_str_eq(b->bms_port, "/dev/ttyX");
    cr_expect_str_eq(b->ftdi.serial, "X1", "ftdi inherited");
    cr_expect_eq(b->ndacs, 1);
    cr_expect_eq(b->nchannels, 2);
    cr_expect_eq(b->nfaults, 1);
    cr_expect_str_eq(b->faults[0].name, "bms_tx");
    board_free(b);
    snprintf(path, sizeof path, "%s/two_levels.lua", dir);
    cr_assert_eq(board_load(&b, path, err, sizeof err), BMSRIG_OK, "%s", err);
    cr_expect_str_eq(b->name, "two");
    cr_expect(b->readback);
    cr_expect_eq(b->nfaults, 1);
    cr_expect_str_eq(b->faults[0].name, "esc_tx", "faults replaced whole by the middle level");
    cr_expect_eq(b->faults[0].line, 2);
    cr_expect_eq(b->nchannels, 2, "channels from the bottom level");
    board_free(b);
    remove_dir(dir);
}

Test(board, extends_errors_name_file_and_line)
{
    char *dir = temp_dir();
    write_base(dir, "base.lua");
    write_file(dir, "missing.lua", "\nreturn board { extends = 'nosuch', name = 'm' }\n");
    expect_extends_error(dir, "missing.lua", "missing.lua", 2, "extends 'nosuch': no rig description");
    write_file(dir, "notstr.lua", "return board { extends = 3, name = 'n' }\n");
    expect_extends_error(dir, "notstr.lua", "notstr.lua", 1, "extends must be a string");
    write_file(dir, "a.lua", "return board { extends = 'b', name = 'a' }\n");
    write_file(dir, "b.lua", "return board {\n  extends = 'a.lua', name = 'b' }\n");
    expect_extends_error(dir, "a.lua", "b.lua", 1, "extends cycle");
    write_file(dir, "self.lua", "return board { extends = 'self', name = 's' }\n");
    expect_extends_error(dir, "self.lua", "self.lua", 1, "extends cycle");
    /* a chain deeper than the limit: l0 -> l1 -> ... -> l9 -> base */
    for (int i = 0; i < 10; i++) {
        char name[16], text[128];
        snprintf(name, sizeof name, "l%d.lua", i);
        snprintf(text, sizeof text, "return board { extends = '%s', name = 'l%d' }\n",
                 i < 9 ? (char[8]){ 'l', (char)('1' + i), 0 } : "base", i);
        write_file(dir, name, text);
    }
    expect_extends_error(dir, "l0.lua", "l8.lua", 1, "more than 8 levels");
    write_file(dir, "l8ok.lua", "return board { extends = 'l9', name = 'ok' }\n");
    struct board *b;
    char path[512], err[512];
    snprintf(path, sizeof path, "%s/l8ok.lua", dir);
    cr_expect_eq(board_load(&b, path, err, sizeof err), BMSRIG_OK, "two levels are fine: %s", err);
    board_free(b);
    /* the base's own errors keep the base's file:line */
    write_file(dir, "broken.lua", "return board {\n  name = 'x'\n  ftdi = {} }\n");
    write_file(dir, "on_broken.lua", "return board { extends = 'broken', name = 'y' }\n");
    expect_extends_error(dir, "on_broken.lua", "broken.lua", 3, "expected");
    write_file(dir, "notboard.lua", "return { name = 'x' }\n");
    write_file(dir, "on_notboard.lua", "return board { extends = 'notboard', name = 'y' }\n");
    expect_extends_error(dir, "on_notboard.lua", "notboard.lua", 1, "return board { ... }");
    /* an inherited entry that no longer fits names its own line in the base */
    write_file(dir, "new_dacs.lua",
               "return board { extends = 'base', name = 'nd',\n"
               "  dacs = { dac { name = 'z', model = 'ad5676r', cs = 'ADBUS4', gain = 2 } } }\n");
    expect_extends_error(dir, "new_dacs.lua", "base.lua", 8, "no dac named 'a'");
    /* and an override's own error names the derived file */
    write_file(dir, "bad_override.lua",
               "return board { extends = 'base', name = 'bo',\n"
               "  faults = { relay { name = 'bms_tx', pin = 'ADBUS3' } } }\n");
    expect_extends_error(dir, "bad_override.lua", "bad_override.lua", 2, "already in use");
    remove_dir(dir);
}

/* The pty test board names only what differs from hw/boards/emulated.lua: the same DACs,
 * channels and fault lines (from the same lines of the same file), its own name and serial. */
Test(board, emulated_pty_extends_emulated)
{
    struct board *base, *pty;
    char err[512];
    cr_assert_eq(board_load(&base, BMSRIG_SOURCE_DIR "/hw/boards/emulated.lua", err, sizeof err),
                 BMSRIG_OK, "%s", err);
    cr_assert_eq(board_load(&pty, BMSRIG_SOURCE_DIR "/tests/data/emulated_pty.lua", err,
                            sizeof err), BMSRIG_OK, "%s", err);
    cr_expect_str_eq(pty->name, "emulated_pty");
    cr_expect_str_eq(pty->bms_port, "pty");
    cr_expect_str_eq(pty->dash_port, "pty");
    cr_expect(memcmp(&pty->ftdi, &base->ftdi, sizeof base->ftdi) == 0);
    cr_expect_eq(pty->ndacs, base->ndacs);
    cr_expect(memcmp(pty->dacs, base->dacs, sizeof base->dacs) == 0);
    cr_expect_eq(pty->nchannels, base->nchannels);
    cr_expect(memcmp(pty->channels, base->channels, sizeof base->channels) == 0);
    cr_expect_eq(pty->nfaults, base->nfaults);
    cr_expect(memcmp(pty->faults, base->faults, sizeof base->faults) == 0);
    cr_expect_eq(pty->readback, base->readback);
    board_free(base);
    board_free(pty);
}
