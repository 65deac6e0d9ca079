/* cmd_decode.c: `bmsrig decode`: bus frames from a capture CSV, hex text or raw bytes, shown
 * with register names, values and units. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rig/line/capture.h"
#include "rig/cli/cli.h"
#include "rig/line/decode_print.h"
#include "sim/frame.h"
#include "sim/status.h"

enum input_format { FMT_AUTO, FMT_CSV, FMT_HEX, FMT_RAW };

struct decode_run {
    FILE *out;
    bool json;
    int printed;                /* events written so far (for JSON commas) */
    struct decode_meta meta;
    struct frame_decoder dec;
};

static void on_event(void *user, const struct frame_event *ev)
{
    struct decode_run *r = user;
    if (r->json) {
        fputs(r->printed ? ",\n" : "\n", r->out);
        decode_print_json(r->out, ev, &r->meta);
    } else {
        decode_print_text(r->out, ev, &r->meta);
    }
    r->printed++;
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
        r->meta = (struct decode_meta){ .has_time = true, .t_s = row.t_s, .line = row.line,
                                        .lineno = lineno };
        /* One row is one recorded frame: what it leaves unfinished is truncated. */
        frame_decoder_feed(&r->dec, row.bytes, row.nbytes);
        frame_decoder_gap(&r->dec);
    }
    free(buf);
    return rc;
}

static int decode_hex(struct decode_run *r, FILE *in, const char *path)
{
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
        uint8_t bytes[4096];
        size_t n = 0;
        int hrc = capture_parse_hex(buf, bytes, sizeof(bytes), &n);
        if (hrc != BMSRIG_OK) {
            fprintf(stderr, "%s:%u: %s\n", path, lineno,
                    hrc == BMSRIG_ERR_RANGE ? "line holds more than 4096 bytes"
                                            : "not hex text (use --raw for binary input)");
            rc = CLI_EXIT_USAGE;
            continue;
        }
        r->meta = (struct decode_meta){ .lineno = lineno };
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

static int run_decode(int argc, char **argv)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },
        { "raw", no_argument, NULL, 'r' },
        { "hex", no_argument, NULL, 'x' },
        { "csv", no_argument, NULL, 'c' },
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
        default: return cli_usage_error(&cmd_decode, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind > 1)
        return cli_usage_error(&cmd_decode, "takes at most one FILE");
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

    frame_decoder_init(&r.dec, on_event, &r);
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

    const struct frame_decoder_stats *s = &r.dec.stats;
    unsigned long long bad = s->bad_checksum + s->bad_length + s->truncated;
    if (r.json) {
        fprintf(r.out,
                "\n],\"summary\":{\"frames\":%llu,\"bad\":%llu,\"bad_checksum\":%llu,"
                "\"bad_length\":%llu,\"truncated\":%llu,\"garbage_bytes\":%llu}}\n",
                (unsigned long long)s->frames, bad, (unsigned long long)s->bad_checksum,
                (unsigned long long)s->bad_length, (unsigned long long)s->truncated,
                (unsigned long long)s->garbage_bytes);
    } else {
        fprintf(r.out,
                "frames: %llu valid, %llu bad (%llu bad checksum, %llu bad length, "
                "%llu truncated), %llu garbage bytes\n",
                (unsigned long long)s->frames, bad, (unsigned long long)s->bad_checksum,
                (unsigned long long)s->bad_length, (unsigned long long)s->truncated,
                (unsigned long long)s->garbage_bytes);
    }
    return rc;
}

const struct cli_command cmd_decode = {
    .name = "decode",
    .summary = "decode bus frames (capture CSV, hex text, raw bytes) with register names",
    .usage =
        "usage: bmsrig decode [--json] [--csv | --hex | --raw] [FILE | -]\n"
        "\n"
        "Decodes M365 55 AA bus frames and prints one line per frame: time, direction\n"
        "(ESC->BMS request, BMS->ESC reply, DASH/ESC dashboard traffic), command, and every\n"
        "register in it by name with value and unit. Bad frames are shown with the checksum\n"
        "found and the one expected. A summary line closes the output.\n"
        "\n"
        "input (FILE, or standard input when FILE is '-' or absent):\n"
        "  capture CSV  t_s,line,frame_hex,check,note rows ('#' comments), as in\n"
        "               fixtures/captures/ and every bus log bmsrig writes (chosen when the\n"
        "               first non-comment line has a comma; force with --csv)\n"
        "  hex text     frames one per line or one continuous stream; blank lines count as\n"
        "               gaps; '#' starts a comment (default for standard input; force --hex)\n"
        "  raw bytes    --raw: the bytes exactly as they came off the wire\n"
        "\n"
        "options:\n"
        "  --json       one JSON document: {\"frames\": [...], \"summary\": {...}}\n"
        "\n"
        "exit status: 0 decoded (bad frames are data, not errors); 2 unreadable input or\n"
        "malformed rows (reported as FILE:LINE)\n",
    .run = run_decode,
};
