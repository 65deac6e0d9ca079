/* cmd_decode.c: `bmsrig decode`: bus frames from a capture CSV, hex text or raw bytes, shown
 * with register names, values and units. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rig/cli/cli.h"
#include "rig/line/buslog.h"
#include "rig/line/buspcap.h"
#include "rig/line/capture.h"
#include "rig/line/decode_print.h"
#include "sim/frame.h"
#include "sim/status.h"

enum input_format { FMT_AUTO, FMT_CSV, FMT_HEX, FMT_RAW };

/* What the bus log rows said happened on the way (bus logs bmsrig writes; see buslog.h). */
struct fate_counts {
    unsigned long long marks[LINK_MARK_COUNT];  /* rows carrying each mark */
    unsigned long long lost;                    /* rows the receiver got none of */
    unsigned long long altered;                 /* rows that arrived different */
    unsigned long long garbage_rows;            /* rows holding no frame start */
};

struct decode_run {
    FILE *out;
    bool json;
    int printed;                /* events written so far (for JSON commas) */
    int row_events;             /* events of the current row */
    struct decode_meta meta;
    struct frame_decoder dec;
    struct frame_decoder rx_dec;  /* what the receiver of an altered row got */
    struct fate_counts fates;
    FILE *pcap;                 /* --pcap: packets go here instead of the listing */
    const char *pcap_path;
    unsigned long long packets;
    bool pcap_failed;
    bool in_csv_row;            /* packets are written per row, not per event */
    char hex_wire[16];          /* hex text: the wire the last stamped line named, or "" */
};

static void pcap_put(struct decode_run *r, double t_s, enum buspcap_wire wire,
                     const uint8_t *bytes, size_t n, const struct buslog_fate *fate)
{
    if (r->pcap_failed)
        return;
    if (buspcap_write_frame(r->pcap, t_s, wire, bytes, n, fate) != BMSRIG_OK) {
        r->pcap_failed = true;
        return;
    }
    r->packets++;
}

static void json_sep(struct decode_run *r)
{
    fputs(r->printed ? ",\n" : "\n", r->out);
    r->printed++;
}

static void on_event(void *user, const struct frame_event *ev)
{
    struct decode_run *r = user;
    if (r->pcap) {
        /* hex and raw input: each decoded event is a packet, its wire from its address */
        if (!r->in_csv_row) {
            /* hex and raw input: the line's stamp and wire when it gave them, else time 0
             * and the wire the frame's address implies */
            enum buspcap_wire wire = r->hex_wire[0] ? buspcap_wire_of_line(r->hex_wire)
                                   : ev->raw_len > 3 ? buspcap_wire_of_addr(ev->raw[3])
                                                     : BUSPCAP_WIRE_UNKNOWN;
            pcap_put(r, r->meta.has_time ? r->meta.t_s : 0.0, wire, ev->raw, ev->raw_len, NULL);
        }
    } else if (r->json) {
        json_sep(r);
        decode_print_json(r->out, ev, &r->meta);
    } else {
        decode_print_text(r->out, ev, &r->meta);
        r->printed++;
    }
    r->row_events++;
}

static void on_received_event(void *user, const struct frame_event *ev)
{
    struct decode_run *r = user;
    if (!r->json && !r->pcap)
        decode_print_received_text(r->out, ev);
}

static void count_fate(struct fate_counts *c, const struct buslog_fate *f)
{
    for (unsigned bit = 0; bit < LINK_MARK_COUNT; bit++)
        if (f->marks & (1u << bit))
            c->marks[bit]++;
    c->lost += f->lost;
    c->altered += f->altered;
}

/* Reads a whole line of any length; returns NULL at end of file. Owned: free(). */
static char *read_line(FILE *in, char **buf, size_t *cap)
{
    ssize_t n = getline(buf, cap, in);
    return n < 0 ? NULL : *buf;
}

