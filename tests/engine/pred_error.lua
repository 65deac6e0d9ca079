-- pred_error.lua: a t:expect predicate that raises mid-wait, uncaught: the scenario's error names
-- the predicate's line, with the same traceback as a tick-by-tick test (test_engine_predicates.sh).
local TICK_BY_TICK = false
local function boom(t, n)
  if t:now() > 1.5 then error("boom after " .. n .. " calls") end
end
return scenario {
  name = "a predicate that raises mid-wait",
  pack = { preset = "10s3p", soc = 0.5 },
  run = function(t)
    if TICK_BY_TICK then t:every(5000, function() end) end
    t:power_on()
    local n = 0
    t:expect("never", function()
      n = n + 1
      boom(t, n)
      return false
    end, { within = 10 })
  end,
}
