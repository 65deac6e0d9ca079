/* engine.c: the scenario engine's world (pack, BMS, link, virtual controller) and its tick. */
#define LOG_PREFIX "engine"
#include "rig/scenario/engine.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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

#define RX_CHUNK 512

/* Charger models [S: seeds field notes: the stock 42 V 1.7 A brick, 42 V 3 A bricks as the
 * practical limit of the stock port, 13S supplies at 54.6 V; the 13S current is [I]]. */
static const struct charger_model {
    const char *name;
    double volts, amps;
} chargers[] = {
    { "stock", 42.0, 1.7 },
    { "3a", 42.0, 3.0 },
    { "13s", 54.6, 2.0 },
};

/* The controller's series resistor on the BMS data line, as bit errors on the link [I: no
 * schematic is public (protocol.md section 1); field notes only say a burnt resistor gives
 * intermittent error 21]. Slower edges through a larger resistance corrupt more bits:
 * ohms -> bit error rate, interpolated in log-log; at or above OPEN_OHM it is an open line. */
static const double resistor_ohm[] = { 2e3, 1e4, 4.7e4, 1e5, 2.2e5, 4.7e5 };
static const double resistor_ber[] = { 0.0, 1e-4, 2e-3, 1e-2, 5e-2, 2e-1 };
#define RESISTOR_OPEN_OHM 1e6

struct replay_row {
    double t_s;
    double a, b;          /* current_a, or throttle and brake */
};

struct engine {
    struct engine_config cfg;
    struct clock clock;
    struct pack *pack;
    struct bms *bms;
    struct link *link;
    struct esc *esc;
    unsigned series;
    double cell_ah;        /* capacity of one cell, Ah */
    bool powered;
    struct esc_rider rider;
    bool charger;
    double charger_v, charger_a;
    double ambient_c;
    /* replay */
    struct replay_row *replay;
    size_t nreplay, replay_pos;
    bool replay_current;   /* true: current_a column; false: throttle/brake */
    int64_t replay_start_us;
    bool replay_on;
    /* counters */
    unsigned faults_requested;
    unsigned faults_applied;
    uint64_t esc_tx_bytes;
    uint64_t bms_rx_bytes;
    int64_t next_trace_us;
    /* bench channels (-1 = not driven by this bench) */
    int hw_cell[PACK_MAX_SERIES];
    int hw_ntc[PACK_MAX_NTC];
    int hw_pack, hw_charger;
    uint8_t rx[RX_CHUNK];
    struct bms_inputs in;
};

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
    cfg->trace_every_us = 100000;
}

/* ---- traces ------------------------------------------------------------------------------- */

