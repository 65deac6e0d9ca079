/* condition.h: a scenario expectation's condition in a form the engine evaluates itself between
 * ticks (rig/scenario/scenario.c), so a waiting t:expect_* does not resume the script's
 * coroutine on every tick just to read one value and compare it. Owned by branch engine.
 *
 * The prelude (prelude.lua) describes the condition of a built-in expectation as a plain table
 * and yields it with a tick count: "advance up to N ticks; stop after the first tick where the
 * condition evaluates to STOP_ON". The script then re-tests its own predicate, so a condition
 * here only decides how many ticks pass without the script; it never makes a verdict. Each kind
 * computes exactly what the prelude's predicate computes from the same engine read-out (same
 * values, same comparisons), which is what keeps verdicts, messages and traces unchanged. */
#ifndef BMSRIG_RIG_SCENARIO_CONDITION_H
#define BMSRIG_RIG_SCENARIO_CONDITION_H

#include <lua.h>
#include <stdbool.h>
#include <stdint.h>

#include "rig/scenario/engine.h"

enum scenario_cond_kind {
    SCENARIO_COND_NONE,        /* not C-evaluable: advance one tick only */
    SCENARIO_COND_ESC_ERROR,   /* E.esc_error() == code */
    SCENARIO_COND_CURRENT,     /* in_range(E.pack_current(), {min, max}) */
    SCENARIO_COND_VOLTAGE,     /* in_range(E.pack_voltage(), {min, max}) */
    SCENARIO_COND_SPEED,       /* in_range(E.esc_speed(), {min, max}) */
    SCENARIO_COND_STATUS,      /* ((E.bms_status() & mask) ~= 0) == value */
    SCENARIO_COND_REG,         /* E.reg(image, word) == eq, or in_range(E.reg(...), {min, max}) */
    SCENARIO_COND_POWERED,     /* t:powered() == value */
    SCENARIO_COND_PROTECTION,  /* (bms protections & mask ~= 0) == value */
    SCENARIO_COND_BYTES_MOVED, /* E.bytes(line) ~= count */
};

struct scenario_cond {
    enum scenario_cond_kind kind;
    bool has_min, has_max, has_eq;
    double min, max, eq;       /* range bounds and the wanted register value */
    int64_t code;              /* error code, byte count */
    uint32_t mask;             /* status or protection bit mask */
    bool value;                /* the wanted state of a bit or of the controller's power */
    bool esc_image;            /* reg: "esc" (true) or "bms" */
    unsigned word;             /* reg: the word */
    bool esc_line;             /* bytes: "esc_tx" (true) or "bms_tx" */
};

/* Reads the condition table at `idx` of L (fields: kind and that kind's values). A table this
 * module cannot evaluate exactly (unknown kind, a bound that is not a number, an integer bound
 * beyond 2^53) gives kind SCENARIO_COND_NONE, which makes the caller advance a single tick:
 * the old tick-by-tick behaviour, never a different verdict. Never raises. */
void scenario_cond_read(lua_State *L, int idx, struct scenario_cond *c);

/* The condition's value now (after a tick). Undefined for SCENARIO_COND_NONE. */
bool scenario_cond_eval(const struct scenario_cond *c, const struct engine *e);

#endif
