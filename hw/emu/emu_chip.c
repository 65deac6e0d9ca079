/* emu_chip.c: what sits behind the emulated USB endpoints: the MPSSE command engine (AN_108
 * opcodes, rig.md section 3), a clocked pin model with emulated time, SPI DAC slaves (AD5676R,
 * LTC2668) that check the edge they sample on, relays on GPIO pins, the event log and the VCD. */
#include <stdlib.h>
#include <string.h>

#include "emu.h"

#define PS_PER_CMD_BYTE 16667ull   /* [I] one 60 MHz engine clock per command byte */

/* ---- small helpers ---------------------------------------------------------------------- */

static bool bit_of(uint16_t v, int pin) { return (v >> pin) & 1u; }

void emu_rx_push(struct emu_port *p, const uint8_t *b, size_t n)
{
    if (p->rx_len + n > p->rx_cap) {
        size_t cap = p->rx_cap ? p->rx_cap : 1024;
        while (cap < p->rx_len + n)
            cap *= 2;
        uint8_t *nb = realloc(p->rx, cap);
        if (!nb)
            return;
        p->rx = nb;
        p->rx_cap = cap;
    }
    memcpy(p->rx + p->rx_len, b, n);
    p->rx_len += n;
}

void emu_port_reset(struct emu_port *p)
{
    p->cmd_len = 0;
    p->rx_len = 0;
    p->divisor = 0;
    p->div5 = true;          /* [I] AN_108: divide-by-5 is on after reset (12 MHz base) */
    p->three_phase = false;
    p->adaptive = false;
    p->loopback = false;
    p->do_change_t = UINT64_MAX;
    for (int i = 0; i < EMU_MAX_SLAVES; i++)
        p->sample_t[i] = UINT64_MAX;
}

void emu_slave_init(struct emu_slave *s)
{
    s->nch = s->kind == EMU_AD5676R ? 8 : 16;
    s->sample_rising = s->kind == EMU_LTC2668;   /* AD5676R: falling [S]; LTC2668: rising [I] */
    memset(s->input, 0, sizeof(s->input));
    memset(s->dac, 0, sizeof(s->dac));
    s->ldac_mask = 0;
}

static double slave_volts(const struct emu_slave *s, int ch)
{
    double frac = s->dac[ch] / 65536.0;
    if (s->kind == EMU_AD5676R)
        return frac * s->vref_v * s->gain;
    /* LTC2668 SoftSpan [S]: 0 = 0..5, 1 = 0..10, 2 = +-5, 3 = +-10, 4 = +-2.5 V at 2.5 V ref */
    static const double lo[8] = { 0, 0, -5, -10, -2.5, 0, 0, 0 };
    static const double hi[8] = { 5, 10, 5, 10, 2.5, 5, 5, 5 };
    double k = s->vref_v / 2.5;
    int sp = s->span[ch] & 7;
    return k * (lo[sp] + frac * (hi[sp] - lo[sp]));
}

static void slave_update(struct emu_world *w, struct emu_slave *s, int ch)
{
    if (ch < 0 || ch >= s->nch)
        return;
    if (s->dac[ch] == s->input[ch])
        return;
    s->dac[ch] = s->input[ch];
    emu_log(w, "dac %s %d 0x%04x %.6f", s->name, ch, s->dac[ch], slave_volts(s, ch));
}

static void slave_update_all(struct emu_world *w, struct emu_slave *s)
{
    for (int c = 0; c < s->nch; c++)
        slave_update(w, s, c);
}