static void on_link_frame(void *user, int64_t t_us, const char *line, const uint8_t *bytes,
                          size_t n, const char *check)
{
    struct engine *e = user;
    if (e->cfg.trace_bus)
        capture_write_row(e->cfg.trace_bus, (double)t_us / 1e6, line, bytes, n, check, "");
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
        const char *comments[] = { title, "lines as the BMS sees them: esc_tx = frames it heard, "
                                          "bms_tx = replies it sent (check = fault applied)" };
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
    if (line != ESC_LINE_BMS)
        return;  /* the dashboard bus has no listener on the virtual target */
    e->esc_tx_bytes += n;
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

    /* pack */
    struct cell_params cp;
    char why[256] = "";
    rc = cellfile_load(cfg->cell, &cp, why, sizeof(why));
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
    e->link = link_new(&lc, e->bms);
    if (!e->link) {
        snprintf(err, errcap, "link: cannot build");
        rc = BMSRIG_ERR_NOMEM;
        goto fail;
    }
    link_set_frame_hook(e->link, on_link_frame, e);

    /* controller */
    enum esc_model model;
    if (esc_model_parse(cfg->esc, &model) != BMSRIG_OK) {
        snprintf(err, errcap, "esc '%s': not a controller model (m365, pro2)", cfg->esc);
        rc = BMSRIG_ERR_ARG;
        goto fail;
    }
    struct esc_params ep;
    esc_params_default(&ep, model);
    e->esc = esc_new(&ep);
    if (!e->esc) {
        snprintf(err, errcap, "esc: cannot build");
        rc = BMSRIG_ERR_NOMEM;
        goto fail;
    }
    esc_set_tx(e->esc, on_esc_tx, e);
    e->rider.mode = ESC_MODE_NORMAL;

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

    /* 3. BMS */
    for (unsigned g = 0; g < e->series && g < BMS_GROUPS_MAX; g++)
        e->in.group_v[g] = pack_sense_voltage(e->pack, g);
    e->in.current_a = pack_current_a(e->pack);
    for (unsigned k = 0; k < BMS_NTC_MAX; k++) {
        struct ntc_reading r;
        unsigned idx = k < pack_ntc_count(e->pack) ? k : 0;
        if (pack_ntc_read(e->pack, idx, &r) == BMSRIG_OK)
            e->in.ntc_ohm[k] = r.r_ohm;
    }
    e->in.charger_present = e->charger;
    e->in.charger_v = e->charger ? e->charger_v : 0.0;
    bms_step(e->bms, now, dt, &e->in);
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
    if (e->powered) {
        esc_set_rider(e->esc, &e->rider);
        esc_tick(e->esc, now);
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
        e->next_trace_us = now + e->cfg.trace_every_us;
    }
    return BMSRIG_OK;
}

/* ---- time and models ---------------------------------------------------------------------- */

double engine_now_s(const struct engine *e) { return clock_now_s(&e->clock); }
double engine_tick_s(const struct engine *e) { return (double)e->clock.tick_us / 1e6; }
const struct clock *engine_clock(const struct engine *e) { return &e->clock; }
const struct pack *engine_pack(const struct engine *e) { return e->pack; }
const struct bms *engine_bms(const struct engine *e) { return e->bms; }
const struct esc *engine_esc(const struct engine *e) { return e->esc; }
const struct link *engine_link(const struct engine *e) { return e->link; }

/* ---- commands ----------------------------------------------------------------------------- */

/* A bench's supply line for the controller, if its description has one. */
static void bench_power(struct engine *e, bool on)
{
    if (e->cfg.rig && rig_hw_fault_supported(e->cfg.rig, "power"))
        rig_hw_fault(e->cfg.rig, "power", on ? "on" : NULL);
}

void engine_power_on(struct engine *e)
{
    const int64_t now = e->clock.now_us;
    bms_power_on(e->bms, now);
    if (e->cfg.dut) {
        bench_power(e, true);
        return;
    }
    if (!bms_discharge_enabled(e->bms)) {
        br_info("power on refused: the BMS discharge switch is open");
        return;
    }
    if (e->cfg.fw) {
        e->powered = dut_firmware_power_on(e->cfg.fw, now) == BMSRIG_OK;
        if (!e->powered)
            br_info("power on failed: %s", dut_firmware_message(e->cfg.fw));
        return;
    }
    esc_set_supply_v(e->esc, pack_terminal_v(e->pack));
    esc_power_on(e->esc, now);
    e->powered = true;
}

void engine_power_off(struct engine *e)
{
    if (e->cfg.dut)
        bench_power(e, false);
    if (e->cfg.fw)
        dut_firmware_power_off(e->cfg.fw);
    esc_power_off(e->esc);
    e->powered = false;
}

bool engine_powered(const struct engine *e)
{
    if (e->cfg.dut)
        return dut_serial_alive(e->cfg.dut, e->clock.now_us);
    return e->powered;
}

bool engine_dut_virtual(const struct engine *e) { return e->cfg.dut == NULL && e->cfg.fw == NULL; }

bool engine_dut_observable(const struct engine *e)
{
    return e->cfg.dut == NULL || dut_serial_has_dash(e->cfg.dut);
}

bool engine_dut_firmware(const struct engine *e) { return e->cfg.fw != NULL; }

