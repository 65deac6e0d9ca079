/* engine.c: the scenario engine's world (pack, BMS, link, virtual controller) and its tick. */
#define LOG_PREFIX "engine"
#include "rig/scenario/engine.h"
#include "rig/scenario/engine_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rig/line/buslog.h"
#include "rig/line/capture.h"
#include "rig/offline/cellfile.h"
#include "rig/line/dut_serial.h"
#include "rig/dut/dut_firmware.h"
#include "rig/line/link.h"
#include "rig/util/log.h"
#include "rig/bench/board.h"
#include "rig/bench/rig_hw.h"
#include "sim/bms.h"
#include "sim/esc.h"
#include "sim/pack.h"
#include "sim/regmap.h"
#include "sim/status.h"


void engine_config_default(struct engine_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->clock = CLOCK_KIND_VIRTUAL;
    cfg->tick_us = CLOCK_TICK_US_DEFAULT;
    cfg->seed = 1;
    snprintf(cfg->pack, sizeof(cfg->pack), "10s3p");
    snprintf(cfg->cell, sizeof(cfg->cell), "lg_m26");
    cfg->soc = 0.8;
    cfg->temp_c = 25.0;
    cfg->ambient_c = 25.0;
    snprintf(cfg->bms, sizeof(cfg->bms), "m365_stock");
    snprintf(cfg->esc, sizeof(cfg->esc), "m365");
    snprintf(cfg->esc_figures, sizeof(cfg->esc_figures), "%s",
             esc_figures_name(ESC_FIGURES_RECORDED));
    cfg->trace_every_us = 100000;
}

/* ---- traces ------------------------------------------------------------------------------- */

static void on_wire_frame(void *user, const struct link_wire_frame *f)
{
    struct engine *e = user;
    line_watch_frame(&e->watch, f);
    if (strcmp(f->line, "esc_tx") == 0)
        e->esc_tx_bytes += f->nsent;   /* counted as each request ends on the wire */
    if (e->cfg.trace_bus)
        buslog_write_row(e->cfg.trace_bus, f);
}

static void trace_header(struct engine *e)
{
    FILE *o = e->cfg.trace_signals;
    if (o) {
        fputs("t_s,pack_v,pack_i_a,bms_soc_pct,bms_status,dsg_on,chg_on,t1_c,t2_c,g_min_v,"
              "g_max_v", o);
        for (unsigned g = 0; g < e->series; g++)
            fprintf(o, ",g%u_v", g + 1);
        fputs(",esc_on,esc_error,esc_limit_a,speed_kmh,throttle,brake,charger_v\n", o);
    }
    if (e->cfg.trace_bus) {
        char title[300];
        snprintf(title, sizeof(title), "bmsrig run trace: %s (virtual target, seed %llu)",
                 e->cfg.trace_title ? e->cfg.trace_title : "scenario",
                 (unsigned long long)e->cfg.seed);
        const char *comments[] = { title, "rows: every frame on both wires as sent (esc_tx = "
                                          "controller to BMS, bms_tx = BMS to controller); check = "
                                          "the faults that changed it, note = what the receiver "
                                          "got (rx=none, rx=HEX; docs/buslog.md)" };
        capture_write_header(e->cfg.trace_bus, comments, 2);
    }
}

static void trace_row(struct engine *e)
{
    FILE *o = e->cfg.trace_signals;
    const struct bms_measure *m = bms_measure(e->bms);
    double gmin = 1e9, gmax = -1e9;
    for (unsigned g = 0; g < e->series; g++) {
        double v = pack_group_v(e->pack, g);
        gmin = v < gmin ? v : gmin;
        gmax = v > gmax ? v : gmax;
    }
    struct esc_status st;
    esc_status(e->esc, &st);
    fprintf(o, "%.3f,%.3f,%.3f,%u,0x%04X,%d,%d,%.1f,%.1f,%.4f,%.4f", clock_now_s(&e->clock),
            pack_terminal_v(e->pack), pack_current_a(e->pack), m->soc_pct,
            engine_bms_status(e), bms_discharge_enabled(e->bms), bms_charge_enabled(e->bms),
            m->temp_c[0], m->temp_c[1], gmin, gmax);
    for (unsigned g = 0; g < e->series; g++)
        fprintf(o, ",%.4f", pack_group_v(e->pack, g));
    fprintf(o, ",%d,%d,%.2f,%.2f,%.2f,%.2f,%.1f\n", e->powered, esc_error_code(e->esc),
            st.limit_a, esc_speed_kmh(e->esc), e->rider.throttle, e->rider.brake,
            e->charger ? e->charger_v : 0.0);
}

