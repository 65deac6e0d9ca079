/* scenario.c: run a loaded scenario as a coroutine against the engine, with its traces, and
 * collect the result; the run options, the per-scenario seed and the watchdog's progress beats.
 * Loading is in scenario_load.c, the declaration in scenario_decl.c. */
#define LOG_PREFIX "scenario"
#include "rig/scenario/scenario.h"

#include <errno.h>
#include <lauxlib.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rig/dut/dut_firmware.h"
#include "rig/scenario/condition.h"
#include "rig/scenario/engine.h"
#include "rig/util/log.h"
#include "rig/scenario/l_engine.h"
#include "rig/scenario/sandbox.h"
#include "rig/scenario/scenario_internal.h"
#include "rig/scenario/trace_events.h"
#include "rig/scenario/xalloc.h"
#include "sim/dash/dash.h"
#include "sim/status.h"

#define TIMEOUT_DEFAULT_S 600.0   /* scenario time, when neither the script nor the CLI says */

uint64_t scenario_seed(uint64_t run_seed, const char *path)
{
    /* FNV-1a over the file name (not the full path: a library run from another folder keeps its
     * seeds), mixed with the run seed by splitmix64. */
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    uint64_t h = 1469598103934665603ull;
    for (const char *p = base; *p; p++) {
        h ^= (uint8_t)*p;
        h *= 1099511628211ull;
    }
    uint64_t z = h ^ (run_seed + 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void scenario_run_options_default(struct scenario_run_options *o)
{
    memset(o, 0, sizeof(*o));
    o->clock = CLOCK_KIND_VIRTUAL;
    o->tick_us = CLOCK_TICK_US_DEFAULT;
    o->seed = 1;
    o->trace_every_us = 100000;
    o->target = "virtual";
    o->timeout_default_s = TIMEOUT_DEFAULT_S;
}

void scenario_progress_reset(struct scenario_progress *p)
{
    atomic_store_explicit(&p->beats, 0, memory_order_relaxed);
    atomic_store_explicit(&p->phase, SCENARIO_PHASE_SETUP, memory_order_relaxed);
    atomic_store_explicit(&p->sim_us, 0, memory_order_relaxed);
    atomic_store_explicit(&p->cancel, 0, memory_order_relaxed);
    atomic_store_explicit(&p->floor_us, 0, memory_order_relaxed);
    atomic_store_explicit(&p->event_seq, 0, memory_order_relaxed);
    atomic_store_explicit(&p->event_us, 0, memory_order_relaxed);
    atomic_store_explicit(&p->event[0], '\0', memory_order_relaxed);
}

/* Publishes the engine's last command into the progress (writer side of the seqlock). */
static void progress_event(struct scenario_progress *p, const char *text, double t_s)
{
    unsigned seq = atomic_load_explicit(&p->event_seq, memory_order_relaxed);
    atomic_store_explicit(&p->event_seq, seq + 1, memory_order_relaxed);   /* odd: writing */
    atomic_thread_fence(memory_order_release);
    size_t n = sizeof p->event - 1, i;
    for (i = 0; i < n && text[i]; i++)
        atomic_store_explicit(&p->event[i], text[i], memory_order_relaxed);
    atomic_store_explicit(&p->event[i], '\0', memory_order_relaxed);
    atomic_store_explicit(&p->event_us, (int_fast64_t)(t_s * 1e6), memory_order_relaxed);
    atomic_store_explicit(&p->event_seq, seq + 2, memory_order_release);  /* even: stable */
}

bool scenario_progress_event(const struct scenario_progress *p, char *buf, size_t len,
                             double *t_s)
{
    if (!len)
        return false;
    unsigned before = atomic_load_explicit(&p->event_seq, memory_order_acquire);
    size_t n = sizeof p->event < len ? sizeof p->event : len, i;
    for (i = 0; i + 1 < n; i++) {
        buf[i] = atomic_load_explicit(&p->event[i], memory_order_relaxed);
        if (!buf[i])
            break;
    }
    buf[i] = '\0';
    *t_s = (double)atomic_load_explicit(&p->event_us, memory_order_relaxed) / 1e6;
    atomic_thread_fence(memory_order_acquire);
    unsigned after = atomic_load_explicit(&p->event_seq, memory_order_relaxed);
    return before == after && (before & 1u) == 0;
}

/* One beat of progress in `phase` (no-op when unwatched). */
static void progress_beat(struct scenario_progress *p, enum scenario_phase phase)
{
    if (!p)
        return;
    atomic_fetch_add_explicit(&p->beats, 1, memory_order_relaxed);
    atomic_store_explicit(&p->phase, (int)phase, memory_order_relaxed);
}

static bool progress_cancelled(const struct scenario_progress *p)
{
    return p && atomic_load_explicit(&p->cancel, memory_order_relaxed) != 0;
}

/* ---- running ------------------------------------------------------------------------------ */

static void mkdir_p(const char *dir)
{
    char buf[4096];
    snprintf(buf, sizeof(buf), "%s", dir);
    for (char *p = buf + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(buf, 0777);
            *p = '/';
        }
    }
    mkdir(buf, 0777);
}

/* "scripts/faults/x.lua" -> "x" (trace file stem). */
static char *trace_stem(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char *stem = xstrdup(base);
    char *dot = strrchr(stem, '.');
    if (dot && dot != stem)
        *dot = '\0';
    return stem;
}

/* An error that names the prelude ("prelude:NNN: ...": an argument error raised inside the
 * scenario API, whose luaL_argerror names its caller, the prelude's wrapper) placed at the
 * script's line instead, as l_engine's own errors are: the first frame of the failed `co`
 * outside the prelude (pushed on co). Any other message is returned as it is. */
static const char *place_in_script(lua_State *co, const char *msg)
{
    static const char pre[] = "prelude:";
    if (strncmp(msg, pre, sizeof(pre) - 1) != 0)
        return msg;
    const char *p = msg + sizeof(pre) - 1, *digits = p;
    while (*p >= '0' && *p <= '9')
        p++;
    if (p == digits || strncmp(p, ": ", 2) != 0)
        return msg;
    lua_Debug ar;
    for (int level = 0; lua_getstack(co, level, &ar); level++) {
        if (!lua_getinfo(co, "Sl", &ar) || ar.currentline <= 0 ||
            strcmp(ar.source, "=prelude") == 0)
            continue;
        return lua_pushfstring(co, "%s:%d: %s", ar.short_src, ar.currentline, p + 2);
    }
    return msg;
}

/* The error object at the top of `co` after a failed resume, turned into the result. */
static enum scenario_verdict take_error(lua_State *L, lua_State *co, struct scenario_result *res)
{
    if (lua_istable(co, -1)) {
        lua_getfield(co, -1, "bmsrig");
        lua_getfield(co, -2, "message");
        const char *kind = lua_tostring(co, -2);
        const char *msg = lua_tostring(co, -1);
        enum scenario_verdict v = SCENARIO_ERROR;
        if (kind && strcmp(kind, "fail") == 0)
            v = SCENARIO_FAIL;
        else if (kind && strcmp(kind, "skip") == 0)
            v = SCENARIO_SKIP;
        scenario_result_set_message(res, msg ? msg : "(no message)");
        lua_pop(co, 2);
        if (v != SCENARIO_ERROR)
            return v;
    }
    const char *msg = lua_tostring(co, -1);
    if (!msg)
        msg = lua_pushfstring(co, "(error object is a %s value)", luaL_typename(co, -1));
    msg = place_in_script(co, msg);
    sandbox_traceback(L, co, msg, 0);
    scenario_result_set_message(res, lua_tostring(L, -1));
    lua_pop(L, 1);
    return SCENARIO_ERROR;
}

/* The declaration's "where" (file:line of the scenario{} call). */
static void decl_where(struct scenario *s, char *where, size_t cap)
{
    snprintf(where, cap, "%s", s->path);
    lua_rawgeti(s->L, LUA_REGISTRYINDEX, s->decl_ref);
    if (lua_getfield(s->L, -1, "where") == LUA_TSTRING)
        snprintf(where, cap, "%s", lua_tostring(s->L, -1));
    lua_pop(s->L, 2);
}

int scenario_check(struct scenario *s, const struct scenario_run_options *opt, char *err,
                   size_t errcap)
{
    if (s->load_error) {
        snprintf(err, errcap, "%s", s->load_error);
        return BMSRIG_ERR_PARSE;
    }
    char where[256], msg[512] = "";
    decl_where(s, where, sizeof(where));
    lua_rawgeti(s->L, LUA_REGISTRYINDEX, s->decl_ref);
    int rc = check_needs(s->L, opt->target ? opt->target : "virtual", opt->rig != NULL,
                         opt->dut != NULL, msg, sizeof(msg));
    lua_pop(s->L, 1);
    if (rc == BMSRIG_ERR_ARG) {
        snprintf(err, errcap, "%s: %s", where, msg);
        return BMSRIG_ERR_PARSE;
    }
    struct engine_config cfg;
    engine_config_default(&cfg);
    cfg.gap_chars = opt->gap_chars;
    double timeout_s = 0;
    lua_rawgeti(s->L, LUA_REGISTRYINDEX, s->decl_ref);
    rc = decl_to_config(s->L, &cfg, &timeout_s, msg, sizeof(msg));
    lua_pop(s->L, 1);
    if (rc != BMSRIG_OK) {
        snprintf(err, errcap, "%s", msg);
        return BMSRIG_ERR_PARSE;
    }
    if (opt->overrides)
        apply_overrides(&cfg, opt->overrides);
    if (opt->progress && cfg.clock == CLOCK_KIND_REALTIME)
        atomic_store_explicit(&opt->progress->floor_us, 10 * cfg.tick_us, memory_order_relaxed);
    struct engine *e = NULL;   /* virtual clock, no bench, no traces: models only */
    rc = engine_new(&cfg, &e, msg, sizeof(msg));
    engine_free(e);
    if (rc != BMSRIG_OK) {
        snprintf(err, errcap, "%s: scenario: %s", where, msg);
        return BMSRIG_ERR_PARSE;
    }
    return BMSRIG_OK;
}

/* One run's loop state, shared by the ticks the run loop makes and those E.wait_until makes
 * from inside the script (l_engine.h's tick callback). */
struct runner {
    struct scenario *s;
    const struct scenario_run_options *opt;
    struct scenario_result *res;
    struct engine *e;
    struct scenario_progress *prog;
    double timeout_s;
    unsigned events_published;   /* engine_last_event's count last copied into prog */
    bool over;                   /* a tick ended the run: verdict and message are set */
    enum scenario_verdict verdict;
};

/* One engine tick after the run's checks (interrupt, watchdog, time limit), with its progress;
 * true when the run is over (r->verdict and the result's message say why). */
static bool run_tick(struct runner *r)
{
    struct engine *e = r->e;
    const struct scenario_run_options *opt = r->opt;
    struct scenario_result *res = r->res;
    struct scenario_progress *prog = r->prog;
    if (opt->interrupted && *opt->interrupted) {
        char *m = xprintf("interrupted at t=%.3f s", engine_now_s(e));
        scenario_result_set_message(res, m);
        free(m);
        res->incomplete = true;
        r->verdict = SCENARIO_NOT_RUN;
        return r->over = true;
    }
    if (progress_cancelled(prog)) {
        scenario_result_set_message(res, "written off by the watchdog");
        r->verdict = SCENARIO_FAIL;
        return r->over = true;
    }
    if (engine_now_s(e) >= r->timeout_s - 1e-9) {
        char *m = xprintf("%s: scenario time limit of %.1f s reached (set timeout = "
                          "in the scenario to change it)", r->s->path, r->timeout_s);
        scenario_result_set_message(res, m);
        free(m);
        r->verdict = SCENARIO_FAIL;
        return r->over = true;
    }
    int rc = engine_step(e);
    if (rc == BMSRIG_ERR_STATE) {
        /* the firmware under test faulted: this scenario fails, the run goes on */
        char *m = xprintf("t=%.3f s: %s", engine_now_s(e), engine_dut_message(e));
        scenario_result_set_message(res, m);
        free(m);
        r->verdict = SCENARIO_FAIL;
        return r->over = true;
    }
    if (rc != BMSRIG_OK) {
        char *m = xprintf("rig fault at t=%.3f s: %s", engine_now_s(e), bmsrig_strerror(rc));
        scenario_result_set_message(res, m);
        free(m);
        r->verdict = SCENARIO_RIG_FAULT;
        return r->over = true;
    }
    if (prog) {
        atomic_store_explicit(&prog->sim_us, engine_clock(e)->now_us, memory_order_relaxed);
        atomic_fetch_add_explicit(&prog->beats, 1, memory_order_relaxed);
        const char *ev;
        double ev_s;
        unsigned nev = engine_last_event(e, &ev, &ev_s);
        if (nev != r->events_published) {
            progress_event(prog, ev, ev_s);
            r->events_published = nev;
        }
    }
    return false;
}

/* l_engine's tick callback: a tick between two tests of a script's predicate (the phase is the
 * engine's during the tick, the script's again when its predicate runs). */
static int tick_for_script(void *arg)
{
    struct runner *r = arg;
    if (r->prog)
        atomic_store_explicit(&r->prog->phase, (int)SCENARIO_PHASE_ENGINE, memory_order_relaxed);
    bool over = run_tick(r);
    if (r->prog)
        atomic_store_explicit(&r->prog->phase, (int)SCENARIO_PHASE_SCRIPT, memory_order_relaxed);
    return over;
}

enum scenario_verdict scenario_run(struct scenario *s, const struct scenario_run_options *opt,
                                   struct scenario_result *res)
{
    double wall0 = clock_wall_s();
    res->seed = scenario_seed(opt->seed, s->path);
    if (s->load_error) {
        scenario_result_set_message(res, s->load_error);
        return res->verdict = SCENARIO_ERROR;
    }
    if (s->ran) {
        scenario_result_set_message(res, "scenario already ran in this state");
        return res->verdict = SCENARIO_ERROR;
    }
    s->ran = true;
    {
        char msg[512];
        lua_rawgeti(s->L, LUA_REGISTRYINDEX, s->decl_ref);
        int nrc = check_needs(s->L, opt->target ? opt->target : "virtual", opt->rig != NULL,
                              opt->dut != NULL, msg, sizeof(msg));
        char where[256] = "?";
        if (lua_getfield(s->L, -1, "where") == LUA_TSTRING)
            snprintf(where, sizeof(where), "%s", lua_tostring(s->L, -1));
        lua_pop(s->L, 2);
        if (nrc == BMSRIG_ERR_ARG) {
            char *m = xprintf("%s: %s", where, msg);
            scenario_result_set_message(res, m);
            free(m);
            return res->verdict = SCENARIO_ERROR;
        }
        if (nrc == BMSRIG_ERR_STATE) {
            scenario_result_set_message(res, msg);
            return res->verdict = SCENARIO_SKIP;
        }
    }
    if (opt->target && strcmp(opt->target, "virtual") != 0 && !opt->rig && !opt->dut
        && !opt->firmware) {
        scenario_result_set_message(res, "target rig: no bench open (give --rig FILE)");
        return res->verdict = SCENARIO_RIG_FAULT;
    }
    lua_State *L = s->L;
    struct engine_config cfg;
    engine_config_default(&cfg);
    cfg.clock = opt->clock;
    cfg.tick_us = opt->tick_us > 0 ? opt->tick_us : CLOCK_TICK_US_DEFAULT;
    cfg.spin_tail_us = opt->spin_tail_us;
    cfg.seed = res->seed;
    cfg.suppress_faults = opt->suppress_faults;
    cfg.trace_every_us = opt->trace_every_us;
    cfg.trace_title = s->path;
    cfg.rig = opt->rig;
    cfg.dut = opt->dut;
    cfg.gap_chars = opt->gap_chars;
    cfg.record = res;   /* the faults the engine applies and clears */
    double timeout_s = opt->timeout_default_s > 0 ? opt->timeout_default_s : TIMEOUT_DEFAULT_S;
    char err[512] = "";
    lua_rawgeti(L, LUA_REGISTRYINDEX, s->decl_ref);
    int rc = decl_to_config(L, &cfg, &timeout_s, err, sizeof(err));
    lua_pop(L, 1);
    if (rc != BMSRIG_OK) {
        scenario_result_set_message(res, err);
        return res->verdict = SCENARIO_ERROR;
    }
    if (opt->overrides)
        apply_overrides(&cfg, opt->overrides);
    if (opt->progress && cfg.clock == CLOCK_KIND_REALTIME)
        atomic_store_explicit(&opt->progress->floor_us, 10 * cfg.tick_us, memory_order_relaxed);

    FILE *sig = NULL, *bus = NULL;
    if (opt->trace_dir) {
        mkdir_p(opt->trace_dir);
        char *stem = trace_stem(s->path);
        res->trace_signals = xprintf("%s/%s.signals.csv", opt->trace_dir, stem);
        res->trace_bus = xprintf("%s/%s.bus.csv", opt->trace_dir, stem);
        free(stem);
        sig = fopen(res->trace_signals, "w");
        bus = fopen(res->trace_bus, "w");
        if (!sig || !bus)
            br_warn("cannot write traces in %s: %s", opt->trace_dir, strerror(errno));
        cfg.trace_signals = sig;
        cfg.trace_bus = bus;
    }
    if (opt->bus_log) {
        if (bus)
            fclose(bus);
        bus = fopen(opt->bus_log, "w");
        if (!bus) {
            char *m = xprintf("%s: %s", opt->bus_log, strerror(errno));
            scenario_result_set_message(res, m);
            free(m);
            if (sig)
                fclose(sig);
            return res->verdict = SCENARIO_RIG_FAULT;
        }
        free(res->trace_bus);
        res->trace_bus = xstrdup(opt->bus_log);
        cfg.trace_bus = bus;
    }

    /* target firmware: this run's own MCU (the image was validated before any scenario) */
    struct dut_firmware *fw = NULL;
    if (opt->firmware) {
        rc = dut_firmware_open(opt->firmware, &fw, err, sizeof(err));
        if (rc != BMSRIG_OK) {
            scenario_result_set_message(res, err);
            if (sig)
                fclose(sig);
            if (bus)
                fclose(bus);
            return res->verdict = SCENARIO_RIG_FAULT;
        }
        cfg.fw = fw;
    }
    struct engine *e = NULL;
    rc = engine_new(&cfg, &e, err, sizeof(err));
    if (rc != BMSRIG_OK) {
        dut_firmware_close(fw);
        char where[256] = "?";
        lua_rawgeti(L, LUA_REGISTRYINDEX, s->decl_ref);
        if (lua_getfield(L, -1, "where") == LUA_TSTRING)
            snprintf(where, sizeof(where), "%s", lua_tostring(L, -1));
        lua_pop(L, 2);
        char *m = xprintf("%s: scenario: %s", where, err);
        scenario_result_set_message(res, m);
        free(m);
        if (sig)
            fclose(sig);
        if (bus)
            fclose(bus);
        return res->verdict = SCENARIO_ERROR;
    }
    if (opt->output_dir)
        mkdir_p(opt->output_dir);
    s->ctx.engine = e;
    s->ctx.result = res;
    s->ctx.output_dir = opt->output_dir;

    lua_State *co = lua_newthread(L);
    int co_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_rawgeti(co, LUA_REGISTRYINDEX, s->runner_ref);
    lua_rawgeti(co, LUA_REGISTRYINDEX, s->decl_ref);
    int nargs = 1;
    struct scenario_progress *prog = opt->progress;
    struct runner run = { .s = s, .opt = opt, .res = res, .e = e, .prog = prog,
                          .timeout_s = timeout_s, .verdict = SCENARIO_PASS };
    s->ctx.tick = tick_for_script;
    s->ctx.tick_arg = &run;
    enum scenario_verdict v = SCENARIO_PASS;
    for (;;) {
        int nres = 0;
        progress_beat(prog, SCENARIO_PHASE_SCRIPT);
        int st = lua_resume(co, L, nargs, &nres);
        progress_beat(prog, SCENARIO_PHASE_ENGINE);
        nargs = 0;
        if (st == LUA_OK) {
            lua_pop(co, nres);
            break;
        }
        if (st == LUA_ERRMEM) {
            /* Lua's memory error carries no position: name the file and the limit, and keep
             * the traceback (which has the line). */
            sandbox_traceback(L, co, "not enough memory", 0);
            char *m = xprintf("%s: not enough memory (the limit is %u MiB per scenario)\n%s",
                              s->path, (unsigned)(SANDBOX_MEM_DEFAULT >> 20),
                              lua_tostring(L, -1));
            lua_pop(L, 1);
            scenario_result_set_message(res, m);
            free(m);
            v = SCENARIO_ERROR;
            break;
        }
        if (st != LUA_YIELD) {
            v = take_error(L, co, res);
            break;
        }
        if (run.over) {
            /* E.wait_until's ticks ended the run (its verdict and message are set) */
            v = run.verdict;
            lua_pop(co, nres);
            break;
        }
        lua_Integer ticks = 1;
        if (nres > 0) {
            int isint = 0;
            ticks = lua_tointegerx(co, -nres, &isint);
            if (!isint && lua_tonumber(co, -nres) > 0)
                ticks = LUA_MAXINTEGER;  /* t:wait(math.huge): more ticks than an integer */
        }
        /* yield(ticks, condition, stop_on): the prelude's built-in expectations wait without
         * being resumed on every tick; the engine stops after the first tick where the
         * condition (condition.h) evaluates to stop_on, and the script re-tests it then. */
        struct scenario_cond cond = { .kind = SCENARIO_COND_NONE };
        bool stop_on = true;
        if (nres >= 3) {
            scenario_cond_read(co, -nres + 1, &cond);
            stop_on = lua_toboolean(co, -nres + 2);
            if (cond.kind == SCENARIO_COND_NONE)
                ticks = 1;   /* not evaluable here: the script tests it after every tick */
        }
        lua_pop(co, nres);
        if (ticks < 1)
            ticks = 1;
        bool stop = false;
        for (lua_Integer i = 0; i < ticks; i++) {
            if (run_tick(&run)) {
                stop = true;
                break;
            }
            if (cond.kind != SCENARIO_COND_NONE && scenario_cond_eval(&cond, e) == stop_on)
                break;
        }
        if (stop) {
            v = run.verdict;
            break;
        }
    }
    s->ctx.tick = NULL;
    s->ctx.tick_arg = NULL;
    luaL_unref(L, LUA_REGISTRYINDEX, co_ref);
    progress_beat(prog, SCENARIO_PHASE_CLOSING);

    if (v == SCENARIO_PASS || v == SCENARIO_SKIP) {
        /* A failed expectation fails the scenario even if the script caught the error (and
         * then skipped: a skip must not hide a failure already seen). */
        for (size_t i = 0; i < res->nexpects; i++) {
            if (!res->expects[i].pass) {
                scenario_result_set_message(res, res->expects[i].message);
                v = SCENARIO_FAIL;
                break;
            }
        }
    }
    if (v == SCENARIO_PASS || v == SCENARIO_SKIP) {
        for (size_t i = 0; i < res->nmeasures; i++) {
            if (!res->measures[i].pass) {
                struct scenario_measure *m = &res->measures[i];
                char lim[96] = "";
                if (m->has_min && m->has_max)
                    snprintf(lim, sizeof(lim), "[%g, %g]", m->min, m->max);
                else if (m->has_min)
                    snprintf(lim, sizeof(lim), ">= %g", m->min);
                else
                    snprintf(lim, sizeof(lim), "<= %g", m->max);
                char *msg = xprintf("%s: measurement %s = %g %s outside %s (t=%.3f s)", m->where,
                                    m->name, m->value, m->unit, lim, m->t_s);
                scenario_result_set_message(res, msg);
                free(msg);
                v = SCENARIO_FAIL;
                break;
            }
        }
    }
    const struct clock *c = engine_clock(e);
    res->sim_time_s = engine_now_s(e);
    res->ticks = c->ticks;
    res->overruns = c->overruns;
    res->worst_late_us = c->worst_late_us;
    res->late_total_us = c->late_total_us;
    memcpy(res->late_hist, c->late_hist, sizeof res->late_hist);
    res->faults_requested = engine_faults_requested(e);
    res->faults_applied = engine_faults_applied(e);
    res->instructions = sandbox_instructions(L);
    uint16_t version;
    const char *version_source;
    if (engine_dut_version(e, &version, &version_source)) {
        dash_version_text(version, res->dut_version, sizeof(res->dut_version));
        res->dut_version_source = version_source;
    }
    s->ctx.engine = NULL;
    s->ctx.result = NULL;
    engine_free(e);
    dut_firmware_close(fw);
    if (sig)
        fclose(sig);
    if (bus)
        fclose(bus);
    res->wall_s = clock_wall_s() - wall0;
    res->verdict = v;
    if (opt->trace_dir) {
        /* beside the traces: the verdict, expectations, measurements and log for the pages */
        char *stem = trace_stem(s->path);
        char *path = xprintf("%s/%s.events.tsv", opt->trace_dir, stem);
        if (trace_events_write_file(path, s->name, res) != BMSRIG_OK)
            br_warn("cannot write %s: %s", path, strerror(errno));
        free(path);
        free(stem);
    }
    if (prog)
        atomic_store_explicit(&prog->phase, SCENARIO_PHASE_DONE, memory_order_relaxed);
    return v;
}