static int decode_csv(struct decode_run *r, FILE *in, const char *path)
{
    char *buf = NULL;
    size_t cap = 0;
    unsigned lineno = 0;
    int rc = CLI_EXIT_PASS;
    while (read_line(in, &buf, &cap)) {
        lineno++;
        struct capture_row row;
        char err[128];
        int prc = capture_parse_line(buf, lineno, &row, err, sizeof(err));
        if (prc == BMSRIG_ERR_STATE)
            continue;
        if (prc != BMSRIG_OK) {
            fprintf(stderr, "%s:%u: %s\n", path, lineno, err);
            rc = CLI_EXIT_USAGE;
            continue;
        }
        struct buslog_fate fate;
        if (buslog_parse(&row, &fate, err, sizeof(err)) != BMSRIG_OK) {
            fprintf(stderr, "%s:%u: %s\n", path, lineno, err);
            rc = CLI_EXIT_USAGE;
            continue;
        }
        count_fate(&r->fates, &fate);
        r->meta = (struct decode_meta){ .has_time = true, .t_s = row.t_s, .line = row.line,
                                        .lineno = lineno, .fate = &fate };
        /* One row is one recorded frame: what it leaves unfinished is truncated. */
        r->row_events = 0;
        r->in_csv_row = true;
        frame_decoder_feed(&r->dec, row.bytes, row.nbytes);
        frame_decoder_gap(&r->dec);
        r->in_csv_row = false;
        if (r->pcap)
            pcap_put(r, row.t_s, buspcap_wire_of_line(row.line), row.bytes, row.nbytes, &fate);
        if (r->row_events == 0 && row.nbytes > 0) {
            /* no frame start in it: a garbage burst, shown rather than silently skipped */
            r->fates.garbage_rows++;
            if (r->pcap) {
                /* written above with the row */
            } else if (r->json) {
                json_sep(r);
                decode_print_garbage_json(r->out, row.bytes, row.nbytes, &r->meta);
            } else {
                decode_print_garbage_text(r->out, row.bytes, row.nbytes, &r->meta);
            }
        }
        if (fate.altered && fate.nrx > 0) {
            frame_decoder_feed(&r->rx_dec, fate.rx, fate.nrx);
            frame_decoder_gap(&r->rx_dec);
        }
        r->meta.fate = NULL;
    }
    free(buf);
    return rc;
}

/* A hex line's optional stamp: "T_S [WIRE] HEX...", T_S a decimal number of seconds with a
 * '.' (which no hex byte has: "1.882315", "0.0"), WIRE one of esc_tx, bms_tx, dash_tx,
 * dash_rx. Sets *t_s (and wire, "" when not named) and returns what follows, or returns `line`
 * itself when it starts with neither. A time that is not a finite number >= 0 is an error:
 * NULL. */
static char *hex_stamp(char *line, bool *stamped, double *t_s, char *wire, size_t wirecap)
{
    char *p = line + strspn(line, " \t");
    size_t len = strcspn(p, " \t\r\n");
    *stamped = false;
    if (memchr(p, '.', len)) {
        char *end;
        double t = strtod(p, &end);
        if (end != p + len || !(t >= 0) || t > 1e12)
            return NULL;
        *stamped = true;
        *t_s = t;
        p += len;
        p += strspn(p, " \t");
        len = strcspn(p, " \t\r\n");
    }
    wire[0] = '\0';
    char name[16];
    if (len && len < sizeof(name)) {
        memcpy(name, p, len);
        name[len] = '\0';
        if (buspcap_wire_of_line(name) != BUSPCAP_WIRE_UNKNOWN) {
            snprintf(wire, wirecap, "%s", name);
            p += len;
        }
    }
    return p;
}

