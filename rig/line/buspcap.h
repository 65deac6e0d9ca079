/* buspcap.h: bus log frames as a pcap file for Wireshark and tshark: a pure encoder onto a
 * caller's FILE (no clocks: timestamps are the log's own seconds, virtual or monotonic).
 *
 * Link type DLT_USER0 (147), the first of the link types libpcap reserves for private use, so
 * it never clashes with a registered one; hw/wireshark/m365_bus.lua registers its dissector on
 * it. Every packet is one bus log row: a 12-byte pseudo-header, then the frame as sent, then
 * (when it arrived different) the bytes the receiver got. All multi-byte fields little-endian:
 *
 *   0  u8   version (BUSPCAP_VERSION)
 *   1  u8   wire: enum buspcap_wire
 *   2  u16  marks: enum link_mark bits (rig/line/link.h), 0 = delivered as sent
 *   4  u8   received: enum buspcap_received
 *   5  u8   reserved, 0
 *   6  u16  number of bytes as sent (N)
 *   8  u32  reply_delay applied, microseconds
 *   12      N bytes as sent; then, for BUSPCAP_RX_ALTERED, the bytes received
 */
#ifndef BMSRIG_RIG_BUSPCAP_H
#define BMSRIG_RIG_BUSPCAP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rig/line/buslog.h"

#define BUSPCAP_LINKTYPE 147u   /* LINKTYPE_USER0 / DLT_USER0 */
#define BUSPCAP_VERSION 1u
#define BUSPCAP_HEADER_BYTES 12u

enum buspcap_wire {
    BUSPCAP_WIRE_ESC_TO_BMS = 0,    /* line esc_tx: the controller's TX wire to the BMS */
    BUSPCAP_WIRE_BMS_TO_ESC = 1,    /* line bms_tx: the BMS's TX wire to the controller */
    BUSPCAP_WIRE_ESC_TO_DASH = 2,   /* line dash_tx */
    BUSPCAP_WIRE_DASH_TO_ESC = 3,   /* line dash_rx */
    BUSPCAP_WIRE_UNKNOWN = 255,
};

enum buspcap_received {
    BUSPCAP_RX_AS_SENT = 0,
    BUSPCAP_RX_NONE = 1,            /* lost on the way (a cut wire) */
    BUSPCAP_RX_ALTERED = 2,         /* arrived different: bytes follow the sent ones */
};

/* The wire of a bus log line name ("esc_tx", "bms_tx", "dash_tx", "dash_rx"); unknown names
 * give BUSPCAP_WIRE_UNKNOWN. */
enum buspcap_wire buspcap_wire_of_line(const char *line);

/* The wire a frame's address byte implies (for input without line names): requests to the
 * BMS came from the controller, BMS replies from the BMS, ... */
enum buspcap_wire buspcap_wire_of_addr(uint8_t addr);

/* Writes the pcap global header (microsecond timestamps, snap length 65535). Returns BMSRIG_OK
 * or BMSRIG_ERR_IO. */
int buspcap_write_header(FILE *out);

/* Writes one packet at t_s seconds (>= 0): the pseudo-header, bytes[0..n) as sent, then what
 * arrived if `fate` says it was altered. `fate` may be NULL (delivered as sent). Returns
 * BMSRIG_OK, BMSRIG_ERR_ARG for a negative or non-finite time or more than 65535 bytes, or
 * BMSRIG_ERR_IO. */
int buspcap_write_frame(FILE *out, double t_s, enum buspcap_wire wire, const uint8_t *bytes,
                        size_t n, const struct buslog_fate *fate);

#endif