const char *engine_dut_message(const struct engine *e)
{
    return e->cfg.fw ? dut_firmware_message(e->cfg.fw) : "";
}

static double clamp01(double v)
{
    return v < 0 ? 0 : v > 1 ? 1 : v;
}

void engine_set_rider(struct engine *e, double throttle, double brake, int mode)
{
    e->rider.throttle = clamp01(throttle);
    e->rider.brake = clamp01(brake);
    e->rider.mode = mode == 0 ? ESC_MODE_ECO : mode == 2 ? ESC_MODE_SPORT : ESC_MODE_NORMAL;
}

void engine_get_rider(const struct engine *e, double *throttle, double *brake, int *mode)
{
    *throttle = e->rider.throttle;
    *brake = e->rider.brake;
    *mode = (int)e->rider.mode;
}

void engine_set_grade(struct engine *e, double grade)
{
    esc_set_grade(e->esc, grade);
}

int engine_charger_plug(struct engine *e, const char *model, double volts, double amps)
{
    if (model) {
        size_t i;
        for (i = 0; i < sizeof(chargers) / sizeof(chargers[0]); i++)
            if (strcmp(chargers[i].name, model) == 0)
                break;
        if (i == sizeof(chargers) / sizeof(chargers[0]))
            return BMSRIG_ERR_ARG;
        volts = chargers[i].volts;
        amps = chargers[i].amps;
    }
    if (!(volts >= 1 && volts <= 100 && amps >= 0.05 && amps <= 20))
        return BMSRIG_ERR_ARG;
    e->charger = true;
    e->charger_v = volts;
    e->charger_a = amps;
    return BMSRIG_OK;
}

void engine_charger_unplug(struct engine *e) { e->charger = false; }
bool engine_charger_present(const struct engine *e) { return e->charger; }
double engine_charger_v(const struct engine *e) { return e->charger ? e->charger_v : 0.0; }

int engine_replay_load(struct engine *e, const char *path, char *err, size_t errcap)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errcap, "%s: %s", path, strerror(errno));
        return BMSRIG_ERR_IO;
    }
    /* Whole lines (getline), however long, so line numbers stay true; fields split on every
     * ',' (strsep), so an empty field is seen rather than merged with the next. */
    char *buf = NULL;
    size_t bufcap = 0;
    ssize_t len;
    unsigned lineno = 0;
    int col_t = -1, col_a = -1, col_b = -1;
    bool current = false;
    struct replay_row *rows = NULL;
    size_t n = 0, cap = 0;
    int rc = BMSRIG_OK;
    while ((len = getline(&buf, &bufcap, f)) >= 0) {
        lineno++;
        if (memchr(buf, '\0', (size_t)len)) {
            snprintf(err, errcap, "%s:%u: NUL byte in the line", path, lineno);
            rc = BMSRIG_ERR_PARSE;
            break;
        }
        buf[strcspn(buf, "\r\n")] = '\0';
        if (buf[0] == '#' || buf[0] == '\0')
            continue;
        char *line = buf;
        if (col_t < 0) {
            int c = 0;
            for (char *tok = strsep(&line, ","); tok; tok = strsep(&line, ","), c++) {
                if (strcmp(tok, "t_s") == 0)
                    col_t = c;
                else if (strcmp(tok, "current_a") == 0) {
                    col_a = c;
                    current = true;
                } else if (strcmp(tok, "throttle") == 0 && !current)
                    col_a = c;
                else if (strcmp(tok, "brake") == 0)
                    col_b = c;
            }
            if (col_t < 0 || col_a < 0) {
                snprintf(err, errcap, "%s:%u: header needs t_s and current_a (or throttle)", path,
                         lineno);
                rc = BMSRIG_ERR_PARSE;
                break;
            }
            continue;
        }
        double vals[3] = { NAN, NAN, 0 };
        int c = 0;
        for (char *tok = strsep(&line, ","); tok; tok = strsep(&line, ","), c++) {
            char *end = NULL;
            double v = strtod(tok, &end);
            bool ok = end != tok && *end == '\0' && isfinite(v);
            int slot = c == col_t ? 0 : c == col_a ? 1 : c == col_b ? 2 : -1;
            if (slot >= 0) {
                if (!ok) {
                    snprintf(err, errcap, "%s:%u: column %d: '%.40s%s' is not a number", path,
                             lineno, c + 1, tok, strlen(tok) > 40 ? "..." : "");
                    rc = BMSRIG_ERR_PARSE;
                    break;
                }
                vals[slot] = v;
            }
        }
        if (rc != BMSRIG_OK)
            break;
        if (isnan(vals[0]) || isnan(vals[1]) || (n > 0 && vals[0] < rows[n - 1].t_s)) {
            snprintf(err, errcap, "%s:%u: %s", path, lineno,
                     isnan(vals[0]) || isnan(vals[1]) ? "missing value"
                                                      : "t_s goes backwards");
            rc = BMSRIG_ERR_PARSE;
            break;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            struct replay_row *nr = realloc(rows, cap * sizeof(*rows));
            if (!nr) {
                rc = BMSRIG_ERR_NOMEM;
                snprintf(err, errcap, "%s: out of memory", path);
                break;
            }
            rows = nr;
        }
        rows[n++] = (struct replay_row){ vals[0], vals[1], vals[2] };
    }
    free(buf);
    fclose(f);
    if (rc == BMSRIG_OK && n == 0) {
        snprintf(err, errcap, "%s: no data rows", path);
        rc = BMSRIG_ERR_PARSE;
    }
    if (rc != BMSRIG_OK) {
        free(rows);
        return rc;
    }
    free(e->replay);
    e->replay = rows;
    e->nreplay = n;
    e->replay_pos = 0;
    e->replay_current = current;
    e->replay_start_us = e->clock.now_us;
    e->replay_on = true;
    return BMSRIG_OK;
}

