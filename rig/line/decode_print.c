/* decode_print.c: register-aware text and JSON renderings of bus frames. */
#include "rig/line/decode_print.h"

#include <string.h>

#include "sim/regmap.h"

const char *decode_direction(uint8_t addr)
{
    switch (addr) {
    case FRAME_ADDR_TO_BMS: return "ESC->BMS";
    case FRAME_ADDR_FROM_BMS: return "BMS->ESC";
    case FRAME_ADDR_TO_ESC: return "DASH->ESC";
    case FRAME_ADDR_FROM_ESC: return "ESC->DASH";
    case FRAME_ADDR_TO_BLE: return "ESC->DASH";
    case FRAME_ADDR_FROM_BLE: return "DASH->ESC";
    default: return "?";
    }
}

/* Register map a frame's address refers to, or NULL. */
static const struct regmap *map_for(uint8_t addr)
{
    if (addr == FRAME_ADDR_TO_BMS || addr == FRAME_ADDR_FROM_BMS)
        return regmap_bms();
    if (addr == FRAME_ADDR_TO_ESC || addr == FRAME_ADDR_FROM_ESC)
        return regmap_esc();
    return NULL;
}

/* True when the frame carries register data starting at word `arg`. */
static bool carries_data(const struct frame *f)
{
    bool reply = f->addr == FRAME_ADDR_FROM_BMS || f->addr == FRAME_ADDR_FROM_ESC;
    bool request = f->addr == FRAME_ADDR_TO_BMS || f->addr == FRAME_ADDR_TO_ESC;
    if (reply && f->cmd == FRAME_CMD_READ)
        return true;
    return request && (f->cmd == FRAME_CMD_WRITE || f->cmd == FRAME_CMD_WRITE_NR);
}

typedef void (*field_fn)(void *user, const struct regmap_field *fld, const uint8_t *bytes);

/* Calls `fn` for every map field wholly inside the frame's data. Returns how many. */
static int foreach_field(const struct frame *f, field_fn fn, void *user)
{
    const struct regmap *map = map_for(f->addr);
    if (!map || !carries_data(f))
        return 0;
    size_t start = 2u * f->arg;
    size_t end = start + f->payload_len;
    int count = 0;
    for (size_t i = 0; i < map->count; i++) {
        const struct regmap_field *fld = &map->fields[i];
        size_t fs = 2u * fld->word;
        if (fs >= start && fs + fld->nbytes <= end) {
            fn(user, fld, f->payload + (fs - start));
            count++;
        }
    }
    return count;
}

static const char *kind_name(const struct frame *f)
{
    bool to = f->addr == FRAME_ADDR_TO_BMS || f->addr == FRAME_ADDR_TO_ESC;
    switch (f->cmd) {
    case FRAME_CMD_READ: return to ? "read" : "read-reply";
    case FRAME_CMD_WRITE: return to ? "write" : "write-ack";
    case FRAME_CMD_WRITE_NR: return "write-noreply";
    case FRAME_CMD_HEAD_READ: return "head-read";
    case FRAME_CMD_HEAD_IN: return "head-update";
    case FRAME_CMD_HEAD_OUT: return "head-out";
    default: return "cmd";
    }
}

static void text_field(void *user, const struct regmap_field *fld, const uint8_t *bytes)
{
    char buf[256];
    regmap_format_field(fld, bytes, buf, sizeof(buf));
    fprintf((FILE *)user, " %s", buf);
}

void decode_describe(FILE *out, const struct frame *f)
{
    fprintf(out, "%s 0x%02X", kind_name(f), f->arg);
    if (f->cmd == FRAME_CMD_READ && (f->addr == FRAME_ADDR_TO_BMS || f->addr == FRAME_ADDR_TO_ESC)
        && f->payload_len == 1) {
        fprintf(out, " %u bytes", f->payload[0]);
        return;
    }
    if (f->cmd == FRAME_CMD_WRITE && (f->addr == FRAME_ADDR_FROM_BMS || f->addr == FRAME_ADDR_FROM_ESC)
        && f->payload_len == 1) {
        fprintf(out, " result=%u", f->payload[0]);
        return;
    }
    if (f->cmd == FRAME_CMD_HEAD_IN && f->addr == FRAME_ADDR_TO_BLE && f->payload_len >= 4) {
        /* M365: mode, battery bars, headlight, beeps; Pro-style adds speed and error code. */
        fprintf(out, " mode=%u batt=%u light=%u beep=%u", f->payload[0], f->payload[1],
                f->payload[2], f->payload[3]);
        if (f->payload_len >= 6)
            fprintf(out, " speed=%ukm/h error=%u", f->payload[4], f->payload[5]);
        return;
    }
    if (foreach_field(f, text_field, out) == 0 && f->payload_len > 0) {
        fputs(" data=", out);
        for (size_t i = 0; i < f->payload_len; i++)
            fprintf(out, "%02x", f->payload[i]);
    }
}

