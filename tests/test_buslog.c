/* test_buslog.c: the bus log tells the truth: every frame on both wires as sent, with the
 * fault that changed it and what the receiver got (link_set_wire_hook), and the rows written
 * for it read back by buslog_parse. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rig/line/buslog.h"
#include "rig/line/capture.h"
#include "rig/line/link.h"
#include "sim/status.h"

static const uint8_t POLL30[] = { 0x55, 0xAA, 0x03, 0x22, 0x01, 0x30, 0x0C, 0x9D, 0xFF };

#define MAX_ROWS 1024

/* One hook call, copied. */
struct wire_row {
    int64_t t_us;
    char line[8];
    uint8_t sent[FRAME_BYTES_MAX];
    size_t nsent;
    uint8_t rx[FRAME_BYTES_MAX];
    size_t nrx;
    unsigned marks;
    double delay_s;
};

struct bench {
    struct bms_profile p;
    struct bms *b;
    struct link *l;
    struct bms_inputs in;
    int64_t t;
    uint8_t esc_rx[65536];     /* what reached the controller */
    size_t nesc_rx;
    struct wire_row rows[MAX_ROWS];
    size_t nrows;
    FILE *log;                 /* when set, rows also go through buslog_write_row */
};

static void on_wire(void *user, const struct link_wire_frame *f)
{
    struct bench *b = user;
    cr_assert_lt(b->nrows, MAX_ROWS);
    struct wire_row *r = &b->rows[b->nrows++];
    r->t_us = f->t_us;
    snprintf(r->line, sizeof(r->line), "%s", f->line);
    memcpy(r->sent, f->sent, f->nsent);
    r->nsent = f->nsent;
    memcpy(r->rx, f->received, f->nreceived);
    r->nrx = f->nreceived;
    r->marks = f->marks;
    r->delay_s = f->delay_s;
    if (b->log)
        cr_assert_eq(buslog_write_row(b->log, f), BMSRIG_OK);
}

static struct bench *bench_new(uint64_t seed)
{
    struct bench *b = calloc(1, sizeof(*b));
    cr_assert_not_null(b);
    char err[128];
    cr_assert_eq(bms_profile_builtin("m365_stock", &b->p, err, sizeof(err)), BMSRIG_OK);
    b->p.wake_silence_ms = 0;
    b->b = bms_new(&b->p, seed);
    bms_set_noise(b->b, false);
    struct link_config lc;
    link_config_default(&lc);
    lc.latency = LINK_LATENCY_OFF;
    lc.seed = seed;
    b->l = link_new(&lc, b->b);
    cr_assert_not_null(b->l);
    link_set_wire_hook(b->l, on_wire, b);
    bms_inputs_rest(&b->in, &b->p, 3.7, 25.0);
    bms_step(b->b, 0, 0.01, &b->in);
    return b;
}

static void bench_free(struct bench *b)
{
    link_free(b->l);
    bms_free(b->b);
    free(b);
}

static void run_to(struct bench *b, int64_t until)
{
    while (b->t < until) {
        b->t += 100;
        if (b->t % 10000 == 0)
            bms_step(b->b, b->t, 0.01, &b->in);
        link_advance(b->l, b->t);
        b->nesc_rx += link_esc_recv(b->l, b->t, b->esc_rx + b->nesc_rx, NULL,
                                    sizeof(b->esc_rx) - b->nesc_rx);
    }
}

static void polls(struct bench *b, int n)
{
    for (int i = 0; i < n; i++) {
        cr_assert_eq(link_esc_send(b->l, b->t, POLL30, sizeof(POLL30)), BMSRIG_OK);
        run_to(b, b->t + 210000);
    }
}

static size_t count_rows(const struct bench *b, const char *line, unsigned marks)
{
    size_t n = 0;
    for (size_t i = 0; i < b->nrows; i++)
        if (strcmp(b->rows[i].line, line) == 0 && b->rows[i].marks == marks)
            n++;
    return n;
}

Test(buslog, a_clean_line_logs_each_poll_and_reply_once_as_received)
{
    struct bench *b = bench_new(1);
    polls(b, 3);
    cr_assert_eq(b->nrows, 6);
    cr_assert_eq(count_rows(b, "esc_tx", 0), 3);
    cr_assert_eq(count_rows(b, "bms_tx", 0), 3);
    for (size_t i = 0; i < b->nrows; i++) {
        const struct wire_row *r = &b->rows[i];
        cr_assert_eq(r->nrx, r->nsent, "row %zu", i);
        cr_assert_arr_eq(r->rx, r->sent, r->nsent);
    }
    cr_assert_arr_eq(b->rows[0].sent, POLL30, sizeof(POLL30));
    cr_assert_eq(b->rows[0].t_us, 0, "the poll's first start bit");
    cr_assert_eq(b->nesc_rx, 3 * 20);
    bench_free(b);
}