bool engine_replay_active(const struct engine *e) { return e->replay_on; }

void engine_set_ambient_c(struct engine *e, double c)
{
    e->ambient_c = c;
    pack_set_ambient_c(e->pack, c);
}

int engine_group_charge(struct engine *e, unsigned group, double ah)
{
    if (group >= e->series || !(ah >= 0 && ah <= 100))
        return BMSRIG_ERR_ARG;
    double dsoc = ah / (e->cell_ah * (double)pack_parallel(e->pack));
    return pack_fault_group_soc_offset(e->pack, group, dsoc);
}

/* ---- faults ------------------------------------------------------------------------------- */

static double resistor_to_ber(double ohms)
{
    size_t n = sizeof(resistor_ohm) / sizeof(resistor_ohm[0]);
    if (ohms <= resistor_ohm[0])
        return 0.0;
    if (ohms >= resistor_ohm[n - 1])
        return resistor_ber[n - 1];
    for (size_t i = 1; i < n; i++) {
        if (ohms <= resistor_ohm[i]) {
            if (resistor_ber[i - 1] <= 0)  /* linear from 0 on the first segment */
                return resistor_ber[i] * (ohms - resistor_ohm[i - 1]) /
                       (resistor_ohm[i] - resistor_ohm[i - 1]);
            double f = log(ohms / resistor_ohm[i - 1]) / log(resistor_ohm[i] / resistor_ohm[i - 1]);
            return exp(log(resistor_ber[i - 1]) + f * log(resistor_ber[i] / resistor_ber[i - 1]));
        }
    }
    return resistor_ber[n - 1];
}

/* Faults of the wires between the pack and the controller: on a bench they need a fault line
 * (relay or resistor bank) of the description; the others are the fake BMS's own doing. */
static bool is_wire_fault(const char *name)
{
    return strcmp(name, "bms_tx") == 0 || strcmp(name, "esc_tx") == 0 ||
           strcmp(name, "esc_resistor") == 0 || strcmp(name, "moisture") == 0;
}