static int decode_hex(struct decode_run *r, FILE *in, const char *path)
{
    bool any_stamp = false;
    double last_t = 0;
    char *buf = NULL;
    size_t cap = 0;
    unsigned lineno = 0;
    int rc = CLI_EXIT_PASS;
    while (read_line(in, &buf, &cap)) {
        lineno++;
        char *hash = strchr(buf, '#');
        if (hash)
            *hash = '\0';
        size_t blank = strspn(buf, " \t\r\n");
        if (buf[blank] == '\0') {
            /* A blank line separates frames like an idle gap on the line. */
            frame_decoder_gap(&r->dec);
            continue;
        }
        bool stamped;
        double t_s = 0;
        char wire[16];
        char *hex = hex_stamp(buf, &stamped, &t_s, wire, sizeof(wire));
        if (!hex) {
            fprintf(stderr, "%s:%u: the time column is not a number of seconds >= 0\n", path,
                    lineno);
            rc = CLI_EXIT_USAGE;
            continue;
        }
        if (stamped) {
            any_stamp = true;
            last_t = t_s;
        }
        uint8_t bytes[4096];
        size_t n = 0;
        int hrc = capture_parse_hex(hex, bytes, sizeof(bytes), &n);
        if (hrc != BMSRIG_OK) {
            fprintf(stderr, "%s:%u: %s\n", path, lineno,
                    hrc == BMSRIG_ERR_RANGE ? "line holds more than 4096 bytes"
                                            : "not hex text (use --raw for binary input)");
            rc = CLI_EXIT_USAGE;
            continue;
        }
        /* a line without a stamp (a frame's continuation) keeps the last stamp and wire */
        if (stamped || wire[0])
            snprintf(r->hex_wire, sizeof(r->hex_wire), "%s", wire);
        r->meta = (struct decode_meta){ .lineno = lineno, .has_time = any_stamp, .t_s = last_t,
                                        .line = r->hex_wire[0] ? r->hex_wire : NULL };
        frame_decoder_feed(&r->dec, bytes, n);
    }
    frame_decoder_gap(&r->dec);
    free(buf);
    return rc;
}

static int decode_raw(struct decode_run *r, FILE *in)
{
    uint8_t chunk[4096];
    size_t n;
    r->meta = (struct decode_meta){ 0 };
    while ((n = fread(chunk, 1, sizeof(chunk), in)) > 0)
        frame_decoder_feed(&r->dec, chunk, n);
    frame_decoder_gap(&r->dec);
    return ferror(in) ? CLI_EXIT_USAGE : CLI_EXIT_PASS;
}

/* Looks at the first non-comment line: a capture header or a time,line,... row means CSV. */
static enum input_format sniff(FILE *in)
{
    char *head = NULL;   /* whole lines: a long comment must not leak into the next "line" */
    size_t cap = 0;
    long pos = ftell(in);
    enum input_format fmt = FMT_HEX;
    while (getline(&head, &cap, in) >= 0) {
        const char *p = head + strspn(head, " \t");
        if (*p == '#' || *p == '\n' || *p == '\r')
            continue;
        if (capture_is_header(p) || strchr(p, ',') != NULL)
            fmt = FMT_CSV;
        break;
    }
    free(head);
    fseek(in, pos, SEEK_SET);
    return fmt;
}

/* The closing summary: the decoder's counts, then what the bus log says the faults did. */
static void print_summary(const struct decode_run *r)
{
    const struct frame_decoder_stats *s = &r->dec.stats;
    const struct fate_counts *c = &r->fates;
    unsigned long long bad = s->bad_checksum + s->bad_length + s->truncated;
    if (r->json) {
        fprintf(r->out,
                "\n],\"summary\":{\"frames\":%llu,\"bad\":%llu,\"bad_checksum\":%llu,"
                "\"bad_length\":%llu,\"truncated\":%llu,\"garbage_bytes\":%llu,"
                "\"not_received\":%llu,\"received_altered\":%llu,\"faults\":{",
                (unsigned long long)s->frames, bad, (unsigned long long)s->bad_checksum,
                (unsigned long long)s->bad_length, (unsigned long long)s->truncated,
                (unsigned long long)s->garbage_bytes, c->lost, c->altered);
        int k = 0;
        for (unsigned bit = 0; bit < LINK_MARK_COUNT; bit++)
            if (((1u << bit) & BUSLOG_FAULT_MARKS) && c->marks[bit])
                fprintf(r->out, "%s\"%s\":%llu", k++ ? "," : "", link_mark_name(bit),
                        c->marks[bit]);
        fputs("}}}\n", r->out);
        return;
    }
    fprintf(r->out,
            "frames: %llu valid, %llu bad (%llu bad checksum, %llu bad length, "
            "%llu truncated), %llu garbage bytes\n",
            (unsigned long long)s->frames, bad, (unsigned long long)s->bad_checksum,
            (unsigned long long)s->bad_length, (unsigned long long)s->truncated,
            (unsigned long long)s->garbage_bytes);
    unsigned long long faulted = 0;
    for (unsigned bit = 0; bit < LINK_MARK_COUNT; bit++)
        if ((1u << bit) & BUSLOG_FAULT_MARKS)
            faulted += c->marks[bit];
    if (faulted == 0 && c->lost == 0 && c->altered == 0)
        return;
    fprintf(r->out, "faults: %llu never received, %llu arrived altered (", c->lost, c->altered);
    int k = 0;
    for (unsigned bit = 0; bit < LINK_MARK_COUNT; bit++)
        if (((1u << bit) & BUSLOG_FAULT_MARKS) && c->marks[bit])
            fprintf(r->out, "%s%llu %s", k++ ? ", " : "", c->marks[bit], link_mark_name(bit));
    fputs(")\n", r->out);
}