Test(buslog, bms_tx_cut_logs_the_replies_the_controller_never_got)
{
    struct bench *b = bench_new(1);
    link_fault_set(b->l, LINK_FAULT_BMS_TX, 1);
    polls(b, 5);
    cr_assert_eq(b->nesc_rx, 0);
    cr_assert_eq(count_rows(b, "esc_tx", 0), 5, "the BMS still heard every poll");
    cr_assert_eq(count_rows(b, "bms_tx", LINK_MARK_BMS_TX_OPEN), 5);
    for (size_t i = 0; i < b->nrows; i++)
        if (strcmp(b->rows[i].line, "bms_tx") == 0) {
            cr_assert_eq(b->rows[i].nsent, 20, "the reply as the BMS sent it");
            cr_assert_eq(b->rows[i].nrx, 0);
        }
    link_fault_clear(b->l, LINK_FAULT_BMS_TX);
    polls(b, 1);
    cr_assert_eq(count_rows(b, "bms_tx", 0), 1);
    bench_free(b);
}

Test(buslog, esc_tx_cut_logs_the_polls_the_bms_never_heard)
{
    struct bench *b = bench_new(1);
    link_fault_set(b->l, LINK_FAULT_ESC_TX, 1);
    polls(b, 4);
    cr_assert_eq(b->nrows, 4, "polls only: no replies");
    cr_assert_eq(count_rows(b, "esc_tx", LINK_MARK_ESC_TX_OPEN), 4);
    cr_assert_eq(b->rows[0].nrx, 0);
    cr_assert_arr_eq(b->rows[0].sent, POLL30, sizeof(POLL30));
    cr_assert_eq(bms_counters(b->b)->requests, 0);
    bench_free(b);
}

Test(buslog, a_cut_in_mid_reply_keeps_what_got_through)
{
    /* the real-transport side: a serial endpoint takes the reply out in small writes */
    struct bench *b = bench_new(1);
    link_bms_rx(b->l, 1000, POLL30, sizeof(POLL30));
    uint8_t out[32];
    size_t got = link_bms_tx(b->l, 2000, out, 7);
    cr_assert_eq(got, 7);
    link_fault_set(b->l, LINK_FAULT_BMS_TX, 1);
    cr_assert_eq(link_bms_tx(b->l, 2000, out + got, sizeof(out) - got), 0);
    cr_assert_eq(b->nrows, 2);
    const struct wire_row *r = &b->rows[1];
    cr_assert_str_eq(r->line, "bms_tx");
    cr_assert_eq(r->marks, LINK_MARK_BMS_TX_OPEN);
    cr_assert_eq(r->nsent, 20);
    cr_assert_eq(r->nrx, 7, "the bytes that got through");
    cr_assert_arr_eq(r->rx, out, 7);
    cr_assert_arr_eq(r->sent, out, 7);
    bench_free(b);
}

Test(buslog, bit_errors_log_the_bytes_as_received)
{
    struct bench *b = bench_new(6);
    link_fault_set(b->l, LINK_FAULT_BIT_ERRORS, 0.01);
    polls(b, 100);
    size_t flipped = 0, clean = 0;
    for (size_t i = 0; i < b->nrows; i++) {
        const struct wire_row *r = &b->rows[i];
        if (r->marks & LINK_MARK_BIT_ERRORS) {
            flipped++;
            cr_assert_eq(r->nrx, r->nsent);
            cr_assert(memcmp(r->rx, r->sent, r->nsent) != 0, "row %zu marked but equal", i);
        } else if (strcmp(r->line, "bms_tx") == 0 || r->marks == 0) {
            clean++;
            cr_assert_arr_eq(r->rx, r->sent, r->nsent, "row %zu unmarked but altered", i);
        }
    }
    cr_assert_gt(flipped, 10);
    cr_assert_gt(clean, 50);
    bench_free(b);
}

Test(buslog, reply_faults_are_marked_on_the_reply_as_sent)
{
    struct bench *b = bench_new(3);
    link_fault_set(b->l, LINK_FAULT_CORRUPT_CHECKSUM, 1.0);
    link_fault_set(b->l, LINK_FAULT_REPLY_DELAY, 0.05);
    polls(b, 3);
    cr_assert_eq(count_rows(b, "bms_tx", LINK_MARK_CORRUPT | LINK_MARK_DELAY), 3);
    for (size_t i = 0; i < b->nrows; i++)
        if (strcmp(b->rows[i].line, "bms_tx") == 0) {
            cr_assert_float_eq(b->rows[i].delay_s, 0.05, 1e-9);
            cr_assert_eq(b->rows[i].nrx, 20, "sent bad, received as sent");
            cr_assert_arr_eq(b->rows[i].rx, b->rows[i].sent, 20);
        }
    link_fault_clear(b->l, LINK_FAULT_CORRUPT_CHECKSUM);
    link_fault_clear(b->l, LINK_FAULT_REPLY_DELAY);
    link_fault_set(b->l, LINK_FAULT_GARBAGE, 1.0);
    size_t before = b->nrows;
    polls(b, 2);
    cr_assert_eq(b->nrows - before, 6, "poll, garbage burst, reply: twice");
    cr_assert_eq(count_rows(b, "bms_tx", LINK_MARK_GARBAGE), 2);
    bench_free(b);
}