/* ---- construction ------------------------------------------------------------------------- */

static void on_esc_tx(void *user, enum esc_line line, int64_t t_us, const uint8_t *bytes,
                      size_t n)
{
    struct engine *e = user;
    if (line == ESC_LINE_DASH) {   /* the version reader's replies; the rest is ignored */
        dash_receive(&e->vdash, t_us * 1000, bytes, n);
        return;
    }
    if (line != ESC_LINE_BMS)
        return;
    if (link_esc_send(e->link, t_us, bytes, n) != BMSRIG_OK)
        br_warn("link pipe full: %zu controller bytes dropped", n);
}

int engine_new(const struct engine_config *cfg, struct engine **out, char *err, size_t errcap)
{
    *out = NULL;
    struct engine *e = calloc(1, sizeof(*e));
    if (!e) {
        snprintf(err, errcap, "out of memory");
        return BMSRIG_ERR_NOMEM;
    }
    e->cfg = *cfg;
    int rc = clock_init(&e->clock, cfg->clock, cfg->tick_us);
    if (rc != BMSRIG_OK) {
        snprintf(err, errcap, "tick: %s", bmsrig_strerror(rc));
        goto fail;
    }
    e->clock.spin_tail_ns = cfg->spin_tail_us > 0 ? cfg->spin_tail_us * 1000 : 0;

    /* pack */
    struct cell_params cp;
    char why[256] = "";
    rc = cellfile_load_set(cfg->cell, &cp, why, sizeof(why));   /* a name, never a path */
    if (rc != BMSRIG_OK) {
        snprintf(err, errcap, "pack.cell '%s': %s", cfg->cell, why);
        goto fail;
    }
    if (cfg->cell_ah > 0) {
        double k = cfg->cell_ah / cp.rated_ah;
        cp.rated_ah *= k;
        cp.min_ah *= k;
    }
    struct pack_config pc;
    rc = pack_config_preset(&pc, cfg->pack, &cp);
    if (rc != BMSRIG_OK) {
        snprintf(err, errcap, "pack '%s': not a topology like 10s3p (at most %us%up)", cfg->pack,
                 PACK_MAX_SERIES, PACK_MAX_PARALLEL);
        goto fail;
    }
    pc.soc0 = cfg->soc;
    pc.temp0_c = cfg->temp_c;
    pc.seed = cfg->seed ^ 0x5041434Bull;
    rc = pack_config_check(&pc, why, sizeof(why));
    if (rc != BMSRIG_OK) {
        snprintf(err, errcap, "pack: %s", why);
        goto fail;
    }
    e->pack = pack_new(&pc);
    if (!e->pack) {
        snprintf(err, errcap, "pack: cannot build");
        rc = BMSRIG_ERR_NOMEM;
        goto fail;
    }
    e->series = pack_series(e->pack);
    e->cell_ah = cp.rated_ah;
    e->ambient_c = cfg->ambient_c;
    pack_set_ambient_c(e->pack, cfg->ambient_c);

    /* BMS */
    struct bms_profile prof;
    rc = bms_profile_builtin(cfg->bms, &prof, why, sizeof(why));
    if (rc != BMSRIG_OK) {
        snprintf(err, errcap, "bms '%s': %s", cfg->bms,
                 rc == BMSRIG_ERR_ARG ? "no such BMS profile (see fixtures/bms/)" : why);
        goto fail;
    }
    if (prof.series != e->series) {
        snprintf(err, errcap, "bms '%s' measures %u groups but the pack has %u in series",
                 cfg->bms, prof.series, e->series);
        rc = BMSRIG_ERR_ARG;
        goto fail;
    }
    e->bms = bms_new(&prof, cfg->seed ^ 0x424D53ull);
    if (!e->bms) {
        snprintf(err, errcap, "bms '%s': cannot build", cfg->bms);
        rc = BMSRIG_ERR_NOMEM;
        goto fail;
    }
    bms_set_soc(e->bms, cfg->soc * 100.0);

    /* link */
    struct link_config lc;
    link_config_default(&lc);
    lc.seed = cfg->seed ^ 0x4C494E4Bull;
    if (cfg->gap_chars != 0) {
        if (!(cfg->gap_chars >= LINK_GAP_CHARS_MIN && cfg->gap_chars <= LINK_GAP_CHARS_MAX)) {
            snprintf(err, errcap, "gap reset %g characters: outside %g .. %g", cfg->gap_chars,
                     (double)LINK_GAP_CHARS_MIN, (double)LINK_GAP_CHARS_MAX);
            rc = BMSRIG_ERR_RANGE;
            goto fail;
        }
        lc.gap_chars = cfg->gap_chars;
    }
    e->link = link_new(&lc, e->bms);
    if (!e->link) {
        snprintf(err, errcap, "link: cannot build");
        rc = BMSRIG_ERR_NOMEM;
        goto fail;
    }
    link_set_wire_hook(e->link, on_wire_frame, e);
    line_watch_init(&e->watch);

    /* controller */
    enum esc_model model;
    if (esc_model_parse(cfg->esc, &model) != BMSRIG_OK) {
        snprintf(err, errcap, "esc '%s': not a controller model (m365, pro2)", cfg->esc);
        rc = BMSRIG_ERR_ARG;
        goto fail;
    }
    enum esc_figures figures;
    if (esc_figures_parse(cfg->esc_figures, &figures) != BMSRIG_OK) {
        snprintf(err, errcap, "esc figures '%s': not a figure set (recorded, emulated)",
                 cfg->esc_figures);
        rc = BMSRIG_ERR_ARG;
        goto fail;
    }
    struct esc_params ep;
    esc_params_default(&ep, model);
    esc_params_use_figures(&ep, figures);
    e->esc = esc_new(&ep);
    if (!e->esc) {
        snprintf(err, errcap, "esc: cannot build");
        rc = BMSRIG_ERR_NOMEM;
        goto fail;
    }
    esc_set_tx(e->esc, on_esc_tx, e);
    e->rider.mode = ESC_MODE_NORMAL;
    struct dash_config dc;
    dash_config_default(&dc);
    dc.reads = DASH_READ_VERSION;
    dash_init(&e->vdash, &dc);

    /* A first BMS step so the image and the read-outs hold the initial state. */
    memset(&e->in, 0, sizeof(e->in));
    e->in.ngroups = e->series;
    for (unsigned g = 0; g < e->series && g < BMS_GROUPS_MAX; g++)
        e->in.group_v[g] = pack_sense_voltage(e->pack, g);
    for (unsigned k = 0; k < BMS_NTC_MAX; k++) {
        struct ntc_reading r;
        unsigned idx = k < pack_ntc_count(e->pack) ? k : 0;
        e->in.ntc_ohm[k] = pack_ntc_read(e->pack, idx, &r) == BMSRIG_OK ? r.r_ohm : NAN;
    }
    bms_step(e->bms, 0, 0.0, &e->in);
    if (cfg->rig) {
        char sig[32];
        for (unsigned g = 0; g < PACK_MAX_SERIES; g++) {
            snprintf(sig, sizeof(sig), "cell[%u].v", g + 1);
            e->hw_cell[g] = g < e->series ? rig_hw_signal_find(cfg->rig, sig) : -1;
        }
        for (unsigned k = 0; k < PACK_MAX_NTC; k++) {
            snprintf(sig, sizeof(sig), "ntc[%u].v", k + 1);
            e->hw_ntc[k] = k < pack_ntc_count(e->pack) ? rig_hw_signal_find(cfg->rig, sig) : -1;
        }
        e->hw_pack = rig_hw_signal_find(cfg->rig, "pack.v");
        e->hw_charger = rig_hw_signal_find(cfg->rig, "charger.v");
    }
    trace_header(e);
    e->last_trace_us = -1;
    e->traced = true;
    *out = e;
    return BMSRIG_OK;
fail:
    engine_free(e);
    return rc ? rc : BMSRIG_ERR_ARG;
}