static int run_decode(int argc, char **argv)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },
        { "raw", no_argument, NULL, 'r' },
        { "hex", no_argument, NULL, 'x' },
        { "csv", no_argument, NULL, 'c' },
        { "pcap", required_argument, NULL, 'p' },
        { NULL, 0, NULL, 0 },
    };
    struct decode_run r = { .out = stdout };
    enum input_format fmt = FMT_AUTO;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'j': r.json = true; break;
        case 'r': fmt = FMT_RAW; break;
        case 'x': fmt = FMT_HEX; break;
        case 'c': fmt = FMT_CSV; break;
        case 'p': r.pcap_path = optarg; break;
        default: return cli_usage_error(&cmd_decode, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind > 1)
        return cli_usage_error(&cmd_decode, "takes at most one FILE");
    if (r.pcap_path && r.json)
        return cli_usage_error(&cmd_decode, "--pcap and --json do not go together");
    if (r.pcap_path && (r.pcap_path[0] == '\0' || strcmp(r.pcap_path, "-") == 0))
        return cli_usage_error(&cmd_decode, "--pcap needs a file name");
    const char *path = optind < argc ? argv[optind] : "-";
    bool is_stdin = strcmp(path, "-") == 0;
    FILE *in = is_stdin ? stdin : fopen(path, fmt == FMT_RAW ? "rb" : "r");
    if (!in) {
        fprintf(stderr, "bmsrig decode: %s: %s\n", path, strerror(errno));
        return CLI_EXIT_USAGE;
    }
    if (fmt == FMT_AUTO && !is_stdin && ftell(in) < 0) {
        /* a FIFO or pipe cannot be rewound after sniffing: take a seekable copy first */
        FILE *copy = tmpfile();
        char chunk[4096];
        size_t got;
        while (copy && (got = fread(chunk, 1, sizeof(chunk), in)) > 0)
            if (fwrite(chunk, 1, got, copy) != got)
                break;
        if (!copy || ferror(in) || ferror(copy)) {
            fprintf(stderr, "bmsrig decode: %s: %s\n", path, strerror(errno));
            if (copy)
                fclose(copy);
            fclose(in);
            return CLI_EXIT_USAGE;
        }
        fclose(in);
        rewind(copy);
        in = copy;
    }
    if (fmt == FMT_AUTO)
        fmt = is_stdin ? FMT_HEX : sniff(in);

    if (r.pcap_path) {
        r.pcap = fopen(r.pcap_path, "wb");
        if (!r.pcap || buspcap_write_header(r.pcap) != BMSRIG_OK) {
            fprintf(stderr, "bmsrig decode: --pcap %s: %s\n", r.pcap_path, strerror(errno));
            if (r.pcap)
                fclose(r.pcap);
            if (!is_stdin)
                fclose(in);
            return CLI_EXIT_USAGE;
        }
    }
    frame_decoder_init(&r.dec, on_event, &r);
    frame_decoder_init(&r.rx_dec, on_received_event, &r);
    if (r.json)
        fputs("{\"frames\":[", r.out);
    const char *name = is_stdin ? "<stdin>" : path;
    int rc = fmt == FMT_CSV ? decode_csv(&r, in, name)
             : fmt == FMT_RAW ? decode_raw(&r, in)
                              : decode_hex(&r, in, name);
    if (ferror(in)) {
        /* getline()/fread() stop on a read error as at end of file: say so, exit 2 */
        fprintf(stderr, "bmsrig decode: %s: %s\n", name, strerror(errno));
        rc = CLI_EXIT_USAGE;
    }
    if (!is_stdin)
        fclose(in);

    print_summary(&r);
    if (r.pcap) {
        if (fclose(r.pcap) != 0)
            r.pcap_failed = true;
        if (r.pcap_failed) {
            fprintf(stderr, "bmsrig decode: --pcap %s: write failed: %s\n", r.pcap_path,
                    strerror(errno));
            return CLI_EXIT_USAGE;
        }
        fprintf(r.out, "pcap: %llu packets written to %s (link type %u, hw/wireshark/m365_bus.lua)\n",
                r.packets, r.pcap_path, BUSPCAP_LINKTYPE);
    }
    return rc;
}