static void slave_execute(struct emu_world *w, struct emu_device *d, struct emu_slave *s,
                          uint32_t frame)
{
    int cmd = (int)(frame >> 20) & 0xF;
    int a = (int)(frame >> 16) & 0xF;
    uint16_t data = (uint16_t)frame;
    (void)d;
    if (s->kind == EMU_AD5676R) {
        /* nanoDAC+ command table [S]; channel address 0..7 [S] */
        bool ldac_low = s->ldac_pin < 0 || !bit_of(d->port[0].level, s->ldac_pin);
        if (a >= s->nch && (cmd >= 1 && cmd <= 3)) {
            emu_log(w, "spi_error %s bad_address frame=0x%06x", s->name, frame);
            return;
        }
        switch (cmd) {
        case 1:
            s->input[a] = data;
            if (ldac_low && !(s->ldac_mask & (1u << a)))
                slave_update(w, s, a);
            break;
        case 2: slave_update(w, s, a); break;
        case 3: s->input[a] = data; slave_update(w, s, a); break;
        case 4: emu_log(w, "dac %s power 0x%04x", s->name, data); break;
        case 5: s->ldac_mask = (uint8_t)data; break;
        case 6:
            memset(s->input, 0, sizeof(s->input));
            slave_update_all(w, s);
            s->ldac_mask = 0;
            break;
        case 7: emu_log(w, "dac %s reference %s", s->name, (data & 1) ? "external" : "internal");
                break;
        case 9:
            s->readback_pending = true;
            s->readback_ch = a & 7;
            break;
        default: break;   /* 0 NOP, 8 daisy chain (not modelled) */
        }
        return;
    }
    /* LTC2668 command table [S] */
    switch (cmd) {
    case 0x0: s->input[a] = data; break;
    case 0x1: slave_update(w, s, a); break;
    case 0x2: s->input[a] = data; slave_update_all(w, s); break;
    case 0x3: s->input[a] = data; slave_update(w, s, a); break;
    case 0x4: case 0x5: emu_log(w, "dac %s power_down %d", s->name, cmd == 4 ? a : -1); break;
    case 0x6: s->span[a] = (uint8_t)(data & 7); break;
    case 0x8: for (int c = 0; c < 16; c++) s->input[c] = data; break;
    case 0x9: slave_update_all(w, s); break;
    case 0xA: for (int c = 0; c < 16; c++) s->input[c] = data; slave_update_all(w, s); break;
    case 0xE: for (int c = 0; c < 16; c++) s->span[c] = (uint8_t)(data & 7); break;
    default: break;   /* 7 config, B mux, C/D toggle, F NOP */
    }
}

static void slave_frame_begin(struct emu_slave *s)
{
    s->selected = true;
    s->nbits = 0;
    s->shift_in = 0;
    s->wrong_edge = false;
    if (s->kind == EMU_LTC2668) {
        s->shift_out = s->last_frame;              /* SDO echoes the previous frame [S] */
    } else if (s->readback_pending) {
        s->shift_out = s->input[s->readback_ch];   /* [I] register in the low 16 bits */
        s->readback_pending = false;
    } else {
        s->shift_out = 0;
    }
}

static void slave_frame_end(struct emu_world *w, struct emu_device *d, struct emu_slave *s)
{
    s->selected = false;
    bool len_ok = s->nbits == 24 || (s->kind == EMU_LTC2668 && s->nbits == 32);
    uint32_t frame = s->shift_in & 0xFFFFFFu;
    if (s->nbits == 0)
        return;
    if (!len_ok) {
        /* a frame cut short (or too long) is ignored by the part [S nanoDAC+ "SYNC interrupt"] */
        s->frames_bad++;
        emu_log(w, "spi_error %s bits=%d frame=0x%06x", s->name, s->nbits, frame);
        return;
    }
    if (s->wrong_edge) {
        s->frames_bad++;
        emu_log(w, "spi_error %s wrong_edge frame=0x%06x (data changed on the %s edge the part "
                   "samples on)", s->name, frame, s->sample_rising ? "rising" : "falling");
        return;
    }
    s->frames_ok++;
    s->last_frame = frame;
    slave_execute(w, d, s, frame);
}

/* ---- pins --------------------------------------------------------------------------------- */

static struct emu_slave *selected_slave(struct emu_device *d)
{
    for (int i = 0; i < d->nslaves; i++)
        if (d->slave[i].selected)
            return &d->slave[i];
    return NULL;
}