static void print_hex(FILE *out, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%02x", b[i]);
}

static void print_prefix(FILE *out, const struct decode_meta *m)
{
    if (m && m->has_time)
        fprintf(out, "%10.6f ", m->t_s);
    if (m && m->line)
        fprintf(out, "%-7s ", m->line);
}

/* The event itself: direction and content, or what is wrong with it. */
static void print_event_body(FILE *out, const struct frame_event *ev)
{
    switch (ev->kind) {
    case FRAME_EV_FRAME:
        fprintf(out, "%-9s ", decode_direction(ev->frame->addr));
        decode_describe(out, ev->frame);
        break;
    case FRAME_EV_BAD_CHECKSUM:
        fprintf(out, "BAD       checksum %02X %02X, expected %02X %02X: ",
                ev->checksum_found & 0xFF, ev->checksum_found >> 8,
                ev->checksum_expected & 0xFF, ev->checksum_expected >> 8);
        print_hex(out, ev->raw, ev->raw_len);
        break;
    case FRAME_EV_BAD_LENGTH:
        fprintf(out, "BAD       impossible length byte 0x%02X: ", ev->raw[2]);
        print_hex(out, ev->raw, ev->raw_len);
        break;
    case FRAME_EV_TRUNCATED:
        fputs("BAD       truncated frame: ", out);
        print_hex(out, ev->raw, ev->raw_len);
        break;
    }
}

/* " [bms_tx_open: never received]", " [bit_errors: arrived altered, 20 bytes]",
 * " [reply_delay +0.500 s]" */
static void print_fate(FILE *out, const struct buslog_fate *fate)
{
    unsigned faults = fate ? fate->marks & BUSLOG_FAULT_MARKS : 0;
    if (!fate || (faults == 0 && !fate->lost && !fate->altered))
        return;
    char names[160];
    fprintf(out, " [%s", faults ? link_marks_format(faults, names, sizeof(names)) : "fault");
    if (fate->marks & LINK_MARK_DELAY)
        fprintf(out, " +%.3f s", fate->delay_s);
    if (fate->lost)
        fputs(": never received", out);
    else if (fate->altered)
        fprintf(out, ": arrived altered, %zu bytes", fate->nrx);
    fputc(']', out);
}

void decode_print_text(FILE *out, const struct frame_event *ev, const struct decode_meta *m)
{
    print_prefix(out, m);
    print_event_body(out, ev);
    print_fate(out, m ? m->fate : NULL);
    fputc('\n', out);
}

void decode_print_received_text(FILE *out, const struct frame_event *ev)
{
    fputs("                   received: ", out);
    print_event_body(out, ev);
    fputc('\n', out);
}

void decode_print_garbage_text(FILE *out, const uint8_t *bytes, size_t n,
                               const struct decode_meta *m)
{
    print_prefix(out, m);
    fprintf(out, "GARBAGE   %zu bytes: ", n);
    print_hex(out, bytes, n);
    print_fate(out, m ? m->fate : NULL);
    fputc('\n', out);
}

/* Writes `s` as a JSON string. */
static void json_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

struct json_fields {
    FILE *out;
    int n;
};

static void json_field(void *user, const struct regmap_field *fld, const uint8_t *bytes)
{
    struct json_fields *j = user;
    char text[256];
    regmap_format_field(fld, bytes, text, sizeof(text));
    fprintf(j->out, "%s", j->n++ ? "," : "");
    json_str(j->out, fld->name);
    fputs(":{", j->out);
    if (fld->kind == REGMAP_ASCII) {
        /* The field's own bytes, not the quoted text form; json_str escapes what needs it. */
        char ascii[64];
        size_t n = fld->nbytes < sizeof(ascii) - 1 ? fld->nbytes : sizeof(ascii) - 1;
        for (size_t i = 0; i < n; i++)
            ascii[i] = (bytes[i] >= 0x20 && bytes[i] < 0x7F) ? (char)bytes[i] : '.';
        ascii[n] = '\0';
        fputs("\"text\":", j->out);
        json_str(j->out, ascii);
    } else if (fld->kind == REGMAP_TEMP2 || fld->kind == REGMAP_DATE) {
        fputs("\"text\":", j->out);
        const char *eq = strchr(text, '=');
        json_str(j->out, fld->kind == REGMAP_TEMP2 ? text : (eq ? eq + 1 : text));
        if (fld->kind == REGMAP_TEMP2)
            fprintf(j->out, ",\"t1_c\":%d,\"t2_c\":%d", (int)bytes[0] - 20, (int)bytes[1] - 20);
    } else {
        long long raw = (long long)regmap_field_raw(fld, bytes);
        fprintf(j->out, "\"raw\":%lld,\"value\":%.6g,\"unit\":", raw, (double)raw * fld->scale);
        json_str(j->out, fld->unit);
    }
    fputc('}', j->out);
}