const struct cli_command cmd_decode = {
    .name = "decode",
    .summary = "decode bus frames (capture CSV, hex text, raw bytes) with register names",
    .usage =
        "usage: bmsrig decode [--json | --pcap OUT] [--csv | --hex | --raw] [FILE | -]\n"
        "\n"
        "Decodes M365 55 AA bus frames and prints one line per frame: time, direction\n"
        "(ESC->BMS request, BMS->ESC reply, DASH/ESC dashboard traffic), command, and every\n"
        "register in it by name with value and unit. Bad frames are shown with the checksum\n"
        "found and the one expected. A summary line closes the output.\n"
        "\n"
        "Bus logs that bmsrig writes (run --trace, bms --log) hold every frame on both wires\n"
        "as it was sent, with the fault that changed it on the way in the check column\n"
        "(esc_tx_open, bms_tx_open, corrupt_checksum, truncate, garbage, reply_delay,\n"
        "bit_errors) and what the receiver got in the note (rx=none, rx=HEX): such frames are\n"
        "listed with the fault in brackets, what arrived instead under them, and a 'faults:'\n"
        "line counts the frames never received and those that arrived altered.\n"
        "\n"
        "input (FILE, or standard input when FILE is '-' or absent):\n"
        "  capture CSV  t_s,line,frame_hex,check,note rows ('#' comments), as in\n"
        "               fixtures/captures/ and every bus log bmsrig writes (chosen when the\n"
        "               first non-comment line has a comma; force with --csv)\n"
        "  hex text     frames one per line or one continuous stream; blank lines count as\n"
        "               gaps; '#' starts a comment (default for standard input; force --hex).\n"
        "               A line may start with its time and wire, 'T_S [WIRE] HEX' (T_S in\n"
        "               seconds with a '.', e.g. 1.882315; WIRE esc_tx, bms_tx, dash_tx or\n"
        "               dash_rx): frames then carry them; a frame is stamped with the line\n"
        "               it ends on, and a line without a stamp keeps the last one\n"
        "  raw bytes    --raw: the bytes exactly as they came off the wire\n"
        "\n"
        "options:\n"
        "  --json       one JSON document: {\"frames\": [...], \"summary\": {...}}\n"
        "  --pcap OUT   write the frames to OUT as a pcap file for Wireshark/tshark instead of\n"
        "               listing them (link type 147 DLT_USER0; open it with the dissector\n"
        "               hw/wireshark/m365_bus.lua, docs/wireshark.md); capture CSV rows keep\n"
        "               their times, wires and fault marks; hex lines their stamps. Where\n"
        "               the input has none (raw bytes, hex lines without a time) every\n"
        "               packet is at time 0, and without a WIRE its wire is the one the\n"
        "               frame's address implies (0x22 ESC->BMS, 0x25 BMS->ESC, 0x21 and\n"
        "               0x23 ESC->DASH, 0x20 and 0x24 DASH->ESC, others unknown)\n"
        "\n"
        "exit status: 0 decoded (bad frames are data, not errors); 2 unreadable input or\n"
        "malformed rows (reported as FILE:LINE)\n",
    .run = run_decode,
};