/* The description's line for a scenario fault: the same name, or for esc_resistor the
 * emulated board's "series_r" bank. */
static const char *bench_fault_name(const struct rig_hw *hw, const char *name)
{
    if (rig_hw_fault_supported(hw, name))
        return name;
    if (strcmp(name, "esc_resistor") == 0 && rig_hw_fault_supported(hw, "series_r"))
        return "series_r";
    return NULL;
}

static int bench_fault(struct engine *e, const char *name, double value, char *err,
                       size_t errcap)
{
    struct rig_hw *hw = e->cfg.rig;
    const char *line = bench_fault_name(hw, name);
    if (!line) {
        snprintf(err, errcap, "the bench (%s) has no fault line for '%s'",
                 rig_hw_board(hw)->name, name);
        return BMSRIG_ERR_STATE;
    }
    const char *state = "on";
    if (strcmp(name, "esc_resistor") == 0) {
        /* the bank position nearest in ohms (log scale); open above RESISTOR_OPEN_OHM */
        const struct board *b = rig_hw_board(hw);
        int fi = board_fault_find(b, line);
        state = NULL;
        if (fi >= 0) {
            const struct board_fault *f = &b->faults[fi];
            double best = INFINITY;
            for (int p = 0; p < f->npos; p++) {
                bool open = f->pos[p].ohms < 0 && strcmp(f->pos[p].name, "open") == 0;
                double d = open ? (value >= RESISTOR_OPEN_OHM ? 0 : INFINITY)
                                : (f->pos[p].ohms > 0 && value < RESISTOR_OPEN_OHM
                                       ? fabs(log(value / f->pos[p].ohms)) : INFINITY);
                if (d < best) {
                    best = d;
                    state = f->pos[p].name;
                }
            }
        }
        if (!state) {
            snprintf(err, errcap, "the bench's '%s' has no position for %g ohm", line, value);
            return BMSRIG_ERR_STATE;
        }
    }
    int rc = rig_hw_fault(hw, line, state);
    if (rc != BMSRIG_OK) {
        snprintf(err, errcap, "bench fault '%s' -> %s: %s", line, state, bmsrig_strerror(rc));
        return BMSRIG_ERR_STATE;
    }
    return BMSRIG_OK;
}

int engine_fault(struct engine *e, const char *name, double value, char *err, size_t errcap)
{
    enum link_fault lf;
    bool named = strcmp(name, "esc_resistor") == 0 || strcmp(name, "moisture") == 0;
    if (!named && link_fault_parse(name, &lf) != BMSRIG_OK) {
        snprintf(err, errcap, "unknown fault '%s' (bms_tx, esc_tx, reply_delay, "
                              "corrupt_checksum, truncate, garbage, stale, bit_errors, "
                              "serial_default, config_invalid, esc_resistor, moisture)", name);
        return BMSRIG_ERR_ARG;
    }
    if (isnan(value)) {
        snprintf(err, errcap, "fault '%s': value is not a number", name);
        return BMSRIG_ERR_RANGE;
    }
    e->faults_requested++;
    if (e->cfg.suppress_faults)
        return BMSRIG_OK;
    if (e->cfg.rig && is_wire_fault(name)) {
        int hrc = bench_fault(e, name, value, err, errcap);
        if (hrc != BMSRIG_OK) {
            e->faults_requested--;  /* skipped, not requested-and-dropped */
            return hrc;
        }
        if (e->cfg.dut) {
            /* a real wire: the relay did it; the link model must not add its own cut */
            e->faults_applied++;
            return BMSRIG_OK;
        }
    }
    int rc = BMSRIG_OK;
    if (strcmp(name, "esc_resistor") == 0) {
        if (!(value > 0)) {
            snprintf(err, errcap, "fault 'esc_resistor': ohms must be > 0 (inf = open)");
            return BMSRIG_ERR_RANGE;
        }
        link_fault_clear(e->link, LINK_FAULT_BMS_TX);
        link_fault_clear(e->link, LINK_FAULT_BIT_ERRORS);
        if (value >= RESISTOR_OPEN_OHM)
            rc = link_fault_set(e->link, LINK_FAULT_BMS_TX, 1.0);
        else if (resistor_to_ber(value) > 0)
            rc = link_fault_set(e->link, LINK_FAULT_BIT_ERRORS, resistor_to_ber(value));
    } else if (strcmp(name, "moisture") == 0) {
        /* A wet connector: bursts of junk and flipped bits [I: seeds name moisture as a cause of
         * error 21 after rain; no measurement of the error pattern]. */
        if (!(value >= 0 && value <= 1)) {
            snprintf(err, errcap, "fault 'moisture': severity must be in 0..1");
            return BMSRIG_ERR_RANGE;
        }
        rc = link_fault_set(e->link, LINK_FAULT_GARBAGE, 0.3 * value);
        if (rc == BMSRIG_OK)
            rc = link_fault_set(e->link, LINK_FAULT_BIT_ERRORS, 1e-3 * value);
    } else {
        rc = link_fault_set(e->link, lf, value);
    }
    if (rc != BMSRIG_OK) {
        snprintf(err, errcap, "fault '%s': value %g out of range", name, value);
        return rc;
    }
    e->faults_applied++;
    return BMSRIG_OK;
}