/* Resolves the level of every pin from what the host drives and what the models drive. */
static uint16_t resolve(struct emu_device *d, int iface)
{
    struct emu_port *p = &d->port[iface];
    uint16_t lv = (uint16_t)((0xFFFFu & ~p->dir) | (p->out_val & p->dir));   /* inputs pulled up */
    if (iface == 0) {
        for (int i = 0; i < d->nrelays; i++) {
            const struct emu_relay *r = &d->relay[i];
            if (r->sense_pin >= 0 && !bit_of(p->dir, r->sense_pin))
                lv = (uint16_t)((lv & ~(1u << r->sense_pin)) | ((r->on ? 1u : 0u) << r->sense_pin));
        }
    }
    if (!bit_of(p->dir, EMU_PIN_DI)) {
        int di = 1;
        if (p->loopback) {
            di = bit_of(lv, EMU_PIN_DO);
        } else if (iface == 0) {
            struct emu_slave *s = selected_slave(d);
            if (s) {
                int idx = s->nbits;   /* next bit the part shifts out */
                di = idx < 24 ? (int)((s->shift_out >> (23 - idx)) & 1u) : 0;
            }
        }
        if (d->miso_stuck >= 0)
            di = d->miso_stuck;
        lv = (uint16_t)((lv & ~(1u << EMU_PIN_DI)) | ((unsigned)di << EMU_PIN_DI));
    }
    return lv;
}

static void vcd_emit(struct emu_world *w, uint16_t lv)
{
    if (!w->vcd)
        return;
    uint64_t t = w->t_ps / 1000;
    if (!w->vcd_started) {
        fprintf(w->vcd, "#%llu\n$dumpvars\n", (unsigned long long)t);
        for (int i = 0; i < 16; i++)
            fprintf(w->vcd, "%d%c\n", bit_of(lv, i), '!' + i);
        fprintf(w->vcd, "$end\n");
        w->vcd_started = true;
        w->vcd_level = lv;
        w->vcd_last_t = t;
        return;
    }
    uint16_t diff = lv ^ w->vcd_level;
    if (!diff)
        return;
    if (t != w->vcd_last_t)
        fprintf(w->vcd, "#%llu\n", (unsigned long long)t);
    for (int i = 0; i < 16; i++)
        if (bit_of(diff, i))
            fprintf(w->vcd, "%d%c\n", bit_of(lv, i), '!' + i);
    w->vcd_level = lv;
    w->vcd_last_t = t;
}

static bool is_cs_or_ldac(const struct emu_device *d, int pin)
{
    for (int i = 0; i < d->nslaves; i++)
        if (d->slave[i].cs_pin == pin || d->slave[i].ldac_pin == pin)
            return true;
    return false;
}

/* Applies new host-driven values/directions and runs every model that watches the pins. */
static void pins_update(struct emu_world *w, struct emu_device *d, int iface)
{
    struct emu_port *p = &d->port[iface];
    uint16_t old = p->level;
    uint16_t lv = resolve(d, iface);
    if (iface == 0) {
        /* relays follow their drive pin (energised only when driven to the active level) */
        for (int i = 0; i < d->nrelays; i++) {
            struct emu_relay *r = &d->relay[i];
            bool on = bit_of(p->dir, r->pin) && bit_of(lv, r->pin) != r->active_low;
            if (on != r->on) {
                r->on = on;
                emu_log(w, "relay %s %d", r->name, on ? 1 : 0);
            }
        }
        lv = resolve(d, iface);
        for (int i = 0; i < d->nslaves; i++) {
            struct emu_slave *s = &d->slave[i];
            bool was = !bit_of(old, s->cs_pin), now = !bit_of(lv, s->cs_pin);
            if (now && !was)
                slave_frame_begin(s);
            else if (!now && was)
                slave_frame_end(w, d, s);
            if (s->ldac_pin >= 0 && bit_of(old, s->ldac_pin) && !bit_of(lv, s->ldac_pin))
                for (int c = 0; c < s->nch; c++)
                    if (!(s->ldac_mask & (1u << c)))
                        slave_update(w, s, c);
        }
        lv = resolve(d, iface);
    }
    p->level = lv;
    uint16_t diff = old ^ lv;
    for (int pin = 3; pin < 16; pin++)
        if (bit_of(diff, pin) && !(iface == 0 && is_cs_or_ldac(d, pin)))
            emu_log(w, "pin %s %s%d %d", d->serial, pin < 8 ? "ADBUS" : "ACBUS", pin & 7,
                    bit_of(lv, pin));
    if (iface == 0 && d == &w->dev[0])
        vcd_emit(w, lv);
}

