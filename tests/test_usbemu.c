/* test_usbemu.c: the emulated FT232H/FT2232H (hw/emu, loaded as libusb-1.0.so.0 through
 * LD_LIBRARY_PATH) driven by the real, unmodified Debian libftdi1: open by serial, chip
 * detection, MPSSE, bad-command resync, long reads, async calls, GPIO, clocking, SPI DAC models,
 * relays and fault hooks. */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <ftdi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EMU_SERIAL "BMSEMU01"

static char log_path[256];
static char vcd_path[256];

/* Each Criterion test runs in its own process, so each gets a fresh emulated world. */
static void setup(void)
{
    snprintf(log_path, sizeof log_path, "/tmp/bmsrig-usbemu-%d.log", (int)getpid());
    snprintf(vcd_path, sizeof vcd_path, "/tmp/bmsrig-usbemu-%d.vcd", (int)getpid());
    unlink(log_path);
    unlink(vcd_path);
    setenv("BMSRIG_EMU_LOG", log_path, 1);
    setenv("BMSRIG_EMU_VCD", vcd_path, 1);
    unsetenv("BMSRIG_EMU_CONFIG");
    unsetenv("BMSRIG_EMU_FAULTS");
}

static void teardown(void)
{
    unlink(log_path);
    unlink(vcd_path);
}

TestSuite(usbemu, .init = setup, .fini = teardown, .timeout = 20);

static struct ftdi_context *open_emu(void)
{
    struct ftdi_context *f = ftdi_new();
    cr_assert_not_null(f);
    int rc = ftdi_usb_open_desc(f, 0x0403, 0x6014, NULL, EMU_SERIAL);
    cr_assert_eq(rc, 0, "open: %d %s", rc, ftdi_get_error_string(f));
    return f;
}

static void mpsse_on(struct ftdi_context *f)
{
    cr_assert_eq(ftdi_usb_reset(f), 0);
    cr_assert_eq(ftdi_tcioflush(f), 0);
    cr_assert_eq(ftdi_set_latency_timer(f, 2), 0);
    cr_assert_eq(ftdi_set_bitmode(f, 0, BITMODE_RESET), 0);
    cr_assert_eq(ftdi_set_bitmode(f, 0, BITMODE_MPSSE), 0);
}

static void wr(struct ftdi_context *f, const uint8_t *b, int n)
{
    int rc = ftdi_write_data(f, b, n);
    cr_assert_eq(rc, n, "write %d: %d %s", n, rc, ftdi_get_error_string(f));
}

static int rd(struct ftdi_context *f, uint8_t *b, int n)
{
    int got = 0;
    for (int tries = 0; got < n && tries < 100; tries++) {
        int rc = ftdi_read_data(f, b + got, n - got);
        cr_assert_geq(rc, 0, "read: %d", rc);
        got += rc;
    }
    return got;
}