int engine_fault_clear(struct engine *e, const char *name, char *err, size_t errcap)
{
    enum link_fault lf;
    if (e->cfg.rig && is_wire_fault(name)) {
        const char *line = bench_fault_name(e->cfg.rig, name);
        if (line)
            rig_hw_fault(e->cfg.rig, line, NULL);
        if (e->cfg.dut)
            return BMSRIG_OK;
    }
    if (strcmp(name, "esc_resistor") == 0) {
        link_fault_clear(e->link, LINK_FAULT_BMS_TX);
        link_fault_clear(e->link, LINK_FAULT_BIT_ERRORS);
    } else if (strcmp(name, "moisture") == 0) {
        link_fault_clear(e->link, LINK_FAULT_GARBAGE);
        link_fault_clear(e->link, LINK_FAULT_BIT_ERRORS);
    } else if (link_fault_parse(name, &lf) == BMSRIG_OK) {
        link_fault_clear(e->link, lf);
    } else {
        snprintf(err, errcap, "unknown fault '%s'", name);
        return BMSRIG_ERR_ARG;
    }
    return BMSRIG_OK;
}

int engine_pack_fault(struct engine *e, enum engine_pack_fault kind, unsigned index, double a,
                      double b)
{
    e->faults_requested++;
    if (e->cfg.suppress_faults)
        return BMSRIG_OK;
    int rc;
    switch (kind) {
    case ENGINE_PF_CELL_OPEN: rc = pack_fault_cell_open(e->pack, index, a != 0); break;
    case ENGINE_PF_CELL_SHORT: rc = pack_fault_cell_short(e->pack, index, a); break;
    case ENGINE_PF_CELL_WEAK: rc = pack_fault_cell_weak(e->pack, index, a, b); break;
    case ENGINE_PF_GROUP_SOC: rc = pack_fault_group_soc_offset(e->pack, index, a); break;
    case ENGINE_PF_GROUP_MV:
        rc = index < e->series
                 ? pack_fault_group_soc_offset(e->pack, index,
                                               pack_group_dsoc_for_dv(e->pack, index, a))
                 : BMSRIG_ERR_ARG;
        break;
    case ENGINE_PF_SENSE_OPEN: rc = pack_fault_sense_open(e->pack, index, a != 0); break;
    case ENGINE_PF_SENSE_LEAK: rc = pack_fault_sense_leak(e->pack, index, a); break;
    case ENGINE_PF_MOISTURE: rc = pack_fault_moisture(e->pack, index, a); break;
    case ENGINE_PF_NTC: rc = pack_fault_ntc(e->pack, index, (enum ntc_fault)(int)a, b); break;
    default: rc = BMSRIG_ERR_ARG;
    }
    if (rc == BMSRIG_OK)
        e->faults_applied++;
    else
        e->faults_requested--;  /* a rejected call is a script error, not a fault */
    return rc;
}

