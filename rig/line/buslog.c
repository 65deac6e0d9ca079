/* buslog.c: bus log rows (sent bytes, fault marks, what arrived) written and read back. */
#include "rig/line/buslog.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/status.h"

int buslog_write_row(FILE *out, const struct link_wire_frame *f)
{
    char check[160];
    char note[CAPTURE_NOTE_MAX];
    size_t used = 0;
    note[0] = '\0';
    if (f->nreceived == 0 && f->nsent > 0) {
        used += (size_t)snprintf(note, sizeof(note), "rx=none");
    } else if (f->nreceived != f->nsent || memcmp(f->received, f->sent, f->nsent) != 0) {
        used += (size_t)snprintf(note, sizeof(note), "rx=");
        for (size_t i = 0; i < f->nreceived && used + 3 < sizeof(note); i++)
            used += (size_t)snprintf(note + used, sizeof(note) - used, "%02x", f->received[i]);
    }
    if ((f->marks & LINK_MARK_DELAY) && used + 24 < sizeof(note))
        snprintf(note + used, sizeof(note) - used, "%sdelay_s=%.6f", used ? " " : "", f->delay_s);
    return capture_write_row(out, (double)f->t_us / 1e6, f->line, f->sent, f->nsent,
                             link_marks_format(f->marks, check, sizeof(check)), note);
}

static unsigned parse_marks(const char *check)
{
    unsigned marks = 0;
    const char *p = check;
    while (*p) {
        size_t len = strcspn(p, "+");
        for (unsigned bit = 0; bit < LINK_MARK_COUNT; bit++) {
            const char *name = link_mark_name(bit);
            if (strlen(name) == len && strncmp(name, p, len) == 0)
                marks |= 1u << bit;
        }
        p += len;
        if (*p == '+')
            p++;
    }
    return marks;
}

int buslog_parse(const struct capture_row *row, struct buslog_fate *fate, char *err,
                 size_t errcap)
{
    memset(fate, 0, sizeof(*fate));
    fate->marks = parse_marks(row->check);
    const char *p = row->note;
    while (*p) {
        p += strspn(p, " ");
        size_t len = strcspn(p, " ");
        if (len == 0)
            break;
        char tok[CAPTURE_NOTE_MAX];
        memcpy(tok, p, len);
        tok[len] = '\0';
        p += len;
        if (strcmp(tok, "rx=none") == 0) {
            fate->lost = true;
        } else if (strncmp(tok, "rx=", 3) == 0) {
            if (capture_parse_hex(tok + 3, fate->rx, sizeof(fate->rx), &fate->nrx) != BMSRIG_OK) {
                snprintf(err, errcap, "note rx= is not the hex of at most %d bytes",
                         FRAME_BYTES_MAX);
                return BMSRIG_ERR_PARSE;
            }
            fate->altered = true;
        } else if (strncmp(tok, "delay_s=", 8) == 0) {
            char *end = NULL;
            fate->delay_s = strtod(tok + 8, &end);
            if (end == tok + 8 || *end != '\0' || !isfinite(fate->delay_s)) {
                snprintf(err, errcap, "note delay_s= is not a number of seconds");
                return BMSRIG_ERR_PARSE;
            }
        }
        /* anything else is free text (recordings write notes of their own) */
    }
    return BMSRIG_OK;
}
