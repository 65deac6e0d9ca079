-- waits.lua: every built-in expectation the engine evaluates between ticks (condition.h), and
-- script predicates it calls after each tick (E.wait_until), passing and failing, with the times
-- they return and the messages they fail with. tests/engine/test_engine_waits.sh runs it twice,
-- as it is and with TICK_BY_TICK = true (a do-nothing t:every hook, which makes each wait resume
-- the script after every tick, the old way), and requires byte-identical traces, events and
-- logs.
local TICK_BY_TICK = false
return scenario {
  name = "engine-evaluated waits stop where tick-by-tick waits stop",
  pack = { preset = "10s3p", soc = 0.5 },
  run = function(t)
    if TICK_BY_TICK then t:every(5000, function() end) end
    local function note(label, ok, v)
      if ok then t:log(label, string.format("ok %.6f at %.6f", v or -1, t:now()))
      else t:log(label, type(v) == "table" and v.message or tostring(v)) end
    end
    local function try(label, f, ...) note(label, pcall(f, t, ...)) end
    t:power_on()
    try("error 0 for 2", t.expect_error, 0, { ["for"] = 2 })
    try("powered", t.expect_powered, true)
    t:ride { throttle = 0.5 }
    try("speed >= 5 within 10", t.expect_speed, { min = 5 }, { within = 10 })
    try("current >= 1 for 1", t.expect_current, { min = 1 }, { within = 5, ["for"] = 1 })
    try("voltage <= 1000 for 0.5", t.expect_voltage, { max = 1000 }, { ["for"] = 0.5 })
    try("speed >= 500 within 0.7 (fails)", t.expect_speed, { min = 500 }, { within = 0.7 })
    try("error 0 after 1 (fails: too early)", t.expect_error, 0, { after = 1, within = 2 })
    try("status overvoltage clear for 1", t.expect_status, "overvoltage", false, { ["for"] = 1 })
    try("reg bms 0x30 in range for 0.5", t.expect_reg, "bms", 0x30, { min = 0 }, { ["for"] = 0.5 })
    try("protection cell_uv off for 0.3", t.expect_protection, "cell_uv", false, { ["for"] = 0.3 })
    t:stop()
    try("speed >= 5 for 30 after stop (fails mid-hold)", t.expect_speed, { min = 5 }, { ["for"] = 30 })
    try("speed <= 0.5 within 30", t.expect_speed, { max = 0.5 }, { within = 30 })
    t:fault("bms_tx", "open")
    try("error 21 within 8", t.expect_error, 21, { within = 8 })
    try("reg esc error word", t.expect_reg, "esc", 0x1B, { min = 0, max = 0xFFFF }, { ["for"] = 0.2 })
    try("bms_tx silent 1 s", t.expect_silence, "bms_tx", { ["for"] = 1 })
    try("esc_tx silent 1 s (fails: polls)", t.expect_silence, "esc_tx", { ["for"] = 1 })
    t:clear("bms_tx")
    try("error 0 within 1", t.expect_error, 0, { within = 1 })
    try("esc_tx silent 0.1 within 1", t.expect_silence, "esc_tx", { ["for"] = 0.1, within = 1 })
    -- script predicates, called by the engine after each tick (E.wait_until): once per tick, and
    -- stopping, passing and failing where the tick-by-tick loop does
    local calls, t_start = 0, t:now()
    try("predicate: 0.75 s passed within 2", t.expect, "0.75 s passed", function()
      calls = calls + 1
      return t:now() - t_start >= 0.75
    end, { within = 2 })
    t:log("predicate calls", calls)
    t:ride { throttle = 0.5 }
    try("predicate: moving within 10", t.expect, "moving", function() return t:speed() > 1 end,
        { within = 10 })
    calls = 0
    try("predicate: true for 0.4, counted", t.expect, "counted", function()
      calls = calls + 1
      return calls > 0
    end, { ["for"] = 0.4 })
    t:log("predicate calls", calls)
    t:stop()
    try("predicate: moving for 30 after stop (fails mid-hold)", t.expect, "still moving",
        function() return t:speed() > 1 end, { ["for"] = 30 })
    try("predicate: never within 0.5 (fails)", t.expect, "never", function() return false end,
        { within = 0.5 })
    try("predicate: true at once, after 1 (fails: too early)", t.expect, "early",
        function() return true end, { after = 1, within = 2 })
    local t_raise = t:now()
    try("predicate: raises mid-wait (caught)", t.expect, "raises", function()
      if t:now() - t_raise > 0.3 then error(string.format("raised at %.3f", t:now())) end
      return false
    end, { within = 5 })
    try("expect_reg with a function for 0.5", t.expect_reg, "bms", 0x30,
        function(v) return v >= 0 end, { ["for"] = 0.5 })
    try("a range with a metatable (a predicate, no condition)", t.expect_voltage,
        setmetatable({ min = 1 }, { __index = function() return nil end }), { ["for"] = 0.3 })
    try("status bit by number, not boolean (a predicate, no condition)", t.expect_status, 0, 1, { ["for"] = 0.2 })
    t:power_off()
    try("powered off", t.expect_powered, false, { within = 1 })
    try("powered on within 1 (fails)", t.expect_powered, true, { within = 1 })
  end,
}
