/* test_support.c: shared test helpers (see test_support.h). */
#include "test_support.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/rng.h"
#include "sim/status.h"

struct ts_capture ts_capture_load(const char *rel)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", BMSRIG_FIXTURES, rel);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "cannot open fixture %s", path);
    struct ts_capture c = { 0 };
    size_t cap = 0;
    char line[4096];
    unsigned lineno = 0;
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        struct capture_row row;
        char err[128];
        int rc = capture_parse_line(line, lineno, &row, err, sizeof(err));
        if (rc == BMSRIG_ERR_STATE)
            continue;
        cr_assert_eq(rc, BMSRIG_OK, "%s:%u: %s", path, lineno, err);
        if (c.count == cap) {
            cap = cap ? 2 * cap : 64;
            c.rows = realloc(c.rows, cap * sizeof(*c.rows));
            cr_assert_not_null(c.rows);
        }
        c.rows[c.count++] = row;
    }
    fclose(f);
    return c;
}

void ts_capture_free(struct ts_capture *c)
{
    free(c->rows);
    c->rows = NULL;
    c->count = 0;
}

void ts_rng_seed(struct ts_rng *r, uint64_t seed) { r->s = seed ? seed : 0x9E3779B97F4A7C15u; }

uint64_t ts_rng_next(struct ts_rng *r)
{
    return rng_next(&r->s);
}

uint32_t ts_rng_below(struct ts_rng *r, uint32_t bound)
{
    return (uint32_t)(ts_rng_next(r) % bound);
}

void ts_feed(struct frame_decoder *d, const uint8_t *bytes, size_t n, enum ts_chunking how,
             uint64_t seed)
{
    struct ts_rng rng;
    ts_rng_seed(&rng, seed);
    size_t i = 0;
    while (i < n) {
        size_t step = how == TS_WHOLE ? n - i
                      : how == TS_BYTE_AT_A_TIME ? 1
                                                 : 1 + ts_rng_below(&rng, 64);
        if (step > n - i)
            step = n - i;
        frame_decoder_feed(d, bytes + i, step);
        i += step;
    }
}

void ts_collect_event(void *user, const struct frame_event *ev)
{
    struct ts_frames *t = user;
    if (ev->kind == FRAME_EV_BAD_CHECKSUM) {
        t->bad_checksum_events++;
        t->last_found = ev->checksum_found;
        t->last_expected = ev->checksum_expected;
    }
    if (ev->kind != FRAME_EV_FRAME || t->count >= 4096)
        return;
    t->frames[t->count] = *ev->frame;
    memcpy(t->raw[t->count], ev->raw, ev->raw_len);
    t->raw_len[t->count] = ev->raw_len;
    t->count++;
}
