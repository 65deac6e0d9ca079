-- pred_budget.lua: a predicate that spends ~40k Lua instructions a tick while it waits: the
-- instruction budget (sandbox.c) stops it mid-wait, and a script that catches the error cannot go
-- on (test_engine_predicates.sh).
return scenario {
  name = "a predicate that exhausts the instruction budget",
  pack = { preset = "10s3p", soc = 0.5 },
  run = function(t)
    t:power_on()
    local ok, err = pcall(t.expect, t, "spins", function()
      local x = 0
      for i = 1, 20000 do x = x + i end
      return x < 0
    end, { within = 100 })
    t:log("caught:", tostring(err))
  end,
}
