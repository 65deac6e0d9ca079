/* engine_commands.c: the scenario engine's commands: power, rider, grade, charger, ride-log
 * replay, ambient temperature and cell-group charge. */
#define LOG_PREFIX "engine"
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rig/scenario/engine_internal.h"
#include "rig/util/log.h"
#include "rig/bench/board.h"
#include "rig/bench/rig_hw.h"
#include "rig/fault/fault.h"
#include "rig/dut/dut_firmware.h"
#include "rig/line/dut_serial.h"
#include "rig/line/link.h"
#include "rig/offline/cellfile.h"
#include "sim/status.h"

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

/* ---- commands ----------------------------------------------------------------------------- */

/* A bench's supply line for the controller, if its description has one. */
static void bench_power(struct engine *e, bool on)
{
    if (e->cfg.rig && rig_hw_fault_supported(e->cfg.rig, FAULT_LINE_POWER))
        rig_hw_fault(e->cfg.rig, FAULT_LINE_POWER, on ? "on" : NULL);
}

void engine_power_on(struct engine *e)
{
    engine_event(e, "power on");
    const int64_t now = e->clock.now_us;
    bms_power_on(e->bms, now);
    if (e->cfg.dut) {
        line_watch_init(&e->watch);   /* a new boot: the line's counts start again */
        bench_power(e, true);
        return;
    }
    if (!bms_discharge_enabled(e->bms)) {
        br_info("power on refused: the BMS discharge switch is open");
        return;
    }
    line_watch_init(&e->watch);
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
    engine_event(e, "power off");
    if (e->cfg.dut)
        bench_power(e, false);
    if (e->cfg.fw)
        dut_firmware_power_off(e->cfg.fw);
    esc_power_off(e->esc);
    e->powered = false;
}

bool engine_can_switch_power(const struct engine *e)
{
    return e->cfg.dut == NULL ||
           (e->cfg.rig && rig_hw_fault_supported(e->cfg.rig, FAULT_LINE_POWER));
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
    engine_event(e, "charger %s", model ? model : "plugged");
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

void engine_charger_unplug(struct engine *e)
{
    engine_event(e, "charger unplugged");
    e->charger = false;
}
bool engine_charger_present(const struct engine *e) { return e->charger; }
double engine_charger_v(const struct engine *e) { return e->charger ? e->charger_v : 0.0; }

int engine_replay_load(struct engine *e, const char *path, char *err, size_t errcap)
{
    engine_event(e, "replay %s", path);
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
bool engine_replay_drives_controller(const struct engine *e)
{
    return e->replay_on && !e->replay_current;
}

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