void engine_free(struct engine *e)
{
    if (!e)
        return;
    /* the scenario's last instant, however short of the next decimated row it ended */
    if (e->traced && e->cfg.trace_signals && e->clock.now_us != e->last_trace_us)
        trace_row(e);
    if (e->cfg.trace_signals)
        fflush(e->cfg.trace_signals);
    if (e->cfg.trace_bus)
        fflush(e->cfg.trace_bus);
    if (e->cfg.rig && rig_hw_safe(e->cfg.rig) != BMSRIG_OK)
        br_err("bench: safe state NOT confirmed after the scenario");
    esc_free(e->esc);
    link_free(e->link);
    bms_free(e->bms);
    pack_free(e->pack);
    free(e->replay);
    free(e);
}

/* ---- the tick ----------------------------------------------------------------------------- */

/* Replay input at the current time; false when the replay has ended. */
static bool replay_at(struct engine *e, double *a, double *b)
{
    double t = (double)(e->clock.now_us - e->replay_start_us) / 1e6;
    if (t > e->replay[e->nreplay - 1].t_s) {
        e->replay_on = false;
        return false;
    }
    while (e->replay_pos + 1 < e->nreplay && e->replay[e->replay_pos + 1].t_s <= t)
        e->replay_pos++;
    *a = e->replay[e->replay_pos].a;
    *b = e->replay[e->replay_pos].b;
    return true;
}