static void drive(struct emu_world *w, struct emu_device *d, int iface, int pin, int v)
{
    struct emu_port *p = &d->port[iface];
    uint16_t nv = (uint16_t)((p->out_val & ~(1u << pin)) | ((unsigned)(v & 1) << pin));
    if (nv == p->out_val)
        return;
    p->out_val = nv;
    pins_update(w, d, iface);
}

uint8_t emu_port_read_pins(struct emu_world *w, struct emu_device *d, int iface)
{
    (void)w;
    return (uint8_t)resolve(d, iface);
}

void emu_port_set_bitmode(struct emu_world *w, struct emu_device *d, int iface, int mode,
                          uint8_t dir)
{
    struct emu_port *p = &d->port[iface];
    p->mode = mode;
    emu_log(w, "bitmode %s %c 0x%02x dir 0x%02x", d->serial, 'A' + iface, mode, dir);
    if (mode == 0x00) {
        /* back to the UART function: every GPIO released (relays drop out) */
        p->dir = 0;
        p->cmd_len = 0;
    } else if (mode == 0x02) {
        p->cmd_len = 0;
    } else if (mode == 0x01 || mode == 0x04) {
        p->bitbang_dir = dir;
        p->dir = (uint16_t)((p->dir & 0xFF00u) | dir);
    }
    pins_update(w, d, iface);
}

/* ---- clocking ------------------------------------------------------------------------------ */

static uint64_t half_period_ps(const struct emu_port *p)
{
    double base_hz = p->div5 ? 12e6 : 60e6;            /* [S] AN_108 via rig.md 3.2 */
    return (uint64_t)((1.0 + p->divisor) * 1e12 / base_hz + 0.5);   /* SCK = base/((1+d)*2) */
}

static void set_do(struct emu_world *w, struct emu_device *d, struct emu_port *cs, int v)
{
    struct emu_port *p = &d->port[0];
    if (bit_of(p->out_val, EMU_PIN_DO) == (v & 1))
        return;
    for (int i = 0; i < d->nslaves; i++)
        if (d->slave[i].selected && cs->sample_t[i] == w->t_ps)
            d->slave[i].wrong_edge = true;   /* data moved on the edge the part just sampled */
    cs->do_change_t = w->t_ps;
    drive(w, d, 0, EMU_PIN_DO, v);
}

/* One SK edge at the current time: host sample (if this is its read edge), slave sampling
 * and slave SDO shifting. Returns the DI level the host saw, or -1 if it did not sample. */
static int sk_edge(struct emu_world *w, struct emu_device *d, int iface, struct emu_port *cs,
                   bool rising, int read_edge_rising)
{
    struct emu_port *p = &d->port[iface];
    int got = -1;
    if (read_edge_rising >= 0 && (read_edge_rising != 0) == rising)
        got = bit_of(p->level, EMU_PIN_DI);
    drive(w, d, iface, EMU_PIN_SK, rising ? 1 : 0);
    if (iface != 0)
        return got;
    int dobit = bit_of(p->level, EMU_PIN_DO);
    bool sampled = false;
    for (int i = 0; i < d->nslaves; i++) {
        struct emu_slave *s = &d->slave[i];
        if (!s->selected || s->sample_rising != rising)
            continue;
        if (cs->do_change_t == w->t_ps)
            s->wrong_edge = true;
        s->shift_in = (s->shift_in << 1) | (uint32_t)dobit;
        s->nbits++;
        cs->sample_t[i] = w->t_ps;
        sampled = true;
    }
    if (sampled)
        pins_update(w, d, iface);   /* SDO moves to the next bit */
    return got;
}

/* Clocks one bit. out: -1 = DO not driven by this command. out_neg: DO changes on the falling
 * edge. read_neg: sample DI on the falling edge; read < 0: no read. Returns DI or 0. */
