-- pred_wait.lua: a predicate may check (an expectation without within/for) but not make time pass:
-- t:wait inside it is an error naming its line (test_engine_predicates.sh).
local TICK_BY_TICK = false
return scenario {
  name = "a predicate that waits",
  pack = { preset = "10s3p", soc = 0.5 },
  run = function(t)
    if TICK_BY_TICK then t:every(5000, function() end) end
    t:power_on()
    t:expect("a plain check inside", function() t:expect_error(0) return t:now() > 0.2 end,
             { within = 1 })
    t:log("plain check passed at", t:now())
    t:expect("waits inside", function()
      if t:now() > 0.5 then t:wait(0.1) end
      return false
    end, { within = 10 })
  end,
}