unsigned engine_faults_requested(const struct engine *e) { return e->faults_requested; }
unsigned engine_faults_applied(const struct engine *e) { return e->faults_applied; }

/* ---- read-outs ---------------------------------------------------------------------------- */

double engine_pack_voltage(const struct engine *e) { return pack_terminal_v(e->pack); }
double engine_pack_current(const struct engine *e) { return pack_current_a(e->pack); }
int engine_esc_error(const struct engine *e)
{
    if (e->cfg.dut)
        return dut_serial_error(e->cfg.dut, e->clock.now_us);
    if (e->cfg.fw)
        return dut_firmware_error(e->cfg.fw);
    return e->powered ? esc_error_code(e->esc) : 0;
}

double engine_esc_speed(const struct engine *e)
{
    if (e->cfg.fw)
        return dut_firmware_speed_kmh(e->cfg.fw);
    return e->cfg.dut ? dut_serial_speed_kmh(e->cfg.dut) : esc_speed_kmh(e->esc);
}

/* bms_image() holds the model's own image; the image overrides (link faults config_invalid,
 * serial_default) are applied only as frames are served, so apply them here too: scenarios
 * see the register as the controller does. */
static uint16_t bms_word_served(const struct engine *e, unsigned word)
{
    uint16_t v = 0;
    regimg_get_u16(bms_image(e->bms), REGMAP_BMS_WORDS, word, &v);
    uint32_t ovr = bms_overrides(e->bms);
    if (word == BMS_W_STATUS && (ovr & BMS_OVR_CONFIG_INVALID))
        v &= (uint16_t)~BMS_STATUS_CONFIG_VALID;
    if ((ovr & BMS_OVR_SERIAL_DEFAULT) && word >= BMS_W_SERIAL &&
        word < BMS_W_SERIAL + REGMAP_BMS_SERIAL_LEN / 2) {
        unsigned i = 2 * (word - BMS_W_SERIAL);
        v = (uint16_t)((uint8_t)REGMAP_BMS_DEFAULT_SERIAL[i] |
                       ((uint8_t)REGMAP_BMS_DEFAULT_SERIAL[i + 1] << 8));
    }
    return v;
}

unsigned engine_bms_status(const struct engine *e)
{
    return bms_word_served(e, BMS_W_STATUS);
}

int engine_reg(const struct engine *e, const char *image, unsigned word, unsigned *out)
{
    uint16_t v = 0;
    int rc;
    if (strcmp(image, "bms") == 0) {
        rc = word < REGMAP_BMS_WORDS ? BMSRIG_OK : BMSRIG_ERR_ARG;
        if (rc == BMSRIG_OK)
            v = bms_word_served(e, word);
    }
    else if (strcmp(image, "esc") == 0)
        rc = regimg_get_u16(esc_image(e->esc), REGMAP_ESC_WORDS, word, &v);
    else
        rc = BMSRIG_ERR_ARG;
    *out = v;
    return rc;
}

uint64_t engine_line_bytes(const struct engine *e, const char *line)
{
    if (e->cfg.fw)
        return strcmp(line, "esc_tx") == 0   ? dut_firmware_bms_bytes_out(e->cfg.fw)
               : strcmp(line, "bms_tx") == 0 ? dut_firmware_bms_bytes_in(e->cfg.fw)
                                             : 0;
    if (e->cfg.dut)
        return strcmp(line, "esc_tx") == 0   ? dut_serial_bytes_in(e->cfg.dut)
               : strcmp(line, "bms_tx") == 0 ? dut_serial_bytes_out(e->cfg.dut)
                                             : 0;
    if (strcmp(line, "esc_tx") == 0)
        return e->esc_tx_bytes;
    if (strcmp(line, "bms_tx") == 0)
        return e->bms_rx_bytes;
    return 0;
}