static int clock_bit(struct emu_world *w, struct emu_device *d, int iface, struct emu_port *cs,
                     int out, bool out_neg, int read_neg)
{
    struct emu_port *p = &d->port[iface];
    uint64_t half = half_period_ps(p);
    bool lead_rising = !bit_of(p->out_val, EMU_PIN_SK);
    bool out_on_lead = out >= 0 && !p->three_phase && (out_neg ? !lead_rising : lead_rising);
    if (out >= 0 && !out_on_lead) {
        if (iface == 0)
            set_do(w, d, cs, out);
        else
            drive(w, d, iface, EMU_PIN_DO, out);
    }
    if (p->three_phase)
        w->t_ps += half;   /* [I] 3-phase: data held an extra half period before the edge */
    w->t_ps += half;
    int read_edge = read_neg < 0 ? -1 : (read_neg ? 0 : 1);
    if (out_on_lead) {
        /* DO changes together with the leading edge */
        if (iface == 0) {
            if (bit_of(p->out_val, EMU_PIN_DO) != out)
                cs->do_change_t = w->t_ps;
            p->out_val = (uint16_t)((p->out_val & ~(1u << EMU_PIN_DO)) | ((unsigned)out << 1));
        } else {
            drive(w, d, iface, EMU_PIN_DO, out);
        }
    }
    int a = sk_edge(w, d, iface, cs, lead_rising, read_edge);
    w->t_ps += half;
    int b = sk_edge(w, d, iface, cs, !lead_rising, read_edge);
    return a >= 0 ? a : (b >= 0 ? b : 0);
}

/* ---- MPSSE command engine ------------------------------------------------------------------ */

/* Bytes the command at c needs in total (may look at the length bytes when available). */
static size_t cmd_need(const uint8_t *c, size_t avail)
{
    uint8_t op = c[0];
    if (!(op & 0x80)) {
        if (op & 0x40)
            return 3;                                /* TMS: op, len, data */
        if (op & 0x02)
            return (op & 0x10) ? 3 : 2;              /* bits: op, len [, data] */
        if (avail < 3)
            return 3;
        size_t n = (size_t)(c[1] | (c[2] << 8)) + 1;
        return 3 + ((op & 0x10) ? n : 0);            /* bytes: op, lenL, lenH [, data] */
    }
    switch (op) {
    case 0x80: case 0x82: case 0x86: case 0x8F: case 0x9C: case 0x9D: case 0x9E:
        return 3;
    case 0x8E:
        return 2;
    default:
        return 1;
    }
}

static void exec_shift(struct emu_world *w, struct emu_device *d, int iface, const uint8_t *c)
{
    struct emu_port *p = &d->port[iface];
    struct emu_port *cs = p;
    uint8_t op = c[0];
    bool wr = op & 0x10, rd = op & 0x20, lsb = op & 0x08, bits = op & 0x02;
    bool out_neg = op & 0x01;
    int read_neg = rd ? ((op & 0x04) ? 1 : 0) : -1;
    if (bits) {
        int n = (c[1] & 7) + 1;
        uint8_t data = wr ? c[2] : 0, in = 0;
        for (int i = 0; i < n; i++) {
            int out = wr ? (lsb ? (data >> i) & 1 : (data >> (7 - i)) & 1) : -1;
            int b = clock_bit(w, d, iface, cs, out, out_neg, read_neg);
            if (lsb)
                in = (uint8_t)((in >> 1) | (b << 7));
            else
                in = (uint8_t)((in << 1) | b);
        }
        if (rd)
            emu_rx_push(p, &in, 1);
        return;
    }
    size_t n = (size_t)(c[1] | (c[2] << 8)) + 1;
    for (size_t k = 0; k < n; k++) {
        uint8_t data = wr ? c[3 + k] : 0, in = 0;
        for (int i = 0; i < 8; i++) {
            int out = wr ? (lsb ? (data >> i) & 1 : (data >> (7 - i)) & 1) : -1;
            int b = clock_bit(w, d, iface, cs, out, out_neg, read_neg);
            if (lsb)
                in = (uint8_t)(in | (b << i));
            else
                in = (uint8_t)((in << 1) | b);
        }
        if (rd)
            emu_rx_push(p, &in, 1);
    }
}

