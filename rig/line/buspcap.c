/* buspcap.c: the pcap encoder for bus log frames (see buspcap.h for the record layout). */
#include "rig/line/buspcap.h"

#include <math.h>
#include <string.h>

#include "sim/status.h"

enum buspcap_wire buspcap_wire_of_line(const char *line)
{
    static const struct { const char *name; enum buspcap_wire wire; } names[] = {
        { "esc_tx", BUSPCAP_WIRE_ESC_TO_BMS },
        { "bms_tx", BUSPCAP_WIRE_BMS_TO_ESC },
        { "dash_tx", BUSPCAP_WIRE_ESC_TO_DASH },
        { "dash_rx", BUSPCAP_WIRE_DASH_TO_ESC },
    };
    for (size_t i = 0; line && i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(line, names[i].name) == 0)
            return names[i].wire;
    return BUSPCAP_WIRE_UNKNOWN;
}

enum buspcap_wire buspcap_wire_of_addr(uint8_t addr)
{
    switch (addr) {
    case FRAME_ADDR_TO_BMS: return BUSPCAP_WIRE_ESC_TO_BMS;
    case FRAME_ADDR_FROM_BMS: return BUSPCAP_WIRE_BMS_TO_ESC;
    case FRAME_ADDR_TO_BLE:
    case FRAME_ADDR_FROM_ESC: return BUSPCAP_WIRE_ESC_TO_DASH;
    case FRAME_ADDR_TO_ESC:
    case FRAME_ADDR_FROM_BLE: return BUSPCAP_WIRE_DASH_TO_ESC;
    default: return BUSPCAP_WIRE_UNKNOWN;
    }
}

static void put_u16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v & 0xFF);
    p[1] = (uint8_t)((v >> 8) & 0xFF);
}

static void put_u32(uint8_t *p, uint32_t v)
{
    put_u16(p, v & 0xFFFF);
    put_u16(p + 2, v >> 16);
}

int buspcap_write_header(FILE *out)
{
    uint8_t h[24];
    put_u32(h, 0xA1B2C3D4u);   /* microsecond timestamps, written little-endian */
    put_u16(h + 4, 2);
    put_u16(h + 6, 4);
    put_u32(h + 8, 0);         /* thiszone */
    put_u32(h + 12, 0);        /* sigfigs */
    put_u32(h + 16, 65535);    /* snaplen */
    put_u32(h + 20, BUSPCAP_LINKTYPE);
    return fwrite(h, 1, sizeof(h), out) == sizeof(h) ? BMSRIG_OK : BMSRIG_ERR_IO;
}

int buspcap_write_frame(FILE *out, double t_s, enum buspcap_wire wire, const uint8_t *bytes,
                        size_t n, const struct buslog_fate *fate)
{
    if (!isfinite(t_s) || t_s < 0 || t_s > 4e9 || n > 65535)
        return BMSRIG_ERR_ARG;
    enum buspcap_received rx = BUSPCAP_RX_AS_SENT;
    size_t nrx = 0;
    if (fate && fate->lost)
        rx = BUSPCAP_RX_NONE;
    else if (fate && fate->altered) {
        rx = BUSPCAP_RX_ALTERED;
        nrx = fate->nrx;
    }
    double delay_us = fate ? fate->delay_s * 1e6 : 0.0;
    if (!(delay_us >= 0))
        delay_us = 0;
    if (delay_us > 4294967295.0)
        delay_us = 4294967295.0;

    uint64_t us = (uint64_t)llround(t_s * 1e6);
    size_t caplen = BUSPCAP_HEADER_BYTES + n + nrx;
    uint8_t rec[16 + BUSPCAP_HEADER_BYTES];
    put_u32(rec, (uint32_t)(us / 1000000u));
    put_u32(rec + 4, (uint32_t)(us % 1000000u));
    put_u32(rec + 8, (uint32_t)caplen);
    put_u32(rec + 12, (uint32_t)caplen);
    uint8_t *ph = rec + 16;
    ph[0] = BUSPCAP_VERSION;
    ph[1] = (uint8_t)wire;
    put_u16(ph + 2, fate ? fate->marks & 0xFFFFu : 0);
    ph[4] = (uint8_t)rx;
    ph[5] = 0;
    put_u16(ph + 6, (uint32_t)n);
    put_u32(ph + 8, (uint32_t)llround(delay_us));
    if (fwrite(rec, 1, sizeof(rec), out) != sizeof(rec) || fwrite(bytes, 1, n, out) != n ||
        (nrx && fwrite(fate->rx, 1, nrx, out) != nrx))
        return BMSRIG_ERR_IO;
    return BMSRIG_OK;
}