static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return strdup("");
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *s = calloc(1, (size_t)n + 1);
    cr_assert_eq(fread(s, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    return s;
}

static bool log_has(const char *needle)
{
    char *s = slurp(log_path);
    bool ok = strstr(s, needle) != NULL;
    free(s);
    return ok;
}

Test(usbemu, is_the_loaded_libusb)
{
    const char *(*id)(void) = (const char *(*)(void))dlsym(RTLD_DEFAULT, "bmsrig_usbemu_id");
    cr_assert_not_null(id, "the emulator is not the libusb-1.0.so.0 in use (LD_LIBRARY_PATH?)");
    cr_assert_str_eq(id(), "bmsrig-usbemu 1");
}

Test(usbemu, opens_ft232h_by_serial)
{
    struct ftdi_context *f = open_emu();
    cr_assert_eq(f->type, TYPE_232H);
    cr_assert_eq(f->max_packet_size, 512u);
    unsigned char lat = 0;
    cr_assert_eq(ftdi_set_latency_timer(f, 7), 0);
    cr_assert_eq(ftdi_get_latency_timer(f, &lat), 0);
    cr_assert_eq(lat, 7);
    unsigned short st = 0;
    cr_assert_eq(ftdi_poll_modem_status(f, &st), 0);
    ftdi_usb_close(f);
    /* reopen works (libftdi opens and closes during the search) */
    cr_assert_eq(ftdi_usb_open_desc(f, 0x0403, 0x6014, NULL, EMU_SERIAL), 0);
    ftdi_free(f);
    struct ftdi_context *g = ftdi_new();
    cr_assert_eq(ftdi_usb_open_desc(g, 0x0403, 0x6014, NULL, "NOSUCHSN"), -3);
    ftdi_free(g);
}

Test(usbemu, ft2232h_from_config_file)
{
    char cfg[256];
    snprintf(cfg, sizeof cfg, "/tmp/bmsrig-usbemu-%d.conf", (int)getpid());
    FILE *fp = fopen(cfg, "w");
    fputs("# two chips\ndevice ft232h AAA1\ndevice ft2232h DUAL42\n", fp);
    fclose(fp);
    setenv("BMSRIG_EMU_CONFIG", cfg, 1);
    struct ftdi_context *f = ftdi_new();
    cr_assert_eq(ftdi_set_interface(f, INTERFACE_B), 0);
    cr_assert_eq(ftdi_usb_open_desc(f, 0x0403, 0x6010, NULL, "DUAL42"), 0);
    cr_assert_eq(f->type, TYPE_2232H);
    cr_assert_eq(f->max_packet_size, 512u);
    cr_assert_eq(f->in_ep, 0x04);
    mpsse_on(f);
    uint8_t cmd[] = { 0xAB }, got[2] = { 0 };
    wr(f, cmd, 1);
    cr_assert_eq(rd(f, got, 2), 2);
    cr_assert_eq(got[0], 0xFA);
    cr_assert_eq(got[1], 0xAB);
    ftdi_free(f);
    struct ftdi_context *g = ftdi_new();
    cr_assert_eq(ftdi_usb_open_desc(g, 0x0403, 0x6014, NULL, "AAA1"), 0);
    cr_assert_eq(g->type, TYPE_232H);
    ftdi_free(g);
    unlink(cfg);
}

Test(usbemu, bad_command_resync_and_split_commands)
{
    struct ftdi_context *f = open_emu();
    mpsse_on(f);
    uint8_t aa[] = { 0xAA }, got[4] = { 0 };
    wr(f, aa, 1);
    cr_assert_eq(rd(f, got, 2), 2);
    cr_assert_eq(got[0], 0xFA);
    cr_assert_eq(got[1], 0xAA);
    /* nothing else is pending: a read returns 0 bytes, it does not block */
    cr_assert_eq(ftdi_read_data(f, got, 4), 0);
    /* a command split over three writes is reassembled */
    uint8_t p1[] = { 0x82 }, p2[] = { 0x5A }, p3[] = { 0xFF, 0x83, 0x87 };
    wr(f, p1, 1);
    wr(f, p2, 1);
    wr(f, p3, 3);
    cr_assert_eq(rd(f, got, 1), 1);
    cr_assert_eq(got[0], 0x5A);
    /* low byte: outputs read back, inputs pulled up */
    uint8_t lo[] = { 0x80, 0x08, 0x0B, 0x81, 0x87 };
    wr(f, lo, 5);
    cr_assert_eq(rd(f, got, 1), 1);
    cr_assert_eq(got[0], 0xFC);   /* 0x08 driven, bits 2,4..7 inputs high, bits 0,1 low */
    ftdi_free(f);
}

Test(usbemu, long_reads_strip_status_per_packet)
{
    struct ftdi_context *f = open_emu();
    mpsse_on(f);
    enum { N = 1500 };
    static uint8_t got[N];
    /* loopback (DI = DO), then RW bytes: out on -ve, in on +ve */
    uint8_t hdr[3] = { 0x31, (N - 1) & 0xFF, (N - 1) >> 8 };
    size_t k = 0;
    uint8_t buf[1 + 3 + 3 + N + 1];
    buf[k++] = 0x84;
    buf[k++] = 0x80; buf[k++] = 0x08; buf[k++] = 0x0B;
    memcpy(buf + k, hdr, 3);
    k += 3;
    for (int i = 0; i < N; i++)
        buf[k++] = (uint8_t)(i * 7 + 3);
    buf[k++] = 0x87;
    wr(f, buf, (int)k);
    cr_assert_eq(rd(f, got, N), N);
    for (int i = 0; i < N; i++)
        cr_assert_eq(got[i], (uint8_t)(i * 7 + 3), "byte %d", i);
    ftdi_free(f);
}

Test(usbemu, bit_and_lsb_clocking_through_loopback)
{
    struct ftdi_context *f = open_emu();
    mpsse_on(f);
    uint8_t cmd[] = {
        0x84, 0x80, 0x08, 0x0B,
        0x33, 4, 0xA8,          /* RW 5 bits MSB first: 1,0,1,0,1 shift in from the LSB side */
        0x3B, 2, 0x05,          /* RW 3 bits LSB first: 1,0,1 shift in from the MSB side */
        0x39, 0, 0, 0x5A,       /* RW 1 byte LSB first */
        0x35, 0, 0, 0xC3,       /* RW 1 byte, out on -ve, in on -ve */
        0x24, 0, 0,             /* read 1 byte on -ve (DO idle 1 after 0xC3 ends with 1) */
        0x87,
    };
    wr(f, cmd, sizeof cmd);
    uint8_t got[5];
    cr_assert_eq(rd(f, got, 5), 5);
    cr_assert_eq(got[0], 0x15, "5 MSB-first bits: 0x%02x", got[0]);
    cr_assert_eq(got[1], 0xA0, "3 LSB-first bits land in the top: 0x%02x", got[1]);
    cr_assert_eq(got[2], 0x5A);
    cr_assert_eq(got[3], 0xC3);
    cr_assert_eq(got[4], 0xFF);
    ftdi_free(f);
}

Test(usbemu, async_calls)
{
    struct ftdi_context *f = open_emu();
    mpsse_on(f);
    uint8_t cmd[] = { 0x82, 0x33, 0xFF, 0x83, 0x87 };
    struct ftdi_transfer_control *tw = ftdi_write_data_submit(f, cmd, sizeof cmd);
    cr_assert_not_null(tw);
    cr_assert_eq(ftdi_transfer_data_done(tw), (int)sizeof cmd);
    uint8_t got[4] = { 0 };
    struct ftdi_transfer_control *tr = ftdi_read_data_submit(f, got, 1);
    cr_assert_not_null(tr);
    cr_assert_eq(ftdi_transfer_data_done(tr), 1);
    cr_assert_eq(got[0], 0x33);
    /* a long async read through the 2-status-bytes-per-packet path */
    enum { N = 1200 };
    static uint8_t big[N + 8], back[N];
    size_t k = 0;
    big[k++] = 0x84;
    big[k++] = 0x80; big[k++] = 0x08; big[k++] = 0x0B;   /* SK, DO, CS outputs */
    big[k++] = 0x31; big[k++] = (N - 1) & 0xFF; big[k++] = (N - 1) >> 8;
    for (int i = 0; i < N; i++)
        big[k++] = (uint8_t)(255 - i);
    big[k++] = 0x87;
    wr(f, big, (int)k);
    tr = ftdi_read_data_submit(f, back, N);
    cr_assert_eq(ftdi_transfer_data_done(tr), N);
    for (int i = 0; i < N; i++)
        cr_assert_eq(back[i], (uint8_t)(255 - i), "byte %d: 0x%02x", i, back[i]);
    /* an async read nothing will ever satisfy ends (timed out) instead of hanging */
    tr = ftdi_read_data_submit(f, got, 2);
    cr_assert_not_null(tr);
    cr_assert_lt(ftdi_transfer_data_done(tr), 2);
    ftdi_free(f);
}

/* Times [ns] of the sck transitions in the VCD. */
static int vcd_sck_edges(uint64_t *t, int max)
{
    char *s = slurp(vcd_path);
    int n = 0;
    uint64_t now = 0;
    bool in_defs = true;
    for (char *line = strtok(s, "\n"); line && n < max; line = strtok(NULL, "\n")) {
        if (strstr(line, "$enddefinitions"))
            in_defs = false;
        if (in_defs)
            continue;
        if (line[0] == '#')
            now = strtoull(line + 1, NULL, 10);
        else if ((line[0] == '0' || line[0] == '1') && line[1] == '!')
            t[n++] = now;
    }
    free(s);
    return n;
}

Test(usbemu, clock_divisor_and_div5)
{
    struct ftdi_context *f = open_emu();
    mpsse_on(f);
    /* 60 MHz base, divisor 29 -> 1 MHz, half period 500 ns */
    uint8_t a[] = { 0x8A, 0x97, 0x8D, 0x86, 29, 0, 0x80, 0x08, 0x0B, 0x8F, 0, 0 };
    wr(f, a, sizeof a);
    /* 12 MHz base (div-by-5), divisor 29 -> 200 kHz, half period 2500 ns */
    uint8_t b[] = { 0x8B, 0x8F, 0, 0 };
    wr(f, b, sizeof b);
    ftdi_free(f);
    uint64_t t[64];
    int n = vcd_sck_edges(t, 64);
    cr_assert_geq(n, 34, "edges: %d", n);
    /* t[0]: initial dump (input, pulled up); t[1]: 0x80 drives SK low; t[2..17]: 16 edges
     * for 8 clocks at 1 MHz; t[18..33]: 16 edges at 200 kHz */
    for (int i = 3; i <= 17; i++)
        cr_assert_eq(t[i] - t[i - 1], 500u, "edge %d: %llu", i,
                     (unsigned long long)(t[i] - t[i - 1]));
    for (int i = 19; i <= 33; i++)
        cr_assert_eq(t[i] - t[i - 1], 2500u, "edge %d", i);
}

static void spi_frame(struct ftdi_context *f, int cs_pin, int mode, uint32_t frame, uint8_t op)
{
    uint8_t idle = mode == 2 ? 0x01 : 0x00;
    uint8_t cs = (uint8_t)(1u << cs_pin);
    uint8_t all_cs = 0x38;   /* ADBUS3..5 */
    uint8_t b[] = {
        0x80, (uint8_t)(idle | all_cs | 0x40), 0x7B,           /* LDAC (ADBUS6) high */
        0x80, (uint8_t)((idle | all_cs | 0x40) & ~cs), 0x7B,
        op, 2, 0, (uint8_t)(frame >> 16), (uint8_t)(frame >> 8), (uint8_t)frame,
        0x80, (uint8_t)(idle | all_cs | 0x40), 0x7B,
    };
    wr(f, b, sizeof b);
}

Test(usbemu, ad5676r_mode2_and_wrong_edge)
{
    struct ftdi_context *f = open_emu();
    mpsse_on(f);
    uint8_t init[] = { 0x8A, 0x97, 0x8D, 0x86, 2, 0 };
    wr(f, init, sizeof init);
    spi_frame(f, 3, 2, 0x351234, 0x10);   /* write & update ch 5, mode 2: correct */
    cr_assert(log_has("dac cells_a 5 0x1234 0.355"), "log: %s", slurp(log_path));
    spi_frame(f, 3, 0, 0x3600F0, 0x11);   /* mode 0: data moves on the falling sampling edge */
    cr_assert(log_has("spi_error cells_a wrong_edge"));
    cr_assert(!log_has("dac cells_a 6"));
    /* input register + LDAC pulse: the output changes only on the LDAC falling edge */
    spi_frame(f, 4, 2, 0x12ABCD, 0x10);
    cr_assert(!log_has("dac cells_b 2"));
    uint8_t pulse[] = { 0x80, 0x39, 0x7B, 0x80, 0x79, 0x7B };
    wr(f, pulse, sizeof pulse);
    cr_assert(log_has("dac cells_b 2 0xabcd"));
    /* a frame cut short is ignored */
    uint8_t shortf[] = { 0x80, 0x79, 0x7B, 0x80, 0x71, 0x7B, 0x10, 1, 0, 0x34, 0x00,
                         0x80, 0x79, 0x7B };
    wr(f, shortf, sizeof shortf);
    cr_assert(log_has("spi_error cells_a bits=16"));
    ftdi_free(f);
}

Test(usbemu, ltc2668_mode0_echo_and_wrong_edge)
{
    struct ftdi_context *f = open_emu();
    mpsse_on(f);
    uint8_t init[] = { 0x8A, 0x97, 0x8D, 0x86, 2, 0 };
    wr(f, init, sizeof init);
    spi_frame(f, 5, 0, 0x30C000, 0x11);   /* write & update ch 0: 0xC000 of 0..10 V = 7.5 V */
    cr_assert(log_has("dac aux 0 0xc000 7.500000"), "log: %s", slurp(log_path));
    spi_frame(f, 5, 2, 0x318000, 0x10);   /* mode 2 on a rising-edge part */
    cr_assert(log_has("spi_error aux wrong_edge"));
    /* SDO echoes the previous good frame: read it with the mode 0 RW opcode */
    uint8_t b[] = { 0x80, 0x78, 0x7B, 0x80, 0x58, 0x7B, 0x31, 2, 0, 0xF0, 0, 0,
                    0x80, 0x78, 0x7B, 0x87 };
    wr(f, b, sizeof b);
    uint8_t got[3];
    cr_assert_eq(rd(f, got, 3), 3);
    cr_assert_eq(got[0], 0x30);
    cr_assert_eq(got[1], 0xC0);
    cr_assert_eq(got[2], 0x00);
    ftdi_free(f);
}

Test(usbemu, relays_and_sense_pins)
{
    struct ftdi_context *f = open_emu();
    mpsse_on(f);
    uint8_t on[] = { 0x82, 0x01, 0x0F, 0x83, 0x87 };   /* ACBUS0..3 outputs, bms_tx on */
    wr(f, on, sizeof on);
    uint8_t got[1];
    cr_assert_eq(rd(f, got, 1), 1);
    cr_assert_eq(got[0] & 0xF1, 0x11, "sense ACBUS4 follows bms_tx: 0x%02x", got[0]);
    cr_assert(log_has("relay bms_tx 1"));
    cr_assert(!log_has("relay esc_tx 1"));
    uint8_t off[] = { 0x82, 0x00, 0x0F };
    wr(f, off, sizeof off);
    cr_assert(log_has("relay bms_tx 0"));
    cr_assert(log_has("pin BMSEMU01 ACBUS0 0"));
    /* leaving MPSSE releases every pin: relays drop out */
    wr(f, on, 3);
    cr_assert_eq(ftdi_set_bitmode(f, 0, BITMODE_RESET), 0);
    char *s = slurp(log_path);
    char *last = strstr(s, "relay bms_tx 1");
    cr_assert_not_null(last);
    cr_assert_not_null(strstr(last, "relay bms_tx 0"));
    free(s);
    ftdi_free(f);
}

Test(usbemu, unplug_after_writes)
{
    setenv("BMSRIG_EMU_FAULTS", "unplug_after_writes=2", 1);
    struct ftdi_context *f = open_emu();
    mpsse_on(f);
    uint8_t x[] = { 0x87 };
    cr_assert_eq(ftdi_write_data(f, x, 1), 1);
    cr_assert_eq(ftdi_write_data(f, x, 1), 1);
    cr_assert_lt(ftdi_write_data(f, x, 1), 0);
    cr_assert(log_has("usb unplug BMSEMU01 after 2 writes"));
    struct ftdi_context *g = ftdi_new();
    cr_assert_eq(ftdi_usb_open_desc(g, 0x0403, 0x6014, NULL, EMU_SERIAL), -3);
    ftdi_free(g);
    ftdi_free(f);
}

Test(usbemu, usb_error_and_miso_stuck)
{
    setenv("BMSRIG_EMU_FAULTS", "usb_error_on_write=2,miso_stuck=1", 1);
    struct ftdi_context *f = open_emu();
    mpsse_on(f);
    uint8_t rw[] = { 0x80, 0x08, 0x0B, 0x31, 1, 0, 0x00, 0x00, 0x87 };
    cr_assert_eq(ftdi_write_data(f, rw, sizeof rw), (int)sizeof rw);
    cr_assert_lt(ftdi_write_data(f, rw, sizeof rw), 0);   /* write 2 fails */
    cr_assert(log_has("usb error on write 2"));
    uint8_t got[2] = { 0 };
    cr_assert_eq(rd(f, got, 2), 2);
    cr_assert_eq(got[0], 0xFF);
    cr_assert_eq(got[1], 0xFF);
    ftdi_free(f);
}