static void exec_cmd(struct emu_world *w, struct emu_device *d, int iface, const uint8_t *c,
                     size_t len)
{
    struct emu_port *p = &d->port[iface];
    uint8_t op = c[0];
    if (!(op & 0x80)) {
        if (op & 0x40) {
            /* TMS shifting drives ADBUS3, which our boards use as a chip select: not modelled */
            emu_log(w, "mpsse %s tms op 0x%02x ignored", d->serial, op);
            if (op & 0x20) {
                uint8_t z = 0;
                emu_rx_push(p, &z, 1);
            }
            return;
        }
        exec_shift(w, d, iface, c);
        return;
    }
    w->t_ps += PS_PER_CMD_BYTE * len;
    uint8_t b;
    switch (op) {
    case 0x80:
        p->out_val = (uint16_t)((p->out_val & 0xFF00u) | c[1]);
        p->dir = (uint16_t)((p->dir & 0xFF00u) | c[2]);
        pins_update(w, d, iface);
        break;
    case 0x82:
        p->out_val = (uint16_t)((p->out_val & 0x00FFu) | (c[1] << 8));
        p->dir = (uint16_t)((p->dir & 0x00FFu) | (c[2] << 8));
        pins_update(w, d, iface);
        break;
    case 0x81:
        b = (uint8_t)p->level;
        emu_rx_push(p, &b, 1);
        break;
    case 0x83:
        b = (uint8_t)(p->level >> 8);
        emu_rx_push(p, &b, 1);
        break;
    case 0x84: p->loopback = true; pins_update(w, d, iface); break;
    case 0x85: p->loopback = false; pins_update(w, d, iface); break;
    case 0x86: p->divisor = (uint16_t)(c[1] | (c[2] << 8)); break;
    case 0x87: break;   /* send immediate: the emulator never holds IN data back */
    case 0x88: case 0x89: case 0x94: case 0x95:
        /* wait on GPIOL1: nothing drives it in the emulation, so the wait ends at once */
        emu_log(w, "mpsse %s wait op 0x%02x (no GPIOL1 source, not waiting)", d->serial, op);
        break;
    case 0x8A: p->div5 = false; break;
    case 0x8B: p->div5 = true; break;
    case 0x8C: p->three_phase = true; break;
    case 0x8D: p->three_phase = false; break;
    case 0x8E: case 0x8F: {
        size_t nbits = op == 0x8E ? (size_t)(c[1] & 7) + 1
                                  : ((size_t)(c[1] | (c[2] << 8)) + 1) * 8;
        for (size_t i = 0; i < nbits; i++)
            clock_bit(w, d, iface, p, -1, false, -1);
        break;
    }
    case 0x96: p->adaptive = true; break;    /* no RTCK source: clocking is not held up */
    case 0x97: p->adaptive = false; break;
    case 0x9C: case 0x9D: case 0x9E: break;  /* clock-count waits, open-drain mask: no effect */
    default: {
        uint8_t bad[2] = { 0xFA, op };       /* [S] FTDI bad-command echo */
        emu_rx_push(p, bad, 2);
        emu_log(w, "mpsse %s bad_command 0x%02x", d->serial, op);
        break;
    }
    }
}

void emu_port_write(struct emu_world *w, struct emu_device *d, int iface, const uint8_t *buf,
                    size_t n)
{
    struct emu_port *p = &d->port[iface];
    if (p->mode == 0x01 || p->mode == 0x04) {
        /* bit-bang: every byte is the new ADBUS level (output pins only) */
        for (size_t i = 0; i < n; i++) {
            p->out_val = (uint16_t)((p->out_val & 0xFF00u) | buf[i]);
            w->t_ps += PS_PER_CMD_BYTE;
            pins_update(w, d, iface);
        }
        return;
    }
    if (p->mode != 0x02)
        return;   /* UART mode: the bytes leave on TXD, which nothing here listens to */
    if (p->cmd_len + n > p->cmd_cap) {
        size_t cap = p->cmd_cap ? p->cmd_cap : 4096;
        while (cap < p->cmd_len + n)
            cap *= 2;
        uint8_t *nb = realloc(p->cmd, cap);
        if (!nb)
            return;
        p->cmd = nb;
        p->cmd_cap = cap;
    }
    memcpy(p->cmd + p->cmd_len, buf, n);
    p->cmd_len += n;
    size_t off = 0;
    while (off < p->cmd_len) {
        size_t need = cmd_need(p->cmd + off, p->cmd_len - off);
        if (p->cmd_len - off < need)
            break;   /* the rest arrives with the next write */
        exec_cmd(w, d, iface, p->cmd + off, need);
        off += need;
    }
    memmove(p->cmd, p->cmd + off, p->cmd_len - off);
    p->cmd_len -= off;
    if (w->vcd)
        fflush(w->vcd);
}