Test(buslog, marks_format_and_parse_back)
{
    char buf[160];
    cr_assert_str_eq(link_marks_format(0, buf, sizeof(buf)), "ok");
    cr_assert_str_eq(link_marks_format(LINK_MARK_CORRUPT | LINK_MARK_BMS_TX_OPEN, buf,
                                       sizeof(buf)),
                     "bms_tx_open+corrupt_checksum");
    for (unsigned bit = 0; bit < LINK_MARK_COUNT; bit++)
        cr_assert_not_null(link_mark_name(bit));
    cr_assert_null(link_mark_name(LINK_MARK_COUNT));
}

Test(buslog, rows_written_read_back_with_their_fate)
{
    struct bench *b = bench_new(6);
    char *text = NULL;
    size_t len = 0;
    b->log = open_memstream(&text, &len);
    cr_assert_not_null(b->log);
    link_fault_set(b->l, LINK_FAULT_BMS_TX, 1);
    polls(b, 2);
    link_fault_clear(b->l, LINK_FAULT_BMS_TX);
    link_fault_set(b->l, LINK_FAULT_BIT_ERRORS, 0.02);
    link_fault_set(b->l, LINK_FAULT_REPLY_DELAY, 0.01);
    polls(b, 30);
    fclose(b->log);
    size_t nrows = 0, lost = 0, altered = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        struct capture_row row;
        char err[128];
        cr_assert_eq(capture_parse_line(line, 1, &row, err, sizeof(err)), BMSRIG_OK, "%s: %s",
                     line, err);
        struct buslog_fate fate;
        cr_assert_eq(buslog_parse(&row, &fate, err, sizeof(err)), BMSRIG_OK, "%s", err);
        const struct wire_row *w = &b->rows[nrows++];
        cr_assert_eq(fate.marks, w->marks, "%s", line);
        cr_assert_eq(row.nbytes, w->nsent);
        cr_assert_arr_eq(row.bytes, w->sent, w->nsent);
        cr_assert_eq(fate.lost, w->nrx == 0, "%s", line);
        bool differs = w->nrx != w->nsent || memcmp(w->rx, w->sent, w->nsent) != 0;
        cr_assert_eq(fate.altered, differs && w->nrx > 0, "%s", line);
        if (fate.altered) {
            cr_assert_eq(fate.nrx, w->nrx);
            cr_assert_arr_eq(fate.rx, w->rx, w->nrx);
            altered++;
        }
        if (w->marks & LINK_MARK_DELAY)
            cr_assert_float_eq(fate.delay_s, 0.01, 1e-9);
        lost += fate.lost;
    }
    cr_assert_eq(nrows, b->nrows);
    cr_assert_eq(lost, 2);
    cr_assert_gt(altered, 3);
    free(text);
    bench_free(b);
}

Test(buslog, recording_notes_are_free_text_and_bad_tokens_are_refused)
{
    struct capture_row row;
    char err[128];
    cr_assert_eq(capture_parse_line("0.058600,bms_tx,55aa0425013b62003800,bad_checksum,"
                                    "truncated_by_capture_end",
                                    1, &row, err, sizeof(err)),
                 BMSRIG_OK);
    struct buslog_fate fate;
    cr_assert_eq(buslog_parse(&row, &fate, err, sizeof(err)), BMSRIG_OK);
    cr_assert_eq(fate.marks, LINK_MARK_BAD_CHECKSUM);
    cr_assert(!fate.lost && !fate.altered);
    cr_assert_eq(capture_parse_line("1.0,bms_tx,55aa,bms_tx_open,rx=5g", 1, &row, err,
                                    sizeof(err)),
                 BMSRIG_OK);
    cr_assert_eq(buslog_parse(&row, &fate, err, sizeof(err)), BMSRIG_ERR_PARSE);
    cr_assert_eq(capture_parse_line("1.0,bms_tx,55aa,reply_delay,delay_s=x", 1, &row, err,
                                    sizeof(err)),
                 BMSRIG_OK);
    cr_assert_eq(buslog_parse(&row, &fate, err, sizeof(err)), BMSRIG_ERR_PARSE);
}