int engine_step(struct engine *e)
{
    int rc = clock_tick(&e->clock);
    if (rc != BMSRIG_OK)
        return rc;
    const int64_t now = e->clock.now_us;
    const double dt = (double)e->cfg.tick_us / 1e6;
    const bool dsg = bms_discharge_enabled(e->bms);
    const bool chg = bms_charge_enabled(e->bms);

    /* 1. load current */
    double load = 0.0;
    if (e->charger && chg) {
        double i = pack_current_for_voltage(e->pack, dt, e->charger_v);
        if (i < -e->charger_a)
            i = -e->charger_a;
        if (i > 0)
            i = 0;
        load += i;
    }
    double demand = 0.0;
    double ra = 0, rb = 0;
    if (e->replay_on && replay_at(e, &ra, &rb) && e->replay_current) {
        demand = ra;
    } else {
        if (e->replay_on && !e->replay_current) {
            e->rider.throttle = ra;
            e->rider.brake = rb;
        }
        if (e->powered && !e->cfg.dut && !e->cfg.fw)
            demand = esc_battery_current_a(e->esc);
    }
    /* The controller hangs on the discharge port: the stock pack is a separate-port design,
     * so drive and regen current both pass the discharge switch; the charge switch only gates
     * the charge port [I: that is why a BMS asks the controller to stop regen with status
     * bit 9 instead of opening a switch]. */
    if (!dsg)
        demand = 0;
    load += demand;

    /* 2. pack */
    pack_step(e->pack, dt, load);

    /* 3. BMS: the sense voltages and NTCs only on the ticks its front end samples them
     * (profile sample_ms); the shunt current every tick */
    if (bms_sample_due(e->bms, dt)) {
        for (unsigned g = 0; g < e->series && g < BMS_GROUPS_MAX; g++)
            e->in.group_v[g] = pack_sense_voltage(e->pack, g);
        for (unsigned k = 0; k < BMS_NTC_MAX; k++) {
            struct ntc_reading r;
            unsigned idx = k < pack_ntc_count(e->pack) ? k : 0;
            if (pack_ntc_read(e->pack, idx, &r) == BMSRIG_OK)
                e->in.ntc_ohm[k] = r.r_ohm;
        }
    }
    e->in.current_a = pack_current_a(e->pack);
    e->in.charger_present = e->charger;
    e->in.charger_v = e->charger ? e->charger_v : 0.0;
    bms_step(e->bms, now, dt, &e->in);
    if (bms_sampled(e->bms))
        for (unsigned g = 0; g < e->series; g++)
            pack_set_bleed(e->pack, g, bms_bleed(e->bms, g));

    /* 4. the controller's supply: it dies when the BMS opens the discharge switch */
    if (e->powered && !e->cfg.dut && !e->cfg.fw) {
        double v = pack_terminal_v(e->pack);
        if (!bms_discharge_enabled(e->bms) || v < 1.0) {
            esc_power_off(e->esc);
            e->powered = false;
        } else {
            esc_set_supply_v(e->esc, v);
        }
    }

    /* 5. the wire and the controller */
    if (e->cfg.fw) {
        /* the firmware's supply is the pack behind the discharge switch (as in step 4) */
        double v = pack_terminal_v(e->pack);
        if (e->powered && (!bms_discharge_enabled(e->bms) || v < 1.0)) {
            dut_firmware_power_off(e->cfg.fw);
            e->powered = false;
        }
        int frc = dut_firmware_tick(e->cfg.fw, e->link, now, v, e->rider.throttle,
                                    e->rider.brake);
        e->powered = dut_firmware_powered(e->cfg.fw);
        if (frc != BMSRIG_OK)
            return BMSRIG_ERR_STATE;
        goto bench;
    }
    if (e->cfg.dut) {
        dut_serial_set_levers(e->cfg.dut, e->rider.throttle, e->rider.brake);
        if (dut_serial_tick(e->cfg.dut, e->link, now) != BMSRIG_OK)
            return BMSRIG_ERR_IO;
        goto bench;
    }
    link_advance(e->link, now);
    size_t n;
    while ((n = link_esc_recv(e->link, now, e->rx, NULL, sizeof(e->rx))) > 0) {
        e->bms_rx_bytes += n;
        if (e->powered)
            esc_rx(e->esc, ESC_LINE_BMS, now, e->rx, n);
        if (n < sizeof(e->rx))
            break;
    }
    if (e->powered && !dash_observe(&e->vdash)->have_version) {
        /* until it has answered: the version read (and the lever frame the dashboard sends
         * with it, which the model ignores) */
        uint8_t req[DASH_BYTES_PER_PERIOD_MAX];
        size_t nreq = dash_poll(&e->vdash, now * 1000, req, sizeof(req));
        if (nreq) {
            dash_gap(&e->vdash);
            esc_rx(e->esc, ESC_LINE_DASH, now, req, nreq);
        }
    }
    if (e->powered) {
        esc_set_rider(e->esc, &e->rider);
        esc_tick(e->esc, now);
        if (!esc_powered(e->esc)) {
            engine_event(e, "controller switched itself off");
            e->powered = false;
        }
    }

bench:
    /* 6. the bench: what the model presents, in one USB write */
    if (e->cfg.rig) {
        struct rig_hw *hw = e->cfg.rig;
        for (unsigned g = 0; g < e->series; g++)
            if (e->hw_cell[g] >= 0)
                rig_hw_set(hw, e->hw_cell[g], pack_sense_voltage(e->pack, g));
        for (unsigned k = 0; k < pack_ntc_count(e->pack) && k < PACK_MAX_NTC; k++) {
            struct ntc_reading r;
            if (e->hw_ntc[k] >= 0 && pack_ntc_read(e->pack, k, &r) == BMSRIG_OK)
                rig_hw_set(hw, e->hw_ntc[k], r.v_ts);
        }
        if (e->hw_pack >= 0)
            rig_hw_set(hw, e->hw_pack, pack_terminal_v(e->pack));
        if (e->hw_charger >= 0)
            rig_hw_set(hw, e->hw_charger, e->charger ? e->charger_v : 0.0);
        if (rig_hw_flush(hw) != BMSRIG_OK)
            return BMSRIG_ERR_IO;
    }

    /* 7. traces */
    if (e->cfg.trace_signals && now >= e->next_trace_us) {
        trace_row(e);
        e->last_trace_us = now;
        e->next_trace_us = now + e->cfg.trace_every_us;
    }
    return BMSRIG_OK;
}