static void json_prefix(FILE *out, const struct decode_meta *m, const uint8_t *raw, size_t n)
{
    if (m && m->has_time)
        fprintf(out, "\"t_s\":%.6f,", m->t_s);
    if (m && m->line) {
        fputs("\"line\":", out);
        json_str(out, m->line);
        fputc(',', out);
    }
    if (m && m->lineno)
        fprintf(out, "\"input_line\":%u,", m->lineno);
    fputs("\"hex\":\"", out);
    print_hex(out, raw, n);
    fputs("\",", out);
}

/* ,"marks":[...],"received":"...",... for a bus log row (nothing without one). */
static void json_fate(FILE *out, const struct buslog_fate *fate)
{
    if (!fate)
        return;
    fputs(",\"marks\":[", out);
    int k = 0;
    for (unsigned bit = 0; bit < LINK_MARK_COUNT; bit++)
        if (fate->marks & (1u << bit))
            fprintf(out, "%s\"%s\"", k++ ? "," : "", link_mark_name(bit));
    fprintf(out, "],\"received\":\"%s\"",
            fate->lost ? "none" : fate->altered ? "altered" : "as_sent");
    if (fate->altered) {
        fputs(",\"received_hex\":\"", out);
        print_hex(out, fate->rx, fate->nrx);
        fputc('"', out);
    }
    if (fate->marks & LINK_MARK_DELAY)
        fprintf(out, ",\"delay_s\":%.6f", fate->delay_s);
}

void decode_print_json(FILE *out, const struct frame_event *ev, const struct decode_meta *m)
{
    fputc('{', out);
    json_prefix(out, m, ev->raw, ev->raw_len);
    const struct buslog_fate *fate = m ? m->fate : NULL;
    if (ev->kind != FRAME_EV_FRAME) {
        const char *what = ev->kind == FRAME_EV_BAD_CHECKSUM ? "bad_checksum"
                           : ev->kind == FRAME_EV_BAD_LENGTH ? "bad_length"
                                                             : "truncated";
        fprintf(out, "\"ok\":false,\"error\":\"%s\"", what);
        if (ev->kind == FRAME_EV_BAD_CHECKSUM)
            fprintf(out, ",\"checksum_found\":\"%02x%02x\",\"checksum_expected\":\"%02x%02x\"",
                    ev->checksum_found & 0xFF, ev->checksum_found >> 8,
                    ev->checksum_expected & 0xFF, ev->checksum_expected >> 8);
        json_fate(out, fate);
        fputc('}', out);
        return;
    }
    const struct frame *f = ev->frame;
    fprintf(out, "\"ok\":true,\"direction\":\"%s\",\"addr\":%u,\"cmd\":%u,\"arg\":%u,\"kind\":\"%s\"",
            decode_direction(f->addr), f->addr, f->cmd, f->arg, kind_name(f));
    if (f->cmd == FRAME_CMD_READ && (f->addr == FRAME_ADDR_TO_BMS || f->addr == FRAME_ADDR_TO_ESC)
        && f->payload_len == 1)
        fprintf(out, ",\"read_bytes\":%u", f->payload[0]);
    fputs(",\"fields\":{", out);
    struct json_fields j = { out, 0 };
    foreach_field(f, json_field, &j);
    fputc('}', out);
    json_fate(out, fate);
    fputc('}', out);
}

void decode_print_garbage_json(FILE *out, const uint8_t *bytes, size_t n,
                               const struct decode_meta *m)
{
    fputc('{', out);
    json_prefix(out, m, bytes, n);
    fputs("\"ok\":false,\"error\":\"garbage\"", out);
    json_fate(out, m ? m->fate : NULL);
    fputc('}', out);
}
